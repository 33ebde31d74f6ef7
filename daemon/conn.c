/*
 * conn.c: the connection task. In the order things happen to a record:
 * read into the connection's buffer, cut out one frame (native) or message
 * (syslog stream), stamp it with SO_PEERCRED pid/uid/gid and the receive
 * time, route it, and format it into each output's chunk. The record's bytes
 * stay in the read buffer until every output has taken it, so waiting for
 * buffer space costs no copy.
 *
 * A malformed frame ends this connection only, with a counted `malformed`
 * drop and one (rate-limited) line in the daemon's log.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "conn.h"
#include "format.h"
#include "log.h"
#include "ratelimit.h"
#include "server.h"
#include "stats.h"
#include "syslog.h"
#include "wire.h"

#define CONN_BUF_INITIAL	(16 * 1024)
#define CONN_REPLY_TIMEOUT_MS	5000
/* Bytes a RECORD frame needs beyond its message (see docs/protocol.md). */
#define CONN_FRAME_OVERHEAD	(WIRE_HEADER_SIZE + 16 + WIRE_MAX_TAG + \
				 WIRE_MAX_FIELDS * 6)

enum conn_action {
	CONN_NEED_MORE,		/* read more bytes */
	CONN_DELIVER,		/* c->rec is ready for c->pending outputs */
	CONN_SKIP,		/* frame handled, consume it */
	CONN_REPLY,		/* c->reply is ready to send */
	CONN_SYNC,		/* wait for sync=always outputs, then reply */
	CONN_CLOSE,
};

/* Where an output must get to before a SYNC is answered. */
struct conn_sync {
	uint64_t	 output_id;	/* a reload may reuse index and memory */
	uint64_t	 seq;
};

struct conn {
	struct task	 task;
	LIST_ENTRY(conn) entry;
	struct server	*srv;
	enum conn_kind	 kind;
	int		 fd;
	pid_t		 pid;		/* SO_PEERCRED */
	uid_t		 uid;
	gid_t		 gid;
	char		 name[64];	/* "pid 42 (tag)" for messages */

	char		*buf;		/* unparsed bytes are buf[off..len) */
	size_t		 cap;
	size_t		 len;
	size_t		 off;
	size_t		 skip;		/* bytes of an oversize frame still to discard */
	bool		 skip_line;	/* then the rest of an oversize syslog line */
	size_t		 max_frame;
	bool		 hello;		/* native: HELLO seen */
	bool		 eof;
	bool		 draining;
	int64_t		 now_ns;	/* receive time of the current read */

	struct wire_frame frame;
	struct record	 rec;
	size_t		 consume;	/* bytes the current frame occupies */
	uint64_t	 pending;	/* outputs still to take rec */
	struct output	*waiting;	/* output we wait on for space */

	char		*reply;
	size_t		 reply_len;
	size_t		 reply_off;
	uint64_t	 sync_seq;
	struct conn_sync *sync_points;	/* per output index, for SYNC */
	struct output	*sync_output;
	char		 note[256];	/* message of a record of our own */
	struct ratelimit rl;		/* ratelimit: this sender's window */
};

static struct log_ratelimit conn_rl = LOG_RATELIMIT_INIT(10000, 10);

static void
conn_cleanup(struct task *t)
{
	struct conn *c = t->arg;
	struct ratelimit_report rep;

	/* What its last window dropped must not go unsaid. */
	ratelimit_flush(&c->rl, &rep);
	server_ratelimit_report(c->srv, &rep, c->name);

	LIST_REMOVE(c, entry);
	c->srv->nconns--;
	stats_clients--;
	if (close(c->fd) == -1)
		log_warn("close: %s", strerror(errno));
	task_cond_broadcast(&c->srv->conns_changed);
	free(c->sync_points);
	free(c->reply);
	free(c->buf);
	free(c);
}

static void
conn_malformed(struct conn *c, const char *why)
{
	stats_input_drop(DROP_MALFORMED, 1);
	log_limited(&conn_rl, "client %s: malformed input (%s); closing the "
	    "connection", c->name, why);
}

