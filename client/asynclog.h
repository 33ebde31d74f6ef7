/*
 * asynclog.h: the asynclog client library.
 *
 * A log call copies the record into a bounded per-handle buffer and returns;
 * a background thread sends it to asynclogd. The call never blocks (unless
 * the handle was opened with ASYNCLOG_BLOCK), never fails because the daemon
 * is slow or gone, and counts every record it had to drop. Handles are
 * thread-safe and survive fork(): the child starts with an empty buffer and
 * its own sender.
 *
 * Priorities are <syslog.h> values: LOG_ERR, LOG_USER | LOG_INFO, ...
 */
#ifndef ASYNCLOG_H
#define ASYNCLOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ASYNCLOG_VERSION	"0.1.0"
#define ASYNCLOG_DEFAULT_SOCKET	"/run/asynclog/asynclog.sock"

typedef struct asynclog asynclog_t;

/* Flags for asynclog_open(). */
#define ASYNCLOG_BLOCK	0x01	/* wait for buffer space instead of dropping (as long as the daemon is away) */
#define ASYNCLOG_STDERR	0x02	/* also write each record to stderr (like logger -s) */
#define ASYNCLOG_PID	0x04	/* (informational) the daemon always records the pid */

/*
 * socket_path NULL means $ASYNCLOG_SOCKET, then ASYNCLOG_DEFAULT_SOCKET.
 * tag NULL means the program name. Connecting happens in the background, so
 * this succeeds even when the daemon is not running. Returns NULL only when
 * memory or a thread cannot be had (errno set).
 */
asynclog_t *asynclog_open(const char *socket_path, const char *tag, int flags);

/*
 * Returns 0 when the record was buffered, -1 when it was dropped (counted).
 * A priority without a facility is sent as LOG_USER. A message longer than
 * 64 KiB (the daemon's default record limit) is cut to exactly 64 KiB, the
 * last bytes replaced by "...[truncated N bytes]", N being how many bytes of
 * the original are missing; it still counts as sent, not dropped.
 * asynclog_log() formats on the stack up to 1 KiB, on the heap beyond.
 */
int	asynclog_log(asynclog_t *, int priority, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
int	asynclog_write(asynclog_t *, int priority, const char *msg, size_t len);
/* asynclog_log() with a va_list, for wrappers. */
int	asynclog_vlog(asynclog_t *, int priority, const char *fmt, va_list ap)
	    __attribute__((format(printf, 3, 0)));

/*
 * The facility for priorities that carry none (LOG_USER at open), like
 * openlog(3)'s; a priority with a facility keeps its own. Returns the old
 * one, or -1 (EINVAL) for a value that is not a <syslog.h> facility.
 */
int	asynclog_set_facility(asynclog_t *, int facility);

/*
 * Which severities are logged at all, like setlogmask(3): a mask of
 * LOG_MASK(sev) bits, e.g. LOG_UPTO(LOG_INFO). It is checked before any
 * formatting; a record masked out is neither sent nor counted as dropped
 * (the log calls return 0). 0 leaves the mask as it is. Returns the old
 * mask (LOG_UPTO(LOG_DEBUG), everything, at open).
 */
int	asynclog_set_logmask(asynclog_t *, int mask);

/*
 * Wait until every record logged before the call has been accepted by the
 * daemon, or timeout_ms passes (-1 = no limit). Returns 0 when all were
 * accepted, -1 with errno ETIMEDOUT or ENOTCONN (not connected when the time
 * ran out) otherwise. "Accepted" is the daemon's SYNC_ACK: records still in
 * the kernel when a connection broke are not known to the library, so a
 * flush across a daemon restart confirms only what the new daemon got.
 */
int	asynclog_flush(asynclog_t *, int timeout_ms);

/*
 * What a daemon that speaks protocol version 2 said of this handle's
 * records, summed since open (or since fork, in a child) over every
 * connection, as of its last acknowledgement. A version 1 daemon says
 * nothing: everything stays 0.
 */
struct asynclog_sync_info {
	uint64_t	 received;	/* records the daemon took in */
	uint64_t	 dropped;	/* of them, dropped: the sum of the next four */
	uint64_t	 too_large;	/* above the daemon's max_record */
	uint64_t	 rate_limited;	/* over the daemon's ratelimit */
	uint64_t	 malformed;	/* a record the daemon could not read */
	uint64_t	 overflow;	/* an output had no room (overflow = "drop") */
	uint64_t	 not_selected;	/* no output's match took them (by
					 * configuration; not in dropped) */
	int		 written;	/* ASYNCLOG_SYNC_WRITTEN was confirmed */
};

#define ASYNCLOG_SYNC_WRITTEN	0x01	/* wait until written, not just accepted */

/*
 * asynclog_flush(), then fill *info (when not NULL) with the daemon's
 * counts. With ASYNCLOG_SYNC_WRITTEN it waits until every output that took
 * the records has written them (write(2) done, and fdatasync(2) under sync =
 * "always"; handed over for forwarding outputs): it returns -1 with EIO when
 * the daemon cannot confirm that (an output dropped records meanwhile or
 * completed nothing for its stall_timeout_ms) and ENOTSUP when the daemon
 * speaks only version 1. Otherwise as asynclog_flush().
 */
int	asynclog_sync(asynclog_t *, int flags, int timeout_ms,
	    struct asynclog_sync_info *info);

/*
 * Records the daemon dropped (struct asynclog_sync_info's dropped) as of
 * its last acknowledgement: call it after a flush. 0 with a version 1
 * daemon, which does not say.
 */
uint64_t asynclog_daemon_dropped(const asynclog_t *);

/*
 * Records dropped by this handle so far (buffer full, daemon unreachable,
 * a frame cut by a broken connection). In a child of fork() it counts from 0.
 * Records still buffered are not in it yet: only asynclog_close_dropped()
 * knows which of them close could not deliver. Not to be called after close.
 */
uint64_t asynclog_dropped(const asynclog_t *);

/*
 * Flush for a short while (at most 1 s; not at all when nothing is pending
 * and the daemon is unreachable), stop the sender, free the handle. What is
 * still buffered then is dropped and counted, and one last DROPPED frame is
 * tried without blocking, so the daemon learns of the loss when it has room.
 */
void	asynclog_close(asynclog_t *);

/*
 * asynclog_close(), returning the handle's final drop count: every record
 * logged through it was either handed to the daemon or is in this number.
 * 0 in a child of fork() that never used the handle.
 */
uint64_t asynclog_close_dropped(asynclog_t *);

#ifdef __cplusplus
}
#endif

#endif
