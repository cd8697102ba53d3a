/*
 * text.c -- charset conversion, UTF-8 sanitising and folding (see text.h).
 *
 * Conversion uses iconv directly so that an invalid byte costs one U+FFFD
 * instead of the rest of the part.  Folding uses utf8proc.
 */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <utf8proc.h>

#include "buf.h"
#include "limits.h"
#include "text.h"
#include "xmalloc.h"

static const char replacement[] = "\xef\xbf\xbd";	/* U+FFFD */

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if invalid. */
static size_t
utf8_seq(const unsigned char *s, size_t left)
{
	utf8proc_int32_t cp;
	utf8proc_ssize_t n;

	if (s[0] < 0x80)
		return s[0] == 0 ? 0 : 1;
	n = utf8proc_iterate(s, (utf8proc_ssize_t)(left > 4 ? 4 : left), &cp);
	return n > 0 ? (size_t)n : 0;
}

int
text_is_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		if (p[i] < 0x80 && p[i] != 0) {
			i++;
			continue;
		}
		if ((n = utf8_seq(p + i, len - i)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

char *
text_sanitize(const char *s, size_t len, size_t *outlen)
{
	const unsigned char *p = (const unsigned char *)s;
	struct buf b;
	size_t i = 0, run, n;

	buf_init(&b, (size_t)-1 / 2);
	while (i < len) {
		/* Copy runs of plain ASCII in one go: most mail is. */
		for (run = i; run < len && p[run] < 0x80 && p[run] != 0; run++)
			;
		if (run > i) {
			buf_add(&b, p + i, run - i);
			i = run;
			continue;
		}
		if (p[i] == 0) {
			buf_addch(&b, ' ');
			i++;
		} else if ((n = utf8_seq(p + i, len - i)) == 0) {
			buf_addstr(&b, replacement);
			i++;
		} else {
			buf_add(&b, p + i, n);
			i += n;
		}
	}
	if (outlen)
		*outlen = b.len;
	return buf_release(&b);
}

/* Charsets whose labels mail clients misuse for windows-1252 text. */
static int
charset_is_latin(const char *cs)
{
	static const char *const names[] = {
		"us-ascii", "ascii", "iso-8859-1", "iso8859-1", "iso_8859-1",
		"latin1", "latin-1", "l1", "windows-1252", "cp1252",
		"x-unknown", "unknown-8bit", "x-user-defined", "default", NULL
	};
	int i;

	for (i = 0; names[i]; i++)
		if (strcasecmp(cs, names[i]) == 0)
			return 1;
	return 0;
}

/* Map labels iconv does not know to ones it does. */
static const char *
charset_alias(const char *cs)
{
	static const char *const map[][2] = {
		{ "utf8", "UTF-8" }, { "unicode-1-1-utf-8", "UTF-8" },
		{ "ks_c_5601-1987", "CP949" }, { "ks_c_5601", "CP949" },
		{ "gb2312", "GBK" }, { "x-gbk", "GBK" },
		{ "shift-jis", "SHIFT_JIS" }, { "x-sjis", "SHIFT_JIS" },
		{ "x-mac-roman", "MACINTOSH" }, { "macintosh", "MACINTOSH" },
		{ "iso-8859-8-i", "ISO-8859-8" }, { "windows-874", "CP874" },
		{ NULL, NULL }
	};
	int i;

	for (i = 0; map[i][0]; i++)
		if (strcasecmp(cs, map[i][0]) == 0)
			return map[i][1];
	return cs;
}

/* Convert with iconv; each invalid input byte becomes U+FFFD.  Returns -1
 * when iconv does not know the charset. */
static int
convert(const char *charset, const char *s, size_t len, struct buf *out)
{
	iconv_t cd;
	char tmp[4096];
	char *in = (char *)s;
	size_t inleft = len;

	cd = iconv_open("UTF-8", charset);
	if (cd == (iconv_t)-1)
		return -1;
	while (inleft > 0) {
		char *o = tmp;
		size_t oleft = sizeof(tmp);
		size_t r = iconv(cd, &in, &inleft, &o, &oleft);

		buf_add(out, tmp, sizeof(tmp) - oleft);
		if (r == (size_t)-1) {
			if (errno == E2BIG)
				continue;
			/* EILSEQ or EINVAL (truncated at the end). */
			buf_addstr(out, replacement);
			in++;
			inleft--;
			iconv(cd, NULL, NULL, NULL, NULL);
		}
	}
	iconv_close(cd);
	return 0;
}

char *
text_to_utf8(const char *charset, const char *s, size_t len, size_t *outlen)
{
	struct buf b;
	char *tmp;
	size_t n;

	if (charset == NULL || *charset == '\0' || charset_is_latin(charset) ||
	    strcasecmp(charset, "utf-8") == 0) {
		if (text_is_utf8(s, len) || (charset &&
		    strcasecmp(charset, "utf-8") == 0)) {
			/* Declared UTF-8 with bad bytes: replace them.  Plain
			 * ASCII and valid UTF-8 pass unchanged. */
			return text_sanitize(s, len, outlen);
		}
		charset = "WINDOWS-1252";
	}
	buf_init(&b, (size_t)-1 / 2);
	if (convert(charset_alias(charset), s, len, &b) == -1) {
		buf_free(&b);
		return text_to_utf8(NULL, s, len, outlen);
	}
	/* iconv output is valid UTF-8 but may hold NULs. */
	tmp = text_sanitize(b.data ? b.data : "", b.len, &n);
	buf_free(&b);
	if (outlen)
		*outlen = n;
	return tmp;
}

/* Code points folded to ASCII punctuation before comparison. */
static int32_t
fold_punct(int32_t c)
{
	switch (c) {
	case 0x2018: case 0x2019: case 0x201A: case 0x201B: case 0x02BC:
	case 0x00B4: case 0x0060: case 0x2032: case 0xFF07:
		return '\'';
	case 0x2010: case 0x2011: case 0x2012: case 0x2013: case 0x2014:
	case 0x2015: case 0x2212: case 0xFE63: case 0xFF0D:
		return '-';
	default:
		return c;
	}
}

static int
fold_keep(int32_t c)
{
	const utf8proc_property_t *p;

	if (c == '@' || c == '+' || c == '.' || c == '-' || c == '\'')
		return 1;
	if (c < 0x80)
		return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    (c >= 'A' && c <= 'Z');
	p = utf8proc_get_property(c);
	switch (p->category) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
	case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC:
		return 1;
	default:
		return 0;
	}
}

/*
 * An output string that grows in steps: every code point appends at most
 * FOLD_MAX_CP code points of 4 bytes, so one check per input code point
 * keeps every write in bounds.
 */
#define FOLD_MAX_CP	32

struct out {
	char	*s;
	size_t	 len, size;
	int	 space;		/* a separator is pending */
};

static void
out_room(struct out *o)
{
	if (o->len + 2 + 4 * FOLD_MAX_CP <= o->size)
		return;
	o->size = o->size * 2 + 4 * FOLD_MAX_CP + 2;
	o->s = xrealloc(o->s, o->size);
}

/* Append code point c, after one space if a separator came before. */
static void
out_cp(struct out *o, int32_t c)
{
	if (o->space && o->len > 0)
		o->s[o->len++] = ' ';
	o->space = 0;
	if (c < 0x80)
		o->s[o->len++] = (char)c;
	else
		o->len += (size_t)utf8proc_encode_char(c,
		    (utf8proc_uint8_t *)o->s + o->len);
}

static char *
out_finish(struct out *o)
{
	o->s[o->len] = '\0';
	return o->s;
}

/* Write s's code points, mapped by map and kept by keep(), with white
 * space runs collapsed to one space and trimmed. */
static char *
squeeze(const char *s, int (*keep)(int32_t), int32_t (*map)(int32_t))
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	struct out o = { NULL, 0, 0, 0 };
	utf8proc_ssize_t n;
	utf8proc_int32_t c;

	out_room(&o);
	while (*p) {
		out_room(&o);
		if (*p < 0x80) {
			c = *p++;
		} else {
			n = utf8proc_iterate(p, 4, &c);
			if (n <= 0) {
				p++;
				continue;
			}
			p += n;
		}
		if (map)
			c = map(c);
		if (!keep(c))
			o.space = 1;
		else
			out_cp(&o, c);
	}
	return out_finish(&o);
}

