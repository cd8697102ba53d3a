/*
 * test_imap.c -- daemon/imap.c and daemon/tls.c against a real Dovecot.
 *
 * The group setup makes a private directory under /tmp (mode 755, so the
 * dovecot user can reach it), starts tests/integration/dovecot there and
 * reads the ports it picked; the teardown stops that instance by its PID
 * and removes the directory.  Some tests restart it with another
 * certificate or a reduced capability list.  Fixture mail is appended unseen
 * with tests/integration/imap-append.py, which also lists folders and
 * flags, and plays a hostile fake server for the failure tests.
 *
 * Everything runs on 127.0.0.1.  Without dovecot or python3 every test is
 * skipped.  INTAKE_TESTS_DIR names the folder holding the scripts (default
 * tests/integration, relative to the repository root).
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "imap.h"
#include "log.h"
#include "tls.h"

#define NMSG		5
#define FOLDER		"Requests/Complete"
#define KEYWORD		"$Intaked"
#define LOG_DISCONNECT	"imap-login: Info: Disconnected"

static char	 dir[64];		/* the Dovecot directory */
static char	 scripts[512];
static int	 have_server;
static unsigned	 port_plain, port_tls;
static char	 msgfile[NMSG][128];	/* fixture messages, CRLF */
static char	*msgdata[NMSG];
static size_t	 msglen[NMSG];
static uint32_t	 uids[NMSG];		/* as appended */

/* -- helpers --------------------------------------------------------- */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
pathf(char *out, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
pathf(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		abort();
}

/* Run argv; its stdout into out (NUL-terminated) when given. */
static int
run(char *const argv[], char *out, size_t outlen)
{
	int pfd[2], status;
	size_t got = 0;
	ssize_t r;
	pid_t pid;

	if (pipe(pfd) == -1)
		return -1;
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		close(pfd[0]);
		dup2(pfd[1], STDOUT_FILENO);
		close(pfd[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		char tmp[4096];

		r = read(pfd[0], tmp, sizeof(tmp));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (out != NULL && outlen > 1) {
			size_t take = (size_t)r;

			if (take > outlen - 1 - got)
				take = outlen - 1 - got;
			memcpy(out + got, tmp, take);
			got += take;
		}
	}
	close(pfd[0]);
	if (out != NULL && outlen > 0)
		out[got] = '\0';
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int
helper(char *out, size_t outlen, const char *cmd, const char *a1,
    const char *a2)
{
	char script[600];
	char *argv[8];
	int i = 0;

	pathf(script, sizeof(script), "%s/imap-append.py", scripts);
	argv[i++] = script;
	argv[i++] = (char *)"-d";
	argv[i++] = dir;
	argv[i++] = (char *)cmd;
	if (a1 != NULL)
		argv[i++] = (char *)a1;
	if (a2 != NULL)
		argv[i++] = (char *)a2;
	argv[i] = NULL;
	return run(argv, out, outlen);
}

/* "stop" (SIGTERM, sessions get a BYE) or "kill" (SIGKILL: a crash). */
static int
server_down(const char *how)
{
	char script[600];
	char *argv[] = { script, (char *)how, dir, NULL };

	pathf(script, sizeof(script), "%s/dovecot", scripts);
	return run(argv, NULL, 0);
}

static int
server_stop(void)
{
	return server_down("stop");
}

/* (Re)start Dovecot serving cert, with caps ("" = Dovecot's own). */
static int
server_start(const char *cert, const char *caps)
{
	char script[600], out[128];
	char *argv[] = { script, (char *)"start", dir, (char *)"-c",
	    (char *)cert, (char *)"-C", (char *)caps, NULL };

	server_stop();
	pathf(script, sizeof(script), "%s/dovecot", scripts);
	if (*caps == '\0')
		argv[5] = NULL;
	if (run(argv, out, sizeof(out)) != 0)
		return -1;
	if (sscanf(out, "%u %u", &port_plain, &port_tls) != 2)
		return -1;
	return 0;
}

static char *
slurp(const char *path, size_t *len)
{
	char *p = NULL;
	size_t cap = 0, n = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = (cap + 4096) * 2;
			p = realloc(p, cap);
			assert_non_null(p);
		}
		r = read(fd, p + n, cap - n - 1);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (p == NULL)
		p = calloc(1, 1);
	p[n] = '\0';
	*len = n;
	return p;
}

static size_t
count_str(const char *hay, const char *needle)
{
	size_t n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

static size_t
log_count(const char *needle)
{
	char path[128];
	size_t len, n;
	char *log;

	pathf(path, sizeof(path), "%s/dovecot.log", dir);
	if ((log = slurp(path, &len)) == NULL)
		return 0;
	n = count_str(log, needle);
	free(log);
	return n;
}

static void
params(struct imap_params *p, enum imap_security sec)
{
	static char ca[128];

	memset(p, 0, sizeof(*p));
	pathf(ca, sizeof(ca), "%s/pki/ca.pem", dir);
	p->host = "localhost";
	p->port = sec == IMAP_SEC_TLS ? port_tls : port_plain;
	p->security = sec;
	p->ca_file = ca;
	p->user = "info";
	p->password = "secret";
	p->timeout = 10;
}

static struct imap_session *
must_connect(enum imap_security sec)
{
	struct imap_params p;
	struct imap_session *s = NULL;
	char err[512];
	int r;

	params(&p, sec);
	r = imap_connect(&p, &s, err, sizeof(err));
	if (r != 0)
		fail_msg("connect: %s (%s)", err, imap_error_name(r));
	return s;
}

static struct imap_session *
must_select(int readonly)
{
	struct imap_session *s = must_connect(IMAP_SEC_TLS);
	struct imap_mailbox_info mi;
	char err[512];

	if (imap_select(s, "INBOX", readonly, &mi, err, sizeof(err)) != 0)
		fail_msg("select: %s", err);
	return s;
}

static size_t
folder_count(const char *folder)
{
	char out[64];

	if (helper(out, sizeof(out), "count", folder, NULL) != 0)
		fail_msg("count %s failed", folder);
	return (size_t)strtoul(out, NULL, 10);
}

/* The "UID FLAGS" line imap-append.py prints for uid, or "" */
static void
uid_flags(const char *folder, uint32_t uid, char *out, size_t outlen)
{
	char all[8192], key[32];
	const char *p, *e;

	out[0] = '\0';
	if (helper(all, sizeof(all), "flags", folder, NULL) != 0)
		fail_msg("flags %s failed", folder);
	pathf(key, sizeof(key), "%u ", uid);
	for (p = all; *p != '\0'; p = *e ? e + 1 : e) {
		e = strchr(p, '\n');
		if (e == NULL)
			e = p + strlen(p);
		if (strncmp(p, key, strlen(key)) == 0) {
			pathf(out, outlen, "%.*s", (int)(e - p), p);
			return;
		}
	}
}

#define SKIP_WITHOUT_SERVER() do { if (!have_server) skip(); } while (0)

/* -- fixtures ----------------------------------------------------------- */

static void
write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd != -1);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* Five messages, CRLF as imaplib sends them: tiny to 300 KiB, 8-bit. */
static void
make_messages(void)
{
	static const char *subj[NMSG] = { "tiny", "accents", "table",
	    "large", "last" };
	size_t i, k, cap;
	char *m;
	int n;

	for (i = 0; i < NMSG; i++) {
		cap = (i == 3 ? 300 * 1024 : 4096) + 512;
		m = malloc(cap);
		assert_non_null(m);
		n = snprintf(m, cap, "From: Official %zu <o%zu@example.org>\r\n"
		    "To: info@example.org\r\nSubject: %s\r\nMessage-ID: "
		    "<fixture-%zu@example.org>\r\nMIME-Version: 1.0\r\n"
		    "Content-Type: text/plain; charset=utf-8\r\n"
		    "Content-Transfer-Encoding: 8bit\r\n\r\n", i, i, subj[i],
		    i);
		assert_true(n > 0);
		k = (size_t)n;
		if (i == 1)
			k += (size_t)snprintf(m + k, cap - k, "Pr\xc3\xa9nom: "
			    "J\xc3\xbcrgen\r\nPays: C\xc3\xb4te d'Ivoire\r\n");
		else if (i == 2)
			k += (size_t)snprintf(m + k, cap - k,
			    "Country\tName\r\nKenya\tWanjiru\r\n");
		while (k + 80 < cap - 512 / 2 && (i == 3 || k < 600)) {
			k += (size_t)snprintf(m + k, cap - k, "line %zu of "
			    "message %zu, padding the body out a little.\r\n",
			    k, i);
		}
		pathf(msgfile[i], sizeof(msgfile[i]), "%s/msg%zu.eml", dir, i);
		write_file(msgfile[i], m, k);
		msgdata[i] = m;
		msglen[i] = k;
	}
}

static int
group_setup(void **state)
{
	const char *env = getenv("INTAKE_TESTS_DIR");
	char *tmp;

	(void)state;
	signal(SIGPIPE, SIG_IGN);	/* as the daemon must (imap.h) */
	log_init(0, "test_imap");
	pathf(scripts, sizeof(scripts), "%s", env != NULL && *env != '\0' ?
	    env : "tests/integration");
	pathf(dir, sizeof(dir), "/tmp/intake-imap-XXXXXX");
	if ((tmp = mkdtemp(dir)) == NULL || chmod(dir, 0755) == -1)
		return -1;
	make_messages();
	if (access("/usr/sbin/dovecot", X_OK) != 0 &&
	    access("/usr/bin/dovecot", X_OK) != 0) {
		fprintf(stderr, "test_imap: no dovecot, skipping\n");
		return 0;
	}
	if (server_start("server", "") != 0) {
		fprintf(stderr, "test_imap: cannot start dovecot, skipping\n");
		return 0;
	}
	have_server = 1;
	return 0;
}

static int
group_teardown(void **state)
{
	char *argv[] = { (char *)"rm", (char *)"-rf", dir, NULL };
	size_t i;

	(void)state;
	if (have_server)
		server_stop();
	for (i = 0; i < NMSG; i++)
		free(msgdata[i]);
	if (strncmp(dir, "/tmp/intake-imap-", 17) == 0)
		run(argv, NULL, 0);
	return 0;
}

/* -- tls.c on its own ----------------------------------------------- */

static int
pem_to_der(const char *name, gnutls_datum_t *der)
{
	char path[128];
	gnutls_datum_t pem = { NULL, 0 };
	gnutls_x509_crt_t crt;
	int r;

	pathf(path, sizeof(path), "%s/pki/%s.pem", dir, name);
	if (gnutls_load_file(path, &pem) < 0)
		return -1;
	gnutls_x509_crt_init(&crt);
	r = gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM);
	if (r == 0)
		r = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, der);
	gnutls_x509_crt_deinit(crt);
	gnutls_free(pem.data);
	return r < 0 ? -1 : 0;
}

