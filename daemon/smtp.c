/*
 * smtp.c -- SMTP submission through one libcurl easy handle (see smtp.h).
 *
 * curl does the protocol; this file decides what its results mean.  A
 * debug callback watches the command and reply lines go by (never keeping
 * what is sent during AUTH) for three facts curl does not report: whether
 * the server offered AUTH, whether it accepted ours (235), and which
 * command a 4xx/5xx reply answered.  The prerequest callback, which curl
 * calls after connecting and authenticating but before MAIL FROM, refuses
 * the transfer when a password is configured and the connection is not
 * authenticated: curl itself sends without AUTH when the server offers
 * none.  classify() is the one place CURLcode and reply codes become
 * SMTP_OK / SMTP_TEMPFAIL / SMTP_PERMFAIL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "buf.h"
#include "limits.h"
#include "smtp.h"
#include "xmalloc.h"

/* The commands whose replies matter. */
enum smtp_cmd {
	CMD_NONE,
	CMD_EHLO,
	CMD_STARTTLS,
	CMD_AUTH,
	CMD_MAIL,
	CMD_RCPT,
	CMD_DATA,
	CMD_QUIT,
	CMD_OTHER
};

static const struct {
	const char	*prefix;
	enum smtp_cmd	 cmd;
} smtp_cmds[] = {
	{ "EHLO ", CMD_EHLO },
	{ "HELO ", CMD_EHLO },
	{ "STARTTLS", CMD_STARTTLS },
	{ "AUTH ", CMD_AUTH },
	{ "MAIL FROM:", CMD_MAIL },
	{ "RCPT TO:", CMD_RCPT },
	{ "DATA", CMD_DATA },
	{ "QUIT", CMD_QUIT },
	{ "RSET", CMD_OTHER },
	{ "NOOP", CMD_OTHER },
};

struct smtp_session {
	CURL		*curl;
	char		 where[300];	/* "host:port" for messages */
	char		*password;	/* NULL: no AUTH */
	long		 connects;
	char		 errbuf[CURL_ERROR_SIZE];

	/* What the debug callback saw on the current connection. */
	enum smtp_cmd	 last_cmd;
	int		 in_auth;	/* AUTH sent, no final reply yet */
	int		 auth_offered;
	int		 authenticated;
	int		 refused_unauth;	/* prereq stopped a send */
	enum smtp_cmd	 fail_cmd;	/* what the last 4xx/5xx answered */
	char		 fail_reply[160];

	/* The message being uploaded. */
	const char	*up;
	size_t		 uplen;
	size_t		 upoff;
};

static int smtp_initialised;

int
smtp_global_init(void)
{
	if (smtp_initialised)
		return 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	smtp_initialised = 1;
	return 0;
}

void
smtp_global_cleanup(void)
{
	if (smtp_initialised)
		curl_global_cleanup();
	smtp_initialised = 0;
}

/* ---- checks --------------------------------------------------------- */

static int
host_ok(const char *h)
{
	size_t i, n = strlen(h);

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++)
		if (!((h[i] >= 'a' && h[i] <= 'z') || (h[i] >= 'A' &&
		    h[i] <= 'Z') || (h[i] >= '0' && h[i] <= '9') ||
		    h[i] == '.' || h[i] == '-' || h[i] == ':'))
			return 0;
	return 1;
}

static int
host_loopback(const char *h)
{
	return strcmp(h, "localhost") == 0 || strcmp(h, "::1") == 0 ||
	    strncmp(h, "127.", 4) == 0;
}

/*
 * An address curl may put inside MAIL FROM:<...> or RCPT TO:<...>: one
 * '@' with something on each side, printable ASCII without white space or
 * the characters that end or split an address.  Anything else could
 * rewrite the command (CR, LF, '>') or needs SMTPUTF8.  Returns NULL or
 * why not.
 */
static const char *
addr_problem(const char *a)
{
	const char *at;
	size_t i, n;

	if (a == NULL || (n = strlen(a)) == 0)
		return "empty address";
	if (n > 254)
		return "address too long";
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)a[i];

		if (c >= 0x80)
			return "address is not ASCII (SMTPUTF8 is not used)";
		if (c <= 0x20 || c == 0x7f || strchr("<>()[],;:\\\"", c))
			return "address holds a character not allowed";
	}
	at = strchr(a, '@');
	if (at == NULL || at == a || at[1] == '\0' || strchr(at + 1, '@'))
		return "not an addr-spec";
	return NULL;
}

