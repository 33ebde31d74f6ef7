/* SPDX-License-Identifier: ISC */
/*
 * conn.c: the connection task. In the order things happen to a record:
 * read into the connection's buffer, cut out one frame (native) or message
 * (syslog stream), then route (route.h) admits it under the sender's rate
 * limit, stamps it with SO_PEERCRED pid/uid/gid and the receive time,
 * selects its outputs and delivers it. The record's bytes stay in the read
 * buffer until every output has taken it, so waiting for buffer space costs
 * no copy.
 *
 * A malformed frame ends this connection only, with a counted `malformed`
 * drop and one (rate-limited) line in the daemon's log.
 *
 * A network peer (conn_spawn_peer) is a syslog stream like the local one,
 * known by its address instead of SO_PEERCRED; under TLS its task first
 * completes the handshake (within frame_timeout_ms) and then reads through
 * the session, so backpressure, deadlines and the shared read budget work
 * the same for it.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <poll.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "barrier.h"
#include "clock.h"
#include "conn.h"
#include "dropreport.h"
#include "format.h"
#include "inbuf.h"
#include "log.h"
#include "output.h"
#include "ratelimit.h"
#include "relpserver.h"
#include "route.h"
#include "counters.h"
#include "deferred.h"
#include "stats.h"
#include "syslog.h"
#include "task.h"
#include "tls.h"
#include "unit.h"
#include "wire.h"

#define CONN_REPLY_TIMEOUT_MS	5000
#define CONN_RELP_MAX_ACKS	1024	/* RELP transactions answered at once */
/* The largest FORMAT frame: header, id, fmt_len and the format. */
#define CONN_MAX_FORMAT_FRAME	(WIRE_HEADER_SIZE + 6 + WIRE_MAX_FORMAT_LEN)

enum conn_action {
	CONN_NEED_MORE,		/* read more bytes */
	CONN_DELIVER,		/* c->rec is ready for c->pending outputs */
	CONN_SKIP,		/* frame handled, consume it */
	CONN_REPLY,		/* c->reply is ready to send */
	CONN_SYNC,		/* wait for sync=always outputs, then reply */
	CONN_ACK,		/* RELP: wait until written, then answer */
	CONN_CLOSE,
};

struct conn_set {
	struct event_base *base;
	struct route	*route;
	LIST_HEAD(, conn) list;
	unsigned	 n;
	struct task_cond ended;		/* a connection ended */
	struct inbuf_budget mem;	/* every connection's read buffer */
	struct dropreport *drops;	/* what clients say they dropped */
	bool		 closing;	/* past the drain deadline: no budget */
	struct tls_creds *tls;		/* the tls input's, for its sessions */
};

struct conn {
	struct task	 task;
	LIST_ENTRY(conn) entry;
	struct conn_set	*set;
	struct route	*route;
	enum conn_kind	 kind;
	int		 fd;
	struct ucred	 cred;		/* SO_PEERCRED */
	char		 unit[RECORD_UNIT_MAX]; /* its systemd unit, when it connected */
	size_t		 unit_len;	/* 0 = unknown */
	char		 comm[UNIT_COMM_MAX]; /* syslog: its command name, when
					 * it connected: the tag of a record
					 * that names none */
	size_t		 comm_len;	/* 0 = unknown */
	char		 name[64];	/* "pid 42 (tag)" for messages */
	bool		 net;		/* a network peer (conn_spawn_peer) */
	char		 peer[INET6_ADDRSTRLEN]; /* its address */
	size_t		 peer_len;
	struct tls_conn	*tls;		/* its TLS session, NULL for none */
	bool		 handshaken;	/* the TLS handshake is done */
	short		 tls_events;	/* POLLIN/POLLOUT the session waits for */
	char		 peer_cert[RECORD_PEER_CERT_MAX + 1]; /* name in its
					 * verified certificate */
	size_t		 peer_cert_len;	/* 0 = none */
	uint32_t	*relp_acks;	/* RELP: transactions to answer once
					 * written (CONN_RELP_MAX_ACKS) */
	unsigned	 relp_nacks;
	bool		 relp_flush;	/* answer them before reading on */
	bool		 relp_close;	/* "close" came: answer it, then end */
	uint32_t	 relp_close_txnr;
	bool		 relp_evicted;	/* a frame was given up: end */
	bool		 relp_dropped;	/* an output dropped a record of the
					 * transactions to answer */

	struct inbuf	 in;		/* unparsed bytes, within set->mem */
	int64_t		 deadline_ns;	/* monotonic: HELLO or the started
					 * frame must be whole by then; 0 none */
	bool		 reading;	/* parked in read with a partial frame */
	size_t		 skip;		/* bytes of an oversize frame still to discard */
	bool		 skip_line;	/* then the rest of an oversize syslog line */
	enum syslog_framing framing;	/* syslog: LF or NUL, from the first message */
	bool		 syslog_checked; /* syslog: the stream's start looks like syslog */
	size_t		 max_frame;
	bool		 hello;		/* native: HELLO seen */
	bool		 v2;		/* native: the client speaks version 2 */
	bool		 eof;
	bool		 draining;
	int64_t		 now_ns;	/* receive time of the current read */

	struct wire_frame *frame;	/* native: the frame being handled; held
					 * with the read buffer, not while idle
					 * (it is most of an idle client's size) */
	struct record	 rec;
	size_t		 consume;	/* bytes the current frame occupies */
	uint64_t	 pending;	/* outputs still to take rec */
	struct output	*waiting;	/* output we wait on for space */

	char		*reply;
	size_t		 reply_len;
	size_t		 reply_off;
	uint64_t	 sync_seq;
	uint8_t		 sync_flags;	/* SYNC2's */
	bool		 sync_v2;	/* answer with SYNC2_ACK */
	struct barrier	*barrier;	/* SYNC's; from HELLO for version 2 */
	struct deferred	*deferred;	/* version 2: FORMATs registered */
	struct output	*sync_output;
	struct route_outcome outcome;	/* of rec */
	uint64_t	 received;	/* native: records taken in, for SYNC2_ACK */
	uint64_t	 dropped[WIRE_NDROPS];	/* of them, dropped, by reason */
	struct ratelimit rl;		/* ratelimit: this sender's window */
	uint64_t	 drop_claimed;	/* DROPPED counts counted so far */
};

static struct log_ratelimit conn_rl = LOG_RATELIMIT_INIT(10000, 10);

