/*
 * extract.c -- find every official named in a text and validate their
 * fields (see extract.h; SPEC 3.4, 3.5).
 *
 * A text is cut into lines (LIMIT_LINES of at most LIMIT_LINE_BYTES), and
 * each line is looked at once: is it blank, a numbered heading ("Official
 * 2"), or a label line ("Label: value")?  Then each layout of the table
 * `layouts` reads the lines in its own way and proposes officials:
 *
 *   label lines     "Label: value" (or " - ", "=", TAB, two spaces), with
 *                   vertical pairs ("Country" / "Kenya") and several labels
 *                   on one line; a repeated label or a numbered heading
 *                   starts the next official;
 *   vertical cells  a run of label lines followed by as many value lines
 *                   (a table pasted one cell a line), once per official;
 *   header row      a row of labels, then one row per official (tab, pipe,
 *                   semicolon, comma for CSV, two or more spaces);
 *   transposed      labels down the first column, one official a column.
 *
 * Each proposal is cleaned up the same way (full names split, a country
 * given once shared, stray lines next to real officials dropped, duplicates
 * merged) and validated; the one with the most valid fields, then the most
 * fields, wins.  Labels are compared folded (text_fold) against the form.
 * An official with a single field is kept only when the text has nothing
 * better: a follow-up may give just the missing telephone.
 *
 * Work is bounded: line and cell counts are capped, a label candidate is at
 * most LIMIT_LABEL_BYTES, and the regular expressions (PCRE2, compiled once)
 * run under match, depth and heap limits on lines of bounded length; a
 * regex error on a line counts as no match.  Not thread-safe: one match
 * block is shared (intaked parses in a single-threaded worker).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <utf8proc.h>

#include "buf.h"
#include "extract.h"
#include "limits.h"
#include "text.h"
#include "xmalloc.h"

#define NSLOTS		(FIELD_COUNT + 1)	/* the fields, a whole name */
#define SLOT_NONE	(-1)
#define SLOT_UNSEEN	(-2)	/* not looked up: see clean_value() */
#define MAX_CANDS	(4 * LIMIT_OFFICIALS)	/* proposed, before cleanup */
#define SEP_SCAN	160	/* bytes of a line searched for a label's end */
#define SEP_TRIES	8	/* separators tried on one line */
#define INLINE_MAX	16	/* label/value pairs on one line */
#define INLINE_COLONS	32	/* colons looked at for them */
#define VALUE_LINE_MAX	(2 * LIMIT_FIELD_BYTES)	/* a line read as a value */
#define HEADING_MAX	80	/* longest numbered heading */
#define NAME_WORDS	16	/* words of a full name looked at */
#define COMPLETE_ISH	4	/* fields that make a block an official */
#define LINE_GUESS	32	/* bytes a line, for the room made at once */
#define TWO_SEARCHES	16	/* searches for two spaces through a text */

#define BIT(s)		(1u << (s))
#define IS_DIGIT(c)	((c) >= '0' && (c) <= '9')	/* ASCII only */
#define CONTACT_SLOTS	(BIT(FIELD_PHONE) | BIT(FIELD_EMAIL))

static const char ellipsis[] = "\xe2\x80\xa6";	/* U+2026, marks a cut */

static int	is_title(const char *, size_t);

/* ---------------------------------------------------------------------
 * Regular expressions
 */

/* List markers, quote marks and bold before a label: "1. ", "a) ", "- ",
 * "* ", bullets (including Word's U+F0B7 from pasted lists), "**". */
static const char pat_prefix[] =
    "^[\\s>]*+"
    "(?:(?:\\(?(?:\\d{1,3}|[a-z]|[ivx]{1,4})[.)]|[-*+o\\x{2013}\\x{2014}]"
    "|\\#{1,6})\\s++"
    "|\\d{1,3}[.)](?=\\pL)"
    "|[\\x{2022}\\x{00B7}\\x{25AA}\\x{25AB}\\x{25E6}\\x{2023}\\x{25CF}"
    "\\x{25CB}\\x{25A0}\\x{25A1}\\x{27A2}\\x{25BA}\\x{25B6}\\x{2713}"
    "\\x{2714}\\x{2192}\\x{F0B7}\\x{F0A7}\\x{F0D8}\\x{F076}]\\s*+)?"
    "(?:\\*\\*|__|\\*|_)?\\s*+";

#define HEAD_NOUN \
    "(?:official|officer|participant|participante|person|persona|personne" \
    "|nominee|delegate|delegad[oa]|d[e\\x{00E9}]l[e\\x{00E9}]gu[e\\x{00E9}]e?" \
    "|representative|repr[e\\x{00E9}]sentante?|representante" \
    "|funcionari[oa]|fonctionnaire|oficial|officiel(?:le)?|contact" \
    "|user|usuari[oa]|utilisat(?:eur|rice)|candidate?|candidat[oa]" \
    "|agent|agente|member|membre|miembro|applicant|demandeur|demandeuse" \
    "|solicitante|focal\\s+point|point\\s+focal|punto\\s+focal)s?"

#define HEAD_ORD \
    "(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth" \
    "|premi(?:er|[e\\x{00E8}]re)|deuxi[e\\x{00E8}]me|seconde?" \
    "|troisi[e\\x{00E8}]me|quatri[e\\x{00E8}]me|cinqui[e\\x{00E8}]me" \
    "|sixi[e\\x{00E8}]me|primer[oa]?|segund[oa]|tercer[oa]?|cuart[oa]" \
    "|quint[oa]|sext[oa]|s[e\\x{00E9}]ptim[oa]|octav[oa]|noven[oa]" \
    "|d[e\\x{00E9}]cim[oa])"

/* A line that only starts the next official: "Official 1", "2.",
 * "Participant 2:", "Second official", "Personne 2", "Funcionario 2",
 * "Details of official 3". */
static const char pat_heading[] =
    "^[\\s*_#>=~\\-\\x{2013}\\x{2014}\\[(]*+"
    "(?:(?:\\w++\\s++){0,4}?"
    "(?:" HEAD_NOUN "\\.?\\s*+(?:n[o\\x{00B0}\\x{00BA}]\\.?|nr\\.?|num\\.?"
    "|n[u\\x{00FA}]mero|\\#)?\\s*+\\d{1,2}"
    "|" HEAD_ORD "\\s++" HEAD_NOUN
    "|\\d{1,2}(?:st|nd|rd|th|er|re|e|[e\\x{00E8}]re|[e\\x{00E8}]me|o|a"
    "|\\x{00B0}|\\x{00BA})?\\.?\\s++" HEAD_NOUN ")"
    "|\\d{1,2})"
    "[\\s*_:.)\\]\\-\\x{2013}\\x{2014}=~]*+$";

static struct {
	pcre2_code		*prefix;
	pcre2_code		*heading;
	pcre2_match_context	*mctx;
	pcre2_match_data	*md;
	int			 ready;
} rx;

static pcre2_code *
rx_compile(const char *pat, uint32_t flags)
{
	pcre2_code *re;
	PCRE2_SIZE off;
	int err;

	re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
	    PCRE2_UTF | PCRE2_UCP | flags, &err, &off, NULL);
	if (re == NULL)
		return NULL;
	/* Without JIT (no W+X memory) the interpreter does the same work. */
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

int
extract_init(void)
{
	if (rx.ready)
		return 0;
	rx.prefix = rx_compile(pat_prefix, PCRE2_CASELESS);
	rx.heading = rx_compile(pat_heading, PCRE2_CASELESS);
	rx.mctx = pcre2_match_context_create(NULL);
	rx.md = pcre2_match_data_create(8, NULL);
	if (rx.prefix == NULL || rx.heading == NULL || rx.mctx == NULL ||
	    rx.md == NULL) {
		extract_cleanup();
		return -1;
	}
	pcre2_set_match_limit(rx.mctx, LIMIT_REGEX_MATCH);
	pcre2_set_depth_limit(rx.mctx, LIMIT_REGEX_DEPTH);
	pcre2_set_heap_limit(rx.mctx, LIMIT_REGEX_HEAP_KIB);
	rx.ready = 1;
	return 0;
}

void
extract_cleanup(void)
{
	pcre2_code_free(rx.prefix);
	pcre2_code_free(rx.heading);
	pcre2_match_context_free(rx.mctx);
	pcre2_match_data_free(rx.md);
	memset(&rx, 0, sizeof(rx));
}

/*
 * Length of re's match at the start of s[0..len), or -1 for no match or any
 * error.  Every line reaching here was made valid UTF-8 (sanitize_into) and
 * cut at a character boundary, so PCRE2's own check, a pass over the line
 * per call, is skipped.
 */
static long
rx_match(pcre2_code *re, const char *s, size_t len)
{
	int rc;

	if (!rx.ready || re == NULL)
		return -1;
	rc = pcre2_match(re, (PCRE2_SPTR)s, len, 0, PCRE2_NO_UTF_CHECK,
	    rx.md, rx.mctx);
	if (rc < 0)
		return -1;
	return (long)pcre2_get_ovector_pointer(rx.md)[1];
}

/* ---------------------------------------------------------------------
 * Small text helpers
 */

static int
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Back up to the start of the UTF-8 sequence at or before s[n]. */
static size_t
utf8_floor(const char *s, size_t n)
{
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

/*
 * Folding text that is not ASCII costs a microsecond; a text made of
 * thousands of distinct non-ASCII cells would cost seconds.  Each call of
 * extract_text() or extract_language() may fold LIMIT_LABEL_FOLDS such
 * candidates; past that they are not labels and the extraction is marked
 * truncated.
 */
static long	fold_budget = LIMIT_LABEL_FOLDS;
static int	fold_over;

static void
fold_budget_reset(void)
{
	fold_budget = LIMIT_LABEL_FOLDS;
	fold_over = 0;
}

static int
has_replacement(const char *s, size_t n)
{
	const char *p = s, *end = s + n;

	while ((p = memchr(p, 0xef, (size_t)(end - p))) != NULL) {
		if (end - p >= 3 && (unsigned char)p[1] == 0xbf &&
		    (unsigned char)p[2] == 0xbd)
			return 1;
		p++;
	}
	return 0;
}

/*
 * text_fold for label lookups.  Pure ASCII is folded here, the same way
 * text_fold does it (lower case; letters, digits and @ + . - ' kept, '`'
 * read as '\''; anything else a space; spaces collapsed and trimmed),
 * because this runs for every cell of every table row; anything else goes
 * through text_fold.  Writes at most outsz - 1 bytes; -1 when longer.
 */
static long
fold_key(const char *s, size_t n, char *out, size_t outsz)
{
	size_t i, o = 0;
	int space = 0, ascii = 1;
	char *f;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80) {
			ascii = 0;
			break;
		}
	if (!ascii) {
		if (fold_budget <= 0) {
			fold_over = 1;
			return -1;
		}
		fold_budget--;
		f = text_fold_n(s, n, &o);
		if (o >= outsz) {
			free(f);
			return -1;
		}
		memcpy(out, f, o + 1);
		free(f);
		return (long)o;
	}
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '`')
			c = '\'';
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '@' || c == '+' || c == '.' || c == '-' || c == '\'') {
			if (space && o > 0) {
				if (o + 1 >= outsz)
					return -1;
				out[o++] = ' ';
			}
			space = 0;
			if (o + 1 >= outsz)
				return -1;
			out[o++] = c;
		} else
			space = 1;
	}
	out[o] = '\0';
	return (long)o;
}

static int
word_count(const char *folded)
{
	int n = *folded != '\0';

	for (; *folded; folded++)
		if (*folded == ' ')
			n++;
	return n;
}

/* ---------------------------------------------------------------------
 * Labels
 */

struct lmatch {
	int			 slot;	/* enum field, FORM_FULL_NAME */
	const struct form_label	*label;	/* first of its run in the form */
	int			 loose;	/* by the prefix rule only */
};

static int
exact(const struct form *form, const char *folded, struct lmatch *m)
{
	const struct form_label *l;

	if (*folded == '\0')
		return 0;
	if ((l = form_label_exact(form, folded)) == NULL)
		return 0;
	m->slot = l->field;
	m->label = l;
	m->loose = 0;
	return 1;
}

/* Exact lookup of folded text, also with its dots read as spaces
 * ("tel. no" -> "tel no"). */
static int
exact_or_undotted(const struct form *form, char *folded, struct lmatch *m)
{
	char tmp[LIMIT_LABEL_BYTES + 1];
	size_t i, o = 0;

	if (exact(form, folded, m))
		return 1;
	if (strchr(folded, '.') == NULL)
		return 0;
	for (i = 0; folded[i] && o < sizeof(tmp) - 1; i++) {
		if (folded[i] == '.') {
			if (o > 0 && tmp[o - 1] != ' ')
				tmp[o++] = ' ';
		} else if (folded[i] == ' ' && o > 0 && tmp[o - 1] == ' ')
			continue;
		else
			tmp[o++] = folded[i];
	}
	while (o > 0 && tmp[o - 1] == ' ')
		o--;
	tmp[o] = '\0';
	return exact(form, tmp, m);
}

/*
 * A label written with "loose" wording: a known label of 4+ bytes followed
 * by at most three more words ("e-mail address of official"), unless those
 * words hold a label of another field ("name of the organisation").
 * A match is marked loose.
 */
static int
prefix_label(const struct form *form, const char *folded, struct lmatch *m)
{
	char tmp[LIMIT_LABEL_BYTES + 1];
	size_t cut[LIMIT_LABEL_WORDS + 1], len = strlen(folded);
	struct lmatch pm, sm;
	int nw = 0, k, j;
	size_t i;

	if (len >= sizeof(tmp))
		return 0;
	for (i = 0; i < len; i++)
		if (folded[i] == ' ') {
			if (nw >= LIMIT_LABEL_WORDS)
				return 0;
			cut[nw++] = i;
		}
	/* cut[k - 1] ends the first k words. */
	for (k = nw; k >= 1 && nw + 1 - k <= 3; k--) {
		size_t plen = cut[k - 1];

		if (plen < 4)
			continue;
		memcpy(tmp, folded, plen);
		tmp[plen] = '\0';
		if (!exact(form, tmp, &pm))
			continue;
		for (j = k; j <= nw; j++) {
			const char *suffix = folded + cut[j - 1] + 1;

			if (exact(form, suffix, &sm) && sm.slot != pm.slot)
				return 0;
		}
		*m = pm;
		m->loose = 1;
		return 1;
	}
	return 0;
}

/* Copy s[0..n) without "(...)" and "[...]" parts (an open one runs to the
 * end) into out; returns the new length. */
static size_t
strip_parens(const char *s, size_t n, char *out)
{
	size_t i, o = 0;
	int depth = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '(' || s[i] == '[')
			depth++;
		else if ((s[i] == ')' || s[i] == ']') && depth > 0)
			depth--;
		else if (depth == 0)
			out[o++] = s[i];
	}
	return o;
}

/*
 * What each ASCII byte folds to (as text_fold and fold_key() fold it):
 * the lower-case byte kept, or 0 for a separator.
 */
static unsigned char label_byte[128];

static void
label_byte_init(void)
{
	int c, d;

	for (c = 0; c < 128; c++) {
		d = c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c == '`' ? '\'' : c;
		if ((d >= 'a' && d <= 'z') || (d >= '0' && d <= '9') ||
		    d == '@' || d == '+' || d == '.' || d == '-' || d == '\'')
			label_byte[c] = (unsigned char)d;
	}
}

