/*
 * sender.c: the sender thread, one per handle, and the few calls producers
 * make to reach it.
 *
 * The thread owns the connection: it connects (non-blocking, with back-off),
 * sends HELLO (announcing version 2) and a SYNC probe, and learns from the
 * first answer which version the daemon speaks: a version 2 daemon answers
 * HELLO with HELLO_ACK before the probe's SYNC_ACK, a version 1 daemon with
 * the SYNC_ACK alone. Flushes wait for that answer, and so do ring bytes once
 * a ring may hold frames of version 2 (one round trip per connection). Then it gathers control frames and every ring's published
 * bytes into one sendmsg() at a time, moves each ring's tail as bytes leave,
 * and reads the acknowledgements. It meets producers only through ring head/tail, the drop
 * counters, sleeping/waiters and the flush sequence numbers; it never writes
 * a ring's bytes or its producer fields.
 */

#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "handle.h"
#include "ring.h"
#include "sender.h"
#include "wire.h"

#define SENDER_LINGER_MS	1	/* stay awake this long after work */
#define SENDER_BACKOFF_MIN_MS	10
#define SENDER_BACKOFF_MAX_MS	1000
#define SENDER_STABLE_MS	1000	/* a connection this old resets back-off */

static void	*sender_main(void *);

static int64_t
sender_mono_ms(void)
{
	return handle_clock_ns(CLOCK_MONOTONIC) / 1000000;
}

void
sender_init(struct sender *s)
{
	memset(s, 0, sizeof *s);
	s->fd = -1;
	s->backoff_ms = SENDER_BACKOFF_MIN_MS;
}

