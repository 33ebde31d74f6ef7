/* SPDX-License-Identifier: ISC */
/*
 * statswriter.h: the thread that writes the stats file (statsfile.h), so
 * that the loop never calls open, write or rename on a path an
 * administrator chose: a file system that hangs (NFS, a dying disk) then
 * stalls this thread, not the daemon.
 *
 * The loop posts the newest text; the thread writes it to PATH.tmp
 * (O_EXCL, O_NOFOLLOW) and renames it over PATH, so a reader sees the old
 * file or the new one, whole. A post the thread has not taken yet is
 * replaced by the next (only the newest counters matter). They meet at one
 * atomic pointer and an eventfd: no lock.
 */
#ifndef ASYNCLOG_STATSWRITER_H
#define ASYNCLOG_STATSWRITER_H

struct statswriter;

/* NULL with errno when the thread cannot start. */
struct statswriter *statswriter_new(void);

/* Write text (malloc'd; the writer owns it from now on) to path (copied)
 * soon. Loop thread. */
void	statswriter_post(struct statswriter *, const char *path, char *text);

/* Write what was posted last, stop, and free; waits up to timeout_ms for
 * the thread, then leaves it (and its memory) to the process's exit. */
void	statswriter_free(struct statswriter *, int timeout_ms);

#endif
