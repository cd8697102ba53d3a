/*
 * digest.c -- the Secretariat's daily summary mail (see digest.h).
 *
 * Three steps.  Gather: read-only SQL in one snapshot fills a few
 * sections, each a small table of text cells (a cell may hold several
 * lines).  Render: the same sections become the text part (main columns
 * aligned, long cells on their own indented lines) and the HTML part (one
 * table per section, inline styles only, so that it reads the same in
 * Outlook, Gmail and Thunderbird).  Wrap: headers, MIME parts,
 * quoted-printable and base64, and the CSV of report_export_csv().
 *
 * The Secretariat reads English, so the wording lives here, in the
 * constants below, rather than in per-language templates.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "buf.h"
#include "digest.h"
#include "fields.h"
#include "intake.h"
#include "reply.h"
#include "report.h"
#include "store.h"
#include "xmalloc.h"

#define QP_WIDTH	76	/* RFC 2045 6.7 */
#define B64_WIDTH	76

/* ---- wording ---- */

static const char *const field_words[FIELD_COUNT] = {
	"country", "last name", "first name", "organisation", "function",
	"telephone", "e-mail"
};

static const struct {
	unsigned	 bit;
	const char	*words;
} flag_words[] = {
	{ FLAG_NON_OFFICIAL_EMAIL,
	  "an official's e-mail address is at a free-mail provider" },
	{ FLAG_REPLY_SUPPRESSED, "no reply was sent" },
	{ FLAG_OVERSIZE, "too large: only the header was read" },
	{ FLAG_ATTACHMENT_ONLY, "data only in attachments" },
	{ FLAG_FOLLOW_UP, "a follow-up to one of our replies" },
	{ FLAG_TRUNCATED, "too long: not all of it was read" },
	{ FLAG_UNAUTHENTICATED, "the sender's domain failed authentication" },
	{ FLAG_DOMAIN_MISMATCH,
	  "an official's e-mail domain differs from the sender's" },
};

#define W_HEADING	"Access requests: daily digest"
#define W_FOOTER \
	"Complete requests are ready to forward to the platform's " \
	"administrators: the attached CSV file holds their officials, one " \
	"a row.  Incomplete requests were told what they miss and are " \
	"waiting for the sender.  Requests in review or quarantine need a " \
	"person: read them in their triage folders.  For the whole story " \
	"of a request: intakectl show REQ-NNNNNN.  After fixing what made a " \
	"reply fail: intakectl retry REQ-NNNNNN."
#define W_SENT_BY	"Sent by intaked, which reads the requests mailbox."

/* Colours: text, rule or border, and a light background per kind. */
#define C_TEXT		"#1d2939"
#define C_MUTED		"#475467"
#define C_LINE		"#eaecf0"
#define C_PAGE		"#f2f4f7"

enum section_kind {
	SEC_COMPLETE,
	SEC_INCOMPLETE,
	SEC_REVIEW,
	SEC_QUARANTINED,
	SEC_FAILED,
	SEC_COUNT
};

static const struct {
	const char	*title;
	const char	*box;		/* the summary box's words */
	const char	*empty;
	const char	*more;		/* the command that lists them all */
	const char	*accent;
	const char	*light;
} sec_words[SEC_COUNT] = {
	[SEC_COMPLETE] = { "New complete requests: ready to forward",
	    "complete, new", "No request became complete.",
	    "intakectl list --status complete", "#12b76a", "#ecfdf3" },
	[SEC_INCOMPLETE] = { "Incomplete requests: waiting for the sender",
	    "incomplete", "No request is waiting for missing fields.",
	    "intakectl list --status incomplete", "#f79009", "#fffaeb" },
	[SEC_REVIEW] = { "In review: a person must look at these",
	    "in review", "No request is waiting for review.",
	    "intakectl list --status review", "#2e90fa", "#eff8ff" },
	[SEC_QUARANTINED] = { "Quarantined: could not be read",
	    "quarantined", "No message is in quarantine.",
	    "intakectl list --status quarantined", "#7a5af8", "#f4f3ff" },
	[SEC_FAILED] = { "Replies that failed",
	    "failed replies", "No reply failed.",
	    "intakectl stats", "#f04438", "#fef3f2" },
};

/* ---- sections ---- */

struct dcol {
	const char	*head;
	int		 detail;	/* text part: on its own lines */
	int		 mono;		/* HTML: a reference, kept on one line */
};

struct section {
	enum section_kind	 kind;
	const struct dcol	*cols;
	size_t			 ncols;
	char			*intro;		/* or NULL */
	char			**cells;	/* nrows * ncols, malloc'd */
	size_t			 nrows;
	size_t			 cap;
	size_t			 total;		/* rows found (> nrows: capped) */
};

static const struct dcol complete_cols[] = {
	{ "Reference", 0, 1 }, { "Country", 0, 0 }, { "Received", 0, 0 },
	{ "From", 0, 0 }, { "Officials", 1, 0 }, { "Notes", 1, 0 },
};
static const struct dcol incomplete_cols[] = {
	{ "Reference", 0, 1 }, { "Country", 0, 0 }, { "Waiting", 0, 0 },
	{ "From", 0, 0 }, { "Missing or invalid", 1, 0 }, { "Notes", 1, 0 },
};
static const struct dcol review_cols[] = {
	{ "Reference", 0, 1 }, { "Waiting", 0, 0 }, { "From", 0, 0 },
	{ "Why", 1, 0 }, { "Subject", 1, 0 },
};
static const struct dcol quarantine_cols[] = {
	{ "Reference", 0, 1 }, { "Received", 0, 0 }, { "From", 0, 0 },
	{ "Reason", 1, 0 }, { "Subject", 1, 0 },
};
static const struct dcol failed_cols[] = {
	{ "Reference", 0, 1 }, { "Reply", 0, 0 }, { "To", 0, 0 },
	{ "Attempts", 0, 0 }, { "Since", 0, 0 }, { "Error", 1, 0 },
};

