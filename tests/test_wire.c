/*
 * test_wire.c: unit tests for the native frame encoder and decoder.
 *
 * wire.c is pure, so every frame type is round-tripped directly and every way
 * a frame can be malformed is built by hand, byte by byte, as docs/protocol.md
 * describes it: if these tests and that document disagree, one of them is
 * wrong.
 */

#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

#define MAX_FRAME	(WIRE_DEFAULT_MAX_RECORD + 4096)

static uint8_t	buf[2 * MAX_FRAME];

/* Decode a frame that must be valid and exactly n bytes long. */
static void
decode_ok(const void *p, size_t n, struct wire_frame *f)
{
	const char	*err = NULL;
	ssize_t		 r;

	r = wire_decode(p, n, MAX_FRAME, f, &err);
	cr_assert_eq(r, (ssize_t)n, "decode returned %zd (%s), want %zu",
	    r, err ? err : "no error", n);
	cr_assert_eq(f->size, n);
}

/* Decode bytes that must be rejected; return the reason. */
static const char *
decode_bad(const void *p, size_t n, size_t max_frame)
{
	struct wire_frame	 f;
	const char		*err = NULL;

	cr_assert_eq(wire_decode(p, n, max_frame, &f, &err), -1);
	cr_assert_not_null(err);
	return err;
}

/* Every strict prefix of a valid frame asks for more bytes. */
static void
assert_prefixes_incomplete(const uint8_t *p, size_t n)
{
	struct wire_frame	 f;
	const char		*err;
	size_t			 i;

	for (i = 0; i < n; i++) {
		err = NULL;
		cr_assert_eq(wire_decode(p, i, MAX_FRAME, &f, &err), 0,
		    "prefix of %zu/%zu bytes not incomplete (%s)", i, n,
		    err ? err : "");
	}
}

static void
put_u16(uint8_t *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
}

static void
put_u32(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = v >> 24;
}

/* A valid record with one field, for the malformed-RECORD tests to damage. */
static size_t
sample_record(uint8_t *dst)
{
	struct wire_field	 f = { "k", 1, "vv", 2 };
	size_t			 n;

	n = wire_encode_record(dst, MAX_FRAME, 13, 42, "tag", 3, "hello", 5,
	    &f, 1);
	cr_assert_eq(n, 5 + 16 + 3 + 5 + 6 + 1 + 2);
	return n;
}

/* Offsets into sample_record()'s frame. */
#define REC_PRIORITY	5
#define REC_NFIELDS	6
#define REC_TAG_LEN	7
#define REC_MSG_LEN	9
#define REC_FIELD	(5 + 16 + 3 + 5)

/* ---- frame length from the header ---- */

Test(wire, frame_len_is_the_prefix_plus_four)
{
	struct wire_frame	f;
	size_t			n;

	n = wire_encode_hello(buf, sizeof buf, 0, "myapp", 5);
	cr_assert_eq(wire_frame_len(buf, n), n);
	cr_assert_eq(wire_frame_len(buf, 4), n);
	decode_ok(buf, n, &f);
	cr_assert_eq(wire_frame_len(buf, n), f.size);
}

Test(wire, frame_len_reads_little_endian_and_checks_nothing_else)
{
	static const uint8_t	p[] = { 0x01, 0x02, 0x03, 0x04 };
	static const uint8_t	max[] = { 0xff, 0xff, 0xff, 0xff };

	cr_assert_eq(wire_frame_len(p, sizeof p), 0x04030201u + 4);
	cr_assert_eq(wire_frame_len(max, sizeof max), (size_t)UINT32_MAX + 4);
}

Test(wire, frame_type_is_the_byte_after_the_prefix)
{
	size_t n = wire_encode_hello(buf, sizeof buf, 0, "myapp", 5);

	cr_assert_eq(wire_frame_type(buf, n), WIRE_HELLO);
	cr_assert_eq(wire_frame_type(buf, WIRE_HEADER_SIZE), WIRE_HELLO);
	cr_assert_eq(wire_frame_type(buf, WIRE_HEADER_SIZE - 1), -1);
}

Test(wire, frame_len_is_0_before_the_prefix_is_complete)
{
	static const uint8_t	p[] = { 5, 0, 0, 0 };

	cr_assert_eq(wire_frame_len(p, 0), 0);
	cr_assert_eq(wire_frame_len(p, 3), 0);
}

/* ---- round trips ---- */

