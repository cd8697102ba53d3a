/*
 * html.c -- HTML to text with libxml2's HTML parser (see html.h).
 *
 * The document is parsed in recovery mode and its tree walked without
 * recursion (a cursor over parent/children/next links, at most
 * LIMIT_HTML_DEPTH levels).  Text is written a line at a time: runs of
 * white space collapse to one space, block elements end lines, a table row
 * is one line of TAB-separated cells, and a table inside a cell breaks its
 * row into lines.  Quoted earlier mail (blockquote, Gmail's gmail_quote,
 * Outlook's reply header, Thunderbird's cite prefix) becomes one line
 * "-----Original Message-----" for quote.c and its content is dropped; a
 * forwarded message is kept under a "Forwarded message" line instead,
 * because a forwarded request is data.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/SAX2.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>

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
	struct row rows[LIMIT_HTML_DEPTH + 1];
	int	 nrows;
	size_t	 mark[LIMIT_HTML_DEPTH + 2];	/* output length at entry */
};

enum { EL_INLINE, EL_SKIP, EL_BLOCK, EL_PARA, EL_BR, EL_TABLE, EL_TR,
    EL_CELL, EL_PRE, EL_QUOTE };

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
	if (!o->full && buf_add(&o->b, s, n) == -1)
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

/* A character text() copies as it is: whole (no NUL inside), not white
 * space, CR, an invisible U+200B/U+FEFF, nor the end. */
static int
plain_char(const unsigned char *p, int pre)
{
	size_t n;

	if (*p < 0x80)
		return *p > ' ' || (*p != '\0' && *p != ' ' && *p != '\t' &&
		    *p != '\n' && *p != '\f' && *p != '\v' && *p != '\r' &&
		    !(pre && *p == '\n'));
	n = utf8_len(*p);
	if (strnlen((const char *)p, n) < n)
		return 0;
	if (n == 3 && ((p[0] == 0xe2 && p[1] == 0x80 && p[2] == 0x8b) ||
	    (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)))
		return 0;
	return !(n == 2 && p[0] == 0xc2 && p[1] == 0xa0);
}

static void
text(struct out *o, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *r;
	size_t n;

	while (*p && !o->full) {
		n = utf8_len(*p);
		if (strnlen((const char *)p, n) < n)
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
		 * own go in one piece, when all of them fit. */
		r = p + n;
		for (;;) {
			/* Printable ASCII, most of a text, a byte at a
			 * time; the rest as plain_char() says. */
			while (*r > ' ' && *r < 0x80)
				r++;
			if (!plain_char(r, o->pre))
				break;
			r += utf8_len(*r);
		}
		if (o->full || o->b.len + (size_t)(r - p) > o->b.max)
			r = p + n;
		put(o, (const char *)p, (size_t)(r - p));
		o->line_has = 1;
		p = r;
	}
}

/* ------------------------------------------------------------------ */
/* Looking at elements. */

static const char *
node_name(const xmlNode *n)
{
	return (const char *)n->name;
}

/* 1 when attribute attr of n holds the white-space separated token tok
 * (prefix: a token starting with tok). */
static int
attr_token(xmlNode *n, const char *attr, const char *tok, int prefix)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)attr);
	const char *p;
	size_t tl = strlen(tok), wl;
	int found = 0;

	if (v == NULL)
		return 0;
	for (p = (const char *)v; *p && !found; p += wl) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		wl = strcspn(p, " \t\r\n");
		if (wl == 0)
			break;
		found = prefix ? wl >= tl && strncasecmp(p, tok, tl) == 0 :
		    wl == tl && strncasecmp(p, tok, tl) == 0;
	}
	xmlFree(v);
	return found;
}

/* The style attribute, lower-cased without white space, or NULL. */
static char *
style_of(xmlNode *n)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)"style");
	char *r, *q;
	const char *p;

	if (v == NULL)
		return NULL;
	r = q = xmalloc(strlen((const char *)v) + 1);
	for (p = (const char *)v; *p; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			*q++ = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	*q = '\0';
	xmlFree(v);
	return r;
}

