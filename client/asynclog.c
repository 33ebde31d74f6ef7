/*
 * asynclog.c: libasynclog, the client library declared in asynclog.h.
 *
 * Data flow: a log call encodes one RECORD frame straight into a byte ring
 * owned by the calling thread (single producer, single consumer: no lock, no
 * allocation, and no syscall while the sender is awake) and returns. One
 * sender thread per handle drains every ring into the daemon's native socket
 * with sendmsg(), many frames per call, reconnects with back-off, reports
 * drops in DROPPED frames and reads the SYNC_ACKs asynclog_flush() waits for.
 *
 * Bounds: a ring is RING_SIZE bytes and a handle has at most MAX_RINGS of
 * them; the last one is shared, under a mutex, by threads beyond the first
 * MAX_RINGS - 1. A ring left by an exited thread is taken over by the next new
 * thread. A record that does not fit is dropped and counted (or waits, with
 * ASYNCLOG_BLOCK); a message over MAX_MSG bytes is cut (see asynclog_submit).
 *
 * Never, whatever the daemon does: exit, abort, raise SIGPIPE, or make a
 * caller wait (unless it asked for ASYNCLOG_BLOCK).
 */

#include <sys/eventfd.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "asynclog.h"
#include "wire.h"

#define RING_SIZE	(256 * 1024)	/* bytes per thread; a power of two */
#define RING_MASK	((uint64_t)RING_SIZE - 1)
#define MAX_RINGS	64		/* per handle, the shared one included */
#define TLS_SLOTS	4		/* handles a thread finds without a lock */
#define MAX_MSG		WIRE_DEFAULT_MAX_RECORD	/* message bytes, marker included */
#define STACK_MSG	1024		/* asynclog_log formats here first */
#define LINGER_MS	1		/* sender stays awake this long after work */
#define BACKOFF_MIN_MS	10
#define BACKOFF_MAX_MS	1000
#define STABLE_MS	1000		/* a connection this old resets the back-off */
#define CTL_SIZE	512		/* HELLO + DROPPED + SYNC always fit */
#define IN_SIZE		1024		/* the daemon only sends SYNC_ACKs to us */
#define MAX_ITEMS	(2 + 2 * MAX_RINGS)

#define OWNER_NONE	0		/* ring free for the next new thread */

/*
 * <syslog.h> priority bits, spelled out: the build puts daemon/ on the
 * include path, and daemon/syslog.h hides the system header there.
 */
#define PRI_FACMASK	0x03f8
#define PRI_SEVMASK	0x0007
#define PRI_USER	(1 << 3)
#define PRI_MAX		191		/* local7.debug */

/*
 * One thread's bytes on their way to the daemon. Positions (head, tail) count
 * bytes since the ring was made and never wrap; the offset in buf is
 * position & RING_MASK. A frame is always contiguous in buf: one that would
 * straddle the end starts at the next lap instead, and lap_end says where the
 * previous lap's data stopped. The producer fields and the consumer fields
 * sit on different cache lines so the two threads do not fight over one.
 */
struct ring {
	/* Written by the producer (the owning thread, or shared_lock holder). */
	_Alignas(64) _Atomic uint64_t head;	/* end of published frames */
	uint64_t	 head_local;	/* same, without the atomic load */
	uint64_t	 tail_cache;	/* last tail seen: read the sender's line only when full */
	uint64_t	 lap_end;	/* data end in the lap before the latest boundary */

	/* Written by the sender thread. */
	_Alignas(64) _Atomic uint64_t tail;	/* bytes before this are sent */
	uint64_t	 tail_local;	/* same, published after each sendmsg() */
	uint64_t	 partial_end;	/* end of the frame cut at tail_local */
	uint64_t	 sync_target;	/* head when the pending flush began */

	/* Under the handle's lock. */
	uint64_t	 owner;		/* thread token, OWNER_NONE when free */
	bool		 shared;	/* the overflow ring: producers take shared_lock */
	unsigned char	*buf;
};

/* What one iovec of the next sendmsg() carries. */
struct item {
	struct ring	*ring;		/* NULL: the control buffer */
	uint64_t	 start;		/* ring position of the first byte */
	uint64_t	 next;		/* tail once the item is sent whole */
	size_t		 len;
	bool		 partial;	/* the rest of a frame cut by the last send */
};

/* State only the sender thread touches (and the child after fork, alone). */
struct sender {
	int		 fd;		/* -1 when not connected */
	int		 backoff_ms;
	int64_t		 next_attempt;	/* monotonic ms */
	int64_t		 connected_at;
	bool		 lingered;

