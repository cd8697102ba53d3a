/*
 * imap.c -- intaked's IMAP client over libetpan (see imap.h).
 *
 * The session is an explicit state machine in the manner of fdm's
 * imap-common.c: imap_connect() runs one small function per protocol step
 * (connect, TLS, verify, greeting, STARTTLS, capability, login), each doing
 * one exchange and naming the next state through imap_set_state(), the only
 * place the state changes.  After login the session is AUTHENTICATED,
 * SELECTED or IDLE, and DEAD once the link cannot be used any more.
 *
 * libetpan's error codes become the five failure classes in one function,
 * imap_fail_etpan(); nothing else looks at MAILIMAP_ERROR_*.
 *
 * Every byte goes through a small mailstream driver of ours stacked on
 * libetpan's socket or TLS driver, "the guard", which adds what libetpan
 * 1.9.4 lacks:
 *  - a wall-clock deadline per command, checked before every read and write
 *    and used to shorten each read's own timeout, so a server trickling one
 *    byte at a time still ends the command;
 *  - end of file is an error.  libetpan's socket driver returns 0 at EOF,
 *    and its literal reader waits for the rest of a literal in a loop that
 *    only stops on -1: a server closing after "{1000}" and ten bytes spins
 *    it forever at full CPU.  The guard returns -1, the reader gives up with
 *    MAILIMAP_ERROR_STREAM.  (The TLS driver already turns EOF into -1.)
 * The daemon's watchdog remains the last resort for anything else.
 *
 * Bodies are streamed: libetpan's body handler hands us literal bytes as
 * they arrive, into one capped buffer, and its message handler hands over
 * each complete message, which goes to the caller and is dropped.  A batch
 * never sits in memory whole, and the length a literal announces is never
 * trusted for an allocation.
 *
 * The password is used for LOGIN and never copied or logged; libetpan's own
 * protocol logger stays off.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libetpan/libetpan.h>

#include "buf.h"
#include "imap.h"
#include "limits.h"
#include "log.h"
#include "tls.h"
#include "xmalloc.h"

#define IMAP_DEFAULT_TIMEOUT	60	/* seconds */
#define IMAP_TEXT_MAX		160	/* server text quoted in an error */
#define IMAP_CONNECT_STEPS	16	/* a connect never takes more */

enum imap_state {
	IMAP_ST_CONNECT,
	IMAP_ST_TLS,
	IMAP_ST_VERIFY,
	IMAP_ST_GREETING,
	IMAP_ST_STARTTLS,
	IMAP_ST_CAPABILITY1,
	IMAP_ST_LOGIN,
	IMAP_ST_CAPABILITY2,
	IMAP_ST_AUTHENTICATED,
	IMAP_ST_SELECTED,
	IMAP_ST_IDLE,
	IMAP_ST_DEAD,
};

static const char *const imap_state_names[] = {
	[IMAP_ST_CONNECT] = "connect",
	[IMAP_ST_TLS] = "tls",
	[IMAP_ST_VERIFY] = "verify",
	[IMAP_ST_GREETING] = "greeting",
	[IMAP_ST_STARTTLS] = "starttls",
	[IMAP_ST_CAPABILITY1] = "capability1",
	[IMAP_ST_LOGIN] = "login",
	[IMAP_ST_CAPABILITY2] = "capability2",
	[IMAP_ST_AUTHENTICATED] = "authenticated",
	[IMAP_ST_SELECTED] = "selected",
	[IMAP_ST_IDLE] = "idle",
	[IMAP_ST_DEAD] = "dead",
};

struct imap_session {
	mailimap		*imap;
	mailstream		*stream;	/* ours until the greeting */
	int			 fd;		/* ours until a stream has it */
	enum imap_state		 state;
	const struct imap_params *p;		/* during imap_connect() only */

	char			*host;
	unsigned int		 port;
	enum imap_security	 security;
	char			*ca_file;
	unsigned int		 timeout;	/* seconds per read */
	int			 tls;		/* TLS is up */
	int			 greeted;
	int			 preauth;

	/* The guard's view of the command in progress. */
	int64_t			 deadline;	/* monotonic ms; 0: none */
	unsigned int		 slice;		/* s; caps one read (IDLE) */
	int			 timed_out;
	int			 eof;

	int			 delim_known;
	char			 delim;
	int			 readwrite;
	int			 can_keywords;
	char			 errbuf[512];
};

/* One body UID FETCH batch, seen from libetpan's handlers. */
struct imap_fetch {
	struct imap_session		*s;
	const struct imap_msg_info	*msgs;
	unsigned char			*done;
	size_t				 n;
	struct buf			 body;	/* current literal, capped */
	size_t				 got;	/* its bytes, kept or not */
	int				 toobig;
	int				 stopped;
	imap_body_cb			*cb;
	void				*arg;
};

static int	imap_state_connect(struct imap_session *);
static int	imap_state_tls(struct imap_session *);
static int	imap_state_verify(struct imap_session *);
static int	imap_state_greeting(struct imap_session *);
static int	imap_state_starttls(struct imap_session *);
static int	imap_state_capability1(struct imap_session *);
static int	imap_state_login(struct imap_session *);
static int	imap_state_capability2(struct imap_session *);

/* The connect sequence: each step does one exchange, names the next. */
static int (*const imap_steps[])(struct imap_session *) = {
	[IMAP_ST_CONNECT] = imap_state_connect,
	[IMAP_ST_TLS] = imap_state_tls,
	[IMAP_ST_VERIFY] = imap_state_verify,
	[IMAP_ST_GREETING] = imap_state_greeting,
	[IMAP_ST_STARTTLS] = imap_state_starttls,
	[IMAP_ST_CAPABILITY1] = imap_state_capability1,
	[IMAP_ST_LOGIN] = imap_state_login,
	[IMAP_ST_CAPABILITY2] = imap_state_capability2,
};

static const char *const imap_error_names[] = {
	"ok", "connect", "tls-verify", "auth", "protocol", "gone",
};

const char *
imap_error_name(int e)
{
	if (e > 0)
		e = 0;
	if (e < IMAP_ERR_GONE)
		return "unknown";
	return imap_error_names[-e];
}

static int64_t
imap_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
imap_set_state(struct imap_session *s, enum imap_state st)
{
	if (s->state != st)
		log_debug("imap %s:%u: %s -> %s", s->host, s->port,
		    imap_state_names[s->state], imap_state_names[st]);
	s->state = st;
}

/*
 * Arm the guard for one command: it may take two timeouts plus the time
 * `bytes' need at LIMIT_IMAP_MIN_RATE.
 */
static void
imap_arm(struct imap_session *s, uint64_t bytes)
{
	uint64_t secs;

	secs = 2 * (uint64_t)s->timeout + bytes / LIMIT_IMAP_MIN_RATE;
	if (secs > 24 * 3600)
		secs = 24 * 3600;
	s->deadline = imap_now() + (int64_t)secs * 1000;
	s->timed_out = 0;
	s->eof = 0;
}

/* -- errors: every failure is classified here, once ------------------- */

