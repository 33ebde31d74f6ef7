/*
 * ring.c: the producer side of libasynclog's byte rings, and which thread
 * writes into which ring.
 *
 * Runs on the application's threads, inside asynclog_log() and friends. A
 * thread finds its ring for a handle in a small thread-local cache, or
 * attaches one under the handle's lock (its own, a free one, a new one, or
 * the shared one), then encodes the record in place and publishes it with
 * one store of head. It never reads the socket or touches struct sender;
 * sender.c drains what is published here.
 */

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "asynclog.h"
#include "handle.h"
#include "ring.h"
#include "sender.h"
#include "wire.h"

#define RING_TLS_SLOTS	4		/* handles a thread finds without a lock */
#define RING_WAIT_MS	50		/* ASYNCLOG_BLOCK re-checks this often */

/*
 * Each thread remembers which ring it uses for its last few handles. The id
 * (not only the pointer) must match, so a handle freed and reallocated at the
 * same address, or reset after fork, never reuses a stale ring.
 */
struct ring_slot {
	const struct asynclog	*h;
	uint64_t		 id;
	struct ring		*ring;
};
static __thread struct ring_slot ring_slots[RING_TLS_SLOTS];
static __thread unsigned	ring_next_slot;
static __thread uint64_t	ring_token;	/* this thread, for ring ownership */

static pthread_key_t		ring_key;	/* its destructor releases a dead thread's rings */

