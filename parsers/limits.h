/*
 * limits.h -- every cap intaked applies to remote input, in one place.
 *
 * Mail comes from anyone.  Each number below bounds memory or CPU spent on
 * one message; going over a cap is a decision with a reason (quarantine,
 * review, a dropped part), never a silent crash or an unbounded loop.
 */
#ifndef INTAKE_LIMITS_H
#define INTAKE_LIMITS_H

#define LIMIT_MESSAGE_BYTES	(32u * 1024 * 1024) /* raw message handed to MIME */
#define LIMIT_HEADER_COUNT	512	/* header fields kept per message */
#define LIMIT_HEADER_BYTES	(64u * 1024)	/* one decoded header value */
#define LIMIT_PEEK_HEADER_BYTES	(256u * 1024)	/* header scanned for a Message-ID only */
#define LIMIT_MIME_PARTS	1000	/* leaf parts walked */
#define LIMIT_MIME_DEPTH	32	/* multipart / message nesting */
#define LIMIT_PART_TEXT		(2u * 1024 * 1024)	/* decoded text of one part */
#define LIMIT_TOTAL_TEXT	(4u * 1024 * 1024)	/* decoded text of all parts */
#define LIMIT_COMMENT_DEPTH	32	/* nested (comments) in a header */
/* What the MIME pre-scan lets through to libetpan, which recurses per
 * nesting level and rescans a part once per enclosing multipart. */
#define LIMIT_MIME_NESTING	(LIMIT_MIME_DEPTH * 4)	/* levels parsed */
#define LIMIT_MIME_DELIMS	100000	/* lines starting "--" */
#define LIMIT_MIME_FIELDS	20000	/* nested header fields */
#define LIMIT_MIME_HEADERS	(1024u * 1024)	/* nested header bytes */
#define LIMIT_MIME_SCAN		(256u * 1024 * 1024)	/* boundary scan bytes */
#define LIMIT_HTML_DEPTH	256	/* libxml2's own cap, restated */
#define LIMIT_LINE_BYTES	4096	/* a longer line is cut for extraction */
#define LIMIT_LINES		20000	/* lines looked at per part */
#define LIMIT_OFFICIALS		50	/* officials taken from one message */
#define LIMIT_FIELD_BYTES	256	/* one extracted field value */
#define LIMIT_REFERENCES	64	/* message-ids kept from References */
#define LIMIT_REGEX_MATCH	100000	/* PCRE2 match limit */
#define LIMIT_REGEX_DEPTH	1000	/* PCRE2 depth limit */
#define LIMIT_REGEX_HEAP_KIB	1024	/* PCRE2 heap limit */
#define LIMIT_DATA_ENTRIES	10000	/* entries of one reference data file */
#define LIMIT_DATA_NAMES	256	/* names and aliases of one Party */
#define LIMIT_REPLY_BYTES	(1024u * 1024)	/* one rendered reply, headers and body */
#define LIMIT_REPLY_REFERENCES	10	/* message-ids in a reply's References */
#define LIMIT_REPLY_SUBJECT	200	/* bytes of the sender's subject quoted back */
#define LIMIT_TEMPLATE_BYTES	(64u * 1024)	/* one reply template file */

/* Forms, and what the extractor takes for a label or a table. */
#define LIMIT_FORM_LABELS	1000	/* labels in one form file */
#define LIMIT_FORM_WORDS	2000	/* triggers, or hint words of a language */
#define LIMIT_LABEL_BYTES	60	/* a label, in a form or in a text */
#define LIMIT_LABEL_WORDS	6	/* words of a label */
#define LIMIT_TABLE_CELLS	32	/* cells of one table row looked at */
#define LIMIT_LANG_BYTES	(8u * 1024)	/* text scored for its language */
#define LIMIT_LABEL_FOLDS	20000	/* non-ASCII label candidates per text */

/* The IMAP session: what one command names, returns or may take. */
#define LIMIT_IMAP_SEARCH_UIDS	10000	/* UIDs one IMAP search hands back */
#define LIMIT_IMAP_SET_UIDS	1000	/* UIDs named in one IMAP command */
#define LIMIT_IMAP_BATCH_MSGS	256	/* messages in one body UID FETCH */
#define LIMIT_IMAP_HEADER_BYTES	(1u * 1024 * 1024) /* header of an oversize message */
#define LIMIT_IMAP_MIN_RATE	(16u * 1024)	/* bytes/s an IMAP deadline allows for */
#define LIMIT_IMAP_FOLDER_BYTES	512	/* a folder name as the server sees it */
#define LIMIT_IMAP_FOLDER_DEPTH	16	/* levels in a configured folder name */

#endif
