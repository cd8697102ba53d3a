/*
 * store.h -- intaked's SQLite store: mailboxes, messages, requests and
 * their officials, the outbox of replies, per-sender reply counters.
 *
 * One struct store owns one sqlite3 connection and its prepared
 * statements; use it from one thread at a time.  Several processes may
 * open the same file (WAL): readers never block the writer, and a writer
 * waits up to busy_ms for another writer before failing.
 *
 * Every function returns 0 on success and -1 on failure, with the reason
 * kept for store_error() until the next call (exceptions are said below).
 * Functions that change more than one row do so atomically: alone they run
 * in their own BEGIN IMMEDIATE transaction, inside store_begin() ...
 * store_commit() they join the caller's (a failure undoes only their own
 * part, the caller then decides).
 *
 * Message-IDs are stored without their angle brackets.  Times are Unix
 * seconds.  Strings passed in are copied; strings and arrays handed out
 * are malloc'd and owned by the caller, who frees them with the free
 * function named next to each.
 */
#ifndef INTAKE_STORE_H
#define INTAKE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "extract.h"
#include "fields.h"
#include "intake.h"

#define STORE_READONLY	0x01	/* open read-only; never migrates */
#define STORE_CREATE	0x02	/* create the file when missing */

#define STORE_BUSY_MS	10000	/* default busy timeout */
#define STORE_REFLEN	16	/* "REQ-000042" and its NUL */
#define STORE_HASHLEN	65	/* SHA-256 in hex and its NUL */

struct store;

/*
 * Open (and with STORE_CREATE create) the store at path, bring its schema
 * up to date (each missing version in its own transaction) and prepare
 * every statement.  A store written by a newer intaked is refused.  A
 * read-only open refuses a store that needs an upgrade.  busy_ms < 0 takes
 * STORE_BUSY_MS.  On failure *stp is NULL and err says why.
 */
int	 store_open(const char *path, int flags, int busy_ms,
	    struct store **stp, char *err, size_t errlen);
void	 store_close(struct store *);	/* accepts NULL */
const char *store_error(const struct store *);

/* The schema version this code writes. */
int	 store_schema_version(void);
/*
 * Create or upgrade the store at path to exactly schema version `version'
 * (1 .. store_schema_version()), applying only the steps up to it.  For
 * tests of upgrades and for tools; intaked itself uses store_open().
 */
int	 store_upgrade(const char *path, int version, char *err, size_t errlen);

/* BEGIN IMMEDIATE: takes the write lock now (waiting up to busy_ms). */
int	 store_begin(struct store *);
/* BEGIN and take a read snapshot: consistent reads, never blocks writers. */
int	 store_begin_read(struct store *);
int	 store_commit(struct store *);
/* Harmless outside a transaction. */
int	 store_rollback(struct store *);

/* SHA-256 of raw in lower-case hex. */
int	 store_hash(const void *raw, size_t len, char hex[STORE_HASHLEN]);
/* t as "YYYY-MM-DD" (UTC), the day key of the reply counters. */
int	 store_day(int64_t t, char day[11]);

/*
 * Mailboxes.  uidnext_first is the UIDNEXT recorded at the first start
 * (first_start = new takes only UIDs from it on); highest_uid the highest
 * UID processed.
 */
struct store_mailbox {
	uint32_t	 uidvalidity;
	uint32_t	 uidnext_first;
	uint32_t	 highest_uid;
	int64_t		 updated_at;
};

/* *found = 0 (and *mb zeroed) when the store has no state for name. */
int	 store_mailbox_get(struct store *, const char *name,
	    struct store_mailbox *mb, int *found);
/* Insert or overwrite every field (first start, UIDVALIDITY change). */
int	 store_mailbox_set(struct store *, const char *name,
	    const struct store_mailbox *mb);
/* Raise highest_uid to uid (never lowers it); fails when the mailbox is
 * unknown or its recorded UIDVALIDITY differs. */
int	 store_mailbox_advance(struct store *, const char *name,
	    uint32_t uidvalidity, uint32_t uid);

/*
 * Messages.  (mailbox, uidvalidity, uid) says where a message arrived;
 * location/loc_uidvalidity/loc_uid where it is now (loc_uid 0: unknown,
 * find it by Message-ID); folder where it belongs (NULL: it stays where it
 * arrived); moved = 1 once it is there.
 */
