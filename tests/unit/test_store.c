/*
 * test_store.c -- the SQLite store: schema and migrations, deduplication,
 * requests and officials, threading look-ups, refiling, the outbox, the
 * reply counters, parse markers, transactions and concurrent connections.
 *
 * Each test works in its own directory made with mkdtemp() under $TMPDIR
 * (or /tmp) and removes it afterwards.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "fields.h"
#include "intake.h"
#include "limits.h"
#include "store.h"
#include "xmalloc.h"

struct fx {
	char		 dir[256];
	char		 path[300];
	struct store	*st;
};

static int
setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof *fx);
	const char *tmp = getenv("TMPDIR");
	char err[512];

	snprintf(fx->dir, sizeof fx->dir, "%s/test_store.XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->path, sizeof fx->path, "%s/intake.db", fx->dir);
	if (store_open(fx->path, STORE_CREATE, -1, &fx->st, err,
	    sizeof err) == -1) {
		fprintf(stderr, "store_open: %s\n", err);
		return -1;
	}
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;
	struct dirent *de;
	char p[600];
	DIR *d;

	store_close(fx->st);
	if ((d = opendir(fx->dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof p, "%s/%s", fx->dir, de->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* A second path in the fixture's directory. */
static void
fx_path(struct fx *fx, const char *name, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/%s", fx->dir, name);
}

