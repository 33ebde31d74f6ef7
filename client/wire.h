/* SPDX-License-Identifier: ISC */
/*
 * wire.h: the native asynclog frame format, shared by libasynclog and asynclogd.
 *
 * Pure functions only: no I/O, no allocation, no global state, so the same code
 * runs in the library's sender thread and on the daemon's event loop, and every
 * malformed input can be tested directly. The byte layout is documented in
 * docs/protocol.md; keep the two in step.
 *
 * Every frame: u32 length (little endian, counts the type byte and payload),
 * u8 type, payload. All integers little endian.
 */
#ifndef ASYNCLOG_WIRE_H
#define ASYNCLOG_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define WIRE_MAGIC		"ALOG"
#define WIRE_VERSION		1	/* the HELLO version byte: always 1 */
#define WIRE_VERSION2		2	/* negotiated: HELLO flag, HELLO_ACK */
#define WIRE_HEADER_SIZE	5	/* u32 length + u8 type */
#define WIRE_MAX_FIELDS		32	/* key=value pairs in one RECORD */
#define WIRE_MAX_NAME		255	/* HELLO client name */
#define WIRE_MAX_TAG		255
#define WIRE_DEFAULT_MAX_RECORD	(64 * 1024)
#define WIRE_MAX_PRIORITY	191	/* facility 23 (local7) * 8 + severity 7 */
/* asynclogd listens on its syslog stream sockets with this backlog, and on
 * its native socket with another: a client tells them apart before sending
 * (client/peer.c, docs/protocol.md). Below any sane net.core.somaxconn. */
#define WIRE_SYSLOG_STREAM_BACKLOG 127
/* Bytes a RECORD frame may hold beyond max_record bytes of message: header,
 * fixed fields, tag and field framing (see docs/protocol.md). */
#define WIRE_RECORD_OVERHEAD	(WIRE_HEADER_SIZE + 16 + WIRE_MAX_TAG + \
				 WIRE_MAX_FIELDS * 6)

enum wire_type {
	WIRE_HELLO = 1,		/* client -> daemon, first frame of a stream */
	WIRE_RECORD = 2,	/* client -> daemon, one log record */
	WIRE_DROPPED = 3,	/* client -> daemon, records the client dropped */
	WIRE_STATS = 4,		/* client -> daemon, ask for counters */
	WIRE_STATS_REPLY = 5,	/* daemon -> client, counters as text or JSON */
	WIRE_SYNC = 6,		/* client -> daemon, "tell me when all before this is accepted" */
	WIRE_SYNC_ACK = 7,	/* daemon -> client, answer to SYNC with the same sequence */
	/* Version 2: only between peers that both said so (docs/protocol.md §6). */
	WIRE_HELLO_ACK = 8,	/* daemon -> client, answer to a version 2 HELLO */
	WIRE_SYNC2 = 9,		/* client -> daemon, SYNC with flags */
	WIRE_SYNC2_ACK = 10,	/* daemon -> client, answer with the connection's drops */
	WIRE_FORMAT = 11,	/* client -> daemon, a format string and its id */
	WIRE_RECORD_ARGS = 12,	/* client -> daemon, a record as format id + arguments */
};
#define WIRE_TYPE_MAX		WIRE_RECORD_ARGS

/* HELLO flags. A version 1 daemon ignores them all. */
#define WIRE_HELLO_V2		0x01	/* client speaks version 2: answer HELLO_ACK */

/* HELLO_ACK features: what this daemon does of version 2. */
#define WIRE_FEAT_DROPS		0x01	/* SYNC2_ACK carries the connection's drops */
#define WIRE_FEAT_WAIT		0x02	/* SYNC2 with WIRE_SYNC_WRITTEN */
#define WIRE_FEAT_FORMAT	0x04	/* FORMAT and RECORD_ARGS: the daemon renders */

/* Formats one connection may register (ids 1..WIRE_MAX_FORMATS), and their
 * bytes in all; the library keeps within both, the daemon refuses beyond. */
#define WIRE_MAX_FORMATS	256
#define WIRE_FORMATS_BYTES	(64 * 1024)
#define WIRE_MAX_FORMAT_LEN	4096	/* = RENDER_MAX_FMT */

