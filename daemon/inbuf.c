/* SPDX-License-Identifier: ISC */
/*
 * inbuf.c: client read buffers within one shared budget (see inbuf.h).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "counters.h"
#include "inbuf.h"

#define INBUF_INITIAL	(16 * 1024)

void
inbuf_budget_init(struct inbuf_budget *b, size_t limit)
{
	memset(b, 0, sizeof(*b));
	b->limit = limit;
	task_cond_init(&b->freed);
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
	if (in->cap - in->len < min_room && in->cap < max_cap) {
		ncap = in->cap == 0 ? INBUF_INITIAL : in->cap * 2;
		if (ncap > max_cap)
			ncap = max_cap;
		if (b->used - in->cap + ncap > b->limit)
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
 * An idle connection keeps a small buffer, so a client that sends now and
 * then does not cost an allocation per wake-up, unless the budget is half
 * used: then idle connections hold nothing and the memory goes to those
 * that are sending.
 */
void
inbuf_idle(struct inbuf *in, struct inbuf_budget *b)
{
	char *nb;

	if (in->off != in->len || in->cap == 0)
		return;
	if (b->used > b->limit / 2) {
		inbuf_free(in, b);
		return;
	}
	in->off = in->len = 0;
	if (in->cap <= INBUF_INITIAL ||
	    (nb = realloc(in->buf, INBUF_INITIAL)) == NULL)
		return;
	inbuf_account(b, in->cap, INBUF_INITIAL);
	in->buf = nb;
	in->cap = INBUF_INITIAL;
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
