/* SPDX-License-Identifier: ISC */
/*
 * forward.c: one forward output's thread: keeps a connection to the
 * collector, frames each record with octet counting, sends whole chunks in
 * order, retries with back-off while the collector is away, and at stop
 * delivers what it can within FORWARD_STOP_MS and counts the rest as
 * undelivered (see forward.h for what "written" means here).
 *
 * Runs on its own thread and never touches libevent except for
 * event_active() on the completion event. The loop reaches it through the
 * hand-off queues (one mutex) and an eventfd: wherever the thread waits
 * (connect, handshake, a full socket buffer, the next retry) it polls the
 * socket and the eventfd together, so a stop or a new chunk never waits
 * for a timeout to run out.
 */
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "chunk.h"
#include "clock.h"
#include "forward.h"
#include "handoff.h"
#include "log.h"
#include "sink.h"
#include "tls.h"

#define FORWARD_BATCH	1024	/* records framed for one send, at most */
#define FORWARD_PREFIX	24	/* room for "LEN " */
#define MS		1000000LL	/* nanoseconds */

struct forward {
	struct sink	 sink;		/* first: a struct sink * is a forward */
	struct config_output *conf;	/* private copy, forwarder thread only */
	char		 target[300];	/* PROTOCOL://HOST:PORT, for messages */
	pthread_t	 thread;
	int		 wake_fd;	/* eventfd: the loop wakes the thread */
	struct handoff	 ho;		/* chunks and requests from the loop */

	/* Requests of our own and the last error, guarded by mu. */
	pthread_mutex_t	 mu;
	bool		 stop;
	int64_t		 stop_by_ns;	/* monotonic: give up delivering then */
	bool		 retry_now;	/* skip what is left of the back-off */
	char		 error[256];	/* the last error, for stats */

	/* Loop thread only. */
	char		 reason[256];	/* dropping()'s copy of error */

	/* Forwarder thread only. */
	struct tls_creds *creds;	/* NULL for protocol "tcp" */
	struct tls_creds *next_creds;	/* from a reload, for the next connection */
	int		 fd;		/* -1 when not connected */
	struct tls_conn	*tls;
	bool		 down;		/* not connected, or not yet */
	bool		 announced;	/* this outage was logged and is not
					 * over: not connected, or not for
					 * FORWARD_SETTLE_MS yet */
	bool		 was_up;	/* connected at least once */
	int64_t		 down_ns;	/* monotonic, when the outage began */
	int64_t		 up_ns;		/* and when this connection was made */
	unsigned	 attempts;	/* failed in this outage */
	unsigned	 backoff_ms;	/* 0 after a success */
	int64_t		 next_try_ns;	/* monotonic */
	struct chunk	*cur;		/* being sent */
	size_t		 cur_off;	/* where its first unsent record begins */
	char		*frame;		/* framed records of one send */
	size_t		 frame_cap;	/* a chunk's worth: any record fits */
	size_t		 ends[FORWARD_BATCH];	/* where record i ends in frame */
	size_t		 offs[FORWARD_BATCH];	/* where the next begins in cur */

	/* Published for stats, read from the loop thread. */
	_Atomic int	 pub_down;
	_Atomic int64_t	 pub_since_ns;
	_Atomic int64_t	 pub_last_write_ns;
};

static void	*forward_main(void *);
static const struct sink_ops forward_ops;

static struct forward *
forward_of(const struct sink *s)
{
	return (struct forward *)s;
}

/* Loop -> thread: wherever it waits (poll on wake_fd), it wakes. */
static void
forward_wake(struct forward *f)
{
	handoff_wake(&f->ho);
}

/* The last error as stats show it, with the failed attempts so far. */
static void
forward_set_error(struct forward *f, const char *err, unsigned attempts)
{
	pthread_mutex_lock(&f->mu);
	if (attempts > 0)
		snprintf(f->error, sizeof(f->error), "%s; %u failed attempts",
		    err, attempts);
	else
		snprintf(f->error, sizeof(f->error), "%s", err);
	pthread_mutex_unlock(&f->mu);
}

