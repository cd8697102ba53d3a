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

/*
 * Length of the valid UTF-8 sequence of 2-4 bytes at s (s[0] >= 0x80,
 * left bytes readable), or 0 if invalid: what utf8proc_iterate() accepts
 * (no overlong forms, no surrogates, nothing past U+10FFFF), without a
 * call per character, which accented text has many of.
 */
static size_t
utf8_multi(const unsigned char *s, size_t left)
{
	unsigned c = s[0];

	if (c < 0xc2 || c > 0xf4)
		return 0;
	if (c < 0xe0)
		return left >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c < 0xf0) {
		if (left < 3 || (s[1] & 0xc0) != 0x80 ||
		    (s[2] & 0xc0) != 0x80 ||
		    (c == 0xed && s[1] > 0x9f) || (c == 0xe0 && s[1] < 0xa0))
			return 0;
		return 3;
	}
	if (left < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
	    (s[3] & 0xc0) != 0x80 || (c == 0xf0 && s[1] < 0x90) ||
	    (c == 0xf4 && s[1] > 0x8f))
		return 0;
	return 4;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if invalid. */
static size_t
utf8_seq(const unsigned char *s, size_t left)
{
	if (s[0] < 0x80)
		return s[0] == 0 ? 0 : 1;
	return utf8_multi(s, left);
}

/*
 * Bytes from the start of u[0..len) that lie from lo to hi (1 <= lo <= hi
 * <= 0x7f), eight at a time: most mail is plain ASCII, and a byte at a
 * time costs most of a pass.  Always inlined, so that the constant bounds
 * of each caller simplify the test.
 */
static inline __attribute__((always_inline)) size_t
range_run(const unsigned char *u, size_t len, unsigned lo, unsigned hi)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t highs = 0x8080808080808080ULL;
	uint64_t v, m;
	size_t i = 0;

	/* A byte below lo sets its high bit in v - lo (and not in v); one
	 * above hi sets it in v + 0x7f - hi, or in v from 0x80 up.  A
	 * borrow or a carry only comes from a byte that is flagged itself:
	 * a word with none flagged is all in the range, and the first
	 * flagged byte is the first out of it. */
	while (len - i >= 8) {
		memcpy(&v, u + i, 8);
		m = (((v - ones * lo) & ~v) | (v + ones * (0x7f - hi)) | v) &
		    highs;
		if (m != 0) {
			i += FIRST_FLAGGED(m);
			break;
		}
		i += 8;
	}
	while (i < len && u[i] >= lo && u[i] <= hi)
		i++;
	return i;
}

/* Bytes from s[0..len) that are plain ASCII without NUL. */
static size_t
ascii_run(const unsigned char *s, size_t len)
{
	return range_run(s, len, 1, 0x7f);
}

size_t
text_ascii_run(const char *s, size_t len)
{
	return ascii_run((const unsigned char *)s, len);
}

size_t
text_range_run(const char *s, size_t len, unsigned lo, unsigned hi)
{
	return range_run((const unsigned char *)s, len, lo, hi);
}

/*
 * Bytes from s[0..len) that are valid UTF-8 without NUL, from the start:
 * ASCII thirty-two bytes at a time, two-byte characters (the accented
 * letters of most mail that is not ASCII) here, longer ones by
 * utf8_multi().  Accented text has a character every few words: a call
 * for each ASCII run and each character would cost more than the checks.
 * The first NUL, where the prefix ends at the latest, is found first by
 * memchr(), which looks at many bytes an instruction: the steps then
 * only look for bytes past ASCII.
 */