Test(wire, hello_round_trips_with_name_and_flags)
{
	struct wire_frame	f;
	size_t			n;

	n = wire_encode_hello(buf, sizeof buf, 0x5a, "myapp", 5);
	cr_assert_eq(n, wire_hello_size(5));
	cr_assert_eq(n, 5 + 7 + 5);
	decode_ok(buf, n, &f);
	cr_assert_eq(f.type, WIRE_HELLO);
	cr_assert_eq(f.u.hello.version, WIRE_VERSION);
	cr_assert_eq(f.u.hello.flags, 0x5a);
	cr_assert_eq(f.u.hello.name_len, 5);
	cr_assert_arr_eq(f.u.hello.name, "myapp", 5);
}

Test(wire, hello_is_byte_exact)
{
	static const uint8_t	want[] = {
		10, 0, 0, 0, WIRE_HELLO, 'A', 'L', 'O', 'G', 1, 3, 2, 'a', 'b'
	};
	size_t			n;

	n = wire_encode_hello(buf, sizeof buf, 3, "ab", 2);
	cr_assert_eq(n, sizeof want);
	cr_assert_arr_eq(buf, want, sizeof want);
}

Test(wire, hello_round_trips_with_empty_and_maximal_names)
{
	struct wire_frame	f;
	char			name[WIRE_MAX_NAME];
	size_t			n;

	n = wire_encode_hello(buf, sizeof buf, 0, NULL, 0);
	decode_ok(buf, n, &f);
	cr_assert_eq(f.u.hello.name_len, 0);

	memset(name, 'n', sizeof name);
	n = wire_encode_hello(buf, sizeof buf, 0, name, sizeof name);
	decode_ok(buf, n, &f);
	cr_assert_eq(f.u.hello.name_len, WIRE_MAX_NAME);
	cr_assert_arr_eq(f.u.hello.name, name, sizeof name);
}

Test(wire, hello_name_longer_than_255_is_not_encoded)
{
	char	name[WIRE_MAX_NAME + 1];

	memset(name, 'n', sizeof name);
	cr_assert_eq(wire_hello_size(sizeof name), 0);
	cr_assert_eq(wire_encode_hello(buf, sizeof buf, 0, name, sizeof name),
	    0);
}

Test(wire, record_round_trips_every_field)
{
	struct wire_field	 in[2] = {
		{ "user", 4, "alice", 5 },
		{ "id", 2, "", 0 },
	};
	struct wire_frame	 f;
	struct wire_record	*r = &f.u.record;
	size_t			 n;

	n = wire_encode_record(buf, sizeof buf, 191, -123456789012345LL,
	    "app", 3, "the message", 11, in, 2);
	cr_assert_eq(n, wire_record_size(3, 11, in, 2));
	decode_ok(buf, n, &f);
	cr_assert_eq(f.type, WIRE_RECORD);
	cr_assert_eq(r->priority, 191);
	cr_assert_eq(r->time_ns, -123456789012345LL);
	cr_assert_eq(r->tag_len, 3);
	cr_assert_arr_eq(r->tag, "app", 3);
	cr_assert_eq(r->msg_len, 11);
	cr_assert_arr_eq(r->msg, "the message", 11);
	cr_assert_eq(r->nfields, 2);
	cr_assert_eq(r->fields[0].key_len, 4);
	cr_assert_arr_eq(r->fields[0].key, "user", 4);
	cr_assert_eq(r->fields[0].value_len, 5);
	cr_assert_arr_eq(r->fields[0].value, "alice", 5);
	cr_assert_eq(r->fields[1].key_len, 2);
	cr_assert_eq(r->fields[1].value_len, 0);
}

Test(wire, record_is_byte_exact)
{
	static const uint8_t	 want[] = {
		28, 0, 0, 0, WIRE_RECORD,
		14, 1, 1, 0, 2, 0, 0, 0,
		0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
		't', 'm', 's',
		1, 0, 1, 0, 0, 0, 'k', 'v',
	};
	struct wire_field	 fl = { "k", 1, "v", 1 };
	size_t			 n;

	n = wire_encode_record(buf, sizeof buf, 14, 0x0102030405060708LL,
	    "t", 1, "ms", 2, &fl, 1);
	cr_assert_eq(n, sizeof want);
	cr_assert_arr_eq(buf, want, sizeof want);
}

Test(wire, record_message_may_contain_nul_bytes)
{
	static const char	 msg[] = "a\0b\0\0c";
	struct wire_frame	 f;
	size_t			 n;

	n = wire_encode_record(buf, sizeof buf, 6, 0, "t", 1, msg,
	    sizeof msg, NULL, 0);
	decode_ok(buf, n, &f);
	cr_assert_eq(f.u.record.msg_len, sizeof msg);
	cr_assert_arr_eq(f.u.record.msg, msg, sizeof msg);
}

