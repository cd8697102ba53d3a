/*
 * html.c -- HTML to text with libxml2's HTML parser (see html.h).
 *
 * The document is parsed in recovery mode by libxml2's HTML parser, whose
 * SAX events build a small tree of our own (the shape libxml2's tree
 * builder would give, with only what the walk reads), and that tree is
 * walked without recursion (a cursor over parent/children/next links, at
 * most LIMIT_HTML_DEPTH levels).  Text is written a line at a time: runs of
 * white space collapse to one space, block elements end lines, a table row
 * is one line of TAB-separated cells, and a table inside a cell breaks its
 * row into lines.  Quoted earlier mail (blockquote, Gmail's gmail_quote,
 * Outlook's reply header, Thunderbird's cite prefix) becomes one line
 * "-----Original Message-----" for quote.c and its content is dropped; a
 * forwarded message is kept under a "Forwarded message" line instead,
 * because a forwarded request is data.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include "buf.h"
#include "html.h"
#include "limits.h"
#include "text.h"
#include "xmalloc.h"

#define ORIGINAL_MARK	"-----Original Message-----"
#define FORWARD_MARK	"---------- Forwarded message ---------"
#define PEEK_BYTES	600	/* text looked at to tell a forward */

struct row {
	size_t	 start;		/* output offset where the row began */
	int	 ncells;
	int	 cellopen;
	int	 broken;	/* a table inside a cell split the row */
};

struct out {
	struct buf b;
	int	 full;
	int	 space;		/* a space is pending */
	int	 line_has;	/* the current line holds text */
	int	 nospace;	/* drop the pending space (cell start) */
	int	 pre;		/* inside <pre> */
	int	 nrows;
	/* Not cleared: a row is set when pushed, a mark on entry. */
	struct row rows[LIMIT_HTML_DEPTH + 1];
	size_t	 mark[LIMIT_HTML_DEPTH + 2];	/* output length at entry */
};

enum { EL_INLINE, EL_SKIP, EL_BLOCK, EL_PARA, EL_BR, EL_TABLE, EL_TR,
    EL_CELL, EL_PRE, EL_QUOTE };

/*
 * A node of the document as the walk sees it.  The parser's events build
 * these with the shape libxml2's own tree builder (SAX2.c) would give its
 * nodes, so that the walk, its look ahead at quotes and the counting of
 * siblings read the same document: text runs coalesce the same way, and
 * comments, processing instructions, CDATA blocks and a DOCTYPE are nodes
 * (N_OTHER, N_CDATA) that hold nothing.
 */
enum { N_ELEMENT, N_TEXT, N_CDATA, N_OTHER };

struct hnode {
	struct hnode	*parent;
	struct hnode	*children;
	struct hnode	*last;
	struct hnode	*next;
	const char	*name;		/* element: the parser's dictionary */
	char		*text;		/* text: content, NUL-terminated */
	size_t		 len;		/* text: its length */
	const char	*id;		/* element: the attributes attr_keep() */
	const char	*class;		/* keeps, NULL when absent */
	const char	*style;
	const char	*type;
	unsigned char	 kind;		/* N_* */
	unsigned char	 cls;		/* element: EL_* */
	unsigned char	 attrs;		/* element: holds a kept attribute */
	unsigned char	 noleave;	/* element: the walk skipped it */
};

static const char *const skipped[] = {
	"head", "title", "script", "style", "template", "iframe", "object",
	"embed", "svg", "noembed", "applet", NULL
};

static const char *const blocks[] = {
	"div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4",
	"h5", "h6", "hr", "address", "article", "aside", "section", "header",
	"footer", "nav", "main", "figure", "figcaption", "form", "fieldset",
	"center", "caption", "body", "html", "legend", "details", "summary",
	NULL
};

/* Phrases (folded) that introduce a forwarded message. */
static const char *const forwards[] = {
	"forwarded message", "begin forwarded message", "message transfere",
	"debut du message reexpedie", "mensaje reenviado",
	"inicio del mensaje reenviado", "weitergeleitete nachricht", NULL
};

