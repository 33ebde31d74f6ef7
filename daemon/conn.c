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
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "conn.h"
#include "log.h"
#include "output.h"
#include "ratelimit.h"
#include "report.h"
#include "route.h"
#include "counters.h"
#include "stats.h"
#include "syslog.h"
#include "task.h"
#include "wire.h"

#define CONN_BUF_INITIAL	(16 * 1024)
#define CONN_REPLY_TIMEOUT_MS	5000

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

struct conn_set {
	struct event_base *base;
	struct route	*route;
	LIST_HEAD(, conn) list;
	unsigned	 n;
	struct task_cond ended;		/* a connection ended */
};

struct conn {
	struct task	 task;
	LIST_ENTRY(conn) entry;
	struct conn_set	*set;
	struct route	*route;
	enum conn_kind	 kind;
	int		 fd;
	struct ucred	 cred;		/* SO_PEERCRED */
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
	struct report	 report;	/* a record of our own, while delivered */
	struct ratelimit rl;		/* ratelimit: this sender's window */
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
	if (close(c->fd) == -1)
		log_warn("close: %s", strerror(errno));
	task_cond_broadcast(&c->set->ended);
	free(c->sync_points);
	free(c->reply);
	free(c->buf);
	free(c);
}

static void
conn_malformed(struct conn *c, const char *why)
{
	counters_input_drop(DROP_MALFORMED, 1);
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
	c->max_frame = route_config(c->route)->max_record + WIRE_RECORD_OVERHEAD;
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
		c->now_ns = clock_now_ns();
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

	if ((text = stats_render(c->route, format == WIRE_STATS_JSON)) == NULL)
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
	/* A client's word, so bounded: one frame cannot wrap the counters. */
	counters_input_drop(DROP_CLIENT, d->count > UINT32_MAX ? UINT32_MAX :
	    d->count);
	report_client_dropped(&c->report, c->name, d->count, d->since_ns,
	    d->until_ns);
	c->rec = c->report.rec;
	c->rec.time_ns = c->now_ns;
	c->pending = route_select(c->route, &c->rec);
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
	size_t flen;
	ssize_t n;

	/* A record bigger than we accept is skipped and counted, not fatal. */
	if (wire_frame_type(p, avail) == WIRE_RECORD && c->hello &&
	    (flen = wire_frame_len(p, avail)) > c->max_frame) {
		c->skip = flen;
		counters_input_drop(DROP_TOO_LARGE, 1);
		log_limited(&conn_rl, "client %s: record of %zu bytes is larger "
		    "than max_record; dropped", c->name, flen);
		return CONN_SKIP;
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
		    (long)c->cred.pid, (int)(c->frame.u.hello.name_len > 32 ? 32 :
		    c->frame.u.hello.name_len), c->frame.u.hello.name);
		return CONN_SKIP;
	case WIRE_RECORD:
		wr = &c->frame.u.record;
		if (wr->msg_len > route_config(c->route)->max_record) {
			counters_input_drop(DROP_TOO_LARGE, 1);
			return CONN_SKIP;
		}
		if (!route_admit(c->route, &c->rl, c->name, c->now_ns))
			return CONN_SKIP;
		memset(&c->rec, 0, sizeof(c->rec));
		route_stamp(&c->rec, &c->cred, c->now_ns);
		c->rec.client_time_ns = wr->time_ns;
		c->rec.facility = wr->priority >> 3;
		c->rec.severity = wr->priority & 7;
		c->rec.tag = wr->tag;
		c->rec.tag_len = wr->tag_len;
		c->rec.msg = wr->msg;
		c->rec.msg_len = wr->msg_len;
		c->rec.fields = wr->fields;
		c->rec.nfields = wr->nfields;
		c->pending = route_select(c->route, &c->rec);
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
	    route_config(c->route)->max_record, &msg, &msg_len);
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
		counters_input_drop(DROP_TOO_LARGE, 1);
		log_limited(&conn_rl, "client %s: syslog message longer than "
		    "max_record; dropped", c->name);
		return CONN_SKIP;
	}
	c->consume = n;
	if (!route_admit(c->route, &c->rl, c->name, c->now_ns))
		return CONN_SKIP;
	memset(&c->rec, 0, sizeof(c->rec));
	syslog_parse(msg, msg_len, c->now_ns, &c->rec);
	route_stamp(&c->rec, &c->cred, c->now_ns);
	c->pending = route_select(c->route, &c->rec);
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
	unsigned i;

	for (i = 0; (o = route_output(c->route, i)) != NULL; i++)
		c->sync_points[output_index(o)] = (struct conn_sync){
		    output_id(o),
		    output_sync_always(o) ? output_sync_point(o) : 0 };
}

