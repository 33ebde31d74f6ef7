/*
 * sender.h: the sender thread, one per handle.
 *
 * It drains every ring of its handle into the daemon's native socket with
 * sendmsg(), many frames per call, reconnects with back-off, reports drops in
 * DROPPED frames and reads the SYNC_ACKs asynclog_flush() waits for. struct
 * sender is its private state: only the sender thread touches it, except
 * before the thread starts, after it was joined, or in a child of fork()
 * (where it does not exist). Producers meet it through the ring head/tail
 * and the atomics of struct asynclog, via the functions below.
 * Internal to libasynclog: not installed.
 */
#ifndef ASYNCLOG_SENDER_H
#define ASYNCLOG_SENDER_H

#include <sys/types.h>
#include <sys/uio.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ring.h"
#include "wire.h"

#define SENDER_CTL_SIZE		512	/* HELLO + DROPPED + SYNC always fit */
#define SENDER_IN_SIZE		1024	/* the daemon only sends short answers to us */
#define SENDER_MAX_ITEMS	(2 + 2 * RING_MAX)

struct asynclog;

/* What one iovec of the next sendmsg() carries. */
struct sender_item {
	struct ring	*ring;		/* NULL: the control buffer */
	uint64_t	 start;		/* ring position of the first byte */
	uint64_t	 next;		/* tail once the item is sent whole */
	size_t		 len;
	bool		 partial;	/* the rest of a frame cut by the last send */
};

struct sender {
	int		 fd;		/* -1 when not connected */
	dev_t		 fd_dev;	/* fd's identity, so a child of fork() */
	ino_t		 fd_ino;	/* knows whether it still is ours */
	int		 backoff_ms;
	int64_t		 next_attempt;	/* monotonic ms */
	int64_t		 connected_at;
	bool		 lingered;

	unsigned char	 ctl[SENDER_CTL_SIZE];	/* HELLO, DROPPED, SYNC, sent before ring data */
	size_t		 ctl_len;
	size_t		 ctl_off;
	size_t		 ctl_drop_end;	/* a DROPPED frame ends here in ctl */
	uint64_t	 ctl_drop_count;

	int		 peer_version;	/* 0 until the daemon answered HELLO's probe */
	uint32_t	 features;	/* HELLO_ACK's, version 2 only */
	uint64_t	 conn_received;	/* last SYNC2_ACK's counts on this */
	uint64_t	 conn_dropped[WIRE_NDROPS];	/* connection */

	struct ring	*partial;	/* ring whose tail is mid-frame, or NULL */
	uint64_t	 sync_snap;	/* flush request the targets were taken for */
	uint64_t	 sync_sent;	/* SYNC sent on this connection */

	unsigned char	 in[SENDER_IN_SIZE];
	size_t		 in_len;

	struct iovec	 iov[SENDER_MAX_ITEMS];
	struct sender_item items[SENDER_MAX_ITEMS];
	int		 nitems;
};

/* A fresh, unconnected state, as before the first connection attempt. */
void	sender_init(struct sender *s);

/*
 * Start h's sender (its wake-up eventfd and thread, all signals blocked).
 * Returns 0 and sets h->running, or an errno value with nothing started.
 */
int	sender_start(struct asynclog *h);

/* Make a running sender leave its loop, and join it. */
void	sender_stop(struct asynclog *h);

/*
 * Close the socket and the wake-up eventfd, if open, and start over with
 * sender_init(). Only when no sender thread runs, after sender_stop(); in a
 * child of fork() use sender_disown().
 */
void	sender_close(struct asynclog *h);

/*
 * In a child of fork(): let go of the parent's socket and eventfd without
 * closing a descriptor the child may since have made its own, and start over
 * with sender_init().
 */
void	sender_disown(struct asynclog *h);

/*
 * The handle is closing and its sender has stopped, or never ran: count what
 * is left in the rings as dropped, and try once, without blocking, to send
 * the rest of a cut frame and a last DROPPED frame. h->dropped is then final.
 */
void	sender_finish(struct asynclog *h);

/* A record was just published (seq_cst head store): wake a sleeping sender. */
void	sender_kick(struct asynclog *h);

/* Force the sender out of poll(): for flush and close, never per record. */
void	sender_wake(struct asynclog *h);

/* n records are lost: count them for asynclog_dropped() and DROPPED. */
void	sender_count_drop(struct asynclog *h, uint64_t n);

#endif