static int
verify(const char *cert, const char *host, const char *ca, char *err,
    size_t errlen)
{
	gnutls_datum_t der = { NULL, 0 };
	struct tls_der chain;
	char capath[128];
	int r;

	assert_int_equal(pem_to_der(cert, &der), 0);
	chain.data = der.data;
	chain.len = der.size;
	if (ca != NULL)
		pathf(capath, sizeof(capath), "%s/pki/%s.pem", dir, ca);
	r = tls_verify_chain(&chain, 1, host, ca != NULL ? capath : NULL, err,
	    errlen);
	gnutls_free(der.data);
	return r;
}

static void
test_tls_verify(void **state)
{
	unsigned char junk[64];
	struct tls_der chain;
	char err[512];

	(void)state;
	SKIP_WITHOUT_SERVER();	/* needs the certificates it made */
	assert_int_equal(verify("server", "localhost", "ca", err,
	    sizeof(err)), 0);
	assert_int_equal(verify("server", "LOCALHOST", "ca", err,
	    sizeof(err)), 0);
	/* An IP literal matches the IP subjectAltName. */
	assert_int_equal(verify("server", "127.0.0.1", "ca", err,
	    sizeof(err)), 0);
	assert_int_equal(verify("server", "127.0.0.2", "ca", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "127.0.0.2"));
	assert_int_equal(verify("server", "mail.example.org", "ca", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "name"));
	assert_int_equal(verify("wrongname", "localhost", "ca", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "name"));
	assert_int_equal(verify("wrongname", "mail.invalid", "ca", err,
	    sizeof(err)), 0);
	assert_int_equal(verify("expired", "localhost", "ca", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "expired"));
	assert_int_equal(verify("server", "localhost", "other-ca", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "NOT trusted"));
	/* The system store does not know the test CA. */
	assert_int_equal(verify("server", "localhost", NULL, err,
	    sizeof(err)), -1);
	assert_int_equal(tls_verify_chain(NULL, 0, "localhost", NULL, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "no certificate"));
	memset(junk, 0x30, sizeof(junk));
	chain.data = junk;
	chain.len = sizeof(junk);
	assert_int_equal(tls_verify_chain(&chain, 1, "localhost", NULL, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "unreadable"));
	assert_int_equal(tls_verify_chain(&chain, TLS_CHAIN_MAX + 1,
	    "localhost", NULL, err, sizeof(err)), -1);
	assert_int_equal(verify("server", "localhost", "no-such-ca", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "CA file"));
	assert_int_equal(verify("server", "", "ca", err, sizeof(err)), -1);
}

