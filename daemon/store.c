/*
 * store.c -- intaked's SQLite store (see store.h).
 *
 * One connection per struct store; every statement is prepared once at
 * open and finalised at close, every value is bound.  Several processes
 * may share the file: intaked writes, intakectl reads.
 *
 * Connection settings, and why:
 *   journal_mode=WAL	readers (intakectl, a digest) never block the daemon,
 *			and the daemon never blocks them.
 *   wal_autocheckpoint	STORE_WAL_PAGES (32 MB of 4 KB pages): a checkpoint
 *			costs about as much for one commit's pages as for
 *			many commits' worth of the same pages.
 *   synchronous=NORMAL	a commit survives the process being killed at once,
 *			and a power loss once store_sync() has run: the
 *			daemon syncs before anything it decided leaves the
 *			machine (a reply, a move), one fsync a round instead
 *			of one a commit.
 *   foreign_keys=ON	per connection; checked after it is set.
 *   busy_timeout	a second writer waits this long for BEGIN IMMEDIATE.
 *   defensive, trusted_schema off: the file cannot be used to run anything.
 *
 * Schema (PRAGMA user_version; application_id 'INTK').  Each step of
 * migrations[] takes version N to N + 1 in one transaction; a store newer
 * than the code is refused.
 *
 *   mailboxes	name PK, uidvalidity, uidnext_first (UIDNEXT at the first
 *		start), highest_uid (high-water mark), updated_at.
 *   requests	id INTEGER PK AUTOINCREMENT (ids, hence references, are never
 *		reused), reference 'REQ-%06d' UNIQUE (set from the id in the
 *		same transaction), status, language, flags, reason, from_addr,
 *		from_domain (lower-case: matches follow-ups by domain),
 *		subject, created_at, updated_at.
 *   officials	(request_id, idx 1..n, field) PK, raw, value, problem: one row
 *		per field of each official, all seven always written, so an
 *		official with nothing valid still exists and NULL raw/value
 *		round-trip.  Normalised rather than 21 columns: one statement
 *		writes any field, reports select a field by key
 *		("... WHERE field = 'country'"), and a form that grows a field
 *		needs no schema change.  field and problem hold the keys of
 *		fields.h (field_key, problem_key), never enum numbers, so the
 *		file does not depend on the order of an enum.
 *   messages	id PK; message_id (without <>, NULL when absent, UNIQUE when
 *		present), hash (SHA-256 hex of the raw bytes) UNIQUE; where it
 *		arrived: mailbox, uidvalidity, uid (UNIQUE together);
 *		internaldate, received_at, from_addr, subject, class, status
 *		(NULL for other mail), reason, flags, request_id FK; where it
 *		belongs: folder (NULL: left in place); where it is now:
 *		location, loc_uidvalidity, loc_uid (0: unknown); moved = 1
 *		once location is where it belongs.  A request's status change
 *		re-points folder and clears moved (store_request_refile).
 *   parsing	(mailbox, uidvalidity, uid) PK, started_at: a marker per
 *		message in the parser.  A table of its own because the
 *		message row cannot exist before the parse has given its
 *		class and status.
 *   replies	the outbox: id PK, request_id FK, message_row FK (the
 *		message answered), kind ack|missing|review, message_id (ours)
 *		UNIQUE, rcpt, envelope_from, data BLOB (the whole rendered
 *		message), state queued|sent|failed|suppressed, attempts,
 *		next_attempt, last_error, created_at, sent_at.
 *   reply_counts (sender COLLATE NOCASE, day 'YYYY-MM-DD') PK, count.
 *
 * Version 2 adds the indexes of the daemon's and intakectl's frequent
 * queries (messages by request, messages waiting for a move, due replies,
 * replies by request).
 *
 * Enumerations are stored as text; the class and status names below are
 * part of the file format (the same words as SPEC 3 and the JSON export).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <sqlite3.h>

#include "extract.h"
#include "fields.h"
#include "intake.h"
#include "limits.h"
#include "store.h"
#include "xmalloc.h"

#define STORE_APPLICATION_ID	0x494e544b	/* "INTK" */

/*
 * Schema steps: migrations[N] takes user_version N to N + 1.  Append a step
 * to change the schema; never edit a step that has shipped.
 */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"PRAGMA application_id = 1229870155;\n"
	"CREATE TABLE mailboxes (\n"
	"    name TEXT NOT NULL PRIMARY KEY,\n"
	"    uidvalidity INTEGER NOT NULL,\n"
	"    uidnext_first INTEGER NOT NULL DEFAULT 0,\n"
	"    highest_uid INTEGER NOT NULL DEFAULT 0,\n"
	"    updated_at INTEGER NOT NULL\n"
	");\n"
	"CREATE TABLE requests (\n"
	"    id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	"    reference TEXT UNIQUE,\n"
	"    status TEXT NOT NULL CHECK (status IN ('complete',\n"
	"        'incomplete', 'review', 'quarantined')),\n"
	"    language TEXT NOT NULL,\n"
	"    flags INTEGER NOT NULL DEFAULT 0,\n"
	"    reason TEXT,\n"
	"    from_addr TEXT,\n"
	"    from_domain TEXT,\n"
	"    subject TEXT,\n"
	"    created_at INTEGER NOT NULL,\n"
	"    updated_at INTEGER NOT NULL\n"
	");\n"
	"CREATE TABLE officials (\n"
	"    request_id INTEGER NOT NULL REFERENCES requests(id)\n"
	"        ON DELETE CASCADE,\n"
	"    idx INTEGER NOT NULL CHECK (idx >= 1),\n"
	"    field TEXT NOT NULL,\n"
	"    raw TEXT,\n"
	"    value TEXT,\n"
	"    problem TEXT NOT NULL,\n"
	"    PRIMARY KEY (request_id, idx, field)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE messages (\n"
	"    id INTEGER PRIMARY KEY,\n"
	"    message_id TEXT,\n"
	"    hash TEXT NOT NULL UNIQUE,\n"
	"    mailbox TEXT NOT NULL,\n"
	"    uidvalidity INTEGER NOT NULL,\n"
	"    uid INTEGER NOT NULL,\n"
	"    internaldate INTEGER,\n"
	"    received_at INTEGER NOT NULL,\n"
	"    from_addr TEXT,\n"
	"    subject TEXT,\n"
	"    class TEXT NOT NULL CHECK (class IN ('request', 'other',\n"
	"        'ignored', 'quarantined')),\n"
	"    status TEXT CHECK (status IN ('complete', 'incomplete',\n"
	"        'review', 'quarantined')),\n"
	"    reason TEXT,\n"
	"    flags INTEGER NOT NULL DEFAULT 0,\n"
	"    request_id INTEGER REFERENCES requests(id),\n"
	"    folder TEXT,\n"
	"    location TEXT NOT NULL,\n"
	"    loc_uidvalidity INTEGER NOT NULL,\n"
	"    loc_uid INTEGER NOT NULL,\n"
	"    moved INTEGER NOT NULL DEFAULT 0 CHECK (moved IN (0, 1)),\n"
	"    UNIQUE (mailbox, uidvalidity, uid)\n"
	");\n"
	"CREATE UNIQUE INDEX messages_message_id ON messages(message_id)\n"
	"    WHERE message_id IS NOT NULL;\n"
	"CREATE TABLE parsing (\n"
	"    mailbox TEXT NOT NULL,\n"
	"    uidvalidity INTEGER NOT NULL,\n"
	"    uid INTEGER NOT NULL,\n"
	"    started_at INTEGER NOT NULL,\n"
	"    PRIMARY KEY (mailbox, uidvalidity, uid)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE replies (\n"
	"    id INTEGER PRIMARY KEY,\n"
	"    request_id INTEGER NOT NULL REFERENCES requests(id),\n"
	"    message_row INTEGER REFERENCES messages(id),\n"
	"    kind TEXT NOT NULL CHECK (kind IN ('ack', 'missing',\n"
	"        'review')),\n"
	"    message_id TEXT NOT NULL UNIQUE,\n"
	"    rcpt TEXT NOT NULL,\n"
	"    envelope_from TEXT NOT NULL,\n"
	"    data BLOB NOT NULL,\n"
	"    state TEXT NOT NULL CHECK (state IN ('queued', 'sent',\n"
	"        'failed', 'suppressed')),\n"
	"    attempts INTEGER NOT NULL DEFAULT 0,\n"
	"    next_attempt INTEGER NOT NULL,\n"
	"    last_error TEXT,\n"
	"    created_at INTEGER NOT NULL,\n"
	"    sent_at INTEGER\n"
	");\n"
	"CREATE TABLE reply_counts (\n"
	"    sender TEXT NOT NULL COLLATE NOCASE,\n"
	"    day TEXT NOT NULL CHECK (day GLOB\n"
	"        '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),\n"
	"    count INTEGER NOT NULL DEFAULT 0,\n"
	"    PRIMARY KEY (sender, day)\n"
	") WITHOUT ROWID;\n"
	"PRAGMA user_version = 1;\n",

	/* 1 -> 2 */
	"CREATE INDEX messages_request ON messages(request_id)\n"
	"    WHERE request_id IS NOT NULL;\n"
	"CREATE INDEX messages_unmoved ON messages(location, id)\n"
	"    WHERE moved = 0;\n"
	"CREATE INDEX replies_due ON replies(next_attempt, id)\n"
	"    WHERE state = 'queued';\n"
	"CREATE INDEX replies_request ON replies(request_id);\n"
	"PRAGMA user_version = 2;\n",
};

