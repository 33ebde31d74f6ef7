/* SPDX-License-Identifier: ISC */
/*
 * dgram.c: the syslog datagram input task, local (/dev/log style) or UDP
 * (RFC 5426). In the order things happen to a record: recvmsg one datagram
 * with its sender's credentials (local) or address (UDP), admit it under
 * that sender's rate limit, parse it (RFC 3164/5424), stamp, select and
 * deliver it through route without ever waiting. A local sender's systemd
 * unit (and, for a record with no tag, the command name) comes from a small
 * cache per pid (unit.h), not a read per datagram.
 *
 * Datagrams carry no connection, so the sender is the pid the kernel names,
 * or the peer's address; a small table of rate-limit windows is kept per
 * sender, and a sender that falls out of the table has its unreported drops
 * reported first. A UDP socket also tells, with each datagram, how many the
 * kernel dropped so far for want of buffer space (SO_RXQ_OVFL): those are
 * counted as received and dropped (udp_overrun), so the loss is seen.
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
#include "dropreport.h"
#include "log.h"
#include "netaddr.h"
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

/* One sender's rate-limit window, by its name ("pid 42", "peer ADDR"). */
struct dgram_slot {
	char		 who[64];
	struct ratelimit rl;
};

struct dgram {
	struct task	 task;
	struct route	*route;
	struct dropreport *drops;	/* where too large datagrams are said */
	int		 fd;
	bool		 net;		/* UDP: senders are addresses */
	char		*buf;		/* one datagram: max_record + its ending */
	size_t		 cap;
	struct record	 rec;
	uint64_t	 pending;
	char		 peer[NETADDR_MAX];	/* UDP: the last sender */
	char		 who[64];	/* the last sender, for messages */
	uint32_t	 overruns;	/* UDP: the kernel's drop count seen */
	struct dgram_slot rl[DGRAM_RL_SLOTS];	/* per sender */
	bool		 rl_pending;	/* some window has drops to report */
	struct unit_cache units;	/* senders' systemd units, per pid */
};

static struct log_ratelimit dgram_log_rl = LOG_RATELIMIT_INIT(10000, 5);

/*
 * The kernel's count of datagrams it dropped on this socket, as of this one
 * (SO_RXQ_OVFL): what it grew by since the last is counted. It is a 32-bit
 * counter that wraps.
 */
static void
dgram_overruns(struct dgram *d, uint32_t now)
{
	uint32_t n = now - d->overruns;

	d->overruns = now;
	if (n == 0)
		return;
	counters_input_drop(DROP_UDP_OVERRUN, n);
	log_limited(&dgram_log_rl, "UDP: the kernel dropped %lu datagrams "
	    "(receive buffer full); counted as udp_overrun", (unsigned long)n);
}

/* Receive one datagram with its sender's credentials (local) or address
 * (UDP, in d->peer); its length (0 is an empty message, taken like an
 * empty line), -1 (EAGAIN) when none, -2 for one that was dropped (too
 * large). d->who names the sender. */
static ssize_t
dgram_recv(struct dgram *d, struct ucred *cred)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(struct ucred)) +
				    CMSG_SPACE(sizeof(uint32_t))];
	} ctl;
	struct sockaddr_storage ss;
	struct iovec iov = { d->buf, d->cap };
	struct msghdr msg;
	struct cmsghdr *cm;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	if (d->net) {
		msg.msg_name = &ss;
		msg.msg_namelen = sizeof(ss);
	}
	*cred = (struct ucred){ -1, (uid_t)-1, (gid_t)-1 };
	do
		n = recvmsg(d->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_CREDENTIALS)
			memcpy(cred, CMSG_DATA(cm), sizeof(*cred));
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SO_RXQ_OVFL) {
			uint32_t ovfl;

			memcpy(&ovfl, CMSG_DATA(cm), sizeof(ovfl));
			dgram_overruns(d, ovfl);
		}
	}
	if (d->net) {
		(void)netaddr_string(&ss, d->peer, sizeof(d->peer));
		snprintf(d->who, sizeof(d->who), "peer %s", d->peer);
	} else
		snprintf(d->who, sizeof(d->who), "pid %ld", (long)cred->pid);
	/* One rule for every framing: the message, its ending excluded, may
	 * have max_record bytes. */
	if ((msg.msg_flags & MSG_TRUNC) ||
	    syslog_dgram_len(d->buf, n) > route_config(d->route)->max_record) {
		/* A local sender's drops are said in the log per sender; a UDP
		 * peer has no credentials to sum them by. */
		if (d->net)
			counters_input_drop(DROP_TOO_LARGE, 1);
		else
			dropreport_input(d->drops, DROP_TOO_LARGE, cred, d->who,
			    clock_now_ns());
		log_limited(&dgram_log_rl, "datagram from %s longer than "
		    "max_record; dropped", d->who);
		return -2;
	}
	return n;
}

