/*
 * dgram.c: the syslog datagram input task. In the order things happen to a
 * record: recvmsg one datagram with its sender's credentials, admit it
 * under that sender's rate limit, parse it (RFC 3164/5424), stamp, select
 * and deliver it through route without ever waiting. The sender's systemd
 * unit (and, for a record with no tag, the command name) comes from a small
 * cache per pid (unit.h), not a read per datagram.
 *
 * Datagrams carry no connection, so the sender is the pid the kernel names;
 * a small table of rate-limit windows is kept per pid, and a sender that
 * falls out of the table has its unreported drops reported first.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "dgram.h"
#include "log.h"
#include "ratelimit.h"
#include "record.h"
#include "route.h"
#include "counters.h"
#include "syslog.h"
#include "task.h"
#include "unit.h"

#define DGRAM_BATCH		256	/* datagrams read per wake-up */
#define DGRAM_DRAIN_MAX		4096	/* read at the end, at most */
#define DGRAM_RL_SLOTS		64	/* senders tracked for the rate limit */

struct dgram {
	struct task	 task;
	struct route	*route;
	int		 fd;
	char		*buf;		/* one datagram: max_record + its ending */
	size_t		 cap;
	struct record	 rec;
	uint64_t	 pending;
	struct ratelimit rl[DGRAM_RL_SLOTS];	/* per sender pid */
	bool		 rl_pending;	/* some window has drops to report */
	struct unit_cache units;	/* senders' systemd units, per pid */
};

static struct log_ratelimit dgram_log_rl = LOG_RATELIMIT_INIT(10000, 5);

/* Receive one datagram with its sender's credentials; -1 (EAGAIN) when
 * none, 0 for one that was dropped (too large). */
static ssize_t
dgram_recv(struct dgram *d, struct ucred *cred)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(struct ucred))];
	} ctl;
	struct iovec iov = { d->buf, d->cap };
	struct msghdr msg;
	struct cmsghdr *cm;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	*cred = (struct ucred){ -1, (uid_t)-1, (gid_t)-1 };
	do
		n = recvmsg(d->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_CREDENTIALS)
			memcpy(cred, CMSG_DATA(cm), sizeof(*cred));
	/* One rule for every framing: the message, its ending excluded, may
	 * have max_record bytes. */
	if ((msg.msg_flags & MSG_TRUNC) ||
	    syslog_dgram_len(d->buf, n) > route_config(d->route)->max_record) {
		counters_input_drop(DROP_TOO_LARGE, 1);
		log_limited(&dgram_log_rl, "datagram from pid %ld longer than "
		    "max_record; dropped", (long)cred->pid);
		return 0;
	}
	return n;
}

/* Say what a sender's window dropped, naming the sender by its pid. */
static void
dgram_rl_flush(struct dgram *d, struct ratelimit *rl)
{
	char who[32];

	snprintf(who, sizeof(who), "pid %ld", (long)rl->pid);
	route_admit_flush(d->route, rl, who);
}

/* A sender's window: its slot, or the slot of whoever sent least recently
 * (whose unreported drops are reported first). */
static struct ratelimit *
dgram_rl_slot(struct dgram *d, pid_t pid)
{
	struct ratelimit *rl, *oldest = &d->rl[0];
	int i;

	for (i = 0; i < DGRAM_RL_SLOTS; i++) {
		rl = &d->rl[i];
		if (rl->window_ns != 0 && rl->pid == pid)
			return rl;
		if (rl->window_ns < oldest->window_ns)
			oldest = rl;
	}
	dgram_rl_flush(d, oldest);
	memset(oldest, 0, sizeof(*oldest));
	oldest->pid = pid;
	return oldest;
}

static bool
dgram_admit(struct dgram *d, pid_t pid, int64_t now)
{
	char who[32];

	if (route_config(d->route)->ratelimit_burst == 0)
		return true;
	snprintf(who, sizeof(who), "pid %ld", (long)pid);
	return route_admit(d->route, dgram_rl_slot(d, pid), who, now);
}