static int
in_list(const char *name, const char *const *list)
{
	int i;

	for (i = 0; list[i]; i++)
		if (strcmp(name, list[i]) == 0)
			return 1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Output. */

static void
put(struct out *o, const char *s, size_t n)
{
	struct buf *b = &o->b;

	if (o->full)
		return;
	/* Most pieces fit the room there is (b->len <= b->max always). */
	if (n <= b->max - b->len && n < b->size - b->len) {
		memcpy(b->data + b->len, s, n);
		b->len += n;
		b->data[b->len] = '\0';
		return;
	}
	if (buf_add(b, s, n) == -1)
		o->full = 1;
}

static int
cell_mode(const struct out *o)
{
	const struct row *r;

	if (o->nrows == 0)
		return 0;
	r = &o->rows[o->nrows - 1];
	return r->cellopen && !r->broken;
}

static void
trim_spaces(struct out *o)
{
	while (o->b.len > 0 && o->b.data[o->b.len - 1] == ' ')
		o->b.len--;
	if (o->b.data)
		o->b.data[o->b.len] = '\0';
}

/* End the current line, keeping at most one blank line in a row and none
 * at the start. */
static void
newline(struct out *o)
{
	trim_spaces(o);
	o->space = 0;
	o->line_has = 0;
	if (o->b.len == 0 || (o->b.len >= 2 &&
	    o->b.data[o->b.len - 1] == '\n' && o->b.data[o->b.len - 2] == '\n'))
		return;
	put(o, "\n", 1);
}

/* A line break: a space inside a table cell. */
static void
soft_break(struct out *o)
{
	if (cell_mode(o)) {
		o->space = 1;
		return;
	}
	if (o->line_has)
		newline(o);
}

static void
hard_break(struct out *o)
{
	if (o->line_has)
		newline(o);
	o->space = 0;
}

static void
blank_line(struct out *o)
{
	if (cell_mode(o)) {
		o->space = 1;
		return;
	}
	hard_break(o);
	newline(o);
}

static void
mark_line(struct out *o, const char *m)
{
	hard_break(o);
	put(o, m, strlen(m));
	put(o, "\n", 1);
	o->line_has = 0;
}

static size_t
utf8_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c >= 0xf0)
		return 4;
	if (c >= 0xe0)
		return 3;
	return 2;
}

/* 1 when the n bytes of the character at p (p[0] not NUL) hold a NUL:
 * the text ends inside it. */
static int
cut_char(const unsigned char *p, size_t n)
{
	return (n >= 2 && p[1] == '\0') || (n >= 3 && p[2] == '\0') ||
	    (n >= 4 && p[3] == '\0');
}

/* A character text() copies as it is: whole (no NUL inside), not white
 * space, CR, an invisible U+200B/U+FEFF, nor the end. */
static int
plain_char(const unsigned char *p)
{
	size_t n;

	if (*p < 0x80)
		return *p > ' ' || (*p != '\0' && *p != ' ' && *p != '\t' &&
		    *p != '\n' && *p != '\f' && *p != '\v' && *p != '\r');
	n = utf8_len(*p);
	if (cut_char(p, n))
		return 0;
	if (n == 3 && ((p[0] == 0xe2 && p[1] == 0x80 && p[2] == 0x8b) ||
	    (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)))
		return 0;
	return !(n == 2 && p[0] == 0xc2 && p[1] == 0xa0);
}

/* The end of the longest run of whole characters from p, before end,
 * that takes at most room bytes. */
static const unsigned char *
fit(const unsigned char *p, const unsigned char *end, size_t room)
{
	const unsigned char *q = p;
	size_t n;

	while (q < end) {
		n = *q < 0x80 ? 1 : utf8_len(*q);
		if ((size_t)(q - p) + n > room)
			break;
		q += n;
	}
	return q;
}

/* The first byte from p on (p < end) that is not printable ASCII: a
 * space, a control, a byte of a character of several, or the NUL at
 * end. */
static const unsigned char *
printable_end(const unsigned char *p, const unsigned char *end)
{
	return p + text_range_run((const char *)p, (size_t)(end - p), 0x21,
	    0x7f);
}

/* Text s[0..len) (NUL-terminated there) into the output. */
static void
text(struct out *o, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *r;
	const unsigned char *end = p + len;
	size_t n;

	while (*p && !o->full) {
		n = *p < 0x80 ? 1 : utf8_len(*p);
		if (n > 1 && cut_char(p, n))
			break;
		if (*p == '\r') {
			p++;
			continue;
		}
		if (o->pre && *p == '\n') {
			if (cell_mode(o))
				o->space = 1;
			else {
				trim_spaces(o);
				put(o, "\n", 1);
				o->line_has = 0;
			}
			p++;
			continue;
		}
		/* U+200B, U+FEFF: invisible. */
		if (n == 3 && ((p[0] == 0xe2 && p[1] == 0x80 && p[2] == 0x8b) ||
		    (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf))) {
			p += n;
			continue;
		}
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\f' ||
		    *p == '\v' || (n == 2 && p[0] == 0xc2 && p[1] == 0xa0)) {
			if (o->pre && !cell_mode(o))
				put(o, *p == '\t' ? "\t" : " ", 1);
			else
				o->space = 1;
			p += n;
			continue;
		}
		if (o->space && o->line_has && !o->nospace)
			put(o, " ", 1);
		o->space = 0;
		o->nospace = 0;
		/* The characters up to the next one that needs a look of its
		 * own go in one piece, when all of them fit.  Outside <pre>
		 * that takes in a lone space between two of them: what the
		 * loop would write for it is that space. */
		r = p + n;
		for (;;) {
			/* Printable ASCII, most of a text, by
			 * printable_end(); the rest as plain_char() says,
			 * but for the space and the end that mostly stop a
			 * run. */
			r = printable_end(r, end);
			if (*r == ' ' && !o->pre && ((r[1] > ' ' &&
			    r[1] < 0x80) || plain_char(r + 1))) {
				r++;
				continue;
			}
			if (*r == ' ' || *r == '\0' || !plain_char(r))
				break;
			r += utf8_len(*r);
		}
		if (o->b.len + (size_t)(r - p) > o->b.max) {
			/* The whole characters that fit, and the output is
			 * full: the next one cannot fit. */
			r = fit(p, r, o->b.max - o->b.len);
			put(o, (const char *)p, (size_t)(r - p));
			o->line_has = 1;
			o->full = 1;
			return;
		}
		put(o, (const char *)p, (size_t)(r - p));
		o->line_has = 1;
		p = r;
	}
}

