/* SPDX-License-Identifier: ISC */
/*
 * deferred.h: records whose format and arguments travel apart (FORMAT and
 * RECORD_ARGS frames of protocol version 2). Loop thread only.
 *
 * One struct deferred per native connection holds the formats the client
 * registered, parsed once (render.h), within WIRE_MAX_FORMATS and
 * WIRE_FORMATS_BYTES; a record is rendered from its arguments into the
 * connection's buffer, exactly as snprintf would, and cut to max_record with
 * the same marker libasynclog uses ("...[truncated N bytes]"). The record
 * then also carries the format and each argument alone (record.h), for
 * JSON's "fmt" and "args", unless they would take it past max_record.
 * The rendered bytes live until the next record of the connection.
 */
#ifndef ASYNCLOG_DEFERRED_H
#define ASYNCLOG_DEFERRED_H

#include <stddef.h>

#include "record.h"
#include "wire.h"

struct deferred;

struct deferred *deferred_new(void);
void	deferred_free(struct deferred *);

/* A FORMAT frame. -1 with *why when refused (over a bound, or a format
 * render.h does not take); the id is then empty. */
int	deferred_register(struct deferred *, const struct wire_format *,
	    const char **why);

/*
 * Render a RECORD_ARGS frame into rec's message, format and arguments
 * (everything else of rec is the caller's). -1 with *why when its format
 * id is unknown or its arguments do not match the format: a malformed
 * record, counted by the caller.
 */
int	deferred_render(struct deferred *, const struct wire_record_args *,
	    size_t max_record, struct record *rec, const char **why);

#endif