	unsigned char	 ctl[CTL_SIZE];	/* HELLO, DROPPED, SYNC, sent before ring data */
	size_t		 ctl_len;
	size_t		 ctl_off;
	size_t		 ctl_drop_end;	/* a DROPPED frame ends here in ctl */
	uint64_t	 ctl_drop_count;

	struct ring	*partial;	/* ring whose tail is mid-frame, or NULL */
	uint64_t	 sync_snap;	/* flush request the targets were taken for */
	uint64_t	 sync_sent;	/* SYNC sent on this connection */

	unsigned char	 in[IN_SIZE];
	size_t		 in_len;

	struct iovec	 iov[MAX_ITEMS];
	struct item	 items[MAX_ITEMS];
	int		 nitems;
};

struct asynclog {
	_Atomic uint64_t id;		/* unique; a new one after fork voids thread caches */
	_Atomic unsigned fork_gen;	/* fork_gen when this handle was (re)set */
	int		 flags;
	struct sockaddr_un addr;
	socklen_t	 addr_len;
	char		 tag[WIRE_MAX_TAG + 1];
	size_t		 tag_len;
	pid_t		 pid;		/* for ASYNCLOG_STDERR */

	pthread_mutex_t	 lock;		/* ring list, flush and BLOCK waits */
	pthread_cond_t	 space;		/* the sender freed ring space */
	pthread_cond_t	 synced;	/* a SYNC_ACK arrived */
	pthread_mutex_t	 shared_lock;	/* producers on the shared ring */

	struct ring	*rings[MAX_RINGS];
	_Atomic int	 nrings;	/* rings[] is append-only until close or fork */

	_Atomic int	 sleeping;	/* sender is in poll() and wants a wake-up */
	_Atomic int	 waiters;	/* producers blocked for space */
	_Atomic bool	 stopping;
	_Atomic bool	 connected;
	int		 wakefd;	/* eventfd */

	_Atomic uint64_t dropped;	/* since open, for asynclog_dropped() */
	_Atomic uint64_t drop_pending;	/* not yet reported to the daemon */
	_Atomic int64_t	 drop_first;	/* first/last drop of the pending batch */
	_Atomic int64_t	 drop_last;

	_Atomic uint64_t sync_req;	/* last flush sequence asked for */
	_Atomic uint64_t sync_acked;	/* last SYNC_ACK seen */

	pthread_t	 thread;
	bool		 running;
	_Alignas(64) struct sender s;	/* the sender's own cache lines */

	LIST_ENTRY(asynclog) entry;	/* in handles, under global_lock */
};

/*
 * Each thread remembers which ring it uses for its last few handles. The id
 * (not only the pointer) must match, so a handle freed and reallocated at the
 * same address, or reset after fork, never reuses a stale ring.
 */
struct tls_slot {
	const struct asynclog	*h;
	uint64_t		 id;
	struct ring		*ring;
};
static __thread struct tls_slot	tls_slots[TLS_SLOTS];
static __thread unsigned	tls_next;
static __thread uint64_t	tls_token;	/* this thread, for ring ownership */

static pthread_once_t	 global_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t	 global_lock = PTHREAD_MUTEX_INITIALIZER;
static LIST_HEAD(, asynclog) handles = LIST_HEAD_INITIALIZER(handles);
static pthread_key_t	 thread_key;	/* its destructor frees a dead thread's rings */
static _Atomic uint64_t	 next_id = 1;
static _Atomic unsigned	 fork_gen;

static void	*sender_main(void *);

