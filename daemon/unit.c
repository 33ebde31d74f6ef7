/*
 * unit.c: a sender's systemd unit from /proc/PID/cgroup, and its command
 * name from /proc/PID/comm (unit.h).
 *
 * The read is of a procfs file the kernel fills from memory: open with
 * O_NONBLOCK, one read of at most UNIT_READ_MAX bytes, close. It never
 * waits on a disk or a peer, so the loop may call it; the datagram cache
 * keeps it off the path of every record.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

#define UNIT_READ_MAX	4096	/* /proc/PID/cgroup is a few hundred bytes */

/* Does the path component p[0..len) name a unit systemd gives processes? */
static bool
unit_is_unit(const char *p, size_t len)
{
	static const char *const kinds[] = { ".service", ".scope" };
	size_t i, k;

	/* systemd's unit name characters; a cgroup a user named otherwise
	 * in a tree delegated to it is no unit. */
	for (i = 0; i < len; i++)
		if (p[i] == '\0' || (!(p[i] >= 'a' && p[i] <= 'z') &&
		    !(p[i] >= 'A' && p[i] <= 'Z') &&
		    !(p[i] >= '0' && p[i] <= '9') &&
		    strchr(":-_.\\@", p[i]) == NULL))
			return false;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		k = strlen(kinds[i]);
		if (len > k && memcmp(p + len - k, kinds[i], k) == 0)
			return true;
	}
	return false;
}

/*
 * The first unit component of the cgroup path p[0..len); 0 when none. The
 * first, as journald's _SYSTEMD_UNIT: only the service manager creates it
 * (system.slice/nginx.service, user-1000.slice/user@1000.service). Below
 * it a unit may delegate its subtree, whose cgroups its user names at
 * will: a user's "app.slice/nginx.service" is user@1000.service here,
 * never nginx.service.
 */
static size_t
unit_of_path(const char *p, size_t len, char *dst, size_t cap)
{
	size_t i = 0, s, best = 0, best_len = 0;

	while (i < len && best_len == 0) {
		while (i < len && p[i] == '/')
			i++;
		for (s = i; i < len && p[i] != '/'; i++)
			;
		if (i > s && unit_is_unit(p + s, i - s)) {
			best = s;
			best_len = i - s;
		}
	}
	if (best_len == 0 || best_len > cap)
		return 0;
	memcpy(dst, p + best, best_len);
	return best_len;
}

size_t
unit_from_cgroup(const char *text, size_t len, char *dst, size_t cap)
{
	static const char v1[] = ":name=systemd:";
	const char *line = text, *end = text + len, *nl, *v1path = NULL;
	size_t n, v1len = 0, ll;

	for (; line < end; line = nl + 1) {
		if ((nl = memchr(line, '\n', end - line)) == NULL)
			nl = end;
		ll = nl - line;
		if (ll >= 3 && memcmp(line, "0::", 3) == 0 &&
		    (n = unit_of_path(line + 3, ll - 3, dst, cap)) > 0)
			return n;
		if (v1path == NULL && ll > sizeof(v1) - 1 &&
		    memmem(line, ll, v1, sizeof(v1) - 1) != NULL) {
			v1path = (const char *)memmem(line, ll, v1,
			    sizeof(v1) - 1) + sizeof(v1) - 1;
			v1len = nl - v1path;
		}
	}
	return v1path != NULL ? unit_of_path(v1path, v1len, dst, cap) : 0;
}

/*
 * One read of /proc/PID/NAME into buf (at most cap bytes): its length, or
 * -1 when the process is gone or pid is not one (pid <= 0).
 */
static ssize_t
unit_read_proc(pid_t pid, const char *name, char *buf, size_t cap)
{
	char path[64];
	ssize_t n;
	int fd;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, name);
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)) ==
	    -1)
		return -1;
	do
		n = read(fd, buf, cap);
	while (n == -1 && errno == EINTR);
	(void)close(fd);	/* read-only procfs: nothing to lose */
	return n;
}

size_t
unit_of_pid(pid_t pid, char *dst, size_t cap)
{
	char buf[UNIT_READ_MAX];
	ssize_t n;

	/* A file longer than one read is cut: its first lines are the
	 * hierarchies; a unit is never found in a line cut short. */
	if ((n = unit_read_proc(pid, "cgroup", buf, sizeof(buf))) <= 0)
		return 0;
	if ((size_t)n == sizeof(buf) && memrchr(buf, '\n', n) != NULL)
		n = (char *)memrchr(buf, '\n', n) - buf;
	return unit_from_cgroup(buf, n, dst, cap);
}

/*
 * The kernel's comm ends with a newline and holds at most 15 bytes, any but
 * NUL and '/'; it may be empty (prctl(PR_SET_NAME, "")), then it is unknown.
 */
size_t
unit_comm_of_pid(pid_t pid, char *dst, size_t cap)
{
	char buf[UNIT_COMM_MAX + 1];
	ssize_t n;

	if ((n = unit_read_proc(pid, "comm", buf, sizeof(buf))) <= 0)
		return 0;
	if (buf[n - 1] == '\n')
		n--;
	if ((size_t)n > cap)
		return 0;
	memcpy(dst, buf, n);
	return n;
}

/* The cache slot of pid, filled (unit read, comm not yet) when missing. */
static struct unit_cache_slot *
unit_cache_slot(struct unit_cache *uc, pid_t pid, int64_t now_ns)
{
	struct unit_cache_slot *s, *oldest = &uc->slot[0];
	int i;

	for (i = 0; i < UNIT_CACHE_SLOTS; i++) {
		s = &uc->slot[i];
		if (s->expires_ns > now_ns && s->pid == pid)
			return s;
		if (s->expires_ns < oldest->expires_ns)
			oldest = s;
	}
	oldest->pid = pid;
	oldest->expires_ns = now_ns + (int64_t)UNIT_CACHE_TTL_MS * 1000000;
	oldest->len = unit_of_pid(pid, oldest->name, sizeof(oldest->name));
	oldest->comm_read = false;
	return oldest;
}

size_t
unit_cache_get(struct unit_cache *uc, pid_t pid, int64_t now_ns,
    const char **name)
{
	struct unit_cache_slot *s = unit_cache_slot(uc, pid, now_ns);

	*name = s->name;
	return s->len;
}

size_t
unit_cache_comm(struct unit_cache *uc, pid_t pid, int64_t now_ns,
    const char **comm)
{
	struct unit_cache_slot *s = unit_cache_slot(uc, pid, now_ns);

	/* Read only for a sender that sent no tag: most never need it. */
	if (!s->comm_read) {
		s->comm_len = unit_comm_of_pid(pid, s->comm, sizeof(s->comm));
		s->comm_read = true;
	}
	*comm = s->comm;
	return s->comm_len;
}
