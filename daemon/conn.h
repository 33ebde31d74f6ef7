/*
 * conn.h: one client connection on a stream socket (native frames or syslog
 * stream), run as a task: read, decode, stamp with the kernel's credentials,
 * route, and wait for buffer space when an output is full (backpressure: we
 * stop reading, the client's library buffers or drops and counts).
 */
#ifndef ASYNCLOG_CONN_H
#define ASYNCLOG_CONN_H

#include <stdbool.h>

struct server;

enum conn_kind {
	CONN_NATIVE,
	CONN_SYSLOG_STREAM,
};

/* Take ownership of fd (non-blocking, accepted; closed on failure) and
 * start its task. */
int	conn_spawn(struct server *, int fd, enum conn_kind);

/* Ask every connection to finish: each reads what is already queued, then ends. */
void	conn_drain_all(struct server *);

/* End every connection now (after the drain deadline). */
void	conn_close_all(struct server *);

#endif
