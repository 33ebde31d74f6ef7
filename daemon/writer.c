/* SPDX-License-Identifier: ISC */
/*
 * writer.c: one output file's thread: writes whole chunks, undoes a failed
 * chunk with ftruncate, drops and counts while the disk is full, probes for
 * space, writes the drop marker, syncs per policy, rotates (rotate.c),
 * reopens on request and takes new settings on reload.
 *
 * Every file is reached through the output's directory descriptor, opened
 * here on the thread, by its name and never through a symbolic link
 * (logdir.h): the directory may be writable by someone who is not us.
 *
 * Runs on its own thread and never touches libevent except for
 * event_active() on the completion event, which libevent makes thread-safe
 * (evthread_use_pthreads() is called at start-up).
 */
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <grp.h>
#include <pwd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "budget.h"
#include "clock.h"
#include "chunk.h"
#include "format.h"
#include "handoff.h"
#include "log.h"
#include "logdir.h"
#include "report.h"
#include "rotate.h"
#include "sink.h"
#include "template.h"
#include "writer.h"

struct writer_file {
	char		 name[NAME_MAX + 1];
	int		 fd;		/* -1: slot free */
	int64_t		 first_ns;
	uint64_t	 used;		/* tick of its last write */
};

struct writer {
	struct sink	 sink;		/* first: a struct sink * is a writer */
	struct config_output *conf;	/* private copy, writer thread only */
	char		 host[256];
	size_t		 chunk_size;
	pthread_t	 thread;
	struct handoff	 ho;		/* chunks and requests from the loop */

	/* Writer thread only. */
	int		 dirfd;		/* the directory the file is in */
	char		 name[NAME_MAX + 1];	/* the file's name in it */
	int		 fd;
	int64_t		 first_ns;	/* receive time of the file's first
					 * record, 0 while empty: rotate.age */
	struct log_ratelimit rl;	/* rotation and reopen failures */
	bool		 dropping;
	const char	*drop_reason;
	uint64_t	 lost;		/* records dropped in this dropping period */
	int64_t		 lost_first_ns;
	int64_t		 lost_last_ns;
	struct tally	 lost_by;	/* who lost those records */
	int64_t		 last_probe_ns;	/* monotonic */
	int64_t		 last_sync_ns;	/* monotonic */
	bool		 unsynced;

	/*
	 * A path with fields (conf->name_template): the files open now,
	 * at most max_open_files, the least recently used closed first.
	 * The one being written is "current": its descriptor, name and age
	 * are fd, name and first_ns above, so that every step written for
	 * one file (rotation, undo, reserve, marker) serves each of them.
	 * files[0] is the fallback file, never closed.
	 */
	struct writer_file *files;	/* NULL: the path is one file */
	unsigned	 nslots;
	unsigned	 cur;		/* the slot in fd, name, first_ns */
	uint64_t	 tick;		/* LRU clock */
	char		*scratch;	/* one file's lines of a chunk */
	struct writer_line *lines;	/* a chunk's records, indexed */
	uint32_t	*heads;		/* by file name: 2 * ncap slots */
	size_t		 ncap;

	/* Published for stats, read from the loop thread. */
	_Atomic int	 pub_dropping;
	_Atomic int64_t	 pub_since_ns;
	_Atomic(const char *) pub_reason;
	_Atomic int64_t	 pub_last_write_ns;
	_Atomic int64_t	 pub_free_bytes;
};

static void	*writer_main(void *);
static int	 writer_marker(struct writer *);
static int	 writer_reserve(int, off_t);
static const struct sink_ops writer_ops;

/* owner/group names -> ids; (uid_t)-1 / (gid_t)-1 leave them unchanged. */
static int
writer_owner(const struct config_output *conf, uid_t *uid, gid_t *gid,
    char *err, size_t errlen)
{
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	char buf[4096];

	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (conf->owner != NULL && conf->owner[0] != '\0') {
		if (getpwnam_r(conf->owner, &pw, buf, sizeof(buf), &pwp) != 0 ||
		    pwp == NULL) {
			snprintf(err, errlen, "output %s: unknown owner '%s'",
			    conf->name, conf->owner);
			return -1;
		}
		*uid = pw.pw_uid;
	}
	if (conf->group != NULL && conf->group[0] != '\0') {
		if (getgrnam_r(conf->group, &gr, buf, sizeof(buf), &grp) != 0 ||
		    grp == NULL) {
			snprintf(err, errlen, "output %s: unknown group '%s'",
			    conf->name, conf->group);
			return -1;
		}
		*gid = gr.gr_gid;
	}
	return 0;
}

/*
 * Open the directory of conf->path and, as root, refuse one that others can
 * write unless allow_shared_dir says to accept it (then warn, every start).
 */
static int
writer_open_dir(struct writer *w, char *err, size_t errlen)
{
	const struct config_output *conf = w->conf;
	int r;

	if ((w->dirfd = logdir_open(conf->fallback != NULL ? conf->fallback :
	    conf->path, conf->name, w->name, sizeof(w->name), err,
	    errlen)) == -1)
		return -1;
	r = logdir_check(w->dirfd, conf->path, conf->name,
	    conf->allow_shared_dir, err, errlen);
	if (r == 1)
		log_warn("%s", err);
	return r == -1 ? -1 : 0;
}

