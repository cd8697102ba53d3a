/*
 * outbox.h -- send the replies queued in the store (SPEC 3.7).
 *
 * The daemon hands each round of due replies to a sender thread and goes
 * on fetching and parsing the next batch while the SMTP server answers;
 * the results come back to the thread that owns the store, which marks
 * them.  The sender thread never touches the store, the IMAP session or
 * the log: it holds one SMTP session and a read-only view of the round.
 *
 * A reply is marked sent only after the server accepted it, each in its
 * own small transaction, and the sender starts a reply only when every
 * earlier one of its round is on record: a crash between the server's 250
 * and that commit is the one window in which a reply can go out twice, and
 * it holds one reply at most.  Temporary failures
 * stay queued with backoff (store.c); a permanent refusal is marked failed
 * and waits for `intakectl retry`.  After a connection-level failure the
 * rest of the round waits its backoff with the same error, rather than
 * knock on a dead server once a reply.
 */
#ifndef INTAKE_OUTBOX_H
#define INTAKE_OUTBOX_H

#include <stdint.h>

#include "config.h"
#include "smtp.h"
#include "store.h"

struct outbox_counts {
	unsigned	sent;
	unsigned	deferred;	/* temporary failure, still queued */
	unsigned	failed;		/* permanent */
};

/* An SMTP session with cfg's [smtp] settings (nothing connected yet);
 * NULL with err set on a bad setting. */
struct smtp_session *outbox_smtp_open(const struct config *cfg, char *err,
	    size_t errlen);

struct outbox;

/* An outbox for cfg's [smtp] settings (cfg must outlive it).  No thread
 * runs and nothing is connected until the first round. */
struct outbox	*outbox_new(const struct config *cfg);

/* Replies in one round when the caller sets no cap: a round is read
 * whole into memory. */
#define OUTBOX_ROUND_MAX	256

/*
 * Start a round: wait for the previous round and mark its results (as
 * outbox_collect(wait = 1)), make every commit so far durable (whatever
 * the return, unless -1), then hand
 * every reply due at now (at most max, 0: OUTBOX_ROUND_MAX) to the sender
 * thread, started when none runs.  Returns how many were handed over, or
 * -1 when the store failed (nothing handed over).  *c gets the previous
 * round's counts.
 */
int		 outbox_submit(struct outbox *, struct store *, int64_t now,
		    unsigned max, struct outbox_counts *c);

/*
 * Mark in the store what the sender thread has finished of the current
 * round; with wait, wait for the whole round first.  *c gets the counts
 * of what was marked here.  Returns 0, or -1 when the store failed (the
 * unmarked replies stay queued and may be sent again).
 */
int		 outbox_collect(struct outbox *, struct store *, int wait,
		    struct outbox_counts *c);

/*
 * Stop the sender: with finish, after the round in hand (marked as it
 * goes); without, after the reply in hand (the rest stays queued in the
 * store).  Then mark what
 * was done, end the thread and close the SMTP connection, wiping its copy
 * of the password.  The next round starts them again.  Call it before the
 * daemon forks, before it waits idle, and when the configuration changes.
 */
int		 outbox_stop(struct outbox *, struct store *, int finish,
		    struct outbox_counts *c);

/* Stops as outbox_stop(finish = 0) would, without a store to mark in:
 * call outbox_stop() first.  Accepts NULL. */
void		 outbox_free(struct outbox *);

#endif