Test(wire, record_with_empty_tag_and_message_round_trips)
{
	struct wire_frame	f;
	size_t			n;

	n = wire_encode_record(buf, sizeof buf, 0, 0, NULL, 0, NULL, 0,
	    NULL, 0);
	cr_assert_eq(n, 5 + 16);
	decode_ok(buf, n, &f);
	cr_assert_eq(f.u.record.tag_len, 0);
	cr_assert_eq(f.u.record.msg_len, 0);
	cr_assert_eq(f.u.record.nfields, 0);
}

Test(wire, record_with_32_fields_round_trips)
{
	struct wire_field	in[WIRE_MAX_FIELDS];
	char			keys[WIRE_MAX_FIELDS][8], vals[WIRE_MAX_FIELDS][8];
	struct wire_frame	f;
	size_t			i, n;

	for (i = 0; i < WIRE_MAX_FIELDS; i++) {
		in[i].key_len = (size_t)snprintf(keys[i], sizeof keys[i], "k%zu", i);
		in[i].value_len = (size_t)snprintf(vals[i], sizeof vals[i], "v%zu", i);
		in[i].key = keys[i];
		in[i].value = vals[i];
	}
	n = wire_encode_record(buf, sizeof buf, 1, 1, "t", 1, "m", 1, in,
	    WIRE_MAX_FIELDS);
	cr_assert_gt(n, 0);
	decode_ok(buf, n, &f);
	cr_assert_eq(f.u.record.nfields, WIRE_MAX_FIELDS);
	for (i = 0; i < WIRE_MAX_FIELDS; i++) {
		cr_assert_eq(f.u.record.fields[i].key_len, in[i].key_len);
		cr_assert_arr_eq(f.u.record.fields[i].key, keys[i],
		    in[i].key_len);
		cr_assert_eq(f.u.record.fields[i].value_len, in[i].value_len);
		cr_assert_arr_eq(f.u.record.fields[i].value, vals[i],
		    in[i].value_len);
	}
}

Test(wire, record_with_maximal_tag_and_message_round_trips)
{
	static char		msg[WIRE_DEFAULT_MAX_RECORD];
	char			tag[WIRE_MAX_TAG];
	struct wire_frame	f;
	size_t			i, n;

	memset(tag, 'T', sizeof tag);
	for (i = 0; i < sizeof msg; i++)
		msg[i] = (char)i;
	n = wire_encode_record(buf, sizeof buf, 191, INT64_MAX, tag,
	    sizeof tag, msg, sizeof msg, NULL, 0);
	cr_assert_eq(n, 5 + 16 + WIRE_MAX_TAG + WIRE_DEFAULT_MAX_RECORD);
	decode_ok(buf, n, &f);
	cr_assert_eq(f.u.record.time_ns, INT64_MAX);
	cr_assert_eq(f.u.record.tag_len, WIRE_MAX_TAG);
	cr_assert_eq(f.u.record.msg_len, sizeof msg);
	cr_assert_arr_eq(f.u.record.msg, msg, sizeof msg);
}

Test(wire, record_that_exactly_fills_max_frame_is_accepted)
{
	static char		 msg[MAX_FRAME];
	struct wire_frame	 f;
	const char		*err = NULL;
	size_t			 n;

	n = wire_encode_record(buf, sizeof buf, 0, 0, NULL, 0, msg,
	    MAX_FRAME - 21, NULL, 0);
	cr_assert_eq(n, MAX_FRAME);
	cr_assert_eq(wire_decode(buf, n, MAX_FRAME, &f, &err), MAX_FRAME);
	cr_assert_eq(wire_decode(buf, n, MAX_FRAME - 1, &f, &err), -1);
	cr_assert_not_null(err);
}

Test(wire, record_time_survives_int64_extremes)
{
	struct wire_frame	f;
	size_t			n;

	n = wire_encode_record(buf, sizeof buf, 0, INT64_MIN, NULL, 0, NULL,
	    0, NULL, 0);
	decode_ok(buf, n, &f);
	cr_assert_eq(f.u.record.time_ns, INT64_MIN);
	n = wire_encode_record(buf, sizeof buf, 0, -1, NULL, 0, NULL, 0,
	    NULL, 0);
	decode_ok(buf, n, &f);
	cr_assert_eq(f.u.record.time_ns, -1);
}

