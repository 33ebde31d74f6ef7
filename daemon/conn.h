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

#include "config.h"

struct dropreport;
struct event_base;
struct tls_creds;
struct route;
struct conn_set;
struct task_cond;

enum conn_kind {
	CONN_NATIVE,
	CONN_SYSLOG_STREAM,
	CONN_RELP,		/* a network peer speaking RELP */
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

/*
 * A client from the network (netin.c): its address is what it is known by
 * (the trusted host of its records, its share of max_clients per address,
 * max_clients_per_peer); with tls set, a TLS session is negotiated first,
 * within frame_timeout_ms, and the name in a verified client certificate is
 * recorded too. With relp set, the peer speaks RELP: each syslog frame is
 * acknowledged once every output that took its record has written it.
 */
struct conn_peer {
	const char	*addr;		/* numeric, "192.0.2.1" or "2001:db8::1" */
	unsigned	 port;
	struct tls_creds *tls;		/* NULL: plain TCP */
	enum config_client_certs client_certs;
	bool		 relp;		/* RELP instead of syslog framing */
};

/* The set owns creds from now on (TLS sessions of its connections use
 * them to their end) and frees them with itself. */
void	conn_set_hold_tls(struct conn_set *, struct tls_creds *creds);

/* As conn_spawn, for a syslog stream from a network peer. */
int	conn_spawn_peer(struct conn_set *, int fd, const struct conn_peer *);

unsigned conn_count(const struct conn_set *);

/* Signalled whenever a connection ends. */
struct task_cond *conn_ended(struct conn_set *);

/* Ask every connection to finish: each reads what is already queued, then
 * ends. */
void	conn_drain_all(struct conn_set *);

/* End every connection now (after the drain deadline). */
void	conn_close_all(struct conn_set *);

#endif
