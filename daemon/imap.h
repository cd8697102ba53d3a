/*
 * imap.h -- intaked's IMAP client: one session with the shared mailbox.
 *
 * A thin, bounded layer over libetpan.  imap_connect() runs the session's
 * state machine (connect, TLS, certificate check, capability, login) and
 * the other calls each carry out one step of the daemon's work on the
 * selected mailbox: find new UIDs, fetch sizes and bodies, file messages,
 * wait in IDLE.
 *
 * Errors: every call returns 0 (or a non-negative outcome) on success and
 * one of the negative IMAP_ERR_* classes on failure, with a line of text in
 * err that names the server and never a password.  The class alone tells
 * the caller what to do:
 *   IMAP_ERR_CONNECT     network, timeout, TLS handshake, dropped link:
 *                        imap_close() and reconnect with backoff
 *   IMAP_ERR_TLS_VERIFY  certificate refused (or no STARTTLS): log loudly,
 *                        retry slowly; nothing was sent to that server
 *   IMAP_ERR_AUTH        login refused: the password is wrong
 *   IMAP_ERR_PROTO       the server said NO/BAD, or was not understood
 *   IMAP_ERR_GONE        the mailbox or the UIDs are no longer there
 * After IMAP_ERR_CONNECT the session is dead: every later call returns
 * IMAP_ERR_CONNECT at once until it is closed.  After IMAP_ERR_PROTO from
 * an unparseable response the same holds (the stream is out of step).
 *
 * Time: every read waits at most params.timeout seconds, and every call has
 * a wall-clock deadline besides (a few timeouts, plus time for the bytes
 * expected), checked on each read: a server that trickles or stops in the
 * middle of a literal costs one deadline, never a hang.
 *
 * The process must ignore SIGPIPE (signal(SIGPIPE, SIG_IGN)) before the
 * first connect: libetpan writes to sockets without MSG_NOSIGNAL, and a
 * server that closes first would otherwise kill the daemon.
 *
 * Not thread-safe: one session is used by one thread.  Folder names are
 * given as in the configuration, with '/' for hierarchy; they are mapped to
 * the server's delimiter and to modified UTF-7 here.
 */
#ifndef INTAKE_IMAP_H
#define INTAKE_IMAP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum imap_error {
	IMAP_OK = 0,
	IMAP_ERR_CONNECT = -1,
	IMAP_ERR_TLS_VERIFY = -2,
	IMAP_ERR_AUTH = -3,
	IMAP_ERR_PROTO = -4,
	IMAP_ERR_GONE = -5,
};

enum imap_security {
	IMAP_SEC_TLS,		/* implicit TLS (993) */
	IMAP_SEC_STARTTLS,	/* plain connect, STARTTLS or fail */
	IMAP_SEC_NONE,		/* plaintext: tests and loopback only */
};

struct imap_params {
	const char		*host;
	unsigned int		 port;
	enum imap_security	 security;
	const char		*ca_file;	/* NULL: system trust store */
	const char		*user;
	const char		*password;
	unsigned int		 timeout;	/* seconds per read; 0: 60 */
};

struct imap_mailbox_info {
	uint32_t	uidvalidity;	/* 0: the server sent none */
	uint32_t	uidnext;	/* 0: the server sent none */
	uint32_t	exists;
	int		readwrite;	/* selected read-write (not EXAMINE) */
	int		can_keywords;	/* PERMANENTFLAGS has \* */
};

/* System flags, as a bit set. */
#define IMAP_FLAG_SEEN		0x01
#define IMAP_FLAG_ANSWERED	0x02
#define IMAP_FLAG_FLAGGED	0x04
#define IMAP_FLAG_DELETED	0x08
#define IMAP_FLAG_DRAFT		0x10

struct imap_msg_info {
	uint32_t	uid;
	int		present;	/* 0: no such UID (any more) */
	uint32_t	size;		/* RFC822.SIZE */
	time_t		internaldate;	/* UTC; 0 when the server sent none */
	unsigned int	flags;		/* IMAP_FLAG_* */
};

enum imap_body_status {
	IMAP_BODY_OK,		/* data/len hold the message */
	IMAP_BODY_GONE,		/* the UID is no longer there; data NULL */
	IMAP_BODY_TOOBIG,	/* over the cap; data NULL, len = its size */
};

struct imap_body {
	uint32_t		 uid;
	enum imap_body_status	 status;
	const char		*data;	/* borrowed for the callback only */
	size_t			 len;	/* NULs may occur inside */
};

/*
 * Called once for every message asked for: within a batch in the server's
 * order (ascending UID), then those it did not return, as IMAP_BODY_GONE.
 * Return 0 to go on, -1 to be handed no more messages (the rest of the batch
 * is still read off the wire and dropped, so the session stays usable).
 */
typedef int imap_body_cb(const struct imap_body *, void *arg);

enum imap_idle_result {
	IMAP_IDLE_TIMEOUT = 0,	/* max_seconds passed, or *stop was set */
	IMAP_IDLE_NEW = 1,	/* the server announced messages (EXISTS) */
};

struct imap_session;

const char *imap_error_name(int);

/*
 * Connect, check the certificate, log in.  On success *out is a session in
 * the authenticated state; the caller ends it with imap_close().  On
 * failure *out is NULL and nothing is left open.
 */