/* The next output whose sync point is not reached yet, or NULL. */
static struct output *
conn_sync_next(struct conn *c)
{
	const struct conn_sync *sp;
	struct output *o;
	unsigned i;

	for (i = 0; (o = route_output(c->route, i)) != NULL; i++) {
		sp = &c->sync_points[output_index(o)];
		if (sp->output_id == output_id(o) && !output_synced(o, sp->seq))
			return o;
	}
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
			while ((c->waiting = route_deliver(c->route, &c->rec,
			    &c->pending)) != NULL) {
				TASK_AWAIT_COND(t, output_room(c->waiting),
				    (int)route_config(c->route)->stall_timeout_ms);
				if (t->result == TASK_TIMEOUT)
					route_give_up(c->route, c->waiting,
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
			    calloc(ROUTE_MAX_OUTPUTS, sizeof(struct conn_sync))) == NULL)
				break;
			conn_sync_begin(c);
			/* An output that completes nothing for stall_timeout_ms
			 * is stuck: the SYNC stays unanswered (the client's
			 * flush times out) and we go on reading this client. */
			while ((c->sync_output = conn_sync_next(c)) != NULL) {
				TASK_AWAIT_COND(t, output_progress(c->sync_output),
				    (int)route_config(c->route)->stall_timeout_ms);
				if (t->result == TASK_TIMEOUT)
					break;
			}
			if (c->sync_output != NULL) {
				log_limited(&conn_rl, "client %s: output %s is "
				    "not completing writes; SYNC not answered",
				    c->name, output_name(c->sync_output));
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
	return set;
}

void
conn_set_free(struct conn_set *set)
{
	if (set == NULL)
		return;
	conn_close_all(set);
	free(set);
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

int
conn_spawn(struct conn_set *set, int fd, enum conn_kind kind)
{
	socklen_t len = sizeof(struct ucred);
	struct conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto fail;
	if ((c->buf = malloc(CONN_BUF_INITIAL)) == NULL)
		goto fail;
	c->cap = CONN_BUF_INITIAL;
	c->set = set;
	c->route = set->route;
	c->kind = kind;
	c->fd = fd;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->cred, &len) == -1)
		c->cred = (struct ucred){ -1, (uid_t)-1, (gid_t)-1 };
	snprintf(c->name, sizeof(c->name), "pid %ld", (long)c->cred.pid);
	c->rl.pid = c->cred.pid;
	c->max_frame = route_config(c->route)->max_record + WIRE_RECORD_OVERHEAD;
	if (task_spawn(set->base, &c->task, "conn", conn_task, conn_cleanup,
	    c) == -1)
		goto fail;
	LIST_INSERT_HEAD(&set->list, c, entry);
	set->n++;
	counters_clients++;
	counters_connections++;
	return 0;
fail:
	if (c != NULL)
		free(c->buf);
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

void
conn_close_all(struct conn_set *set)
{
	struct conn *c;

	while ((c = LIST_FIRST(&set->list)) != NULL) {
		/* Past the drain deadline, a record still waiting for room is
		 * dropped where it was going, and counted there. */
		if (c->waiting != NULL)
			route_drop_pending(c->route, &c->pending);
		task_cancel(&c->task);
	}
}