static int64_t
clock_ns(clockid_t clock)
{
	struct timespec	ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t
mono_ms(void)
{
	return clock_ns(CLOCK_MONOTONIC) / 1000000;
}

/* Force the sender out of poll(): for flush and close, never per record. */
static void
asynclog_wake(struct asynclog *h)
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
static void
asynclog_kick(struct asynclog *h)
{
	if (atomic_load(&h->sleeping) && atomic_exchange(&h->sleeping, 0))
		asynclog_wake(h);
}

static void
asynclog_count_drop(struct asynclog *h, uint64_t n)
{
	int64_t	now = clock_ns(CLOCK_REALTIME), zero = 0;

	atomic_compare_exchange_strong(&h->drop_first, &zero, now);
	atomic_store(&h->drop_last, now);
	atomic_fetch_add(&h->drop_pending, n);
	atomic_fetch_add(&h->dropped, n);
}

static void
asynclog_init_locks(struct asynclog *h)
{
	pthread_condattr_t	attr;

	pthread_mutex_init(&h->lock, NULL);
	pthread_mutex_init(&h->shared_lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&h->space, &attr);
	pthread_cond_init(&h->synced, &attr);
	pthread_condattr_destroy(&attr);
}

static void
asynclog_destroy_locks(struct asynclog *h)
{
	pthread_mutex_destroy(&h->lock);
	pthread_mutex_destroy(&h->shared_lock);
	pthread_cond_destroy(&h->space);
	pthread_cond_destroy(&h->synced);
}

/*
 * fork(): only the handle list must be consistent in the child, so only
 * global_lock is held across it. The child re-creates every handle's locks
 * (a thread that held one does not exist there) and bumps the generation;
 * each handle then resets itself, rings and all, on its first use in the
 * child (asynclog_after_fork), so nothing a parent thread was half-way
 * through matters. The parent is not touched.
 */
static void
asynclog_atfork_prepare(void)
{
	pthread_mutex_lock(&global_lock);
}

static void
asynclog_atfork_parent(void)
{
	pthread_mutex_unlock(&global_lock);
}

static void
asynclog_atfork_child(void)
{
	struct asynclog	*h;

	LIST_FOREACH(h, &handles, entry)
		asynclog_init_locks(h);
	pthread_mutex_init(&global_lock, NULL);
	atomic_fetch_add(&fork_gen, 1);
}

/* A thread exits: its rings go back to the pool for the next new thread. */
static void
asynclog_thread_exit(void *arg)
{
	struct asynclog	*h;
	int		 i, n;

	(void)arg;
	pthread_mutex_lock(&global_lock);
	LIST_FOREACH(h, &handles, entry) {
		pthread_mutex_lock(&h->lock);
		n = atomic_load(&h->nrings);
		for (i = 0; i < n; i++) {
			if (!h->rings[i]->shared && h->rings[i]->owner == tls_token)
				h->rings[i]->owner = OWNER_NONE;
		}
		pthread_mutex_unlock(&h->lock);
	}
	pthread_mutex_unlock(&global_lock);
}

static void
asynclog_global_init(void)
{
	pthread_key_create(&thread_key, asynclog_thread_exit);
	pthread_atfork(asynclog_atfork_prepare, asynclog_atfork_parent,
	    asynclog_atfork_child);
}

static struct ring *
ring_new(uint64_t owner, bool shared)
{
	struct ring	*r;

	if (posix_memalign((void **)&r, 64, sizeof *r) != 0)
		return NULL;
	memset(r, 0, sizeof *r);
	if ((r->buf = malloc(RING_SIZE)) == NULL) {
		free(r);
		return NULL;
	}
	r->owner = owner;
	r->shared = shared;
	return r;
}

static void
ring_free(struct ring *r)
{
	if (r != NULL) {
		free(r->buf);
		free(r);
	}
}

/*
 * Slow path of ring lookup: first call of this thread on this handle (or its
 * cache slot was evicted). Returns NULL only when no memory can be had.
 */
static struct ring *
ring_attach(struct asynclog *h, uint64_t id)
{
	static _Atomic uint64_t	 next_token = 1;
	struct ring		*r = NULL, *shared = NULL;
	struct tls_slot		*slot;
	int			 i, n;

	if (tls_token == 0) {
		tls_token = atomic_fetch_add(&next_token, 1);
		pthread_setspecific(thread_key, &tls_token);
	}

	pthread_mutex_lock(&h->lock);
	n = atomic_load_explicit(&h->nrings, memory_order_relaxed);
	for (i = 0; i < n && r == NULL; i++) {
		if (h->rings[i]->shared)
			shared = h->rings[i];
		else if (h->rings[i]->owner == tls_token)
			r = h->rings[i];
	}
	for (i = 0; i < n && r == NULL; i++) {
		if (!h->rings[i]->shared && h->rings[i]->owner == OWNER_NONE) {
			r = h->rings[i];
			r->owner = tls_token;
		}
	}
	if (r == NULL && shared == NULL && n < MAX_RINGS) {
		/* Keep the last slot for the shared ring. */
		if (n < MAX_RINGS - 1)
			r = ring_new(tls_token, false);
		else
			r = ring_new(OWNER_NONE, true);
		if (r != NULL) {
			h->rings[n] = r;
			atomic_store_explicit(&h->nrings, n + 1,
			    memory_order_release);
		}
	}
	if (r == NULL)
		r = shared;
	pthread_mutex_unlock(&h->lock);

	if (r != NULL) {
		slot = &tls_slots[tls_next++ % TLS_SLOTS];
		slot->h = h;
		slot->id = id;
		slot->ring = r;
	}
	return r;
}

static inline struct ring *
ring_get(struct asynclog *h)
{
	uint64_t	id = atomic_load_explicit(&h->id, memory_order_relaxed);
	int		i;

	for (i = 0; i < TLS_SLOTS; i++) {
		if (tls_slots[i].h == h && tls_slots[i].id == id)
			return tls_slots[i].ring;
	}
	return ring_attach(h, id);
}

/* ASYNCLOG_BLOCK: sleep until the sender has made room up to end. */
static void
ring_wait(struct asynclog *h, struct ring *r, uint64_t end)
{
	struct timespec	ts;

	pthread_mutex_lock(&h->lock);
	atomic_fetch_add(&h->waiters, 1);	/* pairs with sender_space() */
	for (;;) {
		r->tail_cache = atomic_load(&r->tail);
		if (end - r->tail_cache <= RING_SIZE ||
		    atomic_load(&h->stopping))
			break;
		asynclog_kick(h);
		/* The timeout only guards against a lost wake-up. */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += 50 * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&h->space, &h->lock, &ts);
	}
	atomic_fetch_sub(&h->waiters, 1);
	pthread_mutex_unlock(&h->lock);
}

