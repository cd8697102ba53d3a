/*
 * config.c -- read intaked's INI file (see config.h and
 * intaked.conf.example).
 *
 * Three passes.  inih reads the file through a line reader of ours: it
 * counts lines (Debian's inih does not pass line numbers to the handler),
 * reports lines inih would reject and unknown sections, and hands inih
 * each line whole with its indentation removed, so no line is ever taken
 * as the continuation of the one before.  The handler only files each
 * value under its key.  Then the password files are read, and last every
 * key is checked and converted, defaults filled in, and the checks that
 * span keys made.  Problems are collected, sorted by line and appended to
 * the caller's buffer; nothing here logs.
 *
 * Passwords never reach a message: a bad value is quoted back only when it
 * has nothing in common with a password read, and every message is
 * scrubbed of the passwords before it leaves.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <ini.h>

#include "buf.h"
#include "config.h"
#include "text.h"
#include "xmalloc.h"

#ifndef DATADIR
#define DATADIR		"/usr/local/share/intaked"
#endif
#define DEFAULT_FORM	DATADIR "/forms/cencomm-cheetah.form"

#define LINE_MAX_READ	4096	/* a longer line is read to its end, dropped */
#define PROBLEMS_MAX	100	/* problems kept; more are only counted */
#define ECHO_MAX	160	/* bytes of a bad value quoted back */
#define MESSAGE_MAX	1024	/* one problem line, path excluded */
#define HOST_MAX	253
#define USER_MAX	256
#define ADDR_MAX	254
#define NAME_MAX_BYTES	200	/* display name of from */
#define AUTHSERV_MAX	255

enum key {
	K_IMAP_HOST,
	K_IMAP_PORT,
	K_IMAP_SECURITY,
	K_IMAP_CA_FILE,
	K_IMAP_USER,
	K_IMAP_PASSWORD_FILE,
	K_IMAP_MAILBOX,
	K_IMAP_IDLE,
	K_IMAP_POLL_INTERVAL,
	K_IMAP_FIRST_START,
	K_IMAP_TIMEOUT,
	K_IMAP_BATCH_SIZE,
	K_SMTP_HOST,
	K_SMTP_PORT,
	K_SMTP_SECURITY,
	K_SMTP_CA_FILE,
	K_SMTP_USER,
	K_SMTP_PASSWORD_FILE,
	K_SMTP_FROM,
	K_SMTP_ENVELOPE_FROM,
	K_SMTP_TIMEOUT,
	K_STORE_PATH,
	K_TRIAGE_FORM,
	K_TRIAGE_FOLDER_COMPLETE,
	K_TRIAGE_FOLDER_INCOMPLETE,
	K_TRIAGE_FOLDER_REVIEW,
	K_TRIAGE_FOLDER_IGNORED,
	K_TRIAGE_FOLDER_QUARANTINE,
	K_TRIAGE_SECRETARIAT,
	K_TRIAGE_MAX_MESSAGE_SIZE,
	K_TRIAGE_MAX_REPLIES_PER_DAY,
	K_TRIAGE_MAX_REPLIES_PER_DOMAIN,
	K_TRIAGE_MAX_REPLY_AGE,
	K_TRIAGE_REPLY_POLICY,
	K_TRIAGE_TRUSTED_AUTHSERV_ID,
	K_COUNT
};

static const struct {
	const char	*section;
	const char	*name;
} keys[K_COUNT] = {
	[K_IMAP_HOST] =			{ "imap", "host" },
	[K_IMAP_PORT] =			{ "imap", "port" },
	[K_IMAP_SECURITY] =		{ "imap", "security" },
	[K_IMAP_CA_FILE] =		{ "imap", "ca_file" },
	[K_IMAP_USER] =			{ "imap", "user" },
	[K_IMAP_PASSWORD_FILE] =	{ "imap", "password_file" },
	[K_IMAP_MAILBOX] =		{ "imap", "mailbox" },
	[K_IMAP_IDLE] =			{ "imap", "idle" },
	[K_IMAP_POLL_INTERVAL] =	{ "imap", "poll_interval" },
	[K_IMAP_FIRST_START] =		{ "imap", "first_start" },
	[K_IMAP_TIMEOUT] =		{ "imap", "timeout" },
	[K_IMAP_BATCH_SIZE] =		{ "imap", "batch_size" },
	[K_SMTP_HOST] =			{ "smtp", "host" },
	[K_SMTP_PORT] =			{ "smtp", "port" },
	[K_SMTP_SECURITY] =		{ "smtp", "security" },
	[K_SMTP_CA_FILE] =		{ "smtp", "ca_file" },
	[K_SMTP_USER] =			{ "smtp", "user" },
	[K_SMTP_PASSWORD_FILE] =	{ "smtp", "password_file" },
	[K_SMTP_FROM] =			{ "smtp", "from" },
	[K_SMTP_ENVELOPE_FROM] =	{ "smtp", "envelope_from" },
	[K_SMTP_TIMEOUT] =		{ "smtp", "timeout" },
	[K_STORE_PATH] =		{ "store", "path" },
	[K_TRIAGE_FORM] =		{ "triage", "form" },
	[K_TRIAGE_FOLDER_COMPLETE] =	{ "triage", "folder_complete" },
	[K_TRIAGE_FOLDER_INCOMPLETE] =	{ "triage", "folder_incomplete" },
	[K_TRIAGE_FOLDER_REVIEW] =	{ "triage", "folder_review" },
	[K_TRIAGE_FOLDER_IGNORED] =	{ "triage", "folder_ignored" },
	[K_TRIAGE_FOLDER_QUARANTINE] =	{ "triage", "folder_quarantine" },
	[K_TRIAGE_SECRETARIAT] =	{ "triage", "secretariat" },
	[K_TRIAGE_MAX_MESSAGE_SIZE] =	{ "triage", "max_message_size" },
	[K_TRIAGE_MAX_REPLIES_PER_DAY] = { "triage", "max_replies_per_day" },
	[K_TRIAGE_MAX_REPLIES_PER_DOMAIN] =
	    { "triage", "max_replies_per_domain_per_day" },
	[K_TRIAGE_MAX_REPLY_AGE] =	{ "triage", "max_reply_age" },
	[K_TRIAGE_REPLY_POLICY] =	{ "triage", "reply_policy" },
	[K_TRIAGE_TRUSTED_AUTHSERV_ID] = { "triage", "trusted_authserv_id" },
};