/* 0 while not stopping, else the monotonic time to give up by. */
static int64_t
forward_stop_by(struct forward *f)
{
	int64_t by;

	pthread_mutex_lock(&f->mu);
	by = f->stop ? f->stop_by_ns : 0;
	pthread_mutex_unlock(&f->mu);
	return by;
}

static bool
forward_stop_due(struct forward *f)
{
	int64_t by = forward_stop_by(f);

	return by != 0 && clock_mono_ns() >= by;
}

/*
 * Wait until fd is ready for events, the loop wakes us, or deadline_ns
 * (monotonic; 0 = none) or the stop deadline passes, whichever is first.
 * Returns 1 when fd is ready (or in error: the next call on it says so),
 * 0 when woken (look at the requests), -1 when a deadline passed. With fd
 * -1, only a wake-up or a deadline ends the wait.
 */
static int
forward_wait(struct forward *f, int fd, short events, int64_t deadline_ns)
{
	struct pollfd p[2];
	int64_t stop_by = forward_stop_by(f), left;
	uint64_t v;
	int n, timeout;

	if (stop_by != 0 && (deadline_ns == 0 || stop_by < deadline_ns))
		deadline_ns = stop_by;
	for (;;) {
		timeout = -1;
		if (deadline_ns != 0) {
			if ((left = deadline_ns - clock_mono_ns()) <= 0)
				return -1;
			timeout = (int)((left + MS - 1) / MS);
		}
		p[0] = (struct pollfd){ .fd = f->wake_fd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = fd, .events = events };
		n = poll(p, fd >= 0 ? 2 : 1, timeout);
		if (n == -1 && errno != EINTR) {
			log_warn("output %s: poll: %s", f->conf->name,
			    strerror(errno));
			return -1;
		}
		if (n <= 0)
			continue;
		if (fd >= 0 && p[1].revents != 0)
			return 1;
		if (p[0].revents & POLLIN) {
			if (read(f->wake_fd, &v, sizeof(v)) == -1 &&
			    errno != EAGAIN && errno != EINTR)
				log_warn("output %s: eventfd: %s",
				    f->conf->name, strerror(errno));
			return 0;
		}
	}
}

/* Best effort: a dead peer is noticed by the kernel, not by our silence. */
static void
forward_tune(int fd)
{
	unsigned timeout = FORWARD_USER_TIMEOUT_MS;
	int on = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &timeout,
	    sizeof(timeout));
}

/* A non-blocking connect to one address by deadline_ns; fd or -1 (err). */
static int
forward_tcp_connect(struct forward *f, const struct addrinfo *ai,
    int64_t deadline_ns, char *err, size_t errlen)
{
	socklen_t len = sizeof(int);
	int fd, e, r;

	if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	e = errno;
	if (e == EINPROGRESS) {
		while ((r = forward_wait(f, fd, POLLOUT, deadline_ns)) == 0)
			;
		if (r == -1) {
			snprintf(err, errlen, "connect: no answer within %d ms",
			    FORWARD_CONNECT_MS);
			close(fd);
			return -1;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) == -1)
			e = errno;
		if (e == 0)
			return fd;
	}
	snprintf(err, errlen, "connect: %s", strerror(e));
	close(fd);
	return -1;
}

static int
forward_handshake(struct forward *f, int fd, int64_t deadline_ns, char *err,
    size_t errlen)
{
	short events;
	int r;

	if (f->next_creds != NULL) {
		/* A reload brought new files; no session uses the old ones. */
		tls_creds_free(f->creds);
		f->creds = f->next_creds;
		f->next_creds = NULL;
	}
	if ((f->tls = tls_conn_new(f->creds, fd, f->conf->tls_peer_name, err,
	    errlen)) == NULL)
		return -1;
	while ((r = tls_handshake(f->tls, &events, err, errlen)) == 1) {
		while ((r = forward_wait(f, fd, events, deadline_ns)) == 0)
			;
		if (r == -1) {
			snprintf(err, errlen, "TLS handshake: no answer within "
			    "%d ms", FORWARD_CONNECT_MS);
			break;
		}
	}
	if (r == -1) {
		tls_conn_free(f->tls);
		f->tls = NULL;
		return -1;
	}
	return 0;
}