int
sender_start(struct asynclog *h)
{
	sigset_t	all, old;
	int		error;

	if ((h->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		return errno;
	/* The sender takes no signals: they belong to the application. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	error = pthread_create(&h->thread, NULL, sender_main, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (error != 0) {
		close(h->wakefd);
		h->wakefd = -1;
		return error;
	}
	h->running = true;
	return 0;
}

void
sender_stop(struct asynclog *h)
{
	atomic_store(&h->stopping, true);
	sender_wake(h);
	pthread_join(h->thread, NULL);
	h->running = false;
}

void
sender_close(struct asynclog *h)
{
	if (h->s.fd != -1)
		close(h->s.fd);
	if (h->wakefd != -1)
		close(h->wakefd);
	h->wakefd = -1;
	sender_init(&h->s);
}

/*
 * A child of fork() may have closed every descriptor and opened its own
 * files under the same numbers, so a number alone proves nothing. The socket
 * is closed only when it is still the same socket (its inode is unique);
 * the eventfd is only forgotten, since every eventfd shares one anonymous
 * inode and nothing shows which is ours. Both are O_CLOEXEC, so a forgotten
 * one lives at most until the child execs.
 */
void
sender_disown(struct asynclog *h)
{
	struct stat	st;

	if (h->s.fd != -1 && fstat(h->s.fd, &st) == 0 &&
	    st.st_dev == h->s.fd_dev && st.st_ino == h->s.fd_ino)
		close(h->s.fd);
	h->wakefd = -1;
	sender_init(&h->s);
}

void
sender_wake(struct asynclog *h)
{
	uint64_t	one = 1;

	while (write(h->wakefd, &one, sizeof one) == -1 && errno == EINTR)
		;	/* EAGAIN: the counter is already non-zero, it will wake */
}

/*
 * Called after a record is published with a seq_cst store of head. That
 * store and this seq_cst load pair with sender_idle()'s store of sleeping and
 * load of head: either we see sleeping set, or the sender sees our record.
 */
void
sender_kick(struct asynclog *h)
{
	if (atomic_load(&h->sleeping) && atomic_exchange(&h->sleeping, 0))
		sender_wake(h);
}

void
sender_count_drop(struct asynclog *h, uint64_t n)
{
	int64_t	now = handle_clock_ns(CLOCK_REALTIME), zero = 0;

	atomic_compare_exchange_strong(&h->drop_first, &zero, now);
	atomic_store(&h->drop_last, now);
	atomic_fetch_add(&h->drop_pending, n);
	atomic_fetch_add(&h->dropped, n);
}

/* Below: the sender thread's alone (and sender_finish's, once it is joined). */

/* May ring bytes go now, or must they wait to learn the daemon's version? */
static bool
sender_rings_ready(struct asynclog *h)
{
	return h->s.peer_version != 0 || !atomic_load_explicit(&h->deferred,
	    memory_order_relaxed);
}

/* Is there room for need more bytes in the control buffer now? */
static bool
sender_ctl_room(struct sender *s, size_t need)
{
	return s->ctl_len + need <= sizeof s->ctl;
}

/* seq_cst, like the loads in ring_wait(), so sender_space() is not missed. */
static void
sender_publish(struct ring *r)
{
	atomic_store(&r->tail, r->tail_local);
}

/* After tails moved: wake producers blocked for space, if any. */
static void
sender_space(struct asynclog *h)
{
	if (atomic_load(&h->waiters) > 0) {
		pthread_mutex_lock(&h->lock);
		pthread_cond_broadcast(&h->space);
		pthread_mutex_unlock(&h->lock);
	}
}

/* No connection before the back-off has passed; the next one waits longer. */
static void
sender_backoff(struct sender *s, int64_t now)
{
	s->next_attempt = now + s->backoff_ms;
	s->backoff_ms = s->backoff_ms * 2 > SENDER_BACKOFF_MAX_MS ?
	    SENDER_BACKOFF_MAX_MS : s->backoff_ms * 2;
}

/*
 * The connection is gone. A frame cut mid-way is lost (the daemon throws a
 * truncated frame away) and counted; everything still in the rings is sent on
 * the next connection, and an unanswered SYNC is sent again there.
 */
static void
sender_disconnect(struct asynclog *h)
{
	struct sender	*s = &h->s;
	int64_t		 now = sender_mono_ms(), zero = 0;
	int64_t		 since;

	close(s->fd);
	s->fd = -1;
	atomic_store(&h->connected, false);

	if (s->partial != NULL) {
		s->partial->tail_local = s->partial->partial_end;
		sender_publish(s->partial);
		s->partial = NULL;
		sender_count_drop(h, 1);
		sender_space(h);
	}
	if (s->ctl_off < s->ctl_drop_end && s->ctl_drop_count > 0) {
		/* The DROPPED frame did not make it: report it again. */
		since = handle_clock_ns(CLOCK_REALTIME);
		atomic_compare_exchange_strong(&h->drop_first, &zero, since);
		atomic_fetch_add(&h->drop_pending, s->ctl_drop_count);
	}
	s->ctl_len = s->ctl_off = s->ctl_drop_end = 0;
	s->ctl_drop_count = 0;
	s->in_len = 0;
	s->peer_version = 0;
	s->sync_sent = atomic_load(&h->sync_acked);

	/* A daemon that accepts and hangs up at once must not make us spin. */
	if (now - s->connected_at >= SENDER_STABLE_MS) {
		s->backoff_ms = SENDER_BACKOFF_MIN_MS;
		s->next_attempt = now;
	} else
		sender_backoff(s, now);
}

static int
sender_connect(struct asynclog *h)
{
	struct sender	*s = &h->s;
	struct stat	 st;
	int64_t		 now = sender_mono_ms();
	int		 fd;

	if (now < s->next_attempt)
		return -1;
	if (h->addr.sun_path[0] == '\0')
		goto fail;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		goto fail;
	/* Unix sockets connect at once or fail at once (EAGAIN: backlog full). */
	if (connect(fd, (struct sockaddr *)&h->addr, h->addr_len) == -1) {
		close(fd);
		goto fail;
	}
	if (fstat(fd, &st) == -1) {
		close(fd);
		goto fail;
	}
	s->fd = fd;
	s->fd_dev = st.st_dev;
	s->fd_ino = st.st_ino;
	s->connected_at = now;
	s->ctl_len = wire_encode_hello(s->ctl, sizeof s->ctl, WIRE_HELLO_V2,
	    h->tag, h->tag_len);
	/* The probe: seq 0 never satisfies a flush. */
	s->ctl_len += wire_encode_sync(s->ctl + s->ctl_len,
	    sizeof s->ctl - s->ctl_len, WIRE_SYNC, 0);
	s->ctl_off = 0;
	s->peer_version = 0;
	s->conn_received = 0;
	memset(s->conn_dropped, 0, sizeof s->conn_dropped);
	atomic_store(&h->connected, true);
	return 0;

fail:
	sender_backoff(s, now);
	return -1;
}

/* Queue a DROPPED frame for every drop not reported yet, if there is room. */
static void
sender_queue_dropped(struct asynclog *h)
{
	struct sender	*s = &h->s;
	uint64_t	 n;
	int64_t		 since, until;

	if (!sender_ctl_room(s, 64) ||
	    (n = atomic_exchange(&h->drop_pending, 0)) == 0)
		return;
	until = atomic_load(&h->drop_last);
	since = atomic_exchange(&h->drop_first, 0);
	if (since == 0 || since > until)
		since = until;
	s->ctl_len += wire_encode_dropped(s->ctl + s->ctl_len,
	    sizeof s->ctl - s->ctl_len, n, since, until);
	s->ctl_drop_end = s->ctl_len;
	s->ctl_drop_count = n;
}

/* Queue DROPPED and SYNC frames; they go out before the next ring bytes. */
static void
sender_control(struct asynclog *h)
{
	struct sender	*s = &h->s;
	struct ring	*r;
	uint64_t	 req;
	int		 i, nr = atomic_load_explicit(&h->nrings,
			     memory_order_acquire);
	bool		 ready;

	if (s->ctl_drop_end == 0 &&
	    atomic_load_explicit(&h->drop_pending, memory_order_relaxed))
		sender_queue_dropped(h);

	/*
	 * A flush covers what was published when the sender saw the request
	 * (which is after the request was made): the SYNC follows those bytes.
	 */
	req = atomic_load(&h->sync_req);
	if (req > s->sync_snap) {
		for (i = 0; i < nr; i++) {
			r = h->rings[i];
			r->sync_target = atomic_load_explicit(&r->head,
			    memory_order_acquire);
		}
		s->sync_snap = req;
	}
	if (s->peer_version != 0 && s->sync_snap > s->sync_sent &&
	    sender_ctl_room(s, 32)) {
		ready = true;
		for (i = 0; i < nr && ready; i++)
			ready = h->rings[i]->tail_local >= h->rings[i]->sync_target;
		if (ready && (s->features & (WIRE_FEAT_DROPS | WIRE_FEAT_WAIT)))
			s->ctl_len += wire_encode_sync2(s->ctl + s->ctl_len,
			    sizeof s->ctl - s->ctl_len, s->sync_snap,
			    atomic_load(&h->wait_req) > s->sync_sent ?
			    WIRE_SYNC_WRITTEN : 0);
		else if (ready)
			s->ctl_len += wire_encode_sync(s->ctl + s->ctl_len,
			    sizeof s->ctl - s->ctl_len, WIRE_SYNC, s->sync_snap);
		if (ready)
			s->sync_sent = s->sync_snap;
	}
}

static void
sender_add(struct sender *s, struct ring *r, uint64_t start, size_t len,
    uint64_t next, bool partial)
{
	struct sender_item	*it = &s->items[s->nitems];

	if (len == 0)
		return;
	it->ring = r;
	it->start = start;
	it->len = len;
	it->next = next;
	it->partial = partial;
	s->iov[s->nitems].iov_base = r != NULL ? ring_at(r, start) :
	    s->ctl + start;
	s->iov[s->nitems].iov_len = len;
	s->nitems++;
}

/*
 * Gather what to send, in stream order: the rest of a cut frame (nothing may
 * come between its two halves), control frames, then each ring's data as one
 * or two contiguous spans (two when it runs over a lap boundary).
 */
static void
sender_build(struct asynclog *h)
{
	struct sender	*s = &h->s;
	struct ring	*r;
	uint64_t	 t, head, lap;
	int		 i, nr = atomic_load_explicit(&h->nrings,
			     memory_order_acquire);

	s->nitems = 0;
	if ((r = s->partial) != NULL) {
		sender_add(s, r, r->tail_local, r->partial_end - r->tail_local,
		    r->partial_end, true);
	}
	if (s->ctl_off < s->ctl_len)
		sender_add(s, NULL, s->ctl_off, s->ctl_len - s->ctl_off,
		    s->ctl_len, false);
	for (i = 0; i < nr && sender_rings_ready(h); i++) {
		r = h->rings[i];
		head = atomic_load_explicit(&r->head, memory_order_acquire);
		t = r == s->partial ? r->partial_end : r->tail_local;
		lap = (t | RING_MASK) + 1;
		if (head > lap) {
			/* lap_end was written before head passed lap. */
			if (t < r->lap_end)
				sender_add(s, r, t, r->lap_end - t, lap, false);
			sender_add(s, r, lap, head - lap, head, false);
		} else if (head > t)
			sender_add(s, r, t, head - t, head, false);
	}
}

static void
sender_advance(struct asynclog *h, size_t n)
{
	struct sender	*s = &h->s;
	struct sender_item	*it;
	size_t		 k;
	int		 i;

	for (i = 0; i < s->nitems && n > 0; i++) {
		it = &s->items[i];
		k = n < it->len ? n : it->len;
		n -= k;
		if (it->ring == NULL) {
			s->ctl_off += k;
			if (s->ctl_off == s->ctl_len)
				s->ctl_off = s->ctl_len = s->ctl_drop_end = 0;
			continue;
		}
		if (k == it->len) {
			it->ring->tail_local = it->next;
			if (it->partial)
				s->partial = NULL;
		} else {
			it->ring->tail_local = it->start + k;
			if (!it->partial) {
				it->ring->partial_end = ring_frame_end(
				    it->ring, it->start, it->start + k);
				if (it->ring->partial_end != it->start + k)
					s->partial = it->ring;
			}
		}
		sender_publish(it->ring);
	}
	sender_space(h);
}

/*
 * A SYNC2_ACK's counts are the connection's since it began: what is new
 * since the last one is added to the handle's sums.
 */
static void
sender_ack2(struct asynclog *h, const struct wire_sync2_ack *a)
{
	struct sender	*s = &h->s;
	int		 i;

	if (a->received >= s->conn_received)
		h->ack_received += a->received - s->conn_received;
	s->conn_received = a->received;
	for (i = 0; i < WIRE_NDROPS; i++) {
		if (a->dropped[i] >= s->conn_dropped[i])
			h->ack_dropped[i] += a->dropped[i] - s->conn_dropped[i];
		s->conn_dropped[i] = a->dropped[i];
	}
	h->ack_status = a->status;
}

/* A frame from the daemon: HELLO_ACK, SYNC_ACK or SYNC2_ACK. */
static void
sender_answer(struct asynclog *h, const struct wire_frame *f)
{
	struct sender	*s = &h->s;
	uint64_t	 acked;

	switch (f->type) {
	case WIRE_HELLO_ACK:
		s->peer_version = WIRE_VERSION2;
		s->features = f->u.hello_ack.features;
		atomic_store(&h->peer_version, WIRE_VERSION2);
		return;
	case WIRE_SYNC_ACK:
		acked = f->u.sync_seq;
		if (s->peer_version == 0) {
			/* The probe's answer came first: a version 1 daemon. */
			s->peer_version = WIRE_VERSION;
			s->features = 0;
			atomic_store(&h->peer_version, WIRE_VERSION);
		}
		break;
	case WIRE_SYNC2_ACK:
		acked = f->u.sync2_ack.seq;
		break;
	default:
		return;
	}
	pthread_mutex_lock(&h->lock);
	if (f->type == WIRE_SYNC2_ACK)
		sender_ack2(h, &f->u.sync2_ack);
	if (acked > atomic_load(&h->sync_acked))
		atomic_store(&h->sync_acked, acked);
	pthread_cond_broadcast(&h->synced);
	pthread_mutex_unlock(&h->lock);
}

static void
sender_read(struct asynclog *h)
{
	struct sender		*s = &h->s;
	struct wire_frame	 f;
	const char		*err;
	ssize_t			 n, used;

	for (;;) {
		n = recv(s->fd, s->in + s->in_len, sizeof s->in - s->in_len,
		    MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			sender_disconnect(h);
			return;
		}
		s->in_len += (size_t)n;
		while ((used = wire_decode(s->in, s->in_len, sizeof s->in, &f,
		    &err)) > 0) {
			sender_answer(h, &f);
			memmove(s->in, s->in + used, s->in_len - (size_t)used);
			s->in_len -= (size_t)used;
		}
		if (used == -1) {
			sender_disconnect(h);
			return;
		}
	}
}

/* Wait for the wake-up eventfd, and for the socket when connected. */
static void
sender_poll(struct asynclog *h, short events, int timeout)
{
	struct sender	*s = &h->s;
	struct pollfd	 pfd[2];
	uint64_t	 v;
	nfds_t		 n = 1;

	pfd[0].fd = h->wakefd;
	pfd[0].events = POLLIN;
	pfd[0].revents = 0;
	if (s->fd != -1) {
		pfd[1].fd = s->fd;
		pfd[1].events = events | POLLIN;
		pfd[1].revents = 0;
		n = 2;
	}
	if (poll(pfd, n, timeout) <= 0)
		return;
	if (pfd[0].revents & POLLIN) {
		while (read(h->wakefd, &v, sizeof v) == -1 && errno == EINTR)
			;
	}
	if (n == 2 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
		sender_read(h);
}

static bool
sender_has_work(struct asynclog *h)
{
	struct sender	*s = &h->s;
	int		 i, n = atomic_load_explicit(&h->nrings,
			     memory_order_acquire);

	if (atomic_load(&h->stopping) || s->partial != NULL ||
	    s->ctl_off < s->ctl_len ||
	    (s->peer_version != 0 && atomic_load(&h->sync_req) > s->sync_sent) ||
	    atomic_load(&h->drop_pending) != 0)
		return true;
	for (i = 0; i < n && sender_rings_ready(h); i++) {
		if (atomic_load(&h->rings[i]->head) != h->rings[i]->tail_local)
			return true;
	}
	return false;
}

/*
 * Nothing to send. Stay awake for SENDER_LINGER_MS first, so a steady stream of
 * records is batched without producers making a syscall; then announce sleep
 * and re-check (seq_cst, pairing with sender_kick) before blocking.
 */
static void
sender_idle(struct asynclog *h)
{
	struct sender	*s = &h->s;

	if (!s->lingered) {
		s->lingered = true;
		sender_poll(h, 0, SENDER_LINGER_MS);
		return;
	}
	atomic_store(&h->sleeping, 1);
	if (!sender_has_work(h))
		sender_poll(h, 0, -1);
	atomic_store(&h->sleeping, 0);
	s->lingered = false;
}

/* One non-blocking sendmsg() of the items sender_build() gathered. */
static ssize_t
sender_send(struct sender *s)
{
	struct msghdr	msg;

	memset(&msg, 0, sizeof msg);
	msg.msg_iov = s->iov;
	msg.msg_iovlen = (size_t)s->nitems;
	/* MSG_NOSIGNAL: a dead daemon must not kill the application. */
	return sendmsg(s->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void *
sender_main(void *arg)
{
	struct asynclog	*h = arg;
	struct sender	*s = &h->s;
	ssize_t		 n;
	int64_t		 wait;

	while (!atomic_load(&h->stopping)) {
		if (s->fd == -1 && sender_connect(h) == -1) {
			wait = s->next_attempt - sender_mono_ms();
			sender_poll(h, 0, wait < 0 ? 0 : (int)wait);
			continue;
		}
		sender_control(h);
		if (s->sync_sent > atomic_load(&h->sync_acked)) {
			sender_read(h);		/* an answer may be waiting */
			if (s->fd == -1)
				continue;
		}
		sender_build(h);
		if (s->nitems == 0) {
			sender_idle(h);
			continue;
		}
		s->lingered = false;
		n = sender_send(s);
		if (n >= 0)
			sender_advance(h, (size_t)n);
		else if (errno == EAGAIN || errno == EWOULDBLOCK)
			sender_poll(h, POLLOUT, -1);
		else if (errno != EINTR)
			sender_disconnect(h);
	}
	return NULL;
}

/*
 * The handle is closing and no sender thread runs any more: nothing may go
 * unaccounted. Every frame still in a ring is counted as dropped; so is the
 * frame the last send cut, unless its rest goes out now. Then, in the same
 * non-blocking sendmsg(), one DROPPED frame carries every drop not yet
 * reported. A daemon that stopped reading has no room for it, which is why
 * h->dropped, not the daemon's DROPPED total, is the exact final count.
 */
void
sender_finish(struct asynclog *h)
{
	struct sender	*s = &h->s;
	struct ring	*r;
	uint64_t	 n = 0;
	ssize_t		 sent;
	int		 i, nr = atomic_load(&h->nrings);

	for (i = 0; i < nr; i++) {
		r = h->rings[i];
		n += ring_frames(r, r == s->partial ? r->partial_end :
		    r->tail_local, atomic_load(&r->head));
	}
	if (n > 0)
		sender_count_drop(h, n);
	if (s->fd == -1)
		return;

	s->nitems = 0;
	if ((r = s->partial) != NULL)
		sender_add(s, r, r->tail_local, r->partial_end - r->tail_local,
		    r->partial_end, true);
	sender_queue_dropped(h);
	if (s->ctl_off < s->ctl_len)
		sender_add(s, NULL, s->ctl_off, s->ctl_len - s->ctl_off,
		    s->ctl_len, false);
	while ((sent = sender_send(s)) == -1 && errno == EINTR)
		;
	if (s->partial != NULL && (sent == -1 || (size_t)sent < s->items[0].len))
		sender_count_drop(h, 1);	/* the daemon discards a cut frame */
}
