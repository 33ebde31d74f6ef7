/* SPDX-License-Identifier: ISC */
/*
 * filter.h: an output's filter expression, such as
 *
 *	tag == 'nginx' and not msg =~ 'GET /health(z)? '
 *
 * parsed once at config time into a small tree (regular expressions
 * compiled with PCRE2, JIT where the machine has it), then asked of every
 * record the output's selector takes. The grammar is in asynclogd.conf(5),
 * FILTERS:
 *
 *	expr  := and { "or" and }		and  := unary { "and" unary }
 *	unary := "not" unary | "(" expr ")" | FIELD OP VALUE
 *		 | FIELD "in" "(" VALUE { "," VALUE } ")"
 *
 * Fields are of the record as the daemon knows it, trusted ones (host,
 * uid, gid, pid: from the kernel or the input, never from message bytes)
 * apart from the claimed ones. Loop thread only (filter_match uses scratch
 * space kept in the filter); compiling and freeing may run anywhere. No
 * allocation and no system call in filter_match.
 */
#ifndef ASYNCLOG_FILTER_H
#define ASYNCLOG_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "record.h"

#define FILTER_MAX_TEXT		4096	/* characters of one expression */
#define FILTER_MAX_NODES	256	/* tests and operators */
#define FILTER_MAX_DEPTH	32	/* nested parentheses and "not"s */
#define FILTER_MATCH_LIMIT	1000000	/* PCRE2 match limit per record */

struct filter;

/*
 * Compile text. Returns the filter (the caller owns it: filter_free), or
 * NULL with a message in err that starts with the 1-based column of the
 * offending token: "column 5: unknown field 'prog' (...)".
 */
struct filter *filter_compile(const char *text, char *err, size_t errlen);
void	filter_free(struct filter *);
const char *filter_text(const struct filter *);

/*
 * Does rec pass? local_host stands for the host of a record no input
 * named (rec->host == NULL: this machine). A regular expression that fails
 * at run time (its match limit: a pathological pattern against a long
 * message) does not match; it is counted (filter_errors) and said in the
 * daemon's log, rate-limited.
 */
bool	filter_match(const struct filter *, const struct record *rec,
	    const char *local_host);
unsigned long long filter_errors(const struct filter *);

#endif