Test(wire, record_encoder_refuses_what_the_decoder_would_reject)
{
	struct wire_field	fl[WIRE_MAX_FIELDS + 1];
	char			tag[WIRE_MAX_TAG + 1];

	memset(fl, 0, sizeof fl);
	memset(tag, 't', sizeof tag);
	cr_assert_eq(wire_encode_record(buf, sizeof buf, 192, 0, NULL, 0,
	    NULL, 0, NULL, 0), 0);
	cr_assert_eq(wire_record_size(sizeof tag, 0, NULL, 0), 0);
	cr_assert_eq(wire_encode_record(buf, sizeof buf, 0, 0, tag,
	    sizeof tag, NULL, 0, NULL, 0), 0);
	cr_assert_eq(wire_record_size(0, 0, fl, WIRE_MAX_FIELDS + 1), 0);
	cr_assert_eq(wire_encode_record(buf, sizeof buf, 0, 0, NULL, 0,
	    NULL, 0, fl, WIRE_MAX_FIELDS + 1), 0);
	fl[0].key_len = (size_t)UINT16_MAX + 1;
	cr_assert_eq(wire_record_size(0, 0, fl, 1), 0);
}

Test(wire, dropped_round_trips)
{
	struct wire_frame	f;
	size_t			n;

	n = wire_encode_dropped(buf, sizeof buf, UINT64_MAX, -5,
	    1700000000123456789LL);
	cr_assert_eq(n, 5 + 24);
	decode_ok(buf, n, &f);
	cr_assert_eq(f.type, WIRE_DROPPED);
	cr_assert_eq(f.u.dropped.count, UINT64_MAX);
	cr_assert_eq(f.u.dropped.since_ns, -5);
	cr_assert_eq(f.u.dropped.until_ns, 1700000000123456789LL);
}

Test(wire, stats_round_trips_both_formats)
{
	struct wire_frame	f;
	size_t			n;

	n = wire_encode_stats(buf, sizeof buf, WIRE_STATS_TEXT);
	cr_assert_eq(n, 6);
	decode_ok(buf, n, &f);
	cr_assert_eq(f.type, WIRE_STATS);
	cr_assert_eq(f.u.stats_format, WIRE_STATS_TEXT);
	n = wire_encode_stats(buf, sizeof buf, WIRE_STATS_JSON);
	decode_ok(buf, n, &f);
	cr_assert_eq(f.u.stats_format, WIRE_STATS_JSON);
}

Test(wire, stats_encoder_refuses_unknown_format)
{
	cr_assert_eq(wire_encode_stats(buf, sizeof buf, 3), 0);
}

Test(wire, stats_reply_round_trips_text_and_empty)
{
	static const char	 text[] = "received 10\nwritten 10\n";
	struct wire_frame	 f;
	size_t			 n;

	n = wire_encode_stats_reply(buf, sizeof buf, text, sizeof text - 1);
	cr_assert_eq(n, 5 + sizeof text - 1);
	decode_ok(buf, n, &f);
	cr_assert_eq(f.type, WIRE_STATS_REPLY);
	cr_assert_eq(f.u.stats_reply.len, sizeof text - 1);
	cr_assert_arr_eq(f.u.stats_reply.text, text, sizeof text - 1);

	n = wire_encode_stats_reply(buf, sizeof buf, NULL, 0);
	cr_assert_eq(n, 5);
	decode_ok(buf, n, &f);
	cr_assert_eq(f.u.stats_reply.len, 0);
}

Test(wire, sync_and_sync_ack_round_trip_their_sequence)
{
	struct wire_frame	f;
	size_t			n;

	n = wire_encode_sync(buf, sizeof buf, WIRE_SYNC, 0x1122334455667788ULL);
	cr_assert_eq(n, 5 + 8);
	decode_ok(buf, n, &f);
	cr_assert_eq(f.type, WIRE_SYNC);
	cr_assert_eq(f.u.sync_seq, 0x1122334455667788ULL);

	n = wire_encode_sync(buf, sizeof buf, WIRE_SYNC_ACK, 7);
	decode_ok(buf, n, &f);
	cr_assert_eq(f.type, WIRE_SYNC_ACK);
	cr_assert_eq(f.u.sync_seq, 7);
}

Test(wire, sync_encoder_refuses_other_types)
{
	cr_assert_eq(wire_encode_sync(buf, sizeof buf, WIRE_RECORD, 1), 0);
}

Test(wire, back_to_back_frames_decode_one_at_a_time)
{
	struct wire_frame	f;
	size_t			a, b;

	a = wire_encode_hello(buf, sizeof buf, 0, "x", 1);
	b = wire_encode_sync(buf + a, sizeof buf - a, WIRE_SYNC, 9);
	cr_assert_eq(wire_decode(buf, a + b, MAX_FRAME, &f, NULL), (ssize_t)a);
	cr_assert_eq(f.type, WIRE_HELLO);
	cr_assert_eq(wire_decode(buf + a, b, MAX_FRAME, &f, NULL), (ssize_t)b);
	cr_assert_eq(f.u.sync_seq, 9);
}

/* ---- partial input ---- */

