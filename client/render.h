/* SPDX-License-Identifier: ISC */
/*
 * render.h: printf formats, parsed once and rendered without printf.
 *
 * Shared by libasynclog and asynclogd, pure like wire.c. The library parses
 * a call site's format once (render_parse) to learn which arguments to copy;
 * the daemon parses the same format from a FORMAT frame and renders records
 * from their raw arguments (render_decode, render_text) exactly as glibc's
 * snprintf would in the C locale. A client chooses both the format and the
 * arguments, so nothing here hands either to the printf family: integers,
 * strings, characters and pointers are written by hand, and a floating
 * conversion, whose digits only the C library gets exactly right, goes to
 * snprintf as a format this file builds itself from the parsed fields (one
 * conversion, no '*', width and precision at most RENDER_MAX_WIDTH) with one
 * double. Output is bounded by the caller's buffer whatever the widths say:
 * padding is counted, not written, past the end.
 *
 * Supported: the conversions d i u o x X c s p %% and f F e E g G a A;
 * flags - + space # 0; a width and a precision, literal or '*' (floating
 * conversions: literal only); length modifiers hh h l ll j z t (l with
 * floating conversions). Anything else makes render_parse() fail and the
 * library format in the caller: %n, %m, %lc, %ls, %L, %q, %C, %S, positional
 * arguments (%1$d), the ' and I flags, flags that printf ignores or leaves
 * undefined for a conversion (0 or + with c, s, p; # with d), a precision
 * with c or p, and more than RENDER_MAX_ARGS arguments.
 */
#ifndef ASYNCLOG_RENDER_H
#define ASYNCLOG_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RENDER_MAX_FMT		4096	/* format bytes */
#define RENDER_MAX_ARGS		32	/* arguments, '*' ones included */
#define RENDER_MAX_CONV		32	/* conversions, %% included */
#define RENDER_MAX_WIDTH	1024	/* literal width or precision */
#define RENDER_NULL_STR		UINT32_MAX	/* length of a NULL %s */

/* How an argument travels: 8 bytes little endian, or u32 length + bytes. */
enum render_kind {
	RENDER_INT,		/* int64 two's complement */
	RENDER_UINT,		/* uint64 */
	RENDER_DOUBLE,		/* IEEE 754 binary64 bits */
	RENDER_STR,		/* u32 length (RENDER_NULL_STR: NULL), bytes */
	RENDER_PTR,		/* uint64 */
};

/* How the library takes it from a va_list. */
enum render_va {
	RENDER_VA_INT, RENDER_VA_UINT, RENDER_VA_LONG, RENDER_VA_ULONG,
	RENDER_VA_LLONG, RENDER_VA_ULLONG, RENDER_VA_INTMAX, RENDER_VA_UINTMAX,
	RENDER_VA_SSIZE, RENDER_VA_SIZE, RENDER_VA_PTRDIFF, RENDER_VA_DOUBLE,
	RENDER_VA_STR, RENDER_VA_PTR,
};

#define RENDER_F_MINUS	0x01
#define RENDER_F_PLUS	0x02
#define RENDER_F_SPACE	0x04
#define RENDER_F_HASH	0x08
#define RENDER_F_ZERO	0x10

enum render_len { RENDER_L_NONE, RENDER_L_HH, RENDER_L_H, RENDER_L_L,
    RENDER_L_LL, RENDER_L_J, RENDER_L_Z, RENDER_L_T };

struct render_conv {
	uint16_t	 lit_off;	/* literal text before it, in the format */
	uint16_t	 lit_len;
	char		 conv;		/* 'd', 's', 'f', '%', ... */
	uint8_t		 flags;		/* RENDER_F_* */
	uint8_t		 len;		/* enum render_len */
	bool		 width_star;
	bool		 prec_star;
	int16_t		 width;		/* literal, -1 none */
	int16_t		 prec;		/* literal, -1 none */
};

struct render_fmt {
	uint16_t	 nconv;
	uint16_t	 nargs;
	uint16_t	 tail_off;	/* literal text after the last conversion */
	uint16_t	 tail_len;
	struct render_conv conv[RENDER_MAX_CONV];
	uint8_t		 kind[RENDER_MAX_ARGS];	/* enum render_kind */
	uint8_t		 va[RENDER_MAX_ARGS];	/* enum render_va */
};

/* One decoded argument. */
struct render_value {
	union {
		int64_t		 i;
		uint64_t	 u;
		double		 d;
	} v;
	const char	*s;		/* RENDER_STR; NULL for a NULL string */
	size_t		 slen;
};

/*
 * Parse fmt (len bytes, no NUL needed; a NUL in it ends nothing). Returns 0,
 * or -1 with *why set to a static reason when the format is not supported
 * (see above) or longer than RENDER_MAX_FMT.
 */
int	render_parse(const char *fmt, size_t len, struct render_fmt *,
	    const char **why);

/*
 * Decode the argument bytes of a record against its parsed format into
 * vals[f->nargs]. Returns 0, or -1 when they do not match it exactly
 * (short, trailing bytes, a string running past the end). String values
 * point into args.
 */
int	render_decode(const struct render_fmt *, const void *args, size_t len,
	    struct render_value *vals);

/*
 * Render into out (cap bytes, not NUL-terminated) what snprintf would
 * produce; returns the full length it would have (like snprintf's return
 * value, it may exceed cap: only cap bytes are written).
 */
size_t	render_text(const char *fmt, const struct render_fmt *,
	    const struct render_value *vals, char *out, size_t cap);

#endif