static int
imap_failf(struct imap_session *s, int class, int dead, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
imap_failf(struct imap_session *s, int class, int dead, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(s->errbuf, sizeof(s->errbuf), "imap %s:%u: ", s->host,
	    s->port);
	if (n < 0 || (size_t)n >= sizeof(s->errbuf))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(s->errbuf + n, sizeof(s->errbuf) - (size_t)n, fmt, ap);
	va_end(ap);
	if (dead)
		imap_set_state(s, IMAP_ST_DEAD);
	return class;
}

/* The server's text from its last tagged answer, printable and short. */
static const char *
imap_server_text(struct imap_session *s, char *out, size_t outlen)
{
	const char *t = NULL;
	size_t i, j;

	if (s->imap != NULL)
		t = s->imap->imap_response;
	if (t == NULL || *t == '\0')
		t = "(no text)";
	for (i = j = 0; t[i] != '\0' && j + 1 < outlen && i < IMAP_TEXT_MAX;
	    i++)
		out[j++] = (t[i] >= 0x20 && t[i] < 0x7f) ? t[i] : '?';
	out[j] = '\0';
	return out;
}

/* The response code of the last tagged answer, when libetpan keeps it. */
static int
imap_code_is(struct imap_session *s, const char *code)
{
	const char *atom = NULL;

	if (s->imap != NULL && s->imap->imap_response_info != NULL)
		atom = s->imap->imap_response_info->rsp_atom;
	return atom != NULL && strcasecmp(atom, code) == 0;
}

static int
imap_fail_etpan(struct imap_session *s, int r, const char *what)
{
	char text[IMAP_TEXT_MAX + 1];

	if (s->timed_out)
		return imap_failf(s, IMAP_ERR_CONNECT, 1, "%s: timed out",
		    what);
	if (s->eof)
		return imap_failf(s, IMAP_ERR_CONNECT, 1, "%s: connection "
		    "closed by the server", what);
	imap_server_text(s, text, sizeof(text));
	switch (r) {
	case MAILIMAP_ERROR_STREAM:
	case MAILIMAP_ERROR_CONNECTION_REFUSED:
	case MAILIMAP_ERROR_SSL:
	case MAILIMAP_ERROR_BAD_STATE:
	case MAILIMAP_ERROR_NEEDS_MORE_DATA:
		return imap_failf(s, IMAP_ERR_CONNECT, 1, "%s: connection "
		    "failed or lost", what);
	case MAILIMAP_ERROR_MEMORY:
		return imap_failf(s, IMAP_ERR_CONNECT, 1, "%s: out of memory",
		    what);
	case MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION:
	case MAILIMAP_ERROR_FATAL:
		return imap_failf(s, IMAP_ERR_CONNECT, 1, "%s: server ended "
		    "the session: %s", what, text);
	case MAILIMAP_ERROR_PARSE:
		return imap_failf(s, IMAP_ERR_PROTO, 1, "%s: response not "
		    "understood", what);
	case MAILIMAP_ERROR_STARTTLS:
		return imap_failf(s, IMAP_ERR_TLS_VERIFY, 1, "%s: refused or "
		    "tampered with: %s", what, text);
	case MAILIMAP_ERROR_PROTOCOL:
		/* BAD, or a tag out of step; in STARTTLS it means no TLS. */
		if (s->state == IMAP_ST_STARTTLS)
			return imap_failf(s, IMAP_ERR_TLS_VERIFY, 1, "%s: "
			    "refused: %s", what, text);
		return imap_failf(s, IMAP_ERR_PROTO, 0, "%s: rejected: %s",
		    what, text);
	case MAILIMAP_ERROR_LOGIN:
	case MAILIMAP_ERROR_SASL:
		if (imap_code_is(s, "UNAVAILABLE"))
			return imap_failf(s, IMAP_ERR_CONNECT, 1, "%s: "
			    "temporary failure: %s", what, text);
		return imap_failf(s, IMAP_ERR_AUTH, 1, "%s: refused: %s",
		    what, text);
	case MAILIMAP_ERROR_SELECT:
	case MAILIMAP_ERROR_EXAMINE:
		/*
		 * libetpan 1.9.4 drops the [NONEXISTENT] code; a mailbox we
		 * cannot open is gone for us whatever the reason.
		 */
		return imap_failf(s, IMAP_ERR_GONE, 0, "%s: cannot open the "
		    "mailbox: %s", what, text);
	case MAILIMAP_ERROR_COPY:
	case MAILIMAP_ERROR_UID_COPY:
	case MAILIMAP_ERROR_MOVE:
	case MAILIMAP_ERROR_UID_MOVE:
		if (s->imap != NULL && s->imap->imap_response_info != NULL &&
		    s->imap->imap_response_info->rsp_trycreate)
			return imap_failf(s, IMAP_ERR_GONE, 0, "%s: no such "
			    "folder: %s", what, text);
		break;
	default:
		break;
	}
	return imap_failf(s, IMAP_ERR_PROTO, 0, "%s: refused: %s", what,
	    text);
}

/* Start a public call: a dead session fails at once. */
static int
imap_begin(struct imap_session *s, int need_selected)
{
	s->errbuf[0] = '\0';
	s->slice = 0;
	if (s->state == IMAP_ST_DEAD)
		return imap_failf(s, IMAP_ERR_CONNECT, 0, "session already "
		    "failed; reconnect");
	if (need_selected && s->state != IMAP_ST_SELECTED)
		return imap_failf(s, IMAP_ERR_PROTO, 0, "no mailbox selected");
	imap_arm(s, 0);
	return 0;
}

static int
imap_end(struct imap_session *s, int r, char *err, size_t errlen)
{
	s->deadline = 0;
	s->slice = 0;
	if (r < 0 && err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", s->errbuf);
	return r;
}

/* -- the guard: a mailstream driver stacked on libetpan's ------------- */

struct imap_guard {
	mailstream_low		*inner;
	struct imap_session	*s;
};

/* Give the next read or write the time the deadline still allows. */
static int
imap_guard_arm(struct imap_guard *g)
{
	struct imap_session *s = g->s;
	int64_t left;
	time_t t = s->timeout;

	if (s->deadline != 0) {
		left = s->deadline - imap_now();
		if (left <= 0) {
			s->timed_out = 1;
			return -1;
		}
		if ((left + 999) / 1000 < (int64_t)t)
			t = (time_t)((left + 999) / 1000);
	}
	if (s->slice != 0 && (time_t)s->slice < t)
		t = s->slice;
	mailstream_low_set_timeout(g->inner, t);
	return 0;
}

static ssize_t
imap_guard_read(mailstream_low *low, void *buf, size_t count)
{
	struct imap_guard *g = low->data;
	ssize_t r;

	if (imap_guard_arm(g) == -1)
		return -1;
	r = mailstream_low_read(g->inner, buf, count);
	if (r == 0) {
		g->s->eof = 1;
		return -1;
	}
	return r;
}

static ssize_t
imap_guard_write(mailstream_low *low, const void *buf, size_t count)
{
	struct imap_guard *g = low->data;

	if (imap_guard_arm(g) == -1)
		return -1;
	return mailstream_low_write(g->inner, buf, count);
}

static int
imap_guard_close(mailstream_low *low)
{
	struct imap_guard *g = low->data;

	return mailstream_low_close(g->inner);
}

static int
imap_guard_get_fd(mailstream_low *low)
{
	struct imap_guard *g = low->data;

	return mailstream_low_get_fd(g->inner);
}

static void
imap_guard_free(mailstream_low *low)
{
	struct imap_guard *g = low->data;

	mailstream_low_free(g->inner);
	free(g);
	free(low);
}

static void
imap_guard_cancel(mailstream_low *low)
{
	struct imap_guard *g = low->data;

	mailstream_low_cancel(g->inner);
}

static struct mailstream_cancel *
imap_guard_get_cancel(mailstream_low *low)
{
	struct imap_guard *g = low->data;

	return mailstream_low_get_cancel(g->inner);
}

static carray *
imap_guard_get_chain(mailstream_low *low)
{
	struct imap_guard *g = low->data;

	return mailstream_low_get_certificate_chain(g->inner);
}

static int
imap_guard_setup_idle(mailstream_low *low)
{
	struct imap_guard *g = low->data;

	return mailstream_low_setup_idle(g->inner);
}

static int
imap_guard_unsetup_idle(mailstream_low *low)
{
	struct imap_guard *g = low->data;

	return mailstream_low_unsetup_idle(g->inner);
}

static int
imap_guard_interrupt_idle(mailstream_low *low)
{
	struct imap_guard *g = low->data;

	return mailstream_low_interrupt_idle(g->inner);
}

static mailstream_low_driver imap_guard_driver = {
	.mailstream_read = imap_guard_read,
	.mailstream_write = imap_guard_write,
	.mailstream_close = imap_guard_close,
	.mailstream_get_fd = imap_guard_get_fd,
	.mailstream_free = imap_guard_free,
	.mailstream_cancel = imap_guard_cancel,
	.mailstream_get_cancel = imap_guard_get_cancel,
	.mailstream_get_certificate_chain = imap_guard_get_chain,
	.mailstream_setup_idle = imap_guard_setup_idle,
	.mailstream_unsetup_idle = imap_guard_unsetup_idle,
	.mailstream_interrupt_idle = imap_guard_interrupt_idle,
};

/* Stack the guard on stream's driver (again after STARTTLS swapped it). */
static int
imap_guard_stream(struct imap_session *s, mailstream *stream)
{
	mailstream_low *inner, *low;
	struct imap_guard *g;

	inner = mailstream_get_low(stream);
	if (inner == NULL || inner->driver == &imap_guard_driver)
		return 0;
	g = xcalloc(1, sizeof(*g));
	g->inner = inner;
	g->s = s;
	if ((low = mailstream_low_new(g, &imap_guard_driver)) == NULL) {
		free(g);
		return imap_failf(s, IMAP_ERR_CONNECT, 1, "out of memory");
	}
	mailstream_set_low(stream, low);
	return 0;
}

/* -- connecting: the state machine ------------------------------------- */

static int
imap_is_ip_literal(const char *host)
{
	unsigned char a[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, a) == 1 ||
	    inet_pton(AF_INET6, host, a) == 1;
}

/* TCP to host:port within the deadline; the socket is close-on-exec. */
static int
imap_tcp_connect(struct imap_session *s)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct pollfd pfd;
	char port[16];
	socklen_t sl;
	int64_t left;
	int fd, r, e = ECONNREFUSED, so, fl;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", s->port);
	if ((r = getaddrinfo(s->host, port, &hints, &res)) != 0)
		return imap_failf(s, IMAP_ERR_CONNECT, 1, "cannot resolve: %s",
		    gai_strerror(r));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd == -1) {
			e = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			goto connected;
		e = errno;
		while (e == EINPROGRESS) {
			left = s->deadline - imap_now();
			if (left <= 0) {
				e = ETIMEDOUT;
				break;
			}
			pfd.fd = fd;
			pfd.events = POLLOUT;
			r = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX :
			    (int)left);
			if (r == -1 && errno == EINTR)
				continue;
			if (r <= 0) {
				e = r == 0 ? ETIMEDOUT : errno;
				break;
			}
			sl = sizeof(so);
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so,
			    &sl) == -1)
				e = errno;
			else if (so != 0)
				e = so;
			else
				goto connected;
		}
		close(fd);
		if (e == ETIMEDOUT)
			break;
	}
	freeaddrinfo(res);
	return imap_failf(s, IMAP_ERR_CONNECT, 1, "connect: %s", strerror(e));

 connected:
	freeaddrinfo(res);
	/* libetpan's TLS handshake wants a blocking socket. */
	if ((fl = fcntl(fd, F_GETFL)) != -1)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	s->fd = fd;
	return 0;
}