static const char *const sections[] = { "imap", "smtp", "store", "triage" };

static const char *const security_names[] = {
	[CONFIG_SECURITY_TLS] = "tls",
	[CONFIG_SECURITY_STARTTLS] = "starttls",
	[CONFIG_SECURITY_NONE] = "none",
};

static const char *const folder_names[CONFIG_FOLDER_COUNT] = {
	[CONFIG_FOLDER_COMPLETE] = "complete",
	[CONFIG_FOLDER_INCOMPLETE] = "incomplete",
	[CONFIG_FOLDER_REVIEW] = "review",
	[CONFIG_FOLDER_IGNORED] = "ignored",
	[CONFIG_FOLDER_QUARANTINE] = "quarantine",
};

static const char *const folder_defaults[CONFIG_FOLDER_COUNT] = {
	[CONFIG_FOLDER_COMPLETE] = "Requests/Complete",
	[CONFIG_FOLDER_INCOMPLETE] = "Requests/Incomplete",
	[CONFIG_FOLDER_REVIEW] = "Requests/Review",
	[CONFIG_FOLDER_IGNORED] = "Requests/Ignored",
	[CONFIG_FOLDER_QUARANTINE] = "Requests/Quarantine",
};

struct unit {
	char			 suffix;	/* lower case */
	unsigned long long	 factor;
};

static const struct unit duration_units[] = {
	{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 0, 0 }
};

static const struct unit size_units[] = {
	{ 'k', 1024ULL }, { 'm', 1024ULL * 1024 },
	{ 'g', 1024ULL * 1024 * 1024 }, { 0, 0 }
};

struct problem {
	int		 line;		/* 0: none (a missing key, the file) */
	int		 seq;		/* order of discovery */
	char		*text;
};

struct problems {
	struct problem	 v[PROBLEMS_MAX];
	int		 n;
	int		 dropped;
};

struct loader {
	const char	*path;
	FILE		*fp;
	int		 lineno;	/* of the line inih is looking at */
	struct {
		char	*value;
		int	 line;
	} raw[K_COUNT];
	struct problems	 errors;
	struct problems	 warnings;
	int		 seq;
	const char	*secrets[2];	/* passwords read, for echo checks */
	struct config	*cfg;
};

const char *
config_security_name(enum config_security s)
{
	if ((unsigned int)s > CONFIG_SECURITY_NONE)
		return "unknown";
	return security_names[s];
}

const char *
config_folder_name(enum config_folder f)
{
	if ((unsigned int)f >= CONFIG_FOLDER_COUNT)
		return NULL;
	return folder_names[f];
}

/* ---- problems ---------------------------------------------------------- */

static void
problem_add(struct loader *l, struct problems *ps, int line, const char *text)
{
	if (ps->n == PROBLEMS_MAX) {
		ps->dropped++;
		return;
	}
	ps->v[ps->n].line = line;
	ps->v[ps->n].seq = l->seq++;
	ps->v[ps->n].text = xstrdup(text);
	ps->n++;
}

static void __attribute__((format(printf, 5, 0)))
vproblem(struct loader *l, struct problems *ps, int line, const char *where,
    const char *fmt, va_list ap)
{
	char msg[MESSAGE_MAX];
	struct buf b;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	buf_init(&b, MESSAGE_MAX * 2 + 4096);
	if (line > 0)
		buf_printf(&b, "%s:%d: %s%s", l->path, line, where, msg);
	else
		buf_printf(&b, "%s: %s%s", l->path, where, msg);
	problem_add(l, ps, line, b.data ? b.data : "");
	buf_free(&b);
}

/* A problem with key k, at its line (none when it is absent). */
static void __attribute__((format(printf, 4, 5)))
key_problem(struct loader *l, int warn, enum key k, const char *fmt, ...)
{
	char where[64];
	va_list ap;

	snprintf(where, sizeof(where), "[%s] %s: ", keys[k].section,
	    keys[k].name);
	va_start(ap, fmt);
	vproblem(l, warn ? &l->warnings : &l->errors, l->raw[k].line, where,
	    fmt, ap);
	va_end(ap);
}

#define key_error(l, k, ...)	key_problem((l), 0, (k), __VA_ARGS__)
#define key_warning(l, k, ...)	key_problem((l), 1, (k), __VA_ARGS__)

/* A problem with a line as a whole, or with the file (line 0). */
static void __attribute__((format(printf, 3, 4)))
line_error(struct loader *l, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vproblem(l, &l->errors, line, "", fmt, ap);
	va_end(ap);
}

static int
problem_cmp(const void *a, const void *b)
{
	const struct problem *pa = a, *pb = b;
	unsigned int la = (unsigned int)pa->line - 1;
	unsigned int lb = (unsigned int)pb->line - 1;

	/* Line 0 wraps around to the largest value: sorted last. */
	if (la != lb)
		return la < lb ? -1 : 1;
	return pa->seq < pb->seq ? -1 : pa->seq > pb->seq;
}

/* Replace every occurrence of a password in s by "***". */
static void
scrub(struct loader *l, struct buf *out, const char *s)
{
	const char *hit, *next;
	size_t i, n;

	for (;;) {
		hit = NULL;
		n = 0;
		for (i = 0; i < 2; i++) {
			if (l->secrets[i] == NULL || *l->secrets[i] == '\0')
				continue;
			next = strstr(s, l->secrets[i]);
			if (next && (hit == NULL || next < hit)) {
				hit = next;
				n = strlen(l->secrets[i]);
			}
		}
		if (hit == NULL)
			break;
		buf_add(out, s, (size_t)(hit - s));
		buf_addstr(out, "***");
		s = hit + n;
	}
	buf_addstr(out, s);
}

/* Sort, scrub and append the problems to out, one a line; free them. */
static void
problems_flush(struct loader *l, struct problems *ps, struct buf *out)
{
	struct buf line;
	int i;

	qsort(ps->v, (size_t)ps->n, sizeof(ps->v[0]), problem_cmp);
	for (i = 0; i < ps->n; i++) {
		buf_init(&line, MESSAGE_MAX * 4 + 4096);
		scrub(l, &line, ps->v[i].text);
		buf_addch(&line, '\n');
		if (line.data != NULL)
			buf_add(out, line.data, line.len);
		explicit_bzero(ps->v[i].text, strlen(ps->v[i].text));
		free(ps->v[i].text);
		if (line.data)
			explicit_bzero(line.data, line.len);
		buf_free(&line);
	}
	if (ps->dropped > 0)
		buf_printf(out, "%s: %d more problems not shown\n", l->path,
		    ps->dropped);
	ps->n = 0;
	ps->dropped = 0;
}

