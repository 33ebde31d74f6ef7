/* SPDX-License-Identifier: ISC */
/*
 * record.h: one log record as the daemon sees it between decoding and
 * formatting.
 *
 * A record borrows every byte it points at (from the connection's read buffer
 * or a datagram), so it lives only until the formatter has copied it into an
 * output chunk. Nothing here allocates.
 */
#ifndef ASYNCLOG_RECORD_H
#define ASYNCLOG_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "wire.h"

#define RECORD_UNIT_MAX	256	/* longest systemd unit name kept */
#define RECORD_PEER_CERT_MAX 255	/* longest client certificate name kept */

/* An argument of a record rendered by the daemon (deferred.h), alone. */
struct record_arg {
	const char	*s;
	size_t		 len;
	bool		 quoted;	/* JSON: a string, else a number */
};

struct record {
	int64_t		 time_ns;	/* when the daemon received it (CLOCK_REALTIME) */
	int64_t		 client_time_ns; /* what the client claims, 0 = none */
	int		 facility;	/* 0..23 */
	int		 severity;	/* 0..7 */
	pid_t		 pid;		/* from the kernel; -1 = unknown */
	uid_t		 uid;		/* from the kernel; (uid_t)-1 = unknown */
	gid_t		 gid;		/* from the kernel; (gid_t)-1 = unknown */
	pid_t		 claimed_pid;	/* pid the message claims if it differs, else 0 */
	const char	*host;		/* trusted host: set only by an input that
					 * knows the peer (never from message
					 * bytes): a network input's peer
					 * address; NULL = this machine */
	size_t		 host_len;
	const char	*peer_cert;	/* the name in the peer's verified TLS
					 * certificate; NULL = none */
	size_t		 peer_cert_len;	/* at most RECORD_PEER_CERT_MAX */
	const char	*unit;		/* sender's systemd unit, from the kernel
					 * (/proc/PID/cgroup), only unit name
					 * characters [A-Za-z0-9:_.@\\-];
					 * NULL = unknown */
	size_t		 unit_len;	/* at most RECORD_UNIT_MAX */
	const char	*claimed_host;	/* HOSTNAME the message claims; NULL = none */
	size_t		 claimed_host_len;
	const char	*tag;		/* ident / APP-NAME; may be empty */
	size_t		 tag_len;
	const char	*msgid;		/* RFC 5424 MSGID; NULL = none */
	size_t		 msgid_len;
	const char	*sd;		/* RFC 5424 STRUCTURED-DATA, raw; NULL = none */
	size_t		 sd_len;
	const char	*msg;		/* any bytes */
	size_t		 msg_len;
	size_t		 nfields;	/* native key=value fields */
	const struct wire_field *fields;
	const char	*fmt;		/* the printf format it was rendered
					 * from (RECORD_ARGS); NULL = none */
	size_t		 fmt_len;
	size_t		 nargs;		/* its arguments, when fmt is set */
	const struct record_arg *args;
};

#endif
