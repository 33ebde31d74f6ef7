/* SPDX-License-Identifier: ISC */
/*
 * spool.c: segment files of an output's spool (see spool.h). Runs on the
 * thread of the sink that owns the spool; every call may block on the
 * disk, which is why no loop code calls it.
 *
 * Three points move forward through the segments, in this order: head
 * (everything before it was delivered), read (everything before it was
 * handed to the sink) and the end (where appends go). Only head is kept
 * on disk, in the file "head"; the rest is found again by reading the
 * segments at open.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "logdir.h"
#include "spool.h"

#define SPOOL_SEGMENT_MAX	(16ULL << 20)	/* a new segment past this */
#define SPOOL_SEGMENT_MIN	(64ULL << 10)
#define SPOOL_HEAD		"head"
#define SPOOL_SYNC_NS		1000000000LL	/* sync = "interval" */

struct spool_seg {
	uint64_t	 seq;
	uint64_t	 size;		/* bytes, whole lines only */
	uint64_t	 nrec;
};

struct spool {
	int		 dirfd;
	int		 headfd;
	char		 name[128];	/* the output's, for messages */
	uint64_t	 max_size;
	uint64_t	 seg_max;
	enum config_sync sync;
	int64_t		 synced_ns;	/* monotonic, the last fdatasync */

	struct spool_seg *segs;		/* oldest first */
	size_t		 nsegs;
	size_t		 capsegs;
	uint64_t	 next_seq;
	int		 wfd;		/* the last segment, open to append; -1:
					 * the next append starts a segment */

	uint64_t	 head_off;	/* delivered up to here in segs[0] */
	uint64_t	 head_rec;
	uint64_t	 read_seq;	/* read up to read_off in that segment */
	uint64_t	 read_off;
	int		 rfd;		/* open on read_seq, or -1 */

	uint64_t	 bytes;		/* not delivered */
	uint64_t	 records;
	uint64_t	 inflight;	/* bytes read, not delivered */
};

static void
spool_seg_name(uint64_t seq, char *buf, size_t len)
{
	snprintf(buf, len, "%016" PRIx64 ".seg", seq);
}

/* seq from a segment's name; -1 for any other name. */
static int
spool_seg_parse(const char *name, uint64_t *seq)
{
	char *end;

	if (strlen(name) != 20 || strcmp(name + 16, ".seg") != 0)
		return -1;
	errno = 0;
	*seq = strtoull(name, &end, 16);
	return errno == 0 && end == name + 16 ? 0 : -1;
}

static int
spool_seq_cmp(const void *a, const void *b)
{
	const struct spool_seg *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int
spool_add_seg(struct spool *sp, uint64_t seq)
{
	struct spool_seg *n;
	size_t cap;

	if (sp->nsegs == sp->capsegs) {
		cap = sp->capsegs == 0 ? 16 : sp->capsegs * 2;
		if ((n = reallocarray(sp->segs, cap, sizeof(*n))) == NULL)
			return -1;
		sp->segs = n;
		sp->capsegs = cap;
	}
	sp->segs[sp->nsegs++] = (struct spool_seg){ .seq = seq };
	return 0;
}

/*
 * Count the newlines of fd's first upto bytes: *nrec of them, the last one
 * ending at *whole; *end is where the bytes ended (upto, or the file's
 * end). 0, or -1 with errno.
 */
static int
spool_count(int fd, uint64_t upto, uint64_t *nrec, uint64_t *whole,
    uint64_t *end)
{
	char buf[65536];
	uint64_t off = 0;
	ssize_t n, i;

	*nrec = *whole = 0;
	while (off < upto && (n = pread(fd, buf, upto - off < sizeof(buf) ?
	    (size_t)(upto - off) : sizeof(buf), (off_t)off)) != 0) {
		if (n == -1)
			return -1;
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				(*nrec)++;
				*whole = off + (uint64_t)i + 1;
			}
		}
		off += (uint64_t)n;
	}
	*end = off;
	return 0;
}