/* ---- small text helpers ------------------------------------------------ */

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_alnum(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
to_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/*
 * 1 when s is valid UTF-8 without control characters (C0, DEL, C1), and
 * without spaces unless spaces is set.
 */
static int
is_clean_text(const char *s, int spaces)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i;

	if (!text_is_utf8(s, len))
		return 0;
	for (i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return 0;
		if (p[i] == ' ' && !spaces)
			return 0;
		/* U+0080..U+009F are 0xC2 0x80..0x9F in UTF-8. */
		if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 &&
		    p[i + 1] <= 0x9f)
			return 0;
	}
	return 1;
}

/* 1 when v shares a password or a good part of one. */
static int
near_secret(const struct loader *l, const char *v)
{
	size_t i;

	for (i = 0; i < 2; i++) {
		const char *s = l->secrets[i];

		if (s == NULL || *s == '\0')
			continue;
		if (strstr(v, s) != NULL)
			return 1;
		if (strlen(v) >= 4 && strstr(s, v) != NULL)
			return 1;
	}
	return 0;
}

/*
 * A bad value as it can be shown: quoted, with bytes outside printable
 * ASCII escaped and long values cut, or "(value withheld)" when it looks
 * like a password.  dst must hold ECHO_MAX * 4 + 8 bytes.
 */
static const char *
shown(const struct loader *l, const char *v, char *dst, size_t dstlen)
{
	const unsigned char *p = (const unsigned char *)v;
	size_t o = 0, i;

	if (near_secret(l, v)) {
		snprintf(dst, dstlen, "(value withheld)");
		return dst;
	}
	dst[o++] = '\'';
	for (i = 0; p[i] != '\0' && o + 8 < dstlen; i++) {
		if (i == ECHO_MAX) {
			memcpy(dst + o, "...", 3);
			o += 3;
			break;
		}
		if (p[i] < 0x20 || p[i] >= 0x7f || p[i] == '\\') {
			snprintf(dst + o, dstlen - o, "\\x%02x", p[i]);
			o += 4;
		} else
			dst[o++] = (char)p[i];
	}
	dst[o++] = '\'';
	dst[o] = '\0';
	return dst;
}

#define SHOWN_SIZE	(ECHO_MAX * 4 + 16)

/* A section or key name as written: bare when it is a plain word, else
 * quoted and escaped as shown() does. */
static const char *
shown_name(const struct loader *l, const char *v, char *dst, size_t dstlen)
{
	const char *p;

	for (p = v; *p; p++)
		if (!is_alnum((unsigned char)*p) && strchr("_-.", *p) == NULL)
			break;
	if (*p == '\0' && p - v <= ECHO_MAX && !near_secret(l, v)) {
		snprintf(dst, dstlen, "%s", v);
		return dst;
	}
	return shown(l, v, dst, dstlen);
}

/* ---- reading the file through inih ------------------------------------- */

static int
section_known(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (strcasecmp(name, sections[i]) == 0)
			return 1;
	return 0;
}

/*
 * inih's scan for one of chars, stopping at an inline comment (';' after
 * white space) or the end.  Mirrored so that bad lines are found here.
 */
static const char *
find_chars_or_comment(const char *s, const char *chars)
{
	int was_space = 0;

	while (*s && (chars == NULL || strchr(chars, *s) == NULL) &&
	    !(was_space && *s == ';')) {
		was_space = is_space((unsigned char)*s);
		s++;
	}
	return s;
}

/*
 * Look at one line; return 0 when inih may have it, -1 (after reporting)
 * when it must get a blank line instead.
 */
static int
check_line(struct loader *l, const char *s)
{
	char name[LINE_MAX_READ], show[SHOWN_SIZE];
	const char *end;
	size_t len;

	if (*s == '\0' || *s == ';' || *s == '#')
		return 0;
	if (*s == '[') {
		end = find_chars_or_comment(s + 1, "]");
		if (*end != ']') {
			line_error(l, l->lineno, "section header without ']'");
			return -1;
		}
		len = (size_t)(end - (s + 1));
		memcpy(name, s + 1, len);
		name[len] = '\0';
		if (!section_known(name))
			line_error(l, l->lineno, "[%s]: unknown section "
			    "(known: [imap], [smtp], [store], [triage])",
			    shown_name(l, name, show, sizeof(show)));
		return 0;
	}
	end = find_chars_or_comment(s, "=:");
	if (*end != '=' && *end != ':') {
		line_error(l, l->lineno,
		    "not a 'key = value' line, a [section] or a comment");
		return -1;
	}
	return 0;
}