/*
 * Encode one record into r and publish it. msg holds at least len bytes;
 * when marker_len is not 0, the last marker_len bytes of the message are
 * replaced by marker in the ring, so a truncated message is not copied twice.
 */
static int
ring_put(struct asynclog *h, struct ring *r, uint8_t pri, const char *msg,
    size_t len, const char *marker, size_t marker_len)
{
	size_t		 size = wire_record_size(h->tag_len, len, NULL, 0);
	uint64_t	 pos, start, end, off;
	unsigned char	*p;

	for (;;) {
		pos = r->head_local;
		off = pos & RING_MASK;
		start = pos;
		if (off + size > RING_SIZE)
			start = pos + (RING_SIZE - off);	/* next lap */
		end = start + size;
		if (end - r->tail_cache <= RING_SIZE)
			break;
		r->tail_cache = atomic_load_explicit(&r->tail,
		    memory_order_acquire);
		if (end - r->tail_cache <= RING_SIZE)
			break;
		if (~h->flags & ASYNCLOG_BLOCK) {
			asynclog_count_drop(h, 1);
			asynclog_kick(h);
			return -1;
		}
		ring_wait(h, r, end);
		if (atomic_load(&h->stopping))
			return -1;
	}

	if (start != pos)
		r->lap_end = pos;
	else if ((start & RING_MASK) == 0)
		r->lap_end = start;
	p = r->buf + (start & RING_MASK);
	wire_encode_record(p, size, pri, clock_ns(CLOCK_REALTIME), h->tag,
	    h->tag_len, msg, len, NULL, 0);
	if (marker_len != 0)
		memcpy(p + size - marker_len, marker, marker_len);
	r->head_local = end;
	atomic_store(&r->head, end);	/* seq_cst: see asynclog_kick() */
	asynclog_kick(h);
	return 0;
}