#define NCOLS(a)	(sizeof(a) / sizeof((a)[0]))

static void
section_init(struct section *s, enum section_kind kind,
    const struct dcol *cols, size_t ncols)
{
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->cols = cols;
	s->ncols = ncols;
}

/* Take a row of ncols cells (NULL: empty) unless the section is full;
 * counted either way. */
static void
section_add(struct section *s, const char *const *row)
{
	size_t i;

	s->total++;
	if (s->nrows >= DIGEST_MAX_ROWS)
		return;
	if (s->nrows == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->cells = xrealloc(s->cells, s->cap * s->ncols *
		    sizeof(*s->cells));
	}
	for (i = 0; i < s->ncols; i++)
		s->cells[s->nrows * s->ncols + i] = xstrdup(row[i] ? row[i] :
		    "");
	s->nrows++;
}

static void
section_free(struct section *s)
{
	size_t i;

	for (i = 0; i < s->nrows * s->ncols; i++)
		free(s->cells[i]);
	free(s->cells);
	free(s->intro);
}

struct digest {
	const struct digest_opts *o;
	sqlite3			*db;
	int64_t			 count[STATUS_COUNT];	/* all requests */
	int64_t			 total;
	size_t			 officials;	/* CSV rows */
	struct section		 sec[SEC_COUNT];
	char			 day[16];	/* YYYY-MM-DD, local */
	char			 filename[64];	/* of the CSV */
	char			*err;
	size_t			 errlen;
};

static int
dberr(struct digest *d, const char *what)
{
	snprintf(d->err, d->errlen, "%s: %s", what, sqlite3_errmsg(d->db));
	return -1;
}

static int
bind_text(sqlite3_stmt *s, const char *name, const char *v)
{
	int i = sqlite3_bind_parameter_index(s, name);

	if (i == 0)
		return 0;
	return sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT) != SQLITE_OK;
}

static int
bind_int(sqlite3_stmt *s, const char *name, int64_t v)
{
	int i = sqlite3_bind_parameter_index(s, name);

	if (i == 0)
		return 0;
	return sqlite3_bind_int64(s, i, v) != SQLITE_OK;
}

/* Prepare sql with the words every query may use bound. */
static sqlite3_stmt *
prepare(struct digest *d, const char *sql)
{
	struct buf fields;
	sqlite3_stmt *s;
	int f, bad = 0;

	if (sqlite3_prepare_v2(d->db, sql, -1, &s, NULL) != SQLITE_OK) {
		dberr(d, "preparing the digest");
		return NULL;
	}
	buf_init(&fields, 4096);
	buf_addch(&fields, '[');
	for (f = 0; f < FIELD_COUNT; f++) {
		if (f > 0)
			buf_addch(&fields, ',');
		json_add_string(&fields, field_key((enum field)f));
	}
	buf_addch(&fields, ']');
	bad |= bind_text(s, ":fields", fields.data);
	bad |= bind_text(s, ":none", problem_key(PROBLEM_NONE));
	bad |= bind_text(s, ":missing", problem_key(PROBLEM_MISSING));
	bad |= bind_text(s, ":kcountry", field_key(FIELD_COUNTRY));
	bad |= bind_text(s, ":complete", status_key(STATUS_COMPLETE));
	bad |= bind_text(s, ":incomplete", status_key(STATUS_INCOMPLETE));
	bad |= bind_text(s, ":review", status_key(STATUS_REVIEW));
	bad |= bind_text(s, ":quarantined", status_key(STATUS_QUARANTINED));
	bad |= bind_int(s, ":since", d->o->since);
	buf_free(&fields);
	if (bad) {
		dberr(d, "binding");
		sqlite3_finalize(s);
		return NULL;
	}
	return s;
}