static int
imap_state_connect(struct imap_session *s)
{
	int r;

	if ((r = imap_tcp_connect(s)) < 0)
		return r;
	if (s->security == IMAP_SEC_TLS) {
		imap_set_state(s, IMAP_ST_TLS);
		return 0;
	}
	s->stream = mailstream_socket_open_timeout(s->fd, s->timeout);
	if (s->stream == NULL)
		return imap_failf(s, IMAP_ERR_CONNECT, 1, "out of memory");
	s->fd = -1;
	if ((r = imap_guard_stream(s, s->stream)) < 0)
		return r;
	imap_set_state(s, IMAP_ST_GREETING);
	return 0;
}

/* libetpan calls this before the handshake: set SNI (not for an IP). */
static void
imap_tls_setup(struct mailstream_ssl_context *ctx, void *arg)
{
	struct imap_session *s = arg;

	if (!imap_is_ip_literal(s->host))
		(void)mailstream_ssl_set_server_name(ctx, s->host);
}

static int
imap_state_tls(struct imap_session *s)
{
	int r;

	s->stream = mailstream_ssl_open_with_callback_timeout(s->fd,
	    s->timeout, imap_tls_setup, s);
	if (s->stream == NULL)
		return imap_failf(s, IMAP_ERR_CONNECT, 1, "TLS handshake "
		    "failed");
	s->fd = -1;
	s->tls = 1;
	if ((r = imap_guard_stream(s, s->stream)) < 0)
		return r;
	imap_set_state(s, IMAP_ST_VERIFY);
	return 0;
}

/* The certificate is checked before a single byte goes to the server. */
static int
imap_state_verify(struct imap_session *s)
{
	struct tls_der der[TLS_CHAIN_MAX];
	char why[400];
	mailstream *stream;
	MMAPString *m;
	carray *chain;
	unsigned int i, n;
	int r;

	stream = s->stream != NULL ? s->stream : s->imap->imap_stream;
	if (stream == NULL ||
	    (chain = mailstream_get_certificate_chain(stream)) == NULL)
		return imap_failf(s, IMAP_ERR_TLS_VERIFY, 1, "no server "
		    "certificate");
	n = carray_count(chain);
	if (n > TLS_CHAIN_MAX) {
		mailstream_certificate_chain_free(chain);
		return imap_failf(s, IMAP_ERR_TLS_VERIFY, 1, "server sent %u "
		    "certificates, more than %d", n, TLS_CHAIN_MAX);
	}
	for (i = 0; i < n; i++) {
		m = carray_get(chain, i);
		der[i].data = (const unsigned char *)m->str;
		der[i].len = m->len;
	}
	r = tls_verify_chain(der, n, s->host, s->ca_file, why, sizeof(why));
	mailstream_certificate_chain_free(chain);
	if (r != 0)
		return imap_failf(s, IMAP_ERR_TLS_VERIFY, 1, "%s", why);
	log_debug("imap %s:%u: certificate verified", s->host, s->port);
	imap_set_state(s, s->greeted ? IMAP_ST_CAPABILITY1 : IMAP_ST_GREETING);
	return 0;
}

static int
imap_state_greeting(struct imap_session *s)
{
	mailstream *stream = s->stream;
	int r;

	s->stream = NULL;
	r = mailimap_connect(s->imap, stream);
	if (s->imap->imap_stream != stream)
		mailstream_close(stream);
	if (r == MAILIMAP_NO_ERROR_AUTHENTICATED)
		s->preauth = 1;
	else if (r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED)
		return imap_fail_etpan(s, r, "greeting");
	s->greeted = 1;
	if (s->security == IMAP_SEC_STARTTLS && !s->tls) {
		/* A session authenticated in clear can never start TLS. */
		if (s->preauth)
			return imap_failf(s, IMAP_ERR_TLS_VERIFY, 1, "PREAUTH "
			    "greeting: cannot start TLS");
		imap_set_state(s, IMAP_ST_STARTTLS);
	} else
		imap_set_state(s, IMAP_ST_CAPABILITY1);
	return 0;
}

/*
 * STARTTLS straight away: capabilities sent in clear could be forged, so
 * they are asked for only once TLS is up.  Refused means refused, never a
 * fallback to plaintext.
 */
static int
imap_state_starttls(struct imap_session *s)
{
	int r;

	r = mailimap_socket_starttls_with_callback(s->imap, imap_tls_setup, s);
	if (r == MAILIMAP_ERROR_STREAM && !s->eof && !s->timed_out)
		return imap_failf(s, IMAP_ERR_CONNECT, 1, "STARTTLS: TLS "
		    "handshake failed");
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail_etpan(s, r, "STARTTLS");
	s->tls = 1;
	if ((r = imap_guard_stream(s, s->imap->imap_stream)) < 0)
		return r;
	imap_set_state(s, IMAP_ST_VERIFY);
	return 0;
}

static int
imap_capability(struct imap_session *s)
{
	struct mailimap_capability_data *cap = NULL;
	int r;

	r = mailimap_capability(s->imap, &cap);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail_etpan(s, r, "CAPABILITY");
	mailimap_capability_data_free(cap);
	return 0;
}

static int
imap_state_capability1(struct imap_session *s)
{
	int r;

	if ((r = imap_capability(s)) < 0)
		return r;
	imap_set_state(s, s->preauth ? IMAP_ST_AUTHENTICATED : IMAP_ST_LOGIN);
	return 0;
}

static int
imap_state_login(struct imap_session *s)
{
	const struct imap_params *p = s->p;
	char what[128];
	int r;

	if (mailimap_has_extension(s->imap, "LOGINDISABLED")) {
		if (!mailimap_has_authentication(s->imap, "PLAIN"))
			return imap_failf(s, IMAP_ERR_AUTH, 1, "server "
			    "disables LOGIN and offers no AUTH=PLAIN");
		snprintf(what, sizeof(what), "AUTHENTICATE PLAIN as %s",
		    p->user);
		log_debug("imap %s:%u: LOGINDISABLED, using AUTHENTICATE "
		    "PLAIN", s->host, s->port);
		r = mailimap_authenticate(s->imap, "PLAIN", s->host, NULL,
		    NULL, p->user, p->user, p->password, NULL);
	} else {
		snprintf(what, sizeof(what), "LOGIN as %s", p->user);
		r = mailimap_login(s->imap, p->user, p->password);
	}
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail_etpan(s, r, what);
	imap_set_state(s, IMAP_ST_CAPABILITY2);
	return 0;
}

/* Capabilities change at login (MOVE, UIDPLUS appear): ask again. */
static int
imap_state_capability2(struct imap_session *s)
{
	int r;

	if ((r = imap_capability(s)) < 0)
		return r;
	imap_set_state(s, IMAP_ST_AUTHENTICATED);
	return 0;
}

int
imap_connect(const struct imap_params *p, struct imap_session **out,
    char *err, size_t errlen)
{
	struct imap_session *s;
	int r = 0, steps = 0;

	*out = NULL;
	if (p->host == NULL || *p->host == '\0' || p->port == 0 ||
	    p->port > 65535 || p->user == NULL || p->password == NULL ||
	    (p->security != IMAP_SEC_TLS && p->security != IMAP_SEC_STARTTLS &&
	    p->security != IMAP_SEC_NONE)) {
		snprintf(err, errlen, "imap: incomplete connection parameters");
		return IMAP_ERR_PROTO;
	}
	s = xcalloc(1, sizeof(*s));
	s->fd = -1;
	s->host = xstrdup(p->host);
	s->port = p->port;
	s->security = p->security;
	s->ca_file = p->ca_file != NULL && *p->ca_file != '\0' ?
	    xstrdup(p->ca_file) : NULL;
	s->timeout = p->timeout != 0 ? p->timeout : IMAP_DEFAULT_TIMEOUT;
	s->state = IMAP_ST_CONNECT;
	if ((s->imap = mailimap_new(0, NULL)) == NULL) {
		r = imap_failf(s, IMAP_ERR_CONNECT, 1, "out of memory");
		goto fail;
	}
	mailimap_set_timeout(s->imap, s->timeout);
	s->p = p;
	log_debug("imap %s:%u: connecting (%s)", s->host, s->port,
	    s->security == IMAP_SEC_TLS ? "tls" :
	    s->security == IMAP_SEC_STARTTLS ? "starttls" : "plaintext");
	while (s->state != IMAP_ST_AUTHENTICATED) {
		if (s->state > IMAP_ST_CAPABILITY2 ||
		    ++steps > IMAP_CONNECT_STEPS) {
			r = imap_failf(s, IMAP_ERR_PROTO, 1, "connect ended "
			    "in state %s", imap_state_names[s->state]);
			break;
		}
		imap_arm(s, 0);
		if ((r = imap_steps[s->state](s)) < 0)
			break;
	}
	s->p = NULL;
	s->deadline = 0;
	if (r < 0)
		goto fail;
	*out = s;
	return 0;

 fail:
	s->p = NULL;
	snprintf(err, errlen, "%s", s->errbuf);
	imap_close(s);
	return r;
}