/* -- connecting ------------------------------------------------------- */

static void
test_connect_tls(void **state)
{
	struct imap_session *s;
	char err[256];
	double t0;

	(void)state;
	SKIP_WITHOUT_SERVER();
	t0 = now_s();
	s = must_connect(IMAP_SEC_TLS);
	assert_true(imap_has_idle(s));
	/* Dovecot announces these only after login. */
	assert_true(imap_has_move(s));
	assert_true(imap_has_uidplus(s));
	assert_int_equal(imap_noop(s, err, sizeof(err)), 0);
	imap_close(s);
	print_message("connect+login+logout over TLS: %.0f ms\n",
	    (now_s() - t0) * 1000);
	imap_close(NULL);
}

static void
test_connect_starttls(void **state)
{
	struct imap_session *s;
	char err[256];

	(void)state;
	SKIP_WITHOUT_SERVER();
	s = must_connect(IMAP_SEC_STARTTLS);
	assert_true(imap_has_move(s));
	assert_int_equal(imap_noop(s, err, sizeof(err)), 0);
	imap_close(s);
}

static void
test_connect_plaintext(void **state)
{
	struct imap_session *s;
	char err[256];

	(void)state;
	SKIP_WITHOUT_SERVER();
	s = must_connect(IMAP_SEC_NONE);
	assert_int_equal(imap_noop(s, err, sizeof(err)), 0);
	imap_close(s);
}

static void
test_connect_ip_literal(void **state)
{
	struct imap_params p;
	struct imap_session *s = NULL;
	char err[512];

	(void)state;
	SKIP_WITHOUT_SERVER();
	params(&p, IMAP_SEC_TLS);
	p.host = "127.0.0.1";
	assert_int_equal(imap_connect(&p, &s, err, sizeof(err)), 0);
	imap_close(s);
	params(&p, IMAP_SEC_STARTTLS);
	p.host = "127.0.0.1";
	assert_int_equal(imap_connect(&p, &s, err, sizeof(err)), 0);
	imap_close(s);
}

static void
test_bad_password(void **state)
{
	struct imap_params p;
	struct imap_session *s = NULL;
	char err[512];
	int r;

	(void)state;
	SKIP_WITHOUT_SERVER();
	params(&p, IMAP_SEC_TLS);
	p.password = "Wr0ng-Pa55word";
	r = imap_connect(&p, &s, err, sizeof(err));
	assert_int_equal(r, IMAP_ERR_AUTH);
	assert_null(s);
	assert_null(strstr(err, "Wr0ng-Pa55word"));
	assert_non_null(strstr(err, "info"));
}

/* Refused with class, no LOGIN reached the server. */
static void
refused(enum imap_security sec, const char *ca, const char *host,
    const char *why)
{
	struct imap_params p;
	struct imap_session *s = NULL;
	size_t logins, noauth;
	char err[512];
	double t0;
	int r, i;

	params(&p, sec);
	if (ca != NULL)
		p.ca_file = ca;
	if (host != NULL)
		p.host = host;
	if (strcmp(ca != NULL ? ca : "", "-") == 0)
		p.ca_file = NULL;
	logins = log_count("Login: user=<info>");
	noauth = log_count(LOG_DISCONNECT);
	t0 = now_s();
	r = imap_connect(&p, &s, err, sizeof(err));
	assert_int_equal(r, IMAP_ERR_TLS_VERIFY);
	assert_null(s);
	assert_true(now_s() - t0 < 5);
	if (why != NULL && strstr(err, why) == NULL)
		fail_msg("error \"%s\" does not say \"%s\"", err, why);
	/* Dovecot logs the disconnect: wait for it, then look. */
	for (i = 0; i < 50 && log_count(LOG_DISCONNECT) == noauth; i++)
		usleep(100 * 1000);
	assert_true(log_count(LOG_DISCONNECT) > noauth);
	assert_int_equal(log_count("Login: user=<info>"), logins);
}

static void
test_wrong_ca(void **state)
{
	char ca[128];

	(void)state;
	SKIP_WITHOUT_SERVER();
	pathf(ca, sizeof(ca), "%s/pki/other-ca.pem", dir);
	refused(IMAP_SEC_TLS, ca, NULL, "NOT trusted");
	refused(IMAP_SEC_STARTTLS, ca, NULL, "NOT trusted");
	/* No ca_file: the system store, which does not know our CA. */
	refused(IMAP_SEC_TLS, "-", NULL, "refused");
}

static void
test_connect_refused(void **state)
{
	struct imap_params p;
	struct imap_session *s = NULL;
	char err[512];
	double t0;

	(void)state;
	SKIP_WITHOUT_SERVER();
	params(&p, IMAP_SEC_TLS);
	p.port = 1;	/* nothing listens there */
	t0 = now_s();
	assert_int_equal(imap_connect(&p, &s, err, sizeof(err)),
	    IMAP_ERR_CONNECT);
	assert_true(now_s() - t0 < 2);
	assert_non_null(strstr(err, "connect"));
	params(&p, IMAP_SEC_TLS);
	p.host = "no-such-host.invalid";
	assert_int_equal(imap_connect(&p, &s, err, sizeof(err)),
	    IMAP_ERR_CONNECT);
	/* Implicit TLS against the plaintext port: handshake fails. */
	params(&p, IMAP_SEC_TLS);
	p.port = port_plain;
	p.timeout = 2;
	assert_int_equal(imap_connect(&p, &s, err, sizeof(err)),
	    IMAP_ERR_CONNECT);
	assert_non_null(strstr(err, "TLS"));
}

/* Debug logging on: the password never shows, the steps do. */
static void
test_logging_no_password(void **state)
{
	struct imap_session *s;
	char path[128];
	size_t len;
	char *log;
	int fd, saved;

	(void)state;
	SKIP_WITHOUT_SERVER();
	pathf(path, sizeof(path), "%s/client.log", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd != -1);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	log_init(1, "test_imap");
	s = must_connect(IMAP_SEC_STARTTLS);
	imap_close(s);
	log_init(0, "test_imap");
	dup2(saved, STDERR_FILENO);
	close(saved);
	log = slurp(path, &len);
	assert_non_null(log);
	assert_non_null(strstr(log, "starttls -> verify"));
	assert_non_null(strstr(log, "certificate verified"));
	assert_non_null(strstr(log, "capability2 -> authenticated"));
	assert_null(strstr(log, "secret"));
	free(log);
}

/* -- the mailbox ------------------------------------------------------ */