/*
 * How many of the eight bytes at s, from the first, are ASCII letters;
 * out (room for eight bytes) gets them in lower case, as label_byte[]
 * folds them, and the bytes after them spoilt.  The bytes below 0x80,
 * or'ed with 0x20, are letters when lower-case ones.
 */
static size_t
letters8(const char *s, char *out)
{
	uint64_t v, m;

	memcpy(&v, s, 8);
	v |= 0x2020202020202020ULL;
	m = NOT_LOWER8(v);
	memcpy(out, &v, 8);
	return m == 0 ? 8 : FIRST_FLAGGED(m);
}

/* May a folding whose first word is w[0..n) be a label?  Its first word
 * is a label's first word (form_label_head), or opens with a full stop. */
static int
head_may_be_label(const struct form *form, const char *w, size_t n)
{
	return w[0] == '.' || form_label_head(form, w, n);
}

/* Count one folding of text that is not ASCII against the budget; 0
 * when the budget is spent. */
static int
fold_charge(void)
{
	if (fold_budget <= 0) {
		fold_over = 1;
		return 0;
	}
	fold_budget--;
	return 1;
}

/*
 * How each Latin-1 letter (U+00C0-U+00FF, lead byte 0xC3) folds, by its
 * second byte: learnt from text_fold_n() itself at first use, between two
 * letters, to a separator, to text without one, or left unknown.
 */
#define L1_UNKNOWN	0
#define L1_SEP		1
#define L1_TEXT		2

static struct {
	unsigned char	 kind;
	unsigned char	 n;
	char		 s[6];
} latin1[64];
static int latin1_ready;

static void
latin1_init(void)
{
	char probe[4] = { 'a', '\xc3', 0, 'a' }, *f;
	size_t k, o;

	for (k = 0; k < 64; k++) {
		probe[2] = (char)(0x80 + k);
		f = text_fold_n(probe, sizeof(probe), &o);
		if (o >= 2 && f[0] == 'a' && f[o - 1] == 'a') {
			if (o == 3 && f[1] == ' ')
				latin1[k].kind = L1_SEP;
			else if (o - 2 <= sizeof(latin1[k].s) &&
			    memchr(f + 1, ' ', o - 2) == NULL &&
			    memchr(f + 1, '.', o - 2) == NULL) {
				latin1[k].kind = L1_TEXT;
				latin1[k].n = (unsigned char)(o - 2);
				memcpy(latin1[k].s, f + 1, o - 2);
			}
		}
		free(f);
	}
	latin1_ready = 1;
}

/*
 * The first word of the folding of s[0..n), read without folding when it
 * is made of ASCII and Latin-1 letters and ends with a separator or a full
 * stop or the text, as text_fold folds each character on its own.
 * Returns its length in w (room for LIMIT_LABEL_BYTES + 1 bytes), or 0
 * when unknown.
 */
static size_t
first_word(const char *s, size_t n, char *w)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, o = 0, k;
	unsigned char d;

	if (!latin1_ready)
		latin1_init();
	for (i = 0; i < n && o + sizeof(latin1[0].s) <= LIMIT_LABEL_BYTES;
	    i++) {
		if (u[i] >= 0x80) {
			if (u[i] != 0xc3 || i + 1 >= n ||
			    (u[i + 1] & 0xc0) != 0x80)
				return 0;
			k = u[++i] - 0x80;
			if (latin1[k].kind == L1_UNKNOWN)
				return 0;
			if (latin1[k].kind == L1_TEXT) {
				memcpy(w + o, latin1[k].s, latin1[k].n);
				o += latin1[k].n;
				continue;
			}
			d = 0;
		} else if (u[i] == 0)
			return 0;
		else
			d = label_byte[u[i]];
		if (d == 0 || (d == '.' && o > 0)) {
			if (o > 0)
				return o;
			continue;
		}
		w[o++] = (char)d;
	}
	return i == n ? o : 0;
}

/*
 * Fold text that is not ASCII, and may be a label (counted against the
 * budget by the caller).  When the first word of the folding can be read
 * without folding (first_word()), it is tested first.
 */
static size_t
fold_other(const struct form *form, const char *s, size_t n, char *out,
    size_t outsz)
{
	char w[LIMIT_LABEL_BYTES + 1];
	size_t o;
	char *f;

	if ((o = first_word(s, n, w)) > 0 && !head_may_be_label(form, w, o))
		return 0;
	f = text_fold_n(s, n, &o);
	if (o >= outsz) {
		free(f);
		return 0;
	}
	memcpy(out, f, o + 1);
	free(f);
	if (o == 0 || word_count(out) > LIMIT_LABEL_WORDS)
		return 0;
	return o;
}

/*
 * Fold s[0..n) into out (outsz bytes) for a label lookup; returns the
 * length of the folding, or 0 when it is empty, holds more than
 * LIMIT_LABEL_WORDS words, or cannot be a label by any rule of
 * label_lookup().  By all of them a label starts with the first word of
 * the folding, to a space or a full stop: ASCII is folded here and that
 * word looked up as soon as it ends, which rules out most prose after a
 * word.  ascii: whether s[0..n) is ASCII without NUL (text_ascii_run()).
 * *counted tells whether the text was counted against the fold budget
 * (not ASCII), as it is each time it is folded.
 */
static size_t
label_fold(const struct form *form, const char *s, size_t n, int ascii,
    char *out, size_t outsz, int *counted)
{
	size_t i = 0, o = 0, k;
	int words = 1, gap = 0;
	unsigned char d;

	*counted = 0;
	if (n == 0 || n > LIMIT_LABEL_BYTES || n >= outsz)
		return 0;
	if (label_byte['a'] == 0)
		label_byte_init();
	if (!ascii) {
		*counted = 1;
		if (!fold_charge())
			return 0;
		return fold_other(form, s, n, out, outsz);
	}
	/* The first word; the folding is never longer than s.  Its
	 * letters are taken eight at a time where eight bytes are left
	 * (o <= i: out has room for them). */
	while (i < n && label_byte[(unsigned char)s[i]] == 0)
		i++;
	for (; i < n; i++) {
		if (i + 8 <= n && (k = letters8(s + i, out + o)) > 0) {
			i += k;
			o += k;
			if (i == n)
				break;
		}
		d = label_byte[(unsigned char)s[i]];
		if (d == 0 || (d == '.' && o > 0))
			break;
		out[o++] = (char)d;
	}
	if (o == 0 || !head_may_be_label(form, out, o))
		return 0;
	for (; i < n; i++) {
		d = label_byte[(unsigned char)s[i]];
		if (d == 0) {
			gap = 1;
			continue;
		}
		if (gap) {
			if (++words > LIMIT_LABEL_WORDS)
				return 0;
			out[o++] = ' ';
			gap = 0;
		}
		out[o++] = (char)d;
	}
	out[o] = '\0';
	return o;
}

/* Look a folding up; loose adds the prefix rule. */
static int
label_lookup(const struct form *form, char *folded, int loose,
    struct lmatch *m)
{
	if (exact_or_undotted(form, folded, m))
		return 1;
	return loose && prefix_label(form, folded, m);
}

/* Fold s[0..n) and look it up; loose adds the prefix rule. */
static int
lookup_folded(const struct form *form, const char *s, size_t n, int loose,
    struct lmatch *m)
{
	char folded[LIMIT_LABEL_BYTES + 1];
	int counted;

	if (n == 0 || n > LIMIT_LABEL_BYTES)
		return 0;
	return label_fold(form, s, n, text_ascii_run(s, n) == n, folded,
	    sizeof(folded), &counted) > 0 &&
	    label_lookup(form, folded, loose, m);
}

static int
trailing_junk(const char *s, size_t n)
{
	char c;

	if (n >= 3 && memcmp(s + n - 3, "\xef\xbc\x9a", 3) == 0)
		return 3;	/* U+FF1A fullwidth colon */
	c = s[n - 1];
	return c == ' ' || c == '\t' || c == '*' || c == ':' || c == '_' ||
	    c == '.' || c == '-' || c == '=' ? 1 : 0;
}

/*
 * What a label candidate holds, in one pass over its bytes (it is short):
 * a TAB, '(' or '[', '/', 0xEF (the lead byte of U+FFFD), a byte that is
 * not ASCII or a NUL (what text_ascii_run() stops at).
 */
#define CB_TAB		1
#define CB_OPEN		2
#define CB_SLASH	4
#define CB_EF		8
#define CB_HIGH		16

static unsigned
cand_bytes(const char *s, size_t n)
{
	static unsigned char cb[256];
	const unsigned char *u = (const unsigned char *)s;
	bytes16 v, tab = { 0 }, open = { 0 }, slash = { 0 }, ef = { 0 },
	    high = { 0 };
	unsigned has = 0;
	size_t i;
	int c;

	if (cb['\t'] == 0) {
		for (c = 0x80; c < 256; c++)
			cb[c] = CB_HIGH;
		cb[0] = CB_HIGH;
		cb[0xef] |= CB_EF;
		cb['('] = cb['['] = CB_OPEN;
		cb['/'] = CB_SLASH;
		cb['\t'] = CB_TAB;
	}
	if (n < 16) {
		for (i = 0; i < n; i++)
			has |= cb[u[i]];
		return has;
	}
	/*
	 * Sixteen bytes at a time, each kind of byte gathered on its own,
	 * without a branch: the last block ends with the candidate, over
	 * bytes seen before (what they hold is gathered once more).  A
	 * compare makes a byte all ones; a NUL is counted with the bytes
	 * that are not ASCII, by their high bit.
	 */
	for (i = 0;; i += 16) {
		if (i > n - 16)
			i = n - 16;
		memcpy(&v, s + i, 16);
		tab |= (bytes16)(v == '\t');
		open |= (bytes16)((v == '(') | (v == '['));
		slash |= (bytes16)(v == '/');
		ef |= (bytes16)(v == 0xef);
		high |= v | (bytes16)(v == 0);
		if (i == n - 16)
			break;
	}
	/* Most candidates hold none: one test says so. */
	if (!bytes16_any_high(tab | open | slash | ef | high))
		return 0;
	return (bytes16_any_high(tab) ? CB_TAB : 0) |
	    (bytes16_any_high(open) ? CB_OPEN : 0) |
	    (bytes16_any_high(slash) ? CB_SLASH : 0) |
	    (bytes16_any_high(ef) ? CB_EF : 0) |
	    (bytes16_any_high(high) ? CB_HIGH : 0);
}

/* Whether trailing_junk() may take something off a candidate that ends
 * with byte c (0x9A: the end of U+FF1A).  Inline: it is asked of every
 * candidate. */
static inline int
may_end_junk(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '*' || c == ':' || c == '_' ||
	    c == '.' || c == '-' || c == '=' || c == 0x9a;
}

/* What label_find() trims off a candidate: blanks and bold marks before
 * it, trailing_junk() after it. */
static void
label_trim(const char **sp, size_t *np)
{
	const char *s = *sp;
	size_t n = *np, k;

	while (n > 0 && is_space(*s)) {
		s++;
		n--;
	}
	while (n >= 2 && (memcmp(s, "**", 2) == 0 || memcmp(s, "__", 2) == 0)) {
		s += 2;
		n -= 2;
	}
	/* Most candidates end with a byte trailing_junk() never takes. */
	while (n > 0 && may_end_junk((unsigned char)s[n - 1]) &&
	    (k = (size_t)trailing_junk(s, n)) > 0)
		n -= k;
	*sp = s;
	*np = n;
}

/* Whether label_trim() may shorten s[0..n) (n > 0): it starts with a
 * blank or a bold mark, or ends with a byte that trailing_junk() may take
 * (may_end_junk()).  Most prose does neither. */
static int
may_trim(const char *s, size_t n)
{
	unsigned char a = (unsigned char)s[0], z = (unsigned char)s[n - 1];

	return a == ' ' || a == '\t' || a == '*' || a == '_' ||
	    may_end_junk(z);
}

/*
 * What a search that found no label tells of a loose one of the same
 * candidate (label_find_trimmed()'s *firm): it may find one (FIRM_NOT),
 * it finds none either (FIRM_NONE), or it finds none and counts the
 * folding twice against the fold budget, once as the text is folded and
 * once before the prefix rule (FIRM_COUNTED).
 */
#define FIRM_NOT	0
#define FIRM_NONE	1
#define FIRM_COUNTED	2

/* label_find() of a candidate label_trim() has trimmed.  When firm is not
 * NULL and there is no label, *firm tells what a loose search would find
 * (see FIRM_NONE). */
static int
label_find_trimmed(const struct form *form, const char *s, size_t n,
    int loose, struct lmatch *m, int *firm)
{
	char stripped[SEP_SCAN + 1], folded[LIMIT_LABEL_BYTES + 1];
	const char *c = s, *p, *e;	/* c: s without its "(...)" parts */
	size_t sn, k, fl;
	unsigned has;
	int paren, counted;

	/* What rules a candidate out before it is folded rules it out for
	 * a loose search as well, without counting it. */
	if (firm != NULL)
		*firm = FIRM_NONE;
	if (n == 0 || n > SEP_SCAN)
		return 0;
	/* Longer than a label, a candidate can only lead to one by losing
	 * a "(...)" part or by a side of a '/' (prose, mostly). */
	if (n > LIMIT_LABEL_BYTES && !memchr(s, '(', n) &&
	    !memchr(s, '[', n) && !memchr(s, '/', n))
		return 0;
	has = cand_bytes(s, n);
	/* Labels hold no TAB (a cell boundary) and no U+FFFD. */
	if ((has & CB_TAB) || ((has & CB_EF) && has_replacement(s, n)))
		return 0;
	fl = label_fold(form, s, n, !(has & CB_HIGH), folded, sizeof(folded),
	    &counted);
	if (fl > 0 && label_lookup(form, folded, 0, m))
		return 1;
	/* Without a folding, only "(...)" and '/' lead to more. */
	if (firm != NULL)
		*firm = fl > 0 || (has & (CB_OPEN | CB_SLASH)) ? FIRM_NOT :
		    counted ? FIRM_COUNTED : FIRM_NONE;
	sn = n;
	paren = (has & CB_OPEN) != 0;
	if (paren) {
		sn = strip_parens(s, n, stripped);
		while (sn > 0 && (k = (size_t)trailing_junk(stripped, sn)) > 0)
			sn -= k;
		if (lookup_folded(form, stripped, sn, 0, m))
			return 1;
		c = stripped;
	}
	/* "Nom / Last name": the first side that is a label. */
	if ((has & CB_SLASH) && memchr(c, '/', sn)) {
		for (p = c; p < c + sn; p = e + 1) {
			e = memchr(p, '/', (size_t)(c + sn - p));
			if (e == NULL)
				e = c + sn;
			if (lookup_folded(form, p, (size_t)(e - p), loose, m))
				return 1;
		}
	}
	if (!loose)
		return 0;
	if (paren)
		return lookup_folded(form, stripped, sn, 1, m);
	/* The text folded first, again: only the prefix rule is left to
	 * try, and the folding is counted once more, as when it is done. */
	if (counted && !fold_charge())
		return 0;
	return fl > 0 && prefix_label(form, folded, m);
}

/*
 * Is s[0..n) a label?  Trims bold marks, trailing '*' ':' '.', tries the
 * text as it is, without "(...)" parts, each side of a '/', and (loose)
 * a known label followed by a few words.  Never more than SEP_SCAN bytes.
 */
