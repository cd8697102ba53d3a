/*
 * reply.c -- render the replies intaked sends (see reply.h).
 *
 * Two halves.  Loading reads the templates of one directory, checks every
 * placeholder against the table of placeholders each text may use, and
 * keeps the texts in memory.  Rendering builds one message into a buf:
 * the header block, where every value a sender wrote goes through
 * clean_text() (controls to spaces, capped) and then either through a
 * strict syntax check (addresses, message-ids) or through RFC 2047
 * encoding (subject, display names); then the body, built from the
 * template with LF line ends and written out as quoted-printable with CRLF.
 * A header line is written only by hl_*(), which fold at 78 columns, so no
 * value can start a line of its own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <utf8proc.h>

#include "buf.h"
#include "fields.h"
#include "limits.h"
#include "reply.h"
#include "text.h"
#include "xmalloc.h"

#define HDR_WIDTH	78	/* folded header lines, RFC 5322 2.1.1 */
#define EW_MAX		75	/* one encoded word, RFC 2047 2 */
#define EW_OVERHEAD	12	/* "=?UTF-8?Q?" + "?=" */
#define QP_WIDTH	76	/* quoted-printable lines, RFC 2045 6.7 */
#define BODY_WIDTH	76	/* generated body lines are wrapped here */
#define NAME_MAX_BYTES	128	/* display names, after cleaning */
#define NOTIF_MAX_BYTES	64	/* the notification number */
#define MSGID_MAX_BYTES	250	/* one message-id, without <> */

/* Placeholders, and which text may use which. */
enum ph {
	PH_REFERENCE,
	PH_NOTIFICATION,
	PH_OFFICIALS,
	PH_N,
	PH_LABEL,
	PH_VALUE,
	PH_PROBLEM,
	PH_FIELDS,
	PH_COUNT
};

static const char *const ph_names[PH_COUNT] = {
	"reference", "notification", "officials", "n", "label", "value",
	"problem", "fields"
};

#define PHB(x)		(1u << (x))
#define BODY_PH		(PHB(PH_REFERENCE) | PHB(PH_NOTIFICATION) | \
			 PHB(PH_OFFICIALS))

static const char *const kind_names[REPLY_KIND_COUNT] = {
	"ack", "missing", "review"
};

/* Placeholders a body must hold. */
static const unsigned kind_required[REPLY_KIND_COUNT] = {
	PHB(PH_REFERENCE) | PHB(PH_OFFICIALS),
	PHB(PH_REFERENCE) | PHB(PH_OFFICIALS),
	PHB(PH_REFERENCE)
};

static const char *const kind_status[REPLY_KIND_COUNT] = {
	"complete", "incomplete", "review"
};

/* Keys of strings.LANG: one per field, one per problem, then these. */
enum skey {
	S_FIELD = 0,
	S_PROBLEM = S_FIELD + FIELD_COUNT,	/* PROBLEM_MISSING first */
	S_OFFICIAL = S_PROBLEM + PROBLEM_COUNT - 1,
	S_LINE_OK,
	S_LINE_MISSING,
	S_LINE_INVALID,
	S_NONE,
	S_SUBJECT_DEFAULT,
	S_SUBJECT_PREFIX,
	S_SUBJECT_STRIP,
	S_NOTIFICATION,
	S_COUNT
};

static const struct {
	const char	*name;
	unsigned	 allowed;
} skeys_other[S_COUNT - S_OFFICIAL] = {
	{ "official",		PHB(PH_N) },
	{ "line.ok",		PHB(PH_LABEL) | PHB(PH_VALUE) },
	{ "line.missing",	PHB(PH_LABEL) | PHB(PH_PROBLEM) },
	{ "line.invalid",	PHB(PH_LABEL) | PHB(PH_VALUE) | PHB(PH_PROBLEM) },
	{ "none",		PHB(PH_FIELDS) },
	{ "subject.default",	0 },
	{ "subject.prefix",	0 },
	{ "subject.strip",	0 },
	{ "notification",	0 },
};

struct reply_templates {
	char	*body[REPLY_KIND_COUNT][LANG_COUNT];
	char	*str[LANG_COUNT][S_COUNT];
	char	**strip;	/* folded reply prefixes of every language */
	size_t	 nstrip;
};

/* A message being rendered: the output and a sticky overflow flag. */
struct out {
	struct buf	*b;
	int		 full;
};

/* One header field being written, folded at HDR_WIDTH. */
struct hline {
	struct out	*o;
	size_t		 col;	/* bytes on the current line */
	size_t		 words;	/* words on the current line */
};

static void
put(struct out *o, const void *p, size_t n)
{
	if (!o->full && buf_add(o->b, p, n) == -1)
		o->full = 1;
}

static void
putstr(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void
seterr(char *err, size_t errlen, const char *what, const char *detail)
{
	if (err == NULL || errlen == 0)
		return;
	if (detail)
		snprintf(err, errlen, "%s: %s", what, detail);
	else
		snprintf(err, errlen, "%s", what);
}

/* ---- syntax checks ------------------------------------------------ */

static int
is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* RFC 5322 atext. */
static int
is_atext(int c)
{
	return is_alnum(c) || (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* A host name: labels of letters, digits and inner hyphens. */
static int
domain_valid(const char *s, size_t n)
{
	size_t i, lab = 0;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (lab == 0 || s[i - 1] == '-')
				return 0;
			lab = 0;
		} else if (is_alnum((unsigned char)s[i]) || s[i] == '-') {
			if (s[i] == '-' && lab == 0)
				return 0;
			if (++lab > 63)
				return 0;
		} else
			return 0;
	}
	return lab > 0 && s[n - 1] != '-';
}

int
reply_addr_valid(const char *s)
{
	const char *at;
	size_t i, local, n;

	if (s == NULL || (n = strlen(s)) < 3 || n > 254)
		return 0;
	if ((at = strrchr(s, '@')) == NULL)
		return 0;
	local = (size_t)(at - s);
	if (local == 0 || local > 64 || s[0] == '.' || s[local - 1] == '.')
		return 0;
	for (i = 0; i < local; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return 0;
		} else if (!is_atext((unsigned char)s[i]))
			return 0;
	}
	return domain_valid(at + 1, n - local - 1);
}