/* One integer from SQL run on a raw connection to path. */
static int64_t
raw_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void
raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* One integer from SQL on the store's own connection. */
static int64_t
st_int(struct store *st, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(store_handle(st), sql, -1, &s,
	    NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static char *
st_text(struct store *st, const char *sql)
{
	sqlite3_stmt *s;
	char *v = NULL;

	assert_int_equal(sqlite3_prepare_v2(store_handle(st), sql, -1, &s,
	    NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		v = xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return v;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
set_fv(struct official *o, enum field f, const char *raw, const char *value,
    enum field_problem p)
{
	free(o->f[f].raw);
	free(o->f[f].value);
	o->f[f].raw = raw ? xstrdup(raw) : NULL;
	o->f[f].value = value ? xstrdup(value) : NULL;
	o->f[f].problem = p;
}

static struct official *
officials_new(size_t n)
{
	struct official *o = xcalloc(n ? n : 1, sizeof *o);
	size_t i;
	int f;

	for (i = 0; i < n; i++)
		for (f = 0; f < FIELD_COUNT; f++)
			o[i].f[f].problem = PROBLEM_MISSING;
	return o;
}

static void
officials_del(struct official *o, size_t n)
{
	size_t i;
	int f;

	for (i = 0; i < n; i++)
		for (f = 0; f < FIELD_COUNT; f++) {
			free(o[i].f[f].raw);
			free(o[i].f[f].value);
		}
	free(o);
}

static void
assert_str_or_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void
assert_officials_equal(const struct official *a, const struct official *b,
    size_t n)
{
	size_t i;
	int f;

	for (i = 0; i < n; i++)
		for (f = 0; f < FIELD_COUNT; f++) {
			assert_str_or_null(a[i].f[f].raw, b[i].f[f].raw);
			assert_str_or_null(a[i].f[f].value, b[i].f[f].value);
			assert_int_equal(a[i].f[f].problem, b[i].f[f].problem);
		}
}

/* A request with one official; returns its id. */
static int64_t
make_request(struct store *st, const char *from, enum intake_status status,
    char ref[STORE_REFLEN])
{
	struct store_request r;
	struct official *o = officials_new(1);
	int64_t id;

	memset(&r, 0, sizeof r);
	r.status = status;
	r.lang = LANG_FR;
	r.from_addr = (char *)from;
	r.subject = (char *)"Demande d'accès";
	set_fv(&o[0], FIELD_COUNTRY, "Kenya", "KE", PROBLEM_NONE);
	r.officials = o;
	r.nofficials = 1;
	assert_int_equal(store_request_create(st, &r, 1000, &id, ref), 0);
	officials_del(o, 1);
	return id;
}

static void
msg_init(struct store_message *m, const char *msgid, const char *hash,
    uint32_t uid)
{
	memset(m, 0, sizeof *m);
	m->message_id = msgid;
	m->hash = hash;
	m->mailbox = "INBOX";
	m->uidvalidity = 7;
	m->uid = uid;
	m->internaldate = 1000;
	m->received_at = 1001;
	m->from_addr = "a@example.org";
	m->subject = "Hello";
	m->class = CLASS_OTHER;
	m->status = STATUS_NONE;
}

/* Schema and opening. */

static void
test_open_create(void **state)
{
	struct fx *fx = *state;
	struct store *st;
	char p[400], err[512];
	char *mode;

	mode = st_text(fx->st, "PRAGMA journal_mode");
	assert_string_equal(mode, "wal");
	free(mode);
	assert_int_equal(st_int(fx->st, "PRAGMA foreign_keys"), 1);
	/* NORMAL, with store_sync() before anything leaves the machine. */
	assert_int_equal(st_int(fx->st, "PRAGMA synchronous"), 1);
	assert_int_equal(store_parsing_begin(fx->st, "INBOX", 1, 7, 1), 0);
	fx_path(fx, "intake.db-wal", p, sizeof p);
	assert_int_equal(access(p, F_OK), 0);
	assert_int_equal(store_sync(fx->st), 0);
	assert_int_equal(store_parsing_end(fx->st, "INBOX", 1, 7), 0);
	assert_int_equal(st_int(fx->st, "PRAGMA user_version"),
	    store_schema_version());
	assert_int_equal(st_int(fx->st, "PRAGMA application_id"),
	    0x494e544b);
	assert_int_equal(st_int(fx->st, "PRAGMA busy_timeout"),
	    STORE_BUSY_MS);

	/* Without STORE_CREATE a missing file is an error, not a new store. */
	fx_path(fx, "missing.db", p, sizeof p);
	st = (struct store *)&st;
	assert_int_equal(store_open(p, 0, -1, &st, err, sizeof err), -1);
	assert_null(st);
	assert_non_null(strstr(err, "missing.db"));
	assert_int_equal(access(p, F_OK), -1);

	/* Read-only on the current store works; writes fail. */
	assert_int_equal(store_open(fx->path, STORE_READONLY, 50, &st, err,
	    sizeof err), 0);
	assert_int_equal(st_int(st, "PRAGMA busy_timeout"), 50);
	assert_int_equal(store_parsing_begin(st, "INBOX", 1, 1, 1), -1);
	assert_non_null(strstr(store_error(st), "readonly"));
	store_close(st);
	store_close(NULL);
}

static void
test_migrate_empty_file(void **state)
{
	struct fx *fx = *state;
	struct store *st;
	char p[400], err[512];
	int fd;

	fx_path(fx, "empty.db", p, sizeof p);
	fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(store_open(p, 0, -1, &st, err, sizeof err), 0);
	assert_int_equal(st_int(st, "PRAGMA user_version"),
	    store_schema_version());
	assert_int_equal(st_int(st, "SELECT count(*) FROM sqlite_schema "
	    "WHERE name = 'replies_due'"), 1);
	store_close(st);
}

static void
test_migrate_every_version(void **state)
{
	struct fx *fx = *state;
	struct store *st;
	struct store_mailbox mb;
	char p[400], err[512];
	int v, found;

	assert_true(store_schema_version() >= 2);
	for (v = 1; v < store_schema_version(); v++) {
		char name[32];

		snprintf(name, sizeof name, "v%d.db", v);
		fx_path(fx, name, p, sizeof p);
		assert_int_equal(store_upgrade(p, v, err, sizeof err), 0);
		assert_int_equal(raw_int(p, "PRAGMA user_version"), v);
		if (v == 1)
			assert_int_equal(raw_int(p, "SELECT count(*) FROM "
			    "sqlite_schema WHERE name = 'replies_due'"), 0);
		/* Data written at version v survives the upgrade. */
		raw_exec(p, "INSERT INTO mailboxes (name, uidvalidity, "
		    "uidnext_first, highest_uid, updated_at) "
		    "VALUES ('INBOX', 42, 10, 17, 5)");
		/* A read-only open does not upgrade: it refuses. */
		assert_int_equal(store_open(p, STORE_READONLY, -1, &st, err,
		    sizeof err), -1);
		assert_non_null(strstr(err, "upgrade"));
		assert_int_equal(store_open(p, 0, -1, &st, err, sizeof err),
		    0);
		assert_int_equal(st_int(st, "PRAGMA user_version"),
		    store_schema_version());
		assert_int_equal(st_int(st, "SELECT count(*) FROM "
		    "sqlite_schema WHERE name = 'replies_due'"), 1);
		assert_int_equal(store_mailbox_get(st, "INBOX", &mb, &found),
		    0);
		assert_int_equal(found, 1);
		assert_int_equal(mb.uidvalidity, 42);
		assert_int_equal(mb.highest_uid, 17);
		store_close(st);
	}
	/* Upgrading to a version the file is past is an error. */
	assert_int_equal(store_upgrade(fx->path, 1, err, sizeof err), -1);
	assert_int_equal(store_upgrade(fx->path, 0, err, sizeof err), -1);
	assert_int_equal(store_upgrade(fx->path, store_schema_version() + 1,
	    err, sizeof err), -1);
}

static void
test_refuse_newer_and_foreign(void **state)
{
	struct fx *fx = *state;
	struct store *st;
	char p[400], sql[64], err[512];
	int fd;

	fx_path(fx, "newer.db", p, sizeof p);
	assert_int_equal(store_upgrade(p, store_schema_version(), err,
	    sizeof err), 0);
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d",
	    store_schema_version() + 1);
	raw_exec(p, sql);
	assert_int_equal(store_open(p, 0, -1, &st, err, sizeof err), -1);
	assert_null(st);
	assert_non_null(strstr(err, "newer"));
	/* Nothing was changed by the refusal. */
	assert_int_equal(raw_int(p, "PRAGMA user_version"),
	    store_schema_version() + 1);

	fx_path(fx, "foreign.db", p, sizeof p);
	raw_exec(p, "CREATE TABLE t (x); INSERT INTO t VALUES (1)");
	assert_int_equal(store_open(p, 0, -1, &st, err, sizeof err), -1);
	assert_non_null(strstr(err, "not an intaked store"));
	assert_int_equal(raw_int(p, "SELECT count(*) FROM t"), 1);

	fx_path(fx, "otherapp.db", p, sizeof p);
	raw_exec(p, "PRAGMA application_id = 12345");
	assert_int_equal(store_open(p, 0, -1, &st, err, sizeof err), -1);
	assert_non_null(strstr(err, "not an intaked store"));

	fx_path(fx, "garbage.db", p, sizeof p);
	fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "this is not a database at all, no no no "
	    "no no no no no no no no no no no no no no no no no no no no no "
	    "no no no no no no no no no", 130), 130);
	close(fd);
	assert_int_equal(store_open(p, 0, -1, &st, err, sizeof err), -1);
	assert_non_null(strstr(err, "garbage.db"));
}

static void
test_hash_and_day(void **state)
{
	char hex[STORE_HASHLEN], day[11];

	(void)state;
	assert_int_equal(store_hash("abc", 3, hex), 0);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(store_hash("", 0, hex), 0);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
	assert_int_equal(store_day(0, day), 0);
	assert_string_equal(day, "1970-01-01");
	assert_int_equal(store_day(1525651200 + 86399, day), 0);
	assert_string_equal(day, "2018-05-07");
}

static void
test_mailbox(void **state)
{
	struct fx *fx = *state;
	struct store_mailbox mb, got;
	int found;

	assert_int_equal(store_mailbox_get(fx->st, "INBOX", &got, &found), 0);
	assert_int_equal(found, 0);
	assert_int_equal(store_mailbox_advance(fx->st, "INBOX", 1, 5), -1);

	memset(&mb, 0, sizeof mb);
	mb.uidvalidity = 4000000000u;
	mb.uidnext_first = 101;
	mb.highest_uid = 100;
	assert_int_equal(store_mailbox_set(fx->st, "INBOX", &mb), 0);
	assert_int_equal(store_mailbox_advance(fx->st, "INBOX", 4000000000u,
	    150), 0);
	assert_int_equal(store_mailbox_advance(fx->st, "INBOX", 4000000000u,
	    120), 0);
	assert_int_equal(store_mailbox_get(fx->st, "INBOX", &got, &found), 0);
	assert_int_equal(found, 1);
	assert_int_equal(got.uidvalidity, 4000000000u);
	assert_int_equal(got.uidnext_first, 101);
	assert_int_equal(got.highest_uid, 150);	/* never lowered */
	assert_true(got.updated_at > 0);
	/* A different UIDVALIDITY is not this mailbox's state. */
	assert_int_equal(store_mailbox_advance(fx->st, "INBOX", 1, 200), -1);
	assert_non_null(strstr(store_error(fx->st), "UIDVALIDITY"));

	/* UIDVALIDITY changed: the daemon starts over. */
	mb.uidvalidity = 9;
	mb.uidnext_first = 0;
	mb.highest_uid = 0;
	assert_int_equal(store_mailbox_set(fx->st, "INBOX", &mb), 0);
	assert_int_equal(store_mailbox_get(fx->st, "INBOX", &got, &found), 0);
	assert_int_equal(got.uidvalidity, 9);
	assert_int_equal(got.highest_uid, 0);
}

/* Feeding the same message twice changes nothing. */
static void
test_dedupe(void **state)
{
	struct fx *fx = *state;
	struct store_message m;
	struct store_msgrow row;
	int64_t id1, id2, id3, id4;
	int found;

	msg_init(&m, "abc@example.org", "h1", 1);
	assert_int_equal(store_message_lookup(fx->st, m.message_id, m.hash,
	    &row, &found), 0);
	assert_int_equal(found, 0);
	assert_int_equal(store_message_add(fx->st, &m, &id1), 0);
	assert_true(id1 > 0);
	assert_int_equal(store_message_add(fx->st, &m, &id2), 1);
	assert_int_equal(id2, id1);
	assert_int_equal(st_int(fx->st, "SELECT count(*) FROM messages"), 1);

	/* Same Message-ID, other bytes (another copy): the same message. */
	msg_init(&m, "abc@example.org", "h2", 2);
	assert_int_equal(store_message_lookup(fx->st, m.message_id, m.hash,
	    &row, &found), 0);
	assert_int_equal(found, 1);
	assert_int_equal(row.id, id1);
	assert_string_equal(row.message_id, "abc@example.org");
	assert_null(row.folder);
	assert_string_equal(row.location, "INBOX");
	assert_int_equal(row.moved, 1);	/* no folder: it stays */
	store_msgrow_clear(&row);
	assert_int_equal(store_message_add(fx->st, &m, &id2), 1);
	assert_int_equal(id2, id1);

	/* No Message-ID: by hash. */
	msg_init(&m, NULL, "h3", 3);
	m.folder = "Requests/Review";
	m.class = CLASS_REQUEST;
	m.status = STATUS_REVIEW;
	assert_int_equal(store_message_add(fx->st, &m, &id3), 0);
	assert_true(id3 != id1);
	assert_int_equal(store_message_lookup(fx->st, NULL, "h3", &row,
	    &found), 0);
	assert_int_equal(found, 1);
	assert_int_equal(row.id, id3);
	assert_null(row.message_id);
	assert_string_equal(row.folder, "Requests/Review");
	assert_int_equal(row.moved, 0);
	store_msgrow_clear(&row);
	assert_int_equal(store_message_add(fx->st, &m, &id2), 1);
	assert_int_equal(id2, id3);
	/* A Message-ID never seen but bytes seen: still the same message. */
	assert_int_equal(store_message_lookup(fx->st, "new@x", "h3", &row,
	    &found), 0);
	assert_int_equal(found, 1);
	assert_int_equal(row.id, id3);
	store_msgrow_clear(&row);
	m.message_id = "new@x";
	assert_int_equal(store_message_add(fx->st, &m, &id2), 1);
	assert_int_equal(id2, id3);

	/* The same UID with other content is the same message too. */
	msg_init(&m, NULL, "h4", 3);
	assert_int_equal(store_message_add(fx->st, &m, &id4), 1);
	assert_int_equal(id4, id3);
	/* ... but not under another UIDVALIDITY. */
	m.uidvalidity = 8;
	assert_int_equal(store_message_add(fx->st, &m, &id4), 0);
	assert_int_equal(st_int(fx->st, "SELECT count(*) FROM messages"), 3);

	/* Bad input is refused, not recorded. */
	msg_init(&m, NULL, NULL, 9);
	assert_int_equal(store_message_add(fx->st, &m, &id4), -1);
	msg_init(&m, NULL, "h9", 9);
	m.class = CLASS_COUNT;
	assert_int_equal(store_message_add(fx->st, &m, &id4), -1);
	assert_int_equal(st_int(fx->st, "SELECT count(*) FROM messages"), 3);
}

static void
test_reference(void **state)
{
	struct fx *fx = *state;
	struct store_request *r;
	char ref[STORE_REFLEN], seen[5][STORE_REFLEN];
	int64_t id;
	int i, j;

	for (i = 0; i < 5; i++) {
		id = make_request(fx->st, "a@example.org", STATUS_INCOMPLETE,
		    ref);
		assert_int_equal(id, i + 1);
		assert_int_equal(strlen(ref), 10);
		assert_memory_equal(ref, "REQ-", 4);
		assert_int_equal(strtol(ref + 4, NULL, 10), id);
		for (j = 0; j < i; j++)
			assert_string_not_equal(ref, seen[j]);
		memcpy(seen[i], ref, sizeof ref);
	}
	assert_string_equal(seen[0], "REQ-000001");
	assert_int_equal(store_request_get(fx->st, 3, &r), 0);
	assert_non_null(r);
	assert_string_equal(r->reference, "REQ-000003");
	assert_int_equal(r->status, STATUS_INCOMPLETE);
	assert_int_equal(r->lang, LANG_FR);
	assert_string_equal(r->from_addr, "a@example.org");
	assert_string_equal(r->from_domain, "example.org");
	assert_int_equal(r->created_at, 1000);
	store_request_free(r);
	assert_int_equal(store_request_get(fx->st, 99, &r), 0);
	assert_null(r);

	/* References are unique in the schema too. */
	assert_int_not_equal(sqlite3_exec(store_handle(fx->st),
	    "UPDATE requests SET reference = 'REQ-000001' WHERE id = 2",
	    NULL, NULL, NULL), SQLITE_OK);
	/* Ids are never reused, even after the last request is deleted. */
	assert_int_equal(sqlite3_exec(store_handle(fx->st),
	    "DELETE FROM requests WHERE id = 5", NULL, NULL, NULL), SQLITE_OK);
	id = make_request(fx->st, "a@example.org", STATUS_COMPLETE, ref);
	assert_int_equal(id, 6);
	assert_string_equal(ref, "REQ-000006");
}

static void
test_officials_roundtrip(void **state)
{
	struct fx *fx = *state;
	struct store_request in, *out;
	struct official *o = officials_new(3);
	int64_t id;
	char ref[STORE_REFLEN];
	int f;

	memset(&in, 0, sizeof in);
	in.status = STATUS_INCOMPLETE;
	in.lang = LANG_ES;
	in.flags = FLAG_NON_OFFICIAL_EMAIL | FLAG_FOLLOW_UP;
	in.reason = (char *)"falta el teléfono";
	in.from_addr = (char *)"José.Pérez@Ambiente.GOB.es";
	in.subject = (char *)"Solicitud de acceso — CENCOMM 🐆";

	set_fv(&o[0], FIELD_COUNTRY, "Côte d’Ivoire", "CI", PROBLEM_NONE);
	set_fv(&o[0], FIELD_LAST_NAME, "Müller-Lüdenscheidt",
	    "Müller-Lüdenscheidt", PROBLEM_NONE);
	set_fv(&o[0], FIELD_FIRST_NAME, "Zoë", "Zoë", PROBLEM_NONE);
	set_fv(&o[0], FIELD_ORGANISATION, "Ministère de l'Environnement",
	    "Ministère de l'Environnement", PROBLEM_NONE);
	set_fv(&o[0], FIELD_FUNCTION, "n/a", NULL, PROBLEM_TEXT);
	set_fv(&o[0], FIELD_PHONE, "12 34", NULL, PROBLEM_PHONE);
	set_fv(&o[0], FIELD_EMAIL, "zoe@@example", NULL, PROBLEM_EMAIL);
	/* Official 2: nothing given at all (NULL raw and value). */
	/* Official 3: a value without raw, an empty raw, every problem. */
	set_fv(&o[2], FIELD_COUNTRY, "Atlantis", NULL, PROBLEM_COUNTRY);
	set_fv(&o[2], FIELD_LAST_NAME, "", NULL, PROBLEM_MISSING);
	set_fv(&o[2], FIELD_FIRST_NAME, NULL, "X", PROBLEM_NONE);
	set_fv(&o[2], FIELD_ORGANISATION, "very long", NULL,
	    PROBLEM_TOO_LONG);
	set_fv(&o[2], FIELD_PHONE, "+254 20 123 4567", "+254201234567",
	    PROBLEM_NONE);
	set_fv(&o[2], FIELD_EMAIL, "中文@例子.中国", "中文@例子.中国",
	    PROBLEM_NONE);
	in.officials = o;
	in.nofficials = 3;
	assert_int_equal(store_request_create(fx->st, &in, 1234, &id, ref), 0);
	assert_int_equal(st_int(fx->st, "SELECT count(*) FROM officials"),
	    3 * FIELD_COUNT);

	assert_int_equal(store_request_get(fx->st, id, &out), 0);
	assert_non_null(out);
	assert_int_equal(out->nofficials, 3);
	assert_officials_equal(out->officials, o, 3);
	for (f = 0; f < FIELD_COUNT; f++) {
		assert_null(out->officials[1].f[f].raw);
		assert_null(out->officials[1].f[f].value);
		assert_int_equal(out->officials[1].f[f].problem,
		    PROBLEM_MISSING);
	}
	assert_int_equal(out->lang, LANG_ES);
	assert_int_equal(out->flags, FLAG_NON_OFFICIAL_EMAIL | FLAG_FOLLOW_UP);
	assert_string_equal(out->reason, "falta el teléfono");
	assert_string_equal(out->subject, "Solicitud de acceso — CENCOMM 🐆");
	assert_string_equal(out->from_addr, "José.Pérez@Ambiente.GOB.es");
	assert_string_equal(out->from_domain, "ambiente.gob.es");
	assert_int_equal(out->created_at, 1234);
	assert_int_equal(out->updated_at, 1234);

	/* Update replaces the officials (here: fewer) and the status. */
	set_fv(&out->officials[0], FIELD_PHONE, "+225 20 21 22 23",
	    "+22520212223", PROBLEM_NONE);
	out->nofficials = 1;	/* the array still owns the others */
	out->status = STATUS_COMPLETE;
	out->flags = 0;
	assert_int_equal(store_request_update(fx->st, out, 2000), 0);
	out->nofficials = 3;
	{
		struct store_request *again;

		assert_int_equal(store_request_get(fx->st, id, &again), 0);
		assert_int_equal(again->nofficials, 1);
		assert_officials_equal(again->officials, out->officials, 1);
		assert_int_equal(again->status, STATUS_COMPLETE);
		assert_int_equal(again->flags, 0);
		assert_int_equal(again->created_at, 1234);
		assert_int_equal(again->updated_at, 2000);
		store_request_free(again);
	}
	store_request_free(out);

	/* No officials at all is a request too (review). */
	in.nofficials = 0;
	in.officials = NULL;
	in.status = STATUS_REVIEW;
	assert_int_equal(store_request_create(fx->st, &in, 1, &id, NULL), 0);
	assert_int_equal(store_request_get(fx->st, id, &out), 0);
	assert_int_equal(out->nofficials, 0);
	assert_null(out->officials);
	store_request_free(out);

	/* Bad input is refused: no status, too many officials, bad problem. */
	in.status = STATUS_NONE;
	assert_int_equal(store_request_create(fx->st, &in, 1, &id, NULL), -1);
	in.status = STATUS_COMPLETE;
	in.officials = o;
	in.nofficials = LIMIT_OFFICIALS + 1;
	assert_int_equal(store_request_create(fx->st, &in, 1, &id, NULL), -1);
	in.nofficials = 1;
	o[0].f[FIELD_PHONE].problem = PROBLEM_COUNT;
	assert_int_equal(store_request_create(fx->st, &in, 1, &id, NULL), -1);
	o[0].f[FIELD_PHONE].problem = PROBLEM_PHONE;
	in.id = 999;
	assert_int_equal(store_request_update(fx->st, &in, 1), -1);
	assert_int_equal(st_int(fx->st, "SELECT count(*) FROM requests"), 2);
	officials_del(o, 3);
}

static void
test_find_by_msgid(void **state)
{
	struct fx *fx = *state;
	struct store_message m;
	struct store_reply r;
	int64_t req, id, mid, rid;

	req = make_request(fx->st, "a@example.org", STATUS_INCOMPLETE, NULL);
	msg_init(&m, "orig@example.org", "h1", 1);
	m.class = CLASS_REQUEST;
	m.status = STATUS_INCOMPLETE;
	m.request_id = req;
	m.folder = "Requests/Incomplete";
	assert_int_equal(store_message_add(fx->st, &m, &mid), 0);
	msg_init(&m, "chatter@example.org", "h2", 2);
	assert_int_equal(store_message_add(fx->st, &m, &id), 0);

	memset(&r, 0, sizeof r);
	r.request_id = req;
	r.message_row = mid;
	r.kind = STORE_REPLY_MISSING;
	r.message_id = (char *)"intake.1.x@secretariat.example";
	r.rcpt = (char *)"a@example.org";
	r.envelope_from = (char *)"bounces@secretariat.example";
	r.data = (char *)"Subject: x\r\n\r\nbody\r\n";
	r.len = strlen(r.data);
	r.state = STORE_REPLY_QUEUED;
	assert_int_equal(store_reply_add(fx->st, &r, 5, &rid), 0);

	assert_int_equal(store_request_find_by_msgid(fx->st,
	    "intake.1.x@secretariat.example", &id), 0);
	assert_int_equal(id, req);
	assert_int_equal(store_request_find_by_msgid(fx->st,
	    "orig@example.org", &id), 0);
	assert_int_equal(id, req);
	/* A recorded message outside any request threads nothing. */
	assert_int_equal(store_request_find_by_msgid(fx->st,
	    "chatter@example.org", &id), 0);
	assert_int_equal(id, 0);
	assert_int_equal(store_request_find_by_msgid(fx->st, "nope@x", &id),
	    0);
	assert_int_equal(id, 0);
	assert_int_equal(store_request_find_by_msgid(fx->st, "", &id), 0);
	assert_int_equal(id, 0);
	assert_int_equal(store_request_find_by_msgid(fx->st, NULL, &id), 0);
	assert_int_equal(id, 0);
	/* Exact: case and brackets matter. */
	assert_int_equal(store_request_find_by_msgid(fx->st,
	    "<orig@example.org>", &id), 0);
	assert_int_equal(id, 0);
}

static void
test_find_by_reference(void **state)
{
	struct fx *fx = *state;
	char ref[STORE_REFLEN];
	int64_t req, id;
	int how, all = STORE_MATCH_ADDRESS | STORE_MATCH_DOMAIN;

	make_request(fx->st, "x@elsewhere.org", STATUS_COMPLETE, NULL);
	req = make_request(fx->st, "Jean.Dupont@Environnement.GOUV.fr",
	    STATUS_INCOMPLETE, ref);
	assert_string_equal(ref, "REQ-000002");

	/* Same address (any case). */
	assert_int_equal(store_request_find_by_reference(fx->st, ref,
	    "jean.dupont@environnement.gouv.fr", all, &id, &how), 0);
	assert_int_equal(id, req);
	assert_int_equal(how, STORE_MATCH_ADDRESS);
	/* Same domain, another person. */
	assert_int_equal(store_request_find_by_reference(fx->st, ref,
	    "marie.curie@environnement.gouv.fr", all, &id, &how), 0);
	assert_int_equal(id, req);
	assert_int_equal(how, STORE_MATCH_DOMAIN);
	/* ... not when only the address may match (a free-mail domain). */
	assert_int_equal(store_request_find_by_reference(fx->st, ref,
	    "marie.curie@environnement.gouv.fr", STORE_MATCH_ADDRESS, &id,
	    &how), 0);
	assert_int_equal(id, 0);
	assert_int_equal(how, 0);
	/* A different domain, even a sub- or parent domain: not found. */
	assert_int_equal(store_request_find_by_reference(fx->st, ref,
	    "jean.dupont@gouv.fr", all, &id, NULL), 0);
	assert_int_equal(id, 0);
	assert_int_equal(store_request_find_by_reference(fx->st, ref,
	    "attacker@example.com", all, &id, NULL), 0);
	assert_int_equal(id, 0);
	assert_int_equal(store_request_find_by_reference(fx->st, ref,
	    "no-at-sign", all, &id, NULL), 0);
	assert_int_equal(id, 0);
	/* Any case, any number of zeros. */
	assert_int_equal(store_request_find_by_reference(fx->st, "req-2",
	    "jean.dupont@environnement.gouv.fr", all, &id, NULL), 0);
	assert_int_equal(id, req);
	assert_int_equal(store_request_find_by_reference(fx->st,
	    "REQ-0000000002", "jean.dupont@environnement.gouv.fr", all, &id,
	    NULL), 0);
	assert_int_equal(id, req);
	/* Not references, or no such request. */
	assert_int_equal(store_request_find_by_reference(fx->st, "REQ-",
	    "jean.dupont@environnement.gouv.fr", all, &id, NULL), 0);
	assert_int_equal(id, 0);
	assert_int_equal(store_request_find_by_reference(fx->st,
	    "REQ-000002 ", "jean.dupont@environnement.gouv.fr", all, &id,
	    NULL), 0);
	assert_int_equal(id, 0);
	assert_int_equal(store_request_find_by_reference(fx->st,
	    "REQ-99999999999999999999999", "x@elsewhere.org", all, &id,
	    NULL), 0);
	assert_int_equal(id, 0);
	assert_int_equal(store_request_find_by_reference(fx->st,
	    "REQ-000777", "jean.dupont@environnement.gouv.fr", all, &id,
	    NULL), 0);
	assert_int_equal(id, 0);
	assert_int_equal(store_request_find_by_reference(fx->st, NULL,
	    "x@elsewhere.org", all, &id, NULL), 0);
	assert_int_equal(id, 0);
}

static void
test_refile(void **state)
{
	struct fx *fx = *state;
	struct store_message m;
	struct store_msgrow *rows;
	struct store_request *r;
	size_t n, i;
	int64_t req, m1, m2, m3, other;

	req = make_request(fx->st, "a@example.org", STATUS_INCOMPLETE, NULL);
	msg_init(&m, "m1@x", "h1", 1);
	m.class = CLASS_REQUEST;
	m.status = STATUS_INCOMPLETE;
	m.request_id = req;
	m.folder = "Requests/Incomplete";
	assert_int_equal(store_message_add(fx->st, &m, &m1), 0);
	msg_init(&m, "m2@x", "h2", 2);
	m.class = CLASS_REQUEST;
	m.status = STATUS_INCOMPLETE;
	m.request_id = req;
	m.folder = "Requests/Incomplete";
	assert_int_equal(store_message_add(fx->st, &m, &m2), 0);
	msg_init(&m, "chatter@x", "h3", 3);
	assert_int_equal(store_message_add(fx->st, &m, &other), 0);

	/* Both wait to be moved out of INBOX; the chatter stays. */
	assert_int_equal(store_messages_unmoved(fx->st, "INBOX", 0, &rows,
	    &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].id, m1);
	assert_int_equal(rows[1].id, m2);
	assert_string_equal(rows[0].folder, "Requests/Incomplete");
	assert_int_equal(rows[0].loc_uid, 1);
	assert_int_equal(rows[0].loc_uidvalidity, 7);
	store_msgrows_free(rows, n);
	assert_int_equal(store_messages_unmoved(fx->st, "INBOX", 1, &rows,
	    &n), 0);
	assert_int_equal(n, 1);
	store_msgrows_free(rows, n);

	assert_int_equal(store_message_set_moved(fx->st, m1,
	    "Requests/Incomplete", 55, 1), 0);
	assert_int_equal(store_message_set_moved(fx->st, m2,
	    "Requests/Incomplete", 55, 0), 0);
	assert_int_equal(store_message_set_moved(fx->st, 999, "X", 1, 1), -1);
	assert_int_equal(store_messages_unmoved(fx->st, NULL, 0, &rows, &n),
	    0);
	assert_int_equal(n, 0);
	assert_null(rows);

	/* A follow-up completes the request: earlier messages follow. */
	msg_init(&m, "m3@x", "h4", 4);
	m.class = CLASS_REQUEST;
	m.status = STATUS_COMPLETE;
	m.request_id = req;
	m.folder = "Requests/Complete";
	m.flags = FLAG_FOLLOW_UP;
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_message_add(fx->st, &m, &m3), 0);
	assert_int_equal(store_request_get(fx->st, req, &r), 0);
	r->status = STATUS_COMPLETE;
	assert_int_equal(store_request_update(fx->st, r, 3000), 0);
	store_request_free(r);
	assert_int_equal(store_request_refile(fx->st, req, "Requests/Complete",
	    &n), 0);
	assert_int_equal(n, 2);	/* m3 is there already */
	assert_int_equal(store_commit(fx->st), 0);

	assert_int_equal(store_messages_unmoved(fx->st, NULL, 0, &rows, &n),
	    0);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++) {
		assert_string_equal(rows[i].folder, "Requests/Complete");
		assert_int_equal(rows[i].request_id, req);
		assert_int_equal(rows[i].moved, 0);
	}
	assert_string_equal(rows[0].location, "Requests/Incomplete");
	assert_int_equal(rows[0].loc_uid, 1);
	assert_int_equal(rows[1].loc_uid, 0);	/* find it by Message-ID */
	assert_string_equal(rows[1].message_id, "m2@x");
	assert_string_equal(rows[2].location, "INBOX");
	store_msgrows_free(rows, n);
	assert_int_equal(store_messages_unmoved(fx->st, "Requests/Incomplete",
	    0, &rows, &n), 0);
	assert_int_equal(n, 2);
	store_msgrows_free(rows, n);
	assert_int_equal(st_int(fx->st, "SELECT moved FROM messages WHERE "
	    "message_id = 'chatter@x'"), 1);
	assert_int_equal(st_int(fx->st, "SELECT count(*) FROM messages WHERE "
	    "folder IS NULL"), 1);

	/* Refiling to the same folder again marks nothing. */
	assert_int_equal(store_request_refile(fx->st, req, "Requests/Complete",
	    &n), 0);
	assert_int_equal(n, 0);
	/* Moving back to where a message already is: nothing to move. */
	assert_int_equal(store_request_refile(fx->st, req,
	    "Requests/Incomplete", &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(store_messages_unmoved(fx->st, NULL, 0, &rows, &n),
	    0);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].id, m3);
	store_msgrows_free(rows, n);
	assert_int_equal(store_request_refile(fx->st, req, NULL, &n), -1);
}