static void
conn_cleanup(struct task *t)
{
	struct conn *c = t->arg;

	/* What its last window dropped must not go unsaid. */
	route_admit_flush(c->route, &c->rl, c->name);

	LIST_REMOVE(c, entry);
	c->set->n--;
	counters_clients--;
	tls_conn_free(c->tls);
	if (close(c->fd) == -1)
		log_warn("close: %s", strerror(errno));
	task_cond_broadcast(&c->set->ended);
	free(c->barrier);
	deferred_free(c->deferred);
	free(c->relp_acks);
	free(c->reply);
	free(c->frame);
	inbuf_free(&c->in, &c->set->mem);
	free(c);
}

/* The daemon drops one record of c's (too_large, malformed): counted, and
 * summed into the sender's report in the log (dropreport.h). */
static void
conn_drop(struct conn *c, enum drop_reason reason)
{
	dropreport_input(c->set->drops, reason, &c->cred, c->name,
	    clock_now_ns());
}

static void
conn_malformed(struct conn *c, const char *why)
{
	conn_drop(c, DROP_MALFORMED);
	log_limited(&conn_rl, "client %s: malformed input (%s); closing the "
	    "connection", c->name, why);
}

/* Read through the TLS session: as recv(2), and a broken session is
 * said in the log (ECONNRESET, so the caller says no more). */
static ssize_t
conn_tls_read(struct conn *c, size_t room)
{
	char err[256];
	ssize_t n;

	n = tls_recv(c->tls, c->in.buf + c->in.len, room, &c->tls_events,
	    err, sizeof(err));
	if (n == -1 && errno == EPROTO) {
		log_limited(&conn_rl, "client %s: %s; closing the connection",
		    c->name, err);
		errno = ECONNRESET;
	}
	return n;
}

/*
 * Read what the socket has. Returns bytes read, 0 at EOF, -1 with errno
 * (EAGAIN: await), or -2 when the client buffers' budget has no room.
 */
static ssize_t
conn_read(struct conn *c)
{
	ssize_t room, n;

	/* From the running config: a reload may have raised max_record. */
	c->max_frame = route_config(c->route)->max_record + WIRE_RECORD_OVERHEAD;
	if (!c->set->closing)
		c->set->mem.limit = route_config(c->route)->client_memory;
	room = inbuf_room(&c->in, &c->set->mem, 4096, c->max_frame + 4096);
	if (room == -1)
		return -2;
	if (room == 0) {
		/* Cannot happen with frames within max_frame; never recv(0),
		 * which would read as end of file. */
		conn_malformed(c, "a frame larger than the read buffer");
		errno = ENOBUFS;
		return -1;
	}
	if (c->tls != NULL)
		n = conn_tls_read(c, room);
	else
		do
			n = recv(c->fd, c->in.buf + c->in.len, room,
			    MSG_DONTWAIT);
		while (n == -1 && errno == EINTR);
	if (n > 0) {
		c->in.len += n;
		c->now_ns = clock_now_ns();
	}
	return n;
}

/* A frame left unfinished counts as one record lost, if it is a record. */
static bool
conn_partial_record(const struct conn *c)
{
	const char *p = c->in.buf + c->in.off;
	size_t avail = inbuf_pending(&c->in);

	if (avail == 0)
		return false;
	return c->kind != CONN_NATIVE ||
	    wire_frame_type(p, avail) == WIRE_RECORD || avail < WIRE_HEADER_SIZE;
}

/*
 * Give up the unfinished frame c holds: count its record (overflow), free
 * the buffer, and discard the rest of the frame as it arrives (the same
 * skip as for an oversize frame), so the connection goes on with its next
 * frame and nothing behind this one is lost. Its deadline stays: the frame
 * must still end within frame_timeout_ms.
 */
static void
conn_drop_unfinished(struct conn *c)
{
	const char *p = c->in.buf + c->in.off, *msg;
	size_t pending = inbuf_pending(&c->in), len;
	ssize_t n;

	if (conn_partial_record(c))
		counters_input_drop(DROP_OVERFLOW, 1);
	if (c->kind == CONN_RELP) {
		/* Its transaction cannot be answered: the connection ends,
		 * and the sender sends again what it has no answer for. */
		c->relp_evicted = true;
		c->skip = 0;
	} else if (c->kind == CONN_NATIVE) {
		c->skip = wire_frame_len(p, pending);
	} else {
		/* With room for nothing, any frame is "too large": framing
		 * says how much of it is left to discard. */
		n = syslog_frame(p, pending, 0, &c->framing, &msg, &len);
		c->skip = n < 0 ? len : pending;
		c->skip_line = n == SYSLOG_FRAME_LONG_LINE;
	}
	c->skip = c->skip > pending ? c->skip - pending : 0;
	c->in.off = c->in.len;
	inbuf_free(&c->in, &c->set->mem);
}

/*
 * The client buffers' budget is spent: take it from the connection that
 * holds the largest unfinished frame (which is where a client hoarding
 * memory sits), if it holds more than this one. Returns whether memory was
 * given back.
 */
static bool
conn_evict(struct conn *self)
{
	struct conn *c, *victim = NULL;
	size_t most = inbuf_pending(&self->in);

	/* A victim frees at least a read's worth, and its frame's framing
	 * (length prefix, octet count) is whole. */
	if (most < 4095)
		most = 4095;
	LIST_FOREACH(c, &self->set->list, entry)
		if (c != self && c->reading && inbuf_pending(&c->in) > most) {
			victim = c;
			most = inbuf_pending(&c->in);
		}
	if (victim == NULL)
		return false;
	log_limited(&conn_rl, "client %s: unfinished frame of %zu bytes "
	    "dropped (overflow) to keep client buffers within client_memory; "
	    "the rest of it is discarded as it arrives", victim->name, most);
	conn_drop_unfinished(victim);
	return true;
}

/* HELLO, or the frame a client started, did not come whole in time. */
static void
conn_timed_out(struct conn *c)
{
	const struct config *conf = route_config(c->route);

	if (conn_partial_record(c))
		conn_drop(c, DROP_MALFORMED);
	log_limited(&conn_rl, "client %s: %s within frame_timeout_ms (%u ms); "
	    "closing the connection", c->name, c->kind == CONN_NATIVE &&
	    !c->hello ? "no HELLO" : "a frame not finished",
	    conf->frame_timeout_ms);
}

/* How long the next read may wait: until the deadline, or for ever. */
static int
conn_read_wait_ms(struct conn *c)
{
	int64_t left;

	if (c->deadline_ns == 0 && (inbuf_pending(&c->in) > 0 ||
	    c->skip > 0 || c->skip_line ||
	    (c->kind == CONN_NATIVE && !c->hello)))
		c->deadline_ns = clock_mono_ns() + (int64_t)route_config(
		    c->route)->frame_timeout_ms * 1000000;
	if (c->deadline_ns == 0)
		return -1;
	left = c->deadline_ns - clock_mono_ns();
	return left <= 0 ? 0 : (int)(left / 1000000) + 1;
}

