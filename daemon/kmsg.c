/* SPDX-License-Identifier: ISC */
/*
 * kmsg.c: the kernel log input (kmsg.h). In the order things happen to a
 * record: read(2) one record from /dev/kmsg, parse its header, skip it if
 * a run before this one wrote it, count the records the kernel overwrote
 * since the last one, stamp it with the kernel's time and identity, select
 * and deliver it through route without waiting (the kernel cannot be made
 * to wait: a record not read in time is overwritten, and counted).
 *
 * The state file is "BOOT_ID NEXT_SEQ\n": the boot it belongs to (sequence
 * numbers start again at each boot) and the first sequence number not yet
 * written. It is saved at most every KMSG_SAVE_MS, and when the daemon
 * stops, once what was delivered before it has been written: when all
 * outputs are idle, or else, for a kernel that logs more often than that
 * (the outputs are never idle right after a record), once every output has
 * finished as many records as it had taken when the point was marked
 * (outputs finish their records in order).
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "counters.h"
#include "kmsg.h"
#include "log.h"
#include "output.h"
#include "record.h"
#include "route.h"
#include "task.h"

#define KMSG_READ_MAX	16384	/* a record with its dictionary is < 8K */
#define KMSG_BATCH	256	/* records read per wake-up */
#define KMSG_DRAIN_MAX	4096	/* read at the end, at most */
#define KMSG_SAVE_MS	1000	/* the state file, at most this often */
#define KMSG_BOOT_ID	"/proc/sys/kernel/random/boot_id"
#define KMSG_BOOT_ID_LEN 36	/* a UUID */
#define KMSG_TAG	"kernel"
#define KMSG_MARK_MAX	16	/* outputs a mark follows; more: idle only */

/* What one output had taken when a point to save was marked. */
struct kmsg_mark {
	const struct output	*o;
	uint64_t		 received;
};

struct kmsg {
	struct task	 task;
	struct route	*route;
	int		 fd;
	char		*state_path;
	char		*state_tmp;	/* state_path + ".tmp", renamed over it */
	char		 boot_id[KMSG_BOOT_ID_LEN + 1];	/* "" = unknown */
	bool		 have_seq;	/* next_seq is known */
	uint64_t	 next_seq;	/* first record not yet delivered */
	uint64_t	 saved_seq;	/* next_seq as the state file has it */
	int64_t		 saved_ns;	/* monotonic: when it was saved */
	bool		 ended;		/* the device cannot be read any more */
	uint64_t	 mark_seq;	/* next_seq when marked; 0 = no mark */
	struct kmsg_mark mark[KMSG_MARK_MAX + 1];	/* ends at o == NULL */
	struct record	 rec;
	uint64_t	 pending;
	char		 buf[KMSG_READ_MAX];
};

static struct log_ratelimit kmsg_rl = LOG_RATELIMIT_INIT(10000, 5);

/* The kernel's root identity: no pid (the text format shows none). */
static const struct ucred kmsg_cred = { -1, 0, 0 };

/* A decimal number up to the delimiter d at *p; -1 when there is none. */
static int
kmsg_number(const char **p, const char *end, char d, uint64_t *v)
{
	const char *s = *p;

	*v = 0;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (*v > (UINT64_MAX - 9) / 10)
			return -1;
		*v = *v * 10 + (uint64_t)(*s - '0');
	}
	if (s == *p || s >= end || *s != d)
		return -1;
	*p = s + 1;
	return 0;
}

int
kmsg_parse(const char *buf, size_t len, struct kmsg_line *l)
{
	const char *p = buf, *end = buf + len, *semi, *nl;
	uint64_t pri;

	/* The prefix ends at the first ';'; FLAGS and any fields after it
	 * (the kernel documents that more may come) are not needed. */
	if ((semi = memchr(buf, ';', len)) == NULL ||
	    kmsg_number(&p, semi, ',', &pri) == -1 || pri > 1023 ||
	    kmsg_number(&p, semi, ',', &l->seq) == -1 ||
	    kmsg_number(&p, semi, ',', &l->usec) == -1)
		return -1;
	l->pri = (int)pri;
	l->msg = semi + 1;
	nl = memchr(l->msg, '\n', end - l->msg);
	l->msg_len = (nl != NULL ? nl : end) - l->msg;
	return 0;
}

