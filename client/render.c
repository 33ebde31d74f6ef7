/* SPDX-License-Identifier: ISC */
/*
 * render.c: parse printf formats and render them from raw arguments (see
 * render.h for what is supported and why no client-chosen format ever
 * reaches the printf family).
 *
 * Pure: no I/O, no allocation, no global state. Every length read from
 * argument bytes is checked against the bytes there, and every write goes
 * through struct render_out, which counts what it cannot store.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "render.h"

/* Where rendered bytes go: at most cap stored, len counts them all. */
struct render_out {
	char	*p;
	size_t	 cap;
	size_t	 len;
};

static void
render_put(struct render_out *o, const char *s, size_t n)
{
	size_t	room = o->len < o->cap ? o->cap - o->len : 0;

	if (n != 0 && room != 0)
		memcpy(o->p + o->len, s, n < room ? n : room);
	o->len += n;
}

/* n copies of c: a width of 2^31 costs only what fits. */
static void
render_pad(struct render_out *o, char c, size_t n)
{
	size_t	room = o->len < o->cap ? o->cap - o->len : 0;

	if (n != 0 && room != 0)
		memset(o->p + o->len, c, n < room ? n : room);
	o->len += n;
}

/* A literal width or precision: digits, at most RENDER_MAX_WIDTH. */
static int
render_number(const char *fmt, size_t len, size_t *i, int16_t *out)
{
	int	v = 0;

	if (*i >= len || fmt[*i] < '0' || fmt[*i] > '9')
		return 0;
	while (*i < len && fmt[*i] >= '0' && fmt[*i] <= '9') {
		v = v * 10 + (fmt[*i] - '0');
		if (v > RENDER_MAX_WIDTH)
			return -1;
		(*i)++;
	}
	*out = (int16_t)v;
	return 1;
}

static int
render_add_arg(struct render_fmt *f, enum render_kind kind, enum render_va va)
{
	if (f->nargs >= RENDER_MAX_ARGS)
		return -1;
	f->kind[f->nargs] = (uint8_t)kind;
	f->va[f->nargs] = (uint8_t)va;
	f->nargs++;
	return 0;
}

/* The va type of an integer conversion with length modifier len. */
static enum render_va
render_int_va(enum render_len len, bool sign)
{
	switch (len) {
	case RENDER_L_L:
		return sign ? RENDER_VA_LONG : RENDER_VA_ULONG;
	case RENDER_L_LL:
		return sign ? RENDER_VA_LLONG : RENDER_VA_ULLONG;
	case RENDER_L_J:
		return sign ? RENDER_VA_INTMAX : RENDER_VA_UINTMAX;
	case RENDER_L_Z:
		return sign ? RENDER_VA_SSIZE : RENDER_VA_SIZE;
	case RENDER_L_T:
		return RENDER_VA_PTRDIFF;
	default:
		/* char and short arrive promoted to int */
		return sign ? RENDER_VA_INT : RENDER_VA_UINT;
	}
}

/* Check one parsed conversion and add its argument(s). */
static int
render_conv_args(struct render_fmt *f, struct render_conv *c,
    const char **why)
{
	bool	floating;

	/* strchr() finds a NUL in any set: a format may hold one. */
	if (c->conv == '\0') {
		*why = "an unsupported conversion";
		return -1;
	}
	floating = strchr("fFeEgGaA", c->conv) != NULL;

	if (c->conv == '%') {
		if (c->flags || c->len || c->width >= 0 || c->prec >= 0 ||
		    c->width_star || c->prec_star) {
			*why = "%% with flags, width or precision";
			return -1;
		}
		return 0;
	}
	if (strchr("cspn", c->conv) != NULL || floating) {
		if (c->conv == 'n') {
			*why = "%n is refused";
			return -1;
		}
		if (!floating && (c->flags & ~RENDER_F_MINUS)) {
			*why = "a flag other than - with c, s or p";
			return -1;
		}
		if (!floating && c->len != RENDER_L_NONE) {
			*why = "a length modifier with c, s or p (wide characters)";
			return -1;
		}
		if ((c->conv == 'c' || c->conv == 'p') &&
		    (c->prec >= 0 || c->prec_star)) {
			*why = "a precision with c or p";
			return -1;
		}
		if (floating && (c->width_star || c->prec_star)) {
			*why = "'*' with a floating conversion";
			return -1;
		}
		if (floating && c->len != RENDER_L_NONE && c->len != RENDER_L_L) {
			*why = "a length modifier other than l with a floating conversion";
			return -1;
		}
	} else if (strchr("diouxX", c->conv) != NULL) {
		if ((c->flags & RENDER_F_HASH) && strchr("di", c->conv)) {
			*why = "# with d or i";
			return -1;
		}
	} else {
		*why = "an unsupported conversion";
		return -1;
	}
	if (c->width_star && render_add_arg(f, RENDER_INT, RENDER_VA_INT) == -1)
		goto many;
	if (c->prec_star && render_add_arg(f, RENDER_INT, RENDER_VA_INT) == -1)
		goto many;
	switch (c->conv) {
	case 'd':
	case 'i':
		if (render_add_arg(f, RENDER_INT, render_int_va(c->len, true)) == -1)
			goto many;
		return 0;
	case 'o':
	case 'u':
	case 'x':
	case 'X':
		if (render_add_arg(f, RENDER_UINT,
		    render_int_va(c->len, false)) == -1)
			goto many;
		return 0;
	case 'c':
		return render_add_arg(f, RENDER_INT, RENDER_VA_INT) == -1 ?
		    (*why = "too many arguments", -1) : 0;
	case 's':
		return render_add_arg(f, RENDER_STR, RENDER_VA_STR) == -1 ?
		    (*why = "too many arguments", -1) : 0;
	case 'p':
		return render_add_arg(f, RENDER_PTR, RENDER_VA_PTR) == -1 ?
		    (*why = "too many arguments", -1) : 0;
	default:
		return render_add_arg(f, RENDER_DOUBLE, RENDER_VA_DOUBLE) == -1 ?
		    (*why = "too many arguments", -1) : 0;
	}
many:
	*why = "too many arguments";
	return -1;
}