/* ---- callbacks ------------------------------------------------------ */

static void
watch_out(struct smtp_session *s, const char *d, size_t n)
{
	size_t i, k;

	/* Lines sent while AUTH is under way carry credentials: not even
	 * looked at. */
	if (s->in_auth)
		return;
	for (i = 0; i < sizeof(smtp_cmds) / sizeof(smtp_cmds[0]); i++) {
		k = strlen(smtp_cmds[i].prefix);
		if (n >= k && strncasecmp(d, smtp_cmds[i].prefix, k) == 0) {
			s->last_cmd = smtp_cmds[i].cmd;
			if (s->last_cmd == CMD_AUTH)
				s->in_auth = 1;
			return;
		}
	}
}

static void
watch_in_line(struct smtp_session *s, const char *d, size_t n)
{
	int code, final;
	size_t i, j;

	if (n < 3 || d[0] < '1' || d[0] > '5' || d[1] < '0' || d[1] > '9' ||
	    d[2] < '0' || d[2] > '9')
		return;
	code = (d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0');
	final = n == 3 || d[3] != '-';
	if (code == 220) {
		/* A greeting, or TLS about to start: nothing authenticated
		 * on what follows yet. */
		s->authenticated = 0;
		s->auth_offered = 0;
		s->in_auth = 0;
		s->last_cmd = CMD_NONE;
		return;
	}
	if (s->last_cmd == CMD_EHLO && n >= 8 &&
	    strncasecmp(d + 4, "AUTH", 4) == 0 &&
	    (n == 8 || d[8] == ' ' || d[8] == '='))
		s->auth_offered = 1;
	if (s->in_auth && final && code != 334) {
		s->in_auth = 0;
		if (code == 235)
			s->authenticated = 1;
	}
	if (code >= 400 && final) {
		s->fail_cmd = s->last_cmd;
		for (i = j = 0; i < n && j + 1 < sizeof(s->fail_reply); i++)
			if (d[i] >= 0x20 && d[i] < 0x7f)
				s->fail_reply[j++] = d[i];
		s->fail_reply[j] = '\0';
	}
}

static int
debug_cb(CURL *c, curl_infotype type, char *data, size_t size, void *arg)
{
	struct smtp_session *s = arg;
	const char *p = data, *e = data + size, *nl;

	(void)c;
	if (type == CURLINFO_HEADER_OUT)
		watch_out(s, data, size);
	else if (type == CURLINFO_HEADER_IN)
		for (; p < e; p = nl + 1) {
			if ((nl = memchr(p, '\n', (size_t)(e - p))) == NULL)
				nl = e;
			watch_in_line(s, p, (size_t)(nl - p));
			if (nl == e)
				break;
		}
	return 0;
}

/* After connect (and STARTTLS and AUTH), before MAIL FROM. */
static int
prereq_cb(void *arg, char *ip, char *local, int port, int lport)
{
	struct smtp_session *s = arg;

	(void)ip;
	(void)local;
	(void)port;
	(void)lport;
	if (s->password != NULL && !s->authenticated) {
		s->refused_unauth = 1;
		return CURL_PREREQFUNC_ABORT;
	}
	return CURL_PREREQFUNC_OK;
}

static size_t
read_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct smtp_session *s = arg;
	size_t room = size * nmemb, n;

	if (s->password != NULL && !s->authenticated) {
		s->refused_unauth = 1;
		return CURL_READFUNC_ABORT;
	}
	n = s->uplen - s->upoff;
	if (n > room)
		n = room;
	memcpy(ptr, s->up + s->upoff, n);
	s->upoff += n;
	return n;
}

/* ---- session -------------------------------------------------------- */

#define SETOPT(s, opt, val) do {					\
	if (curl_easy_setopt((s)->curl, opt, val) != CURLE_OK) {	\
		snprintf(err, errlen, "smtp: cannot set %s", #opt);	\
		goto fail;						\
	}								\
} while (0)