/*
 * When did the file's first record arrive? That is what rotate.age counts
 * from, so neither a reopen nor a restart postpones rotation. Read from the
 * file's first line (every format starts with the receive time), or, when
 * that cannot be read or parsed, the file's last modification: later than
 * the truth, so rotation may come late, never early. 0 for an empty file or
 * one that is not regular (never rotated). Read through a second descriptor
 * (the first is write-only), checked to be the same file.
 */
static int64_t
writer_first_record_ns(struct writer *w, const struct stat *st)
{
	char buf[256];
	struct stat rst;
	int64_t ns;
	ssize_t n = -1;
	char *nl;
	int fd;

	if (!S_ISREG(st->st_mode) || st->st_size == 0)
		return 0;
	if ((fd = logdir_openat(w->dirfd, w->name, O_RDONLY | O_NONBLOCK,
	    0)) != -1) {
		if (fstat(fd, &rst) == 0 && rst.st_dev == st->st_dev &&
		    rst.st_ino == st->st_ino)
			n = pread(fd, buf, sizeof(buf), 0);
		(void)close(fd);	/* read-only; nothing to lose */
	}
	/* The time is near the start: a first line longer than buf will do. */
	if (n > 0 && format_line_time(buf, (nl = memchr(buf, '\n',
	    (size_t)n)) != NULL ? (size_t)(nl - buf) : (size_t)n, &ns) == 0)
		return ns;
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/*
 * A file whose last line has no '\n' was cut by a crash of whoever wrote
 * it (our own SIGKILL or power loss mid-write(2): a disk-full undo never
 * leaves one). Cut that torn tail off, so the next record starts a line of
 * its own instead of continuing the fragment into a line that reads as
 * another record. Returns the file's new size.
 */
static off_t
writer_cut_torn_tail(struct writer *w, int fd, const struct stat *st)
{
	char buf[65536];
	struct stat rst;
	off_t from, keep = st->st_size;
	ssize_t n = -1;
	char *nl;
	int rfd;

	if (!S_ISREG(st->st_mode) || st->st_size == 0)
		return st->st_size;
	from = st->st_size > (off_t)sizeof(buf) ? st->st_size -
	    (off_t)sizeof(buf) : 0;
	if ((rfd = logdir_openat(w->dirfd, w->name, O_RDONLY | O_NONBLOCK,
	    0)) != -1) {
		if (fstat(rfd, &rst) == 0 && rst.st_dev == st->st_dev &&
		    rst.st_ino == st->st_ino)
			n = pread(rfd, buf, (size_t)(st->st_size - from), from);
		(void)close(rfd);	/* read-only; nothing to lose */
	}
	if (n <= 0 || buf[n - 1] == '\n')
		return st->st_size;
	if ((nl = memrchr(buf, '\n', (size_t)n)) != NULL)
		keep = from + (nl - buf) + 1;
	else if (from == 0)
		keep = 0;
	else
		return st->st_size;	/* a torn line longer than 64K: leave it */
	if (ftruncate(fd, keep) == -1) {
		log_warn("output %s: cannot cut the torn last line of %s: %s",
		    w->conf->name, w->conf->path, strerror(errno));
		return st->st_size;
	}
	log_warn("output %s: %s ended inside a line (a crash while writing); "
	    "cut its last %lld bytes", w->conf->name, w->conf->path,
	    (long long)(st->st_size - keep));
	return keep;
}

/*
 * Open (or create) the output file with exactly file_mode, whatever the
 * umask, and the configured owner and group. Never through a symbolic link
 * at its name; only a regular file with no other name (logdir_owns) is
 * changed: a FIFO or /dev/full keeps its own, and so does a hard link to a
 * file elsewhere.
 */
static int
writer_open(struct writer *w, char *err, size_t errlen)
{
	const struct config_output *conf = w->conf;
	struct stat st;
	uid_t uid;
	gid_t gid;
	int fd;

	if (writer_owner(conf, &uid, &gid, err, errlen) == -1)
		return -1;
	/*
	 * O_NONBLOCK for the open only: opening a FIFO nobody reads would
	 * otherwise block this thread for good, and with it the reload that
	 * waits for the open's result; it fails instead. Writes are blocking
	 * again.
	 */
	fd = logdir_openat(w->dirfd, w->name, O_WRONLY | O_APPEND | O_CREAT |
	    O_NONBLOCK, conf->file_mode);
	if (fd == -1) {
		snprintf(err, errlen, "output %s: cannot open %s: %s",
		    conf->name, conf->path, errno == ENXIO ?
		    "a FIFO without a reader" : logdir_strerror(errno));
		return -1;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == -1 ||
	    fstat(fd, &st) == -1) {
		snprintf(err, errlen, "output %s: %s: %s", conf->name,
		    conf->path, strerror(errno));
		close(fd);
		return -1;
	}
	if (S_ISREG(st.st_mode) && !logdir_owns(&st))
		log_warn("output %s: %s has %lu names (hard links); leaving "
		    "its mode and owner alone", conf->name, conf->path,
		    (unsigned long)st.st_nlink);
	else if (S_ISREG(st.st_mode)) {
		if ((st.st_mode & 07777) != conf->file_mode &&
		    fchmod(fd, conf->file_mode) == -1)
			log_warn("output %s: chmod %s: %s", conf->name,
			    conf->path, strerror(errno));
		if ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
		    fchown(fd, uid, gid) == -1) {
			snprintf(err, errlen, "output %s: chown %s: %s",
			    conf->name, conf->path, strerror(errno));
			close(fd);
			return -1;
		}
	}
	if (S_ISREG(st.st_mode) && logdir_owns(&st))
		st.st_size = writer_cut_torn_tail(w, fd, &st);
	if (S_ISREG(st.st_mode))
		(void)writer_reserve(fd, st.st_size);
	w->fd = fd;
	w->first_ns = writer_first_record_ns(w, &st);
	return 0;
}

