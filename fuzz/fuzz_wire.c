/*
 * fuzz_wire.c: libFuzzer target for the native frame decoder, wire_decode().
 *
 * The input is a stream of frames as a client would send them, preceded by
 * one byte that picks max_frame. Frames are decoded one after another, as
 * conn.c does, until the decoder wants more bytes or rejects one. Properties:
 *   - an accepted frame lies within the bytes given, its size agrees with
 *     wire_frame_len() and wire_frame_type(), and every pointer of the
 *     decoded frame points inside it;
 *   - it is canonical: encoding what was decoded with the wire_encode_*
 *     functions gives back exactly the same bytes, so one frame can never be
 *     read two ways;
 *   - every proper prefix of an accepted frame asks for more bytes (0),
 *     never rejects it, whatever the read boundaries;
 *   - a rejected frame comes with a reason.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const size_t fuzz_max_frames[] = {
	0, 4, 5, 6, 16, 64, 300, 4096,
	WIRE_DEFAULT_MAX_RECORD + WIRE_RECORD_OVERHEAD, SIZE_MAX,
};

/* RECORD_ARGS: its head, then the arguments as the library writes them. */
static size_t
fuzz_reencode_args(const struct wire_record_args *a, uint8_t *dst, size_t cap)
{
	size_t	head;

	head = wire_encode_record_args_head(dst, cap, a->priority, a->time_ns,
	    a->id, a->tag, a->tag_len, a->args_len);
	if (head == 0 || cap - head < a->args_len)
		return 0;
	memcpy(dst + head, a->args, a->args_len);
	return head + a->args_len;
}

/* Encode f again into dst (cap bytes); returns what the encoder returned. */
static size_t
fuzz_reencode(const struct wire_frame *f, uint8_t *dst, size_t cap)
{
	const struct wire_record	*r = &f->u.record;

	switch (f->type) {
	case WIRE_HELLO:
		return wire_encode_hello(dst, cap, f->u.hello.flags,
		    f->u.hello.name, f->u.hello.name_len);
	case WIRE_RECORD:
		return wire_encode_record(dst, cap, r->priority, r->time_ns,
		    r->tag, r->tag_len, r->msg, r->msg_len, r->fields,
		    r->nfields);
	case WIRE_DROPPED:
		return wire_encode_dropped(dst, cap, f->u.dropped.count,
		    f->u.dropped.since_ns, f->u.dropped.until_ns);
	case WIRE_STATS:
		return wire_encode_stats(dst, cap, f->u.stats_format);
	case WIRE_STATS_REPLY:
		return wire_encode_stats_reply(dst, cap, f->u.stats_reply.text,
		    f->u.stats_reply.len);
	case WIRE_SYNC:
	case WIRE_SYNC_ACK:
		return wire_encode_sync(dst, cap, f->type, f->u.sync_seq);
	case WIRE_HELLO_ACK:
		return wire_encode_hello_ack(dst, cap, &f->u.hello_ack);
	case WIRE_SYNC2:
		return wire_encode_sync2(dst, cap, f->u.sync2.seq,
		    f->u.sync2.flags);
	case WIRE_SYNC2_ACK:
		return wire_encode_sync2_ack(dst, cap, &f->u.sync2_ack);
	case WIRE_FORMAT:
		return wire_encode_format(dst, cap, f->u.format.id,
		    f->u.format.fmt, f->u.format.fmt_len);
	case WIRE_RECORD_ARGS:
		return fuzz_reencode_args(&f->u.record_args, dst, cap);
	}
	return 0;
}

/* Every pointer the decoder set lies inside the frame at p. */
static void
fuzz_check_pointers(const struct wire_frame *f, const uint8_t *p)
{
	const struct wire_record	*r = &f->u.record;
	size_t				 i;

	switch (f->type) {
	case WIRE_HELLO:
		FUZZ_CHECK(fuzz_within(f->u.hello.name, f->u.hello.name_len,
		    p, f->size), "HELLO name outside the frame");
		FUZZ_CHECK(f->u.hello.version == WIRE_VERSION, "version %u",
		    f->u.hello.version);
		break;
	case WIRE_RECORD:
		FUZZ_CHECK(r->priority <= WIRE_MAX_PRIORITY, "priority %u",
		    r->priority);
		FUZZ_CHECK(r->tag_len <= WIRE_MAX_TAG, "tag_len %zu",
		    r->tag_len);
		FUZZ_CHECK(r->nfields <= WIRE_MAX_FIELDS, "nfields %zu",
		    r->nfields);
		FUZZ_CHECK(fuzz_within(r->tag, r->tag_len, p, f->size),
		    "tag outside the frame");
		FUZZ_CHECK(fuzz_within(r->msg, r->msg_len, p, f->size),
		    "message outside the frame");
		for (i = 0; i < r->nfields; i++) {
			FUZZ_CHECK(fuzz_within(r->fields[i].key,
			    r->fields[i].key_len, p, f->size),
			    "field %zu key outside the frame", i);
			FUZZ_CHECK(fuzz_within(r->fields[i].value,
			    r->fields[i].value_len, p, f->size),
			    "field %zu value outside the frame", i);
		}
		break;
	case WIRE_STATS:
		FUZZ_CHECK(f->u.stats_format == WIRE_STATS_TEXT ||
		    f->u.stats_format == WIRE_STATS_JSON ||
		    f->u.stats_format == WIRE_STATS_PROMETHEUS,
		    "stats format %u", f->u.stats_format);
		break;
	case WIRE_FORMAT:
		FUZZ_CHECK(fuzz_within(f->u.format.fmt, f->u.format.fmt_len,
		    p, f->size), "FORMAT text outside the frame");
		FUZZ_CHECK(f->u.format.id >= 1 &&
		    f->u.format.id <= WIRE_MAX_FORMATS, "format id %u",
		    f->u.format.id);
		break;
	case WIRE_RECORD_ARGS:
		FUZZ_CHECK(fuzz_within(f->u.record_args.tag,
		    f->u.record_args.tag_len, p, f->size),
		    "RECORD_ARGS tag outside the frame");
		FUZZ_CHECK(fuzz_within(f->u.record_args.args,
		    f->u.record_args.args_len, p, f->size),
		    "RECORD_ARGS arguments outside the frame");
		break;
	case WIRE_STATS_REPLY:
		FUZZ_CHECK(fuzz_within(f->u.stats_reply.text,
		    f->u.stats_reply.len, p, f->size),
		    "STATS_REPLY text outside the frame");
		break;
	default:
		break;
	}
}

