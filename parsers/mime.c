/*
 * mime.c -- one raw message to header fields and UTF-8 text parts (see
 * mime.h), with libetpan's MIME parser.
 *
 * The raw bytes are copied once, with LF line ends and NULs blanked, into
 * the buffer libetpan reads.  The top-level header is read here, line by
 * line, so that no field is lost; libetpan is handed only its Content-*
 * fields, put in place just before the body.  A body with no parts in it
 * is copied only as far as its text is ever read (PART_RAW_BYTES); the
 * rest is only counted for boundary lines, as the pre-scan counts them.
 * Before libetpan parses, a scan follows the part structure the way
 * libetpan will (the same boundaries, and a superset of the header blocks
 * it reads):
 *  - a boundary parameter that libetpan would read as a lone '"' refuses
 *    the message (Debian's libetpan 1.9.4 writes past a buffer on it);
 *  - comments nested deeper than LIMIT_COMMENT_DEPTH in header blocks are
 *    flattened (libetpan recurses once per level);
 *  - when nesting, boundary lines, nested header volume or the boundary
 *    scanning work (libetpan rescans a part once per enclosing multipart)
 *    would pass the caps of limits.h, only the header is read.
 * The tree is then walked under LIMIT_MIME_DEPTH and LIMIT_MIME_PARTS: text
 * parts are decoded, converted to UTF-8 (text.c), HTML flattened (html.c).
 * Nothing here logs; what is left out goes into the message's notes.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include <libetpan/mailimf.h>
#include <libetpan/mailmime.h>
#include <libetpan/mailmime_content.h>
#include <libetpan/mailmime_decode.h>
#include <libetpan/mailmime_disposition.h>

#include "buf.h"
#include "html.h"
#include "limits.h"
#include "mime.h"
#include "text.h"
#include "xmalloc.h"

#define FILENAME_BYTES	255		/* a decoded file name */
#define MSGID_BYTES	998		/* a message-id kept */
#define RFC2231_PIECES	64		/* name*0* ... name*63* */
#define SCAN_PENDING	4		/* multipart types in one header */
/* The most of a part's body read: four times the text kept, room for
 * any transfer encoding (quoted-printable takes three bytes for one). */
#define PART_RAW_BYTES	((size_t)LIMIT_PART_TEXT * 4)

/* ------------------------------------------------------------------ */
/* Lines and header fields over LF text. */

static const char *
line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? nl : end;
}

static const char *
line_next(const char *e, const char *end)
{
	return e < end ? e + 1 : end;
}

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static int
only_space(const char *s, const char *end)
{
	for (; s < end; s++)
		if (!is_wsp(*s) && *s != '\n')
			return 0;
	return 1;
}

/* Bytes a field name is made of: printable ASCII but ':' (a table: it
 * is asked of every byte of every name). */
static const unsigned char name_bytes[256] = {
	[33 ... 57] = 1, [59 ... 126] = 1
};
#define NAME_BYTE(c)	(name_bytes[(unsigned char)(c)])

/* Length of the field name opening line [p, e) when a ':' follows it
 * (after optional white space), else 0; *colon gets where that is. */
static size_t
field_name_len(const char *p, const char *e, const char **colon)
{
	const char *q = p;
	size_t n;

	while (q < e && NAME_BYTE(*q))
		q++;
	if ((n = (size_t)(q - p)) == 0)
		return 0;
	while (q < e && is_wsp(*q))
		q++;
	*colon = q;
	return q < e && *q == ':' ? n : 0;
}

struct hfield {
	const char *start;	/* first byte of the field */
	const char *name;
	size_t	 namelen;
	const char *value;	/* after the ':' */
	const char *vend;	/* end of the value, before its last LF */
};

/*
 * Next field of the header block at *pp.  Lines that hold a ':' but no
 * field name are skipped, as libetpan does.  Returns 0 at the end of the
 * block (a blank line, a line without ':', the end) with *pp at the body.
 */
static int
header_next(const char **pp, const char *end, struct hfield *f)
{
	const char *p = *pp, *e, *q, *colon;
	size_t n;

	for (;;) {
		if (p >= end) {
			*pp = end;
			return 0;
		}
		e = line_end(p, end);
		if (e == p) {
			*pp = line_next(e, end);
			return 0;
		}
		q = line_next(e, end);
		while (q < end && is_wsp(*q))
			q = line_next(line_end(q, end), end);
		if (is_wsp(*p)) {
			p = q;		/* a stray continuation */
			continue;
		}
		if ((n = field_name_len(p, e, &colon)) == 0) {
			if (memchr(p, ':', (size_t)(e - p)) == NULL) {
				*pp = p;
				return 0;
			}
			p = q;
			continue;
		}
		f->start = p;
		f->name = p;
		f->namelen = n;
		f->value = colon + 1;
		f->vend = q > p && q[-1] == '\n' ? q - 1 : q;
		*pp = q;
		return 1;
	}
}

/* First field named name in the header block [p, end), or 0. */
static int
header_find(const char *p, const char *end, const char *name,
    struct hfield *f)
{
	size_t n = strlen(name);

	while (header_next(&p, end, f))
		if (f->namelen == n && strncasecmp(f->name, name, n) == 0)
			return 1;
	return 0;
}

/* Deepest nesting of parentheses in s[0..len), quoted pairs skipped. */
static size_t
paren_depth(const char *s, size_t len)
{
	size_t i, d = 0, max = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '(' && ++d > max)
			max = d;
		else if (s[i] == ')' && d > 0)
			d--;
	}
	return max;
}

/* ------------------------------------------------------------------ */
/* Strings. */

/* Longest prefix of s[0..len) no longer than max that ends on a UTF-8
 * character boundary. */
static size_t
utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

static int
is_ctl_or_space(unsigned char c)
{
	return c <= ' ' || c == 0x7f;
}

/* Length of the run of printable ASCII (0x20 to 0x7e) that opens
 * s[0..len). */
static size_t
printable_run(const char *s, size_t len)
{
	return text_range_run(s, len, 0x20, 0x7e);
}

/*
 * Room for the top-level header's names and values, in chunks freed with
 * the message (mime_message_free()), in place of an allocation for each
 * field.  A request past a quarter of a chunk gets a chunk of its own,
 * behind the one small ones are taken from.
 */
struct mime_hmem {
	struct mime_hmem *next;
	size_t	 used;
	size_t	 size;
	char	 data[];
};

#define HMEM_CHUNK	4096

/* size bytes from the chunks at *hm, or from malloc() when hm is NULL. */
static char *
line_alloc(struct mime_hmem **hm, size_t size)
{
	struct mime_hmem *h;
	size_t room;

	if (hm == NULL)
		return xmalloc(size);
	if ((h = *hm) != NULL && h->size - h->used >= size) {
		h->used += size;
		return h->data + h->used - size;
	}
	room = size > HMEM_CHUNK / 4 ? size : HMEM_CHUNK;
	h = xmalloc(sizeof(*h) + room);
	h->size = room;
	h->used = size;
	if (room == size && *hm != NULL) {
		h->next = (*hm)->next;
		(*hm)->next = h;
	} else {
		h->next = *hm;
		*hm = h;
	}
	return h->data;
}

/*
 * clean_line() of s[0..len), valid UTF-8 without NUL, straight from s:
 * its printable ASCII runs and bytes past ASCII copied as they are, a
 * space for any other byte.  With fold, s is ASCII and each LF is a line
 * end of a folded value, dropped: the same as clean_line() of the lines
 * joined, as an LF is itself trimmed at the ends.
 */
static char *
clean_valid(const char *s, size_t len, size_t max, size_t head,
    struct mime_hmem **hm, int fold)
{
	char *q;
	size_t i, e, k, o, n;

	for (i = 0; i < len && is_ctl_or_space((unsigned char)s[i]); i++)
		;
	for (e = len; e > i && is_ctl_or_space((unsigned char)s[e - 1]);
	    e--)
		;
	n = fold ? (e - i < max ? e - i : max) : utf8_cut(s + i, e - i, max);
	q = line_alloc(hm, head + n + 1) + head;
	for (o = 0; i < e && o < n; ) {
		k = printable_run(s + i, e - i < n - o ? e - i : n - o);
		memcpy(q + o, s + i, k);
		o += k;
		/* The bytes up to the next printable one. */
		for (i += k; i < e && o < n && ((unsigned char)s[i] < 0x20 ||
		    (unsigned char)s[i] > 0x7e); i++) {
			if ((unsigned char)s[i] >= 0x80)
				q[o++] = s[i];
			else if (!fold || s[i] != '\n')
				q[o++] = ' ';	/* a control byte or DEL */
		}
	}
	q[o] = '\0';
	return q - head;
}

/* Valid UTF-8 copy of s with control characters turned into spaces,
 * trimmed, at most max bytes, after head spare bytes (the pointer
 * returned is to the allocation, from hm: line_alloc()). */
static char *
clean_line(const char *s, size_t len, size_t max, size_t head,
    struct mime_hmem **hm)
{
	char *u, *p, *q;
	size_t n, i, e, k;

	/* Printable ASCII (most header fields) is only trimmed. */
	if ((k = printable_run(s, len)) == len) {
		for (i = 0; i < len && s[i] == ' '; i++)
			;
		for (e = len; e > i && s[e - 1] == ' '; e--)
			;
		n = e - i < max ? e - i : max;
		q = line_alloc(hm, head + n + 1);
		memcpy(q + head, s + i, n);
		q[head + n] = '\0';
		return q;
	}
	/* Valid UTF-8 (ASCII with control bytes, decoded words) needs no
	 * conversion: the same result straight from s. */
	if (text_is_utf8(s + k, len - k))
		return clean_valid(s, len, max, head, hm, 0);

	u = text_to_utf8(NULL, s, len, &n);
	for (p = u; *p; p++)
		if ((unsigned char)*p < 32 || *p == 0x7f)
			*p = ' ';
	for (p = u; *p == ' '; p++)
		;
	n = strlen(p);
	while (n > 0 && p[n - 1] == ' ')
		n--;
	n = utf8_cut(p, n, max);
	q = line_alloc(hm, head + n + 1);
	memcpy(q + head, p, n);
	q[head + n] = '\0';
	free(u);
	return q;
}

/* libetpan joins adjacent encoded words by growing one string a word at
 * a time, which is quadratic: a long value goes to it in pieces of about
 * this size, cut between two encoded words. */
#define DECODE_PIECE	4096

/* Where to end the piece of s[0..len) that starts at 0: after an encoded
 * word followed by white space and another encoded word (that white space
 * is dropped: RFC 2047 6.2), else at the last white space, else at len;
 * *next gets where the next piece starts. */
static size_t
piece_end(const char *s, size_t len, size_t *next)
{
	size_t i, j, ws = 0;

	if (len <= DECODE_PIECE) {
		*next = len;
		return len;
	}
	for (i = DECODE_PIECE; i > 2; i--) {
		if (s[i - 1] != ' ' && s[i - 1] != '\t')
			continue;
		if (ws == 0)
			ws = i;
		for (j = i; j > 0 && (s[j - 1] == ' ' || s[j - 1] == '\t'); j--)
			;
		if (j >= 2 && s[j - 2] == '?' && s[j - 1] == '=' &&
		    i + 1 < len && s[i] == '=' && s[i + 1] == '?') {
			*next = i;
			return j;
		}
	}
	*next = ws ? ws - 1 : DECODE_PIECE;
	return *next;
}

/* Whether s[0..len) holds "=?", where an encoded word opens (memmem()
 * is slow for so short a needle). */
static int
has_word_open(const char *s, size_t len)
{
	const char *p = s, *end = s + len;

	while ((p = memchr(p, '=', (size_t)(end - p))) != NULL)
		if (++p < end && *p == '?')
			return 1;
	return 0;
}

static char	*base64_decode(const char *, size_t, size_t, size_t *);

/* An encoded word of the plain shape (ew_parse()). */
struct eword {
	const char *cs;		/* its charset */
	size_t	 cslen;
	int	 b;		/* B encoding, else Q */
	const char *text;	/* between "?Q?" and "?=" */
	size_t	 textlen;
	size_t	 len;		/* of the whole word */
};

/* A hex digit's value; any other byte counts as 0, as in libetpan. */
static const unsigned char qp_hex[256] = {
	['0'] = 0, ['1'] = 1, ['2'] = 2, ['3'] = 3, ['4'] = 4, ['5'] = 5,
	['6'] = 6, ['7'] = 7, ['8'] = 8, ['9'] = 9,
	['a'] = 10, ['b'] = 11, ['c'] = 12, ['d'] = 13, ['e'] = 14,
	['f'] = 15,
	['A'] = 10, ['B'] = 11, ['C'] = 12, ['D'] = 13, ['E'] = 14,
	['F'] = 15
};

static int
hex_digit(char c)
{
	return (c >= '0' && c <= '9') ||
	    ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* A base64 letter or '=' (which libetpan skips, as any other byte). */
static int
b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
}

/*
 * Whether s[0..len) opens with an encoded word of the plain shape:
 * "=?", UTF-8 as "utf-8" or "utf8" in any case, "?", Q or B, "?", a text
 * of printable ASCII without '?' or blank (in Q, each '=' before two hex
 * digits; in B, only base64 letters and '='), "?=".  libetpan reads such
 * a word as written; *w gets its parts.
 */
static int
ew_parse(const char *s, size_t len, struct eword *w)
{
	size_t i = 2, k;
	char c;

	if (len < 2 || s[0] != '=' || s[1] != '?')
		return 0;
	while (i < len && s[i] != '?')
		i++;
	w->cs = s + 2;
	w->cslen = i - 2;
	if (!(w->cslen == 5 && strncasecmp(w->cs, "utf-8", 5) == 0) &&
	    !(w->cslen == 4 && strncasecmp(w->cs, "utf8", 4) == 0))
		return 0;
	if (len - i < 3 || s[i + 2] != '?')
		return 0;
	if (s[i + 1] == 'q' || s[i + 1] == 'Q')
		w->b = 0;
	else if (s[i + 1] == 'b' || s[i + 1] == 'B')
		w->b = 1;
	else
		return 0;
	w->text = s + i + 3;
	for (k = i + 3; k < len && (c = s[k]) != '?'; k++) {
		if (w->b ? !b64_char(c) : c <= ' ' || c > '~' ||
		    (c == '=' && (len - k < 3 || !hex_digit(s[k + 1]) ||
		    !hex_digit(s[k + 2]))))
			return 0;
	}
	if (len - k < 2 || s[k + 1] != '=')
		return 0;
	w->textlen = (size_t)(k - (i + 3));
	w->len = k + 2;
	return 1;
}

/* Q text t[0..n) decoded to o (as libetpan does in a header: '_' is a
 * space); returns the length. */
static size_t
ew_q_decode(const char *t, size_t n, char *o)
{
	size_t i, j = 0;

	for (i = 0; i < n; i++) {
		if (t[i] == '_')
			o[j++] = ' ';
		else if (t[i] == '=') {
			o[j++] = (char)(qp_hex[(unsigned char)t[i + 1]] << 4 |
			    qp_hex[(unsigned char)t[i + 2]]);
			i += 2;
		} else
			o[j++] = t[i];
	}
	return j;
}

/*
 * What libetpan 1.9.4's mailmime_encoded_phrase_parse() makes of a value
 * s[0..len) of printable ASCII and blanks (SP, HTAB) with no '"', whose
 * every "=?" opens an encoded word of the plain shape (ew_parse()), each
 * run of such words (blanks between) decoding to valid UTF-8 without NUL:
 * its words as written one space apart where blanks were (none between
 * two encoded words), a space for blanks at the end; encoded words in a
 * row with the same charset and encoding decoded as one, unless a B text
 * ends with '='.  Malloc'd, its length in *outlen; NULL for any other
 * value, left to libetpan.
 */
static char *
words_simple(const char *s, size_t len, size_t *outlen)
{
	struct eword w, nx;
	char *out, *txt, *dec;
	size_t i, j, o = 0, n, dn;
	int first = 1, enc = 0, fwd;

	if (memchr(s, '"', len) != NULL)
		return NULL;
	for (i = 0; (i += printable_run(s + i, len - i)) < len; i++)
		if (s[i] != '\t')
			return NULL;
	out = xmalloc(len + 1);		/* the text never grows */
	txt = xmalloc(len + 1);
	for (i = 0; i < len; ) {
		for (j = i; i < len && is_wsp(s[i]); i++)
			;
		fwd = i > j;
		if (i == len) {
			if (fwd)
				out[o++] = ' ';
			break;
		}
		if (len - i < 2 || s[i] != '=' || s[i + 1] != '?') {
			/* A word: up to a blank or "=?". */
			for (j = i; j < len && !is_wsp(s[j]) &&
			    !(s[j] == '=' && j + 1 < len && s[j + 1] == '?');
			    j++)
				;
			if (!first && fwd)
				out[o++] = ' ';
			memcpy(out + o, s + i, j - i);
			o += j - i;
			i = j;
			enc = first = 0;
			continue;
		}
		if (!ew_parse(s + i, len - i, &w))
			goto fail;
		if (!first && fwd && !enc)
			out[o++] = ' ';
		/* The texts of the words read as one. */
		memcpy(txt, w.text, w.textlen);
		n = w.textlen;
		i += w.len;
		while (!w.b || w.textlen == 0 || w.text[w.textlen - 1] != '=') {
			for (j = i; j < len && is_wsp(s[j]); j++)
				;
			if (len - j < 2 || s[j] != '=' || s[j + 1] != '?')
				break;
			if (!ew_parse(s + j, len - j, &nx))
				goto fail;
			if (nx.b != w.b || nx.cslen != w.cslen ||
			    strncasecmp(nx.cs, w.cs, w.cslen) != 0)
				break;
			memcpy(txt + n, nx.text, nx.textlen);
			n += nx.textlen;
			i = j + nx.len;
			w = nx;
		}
		if (w.b) {
			dec = base64_decode(txt, n, n, &dn);
			memcpy(out + o, dec, dn);
			free(dec);
		} else
			dn = ew_q_decode(txt, n, out + o);
		if (!text_is_utf8(out + o, dn))
			goto fail;
		o += dn;
		enc = 1;
		first = 0;
	}
	free(txt);
	out[o] = '\0';
	*outlen = o;
	return out;
fail:
	free(txt);
	free(out);
	return NULL;
}