struct smtp_session *
smtp_open(const char *host, unsigned port, enum smtp_security sec,
    const char *ca_file, const char *user, const char *password,
    long timeout, char *err, size_t errlen)
{
	struct smtp_session *s;
	char url[320];
	int v6;

	if (host == NULL || !host_ok(host) || port == 0 || port > 65535) {
		snprintf(err, errlen, "smtp: bad host or port");
		return NULL;
	}
	if (timeout <= 0) {
		snprintf(err, errlen, "smtp: timeout must be positive");
		return NULL;
	}
	if (password != NULL && (user == NULL || *user == '\0')) {
		snprintf(err, errlen, "smtp: a password needs a user name");
		return NULL;
	}
	if (password != NULL && sec == SMTP_SECURITY_NONE &&
	    !host_loopback(host)) {
		snprintf(err, errlen, "smtp: refusing to send a password "
		    "without TLS to %s", host);
		return NULL;
	}
	if (smtp_global_init() == -1) {
		snprintf(err, errlen, "smtp: curl_global_init failed");
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	v6 = strchr(host, ':') != NULL;
	snprintf(s->where, sizeof(s->where), "%s%s%s:%u", v6 ? "[" : "", host,
	    v6 ? "]" : "", port);
	snprintf(url, sizeof(url), "%s://%s",
	    sec == SMTP_SECURITY_TLS ? "smtps" : "smtp", s->where);
	if ((s->curl = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "smtp: curl_easy_init failed");
		goto fail;
	}
	SETOPT(s, CURLOPT_URL, url);
	SETOPT(s, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	SETOPT(s, CURLOPT_ERRORBUFFER, s->errbuf);
	SETOPT(s, CURLOPT_NOSIGNAL, 1L);
	SETOPT(s, CURLOPT_TIMEOUT, timeout);
	SETOPT(s, CURLOPT_CONNECTTIMEOUT, timeout);
	SETOPT(s, CURLOPT_USE_SSL, sec == SMTP_SECURITY_NONE ?
	    (long)CURLUSESSL_NONE : (long)CURLUSESSL_ALL);
	SETOPT(s, CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(s, CURLOPT_SSL_VERIFYHOST, 2L);
	/*
	 * A ca_file is the one CA trusted, as for IMAP: the built-in
	 * directory of system certificates goes too, or libcurl would read
	 * every file in it at each connection and trust them as well.
	 */
	if (ca_file != NULL && *ca_file != '\0') {
		SETOPT(s, CURLOPT_CAINFO, ca_file);
		SETOPT(s, CURLOPT_CAPATH, (char *)NULL);
	}
	if (password != NULL) {
		s->password = xstrdup(password);
		SETOPT(s, CURLOPT_USERNAME, user);
		SETOPT(s, CURLOPT_PASSWORD, password);
	}
	SETOPT(s, CURLOPT_UPLOAD, 1L);
	SETOPT(s, CURLOPT_READFUNCTION, read_cb);
	SETOPT(s, CURLOPT_READDATA, s);
	SETOPT(s, CURLOPT_VERBOSE, 1L);	/* feeds debug_cb, prints nothing */
	SETOPT(s, CURLOPT_DEBUGFUNCTION, debug_cb);
	SETOPT(s, CURLOPT_DEBUGDATA, s);
	SETOPT(s, CURLOPT_PREREQFUNCTION, prereq_cb);
	SETOPT(s, CURLOPT_PREREQDATA, s);
	return s;
fail:
	smtp_close(s);
	return NULL;
}

long
smtp_connections(const struct smtp_session *s)
{
	return s->connects;
}

void
smtp_close(struct smtp_session *s)
{
	if (s == NULL)
		return;
	if (s->curl)
		curl_easy_cleanup(s->curl);
	if (s->password) {
		explicit_bzero(s->password, strlen(s->password));
		free(s->password);
	}
	free(s);
}

/* ---- sending -------------------------------------------------------- */

/* Replace each occurrence of the password in err by "***". */
static void
scrub(char *err, size_t errlen, const char *password)
{
	size_t pl, n;
	char *p;

	if (password == NULL || (pl = strlen(password)) == 0)
		return;
	while ((p = strstr(err, password)) != NULL) {
		n = strlen(p + pl);
		if (pl >= 3) {
			memcpy(p, "***", 3);
			memmove(p + 3, p + pl, n + 1);
		} else
			memmove(p, p + pl, n + 1);
	}
	(void)errlen;
}

static int
auth_code(long code)
{
	return code == 530 || code == 534 || code == 535 || code == 538;
}

/*
 * The one mapping from curl's result to a class.  5xx replies to MAIL,
 * RCPT or the message refuse this message for good; everything else
 * (connection, TLS, authentication, 4xx, timeouts, a server that would not
 * authenticate us) may work later.
 */
static enum smtp_result
classify(struct smtp_session *s, CURLcode rc, char *err, size_t errlen)
{
	const char *what;
	long code = 0;
	enum smtp_result r;

	if (rc == CURLE_OK)
		return SMTP_OK;
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
	r = SMTP_TEMPFAIL;
	if (s->refused_unauth)
		what = s->auth_offered ? "server did not authenticate us" :
		    "server offers no AUTH; not sending without "
		    "authenticating";
	else if (rc == CURLE_LOGIN_DENIED)
		what = "authentication failed";
	else if (rc == CURLE_PEER_FAILED_VERIFICATION ||
	    rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_SSL_CACERT_BADFILE ||
	    rc == CURLE_SSL_CERTPROBLEM)
		what = "TLS failed";
	else if (rc == CURLE_USE_SSL_FAILED)
		what = "STARTTLS not available";
	else if (rc == CURLE_OPERATION_TIMEDOUT)
		what = "timed out";
	else if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST)
		what = "cannot connect";
	else if (code >= 500 && code <= 599 && !auth_code(code) &&
	    (s->fail_cmd == CMD_MAIL || s->fail_cmd == CMD_RCPT ||
	    s->fail_cmd == CMD_DATA)) {
		r = SMTP_PERMFAIL;
		what = s->fail_cmd == CMD_MAIL ? "sender refused" :
		    s->fail_cmd == CMD_RCPT ? "recipient refused" :
		    "message refused";
	} else if (auth_code(code))
		what = "server requires authentication";
	else if (code >= 400 && code <= 499)
		what = "temporary failure";
	else
		what = "failed";
	snprintf(err, errlen, "smtp %s: %s: %s%s%s%s", s->where, what,
	    s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc),
	    s->fail_reply[0] ? " (server: " : "", s->fail_reply,
	    s->fail_reply[0] ? ")" : "");
	scrub(err, errlen, s->password);
	return r;
}

/* data with every line end made CRLF, and a final CRLF. */
static int
to_crlf(const char *data, size_t len, struct buf *b)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < len && rc == 0; i++) {
		if (data[i] == '\r') {
			rc = buf_add(b, "\r\n", 2);
			if (i + 1 < len && data[i + 1] == '\n')
				i++;
		} else if (data[i] == '\n')
			rc = buf_add(b, "\r\n", 2);
		else
			rc = buf_addch(b, data[i]);
	}
	if (rc == 0 && (b->len < 2 || b->data[b->len - 1] != '\n'))
		rc = buf_add(b, "\r\n", 2);
	return rc;
}

