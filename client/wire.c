/* SPDX-License-Identifier: ISC */
/*
 * wire.c: encode and decode native asynclog frames (layout in docs/protocol.md).
 *
 * Pure code shared by libasynclog and asynclogd: no I/O, no allocation, no
 * global state. Integers are read and written a byte at a time with explicit
 * shifts, so the code is endian-neutral and never does an unaligned access.
 *
 * The decoder trusts nothing: every length is checked against the bytes the
 * frame actually holds before it is used, and a frame must be consumed exactly
 * (no trailing bytes), so one frame can never be read two different ways.
 */

#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "wire.h"

#define WIRE_HELLO_FIXED	7	/* magic[4], version, flags, name_len */
#define WIRE_RECORD_FIXED	16	/* priority, nfields, tag_len, msg_len, time_ns */
#define WIRE_FIELD_FIXED	6	/* key_len u16, value_len u32 */
#define WIRE_DROPPED_SIZE	24	/* count, since_ns, until_ns */
#define WIRE_STATS_SIZE		1	/* format */
#define WIRE_SYNC_SIZE		8	/* seq */
#define WIRE_HELLO_ACK_SIZE	9	/* version, features, max_record */
#define WIRE_SYNC2_SIZE		9	/* seq, flags */
#define WIRE_SYNC2_ACK_FIXED	18	/* seq, status, received, ndrops */

/* The length prefix is a u32: no frame body can be larger than this. */
#define WIRE_MAX_BODY		UINT32_MAX

