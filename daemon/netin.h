/* SPDX-License-Identifier: ISC */
/*
 * netin.h: the sockets of the network inputs (listen.tcp, listen.tls,
 * listen.udp, listen.relp): bind one for a configured address, or
 * recognise one passed by systemd (FileDescriptorName= tcp, tls, udp, relp
 * or network) as standing for it. listen.c accepts on them and hands the
 * peers to conn.c (TCP, TLS, RELP) or reads them with dgram.c (UDP). No
 * I/O beyond socket setup.
 */
#ifndef ASYNCLOG_NETIN_H
#define ASYNCLOG_NETIN_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* "tcp", "tls", "udp", "relp": the listen key and the socket's systemd
 * name. */
const char *netin_kind_name(enum config_netin_kind);

/*
 * The kind of network input a socket passed by systemd under name is: the
 * name says it ("tcp", "tls", "udp", "relp"), or for "network" (one socket
 * unit for all of them) its type does: a datagram socket is udp, a stream
 * socket tls or relp when bound to an address of listen.tls or listen.relp,
 * else tcp. -1 when the name is none of these.
 */
int	netin_kind_of(int fd, const char *name, const struct config *);

/*
 * A non-blocking, close-on-exec socket bound to n's address and port
 * (listening, for TCP). Returns it, or -1 with err naming the config line:
 * "FILE:LINE: listen.tcp 127.0.0.1:514: Address already in use".
 */
int	netin_bind(const struct config_netin *n, const char *file, char *err,
	    size_t errlen);

/* Is fd bound to n's address and port, with n's transport? */
bool	netin_bound_to(int fd, const struct config_netin *n);

#endif