/* RFC 2047-decode s[0..len) to UTF-8; unencoded 8-bit text is read as
 * UTF-8 when valid, else as windows-1252.  Returns a clean line, after
 * head spare bytes. */
static char *
decode_words(const char *s, size_t len, size_t max, size_t head,
    struct mime_hmem **hm)
{
	const char *from;
	char *tmp, *out, *r;
	size_t idx, pos, end, next, n;
	struct buf b;

	if (len == 0 || !has_word_open(s, len))
		return clean_line(s, len, max, head, hm);
	/* Most values are of a shape read here, at a fraction of the cost
	 * of libetpan's parser (one piece: see piece_end()). */
	if (len <= DECODE_PIECE && (out = words_simple(s, len, &n)) != NULL) {
		r = clean_line(out, n, max, head, hm);
		free(out);
		return r;
	}
	tmp = xstrndup(s, len);
	len = strlen(tmp);
	from = text_is_utf8(tmp, len) ? "utf-8" : "windows-1252";
	buf_init(&b, len * 4 + 16);
	for (pos = 0; pos < len && b.len <= max; pos += next) {
		end = piece_end(tmp + pos, len - pos, &next);
		idx = 0;
		out = NULL;
		if (mailmime_encoded_phrase_parse(from, tmp + pos, end, &idx,
		    "utf-8", &out) == MAILIMF_NO_ERROR && out != NULL)
			buf_addstr(&b, out);
		else
			buf_add(&b, tmp + pos, end);
		free(out);
	}
	r = clean_line(b.data ? b.data : "", b.len, max, head, hm);
	buf_free(&b);
	free(tmp);
	return r;
}

/* Unfolded, decoded header value, after head spare bytes, from hm. */
static char *
header_value(const char *v, const char *vend, size_t head,
    struct mime_hmem **hm)
{
	const char *p, *end, *nl;
	size_t len = (size_t)(vend - v), j = 0;
	char *u, *r;

	/* Read a bounded prefix: decoding cannot shrink text by more than
	 * a factor of four. */
	if (len > LIMIT_HEADER_BYTES * 4)
		len = LIMIT_HEADER_BYTES * 4;
	/* One line, as most values are: nothing to join. */
	if ((nl = memchr(v, '\n', len)) == NULL)
		return decode_words(v, len, LIMIT_HEADER_BYTES, head, hm);
	/* ASCII without "=?" (most folded fields: Received) is only
	 * cleaned, its line ends dropped as it is copied.  Each LF is
	 * followed by a blank (header_next()): joining makes no "=?". */
	if (!has_word_open(v, len) && text_ascii_run(v, len) == len)
		return clean_valid(v, len, LIMIT_HEADER_BYTES, head, hm, 1);
	/* The lines joined, without their newlines. */
	u = xmalloc(len);
	for (p = v, end = v + len; nl != NULL;
	    p = nl + 1, nl = memchr(p, '\n', (size_t)(end - p))) {
		memcpy(u + j, p, (size_t)(nl - p));
		j += (size_t)(nl - p);
	}
	memcpy(u + j, p, (size_t)(end - p));
	j += (size_t)(end - p);
	r = decode_words(u, j, LIMIT_HEADER_BYTES, head, hm);
	free(u);
	return r;
}

/* ------------------------------------------------------------------ */
/* The pre-scan.  Lines are followed in three states: the header of a
 * message, the header of a part (after a delimiter), and body text. */

enum { SC_MSGHDR, SC_PARTHDR, SC_BODY };

struct scan_level {
	char	*boundary;	/* libetpan's string; NULL for a message */
	size_t	 blen;		/* its length without trailing blanks */
	uint64_t hash;
};

/* A part header's Content-Type field at at, whose type libetpan read
 * before (ct_cached()). */
struct ctpart {
	char	*at;
	struct mailmime_content *ct;
	char	 was;		/* its first byte, while hidden */
};

struct scan {
	struct scan_level stack[LIMIT_MIME_NESTING];
	size_t	 depth;
	size_t	 nmultipart;
	int	 state;
	/* the header block being read */
	size_t	 nblocks;
	size_t	 block_lines;
	int	 block_ct;
	int	 block_rfc822;
	size_t	 block_nct;	/* its Content-Type fields */
	struct ctpart block_ctp;	/* its first, if ct_cached() has it */
	char	*pending[SCAN_PENDING];
	size_t	 npending;
	/* totals */
	uint64_t work;
	size_t	 hbytes;
	size_t	 hfields;
	size_t	 delims;
	int	 unsafe;
	int	 flattened;
	int	 root_report;
	const char *toobig;	/* why only the header is read */
	/* empty parts, which make libetpan drop their whole multipart */
	int	 afterdelim;	/* the lines since a delimiter are empty */
	int	 blanks;	/* how many (up to 2) */
	size_t	*fix;		/* offsets where blank lines go in */
	size_t	 nfix;
	size_t	 fixalloc;
	/* part types libetpan need not read (ct_cached()) */
	int	 digest;	/* a multipart/digest, whose parts' default
				   type is a message */
	struct ctpart *cts;
	size_t	 ncts;
	size_t	 ctsalloc;
};

static void
scan_pop(struct scan *s, size_t keep)
{
	while (s->depth > keep) {
		s->depth--;
		if (s->stack[s->depth].boundary != NULL) {
			free(s->stack[s->depth].boundary);
			s->nmultipart--;
		}
	}
}

static void
scan_push(struct scan *s, char *boundary)
{
	struct scan_level *l;
	size_t n;

	if (s->depth == LIMIT_MIME_NESTING) {
		s->toobig = "parts nested too deep";
		free(boundary);
		return;
	}
	l = &s->stack[s->depth++];
	l->boundary = boundary;
	if (boundary != NULL) {
		n = strlen(boundary);
		while (n > 0 && is_wsp(boundary[n - 1]))
			n--;
		l->blen = n;
		l->hash = text_hash(boundary, n);
		s->nmultipart++;
	}
}

/* Outermost level whose delimiter is the line "--" + tok (the token
 * without trailing blanks), or -1. */
static int
scan_match(struct scan *s, const char *tok, const char *e)
{
	size_t n = (size_t)(e - tok), i;
	uint64_t h;

	while (n > 0 && is_wsp(tok[n - 1]))
		n--;
	h = text_hash(tok, n);
	for (i = 0; i < s->depth; i++) {
		struct scan_level *l = &s->stack[i];

		if (l->boundary != NULL && l->blen == n && l->hash == h &&
		    memcmp(l->boundary, tok, n) == 0)
			return (int)i;
	}
	return -1;
}

/* Whether s[0..len) holds word (lower case), in any case. */
static int
holds_ci(const char *s, size_t len, const char *word)
{
	size_t n = strlen(word), i;

	for (i = 0; i + n <= len; i++)
		if ((s[i] | 0x20) == word[0] && strncasecmp(s + i, word, n) == 0)
			return 1;
	return 0;
}

/*
 * Whether the Content-Type field f[0..flen) (its name checked) is one
 * line of printable ASCII ending with a newline, with the ':' right after
 * the name, no encoded word, and a value that opens with "text/" and a
 * letter or digit, as most part types are.  libetpan's field parsers read
 * any such field as a discrete type, text: its parameters may fail to
 * parse, the type does not.
 */
static int
plain_text_type(const char *f, size_t flen)
{
	const char *v = f + 13, *e = f + flen - 1;

	if (flen < 19 || f[12] != ':' || *e != '\n' ||
	    printable_run(f, flen - 1) != flen - 1 ||
	    has_word_open(f, flen - 1))
		return 0;
	while (v < e && is_wsp(*v))
		v++;
	return e - v >= 6 && strncasecmp(v, "text/", 5) == 0 &&
	    ((v[5] >= 'a' && v[5] <= 'z') || (v[5] >= 'A' && v[5] <= 'Z') ||
	    (v[5] >= '0' && v[5] <= '9'));
}

/* Whether c may be in a token of a Content-Type value (RFC 2045), as
 * libetpan reads one: printable ASCII but a blank and the tspecials. */
static int
ct_token_byte(char c)
{
	return c > ' ' && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* Whether c may be in a parameter value that is not quoted, as libetpan
 * reads one (an atom), here: printable ASCII but a blank, ( ) < > , " : ;
 * and \\. */
static int
ct_atom_byte(char c)
{
	return c > ' ' && c < 0x7f && strchr("()<>,\":;\\", c) == NULL;
}

/* s[i..n) past blanks and folded line ends. */
static size_t
ct_blanks(const char *s, size_t i, size_t n)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n'))
		i++;
	return i;
}

/* Whether the line after the line end at s[i] (i < n) holds nothing but
 * blanks: libetpan's reading of the value as words stops there. */
static int
blank_line_next(const char *s, size_t i, size_t n)
{
	for (i++; i < n && (s[i] == ' ' || s[i] == '\t'); i++)
		;
	return i < n && s[i] == '\n';
}

/* End of the token at s[i..n) (i when there is none). */
static size_t
ct_token(const char *s, size_t i, size_t n)
{
	while (i < n && ct_token_byte(s[i]))
		i++;
	return i;
}

/*
 * Whether the Content-Type field f[0..flen) is a multipart type of the
 * usual shape, which libetpan 1.9.4 reads as written: it reads the value
 * as words first, each run of blanks (and line folds) one space, and
 * then "multipart" "/" subtype, and "; attribute=value" parameters, the
 * value an atom or a quoted string, blanks allowed around each part.
 * Here the value must be printable ASCII, blanks and folds, with no
 * "=?", '(', ')' or '\\', no line of blanks only, no blank in a quoted
 * string, a blank or ';' after each value, and nothing else.  Then
 * *sub[0..*sublen) is the subtype and *bnd[0..*blen) the first boundary
 * parameter's value (the quotes off), *bnd NULL when there is none.
 */
static int
multipart_simple(const char *f, size_t flen, const char **sub,
    size_t *sublen, const char **bnd, size_t *blen)
{
	const char *val;
	size_t i, n, a, ae, v, ve, vlen;

	/* The field is "Content-Type", blanks, ':' (scan_run()), and ends
	 * with its line. */
	if (flen < 14 || f[flen - 1] != '\n')
		return 0;
	for (i = 12; i < flen && (f[i] == ' ' || f[i] == '\t'); i++)
		;
	if (i == flen || f[i] != ':')
		return 0;
	f += i + 1;
	n = flen - i - 1;
	for (i = 0; i < n; i++)
		if (((unsigned char)f[i] < ' ' && f[i] != '\t' &&
		    f[i] != '\n') || (unsigned char)f[i] > '~' ||
		    f[i] == '(' || f[i] == ')' || f[i] == '\\' ||
		    (f[i] == '=' && i + 1 < n && f[i + 1] == '?') ||
		    (f[i] == '\n' && blank_line_next(f, i, n)))
			return 0;
	i = ct_blanks(f, 0, n);
	if ((ve = ct_token(f, i, n)) - i != 9 ||
	    strncasecmp(f + i, "multipart", 9) != 0)
		return 0;
	if ((i = ct_blanks(f, ve, n)) == n || f[i] != '/')
		return 0;
	i = ct_blanks(f, i + 1, n);
	if ((ve = ct_token(f, i, n)) == i)
		return 0;
	*sub = f + i;
	*sublen = ve - i;
	*bnd = NULL;
	/* Each turn: blanks, ';', blanks, attribute, blanks, '=', blanks,
	 * value; a blank, ';' or the end after it. */
	for (i = ct_blanks(f, ve, n); i < n; i = ct_blanks(f, ve, n)) {
		if (f[i] != ';')
			return 0;
		if ((a = ct_blanks(f, i + 1, n)) == n)
			break;		/* a ';' at the end */
		if ((ae = ct_token(f, a, n)) == a ||
		    (i = ct_blanks(f, ae, n)) == n || f[i] != '=' ||
		    (v = ct_blanks(f, i + 1, n)) == n)
			return 0;
		if (f[v] == '"') {
			for (ve = v + 1; ve < n && f[ve] != '"'; ve++)
				if (f[ve] == ' ' || f[ve] == '\t' ||
				    f[ve] == '\n')
					return 0;
			if (ve == n)
				return 0;
			val = f + v + 1;
			vlen = ve++ - v - 1;	/* past the closing quote */
		} else {
			for (ve = v; ve < n && ct_atom_byte(f[ve]); ve++)
				;
			if (ve == v)
				return 0;
			val = f + v;
			vlen = ve - v;
		}
		if (*bnd == NULL && ae - a == 8 &&
		    strncasecmp(f + a, "boundary", 8) == 0) {
			*bnd = val;
			*blen = vlen;
		}
		if (ve < n && f[ve] != ';' && f[ve] != ' ' &&
		    f[ve] != '\t' && f[ve] != '\n')
			return 0;
	}
	return 1;
}

/*
 * libetpan's reading of a few Content-Type fields, by their bytes: most
 * messages and parts carry one of a handful, and libetpan takes some
 * 15,000 instructions over each.  Such a field is not handed to libetpan
 * (left out of a message header, its name changed for the parse in a
 * part header), which then reads the part as one without a type
 * (text/plain), and the type it read from the same bytes before is put
 * in its place for the walk (walk_typed(), leaf_typed()).  Kept for the
 * process, like the other tables here: one thread parses.
 */
#define CT_CACHE	8
#define CT_KEY_BYTES	128

static struct {
	char	 key[CT_KEY_BYTES];
	size_t	 keylen;
	struct mailmime_content *ct;	/* NULL: libetpan reads no type */
	unsigned long stamp;		/* the last message that used it */
} ct_cache[CT_CACHE];
static int ct_used, ct_next;
static unsigned long ct_stamp;		/* the message being parsed */

/* What libetpan's field parsers, as its MIME parser calls them, make of
 * the one field f[0..len) (its line end included); NULL for no type. */
static struct mailmime_content *
ct_parse(const char *f, size_t len)
{
	struct mailimf_fields *imf = NULL;
	struct mailmime_fields *mf = NULL;
	struct mailmime_content *ct = NULL;
	clistiter *it;
	size_t idx = 0;

	if (mailimf_optional_fields_parse(f, len, &idx, &imf) !=
	    MAILIMF_NO_ERROR)
		return NULL;
	if (mailmime_fields_parse(imf, &mf) != MAILIMF_NO_ERROR) {
		mailimf_fields_free(imf);
		return NULL;
	}
	mailimf_fields_free(imf);
	for (it = clist_begin(mf->fld_list); it; it = clist_next(it)) {
		struct mailmime_field *fld = clist_content(it);

		if (fld->fld_type == MAILMIME_FIELD_TYPE) {
			ct = fld->fld_data.fld_content;
			fld->fld_data.fld_content = NULL;	/* ours now */
			break;
		}
	}
	mailmime_fields_free(mf);
	return ct;
}

/*
 * libetpan's type for the Content-Type field f[0..len) (its name checked,
 * its line end included), when it can stand in for the field: a text
 * type of plain_text_type()'s shape, of one line, short enough to keep,
 * with no "name" parameter (part_filename() reads that from the field
 * itself); else NULL.  It stays until the next message: only types no
 * part of this one uses make room.
 */
