/*
 * asynclog.c: libasynclog's public API (asynclog.h) and its fork handling.
 *
 * A log call checks the priority, cuts an over-long message, and hands the
 * record to the calling thread's ring (ring.c), which publishes it without a
 * lock or a syscall while the sender is awake; one sender thread per handle
 * (sender.c) drains the rings to the daemon. This file creates, resets and
 * frees handles, keeps the process-wide handle list, and implements flush.
 *
 * Bounds: a ring is RING_SIZE bytes and a handle has at most RING_MAX of
 * them; the last one is shared, under a mutex, by threads beyond the first
 * RING_MAX - 1. A ring left by an exited thread is taken over by the next new
 * thread. A record that does not fit is dropped and counted (or waits, with
 * ASYNCLOG_BLOCK); a message over MAX_MSG bytes is cut (see asynclog_submit).
 *
 * Never, whatever the daemon does: exit, abort, raise SIGPIPE, or make a
 * caller wait (unless it asked for ASYNCLOG_BLOCK).
 */

#include <sys/queue.h>
#include <sys/uio.h>
#include <sys/un.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "asynclog.h"
#include "handle.h"
#include "ring.h"
#include "sender.h"
#include "wire.h"

#define MAX_MSG		WIRE_DEFAULT_MAX_RECORD	/* message bytes, marker included */
#define STACK_MSG	1024		/* asynclog_log formats here first */

static pthread_once_t	 global_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t	 global_lock = PTHREAD_MUTEX_INITIALIZER;
static LIST_HEAD(, asynclog) handles = LIST_HEAD_INITIALIZER(handles);
static _Atomic uint64_t	 next_id = 1;
static _Atomic unsigned	 fork_gen;

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
asynclog_thread_exit(void *token)
{
	struct asynclog	*h;

	pthread_mutex_lock(&global_lock);
	LIST_FOREACH(h, &handles, entry)
		ring_release(h, *(const uint64_t *)token);
	pthread_mutex_unlock(&global_lock);
}

static void
asynclog_global_init(void)
{
	ring_init(asynclog_thread_exit);
	pthread_atfork(asynclog_atfork_prepare, asynclog_atfork_parent,
	    asynclog_atfork_child);
}

static void
asynclog_free_rings(struct asynclog *h)
{
	int	i, n;

	n = atomic_load(&h->nrings);
	for (i = 0; i < n; i++)
		ring_free(h->rings[i]);
	atomic_store(&h->nrings, 0);
}

/* The first use of a handle in a child of fork(): start over, empty. */
static void
asynclog_after_fork(struct asynclog *h)
{
	pthread_mutex_lock(&h->lock);
	if (atomic_load(&h->fork_gen) == atomic_load(&fork_gen)) {
		pthread_mutex_unlock(&h->lock);
		return;
	}
	/* The parent's descriptors: the child may have reused their numbers. */
	sender_disown(h);
	asynclog_free_rings(h);

	atomic_store(&h->sleeping, 0);
	atomic_store(&h->waiters, 0);
	atomic_store(&h->connected, false);
	atomic_store(&h->dropped, 0);
	atomic_store(&h->drop_pending, 0);
	atomic_store(&h->drop_first, 0);
	atomic_store(&h->drop_last, 0);
	atomic_store(&h->sync_req, 0);
	atomic_store(&h->wait_req, 0);
	atomic_store(&h->sync_acked, 0);
	atomic_store(&h->peer_version, 0);
	atomic_store(&h->deferred, false);
	h->ack_received = 0;
	memset(h->ack_dropped, 0, sizeof h->ack_dropped);
	h->ack_status = 0;
	atomic_store(&h->id, atomic_fetch_add(&next_id, 1));
	h->pid = getpid();

	/*
	 * A sender that cannot start leaves running false: records then fill
	 * the rings and are dropped, counted, and flush says ENOTCONN.
	 */
	h->running = false;
	sender_start(h);
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
	int		 i, n;

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
	/* Only facility and severity bits; none means the handle's facility
	 * (LOG_USER unless set), like syslog(3) after openlog(3). */
	priority &= LOG_FACMASK | LOG_PRIMASK;
	if ((priority & LOG_FACMASK) == 0 || priority > WIRE_MAX_PRIORITY)
		priority = atomic_load_explicit(&h->facility,
		    memory_order_relaxed) | (priority & LOG_PRIMASK);

	if (h->flags & ASYNCLOG_STDERR)
		asynclog_stderr(h, msg, keep, marker, marker_len);

	if ((r = ring_get(h)) == NULL) {
		sender_count_drop(h, 1);
		return -1;
	}
	return ring_put(h, r, (uint8_t)priority, msg, len, marker, marker_len);
}

