/* SPDX-License-Identifier: ISC */
/*
 * budget.h: the disk budget, one cap on what every file output's live and
 * rotated files take together (disk_budget.max_use, like journald's
 * SystemMaxUse), so thousands of per-program files cannot fill a disk.
 *
 * A thread of its own adds up the files of every file output each
 * interval and, over the cap, deletes the oldest rotated files first.
 * When the live files alone are over it, it raises a flag the writers
 * read before each chunk: they drop (and count, as disk_full with the
 * reason "disk budget") until the files are under the cap again.
 *
 * budget_start/update/stop run on the loop thread; budget_exceeded() on
 * any thread (an atomic).
 */
#ifndef ASYNCLOG_BUDGET_H
#define ASYNCLOG_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;

/* Start (or, with max_use 0, do nothing); -1 with a message in err. */
int	budget_start(const struct config *, char *err, size_t errlen);
/* A reload: the new outputs and cap, taken at the next pass. */
void	budget_update(const struct config *);
void	budget_stop(void);

/* Are the live files over the cap (the rotated ones all gone)? */
bool	budget_exceeded(void);

/* For stats: bytes counted at the last pass, rotated files removed since
 * start; -1 / 0 without a budget. */
int64_t	budget_used(void);
uint64_t budget_removed(void);

#endif