enum smtp_result
smtp_send(struct smtp_session *s, const char *envelope_from,
    const char *rcpt, const char *data, size_t len, char *err,
    size_t errlen)
{
	struct curl_slist *rcpts;
	enum smtp_result r;
	const char *why;
	char from[300];
	struct buf msg;
	CURLcode rc;
	long nconn = 0;

	if ((why = addr_problem(envelope_from)) != NULL) {
		/* Ours: a configuration problem, not this message's. */
		snprintf(err, errlen, "smtp: envelope sender: %s", why);
		return SMTP_TEMPFAIL;
	}
	if ((why = addr_problem(rcpt)) != NULL) {
		snprintf(err, errlen, "smtp: recipient: %s", why);
		return SMTP_PERMFAIL;
	}
	buf_init(&msg, LIMIT_MESSAGE_BYTES);
	if (to_crlf(data, len, &msg) == -1) {
		buf_free(&msg);
		snprintf(err, errlen, "smtp: message too large");
		return SMTP_PERMFAIL;
	}
	snprintf(from, sizeof(from), "<%s>", envelope_from);
	if ((rcpts = curl_slist_append(NULL, rcpt)) == NULL) {
		buf_free(&msg);
		snprintf(err, errlen, "smtp: out of memory");
		return SMTP_TEMPFAIL;
	}
	s->up = msg.data;
	s->uplen = msg.len;
	s->upoff = 0;
	s->errbuf[0] = '\0';
	s->fail_cmd = CMD_NONE;
	s->fail_reply[0] = '\0';
	s->refused_unauth = 0;
	curl_easy_setopt(s->curl, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(s->curl, CURLOPT_INFILESIZE_LARGE,
	    (curl_off_t)msg.len);

	rc = curl_easy_perform(s->curl);

	if (curl_easy_getinfo(s->curl, CURLINFO_NUM_CONNECTS, &nconn) ==
	    CURLE_OK)
		s->connects += nconn;
	r = classify(s, rc, err, errlen);
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(rcpts);
	s->up = NULL;
	s->uplen = s->upoff = 0;
	buf_free(&msg);
	return r;
}