#define STORE_VERSION	((int)(sizeof(migrations) / sizeof(migrations[0])))

enum {
	Q_BEGIN,
	Q_BEGIN_IMMEDIATE,
	Q_COMMIT,
	Q_ROLLBACK,
	Q_SAVEPOINT,
	Q_RELEASE,
	Q_ROLLBACK_TO,
	Q_SNAPSHOT,
	Q_MAILBOX_GET,
	Q_MAILBOX_SET,
	Q_MAILBOX_ADVANCE,
	Q_MSG_BY_MSGID,
	Q_MSG_BY_HASH,
	Q_MSG_BY_UID,
	Q_MSG_ADD,
	Q_MSG_SET_MOVED,
	Q_MSG_KEEP,
	Q_MSG_UNMOVED,
	Q_MSG_LAST,
	Q_PARSING_BEGIN,
	Q_PARSING_END,
	Q_PARSING_LIST,
	Q_REQ_INSERT,
	Q_REQ_SET_REF,
	Q_REQ_GET,
	Q_REQ_UPDATE,
	Q_REQ_REFILE,
	Q_REQ_SENDER,
	Q_REQ_BY_REPLY,
	Q_REQ_BY_MSG,
	Q_OFF_DELETE,
	Q_OFF_INSERT,
	Q_OFF_GET,
	Q_REPLY_ADD,
	Q_REPLY_DUE,
	Q_REPLY_NEXT,
	Q_REPLY_SENT,
	Q_REPLY_RETRY_LATER,
	Q_REPLY_FAILED,
	Q_REPLY_RETRY,
	Q_COUNT_GET,
	Q_COUNT_BUMP,
	Q_COUNT
};

#define MSGROW_COLS \
	"id, request_id, message_id, folder, location, loc_uidvalidity, " \
	"loc_uid, moved"

#define REPLY_COLS \
	"r.id, r.request_id, q.reference, r.message_row, r.kind, " \
	"r.message_id, r.rcpt, r.envelope_from, r.data, r.state, " \
	"r.attempts, r.next_attempt, r.last_error, r.created_at, r.sent_at"

static const char *const queries[Q_COUNT] = {
	[Q_BEGIN] = "BEGIN",
	[Q_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
	[Q_COMMIT] = "COMMIT",
	[Q_ROLLBACK] = "ROLLBACK",
	[Q_SAVEPOINT] = "SAVEPOINT store_op",
	[Q_RELEASE] = "RELEASE store_op",
	[Q_ROLLBACK_TO] = "ROLLBACK TO store_op",
	[Q_SNAPSHOT] = "SELECT count(*) FROM sqlite_schema",

	[Q_MAILBOX_GET] =
	    "SELECT uidvalidity, uidnext_first, highest_uid, updated_at "
	    "FROM mailboxes WHERE name = ?1",
	[Q_MAILBOX_SET] =
	    "INSERT INTO mailboxes (name, uidvalidity, uidnext_first, "
	    "highest_uid, updated_at) VALUES (?1, ?2, ?3, ?4, ?5) "
	    "ON CONFLICT (name) DO UPDATE SET "
	    "uidvalidity = excluded.uidvalidity, "
	    "uidnext_first = excluded.uidnext_first, "
	    "highest_uid = excluded.highest_uid, "
	    "updated_at = excluded.updated_at",
	[Q_MAILBOX_ADVANCE] =
	    "UPDATE mailboxes SET highest_uid = max(highest_uid, ?3), "
	    "updated_at = ?4 WHERE name = ?1 AND uidvalidity = ?2",

	[Q_MSG_BY_MSGID] =
	    "SELECT " MSGROW_COLS " FROM messages WHERE message_id = ?1",
	[Q_MSG_BY_HASH] =
	    "SELECT " MSGROW_COLS " FROM messages WHERE hash = ?1",
	[Q_MSG_BY_UID] =
	    "SELECT " MSGROW_COLS " FROM messages "
	    "WHERE mailbox = ?1 AND uidvalidity = ?2 AND uid = ?3",
	[Q_MSG_ADD] =
	    "INSERT INTO messages (message_id, hash, mailbox, uidvalidity, "
	    "uid, internaldate, received_at, from_addr, subject, class, "
	    "status, reason, flags, request_id, folder, location, "
	    "loc_uidvalidity, loc_uid, moved) VALUES (?1, ?2, ?3, ?4, ?5, "
	    "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?3, ?4, ?5, "
	    "?15 IS NULL) ON CONFLICT DO NOTHING",
	[Q_MSG_SET_MOVED] =
	    "UPDATE messages SET location = ?2, loc_uidvalidity = ?3, "
	    "loc_uid = ?4, moved = (?2 = coalesce(folder, mailbox)) "
	    "WHERE id = ?1",
	[Q_MSG_KEEP] =
	    "UPDATE messages SET folder = location, moved = 1 WHERE id = ?1",
	[Q_MSG_UNMOVED] =
	    "SELECT " MSGROW_COLS " FROM messages WHERE moved = 0 "
	    "AND folder IS NOT NULL AND (?1 IS NULL OR location = ?1) "
	    "ORDER BY id LIMIT ?2",
	[Q_MSG_LAST] = "SELECT max(id) FROM messages",
	[Q_PARSING_BEGIN] =
	    "INSERT INTO parsing (mailbox, uidvalidity, uid, started_at) "
	    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
	[Q_PARSING_END] =
	    "DELETE FROM parsing "
	    "WHERE mailbox = ?1 AND uidvalidity = ?2 AND uid = ?3",
	[Q_PARSING_LIST] =
	    "SELECT mailbox, uidvalidity, uid, started_at FROM parsing "
	    "ORDER BY started_at, mailbox, uidvalidity, uid",

	[Q_REQ_INSERT] =
	    "INSERT INTO requests (status, language, flags, reason, "
	    "from_addr, from_domain, subject, created_at, updated_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
	[Q_REQ_SET_REF] = "UPDATE requests SET reference = ?2 WHERE id = ?1",
	[Q_REQ_GET] =
	    "SELECT id, reference, status, language, flags, reason, "
	    "from_addr, from_domain, subject, created_at, updated_at "
	    "FROM requests WHERE id = ?1",
	[Q_REQ_UPDATE] =
	    "UPDATE requests SET status = ?2, flags = ?3, reason = ?4, "
	    "updated_at = ?5 WHERE id = ?1",
	[Q_REQ_REFILE] =
	    "UPDATE messages SET folder = ?2, moved = (location = ?2) "
	    "WHERE request_id = ?1 AND class = 'request' "
	    "AND folder IS NOT ?2",
	[Q_REQ_SENDER] =
	    "SELECT from_addr, from_domain FROM requests WHERE id = ?1",
	[Q_REQ_BY_REPLY] =
	    "SELECT request_id FROM replies WHERE message_id = ?1",
	[Q_REQ_BY_MSG] =
	    "SELECT request_id FROM messages "
	    "WHERE message_id = ?1 AND request_id IS NOT NULL",

	[Q_OFF_DELETE] = "DELETE FROM officials WHERE request_id = ?1",
	[Q_OFF_INSERT] =
	    "INSERT INTO officials (request_id, idx, field, raw, value, "
	    "problem) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[Q_OFF_GET] =
	    "SELECT idx, field, raw, value, problem FROM officials "
	    "WHERE request_id = ?1 ORDER BY idx",

	[Q_REPLY_ADD] =
	    "INSERT INTO replies (request_id, message_row, kind, message_id, "
	    "rcpt, envelope_from, data, state, attempts, next_attempt, "
	    "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, ?9, ?9)",
	[Q_REPLY_DUE] =
	    "SELECT " REPLY_COLS " FROM replies r "
	    "JOIN requests q ON q.id = r.request_id "
	    "WHERE r.state = 'queued' AND r.next_attempt <= ?1 "
	    "ORDER BY r.next_attempt, r.id LIMIT ?2",
	[Q_REPLY_NEXT] =
	    "SELECT min(next_attempt) FROM replies WHERE state = 'queued'",
	[Q_REPLY_SENT] =
	    "UPDATE replies SET state = 'sent', attempts = attempts + 1, "
	    "sent_at = ?2 WHERE id = ?1 AND state = 'queued'",
	[Q_REPLY_RETRY_LATER] =
	    "UPDATE replies SET attempts = attempts + 1, "
	    "next_attempt = ?3 + min(3600, 60 << min(attempts, 6)), "
	    "last_error = ?2 WHERE id = ?1 AND state = 'queued'",
	[Q_REPLY_FAILED] =
	    "UPDATE replies SET state = 'failed', attempts = attempts + 1, "
	    "last_error = ?2 WHERE id = ?1 AND state = 'queued'",
	[Q_REPLY_RETRY] =
	    "UPDATE replies SET state = 'queued', attempts = 0, "
	    "next_attempt = ?2 WHERE request_id = ?1 AND state = 'failed'",

	[Q_COUNT_GET] =
	    "SELECT count FROM reply_counts WHERE sender = ?1 AND day = ?2",
	[Q_COUNT_BUMP] =
	    "INSERT INTO reply_counts (sender, day, count) VALUES (?1, ?2, 1) "
	    "ON CONFLICT (sender, day) DO UPDATE SET count = count + 1 "
	    "RETURNING count",
};

/* On-disk names; NULL: not stored (STATUS_NONE is a NULL status). */
static const char *const status_names[STATUS_COUNT] = {
	[STATUS_NONE] = NULL,
	[STATUS_COMPLETE] = "complete",
	[STATUS_INCOMPLETE] = "incomplete",
	[STATUS_REVIEW] = "review",
	[STATUS_QUARANTINED] = "quarantined",
};

static const char *const class_names[CLASS_COUNT] = {
	[CLASS_REQUEST] = "request",
	[CLASS_OTHER] = "other",
	[CLASS_IGNORED] = "ignored",
	[CLASS_QUARANTINED] = "quarantined",
};

static const char *const kind_names[STORE_REPLY_KIND_COUNT] = {
	[STORE_REPLY_ACK] = "ack",
	[STORE_REPLY_MISSING] = "missing",
	[STORE_REPLY_REVIEW] = "review",
};

static const char *const state_names[STORE_REPLY_STATE_COUNT] = {
	[STORE_REPLY_QUEUED] = "queued",
	[STORE_REPLY_SENT] = "sent",
	[STORE_REPLY_FAILED] = "failed",
	[STORE_REPLY_SUPPRESSED] = "suppressed",
};

#define STORE_WAL_PAGES	"8192"	/* pages in the WAL before a checkpoint */

struct store {
	sqlite3		*db;
	sqlite3_stmt	*q[Q_COUNT];
	int		 busy_ms;
	int		 readonly;
	int64_t		 synced;	/* total changes at the last sync */
	char		 err[512];
};

/* How a multi-statement function holds its transaction. */
enum { TX_OWN = 1, TX_SAVEPOINT = 2 };

static int
errorf(struct store *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
errorf(struct store *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof st->err, fmt, ap);
	va_end(ap);
	return -1;
}

/* Record SQLite's reason for the failure of `what'. */
static int
dberr(struct store *st, const char *what)
{
	int code = sqlite3_extended_errcode(st->db);

	if ((code & 0xff) == SQLITE_BUSY)
		return errorf(st, "%s: %s (still busy after %d ms)", what,
		    sqlite3_errmsg(st->db), st->busy_ms);
	return errorf(st, "%s: %s", what, sqlite3_errmsg(st->db));
}

static void
finish(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/* Binding: 0 on success.  Text is bound SQLITE_STATIC: every
 * statement is reset and its bindings cleared before its caller returns. */
static int
bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		return sqlite3_bind_null(s, i) != SQLITE_OK;
	return sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC) != SQLITE_OK;
}

