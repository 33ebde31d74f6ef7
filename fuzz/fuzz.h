/* SPDX-License-Identifier: ISC */
/*
 * fuzz.h: what every libFuzzer target in fuzz/ shares: a check that stops
 * the run with a message (libFuzzer then saves the input that broke it), and
 * a cursor that cuts the fuzz input into the pieces a target builds from.
 *
 * Targets link only the pure modules they test (fuzz/README.md); nothing
 * here does I/O beyond the message of a failed check.
 */
#ifndef ASYNCLOG_FUZZ_H
#define ASYNCLOG_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* A property does not hold: say which and where, then crash on purpose. */
#define FUZZ_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: property failed: %s: ",		\
		    __FILE__, __LINE__, #cond);				\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

/* The fuzz input, consumed from the front; reads past its end give zeros. */
struct fuzz_in {
	const uint8_t	*p;
	size_t		 len;
};

static inline uint64_t
fuzz_take_uint(struct fuzz_in *in, size_t nbytes)
{
	uint64_t	v = 0;
	size_t		i;

	for (i = 0; i < nbytes; i++) {
		v = v << 8;
		if (in->len > 0) {
			v |= *in->p++;
			in->len--;
		}
	}
	return v;
}

/* A piece of at most max bytes whose length is the next byte of input. */
static inline const char *
fuzz_take_bytes(struct fuzz_in *in, size_t max, size_t *len)
{
	const char	*s;
	size_t		 n = (size_t)fuzz_take_uint(in, 1);

	if (n > max)
		n = max;
	if (n > in->len)
		n = in->len;
	s = (const char *)in->p;
	in->p += n;
	in->len -= n;
	*len = n;
	return s;
}

/* Does p[0..len) lie within base[0..size)? An empty piece anywhere does. */
static inline int
fuzz_within(const void *p, size_t len, const void *base, size_t size)
{
	uintptr_t	a = (uintptr_t)p, b = (uintptr_t)base;

	if (len == 0)
		return 1;
	return a >= b && a - b <= size && len <= size - (a - b);
}

#endif