asynclog_t *
asynclog_open(const char *socket_path, const char *tag, int flags)
{
	struct asynclog	*h;
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
	atomic_store(&h->facility, LOG_USER);
	atomic_store(&h->logmask, LOG_UPTO(LOG_DEBUG));
	h->wakefd = -1;
	sender_init(&h->s);
	atomic_store(&h->id, atomic_fetch_add(&next_id, 1));
	asynclog_init_locks(h);

	pthread_mutex_lock(&global_lock);
	atomic_store(&h->fork_gen, atomic_load(&fork_gen));
	LIST_INSERT_HEAD(&handles, h, entry);
	pthread_mutex_unlock(&global_lock);

	if ((error = sender_start(h)) != 0) {
		pthread_mutex_lock(&global_lock);
		LIST_REMOVE(h, entry);
		pthread_mutex_unlock(&global_lock);
		asynclog_destroy_locks(h);
		free(h);
		errno = error;
		return NULL;
	}
	return h;
}

/* Is this severity masked out (asynclog_set_logmask)? */
static bool
asynclog_masked(const struct asynclog *h, int priority)
{
	return (LOG_MASK(LOG_PRI(priority)) & atomic_load_explicit(
	    &((struct asynclog *)h)->logmask, memory_order_relaxed)) == 0;
}

int
asynclog_set_facility(asynclog_t *h, int facility)
{
	if ((facility & ~LOG_FACMASK) != 0 || facility > (23 << 3)) {
		errno = EINVAL;
		return -1;
	}
	return atomic_exchange(&h->facility, facility);
}

int
asynclog_set_logmask(asynclog_t *h, int mask)
{
	if (mask == 0)
		return atomic_load(&h->logmask);
	return atomic_exchange(&h->logmask, mask);
}

int
asynclog_write(asynclog_t *h, int priority, const char *msg, size_t len)
{
	if (asynclog_masked(h, priority))
		return 0;
	if (asynclog_stale(h))
		asynclog_after_fork(h);
	return asynclog_submit(h, priority, msg, len);
}

int
asynclog_log(asynclog_t *h, int priority, const char *fmt, ...)
{
	va_list	ap;
	int	rv;

	va_start(ap, fmt);
	rv = asynclog_vlog(h, priority, fmt, ap);
	va_end(ap);
	return rv;
}

int
asynclog_vlog(asynclog_t *h, int priority, const char *fmt, va_list ap)
{
	char		 stack[STACK_MSG], *heap;
	va_list		 again;
	size_t		 cap;
	int		 n, rv;

	if (asynclog_masked(h, priority))
		return 0;
	if (asynclog_stale(h))
		asynclog_after_fork(h);

	va_copy(again, ap);
	n = vsnprintf(stack, sizeof stack, fmt, ap);
	if (n < 0) {
		va_end(again);
		sender_count_drop(h, 1);
		return -1;
	}
	if ((size_t)n < sizeof stack) {
		va_end(again);
		return asynclog_submit(h, priority, stack, (size_t)n);
	}

	/* Long message: format once more, on the heap, at most MAX_MSG bytes. */
	cap = ((size_t)n < MAX_MSG ? (size_t)n : MAX_MSG) + 1;
	if ((heap = malloc(cap)) == NULL) {
		va_end(again);
		sender_count_drop(h, 1);
		return -1;
	}
	vsnprintf(heap, cap, fmt, again);
	va_end(again);
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
		if (ring_pending(h->rings[i]))
			return true;
	}
	return false;
}

int
asynclog_flush(asynclog_t *h, int timeout_ms)
{
	return asynclog_sync(h, 0, timeout_ms, NULL);
}

/* The daemon's counts, under h->lock. */
static void
asynclog_sync_info(const struct asynclog *h, struct asynclog_sync_info *info)
{
	memset(info, 0, sizeof *info);
	info->received = h->ack_received;
	info->too_large = h->ack_dropped[WIRE_DROP_TOO_LARGE];
	info->rate_limited = h->ack_dropped[WIRE_DROP_RATE_LIMITED];
	info->malformed = h->ack_dropped[WIRE_DROP_MALFORMED];
	info->overflow = h->ack_dropped[WIRE_DROP_OVERFLOW];
	info->not_selected = h->ack_dropped[WIRE_DROP_NO_OUTPUT];
	info->dropped = info->too_large + info->rate_limited +
	    info->malformed + info->overflow;
}