/* SYNC2 flags. */
#define WIRE_SYNC_WRITTEN	0x01	/* answer once the records are written */

/* SYNC2_ACK status bits. */
#define WIRE_ACK_WRITTEN	0x01	/* every output that took them wrote them */
#define WIRE_ACK_UNSURE		0x02	/* an output that took them dropped records
					 * meanwhile (disk full, undelivered), or
					 * completed nothing for stall_timeout_ms */

/*
 * Records of one connection the daemon dropped, by reason, in SYNC2_ACK
 * order. A later version may append reasons: a reader keeps the ones it
 * knows and skips the rest.
 */
enum wire_drop {
	WIRE_DROP_TOO_LARGE,	/* above max_record, or above a chunk */
	WIRE_DROP_RATE_LIMITED,	/* over the sender's ratelimit */
	WIRE_DROP_MALFORMED,	/* a record frame the daemon could not use */
	WIRE_DROP_OVERFLOW,	/* an output had no room and was not waited for */
	WIRE_DROP_NO_OUTPUT,	/* no output's selector took it: by configuration */
	WIRE_NDROPS
};
#define WIRE_MAX_DROPS		16	/* reasons a SYNC2_ACK may list */

enum wire_stats_format {
	WIRE_STATS_TEXT = 0,
	WIRE_STATS_JSON = 1,
	WIRE_STATS_PROMETHEUS = 2,	/* the Prometheus text exposition format */
};

struct wire_field {
	const char	*key;
	size_t		 key_len;
	const char	*value;
	size_t		 value_len;
};

struct wire_hello {
	uint8_t		 version;
	uint8_t		 flags;
	const char	*name;		/* client name, not NUL-terminated */
	size_t		 name_len;
};

struct wire_record {
	uint8_t		 priority;	/* facility * 8 + severity, 0..191 */
	int64_t		 time_ns;	/* client's CLOCK_REALTIME, 0 = unknown */
	const char	*tag;
	size_t		 tag_len;
	const char	*msg;		/* may contain any bytes, including NUL */
	size_t		 msg_len;
	size_t		 nfields;
	struct wire_field fields[WIRE_MAX_FIELDS];
};

struct wire_hello_ack {
	uint8_t		 version;	/* WIRE_VERSION2 */
	uint32_t	 features;	/* WIRE_FEAT_* */
	uint32_t	 max_record;	/* the daemon's max_record */
};

struct wire_sync2 {
	uint64_t	 seq;
	uint8_t		 flags;		/* WIRE_SYNC_* */
};

struct wire_sync2_ack {
	uint64_t	 seq;		/* the SYNC2's, echoed */
	uint8_t		 status;	/* WIRE_ACK_* */
	uint64_t	 received;	/* records of this connection taken in */
	uint64_t	 dropped[WIRE_NDROPS];	/* of them, dropped, by reason */
};

struct wire_format {
	uint32_t	 id;		/* 1..WIRE_MAX_FORMATS */
	const char	*fmt;		/* printf format, not NUL-terminated */
	size_t		 fmt_len;
};

struct wire_record_args {
	uint8_t		 priority;
	int64_t		 time_ns;
	uint32_t	 id;		/* a FORMAT of this connection */
	const char	*tag;
	size_t		 tag_len;
	const void	*args;		/* render.h's argument bytes */
	size_t		 args_len;
};
#define WIRE_RECORD_ARGS_FIXED	18	/* priority, tag_len, id, time_ns, args_len */

struct wire_dropped {
	uint64_t	 count;		/* records dropped by the client */
	int64_t		 since_ns;	/* first drop of this batch */
	int64_t		 until_ns;	/* last drop of this batch */
};

/*
 * A decoded frame. Pointers point into the buffer given to wire_decode() and
 * are valid only as long as that buffer is.
 */
struct wire_frame {
	enum wire_type	 type;
	size_t		 size;		/* whole frame, header included */
	union {
		struct wire_hello	hello;
		struct wire_record	record;
		struct wire_dropped	dropped;
		uint8_t			stats_format;	/* STATS */
		struct {
			const char	*text;
			size_t		 len;
		} stats_reply;
		uint64_t		sync_seq;	/* SYNC and SYNC_ACK */
		struct wire_hello_ack	hello_ack;
		struct wire_sync2	sync2;
		struct wire_sync2_ack	sync2_ack;
		struct wire_format	format;
		struct wire_record_args	record_args;
	} u;
};

