/* SPDX-License-Identifier: ISC */
/*
 * tally.c: per-sender record counts in fixed slots (see tally.h).
 */
#include <stdio.h>
#include <string.h>

#include "tally.h"

void
tally_clear(struct tally *t)
{
	memset(t, 0, sizeof(*t));
}

void
tally_add(struct tally *t, pid_t pid, uint64_t n)
{
	unsigned i;

	/* Records come in runs from one client: try the last slot first. */
	if (t->used > 0 && t->slot[t->used - 1].pid == pid) {
		t->slot[t->used - 1].n += n;
		return;
	}
	for (i = 0; i < t->used; i++) {
		if (t->slot[i].pid == pid) {
			t->slot[i].n += n;
			return;
		}
	}
	if (t->used == TALLY_SLOTS) {
		t->others += n;
		return;
	}
	t->slot[t->used].pid = pid;
	t->slot[t->used].n = n;
	t->used++;
}

void
tally_merge(struct tally *dst, const struct tally *src)
{
	unsigned i;

	for (i = 0; i < src->used; i++)
		tally_add(dst, src->slot[i].pid, src->slot[i].n);
	dst->others += src->others;
}

size_t
tally_top(const struct tally *t, unsigned top, char *buf, size_t cap)
{
	unsigned picked = 0, i, best;
	uint32_t done = 0;	/* slots already printed */
	size_t len = 0;
	int n;

	if (cap > 0)
		buf[0] = '\0';
	while (picked < top && picked < t->used) {
		best = TALLY_SLOTS;
		for (i = 0; i < t->used; i++)
			if ((done & (1u << i)) == 0 && (best == TALLY_SLOTS ||
			    t->slot[i].n > t->slot[best].n))
				best = i;
		done |= 1u << best;
		n = snprintf(buf + len, cap - len, "%spid %ld (%llu)",
		    picked > 0 ? ", " : "", (long)t->slot[best].pid,
		    (unsigned long long)t->slot[best].n);
		if (n < 0 || (size_t)n >= cap - len) {
			buf[len] = '\0';	/* no half-written entry */
			break;
		}
		len += n;
		picked++;
	}
	return len;
}