static int
label_find(const struct form *form, const char *s, size_t n, int loose,
    struct lmatch *m)
{
	label_trim(&s, &n);
	return label_find_trimmed(form, s, n, loose, m, NULL);
}

/* ---------------------------------------------------------------------
 * Values
 */

/* Drop "<mailto:...>", "[mailto:...]", "(mailto:...)" that mail clients
 * add after an address, and a leading "mailto:". In place. */
static void
strip_mailto(char *s)
{
	char *p, *close;
	int guard;

	/* Most values hold no colon, and strcasestr() is slow to say so. */
	if (strchr(s, ':') == NULL)
		return;
	for (guard = 0; guard < 8 && (p = strcasestr(s, "mailto:")); guard++) {
		char open = p > s ? p[-1] : '\0';
		char want = open == '<' ? '>' : open == '[' ? ']' :
		    open == '(' ? ')' : '\0';

		if (want && (close = strchr(p, want)) != NULL) {
			memmove(p - 1, close + 1, strlen(close + 1) + 1);
			continue;
		}
		memmove(p, p + 7, strlen(p + 7) + 1);
	}
}

/* Whether s[0..n) holds a TAB or two spaces.  (libc's memmem() looks at
 * a byte at a time; memchr() at many.) */
static int
blank_run(const char *s, size_t n)
{
	const char *p = s, *end = s + n;

	if (memchr(s, '\t', n) != NULL)
		return 1;
	while ((p = memchr(p, ' ', (size_t)(end - p))) != NULL)
		if (++p < end && *p == ' ')
			return 1;
	return 0;
}

/*
 * Copy s[0..n) into out (max + 1 bytes) with runs of spaces and TABs made
 * one space, at most max bytes (cut at a character boundary); *over = 1
 * when more was left.  Squeezing a value is costly per byte: a line of
 * junk is cut here first.
 */
static void
collapse_blanks(const char *s, size_t n, char *out, size_t max, int *over)
{
	size_t i, o = 0;

	*over = 0;
	/* Most values hold no TAB and no two spaces: a copy as they are. */
	if (n <= max && !blank_run(s, n)) {
		memcpy(out, s, n);
		out[n] = '\0';
		return;
	}
	for (i = 0; i < n; i++) {
		if (is_space(s[i]) && o > 0 && out[o - 1] == ' ')
			continue;
		if (o >= max) {
			*over = 1;
			/* Drop a character s[i] would have finished. */
			if (((unsigned char)s[i] & 0xC0) == 0x80) {
				while (o > 0 &&
				    ((unsigned char)out[o - 1] & 0xC0) == 0x80)
					o--;
				if (o > 0)
					o--;
			}
			break;
		}
		out[o++] = is_space(s[i]) ? ' ' : s[i];
	}
	out[o] = '\0';
}

/*
 * A value as written: squeezed, without mail-client decoration, bold marks
 * or a trailing ';' or ','.  NULL when empty, or when it is a label of its
 * own field (slot, or SLOT_NONE for no such check): "Country: Country" is
 * a header mistaken for data.  A label of another field stays a value: "Mel"
 * is a first name as well as a French label of e-mail.  Over
 * LIMIT_FIELD_BYTES it is cut and ends with U+2026, which
 * extract_validate() reports as too long.  seen: the slot of the label
 * s[0..n) is (SLOT_NONE: none) by a strict label_find() of it that spent
 * no fold budget, which the same search would not spend either, or
 * SLOT_UNSEEN when the caller has not looked.
 */
static char *
clean_value(const struct form *form, const char *s, size_t n, int slot,
    int seen)
{
	char copy[4 * LIMIT_FIELD_BYTES + 1], *v;
	struct lmatch m;
	size_t len, start = 0;
	int over = 0;

	while (n > 0 && is_space(*s)) {
		s++;
		n--;
		seen = SLOT_UNSEEN;	/* not the text looked up */
	}
	if (n == 0)
		return NULL;
	collapse_blanks(s, n, copy, sizeof(copy) - 1, &over);
	strip_mailto(copy);
	v = text_squeeze(copy);
	len = strlen(v);
	for (;;) {
		if (len - start >= 2 && (memcmp(v + start, "**", 2) == 0 ||
		    memcmp(v + start, "__", 2) == 0))
			start += 2;
		else if (len > start && v[start] == ' ')
			start++;
		else if (len - start >= 2 &&
		    (memcmp(v + len - 2, "**", 2) == 0 ||
		    memcmp(v + len - 2, "__", 2) == 0))
			len -= 2;
		else if (len > start && (v[len - 1] == ';' ||
		    v[len - 1] == ',' || v[len - 1] == ' '))
			len--;
		else
			break;
	}
	if (len == start) {
		free(v);
		return NULL;
	}
	memmove(v, v + start, len - start);
	len -= start;
	v[len] = '\0';
	/* A value that is the text as it is was looked up already. */
	if (seen != SLOT_UNSEEN && (len != n || memcmp(v, s, n) != 0))
		seen = SLOT_UNSEEN;
	if (slot != SLOT_NONE && len <= LIMIT_LABEL_BYTES &&
	    (seen != SLOT_UNSEEN ? seen == slot :
	    label_find(form, v, len, 0, &m) && m.slot == slot)) {
		free(v);
		return NULL;
	}
	/* "Title: Dr" is a form of address, not a function. */
	if (slot == FIELD_FUNCTION && is_title(v, len)) {
		free(v);
		return NULL;
	}
	if (len > LIMIT_FIELD_BYTES || over) {
		if (len > LIMIT_FIELD_BYTES)
			len = utf8_floor(v, LIMIT_FIELD_BYTES);
		v = xrealloc(v, len + sizeof(ellipsis));
		memcpy(v + len, ellipsis, sizeof(ellipsis));
	}
	return v;
}

/*
 * Could a line read on its own (a vertical pair's or a pasted cell's) be a
 * value of slot?  An e-mail address has an '@' or is one word; a telephone
 * number has a digit.  "Best regards" after an empty "Phone" is not one.
 */
static int
plausible(int slot, const char *v)
{
	if (v == NULL)
		return 1;
	if (slot == FIELD_EMAIL)
		return strchr(v, '@') != NULL || strchr(v, ' ') == NULL;
	if (slot == FIELD_PHONE)
		return strpbrk(v, "0123456789") != NULL;
	return 1;
}

/* ---------------------------------------------------------------------
 * Lines
 */

enum sep {
	SEP_TAB,
	SEP_PIPE,
	SEP_SEMI,
	SEP_COMMA,	/* CSV only */
	SEP_SPACES,	/* two or more spaces */
	SEP_COUNT
};

struct line {
	char			*s;	/* sanitised, cut, NUL-terminated */
	size_t			 len;
	unsigned		 seps;		/* BIT(enum sep) it holds */
	unsigned		 blank:1;
	unsigned		 heading:1;
	unsigned		 whole:1;	/* a label and nothing else */
	unsigned		 colon:1;	/* the label has a separator */
	unsigned		 rule:1;	/* "|---|---|", "+-----+" */
	unsigned		 loose:1;	/* label by the prefix rule */
	unsigned		 maysep:1;	/* may hold a separator() */
	unsigned		 group:1;	/* holds '(', '[' or '/' */
	unsigned		 plain:1;	/* prose: see text_split() */
	unsigned		 nolabel:1;	/* see label_votes() */
	unsigned		 firm0:2;	/* first cell by vsep: FIRM_* */
	unsigned		 vsep:3;	/* enum sep */
	int			 slot;		/* label at the start */
	uint16_t		 c0off, c0len;	/* that cell in s, trimmed */
	const struct form_label	*label;
	size_t			 vstart;	/* its value */
	size_t			 next;	/* the next line that is not plain */
};

struct text {
	char		*buf;
	struct line	*lines;
	size_t		 n;
	int		 truncated;
	unsigned	 seps;		/* BIT(enum sep) any line holds */
};

/* Separators that may end a label, found from s[from] on: position and
 * length of each, in order. */
static size_t
separators(const char *s, size_t len, size_t from, size_t *pos, size_t *slen,
    size_t max)
{
	/* The bytes a separator starts with, and those that may follow a
	 * space in one: the other bytes are passed over at once. */
	static unsigned char first[256], after_space[256];
	const unsigned char *u = (const unsigned char *)s;
	size_t i, n = 0, end = len < from + SEP_SCAN ? len : from + SEP_SCAN;

	if (!first[':']) {
		first[':'] = first['\t'] = first['='] = first[' '] = 1;
		first[0xef] = 1;
		after_space[' '] = after_space['-'] = after_space[0xe2] = 1;
	}
	for (i = from; i < end && n < max; i++) {
		size_t l = 0;

		while (!first[u[i]])
			if (++i == end)
				return n;
		if (s[i] == ':' || s[i] == '\t' || s[i] == '=')
			l = 1;
		else if (s[i] == ' ' && (i + 1 >= len || !after_space[u[i + 1]]))
			continue;
		else if (i + 3 <= len && memcmp(s + i, "\xef\xbc\x9a", 3) == 0)
			l = 3;
		else if (s[i] == ' ' && i + 2 < len && s[i + 1] == '-' &&
		    s[i + 2] == ' ')
			l = 3;
		else if (s[i] == ' ' && i + 4 < len && s[i + 4] == ' ' &&
		    (memcmp(s + i + 1, "\xe2\x80\x93", 3) == 0 ||
		    memcmp(s + i + 1, "\xe2\x80\x94", 3) == 0))
			l = 5;
		else if (s[i] == ' ' && i + 1 < len && s[i + 1] == ' ') {
			l = 2;
			while (i + l < len && s[i + l] == ' ')
				l++;
			if (i + l >= len)
				break;	/* trailing spaces: nothing follows */
		}
		if (l == 0)
			continue;
		pos[n] = i;
		slen[n] = l;
		n++;
		i += l - 1;
	}
	return n;
}

/* End of the first cell of a value: a TAB or two spaces. */
static size_t
first_cell_end(const char *s, size_t len, size_t from)
{
	size_t i;

	for (i = from; i < len; i++)
		if (s[i] == '\t' || (s[i] == ' ' && i + 1 < len &&
		    s[i + 1] == ' '))
			return i;
	return len;
}

/*
 * Bytes of a heading's opening run ([\s*_#>=~\-\[(] in pat_heading) and
 * closing run ([\s*_:.)\]\-=~]), ASCII white space (\s), and digits and
 * bytes that are not ASCII nor part of a Latin-1 letter (U+00C0-U+00FF:
 * no space, digit or mark of a run among them, and none the same as an
 * ASCII letter to a caseless match).
 */
#define HB_OPEN		1
#define HB_CLOSE	2
#define HB_BLANK	4
#define HB_CAPE		8	/* 0x89: the end of an E acute, É */
#define HB_OTHER	16

static unsigned char hbyte[256];

static void
hbyte_init(void)
{
	const char *p;
	int c;

	if (hbyte[' '] != 0)
		return;
	for (p = " \t\n\v\f\r*_#>=~-[("; *p; p++)
		hbyte[(unsigned char)*p] |= HB_OPEN;
	for (p = " \t\n\v\f\r*_:.)]-=~"; *p; p++)
		hbyte[(unsigned char)*p] |= HB_CLOSE;
	for (p = " \t\n\v\f\r"; *p; p++)
		hbyte[(unsigned char)*p] |= HB_BLANK;
	for (p = "0123456789"; *p; p++)
		hbyte[(unsigned char)*p] |= HB_OTHER;
	for (c = 0x80; c < 256; c++)
		hbyte[c] |= c == 0xc3 || c < 0xc0 ? 0 : HB_OTHER;
	hbyte[0x89] |= HB_CAPE;
}

/*
 * Whether an ordinal of HEAD_ORD may start w (left bytes to the end of the
 * line), by the stems of its words.
 */
static int
ordinal_start(const char *w, size_t left)
{
	/* Word stems of HEAD_ORD, lower case ("s\xc3\xa9" "ptim": the UTF-8
	 * of "séptim", whose é tolower() leaves alone). */
#define ORD(s)	{ s, sizeof(s) - 1 }
	static const struct {
		const char	*s;
		size_t		 n;
	} ordinals[] = {	/* by first letter */
		ORD("cinqui"), ORD("cuart"),
		ORD("deuxi"), ORD("decim"), ORD("d\xc3\xa9" "cim"),
		ORD("eighth"),
		ORD("first"), ORD("fourth"), ORD("fifth"),
		ORD("ninth"), ORD("noven"),
		ORD("octav"),
		ORD("premi"), ORD("primer"),
		ORD("quatri"), ORD("quint"),
		ORD("second"), ORD("seventh"), ORD("six"), ORD("segund"),
		ORD("sext"), ORD("septim"), ORD("s\xc3\xa9" "ptim"),
		ORD("third"), ORD("tenth"), ORD("troisi"), ORD("tercer"),
	};
#undef ORD
#define NORD	(sizeof(ordinals) / sizeof(ordinals[0]))
	/* The ordinals starting with each letter: ord_lo..ord_hi; their
	 * first three bytes, lower case, as one number. */
	static unsigned char ord_lo[26], ord_hi[26];
	static uint32_t ord_key[NORD];
	static uint64_t ord_bloom[16];	/* bit per ord_key hash */
	static int ord_ready;
	uint32_t key;
	size_t j;
	int c;

	if (!ord_ready) {
		for (j = NORD; j-- > 0; ) {
			c = ordinals[j].s[0] - 'a';
			if (ord_hi[c] == 0)
				ord_hi[c] = (unsigned char)(j + 1);
			ord_lo[c] = (unsigned char)j;
			ord_key[j] = (uint32_t)(unsigned char)ordinals[j].s[0] |
			    (uint32_t)(unsigned char)ordinals[j].s[1] << 8 |
			    (uint32_t)(unsigned char)ordinals[j].s[2] << 16;
			key = (ord_key[j] * 0x9e3779b1u) >> 22;
			ord_bloom[key >> 6] |= 1ull << (key & 63);
		}
		ord_ready = 1;
	}
	/* All ordinals are three bytes or more. */
	if (left < 3)
		return 0;
	c = tolower((unsigned char)w[0]);
	if (c < 'a' || c > 'z')
		return 0;
	key = (uint32_t)c | (uint32_t)tolower((unsigned char)w[1]) << 8 |
	    (uint32_t)tolower((unsigned char)w[2]) << 16;
	/* Most words start no ordinal: one bit tells. */
	j = (key * 0x9e3779b1u) >> 22;
	if (!(ord_bloom[j >> 6] & (1ull << (j & 63))))
		return 0;
	for (j = ord_lo[c - 'a']; j < ord_hi[c - 'a']; j++)
		if (ordinals[j].n <= left && key == ord_key[j] &&
		    strncasecmp(w, ordinals[j].s, ordinals[j].n) == 0)
			return 1;
#undef NORD
	return 0;
}

/*
 * A heading that ends with a letter is "[words] ordinal noun" or "[words]
 * 2nd noun" (HEAD_NOUN has one or two words): after the closing run, the
 * second or third word from the end, maybe after opening marks, starts
 * with an ordinal or holds a digit.  Whether that may be so.  A digit, or
 * a character other than an ASCII or Latin-1 letter (a Unicode space or
 * digit) in the last three words, or an É in the second or third (which
 * ordinal_start() does not fold: "SÉPTIMO"), is left to the other tests.
 */
