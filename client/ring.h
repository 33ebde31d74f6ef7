/*
 * ring.h: the per-thread byte rings a log call encodes its record into.
 *
 * One ring has one producer (the thread that owns it, or for the shared ring
 * whoever holds the handle's shared_lock) and one consumer (the handle's
 * sender thread, sender.c): no lock, no allocation and no syscall on the way
 * in while the sender is awake. ring.c decides which thread writes into which
 * ring of a handle and writes the records; sender.c only reads published
 * bytes and moves the tail. Internal to libasynclog: not installed.
 */
#ifndef ASYNCLOG_RING_H
#define ASYNCLOG_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RING_SIZE	(256 * 1024)	/* bytes per thread; a power of two */
#define RING_MASK	((uint64_t)RING_SIZE - 1)
#define RING_MAX	64		/* per handle, the shared one included */
#define RING_OWNER_NONE	0		/* ring free for the next new thread */

struct asynclog;

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

	/* Set when the ring is made; owner changes under the handle's lock. */
	uint64_t	 owner;		/* thread token, RING_OWNER_NONE when free */
	bool		 shared;	/* the overflow ring: producers take shared_lock */
	unsigned char	*buf;
};

/* The byte at ring position pos. */
static inline unsigned char *
ring_at(const struct ring *r, uint64_t pos)
{
	return r->buf + (pos & RING_MASK);
}

/*
 * Once per process, before any ring_get(): thread_exit(token) will run when
 * a thread that used a ring exits, so its rings can be ring_release()d.
 */
void		 ring_init(void (*thread_exit)(void *token));

/*
 * The calling thread's ring in h, attached on first use (a free ring, a new
 * one, or the shared one when RING_MAX is reached). NULL only when no memory
 * can be had. The ring belongs to h: ring_free() it when h goes.
 */
struct ring	*ring_get(struct asynclog *h);

/* The thread with token has exited: its rings in h go back to the pool. */
void		 ring_release(struct asynclog *h, uint64_t token);

void		 ring_free(struct ring *r);

/*
 * Encode one record into r and publish it; 0, or -1 when it was dropped
 * (counted) because r is full or, with ASYNCLOG_BLOCK, h is closing. msg
 * holds at least len bytes; when marker_len is not 0, the last marker_len
 * bytes of the message are replaced by marker in the ring.
 */
int		 ring_put(struct asynclog *h, struct ring *r, uint8_t pri,
		    const char *msg, size_t len, const char *marker,
		    size_t marker_len);

/*
 * Reserve size bytes in r for one frame, let fill(dst, arg) write it whole,
 * and publish it: 0, or -1 when it was dropped (counted) as for ring_put().
 */
int		 ring_put_frame(struct asynclog *h, struct ring *r, size_t size,
		    void (*fill)(unsigned char *dst, void *arg), void *arg);

/* Sender side: see ring.c. */
uint64_t	 ring_skip_type(const struct ring *r, uint64_t *from,
		    uint64_t head, int skip, uint64_t *skipped);

/* Is anything published but not yet handed to the socket? Any thread. */
bool		 ring_pending(const struct ring *r);

/*
 * Sender side: the end of the frame containing pos, start being a frame
 * boundary at or before it.
 */
uint64_t	 ring_frame_end(const struct ring *r, uint64_t start,
		    uint64_t pos);

/*
 * Sender side: how many frames were published between from, a frame
 * boundary not yet sent, and head (a value of r->head).
 */
uint64_t	 ring_frames(const struct ring *r, uint64_t from, uint64_t head);

#endif
