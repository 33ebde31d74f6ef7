/*
 * fuzz_syslog.c: libFuzzer target for syslog stream framing (RFC 6587: LF,
 * NUL, octet counting) and RFC 3164 / 5424 parsing.
 *
 * The input is four bytes of parameters (max_record, read sizes, the
 * receive time's second) and then a syslog stream. The stream is cut into
 * messages twice, by a model of conn.c's reader with a buffer of max_record
 * + 10 bytes (what syslog_frame() asks for): once reading as much as fits,
 * once in small reads whose sizes the input picks. Properties:
 *   - syslog_frame() never consumes more than it was given, its message
 *     lies inside what it consumed and is at most max_len bytes, and it
 *     never asks for more bytes when the buffer is already full (that would
 *     stall the connection for good);
 *   - both readings give the same messages and the same too_large drops:
 *     where reads happen to end does not change what a stream means;
 *   - syslog_parse_local() and syslog_parse_relayed() of every message,
 *     and of the whole input as one datagram, keep every pointer of the record inside the message, the
 *     facility and severity in range, and never a negative claimed pid.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "syslog.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_SLACK	10	/* syslog_frame(): 9 count digits and a space */
#define FUZZ_MAX_MSGS	4096

/* What a reading of the stream found: its messages in order, and drops. */
struct fuzz_reading {
	size_t		 nmsgs;
	size_t		 off[FUZZ_MAX_MSGS];	/* into the stream */
	size_t		 len[FUZZ_MAX_MSGS];
	size_t		 too_large;
	enum syslog_framing framing;	/* as the reader decided it */
};

static void
fuzz_check_record(const char *buf, size_t len, const struct record *rec)
{
	FUZZ_CHECK(rec->facility >= 0 && rec->facility <= 23, "facility %d",
	    rec->facility);
	FUZZ_CHECK(rec->severity >= 0 && rec->severity <= 7, "severity %d",
	    rec->severity);
	FUZZ_CHECK(rec->claimed_pid >= 0, "claimed pid %d",
	    (int)rec->claimed_pid);
	FUZZ_CHECK(rec->msg != NULL && fuzz_within(rec->msg, rec->msg_len,
	    buf, len), "message outside the input");
	FUZZ_CHECK(rec->tag != NULL && fuzz_within(rec->tag, rec->tag_len,
	    buf, len), "tag outside the input");
	FUZZ_CHECK(rec->claimed_host == NULL ||
	    (rec->claimed_host_len > 0 && fuzz_within(rec->claimed_host,
	    rec->claimed_host_len, buf, len)), "claimed host outside the input");
	FUZZ_CHECK(rec->msgid == NULL || (rec->msgid_len > 0 &&
	    fuzz_within(rec->msgid, rec->msgid_len, buf, len)),
	    "msgid outside the input");
	FUZZ_CHECK(rec->sd == NULL || (rec->sd_len >= 2 && rec->sd[0] == '[' &&
	    rec->sd[rec->sd_len - 1] == ']' && fuzz_within(rec->sd,
	    rec->sd_len, buf, len)), "SD outside the input or not [...]");
	FUZZ_CHECK(rec->nfields == 0, "syslog record with native fields");
	/* The message is the end of the input, less its framing. */
	FUZZ_CHECK(rec->msg + rec->msg_len == buf + syslog_dgram_len(buf, len),
	    "message does not run to the end of the input");
}

static void
fuzz_parse(const char *buf, size_t len, int64_t now_ns)
{
	struct record	rec;

	int		relayed;

	for (relayed = 0; relayed < 2; relayed++) {
		memset(&rec, 0, sizeof rec);
		rec.pid = -1;
		if (relayed)
			syslog_parse_relayed(buf, len, now_ns, &rec);
		else
			syslog_parse_local(buf, len, now_ns, &rec);
		fuzz_check_record(buf, len, &rec);
		FUZZ_CHECK(rec.pid == -1 && rec.host == NULL &&
		    rec.time_ns == 0, "syslog_parse touched a trusted field");
	}
}

static void
fuzz_add(struct fuzz_reading *r, size_t off, size_t len)
{
	if (r->nmsgs < FUZZ_MAX_MSGS) {
		r->off[r->nmsgs] = off;
		r->len[r->nmsgs] = len;
	}
	r->nmsgs++;
}

/*
 * conn.c's syslog reader over stream[0..size): a buffer of cap bytes that
 * reads are appended to (at most step(i) bytes for read i, 0 = as much as
 * fits), and that is consumed from the front. At the end of the stream a
 * last message without its newline counts, as in conn_parse_syslog().
 */