Test(wire, every_prefix_of_every_frame_type_is_incomplete)
{
	struct wire_field	fl[2] = { { "a", 1, "b", 1 }, { "cc", 2, "", 0 } };
	uint8_t			fr[512];
	size_t			n;

	n = wire_encode_hello(fr, sizeof fr, 1, "name", 4);
	assert_prefixes_incomplete(fr, n);
	n = wire_encode_record(fr, sizeof fr, 3, 4, "tag", 3, "m\0sg", 4,
	    fl, 2);
	assert_prefixes_incomplete(fr, n);
	n = wire_encode_dropped(fr, sizeof fr, 1, 2, 3);
	assert_prefixes_incomplete(fr, n);
	n = wire_encode_stats(fr, sizeof fr, WIRE_STATS_JSON);
	assert_prefixes_incomplete(fr, n);
	n = wire_encode_stats_reply(fr, sizeof fr, "{}", 2);
	assert_prefixes_incomplete(fr, n);
	n = wire_encode_sync(fr, sizeof fr, WIRE_SYNC, 1);
	assert_prefixes_incomplete(fr, n);
	n = wire_encode_sync(fr, sizeof fr, WIRE_SYNC_ACK, 1);
	assert_prefixes_incomplete(fr, n);
}

/* ---- encoders and small buffers ---- */

Test(wire, encoders_return_0_when_cap_is_too_small)
{
	struct wire_field	fl = { "k", 1, "v", 1 };
	size_t			n;

	n = wire_hello_size(3);
	cr_assert_eq(wire_encode_hello(buf, n - 1, 0, "abc", 3), 0);
	cr_assert_eq(wire_encode_hello(buf, n, 0, "abc", 3), n);

	n = wire_record_size(1, 2, &fl, 1);
	cr_assert_eq(wire_encode_record(buf, n - 1, 0, 0, "t", 1, "ms", 2,
	    &fl, 1), 0);
	cr_assert_eq(wire_encode_record(buf, n, 0, 0, "t", 1, "ms", 2,
	    &fl, 1), n);

	cr_assert_eq(wire_encode_dropped(buf, 28, 1, 2, 3), 0);
	cr_assert_eq(wire_encode_dropped(buf, 29, 1, 2, 3), 29);
	cr_assert_eq(wire_encode_stats(buf, 5, 0), 0);
	cr_assert_eq(wire_encode_stats(buf, 6, 0), 6);
	cr_assert_eq(wire_encode_stats_reply(buf, 7, "abc", 3), 0);
	cr_assert_eq(wire_encode_stats_reply(buf, 8, "abc", 3), 8);
	cr_assert_eq(wire_encode_sync(buf, 12, WIRE_SYNC, 1), 0);
	cr_assert_eq(wire_encode_sync(buf, 13, WIRE_SYNC, 1), 13);
	cr_assert_eq(wire_encode_sync(buf, 0, WIRE_SYNC, 1), 0);
}

Test(wire, encoders_do_not_write_past_cap)
{
	uint8_t	small[8];

	memset(small, 0xee, sizeof small);
	cr_assert_eq(wire_encode_hello(small, 4, 0, "abcdef", 6), 0);
	cr_assert_eq(small[4], 0xee);
}

/* ---- malformed frames ---- */

Test(wire, length_prefix_of_zero_is_rejected)
{
	static const uint8_t	fr[] = { 0, 0, 0, 0 };

	decode_bad(fr, sizeof fr, MAX_FRAME);
}

Test(wire, length_past_max_frame_is_rejected_from_the_prefix_alone)
{
	uint8_t	fr[4];

	put_u32(fr, MAX_FRAME - 4 + 1);
	decode_bad(fr, sizeof fr, MAX_FRAME);
	put_u32(fr, UINT32_MAX);
	decode_bad(fr, sizeof fr, MAX_FRAME);
}

Test(wire, max_frame_smaller_than_a_header_rejects_everything)
{
	size_t	n = wire_encode_stats(buf, sizeof buf, 0);

	decode_bad(buf, n, 3);
}

Test(wire, unknown_frame_type_is_rejected)
{
	uint8_t	fr[] = { 1, 0, 0, 0, 0 };

	decode_bad(fr, sizeof fr, MAX_FRAME);
	fr[4] = WIRE_TYPE_MAX + 1;
	decode_bad(fr, sizeof fr, MAX_FRAME);
	fr[4] = 0xff;
	decode_bad(fr, sizeof fr, MAX_FRAME);
}

Test(wire, unknown_frame_type_is_rejected_before_its_payload_arrives)
{
	uint8_t	fr[] = { 100, 0, 0, 0, 0x42 };

	decode_bad(fr, sizeof fr, MAX_FRAME);
}

