/* SPDX-License-Identifier: ISC */
/*
 * rotate.c: rotation, retention and zstd compression of one output's files.
 *
 * Runs on a writer thread and blocks on the disk; never touches libevent and
 * keeps no state between calls. The order of operations is chosen so that a
 * crash at any point loses no rotated data and leaves no partial file under
 * a final name: old generations are shifted from the highest number down (a
 * rename never lands on a name still in use), compression goes through a
 * .zst.tmp file that is fsync'd before it is renamed, and the uncompressed
 * file is unlinked only after the directory holding the rename is fsync'd.
 * A crash can leave PATH.N beside PATH.N.zst (both are shifted) or a
 * PATH.1.zst.tmp (rotate_cleanup removes it).
 *
 * The directory may be writable by others (logdir.h): every name is taken
 * relative to the directory descriptor and never followed when it is a
 * symbolic link; the .tmp is created with O_EXCL; the compressed copy gets
 * the original's owner and permission bits (never setuid, setgid or sticky)
 * only after fstat says it is the new regular file just created.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include "logdir.h"
#include "rotate.h"

#define ROTATE_BUFSIZE	(128 * 1024)

enum rotate_suffix {
	SUFFIX_NONE,		/* PATH.N */
	SUFFIX_ZST,		/* PATH.N.zst */
	SUFFIX_ZST_TMP,		/* PATH.N.zst.tmp, compression in progress */
};

static const char *const rotate_suffixes[] = { "", ".zst", ".zst.tmp" };

struct rotate_entry {
	uint64_t	 n;
	enum rotate_suffix suffix;
};

/* Format a message into err without disturbing errno. */
static void __attribute__((format(printf, 3, 4)))
rotate_err(char *err, size_t errlen, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	errno = saved;
}

/* NAME.N plus a suffix into buf; -1 with ENAMETOOLONG if it does not fit. */
static int
rotate_name(char *buf, size_t len, const char *name, uint64_t n,
    enum rotate_suffix suffix)
{
	int r;

	r = snprintf(buf, len, "%s.%llu%s", name, (unsigned long long)n,
	    rotate_suffixes[suffix]);
	if (r < 0 || (size_t)r >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/*
 * Does name read BASE.<N><suffix>? N must be canonical (no sign, no leading
 * zero, >= 1, fits 64 bits) so "PATH.01" or "PATH.1x" are never ours.
 */
static bool
rotate_match(const char *base, const char *name, uint64_t *n,
    enum rotate_suffix *suffix)
{
	size_t blen = strlen(base);
	const char *p;
	uint64_t v = 0;
	size_t i;

	if (strncmp(name, base, blen) != 0 || name[blen] != '.')
		return false;
	p = name + blen + 1;
	if (*p < '1' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	for (i = 0; i < sizeof(rotate_suffixes) / sizeof(rotate_suffixes[0]);
	    i++) {
		if (strcmp(p, rotate_suffixes[i]) == 0) {
			*n = v;
			*suffix = (enum rotate_suffix)i;
			return true;
		}
	}
	return false;
}

size_t
rotate_base_len(const char *name)
{
	enum rotate_suffix suffix;
	const char *dot;
	uint64_t n;
	char base[PATH_MAX];

	/* The last dot before the number: before ".zst" when there is one. */
	for (dot = strrchr(name, '.'); dot != NULL && dot > name; dot--) {
		if (*dot != '.')
			continue;
		if ((size_t)(dot - name) >= sizeof(base))
			return 0;
		memcpy(base, name, (size_t)(dot - name));
		base[dot - name] = '\0';
		if (rotate_match(base, name, &n, &suffix))
			return suffix == SUFFIX_ZST_TMP ? 0 : (size_t)(dot - name);
	}
	return 0;
}

bool
rotate_is_copy(const char *name)
{
	size_t len = strlen(name), sl, i;
	const char *end, *p;

	for (i = 0; i < sizeof(rotate_suffixes) / sizeof(rotate_suffixes[0]);
	    i++) {
		sl = strlen(rotate_suffixes[i]);
		if (len < sl || strcmp(name + len - sl, rotate_suffixes[i]) != 0)
			continue;
		/* The number ends where the suffix starts. */
		for (end = p = name + len - sl; p > name && p[-1] >= '0' &&
		    p[-1] <= '9'; p--)
			;
		if (p < end && *p != '0' && p - 1 > name && p[-1] == '.')
			return true;
	}
	return false;
}

/* Highest number first, so shifting never renames onto a name in use. */
static int
rotate_entry_cmp(const void *a, const void *b)
{
	const struct rotate_entry *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return (int)x->suffix - (int)y->suffix;
}

/*
 * Collect the files of the directory named BASE.<N><suffix> with
 * want[suffix] set. The caller frees *out.
 */
static int
rotate_scan(int dirfd, const char *base, const bool want[3],
    struct rotate_entry **out, size_t *count)
{
	struct rotate_entry *v = NULL, *nv;
	size_t n = 0, cap = 0;
	struct dirent *de;
	enum rotate_suffix suffix;
	uint64_t num;
	DIR *d;
	int fd, saved;

	/* A descriptor of its own: readdir moves its offset. */
	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		saved = errno;
		(void)close(fd);
		errno = saved;
		return -1;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0)
				goto fail;
			break;
		}
		if (!rotate_match(base, de->d_name, &num, &suffix) ||
		    !want[suffix])
			continue;
		if (n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL)
				goto fail;
			v = nv;
		}
		v[n].n = num;
		v[n].suffix = suffix;
		n++;
	}
	if (closedir(d) == -1) {
		free(v);
		return -1;
	}
	if (n > 0)	/* qsort(NULL, 0, ...) is undefined */
		qsort(v, n, sizeof(*v), rotate_entry_cmp);
	*out = v;
	*count = n;
	return 0;
