/* SPDX-License-Identifier: ISC */
/*
 * test_render.c: the daemon's renderer against glibc's snprintf, byte for
 * byte, on thousands of random formats and arguments (a property test: the
 * seed is printed, ASYNCLOG_RENDER_SEED replays one), and on what it must
 * refuse.
 *
 * A random format is built from random conversions; its expected output is
 * snprintf of each conversion with its own arguments, between the literal
 * runs (printf renders conversions independently, so this is snprintf of
 * the whole format without needing a va_list built at run time). The
 * arguments are encoded as libasynclog puts them on the wire.
 */
#include <criterion/criterion.h>

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "render.h"

#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-security"

static uint64_t rng_state;

static uint64_t
rnd(void)
{
	/* xorshift64*: reproducible from the seed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static unsigned
pick(unsigned n)
{
	return (unsigned)(rnd() % n);
}

struct gen {
	char	 fmt[1024];
	size_t	 flen;
	uint8_t	 args[8192];
	size_t	 alen;
	char	 want[65536];
	size_t	 wlen;
	char	 strs[RENDER_MAX_ARGS][80];
};

static void
put64(struct gen *g, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		g->args[g->alen++] = (uint8_t)(v >> (8 * i));
}

static void
putstr(struct gen *g, const char *s)
{
	uint32_t n = s == NULL ? RENDER_NULL_STR : (uint32_t)strlen(s);
	int i;

	for (i = 0; i < 4; i++)
		g->args[g->alen++] = (uint8_t)(n >> (8 * i));
	if (s != NULL) {
		memcpy(g->args + g->alen, s, n);
		g->alen += n;
	}
}

static void
want(struct gen *g, const char *s, int n)
{
	cr_assert_geq(n, 0);
	cr_assert_lt(g->wlen + (size_t)n, sizeof(g->want));
	memcpy(g->want + g->wlen, s, (size_t)n);
	g->wlen += (size_t)n;
}

static uint64_t
rnd_int(void)
{
	static const uint64_t edge[] = { 0, 1, (uint64_t)-1, 127, 128, 255,
	    256, 32767, 32768, 65535, 65536, INT_MAX, (uint64_t)INT_MIN,
	    UINT_MAX, (uint64_t)INT64_MIN, INT64_MAX, 10, 100, 8, 16 };

	switch (pick(4)) {
	case 0:
		return edge[pick(sizeof(edge) / sizeof(edge[0]))];
	case 1:
		return rnd() % 1000;
	case 2:
		return (uint64_t)-(int64_t)(rnd() % 100000);
	default:
		return rnd();
	}
}

static double
rnd_double(void)
{
	static const double edge[] = { 0.0, -0.0, 1.0, -1.0, 0.5, 1e-300,
	    1e300, DBL_MAX, DBL_MIN, DBL_TRUE_MIN, 3.141592653589793,
	    2.5, 0.125, 1e15, 123456789.0, 9.999999, 0.1 };
	uint64_t u;
	double d;

	switch (pick(5)) {
	case 0:
		return edge[pick(sizeof(edge) / sizeof(edge[0]))];
	case 1:
		return pick(2) ? INFINITY : (pick(2) ? -INFINITY : NAN);
	case 2:
		return (double)(int64_t)(rnd() % 2000000) / 1000.0 - 1000.0;
	default:
		u = rnd();
		memcpy(&d, &u, sizeof(d));
		return d;
	}
}

/* One random supported conversion: its spec text, arguments and output. */
static void
gen_conv(struct gen *g, unsigned *nargs)
{
	static const char convs[] = "diouxXcspfFeEgGaA%";
	static const char *const lens[] = { "", "hh", "h", "l", "ll", "j",
	    "z", "t" };
	char spec[64], out[8192];
	char conv = convs[pick(sizeof(convs) - 1)];
	bool floating = strchr("fFeEgGaA", conv) != NULL;
	bool integer = strchr("diouxX", conv) != NULL;
	bool wstar = false, pstar = false;
	int w = 0, p = 0, n;
	size_t sl = 0;
	const char *len = "";
	unsigned f, nf, i, j;
	char flagc[8], tmp;
	uint64_t v;
	double d;
	const char *s;

	spec[sl++] = '%';
	if (conv == '%') {
		spec[sl++] = '%';
		spec[sl] = '\0';
		want(g, "%", 1);
		memcpy(g->fmt + g->flen, spec, sl);
		g->flen += sl;
		return;
	}
	f = pick(32);
	nf = 0;
	if (f & 1)
		flagc[nf++] = '-';
	if ((floating || integer) && (f & 2) && conv != 'c')
		flagc[nf++] = '+';
	if ((floating || integer) && (f & 4))
		flagc[nf++] = ' ';
	if ((floating || (integer && conv != 'd' && conv != 'i')) && (f & 8))
		flagc[nf++] = '#';
	if ((floating || integer) && (f & 16))
		flagc[nf++] = '0';
	/* In any order, one of them maybe twice: printf takes them so. */
	if (nf > 0 && pick(4) == 0) {
		j = pick(nf);
		flagc[nf++] = flagc[j];
	}
	for (i = nf; i > 1; i--) {
		j = pick(i);
		tmp = flagc[i - 1];
		flagc[i - 1] = flagc[j];
		flagc[j] = tmp;
	}
	memcpy(spec + sl, flagc, nf);
	sl += nf;
	if (!floating && *nargs + 3 < RENDER_MAX_ARGS && pick(6) == 0) {
		wstar = true;
		spec[sl++] = '*';
	} else if (pick(2))
		/* never 0: that would be the 0 flag */
		sl += (size_t)sprintf(spec + sl, "%u", pick(3) ? 1 + pick(12) :
		    1 + pick(RENDER_MAX_WIDTH));
	if (conv != 'c' && conv != 'p') {
		if (!floating && *nargs + 3 < RENDER_MAX_ARGS && pick(6) == 0) {
			pstar = true;
			sl += (size_t)sprintf(spec + sl, ".*");
		} else if (pick(2))
			sl += (size_t)sprintf(spec + sl, ".%u", pick(3) ?
			    pick(12) : pick(RENDER_MAX_WIDTH + 1));
	}
	if (integer)
		len = lens[pick(8)];
	else if (floating && pick(3) == 0)
		len = "l";
	sl += (size_t)sprintf(spec + sl, "%s%c", len, conv);
	spec[sl] = '\0';
	memcpy(g->fmt + g->flen, spec, sl);
	g->flen += sl;

	if (wstar) {
		w = pick(4) == 0 ? -(int)pick(40) : (int)pick(40);
		if (pick(8) == 0)	/* past any literal width */
			w = (pick(2) ? -1 : 1) * (int)pick(1200);
		put64(g, (uint64_t)(int64_t)w);
		(*nargs)++;
	}
	if (pstar) {
		p = pick(4) == 0 ? -(int)pick(20) : (int)pick(20);
		if (pick(8) == 0)
			p = (pick(2) ? -1 : 1) * (int)pick(1200);
		put64(g, (uint64_t)(int64_t)p);
		(*nargs)++;
	}
	(*nargs)++;

/* snprintf with the '*' values the spec asks for, then the value. */
#define CALL(val) (wstar && pstar ? snprintf(out, sizeof(out), spec, w, p, val) : \
	wstar ? snprintf(out, sizeof(out), spec, w, val) : \
	pstar ? snprintf(out, sizeof(out), spec, p, val) : \
	snprintf(out, sizeof(out), spec, val))

	if (floating) {
		d = rnd_double();
		memcpy(&v, &d, sizeof(v));
		put64(g, v);
		n = CALL(d);
	} else if (conv == 's') {
		if (pick(8) == 0)
			s = NULL;
		else {
			snprintf(g->strs[*nargs], sizeof(g->strs[0]),
			    "%.*s", (int)pick(40),
			    "user-name \t with \xc3\xa9 utf8 and more bytes here");
			s = g->strs[*nargs];
		}
		putstr(g, s);
		n = CALL(s);
	} else if (conv == 'p') {
		v = pick(4) == 0 ? 0 : rnd();
		put64(g, v);
		n = CALL((void *)(uintptr_t)v);
	} else if (conv == 'c') {
		v = rnd_int();
		put64(g, (uint64_t)(int64_t)(int)v);
		n = CALL((int)v);
	} else {
		v = rnd_int();
		/* As the library reads and widens them (render_va). */
		if (conv == 'd' || conv == 'i') {
			if (strcmp(len, "l") == 0) {
				put64(g, (uint64_t)(long)v);
				n = CALL((long)v);
			} else if (strcmp(len, "ll") == 0) {
				put64(g, (uint64_t)(long long)v);
				n = CALL((long long)v);
			} else if (strcmp(len, "j") == 0) {
				put64(g, (uint64_t)(intmax_t)v);
				n = CALL((intmax_t)v);
			} else if (strcmp(len, "z") == 0) {
				put64(g, (uint64_t)(ssize_t)v);
				n = CALL((ssize_t)v);
			} else if (strcmp(len, "t") == 0) {
				put64(g, (uint64_t)(ptrdiff_t)v);
				n = CALL((ptrdiff_t)v);
			} else {
				put64(g, (uint64_t)(int64_t)(int)v);
				n = CALL((int)v);
			}
		} else {
			if (strcmp(len, "l") == 0) {
				put64(g, (unsigned long)v);
				n = CALL((unsigned long)v);
			} else if (strcmp(len, "ll") == 0) {
				put64(g, (unsigned long long)v);
				n = CALL((unsigned long long)v);
			} else if (strcmp(len, "j") == 0) {
				put64(g, (uintmax_t)v);
				n = CALL((uintmax_t)v);
			} else if (strcmp(len, "z") == 0) {
				put64(g, (size_t)v);
				n = CALL((size_t)v);
			} else if (strcmp(len, "t") == 0) {
				put64(g, (uint64_t)(ptrdiff_t)v);
				n = CALL((ptrdiff_t)v);
			} else {
				put64(g, (unsigned)v);
				n = CALL((unsigned)v);
			}
		}
	}
#undef CALL
	cr_assert_lt(n, (int)sizeof(out), "%s rendered %d bytes", spec, n);
	want(g, out, n);
}

