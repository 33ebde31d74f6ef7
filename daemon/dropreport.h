/* SPDX-License-Identifier: ISC */
/*
 * dropreport.h: what clients say they dropped (DROPPED frames), counted
 * within bounds and said in the log at a bounded rate. A claim is a
 * client's word, so it is capped per frame, per connection, and per user
 * and window; and the log line that says it ("client NAME dropped N
 * records from T1 to T2", attributed to the client) comes at most once per
 * user per rate-limit window, however often the client reconnects.
 *
 * The daemon's own drops of what a sender sent (a record above max_record,
 * malformed input) are said the same way, summed per sender (user and pid)
 * and window: "pid 42 (app): dropped 3 records (too_large) from T1 to T2",
 * so every kind of drop leaves a line in the log. Loop thread only.
 */
#ifndef ASYNCLOG_DROPREPORT_H
#define ASYNCLOG_DROPREPORT_H

#include <stdint.h>
#include <sys/socket.h>

#include "counters.h"
#include "wire.h"

#define DROPREPORT_FRAME_MAX	((uint64_t)1 << 24)	/* per DROPPED frame */
#define DROPREPORT_CONN_MAX	((uint64_t)1 << 32)	/* per connection */
#define DROPREPORT_WINDOW_MAX	((uint64_t)1 << 28)	/* per user and window */

struct dropreport;
struct event_base;
struct route;

struct dropreport *dropreport_new(struct event_base *, struct route *);
/* Stopping: say everything unsaid now, not when due (the outputs are
 * about to stop); no more reports after this. */
void	dropreport_flush(struct dropreport *);
/* Flushes, then frees. */
void	dropreport_free(struct dropreport *);

/*
 * A DROPPED frame from the client cred (named who in messages), whose
 * connection has had *conn_claimed counted so far: count what the caps
 * allow as dropped (client) and schedule the report. Returns that count.
 */
uint64_t dropreport_claim(struct dropreport *, const struct ucred *,
	    const char *who, uint64_t *conn_claimed,
	    const struct wire_dropped *);

/*
 * The daemon dropped one record of the sender cred (named who) at now_ns
 * (wall clock) for reason (too_large, malformed): count it and schedule
 * the report of this sender's window.
 */
void	dropreport_input(struct dropreport *, enum drop_reason,
	    const struct ucred *, const char *who, int64_t now_ns);

#endif