static struct writer *
writer_of(const struct sink *s)
{
	return (struct writer *)s;
}

static enum sink_open
writer_open_state(struct sink *s, bool wait, char *err, size_t errlen)
{
	return handoff_open_state(&writer_of(s)->ho, wait, err, errlen);
}

static int
writer_files_new(struct writer *w, const struct config_output *conf,
    size_t chunk_size)
{
	unsigned i;

	w->nslots = conf->max_open_files < 2 ? 2 : conf->max_open_files;
	if ((w->files = calloc(w->nslots, sizeof(*w->files))) == NULL ||
	    (w->scratch = malloc(chunk_size)) == NULL) {
		free(w->files);
		return -1;
	}
	for (i = 0; i < w->nslots; i++)
		w->files[i].fd = -1;
	return 0;
}

static void
writer_files_free(struct writer *w)
{
	free(w->files);
	free(w->scratch);
	free(w->lines);
	free(w->heads);
}

struct sink *
writer_new(const struct config_output *conf, const char *host,
    size_t chunk_size, struct event *done, char *err, size_t errlen)
{
	struct writer *w;
	int rc;

	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->conf = config_output_dup(conf)) == NULL) {
		free(w);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->sink.ops = &writer_ops;
	if (conf->name_template != NULL && writer_files_new(w, conf,
	    chunk_size) == -1) {
		config_output_free(w->conf);
		free(w);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(w->host, sizeof(w->host), "%s", host);
	w->chunk_size = chunk_size;
	w->dirfd = -1;
	w->fd = -1;
	handoff_init(&w->ho, done, -1);
	atomic_store(&w->pub_free_bytes, -1);
	w->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(60000, 3);
	if ((rc = pthread_create(&w->thread, NULL, writer_main, w)) != 0) {
		snprintf(err, errlen, "output %s: cannot start writer thread: %s",
		    conf->name, strerror(rc));
		handoff_destroy(&w->ho);
		config_output_free(w->conf);
		writer_files_free(w);
		free(w);
		return NULL;
	}
	return &w->sink;
}

static void
writer_submit(struct sink *s, struct chunk *c)
{
	handoff_submit(&writer_of(s)->ho, c);
}

static void
writer_take_done(struct sink *s, struct chunk_list *out)
{
	handoff_take_done(&writer_of(s)->ho, out);
}

static int
writer_reconfigure(struct sink *s, const struct config_output *conf)
{
	return handoff_reconfigure(&writer_of(s)->ho, conf);
}

static void
writer_stop(struct sink *s)
{
	handoff_stop(&writer_of(s)->ho);
}

static bool
writer_finished(struct sink *s)
{
	return handoff_finished(&writer_of(s)->ho);
}

static void
writer_reopen(struct sink *s)
{
	handoff_reopen(&writer_of(s)->ho);
}

static bool
writer_dropping(const struct sink *s, int64_t *since_ns, const char **reason)
{
	struct writer *w = writer_of(s);
	bool d = atomic_load(&w->pub_dropping) != 0;

	if (since_ns != NULL)
		*since_ns = atomic_load(&w->pub_since_ns);
	if (reason != NULL)
		*reason = atomic_load(&w->pub_reason);
	return d;
}

static int64_t
writer_last_write_ns(const struct sink *s)
{
	return atomic_load(&writer_of(s)->pub_last_write_ns);
}

static int64_t
writer_free_bytes(const struct sink *s)
{
	return atomic_load(&writer_of(s)->pub_free_bytes);
}

/* Write all of buf at the end of the file; -1 with errno on any failure. */
static int
writer_write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = ENOSPC;
			return -1;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

/*
 * To a pipe: whole lines in writes of at most PIPE_BUF bytes, which the
 * kernel makes atomic, so a daemon killed mid-chunk leaves no torn line in
 * the pipe for its reader (a file is undone with ftruncate instead; a
 * pipe cannot be). Only a record longer than PIPE_BUF is written in parts.
 */
static int
writer_write_lines(int fd, const char *buf, size_t len)
{
	const char *nl;
	size_t n, take;

	while (len > 0) {
		take = 0;
		while (take < len) {
			n = len - take < PIPE_BUF ? len - take : PIPE_BUF;
			if ((nl = memchr(buf + take, '\n', n)) == NULL)
				break;
			if ((size_t)(nl - buf) + 1 > PIPE_BUF)
				break;
			take = (size_t)(nl - buf) + 1;
		}
		if (take == 0)	/* a line longer than PIPE_BUF */
			take = (nl = memchr(buf, '\n', len)) != NULL ?
			    (size_t)(nl - buf) + 1 : len;
		if (writer_write_all(fd, buf, take) == -1)
			return -1;
		buf += take;
		len -= take;
	}
	return 0;
}

/*
 * A few preallocated blocks past the end of the file (FALLOC_FL_KEEP_SIZE:
 * the size does not change), so a drop marker can still be written when the
 * filesystem has no free block left, e.g. when the daemon stops while the
 * disk is full. Ordinary writes use the reserve up, so it is renewed after
 * each one, and a chunk after which it cannot be renewed (ENOSPC) is undone
 * and dropped like one that did not fit: the blocks it gave back hold the
 * reserve again. Best effort otherwise: a FIFO, /dev/full or a filesystem
 * without fallocate simply has none. Returns 0 or an errno value.
 */
static int
writer_reserve(int fd, off_t size)
{
	return fallocate(fd, FALLOC_FL_KEEP_SIZE, size, WRITER_RESERVE) == -1 ?
	    errno : 0;
}

/* Cut a failed write back to size: no torn line survives. */
static void
writer_undo(struct writer *w, const struct stat *before)
{
	if (!S_ISREG(before->st_mode))
		return;	/* /dev/full, a FIFO: nothing of it stays anywhere */
	if (ftruncate(w->fd, before->st_size) == -1) {
		log_warn("output %s: cannot undo a failed write (ftruncate: "
		    "%s); the file may end with a partial line", w->conf->name,
		    strerror(errno));
		return;
	}
	(void)writer_reserve(w->fd, before->st_size);
}

/* Give the reserve back before closing a file for good. The reserve is
 * fallocated with KEEP_SIZE, so a failure costs only those blocks, never
 * the file's contents: said, not fatal. */
static void
writer_release(int fd)
{
	struct stat st;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    ftruncate(fd, st.st_size) == -1)
		log_warn("releasing a log file's reserve: %s", strerror(errno));
}