fail:
	saved = errno;
	(void)closedir(d);	/* already failing; keep the first errno */
	free(v);
	errno = saved;
	return -1;
}

static int
rotate_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int
rotate_compress_file(int dirfd, const char *src, const char *dst, int level,
    char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	ZSTD_CCtx *cctx = NULL;
	ZSTD_inBuffer in;
	ZSTD_outBuffer out;
	struct stat sst, tst;
	void *ibuf = NULL, *obuf = NULL;
	int sfd = -1, tfd = -1, saved, r;
	ssize_t nr;
	size_t left;
	bool last = false, made_tmp = false;

	r = snprintf(tmp, sizeof(tmp), "%s.tmp", dst);
	if (r < 0 || (size_t)r >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		rotate_err(err, errlen, "%s.tmp: %s", dst, strerror(errno));
		return -1;
	}
	/* O_NONBLOCK: a FIFO under the name must not hang the writer. */
	if ((sfd = logdir_openat(dirfd, src, O_RDONLY | O_NONBLOCK, 0)) == -1) {
		rotate_err(err, errlen, "cannot open %s: %s", src,
		    logdir_strerror(errno));
		goto fail;
	}
	if (fstat(sfd, &sst) == -1) {
		rotate_err(err, errlen, "cannot stat %s: %s", src,
		    strerror(errno));
		goto fail;
	}
	if (!S_ISREG(sst.st_mode)) {
		errno = EINVAL;
		rotate_err(err, errlen, "%s is not a regular file", src);
		goto fail;
	}
	/* A .tmp left by a crash, or planted as a link, is removed, and ours
	 * is created anew: nothing else can be behind the descriptor. */
	if ((tfd = logdir_create(dirfd, tmp, 0600)) == -1) {
		rotate_err(err, errlen, "cannot create %s: %s", tmp,
		    logdir_strerror(errno));
		goto fail;
	}
	made_tmp = true;
	/* The compressed copy is exactly as private as the original. */
	if (fstat(tfd, &tst) == -1) {
		rotate_err(err, errlen, "cannot stat %s: %s", tmp,
		    strerror(errno));
		goto fail;
	}
	if (!logdir_owns(&tst)) {
		errno = EPERM;
		rotate_err(err, errlen, "%s is not the file just created", tmp);
		goto fail;
	}
	if ((tst.st_uid != sst.st_uid || tst.st_gid != sst.st_gid) &&
	    fchown(tfd, sst.st_uid, sst.st_gid) == -1) {
		rotate_err(err, errlen, "cannot chown %s: %s", tmp,
		    strerror(errno));
		goto fail;
	}
	if (fchmod(tfd, sst.st_mode & 0777) == -1) {
		rotate_err(err, errlen, "cannot chmod %s: %s", tmp,
		    strerror(errno));
		goto fail;
	}

	if ((ibuf = malloc(ROTATE_BUFSIZE)) == NULL ||
	    (obuf = malloc(ROTATE_BUFSIZE)) == NULL ||
	    (cctx = ZSTD_createCCtx()) == NULL) {
		errno = ENOMEM;
		rotate_err(err, errlen, "compressing %s: out of memory", src);
		goto fail;
	}
	if (ZSTD_isError(ZSTD_CCtx_setParameter(cctx,
	    ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cctx,
	    ZSTD_c_checksumFlag, 1))) {
		errno = EINVAL;
		rotate_err(err, errlen, "compressing %s: bad zstd level %d",
		    src, level);
		goto fail;
	}

	while (!last) {
		if ((nr = read(sfd, ibuf, ROTATE_BUFSIZE)) == -1) {
			if (errno == EINTR)
				continue;
			rotate_err(err, errlen, "cannot read %s: %s", src,
			    strerror(errno));
			goto fail;
		}
		last = nr == 0;
		in.src = ibuf;
		in.size = (size_t)nr;
		in.pos = 0;
		/* Drain until the input is used up (and, at the end, until
		 * the frame is complete: left == 0). */
		do {
			out.dst = obuf;
			out.size = ROTATE_BUFSIZE;
			out.pos = 0;
			left = ZSTD_compressStream2(cctx, &out, &in,
			    last ? ZSTD_e_end : ZSTD_e_continue);
			if (ZSTD_isError(left)) {
				errno = EIO;
				rotate_err(err, errlen, "compressing %s: %s",
				    src, ZSTD_getErrorName(left));
				goto fail;
			}
			if (rotate_write_all(tfd, obuf, out.pos) == -1) {
				rotate_err(err, errlen, "cannot write %s: %s",
				    tmp, strerror(errno));
				goto fail;
			}
		} while (last ? left != 0 : in.pos < in.size);
	}

	if (fsync(tfd) == -1) {
		rotate_err(err, errlen, "cannot fsync %s: %s", tmp,
		    strerror(errno));
		goto fail;
	}
	r = close(tfd);
	tfd = -1;
	if (r == -1) {
		rotate_err(err, errlen, "cannot close %s: %s", tmp,
		    strerror(errno));
		goto fail;
	}
	if (renameat(dirfd, tmp, dirfd, dst) == -1) {
		rotate_err(err, errlen, "cannot rename %s to %s: %s", tmp, dst,
		    strerror(errno));
		goto fail;
	}
	made_tmp = false;
	/* The caller unlinks src next; the rename must be on disk first. */
	if (fsync(dirfd) == -1) {
		rotate_err(err, errlen, "cannot fsync the directory of %s: %s",
		    dst, strerror(errno));
		goto fail;
	}
	ZSTD_freeCCtx(cctx);
	free(obuf);
	free(ibuf);
	if (close(sfd) == -1) {
		rotate_err(err, errlen, "cannot close %s: %s", src,
		    strerror(errno));
		return -1;
	}
	return 0;

fail:
	/* err already says what went wrong; later failures do not replace it. */
	saved = errno;
	if (tfd != -1)
		(void)close(tfd);
	if (made_tmp)
		(void)unlinkat(dirfd, tmp, 0);
	if (sfd != -1)
		(void)close(sfd);
	ZSTD_freeCCtx(cctx);
	free(obuf);
	free(ibuf);
	errno = saved;
	return -1;
}