static struct mailmime_content *
ct_cached(const char *f, size_t len)
{
	int i;

	if (len > CT_KEY_BYTES)
		return NULL;
	/* Only fields of that shape are kept. */
	for (i = 0; i < ct_used; i++)
		if (ct_cache[i].keylen == len &&
		    memcmp(ct_cache[i].key, f, len) == 0) {
			ct_cache[i].stamp = ct_stamp;
			return ct_cache[i].ct;
		}
	if (!plain_text_type(f, len) || holds_ci(f + 13, len - 14, "name"))
		return NULL;
	if (ct_used < CT_CACHE)
		i = ct_used++;
	else {
		for (i = 0; i < CT_CACHE; i++) {
			ct_next = (ct_next + 1) % CT_CACHE;
			if (ct_cache[ct_next].stamp != ct_stamp)
				break;
		}
		if (i == CT_CACHE)
			return NULL;	/* all in use */
		i = ct_next;
		if (ct_cache[i].ct != NULL)
			mailmime_content_free(ct_cache[i].ct);
	}
	memcpy(ct_cache[i].key, f, len);
	ct_cache[i].keylen = len;
	ct_cache[i].stamp = ct_stamp;
	ct_cache[i].ct = ct_parse(f, len);
	/* A text type never changes the parts libetpan finds. */
	if (ct_cache[i].ct != NULL && (ct_cache[i].ct->ct_type == NULL ||
	    ct_cache[i].ct->ct_type->tp_type != MAILMIME_TYPE_DISCRETE_TYPE)) {
		mailmime_content_free(ct_cache[i].ct);
		ct_cache[i].ct = NULL;
	}
	return ct_cache[i].ct;
}

/* One Content-Type field of a header block, parsed by libetpan's own
 * field parsers exactly as its MIME parser will. */
static void
scan_content_type(struct scan *s, const char *f, size_t flen)
{
	struct mailimf_fields *imf = NULL;
	struct mailmime_fields *mf = NULL;
	clistiter *it;
	const char *sub, *bnd;
	size_t idx = 0, sublen, blen;

	if (flen > LIMIT_HEADER_BYTES) {
		s->toobig = "a Content-Type field is too long";
		return;
	}
	/* A text type: no boundary, no message, nothing refused. */
	if (plain_text_type(f, flen)) {
		s->block_ct = 1;
		if (s->state == SC_PARTHDR && s->block_nct == 1) {
			s->block_ctp.at = (char *)f;
			s->block_ctp.ct = ct_cached(f, flen);
		}
		return;
	}
	/* A multipart type of the usual shape, as libetpan reads it below;
	 * a boundary so read is never the lone '"'. */
	if (multipart_simple(f, flen, &sub, &sublen, &bnd, &blen)) {
		s->block_ct = 1;
		if (s->nblocks == 0 && sublen == 6 &&
		    strncasecmp(sub, "report", 6) == 0)
			s->root_report = 1;
		if (sublen == 6 && strncasecmp(sub, "digest", 6) == 0)
			s->digest = 1;
		if (bnd == NULL)
			return;
		if (s->npending == SCAN_PENDING) {
			s->toobig = "too many multipart types in one header";
			return;
		}
		s->pending[s->npending++] = xstrndup(bnd, blen);
		return;
	}
	/*
	 * A message header needs only a multipart or message type (a part
	 * header also needs to know whether the field parses at all).  The
	 * type is one of these words, as written or out of an encoded word:
	 * without them, the field needs no parsing here.
	 */
	if (s->state == SC_MSGHDR && !holds_ci(f, flen, "multipart") &&
	    !holds_ci(f, flen, "message") && !has_word_open(f, flen))
		return;
	if (mailimf_optional_fields_parse(f, flen, &idx, &imf) !=
	    MAILIMF_NO_ERROR)
		return;
	if (mailmime_fields_parse(imf, &mf) != MAILIMF_NO_ERROR) {
		mailimf_fields_free(imf);
		return;
	}
	mailimf_fields_free(imf);
	for (it = clist_begin(mf->fld_list); it; it = clist_next(it)) {
		struct mailmime_field *fld = clist_content(it);
		struct mailmime_content *ct;
		struct mailmime_composite_type *comp;
		char name[] = "boundary", *v;

		if (fld->fld_type != MAILMIME_FIELD_TYPE)
			continue;
		ct = fld->fld_data.fld_content;
		s->block_ct = 1;
		if (ct->ct_type->tp_type != MAILMIME_TYPE_COMPOSITE_TYPE)
			continue;
		comp = ct->ct_type->tp_data.tp_composite_type;
		if (comp->ct_type == MAILMIME_COMPOSITE_TYPE_MESSAGE &&
		    strcasecmp(ct->ct_subtype, "rfc822") == 0)
			s->block_rfc822 = 1;
		if (comp->ct_type != MAILMIME_COMPOSITE_TYPE_MULTIPART)
			continue;
		if (strcasecmp(ct->ct_subtype, "digest") == 0)
			s->digest = 1;
		if (s->nblocks == 0 && strcasecmp(ct->ct_subtype, "report") == 0)
			s->root_report = 1;
		if ((v = mailmime_content_param_get(ct, name)) == NULL)
			continue;
		/* mailmime_extract_boundary() copies len - 2 bytes of a
		 * value opening with '"'. */
		if (v[0] == '"' && strlen(v) < 2) {
			s->unsafe = 1;
			break;
		}
		if (s->npending == SCAN_PENDING) {
			s->toobig = "too many multipart types in one header";
			break;
		}
		if ((v = mailmime_extract_boundary(ct)) != NULL)
			s->pending[s->npending++] = v;
	}
	mailmime_fields_free(mf);
}

static void
scan_block_begin(struct scan *s, int state)
{
	s->state = state;
	s->block_lines = 0;
	s->block_ct = 0;
	s->block_rfc822 = 0;
	s->block_nct = 0;
	s->block_ctp.ct = NULL;
	s->npending = 0;
}

/* The header block ends: its multipart types open levels, and a message
 * type (or no type in a part, as in a digest) makes a message header
 * follow. */
static void
scan_block_end(struct scan *s)
{
	int msg;
	size_t i;

	msg = s->block_rfc822 || (s->state == SC_PARTHDR && !s->block_ct);
	/* A part header with one Content-Type, known. */
	if (s->state == SC_PARTHDR && s->block_nct == 1 &&
	    s->block_ctp.ct != NULL) {
		if (s->ncts == s->ctsalloc) {
			s->ctsalloc = s->ctsalloc ? s->ctsalloc * 2 : 8;
			s->cts = xrealloc(s->cts, s->ctsalloc *
			    sizeof(*s->cts));
		}
		s->cts[s->ncts++] = s->block_ctp;
	}
	for (i = 0; i < s->npending; i++)
		scan_push(s, s->pending[i]);
	s->npending = 0;
	if (msg)
		scan_push(s, NULL);
	s->nblocks++;
	scan_block_begin(s, msg ? SC_MSGHDR : SC_BODY);
}

/* A header line: counted, and comments nested too deep flattened. */
static void
scan_header_line(struct scan *s, char *p, char *e, size_t *pdepth)
{
	char *q;

	s->hbytes += (size_t)(e - p) + 1;
	if (s->hbytes > LIMIT_MIME_HEADERS)
		s->toobig = "nested header blocks are too large";
	/* Outside a comment, a line without '(' (most lines) opens none. */
	if (*pdepth == 0 && memchr(p, '(', (size_t)(e - p)) == NULL)
		return;
	for (q = p; q < e; q++) {
		if (*q == '\\' && q + 1 < e)
			q++;
		else if (*q == '(') {
			if (*pdepth >= LIMIT_COMMENT_DEPTH) {
				*q = ' ';
				s->flattened = 1;
			} else
				(*pdepth)++;
		} else if (*q == ')' && *pdepth > 0)
			(*pdepth)--;
	}
}

static void
scan_free(struct scan *s)
{
	size_t i;

	scan_pop(s, 0);
	for (i = 0; i < s->npending; i++)
		free(s->pending[i]);
	s->npending = 0;
	free(s->fix);
	s->fix = NULL;
	free(s->cts);
	s->cts = NULL;
}

static void
scan_fix(struct scan *s, size_t off)
{
	if (s->nfix == s->fixalloc) {
		s->fixalloc = s->fixalloc ? s->fixalloc * 2 : 8;
		s->fix = xrealloc(s->fix, s->fixalloc * sizeof(*s->fix));
	}
	s->fix[s->nfix++] = off;
}

/*
 * libetpan drops a whole multipart when a delimiter is followed by up to
 * two newlines and the end of its text, or by exactly two newlines and
 * another delimiter (a truncated message, an empty part).  Three or more
 * newlines are read as an empty part: copy buf with three put in where
 * the scan found such a place.
 */
static char *
scan_repair(const struct scan *s, const char *buf, size_t len,
    size_t *outlen)
{
	struct buf b;
	size_t i, at = 0;

	buf_init(&b, len + s->nfix * 3 + 1);
	for (i = 0; i < s->nfix; i++) {
		buf_add(&b, buf + at, s->fix[i] - at);
		if (s->fix[i] == len && len > 0 && buf[len - 1] != '\n')
			buf_addch(&b, '\n');
		buf_add(&b, "\n\n\n", 3);
		at = s->fix[i];
	}
	buf_add(&b, buf + at, len - at);
	*outlen = b.len;
	return buf_release(&b);
}

/*
 * Body text [p, end) from a line start: where the next line that opens
 * with "--" starts (only such a line can be a delimiter), else where the
 * last line starts if it has no newline, else end.  Every line before it
 * ends with a newline.  Lines without a '-' are passed over by memchr().
 */
static char *
body_skip(char *p, char *end)
{
	char *d, *nl;

	while (p < end) {
		if ((d = memchr(p, '-', (size_t)(end - p))) == NULL)
			break;
		if ((d == p || d[-1] == '\n') && end - d >= 2 && d[1] == '-')
			return d;
		if ((nl = memchr(d, '\n', (size_t)(end - d))) == NULL)
			break;
		p = nl + 1;
	}
	/* No delimiter from p on: the last line, if it has no newline. */
	if (p < end && end[-1] != '\n') {
		nl = memrchr(p, '\n', (size_t)(end - p));
		return nl ? nl + 1 : p;
	}
	return end;
}

static void
scan_run(struct scan *s, char *buf, size_t len)
{
	char *p = buf, *end = buf + len, *e, *field = NULL;
	size_t cdepth = 0;
	int reread = 0, k;

	memset(s, 0, sizeof(*s));
	scan_block_begin(s, SC_MSGHDR);
	while (p < end && s->toobig == NULL && !s->unsafe) {
		/* In a body, the lines before the next one that opens with
		 * "--" only add to the work: at once. */
		if (s->state == SC_BODY && !reread && !s->afterdelim) {
			e = body_skip(p, end);
			s->work += (uint64_t)s->nmultipart * (uint64_t)(e - p);
			if (s->work > LIMIT_MIME_SCAN) {
				s->toobig = "boundary scanning would take too long";
				break;
			}
			if ((p = e) == end)
				break;
		}
		e = (char *)line_end(p, end);
		if (!reread) {
			s->work += (uint64_t)s->nmultipart *
			    ((uint64_t)(e - p) + 1);
			if (s->work > LIMIT_MIME_SCAN) {
				s->toobig = "boundary scanning would take too long";
				break;
			}
			if (e - p >= 2 && p[0] == '-' && p[1] == '-' &&
			    ++s->delims > LIMIT_MIME_DELIMS) {
				s->toobig = "too many boundary lines";
				break;
			}
		}
		if (!reread && s->afterdelim) {
			if (e == p && s->blanks < 2)
				s->blanks++;
			else {
				if (e - p >= 2 && p[0] == '-' && p[1] == '-')
					scan_fix(s, (size_t)(p - buf));
				s->afterdelim = 0;
			}
		}
		reread = 0;
		if (e - p >= 2 && p[0] == '-' && p[1] == '-' &&
		    (k = scan_match(s, p + 2, e)) >= 0) {
			if (field != NULL)
				scan_content_type(s, field, (size_t)(p - field));
			field = NULL;
			for (; s->npending > 0; s->npending--)
				free(s->pending[s->npending - 1]);
			scan_pop(s, (size_t)k + 1);
			s->nblocks++;
			scan_block_begin(s, SC_PARTHDR);
			s->afterdelim = 1;
			s->blanks = 0;
			p = (char *)line_next(e, end);
			continue;
		}
		if (s->state == SC_BODY) {
			p = (char *)line_next(e, end);
			continue;
		}
		if (e > p && (is_wsp(*p) || memchr(p, ':', (size_t)(e - p)))) {
			if (!is_wsp(*p)) {
				if (field != NULL)
					scan_content_type(s, field,
					    (size_t)(p - field));
				field = NULL;
				cdepth = 0;
				if (++s->hfields > LIMIT_MIME_FIELDS)
					s->toobig = "too many nested header fields";
				if (e - p >= 12 &&
				    strncasecmp(p, "content-type", 12) == 0 &&
				    (p[12] == ':' || is_wsp(p[12]))) {
					field = p;
					s->block_nct++;
				}
			}
			s->block_lines++;
			scan_header_line(s, p, e, &cdepth);
			p = (char *)line_next(e, end);
			continue;
		}
		/* A blank line ends the block; a line without ':' ends it
		 * too and is read again in the next state. */
		if (field != NULL)
			scan_content_type(s, field, (size_t)(p - field));
		field = NULL;
		if (e == p) {
			scan_block_end(s);
			p = (char *)line_next(e, end);
		} else {
			scan_block_end(s);
			reread = 1;
		}
	}
	if (field != NULL && s->toobig == NULL && !s->unsafe)
		scan_content_type(s, field, (size_t)(end - field));
	if (s->afterdelim && s->toobig == NULL)
		scan_fix(s, len);
}

/*
 * Whether the header block hdr[0..len) (the fields handed to libetpan)
 * leaves the scan in a body with no part around it: no multipart with a
 * boundary, no message type, nothing refused.  The scan then reads the
 * body's lines for nothing but the count of boundary lines.
 */
static int
scan_single(const char *hdr, size_t len)
{
	struct scan *s = xmalloc(sizeof(*s));
	char *blk = xmalloc(len + 2);
	int r;

	if (len > 0)
		memcpy(blk, hdr, len);
	blk[len] = '\n';
	blk[len + 1] = '\0';
	scan_run(s, blk, len + 1);
	r = s->toobig == NULL && !s->unsafe && s->depth == 0 &&
	    s->state == SC_BODY && s->nblocks == 1;
	scan_free(s);
	free(s);
	free(blk);
	return r;
}

/* ------------------------------------------------------------------ */
/* The message being built. */

struct mime_ctx {
	struct mime_message *msg;
	struct buf notes;
	int	 notes_full;
	size_t	 partsalloc;
	size_t	 leaves;
	size_t	 total;		/* text bytes kept */
	int	 ngroups;
	int	 stop;
	int	 deep_noted;
	int	 total_noted;
	int	 reparse;	/* encoded messages being parsed */
	int	 shared;	/* a part's text lies in the message's text */
	int	 plain_group;	/* last alternative group with a plain part */
	int	 top_ascii;	/* the top-level message's text is ASCII */
	/* part types libetpan was not shown (ct_hide()), in order */
	struct ctpart *cts;
	size_t	 ncts;
	size_t	 ctnext;
};

static void
note(struct mime_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
note(struct mime_ctx *c, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (c->notes_full)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* Room is kept for the " ..." that says notes were dropped. */
	if (c->notes.len + strlen(line) + 2 > c->notes.max - 4) {
		c->notes_full = 1;
		buf_addstr(&c->notes, " ...");
		return;
	}
	if (c->notes.len > 0)
		buf_addstr(&c->notes, "; ");
	buf_addstr(&c->notes, line);
}

static void
add_part(struct mime_ctx *c, enum mime_part_kind kind, char *text,
    size_t len, char *filename, int alt)
{
	struct mime_message *m = c->msg;
	struct mime_part *p;

	if (m->nparts == c->partsalloc) {
		c->partsalloc = c->partsalloc ? c->partsalloc * 2 : 4;
		m->parts = xrealloc(m->parts, c->partsalloc * sizeof(*p));
	}
	p = &m->parts[m->nparts++];
	p->kind = kind;
	p->text = text;
	p->len = len;
	p->filename = filename;
	p->alternative = alt;
	p->html_pending = 0;
	p->cap = 0;
	p->shared = 0;
	c->total += len;
}

/* ------------------------------------------------------------------ */
/* Parts. */

static void
part_type(struct mailmime_content *ct, const char **type, const char **sub)
{
	*type = "text";
	*sub = "plain";
	if (ct == NULL || ct->ct_type == NULL)
		return;
	*sub = ct->ct_subtype ? ct->ct_subtype : "";
	if (ct->ct_type->tp_type == MAILMIME_TYPE_DISCRETE_TYPE) {
		struct mailmime_discrete_type *d =
		    ct->ct_type->tp_data.tp_discrete_type;

		switch (d->dt_type) {
		case MAILMIME_DISCRETE_TYPE_TEXT:	*type = "text"; break;
		case MAILMIME_DISCRETE_TYPE_IMAGE:	*type = "image"; break;
		case MAILMIME_DISCRETE_TYPE_AUDIO:	*type = "audio"; break;
		case MAILMIME_DISCRETE_TYPE_VIDEO:	*type = "video"; break;
		case MAILMIME_DISCRETE_TYPE_APPLICATION:
			*type = "application";
			break;
		default:
			*type = d->dt_extension ? d->dt_extension : "";
		}
	} else {
		struct mailmime_composite_type *k =
		    ct->ct_type->tp_data.tp_composite_type;

		switch (k->ct_type) {
		case MAILMIME_COMPOSITE_TYPE_MESSAGE:	*type = "message"; break;
		case MAILMIME_COMPOSITE_TYPE_MULTIPART:	*type = "multipart"; break;
		default:
			*type = k->ct_token ? k->ct_token : "";
		}
	}
}

static struct mailmime_disposition *
part_disposition(struct mailmime *mm)
{
	clistiter *it;

	if (mm->mm_mime_fields == NULL)
		return NULL;
	for (it = clist_begin(mm->mm_mime_fields->fld_list); it;
	    it = clist_next(it)) {
		struct mailmime_field *f = clist_content(it);

		if (f->fld_type == MAILMIME_FIELD_DISPOSITION)
			return f->fld_data.fld_disposition;
	}
	return NULL;
}

struct param {
	const char *name;
	const char *value;
};

static void
pct_decode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *h, *l;

	for (; *s; s++) {
		if (*s == '%' && s[1] && s[2] &&
		    (h = strchr(hex, s[1] | 0x20)) != NULL &&
		    (l = strchr(hex, s[2] | 0x20)) != NULL) {
			buf_addch(b, (char)((h - hex) * 16 + (l - hex)));
			s += 2;
		} else
			buf_addch(b, *s);
	}
}

