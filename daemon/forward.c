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
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <netdb.h>
#include <netinet/in.h>
#include <linux/sockios.h>
#include <linux/tcp.h>	/* tcp_info with tcpi_snd_wnd */
#include <poll.h>
#include <signal.h>

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
#include "format.h"
#include "forward.h"
#include "handoff.h"
#include "log.h"
#include "relp.h"
#include "report.h"
#include "sink.h"
#include "spool.h"
#include "tls.h"

#define FORWARD_BATCH	1024	/* records framed for one send, at most */
#define FORWARD_PREFIX	24	/* room for "LEN " */
#define MS		1000000LL	/* nanoseconds */
#define FORWARD_MARKS		1024	/* sends remembered, for what is at risk */
#define FORWARD_SPOOL_CHUNKS	4	/* of the thread's own, for spool reads */
#define FORWARD_RELP_LINGER_MS	1000	/* RELP: nothing more to send this long,
					 * close to learn the rest was taken
					 * (at most one session a second: each
					 * costs a handshake, and librelp 1.11
					 * leaks 16 bytes per TLS session) */

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
	char		 error[256];	/* the error of this outage, for stats */
	char		 last_error[256];	/* the last one, kept after it */
	int64_t		 last_error_ns;	/* wall clock, when it was */

	/* Loop thread only. */
	char		 reason[256];	/* dropping()'s copy of error */
	char		 last_copy[320];	/* last_error()'s copy */

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

	/* RELP (forwarder thread only; relp.h says what is acknowledged). */
	struct relp	*relp;		/* the session, NULL when none */
	int		 relp_stop;	/* set (atomic) by the loop at the stop
					 * deadline: librelp gives up (relp.h) */
	struct chunk_list sent;		/* sent whole, oldest first, not known
					 * to be acknowledged yet */
	struct chunk_list redo;		/* to send again after a break, before
					 * any new chunk */
	uint64_t	 nsent;		/* messages sent in this session */
	uint32_t	 cur_idx;	/* record of cur at cur_off */
	int64_t		 sent_ns;	/* monotonic: the last chunk was sent */
	bool		 parked;	/* closed to confirm; connect again once
					 * there is something to send */
	bool		 relp_tls_refused;	/* librelp's last TLS handshake
					 * failed: check with tls.c first */

	/*
	 * TCP and TLS: what a connection that breaks may have cost. After
	 * each send, what our socket still holds unacknowledged and the
	 * largest window the collector offered (what it may hold unread);
	 * with the records of the last sends, the records those bytes were.
	 */
	uint64_t	 conn_bytes;	/* handed to the kernel on this connection */
	uint64_t	 conn_records;	/* whole records among them */
	uint64_t	 risk_outq;	/* unacknowledged in our socket ... */
	uint64_t	 risk_at;	/* ... when conn_bytes was this */
	uint64_t	 risk_wnd;	/* the largest window offered */
	struct forward_mark {
		uint64_t bytes;
		uint64_t records;
	}		 marks[FORWARD_MARKS];	/* a ring, after each send */
	unsigned	 nmarks;
	unsigned	 mark_next;
	_Atomic uint64_t pub_possibly_lost;

	/* Spool (forwarder thread only; its counts under mu). Every chunk
	 * goes through it, so what is in flight is always older than what
	 * it holds unread, and a stop leaves the order whole on disk. */
	struct spool	*spool;		/* NULL: none */
	struct chunk_list spare;	/* our own chunks, free */
	unsigned	 nown;		/* our own chunks allocated */
	size_t		 chunk_size;
	char		 host[256];	/* for the drop marker */
	uint64_t	 lost;		/* dropped while the spool was full */
	int64_t		 lost_first_ns;
	int64_t		 lost_last_ns;
	struct tally	 lost_by;
	struct sink_counts counts;	/* not taken by the loop yet (mu) */
	_Atomic uint64_t pub_spool_bytes;
	_Atomic uint64_t pub_spool_records;

	/* Published for stats, read from the loop thread. */
	_Atomic int	 pub_down;
	_Atomic int64_t	 pub_since_ns;
	_Atomic int64_t	 pub_last_write_ns;
};

static void	*forward_main(void *);
static void	 forward_signal_init(void);
static pthread_once_t forward_signal_once = PTHREAD_ONCE_INIT;
static uint64_t	 forward_at_risk(const struct forward *);
static const struct sink_ops forward_ops;
static const struct sink_ops forward_spool_ops;

