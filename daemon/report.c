/*
 * report.c -- intakectl's read-only views of the store (see report.h).
 *
 * Plain SQL over store_handle(), every value bound (named parameters, so
 * one filter binds into any query).  The words that are part of the file
 * format (field, problem and flag keys) are bound from fields.h and
 * intake.h, never spelt here: field order and flag bits come in as JSON
 * arrays that the queries walk with json_each(), whose key is the index.
 * Each report runs in one read transaction (a snapshot) and only reads.
 *
 * Terminal output goes through a small table type: cells are cleaned of
 * control characters, then either padded to the widest cell of each column
 * (display width, by utf8proc) or joined by tabs.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sqlite3.h>
#include <utf8proc.h>

#include "buf.h"
#include "fields.h"
#include "intake.h"
#include "report.h"
#include "store.h"
#include "xmalloc.h"

/* Reply states and message classes as the store writes them. */
static const char *const reply_states[] = {
	"sent", "queued", "failed", "suppressed"
};

/* Which requests: every report binds the same parameters. */
#define FILTER_SQL \
	"(:status IS NULL OR r.status = :status)" \
	" AND r.created_at >= :csince AND r.updated_at >= :usince" \
	" AND (:country IS NULL OR EXISTS (SELECT 1 FROM officials c" \
	" WHERE c.request_id = r.id AND c.field = :kcountry" \
	" AND c.problem = :none AND c.value = :country))"

/* "1.phone", ... of request r in official then field order. */
#define MISSING_SQL \
	"SELECT o.idx || '.' || o.field AS m FROM officials o" \
	" JOIN json_each(:fields) k ON k.value = o.field" \
	" WHERE o.request_id = r.id AND o.problem <> :none" \
	" ORDER BY o.idx, k.key"

/* An official's value as the exports give it (the rule of intakectl
 * parse): normalised when valid, else as written, else null. */
#define VALUE_SQL \
	"CASE WHEN o.problem = :none AND o.value IS NOT NULL" \
	" THEN o.value ELSE o.raw END"

/* The Message-IDs that make up request r (not machine mail about it). */
#define MSGIDS_SQL \
	"SELECT message_id FROM messages WHERE request_id = r.id" \
	" AND message_id IS NOT NULL AND class IN ('request', 'quarantined')" \
	" ORDER BY id"

static const char list_sql[] =
	"SELECT r.reference, r.created_at, r.status,"
	" (SELECT group_concat(v, ',') FROM (SELECT DISTINCT c.value AS v"
	"  FROM officials c WHERE c.request_id = r.id"
	"  AND c.field = :kcountry AND c.problem = :none"
	"  AND c.value IS NOT NULL ORDER BY v)),"
	" (SELECT count(DISTINCT o.idx) FROM officials o"
	"  WHERE o.request_id = r.id),"
	" (SELECT group_concat(m, ',') FROM (" MISSING_SQL ")),"
	" r.flags"
	" FROM requests r WHERE " FILTER_SQL " ORDER BY r.id";

static const char export_json_sql[] =
	"SELECT json_group_array(json(obj)) FROM (SELECT json_object("
	" 'reference', r.reference,"
	" 'status', r.status,"
	" 'received_at', strftime('%Y-%m-%dT%H:%M:%SZ', r.created_at,"
	"  'unixepoch'),"
	" 'from', r.from_addr,"
	" 'subject', r.subject,"
	" 'language', r.language,"
	" 'missing', json((SELECT json_group_array(m) FROM (" MISSING_SQL
	"  ))),"
	" 'flags', json((SELECT json_group_array(f.value) FROM ("
	"  SELECT value FROM json_each(:flags)"
	"  WHERE r.flags & (1 << key) ORDER BY key) f)),"
	" 'officials', json((SELECT json_group_array(json(off)) FROM ("
	"  SELECT (SELECT json_group_object(k.value, (SELECT " VALUE_SQL
	"    FROM officials o WHERE o.request_id = r.id AND o.idx = i.idx"
	"    AND o.field = k.value)) FROM json_each(:fields) k) AS off"
	"  FROM (SELECT DISTINCT idx FROM officials"
	"   WHERE request_id = r.id ORDER BY idx) i))),"
	" 'messages', json((SELECT json_group_array(message_id) FROM ("
	  MSGIDS_SQL ")))"
	") AS obj FROM requests r WHERE " FILTER_SQL " ORDER BY r.id)";

