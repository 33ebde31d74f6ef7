/* SPDX-License-Identifier: ISC */
/*
 * netaddr.h: a network peer's address as the daemon writes it (the trusted
 * host of its records, its name in messages and per-peer limits). Pure.
 */
#ifndef ASYNCLOG_NETADDR_H
#define ASYNCLOG_NETADDR_H

#include <sys/socket.h>

#include <arpa/inet.h>
#include <stddef.h>

/* Room for any address netaddr_string writes, with its NUL. */
#define NETADDR_MAX	INET6_ADDRSTRLEN

/*
 * "192.0.2.1" or "2001:db8::1" into buf (cap >= NETADDR_MAX); an IPv4
 * peer of an IPv6 socket (::ffff:192.0.2.1) is written as IPv4, so one
 * peer has one name whichever socket it came through. Returns its port.
 */
unsigned netaddr_string(const struct sockaddr_storage *, char *buf,
	    size_t cap);

#endif