static const char *
col(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

/* How long a request has waited, in days. */
static void
waited(const struct digest *d, int64_t created, char *out, size_t outlen)
{
	int64_t days = (d->o->now - created) / 86400;

	if (days <= 0)
		snprintf(out, outlen, "since today");
	else
		snprintf(out, outlen, "%" PRId64 " day%s", days,
		    days == 1 ? "" : "s");
}

/* Flags in words, "; "-joined, after sep when there is any; a flag the
 * reason already says in the same words is left out. */
static void
flag_text(struct buf *b, unsigned flags, const char *reason,
    const char *sep)
{
	size_t i;

	for (i = 0; i < NCOLS(flag_words); i++) {
		if (!(flags & flag_words[i].bit))
			continue;
		if (reason && strcasestr(reason, flag_words[i].words))
			continue;
		buf_addstr(b, sep);
		buf_addstr(b, flag_words[i].words);
		sep = "; ";
	}
}

/*
 * What a person should know before forwarding a request or waiting for
 * it: its flags in words (a free-mail official, a domain that does not
 * fit, a sender that failed authentication, ...) and, when no reply went
 * out, why.  "" when there is nothing to say.
 */
static void
notes_text(struct buf *b, unsigned flags, const char *reason)
{
	flag_text(b, flags & ~FLAG_REPLY_SUPPRESSED, NULL, "");
	if (!(flags & FLAG_REPLY_SUPPRESSED))
		return;
	if (b->len > 0)
		buf_addstr(b, "; ");
	buf_addstr(b, "no reply was sent");
	if (reason && *reason)
		buf_printf(b, " (%s)", reason);
}

#define COUNTRIES_SQL \
	"(SELECT group_concat(v, ', ') FROM (SELECT DISTINCT c.value AS v" \
	" FROM officials c WHERE c.request_id = r.id" \
	" AND c.field = :kcountry AND c.problem = :none" \
	" AND c.value IS NOT NULL ORDER BY v))"

static int
gather_counts(struct digest *d)
{
	sqlite3_stmt *s;
	int rc, i;

	if ((s = prepare(d, "SELECT status, count(*) FROM requests"
	    " GROUP BY status")) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *st = col(s, 0);

		d->total += sqlite3_column_int64(s, 1);
		for (i = STATUS_NONE + 1; i < STATUS_COUNT; i++)
			if (st && strcmp(st,
			    status_key((enum intake_status)i)) == 0)
				d->count[i] = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : dberr(d, "counting requests");
}

/* "First LAST, function, organisation" a line, for each official. */
static int
official_lines(struct digest *d, sqlite3_stmt *q, int64_t id, struct buf *b)
{
	char *v[FIELD_COUNT];
	int64_t idx, cur = -1;
	int rc, f, n = 0;

	memset(v, 0, sizeof(v));
	sqlite3_reset(q);
	if (bind_int(q, ":id", id))
		return dberr(d, "binding");
	for (;;) {
		rc = sqlite3_step(q);
		idx = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
		if (idx != cur && cur != -1) {
			const char *sep = "";

			if (n++ > 0)
				buf_addch(b, '\n');
			if (v[FIELD_FIRST_NAME] || v[FIELD_LAST_NAME]) {
				buf_printf(b, "%s%s%s",
				    v[FIELD_FIRST_NAME] ? v[FIELD_FIRST_NAME] :
				    "", v[FIELD_FIRST_NAME] &&
				    v[FIELD_LAST_NAME] ? " " : "",
				    v[FIELD_LAST_NAME] ? v[FIELD_LAST_NAME] :
				    "");
				sep = ", ";
			}
			if (v[FIELD_FUNCTION]) {
				buf_printf(b, "%s%s", sep, v[FIELD_FUNCTION]);
				sep = ", ";
			}
			if (v[FIELD_ORGANISATION])
				buf_printf(b, "%s%s", sep,
				    v[FIELD_ORGANISATION]);
			for (f = 0; f < FIELD_COUNT; f++) {
				free(v[f]);
				v[f] = NULL;
			}
		}
		if (rc != SQLITE_ROW)
			break;
		cur = idx;
		f = field_from_key(col(q, 1) ? col(q, 1) : "");
		if (f < FIELD_COUNT && col(q, 2) && v[f] == NULL)
			v[f] = xstrdup(col(q, 2));
	}
	return rc == SQLITE_DONE ? 0 : dberr(d, "reading officials");
}

static int
gather_complete(struct digest *d)
{
	struct section *sec = &d->sec[SEC_COMPLETE];
	sqlite3_stmt *s, *q;
	struct buf names, notes;
	char when[64];
	int rc;

	section_init(sec, SEC_COMPLETE, complete_cols, NCOLS(complete_cols));
	if ((s = prepare(d, "SELECT r.id, r.reference, r.created_at,"
	    " r.from_addr, " COUNTRIES_SQL ", r.flags, r.reason"
	    " FROM requests r"
	    " WHERE r.status = :complete AND r.updated_at >= :since"
	    " ORDER BY r.id")) == NULL)
		return -1;
	if ((q = prepare(d, "SELECT idx, field, CASE WHEN problem = :none"
	    " AND value IS NOT NULL THEN value ELSE raw END"
	    " FROM officials WHERE request_id = :id ORDER BY idx")) == NULL) {
		sqlite3_finalize(s);
		return -1;
	}
	buf_init(&names, 1024u * 1024);
	buf_init(&notes, 64u * 1024);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *row[6];

		buf_truncate(&names, 0);
		buf_truncate(&notes, 0);
		if (sec->nrows < DIGEST_MAX_ROWS && official_lines(d, q,
		    sqlite3_column_int64(s, 0), &names) == -1)
			break;
		notes_text(&notes, (unsigned)sqlite3_column_int64(s, 5),
		    col(s, 6));
		report_time(sqlite3_column_int64(s, 2), 0, when, sizeof(when));
		row[0] = col(s, 1);
		row[1] = col(s, 4);
		row[2] = when;
		row[3] = col(s, 3);
		row[4] = names.data;
		row[5] = notes.data ? notes.data : "";
		section_add(sec, row);
	}
	buf_free(&notes);
	buf_free(&names);
	sqlite3_finalize(q);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return dberr(d, "reading complete requests");
	return rc == SQLITE_DONE ? 0 : -1;
}

/* "official 1: telephone, e-mail (invalid)" a line. */
static int
missing_lines(struct digest *d, sqlite3_stmt *q, int64_t id, struct buf *b)
{
	int64_t idx, cur = -1;
	int rc;

	sqlite3_reset(q);
	if (bind_int(q, ":id", id))
		return dberr(d, "binding");
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		enum field f = field_from_key(col(q, 1) ? col(q, 1) : "");
		const char *word = f < FIELD_COUNT ? field_words[f] :
		    col(q, 1);

		idx = sqlite3_column_int64(q, 0);
		if (idx != cur)
			buf_printf(b, "%sofficial %" PRId64 ": %s",
			    cur == -1 ? "" : "\n", idx, word ? word : "?");
		else
			buf_printf(b, ", %s", word ? word : "?");
		if (sqlite3_column_int(q, 2))
			buf_addstr(b, " (invalid)");
		cur = idx;
	}
	return rc == SQLITE_DONE ? 0 : dberr(d, "reading missing fields");
}