static void
reply_fill(struct store_reply *r, int64_t req, const char *msgid)
{
	static const char data[] = "From: x\r\nSubject: Re: y\r\n\r\n\0bin\r\n";

	memset(r, 0, sizeof *r);
	r->request_id = req;
	r->kind = STORE_REPLY_ACK;
	r->message_id = (char *)msgid;
	r->rcpt = (char *)"a@example.org";
	r->envelope_from = (char *)"bounces@secretariat.example";
	r->data = (char *)data;
	r->len = sizeof data - 1;
	r->state = STORE_REPLY_QUEUED;
}

static void
test_outbox(void **state)
{
	struct fx *fx = *state;
	struct store_reply r, *due;
	char ref[STORE_REFLEN];
	size_t n;
	int64_t req, id, id2, when, t;
	int i;

	req = make_request(fx->st, "a@example.org", STATUS_COMPLETE, ref);
	reply_fill(&r, req, "r1@secretariat.example");
	assert_int_equal(store_reply_add(fx->st, &r, 1000, &id), 0);
	assert_int_equal(store_reply_add(fx->st, &r, 1000, &id2), -1);
	assert_non_null(strstr(store_error(fx->st), "UNIQUE"));
	reply_fill(&r, req, "r2@secretariat.example");
	r.state = STORE_REPLY_SUPPRESSED;
	assert_int_equal(store_reply_add(fx->st, &r, 1000, &id2), 0);
	reply_fill(&r, 4242, "r3@secretariat.example");
	assert_int_equal(store_reply_add(fx->st, &r, 1000, &id2), -1);
	assert_non_null(strstr(store_error(fx->st), "FOREIGN KEY"));

	assert_int_equal(store_replies_next(fx->st, &when), 0);
	assert_int_equal(when, 1000);
	assert_int_equal(store_replies_due(fx->st, 999, 0, &due, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_replies_due(fx->st, 1000, 10, &due, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(due[0].id, id);
	assert_int_equal(due[0].request_id, req);
	assert_string_equal(due[0].reference, ref);
	assert_int_equal(due[0].kind, STORE_REPLY_ACK);
	assert_int_equal(due[0].state, STORE_REPLY_QUEUED);
	assert_int_equal(due[0].message_row, 0);
	assert_string_equal(due[0].message_id, "r1@secretariat.example");
	assert_string_equal(due[0].rcpt, "a@example.org");
	assert_string_equal(due[0].envelope_from,
	    "bounces@secretariat.example");
	reply_fill(&r, req, "x");
	assert_int_equal(due[0].len, r.len);
	/* The data comes back byte for byte, with its NUL. */
	assert_memory_equal(due[0].data, r.data, r.len);
	assert_int_equal(due[0].attempts, 0);
	assert_int_equal(due[0].created_at, 1000);
	store_replies_free(due, n);

	/* Temporary failures back off: 60, 120, 240, ... up to 3600 s. */
	t = 1000;
	for (i = 1; i <= 9; i++) {
		int64_t wait = 60LL << (i - 1);

		if (wait > 3600)
			wait = 3600;
		assert_int_equal(store_reply_mark_failed(fx->st, id,
		    "451 try later", 0, t), 0);
		assert_int_equal(store_replies_due(fx->st, t + wait - 1, 0,
		    &due, &n), 0);
		assert_int_equal(n, 0);
		assert_int_equal(store_replies_due(fx->st, t + wait, 0, &due,
		    &n), 0);
		assert_int_equal(n, 1);
		assert_int_equal(due[0].attempts, i);
		assert_int_equal(due[0].next_attempt, t + wait);
		assert_string_equal(due[0].last_error, "451 try later");
		store_replies_free(due, n);
		t += wait;
	}

	/* Permanent failure: out of the queue until retried. */
	assert_int_equal(store_reply_mark_failed(fx->st, id, "550 no such user",
	    1, t), 0);
	assert_int_equal(store_replies_due(fx->st, t + 100000, 0, &due, &n),
	    0);
	assert_int_equal(n, 0);
	assert_int_equal(store_replies_next(fx->st, &when), 0);
	assert_int_equal(when, 0);
	assert_int_equal(store_reply_mark_sent(fx->st, id, t), -1);
	assert_int_equal(store_reply_mark_failed(fx->st, id, "x", 0, t), -1);
	assert_int_equal(st_int(fx->st, "SELECT count(*) FROM replies "
	    "WHERE state = 'failed' AND last_error = '550 no such user'"), 1);

	assert_int_equal(store_reply_retry(fx->st, ref, t + 5, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_reply_retry(fx->st, ref, t + 5, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_reply_retry(fx->st, "REQ-009999", t, &n), -1);
	assert_int_equal(store_reply_retry(fx->st, "garbage", t, &n), -1);
	assert_int_equal(store_replies_due(fx->st, t + 5, 0, &due, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(due[0].attempts, 0);
	store_replies_free(due, n);

	assert_int_equal(store_reply_mark_sent(fx->st, id, t + 6), 0);
	assert_int_equal(store_reply_mark_sent(fx->st, id, t + 7), -1);
	assert_int_equal(store_replies_due(fx->st, t + 100000, 0, &due, &n),
	    0);
	assert_int_equal(n, 0);
	assert_int_equal(st_int(fx->st, "SELECT sent_at FROM replies WHERE "
	    "state = 'sent'"), t + 6);
	/* The suppressed reply was never due. */
	assert_int_equal(st_int(fx->st, "SELECT count(*) FROM replies WHERE "
	    "state = 'suppressed' AND attempts = 0"), 1);

	reply_fill(&r, req, "r4@x");
	r.kind = STORE_REPLY_KIND_COUNT;
	assert_int_equal(store_reply_add(fx->st, &r, 1, &id2), -1);
	reply_fill(&r, req, NULL);
	assert_int_equal(store_reply_add(fx->st, &r, 1, &id2), -1);
}

static void
test_reply_counts(void **state)
{
	struct fx *fx = *state;
	unsigned c;
	int i;

	assert_int_equal(store_reply_count(fx->st, "a@example.org",
	    "2024-03-01", &c), 0);
	assert_int_equal(c, 0);
	for (i = 1; i <= 6; i++) {
		assert_int_equal(store_reply_count_bump(fx->st,
		    "a@example.org", "2024-03-01", &c), 0);
		assert_int_equal(c, (unsigned)i);
	}
	assert_int_equal(store_reply_count(fx->st, "A@Example.ORG",
	    "2024-03-01", &c), 0);
	assert_int_equal(c, 6);
	assert_int_equal(store_reply_count(fx->st, "a@example.org",
	    "2024-03-02", &c), 0);
	assert_int_equal(c, 0);
	assert_int_equal(store_reply_count(fx->st, "b@example.org",
	    "2024-03-01", &c), 0);
	assert_int_equal(c, 0);
	assert_int_equal(store_reply_count_bump(fx->st, "@example.org",
	    "2024-03-01", NULL), 0);
	assert_int_equal(store_reply_count(fx->st, "@example.org",
	    "2024-03-01", &c), 0);
	assert_int_equal(c, 1);
	assert_int_equal(store_reply_count_bump(fx->st, "a@example.org",
	    "yesterday", &c), -1);
	assert_int_equal(store_reply_count_bump(fx->st, NULL, "2024-03-01",
	    &c), -1);
}

/*
 * The daily counters (a sender's, and "@domain" for its domain) are rows of
 * the store: a restart (close, open again) keeps them, and a bump inside a
 * transaction that is rolled back (a message not recorded) never counts.
 */
static void
test_reply_counts_persist(void **state)
{
	struct fx *fx = *state;
	char err[512];
	unsigned c;

	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_reply_count_bump(fx->st, "a@example.org",
	    "2024-03-01", NULL), 0);
	assert_int_equal(store_reply_count_bump(fx->st, "@example.org",
	    "2024-03-01", NULL), 0);
	assert_int_equal(store_commit(fx->st), 0);
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_reply_count_bump(fx->st, "b@example.org",
	    "2024-03-01", NULL), 0);
	assert_int_equal(store_reply_count_bump(fx->st, "@example.org",
	    "2024-03-01", &c), 0);
	assert_int_equal(c, 2);
	assert_int_equal(store_rollback(fx->st), 0);

	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(store_open(fx->path, 0, -1, &fx->st, err,
	    sizeof err), 0);
	assert_int_equal(store_reply_count(fx->st, "a@example.org",
	    "2024-03-01", &c), 0);
	assert_int_equal(c, 1);
	assert_int_equal(store_reply_count(fx->st, "@EXAMPLE.org",
	    "2024-03-01", &c), 0);
	assert_int_equal(c, 1);
	assert_int_equal(store_reply_count(fx->st, "b@example.org",
	    "2024-03-01", &c), 0);
	assert_int_equal(c, 0);
	/* An address and its domain's key never share a row. */
	assert_int_equal(store_reply_count(fx->st, "example.org",
	    "2024-03-01", &c), 0);
	assert_int_equal(c, 0);
}

static void
test_parsing_markers(void **state)
{
	struct fx *fx = *state;
	struct store_parsing *list;
	size_t n;

	assert_int_equal(store_parsing_stale(fx->st, &list, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_parsing_begin(fx->st, "INBOX", 7, 10, 100), 0);
	assert_int_equal(store_parsing_begin(fx->st, "INBOX", 7, 11, 101), 0);
	assert_int_equal(store_parsing_begin(fx->st, "INBOX", 7, 11, 150), 0);
	assert_int_equal(store_parsing_end(fx->st, "INBOX", 7, 10), 0);
	/* Cleared in the transaction that records the result. */
	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_parsing_begin(fx->st, "Other", 1, 4000000000u,
	    200), 0);
	assert_int_equal(store_parsing_end(fx->st, "INBOX", 7, 11), 0);
	assert_int_equal(store_rollback(fx->st), 0);
	assert_int_equal(store_rollback(fx->st), 0);	/* harmless */

	assert_int_equal(store_parsing_stale(fx->st, &list, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].mailbox, "INBOX");
	assert_int_equal(list[0].uidvalidity, 7);
	assert_int_equal(list[0].uid, 11);
	assert_int_equal(list[0].started_at, 101);
	store_parsing_free(list, n);

	/* A restart sees the marker a crash left. */
	store_close(fx->st);
	assert_int_equal(store_open(fx->path, 0, -1, &fx->st, NULL, 0), 0);
	assert_int_equal(store_parsing_stale(fx->st, &list, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].uid, 11);
	store_parsing_free(list, n);
	assert_int_equal(store_parsing_end(fx->st, "INBOX", 7, 11), 0);
	assert_int_equal(store_parsing_stale(fx->st, &list, &n), 0);
	assert_int_equal(n, 0);
}

static void
test_transactions(void **state)
{
	struct fx *fx = *state;
	struct store_request r, *got;
	int64_t id1, id2;

	assert_int_equal(store_begin(fx->st), 0);
	assert_int_equal(store_begin(fx->st), -1);	/* no nesting */
	id1 = make_request(fx->st, "a@example.org", STATUS_COMPLETE, NULL);
	assert_int_equal(store_rollback(fx->st), 0);
	assert_int_equal(store_request_get(fx->st, id1, &got), 0);
	assert_null(got);

	/* A failing call inside a transaction undoes only its own part. */
	assert_int_equal(store_begin(fx->st), 0);
	id2 = make_request(fx->st, "a@example.org", STATUS_COMPLETE, NULL);
	memset(&r, 0, sizeof r);
	r.id = 12345;
	r.status = STATUS_COMPLETE;
	r.lang = LANG_EN;
	assert_int_equal(store_request_update(fx->st, &r, 1), -1);
	assert_non_null(strstr(store_error(fx->st), "no request"));
	assert_int_equal(store_commit(fx->st), 0);
	assert_int_equal(store_request_get(fx->st, id2, &got), 0);
	assert_non_null(got);
	assert_int_equal(got->nofficials, 1);
	store_request_free(got);
	assert_int_equal(store_commit(fx->st), -1);	/* none open */
}

/* A reader holding a snapshot never blocks the writer. */
static void
test_reader_does_not_block(void **state)
{
	struct fx *fx = *state;
	struct store *rd;
	struct store_request *got;
	int64_t id1, id2, t0;
	char err[512];

	id1 = make_request(fx->st, "a@example.org", STATUS_COMPLETE, NULL);
	assert_int_equal(store_open(fx->path, STORE_READONLY, 10000, &rd, err,
	    sizeof err), 0);
	assert_int_equal(store_begin_read(rd), 0);
	assert_int_equal(store_request_get(rd, id1, &got), 0);
	assert_non_null(got);
	store_request_free(got);

	t0 = now_ms();
	assert_int_equal(store_begin(fx->st), 0);
	id2 = make_request(fx->st, "b@example.org", STATUS_INCOMPLETE, NULL);
	assert_int_equal(store_commit(fx->st), 0);
	assert_true(now_ms() - t0 < 2000);	/* no busy wait */

	/* The reader still sees its snapshot ... */
	assert_int_equal(store_request_get(rd, id2, &got), 0);
	assert_null(got);
	assert_int_equal(store_commit(rd), 0);
	/* ... and the new request once it lets go. */
	assert_int_equal(store_request_get(rd, id2, &got), 0);
	assert_non_null(got);
	assert_string_equal(got->from_addr, "b@example.org");
	store_request_free(got);
	store_close(rd);
}

/*
 * Another connection (in a thread of its own) takes the write lock (BEGIN
 * IMMEDIATE), writes, holds the lock hold_ms, commits.  hold_writer()
 * returns once the lock is held; writer_done() gives the thread's result.
 */
struct writer {
	pthread_t	 thread;
	const char	*path;
	int		 hold_ms;
	int		 fds[2];
	int		 rc;
};

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	struct store_request r;
	struct store *st;
	struct timespec ts;
	int64_t id;

	memset(&r, 0, sizeof r);
	r.status = STATUS_REVIEW;
	r.lang = LANG_EN;
	r.from_addr = (char *)"writer@example.org";
	w->rc = 1;
	if (store_open(w->path, 0, 1000, &st, NULL, 0) == -1)
		goto out;
	if (store_begin(st) == -1 ||
	    store_request_create(st, &r, 1, &id, NULL) == -1) {
		store_close(st);
		goto out;
	}
	if (write(w->fds[1], "x", 1) != 1) {
		store_close(st);
		goto out;
	}
	ts.tv_sec = w->hold_ms / 1000;
	ts.tv_nsec = (long)(w->hold_ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
	w->rc = store_commit(st) == -1 ? 2 : 0;
	store_close(st);
 out:
	close(w->fds[1]);
	return NULL;
}

static struct writer *
hold_writer(const char *path, int hold_ms)
{
	struct writer *w = xcalloc(1, sizeof *w);
	char c;

	w->path = path;
	w->hold_ms = hold_ms;
	assert_int_equal(pipe(w->fds), 0);
	assert_int_equal(pthread_create(&w->thread, NULL, writer_main, w), 0);
	assert_int_equal(read(w->fds[0], &c, 1), 1);
	return w;
}

static int
writer_done(struct writer *w)
{
	int rc;

	assert_int_equal(pthread_join(w->thread, NULL), 0);
	close(w->fds[0]);
	rc = w->rc;
	free(w);
	return rc;
}

/* A second writer waits the busy timeout, then succeeds. */
static void
test_writer_waits(void **state)
{
	struct fx *fx = *state;
	struct store_request *got;
	struct writer *w;
	int64_t t0, elapsed, id;

	w = hold_writer(fx->path, 300);
	t0 = now_ms();
	assert_int_equal(store_begin(fx->st), 0);
	elapsed = now_ms() - t0;
	assert_true(elapsed >= 200);
	assert_true(elapsed < 5000);
	/* The other writer's request is there; ours comes next. */
	assert_int_equal(store_request_get(fx->st, 1, &got), 0);
	assert_non_null(got);
	assert_string_equal(got->from_addr, "writer@example.org");
	store_request_free(got);
	id = make_request(fx->st, "a@example.org", STATUS_COMPLETE, NULL);
	assert_int_equal(id, 2);
	assert_int_equal(store_commit(fx->st), 0);
	assert_int_equal(writer_done(w), 0);

	/* Without a transaction of ours, single calls wait the same. */
	w = hold_writer(fx->path, 300);
	t0 = now_ms();
	assert_int_equal(store_parsing_begin(fx->st, "INBOX", 1, 1, 1), 0);
	assert_true(now_ms() - t0 >= 200);
	assert_int_equal(writer_done(w), 0);
	w = hold_writer(fx->path, 300);
	t0 = now_ms();
	id = make_request(fx->st, "b@example.org", STATUS_COMPLETE, NULL);
	assert_true(now_ms() - t0 >= 200);
	assert_int_equal(id, 5);
	assert_int_equal(writer_done(w), 0);
}

/* ... and gives up with a clear error when the wait is too long. */
static void
test_writer_busy_timeout(void **state)
{
	struct fx *fx = *state;
	struct store *st;
	struct writer *w;
	int64_t t0, elapsed;
	char err[512];

	assert_int_equal(store_open(fx->path, 0, 100, &st, err, sizeof err),
	    0);
	w = hold_writer(fx->path, 1500);
	t0 = now_ms();
	assert_int_equal(store_begin(st), -1);
	elapsed = now_ms() - t0;
	assert_true(elapsed >= 80);
	assert_true(elapsed < 1400);
	assert_non_null(strstr(store_error(st), "locked"));
	assert_non_null(strstr(store_error(st), "100 ms"));
	assert_int_equal(writer_done(w), 0);
	/* The lock is free again. */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_commit(st), 0);
	store_close(st);
}

/* SQL metacharacters, quotes and format directives are plain data. */
static void
test_metacharacters(void **state)
{
	struct fx *fx = *state;
	static const char *const evil[] = {
		"'); DROP TABLE messages; --",
		"\"quoted\" 'single' `back` \\ %s %n %d ; -- /* */",
		"x' OR '1'='1",
		"Robert'); DELETE FROM requests WHERE ('1'='1",
	};
	struct store_message m;
	struct store_msgrow row;
	struct store_mailbox mb, got;
	struct store_request r, *out;
	struct store_reply rep, *due;
	struct store_parsing *pl;
	struct official *o = officials_new(1);
	char ref[STORE_REFLEN];
	size_t e, n;
	int64_t id, mid, rid, req;
	unsigned c;
	int found, f, how;

	for (e = 0; e < sizeof evil / sizeof evil[0]; e++) {
		const char *s = evil[e];
		char addr[200];

		snprintf(addr, sizeof addr, "%s@%s", s, s);
		memset(&mb, 0, sizeof mb);
		mb.uidvalidity = 1;
		assert_int_equal(store_mailbox_set(fx->st, s, &mb), 0);
		assert_int_equal(store_mailbox_get(fx->st, s, &got, &found),
		    0);
		assert_int_equal(found, 1);

		for (f = 0; f < FIELD_COUNT; f++)
			set_fv(&o[0], (enum field)f, s, s, PROBLEM_TEXT);
		memset(&r, 0, sizeof r);
		r.status = STATUS_INCOMPLETE;
		r.lang = LANG_EN;
		r.reason = (char *)s;
		r.from_addr = addr;
		r.subject = (char *)s;
		r.officials = o;
		r.nofficials = 1;
		assert_int_equal(store_request_create(fx->st, &r, 1, &req,
		    ref), 0);
		assert_int_equal(store_request_get(fx->st, req, &out), 0);
		assert_string_equal(out->reason, s);
		assert_string_equal(out->subject, s);
		assert_string_equal(out->from_addr, addr);
		assert_officials_equal(out->officials, o, 1);
		store_request_free(out);
		assert_int_equal(store_request_find_by_reference(fx->st, ref,
		    addr, STORE_MATCH_ADDRESS, &id, &how), 0);
		assert_int_equal(id, req);

		msg_init(&m, s, s, (uint32_t)e + 1);
		m.mailbox = s;
		m.from_addr = addr;
		m.subject = s;
		m.reason = s;
		m.folder = s;
		m.class = CLASS_REQUEST;
		m.status = STATUS_INCOMPLETE;
		m.request_id = req;
		assert_int_equal(store_message_add(fx->st, &m, &mid), 0);
		assert_int_equal(store_message_lookup(fx->st, s, NULL, &row,
		    &found), 0);
		assert_int_equal(found, 1);
		assert_int_equal(row.id, mid);
		assert_string_equal(row.folder, s);
		store_msgrow_clear(&row);
		assert_int_equal(store_message_lookup(fx->st, NULL, s, &row,
		    &found), 0);
		assert_int_equal(found, 1);
		store_msgrow_clear(&row);
		assert_int_equal(store_request_find_by_msgid(fx->st, s, &id),
		    0);
		assert_int_equal(id, req);
		assert_int_equal(store_request_refile(fx->st, req, s, &n), 0);

		assert_int_equal(store_parsing_begin(fx->st, s, 1, 1, 1), 0);
		assert_int_equal(store_parsing_stale(fx->st, &pl, &n), 0);
		assert_int_equal(n, 1);
		assert_string_equal(pl[0].mailbox, s);
		store_parsing_free(pl, n);
		assert_int_equal(store_parsing_end(fx->st, s, 1, 1), 0);

		memset(&rep, 0, sizeof rep);
		rep.request_id = req;
		rep.message_row = mid;
		rep.kind = STORE_REPLY_MISSING;
		rep.message_id = (char *)s;
		rep.rcpt = addr;
		rep.envelope_from = (char *)s;
		rep.data = (char *)s;
		rep.len = strlen(s);
		rep.state = STORE_REPLY_QUEUED;
		assert_int_equal(store_reply_add(fx->st, &rep, 1, &rid), 0);
		assert_int_equal(store_reply_mark_failed(fx->st, rid, s, 0, 1),
		    0);
		assert_int_equal(store_replies_due(fx->st, 100000, 0, &due, &n),
		    0);
		assert_int_equal(n, 1);
		assert_string_equal(due[0].message_id, s);
		assert_string_equal(due[0].rcpt, addr);
		assert_string_equal(due[0].envelope_from, s);
		assert_string_equal(due[0].last_error, s);
		assert_memory_equal(due[0].data, s, strlen(s));
		store_replies_free(due, n);
		assert_int_equal(store_reply_mark_sent(fx->st, rid, 2), 0);

		assert_int_equal(store_reply_count_bump(fx->st, s,
		    "2024-01-01", &c), 0);
		assert_int_equal(c, 1);
	}
	/* Every table is still there and holds what was written. */
	assert_int_equal(st_int(fx->st, "SELECT count(*) FROM messages"), 4);
	assert_int_equal(st_int(fx->st, "SELECT count(*) FROM requests"), 4);
	assert_int_equal(st_int(fx->st, "SELECT count(*) FROM mailboxes"), 4);
	assert_int_equal(st_int(fx->st, "SELECT count(*) FROM replies"), 4);
	assert_int_equal(st_int(fx->st, "SELECT count(*) FROM reply_counts"),
	    4);
	officials_del(o, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_create, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_migrate_empty_file, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_migrate_every_version,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_newer_and_foreign,
		    setup, teardown),
		cmocka_unit_test(test_hash_and_day),
		cmocka_unit_test_setup_teardown(test_mailbox, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dedupe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reference, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_officials_roundtrip,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_find_by_msgid, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_find_by_reference, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_counts, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reply_counts_persist,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_parsing_markers, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_transactions, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reader_does_not_block,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_waits, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_writer_busy_timeout,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_metacharacters, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