struct store_message {
	const char		*message_id;	/* or NULL */
	const char		*hash;		/* store_hash() of the raw */
	const char		*mailbox;
	uint32_t		 uidvalidity;
	uint32_t		 uid;
	int64_t			 internaldate;	/* 0: unknown */
	int64_t			 received_at;	/* when intaked recorded it */
	const char		*from_addr;
	const char		*subject;
	enum intake_class	 class;
	enum intake_status	 status;	/* STATUS_NONE: not a request */
	const char		*reason;
	unsigned		 flags;
	int64_t			 request_id;	/* 0: none */
	const char		*folder;	/* NULL: left in place */
};

/* A recorded message as lookup and the move list give it. */
struct store_msgrow {
	int64_t		 id;
	int64_t		 request_id;	/* 0: none */
	char		*message_id;	/* or NULL */
	char		*folder;	/* or NULL */
	char		*location;
	uint32_t	 loc_uidvalidity;
	uint32_t	 loc_uid;	/* 0: unknown */
	int		 moved;
};

/* Make every commit so far durable (they survive a crash of the process
 * as soon as they are made; this makes them survive a power loss).  Call
 * it before acting on them outside: a reply sent, a message moved.  A
 * no-op when nothing was committed since the last one. */
int	 store_sync(struct store *);

/*
 * Find a recorded message: by Message-ID when message_id is not NULL, else
 * (or when that finds nothing) by hash.  *found = 0 when neither matches.
 * Free row's strings with store_msgrow_clear().
 */
int	 store_message_lookup(struct store *, const char *message_id,
	    const char *hash, struct store_msgrow *row, int *found);
void	 store_msgrow_clear(struct store_msgrow *);
/*
 * Record a message.  Returns 0 with *id of the new row, or 1 when a
 * message with the same Message-ID, hash or mailbox/UIDVALIDITY/UID is
 * recorded already (nothing changes; *id is that row), or -1.
 */
int	 store_message_add(struct store *, const struct store_message *,
	    int64_t *id);
/* The message now sits in location under loc_uidvalidity/loc_uid (0:
 * unknown); moved becomes 1 when location is its folder. */
int	 store_message_set_moved(struct store *, int64_t id,
	    const char *location, uint32_t loc_uidvalidity, uint32_t loc_uid);
/* The message cannot be found where the store says it is (someone moved
 * or deleted it): it stays wherever it now is, and is not looked for
 * again. */
int	 store_message_keep(struct store *, int64_t id);
/* The newest message row's id (ids only grow), 0 when there is none. */
int	 store_message_last(struct store *, int64_t *id);
/*
 * Messages waiting to be moved (folder set, moved = 0) that are now in
 * mailbox (NULL: anywhere), oldest first, at most limit (0: no limit).
 * Free with store_msgrows_free().
 */
int	 store_messages_unmoved(struct store *, const char *mailbox,
	    size_t limit, struct store_msgrow **rows, size_t *nrows);
void	 store_msgrows_free(struct store_msgrow *, size_t n);

/*
 * Parse markers: set before a message is handed to the parser and cleared
 * when its result is recorded (call store_parsing_end inside that same
 * transaction).  A marker still present at start means the parser died on
 * that message: quarantine it instead of parsing it again.
 */
struct store_parsing {
	char		*mailbox;
	uint32_t	 uidvalidity;
	uint32_t	 uid;
	int64_t		 started_at;
};

int	 store_parsing_begin(struct store *, const char *mailbox,
	    uint32_t uidvalidity, uint32_t uid, int64_t now);
int	 store_parsing_end(struct store *, const char *mailbox,
	    uint32_t uidvalidity, uint32_t uid);
/* Every marker, oldest first.  Free with store_parsing_free(). */
int	 store_parsing_stale(struct store *, struct store_parsing **list,
	    size_t *n);
void	 store_parsing_free(struct store_parsing *, size_t n);

/*
 * Requests.  The reference "REQ-000042" is made from the id and never
 * reused.  officials is a malloc'd array of nofficials (at most
 * LIMIT_OFFICIALS) whose field strings are malloc'd: merge_officials() may
 * grow it in place.
 */
struct store_request {
	int64_t			 id;
	char			 reference[STORE_REFLEN];
	enum intake_status	 status;
	enum lang		 lang;
	unsigned		 flags;
	char			*reason;
	char			*from_addr;
	char			*from_domain;	/* lower-case, from from_addr */
	char			*subject;
	int64_t			 created_at;
	int64_t			 updated_at;
	struct official		*officials;
	size_t			 nofficials;
};

/*
 * Create a request from r's status, lang, flags, reason, from_addr,
 * subject and officials (the other fields are ignored) at time now.  *id
 * and reference (may be NULL) get the new request's.
 */
int	 store_request_create(struct store *, const struct store_request *r,
	    int64_t now, int64_t *id, char reference[STORE_REFLEN]);