void
imap_close(struct imap_session *s)
{
	if (s == NULL)
		return;
	if (s->imap != NULL) {
		if (s->imap->imap_stream != NULL) {
			if (s->state != IMAP_ST_DEAD) {
				/* Polite and bounded; closes the stream. */
				imap_arm(s, 0);
				s->deadline = imap_now() +
				    (int64_t)s->timeout * 1000;
				(void)mailimap_logout(s->imap);
			} else {
				/* Dead link: no LOGOUT that could block. */
				mailstream_close(s->imap->imap_stream);
				s->imap->imap_stream = NULL;
			}
		}
		mailimap_free(s->imap);
	}
	if (s->stream != NULL)
		mailstream_close(s->stream);
	if (s->fd != -1)
		close(s->fd);
	free(s->host);
	free(s->ca_file);
	free(s);
}

int
imap_has_idle(const struct imap_session *s)
{
	return s->state != IMAP_ST_DEAD && mailimap_has_idle(s->imap);
}

int
imap_has_move(const struct imap_session *s)
{
	return mailimap_has_extension(s->imap, "MOVE");
}

int
imap_has_uidplus(const struct imap_session *s)
{
	return mailimap_has_extension(s->imap, "UIDPLUS");
}

/* -- folder names ------------------------------------------------------ */

/* One code point from UTF-8 at *pp (advanced); -1 when invalid. */
static int32_t
imap_utf8_next(const unsigned char **pp)
{
	const unsigned char *p = *pp;
	int32_t cp, min;
	int n, i;

	if (p[0] < 0x80) {
		*pp = p + 1;
		return p[0];
	} else if ((p[0] & 0xe0) == 0xc0) {
		n = 1, cp = p[0] & 0x1f, min = 0x80;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 2, cp = p[0] & 0x0f, min = 0x800;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 3, cp = p[0] & 0x07, min = 0x10000;
	} else
		return -1;
	for (i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*pp = p + n + 1;
	return cp;
}

/* RFC 3501 5.1.3: UTF-8 to modified UTF-7; -1 on invalid or control. */
static int
imap_mutf7(const char *in, struct buf *out)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
	const unsigned char *p = (const unsigned char *)in;
	uint32_t bits, unit[2];
	int32_t cp;
	int nbits, nu, k;

	while (*p != '\0') {
		if (*p >= 0x20 && *p < 0x7f) {
			if ((*p == '&' ? buf_addstr(out, "&-") :
			    buf_addch(out, (char)*p)) == -1)
				return -1;
			p++;
			continue;
		}
		if (*p < 0x80)
			return -1;
		if (buf_addch(out, '&') == -1)
			return -1;
		bits = 0;
		nbits = 0;
		while (*p >= 0x80) {
			if ((cp = imap_utf8_next(&p)) < 0)
				return -1;
			if (cp >= 0x10000) {
				cp -= 0x10000;
				unit[0] = 0xd800 + ((uint32_t)cp >> 10);
				unit[1] = 0xdc00 + ((uint32_t)cp & 0x3ff);
				nu = 2;
			} else {
				unit[0] = (uint32_t)cp;
				nu = 1;
			}
			for (k = 0; k < nu; k++) {
				bits = (bits << 16) | unit[k];
				nbits += 16;
				while (nbits >= 6) {
					nbits -= 6;
					if (buf_addch(out,
					    b64[(bits >> nbits) & 0x3f]) == -1)
						return -1;
				}
				bits &= (1u << nbits) - 1;
			}
		}
		if (nbits > 0 && buf_addch(out,
		    b64[(bits << (6 - nbits)) & 0x3f]) == -1)
			return -1;
		if (buf_addch(out, '-') == -1)
			return -1;
	}
	return 0;
}

/*
 * The server's name for a configured folder: '/' becomes the hierarchy
 * delimiter, the text modified UTF-7.  upto > 0 keeps only that many
 * levels (for creating parents).  Fills *levels.
 */
static int
imap_folder_name(struct imap_session *s, const char *folder, int upto,
    int *levels, char *out, size_t outlen)
{
	struct buf b, part;
	const char *p, *q;
	int n = 0, r = 0;

	if (folder == NULL || *folder == '\0')
		return imap_failf(s, IMAP_ERR_PROTO, 0, "empty folder name");
	buf_init(&b, LIMIT_IMAP_FOLDER_BYTES - 1);
	buf_init(&part, LIMIT_IMAP_FOLDER_BYTES);
	for (p = folder; ; p = q + 1) {
		if ((q = strchr(p, '/')) == NULL)
			q = p + strlen(p);
		buf_truncate(&part, 0);
		if (q == p || buf_add(&part, p, (size_t)(q - p)) == -1 ||
		    strpbrk(part.data, "%*") != NULL ||
		    (s->delim != '\0' && s->delim != '/' &&
		    strchr(part.data, s->delim) != NULL) ||
		    ++n > LIMIT_IMAP_FOLDER_DEPTH) {
			r = imap_failf(s, IMAP_ERR_PROTO, 0, "unusable folder "
			    "name \"%.100s\"", folder);
			goto out;
		}
		if (n > 1 && (s->delim == '\0' ? -1 :
		    buf_addch(&b, s->delim)) == -1) {
			r = imap_failf(s, IMAP_ERR_PROTO, 0, "folder \"%.100s\""
			    ": the server has no folder hierarchy", folder);
			goto out;
		}
		if (imap_mutf7(part.data, &b) == -1) {
			r = imap_failf(s, IMAP_ERR_PROTO, 0, "unusable folder "
			    "name \"%.100s\"", folder);
			goto out;
		}
		if (*q == '\0' || n == upto)
			break;
	}
	if (b.len + 1 > outlen) {
		r = imap_failf(s, IMAP_ERR_PROTO, 0, "folder name too long");
		goto out;
	}
	memcpy(out, b.data, b.len + 1);
	if (levels != NULL) {
		*levels = n;
		while (*q != '\0')
			if (*q++ == '/')
				(*levels)++;
	}
 out:
	buf_free(&b);
	buf_free(&part);
	return r;
}

static int
imap_delimiter(struct imap_session *s)
{
	struct mailimap_mailbox_list *mb;
	clist *list = NULL;
	int r;

	if (s->delim_known)
		return 0;
	imap_arm(s, 0);
	r = mailimap_list(s->imap, "", "", &list);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail_etpan(s, r, "LIST \"\" \"\"");
	s->delim = '\0';
	if (list != NULL && clist_begin(list) != NULL) {
		mb = clist_content(clist_begin(list));
		if (mb != NULL)
			s->delim = mb->mb_delimiter;
	}
	if (list != NULL)
		mailimap_list_result_free(list);
	s->delim_known = 1;
	log_debug("imap %s:%u: hierarchy delimiter '%c'", s->host, s->port,
	    s->delim != '\0' ? s->delim : '-');
	return 0;
}

int
imap_list_delimiter(struct imap_session *s, char *delim, char *err,
    size_t errlen)
{
	int r;

	if ((r = imap_begin(s, 0)) == 0 && (r = imap_delimiter(s)) == 0)
		*delim = s->delim;
	return imap_end(s, r, err, errlen);
}

/* Does the server list exactly this (selectable or parent) folder? */
static int
imap_folder_exists(struct imap_session *s, const char *name, int *exists)
{
	struct mailimap_mailbox_list *mb;
	struct mailimap_mbx_list_oflag *of;
	clistiter *it, *jt;
	clist *list = NULL;
	int r, gone;

	*exists = 0;
	imap_arm(s, 0);
	r = mailimap_list(s->imap, "", name, &list);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail_etpan(s, r, "LIST");
	for (it = list != NULL ? clist_begin(list) : NULL; it != NULL;
	    it = clist_next(it)) {
		mb = clist_content(it);
		if (mb == NULL || mb->mb_name == NULL ||
		    strcmp(mb->mb_name, name) != 0)
			continue;
		gone = 0;
		if (mb->mb_flag != NULL && mb->mb_flag->mbf_oflags != NULL)
			for (jt = clist_begin(mb->mb_flag->mbf_oflags);
			    jt != NULL; jt = clist_next(jt)) {
				of = clist_content(jt);
				if (of->of_type ==
				    MAILIMAP_MBX_LIST_OFLAG_FLAG_EXT &&
				    of->of_flag_ext != NULL &&
				    strcasecmp(of->of_flag_ext,
				    "NonExistent") == 0)
					gone = 1;
			}
		if (!gone)
			*exists = 1;
	}
	if (list != NULL)
		mailimap_list_result_free(list);
	return 0;
}