/* ------------------------------------------------------------------ */
/* Looking at elements. */

/* 1 when attribute value v holds the white-space separated token tok
 * (prefix: a token starting with tok). */
static int
attr_token(const char *v, const char *tok, int prefix)
{
	const char *p;
	size_t tl = strlen(tok), wl;
	int found = 0;

	if (v == NULL)
		return 0;
	for (p = v; *p && !found; p += wl) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		wl = strcspn(p, " \t\r\n");
		if (wl == 0)
			break;
		found = prefix ? wl >= tl && strncasecmp(p, tok, tl) == 0 :
		    wl == tl && strncasecmp(p, tok, tl) == 0;
	}
	return found;
}

/* The style attribute, lower-cased without white space, or NULL. */
static char *
style_of(const struct hnode *n)
{
	char *r, *q;
	const char *p;

	if (n->style == NULL)
		return NULL;
	r = q = xmalloc(strlen(n->style) + 1);
	for (p = n->style; *p; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			*q++ = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	*q = '\0';
	return r;
}

/* The first bytes of the text under n, lines ended by block elements. */
static char *
peek_text(const struct hnode *top)
{
	struct buf b;
	const struct hnode *n = top;
	int depth = 0;

	buf_init(&b, PEEK_BYTES);
	while (n != NULL && b.len < PEEK_BYTES) {
		if (n->kind == N_TEXT && n->text) {
			size_t cl = strlen(n->text);

			buf_add(&b, n->text, cl < PEEK_BYTES - b.len ? cl :
			    PEEK_BYTES - b.len);
		} else if (n->kind == N_ELEMENT && (n->cls == EL_BR ||
		    n->cls == EL_PARA || strcmp(n->name, "div") == 0))
			buf_addch(&b, '\n');
		if (n->kind == N_ELEMENT && n->children != NULL &&
		    depth < LIMIT_HTML_DEPTH && n->cls != EL_SKIP) {
			n = n->children;
			depth++;
			continue;
		}
		while (n != top && n->next == NULL) {
			n = n->parent;
			depth--;
		}
		n = n == top ? NULL : n->next;
	}
	return buf_release(&b);
}

/* 1 when folded text s opens with a forward phrase. */
static int
starts_forward(const char *s)
{
	char *f = text_fold(s), *p = f;
	int i, r = 0;

	while (*p == '-' || *p == ' ' || *p == '_')
		p++;
	for (i = 0; forwards[i] && !r; i++)
		r = strncmp(p, forwards[i], strlen(forwards[i])) == 0;
	free(f);
	return r;
}

/* 1 when a "Subject:" line of s has a forward prefix (FW:, TR:, RV:...). */
static int
subject_forward(const char *s)
{
	static const char *const labels[] = {
		"subject", "objet", "asunto", "betreff", "assunto", NULL
	};
	static const char *const pfx[] = {
		"fw", "fwd", "tr", "rv", "wg", "enc", "reenv", NULL
	};
	const char *p = s, *e, *c;
	char *lab;
	int i, j, r = 0;
	size_t n;

	for (; *p && !r; p = *e ? e + 1 : e) {
		e = p + strcspn(p, "\n");
		if ((c = memchr(p, ':', (size_t)(e - p))) == NULL)
			continue;
		lab = xstrndup(p, (size_t)(c - p));
		{
			char *f = text_fold(lab);

			for (i = 0; labels[i] && !r; i++) {
				if (strcmp(f, labels[i]) != 0)
					continue;
				for (c++; *c == ' ' || *c == '\t' ||
				    (unsigned char)*c == 0xc2 ||
				    (unsigned char)*c == 0xa0; c++)
					;
				for (j = 0; pfx[j] && !r; j++) {
					n = strlen(pfx[j]);
					r = strncasecmp(c, pfx[j], n) == 0 &&
					    (c[n] == ':' || (c[n] == ' ' &&
					    c[n + 1] == ':'));
				}
			}
			free(f);
		}
		free(lab);
	}
	return r;
}

/* 1 when the text starts with a From label and a colon. */
static int
starts_from(const char *s)
{
	char buf[32];
	const char *c;
	char *f;
	size_t n;
	int r;

	while (*s == ' ' || *s == '\n' || *s == '*' || *s == '\t' ||
	    (unsigned char)*s == 0xc2 || (unsigned char)*s == 0xa0)
		s++;
	if ((c = strchr(s, ':')) == NULL || (n = (size_t)(c - s)) >= sizeof(buf))
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	f = text_fold(buf);
	r = strcmp(f, "from") == 0 || strcmp(f, "de") == 0 ||
	    strcmp(f, "von") == 0 || strcmp(f, "da") == 0;
	free(f);
	return r;
}

/* The last non-empty line written, folded, is a forward phrase. */
static int
after_forward(struct out *o)
{
	size_t end = o->b.len, start;
	char *line;
	int r;

	while (end > 0 && (o->b.data[end - 1] == '\n' ||
	    o->b.data[end - 1] == ' '))
		end--;
	start = end;
	while (start > 0 && o->b.data[start - 1] != '\n' && end - start < 200)
		start--;
	if (end == start)
		return 0;
	line = xstrndup(o->b.data + start, end - start);
	r = starts_forward(line);
	free(line);
	return r;
}

/* Outlook's reply header: div#divRplyFwdMsg or a border-top box opening
 * with "From:". */
static int
outlook_header(const struct hnode *n)
{
	char *st, *t;
	int r = 0;

	if (strcmp(n->name, "div") != 0)
		return 0;
	if (n->id != NULL && strcasecmp(n->id, "divRplyFwdMsg") == 0)
		return 1;
	if ((st = style_of(n)) == NULL)
		return 0;
	if (strstr(st, "border-top:solid") != NULL ||
	    strstr(st, "border-top:1ptsolid") != NULL) {
		t = peek_text(n);
		r = starts_from(t);
		free(t);
	}
	free(st);
	return r;
}

/* Gmail and Outlook indent with a borderless blockquote: the writer's own
 * text, not a quote. */
static int
indent_blockquote(const struct hnode *n)
{
	char *st;
	int r;

	if (attr_token(n->class, "gmail_quote", 0) ||
	    attr_token(n->type, "cite", 0))
		return 0;
	if ((st = style_of(n)) == NULL)
		return 0;
	r = strstr(st, "border:none") != NULL &&
	    strstr(st, "margin") != NULL;
	free(st);
	return r;
}

/* The next element sibling is Outlook's reply header. */
static int
header_follows(const struct hnode *n)
{
	int i;

	for (n = n->next, i = 0; n != NULL && i < 8; n = n->next, i++) {
		if (n->kind != N_ELEMENT)
			continue;
		if (strcmp(n->name, "hr") == 0)
			continue;
		return outlook_header(n);
	}
	return 0;
}

/* What a quote container becomes: 0 not one, 1 dropped after an
 * "Original Message" line, 2 a forward header (dropped after a
 * "Forwarded message" line), 3 a forward (content kept). */
static int
quote_kind(struct out *o, const struct hnode *n)
{
	char *t;
	int r;

	if (strcmp(n->name, "blockquote") == 0) {
		if (indent_blockquote(n) || after_forward(o))
			return 0;
		return 1;
	}
	if (!n->attrs)
		return 0;
	if (attr_token(n->class, "gmail_quote", 0) ||
	    attr_token(n->class, "yahoo_quoted", 0)) {
		t = peek_text(n);
		r = starts_forward(t) ? 3 : 1;
		free(t);
		return r;
	}
	if (attr_token(n->class, "moz-cite-prefix", 0))
		return 1;
	if (attr_token(n->id, "appendonsend", 0))
		return header_follows(n) ? 0 : 1;
	if (outlook_header(n)) {
		t = peek_text(n);
		r = subject_forward(t) ? 2 : 1;
		free(t);
		return r;
	}
	return 0;
}

static int
classify_name(const char *name)
{
	if (in_list(name, skipped))
		return EL_SKIP;
	if (strcmp(name, "br") == 0)
		return EL_BR;
	if (strcmp(name, "p") == 0)
		return EL_PARA;
	if (strcmp(name, "table") == 0)
		return EL_TABLE;
	if (strcmp(name, "tr") == 0)
		return EL_TR;
	if (strcmp(name, "td") == 0 || strcmp(name, "th") == 0)
		return EL_CELL;
	if (strcmp(name, "pre") == 0 || strcmp(name, "xmp") == 0 ||
	    strcmp(name, "listing") == 0 || strcmp(name, "plaintext") == 0)
		return EL_PRE;
	if (in_list(name, blocks))
		return EL_BLOCK;
	return EL_INLINE;
}

/*
 * What an element is, by its name, remembered for the names met so far:
 * every element is classified at its start tag, and a document uses a
 * few dozen names.  A small direct-mapped cache of names this process
 * has classified (intaked parses in one thread); a name longer than a
 * slot is classified each time.
 */
#define CLASS_CACHE	256
#define CLASS_NAME	16

static struct {
	char	 name[CLASS_NAME];
	int	 cls;
} class_cache[CLASS_CACHE];

static int
classify(const char *name)
{
	unsigned h = 5381;
	size_t len;

	for (len = 0; len < CLASS_NAME && name[len] != '\0'; len++)
		h = h * 33 + (unsigned char)name[len];
	if (len >= CLASS_NAME)
		return classify_name(name);
	h %= CLASS_CACHE;
	if (strcmp(class_cache[h].name, name) != 0 ||
	    class_cache[h].name[0] == '\0') {
		memcpy(class_cache[h].name, name, len + 1);
		class_cache[h].cls = classify_name(name);
	}
	return class_cache[h].cls;
}

/* ------------------------------------------------------------------ */
/* The walk. */

/* Entering element n at depth d; returns 0 to skip its content. */
static int
enter(struct out *o, const struct hnode *n, int d)
{
	struct row *r;
	int q;

	o->mark[d] = o->b.len;
	if ((q = quote_kind(o, n)) == 1 || q == 2) {
		mark_line(o, q == 1 ? ORIGINAL_MARK : FORWARD_MARK);
		return 0;
	}
	if (q == 3) {
		hard_break(o);
		return 1;
	}
	switch (n->cls) {
	case EL_SKIP:
		return 0;
	case EL_BR:
		if (cell_mode(o))
			o->space = 1;
		else
			newline(o);
		return 0;
	case EL_PARA:
	case EL_BLOCK:
		soft_break(o);
		break;
	case EL_PRE:
		soft_break(o);
		o->pre++;
		break;
	case EL_TABLE:
	case EL_TR:
		if (cell_mode(o)) {
			/* A table inside a cell: the outer row becomes
			 * lines. */
			o->rows[o->nrows - 1].broken = 1;
			while (o->b.len > 0 &&
			    o->b.data[o->b.len - 1] == '\t')
				o->b.data[--o->b.len] = '\0';
			o->line_has = o->b.len > 0 &&
			    o->b.data[o->b.len - 1] != '\n';
		}
		hard_break(o);
		if (n->cls == EL_TABLE)
			break;
		if (o->nrows <= LIMIT_HTML_DEPTH) {
			r = &o->rows[o->nrows++];
			memset(r, 0, sizeof(*r));
			r->start = o->b.len;
		}
		break;
	case EL_CELL:
		if (o->nrows == 0) {
			soft_break(o);
			break;
		}
		r = &o->rows[o->nrows - 1];
		if (r->broken && o->line_has)
			hard_break(o);
		trim_spaces(o);
		if (r->ncells > 0 && !r->broken)
			put(o, "\t", 1);
		r->ncells++;
		r->cellopen = 1;
		o->space = 0;
		o->nospace = 1;
		o->line_has = 1;
		break;
	}
	return 1;
}

static void
leave(struct out *o, const struct hnode *n, int d)
{
	struct row *r;
	size_t i;

	switch (n->cls) {
	case EL_PARA:
		/* An empty paragraph is a blank line (Outlook's spacing). */
		if (o->b.len == o->mark[d] && !o->line_has)
			blank_line(o);
		else
			soft_break(o);
		break;
	case EL_BLOCK:
		soft_break(o);
		break;
	case EL_PRE:
		if (o->pre > 0)
			o->pre--;
		soft_break(o);
		break;
	case EL_TABLE:
		hard_break(o);
		break;
	case EL_CELL:
		if (o->nrows == 0) {
			soft_break(o);
			break;
		}
		o->rows[o->nrows - 1].cellopen = 0;
		o->space = 0;
		o->nospace = 0;
		break;
	case EL_TR:
		if (o->nrows == 0)
			break;
		r = &o->rows[o->nrows - 1];
		trim_spaces(o);
		/* A row of empty cells leaves nothing. */
		for (i = r->start; i < o->b.len && o->b.data[i] == '\t'; i++)
			;
		if (i == o->b.len && !r->broken) {
			o->b.len = r->start;
			if (o->b.data)
				o->b.data[o->b.len] = '\0';
			o->line_has = o->b.len > 0 &&
			    o->b.data[o->b.len - 1] != '\n';
		}
		o->nrows--;
		hard_break(o);
		break;
	default:
		break;
	}
}

static void
walk(struct out *o, struct hnode *top)
{
	struct hnode *n = top;
	int d = 0, descend;

	while (n != NULL && !o->full) {
		descend = 0;
		if (n->kind == N_TEXT) {
			if (n->text)
				text(o, n->text, n->len);
		} else if (n->kind == N_ELEMENT) {
			descend = enter(o, n, d);
			if (!descend)
				n->noleave = 1;
		}
		if (descend && n->children != NULL && d < LIMIT_HTML_DEPTH) {
			n = n->children;
			d++;
			continue;
		}
		for (;;) {
			if (n->kind == N_ELEMENT && !n->noleave)
				leave(o, n, d);
			if (n == top) {
				n = NULL;
				break;
			}
			if (n->next != NULL) {
				n = n->next;
				break;
			}
			n = n->parent;
			d--;
		}
	}
}

/* ------------------------------------------------------------------ */
/* Reading. */

#define HTML_OPTIONS	(HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | \
	HTML_PARSE_NOWARNING | HTML_PARSE_NONET | HTML_PARSE_IGNORE_ENC)