int
render_parse(const char *fmt, size_t len, struct render_fmt *f,
    const char **why)
{
	struct render_conv *c;
	size_t i = 0, lit = 0;
	const char *dummy;
	int r;

	if (why == NULL)
		why = &dummy;
	memset(f, 0, offsetof(struct render_fmt, conv));
	if (len > RENDER_MAX_FMT) {
		*why = "format too long";
		return -1;
	}
	while (i < len) {
		if (fmt[i] != '%') {
			i++;
			continue;
		}
		if (f->nconv >= RENDER_MAX_CONV) {
			*why = "too many conversions";
			return -1;
		}
		c = &f->conv[f->nconv++];
		memset(c, 0, sizeof(*c));
		c->lit_off = (uint16_t)lit;
		c->lit_len = (uint16_t)(i - lit);
		c->width = c->prec = -1;
		i++;
		for (; i < len; i++) {
			if (fmt[i] == '-')
				c->flags |= RENDER_F_MINUS;
			else if (fmt[i] == '+')
				c->flags |= RENDER_F_PLUS;
			else if (fmt[i] == ' ')
				c->flags |= RENDER_F_SPACE;
			else if (fmt[i] == '#')
				c->flags |= RENDER_F_HASH;
			else if (fmt[i] == '0')
				c->flags |= RENDER_F_ZERO;
			else
				break;
		}
		if (i < len && fmt[i] == '*') {
			c->width_star = true;
			i++;
		} else if ((r = render_number(fmt, len, &i, &c->width)) == -1) {
			*why = "width above RENDER_MAX_WIDTH";
			return -1;
		}
		if (i < len && fmt[i] == '$') {
			*why = "positional arguments";
			return -1;
		}
		if (i < len && fmt[i] == '.') {
			i++;
			c->prec = 0;
			if (i < len && fmt[i] == '*') {
				c->prec_star = true;
				c->prec = -1;
				i++;
			} else if (render_number(fmt, len, &i, &c->prec) == -1) {
				*why = "precision above RENDER_MAX_WIDTH";
				return -1;
			}
		}
		if (i + 1 < len && fmt[i] == 'h' && fmt[i + 1] == 'h') {
			c->len = RENDER_L_HH;
			i += 2;
		} else if (i + 1 < len && fmt[i] == 'l' && fmt[i + 1] == 'l') {
			c->len = RENDER_L_LL;
			i += 2;
		} else if (i < len && strchr("hljzt", fmt[i]) != NULL &&
		    fmt[i] != '\0') {
			c->len = fmt[i] == 'h' ? RENDER_L_H : fmt[i] == 'l' ?
			    RENDER_L_L : fmt[i] == 'j' ? RENDER_L_J :
			    fmt[i] == 'z' ? RENDER_L_Z : RENDER_L_T;
			i++;
		}
		if (i >= len) {
			*why = "a conversion cut by the end of the format";
			return -1;
		}
		c->conv = fmt[i++];
		if (render_conv_args(f, c, why) == -1)
			return -1;
		lit = i;
	}
	f->tail_off = (uint16_t)lit;
	f->tail_len = (uint16_t)(len - lit);
	return 0;
}