static int
heading_ordinal(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t e = len, b, w;
	unsigned maybe = HB_OTHER;
	int k;

	hbyte_init();
	while (e > 0 && (hbyte[u[e - 1]] & HB_CLOSE))
		e--;
	for (k = 0; k < 3 && e > 0; k++) {
		/* Back to the blank before the word, or to a byte left to
		 * the other tests. */
		for (b = e; b > 0 && !(hbyte[u[b - 1]] & (HB_BLANK | maybe));
		    b--)
			;
		if (b > 0 && (hbyte[u[b - 1]] & maybe))
			return 1;
		if (k > 0) {
			for (w = b; w < e && (hbyte[u[w]] & HB_OPEN); w++)
				;
			if (w < e && ordinal_start(s + w, len - w))
				return 1;
		}
		for (e = b; e > 0 && (hbyte[u[e - 1]] & HB_BLANK); e--)
			;
		maybe = HB_OTHER | HB_CAPE;
	}
	return 0;
}

/*
 * Cheap tests that rule out most lines before a regular expression runs
 * (prose is most of what mail holds).  A heading has at most a handful of
 * words (four, a noun of two, "no.", a number) and a digit or an ordinal
 * word.
 */
static int
might_be_heading(const char *s, size_t len)
{
#define HC_BLANK	1
#define HC_DIGIT	2
	/* What each byte is to the word count. */
	static unsigned char hclass[256];
	static int ready;
	size_t i, words = 0, start[10];
	int c = 0;

	if (!ready) {
		hclass[' '] = hclass['\t'] = HC_BLANK;
		for (c = '0'; c <= '9'; c++)
			hclass[c] = HC_DIGIT;
		ready = 1;
	}
	if (len > HEADING_MAX)
		return 0;
	/* A digit before a tenth word: maybe; a tenth word first: no. */
	i = 0;
	for (;;) {
		while (i < len && (c = hclass[(unsigned char)s[i]]) == HC_BLANK)
			i++;
		if (i == len)
			break;
		if (c == HC_DIGIT)
			return 1;
		if (words == 9)
			return 0;
		start[words++] = i;
		/* The rest of the word, to a blank or a digit. */
		while (++i < len && (c = hclass[(unsigned char)s[i]]) == 0)
			;
		if (i == len)
			break;
		if (c == HC_DIGIT)
			return 1;
	}
	/* No number: an ordinal word must start one of the words (and so
	 * the rest of the line from it). */
	for (i = 0; i < words; i++)
		if (ordinal_start(s + start[i], len - start[i]))
			return 1;
#undef HC_BLANK
#undef HC_DIGIT
	return 0;
}

/*
 * Whether u[j] (not ASCII) is a byte of a Latin-1 letter (U+00C0-U+00FF,
 * lead byte 0xC3) other than e acute (U+00E9, U+00C9 to a caseless
 * match).  No HEAD_NOUN has such a letter in its last four bytes (only
 * "délégué" has one, an e acute), none is a space, a digit or a mark of
 * the closing run, and none matches an ASCII letter without case.  The
 * line is valid UTF-8.
 */
static int
latin1_not_e(const unsigned char *u, size_t j, size_t len)
{
	unsigned char t;

	if (u[j] == 0xc3 && j + 1 < len)
		t = u[j + 1];
	else if (u[j] < 0xc0 && j > 0 && u[j - 1] == 0xc3)
		t = u[j];
	else
		return 0;
	return (t & 0xc0) == 0x80 && t != 0xa9 && t != 0x89;
}

/*
 * Whether a line ends as pat_heading needs: before the closing run of
 * [\s*_:.)\]\-=~] comes a number of one or two digits (three digits are
 * a telephone number or a year), or a HEAD_NOUN, maybe plural, whose last
 * four letters are one of these.  A Latin-1 letter other than an e
 * acute there rules the line out (as Spanish and French prose often
 * ends: "-ción", "à"); another character that is not ASCII (a Unicode
 * space or digit, an e acute, a case-folding letter) is left to the
 * regular expression.  Most prose ends otherwise.
 */
static int
heading_tail(const char *s, size_t len)
{
	static const char ends[][5] = {
		"aire", "ante", "aria", "ario", "cant", "cial", "ciel", "data",
		"date", "dato", "deur", "egue", "elle", "ente", "euse", "gada",
		"gado", "gate", "gent", "guee", "icer", "idat", "inee", "mber",
		"mbre", "mbro", "ocal", "oint", "onne", "pant", "rice", "rson",
		"sona", "tact", "tant", "teur", "tive", "user",
	};
	/* A bit per hash of four letters a-z, set for the ends: a word
	 * whose bit is clear is none of them. */
	static uint64_t endbits[64];
	static int ready;
	const unsigned char *u = (const unsigned char *)s;
	size_t e = len, i;
	uint32_t w, k;

	if (!ready) {
		for (i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
			memcpy(&w, ends[i], 4);
			k = (w * 0x9e3779b1u) >> 20;
			endbits[k >> 6] |= 1ull << (k & 63);
		}
		hbyte_init();
		ready = 1;
	}
	while (e > 0 && (hbyte[u[e - 1]] & HB_CLOSE))
		e--;
	if (e == 0)
		return 1;
	/* \d{1,2} follows a noun, a mark ("no.", '#'), a blank or the
	 * opening run, never a digit. */
	if (IS_DIGIT(u[e - 1]))
		return e < 3 || !IS_DIGIT(u[e - 2]) || !IS_DIGIT(u[e - 3]);
	if (u[e - 1] >= 0x80)
		return !latin1_not_e(u, e - 1, len);
	if (u[e - 1] == 's' || u[e - 1] == 'S')
		e--;
	if (e < 4)
		return 1;
	/* The last four bytes, at once; the first that is not an ASCII
	 * letter decides. */
	memcpy(&w, u + e - 4, 4);
	if ((w & 0x80808080u) != 0)
		for (i = e - 4; i < e; i++) {
			if (u[i] >= 0x80)
				return !latin1_not_e(u, i, len);
			if ((unsigned)((u[i] | 0x20) - 'a') >= 26)
				return 0;
		}
	w |= 0x20202020u;	/* lower case, for letters */
	/* Bytes below 0x80 carry into no other: one above 'z' sets its
	 * high bit in w + 5, one below 'a' leaves it clear in w + 0x1f. */
	if (((w + 0x05050505u) | ~(w + 0x1f1f1f1fu)) & 0x80808080u)
		return 0;
	k = (w * 0x9e3779b1u) >> 20;
	return (endbits[k >> 6] >> (k & 63)) & 1;
}

/* An ASCII letter (isalpha() in the C locale, without a call). */
#define ASCII_ALPHA(c)	((unsigned)(((unsigned char)(c) | 0x20) - 'a') < 26)

/*
 * Whether pat_prefix may match more than nothing at the start of s[0..len)
 * (len > 0).  It starts with a blank, '>', a list marker or bold marks:
 * an ASCII byte other than those and than a letter starts none, nor does
 * a Latin-1 letter (U+00C0-U+00FF, lead byte 0xC3: no space, bullet, or
 * letter that a caseless match takes for an ASCII one).  A marker of two
 * letters or more is a roman number, "ii." or "iv)".
 */
static int
might_have_prefix(const char *s, size_t len)
{
	unsigned char c = (unsigned char)s[0], c1;
	size_t k;

	if (c >= 0x80)
		return c != 0xc3;
	if (!ASCII_ALPHA(c))
		return strchr(" \t\n\v\f\r>(0123456789-*+#_", c) != NULL;
	if (len < 2)
		return 1;
	c1 = (unsigned char)s[1];
	if (c1 == 0xc3)
		return 0;
	if (!ASCII_ALPHA(c1))
		return 1;
	/* Most lines start with a word: a roman number starts with i, v
	 * or x. */
	c |= 0x20;
	if (c != 'i' && c != 'v' && c != 'x')
		return 0;
	for (k = 0; k < len && k < 5 && ((c = s[k] | 0x20) == 'i' ||
	    c == 'v' || c == 'x'); k++)
		;
	return k >= 2 && k <= 4 && k < len && (s[k] == '.' || s[k] == ')');
}

/* What kind of line is l: blank, heading, label line, or other. */
static void
line_analyse(const struct form *form, struct line *l)
{
	size_t pos[SEP_TRIES], slen[SEP_TRIES], ns, i, p, v, e, n;
	const char *s;
	struct lmatch m;
	long pre;

	l->slot = SLOT_NONE;
	/* Most lines start with a byte that is no blank. */
	i = 0;
	if (l->len == 0 || is_space(l->s[0]))
		while (i < l->len && is_space(l->s[i]))
			i++;
	if (i == l->len) {
		l->blank = 1;
		return;
	}
	if (l->len <= HEADING_MAX && heading_tail(l->s, l->len) &&
	    heading_ordinal(l->s, l->len) && might_be_heading(l->s, l->len) &&
	    rx_match(rx.heading, l->s, l->len) >= 0) {
		l->heading = 1;
		return;
	}
	if (!might_have_prefix(l->s, l->len))
		pre = 0;
	else
		pre = rx_match(rx.prefix, l->s, l->len > SEP_SCAN ?
		    utf8_floor(l->s, SEP_SCAN) : l->len);
	p = pre > 0 ? (size_t)pre : 0;
	ns = l->maysep ? separators(l->s, l->len, p, pos, slen, SEP_TRIES) :
	    0;
	for (i = 0; i < ns; i++) {
		if (pos[i] == p || !label_find(form, l->s + p, pos[i] - p, 1,
		    &m))
			continue;
		v = pos[i] + slen[i];
		while (v < l->len && is_space(l->s[v]))
			v++;
		while (v + 1 < l->len && (memcmp(l->s + v, "**", 2) == 0 ||
		    memcmp(l->s + v, "__", 2) == 0)) {
			v += 2;
			while (v < l->len && is_space(l->s[v]))
				v++;
		}
		/* A row of labels split by TABs or spaces is a table's
		 * header, not "label value". */
		if (l->s[pos[i]] == '\t' || l->s[pos[i]] == ' ') {
			struct lmatch m2;

			e = first_cell_end(l->s, l->len, v);
			if (e > v && label_find(form, l->s + v, e - v, 0, &m2))
				return;
		}
		l->slot = m.slot;
		l->label = m.label;
		l->loose = m.loose;
		l->vstart = v;
		l->colon = 1;
		l->whole = v >= l->len;
		return;
	}
	/* A label alone on its line, without a colon, must be one the form
	 * knows: "Department of Environmental Affairs" is a value, though it
	 * starts with a label.  Longer than a label, a line can hold one only
	 * by losing "(...)" or by a side of a '/', which most prose has none
	 * of (line_scan() has looked). */
	s = l->s + p;
	n = l->len - p;
	if (n > LIMIT_LABEL_BYTES && !l->group && !may_trim(s, n))
		return;
	label_trim(&s, &n);
	if ((n <= LIMIT_LABEL_BYTES || (n <= SEP_SCAN && l->group)) &&
	    label_find_trimmed(form, s, n, 0, &m, NULL)) {
		l->slot = m.slot;
		l->label = m.label;
		l->vstart = l->len;
		l->whole = 1;
	}
}

/*
 * Write s[0..n) to out (room for 3 * n bytes) as valid UTF-8: what
 * text_sanitize() does (invalid sequences become U+FFFD, NUL a space), but
 * without a call per character, which matters for megabytes of binary
 * junk.  Returns the length written.
 */