static enum conn_action
conn_set_reply(struct conn *c, size_t need)
{
	free(c->reply);
	c->reply_len = c->reply_off = 0;
	if ((c->reply = malloc(need)) == NULL) {
		log_limited(&conn_rl, "client %s: out of memory for a reply",
		    c->name);
		return CONN_CLOSE;
	}
	return CONN_REPLY;
}

static enum conn_action
conn_stats_reply(struct conn *c, uint8_t format)
{
	char *text;
	size_t len;

	if ((text = stats_render(c->route, format == WIRE_STATS_JSON ?
	    STATS_JSON : format == WIRE_STATS_PROMETHEUS ? STATS_PROMETHEUS :
	    STATS_TEXT)) == NULL)
		return CONN_CLOSE;
	len = strlen(text);
	if (conn_set_reply(c, len + WIRE_HEADER_SIZE) == CONN_CLOSE) {
		free(text);
		return CONN_CLOSE;
	}
	c->reply_len = wire_encode_stats_reply(c->reply, len + WIRE_HEADER_SIZE,
	    text, len);
	free(text);
	return CONN_REPLY;
}

/* "pid 42 (name)", the name as the client chose it, escaped: it goes
 * into the daemon's own diagnostics and records. */
static void
conn_set_name(struct conn *c, const char *name, size_t len)
{
	char esc[4 * 32 + 1];
	ssize_t n;

	n = format_escape_text(name, len > 32 ? 32 : len, esc, sizeof(esc) - 1);
	snprintf(c->name, sizeof(c->name), "pid %ld (%.*s)", (long)c->cred.pid,
	    (int)(n < 0 ? 0 : n), esc);
}

/* What the kernel says about the sender: SO_PEERCRED, the receive time,
 * and the unit its cgroup named when it connected. */
static void
conn_stamp(struct conn *c)
{
	route_stamp(&c->rec, &c->cred, c->now_ns);
	c->rec.unit = c->unit;
	c->rec.unit_len = c->unit_len;
	if (c->net) {
		c->rec.host = c->peer;
		c->rec.host_len = c->peer_len;
	}
	if (c->peer_cert_len > 0) {
		c->rec.peer_cert = c->peer_cert;
		c->rec.peer_cert_len = c->peer_cert_len;
	}
}

/*
 * One record of a native client received and, unless reason is
 * WIRE_NDROPS, dropped for that reason: its SYNC2_ACK will say so.
 */
static void
conn_tally(struct conn *c, enum wire_drop reason)
{
	c->received++;
	if (reason != WIRE_NDROPS)
		c->dropped[reason]++;
}

/* Which outputs take c->rec; none is a drop of its own (no_output). */
static enum conn_action
conn_select(struct conn *c)
{
	c->pending = route_select(c->route, &c->rec);
	c->outcome = (struct route_outcome){ 0, -1 };
	if (c->pending != 0)
		return CONN_DELIVER;
	conn_tally(c, WIRE_DROP_NO_OUTPUT);
	return CONN_SKIP;
}

/* c->rec went to every output it was for: count what became of it. */
static void
conn_delivered(struct conn *c)
{
	/* A record an output it was for dropped (it stalled: overflow)
	 * must not be answered: the sender is to send it again. */
	if (c->kind == CONN_RELP) {
		barrier_took(c->barrier, c->route, c->outcome.taken);
		c->relp_dropped |= c->outcome.dropped >= 0;
	}
	if (c->kind != CONN_NATIVE)
		return;
	if (c->barrier != NULL && c->v2)
		barrier_took(c->barrier, c->route, c->outcome.taken);
	conn_tally(c, c->outcome.dropped < 0 ? WIRE_NDROPS :
	    c->outcome.dropped == DROP_TOO_LARGE ? WIRE_DROP_TOO_LARGE :
	    WIRE_DROP_OVERFLOW);
}

/*
 * A client that says it speaks version 2 is told what this daemon does of
 * it. Only such a client ever gets a frame of version 2: a version 1
 * library takes an unknown frame type for a broken stream.
 */
static enum conn_action
conn_hello_ack(struct conn *c)
{
	struct wire_hello_ack a = { WIRE_VERSION2,
	    WIRE_FEAT_DROPS | WIRE_FEAT_WAIT | WIRE_FEAT_FORMAT,
	    (uint32_t)route_config(c->route)->max_record };

	/* From the first record: a later SYNC2 may ask for its outputs. */
	if ((c->barrier = calloc(1, sizeof(*c->barrier))) == NULL ||
	    (c->deferred = deferred_new()) == NULL) {
		log_limited(&conn_rl, "client %s: out of memory", c->name);
		return CONN_CLOSE;
	}
	c->v2 = true;
	if (conn_set_reply(c, 32) == CONN_CLOSE)
		return CONN_CLOSE;
	c->reply_len = wire_encode_hello_ack(c->reply, 32, &a);
	return CONN_REPLY;
}

/*
 * What RECORD and RECORD_ARGS share once the message is in c->rec: the
 * header the client sent, stamped with what the kernel says, then routed.
 */
static enum conn_action
conn_native_record(struct conn *c, uint8_t priority, int64_t time_ns,
    const char *tag, size_t tag_len)
{
	conn_stamp(c);
	c->rec.client_time_ns = time_ns;
	c->rec.facility = priority >> 3;
	c->rec.severity = priority & 7;
	c->rec.tag = tag;
	c->rec.tag_len = tag_len;
	return conn_select(c);
}

/*
 * A record as a format id and its arguments: rendered here (deferred.c),
 * then routed like any record. One whose format or arguments do not fit is
 * a malformed record, dropped and counted; the connection goes on, since
 * the frame itself was whole.
 */
static enum conn_action
conn_record_args(struct conn *c)
{
	const struct wire_record_args *ra = &c->frame->u.record_args;
	const char *why;

	if (!route_admit(c->route, &c->rl, c->name, c->now_ns)) {
		conn_tally(c, WIRE_DROP_RATE_LIMITED);
		return CONN_SKIP;
	}
	memset(&c->rec, 0, sizeof(c->rec));
	if (deferred_render(c->deferred, ra, route_config(c->route)->max_record,
	    &c->rec, &why) == -1) {
		conn_drop(c, DROP_MALFORMED);
		conn_tally(c, WIRE_DROP_MALFORMED);
		log_limited(&conn_rl, "client %s: %s; dropped", c->name, why);
		return CONN_SKIP;
	}
	return conn_native_record(c, ra->priority, ra->time_ns, ra->tag,
	    ra->tag_len);
}

