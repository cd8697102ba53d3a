/*
 * outbox.c -- deliver queued replies from a sender thread (see outbox.h).
 *
 * A round is the list of due replies read from the store by the owning
 * thread.  The sender thread walks it in order, sending each over its one
 * SMTP session and writing the outcome into res[], then advances `done'
 * under the mutex.  Entries below `done' are never written again, so the
 * owning thread reads them without the lock, marks them in the store and
 * advances `marked' under the mutex.  The sender starts reply i only
 * when replies 0..i-1 are recorded: as with a sender in the owning thread,
 * at most one reply is ever out and not on record, so a crash sends at
 * most one reply twice.  The list itself is read-only for both until the
 * round is collected and freed by the owning thread.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "outbox.h"
#include "smtp.h"
#include "xmalloc.h"

struct outbox_result {
	enum smtp_result res;
	char		 err[256];
};

struct outbox {
	const struct config	*cfg;

	pthread_t		 thread;
	int			 running;	/* thread started, not joined */
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;		/* work, progress or stop */

	/* The round (owning thread writes these only while no round is in
	 * the sender's hands). */
	struct store_reply	*list;
	struct outbox_result	*res;
	size_t			 n;

	/* Under mu. */
	size_t			 done;		/* results written */
	size_t			 marked;	/* results marked in the store
						 * (written by the owning
						 * thread, which may read it
						 * without the lock) */
	int			 work;		/* a new round is waiting */
	int			 stop;		/* after the reply in hand */

	/* Sender thread only. */
	struct smtp_session	*sess;
};

struct smtp_session *
outbox_smtp_open(const struct config *cfg, char *err, size_t errlen)
{
	const struct config_smtp *s = &cfg->smtp;
	enum smtp_security sec;

	switch (s->security) {
	case CONFIG_SECURITY_TLS:
		sec = SMTP_SECURITY_TLS;
		break;
	case CONFIG_SECURITY_STARTTLS:
		sec = SMTP_SECURITY_STARTTLS;
		break;
	default:
		sec = SMTP_SECURITY_NONE;
	}
	return smtp_open(s->host, (unsigned)s->port, sec, s->ca_file, s->user,
	    s->password, (long)s->timeout, err, errlen);
}

struct outbox *
outbox_new(const struct config *cfg)
{
	struct outbox *ob = xcalloc(1, sizeof(*ob));

	ob->cfg = cfg;
	pthread_mutex_init(&ob->mu, NULL);
	pthread_cond_init(&ob->cv, NULL);
	return ob;
}

/* One reply of the round, in the sender thread.  After a connection-level
 * failure the rest of the round gets the same error without a try. */
static void
send_one(struct outbox *ob, size_t i, struct outbox_result *fail)
{
	const struct store_reply *r = &ob->list[i];
	struct outbox_result *out = &ob->res[i];

	if (fail->res != SMTP_OK) {
		*out = *fail;
		return;
	}
	if (ob->sess == NULL && (ob->sess = outbox_smtp_open(ob->cfg, out->err,
	    sizeof(out->err))) == NULL) {
		out->res = SMTP_TEMPFAIL;
		*fail = *out;
		return;
	}
	out->res = smtp_send(ob->sess, r->envelope_from, r->rcpt, r->data,
	    r->len, out->err, sizeof(out->err));
	if (out->res == SMTP_TEMPFAIL) {
		/* The server or the link is the trouble, not this reply; the
		 * next round starts on a new connection. */
		*fail = *out;
		smtp_close(ob->sess);
		ob->sess = NULL;
	}
}

static void *
sender_main(void *arg)
{
	struct outbox *ob = arg;
	struct outbox_result fail;
	size_t i;

	pthread_mutex_lock(&ob->mu);
	for (;;) {
		while (!ob->work && !ob->stop)
			pthread_cond_wait(&ob->cv, &ob->mu);
		if (!ob->work)
			break;
		ob->work = 0;
		memset(&fail, 0, sizeof(fail));
		fail.res = SMTP_OK;
		for (i = ob->done; i < ob->n; i = ob->done) {
			while (ob->marked < i && !ob->stop)
				pthread_cond_wait(&ob->cv, &ob->mu);
			if (ob->stop)
				break;
			pthread_mutex_unlock(&ob->mu);
			send_one(ob, i, &fail);
			pthread_mutex_lock(&ob->mu);
			ob->done = i + 1;
			pthread_cond_broadcast(&ob->cv);
		}
		if (ob->stop)
			break;
	}
	pthread_mutex_unlock(&ob->mu);
	smtp_close(ob->sess);
	ob->sess = NULL;
	return NULL;
}

/* Signals belong to the main thread (they end its waits): the sender
 * starts with all of them blocked. */
static int
start_thread(struct outbox *ob)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ob->stop = 0;
	rc = pthread_create(&ob->thread, NULL, sender_main, ob);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return -1;
	ob->running = 1;
	return 0;
}

/* One more result is on record: the sender may start the next reply. */
static void
publish(struct outbox *ob)
{
	pthread_mutex_lock(&ob->mu);
	ob->marked++;
	pthread_cond_broadcast(&ob->cv);
	pthread_mutex_unlock(&ob->mu);
}