/* The CSV's request columns; the official's columns are added from
 * field_key() at run time. */
static const char export_csv_head[] =
	"SELECT r.reference, r.status,"
	" strftime('%Y-%m-%dT%H:%M:%SZ', r.created_at, 'unixepoch'),"
	" r.from_addr, r.subject, r.language,"
	" (SELECT group_concat(m, ',') FROM (" MISSING_SQL ")),"
	" r.flags,"
	" (SELECT group_concat(message_id, ' ') FROM (" MSGIDS_SQL ")),"
	" i.idx";
static const char export_csv_tail[] =
	" FROM requests r LEFT JOIN (SELECT DISTINCT request_id, idx"
	" FROM officials) i ON i.request_id = r.id"
	" WHERE " FILTER_SQL " ORDER BY r.id, i.idx";
static const char *const csv_request_cols[] = {
	"reference", "status", "received_at", "from", "subject", "language",
	"missing", "flags", "messages", "official"
};

static const char show_request_sql[] =
	"SELECT reference, status, language, flags, reason, from_addr,"
	" subject, created_at, updated_at FROM requests WHERE id = :id";
static const char show_officials_sql[] =
	"SELECT o.idx, o.field, o.raw, o.value, o.problem FROM officials o"
	" LEFT JOIN json_each(:fields) k ON k.value = o.field"
	" WHERE o.request_id = :id ORDER BY o.idx, k.key IS NULL, k.key,"
	" o.field";
static const char show_messages_sql[] =
	"SELECT message_id, received_at, class, status, folder, location,"
	" moved FROM messages WHERE request_id = :id ORDER BY id";
static const char show_replies_sql[] =
	"SELECT kind, state, attempts, next_attempt, last_error, created_at,"
	" sent_at, rcpt FROM replies WHERE request_id = :id ORDER BY id";

/* ---- small helpers ---- */

static int
fail(char *err, size_t errlen, const char *what)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", what);
	return -1;
}

static int
dbfail(sqlite3 *db, char *err, size_t errlen, const char *what)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
	return -1;
}

static int
outfail(char *err, size_t errlen)
{
	return fail(err, errlen, "report too large");
}

/* Bind text to :name when the statement has it; 0 on success. */
static int
bind_named_text(sqlite3_stmt *s, const char *name, const char *v)
{
	int i = sqlite3_bind_parameter_index(s, name);

	if (i == 0)
		return 0;
	if (v == NULL)
		return sqlite3_bind_null(s, i) != SQLITE_OK;
	return sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT) != SQLITE_OK;
}

static int
bind_named_int(sqlite3_stmt *s, const char *name, int64_t v)
{
	int i = sqlite3_bind_parameter_index(s, name);

	if (i == 0)
		return 0;
	return sqlite3_bind_int64(s, i, v) != SQLITE_OK;
}

/* The JSON arrays of field keys and of flag keys (index = bit). */
static void
key_arrays(struct buf *fields, struct buf *flags)
{
	int f;
	unsigned i;

	buf_init(fields, 4096);
	buf_init(flags, 4096);
	buf_addch(fields, '[');
	for (f = 0; f < FIELD_COUNT; f++) {
		if (f > 0)
			buf_addch(fields, ',');
		json_add_string(fields, field_key((enum field)f));
	}
	buf_addch(fields, ']');
	buf_addch(flags, '[');
	for (i = 0; i < FLAG_COUNT_BITS; i++) {
		const char *k = flag_key(1u << i);

		if (i > 0)
			buf_addch(flags, ',');
		json_add_string(flags, k ? k : "");
	}
	buf_addch(flags, ']');
}

/* Prepare sql and bind the filter (f may be NULL) and the key arrays. */
static sqlite3_stmt *
prepare(sqlite3 *db, const char *sql, const struct report_filter *f,
    char *err, size_t errlen)
{
	struct buf fields, flags;
	sqlite3_stmt *s;
	int bad = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		dbfail(db, err, errlen, "preparing a report");
		return NULL;
	}
	key_arrays(&fields, &flags);
	bad |= bind_named_text(s, ":fields", fields.data);
	bad |= bind_named_text(s, ":flags", flags.data);
	bad |= bind_named_text(s, ":none", problem_key(PROBLEM_NONE));
	bad |= bind_named_text(s, ":kcountry", field_key(FIELD_COUNTRY));
	bad |= bind_named_text(s, ":status", f ? f->status : NULL);
	bad |= bind_named_text(s, ":country", f ? f->country : NULL);
	bad |= bind_named_int(s, ":csince",
	    f && f->created_since ? f->created_since : INT64_MIN);
	bad |= bind_named_int(s, ":usince",
	    f && f->updated_since ? f->updated_since : INT64_MIN);
	buf_free(&fields);
	buf_free(&flags);
	if (bad) {
		dbfail(db, err, errlen, "binding a report");
		sqlite3_finalize(s);
		return NULL;
	}
	return s;
}