/* Read what the socket has. Returns bytes read, 0 at EOF, -1 (EAGAIN: await). */
static ssize_t
conn_read(struct conn *c)
{
	size_t want;
	ssize_t n;
	char *nb;

	/* From the running config: a reload may have raised max_record. */
	c->max_frame = c->srv->conf->max_record + CONN_FRAME_OVERHEAD;
	want = c->max_frame + 4096;

	if (c->off > 0 && c->off == c->len)
		c->off = c->len = 0;
	if (c->cap - c->len < 4096 && c->off > 0) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	if (c->cap - c->len < 4096 && c->cap < want) {
		size_t ncap = c->cap * 2 < want ? c->cap * 2 : want;

		if ((nb = realloc(c->buf, ncap)) == NULL) {
			errno = ENOMEM;
			return -1;
		}
		c->buf = nb;
		c->cap = ncap;
	}
	if (c->cap == c->len) {
		/* Cannot happen with frames within max_frame; never recv(0),
		 * which would read as end of file. */
		conn_malformed(c, "a frame larger than the read buffer");
		errno = ENOBUFS;
		return -1;
	}
	for (;;) {
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		break;
	}
	if (n > 0) {
		c->len += n;
		c->now_ns = log_now_ns();
	}
	return n;
}

/*
 * Going idle with nothing buffered: give back a read buffer that grew for
 * a burst, so thousands of quiet clients cost 16 KiB each, not 70.
 */
static void
conn_shrink(struct conn *c)
{
	char *nb;

	if (c->off != c->len || c->cap <= CONN_BUF_INITIAL)
		return;
	if ((nb = realloc(c->buf, CONN_BUF_INITIAL)) == NULL)
		return;
	c->buf = nb;
	c->cap = CONN_BUF_INITIAL;
	c->off = c->len = 0;
}

/* Within this sender's rate limit? Over it, the record is counted dropped. */
static bool
conn_rate_ok(struct conn *c)
{
	const struct config *conf = c->srv->conf;
	struct ratelimit_report rep;
	bool ok;

	ok = ratelimit_check(&c->rl, conf->ratelimit_interval_ms,
	    conf->ratelimit_burst, c->now_ns, &rep);
	server_ratelimit_report(c->srv, &rep, c->name);
	if (!ok)
		stats_input_drop(DROP_RATE_LIMITED, 1);
	return ok;
}