static size_t
sanitize_into(char *out, const char *s, size_t n)
{
	const utf8proc_uint8_t *u = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t c;
	utf8proc_ssize_t k;
	size_t i = 0, o = 0;

	while (i < n) {
		if (u[i] != 0 && u[i] < 0x80) {
			size_t run = text_ascii_run(s + i, n - i);

			memcpy(out + o, s + i, run);
			o += run;
			i += run;
			continue;
		}
		/* Bytes that cannot start a sequence, or a lead byte not
		 * followed by a continuation byte, are invalid without asking
		 * utf8proc (most of binary junk); it judges the rest. */
		if (u[i] < 0xC2 || u[i] > 0xF4 || i + 1 >= n ||
		    (u[i + 1] & 0xC0) != 0x80)
			k = 0;
		else
			k = utf8proc_iterate(u + i,
			    (utf8proc_ssize_t)(n - i < 4 ? n - i : 4), &c);
		if (k > 0) {
			memcpy(out + o, s + i, (size_t)k);
			o += (size_t)k;
			i += (size_t)k;
		} else if (u[i] == 0) {
			out[o++] = ' ';
			i++;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	return o;
}

/*
 * What line_scan() looks for, in one set for strcspn(): the table
 * separators (TAB, '|', ';', ','), what else may end a label (':', '=',
 * the lead byte of U+FF1A), a dash after a space ('-', the lead byte of
 * U+2013/4), and what a line longer than a label must hold to be one
 * ('(', '[', '/': see line_analyse()).  text_split() looks for the same
 * and for the end of a line, in one pass over a whole text.
 */
#define SCAN_SET	"\t|;:=-\xe2\xef([/"
static const char scan_set[] = "," SCAN_SET;
static const char split_set_csv[] = "\n," SCAN_SET;
/* Commas separate cells in CSV only: prose is full of them, and a text
 * that is not CSV is read without stopping at each. */
static const char split_set[] = "\n" SCAN_SET;
static const char rule_set[] = "\t| +:-=_";	/* what rules are made of */

/* Note in l the byte of scan_set at p, on the line starting at s; returns
 * whether it may end a label (':', TAB, '=', U+FF1A, a space before a
 * dash). */
static int
scan_byte(struct line *l, const char *s, const char *p)
{
	switch (*p) {
	case '\t':
		l->seps |= BIT(SEP_TAB);
		return 1;
	case '|':
		l->seps |= BIT(SEP_PIPE);
		break;
	case ';':
		l->seps |= BIT(SEP_SEMI);
		break;
	case ',':
		l->seps |= BIT(SEP_COMMA);
		break;
	case ':':
	case '=':
	case '\xef':
		return 1;
	case '(':
	case '[':
	case '/':
		l->group = 1;
		break;
	default:	/* '-', 0xe2 */
		return p > s && p[-1] == ' ';
	}
	return 0;
}

/*
 * What line_scan() tells after the bytes of scan_set: whether l may hold
 * a label separator (sepch: one of them; spaces: two spaces), and whether
 * it is a rule between rows ("|---|:---:|", "+-----+", "======": only
 * dashes, blanks, | + :, and three dashes at least).
 */
static inline __attribute__((always_inline)) void
line_scan_end(struct line *l, int sepch, int spaces)
{
	const char *s = l->s;
	size_t n = l->len, i, dashes = 0;
	char c;

	if (spaces)
		l->seps |= BIT(SEP_SPACES);
	l->maysep = sepch || spaces;
	/* A rule is made of rule_set only: most lines start otherwise. */
	c = s[0];
	if (n > 0 && (c == '\t' || c == '|' || c == ' ' || c == '+' ||
	    c == ':' || c == '-' || c == '=' || c == '_') &&
	    strspn(s, rule_set) >= n) {
		for (i = 0; i < n; i++)
			if (s[i] == '-' || s[i] == '=' || s[i] == '_')
				dashes++;
		l->rule = dashes >= 3;
	}
}

/*
 * The table separators a line holds; whether it may hold a label
 * separator at all; whether it is a rule.  libc's searches look at many
 * bytes an instruction, and most lines hold few of these bytes.  The line
 * is NUL-terminated and holds no other NUL.
 */
static void
line_scan(struct line *l)
{
	const char *s = l->s, *p;
	int sepch = 0;

	for (p = s + strcspn(s, scan_set); *p != '\0';
	    p += 1 + strcspn(p + 1, scan_set))
		sepch |= scan_byte(l, s, p);
	line_scan_end(l, sepch, strstr(s, "  ") != NULL);
}

/*
 * A new line of t, cleared; *cap lines have room.  This and
 * line_scan_end() are always inlined: they are taken for every line of
 * every text, and the compiler keeps them out of line even at -O2.
 */
static inline __attribute__((always_inline)) struct line *
line_new(struct text *t, size_t *cap)
{
	struct line *l;

	if (t->n == *cap) {
		*cap = *cap ? 2 * *cap : 256;
		t->lines = xrealloc(t->lines, *cap * sizeof(*t->lines));
	}
	l = &t->lines[t->n++];
	memset(l, 0, sizeof(*l));
	return l;
}

/* Length of the line at p that ends at nl, without a CR before the LF,
 * cut to LIMIT_LINE_BYTES. */
static size_t
line_length(const char *p, const char *nl)
{
	size_t ll = (size_t)(nl - p);

	if (ll > 0 && p[ll - 1] == '\r')
		ll--;
	if (ll > LIMIT_LINE_BYTES)
		ll = utf8_floor(p, LIMIT_LINE_BYTES);
	return ll;
}

/*
 * Whether the line src[p..q) (q at its LF or at the end of the text) holds
 * two spaces, as its copy l->s does (a CR dropped before the LF is no
 * space).  A search from p through the rest of the text tells for all the
 * lines before the next two spaces: *two keeps where they are (the end:
 * none).  The sanitizers measure the rest of the text at each search,
 * which a text with many such lines would make quadratic: past *searches
 * of them, each line's copy is looked at instead.
 */
static int
two_spaces(const char *p, const char *q, const char *end,
    const struct line *l, const char **two, int *searches)
{
	if (*two == NULL || *two < p) {
		if (*searches == 0)
			return strstr(l->s, "  ") != NULL;
		(*searches)--;
		if ((*two = strstr(p, "  ")) == NULL)
			*two = end;
	}
	return *two < q;
}

/*
 * Lines of src[0..len), valid UTF-8 (without NUL), copied where they
 * are in src and each ended with a NUL.  What line_scan() finds is found
 * in one pass over the whole text, which looks for the end of each line
 * as well, and the next two spaces in one search for many lines; only a
 * line that is cut is scanned again on its own.
 */
static void
split_valid(const char *src, size_t len, int csv, struct text *t,
    size_t *cap)
{
	const char *set = csv ? split_set_csv : split_set;
	const char *p = src, *end = src + len, *q, *two = NULL;
	struct line *l;
	size_t ll;
	int sepch, searches = TWO_SEARCHES;

	t->buf = xmalloc(len + 1);
	q = src + strcspn(src, set);
	while (p < end) {
		if (t->n >= LIMIT_LINES) {
			t->truncated = 1;
			break;
		}
		l = line_new(t, cap);
		sepch = 0;
		for (; *q != '\n' && *q != '\0';
		    q += 1 + strcspn(q + 1, set))
			sepch |= scan_byte(l, p, q);
		ll = line_length(p, q);
		l->s = t->buf + (p - src);
		l->len = ll;
		memcpy(l->s, p, ll);
		l->s[ll] = '\0';
		if ((size_t)(q - p) > LIMIT_LINE_BYTES) {
			/* Cut: what lies past the cut does not count. */
			l->seps = 0;
			l->group = 0;
			line_scan(l);
		} else
			line_scan_end(l, sepch,
			    two_spaces(p, q, end, l, &two, &searches));
		p = q + 1;
		if (*q == '\n')
			q += 1 + strcspn(q + 1, set);
	}
}

/* Lines of src[0..len), not valid UTF-8, each made valid on its own. */
static void
split_sanitize(const char *src, size_t len, struct text *t, size_t *cap)
{
	size_t *off = NULL, ocap = 0, asize, alen = 0, ll, cl, i;
	const char *p = src, *end = src + len, *nl;

	/* Lines of plain text take their length and a NUL: room for that
	 * is made at once, more only for lines that need U+FFFD. */
	asize = len + 64;
	t->buf = xmalloc(asize);
	while (p < end) {
		if (t->n >= LIMIT_LINES) {
			t->truncated = 1;
			break;
		}
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		ll = line_length(p, nl);
		if (t->n == ocap) {
			ocap = ocap ? 2 * ocap : 256;
			off = xrealloc(off, ocap * sizeof(*off));
		}
		if (asize - alen < 3 * ll + 1) {
			asize = asize * 2 + 3 * ll + 1;
			t->buf = xrealloc(t->buf, asize);
		}
		off[t->n] = alen;
		if (text_ascii_run(p, ll) == ll) {
			memcpy(t->buf + alen, p, ll);
			cl = ll;
		} else {
			cl = sanitize_into(t->buf + alen, p, ll);
			/* U+FFFD is longer than the byte it replaces. */
			if (cl > LIMIT_LINE_BYTES)
				cl = utf8_floor(t->buf + alen, LIMIT_LINE_BYTES);
		}
		t->buf[alen + cl] = '\0';
		alen += cl + 1;
		line_new(t, cap);
		p = nl + 1;
	}
	/* The buffer may have moved: lines are pointed to at the end. */
	for (i = 0; i < t->n; i++) {
		struct line *l = &t->lines[i];

		l->s = t->buf + off[i];
		l->len = (i + 1 < t->n ? off[i + 1] : alen) - off[i] - 1;
		line_scan(l);
	}
	free(off);
}

/* Cut text into analysed lines: at most LIMIT_LINES, each cut to
 * LIMIT_LINE_BYTES, made valid UTF-8.  SEP_COMMA, which the layouts ask
 * of CSV only, may be left out of the separators of other text.  valid:
 * the caller knows src to be valid UTF-8 (extract_text_utf8()). */
static void
text_split(const struct form *form, const char *src, int csv, int valid,
    struct text *t)
{
	size_t cap, i, next, len = strlen(src);

	memset(t, 0, sizeof(*t));
	/* Room for the lines at once, as mail's lines are long (line_new()
	 * makes more for a text of short ones). */
	cap = len / LINE_GUESS < 256 ? 256 : len / LINE_GUESS;
	if (cap > LIMIT_LINES)
		cap = LIMIT_LINES;
	t->lines = xmalloc(cap * sizeof(*t->lines));
	/* Text made by the MIME reader is valid UTF-8 already: then each
	 * line is, and is copied as it is. */
	if (valid || text_is_utf8(src, len))
		split_valid(src, len, csv, t, &cap);
	else
		split_sanitize(src, len, t, &cap);
	for (i = 0; i < t->n; i++) {
		line_analyse(form, &t->lines[i]);
		t->seps |= t->lines[i].seps;
	}
	/*
	 * A plain line (prose: not blank, no heading, no label at its
	 * start, no separator, no rule) starts no table nor pair in any
	 * layout, nor does it vote: each notes the next line that is not
	 * plain, for the layouts to pass over prose in one step.
	 */
	next = t->n;
	for (i = t->n; i-- > 0;) {
		struct line *l = &t->lines[i];

		l->plain = !l->blank && !l->heading && l->slot == SLOT_NONE &&
		    l->seps == 0 && !l->rule;
		l->next = next;
		if (!l->plain)
			next = i;
	}
}

static void
text_free(struct text *t)
{
	free(t->buf);
	free(t->lines);
}

/* ---------------------------------------------------------------------
 * Proposals: officials in the making, per layout
 */

struct cand {
	char			*v[NSLOTS];
	const struct form_label	*by[NSLOTS];	/* label that gave v */
	unsigned		 labels;	/* slots whose label was seen */
	unsigned		 loose;		/* ... only by the prefix rule */
	int			 first;		/* slot of the first label */
	int			 drop;
};

struct proposal {
	struct cand	*c;
	size_t		 n, cap;
	unsigned	 labels_seen;	/* enum field bits */
	int		 truncated;
	struct official	*o;		/* the result */
	size_t		 no;
	int		 valid, given;
};

static struct cand *
cand_new(struct proposal *p)
{
	struct cand *c;

	if (p->n >= MAX_CANDS) {
		p->truncated = 1;
		return NULL;
	}
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 8;
		p->c = xrealloc(p->c, p->cap * sizeof(*p->c));
	}
	c = &p->c[p->n++];
	memset(c, 0, sizeof(*c));
	c->first = SLOT_NONE;
	return c;
}

static void
cand_clear(struct cand *c)
{
	int s;

	for (s = 0; s < NSLOTS; s++) {
		free(c->v[s]);
		c->v[s] = NULL;
	}
}

static void
proposal_free(struct proposal *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		cand_clear(&p->c[i]);
	free(p->c);
	for (i = 0; i < p->no; i++)
		official_free(&p->o[i]);
	free(p->o);
	memset(p, 0, sizeof(*p));
}

/* enum field bits of slot bits (a whole name stands for both names). */
static unsigned
field_bits(unsigned slots)
{
	unsigned b = slots & (BIT(FIELD_COUNT) - 1);

	if (slots & BIT(FORM_FULL_NAME))
		b |= BIT(FIELD_LAST_NAME) | BIT(FIELD_FIRST_NAME);
	return b;
}

/* Fields given; a whole name not split yet counts for both names. */
static int
given(const struct cand *c)
{
	int s, n = 0;

	for (s = 0; s < FIELD_COUNT; s++)
		if (c->v[s])
			n++;
	if (c->v[FORM_FULL_NAME] && !c->v[FIELD_LAST_NAME] &&
	    !c->v[FIELD_FIRST_NAME])
		n += 2;
	return n;
}

static int
popcount(unsigned v)
{
	int n = 0;

	for (; v; v &= v - 1)
		n++;
	return n;
}

/* ---------------------------------------------------------------------
 * Layout: label lines
 */

/*
 * The next "Label:" inside s[from..len) (several fields on one line:
 * "Name: Jane Otieno; Email: jane@kws.go.ke").  The label is the one to
 * four words before a colon.  Sets the label's start, its match and where
 * its value starts.  *colons bounds the colons looked at on one line.
 */
static int
inline_next(const struct form *form, const char *s, size_t from, size_t len,
    int *colons, size_t *lstart, struct lmatch *m, size_t *vstart)
{
	size_t q, b, end, best = 0, low;
	struct lmatch cm, bm;
	int words, found;

	for (q = from; q < len; q++) {
		if (s[q] != ':')
			continue;
		if (--*colons < 0)
			return 0;
		/* Look back no further than a label can be long. */
		low = q - from > LIMIT_LABEL_BYTES + 8 ?
		    q - LIMIT_LABEL_BYTES - 8 : from;
		end = q;
		while (end > low && (s[end - 1] == ' ' || s[end - 1] == '*'))
			end--;
		b = end;
		found = 0;
		for (words = 0; words < 4 && b > low; words++) {
			while (b > low && s[b - 1] != ' ' && s[b - 1] != '\t' &&
			    s[b - 1] != ';' && s[b - 1] != ',' &&
			    s[b - 1] != '|')
				b--;
			/* Cut in the middle of a word by the look-back. */
			if ((b == low && low != from) ||
			    end - b > LIMIT_LABEL_BYTES)
				break;
			if (label_find(form, s + b, end - b, 0, &cm)) {
				best = b;
				bm = cm;
				found = 1;
			}
			if (b == from || s[b - 1] != ' ')
				break;
			b--;
			while (b > low && s[b - 1] == ' ')
				b--;
		}
		if (found) {
			*lstart = best;
			*m = bm;
			*vstart = q + 1;
			return 1;
		}
	}
	return 0;
}

#define NO_CAND	((size_t)-1)

struct block {
	struct proposal	*p;
	size_t		 cur;	/* index of the official in hand, or NO_CAND */
	int		 soft;	/* a blank line after a complete-ish block */
};

static struct cand *
block_cur(const struct block *b)
{
	return b->cur == NO_CAND ? NULL : &b->p->c[b->cur];
}

static void
block_close(struct block *b)
{
	b->cur = NO_CAND;
	b->soft = 0;
}

/* Label l (slot) with value val (owned) for the official in hand; loose
 * when the label was read by the prefix rule. */
static void
block_pair(struct block *b, int slot, const struct form_label *l, int loose,
    char *val)
{
	struct cand *c = block_cur(b);

	if (c != NULL && c->by[slot] != NULL) {
		if (c->by[slot] == l || (slot == c->first && c->v[slot])) {
			/* The same label again: the next official. */
			c = NULL;
		} else {
			/* A synonym in one block ("Tel" and "Mobile"): the
			 * first value stands. */
			if (c->v[slot] == NULL)
				c->v[slot] = val;
			else
				free(val);
			return;
		}
	}
	if (c == NULL) {
		if ((c = cand_new(b->p)) == NULL) {
			free(val);
			block_close(b);
			return;
		}
		c->first = slot;
	}
	c->by[slot] = l;
	c->v[slot] = val;
	c->labels |= BIT(slot);
	if (loose)
		c->loose |= BIT(slot);
	b->cur = (size_t)(c - b->p->c);
	b->soft = 0;
}

static void
layout_label_lines(const struct form *form, const struct text *t, int csv,
    struct proposal *p)
{
	struct block b = { p, NO_CAND, 0 };
	size_t i, j, k, vs, ve, ls, vs2;
	struct lmatch next;
	const struct form_label *label;
	int slot, colons, loose;

	(void)csv;
	for (i = 0; i < t->n && !p->truncated; i++) {
		const struct line *l = &t->lines[i];

		if (l->blank) {
			if (block_cur(&b) && given(block_cur(&b)) >=
			    COMPLETE_ISH)
				b.soft = 1;
			continue;
		}
		if (l->heading) {
			block_close(&b);
			continue;
		}
		/* Prose does nothing while no block is open. */
		if (l->plain && b.cur == NO_CAND) {
			i = l->next - 1;
			continue;
		}
		if (l->slot == SLOT_NONE) {
			/* Free text ends a block that is complete enough
			 * ("Best regards" after the last field). */
			if (block_cur(&b) && (b.soft ||
			    given(block_cur(&b)) >= COMPLETE_ISH))
				block_close(&b);
			continue;
		}
		slot = l->slot;
		label = l->label;
		loose = l->loose;
		vs = l->vstart;
		colons = INLINE_COLONS;
		for (k = 0; k < INLINE_MAX; k++) {
			int more = inline_next(form, l->s, vs, l->len, &colons,
			    &ls, &next, &vs2);
			char *val;

			ve = more ? ls : l->len;
			val = clean_value(form, l->s + vs, ve - vs, slot,
			    SLOT_UNSEEN);
			if (val == NULL && !more) {
				/* Vertical pair: the value on the next line
				 * ("Country" / "Kenya"). */
				j = i + 1;
				if (!l->colon && j + 1 < t->n &&
				    t->lines[j].blank)
					j++;
				if (j < t->n && !t->lines[j].blank &&
				    !t->lines[j].heading &&
				    t->lines[j].slot == SLOT_NONE &&
				    t->lines[j].len <= VALUE_LINE_MAX) {
					val = clean_value(form, t->lines[j].s,
					    t->lines[j].len, slot, SLOT_UNSEEN);
					if (!plausible(slot, val)) {
						free(val);
						val = NULL;
					}
					if (val)
						i = j;
				}
			}
			block_pair(&b, slot, label, loose, val);
			if (!more)
				break;
			slot = next.slot;
			label = next.label;
			loose = next.loose;
			vs = vs2;
		}
	}
	/* Labels seen, in blocks of two labels or more, except contact
	 * lines alone (a signature's "Tel:" and "E-mail:"): one "Name:" line
	 * in a letter is not a form. */
	for (i = 0; i < p->n; i++)
		if ((p->c[i].labels & ~CONTACT_SLOTS) &&
		    popcount(p->c[i].labels) >= 2)
			p->labels_seen |= field_bits(p->c[i].labels);
}

/* ---------------------------------------------------------------------
 * Layout: vertical cells
 */

static int
value_line(const struct line *l)
{
	return !l->blank && !l->heading && l->slot == SLOT_NONE &&
	    l->len <= VALUE_LINE_MAX;
}

/* A pasted cell holding a label: the label alone, no colon ("Country:"
 * with nothing after it is an empty label line). */
static int
cell_label(const struct line *l)
{
	return l->whole && !l->colon;
}

static void
layout_vertical(const struct form *form, const struct text *t, int csv,
    struct proposal *p)
{
	int slots[LIMIT_TABLE_CELLS];
	const struct form_label *labs[LIMIT_TABLE_CELLS];
	size_t i = 0, j, k, c, nk;
	unsigned bits;
	int gapped, distinct;

	(void)csv;
	while (i < t->n && !p->truncated) {
		if (t->lines[i].plain) {
			i = t->lines[i].next;
			continue;
		}
		if (!cell_label(&t->lines[i])) {
			i++;
			continue;
		}
		/* A run of labels alone, maybe a blank line between each. */
		nk = 0;
		bits = 0;
		gapped = 0;
		for (j = i; j < t->n && nk < LIMIT_TABLE_CELLS; j++) {
			if (t->lines[j].blank) {
				if (j + 1 < t->n &&
				    cell_label(&t->lines[j + 1])) {
					gapped = 1;
					continue;
				}
				break;
			}
			if (!cell_label(&t->lines[j]))
				break;
			slots[nk] = t->lines[j].slot;
			labs[nk] = t->lines[j].label;
			bits |= BIT(t->lines[j].slot);
			nk++;
		}
		distinct = popcount(bits);
		if (distinct < 3) {
			i = j > i ? j : i + 1;
			continue;
		}
		p->labels_seen |= field_bits(bits);
		/* Then groups of nk values, one group an official. */
		for (;;) {
			char *vals[LIMIT_TABLE_CELLS];
			int nonempty = 0, stop = 0, bad = 0, blanks;
			struct cand *cd;

			for (c = 0; c < nk; c++) {
				vals[c] = NULL;
				blanks = 0;
				if (gapped)
					while (j < t->n && t->lines[j].blank) {
						j++;
						blanks++;
					}
				if (j >= t->n || blanks > 1) {
					stop = 1;
					break;
				}
				if (t->lines[j].blank) {
					/* Ungapped: an empty cell, but a
					 * blank first cell ends the table. */
					if (c == 0) {
						stop = 1;
						break;
					}
					j++;
					continue;
				}
				if (!value_line(&t->lines[j])) {
					stop = 1;
					break;
				}
				vals[c] = clean_value(form, t->lines[j].s,
				    t->lines[j].len, slots[c], SLOT_UNSEEN);
				if (!plausible(slots[c], vals[c])) {
					/* Not this table's cells. */
					bad = 1;
					c++;
					break;
				}
				if (vals[c])
					nonempty++;
				j++;
			}
			if (c < nk)
				for (k = c; k < nk; k++)
					vals[k] = NULL;
			if (bad || nonempty < 2 || (cd = cand_new(p)) == NULL) {
				for (k = 0; k < nk; k++)
					free(vals[k]);
				break;
			}
			for (k = 0; k < nk; k++) {
				int s = slots[k];

				if (cd->v[s] == NULL && vals[k]) {
					cd->v[s] = vals[k];
					cd->by[s] = labs[k];
				} else
					free(vals[k]);
			}
			cd->labels = bits;
			if (stop)
				break;
		}
		i = j > i ? j : i + 1;
	}
}

/* ---------------------------------------------------------------------
 * Tables: rows split into cells
 */


struct cell {
	char	*s;
	size_t	 len;
	size_t	 col, ecol;	/* code-point columns, for SEP_SPACES */
};

struct row {
	char		 buf[LIMIT_LINE_BYTES + 1];
	struct cell	 c[LIMIT_TABLE_CELLS];
	size_t		 n;
	int		 over;	/* more than LIMIT_TABLE_CELLS cells */
};

static int
line_has_sep(const struct line *l, enum sep sep)
{
	return (l->seps & BIT(sep)) != 0;
}

/* The separator label_votes() splits l by, when l holds TAB, '|' or ';'. */
static enum sep
vote_sep(const struct line *l)
{
	return (l->seps & BIT(SEP_TAB)) ? SEP_TAB :
	    (l->seps & BIT(SEP_PIPE)) ? SEP_PIPE : SEP_SEMI;
}

static void
row_add(struct row *r, char *s, size_t len, size_t col, size_t ecol)
{
	while (len > 0 && is_space(*s)) {
		s++;
		len--;
		col++;
	}
	while (len > 0 && is_space(s[len - 1]))
		len--;
	if (r->n >= LIMIT_TABLE_CELLS) {
		r->over = 1;
		return;
	}
	s[len] = '\0';
	r->c[r->n].s = s;
	r->c[r->n].len = len;
	r->c[r->n].col = col;
	r->c[r->n].ecol = ecol;
	r->n++;
}

/* Split a delimited line; cells starting with '"' are CSV-quoted. */
static void
split_delim(struct row *r, size_t len, char d)
{
	char *s = r->buf, *w, *start;
	const char *q;
	size_t i = 0, e;

	while (i <= len && !r->over) {
		while (i < len && is_space(s[i]) && s[i] != d)
			i++;
		start = w = s + i;
		if (i < len && s[i] == '"') {
			i++;
			while (i < len) {
				if (s[i] == '"' && i + 1 < len &&
				    s[i + 1] == '"') {
					*w++ = '"';
					i += 2;
				} else if (s[i] == '"') {
					i++;
					break;
				} else
					*w++ = s[i++];
			}
		}
		/* The rest of the cell: moved only behind a quoted part. */
		q = i < len ? memchr(s + i, d, len - i) : NULL;
		e = q != NULL ? (size_t)(q - s) : len;
		if (w != s + i)
			memmove(w, s + i, e - i);
		w += e - i;
		i = e;
		row_add(r, start, (size_t)(w - start), 0, 0);
		if (i >= len)
			break;
		i++;	/* the delimiter */
		if (i == len) {
			/* A trailing delimiter: one empty cell. */
			row_add(r, s + len, 0, 0, 0);
			break;
		}
	}
}

/* Where the first cell of l split by sep starts and ends (CSV quotes
 * aside), without splitting the line. */
static void
first_cell(const struct line *l, enum sep sep, size_t *start, size_t *end)
{
	static const char delim[SEP_COUNT] = { '\t', '|', ';', ',', 0 };
	size_t i = 0;
	const char *e;

	while (i < l->len && is_space(l->s[i]) && l->s[i] != delim[sep])
		i++;
	if (sep == SEP_PIPE && i < l->len && l->s[i] == '|')
		i++;
	*start = i;
	if (sep == SEP_SPACES)
		e = strstr(l->s + i, "  ");	/* l->s ends at l->len */
	else
		e = memchr(l->s + i, delim[sep], l->len - i);
	*end = e ? (size_t)(e - l->s) : l->len;
}

/* Could the first cell of l split by sep be a label?  Says no, without
 * splitting, when it is longer than any label could be. */
static int
first_cell_short(const struct line *l, enum sep sep)
{
	size_t a, b;

	first_cell(l, sep, &a, &b);
	return b - a <= SEP_SCAN;
}

/* Whether l split by sep may have three cells, as a header has: it holds
 * two separators at least (CSV quotes and the pipes around a row only
 * take cells away), without splitting the line. */
static int
three_cells(const struct line *l, enum sep sep)
{
	static const char delim[SEP_COUNT] = { '\t', '|', ';', ',', 0 };
	const char *p;

	if (sep == SEP_SPACES) {
		if ((p = strstr(l->s, "  ")) == NULL)
			return 0;
		while (*p == ' ')
			p++;
		return strstr(p, "  ") != NULL;
	}
	p = memchr(l->s, delim[sep], l->len);
	return p != NULL && memchr(p + 1, delim[sep],
	    l->len - (size_t)(p + 1 - l->s)) != NULL;
}

static void
split_row(const struct line *l, enum sep sep, struct row *r)
{
	char *s = r->buf;
	size_t len = l->len, i, start, col, scol;

	memcpy(s, l->s, len + 1);
	r->n = 0;
	r->over = 0;
	switch (sep) {
	case SEP_TAB:
		split_delim(r, len, '\t');
		break;
	case SEP_SEMI:
		split_delim(r, len, ';');
		break;
	case SEP_COMMA:
		split_delim(r, len, ',');
		break;
	case SEP_PIPE:
		while (len > 0 && is_space(s[len - 1]))
			len--;
		i = 0;
		while (i < len && is_space(s[i]))
			i++;
		if (i < len && s[i] == '|')
			i++;
		if (len > i && s[len - 1] == '|')
			len--;
		memmove(s, s + i, len - i);
		len -= i;
		s[len] = '\0';
		split_delim(r, len, '|');
		break;
	case SEP_SPACES:
		i = 0;
		col = 0;
		while (i < len && !r->over) {
			while (i < len && s[i] == ' ') {
				i++;
				col++;
			}
			if (i >= len)
				break;
			start = i;
			scol = col;
			while (i < len && !(s[i] == ' ' && i + 1 < len &&
			    s[i + 1] == ' ')) {
				if (((unsigned char)s[i] & 0xC0) != 0x80)
					col++;
				i++;
			}
			row_add(r, s + start, i - start, scol, col);
			if (i < len) {
				s[i] = '\0';
				i++;
				col++;
			}
		}
		break;
	default:
		break;
	}
}

/*
 * The slots of a header row's cells.  Returns the slot bits when the row
 * holds labels of three or more slots and no more other cells than labels.
 */
static unsigned
header_slots(const struct form *form, const struct row *r, int *slot,
    const struct form_label **lab)
{
	struct lmatch m;
	unsigned bits = 0;
	size_t c;
	int labels = 0, other = 0;

	if (r->over || r->n < 3)
		return 0;
	for (c = 0; c < r->n; c++) {
		slot[c] = SLOT_NONE;
		lab[c] = NULL;
		if (r->c[c].len == 0)
			continue;
		if (r->c[c].len > SEP_SCAN)
			return 0;	/* no header cell is a paragraph */
		if (label_find(form, r->c[c].s, r->c[c].len, 1, &m)) {
			slot[c] = m.slot;
			lab[c] = m.label;
			bits |= BIT(m.slot);
			labels++;
		} else if (++other > labels + 3)
			return 0;	/* a header is mostly labels */
	}
	if (popcount(bits) < 3 || other > labels)
		return 0;
	return bits;
}

/* Column of the header a cell of a space-aligned row falls under. */
static size_t
column_of(const struct row *hr, const struct cell *d)
{
	size_t k, best = 0, bestov = 0;

	for (k = 0; k < hr->n; k++) {
		size_t lo = hr->c[k].col;
		size_t hi = k + 1 < hr->n ? hr->c[k + 1].col : (size_t)-1;
		size_t a = d->col > lo ? d->col : lo;
		size_t e = d->ecol < hi ? d->ecol : hi;

		if (e > a && e - a > bestov) {
			bestov = e - a;
			best = k;
		}
	}
	return best;
}

static void
set_slot(struct cand *cd, int s, const struct form_label *l, char *val,
    int join)
{
	if (cd->v[s] == NULL) {
		cd->v[s] = val;
		cd->by[s] = l;
	} else if (join && val) {
		size_t a = strlen(cd->v[s]), b = strlen(val), n;

		cd->v[s] = xrealloc(cd->v[s], a + b + 2);
		cd->v[s][a] = ' ';
		memcpy(cd->v[s] + a + 1, val, b + 1);
		free(val);
		/* Joined cells obey clean_value()'s cap too. */
		if (a + 1 + b > LIMIT_FIELD_BYTES) {
			n = utf8_floor(cd->v[s], LIMIT_FIELD_BYTES);
			cd->v[s] = xrealloc(cd->v[s], n + sizeof(ellipsis));
			memcpy(cd->v[s] + n, ellipsis, sizeof(ellipsis));
		}
	} else
		free(val);
}

/* Code points in s[0..n). */
static size_t
chars(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			c++;
	return c;
}

/*
 * The cells of a space-aligned row, each cell that runs into a later
 * header column cut at the single space where that column starts (a long
 * "Nghipandulwa Peter" under "Last name" and "First name").  Returns the
 * number of cells in out.
 */
static size_t
aligned_cells(const struct row *hr, const struct row *dr, struct cell *out)
{
	size_t k, h, i, col, cut, n = 0;

	for (k = 0; k < dr->n && n < LIMIT_TABLE_CELLS; k++) {
		struct cell c = dr->c[k];

		for (h = 1; h < hr->n && n + 1 < LIMIT_TABLE_CELLS; h++) {
			size_t hc = hr->c[h].col;

			if (hc <= c.col + 1 || hc >= c.ecol)
				continue;
			cut = 0;
			for (i = 0, col = c.col; i < c.len; i++) {
				if (((unsigned char)c.s[i] & 0xC0) == 0x80)
					continue;
				/* The character after this space is at
				 * column col + 1. */
				if (c.s[i] == ' ' && col + 2 >= hc &&
				    col <= hc)
					cut = i;
				col++;
			}
			if (cut == 0)
				continue;
			out[n] = c;
			out[n].len = cut;
			out[n].ecol = c.col + chars(c.s, cut);
			n++;
			c.col += chars(c.s, cut + 1);
			c.s += cut + 1;
			c.len -= cut + 1;
		}
		out[n++] = c;
	}
	return n;
}

/* One data row under a header: an official, unless it holds only labels
 * (the header again, or in another language) or nothing.  nolabel: the
 * votes found no label in any cell of dr (see label_votes()). */
static void
table_row(const struct form *form, const struct row *hr, const int *slot,
    const struct form_label **lab, unsigned bits, const struct row *dr,
    enum sep sep, int nolabel, struct proposal *p)
{
	struct cell pieces[LIMIT_TABLE_CELLS];
	const struct cell *cells = dr->c;
	char *vals[LIMIT_TABLE_CELLS];
	int cols[LIMIT_TABLE_CELLS];
	int seen[LIMIT_TABLE_CELLS];	/* see clean_value() */
	struct lmatch m;
	size_t k, n = dr->n;
	int positional = sep == SEP_SPACES && dr->n != hr->n;
	int values = 0, nonempty = 0, labels = 0, s;
	long budget;
	struct cand *cd;

	for (k = 0; k < n; k++) {
		seen[k] = SLOT_UNSEEN;
		if (cells[k].len == 0)
			continue;
		nonempty++;
		if (nolabel) {
			seen[k] = SLOT_NONE;
			continue;
		}
		budget = fold_budget;
		s = SLOT_NONE;
		if (label_find(form, cells[k].s, cells[k].len, 0, &m)) {
			labels++;
			s = m.slot;
		}
		if (fold_budget == budget && !fold_over)
			seen[k] = s;
	}
	if (labels == nonempty)
		return;
	if (positional) {
		n = aligned_cells(hr, dr, pieces);
		cells = pieces;
		positional = n != hr->n;
	}
	for (k = 0; k < n; k++) {
		vals[k] = NULL;
		if (cells != dr->c)
			seen[k] = SLOT_UNSEEN;	/* cut: not the cells seen */
		cols[k] = (int)(positional ? column_of(hr, &cells[k]) : k);
		if (cells[k].len == 0)
			continue;
		if ((size_t)cols[k] >= hr->n ||
		    (s = slot[cols[k]]) == SLOT_NONE)
			continue;
		vals[k] = clean_value(form, cells[k].s, cells[k].len, s,
		    seen[k]);
		if (vals[k])
			values++;
	}
	if (values == 0 || (cd = cand_new(p)) == NULL) {
		for (k = 0; k < n; k++)
			free(vals[k]);
		return;
	}
	for (k = 0; k < n; k++)
		if (vals[k])
			set_slot(cd, slot[cols[k]], lab[cols[k]], vals[k],
			    positional);
	cd->labels = bits;
}

static const enum sep table_seps[] = {
	SEP_TAB, SEP_PIPE, SEP_SEMI, SEP_COMMA, SEP_SPACES
};

/* ---------------------------------------------------------------------
 * Layout: header row
 */

static void
layout_header_row(const struct form *form, const struct text *t, int csv,
    struct proposal *p)
{
	struct row *hr = NULL, *dr = NULL;
	int slot[LIMIT_TABLE_CELLS];
	const struct form_label *lab[LIMIT_TABLE_CELLS];
	size_t i, j, si;
	unsigned bits, mask = csv ? ~0u : ~BIT(SEP_COMMA);

	for (i = 0; i < t->n && !p->truncated; i++) {
		const struct line *l = &t->lines[i];

		/* Most lines of prose hold no separator to try. */
		if (l->plain) {
			i = l->next - 1;
			continue;
		}
		if (l->blank || l->heading || (l->seps & mask) == 0)
			continue;
		for (si = 0; si < sizeof(table_seps) / sizeof(*table_seps);
		    si++) {
			enum sep sep = table_seps[si];

			/* Most lines with a separator have fewer than three
			 * cells, which is the quicker to tell. */
			if (!(mask & BIT(sep)) || !line_has_sep(l, sep) ||
			    !three_cells(l, sep) || !first_cell_short(l, sep))
				continue;
			/* Rows are made when a text has a table at all. */
			if (hr == NULL) {
				hr = xmalloc(sizeof(*hr));
				dr = xmalloc(sizeof(*dr));
			}
			split_row(l, sep, hr);
			if ((bits = header_slots(form, hr, slot, lab)) == 0)
				continue;
			p->labels_seen |= field_bits(bits);
			for (j = i + 1; j < t->n; j++) {
				const struct line *d = &t->lines[j];

				if (d->blank)
					break;
				if (d->rule)
					continue;
				if (!line_has_sep(d, sep))
					break;
				split_row(d, sep, dr);
				if (dr->n < 2)
					break;
				table_row(form, hr, slot, lab, bits, dr, sep,
				    d->nolabel && vote_sep(d) == sep, p);
			}
			i = j - 1;
			break;
		}
	}
	free(hr);
	free(dr);
}

/* ---------------------------------------------------------------------
 * Layout: transposed (labels down the first column)
 */

/*
 * A loose label_find() of the first cell of l split by sep (ca..cb), or
 * what label_votes() has learnt of it already (first_cell_vote()): no
 * label, and the fold budget spent as the search would spend it.
 */
static int
first_label(const struct form *form, const struct line *l, enum sep sep,
    size_t ca, size_t cb, struct lmatch *m)
{
	const char *s = l->s + ca;
	size_t n = cb - ca;

	label_trim(&s, &n);
	if (l->firm0 == FIRM_NOT || l->vsep != (unsigned)sep ||
	    s != l->s + l->c0off || n != l->c0len)
		return label_find_trimmed(form, s, n, 1, m, NULL);
	if (l->firm0 == FIRM_COUNTED) {
		(void)fold_charge();
		(void)fold_charge();
	}
	return 0;
}

static void
layout_transposed(const struct form *form, const struct text *t, int csv,
    struct proposal *p)
{
	struct row *r = NULL;
	struct lmatch m;
	size_t si, i, j, k, ncols, col, nrows, ca, cb, base;
	size_t rows[LIMIT_TABLE_CELLS];
	int rslot[LIMIT_TABLE_CELLS];
	const struct form_label *rlab[LIMIT_TABLE_CELLS];
	unsigned bits;
	int skipped;

	for (si = 0; si < sizeof(table_seps) / sizeof(*table_seps); si++) {
		enum sep sep = table_seps[si];

		/* No line holds it: no table of it either. */
		if ((sep == SEP_COMMA && !csv) || !(t->seps & BIT(sep)))
			continue;
		i = 0;
		while (i < t->n && !p->truncated) {
			const struct line *l0 = &t->lines[i];

			/* Where no table can start, without a call. */
			if (l0->plain) {
				i = l0->next;
				continue;
			}
			if (l0->blank || l0->heading ||
			    (!l0->rule && !(l0->seps & BIT(sep)))) {
				i++;
				continue;
			}
			nrows = 0;
			bits = 0;
			ncols = 0;
			skipped = 0;
			for (j = i; j < t->n && nrows < LIMIT_TABLE_CELLS;
			    j++) {
				const struct line *l = &t->lines[j];

				if (l->blank || l->heading)
					break;
				if (l->rule)
					continue;
				if (!line_has_sep(l, sep))
					break;
				first_cell(l, sep, &ca, &cb);
				if (cb - ca > SEP_SCAN || (l->s[ca] != '"' &&
				    !first_label(form, l, sep, ca, cb, &m))) {
					if (nrows == 0 && !skipped) {
						skipped = 1;
						continue;
					}
					break;
				}
				if (r == NULL)
					r = xmalloc(sizeof(*r));
				split_row(l, sep, r);
				if (r->n < 2)
					break;
				if (!label_find(form, r->c[0].s, r->c[0].len,
				    1, &m)) {
					/* One row of column headings
					 * ("", "Official 1", "Official 2")
					 * may come first. */
					if (nrows == 0 && !skipped) {
						skipped = 1;
						continue;
					}
					break;
				}
				rows[nrows] = j;
				rslot[nrows] = m.slot;
				rlab[nrows] = m.label;
				nrows++;
				bits |= BIT(m.slot);
				if (r->n - 1 > ncols)
					ncols = r->n - 1;
			}
			i = j > i ? j : i + 1;
			if (nrows < 3 || popcount(bits) < 3)
				continue;
			p->labels_seen |= field_bits(bits);
			/* One official a column: split each row once. */
			base = p->n;
			for (col = 1; col <= ncols; col++) {
				struct cand *cd = cand_new(p);

				if (cd == NULL)
					break;
				cd->labels = bits;
			}
			for (k = 0; k < nrows; k++) {
				split_row(&t->lines[rows[k]], sep, r);
				for (col = 1; col < r->n &&
				    base + col - 1 < p->n; col++) {
					const struct cell *ce = &r->c[col];

					if (ce->len == 0)
						continue;
					set_slot(&p->c[base + col - 1],
					    rslot[k], rlab[k], clean_value(form,
					    ce->s, ce->len, rslot[k], SLOT_UNSEEN),
					    0);
				}
			}
			/* Columns left empty are no one. */
			for (k = col = base; k < p->n; k++) {
				if (given(&p->c[k]) == 0 &&
				    p->c[k].v[FORM_FULL_NAME] == NULL) {
					cand_clear(&p->c[k]);
					continue;
				}
				if (col != k)
					p->c[col] = p->c[k];
				col++;
			}
			p->n = col;
		}
	}
	free(r);
}

/* ---------------------------------------------------------------------
 * Layouts, and what is common to their proposals
 */

typedef void layout_fn(const struct form *, const struct text *, int,
    struct proposal *);

static const struct layout {
	const char	*name;
	layout_fn	*fn;
} layouts[] = {
	{ "label lines", layout_label_lines },
	{ "vertical cells", layout_vertical },
	{ "header row", layout_header_row },
	{ "transposed", layout_transposed },
};

#define NLAYOUTS	(sizeof(layouts) / sizeof(*layouts))

#define TITLE_MAX	9	/* the longest of name_titles, "professor" */

static const char *const name_titles[] = {
	"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir",
	"madam", "dame", "hon", "mme", "mlle", "mmes", "pr", "sr", "sra",
	"srta", "lic", "lcdo", "lcda", "ing", "dra", "don", "dona", "doctor",
	"doctora", "docteur", "rev", "eng", NULL
};

static int
is_title(const char *w, size_t n)
{
	char f[TITLE_MAX + 3];	/* a title, a full stop, one more */
	long fl;
	int i;

	if (n == 2 && (w[0] == 'M' || w[0] == 'm') && w[1] == '.')
		return 1;	/* "M." (Monsieur), never a bare initial */
	/* Folded no further than a title and its full stop could be. */
	fl = fold_key(w, n, f, sizeof(f));
	if (fl <= 0)
		return 0;
	if (f[fl - 1] == '.')
		f[--fl] = '\0';
	for (i = 0; name_titles[i]; i++)
		if (f[0] == name_titles[i][0] &&
		    strcmp(f, name_titles[i]) == 0)
			return 1;
	return 0;
}

/* A word in capitals: two letters or more, none lower case. */
static int
is_caps(const char *w, size_t n)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)w;
	utf8proc_int32_t c;
	utf8proc_ssize_t k;
	size_t i = 0;
	int upper = 0;

	while (i < n) {
		k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(n - i), &c);
		if (k <= 0)
			return 0;
		i += (size_t)k;
		switch (utf8proc_category(c)) {
		case UTF8PROC_CATEGORY_LL:
			return 0;
		case UTF8PROC_CATEGORY_LU:
		case UTF8PROC_CATEGORY_LT:
			upper++;
			break;
		default:
			break;
		}
	}
	return upper >= 2;
}