static const char *
col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

/*
 * A read snapshot for the whole report, or the caller's when it has one
 * open (the digest builds several reports from one snapshot).  *own says
 * whether end() must close it.
 */
static int
begin(struct store *st, int *own, char *err, size_t errlen)
{
	*own = sqlite3_get_autocommit(store_handle(st)) != 0;
	if (*own && store_begin_read(st) == -1)
		return fail(err, errlen, store_error(st));
	return 0;
}

static void
end(struct store *st, int own)
{
	if (own)
		store_rollback(st);
}

/* ---- shared helpers ---- */

int64_t
report_reference_id(const char *s)
{
	int64_t id = 0;
	size_t n = 0;

	if (s == NULL || strncasecmp(s, "REQ-", 4) != 0)
		return 0;
	for (s += 4; *s >= '0' && *s <= '9'; s++, n++) {
		if (id > (INT64_MAX - 9) / 10)
			return 0;
		id = id * 10 + (*s - '0');
	}
	return n > 0 && *s == '\0' ? id : 0;
}

int
report_status_valid(const char *s)
{
	int i;

	for (i = STATUS_NONE + 1; i < STATUS_COUNT; i++)
		if (s && strcmp(s, status_key((enum intake_status)i)) == 0)
			return 1;
	return 0;
}

void
report_time(int64_t t, int seconds, char *out, size_t outlen)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0 || localtime_r(&tt, &tm) == NULL ||
	    strftime(out, outlen, seconds ? "%Y-%m-%d %H:%M:%S %z" :
	    "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(out, outlen, "-");
}

void
report_age(int64_t secs, char *out, size_t outlen)
{
	if (secs < 0)
		secs = 0;
	if (secs >= 86400)
		snprintf(out, outlen, "%" PRId64 "d %" PRId64 "h",
		    secs / 86400, secs % 86400 / 3600);
	else if (secs >= 3600)
		snprintf(out, outlen, "%" PRId64 "h %" PRId64 "m",
		    secs / 3600, secs % 3600 / 60);
	else if (secs >= 60)
		snprintf(out, outlen, "%" PRId64 "m", secs / 60);
	else
		snprintf(out, outlen, "%" PRId64 "s", secs);
}

int
report_flags(struct buf *b, unsigned flags, const char *sep)
{
	unsigned bit;
	int rc = 0, first = 1;

	for (bit = 1; bit != 0 && bit <= flags; bit <<= 1) {
		const char *k;

		if (!(flags & bit))
			continue;
		if (!first)
			rc |= buf_addstr(b, sep);
		if ((k = flag_key(bit)) != NULL)
			rc |= buf_addstr(b, k);
		else
			rc |= buf_printf(b, "0x%x", bit);
		first = 0;
	}
	return rc ? -1 : 0;
}

int
report_clean(struct buf *b, const char *s, int oneline)
{
	const unsigned char *p;
	int rc = 0;

	if (s == NULL)
		return 0;
	for (p = (const unsigned char *)s; *p; p++) {
		if (oneline && (*p == '\t' || *p == '\n' || *p == '\r'))
			rc |= buf_addch(b, ' ');
		else if (*p < 0x20 && *p != '\t' && *p != '\n')
			rc |= buf_addch(b, '?');
		else if (*p == 0x7f)
			rc |= buf_addch(b, '?');
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			/* A C1 control (U+0080..U+009F): CSI among them. */
			rc |= buf_addch(b, '?');
			p++;
		} else
			rc |= buf_addch(b, (char)*p);
	}
	return rc ? -1 : 0;
}