/* Free bytes on the output's filesystem and the keep_free floor; -1 unknown. */
static int64_t
writer_free_space(struct writer *w, int64_t *floor)
{
	struct statvfs sv;
	int64_t avail, total;

	*floor = 0;
	if (fstatvfs(w->fd, &sv) == -1)
		return -1;
	avail = (int64_t)sv.f_bavail * (int64_t)sv.f_frsize;
	total = (int64_t)sv.f_blocks * (int64_t)sv.f_frsize;
	if (w->conf->keep_free_percent > 0)
		*floor = total / 100 * w->conf->keep_free_percent;
	if ((int64_t)w->conf->keep_free_bytes > *floor)
		*floor = (int64_t)w->conf->keep_free_bytes;
	atomic_store(&w->pub_free_bytes, avail);
	return avail;
}

static void
writer_enter_dropping(struct writer *w, const char *reason, int64_t now_ns)
{
	int64_t floor;

	w->dropping = true;
	w->drop_reason = reason;
	w->lost = 0;
	w->lost_first_ns = 0;
	tally_clear(&w->lost_by);
	w->lost_last_ns = 0;
	w->last_probe_ns = clock_mono_ns();
	atomic_store(&w->pub_reason, reason);
	atomic_store(&w->pub_since_ns, now_ns);
	atomic_store(&w->pub_dropping, 1);
	(void)writer_free_space(w, &floor);	/* stats show it at once */
	log_warn("output %s: %s: dropping records until there is room",
	    w->conf->name, reason);
}

static void
writer_count_lost(struct writer *w, const struct chunk *c)
{
	if (c->nrecords == 0)
		return;
	if (w->lost == 0)
		w->lost_first_ns = c->first_ns;
	w->lost += c->nrecords;
	tally_merge(&w->lost_by, &c->senders);
	w->lost_last_ns = c->last_ns;
}

/* The marker is a record of asynclogd itself, in the output's format. */
static ssize_t
writer_format_marker(struct writer *w, char *buf, size_t cap)
{
	struct report r;

	report_output_dropped(&r, w->lost, w->drop_reason, w->lost_first_ns,
	    w->lost_last_ns, &w->lost_by);
	return template_line(w->conf->format, w->conf->template,
	    w->conf->sd_id, &r.rec, w->host, buf, cap);
}

/*
 * Write the drop marker whole, or not at all: one that does not fit (the
 * disk filled again) is undone like a chunk. Returns 0 or -1.
 */
