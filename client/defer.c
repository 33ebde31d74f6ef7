/* SPDX-License-Identifier: ISC */
/*
 * defer.c: ASYNCLOG(), the log call that leaves formatting to the daemon.
 *
 * The hot path (asynclog_deferred with a parsed site and a daemon that
 * renders) reads its arguments twice from the va_list, once for the size
 * (strlen of each %s) and once to copy them into a RECORD_ARGS frame in
 * the thread's ring: no formatting, no allocation, no lock (but for the
 * shared ring of threads beyond RING_MAX - 1), no syscall while the sender
 * is awake. Everything else falls back to asynclog_vlog(), which formats in
 * the caller: see asynclog.h for when.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "asynclog.h"
#include "defer.h"
#include "handle.h"
#include "render.h"
#include "ring.h"
#include "sender.h"
#include "wire.h"

#define DEFER_MAX_ARGS_LEN	WIRE_DEFAULT_MAX_RECORD

enum defer_state {
	DEFER_NEW = 0,		/* never called */
	DEFER_BUSY,		/* the first call is parsing it */
	DEFER_READY,		/* parsed and in the table */
	DEFER_CALLER,		/* formatted in the caller, always */
	DEFER_REFUSED,		/* %n: every record dropped and counted */
};

static struct {
	const char	*fmt;
	size_t		 len;
} defer_table[WIRE_MAX_FORMATS];
static _Atomic unsigned	 defer_n;
static size_t		 defer_bytes;	/* under defer_lock */
static pthread_mutex_t	 defer_lock = PTHREAD_MUTEX_INITIALIZER;

unsigned
defer_count(void)
{
	return atomic_load_explicit(&defer_n, memory_order_acquire);
}

const char *
defer_format(unsigned id, size_t *len)
{
	*len = defer_table[id - 1].len;
	return defer_table[id - 1].fmt;
}