/* seq wants its records written: wait_req becomes at least seq. */
static void
asynclog_want_written(struct asynclog *h, uint64_t seq)
{
	uint64_t	cur = atomic_load(&h->wait_req);

	while (cur < seq && !atomic_compare_exchange_weak(&h->wait_req, &cur,
	    seq))
		;
}

int
asynclog_sync(asynclog_t *h, int flags, int timeout_ms,
    struct asynclog_sync_info *info)
{
	struct timespec	ts;
	uint64_t	seq;
	uint8_t		status = 0;
	int		error = 0;

	if (info != NULL)
		memset(info, 0, sizeof *info);
	if (asynclog_stale(h))
		asynclog_after_fork(h);
	if (!h->running) {
		errno = ENOTCONN;
		return -1;
	}
	if (timeout_ms >= 0)
		handle_deadline(&ts, timeout_ms);

	seq = atomic_fetch_add(&h->sync_req, 1) + 1;
	if (flags & ASYNCLOG_SYNC_WRITTEN)
		asynclog_want_written(h, seq);
	sender_wake(h);
	pthread_mutex_lock(&h->lock);
	while (atomic_load(&h->sync_acked) < seq && error == 0) {
		if (timeout_ms < 0)
			pthread_cond_wait(&h->synced, &h->lock);
		else
			error = pthread_cond_timedwait(&h->synced, &h->lock,
			    &ts);
	}
	if (atomic_load(&h->sync_acked) >= seq) {
		error = 0;
		status = h->ack_status;
	}
	if (info != NULL)
		asynclog_sync_info(h, info);
	pthread_mutex_unlock(&h->lock);
	if (error != 0) {
		errno = atomic_load(&h->connected) ? ETIMEDOUT : ENOTCONN;
		return -1;
	}
	if ((flags & ASYNCLOG_SYNC_WRITTEN) == 0)
		return 0;
	/* The answer came from a daemon that does not write-barrier. */
	if (atomic_load(&h->peer_version) < WIRE_VERSION2) {
		errno = ENOTSUP;
		return -1;
	}
	if ((status & WIRE_ACK_WRITTEN) == 0 || (status & WIRE_ACK_UNSURE)) {
		errno = EIO;
		return -1;
	}
	if (info != NULL)
		info->written = 1;
	return 0;
}

uint64_t
asynclog_daemon_dropped(const asynclog_t *h)
{
	struct asynclog_sync_info info;
	struct asynclog	*m = (struct asynclog *)h;

	if (asynclog_stale(h))
		return 0;
	pthread_mutex_lock(&m->lock);
	asynclog_sync_info(m, &info);
	pthread_mutex_unlock(&m->lock);
	return info.dropped;
}

uint64_t
asynclog_dropped(const asynclog_t *h)
{
	if (asynclog_stale(h))
		return 0;	/* the child starts from zero */
	return atomic_load(&h->dropped);
}

/*
 * The flush is bounded, so a daemon that stopped reading can leave records
 * behind: sender_finish() counts them, and the count returned is final.
 */
uint64_t
asynclog_close_dropped(asynclog_t *h)
{
	uint64_t	dropped = 0;
	bool		mine;

	if (h == NULL)
		return 0;
	/*
	 * A child that never used the handle has no sender to stop, and the
	 * rings and descriptors it holds are copies of the parent's.
	 */
	mine = !asynclog_stale(h);
	if (mine) {
		if (h->running) {
			if (asynclog_pending(h) || atomic_load(&h->connected))
				asynclog_flush(h, 1000);
			sender_stop(h);
		}
		sender_finish(h);
		dropped = atomic_load(&h->dropped);
	}
	pthread_mutex_lock(&global_lock);
	LIST_REMOVE(h, entry);
	pthread_mutex_unlock(&global_lock);

	if (mine)
		sender_close(h);
	else
		sender_disown(h);
	asynclog_free_rings(h);
	asynclog_destroy_locks(h);
	free(h);
	return dropped;
}

void
asynclog_close(asynclog_t *h)
{
	asynclog_close_dropped(h);
}