/* The first use of a handle in a child of fork(): start over, empty. */
static void
asynclog_after_fork(struct asynclog *h)
{
	struct sender	*s = &h->s;
	sigset_t	 all, old;
	int		 i, n;

	pthread_mutex_lock(&h->lock);
	if (atomic_load(&h->fork_gen) == atomic_load(&fork_gen)) {
		pthread_mutex_unlock(&h->lock);
		return;
	}
	/* These descriptors are the parent's: closing our copies is harmless. */
	if (s->fd != -1)
		close(s->fd);
	close(h->wakefd);
	n = atomic_load(&h->nrings);
	for (i = 0; i < n; i++)
		ring_free(h->rings[i]);
	atomic_store(&h->nrings, 0);

	memset(s, 0, sizeof *s);
	s->fd = -1;
	s->backoff_ms = BACKOFF_MIN_MS;
	atomic_store(&h->sleeping, 0);
	atomic_store(&h->waiters, 0);
	atomic_store(&h->connected, false);
	atomic_store(&h->dropped, 0);
	atomic_store(&h->drop_pending, 0);
	atomic_store(&h->drop_first, 0);
	atomic_store(&h->drop_last, 0);
	atomic_store(&h->sync_req, 0);
	atomic_store(&h->sync_acked, 0);
	atomic_store(&h->id, atomic_fetch_add(&next_id, 1));
	h->pid = getpid();

	h->running = false;
	h->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (h->wakefd != -1) {
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		h->running = pthread_create(&h->thread, NULL, sender_main,
		    h) == 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	/* Without a sender, records fill the rings and are dropped, counted. */
	atomic_store(&h->fork_gen, atomic_load(&fork_gen));
	pthread_mutex_unlock(&h->lock);
}

static inline bool
asynclog_stale(const struct asynclog *h)
{
	return atomic_load_explicit(&h->fork_gen, memory_order_relaxed) !=
	    atomic_load_explicit(&fork_gen, memory_order_relaxed);
}

/* ASYNCLOG_STDERR: one write(2), so lines of concurrent threads do not mix. */
static void
asynclog_stderr(struct asynclog *h, const char *msg, size_t len,
    const char *marker, size_t marker_len)
{
	char		 pfx[WIRE_MAX_TAG + 32];
	struct iovec	 iov[4];
	int		 n;

	n = snprintf(pfx, sizeof pfx, "%s[%ld]: ", h->tag, (long)h->pid);
	if (n < 0)
		return;
	iov[0].iov_base = pfx;
	iov[0].iov_len = (size_t)n < sizeof pfx ? (size_t)n : sizeof pfx - 1;
	iov[1].iov_base = (void *)msg;
	iov[1].iov_len = len;
	iov[2].iov_base = (void *)marker;
	iov[2].iov_len = marker_len;
	iov[3].iov_base = (void *)"\n";
	iov[3].iov_len = 1;
	while (writev(STDERR_FILENO, iov, 4) == -1 && errno == EINTR)
		;	/* stderr is best effort: a closed stderr loses nothing else */
}

/*
 * Every record goes through here. msg holds min(len, MAX_MSG) readable bytes.
 *
 * A message longer than MAX_MSG (64 KiB, the daemon's default record limit) is
 * cut so that it ends with "...[truncated N bytes]" and is exactly MAX_MSG
 * bytes long, N being how many bytes of the original were left out: the
 * frame then fits any daemon with the default limit, and the loss is visible
 * in the log itself.
 */
static int
asynclog_submit(struct asynclog *h, int priority, const char *msg, size_t len)
{
	char		 marker[64] = "";
	size_t		 marker_len = 0, keep = len;
	struct ring	*r;
	int		 i, n, rv;

	if (len > MAX_MSG) {
		/* The marker's length depends on N, which depends on it. */
		for (i = 0; i < 3; i++) {
			n = snprintf(marker, sizeof marker,
			    "...[truncated %zu bytes]",
			    len - (MAX_MSG - marker_len));
			marker_len = (size_t)n;
		}
		keep = MAX_MSG - marker_len;
		len = MAX_MSG;
	}
	/* Only facility and severity bits; none means user, like syslog(3). */
	priority &= PRI_FACMASK | PRI_SEVMASK;
	if ((priority & PRI_FACMASK) == 0 || priority > PRI_MAX)
		priority = PRI_USER | (priority & PRI_SEVMASK);

	if (h->flags & ASYNCLOG_STDERR)
		asynclog_stderr(h, msg, keep, marker, marker_len);

	if ((r = ring_get(h)) == NULL) {
		asynclog_count_drop(h, 1);
		return -1;
	}
	if (r->shared) {
		pthread_mutex_lock(&h->shared_lock);
		rv = ring_put(h, r, (uint8_t)priority, msg, len, marker,
		    marker_len);
		pthread_mutex_unlock(&h->shared_lock);
	} else
		rv = ring_put(h, r, (uint8_t)priority, msg, len, marker,
		    marker_len);
	return rv;
}

asynclog_t *
asynclog_open(const char *socket_path, const char *tag, int flags)
{
	struct asynclog	*h;
	sigset_t	 all, old;
	int		 error;

	pthread_once(&global_once, asynclog_global_init);

	if (socket_path == NULL) {
		socket_path = getenv("ASYNCLOG_SOCKET");
		if (socket_path == NULL || *socket_path == '\0')
			socket_path = ASYNCLOG_DEFAULT_SOCKET;
	}
	if (tag == NULL)
		tag = program_invocation_short_name;

	if ((error = posix_memalign((void **)&h, 64, sizeof *h)) != 0) {
		errno = error;
		return NULL;
	}
	memset(h, 0, sizeof *h);
	h->flags = flags;
	h->addr.sun_family = AF_UNIX;
	/* A path too long for sun_path fails at connect time, like the daemon gone. */
	if (strlen(socket_path) < sizeof h->addr.sun_path)
		strcpy(h->addr.sun_path, socket_path);
	h->addr_len = sizeof h->addr;
	h->tag_len = strnlen(tag, WIRE_MAX_TAG);
	memcpy(h->tag, tag, h->tag_len);
	h->pid = getpid();
	h->s.fd = -1;
	h->s.backoff_ms = BACKOFF_MIN_MS;
	atomic_store(&h->id, atomic_fetch_add(&next_id, 1));
	asynclog_init_locks(h);
	if ((h->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		error = errno;
		goto fail;
	}

	pthread_mutex_lock(&global_lock);
	atomic_store(&h->fork_gen, atomic_load(&fork_gen));
	LIST_INSERT_HEAD(&handles, h, entry);
	pthread_mutex_unlock(&global_lock);

	/* The sender takes no signals: they belong to the application. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	error = pthread_create(&h->thread, NULL, sender_main, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (error != 0) {
		pthread_mutex_lock(&global_lock);
		LIST_REMOVE(h, entry);
		pthread_mutex_unlock(&global_lock);
		close(h->wakefd);
		goto fail;
	}
	h->running = true;
	return h;

fail:
	asynclog_destroy_locks(h);
	free(h);
	errno = error;
	return NULL;
}

int
asynclog_write(asynclog_t *h, int priority, const char *msg, size_t len)
{
	if (asynclog_stale(h))
		asynclog_after_fork(h);
	return asynclog_submit(h, priority, msg, len);
}

int
asynclog_log(asynclog_t *h, int priority, const char *fmt, ...)
{
	char		 stack[STACK_MSG], *heap;
	va_list		 ap;
	size_t		 cap;
	int		 n, rv;

	if (asynclog_stale(h))
		asynclog_after_fork(h);

	va_start(ap, fmt);
	n = vsnprintf(stack, sizeof stack, fmt, ap);
	va_end(ap);
	if (n < 0) {
		asynclog_count_drop(h, 1);
		return -1;
	}
	if ((size_t)n < sizeof stack)
		return asynclog_submit(h, priority, stack, (size_t)n);

	/* Long message: format once more, on the heap, at most MAX_MSG bytes. */
	cap = ((size_t)n < MAX_MSG ? (size_t)n : MAX_MSG) + 1;
	if ((heap = malloc(cap)) == NULL) {
		asynclog_count_drop(h, 1);
		return -1;
	}
	va_start(ap, fmt);
	vsnprintf(heap, cap, fmt, ap);
	va_end(ap);
	rv = asynclog_submit(h, priority, heap, (size_t)n);
	free(heap);
	return rv;
}

/* Is anything logged but not yet handed to the socket? */
static bool
asynclog_pending(struct asynclog *h)
{
	int	i, n = atomic_load_explicit(&h->nrings, memory_order_acquire);

	for (i = 0; i < n; i++) {
		if (atomic_load_explicit(&h->rings[i]->head,
		    memory_order_acquire) != atomic_load_explicit(
		    &h->rings[i]->tail, memory_order_acquire))
			return true;
	}
	return false;
}

int
asynclog_flush(asynclog_t *h, int timeout_ms)
{
	struct timespec	ts;
	uint64_t	seq;
	int		error = 0;

	if (asynclog_stale(h))
		asynclog_after_fork(h);
	if (!h->running) {
		errno = ENOTCONN;
		return -1;
	}
	if (timeout_ms >= 0) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += timeout_ms / 1000;
		ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
	}

	seq = atomic_fetch_add(&h->sync_req, 1) + 1;
	asynclog_wake(h);
	pthread_mutex_lock(&h->lock);
	while (atomic_load(&h->sync_acked) < seq && error == 0) {
		if (timeout_ms < 0)
			pthread_cond_wait(&h->synced, &h->lock);
		else
			error = pthread_cond_timedwait(&h->synced, &h->lock,
			    &ts);
	}
	if (atomic_load(&h->sync_acked) >= seq)
		error = 0;
	pthread_mutex_unlock(&h->lock);
	if (error == 0)
		return 0;
	errno = atomic_load(&h->connected) ? ETIMEDOUT : ENOTCONN;
	return -1;
}

uint64_t
asynclog_dropped(const asynclog_t *h)
{
	if (asynclog_stale(h))
		return 0;	/* the child starts from zero */
	return atomic_load(&h->dropped);
}

void
asynclog_close(asynclog_t *h)
{
	int	i, n;

	if (h == NULL)
		return;
	/* A child that never used the handle has no sender to stop. */
	if (!asynclog_stale(h) && h->running) {
		if (asynclog_pending(h) || atomic_load(&h->connected))
			asynclog_flush(h, 1000);
		atomic_store(&h->stopping, true);
		asynclog_wake(h);
		pthread_join(h->thread, NULL);
	}
	pthread_mutex_lock(&global_lock);
	LIST_REMOVE(h, entry);
	pthread_mutex_unlock(&global_lock);

	if (h->s.fd != -1)
		close(h->s.fd);
	if (h->wakefd != -1)
		close(h->wakefd);
	n = atomic_load(&h->nrings);
	for (i = 0; i < n; i++)
		ring_free(h->rings[i]);
	asynclog_destroy_locks(h);
	free(h);
}

/*
 * The sender thread. Everything below runs on it alone (struct sender is its
 * private state); it meets producers only through ring head/tail, the drop
 * counters, sleeping/waiters and the flush sequence numbers.
 */

/* Append one frame to the control buffer; false when it is too full now. */
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

/*
 * The connection is gone. A frame cut mid-way is lost (the daemon throws a
 * truncated frame away) and counted; everything still in the rings is sent on
 * the next connection, and an unanswered SYNC is sent again there.
 */
static void
sender_disconnect(struct asynclog *h)
{
	struct sender	*s = &h->s;
	int64_t		 now = mono_ms(), zero = 0;
	int64_t		 since;

	close(s->fd);
	s->fd = -1;
	atomic_store(&h->connected, false);

	if (s->partial != NULL) {
		s->partial->tail_local = s->partial->partial_end;
		sender_publish(s->partial);
		s->partial = NULL;
		asynclog_count_drop(h, 1);
		sender_space(h);
	}
	if (s->ctl_off < s->ctl_drop_end && s->ctl_drop_count > 0) {
		/* The DROPPED frame did not make it: report it again. */
		since = clock_ns(CLOCK_REALTIME);
		atomic_compare_exchange_strong(&h->drop_first, &zero, since);
		atomic_fetch_add(&h->drop_pending, s->ctl_drop_count);
	}
	s->ctl_len = s->ctl_off = s->ctl_drop_end = 0;
	s->ctl_drop_count = 0;
	s->in_len = 0;
	s->sync_sent = atomic_load(&h->sync_acked);

	/* A daemon that accepts and hangs up at once must not make us spin. */
	if (now - s->connected_at >= STABLE_MS) {
		s->backoff_ms = BACKOFF_MIN_MS;
		s->next_attempt = now;
	} else {
		s->next_attempt = now + s->backoff_ms;
		s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ?
		    BACKOFF_MAX_MS : s->backoff_ms * 2;
	}
}

static int
sender_connect(struct asynclog *h)
{
	struct sender	*s = &h->s;
	int64_t		 now = mono_ms();
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
	s->fd = fd;
	s->connected_at = now;
	s->ctl_len = wire_encode_hello(s->ctl, sizeof s->ctl, 0, h->tag,
	    h->tag_len);
	s->ctl_off = 0;
	atomic_store(&h->connected, true);
	return 0;

fail:
	s->next_attempt = now + s->backoff_ms;
	s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
	    s->backoff_ms * 2;
	return -1;
}

/* Queue DROPPED and SYNC frames; they go out before the next ring bytes. */
static void
sender_control(struct asynclog *h)
{
	struct sender	*s = &h->s;
	struct ring	*r;
	uint64_t	 req, n;
	int64_t		 since, until;
	int		 i, nr = atomic_load_explicit(&h->nrings,
			     memory_order_acquire);
	bool		 ready;

	if (s->ctl_drop_end == 0 && sender_ctl_room(s, 64) &&
	    atomic_load_explicit(&h->drop_pending, memory_order_relaxed) &&
	    (n = atomic_exchange(&h->drop_pending, 0)) != 0) {
		until = atomic_load(&h->drop_last);
		since = atomic_exchange(&h->drop_first, 0);
		if (since == 0 || since > until)
			since = until;
		s->ctl_len += wire_encode_dropped(s->ctl + s->ctl_len,
		    sizeof s->ctl - s->ctl_len, n, since, until);
		s->ctl_drop_end = s->ctl_len;
		s->ctl_drop_count = n;
	}

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
	if (s->sync_snap > s->sync_sent && sender_ctl_room(s, 32)) {
		ready = true;
		for (i = 0; i < nr && ready; i++)
			ready = h->rings[i]->tail_local >= h->rings[i]->sync_target;
		if (ready) {
			s->ctl_len += wire_encode_sync(s->ctl + s->ctl_len,
			    sizeof s->ctl - s->ctl_len, WIRE_SYNC, s->sync_snap);
			s->sync_sent = s->sync_snap;
		}
	}
}

static void
sender_add(struct sender *s, struct ring *r, uint64_t start, size_t len,
    uint64_t next, bool partial)
{
	struct item	*it = &s->items[s->nitems];

	if (len == 0)
		return;
	it->ring = r;
	it->start = start;
	it->len = len;
	it->next = next;
	it->partial = partial;
	s->iov[s->nitems].iov_base = r != NULL ? r->buf + (start & RING_MASK) :
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
	for (i = 0; i < nr; i++) {
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

/*
 * End of the frame containing pos; start is a frame boundary before it. A
 * frame is contiguous in buf, so its whole header is there to read.
 */
static uint64_t
sender_frame_end(const struct ring *r, uint64_t start, uint64_t pos)
{
	uint64_t	p = start, e;

	for (;;) {
		e = p + wire_frame_len(r->buf + (p & RING_MASK),
		    RING_SIZE - (p & RING_MASK));
		if (e > pos)
			return e;
		p = e;
	}
}

static void
sender_advance(struct asynclog *h, size_t n)
{
	struct sender	*s = &h->s;
	struct item	*it;
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
				it->ring->partial_end = sender_frame_end(
				    it->ring, it->start, it->start + k);
				if (it->ring->partial_end != it->start + k)
					s->partial = it->ring;
			}
		}
		sender_publish(it->ring);
	}
	sender_space(h);
}

