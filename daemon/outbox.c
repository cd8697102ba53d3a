/*
 * outbox.c -- deliver queued replies from a sender thread (see outbox.h).
 *
 * A round is the list of due replies read from the store by the owning
 * thread.  The sender thread walks it in order: it sends reply i over its
 * one SMTP session, writes the outcome into res[i], notes a reply the
 * server took in the sent-journal, and advances `sent' under the mutex
 * before it starts reply i + 1.  Entries below `sent' are never written
 * again, so the owning thread reads them without the lock, records them in
 * the store (one transaction for all it finds) and advances `marked'.  The
 * list itself is read-only for both until the round ends and the owning
 * thread frees it.
 *
 * The sent-journal (the store's path and "-sent") holds one line,
 * "id time", for each reply the server took and the store has not yet
 * recorded: one write(2), which survives the process being killed as a
 * commit does.  The owning thread empties it whenever the store has caught
 * up, and the first round of a run records whatever an earlier run left in
 * it.  So at most one reply (the one between the server's 250 and its line)
 * is ever sent and not on record, without a second writer on the store.
 * When the journal cannot be written, the sender waits for the store to
 * record the reply before it sends another.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "outbox.h"
#include "smtp.h"
#include "xmalloc.h"

#define JOURNAL_SUFFIX	"-sent"
#define JOURNAL_LINE	48	/* "id time\n", with room */
#define JOURNAL_MAX	(1u << 20)	/* read at a start, at most */

struct outbox_result {
	enum smtp_result res;
	int64_t		 at;		/* when it ended */
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
	int64_t			 tag;		/* the caller's, for settled */
	int			 whole;		/* took everything due */
	int			 journal;	/* fd, -1: none */

	/* Under mu. */
	size_t			 sent;		/* results written */
	size_t			 marked;	/* results recorded in the store */
	size_t			 noted;		/* lines in the journal */
	int			 work;		/* a new round is waiting */
	int			 stop;		/* after the reply in hand */

	/* Owning thread only. */
	int			 recovered;	/* the journal was read */
	int64_t			 settled;
	char			 err[256];

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
	ob->journal = -1;
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
	} else if (ob->sess == NULL && (ob->sess = outbox_smtp_open(ob->cfg,
	    out->err, sizeof(out->err))) == NULL) {
		out->res = SMTP_TEMPFAIL;
		*fail = *out;
	} else {
		out->res = smtp_send(ob->sess, r->envelope_from, r->rcpt,
		    r->data, r->len, out->err, sizeof(out->err));
		if (out->res == SMTP_TEMPFAIL) {
			/* The server or the link is the trouble, not this
			 * reply; the next round starts on a new connection. */
			*fail = *out;
			smtp_close(ob->sess);
			ob->sess = NULL;
		}
	}
	out->at = (int64_t)time(NULL);
}

/* Note reply i, which the server took, in the journal (mu held: the owning
 * thread empties the journal under it).  0, or -1 when it cannot. */
