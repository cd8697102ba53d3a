/*
 * outbox.h -- send the replies queued in the store (SPEC 3.7).
 *
 * The daemon hands each round of due replies to a sender thread and goes
 * on fetching and parsing the next batches while the SMTP server answers.
 * The sender thread holds one SMTP session and never touches the store,
 * the IMAP session or the log; the owning thread records and logs what it
 * did.
 *
 * A reply is marked sent only after the server accepted it.  Between the
 * two, the sender notes it in a journal beside the store before it starts
 * the next reply, and a run records what an earlier one noted: a crash
 * between the server's 250 and that note is the one window in which a
 * reply can go out twice, and it holds one reply at most.  Temporary
 * failures stay queued with backoff (store.c); a permanent refusal is
 * marked failed and waits for `intakectl retry`.  After a connection-level
 * failure the rest of the round waits its backoff with the same error,
 * rather than knock on a dead server once a reply.
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
 * Start a round when the sender has none: record the previous round's
 * results (as outbox_collect(wait = 0)); at the first round, what an
 * earlier run noted and did not record; make every commit so far durable,
 * then hand every reply due at now (at most OUTBOX_ROUND_MAX) to the
 * sender thread, started when none runs.  tag is the caller's (the last
 * message recorded): see outbox_settled().  Returns how many were handed
 * over (0: none due, or the round in hand is not over), or -1 when the
 * store failed (outbox_error() says why).  *c gets what was counted.
 */
int		 outbox_submit(struct outbox *, struct store *, int64_t now,
		    int64_t tag, struct outbox_counts *c);

/*
 * Record in the store, in one transaction, and log what the sender has
 * finished of the current round; with wait, wait for the whole round
 * first.  *c gets the counts.  Returns 0, or -1 when the store failed
 * (outbox_error() says why): the results are kept for the next call, and
 * the replies the server took stay noted in the journal.
 */
int		 outbox_collect(struct outbox *, struct store *, int wait,
		    struct outbox_counts *c);

/* The tag of the latest round that ended having taken every reply due
 * when it began (or of a submit that found none due); 0 before any.
 * Every reply queued before it was tagged has been tried. */
int64_t		 outbox_settled(const struct outbox *);

/* Why the last outbox_submit() or outbox_collect() returned -1. */
const char	*outbox_error(const struct outbox *);

/*
 * Stop the sender: with finish, after the round in hand; without, after
 * the reply in hand (the rest stays queued in the store).  Then end the
 * thread, record what it did, and close its SMTP connection, wiping its
 * copy of the password.  The next round starts
 * them again.  Call it before the daemon forks, before it waits idle, and
 * when the configuration changes.
 */
int		 outbox_stop(struct outbox *, struct store *, int finish,
		    struct outbox_counts *c);

/* Stops as outbox_stop(finish = 0) would, without a store to mark in:
 * call outbox_stop() first.  Accepts NULL. */
void		 outbox_free(struct outbox *);

#endif
