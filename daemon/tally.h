/* SPDX-License-Identifier: ISC */
/*
 * tally.h: who sent the records of a chunk, so a drop marker can say which
 * senders lost the most ("most from pid 42 (1200), pid 77 (34)"). A few
 * fixed slots, no allocation: senders past them count as "others".
 */
#ifndef ASYNCLOG_TALLY_H
#define ASYNCLOG_TALLY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TALLY_SLOTS	8

struct tally {
	struct {
		pid_t		 pid;
		uint64_t	 n;
	}		 slot[TALLY_SLOTS];
	unsigned	 used;
	uint64_t	 others;	/* records from senders without a slot */
};

void	tally_clear(struct tally *);
void	tally_add(struct tally *, pid_t pid, uint64_t n);
void	tally_merge(struct tally *dst, const struct tally *src);
/* "pid 42 (1200), pid 77 (34), pid 9 (3)": the top senders, most first.
 * Returns the length written (NUL-terminated), 0 when empty. */
size_t	tally_top(const struct tally *, unsigned top, char *buf, size_t cap);

#endif