static int
note(struct outbox *ob, size_t i)
{
	char line[JOURNAL_LINE];
	int len;

	if (ob->journal == -1)
		return -1;
	len = snprintf(line, sizeof(line), "%" PRId64 " %" PRId64 "\n",
	    ob->list[i].id, ob->res[i].at);
	if (len <= 0 || (size_t)len >= sizeof(line) ||
	    write(ob->journal, line, (size_t)len) != len)
		return -1;
	ob->noted++;
	return 0;
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
		for (i = ob->sent; i < ob->n && !ob->stop; i = ob->sent) {
			pthread_mutex_unlock(&ob->mu);
			send_one(ob, i, &fail);
			pthread_mutex_lock(&ob->mu);
			ob->sent = i + 1;
			pthread_cond_broadcast(&ob->cv);
			/* Not noted: nothing more goes out until the store
			 * has it. */
			if (ob->res[i].res == SMTP_OK && note(ob, i) == -1)
				while (!ob->stop && ob->marked <= i)
					pthread_cond_wait(&ob->cv, &ob->mu);
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

static int
failed(struct outbox *ob, struct store *st)
{
	snprintf(ob->err, sizeof(ob->err), "%s", store_error(st));
	store_rollback(st);
	return -1;
}

/* Record results [marked, upto) in one transaction, log and count them;
 * then empty the journal if the store holds all it noted. */
static int
mark(struct outbox *ob, struct store *st, size_t upto,
    struct outbox_counts *c)
{
	const struct store_reply *r;
	const struct outbox_result *o;
	size_t i;
	int rc;

	if (ob->marked >= upto)
		return 0;
	if (store_begin(st) == -1)
		return failed(ob, st);
	for (i = ob->marked; i < upto; i++) {
		o = &ob->res[i];
		if (o->res == SMTP_OK)
			rc = store_reply_mark_sent(st, ob->list[i].id, o->at);
		else
			rc = store_reply_mark_failed(st, ob->list[i].id,
			    o->err, o->res == SMTP_PERMFAIL, o->at);
		if (rc == -1)
			return failed(ob, st);
	}
	if (store_commit(st) == -1)
		return failed(ob, st);
	for (i = ob->marked; i < upto; i++) {
		r = &ob->list[i];
		o = &ob->res[i];
		if (o->res == SMTP_OK) {
			c->sent++;
			log_info("%s reply sent to=%s", r->reference, r->rcpt);
		} else if (o->res == SMTP_PERMFAIL) {
			c->failed++;
			log_warnx("%s reply refused to=%s: %s", r->reference,
			    r->rcpt, o->err);
		} else {
			/* One line a round for an outage, not one a reply. */
			if (i == 0 || ob->res[i - 1].res != SMTP_TEMPFAIL)
				log_warnx("%s reply deferred to=%s: %s",
				    r->reference, r->rcpt, o->err);
			c->deferred++;
		}
	}
	pthread_mutex_lock(&ob->mu);
	ob->marked = upto;
	if (ob->noted > 0 && ob->marked == ob->sent) {
		/* Everything noted is on record: the lines can go. */
		if (ftruncate(ob->journal, 0) == 0)
			ob->noted = 0;
	}
	pthread_cond_broadcast(&ob->cv);
	pthread_mutex_unlock(&ob->mu);
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
	ob->n = ob->sent = ob->marked = 0;
	pthread_mutex_unlock(&ob->mu);
}

int
outbox_collect(struct outbox *ob, struct store *st, int wait,
    struct outbox_counts *c)
{
	size_t sent;
	int running;

	memset(c, 0, sizeof(*c));
	if (ob->list == NULL)
		return 0;
	for (;;) {
		pthread_mutex_lock(&ob->mu);
		while (wait && ob->running && ob->sent == ob->marked &&
		    ob->marked < ob->n)
			pthread_cond_wait(&ob->cv, &ob->mu);
		sent = ob->sent;
		running = ob->running;
		pthread_mutex_unlock(&ob->mu);
		if (mark(ob, st, sent, c) == -1)
			return -1;
		if (!wait || ob->marked == ob->n || !running)
			break;
	}
	if (ob->marked == ob->n) {
		if (ob->whole)
			ob->settled = ob->tag;
		round_free(ob);
	} else if (!running)
		round_free(ob);	/* stopped short: the rest stays queued */
	return 0;
}

/*
 * Open the journal, and record in the store what an earlier run noted in
 * it and did not record (it was killed in between).  A reply no longer
 * queued is left as it is.  Returns -1 only when the store failed.
 */
static int
recover(struct outbox *ob, struct store *st)
{
	struct buf path, text;
	char chunk[4096], *p, *eol, *end;
	int64_t id, at;
	unsigned n = 0;
	ssize_t got;
	int fd, rc = 0;

	buf_init(&path, 8192);
	buf_init(&text, JOURNAL_MAX);
	fd = -1;
	errno = ENAMETOOLONG;
	if (buf_printf(&path, "%s%s", ob->cfg->store.path, JOURNAL_SUFFIX) ==
	    0)
		fd = open(path.data, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC |
		    O_NOFOLLOW, 0600);
	if (fd == -1) {
		log_warnx("outbox: %s%s: %s; each reply waits for the store "
		    "before the next", ob->cfg->store.path, JOURNAL_SUFFIX,
		    strerror(errno));
		buf_free(&path);
		return 0;
	}
	/* Far more than one round can leave: past it, lines are dropped
	 * (and those replies may go again). */
	while ((got = read(fd, chunk, sizeof(chunk))) > 0 &&
	    buf_add(&text, chunk, (size_t)got) == 0)
		;
	if (text.len == 0)
		goto done;
	if (store_begin(st) == -1) {
		rc = failed(ob, st);
		goto done;
	}
	/* Whole lines only: a line is one write, so a torn one was never
	 * finished. */
	end = text.data + text.len;
	for (p = text.data; (eol = memchr(p, '\n', (size_t)(end - p))) !=
	    NULL; p = eol + 1) {
		*eol = '\0';
		if (sscanf(p, "%" SCNd64 " %" SCNd64, &id, &at) == 2 &&
		    store_reply_mark_sent(st, id, at) == 0)
			n++;
	}
	if (store_commit(st) == -1) {
		rc = failed(ob, st);
		goto done;
	}
	if (n > 0)
		log_info("outbox: %u replies sent by an earlier run recorded "
		    "now", n);
	if (ftruncate(fd, 0) == -1)
		log_warnx("outbox: %s: %s", path.data, strerror(errno));
done:
	if (rc == 0)
		ob->journal = fd;
	else
		close(fd);
	buf_free(&path);
	buf_free(&text);
	return rc;
}

int
outbox_submit(struct outbox *ob, struct store *st, int64_t now, int64_t tag,
    struct outbox_counts *c)
{
	struct store_reply *list = NULL;
	size_t n = 0;

	if (outbox_collect(ob, st, 0, c) == -1)
		return -1;
	if (ob->list != NULL)
		return 0;	/* the round in hand is not over */
	if (!ob->recovered) {
		if (recover(ob, st) == -1)
			return -1;
		ob->recovered = 1;
	}
	/* What a reply answers must be on disk before the reply leaves
	 * (and before a message moves: see intaked.c). */
	if (store_sync(st) == -1 || store_replies_due(st, now,
	    OUTBOX_ROUND_MAX, &list, &n) == -1) {
		snprintf(ob->err, sizeof(ob->err), "%s", store_error(st));
		return -1;
	}
	if (n == 0) {
		ob->settled = tag;	/* every reply due has been tried */
		return 0;
	}
	if (!ob->running && start_thread(ob) == -1) {
		log_warnx("smtp: cannot start the sender thread");
		store_replies_free(list, n);
		return 0;	/* still queued: the next round tries again */
	}
	ob->res = xcalloc(n, sizeof(*ob->res));
	ob->tag = tag;
	ob->whole = n < OUTBOX_ROUND_MAX;
	pthread_mutex_lock(&ob->mu);
	ob->list = list;
	ob->n = n;
	ob->sent = ob->marked = 0;
	ob->work = 1;
	pthread_cond_broadcast(&ob->cv);
	pthread_mutex_unlock(&ob->mu);
	return (int)n;
}

int64_t
outbox_settled(const struct outbox *ob)
{
	return ob->settled;
}

const char *
outbox_error(const struct outbox *ob)
{
	return ob->err;
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
	 * next collect (and noted in the journal for the next run). */
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
	if (ob->journal != -1)
		close(ob->journal);
	pthread_cond_destroy(&ob->cv);
	pthread_mutex_destroy(&ob->mu);
	free(ob);
}