static void
gen_format(struct gen *g)
{
	static const char *const lits[] = { "request ", " took ", " ms for ",
	    "", "x", " [", "] ", "=", ", ", "\t", "\xc3\xa9" };
	unsigned i, nconv = pick(6) + (pick(4) == 0 ? 10 : 0), nargs = 0;
	const char *l;

	g->flen = g->alen = g->wlen = 0;
	for (i = 0; i < nconv && nargs + 4 < RENDER_MAX_ARGS &&
	    i + 1 < RENDER_MAX_CONV; i++) {
		l = lits[pick(sizeof(lits) / sizeof(lits[0]))];
		memcpy(g->fmt + g->flen, l, strlen(l));
		g->flen += strlen(l);
		want(g, l, (int)strlen(l));
		gen_conv(g, &nargs);
	}
	l = lits[pick(sizeof(lits) / sizeof(lits[0]))];
	memcpy(g->fmt + g->flen, l, strlen(l));
	g->flen += strlen(l);
	want(g, l, (int)strlen(l));
}

Test(render, random_formats_render_byte_for_byte_as_snprintf,
    .timeout = 120)
{
	static struct gen g;
	static struct render_fmt f;
	struct render_value vals[RENDER_MAX_ARGS];
	static char got[65536];
	const char *why, *env = getenv("ASYNCLOG_RENDER_SEED");
	uint64_t seed;
	size_t n;
	int i;

	seed = env != NULL ? strtoull(env, NULL, 10) : (uint64_t)time(NULL) *
	    2654435761u + (uint64_t)getpid();
	if (seed == 0)
		seed = 1;
	fprintf(stderr, "render property test: ASYNCLOG_RENDER_SEED=%llu\n",
	    (unsigned long long)seed);
	rng_state = seed;
	for (i = 0; i < 20000; i++) {
		gen_format(&g);
		cr_assert_eq(render_parse(g.fmt, g.flen, &f, &why), 0,
		    "round %d: \"%.*s\" refused: %s", i, (int)g.flen, g.fmt, why);
		cr_assert_eq(render_decode(&f, g.args, g.alen, vals), 0,
		    "round %d: arguments of \"%.*s\" refused", i, (int)g.flen,
		    g.fmt);
		n = render_text(g.fmt, &f, vals, got, sizeof(got));
		cr_assert_eq(n, g.wlen, "round %d: \"%.*s\": %zu bytes, "
		    "snprintf %zu:\n got  \"%.*s\"\n want \"%.*s\"", i,
		    (int)g.flen, g.fmt, n, g.wlen, (int)n, got, (int)g.wlen,
		    g.want);
		cr_assert_eq(memcmp(got, g.want, n), 0, "round %d: \"%.*s\":\n"
		    " got  \"%.*s\"\n want \"%.*s\"", i, (int)g.flen, g.fmt,
		    (int)n, got, (int)g.wlen, g.want);
		/* Cut anywhere: a prefix of the same bytes, same length. */
		n = render_text(g.fmt, &f, vals, got, g.wlen / 2);
		cr_assert_eq(n, g.wlen);
		cr_assert_eq(memcmp(got, g.want, g.wlen / 2), 0);
	}
}

