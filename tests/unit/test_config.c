/*
 * test_config.c -- the configuration file: values, defaults, every kind of
 * error with its exact file:line, several errors at once, password files
 * and systemd credentials, and passwords never appearing in any message.
 *
 * Each test writes its file into a private directory made by the group
 * setup (with password files, a CA file, a form and a store directory) and
 * removes nothing but that directory at the end.
 */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "config.h"

#ifndef DATADIR
#define DATADIR		"/usr/local/share/intaked"
#endif

#define IMAP_PW		"imap-Secret-4711"
#define SMTP_PW		"smtp-Secret-0815"

static char	 dir[160];
static char	 conf_path[192];
static char	*conf_text;	/* the last file written, expanded */

/* ---- helpers ----------------------------------------------------------- */

/* tmpl with every "@D@" replaced by the test directory.  Caller frees. */
static char *
expand(const char *tmpl)
{
	struct buf b;
	const char *p;

	buf_init(&b, 1u << 20);
	while ((p = strstr(tmpl, "@D@")) != NULL) {
		buf_add(&b, tmpl, (size_t)(p - tmpl));
		buf_addstr(&b, dir);
		tmpl = p + 3;
	}
	buf_addstr(&b, tmpl);
	return buf_release(&b);
}

static void
write_file(const char *name, const char *content, mode_t mode)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(content, 1, strlen(content), f),
	    strlen(content));
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* Write tmpl as the configuration and load it; *errs gets the errors. */
static int
load(const char *tmpl, struct config **cfg, char **errs)
{
	struct buf b;
	int rc;

	free(conf_text);
	conf_text = expand(tmpl);
	write_file("t.conf", conf_text, 0644);
	buf_init(&b, 1u << 20);
	rc = config_load(conf_path, cfg, &b);
	*errs = buf_release(&b);
	if (rc == 0)
		assert_non_null(*cfg);
	else
		assert_null(*cfg);
	return rc;
}

/* The 1-based line of the configuration holding needle. */
static int
line_of(const char *needle)
{
	const char *hit = strstr(conf_text, needle), *p;
	int line = 1;

	assert_non_null(hit);
	for (p = conf_text; p < hit; p++)
		if (*p == '\n')
			line++;
	return line;
}

static int
count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		if (*s == '\n')
			n++;
	return n;
}