int	imap_connect(const struct imap_params *, struct imap_session **out,
	    char *err, size_t errlen);
/* LOGOUT (bounded by the timeout; skipped on a dead link), then free.
 * Accepts NULL. */
void	imap_close(struct imap_session *);

int	imap_has_idle(const struct imap_session *);
int	imap_has_move(const struct imap_session *);
int	imap_has_uidplus(const struct imap_session *);

/*
 * SELECT (or EXAMINE when readonly: dry runs) mailbox, a configured name;
 * fills *info.  IMAP_ERR_GONE when the server will not open it.
 */
int	imap_select(struct imap_session *, const char *mailbox, int readonly,
	    struct imap_mailbox_info *info, char *err, size_t errlen);

/* The server's hierarchy delimiter ('\0' when it has none), asked once. */
int	imap_list_delimiter(struct imap_session *, char *delim,
	    char *err, size_t errlen);

/*
 * Make sure folder (e.g. "Requests/Complete") exists, creating missing
 * parents first, and subscribe what was created.  A folder that appears
 * meanwhile ("already exists") is success.
 */
int	imap_ensure_folder(struct imap_session *, const char *folder,
	    char *err, size_t errlen);

/*
 * UIDs above uid_from in the selected mailbox, ascending, at most
 * LIMIT_IMAP_SEARCH_UIDS of them (the lowest; ask again from the last one).
 * A NOOP goes first: servers such as Dovecot show a session mail delivered
 * meanwhile only after a command.  *uids is malloc'd (NULL when *n is 0);
 * the caller frees it with free().
 */
int	imap_search_since(struct imap_session *, uint32_t uid_from,
	    uint32_t **uids, size_t *n, char *err, size_t errlen);

/*
 * The UID of the message whose Message-ID header is <msgid> in the
 * selected mailbox (the highest when there are several); *uid = 0 when
 * none is.
 */
int	imap_search_msgid(struct imap_session *, const char *msgid,
	    uint32_t *uid, char *err, size_t errlen);

/*
 * RFC822.SIZE, INTERNALDATE and FLAGS of uids[0..n-1] into out[0..n-1]
 * (caller's array, same order).  A UID that is gone gets present = 0.
 */
int	imap_fetch_sizes(struct imap_session *, const uint32_t *uids,
	    size_t n, struct imap_msg_info *out, char *err, size_t errlen);

/*
 * BODY.PEEK[] of msgs[0..n-1] (from imap_fetch_sizes; \Seen is left
 * alone), in UID FETCH batches of at most batch_bytes by declared size (one
 * message at least) and LIMIT_IMAP_BATCH_MSGS messages.  Each message is
 * handed to cb as it arrives, one at a time: only one body is held in
 * memory.  A body over max_body bytes is read and dropped (IMAP_BODY_TOOBIG).
 * Entries with present == 0 are handed over as gone without asking.  On an
 * error, what was handed over stays handed over; the rest was not.
 */
int	imap_fetch_bodies(struct imap_session *,
	    const struct imap_msg_info *msgs, size_t n, size_t batch_bytes,
	    size_t max_body, imap_body_cb *cb, void *arg,
	    char *err, size_t errlen);

/*
 * BODY.PEEK[HEADER] of one message, for messages too large to fetch whole.
 * *hdr is malloc'd and NUL-terminated (len excludes the NUL); free() it.
 * IMAP_ERR_GONE when the UID is gone; IMAP_ERR_PROTO when the header is
 * over LIMIT_IMAP_HEADER_BYTES (the session stays usable).
 */
int	imap_fetch_header(struct imap_session *, uint32_t uid, char **hdr,
	    size_t *len, char *err, size_t errlen);

/*
 * Move uids to folder: UID MOVE when the server has MOVE, else UID COPY,
 * +FLAGS.SILENT (\Deleted) and UID EXPUNGE of exactly those UIDs (UIDPLUS).
 * Without UIDPLUS the originals stay, flagged \Deleted, and a log line says
 * so (a plain EXPUNGE would also remove other people's deleted mail).
 * IMAP_ERR_GONE when the folder does not exist.
 */
int	imap_move(struct imap_session *, const uint32_t *uids, size_t n,
	    const char *folder, char *err, size_t errlen);

/*
 * Add keyword (e.g. "$Intaked") to uids.  Returns 0 when stored, 1 when the
 * mailbox does not permit it (read-only, or no \* in PERMANENTFLAGS):
 * nothing was sent.
 */
int	imap_add_keyword(struct imap_session *, const uint32_t *uids, size_t n,
	    const char *keyword, char *err, size_t errlen);

int	imap_noop(struct imap_session *, char *err, size_t errlen);

/*
 * IDLE on the selected mailbox for up to max_seconds (the caller reissues it
 * well before the server's 30 minutes), returning early when the server
 * announces new messages, or within a second of *stop becoming non-zero (a
 * signal handler's flag; may be NULL).  Returns IMAP_IDLE_NEW,
 * IMAP_IDLE_TIMEOUT, or a negative IMAP_ERR_* class.  The caller then runs
 * imap_search_since() from its last UID either way.
 */
int	imap_idle_wait(struct imap_session *, unsigned int max_seconds,
	    volatile sig_atomic_t *stop, char *err, size_t errlen);

#endif