int
report_csv_cell(struct buf *b, const char *s)
{
	const char *p;
	int rc = 0, quote;

	if (s == NULL || *s == '\0')
		return 0;
	quote = strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		rc |= buf_addch(b, '"');
	/*
	 * A spreadsheet takes a cell starting with = + - @ (or a tab or CR
	 * before one of them) for a formula, which can run commands or send
	 * data away (CSV injection).  The usual defence is a leading
	 * apostrophe: the program shows the text as it is and the formula
	 * never runs.  Telephone numbers start with '+' and get one too;
	 * that is the price of the defence, and what people who open these
	 * files are used to.
	 */
	if (strchr("=+-@\t\r", *s) != NULL)
		rc |= buf_addch(b, '\'');
	for (p = s; *p; p++) {
		if (*p == '"')
			rc |= buf_addch(b, '"');
		rc |= buf_addch(b, *p);
	}
	if (quote)
		rc |= buf_addch(b, '"');
	return rc ? -1 : 0;
}

/* ---- tables ---- */

struct table {
	size_t		 ncols;
	size_t		 nrows;
	size_t		 cap;		/* rows allocated */
	char		**cells;	/* nrows * ncols, each malloc'd */
};

static void
table_init(struct table *t, size_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
}

/* Add a row of ncols cells (NULL: empty), cleaned to one line each. */
static void
table_add(struct table *t, const char *const *row)
{
	struct buf b;
	size_t i;

	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cells = xrealloc(t->cells, t->cap * t->ncols *
		    sizeof(*t->cells));
	}
	for (i = 0; i < t->ncols; i++) {
		buf_init(&b, 64u * 1024);
		report_clean(&b, row[i], 1);
		t->cells[t->nrows * t->ncols + i] = buf_release(&b);
	}
	t->nrows++;
}

static void
table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

size_t
report_width(const char *s)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t c;
	utf8proc_ssize_t n;
	size_t w = 0;
	int cw;

	while (*p) {
		n = utf8proc_iterate(p, -1, &c);
		if (n <= 0) {
			w++;
			p++;
			continue;
		}
		cw = utf8proc_charwidth(c);
		w += cw > 0 ? (size_t)cw : 0;
		p += n;
	}
	return w;
}

/*
 * Render: aligned, each line after indent, columns two spaces apart, an
 * empty cell shown as "-", no padding after the last column; or TSV.
 */
static int
table_render(const struct table *t, enum report_layout layout,
    const char *indent, struct buf *out)
{
	size_t *width, r, c, w;
	int rc = 0;

	width = xcalloc(t->ncols ? t->ncols : 1, sizeof(*width));
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];

			w = *s ? report_width(s) : 1;
			if (w > width[c])
				width[c] = w;
		}
	for (r = 0; r < t->nrows && rc == 0; r++) {
		if (layout == REPORT_ALIGNED)
			rc |= buf_addstr(out, indent);
		for (c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];

			if (layout == REPORT_TSV) {
				if (c > 0)
					rc |= buf_addch(out, '\t');
				rc |= buf_addstr(out, s);
				continue;
			}
			if (*s == '\0')
				s = "-";
			rc |= buf_addstr(out, s);
			if (c + 1 == t->ncols)
				break;
			for (w = report_width(s); w < width[c] + 2; w++)
				rc |= buf_addch(out, ' ');
		}
		rc |= buf_addch(out, '\n');
	}
	free(width);
	return rc ? -1 : 0;
}

/* ---- list ---- */

int
report_list(struct store *st, const struct report_filter *f,
    enum report_layout layout, struct buf *out, char *err, size_t errlen)
{
	int own;
	static const char *const head[] = {
		"REFERENCE", "RECEIVED", "STATUS", "COUNTRY", "OFFICIALS",
		"MISSING", "FLAGS"
	};
	sqlite3 *db = store_handle(st);
	sqlite3_stmt *s;
	struct table t;
	struct buf flags;
	char when[64], count[32];
	int rc, ret = -1;

	if (begin(st, &own, err, errlen) == -1)
		return -1;
	if ((s = prepare(db, list_sql, f, err, errlen)) == NULL) {
		end(st, own);
		return -1;
	}
	table_init(&t, 7);
	table_add(&t, head);
	buf_init(&flags, 4096);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *row[7];

