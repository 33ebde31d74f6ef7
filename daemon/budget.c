/* SPDX-License-Identifier: ISC */
/*
 * budget.c: the disk budget's thread (budget.h). Each pass it lists the
 * directory of every file output, adds up the sizes of the files that are
 * an output's (its file, the files of a path with fields, their rotated
 * copies BASE.N and BASE.N.zst), and while the sum is over max_use it
 * removes rotated files, oldest (by modification time) first. Live files
 * are never touched: when they alone are over the cap, the writers drop
 * instead (budget_exceeded()).
 *
 * Runs on its own thread: listing and unlinking may block, and the loop
 * thread never touches the disk. It meets the loop only at the plan (a
 * mutex: start, reload, stop) and the published figures (atomics).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "budget.h"
#include "config.h"
#include "log.h"
#include "rotate.h"
#include "template.h"

/* The files of one output, as names in one directory. */
struct budget_area {
	char		 dir[PATH_MAX];
	char		 name[NAME_MAX + 1];	/* its file, or its fallback */
	bool		 pattern;		/* a path with fields: also */
	char		 prefix[NAME_MAX + 1];	/* PREFIX...SUFFIX */
	char		 suffix[NAME_MAX + 1];
};

struct budget_plan {
	uint64_t		 max_use;
	unsigned		 interval_ms;
	size_t			 n;
	struct budget_area	*areas;
};

/* A rotated file that may go. */
struct budget_old {
	int		 dirfd;
	char		 name[NAME_MAX + 1];
	struct timespec	 mtime;
	off_t		 size;
};

static struct {
	pthread_mutex_t	 lock;
	pthread_cond_t	 wake;
	pthread_t	 thread;
	bool		 running;
	bool		 stop;
	struct budget_plan *next;	/* from the loop, taken at the next pass */
} budget = { .lock = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER };

static _Atomic bool	budget_over;
static _Atomic int64_t	budget_pub_used = -1;
static _Atomic uint64_t	budget_pub_removed;

static void
budget_plan_free(struct budget_plan *p)
{
	if (p == NULL)
		return;
	free(p->areas);
	free(p);
}

/* The plan of a configuration: one area per file output. */
static struct budget_plan *
budget_plan_new(const struct config *c)
{
	const struct config_output *o;
	struct budget_plan *p;
	struct budget_area *a;
	const char *path, *slash;
	size_t i;

	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->areas = calloc(c->noutputs + 1, sizeof(*p->areas))) == NULL) {
		free(p);
		return NULL;
	}
	p->max_use = c->budget_max_use;
	p->interval_ms = c->budget_interval_ms;
	for (i = 0; i < c->noutputs; i++) {
		o = &c->outputs[i];
		if (o->type != CONFIG_OUTPUT_FILE)
			continue;
		a = &p->areas[p->n++];
		path = o->fallback != NULL ? o->fallback : o->path;
		if ((slash = strrchr(path, '/')) == NULL)
			snprintf(a->dir, sizeof(a->dir), ".");
		else
			snprintf(a->dir, sizeof(a->dir), "%.*s", slash == path ?
			    1 : (int)(slash - path), path);
		snprintf(a->name, sizeof(a->name), "%s", slash != NULL ?
		    slash + 1 : path);
		if (o->name_template != NULL) {
			a->pattern = true;
			template_affixes(o->name_template, a->prefix,
			    sizeof(a->prefix), a->suffix, sizeof(a->suffix));
		}
	}
	return p;
}

/* Is base (a live file's name) one of the outputs' in directory dir? */
static bool
budget_owned(const struct budget_plan *p, const char *dir, const char *base,
    size_t len)
{
	const struct budget_area *a;
	size_t i, pl, sl;

	for (i = 0; i < p->n; i++) {
		a = &p->areas[i];
		if (strcmp(a->dir, dir) != 0)
			continue;
		if (strlen(a->name) == len && memcmp(a->name, base, len) == 0)
			return true;
		pl = strlen(a->prefix);
		sl = strlen(a->suffix);
		if (a->pattern && len > pl + sl &&
		    memcmp(base, a->prefix, pl) == 0 &&
		    memcmp(base + len - sl, a->suffix, sl) == 0)
			return true;
	}
	return false;
}

static int
budget_old_cmp(const void *x, const void *y)
{
	const struct budget_old *a = x, *b = y;

	if (a->mtime.tv_sec != b->mtime.tv_sec)
		return a->mtime.tv_sec < b->mtime.tv_sec ? -1 : 1;
	if (a->mtime.tv_nsec != b->mtime.tv_nsec)
		return a->mtime.tv_nsec < b->mtime.tv_nsec ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* Add up the files of directory dir (fd dfd); rotated ones into *old. */
static int
budget_scan(const struct budget_plan *p, const char *dir, int dfd,
    uint64_t *used, struct budget_old **old, size_t *nold, size_t *cap)
{
	struct budget_old *no;
	struct dirent *de;
	struct stat st;
	size_t blen;
	DIR *d;
	int fd;

	if ((fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);	/* read-only */
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		blen = rotate_base_len(de->d_name);
		if (!budget_owned(p, dir, de->d_name, blen > 0 ? blen :
		    strlen(de->d_name)))
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(st.st_mode))
			continue;
		*used += (uint64_t)st.st_size;
		if (blen == 0)
			continue;
		if (*nold == *cap) {
			*cap = *cap == 0 ? 64 : *cap * 2;
			if ((no = reallocarray(*old, *cap, sizeof(**old))) ==
			    NULL) {
				(void)closedir(d);
				return -1;
			}
			*old = no;
		}
		no = &(*old)[(*nold)++];
		no->dirfd = dfd;
		snprintf(no->name, sizeof(no->name), "%s", de->d_name);
		no->mtime = st.st_mtim;
		no->size = st.st_size;
	}
	(void)closedir(d);	/* read-only */
	return 0;
}

