/* SPDX-License-Identifier: ISC */
/*
 * top.h: `asynclog --top`, the live view of asynclogd's counters (top.c).
 */
#ifndef ASYNCLOG_TOP_H
#define ASYNCLOG_TOP_H

/* Show the daemon at path until q, Ctrl-C or SIGTERM; the exit status
 * (0, or 1 when it could not be reached or went away). */
int	top_run(const char *path);

#endif