static int
writer_write_marker(struct writer *w)
{
	char marker[1024];
	struct stat st;
	ssize_t n;

	if ((n = writer_format_marker(w, marker, sizeof(marker))) < 0 ||
	    fstat(w->fd, &st) == -1)
		return -1;
	if (writer_write_all(w->fd, marker, n) == -1) {
		writer_undo(w, &st);
		return -1;
	}
	if (S_ISREG(st.st_mode) && st.st_size == 0)
		w->first_ns = clock_now_ns();
	(void)writer_reserve(w->fd, st.st_size + n);
	w->unsynced = true;
	return 0;
}

/* While dropping: is there room again? Then write the marker and resume. */
static void
writer_probe(struct writer *w)
{
	int64_t avail, floor;

	w->last_probe_ns = clock_mono_ns();
	avail = writer_free_space(w, &floor);
	if (avail != -1 && avail < floor + (int64_t)w->chunk_size)
		return;
	if (budget_exceeded())
		return;
	if (w->lost > 0 && writer_marker(w) == -1)
		return;
	log_info("output %s: writing again; %llu records were dropped (%s)",
	    w->conf->name, (unsigned long long)w->lost, w->drop_reason);
	w->dropping = false;
	w->lost = 0;
	atomic_store(&w->pub_dropping, 0);
	atomic_store(&w->pub_last_write_ns, clock_now_ns());
}

static const char *
writer_errno_reason(int e)
{
	switch (e) {
	case ENOSPC:
		return "disk full";
	case EDQUOT:
		return "quota exceeded";
	case EFBIG:
		return "file too large";
	default:
		return "write error";
	}
}

static void
writer_sync_fd(struct writer *w, int fd)
{
	if (fdatasync(fd) == -1 && errno != EINVAL && errno != EROFS)
		log_warn("output %s: fdatasync: %s", w->conf->name,
		    strerror(errno));
}

static void writer_park(struct writer *);

/* Every open file of the output: one, or each of a path with fields. */
static void
writer_sync(struct writer *w)
{
	unsigned i;

	if (w->files == NULL)
		writer_sync_fd(w, w->fd);
	else {
		writer_park(w);
		for (i = 0; i < w->nslots; i++)
			if (w->files[i].fd != -1)
				writer_sync_fd(w, w->files[i].fd);
	}
	w->unsynced = false;
	w->last_sync_ns = clock_mono_ns();
}

/* Would appending len bytes pass rotate.size, or did the file's first
 * record arrive longer than rotate.age ago? An empty file is never rotated. */
static bool
writer_rotate_due(const struct writer *w, const struct stat *st, size_t len)
{
	const struct config_output *conf = w->conf;

	if (!S_ISREG(st->st_mode) || st->st_size == 0)
		return false;
	if (conf->rotate_size > 0 &&
	    (uint64_t)st->st_size + len > conf->rotate_size)
		return true;
	return conf->rotate_age_s > 0 && w->first_ns != 0 &&
	    clock_now_ns() - w->first_ns >=
	    (int64_t)conf->rotate_age_s * 1000000000;
}

/*
 * Move the live file away and continue in a new one, then compress the
 * moved one. The new file is opened before compressing (which unlinks the
 * uncompressed copy), and the old descriptor stays open until the new file
 * is, so a failure to create it costs no record: we go on writing to the
 * moved file. A live file that someone else moved away (logrotate without a
 * HUP yet) is simply reopened.
 */
static void
writer_rotate(struct writer *w)
{
	const struct config_output *conf = w->conf;
	char err[512], src[NAME_MAX + 8], dst[NAME_MAX + 8];
	struct stat st;
	bool moved = false;
	int oldfd = w->fd;

	if (w->unsynced)
		writer_sync(w);
	if (rotate_shift(w->dirfd, w->name, conf->rotate_keep, false, 0,
	    &moved, err, sizeof(err)) == -1)
		log_limited(&w->rl, "output %s: rotating %s: %s", conf->name,
		    conf->path, err);
	if (!moved && fstatat(w->dirfd, w->name, &st,
	    AT_SYMLINK_NOFOLLOW) == 0)
		return;
	if (writer_open(w, err, sizeof(err)) == -1) {
		log_limited(&w->rl, "%s; still writing to the rotated file", err);
		w->fd = oldfd;
		return;
	}
	writer_release(oldfd);
	if (close(oldfd) == -1)
		log_warn("output %s: close: %s", conf->name, strerror(errno));
	if (!moved || !conf->rotate_compress || conf->rotate_keep == 0)
		return;
	snprintf(src, sizeof(src), "%s.1", w->name);
	snprintf(dst, sizeof(dst), "%s.1.zst", w->name);
	if (rotate_compress_file(w->dirfd, src, dst, ROTATE_ZSTD_LEVEL, err,
	    sizeof(err)) == -1)
		log_limited(&w->rl, "output %s: compressing beside %s: %s; %s "
		    "stays uncompressed", conf->name, conf->path, err, src);
	else if (unlinkat(w->dirfd, src, 0) == -1)
		log_limited(&w->rl, "output %s: unlink %s.1: %s", conf->name,
		    conf->path, strerror(errno));
}