static char *
join_words(const char *const *w, const size_t *wl, size_t n, const int *pick,
    int want)
{
	size_t i, len = 0, o = 0;
	char *out;

	for (i = 0; i < n; i++)
		if (pick[i] == want)
			len += wl[i] + 1;
	if (len == 0)
		return NULL;
	out = xmalloc(len);
	for (i = 0; i < n; i++)
		if (pick[i] == want) {
			if (o > 0)
				out[o++] = ' ';
			memcpy(out + o, w[i], wl[i]);
			o += wl[i];
		}
	out[o] = '\0';
	return out;
}

/* Words of s (at most NAME_WORDS), leading titles skipped. */
static size_t
name_words(const char *s, const char **w, size_t *wl)
{
	size_t n = 0, skip = 0, i;

	while (*s && n < NAME_WORDS) {
		while (*s == ' ')
			s++;
		if (*s == '\0')
			break;
		w[n] = s;
		while (*s && *s != ' ')
			s++;
		wl[n] = (size_t)(s - w[n]);
		n++;
	}
	while (skip + 1 < n && is_title(w[skip], wl[skip]))
		skip++;
	for (i = skip; i < n; i++) {
		w[i - skip] = w[i];
		wl[i - skip] = wl[i];
	}
	return n - skip;
}