static void
sender_read(struct asynclog *h)
{
	struct sender		*s = &h->s;
	struct wire_frame	 f;
	const char		*err;
	ssize_t			 n, used;
	uint64_t		 acked;

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
			if (f.type == WIRE_SYNC_ACK) {
				acked = f.u.sync_seq;
				pthread_mutex_lock(&h->lock);
				if (acked > atomic_load(&h->sync_acked))
					atomic_store(&h->sync_acked, acked);
				pthread_cond_broadcast(&h->synced);
				pthread_mutex_unlock(&h->lock);
			}
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
	    atomic_load(&h->sync_req) > s->sync_sent ||
	    atomic_load(&h->drop_pending) != 0)
		return true;
	for (i = 0; i < n; i++) {
		if (atomic_load(&h->rings[i]->head) != h->rings[i]->tail_local)
			return true;
	}
	return false;
}

/*
 * Nothing to send. Stay awake for LINGER_MS first, so a steady stream of
 * records is batched without producers making a syscall; then announce sleep
 * and re-check (seq_cst, pairing with asynclog_kick) before blocking.
 */
static void
sender_idle(struct asynclog *h)
{
	struct sender	*s = &h->s;

	if (!s->lingered) {
		s->lingered = true;
		sender_poll(h, 0, LINGER_MS);
		return;
	}
	atomic_store(&h->sleeping, 1);
	if (!sender_has_work(h))
		sender_poll(h, 0, -1);
	atomic_store(&h->sleeping, 0);
	s->lingered = false;
}

static void *
sender_main(void *arg)
{
	struct asynclog	*h = arg;
	struct sender	*s = &h->s;
	struct msghdr	 msg;
	ssize_t		 n;
	int64_t		 wait;

	while (!atomic_load(&h->stopping)) {
		if (s->fd == -1 && sender_connect(h) == -1) {
			wait = s->next_attempt - mono_ms();
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
		memset(&msg, 0, sizeof msg);
		msg.msg_iov = s->iov;
		msg.msg_iovlen = (size_t)s->nitems;
		/* MSG_NOSIGNAL: a dead daemon must not kill the application. */
		n = sendmsg(s->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n >= 0)
			sender_advance(h, (size_t)n);
		else if (errno == EAGAIN || errno == EWOULDBLOCK)
			sender_poll(h, POLLOUT, -1);
		else if (errno != EINTR)
			sender_disconnect(h);
	}
	return NULL;
}