/* An fgets-style reader for ini_parse_stream(): one whole line a call. */
static char *
config_reader(char *str, int num, void *stream)
{
	struct loader *l = stream;
	char line[LINE_MAX_READ];
	const char *s;
	size_t len = 0, got = 0;
	int c, overlong = 0, nul = 0;

	if (num < 3)
		return NULL;
	for (;;) {
		c = getc(l->fp);
		if (c == EOF || c == '\n')
			break;
		got++;
		if (c == '\0')
			nul = 1;
		if (len < sizeof(line) - 1)
			line[len++] = (char)c;
		else
			overlong = 1;
	}
	if (c == EOF && got == 0)
		return NULL;
	line[len] = '\0';
	l->lineno++;
	while (len > 0 && is_space((unsigned char)line[len - 1]))
		line[--len] = '\0';
	s = line;
	if (l->lineno == 1 && strncmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	while (is_space((unsigned char)*s))
		s++;
	len = strlen(s);
	if (nul) {
		line_error(l, l->lineno, "contains a NUL byte");
		s = "";
	} else if (overlong || len > (size_t)num - 2) {
		line_error(l, l->lineno, "line too long (the limit is %d "
		    "bytes)", num - 2);
		s = "";
	} else if (check_line(l, s) == -1)
		s = "";
	len = strlen(s);
	memcpy(str, s, len);
	str[len] = '\n';
	str[len + 1] = '\0';
	explicit_bzero(line, sizeof(line));
	return str;
}

/* The canonical (lower-case) spelling of a known section. */
static const char *
keys_section(const char *section)
{
	size_t i;

	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (strcasecmp(section, sections[i]) == 0)
			return sections[i];
	return "?";
}

static int
config_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct loader *l = user;
	char show[SHOWN_SIZE], hint[128] = "", in[64] = "";
	size_t k, n, len;

	if (*section == '\0') {
		line_error(l, l->lineno, "%s: outside any section",
		    shown_name(l, name, show, sizeof(show)));
		return 1;
	}
	if (!section_known(section))
		return 1;	/* reported at its header */
	if (*name == '\0') {
		line_error(l, l->lineno, "[%s]: a key name is missing before "
		    "'='", keys_section(section));
		return 1;
	}
	for (k = 0; k < K_COUNT; k++)
		if (strcasecmp(section, keys[k].section) == 0 &&
		    strcasecmp(name, keys[k].name) == 0)
			break;
	if (k == K_COUNT) {
		if (strcasecmp(name, "password") == 0)
			snprintf(hint, sizeof(hint), " (put the password in a "
			    "file and name that file with password_file)");
		for (k = 0, n = 0; k < K_COUNT && *hint == '\0'; k++) {
			if (strcasecmp(name, keys[k].name) != 0)
				continue;
			if (n++ == 0)
				snprintf(in, sizeof(in), "[%s]",
				    keys[k].section);
			else {
				len = strlen(in);
				snprintf(in + len, sizeof(in) - len,
				    " or [%s]", keys[k].section);
			}
		}
		if (n > 0)
			snprintf(hint, sizeof(hint), " (it belongs in %s)", in);
		line_error(l, l->lineno, "[%s] %s: unknown key%s",
		    keys_section(section),
		    shown_name(l, name, show, sizeof(show)), hint);
		return 1;
	}
	if (l->raw[k].value != NULL) {
		line_error(l, l->lineno, "[%s] %s: given twice (first on "
		    "line %d)", keys[k].section, keys[k].name, l->raw[k].line);
		return 1;
	}
	l->raw[k].value = xstrdup(value);
	l->raw[k].line = l->lineno;
	return 1;
}

/* ---- passwords --------------------------------------------------------- */

/*
 * Read the first line of a password file into *out (caller wipes and
 * frees).  On failure, why gets the reason (never any of the content).
 * *mode gets the file's permission bits.
 */