int
imap_ensure_folder(struct imap_session *s, const char *folder, char *err,
    size_t errlen)
{
	char name[LIMIT_IMAP_FOLDER_BYTES];
	int r, levels = 0, k, exists;

	if ((r = imap_begin(s, 0)) < 0)
		return imap_end(s, r, err, errlen);
	if (s->state == IMAP_ST_IDLE)
		return imap_end(s, imap_failf(s, IMAP_ERR_PROTO, 0, "in IDLE"),
		    err, errlen);
	if ((r = imap_delimiter(s)) < 0 ||
	    (r = imap_folder_name(s, folder, 0, &levels, name,
	    sizeof(name))) < 0)
		return imap_end(s, r, err, errlen);
	/* The whole path first: usually it is there and one LIST is all. */
	if ((r = imap_folder_exists(s, name, &exists)) < 0 || exists)
		return imap_end(s, r, err, errlen);
	for (k = 1; k <= levels; k++) {
		if ((r = imap_folder_name(s, folder, k, NULL, name,
		    sizeof(name))) < 0 ||
		    (r = imap_folder_exists(s, name, &exists)) < 0)
			break;
		if (exists)
			continue;
		imap_arm(s, 0);
		r = mailimap_create(s->imap, name);
		if (r != MAILIMAP_NO_ERROR) {
			/* Someone else may have made it meanwhile. */
			if (r != MAILIMAP_ERROR_CREATE) {
				r = imap_fail_etpan(s, r, "CREATE");
				break;
			}
			r = imap_fail_etpan(s, r, "CREATE");
			if (imap_folder_exists(s, name, &exists) < 0 ||
			    !exists)
				break;
			s->errbuf[0] = '\0';
			r = 0;
			continue;
		}
		log_info("imap %s:%u: created folder %s", s->host, s->port,
		    name);
		imap_arm(s, 0);
		r = mailimap_subscribe(s->imap, name);
		if (r != MAILIMAP_NO_ERROR) {
			r = imap_fail_etpan(s, r, "SUBSCRIBE");
			if (s->state == IMAP_ST_DEAD)
				break;
			log_warnx("%s", s->errbuf);
			s->errbuf[0] = '\0';
		}
		r = 0;
	}
	return imap_end(s, r, err, errlen);
}

/* -- the selected mailbox ---------------------------------------------- */

int
imap_select(struct imap_session *s, const char *mailbox, int readonly,
    struct imap_mailbox_info *info, char *err, size_t errlen)
{
	struct mailimap_selection_info *si;
	struct mailimap_flag_perm *fp;
	char name[LIMIT_IMAP_FOLDER_BYTES], what[LIMIT_IMAP_FOLDER_BYTES + 16];
	clistiter *it;
	int r;

	memset(info, 0, sizeof(*info));
	if ((r = imap_begin(s, 0)) < 0)
		return imap_end(s, r, err, errlen);
	if (s->state == IMAP_ST_IDLE)
		return imap_end(s, imap_failf(s, IMAP_ERR_PROTO, 0, "in IDLE"),
		    err, errlen);
	if ((strchr(mailbox, '/') != NULL && (r = imap_delimiter(s)) < 0) ||
	    (r = imap_folder_name(s, mailbox, 0, NULL, name,
	    sizeof(name))) < 0)
		return imap_end(s, r, err, errlen);
	snprintf(what, sizeof(what), "%s %s", readonly ? "EXAMINE" : "SELECT",
	    name);
	imap_arm(s, 0);
	r = readonly ? mailimap_examine(s->imap, name) :
	    mailimap_select(s->imap, name);
	if (r != MAILIMAP_NO_ERROR) {
		r = imap_fail_etpan(s, r, what);
		/* A failed SELECT leaves no mailbox selected (RFC 3501). */
		if (s->state == IMAP_ST_SELECTED)
			imap_set_state(s, IMAP_ST_AUTHENTICATED);
		return imap_end(s, r, err, errlen);
	}
	si = s->imap->imap_selection_info;
	info->uidvalidity = si->sel_uidvalidity;
	info->uidnext = si->sel_uidnext;
	info->exists = si->sel_exists;
	info->readwrite = !readonly &&
	    si->sel_perm == MAILIMAP_MAILBOX_READWRITE;
	/* No PERMANENTFLAGS at all means every flag is permanent. */
	info->can_keywords = si->sel_perm_flags == NULL;
	if (si->sel_perm_flags != NULL)
		for (it = clist_begin(si->sel_perm_flags); it != NULL;
		    it = clist_next(it)) {
			fp = clist_content(it);
			if (fp != NULL && fp->fl_type == MAILIMAP_FLAG_PERM_ALL)
				info->can_keywords = 1;
		}
	s->readwrite = info->readwrite;
	s->can_keywords = info->can_keywords;
	imap_set_state(s, IMAP_ST_SELECTED);
	log_debug("imap %s:%u: %s: uidvalidity %u uidnext %u exists %u%s",
	    s->host, s->port, what, info->uidvalidity, info->uidnext,
	    info->exists, info->readwrite ? "" : " (read-only)");
	return imap_end(s, 0, err, errlen);
}

static int
imap_cmp_uid(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int
imap_search_since(struct imap_session *s, uint32_t uid_from, uint32_t **uids,
    size_t *n, char *err, size_t errlen)
{
	struct mailimap_search_key *key;
	clist *list = NULL;
	clistiter *it;
	uint32_t *v = NULL, *u;
	size_t cnt = 0, cap = 0, i, j;
	int r;

	*uids = NULL;
	*n = 0;
	if ((r = imap_begin(s, 1)) < 0 || uid_from == UINT32_MAX)
		return imap_end(s, r, err, errlen);
	/*
	 * Servers (Dovecot among them) add mail delivered meanwhile to the
	 * session's view only at the end of a command: a NOOP first makes
	 * the search see it.
	 */
	if ((r = mailimap_noop(s->imap)) != MAILIMAP_NO_ERROR)
		return imap_end(s, imap_fail_etpan(s, r, "NOOP"), err, errlen);
	imap_arm(s, 0);
	key = mailimap_search_key_new_uid(
	    mailimap_set_new_interval(uid_from + 1, 0));
	if (key == NULL)
		return imap_end(s, imap_failf(s, IMAP_ERR_CONNECT, 1,
		    "out of memory"), err, errlen);
	r = mailimap_uid_search(s->imap, NULL, key, &list);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR)
		return imap_end(s, imap_fail_etpan(s, r, "UID SEARCH"), err,
		    errlen);
	/* "UID n:*" also returns the highest UID when it is below n. */
	for (it = list != NULL ? clist_begin(list) : NULL; it != NULL;
	    it = clist_next(it)) {
		u = clist_content(it);
		if (u == NULL || *u <= uid_from)
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 64;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[cnt++] = *u;
	}
	if (list != NULL)
		mailimap_search_result_free(list);
	if (cnt > 0) {
		qsort(v, cnt, sizeof(*v), imap_cmp_uid);
		for (i = j = 1; i < cnt; i++)
			if (v[i] != v[j - 1])
				v[j++] = v[i];
		cnt = j;
		if (cnt > LIMIT_IMAP_SEARCH_UIDS)
			cnt = LIMIT_IMAP_SEARCH_UIDS;
		*uids = v;
	} else
		free(v);
	*n = cnt;
	return imap_end(s, 0, err, errlen);
}

int
imap_search_msgid(struct imap_session *s, const char *msgid, uint32_t *uid,
    char *err, size_t errlen)
{
	struct mailimap_search_key *key;
	struct buf b;
	clist *list = NULL;
	clistiter *it;
	uint32_t *u;
	char *name;
	int r;

	*uid = 0;
	if ((r = imap_begin(s, 1)) < 0)
		return imap_end(s, r, err, errlen);
	/* SEARCH HEADER matches substrings: the brackets keep "1.x@y" from
	 * matching "<11.x@y>". */
	buf_init(&b, 4096);
	if (buf_printf(&b, "<%s>", msgid) == -1) {
		buf_free(&b);
		return imap_end(s, imap_failf(s, IMAP_ERR_PROTO, 0,
		    "Message-ID too long to search for"), err, errlen);
	}
	name = xstrdup("Message-ID");
	imap_arm(s, 0);
	/* The key owns both strings from here on. */
	if ((key = mailimap_search_key_new_header(name, b.data)) == NULL) {
		free(name);
		buf_free(&b);
		return imap_end(s, imap_failf(s, IMAP_ERR_CONNECT, 1,
		    "out of memory"), err, errlen);
	}
	r = mailimap_uid_search(s->imap, NULL, key, &list);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR)
		return imap_end(s, imap_fail_etpan(s, r, "UID SEARCH HEADER"),
		    err, errlen);
	/* Several copies: take the newest. */
	for (it = list != NULL ? clist_begin(list) : NULL; it != NULL;
	    it = clist_next(it))
		if ((u = clist_content(it)) != NULL && *u > *uid)
			*uid = *u;
	if (list != NULL)
		mailimap_search_result_free(list);
	return imap_end(s, 0, err, errlen);
}

