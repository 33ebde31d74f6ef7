/* SPDX-License-Identifier: ISC */
/*
 * defer.h: the process's table of deferred formats (see ASYNCLOG() in
 * asynclog.h), which call sites fill and sender threads read.
 *
 * A call site's first call parses its format and appends it here; its id
 * is its index + 1, the same on every connection of every handle. The
 * table only grows (to WIRE_MAX_FORMATS formats and WIRE_FORMATS_BYTES),
 * so a sender reads an entry without a lock once it has seen the count
 * (acquire) that covers it; each sender registers on its connection every
 * entry below the count before any record that may use them.
 * Internal to libasynclog: not installed.
 */
#ifndef ASYNCLOG_DEFER_H
#define ASYNCLOG_DEFER_H

#include <stddef.h>

/* Formats in the table now (acquire). */
unsigned	 defer_count(void);
/* Entry id (1..defer_count()): its format bytes. */
const char	*defer_format(unsigned id, size_t *len);

#endif
