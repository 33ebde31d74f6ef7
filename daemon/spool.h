/* SPDX-License-Identifier: ISC */
/*
 * spool.h: an output's spool on disk, so that records outlive an absent
 * peer and a restart of the daemon: append-only segment files in a
 * directory of the spool's own, read back in order, removed once
 * delivered.
 *
 * Records are whole lines as the output formatted them (a formatted record
 * holds no newline), so a segment is readable with less(1) and the count
 * of its records is the count of its newlines. A segment is named by its
 * sequence number ("%016llx.seg"); the file "head" says how far into the
 * oldest one delivery got (written after each consume, so after a crash
 * the records delivered since the last write may go once more); a head
 * that is not where a record begins is not trusted (all of that segment
 * goes again). A torn last line (the machine crashed mid-append) is cut
 * off at open.
 *
 * Files are reached relative to the directory's descriptor and never
 * through a link (logdir.h); new segments are created with O_EXCL. The
 * directory is locked (flock) so that two outputs or two daemons never
 * share it.
 *
 * No state of anyone else's and no locking of its own: one thread (the
 * sink's) owns a spool. Usable by any sink kind (forward, kafka).
 */
#ifndef ASYNCLOG_SPOOL_H
#define ASYNCLOG_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "config.h"

struct spool;

/*
 * Open the spool in directory path for output name (for messages), and
 * find what a previous run left there (spool_records()). NULL with the
 * reason in err.
 */
struct spool *spool_open(const char *path, const char *name,
	    uint64_t max_size, enum config_sync sync, char *err,
	    size_t errlen);
void	spool_close(struct spool *);

/*
 * Append n whole records, len bytes of lines each ending in a newline. 0,
 * or -1 with the reason in err when they do not fit (max_size reached,
 * the disk full) or cannot be written: then nothing of them is kept.
 */
int	spool_append(struct spool *, const char *buf, size_t len, uint32_t n,
	    char *err, size_t errlen);
/* The same with the records in pieces, kept all or none (a drop marker
 * and the records after it). */
int	spool_appendv(struct spool *, const struct iovec *iov, int iovcnt,
	    uint32_t n, char *err, size_t errlen);

/*
 * The next records after those read before, oldest first: whole lines, at
 * most cap bytes, never from two segments. Returns the bytes (0 when
 * nothing is left unread) with the count of records in *n, or -1 with err.
 * A record longer than cap (an earlier run's, with a larger chunk_size, or
 * garbage) cannot be read: once all records before it were delivered
 * (until then the read returns 0), it leaves the spool, counted in
 * *skipped for the caller to count as dropped.
 */
ssize_t	spool_read(struct spool *, char *buf, size_t cap, uint32_t *n,
	    uint32_t *skipped, char *err, size_t errlen);

/* The oldest read records, len bytes and n records (what one read gave,
 * or the first records of it), were delivered: they leave the spool. */
void	spool_consume(struct spool *, size_t len, uint32_t n);

uint64_t spool_bytes(const struct spool *);	/* not delivered yet */
uint64_t spool_records(const struct spool *);
bool	spool_unread(const struct spool *);	/* records left to read */
/* len more bytes are within max_size (the disk may still say no). */
bool	spool_fits(const struct spool *, size_t len);

#endif
