/*
 * fuzz_config.c -- the INI configuration reader (daemon/config.c) on
 * arbitrary text.
 *
 * config_load() reads a file, so each input is written to a file in a
 * private temporary directory first.  The two passwords come from a
 * systemd-style credentials directory made there, so that inputs need
 * name no password file; those an input names instead are not known
 * secrets.  Properties checked on every input:
 *   - success and failure are exclusive: a config and no errors, or no
 *     config and at least one error line;
 *   - every error and warning line names the file, ends in a newline and
 *     holds no other control character, and never holds a password;
 *   - a loaded config holds what config.h promises (ports, ranges,
 *     addresses and folders that passed their checks).
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"

#include "common.h"

#define IMAP_SECRET	"Imap-Secret-4f7Qz"
#define SMTP_SECRET	"Smtp-Secret-9wX2k"

static char tmpdir[4096], conf[4200], credir[4200];
static char imap_cred[4300], smtp_cred[4300];
static int imap_read, smtp_read;	/* this input's load opened them */

/*
 * A configuration may name other password files, so which passwords were
 * read is learnt where config.c opens files (linked with
 * -Wl,--wrap=open): the credentials opened are the passwords read.
 */
int	__real_open(const char *, int, ...);
int	__wrap_open(const char *, int, ...);

int
__wrap_open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode = 0;

	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (strcmp(path, imap_cred) == 0)
		imap_read = 1;
	if (strcmp(path, smtp_cred) == 0)
		smtp_read = 1;
	return __real_open(path, flags, mode);
}

static void
write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	const char *p = data;
	ssize_t w;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd == -1) {
		perror(path);
		exit(2);
	}
	while (len > 0) {
		w = write(fd, p, len);
		if (w <= 0) {
			perror(path);
			exit(2);
		}
		p += w;
		len -= (size_t)w;
	}
	close(fd);
}

static void
cleanup(void)
{
	unlink(conf);
	unlink(imap_cred);
	unlink(smtp_cred);
	rmdir(credir);
	rmdir(tmpdir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_mkdtemp("config", tmpdir, sizeof(tmpdir));
	snprintf(conf, sizeof(conf), "%s/intaked.conf", tmpdir);
	snprintf(credir, sizeof(credir), "%s/credentials", tmpdir);
	if (mkdir(credir, 0700) == -1) {
		perror(credir);
		exit(2);
	}
	snprintf(imap_cred, sizeof(imap_cred), "%s/imap-password", credir);
	write_file(imap_cred, IMAP_SECRET "\n", strlen(IMAP_SECRET) + 1, 0600);
	snprintf(smtp_cred, sizeof(smtp_cred), "%s/smtp-password", credir);
	write_file(smtp_cred, SMTP_SECRET "\n", strlen(SMTP_SECRET) + 1, 0600);
	setenv("CREDENTIALS_DIRECTORY", credir, 1);
	atexit(cleanup);
	return 0;
}

/* Lines of text: each begins with the file's name, ends in '\n', holds
 * no other control character and neither password. */
static void
check_lines(const char *what, const char *text, size_t len)
{
	size_t plen = strlen(conf), i;
	const char *line = text;

	if (len == 0)
		return;
	FUZZ_CHECK(memchr(text, '\0', len) == NULL, what);
	FUZZ_CHECK(text[len - 1] == '\n', what);
	if (imap_read)
		FUZZ_CHECK(strstr(text, IMAP_SECRET) == NULL, text);
	if (smtp_read)
		FUZZ_CHECK(strstr(text, SMTP_SECRET) == NULL, text);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (line == text + i)
			FUZZ_CHECK(strncmp(line, conf, plen) == 0 &&
			    line[plen] == ':', text);
		if (c == '\n')
			line = text + i + 1;
		else
			FUZZ_CHECK(c >= 0x20 && c != 0x7f, text);
	}
}

