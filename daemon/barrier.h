/* SPDX-License-Identifier: ISC */
/*
 * barrier.h: the write barrier. Wait until every output that took a given
 * set of records has written them. Loop thread only.
 *
 * Each output numbers the chunks it hands its sink: output_sync_point()
 * flushes the current chunk and says the sequence the next one will get
 * (the appended sequence), and output_synced() compares it with the
 * sequence below which every chunk came back from the sink through the
 * hand-off's done queue (the written sequence: write(2) done, fdatasync(2)
 * too under sync = "always"; handed over, as it counts written, for a
 * forward output). An input notes which outputs took its records
 * (barrier_took, from route_deliver_outcome's taken mask); a barrier then
 * snapshots their appended sequences (barrier_begin) and is reached when
 * each written sequence has passed its snapshot (barrier_next is NULL).
 *
 * "Written" is only as sure as the chunks: one that came back with drops
 * (disk full, undelivered) since the first of the records may have held
 * some of them, and an output a reload removed meanwhile cannot be asked;
 * either makes the barrier unsure rather than pass it off as written.
 */
#ifndef ASYNCLOG_BARRIER_H
#define ASYNCLOG_BARRIER_H

#include <stdbool.h>
#include <stdint.h>

#include "route.h"

struct output;

struct barrier_point {
	uint64_t	 output_id;	/* a reload may reuse the index */
	uint64_t	 from;		/* written sequence when it first took one */
	uint64_t	 seq;		/* appended sequence to reach */
};

struct barrier {
	uint64_t	 taken;		/* outputs that took records since the last barrier */
	uint64_t	 waiting;	/* outputs the barrier begun waits for */
	bool		 unsure;
	struct barrier_point at[ROUTE_MAX_OUTPUTS];	/* by route index */
};

/* Records were taken by the outputs in mask (route bits). */
void	barrier_took(struct barrier *, struct route *, uint64_t mask);

/*
 * Start a barrier over the outputs with sync = "always" (what every SYNC
 * promises: their records are on disk) and, with written, over the outputs
 * that took the records noted so far, which are then forgotten: the next
 * barrier covers what comes after.
 */
void	barrier_begin(struct barrier *, struct route *, bool written);

/* The next output whose written sequence has not reached its point, or
 * NULL when the barrier is reached. Wait on its output_progress(). */
struct output *barrier_next(struct barrier *, struct route *);

/* Give up on o (it completed nothing for stall_timeout_ms): unsure. */
void	barrier_give_up(struct barrier *, struct output *o);

/* Reached, and nothing makes it unsure? Clears unsure for the next one. */
bool	barrier_sure(struct barrier *);

#endif