Test(render, unsupported_formats_are_refused_so_the_caller_formats)
{
	static const char *const bad[] = { "%n", "x %hn", "%m", "%lc", "%ls",
	    "%Lf", "%qd", "%C", "%S", "%1$d", "%'d", "%Id", "%05s", "%+c",
	    "%.3c", "%.2p", "%#d", "%*f", "%.*e", "%5%", "%hf", "%", "abc %l",
	    "%2000d", "%.2000f", "%y", "%w" };
	struct render_fmt f;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		cr_assert_eq(render_parse(bad[i], strlen(bad[i]), &f, &why), -1,
		    "\"%s\" accepted", bad[i]);
		cr_assert_not_null(why);
	}
	cr_assert_eq(render_parse("%d", 2, &f, NULL), 0);
	/* A NUL as the conversion letter (found by fuzz_render). */
	cr_assert_eq(render_parse("%1\0", 3, &f, NULL), -1);
	cr_assert_eq(render_parse("%\0", 2, &f, NULL), -1);
}

Test(render, too_many_arguments_or_conversions_are_refused)
{
	char fmt[400] = "";
	struct render_fmt f;
	int i;

	for (i = 0; i < RENDER_MAX_ARGS + 1; i++)
		strcat(fmt, "%d");
	cr_assert_eq(render_parse(fmt, strlen(fmt), &f, NULL), -1);
	cr_assert_eq(render_parse(fmt, 2 * RENDER_MAX_ARGS, &f, NULL), 0);
	cr_assert_eq(f.nargs, RENDER_MAX_ARGS);
}