		report_time(sqlite3_column_int64(s, 1), 0, when, sizeof(when));
		snprintf(count, sizeof(count), "%" PRId64,
		    (int64_t)sqlite3_column_int64(s, 4));
		buf_truncate(&flags, 0);
		report_flags(&flags,
		    (unsigned)sqlite3_column_int64(s, 6), ",");
		row[0] = col_text(s, 0);
		row[1] = when;
		row[2] = col_text(s, 2);
		row[3] = col_text(s, 3);
		row[4] = count;
		row[5] = col_text(s, 5);
		row[6] = flags.data;
		table_add(&t, row);
	}
	if (rc != SQLITE_DONE)
		dbfail(db, err, errlen, "listing requests");
	else if (table_render(&t, layout, "", out) == -1)
		outfail(err, errlen);
	else
		ret = 0;
	buf_free(&flags);
	table_free(&t);
	sqlite3_finalize(s);
	end(st, own);
	return ret;
}

/* ---- show ---- */

/* Add a two-column row "name value" to t. */
static void
pair(struct table *t, const char *name, const char *value)
{
	const char *row[2] = { name, value };

	table_add(t, row);
}

/* One of show's statements, its :id bound to the request; NULL with err
 * set on failure. */
static sqlite3_stmt *
prepare_for_request(sqlite3 *db, const char *sql, int64_t id, char *err,
    size_t errlen)
{
	sqlite3_stmt *s;

	if ((s = prepare(db, sql, NULL, err, errlen)) == NULL)
		return NULL;
	if (bind_named_int(s, ":id", id)) {
		sqlite3_finalize(s);
		dbfail(db, err, errlen, "binding");
		return NULL;
	}
	return s;
}

static int
show_request(sqlite3 *db, int64_t id, struct buf *out, int *found,
    char *err, size_t errlen)
{
	sqlite3_stmt *s;
	struct table t;
	struct buf flags;
	char created[64], updated[64];
	int rc, ret = -1;

	*found = 0;
	if ((s = prepare_for_request(db, show_request_sql, id, err, errlen)) == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sqlite3_finalize(s);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		dbfail(db, err, errlen, "reading the request");
		sqlite3_finalize(s);
		return -1;
	}
	*found = 1;
	table_init(&t, 2);
	buf_init(&flags, 4096);
	report_flags(&flags, (unsigned)sqlite3_column_int64(s, 3), ",");
	report_time(sqlite3_column_int64(s, 7), 1, created, sizeof(created));
	report_time(sqlite3_column_int64(s, 8), 1, updated, sizeof(updated));
	pair(&t, "status", col_text(s, 1));
	pair(&t, "language", col_text(s, 2));
	pair(&t, "from", col_text(s, 5));
	pair(&t, "subject", col_text(s, 6));
	pair(&t, "created", created);
	pair(&t, "updated", updated);
	pair(&t, "flags", flags.data);
	pair(&t, "reason", col_text(s, 4));
	if (buf_printf(out, "request %s\n", col_text(s, 0)) == -1 ||
	    table_render(&t, REPORT_ALIGNED, "  ", out) == -1)
		outfail(err, errlen);
	else
		ret = 0;
	buf_free(&flags);
	table_free(&t);
	sqlite3_finalize(s);
	return ret;
}