/*
 * The whole length (header included) of the frame that starts at p, read from
 * its length prefix alone, or 0 when avail < 4 (the prefix is not complete).
 * Nothing else is checked: a reader uses it to skip or bound a frame before
 * (or without) decoding it; wire_decode() still judges the frame itself.
 */
static inline size_t
wire_frame_len(const void *p, size_t avail)
{
	const uint8_t *b = p;
	size_t body;

	if (avail < 4)
		return 0;
	body = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[3] << 24;
	/* Only where size_t is 32 bits can this not fit; it is then too big. */
	return body <= SIZE_MAX - 4 ? 4 + body : SIZE_MAX;
}

/* The type byte of the frame that starts at p, or -1 when avail is less
 * than a header. (Both are inline: the daemon asks them once per frame.) */
static inline int
wire_frame_type(const void *p, size_t avail)
{
	return avail < WIRE_HEADER_SIZE ? -1 : ((const uint8_t *)p)[4];
}

/*
 * Decode one frame from the start of buf.
 * Returns the frame size (> 0) and fills *frame; 0 when buf holds only part of
 * a frame (read more and call again); -1 when the bytes can never become a
 * valid frame (unknown type, lengths that disagree, frame larger than
 * max_frame, bad magic or version in HELLO, priority > 191, ...), with *err set
 * to a static human-readable reason.
 *
 * A frame whose length prefix exceeds max_frame is rejected as soon as the
 * prefix is seen, so a hostile client cannot make the reader buffer it.
 */
ssize_t	wire_decode(const void *buf, size_t len, size_t max_frame,
	    struct wire_frame *frame, const char **err);

/*
 * Encoders write one whole frame into dst and return its size, or 0 when it
 * does not fit in cap (nothing useful is written then). The *_size functions
 * return the size the frame will take, so callers can reserve space first.
 */
size_t	wire_hello_size(size_t name_len);

/*
 * The backlog of the syslog stream sockets under the kernel's cap
 * net.core.somaxconn (somaxconn <= 0: not known). The native socket's
 * SOMAXCONN is cut to the cap too, so where the cap is 127 or less both
 * would listen with the cap: the syslog sockets then take one less, and
 * the daemon and the client, reading the same cap, still agree.
 */
int	wire_syslog_stream_backlog(long somaxconn);

size_t	wire_encode_hello(void *dst, size_t cap, uint8_t flags,
	    const char *name, size_t name_len);

size_t	wire_record_size(size_t tag_len, size_t msg_len,
	    const struct wire_field *fields, size_t nfields);
size_t	wire_encode_record(void *dst, size_t cap, uint8_t priority,
	    int64_t time_ns, const char *tag, size_t tag_len,
	    const char *msg, size_t msg_len,
	    const struct wire_field *fields, size_t nfields);

size_t	wire_encode_dropped(void *dst, size_t cap, uint64_t count,
	    int64_t since_ns, int64_t until_ns);
size_t	wire_encode_stats(void *dst, size_t cap, uint8_t format);
size_t	wire_encode_stats_reply(void *dst, size_t cap, const char *text,
	    size_t len);
size_t	wire_encode_sync(void *dst, size_t cap, enum wire_type type,
	    uint64_t seq);

/* Version 2 (send only to a peer that announced it). */
size_t	wire_encode_hello_ack(void *dst, size_t cap,
	    const struct wire_hello_ack *);
size_t	wire_encode_sync2(void *dst, size_t cap, uint64_t seq, uint8_t flags);
size_t	wire_encode_sync2_ack(void *dst, size_t cap,
	    const struct wire_sync2_ack *);
size_t	wire_encode_format(void *dst, size_t cap, uint32_t id,
	    const char *fmt, size_t fmt_len);
/* The header and fixed part of a RECORD_ARGS whose tag and argument bytes
 * the caller writes after it (the library encodes arguments in place). */
size_t	wire_encode_record_args_head(void *dst, size_t cap, uint8_t priority,
	    int64_t time_ns, uint32_t id, const char *tag, size_t tag_len,
	    size_t args_len);

#endif