/* The first bytes of the text under n, lines ended by block elements. */
static char *
peek_text(xmlNode *top)
{
	struct buf b;
	xmlNode *n = top;
	int depth = 0;

	buf_init(&b, PEEK_BYTES);
	while (n != NULL && b.len < PEEK_BYTES) {
		if (n->type == XML_TEXT_NODE && n->content) {
			size_t cl = strlen((const char *)n->content);

			buf_add(&b, n->content, cl < PEEK_BYTES - b.len ? cl :
			    PEEK_BYTES - b.len);
		} else if (n->type == XML_ELEMENT_NODE &&
		    (strcmp(node_name(n), "br") == 0 ||
		    strcmp(node_name(n), "p") == 0 ||
		    strcmp(node_name(n), "div") == 0))
			buf_addch(&b, '\n');
		if (n->type == XML_ELEMENT_NODE && n->children != NULL &&
		    depth < LIMIT_HTML_DEPTH &&
		    !in_list(node_name(n), skipped)) {
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
outlook_header(xmlNode *n)
{
	xmlChar *id;
	char *st, *t;
	int r = 0;

	if (strcmp(node_name(n), "div") != 0)
		return 0;
	if ((id = xmlGetProp(n, (const xmlChar *)"id")) != NULL) {
		r = strcasecmp((const char *)id, "divRplyFwdMsg") == 0;
		xmlFree(id);
		if (r)
			return 1;
	}
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
indent_blockquote(xmlNode *n)
{
	char *st;
	int r;

	if (attr_token(n, "class", "gmail_quote", 0) ||
	    attr_token(n, "type", "cite", 0))
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
header_follows(xmlNode *n)
{
	int i;

	for (n = n->next, i = 0; n != NULL && i < 8; n = n->next, i++) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (strcmp(node_name(n), "hr") == 0)
			continue;
		return outlook_header(n);
	}
	return 0;
}

/* What a quote container becomes: 0 not one, 1 dropped after an
 * "Original Message" line, 2 a forward header (dropped after a
 * "Forwarded message" line), 3 a forward (content kept). */
static int
quote_kind(struct out *o, xmlNode *n)
{
	const char *name = node_name(n);
	char *t;
	int r;

	if (strcmp(name, "blockquote") == 0) {
		if (indent_blockquote(n) || after_forward(o))
			return 0;
		return 1;
	}
	if (n->properties == NULL)
		return 0;
	if (attr_token(n, "class", "gmail_quote", 0) ||
	    attr_token(n, "class", "yahoo_quoted", 0)) {
		t = peek_text(n);
		r = starts_forward(t) ? 3 : 1;
		free(t);
		return r;
	}
	if (attr_token(n, "class", "moz-cite-prefix", 0))
		return 1;
	if (attr_token(n, "id", "appendonsend", 0))
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
 * every element is looked at on the way in and out, and a document uses
 * a few dozen names.  A small direct-mapped cache of names this process
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
classify(xmlNode *n)
{
	const char *name = node_name(n);
	size_t len = strnlen(name, CLASS_NAME);
	unsigned h = 5381;
	size_t i;

	if (len >= CLASS_NAME)
		return classify_name(name);
	for (i = 0; i < len; i++)
		h = h * 33 + (unsigned char)name[i];
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
enter(struct out *o, xmlNode *n, int d)
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
	switch (classify(n)) {
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
		if (classify(n) == EL_TABLE)
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
leave(struct out *o, xmlNode *n, int d)
{
	struct row *r;
	size_t i;

	switch (classify(n)) {
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
walk(struct out *o, xmlNode *top)
{
	xmlNode *n = top;
	int d = 0, descend;

	while (n != NULL && !o->full) {
		descend = 0;
		if (n->type == XML_TEXT_NODE) {
			if (n->content)
				text(o, (const char *)n->content);
		} else if (n->type == XML_ELEMENT_NODE) {
			descend = enter(o, n, d);
			if (!descend)
				n->_private = n;	/* no leave() */
		}
		if (descend && n->children != NULL && d < LIMIT_HTML_DEPTH) {
			n = n->children;
			d++;
			continue;
		}
		for (;;) {
			if (n->type == XML_ELEMENT_NODE && n->_private == NULL)
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
	HTML_PARSE_NOWARNING | HTML_PARSE_NONET)

/*
 * Whether the walk can read attribute name="value" of element el (the
 * HTML parser writes both names in lower case): an id anywhere; a class
 * holding one of the classes quote_kind() looks for; a style on a div or
 * a blockquote (outlook_header(), indent_blockquote()); a type on a
 * blockquote.  An element left with no attribute is read the same way as
 * one with only attributes the walk never asks for.
 */
static int
attr_read(const char *el, const char *name, const char *value)
{
	static const char *const classes[] = {
		"gmail_quote", "yahoo_quoted", "moz-cite-prefix", NULL
	};
	int i;

	if (strcmp(name, "id") == 0)
		return 1;
	if (strcmp(name, "class") == 0) {
		for (i = 0; value != NULL && classes[i]; i++)
			if (strcasestr(value, classes[i]) != NULL)
				return 1;
		return 0;
	}
	if (strcmp(name, "style") == 0)
		return strcmp(el, "div") == 0 || strcmp(el, "blockquote") == 0;
	if (strcmp(name, "type") == 0)
		return strcmp(el, "blockquote") == 0;
	return 0;
}

/*
 * An element starts: libxml2's own handler builds it with only the
 * attributes the walk can read.  Outlook writes several on every
 * paragraph and cell (class, style, width, valign, lang...), and building
 * each as nodes costs more than parsing it.  The parser has dropped
 * repeated names already, so few are kept; with more (which cannot be)
 * all are.
 */
static void
start_element(void *ctx, const xmlChar *name, const xmlChar **atts)
{
	const xmlChar *keep[2 * 8 + 1];
	size_t i, k = 0;

	if (atts == NULL) {
		xmlSAX2StartElement(ctx, name, atts);
		return;
	}
	for (i = 0; atts[i] != NULL; i += 2) {
		if (!attr_read((const char *)name, (const char *)atts[i],
		    (const char *)atts[i + 1]))
			continue;
		if (k + 2 >= sizeof(keep) / sizeof(keep[0])) {
			xmlSAX2StartElement(ctx, name, atts);
			return;
		}
		keep[k++] = atts[i];
		keep[k++] = atts[i + 1];
	}
	keep[k] = NULL;
	xmlSAX2StartElement(ctx, name, k > 0 ? keep : NULL);
}

/*
 * htmlReadMemory(html, len, NULL, "UTF-8", HTML_OPTIONS) with
 * start_element() in the parser's handler: htmlCtxtReadMemory() keeps the
 * handler of the context it is given.  Returns the document (xmlFreeDoc())
 * or NULL.
 */
static htmlDocPtr
html_read(const char *html, int len)
{
	htmlParserCtxtPtr ctxt;
	htmlDocPtr doc;

	if ((ctxt = htmlNewParserCtxt()) == NULL)
		return NULL;
	if (ctxt->sax != NULL)
		ctxt->sax->startElement = start_element;
	doc = htmlCtxtReadMemory(ctxt, html, len, NULL, "UTF-8", HTML_OPTIONS);
	htmlFreeParserCtxt(ctxt);
	return doc;
}

char *
html_to_text(const char *html, size_t len, size_t max, size_t *outlen)
{
	struct out *o;
	htmlDocPtr doc;
	xmlNode *root;
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
	doc = html_read(clean, (int)clen);
	free(clean);

	o = xcalloc(1, sizeof(*o));
	buf_init(&o->b, max);
	if (doc != NULL && (root = xmlDocGetRootElement(doc)) != NULL)
		walk(o, root);
	if (doc != NULL)
		xmlFreeDoc(doc);
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