#define BLOCK_BYTES	16384	/* a block of the tree's memory */

/* Memory for the nodes and their text, freed all at once. */
struct block {
	struct block	*next;
	size_t		 size;
	size_t		 used;
	char		 data[];
};

/*
 * The tree under construction.  open[] is libxml2's stack of open nodes
 * (nodePush(), nodePop()): an element's end returns to the node opened
 * before it, which is not always its parent.  libxml2 stops the parse
 * when that stack would pass xmlParserMaxDepth (256, LIMIT_HTML_DEPTH);
 * so does start_element().
 */
struct tree {
	struct hnode	 doc;		/* children: the top level */
	int		 nopen;
	int		 dtd;		/* a DOCTYPE node heads the top level */
	struct block	*blocks;	/* the newest first */
	size_t		 bytes;		/* held in blocks */
	size_t		 max;		/* cap on bytes */
	xmlDictPtr	 dict;		/* the parser's, holding the names */
	struct hnode	*open[LIMIT_HTML_DEPTH + 1];	/* not cleared */
};

/* n bytes (aligned for a node when align), or NULL past the cap. */
static void *
tree_alloc(struct tree *t, size_t n, int align)
{
	struct block *b = t->blocks;
	size_t at = 0, size;

	if (b != NULL)
		at = align ? (b->used + 7) & ~(size_t)7 : b->used;
	if (b == NULL || at > b->size || n > b->size - at) {
		if (n > t->max / 2)
			return NULL;
		/* Room for a text to double before it moves again. */
		size = n > BLOCK_BYTES / 2 ? 2 * n : BLOCK_BYTES;
		if (t->bytes > t->max - size)
			return NULL;
		b = xmalloc(sizeof(*b) + size);
		b->next = t->blocks;
		b->size = size;
		b->used = 0;
		t->blocks = b;
		t->bytes += size;
		at = 0;
	}
	b->used = at + n;
	return b->data + at;
}