/* "REQ-" and 6 to 10 digits. */
static int
reference_valid(const char *s)
{
	size_t i;

	if (s == NULL || strncmp(s, "REQ-", 4) != 0)
		return 0;
	for (i = 4; s[i] >= '0' && s[i] <= '9'; i++)
		;
	return s[i] == '\0' && i >= 10 && i <= 14;
}

static int
status_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_') || i >= 32)
			return 0;
	return i > 0;
}

/*
 * A message-id as a sender gave it, "<id>" or "id": copied into out
 * without brackets when it is made of atext, '.', '@', '[' and ']' only.
 */
static int
msgid_clean(const char *s, char *out, size_t outlen)
{
	size_t i, n;

	if (s == NULL)
		return 0;
	n = strlen(s);
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		s++;
		n -= 2;
	}
	if (n == 0 || n > MSGID_MAX_BYTES || n >= outlen)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!is_atext(c) && c != '.' && c != '@' && c != '[' &&
		    c != ']')
			return 0;
	}
	memcpy(out, s, n);
	out[n] = '\0';
	return 1;
}

/* ---- text cleaning ------------------------------------------------- */

/* Length of the UTF-8 sequence at s (s is valid UTF-8). */
static size_t
u8len(const char *s, size_t left)
{
	unsigned char c = (unsigned char)s[0];
	size_t n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;

	return n > left ? left : n;
}

/* Number of code points in s[0..n). */
static size_t
u8width(const char *s, size_t n)
{
	size_t i, w = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			w++;
	return w;
}

/*
 * What a sender wrote, made safe for a header or a body line: valid UTF-8;
 * C0 and C1 controls (CR, LF, NUL, ...), line and paragraph separators and
 * format characters (bidi overrides, BOM) replaced by a space; white space
 * runs collapsed and trimmed (text_squeeze); cut to max bytes on a
 * character boundary, with "…" when cut.  Caller frees.
 */
static char *
clean_text(const char *s, size_t max)
{
	char *in, *sq;
	size_t n, cut;

	if (s == NULL)
		return xstrdup("");
	n = strnlen(s, 4 * max + 4);
	in = xstrndup(s, n);
	sq = text_squeeze(in);
	free(in);
	n = strlen(sq);
	if (n <= max)
		return sq;
	cut = max;
	while (cut > 0 && ((unsigned char)sq[cut] & 0xc0) == 0x80)
		cut--;
	while (cut > 0 && sq[cut - 1] == ' ')
		cut--;
	sq[cut] = '\0';
	in = xmalloc(cut + 4);
	memcpy(in, sq, cut);
	memcpy(in + cut, "\xe2\x80\xa6", 4);	/* U+2026 and the NUL */
	free(sq);
	return in;
}

/* ---- header writing ------------------------------------------------ */

static void
hl_begin(struct hline *h, struct out *o, const char *name)
{
	h->o = o;
	putstr(o, name);
	put(o, ":", 1);
	h->col = strlen(name) + 1;
	h->words = 0;
}

/* Append one word, folding before it when the line would pass 78. */
static void
hl_word(struct hline *h, const char *w, size_t n)
{
	if (h->words > 0 && h->col + 1 + n > HDR_WIDTH) {
		put(h->o, "\r\n", 2);
		h->col = 0;
		h->words = 0;
	}
	put(h->o, " ", 1);
	put(h->o, w, n);
	h->col += 1 + n;
	h->words++;
}

static void
hl_end(struct hline *h)
{
	put(h->o, "\r\n", 2);
}

/* Characters a Q-encoded word may carry as they are (RFC 2047 5(3)). */
static int
q_plain(unsigned char c)
{
	return is_alnum(c) || c == '!' || c == '*' || c == '+' || c == '-' ||
	    c == '/';
}

static size_t
q_cost(unsigned char c)
{
	return c == ' ' || q_plain(c) ? 1 : 3;
}

static size_t
b_cost(size_t bytes)
{
	return 4 * ((bytes + 2) / 3);
}

static const char hexdigits[] = "0123456789ABCDEF";

static void
q_encode(struct out *o, const char *s, size_t n)
{
	char e[3];
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ' ')
			put(o, "_", 1);
		else if (q_plain(c))
			put(o, &s[i], 1);
		else {
			e[0] = '=';
			e[1] = hexdigits[c >> 4];
			e[2] = hexdigits[c & 15];
			put(o, e, 3);
		}
	}
}

static void
b_encode(struct out *o, const char *s, size_t n)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)s;
	char q[4];
	size_t i;

	for (i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = b64[(v >> 18) & 63];
		q[1] = b64[(v >> 12) & 63];
		q[2] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? b64[v & 63] : '=';
		put(o, q, 4);
	}
}

/*
 * Append s (valid UTF-8) as RFC 2047 encoded words, B or Q whichever is
 * shorter, each at most 75 characters and fitting the line, never
 * splitting a UTF-8 sequence.  Decoders drop the white space between
 * adjacent encoded words, so the text comes back whole.
 */
