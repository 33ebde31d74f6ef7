/* SPDX-License-Identifier: ISC */
/*
 * rotate.h: rotation, retention and zstd compression of one output's files.
 *
 * Pure file operations: no libevent, no globals, no state between calls.
 * Every function blocks on the disk, so it runs on the output's writer
 * thread, never on the event loop.
 *
 * Naming: the live file is PATH; rotated files are PATH.1 (newest), PATH.2,
 * ..., each optionally compressed as PATH.N.zst. Only names of exactly the
 * form PATH.<N>[.zst] (N a decimal number without leading zeros, N >= 1) are
 * ever renamed or deleted by rotate_shift(); rotate_cleanup() only deletes
 * PATH.<N>.zst.tmp. Every other file in the directory is left alone.
 *
 * Files are named relative to a directory descriptor (dirfd, name: a name
 * without a slash) and never reached through a symbolic link (logdir.h).
 * Messages name the files by those names; the caller says which output.
 */
#ifndef ASYNCLOG_ROTATE_H
#define ASYNCLOG_ROTATE_H

#include <stdbool.h>
#include <stddef.h>

#define ROTATE_ZSTD_LEVEL	3	/* the default compression level */

/*
 * Rotate PATH (name in dirfd): PATH.N[.zst] -> PATH.N+1[.zst] from the highest N,
 * deleting every PATH.N[.zst] with N >= keep first, so at most keep rotated
 * generations remain; then PATH -> PATH.1. A gap in the numbering is
 * carried along, not closed up. When PATH.N and PATH.N.zst both exist (a
 * crash between compressing and unlinking) both are shifted.
 *
 * keep == 0: every rotated file is deleted and PATH is unlinked: no history.
 *
 * compress: PATH.1 is then compressed at level into PATH.1.zst through
 * PATH.1.zst.tmp (see rotate_compress_file) and PATH.1 is unlinked, so a
 * crash never leaves a truncated file under a final name.
 *
 * A missing PATH is not an error: nothing is touched, 0 is returned and
 * *moved is false. The caller must not write to its descriptor of PATH during
 * the call, and reopens PATH afterwards whenever *moved is true.
 *
 * Returns 0, or -1 with errno and a message in err. *moved (may be NULL) says
 * whether the live file has been moved away (or unlinked, for keep == 0); it
 * can be true on -1, when compression failed: PATH.1 is then whole and
 * uncompressed.
 */
int	rotate_shift(int dirfd, const char *name, unsigned keep, bool compress,
	    int level, bool *moved, char *err, size_t errlen);

/*
 * Compress src into dst (both in dirfd) with libzstd at level (with a
 * content checksum, so "zstd -t" verifies every byte). src must be a regular
 * file, not a link. Writes dst.tmp (a leftover is removed first, and the
 * new one created with O_EXCL), fsyncs it, renames it to dst and fsyncs the
 * directory; dst gets src's permission bits (mode & 0777: never setuid,
 * setgid or sticky) and owner, when that differs and we may change it.
 * Streams through two 128 KiB buffers, so memory does not grow with the
 * file. The caller unlinks src.
 * Returns 0, or -1 with errno and a message in err; dst.tmp is then removed
 * and dst untouched.
 */
int	rotate_compress_file(int dirfd, const char *src, const char *dst,
	    int level, char *err, size_t errlen);

/*
 * Remove the leftovers of a crash during compression: PATH.N.zst.tmp for N
 * in 1..keep+1. Meant for start-up and reopen. Returns the number of files
 * removed, or -1 with errno when the directory cannot be read or a leftover
 * cannot be removed.
 */
int	rotate_cleanup(int dirfd, const char *name, unsigned keep);

/*
 * Is name a rotated file, "BASE.N" or "BASE.N.zst" (N canonical, >= 1)?
 * Then the length of BASE, else 0. The disk budget (budget.c) uses it to
 * tell an output's rotated files from its live ones.
 */
size_t	rotate_base_len(const char *name);

/*
 * Could name be a rotated copy of some file, "BASE.N", "BASE.N.zst" or
 * "BASE.N.zst.tmp"? A path with fields never opens such a name: rotation
 * and the disk budget would move or remove it while it is written.
 */
bool	rotate_is_copy(const char *name);

#endif