/* One pass: add up, remove the oldest rotated files while over. */
static void
budget_pass(const struct budget_plan *p)
{
	static struct log_ratelimit rl = LOG_RATELIMIT_INIT(60000, 3);
	struct budget_old *old = NULL;
	size_t nold = 0, cap = 0, i, j, removed = 0;
	uint64_t used = 0, freed = 0;
	int *fds;

	if ((fds = calloc(p->n + 1, sizeof(*fds))) == NULL)
		return;
	for (i = 0; i < p->n; i++) {
		fds[i] = -1;
		for (j = 0; j < i; j++)
			if (strcmp(p->areas[j].dir, p->areas[i].dir) == 0)
				break;
		if (j < i)
			continue;	/* listed with area j */
		if ((fds[i] = open(p->areas[i].dir, O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) == -1 || budget_scan(p, p->areas[i].dir,
		    fds[i], &used, &old, &nold, &cap) == -1)
			log_limited(&rl, "disk budget: cannot list %s: %s",
			    p->areas[i].dir, strerror(errno));
	}
	if (used > p->max_use && nold > 0) {
		qsort(old, nold, sizeof(*old), budget_old_cmp);
		for (i = 0; i < nold && used > p->max_use; i++) {
			if (unlinkat(old[i].dirfd, old[i].name, 0) == -1) {
				if (errno != ENOENT)
					log_limited(&rl, "disk budget: cannot "
					    "remove %s: %s", old[i].name,
					    strerror(errno));
				continue;
			}
			used -= (uint64_t)old[i].size;
			freed += (uint64_t)old[i].size;
			removed++;
		}
	}
	for (i = 0; i < p->n; i++)
		if (fds[i] != -1)
			(void)close(fds[i]);	/* read-only */
	free(fds);
	free(old);
	if (removed > 0)
		log_info("disk budget: removed %zu rotated files (%llu bytes) "
		    "to stay under %llu bytes", removed,
		    (unsigned long long)freed, (unsigned long long)p->max_use);
	if ((used > p->max_use) != atomic_load(&budget_over))
		log_warn(used > p->max_use ? "disk budget: the live files "
		    "alone take %llu bytes, more than max_use %llu; dropping "
		    "records until they take less" : "disk budget: %llu bytes "
		    "used of %llu; writing again", (unsigned long long)used,
		    (unsigned long long)p->max_use);
	atomic_store(&budget_over, used > p->max_use);
	atomic_store(&budget_pub_used, (int64_t)used);
	atomic_fetch_add(&budget_pub_removed, removed);
}

static void *
budget_main(void *arg)
{
	struct budget_plan *plan = arg;
	struct timespec ts;

	pthread_mutex_lock(&budget.lock);
	while (!budget.stop) {
		if (budget.next != NULL) {
			budget_plan_free(plan);
			plan = budget.next;
			budget.next = NULL;
		}
		pthread_mutex_unlock(&budget.lock);
		if (plan->max_use > 0)
			budget_pass(plan);
		else
			atomic_store(&budget_over, false);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += plan->interval_ms / 1000;
		ts.tv_nsec += (long)(plan->interval_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&budget.lock);
		while (!budget.stop && budget.next == NULL &&
		    pthread_cond_timedwait(&budget.wake, &budget.lock,
		    &ts) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&budget.lock);
	budget_plan_free(plan);
	return NULL;
}

int
budget_start(const struct config *c, char *err, size_t errlen)
{
	struct budget_plan *p;
	int rc;

	if (c->budget_max_use == 0 || budget.running)
		return 0;
	if ((p = budget_plan_new(c)) == NULL) {
		snprintf(err, errlen, "disk budget: out of memory");
		return -1;
	}
	budget.stop = false;
	if ((rc = pthread_create(&budget.thread, NULL, budget_main, p)) != 0) {
		budget_plan_free(p);
		snprintf(err, errlen, "disk budget: cannot start its thread: "
		    "%s", strerror(rc));
		return -1;
	}
	budget.running = true;
	return 0;
}

void
budget_update(const struct config *c)
{
	struct budget_plan *p;
	char err[256];

	if (!budget.running) {
		if (budget_start(c, err, sizeof(err)) == -1)
			log_warn("%s", err);
		return;
	}
	if ((p = budget_plan_new(c)) == NULL) {
		log_warn("disk budget: out of memory; keeping the old outputs");
		return;
	}
	pthread_mutex_lock(&budget.lock);
	budget_plan_free(budget.next);
	budget.next = p;
	pthread_cond_signal(&budget.wake);
	pthread_mutex_unlock(&budget.lock);
}

void
budget_stop(void)
{
	if (!budget.running)
		return;
	pthread_mutex_lock(&budget.lock);
	budget.stop = true;
	pthread_cond_signal(&budget.wake);
	pthread_mutex_unlock(&budget.lock);
	pthread_join(budget.thread, NULL);
	budget_plan_free(budget.next);
	budget.next = NULL;
	budget.running = false;
	atomic_store(&budget_over, false);
}

bool
budget_exceeded(void)
{
	return atomic_load(&budget_over);
}

int64_t
budget_used(void)
{
	return atomic_load(&budget_pub_used);
}

uint64_t
budget_removed(void)
{
	return atomic_load(&budget_pub_removed);
}
