/* SPDX-License-Identifier: ISC */
/*
 * conn.h: client connections on stream sockets (native frames or syslog
 * stream), each run as a task: read, decode, and hand each record to route
 * (which stamps it with the kernel's credentials and delivers it), waiting
 * for buffer space when an output is full (backpressure: we stop reading,
 * the client's library buffers or drops and counts). Loop thread only.
 */
#ifndef ASYNCLOG_CONN_H
#define ASYNCLOG_CONN_H

#include <stdbool.h>
#include <stddef.h>

struct dropreport;
struct event_base;
struct route;
struct conn_set;
struct task_cond;

enum conn_kind {
	CONN_NATIVE,
	CONN_SYSLOG_STREAM,
};

/* The set of live connections, delivering through route. */
struct conn_set *conn_set_new(struct event_base *, struct route *);
void	conn_set_free(struct conn_set *);	/* closes what is left first */
/* Where the set reports drops, shared with the datagram input so one
 * sender's drops are summed and said in one place. */
struct dropreport *conn_set_drops(struct conn_set *);

/* Take ownership of fd (non-blocking, accepted; closed on failure or
 * refusal) and start its task, if the peer may join: within max_clients
 * and its user's share of them (max_clients_per_user). */
int	conn_spawn(struct conn_set *, int fd, enum conn_kind);

unsigned conn_count(const struct conn_set *);

/* Signalled whenever a connection ends. */
struct task_cond *conn_ended(struct conn_set *);

/* Ask every connection to finish: each reads what is already queued, then
 * ends. */
void	conn_drain_all(struct conn_set *);

/* End every connection now (after the drain deadline). */
void	conn_close_all(struct conn_set *);

#endif