Test(render, arguments_must_match_the_format_exactly)
{
	static const uint8_t two[] = { 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 'a',
	    'b', 0xff, 0xff };
	struct render_value v[RENDER_MAX_ARGS];
	struct render_fmt f;
	char out[64];

	cr_assert_eq(render_parse("%d %s", 5, &f, NULL), 0);
	cr_assert_eq(render_decode(&f, two, 14, v), 0);
	cr_assert_eq(render_text("%d %s", &f, v, out, sizeof(out)), 4);
	cr_assert_eq(memcmp(out, "1 ab", 4), 0);
	cr_assert_eq(render_decode(&f, two, 13, v), -1);	/* string cut */
	cr_assert_eq(render_decode(&f, two, 16, v), -1);	/* trailing */
	cr_assert_eq(render_decode(&f, two, 7, v), -1);		/* int cut */
}

Test(render, null_string_renders_as_glibc_does)
{
	static const uint8_t null[] = { 0xff, 0xff, 0xff, 0xff };
	struct render_value v[1];
	struct render_fmt f;
	char out[64];

	cr_assert_eq(render_parse("[%s]", 4, &f, NULL), 0);
	cr_assert_eq(render_decode(&f, null, 4, v), 0);
	cr_assert_eq(render_text("[%s]", &f, v, out, sizeof(out)), 8);
	cr_assert_eq(memcmp(out, "[(null)]", 8), 0);
}

Test(render, a_huge_star_width_costs_only_what_fits)
{
	static const uint8_t args[] = { 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0,
	    7, 0, 0, 0, 0, 0, 0, 0 };
	struct render_value v[2];
	struct render_fmt f;
	char out[16];

	cr_assert_eq(render_parse("%*d", 3, &f, NULL), 0);
	cr_assert_eq(render_decode(&f, args, sizeof(args), v), 0);
	cr_assert_eq(render_text("%*d", &f, v, out, sizeof(out)), INT_MAX);
	cr_assert_eq(memcmp(out, "                ", 16), 0);
}