static struct forward *
forward_of(const struct sink *s)
{
	return (struct forward *)s;
}

static bool
forward_is_relp(const struct forward *f)
{
	return f->conf->protocol == CONFIG_PROTOCOL_RELP;
}

/* A connection (or RELP session) is up. */
static bool
forward_up(const struct forward *f)
{
	return f->fd != -1 || f->relp != NULL;
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
	if (err[0] != '\0') {
		snprintf(f->last_error, sizeof(f->last_error), "%s", err);
		f->last_error_ns = clock_now_ns();
	}
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
 * Look the name up (again: addresses move), connect to each address in
 * turn, and do the TLS handshake when there are credentials, all by
 * deadline_ns. The socket, or -1 with the reason in err.
 */
static int
forward_open(struct forward *f, int64_t deadline_ns, char *err, size_t errlen)
{
	struct addrinfo hints, *res, *ai;
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
	return fd;
}

/*
 * RELP. librelp 1.11 leaks a whole GnuTLS session (some 35 KB) each time
 * its TLS handshake fails (fixed upstream after 1.11), and a collector
 * with the wrong certificate would have it fail at every retry. So after
 * one such failure the collector's certificate is checked with our own
 * TLS client (tls.c) first, and librelp tries again only once that passes.
 */
static int
forward_relp_connect(struct forward *f, char *err, size_t errlen)
{
	int fd;
	bool refused = false;

	if (f->relp_tls_refused) {
		if ((fd = forward_open(f, clock_mono_ns() +
		    FORWARD_CONNECT_MS * MS, err, errlen)) == -1)
			return -1;
		tls_bye(f->tls);
		tls_conn_free(f->tls);
		f->tls = NULL;
		close(fd);
	}
	f->parked = false;
	f->nsent = 0;
	f->relp = relp_connect(f->conf, &f->relp_stop, &refused, err,
	    errlen);
	f->relp_tls_refused = refused;
	return f->relp != NULL ? 0 : -1;
}

/* One attempt, within FORWARD_CONNECT_MS. 0, or -1 with the reason in
 * err. */
static int
forward_connect(struct forward *f, char *err, size_t errlen)
{
	int fd;

	if (forward_is_relp(f))
		return forward_relp_connect(f, err, errlen);
	if ((fd = forward_open(f, clock_mono_ns() + FORWARD_CONNECT_MS * MS,
	    err, errlen)) == -1)
		return -1;
	f->fd = fd;
	f->conn_bytes = f->conn_records = 0;
	f->risk_outq = f->risk_at = f->risk_wnd = 0;
	f->nmarks = f->mark_next = 0;
	return 0;
}

static void
forward_disconnect(struct forward *f)
{
	char err[256];

	if (f->relp != NULL)
		(void)relp_close(f->relp, err, sizeof(err));
	f->relp = NULL;
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
	uint64_t risk;

	if (broke && f->fd != -1 && (risk = forward_at_risk(f)) > 0) {
		atomic_fetch_add(&f->pub_possibly_lost, risk);
		log_warn("output %s: up to %llu records handed to the kernel "
		    "for %s may not have reached it (counted possibly_lost)",
		    f->conf->name, (unsigned long long)risk, f->target);
	}
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
forward_outage_over(struct forward *f)
{
	log_info("output %s: connected again to %s after %lld ms (%u failed "
	    "attempts)", f->conf->name, f->target,
	    (long long)((f->up_ns - f->down_ns) / MS), f->attempts);
	f->announced = false;
	f->attempts = 0;
	f->backoff_ms = 0;
}

static void
forward_settle(struct forward *f)
{
	if (forward_up(f) && f->announced &&
	    clock_mono_ns() - f->up_ns >= FORWARD_SETTLE_MS * MS)
		forward_outage_over(f);
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

	if (f->fd == -1)
		return 0;	/* RELP: librelp reads the collector's answers */
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

/* After a send: what went, and what the kernels may still hold of it. */
static void
forward_mark(struct forward *f, size_t bytes, unsigned records)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	int outq;

	f->conn_bytes += bytes;
	f->conn_records += records;
	f->marks[f->mark_next] = (struct forward_mark){ f->conn_bytes,
	    f->conn_records };
	f->mark_next = (f->mark_next + 1) % FORWARD_MARKS;
	if (f->nmarks < FORWARD_MARKS)
		f->nmarks++;
	if (ioctl(f->fd, SIOCOUTQ, &outq) == 0 && outq >= 0) {
		f->risk_outq = (uint64_t)outq;
		f->risk_at = f->conn_bytes;
	}
	memset(&ti, 0, sizeof(ti));
	if (getsockopt(f->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 &&
	    ti.tcpi_snd_wnd > f->risk_wnd)
		f->risk_wnd = ti.tcpi_snd_wnd;
}

/*
 * The connection broke: the records that may not have reached the
 * collector although they count as written. Bytes at risk: what was sent
 * since the last look, what our socket held unacknowledged then, what the
 * collector's kernel may have held unread (at most the largest window it
 * offered), and what the collector had read but not yet stored: one read,
 * at most a window too, for a collector that stores what it read before
 * it reads more (rsyslog with a Direct queue); one that queues in memory
 * can lose more, which nothing on our side can see (RELP can). The
 * records are those of the sends that ended within them, rounded up; all
 * of the connection's when the marks do not reach back that far.
 */
static uint64_t
forward_at_risk(const struct forward *f)
{
	uint64_t risk, from, records = 0;
	const struct forward_mark *m;
	unsigned i;

	risk = f->conn_bytes - f->risk_at + f->risk_outq + 2 * f->risk_wnd;
	if (risk >= f->conn_bytes)
		return f->conn_records;
	from = f->conn_bytes - risk;
	for (i = 1; i <= f->nmarks; i++) {
		m = &f->marks[(f->mark_next + FORWARD_MARKS - i) % FORWARD_MARKS];
		if (m->bytes <= from) {
			records = m->records;
			break;
		}
	}
	if (i > f->nmarks && f->nmarks == FORWARD_MARKS)
		return f->conn_records;
	return f->conn_records - records;
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
		forward_mark(f, sent, i);
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
forward_spool_publish(struct forward *f)
{
	atomic_store(&f->pub_spool_bytes, spool_bytes(f->spool));
	atomic_store(&f->pub_spool_records, spool_records(f->spool));
}

/* Delivered: a chunk of the pool goes back to the loop; one of ours (read
 * from the spool) leaves the spool, and the loop hears of it by count. */
static void
forward_return(struct forward *f, struct chunk *c)
{
	if (!c->sink_own) {
		handoff_return(&f->ho, c);
		return;
	}
	spool_consume(f->spool, c->len, c->nrecords);
	forward_spool_publish(f);
	pthread_mutex_lock(&f->mu);
	f->counts.written += c->nrecords;
	pthread_mutex_unlock(&f->mu);
	TAILQ_INSERT_HEAD(&f->spare, c, entry);
	handoff_notify(&f->ho);
}

static void
forward_count_lost(struct forward *f, const struct chunk *c)
{
	if (c->nrecords == 0)
		return;
	if (f->lost == 0)
		f->lost_first_ns = c->first_ns;
	f->lost += c->nrecords;
	tally_merge(&f->lost_by, &c->senders);
	f->lost_last_ns = c->last_ns;
}

/*
 * The records of c into the spool. After records were dropped because
 * the spool was full, the marker goes first, as a record of asynclogd like
 * a file's disk-full marker: how many, from when to when, from whom. It
 * goes in one append with c's records, so that on a full disk a short
 * marker does not slip into the last free bytes each time a chunk is
 * refused. 0, or -1 with err.
 */
static int
forward_spool_put(struct forward *f, struct chunk *c, char *err,
    size_t errlen)
{
	struct iovec iov[2];
	char line[1024];
	struct report r;
	ssize_t n;

	if (f->lost == 0)
		return spool_append(f->spool, c->buf, c->len, c->nrecords, err,
		    errlen);
	report_output_dropped(&r, f->lost, "spool full", f->lost_first_ns,
	    f->lost_last_ns, &f->lost_by);
	if ((n = format_record(f->conf->format, f->conf->sd_id, &r.rec,
	    f->host, line, sizeof(line))) < 0) {
		snprintf(err, errlen, "drop marker does not fit");
		return -1;
	}
	iov[0] = (struct iovec){ line, (size_t)n };
	iov[1] = (struct iovec){ c->buf, c->len };
	if (spool_appendv(f->spool, iov, 2, 1 + c->nrecords, err,
	    errlen) == -1)
		return -1;
	log_info("output %s: the spool has room again; %llu records were "
	    "dropped while it was full", f->conf->name,
	    (unsigned long long)f->lost);
	pthread_mutex_lock(&f->mu);
	f->counts.added++;
	pthread_mutex_unlock(&f->mu);
	f->lost = 0;
	tally_clear(&f->lost_by);
	return 0;
}

/*
 * A chunk of the pool goes into the spool and back to the loop at once,
 * its records still buffered (nspooled), or, when the spool is full,
 * dropped and counted (nfull): said once when that begins, and once, by
 * the marker, when it ends.
 */
static void
forward_spool_chunk(struct forward *f, struct chunk *c)
{
	char err[256];

	c->nwritten = c->ndropped = c->nspooled = c->nfull = 0;
	if (c->nrecords > 0 && forward_spool_put(f, c, err, sizeof(err)) == 0)
		c->nspooled = c->nrecords;
	else if (c->nrecords > 0) {
		if (f->lost == 0)
			log_warn("output %s: %s; dropping records until it has "
			    "room (%llu records, %llu bytes in it)",
			    f->conf->name, err, (unsigned long long)
			    spool_records(f->spool), (unsigned long long)
			    spool_bytes(f->spool));
		forward_count_lost(f, c);
		c->nfull = c->nrecords;
	}
	forward_spool_publish(f);
	handoff_return(&f->ho, c);
}

/* The next records of the spool into a chunk of our own, as the chunk to
 * send; none when nothing is unread or all our chunks are in flight. */
static void
forward_spool_next(struct forward *f)
{
	struct chunk *c;
	char err[256];
	uint32_t n, skipped;
	ssize_t len;

	if (!spool_unread(f->spool))
		return;
	if ((c = TAILQ_FIRST(&f->spare)) != NULL)
		TAILQ_REMOVE(&f->spare, c, entry);
	else if (f->nown < FORWARD_SPOOL_CHUNKS &&
	    (c = calloc(1, sizeof(*c))) != NULL) {
		if ((c->buf = malloc(f->chunk_size)) == NULL) {
			free(c);
			return;
		}
		c->cap = f->chunk_size;
		c->sink_own = true;
		f->nown++;
	} else
		return;
	len = spool_read(f->spool, c->buf, c->cap, &n, &skipped, err,
	    sizeof(err));
	if (skipped > 0) {
		log_warn("output %s: dropped %u records of its spool longer "
		    "than a chunk (%zu bytes)", f->conf->name, skipped, c->cap);
		forward_spool_publish(f);
		pthread_mutex_lock(&f->mu);
		f->counts.too_large += skipped;
		pthread_mutex_unlock(&f->mu);
		handoff_notify(&f->ho);
	}
	if (len <= 0) {
		if (len == -1)
			log_warn("output %s: %s", f->conf->name, err);
		TAILQ_INSERT_HEAD(&f->spare, c, entry);
		return;
	}
	c->len = (size_t)len;
	c->nrecords = n;
	c->nwritten = c->ndropped = 0;
	c->sink_first = CHUNK_UNSENT;
	f->cur = c;
	f->cur_off = 0;
	f->cur_idx = 0;
}

/*
 * RELP. Records go one message each, and a chunk goes back to the loop
 * only once all of its records are known acknowledged: by the window rule
 * as later messages go, or by a clean close once there is nothing more to
 * send (relp.h). Until then it waits in sent.
 */

/* Where record idx of c begins (records are lines). */
static size_t
forward_record_off(const struct chunk *c, uint32_t idx)
{
	size_t off = 0;
	const char *nl;

	while (idx-- > 0 && off < c->len) {
		nl = memchr(c->buf + off, '\n', c->len - off);
		off = nl != NULL ? (size_t)(nl - c->buf) + 1 : c->len;
	}
	return off;
}

/* Messages 1 .. acked of this session are acknowledged: every chunk of
 * sent that ends there goes back, all written. */
static void
forward_relp_confirm(struct forward *f, int64_t acked)
{
	struct chunk *c;

	while ((c = TAILQ_FIRST(&f->sent)) != NULL &&
	    c->sink_first + c->nrecords - 1 <= acked) {
		TAILQ_REMOVE(&f->sent, c, entry);
		c->nwritten = c->nrecords;
		forward_return(f, c);
	}
}

static int64_t
forward_relp_acked(const struct forward *f)
{
	return f->nsent > RELP_WINDOW ? (int64_t)(f->nsent - RELP_WINDOW) : 0;
}

/* How many records of c (sent in this session) are within acked. */
static uint32_t
forward_relp_within(const struct chunk *c, int64_t acked)
{
	int64_t k;

	if (c->sink_first == CHUNK_UNSENT)
		return 0;
	k = acked - c->sink_first + 1;
	return k <= 0 ? 0 : k >= c->nrecords ? c->nrecords : (uint32_t)k;
}

/*
 * The session broke: what the window rule confirms goes back; the rest,
 * the last RELP_WINDOW messages at most, goes again from the first one
 * that may not have been acknowledged (the collector may so get a few
 * twice, never miss one).
 */
static void
forward_relp_rewind(struct forward *f)
{
	int64_t acked = forward_relp_acked(f);
	struct chunk *c;
	uint32_t k;

	forward_relp_confirm(f, acked);
	if (f->cur != NULL) {
		TAILQ_INSERT_TAIL(&f->sent, f->cur, entry);
		f->cur = NULL;
	}
	TAILQ_CONCAT(&f->sent, &f->redo, entry);
	TAILQ_CONCAT(&f->redo, &f->sent, entry);
	if ((c = TAILQ_FIRST(&f->redo)) == NULL)
		return;
	TAILQ_REMOVE(&f->redo, c, entry);
	/* Only the first may have been sent in part, and only it may hold
	 * acknowledged records. */
	if ((k = forward_relp_within(c, acked)) > c->nwritten)
		c->nwritten = k;
	f->cur = c;
	f->cur_idx = c->nwritten;
	f->cur_off = forward_record_off(c, c->nwritten);
	c->sink_first = CHUNK_UNSENT;
	TAILQ_FOREACH(c, &f->redo, entry)
		c->sink_first = CHUNK_UNSENT;
}

/* Send the rest of cur, one message per record. 0 when all went (cur then
 * waits in sent), -1 with err when the session broke. */
static int
forward_relp_send_chunk(struct forward *f, char *err, size_t errlen)
{
	struct chunk *c = f->cur;
	const char *line, *nl;
	size_t llen;

	c->sink_first = (int64_t)f->nsent + 1 - f->cur_idx;
	while (f->cur_off < c->len) {
		if (forward_stop_due(f)) {
			snprintf(err, errlen, "stopping while the collector "
			    "was not taking records");
			return -1;
		}
		line = c->buf + f->cur_off;
		nl = memchr(line, '\n', c->len - f->cur_off);
		llen = nl != NULL ? (size_t)(nl - line) : c->len - f->cur_off;
		if (relp_send(f->relp, line, llen, err, errlen) == -1)
			return -1;
		f->nsent++;
		f->cur_idx++;
		f->cur_off += llen + (nl != NULL);
		if (f->cur_idx % 64 == 0)
			forward_relp_confirm(f, forward_relp_acked(f));
	}
	atomic_store(&f->pub_last_write_ns, clock_now_ns());
	TAILQ_INSERT_TAIL(&f->sent, c, entry);
	f->cur = NULL;
	f->sent_ns = clock_mono_ns();
	forward_relp_confirm(f, forward_relp_acked(f));
	return 0;
}

/*
 * Nothing more to send for FORWARD_RELP_LINGER_MS: close the session, and
 * the collector's answer to the close confirms every chunk still in sent.
 * The next chunk opens a new session. 0, or -1 with err when the close
 * was not clean (the caller treats it as a break).
 */
static int
forward_relp_settle(struct forward *f, char *err, size_t errlen)
{
	int rc;

	rc = relp_close(f->relp, err, errlen);
	f->relp = NULL;
	if (rc == -1)
		return -1;
	forward_relp_confirm(f, (int64_t)f->nsent);
	f->parked = true;
	if (f->announced)
		forward_outage_over(f);	/* the collector took it all */
	return 0;
}

/* The RELP state at the end: what is known acknowledged is written (after
 * a clean close, everything sent), the rest undelivered. Every chunk the
 * thread holds joins left, oldest first. */
static void
forward_relp_finish(struct forward *f, struct chunk_list *left)
{
	int64_t acked = forward_relp_acked(f);
	struct chunk *c;
	char err[256];
	uint32_t k;

	if (f->relp != NULL) {
		if (relp_close(f->relp, err, sizeof(err)) == 0)
			acked = (int64_t)f->nsent;
		f->relp = NULL;
	}
	if (f->cur != NULL) {
		TAILQ_INSERT_TAIL(&f->sent, f->cur, entry);
		f->cur = NULL;
	}
	TAILQ_CONCAT(&f->sent, &f->redo, entry);
	TAILQ_FOREACH(c, &f->sent, entry) {
		if ((k = forward_relp_within(c, acked)) > c->nwritten)
			c->nwritten = k;
	}
	TAILQ_CONCAT(left, &f->sent, entry);
}

/* New settings for the same target, between two chunks. */
static void
forward_apply(struct forward *f, struct config_output *next)
{
	struct tls_creds *creds;
	char err[512];

	config_output_free(f->conf);
	f->conf = next;
	if (next->tls_ca_file == NULL)
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

	handoff_take(&f->ho, f->spool != NULL || (f->cur == NULL &&
	    TAILQ_EMPTY(&f->redo)), false, NULL, &take);
	if (take.chunk != NULL && f->spool != NULL) {
		/* With a spool every chunk goes through it; the rest
		 * queued follows on the next turn. */
		forward_spool_chunk(f, take.chunk);
		forward_wake(f);
	} else if (take.chunk != NULL) {
		f->cur = take.chunk;
		f->cur_off = 0;
		f->cur_idx = 0;
		f->cur->nwritten = 0;
		f->cur->ndropped = 0;
		f->cur->sink_first = CHUNK_UNSENT;
	} else if (f->cur == NULL &&
	    (f->cur = TAILQ_FIRST(&f->redo)) != NULL) {
		/* RELP: again after a break, from its first record that was
		 * not acknowledged. */
		TAILQ_REMOVE(&f->redo, f->cur, entry);
		f->cur_idx = f->cur->nwritten;
		f->cur_off = forward_record_off(f->cur, f->cur_idx);
	}
	pthread_mutex_lock(&f->mu);
	retry = f->retry_now || take.reopen;
	f->retry_now = false;
	stop = f->stop;
	pthread_mutex_unlock(&f->mu);
	if (take.next_conf != NULL)
		forward_apply(f, take.next_conf);
	if (retry && !forward_up(f))
		f->next_try_ns = 0;
	if (f->spool != NULL && !stop && f->cur == NULL &&
	    TAILQ_EMPTY(&f->redo) && (forward_up(f) || f->parked))
		forward_spool_next(f);
	return stop;
}

/*
 * The end, with a spool: of our own chunks (in order), what was delivered
 * leaves the spool, up to the first record that was not; the rest stays
 * for the next start, and so does every chunk still queued.
 */
static void
forward_spool_finish(struct forward *f, struct chunk_list *left,
    struct chunk_list *rest)
{
	struct chunk *c;
	bool gap = false;

	while ((c = TAILQ_FIRST(left)) != NULL) {
		TAILQ_REMOVE(left, c, entry);
		if (!gap && c->nwritten > 0) {
			spool_consume(f->spool, c->nwritten == c->nrecords ?
			    c->len : forward_record_off(c, c->nwritten),
			    c->nwritten);
			pthread_mutex_lock(&f->mu);
			f->counts.written += c->nwritten;
			pthread_mutex_unlock(&f->mu);
		}
		if (c->nwritten < c->nrecords)
			gap = true;
		TAILQ_INSERT_HEAD(&f->spare, c, entry);
	}
	while ((c = TAILQ_FIRST(rest)) != NULL) {
		TAILQ_REMOVE(rest, c, entry);
		forward_spool_chunk(f, c);
	}
	if (spool_records(f->spool) > 0)
		log_info("output %s: stopping; %llu records stay in its spool "
		    "for the next start", f->conf->name,
		    (unsigned long long)spool_records(f->spool));
	forward_disconnect(f);
	handoff_finish(&f->ho, NULL);
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
	if (forward_is_relp(f))
		forward_relp_finish(f, &left);
	else if (f->cur != NULL)
		TAILQ_INSERT_TAIL(&left, f->cur, entry);
	f->cur = NULL;
	/* The one being sent keeps what it got out; the queued ones got
	 * nothing out. */
	TAILQ_INIT(&rest);
	handoff_take_rest(&f->ho, &rest);
	if (f->spool != NULL) {
		forward_spool_finish(f, &left, &rest);
		return;
	}
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

/* When the idle thread has something to do by itself (monotonic; 0 =
 * nothing): the next attempt, the end of an outage, a RELP settle. */
static int64_t
forward_wake_at(const struct forward *f)
{
	int64_t at = 0;

	if (!forward_up(f))
		return f->parked ? 0 : f->next_try_ns;
	if (f->announced)
		at = f->up_ns + FORWARD_SETTLE_MS * MS;
	if (!TAILQ_EMPTY(&f->sent) && (at == 0 ||
	    f->sent_ns + FORWARD_RELP_LINGER_MS * MS < at))
		at = f->sent_ns + FORWARD_RELP_LINGER_MS * MS;
	return at;
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
	sigset_t urg;
	bool stop;

	sigemptyset(&urg);
	sigaddset(&urg, SIGURG);
	(void)pthread_sigmask(SIG_UNBLOCK, &urg, NULL);
	/* RELP over TLS loads them too, for the check above. */
	if (f->conf->tls_ca_file != NULL &&
	    (f->creds = tls_creds_load(f->conf, err, sizeof(err))) == NULL) {
		handoff_opened(&f->ho, SINK_FAILED, err);
		return NULL;
	}
	if (f->conf->spool_path != NULL && (f->spool = spool_open(
	    f->conf->spool_path, f->conf->name, f->conf->spool_max_size,
	    f->conf->spool_sync, err, sizeof(err))) == NULL) {
		handoff_opened(&f->ho, SINK_FAILED, err);
		return NULL;
	}
	if (f->spool != NULL && spool_records(f->spool) > 0) {
		/* An earlier run's: received again here, delivered first. */
		log_info("output %s: %llu records from before in its spool %s "
		    "go first", f->conf->name, (unsigned long long)
		    spool_records(f->spool), f->conf->spool_path);
		pthread_mutex_lock(&f->mu);
		f->counts.added += spool_records(f->spool);
		pthread_mutex_unlock(&f->mu);
		forward_spool_publish(f);
	}
	handoff_opened(&f->ho, SINK_OPEN, NULL);

	for (;;) {
		forward_settle(f);
		stop = forward_take_requests(f);
		if (stop && ((f->cur == NULL && TAILQ_EMPTY(&f->redo)) ||
		    forward_stop_due(f)))
			break;
		if (!forward_up(f) && clock_mono_ns() >= f->next_try_ns &&
		    !(f->parked && f->cur == NULL)) {
			if (forward_connect(f, err, sizeof(err)) == 0)
				forward_connected(f);
			else if (!forward_stop_due(f))
				forward_failed(f, false, err);
			continue;
		}
		if (forward_is_relp(f) && forward_up(f) && f->cur != NULL) {
			/* At the stop deadline, the end (forward_finish)
			 * counts what the session confirmed. */
			if (forward_relp_send_chunk(f, err, sizeof(err)) == -1 &&
			    !forward_stop_due(f)) {
				forward_relp_rewind(f);
				forward_failed(f, true, err);
			}
			continue;
		}
		if (forward_is_relp(f) && forward_up(f) &&
		    !TAILQ_EMPTY(&f->sent) && clock_mono_ns() >= f->sent_ns +
		    FORWARD_RELP_LINGER_MS * MS) {
			if (forward_relp_settle(f, err, sizeof(err)) == -1) {
				forward_relp_rewind(f);
				forward_failed(f, true, err);
			}
			continue;
		}
		if (forward_up(f) && f->cur != NULL) {
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
		if (forward_wait(f, f->fd, POLLIN | POLLRDHUP,
		    forward_wake_at(f)) == 1 &&
		    forward_check(f, err, sizeof(err)) == -1)
			forward_failed(f, true, err);
	}
	forward_finish(f);
	return NULL;
}

struct sink *
forward_new(const struct config_output *conf, const char *host,
    size_t chunk_size, struct event *done, char *err, size_t errlen)
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
	f->sink.ops = conf->spool_path != NULL ? &forward_spool_ops :
	    &forward_ops;
	f->chunk_size = chunk_size;
	snprintf(f->host, sizeof(f->host), "%s", host);
	TAILQ_INIT(&f->spare);
	snprintf(f->target, sizeof(f->target), "%s", conf->path);
	f->frame_cap = chunk_size + FORWARD_PREFIX;
	f->fd = -1;
	TAILQ_INIT(&f->sent);
	TAILQ_INIT(&f->redo);
	f->down = true;
	f->down_ns = clock_mono_ns();
	snprintf(f->error, sizeof(f->error), "connecting");
	atomic_store(&f->pub_down, 1);
	atomic_store(&f->pub_since_ns, clock_now_ns());
	handoff_init(&f->ho, done, f->wake_fd);
	pthread_mutex_init(&f->mu, NULL);
	(void)pthread_once(&forward_signal_once, forward_signal_init);
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

/* SIGURG only interrupts a forwarder waiting in librelp (forward_join). */
static void
forward_interrupted(int sig)
{
	(void)sig;
}

static void
forward_signal_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward_interrupted;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGURG, &sa, NULL);
}

/*
 * Wait for the thread until by (monotonic). One still in a librelp call
 * then (a silent collector holds each one up to RELP_TIMEOUT_S, and
 * librelp polls no wake_fd of ours) is told to give up and interrupted,
 * so that it still puts what it holds in the spool; then wait until
 * deadline. 0 once the thread ended.
 */
static int
forward_join(struct forward *f, int64_t by, const struct timespec *deadline)
{
	struct timespec ts;
	int64_t at;

	at = clock_now_ns() + (by - clock_mono_ns());
	ts.tv_sec = (time_t)(at / 1000000000);
	ts.tv_nsec = (long)(at % 1000000000);
	if (pthread_timedjoin_np(f->thread, NULL, &ts) == 0)
		return 0;
	__atomic_store_n(&f->relp_stop, 1, __ATOMIC_SEQ_CST);
	(void)pthread_kill(f->thread, SIGURG);
	return pthread_timedjoin_np(f->thread, NULL, deadline);
}

static int
forward_close(struct sink *s, struct chunk_list *done,
    struct sink_counts *counts, const struct timespec *deadline)
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
	else if (forward_join(f, by, deadline) != 0) {
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
	if (counts != NULL) {
		counts->added += f->counts.added;
		counts->written += f->counts.written;
		counts->too_large += f->counts.too_large;
	}
	while ((c = TAILQ_FIRST(&f->spare)) != NULL) {
		TAILQ_REMOVE(&f->spare, c, entry);
		free(c->buf);
		free(c);
	}
	spool_close(f->spool);
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

static void
forward_take_counts(struct sink *s, struct sink_counts *out)
{
	struct forward *f = forward_of(s);

	pthread_mutex_lock(&f->mu);
	out->added += f->counts.added;
	out->written += f->counts.written;
	out->too_large += f->counts.too_large;
	f->counts = (struct sink_counts){ 0, 0, 0 };
	pthread_mutex_unlock(&f->mu);
}

/* The last error, kept after the outage ended; NULL when none yet. */
static const char *
forward_last_error(const struct sink *s, int64_t *when_ns)
{
	struct forward *f = forward_of(s);

	pthread_mutex_lock(&f->mu);
	snprintf(f->last_copy, sizeof(f->last_copy), "%s", f->last_error);
	*when_ns = f->last_error_ns;
	pthread_mutex_unlock(&f->mu);
	return f->last_copy[0] != '\0' ? f->last_copy : NULL;
}

static uint64_t
forward_possibly_lost(const struct sink *s)
{
	return atomic_load(&forward_of(s)->pub_possibly_lost);
}

static bool
forward_spool(const struct sink *s, uint64_t *bytes, uint64_t *records)
{
	const struct forward *f = forward_of(s);

	*bytes = atomic_load(&f->pub_spool_bytes);
	*records = atomic_load(&f->pub_spool_records);
	return true;
}

/* What both kinds of forward output do alike. */
#define FORWARD_OPS							\
	.kind = "forward",						\
	.taking_name = "connected",					\
	.dropping_name = "backing_off",					\
	.drop_reason = DROP_UNDELIVERED,				\
	.open_state = forward_open_state,				\
	.submit = forward_submit,					\
	.take_done = forward_take_done,					\
	.reopen = forward_reopen,					\
	.reconfigure = forward_reconfigure,				\
	.stop = forward_stop,						\
	.finished = forward_finished,					\
	.dropping = forward_dropping,					\
	.last_write_ns = forward_last_write_ns,				\
	.free_bytes = forward_free_bytes,				\
	.close = forward_close,						\
	.last_error = forward_last_error,				\
	.possibly_lost = forward_possibly_lost

static const struct sink_ops forward_ops = {
	FORWARD_OPS,
	.holds_while_dropping = true,	/* chunks wait for the collector */
};

/* With a spool, chunks do not wait in the pool while the collector is
 * away: they go to the spool at once, partial ones too. */
static const struct sink_ops forward_spool_ops = {
	FORWARD_OPS,
	.holds_while_dropping = false,
	.take_counts = forward_take_counts,
	.spool = forward_spool,
};