/* Mark results [marked, upto) in the store, now being when they ended. */
static int
mark(struct outbox *ob, struct store *st, size_t upto, int64_t now,
    struct outbox_counts *c)
{
	for (; ob->marked < upto; publish(ob)) {
		const struct store_reply *r = &ob->list[ob->marked];
		const struct outbox_result *o = &ob->res[ob->marked];

		if (o->res == SMTP_OK) {
			if (store_reply_mark_sent(st, r->id, now) == -1)
				return -1;
			c->sent++;
			log_info("%s reply sent to=%s", r->reference, r->rcpt);
			continue;
		}
		if (store_reply_mark_failed(st, r->id, o->err,
		    o->res == SMTP_PERMFAIL, now) == -1)
			return -1;
		if (o->res == SMTP_PERMFAIL) {
			c->failed++;
			log_warnx("%s reply refused to=%s: %s", r->reference,
			    r->rcpt, o->err);
		} else {
			/* One line a round for an outage, not one a reply. */
			if (ob->marked == 0 || ob->res[ob->marked - 1].res !=
			    SMTP_TEMPFAIL)
				log_warnx("%s reply deferred to=%s: %s",
				    r->reference, r->rcpt, o->err);
			c->deferred++;
		}
	}
	return 0;
}

static void
round_free(struct outbox *ob)
{
	store_replies_free(ob->list, ob->n);
	free(ob->res);
	ob->list = NULL;
	ob->res = NULL;
	pthread_mutex_lock(&ob->mu);
	ob->n = ob->marked = ob->done = 0;
	pthread_mutex_unlock(&ob->mu);
}

int
outbox_collect(struct outbox *ob, struct store *st, int wait,
    struct outbox_counts *c)
{
	size_t upto;
	int rc, running;

	memset(c, 0, sizeof(*c));
	if (ob->list == NULL)
		return 0;
	for (;;) {
		pthread_mutex_lock(&ob->mu);
		while (wait && ob->running && ob->done == ob->marked &&
		    ob->marked < ob->n)
			pthread_cond_wait(&ob->cv, &ob->mu);
		upto = ob->done;
		running = ob->running;
		pthread_mutex_unlock(&ob->mu);
		if ((rc = mark(ob, st, upto, (int64_t)time(NULL), c)) == -1)
			return -1;
		if (!wait || ob->marked == ob->n || !running)
			break;
	}
	/* Done, or stopped short: what the sender never reached stays
	 * queued in the store for a later round. */
	if (ob->marked == ob->n || !running)
		round_free(ob);
	return 0;
}

int
outbox_submit(struct outbox *ob, struct store *st, int64_t now,
    unsigned max, struct outbox_counts *c)
{
	struct store_reply *list = NULL;
	size_t n = 0;

	if (outbox_collect(ob, st, 1, c) == -1)
		return -1;
	/* What a reply answers must be on disk before the reply leaves
	 * (and before a message moves: see intaked.c). */
	if (store_sync(st) == -1)
		return -1;
	if (ob->list != NULL)
		return 0;	/* the sender stopped mid-round: not now */
	if (store_replies_due(st, now, max ? max : OUTBOX_ROUND_MAX, &list,
	    &n) == -1)
		return -1;
	if (n == 0)
		return 0;
	if (!ob->running && start_thread(ob) == -1) {
		log_warnx("smtp: cannot start the sender thread");
		store_replies_free(list, n);
		return 0;	/* still queued: the next round tries again */
	}
	ob->res = xcalloc(n, sizeof(*ob->res));
	pthread_mutex_lock(&ob->mu);
	ob->list = list;
	ob->n = n;
	ob->done = ob->marked = 0;
	ob->work = 1;
	pthread_cond_broadcast(&ob->cv);
	pthread_mutex_unlock(&ob->mu);
	return (int)n;
}

/* End the thread, after the reply in hand. */
static void
join(struct outbox *ob)
{
	if (!ob->running)
		return;
	pthread_mutex_lock(&ob->mu);
	ob->stop = 1;
	pthread_cond_broadcast(&ob->cv);
	pthread_mutex_unlock(&ob->mu);
	pthread_join(ob->thread, NULL);
	ob->running = 0;
	ob->stop = 0;
	ob->work = 0;
}

int
outbox_stop(struct outbox *ob, struct store *st, int finish,
    struct outbox_counts *c)
{
	struct outbox_counts more;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	if (ob == NULL)
		return 0;
	if (finish && ob->running)
		rc = outbox_collect(ob, st, 1, c);
	join(ob);
	/* When the store cannot take the results, they are kept for the
	 * next collect: the replies went out and must not go again. */
	if (outbox_collect(ob, st, 0, &more) == -1)
		rc = -1;
	c->sent += more.sent;
	c->deferred += more.deferred;
	c->failed += more.failed;
	return rc;
}

void
outbox_free(struct outbox *ob)
{
	if (ob == NULL)
		return;
	join(ob);
	round_free(ob);
	pthread_cond_destroy(&ob->cv);
	pthread_mutex_destroy(&ob->mu);
	free(ob);
}