static void
conn_stamp(struct conn *c, struct record *r)
{
	r->time_ns = c->now_ns;
	r->pid = c->pid;
	r->uid = c->uid;
	r->gid = c->gid;
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

	if ((text = stats_render(c->srv, format == WIRE_STATS_JSON)) == NULL)
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

/*
 * The client reports records it had to drop: count them, and put a record
 * of asynclogd saying so into the log itself, delivered like any other
 * (with backpressure), so the loss is visible where the records are missing.
 */
static enum conn_action
conn_client_dropped(struct conn *c, const struct wire_dropped *d)
{
	char t1[64], t2[64];
	ssize_t n1, n2;
	int n;

	/* A client's word, so bounded: one frame cannot wrap the counters. */
	stats_input_drop(DROP_CLIENT, d->count > UINT32_MAX ? UINT32_MAX :
	    d->count);
	n1 = format_time(d->since_ns, t1, sizeof(t1));
	n2 = format_time(d->until_ns, t2, sizeof(t2));
	n = snprintf(c->note, sizeof(c->note), "client %s dropped %llu records "
	    "from %.*s to %.*s", c->name, (unsigned long long)d->count,
	    (int)(n1 < 0 ? 0 : n1), t1, (int)(n2 < 0 ? 0 : n2), t2);
	log_self_record(&c->rec, 4, c->note,
	    (size_t)n < sizeof(c->note) ? (size_t)n : sizeof(c->note) - 1);
	c->rec.time_ns = c->now_ns;
	c->pending = server_route(c->srv, &c->rec);
	return c->pending != 0 ? CONN_DELIVER : CONN_SKIP;
}

/* Native stream: decode the next frame and say what to do with it. */
static enum conn_action
conn_parse_native(struct conn *c)
{
	const unsigned char *p = (const unsigned char *)c->buf + c->off;
	size_t avail = c->len - c->off;
	const struct wire_record *wr;
	const char *err = NULL;
	uint32_t flen;
	ssize_t n;

	/* A record bigger than we accept is skipped and counted, not fatal. */
	if (avail >= WIRE_HEADER_SIZE && p[4] == WIRE_RECORD && c->hello) {
		flen = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
		    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
		if ((size_t)flen + 4 > c->max_frame) {
			c->skip = (size_t)flen + 4;
			stats_input_drop(DROP_TOO_LARGE, 1);
			log_limited(&conn_rl, "client %s: record of %u bytes is "
			    "larger than max_record; dropped", c->name, flen);
			return CONN_SKIP;
		}
	}
	n = wire_decode(p, avail, c->max_frame, &c->frame, &err);
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
	if (!c->hello && c->frame.type != WIRE_HELLO) {
		conn_malformed(c, "first frame is not HELLO");
		return CONN_CLOSE;
	}
	switch (c->frame.type) {
	case WIRE_HELLO:
		if (c->hello) {
			conn_malformed(c, "second HELLO");
			return CONN_CLOSE;
		}
		c->hello = true;
		snprintf(c->name, sizeof(c->name), "pid %ld (%.*s)",
		    (long)c->pid, (int)(c->frame.u.hello.name_len > 32 ? 32 :
		    c->frame.u.hello.name_len), c->frame.u.hello.name);
		return CONN_SKIP;
	case WIRE_RECORD:
		wr = &c->frame.u.record;
		if (wr->msg_len > c->srv->conf->max_record) {
			stats_input_drop(DROP_TOO_LARGE, 1);
			return CONN_SKIP;
		}
		if (!conn_rate_ok(c))
			return CONN_SKIP;
		memset(&c->rec, 0, sizeof(c->rec));
		conn_stamp(c, &c->rec);
		c->rec.client_time_ns = wr->time_ns;
		c->rec.facility = wr->priority >> 3;
		c->rec.severity = wr->priority & 7;
		c->rec.tag = wr->tag;
		c->rec.tag_len = wr->tag_len;
		c->rec.msg = wr->msg;
		c->rec.msg_len = wr->msg_len;
		c->rec.fields = wr->fields;
		c->rec.nfields = wr->nfields;
		c->pending = server_route(c->srv, &c->rec);
		return c->pending != 0 ? CONN_DELIVER : CONN_SKIP;
	case WIRE_DROPPED:
		return conn_client_dropped(c, &c->frame.u.dropped);
	case WIRE_STATS:
		return conn_stats_reply(c, c->frame.u.stats_format);
	case WIRE_SYNC:
		c->sync_seq = c->frame.u.sync_seq;
		return CONN_SYNC;
	default:
		conn_malformed(c, "frame type not sent by clients");
		return CONN_CLOSE;
	}
}

/* Syslog stream: the next newline-terminated or octet-counted message. */
static enum conn_action
conn_parse_syslog(struct conn *c)
{
	const char *msg;
	size_t msg_len;
	ssize_t n;

	n = syslog_frame(c->buf + c->off, c->len - c->off,
	    c->srv->conf->max_record, &msg, &msg_len);
	if (n == 0 && c->eof && c->len > c->off) {
		/* The last message of a stream may lack its newline. */
		msg = c->buf + c->off;
		msg_len = c->len - c->off;
		n = msg_len;
	}
	if (n == 0)
		return c->eof ? CONN_CLOSE : CONN_NEED_MORE;
	if (n < 0) {
		c->skip = msg_len;
		c->skip_line = n == SYSLOG_FRAME_LONG_LINE;
		stats_input_drop(DROP_TOO_LARGE, 1);
		log_limited(&conn_rl, "client %s: syslog message longer than "
		    "max_record; dropped", c->name);
		return CONN_SKIP;
	}
	c->consume = n;
	if (!conn_rate_ok(c))
		return CONN_SKIP;
	memset(&c->rec, 0, sizeof(c->rec));
	syslog_parse(msg, msg_len, c->now_ns, &c->rec);
	conn_stamp(c, &c->rec);
	if (c->rec.claimed_pid == c->pid)
		c->rec.claimed_pid = 0;
	c->pending = server_route(c->srv, &c->rec);
	return c->pending != 0 ? CONN_DELIVER : CONN_SKIP;
}

static enum conn_action
conn_parse(struct conn *c)
{
	size_t avail;

	if (c->skip > 0) {
		avail = c->len - c->off;
		if (avail == 0)
			return c->eof ? CONN_CLOSE : CONN_NEED_MORE;
		c->consume = avail < c->skip ? avail : c->skip;
		c->skip -= c->consume;
		return CONN_SKIP;
	}
	if (c->skip_line) {
		avail = c->len - c->off;
		if (avail == 0)
			return c->eof ? CONN_CLOSE : CONN_NEED_MORE;
		c->consume = syslog_frame_skip_line(c->buf + c->off, avail,
		    &c->skip_line);
		return CONN_SKIP;
	}
	if (c->kind == CONN_NATIVE)
		return conn_parse_native(c);
	return conn_parse_syslog(c);
}

/* SYNC: flush every sync=always output and note where it must get to. */
static void
conn_sync_begin(struct conn *c)
{
	struct output *o;

	TAILQ_FOREACH(o, &c->srv->outputs, entry)
		c->sync_points[o->index] = (struct conn_sync){ o->id,
		    o->conf->sync == SYNC_ALWAYS ? output_sync_point(o) : 0 };
}

/* The next output whose sync point is not reached yet, or NULL. */
static struct output *
conn_sync_next(struct conn *c)
{
	struct output *o;

	TAILQ_FOREACH(o, &c->srv->outputs, entry)
		if (c->sync_points[o->index].output_id == o->id &&
		    o->completed_seq < c->sync_points[o->index].seq)
			return o;
	return NULL;
}

static enum task_step
conn_task(struct task *t)
{
	struct conn *c = t->arg;
	enum conn_action act;
	ssize_t n;

	TASK_BEGIN(t);
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
			while ((c->waiting = server_deliver(c->srv, &c->rec,
			    &c->pending)) != NULL) {
				TASK_AWAIT_COND(t, &c->waiting->space,
				    (int)c->srv->conf->stall_timeout_ms);
				if (t->result == TASK_TIMEOUT)
					server_skip(c->srv, c->waiting,
					    &c->pending);
			}
			act = CONN_SKIP;
		}
		if (act == CONN_SKIP) {
			c->off += c->consume;
			c->consume = 0;
			continue;
		}
		if (act == CONN_SYNC) {
			c->off += c->consume;
			c->consume = 0;
			if (c->sync_points == NULL && (c->sync_points =
			    calloc(SERVER_MAX_OUTPUTS, sizeof(struct conn_sync))) == NULL)
				break;
			conn_sync_begin(c);
			/* An output that completes nothing for stall_timeout_ms
			 * is stuck: the SYNC stays unanswered (the client's
			 * flush times out) and we go on reading this client. */
			while ((c->sync_output = conn_sync_next(c)) != NULL) {
				TASK_AWAIT_COND(t, &c->sync_output->completed,
				    (int)c->srv->conf->stall_timeout_ms);
				if (t->result == TASK_TIMEOUT)
					break;
			}
			if (c->sync_output != NULL) {
				log_limited(&conn_rl, "client %s: output %s is "
				    "not completing writes; SYNC not answered",
				    c->name, c->sync_output->conf->name);
				continue;
			}
			if (conn_set_reply(c, 16) == CONN_CLOSE)
				break;
			c->reply_len = wire_encode_sync(c->reply, 16,
			    WIRE_SYNC_ACK, c->sync_seq);
			act = CONN_REPLY;
		} else if (act == CONN_REPLY) {
			c->off += c->consume;
			c->consume = 0;
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
		if (errno != EAGAIN) {
			if (errno != ECONNRESET && errno != ENOBUFS)
				log_limited(&conn_rl, "client %s: read: %s",
				    c->name, strerror(errno));
			break;
		}
		if (c->draining && c->len == c->off)
			break;	/* everything the client sent is taken */
		conn_shrink(c);
		TASK_AWAIT_FD(t, c->fd, EV_READ, -1);
	}
done:
	TASK_END(t);
}