static void
hl_encoded(struct hline *h, const char *s, size_t n)
{
	size_t i, j, k, qlen, room, cost;
	int b64;

	for (i = 0, qlen = 0; i < n; i++)
		qlen += q_cost((unsigned char)s[i]);
	b64 = b_cost(n) < qlen;

	i = 0;
	while (i < n) {
		room = h->col + 1 < HDR_WIDTH ? HDR_WIDTH - h->col - 1 : 0;
		if (room > EW_MAX)
			room = EW_MAX;
		if (room < EW_OVERHEAD + 12 && h->words > 0) {
			put(h->o, "\r\n", 2);
			h->col = 0;
			h->words = 0;
			room = EW_MAX;
		}
		/* Whole characters while the word still fits. */
		for (j = i, qlen = 0; j < n; j += k) {
			k = u8len(s + j, n - j);
			if (b64)
				cost = b_cost(j + k - i);
			else {
				size_t m;

				for (m = 0, cost = qlen; m < k; m++)
					cost += q_cost((unsigned char)s[j + m]);
			}
			if (EW_OVERHEAD + cost > room)
				break;
			if (!b64)
				qlen = cost;
		}
		if (j == i)	/* cannot happen: room >= 24, a character <= 12 */
			j = i + u8len(s + i, n - i);
		put(h->o, " ", 1);
		put(h->o, b64 ? "=?UTF-8?B?" : "=?UTF-8?Q?", 10);
		if (b64)
			b_encode(h->o, s + i, j - i);
		else
			q_encode(h->o, s + i, j - i);
		put(h->o, "?=", 2);
		h->col += 1 + EW_OVERHEAD + (b64 ? b_cost(j - i) : qlen);
		h->words++;
		i = j;
	}
}

/* 1 when s can go into a header as it is: printable ASCII, no "=?"
 * (which a reader could take for an encoded word), no word too long to
 * fold. */
static int
plain_ok(const char *s, size_t maxword)
{
	size_t i, w = 0;

	for (i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c > 0x7e)
			return 0;
		if (c == '=' && s[i + 1] == '?')
			return 0;
		w = c == ' ' ? 0 : w + 1;
		if (w > maxword)
			return 0;
	}
	return 1;
}

/* Append s as plain words separated by single spaces (s is squeezed). */
static void
hl_plain(struct hline *h, const char *s)
{
	const char *e;

	while (*s) {
		if ((e = strchr(s, ' ')) == NULL)
			e = s + strlen(s);
		if (e > s)
			hl_word(h, s, (size_t)(e - s));
		s = *e ? e + 1 : e;
	}
}

static int
phrase_atoms(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && !is_atext((unsigned char)*s))
			return 0;
	return 1;
}

/* A display name as a phrase: atoms, a quoted string, or encoded words. */
static void
hl_phrase(struct hline *h, const char *name)
{
	struct buf q;
	size_t n = strlen(name);

	if (plain_ok(name, 60) && phrase_atoms(name)) {
		hl_plain(h, name);
		return;
	}
	if (plain_ok(name, 60) && n <= 60) {
		buf_init(&q, 2 * n + 2);
		buf_addch(&q, '"');
		for (; *name; name++) {
			if (*name == '"' || *name == '\\')
				buf_addch(&q, '\\');
			buf_addch(&q, *name);
		}
		buf_addch(&q, '"');
		hl_word(h, q.data, q.len);
		buf_free(&q);
		return;
	}
	hl_encoded(h, name, n);
}

/* "Name: display-name <addr>" or "Name: addr".  addr is checked. */
static void
hl_mailbox(struct out *o, const char *field, const char *name,
    const char *addr)
{
	struct hline h;
	char *clean = clean_text(name, NAME_MAX_BYTES);
	char *angle;
	size_t n = strlen(addr) + 3;

	hl_begin(&h, o, field);
	if (*clean) {
		hl_phrase(&h, clean);
		angle = xmalloc(n);
		snprintf(angle, n, "<%s>", addr);
		hl_word(&h, angle, n - 1);
		free(angle);
	} else
		hl_word(&h, addr, strlen(addr));
	hl_end(&h);
	free(clean);
}

