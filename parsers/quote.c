/*
 * quote.c -- cut quoted earlier mail and signatures from a text body (see
 * quote.h).
 *
 * One pass over the lines, no copy of the line list.  It copies the lines
 * kept (not quoted with '>', not the header lines of a forwarded message:
 * its text is kept, a forwarded request is data) until the writer's own
 * text ends: an attribution ("On ... wrote:"), an "Original Message"
 * separator, an Outlook header block or a signature separator.  It also
 * counts the lines kept and remembers where the last valedictions were,
 * to cut the output back at a valediction followed by a short signature.
 * Phrases are compared after text_fold(), so case, accents and curly
 * apostrophes do not matter, and each language is a row in a table.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "quote.h"
#include "text.h"
#include "xmalloc.h"

#define PHRASE_LINE	400	/* longer lines are never a phrase */
#define LABEL_BYTES	40	/* "Enviado el:" and the like */
#define OUTLOOK_SPAN	4	/* lines after "From:" holding the rest */
#define SIG_LINES	12	/* non-empty lines a signature may have */
#define SHORT_LINE	48	/* a valediction, a marker */

static const char *const from_labels[] = { "from", "de", "von", "da", NULL };

static const char *const sent_labels[] = {
	"sent", "envoye", "envoye le", "enviado el", "enviado", "date",
	"fecha", "gesendet", "datum", NULL
};

static const char *const to_labels[] = {
	"to", "a", "para", "subject", "objet", "asunto", "betreff", "an",
	NULL
};

/* Header lines dropped after a forward marker. */
static const char *const forward_labels[] = {
	"from", "de", "von", "sent", "envoye", "envoye le", "enviado el",
	"enviado", "date", "fecha", "gesendet", "datum", "to", "a", "para",
	"subject", "objet", "asunto", "betreff", "an", "cc", "cci", "bcc",
	"reply-to", "repondre a", "responder a", "sujet", "pour",
	"copie a", "date d'envoi", NULL
};

static const char *const separators[] = {
	"original message", "message d'origine", "mensaje original",
	"ursprungliche nachricht", "original-nachricht", "messaggio originale",
	NULL
};

static const char *const forward_markers[] = {
	"forwarded message", "begin forwarded message", "message transfere",
	"debut du message reexpedie", "mensaje reenviado",
	"inicio del mensaje reenviado", "weitergeleitete nachricht",
	"mensaje transferido", NULL
};

/* Attribution: a folded line opening with the first word and holding the
 * verb, at its end or (German: "Am ... schrieb X:") anywhere. */
static const struct {
	const char *open, *verb;
	int at_end;
} attributions[] = {
	{ "on ", " wrote", 1 }, { "le ", " a ecrit", 1 },
	{ "el ", " escribio", 1 }, { "am ", " schrieb", 1 },
	{ "am ", " schrieb ", 0 }, { NULL, NULL, 0 }
};

static const char *const valedictions[] = {
	"best regards", "kind regards", "regards", "warm regards",
	"with best regards", "with kind regards", "best wishes", "sincerely",
	"sincerely yours", "yours sincerely", "yours faithfully",
	"yours truly", "thanks and regards", "thanks regards",
	"cordialement", "bien cordialement", "tres cordialement",
	"salutations distinguees", "meilleures salutations",
	"sinceres salutations", "cordiales salutations", "bien a vous",
	"atentamente", "muy atentamente", "saludos", "saludos cordiales",
	"un saludo", "un cordial saludo", "cordialmente",
	"mit freundlichen grussen", "freundliche grusse", NULL
};

/* Whether s[0..n) is one of list's strings. */
static int
in_list_n(const char *s, size_t n, const char *const *list)
{
	int i;

	for (i = 0; list[i]; i++)
		if ((n == 0 || list[i][0] == s[0]) &&
		    strncmp(s, list[i], n) == 0 && list[i][n] == '\0')
			return 1;
	return 0;
}

static int
in_list(const char *s, const char *const *list)
{
	return in_list_n(s, strlen(s), list);
}

struct line {
	const char *p;
	size_t	 n;
	char	 last;	/* last byte that is not white space; 0: blank */
};

/* Where a line found at p, n bytes long, ends: l is set, 1 returned. */
static inline __attribute__((always_inline)) int
line_at(const char *p, size_t n, struct line *l)
{
	l->p = p;
	l->n = n;
	/* Most lines end with a byte that is no white space. */
	if (n > 0 && (unsigned char)p[n - 1] > ' ') {
		l->last = p[n - 1];
		return 1;
	}
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' ||
	    p[n - 1] == '\r'))
		n--;
	l->last = n ? p[n - 1] : 0;	/* the text holds no NUL */
	return 1;
}

