/*
 * test_smtp.c -- smtp.c against real SMTP servers on 127.0.0.1
 * (tests/integration/smtp-sink.py, aiosmtpd) with a test PKI made by
 * tests/integration/mkcerts.  Runs from the repository root.
 *
 * The group setup makes a temporary directory, the certificates, and
 * starts one sink per server behaviour (each on a free port, by PID); the
 * teardown stops them by PID and removes the directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "limits.h"
#include "reply.h"
#include "smtp.h"

#define PYTHON		"/usr/bin/python3"
#define SINK		"tests/integration/smtp-sink.py"
#define MKCERTS		"tests/integration/mkcerts"
#define USER		"info"
#define PASSWORD	"s3cret-Pa55"
#define TIMEOUT		10L

struct sink {
	const char	*name;
	pid_t		 pid;
	unsigned	 port;
	int		 outfd;		/* its stdout, until "ready" */
	char		 dir[512];
};

enum {
	SINK_MAIN,	/* STARTTLS + AUTH, 550 and 451 recipients */
	SINK_IMPLICIT,	/* implicit TLS + AUTH */
	SINK_NOAUTH,	/* STARTTLS, no AUTH offered */
	SINK_PLAIN,	/* no TLS, no AUTH */
	SINK_WRONGNAME,	/* STARTTLS with a certificate for another name */
	SINK_COUNT
};

static struct sink sinks[SINK_COUNT] = {
	{ .name = "main" }, { .name = "implicit" }, { .name = "noauth" },
	{ .name = "plain" }, { .name = "wrongname" }
};

static char tmp[256];
static char ca[512], other_ca[512];

/* ---- process and file helpers --------------------------------------- */