/*
 * Count the records of a segment left by an earlier run, cutting off a
 * torn last line (a crash mid-append): only whole records are replayed.
 */
static int
spool_scan_seg(struct spool *sp, struct spool_seg *seg, char *err,
    size_t errlen)
{
	char name[32];
	uint64_t end, whole;
	struct stat st;
	int fd;

	spool_seg_name(seg->seq, name, sizeof(name));
	if ((fd = logdir_openat(sp->dirfd, name, O_RDWR, 0)) == -1 ||
	    fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "spool segment %s: %s", name, fd == -1 ?
		    logdir_strerror(errno) : "not a regular file");
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (spool_count(fd, UINT64_MAX, &seg->nrec, &whole, &end) == -1) {
		snprintf(err, errlen, "spool segment %s: read: %s", name,
		    strerror(errno));
		close(fd);
		return -1;
	}
	if (whole < end && ftruncate(fd, (off_t)whole) == -1) {
		snprintf(err, errlen, "spool segment %s: cutting a torn record: "
		    "%s", name, strerror(errno));
		close(fd);
		return -1;
	}
	seg->size = whole;
	close(fd);
	return 0;
}

/*
 * Where delivery got in the oldest segment, from the file "head". It is
 * trusted only where a record begins, and the count of records before it
 * comes from the segment itself: a head edited or garbled (or a disk that
 * lied) then costs records sent twice, never half a record or a count
 * that never comes back to 0.
 */
