/* SPDX-License-Identifier: ISC */
/*
 * fuzz_render.c: libFuzzer target for the daemon's renderer (render.c), the
 * code that turns a client's format and arguments into a message. Both are
 * a client's choice, so: any format, any argument bytes.
 *
 * The input is a byte choosing the output size, a length-prefixed format
 * (two bytes of length), then the argument bytes. Properties:
 *   - render_parse either refuses the format with a reason or accepts it
 *     with at most RENDER_MAX_ARGS arguments and RENDER_MAX_CONV
 *     conversions, every literal run inside the format;
 *   - render_decode accepts arguments only when they are consumed exactly,
 *     every string inside them;
 *   - render_text never writes past its buffer (ASan), returns the same full
 *     length whatever the buffer, and a small buffer gets a prefix of what a
 *     large one gets: a cut is a cut, never different bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "render.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const size_t fuzz_caps[] = { 0, 1, 7, 64, 1024, 65536 };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct render_fmt f;
	static struct render_value v[RENDER_MAX_ARGS];
	static char big[1 << 20], *small;
	struct fuzz_in in = { data, size };
	const char *fmt, *why = NULL;
	size_t cap, flen, full, n, i;

	cap = fuzz_caps[fuzz_take_uint(&in, 1) % (sizeof fuzz_caps /
	    sizeof fuzz_caps[0])];
	flen = (size_t)fuzz_take_uint(&in, 2);
	if (flen > in.len)
		flen = in.len;
	fmt = (const char *)in.p;
	in.p += flen;
	in.len -= flen;

	if (render_parse(fmt, flen, &f, &why) == -1) {
		FUZZ_CHECK(why != NULL && *why != '\0', "refused without a reason");
		return 0;
	}
	FUZZ_CHECK(f.nargs <= RENDER_MAX_ARGS && f.nconv <= RENDER_MAX_CONV,
	    "%u arguments, %u conversions", f.nargs, f.nconv);
	for (i = 0; i < f.nconv; i++)
		FUZZ_CHECK(fuzz_within(fmt + f.conv[i].lit_off,
		    f.conv[i].lit_len, fmt, flen), "literal %zu outside", i);
	FUZZ_CHECK(fuzz_within(fmt + f.tail_off, f.tail_len, fmt, flen),
	    "tail outside");
	if (render_decode(&f, in.p, in.len, v) == -1)
		return 0;
	for (i = 0; i < f.nargs; i++)
		if (v[i].s != NULL)
			FUZZ_CHECK(fuzz_within(v[i].s, v[i].slen, in.p, in.len),
			    "string %zu outside the arguments", i);

	full = render_text(fmt, &f, v, big, sizeof(big));
	/* A buffer of its own, so ASan sees a write one byte past it. */
	if ((small = malloc(cap == 0 ? 1 : cap)) == NULL)
		abort();
	n = render_text(fmt, &f, v, small, cap);
	FUZZ_CHECK(n == full, "full length %zu, then %zu", full, n);
	n = cap < full ? cap : full;
	if (n > sizeof(big))
		n = sizeof(big);
	FUZZ_CHECK(memcmp(small, big, n) == 0, "a cut differs from the whole");
	free(small);
	return 0;
}
