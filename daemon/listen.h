/*
 * listen.h: the daemon's sockets. Creates (or takes from systemd) the native
 * stream socket, the syslog stream socket and the syslog datagram socket,
 * and runs a task per socket: accept and spawn a connection task, or read
 * datagrams (one message each, like /dev/log) with their SCM_CREDENTIALS.
 */
#ifndef ASYNCLOG_LISTEN_H
#define ASYNCLOG_LISTEN_H

#include <stddef.h>

struct server;

/* Open every socket the config names. Returns 0, or -1 with err set. */
int	listen_start(struct server *, char *err, size_t errlen);

/* Stop accepting and close the sockets (unlinking those we created). */
void	listen_stop(struct server *);

#endif