/*
 * A UID set from uids[0..], runs of consecutive UIDs as ranges, at most
 * LIMIT_IMAP_SET_UIDS UIDs; *used says how many were taken.  UID 0 is
 * skipped.  NULL when out of memory.
 */
static struct mailimap_set *
imap_set_build(const uint32_t *uids, size_t n, size_t *used)
{
	struct mailimap_set *set;
	uint32_t first, last;
	size_t k = 0;
	int r;

	if ((set = mailimap_set_new_empty()) == NULL)
		return NULL;
	while (k < n && k < LIMIT_IMAP_SET_UIDS) {
		first = last = uids[k++];
		if (first == 0)
			continue;
		while (k < n && k < LIMIT_IMAP_SET_UIDS && last < UINT32_MAX &&
		    uids[k] == last + 1)
			last = uids[k++];
		r = first == last ? mailimap_set_add_single(set, first) :
		    mailimap_set_add_interval(set, first, last);
		if (r != MAILIMAP_NO_ERROR) {
			mailimap_set_free(set);
			return NULL;
		}
	}
	*used = k;
	return set;
}

static int
imap_set_empty(const struct mailimap_set *set)
{
	return set->set_list == NULL || clist_begin(set->set_list) == NULL;
}

static time_t
imap_date(const struct mailimap_date_time *d)
{
	struct tm tm;
	time_t t;
	int off;

	if (d == NULL || d->dt_year < 1970 || d->dt_year > 9999 ||
	    d->dt_month < 1 || d->dt_month > 12 || d->dt_day < 1 ||
	    d->dt_day > 31 || d->dt_hour < 0 || d->dt_hour > 23 ||
	    d->dt_min < 0 || d->dt_min > 59 || d->dt_sec < 0 ||
	    d->dt_sec > 60 || d->dt_zone < -2400 || d->dt_zone > 2400)
		return 0;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = d->dt_year - 1900;
	tm.tm_mon = d->dt_month - 1;
	tm.tm_mday = d->dt_day;
	tm.tm_hour = d->dt_hour;
	tm.tm_min = d->dt_min;
	tm.tm_sec = d->dt_sec;
	if ((t = timegm(&tm)) == (time_t)-1)
		return 0;
	off = (d->dt_zone / 100) * 3600 + (d->dt_zone % 100) * 60;
	return t - off;
}

static unsigned int
imap_flags(const struct mailimap_msg_att_dynamic *dyn)
{
	struct mailimap_flag_fetch *ff;
	clistiter *it;
	unsigned int f = 0;

	if (dyn == NULL || dyn->att_list == NULL)
		return 0;
	for (it = clist_begin(dyn->att_list); it != NULL; it = clist_next(it)) {
		ff = clist_content(it);
		if (ff == NULL || ff->fl_type != MAILIMAP_FLAG_FETCH_OTHER ||
		    ff->fl_flag == NULL)
			continue;
		switch (ff->fl_flag->fl_type) {
		case MAILIMAP_FLAG_SEEN:
			f |= IMAP_FLAG_SEEN;
			break;
		case MAILIMAP_FLAG_ANSWERED:
			f |= IMAP_FLAG_ANSWERED;
			break;
		case MAILIMAP_FLAG_FLAGGED:
			f |= IMAP_FLAG_FLAGGED;
			break;
		case MAILIMAP_FLAG_DELETED:
			f |= IMAP_FLAG_DELETED;
			break;
		case MAILIMAP_FLAG_DRAFT:
			f |= IMAP_FLAG_DRAFT;
			break;
		}
	}
	return f;
}

struct imap_uid_index {
	uint32_t	uid;
	size_t		pos;
};

static int
imap_cmp_index(const void *a, const void *b)
{
	const struct imap_uid_index *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/* Fill every out[] entry whose UID is m's UID. */
static void
imap_meta_store(const struct mailimap_msg_att *m,
    const struct imap_uid_index *ix, size_t nix, struct imap_msg_info *out)
{
	struct mailimap_msg_att_item *item;
	struct imap_msg_info mi;
	struct imap_uid_index key, *hit;
	clistiter *it;
	size_t lo;

	memset(&mi, 0, sizeof(mi));
	for (it = clist_begin(m->att_list); it != NULL; it = clist_next(it)) {
		item = clist_content(it);
		if (item->att_type == MAILIMAP_MSG_ATT_ITEM_DYNAMIC) {
			mi.flags |= imap_flags(item->att_data.att_dyn);
			continue;
		}
		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC ||
		    item->att_data.att_static == NULL)
			continue;
		switch (item->att_data.att_static->att_type) {
		case MAILIMAP_MSG_ATT_UID:
			mi.uid = item->att_data.att_static->att_data.att_uid;
			break;
		case MAILIMAP_MSG_ATT_RFC822_SIZE:
			mi.size = item->att_data.att_static->
			    att_data.att_rfc822_size;
			break;
		case MAILIMAP_MSG_ATT_INTERNALDATE:
			mi.internaldate = imap_date(item->att_data.att_static->
			    att_data.att_internal_date);
			break;
		}
	}
	if (mi.uid == 0)
		return;
	key.uid = mi.uid;
	hit = bsearch(&key, ix, nix, sizeof(*ix), imap_cmp_index);
	if (hit == NULL)
		return;
	lo = (size_t)(hit - ix);
	while (lo > 0 && ix[lo - 1].uid == mi.uid)
		lo--;
	for (; lo < nix && ix[lo].uid == mi.uid; lo++) {
		mi.present = 1;
		out[ix[lo].pos] = mi;
	}
}

int
imap_fetch_sizes(struct imap_session *s, const uint32_t *uids, size_t n,
    struct imap_msg_info *out, char *err, size_t errlen)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	struct imap_uid_index *ix;
	clist *list;
	clistiter *it;
	size_t i, used;
	int r;

	for (i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].uid = uids[i];
	}
	if ((r = imap_begin(s, 1)) < 0 || n == 0)
		return imap_end(s, r, err, errlen);
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	if (ft == NULL ||
	    mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_uid()) != MAILIMAP_NO_ERROR ||
	    mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_rfc822_size()) != MAILIMAP_NO_ERROR ||
	    mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_internaldate()) != MAILIMAP_NO_ERROR ||
	    mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_flags()) != MAILIMAP_NO_ERROR) {
		if (ft != NULL)
			mailimap_fetch_type_free(ft);
		return imap_end(s, imap_failf(s, IMAP_ERR_CONNECT, 1,
		    "out of memory"), err, errlen);
	}
	ix = xcalloc(n < LIMIT_IMAP_SET_UIDS ? n : LIMIT_IMAP_SET_UIDS,
	    sizeof(*ix));
	for (i = 0; i < n && r == 0; i += used) {
		if ((set = imap_set_build(uids + i, n - i, &used)) == NULL) {
			r = imap_failf(s, IMAP_ERR_CONNECT, 1, "out of memory");
			break;
		}
		if (imap_set_empty(set)) {
			mailimap_set_free(set);
			continue;
		}
		for (size_t k = 0; k < used; k++) {
			ix[k].uid = uids[i + k];
			ix[k].pos = i + k;
		}
		qsort(ix, used, sizeof(*ix), imap_cmp_index);
		list = NULL;
		imap_arm(s, (uint64_t)used * 128);
		r = mailimap_uid_fetch(s->imap, set, ft, &list);
		mailimap_set_free(set);
		if (r != MAILIMAP_NO_ERROR) {
			r = imap_fail_etpan(s, r, "UID FETCH (sizes)");
			break;
		}
		for (it = list != NULL ? clist_begin(list) : NULL; it != NULL;
		    it = clist_next(it))
			imap_meta_store(clist_content(it), ix, used, out);
		if (list != NULL)
			mailimap_fetch_list_free(list);
	}
	free(ix);
	mailimap_fetch_type_free(ft);
	return imap_end(s, r, err, errlen);
}

/* -- streamed bodies ----------------------------------------------------- */

static bool
imap_body_chunk(int type, struct mailimap_msg_att_body_section *section,
    const char *bytes, size_t len, void *arg)
{
	struct imap_fetch *f = arg;

	(void)type;
	(void)section;
	f->got += len;
	if (!f->toobig && buf_add(&f->body, bytes, len) == -1) {
		f->toobig = 1;
		buf_truncate(&f->body, 0);
	}
	return true;
}

/*
 * libetpan 1.9.4 calls the message handler only when a progress function
 * is set too; this one has nothing to do.
 */
static void
imap_body_progress(size_t current, size_t maximum, void *arg)
{
	(void)current;
	(void)maximum;
	(void)arg;
}

static void
imap_body_reset(struct imap_fetch *f)
{
	buf_truncate(&f->body, 0);
	f->got = 0;
	f->toobig = 0;
}