static int
read_secret(const char *path, char **out, mode_t *mode, char *why,
    size_t whylen)
{
	char data[CONFIG_PASSWORD_MAX + 2];
	struct stat st;
	size_t n = 0, len;
	ssize_t r;
	char *nl;
	int fd, ret = -1;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK))
	    == -1) {
		snprintf(why, whylen, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(why, whylen, "cannot stat: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "is not a regular file");
		close(fd);
		return -1;
	}
	*mode = st.st_mode & 07777;
	while (n < sizeof(data) && memchr(data, '\n', n) == NULL) {
		r = read(fd, data + n, sizeof(data) - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			snprintf(why, whylen, "cannot read: %s",
			    strerror(errno));
			goto done;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if ((nl = memchr(data, '\n', n)) != NULL)
		len = (size_t)(nl - data);
	else
		len = n;
	if (len > 0 && data[len - 1] == '\r')
		len--;
	if (len > CONFIG_PASSWORD_MAX) {
		snprintf(why, whylen, "the first line is longer than %d bytes",
		    CONFIG_PASSWORD_MAX);
		goto done;
	}
	if (len == 0) {
		snprintf(why, whylen, "the password file is empty");
		goto done;
	}
	if (memchr(data, '\0', len) != NULL) {
		snprintf(why, whylen, "the password contains a NUL byte");
		goto done;
	}
	*out = xmalloc(len + 1);
	memcpy(*out, data, len);
	(*out)[len] = '\0';
	ret = 0;
done:
	explicit_bzero(data, sizeof(data));
	close(fd);
	return ret;
}

/*
 * The password for k's section: from password_file, else from the systemd
 * credential of that name.  Sets *pw and *pw_file, or leaves them NULL.
 */
static void
load_password(struct loader *l, enum key k, const char *credential,
    int required, char **pw, char **pw_file)
{
	const char *file = l->raw[k].value, *dir;
	char *credpath = NULL, why[256];
	struct stat st;
	mode_t mode = 0;
	size_t dlen, clen;

	*pw = *pw_file = NULL;
	if (file != NULL && *file == '\0')
		file = NULL;
	if (file == NULL) {
		dir = getenv("CREDENTIALS_DIRECTORY");
		if (dir != NULL && *dir != '\0') {
			dlen = strlen(dir);
			clen = strlen(credential);
			credpath = xmalloc(dlen + clen + 2);
			memcpy(credpath, dir, dlen);
			credpath[dlen] = '/';
			memcpy(credpath + dlen + 1, credential, clen + 1);
			if (stat(credpath, &st) == 0)
				file = credpath;
		}
		if (file == NULL) {
			if (required)
				key_error(l, k, "missing (and there is no %s "
				    "credential in $CREDENTIALS_DIRECTORY)",
				    credential);
			free(credpath);
			return;
		}
	}
	if (read_secret(file, pw, &mode, why, sizeof(why)) == -1) {
		if (file == credpath)
			key_error(l, k, "$CREDENTIALS_DIRECTORY/%s: %s",
			    credential, why);
		else
			key_error(l, k, "%s", why);
		free(credpath);
		return;
	}
	if (mode & (S_IRGRP | S_IROTH))
		key_warning(l, k, "%s%s is readable by others than its owner "
		    "(mode %04o); make it 0600 or 0400",
		    file == credpath ? "$CREDENTIALS_DIRECTORY/" : "the "
		    "password file", file == credpath ? credential : "",
		    (unsigned int)mode);
	*pw_file = xstrdup(file);
	free(credpath);
}

/* ---- checking values --------------------------------------------------- */

/* The value of k, or NULL when absent or empty ("key =" means unset). */
static const char *
value(const struct loader *l, enum key k)
{
	const char *v = l->raw[k].value;

	return v != NULL && *v != '\0' ? v : NULL;
}

static const char *
required(struct loader *l, enum key k)
{
	if (l->raw[k].value == NULL) {
		key_error(l, k, "missing");
		return NULL;
	}
	if (*l->raw[k].value == '\0') {
		key_error(l, k, "is empty");
		return NULL;
	}
	return l->raw[k].value;
}

static char *
get_host(struct loader *l, enum key k)
{
	char show[SHOWN_SIZE];
	const char *v, *p;

	if ((v = required(l, k)) == NULL)
		return NULL;
	for (p = v; *p; p++)
		if (!is_alnum((unsigned char)*p) &&
		    strchr(".-_:[]", *p) == NULL)
			break;
	if (*p != '\0' || strlen(v) > HOST_MAX) {
		key_error(l, k, "%s is not a host name or IP address",
		    shown(l, v, show, sizeof(show)));
		return NULL;
	}
	return xstrdup(v);
}

static char *
get_user(struct loader *l, enum key k, int need)
{
	const char *v = need ? required(l, k) : value(l, k);

	if (v == NULL)
		return NULL;
	if (strlen(v) > USER_MAX || !is_clean_text(v, 1)) {
		key_error(l, k, "is not a user name (control characters, or "
		    "longer than %d bytes)", USER_MAX);
		return NULL;
	}
	return xstrdup(v);
}

/*
 * A number with an optional unit suffix (units may be NULL): digits,
 * optional blanks, one suffix letter in any case.
 */
static int
parse_number(const char *s, const struct unit *units,
    unsigned long long *out)
{
	unsigned long long n = 0, factor = 1;
	const struct unit *u;

	if (!is_digit((unsigned char)*s))
		return -1;
	for (; is_digit((unsigned char)*s); s++) {
		if (n > 1000000000000ULL)
			return -1;
		n = n * 10 + (unsigned long long)(*s - '0');
	}
	while (is_space((unsigned char)*s))
		s++;
	if (*s != '\0') {
		if (units == NULL || s[1] != '\0')
			return -1;
		for (u = units; u->suffix; u++)
			if (u->suffix == to_lower((unsigned char)*s))
				break;
		if (u->suffix == 0)
			return -1;
		factor = u->factor;
	}
	if (n > (unsigned long long)-1 / factor)
		return -1;
	*out = n * factor;
	return 0;
}

static unsigned long long
get_number(struct loader *l, enum key k, const struct unit *units,
    unsigned long long min, unsigned long long max, unsigned long long def,
    const char *expect)
{
	char show[SHOWN_SIZE];
	unsigned long long n;
	const char *v;

	if ((v = value(l, k)) == NULL)
		return def;
	if (parse_number(v, units, &n) == -1 || n < min || n > max) {
		key_error(l, k, "%s is not %s", shown(l, v, show, sizeof(show)),
		    expect);
		return def;
	}
	return n;
}

static int
get_port(struct loader *l, enum key k)
{
	return (int)get_number(l, k, NULL, 1, 65535, 0,
	    "a port number (1-65535)");
}

/* Index of the value in names (case-insensitive), def when unset. */
static int
get_choice(struct loader *l, enum key k, const char *const *names,
    size_t n, int def, const char *expect)
{
	char show[SHOWN_SIZE];
	const char *v;
	size_t i;

	if ((v = value(l, k)) == NULL)
		return def;
	for (i = 0; i < n; i++)
		if (strcasecmp(v, names[i]) == 0)
			return (int)i;
	key_error(l, k, "%s is not %s", shown(l, v, show, sizeof(show)),
	    expect);
	return def;
}

static enum config_security
get_security(struct loader *l, enum key k, enum config_security def)
{
	return (enum config_security)get_choice(l, k, security_names,
	    sizeof(security_names) / sizeof(security_names[0]), (int)def,
	    "one of tls, starttls, none");
}

static int
get_bool(struct loader *l, enum key k, int def)
{
	static const char *const names[] = {
		"no", "yes", "false", "true", "off", "on", "0", "1"
	};
	int i;

	i = get_choice(l, k, names, sizeof(names) / sizeof(names[0]), -1,
	    "yes or no (or true/false, on/off, 1/0)");
	return i < 0 ? def : i % 2;
}

/* NULL when path names a readable regular file, else the reason. */
static const char *
file_problem(const char *path, char *why, size_t whylen)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK))
	    == -1) {
		snprintf(why, whylen, "cannot be read: %s", strerror(errno));
		return why;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(why, whylen, "is not a regular file");
		return why;
	}
	close(fd);
	return NULL;
}

/* An optional readable file; NULL when unset or bad. */
static char *
get_file(struct loader *l, enum key k)
{
	char show[SHOWN_SIZE], why[256];
	const char *v;

	if ((v = value(l, k)) == NULL)
		return NULL;
	if (file_problem(v, why, sizeof(why)) != NULL) {
		key_error(l, k, "%s %s", shown(l, v, show, sizeof(show)), why);
		return NULL;
	}
	return xstrdup(v);
}

/* NULL when name is a usable folder name, else the reason. */
static const char *
folder_problem(const char *name, int inbox_ok)
{
	size_t len = strlen(name);

	if (len == 0)
		return "is empty";
	if (len > CONFIG_FOLDER_MAX)
		return "is longer than 200 bytes";
	if (!is_clean_text(name, 1))
		return "is not UTF-8 text without control characters";
	if (name[0] == '/' || name[len - 1] == '/')
		return "must not begin or end with '/'";
	if (strstr(name, "//") != NULL)
		return "must not contain '//'";
	if (strpbrk(name, "*%\"\\") != NULL)
		return "must not contain *, %, \" or \\";
	if (!inbox_ok && strcasecmp(name, "INBOX") == 0)
		return "must not be INBOX itself";
	return NULL;
}

static char *
get_folder(struct loader *l, enum key k, const char *def, int inbox_ok)
{
	char show[SHOWN_SIZE];
	const char *v, *why;

	if (l->raw[k].value != NULL && *l->raw[k].value == '\0') {
		key_error(l, k, "is empty");
		return xstrdup(def);
	}
	if ((v = value(l, k)) == NULL)
		return xstrdup(def);
	if ((why = folder_problem(v, inbox_ok)) != NULL) {
		key_error(l, k, "%s %s", shown(l, v, show, sizeof(show)), why);
		return xstrdup(def);
	}
	return xstrdup(v);
}

/*
 * 1 when a is an addr-spec we can send to: a dot-atom local part and a
 * domain of letters, digits and hyphens (one label is allowed, for
 * "localhost").  No quoted local parts, no address literals.
 */