int
rotate_shift(int dirfd, const char *name, unsigned keep, bool compress,
    int level, bool *moved, char *err, size_t errlen)
{
	static const bool want[3] = { true, true, false };
	char from[PATH_MAX], to[PATH_MAX];
	struct rotate_entry *v = NULL;
	struct stat st;
	size_t n, i;

	if (moved != NULL)
		*moved = false;
	if (*name == '\0' || strchr(name, '/') != NULL) {
		errno = EINVAL;
		rotate_err(err, errlen, "bad file name '%s'", name);
		return -1;
	}
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT)
			return 0;	/* moved away already (logrotate) */
		rotate_err(err, errlen, "cannot stat %s: %s", name,
		    strerror(errno));
		return -1;
	}
	if (rotate_scan(dirfd, name, want, &v, &n) == -1) {
		rotate_err(err, errlen, "cannot read the directory of %s: %s",
		    name, strerror(errno));
		return -1;
	}

	/* Highest first: NAME.N+1 is gone or moved on before NAME.N moves. */
	for (i = 0; i < n; i++) {
		if (rotate_name(from, sizeof(from), name, v[i].n,
		    v[i].suffix) == -1) {
			rotate_err(err, errlen, "rotating %s: %s", name,
			    strerror(errno));
			goto fail;
		}
		if (v[i].n >= keep) {
			if (unlinkat(dirfd, from, 0) == -1 && errno != ENOENT) {
				rotate_err(err, errlen, "cannot remove %s: %s",
				    from, strerror(errno));
				goto fail;
			}
			continue;
		}
		/* n < keep <= UINT_MAX, so n + 1 cannot wrap. */
		if (rotate_name(to, sizeof(to), name, v[i].n + 1,
		    v[i].suffix) == -1) {
			rotate_err(err, errlen, "rotating %s: %s", name,
			    strerror(errno));
			goto fail;
		}
		if (renameat(dirfd, from, dirfd, to) == -1) {
			rotate_err(err, errlen, "cannot rename %s to %s: %s",
			    from, to, strerror(errno));
			goto fail;
		}
	}
	free(v);
	v = NULL;

	if (keep == 0) {
		if (unlinkat(dirfd, name, 0) == -1) {
			rotate_err(err, errlen, "cannot remove %s: %s", name,
			    strerror(errno));
			return -1;
		}
		if (moved != NULL)
			*moved = true;
		return 0;
	}

	if (rotate_name(to, sizeof(to), name, 1, SUFFIX_NONE) == -1) {
		rotate_err(err, errlen, "rotating %s: %s", name,
		    strerror(errno));
		return -1;
	}
	if (renameat(dirfd, name, dirfd, to) == -1) {
		rotate_err(err, errlen, "cannot rename %s to %s: %s", name, to,
		    strerror(errno));
		return -1;
	}
	if (moved != NULL)
		*moved = true;
	if (!compress)
		return 0;

	if (rotate_name(from, sizeof(from), name, 1, SUFFIX_ZST) == -1) {
		rotate_err(err, errlen, "rotating %s: %s", name,
		    strerror(errno));
		return -1;
	}
	if (rotate_compress_file(dirfd, to, from, level, err, errlen) == -1)
		return -1;
	if (unlinkat(dirfd, to, 0) == -1) {
		rotate_err(err, errlen, "cannot remove %s: %s", to,
		    strerror(errno));
		return -1;
	}
	return 0;

fail:
	free(v);
	return -1;
}

int
rotate_cleanup(int dirfd, const char *name, unsigned keep)
{
	static const bool want[3] = { false, false, true };
	char tmp[PATH_MAX];
	struct rotate_entry *v;
	size_t n, i;
	int removed = 0, saved;

	/* Scan rather than try 1..keep+1: keep may be large. */
	if (rotate_scan(dirfd, name, want, &v, &n) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (v[i].n > (uint64_t)keep + 1)
			continue;
		if (rotate_name(tmp, sizeof(tmp), name, v[i].n,
		    SUFFIX_ZST_TMP) == -1)
			goto fail;
		if (unlinkat(dirfd, tmp, 0) == -1) {
			if (errno == ENOENT)
				continue;
			goto fail;
		}
		removed++;
	}
	free(v);
	return removed;
fail:
	saved = errno;
	free(v);
	errno = saved;
	return -1;
}