/* One accepted frame of size n at p, decoded into f. */
static void
fuzz_check_frame(const uint8_t *p, size_t n, size_t max_frame,
    const struct wire_frame *f)
{
	static struct wire_frame	 g;
	static uint8_t			*enc;
	static size_t			 enccap;
	const char			*err;
	size_t				 k, m;

	FUZZ_CHECK(f->size == n, "size %zu, returned %zu", f->size, n);
	FUZZ_CHECK(n >= WIRE_HEADER_SIZE, "frame of %zu bytes", n);
	FUZZ_CHECK(n <= max_frame, "frame of %zu bytes, max %zu", n,
	    max_frame);
	FUZZ_CHECK(wire_frame_len(p, n) == n, "wire_frame_len %zu, size %zu",
	    wire_frame_len(p, n), n);
	FUZZ_CHECK(wire_frame_type(p, n) == (int)f->type, "type %d, %d",
	    wire_frame_type(p, n), (int)f->type);
	fuzz_check_pointers(f, p);

	/* Canonical: it encodes back to the very same bytes, and needs all
	 * of them (one byte less does not fit). A SYNC2_ACK listing another
	 * number of reasons than ours (a later or earlier daemon's) is read,
	 * not written, by this version. */
	if (f->type == WIRE_SYNC2_ACK && p[WIRE_HEADER_SIZE + 17] != WIRE_NDROPS)
		goto prefixes;
	if (enccap < n) {
		free(enc);
		enccap = n;
		if ((enc = malloc(enccap)) == NULL)
			abort();
	}
	m = fuzz_reencode(f, enc, n);
	FUZZ_CHECK(m == n, "re-encoded to %zu bytes, decoded %zu", m, n);
	FUZZ_CHECK(memcmp(enc, p, n) == 0, "re-encoded bytes differ");
	FUZZ_CHECK(fuzz_reencode(f, enc, n - 1) == 0,
	    "encoder wrote %zu bytes into %zu", n, n - 1);
	if (f->type == WIRE_RECORD)
		FUZZ_CHECK(wire_record_size(f->u.record.tag_len,
		    f->u.record.msg_len, f->u.record.fields,
		    f->u.record.nfields) == n, "wire_record_size disagrees");

prefixes:
	/* Any read boundary inside the frame means "more", never "bad". */
	for (k = 0; k < n; k += k < 16 ? 1 : 1 + n / 16) {
		FUZZ_CHECK(wire_decode(p, k, max_frame, &g, &err) == 0,
		    "prefix of %zu of a %zu-byte frame: %s", k, n,
		    err != NULL ? err : "accepted");
	}
	FUZZ_CHECK(wire_decode(p, n - 1, max_frame, &g, &err) == 0,
	    "prefix of %zu of a %zu-byte frame: %s", n - 1, n,
	    err != NULL ? err : "accepted");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wire_frame	 f;
	const char			*err;
	size_t				 max_frame, off = 0;
	ssize_t				 r;

	if (size < 1)
		return 0;
	max_frame = fuzz_max_frames[data[0] % (sizeof fuzz_max_frames /
	    sizeof fuzz_max_frames[0])];
	data++;
	size--;

	while (off < size) {
		r = wire_decode(data + off, size - off, max_frame, &f, &err);
		if (r == -1) {
			FUZZ_CHECK(err != NULL && *err != '\0',
			    "rejected without a reason");
			break;
		}
		FUZZ_CHECK(err == NULL, "reason \"%s\" for a frame not rejected",
		    err);
		if (r == 0)
			break;
		FUZZ_CHECK((size_t)r <= size - off, "frame of %zd bytes in %zu",
		    r, size - off);
		fuzz_check_frame(data + off, (size_t)r, max_frame, &f);
		off += (size_t)r;
	}
	return 0;
}