static int
address_ok(const char *a)
{
	static const char atext[] = "!#$%&'*+-/=?^_`{|}~";
	const char *at = strrchr(a, '@'), *p;
	size_t label = 0;

	if (at == NULL || at == a || at[1] == '\0' || strlen(a) > ADDR_MAX ||
	    at - a > 64)
		return 0;
	if (*a == '.' || at[-1] == '.')
		return 0;
	for (p = a; p < at; p++) {
		if (*p == '.' && p[1] == '.')
			return 0;
		if (!is_alnum((unsigned char)*p) && *p != '.' &&
		    strchr(atext, *p) == NULL)
			return 0;
	}
	for (p = at + 1; ; p++) {
		if (*p == '.' || *p == '\0') {
			if (label == 0 || label > 63 || p[-1] == '-')
				return 0;
			if (*p == '\0')
				break;
			label = 0;
			continue;
		}
		if (!is_alnum((unsigned char)*p) && *p != '-')
			return 0;
		if (*p == '-' && label == 0)
			return 0;
		label++;
	}
	return 1;
}

static char *
get_address(struct loader *l, enum key k, int need)
{
	char show[SHOWN_SIZE];
	const char *v = need ? required(l, k) : value(l, k);

	if (v == NULL)
		return NULL;
	if (!address_ok(v)) {
		key_error(l, k, "%s is not an e-mail address (local@domain)",
		    shown(l, v, show, sizeof(show)));
		return NULL;
	}
	return xstrdup(v);
}

/*
 * from: "addr", "Name <addr>" or "\"Name, quoted\" <addr>".  Sets the
 * smtp from fields; reports and leaves them NULL when bad.
 */
static void
get_from(struct loader *l)
{
	struct config_smtp *s = &l->cfg->smtp;
	char show[SHOWN_SIZE];
	const char *v, *lt, *why = NULL;
	char *name = NULL, *addr = NULL, *o;
	size_t len, i, nlen;

	if ((v = required(l, K_SMTP_FROM)) == NULL)
		return;
	len = strlen(v);
	if (v[len - 1] != '>') {
		if (strpbrk(v, "<>\"") != NULL || !address_ok(v))
			why = "is not an address or 'Name <address>'";
		else {
			addr = xstrdup(v);
			name = xstrdup("");
		}
		goto done;
	}
	if ((lt = strrchr(v, '<')) == NULL) {
		why = "has '>' without '<'";
		goto done;
	}
	addr = xstrndup(lt + 1, len - (size_t)(lt - v) - 2);
	if (!address_ok(addr)) {
		why = "does not hold an e-mail address between < and >";
		goto done;
	}
	nlen = (size_t)(lt - v);
	while (nlen > 0 && is_space((unsigned char)v[nlen - 1]))
		nlen--;
	name = xmalloc(nlen + 1);
	o = name;
	if (nlen > 0 && v[0] == '"') {
		if (nlen < 2 || v[nlen - 1] != '"') {
			why = "has a display name with an unclosed quote";
			goto done;
		}
		for (i = 1; i < nlen - 1; i++) {
			if (v[i] == '\\' && i + 1 < nlen - 1)
				i++;
			else if (v[i] == '"' || v[i] == '\\') {
				why = "has a stray quote or backslash in the "
				    "display name";
				goto done;
			}
			*o++ = v[i];
		}
	} else {
		for (i = 0; i < nlen; i++) {
			if (strchr("<>\"", v[i]) != NULL) {
				why = "has <, > or a quote in the display "
				    "name (quote the name: \"Name\" <address>)";
				goto done;
			}
			*o++ = v[i];
		}
	}
	*o = '\0';
	if (strlen(name) > NAME_MAX_BYTES || !is_clean_text(name, 1))
		why = "has a display name that is too long or holds control "
		    "characters";
done:
	if (why != NULL) {
		key_error(l, K_SMTP_FROM, "%s %s",
		    shown(l, v, show, sizeof(show)), why);
		free(name);
		free(addr);
		return;
	}
	s->from = xstrdup(v);
	s->from_name = name;
	s->from_addr = addr;
}

static int
days_in_month(int y, int m)
{
	static const int days[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

static void
get_first_start(struct loader *l)
{
	struct config_imap *im = &l->cfg->imap;
	char show[SHOWN_SIZE];
	const char *v;
	struct tm tm;
	int y, m, d, i;

	im->first_start = CONFIG_FIRST_NEW;
	if ((v = value(l, K_IMAP_FIRST_START)) == NULL)
		return;
	if (strcasecmp(v, "new") == 0)
		return;
	if (strcasecmp(v, "all") == 0) {
		im->first_start = CONFIG_FIRST_ALL;
		return;
	}
	for (i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? v[i] != '-' :
		    !is_digit((unsigned char)v[i]))
			break;
	if (i < 10 || v[10] != '\0') {
		key_error(l, K_IMAP_FIRST_START, "%s is not new, all or a "
		    "date YYYY-MM-DD", shown(l, v, show, sizeof(show)));
		return;
	}
	y = (v[0] - '0') * 1000 + (v[1] - '0') * 100 + (v[2] - '0') * 10 +
	    (v[3] - '0');
	m = (v[5] - '0') * 10 + (v[6] - '0');
	d = (v[8] - '0') * 10 + (v[9] - '0');
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) {
		key_error(l, K_IMAP_FIRST_START, "%s is not a real date "
		    "(YYYY-MM-DD, from 1970)", shown(l, v, show, sizeof(show)));
		return;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	im->first_start = CONFIG_FIRST_DATE;
	im->first_start_date.year = y;
	im->first_start_date.month = m;
	im->first_start_date.day = d;
	im->first_start_time = timegm(&tm);
	if (im->first_start_time > time(NULL))
		key_warning(l, K_IMAP_FIRST_START, "%s is in the future, so "
		    "no older mail is taken", v);
}

static void
get_store(struct loader *l)
{
	char show[SHOWN_SIZE], *dir;
	const char *v, *slash;
	struct stat st;

	if ((v = required(l, K_STORE_PATH)) == NULL)
		return;
	if (v[strlen(v) - 1] == '/') {
		key_error(l, K_STORE_PATH, "%s names a directory, not a file",
		    shown(l, v, show, sizeof(show)));
		return;
	}
	if ((slash = strrchr(v, '/')) == NULL)
		dir = xstrdup(".");
	else if (slash == v)
		dir = xstrdup("/");
	else
		dir = xstrndup(v, (size_t)(slash - v));
	if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode))
		key_error(l, K_STORE_PATH, "the directory %s does not exist",
		    shown(l, dir, show, sizeof(show)));
	else if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) == -1)
		key_error(l, K_STORE_PATH, "the directory %s is not writable",
		    shown(l, dir, show, sizeof(show)));
	else if (stat(v, &st) == 0 && !S_ISREG(st.st_mode))
		key_error(l, K_STORE_PATH, "%s is not a regular file",
		    shown(l, v, show, sizeof(show)));
	else if (stat(v, &st) == 0 &&
	    faccessat(AT_FDCWD, v, R_OK | W_OK, AT_EACCESS) == -1)
		key_error(l, K_STORE_PATH, "%s is not readable and writable",
		    shown(l, v, show, sizeof(show)));
	else
		l->cfg->store.path = xstrdup(v);
	free(dir);
}

