/* SPDX-License-Identifier: ISC */
/*
 * route.h: the step every input shares, and the table of outputs it leads
 * to. Loop thread only.
 *
 * An input (conn.c for streams, dgram.c for datagrams; later the network
 * and kernel inputs) only decodes. For each record it then asks route, in
 * this order: may this sender log now (route_admit: the per-sender rate
 * limit), stamp what the kernel says of the sender (route_stamp), which
 * outputs take it (route_select), and hand it to them (route_deliver: with
 * backpressure, or route_deliver_or_drop for inputs whose senders must
 * never wait). Inputs never see an output's insides; outputs never know
 * inputs.
 *
 * The table holds the live outputs in configuration order and those a
 * reload removed that are still writing what they hold (retiring). Each
 * output has a bit in a record's 64-bit route mask.
 */
#ifndef ASYNCLOG_ROUTE_H
#define ASYNCLOG_ROUTE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config.h"
#include "record.h"
#include "counters.h"

#define ROUTE_MAX_OUTPUTS	64	/* a record's route is a 64-bit mask */

struct output;
struct ratelimit;
struct timespec;
struct route;

struct route *route_new(const struct config *);
/* Frees every output in the table (after route_stop). */
void	route_free(struct route *);

/* The running configuration (limits, overflow policy); a reload sets it. */
void	route_set_config(struct route *, const struct config *);
const struct config *route_config(const struct route *);

/* ---- The record path ---- */

/*
 * Within this sender's rate limit (config ratelimit)? Over it, the record
 * is counted as rate_limited. When the sender's last window ended with
 * drops, they are reported first, as a record of asynclogd naming who.
 */
bool	route_admit(struct route *, struct ratelimit *, const char *who,
	    int64_t now_ns);
/* Report the drops of rl's current window now (the sender goes away). */
void	route_admit_flush(struct route *, struct ratelimit *, const char *who);

/* Stamp rec with its receive time and the kernel's word on its sender
 * (pid, uid, gid); a claimed pid equal to the real one is no claim. */
void	route_stamp(struct record *, const struct ucred *, int64_t now_ns);

/* Mask of the outputs that take rec (selector and filter, in order, up
 * to the first final one that takes it); 0 counts a no_output drop. */
uint64_t route_select(struct route *, const struct record *);

/*
 * Offer rec to every output left in *pending, clearing each bit as the
 * output takes or drops the record. Returns NULL when done, or the output
 * that has no room (backpressure): wait on output_room() of it and call
 * again with the same record and mask, or route_give_up() on it. Bits of
 * outputs a reload removed meanwhile are overflow drops there.
 */
struct output *route_deliver(struct route *, const struct record *,
	    uint64_t *pending);

/* Stop waiting for o: the record is an overflow drop there, and o is
 * stalled (not waited on) until it takes a chunk back. */
void	route_give_up(struct route *, struct output *o, uint64_t *pending);

/*
 * What became of one record, for an input that tells its sender (the
 * native protocol's SYNC2_ACK) and waits for writes (barrier.h). Set
 * taken = 0 and dropped = -1 before the first call for a record; the
 * _outcome variants of route_deliver and route_give_up then fill it.
 */
struct route_outcome {
	uint64_t	 taken;		/* route bits of the outputs that buffered it */
	int		 dropped;	/* -1, or the enum drop_reason of its first drop */
};
struct output *route_deliver_outcome(struct route *, const struct record *,
	    uint64_t *pending, struct route_outcome *);
void	route_give_up_outcome(struct route *, struct output *o,
	    uint64_t *pending, struct route_outcome *);

/* Like route_deliver, but a full output drops and counts (overflow)
 * instead of waiting: for senders that must never be made to wait. */
void	route_deliver_or_drop(struct route *, const struct record *,
	    uint64_t *pending);

/* Count the record as dropped for reason at each output it had not
 * reached (the drain deadline passed). */
void	route_drop_pending(struct route *, uint64_t *pending,
	    enum drop_reason);

/* A record of asynclogd itself (report.h): select and deliver, never wait. */
void	route_self(struct route *, const struct record *);

/* ---- The table ---- */

unsigned route_noutputs(const struct route *);
struct output *route_output(const struct route *, unsigned i);	/* i-th live */
struct output *route_find_path(const struct route *, const char *path);
bool	route_retiring_path(const struct route *, const char *path);
/* The lowest route bit that no output in the table holds nor taken has;
 * -1 when all are in use. */
int	route_free_index(const struct route *, uint64_t taken);

/* Start-up: append o to the live outputs. */
void	route_add(struct route *, struct output *);

/*
 * A reload: outputs become the live table, in this order. Live outputs not
 * in it retire: they write what they hold, then close and are freed, their
 * counters kept in counters_retired.
 */
void	route_replace(struct route *, struct output *const *outputs,
	    unsigned n);

/* The counters of every output in the table (live and retiring). */
void	route_total(const struct route *, struct counters *);

/*
 * Stop every output after it wrote what it holds (see output_stop).
 * Returns how many are stuck in a write past the deadline; then nothing
 * may be freed.
 */
int	route_stop(struct route *, const struct timespec *deadline);

#endif
