/*
 * smtp.h -- send finished messages through an SMTP submission server with
 * libcurl (SPEC 3.7, 3.8).
 *
 * A session holds one curl easy handle, so the messages of a batch go over
 * one connection, which curl opens on the first send and reuses after.
 * TLS is implicit (smtps) or STARTTLS that must succeed (never a fall back
 * to plain text); certificates are always verified.  When a password is
 * configured, a message is only sent on a connection the server actually
 * authenticated: a server that offers no AUTH gets nothing.  Failures come
 * back as two classes decided here, once: SMTP_TEMPFAIL (try again later:
 * connection, TLS, authentication, 4xx, timeouts) and SMTP_PERMFAIL (the
 * server refused this sender, recipient or message with a 5xx, or an
 * address cannot be sent at all: never retried).  Error texts never hold
 * the password.  Not thread-safe: one session per thread.
 */
#ifndef INTAKE_SMTP_H
#define INTAKE_SMTP_H

#include <stddef.h>

enum smtp_security {
	SMTP_SECURITY_TLS,		/* implicit TLS, smtps:// */
	SMTP_SECURITY_STARTTLS,		/* STARTTLS required */
	SMTP_SECURITY_NONE		/* plain text */
};

enum smtp_result {
	SMTP_OK = 0,
	SMTP_TEMPFAIL = -1,
	SMTP_PERMFAIL = -2
};

struct smtp_session;

/* curl_global_init, once per process before any thread starts. */
int	 smtp_global_init(void);
void	 smtp_global_cleanup(void);

/*
 * A session for host:port.  ca_file NULL uses the system store.  user and
 * password NULL (or password NULL) mean no AUTH; a password is copied and
 * wiped at smtp_close(), and refused over SMTP_SECURITY_NONE except to a
 * loopback host.  timeout (seconds, > 0) bounds connecting and each whole
 * send.  Nothing is connected yet.  NULL with err set on a bad argument.
 */
struct smtp_session *smtp_open(const char *host, unsigned port,
	    enum smtp_security, const char *ca_file, const char *user,
	    const char *password, long timeout, char *err, size_t errlen);

/*
 * Send one message (data, len bytes; line ends normalised to CRLF here) to
 * one recipient, with envelope_from as MAIL FROM.  Both addresses must be
 * plain ASCII addr-specs (SMTPUTF8 is not assumed).  Headers in data
 * (To, Cc, Bcc) add no recipient.  err gets a reason on failure.
 */
enum smtp_result smtp_send(struct smtp_session *, const char *envelope_from,
	    const char *rcpt, const char *data, size_t len, char *err,
	    size_t errlen);

/* Connections opened by this session so far (reuse keeps it at 1). */
long	 smtp_connections(const struct smtp_session *);

void	 smtp_close(struct smtp_session *);	/* accepts NULL */

#endif