/*
 * One attempt: look the name up (again: addresses move), connect to each
 * address in turn, and do the TLS handshake, all within FORWARD_CONNECT_MS.
 * 0, or -1 with the reason in err.
 */
static int
forward_connect(struct forward *f, char *err, size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	int64_t deadline_ns = clock_mono_ns() + FORWARD_CONNECT_MS * MS;
	char port[8];
	int fd = -1, r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%u", f->conf->port);
	if ((r = getaddrinfo(f->conf->host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "cannot resolve %s: %s", f->conf->host,
		    r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
		return -1;
	}
	snprintf(err, errlen, "no address");
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next)
		fd = forward_tcp_connect(f, ai, deadline_ns, err, errlen);
	freeaddrinfo(res);
	if (fd == -1)
		return -1;
	forward_tune(fd);
	if (f->creds != NULL &&
	    forward_handshake(f, fd, deadline_ns, err, errlen) == -1) {
		close(fd);
		return -1;
	}
	f->fd = fd;
	return 0;
}

static void
forward_disconnect(struct forward *f)
{
	if (f->tls != NULL) {
		tls_bye(f->tls);
		tls_conn_free(f->tls);
		f->tls = NULL;
	}
	if (f->fd != -1 && close(f->fd) == -1)
		log_warn("output %s: close: %s", f->conf->name, strerror(errno));
	f->fd = -1;
}

/*
 * A connect failed or the connection broke: back off and, once per
 * outage, say so. A connection that broke after it had settled is retried
 * at once (a restarted collector is back already), then after 100 ms,
 * 200 ms, ... up to the cap. One that broke before it settled (a dying
 * collector's listener still completes handshakes, then resets them) is
 * one more failed attempt of the same outage.
 */
static void
forward_failed(struct forward *f, bool broke, const char *err)
{
	int64_t now = clock_mono_ns();

	forward_disconnect(f);
	if (!f->down) {
		f->down = true;
		atomic_store(&f->pub_down, 1);
	}
	if (!f->announced) {
		f->down_ns = now;
		atomic_store(&f->pub_since_ns, clock_now_ns());
		log_warn("output %s: %s %s: %s; records wait in its buffer while "
		    "it retries (back-off up to %d s)", f->conf->name, broke ?
		    "lost the connection to" : "cannot connect to", f->target,
		    err, FORWARD_RETRY_MAX_MS / 1000);
		f->announced = true;
		if (broke) {
			forward_set_error(f, err, 0);
			f->next_try_ns = now;
			return;
		}
	}
	f->attempts++;
	forward_set_error(f, err, f->attempts);
	if (f->backoff_ms == 0)
		f->backoff_ms = FORWARD_RETRY_MIN_MS;
	else if ((f->backoff_ms *= 2) > FORWARD_RETRY_MAX_MS)
		f->backoff_ms = FORWARD_RETRY_MAX_MS;
	f->next_try_ns = now + f->backoff_ms * MS;
}

/* Connected: records go again at once; the outage is over (and said to
 * be) once the connection has lasted FORWARD_SETTLE_MS. */
static void
forward_connected(struct forward *f)
{
	f->up_ns = clock_mono_ns();
	f->down = false;
	forward_set_error(f, "", 0);
	atomic_store(&f->pub_down, 0);
	if (!f->announced && !f->was_up)
		log_info("output %s: connected to %s", f->conf->name,
		    f->target);
	f->was_up = true;
	if (!f->announced) {
		f->attempts = 0;
		f->backoff_ms = 0;
	}
}

static void
forward_settle(struct forward *f)
{
	if (f->fd == -1 || !f->announced ||
	    clock_mono_ns() - f->up_ns < FORWARD_SETTLE_MS * MS)
		return;
	log_info("output %s: connected again to %s after %lld ms (%u failed "
	    "attempts)", f->conf->name, f->target,
	    (long long)((f->up_ns - f->down_ns) / MS), f->attempts);
	f->announced = false;
	f->attempts = 0;
	f->backoff_ms = 0;
}

/*
 * Is the connection still up? A collector has nothing to say on a syslog
 * connection (TLS may send session tickets), so a readable socket means
 * it closed or broke: better found out before a chunk than after it went
 * into a dead connection's buffer. 0, or -1 with err.
 */
static int
forward_check(struct forward *f, char *err, size_t errlen)
{
	struct pollfd p = { .fd = f->fd, .events = POLLIN | POLLRDHUP };
	char buf[512];
	ssize_t n;
	int i;

	if (poll(&p, 1, 0) <= 0 || p.revents == 0)
		return 0;
	if (f->tls != NULL)
		return tls_check(f->tls, err, errlen);
	for (i = 0; i < 64; i++) {
		n = recv(f->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0)
			continue;
		if (n == 0) {
			snprintf(err, errlen, "closed by the collector");
			return -1;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		if (errno != EINTR) {
			snprintf(err, errlen, "%s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

/*
 * Send all of buf; *sent says how much went, also on failure. 0, or -1
 * with err when the connection broke or the stop deadline passed.
 */
static int
forward_send_all(struct forward *f, const char *buf, size_t len,
    size_t *sent, char *err, size_t errlen)
{
	ssize_t n;
	short events;

	*sent = 0;
	while (*sent < len) {
		events = POLLOUT;
		if (f->tls != NULL)
			n = tls_send(f->tls, buf + *sent, len - *sent, &events,
			    err, errlen);
		else if ((n = send(f->fd, buf + *sent, len - *sent,
		    MSG_NOSIGNAL | MSG_DONTWAIT)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				n = 0;
			else
				snprintf(err, errlen, "send: %s",
				    strerror(errno));
		}
		if (n < 0)
			return -1;
		if (n > 0) {
			*sent += (size_t)n;
			continue;
		}
		/* The collector is slow: wait for room (or for the stop). */
		if (forward_wait(f, f->fd, events, 0) == -1) {
			snprintf(err, errlen, "stopping while the collector "
			    "was not taking records");
			return -1;
		}
	}
	return 0;
}

/*
 * Frame the records of c from cur_off on into frame, "LEN SP MSG" each
 * (RFC 6587 octet counting; MSG is the line without its newline), as many
 * as fit, at most FORWARD_BATCH. Records where each one ends go to ends
 * and offs, so a broken send can tell which went whole. Returns how many.
 */
static unsigned
forward_frame(struct forward *f, const struct chunk *c, size_t *lenp)
{
	size_t off = f->cur_off, len = 0, llen, next;
	const char *line, *nl;
	unsigned n = 0;
	int plen;

	while (off < c->len && n < FORWARD_BATCH) {
		line = c->buf + off;
		nl = memchr(line, '\n', c->len - off);
		llen = nl != NULL ? (size_t)(nl - line) : c->len - off;
		next = off + llen + (nl != NULL);
		if (llen > 0) {
			if (len + FORWARD_PREFIX + llen > f->frame_cap)
				break;
			plen = snprintf(f->frame + len, FORWARD_PREFIX, "%zu ",
			    llen);
			memcpy(f->frame + len + plen, line, llen);
			len += (size_t)plen + llen;
		}
		f->ends[n] = len;
		f->offs[n] = next;
		n++;
		off = next;
	}
	*lenp = len;
	return n;
}

/*
 * Send the rest of c. Returns 0 when all of it went; -1 with err when the
 * connection broke, with c->nwritten and cur_off saying how far it got:
 * the records sent whole are written, the rest go again whole.
 */
static int
forward_send_chunk(struct forward *f, struct chunk *c, char *err,
    size_t errlen)
{
	size_t len, sent;
	unsigned n, i;
	int rc;

	while (f->cur_off < c->len) {
		n = forward_frame(f, c, &len);
		rc = forward_send_all(f, f->frame, len, &sent, err, errlen);
		for (i = 0; i < n && f->ends[i] <= sent; i++)
			;
		if (i > 0) {
			c->nwritten += i;
			f->cur_off = f->offs[i - 1];
			atomic_store(&f->pub_last_write_ns, clock_now_ns());
		}
		if (rc == -1) {
			if (c->nwritten > c->nrecords)
				c->nwritten = c->nrecords;
			return -1;
		}
	}
	c->nwritten = c->nrecords;
	return 0;
}

static void
forward_return(struct forward *f, struct chunk *c)
{
	handoff_return(&f->ho, c);
}

/* New settings for the same target, between two chunks. */
static void
forward_apply(struct forward *f, struct config_output *next)
{
	struct tls_creds *creds;
	char err[512];

	config_output_free(f->conf);
	f->conf = next;
	if (next->protocol != CONFIG_PROTOCOL_TLS)
		return;
	/* Renewed certificates: read the files again, use them from the
	 * next connection on; the running one keeps its session. */
	if ((creds = tls_creds_load(next, err, sizeof(err))) == NULL) {
		log_warn("%s; keeping the TLS settings loaded before", err);
		return;
	}
	tls_creds_free(f->next_creds);
	f->next_creds = creds;
}

/* Take what the loop asked for, and the next chunk if none is being sent.
 * Returns whether to stop. */
static bool
forward_take_requests(struct forward *f)
{
	struct handoff_take take;
	bool stop, retry;

	handoff_take(&f->ho, f->cur == NULL, false, NULL, &take);
	if (take.chunk != NULL) {
		f->cur = take.chunk;
		f->cur_off = 0;
		f->cur->nwritten = 0;
		f->cur->ndropped = 0;
	}
	pthread_mutex_lock(&f->mu);
	retry = f->retry_now || take.reopen;
	f->retry_now = false;
	stop = f->stop;
	pthread_mutex_unlock(&f->mu);
	if (take.next_conf != NULL)
		forward_apply(f, take.next_conf);
	if (retry && f->fd == -1)
		f->next_try_ns = 0;
	return stop;
}

/* Count what is left as undelivered, return every chunk, and close. */
static void
forward_finish(struct forward *f)
{
	struct chunk_list left;
	struct chunk_list rest;
	struct chunk *c;
	uint64_t lost = 0;
	char err[256];

	TAILQ_INIT(&left);
	if (f->cur != NULL)
		TAILQ_INSERT_TAIL(&left, f->cur, entry);
	f->cur = NULL;
	/* The one being sent keeps what it got out; the queued ones got
	 * nothing out. */
	TAILQ_INIT(&rest);
	handoff_take_rest(&f->ho, &rest);
	TAILQ_FOREACH(c, &rest, entry)
		c->nwritten = 0;
	TAILQ_CONCAT(&left, &rest, entry);
	pthread_mutex_lock(&f->mu);
	snprintf(err, sizeof(err), "%s", f->error);
	pthread_mutex_unlock(&f->mu);
	TAILQ_FOREACH(c, &left, entry) {
		c->ndropped = c->nrecords - c->nwritten;
		lost += c->ndropped;
	}
	if (lost > 0)
		log_warn("output %s: stopping; %llu records were not delivered "
		    "to %s (%s)", f->conf->name, (unsigned long long)lost,
		    f->target, f->down && err[0] != '\0' ? err :
		    "the collector did not take them in time");
	forward_disconnect(f);
	handoff_finish(&f->ho, &left);
}

/*
 * The thread: connect when due, send the chunk at hand, else wait for a
 * chunk, a request, the next retry, or the collector hanging up. The order
 * below is the order things happen to a chunk.
 */
static void *
forward_main(void *arg)
{
	struct forward *f = arg;
	char err[512];
	bool stop;

	if (f->conf->protocol == CONFIG_PROTOCOL_TLS &&
	    (f->creds = tls_creds_load(f->conf, err, sizeof(err))) == NULL) {
		handoff_opened(&f->ho, SINK_FAILED, err);
		return NULL;
	}
	handoff_opened(&f->ho, SINK_OPEN, NULL);

	for (;;) {
		forward_settle(f);
		stop = forward_take_requests(f);
		if (stop && (f->cur == NULL || forward_stop_due(f)))
			break;
		if (f->fd == -1 && clock_mono_ns() >= f->next_try_ns) {
			if (forward_connect(f, err, sizeof(err)) == 0)
				forward_connected(f);
			else if (!forward_stop_due(f))
				forward_failed(f, false, err);
			continue;
		}
		if (f->fd != -1 && f->cur != NULL) {
			if (forward_check(f, err, sizeof(err)) == 0 &&
			    forward_send_chunk(f, f->cur, err,
			    sizeof(err)) == 0) {
				forward_return(f, f->cur);
				f->cur = NULL;
			} else if (!forward_stop_due(f))
				forward_failed(f, true, err);
			continue;
		}
		/* Nothing to send: wait, and notice a collector hanging up
		 * while we are idle rather than at the next send. */
		if (forward_wait(f, f->fd, POLLIN | POLLRDHUP, f->fd == -1 ?
		    f->next_try_ns : f->announced ? f->up_ns +
		    FORWARD_SETTLE_MS * MS : 0) == 1 &&
		    forward_check(f, err, sizeof(err)) == -1)
			forward_failed(f, true, err);
	}
	forward_finish(f);
	return NULL;
}

struct sink *
forward_new(const struct config_output *conf, size_t chunk_size,
    struct event *done, char *err, size_t errlen)
{
	struct forward *f;
	int rc;

	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->conf = config_output_dup(conf)) == NULL ||
	    (f->frame = malloc(chunk_size + FORWARD_PREFIX)) == NULL) {
		if (f != NULL)
			config_output_free(f->conf);
		free(f);
		snprintf(err, errlen, "output %s: out of memory", conf->name);
		return NULL;
	}
	if ((f->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		snprintf(err, errlen, "output %s: eventfd: %s", conf->name,
		    strerror(errno));
		free(f->frame);
		config_output_free(f->conf);
		free(f);
		return NULL;
	}
	f->sink.ops = &forward_ops;
	snprintf(f->target, sizeof(f->target), "%s", conf->path);
	f->frame_cap = chunk_size + FORWARD_PREFIX;
	f->fd = -1;
	f->down = true;
	f->down_ns = clock_mono_ns();
	snprintf(f->error, sizeof(f->error), "connecting");
	atomic_store(&f->pub_down, 1);
	atomic_store(&f->pub_since_ns, clock_now_ns());
	handoff_init(&f->ho, done, f->wake_fd);
	pthread_mutex_init(&f->mu, NULL);
	if ((rc = pthread_create(&f->thread, NULL, forward_main, f)) != 0) {
		snprintf(err, errlen, "output %s: cannot start forwarder "
		    "thread: %s", conf->name, strerror(rc));
		handoff_destroy(&f->ho);
		pthread_mutex_destroy(&f->mu);
		close(f->wake_fd);
		free(f->frame);
		config_output_free(f->conf);
		free(f);
		return NULL;
	}
	return &f->sink;
}

static enum sink_open
forward_open_state(struct sink *s, bool wait, char *err, size_t errlen)
{
	return handoff_open_state(&forward_of(s)->ho, wait, err, errlen);
}

static void
forward_submit(struct sink *s, struct chunk *c)
{
	handoff_submit(&forward_of(s)->ho, c);
}

static void
forward_take_done(struct sink *s, struct chunk_list *out)
{
	handoff_take_done(&forward_of(s)->ho, out);
}

/* SIGHUP: a connection has nothing to reopen, but an outage's next retry
 * is brought forward. */
static void
forward_reopen(struct sink *s)
{
	handoff_reopen(&forward_of(s)->ho);
}

static int
forward_reconfigure(struct sink *s, const struct config_output *conf)
{
	return handoff_reconfigure(&forward_of(s)->ho, conf);
}

/* Stop by by_ns (monotonic), or sooner if asked so before; one more
 * connection attempt at once if there is none. */
static void
forward_request_stop(struct forward *f, int64_t by_ns)
{
	pthread_mutex_lock(&f->mu);
	if (!f->stop || by_ns < f->stop_by_ns)
		f->stop_by_ns = by_ns;
	f->stop = true;
	f->retry_now = true;
	pthread_mutex_unlock(&f->mu);
	forward_wake(f);
}

static void
forward_stop(struct sink *s)
{
	forward_request_stop(forward_of(s), clock_mono_ns() +
	    FORWARD_STOP_MS * MS);
}

static bool
forward_finished(struct sink *s)
{
	return handoff_finished(&forward_of(s)->ho);
}

/* Not connected: "dropping" in the sink's terms, though nothing is
 * dropped; the records wait. The reason is the last error. */
static bool
forward_dropping(const struct sink *s, int64_t *since_ns, const char **reason)
{
	struct forward *f = forward_of(s);
	bool down = atomic_load(&f->pub_down) != 0;

	if (since_ns != NULL)
		*since_ns = atomic_load(&f->pub_since_ns);
	if (reason != NULL) {
		pthread_mutex_lock(&f->mu);
		snprintf(f->reason, sizeof(f->reason), "%s", f->error);
		pthread_mutex_unlock(&f->mu);
		*reason = f->reason;
	}
	return down;
}

static int64_t
forward_last_write_ns(const struct sink *s)
{
	return atomic_load(&forward_of(s)->pub_last_write_ns);
}

static int64_t
forward_free_bytes(const struct sink *s)
{
	(void)s;
	return -1;
}

static int
forward_close(struct sink *s, struct chunk_list *done,
    const struct timespec *deadline)
{
	struct forward *f = forward_of(s);
	int64_t by = clock_mono_ns() + FORWARD_STOP_MS * MS, left;
	struct chunk_list rest;
	struct chunk *c;

	/* Give up delivering a little before the caller's deadline, so
	 * that the join below does not time out. */
	if (deadline != NULL) {
		left = ((int64_t)deadline->tv_sec * 1000000000 +
		    deadline->tv_nsec) - clock_now_ns() - 250 * MS;
		if (clock_mono_ns() + left < by)
			by = clock_mono_ns() + left;
	}
	forward_request_stop(f, by);
	if (deadline == NULL)
		pthread_join(f->thread, NULL);
	else if (pthread_timedjoin_np(f->thread, NULL, deadline) != 0) {
		/* Blocked in a name lookup: leave it. */
		handoff_take_done(&f->ho, done);
		return -1;
	}
	/* Chunks submitted after the thread ended (none, normally). */
	TAILQ_INIT(&rest);
	handoff_take_rest(&f->ho, &rest);
	TAILQ_FOREACH(c, &rest, entry) {
		c->nwritten = 0;
		c->ndropped = c->nrecords;
	}
	handoff_take_done(&f->ho, done);
	TAILQ_CONCAT(done, &rest, entry);
	forward_disconnect(f);
	tls_creds_free(f->next_creds);
	tls_creds_free(f->creds);
	handoff_destroy(&f->ho);
	close(f->wake_fd);
	pthread_mutex_destroy(&f->mu);
	config_output_free(f->conf);
	free(f->frame);
	free(f);
	return 0;
}

static const struct sink_ops forward_ops = {
	.kind = "forward",
	.taking_name = "connected",
	.dropping_name = "backing_off",
	.holds_while_dropping = true,	/* chunks wait for the collector */
	.drop_reason = DROP_UNDELIVERED,
	.open_state = forward_open_state,
	.submit = forward_submit,
	.take_done = forward_take_done,
	.reopen = forward_reopen,
	.reconfigure = forward_reconfigure,
	.stop = forward_stop,
	.finished = forward_finished,
	.dropping = forward_dropping,
	.last_write_ns = forward_last_write_ns,
	.free_bytes = forward_free_bytes,
	.close = forward_close,
};