static size_t
utf8_prefix(const unsigned char *s, size_t len)
{
	const uint64_t highs = 0x8080808080808080ULL;
	const unsigned char *p = s, *end, *nul;
	size_t n;
	uint64_t v, w, x, y, m;

	if ((nul = memchr(s, '\0', len)) != NULL)
		len = (size_t)(nul - s);
	end = s + len;
	for (;;) {
		/* Thirty-two bytes a step while none is past ASCII, then
		 * eight up to the first that is. */
		while (end - p >= 32) {
			memcpy(&v, p, 8);
			memcpy(&w, p + 8, 8);
			memcpy(&x, p + 16, 8);
			memcpy(&y, p + 24, 8);
			if (((v | w | x | y) & highs) != 0)
				break;
			p += 32;
		}
		while (end - p >= 8) {
			memcpy(&v, p, 8);
			if ((m = v & highs) != 0) {
				p += FIRST_FLAGGED(m);
				break;
			}
			p += 8;
		}
		/* Most often the lead byte of a two-byte character. */
		if (p >= end)
			break;
		if (p[0] >= 0xc2 && p[0] < 0xe0 && end - p >= 2 &&
		    (p[1] & 0xc0) == 0x80)
			p += 2;
		else if (p[0] < 0x80)
			p++;
		else if ((n = utf8_multi(p, (size_t)(end - p))) > 0)
			p += n;
		else
			break;
	}
	return (size_t)(p - s);
}

int
text_is_utf8(const char *s, size_t len)
{
	return utf8_prefix((const unsigned char *)s, len) == len;
}

/* text_sanitize(), where s[0..valid) is known to be valid UTF-8 without
 * NUL (utf8_prefix()). */
static char *
sanitize_from(const char *s, size_t len, size_t valid, size_t *outlen)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = valid, o = valid, size = len + 1, run, n;
	char *out = xmalloc(size);

	memcpy(out, s, valid);
	while (i < len) {
		/* Copy runs of plain ASCII in one go: most mail is. */
		run = ascii_run(p + i, len - i);
		if (run > 0) {
			memcpy(out + o, p + i, run);
			o += run;
			i += run;
			continue;
		}
		if (p[i] == 0) {
			out[o++] = ' ';
			i++;
		} else if ((n = utf8_seq(p + i, len - i)) == 0) {
			/* U+FFFD is longer than the byte it replaces: the
			 * output may outgrow the input. */
			if (size - o < (len - i) + sizeof(replacement)) {
				size = size * 2 + sizeof(replacement);
				out = xrealloc(out, size);
			}
			memcpy(out + o, replacement, 3);
			o += 3;
			i++;
		} else {
			memcpy(out + o, p + i, n);
			o += n;
			i += n;
		}
	}
	out[o] = '\0';
	if (outlen)
		*outlen = o;
	return out;
}