/* Native stream: decode the next frame and say what to do with it. */
static enum conn_action
conn_parse_native(struct conn *c)
{
	const unsigned char *p = (const unsigned char *)c->in.buf + c->in.off;
	size_t avail = c->in.len - c->in.off;
	const struct wire_record *wr;
	const char *err = NULL;
	size_t flen;
	ssize_t n;

	/* A record bigger than we accept is skipped and counted, not fatal. */
	if ((wire_frame_type(p, avail) == WIRE_RECORD ||
	    (wire_frame_type(p, avail) == WIRE_RECORD_ARGS && c->v2)) &&
	    c->hello &&
	    (flen = wire_frame_len(p, avail)) > c->max_frame) {
		c->skip = flen;
		conn_tally(c, WIRE_DROP_TOO_LARGE);
		conn_drop(c, DROP_TOO_LARGE);
		log_limited(&conn_rl, "client %s: record of %zu bytes is larger "
		    "than max_record; dropped", c->name, flen);
		return CONN_SKIP;
	}
	if (c->frame == NULL && (c->frame = malloc(sizeof(*c->frame))) ==
	    NULL) {
		log_limited(&conn_rl, "client %s: out of memory for a frame",
		    c->name);
		return CONN_CLOSE;
	}
	/* A FORMAT may hold WIRE_MAX_FORMAT_LEN bytes whatever max_record
	 * is: the library registers any format it parsed. */
	n = wire_decode(p, avail, wire_frame_type(p, avail) == WIRE_FORMAT &&
	    c->max_frame < CONN_MAX_FORMAT_FRAME ? CONN_MAX_FORMAT_FRAME :
	    c->max_frame, c->frame, &err);
	if (n == 0 && !c->eof)
		return CONN_NEED_MORE;
	if (n == 0) {
		/* While draining we cut the stream ourselves (SHUT_RD), and
		 * the client counts the frame it could not finish. */
		if (avail > 0 && !c->draining)
			conn_malformed(c, "connection closed inside a frame");
		return CONN_CLOSE;
	}
	if (n < 0) {
		conn_malformed(c, err != NULL ? err : "bad frame");
		return CONN_CLOSE;
	}
	c->consume = n;
	if (!c->hello && c->frame->type != WIRE_HELLO) {
		conn_malformed(c, "first frame is not HELLO");
		return CONN_CLOSE;
	}
	switch (c->frame->type) {
	case WIRE_HELLO:
		if (c->hello) {
			conn_malformed(c, "second HELLO");
			return CONN_CLOSE;
		}
		c->hello = true;
		conn_set_name(c, c->frame->u.hello.name,
		    c->frame->u.hello.name_len);
		if (c->frame->u.hello.flags & WIRE_HELLO_V2)
			return conn_hello_ack(c);
		return CONN_SKIP;
	case WIRE_RECORD:
		wr = &c->frame->u.record;
		if (wr->msg_len > route_config(c->route)->max_record) {
			conn_tally(c, WIRE_DROP_TOO_LARGE);
			conn_drop(c, DROP_TOO_LARGE);
			return CONN_SKIP;
		}
		if (!route_admit(c->route, &c->rl, c->name, c->now_ns)) {
			conn_tally(c, WIRE_DROP_RATE_LIMITED);
			return CONN_SKIP;
		}
		memset(&c->rec, 0, sizeof(c->rec));
		c->rec.msg = wr->msg;
		c->rec.msg_len = wr->msg_len;
		c->rec.fields = wr->fields;
		c->rec.nfields = wr->nfields;
		return conn_native_record(c, wr->priority, wr->time_ns, wr->tag,
		    wr->tag_len);
	case WIRE_FORMAT:
		if (!c->v2) {
			conn_malformed(c, "FORMAT without a version 2 HELLO");
			return CONN_CLOSE;
		}
		if (deferred_register(c->deferred, &c->frame->u.format,
		    &err) == -1)
			log_limited(&conn_rl, "client %s: format %u refused "
			    "(%s); its records will be dropped as malformed",
			    c->name, c->frame->u.format.id, err);
		return CONN_SKIP;
	case WIRE_RECORD_ARGS:
		if (!c->v2) {
			conn_malformed(c, "RECORD_ARGS without a version 2 HELLO");
			return CONN_CLOSE;
		}
		return conn_record_args(c);
	case WIRE_DROPPED:
		dropreport_claim(c->set->drops, &c->cred, c->name,
		    &c->drop_claimed, &c->frame->u.dropped);
		return CONN_SKIP;
	case WIRE_STATS:
		return conn_stats_reply(c, c->frame->u.stats_format);
	case WIRE_SYNC:
		c->sync_seq = c->frame->u.sync_seq;
		c->sync_flags = 0;
		c->sync_v2 = false;
		return CONN_SYNC;
	case WIRE_SYNC2:
		if (!c->v2) {
			conn_malformed(c, "SYNC2 without a version 2 HELLO");
			return CONN_CLOSE;
		}
		c->sync_seq = c->frame->u.sync2.seq;
		c->sync_flags = c->frame->u.sync2.flags;
		c->sync_v2 = true;
		return CONN_SYNC;
	default:
		conn_malformed(c, "frame type not sent by clients");
		return CONN_CLOSE;
	}
}

/*
 * Bytes that are plainly not syslog (a native HELLO sent to the syslog
 * socket, a binary protocol) would only become garbage records: the
 * connection is closed with one malformed drop, and its first bytes,
 * escaped, are shown in the daemon's log.
 */
static enum conn_action
conn_check_syslog(struct conn *c)
{
	const char *p = c->in.buf + c->in.off, *why = NULL;
	size_t avail = inbuf_pending(&c->in);
	char esc[4 * 16 + 1];
	ssize_t n;
	int r;

	if ((r = syslog_stream_alien(p, avail, &why)) == -1 && !c->eof)
		return CONN_NEED_MORE;
	if (r == 1) {
		n = format_escape_text(p, avail > 16 ? 16 : avail, esc,
		    sizeof(esc) - 1);
		conn_drop(c, DROP_MALFORMED);
		log_limited(&conn_rl, "client %s: not syslog on the syslog "
		    "stream socket (%s; it starts \"%.*s\"); closing the "
		    "connection", c->name, why, (int)(n < 0 ? 0 : n), esc);
		return CONN_CLOSE;
	}
	c->syslog_checked = true;
	return CONN_SKIP;
}

/* Syslog stream: the next line (LF- or NUL-framed, syslog.h says which)
 * or octet-counted message. */