static void
writer_write_chunk(struct writer *w, struct chunk *c)
{
	int64_t avail, floor;
	struct stat st;
	int e;

	c->nwritten = 0;
	c->ndropped = 0;
	if (!w->dropping && budget_exceeded())
		writer_enter_dropping(w, "disk budget", c->first_ns);
	if (!w->dropping && (w->conf->keep_free_bytes > 0 ||
	    w->conf->keep_free_percent > 0)) {
		avail = writer_free_space(w, &floor);
		if (avail != -1 && avail - (int64_t)c->len < floor)
			writer_enter_dropping(w, "keep_free", c->first_ns);
	}
	if (w->dropping) {
		writer_count_lost(w, c);
		c->ndropped = c->nrecords;
		return;
	}
	/* Where this chunk starts, read from the file itself: an external
	 * truncate (logrotate copytruncate) must not make us cut wrongly. */
	if (fstat(w->fd, &st) == -1) {
		e = errno;
		goto failed;
	}
	if (writer_rotate_due(w, &st, c->len)) {
		writer_rotate(w);
		if (fstat(w->fd, &st) == -1) {
			e = errno;
			goto failed;
		}
	}
	if ((S_ISFIFO(st.st_mode) ? writer_write_lines(w->fd, c->buf, c->len) :
	    writer_write_all(w->fd, c->buf, c->len)) == 0 &&
	    (!S_ISREG(st.st_mode) ||
	    writer_reserve(w->fd, st.st_size + c->len) != ENOSPC)) {
		c->nwritten = c->nrecords;
		if (S_ISREG(st.st_mode) && st.st_size == 0)
			w->first_ns = c->first_ns;	/* a new file's age */
		w->unsynced = true;
		atomic_store(&w->pub_last_write_ns, clock_now_ns());
		/* Free space for stats, at most once a second. */
		if (clock_mono_ns() - w->last_probe_ns >= 1000000000LL) {
			w->last_probe_ns = clock_mono_ns();
			(void)writer_free_space(w, &floor);
		}
		if (w->conf->sync == SYNC_ALWAYS)
			writer_sync(w);
		return;
	}
	e = errno;	/* from write(2), or ENOSPC from the reserve */
	writer_undo(w, &st);
failed:
	writer_enter_dropping(w, writer_errno_reason(e), c->first_ns);
	if (e != ENOSPC && e != EDQUOT && e != EFBIG)
		log_warn("output %s: write: %s", w->conf->name, strerror(e));
	writer_count_lost(w, c);
	c->ndropped = c->nrecords;
}

/* Keep the current file's descriptor and age in its slot. */
static void
writer_park(struct writer *w)
{
	struct writer_file *f = &w->files[w->cur];

	f->fd = w->fd;
	f->first_ns = w->first_ns;
	memcpy(f->name, w->name, sizeof(f->name));
}

/* Make slot i the current file. */
static void
writer_select(struct writer *w, unsigned i)
{
	if (i == w->cur)
		return;
	writer_park(w);
	w->cur = i;
	w->fd = w->files[i].fd;
	w->first_ns = w->files[i].first_ns;
	memcpy(w->name, w->files[i].name, sizeof(w->name));
}

/* Close the file in slot i for good (not the current one). */
static void
writer_evict(struct writer *w, unsigned i)
{
	struct writer_file *f = &w->files[i];

	if (f->fd == -1)
		return;
	/* Its data must not wait for a sync that will never come. */
	if (w->conf->sync != SYNC_NEVER)
		writer_sync_fd(w, f->fd);
	writer_release(f->fd);
	if (close(f->fd) == -1)
		log_warn("output %s: close %s: %s", w->conf->name, f->name,
		    strerror(errno));
	f->fd = -1;
}

/*
 * Make the file named name (len bytes; 0: the fallback) current, opening
 * it in a free slot or in that of the least recently used file. A file
 * that cannot be opened is reported (rate-limited) and its records go to
 * the fallback file rather than being lost.
 */
static void
writer_use(struct writer *w, const char *name, size_t len)
{
	char err[512];
	unsigned i, victim = 0;

	w->tick++;
	writer_park(w);
	/* A field may name the fallback file itself: one descriptor for it,
	 * or each would rotate the file under the other. */
	if (strlen(w->files[0].name) == len &&
	    memcmp(w->files[0].name, name, len) == 0)
		len = 0;
	for (i = 1; len > 0 && i < w->nslots; i++) {
		if (w->files[i].fd != -1 && strlen(w->files[i].name) == len &&
		    memcmp(w->files[i].name, name, len) == 0) {
			writer_select(w, i);
			w->files[i].used = w->tick;
			return;
		}
		if (victim == 0 || w->files[i].fd == -1 ||
		    (w->files[victim].fd != -1 &&
		    w->files[i].used < w->files[victim].used))
			victim = i;
	}
	if (len == 0 || victim == 0) {
		writer_select(w, 0);
		return;
	}
	writer_select(w, 0);	/* never evict the current file */
	writer_evict(w, victim);
	writer_select(w, victim);
	memcpy(w->name, name, len);
	w->name[len] = '\0';
	if (writer_open(w, err, sizeof(err)) == -1) {
		log_limited(&w->rl, "%s (file %s); writing to the fallback "
		    "file instead", err, w->name);
		w->fd = -1;
		writer_select(w, 0);
		return;
	}
	w->files[victim].used = w->tick;
}