Test(wire, hello_with_bad_magic_is_rejected)
{
	size_t	n = wire_encode_hello(buf, sizeof buf, 0, "a", 1);

	buf[5] = 'X';
	decode_bad(buf, n, MAX_FRAME);
}

Test(wire, hello_with_another_version_is_rejected)
{
	size_t	n = wire_encode_hello(buf, sizeof buf, 0, "a", 1);

	buf[9] = 2;
	decode_bad(buf, n, MAX_FRAME);
	buf[9] = 0;
	decode_bad(buf, n, MAX_FRAME);
}

Test(wire, hello_name_running_past_the_frame_is_rejected)
{
	size_t	n = wire_encode_hello(buf, sizeof buf, 0, "abc", 3);

	buf[11] = 4;
	decode_bad(buf, n, MAX_FRAME);
	buf[11] = 255;
	decode_bad(buf, n, MAX_FRAME);
}

Test(wire, hello_shorter_than_its_fixed_part_is_rejected)
{
	static const uint8_t	fr[] = { 5, 0, 0, 0, WIRE_HELLO, 'A', 'L', 'O', 'G' };

	decode_bad(fr, sizeof fr, MAX_FRAME);
}

Test(wire, hello_with_trailing_bytes_is_rejected)
{
	size_t	n = wire_encode_hello(buf, sizeof buf, 0, "abc", 3);

	buf[11] = 2;
	decode_bad(buf, n, MAX_FRAME);
}

Test(wire, record_priority_above_191_is_rejected)
{
	size_t	n = sample_record(buf);

	buf[REC_PRIORITY] = 192;
	decode_bad(buf, n, MAX_FRAME);
	buf[REC_PRIORITY] = 255;
	decode_bad(buf, n, MAX_FRAME);
}

Test(wire, record_shorter_than_its_fixed_part_is_rejected)
{
	uint8_t	fr[5 + 15];

	memset(fr, 0, sizeof fr);
	put_u32(fr, 16);
	fr[4] = WIRE_RECORD;
	decode_bad(fr, sizeof fr, MAX_FRAME);
}

Test(wire, record_tag_running_past_the_frame_is_rejected)
{
	size_t	n = wire_encode_record(buf, sizeof buf, 0, 0, "tag", 3, NULL, 0,
	    NULL, 0);

	put_u16(buf + REC_TAG_LEN, 4);
	decode_bad(buf, n, MAX_FRAME);
}

Test(wire, record_tag_longer_than_255_is_rejected)
{
	static char	tag[300];
	size_t		n;

	/* Encode with a 255-byte tag and a 45-byte message, then claim 300. */
	n = wire_encode_record(buf, sizeof buf, 0, 0, tag, WIRE_MAX_TAG, tag,
	    300 - WIRE_MAX_TAG, NULL, 0);
	put_u16(buf + REC_TAG_LEN, 300);
	put_u32(buf + REC_MSG_LEN, 0);
	decode_bad(buf, n, MAX_FRAME);
}

Test(wire, record_message_running_past_the_frame_is_rejected)
{
	size_t	n = sample_record(buf);

	put_u32(buf + REC_MSG_LEN, 5 + 6 + 1 + 2 + 1);
	decode_bad(buf, n, MAX_FRAME);
	put_u32(buf + REC_MSG_LEN, UINT32_MAX);
	decode_bad(buf, n, MAX_FRAME);
}

Test(wire, record_field_key_running_past_the_frame_is_rejected)
{
	size_t	n = sample_record(buf);

	put_u16(buf + REC_FIELD, 4);
	decode_bad(buf, n, MAX_FRAME);
	put_u16(buf + REC_FIELD, UINT16_MAX);
	decode_bad(buf, n, MAX_FRAME);
}

Test(wire, record_field_value_running_past_the_frame_is_rejected)
{
	size_t	n = sample_record(buf);

	put_u32(buf + REC_FIELD + 2, 3);
	decode_bad(buf, n, MAX_FRAME);
	put_u32(buf + REC_FIELD + 2, UINT32_MAX);
	decode_bad(buf, n, MAX_FRAME);
}

Test(wire, record_claiming_more_fields_than_it_holds_is_rejected)
{
	size_t	n = sample_record(buf);

	buf[REC_NFIELDS] = 2;
	decode_bad(buf, n, MAX_FRAME);
}

Test(wire, record_with_more_than_32_fields_is_rejected)
{
	struct wire_field	fl[WIRE_MAX_FIELDS];
	size_t			n;

	memset(fl, 0, sizeof fl);
	n = wire_encode_record(buf, sizeof buf, 0, 0, NULL, 0, NULL, 0, fl,
	    WIRE_MAX_FIELDS);
	/* Append a 33rd empty field and claim it. */
	memset(buf + n, 0, 6);
	n += 6;
	put_u32(buf, n - 4);
	buf[REC_NFIELDS] = WIRE_MAX_FIELDS + 1;
	decode_bad(buf, n, MAX_FRAME);
}