/* Value of the parameter family base: RFC 2231 "base*" or continuations
 * "base*0*", "base*1"..., else a plain "base" with RFC 2047 words. */
static char *
param_family(const struct param *ps, size_t n, const char *base)
{
	const char *piece[RFC2231_PIECES];
	int ext[RFC2231_PIECES];
	size_t blen = strlen(base), i, npieces = 0;
	const char *plain = NULL, *cs = NULL, *v, *q1, *q2;
	struct buf b;
	char *charset = NULL, *r;

	memset(piece, 0, sizeof(piece));
	for (i = 0; i < n; i++) {
		const char *nm = ps[i].name, *t;
		char *endp;
		unsigned long k;

		if (strncasecmp(nm, base, blen) != 0)
			continue;
		t = nm + blen;
		if (*t == '\0') {
			if (plain == NULL)
				plain = ps[i].value;
		} else if (strcmp(t, "*") == 0) {
			piece[0] = ps[i].value;
			ext[0] = 1;
			npieces = npieces ? npieces : 1;
		} else if (t[0] == '*' && t[1] >= '0' && t[1] <= '9') {
			k = strtoul(t + 1, &endp, 10);
			if (k >= RFC2231_PIECES ||
			    (*endp != '\0' && strcmp(endp, "*") != 0) ||
			    piece[k] != NULL)
				continue;
			piece[k] = ps[i].value;
			ext[k] = *endp == '*';
			if (k + 1 > npieces)
				npieces = k + 1;
		}
	}
	if (npieces > 0 && piece[0] != NULL) {
		buf_init(&b, LIMIT_HEADER_BYTES);
		for (i = 0; i < npieces && piece[i] != NULL; i++) {
			v = piece[i];
			if (i == 0 && ext[0] && (q1 = strchr(v, '\'')) != NULL &&
			    (q2 = strchr(q1 + 1, '\'')) != NULL) {
				charset = xstrndup(v, (size_t)(q1 - v));
				cs = charset;
				v = q2 + 1;
			}
			if (ext[i])
				pct_decode(&b, v);
			else
				buf_addstr(&b, v);
		}
		v = b.data ? b.data : "";
		r = text_to_utf8(cs, v, b.len, &n);
		free(charset);
		buf_free(&b);
		v = r;
		r = clean_line(v, n, FILENAME_BYTES, 0, NULL);
		free((char *)v);
		if (*r)
			return r;
		free(r);
	}
	if (plain != NULL) {
		r = decode_words(plain, strlen(plain), FILENAME_BYTES, 0,
		    NULL);
		if (*r)
			return r;
		free(r);
	}
	return NULL;
}

/* Body of a part, or NULL. */
static struct mailmime_data *
part_body(struct mailmime *mm)
{
	struct mailmime_data *d = mm->mm_body;

	if (d == NULL || d->dt_type != MAILMIME_DATA_TEXT)
		return NULL;
	return d;
}

/* File name from Content-Disposition, else from Content-Type's name. */
static char *
part_filename(struct mailmime *mm, struct mailmime_disposition *dsp)
{
	struct param ps[64];
	size_t n = 0;
	clistiter *it;
	char *r = NULL;

	if (dsp != NULL) {
		for (it = clist_begin(dsp->dsp_parms); it && n < 64;
		    it = clist_next(it)) {
			struct mailmime_disposition_parm *dp = clist_content(it);

			if (dp->pa_type == MAILMIME_DISPOSITION_PARM_FILENAME) {
				ps[n].name = "filename";
				ps[n++].value = dp->pa_data.pa_filename;
			} else if (dp->pa_type ==
			    MAILMIME_DISPOSITION_PARM_PARAMETER) {
				ps[n].name = dp->pa_data.pa_parameter->pa_name;
				ps[n++].value =
				    dp->pa_data.pa_parameter->pa_value;
			}
		}
		if ((r = param_family(ps, n, "filename")) != NULL)
			return r;
	}
	/* libetpan decodes a Content-Type as us-ascii before parsing it,
	 * which turns raw 8-bit names into '?': read the raw field again. */
	{
		struct mailmime_data *d = part_body(mm);
		struct mailmime_content *ct = NULL;
		struct hfield f;
		const char *hend;
		size_t idx = 0;

		if (d == NULL || mm->mm_mime_start == NULL)
			return NULL;
		hend = d->dt_data.dt_text.dt_data;
		if (hend < mm->mm_mime_start ||
		    hend > mm->mm_mime_start + mm->mm_length)
			return NULL;
		if (!header_find(mm->mm_mime_start, hend, "content-type", &f))
			return NULL;
		if ((size_t)(f.vend - f.value) > LIMIT_HEADER_BYTES ||
		    paren_depth(f.value, (size_t)(f.vend - f.value)) >
		    LIMIT_COMMENT_DEPTH)
			return NULL;
		/* Most fields have no "name" parameter: the word is not
		 * there at all, in any case. */
		if (!holds_ci(f.value, (size_t)(f.vend - f.value), "name"))
			return NULL;
		if (mailmime_content_parse(f.value, (size_t)(f.vend - f.value),
		    &idx, &ct) != MAILIMF_NO_ERROR)
			return NULL;
		n = 0;
		for (it = clist_begin(ct->ct_parameters); it && n < 64;
		    it = clist_next(it)) {
			struct mailmime_parameter *pa = clist_content(it);

			ps[n].name = pa->pa_name;
			ps[n++].value = pa->pa_value;
		}
		r = param_family(ps, n, "name");
		mailmime_content_free(ct);
	}
	return r;
}

static int
ends_with_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static int
is_csv_type(const char *type, const char *sub)
{
	static const char *const t[][2] = {
		{ "text", "csv" }, { "text", "comma-separated-values" },
		{ "text", "x-csv" }, { "text", "x-comma-separated-values" },
		{ "application", "csv" }, { "application", "x-csv" },
		{ NULL, NULL }
	};
	int i;

	for (i = 0; t[i][0]; i++)
		if (strcasecmp(type, t[i][0]) == 0 &&
		    strcasecmp(sub, t[i][1]) == 0)
			return 1;
	return 0;
}

/* Types a mail client gives a file it does not know. */
static int
is_generic_type(const char *type, const char *sub)
{
	static const char *const subs[] = {
		"octet-stream", "vnd.ms-excel", "x-msexcel", "excel",
		"x-excel", "download", "force-download", "unknown", "binary",
		"x-download", NULL
	};
	int i;

	if (strcasecmp(type, "application") != 0)
		return 0;
	for (i = 0; subs[i]; i++)
		if (strcasecmp(sub, subs[i]) == 0)
			return 1;
	return 0;
}

/* Signatures are part of how a message was sent, not attachments. */
static int
is_signature_type(const char *type, const char *sub)
{
	return strcasecmp(type, "application") == 0 &&
	    (strcasecmp(sub, "pgp-signature") == 0 ||
	    strcasecmp(sub, "pkcs7-signature") == 0 ||
	    strcasecmp(sub, "x-pkcs7-signature") == 0);
}

static int
looks_textual(const char *s, size_t n)
{
	size_t i, bad = 0, m = n < 65536 ? n : 65536;

	for (i = 0; i < m; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == 0)
			return 0;
		if (ch < 32 && ch != '\t' && ch != '\n' && ch != '\r' &&
		    ch != '\f')
			bad++;
	}
	return bad * 100 <= m;
}

/* RFC 3676: join soft-broken lines of format=flowed text. */
static char *
unflow(const char *s, size_t n, int delsp, size_t *outlen)
{
	const char *p = s, *end = s + n, *e;
	char *out = xmalloc(n + 1), *o = out;	/* the text never grows */
	size_t ll;

	while (p < end) {
		e = line_end(p, end);
		if (*p == ' ' && p < e)
			p++;		/* space-stuffing */
		ll = (size_t)(e - p);
		if (ll > 0 && p[ll - 1] == ' ' && *p != '>' &&
		    !(ll == 3 && memcmp(p, "-- ", 3) == 0) && e < end) {
			memcpy(o, p, delsp ? ll - 1 : ll);
			o += delsp ? ll - 1 : ll;
		} else {
			memcpy(o, p, ll);
			o += ll;
			if (e < end)
				*o++ = '\n';
		}
		p = line_next(e, end);
	}
	*o = '\0';
	*outlen = (size_t)(o - out);
	return out;
}

/* Charset parameter, unquoted and trimmed, or NULL. */
static char *
part_charset(struct mailmime_content *ct)
{
	char name[] = "charset", *v, *r;
	size_t n;

	if (ct == NULL || (v = mailmime_content_param_get(ct, name)) == NULL)
		return NULL;
	while (*v == ' ' || *v == '"' || *v == '\'')
		v++;
	n = strlen(v);
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '"' ||
	    v[n - 1] == '\''))
		n--;
	if (n == 0 || n > 64)
		return NULL;
	r = xstrndup(v, n);
	return r;
}

/* How a part's bytes become text; TX_HTML_SOURCE stops before html.c. */
enum { TX_PLAIN, TX_HTML, TX_TEXTUAL, TX_HTML_SOURCE };

/* Bytes from s[0..len) before the first byte a or b: libc's memchr()
 * looks at many bytes an instruction, and a line is short. */
static size_t
run_until(const char *s, size_t len, unsigned char a, unsigned char b)
{
	const char *p;

	if ((p = memchr(s, a, len)) != NULL)
		len = (size_t)(p - s);
	if ((p = memchr(s, b, len)) != NULL)
		len = (size_t)(p - s);
	return len;
}

/* Whether the last line of out[0..n) is empty or holds two bytes or
 * more: whether it opens with "--" is then known. */
static int
line_settled(const char *out, size_t n)
{
	return n == 0 || out[n - 1] == '\n' || (n >= 2 && out[n - 2] != '\n');
}

/*
 * normalise_to() of a text without NUL from *pp towards end into *op,
 * which lies apart from it with room for all of it, 32 bytes at a time:
 * each block is stored whole, and where it holds a CR, the text goes on
 * after it (and its LF), the CR made an LF.  Mail has a line end every
 * few dozen bytes, which costs a memchr() and a memmove() call each
 * else.  Stops fewer than 32 bytes from the end: *pp and *op move on.
 * Returns 1 when every byte it read (all it copied, and a few after) is
 * ASCII, else 0.
 */
static int
crlf_copy(const char **pp, const char *end, char **op)
{
	const char *p = *pp, *last;
	char *o = *op;
	bytes16 high = { 0 };
	size_t k;

	if (end - p < 32)
		return 1;
	for (last = end - 32; p <= last; ) {
		if ((k = text_copy32_find(p, o, '\r', &high)) == 32) {
			p += 32;
			o += 32;
			continue;
		}
		o[k] = '\n';
		o += k + 1;
		p += k + 1;
		if (p < end && *p == '\n')
			p++;
	}
	*pp = p;
	*op = o;
	return !bytes16_any_high(high);
}

/*
 * Copy raw[*ip..len) to out + *jp with LF line ends and NULs as spaces,
 * until want bytes or more are out and the last line is settled, or to
 * the end; *ip and *jp move on.  out has room for len - *ip more bytes
 * (the text never grows), and may be raw itself with *jp <= *ip.  A CRLF
 * is never split.  Returns 1 when all that was left is made and found to
 * be ASCII (as it is found on the way), else 0.
 */
static int
normalise_to(const char *raw, size_t len, size_t *ip, char *out, size_t *jp,
    size_t want)
{
	size_t i = *ip, j = *jp, lim, n;
	const char *cr;
	int ascii = 0;
	/* Without a NUL in what is left (as in all mail but hostile
	 * mail), only CRs are looked for. */
	int nul = i < len && memchr(raw + i, '\0', len - i) != NULL;

	/* When all that is left fits under want (the text never grows),
	 * it is made to the end: one line end at a time. */
	if (!nul && len - i <= want && j <= want - (len - i)) {
		const char *p = raw + i, *end = raw + len;
		char *o = out + j;

		if (out != raw && crlf_copy(&p, end, &o))
			ascii = text_ascii_run(p, (size_t)(end - p)) ==
			    (size_t)(end - p);
		while ((cr = memchr(p, '\r', (size_t)(end - p))) != NULL) {
			memmove(o, p, (size_t)(cr - p));
			o += cr - p;
			*o++ = '\n';
			p = cr + 1 < end && cr[1] == '\n' ? cr + 2 : cr + 1;
		}
		memmove(o, p, (size_t)(end - p));
		*jp = (size_t)(o - out) + (size_t)(end - p);
		*ip = len;
		return ascii;
	}
	while (i < len && !(j >= want && line_settled(out, j))) {
		lim = len - i;
		if (j < want && lim > want - j)
			lim = want - j;
		else if (j >= want)
			lim = 1;
		if (nul)
			n = run_until(raw + i, lim, '\r', '\0');
		else
			n = (cr = memchr(raw + i, '\r', lim)) != NULL ?
			    (size_t)(cr - (raw + i)) : lim;
		memmove(out + j, raw + i, n);
		i += n;
		j += n;
		if (n == lim)
			continue;
		/* raw[i] is a CR or a NUL. */
		if (raw[i] == '\r') {
			out[j++] = '\n';
			if (i + 1 < len && raw[i + 1] == '\n')
				i++;
		} else
			out[j++] = ' ';
		i++;
	}
	*ip = i;
	*jp = j;
	return 0;
}

/* Copy with LF line ends and NULs as spaces, after head spare bytes;
 * NUL-terminated.  Malloc'd. */
static char *
normalise(const char *raw, size_t len, size_t head, size_t *outlen)
{
	char *r = xmalloc(head + len + 1);
	size_t i = 0, j = 0;

	normalise_to(raw, len, &i, r + head, &j, SIZE_MAX);
	r[head + j] = '\0';
	*outlen = j;
	return r;
}

/* normalise() over s[0..len) in place (the text never grows); returns
 * the length made, NUL-terminated (s[len] must be writable). */
static size_t
normalise_here(char *s, size_t len)
{
	size_t i = 0, j = 0;

	normalise_to(s, len, &i, s, &j, SIZE_MAX);
	s[j] = '\0';
	return j;
}

/*
 * A message's text as normalise() makes it, made only as far as it is
 * needed: TEXT_HEAD spare bytes, then the text, in one allocation with
 * room for all of it.  The spare bytes let the header handed to libetpan
 * be put in place before the body (parse_into()).
 */
#define TEXT_HEAD	2
#define TEXT_CHUNK	(64u * 1024)	/* made at a time to find the header */
#define TEXT_HUGE	(8u * 1024 * 1024)	/* huge pages asked for from here */

struct lftext {
	char	*buf;		/* malloc'd */
	char	*text;		/* buf + TEXT_HEAD */
	size_t	 len;		/* text made so far */
	const char *raw;	/* what it is made from */
	size_t	 rawlen;
	size_t	 rawoff;	/* raw bytes read so far */
	int	 ascii;		/* the text made is known to be ASCII */
};

/*
 * Writing a large text into fresh memory costs a page fault every 4 KiB,
 * more than the copy itself: let the kernel use huge pages for it, when
 * it can.  Only a hint; nothing changes when it is not taken.
 */