static void
hl_date(struct out *o, time_t t)
{
	static const char *const wday[7] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char *const mon[12] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
		"Oct", "Nov", "Dec"
	};
	struct tm tm;
	char d[64];

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year < 1970 - 1900 ||
	    tm.tm_year > 9999 - 1900) {
		t = 0;
		gmtime_r(&t, &tm);
	}
	snprintf(d, sizeof(d), "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
	    wday[tm.tm_wday % 7], tm.tm_mday, mon[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	putstr(o, d);
}

/* ---- subject -------------------------------------------------------- */

static int
strip_known(const struct reply_templates *t, const char *word, size_t n)
{
	char *w, *f;
	size_t i;
	int hit = 0;

	w = xstrndup(word, n);
	f = text_fold(w);
	for (i = 0; i < t->nstrip && !hit; i++)
		hit = strcmp(f, t->strip[i]) == 0;
	free(f);
	free(w);
	return hit;
}

/*
 * Remove the leading reply prefixes ("Re:", "RE :", "Rép. :", "Re[2]:")
 * from s in place.
 */
static void
strip_reply_prefixes(const struct reply_templates *t, char *s)
{
	char *p = s, *w, *e;
	size_t guard;

	for (guard = 0; guard < 32; guard++) {
		while (*p == ' ')
			p++;
		w = p;
		while (*p && *p != ' ' && *p != ':' && *p != '[' &&
		    *p != '(' && *p != '.' && p - w < 16)
			p++;
		e = p;
		if (e == w || !strip_known(t, w, (size_t)(e - w)))
			break;
		if (*p == '.')
			p++;
		if (*p == '[' || *p == '(') {
			char close = *p == '[' ? ']' : ')';

			p++;
			while (*p >= '0' && *p <= '9')
				p++;
			if (*p != close)
				break;
			p++;
		}
		while (*p == ' ')
			p++;
		if (*p != ':')
			break;
		p++;
		memmove(s, p, strlen(p) + 1);
		p = s;
	}
}

/* Remove every "[REQ-nnnnnn]" from s in place; ours goes at the end. */
static void
strip_references(char *s)
{
	char *p = s, *q;

	while ((p = strchr(p, '[')) != NULL) {
		q = p + 1;
		if (strncasecmp(q, "REQ-", 4) == 0) {
			q += 4;
			while (*q >= '0' && *q <= '9')
				q++;
			if (*q == ']' && q - p >= 6) {
				memmove(p, q + 1, strlen(q + 1) + 1);
				continue;
			}
		}
		p++;
	}
}

static void
write_subject(struct out *o, const struct reply_templates *t,
    const struct reply_input *in)
{
	const char *const *str = (const char *const *)t->str[in->lang];
	char *s, *tmp, *full;
	struct hline h;
	size_t n;

	tmp = clean_text(in->subject, 4 * LIMIT_REPLY_SUBJECT);
	strip_references(tmp);
	strip_reply_prefixes(t, tmp);
	s = clean_text(tmp, LIMIT_REPLY_SUBJECT);
	free(tmp);
	if (*s == '\0') {
		free(s);
		s = xstrdup(str[S_SUBJECT_DEFAULT]);
	}
	n = strlen(str[S_SUBJECT_PREFIX]) + strlen(s) + strlen(in->reference) +
	    8;
	full = xmalloc(n);
	snprintf(full, n, "%s %s [%s]", str[S_SUBJECT_PREFIX], s,
	    in->reference);

	hl_begin(&h, o, "Subject");
	if (plain_ok(full, 60))
		hl_plain(&h, full);
	else {
		if (plain_ok(str[S_SUBJECT_PREFIX], 60))
			hl_plain(&h, str[S_SUBJECT_PREFIX]);
		else
			hl_encoded(&h, str[S_SUBJECT_PREFIX],
			    strlen(str[S_SUBJECT_PREFIX]));
		hl_encoded(&h, s, strlen(s));
		snprintf(full, n, "[%s]", in->reference);
		hl_word(&h, full, strlen(full));
	}
	hl_end(&h);
	free(full);
	free(s);
}

/* In-Reply-To and References (RFC 5322 3.6.4): their References and their
 * Message-ID, the last LIMIT_REPLY_REFERENCES distinct valid ids. */
static void
write_threading(struct out *o, const struct reply_input *in)
{
	char ids[LIMIT_REPLY_REFERENCES][MSGID_MAX_BYTES + 1];
	char id[MSGID_MAX_BYTES + 3], own[MSGID_MAX_BYTES + 1];
	struct hline h;
	size_t nids = 0, i, j, total;
	int have_own;
	const char *cand;

	have_own = msgid_clean(in->message_id, own, sizeof(own));
	if (have_own) {
		snprintf(id, sizeof(id), "<%s>", own);
		hl_begin(&h, o, "In-Reply-To");
		hl_word(&h, id, strlen(id));
		hl_end(&h);
	}
	/* From the newest back: their Message-ID, then References. */
	total = in->nreferences + (have_own ? 1 : 0);
	for (i = 0; i < total && nids < LIMIT_REPLY_REFERENCES; i++) {
		if (have_own && i == 0)
			cand = own;
		else
			cand = in->references[in->nreferences - 1 -
			    (i - (have_own ? 1 : 0))];
		if (!msgid_clean(cand, ids[nids], sizeof(ids[nids])))
			continue;
		for (j = 0; j < nids; j++)
			if (strcmp(ids[j], ids[nids]) == 0)
				break;
		if (j == nids)
			nids++;
	}
	if (nids == 0)
		return;
	hl_begin(&h, o, "References");
	for (i = nids; i-- > 0;) {
		snprintf(id, sizeof(id), "<%s>", ids[i]);
		hl_word(&h, id, strlen(id));
	}
	hl_end(&h);
}

/* ---- body ----------------------------------------------------------- */

/* Append template t with each {{name}} replaced by vals[name]; the
 * templates were checked at load time, so every name is known. */
static void
subst(struct out *o, const char *t, const char *const vals[PH_COUNT])
{
	const char *p, *e;
	size_t i, n;

	while ((p = strstr(t, "{{")) != NULL) {
		put(o, t, (size_t)(p - t));
		if ((e = strstr(p + 2, "}}")) == NULL)
			break;
		n = (size_t)(e - p - 2);
		for (i = 0; i < PH_COUNT; i++)
			if (strlen(ph_names[i]) == n &&
			    memcmp(p + 2, ph_names[i], n) == 0)
				break;
		if (i < PH_COUNT && vals[i] != NULL)
			putstr(o, vals[i]);
		t = e + 2;
	}
	putstr(o, t);
}

/*
 * Append text (one paragraph, no newline) wrapped at BODY_WIDTH code
 * points at spaces, the first line indented by first, the others by rest.
 */
static void
wrap(struct out *o, const char *text, size_t first, size_t rest)
{
	const char *p = text, *e;
	size_t col, w, n, i;

	for (i = 0; i < first; i++)
		put(o, " ", 1);
	col = first;
	n = 0;	/* words on this line */
	while (*p) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		if ((e = strchr(p, ' ')) == NULL)
			e = p + strlen(p);
		w = u8width(p, (size_t)(e - p));
		if (n > 0 && col + 1 + w > BODY_WIDTH) {
			put(o, "\n", 1);
			for (i = 0; i < rest; i++)
				put(o, " ", 1);
			col = rest;
			n = 0;
		}
		if (n > 0) {
			put(o, " ", 1);
			col++;
		}
		put(o, p, (size_t)(e - p));
		col += w;
		n++;
		p = e;
	}
	put(o, "\n", 1);
}