static uint64_t
render_get_u64(const uint8_t *p)
{
	uint64_t	v = 0;
	int		i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

int
render_decode(const struct render_fmt *f, const void *args, size_t len,
    struct render_value *vals)
{
	const uint8_t *p = args;
	size_t off = 0, n;
	uint64_t u;
	unsigned i;

	for (i = 0; i < f->nargs; i++) {
		vals[i].s = NULL;
		vals[i].slen = 0;
		if (f->kind[i] == RENDER_STR) {
			if (len - off < 4)
				return -1;
			n = (size_t)p[off] | (size_t)p[off + 1] << 8 |
			    (size_t)p[off + 2] << 16 | (size_t)p[off + 3] << 24;
			off += 4;
			if (n == RENDER_NULL_STR)
				continue;
			if (n > len - off)
				return -1;
			vals[i].s = (const char *)p + off;
			vals[i].slen = n;
			off += n;
			continue;
		}
		if (len - off < 8)
			return -1;
		u = render_get_u64(p + off);
		off += 8;
		if (f->kind[i] == RENDER_DOUBLE)
			memcpy(&vals[i].v.d, &u, sizeof(u));
		else
			vals[i].v.u = u;
	}
	return off == len ? 0 : -1;
}

/* An integer argument as printf sees it after its length modifier. */
static void
render_int_value(const struct render_conv *c, const struct render_value *v,
    bool *neg, uint64_t *mag)
{
	int64_t s;
	uint64_t u = v->v.u;

	*neg = false;
	if (c->conv == 'd' || c->conv == 'i') {
		switch (c->len) {
		case RENDER_L_HH:
			s = (signed char)(uint8_t)u;
			break;
		case RENDER_L_H:
			s = (short)(uint16_t)u;
			break;
		case RENDER_L_NONE:
			s = (int)(uint32_t)u;
			break;
		default:
			s = v->v.i;
			break;
		}
		*neg = s < 0;
		*mag = *neg ? (uint64_t)0 - (uint64_t)s : (uint64_t)s;
		return;
	}
	switch (c->len) {
	case RENDER_L_HH:
		*mag = (uint8_t)u;
		break;
	case RENDER_L_H:
		*mag = (uint16_t)u;
		break;
	case RENDER_L_NONE:
		*mag = (uint32_t)u;
		break;
	default:
		*mag = u;
		break;
	}
}

/* Width padding around a body of n bytes; left says before or after. */
static size_t
render_padding(int width, size_t n)
{
	return width > 0 && (size_t)width > n ? (size_t)width - n : 0;
}

static void
render_int(struct render_out *o, const struct render_conv *c, int flags,
    int width, int prec, const struct render_value *v)
{
	char digits[24], pre[3];
	const char *set = c->conv == 'X' ? "0123456789ABCDEF" :
	    "0123456789abcdef";
	unsigned base = c->conv == 'o' ? 8 : (c->conv == 'x' ||
	    c->conv == 'X') ? 16 : 10;
	size_t nd = 0, np = 0, zeros = 0, body, pad;
	uint64_t mag;
	bool neg, zero_pad;

	/* 0 pads only without - and without a precision. */
	zero_pad = (flags & RENDER_F_ZERO) && !(flags & RENDER_F_MINUS) &&
	    prec < 0;
	render_int_value(c, v, &neg, &mag);
	while (mag != 0) {
		digits[sizeof(digits) - 1 - nd++] = set[mag % base];
		mag /= base;
	}
	if (prec < 0)
		prec = 1;
	if ((size_t)prec > nd)
		zeros = (size_t)prec - nd;
	/* # with o: the first digit is a 0. */
	if (c->conv == 'o' && (flags & RENDER_F_HASH) && zeros == 0 &&
	    (nd == 0 || digits[sizeof(digits) - nd] != '0'))
		zeros = 1;
	if (neg)
		pre[np++] = '-';
	else if ((c->conv == 'd' || c->conv == 'i') && (flags & RENDER_F_PLUS))
		pre[np++] = '+';
	else if ((c->conv == 'd' || c->conv == 'i') && (flags & RENDER_F_SPACE))
		pre[np++] = ' ';
	if ((c->conv == 'x' || c->conv == 'X') && (flags & RENDER_F_HASH) &&
	    nd > 0) {
		pre[np++] = '0';
		pre[np++] = c->conv;
	}
	body = np + zeros + nd;
	pad = render_padding(width, body);
	if (!(flags & RENDER_F_MINUS) && !zero_pad)
		render_pad(o, ' ', pad);
	render_put(o, pre, np);
	if (zero_pad)
		render_pad(o, '0', pad);
	render_pad(o, '0', zeros);
	render_put(o, digits + sizeof(digits) - nd, nd);
	if (flags & RENDER_F_MINUS)
		render_pad(o, ' ', pad);
}

static void
render_padded(struct render_out *o, int flags, int width, const char *s,
    size_t n)
{
	size_t pad = render_padding(width, n);

	if (!(flags & RENDER_F_MINUS))
		render_pad(o, ' ', pad);
	render_put(o, s, n);
	if (flags & RENDER_F_MINUS)
		render_pad(o, ' ', pad);
}

/*
 * The one place a printf function runs: on a format built here from
 * checked fields (flags from a fixed set, width and precision at most
 * RENDER_MAX_WIDTH, a floating conversion letter) with one double, into a
 * buffer large enough for any such result.
 */
static void
render_double(struct render_out *o, const struct render_conv *c, double d)
{
	char spec[32], buf[2 * RENDER_MAX_WIDTH + 400];
	size_t n = 0;
	int r;

	spec[n++] = '%';
	if (c->flags & RENDER_F_MINUS)
		spec[n++] = '-';
	if (c->flags & RENDER_F_PLUS)
		spec[n++] = '+';
	if (c->flags & RENDER_F_SPACE)
		spec[n++] = ' ';
	if (c->flags & RENDER_F_HASH)
		spec[n++] = '#';
	if (c->flags & RENDER_F_ZERO)
		spec[n++] = '0';
	if (c->width >= 0)
		n += (size_t)snprintf(spec + n, sizeof(spec) - n, "%d",
		    c->width);
	if (c->prec >= 0)
		n += (size_t)snprintf(spec + n, sizeof(spec) - n, ".%d",
		    c->prec);
	spec[n++] = c->conv;
	spec[n] = '\0';
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	r = snprintf(buf, sizeof(buf), spec, d);
#pragma GCC diagnostic pop
	if (r > 0)
		render_put(o, buf, (size_t)r < sizeof(buf) ? (size_t)r :
		    sizeof(buf) - 1);
}

/* '*' values: a negative width is the - flag; a negative precision none. */
static int
render_star(const struct render_value *v)
{
	int64_t s = (int)(uint32_t)v->v.u;

	return (int)s;
}

static void
render_conv(struct render_out *o, const struct render_conv *c,
    const struct render_value *vals, unsigned *a)
{
	const struct render_value *v;
	int flags = c->flags, width = c->width, prec = c->prec;
	char buf[24], ch;
	size_t n;
	uint64_t u;

	if (c->conv == '%') {
		render_put(o, "%", 1);
		return;
	}
	if (c->width_star) {
		width = render_star(&vals[(*a)++]);
		if (width < 0) {
			flags |= RENDER_F_MINUS;
			/* INT_MIN: -INT_MIN does not fit an int */
			width = width == INT32_MIN ? INT32_MAX : -width;
		}
	}
	if (c->prec_star) {
		prec = render_star(&vals[(*a)++]);
		if (prec < 0)
			prec = -1;
	}
	v = &vals[(*a)++];
	switch (c->conv) {
	case 'c':
		ch = (char)(unsigned char)v->v.u;
		render_padded(o, flags, width, &ch, 1);
		return;
	case 's':
		if (v->s == NULL) {
			/* glibc: "(null)" unless a precision cuts it short */
			if (prec < 0 || prec >= 6)
				render_padded(o, flags, width, "(null)", 6);
			else
				render_padded(o, flags, width, "", 0);
			return;
		}
		n = v->slen;
		if (prec >= 0 && (size_t)prec < n)
			n = (size_t)prec;
		render_padded(o, flags, width, v->s, n);
		return;
	case 'p':
		if ((u = v->v.u) == 0) {
			render_padded(o, flags, width, "(nil)", 5);
			return;
		}
		n = sizeof(buf);
		while (u != 0) {
			buf[--n] = "0123456789abcdef"[u & 15];
			u >>= 4;
		}
		buf[--n] = 'x';
		buf[--n] = '0';
		render_padded(o, flags, width, buf + n, sizeof(buf) - n);
		return;
	case 'd':
	case 'i':
	case 'o':
	case 'u':
	case 'x':
	case 'X':
		render_int(o, c, flags, width, prec, v);
		return;
	default:
		render_double(o, c, v->v.d);
		return;
	}
}

size_t
render_text(const char *fmt, const struct render_fmt *f,
    const struct render_value *vals, char *out, size_t cap)
{
	struct render_out o = { out, cap, 0 };
	unsigned i, a = 0;

	for (i = 0; i < f->nconv; i++) {
		render_put(&o, fmt + f->conv[i].lit_off, f->conv[i].lit_len);
		render_conv(&o, &f->conv[i], vals, &a);
	}
	render_put(&o, fmt + f->tail_off, f->tail_len);
	return o.len;
}