char *
text_sanitize(const char *s, size_t len, size_t *outlen)
{
	return sanitize_from(s, len, utf8_prefix((const unsigned char *)s,
	    len), outlen);
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

/*
 * Conversion descriptors, opened once per charset name and kept: opening
 * one looks the charset up in iconv's module tables, which costs more
 * than converting a short part.  A name iconv does not know is kept too
 * (cd (iconv_t)-1).  Names longer than a charset label are not kept.
 */
#define ICONV_CACHE	8
#define ICONV_NAME	64

static struct {
	char	 name[ICONV_NAME + 1];
	iconv_t	 cd;
} iconv_cache[ICONV_CACHE];
static int iconv_used, iconv_next;

/* A descriptor for charset -> UTF-8 in its initial state, or (iconv_t)-1.
 * *owned = 1 when the caller must close it (not cached). */
static iconv_t
iconv_get(const char *charset, int *owned)
{
	size_t n = strlen(charset);
	iconv_t cd;
	int i;

	*owned = 0;
	for (i = 0; i < iconv_used; i++)
		if (strcmp(iconv_cache[i].name, charset) == 0) {
			cd = iconv_cache[i].cd;
			if (cd != (iconv_t)-1)
				iconv(cd, NULL, NULL, NULL, NULL);
			return cd;
		}
	cd = iconv_open("UTF-8", charset);
	if (n > ICONV_NAME) {
		*owned = cd != (iconv_t)-1;
		return cd;
	}
	if (iconv_used < ICONV_CACHE)
		i = iconv_used++;
	else {
		i = iconv_next;
		iconv_next = (iconv_next + 1) % ICONV_CACHE;
		if (iconv_cache[i].cd != (iconv_t)-1)
			iconv_close(iconv_cache[i].cd);
	}
	memcpy(iconv_cache[i].name, charset, n + 1);
	iconv_cache[i].cd = cd;
	return cd;
}

uint64_t
text_hash(const char *s, size_t len)
{
	const uint64_t mul = 0x9e3779b97f4a7c15ULL;
	uint64_t h = len * mul, v;

	/* Eight bytes a step, then the rest in one word (zero-padded). */
	for (; len >= 8; s += 8, len -= 8) {
		memcpy(&v, s, 8);
		h = (h ^ v) * mul;
		h ^= h >> 29;
	}
	if (len > 0) {
		v = 0;
		memcpy(&v, s, len);
		h = (h ^ v) * mul;
	}
	/* Low bits of a product only see low bits: mix the high ones in. */
	h ^= h >> 32;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

int
text_charset_known(const char *charset)
{
	int owned;
	iconv_t cd;

	/* What most parts declare: iconv knows it. */
	if (strcasecmp(charset, "utf-8") == 0)
		return 1;
	cd = iconv_get(charset, &owned);

	if (owned)
		iconv_close(cd);
	return cd != (iconv_t)-1;
}

void
text_cleanup(void)
{
	int i;

	for (i = 0; i < iconv_used; i++)
		if (iconv_cache[i].cd != (iconv_t)-1)
			iconv_close(iconv_cache[i].cd);
	iconv_used = iconv_next = 0;
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
	int owned;

	cd = iconv_get(charset, &owned);
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
	if (owned)
		iconv_close(cd);
	return 0;
}

/*
 * What each byte of windows-1252 becomes: what convert() and
 * text_sanitize() make of it alone (a NUL a space, a byte iconv does not
 * map U+FFFD).  The charset maps byte by byte without state, so a text
 * converts to these pieces joined, without iconv's cost per byte.  Filled
 * on first use; cp1252_state -1 when iconv could not fill it.
 */
static struct {
	unsigned char	 n;
	char		 s[3];
} cp1252[256];
static int cp1252_state;

static int	convert(const char *, const char *, size_t, struct buf *);

static int
cp1252_init(void)
{
	struct buf b;
	char in, *t;
	size_t n;
	int c;

	cp1252_state = -1;
	for (c = 0; c < 256; c++) {
		in = (char)c;
		buf_init(&b, 64);
		if (convert("WINDOWS-1252", &in, 1, &b) == -1) {
			buf_free(&b);
			return -1;
		}
		t = text_sanitize(b.data ? b.data : "", b.len, &n);
		buf_free(&b);
		/* ASCII maps to itself, and no byte to more than three. */
		if (n == 0 || n > sizeof(cp1252[c].s) ||
		    (c > 0 && c < 0x80 && (n != 1 || t[0] != in))) {
			free(t);
			return -1;
		}
		memcpy(cp1252[c].s, t, n);
		cp1252[c].n = (unsigned char)n;
		free(t);
	}
	cp1252_state = 1;
	return 0;
}

/* windows-1252 to UTF-8 by the table; NULL when there is none. */
static char *
cp1252_to_utf8(const char *s, size_t len, size_t *outlen)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, o = 0, run;
	char *out;

	if (cp1252_state == 0)
		(void)cp1252_init();
	if (cp1252_state != 1)
		return NULL;
	out = xmalloc(len * sizeof(cp1252[0].s) + 1);
	for (i = 0; i < len; i++) {
		/* Runs of plain ASCII in one go: most of the text. */
		if ((run = ascii_run(p + i, len - i)) > 0) {
			memcpy(out + o, p + i, run);
			o += run;
			if ((i += run) == len)
				break;
		}
		memcpy(out + o, cp1252[p[i]].s, cp1252[p[i]].n);
		o += cp1252[p[i]].n;
	}
	out[o] = '\0';
	if (outlen)
		*outlen = o;
	return out;
}

int
text_utf8_as_is(const char *charset, const char *s, size_t len)
{
	/* As text_to_utf8() reads them: these charsets are taken as UTF-8
	 * when the text is valid UTF-8. */
	return (charset == NULL || *charset == '\0' ||
	    strcasecmp(charset, "utf-8") == 0 || charset_is_latin(charset)) &&
	    utf8_prefix((const unsigned char *)s, len) == len;
}

/*
 * text_to_utf8() of s, handed over: text that is UTF-8 already (all but
 * a few parts) is not copied but returned as it is.
 */
char *
text_to_utf8_take(const char *charset, char *s, size_t len, size_t *outlen)
{
	char *r;

	if (text_utf8_as_is(charset, s, len)) {
		s[len] = '\0';
		if (outlen)
			*outlen = len;
		return s;
	}
	r = text_to_utf8(charset, s, len, outlen);
	free(s);
	return r;
}

char *
text_to_utf8(const char *charset, const char *s, size_t len, size_t *outlen)
{
	struct buf b;
	char *tmp;
	size_t n, valid;
	int utf8 = charset != NULL && strcasecmp(charset, "utf-8") == 0;

	/* UTF-8 first: most parts declare it. */
	if (utf8 || charset == NULL || *charset == '\0' ||
	    charset_is_latin(charset)) {
		valid = utf8_prefix((const unsigned char *)s, len);
		if (utf8 || valid == len) {
			/* Declared UTF-8 with bad bytes: replace them.  Plain
			 * ASCII and valid UTF-8 pass unchanged. */
			return sanitize_from(s, len, valid, outlen);
		}
		if ((tmp = cp1252_to_utf8(s, len, outlen)) != NULL)
			return tmp;
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
 * How one code point folds: the UTF-8 of the code points it keeps, in
 * order, with a space byte where one is dropped (a space is never kept, so
 * it can stand for "a separator here").  Filled from utf8proc on first
 * use and kept in a small direct-mapped cache: mail in one language uses
 * few distinct letters, and asking utf8proc costs a hundred times more
 * than a copy.  The cache is per process (intaked parses in one thread).
 */
#define FOLD_CACHE	4096
#define FOLD_CACHED	15	/* longest folding kept in the cache */

struct fold_entry {
	int32_t		 cp;	/* 0: empty */
	unsigned char	 n;
	char		 s[FOLD_CACHED];
};

static struct fold_entry fold_cache[FOLD_CACHE];

/* Fold code point c into tok (room for 4 * FOLD_MAX_CP bytes); returns
 * its length. */
static size_t
fold_cp(int32_t c, char *tok)
{
	utf8proc_int32_t dec[FOLD_MAX_CP];
	utf8proc_ssize_t k, i;
	int bound = 0;
	size_t n = 0;

	c = fold_punct(c);
	k = utf8proc_decompose_char(c, dec, FOLD_MAX_CP,
	    UTF8PROC_CASEFOLD | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT |
	    UTF8PROC_STRIPMARK, &bound);
	if (k < 0 || k > FOLD_MAX_CP) {
		tok[0] = ' ';
		return 1;
	}
	for (i = 0; i < k; i++) {
		c = fold_punct(dec[i]);
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (!fold_keep(c))
			tok[n++] = ' ';
		else if (c < 0x80)
			tok[n++] = (char)c;
		else
			n += (size_t)utf8proc_encode_char(c,
			    (utf8proc_uint8_t *)tok + n);
	}
	return n;
}

/* What each byte folds to (text_fold_bytes()). */
#define FOLD_SEP	TEXT_FOLD_SEP
#define FOLD_END	TEXT_FOLD_END
#define FOLD_MB		TEXT_FOLD_MB

static unsigned char fold_byte[256];
static int fold_byte_ready;

static void
fold_byte_init(void)
{
	int c;

	for (c = 0; c < 256; c++) {
		int d = c;

		if (c >= 0x80) {
			fold_byte[c] = FOLD_MB;
			continue;
		}
		if (d >= 'A' && d <= 'Z')
			d += 'a' - 'A';
		else if (d == '`')
			d = '\'';
		if ((d >= 'a' && d <= 'z') || (d >= '0' && d <= '9') ||
		    d == '@' || d == '+' || d == '.' || d == '-' || d == '\'')
			fold_byte[c] = (unsigned char)d;
		else
			fold_byte[c] = FOLD_SEP;
	}
	fold_byte[0] = FOLD_END;
	fold_byte_ready = 1;
}

const unsigned char *
text_fold_bytes(void)
{
	if (!fold_byte_ready)
		fold_byte_init();
	return fold_byte;
}

/*
 * How each code point of two bytes in UTF-8 (U+0080-U+07FF: Latin
 * letters with accents, Greek, Cyrillic...) folds, when it folds to one
 * or two bytes that all go into the word around it: then the word loop
 * takes it in place, without utf8proc_iterate() and the cache, and the
 * output grows no faster than the input.  Filled from fold_cp() on
 * first use; any other folding is FOLD2_OTHER, for the general path.
 */
#define FOLD2_UNSET	0
#define FOLD2_OTHER	3

struct fold2 {
	char		 s[2];	/* copied whole: the output has room */
	unsigned char	 n;	/* 1, 2, FOLD2_UNSET or FOLD2_OTHER */
	unsigned char	 unused; /* four bytes: an entry is a shift away */
};

static struct fold2 fold2_tab[0x800];

static int
fold2_fill(struct fold2 *e)
{
	char tok[4 * FOLD_MAX_CP];
	size_t tn;

	tn = fold_cp((int32_t)(e - fold2_tab), tok);
	e->n = FOLD2_OTHER;
	if (tn >= 1 && tn <= 2 && memchr(tok, ' ', tn) == NULL) {
		e->s[0] = tok[0];
		e->s[1] = tn == 2 ? tok[1] : '\0';
		e->n = (unsigned char)tn;
	}
	return 1;
}

/* Is the character at p (p < lim) of two bytes, whole before lim, with
 * a folding fold2_tab holds?  Then e is its entry. */
#define FOLD2_AT(p, lim, e)						\
	((p) + 1 < (lim) && (p)[0] >= 0xc2 && (p)[0] <= 0xdf &&	\
	((p)[1] & 0xc0) == 0x80 &&					\
	((e) = &fold2_tab[((p)[0] & 0x1f) << 6 | ((p)[1] & 0x3f)],	\
	(e)->n != FOLD2_UNSET || fold2_fill(e)) &&			\
	(e)->n != FOLD2_OTHER)

/* Does tw want to be told of word out[ws..ol): none of its filter, or
 * the word's entry there (left in we), or the word cut at the mark?  A
 * macro: it is taken for every word. */
#define WANTS_WORD(tw, out, ws, ol, we)					\
	((tw)->filter == NULL ||					\
	((we) = (tw)->filter[TEXT_WORD_BIT((out) + (ws),		\
	    (ol) - (ws))]) != 0 ||					\
	((tw)->marked && (ws) < (tw)->mark && (ol) > (tw)->mark))

/* Tell tw (may be NULL) of word out[ws..ol) if it wants it.  The entry
 * lives only here: one variable less for fold_n()'s loop to keep. */
#define TELL_WORD(tw, out, ws, ol) do {					\
	uint32_t we_ = 0;						\
									\
	if ((tw) != NULL && WANTS_WORD(tw, out, ws, ol, we_))		\
		(tw)->word(tw, out, ws, ol, we_);			\
} while (0)

/*
 * Fold s[0..len) (stopping at a NUL) one code point at a time: ASCII by a
 * table, the rest through utf8proc's decomposition of that code point
 * alone (case fold, compatibility forms, marks stripped), cached.
 * Comparing decomposed base letters needs no recomposition, and no pass
 * over the whole string.  The output never needs more room than the
 * input has bytes left, plus what one code point may add: that is checked
 * once per non-ASCII code point.  When mark_out is not NULL it gets the
 * length of the output that s[0..mark) alone folds to.  When tw is not
 * NULL it is told of each word and of the mark (text_fold_words()).
 */
static char *
fold_n(const char *s, size_t len, size_t mark, size_t *mark_out,
    struct text_words *tw, size_t *outlen)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	const unsigned char *pmark = p + (mark < len ? mark : len);
	const unsigned char *lim = pmark, *last8;
	utf8proc_int32_t c;
	utf8proc_ssize_t n;
	char tok[4 * FOLD_MAX_CP], *out;
	const char *t;
	size_t tn, i, ol = 0, size, mlen = 0, k, before = 0, ws = 0;
	int space = 0;
	unsigned char d;
	struct fold2 *e2;
	uint64_t v, m;

	if (!fold_byte_ready)
		fold_byte_init();
	size = len + 2 + 4 * FOLD_MAX_CP;
	out = xmalloc(size);
	/* Up to the mark, then the rest: a word is cut at the mark, and
	 * only a character of several bytes can go past it. */
	for (;;) {
		if (p >= lim) {
			if (lim == pmark) {
				mlen = p == pmark ? ol : before;
				if (tw != NULL) {
					tw->mark = mlen;
					tw->marked = 1;
				}
			}
			if (lim == end)
				break;
			lim = end;
			continue;
		}
		d = fold_byte[*p];
		if (d > FOLD_END && d < FOLD_MB) {
			if (space && ol > 0) {
				TELL_WORD(tw, out, ws, ol);
				out[ol++] = ' ';
				ws = ol;
			}
			space = 0;
			/* The rest of the word, and the words after it
			 * while only ASCII separators come between. */
			out[ol++] = (char)d;
			p++;
			/* Eight bytes can be read from p while p <= last8
			 * (never, when fewer are left now). */
			last8 = lim - p >= 8 ? lim - 8 : p - 1;
			for (;;) {
				/* Lower-case letters fold to themselves: eight
				 * are copied at once, and a run of fewer up to
				 * the first other byte.  The output has room for
				 * eight more bytes while eight are left. */
				if (p <= last8) {
					memcpy(&v, p, 8);
					m = NOT_LOWER8(v);
					memcpy(out + ol, p, 8);
					k = m == 0 ? 8 : FIRST_FLAGGED(m);
					ol += k;
					p += k;
					if (k == 8)
						continue;
					/* Stopped short of the eight: p < lim. */
				} else if (p >= lim)
					break;
				/* Most often one space, and the next word in
				 * lower case, which the next turn copies. */
				if (p[0] == ' ' && p + 1 < lim && p[1] >= 'a' &&
				    p[1] <= 'z') {
					TELL_WORD(tw, out, ws, ol);
					out[ol++] = ' ';
					ws = ol;
					p++;
					continue;
				}
				d = fold_byte[*p];
				if (d > FOLD_END && d < FOLD_MB) {
					out[ol++] = (char)d;
					p++;
					continue;
				}
				/* A character of two bytes that folds to
				 * letters, whole before the limit. */
				if (d == FOLD_MB && FOLD2_AT(p, lim, e2)) {
					memcpy(out + ol, e2->s, 2);
					ol += e2->n;
					p += 2;
					continue;
				}
				if (d != FOLD_SEP)
					break;
				/* The separators, and the next word here if
				 * one follows before the limit; else the
				 * outer loop goes on after them. */
				for (p++; p < lim && fold_byte[*p] == FOLD_SEP; p++)
					continue;
				if (p >= lim || (d = fold_byte[*p]) <= FOLD_END ||
				    d >= FOLD_MB) {
					space = 1;
					break;
				}
				TELL_WORD(tw, out, ws, ol);
				out[ol++] = ' ';
				ws = ol;
				out[ol++] = (char)d;
				p++;
			}
			continue;
		}
		if (d == FOLD_SEP) {
			space = 1;
			p++;
			continue;
		}
		if (d == FOLD_END) {
			if (p <= pmark) {
				mlen = ol;
				if (tw != NULL) {
					tw->mark = mlen;
					tw->marked = 1;
				}
			}
			break;
		}
		/* A word that starts with a letter of two bytes. */
		if (FOLD2_AT(p, lim, e2)) {
			if (space && ol > 0) {
				TELL_WORD(tw, out, ws, ol);
				out[ol++] = ' ';
				ws = ol;
			}
			space = 0;
			memcpy(out + ol, e2->s, 2);
			ol += e2->n;
			p += 2;
			continue;
		}
		before = ol;
		n = utf8proc_iterate(p, end - p < 4 ? end - p : 4, &c);
		if (n <= 0) {
			p++;
			space = 1;
			continue;
		}
		p += n;
		{
			struct fold_entry *e = &fold_cache[c % FOLD_CACHE];

			if (e->cp == c && c != 0) {
				t = e->s;
				tn = e->n;
			} else {
				tn = fold_cp(c, tok);
				t = tok;
				if (tn <= FOLD_CACHED) {
					e->cp = c;
					e->n = (unsigned char)tn;
					memcpy(e->s, tok, tn);
				}
			}
		}
		/* Room for this code point's output (at most tn bytes and a
		 * pending space), all that is left, a space and the NUL. */
		if (size - ol < tn + 3 + (size_t)(end - p)) {
			size = size * 2 + tn + 3 + (size_t)(end - p);
			out = xrealloc(out, size);
		}
		for (i = 0; i < tn; i++) {
			if (t[i] == ' ') {
				space = 1;
				continue;
			}
			if (space && ol > 0) {
				TELL_WORD(tw, out, ws, ol);
				out[ol++] = ' ';
				ws = ol;
			}
			space = 0;
			out[ol++] = t[i];
		}
	}
	if (ol > ws)
		TELL_WORD(tw, out, ws, ol);
	out[ol] = '\0';
	if (mark_out)
		*mark_out = mlen;
	if (outlen)
		*outlen = ol;
	return out;
}

char *
text_fold(const char *s)
{
	return fold_n(s, strlen(s), 0, NULL, NULL, NULL);
}

char *
text_fold_n(const char *s, size_t len, size_t *outlen)
{
	return fold_n(s, len, 0, NULL, NULL, outlen);
}

char *
text_fold_mark(const char *s, size_t len, size_t mark, size_t *mark_out,
    size_t *outlen)
{
	return fold_n(s, len, mark, mark_out, NULL, outlen);
}

char *
text_fold_words(const char *s, size_t len, size_t mark,
    struct text_words *tw, size_t *outlen)
{
	tw->mark = 0;
	tw->marked = 0;
	return fold_n(s, len, mark, NULL, tw, outlen);
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

/* The code point of the valid UTF-8 character of n bytes at p. */
static int32_t
utf8_cp(const unsigned char *p, size_t n)
{
	switch (n) {
	case 1:
		return p[0];
	case 2:
		return (int32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
	case 3:
		return (int32_t)(p[0] & 0x0f) << 12 |
		    (int32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
	default:
		return (int32_t)(p[0] & 0x07) << 18 |
		    (int32_t)(p[1] & 0x3f) << 12 | (int32_t)(p[2] & 0x3f) << 6 |
		    (p[3] & 0x3f);
	}
}

/* squeeze(s, squeeze_keep, NULL) of s[0..n), without NUL, when it is
 * valid UTF-8 (utf8proc would give each character's bytes back); else
 * NULL.  Its characters are read here as utf8_prefix() reads them. */
static char *
squeeze_utf8(const unsigned char *s, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t highs = 0x8080808080808080ULL;
	char *out = xmalloc(n + 1);	/* the text never grows */
	size_t i, k, o = 0;
	int space = 0, keep;
	uint64_t v, m;

	for (i = 0; i < n; i += k) {
		/* ASCII bytes kept, eight at a time, as in text_squeeze();
		 * a byte past ASCII is flagged by its own high bit. */
		while (n - i >= 8) {
			memcpy(&v, s + i, 8);
			m = ((v - ones * 0x21) | (v + ones) | v) & highs;
			if ((k = m == 0 ? 8 : FIRST_FLAGGED(m)) == 0)
				break;
			if (space && o > 0)
				out[o++] = ' ';
			space = 0;
			memcpy(out + o, s + i, 8);
			o += k;
			i += k;
		}
		if (i == n)
			break;
		if (s[i] < 0x80) {
			k = 1;
			keep = s[i] > ' ' && s[i] != 0x7f;
		} else {
			if ((k = utf8_multi(s + i, n - i)) == 0) {
				free(out);
				return NULL;
			}
			keep = squeeze_keep(utf8_cp(s + i, k));
		}
		if (!keep) {
			space = 1;
			continue;
		}
		if (space && o > 0)
			out[o++] = ' ';
		space = 0;
		out[o++] = (char)s[i];
		if (k > 1) {
			memcpy(out + o, s + i + 1, k - 1);
			o += k - 1;
		}
	}
	out[o] = '\0';
	return out;
}

char *
text_squeeze(const char *s)
{
	size_t n = strlen(s);
	char *clean, *out;

	/* Valid UTF-8 (ASCII too), as most values are: each character kept
	 * or dropped as squeeze() does, and copied as it is, without a copy
	 * to sanitize first and a call per character, nor a pass to check
	 * it first. */
	if ((out = squeeze_utf8((const unsigned char *)s, n)) != NULL)
		return out;
	clean = text_sanitize(s, n, NULL);
	out = squeeze(clean, squeeze_keep, NULL);
	free(clean);
	return out;
}