/* The text of one template string with its placeholders filled. */
static char *
fill(const char *t, const char *const vals[PH_COUNT])
{
	struct buf b;
	struct out o;

	buf_init(&b, LIMIT_REPLY_BYTES);
	o.b = &b;
	o.full = 0;
	subst(&o, t, vals);
	return buf_release(&b);
}

/* What to show of a field understood: the value as normalised, and for a
 * country the name as written with its code. */
static char *
shown_value(enum field f, const struct field_value *fv)
{
	char *raw = clean_text(fv->raw, LIMIT_FIELD_BYTES);
	char *val = clean_text(fv->value, LIMIT_FIELD_BYTES);
	char *out;
	size_t n;

	if (f == FIELD_COUNTRY && *raw && *val && strcasecmp(raw, val) != 0) {
		n = strlen(raw) + strlen(val) + 4;
		out = xmalloc(n);
		snprintf(out, n, "%s (%s)", raw, val);
		free(raw);
		free(val);
		return out;
	}
	if (*val) {
		free(raw);
		return val;
	}
	free(val);
	return raw;
}

static void
write_official(struct out *o, const char *const *str, size_t idx,
    const struct official *off)
{
	const char *vals[PH_COUNT] = { NULL };
	const struct field_value *fv;
	char num[24], *line, *value;
	enum skey line_key;
	int f;

	snprintf(num, sizeof(num), "%zu", idx + 1);
	vals[PH_N] = num;
	line = fill(str[S_OFFICIAL], vals);
	wrap(o, line, 0, 2);
	free(line);
	vals[PH_N] = NULL;

	for (f = 0; f < FIELD_COUNT; f++) {
		fv = &off->f[f];
		value = NULL;
		vals[PH_LABEL] = str[S_FIELD + f];
		vals[PH_PROBLEM] = NULL;
		if (fv->problem == PROBLEM_NONE &&
		    (fv->value != NULL || fv->raw != NULL)) {
			value = shown_value((enum field)f, fv);
			line_key = S_LINE_OK;
		} else if (fv->problem == PROBLEM_MISSING ||
		    fv->problem == PROBLEM_NONE || fv->raw == NULL ||
		    (unsigned)fv->problem >= PROBLEM_COUNT) {
			vals[PH_PROBLEM] = str[S_PROBLEM];
			line_key = S_LINE_MISSING;
		} else {
			value = clean_text(fv->raw, LIMIT_FIELD_BYTES);
			vals[PH_PROBLEM] = str[S_PROBLEM + fv->problem - 1];
			line_key = *value ? S_LINE_INVALID : S_LINE_MISSING;
			if (!*value)
				vals[PH_PROBLEM] = str[S_PROBLEM];
		}
		vals[PH_VALUE] = value;
		line = fill(str[line_key], vals);
		wrap(o, line, 2, 6);
		free(line);
		free(value);
	}
}

/* The {{officials}} block; NULL when it passes LIMIT_REPLY_BYTES. */
static char *
officials_text(const struct reply_templates *t, const struct reply_input *in)
{
	const char *const *str = (const char *const *)t->str[in->lang];
	const char *vals[PH_COUNT] = { NULL };
	struct buf b, names;
	struct out o;
	char *line;
	size_t i;

	buf_init(&b, LIMIT_REPLY_BYTES);
	o.b = &b;
	o.full = 0;
	if (in->nofficials == 0 || in->officials == NULL) {
		buf_init(&names, 4096);
		for (i = 0; i < FIELD_COUNT; i++) {
			if (i > 0)
				buf_addstr(&names, ", ");
			buf_addstr(&names, str[S_FIELD + i]);
		}
		vals[PH_FIELDS] = names.data;
		line = fill(str[S_NONE], vals);
		wrap(&o, line, 0, 0);
		free(line);
		buf_free(&names);
	}
	for (i = 0; i < in->nofficials && in->officials != NULL; i++) {
		if (i > 0)
			put(&o, "\n", 1);
		write_official(&o, str, i, &in->officials[i]);
	}
	if (o.full) {
		buf_free(&b);
		return NULL;
	}
	/* The template puts {{officials}} on a line of its own. */
	if (b.len > 0 && b.data[b.len - 1] == '\n')
		buf_truncate(&b, b.len - 1);
	return buf_release(&b);
}

/*
 * Quoted-printable (RFC 2045 6.7) of text with LF line ends, written with
 * CRLF: lines at most 76 characters with soft breaks, '=' and non-ASCII
 * escaped, white space at a line's end escaped, "From " at a line's start
 * escaped so that no mbox along the way mangles it.
 */
