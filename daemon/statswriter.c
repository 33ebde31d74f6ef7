/* SPDX-License-Identifier: ISC */
/*
 * statswriter.c: the stats file's own thread (see statswriter.h). It
 * touches nothing of the loop's: it owns each post it takes, and reads
 * only the slot, the stop flag and the eventfd.
 */
#include <sys/eventfd.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "statswriter.h"

struct statswriter_post {
	char	*path;
	char	*text;
};

struct statswriter {
	pthread_t	 thread;
	int		 efd;		/* posts and the stop request */
	_Atomic(struct statswriter_post *) slot;	/* newest, not taken */
	atomic_bool	 stop;
	atomic_bool	 done;		/* the thread has returned */
};

/* One for each thread: the writer's, and the loop's (statswriter_wake). */
static struct log_ratelimit statswriter_rl = LOG_RATELIMIT_INIT(60000, 2);
static struct log_ratelimit statswriter_wake_rl = LOG_RATELIMIT_INIT(60000, 2);

static void
statswriter_post_free(struct statswriter_post *p)
{
	if (p == NULL)
		return;
	free(p->path);
	free(p->text);
	free(p);
}

static int
statswriter_write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* PATH.tmp, then rename: the textfile collector reads only *.prom, so it
 * never sees the temporary. A stale temporary (a crash mid-write) is
 * removed once and the write tried again. */
static void
statswriter_write(const struct statswriter_post *p)
{
	char tmp[4096];
	int fd, tries;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", p->path) >= (int)sizeof(tmp)) {
		log_limited(&statswriter_rl, "stats file %s: path too long",
		    p->path);
		return;
	}
	for (tries = 0; ; tries++) {
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0644);
		if (fd != -1 || errno != EEXIST || tries > 0)
			break;
		(void)unlink(tmp);
	}
	if (fd == -1) {
		log_limited(&statswriter_rl, "stats file %s: %s", tmp,
		    strerror(errno));
		return;
	}
	if (statswriter_write_all(fd, p->text, strlen(p->text)) == -1) {
		log_limited(&statswriter_rl, "stats file %s: write: %s", tmp,
		    strerror(errno));
		(void)close(fd);
		(void)unlink(tmp);
		return;
	}
	if (close(fd) == -1 || rename(tmp, p->path) == -1) {
		log_limited(&statswriter_rl, "stats file %s: %s", p->path,
		    strerror(errno));
		(void)unlink(tmp);
	}
}

static void *
statswriter_thread(void *arg)
{
	struct statswriter *w = arg;
	struct statswriter_post *p;
	uint64_t v;

	for (;;) {
		if ((p = atomic_exchange(&w->slot, NULL)) != NULL) {
			statswriter_write(p);
			statswriter_post_free(p);
			continue;
		}
		if (atomic_load(&w->stop))
			break;
		if (read(w->efd, &v, sizeof(v)) == -1 && errno != EINTR &&
		    errno != EAGAIN)
			break;
	}
	atomic_store(&w->done, true);
	return NULL;
}

struct statswriter *
statswriter_new(void)
{
	struct statswriter *w;
	int error;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	if ((w->efd = eventfd(0, EFD_CLOEXEC)) == -1) {
		free(w);
		return NULL;
	}
	if ((error = pthread_create(&w->thread, NULL, statswriter_thread,
	    w)) != 0) {
		close(w->efd);
		free(w);
		errno = error;
		return NULL;
	}
	return w;
}

static void
statswriter_wake(struct statswriter *w)
{
	uint64_t one = 1;

	/* Cannot block: the counter would have to reach 2^64 - 1. */
	if (write(w->efd, &one, sizeof(one)) == -1)
		log_limited(&statswriter_wake_rl, "eventfd: %s",
		    strerror(errno));
}

void
statswriter_post(struct statswriter *w, const char *path, char *text)
{
	struct statswriter_post *p;

	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->path = strdup(path)) == NULL) {
		free(p);
		free(text);
		return;		/* the next interval tries again */
	}
	p->text = text;
	statswriter_post_free(atomic_exchange(&w->slot, p));
	statswriter_wake(w);
}

void
statswriter_free(struct statswriter *w, int timeout_ms)
{
	struct timespec ts;

	if (w == NULL)
		return;
	atomic_store(&w->stop, true);
	statswriter_wake(w);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	if (pthread_timedjoin_np(w->thread, NULL, &ts) != 0) {
		log_warn("stats file: its writer is stuck; leaving it");
		return;
	}
	statswriter_post_free(atomic_exchange(&w->slot, NULL));
	close(w->efd);
	free(w);
}