static int
gather_incomplete(struct digest *d)
{
	struct section *sec = &d->sec[SEC_INCOMPLETE];
	sqlite3_stmt *s, *q;
	struct buf miss, notes;
	char wait[32];
	int rc;

	section_init(sec, SEC_INCOMPLETE, incomplete_cols,
	    NCOLS(incomplete_cols));
	if ((s = prepare(d, "SELECT r.id, r.reference, r.created_at,"
	    " r.from_addr, " COUNTRIES_SQL ", r.flags, r.reason"
	    " FROM requests r"
	    " WHERE r.status = :incomplete ORDER BY r.created_at, r.id")) ==
	    NULL)
		return -1;
	if ((q = prepare(d, "SELECT o.idx, o.field, o.problem <> :missing"
	    " FROM officials o JOIN json_each(:fields) k ON k.value = o.field"
	    " WHERE o.request_id = :id AND o.problem <> :none"
	    " ORDER BY o.idx, k.key")) == NULL) {
		sqlite3_finalize(s);
		return -1;
	}
	buf_init(&miss, 1024u * 1024);
	buf_init(&notes, 64u * 1024);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *row[6];

		buf_truncate(&miss, 0);
		buf_truncate(&notes, 0);
		if (sec->nrows < DIGEST_MAX_ROWS && missing_lines(d, q,
		    sqlite3_column_int64(s, 0), &miss) == -1)
			break;
		notes_text(&notes, (unsigned)sqlite3_column_int64(s, 5),
		    col(s, 6));
		waited(d, sqlite3_column_int64(s, 2), wait, sizeof(wait));
		row[0] = col(s, 1);
		row[1] = col(s, 4);
		row[2] = wait;
		row[3] = col(s, 3);
		row[4] = miss.data;
		row[5] = notes.data ? notes.data : "";
		section_add(sec, row);
	}
	buf_free(&notes);
	buf_free(&miss);
	sqlite3_finalize(q);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return dberr(d, "reading incomplete requests");
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Review and quarantine: the reason and the flags in words. */
static int
gather_waiting(struct digest *d, enum section_kind kind)
{
	struct section *sec = &d->sec[kind];
	sqlite3_stmt *s;
	struct buf why;
	char when[64];
	int rc;

	if (kind == SEC_REVIEW)
		section_init(sec, kind, review_cols, NCOLS(review_cols));
	else
		section_init(sec, kind, quarantine_cols,
		    NCOLS(quarantine_cols));
	if ((s = prepare(d, kind == SEC_REVIEW ?
	    "SELECT reference, created_at, from_addr, subject, reason, flags"
	    " FROM requests WHERE status = :review ORDER BY created_at, id" :
	    "SELECT reference, created_at, from_addr, subject, reason, flags"
	    " FROM requests WHERE status = :quarantined"
	    " ORDER BY created_at, id")) == NULL)
		return -1;
	buf_init(&why, 64u * 1024);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *row[5];
		const char *reason = col(s, 4);

		buf_truncate(&why, 0);
		buf_addstr(&why, reason ? reason : "");
		flag_text(&why, (unsigned)sqlite3_column_int64(s, 5), reason,
		    why.len ? "; " : "");
		if (kind == SEC_REVIEW)
			waited(d, sqlite3_column_int64(s, 1), when,
			    sizeof(when));
		else
			report_time(sqlite3_column_int64(s, 1), 0, when,
			    sizeof(when));
		row[0] = col(s, 0);
		row[1] = when;
		row[2] = col(s, 2);
		row[3] = why.data;
		row[4] = col(s, 3);
		section_add(sec, row);
	}
	buf_free(&why);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : dberr(d, "reading requests");
}