static int
is_loopback(const char *host)
{
	return host == NULL || strcasecmp(host, "localhost") == 0 ||
	    strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0 ||
	    strcmp(host, "[::1]") == 0;
}

static void
check_imap(struct loader *l)
{
	struct config_imap *im = &l->cfg->imap;

	im->host = get_host(l, K_IMAP_HOST);
	im->security = get_security(l, K_IMAP_SECURITY, CONFIG_SECURITY_TLS);
	im->port = get_port(l, K_IMAP_PORT);
	if (im->port == 0)
		im->port = im->security == CONFIG_SECURITY_TLS ? 993 : 143;
	im->ca_file = get_file(l, K_IMAP_CA_FILE);
	im->user = get_user(l, K_IMAP_USER, 1);
	im->mailbox = get_folder(l, K_IMAP_MAILBOX, "INBOX", 1);
	im->idle = get_bool(l, K_IMAP_IDLE, 1);
	im->poll_interval = (unsigned int)get_number(l, K_IMAP_POLL_INTERVAL,
	    duration_units, 5, 86400, 60, "a number of seconds from 5 to "
	    "86400 (or with a unit: 30s, 5m, 1h)");
	get_first_start(l);
	im->timeout = (unsigned int)get_number(l, K_IMAP_TIMEOUT,
	    duration_units, 5, 600, 60, "a number of seconds from 5 to 600");
	im->batch_size = (unsigned int)get_number(l, K_IMAP_BATCH_SIZE, NULL,
	    1, 1000, 50, "a number from 1 to 1000");
	if (im->security == CONFIG_SECURITY_NONE && im->ca_file != NULL)
		key_warning(l, K_IMAP_CA_FILE, "is not used with security = "
		    "none");
	if (im->security == CONFIG_SECURITY_NONE && im->host != NULL &&
	    !is_loopback(im->host))
		key_warning(l, K_IMAP_SECURITY, "none sends the password "
		    "unencrypted to a host that is not this machine");
}

static void
check_smtp(struct loader *l)
{
	struct config_smtp *s = &l->cfg->smtp;

	s->host = get_host(l, K_SMTP_HOST);
	s->security = get_security(l, K_SMTP_SECURITY,
	    CONFIG_SECURITY_STARTTLS);
	s->port = get_port(l, K_SMTP_PORT);
	if (s->port == 0)
		s->port = s->security == CONFIG_SECURITY_TLS ? 465 :
		    s->security == CONFIG_SECURITY_STARTTLS ? 587 : 25;
	s->ca_file = get_file(l, K_SMTP_CA_FILE);
	s->user = get_user(l, K_SMTP_USER, 0);
	get_from(l);
	if (l->raw[K_SMTP_ENVELOPE_FROM].value != NULL &&
	    strcmp(l->raw[K_SMTP_ENVELOPE_FROM].value, "<>") == 0)
		key_error(l, K_SMTP_ENVELOPE_FROM, "must be an address: an "
		    "empty envelope sender is not allowed");
	else
		s->envelope_from = get_address(l, K_SMTP_ENVELOPE_FROM, 0);
	if (s->envelope_from == NULL && value(l, K_SMTP_ENVELOPE_FROM) ==
	    NULL && s->from_addr != NULL)
		s->envelope_from = xstrdup(s->from_addr);
	s->timeout = (unsigned int)get_number(l, K_SMTP_TIMEOUT,
	    duration_units, 5, 600, 60, "a number of seconds from 5 to 600");
	if (s->password != NULL && s->user == NULL &&
	    value(l, K_SMTP_USER) == NULL)
		key_error(l, K_SMTP_USER, "missing (needed to log in with "
		    "the password)");
	if (s->password == NULL && s->user != NULL)
		key_warning(l, K_SMTP_USER, "is set but there is no password, "
		    "so mail is sent without logging in");
	if (s->security == CONFIG_SECURITY_NONE && s->ca_file != NULL)
		key_warning(l, K_SMTP_CA_FILE, "is not used with security = "
		    "none");
	if (s->security == CONFIG_SECURITY_NONE && s->password != NULL &&
	    s->host != NULL && !is_loopback(s->host))
		key_warning(l, K_SMTP_SECURITY, "none sends the password "
		    "unencrypted to a host that is not this machine");
}