static void
fuzz_read(const char *stream, size_t size, size_t max_len,
    const uint8_t *steps, size_t nsteps, struct fuzz_reading *r)
{
	const char	*msg;
	size_t		 cap = max_len + FUZZ_SLACK, in = 0, start = 0, end = 0;
	size_t		 skip = 0, msg_len, want, nread = 0, n;
	bool		 skip_line = false, eof = false;
	ssize_t		 k;

	memset(r, 0, sizeof *r);
	r->framing = SYSLOG_FRAMING_UNKNOWN;
	for (;;) {
		/* buf is stream[start..end): what the reader holds. */
		if (skip > 0 && end > start) {
			n = end - start < skip ? end - start : skip;
			start += n;
			skip -= n;
			continue;
		}
		if (skip == 0 && skip_line && end > start) {
			start += syslog_frame_skip_line(stream + start,
			    end - start, r->framing, &skip_line);
			continue;
		}
		if (skip == 0 && !skip_line && end > start) {
			k = syslog_frame(stream + start, end - start, max_len,
			    &r->framing, &msg, &msg_len);
			if (k > 0) {
				FUZZ_CHECK((size_t)k <= end - start,
				    "consumed %zd of %zu", k, end - start);
				FUZZ_CHECK(msg_len <= max_len,
				    "message of %zu, max %zu", msg_len,
				    max_len);
				FUZZ_CHECK(fuzz_within(msg, msg_len,
				    stream + start, (size_t)k),
				    "message outside what was consumed");
				fuzz_add(r, (size_t)(msg - stream), msg_len);
				start += (size_t)k;
				continue;
			}
			if (k == SYSLOG_FRAME_TOO_LARGE ||
			    k == SYSLOG_FRAME_LONG_LINE) {
				FUZZ_CHECK(msg_len > 0, "drop of 0 bytes");
				FUZZ_CHECK(k == SYSLOG_FRAME_TOO_LARGE ||
				    msg_len == end - start,
				    "long line: discard %zu of %zu", msg_len,
				    end - start);
				r->too_large++;
				skip = msg_len;
				skip_line = k == SYSLOG_FRAME_LONG_LINE;
				continue;
			}
			FUZZ_CHECK(k == 0, "syslog_frame returned %zd", k);
			FUZZ_CHECK(end - start < cap,
			    "asks for more with a full buffer of %zu", cap);
			if (eof) {
				/* The last message may lack its newline. */
				fuzz_add(r, start, end - start);
				return;
			}
		}
		if (eof)
			return;
		/* Read: move what is left to the front, then append. */
		want = cap - (end - start);
		if (nsteps > 0 && steps[nread % nsteps] != 0 &&
		    steps[nread % nsteps] < want)
			want = steps[nread % nsteps];
		nread++;
		if (want > size - in)
			want = size - in;
		if (end == start)
			start = end = in;
		FUZZ_CHECK(end == in, "reader lost its place");
		in += want;
		end = in;
		if (want == 0)
			eof = true;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_reading	 whole, parts;
	const char			*stream;
	size_t				 max_len, nsteps, i;
	int64_t				 now_ns;

	if (size < 4)
		return 0;
	/* Small limits reach the oversize paths; 0 is a legal max_len too. */
	max_len = data[0] < 200 ? data[0] : (size_t)(data[0] - 200) * 1024;
	nsteps = data[1] % 8;
	now_ns = (int64_t)(1700000000 + (int64_t)data[2] * 86400 * 3) *
	    1000000000;
	(void)data[3];		/* reserved */
	stream = (const char *)data + 4 + nsteps;
	if (size < 4 + nsteps)
		return 0;
	size -= 4 + nsteps;

	fuzz_parse(stream, size, now_ns);

	fuzz_read(stream, size, max_len, NULL, 0, &whole);
	fuzz_read(stream, size, max_len, data + 4, nsteps, &parts);
	/* The framing (NUL or newline) is decided from the bytes that came
	 * with the first message, so two readings may differ in it; when
	 * they agree, they must agree on everything. */
	if (whole.framing != parts.framing) {
		for (i = 0; i < whole.nmsgs && i < FUZZ_MAX_MSGS; i++)
			fuzz_parse(stream + whole.off[i], whole.len[i], now_ns);
		return 0;
	}
	FUZZ_CHECK(whole.too_large == parts.too_large,
	    "too_large %zu in one read, %zu in small ones", whole.too_large,
	    parts.too_large);
	FUZZ_CHECK(whole.nmsgs == parts.nmsgs,
	    "%zu messages in one read, %zu in small ones", whole.nmsgs,
	    parts.nmsgs);
	for (i = 0; i < whole.nmsgs && i < FUZZ_MAX_MSGS; i++) {
		FUZZ_CHECK(whole.off[i] == parts.off[i] &&
		    whole.len[i] == parts.len[i],
		    "message %zu: %zu+%zu in one read, %zu+%zu in small ones",
		    i, whole.off[i], whole.len[i], parts.off[i], parts.len[i]);
		fuzz_parse(stream + whole.off[i], whole.len[i], now_ns);
	}
	return 0;
}
