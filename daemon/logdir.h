/* SPDX-License-Identifier: ISC */
/*
 * logdir.h: the directory an output's files live in, held as a descriptor.
 *
 * The log directory may be writable by someone other than the daemon (a
 * group of operators, a careless chmod). Whoever can write it can put a
 * symbolic link or a hard link where the daemon expects its own file, or
 * swap a name between two system calls. So every file of an output is
 * reached by one name relative to this descriptor, never through a
 * symbolic link (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW), temporary files are
 * created with O_EXCL, and a file is chmodded or chowned only when fstat on
 * the descriptor says it is the regular file just opened (logdir_owns).
 * The directory's own path is the administrator's: links in it are followed.
 *
 * As root, a directory another user can write is refused outright unless
 * the output says allow_shared_dir (logdir_check): there is no safe way to
 * hand out files in it.
 *
 * Pure system calls, no state: runs on the thread that owns the output's
 * files (its writer thread).
 */
#ifndef ASYNCLOG_LOGDIR_H
#define ASYNCLOG_LOGDIR_H

#include <sys/stat.h>
#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

/*
 * Open the directory path's file lives in and copy path's last component
 * into name (namelen bytes). Returns the directory descriptor (O_RDONLY,
 * close-on-exec, usable for fsync and fdopendir), or -1 with errno and a
 * message naming output in err.
 */
int	logdir_open(const char *path, const char *output, char *name,
	    size_t namelen, char *err, size_t errlen);

/*
 * Refuse, when running as root, a log directory that a user other than
 * root can write (owned by another user, or mode & 022): 0 when it is
 * safe or we are not root; -1 with the reason in err when it is not and
 * allow is false; 1 with a warning in err when it is not and allow is true.
 * path (the output's file) and output only name things in the message.
 */
int	logdir_check(int dirfd, const char *path, const char *output,
	    bool allow, char *err, size_t errlen);

/*
 * openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, mode): a symbolic
 * link at name fails with ELOOP (see logdir_strerror).
 */
int	logdir_openat(int dirfd, const char *name, int flags, mode_t mode);

/*
 * Create name afresh for writing: a leftover (file or link) is unlinked,
 * then O_CREAT | O_EXCL | O_NOFOLLOW with mode, so what is opened is a new
 * regular file nobody else holds. Returns the descriptor or -1 with errno.
 */
int	logdir_create(int dirfd, const char *name, mode_t mode);

/*
 * Is st (from fstat on a descriptor just opened) a regular file the daemon
 * may chmod and chown: regular and with no other name (a hard link placed
 * in a shared directory would make us change a file elsewhere)?
 */
bool	logdir_owns(const struct stat *st);

/* strerror, but ELOOP from an O_NOFOLLOW open reads "is a symbolic link;
 * not following it". */
const char *logdir_strerror(int e);

#endif