/* A complete FETCH response: hand its body over, then forget it. */
static void
imap_body_message(struct mailimap_msg_att *m, void *arg)
{
	struct imap_fetch *f = arg;
	struct mailimap_msg_att_item *item;
	struct mailimap_msg_att_body_section *sec = NULL;
	struct imap_body b;
	clistiter *it;
	uint32_t uid = 0;
	int64_t t0;
	size_t i;

	for (it = clist_begin(m->att_list); it != NULL; it = clist_next(it)) {
		item = clist_content(it);
		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC ||
		    item->att_data.att_static == NULL)
			continue;
		if (item->att_data.att_static->att_type == MAILIMAP_MSG_ATT_UID)
			uid = item->att_data.att_static->att_data.att_uid;
		else if (item->att_data.att_static->att_type ==
		    MAILIMAP_MSG_ATT_BODY_SECTION)
			sec = item->att_data.att_static->att_data.
			    att_body_section;
	}
	if (sec == NULL || uid == 0)
		goto out;	/* an unsolicited flag update, say */
	for (i = 0; i < f->n; i++)
		if (f->msgs[i].uid == uid && !f->done[i])
			break;
	if (i == f->n)
		goto out;
	f->done[i] = 1;
	if (f->stopped)
		goto out;
	memset(&b, 0, sizeof(b));
	b.uid = uid;
	if (f->toobig) {
		b.status = IMAP_BODY_TOOBIG;
		b.len = f->got;
	} else if (f->got == 0 && sec->sec_body_part != NULL &&
	    sec->sec_length > 0) {
		/* A quoted string, not a literal: libetpan kept it. */
		b.len = sec->sec_length;
		if (b.len > f->body.max)
			b.status = IMAP_BODY_TOOBIG;
		else
			b.data = sec->sec_body_part;
	} else {
		b.data = f->body.data != NULL ? f->body.data : "";
		b.len = f->body.len;
	}
	t0 = imap_now();
	if (f->cb(&b, f->arg) != 0)
		f->stopped = 1;
	/* The caller's time is not the server's: extend the deadline. */
	if (f->s->deadline != 0)
		f->s->deadline += imap_now() - t0;
 out:
	imap_body_reset(f);
}

/*
 * One UID FETCH of BODY.PEEK[] (or [HEADER]) for msgs[0..n-1]; each is
 * handed to cb once, those the server did not return as gone.
 */
static int
imap_fetch_batch(struct imap_session *s, const struct imap_msg_info *msgs,
    size_t n, int header, size_t max_body, uint64_t bytes, imap_body_cb *cb,
    void *arg, int *stopped)
{
	struct imap_fetch f;
	struct mailimap_fetch_type *ft = NULL;
	struct mailimap_set *set = NULL;
	struct mailimap_section *sec;
	struct imap_body b;
	uint32_t *uids;
	clist *list = NULL;
	size_t i, k, used;
	int r = 0;

	memset(&f, 0, sizeof(f));
	f.s = s;
	f.msgs = msgs;
	f.n = n;
	f.cb = cb;
	f.arg = arg;
	f.done = xcalloc(n, 1);
	buf_init(&f.body, max_body);
	uids = xcalloc(n, sizeof(*uids));
	for (i = k = 0; i < n; i++)
		if (msgs[i].present && msgs[i].uid != 0)
			uids[k++] = msgs[i].uid;
	if (k > 0) {
		if ((set = imap_set_build(uids, k, &used)) == NULL ||
		    (ft = mailimap_fetch_type_new_fetch_att_list_empty()) ==
		    NULL ||
		    mailimap_fetch_type_new_fetch_att_list_add(ft,
		    mailimap_fetch_att_new_uid()) != MAILIMAP_NO_ERROR ||
		    (sec = header ? mailimap_section_new_header() :
		    mailimap_section_new(NULL)) == NULL ||
		    mailimap_fetch_type_new_fetch_att_list_add(ft,
		    mailimap_fetch_att_new_body_peek_section(sec)) !=
		    MAILIMAP_NO_ERROR) {
			r = imap_failf(s, IMAP_ERR_CONNECT, 1, "out of memory");
			goto out;
		}
		mailimap_set_msg_body_handler(s->imap, imap_body_chunk, &f);
		mailimap_set_msg_att_handler(s->imap, imap_body_message, &f);
		mailimap_set_progress_callback(s->imap, NULL,
		    imap_body_progress, NULL);
		imap_arm(s, bytes);
		r = mailimap_uid_fetch(s->imap, set, ft, &list);
		mailimap_set_progress_callback(s->imap, NULL, NULL, NULL);
		mailimap_set_msg_body_handler(s->imap, NULL, NULL);
		mailimap_set_msg_att_handler(s->imap, NULL, NULL);
		if (list != NULL)
			mailimap_fetch_list_free(list);
		if (r != MAILIMAP_NO_ERROR) {
			r = imap_fail_etpan(s, r, header ?
			    "UID FETCH (header)" : "UID FETCH (bodies)");
			goto out;
		}
	}
	for (i = 0; i < n && !f.stopped; i++) {
		if (f.done[i])
			continue;
		memset(&b, 0, sizeof(b));
		b.uid = msgs[i].uid;
		b.status = IMAP_BODY_GONE;
		if (cb(&b, arg) != 0)
			f.stopped = 1;
	}
 out:
	*stopped = f.stopped;
	if (set != NULL)
		mailimap_set_free(set);
	if (ft != NULL)
		mailimap_fetch_type_free(ft);
	buf_free(&f.body);
	free(f.done);
	free(uids);
	return r;
}

int
imap_fetch_bodies(struct imap_session *s, const struct imap_msg_info *msgs,
    size_t n, size_t batch_bytes, size_t max_body, imap_body_cb *cb,
    void *arg, char *err, size_t errlen)
{
	uint64_t total;
	size_t i, j;
	int r, stopped = 0;

	if ((r = imap_begin(s, 1)) < 0)
		return imap_end(s, r, err, errlen);
	for (i = 0; i < n && r == 0 && !stopped; i = j) {
		total = 0;
		for (j = i; j < n && j - i < LIMIT_IMAP_BATCH_MSGS; j++) {
			if (j > i && total + msgs[j].size > batch_bytes)
				break;
			if (msgs[j].present)
				total += msgs[j].size;
		}
		r = imap_fetch_batch(s, msgs + i, j - i, 0, max_body, total,
		    cb, arg, &stopped);
	}
	return imap_end(s, r, err, errlen);
}

struct imap_header {
	char		*data;
	size_t		 len;
	int		 status;
};

static int
imap_header_take(const struct imap_body *b, void *arg)
{
	struct imap_header *h = arg;

	h->status = b->status;
	if (b->status == IMAP_BODY_OK) {
		h->data = xmalloc(b->len + 1);
		memcpy(h->data, b->data, b->len);
		h->data[b->len] = '\0';
		h->len = b->len;
	}
	return 0;
}

int
imap_fetch_header(struct imap_session *s, uint32_t uid, char **hdr,
    size_t *len, char *err, size_t errlen)
{
	struct imap_msg_info m;
	struct imap_header h;
	int r, stopped;

	*hdr = NULL;
	*len = 0;
	if ((r = imap_begin(s, 1)) < 0)
		return imap_end(s, r, err, errlen);
	memset(&m, 0, sizeof(m));
	memset(&h, 0, sizeof(h));
	m.uid = uid;
	m.present = 1;
	h.status = IMAP_BODY_GONE;
	r = imap_fetch_batch(s, &m, 1, 1, LIMIT_IMAP_HEADER_BYTES,
	    LIMIT_IMAP_HEADER_BYTES, imap_header_take, &h, &stopped);
	if (r == 0 && h.status == IMAP_BODY_GONE)
		r = imap_failf(s, IMAP_ERR_GONE, 0, "UID %u is gone", uid);
	else if (r == 0 && h.status == IMAP_BODY_TOOBIG)
		r = imap_failf(s, IMAP_ERR_PROTO, 0, "header of UID %u is "
		    "over %u bytes", uid, LIMIT_IMAP_HEADER_BYTES);
	if (r == 0) {
		*hdr = h.data;
		*len = h.len;
	} else
		free(h.data);
	return imap_end(s, r, err, errlen);
}

/* -- filing ---------------------------------------------------------- */

static int
imap_store_flag(struct imap_session *s, struct mailimap_set *set,
    struct mailimap_flag *flag, const char *what)
{
	struct mailimap_flag_list *fl;
	struct mailimap_store_att_flags *sa;
	int r;

	if (flag == NULL || (fl = mailimap_flag_list_new_empty()) == NULL) {
		if (flag != NULL)
			mailimap_flag_free(flag);
		return imap_failf(s, IMAP_ERR_CONNECT, 1, "out of memory");
	}
	if (mailimap_flag_list_add(fl, flag) != MAILIMAP_NO_ERROR) {
		mailimap_flag_free(flag);
		mailimap_flag_list_free(fl);
		return imap_failf(s, IMAP_ERR_CONNECT, 1, "out of memory");
	}
	if ((sa = mailimap_store_att_flags_new_add_flags_silent(fl)) == NULL) {
		mailimap_flag_list_free(fl);
		return imap_failf(s, IMAP_ERR_CONNECT, 1, "out of memory");
	}
	imap_arm(s, 0);
	r = mailimap_uid_store(s->imap, set, sa);
	mailimap_store_att_flags_free(sa);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail_etpan(s, r, what);
	return 0;
}