/*
 * Fold one code point at a time: ASCII by hand, the rest through
 * utf8proc's decomposition of that code point alone (case fold,
 * compatibility forms, marks stripped).  Comparing decomposed base
 * letters needs no recomposition, and no pass over the whole string.
 */
char *
text_fold(const char *s)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	struct out o = { NULL, 0, 0, 0 };
	utf8proc_int32_t c, dec[FOLD_MAX_CP];
	utf8proc_ssize_t n, k, i;
	int bound = 0;

	out_room(&o);
	while (*p) {
		out_room(&o);
		if (*p < 0x80) {
			/* The common case, without a call per character. */
			c = *p++;
			if (c >= 'A' && c <= 'Z')
				c += 'a' - 'A';
			else if (c == '`')
				c = '\'';
			if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			    c == '@' || c == '+' || c == '.' || c == '-' ||
			    c == '\'') {
				if (o.space && o.len > 0)
					o.s[o.len++] = ' ';
				o.space = 0;
				o.s[o.len++] = (char)c;
			} else
				o.space = 1;
			continue;
		}
		n = utf8proc_iterate(p, 4, &c);
		if (n <= 0) {
			p++;
			o.space = 1;
			continue;
		}
		p += n;
		c = fold_punct(c);
		k = utf8proc_decompose_char(c, dec, FOLD_MAX_CP,
		    UTF8PROC_CASEFOLD | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT |
		    UTF8PROC_STRIPMARK, &bound);
		if (k < 0 || k > FOLD_MAX_CP) {
			o.space = 1;
			continue;
		}
		for (i = 0; i < k; i++) {
			c = fold_punct(dec[i]);
			if (c >= 'A' && c <= 'Z')
				c += 'a' - 'A';
			if (fold_keep(c))
				out_cp(&o, c);
			else
				o.space = 1;
		}
	}
	return out_finish(&o);
}

static int
squeeze_keep(int32_t c)
{
	const utf8proc_property_t *p;

	if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v')
		return 0;
	if (c < 0x80)
		return c >= 0x20 && c != 0x7f;
	p = utf8proc_get_property(c);
	return p->category != UTF8PROC_CATEGORY_ZS &&
	    p->category != UTF8PROC_CATEGORY_ZL &&
	    p->category != UTF8PROC_CATEGORY_ZP &&
	    p->category != UTF8PROC_CATEGORY_CC &&
	    p->category != UTF8PROC_CATEGORY_CF;
}

char *
text_squeeze(const char *s)
{
	char *clean = text_sanitize(s, strlen(s), NULL);
	char *out = squeeze(clean, squeeze_keep, NULL);

	free(clean);
	return out;
}