static int
gather_failed(struct digest *d)
{
	struct section *sec = &d->sec[SEC_FAILED];
	sqlite3_stmt *s;
	char when[64], attempts[32];
	int rc;

	section_init(sec, SEC_FAILED, failed_cols, NCOLS(failed_cols));
	if ((s = prepare(d, "SELECT q.reference, r.kind, r.rcpt, r.attempts,"
	    " r.last_error, r.created_at FROM replies r"
	    " JOIN requests q ON q.id = r.request_id"
	    " WHERE r.state = 'failed' ORDER BY r.id")) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *row[6];

		report_time(sqlite3_column_int64(s, 5), 0, when, sizeof(when));
		snprintf(attempts, sizeof(attempts), "%d",
		    sqlite3_column_int(s, 3));
		row[0] = col(s, 0);
		row[1] = col(s, 1);
		row[2] = col(s, 2);
		row[3] = attempts;
		row[4] = when;
		row[5] = col(s, 4) ? col(s, 4) : "(no error recorded)";
		section_add(sec, row);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : dberr(d, "reading failed replies");
}

/* ---- the text part ---- */

/* Append s cleaned (control characters replaced), lines kept. */
static void
text_add(struct buf *b, const char *s)
{
	report_clean(b, s, 0);
}

static void
pad(struct buf *b, size_t n)
{
	while (n-- > 0)
		buf_addch(b, ' ');
}

static void
text_section(struct buf *b, const struct section *s)
{
	size_t r, c, w, width[8], label = 0;
	struct buf cell;
	char head[160];

	snprintf(head, sizeof(head), "%s (%zu)", sec_words[s->kind].title,
	    s->total);
	buf_printf(b, "\n%s\n", head);
	for (w = report_width(head); w > 0; w--)
		buf_addch(b, '-');
	buf_addch(b, '\n');
	if (s->intro) {
		text_add(b, s->intro);
		buf_addch(b, '\n');
	}
	if (s->total == 0) {
		buf_printf(b, "%s\n", sec_words[s->kind].empty);
		return;
	}
	buf_addch(b, '\n');
	/* Widths of the main columns, cleaned to one line. */
	memset(width, 0, sizeof(width));
	buf_init(&cell, 1024u * 1024);
	for (c = 0; c < s->ncols && c < 8; c++) {
		if (s->cols[c].detail) {
			if (strlen(s->cols[c].head) > label)
				label = strlen(s->cols[c].head);
			continue;
		}
		for (r = 0; r < s->nrows; r++) {
			buf_truncate(&cell, 0);
			report_clean(&cell, s->cells[r * s->ncols + c], 1);
			w = cell.len ? report_width(cell.data) : 1;
			if (w > width[c])
				width[c] = w;
		}
	}
	for (r = 0; r < s->nrows; r++) {
		size_t last = 0;

		for (c = 0; c < s->ncols && c < 8; c++)
			if (!s->cols[c].detail)
				last = c;
		buf_addstr(b, "  ");
		for (c = 0; c <= last; c++) {
			if (s->cols[c].detail)
				continue;
			buf_truncate(&cell, 0);
			report_clean(&cell, s->cells[r * s->ncols + c], 1);
			if (cell.len == 0)
				buf_addch(&cell, '-');
			buf_addstr(b, cell.data);
			if (c < last)
				pad(b, width[c] + 2 - report_width(cell.data));
		}
		buf_addch(b, '\n');
		for (c = 0; c < s->ncols; c++) {
			const char *v = s->cells[r * s->ncols + c], *nl;

			if (!s->cols[c].detail || *v == '\0')
				continue;
			buf_printf(b, "      %s: ", s->cols[c].head);
			pad(b, label - strlen(s->cols[c].head));
			for (;;) {
				nl = strchr(v, '\n');
				buf_truncate(&cell, 0);
				if (nl) {
					char *line = xstrndup(v,
					    (size_t)(nl - v));

					report_clean(&cell, line, 1);
					free(line);
				} else
					report_clean(&cell, v, 1);
				buf_printf(b, "%s\n", cell.data);
				if (nl == NULL)
					break;
				v = nl + 1;
				pad(b, 6 + label + 2);
			}
		}
	}
	buf_free(&cell);
	if (s->total > s->nrows)
		buf_printf(b, "  ... and %zu more: %s\n", s->total - s->nrows,
		    sec_words[s->kind].more);
}

static void
render_text(const struct digest *d, struct buf *b)
{
	static const char *const status_words[STATUS_COUNT] = {
		NULL, "complete", "incomplete", "in review", "quarantined"
	};
	char since[64];
	int i, k;

	report_time(d->o->since, 0, since, sizeof(since));
	buf_printf(b, "%s, %s\n", W_HEADING, d->day);
	buf_printf(b, "New means since %s%s%s%s.\n\n", since,
	    d->o->since_label ? " (" : "",
	    d->o->since_label ? d->o->since_label : "",
	    d->o->since_label ? ")" : "");
	for (k = 0; k < SEC_COUNT; k++)
		buf_printf(b, "  %6zu  %s\n", d->sec[k].total,
		    sec_words[k].box);
	buf_printf(b, "\nAll requests: %" PRId64 " (", d->total);
	for (i = STATUS_NONE + 1; i < STATUS_COUNT; i++)
		buf_printf(b, "%s%" PRId64 " %s", i > 1 ? ", " : "",
		    d->count[i], status_words[i]);
	buf_addstr(b, ").\n");
	for (k = 0; k < SEC_COUNT; k++)
		text_section(b, &d->sec[k]);
	buf_printf(b, "\n-- \n%s\n%s\n", W_FOOTER, W_SENT_BY);
}

/* ---- the HTML part ---- */

/*
 * Append s escaped for HTML text and attribute values (& < > " '), its
 * control characters replaced; line ends become <br> when br is set.
 */
static void
html_add(struct buf *b, const char *s, int br)
{
	struct buf clean;
	const char *p;

	if (s == NULL)
		return;
	buf_init(&clean, 4u * 1024 * 1024);
	report_clean(&clean, s, !br);
	for (p = clean.data; *p; p++) {
		switch (*p) {
		case '&':
			buf_addstr(b, "&amp;");
			break;
		case '<':
			buf_addstr(b, "&lt;");
			break;
		case '>':
			buf_addstr(b, "&gt;");
			break;
		case '"':
			buf_addstr(b, "&quot;");
			break;
		case '\'':
			buf_addstr(b, "&#39;");
			break;
		case '\n':
			buf_addstr(b, "<br>\n");
			break;
		case '\t':
			buf_addch(b, ' ');
			break;
		default:
			buf_addch(b, *p);
		}
	}
	buf_free(&clean);
}

#define TD_STYLE \
	"padding:7px 10px;border-bottom:1px solid " C_LINE ";" \
	"vertical-align:top;text-align:left;"
#define MONO \
	"font-family:Consolas,Menlo,'Courier New',monospace;" \
	"white-space:nowrap;"

static void
html_section(struct buf *b, const struct section *s)
{
	size_t r, c;

	buf_printf(b, "<tr><td style=\"padding:22px 28px 0 28px;\">\n"
	    "<h2 style=\"margin:0;padding:0 0 6px 0;font-size:17px;"
	    "line-height:1.3;color:#101828;border-bottom:3px solid %s;\">",
	    sec_words[s->kind].accent);
	html_add(b, sec_words[s->kind].title, 0);
	buf_printf(b, " <span style=\"color:" C_MUTED ";font-weight:normal;"
	    "\">(%zu)</span></h2>\n", s->total);
	if (s->intro) {
		buf_addstr(b, "<p style=\"margin:8px 0 0 0;color:" C_MUTED
		    ";\">");
		html_add(b, s->intro, 0);
		buf_addstr(b, "</p>\n");
	}
	if (s->total == 0) {
		buf_addstr(b, "<p style=\"margin:8px 0 0 0;color:" C_MUTED
		    ";font-style:italic;\">");
		html_add(b, sec_words[s->kind].empty, 0);
		buf_addstr(b, "</p>\n</td></tr>\n");
		return;
	}
	buf_addstr(b, "<table role=\"presentation\" width=\"100%\" "
	    "cellpadding=\"0\" cellspacing=\"0\" border=\"0\" "
	    "style=\"border-collapse:collapse;margin-top:10px;font-size:13px;"
	    "line-height:1.45;color:" C_TEXT ";\">\n<tr>");
	for (c = 0; c < s->ncols; c++) {
		buf_printf(b, "<th align=\"left\" style=\"padding:6px 10px;"
		    "background-color:%s;border-bottom:1px solid #d0d5dd;"
		    "font-size:12px;color:#344054;text-align:left;"
		    "white-space:nowrap;\">", sec_words[s->kind].light);
		html_add(b, s->cols[c].head, 0);
		buf_addstr(b, "</th>");
	}
	buf_addstr(b, "</tr>\n");
	for (r = 0; r < s->nrows; r++) {
		buf_printf(b, "<tr style=\"background-color:%s;\">",
		    r % 2 ? "#f9fafb" : "#ffffff");
		for (c = 0; c < s->ncols; c++) {
			const char *v = s->cells[r * s->ncols + c];

			buf_printf(b, "<td style=\"" TD_STYLE "%s\">",
			    s->cols[c].mono ? MONO : "");
			if (*v == '\0')
				buf_addstr(b, "&ndash;");
			else
				html_add(b, v, 1);
			buf_addstr(b, "</td>");
		}
		buf_addstr(b, "</tr>\n");
	}
	buf_addstr(b, "</table>\n");
	if (s->total > s->nrows) {
		buf_printf(b, "<p style=\"margin:8px 0 0 0;color:" C_MUTED
		    ";\">&hellip; and %zu more: <code>", s->total - s->nrows);
		html_add(b, sec_words[s->kind].more, 0);
		buf_addstr(b, "</code></p>\n");
	}
	buf_addstr(b, "</td></tr>\n");
}

static void
render_html(const struct digest *d, struct buf *b)
{
	static const char *const status_words[STATUS_COUNT] = {
		NULL, "complete", "incomplete", "in review", "quarantined"
	};
	char since[64], title[128];
	int i, k;

	report_time(d->o->since, 0, since, sizeof(since));
	snprintf(title, sizeof(title), "intaked digest %s", d->day);
	buf_addstr(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n<title>");
	html_add(b, title, 0);
	buf_addstr(b, "</title>\n</head>\n"
	    "<body style=\"margin:0;padding:0;background-color:" C_PAGE ";\">\n"
	    "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" "
	    "cellspacing=\"0\" border=\"0\" style=\"background-color:" C_PAGE
	    ";\">\n<tr><td align=\"center\" style=\"padding:24px 8px;\">\n"
	    "<table role=\"presentation\" width=\"760\" cellpadding=\"0\" "
	    "cellspacing=\"0\" border=\"0\" style=\"width:100%;"
	    "max-width:760px;background-color:#ffffff;border:1px solid "
	    "#d0d5dd;font-family:Arial,Helvetica,sans-serif;font-size:14px;"
	    "line-height:1.5;color:" C_TEXT ";\">\n");

	/* Heading. */
	buf_addstr(b, "<tr><td style=\"padding:24px 28px 4px 28px;\">\n"
	    "<h1 style=\"margin:0;font-size:22px;line-height:1.3;"
	    "color:#101828;\">");
	html_add(b, W_HEADING, 0);
	buf_addstr(b, "</h1>\n<p style=\"margin:4px 0 0 0;color:" C_MUTED
	    ";\">");
	html_add(b, d->day, 0);
	buf_addstr(b, " &middot; new means since ");
	html_add(b, since, 0);
	if (d->o->since_label) {
		buf_addstr(b, " (");
		html_add(b, d->o->since_label, 0);
		buf_addch(b, ')');
	}
	buf_addstr(b, "</p>\n</td></tr>\n");

	/* The counts, one box each. */
	buf_addstr(b, "<tr><td style=\"padding:12px 22px 0 22px;\">\n"
	    "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" "
	    "cellspacing=\"6\" border=\"0\"><tr>\n");
	for (k = 0; k < SEC_COUNT; k++) {
		buf_printf(b, "<td width=\"20%%\" valign=\"top\" "
		    "style=\"background-color:%s;border-top:4px solid %s;"
		    "padding:10px 12px;\"><div style=\"font-size:26px;"
		    "font-weight:bold;line-height:1.2;color:#101828;\">%zu"
		    "</div><div style=\"font-size:12px;color:" C_MUTED ";\">",
		    sec_words[k].light, sec_words[k].accent, d->sec[k].total);
		html_add(b, sec_words[k].box, 0);
		buf_addstr(b, "</div></td>\n");
	}
	buf_addstr(b, "</tr></table>\n<p style=\"margin:8px 6px 0 6px;"
	    "font-size:13px;color:" C_MUTED ";\">All requests: ");
	buf_printf(b, "%" PRId64 " (", d->total);
	for (i = STATUS_NONE + 1; i < STATUS_COUNT; i++)
		buf_printf(b, "%s%" PRId64 " %s", i > 1 ? ", " : "",
		    d->count[i], status_words[i]);
	buf_addstr(b, ").</p>\n</td></tr>\n");

	for (k = 0; k < SEC_COUNT; k++)
		html_section(b, &d->sec[k]);

	buf_addstr(b, "<tr><td style=\"padding:26px 28px 24px 28px;\">\n"
	    "<p style=\"margin:0;padding-top:12px;border-top:1px solid "
	    C_LINE ";font-size:12px;color:" C_MUTED ";\">");
	html_add(b, W_FOOTER, 0);
	buf_addstr(b, "</p>\n<p style=\"margin:6px 0 0 0;font-size:12px;"
	    "color:" C_MUTED ";\">");
	html_add(b, W_SENT_BY, 0);
	buf_addstr(b, "</p>\n</td></tr>\n</table>\n</td></tr>\n</table>\n"
	    "</body>\n</html>\n");
}

/* ---- MIME ---- */

static const char hexdig[] = "0123456789ABCDEF";

/*
 * Quoted-printable (RFC 2045 6.7) of UTF-8 text with LF line ends, CRLF
 * out.  Lines stay within 76 characters with soft breaks; '=', bytes
 * outside printable ASCII and white space before a line end are encoded.
 * A line-leading '.' or "From " is encoded too, so no transport rewrites
 * it.
 */
static void
qp_add(struct buf *b, const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t col = 0, need;
	char enc[4];

	for (; *p; p++) {
		if (*p == '\n') {
			buf_addstr(b, "\r\n");
			col = 0;
			continue;
		}
		if (*p == '\r')
			continue;
		if ((*p >= 33 && *p <= 126 && *p != '=' &&
		    !(col == 0 && *p == '.') &&
		    !(col == 0 && *p == 'F' && strncmp((const char *)p,
		    "From ", 5) == 0)) ||
		    ((*p == ' ' || *p == '\t') && p[1] != '\n' &&
		    p[1] != '\r' && p[1] != '\0')) {
			enc[0] = (char)*p;
			enc[1] = '\0';
			need = 1;
		} else {
			enc[0] = '=';
			enc[1] = hexdig[*p >> 4];
			enc[2] = hexdig[*p & 0x0f];
			enc[3] = '\0';
			need = 3;
		}
		/* Room for the soft break's '=' at the end. */
		if (col + need > QP_WIDTH - 1) {
			buf_addstr(b, "=\r\n");
			col = 0;
			if (enc[0] == '.') {
				memcpy(enc, "=2E", 4);
				need = 3;
			}
		}
		buf_addstr(b, enc);
		col += need;
	}
	if (col > 0)
		buf_addstr(b, "\r\n");
}

static void
b64_add(struct buf *b, const unsigned char *p, size_t len)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, col = 0;
	char q[4];

	for (i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16;

		if (i + 1 < len)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		q[0] = tab[(v >> 18) & 63];
		q[1] = tab[(v >> 12) & 63];
		q[2] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		q[3] = i + 2 < len ? tab[v & 63] : '=';
		buf_add(b, q, 4);
		col += 4;
		if (col >= B64_WIDTH) {
			buf_addstr(b, "\r\n");
			col = 0;
		}
	}
	if (col > 0)
		buf_addstr(b, "\r\n");
}

/* The From: header: a phrase (atoms, a quoted string, or RFC 2047
 * encoded words for non-ASCII) and the address. */
static void
from_header(struct buf *b, const char *name, const char *addr)
{
	const unsigned char *p;
	int ascii = 1, plain = 1;
	size_t i, n, chunk;

	buf_addstr(b, "From: ");
	if (name == NULL || *name == '\0') {
		buf_printf(b, "%s\r\n", addr);
		return;
	}
	for (p = (const unsigned char *)name; *p; p++) {
		if (*p >= 0x80 || *p < 0x20 || *p == 0x7f)
			ascii = 0;
		else if (strchr("()<>[]:;@\\,.\"", *p))
			plain = 0;
	}
	if (ascii && plain)
		buf_printf(b, "%s", name);
	else if (ascii) {
		buf_addch(b, '"');
		for (p = (const unsigned char *)name; *p; p++) {
			if (*p == '"' || *p == '\\')
				buf_addch(b, '\\');
			buf_addch(b, (char)*p);
		}
		buf_addch(b, '"');
	} else {
		/* Encoded words of at most 45 bytes (60 in base64), cut
		 * between UTF-8 characters, folded one a line. */
		n = strlen(name);
		for (i = 0; i < n; i += chunk) {
			struct buf w;
			size_t k;

			chunk = n - i > 45 ? 45 : n - i;
			while (chunk > 1 && i + chunk < n &&
			    ((unsigned char)name[i + chunk] & 0xc0) == 0x80)
				chunk--;
			buf_init(&w, 256);
			/* Control characters are dropped, not encoded. */
			for (k = 0; k < chunk; k++) {
				unsigned char ch = (unsigned char)name[i + k];

				if (ch >= 0x20 && ch != 0x7f)
					buf_addch(&w, (char)ch);
			}
			buf_printf(b, "%s=?UTF-8?B?", i > 0 ? "\r\n " : "");
			{
				struct buf e;

				buf_init(&e, 1024);
				b64_add(&e, (const unsigned char *)w.data,
				    w.len);
				/* Drop b64_add's line end. */
				if (e.len >= 2)
					buf_truncate(&e, e.len - 2);
				buf_addstr(b, e.data);
				buf_free(&e);
			}
			buf_addstr(b, "?=");
			buf_free(&w);
		}
	}
	buf_printf(b, " <%s>\r\n", addr);
}

static void
hex(const unsigned char *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = "0123456789abcdef"[p[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[p[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

static int
wrap(struct digest *d, const struct buf *text, const struct buf *html,
    const struct buf *csv, struct buf *msg)
{
	const struct digest_opts *o = d->o;
	char tok[2 * 32 + 1], date[64];
	const char *domain = strrchr(o->from_addr, '@') + 1;
	struct tm tm;
	time_t now = (time_t)o->now;
	int rc = 0;

	hex(o->token, o->token_len, tok);
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm) ==
	    0) {
		snprintf(d->err, d->errlen, "cannot format the date");
		return -1;
	}
	from_header(msg, o->from_name, o->from_addr);
	rc |= buf_printf(msg, "To: %s\r\n", o->to_addr);
	rc |= buf_printf(msg, "Subject: intaked digest %s: %zu complete, "
	    "%zu incomplete, %zu review, %zu quarantined, %zu failed "
	    "replies\r\n", d->day, d->sec[SEC_COMPLETE].total,
	    d->sec[SEC_INCOMPLETE].total, d->sec[SEC_REVIEW].total,
	    d->sec[SEC_QUARANTINED].total, d->sec[SEC_FAILED].total);
	rc |= buf_printf(msg, "Date: %s\r\n", date);
	rc |= buf_printf(msg, "Message-ID: <intaked-digest.%.4s%.2s%.2s.%s@"
	    "%s>\r\n", d->day, d->day + 5, d->day + 8, tok, domain);
	rc |= buf_addstr(msg, "MIME-Version: 1.0\r\n"
	    "Auto-Submitted: auto-generated\r\n");
	/* "=_" cannot occur in quoted-printable or base64 text. */
	rc |= buf_printf(msg, "Content-Type: multipart/mixed; "
	    "boundary=\"=_mixed_%s\"\r\n\r\n", tok);
	rc |= buf_addstr(msg, "This is a MIME message: the digest is in "
	    "text and HTML, with a CSV file.\r\n\r\n");
	rc |= buf_printf(msg, "--=_mixed_%s\r\n"
	    "Content-Type: multipart/alternative; "
	    "boundary=\"=_alt_%s\"\r\n\r\n", tok, tok);
	rc |= buf_printf(msg, "--=_alt_%s\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n", tok);
	qp_add(msg, text->data);
	rc |= buf_printf(msg, "\r\n--=_alt_%s\r\n"
	    "Content-Type: text/html; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n", tok);
	qp_add(msg, html->data);
	rc |= buf_printf(msg, "\r\n--=_alt_%s--\r\n\r\n", tok);
	rc |= buf_printf(msg, "--=_mixed_%s\r\n"
	    "Content-Type: text/csv; charset=UTF-8; name=\"%s\"\r\n"
	    "Content-Disposition: attachment; filename=\"%s\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n", tok, d->filename,
	    d->filename);
	b64_add(msg, (const unsigned char *)csv->data, csv->len);
	rc |= buf_printf(msg, "\r\n--=_mixed_%s--\r\n", tok);
	/* One check at the end: buf adds nothing past its cap. */
	if (rc || msg->len + 1 >= msg->max) {
		snprintf(d->err, d->errlen, "the digest is too large");
		return -1;
	}
	return 0;
}

int
digest_build(struct store *st, const struct digest_opts *o,
    struct buf *msg, struct digest_counts *counts, char *err, size_t errlen)
{
	struct digest d;
	struct report_filter f;
	struct buf text, html, csv;
	struct tm tm;
	time_t now = (time_t)o->now;
	int k, rc = -1;

	memset(&d, 0, sizeof(d));
	d.o = o;
	d.db = store_handle(st);
	d.err = err;
	d.errlen = errlen;
	if (!reply_addr_valid(o->from_addr)) {
		snprintf(err, errlen, "from: not a plain address: %s",
		    o->from_addr ? o->from_addr : "(none)");
		return -1;
	}
	if (!reply_addr_valid(o->to_addr)) {
		snprintf(err, errlen, "to: not a plain address: %s",
		    o->to_addr ? o->to_addr : "(none)");
		return -1;
	}
	if (o->token == NULL || o->token_len < 8 || o->token_len > 32) {
		snprintf(err, errlen, "the random token must be 8 to 32 "
		    "bytes");
		return -1;
	}
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(d.day, sizeof(d.day), "%Y-%m-%d", &tm) != 10) {
		snprintf(err, errlen, "cannot format the date");
		return -1;
	}
	snprintf(d.filename, sizeof(d.filename),
	    "complete-officials-%s.csv", d.day);
	for (k = 0; k < SEC_COUNT; k++)
		section_init(&d.sec[k], (enum section_kind)k, NULL, 0);
	buf_init(&text, DIGEST_MAX_BYTES);
	buf_init(&html, DIGEST_MAX_BYTES);
	buf_init(&csv, DIGEST_MAX_BYTES);

	if (store_begin_read(st) == -1) {
		snprintf(err, errlen, "%s", store_error(st));
		goto out;
	}
	memset(&f, 0, sizeof(f));
	f.status = status_key(STATUS_COMPLETE);
	f.updated_since = o->since;
	if (gather_counts(&d) == -1 || gather_complete(&d) == -1 ||
	    gather_incomplete(&d) == -1 ||
	    gather_waiting(&d, SEC_REVIEW) == -1 ||
	    gather_waiting(&d, SEC_QUARANTINED) == -1 ||
	    gather_failed(&d) == -1 ||
	    report_export_csv(st, &f, &csv, &d.officials, err, errlen) == -1) {
		store_rollback(st);
		goto out;
	}
	store_rollback(st);

	{
		struct buf intro;

		buf_init(&intro, 1024);
		if (d.sec[SEC_COMPLETE].total > 0)
			buf_printf(&intro, "Their %zu official%s %s in the "
			    "attached file %s, ready to forward.",
			    d.officials, d.officials == 1 ? "" : "s",
			    d.officials == 1 ? "is" : "are", d.filename);
		else
			buf_printf(&intro, "The attached file %s holds "
			    "only its header row.", d.filename);
		d.sec[SEC_COMPLETE].intro = buf_release(&intro);
		buf_init(&intro, 1024);
		buf_addstr(&intro, "Oldest first.  Each sender was told "
		    "what is missing and asked to reply.");
		d.sec[SEC_INCOMPLETE].intro = buf_release(&intro);
	}

	render_text(&d, &text);
	render_html(&d, &html);
	if (text.len + 1 >= text.max || html.len + 1 >= html.max) {
		snprintf(err, errlen, "the digest is too large");
		goto out;
	}
	if (wrap(&d, &text, &html, &csv, msg) == -1)
		goto out;
	if (counts) {
		counts->complete = d.sec[SEC_COMPLETE].total;
		counts->officials = d.officials;
		counts->incomplete = d.sec[SEC_INCOMPLETE].total;
		counts->review = d.sec[SEC_REVIEW].total;
		counts->quarantined = d.sec[SEC_QUARANTINED].total;
		counts->failed = d.sec[SEC_FAILED].total;
	}
	rc = 0;
 out:
	for (k = 0; k < SEC_COUNT; k++)
		section_free(&d.sec[k]);
	buf_free(&text);
	buf_free(&html);
	buf_free(&csv);
	return rc;
}