/* This boot's id into k->boot_id, "" when it cannot be read. */
static void
kmsg_read_boot_id(struct kmsg *k)
{
	ssize_t n = -1;
	int fd;

	k->boot_id[0] = '\0';
	if ((fd = open(KMSG_BOOT_ID, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	do
		n = read(fd, k->boot_id, KMSG_BOOT_ID_LEN);
	while (n == -1 && errno == EINTR);
	(void)close(fd);	/* read-only procfs: nothing to lose */
	k->boot_id[n == KMSG_BOOT_ID_LEN ? n : 0] = '\0';
}

/*
 * Where the last run stopped, if it was this boot: every record below
 * next_seq was written then. Anything else (no file, another boot, a file
 * that does not parse) starts from the oldest record the kernel holds.
 * So does a file that anyone but this user could have written (kmsg_state
 * in a directory such as /tmp): a number from it would have the kernel's
 * records skipped, and a record written twice is better than one hidden.
 */
static void
kmsg_load_state(struct kmsg *k)
{
	char buf[128], id[KMSG_BOOT_ID_LEN + 1];
	unsigned long long seq;
	struct stat st;
	ssize_t n = -1;
	int fd;

	if (k->boot_id[0] == '\0' || (fd = open(k->state_path, O_RDONLY |
	    O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)) == -1)
		return;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		log_warn("kernel log: %s could have been written by another "
		    "user; ignored, reading from the oldest record",
		    k->state_path);
		(void)close(fd);
		return;
	}
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n == -1 && errno == EINTR);
	(void)close(fd);	/* read only */
	if (n <= 0)
		return;
	buf[n] = '\0';
	if (sscanf(buf, "%36s %llu", id, &seq) != 2 ||
	    strcmp(id, k->boot_id) != 0)
		return;
	k->have_seq = true;
	k->next_seq = k->saved_seq = seq;
}

/* Write the state file anew, saying seq, and rename it over the old one. */
static void
kmsg_save(struct kmsg *k, uint64_t seq)
{
	char line[128];
	int fd, len, rc;

	if (k->boot_id[0] == '\0' || !k->have_seq)
		return;
	len = snprintf(line, sizeof(line), "%s %" PRIu64 "\n", k->boot_id,
	    seq);
	/* A new file, never one someone else left at that name. */
	(void)unlink(k->state_tmp);
	if ((fd = open(k->state_tmp, O_WRONLY | O_CREAT | O_EXCL |
	    O_CLOEXEC | O_NOFOLLOW, 0640)) == -1) {
		log_limited(&kmsg_rl, "kernel log: cannot save %s: %s",
		    k->state_tmp, strerror(errno));
		return;
	}
	rc = write(fd, line, len) == len && fdatasync(fd) == 0 ? 0 : -1;
	if (close(fd) == -1)
		rc = -1;
	if (rc == -1 || rename(k->state_tmp, k->state_path) == -1) {
		log_limited(&kmsg_rl, "kernel log: cannot save %s: %s",
		    k->state_path, strerror(errno));
		(void)unlink(k->state_tmp);
		return;
	}
	k->saved_seq = seq;
	k->saved_ns = clock_mono_ns();
}

/* Has every output written all it was given? */
static bool
kmsg_outputs_idle(struct kmsg *k)
{
	struct output *o;
	unsigned i;

	for (i = 0; (o = route_output(k->route, i)) != NULL; i++)
		if (!output_idle(o))
			return false;
	return true;
}

/* Mark next_seq as the point to save once the outputs have written what
 * they have taken now. */
static void
kmsg_mark(struct kmsg *k)
{
	struct output *o;
	unsigned i;

	for (i = 0; (o = route_output(k->route, i)) != NULL; i++) {
		if (i == KMSG_MARK_MAX) {
			k->mark_seq = 0;
			return;
		}
		k->mark[i].o = o;
		k->mark[i].received = output_counters(o)->received;
	}
	k->mark[i].o = NULL;
	k->mark_seq = k->next_seq;
}

/* Has every output finished (written or dropped) what it had taken at the
 * mark? An output that is not the one marked (a reload) drops the mark. */
static bool
kmsg_mark_reached(struct kmsg *k)
{
	const struct counters *c;
	struct output *o;
	unsigned i;

	for (i = 0; (o = route_output(k->route, i)) != NULL; i++) {
		if (i == KMSG_MARK_MAX || o != k->mark[i].o) {
			k->mark_seq = 0;
			return false;
		}
		c = output_counters(o);
		if (c->received - c->buffered < k->mark[i].received)
			return false;
	}
	if (k->mark[i].o != NULL)
		k->mark_seq = 0;
	return k->mark_seq != 0;
}

/* Save what is known written, at most every KMSG_SAVE_MS. */
static void
kmsg_save_due(struct kmsg *k)
{
	if (k->next_seq == k->saved_seq || clock_mono_ns() - k->saved_ns <
	    (int64_t)KMSG_SAVE_MS * 1000000)
		return;
	if (kmsg_outputs_idle(k)) {
		kmsg_save(k, k->next_seq);
		k->mark_seq = 0;
	} else if (k->mark_seq != 0 && kmsg_mark_reached(k)) {
		kmsg_save(k, k->mark_seq);
		k->mark_seq = 0;
	}
	if (k->mark_seq == 0 && k->next_seq != k->saved_seq)
		kmsg_mark(k);
}

/* One record read from the device; offset_ns (wall clock minus monotonic)
 * turns its time since boot into wall time. */
static void
kmsg_record(struct kmsg *k, const char *buf, size_t len, int64_t offset_ns)
{
	struct kmsg_line l;

	if (kmsg_parse(buf, len, &l) == -1) {
		counters_input_drop(DROP_MALFORMED, 1);
		log_limited(&kmsg_rl, "kernel log: a record not in the "
		    "/dev/kmsg form; dropped");
		return;
	}
	if (k->have_seq && l.seq < k->next_seq)
		return;		/* written before this run */
	if (k->have_seq && l.seq > k->next_seq) {
		counters_input_drop(DROP_KERNEL_OVERRUN, l.seq - k->next_seq);
		log_limited(&kmsg_rl, "kernel log: %" PRIu64 " records "
		    "overwritten by the kernel before they were read",
		    l.seq - k->next_seq);
	}
	k->have_seq = true;
	k->next_seq = l.seq + 1;
	if (l.msg_len > route_config(k->route)->max_record) {
		counters_input_drop(DROP_TOO_LARGE, 1);
		log_limited(&kmsg_rl, "kernel log: record %" PRIu64 " longer "
		    "than max_record; dropped", l.seq);
		return;
	}
	memset(&k->rec, 0, sizeof(k->rec));
	k->rec.facility = (l.pri >> 3) & 0x7f;
	if (k->rec.facility > 23)
		k->rec.facility = 23;
	k->rec.severity = l.pri & 7;
	k->rec.tag = KMSG_TAG;
	k->rec.tag_len = sizeof(KMSG_TAG) - 1;
	k->rec.msg = l.msg;
	k->rec.msg_len = l.msg_len;
	route_stamp(&k->rec, &kmsg_cred, (int64_t)l.usec * 1000 + offset_ns);
	k->pending = route_select(k->route, &k->rec);
	route_deliver_or_drop(k->route, &k->rec, &k->pending);
}

/*
 * Take up to max records the kernel holds for us now. Returns -1 when the
 * device cannot be read any more (an error other than "nothing yet", or
 * the end of a path that is not the kernel's device): a descriptor that
 * stays readable without giving records would keep the loop spinning.
 */
static int
kmsg_take(struct kmsg *k, int max)
{
	/* Wall time minus the kernel's clock, once per batch: the kernel's
	 * timestamps do not count time suspended, nor does this. */
	int64_t offset_ns = clock_now_ns() - clock_mono_ns();
	ssize_t n = 0;
	int i;

	for (i = 0; i < max; i++) {
		do
			n = read(k->fd, k->buf, sizeof(k->buf));
		while (n == -1 && errno == EINTR);
		if (n == -1 && errno == EPIPE)
			continue;	/* overwritten: the seq gap counts it */
		if (n <= 0)
			break;
		kmsg_record(k, k->buf, (size_t)n, offset_ns);
	}
	if (n == 0 || (n == -1 && errno != EAGAIN)) {
		log_warn("kernel log: %s; no longer read", n == 0 ?
		    "end of file" : strerror(errno));
		return -1;
	}
	return 0;
}

static enum task_step
kmsg_task(struct task *t)
{
	struct kmsg *k = t->arg;

	TASK_BEGIN(t);
	for (;;) {
		/* With records not yet in the state file, wake up to save
		 * it once the outputs have written them. */
		TASK_AWAIT_FD(t, k->fd, EV_READ, k->next_seq != k->saved_seq ?
		    KMSG_SAVE_MS : -1);
		if (kmsg_take(k, KMSG_BATCH) == -1) {
			k->ended = true;
			break;
		}
		kmsg_save_due(k);
	}
	TASK_END(t);
}

static void
kmsg_cleanup(struct task *t)
{
	struct kmsg *k = t->arg;

	/* What the kernel holds now is taken, as a datagram socket's queue
	 * is: the next run would read it anyway, but later. */
	if (!k->ended)
		(void)kmsg_take(k, KMSG_DRAIN_MAX);
}

struct kmsg *
kmsg_new(struct event_base *base, struct route *route, const char *path,
    const char *state_path, char *err, size_t errlen)
{
	struct kmsg *k;
	size_t n = strlen(state_path);

	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (k->state_path = strdup(state_path)) == NULL ||
	    (k->state_tmp = malloc(n + sizeof(".tmp"))) == NULL)
		goto oom;
	snprintf(k->state_tmp, n + sizeof(".tmp"), "%s.tmp", state_path);
	k->route = route;
	if ((k->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC |
	    O_NOCTTY)) == -1) {
		snprintf(err, errlen, "kernel log %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	kmsg_read_boot_id(k);
	kmsg_load_state(k);
	if (task_spawn(base, &k->task, "kmsg", kmsg_task, kmsg_cleanup,
	    k) == -1) {
		(void)close(k->fd);
		goto oom;
	}
	return k;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	if (k != NULL) {
		free(k->state_path);
		free(k->state_tmp);
	}
	free(k);
	return NULL;
}

void
kmsg_stop(struct kmsg *k)
{
	if (k != NULL && task_alive(&k->task))
		task_cancel(&k->task);
}

void
kmsg_free(struct kmsg *k)
{
	if (k == NULL)
		return;
	kmsg_stop(k);
	if (k->next_seq != k->saved_seq && kmsg_outputs_idle(k))
		kmsg_save(k, k->next_seq);
	else if (k->mark_seq != 0 && kmsg_mark_reached(k))
		kmsg_save(k, k->mark_seq);
	(void)close(k->fd);	/* a device we only read */
	free(k->state_path);
	free(k->state_tmp);
	free(k);
}