/* The first call of a site: parse, and take a place in the table. */
static int
defer_prepare(struct asynclog_site *site, const char *fmt)
{
	struct render_fmt *f;
	const char *why = NULL;
	char *copy = NULL;
	size_t len = strnlen(fmt, RENDER_MAX_FMT + 1);
	int expected = DEFER_NEW, state = DEFER_CALLER;
	unsigned id = 0;

	if (!__atomic_compare_exchange_n(&site->state, &expected, DEFER_BUSY,
	    false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return expected;	/* another thread is at it, or done */
	/* The table keeps a copy: a library that logged may be unloaded. */
	if ((f = malloc(sizeof(*f))) != NULL &&
	    render_parse(fmt, len, f, &why) == 0 &&
	    (copy = strndup(fmt, len)) != NULL) {
		pthread_mutex_lock(&defer_lock);
		if (defer_n < WIRE_MAX_FORMATS &&
		    defer_bytes + len <= WIRE_FORMATS_BYTES) {
			id = defer_n + 1;
			defer_table[id - 1].fmt = copy;
			defer_table[id - 1].len = len;
			defer_bytes += len;
			atomic_store_explicit(&defer_n, id,
			    memory_order_release);
			state = DEFER_READY;
		}
		pthread_mutex_unlock(&defer_lock);
	} else if (why != NULL && strcmp(why, "%n is refused") == 0)
		state = DEFER_REFUSED;
	if (state != DEFER_READY) {
		free(f);
		free(copy);
	}
	else {
		site->id = id;
		site->parsed = f;	/* kept for the life of the process */
	}
	site->fmt = fmt;
	__atomic_store_n(&site->state, state, __ATOMIC_RELEASE);
	return state;
}

struct defer_call {
	struct asynclog	*h;
	const struct asynclog_site *site;
	uint8_t		 pri;
	va_list		*ap;
	size_t		 args_len;
	size_t		 slen[RENDER_MAX_ARGS];
};

static void
defer_put64(unsigned char *p, uint64_t v)
{
	int	i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* One integer argument, widened as render.h's reader expects. */
static uint64_t
defer_int(enum render_va va, va_list *ap)
{
	switch (va) {
	case RENDER_VA_INT:
		return (uint64_t)(int64_t)va_arg(*ap, int);
	case RENDER_VA_UINT:
		return va_arg(*ap, unsigned int);
	case RENDER_VA_LONG:
		return (uint64_t)(int64_t)va_arg(*ap, long);
	case RENDER_VA_ULONG:
		return va_arg(*ap, unsigned long);
	case RENDER_VA_LLONG:
		return (uint64_t)va_arg(*ap, long long);
	case RENDER_VA_ULLONG:
		return va_arg(*ap, unsigned long long);
	case RENDER_VA_INTMAX:
		return (uint64_t)va_arg(*ap, intmax_t);
	case RENDER_VA_UINTMAX:
		return va_arg(*ap, uintmax_t);
	case RENDER_VA_SSIZE:
		return (uint64_t)(int64_t)va_arg(*ap, ssize_t);
	case RENDER_VA_SIZE:
		return va_arg(*ap, size_t);
	case RENDER_VA_PTRDIFF:
		return (uint64_t)(int64_t)va_arg(*ap, ptrdiff_t);
	default:
		return (uintptr_t)va_arg(*ap, void *);
	}
}

/* Write the RECORD_ARGS frame (ring_put_frame's fill). */
static void
defer_fill(unsigned char *p, void *arg)
{
	struct defer_call *c = arg;
	const struct render_fmt *f = c->site->parsed;
	const char *s;
	double d;
	uint64_t u;
	unsigned i;
	size_t n;

	p += wire_encode_record_args_head(p, SIZE_MAX, c->pri,
	    handle_clock_ns(CLOCK_REALTIME), c->site->id, c->h->tag,
	    c->h->tag_len, c->args_len);
	for (i = 0; i < f->nargs; i++) {
		switch (f->va[i]) {
		case RENDER_VA_STR:
			s = va_arg(*c->ap, const char *);
			n = s == NULL ? RENDER_NULL_STR : c->slen[i];
			p[0] = (unsigned char)n;
			p[1] = (unsigned char)(n >> 8);
			p[2] = (unsigned char)(n >> 16);
			p[3] = (unsigned char)(n >> 24);
			p += 4;
			if (s != NULL) {
				memcpy(p, s, n);
				p += n;
			}
			break;
		case RENDER_VA_DOUBLE:
			d = va_arg(*c->ap, double);
			memcpy(&u, &d, sizeof(u));
			defer_put64(p, u);
			p += 8;
			break;
		default:
			defer_put64(p, defer_int(f->va[i], c->ap));
			p += 8;
			break;
		}
	}
}

/* The size of the arguments: strlen of each string, 8 for the rest. */
static size_t
defer_args_len(const struct render_fmt *f, va_list *ap, size_t *slen)
{
	const char *s;
	size_t n = 0;
	unsigned i;

	for (i = 0; i < f->nargs; i++) {
		switch (f->va[i]) {
		case RENDER_VA_STR:
			s = va_arg(*ap, const char *);
			slen[i] = s == NULL ? 0 : strlen(s);
			n += 4 + slen[i];
			break;
		case RENDER_VA_DOUBLE:
			(void)va_arg(*ap, double);
			n += 8;
			break;
		default:
			(void)defer_int(f->va[i], ap);
			n += 8;
			break;
		}
	}
	return n;
}

int
asynclog_deferred(asynclog_t *h, struct asynclog_site *site, int priority,
    const char *fmt, ...)
{
	struct defer_call c;
	struct ring *r;
	va_list ap, again;
	int state, rv;

	if (asynclog_masked(h, priority))
		return 0;
	if (asynclog_stale(h))
		asynclog_after_fork(h);
	state = __atomic_load_n(&site->state, __ATOMIC_ACQUIRE);
	if (state != DEFER_READY && state != DEFER_CALLER &&
	    state != DEFER_REFUSED)
		state = defer_prepare(site, fmt);
	if (state == DEFER_REFUSED) {
		sender_count_drop(h, 1);
		errno = EINVAL;
		return -1;
	}
	va_start(ap, fmt);
	if (state != DEFER_READY || site->fmt != fmt ||
	    (h->flags & ASYNCLOG_STDERR) ||
	    !(atomic_load_explicit(&h->features, memory_order_relaxed) &
	    WIRE_FEAT_FORMAT))
		goto caller;

	va_copy(again, ap);
	c.args_len = defer_args_len(site->parsed, &again, c.slen);
	va_end(again);
	/* Arguments that could not fit the daemon's frame: the caller formats
	 * (and cuts, as asynclog_log does). */
	if (c.args_len > DEFER_MAX_ARGS_LEN || c.args_len >
	    atomic_load_explicit(&h->max_record, memory_order_relaxed))
		goto caller;
	if ((r = ring_get(h)) == NULL) {
		va_end(ap);
		sender_count_drop(h, 1);
		return -1;
	}
	if (!atomic_load_explicit(&h->deferred, memory_order_relaxed))
		atomic_store(&h->deferred, true);
	c.h = h;
	c.site = site;
	c.pri = (uint8_t)handle_priority(h, priority);
	c.ap = &ap;
	rv = ring_put_frame(h, r, WIRE_HEADER_SIZE + WIRE_RECORD_ARGS_FIXED +
	    h->tag_len + c.args_len, defer_fill, &c);
	va_end(ap);
	return rv;
caller:
	rv = asynclog_vlog(h, priority, fmt, ap);
	va_end(ap);
	return rv;
}