static int
show_officials(sqlite3 *db, int64_t id, struct buf *out, char *err,
    size_t errlen)
{
	static const char *const head[] = {
		"field", "raw", "value", "problem"
	};
	sqlite3_stmt *s;
	struct table t;
	int64_t idx, cur = -1;
	int rc, ret = 0;

	if ((s = prepare_for_request(db, show_officials_sql, id, err, errlen)) == NULL)
		return -1;
	table_init(&t, 4);
	for (;;) {
		const char *row[4];

		rc = sqlite3_step(s);
		idx = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
		if (idx != cur && t.nrows > 0) {
			if (buf_printf(out, "\nofficial %" PRId64 "\n", cur) ==
			    -1 || table_render(&t, REPORT_ALIGNED, "  ", out) ==
			    -1)
				ret = outfail(err, errlen);
			table_free(&t);
			table_init(&t, 4);
		}
		if (rc != SQLITE_ROW || ret == -1)
			break;
		if (t.nrows == 0)
			table_add(&t, head);
		cur = idx;
		row[0] = col_text(s, 1);
		row[1] = col_text(s, 2);
		row[2] = col_text(s, 3);
		row[3] = col_text(s, 4);
		if (row[3] && strcmp(row[3], problem_key(PROBLEM_NONE)) == 0)
			row[3] = "ok";
		table_add(&t, row);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = dbfail(db, err, errlen, "reading the officials");
	if (ret == 0 && cur == -1 &&
	    buf_addstr(out, "\nofficials: none\n") == -1)
		ret = outfail(err, errlen);
	table_free(&t);
	sqlite3_finalize(s);
	return ret;
}

static int
show_messages(sqlite3 *db, int64_t id, struct buf *out, char *err,
    size_t errlen)
{
	static const char *const head[] = {
		"message-id", "received", "class", "status", "folder", "moved"
	};
	sqlite3_stmt *s;
	struct table t;
	char when[64];
	int rc, ret = -1;

	if ((s = prepare_for_request(db, show_messages_sql, id, err, errlen)) == NULL)
		return -1;
	table_init(&t, 6);
	table_add(&t, head);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *row[6];
		const char *folder = col_text(s, 4);
		int moved = sqlite3_column_int(s, 6);

		report_time(sqlite3_column_int64(s, 1), 1, when, sizeof(when));
		row[0] = col_text(s, 0);
		row[1] = when;
		row[2] = col_text(s, 2);
		row[3] = col_text(s, 3);
		row[4] = folder ? folder : col_text(s, 5);
		row[5] = folder == NULL ? "left in place" : moved ? "yes" :
		    "not yet";
		table_add(&t, row);
	}
	if (rc != SQLITE_DONE)
		dbfail(db, err, errlen, "reading the messages");
	else if (buf_addstr(out, "\nmessages\n") == -1 ||
	    table_render(&t, REPORT_ALIGNED, "  ", out) == -1)
		outfail(err, errlen);
	else
		ret = 0;
	table_free(&t);
	sqlite3_finalize(s);
	return ret;
}

static int
show_replies(sqlite3 *db, int64_t id, struct buf *out, char *err,
    size_t errlen)
{
	static const char *const head[] = {
		"kind", "to", "state", "attempts", "next attempt",
		"last error", "created", "sent"
	};
	sqlite3_stmt *s;
	struct table t;
	char next[64], created[64], sent[64], attempts[32];
	int rc, ret = -1;

	if ((s = prepare_for_request(db, show_replies_sql, id, err, errlen)) == NULL)
		return -1;
	table_init(&t, 8);
	table_add(&t, head);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *row[8];
		const char *state = col_text(s, 1);

		snprintf(attempts, sizeof(attempts), "%d",
		    sqlite3_column_int(s, 2));
		/* The next attempt only means something while queued. */
		if (state && strcmp(state, "queued") == 0)
			report_time(sqlite3_column_int64(s, 3), 1, next,
			    sizeof(next));
		else
			snprintf(next, sizeof(next), "-");
		report_time(sqlite3_column_int64(s, 5), 1, created,
		    sizeof(created));
		report_time(sqlite3_column_int64(s, 6), 1, sent, sizeof(sent));
		row[0] = col_text(s, 0);
		row[1] = col_text(s, 7);
		row[2] = state;
		row[3] = attempts;
		row[4] = next;
		row[5] = col_text(s, 4);
		row[6] = created;
		row[7] = sent;
		table_add(&t, row);
	}
	if (rc != SQLITE_DONE)
		dbfail(db, err, errlen, "reading the replies");
	else if (t.nrows == 1) {
		if (buf_addstr(out, "\nreplies: none\n") == -1)
			outfail(err, errlen);
		else
			ret = 0;
	} else if (buf_addstr(out, "\nreplies\n") == -1 ||
	    table_render(&t, REPORT_ALIGNED, "  ", out) == -1)
		outfail(err, errlen);
	else
		ret = 0;
	table_free(&t);
	sqlite3_finalize(s);
	return ret;
}

int
report_show(struct store *st, int64_t id, struct buf *out, char *err,
    size_t errlen)
{
	int own;
	sqlite3 *db = store_handle(st);
	int found, rc;

	if (begin(st, &own, err, errlen) == -1)
		return -1;
	rc = show_request(db, id, out, &found, err, errlen);
	if (rc == 0 && !found)
		rc = 1;
	if (rc == 0)
		rc = show_officials(db, id, out, err, errlen);
	if (rc == 0)
		rc = show_messages(db, id, out, err, errlen);
	if (rc == 0)
		rc = show_replies(db, id, out, err, errlen);
	end(st, own);
	return rc;
}