/* Report every window that ended with drops; is any still pending? */
static bool
dgram_rl_sweep(struct dgram *d, int64_t now)
{
	unsigned interval_ms = route_config(d->route)->ratelimit_interval_ms;
	bool pending = false;
	int i;

	for (i = 0; i < DGRAM_RL_SLOTS; i++) {
		if (ratelimit_due(&d->rl[i], interval_ms, now))
			dgram_rl_flush(d, &d->rl[i]);
		pending |= d->rl[i].dropped > 0;
	}
	return pending;
}

/* Take up to max queued datagrams through route; at now (wall clock). */
static void
dgram_take(struct dgram *d, int max, int64_t now)
{
	struct ucred cred;
	int64_t mono = clock_mono_ns();
	ssize_t n = 0;
	int i;

	for (i = 0; i < max; i++) {
		if ((n = dgram_recv(d, &cred)) == -1)
			break;
		if (n == 0 || !dgram_admit(d, cred.pid, now))
			continue;
		memset(&d->rec, 0, sizeof(d->rec));
		syslog_parse_local(d->buf, n, now, &d->rec);
		route_stamp(&d->rec, &cred, now);
		d->rec.unit_len = unit_cache_get(&d->units, cred.pid, mono,
		    &d->rec.unit);
		if (d->rec.tag_len == 0)
			d->rec.tag_len = unit_cache_comm(&d->units, cred.pid,
			    mono, &d->rec.tag);
		d->pending = route_select(d->route, &d->rec);
		route_deliver_or_drop(d->route, &d->rec, &d->pending);
	}
	if (n == -1 && errno != EAGAIN)
		log_limited(&dgram_log_rl, "recvmsg: %s", strerror(errno));
}

static enum task_step
dgram_task(struct task *t)
{
	struct dgram *d = t->arg;
	int64_t now;

	TASK_BEGIN(t);
	for (;;) {
		/* With rate-limit drops still to report, wake up to report
		 * them even if this input goes quiet. */
		TASK_AWAIT_FD(t, d->fd, EV_READ, d->rl_pending ?
		    (int)route_config(d->route)->ratelimit_interval_ms : -1);
		now = clock_now_ns();
		dgram_take(d, DGRAM_BATCH, now);
		d->rl_pending = route_config(d->route)->ratelimit_burst > 0 &&
		    dgram_rl_sweep(d, now);
	}
	TASK_END(t);
}

static void
dgram_cleanup(struct task *t)
{
	struct dgram *d = t->arg;
	int i;

	/* What senders queued before we stopped is taken, not left to the
	 * kernel to discard uncounted with the socket (the queue is short:
	 * net.unix.max_dgram_qlen datagrams). */
	dgram_take(d, DGRAM_DRAIN_MAX, clock_now_ns());
	for (i = 0; i < DGRAM_RL_SLOTS; i++)
		dgram_rl_flush(d, &d->rl[i]);	/* nothing goes unsaid */
	close(d->fd);
	d->fd = -1;
}

struct dgram *
dgram_new(struct event_base *base, struct route *route, int fd, char *err,
    size_t errlen)
{
	struct dgram *d;
	int on = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) == -1) {
		snprintf(err, errlen, "SO_PASSCRED: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL)
		goto oom;
	d->route = route;
	d->fd = fd;
	d->cap = route_config(route)->max_record + SYSLOG_DGRAM_SLACK;
	if ((d->buf = malloc(d->cap)) == NULL)
		goto oom;
	if (task_spawn(base, &d->task, "dgram", dgram_task, dgram_cleanup,
	    d) == -1)
		goto oom;
	return d;
oom:
	snprintf(err, errlen, "out of memory");
	if (d != NULL)
		free(d->buf);
	free(d);
	close(fd);
	return NULL;
}

void
dgram_free(struct dgram *d)
{
	if (d == NULL)
		return;
	if (task_alive(&d->task))
		task_cancel(&d->task);
	free(d->buf);
	free(d);
}