static void
check_config(const struct config *c)
{
	int f;

	FUZZ_CHECK(c->imap.host != NULL && *c->imap.host, "imap host");
	FUZZ_CHECK(c->imap.port >= 1 && c->imap.port <= 65535, "imap port");
	FUZZ_CHECK(c->imap.user != NULL, "imap user");
	FUZZ_CHECK(c->imap.password != NULL && *c->imap.password &&
	    c->imap.password_file != NULL, "imap password");
	if (imap_read)
		FUZZ_CHECK(strcmp(c->imap.password, IMAP_SECRET) == 0,
		    "imap password");
	FUZZ_CHECK(c->imap.mailbox != NULL && *c->imap.mailbox, "mailbox");
	FUZZ_CHECK(c->imap.poll_interval >= 5 &&
	    c->imap.poll_interval <= 86400, "poll_interval");
	FUZZ_CHECK(c->imap.timeout >= 5 && c->imap.timeout <= 600,
	    "imap timeout");
	FUZZ_CHECK(c->imap.batch_size >= 1 && c->imap.batch_size <= 1000,
	    "batch_size");
	FUZZ_CHECK(c->smtp.host != NULL && *c->smtp.host, "smtp host");
	FUZZ_CHECK(c->smtp.port >= 1 && c->smtp.port <= 65535, "smtp port");
	FUZZ_CHECK(c->smtp.from_addr != NULL && strchr(c->smtp.from_addr,
	    '@') != NULL, "from address");
	FUZZ_CHECK(c->smtp.from_name != NULL, "from name");
	FUZZ_CHECK(strpbrk(c->smtp.from_name, "\r\n") == NULL, "from name");
	FUZZ_CHECK(c->smtp.envelope_from != NULL && *c->smtp.envelope_from,
	    "envelope_from");
	FUZZ_CHECK(c->smtp.timeout >= 5 && c->smtp.timeout <= 600,
	    "smtp timeout");
	FUZZ_CHECK((c->smtp.password == NULL) ==
	    (c->smtp.password_file == NULL), "smtp password");
	if (smtp_read)
		FUZZ_CHECK(c->smtp.password != NULL &&
		    strcmp(c->smtp.password, SMTP_SECRET) == 0,
		    "smtp password");
	FUZZ_CHECK(c->store.path != NULL && *c->store.path, "store path");
	FUZZ_CHECK(c->triage.form != NULL, "form");
	for (f = 0; f < CONFIG_FOLDER_COUNT; f++) {
		const char *n = c->triage.folder[f];

		FUZZ_CHECK(n != NULL && *n && n[0] != '/' &&
		    n[strlen(n) - 1] != '/' && strstr(n, "//") == NULL &&
		    strpbrk(n, "*%\"\\\r\n") == NULL, "folder");
		FUZZ_CHECK(strcmp(n, c->imap.mailbox) != 0, "folder is the "
		    "mailbox");
	}
	FUZZ_CHECK(c->triage.secretariat != NULL &&
	    strchr(c->triage.secretariat, '@') != NULL, "secretariat");
	FUZZ_CHECK(c->triage.max_message_size >= 1024 &&
	    c->triage.max_message_size <= 1024ULL * 1024 * 1024,
	    "max_message_size");
	FUZZ_CHECK(c->triage.max_replies_per_day <= 10000,
	    "max_replies_per_day");
	FUZZ_CHECK(c->triage.reply_policy != CONFIG_REPLY_AUTHENTICATED ||
	    c->triage.trusted_authserv_id != NULL, "reply_policy");
	FUZZ_CHECK(c->warnings != NULL, "warnings");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c = NULL;
	struct buf errors;
	int rc;

	if (size > 256 * 1024)
		return 0;
	write_file(conf, data, size, 0600);
	imap_read = smtp_read = 0;
	buf_init(&errors, 1024 * 1024);
	rc = config_load(conf, &c, &errors);
	if (rc == 0) {
		FUZZ_CHECK(c != NULL, "success without a config");
		FUZZ_CHECK(errors.len == 0, "success with errors");
		check_config(c);
		check_lines("warnings", c->warnings, strlen(c->warnings));
	} else {
		FUZZ_CHECK(rc == -1, "return value");
		FUZZ_CHECK(c == NULL, "failure with a config");
		FUZZ_CHECK(errors.len > 0, "failure without an error");
		check_lines("errors", errors.data, errors.len);
	}
	config_free(c);
	buf_free(&errors);
	return 0;
}