static enum conn_action
conn_parse_syslog(struct conn *c)
{
	enum conn_action act;
	const char *msg;
	size_t msg_len;
	ssize_t n;

	if (!c->syslog_checked && (act = conn_check_syslog(c)) != CONN_SKIP)
		return act;
	n = syslog_frame(c->in.buf + c->in.off, c->in.len - c->in.off,
	    route_config(c->route)->max_record, &c->framing, &msg, &msg_len);
	if (n == 0 && c->eof && c->in.len > c->in.off) {
		/* The last message of a stream may lack its newline. */
		msg = c->in.buf + c->in.off;
		msg_len = c->in.len - c->in.off;
		n = msg_len;
	}
	if (n == 0)
		return c->eof ? CONN_CLOSE : CONN_NEED_MORE;
	if (n < 0) {
		c->skip = msg_len;
		c->skip_line = n == SYSLOG_FRAME_LONG_LINE;
		conn_drop(c, DROP_TOO_LARGE);
		log_limited(&conn_rl, "client %s: syslog message longer than "
		    "max_record; dropped", c->name);
		return CONN_SKIP;
	}
	c->consume = n;
	if (!route_admit(c->route, &c->rl, c->name, c->now_ns))
		return CONN_SKIP;
	memset(&c->rec, 0, sizeof(c->rec));
	/* A network peer may relay others' records: its messages name
	 * their host. A local one's never do. */
	if (c->net)
		syslog_parse_relayed(msg, msg_len, c->now_ns, &c->rec);
	else
		syslog_parse_local(msg, msg_len, c->now_ns, &c->rec);
	conn_stamp(c);
	if (c->rec.tag_len == 0) {
		c->rec.tag = c->comm;
		c->rec.tag_len = c->comm_len;
	}
	return conn_select(c);
}

/*
 * RELP: the next frame. "open" is answered at once with what we speak. A
 * "syslog" frame's record goes the way of any syslog message from the
 * network, and its transaction is answered later (CONN_ACK), once every
 * output that took the record has written it: when the peer has nothing
 * more queued, when CONN_RELP_MAX_ACKS wait, at "close" (answered last,
 * then the connection ends) and at the end of the stream.
 */
static enum conn_action
conn_parse_relp(struct conn *c)
{
	const char *why = "bad frame";
	struct relp_frame f;
	ssize_t n;

	if (c->relp_evicted || (c->relp_close && c->relp_nacks == 0))
		return CONN_CLOSE;
	n = relp_frame(c->in.buf + c->in.off, inbuf_pending(&c->in),
	    route_config(c->route)->max_record, &f, &why);
	if (n == 0 && !c->eof)
		return CONN_NEED_MORE;
	if (n == 0 && c->relp_nacks > 0)
		return CONN_ACK;
	if (n == 0) {
		if (inbuf_pending(&c->in) > 0 && !c->draining)
			conn_malformed(c, "connection closed inside a RELP "
			    "frame");
		return CONN_CLOSE;
	}
	if (n == -1) {
		conn_malformed(c, why);
		return CONN_CLOSE;
	}
	if (strcmp(f.command, "syslog") == 0) {
		c->relp_acks[c->relp_nacks++] = f.txnr;
		if (n == RELP_FRAME_TOO_LARGE) {
			c->skip = f.header + f.len + 1;
			counters_input_drop(DROP_TOO_LARGE, 1);
			log_limited(&conn_rl, "client %s: RELP message longer "
			    "than max_record; dropped", c->name);
			return CONN_SKIP;
		}
		c->consume = n;
		if (!route_admit(c->route, &c->rl, c->name, c->now_ns))
			return CONN_SKIP;
		memset(&c->rec, 0, sizeof(c->rec));
		syslog_parse_relayed(f.data, f.len, c->now_ns, &c->rec);
		conn_stamp(c);
		return conn_select(c);
	}
	if (n == RELP_FRAME_TOO_LARGE) {
		conn_malformed(c, "a RELP command with too much data");
		return CONN_CLOSE;
	}
	c->consume = n;
	if (strcmp(f.command, "open") == 0) {
		if (conn_set_reply(c, 128) == CONN_CLOSE)
			return CONN_CLOSE;
		c->reply_len = relp_rsp(c->reply, 128, f.txnr, RELP_OPEN_OK,
		    sizeof(RELP_OPEN_OK) - 1);
		return CONN_REPLY;
	}
	if (strcmp(f.command, "close") == 0) {
		c->relp_close = true;
		c->relp_close_txnr = f.txnr;
		return CONN_ACK;
	}
	conn_malformed(c, "a RELP command other than open, syslog, close");
	return CONN_CLOSE;
}

/* The answers to the transactions taken so far ("200 OK"), and to
 * "close" when it came. */
static enum conn_action
conn_relp_answer(struct conn *c)
{
	size_t need = (c->relp_nacks + 1) * 32, off = 0;
	unsigned i;

	if (conn_set_reply(c, need) == CONN_CLOSE)
		return CONN_CLOSE;
	for (i = 0; i < c->relp_nacks; i++)
		off += relp_rsp(c->reply + off, need - off, c->relp_acks[i],
		    RELP_OK, sizeof(RELP_OK) - 1);
	if (c->relp_close)
		off += relp_rsp(c->reply + off, need - off, c->relp_close_txnr,
		    "", 0);
	c->reply_len = off;
	c->relp_nacks = 0;
	return CONN_REPLY;
}

static enum conn_action
conn_parse(struct conn *c)
{
	size_t avail;

	/* RELP answers come first, even while an oversize frame is being
	 * discarded: the task asks for them when it would wait to read. */
	if (c->kind == CONN_RELP && (c->relp_flush ||
	    c->relp_nacks == CONN_RELP_MAX_ACKS))
		return CONN_ACK;

	if (c->skip > 0) {
		avail = c->in.len - c->in.off;
		if (avail == 0)
			return c->eof ? CONN_CLOSE : CONN_NEED_MORE;
		c->consume = avail < c->skip ? avail : c->skip;
		c->skip -= c->consume;
		return CONN_SKIP;
	}
	if (c->skip_line) {
		avail = c->in.len - c->in.off;
		if (avail == 0)
			return c->eof ? CONN_CLOSE : CONN_NEED_MORE;
		c->consume = syslog_frame_skip_line(c->in.buf + c->in.off, avail,
		    c->framing, &c->skip_line);
		return CONN_SKIP;
	}
	if (c->kind == CONN_NATIVE)
		return conn_parse_native(c);
	if (c->kind == CONN_RELP)
		return conn_parse_relp(c);
	return conn_parse_syslog(c);
}

/* Does the SYNC being answered wait until its records are written? */
static bool
conn_wait(const struct conn *c)
{
	return c->sync_v2 && (c->sync_flags & WIRE_SYNC_WRITTEN);
}