int
conn_spawn(struct server *srv, int fd, enum conn_kind kind)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto fail;
	if ((c->buf = malloc(CONN_BUF_INITIAL)) == NULL)
		goto fail;
	c->cap = CONN_BUF_INITIAL;
	c->srv = srv;
	c->kind = kind;
	c->fd = fd;
	c->pid = -1;
	c->uid = (uid_t)-1;
	c->gid = (gid_t)-1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
		c->pid = cred.pid;
		c->uid = cred.uid;
		c->gid = cred.gid;
	}
	snprintf(c->name, sizeof(c->name), "pid %ld", (long)c->pid);
	c->rl.pid = c->pid;
	c->max_frame = srv->conf->max_record + CONN_FRAME_OVERHEAD;
	if (task_spawn(srv->base, &c->task, "conn", conn_task, conn_cleanup,
	    c) == -1)
		goto fail;
	LIST_INSERT_HEAD(&srv->conns, c, entry);
	srv->nconns++;
	stats_clients++;
	stats_connections++;
	return 0;
fail:
	if (c != NULL)
		free(c->buf);
	free(c);
	close(fd);
	return -1;
}

void
conn_drain_all(struct server *srv)
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
	LIST_FOREACH(c, &srv->conns, entry) {
		c->draining = true;
		(void)shutdown(c->fd, SHUT_RD);
		if (c->task.cond == NULL)
			task_wake(&c->task);
	}
}

void
conn_close_all(struct server *srv)
{
	struct conn *c;
	struct output *o;

	while ((c = LIST_FIRST(&srv->conns)) != NULL) {
		/* Past the drain deadline, a record still waiting for room is
		 * dropped where it was going, and counted there. */
		if (c->waiting != NULL)
			TAILQ_FOREACH(o, &srv->outputs, entry)
				if (c->pending & ((uint64_t)1 << o->index))
					output_count_drop(o, DROP_OVERFLOW);
		task_cancel(&c->task);
	}
}