static void
tree_free(struct tree *t)
{
	struct block *b, *next;

	for (b = t->blocks; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	t->blocks = NULL;
	if (t->dict != NULL)
		xmlDictFree(t->dict);
	t->dict = NULL;
}

static struct tree *
tree_of(void *ctx)
{
	return ((htmlParserCtxtPtr)ctx)->_private;
}

/* A new node, or NULL when the tree is full (the parse is stopped). */
static struct hnode *
node_new(void *ctx, int kind)
{
	struct hnode *n;

	if ((n = tree_alloc(tree_of(ctx), sizeof(*n), 1)) == NULL) {
		xmlStopParser(ctx);
		return NULL;
	}
	memset(n, 0, sizeof(*n));
	n->kind = (unsigned char)kind;
	return n;
}

static void
append(struct hnode *parent, struct hnode *n)
{
	n->parent = parent;
	if (parent->last != NULL)
		parent->last->next = n;
	else
		parent->children = n;
	parent->last = n;
}

static struct hnode *
current(const struct tree *t)
{
	return t->nopen > 0 ? t->open[t->nopen - 1] : NULL;
}

/* Text n grows by s[0..len): in place when it is the last thing of the
 * newest block and fits, else moved. */
static int
text_add(struct tree *t, struct hnode *n, const char *s, size_t len)
{
	struct block *b = t->blocks;
	char *p;

	if (n->text != NULL && b != NULL &&
	    n->text + n->len + 1 == b->data + b->used &&
	    len <= b->size - b->used) {
		b->used += len;
	} else {
		if (len > t->max || n->len > t->max - len ||
		    (p = tree_alloc(t, n->len + len + 1, 0)) == NULL)
			return -1;
		if (n->len > 0)
			memcpy(p, n->text, n->len);
		n->text = p;
	}
	memcpy(n->text + n->len, s, len);
	n->len += len;
	n->text[n->len] = '\0';
	return 0;
}

/* A copy of an attribute's value; libxml2 reads a value-less one as "". */
static const char *
attr_copy(void *ctx, const xmlChar *v)
{
	size_t n = v != NULL ? strlen((const char *)v) : 0;
	char *p;

	if ((p = tree_alloc(tree_of(ctx), n + 1, 0)) == NULL) {
		xmlStopParser(ctx);
		return NULL;
	}
	if (n > 0)
		memcpy(p, v, n);
	p[n] = '\0';
	return p;
}

/* 1 when a class attribute's value v holds one of the classes
 * quote_kind() looks for. */
static int
quote_class(const xmlChar *v)
{
	static const char *const classes[] = {
		"gmail_quote", "yahoo_quoted", "moz-cite-prefix", NULL
	};
	int j;

	/* Each of the classes holds a '_' or a '-'. */
	if (v == NULL || strpbrk((const char *)v, "_-") == NULL)
		return 0;
	for (j = 0; classes[j]; j++)
		if (strcasestr((const char *)v, classes[j]) != NULL)
			return 1;
	return 0;
}

/*
 * Keeps the attributes the walk can read: an id anywhere; a class holding
 * one of the classes quote_kind() looks for; a style on a div or a
 * blockquote (outlook_header(), indent_blockquote()); a type on a
 * blockquote (el: the name as written, prefix and all).  An element left
 * with none is read the same way as one with only attributes the walk
 * never asks for.  The parser writes names in lower case and drops a
 * repeated one.  Most attributes are none of these, which their first
 * letter tells.
 */
static int
attr_keep(void *ctx, struct hnode *n, const char *el, const xmlChar **atts)
{
	const char **slot, *name;
	const xmlChar *v;
	size_t i;

	for (i = 0; atts[i] != NULL; i += 2) {
		name = (const char *)atts[i];
		v = atts[i + 1];
		slot = NULL;
		switch (name[0]) {
		case 'i':
			if (strcmp(name, "id") == 0)
				slot = &n->id;
			break;
		case 'c':
			if (strcmp(name, "class") == 0 && quote_class(v))
				slot = &n->class;
			break;
		case 's':
			if (strcmp(name, "style") == 0 &&
			    (strcmp(el, "div") == 0 ||
			    strcmp(el, "blockquote") == 0))
				slot = &n->style;
			break;
		case 't':
			if (strcmp(name, "type") == 0 &&
			    strcmp(el, "blockquote") == 0)
				slot = &n->type;
			break;
		}
		if (slot == NULL || *slot != NULL)
			continue;
		if ((*slot = attr_copy(ctx, v)) == NULL)
			return -1;
		n->attrs = 1;
	}
	return 0;
}

/*
 * The name libxml2's tree gives an element written name: a prefix "x:"
 * is dropped (xmlSplitQName()), so Word's <o:p> is a p, unless the name
 * starts with the colon or ends at it.
 */
static const char *
local_name(const char *name)
{
	const char *c;

	if (name[0] == ':' || (c = strchr(name, ':')) == NULL ||
	    c[1] == '\0')
		return name;
	return c + 1;
}

/*
 * An element starts: named and placed as xmlSAX2StartElement() names and
 * places it.  The
 * first node of the document is its root; with no open element, a new one
 * goes under the first top-level node when that is an element, else at
 * the top level (which the walk never reaches past the root).
 */
static void
start_element(void *ctx, const xmlChar *name, const xmlChar **atts)
{
	struct tree *t = tree_of(ctx);
	struct hnode *n, *parent = current(t);

	if (t->nopen > LIMIT_HTML_DEPTH ||
	    (unsigned int)t->nopen > xmlParserMaxDepth) {
		xmlStopParser(ctx);
		return;
	}
	if ((n = node_new(ctx, N_ELEMENT)) == NULL)
		return;
	n->name = local_name((const char *)name);
	n->cls = (unsigned char)classify(n->name);
	if (atts != NULL && attr_keep(ctx, n, (const char *)name, atts) == -1)
		return;
	if (t->doc.children == NULL)
		append(&t->doc, n);
	else if (parent == NULL)
		parent = t->doc.children;
	t->open[t->nopen++] = n;
	if (parent != NULL)
		append(parent->kind == N_ELEMENT ? parent : &t->doc, n);
}

static void
end_element(void *ctx, const xmlChar *name)
{
	struct tree *t = tree_of(ctx);

	(void)name;
	if (t->nopen > 0)
		t->nopen--;
}

/* Text goes to the open element (none: dropped), joining its last child
 * when that is text. */
static void
characters(void *ctx, const xmlChar *s, int len)
{
	struct tree *t = tree_of(ctx);
	struct hnode *p = current(t), *n;

	if (p == NULL || len < 0)
		return;
	if ((n = p->last) == NULL || n->kind != N_TEXT) {
		if ((n = node_new(ctx, N_TEXT)) == NULL)
			return;
		append(p, n);
	}
	if (text_add(t, n, (const char *)s, (size_t)len) == -1)
		xmlStopParser(ctx);
}

/* The content of script and style: a node, never read. */
static void
cdata_block(void *ctx, const xmlChar *s, int len)
{
	struct hnode *p = current(tree_of(ctx)), *n;

	(void)s;
	(void)len;
	if (p == NULL || (p->last != NULL && p->last->kind == N_CDATA))
		return;
	if ((n = node_new(ctx, N_CDATA)) != NULL)
		append(p, n);
}

/* A comment or a processing instruction: a node that holds nothing. */
static void
other_node(void *ctx)
{
	struct tree *t = tree_of(ctx);
	struct hnode *p = current(t), *n;

	if ((n = node_new(ctx, N_OTHER)) != NULL)
		append(p != NULL ? p : &t->doc, n);
}

static void
comment(void *ctx, const xmlChar *value)
{
	(void)value;
	other_node(ctx);
}

static void
processing_instruction(void *ctx, const xmlChar *target, const xmlChar *data)
{
	(void)target;
	(void)data;
	other_node(ctx);
}

/* A DOCTYPE, wherever it is met: the first one heads the top level. */
static void
internal_subset(void *ctx, const xmlChar *name, const xmlChar *eid,
    const xmlChar *sid)
{
	struct tree *t = tree_of(ctx);
	struct hnode *n;

	(void)name;
	(void)eid;
	(void)sid;
	if (t->dtd || (n = node_new(ctx, N_OTHER)) == NULL)
		return;
	t->dtd = 1;
	n->parent = &t->doc;
	n->next = t->doc.children;
	t->doc.children = n;
	if (t->doc.last == NULL)
		t->doc.last = n;
}

/*
 * Parses html[0..len) into t with htmlParseDocument(), which keeps the
 * handler of the context it is given: ours build t instead of an xmlDoc
 * (no document is made, there is none to free).  The element names stay
 * in the parser's dictionary, which t keeps a reference to.
 *
 * The input is UTF-8 (text_sanitize() made it valid UTF-8 without NUL):
 * the context made for it by htmlCreateMemoryParserCtxt() is told so with
 * xmlSwitchEncoding(), which skips a UTF-8 BOM and converts nothing, and
 * HTML_PARSE_IGNORE_ENC keeps a <meta> charset from changing that.
 * htmlCtxtReadMemory() given "UTF-8" read the same through a converter
 * from UTF-8 to UTF-8, which copied the whole input once more and was
 * asked for more input at every step over the last bytes.
 */
static void
html_read(struct tree *t, const char *html, int len)
{
	htmlParserCtxtPtr ctxt;
	htmlSAXHandlerPtr sax;

	if ((ctxt = htmlCreateMemoryParserCtxt(html, len)) == NULL)
		return;
	if ((sax = ctxt->sax) != NULL &&
	    xmlSwitchEncoding(ctxt, XML_CHAR_ENCODING_UTF8) == 0) {
		sax->startDocument = NULL;
		sax->endDocument = NULL;
		sax->internalSubset = internal_subset;
		sax->startElement = start_element;
		sax->endElement = end_element;
		sax->characters = characters;
		sax->cdataBlock = cdata_block;
		sax->comment = comment;
		sax->processingInstruction = processing_instruction;
		ctxt->_private = t;
		htmlCtxtUseOptions(ctxt, HTML_OPTIONS);
		htmlParseDocument(ctxt);
	}
	/* Element names outlive the parser, or no element is kept. */
	if (ctxt->dict != NULL && xmlDictReference(ctxt->dict) == 0)
		t->dict = ctxt->dict;
	else
		memset(&t->doc, 0, sizeof(t->doc));
	htmlFreeParserCtxt(ctxt);
}

char *
html_to_text(const char *html, size_t len, size_t max, size_t *outlen)
{
	struct out *o;
	struct tree *t;
	struct hnode *root;
	char *clean, *r;
	size_t clen;

	if (html == NULL || len == 0 || max == 0) {
		if (outlen)
			*outlen = 0;
		return xstrdup("");
	}
	if (len > (size_t)LIMIT_PART_TEXT * 4)
		len = (size_t)LIMIT_PART_TEXT * 4;
	clean = text_sanitize(html, len, &clen);
	t = xmalloc(sizeof(*t));
	memset(t, 0, offsetof(struct tree, open));
	/* Far more than the tree of any input of this size takes. */
	t->max = clen * 128 + ((size_t)1 << 20);
	html_read(t, clean, (int)clen);
	free(clean);

	o = xmalloc(sizeof(*o));
	memset(o, 0, offsetof(struct out, rows));
	buf_init(&o->b, max);
	for (root = t->doc.children; root != NULL; root = root->next)
		if (root->kind == N_ELEMENT) {
			walk(o, root);
			break;
		}
	tree_free(t);
	free(t);
	if (!o->full) {
		hard_break(o);
		while (o->b.len > 0 && o->b.data[o->b.len - 1] == '\n' &&
		    (o->b.len == 1 || o->b.data[o->b.len - 2] == '\n'))
			o->b.data[--o->b.len] = '\0';
	}
	if (outlen)
		*outlen = o->b.len;
	r = buf_release(&o->b);
	free(o);
	return r;
}