static int
bind_int(sqlite3_stmt *s, int i, int64_t v)
{
	return sqlite3_bind_int64(s, i, v) != SQLITE_OK;
}

/* 0 binds NULL (no row, unknown time). */
static int
bind_id(sqlite3_stmt *s, int i, int64_t v)
{
	if (v == 0)
		return sqlite3_bind_null(s, i) != SQLITE_OK;
	return sqlite3_bind_int64(s, i, v) != SQLITE_OK;
}

static int
bind_limit(sqlite3_stmt *s, int i, size_t limit)
{
	if (limit == 0 || limit > INT64_MAX)
		return bind_int(s, i, -1);
	return bind_int(s, i, (int64_t)limit);
}

/* Run a statement that returns no row (or rows nobody needs). */
static int
step_done(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE) {
		dberr(st, what);
		finish(s);
		return -1;
	}
	finish(s);
	return 0;
}

/* Run statement q, which was bound by the caller; `bad' is the result of
 * the binding. */
static int
run(struct store *st, int q, int bad, const char *what)
{
	if (bad) {
		dberr(st, what);
		finish(st->q[q]);
		return -1;
	}
	return step_done(st, st->q[q], what);
}

static char *
col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? xstrdup((const char *)t) : NULL;
}

static uint32_t
col_u32(sqlite3_stmt *s, int i)
{
	int64_t v = sqlite3_column_int64(s, i);

	return v < 0 || v > UINT32_MAX ? 0 : (uint32_t)v;
}

static int
name_find(const char *const *names, int n, const char *s)
{
	int i;

	if (s == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(names[i], s) == 0)
			return i;
	return -1;
}

static int
problem_find(const char *s)
{
	int i;

	if (s == NULL)
		return -1;
	for (i = 0; i < PROBLEM_COUNT; i++)
		if (strcmp(problem_key((enum field_problem)i), s) == 0)
			return i;
	return -1;
}