/*
 * Split a whole name: "Dr. Jane WANJIRU" -> Jane / WANJIRU; "Jane Mary
 * Otieno" -> Jane Mary / Otieno; "OTIENO, Jane" -> Jane / OTIENO.  Titles
 * are dropped.  *first may be NULL (one word).
 */
static void
split_name(const char *full, char **first, char **last)
{
	const char *w[NAME_WORDS];
	size_t wl[NAME_WORDS], n, i;
	int pick[NAME_WORDS], caps = 0;
	const char *comma = strchr(full, ',');

	*first = *last = NULL;
	if (comma != NULL && strchr(comma + 1, ',') == NULL) {
		/* "Last, First": both parts must hold a word. */
		char *a = xstrndup(full, (size_t)(comma - full));

		n = name_words(a, w, wl);
		for (i = 0; i < n; i++)
			pick[i] = 1;
		*last = join_words(w, wl, n, pick, 1);
		free(a);
		n = name_words(comma + 1, w, wl);
		for (i = 0; i < n; i++)
			pick[i] = 0;
		*first = join_words(w, wl, n, pick, 0);
		if (*first && *last)
			return;
		free(*first);
		free(*last);
		*first = *last = NULL;
	}
	n = name_words(full, w, wl);
	if (n == 0)
		return;
	for (i = 0; i < n; i++) {
		pick[i] = is_caps(w[i], wl[i]);
		caps += pick[i];
	}
	/* No word in capitals, or all of them: the last word is the last
	 * name. */
	if (caps == 0 || caps == (int)n)
		for (i = 0; i < n; i++)
			pick[i] = i + 1 == n;
	*last = join_words(w, wl, n, pick, 1);
	*first = join_words(w, wl, n, pick, 0);
}

/* full minus the words of part (compared folded), or NULL if that leaves
 * nothing or part is not in it. */
static char *
name_minus(const char *full, const char *part)
{
	char *ff = text_fold(full), *fp = text_fold(part), *hit;
	char *out = NULL;
	size_t pl = strlen(fp);

	hit = *fp ? strstr(ff, fp) : NULL;
	if (hit && (hit == ff || hit[-1] == ' ') &&
	    (hit[pl] == '\0' || hit[pl] == ' ')) {
		char *f1, *l1;

		/* Work on the full name's own words: split, then drop the
		 * part that matches. */
		split_name(full, &f1, &l1);
		if (f1 && l1) {
			char *ffirst = text_fold(f1), *flast = text_fold(l1);

			if (strcmp(flast, fp) == 0)
				out = xstrdup(f1);
			else if (strcmp(ffirst, fp) == 0)
				out = xstrdup(l1);
			free(ffirst);
			free(flast);
		}
		free(f1);
		free(l1);
	}
	free(ff);
	free(fp);
	return out;
}

/* Fill first and last name from a whole name where they are missing. */
static void
resolve_full_name(struct cand *c)
{
	char *full = c->v[FORM_FULL_NAME], *first, *last, *rest;

	if (full == NULL)
		return;
	if (c->v[FIELD_LAST_NAME] && c->v[FIELD_FIRST_NAME])
		return;
	if (c->v[FIELD_LAST_NAME]) {
		/* "Surname: Otieno" with "Name: Jane (Otieno)". */
		rest = name_minus(full, c->v[FIELD_LAST_NAME]);
		if (rest == NULL)
			rest = xstrdup(full);
		c->v[FIELD_FIRST_NAME] = rest;
		return;
	}
	if (c->v[FIELD_FIRST_NAME]) {
		rest = name_minus(full, c->v[FIELD_FIRST_NAME]);
		if (rest == NULL)
			rest = xstrdup(full);
		c->v[FIELD_LAST_NAME] = rest;
		return;
	}
	split_name(full, &first, &last);
	c->v[FIELD_FIRST_NAME] = first;
	c->v[FIELD_LAST_NAME] = last;
}

static int
only_slots(const struct cand *c, unsigned allowed)
{
	int s, any = 0;

	for (s = 0; s < NSLOTS; s++)
		if (c->v[s]) {
			if (!(allowed & BIT(s)))
				return 0;
			any = 1;
		}
	return any;
}