static void
check_triage(struct loader *l)
{
	struct config_triage *t = &l->cfg->triage;
	const char *mailbox = l->cfg->imap.mailbox;
	char show[SHOWN_SIZE], why[256];
	static const char *const policies[] = { "all", "authenticated" };
	const char *v;
	int f;

	if (l->raw[K_TRIAGE_FORM].value == NULL) {
		if (file_problem(DEFAULT_FORM, why, sizeof(why)) != NULL)
			key_error(l, K_TRIAGE_FORM, "missing, and the default "
			    "%s %s", DEFAULT_FORM, why);
		else
			t->form = xstrdup(DEFAULT_FORM);
	} else if (value(l, K_TRIAGE_FORM) == NULL)
		key_error(l, K_TRIAGE_FORM, "is empty");
	else
		t->form = get_file(l, K_TRIAGE_FORM);
	for (f = 0; f < CONFIG_FOLDER_COUNT; f++) {
		enum key k = (enum key)(K_TRIAGE_FOLDER_COMPLETE + f);

		t->folder[f] = get_folder(l, k, folder_defaults[f], 0);
		if (mailbox != NULL && strcmp(t->folder[f], mailbox) == 0)
			key_error(l, k, "%s is the mailbox intaked watches",
			    shown(l, t->folder[f], show, sizeof(show)));
	}
	t->secretariat = get_address(l, K_TRIAGE_SECRETARIAT, 1);
	t->max_message_size = (size_t)get_number(l, K_TRIAGE_MAX_MESSAGE_SIZE,
	    size_units, 1024, 1024ULL * 1024 * 1024, 26214400,
	    "a size from 1k to 1G (bytes, or with k, M or G)");
	t->max_replies_per_day = (unsigned int)get_number(l,
	    K_TRIAGE_MAX_REPLIES_PER_DAY, NULL, 0, 10000, 5,
	    "a number from 0 to 10000");
	t->max_replies_per_domain = (unsigned int)get_number(l,
	    K_TRIAGE_MAX_REPLIES_PER_DOMAIN, NULL, 0, 100000, 20,
	    "a number from 0 to 100000");
	t->max_reply_age = (unsigned int)get_number(l, K_TRIAGE_MAX_REPLY_AGE,
	    duration_units, 1, 3650ULL * 86400, 14 * 86400,
	    "a duration such as 14d, 36h, 90m, 3600s or 3600 (up to 3650d)");
	t->reply_policy = (enum config_reply_policy)get_choice(l,
	    K_TRIAGE_REPLY_POLICY, policies, 2, CONFIG_REPLY_ALL,
	    "all or authenticated");
	if ((v = value(l, K_TRIAGE_TRUSTED_AUTHSERV_ID)) != NULL) {
		if (strlen(v) > AUTHSERV_MAX || !is_clean_text(v, 0) ||
		    strpbrk(v, ";\"") != NULL)
			key_error(l, K_TRIAGE_TRUSTED_AUTHSERV_ID, "%s is not "
			    "an authserv-id (a name such as mx.example.org)",
			    shown(l, v, show, sizeof(show)));
		else
			t->trusted_authserv_id = xstrdup(v);
	}
	if (t->reply_policy == CONFIG_REPLY_AUTHENTICATED &&
	    value(l, K_TRIAGE_TRUSTED_AUTHSERV_ID) == NULL)
		key_error(l, K_TRIAGE_REPLY_POLICY, "authenticated needs "
		    "trusted_authserv_id: whose Authentication-Results to "
		    "believe");
}

/* ---- the entry points -------------------------------------------------- */

static void
loader_free(struct loader *l)
{
	size_t k;

	for (k = 0; k < K_COUNT; k++) {
		if (l->raw[k].value != NULL) {
			explicit_bzero(l->raw[k].value,
			    strlen(l->raw[k].value));
			free(l->raw[k].value);
		}
	}
}

int
config_load(const char *path, struct config **out, struct buf *errors)
{
	struct loader l;
	struct buf warn;
	struct config *cfg;
	int rc, failed, saved_max_line;

	*out = NULL;
	memset(&l, 0, sizeof(l));
	l.path = path;
	if ((l.fp = fopen(path, "re")) == NULL) {
		buf_printf(errors, "%s: cannot open: %s\n", path,
		    strerror(errno));
		return -1;
	}
	cfg = xcalloc(1, sizeof(*cfg));
	l.cfg = cfg;
	cfg->path = xstrdup(path);

	/*
	 * Debian builds inih with its options as run-time variables; the
	 * default line buffer (200 bytes) is too short for long paths and
	 * folder names.  The buffer is sized from ini_max_line on each call,
	 * so it is raised for this call only.
	 */
	saved_max_line = ini_max_line;
	if (ini_max_line < LINE_MAX_READ)
		ini_max_line = LINE_MAX_READ;
	rc = ini_parse_stream(config_reader, &l, config_handler, &l);
	ini_max_line = saved_max_line;
	if (ferror(l.fp))
		line_error(&l, 0, "read error");
	else if (rc == -2)
		line_error(&l, 0, "out of memory while reading");
	else if (rc > 0)
		line_error(&l, rc, "cannot be read as INI");
	fclose(l.fp);

	load_password(&l, K_IMAP_PASSWORD_FILE, "imap-password", 1,
	    &cfg->imap.password, &cfg->imap.password_file);
	load_password(&l, K_SMTP_PASSWORD_FILE, "smtp-password", 0,
	    &cfg->smtp.password, &cfg->smtp.password_file);
	l.secrets[0] = cfg->imap.password;
	l.secrets[1] = cfg->smtp.password;

	check_imap(&l);
	check_smtp(&l);
	get_store(&l);
	check_triage(&l);

	failed = l.errors.n > 0 || l.errors.dropped > 0;
	problems_flush(&l, &l.errors, errors);
	buf_init(&warn, 64u * 1024);
	problems_flush(&l, &l.warnings, &warn);
	cfg->warnings = buf_release(&warn);
	loader_free(&l);
	if (failed) {
		config_free(cfg);
		return -1;
	}
	*out = cfg;
	return 0;
}

static void
free_secret(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void
config_wipe_secrets(const struct config *cfg)
{
	if (cfg == NULL)
		return;
	if (cfg->imap.password != NULL)
		explicit_bzero(cfg->imap.password, strlen(cfg->imap.password));
	if (cfg->smtp.password != NULL)
		explicit_bzero(cfg->smtp.password, strlen(cfg->smtp.password));
}

void
config_free(struct config *cfg)
{
	int f;

	if (cfg == NULL)
		return;
	free_secret(cfg->imap.password);
	free_secret(cfg->smtp.password);
	free(cfg->path);
	free(cfg->imap.host);
	free(cfg->imap.ca_file);
	free(cfg->imap.user);
	free(cfg->imap.password_file);
	free(cfg->imap.mailbox);
	free(cfg->smtp.host);
	free(cfg->smtp.ca_file);
	free(cfg->smtp.user);
	free(cfg->smtp.password_file);
	free(cfg->smtp.from);
	free(cfg->smtp.from_name);
	free(cfg->smtp.from_addr);
	free(cfg->smtp.envelope_from);
	free(cfg->store.path);
	free(cfg->triage.form);
	for (f = 0; f < CONFIG_FOLDER_COUNT; f++)
		free(cfg->triage.folder[f]);
	free(cfg->triage.secretariat);
	free(cfg->triage.trusted_authserv_id);
	free(cfg->warnings);
	free(cfg);
}
