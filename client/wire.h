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
#define WIRE_VERSION		1
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
};

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

#endif