static int
names_someone(const struct cand *c)
{
	return c->v[FIELD_LAST_NAME] || c->v[FIELD_FIRST_NAME] ||
	    c->v[FORM_FULL_NAME] || c->v[FIELD_EMAIL];
}

static const int shared[] = { FIELD_COUNTRY, FIELD_ORGANISATION };

/* A block of only country and organisation before the people ("Country:
 * Kenya", then each official) is given to each of them. */
static void
share_preamble(struct proposal *p)
{
	const unsigned pre = BIT(FIELD_COUNTRY) | BIT(FIELD_ORGANISATION);
	size_t i, j;
	int k, s;

	for (i = 0; i + 1 < p->n; i++) {
		struct cand *c = &p->c[i];

		if (c->drop || !only_slots(c, pre) ||
		    !names_someone(&p->c[i + 1]))
			continue;
		for (j = i + 1; j < p->n && !only_slots(&p->c[j], pre); j++)
			for (k = 0; k < 2; k++) {
				s = shared[k];
				if (c->v[s] && p->c[j].v[s] == NULL)
					p->c[j].v[s] = xstrdup(c->v[s]);
			}
		c->drop = 1;
	}
}

/* A country or organisation given for the first official only is
 * everyone's (written once, or a merged table cell). */
static void
share_first(struct proposal *p)
{
	size_t i, with, first, firstkept;
	int k, s;

	for (k = 0; k < 2; k++) {
		s = shared[k];
		with = 0;
		first = firstkept = (size_t)-1;
		for (i = 0; i < p->n; i++) {
			if (p->c[i].drop || !names_someone(&p->c[i]))
				continue;
			if (firstkept == (size_t)-1)
				firstkept = i;
			if (p->c[i].v[s] && with++ == 0)
				first = i;
		}
		if (with != 1 || first != firstkept)
			continue;
		for (i = first + 1; i < p->n; i++)
			if (!p->c[i].drop && p->c[i].v[s] == NULL &&
			    names_someone(&p->c[i]))
				p->c[i].v[s] = xstrdup(p->c[first].v[s]);
	}
}

/* Same person: every field equal once folded. */
static int
official_same(const struct official *a, const struct official *b)
{
	int f, same = 1;

	for (f = 0; f < FIELD_COUNT && same; f++) {
		const char *x = a->f[f].raw, *y = b->f[f].raw;

		if (x == NULL || y == NULL) {
			same = x == y;
			continue;
		}
		if (strcmp(x, y) != 0) {
			char *fx = text_fold(x), *fy = text_fold(y);

			same = strcmp(fx, fy) == 0;
			free(fx);
			free(fy);
		}
	}
	return same;
}

/* Whether a and b were written alike, byte for byte, field by field. */
static int
official_raw_equal(const struct official *a, const struct official *b)
{
	int f;

	for (f = 0; f < FIELD_COUNT; f++) {
		const char *x = a->f[f].raw, *y = b->f[f].raw;

		if (x == NULL || y == NULL) {
			if (x != y)
				return 0;
		} else if (strcmp(x, y) != 0)
			return 0;
	}
	return 1;
}

/*
 * extract_validate() of o, or a copy of what it gave for an official of
 * done[0..ndone) written alike: layouts often find the same official,
 * and validation depends on the raw fields alone.
 */
static void
validate_reuse(const struct form *form, const struct proposal *done,
    size_t ndone, struct official *o)
{
	const struct official *v;
	size_t d, i;
	int f;

	for (d = 0; d < ndone; d++)
		for (i = 0; i < done[d].no; i++) {
			v = &done[d].o[i];
			if (!official_raw_equal(v, o))
				continue;
			for (f = 0; f < FIELD_COUNT; f++) {
				free(o->f[f].value);
				o->f[f].value = v->f[f].value ?
				    xstrdup(v->f[f].value) : NULL;
				o->f[f].problem = v->f[f].problem;
			}
			return;
		}
	extract_validate(form, o);
}

/* Clean up, filter, validate and score a proposal; done[0..ndone) are
 * the proposals finished before it. */
static void
proposal_finish(const struct form *form, struct proposal *p,
    const struct proposal *done, size_t ndone)
{
	size_t i, j;
	int s, maxg = 0, multi = 0, g;

	if (p->n == 0)
		return;		/* no one: nothing to clean up or score */
	for (i = 0; i < p->n; i++)
		resolve_full_name(&p->c[i]);
	share_preamble(p);
	for (i = 0; i < p->n; i++) {
		g = given(&p->c[i]);
		if (p->c[i].drop)
			continue;
		if (g > maxg)
			maxg = g;
		if (g >= 2)
			multi++;
	}
	for (i = 0; i < p->n; i++) {
		struct cand *c = &p->c[i];

		if (c->drop)
			continue;
		g = given(c);
		/* One field is an official only when nothing better is
		 * around: a follow-up giving the missing telephone, or a form
		 * left mostly empty. */
		if (g == 0 || (g == 1 && multi > 0))
			c->drop = 1;
		/* A lone label read loosely ("Name of the game: patience")
		 * is prose. */
		else if (popcount(c->labels) == 1 && c->loose == c->labels)
			c->drop = 1;
		/* Stray contact lines next to real officials. */
		else if (maxg >= COMPLETE_ISH && g <= 2 &&
		    popcount(c->labels) <= 2)
			c->drop = 1;
	}
	share_first(p);
	p->o = xcalloc(p->n, sizeof(*p->o));
	for (i = 0; i < p->n; i++) {
		struct cand *c = &p->c[i];
		struct official *o;

		if (c->drop)
			continue;
		if (p->no >= LIMIT_OFFICIALS) {
			p->truncated = 1;
			break;
		}
		o = &p->o[p->no];
		for (s = 0; s < FIELD_COUNT; s++) {
			o->f[s].raw = c->v[s];
			c->v[s] = NULL;
		}
		for (j = 0; j < p->no; j++)
			if (official_same(&p->o[j], o))
				break;
		if (j < p->no) {
			official_free(o);
			continue;
		}
		validate_reuse(form, done, ndone, o);
		for (s = 0; s < FIELD_COUNT; s++) {
			if (o->f[s].raw)
				p->given++;
			if (o->f[s].problem == PROBLEM_NONE)
				p->valid++;
		}
		p->no++;
	}
}

/* ---------------------------------------------------------------------
 * Public interface
 */

static void	lang_label(const struct form *, const struct form_label *,
		    struct extraction *);

/*
 * label_find() of s[0..n), the first cell of l split by sep, in buf (a
 * copy of l or l->s itself).  When no loose search would find a label in
 * it either, l keeps that (firm0, vsep) and where the cell is in l, when
 * it is there as it is (it is not when CSV quotes or the pipes around a
 * row have moved it): the first cell layout_transposed() looks up is most
 * often the same text, and a text of prose with semicolons has many such
 * lines.
 */
static int
first_cell_vote(const struct form *form, struct line *l, enum sep sep,
    const char *s, size_t n, const char *buf, struct lmatch *m)
{
	size_t off;
	int firm;

	label_trim(&s, &n);
	off = (size_t)(s - buf);
	if (buf != l->s &&
	    (off + n > l->len || memcmp(s, l->s + off, n) != 0))
		return label_find_trimmed(form, s, n, 0, m, NULL);
	if (label_find_trimmed(form, s, n, 0, m, &firm))
		return 1;
	if (off > UINT16_MAX || n > UINT16_MAX)
		return 0;	/* not kept: c0off and c0len hold less */
	l->firm0 = (unsigned)firm;
	l->vsep = sep;
	l->c0off = (uint16_t)off;
	l->c0len = (uint16_t)n;
	return 0;
}

/*
 * The vote of cell c of l split by sep, s[0..n) in buf (a copy of l or
 * l->s itself: see first_cell_vote()): 1 when it is a label, whose
 * language is counted.
 */
static inline int
cell_vote(const struct form *form, struct line *l, enum sep sep, size_t c,
    const char *s, size_t n, const char *buf, struct extraction *ex)
{
	struct lmatch m;

	if (!(c == 0 ? first_cell_vote(form, l, sep, s, n, buf, &m) :
	    label_find(form, s, n, 0, &m)))
		return 0;
	lang_label(form, m.label, ex);
	return 1;
}

/*
 * The votes of the cells of l split by TAB or ';', where l holds no CSV
 * quote: its cells are what lies between the separators, as split_row()
 * would make them (label_find() trims them as it does), read in place.
 */
static int
vote_cells(const struct form *form, struct line *l, enum sep sep,
    struct extraction *ex)
{
	const char d = sep == SEP_TAB ? '\t' : ';';
	const char *p = l->s, *end = l->s + l->len, *q;
	size_t c;
	int labels = 0;

	for (c = 0; c < LIMIT_TABLE_CELLS; c++) {
		if ((q = memchr(p, d, (size_t)(end - p))) == NULL)
			q = end;
		labels += cell_vote(form, l, sep, c, p, (size_t)(q - p), l->s,
		    ex);
		if (q == end)
			break;
		p = q + 1;
	}
	return labels;
}

/*
 * A label of one language only counts double: at the start of the line,
 * or in the cells of a table's row.  Lines are analysed already.  A row
 * none of whose cells is a label, found without spending fold budget, is
 * marked nolabel: table_row() would look its cells up again, and find
 * the same.
 */
static void
label_votes(const struct form *form, struct text *t, struct extraction *ex)
{
	struct row *row = NULL;
	size_t i, c;
	long budget;
	int labels;

	for (i = 0; i < t->n; i++) {
		struct line *l = &t->lines[i];
		enum sep sep;

		if (l->plain) {
			i = l->next - 1;
			continue;
		}
		if (l->slot != SLOT_NONE) {
			lang_label(form, l->label, ex);
			continue;
		}
		if (!(l->seps & (BIT(SEP_TAB) | BIT(SEP_PIPE) | BIT(SEP_SEMI))))
			continue;
		sep = vote_sep(l);
		budget = fold_budget;
		labels = 0;
		if (sep != SEP_PIPE && memchr(l->s, '"', l->len) == NULL)
			labels = vote_cells(form, l, sep, ex);
		else {
			if (row == NULL)
				row = xmalloc(sizeof(*row));
			split_row(l, sep, row);
			for (c = 0; c < row->n; c++)
				labels += cell_vote(form, l, sep, c,
				    row->c[c].s, row->c[c].len, row->buf, ex);
		}
		l->nolabel = labels == 0 && fold_budget == budget &&
		    !fold_over;
	}
	free(row);
}

static size_t
extract(const struct form *form, const char *text, int csv, int valid,
    struct extraction *ex)
{
	struct proposal props[NLAYOUTS];
	struct text t;
	size_t li, best = 0, i, j, added = 0;

	(void)extract_init();
	fold_budget_reset();
	text_split(form, text ? text : "", csv, valid, &t);
	label_votes(form, &t, ex);
	memset(props, 0, sizeof(props));
	for (li = 0; li < NLAYOUTS; li++) {
		layouts[li].fn(form, &t, csv, &props[li]);
		proposal_finish(form, &props[li], props, li);
		ex->labels_seen |= props[li].labels_seen;
		if (props[li].valid > props[best].valid ||
		    (props[li].valid == props[best].valid &&
		    props[li].given > props[best].given))
			best = li;
	}
	if (t.truncated || props[best].truncated || fold_over)
		ex->truncated = 1;
	for (i = 0; i < props[best].no; i++) {
		struct official *o = &props[best].o[i];

		for (j = 0; j < ex->nofficials; j++)
			if (official_same(&ex->officials[j], o))
				break;
		if (j < ex->nofficials || ex->nofficials >= LIMIT_OFFICIALS) {
			if (j == ex->nofficials)
				ex->truncated = 1;
			official_free(o);
			continue;
		}
		ex->officials = xrealloc(ex->officials,
		    (ex->nofficials + 1) * sizeof(*ex->officials));
		ex->officials[ex->nofficials++] = *o;
		memset(o, 0, sizeof(*o));
		added++;
	}
	for (li = 0; li < NLAYOUTS; li++)
		proposal_free(&props[li]);
	text_free(&t);
	return added;
}

size_t
extract_text(const struct form *form, const char *text, int csv,
    struct extraction *ex)
{
	return extract(form, text, csv, 0, ex);
}

size_t
extract_text_utf8(const struct form *form, const char *text, int csv,
    struct extraction *ex)
{
	return extract(form, text, csv, 1, ex);
}

void
extract_validate(const struct form *form, struct official *o)
{
	static const enum field order[FIELD_COUNT] = {
		FIELD_COUNTRY, FIELD_PHONE, FIELD_LAST_NAME, FIELD_FIRST_NAME,
		FIELD_ORGANISATION, FIELD_FUNCTION, FIELD_EMAIL
	};
	struct validate_ctx ctx;
	const struct validator *v;
	struct field_value *fv;
	char *norm;
	int i;

	ctx.parties = form->parties;
	ctx.freemail = form->freemail;
	ctx.country_iso2 = NULL;
	for (i = 0; i < FIELD_COUNT; i++) {
		fv = &o->f[order[i]];
		free(fv->value);
		fv->value = NULL;
		if (fv->raw == NULL || fv->raw[0] == '\0') {
			fv->problem = PROBLEM_MISSING;
			continue;
		}
		if (strlen(fv->raw) > LIMIT_FIELD_BYTES) {
			fv->problem = PROBLEM_TOO_LONG;
			continue;
		}
		if ((v = form->validator[order[i]]) == NULL) {
			fv->problem = PROBLEM_NONE;
			fv->value = xstrdup(fv->raw);
			continue;
		}
		norm = NULL;
		fv->problem = v->fn(&ctx, fv->raw, &norm);
		if (fv->problem == PROBLEM_NONE && norm == NULL)
			norm = xstrdup(fv->raw);
		if (fv->problem != PROBLEM_NONE) {
			free(norm);
			norm = NULL;
		}
		fv->value = norm;
		if (order[i] == FIELD_COUNTRY && norm != NULL)
			ctx.country_iso2 = norm;
	}
}

static void
lang_label(const struct form *form, const struct form_label *l,
    struct extraction *ex)
{
	unsigned langs = form_label_langs(form, l);
	int lang;

	if (popcount(langs) == 1)
		for (lang = 0; lang < LANG_COUNT; lang++)
			if (langs & BIT(lang))
				ex->lang_score[lang] += 2;
}

/* Hint words of each language (whole folded words) in the first
 * LIMIT_LANG_BYTES of text; labels vote in extract_text(). */
void
extract_language(const struct form *form, const char *text,
    struct extraction *ex)
{
	char *clean, *folded;
	size_t len, cl, fl;

	if (text == NULL)
		return;
	len = strnlen(text, LIMIT_LANG_BYTES);
	clean = xmalloc(3 * len + 1);
	cl = sanitize_into(clean, text, len);
	clean[cl] = '\0';
	folded = text_fold_n(clean, cl, &fl);
	free(clean);
	form_text_langs(form, folded, fl, ex->lang_score);
	free(folded);
}

void
official_free(struct official *o)
{
	int f;

	if (o == NULL)
		return;
	for (f = 0; f < FIELD_COUNT; f++) {
		free(o->f[f].raw);
		free(o->f[f].value);
		o->f[f].raw = o->f[f].value = NULL;
	}
}

void
extraction_free(struct extraction *ex)
{
	size_t i;

	if (ex == NULL)
		return;
	for (i = 0; i < ex->nofficials; i++)
		official_free(&ex->officials[i]);
	free(ex->officials);
	ex->officials = NULL;
	ex->nofficials = 0;
}