/* Lower-case copy of the domain of addr, NULL when it has none. */
static char *
addr_domain(const char *addr)
{
	const char *at;
	char *d, *p;

	if (addr == NULL || (at = strrchr(addr, '@')) == NULL ||
	    at[1] == '\0')
		return NULL;
	d = xstrdup(at + 1);
	for (p = d; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

/*
 * Transactions of multi-statement functions: their own when the caller
 * has none (BEGIN IMMEDIATE to write, BEGIN to read), else a savepoint in
 * the caller's.  tx_leave() commits when rc is 0, else undoes and keeps
 * the first error.
 */
static int
tx_enter(struct store *st, int write, int *tx)
{
	if (sqlite3_get_autocommit(st->db)) {
		*tx = TX_OWN;
		return run(st, write ? Q_BEGIN_IMMEDIATE : Q_BEGIN, 0,
		    "begin");
	}
	*tx = TX_SAVEPOINT;
	return run(st, Q_SAVEPOINT, 0, "savepoint");
}

static int
tx_leave(struct store *st, int tx, int rc)
{
	char keep[sizeof st->err];

	if (rc >= 0) {
		if (run(st, tx == TX_OWN ? Q_COMMIT : Q_RELEASE, 0,
		    "commit") == 0)
			return rc;
	}
	memcpy(keep, st->err, sizeof keep);
	/* Some errors (disk full, I/O) have rolled everything back already. */
	if (!sqlite3_get_autocommit(st->db)) {
		if (tx == TX_OWN)
			run(st, Q_ROLLBACK, 0, "rollback");
		else if (run(st, Q_ROLLBACK_TO, 0, "rollback") == 0)
			run(st, Q_RELEASE, 0, "release");
	}
	memcpy(st->err, keep, sizeof keep);
	return -1;
}

/* An integer from a PRAGMA (constant SQL text). */
static int
pragma_int(struct store *st, const char *sql, int64_t *v)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return dberr(st, sql);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(s, 0);
	else if (rc == SQLITE_DONE)
		*v = 0;
	else
		dberr(st, sql);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* A text from a PRAGMA into out. */
static int
pragma_text(struct store *st, const char *sql, char *out, size_t outlen)
{
	sqlite3_stmt *s;
	const unsigned char *t;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return dberr(st, sql);
	rc = sqlite3_step(s);
	out[0] = '\0';
	if (rc == SQLITE_ROW && (t = sqlite3_column_text(s, 0)) != NULL)
		snprintf(out, outlen, "%s", (const char *)t);
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		dberr(st, sql);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static int
exec_sql(struct store *st, const char *sql, const char *what)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		errorf(st, "%s: %s", what, msg ? msg : "error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Bring the schema to version target, one transaction per step. */
static int
migrate(struct store *st, const char *path, int target)
{
	int64_t v, appid, ntables;

	if (pragma_int(st, "PRAGMA application_id", &appid) == -1)
		return -1;
	if (appid != 0 && appid != STORE_APPLICATION_ID)
		return errorf(st, "%s: not an intaked store (application_id "
		    "%" PRId64 ")", path, appid);
	for (;;) {
		if (pragma_int(st, "PRAGMA user_version", &v) == -1)
			return -1;
		if (v > STORE_VERSION)
			return errorf(st, "%s: schema version %" PRId64 " is "
			    "newer than this program knows (%d); use a newer "
			    "intaked", path, v, STORE_VERSION);
		if (v < 0)
			return errorf(st, "%s: bad schema version %" PRId64,
			    path, v);
		if (v >= target)
			return 0;
		if (st->readonly)
			return errorf(st, "%s: schema version %" PRId64
			    " needs an upgrade to %d: open it once "
			    "read-write (run intaked)", path, v, target);
		if (exec_sql(st, "BEGIN IMMEDIATE", "begin upgrade") == -1)
			return -1;
		/* Another process may have upgraded while we waited. */
		if (pragma_int(st, "PRAGMA user_version", &v) == -1)
			goto fail;
		if (v == 0) {
			if (pragma_int(st, "SELECT count(*) FROM sqlite_schema",
			    &ntables) == -1)
				goto fail;
			if (ntables > 0) {
				errorf(st, "%s: not an intaked store (it has "
				    "tables but no schema version)", path);
				goto fail;
			}
		}
		if (v >= 0 && v < target && exec_sql(st, migrations[v],
		    "upgrading the schema") == -1) {
			char keep[sizeof st->err];

			memcpy(keep, st->err, sizeof keep);
			snprintf(st->err, sizeof st->err, "%s: version %"
			    PRId64 " -> %" PRId64 ": %.400s", path, v, v + 1,
			    keep);
			goto fail;
		}
		if (exec_sql(st, "COMMIT", "commit upgrade") == -1)
			goto fail;
	}

 fail:
	if (!sqlite3_get_autocommit(st->db)) {
		char keep[sizeof st->err];

		memcpy(keep, st->err, sizeof keep);
		exec_sql(st, "ROLLBACK", "rollback upgrade");
		memcpy(st->err, keep, sizeof keep);
	}
	return -1;
}

/* Open the connection and set it up; target: schema version wanted. */
static int
store_connect(struct store *st, const char *path, int flags, int busy_ms,
    int target)
{
	char mode[32];
	int64_t fk;
	int oflags, on;

	st->busy_ms = busy_ms < 0 ? STORE_BUSY_MS : busy_ms;
	st->synced = -1;	/* a run before this one may have left commits */
	st->readonly = (flags & STORE_READONLY) != 0;
	if (st->readonly)
		oflags = SQLITE_OPEN_READONLY;
	else {
		oflags = SQLITE_OPEN_READWRITE;
		if (flags & STORE_CREATE)
			oflags |= SQLITE_OPEN_CREATE;
	}
	if (sqlite3_open_v2(path, &st->db, oflags, NULL) != SQLITE_OK) {
		if (st->db == NULL)
			return errorf(st, "%s: cannot open: out of memory",
			    path);
		return errorf(st, "%s: cannot open: %s", path,
		    sqlite3_errmsg(st->db));
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, st->busy_ms);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, &on);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, &on);
	if (pragma_text(st, st->readonly ? "PRAGMA journal_mode" :
	    "PRAGMA journal_mode = WAL", mode, sizeof mode) == -1)
		goto fail;
	if (!st->readonly && strcmp(mode, "wal") != 0) {
		errorf(st, "%s: cannot use WAL (journal mode is \"%s\"); is "
		    "the directory writable?", path, mode);
		goto fail;
	}
	/*
	 * NORMAL: a commit survives the process being killed, not yet a
	 * power loss.  store_sync() makes everything committed durable, and
	 * is called before anything leaves the machine (a reply, a move):
	 * one fsync a batch instead of one a commit.
	 */
	if (exec_sql(st, "PRAGMA synchronous = NORMAL", "synchronous") == -1)
		goto fail;
	/* Checkpoint when the WAL holds STORE_WAL_PAGES pages, not SQLite's
	 * 1000: a decision rewrites the same index pages, and a checkpoint
	 * copies each page once however many commits changed it. */
	if (!st->readonly && exec_sql(st, "PRAGMA wal_autocheckpoint = "
	    STORE_WAL_PAGES, "wal_autocheckpoint") == -1)
		goto fail;
	if (exec_sql(st, "PRAGMA foreign_keys = ON", "foreign_keys") == -1 ||
	    pragma_int(st, "PRAGMA foreign_keys", &fk) == -1)
		goto fail;
	if (fk != 1) {
		errorf(st, "%s: foreign keys cannot be enabled", path);
		goto fail;
	}
	if (migrate(st, path, target) == -1)
		goto fail;
	return 0;

 fail:
	{
		char keep[sizeof st->err];

		memcpy(keep, st->err, sizeof keep);
		if (strncmp(keep, path, strlen(path)) != 0)
			snprintf(st->err, sizeof st->err, "%s: %.400s", path,
			    keep);
	}
	return -1;
}

int
store_sync(struct store *st)
{
	const char *db;
	char wal[4096 + 8];
	/* Rows changed by this connection so far: a number that only grows
	 * with every commit. */
	int64_t mark = sqlite3_total_changes64(st->db);
	int fd, rc, e;

	if (mark == st->synced)
		return 0;	/* nothing committed since the last sync */
	if (st->readonly || (db = sqlite3_db_filename(st->db, "main")) ==
	    NULL || *db == '\0')
		return 0;
	if ((size_t)snprintf(wal, sizeof wal, "%s-wal", db) >= sizeof wal)
		return errorf(st, "%s: path too long", db);
	/* The WAL holds every commit since the last checkpoint, and
	 * checkpoints sync it themselves: syncing the file is enough. */
	if ((fd = open(wal, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : errorf(st, "%s: %s", wal,
		    strerror(errno));
	rc = fdatasync(fd);
	e = errno;
	close(fd);
	if (rc == -1)
		return errorf(st, "%s: cannot sync: %s", wal, strerror(e));
	st->synced = mark;
	return 0;
}

static void
store_disconnect(struct store *st)
{
	int i;

	for (i = 0; i < Q_COUNT; i++) {
		sqlite3_finalize(st->q[i]);
		st->q[i] = NULL;
	}
	if (st->db)
		sqlite3_close(st->db);
	st->db = NULL;
}

int
store_schema_version(void)
{
	return STORE_VERSION;
}

int
store_open(const char *path, int flags, int busy_ms, struct store **stp,
    char *err, size_t errlen)
{
	struct store *st;
	int i;

	*stp = NULL;
	st = xcalloc(1, sizeof *st);
	if (store_connect(st, path, flags, busy_ms, STORE_VERSION) == -1)
		goto fail;
	for (i = 0; i < Q_COUNT; i++) {
		if (queries[i] == NULL) {
			errorf(st, "statement %d missing", i);
			goto fail;
		}
		if (sqlite3_prepare_v3(st->db, queries[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->q[i], NULL) != SQLITE_OK) {
			errorf(st, "%s: preparing \"%.60s\": %s", path,
			    queries[i], sqlite3_errmsg(st->db));
			goto fail;
		}
	}
	*stp = st;
	return 0;

 fail:
	if (err && errlen)
		snprintf(err, errlen, "%s", st->err);
	store_disconnect(st);
	free(st);
	return -1;
}

int
store_upgrade(const char *path, int version, char *err, size_t errlen)
{
	struct store st;
	int64_t v;
	int rc = -1;

	memset(&st, 0, sizeof st);
	if (version < 1 || version > STORE_VERSION) {
		errorf(&st, "%s: no schema version %d (1 to %d)", path,
		    version, STORE_VERSION);
		goto out;
	}
	if (store_connect(&st, path, STORE_CREATE, -1, version) == -1)
		goto out;
	if (pragma_int(&st, "PRAGMA user_version", &v) == -1)
		goto out;
	if (v != version) {
		errorf(&st, "%s: schema version %" PRId64 " is past %d", path,
		    v, version);
		goto out;
	}
	rc = 0;
 out:
	if (rc == -1 && err && errlen)
		snprintf(err, errlen, "%s", st.err);
	store_disconnect(&st);
	return rc;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	if (st->db && !sqlite3_get_autocommit(st->db))
		run(st, Q_ROLLBACK, 0, "rollback");
	store_disconnect(st);
	free(st);
}

const char *
store_error(const struct store *st)
{
	return st ? st->err : "no store";
}

struct sqlite3 *
store_handle(struct store *st)
{
	return st->db;
}

int
store_begin(struct store *st)
{
	return run(st, Q_BEGIN_IMMEDIATE, 0, "begin");
}

int
store_begin_read(struct store *st)
{
	if (run(st, Q_BEGIN, 0, "begin") == -1)
		return -1;
	if (run(st, Q_SNAPSHOT, 0, "snapshot") == -1) {
		store_rollback(st);
		return -1;
	}
	return 0;
}

int
store_commit(struct store *st)
{
	return run(st, Q_COMMIT, 0, "commit");
}

int
store_rollback(struct store *st)
{
	if (sqlite3_get_autocommit(st->db))
		return 0;
	return run(st, Q_ROLLBACK, 0, "rollback");
}

int
store_hash(const void *raw, size_t len, char hex[STORE_HASHLEN])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[32];
	size_t i;

	hex[0] = '\0';
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, raw, len, md) < 0)
		return -1;
	for (i = 0; i < sizeof md; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0x0f];
	}
	hex[64] = '\0';
	return 0;
}

int
store_day(int64_t t, char day[11])
{
	struct tm tm;
	time_t tt = (time_t)t;

	day[0] = '\0';
	if (gmtime_r(&tt, &tm) == NULL || tm.tm_year < -1900 ||
	    tm.tm_year > 9999 - 1900)
		return -1;
	return strftime(day, 11, "%Y-%m-%d", &tm) == 10 ? 0 : -1;
}

/* Mailboxes. */

int
store_mailbox_get(struct store *st, const char *name,
    struct store_mailbox *mb, int *found)
{
	sqlite3_stmt *s = st->q[Q_MAILBOX_GET];
	int rc;

	memset(mb, 0, sizeof *mb);
	*found = 0;
	if (bind_text(s, 1, name)) {
		finish(s);
		return dberr(st, "mailbox");
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		mb->uidvalidity = col_u32(s, 0);
		mb->uidnext_first = col_u32(s, 1);
		mb->highest_uid = col_u32(s, 2);
		mb->updated_at = sqlite3_column_int64(s, 3);
		*found = 1;
	} else if (rc != SQLITE_DONE)
		dberr(st, "mailbox");
	finish(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int
store_mailbox_set(struct store *st, const char *name,
    const struct store_mailbox *mb)
{
	sqlite3_stmt *s = st->q[Q_MAILBOX_SET];

	if (name == NULL)
		return errorf(st, "mailbox: no name");
	return run(st, Q_MAILBOX_SET, bind_text(s, 1, name) ||
	    bind_int(s, 2, mb->uidvalidity) ||
	    bind_int(s, 3, mb->uidnext_first) ||
	    bind_int(s, 4, mb->highest_uid) ||
	    bind_int(s, 5, (int64_t)time(NULL)), "mailbox");
}

int
store_mailbox_advance(struct store *st, const char *name,
    uint32_t uidvalidity, uint32_t uid)
{
	sqlite3_stmt *s = st->q[Q_MAILBOX_ADVANCE];

	if (run(st, Q_MAILBOX_ADVANCE, bind_text(s, 1, name) ||
	    bind_int(s, 2, uidvalidity) || bind_int(s, 3, uid) ||
	    bind_int(s, 4, (int64_t)time(NULL)), "mailbox") == -1)
		return -1;
	if (sqlite3_changes(st->db) != 1)
		return errorf(st, "mailbox %s: no state for UIDVALIDITY %u",
		    name, (unsigned)uidvalidity);
	return 0;
}

/* Messages. */

void
store_msgrow_clear(struct store_msgrow *r)
{
	if (r == NULL)
		return;
	free(r->message_id);
	free(r->folder);
	free(r->location);
	memset(r, 0, sizeof *r);
}

void
store_msgrows_free(struct store_msgrow *rows, size_t n)
{
	size_t i;

	if (rows == NULL)
		return;
	for (i = 0; i < n; i++)
		store_msgrow_clear(&rows[i]);
	free(rows);
}

static void
msgrow_read(sqlite3_stmt *s, struct store_msgrow *r)
{
	r->id = sqlite3_column_int64(s, 0);
	r->request_id = sqlite3_column_int64(s, 1);
	r->message_id = col_dup(s, 2);
	r->folder = col_dup(s, 3);
	r->location = col_dup(s, 4);
	r->loc_uidvalidity = col_u32(s, 5);
	r->loc_uid = col_u32(s, 6);
	r->moved = sqlite3_column_int(s, 7) != 0;
}

/* One message row from statement q, already bound (bad: binding failed). */
static int
msgrow_query(struct store *st, int q, int bad, struct store_msgrow *r,
    int *found)
{
	sqlite3_stmt *s = st->q[q];
	int rc;

	*found = 0;
	if (bad) {
		finish(s);
		return dberr(st, "message lookup");
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		msgrow_read(s, r);
		*found = 1;
	} else if (rc != SQLITE_DONE)
		dberr(st, "message lookup");
	finish(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int
store_message_lookup(struct store *st, const char *message_id,
    const char *hash, struct store_msgrow *row, int *found)
{
	memset(row, 0, sizeof *row);
	*found = 0;
	if (message_id != NULL) {
		if (msgrow_query(st, Q_MSG_BY_MSGID,
		    bind_text(st->q[Q_MSG_BY_MSGID], 1, message_id), row,
		    found) == -1)
			return -1;
		if (*found)
			return 0;
	}
	if (hash == NULL)
		return 0;
	return msgrow_query(st, Q_MSG_BY_HASH,
	    bind_text(st->q[Q_MSG_BY_HASH], 1, hash), row, found);
}

int
store_message_add(struct store *st, const struct store_message *m,
    int64_t *id)
{
	sqlite3_stmt *s = st->q[Q_MSG_ADD];
	struct store_msgrow row;
	const char *status;
	int found;

	*id = 0;
	if ((unsigned)m->class >= CLASS_COUNT ||
	    (unsigned)m->status >= STATUS_COUNT)
		return errorf(st, "message: bad class or status");
	if (m->hash == NULL || m->mailbox == NULL)
		return errorf(st, "message: no hash or mailbox");
	status = status_names[m->status];
	if (run(st, Q_MSG_ADD, bind_text(s, 1, m->message_id) ||
	    bind_text(s, 2, m->hash) || bind_text(s, 3, m->mailbox) ||
	    bind_int(s, 4, m->uidvalidity) || bind_int(s, 5, m->uid) ||
	    bind_id(s, 6, m->internaldate) || bind_int(s, 7, m->received_at) ||
	    bind_text(s, 8, m->from_addr) || bind_text(s, 9, m->subject) ||
	    bind_text(s, 10, class_names[m->class]) ||
	    bind_text(s, 11, status) || bind_text(s, 12, m->reason) ||
	    bind_int(s, 13, m->flags) || bind_id(s, 14, m->request_id) ||
	    bind_text(s, 15, m->folder), "recording the message") == -1)
		return -1;
	if (sqlite3_changes(st->db) == 1) {
		*id = sqlite3_last_insert_rowid(st->db);
		return 0;
	}
	/* Recorded already: say which row. */
	if (store_message_lookup(st, m->message_id, m->hash, &row,
	    &found) == -1)
		return -1;
	if (!found) {
		s = st->q[Q_MSG_BY_UID];
		if (msgrow_query(st, Q_MSG_BY_UID,
		    bind_text(s, 1, m->mailbox) ||
		    bind_int(s, 2, m->uidvalidity) || bind_int(s, 3, m->uid),
		    &row, &found) == -1)
			return -1;
	}
	if (!found)
		return errorf(st, "recording the message: conflict with no "
		    "row");
	*id = row.id;
	store_msgrow_clear(&row);
	return 1;
}

int
store_message_set_moved(struct store *st, int64_t id, const char *location,
    uint32_t loc_uidvalidity, uint32_t loc_uid)
{
	sqlite3_stmt *s = st->q[Q_MSG_SET_MOVED];

	if (location == NULL)
		return errorf(st, "message %" PRId64 ": no location", id);
	if (run(st, Q_MSG_SET_MOVED, bind_int(s, 1, id) ||
	    bind_text(s, 2, location) || bind_int(s, 3, loc_uidvalidity) ||
	    bind_int(s, 4, loc_uid), "message moved") == -1)
		return -1;
	if (sqlite3_changes(st->db) != 1)
		return errorf(st, "no message %" PRId64, id);
	return 0;
}

int
store_message_keep(struct store *st, int64_t id)
{
	sqlite3_stmt *s = st->q[Q_MSG_KEEP];

	if (run(st, Q_MSG_KEEP, bind_int(s, 1, id), "message kept") == -1)
		return -1;
	if (sqlite3_changes(st->db) != 1)
		return errorf(st, "no message %" PRId64, id);
	return 0;
}

int
store_messages_unmoved(struct store *st, const char *mailbox, size_t limit,
    struct store_msgrow **rowsp, size_t *np)
{
	sqlite3_stmt *s = st->q[Q_MSG_UNMOVED];
	struct store_msgrow *rows = NULL;
	size_t n = 0, size = 0;
	int rc;

	*rowsp = NULL;
	*np = 0;
	if (bind_text(s, 1, mailbox) || bind_limit(s, 2, limit)) {
		finish(s);
		return dberr(st, "messages to move");
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == size) {
			size = size ? size * 2 : 16;
			rows = xrealloc(rows, size * sizeof *rows);
		}
		memset(&rows[n], 0, sizeof rows[n]);
		msgrow_read(s, &rows[n++]);
	}
	if (rc != SQLITE_DONE) {
		dberr(st, "messages to move");
		finish(s);
		store_msgrows_free(rows, n);
		return -1;
	}
	finish(s);
	*rowsp = rows;
	*np = n;
	return 0;
}

/* Parse markers. */

int
store_parsing_begin(struct store *st, const char *mailbox,
    uint32_t uidvalidity, uint32_t uid, int64_t now)
{
	sqlite3_stmt *s = st->q[Q_PARSING_BEGIN];

	if (mailbox == NULL)
		return errorf(st, "parse marker: no mailbox");
	return run(st, Q_PARSING_BEGIN, bind_text(s, 1, mailbox) ||
	    bind_int(s, 2, uidvalidity) || bind_int(s, 3, uid) ||
	    bind_int(s, 4, now), "parse marker");
}

int
store_parsing_end(struct store *st, const char *mailbox,
    uint32_t uidvalidity, uint32_t uid)
{
	sqlite3_stmt *s = st->q[Q_PARSING_END];

	return run(st, Q_PARSING_END, bind_text(s, 1, mailbox) ||
	    bind_int(s, 2, uidvalidity) || bind_int(s, 3, uid),
	    "parse marker");
}

void
store_parsing_free(struct store_parsing *list, size_t n)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < n; i++)
		free(list[i].mailbox);
	free(list);
}

int
store_parsing_stale(struct store *st, struct store_parsing **listp,
    size_t *np)
{
	sqlite3_stmt *s = st->q[Q_PARSING_LIST];
	struct store_parsing *list = NULL;
	size_t n = 0, size = 0;
	int rc;

	*listp = NULL;
	*np = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == size) {
			size = size ? size * 2 : 8;
			list = xrealloc(list, size * sizeof *list);
		}
		list[n].mailbox = col_dup(s, 0);
		list[n].uidvalidity = col_u32(s, 1);
		list[n].uid = col_u32(s, 2);
		list[n].started_at = sqlite3_column_int64(s, 3);
		if (list[n].mailbox == NULL)
			list[n].mailbox = xstrdup("");
		n++;
	}
	if (rc != SQLITE_DONE) {
		dberr(st, "parse markers");
		finish(s);
		store_parsing_free(list, n);
		return -1;
	}
	finish(s);
	*listp = list;
	*np = n;
	return 0;
}

/* Requests. */

static void
officials_free(struct official *o, size_t n)
{
	size_t i;
	int f;

	if (o == NULL)
		return;
	for (i = 0; i < n; i++)
		for (f = 0; f < FIELD_COUNT; f++) {
			free(o[i].f[f].raw);
			free(o[i].f[f].value);
		}
	free(o);
}

void
store_request_free(struct store_request *r)
{
	if (r == NULL)
		return;
	free(r->reason);
	free(r->from_addr);
	free(r->from_domain);
	free(r->subject);
	officials_free(r->officials, r->nofficials);
	free(r);
}

static int
officials_check(struct store *st, const struct official *o, size_t n)
{
	size_t i;
	int f;

	if (n > LIMIT_OFFICIALS)
		return errorf(st, "request: %zu officials, more than %d", n,
		    LIMIT_OFFICIALS);
	if (n > 0 && o == NULL)
		return errorf(st, "request: no officials array");
	for (i = 0; i < n; i++)
		for (f = 0; f < FIELD_COUNT; f++)
			if ((unsigned)o[i].f[f].problem >= PROBLEM_COUNT)
				return errorf(st, "request: official %zu: bad "
				    "problem for %s", i + 1,
				    field_key((enum field)f));
	return 0;
}

static int
officials_write(struct store *st, int64_t id, const struct official *o,
    size_t n)
{
	sqlite3_stmt *s = st->q[Q_OFF_INSERT];
	const struct field_value *fv;
	size_t i;
	int f;

	if (run(st, Q_OFF_DELETE, bind_int(st->q[Q_OFF_DELETE], 1, id),
	    "officials") == -1)
		return -1;
	for (i = 0; i < n; i++)
		for (f = 0; f < FIELD_COUNT; f++) {
			fv = &o[i].f[f];
			if (run(st, Q_OFF_INSERT, bind_int(s, 1, id) ||
			    bind_int(s, 2, (int64_t)i + 1) ||
			    bind_text(s, 3, field_key((enum field)f)) ||
			    bind_text(s, 4, fv->raw) ||
			    bind_text(s, 5, fv->value) ||
			    bind_text(s, 6, problem_key(fv->problem)),
			    "officials") == -1)
				return -1;
		}
	return 0;
}

static int
officials_read(struct store *st, int64_t id, struct official **op,
    size_t *np)
{
	sqlite3_stmt *s = st->q[Q_OFF_GET];
	struct official *o = NULL;
	const char *key;
	size_t n = 0, i;
	int64_t idx;
	int rc, f, p;

	*op = NULL;
	*np = 0;
	if (bind_int(s, 1, id)) {
		finish(s);
		return dberr(st, "officials");
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		idx = sqlite3_column_int64(s, 0);
		key = (const char *)sqlite3_column_text(s, 1);
		f = key ? (int)field_from_key(key) : FIELD_COUNT;
		p = problem_find((const char *)sqlite3_column_text(s, 4));
		if (idx < 1 || idx > LIMIT_OFFICIALS || (size_t)idx > n + 1 ||
		    f >= FIELD_COUNT || p < 0) {
			errorf(st, "request %" PRId64 ": bad official row "
			    "(index %" PRId64 ")", id, idx);
			goto fail;
		}
		if ((size_t)idx == n + 1) {
			o = xrealloc(o, (n + 1) * sizeof *o);
			memset(&o[n], 0, sizeof o[n]);
			for (i = 0; i < FIELD_COUNT; i++)
				o[n].f[i].problem = PROBLEM_MISSING;
			n++;
		}
		o[idx - 1].f[f].raw = col_dup(s, 2);
		o[idx - 1].f[f].value = col_dup(s, 3);
		o[idx - 1].f[f].problem = (enum field_problem)p;
	}
	if (rc != SQLITE_DONE) {
		dberr(st, "officials");
		goto fail;
	}
	finish(s);
	*op = o;
	*np = n;
	return 0;

 fail:
	finish(s);
	officials_free(o, n);
	return -1;
}

static int
request_check(struct store *st, const struct store_request *r)
{
	if ((unsigned)r->status >= STATUS_COUNT ||
	    status_names[r->status] == NULL)
		return errorf(st, "request: bad status %d", (int)r->status);
	if ((unsigned)r->lang >= LANG_COUNT)
		return errorf(st, "request: bad language %d", (int)r->lang);
	return officials_check(st, r->officials, r->nofficials);
}

int
store_request_create(struct store *st, const struct store_request *r,
    int64_t now, int64_t *idp, char reference[STORE_REFLEN])
{
	sqlite3_stmt *s = st->q[Q_REQ_INSERT];
	char ref[STORE_REFLEN];
	char *domain;
	int64_t id = 0;
	int tx, rc, bad;

	*idp = 0;
	if (reference)
		reference[0] = '\0';
	if (request_check(st, r) == -1)
		return -1;
	if (tx_enter(st, 1, &tx) == -1)
		return -1;
	domain = addr_domain(r->from_addr);
	bad = bind_text(s, 1, status_names[r->status]) ||
	    bind_text(s, 2, lang_key(r->lang)) || bind_int(s, 3, r->flags) ||
	    bind_text(s, 4, r->reason) || bind_text(s, 5, r->from_addr) ||
	    bind_text(s, 6, domain) || bind_text(s, 7, r->subject) ||
	    bind_int(s, 8, now);
	rc = run(st, Q_REQ_INSERT, bad, "creating the request");
	free(domain);
	if (rc == 0) {
		id = sqlite3_last_insert_rowid(st->db);
		if ((size_t)snprintf(ref, sizeof ref, "REQ-%06" PRId64, id) >=
		    sizeof ref)
			rc = errorf(st, "request %" PRId64 ": reference too "
			    "long", id);
	}
	if (rc == 0) {
		s = st->q[Q_REQ_SET_REF];
		rc = run(st, Q_REQ_SET_REF, bind_int(s, 1, id) ||
		    bind_text(s, 2, ref), "creating the request");
	}
	if (rc == 0)
		rc = officials_write(st, id, r->officials, r->nofficials);
	if (tx_leave(st, tx, rc) == -1)
		return -1;
	*idp = id;
	if (reference)
		memcpy(reference, ref, sizeof ref);
	return 0;
}

static int
request_read(struct store *st, int64_t id, struct store_request **rp)
{
	sqlite3_stmt *s = st->q[Q_REQ_GET];
	struct store_request *r;
	const char *t;
	int rc, v;

	*rp = NULL;
	if (bind_int(s, 1, id)) {
		finish(s);
		return dberr(st, "request");
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		finish(s);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		dberr(st, "request");
		finish(s);
		return -1;
	}
	r = xcalloc(1, sizeof *r);
	r->id = sqlite3_column_int64(s, 0);
	if ((t = (const char *)sqlite3_column_text(s, 1)) != NULL)
		snprintf(r->reference, sizeof r->reference, "%s", t);
	v = name_find(status_names, STATUS_COUNT,
	    (const char *)sqlite3_column_text(s, 2));
	r->status = v < 0 ? STATUS_REVIEW : (enum intake_status)v;
	t = (const char *)sqlite3_column_text(s, 3);
	r->lang = t ? lang_from_key(t) : LANG_COUNT;
	if (r->lang >= LANG_COUNT)
		r->lang = LANG_EN;
	r->flags = (unsigned)sqlite3_column_int64(s, 4);
	r->reason = col_dup(s, 5);
	r->from_addr = col_dup(s, 6);
	r->from_domain = col_dup(s, 7);
	r->subject = col_dup(s, 8);
	r->created_at = sqlite3_column_int64(s, 9);
	r->updated_at = sqlite3_column_int64(s, 10);
	finish(s);
	if (v < 0) {
		store_request_free(r);
		return errorf(st, "request %" PRId64 ": unknown status", id);
	}
	if (officials_read(st, id, &r->officials, &r->nofficials) == -1) {
		store_request_free(r);
		return -1;
	}
	*rp = r;
	return 0;
}

int
store_request_get(struct store *st, int64_t id, struct store_request **rp)
{
	int tx;

	*rp = NULL;
	if (tx_enter(st, 0, &tx) == -1)
		return -1;
	if (tx_leave(st, tx, request_read(st, id, rp)) == -1) {
		store_request_free(*rp);
		*rp = NULL;
		return -1;
	}
	return 0;
}

int
store_request_update(struct store *st, const struct store_request *r,
    int64_t now)
{
	sqlite3_stmt *s = st->q[Q_REQ_UPDATE];
	int tx, rc;

	if (request_check(st, r) == -1)
		return -1;
	if (tx_enter(st, 1, &tx) == -1)
		return -1;
	rc = run(st, Q_REQ_UPDATE, bind_int(s, 1, r->id) ||
	    bind_text(s, 2, status_names[r->status]) ||
	    bind_int(s, 3, r->flags) || bind_text(s, 4, r->reason) ||
	    bind_int(s, 5, now), "updating the request");
	if (rc == 0 && sqlite3_changes(st->db) != 1)
		rc = errorf(st, "no request %" PRId64, r->id);
	if (rc == 0)
		rc = officials_write(st, r->id, r->officials, r->nofficials);
	return tx_leave(st, tx, rc);
}

int
store_request_refile(struct store *st, int64_t id, const char *folder,
    size_t *n)
{
	sqlite3_stmt *s = st->q[Q_REQ_REFILE];

	if (n)
		*n = 0;
	if (folder == NULL)
		return errorf(st, "refile: no folder");
	if (run(st, Q_REQ_REFILE, bind_int(s, 1, id) ||
	    bind_text(s, 2, folder), "refiling the request") == -1)
		return -1;
	if (n)
		*n = (size_t)sqlite3_changes(st->db);
	return 0;
}

/*
 * The first column of q's first row as an integer (0: no row).  Steps to
 * the end, so that a write with RETURNING has committed when it returns.
 */
static int
id_query(struct store *st, int q, int bad, int64_t *id, const char *what)
{
	sqlite3_stmt *s = st->q[q];
	int rc, first = 1;

	*id = 0;
	if (bad) {
		finish(s);
		return dberr(st, what);
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (first) {
			*id = sqlite3_column_int64(s, 0);
			first = 0;
		}
	if (rc != SQLITE_DONE) {
		dberr(st, what);
		finish(s);
		return -1;
	}
	finish(s);
	return 0;
}

int
store_request_find_by_msgid(struct store *st, const char *msgid,
    int64_t *id)
{
	*id = 0;
	if (msgid == NULL || *msgid == '\0')
		return 0;
	if (id_query(st, Q_REQ_BY_REPLY,
	    bind_text(st->q[Q_REQ_BY_REPLY], 1, msgid), id,
	    "request lookup") == -1)
		return -1;
	if (*id != 0)
		return 0;
	return id_query(st, Q_REQ_BY_MSG,
	    bind_text(st->q[Q_REQ_BY_MSG], 1, msgid), id,
	    "request lookup");
}

/* "REQ-000042" (any case, any number of zeros) -> 42; 0 if malformed. */
static int64_t
reference_id(const char *ref)
{
	int64_t id = 0;
	int digits = 0;

	if (ref == NULL || strncasecmp(ref, "REQ-", 4) != 0)
		return 0;
	for (ref += 4; *ref >= '0' && *ref <= '9'; ref++) {
		if (id > (INT64_MAX - 9) / 10 || ++digits > 18)
			return 0;
		id = id * 10 + (*ref - '0');
	}
	return *ref == '\0' && digits > 0 ? id : 0;
}

int
store_request_find_by_reference(struct store *st, const char *reference,
    const char *from_addr, int match, int64_t *id, int *how)
{
	sqlite3_stmt *s = st->q[Q_REQ_SENDER];
	const char *addr, *dom;
	char *domain;
	int64_t rid;
	int rc;

	*id = 0;
	if (how)
		*how = 0;
	if ((rid = reference_id(reference)) == 0 || from_addr == NULL)
		return 0;
	if (bind_int(s, 1, rid)) {
		finish(s);
		return dberr(st, "request lookup");
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		finish(s);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		dberr(st, "request lookup");
		finish(s);
		return -1;
	}
	addr = (const char *)sqlite3_column_text(s, 0);
	dom = (const char *)sqlite3_column_text(s, 1);
	domain = addr_domain(from_addr);
	if ((match & STORE_MATCH_ADDRESS) && addr && *addr &&
	    strcasecmp(addr, from_addr) == 0) {
		*id = rid;
		if (how)
			*how = STORE_MATCH_ADDRESS;
	} else if ((match & STORE_MATCH_DOMAIN) && dom && domain &&
	    strcmp(dom, domain) == 0) {
		*id = rid;
		if (how)
			*how = STORE_MATCH_DOMAIN;
	}
	free(domain);
	finish(s);
	return 0;
}

/* The outbox. */

void
store_replies_free(struct store_reply *list, size_t n)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(list[i].message_id);
		free(list[i].rcpt);
		free(list[i].envelope_from);
		free(list[i].data);
		free(list[i].last_error);
	}
	free(list);
}