static void
test_select(void **state)
{
	struct imap_session *s;
	struct imap_mailbox_info mi, mi2;
	char err[512];

	(void)state;
	SKIP_WITHOUT_SERVER();
	s = must_connect(IMAP_SEC_TLS);
	assert_int_equal(imap_select(s, "INBOX", 0, &mi, err, sizeof(err)), 0);
	assert_true(mi.uidvalidity != 0);
	assert_true(mi.uidnext >= 1);
	assert_true(mi.readwrite);
	assert_true(mi.can_keywords);
	assert_int_equal(imap_select(s, "INBOX", 1, &mi2, err, sizeof(err)),
	    0);
	assert_int_equal(mi2.uidvalidity, mi.uidvalidity);
	assert_int_equal(mi2.uidnext, mi.uidnext);
	assert_false(mi2.readwrite);
	assert_int_equal(imap_select(s, "No/Such/Box", 0, &mi2, err,
	    sizeof(err)), IMAP_ERR_GONE);
	/* Not fatal: the session goes on, with nothing selected. */
	assert_int_equal(imap_noop(s, err, sizeof(err)), 0);
	assert_int_equal(imap_search_since(s, 0, &(uint32_t *){ NULL },
	    &(size_t){ 0 }, err, sizeof(err)), IMAP_ERR_PROTO);
	imap_close(s);
}