/* One record of a named chunk: where its line is, the next of its file. */
struct writer_line {
	uint32_t	 name;		/* offset of the name's length byte */
	uint32_t	 line;		/* offset of the line */
	uint32_t	 len;		/* of the line, '\n' included */
	uint32_t	 next;		/* next record of the same file, or ~0 */
	uint32_t	 tail;		/* the first of a file: its last one */
};

/* Room for n records and a hash table of twice as many slots. */
static int
writer_grow_index(struct writer *w, size_t n)
{
	struct writer_line *nl;
	uint32_t *nh;
	size_t cap = w->ncap == 0 ? 256 : w->ncap;

	while (cap < n)
		cap *= 2;
	if (cap == w->ncap)
		return 0;
	if ((nl = reallocarray(w->lines, cap, sizeof(*nl))) == NULL)
		return -1;
	w->lines = nl;
	if ((nh = reallocarray(w->heads, 2 * cap, sizeof(*nh))) == NULL)
		return -1;
	w->heads = nh;
	w->ncap = cap;
	return 0;
}

static uint32_t
writer_hash(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	while (n-- > 0)
		h = (h ^ *p++) * 16777619u;
	return h;
}

/*
 * A chunk of a path with fields (chunk.h): its records are indexed by
 * file name (a hash table on this thread, grown as chunks need, never
 * per record), then each file's lines are gathered in scratch, in their
 * order, and written as one chunk of their own with all the guarantees of
 * writer_write_chunk(): whole lines, undo, disk-full state, rotation.
 */
static void
writer_write_named(struct writer *w, struct chunk *c)
{
	const unsigned char *b = (const unsigned char *)c->buf;
	struct writer_line *l, *first;
	struct chunk g;
	size_t pos, n = 0, i, slot, mask;
	uint32_t r, nlen;
	const char *nl;

	c->nwritten = c->ndropped = 0;
	for (pos = 0; pos < c->len; n++) {
		if (n >= w->ncap && writer_grow_index(w, n + 1) == -1) {
			/* Out of memory: the chunk is lost, and counted. */
			writer_enter_dropping(w, "out of memory", c->first_ns);
			writer_count_lost(w, c);
			c->ndropped = c->nrecords;
			return;
		}
		l = &w->lines[n];
		nlen = b[pos];
		l->name = (uint32_t)pos;
		l->line = (uint32_t)(pos + 1 + nlen);
		nl = memchr(c->buf + l->line, '\n', c->len - l->line);
		l->len = (uint32_t)((nl != NULL ? (size_t)(nl - c->buf) + 1 :
		    c->len) - l->line);
		l->next = UINT32_MAX;
		pos = l->line + l->len;
	}
	mask = 2 * w->ncap - 1;	/* ncap is a power of two */
	memset(w->heads, 0xff, 2 * w->ncap * sizeof(*w->heads));
	for (i = 0; i < n; i++) {
		l = &w->lines[i];
		nlen = b[l->name];
		slot = writer_hash(b + l->name + 1, nlen) & mask;
		for (; (r = w->heads[slot]) != UINT32_MAX;
		    slot = (slot + 1) & mask) {
			first = &w->lines[r];
			if (b[first->name] == nlen && memcmp(b + first->name +
			    1, b + l->name + 1, nlen) == 0)
				break;
		}
		if (r == UINT32_MAX) {
			w->heads[slot] = (uint32_t)i;	/* a new file */
			l->tail = (uint32_t)i;
			continue;
		}
		w->lines[first->tail].next = (uint32_t)i;
		first->tail = (uint32_t)i;
	}
	memset(&g, 0, sizeof(g));
	g.buf = w->scratch;
	g.first_ns = c->first_ns;
	g.last_ns = c->last_ns;
	for (i = 0; i < n; i++) {
		first = &w->lines[i];
		if (first->name == UINT32_MAX)
			continue;	/* gathered with its file */
		g.len = 0;
		g.nrecords = 0;
		for (r = (uint32_t)i; r != UINT32_MAX; r = l->next) {
			l = &w->lines[r];
			memcpy(g.buf + g.len, c->buf + l->line, l->len);
			g.len += l->len;
			g.nrecords++;
			if (l != first)
				l->name = UINT32_MAX;
		}
		writer_use(w, c->buf + first->name + 1, b[first->name]);
		writer_write_chunk(w, &g);
		c->nwritten += g.nwritten;
		c->ndropped += g.ndropped;
	}
	if (c->ndropped > 0)
		tally_merge(&w->lost_by, &c->senders);
}

