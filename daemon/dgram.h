/* SPDX-License-Identifier: ISC */
/*
 * dgram.h: the syslog datagram inputs: local (/dev/log style), stamped with
 * the sender's SCM_CREDENTIALS, and UDP (RFC 5426), stamped with the
 * sender's address; one message per datagram, one task per socket. Loop
 * thread only.
 *
 * Datagram senders (glibc syslog(3)) block in send() when the socket queue
 * is full, so this input never waits for buffer space: a full output drops
 * and counts the record instead (route_deliver_or_drop).
 */
#ifndef ASYNCLOG_DGRAM_H
#define ASYNCLOG_DGRAM_H

#include <stdbool.h>
#include <stddef.h>

struct dgram;
struct dropreport;
struct event_base;
struct route;

/* Take ownership of fd (a bound datagram socket: a Unix one, or UDP when
 * net; closed on failure) and start reading it; drops of a local sender's
 * own (too large) are said through drops. Returns NULL with err set. */
struct dgram *dgram_new(struct event_base *, struct route *,
	    struct dropreport *drops, int fd, bool net, char *err,
	    size_t errlen);

/* Stop reading, report what the rate limit still holds, close fd. */
void	dgram_free(struct dgram *);

#endif
