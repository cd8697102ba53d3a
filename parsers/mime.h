/*
 * mime.h -- one raw RFC 5322 message to decoded header fields and UTF-8
 * text parts, with libetpan.
 *
 * mime_parse() walks the MIME tree under the caps of limits.h, decodes
 * transfer encodings, converts charsets (text.h), decodes RFC 2047 words in
 * headers and RFC 2047/2231 file names, turns text/html into text (html.h)
 * and keeps text/plain and text/csv attachments.  Non-text attachments are
 * counted, not kept.  It never fails on malformed mail: what cannot be read
 * is left out and noted in the message's notes.  The caller owns the
 * returned message and frees it with mime_message_free().
 */
#ifndef INTAKE_MIME_H
#define INTAKE_MIME_H

#include <stddef.h>
#include <stdint.h>

enum mime_part_kind {
	MIME_PART_PLAIN,	/* text/plain body (inline) */
	MIME_PART_HTML,		/* text/html body, flattened by html.c */
	MIME_PART_ATTACHED_TEXT, /* text/plain or text/csv attachment */
	MIME_PART_CSV		/* text/csv, inline or attached */
};

struct mime_part {
	enum mime_part_kind kind;
	char	*text;		/* UTF-8, NUL-terminated, CRLF -> LF; read
				   it through mime_part_text() */
	size_t	 len;
	char	*filename;	/* decoded, or NULL */
	int	 alternative;	/* index of its multipart/alternative group,
				   -1 when not inside one */
	int	 html_pending;	/* text is still the HTML source */
	size_t	 cap;		/* ... and its text will be cut there */
	int	 shared;	/* text lies in the message's buf, not
				   freed alone */
};

struct mime_header {
	char	*name;		/* as written */
	char	*value;		/* unfolded; RFC 2047 decoded to UTF-8;
				   in name's allocation */
};

struct mime_hmem;

struct mime_message {
	struct mime_header *headers;	/* top-level header, in order */
	struct mime_hmem *hmem;		/* where their names and values lie */
	size_t	 nheaders;
	uint64_t hnames;	/* a bit for each name among them
				   (mime_header_get()) */
	struct mime_part *parts;
	size_t	 nparts;
	size_t	 nattachments;	/* other attachments (pdf, doc, images...) */
	int	 is_report;	/* multipart/report or message/delivery-status
				   or message/disposition-notification seen */
	int	 truncated;	/* a cap of limits.h cut something */
	char	*notes;		/* what was left out and why, or NULL */
	char	*buf;		/* the message's text, where parts without
				   transfer encoding may lie, or NULL */
};

/*
 * Parse len bytes.  Returns 0 and sets *out, or -1 with a reason in err
 * when nothing at all could be read (the message is then quarantined).
 */
int	 mime_parse(const char *raw, size_t len, struct mime_message **out,
	    char *err, size_t errlen);
void	 mime_message_free(struct mime_message *);

/*
 * The text of part p of m.  An HTML part that follows a text/plain part of
 * its multipart/alternative group is turned into text only here, when
 * first asked for: a caller satisfied with the plain twin never pays for
 * the HTML.  May set m->truncated.  Borrowed from m.
 */
const char *mime_part_text(struct mime_message *m, struct mime_part *p);

/* Value of the first header named name (case-insensitive), or NULL.
 * Borrowed from msg. */
const char *mime_header_get(const struct mime_message *, const char *name);

/*
 * Parse an address header value ("Name <a@b>", "a@b (c)", encoded words).
 * Sets *addr (lower-cased domain, or NULL) and *name (or NULL); both
 * malloc'd, caller frees.  Returns 0, or -1 when no address was found.
 */
int	 mime_address(const char *value, char **addr, char **name);

/* Message-ids of an In-Reply-To or References value, without angle
 * brackets, at most max of them; returns the count; caller frees each and
 * the array. */
size_t	 mime_msgids(const char *value, char ***ids, size_t max);

/*
 * The Message-ID of a raw message (without brackets), found without
 * parsing it: for a message the parser could not be trusted with.
 * Malloc'd, or NULL.
 */
char	*mime_peek_msgid(const char *raw, size_t len);

#endif