static void
test_append_search(void **state)
{
	struct imap_session *s;
	struct imap_mailbox_info mi;
	char out[256], err[512], *p;
	uint32_t *v;
	size_t n, i;
	double t0;

	(void)state;
	SKIP_WITHOUT_SERVER();
	assert_int_equal(helper(NULL, 0, "empty", "INBOX", NULL), 0);
	s = must_connect(IMAP_SEC_TLS);
	assert_int_equal(imap_select(s, "INBOX", 0, &mi, err, sizeof(err)), 0);
	assert_int_equal(mi.exists, 0);
	for (i = 0; i < NMSG; i++) {
		assert_int_equal(helper(out, sizeof(out), "append", "INBOX",
		    msgfile[i]), 0);
		uids[i] = (uint32_t)strtoul(out, &p, 10);
		assert_true(uids[i] >= mi.uidnext);
	}
	t0 = now_s();
	assert_int_equal(imap_search_since(s, 0, &v, &n, err, sizeof(err)), 0);
	print_message("UID SEARCH: %.1f ms\n", (now_s() - t0) * 1000);
	assert_int_equal(n, NMSG);
	for (i = 0; i < NMSG; i++)
		assert_int_equal(v[i], uids[i]);
	free(v);
	assert_int_equal(imap_search_since(s, uids[2], &v, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0], uids[3]);
	assert_int_equal(v[1], uids[4]);
	free(v);
	/* "UID n:*" above the highest UID still returns the highest. */
	assert_int_equal(imap_search_since(s, uids[4], &v, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 0);
	assert_null(v);
	assert_int_equal(imap_search_since(s, uids[4] + 1000, &v, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 0);
	assert_int_equal(imap_search_since(s, UINT32_MAX, &v, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 0);
	imap_close(s);
}

static void
test_fetch_sizes(void **state)
{
	struct imap_session *s;
	struct imap_msg_info info[NMSG + 2];
	uint32_t ask[NMSG + 2];
	char err[512];
	time_t now = time(NULL);
	size_t i;

	(void)state;
	SKIP_WITHOUT_SERVER();
	s = must_select(1);
	for (i = 0; i < NMSG; i++)
		ask[i] = uids[i];
	ask[NMSG] = uids[NMSG - 1] + 50;	/* no such message */
	ask[NMSG + 1] = uids[0];		/* asked twice */
	assert_int_equal(imap_fetch_sizes(s, ask, NMSG + 2, info, err,
	    sizeof(err)), 0);
	for (i = 0; i < NMSG; i++) {
		assert_int_equal(info[i].uid, uids[i]);
		assert_true(info[i].present);
		assert_int_equal(info[i].size, msglen[i]);
		assert_false(info[i].flags & IMAP_FLAG_SEEN);
		assert_true(info[i].internaldate > now - 3600 &&
		    info[i].internaldate < now + 3600);
	}
	assert_false(info[NMSG].present);
	assert_int_equal(info[NMSG].uid, ask[NMSG]);
	assert_true(info[NMSG + 1].present);
	assert_int_equal(info[NMSG + 1].size, msglen[0]);
	assert_int_equal(imap_fetch_sizes(s, ask, 0, info, err, sizeof(err)),
	    0);
	imap_close(s);
}

struct collect {
	size_t		 n;
	uint32_t	 uid[16];
	int		 status[16];
	size_t		 len[16];
	int		 same[16];	/* bytes equal the fixture */
	size_t		 stop_after;	/* 0: never */
};

static int
collect_cb(const struct imap_body *b, void *arg)
{
	struct collect *c = arg;
	size_t i;

	assert_true(c->n < 16);
	c->uid[c->n] = b->uid;
	c->status[c->n] = b->status;
	c->len[c->n] = b->len;
	c->same[c->n] = 0;
	for (i = 0; i < NMSG; i++)
		if (uids[i] == b->uid && b->status == IMAP_BODY_OK &&
		    b->len == msglen[i] && memcmp(b->data, msgdata[i],
		    b->len) == 0)
			c->same[c->n] = 1;
	c->n++;
	return c->stop_after != 0 && c->n >= c->stop_after ? -1 : 0;
}

static void
test_fetch_bodies(void **state)
{
	struct imap_session *s;
	struct imap_msg_info info[NMSG + 1];
	uint32_t ask[NMSG + 1];
	struct collect c;
	char err[512], flags[256];
	size_t i, batch;
	double t0;

	(void)state;
	SKIP_WITHOUT_SERVER();
	s = must_select(0);
	for (i = 0; i < NMSG; i++)
		ask[i] = uids[i];
	ask[NMSG] = uids[NMSG - 1] + 50;
	assert_int_equal(imap_fetch_sizes(s, ask, NMSG + 1, info, err,
	    sizeof(err)), 0);
	/* One batch for all, then one message per batch. */
	for (batch = 0; batch < 2; batch++) {
		memset(&c, 0, sizeof(c));
		t0 = now_s();
		assert_int_equal(imap_fetch_bodies(s, info, NMSG + 1,
		    batch == 0 ? 10 * 1024 * 1024 : 1, 1024 * 1024, collect_cb,
		    &c, err, sizeof(err)), 0);
		print_message("fetch %d bodies (%s): %.1f ms\n", NMSG,
		    batch == 0 ? "one batch" : "one per batch",
		    (now_s() - t0) * 1000);
		assert_int_equal(c.n, NMSG + 1);
		for (i = 0; i < NMSG; i++) {
			assert_int_equal(c.uid[i], uids[i]);
			assert_int_equal(c.status[i], IMAP_BODY_OK);
			assert_true(c.same[i]);
		}
		assert_int_equal(c.uid[NMSG], ask[NMSG]);
		assert_int_equal(c.status[NMSG], IMAP_BODY_GONE);
	}
	/* BODY.PEEK[] left \Seen alone. */
	for (i = 0; i < NMSG; i++) {
		uid_flags("INBOX", uids[i], flags, sizeof(flags));
		assert_true(flags[0] != '\0');
		assert_null(strstr(flags, "\\Seen"));
	}
	/* Over the cap: read and dropped, the size still told. */
	memset(&c, 0, sizeof(c));
	assert_int_equal(imap_fetch_bodies(s, info, NMSG, 1024 * 1024, 1000,
	    collect_cb, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n, NMSG);
	assert_int_equal(c.status[3], IMAP_BODY_TOOBIG);
	assert_int_equal(c.len[3], msglen[3]);
	assert_true(c.same[0]);
	/* The callback stops the hand-over; the session stays in step. */
	memset(&c, 0, sizeof(c));
	c.stop_after = 2;
	assert_int_equal(imap_fetch_bodies(s, info, NMSG, 1024 * 1024,
	    1024 * 1024, collect_cb, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n, 2);
	memset(&c, 0, sizeof(c));
	assert_int_equal(imap_fetch_bodies(s, info + 4, 1, 1024 * 1024,
	    1024 * 1024, collect_cb, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n, 1);
	assert_true(c.same[0]);
	imap_close(s);
}

static void
test_fetch_header(void **state)
{
	struct imap_session *s;
	char err[512], *hdr;
	size_t len;

	(void)state;
	SKIP_WITHOUT_SERVER();
	s = must_select(1);
	assert_int_equal(imap_fetch_header(s, uids[3], &hdr, &len, err,
	    sizeof(err)), 0);
	assert_true(len > 100 && len < 1024);
	assert_int_equal(strlen(hdr), len);
	assert_memory_equal(hdr, msgdata[3], len);
	assert_string_equal(hdr + len - 4, "\r\n\r\n");
	free(hdr);
	assert_int_equal(imap_fetch_header(s, uids[4] + 99, &hdr, &len, err,
	    sizeof(err)), IMAP_ERR_GONE);
	assert_null(hdr);
	assert_int_equal(imap_noop(s, err, sizeof(err)), 0);
	imap_close(s);
}

/* -- folders and filing ----------------------------------------------- */

static int
listed(const char *name)
{
	char out[4096], line[256];
	const char *p, *e;

	if (helper(out, sizeof(out), "list", NULL, NULL) != 0)
		fail_msg("list failed");
	for (p = out; *p != '\0'; p = *e ? e + 1 : e) {
		e = strchr(p, '\n');
		if (e == NULL)
			e = p + strlen(p);
		pathf(line, sizeof(line), "%.*s", (int)(e - p), p);
		if (strcmp(line, name) == 0)
			return 1;
	}
	return 0;
}

static void
test_ensure_folder(void **state)
{
	struct imap_session *s;
	char err[512], delim = 0;

	(void)state;
	SKIP_WITHOUT_SERVER();
	helper(NULL, 0, "delete", "Requests", NULL);
	helper(NULL, 0, "delete", "Requ&AOo-tes", NULL);
	assert_false(listed("Requests"));
	s = must_connect(IMAP_SEC_TLS);
	assert_int_equal(imap_list_delimiter(s, &delim, err, sizeof(err)), 0);
	assert_int_equal(delim, '.');
	assert_int_equal(imap_ensure_folder(s, FOLDER, err, sizeof(err)), 0);
	assert_true(listed("Requests"));
	assert_true(listed("Requests.Complete"));
	/* Again: nothing to do. */
	assert_int_equal(imap_ensure_folder(s, FOLDER, err, sizeof(err)), 0);
	assert_int_equal(imap_ensure_folder(s, "Requests/Review", err,
	    sizeof(err)), 0);
	assert_true(listed("Requests.Review"));
	/* Non-ASCII names travel as modified UTF-7. */
	assert_int_equal(imap_ensure_folder(s, "Requ\xc3\xaates/Compl\xc3\xa8"
	    "tes & co", err, sizeof(err)), 0);
	assert_true(listed("Requ&AOo-tes.Compl&AOg-tes &- co"));
	assert_int_equal(imap_ensure_folder(s, "a//b", err, sizeof(err)),
	    IMAP_ERR_PROTO);
	assert_int_equal(imap_ensure_folder(s, "/a", err, sizeof(err)),
	    IMAP_ERR_PROTO);
	assert_int_equal(imap_ensure_folder(s, "a%b", err, sizeof(err)),
	    IMAP_ERR_PROTO);
	assert_int_equal(imap_ensure_folder(s, "Req.uests", err, sizeof(err)),
	    IMAP_ERR_PROTO);
	assert_int_equal(imap_ensure_folder(s, "bad\xff", err, sizeof(err)),
	    IMAP_ERR_PROTO);
	assert_int_equal(imap_noop(s, err, sizeof(err)), 0);
	imap_close(s);
}

static void
test_keyword(void **state)
{
	struct imap_session *s;
	char err[512], flags[256];
	uint32_t one[1] = { uids[0] };

	(void)state;
	SKIP_WITHOUT_SERVER();
	s = must_select(0);
	assert_int_equal(imap_add_keyword(s, one, 1, KEYWORD, err,
	    sizeof(err)), 0);
	uid_flags("INBOX", uids[0], flags, sizeof(flags));
	assert_non_null(strstr(flags, KEYWORD));
	assert_null(strstr(flags, "\\Seen"));
	assert_int_equal(imap_add_keyword(s, one, 1, "\\Seen", err,
	    sizeof(err)), IMAP_ERR_PROTO);
	assert_int_equal(imap_add_keyword(s, one, 1, "a b", err, sizeof(err)),
	    IMAP_ERR_PROTO);
	imap_close(s);
	/* Read-only: not permitted, nothing sent. */
	s = must_select(1);
	assert_int_equal(imap_add_keyword(s, one, 1, KEYWORD, err,
	    sizeof(err)), 1);
	imap_close(s);
}

static void
test_move(void **state)
{
	struct imap_session *s;
	char err[512];
	uint32_t two[2] = { uids[0], uids[1] }, gone[1] = { uids[4] + 77 };
	size_t inbox, folder;

	(void)state;
	SKIP_WITHOUT_SERVER();
	s = must_select(0);
	assert_int_equal(imap_ensure_folder(s, FOLDER, err, sizeof(err)), 0);
	inbox = folder_count("INBOX");
	folder = folder_count("Requests.Complete");
	assert_int_equal(imap_move(s, two, 2, FOLDER, err, sizeof(err)), 0);
	assert_int_equal(folder_count("INBOX"), inbox - 2);
	assert_int_equal(folder_count("Requests.Complete"), folder + 2);
	/* Vanished UIDs are no error; a missing folder is GONE. */
	assert_int_equal(imap_move(s, gone, 1, FOLDER, err, sizeof(err)), 0);
	assert_int_equal(imap_move(s, &uids[2], 1, "Requests/Nowhere", err,
	    sizeof(err)), IMAP_ERR_GONE);
	assert_int_equal(folder_count("INBOX"), inbox - 2);
	assert_int_equal(imap_noop(s, err, sizeof(err)), 0);
	imap_close(s);
}

/* -- IDLE ----------------------------------------------------------- */

static void
test_idle_new(void **state)
{
	struct imap_session *s;
	char err[512];
	uint32_t *v;
	size_t n, len;
	double t0, t1, took, appended;
	char done[128], *stamp;
	pid_t pid;
	int r, status;

	(void)state;
	SKIP_WITHOUT_SERVER();
	s = must_select(0);
	pathf(done, sizeof(done), "%s/append.done", dir);
	unlink(done);
	if ((pid = fork()) == 0) {
		char script[600];
		char *argv[] = { script, (char *)"-d", dir,
		    (char *)"--done-file", done, (char *)"append",
		    (char *)"INBOX", msgfile[0], NULL };
		int devnull = open("/dev/null", O_WRONLY);

		usleep(500 * 1000);
		pathf(script, sizeof(script), "%s/imap-append.py", scripts);
		dup2(devnull, STDOUT_FILENO);
		execvp(script, argv);
		_exit(127);
	}
	assert_true(pid > 0);
	t0 = now_s();
	r = imap_idle_wait(s, 20, NULL, err, sizeof(err));
	t1 = now_s();
	took = t1 - t0;
	waitpid(pid, &status, 0);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(r, IMAP_IDLE_NEW);
	/* The helper wrote the (same) monotonic clock after its APPEND. */
	stamp = slurp(done, &len);
	assert_non_null(stamp);
	appended = strtod(stamp, NULL);
	free(stamp);
	print_message("IDLE woke %.0f ms after it began, %.0f ms after the "
	    "APPEND was answered\n", took * 1000, (t1 - appended) * 1000);
	assert_true(t1 - appended < 2);
	assert_true(took < 5);
	/* After IDLE the session is back to normal and finds the message. */
	assert_int_equal(imap_search_since(s, uids[4], &v, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 1);
	free(v);
	imap_close(s);
}

static void
test_idle_timeout(void **state)
{
	struct imap_session *s;
	char err[512];
	double t0, took;

	(void)state;
	SKIP_WITHOUT_SERVER();
	s = must_select(0);
	t0 = now_s();
	assert_int_equal(imap_idle_wait(s, 2, NULL, err, sizeof(err)),
	    IMAP_IDLE_TIMEOUT);
	took = now_s() - t0;
	assert_true(took >= 1.9 && took < 4);
	assert_int_equal(imap_noop(s, err, sizeof(err)), 0);
	imap_close(s);
}

static volatile sig_atomic_t stop_flag;

static void
on_alarm(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void
test_idle_stop(void **state)
{
	struct imap_session *s;
	struct sigaction sa;
	char err[512];
	double t0, took;

	(void)state;
	SKIP_WITHOUT_SERVER();
	s = must_select(0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	stop_flag = 0;
	alarm(1);
	t0 = now_s();
	assert_int_equal(imap_idle_wait(s, 60, &stop_flag, err, sizeof(err)),
	    IMAP_IDLE_TIMEOUT);
	took = now_s() - t0;
	signal(SIGALRM, SIG_DFL);
	assert_true(stop_flag);
	assert_true(took < 3);
	assert_int_equal(imap_noop(s, err, sizeof(err)), 0);
	imap_close(s);
}

/* -- other server configurations --------------------------------------- */

static void
test_copy_expunge(void **state)
{
	struct imap_session *s;
	char err[512], flags[256];
	size_t inbox, folder;

	(void)state;
	SKIP_WITHOUT_SERVER();
	assert_int_equal(server_start("server", "IMAP4rev1 LITERAL+ SASL-IR "
	    "ID ENABLE IDLE UIDPLUS"), 0);
	s = must_select(0);
	assert_false(imap_has_move(s));
	assert_true(imap_has_uidplus(s));
	inbox = folder_count("INBOX");
	folder = folder_count("Requests.Complete");
	assert_int_equal(imap_move(s, &uids[2], 1, FOLDER, err, sizeof(err)),
	    0);
	assert_int_equal(folder_count("INBOX"), inbox - 1);
	assert_int_equal(folder_count("Requests.Complete"), folder + 1);
	imap_close(s);

	/* No UIDPLUS: copied, flagged \Deleted, left in place. */
	assert_int_equal(server_start("server", "IMAP4rev1 IDLE"), 0);
	s = must_select(0);
	assert_false(imap_has_move(s));
	assert_false(imap_has_uidplus(s));
	assert_int_equal(imap_move(s, &uids[3], 1, FOLDER, err, sizeof(err)),
	    0);
	assert_int_equal(folder_count("INBOX"), inbox - 1);
	assert_int_equal(folder_count("Requests.Complete"), folder + 2);
	uid_flags("INBOX", uids[3], flags, sizeof(flags));
	assert_non_null(strstr(flags, "\\Deleted"));
	imap_close(s);
}

static void
test_logindisabled(void **state)
{
	struct imap_session *s;
	char path[128];
	size_t len;
	char *log;
	int fd, saved;

	(void)state;
	SKIP_WITHOUT_SERVER();
	assert_int_equal(server_start("server", "+LOGINDISABLED"), 0);
	pathf(path, sizeof(path), "%s/client.log", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd != -1);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	log_init(1, "test_imap");
	s = must_connect(IMAP_SEC_TLS);
	log_init(0, "test_imap");
	dup2(saved, STDERR_FILENO);
	close(saved);
	imap_close(s);
	log = slurp(path, &len);
	assert_non_null(log);
	assert_non_null(strstr(log, "AUTHENTICATE PLAIN"));
	assert_null(strstr(log, "secret"));
	free(log);
}

static void
test_wrong_name_expired(void **state)
{
	(void)state;
	SKIP_WITHOUT_SERVER();
	assert_int_equal(server_start("wrongname", ""), 0);
	refused(IMAP_SEC_TLS, NULL, NULL, "name");
	refused(IMAP_SEC_STARTTLS, NULL, NULL, "name");
	refused(IMAP_SEC_TLS, NULL, "127.0.0.1", "name");
	assert_int_equal(server_start("expired", ""), 0);
	refused(IMAP_SEC_TLS, NULL, NULL, "expired");
	refused(IMAP_SEC_STARTTLS, NULL, NULL, "expired");
}

/* Dovecot goes away under an open session: fail fast, never hang. */
static void
test_server_killed(void **state)
{
	struct imap_session *s;
	struct imap_mailbox_info mi;
	char err[512];
	uint32_t *v;
	size_t n;
	double t0;

	(void)state;
	SKIP_WITHOUT_SERVER();
	assert_int_equal(server_start("server", ""), 0);
	s = must_select(0);
	assert_int_equal(server_down("kill"), 0);
	t0 = now_s();
	assert_int_equal(imap_search_since(s, 0, &v, &n, err, sizeof(err)),
	    IMAP_ERR_CONNECT);
	print_message("first call after the crash failed in %.0f ms: %s\n",
	    (now_s() - t0) * 1000, err);
	assert_true(now_s() - t0 < 2);
	t0 = now_s();
	assert_int_equal(imap_noop(s, err, sizeof(err)), IMAP_ERR_CONNECT);
	assert_non_null(strstr(err, "reconnect"));
	assert_int_equal(imap_select(s, "INBOX", 0, &mi, err, sizeof(err)),
	    IMAP_ERR_CONNECT);
	imap_close(s);
	assert_true(now_s() - t0 < 0.5);

	/* A clean shutdown: Dovecot says BYE first. */
	assert_int_equal(server_start("server", ""), 0);
	s = must_select(0);
	assert_int_equal(server_down("stop"), 0);
	t0 = now_s();
	assert_int_equal(imap_noop(s, err, sizeof(err)), IMAP_ERR_CONNECT);
	print_message("first call after the shutdown: %s\n", err);
	assert_true(now_s() - t0 < 2);
	imap_close(s);
	assert_int_equal(server_start("server", ""), 0);
}

/* Dovecot dies while we sit in IDLE. */
static void
test_server_killed_in_idle(void **state)
{
	struct imap_session *s;
	char err[512];
	double t0;
	pid_t pid;
	int r, status;

	(void)state;
	SKIP_WITHOUT_SERVER();
	s = must_select(0);
	if ((pid = fork()) == 0) {
		char script[600];
		char *argv[] = { script, (char *)"kill", dir, NULL };

		usleep(500 * 1000);
		pathf(script, sizeof(script), "%s/dovecot", scripts);
		execvp(script, argv);
		_exit(127);
	}
	t0 = now_s();
	r = imap_idle_wait(s, 30, NULL, err, sizeof(err));
	waitpid(pid, &status, 0);
	print_message("IDLE ended %.0f ms after it began: %s\n",
	    (now_s() - t0) * 1000, r < 0 ? err : "no error");
	assert_int_equal(r, IMAP_ERR_CONNECT);
	assert_true(now_s() - t0 < 3);
	imap_close(s);
	assert_int_equal(server_start("server", ""), 0);
}

/* -- a hostile fake server -------------------------------------------- */

static pid_t
fake_start(const char *mode, unsigned *port)
{
	char script[600], pf[128], lf[128], buf[32];
	char *argv[] = { script, (char *)"fake", (char *)"--port-file", pf,
	    (char *)"--log", lf, (char *)mode, NULL };
	FILE *f;
	pid_t pid;
	int i;

	pathf(script, sizeof(script), "%s/imap-append.py", scripts);
	pathf(pf, sizeof(pf), "%s/fake.port", dir);
	pathf(lf, sizeof(lf), "%s/fake.log", dir);
	unlink(pf);
	unlink(lf);
	if ((pid = fork()) == 0) {
		execvp(script, argv);
		_exit(127);
	}
	for (i = 0; i < 100; i++) {
		if ((f = fopen(pf, "r")) != NULL) {
			if (fgets(buf, sizeof(buf), f) != NULL) {
				fclose(f);
				*port = (unsigned)strtoul(buf, NULL, 10);
				return pid;
			}
			fclose(f);
		}
		usleep(50 * 1000);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	fail_msg("fake server did not start");
	return -1;
}

static void
fake_end(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

static struct imap_session *
fake_session(unsigned port, unsigned timeout)
{
	struct imap_params p;
	struct imap_session *s = NULL;
	struct imap_mailbox_info mi;
	char err[512];

	params(&p, IMAP_SEC_NONE);
	p.host = "127.0.0.1";
	p.port = port;
	p.timeout = timeout;
	if (imap_connect(&p, &s, err, sizeof(err)) != 0)
		fail_msg("fake connect: %s", err);
	if (imap_select(s, "INBOX", 0, &mi, err, sizeof(err)) != 0)
		fail_msg("fake select: %s", err);
	assert_int_equal(mi.uidvalidity, 7);
	return s;
}

/*
 * libetpan 1.9.4 spins forever when the server closes inside a literal;
 * the guard must turn that into IMAP_ERR_CONNECT at once.  alarm() kills
 * the test if it hangs anyway.
 */
static void
test_fake_literal_eof(void **state)
{
	struct imap_session *s;
	struct imap_msg_info m = { .uid = 1, .present = 1, .size = 1000 };
	struct collect c;
	unsigned port;
	char err[512];
	double t0;
	pid_t pid;

	(void)state;
	pid = fake_start("literal-eof", &port);
	s = fake_session(port, 5);
	memset(&c, 0, sizeof(c));
	alarm(30);
	t0 = now_s();
	assert_int_equal(imap_fetch_bodies(s, &m, 1, 1 << 20, 1 << 20,
	    collect_cb, &c, err, sizeof(err)), IMAP_ERR_CONNECT);
	alarm(0);
	print_message("EOF inside a literal: failed in %.0f ms: %s\n",
	    (now_s() - t0) * 1000, err);
	assert_true(now_s() - t0 < 2);
	assert_int_equal(c.n, 0);
	assert_non_null(strstr(err, "closed"));
	imap_close(s);
	fake_end(pid);
}

/* One byte every 0.2 s never trips the read timeout; the deadline does. */
static void
test_fake_drip(void **state)
{
	struct imap_session *s;
	struct imap_msg_info m = { .uid = 1, .present = 1, .size = 10 };
	struct collect c;
	unsigned port;
	char err[512];
	double t0, took;
	pid_t pid;

	(void)state;
	pid = fake_start("drip", &port);
	s = fake_session(port, 1);
	memset(&c, 0, sizeof(c));
	alarm(30);
	t0 = now_s();
	assert_int_equal(imap_fetch_bodies(s, &m, 1, 1 << 20, 1 << 20,
	    collect_cb, &c, err, sizeof(err)), IMAP_ERR_CONNECT);
	alarm(0);
	took = now_s() - t0;
	print_message("dripping server: cut off after %.1f s: %s\n", took, err);
	assert_true(took >= 1.5 && took < 4);
	assert_non_null(strstr(err, "timed out"));
	/* Dead: later calls fail at once, close sends nothing. */
	assert_int_equal(imap_noop(s, err, sizeof(err)), IMAP_ERR_CONNECT);
	imap_close(s);
	fake_end(pid);
}

static void
test_fake_silent(void **state)
{
	struct imap_session *s;
	struct imap_msg_info m = { .uid = 1, .present = 1, .size = 10 };
	struct collect c;
	unsigned port;
	char err[512];
	double t0, took;
	pid_t pid;

	(void)state;
	pid = fake_start("silent", &port);
	s = fake_session(port, 1);
	memset(&c, 0, sizeof(c));
	alarm(30);
	t0 = now_s();
	assert_int_equal(imap_fetch_bodies(s, &m, 1, 1 << 20, 1 << 20,
	    collect_cb, &c, err, sizeof(err)), IMAP_ERR_CONNECT);
	alarm(0);
	took = now_s() - t0;
	assert_true(took >= 0.9 && took < 3);
	imap_close(s);
	fake_end(pid);
}

struct grab {
	int	 status;
	size_t	 len;
	char	 data[16];
};

static int
grab_cb(const struct imap_body *b, void *arg)
{
	struct grab *g = arg;

	g->status = b->status;
	g->len = b->len;
	if (b->status == IMAP_BODY_OK && b->len <= sizeof(g->data))
		memcpy(g->data, b->data, b->len);
	return 0;
}

/* Bodies are bytes with a length: NULs come through; so do quoted ones. */
static void
test_fake_nul_and_quoted(void **state)
{
	struct imap_session *s;
	struct imap_msg_info m = { .uid = 1, .present = 1, .size = 9 };
	struct grab g;
	unsigned port;
	char err[512];
	pid_t pid;

	(void)state;
	pid = fake_start("nul", &port);
	s = fake_session(port, 5);
	memset(&g, 0, sizeof(g));
	assert_int_equal(imap_fetch_bodies(s, &m, 1, 1 << 20, 1 << 20,
	    grab_cb, &g, err, sizeof(err)), 0);
	assert_int_equal(g.status, IMAP_BODY_OK);
	assert_int_equal(g.len, 9);
	assert_memory_equal(g.data, "A\0B\r\n\0\0\r\n", 9);
	imap_close(s);
	fake_end(pid);

	pid = fake_start("quoted", &port);
	s = fake_session(port, 5);
	memset(&g, 0, sizeof(g));
	assert_int_equal(imap_fetch_bodies(s, &m, 1, 1 << 20, 1 << 20,
	    grab_cb, &g, err, sizeof(err)), 0);
	assert_int_equal(g.status, IMAP_BODY_OK);
	assert_int_equal(g.len, 2);
	assert_memory_equal(g.data, "hi", 2);
	imap_close(s);
	fake_end(pid);
}

/* STARTTLS refused, tampered with, or made impossible: never plaintext. */
static void
test_fake_starttls(void **state)
{
	static const char *const modes[] = { "nostarttls", "inject",
	    "preauth" };
	struct imap_params p;
	struct imap_session *s;
	char err[512], path[128], *log;
	unsigned port;
	size_t i, len;
	pid_t pid;
	int r;

	(void)state;
	for (i = 0; i < sizeof(modes) / sizeof(*modes); i++) {
		pid = fake_start(modes[i], &port);
		params(&p, IMAP_SEC_STARTTLS);
		p.host = "127.0.0.1";
		p.port = port;
		p.timeout = 5;
		s = NULL;
		r = imap_connect(&p, &s, err, sizeof(err));
		print_message("%s: %s\n", modes[i], err);
		assert_int_equal(r, IMAP_ERR_TLS_VERIFY);
		assert_null(s);
		fake_end(pid);
		pathf(path, sizeof(path), "%s/fake.log", dir);
		log = slurp(path, &len);
		if (log != NULL) {
			assert_null(strstr(log, "LOGIN"));
			assert_null(strstr(log, "secret"));
			free(log);
		}
	}
}

static void
test_error_names(void **state)
{
	(void)state;
	assert_string_equal(imap_error_name(IMAP_OK), "ok");
	assert_string_equal(imap_error_name(IMAP_ERR_CONNECT), "connect");
	assert_string_equal(imap_error_name(IMAP_ERR_TLS_VERIFY),
	    "tls-verify");
	assert_string_equal(imap_error_name(IMAP_ERR_GONE), "gone");
	assert_string_equal(imap_error_name(-99), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_names),
		cmocka_unit_test(test_tls_verify),
		cmocka_unit_test(test_connect_tls),
		cmocka_unit_test(test_connect_starttls),
		cmocka_unit_test(test_connect_plaintext),
		cmocka_unit_test(test_connect_ip_literal),
		cmocka_unit_test(test_wrong_ca),
		cmocka_unit_test(test_connect_refused),
		cmocka_unit_test(test_logging_no_password),
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_append_search),
		cmocka_unit_test(test_fetch_sizes),
		cmocka_unit_test(test_fetch_bodies),
		cmocka_unit_test(test_fetch_header),
		cmocka_unit_test(test_ensure_folder),
		cmocka_unit_test(test_keyword),
		cmocka_unit_test(test_move),
		cmocka_unit_test(test_idle_new),
		cmocka_unit_test(test_idle_timeout),
		cmocka_unit_test(test_idle_stop),
		/* Dovecot delays logins after a failure: restart after it. */
		cmocka_unit_test(test_bad_password),
		cmocka_unit_test(test_copy_expunge),
		cmocka_unit_test(test_logindisabled),
		cmocka_unit_test(test_wrong_name_expired),
		cmocka_unit_test(test_server_killed),
		cmocka_unit_test(test_server_killed_in_idle),
		cmocka_unit_test(test_fake_literal_eof),
		cmocka_unit_test(test_fake_drip),
		cmocka_unit_test(test_fake_silent),
		cmocka_unit_test(test_fake_nul_and_quoted),
		cmocka_unit_test(test_fake_starttls),
	};

	if (getenv("INTAKE_TEST_FILTER") != NULL)
		cmocka_set_test_filter(getenv("INTAKE_TEST_FILTER"));
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