int
store_reply_add(struct store *st, const struct store_reply *r, int64_t now,
    int64_t *id)
{
	sqlite3_stmt *s = st->q[Q_REPLY_ADD];
	int bad;

	*id = 0;
	if ((unsigned)r->kind >= STORE_REPLY_KIND_COUNT ||
	    (unsigned)r->state >= STORE_REPLY_STATE_COUNT)
		return errorf(st, "reply: bad kind or state");
	if (r->message_id == NULL || r->rcpt == NULL ||
	    r->envelope_from == NULL || r->data == NULL)
		return errorf(st, "reply: message-id, recipient, envelope "
		    "sender and data are required");
	bad = bind_int(s, 1, r->request_id) || bind_id(s, 2, r->message_row) ||
	    bind_text(s, 3, kind_names[r->kind]) ||
	    bind_text(s, 4, r->message_id) || bind_text(s, 5, r->rcpt) ||
	    bind_text(s, 6, r->envelope_from) ||
	    sqlite3_bind_blob64(s, 7, r->data, r->len, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    bind_text(s, 8, state_names[r->state]) || bind_int(s, 9, now);
	if (run(st, Q_REPLY_ADD, bad, "queueing the reply") == -1)
		return -1;
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

static void
reply_read(sqlite3_stmt *s, struct store_reply *r)
{
	const char *t;
	const void *data;
	int v;

	memset(r, 0, sizeof *r);
	r->id = sqlite3_column_int64(s, 0);
	r->request_id = sqlite3_column_int64(s, 1);
	if ((t = (const char *)sqlite3_column_text(s, 2)) != NULL)
		snprintf(r->reference, sizeof r->reference, "%s", t);
	r->message_row = sqlite3_column_int64(s, 3);
	v = name_find(kind_names, STORE_REPLY_KIND_COUNT,
	    (const char *)sqlite3_column_text(s, 4));
	r->kind = v < 0 ? STORE_REPLY_REVIEW : (enum store_reply_kind)v;
	r->message_id = col_dup(s, 5);
	r->rcpt = col_dup(s, 6);
	r->envelope_from = col_dup(s, 7);
	data = sqlite3_column_blob(s, 8);
	r->len = (size_t)sqlite3_column_bytes(s, 8);
	r->data = xmalloc(r->len + 1);
	if (r->len)
		memcpy(r->data, data, r->len);
	r->data[r->len] = '\0';
	v = name_find(state_names, STORE_REPLY_STATE_COUNT,
	    (const char *)sqlite3_column_text(s, 9));
	r->state = v < 0 ? STORE_REPLY_FAILED : (enum store_reply_state)v;
	r->attempts = sqlite3_column_int(s, 10);
	r->next_attempt = sqlite3_column_int64(s, 11);
	r->last_error = col_dup(s, 12);
	r->created_at = sqlite3_column_int64(s, 13);
	r->sent_at = sqlite3_column_int64(s, 14);
}

int
store_replies_due(struct store *st, int64_t now, size_t limit,
    struct store_reply **listp, size_t *np)
{
	sqlite3_stmt *s = st->q[Q_REPLY_DUE];
	struct store_reply *list = NULL;
	size_t n = 0, size = 0;
	int rc;

	*listp = NULL;
	*np = 0;
	if (bind_int(s, 1, now) || bind_limit(s, 2, limit)) {
		finish(s);
		return dberr(st, "due replies");
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == size) {
			size = size ? size * 2 : 8;
			list = xrealloc(list, size * sizeof *list);
		}
		reply_read(s, &list[n++]);
	}
	if (rc != SQLITE_DONE) {
		dberr(st, "due replies");
		finish(s);
		store_replies_free(list, n);
		return -1;
	}
	finish(s);
	*listp = list;
	*np = n;
	return 0;
}

int
store_message_last(struct store *st, int64_t *id)
{
	return id_query(st, Q_MSG_LAST, 0, id, "last message");
}

int
store_replies_next(struct store *st, int64_t *when)
{
	return id_query(st, Q_REPLY_NEXT, 0, when, "next reply");
}

static int
reply_changed(struct store *st, int64_t id)
{
	if (sqlite3_changes(st->db) != 1)
		return errorf(st, "reply %" PRId64 ": no such queued reply",
		    id);
	return 0;
}

int
store_reply_mark_sent(struct store *st, int64_t id, int64_t now)
{
	sqlite3_stmt *s = st->q[Q_REPLY_SENT];

	if (run(st, Q_REPLY_SENT, bind_int(s, 1, id) || bind_int(s, 2, now),
	    "marking the reply sent") == -1)
		return -1;
	return reply_changed(st, id);
}

int
store_reply_mark_failed(struct store *st, int64_t id, const char *error,
    int permanent, int64_t now)
{
	int q = permanent ? Q_REPLY_FAILED : Q_REPLY_RETRY_LATER;
	sqlite3_stmt *s = st->q[q];

	if (run(st, q, bind_int(s, 1, id) || bind_text(s, 2, error) ||
	    (!permanent && bind_int(s, 3, now)),
	    "marking the reply failed") == -1)
		return -1;
	return reply_changed(st, id);
}

int
store_reply_retry(struct store *st, const char *reference, int64_t now,
    size_t *n)
{
	sqlite3_stmt *s = st->q[Q_REPLY_RETRY];
	struct store_request *r;
	int64_t id;

	if (n)
		*n = 0;
	if ((id = reference_id(reference)) == 0)
		return errorf(st, "not a reference: %s",
		    reference ? reference : "(none)");
	if (store_request_get(st, id, &r) == -1)
		return -1;
	if (r == NULL)
		return errorf(st, "no request %s", reference);
	store_request_free(r);
	if (run(st, Q_REPLY_RETRY, bind_int(s, 1, id) || bind_int(s, 2, now),
	    "retrying replies") == -1)
		return -1;
	if (n)
		*n = (size_t)sqlite3_changes(st->db);
	return 0;
}

int
store_reply_count(struct store *st, const char *sender, const char *day,
    unsigned *count)
{
	sqlite3_stmt *s = st->q[Q_COUNT_GET];
	int64_t v;

	*count = 0;
	if (id_query(st, Q_COUNT_GET, bind_text(s, 1, sender) ||
	    bind_text(s, 2, day), &v, "reply count") == -1)
		return -1;
	*count = v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (unsigned)v;
	return 0;
}

int
store_reply_count_bump(struct store *st, const char *sender, const char *day,
    unsigned *count)
{
	sqlite3_stmt *s = st->q[Q_COUNT_BUMP];
	int64_t v;

	if (count)
		*count = 0;
	if (sender == NULL || day == NULL)
		return errorf(st, "reply count: no sender or day");
	if (id_query(st, Q_COUNT_BUMP, bind_text(s, 1, sender) ||
	    bind_text(s, 2, day), &v, "reply count") == -1)
		return -1;
	if (count)
		*count = v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (unsigned)v;
	return 0;
}
