/* SPDX-License-Identifier: ISC */
/*
 * logdir.c: an output's log directory as a descriptor; files in it by name,
 * never through a symbolic link; the rule for running as root (logdir.h).
 *
 * Runs on the output's writer thread; keeps no state.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "logdir.h"

/* path -> its directory (".", "/" or the part before the last slash) and
 * its last component; -1 with errno when either does not fit or the last
 * component is empty ("dir/"). */
static int
logdir_split(const char *path, char *dir, size_t dirlen, char *name,
    size_t namelen)
{
	const char *slash = strrchr(path, '/'), *base;
	size_t len;

	if (slash == NULL) {
		snprintf(dir, dirlen, ".");
		base = path;
	} else {
		len = slash == path ? 1 : (size_t)(slash - path);
		if (len >= dirlen) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(dir, path, len);
		dir[len] = '\0';
		base = slash + 1;
	}
	if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		errno = EINVAL;
		return -1;
	}
	if (strlen(base) >= namelen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	snprintf(name, namelen, "%s", base);
	return 0;
}

int
logdir_open(const char *path, const char *output, char *name,
    size_t namelen, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	int fd;

	if (logdir_split(path, dir, sizeof(dir), name, namelen) == -1) {
		snprintf(err, errlen, "output %s: bad file name %s: %s",
		    output, path, strerror(errno));
		return -1;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		snprintf(err, errlen, "output %s: cannot open the directory "
		    "of %s: %s", output, path, strerror(errno));
	return fd;
}

int
logdir_check(int dirfd, const char *path, const char *output, bool allow,
    char *err, size_t errlen)
{
	char dir[PATH_MAX], name[NAME_MAX + 1], why[128];
	struct stat st;
	int mode;

	if (geteuid() != 0)
		return 0;
	if (fstat(dirfd, &st) == -1) {
		snprintf(err, errlen, "output %s: cannot stat the directory of "
		    "%s: %s", output, path, strerror(errno));
		return -1;
	}
	mode = st.st_mode & 07777;
	if ((mode & 022) != 0)
		snprintf(why, sizeof(why), "is writable by %s (mode %04o, "
		    "owner %lu)", (mode & 022) == 022 ? "group and others" :
		    (mode & 020) ? "group" : "others", mode,
		    (unsigned long)st.st_uid);
	else if (st.st_uid != 0)
		snprintf(why, sizeof(why), "is owned by uid %lu, who can "
		    "replace its files (mode %04o)", (unsigned long)st.st_uid,
		    mode);
	else
		return 0;
	if (logdir_split(path, dir, sizeof(dir), name, sizeof(name)) == -1)
		snprintf(dir, sizeof(dir), "of %s", path);
	if (!allow) {
		snprintf(err, errlen, "output %s: log directory %s %s; refusing "
		    "to run as root there (set allow_shared_dir = true to "
		    "accept the risk)", output, dir, why);
		return -1;
	}
	snprintf(err, errlen, "output %s: log directory %s %s; running as "
	    "root there because allow_shared_dir is set", output, dir, why);
	return 1;
}

int
logdir_openat(int dirfd, const char *name, int flags, mode_t mode)
{
	return openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
}

int
logdir_create(int dirfd, const char *name, mode_t mode)
{
	if (unlinkat(dirfd, name, 0) == -1 && errno != ENOENT)
		return -1;
	return logdir_openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL, mode);
}

bool
logdir_owns(const struct stat *st)
{
	return S_ISREG(st->st_mode) && st->st_nlink == 1;
}

const char *
logdir_strerror(int e)
{
	return e == ELOOP ? "is a symbolic link; not following it" :
	    strerror(e);
}