/* The answer to a SYNC, or to a SYNC2 with the connection's counts. */
static enum conn_action
conn_sync_reply(struct conn *c, uint8_t status)
{
	struct wire_sync2_ack a;

	if (conn_set_reply(c, 256) == CONN_CLOSE)
		return CONN_CLOSE;
	if (!c->sync_v2) {
		c->reply_len = wire_encode_sync(c->reply, 256, WIRE_SYNC_ACK,
		    c->sync_seq);
		return CONN_REPLY;
	}
	a.seq = c->sync_seq;
	a.status = status;
	a.received = c->received;
	memcpy(a.dropped, c->dropped, sizeof(a.dropped));
	c->reply_len = wire_encode_sync2_ack(c->reply, 256, &a);
	return CONN_REPLY;
}

/* The frame is handled: its bytes go, and so does its deadline, unless
 * the rest of a frame is still being discarded (it too must end in time). */
static void
conn_consume(struct conn *c)
{
	c->in.off += c->consume;
	c->consume = 0;
	if (c->skip == 0 && !c->skip_line)
		c->deadline_ns = 0;
}

/* Nothing pending, no record in flight: an idle client keeps no frame. */
static void
conn_idle_frame(struct conn *c)
{
	if (inbuf_pending(&c->in) == 0) {
		free(c->frame);
		c->frame = NULL;
	}
}

/* Has HELLO or a started frame missed its deadline? Then say so. */
static bool
conn_past_deadline(struct conn *c)
{
	if (c->deadline_ns == 0 || clock_mono_ns() < c->deadline_ns)
		return false;
	conn_timed_out(c);
	return true;
}

/* The direction the connection's next read waits for: a TLS session may
 * need to write (a key update) before it can read. */
static short
conn_read_events(const struct conn *c)
{
	return c->tls != NULL && c->tls_events == POLLOUT ? EV_WRITE : EV_READ;
}

/*
 * One step of the TLS handshake: 0 done, 1 wait (c->tls_events), -1 failed
 * (said in the log). Done, the name in a verified client certificate is
 * kept for its records and messages.
 */
static int
conn_tls_step(struct conn *c)
{
	char err[256];
	int r;

	if ((r = tls_handshake(c->tls, &c->tls_events, err, sizeof(err))) == 1)
		return 1;
	if (r == -1) {
		log_limited(&conn_rl, "client %s: %s; closing the connection",
		    c->name, err);
		return -1;
	}
	c->handshaken = true;
	c->tls_events = POLLIN;
	c->deadline_ns = 0;
	c->peer_cert_len = tls_peer_cert_name(c->tls, c->peer_cert,
	    sizeof(c->peer_cert));
	if (c->peer_cert_len > 0) {
		char esc[4 * 32 + 1];
		ssize_t n = format_escape_text(c->peer_cert, c->peer_cert_len >
		    32 ? 32 : c->peer_cert_len, esc, sizeof(esc) - 1);

		snprintf(c->name, sizeof(c->name), "peer %s (%.*s)", c->peer,
		    (int)(n < 0 ? 0 : n), esc);
	}
	return 0;
}

static enum task_step
conn_task(struct task *t)
{
	struct conn *c = t->arg;
	enum conn_action act;
	ssize_t n;

	TASK_BEGIN(t);
	/* A TLS peer must finish its handshake within frame_timeout_ms, as
	 * a frame must: one that never does holds a slot no longer. */
	while (c->tls != NULL && !c->handshaken) {
		if ((n = conn_tls_step(c)) == -1)
			goto done;
		if (n == 0)
			break;
		TASK_AWAIT_FD(t, c->fd, conn_read_events(c),
		    conn_read_wait_ms(c));
		if (t->result == TASK_TIMEOUT) {
			log_limited(&conn_rl, "client %s: TLS handshake not "
			    "finished within frame_timeout_ms (%u ms); closing "
			    "the connection", c->name,
			    route_config(c->route)->frame_timeout_ms);
			goto done;
		}
	}
	for (;;) {
		act = conn_parse(c);
		if (act == CONN_CLOSE)
			break;
		if (act == CONN_DELIVER) {
			/*
			 * Backpressure, but bounded: an output that has had no
			 * room for stall_timeout_ms is stalled, and waiting on
			 * it would hold up this client's records bound for
			 * every other output too. It gets an overflow drop.
			 */
			while ((c->waiting = route_deliver_outcome(c->route,
			    &c->rec, &c->pending, &c->outcome)) != NULL) {
				TASK_AWAIT_COND(t, output_room(c->waiting),
				    (int)route_config(c->route)->stall_timeout_ms);
				if (t->result == TASK_TIMEOUT)
					route_give_up_outcome(c->route,
					    c->waiting, &c->pending, &c->outcome);
			}
			conn_delivered(c);
			act = CONN_SKIP;
		}
		if (act == CONN_SKIP) {
			conn_consume(c);
			continue;
		}
		if (act == CONN_ACK) {
			/* RELP: a transaction is answered only once every
			 * output that took its record has written it. One
			 * that is not surely written gets no answer: the
			 * connection ends and the sender sends it again. */
			conn_consume(c);
			c->relp_flush = false;
			barrier_begin(c->barrier, c->route, true);
			while ((c->sync_output = barrier_next(c->barrier,
			    c->route)) != NULL) {
				TASK_AWAIT_COND(t, output_progress(c->sync_output),
				    (int)route_config(c->route)->stall_timeout_ms);
				if (t->result == TASK_TIMEOUT)
					barrier_give_up(c->barrier,
					    c->sync_output);
			}
			if (!barrier_sure(c->barrier) || c->relp_dropped) {
				log_limited(&conn_rl, "client %s: %u RELP "
				    "records not surely written (an output "
				    "stalled or dropped); closing without "
				    "answering them, so that the sender sends "
				    "them again", c->name, c->relp_nacks);
				break;
			}
			if (conn_relp_answer(c) == CONN_CLOSE)
				break;
			act = CONN_REPLY;
		} else if (act == CONN_SYNC) {
			conn_consume(c);
			if (c->barrier == NULL && (c->barrier =
			    calloc(1, sizeof(*c->barrier))) == NULL)
				break;
			barrier_begin(c->barrier, c->route, conn_wait(c));
			/* An output that completes nothing for stall_timeout_ms
			 * is stuck. A SYNC then stays unanswered (the client's
			 * flush times out) and we go on reading this client;
			 * a SYNC2 that waits for writes is answered "unsure". */
			while ((c->sync_output = barrier_next(c->barrier,
			    c->route)) != NULL) {
				TASK_AWAIT_COND(t, output_progress(c->sync_output),
				    (int)route_config(c->route)->stall_timeout_ms);
				if (t->result != TASK_TIMEOUT)
					continue;
				log_limited(&conn_rl, "client %s: output %s is "
				    "not completing writes; %s", c->name,
				    output_name(c->sync_output), conn_wait(c) ?
				    "SYNC2 answered unsure" : "SYNC not answered");
				if (!conn_wait(c))
					break;
				barrier_give_up(c->barrier, c->sync_output);
			}
			if (c->sync_output != NULL)
				continue;
			if (conn_sync_reply(c, !conn_wait(c) ? 0 :
			    barrier_sure(c->barrier) ? WIRE_ACK_WRITTEN :
			    WIRE_ACK_UNSURE) == CONN_CLOSE)
				break;
			act = CONN_REPLY;
		} else if (act == CONN_REPLY) {
			conn_consume(c);
		}
		if (act == CONN_REPLY) {
			while (c->reply_off < c->reply_len) {
				n = send(c->fd, c->reply + c->reply_off,
				    c->reply_len - c->reply_off,
				    MSG_DONTWAIT | MSG_NOSIGNAL);
				if (n > 0) {
					c->reply_off += n;
					continue;
				}
				if (n == -1 && errno == EINTR)
					continue;
				if (n == -1 && errno != EAGAIN)
					goto done;
				TASK_AWAIT_FD(t, c->fd, EV_WRITE,
				    CONN_REPLY_TIMEOUT_MS);
				if (t->result == TASK_TIMEOUT)
					goto done;
			}
			continue;
		}
		/* CONN_NEED_MORE */
		n = conn_read(c);
		if (n == 0) {
			c->eof = true;
			continue;
		}
		if (n > 0)
			continue;
		if (n == -2) {
			/* The client buffers' budget is spent: free it from
			 * whoever hoards most, or wait until memory is back. */
			if (conn_evict(c))
				continue;
			c->reading = true;
			TASK_AWAIT_COND(t, &c->set->mem.freed,
			    conn_read_wait_ms(c));
			c->reading = false;
			if (conn_past_deadline(c))
				break;
			continue;
		}
		if (errno != EAGAIN) {
			if (errno != ECONNRESET && errno != ENOBUFS)
				log_limited(&conn_rl, "client %s: read: %s",
				    c->name, strerror(errno));
			break;
		}
		if (c->kind == CONN_RELP && c->relp_nacks > 0) {
			/* The peer has nothing more queued: answer. */
			c->relp_flush = true;
			continue;
		}
		if (c->draining && inbuf_pending(&c->in) == 0)
			break;	/* everything the client sent is taken */
		inbuf_idle(&c->in, &c->set->mem);
		conn_idle_frame(c);
		c->reading = true;
		TASK_AWAIT_FD(t, c->fd, conn_read_events(c),
		    conn_read_wait_ms(c));
		c->reading = false;
		if (conn_past_deadline(c))
			break;
	}
done:
	TASK_END(t);
}