static void
qp_body(struct out *o, const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	char tok[3];
	size_t col = 0, tn;
	int last;

	while (*p) {
		if (*p == '\n') {
			put(o, "\r\n", 2);
			col = 0;
			p++;
			continue;
		}
		last = p[1] == '\n' || p[1] == '\0';
		if ((*p >= 33 && *p <= 126 && *p != '=') ||
		    ((*p == ' ' || *p == '\t') && !last)) {
			tok[0] = (char)*p;
			tn = 1;
		} else {
			tok[0] = '=';
			tok[1] = hexdigits[*p >> 4];
			tok[2] = hexdigits[*p & 15];
			tn = 3;
		}
		/* Room for the token, and for a soft break unless the line
		 * ends right after it. */
		if (col + tn > (last ? QP_WIDTH : QP_WIDTH - 1)) {
			put(o, "=\r\n", 3);
			col = 0;
		}
		/* Checked after the soft break, which also starts a line. */
		if (col == 0 && *p == 'F' && strncmp((const char *)p, "From ",
		    5) == 0) {
			memcpy(tok, "=46", 3);
			tn = 3;
		}
		put(o, tok, tn);
		col += tn;
		p++;
	}
	if (col > 0)
		put(o, "\r\n", 2);
}

/* ---- public: render ------------------------------------------------- */

int
reply_message_id(const char *reference, const unsigned char *token,
    size_t token_len, const char *domain, char *out, size_t outlen)
{
	char hex[2 * REPLY_TOKEN_MAX + 1];
	size_t i;
	int n;

	if (!reference_valid(reference) || token == NULL || token_len == 0 ||
	    token_len > REPLY_TOKEN_MAX || domain == NULL ||
	    !domain_valid(domain, strlen(domain)))
		return -1;
	for (i = 0; i < token_len; i++) {
		hex[2 * i] = "0123456789abcdef"[token[i] >> 4];
		hex[2 * i + 1] = "0123456789abcdef"[token[i] & 15];
	}
	hex[2 * token_len] = '\0';
	n = snprintf(out, outlen, "<intaked.%s.%s@%s>", reference, hex, domain);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

int
reply_render(const struct reply_templates *t, const struct reply_input *in,
    struct buf *b, char *err, size_t errlen)
{
	const char *vals[PH_COUNT] = { NULL };
	char msgid[REPLY_MSGID_MAX], line[128];
	const char *domain, *status, *const *str;
	char *notification, *officials;
	struct buf body;
	struct out o;

	if (t == NULL || in == NULL || (unsigned)in->kind >= REPLY_KIND_COUNT ||
	    (unsigned)in->lang >= LANG_COUNT) {
		seterr(err, errlen, "reply: no template for this kind/language",
		    NULL);
		return -1;
	}
	str = (const char *const *)t->str[in->lang];
	if (!reply_addr_valid(in->from_addr)) {
		seterr(err, errlen, "reply: From address is not a valid "
		    "addr-spec", NULL);
		return -1;
	}
	if (!reply_addr_valid(in->to_addr)) {
		seterr(err, errlen, "reply: recipient address is not a valid "
		    "addr-spec", NULL);
		return -1;
	}
	if (!reference_valid(in->reference)) {
		seterr(err, errlen, "reply: malformed reference", NULL);
		return -1;
	}
	status = in->status ? in->status : kind_status[in->kind];
	if (!status_valid(status)) {
		seterr(err, errlen, "reply: malformed status", NULL);
		return -1;
	}
	domain = in->msgid_domain ? in->msgid_domain :
	    strrchr(in->from_addr, '@') + 1;
	if (reply_message_id(in->reference, in->token, in->token_len, domain,
	    msgid, sizeof(msgid)) == -1) {
		seterr(err, errlen, "reply: cannot make a Message-ID (domain or "
		    "token malformed)", NULL);
		return -1;
	}

	o.b = b;
	o.full = 0;
	hl_mailbox(&o, "From", in->from_name, in->from_addr);
	hl_mailbox(&o, "To", in->to_name, in->to_addr);
	write_subject(&o, t, in);
	hl_date(&o, in->date);
	putstr(&o, "Message-ID: ");
	putstr(&o, msgid);
	putstr(&o, "\r\n");
	write_threading(&o, in);
	putstr(&o, "Auto-Submitted: auto-replied\r\n");
	putstr(&o, "X-Auto-Response-Suppress: All\r\n");
	snprintf(line, sizeof(line), "X-Intake-Reference: %s\r\n",
	    in->reference);
	putstr(&o, line);
	snprintf(line, sizeof(line), "X-Intake-Status: %s\r\n", status);
	putstr(&o, line);
	putstr(&o, "MIME-Version: 1.0\r\n");
	putstr(&o, "Content-Type: text/plain; charset=UTF-8\r\n");
	putstr(&o, "Content-Transfer-Encoding: quoted-printable\r\n");
	putstr(&o, "\r\n");

	notification = clean_text(in->notification ? in->notification :
	    str[S_NOTIFICATION], NOTIF_MAX_BYTES);
	if ((officials = officials_text(t, in)) == NULL) {
		o.full = 1;
		officials = xstrdup("");
	}
	vals[PH_REFERENCE] = in->reference;
	vals[PH_NOTIFICATION] = notification;
	vals[PH_OFFICIALS] = officials;
	buf_init(&body, LIMIT_REPLY_BYTES);
	{
		struct out bo = { &body, 0 };

		subst(&bo, t->body[in->kind][in->lang], vals);
		if (bo.full)
			o.full = 1;
	}
	qp_body(&o, body.data ? body.data : "");
	buf_free(&body);
	free(officials);
	free(notification);
	if (o.full) {
		seterr(err, errlen, "reply: message too large", NULL);
		return -1;
	}
	return 0;
}

/*
 * RFC 3834 section 4.  A null Return-Path marks mail that nobody wants
 * answers to (bounces, other automatic replies): answering it goes nowhere
 * useful and is how mail loops start, so no reply at all.  Otherwise we are
 * a service responder: a person asked the Secretariat for something, so
 * the answer goes where that person wants replies to go -- Reply-To when
 * present (often a ministry's shared mailbox), else From -- and not to the
 * Return-Path, which is often a bounce-handling address of their mail
 * system that no person reads.
 */
const char *
reply_recipient(const char *from_addr, const char *reply_to_addr,
    const char *return_path)
{
	const char *p;

	if (return_path != NULL) {
		for (p = return_path; *p == ' ' || *p == '\t' || *p == '<' ||
		    *p == '>'; p++)
			;
		if (*p == '\0')
			return NULL;
	}
	if (reply_to_addr != NULL && reply_addr_valid(reply_to_addr))
		return reply_to_addr;
	if (from_addr != NULL && reply_addr_valid(from_addr))
		return from_addr;
	return NULL;
}

/* ---- public: templates ---------------------------------------------- */

static int
read_file(const char *path, char **text, size_t *len, char *err,
    size_t errlen)
{
	struct buf b;
	char chunk[4096];
	size_t n;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		seterr(err, errlen, path, strerror(errno));
		return -1;
	}
	buf_init(&b, LIMIT_TEMPLATE_BYTES);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (buf_add(&b, chunk, n) == -1) {
			fclose(fp);
			buf_free(&b);
			seterr(err, errlen, path, "file too large");
			return -1;
		}
	if (ferror(fp)) {
		fclose(fp);
		buf_free(&b);
		seterr(err, errlen, path, "read error");
		return -1;
	}
	fclose(fp);
	*len = b.len;
	*text = buf_release(&b);
	return 0;
}