static void __attribute__((format(printf, 2, 3)))
assert_has(const char *haystack, const char *fmt, ...)
{
	char want[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	if (strstr(haystack, want) == NULL) {
		print_message("wanted: %s\nin:\n%s", want, haystack);
		fail();
	}
}

/* The error for the line holding needle: "path:N: [section] key: " +
 * reason (reason may be a prefix). */
static void
assert_error_at(const char *errs, const char *needle, const char *what)
{
	assert_has(errs, "%s:%d: %s", conf_path, line_of(needle), what);
}

/* ---- configurations ---------------------------------------------------- */

static const char full_conf[] =
	"; a complete configuration\n"
	"[imap]\n"
	"host = imap.example.org\n"
	"port = 10993\n"
	"security = tls            ; tls | starttls | none\n"
	"ca_file = @D@/ca.pem\n"
	"user = info\n"
	"password_file = @D@/imap.pass\n"
	"mailbox = Shared/info\n"
	"idle = off\n"
	"poll_interval = 2m\n"
	"first_start = 2018-05-07\n"
	"timeout = 30\n"
	"batch_size = 100\n"
	"\n"
	"[smtp]\n"
	"host = smtp.example.org\n"
	"port = 2587\n"
	"security = starttls\n"
	"ca_file =\n"
	"user = sender\n"
	"password_file = @D@/smtp.pass\n"
	"from = \"CITES Secretariat, Geneva\" <info@example.org>\n"
	"envelope_from = bounces@example.org\n"
	"timeout = 1m\n"
	"\n"
	"[store]\n"
	"path = @D@/store/intake.db\n"
	"\n"
	"[triage]\n"
	"form = @D@/test.form\n"
	"folder_complete = Requests/Done\n"
	"folder_incomplete = Requests/Incomplete\n"
	"folder_review = Requests/R\xc3\xa9vision\n"
	"folder_ignored = Requests/Ignored\n"
	"folder_quarantine = Requests/Quarantine\n"
	"secretariat = registry@example.org\n"
	"max_message_size = 10M\n"
	"max_replies_per_day = 3\n"
	"max_replies_per_domain_per_day = 7\n"
	"max_reply_age = 36h\n"
	"reply_policy = authenticated\n"
	"trusted_authserv_id = mx.example.org\n";

/* Only the keys without a default. */
#define MIN_IMAP \
	"[imap]\n" \
	"host = 127.0.0.1\n" \
	"user = info\n" \
	"password_file = @D@/imap.pass\n"
#define MIN_SMTP \
	"[smtp]\n" \
	"host = 127.0.0.1\n" \
	"from = info@example.org\n"
#define MIN_STORE \
	"[store]\n" \
	"path = @D@/store/intake.db\n"
#define MIN_TRIAGE \
	"[triage]\n" \
	"form = @D@/test.form\n" \
	"secretariat = registry@example.org\n"
#define MIN_CONF	MIN_IMAP MIN_SMTP MIN_STORE MIN_TRIAGE

/* ---- fixture ----------------------------------------------------------- */

static int
setup(void **state)
{
	const char *tmp;

	(void)state;
	unsetenv("CREDENTIALS_DIRECTORY");
	tmp = getenv("TMPDIR");
	if (tmp == NULL || *tmp == '\0' || strlen(tmp) > 120)
		tmp = "/tmp";
	snprintf(dir, sizeof(dir), "%s/test_config.XXXXXX", tmp);
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(conf_path, sizeof(conf_path), "%s/t.conf", dir);
	write_file("imap.pass", IMAP_PW "\n", 0600);
	write_file("smtp.pass", SMTP_PW, 0600);
	write_file("ca.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n"
	    "-----END CERTIFICATE-----\n", 0644);
	write_file("test.form", "[form]\nname = test\n", 0644);
	{
		char p[256];

		snprintf(p, sizeof(p), "%s/store", dir);
		if (mkdir(p, 0700) == -1)
			return -1;
		snprintf(p, sizeof(p), "%s/creds", dir);
		if (mkdir(p, 0700) == -1)
			return -1;
	}
	write_file("creds/imap-password", "cred-imap-pw\n", 0400);
	write_file("creds/smtp-password", "cred-smtp-pw\n", 0400);
	return 0;
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(path);
}

static int
teardown(void **state)
{
	(void)state;
	free(conf_text);
	conf_text = NULL;
	return nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- tests ------------------------------------------------------------- */

static void
test_full_file(void **state)
{
	struct config *c;
	char *errs, want[256];

	(void)state;
	assert_int_equal(load(full_conf, &c, &errs), 0);
	assert_string_equal(errs, "");
	assert_string_equal(c->path, conf_path);
	assert_string_equal(c->imap.host, "imap.example.org");
	assert_int_equal(c->imap.port, 10993);
	assert_int_equal(c->imap.security, CONFIG_SECURITY_TLS);
	snprintf(want, sizeof(want), "%s/ca.pem", dir);
	assert_string_equal(c->imap.ca_file, want);
	assert_string_equal(c->imap.user, "info");
	assert_string_equal(c->imap.password, IMAP_PW);
	snprintf(want, sizeof(want), "%s/imap.pass", dir);
	assert_string_equal(c->imap.password_file, want);
	assert_string_equal(c->imap.mailbox, "Shared/info");
	assert_int_equal(c->imap.idle, 0);
	assert_int_equal(c->imap.poll_interval, 120);
	assert_int_equal(c->imap.first_start, CONFIG_FIRST_DATE);
	assert_int_equal(c->imap.first_start_date.year, 2018);
	assert_int_equal(c->imap.first_start_date.month, 5);
	assert_int_equal(c->imap.first_start_date.day, 7);
	assert_int_equal(c->imap.first_start_time, 1525651200);
	assert_int_equal(c->imap.timeout, 30);
	assert_int_equal(c->imap.batch_size, 100);

	assert_string_equal(c->smtp.host, "smtp.example.org");
	assert_int_equal(c->smtp.port, 2587);
	assert_int_equal(c->smtp.security, CONFIG_SECURITY_STARTTLS);
	assert_null(c->smtp.ca_file);
	assert_string_equal(c->smtp.user, "sender");
	assert_string_equal(c->smtp.password, SMTP_PW);
	assert_string_equal(c->smtp.from_name, "CITES Secretariat, Geneva");
	assert_string_equal(c->smtp.from_addr, "info@example.org");
	assert_string_equal(c->smtp.envelope_from, "bounces@example.org");
	assert_int_equal(c->smtp.timeout, 60);

	snprintf(want, sizeof(want), "%s/store/intake.db", dir);
	assert_string_equal(c->store.path, want);

	snprintf(want, sizeof(want), "%s/test.form", dir);
	assert_string_equal(c->triage.form, want);
	assert_string_equal(c->triage.folder[CONFIG_FOLDER_COMPLETE],
	    "Requests/Done");
	assert_string_equal(c->triage.folder[CONFIG_FOLDER_REVIEW],
	    "Requests/R\xc3\xa9vision");
	assert_string_equal(c->triage.folder[CONFIG_FOLDER_QUARANTINE],
	    "Requests/Quarantine");
	assert_string_equal(c->triage.secretariat, "registry@example.org");
	assert_int_equal(c->triage.max_message_size, 10 * 1024 * 1024);
	assert_int_equal(c->triage.max_replies_per_day, 3);
	assert_int_equal(c->triage.max_replies_per_domain, 7);
	assert_int_equal(c->triage.max_reply_age, 36 * 3600);
	assert_int_equal(c->triage.reply_policy, CONFIG_REPLY_AUTHENTICATED);
	assert_string_equal(c->triage.trusted_authserv_id, "mx.example.org");
	assert_string_equal(c->warnings, "");
	config_free(c);
	free(errs);
}

static void
test_defaults(void **state)
{
	struct config *c;
	char *errs;

	(void)state;
	assert_int_equal(load(MIN_CONF, &c, &errs), 0);
	assert_string_equal(errs, "");
	free(errs);
	assert_int_equal(c->imap.security, CONFIG_SECURITY_TLS);
	assert_int_equal(c->imap.port, 993);
	assert_null(c->imap.ca_file);
	assert_string_equal(c->imap.mailbox, "INBOX");
	assert_int_equal(c->imap.idle, 1);
	assert_int_equal(c->imap.poll_interval, 60);
	assert_int_equal(c->imap.first_start, CONFIG_FIRST_NEW);
	assert_int_equal(c->imap.timeout, 60);
	assert_int_equal(c->imap.batch_size, 50);
	assert_int_equal(c->smtp.security, CONFIG_SECURITY_STARTTLS);
	assert_int_equal(c->smtp.port, 587);
	assert_null(c->smtp.user);
	assert_null(c->smtp.password);
	assert_null(c->smtp.password_file);
	assert_string_equal(c->smtp.from_name, "");
	assert_string_equal(c->smtp.from_addr, "info@example.org");
	assert_string_equal(c->smtp.envelope_from, "info@example.org");
	assert_int_equal(c->smtp.timeout, 60);
	assert_string_equal(c->triage.folder[CONFIG_FOLDER_COMPLETE],
	    "Requests/Complete");
	assert_string_equal(c->triage.folder[CONFIG_FOLDER_INCOMPLETE],
	    "Requests/Incomplete");
	assert_string_equal(c->triage.folder[CONFIG_FOLDER_REVIEW],
	    "Requests/Review");
	assert_string_equal(c->triage.folder[CONFIG_FOLDER_IGNORED],
	    "Requests/Ignored");
	assert_string_equal(c->triage.folder[CONFIG_FOLDER_QUARANTINE],
	    "Requests/Quarantine");
	assert_int_equal(c->triage.max_message_size, 26214400);
	assert_int_equal(c->triage.max_replies_per_day, 5);
	assert_int_equal(c->triage.max_replies_per_domain, 20);
	assert_int_equal(c->triage.max_reply_age, 14 * 86400);
	assert_int_equal(c->triage.reply_policy, CONFIG_REPLY_ALL);
	assert_null(c->triage.trusted_authserv_id);
	config_free(c);

	/* Ports follow the security setting. */
	assert_int_equal(load("[imap]\nsecurity = starttls\n"
	    "host = h\nuser = u\npassword_file = @D@/imap.pass\n"
	    "[smtp]\nsecurity = tls\nhost = h\nfrom = a@b.org\n"
	    MIN_STORE MIN_TRIAGE, &c, &errs), 0);
	assert_int_equal(c->imap.port, 143);
	assert_int_equal(c->smtp.port, 465);
	config_free(c);
	free(errs);
	assert_int_equal(load("[imap]\nsecurity = NONE\n"
	    "host = localhost\nuser = u\npassword_file = @D@/imap.pass\n"
	    "[smtp]\nsecurity = none\nhost = localhost\nfrom = a@b.org\n"
	    MIN_STORE MIN_TRIAGE, &c, &errs), 0);
	assert_int_equal(c->imap.port, 143);
	assert_int_equal(c->smtp.port, 25);
	assert_string_equal(c->warnings, "");
	config_free(c);
	free(errs);
}

static void
test_default_form(void **state)
{
	struct config *c;
	char *errs;
	int rc;

	(void)state;
	rc = load(MIN_IMAP MIN_SMTP MIN_STORE
	    "[triage]\nsecretariat = registry@example.org\n", &c, &errs);
	if (access(DATADIR "/forms/cencomm-cheetah.form", R_OK) == 0) {
		assert_int_equal(rc, 0);
		assert_string_equal(c->triage.form,
		    DATADIR "/forms/cencomm-cheetah.form");
	} else {
		assert_int_equal(rc, -1);
		assert_has(errs, "%s: [triage] form: missing, and the default "
		    "%s", conf_path, DATADIR "/forms/cencomm-cheetah.form");
	}
	config_free(c);
	free(errs);
}

static void
test_bad_port(void **state)
{
	struct config *c;
	char *errs;

	(void)state;
	assert_int_equal(load("[imap]\nhost = h\nport = 99999\nuser = u\n"
	    "password_file = @D@/imap.pass\n"
	    "[smtp]\nhost = h\nfrom = a@b.org\nport = abc\n"
	    MIN_STORE MIN_TRIAGE, &c, &errs), -1);
	assert_error_at(errs, "port = 99999",
	    "[imap] port: '99999' is not a port number (1-65535)");
	assert_error_at(errs, "port = abc",
	    "[smtp] port: 'abc' is not a port number");
	assert_int_equal(count_lines(errs), 2);
	free(errs);

	assert_int_equal(load("[imap]\nhost = h\nport = 0\nuser = u\n"
	    "password_file = @D@/imap.pass\n"
	    "[smtp]\nhost = h\nfrom = a@b.org\nport = -25\n"
	    MIN_STORE MIN_TRIAGE, &c, &errs), -1);
	assert_error_at(errs, "port = 0", "[imap] port: '0' is not");
	assert_error_at(errs, "port = -25", "[smtp] port: '-25' is not");
	free(errs);
}

static void
test_bad_security(void **state)
{
	struct config *c;
	char *errs;

	(void)state;
	assert_int_equal(load(MIN_IMAP "security = tsl\n"
	    MIN_SMTP MIN_STORE MIN_TRIAGE, &c, &errs), -1);
	assert_error_at(errs, "security = tsl", "[imap] security: 'tsl' is "
	    "not one of tls, starttls, none\n");
	assert_int_equal(count_lines(errs), 1);
	free(errs);
}

static void
test_unknown_key(void **state)
{
	struct config *c;
	char *errs;

	(void)state;
	assert_int_equal(load(MIN_IMAP "hots = imap.example.org\n"
	    MIN_SMTP "poll_interval = 30\n" MIN_STORE MIN_TRIAGE, &c, &errs),
	    -1);
	assert_error_at(errs, "hots =", "[imap] hots: unknown key\n");
	assert_error_at(errs, "poll_interval = 30", "[smtp] poll_interval: "
	    "unknown key (it belongs in [imap])");
	assert_int_equal(count_lines(errs), 2);
	free(errs);
	assert_int_equal(load(MIN_CONF "ca_file = x\n", &c, &errs), -1);
	assert_error_at(errs, "ca_file", "[triage] ca_file: unknown key (it "
	    "belongs in [imap] or [smtp])\n");
	free(errs);
}

static void
test_unknown_section(void **state)
{
	struct config *c;
	char *errs;

	(void)state;
	assert_int_equal(load(MIN_CONF "[imapp]\nhost = x\nbogus = 1\n",
	    &c, &errs), -1);
	assert_error_at(errs, "[imapp]", "[imapp]: unknown section");
	/* Its keys are not reported one by one. */
	assert_int_equal(count_lines(errs), 1);
	free(errs);
	/* A key before any section. */
	assert_int_equal(load("host = x\n" MIN_CONF, &c, &errs), -1);
	assert_has(errs, "%s:1: host: outside any section", conf_path);
	free(errs);
}

static void
test_missing_required(void **state)
{
	struct config *c;
	char *errs;

	(void)state;
	assert_int_equal(load("[imap]\nuser = u\npassword_file = "
	    "@D@/imap.pass\n" MIN_SMTP MIN_TRIAGE, &c, &errs), -1);
	assert_has(errs, "%s: [imap] host: missing\n", conf_path);
	assert_has(errs, "%s: [store] path: missing\n", conf_path);
	assert_int_equal(count_lines(errs), 2);
	free(errs);
	/* Given but empty. */
	assert_int_equal(load("[imap]\nhost =\nuser = u\npassword_file = "
	    "@D@/imap.pass\n" MIN_SMTP MIN_STORE MIN_TRIAGE, &c, &errs), -1);
	assert_error_at(errs, "host =\n", "[imap] host: is empty");
	free(errs);
}

static void
test_bad_date(void **state)
{
	struct config *c;
	char *errs;

	(void)state;
	assert_int_equal(load(MIN_IMAP "first_start = 2018-02-30\n"
	    MIN_SMTP MIN_STORE MIN_TRIAGE, &c, &errs), -1);
	assert_error_at(errs, "first_start", "[imap] first_start: "
	    "'2018-02-30' is not a real date");
	free(errs);
	assert_int_equal(load(MIN_IMAP "first_start = 2019-02-29\n"
	    MIN_SMTP MIN_STORE MIN_TRIAGE, &c, &errs), -1);
	assert_error_at(errs, "first_start", "[imap] first_start: "
	    "'2019-02-29' is not a real date");
	free(errs);
	assert_int_equal(load(MIN_IMAP "first_start = 2018-5-7\n"
	    MIN_SMTP MIN_STORE MIN_TRIAGE, &c, &errs), -1);
	assert_error_at(errs, "first_start", "[imap] first_start: "
	    "'2018-5-7' is not new, all or a date YYYY-MM-DD");
	free(errs);
	/* A leap day and the keywords are fine. */
	assert_int_equal(load(MIN_IMAP "first_start = 2020-02-29\n"
	    MIN_SMTP MIN_STORE MIN_TRIAGE, &c, &errs), 0);
	assert_int_equal(c->imap.first_start, CONFIG_FIRST_DATE);
	assert_int_equal(c->imap.first_start_date.day, 29);
	config_free(c);
	free(errs);
	assert_int_equal(load(MIN_IMAP "first_start = all\n"
	    MIN_SMTP MIN_STORE MIN_TRIAGE, &c, &errs), 0);
	assert_int_equal(c->imap.first_start, CONFIG_FIRST_ALL);
	config_free(c);
	free(errs);
}

static void
test_durations(void **state)
{
	struct config *c;
	char *errs;

	(void)state;
	assert_int_equal(load(MIN_IMAP "poll_interval = 4\n"
	    "timeout = 2h\n" MIN_SMTP MIN_STORE MIN_TRIAGE
	    "max_reply_age = 14x\n", &c, &errs), -1);
	assert_error_at(errs, "poll_interval", "[imap] poll_interval: '4' is "
	    "not a number of seconds from 5 to 86400");
	assert_error_at(errs, "timeout = 2h", "[imap] timeout: '2h' is not");
	assert_error_at(errs, "max_reply_age", "[triage] max_reply_age: "
	    "'14x' is not a duration");
	assert_int_equal(count_lines(errs), 3);
	free(errs);
	assert_int_equal(load(MIN_IMAP "poll_interval = 1h\n"
	    MIN_SMTP MIN_STORE MIN_TRIAGE "max_reply_age = 90m\n", &c, &errs),
	    0);
	assert_int_equal(c->imap.poll_interval, 3600);
	assert_int_equal(c->triage.max_reply_age, 5400);
	config_free(c);
	free(errs);
	assert_int_equal(load(MIN_IMAP MIN_SMTP MIN_STORE MIN_TRIAGE
	    "max_reply_age = 3600\n", &c, &errs), 0);
	assert_int_equal(c->triage.max_reply_age, 3600);
	config_free(c);
	free(errs);
	assert_int_equal(load(MIN_IMAP MIN_SMTP MIN_STORE MIN_TRIAGE
	    "max_reply_age = d\n", &c, &errs), -1);
	assert_error_at(errs, "max_reply_age", "[triage] max_reply_age: 'd'");
	free(errs);
}

static void
test_sizes_and_counts(void **state)
{
	struct config *c;
	char *errs;

	(void)state;
	assert_int_equal(load(MIN_IMAP "batch_size = 1001\n" MIN_SMTP
	    MIN_STORE MIN_TRIAGE "max_message_size = 512\n"
	    "max_replies_per_day = 10001\n", &c, &errs), -1);
	assert_error_at(errs, "batch_size", "[imap] batch_size: '1001'");
	assert_error_at(errs, "max_message_size", "[triage] max_message_size: "
	    "'512' is not a size from 1k to 1G");
	assert_error_at(errs, "max_replies_per_day",
	    "[triage] max_replies_per_day: '10001'");
	free(errs);
	assert_int_equal(load(MIN_CONF "max_message_size = 2G\n", &c, &errs),
	    -1);
	assert_error_at(errs, "max_message_size", "[triage] max_message_size:");
	free(errs);
	assert_int_equal(load(MIN_CONF "max_message_size = 1k\n"
	    "max_replies_per_day = 0\n", &c, &errs), 0);
	assert_int_equal(c->triage.max_message_size, 1024);
	assert_int_equal(c->triage.max_replies_per_day, 0);
	config_free(c);
	free(errs);
	assert_int_equal(load(MIN_CONF "max_replies_per_domain_per_day = "
	    "100001\n", &c, &errs), -1);
	assert_error_at(errs, "max_replies_per_domain_per_day",
	    "[triage] max_replies_per_domain_per_day: '100001' is not a "
	    "number from 0 to 100000");
	assert_int_equal(count_lines(errs), 1);
	free(errs);
	assert_int_equal(load(MIN_CONF "max_replies_per_domain_per_day = "
	    "-3\n", &c, &errs), -1);
	assert_error_at(errs, "max_replies_per_domain_per_day",
	    "[triage] max_replies_per_domain_per_day: '-3'");
	free(errs);
	assert_int_equal(load(MIN_CONF "max_replies_per_domain_per_day = "
	    "0\n", &c, &errs), 0);
	assert_int_equal(c->triage.max_replies_per_domain, 0);
	config_free(c);
	free(errs);
}

static void
test_unreadable_ca_file(void **state)
{
	struct config *c;
	char *errs;

	(void)state;
	assert_int_equal(load(MIN_IMAP "ca_file = @D@/nope.pem\n"
	    MIN_SMTP "ca_file = @D@/store\n" MIN_STORE MIN_TRIAGE, &c, &errs),
	    -1);
	assert_error_at(errs, "nope.pem", "[imap] ca_file: '");
	assert_has(errs, "nope.pem' cannot be read: No such file or "
	    "directory\n");
	assert_error_at(errs, "/store\n", "[smtp] ca_file: '");
	assert_has(errs, "/store' is not a regular file\n");
	free(errs);
	if (geteuid() != 0) {
		write_file("locked.pem", "x\n", 0);
		assert_int_equal(load(MIN_IMAP "ca_file = @D@/locked.pem\n"
		    MIN_SMTP MIN_STORE MIN_TRIAGE, &c, &errs), -1);
		assert_error_at(errs, "locked.pem", "[imap] ca_file: '");
		assert_has(errs, "cannot be read: Permission denied");
		free(errs);
	}
}

static void
test_bad_folders(void **state)
{
	struct config *c;
	char *errs, long_name[260], *tmpl;
	struct buf b;

	(void)state;
	memset(long_name, 'a', 201);
	long_name[201] = '\0';
	buf_init(&b, 1u << 16);
	buf_printf(&b, "%s%s", MIN_CONF,
	    "folder_complete = Requests/*\n"
	    "folder_review = inbox\n"
	    "folder_ignored = /Requests/Ignored\n"
	    "folder_quarantine = Requests//Q\n");
	buf_printf(&b, "folder_incomplete = %s\n", long_name);
	tmpl = buf_release(&b);
	assert_int_equal(load(tmpl, &c, &errs), -1);
	assert_error_at(errs, "Requests/*", "[triage] folder_complete: "
	    "'Requests/*' must not contain *, %, \" or \\");
	assert_error_at(errs, "= inbox", "[triage] folder_review: 'inbox' "
	    "must not be INBOX itself");
	assert_error_at(errs, "/Requests/Ignored", "[triage] folder_ignored: "
	    "'/Requests/Ignored' must not begin or end with '/'");
	assert_error_at(errs, "Requests//Q", "[triage] folder_quarantine: "
	    "'Requests//Q' must not contain '//'");
	assert_error_at(errs, "folder_incomplete", "[triage] "
	    "folder_incomplete: 'aaaa");
	assert_has(errs, "...' is longer than 200 bytes");
	assert_int_equal(count_lines(errs), 5);
	free(errs);
	free(tmpl);

	/* A folder may not be the watched mailbox; a control character. */
	assert_int_equal(load(MIN_IMAP "mailbox = Shared/info\n" MIN_SMTP
	    MIN_STORE MIN_TRIAGE "folder_review = Shared/info\n"
	    "folder_ignored = Req\x7fuests\n", &c, &errs), -1);
	assert_error_at(errs, "folder_review", "[triage] folder_review: "
	    "'Shared/info' is the mailbox intaked watches");
	assert_error_at(errs, "folder_ignored", "[triage] folder_ignored: "
	    "'Req\\x7fuests' is not UTF-8 text without control characters");
	free(errs);
}

static void
test_missing_password_file(void **state)
{
	struct config *c;
	char *errs;

	(void)state;
	assert_int_equal(load("[imap]\nhost = h\nuser = u\n"
	    "password_file = @D@/nope.pass\n" MIN_SMTP
	    "password_file = @D@/nope2.pass\nuser = u\n" MIN_STORE MIN_TRIAGE,
	    &c, &errs), -1);
	assert_error_at(errs, "nope.pass", "[imap] password_file: cannot "
	    "open: No such file or directory\n");
	assert_error_at(errs, "nope2.pass", "[smtp] password_file: cannot "
	    "open: No such file or directory\n");
	/* The path is not echoed (it could be a password pasted there). */
	assert_null(strstr(errs, "nope.pass"));
	free(errs);

	/* No password_file and no credentials directory. */
	assert_int_equal(load("[imap]\nhost = h\nuser = u\n" MIN_SMTP
	    MIN_STORE MIN_TRIAGE, &c, &errs), -1);
	assert_has(errs, "%s: [imap] password_file: missing", conf_path);
	assert_int_equal(count_lines(errs), 1);
	free(errs);
}

static void
test_password_file_contents(void **state)
{
	struct config *c;
	char *errs, big[2100];

	(void)state;
	write_file("crlf.pass", "pw-with-crlf\r\nsecond line\n", 0600);
	assert_int_equal(load("[imap]\nhost = h\nuser = u\n"
	    "password_file = @D@/crlf.pass\n" MIN_SMTP MIN_STORE MIN_TRIAGE,
	    &c, &errs), 0);
	assert_string_equal(c->imap.password, "pw-with-crlf");
	config_free(c);
	free(errs);

	write_file("empty.pass", "\n", 0600);
	assert_int_equal(load("[imap]\nhost = h\nuser = u\n"
	    "password_file = @D@/empty.pass\n" MIN_SMTP MIN_STORE MIN_TRIAGE,
	    &c, &errs), -1);
	assert_error_at(errs, "empty.pass", "[imap] password_file: the "
	    "password file is empty");
	free(errs);

	memset(big, 'x', 2000);
	big[2000] = '\0';
	write_file("big.pass", big, 0600);
	assert_int_equal(load("[imap]\nhost = h\nuser = u\n"
	    "password_file = @D@/big.pass\n" MIN_SMTP MIN_STORE MIN_TRIAGE,
	    &c, &errs), -1);
	assert_error_at(errs, "big.pass", "[imap] password_file: the first "
	    "line is longer than 1024 bytes");
	assert_null(strstr(errs, "xxxx"));
	free(errs);

	/* Exactly 1024 bytes is fine. */
	big[1024] = '\n';
	big[1025] = '\0';
	write_file("max.pass", big, 0600);
	assert_int_equal(load("[imap]\nhost = h\nuser = u\n"
	    "password_file = @D@/max.pass\n" MIN_SMTP MIN_STORE MIN_TRIAGE,
	    &c, &errs), 0);
	assert_int_equal(strlen(c->imap.password), 1024);
	config_free(c);
	free(errs);
}

static void
test_password_mode_warning(void **state)
{
	struct config *c;
	char *errs;

	(void)state;
	write_file("open.pass", "open-secret\n", 0644);
	assert_int_equal(load("[imap]\nhost = h\nuser = u\n"
	    "password_file = @D@/open.pass\n" MIN_SMTP MIN_STORE MIN_TRIAGE,
	    &c, &errs), 0);
	assert_string_equal(errs, "");
	assert_has(c->warnings, "%s:%d: [imap] password_file: the password "
	    "file is readable by others than its owner (mode 0644)", conf_path,
	    line_of("open.pass"));
	assert_null(strstr(c->warnings, "open-secret"));
	assert_string_equal(c->imap.password, "open-secret");
	config_free(c);
	free(errs);
}

static void
test_several_errors_sorted(void **state)
{
	struct config *c;
	char *errs, *first, *second;

	(void)state;
	assert_int_equal(load("[imap]\n"
	    "port = 70000\n"
	    "security = ssl\n"
	    "user = u\n"
	    "password_file = @D@/imap.pass\n"
	    "idle = maybe\n"
	    "[smtp]\nhost = h\nfrom = nobody\n"
	    MIN_STORE MIN_TRIAGE
	    "reply_policy = some\n", &c, &errs), -1);
	assert_error_at(errs, "port = 70000", "[imap] port:");
	assert_error_at(errs, "security = ssl", "[imap] security:");
	assert_error_at(errs, "idle = maybe", "[imap] idle: 'maybe' is not "
	    "yes or no");
	assert_error_at(errs, "from = nobody", "[smtp] from: 'nobody' is not "
	    "an address or 'Name <address>'");
	assert_error_at(errs, "reply_policy", "[triage] reply_policy: 'some' "
	    "is not all or authenticated");
	assert_has(errs, "%s: [imap] host: missing\n", conf_path);
	assert_int_equal(count_lines(errs), 6);
	/* In file order, the missing key last. */
	first = strstr(errs, "[imap] port:");
	second = strstr(errs, "[imap] security:");
	assert_true(first < second);
	assert_true(strstr(errs, "[triage] reply_policy") <
	    strstr(errs, "[imap] host: missing"));
	free(errs);
}

static void
test_credentials_directory(void **state)
{
	struct config *c;
	char *errs, want[256];

	(void)state;
	snprintf(want, sizeof(want), "%s/creds", dir);
	setenv("CREDENTIALS_DIRECTORY", want, 1);
	assert_int_equal(load("[imap]\nhost = h\nuser = u\n"
	    MIN_SMTP "user = s\n" MIN_STORE MIN_TRIAGE, &c, &errs), 0);
	assert_string_equal(c->imap.password, "cred-imap-pw");
	assert_string_equal(c->smtp.password, "cred-smtp-pw");
	snprintf(want, sizeof(want), "%s/creds/imap-password", dir);
	assert_string_equal(c->imap.password_file, want);
	config_free(c);
	free(errs);

	/* password_file wins over the credential. */
	assert_int_equal(load(MIN_IMAP MIN_SMTP "user = s\n" MIN_STORE
	    MIN_TRIAGE, &c, &errs), 0);
	assert_string_equal(c->imap.password, IMAP_PW);
	assert_string_equal(c->smtp.password, "cred-smtp-pw");
	config_free(c);
	free(errs);

	/* A credential for SMTP means AUTH, which needs a user. */
	assert_int_equal(load(MIN_CONF, &c, &errs), -1);
	assert_has(errs, "%s: [smtp] user: missing (needed to log in",
	    conf_path);
	free(errs);
	unsetenv("CREDENTIALS_DIRECTORY");
}

static void
test_smtp_auth_needs_user(void **state)
{
	struct config *c;
	char *errs;

	(void)state;
	assert_int_equal(load(MIN_IMAP MIN_SMTP
	    "password_file = @D@/smtp.pass\n" MIN_STORE MIN_TRIAGE, &c, &errs),
	    -1);
	assert_has(errs, "%s: [smtp] user: missing (needed to log in with "
	    "the password)\n", conf_path);
	free(errs);
	/* A user without a password: sent without AUTH, with a warning. */
	assert_int_equal(load(MIN_IMAP MIN_SMTP "user = s\n" MIN_STORE
	    MIN_TRIAGE, &c, &errs), 0);
	assert_null(c->smtp.password);
	assert_error_at(c->warnings, "user = s", "[smtp] user: is set but "
	    "there is no password");
	config_free(c);
	free(errs);
}

static void
test_password_never_shown(void **state)
{
	struct config *c;
	char *errs;

	(void)state;
	write_file("leaky.pass", "Zq9 secret*VALUE\n", 0644);
	assert_int_equal(load("[imap]\n"
	    "host = Zq9 secret*VALUE\n"
	    "port = Zq9 secret*VALUE\n"
	    "security = Zq9 secret*VALUE\n"
	    "ca_file = @D@/leaky.pass\n"
	    "user = u\n"
	    "password_file = @D@/leaky.pass\n"
	    "mailbox = Zq9 secret*VALUE\n"
	    "first_start = Zq9 secret*VALUE\n"
	    "password = Zq9 secret*VALUE\n"
	    "[smtp]\nhost = h\nuser = u\n"
	    "password_file = @D@/leaky.pass\n"
	    "from = Zq9 secret*VALUE <x@@y.org>\n"
	    "envelope_from = Zq9 secret*VALUE\n"
	    "[store]\npath = @D@/leaky.pass\n"
	    "[triage]\nform = @D@/leaky.pass\n"
	    "secretariat = Zq9 secret*VALUE\n"
	    "trusted_authserv_id = Zq9 secret*VALUE\n", &c, &errs), -1);
	assert_error_at(errs, "port =", "[imap] port: (value withheld) is "
	    "not a port number");
	assert_error_at(errs, "password =", "[imap] password: unknown key "
	    "(put the password in a file");
	assert_error_at(errs, "host = Zq9", "[imap] host:");
	assert_error_at(errs, "mailbox =", "[imap] mailbox:");
	assert_error_at(errs, "from =", "[smtp] from: (value withheld) does "
	    "not hold an e-mail address");
	assert_null(strstr(errs, "Zq9"));
	assert_null(strstr(errs, "secret*VALUE"));
	free(errs);

	/* Warnings too, on a file that loads. */
	assert_int_equal(load("[imap]\nhost = h\nuser = u\n"
	    "password_file = @D@/leaky.pass\n" "ca_file = @D@/leaky.pass\n"
	    "security = none\n" MIN_SMTP MIN_STORE MIN_TRIAGE, &c, &errs), 0);
	assert_has(c->warnings, "readable by others");
	assert_has(c->warnings, "[imap] ca_file: is not used");
	assert_has(c->warnings, "[imap] security: none sends the password");
	assert_null(strstr(c->warnings, "Zq9"));
	config_free(c);
	free(errs);
}

static void
test_syntax_errors(void **state)
{
	struct config *c;
	char *errs;

	(void)state;
	assert_int_equal(load(MIN_IMAP "just some words\n"
	    MIN_SMTP "port = 1 ; a comment\n" "port = 2\n"
	    "[store\n" MIN_STORE MIN_TRIAGE "batch_size = 7\n", &c, &errs),
	    -1);
	assert_error_at(errs, "just some", "not a 'key = value' line, a "
	    "[section] or a comment\n");
	assert_error_at(errs, "[store\n", "section header without ']'\n");
	/* The lines after a bad one are still read. */
	assert_has(errs, "%s:%d: [smtp] port: given twice (first on line "
	    "%d)\n", conf_path, line_of("port = 2"), line_of("port = 1"));
	assert_error_at(errs, "batch_size", "[triage] batch_size: unknown key "
	    "(it belongs in [imap])");
	assert_int_equal(count_lines(errs), 4);
	free(errs);
}

static void
test_layout_leniency(void **state)
{
	struct config *c;
	char *errs;

	(void)state;
	/* BOM, indentation, case, comments, blank lines, ':' separator. */
	assert_int_equal(load("\xef\xbb\xbf# comment\n"
	    "[IMAP]\n"
	    "  Host = h\n"
	    "\tUSER: u\n"
	    "  password_file = @D@/imap.pass   ; trailing comment\n"
	    "  Security = STARTTLS\n"
	    "\n"
	    "; [smtp] below\n"
	    MIN_SMTP MIN_STORE MIN_TRIAGE, &c, &errs), 0);
	assert_string_equal(errs, "");
	assert_string_equal(c->imap.host, "h");
	assert_string_equal(c->imap.user, "u");
	assert_int_equal(c->imap.security, CONFIG_SECURITY_STARTTLS);
	assert_int_equal(c->imap.port, 143);
	config_free(c);
	free(errs);
}

static void
test_long_line(void **state)
{
	struct config *c;
	char *errs, *tmpl, *name;
	struct buf b;

	(void)state;
	name = calloc(1, 6001);
	assert_non_null(name);
	memset(name, 'n', 6000);
	buf_init(&b, 1u << 16);
	buf_printf(&b, "%s" "user = %s\n" "[smtp]\nhost = h\n"
	    "from = a@b.org\n" MIN_STORE MIN_TRIAGE,
	    "[imap]\nhost = h\npassword_file = @D@/imap.pass\n", name);
	tmpl = buf_release(&b);
	assert_int_equal(load(tmpl, &c, &errs), -1);
	assert_has(errs, "%s:4: line too long", conf_path);
	/* The line is skipped whole, so the key counts as missing and the
	 * lines after it keep their numbers. */
	assert_has(errs, "%s: [imap] user: missing", conf_path);
	assert_int_equal(count_lines(errs), 2);
	free(errs);
	free(tmpl);
	free(name);
}

static void
test_from_forms(void **state)
{
	struct config *c;
	char *errs;

	(void)state;
	assert_int_equal(load(MIN_IMAP "[smtp]\nhost = h\n"
	    "from = Secretariat CITES <info@example.org>\n"
	    MIN_STORE MIN_TRIAGE, &c, &errs), 0);
	assert_string_equal(c->smtp.from_name, "Secretariat CITES");
	assert_string_equal(c->smtp.from_addr, "info@example.org");
	assert_string_equal(c->smtp.envelope_from, "info@example.org");
	config_free(c);
	free(errs);

	assert_int_equal(load(MIN_IMAP "[smtp]\nhost = h\n"
	    "from = \"Secr\\\"etariat\" <info@example.org>\n"
	    MIN_STORE MIN_TRIAGE, &c, &errs), 0);
	assert_string_equal(c->smtp.from_name, "Secr\"etariat");
	config_free(c);
	free(errs);

	assert_int_equal(load(MIN_IMAP "[smtp]\nhost = h\n"
	    "from = Bad <not-an-address>\n"
	    "envelope_from = <>\n"
	    MIN_STORE "[triage]\nform = @D@/test.form\n"
	    "secretariat = registry@@example.org\n", &c, &errs), -1);
	assert_error_at(errs, "from = Bad", "[smtp] from: 'Bad "
	    "<not-an-address>' does not hold an e-mail address");
	assert_error_at(errs, "envelope_from", "[smtp] envelope_from: must be "
	    "an address: an empty envelope sender is not allowed");
	assert_error_at(errs, "secretariat", "[triage] secretariat: "
	    "'registry@@example.org' is not an e-mail address");
	free(errs);

	assert_int_equal(load(MIN_IMAP "[smtp]\nhost = h\n"
	    "from = Smith, John <a@b.org>\n" "envelope_from = a..b@c.org\n"
	    MIN_STORE MIN_TRIAGE, &c, &errs), -1);
	assert_error_at(errs, "envelope_from", "[smtp] envelope_from: "
	    "'a..b@c.org' is not an e-mail address");
	free(errs);
}

static void
test_store_path(void **state)
{
	struct config *c;
	char *errs;

	(void)state;
	assert_int_equal(load(MIN_IMAP MIN_SMTP "[store]\n"
	    "path = @D@/no/such/dir/intake.db\n" MIN_TRIAGE, &c, &errs), -1);
	assert_error_at(errs, "path = ", "[store] path: the directory '");
	assert_has(errs, "/no/such/dir' does not exist\n");
	free(errs);
	assert_int_equal(load(MIN_IMAP MIN_SMTP "[store]\npath = @D@/store\n"
	    MIN_TRIAGE, &c, &errs), -1);
	assert_error_at(errs, "path = ", "[store] path: '");
	assert_has(errs, "/store' is not a regular file");
	free(errs);
	/* An existing database file is fine. */
	write_file("store/existing.db", "", 0600);
	assert_int_equal(load(MIN_IMAP MIN_SMTP "[store]\n"
	    "path = @D@/store/existing.db\n" MIN_TRIAGE, &c, &errs), 0);
	config_free(c);
	free(errs);
}

static void
test_reply_policy(void **state)
{
	struct config *c;
	char *errs;

	(void)state;
	assert_int_equal(load(MIN_CONF "reply_policy = authenticated\n",
	    &c, &errs), -1);
	assert_error_at(errs, "reply_policy", "[triage] reply_policy: "
	    "authenticated needs trusted_authserv_id");
	free(errs);
	assert_int_equal(load(MIN_CONF "reply_policy = authenticated\n"
	    "trusted_authserv_id = bad id\n", &c, &errs), -1);
	assert_error_at(errs, "trusted_authserv_id", "[triage] "
	    "trusted_authserv_id: 'bad id' is not an authserv-id");
	free(errs);
}

static void
test_missing_file(void **state)
{
	struct config *c = (struct config *)1;
	struct buf b;
	char path[256];

	(void)state;
	snprintf(path, sizeof(path), "%s/absent.conf", dir);
	buf_init(&b, 4096);
	assert_int_equal(config_load(path, &c, &b), -1);
	assert_null(c);
	assert_has(b.data, "%s: cannot open: No such file or directory\n",
	    path);
	buf_free(&b);
	config_free(NULL);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(config_security_name(CONFIG_SECURITY_STARTTLS),
	    "starttls");
	assert_string_equal(config_folder_name(CONFIG_FOLDER_QUARANTINE),
	    "quarantine");
	assert_null(config_folder_name(CONFIG_FOLDER_COUNT));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_default_form),
		cmocka_unit_test(test_bad_port),
		cmocka_unit_test(test_bad_security),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_unknown_section),
		cmocka_unit_test(test_missing_required),
		cmocka_unit_test(test_bad_date),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_sizes_and_counts),
		cmocka_unit_test(test_unreadable_ca_file),
		cmocka_unit_test(test_bad_folders),
		cmocka_unit_test(test_missing_password_file),
		cmocka_unit_test(test_password_file_contents),
		cmocka_unit_test(test_password_mode_warning),
		cmocka_unit_test(test_several_errors_sorted),
		cmocka_unit_test(test_credentials_directory),
		cmocka_unit_test(test_smtp_auth_needs_user),
		cmocka_unit_test(test_password_never_shown),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_layout_leniency),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_from_forms),
		cmocka_unit_test(test_store_path),
		cmocka_unit_test(test_reply_policy),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