static void
wire_put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
wire_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void
wire_put_u64(uint8_t *p, uint64_t v)
{
	int	i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t
wire_get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t
wire_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
wire_get_u64(const uint8_t *p)
{
	uint64_t	v = 0;
	int		i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/*
 * Signed 64-bit values travel as their two's complement bit pattern; the
 * conversion back is done by hand because casting an out-of-range uint64_t to
 * int64_t is implementation-defined.
 */
static void
wire_put_i64(uint8_t *p, int64_t v)
{
	wire_put_u64(p, (uint64_t)v);
}

static int64_t
wire_get_i64(const uint8_t *p)
{
	uint64_t	u = wire_get_u64(p);

	if (u <= INT64_MAX)
		return (int64_t)u;
	return -(int64_t)(~u) - 1;
}

/*
 * Write the 5-byte header for a frame whose body (type byte + payload) is
 * body bytes, after checking it fits; returns the whole frame size or 0.
 */
static size_t
wire_put_header(uint8_t *dst, size_t cap, enum wire_type type, size_t body)
{
	if (body > WIRE_MAX_BODY || body > SIZE_MAX - 4 || cap < 4 + body)
		return 0;
	wire_put_u32(dst, (uint32_t)body);
	dst[4] = (uint8_t)type;
	return 4 + body;
}

/* a += b, refusing to wrap; the caller gives up with 0 on failure. */
static int
wire_add(size_t *a, size_t b)
{
	if (b > SIZE_MAX - *a)
		return -1;
	*a += b;
	return 0;
}

size_t
wire_hello_size(size_t name_len)
{
	if (name_len > WIRE_MAX_NAME)
		return 0;
	return WIRE_HEADER_SIZE + WIRE_HELLO_FIXED + name_len;
}

int
wire_syslog_stream_backlog(long somaxconn)
{
	if (somaxconn <= 0 || somaxconn > WIRE_SYSLOG_STREAM_BACKLOG)
		return WIRE_SYSLOG_STREAM_BACKLOG;
	return (int)somaxconn - 1;
}

size_t
wire_encode_hello(void *dst, size_t cap, uint8_t flags, const char *name,
    size_t name_len)
{
	uint8_t	*p = dst;
	size_t	 size;

	if ((size = wire_hello_size(name_len)) == 0 || cap < size)
		return 0;
	wire_put_header(p, cap, WIRE_HELLO, size - 4);
	p += WIRE_HEADER_SIZE;
	memcpy(p, WIRE_MAGIC, 4);
	p[4] = WIRE_VERSION;
	p[5] = flags;
	p[6] = (uint8_t)name_len;
	if (name_len != 0)
		memcpy(p + WIRE_HELLO_FIXED, name, name_len);
	return size;
}

/*
 * Returns 0 when the record cannot be encoded at all (a length too large for
 * its field, too many fields, or a frame past the u32 length prefix), so the
 * caller can treat "size 0" and "encode returned 0" the same way.
 */
size_t
wire_record_size(size_t tag_len, size_t msg_len,
    const struct wire_field *fields, size_t nfields)
{
	size_t	size = WIRE_HEADER_SIZE + WIRE_RECORD_FIXED;
	size_t	i;

	if (tag_len > WIRE_MAX_TAG || msg_len > UINT32_MAX ||
	    nfields > WIRE_MAX_FIELDS)
		return 0;
	if (wire_add(&size, tag_len) == -1 || wire_add(&size, msg_len) == -1)
		return 0;
	for (i = 0; i < nfields; i++) {
		if (fields[i].key_len > UINT16_MAX ||
		    fields[i].value_len > UINT32_MAX)
			return 0;
		if (wire_add(&size, WIRE_FIELD_FIXED) == -1 ||
		    wire_add(&size, fields[i].key_len) == -1 ||
		    wire_add(&size, fields[i].value_len) == -1)
			return 0;
	}
	if (size - 4 > WIRE_MAX_BODY)
		return 0;
	return size;
}

size_t
wire_encode_record(void *dst, size_t cap, uint8_t priority, int64_t time_ns,
    const char *tag, size_t tag_len, const char *msg, size_t msg_len,
    const struct wire_field *fields, size_t nfields)
{
	uint8_t	*p = dst;
	size_t	 size, i;

	if (priority > WIRE_MAX_PRIORITY)
		return 0;
	size = wire_record_size(tag_len, msg_len, fields, nfields);
	if (size == 0 || cap < size)
		return 0;
	wire_put_header(p, cap, WIRE_RECORD, size - 4);
	p += WIRE_HEADER_SIZE;
	p[0] = priority;
	p[1] = (uint8_t)nfields;
	wire_put_u16(p + 2, (uint16_t)tag_len);
	wire_put_u32(p + 4, (uint32_t)msg_len);
	wire_put_i64(p + 8, time_ns);
	p += WIRE_RECORD_FIXED;

	/* memcpy with a NULL source is undefined even for 0 bytes. */
	if (tag_len != 0)
		memcpy(p, tag, tag_len);
	p += tag_len;
	if (msg_len != 0)
		memcpy(p, msg, msg_len);
	p += msg_len;
	for (i = 0; i < nfields; i++) {
		wire_put_u16(p, (uint16_t)fields[i].key_len);
		wire_put_u32(p + 2, (uint32_t)fields[i].value_len);
		p += WIRE_FIELD_FIXED;
		if (fields[i].key_len != 0)
			memcpy(p, fields[i].key, fields[i].key_len);
		p += fields[i].key_len;
		if (fields[i].value_len != 0)
			memcpy(p, fields[i].value, fields[i].value_len);
		p += fields[i].value_len;
	}
	return size;
}

size_t
wire_encode_dropped(void *dst, size_t cap, uint64_t count, int64_t since_ns,
    int64_t until_ns)
{
	uint8_t	*p = dst;
	size_t	 size;

	if ((size = wire_put_header(p, cap, WIRE_DROPPED,
	    1 + WIRE_DROPPED_SIZE)) == 0)
		return 0;
	p += WIRE_HEADER_SIZE;
	wire_put_u64(p, count);
	wire_put_i64(p + 8, since_ns);
	wire_put_i64(p + 16, until_ns);
	return size;
}

size_t
wire_encode_stats(void *dst, size_t cap, uint8_t format)
{
	uint8_t	*p = dst;
	size_t	 size;

	if (format > WIRE_STATS_PROMETHEUS)
		return 0;
	if ((size = wire_put_header(p, cap, WIRE_STATS,
	    1 + WIRE_STATS_SIZE)) == 0)
		return 0;
	p[WIRE_HEADER_SIZE] = format;
	return size;
}

size_t
wire_encode_stats_reply(void *dst, size_t cap, const char *text, size_t len)
{
	uint8_t	*p = dst;
	size_t	 size;

	if (len > WIRE_MAX_BODY - 1)
		return 0;
	if ((size = wire_put_header(p, cap, WIRE_STATS_REPLY, 1 + len)) == 0)
		return 0;
	if (len != 0)
		memcpy(p + WIRE_HEADER_SIZE, text, len);
	return size;
}

/* One encoder for both directions: SYNC and its SYNC_ACK share a layout. */
size_t
wire_encode_sync(void *dst, size_t cap, enum wire_type type, uint64_t seq)
{
	uint8_t	*p = dst;
	size_t	 size;

	if (type != WIRE_SYNC && type != WIRE_SYNC_ACK)
		return 0;
	if ((size = wire_put_header(p, cap, type, 1 + WIRE_SYNC_SIZE)) == 0)
		return 0;
	wire_put_u64(p + WIRE_HEADER_SIZE, seq);
	return size;
}

size_t
wire_encode_hello_ack(void *dst, size_t cap, const struct wire_hello_ack *a)
{
	uint8_t	*p = dst;
	size_t	 size;

	if ((size = wire_put_header(p, cap, WIRE_HELLO_ACK,
	    1 + WIRE_HELLO_ACK_SIZE)) == 0)
		return 0;
	p += WIRE_HEADER_SIZE;
	p[0] = a->version;
	wire_put_u32(p + 1, a->features);
	wire_put_u32(p + 5, a->max_record);
	return size;
}

size_t
wire_encode_sync2(void *dst, size_t cap, uint64_t seq, uint8_t flags)
{
	uint8_t	*p = dst;
	size_t	 size;

	if ((size = wire_put_header(p, cap, WIRE_SYNC2,
	    1 + WIRE_SYNC2_SIZE)) == 0)
		return 0;
	wire_put_u64(p + WIRE_HEADER_SIZE, seq);
	p[WIRE_HEADER_SIZE + 8] = flags;
	return size;
}

/* Every reason this version knows is sent, in enum wire_drop order. */
size_t
wire_encode_sync2_ack(void *dst, size_t cap, const struct wire_sync2_ack *a)
{
	uint8_t	*p = dst;
	size_t	 size, i;

	if ((size = wire_put_header(p, cap, WIRE_SYNC2_ACK,
	    1 + WIRE_SYNC2_ACK_FIXED + 8 * WIRE_NDROPS)) == 0)
		return 0;
	p += WIRE_HEADER_SIZE;
	wire_put_u64(p, a->seq);
	p[8] = a->status;
	wire_put_u64(p + 9, a->received);
	p[17] = WIRE_NDROPS;
	for (i = 0; i < WIRE_NDROPS; i++)
		wire_put_u64(p + WIRE_SYNC2_ACK_FIXED + 8 * i, a->dropped[i]);
	return size;
}

size_t
wire_encode_format(void *dst, size_t cap, uint32_t id, const char *fmt,
    size_t fmt_len)
{
	uint8_t	*p = dst;
	size_t	 size;

	if (fmt_len > WIRE_MAX_FORMAT_LEN || id == 0 || id > WIRE_MAX_FORMATS)
		return 0;
	if ((size = wire_put_header(p, cap, WIRE_FORMAT, 1 + 6 + fmt_len)) == 0)
		return 0;
	p += WIRE_HEADER_SIZE;
	wire_put_u32(p, id);
	wire_put_u16(p + 4, (uint16_t)fmt_len);
	memcpy(p + 6, fmt, fmt_len);
	return size;
}

size_t
wire_encode_record_args_head(void *dst, size_t cap, uint8_t priority,
    int64_t time_ns, uint32_t id, const char *tag, size_t tag_len,
    size_t args_len)
{
	uint8_t	*p = dst;
	size_t	 body = 1 + WIRE_RECORD_ARGS_FIXED + tag_len + args_len;

	if (priority > WIRE_MAX_PRIORITY || tag_len > WIRE_MAX_TAG ||
	    args_len > UINT32_MAX - WIRE_MAX_TAG - 32 ||
	    wire_put_header(p, cap, WIRE_RECORD_ARGS, body) == 0)
		return 0;
	p += WIRE_HEADER_SIZE;
	p[0] = priority;
	p[1] = (uint8_t)tag_len;
	wire_put_u32(p + 2, id);
	wire_put_i64(p + 6, time_ns);
	wire_put_u32(p + 14, (uint32_t)args_len);
	if (tag_len != 0)
		memcpy(p + WIRE_RECORD_ARGS_FIXED, tag, tag_len);
	return WIRE_HEADER_SIZE + WIRE_RECORD_ARGS_FIXED + tag_len;
}

static int
wire_decode_record_args(const uint8_t *p, size_t n,
    struct wire_record_args *r, const char **err)
{
	if (n < WIRE_RECORD_ARGS_FIXED) {
		*err = "RECORD_ARGS too short";
		return -1;
	}
	r->priority = p[0];
	r->tag_len = p[1];
	r->id = wire_get_u32(p + 2);
	r->time_ns = wire_get_i64(p + 6);
	r->args_len = wire_get_u32(p + 14);
	if (r->priority > WIRE_MAX_PRIORITY) {
		*err = "RECORD_ARGS priority above 191";
		return -1;
	}
	if (r->tag_len > n - WIRE_RECORD_ARGS_FIXED ||
	    r->args_len != n - WIRE_RECORD_ARGS_FIXED - r->tag_len) {
		*err = "RECORD_ARGS lengths disagree with the frame";
		return -1;
	}
	r->tag = (const char *)p + WIRE_RECORD_ARGS_FIXED;
	r->args = p + WIRE_RECORD_ARGS_FIXED + r->tag_len;
	return 0;
}

static int
wire_decode_sync2_ack(const uint8_t *p, size_t n, struct wire_sync2_ack *a,
    const char **err)
{
	size_t	i, ndrops;

	if (n < WIRE_SYNC2_ACK_FIXED) {
		*err = "SYNC2_ACK too short";
		return -1;
	}
	ndrops = p[17];
	if (ndrops > WIRE_MAX_DROPS) {
		*err = "SYNC2_ACK lists too many reasons";
		return -1;
	}
	if (n != WIRE_SYNC2_ACK_FIXED + 8 * ndrops) {
		*err = "SYNC2_ACK has wrong size";
		return -1;
	}
	a->seq = wire_get_u64(p);
	a->status = p[8];
	a->received = wire_get_u64(p + 9);
	/* Reasons of a later version are skipped; missing ones are 0. */
	for (i = 0; i < WIRE_NDROPS; i++)
		a->dropped[i] = i < ndrops ?
		    wire_get_u64(p + WIRE_SYNC2_ACK_FIXED + 8 * i) : 0;
	return 0;
}

static int
wire_decode_hello(const uint8_t *p, size_t n, struct wire_hello *hello,
    const char **err)
{
	if (n < WIRE_HELLO_FIXED) {
		*err = "HELLO too short";
		return -1;
	}
	if (memcmp(p, WIRE_MAGIC, 4) != 0) {
		*err = "HELLO has bad magic";
		return -1;
	}
	/* Version 1 is the only one; a future one must be refused, not guessed. */
	if (p[4] != WIRE_VERSION) {
		*err = "HELLO has unsupported version";
		return -1;
	}
	if (p[6] > n - WIRE_HELLO_FIXED) {
		*err = "HELLO name runs past the frame";
		return -1;
	}
	if (p[6] < n - WIRE_HELLO_FIXED) {
		*err = "HELLO has trailing bytes";
		return -1;
	}
	hello->version = p[4];
	hello->flags = p[5];
	hello->name_len = p[6];
	hello->name = (const char *)p + WIRE_HELLO_FIXED;
	return 0;
}

static int
wire_decode_record(const uint8_t *p, size_t n, struct wire_record *rec,
    const char **err)
{
	size_t	off, klen, vlen, i;

	if (n < WIRE_RECORD_FIXED) {
		*err = "RECORD too short";
		return -1;
	}
	rec->priority = p[0];
	rec->nfields = p[1];
	rec->tag_len = wire_get_u16(p + 2);
	rec->msg_len = wire_get_u32(p + 4);
	rec->time_ns = wire_get_i64(p + 8);
	if (rec->priority > WIRE_MAX_PRIORITY) {
		*err = "RECORD priority above 191";
		return -1;
	}
	if (rec->nfields > WIRE_MAX_FIELDS) {
		*err = "RECORD has too many fields";
		return -1;
	}
	if (rec->tag_len > WIRE_MAX_TAG) {
		*err = "RECORD tag too long";
		return -1;
	}

	/*
	 * Each check below is "length > bytes left", never "off + length > n",
	 * so a hostile length cannot wrap the sum.
	 */
	off = WIRE_RECORD_FIXED;
	if (rec->tag_len > n - off) {
		*err = "RECORD tag runs past the frame";
		return -1;
	}
	rec->tag = (const char *)p + off;
	off += rec->tag_len;
	if (rec->msg_len > n - off) {
		*err = "RECORD message runs past the frame";
		return -1;
	}
	rec->msg = (const char *)p + off;
	off += rec->msg_len;

	for (i = 0; i < rec->nfields; i++) {
		if (WIRE_FIELD_FIXED > n - off) {
			*err = "RECORD field header runs past the frame";
			return -1;
		}
		klen = wire_get_u16(p + off);
		vlen = wire_get_u32(p + off + 2);
		off += WIRE_FIELD_FIXED;
		if (klen > n - off) {
			*err = "RECORD field key runs past the frame";
			return -1;
		}
		rec->fields[i].key = (const char *)p + off;
		rec->fields[i].key_len = klen;
		off += klen;
		if (vlen > n - off) {
			*err = "RECORD field value runs past the frame";
			return -1;
		}
		rec->fields[i].value = (const char *)p + off;
		rec->fields[i].value_len = vlen;
		off += vlen;
	}
	if (off != n) {
		*err = "RECORD has trailing bytes";
		return -1;
	}
	return 0;
}

ssize_t
wire_decode(const void *buf, size_t len, size_t max_frame,
    struct wire_frame *frame, const char **err)
{
	const uint8_t	*p = buf;
	const char	*dummy;
	size_t		 body, n;
	uint8_t		 type;

	if (err == NULL)
		err = &dummy;
	*err = NULL;

	/* The return value is a ssize_t: never accept a frame it cannot hold. */
	if (max_frame > SSIZE_MAX)
		max_frame = SSIZE_MAX;

	if (len < 4)
		return 0;
	body = wire_get_u32(p);
	if (body == 0) {
		*err = "frame length is 0";
		return -1;
	}
	if (max_frame < 4 || body > max_frame - 4) {
		*err = "frame larger than maximum";
		return -1;
	}
	if (len < 5)
		return 0;
	type = p[4];
	if (type < WIRE_HELLO || type > WIRE_TYPE_MAX) {
		*err = "unknown frame type";
		return -1;
	}
	if (len - 4 < body)
		return 0;

	/* No memset: a RECORD frame is over 1 KiB with its field slots, and
	 * every decoder below sets each member it defines. */
	frame->type = type;
	frame->size = 4 + body;
	p += WIRE_HEADER_SIZE;
	n = body - 1;		/* payload bytes */

	switch (frame->type) {
	case WIRE_HELLO:
		if (wire_decode_hello(p, n, &frame->u.hello, err) == -1)
			return -1;
		break;
	case WIRE_RECORD:
		if (wire_decode_record(p, n, &frame->u.record, err) == -1)
			return -1;
		break;
	case WIRE_DROPPED:
		if (n != WIRE_DROPPED_SIZE) {
			*err = "DROPPED has wrong size";
			return -1;
		}
		frame->u.dropped.count = wire_get_u64(p);
		frame->u.dropped.since_ns = wire_get_i64(p + 8);
		frame->u.dropped.until_ns = wire_get_i64(p + 16);
		break;
	case WIRE_STATS:
		if (n != WIRE_STATS_SIZE) {
			*err = "STATS has wrong size";
			return -1;
		}
		if (p[0] > WIRE_STATS_PROMETHEUS) {
			*err = "STATS has unknown format";
			return -1;
		}
		frame->u.stats_format = p[0];
		break;
	case WIRE_STATS_REPLY:
		frame->u.stats_reply.text = (const char *)p;
		frame->u.stats_reply.len = n;
		break;
	case WIRE_SYNC:
	case WIRE_SYNC_ACK:
		if (n != WIRE_SYNC_SIZE) {
			*err = frame->type == WIRE_SYNC ?
			    "SYNC has wrong size" : "SYNC_ACK has wrong size";
			return -1;
		}
		frame->u.sync_seq = wire_get_u64(p);
		break;
	case WIRE_HELLO_ACK:
		if (n != WIRE_HELLO_ACK_SIZE) {
			*err = "HELLO_ACK has wrong size";
			return -1;
		}
		/* A later daemon may say a higher version: the features
		 * say what it does, and unknown bits are ignored. */
		if (p[0] < WIRE_VERSION2) {
			*err = "HELLO_ACK has version below 2";
			return -1;
		}
		frame->u.hello_ack.version = p[0];
		frame->u.hello_ack.features = wire_get_u32(p + 1);
		frame->u.hello_ack.max_record = wire_get_u32(p + 5);
		break;
	case WIRE_SYNC2:
		if (n != WIRE_SYNC2_SIZE) {
			*err = "SYNC2 has wrong size";
			return -1;
		}
		frame->u.sync2.seq = wire_get_u64(p);
		frame->u.sync2.flags = p[8];
		break;
	case WIRE_SYNC2_ACK:
		if (wire_decode_sync2_ack(p, n, &frame->u.sync2_ack, err) == -1)
			return -1;
		break;
	case WIRE_FORMAT:
		if (n < 6 || (size_t)wire_get_u16(p + 4) != n - 6) {
			*err = "FORMAT length disagrees with the frame";
			return -1;
		}
		frame->u.format.id = wire_get_u32(p);
		frame->u.format.fmt = (const char *)p + 6;
		frame->u.format.fmt_len = n - 6;
		if (frame->u.format.id == 0 ||
		    frame->u.format.id > WIRE_MAX_FORMATS ||
		    frame->u.format.fmt_len > WIRE_MAX_FORMAT_LEN) {
			*err = "FORMAT id or length out of range";
			return -1;
		}
		break;
	case WIRE_RECORD_ARGS:
		if (wire_decode_record_args(p, n, &frame->u.record_args,
		    err) == -1)
			return -1;
		break;
	}
	return (ssize_t)frame->size;
}