/* ---- export ---- */

int
report_export_json(struct store *st, const struct report_filter *f,
    struct buf *out, char *err, size_t errlen)
{
	int own;
	sqlite3 *db = store_handle(st);
	sqlite3_stmt *s;
	const char *json;
	int rc, ret = -1;

	if (begin(st, &own, err, errlen) == -1)
		return -1;
	if ((s = prepare(db, export_json_sql, f, err, errlen)) == NULL) {
		end(st, own);
		return -1;
	}
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW)
		dbfail(db, err, errlen, "exporting");
	else if ((json = col_text(s, 0)) == NULL)
		fail(err, errlen, "exporting: no result");
	else if (buf_addstr(out, json) == -1 || buf_addch(out, '\n') == -1)
		outfail(err, errlen);
	else
		ret = 0;
	sqlite3_finalize(s);
	end(st, own);
	return ret;
}

int
report_export_csv(struct store *st, const struct report_filter *f,
    struct buf *out, size_t *rows, char *err, size_t errlen)
{
	int own;
	sqlite3 *db = store_handle(st);
	sqlite3_stmt *s = NULL;
	struct buf sql, flags;
	size_t i, n = 0, ncols;
	char name[16];
	int rc, ret = -1, fi, bad = 0;

	if (rows)
		*rows = 0;
	/* One column per field, each key bound as :kN. */
	buf_init(&sql, 64u * 1024);
	buf_addstr(&sql, export_csv_head);
	for (fi = 0; fi < FIELD_COUNT; fi++)
		buf_printf(&sql, ", (SELECT " VALUE_SQL " FROM officials o"
		    " WHERE o.request_id = r.id AND o.idx = i.idx"
		    " AND o.field = :k%d)", fi);
	if (buf_addstr(&sql, export_csv_tail) == -1) {
		buf_free(&sql);
		return fail(err, errlen, "query too long");
	}
	if (begin(st, &own, err, errlen) == -1) {
		buf_free(&sql);
		return -1;
	}
	s = prepare(db, sql.data, f, err, errlen);
	buf_free(&sql);
	if (s == NULL) {
		end(st, own);
		return -1;
	}
	for (fi = 0; fi < FIELD_COUNT; fi++) {
		snprintf(name, sizeof(name), ":k%d", fi);
		bad |= bind_named_text(s, name, field_key((enum field)fi));
	}
	if (bad) {
		dbfail(db, err, errlen, "binding");
		goto out;
	}

	ncols = sizeof(csv_request_cols) / sizeof(csv_request_cols[0]);
	for (i = 0; i < ncols; i++) {
		if (i > 0)
			buf_addch(out, ',');
		report_csv_cell(out, csv_request_cols[i]);
	}
	for (fi = 0; fi < FIELD_COUNT; fi++) {
		buf_addch(out, ',');
		report_csv_cell(out, field_key((enum field)fi));
	}
	if (buf_addstr(out, "\r\n") == -1) {
		outfail(err, errlen);
		goto out;
	}
	buf_init(&flags, 4096);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int c, last = (int)ncols + FIELD_COUNT, r = 0;

		for (c = 0; c < last; c++) {
			if (c > 0)
				r |= buf_addch(out, ',');
			if (c == 7) {	/* flags: a bitmask */
				buf_truncate(&flags, 0);
				report_flags(&flags,
				    (unsigned)sqlite3_column_int64(s, c), ",");
				r |= report_csv_cell(out, flags.data);
			} else
				r |= report_csv_cell(out, col_text(s, c));
		}
		r |= buf_addstr(out, "\r\n");
		if (r) {
			rc = SQLITE_TOOBIG;
			break;
		}
		n++;
	}
	buf_free(&flags);
	if (rc == SQLITE_TOOBIG)
		outfail(err, errlen);
	else if (rc != SQLITE_DONE)
		dbfail(db, err, errlen, "exporting");
	else {
		ret = 0;
		if (rows)
			*rows = n;
	}
 out:
	sqlite3_finalize(s);
	end(st, own);
	return ret;
}

/* ---- stats ---- */

/* Counts by the text of column 0 of sql (grouped), into a table under
 * title: every name of known first (0 when absent), then any other. */
