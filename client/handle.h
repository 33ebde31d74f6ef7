/*
 * handle.h: struct asynclog, where a handle's API side and its sender thread
 * meet.
 *
 * asynclog.c creates, resets (after fork) and frees handles; ring.c attaches
 * rings to them; sender.c runs one thread per handle. The comment on each
 * group of fields says who may write it. Anything touched by both sides is
 * _Atomic or under lock; struct sender is the sender thread's alone.
 * Internal to libasynclog: not installed.
 */
#ifndef ASYNCLOG_HANDLE_H
#define ASYNCLOG_HANDLE_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "ring.h"
#include "sender.h"
#include "wire.h"

struct asynclog {
	/* Set by open (and the child's reset after fork), then read-only. */
	_Atomic uint64_t id;		/* unique; a new one after fork voids thread caches */
	_Atomic unsigned fork_gen;	/* fork_gen when this handle was (re)set */
	int		 flags;
	struct sockaddr_un addr;
	socklen_t	 addr_len;
	char		 tag[WIRE_MAX_TAG + 1];
	size_t		 tag_len;
	pid_t		 pid;		/* for ASYNCLOG_STDERR */
	_Atomic int	 facility;	/* for priorities without one */
	_Atomic int	 logmask;	/* LOG_MASK bits of severities kept */

	pthread_mutex_t	 lock;		/* ring list, flush and BLOCK waits */
	pthread_cond_t	 space;		/* the sender freed ring space */
	pthread_cond_t	 synced;	/* a SYNC_ACK arrived */
	pthread_mutex_t	 shared_lock;	/* producers on the shared ring */

	struct ring	*rings[RING_MAX];
	_Atomic int	 nrings;	/* rings[] is append-only until close or fork */

	_Atomic int	 sleeping;	/* sender is in poll() and wants a wake-up */
	_Atomic int	 waiters;	/* producers blocked for space */
	_Atomic bool	 stopping;
	_Atomic bool	 connected;
	int		 wakefd;	/* eventfd, -1 without a sender */

	_Atomic uint64_t dropped;	/* since open, for asynclog_dropped() */
	_Atomic uint64_t drop_pending;	/* not yet reported to the daemon */
	_Atomic int64_t	 drop_first;	/* first/last drop of the pending batch */
	_Atomic int64_t	 drop_last;

	_Atomic uint64_t sync_req;	/* last flush sequence asked for */
	_Atomic uint64_t wait_req;	/* last one that wants records written */
	_Atomic uint64_t sync_acked;	/* last SYNC_ACK seen */
	_Atomic int	 peer_version;	/* 0 unknown, 1, 2: of the last connection */
	_Atomic bool	 deferred;	/* a ring may hold frames only version 2
					 * daemons take: they wait for HELLO_ACK */

	/* What the daemon said of our records, summed over connections
	 * (version 2 daemons only); under lock. */
	uint64_t	 ack_received;
	uint64_t	 ack_dropped[WIRE_NDROPS];
	uint8_t		 ack_status;	/* of the last SYNC2_ACK */

	pthread_t	 thread;	/* the sender, when running */
	bool		 running;
	_Alignas(64) struct sender s;	/* the sender's own cache lines */

	LIST_ENTRY(asynclog) entry;	/* in asynclog.c's handle list */
};

static inline int64_t
handle_clock_ns(clockid_t clock)
{
	struct timespec	ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* *ts = CLOCK_MONOTONIC now + ms, for pthread_cond_timedwait(). */
static inline void
handle_deadline(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

#endif