static void
advise_huge(void *p, size_t len)
{
#ifdef MADV_HUGEPAGE
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t a = ((uintptr_t)p + pg - 1) & ~(pg - 1);
	uintptr_t e = ((uintptr_t)p + len) & ~(pg - 1);

	if (len >= TEXT_HUGE && e > a)
		(void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
	(void)p;
	(void)len;
#endif
}

static void
lf_init(struct lftext *t, const char *raw, size_t len)
{
	t->buf = xmalloc(TEXT_HEAD + len + 1);
	advise_huge(t->buf, TEXT_HEAD + len + 1);
	t->text = t->buf + TEXT_HEAD;
	t->len = 0;
	t->text[0] = '\0';
	t->raw = raw;
	t->rawlen = len;
	t->rawoff = 0;
	t->ascii = 1;		/* none made yet */
}

/* Text made already, by normalise() with TEXT_HEAD spare bytes. */
static void
lf_take(struct lftext *t, char *buf, size_t len)
{
	t->buf = buf;
	t->text = buf + TEXT_HEAD;
	t->len = len;
	t->raw = NULL;
	t->rawlen = 0;
	t->rawoff = 0;
	t->ascii = 0;		/* not known */
}

static int
lf_done(const struct lftext *t)
{
	return t->rawoff == t->rawlen;
}

/* Make want bytes of text or more (normalise_to()), NUL-terminated. */
static void
lf_more(struct lftext *t, size_t want)
{
	if (!lf_done(t) && !normalise_to(t->raw, t->rawlen, &t->rawoff,
	    t->text, &t->len, want))
		t->ascii = 0;
	t->text[t->len] = '\0';
}

/* Make the text up to its first blank line, where the header ends at the
 * latest (header_next()), or all of it. */
static void
lf_header(struct lftext *t)
{
	size_t from = 0;

	lf_more(t, TEXT_CHUNK);
	while (!lf_done(t) && t->text[0] != '\n' &&
	    memmem(t->text + from, t->len - from, "\n\n", 2) == NULL) {
		from = t->len - 1;
		lf_more(t, t->len * 2);
	}
}

/*
 * Lines of raw[off..len) that open with "--", as the pre-scan counts them
 * in the text normalise() makes (CR, LF and CRLF end a line), up to
 * max + 1.  The first line counts only when at_start; else it is the end
 * of a line counted already.
 */
static size_t
raw_delims(const char *raw, size_t len, size_t off, int at_start, size_t max)
{
	size_t n = 0, i = off;

	while (i < len && n <= max) {
		if (at_start && len - i >= 2 && raw[i] == '-' &&
		    raw[i + 1] == '-')
			n++;
		at_start = 1;
		i += run_until(raw + i, len - i, '\r', '\n');
		if (i + 1 < len && raw[i] == '\r' && raw[i + 1] == '\n')
			i++;
		i++;
	}
	return n;
}

/*
 * Base64 as libetpan 1.9.4 reads it: bytes outside the alphabet (padding
 * included) are skipped, every four letters give three bytes, and a last
 * group of two or three letters gives one or two.  Decoding stops once
 * more than lim bytes are out.  Malloc'd.
 */
static char *
base64_decode(const char *s, size_t n, size_t lim, size_t *outlen)
{
	/* A letter's six bits in place for each position of a group, so
	 * that a group is four look-ups or'ed; INT32_MIN for the rest. */
	static int32_t val[4][256];
	static int ready;
	unsigned char chunk[4];
	size_t i, o = 0, end;
	int32_t x;
	uint32_t u;
	int k = 0, v, p;
	char *out;

	if (!ready) {
		for (p = 0; p < 4; p++)
			for (v = 0; v < 256; v++)
				val[p][v] = INT32_MIN;
		for (p = 0; p < 4; p++) {
			for (v = 0; v < 26; v++) {
				val[p]['A' + v] = (int32_t)v << (18 - 6 * p);
				val[p]['a' + v] = (int32_t)(v + 26) << (18 - 6 * p);
			}
			for (v = 0; v < 10; v++)
				val[p]['0' + v] = (int32_t)(v + 52) << (18 - 6 * p);
			val[p]['+'] = (int32_t)62 << (18 - 6 * p);
			val[p]['/'] = (int32_t)63 << (18 - 6 * p);
		}
		ready = 1;
	}
	out = xmalloc((n / 4 * 3 <= lim ? n / 4 * 3 : lim + 3) + 4);
	for (i = 0; i < n && o <= lim; i++) {
		/* Four letters at a group's start, as most are: three
		 * bytes at once, for as many groups as there are before
		 * the end and while o <= lim. */
		if (k == 0 && n - i >= 4) {
			size_t ng = (n - i) / 4, nl = (lim - o) / 3 + 1;

			for (end = i + 4 * (ng < nl ? ng : nl); i < end;
			    i += 4) {
				x = val[0][(unsigned char)s[i]] |
				    val[1][(unsigned char)s[i + 1]] |
				    val[2][(unsigned char)s[i + 2]] |
				    val[3][(unsigned char)s[i + 3]];
				if (x < 0)
					break;
				/* The three bytes, and one that the next ones
				 * or the NUL replace, in one store: out has
				 * room for it. */
				u = (uint32_t)x << 8;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
				u = __builtin_bswap32(u);
#endif
				memcpy(out + o, &u, 4);
				o += 3;
			}
		}
		if (i >= n || o > lim)
			break;
		if ((x = val[3][(unsigned char)s[i]]) < 0)
			continue;
		chunk[k++] = (unsigned char)x;
		if (k == 4) {
			out[o++] = (char)(chunk[0] << 2 | chunk[1] >> 4);
			out[o++] = (char)(chunk[1] << 4 | chunk[2] >> 2);
			out[o++] = (char)(chunk[2] << 6 | chunk[3]);
			k = 0;
		}
	}
	if (k > 0) {
		if (k == 1)
			chunk[1] = 0;
		out[o++] = (char)(chunk[0] << 2 | chunk[1] >> 4);
		if (k == 3)
			out[o++] = (char)(chunk[1] << 4 | chunk[2] >> 2);
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

/*
 * Where qp_decode() puts its bytes.  It decodes to the bytes libetpan
 * 1.9.4 would give (line ends as CRLF), counted in o.  Raw, they are
 * written as they come; else they are written as normalise() would make
 * the first lim of them, at once: a CR as an LF (pend: the LF after it
 * is then dropped), a NUL as a space.
 */
struct qp_out {
	char	*out;
	size_t	 o;		/* bytes decoded */
	size_t	 w;		/* bytes written */
	size_t	 lim;
	int	 raw;
	int	 pend;		/* the last byte decoded was a CR */
};

static void
qp_byte(struct qp_out *q, char c)
{
	if (q->raw)
		q->out[q->w++] = c;
	else if (q->o < q->lim) {
		if (c == '\n' && q->pend)
			;		/* the LF of a CRLF */
		else
			q->out[q->w++] = c == '\r' ? '\n' : c == '\0' ? ' ' : c;
		q->pend = c == '\r';
	}
	q->o++;
}

/* n bytes of the message as they are; plain when they hold no CR, LF or
 * NUL. */
static void
qp_copy(struct qp_out *q, const char *p, size_t n, int plain)
{
	size_t i, k = n;

	if (!q->raw)
		k = q->o >= q->lim ? 0 : n < q->lim - q->o ? n : q->lim - q->o;
	if (q->raw || (plain && k > 0)) {
		memcpy(q->out + q->w, p, k);
		q->w += k;
		q->pend = 0;
		q->o += n;
		return;
	}
	for (i = 0; i < k; i++)
		qp_byte(q, p[i]);
	q->o += n - k;
}

/* A line end, decoded as CRLF: one LF whatever came before. */
static void
qp_eol(struct qp_out *q)
{
	if (q->raw) {
		q->out[q->w++] = '\r';
		q->out[q->w++] = '\n';
	} else if (q->o < q->lim) {
		q->out[q->w++] = '\n';
		q->pend = 0;
	}
	q->o += 2;
}

/* Where c first is in [p, end), else end. */
static const char *
find_or_end(const char *p, const char *end, int c)
{
	const char *r;

	if (p >= end || (r = memchr(p, c, (size_t)(end - p))) == NULL)
		return end;
	return r;
}

/*
 * How many of s[0..n) are LFs, sixteen bytes at a time: each block's
 * compare, all ones where it holds an LF, is taken from a count for each
 * of its places, which are added up before any can pass 255 (63 steps
 * of four blocks, then three blocks at most).
 */
static size_t
count_lf(const char *s, size_t n)
{
	const bytes16 lfs = {
		'\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n',
		'\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n'
	};
	const uint64_t low = 0x00ff00ff00ff00ffULL;
	bytes16 v[4], acc;
	uint64_t w[2], x;
	size_t i = 0, k, total = 0;

	while (n - i >= 16) {
		acc = (bytes16){ 0 };
		for (k = 0; k < 63 && n - i >= 64; k++, i += 64) {
			memcpy(v, s + i, 64);
			acc -= (bytes16)(v[0] == lfs);
			acc -= (bytes16)(v[1] == lfs);
			acc -= (bytes16)(v[2] == lfs);
			acc -= (bytes16)(v[3] == lfs);
		}
		for (k = 0; k < 3 && n - i >= 16; k++, i += 16) {
			memcpy(v, s + i, 16);
			acc -= (bytes16)(v[0] == lfs);
		}
		memcpy(w, &acc, 16);
		/* Eight bytes summed in pairs, then the four sums. */
		x = (w[0] & low) + ((w[0] >> 8) & low) + (w[1] & low) +
		    ((w[1] >> 8) & low);
		total += (size_t)((x * 0x0001000100010001ULL) >> 48);
	}
	for (; i < n; i++)
		total += s[i] == '\n';
	return total;
}

/*
 * For qp_decode() writing text as normalise() makes it, with no byte
 * able to reach the cap (each byte read counts two at most), from a
 * body with no CR and no NUL (as every body of a message is, made with
 * LF line ends and NULs blanked): the text from m[*cur] on, in one
 * loop, as qp_decode() steps through it: runs of plain bytes and line
 * ends up to the next '=', copied as they are, then a soft line break
 * or "=XX" with a byte after it.  The next '=' is looked for once, not a
 * line at a time.  A line end copied counts two bytes, as CRLF: they
 * are counted at the end, all the LFs read but those an '=' took.
 * Stops at the end, or at an '=' too near the end, for qp_decode()'s
 * steps.
 */
static void
qp_run(const char *m, size_t n, size_t *cur, struct qp_out *q)
{
	const char *p = m + *cur, *end = m + n, *eq;
	size_t k, taken = 0;
	char c;

	eq = find_or_end(p, end, '=');
	while (p < end) {
		if ((k = (size_t)(eq - p)) > 0) {
			memcpy(q->out + q->w, p, k);
			q->w += k;
			q->o += k;
			q->pend = 0;
			p = eq;
		}
		if (p == end)
			break;
		if (end - p < 3)
			break;
		/* A soft line break, or "=XX", which may take the line end
		 * as its X: that line end is then no line end. */
		if (p[1] == '\n') {
			taken++;
			p += 2;
		} else {
			taken += p[2] == '\n';
			c = (char)(qp_hex[(unsigned char)p[1]] << 4 |
			    qp_hex[(unsigned char)p[2]]);
			if (c != '\r' && c != '\n' && c != '\0') {
				q->out[q->w++] = c;
				q->o++;
				q->pend = 0;
			} else
				qp_byte(q, c);
			p += 3;
		}
		/* Accented text is "=XX=XX": the next '=' is often here. */
		eq = p < end && *p == '=' ? p : find_or_end(p, end, '=');
	}
	q->o += count_lf(m + *cur, (size_t)(p - (m + *cur))) - taken;
	*cur = (size_t)(p - m);
}

/*
 * Quoted-printable as libetpan 1.9.4 reads a body, step for step (its
 * decoder appends to a string a call at a time): "=XX" is a byte (a
 * digit that is not hex counts as 0), "=" before a line end joins the
 * lines, line ends come out as CRLF, and a "=" too near the end is kept
 * or dropped as libetpan does.  Like libetpan, a "=" and one byte at the
 * very end also give the byte after them: m[n] must be readable (every
 * body here lies inside a NUL-terminated message).  Decoding stops once
 * more than lim bytes are out; *declen gets how many.  With raw, they
 * are returned as they are; else the text is what normalise() makes of
 * the first lim of them, after head spare bytes.  Malloc'd.
 */
static char *
qp_decode(const char *m, size_t n, size_t lim, int raw, size_t head,
    size_t *declen, size_t *outlen)
{
	enum { QP_NORMAL, QP_CODED, QP_OUT, QP_CR } state = QP_NORMAL;
	struct qp_out q;
	size_t cur = 0, count = 0, k;
	const char *start = m;
	int plain = 1;		/* the bytes counted hold no CR, LF or NUL */
	/* Made text from a body without CR and NUL: qp_run() may go. */
	int clean = !raw && memchr(m, '\r', n) == NULL &&
	    memchr(m, '\0', n) == NULL;
	char c;

	q.out = xmalloc(head + (raw ? 2 * n : n) + 2);
	q.o = q.w = 0;
	q.lim = lim;
	q.raw = raw;
	q.pend = 0;
	q.out += head;
	/* Most runs are plain, and fit: copied here. */
#define QP_FLUSH() do {						\
		if (count == 0)					\
			;					\
		else if (plain && !raw && q.o < lim &&		\
		    count <= lim - q.o) {			\
			memcpy(q.out + q.w, start, count);	\
			q.w += count;				\
			q.o += count;				\
			q.pend = 0;				\
		} else						\
			qp_copy(&q, start, count, plain);	\
		count = 0;					\
		plain = 1;					\
	} while (0)
	while (state != QP_OUT && cur < n && q.o <= lim) {
		switch (state) {
		case QP_CODED:
			QP_FLUSH();
			/* m[cur] is '=' */
			if (cur + 1 >= n) {
				state = QP_NORMAL;
				start = m + cur;
				cur++;
				count++;
				break;
			}
			switch (m[cur + 1]) {
			case '\n':
				cur += 2;
				start = m + cur;
				state = QP_NORMAL;
				break;
			case '\r':
				if (cur + 2 >= n) {
					state = QP_OUT;
					break;
				}
				cur += m[cur + 2] == '\n' ? 3 : 2;
				start = m + cur;
				state = QP_NORMAL;
				break;
			default:
				if (cur + 2 >= n) {
					/* The byte at cur is counted twice: the
					 * last one copied is m[n]. */
					cur++;
					start = m + cur;
					count++;
					plain = 0;
					state = QP_NORMAL;
					break;
				}
				c = (char)(qp_hex[(unsigned char)m[cur + 1]] << 4 |
				    qp_hex[(unsigned char)m[cur + 2]]);
				/* Most decoded bytes are plain, and fit. */
				if (!raw && q.o < lim && c != '\r' &&
				    c != '\n' && c != '\0') {
					q.out[q.w++] = c;
					q.o++;
					q.pend = 0;
				} else
					qp_byte(&q, c);
				cur += 3;
				start = m + cur;
				/* Accented text is "=XX=XX": the next '=' needs
				 * no looking for. */
				state = cur < n && m[cur] == '=' ? QP_CODED :
				    QP_NORMAL;
				break;
			}
			break;
		case QP_NORMAL:
			/* Most of the text, far from the cap, in one go. */
			if (count == 0 && clean && q.o < lim &&
			    n - cur < (lim - q.o) / 2) {
				qp_run(m, n, &cur, &q);
				start = m + cur;
				if (cur >= n)
					break;
			}
			/* Plain bytes up to the next '=' or line end: found by
			 * strcspn() in the NUL-terminated text, unless a NUL
			 * comes first. */
			k = strcspn(m + cur, "=\n\r");
			if (k > n - cur)
				k = n - cur;
			if (cur + k < n && m[cur + k] == '\0')
				k = 0;
			count += k;
			cur += k;
			while (cur < n && m[cur] != '=' && m[cur] != '\n' &&
			    m[cur] != '\r') {
				plain = 0;	/* a NUL is among them */
				count++;
				cur++;
			}
			if (cur >= n)
				break;
			switch (m[cur]) {
			case '=':
				state = QP_CODED;
				break;
			case '\n':
				QP_FLUSH();
				qp_eol(&q);
				cur++;
				start = m + cur;
				break;
			case '\r':
				state = QP_CR;
				cur++;
				break;
			default:
				count++;
				cur++;
				break;
			}
			break;
		case QP_CR:
			QP_FLUSH();
			if (m[cur] == '\n') {
				qp_eol(&q);
				cur++;
				start = m + cur;
				state = QP_NORMAL;
			} else {
				start = m + cur;
				qp_eol(&q);
				state = QP_NORMAL;
			}
			break;
		case QP_OUT:
			break;
		}
	}
	QP_FLUSH();
#undef QP_FLUSH
	q.out[q.w] = '\0';
	*declen = q.o;
	*outlen = q.w;
	return q.out - head;
}

/*
 * A part's body without its transfer encoding, LF line ends, at most
 * LIMIT_PART_TEXT bytes (*cut set when more was there), after head spare
 * bytes; NULL when there is no body or, with TX_TEXTUAL, when it does not
 * look like text.  It reads no more than PART_RAW_BYTES of the body, and
 * the byte after them.  Malloc'd, but for borrowed (head 0): a body with
 * no transfer encoding is then the text itself, not copied (*borrowed
 * set, not NUL-terminated), since the text libetpan reads has LF line
 * ends and no NUL already (parse_into()).
 */
static char *
part_decode(struct mailmime *mm, int how, size_t head, size_t *outlen,
    int *cut, int *borrowed)
{
	struct mailmime_data *d = part_body(mm);
	char *dec, *r;
	size_t rawlen, declen, n;

	if (borrowed != NULL)
		*borrowed = 0;
	if (d == NULL)
		return NULL;
	rawlen = d->dt_data.dt_text.dt_length;
	if (rawlen > PART_RAW_BYTES) {
		rawlen = PART_RAW_BYTES;
		*cut = 1;
	}
	/* libetpan 1.9.4 decodes base64 and quoted-printable a few bytes a
	 * call and copies the other encodings: the same is done here, as far
	 * as shows whether the text goes past the cap.  Quoted-printable
	 * text is made with LF line ends as it is decoded, unless it must
	 * first be looked at as it is. */
	if (d->dt_encoding == MAILMIME_MECHANISM_QUOTED_PRINTABLE &&
	    how != TX_TEXTUAL) {
		r = qp_decode(d->dt_data.dt_text.dt_data, rawlen,
		    LIMIT_PART_TEXT, 0, head, &declen, outlen);
		if (declen > LIMIT_PART_TEXT)
			*cut = 1;
		return r;
	}
	if (d->dt_encoding == MAILMIME_MECHANISM_BASE64)
		dec = base64_decode(d->dt_data.dt_text.dt_data, rawlen,
		    LIMIT_PART_TEXT, &declen);
	else if (d->dt_encoding == MAILMIME_MECHANISM_QUOTED_PRINTABLE)
		dec = qp_decode(d->dt_data.dt_text.dt_data, rawlen,
		    LIMIT_PART_TEXT, 1, 0, &declen, &n);
	else {
		dec = NULL;
		declen = rawlen;
	}
	if (how == TX_TEXTUAL && !looks_textual(dec ? dec :
	    d->dt_data.dt_text.dt_data, declen)) {
		free(dec);
		return NULL;
	}
	if (declen > LIMIT_PART_TEXT) {
		declen = LIMIT_PART_TEXT;
		*cut = 1;
	}
	if (dec == NULL && head == 0 && borrowed != NULL) {
		*borrowed = 1;
		*outlen = declen;
		return (char *)d->dt_data.dt_text.dt_data;
	}
	if (dec == NULL)
		return normalise(d->dt_data.dt_text.dt_data, declen, head,
		    outlen);
	if (head == 0) {
		*outlen = normalise_here(dec, declen);
		return dec;
	}
	r = normalise(dec, declen, head, outlen);
	free(dec);
	return r;
}

/*
 * Decoded UTF-8 text of a part, at most cap bytes; NULL when there is
 * none.  Malloc'd, but for *shared set: the text of a part of the
 * top-level message that needs no change at all is not copied, but
 * NUL-terminated where it lies, in the message's text (parse_into()
 * keeps that with the message).  Only the bytes at or after the part's
 * end are so written: the parts before it are read already, and the
 * ones after it lie after it.
 */
static char *
part_text(struct mime_ctx *c, struct mailmime *mm, size_t partno, int how,
    size_t cap, size_t *outlen, int *shared)
{
	struct mailmime_content *ct = mm->mm_content_type;
	char *lf, *u, *t, *cs;
	char fl[] = "format", ds[] = "delsp", *v;
	size_t n, un;
	int cut = 0, delsp, borrowed;

	*shared = 0;
	if ((lf = part_decode(mm, how, 0, &n, &cut, &borrowed)) == NULL)
		return NULL;
	cs = part_charset(ct);
	if (cs != NULL && !text_charset_known(cs)) {
		/* text.c maps a few labels iconv lacks: only say so when
		 * the text came out as the fallback reading. */
		size_t fn;
		char *fb = text_to_utf8(NULL, lf, n, &fn);

		u = text_to_utf8(cs, lf, n, &un);
		if (fn == un && memcmp(fb, u, un) == 0 && !text_is_utf8(lf, n))
			note(c, "part %zu: charset %.40s unknown, read as "
			    "windows-1252", partno, cs);
		free(fb);
		if (!borrowed)
			free(lf);
	} else if (borrowed && c->reparse == 0 &&
	    text_utf8_as_is(cs, lf, c->top_ascii ? 0 : n)) {
		/* ASCII without NUL is UTF-8 as it is: then only the
		 * charset is asked about. */
		u = lf;
		un = n;
		u[un] = '\0';
		*shared = c->shared = 1;
	} else if (borrowed)
		u = text_to_utf8(cs, lf, n, &un);
	else
		u = text_to_utf8_take(cs, lf, n, &un);
	free(cs);

	if (how == TX_PLAIN && ct != NULL &&
	    (v = mailmime_content_param_get(ct, fl)) != NULL &&
	    strcasecmp(v, "flowed") == 0) {
		delsp = (v = mailmime_content_param_get(ct, ds)) != NULL &&
		    strcasecmp(v, "yes") == 0;
		t = unflow(u, un, delsp, &un);
		if (!*shared)
			free(u);
		*shared = 0;
		u = t;
	}
	if (how == TX_HTML) {
		t = html_to_text(u, un, cap, &un);
		if (!*shared)
			free(u);
		*shared = 0;
		u = t;
	}
	if (un > cap && how != TX_HTML_SOURCE) {
		un = utf8_cut(u, un, cap);
		u[un] = '\0';
		cut = 1;
	}
	if (cut) {
		c->msg->truncated = 1;
		note(c, "part %zu: text cut", partno);
	}
	*outlen = un;
	return u;
}

static int parse_into(struct mime_ctx *, struct lftext *, int, int, size_t);

/* A forwarded message that came base64 or quoted-printable encoded:
 * libetpan leaves it whole, so it is decoded and parsed here. */
static void
encoded_message(struct mime_ctx *c, struct mailmime *mm, size_t partno,
    int depth)
{
	struct lftext t;
	struct ctpart *cts;
	char *raw;
	size_t n, ncts, ctnext;
	int cut = 0;

	if (depth + 1 > LIMIT_MIME_DEPTH || c->reparse >= 2) {
		note(c, "part %zu: encoded message not read", partno);
		c->msg->truncated = 1;
		return;
	}
	if ((raw = part_decode(mm, TX_PLAIN, TEXT_HEAD, &n, &cut, NULL)) ==
	    NULL)
		return;
	if (cut) {
		note(c, "part %zu: encoded message cut", partno);
		c->msg->truncated = 1;
	}
	lf_take(&t, raw, n);
	/* The part types kept are the top-level text's. */
	cts = c->cts;
	ncts = c->ncts;
	ctnext = c->ctnext;
	c->ncts = 0;
	c->reparse++;
	parse_into(c, &t, 0, depth + 1, partno);
	c->reparse--;
	c->cts = cts;
	c->ncts = ncts;
	c->ctnext = ctnext;
	free(raw);
}

/* Text that should have been parts: read as plain text. */
static void
broken_multipart(struct mime_ctx *c, struct mailmime *mm, size_t partno,
    int alt)
{
	size_t len, room = LIMIT_TOTAL_TEXT - c->total;
	char *text;
	int shared;

	note(c, "part %zu: multipart without usable boundary, read as text",
	    partno);
	if (room == 0)
		return;
	text = part_text(c, mm, partno, TX_PLAIN,
	    room < LIMIT_PART_TEXT ? room : LIMIT_PART_TEXT, &len, &shared);
	if (text == NULL)
		return;
	if (only_space(text, text + len)) {
		if (!shared)
			free(text);
		return;
	}
	add_part(c, MIME_PART_PLAIN, text, len, NULL, alt);
	c->msg->parts[c->msg->nparts - 1].shared = shared;
}

static void
leaf(struct mime_ctx *c, struct mailmime *mm, int depth, int alt)
{
	struct mime_message *m = c->msg;
	struct mailmime_disposition *dsp;
	const char *type, *sub;
	enum mime_part_kind kind;
	char *filename, *text;
	size_t partno = c->leaves, len, room, cap;
	int attached, how = TX_PLAIN, shared;

	part_type(mm->mm_content_type, &type, &sub);
	if (strcasecmp(type, "message") == 0) {
		if (strcasecmp(sub, "delivery-status") == 0 ||
		    strcasecmp(sub, "disposition-notification") == 0 ||
		    strcasecmp(sub, "global-delivery-status") == 0 ||
		    strcasecmp(sub, "global-disposition-notification") == 0)
			m->is_report = 1;
		else if (strcasecmp(sub, "rfc822") == 0 ||
		    strcasecmp(sub, "global") == 0)
			encoded_message(c, mm, partno, depth);
		else if (strcasecmp(sub, "rfc822-headers") != 0 &&
		    strcasecmp(sub, "global-headers") != 0)
			m->nattachments++;
		return;
	}
	if (strcasecmp(type, "multipart") == 0) {
		if (strcasecmp(sub, "report") == 0)
			m->is_report = 1;
		broken_multipart(c, mm, partno, alt);
		return;
	}
	dsp = part_disposition(mm);
	filename = part_filename(mm, dsp);
	attached = filename != NULL || (dsp != NULL &&
	    dsp->dsp_type->dsp_type == MAILMIME_DISPOSITION_TYPE_ATTACHMENT);

	if (strcasecmp(type, "text") == 0 && strcasecmp(sub, "plain") == 0) {
		if (filename != NULL && ends_with_ci(filename, ".csv"))
			kind = MIME_PART_CSV;
		else
			kind = attached ? MIME_PART_ATTACHED_TEXT :
			    MIME_PART_PLAIN;
	} else if (strcasecmp(type, "text") == 0 &&
	    strcasecmp(sub, "html") == 0) {
		kind = MIME_PART_HTML;
		how = TX_HTML;
	} else if (is_csv_type(type, sub)) {
		kind = MIME_PART_CSV;
	} else if (filename != NULL && ends_with_ci(filename, ".csv") &&
	    (is_generic_type(type, sub) || strcasecmp(type, "text") == 0)) {
		kind = MIME_PART_CSV;
		how = TX_TEXTUAL;
	} else {
		if (!is_signature_type(type, sub))
			m->nattachments++;
		free(filename);
		return;
	}

	room = LIMIT_TOTAL_TEXT - c->total;
	if (room == 0) {
		if (!c->total_noted)
			note(c, "part %zu and later: text total over %u MiB",
			    partno, LIMIT_TOTAL_TEXT >> 20);
		c->total_noted = 1;
		m->truncated = 1;
		free(filename);
		return;
	}
	cap = room < LIMIT_PART_TEXT ? room : LIMIT_PART_TEXT;
	/* The HTML twin of a plain part is flattened only if asked for
	 * (mime_part_text()); its source is counted as its text. */
	if (how == TX_HTML && alt >= 0 && alt == c->plain_group)
		how = TX_HTML_SOURCE;
	text = part_text(c, mm, partno, how, cap, &len, &shared);
	if (text == NULL) {
		if (how == TX_TEXTUAL)
			m->nattachments++;
		free(filename);
		return;
	}
	if (how == TX_HTML_SOURCE) {
		add_part(c, kind, text, len, filename, alt);
		m->parts[m->nparts - 1].shared = shared;
		m->parts[m->nparts - 1].html_pending = 1;
		m->parts[m->nparts - 1].cap = cap;
		if (len > cap)
			c->total -= len - cap;
		return;
	}
	if (filename == NULL && only_space(text, text + len)) {
		if (!shared)
			free(text);
		return;
	}
	add_part(c, kind, text, len, filename, alt);
	m->parts[m->nparts - 1].shared = shared;
	if (kind == MIME_PART_PLAIN && alt >= 0)
		c->plain_group = alt;
}

/*
 * The type libetpan read before for the part mm, whose Content-Type it
 * was not shown (ct_hide()), or NULL.  Leaves are walked in the order of
 * the text, the order the fields were found in.
 */
static struct mailmime_content *
part_ct(struct mime_ctx *c, struct mailmime *mm)
{
	struct mailmime_data *d;
	const char *body;

	if (c->ctnext >= c->ncts || mm->mm_mime_start == NULL ||
	    (d = part_body(mm)) == NULL)
		return NULL;
	body = d->dt_data.dt_text.dt_data;
	while (c->ctnext < c->ncts && c->cts[c->ctnext].at < mm->mm_mime_start)
		c->ctnext++;
	if (c->ctnext < c->ncts && c->cts[c->ctnext].at < body)
		return c->cts[c->ctnext++].ct;
	return NULL;
}

/* leaf() of mm, with the type libetpan read before in place of the one
 * it gave for a field it was not shown. */
static void
leaf_typed(struct mime_ctx *c, struct mailmime *mm, int depth, int alt)
{
	struct mailmime_content *ct, *own;

	if ((ct = part_ct(c, mm)) == NULL) {
		leaf(c, mm, depth, alt);
		return;
	}
	own = mm->mm_content_type;
	mm->mm_content_type = ct;
	leaf(c, mm, depth, alt);
	mm->mm_content_type = own;
}

static void
walk(struct mime_ctx *c, struct mailmime *mm, int depth, int alt)
{
	const char *type, *sub;
	clistiter *it;

	if (c->stop || mm == NULL)
		return;
	if (depth > LIMIT_MIME_DEPTH) {
		if (!c->deep_noted)
			note(c, "parts nested deeper than %d levels left out",
			    LIMIT_MIME_DEPTH);
		c->deep_noted = 1;
		c->msg->truncated = 1;
		return;
	}
	switch (mm->mm_type) {
	case MAILMIME_MULTIPLE:
		part_type(mm->mm_content_type, &type, &sub);
		if (strcasecmp(sub, "report") == 0)
			c->msg->is_report = 1;
		if (strcasecmp(sub, "alternative") == 0)
			alt = c->ngroups++;
		if (clist_begin(mm->mm_data.mm_multipart.mm_mp_list) == NULL &&
		    c->leaves < LIMIT_MIME_PARTS) {
			broken_multipart(c, mm, ++c->leaves, alt);
			break;
		}
		for (it = clist_begin(mm->mm_data.mm_multipart.mm_mp_list);
		    it != NULL && !c->stop; it = clist_next(it))
			walk(c, clist_content(it), depth + 1, alt);
		break;
	case MAILMIME_MESSAGE:
		walk(c, mm->mm_data.mm_message.mm_msg_mime, depth + 1, -1);
		break;
	case MAILMIME_SINGLE:
		if (c->leaves == LIMIT_MIME_PARTS) {
			note(c, "parts after the %dth left out",
			    LIMIT_MIME_PARTS);
			c->msg->truncated = 1;
			c->stop = 1;
			return;
		}
		c->leaves++;
		leaf_typed(c, mm, depth, alt);
		break;
	}
}

/*
 * walk() of a message's part mm, whose Content-Type libetpan was not
 * handed when ct is not NULL (ct_cached()): it read the part as one of
 * text/plain, and ct, what it read from that field before, stands in for
 * its type meanwhile.  ct stays in the cache.  enc, when not 0, is the
 * transfer encoding libetpan was not handed either.
 */
static void
walk_typed(struct mime_ctx *c, struct mailmime *mm, int depth,
    struct mailmime_content *ct, int enc)
{
	struct mailmime_content *own;

	if (ct == NULL || mm == NULL) {
		walk(c, mm, depth, -1);
		return;
	}
	/* Nor was it handed the encoding enc (mime_block()). */
	if (enc != 0 && mm->mm_type == MAILMIME_SINGLE && mm->mm_body != NULL)
		mm->mm_body->dt_encoding = enc;
	own = mm->mm_content_type;
	mm->mm_content_type = ct;
	walk(c, mm, depth, -1);
	mm->mm_content_type = own;
}

/* ------------------------------------------------------------------ */

/* Whether field f is one libetpan is handed: Content-*, MIME-Version.
 * Most fields are neither, which their first letter tells. */
static int
is_mime_field(const struct hfield *f)
{
	char c = (char)(f->name[0] | 0x20);

	return (c == 'c' && f->namelen > 8 &&
	    strncasecmp(f->name, "content-", 8) == 0) ||
	    (c == 'm' && f->namelen == 12 &&
	    strncasecmp(f->name, "mime-version", 12) == 0);
}

/* Whether field f is one line (not folded). */
static int
one_line(const struct hfield *f)
{
	return memchr(f->start, '\n', (size_t)(f->vend - f->start)) == NULL;
}

static int
is_ct_field(const struct hfield *f)
{
	return f->namelen == 12 &&
	    strncasecmp(f->name, "content-type", 12) == 0;
}

static int
is_cte_field(const struct hfield *f)
{
	return f->namelen == 25 &&
	    strncasecmp(f->name, "content-transfer-encoding", 25) == 0;
}

/* The value of the one-line field f without the blanks around it, in
 * *v[0..return). */
static size_t
cte_value(const struct hfield *f, const char **v)
{
	const char *e = f->vend;

	for (*v = f->value; *v < e && is_wsp(**v); (*v)++)
		;
	while (e > *v && is_wsp(e[-1]))
		e--;
	return (size_t)(e - *v);
}

/*
 * Whether the value of the one-line field f is "7bit", "8bit" or
 * "binary" in any case, blanks around it: libetpan reads the body as
 * it is, as it does with no such field at all (8bit), and nothing here
 * tells these apart (only quoted-printable and base64 are decoded).
 */
static int
cte_identity(const struct hfield *f)
{
	const char *v;
	size_t n = cte_value(f, &v);

	return (n == 4 && (strncasecmp(v, "7bit", 4) == 0 ||
	    strncasecmp(v, "8bit", 4) == 0)) ||
	    (n == 6 && strncasecmp(v, "binary", 6) == 0);
}

/* The encoding libetpan reads in the one-line field f when its value is
 * "quoted-printable" or "base64" in any case, blanks around it, else 0. */
static int
cte_decoded(const struct hfield *f)
{
	const char *v;
	size_t n = cte_value(f, &v);

	if (n == 16 && strncasecmp(v, "quoted-printable", 16) == 0)
		return MAILMIME_MECHANISM_QUOTED_PRINTABLE;
	if (n == 6 && strncasecmp(v, "base64", 6) == 0)
		return MAILMIME_MECHANISM_BASE64;
	return 0;
}

/*
 * Whether the MIME field f is one nothing here reads from libetpan's
 * tree (all but Content-Type, Content-Transfer-Encoding and
 * Content-Disposition: MIME-Version, Content-Language, Content-ID...),
 * or a Content-Transfer-Encoding libetpan reads as no encoding at all
 * (cte_identity(); mime_block() keeps it when another such field
 * follows, which it would hide), and is one line: libetpan then reads
 * it as a field of its own, and reads the same in the block without it.
 */
static int
field_unread(const struct hfield *f)
{
	if (!one_line(f))
		return 0;
	if (is_cte_field(f))
		return cte_identity(f);
	return !(is_ct_field(f) || (f->namelen == 19 &&
	    strncasecmp(f->name, "content-disposition", 19) == 0));
}

/* Whether field f goes on over a line of nothing but blanks. */
static int
blank_continuation(const struct hfield *f)
{
	const char *q = f->start, *e;

	while ((q = memchr(q, '\n', (size_t)(f->vend - q))) != NULL) {
		e = line_end(++q, f->vend);
		if (only_space(q, e))
			return 1;
		q = e;
	}
	return 0;
}

/*
 * A header block's MIME fields, as read_header() collects them: those
 * read from libetpan's tree, in order, and the others (field_unread(),
 * and a first Content-Type libetpan read before: ct_cached()), which
 * libetpan need not be handed (mime_block()).
 */
struct mimeblk {
	struct buf read;
	struct buf unread;
	struct buf encfield;	/* a quoted-printable or base64 one */
	int	 enc;		/* its encoding (cte_decoded()), or 0 */
	size_t	 nfields;
	size_t	 ncte;		/* Content-Transfer-Encoding fields */
	size_t	 nct;		/* Content-Type fields */
	struct mailmime_content *ct;	/* the type for the one not handed */
	int	 blank;		/* a field goes on over a blank line */
};

static void
mimeblk_add(struct mimeblk *b, const struct hfield *f)
{
	struct buf *to;

	if (is_ct_field(f) && b->nct++ == 0 && f->vend[0] == '\n' &&
	    (b->ct = ct_cached(f->start, (size_t)(f->vend - f->start) + 1)) !=
	    NULL)
		to = &b->unread;
	else if (is_cte_field(f) && b->enc == 0 && one_line(f) &&
	    (b->enc = cte_decoded(f)) != 0)
		to = &b->encfield;	/* mime_block() places it */
	else
		to = field_unread(f) ? &b->unread : &b->read;
	b->nfields++;
	if (is_cte_field(f))
		b->ncte++;
	if (!b->blank && to == &b->read && blank_continuation(f))
		b->blank = 1;
	buf_add(to, f->start, (size_t)(f->vend - f->start));
	buf_addch(to, '\n');
}

/* The mbox "From " line at p, if there is one, passed over. */
static const char *
skip_from(const char *p, const char *end)
{
	if (end - p >= 5 && memcmp(p, "From ", 5) == 0)
		p = line_next(line_end(p, end), end);
	return p;
}

/*
 * The block of MIME fields for the scan and libetpan, into out: the
 * fields nothing reads first, then the others in their order; *skip
 * gets the length of the first, which libetpan is not handed.  Each
 * field is a line or more of its own: the others keep their order, and
 * the pre-scan counts the same lines; only its limits could tell the
 * order apart, and a block this small reaches none of them.  A larger
 * block, one with a field over a blank line (which libetpan reads its
 * own way), or one with more than one Content-Transfer-Encoding or,
 * with a type not handed, Content-Type (the first one libetpan reads
 * wins) is made again from the header [p, end) as it was: b->ct is then
 * NULL.
 */
static void
mime_block(struct mimeblk *b, const char *p, const char *end,
    struct buf *out, size_t *skip)
{
	struct hfield f;
	size_t len;

	/*
	 * A quoted-printable or base64 encoding of a part libetpan is not
	 * shown the type of either (a text type: its body is then read the
	 * same whatever the encoding) need not be shown: walk_typed() puts
	 * it in place.  Else it goes with the others, where it was or not:
	 * libetpan reads the first such field, and there is no other.
	 */
	if (b->enc != 0 && b->ct != NULL && b->nct == 1 && b->ncte == 1)
		buf_add(&b->unread, b->encfield.data, b->encfield.len);
	else {
		if (b->encfield.len > 0)
			buf_add(&b->read, b->encfield.data, b->encfield.len);
		b->enc = 0;
	}
	buf_free(&b->encfield);
	len = b->read.len + b->unread.len;
	*skip = 0;
	if (b->unread.len == 0 && b->ncte <= 1) {
		*out = b->read;
		buf_init(&b->read, 0);
	} else if (!b->blank && b->ncte <= 1 &&
	    (b->ct == NULL || b->nct == 1) && len <= LIMIT_MIME_HEADERS &&
	    b->nfields <= LIMIT_MIME_FIELDS) {
		*skip = b->unread.len;
		if (b->read.len > 0)
			buf_add(&b->unread, b->read.data, b->read.len);
		*out = b->unread;
		buf_init(&b->unread, 0);
	} else {
		b->ct = NULL;
		b->enc = 0;
		buf_init(out, len);
		for (p = skip_from(p, end); header_next(&p, end, &f); )
			if (is_mime_field(&f)) {
				buf_add(out, f.start,
				    (size_t)(f.vend - f.start));
				buf_addch(out, '\n');
			}
	}
	buf_free(&b->read);
	buf_free(&b->unread);
}

/*
 * A bit for a header name of len bytes (len > 0), the same for names
 * equal but for case (in which each byte is equal once 0x20 is set):
 * mime_header_get() looks no further for a name whose bit no name of the
 * message has, as most names asked for are not there.
 */
static uint64_t
hname_bit(const char *name, size_t len)
{
	unsigned h = (unsigned)len + 7u * (unsigned char)(name[0] | 0x20) +
	    (unsigned char)(name[len - 1] | 0x20);

	return (uint64_t)1 << (h & 63);
}

/*
 * Read a header block: at the top, its fields go into the message in
 * order; its Content-* and MIME-Version fields go into b for libetpan.
 * Returns where the body begins.
 */
static const char *
read_header(struct mime_ctx *c, const char *p, const char *end,
    struct mimeblk *b, int top)
{
	struct mime_message *m = c->msg;
	struct hfield f;
	size_t alloc = 0, dropped = 0;
	char *name;

	for (p = skip_from(p, end); header_next(&p, end, &f); ) {
		if (is_mime_field(&f))
			mimeblk_add(b, &f);
		if (!top)
			continue;
		if (m->nheaders == LIMIT_HEADER_COUNT) {
			dropped++;
			continue;
		}
		if (m->nheaders == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			m->headers = xrealloc(m->headers,
			    alloc * sizeof(*m->headers));
		}
		/* The name goes before its value, in the header's room. */
		name = header_value(f.value, f.vend, f.namelen + 1, &m->hmem);
		memcpy(name, f.name, f.namelen);
		name[f.namelen] = '\0';
		m->headers[m->nheaders].name = name;
		m->headers[m->nheaders].value = name + f.namelen + 1;
		m->nheaders++;
		m->hnames |= hname_bit(f.name, f.namelen);
	}
	if (dropped > 0) {
		note(c, "%zu header fields over %d left out", dropped,
		    LIMIT_HEADER_COUNT);
		m->truncated = 1;
	}
	return p;
}

/* Whether libetpan found no parts: the part walked is a single one. */
static int
root_single(const struct mailmime *root)
{
	if (root != NULL && root->mm_type == MAILMIME_MESSAGE)
		root = root->mm_data.mm_message.mm_msg_mime;
	return root != NULL && root->mm_type == MAILMIME_SINGLE;
}

/*
 * libetpan's tree of lin[0..len), or NULL.  With capped, lin is hl bytes
 * of header put before t's text from boff on, not all of it made: libetpan
 * must find no parts in it either, or it is given the rest.
 */
static struct mailmime *
lin_parse(struct lftext *t, char *lin, size_t len, size_t hl, size_t boff,
    int capped)
{
	struct mailmime *root = NULL;
	size_t idx = 0;
	int r;

	r = mailmime_parse(lin, len, &idx, &root);
	if (capped && (r != MAILIMF_NO_ERROR || !root_single(root))) {
		if (r == MAILIMF_NO_ERROR && root != NULL)
			mailmime_free(root);
		root = NULL;
		idx = 0;
		lf_more(t, SIZE_MAX);
		r = mailmime_parse(lin, hl + t->len - boff, &idx, &root);
	}
	return r == MAILIMF_NO_ERROR ? root : NULL;
}

/*
 * The part Content-Type fields cts[0..n) (ct_cached()) are hidden from
 * libetpan as it parses, their name made another ("Xontent-Type"): it
 * reads each part as one without a type (text/plain, as the scan found
 * no multipart/digest, whose parts' default is a message), and the field
 * as a field nothing reads, of the same length.  ct_show() puts them
 * back before anything reads the text.
 */
static void
ct_hide(struct ctpart *cts, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		cts[i].was = cts[i].at[0];
		cts[i].at[0] = 'X';
	}
}

static void
ct_show(struct ctpart *cts, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		cts[i].at[0] = cts[i].was;
}

/* Walk libetpan's tree root of the text t (NULL: it could not read it),
 * with the types it was not shown in place; then free it. */
static void
parse_walk(struct mime_ctx *c, struct lftext *t, struct mailmime *root,
    int top, int depth, struct mailmime_content *ct, int enc,
    struct ctpart *cts, size_t ncts, const char *where)
{
	if (root == NULL) {
		note(c, "%sheader only: MIME structure unreadable", where);
		c->msg->truncated = 1;
		return;
	}
	if (top)
		c->top_ascii = t->ascii;
	c->cts = cts;
	c->ncts = ncts;
	c->ctnext = 0;
	if (root->mm_type == MAILMIME_MESSAGE)
		walk_typed(c, root->mm_data.mm_message.mm_msg_mime, depth, ct,
		    enc);
	else
		walk(c, root, depth, -1);
	c->cts = NULL;
	c->ncts = 0;
	mailmime_free(root);
}

/*
 * Parse one message, the text t: the top-level one, or (top 0) a
 * forwarded one found encoded in part partno, whose header is not the
 * message's.  Returns 0, -1 for an unsafe boundary at the top, -2 when
 * the top-level message holds nothing at all.
 */
static int
parse_into(struct mime_ctx *c, struct lftext *t, int top, int depth,
    size_t partno)
{
	struct mime_message *m = c->msg;
	struct buf mimehdr;
	struct mimeblk blk;
	struct scan *s;
	struct mailmime *root;
	struct ctpart *cts = NULL;
	const char *body;
	char where[40] = "", *lin, *own = NULL;
	size_t boff, hl, linlen, unread, ncts = 0;
	int r = 0, capped;

	if (!top)
		snprintf(where, sizeof(where), "part %zu: ", partno);
	lf_header(t);
	buf_init(&blk.read, t->len + 1);
	buf_init(&blk.unread, t->len + 1);
	blk.nfields = 0;
	blk.ncte = 0;
	blk.nct = 0;
	blk.ct = NULL;
	buf_init(&blk.encfield, t->len + 1);
	blk.enc = 0;
	blk.blank = 0;
	body = read_header(c, t->text, t->text + t->len, &blk, top);
	mime_block(&blk, t->text, body, &mimehdr, &unread);
	boff = (size_t)(body - t->text);
	if (top && m->nheaders == 0) {
		lf_more(t, SIZE_MAX);
		if (only_space(t->text + boff, t->text + t->len)) {
			buf_free(&mimehdr);
			return -2;
		}
	}

	/*
	 * libetpan's input: the MIME fields, a blank line, the body.  The
	 * fields go just before the body, over the header they came from:
	 * each was copied with at most one line end added, and TEXT_HEAD
	 * leaves room for that and the blank line.  A body the scan and
	 * libetpan find no parts in is read no further than part_decode()
	 * reads it; the rest is only counted for boundary lines.  Fields
	 * nothing here reads go first, for the scan only: libetpan is
	 * handed what follows them, and spared parsing them.
	 */
	hl = mimehdr.len + 1;
	if (!lf_done(t) && TEXT_HEAD + boff >= hl &&
	    scan_single(mimehdr.data, mimehdr.len))
		lf_more(t, boff + PART_RAW_BYTES + 1);
	else
		lf_more(t, SIZE_MAX);
	capped = !lf_done(t);
	if (TEXT_HEAD + boff >= hl)
		lin = t->buf + (TEXT_HEAD + boff - hl);
	else {
		own = xmalloc(hl + t->len - boff + 1);
		memcpy(own + hl, t->text + boff, t->len - boff + 1);
		lin = own;
	}
	if (mimehdr.len > 0)
		memcpy(lin, mimehdr.data, mimehdr.len);
	lin[mimehdr.len] = '\n';
	linlen = hl + t->len - boff;
	buf_free(&mimehdr);

	s = xmalloc(sizeof(*s));
	scan_run(s, lin, linlen);
	if (capped && s->toobig == NULL && !s->unsafe &&
	    s->delims + raw_delims(t->raw, t->rawlen, t->rawoff,
	    t->text[t->len - 1] == '\n', LIMIT_MIME_DELIMS - s->delims) >
	    LIMIT_MIME_DELIMS)
		s->toobig = "too many boundary lines";
	if (s->nfix > 0 && s->toobig == NULL && !s->unsafe) {
		size_t n;
		char *fixed = scan_repair(s, lin, linlen, &n);

		free(own);
		own = lin = fixed;
		linlen = n;
	}
	/* Part types libetpan read before, where they are read as the scan
	 * found them (no repair, no digest), and only at the top. */
	if (top && s->ncts > 0 && s->nfix == 0 && !s->digest) {
		cts = s->cts;
		ncts = s->ncts;
		s->cts = NULL;
	}
	scan_free(s);
	if (s->unsafe) {
		if (top)
			r = -1;
		else {
			note(c, "%sunsafe MIME boundary, left out", where);
			m->truncated = 1;
		}
	} else {
		if (s->flattened)
			note(c, "%scomments nested deeper than %d levels "
			    "flattened", where, LIMIT_COMMENT_DEPTH);
		if (s->toobig != NULL) {
			note(c, "%sheader only: %s", where, s->toobig);
			m->truncated = 1;
			if (s->root_report && top)
				m->is_report = 1;
		} else {
			ct_hide(cts, ncts);
			root = lin_parse(t, lin + unread, linlen - unread,
			    hl - unread, boff, capped);
			ct_show(cts, ncts);
			parse_walk(c, t, root, top, depth, blk.ct, blk.enc,
			    cts, ncts, where);
		}
	}
	free(cts);
	/* Parts may lie in the top-level message's text (part_text()):
	 * it goes with the message. */
	if (top && c->shared) {
		if (own != NULL) {
			m->buf = own;
			own = NULL;
		} else {
			m->buf = t->buf;
			t->buf = NULL;
		}
	}
	free(s);
	free(own);
	return r;
}

int
mime_parse(const char *raw, size_t len, struct mime_message **out,
    char *err, size_t errlen)
{
	struct mime_ctx c;
	struct mime_message *m;
	struct lftext t;
	int cut = 0, r;

	*out = NULL;
	if (raw == NULL || len == 0) {
		snprintf(err, errlen, "empty message");
		return -1;
	}
	if (len > LIMIT_MESSAGE_BYTES) {
		len = LIMIT_MESSAGE_BYTES;
		cut = 1;
	}
	memset(&c, 0, sizeof(c));
	c.plain_group = -1;
	ct_stamp++;		/* the types the last message used may go */
	c.msg = m = xcalloc(1, sizeof(*m));
	buf_init(&c.notes, LIMIT_LINE_BYTES);
	if (cut) {
		m->truncated = 1;
		note(&c, "message over %u MiB cut", LIMIT_MESSAGE_BYTES >> 20);
	}
	lf_init(&t, raw, len);
	r = parse_into(&c, &t, 1, 0, 0);
	free(t.buf);
	if (r < 0) {
		snprintf(err, errlen, "%s", r == -1 ? "unsafe MIME boundary" :
		    "no header and no text");
		buf_free(&c.notes);
		mime_message_free(m);
		return -1;
	}
	if (c.notes.len > 0)
		m->notes = buf_release(&c.notes);
	buf_free(&c.notes);
	*out = m;
	return 0;
}

void
mime_message_free(struct mime_message *m)
{
	size_t i;

	if (m == NULL)
		return;
	while (m->hmem != NULL) {	/* the names and values */
		struct mime_hmem *h = m->hmem;

		m->hmem = h->next;
		free(h);
	}
	free(m->headers);
	for (i = 0; i < m->nparts; i++) {
		if (!m->parts[i].shared)
			free(m->parts[i].text);
		free(m->parts[i].filename);
	}
	free(m->parts);
	free(m->buf);
	free(m->notes);
	free(m);
}

const char *
mime_part_text(struct mime_message *m, struct mime_part *p)
{
	char *t;
	size_t n;

	if (!p->html_pending)
		return p->text;
	t = html_to_text(p->text, p->len, p->cap, &n);
	if (n > p->cap) {
		n = utf8_cut(t, n, p->cap);
		t[n] = '\0';
		m->truncated = 1;
	}
	if (!p->shared)
		free(p->text);
	p->shared = 0;
	p->text = t;
	p->len = n;
	p->html_pending = 0;
	return t;
}

const char *
mime_header_get(const struct mime_message *m, const char *name)
{
	size_t i, n;

	if (m == NULL || name == NULL || (n = strlen(name)) == 0 ||
	    (m->hnames & hname_bit(name, n)) == 0)
		return NULL;
	/* Bytes equal but for case agree in bit 0x20 and the others. */
	for (i = 0; i < m->nheaders; i++)
		if ((m->headers[i].name[0] | 0x20) == (name[0] | 0x20) &&
		    strcasecmp(m->headers[i].name, name) == 0)
			return m->headers[i].value;
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Addresses and message-ids. */

static int
addr_char(char ch)
{
	return (unsigned char)ch > 32 && ch != 0x7f && !strchr("<>()[],;:\"\\",
	    ch);
}

/* Checked copy of an addr-spec with the domain lower-cased, or NULL. */
static char *
addr_clean(const char *s, size_t n)
{
	char *r, *at, *p;

	while (n > 0 && (is_wsp(*s) || *s == '<')) {
		s++;
		n--;
	}
	while (n > 0 && (is_wsp(s[n - 1]) || s[n - 1] == '>'))
		n--;
	if (n == 0 || n > 320)
		return NULL;
	r = xstrndup(s, n);
	if (strlen(r) != n || (at = strrchr(r, '@')) == NULL || at == r ||
	    at[1] == '\0')
		goto bad;
	/* Only a quoted local part may hold another '@'. */
	if (strchr(r, '@') != at && r[0] != '"')
		goto bad;
	for (p = r; *p; p++)
		if ((unsigned char)*p <= 32 || *p == 0x7f || *p == '<' ||
		    *p == '>' || *p == ',' || *p == ';')
			goto bad;
	for (p = at + 1; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (!text_is_utf8(r, n))
		goto bad;
	return r;
bad:
	free(r);
	return NULL;
}

/* Display name: decoded, unquoted, trimmed; NULL when empty. */
static char *
name_clean(const char *s, size_t n)
{
	char *d, *r;
	size_t len;

	while (n > 0 && (is_wsp(*s) || *s == '"' || *s == '\''))
		s++, n--;
	while (n > 0 && (is_wsp(s[n - 1]) || s[n - 1] == '"' ||
	    s[n - 1] == '\''))
		n--;
	if (n == 0)
		return NULL;
	d = decode_words(s, n, LIMIT_FIELD_BYTES * 4, 0, NULL);
	r = text_squeeze(d);
	free(d);
	len = strlen(r);
	while (len > 0 && (r[len - 1] == '"' || r[len - 1] == '\''))
		r[--len] = '\0';
	if (*r == '\0' || *r == '"') {
		if (*r == '"' && r[1] != '\0') {
			d = xstrdup(r + 1);
			free(r);
			return d;
		}
		free(r);
		return NULL;
	}
	return r;
}

/* The first comment "(...)" of s, as a name. */
static char *
comment_name(const char *s)
{
	const char *o = strchr(s, '('), *e;

	if (o == NULL || (e = strchr(o + 1, ')')) == NULL)
		return NULL;
	return name_clean(o + 1, (size_t)(e - o - 1));
}

static int
address_libetpan(const char *v, size_t len, char **addr, char **name)
{
	struct mailimf_mailbox_list *mbl = NULL;
	struct mailimf_address_list *al = NULL;
	struct mailimf_mailbox *mb = NULL;
	clistiter *it, *jt;
	size_t idx = 0;

	if (mailimf_mailbox_list_parse(v, len, &idx, &mbl) ==
	    MAILIMF_NO_ERROR && (it = clist_begin(mbl->mb_list)) != NULL)
		mb = clist_content(it);
	else {
		idx = 0;
		if (mailimf_address_list_parse(v, len, &idx, &al) ==
		    MAILIMF_NO_ERROR) {
			for (it = clist_begin(al->ad_list); it && !mb;
			    it = clist_next(it)) {
				struct mailimf_address *a = clist_content(it);

				if (a->ad_type == MAILIMF_ADDRESS_MAILBOX)
					mb = a->ad_data.ad_mailbox;
				else if (a->ad_data.ad_group->grp_mb_list &&
				    (jt = clist_begin(a->ad_data.ad_group->
				    grp_mb_list->mb_list)) != NULL)
					mb = clist_content(jt);
			}
		}
	}
	if (mb != NULL && mb->mb_addr_spec != NULL &&
	    (*addr = addr_clean(mb->mb_addr_spec,
	    strlen(mb->mb_addr_spec))) != NULL && mb->mb_display_name)
		*name = name_clean(mb->mb_display_name,
		    strlen(mb->mb_display_name));
	if (mbl != NULL)
		mailimf_mailbox_list_free(mbl);
	if (al != NULL)
		mailimf_address_list_free(al);
	return *addr != NULL ? 0 : -1;
}

static int
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* Length of the dot-atom of letters, digits and "_+-" that opens
 * s[0..len), or 0. */
static size_t
dot_atom_len(const char *s, size_t len)
{
	size_t i = 0, start;

	for (;;) {
		for (start = i; i < len && (is_alnum(s[i]) || s[i] == '_' ||
		    s[i] == '+' || s[i] == '-'); i++)
			;
		if (i == start)
			return 0;
		if (i + 1 < len && s[i] == '.')
			i++;
		else
			return i;
	}
}

/* Length of the addr-spec of two such dot-atoms that opens s[0..len),
 * or 0. */
static size_t
spec_len(const char *s, size_t len)
{
	size_t a, b;

	if ((a = dot_atom_len(s, len)) == 0 || a == len || s[a] != '@' ||
	    (b = dot_atom_len(s + a + 1, len - a - 1)) == 0)
		return 0;
	return a + 1 + b;
}

/* A byte of a word of a name address_simple() reads: letters, digits,
 * a few marks and bytes past ASCII, all atext to libetpan. */
static int
name_byte(char c)
{
	return is_alnum(c) || c == '\'' || c == '&' || c == '-' || c == '.' ||
	    (unsigned char)c >= 0x80;
}

/*
 * Length of the quoted name that opens s[0..len), or 0: a '"', then
 * printable ASCII but '"' and '\\', blanks single and no "=?", then a
 * '"'.  libetpan 1.9.4 reads it as its text without the quotes, which
 * name_clean() makes the same name of as the text with them.
 */
static size_t
quoted_name_len(const char *s, size_t len)
{
	size_t i;

	if (len < 2 || s[0] != '"')
		return 0;
	for (i = 1; i < len && s[i] != '"'; i++)
		if (s[i] < ' ' || s[i] > '~' || s[i] == '\\' ||
		    (s[i] == ' ' && s[i - 1] == ' ') ||
		    (s[i] == '?' && s[i - 1] == '='))
			return 0;
	return i < len ? i + 1 : 0;
}

/*
 * The usual value, "a@b", "<a@b>", "Word Word <a@b>" or "\"Some Name\"
 * <a@b>" (words of name_byte()s one space apart, or one quoted name
 * (quoted_name_len()); the address as spec_len() reads it): for such a
 * value libetpan 1.9.4's mailbox parser gives the address and the words
 * as written, and address_libetpan() is spared.  Returns 0 with *addr
 * (and *name) as address_libetpan() sets them; -1, nothing set, for any
 * other value or an address addr_clean() refuses.
 */
static int
address_simple(const char *v, size_t len, char **addr, char **name)
{
	size_t i, k, n;

	if (spec_len(v, len) == len)
		return (*addr = addr_clean(v, len)) != NULL ? 0 : -1;
	if ((i = quoted_name_len(v, len)) > 0) {
		if (len - i < 2 || v[i] != ' ' || v[i + 1] != '<')
			return -1;
		i++;
	} else
		for (i = 0; i < len && v[i] != '<'; i++) {
			for (k = i; i < len && name_byte(v[i]); i++)
				;
			if (i == k || i == len || v[i] != ' ')
				return -1;
		}
	if (i == len || (n = spec_len(v + i + 1, len - i - 1)) == 0 ||
	    i + n + 2 != len || v[i + n + 1] != '>' ||
	    (*addr = addr_clean(v + i + 1, n)) == NULL)
		return -1;
	if (i > 0)
		*name = name_clean(v, i - 1);
	return 0;
}

/* Find an addr-spec by hand: the last <...> holding '@', else the first
 * word holding '@'. */
static int
address_by_hand(const char *v, char **addr, char **name)
{
	const char *lt, *gt, *p, *q;

	for (lt = strrchr(v, '<'); lt != NULL; ) {
		if ((gt = strchr(lt, '>')) != NULL &&
		    memchr(lt, '@', (size_t)(gt - lt)) != NULL &&
		    (*addr = addr_clean(lt + 1, (size_t)(gt - lt - 1))) !=
		    NULL) {
			*name = name_clean(v, (size_t)(lt - v));
			return 0;
		}
		if (lt == v)
			break;
		for (p = lt - 1; p > v && *p != '<'; p--)
			;
		lt = *p == '<' ? p : NULL;
	}
	for (p = v; *p; p = q) {
		while (*p && !addr_char(*p))
			p++;
		for (q = p; *q && (addr_char(*q) || *q == '\\'); q++)
			;
		if (q > p && memchr(p, '@', (size_t)(q - p)) != NULL &&
		    (*addr = addr_clean(p, (size_t)(q - p))) != NULL) {
			*name = comment_name(q);
			return 0;
		}
		if (q == p)
			break;
	}
	return -1;
}

int
mime_address(const char *value, char **addr, char **name)
{
	char *v;
	size_t len;
	int r = -1;

	*addr = NULL;
	*name = NULL;
	if (value == NULL)
		return -1;
	len = strnlen(value, LIMIT_HEADER_BYTES);
	v = xstrndup(value, len);
	if ((r = address_simple(v, len, addr, name)) == -1 &&
	    paren_depth(v, len) <= LIMIT_COMMENT_DEPTH)
		r = address_libetpan(v, len, addr, name);
	if (r == -1) {
		free(*name);
		*name = NULL;
		r = address_by_hand(v, addr, name);
	}
	if (r == 0 && *name == NULL)
		*name = comment_name(v);
	free(v);
	if (r == -1) {
		free(*name);
		*name = NULL;
	}
	return r;
}

/* A message-id without brackets and white space, or NULL. */
static char *
msgid_clean(const char *s, size_t n)
{
	char *r = xmalloc((n < MSGID_BYTES ? n : MSGID_BYTES) + 1);
	size_t i, o = 0;

	for (i = 0; i < n && o < MSGID_BYTES; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch <= 32 || ch == 0x7f || ch == '<' || ch == '>')
			continue;
		r[o++] = (char)ch;
	}
	r[o] = '\0';
	if (o == 0 || !text_is_utf8(r, o)) {
		free(r);
		return NULL;
	}
	return r;
}

/* Whether a byte is one of a message-id in a value msgids_simple()
 * reads: not a blank, a control byte, DEL, or one of <>()"\ (a table,
 * for the bytes of every id); filled on first use. */
static unsigned char msgid_byte[256];
static int msgid_byte_ready;

static void
msgid_byte_init(void)
{
	int c;

	for (c = 33; c < 256; c++)
		msgid_byte[c] = c != 0x7f && strchr("<>()\"\\", c) == NULL;
	msgid_byte_ready = 1;
}

/*
 * The message-ids of v[0..len) when it is nothing but "<id>" items and
 * blanks (SP, HTAB) around them, each id one or more bytes that msgid_byte[]
 * takes: for such a value libetpan 1.9.4's mailimf_msg_id_list_parse()
 * gives each id as written, and they are found here without it.  Sets
 * (*ids)[0..*n) as mime_msgids() does; -1 (nothing set) for any other
 * value.
 */
static int
msgids_simple(const char *v, size_t len, char **ids, size_t max, size_t *n)
{
	size_t i, start, items = 0, k;
	char *id;

	if (!msgid_byte_ready)
		msgid_byte_init();
	for (i = 0; i < len; ) {
		if (v[i] == ' ' || v[i] == '\t') {
			i++;
			continue;
		}
		if (v[i] != '<')
			return -1;
		for (start = ++i; i < len && msgid_byte[(unsigned char)v[i]];
		    i++)
			;
		if (i == start || i == len || v[i] != '>')
			return -1;
		i++;
		items++;
	}
	if (items == 0)
		return -1;
	*n = 0;
	for (i = 0; i < len && *n < max; i++) {
		if (v[i] != '<')
			continue;
		for (start = ++i; v[i] != '>'; i++)	/* checked above */
			;
		/* msgid_clean() keeps every such byte: a copy, as far as
		 * it goes, if valid UTF-8. */
		k = i - start < MSGID_BYTES ? i - start : MSGID_BYTES;
		id = xstrndup(v + start, k);
		if (text_is_utf8(id, k))
			ids[(*n)++] = id;
		else
			free(id);
	}
	return 0;
}

size_t
mime_msgids(const char *value, char ***ids, size_t max)
{
	clist *list = NULL;
	clistiter *it;
	char *v, *id;
	const char *p, *lt, *gt;
	size_t len, n = 0, idx = 0;

	*ids = NULL;
	if (value == NULL || max == 0)
		return 0;
	len = strnlen(value, LIMIT_HEADER_BYTES);
	v = xstrndup(value, len);
	*ids = xcalloc(max, sizeof(char *));
	if (msgids_simple(v, len, *ids, max, &n) == -1 &&
	    paren_depth(v, len) <= LIMIT_COMMENT_DEPTH &&
	    mailimf_msg_id_list_parse(v, len, &idx, &list) ==
	    MAILIMF_NO_ERROR) {
		for (it = clist_begin(list); it; it = clist_next(it)) {
			char *raw = clist_content(it);

			if (raw != NULL && n < max &&
			    (id = msgid_clean(raw, strlen(raw))) != NULL)
				(*ids)[n++] = id;
			free(raw);
		}
		clist_free(list);
	}
	if (n == 0) {
		for (p = v; n < max && (lt = strchr(p, '<')) != NULL;
		    p = gt + 1) {
			if ((gt = strchr(lt + 1, '>')) == NULL)
				break;
			if ((id = msgid_clean(lt + 1, (size_t)(gt - lt - 1))) !=
			    NULL && strchr(id, '@') != NULL)
				(*ids)[n++] = id;
			else
				free(id);
		}
	}
	if (n == 0 && strchr(v, '<') == NULL && strchr(v, '@') != NULL &&
	    (id = msgid_clean(v, len)) != NULL)
		(*ids)[n++] = id;
	free(v);
	if (n == 0) {
		free(*ids);
		*ids = NULL;
	}
	return n;
}

/*
 * A plain scan, with no parser behind it, so that it is safe in the
 * process that must not crash: header lines up to the first empty one,
 * "Message-ID:" at the start of a line, continuation lines folded in.
 */
char *
mime_peek_msgid(const char *raw, size_t len)
{
	static const char name[] = "message-id:";
	const size_t nlen = sizeof(name) - 1;
	const char *p, *end, *eol, *next, *lt, *gt;
	char *id;

	end = raw + (len > LIMIT_PEEK_HEADER_BYTES ? LIMIT_PEEK_HEADER_BYTES :
	    len);
	for (p = raw;; p = eol + 1) {
		if (p >= end)
			return NULL;
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		if (eol == p || (eol == p + 1 && *p == '\r'))
			return NULL;	/* the end of the header */
		if ((size_t)(eol - p) >= nlen &&
		    strncasecmp(p, name, nlen) == 0)
			break;
	}
	/* The field goes on over continuation lines. */
	while (eol + 1 < end && (eol[1] == ' ' || eol[1] == '\t')) {
		next = memchr(eol + 1, '\n', (size_t)(end - eol - 1));
		eol = next != NULL ? next : end;
	}
	if ((lt = memchr(p, '<', (size_t)(eol - p))) == NULL ||
	    (gt = memchr(lt, '>', (size_t)(eol - lt))) == NULL)
		return NULL;
	/* msgid_clean drops the folding white space. */
	if ((id = msgid_clean(lt + 1, (size_t)(gt - lt - 1))) != NULL &&
	    strchr(id, '@') == NULL) {
		free(id);
		id = NULL;
	}
	return id;
}