Test(wire, record_with_trailing_garbage_inside_the_frame_is_rejected)
{
	size_t	n = sample_record(buf);

	buf[n] = 'x';
	put_u32(buf, n + 1 - 4);
	decode_bad(buf, n + 1, MAX_FRAME);
}

Test(wire, dropped_with_wrong_payload_size_is_rejected)
{
	size_t	n = wire_encode_dropped(buf, sizeof buf, 1, 2, 3);

	put_u32(buf, n - 4 - 1);
	decode_bad(buf, n - 1, MAX_FRAME);
	buf[n] = 0;
	put_u32(buf, n - 4 + 1);
	decode_bad(buf, n + 1, MAX_FRAME);
}

Test(wire, stats_with_wrong_payload_size_is_rejected)
{
	static const uint8_t	empty[] = { 1, 0, 0, 0, WIRE_STATS };
	static const uint8_t	two[] = { 3, 0, 0, 0, WIRE_STATS, 0, 0 };

	decode_bad(empty, sizeof empty, MAX_FRAME);
	decode_bad(two, sizeof two, MAX_FRAME);
}

Test(wire, stats_with_unknown_format_is_rejected)
{
	static const uint8_t	fr[] = { 2, 0, 0, 0, WIRE_STATS, 3 };

	decode_bad(fr, sizeof fr, MAX_FRAME);
}

Test(wire, sync_with_wrong_payload_size_is_rejected)
{
	static const uint8_t	short_sync[] = { 8, 0, 0, 0, WIRE_SYNC,
		1, 2, 3, 4, 5, 6, 7 };
	static const uint8_t	long_ack[] = { 10, 0, 0, 0, WIRE_SYNC_ACK,
		1, 2, 3, 4, 5, 6, 7, 8, 9 };

	decode_bad(short_sync, sizeof short_sync, MAX_FRAME);
	decode_bad(long_ack, sizeof long_ack, MAX_FRAME);
}

Test(wire, decoder_accepts_a_null_err_pointer)
{
	static const uint8_t	fr[] = { 0, 0, 0, 0 };
	struct wire_frame	f;

	cr_assert_eq(wire_decode(fr, sizeof fr, MAX_FRAME, &f, NULL), -1);
}

/*
 * Random and mutated input never makes the decoder read outside the buffer
 * (ASan watches in SANITIZE=1 builds) or claim more bytes than it was given.
 */
Test(wire, random_and_mutated_bytes_never_crash_the_decoder)
{
	unsigned char valid[512], bytes[512], *heap;
	struct wire_frame fr;
	const char *err;
	size_t vlen, len, i;
	ssize_t n;
	unsigned seed = 12345;
	int round;

	vlen = wire_encode_hello(valid, sizeof(valid), 0, "fuzz", 4);
	vlen += wire_encode_record(valid + vlen, sizeof(valid) - vlen, 14,
	    1, "tag", 3, "message", 7, NULL, 0);
	for (round = 0; round < 100000; round++) {
		if (round % 2 == 0) {
			/* A valid stream with a few bytes flipped. */
			memcpy(bytes, valid, vlen);
			len = vlen;
			for (i = 0; i < 1 + (unsigned)rand_r(&seed) % 4; i++)
				bytes[rand_r(&seed) % len] = (unsigned char)rand_r(&seed);
		} else {
			len = (size_t)rand_r(&seed) % sizeof(bytes);
			for (i = 0; i < len; i++)
				bytes[i] = (unsigned char)rand_r(&seed);
			if (len > 4)
				bytes[4] = 1 + rand_r(&seed) % 7;	/* a known type */
		}
		/* Exactly len bytes on the heap, so an overread is caught. */
		heap = malloc(len ? len : 1);
		memcpy(heap, bytes, len);
		err = NULL;
		n = wire_decode(heap, len, sizeof(bytes), &fr, &err);
		if (n > 0)
			cr_assert_leq((size_t)n, len);
		else if (n < 0)
			cr_assert_not_null(err);
		free(heap);
	}
}

/* ---- Version 2 (docs/protocol.md §6) ---- */