/* Check text: UTF-8, no controls but tab and newline (CRs dropped). */
static int
check_text(const char *path, char *text, size_t *len, char *err,
    size_t errlen)
{
	size_t i, j, line = 1;

	for (i = j = 0; i < *len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == '\r')
			continue;
		if (c == '\n')
			line++;
		else if (c == '\t')
			c = ' ';
		else if (c < 0x20 || c == 0x7f) {
			char where[32];

			snprintf(where, sizeof(where), "%zu", line);
			if (err && errlen)
				snprintf(err, errlen, "%s:%s: control character",
				    path, where);
			return -1;
		}
		text[j++] = (char)c;
	}
	text[j] = '\0';
	*len = j;
	if (!text_is_utf8(text, j)) {
		seterr(err, errlen, path, "not valid UTF-8");
		return -1;
	}
	return 0;
}

/* Check the placeholders of s (line is where s starts in path); collect
 * those used in *used. */
static int
check_placeholders(const char *path, size_t line, const char *s,
    unsigned allowed, unsigned *used, char *err, size_t errlen)
{
	const char *p, *e, *q = s;
	size_t i, n = line;

	for (p = s; (p = strstr(p, "{{")) != NULL; p = e + 2) {
		e = strstr(p + 2, "}}");
		for (; q < p; q++)	/* n: the line p is on */
			n += *q == '\n';
		if (e == NULL) {
			if (err && errlen)
				snprintf(err, errlen, "%s:%zu: \"{{\" without "
				    "\"}}\"", path, n);
			return -1;
		}
		for (i = 0; i < PH_COUNT; i++)
			if (strlen(ph_names[i]) == (size_t)(e - p - 2) &&
			    memcmp(p + 2, ph_names[i], (size_t)(e - p - 2)) == 0)
				break;
		if (i == PH_COUNT || !(allowed & PHB(i))) {
			if (err && errlen)
				snprintf(err, errlen, "%s:%zu: %s placeholder "
				    "{{%.*s}}", path, n, i == PH_COUNT ?
				    "unknown" : "misplaced",
				    (int)(e - p - 2 > 40 ? 40 : e - p - 2),
				    p + 2);
			return -1;
		}
		if (used)
			*used |= PHB(i);
	}
	return 0;
}