int
imap_move(struct imap_session *s, const uint32_t *uids, size_t n,
    const char *folder, char *err, size_t errlen)
{
	char name[LIMIT_IMAP_FOLDER_BYTES], what[LIMIT_IMAP_FOLDER_BYTES + 16];
	struct mailimap_set *set;
	size_t i, used;
	int r, move, uidplus;

	if ((r = imap_begin(s, 1)) < 0)
		return imap_end(s, r, err, errlen);
	if ((r = imap_delimiter(s)) < 0 ||
	    (r = imap_folder_name(s, folder, 0, NULL, name, sizeof(name))) < 0)
		return imap_end(s, r, err, errlen);
	move = imap_has_move(s);
	uidplus = imap_has_uidplus(s);
	for (i = 0; i < n && r == 0; i += used) {
		if ((set = imap_set_build(uids + i, n - i, &used)) == NULL) {
			r = imap_failf(s, IMAP_ERR_CONNECT, 1, "out of memory");
			break;
		}
		if (imap_set_empty(set)) {
			mailimap_set_free(set);
			continue;
		}
		imap_arm(s, 0);
		if (move) {
			snprintf(what, sizeof(what), "UID MOVE to %s", name);
			if ((r = mailimap_uid_move(s->imap, set, name)) !=
			    MAILIMAP_NO_ERROR)
				r = imap_fail_etpan(s, r, what);
			mailimap_set_free(set);
			continue;
		}
		snprintf(what, sizeof(what), "UID COPY to %s", name);
		if ((r = mailimap_uid_copy(s->imap, set, name)) !=
		    MAILIMAP_NO_ERROR)
			r = imap_fail_etpan(s, r, what);
		if (r == 0)
			r = imap_store_flag(s, set, mailimap_flag_new_deleted(),
			    "UID STORE +FLAGS.SILENT (\\Deleted)");
		if (r == 0 && uidplus) {
			imap_arm(s, 0);
			if ((r = mailimap_uid_expunge(s->imap, set)) !=
			    MAILIMAP_NO_ERROR)
				r = imap_fail_etpan(s, r, "UID EXPUNGE");
		} else if (r == 0)
			log_info("imap %s:%u: no UIDPLUS: %zu message(s) "
			    "copied to %s and left flagged \\Deleted, not "
			    "expunged",
			    s->host, s->port, used, name);
		mailimap_set_free(set);
	}
	return imap_end(s, r, err, errlen);
}

/* A keyword is an IMAP atom that is not a system flag. */
static int
imap_keyword_ok(const char *kw)
{
	const unsigned char *p;

	if (kw == NULL || *kw == '\0' || *kw == '\\' || strlen(kw) > 64)
		return 0;
	for (p = (const unsigned char *)kw; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f || strchr("(){%*\"\\]", *p))
			return 0;
	return 1;
}

/* Is keyword among the selected mailbox's PERMANENTFLAGS? */
static int
imap_keyword_permanent(struct imap_session *s, const char *kw)
{
	struct mailimap_flag_perm *fp;
	clistiter *it;
	clist *l = s->imap->imap_selection_info != NULL ?
	    s->imap->imap_selection_info->sel_perm_flags : NULL;

	for (it = l != NULL ? clist_begin(l) : NULL; it != NULL;
	    it = clist_next(it)) {
		fp = clist_content(it);
		if (fp != NULL && fp->fl_type == MAILIMAP_FLAG_PERM_FLAG &&
		    fp->fl_flag != NULL &&
		    fp->fl_flag->fl_type == MAILIMAP_FLAG_KEYWORD &&
		    fp->fl_flag->fl_data.fl_keyword != NULL &&
		    strcasecmp(fp->fl_flag->fl_data.fl_keyword, kw) == 0)
			return 1;
	}
	return 0;
}

int
imap_add_keyword(struct imap_session *s, const uint32_t *uids, size_t n,
    const char *keyword, char *err, size_t errlen)
{
	struct mailimap_set *set;
	size_t i, used;
	int r;

	if ((r = imap_begin(s, 1)) < 0)
		return imap_end(s, r, err, errlen);
	if (!imap_keyword_ok(keyword))
		return imap_end(s, imap_failf(s, IMAP_ERR_PROTO, 0, "invalid "
		    "keyword"), err, errlen);
	if (!s->readwrite ||
	    (!s->can_keywords && !imap_keyword_permanent(s, keyword)))
		return imap_end(s, 1, err, errlen);
	for (i = 0; i < n && r == 0; i += used) {
		if ((set = imap_set_build(uids + i, n - i, &used)) == NULL) {
			r = imap_failf(s, IMAP_ERR_CONNECT, 1, "out of memory");
			break;
		}
		if (!imap_set_empty(set))
			r = imap_store_flag(s, set,
			    mailimap_flag_new_flag_keyword(xstrdup(keyword)),
			    "UID STORE +FLAGS.SILENT (keyword)");
		mailimap_set_free(set);
	}
	return imap_end(s, r, err, errlen);
}

int
imap_noop(struct imap_session *s, char *err, size_t errlen)
{
	int r;

	if ((r = imap_begin(s, 0)) == 0 && s->state != IMAP_ST_IDLE &&
	    (r = mailimap_noop(s->imap)) != MAILIMAP_NO_ERROR)
		r = imap_fail_etpan(s, r, "NOOP");
	return imap_end(s, r, err, errlen);
}

/* -- IDLE --------------------------------------------------------------- */

/*
 * Wait a second at most (so *stop is looked at) for the server to say
 * something.  Reading through the stream, not polling the socket, also
 * sees bytes that libetpan or GnuTLS already hold.  1: data, 0: nothing
 * yet, -1: the link failed.
 */
static int
imap_idle_read(struct imap_session *s, mailstream *stream, int fd,
    int *stalls)
{
	char c;
	ssize_t r;

	if (stream->read_buffer_len > 0)
		return 1;
	s->slice = 1;
	r = mailstream_feed_read_buffer(stream);
	s->slice = 0;
	if (r > 0)
		return 1;
	if (s->eof || s->timed_out)
		return -1;
	/*
	 * The drivers say -1 for a read timeout and for a failure alike.
	 * The socket tells them apart: quiet is a timeout, EOF or an error
	 * is the end, bytes are the rest of a TLS record: read on, but not
	 * forever if the driver keeps failing with bytes waiting.
	 */
	r = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return 0;
	if (r == 1 && ++*stalls < 3)
		return 0;
	if (r == 0)
		s->eof = 1;
	return -1;
}

int
imap_idle_wait(struct imap_session *s, unsigned int max_seconds,
    volatile sig_atomic_t *stop, char *err, size_t errlen)
{
	mailstream *stream;
	int64_t end;
	int r, got, fd, stalls;

	if ((r = imap_begin(s, 1)) < 0)
		return imap_end(s, r, err, errlen);
	if (!mailimap_has_idle(s->imap))
		return imap_end(s, imap_failf(s, IMAP_ERR_PROTO, 0, "server "
		    "has no IDLE"), err, errlen);
	end = imap_now() + (int64_t)max_seconds * 1000;
	while ((stop == NULL || !*stop) && imap_now() < end) {
		imap_arm(s, 0);
		s->deadline = end + 2 * (int64_t)s->timeout * 1000;
		if ((r = mailimap_idle(s->imap)) != MAILIMAP_NO_ERROR)
			return imap_end(s, imap_fail_etpan(s, r, "IDLE"), err,
			    errlen);
		imap_set_state(s, IMAP_ST_IDLE);
		stream = s->imap->imap_stream;
		fd = mailstream_low_get_fd(mailstream_get_low(stream));
		got = stalls = 0;
		while (got == 0 && (stop == NULL || !*stop) &&
		    imap_now() < end)
			got = imap_idle_read(s, stream, fd, &stalls);
		if (got < 0)
			return imap_end(s, imap_failf(s, IMAP_ERR_CONNECT, 1,
			    "IDLE: %s", s->eof ? "connection closed by the "
			    "server" : "connection failed or lost"), err,
			    errlen);
		imap_arm(s, 0);
		if ((r = mailimap_idle_done(s->imap)) != MAILIMAP_NO_ERROR)
			return imap_end(s, imap_fail_etpan(s, r, "IDLE DONE"),
			    err, errlen);
		imap_set_state(s, IMAP_ST_SELECTED);
		if (s->imap->imap_selection_info->sel_has_exists)
			return imap_end(s, IMAP_IDLE_NEW, err, errlen);
		/* Only "still here", flag changes or expunges: go on. */
	}
	return imap_end(s, IMAP_IDLE_TIMEOUT, err, errlen);
}
