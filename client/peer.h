/* SPDX-License-Identifier: ISC */
/*
 * peer.h: who listens on a Unix stream socket, asked of the kernel before
 * a byte is sent, so the asynclog command speaks asynclogd's native
 * protocol only to asynclogd's native socket and syslog to everything else
 * (rsyslog, syslog-ng, socat, asynclogd's own syslog_stream socket).
 *
 * The native protocol is client-speaks-first and a version 1 client rejects
 * frames it does not know, so the daemon cannot greet; and a probe frame
 * would be garbage to a syslog listener. What the kernel says instead:
 * SO_PEERCRED names the process that called listen() (asynclogd calls it
 * again on sockets systemd made, so it is asynclogd there too), and
 * asynclogd listens on its syslog stream sockets with a backlog of
 * wire_syslog_stream_backlog() (127 unless net.core.somaxconn is lower),
 * which sock_diag shows to any user (ss -xl).
 */
#ifndef ASYNCLOG_PEER_H
#define ASYNCLOG_PEER_H

enum peer_kind {
	PEER_NATIVE,		/* asynclogd, not one of its syslog sockets */
	PEER_SYSLOG,		/* anything else that is known */
	PEER_SYSTEMD,		/* systemd (or systemd-socket-activate) holds it
				 * for a service that may not have taken it yet */
	PEER_UNKNOWN,		/* the listener is in another pid namespace */
};

/* fd is connected to the stream socket at path. */
enum peer_kind	peer_kind(int fd, const char *path);

#endif