static int
load_body(const char *dir, enum reply_kind k, enum lang l, char **out,
    char *err, size_t errlen)
{
	char path[4096], *text, *p, *end;
	size_t len, line = 1, i;
	unsigned used = 0;

	snprintf(path, sizeof(path), "%s/%s.%s", dir, kind_names[k],
	    lang_key(l));
	if (read_file(path, &text, &len, err, errlen) == -1)
		return -1;
	if (check_text(path, text, &len, err, errlen) == -1) {
		free(text);
		return -1;
	}
	/* Comments at the top, and the blank lines right after them. */
	p = text;
	while (*p == '#') {
		p = strchr(p, '\n');
		p = p ? p + 1 : text + len;
		line++;
	}
	for (;;) {
		for (end = p; *end == ' '; end++)
			;
		if (*end != '\n')
			break;
		p = end + 1;
		line++;
	}
	/* No trailing white space or blank lines; one final newline. */
	end = text + len;
	while (end > p && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	if (end == p) {
		seterr(err, errlen, path, "empty template");
		free(text);
		return -1;
	}
	*end = '\0';
	if (check_placeholders(path, line, p, BODY_PH, &used, err,
	    errlen) == -1) {
		free(text);
		return -1;
	}
	for (i = 0; i < PH_COUNT; i++)
		if ((kind_required[k] & PHB(i)) && !(used & PHB(i))) {
			if (err && errlen)
				snprintf(err, errlen, "%s: {{%s}} is required",
				    path, ph_names[i]);
			free(text);
			return -1;
		}
	len = (size_t)(end - p);
	*out = xmalloc(len + 2);
	memcpy(*out, p, len);
	(*out)[len] = '\n';
	(*out)[len + 1] = '\0';
	free(text);
	return 0;
}

static int
skey_find(const char *key, unsigned *allowed)
{
	int i;

	*allowed = 0;
	if (strncmp(key, "field.", 6) == 0) {
		enum field f = field_from_key(key + 6);

		return f == FIELD_COUNT ? -1 : S_FIELD + (int)f;
	}
	if (strncmp(key, "problem.", 8) == 0) {
		for (i = PROBLEM_MISSING; i < PROBLEM_COUNT; i++)
			if (strcmp(key + 8, problem_key((enum field_problem)i))
			    == 0)
				return S_PROBLEM + i - 1;
		return -1;
	}
	for (i = 0; i < S_COUNT - S_OFFICIAL; i++)
		if (strcmp(key, skeys_other[i].name) == 0) {
			*allowed = skeys_other[i].allowed;
			return S_OFFICIAL + i;
		}
	return -1;
}

static void
skey_name(int k, char *out, size_t len)
{
	if (k < S_PROBLEM)
		snprintf(out, len, "field.%s", field_key((enum field)k));
	else if (k < S_OFFICIAL)
		snprintf(out, len, "problem.%s",
		    problem_key((enum field_problem)(k - S_PROBLEM + 1)));
	else
		snprintf(out, len, "%s", skeys_other[k - S_OFFICIAL].name);
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ')
		s++;
	e = s + strlen(s);
	while (e > s && e[-1] == ' ')
		*--e = '\0';
	return s;
}

/* Add the comma-separated prefixes of list, folded, to t->strip. */
static void
add_strip(struct reply_templates *t, const char *list)
{
	const char *p = list, *e;
	char *w, *f;

	while (*p) {
		if ((e = strchr(p, ',')) == NULL)
			e = p + strlen(p);
		w = xstrndup(p, (size_t)(e - p));
		f = text_fold(w);
		free(w);
		if (*f && t->nstrip < 64) {
			t->strip = xrealloc(t->strip,
			    (t->nstrip + 1) * sizeof(*t->strip));
			t->strip[t->nstrip++] = f;
		} else
			free(f);
		p = *e ? e + 1 : e;
	}
}

static int
load_strings(const char *dir, enum lang l, struct reply_templates *t,
    char *err, size_t errlen)
{
	char path[4096], name[64], *text, *p, *nl, *eq, *key, *val;
	size_t len, line = 0;
	unsigned allowed;
	int k;

	snprintf(path, sizeof(path), "%s/strings.%s", dir, lang_key(l));
	if (read_file(path, &text, &len, err, errlen) == -1)
		return -1;
	if (check_text(path, text, &len, err, errlen) == -1)
		goto fail;
	for (p = text; *p; p = nl) {
		line++;
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		else
			nl = p + strlen(p);
		key = trim(p);
		if (*key == '\0' || *key == '#')
			continue;
		if ((eq = strchr(key, '=')) == NULL) {
			if (err && errlen)
				snprintf(err, errlen, "%s:%zu: expected "
				    "\"key = value\"", path, line);
			goto fail;
		}
		*eq = '\0';
		key = trim(key);
		val = trim(eq + 1);
		if ((k = skey_find(key, &allowed)) == -1) {
			if (err && errlen)
				snprintf(err, errlen, "%s:%zu: unknown key "
				    "\"%.40s\"", path, line, key);
			goto fail;
		}
		if (t->str[l][k] != NULL) {
			if (err && errlen)
				snprintf(err, errlen, "%s:%zu: \"%s\" given "
				    "twice", path, line, key);
			goto fail;
		}
		if (*val == '\0' && k != S_SUBJECT_STRIP) {
			if (err && errlen)
				snprintf(err, errlen, "%s:%zu: \"%s\" is "
				    "empty", path, line, key);
			goto fail;
		}
		if (check_placeholders(path, line, val, allowed, NULL, err,
		    errlen) == -1)
			goto fail;
		t->str[l][k] = xstrdup(val);
	}
	for (k = 0; k < S_COUNT; k++)
		if (t->str[l][k] == NULL) {
			skey_name(k, name, sizeof(name));
			if (err && errlen)
				snprintf(err, errlen, "%s: \"%s\" is missing",
				    path, name);
			goto fail;
		}
	add_strip(t, t->str[l][S_SUBJECT_STRIP]);
	free(text);
	return 0;
fail:
	free(text);
	return -1;
}

int
reply_templates_load(const char *dir, struct reply_templates **tp,
    char *err, size_t errlen)
{
	struct reply_templates *t;
	int k, l;

	*tp = NULL;
	t = xcalloc(1, sizeof(*t));
	for (l = 0; l < LANG_COUNT; l++) {
		if (load_strings(dir, (enum lang)l, t, err, errlen) == -1)
			goto fail;
		for (k = 0; k < REPLY_KIND_COUNT; k++)
			if (load_body(dir, (enum reply_kind)k, (enum lang)l,
			    &t->body[k][l], err, errlen) == -1)
				goto fail;
	}
	*tp = t;
	return 0;
fail:
	reply_templates_free(t);
	return -1;
}

void
reply_templates_free(struct reply_templates *t)
{
	size_t i;
	int k, l;

	if (t == NULL)
		return;
	for (l = 0; l < LANG_COUNT; l++) {
		for (k = 0; k < REPLY_KIND_COUNT; k++)
			free(t->body[k][l]);
		for (k = 0; k < S_COUNT; k++)
			free(t->str[l][k]);
	}
	for (i = 0; i < t->nstrip; i++)
		free(t->strip[i]);
	free(t->strip);
	free(t);
}