static int
count_section(sqlite3 *db, const char *sql, const char *title,
    const char *const *known, size_t nknown, struct table *t, char *err,
    size_t errlen)
{
	sqlite3_stmt *s;
	int64_t *counts, total = 0;
	char num[32];
	size_t i;
	int rc, ret = 0;
	const char *row[2];

	if ((s = prepare(db, sql, NULL, err, errlen)) == NULL)
		return -1;
	counts = xcalloc(nknown + 1, sizeof(*counts));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *k = col_text(s, 0);

		total += sqlite3_column_int64(s, 1);
		for (i = 0; i < nknown; i++)
			if (k && strcmp(k, known[i]) == 0)
				counts[i] = sqlite3_column_int64(s, 1);
	}
	if (rc != SQLITE_DONE) {
		ret = dbfail(db, err, errlen, title);
		goto out;
	}
	snprintf(num, sizeof(num), "%" PRId64, total);
	row[0] = title;
	row[1] = num;
	table_add(t, row);
	for (i = 0; i < nknown; i++) {
		char name[64];

		snprintf(name, sizeof(name), "  %s", known[i]);
		snprintf(num, sizeof(num), "%" PRId64, counts[i]);
		row[0] = name;
		row[1] = num;
		table_add(t, row);
	}
	/* Names this program does not know (a newer writer): shown too. */
	sqlite3_reset(s);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *k = col_text(s, 0);
		char name[80];

		for (i = 0; i < nknown; i++)
			if (k && strcmp(k, known[i]) == 0)
				break;
		if (i < nknown)
			continue;
		snprintf(name, sizeof(name), "  %.60s", k ? k : "(none)");
		snprintf(num, sizeof(num), "%" PRId64,
		    (int64_t)sqlite3_column_int64(s, 1));
		row[0] = name;
		row[1] = num;
		table_add(t, row);
	}
 out:
	free(counts);
	sqlite3_finalize(s);
	return ret;
}

int
report_stats(struct store *st, int64_t now, struct buf *out, char *err,
    size_t errlen)
{
	int own;
	sqlite3 *db = store_handle(st);
	const char *statuses[STATUS_COUNT], *langs[LANG_COUNT];
	const char *classes[CLASS_COUNT], *row[2];
	sqlite3_stmt *s;
	struct table t;
	char age[64];
	size_t n = 0;
	int i, rc, ret = -1;

	for (i = STATUS_NONE + 1; i < STATUS_COUNT; i++)
		statuses[n++] = status_key((enum intake_status)i);
	for (i = 0; i < LANG_COUNT; i++)
		langs[i] = lang_key((enum lang)i);
	for (i = 0; i < CLASS_COUNT; i++)
		classes[i] = class_key((enum intake_class)i);

	if (begin(st, &own, err, errlen) == -1)
		return -1;
	table_init(&t, 2);
	if (count_section(db, "SELECT status, count(*) FROM requests"
	    " GROUP BY status", "requests", statuses, n, &t, err,
	    errlen) == -1 ||
	    count_section(db, "SELECT language, count(*) FROM requests"
	    " GROUP BY language", "languages", langs, LANG_COUNT, &t, err,
	    errlen) == -1 ||
	    count_section(db, "SELECT state, count(*) FROM replies"
	    " GROUP BY state", "replies", reply_states,
	    sizeof(reply_states) / sizeof(reply_states[0]), &t, err,
	    errlen) == -1)
		goto out;

	if ((s = prepare(db, "SELECT min(created_at) FROM replies"
	    " WHERE state = 'queued'", NULL, err, errlen)) == NULL)
		goto out;
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		dbfail(db, err, errlen, "oldest queued reply");
		sqlite3_finalize(s);
		goto out;
	}
	if (sqlite3_column_type(s, 0) == SQLITE_NULL)
		snprintf(age, sizeof(age), "-");
	else
		report_age(now - sqlite3_column_int64(s, 0), age, sizeof(age));
	sqlite3_finalize(s);
	row[0] = "  oldest queued";
	row[1] = age;
	table_add(&t, row);

	if (count_section(db, "SELECT class, count(*) FROM messages"
	    " GROUP BY class", "messages", classes, CLASS_COUNT, &t, err,
	    errlen) == -1)
		goto out;
	if (table_render(&t, REPORT_ALIGNED, "", out) == -1)
		outfail(err, errlen);
	else
		ret = 0;
 out:
	table_free(&t);
	end(st, own);
	return ret;
}