/* Say what a sender's window dropped, naming the sender. */
static void
dgram_rl_flush(struct dgram *d, struct dgram_slot *sl)
{
	route_admit_flush(d->route, &sl->rl, sl->who);
}

/* A sender's window: its slot, or the slot of whoever sent least recently
 * (whose unreported drops are reported first). */
static struct dgram_slot *
dgram_rl_slot(struct dgram *d, const char *who, pid_t pid)
{
	struct dgram_slot *sl, *oldest = &d->rl[0];
	int i;

	for (i = 0; i < DGRAM_RL_SLOTS; i++) {
		sl = &d->rl[i];
		if (sl->rl.window_ns != 0 && strcmp(sl->who, who) == 0)
			return sl;
		if (sl->rl.window_ns < oldest->rl.window_ns)
			oldest = sl;
	}
	dgram_rl_flush(d, oldest);
	memset(oldest, 0, sizeof(*oldest));
	snprintf(oldest->who, sizeof(oldest->who), "%s", who);
	oldest->rl.pid = pid;
	return oldest;
}

static bool
dgram_admit(struct dgram *d, pid_t pid, int64_t now)
{
	if (route_config(d->route)->ratelimit_burst == 0)
		return true;
	return route_admit(d->route, &dgram_rl_slot(d, d->who, pid)->rl,
	    d->who, now);
}

/* Report every window that ended with drops; is any still pending? */
static bool
dgram_rl_sweep(struct dgram *d, int64_t now)
{
	unsigned interval_ms = route_config(d->route)->ratelimit_interval_ms;
	bool pending = false;
	int i;

	for (i = 0; i < DGRAM_RL_SLOTS; i++) {
		if (ratelimit_due(&d->rl[i].rl, interval_ms, now))
			dgram_rl_flush(d, &d->rl[i]);
		pending |= d->rl[i].rl.dropped > 0;
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
		if (n == -2 || !dgram_admit(d, cred.pid, now))
			continue;
		memset(&d->rec, 0, sizeof(d->rec));
		if (d->net)	/* host-bearing, as for TCP peers */
			syslog_parse_relayed(d->buf, n, now, &d->rec);
		else
			syslog_parse_local(d->buf, n, now, &d->rec);
		route_stamp(&d->rec, &cred, now);
		if (d->net) {
			d->rec.host = d->peer;
			d->rec.host_len = strlen(d->peer);
		} else {
			d->rec.unit_len = unit_cache_get(&d->units, cred.pid,
			    mono, &d->rec.unit);
			if (d->rec.tag_len == 0)
				d->rec.tag_len = unit_cache_comm(&d->units,
				    cred.pid, mono, &d->rec.tag);
		}
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
dgram_new(struct event_base *base, struct route *route,
    struct dropreport *drops, int fd, bool net, char *err, size_t errlen)
{
	struct dgram *d;
	int on = 1;

	/* UDP: the kernel's drop count comes with each datagram, where the
	 * kernel offers it (an old one does not: then nothing is counted). */
	if (net)
		(void)setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof(on));
	else if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on,
	    sizeof(on)) == -1) {
		snprintf(err, errlen, "SO_PASSCRED: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL)
		goto oom;
	d->route = route;
	d->drops = drops;
	d->fd = fd;
	d->net = net;
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