static unsigned
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	unsigned port;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static int
run_wait(char *const argv[])
{
	pid_t pid;
	int st, fd;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if ((fd = open("/dev/null", O_RDWR)) >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static void
file_path(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", tmp, name);
}

/* Start a sink: fork/exec, stdin /dev/null, stdout to a pipe read by
 * sink_ready(), stderr to DIR.log. */
static int
sink_start(struct sink *k, const char *const *extra)
{
	char port[16], log[600], *argv[32];
	int pfd[2], fd, n = 0, i;

	k->port = free_port();
	snprintf(port, sizeof(port), "%u", k->port);
	snprintf(k->dir, sizeof(k->dir), "%s/%s", tmp, k->name);
	snprintf(log, sizeof(log), "%s.log", k->dir);
	argv[n++] = PYTHON;
	argv[n++] = SINK;
	argv[n++] = "--port";
	argv[n++] = port;
	argv[n++] = "--dir";
	argv[n++] = k->dir;
	for (i = 0; extra[i] && n < 30; i++)
		argv[n++] = (char *)extra[i];
	argv[n] = NULL;
	if (pipe(pfd) == -1)
		return -1;
	if ((k->pid = fork()) == -1)
		return -1;
	if (k->pid == 0) {
		close(pfd[0]);
		if ((fd = open("/dev/null", O_RDONLY)) >= 0)
			dup2(fd, 0);
		dup2(pfd[1], 1);
		if ((fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644)) >= 0)
			dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	k->outfd = pfd[0];
	return 0;
}

/* Wait (at most 10 s) for the sink to print "ready". */
static int
sink_ready(struct sink *k)
{
	char buf[64];
	size_t have = 0;
	struct timespec t0, t;
	struct pollfd p;
	ssize_t n;
	int left;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = 10000 - (int)((t.tv_sec - t0.tv_sec) * 1000 +
		    (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			break;
		p.fd = k->outfd;
		p.events = POLLIN;
		if (poll(&p, 1, left) <= 0)
			continue;
		n = read(k->outfd, buf + have, sizeof(buf) - 1 - have);
		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = '\0';
		if (strstr(buf, "ready\n")) {
			close(k->outfd);
			k->outfd = -1;
			return 0;
		}
		if (have >= sizeof(buf) - 1)
			break;
	}
	fprintf(stderr, "sink %s did not start (see %s.log)\n", k->name,
	    k->dir);
	return -1;
}

static void
sink_stop(struct sink *k)
{
	int st, i;

	if (k->outfd >= 0)
		close(k->outfd);
	k->outfd = -1;
	if (k->pid <= 0)
		return;
	kill(k->pid, SIGTERM);
	for (i = 0; i < 100; i++) {
		if (waitpid(k->pid, &st, WNOHANG) == k->pid) {
			k->pid = 0;
			return;
		}
		usleep(50000);
	}
	kill(k->pid, SIGKILL);
	waitpid(k->pid, &st, 0);
	k->pid = 0;
}

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Names of the messages in k's Maildir/new (the .env files aside). */
static size_t
list_messages(const struct sink *k, char names[][256], size_t max)
{
	char path[600];
	struct dirent *de;
	size_t n = 0, len;
	DIR *d;

	snprintf(path, sizeof(path), "%s/new", k->dir);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || (len > 4 &&
		    strcmp(de->d_name + len - 4, ".env") == 0))
			continue;
		if (n < max)
			snprintf(names[n], 256, "%s", de->d_name);
		n++;
	}
	closedir(d);
	return n;
}

static size_t
count_messages(const struct sink *k)
{
	char names[1][256];

	return list_messages(k, names, 0);
}

static void
clear_messages(const struct sink *k)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/new", k->dir);
	nftw(path, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	mkdir(path, 0755);
}

static char *
slurp(const char *path, size_t *len)
{
	char *data;
	FILE *fp;
	long n;

	fp = fopen(path, "rb");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	data = malloc((size_t)n + 1);
	assert_int_equal(fread(data, 1, (size_t)n, fp), (size_t)n);
	data[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return data;
}

/* The only message in k's Maildir: its bytes and its envelope JSON. */
static char *
only_message(const struct sink *k, size_t *len, char **env)
{
	char names[2][256], path[900];
	size_t elen;

	assert_int_equal(list_messages(k, names, 2), 1);
	snprintf(path, sizeof(path), "%s/new/%s.env", k->dir, names[0]);
	*env = slurp(path, &elen);
	snprintf(path, sizeof(path), "%s/new/%s", k->dir, names[0]);
	return slurp(path, len);
}

static struct smtp_session *
open_session(int which, enum smtp_security sec, const char *cafile,
    const char *password, long timeout)
{
	struct smtp_session *s;
	char err[256];

	s = smtp_open("127.0.0.1", sinks[which].port, sec, cafile, USER,
	    password, timeout, err, sizeof(err));
	if (s == NULL)
		fail_msg("smtp_open: %s", err);
	return s;
}

static const char simple_msg[] =
    "From: CITES Secretariat <info@cites.example>\r\n"
    "To: someone@example.org\r\n"
    "Subject: test\r\n"
    "\r\n"
    "Hello.\r\n";

/* ---- setup ------------------------------------------------------------ */

static int
group_setup(void **state)
{
	char pki[300], cert[600], key[600], wcert[600], wkey[600];
	char passfile[600], auth[700];
	char *mk[] = { MKCERTS, pki, NULL };
	const char *tmpdir = getenv("TMPDIR");
	FILE *fp;
	int i;

	(void)state;
	snprintf(tmp, sizeof(tmp), "%s/intaked-smtp.XXXXXX",
	    tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (mkdtemp(tmp) == NULL)
		return -1;
	file_path(pki, sizeof(pki), "pki");
	if (run_wait(mk) == -1) {
		fprintf(stderr, "mkcerts failed\n");
		return -1;
	}
	snprintf(ca, sizeof(ca), "%s/ca.pem", pki);
	snprintf(other_ca, sizeof(other_ca), "%s/other-ca.pem", pki);
	snprintf(cert, sizeof(cert), "%s/server.pem", pki);
	snprintf(key, sizeof(key), "%s/server.key", pki);
	snprintf(wcert, sizeof(wcert), "%s/wrongname.pem", pki);
	snprintf(wkey, sizeof(wkey), "%s/wrongname.key", pki);
	file_path(passfile, sizeof(passfile), "smtp.pass");
	if ((fp = fopen(passfile, "w")) == NULL)
		return -1;
	fprintf(fp, "%s\n", PASSWORD);
	fclose(fp);
	snprintf(auth, sizeof(auth), "%s:%s", USER, passfile);

	for (i = 0; i < SINK_COUNT; i++)
		sinks[i].outfd = -1;
	{
		const char *main_args[] = { "--tls-cert", cert, "--tls-key",
		    key, "--auth", auth, "--reject-rcpt",
		    "rejected@example.org", "--tempfail-rcpt",
		    "later@example.org", NULL };
		const char *impl_args[] = { "--tls-cert", cert, "--tls-key",
		    key, "--implicit-tls", "--auth", auth, NULL };
		const char *noauth_args[] = { "--tls-cert", cert,
		    "--tls-key", key, NULL };
		const char *plain_args[] = { NULL };
		const char *wrong_args[] = { "--tls-cert", wcert, "--tls-key",
		    wkey, NULL };
		const char *const *args[SINK_COUNT] = { main_args, impl_args,
		    noauth_args, plain_args, wrong_args };

		for (i = 0; i < SINK_COUNT; i++)
			if (sink_start(&sinks[i], args[i]) == -1)
				return -1;
	}
	for (i = 0; i < SINK_COUNT; i++)
		if (sink_ready(&sinks[i]) == -1)
			return -1;
	if (smtp_global_init() == -1)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < SINK_COUNT; i++)
		sink_stop(&sinks[i]);
	smtp_global_cleanup();
	if (tmp[0])
		nftw(tmp, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static int
test_setup(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < SINK_COUNT; i++)
		clear_messages(&sinks[i]);
	return 0;
}

/* ---- tests ------------------------------------------------------------ */

/* A real reply over STARTTLS + AUTH arrives byte for byte, with the
 * envelope as set. */
static void
test_starttls_auth_exact(void **state)
{
	struct reply_templates *t;
	struct reply_input in;
	struct smtp_session *s;
	static const unsigned char tok[4] = { 1, 2, 3, 4 };
	char err[512], *got, *env;
	struct buf msg;
	size_t len;

	(void)state;
	assert_int_equal(reply_templates_load("templates", &t, err,
	    sizeof(err)), 0);
	memset(&in, 0, sizeof(in));
	in.kind = REPLY_MISSING;
	in.lang = LANG_FR;
	in.reference = "REQ-000042";
	in.from_name = "Secrétariat CITES";
	in.from_addr = "info@cites.example";
	in.to_addr = "jean@example.org";
	in.subject = "Demande d'accès — guépards";
	in.message_id = "abc@example.org";
	in.date = 1525687200;
	in.token = tok;
	in.token_len = sizeof(tok);
	buf_init(&msg, LIMIT_REPLY_BYTES);
	assert_int_equal(reply_render(t, &in, &msg, err, sizeof(err)), 0);
	reply_templates_free(t);

	s = open_session(SINK_MAIN, SMTP_SECURITY_STARTTLS, ca, PASSWORD,
	    TIMEOUT);
	if (smtp_send(s, "bounces@cites.example", "jean@example.org",
	    msg.data, msg.len, err, sizeof(err)) != SMTP_OK)
		fail_msg("send: %s", err);
	smtp_close(s);

	got = only_message(&sinks[SINK_MAIN], &len, &env);
	assert_int_equal(len, msg.len);
	assert_memory_equal(got, msg.data, len);
	assert_string_equal(env, "{\"mail_from\": \"bounces@cites.example\", "
	    "\"rcpt_tos\": [\"jean@example.org\"]}");
	free(got);
	free(env);
	buf_free(&msg);
}

/* Headers that name other recipients add none; dots and bare line ends
 * arrive as they should. */
static void
test_no_extra_recipients(void **state)
{
	static const char in[] =
	    "From: info@cites.example\n"
	    "To: one@example.org, two@example.org\n"
	    "Cc: cc@example.org\r\n"
	    "Bcc: bcc@example.org\r"
	    "Subject: recipients\n"
	    "\n"
	    ".\n"
	    ".x\n"
	    "..x\n"
	    "last line without end";
	static const char want[] =
	    "From: info@cites.example\r\n"
	    "To: one@example.org, two@example.org\r\n"
	    "Cc: cc@example.org\r\n"
	    "Bcc: bcc@example.org\r\n"
	    "Subject: recipients\r\n"
	    "\r\n"
	    ".\r\n"
	    ".x\r\n"
	    "..x\r\n"
	    "last line without end\r\n";
	struct smtp_session *s;
	char err[512], *got, *env;
	size_t len;

	(void)state;
	s = open_session(SINK_MAIN, SMTP_SECURITY_STARTTLS, ca, PASSWORD,
	    TIMEOUT);
	if (smtp_send(s, "bounces@cites.example", "rcpt@example.org", in,
	    sizeof(in) - 1, err, sizeof(err)) != SMTP_OK)
		fail_msg("send: %s", err);
	smtp_close(s);
	got = only_message(&sinks[SINK_MAIN], &len, &env);
	assert_int_equal(len, sizeof(want) - 1);
	assert_memory_equal(got, want, len);
	assert_string_equal(env, "{\"mail_from\": \"bounces@cites.example\", "
	    "\"rcpt_tos\": [\"rcpt@example.org\"]}");
	free(got);
	free(env);
}

/* Three messages, one session, one connection. */
static void
test_connection_reuse(void **state)
{
	struct smtp_session *s;
	char err[512];
	int i;

	(void)state;
	s = open_session(SINK_MAIN, SMTP_SECURITY_STARTTLS, ca, PASSWORD,
	    TIMEOUT);
	assert_int_equal(smtp_connections(s), 0);
	for (i = 0; i < 3; i++)
		if (smtp_send(s, "bounces@cites.example", "rcpt@example.org",
		    simple_msg, sizeof(simple_msg) - 1, err, sizeof(err)) !=
		    SMTP_OK)
			fail_msg("send %d: %s", i, err);
	assert_int_equal(smtp_connections(s), 1);
	assert_int_equal(count_messages(&sinks[SINK_MAIN]), 3);
	smtp_close(s);
}

/* A certificate from a CA we do not trust: nothing sent. */
static void
test_wrong_ca(void **state)
{
	struct smtp_session *s;
	char err[512];

	(void)state;
	s = open_session(SINK_MAIN, SMTP_SECURITY_STARTTLS, other_ca,
	    PASSWORD, TIMEOUT);
	assert_int_equal(smtp_send(s, "bounces@cites.example",
	    "rcpt@example.org", simple_msg, sizeof(simple_msg) - 1, err,
	    sizeof(err)), SMTP_TEMPFAIL);
	assert_non_null(strstr(err, "TLS"));
	smtp_close(s);

	s = open_session(SINK_IMPLICIT, SMTP_SECURITY_TLS, other_ca,
	    PASSWORD, TIMEOUT);
	assert_int_equal(smtp_send(s, "bounces@cites.example",
	    "rcpt@example.org", simple_msg, sizeof(simple_msg) - 1, err,
	    sizeof(err)), SMTP_TEMPFAIL);
	smtp_close(s);
	assert_int_equal(count_messages(&sinks[SINK_MAIN]), 0);
	assert_int_equal(count_messages(&sinks[SINK_IMPLICIT]), 0);
}

/* A certificate for another name, signed by our CA: refused too. */
static void
test_wrong_name(void **state)
{
	struct smtp_session *s;
	char err[512];

	(void)state;
	s = open_session(SINK_WRONGNAME, SMTP_SECURITY_STARTTLS, ca, NULL,
	    TIMEOUT);
	assert_int_equal(smtp_send(s, "bounces@cites.example",
	    "rcpt@example.org", simple_msg, sizeof(simple_msg) - 1, err,
	    sizeof(err)), SMTP_TEMPFAIL);
	assert_non_null(strstr(err, "TLS"));
	smtp_close(s);
	assert_int_equal(count_messages(&sinks[SINK_WRONGNAME]), 0);
}

/* 550 to RCPT: permanent; the session still works afterwards. */
static void
test_rcpt_550_permfail(void **state)
{
	struct smtp_session *s;
	char err[512];

	(void)state;
	s = open_session(SINK_MAIN, SMTP_SECURITY_STARTTLS, ca, PASSWORD,
	    TIMEOUT);
	assert_int_equal(smtp_send(s, "bounces@cites.example",
	    "rejected@example.org", simple_msg, sizeof(simple_msg) - 1, err,
	    sizeof(err)), SMTP_PERMFAIL);
	assert_non_null(strstr(err, "recipient refused"));
	assert_non_null(strstr(err, "550"));
	assert_int_equal(count_messages(&sinks[SINK_MAIN]), 0);
	if (smtp_send(s, "bounces@cites.example", "rcpt@example.org",
	    simple_msg, sizeof(simple_msg) - 1, err, sizeof(err)) != SMTP_OK)
		fail_msg("send after 550: %s", err);
	assert_int_equal(count_messages(&sinks[SINK_MAIN]), 1);
	smtp_close(s);
}

/* 451 to RCPT: try again later. */
static void
test_rcpt_451_tempfail(void **state)
{
	struct smtp_session *s;
	char err[512];

	(void)state;
	s = open_session(SINK_MAIN, SMTP_SECURITY_STARTTLS, ca, PASSWORD,
	    TIMEOUT);
	assert_int_equal(smtp_send(s, "bounces@cites.example",
	    "later@example.org", simple_msg, sizeof(simple_msg) - 1, err,
	    sizeof(err)), SMTP_TEMPFAIL);
	assert_non_null(strstr(err, "451"));
	assert_int_equal(count_messages(&sinks[SINK_MAIN]), 0);
	smtp_close(s);
}

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Nobody listening: temporary, and quick. */
static void
test_server_down(void **state)
{
	struct smtp_session *s;
	char err[512];
	unsigned port = free_port();
	double t0;

	(void)state;
	s = smtp_open("127.0.0.1", port, SMTP_SECURITY_STARTTLS, ca, USER,
	    PASSWORD, 3, err, sizeof(err));
	assert_non_null(s);
	t0 = now();
	assert_int_equal(smtp_send(s, "bounces@cites.example",
	    "rcpt@example.org", simple_msg, sizeof(simple_msg) - 1, err,
	    sizeof(err)), SMTP_TEMPFAIL);
	assert_true(now() - t0 < 4.0);
	assert_non_null(strstr(err, "cannot connect"));
	smtp_close(s);
}

/* A server that accepts the connection and never speaks: the timeout
 * ends it. */
static void
test_server_silent(void **state)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	struct smtp_session *s;
	char err[512];
	double t0;
	int fd;

	(void)state;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	s = smtp_open("127.0.0.1", ntohs(sa.sin_port), SMTP_SECURITY_STARTTLS,
	    ca, NULL, NULL, 2, err, sizeof(err));
	assert_non_null(s);
	t0 = now();
	assert_int_equal(smtp_send(s, "bounces@cites.example",
	    "rcpt@example.org", simple_msg, sizeof(simple_msg) - 1, err,
	    sizeof(err)), SMTP_TEMPFAIL);
	assert_true(now() - t0 < 4.0);
	assert_non_null(strstr(err, "timed out"));
	smtp_close(s);
	close(fd);
}

/* A refused password: temporary (fix the configuration), and the error
 * never shows the password. */
static void
test_wrong_password(void **state)
{
	static const char bad[] = "Wr0ng-Pa55word-XYZ";
	struct smtp_session *s;
	char err[512];

	(void)state;
	s = open_session(SINK_MAIN, SMTP_SECURITY_STARTTLS, ca, bad, TIMEOUT);
	assert_int_equal(smtp_send(s, "bounces@cites.example",
	    "rcpt@example.org", simple_msg, sizeof(simple_msg) - 1, err,
	    sizeof(err)), SMTP_TEMPFAIL);
	assert_non_null(strstr(err, "authentication failed"));
	assert_null(strstr(err, bad));
	assert_null(strstr(err, "Wr0ng"));
	assert_int_equal(count_messages(&sinks[SINK_MAIN]), 0);
	smtp_close(s);
}

/* No password to a server that requires AUTH: 530, temporary. */
static void
test_auth_required_530(void **state)
{
	struct smtp_session *s;
	char err[512];

	(void)state;
	s = open_session(SINK_MAIN, SMTP_SECURITY_STARTTLS, ca, NULL, TIMEOUT);
	assert_int_equal(smtp_send(s, "bounces@cites.example",
	    "rcpt@example.org", simple_msg, sizeof(simple_msg) - 1, err,
	    sizeof(err)), SMTP_TEMPFAIL);
	assert_non_null(strstr(err, "530"));
	assert_int_equal(count_messages(&sinks[SINK_MAIN]), 0);
	smtp_close(s);
}

static void
test_implicit_tls(void **state)
{
	struct smtp_session *s;
	char err[512], *got, *env;
	size_t len;

	(void)state;
	s = open_session(SINK_IMPLICIT, SMTP_SECURITY_TLS, ca, PASSWORD,
	    TIMEOUT);
	if (smtp_send(s, "bounces@cites.example", "rcpt@example.org",
	    simple_msg, sizeof(simple_msg) - 1, err, sizeof(err)) != SMTP_OK)
		fail_msg("send: %s", err);
	smtp_close(s);
	got = only_message(&sinks[SINK_IMPLICIT], &len, &env);
	assert_int_equal(len, sizeof(simple_msg) - 1);
	assert_memory_equal(got, simple_msg, len);
	free(got);
	free(env);
}

/*
 * The pitfall: with a password configured, curl would send without AUTH
 * to a server that offers none.  We must not.  Without a password the
 * same server takes the message (so the refusal is ours).
 */
static void
test_auth_not_offered(void **state)
{
	struct smtp_session *s;
	char err[512];

	(void)state;
	s = open_session(SINK_NOAUTH, SMTP_SECURITY_STARTTLS, ca, PASSWORD,
	    TIMEOUT);
	assert_int_equal(smtp_send(s, "bounces@cites.example",
	    "rcpt@example.org", simple_msg, sizeof(simple_msg) - 1, err,
	    sizeof(err)), SMTP_TEMPFAIL);
	assert_non_null(strstr(err, "offers no AUTH"));
	assert_null(strstr(err, PASSWORD));
	/* And again on the same session: still refused. */
	assert_int_equal(smtp_send(s, "bounces@cites.example",
	    "rcpt@example.org", simple_msg, sizeof(simple_msg) - 1, err,
	    sizeof(err)), SMTP_TEMPFAIL);
	smtp_close(s);
	assert_int_equal(count_messages(&sinks[SINK_NOAUTH]), 0);

	/* Plain text to a loopback server, same story. */
	s = open_session(SINK_PLAIN, SMTP_SECURITY_NONE, NULL, PASSWORD,
	    TIMEOUT);
	assert_int_equal(smtp_send(s, "bounces@cites.example",
	    "rcpt@example.org", simple_msg, sizeof(simple_msg) - 1, err,
	    sizeof(err)), SMTP_TEMPFAIL);
	smtp_close(s);
	assert_int_equal(count_messages(&sinks[SINK_PLAIN]), 0);

	s = open_session(SINK_NOAUTH, SMTP_SECURITY_STARTTLS, ca, NULL,
	    TIMEOUT);
	if (smtp_send(s, "bounces@cites.example", "rcpt@example.org",
	    simple_msg, sizeof(simple_msg) - 1, err, sizeof(err)) != SMTP_OK)
		fail_msg("send without password: %s", err);
	smtp_close(s);
	assert_int_equal(count_messages(&sinks[SINK_NOAUTH]), 1);
}

/* STARTTLS required but not offered: never falls back to plain text. */
static void
test_starttls_not_offered(void **state)
{
	struct smtp_session *s;
	char err[512];

	(void)state;
	s = open_session(SINK_PLAIN, SMTP_SECURITY_STARTTLS, ca, NULL,
	    TIMEOUT);
	assert_int_equal(smtp_send(s, "bounces@cites.example",
	    "rcpt@example.org", simple_msg, sizeof(simple_msg) - 1, err,
	    sizeof(err)), SMTP_TEMPFAIL);
	assert_non_null(strstr(err, "STARTTLS"));
	smtp_close(s);
	assert_int_equal(count_messages(&sinks[SINK_PLAIN]), 0);

	/* The same server in plain text, no password: delivered. */
	s = open_session(SINK_PLAIN, SMTP_SECURITY_NONE, NULL, NULL, TIMEOUT);
	if (smtp_send(s, "bounces@cites.example", "rcpt@example.org",
	    simple_msg, sizeof(simple_msg) - 1, err, sizeof(err)) != SMTP_OK)
		fail_msg("plain send: %s", err);
	smtp_close(s);
	assert_int_equal(count_messages(&sinks[SINK_PLAIN]), 1);
}

/* Addresses curl must never see. */
static void
test_bad_addresses(void **state)
{
	struct smtp_session *s;
	char err[512];

	(void)state;
	s = open_session(SINK_MAIN, SMTP_SECURITY_STARTTLS, ca, PASSWORD,
	    TIMEOUT);
	assert_int_equal(smtp_send(s, "bounces@cites.example",
	    "jürgen@example.de", simple_msg, sizeof(simple_msg) - 1, err,
	    sizeof(err)), SMTP_PERMFAIL);
	assert_non_null(strstr(err, "ASCII"));
	assert_int_equal(smtp_send(s, "bounces@cites.example",
	    "a@example.org>\r\nRCPT TO:<evil@example.org", simple_msg,
	    sizeof(simple_msg) - 1, err, sizeof(err)), SMTP_PERMFAIL);
	assert_int_equal(smtp_send(s, "bounces@cites.example", "", simple_msg,
	    sizeof(simple_msg) - 1, err, sizeof(err)), SMTP_PERMFAIL);
	assert_int_equal(smtp_send(s, "bounces@exämple.org",
	    "rcpt@example.org", simple_msg, sizeof(simple_msg) - 1, err,
	    sizeof(err)), SMTP_TEMPFAIL);
	assert_int_equal(smtp_send(s, "", "rcpt@example.org", simple_msg,
	    sizeof(simple_msg) - 1, err, sizeof(err)), SMTP_TEMPFAIL);
	assert_int_equal(smtp_connections(s), 0);
	smtp_close(s);
	assert_int_equal(count_messages(&sinks[SINK_MAIN]), 0);
}

static void
test_open_arguments(void **state)
{
	char err[256];

	(void)state;
	assert_null(smtp_open("mail/evil", 25, SMTP_SECURITY_TLS, NULL, NULL,
	    NULL, 10, err, sizeof(err)));
	assert_null(smtp_open("127.0.0.1", 0, SMTP_SECURITY_TLS, NULL, NULL,
	    NULL, 10, err, sizeof(err)));
	assert_null(smtp_open("127.0.0.1", 25, SMTP_SECURITY_TLS, NULL, NULL,
	    NULL, 0, err, sizeof(err)));
	assert_null(smtp_open("127.0.0.1", 25, SMTP_SECURITY_TLS, NULL, NULL,
	    "pw", 10, err, sizeof(err)));
	assert_null(smtp_open("mail.example.org", 25, SMTP_SECURITY_NONE,
	    NULL, "u", "pw", 10, err, sizeof(err)));
	assert_non_null(strstr(err, "without TLS"));
	smtp_close(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_starttls_auth_exact, test_setup),
		cmocka_unit_test_setup(test_no_extra_recipients, test_setup),
		cmocka_unit_test_setup(test_connection_reuse, test_setup),
		cmocka_unit_test_setup(test_wrong_ca, test_setup),
		cmocka_unit_test_setup(test_wrong_name, test_setup),
		cmocka_unit_test_setup(test_rcpt_550_permfail, test_setup),
		cmocka_unit_test_setup(test_rcpt_451_tempfail, test_setup),
		cmocka_unit_test_setup(test_server_down, test_setup),
		cmocka_unit_test_setup(test_server_silent, test_setup),
		cmocka_unit_test_setup(test_wrong_password, test_setup),
		cmocka_unit_test_setup(test_auth_required_530, test_setup),
		cmocka_unit_test_setup(test_implicit_tls, test_setup),
		cmocka_unit_test_setup(test_auth_not_offered, test_setup),
		cmocka_unit_test_setup(test_starttls_not_offered, test_setup),
		cmocka_unit_test_setup(test_bad_addresses, test_setup),
		cmocka_unit_test(test_open_arguments),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
