/* SPDX-License-Identifier: ISC */
/*
 * statsreq.h: asking asynclogd for its counters over the native socket
 * (HELLO once, then a STATS frame and its STATS_REPLY per request), for
 * `asynclog --stats` and `asynclog --top`. Blocking, with a deadline per
 * request; one connection may serve many requests. Caller's thread.
 */
#ifndef ASYNCLOG_STATSREQ_H
#define ASYNCLOG_STATSREQ_H

#include <stdint.h>

#define STATSREQ_TIMEOUT_MS	5000

/*
 * Connect to the native socket at path and say HELLO. Returns the socket,
 * or -1 with *why saying what went wrong in words for the user (a syslog
 * datagram socket is named as such, not "Protocol wrong type").
 */
int	statsreq_open(const char *path, const char **why);

/*
 * One STATS request in format (WIRE_STATS_TEXT, _JSON, _PROMETHEUS).
 * Returns the reply as a malloc'd NUL-terminated string (caller frees),
 * or NULL with *why set.
 */
char	*statsreq_get(int fd, uint8_t format, const char **why);

#endif