static void
spool_scan_head(struct spool *sp)
{
	char line[128], name[32];
	uint64_t seq, off, rec, whole, end;
	ssize_t n;
	int fd;

	if (sp->nsegs == 0 ||
	    (n = pread(sp->headfd, line, sizeof(line) - 1, 0)) <= 0)
		return;
	line[n] = '\0';
	if (sscanf(line, "%" SCNx64 " %" SCNu64 " %" SCNu64, &seq, &off,
	    &rec) != 3 || seq != sp->segs[0].seq || off > sp->segs[0].size ||
	    off == 0)
		return;
	spool_seg_name(seq, name, sizeof(name));
	if ((fd = logdir_openat(sp->dirfd, name, O_RDONLY, 0)) == -1)
		return;
	if (spool_count(fd, off, &rec, &whole, &end) == 0 && whole == off) {
		sp->head_off = off;
		sp->head_rec = rec;
		sp->bytes -= off;
		sp->records -= rec;
	}
	close(fd);
}
/* The segments a previous run left, oldest first, and where it was. */
static int
spool_scan(struct spool *sp, char *err, size_t errlen)
{
	struct dirent *de;
	uint64_t seq;
	DIR *dir;
	size_t i;
	int fd;

	if ((fd = dup(sp->dirfd)) == -1 || (dir = fdopendir(fd)) == NULL) {
		snprintf(err, errlen, "spool: %s", strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	while ((de = readdir(dir)) != NULL) {
		if (spool_seg_parse(de->d_name, &seq) == 0 &&
		    spool_add_seg(sp, seq) == -1) {
			closedir(dir);
			snprintf(err, errlen, "spool: out of memory");
			return -1;
		}
	}
	closedir(dir);
	if (sp->nsegs > 0)
		qsort(sp->segs, sp->nsegs, sizeof(*sp->segs), spool_seq_cmp);
	for (i = 0; i < sp->nsegs; i++) {
		if (spool_scan_seg(sp, &sp->segs[i], err, errlen) == -1)
			return -1;
		sp->bytes += sp->segs[i].size;
		sp->records += sp->segs[i].nrec;
	}
	sp->next_seq = sp->nsegs > 0 ? sp->segs[sp->nsegs - 1].seq + 1 : 1;
	spool_scan_head(sp);
	sp->read_seq = sp->nsegs > 0 ? sp->segs[0].seq : sp->next_seq;
	sp->read_off = sp->head_off;
	return 0;
}

struct spool *
spool_open(const char *path, const char *name, uint64_t max_size,
    enum config_sync sync, char *err, size_t errlen)
{
	struct spool *sp;
	char why[512];

	if ((sp = calloc(1, sizeof(*sp))) == NULL) {
		snprintf(err, errlen, "output %s: out of memory", name);
		return NULL;
	}
	sp->dirfd = sp->headfd = sp->wfd = sp->rfd = -1;
	snprintf(sp->name, sizeof(sp->name), "%s", name);
	sp->max_size = max_size;
	sp->seg_max = max_size / 8;
	if (sp->seg_max > SPOOL_SEGMENT_MAX)
		sp->seg_max = SPOOL_SEGMENT_MAX;
	if (sp->seg_max < SPOOL_SEGMENT_MIN)
		sp->seg_max = SPOOL_SEGMENT_MIN;
	sp->sync = sync;
	if ((sp->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "output %s: spool %s: %s", name, path,
		    strerror(errno));
		goto fail;
	}
	if (flock(sp->dirfd, LOCK_EX | LOCK_NB) == -1) {
		snprintf(err, errlen, "output %s: spool %s: %s", name, path,
		    errno == EWOULDBLOCK ? "in use by another output or "
		    "process" : strerror(errno));
		goto fail;
	}
	if (logdir_check(sp->dirfd, path, name, false, err, errlen) == -1)
		goto fail;
	if ((sp->headfd = logdir_openat(sp->dirfd, SPOOL_HEAD,
	    O_RDWR | O_CREAT, 0600)) == -1) {
		snprintf(err, errlen, "output %s: spool %s/%s: %s", name, path,
		    SPOOL_HEAD, logdir_strerror(errno));
		goto fail;
	}
	if (spool_scan(sp, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "output %s: %s/: %s", name, path, why);
		goto fail;
	}
	sp->synced_ns = clock_mono_ns();
	return sp;
fail:
	spool_close(sp);
	return NULL;
}

void
spool_close(struct spool *sp)
{
	if (sp == NULL)
		return;
	if (sp->wfd != -1 && sp->sync != SYNC_NEVER)
		(void)fdatasync(sp->wfd);
	if (sp->wfd != -1)
		close(sp->wfd);
	if (sp->rfd != -1)
		close(sp->rfd);
	if (sp->headfd != -1)
		close(sp->headfd);
	if (sp->dirfd != -1)
		close(sp->dirfd);
	free(sp->segs);
	free(sp);
}

static void
spool_sync(struct spool *sp, int fd, bool created)
{
	int64_t now;

	if (sp->sync == SYNC_NEVER)
		return;
	now = clock_mono_ns();
	if (sp->sync == SYNC_INTERVAL && !created &&
	    now - sp->synced_ns < SPOOL_SYNC_NS)
		return;
	(void)fdatasync(fd);
	if (created)
		(void)fsync(sp->dirfd);
	sp->synced_ns = now;
}

/* The segment appends go to, started afresh when the last one is full. */
static int
spool_tail(struct spool *sp, size_t len, bool *created, char *err,
    size_t errlen)
{
	struct spool_seg *last = sp->nsegs > 0 ? &sp->segs[sp->nsegs - 1] :
	    NULL;
	char name[32];

	*created = false;
	if (sp->wfd != -1 && last != NULL && (last->size == 0 ||
	    last->size + len <= sp->seg_max))
		return 0;
	if (sp->wfd != -1)
		close(sp->wfd);
	spool_seg_name(sp->next_seq, name, sizeof(name));
	if ((sp->wfd = logdir_create(sp->dirfd, name, 0600)) == -1) {
		snprintf(err, errlen, "spool segment %s: %s", name,
		    logdir_strerror(errno));
		return -1;
	}
	if (spool_add_seg(sp, sp->next_seq) == -1) {
		close(sp->wfd);
		sp->wfd = -1;
		(void)unlinkat(sp->dirfd, name, 0);
		snprintf(err, errlen, "spool: out of memory");
		return -1;
	}
	sp->next_seq++;
	*created = true;
	return 0;
}

int
spool_append(struct spool *sp, const char *buf, size_t len, uint32_t n,
    char *err, size_t errlen)
{
	struct iovec iov = { (void *)(uintptr_t)buf, len };

	return spool_appendv(sp, &iov, 1, n, err, errlen);
}

int
spool_appendv(struct spool *sp, const struct iovec *iov, int iovcnt,
    uint32_t n, char *err, size_t errlen)
{
	struct spool_seg *seg;
	size_t len = 0, done;
	ssize_t w;
	bool created;
	int e, i;

	for (i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	if (!spool_fits(sp, len)) {
		snprintf(err, errlen, "spool full (max_size %" PRIu64 " bytes)",
		    sp->max_size);
		return -1;
	}
	if (spool_tail(sp, len, &created, err, errlen) == -1)
		return -1;
	seg = &sp->segs[sp->nsegs - 1];
	for (i = 0; i < iovcnt; i++) {
		for (done = 0; done < iov[i].iov_len; ) {
			w = write(sp->wfd, (const char *)iov[i].iov_base + done,
			    iov[i].iov_len - done);
			if (w > 0) {
				done += (size_t)w;
				continue;
			}
			if (w == -1 && errno == EINTR)
				continue;
			e = w == 0 ? ENOSPC : errno;
			/* Nothing of these records stays: the segment ends
			 * on a whole line as before. */
			if (ftruncate(sp->wfd, (off_t)seg->size) == -1 ||
			    lseek(sp->wfd, (off_t)seg->size, SEEK_SET) == -1) {
				close(sp->wfd);
				sp->wfd = -1;
			}
			snprintf(err, errlen, "spool: %s", e == ENOSPC ||
			    e == EDQUOT ? "disk full" : strerror(e));
			return -1;
		}
	}
	seg->size += len;
	seg->nrec += n;
	sp->bytes += len;
	sp->records += n;
	spool_sync(sp, sp->wfd, created);
	return 0;
}

static struct spool_seg *
spool_find(struct spool *sp, uint64_t seq)
{
	size_t i;

	for (i = 0; i < sp->nsegs; i++)
		if (sp->segs[i].seq == seq)
			return &sp->segs[i];
	return NULL;
}

/* The record at the read point of seg is longer than cap: read past its
 * end (buf as scratch) and let it leave the spool. */
static int
spool_skip(struct spool *sp, const char *name, char *buf, size_t cap,
    char *err, size_t errlen)
{
	uint64_t off = sp->read_off, len;
	const char *nl;
	ssize_t r;

	for (;;) {
		if ((r = pread(sp->rfd, buf, cap, (off_t)off)) <= 0) {
			snprintf(err, errlen, "spool segment %s: read: %s", name,
			    r == 0 ? "shorter than written" : strerror(errno));
			return -1;
		}
		if ((nl = memchr(buf, '\n', (size_t)r)) != NULL)
			break;
		off += (uint64_t)r;
	}
	len = off + (uint64_t)(nl - buf) + 1 - sp->read_off;
	sp->read_off += len;
	sp->inflight += len;
	spool_consume(sp, (size_t)len, 1);
	return 0;
}

ssize_t
spool_read(struct spool *sp, char *buf, size_t cap, uint32_t *n,
    uint32_t *skipped, char *err, size_t errlen)
{
	struct spool_seg *seg;
	char name[32];
	size_t want, len = 0, i;
	ssize_t r;

	*n = 0;
	*skipped = 0;
again:
	for (;;) {
		if ((seg = spool_find(sp, sp->read_seq)) == NULL)
			return 0;
		if (sp->read_off < seg->size)
			break;
		/* This one is read to its end: on to the next, if any. */
		if (seg == &sp->segs[sp->nsegs - 1])
			return 0;
		if (sp->rfd != -1)
			close(sp->rfd);
		sp->rfd = -1;
		sp->read_seq = seg[1].seq;
		sp->read_off = 0;
	}
	spool_seg_name(seg->seq, name, sizeof(name));
	if (sp->rfd == -1 && (sp->rfd = logdir_openat(sp->dirfd, name,
	    O_RDONLY, 0)) == -1) {
		snprintf(err, errlen, "spool segment %s: %s", name,
		    logdir_strerror(errno));
		return -1;
	}
	want = seg->size - sp->read_off < cap ? seg->size - sp->read_off : cap;
	if ((r = pread(sp->rfd, buf, want, (off_t)sp->read_off)) <= 0) {
		snprintf(err, errlen, "spool segment %s: read: %s", name,
		    r == 0 ? "shorter than written" : strerror(errno));
		return -1;
	}
	for (i = 0; i < (size_t)r; i++) {
		if (buf[i] == '\n') {
			len = i + 1;
			(*n)++;
		}
	}
	if (len == 0) {
		/* Consumes go oldest first: the long one waits for those
		 * read before it. */
		if (sp->inflight > 0)
			return 0;
		if (spool_skip(sp, name, buf, cap, err, errlen) == -1)
			return -1;
		(*skipped)++;
		goto again;
	}
	sp->read_off += len;
	sp->inflight += len;
	return (ssize_t)len;
}

/* Say on disk how far delivery got (a crash repeats what came after). */
static void
spool_save_head(struct spool *sp)
{
	char line[80];
	int len;

	len = snprintf(line, sizeof(line), "%016" PRIx64 " %020" PRIu64
	    " %020" PRIu64 "\n", sp->nsegs > 0 ? sp->segs[0].seq :
	    sp->next_seq, sp->head_off, sp->head_rec);
	if (pwrite(sp->headfd, line, (size_t)len, 0) == len &&
	    sp->sync == SYNC_ALWAYS)
		(void)fdatasync(sp->headfd);
}

/* The oldest segment holds nothing undelivered: remove it (before the
 * head moves on, so that a crash leaves no head pointing into a segment
 * that is gone). */
static void
spool_drop_first(struct spool *sp)
{
	struct spool_seg *seg = &sp->segs[0];
	char name[32];

	spool_seg_name(seg->seq, name, sizeof(name));
	(void)unlinkat(sp->dirfd, name, 0);
	if (sp->read_seq == seg->seq) {
		if (sp->rfd != -1)
			close(sp->rfd);
		sp->rfd = -1;
		sp->read_seq = sp->nsegs > 1 ? seg[1].seq : sp->next_seq;
		sp->read_off = 0;
	}
	if (sp->nsegs == 1 && sp->wfd != -1) {
		close(sp->wfd);
		sp->wfd = -1;
	}
	memmove(&sp->segs[0], &sp->segs[1], (sp->nsegs - 1) *
	    sizeof(*sp->segs));
	sp->nsegs--;
	sp->head_off = 0;
	sp->head_rec = 0;
}

void
spool_consume(struct spool *sp, size_t len, uint32_t n)
{
	/* Records are read oldest first, so what was delivered is in the
	 * oldest segment that still holds any: those before it (empty ones
	 * a crash or a full disk left, one a head left at its end) go. */
	while (sp->nsegs > 1 && sp->head_off >= sp->segs[0].size)
		spool_drop_first(sp);
	if (sp->nsegs == 0)
		return;
	sp->head_off += len;
	sp->head_rec += n;
	sp->bytes -= len;
	sp->records -= n;
	sp->inflight -= len;
	/* All of it delivered, and nothing more will be appended to it. */
	if (sp->head_off >= sp->segs[0].size && (sp->nsegs > 1 ||
	    sp->read_seq == sp->segs[0].seq))
		spool_drop_first(sp);
	spool_save_head(sp);
}

uint64_t
spool_bytes(const struct spool *sp)
{
	return sp->bytes;
}

uint64_t
spool_records(const struct spool *sp)
{
	return sp->records;
}

bool
spool_fits(const struct spool *sp, size_t len)
{
	return sp->bytes + len <= sp->max_size;
}

bool
spool_unread(const struct spool *sp)
{
	return sp->bytes > sp->inflight;
}
