/* SPDX-License-Identifier: ISC */
/*
 * barrier.c: the write barrier (see barrier.h). Per connection state is a
 * struct barrier; the sequences live in the outputs (output.c), which move
 * them when their sink hands chunks back.
 */
#include "barrier.h"
#include "output.h"
#include "route.h"

#define BARRIER_BIT(i)	((uint64_t)1 << (i))

void
barrier_took(struct barrier *b, struct route *r, uint64_t mask)
{
	struct output *o;
	unsigned i, n;

	if ((mask & ~b->taken) == 0)
		return;		/* the common case: nothing new */
	n = route_noutputs(r);
	for (i = 0; i < n; i++) {
		o = route_output(r, i);
		if ((mask & ~b->taken & BARRIER_BIT(output_index(o))) == 0)
			continue;
		/* Nothing of ours is in a chunk that is back already. */
		b->at[output_index(o)] = (struct barrier_point){ output_id(o),
		    output_written_seq(o), 0 };
	}
	b->taken |= mask;
}

void
barrier_begin(struct barrier *b, struct route *r, bool written)
{
	struct barrier_point *p;
	struct output *o;
	uint64_t bit, found = 0;
	unsigned i, n = route_noutputs(r);
	bool took;

	b->waiting = 0;
	for (i = 0; i < n; i++) {
		o = route_output(r, i);
		bit = BARRIER_BIT(output_index(o));
		p = &b->at[output_index(o)];
		took = (b->taken & bit) && p->output_id == output_id(o);
		if (took)
			found |= bit;
		if (!(written && took) && !output_sync_always(o))
			continue;
		if (!took)
			*p = (struct barrier_point){ output_id(o),
			    output_written_seq(o), 0 };
		p->seq = output_sync_point(o);
		b->waiting |= bit;
	}
	if (!written)
		return;
	/* An output that took records and is gone (a reload) cannot say. */
	if ((b->taken & ~found) != 0)
		b->unsure = true;
	b->taken = 0;
}

struct output *
barrier_next(struct barrier *b, struct route *r)
{
	const struct barrier_point *p;
	struct output *o;
	unsigned i, n = route_noutputs(r);

	for (i = 0; i < n; i++) {
		o = route_output(r, i);
		p = &b->at[output_index(o)];
		if ((b->waiting & BARRIER_BIT(output_index(o))) == 0)
			continue;
		if (p->output_id != output_id(o)) {
			/* Replaced by a reload while we waited. */
			b->unsure = true;
			b->waiting &= ~BARRIER_BIT(output_index(o));
			continue;
		}
		if (!output_synced(o, p->seq))
			return o;
		if (output_lossy_since(o, p->from))
			b->unsure = true;
		b->waiting &= ~BARRIER_BIT(output_index(o));
	}
	/* Outputs removed by a reload while we waited are not in the table. */
	if (b->waiting != 0) {
		b->unsure = true;
		b->waiting = 0;
	}
	return NULL;
}

void
barrier_give_up(struct barrier *b, struct output *o)
{
	b->unsure = true;
	b->waiting &= ~BARRIER_BIT(output_index(o));
}

bool
barrier_sure(struct barrier *b)
{
	bool sure = !b->unsure;

	b->unsure = false;
	return sure;
}