/* *rp = NULL when there is no request id.  Free with store_request_free(). */
int	 store_request_get(struct store *, int64_t id,
	    struct store_request **rp);
void	 store_request_free(struct store_request *);	/* accepts NULL */
/* Write r's status, flags, reason and officials (replacing the old ones)
 * into request r->id at time now. */
int	 store_request_update(struct store *, const struct store_request *r,
	    int64_t now);
/*
 * The request's status changed: every request message of it that is not
 * in folder is to be moved there (folder set, moved = 0).  *n (may be
 * NULL) gets how many messages were marked.
 */
int	 store_request_refile(struct store *, int64_t id, const char *folder,
	    size_t *n);
/* The request that one of our replies with this Message-ID answered, or
 * that holds a message with it; *id = 0 when none. */
int	 store_request_find_by_msgid(struct store *, const char *msgid,
	    int64_t *id);

#define STORE_MATCH_ADDRESS	0x01	/* same sender address */
#define STORE_MATCH_DOMAIN	0x02	/* same sender domain */
/*
 * The request named by reference ("REQ-000042", case-insensitive, any
 * number of leading zeros) when its sender matches from_addr as `match'
 * allows (address compared case-insensitively); *id = 0 otherwise.  *how
 * (may be NULL) gets the STORE_MATCH_ bit that matched.
 */
int	 store_request_find_by_reference(struct store *, const char *reference,
	    const char *from_addr, int match, int64_t *id, int *how);

/*
 * The outbox.  data holds the whole rendered message (RFC 5322, CRLF).
 */
enum store_reply_kind {
	STORE_REPLY_ACK,
	STORE_REPLY_MISSING,
	STORE_REPLY_REVIEW,
	STORE_REPLY_KIND_COUNT
};

enum store_reply_state {
	STORE_REPLY_QUEUED,
	STORE_REPLY_SENT,
	STORE_REPLY_FAILED,		/* permanently; store_reply_retry() */
	STORE_REPLY_SUPPRESSED,		/* rendered, never to be sent */
	STORE_REPLY_STATE_COUNT
};

struct store_reply {
	int64_t			 id;
	int64_t			 request_id;
	char			 reference[STORE_REFLEN];	/* out only */
	int64_t			 message_row;	/* 0: none */
	enum store_reply_kind	 kind;
	char			*message_id;	/* ours */
	char			*rcpt;
	char			*envelope_from;
	char			*data;
	size_t			 len;
	enum store_reply_state	 state;
	int			 attempts;
	int64_t			 next_attempt;
	char			*last_error;
	int64_t			 created_at;
	int64_t			 sent_at;	/* 0: not sent */
};

/* Queue (or file as suppressed) r's request_id, message_row, kind,
 * message_id, rcpt, envelope_from, data/len and state at time now. */
int	 store_reply_add(struct store *, const struct store_reply *r,
	    int64_t now, int64_t *id);
/* Queued replies with next_attempt <= now, oldest first, at most limit
 * (0: no limit).  Free with store_replies_free(). */
int	 store_replies_due(struct store *, int64_t now, size_t limit,
	    struct store_reply **list, size_t *n);
void	 store_replies_free(struct store_reply *, size_t n);
/* The earliest next_attempt of a queued reply, 0 when none is queued. */
int	 store_replies_next(struct store *, int64_t *when);
/* Queued -> sent.  Fails when reply id is not queued. */
int	 store_reply_mark_sent(struct store *, int64_t id, int64_t now);
/*
 * A delivery attempt failed.  Temporary: attempts + 1 and next_attempt =
 * now + min(60 * 2^(attempts - 1), 3600) s, still queued; permanent: state
 * failed.  Fails when reply id is not queued.
 */
int	 store_reply_mark_failed(struct store *, int64_t id, const char *error,
	    int permanent, int64_t now);
/* Failed replies of request `reference' go back to queued, due now with
 * attempts 0; *n (may be NULL) gets how many. */
int	 store_reply_retry(struct store *, const char *reference, int64_t now,
	    size_t *n);

/*
 * Replies per sender per day ("YYYY-MM-DD", store_day()).  sender is an
 * address, or "@domain" for a per-domain count; compared
 * case-insensitively.
 */
int	 store_reply_count(struct store *, const char *sender, const char *day,
	    unsigned *count);
/* count + 1; *count (may be NULL) gets the new value. */
int	 store_reply_count_bump(struct store *, const char *sender,
	    const char *day, unsigned *count);

/*
 * The connection, for read-only queries of intakectl's reports (SQLite's
 * JSON functions); never write through it.  Borrowed.
 */
struct sqlite3	*store_handle(struct store *);

#endif