struct conn_set *
conn_set_new(struct event_base *base, struct route *route)
{
	struct conn_set *set;

	if ((set = calloc(1, sizeof(*set))) == NULL)
		return NULL;
	set->base = base;
	set->route = route;
	LIST_INIT(&set->list);
	task_cond_init(&set->ended);
	inbuf_budget_init(&set->mem, route_config(route)->client_memory);
	if ((set->drops = dropreport_new(base, route)) == NULL) {
		free(set);
		return NULL;
	}
	return set;
}

struct dropreport *
conn_set_drops(struct conn_set *set)
{
	return set->drops;
}

void
conn_set_free(struct conn_set *set)
{
	if (set == NULL)
		return;
	conn_close_all(set);
	inbuf_budget_free(&set->mem);
	dropreport_free(set->drops);
	tls_creds_free(set->tls);
	free(set);
}

void
conn_set_hold_tls(struct conn_set *set, struct tls_creds *creds)
{
	tls_creds_free(set->tls);
	set->tls = creds;
}

unsigned
conn_count(const struct conn_set *set)
{
	return set->n;
}

struct task_cond *
conn_ended(struct conn_set *set)
{
	return &set->ended;
}

static unsigned
conn_count_uid(const struct conn_set *set, uid_t uid)
{
	const struct conn *c;
	unsigned n = 0;

	LIST_FOREACH(c, &set->list, entry)
		n += !c->net && c->cred.uid == uid;
	return n;
}

static unsigned
conn_count_peer(const struct conn_set *set, const char *addr)
{
	const struct conn *c;
	unsigned n = 0;

	LIST_FOREACH(c, &set->list, entry)
		n += c->net && strcmp(c->peer, addr) == 0;
	return n;
}

/*
 * May this peer have a connection? Not past max_clients; one user (uid),
 * or one network address, not past its share of them
 * (max_clients_per_user, max_clients_per_peer), so that one cannot lock
 * the others out; and the last few slots are kept for root and the
 * daemon's own user, so that `asynclog --stats` still answers during such
 * an attack. peer is NULL for a local client.
 */
static bool
conn_may_join(struct conn_set *set, const struct ucred *cred,
    const char *peer)
{
	const struct config *conf = route_config(set->route);
	unsigned max = conf->max_clients, reserve, share, per;
	bool privileged = peer == NULL && (cred->uid == 0 ||
	    cred->uid == geteuid());
	char who[64];

	if (peer != NULL)
		snprintf(who, sizeof(who), "peer %s", peer);
	else
		snprintf(who, sizeof(who), "uid %ld", (long)cred->uid);
	reserve = max / 16 < 1 ? 1 : max / 16 > 64 ? 64 : max / 16;
	per = peer != NULL ? conf->max_clients_per_peer :
	    conf->max_clients_per_user;
	share = per != 0 ? per : (max / 4 < 1 ? 1 : max / 4);
	if (set->n >= max) {
		log_limited(&conn_rl, "too many clients (%u); refusing a "
		    "connection from %s", set->n, who);
		return false;
	}
	if (privileged || max <= reserve)
		return true;
	if (set->n >= max - reserve) {
		log_limited(&conn_rl, "%u clients; the last %u of max_clients "
		    "are kept for root: refusing %s", set->n, reserve, who);
		return false;
	}
	if ((peer != NULL ? conn_count_peer(set, peer) :
	    conn_count_uid(set, cred->uid)) >= share) {
		log_limited(&conn_rl, "%s has %u connections, its share "
		    "of max_clients (%s); refusing another", who, share,
		    peer != NULL ? "max_clients_per_peer" :
		    "max_clients_per_user");
		return false;
	}
	return true;
}

/* Start c's task and count it in; frees c and closes fd on failure. */
static int
conn_start(struct conn_set *set, struct conn *c)
{
	c->set = set;
	c->route = set->route;
	c->max_frame = route_config(c->route)->max_record + WIRE_RECORD_OVERHEAD;
	if (task_spawn(set->base, &c->task, "conn", conn_task, conn_cleanup,
	    c) == -1) {
		tls_conn_free(c->tls);
		close(c->fd);
		free(c);
		return -1;
	}
	LIST_INSERT_HEAD(&set->list, c, entry);
	set->n++;
	counters_clients++;
	counters_connections++;
	return 0;
}