/* The drop marker of a path with fields goes to its fallback file. */
static int
writer_marker(struct writer *w)
{
	if (w->files != NULL)
		writer_select(w, 0);
	return writer_write_marker(w);
}

/* SIGHUP: every file but the fallback is closed, to be opened again by
 * name when its next record comes (logrotate may have moved it). */
static void
writer_close_named(struct writer *w)
{
	unsigned i;

	writer_select(w, 0);
	for (i = 1; i < w->nslots; i++)
		writer_evict(w, i);
}

static void
writer_do_reopen(struct writer *w)
{
	char err[512];
	int oldfd = w->fd;

	if (w->unsynced)
		writer_sync(w);
	if (w->files != NULL)
		writer_close_named(w);
	if (writer_open(w, err, sizeof(err)) == -1) {
		log_warn("%s; still writing to the old file", err);
		w->fd = oldfd;
		return;
	}
	writer_release(oldfd);
	close(oldfd);
}

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	struct handoff_take take;
	struct timespec ts;
	char err[512];
	bool ok, stop;

	ok = writer_open_dir(w, err, sizeof(err)) == 0;
	if (ok && rotate_cleanup(w->dirfd, w->name, w->conf->rotate_keep) > 0)
		log_info("output %s: removed leftovers of an interrupted "
		    "compression", w->conf->name);
	if (!ok || writer_open(w, err, sizeof(err)) == -1) {
		handoff_opened(&w->ho, SINK_FAILED, err);
		return NULL;
	}
	handoff_opened(&w->ho, SINK_OPEN, NULL);

	for (;;) {
		/* Something to do on a clock (probe or sync): wake for it. */
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += WRITER_PROBE_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		handoff_take(&w->ho, true, true, w->dropping || w->unsynced ?
		    &ts : NULL, &take);
		stop = take.stop && take.chunk == NULL;
		if (take.next_conf != NULL) {
			/* A reload: same file, new settings, between chunks. */
			config_output_free(w->conf);
			w->conf = take.next_conf;
		}
		if (take.reopen)
			writer_do_reopen(w);
		if (w->dropping &&
		    clock_mono_ns() - w->last_probe_ns >= WRITER_PROBE_MS * 1000000LL)
			writer_probe(w);
		if (take.chunk != NULL) {
			if (w->files != NULL)
				writer_write_named(w, take.chunk);
			else
				writer_write_chunk(w, take.chunk);
			handoff_return(&w->ho, take.chunk);
		}
		if (w->unsynced && w->conf->sync == SYNC_INTERVAL &&
		    clock_mono_ns() - w->last_sync_ns >=
		    (int64_t)w->conf->sync_interval_ms * 1000000)
			writer_sync(w);
		if (w->unsynced && w->conf->sync == SYNC_NEVER)
			w->unsynced = false;
		if (stop)
			break;
	}
	/* Stopping while dropping: the file should still say what it lost,
	 * if there is room for one more line. */
	if (w->dropping && w->lost > 0 && writer_marker(w) == -1)
		log_warn("output %s: stopping while dropping; %llu records "
		    "were dropped (%s) and there is no room to say so in the "
		    "file", w->conf->name, (unsigned long long)w->lost,
		    w->drop_reason);
	writer_sync(w);
	handoff_finish(&w->ho, NULL);
	return NULL;
}

static int
writer_close(struct sink *s, struct chunk_list *done,
    struct sink_counts *counts,
    const struct timespec *deadline)
{
	struct writer *w = writer_of(s);

	writer_stop(s);
	if (deadline == NULL)
		pthread_join(w->thread, NULL);
	else if (pthread_timedjoin_np(w->thread, NULL, deadline) != 0) {
		/* Blocked in write(2) on a device that does not move (a FIFO
		 * nobody reads, a hung network filesystem): leave it. */
		handoff_take_done(&w->ho, done);
		return -1;
	}
	handoff_take_done(&w->ho, done);
	if (w->files != NULL)
		writer_close_named(w);
	if (w->fd != -1) {
		writer_release(w->fd);
		if (close(w->fd) == -1)
			log_warn("output %s: close: %s", w->conf->name,
			    strerror(errno));
	}
	if (w->dirfd != -1)
		(void)close(w->dirfd);	/* read-only; nothing to lose */
	handoff_destroy(&w->ho);
	config_output_free(w->conf);
	writer_files_free(w);
	free(w);
	return 0;
}

static const struct sink_ops writer_ops = {
	.kind = "file",
	.taking_name = "writing",
	.dropping_name = "dropping",
	.holds_while_dropping = false,	/* chunks are dropped on arrival */
	.drop_reason = DROP_DISK_FULL,
	.open_state = writer_open_state,
	.submit = writer_submit,
	.take_done = writer_take_done,
	.reopen = writer_reopen,
	.reconfigure = writer_reconfigure,
	.stop = writer_stop,
	.finished = writer_finished,
	.dropping = writer_dropping,
	.last_write_ns = writer_last_write_ns,
	.free_bytes = writer_free_bytes,
	.close = writer_close,
};