Test(wire, hello_ack_round_trips_and_is_laid_out_as_documented)
{
	struct wire_hello_ack a = { WIRE_VERSION2, 0x12345678, 65536 };
	static const uint8_t want[] = { 0x0a, 0, 0, 0, 8, 2,
	    0x78, 0x56, 0x34, 0x12, 0x00, 0x00, 0x01, 0x00 };
	struct wire_frame f;
	size_t n;

	n = wire_encode_hello_ack(buf, sizeof(buf), &a);
	cr_assert_eq(n, sizeof(want));
	cr_assert_arr_eq(buf, want, n);
	assert_prefixes_incomplete(buf, n);
	decode_ok(buf, n, &f);
	cr_assert_eq(f.type, WIRE_HELLO_ACK);
	cr_assert_eq(f.u.hello_ack.version, 2);
	cr_assert_eq(f.u.hello_ack.features, 0x12345678);
	cr_assert_eq(f.u.hello_ack.max_record, 65536);
	buf[5] = 1;
	cr_assert_str_eq(decode_bad(buf, n, MAX_FRAME),
	    "HELLO_ACK has version below 2");
	buf[5] = 3;	/* a later daemon: its features say what it does */
	decode_ok(buf, n, &f);
	buf[0] = 0x0b;
	cr_assert_str_eq(decode_bad(buf, n + 1, MAX_FRAME),
	    "HELLO_ACK has wrong size");
}

Test(wire, sync2_round_trips_with_its_flags)
{
	static const uint8_t want[] = { 0x0a, 0, 0, 0, 9,
	    1, 2, 0, 0, 0, 0, 0, 0, WIRE_SYNC_WRITTEN };
	struct wire_frame f;
	size_t n;

	n = wire_encode_sync2(buf, sizeof(buf), 0x0201, WIRE_SYNC_WRITTEN);
	cr_assert_eq(n, sizeof(want));
	cr_assert_arr_eq(buf, want, n);
	assert_prefixes_incomplete(buf, n);
	decode_ok(buf, n, &f);
	cr_assert_eq(f.type, WIRE_SYNC2);
	cr_assert_eq(f.u.sync2.seq, 0x0201);
	cr_assert_eq(f.u.sync2.flags, WIRE_SYNC_WRITTEN);
	buf[0] = 0x09;
	cr_assert_str_eq(decode_bad(buf, n - 1, MAX_FRAME),
	    "SYNC2 has wrong size");
}

Test(wire, sync2_ack_carries_every_drop_reason_and_skips_later_ones)
{
	struct wire_sync2_ack a = { .seq = 9, .status = WIRE_ACK_WRITTEN,
	    .received = 12 };
	struct wire_frame f;
	size_t n, i;

	for (i = 0; i < WIRE_NDROPS; i++)
		a.dropped[i] = 100 + i;
	n = wire_encode_sync2_ack(buf, sizeof(buf), &a);
	cr_assert_eq(n, WIRE_HEADER_SIZE + 18 + 8 * WIRE_NDROPS);
	cr_assert_eq(buf[4], WIRE_SYNC2_ACK);
	cr_assert_eq(buf[5 + 17], WIRE_NDROPS);
	assert_prefixes_incomplete(buf, n);
	decode_ok(buf, n, &f);
	cr_assert_eq(f.u.sync2_ack.seq, 9);
	cr_assert_eq(f.u.sync2_ack.status, WIRE_ACK_WRITTEN);
	cr_assert_eq(f.u.sync2_ack.received, 12);
	for (i = 0; i < WIRE_NDROPS; i++)
		cr_assert_eq(f.u.sync2_ack.dropped[i], 100 + i);

	/* A later daemon lists one reason more: it is skipped. */
	memset(buf + n, 0x77, 8);
	put_u32(buf, (uint32_t)(n + 8 - 4));
	buf[5 + 17] = WIRE_NDROPS + 1;
	decode_ok(buf, n + 8, &f);
	cr_assert_eq(f.u.sync2_ack.dropped[WIRE_NDROPS - 1],
	    100 + WIRE_NDROPS - 1);

	/* An earlier one lists fewer: the rest are 0. */
	put_u32(buf, (uint32_t)(n - 8 - 4));
	buf[5 + 17] = WIRE_NDROPS - 1;
	decode_ok(buf, n - 8, &f);
	cr_assert_eq(f.u.sync2_ack.dropped[WIRE_NDROPS - 1], 0);

	/* Counts that disagree with the length, or too many reasons. */
	buf[5 + 17] = WIRE_NDROPS;
	cr_assert_str_eq(decode_bad(buf, n - 8, MAX_FRAME),
	    "SYNC2_ACK has wrong size");
	buf[5 + 17] = WIRE_MAX_DROPS + 1;
	cr_assert_str_eq(decode_bad(buf, n - 8, MAX_FRAME),
	    "SYNC2_ACK lists too many reasons");
	put_u32(buf, 10);
	cr_assert_str_eq(decode_bad(buf, 14, MAX_FRAME),
	    "SYNC2_ACK too short");
}
