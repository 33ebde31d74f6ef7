/* SPDX-License-Identifier: ISC */
/*
 * inbuf.c: client read buffers within one shared budget (see inbuf.h).
 *
 * A connection holds a buffer only while it has bytes to parse: an idle one
 * costs none of this memory, which is what lets 10 000 quiet clients fit in
 * a few MiB. So that a busy client, which goes idle after every read that
 * empties its socket, does not cost a malloc and a free per wake-up, the
 * last few buffers given back wait as spares for the next reader.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "counters.h"
#include "inbuf.h"

#define INBUF_INITIAL	(16 * 1024)
#define INBUF_SPARES	16	/* at most 256 KiB of idle buffers */

void
inbuf_budget_init(struct inbuf_budget *b, size_t limit)
{
	memset(b, 0, sizeof(*b));
	b->limit = limit;
	task_cond_init(&b->freed);
}

static void	inbuf_account(struct inbuf_budget *, size_t, size_t);

/* Free one spare; returns whether there was one. */
static bool
inbuf_spare_release(struct inbuf_budget *b)
{
	void *p;

	if ((p = b->spare) == NULL)
		return false;
	memcpy(&b->spare, p, sizeof(void *));
	b->nspare--;
	free(p);
	inbuf_account(b, INBUF_INITIAL, 0);
	return true;
}

void
inbuf_budget_free(struct inbuf_budget *b)
{
	while (inbuf_spare_release(b))
		continue;
}

size_t
inbuf_pending(const struct inbuf *in)
{
	return in->len - in->off;
}

static void
inbuf_account(struct inbuf_budget *b, size_t old_cap, size_t new_cap)
{
	b->used = b->used - old_cap + new_cap;
	counters_client_memory = b->used;
	if (b->used > counters_client_memory_peak)
		counters_client_memory_peak = b->used;
	if (new_cap < old_cap)
		task_cond_broadcast(&b->freed);
}

ssize_t
inbuf_room(struct inbuf *in, struct inbuf_budget *b, size_t min_room,
    size_t max_cap)
{
	size_t ncap;
	char *nb;

	if (in->off > 0 && in->off == in->len)
		in->off = in->len = 0;
	if (in->cap - in->len < min_room && in->off > 0) {
		memmove(in->buf, in->buf + in->off, in->len - in->off);
		in->len -= in->off;
		in->off = 0;
	}
	if (in->cap == 0 && b->spare != NULL && max_cap >= INBUF_INITIAL) {
		in->buf = b->spare;
		memcpy(&b->spare, in->buf, sizeof(void *));
		b->nspare--;
		in->cap = INBUF_INITIAL;
	}
	if (in->cap - in->len < min_room && in->cap < max_cap) {
		ncap = in->cap == 0 ? INBUF_INITIAL : in->cap * 2;
		if (ncap > max_cap)
			ncap = max_cap;
		/* Spares are the first memory to go to a reader in need. */
		while (b->used - in->cap + ncap > b->limit)
			if (!inbuf_spare_release(b))
				return -1;
		if ((nb = realloc(in->buf, ncap)) == NULL)
			return -1;
		inbuf_account(b, in->cap, ncap);
		in->buf = nb;
		in->cap = ncap;
	}
	return (ssize_t)(in->cap - in->len);
}

/*
 * An idle connection holds no buffer. A buffer of the initial size becomes
 * a spare while there are few and the budget is not under pressure (half
 * used, or a reader waiting for memory); any other is freed, so a client
 * that once sent a large frame does not keep a large buffer.
 */
void
inbuf_idle(struct inbuf *in, struct inbuf_budget *b)
{
	if (in->off != in->len || in->cap == 0)
		return;
	if (in->cap != INBUF_INITIAL || b->nspare >= INBUF_SPARES ||
	    b->used > b->limit / 2 || !TAILQ_EMPTY(&b->freed.waiters)) {
		inbuf_free(in, b);
		return;
	}
	memcpy(in->buf, &b->spare, sizeof(void *));
	b->spare = in->buf;
	b->nspare++;
	memset(in, 0, sizeof(*in));
}

void
inbuf_free(struct inbuf *in, struct inbuf_budget *b)
{
	if (in->buf == NULL)
		return;
	free(in->buf);
	inbuf_account(b, in->cap, 0);
	memset(in, 0, sizeof(*in));
}