/*
 * The line at *pp, in text that ends at end; *pp moves past it.  Always
 * inlined, as copy_line(): a call for each line cost more than the work.
 */
static inline __attribute__((always_inline)) int
next_line(const char **pp, const char *end, struct line *l)
{
	const char *p = *pp, *e;
	size_t n;

	if (p >= end)
		return 0;
	e = memchr(p, '\n', (size_t)(end - p));
	n = e ? (size_t)(e - p) : (size_t)(end - p);
	*pp = e ? e + 1 : end;
	return line_at(p, n, l);
}

/*
 * next_line() for quote_strip_to()'s own loop, which also copies the line
 * and a newline to o while it looks for the line's end, 32 bytes at
 * a time: one pass over the text, where memchr() and a copy of the lines
 * kept were two.  o lies no further into the output than *pp into the
 * text, and the output has room for the text and a byte: the blocks
 * stored past the newline (the next line writes over them) stay in it.
 */
static inline __attribute__((always_inline)) int
copy_line(const char **pp, const char *end, char *o, struct line *l)
{
	const char *p = *pp;
	size_t j, k, left;

	if (p >= end)
		return 0;
	/* Blocks of 32 while k < left: there are 32 bytes from k on. */
	left = (size_t)(end - p) >= 32 ? (size_t)(end - p) - 31 : 0;
	for (k = 0; k < left; k += 32)
		if ((j = text_copy32_find(p + k, o + k, '\n', NULL)) < 32) {
			k += j;
			*pp = p + k + 1;
			return line_at(p, k, l);
		}
	while (p + k < end && (o[k] = p[k]) != '\n')
		k++;
	if (p + k < end)
		*pp = p + k + 1;
	else {
		o[k] = '\n';	/* the last line, which has none */
		*pp = end;
	}
	return line_at(p, k, l);
}

/* A byte of text_fold_bytes() that the folding keeps as it is. */
#define FOLD_KEPT(d)	((d) > TEXT_FOLD_END && (d) < TEXT_FOLD_MB)

/*
 * text_fold_n() of an ASCII line, made into out (room for l->n + 1 bytes)
 * without an allocation: letters lower-cased, '`' read as an apostrophe,
 * letters, digits and "@+.-'" kept, every other byte a separator, words
 * joined by one space.  -1 for a line with a byte that is not ASCII.
 */
static int
fold_ascii(const struct line *l, char *out)
{
	const unsigned char *fold = text_fold_bytes();
	size_t i, o = 0;
	int space = 0;
	unsigned char d;

	for (i = 0; i < l->n; i++) {
		d = fold[(unsigned char)l->p[i]];
		if (FOLD_KEPT(d)) {
			if (space && o > 0)
				out[o++] = ' ';
			space = 0;
			out[o++] = (char)d;
		} else if (d == TEXT_FOLD_SEP)
			space = 1;
		else
			return -1;
	}
	out[o] = '\0';
	return 0;
}

/*
 * Folded copy of a line: in room (PHRASE_LINE + 1 bytes) when the line is
 * ASCII, as most are, else malloc'd; NULL when the line is too long to be
 * a phrase.  Released with fold_free().
 */
static char *
fold_line(const struct line *l, char *room)
{
	if (l->n > PHRASE_LINE)
		return NULL;
	if (fold_ascii(l, room) == 0)
		return room;
	return text_fold_n(l->p, l->n, NULL);
}

static void
fold_free(char *f, const char *room)
{
	if (f != NULL && f != room)
		free(f);
}

/* The colon that ends a line's label: among its first LABEL_BYTES bytes. */
static const char *
label_colon(const struct line *l)
{
	return memchr(l->p, ':', l->n < LABEL_BYTES ? l->n : LABEL_BYTES);
}

/* Folded label of a "Label: value" line ('*' of bold text ignored), or
 * NULL. */
static char *
label_of(const struct line *l)
{
	char buf[LABEL_BYTES + 1];
	const char *c;
	size_t i, j = 0;

	if ((c = label_colon(l)) == NULL)
		return NULL;
	for (i = 0; l->p + i < c; i++)
		if (l->p[i] != '*' && l->p[i] != '>')
			buf[j++] = l->p[i];
	buf[j] = '\0';
	return text_fold(buf);
}

static int
label_in(const struct line *l, const char *const *list)
{
	char *f = label_of(l);
	int r;

	if (f == NULL)
		return 0;
	r = *f != '\0' && in_list(f, list);
	free(f);
	return r;
}

/* Folded line without leading and trailing dashes, underscores and
 * spaces is one of list. */
