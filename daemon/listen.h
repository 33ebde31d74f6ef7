/*
 * listen.h: the daemon's sockets. Creates (or takes from systemd) the native
 * stream socket, the syslog stream socket and the syslog datagram socket;
 * accepts on the stream sockets (spawning a connection per client, conn.h)
 * and hands the datagram socket to the datagram input (dgram.h). Loop
 * thread only.
 */
#ifndef ASYNCLOG_LISTEN_H
#define ASYNCLOG_LISTEN_H

#include <stddef.h>

struct config;
struct conn_set;
struct event_base;
struct listen_set;
struct route;

/* Open every socket conf names. Returns NULL with err set. */
struct listen_set *listen_start(struct event_base *, const struct config *,
	    struct route *, struct conn_set *, char *err, size_t errlen);

/* Stop accepting and close the sockets (unlinking those we created); frees. */
void	listen_stop(struct listen_set *);

#endif