int
conn_spawn(struct conn_set *set, int fd, enum conn_kind kind)
{
	socklen_t len = sizeof(struct ucred);
	struct ucred cred;
	struct conn *c = NULL;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		cred = (struct ucred){ -1, (uid_t)-1, (gid_t)-1 };
	if (!conn_may_join(set, &cred, NULL)) {
		counters_refused++;
		goto fail;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto fail;
	c->kind = kind;
	c->fd = fd;
	c->cred = cred;
	c->unit_len = unit_of_pid(cred.pid, c->unit, sizeof(c->unit));
	/* Read now: a client that sends and exits may be gone by the time
	 * its first record is parsed. */
	if (kind == CONN_SYSLOG_STREAM)
		c->comm_len = unit_comm_of_pid(cred.pid, c->comm,
		    sizeof(c->comm));
	snprintf(c->name, sizeof(c->name), "pid %ld", (long)c->cred.pid);
	c->rl.pid = c->cred.pid;
	return conn_start(set, c);
fail:
	close(fd);
	return -1;
}

int
conn_spawn_peer(struct conn_set *set, int fd, const struct conn_peer *peer)
{
	struct conn *c = NULL;
	char err[256];

	if (!conn_may_join(set, &(struct ucred){ -1, (uid_t)-1, (gid_t)-1 },
	    peer->addr)) {
		counters_refused++;
		goto fail;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto fail;
	c->kind = peer->relp ? CONN_RELP : CONN_SYSLOG_STREAM;
	c->fd = fd;
	c->cred = (struct ucred){ -1, (uid_t)-1, (gid_t)-1 };
	c->net = true;
	if (peer->relp && ((c->relp_acks = calloc(CONN_RELP_MAX_ACKS,
	    sizeof(*c->relp_acks))) == NULL || (c->barrier = calloc(1,
	    sizeof(*c->barrier))) == NULL))
		goto fail;
	snprintf(c->peer, sizeof(c->peer), "%s", peer->addr);
	c->peer_len = strlen(c->peer);
	snprintf(c->name, sizeof(c->name), strchr(c->peer, ':') != NULL ?
	    "peer [%s]:%u" : "peer %s:%u", c->peer, peer->port);
	c->rl.pid = -1;
	if (peer->tls != NULL) {
		if ((c->tls = tls_server_new(peer->tls, fd, peer->client_certs,
		    c->peer, err, sizeof(err))) == NULL) {
			log_limited(&conn_rl, "client %s: %s", c->name, err);
			goto fail;
		}
		c->deadline_ns = clock_mono_ns() + (int64_t)route_config(
		    set->route)->frame_timeout_ms * 1000000;
	}
	return conn_start(set, c);
fail:
	if (c != NULL) {
		free(c->relp_acks);
		free(c->barrier);
	}
	free(c);
	close(fd);
	return -1;
}

void
conn_drain_all(struct conn_set *set)
{
	struct conn *c;

	/*
	 * shutdown(SHUT_RD) makes every later send of the client fail with
	 * EPIPE while what it already sent stays readable: we take all of
	 * that, and the client knows exactly which records did not get in
	 * (it counts them as dropped) instead of losing them silently in a
	 * socket buffer. A connection blocked on output space keeps waiting
	 * for it; one idle in read is woken to take what is queued and end.
	 */
	LIST_FOREACH(c, &set->list, entry) {
		c->draining = true;
		(void)shutdown(c->fd, SHUT_RD);
		if (!task_waiting_cond(&c->task))
			task_wake(&c->task);
	}
}

/*
 * Past the drain deadline, what a connection still holds is counted, not
 * lost: the record waiting for room, at the outputs it had not reached,
 * and every frame still in its buffer or in the socket, decoded and routed
 * as if to be delivered and counted as dropped (shutdown) where it was
 * going. SHUT_RD makes the client's later sends fail, so the socket holds
 * a finite amount; it is read without blocking. Returns how many records.
 */
static uint64_t
conn_drop_leftovers(struct conn *c)
{
	enum conn_action act;
	uint64_t n = 0;
	ssize_t r;

	(void)shutdown(c->fd, SHUT_RD);
	c->draining = true;
	if (c->waiting != NULL) {
		route_drop_pending(c->route, &c->pending, DROP_SHUTDOWN);
		c->waiting = NULL;
		conn_consume(c);
		n++;
	}
	for (;;) {
		act = conn_parse(c);
		if (act == CONN_CLOSE)
			break;
		if (act == CONN_DELIVER) {
			route_drop_pending(c->route, &c->pending, DROP_SHUTDOWN);
			n++;
		}
		if (act == CONN_ACK) {
			/* No answer now: the sender sends them again. */
			c->relp_nacks = 0;
			c->relp_flush = false;
			if (c->relp_close)
				break;
		}
		if (act != CONN_NEED_MORE) {
			conn_consume(c);
			continue;
		}
		if (c->eof)
			break;
		/* EOF, or nothing more queued (EAGAIN): the stream ends here. */
		if ((r = conn_read(c)) == 0 || (r == -1 && errno == EAGAIN))
			c->eof = true;
		else if (r < 0)
			break;
	}
	/* A record cut short by SHUT_RD: the library counts the frame it
	 * could not finish, so the daemon does only for syslog senders. */
	if (c->kind != CONN_NATIVE && conn_partial_record(c)) {
		counters_input_drop(DROP_SHUTDOWN, 1);
		n++;
	}
	return n;
}

void
conn_close_all(struct conn_set *set)
{
	struct conn *c;
	uint64_t n, total = 0;
	unsigned clients = 0;

	/* What is left must be counted whatever memory it takes to read it;
	 * one connection at a time, each freeing its buffer as it ends. */
	set->closing = true;
	set->mem.limit = SIZE_MAX;
	while ((c = LIST_FIRST(&set->list)) != NULL) {
		if ((n = conn_drop_leftovers(c)) > 0 && clients++ < 20)
			log_info("client %s: %llu records not taken by the drain "
			    "deadline; counted as dropped (shutdown)", c->name,
			    (unsigned long long)n);
		total += n;
		task_cancel(&c->task);
	}
	if (clients > 20)
		log_info("%u clients in all had %llu records not taken by the "
		    "drain deadline (shutdown)", clients,
		    (unsigned long long)total);
	/* Every client has said its last: what they dropped goes into the
	 * log while the outputs still write. */
	dropreport_flush(set->drops);
}