static int
dashed_in(const char *f, const char *const *list)
{
	size_t n;

	while (*f == '-' || *f == '_' || *f == ' ')
		f++;
	n = strlen(f);
	while (n > 0 && (f[n - 1] == '-' || f[n - 1] == '_' || f[n - 1] == ' '))
		n--;
	return in_list_n(f, n, list);
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int
starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* An attribution in folded text f (of a line ending with ':'). */
static int
attribution(const char *f, int has_at)
{
	int i;

	for (i = 0; attributions[i].open; i++) {
		if (attributions[i].at_end ?
		    !ends_with(f, attributions[i].verb) :
		    strstr(f, attributions[i].verb) == NULL)
			continue;
		/* "Jane Doe <jane@example.org> wrote:" */
		if (starts_with(f, attributions[i].open) ||
		    (has_at && attributions[i].at_end))
			return 1;
	}
	return 0;
}

/* Whether a line's label may fold to one of from_labels: the first byte
 * of the line that is no separator ('*' and '>' are) starts the folding
 * of the label, if anything does, so it is one of their first letters or
 * a byte that is not ASCII.  Most lines fail on their first byte, which
 * costs less than looking for a colon. */
static int
may_open_from(const struct line *l)
{
	const unsigned char *fold = text_fold_bytes();
	size_t i, n = l->n < LABEL_BYTES ? l->n : LABEL_BYTES;
	unsigned char d;

	for (i = 0; i < n; i++)
		if ((d = fold[(unsigned char)l->p[i]]) != TEXT_FOLD_SEP)
			return !FOLD_KEPT(d) || d == 'f' || d == 'd' ||
			    d == 'v';
	return 0;
}

/* "From:" followed within OUTLOOK_SPAN lines (from rest on, in text that
 * ends at end) by a Sent/Date line and a To/Subject line. */
static int
outlook_block(const struct line *l, const char *rest, const char *end)
{
	struct line m;
	int i, sent = 0, to = 0;

	if (!label_in(l, from_labels))
		return 0;
	for (i = 0; i < OUTLOOK_SPAN && next_line(&rest, end, &m); i++) {
		if (m.last == 0)
			continue;
		if (label_in(&m, sent_labels))
			sent = 1;
		else if (label_in(&m, to_labels))
			to = 1;
	}
	return sent && to;
}

/* Whether a line (next: the line after it, or NULL) can be a phrase at
 * all: folding every line would cost more than everything else here. */
static int
may_be_phrase(const struct line *l, const struct line *next)
{
	/* A blank line folds to "", which no test below matches, alone
	 * or before the next line. */
	if (l->n > PHRASE_LINE || l->last == 0)
		return 0;
	if (l->n <= SHORT_LINE || (l->n > 0 && l->p[0] == '-') ||
	    l->last == ':')
		return 1;
	return next != NULL && next->last == ':';
}

/* Outlook's rule above its header block: a line of '_' only (ten or
 * more, which the caller checks with the first) before the block (rest:
 * the text after the line, ending at end). */
static int
outlook_rule(const struct line *l, const char *rest, const char *end)
{
	struct line m = { NULL, 0, 0 };

	return strspn(l->p, "_") >= l->n && next_line(&rest, end, &m) &&
	    outlook_block(&m, rest, end);
}

/* An attribution wrapped over two lines: folded f and the line next,
 * which ends with ':'. */
static int
wrapped_attribution(const char *f, const struct line *next)
{
	char room[PHRASE_LINE + 1], *g, *both;
	size_t fl, gl;
	int r;

	if ((g = fold_line(next, room)) == NULL)
		return 0;
	fl = strlen(f);
	gl = strlen(g);
	both = xmalloc(fl + gl + 2);
	memcpy(both, f, fl);
	both[fl] = ' ';
	memcpy(both + fl + 1, g, gl + 1);
	r = attribution(both, 0);
	free(both);
	fold_free(g, room);
	return r;
}

/* 1 when the line at l (folded f, or NULL; next: the line after it, or
 * NULL; rest: the text after it, which ends at end) starts quoted earlier
 * mail or a signature.  The rare tests are functions of their own: this
 * one is asked of every line. */
static int
cut_here(const struct line *l, const char *f, const struct line *next,
    const char *rest, const char *end)
{
	if ((l->n == 2 && memcmp(l->p, "--", 2) == 0) ||
	    (l->n == 3 && memcmp(l->p, "-- ", 3) == 0))
		return 1;
	/* Most lines have no label: outlook_block() is not asked. */
	if (may_open_from(l) && label_colon(l) != NULL &&
	    outlook_block(l, rest, end))
		return 1;
	if (l->n >= 10 && l->p[0] == '_' && outlook_rule(l, rest, end))
		return 1;
	if (f == NULL)
		return 0;
	if (l->n > 0 && l->p[0] == '-' && dashed_in(f, separators))
		return 1;
	if (l->last == ':')
		return attribution(f, memchr(l->p, '@', l->n) != NULL);
	return next != NULL && next->last == ':' &&
	    wrapped_attribution(f, next);
}

static int
forward_marker(const struct line *l, const char *f)
{
	if (f == NULL || l->n == 0 || (l->p[0] != '-' && l->last != ':'))
		return 0;
	return dashed_in(f, forward_markers);
}

/* Per first byte (its low five bits), a bit per length (under 32) of
 * the valedictions that start with it, filled on first use: most short
 * lines have no valediction of their first letter and length, and are
 * not compared with each. */
static uint32_t val_lens[32];
static int val_lens_ready;

static void
val_lens_init(void)
{
	size_t i, n;
	uint32_t *b;

	for (i = 0; valedictions[i]; i++) {
		n = strlen(valedictions[i]);
		b = &val_lens[(unsigned char)valedictions[i][0] & 31];
		*b |= n < 32 ? (uint32_t)1 << n : 0xffffffffu;
	}
	val_lens_ready = 1;
}

/* Per first byte of the valedictions (its low five bits), a bit per
 * second byte (its low five bits): a folded line whose first two bytes
 * are no valediction's is none.  Bytes that share five bits share a
 * bit, which only lets more lines through to valediction(). */
static uint32_t val_pairs[32];
static int val_pairs_ready;

static void
val_pairs_init(void)
{
	size_t i;
	const char *v;

	for (i = 0; valedictions[i]; i++) {
		v = valedictions[i];
		val_pairs[(unsigned char)v[0] & 31] |=
		    (uint32_t)1 << ((unsigned char)v[1] & 31);
	}
	val_pairs_ready = 1;
}

/*
 * Whether a line needs none of the tests of quote_strip()'s own loop (a
 * forward's header lines aside, which the caller checks): a blank line,
 * or one that opens with a byte folding keeps, not '-' nor (with a colon
 * in its first LABEL_BYTES) the first letter of a From label ("from",
 * "de", "von", "da"); that does not end with ':' nor comes before a line
 * that does; and is longer than a valediction or folds to two first
 * bytes no valediction has.  Most lines are such, and are neither folded
 * nor asked each test.  fold is text_fold_bytes(), asked for once a text.
 */
static int
plain_line(const struct line *l, const struct line *next,
    const unsigned char *fold)
{
	unsigned char c, d;

	if (l->last == 0)
		return 1;
	c = fold[(unsigned char)l->p[0]];
	if (!FOLD_KEPT(c) || c == '-' || l->last == ':' ||
	    (next != NULL && next->last == ':'))
		return 0;
	/* A From label ends at a colon among the line's first bytes. */
	if ((c == 'f' || c == 'd' || c == 'v') && label_colon(l) != NULL)
		return 0;
	if (l->n > SHORT_LINE)
		return 1;
	/* A line of one byte folds to one, shorter than any valediction;
	 * a separator after the first byte folds to a space or nothing. */
	if (l->n < 2)
		return 1;
	if ((d = fold[(unsigned char)l->p[1]]) == TEXT_FOLD_SEP)
		d = ' ';
	else if (!FOLD_KEPT(d))
		return 0;
	if (!val_pairs_ready)
		val_pairs_init();
	return ((val_pairs[c & 31] >> (d & 31)) & 1) == 0;
}

/* "Best regards," "Cordialement." (text_fold keeps the full stop). */
static int
valediction(const struct line *l, const char *f)
{
	size_t n;

	if (f == NULL || l->n > SHORT_LINE)
		return 0;
	if (!val_lens_ready)
		val_lens_init();
	n = strlen(f);
	while (n > 0 && (f[n - 1] == '.' || f[n - 1] == ' '))
		n--;
	/* No valediction is empty; lines of 32 bytes or more are all
	 * compared. */
	if (n == 0 || (n < 32 &&
	    ((val_lens[(unsigned char)f[0] & 31] >> n) & 1) == 0))
		return 0;
	return in_list_n(f, n, valedictions);
}

static int
quoted(const struct line *l)
{
	size_t i = 0;

	while (i < l->n && (l->p[i] == ' ' || l->p[i] == '\t'))
		i++;
	return i < l->n && l->p[i] == '>';
}

/* While *fwd is set, the header lines after a forward marker are dropped
 * (1: none seen yet, 2: some seen; a blank line then ends them).  Returns
 * 1 when l is one of them. */
static int
forward_header(const struct line *l, int *fwd)
{
	if (*fwd == 0)
		return 0;
	if (l->last == 0) {
		if (*fwd == 2)
			*fwd = 0;
		return 1;
	}
	if (label_in(l, forward_labels)) {
		*fwd = 2;
		return 1;
	}
	*fwd = 0;
	return 0;
}

/* Drop line l, copied at o: the line after it (next, or NULL), copied
 * after it, moves into its place. */
static void
drop_line(char *o, const struct line *l, const struct line *next)
{
	if (next != NULL)
		memmove(o, o + l->n + 1, next->n + 1);
}

/* A valediction kept: its number among the non-blank lines kept, and
 * the length the output had before it. */
struct vale {
	size_t	 line;
	size_t	 at;
};

/*
 * One pass over the lines.  It finds where the writer's text ends (an
 * attribution, an "Original Message" separator, an Outlook header block, a
 * signature separator) and keeps the lines before it but those dropped:
 * each line is copied as it is found, where it goes if it is kept, and a
 * line dropped has the next moved into its place.  It counts the
 * non-blank lines kept and remembers the last SIG_LINES + 1 valedictions
 * among them: the oldest valediction among the last SIG_LINES + 1 lines
 * kept, with at most SIG_LINES lines after it, cuts the output back to
 * the length it had before it.  A plain line is never a valediction: for
 * most lines there is a count to keep, no more.
 */
int
quote_strip_to(struct buf *b, const char *text, size_t textlen)
{
	const char *p, *end, *rest;
	const struct line *next;
	const unsigned char *fold;
	struct vale val[SIG_LINES + 1], *v;
	char room[PHRASE_LINE + 1], *f, *out;
	struct line two[2], *l = &two[0], *nx = &two[1], *t;
	size_t nlines = 0, nval = 0, i, o = 0, start = b->len;
	int fwd = 0, more;

	/* The output is whole lines, each with its newline (one added
	 * after the last line if it has none): no more than the text and a
	 * byte, written at out without growing the buffer. */
	end = text + textlen;
	if (buf_reserve(b, textlen + 1) == -1)
		return -1;
	out = b->data + start;
	fold = text_fold_bytes();
	p = text;
	more = copy_line(&p, end, out, nx);
	while (more) {
		/* The line after this one becomes this one, at out + o.
		 * The next is copied where it goes if this one is kept. */
		t = l;
		l = nx;
		nx = t;
		rest = p;
		more = copy_line(&p, end, out + o + l->n + 1, nx);
		next = more ? nx : NULL;
		if (fwd == 0 && plain_line(l, next, fold)) {
			if (l->last != 0)
				nlines++;
			o += l->n + 1;
			continue;
		}
		if ((fwd != 0 && forward_header(l, &fwd)) || quoted(l)) {
			drop_line(out + o, l, next);
			continue;
		}
		f = may_be_phrase(l, next) ? fold_line(l, room) : NULL;
		if (cut_here(l, f, next, rest, end)) {
			fold_free(f, room);
			break;
		}
		/* Only a folded line can be a phrase. */
		if (f != NULL && forward_marker(l, f)) {
			fwd = 1;
			drop_line(out + o, l, next);
			fold_free(f, room);
			continue;
		}
		if (l->last != 0) {
			if (f != NULL && valediction(l, f)) {
				v = &val[nval++ % (SIG_LINES + 1)];
				v->line = nlines;
				v->at = start + o;
			}
			nlines++;
		}
		if (f != NULL)
			fold_free(f, room);
		o += l->n + 1;
	}
	b->len = start + o;
	b->data[b->len] = '\0';
	/* The last SIG_LINES + 1 lines kept hold at most SIG_LINES + 1
	 * valedictions, the last ones: the oldest of those among the lines
	 * wins. */
	for (i = nval > SIG_LINES + 1 ? nval - (SIG_LINES + 1) : 0; i < nval;
	    i++) {
		v = &val[i % (SIG_LINES + 1)];
		if (v->line + SIG_LINES + 1 >= nlines) {
			buf_truncate(b, v->at);
			break;
		}
	}
	while (b->len > start && b->data[b->len - 1] == '\n' &&
	    (b->len == start + 1 || b->data[b->len - 2] == '\n'))
		b->data[--b->len] = '\0';
	return 0;
}

char *
quote_strip(const char *text)
{
	struct buf b;
	size_t n;

	if (text == NULL)
		return xstrdup("");
	n = strlen(text);
	buf_init(&b, n + 1);
	(void)quote_strip_to(&b, text, n);	/* under the cap */
	return buf_release(&b);
}