void
ring_init(void (*thread_exit)(void *token))
{
	pthread_key_create(&ring_key, thread_exit);
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

void
ring_free(struct ring *r)
{
	if (r != NULL) {
		free(r->buf);
		free(r);
	}
}

void
ring_release(struct asynclog *h, uint64_t token)
{
	int	i, n;

	pthread_mutex_lock(&h->lock);
	n = atomic_load(&h->nrings);
	for (i = 0; i < n; i++) {
		if (!h->rings[i]->shared && h->rings[i]->owner == token)
			h->rings[i]->owner = RING_OWNER_NONE;
	}
	pthread_mutex_unlock(&h->lock);
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
	struct ring_slot	*slot;
	int			 i, n;

	if (ring_token == 0) {
		ring_token = atomic_fetch_add(&next_token, 1);
		pthread_setspecific(ring_key, &ring_token);
	}

	pthread_mutex_lock(&h->lock);
	n = atomic_load_explicit(&h->nrings, memory_order_relaxed);
	for (i = 0; i < n && r == NULL; i++) {
		if (h->rings[i]->shared)
			shared = h->rings[i];
		else if (h->rings[i]->owner == ring_token)
			r = h->rings[i];
	}
	for (i = 0; i < n && r == NULL; i++) {
		if (!h->rings[i]->shared &&
		    h->rings[i]->owner == RING_OWNER_NONE) {
			r = h->rings[i];
			r->owner = ring_token;
		}
	}
	if (r == NULL && shared == NULL && n < RING_MAX) {
		/* Keep the last slot for the shared ring. */
		if (n < RING_MAX - 1)
			r = ring_new(ring_token, false);
		else
			r = ring_new(RING_OWNER_NONE, true);
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
		slot = &ring_slots[ring_next_slot++ % RING_TLS_SLOTS];
		slot->h = h;
		slot->id = id;
		slot->ring = r;
	}
	return r;
}

struct ring *
ring_get(struct asynclog *h)
{
	uint64_t	id = atomic_load_explicit(&h->id, memory_order_relaxed);
	int		i;

	for (i = 0; i < RING_TLS_SLOTS; i++) {
		if (ring_slots[i].h == h && ring_slots[i].id == id)
			return ring_slots[i].ring;
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
		sender_kick(h);
		/* The timeout only guards against a lost wake-up. */
		handle_deadline(&ts, RING_WAIT_MS);
		pthread_cond_timedwait(&h->space, &h->lock, &ts);
	}
	atomic_fetch_sub(&h->waiters, 1);
	pthread_mutex_unlock(&h->lock);
}

/*
 * Reserve size contiguous bytes for one frame in r, for the one producer r
 * has at this moment. NULL when it was dropped (counted): r is full or,
 * with ASYNCLOG_BLOCK, h is closing. *end is where the frame ends, for
 * ring_publish().
 */
static unsigned char *
ring_reserve(struct asynclog *h, struct ring *r, size_t size, uint64_t *end)
{
	uint64_t	 pos, start, off;

	for (;;) {
		pos = r->head_local;
		off = pos & RING_MASK;
		start = pos;
		if (off + size > RING_SIZE)
			start = pos + (RING_SIZE - off);	/* next lap */
		*end = start + size;
		if (*end - r->tail_cache <= RING_SIZE)
			break;
		r->tail_cache = atomic_load_explicit(&r->tail,
		    memory_order_acquire);
		if (*end - r->tail_cache <= RING_SIZE)
			break;
		if (~h->flags & ASYNCLOG_BLOCK) {
			sender_count_drop(h, 1);
			sender_kick(h);
			return NULL;
		}
		ring_wait(h, r, *end);
		if (atomic_load(&h->stopping)) {
			sender_count_drop(h, 1);
			return NULL;
		}
	}
	if (start != pos)
		r->lap_end = pos;
	else if ((start & RING_MASK) == 0)
		r->lap_end = start;
	return ring_at(r, start);
}

static void
ring_publish(struct asynclog *h, struct ring *r, uint64_t end)
{
	r->head_local = end;
	atomic_store(&r->head, end);	/* seq_cst: see sender_kick() */
	sender_kick(h);
}

/* ring_put() for the one producer r has at this moment. */
static int
ring_write(struct asynclog *h, struct ring *r, uint8_t pri, const char *msg,
    size_t len, const char *marker, size_t marker_len)
{
	size_t		 size = wire_record_size(h->tag_len, len, NULL, 0);
	uint64_t	 end;
	unsigned char	*p;

	if ((p = ring_reserve(h, r, size, &end)) == NULL)
		return -1;
	/* Written in place, so a truncated message is not copied twice. */
	wire_encode_record(p, size, pri, handle_clock_ns(CLOCK_REALTIME),
	    h->tag, h->tag_len, msg, len, NULL, 0);
	if (marker_len != 0)
		memcpy(p + size - marker_len, marker, marker_len);
	ring_publish(h, r, end);
	return 0;
}

int
ring_put(struct asynclog *h, struct ring *r, uint8_t pri, const char *msg,
    size_t len, const char *marker, size_t marker_len)
{
	int	rv;

	if (!r->shared)
		return ring_write(h, r, pri, msg, len, marker, marker_len);
	pthread_mutex_lock(&h->shared_lock);
	rv = ring_write(h, r, pri, msg, len, marker, marker_len);
	pthread_mutex_unlock(&h->shared_lock);
	return rv;
}

int
ring_put_frame(struct asynclog *h, struct ring *r, size_t size,
    void (*fill)(unsigned char *dst, void *arg), void *arg)
{
	unsigned char	*p;
	uint64_t	 end;
	int		 rv = -1;

	if (r->shared)
		pthread_mutex_lock(&h->shared_lock);
	if ((p = ring_reserve(h, r, size, &end)) != NULL) {
		fill(p, arg);
		ring_publish(h, r, end);
		rv = 0;
	}
	if (r->shared)
		pthread_mutex_unlock(&h->shared_lock);
	return rv;
}

bool
ring_pending(const struct ring *r)
{
	return atomic_load_explicit(&r->head, memory_order_acquire) !=
	    atomic_load_explicit(&r->tail, memory_order_acquire);
}

/* A frame is contiguous in buf, so its whole header is there to read. */
uint64_t
ring_frame_end(const struct ring *r, uint64_t start, uint64_t pos)
{
	uint64_t	p = start, e;

	for (;;) {
		e = p + wire_frame_len(ring_at(r, p),
		    RING_SIZE - (p & RING_MASK));
		if (e > pos)
			return e;
		p = e;
	}
}

/* Frames in [p, end), which holds whole frames only. */
static uint64_t
ring_count_span(const struct ring *r, uint64_t p, uint64_t end)
{
	uint64_t	n = 0;
	size_t		len;

	while (p < end) {
		len = wire_frame_len(ring_at(r, p), RING_SIZE - (p & RING_MASK));
		if (len == 0)
			break;		/* cannot happen: the producer wrote it */
		p += len;
		n++;
	}
	return n;
}

/* Sender side, as sender_build() reads a ring: one lap boundary at most. */
uint64_t
ring_frames(const struct ring *r, uint64_t from, uint64_t head)
{
	uint64_t	lap = (from | RING_MASK) + 1, n = 0;

	if (head <= lap)
		return ring_count_span(r, from, head);
	if (from < r->lap_end)
		n = ring_count_span(r, from, r->lap_end);
	return n + ring_count_span(r, lap, head);
}

/*
 * Sender side, for a daemon that does not take frames of type skip: from
 * *from (a frame boundary before head) skip such frames, counting them in
 * *skipped, and return the end of the run of other frames that follows,
 * within one lap; *from is where that run starts.
 */
uint64_t
ring_skip_type(const struct ring *r, uint64_t *from, uint64_t head, int skip,
    uint64_t *skipped)
{
	uint64_t	p = *from, end, lap, q;
	size_t		len;

	for (;;) {
		lap = (p | RING_MASK) + 1;
		end = head > lap ? r->lap_end : head;
		while (p < end && wire_frame_type(ring_at(r, p),
		    RING_SIZE - (p & RING_MASK)) == skip) {
			len = wire_frame_len(ring_at(r, p),
			    RING_SIZE - (p & RING_MASK));
			p += len;
			(*skipped)++;
		}
		if (p < end || head <= lap)
			break;
		p = lap;	/* this lap is done: go on in the next */
	}
	*from = p;
	for (q = p; q < end && wire_frame_type(ring_at(r, q),
	    RING_SIZE - (q & RING_MASK)) != skip; )
		q += wire_frame_len(ring_at(r, q), RING_SIZE - (q & RING_MASK));
	return q;
}
