/*
 * server.h: the running daemon: its configuration, outputs, listeners and
 * connections, routing of records to outputs, and the orderly drain on
 * SIGTERM. Loop thread only.
 */
#ifndef ASYNCLOG_SERVER_H
#define ASYNCLOG_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "config.h"
#include "output.h"
#include "record.h"
#include "task.h"

#define SERVER_MAX_OUTPUTS	64	/* a record's route is a 64-bit mask */

struct conn;
struct listener;
struct event_base;

struct server {
	struct event_base *base;
	struct config	*conf;
	struct output_list outputs;
	unsigned	 noutputs;
	struct output_list retiring;	/* removed by a reload, still writing */
	LIST_HEAD(, conn) conns;
	unsigned	 nconns;
	LIST_HEAD(, listener) listeners;
	bool		 draining;	/* SIGTERM seen: no new clients */
	struct task	 drain;
	struct task_cond conns_changed;	/* a connection ended */
	int64_t		 drain_deadline_ns;	/* monotonic */
};

/* Open outputs and listeners for conf. Returns 0, or -1 with err set. */
int	server_start(struct server *, struct event_base *, struct config *,
	    char *err, size_t errlen);

/* Mask of the outputs rec should go to; 0 counts a no_output drop. */
uint64_t server_route(struct server *, const struct record *);

/*
 * Append rec to every output left in *pending, clearing each bit as the
 * output takes or drops the record. Returns NULL when done, or the output
 * that has no room (backpressure): wait on its space condition and call
 * again with the same record and mask.
 */
struct output *server_deliver(struct server *, const struct record *,
	    uint64_t *pending);

/* SIGTERM: stop accepting, let connections finish what they sent, drain
 * outputs, then leave the loop (within conf->drain_timeout_ms). */
void	server_drain(struct server *);

/*
 * SIGHUP with a valid new config: switch to it (the caller frees the old
 * one afterwards; outputs keep private copies of their settings). Returns
 * -1 with err set, and nothing changed, when a new output cannot start.
 */
int	server_reload(struct server *, struct config *, char *err,
	    size_t errlen);

/* SIGHUP: reopen every output file. */
void	server_reopen(struct server *);

/* Log what a sender's finished rate-limit window dropped, as a record of
 * asynclogd ("WHO: N records rate-limited from T1 to T2"). */
struct ratelimit_report;
void	server_ratelimit_report(struct server *,
	    const struct ratelimit_report *, const char *who);

/* Give up on output o for this record: count an overflow drop there. */
void	server_skip(struct server *, struct output *o, uint64_t *pending);

/* Like server_deliver, but a full output drops and counts (overflow) instead
 * of waiting: for inputs whose senders must never be made to wait. */
void	server_deliver_or_drop(struct server *, const struct record *,
	    uint64_t *pending);

/*
 * After the loop ended: close clients and sockets, let every writer write
 * what is queued and stop; the counters are final after this. Returns how
 * many writers are still blocked in a write after the deadline (then
 * nothing may be freed: exit).
 */
int	server_stop(struct server *);	/* number of stuck writers */
void	server_free(struct server *);	/* stops first if needed */

#endif
