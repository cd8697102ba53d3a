/*
 * intaked -- watch a mailbox over IMAP, decide every request, answer it
 * and file it (SPEC 3).
 *
 * Set up, then one loop.  main() reads the configuration, takes the lock,
 * opens the store, loads the form and the templates and starts the parse
 * worker; run() is a small state machine over the IMAP session:
 *
 *   CONNECT -> SELECT -> SCAN -> WAIT -> SCAN ...
 *      ^__________|_________|______|   (any connection error: backoff)
 *
 * SCAN takes the UIDs above the store's high-water mark in batches: fetch,
 * decide and record each message (process.c, one transaction each), then
 * hand the batch's replies to the outbox's sender thread (outbox.c) and
 * move what was recorded (here).  The two overlap: batch N's replies go
 * out while batch N + 1 is fetched and decided, and batch N moves once its
 * replies are done, with batch N + 1; a scan ends with every round sent
 * and everything recorded moved.  WAIT is
 * IDLE where the server has it, else a poll_interval sleep; it ends early
 * for a signal or a due retry.  Signal handlers only set flags.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "buf.h"
#include "config.h"
#include "form.h"
#include "imap.h"
#include "intake.h"
#include "limits.h"
#include "log.h"
#include "outbox.h"
#include "process.h"
#include "reply.h"
#include "smtp.h"
#include "store.h"
#include "worker.h"
#include "xmalloc.h"

#define KEYWORD_SEEN	"$IntakedSeen"	/* on mail we leave in place */
#define IDLE_MAX	(25 * 60)	/* re-IDLE well before 29 minutes */
#define BACKOFF_MAX	300		/* seconds between reconnects, at most */
#define MOVE_EVERY	500		/* decisions between moves in a scan */
#define STALL_RETRY	10		/* seconds between tries of a store
					 * that cannot write */

static volatile sig_atomic_t	 got_stop;
static volatile sig_atomic_t	 got_reload;
static volatile sig_atomic_t	 got_signal;	/* any of them: ends an IDLE */

/* Everything loaded from the configuration; replaced whole on SIGHUP. */
struct setup {
	struct config		*cfg;
	struct form		*form;
	struct reply_templates	*templates;
	struct intake_opts	 opts;
};

struct daemon {
	const char		*config_path;
	int			 once;
	int			 dry_run;
	struct setup		 s;
	struct store		*store;
	struct worker		*worker;
	struct imap_session	*imap;
	struct outbox		*outbox;	/* the sender thread */
	unsigned long		 moved_at;	/* decided at the last move */
	struct imap_mailbox_info box;
	struct store_mailbox	 mark;		/* the store's state */
	int			 ready;		/* READY=1 sent */
	uint64_t		 watchdog_usec;	/* 0: no watchdog */
	time_t			 last_ping;
	unsigned		 attempt;	/* reconnects in a row */
	int			 status;	/* exit status, EX_OK unless set */
	time_t			 stalled_since;	/* the store cannot write; 0:
						 * it can */
	uint32_t		 stalled_uid;	/* parsed, not recorded: its
						 * parse marker is no crash */
	struct store_parsing	*stale;		/* parser died on these */
	size_t			 nstale;
	/* counts for STATUS= */
	unsigned long		 decided, requests, sent, failed_sends;
};

enum state { S_CONNECT, S_SELECT, S_SCAN, S_WAIT, S_DONE };

static void	stop_outbox(struct daemon *, int finish);

static const char *const state_names[] = {
	"connect", "select", "scan", "wait", "done"
};

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_reload = 1;
	else
		got_stop = 1;
	got_signal = 1;
}

static void
set_state(enum state *st, enum state next)
{
	if (*st != next)
		log_debug("state %s -> %s", state_names[*st],
		    state_names[next]);
	*st = next;
}

static void
usage(void)
{
	fprintf(stderr, "usage: intaked -c FILE [--once [--dry-run]] [-v]\n");
	exit(EX_USAGE);
}

/* ---- configuration, form, templates ---- */

/* templates/ sits beside forms/ (both in the source tree and installed). */
static char *
templates_dir(const char *form_path)
{
	char *copy = xstrdup(form_path), *dir;
	struct buf b;

	dir = dirname(copy);
	buf_init(&b, 4096);
	buf_printf(&b, "%s/../templates", dir);
	free(copy);
	return buf_release(&b);
}

static int
setup_load(const char *path, struct setup *s, struct buf *errors)
{
	char err[4096], *tdir;

	memset(s, 0, sizeof(*s));
	if (config_load(path, &s->cfg, errors) == -1)
		return -1;
	if (form_load(s->cfg->triage.form, &s->form, err, sizeof(err)) == -1) {
		buf_printf(errors, "%s\n", err);
		config_free(s->cfg);
		return -1;
	}
	tdir = templates_dir(s->cfg->triage.form);
	if (reply_templates_load(tdir, &s->templates, err, sizeof(err)) ==
	    -1) {
		buf_printf(errors, "%s\n", err);
		free(tdir);
		form_free(s->form);
		config_free(s->cfg);
		return -1;
	}
	free(tdir);
	s->opts.own_address = s->cfg->smtp.from_addr;
	/* Whose Authentication-Results to believe (NULL: nobody's, and no
	 * sender is flagged unauthenticated). */
	s->opts.trusted_authserv_id = s->cfg->triage.trusted_authserv_id;
	return 0;
}

static void
setup_free(struct setup *s)
{
	reply_templates_free(s->templates);
	form_free(s->form);
	config_free(s->cfg);
	memset(s, 0, sizeof(*s));
}

static void
log_lines(void (*fn)(const char *, ...), const char *text)
{
	const char *p = text, *nl;

	while (p && *p) {
		nl = strchr(p, '\n');
		fn("%.*s", (int)(nl ? nl - p : (long)strlen(p)), p);
		p = nl ? nl + 1 : NULL;
	}
}

static int
start_worker(struct daemon *d)
{
	char err[256];

	d->worker = worker_start(d->s.form, &d->s.opts, NULL, 1, d->s.cfg, err,
	    sizeof(err));
	if (d->worker == NULL) {
		log_warnx("%s", err);
		return -1;
	}
	return 0;
}

/* SIGHUP: a bad new configuration is refused and the old one kept.
 * Returns 1 when the new one is in place (the session must be made
 * again), 0 when it was refused. */
static int
reload(struct daemon *d)
{
	struct setup next;
	struct buf errors;

	got_reload = 0;
	buf_init(&errors, 64 * 1024);
	if (setup_load(d->config_path, &next, &errors) == -1) {
		log_warnx("reload refused, keeping the running configuration:");
		log_lines(log_warnx, errors.data);
		buf_free(&errors);
		return 0;
	}
	buf_free(&errors);
	if (strcmp(next.cfg->store.path, d->s.cfg->store.path) != 0)
		log_warnx("reload: [store] path changes only at restart");
	/* Reconnect with the new settings; closed first, so that the new
	 * worker is not forked holding a live IMAP or SMTP session. */
	imap_close(d->imap);
	d->imap = NULL;
	stop_outbox(d, 1);
	outbox_free(d->outbox);
	worker_stop(d->worker);
	setup_free(&d->s);
	d->s = next;
	d->s.opts.own_address = d->s.cfg->smtp.from_addr;
	d->outbox = outbox_new(d->s.cfg);
	if (start_worker(d) == -1)
		got_stop = 1;
	log_info("configuration reloaded");
	return 1;
}

/* ---- systemd ---- */

static void
notify_status(struct daemon *d, const char *what)
{
	sd_notifyf(0, "STATUS=%s; %lu decided, %lu requests, %lu replies "
	    "sent, %lu send failures", what, d->decided, d->requests, d->sent,
	    d->failed_sends);
}

/* WATCHDOG=1 from the working loop only: a stuck loop is restarted. */
static void
ping(struct daemon *d)
{
	time_t now = time(NULL);

	if (d->watchdog_usec == 0)
		return;
	if ((uint64_t)(now - d->last_ping) * 1000000 >= d->watchdog_usec / 2) {
		sd_notify(0, "WATCHDOG=1");
		d->last_ping = now;
	}
}

/* Sleep up to secs, waking for a signal; keeps the watchdog fed. */
static void
nap(struct daemon *d, unsigned secs)
{
	time_t end = time(NULL) + secs;

	while (!got_stop && !got_reload && time(NULL) < end) {
		ping(d);
		poll(NULL, 0, 500);
	}
}

/* ---- a store that cannot write ---- */

/*
 * The store refused a write (its file system is full, most likely).  What
 * is recorded stays as it is; new mail waits in the mailbox, undecided, and
 * nothing is sent or moved until a write succeeds again, tried every
 * STALL_RETRY seconds.  One line when it starts and one when it ends, not
 * one per try.  With --once there is no waiting: the run ends, status 75.
 */
static void
stall(struct daemon *d, const char *why)
{
	if (d->stalled_since != 0) {
		log_debug("store: still cannot write: %s", why);
		return;
	}
	d->stalled_since = time(NULL);
	if (d->once) {
		log_warnx("store: cannot write: %s; stopping (--once)", why);
		d->status = EX_TEMPFAIL;
		got_stop = 1;
		return;
	}
	log_warnx("store: cannot write: %s; new mail stays in %s and no reply "
	    "goes out until it can (trying every %d s)", why,
	    d->s.cfg->imap.mailbox, STALL_RETRY);
	notify_status(d, "the store cannot write");
}

static void
unstall(struct daemon *d)
{
	if (d->stalled_since == 0)
		return;
	log_info("store: writing again after %lld s; taking new mail",
	    (long long)(time(NULL) - d->stalled_since));
	d->stalled_since = 0;
	d->stalled_uid = 0;
}

/* What a round of the outbox did, into the counts and the stall state. */
static void
outbox_done(struct daemon *d, int rc, const struct outbox_counts *c)
{
	if (rc == -1)
		stall(d, outbox_error(d->outbox));
	else if (c->sent + c->deferred + c->failed > 0)
		unstall(d);
	d->sent += c->sent;
	d->failed_sends += c->failed;
}

/*
 * When the sender thread is done with its round, hand it every reply now
 * due; it sends them while the next batches are fetched and decided.
 * Returns how many were handed over.  The round is tagged with the last
 * message recorded: once it is over, that message and every one before
 * it have had their replies tried and may move (outbox_settled()).
 */
static int
send_outbox(struct daemon *d)
{
	struct outbox_counts c;
	int64_t last = 0;
	int n;

	if (d->dry_run)
		return 0;
	if (store_message_last(d->store, &last) == -1) {
		stall(d, store_error(d->store));
		return 0;
	}
	n = outbox_submit(d->outbox, d->store, time(NULL), last, &c);
	outbox_done(d, n < 0 ? -1 : 0, &c);
	return n < 0 ? 0 : n;
}

/* Record what the sender has finished (wait: the whole round).  Called
 * after every message too, so that the store has a reply within a
 * message's time of its sending (until then the journal has it). */
static void
collect_outbox(struct daemon *d, int wait)
{
	struct outbox_counts c;

	if (d->dry_run)
		return;
	outbox_done(d, outbox_collect(d->outbox, d->store, wait, &c), &c);
}

/* End the sender thread and its SMTP session (see outbox_stop()). */
static void
stop_outbox(struct daemon *d, int finish)
{
	struct outbox_counts c;

	if (d->outbox == NULL || d->store == NULL)
		return;
	outbox_done(d, outbox_stop(d->outbox, d->store, finish, &c), &c);
}

/* ---- IMAP states ---- */

static enum imap_security
imap_security_of(enum config_security s)
{
	switch (s) {
	case CONFIG_SECURITY_TLS:
		return IMAP_SEC_TLS;
	case CONFIG_SECURITY_STARTTLS:
		return IMAP_SEC_STARTTLS;
	default:
		return IMAP_SEC_NONE;
	}
}

static enum state
do_connect(struct daemon *d)
{
	const struct config_imap *c = &d->s.cfg->imap;
	struct imap_params p;
	char err[512];
	unsigned delay, jitter;
	int rc;

	imap_close(d->imap);	/* whatever was left: never two sessions */
	d->imap = NULL;
	memset(&p, 0, sizeof(p));
	p.host = c->host;
	p.port = (unsigned)c->port;
	p.security = imap_security_of(c->security);
	p.ca_file = c->ca_file;
	p.user = c->user;
	p.password = c->password;
	p.timeout = c->timeout;
	rc = imap_connect(&p, &d->imap, err, sizeof(err));
	if (rc == IMAP_OK) {
		if (d->attempt > 0)
			log_info("imap: connected again after %u attempts",
			    d->attempt);
		d->attempt = 0;
		return S_SELECT;
	}
	d->attempt++;
	delay = d->attempt >= 9 ? BACKOFF_MAX : 1u << d->attempt;
	if (delay > BACKOFF_MAX)
		delay = BACKOFF_MAX;
	if (getrandom(&jitter, sizeof(jitter), 0) != sizeof(jitter))
		jitter = 0;
	delay = delay / 2 + jitter % (delay + 1);
	log_warnx("imap: %s (%s); attempt %u, next in %u s", err,
	    imap_error_name(rc), d->attempt, delay);
	if (d->once && rc == IMAP_ERR_TLS_VERIFY) {
		log_warnx("imap: certificate refused; giving up (--once)");
		d->status = EX_UNAVAILABLE;
		got_stop = 1;
		return S_DONE;
	}
	notify_status(d, "reconnecting");
	nap(d, delay);
	return S_CONNECT;
}

static int
lost(struct daemon *d, int rc, const char *what, const char *err)
{
	log_warnx("imap: %s: %s (%s)", what, err, imap_error_name(rc));
	imap_close(d->imap);
	d->imap = NULL;
	return S_CONNECT;
}

static enum state
do_select(struct daemon *d)
{
	const struct config *cfg = d->s.cfg;
	const char *mbox = cfg->imap.mailbox;
	char err[512];
	int rc, found, f;

	if (!d->dry_run)
		for (f = 0; f < CONFIG_FOLDER_COUNT; f++) {
			rc = imap_ensure_folder(d->imap,
			    cfg->triage.folder[f], err, sizeof(err));
			if (rc != IMAP_OK)
				return lost(d, rc, "create folder", err);
		}
	rc = imap_select(d->imap, mbox, d->dry_run, &d->box, err,
	    sizeof(err));
	if (rc != IMAP_OK)
		return lost(d, rc, "select", err);
	if (store_mailbox_get(d->store, mbox, &d->mark, &found) == -1) {
		log_warnx("store: %s", store_error(d->store));
		d->status = EX_TEMPFAIL;
		got_stop = 1;
		return S_DONE;
	}
	if (!found) {
		memset(&d->mark, 0, sizeof(d->mark));
		d->mark.uidvalidity = d->box.uidvalidity;
		if (cfg->imap.first_start == CONFIG_FIRST_NEW) {
			d->mark.uidnext_first = d->box.uidnext;
			d->mark.highest_uid = d->box.uidnext > 0 ?
			    d->box.uidnext - 1 : 0;
			log_info("first start on %s: taking mail from UID %u "
			    "on (first_start = new)", mbox, d->box.uidnext);
		} else
			log_info("first start on %s: taking all its mail",
			    mbox);
	} else if (d->mark.uidvalidity != d->box.uidvalidity) {
		log_warnx("%s: UIDVALIDITY changed from %u to %u: rescanning;"
		    " recorded messages are recognised and not answered again",
		    mbox, d->mark.uidvalidity, d->box.uidvalidity);
		d->mark.uidvalidity = d->box.uidvalidity;
		d->mark.highest_uid = 0;
		found = 0;
	}
	if (!found && !d->dry_run &&
	    store_mailbox_set(d->store, mbox, &d->mark) == -1) {
		log_warnx("store: %s", store_error(d->store));
		d->status = EX_TEMPFAIL;
		got_stop = 1;
		return S_DONE;
	}
	if (!d->ready) {
		sd_notify(0, "READY=1");
		d->ready = 1;
	}
	notify_status(d, "connected");
	return S_SCAN;
}

/* ---- processing a batch ---- */

struct batch {
	struct daemon	*d;
	uint32_t	*other;		/* UIDs left in place */
	size_t		 nother;
	int		 failed;	/* the store failed: stop the batch */
	const struct imap_msg_info *info;	/* the batch, for INTERNALDATE */
	size_t		 ninfo;
	uint32_t	 done;		/* highest UID handled */
	int		 parsing;	/* pend is in the worker */
	struct process_pending pend;
};

static int
is_stale(struct daemon *d, uint32_t uid)
{
	size_t i;

	for (i = 0; i < d->nstale; i++)
		if (d->stale[i].uid == uid &&
		    d->stale[i].uidvalidity == d->box.uidvalidity &&
		    strcmp(d->stale[i].mailbox, d->s.cfg->imap.mailbox) == 0)
			return 1;
	return 0;
}

static void
process_ctx_of(struct daemon *d, struct process_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->store = d->store;
	ctx->cfg = d->s.cfg;
	ctx->form = d->s.form;
	ctx->templates = d->s.templates;
	ctx->worker = d->worker;
	ctx->dry_run = d->dry_run;
}

/* What became of message uid: the counts, its log line, the batch. */
static void
handled(struct batch *b, uint32_t uid, enum process_outcome out,
    enum intake_class class, const char *line)
{
	struct daemon *d = b->d;

	switch (out) {
	case PROCESS_RECORDED:
		if (!d->dry_run)
			unstall(d);
		d->decided++;
		if (class == CLASS_REQUEST)
			d->requests++;
		if (d->dry_run)
			printf("%s\n", line);
		else
			log_info("%s", line);
		if (class == CLASS_OTHER) {
			b->other = xrealloc(b->other,
			    (b->nother + 1) * sizeof(*b->other));
			b->other[b->nother++] = uid;
		}
		break;
	case PROCESS_KNOWN:
		log_debug("uid %u: recorded before", uid);
		break;
	case PROCESS_FAILED:
		stall(d, line);
		if (!b->pend.m.stale)
			d->stalled_uid = uid;
		b->failed = 1;
		return;
	case PROCESS_PARSING:
		return;
	}
	if (uid > b->done)
		b->done = uid;
	collect_outbox(d, 0);
	ping(d);
}

/* Decide and record the message in the worker, if any. */
static void
finish_parsing(struct batch *b)
{
	struct process_ctx ctx;
	enum process_outcome out;
	enum intake_class class = CLASS_OTHER;
	char line[1024];

	if (!b->parsing)
		return;
	b->parsing = 0;
	process_ctx_of(b->d, &ctx);
	out = process_finish(&ctx, &b->pend, line, sizeof(line), &class);
	handled(b, b->pend.m.uid, out, class, line);
}

/*
 * Take message uid: the one before it, parsed meanwhile, is decided and
 * recorded first; then this one goes to the worker, which parses it while
 * the next message comes in (finish_parsing() when none comes).  At most
 * one message is ever between its parse marker and its record.
 */
static void
handle(struct batch *b, uint32_t uid, time_t internaldate, const char *raw,
    size_t len, int header_only)
{
	struct daemon *d = b->d;
	struct process_ctx ctx;
	struct process_msg m;
	enum process_outcome out;
	char line[1024];

	finish_parsing(b);
	if (b->failed)
		return;
	memset(&m, 0, sizeof(m));
	m.mailbox = d->s.cfg->imap.mailbox;
	m.uidvalidity = d->box.uidvalidity;
	m.uid = uid;
	m.internaldate = internaldate;
	m.raw = raw;
	m.len = len;
	m.header_only = header_only;
	m.stale = is_stale(d, uid);
	m.now = time(NULL);
	/* A worker that died is forked again by this parse: the new child
	 * must not inherit the sender's SMTP session (its copy of the
	 * password), nor be forked beside a running thread. */
	if (worker_pid(d->worker) == -1)
		stop_outbox(d, 1);
	process_ctx_of(d, &ctx);
	out = process_begin(&ctx, &m, &b->pend, line, sizeof(line));
	b->parsing = out == PROCESS_PARSING;
	handled(b, uid, out, CLASS_OTHER, line);
}

static int
on_body(const struct imap_body *body, void *arg)
{
	struct batch *b = arg;
	time_t date = 0;
	size_t i;

	if (got_stop || b->failed)
		return -1;	/* finish the message in hand only */
	if (body->status == IMAP_BODY_GONE)
		return 0;
	for (i = 0; i < b->ninfo; i++)
		if (b->info[i].uid == body->uid) {
			date = b->info[i].internaldate;
			break;
		}
	handle(b, body->uid, date, body->data ? body->data : "",
	    body->status == IMAP_BODY_OK ? body->len : 0, 0);
	return b->failed ? -1 : 0;
}

/* File recorded messages into their folders (SPEC 3.7: after the
 * outbox): those up to message id upto, whose replies the sender has
 * finished with and whose records send_outbox() synced. */
static int
move_recorded(struct daemon *d, int64_t upto)
{
	const char *mbox = d->s.cfg->imap.mailbox;
	struct store_msgrow *rows = NULL;
	size_t n = 0, i, j, k, ndone = 0, *done;
	uint32_t *uids;
	char err[512];
	int rc = IMAP_OK;

	if (d->dry_run)
		return IMAP_OK;
	if (store_messages_unmoved(d->store, mbox, LIMIT_IMAP_SET_UIDS, &rows,
	    &n) == -1) {
		log_warnx("store: %s", store_error(d->store));
		return IMAP_OK;
	}
	for (i = 0; i < n; i++)
		if (rows[i].id > upto)
			rows[i].moved = -1;	/* its reply may be in flight */
	uids = xcalloc(n ? n : 1, sizeof(*uids));
	done = xcalloc(n ? n : 1, sizeof(*done));
	for (i = 0; i < n && rc == IMAP_OK; i++) {
		if (rows[i].folder == NULL || rows[i].moved < 0)
			continue;
		/* All rows bound for the same folder, from this mailbox and
		 * UIDVALIDITY, in one command. */
		for (k = 0, j = i; j < n; j++) {
			if (rows[j].moved < 0 || rows[j].folder == NULL ||
			    strcmp(rows[j].folder, rows[i].folder) != 0)
				continue;
			if (rows[j].loc_uidvalidity == d->box.uidvalidity &&
			    rows[j].loc_uid != 0)
				uids[k++] = rows[j].loc_uid;
		}
		if (k > 0) {
			rc = imap_move(d->imap, uids, k, rows[i].folder, err,
			    sizeof(err));
			if (rc != IMAP_OK && rc != IMAP_ERR_GONE)
				break;
			if (rc == IMAP_ERR_GONE)
				log_warnx("imap: move to %s: %s",
				    rows[i].folder, err);
		}
		for (j = i; j < n; j++) {
			if (rows[j].moved < 0 || rows[j].folder == NULL ||
			    strcmp(rows[j].folder, rows[i].folder) != 0)
				continue;
			if (rc == IMAP_OK)
				done[ndone++] = j;
			rows[j].moved = -1;	/* handled */
		}
		rc = rc == IMAP_ERR_GONE ? IMAP_OK : rc;
	}
	/* One transaction for the batch's marks.  Killed before it, the
	 * next run moves them again and the server finds nothing to move. */
	if (ndone > 0 && store_begin(d->store) == 0) {
		for (j = 0; j < ndone; j++)
			if (store_message_set_moved(d->store, rows[done[j]].id,
			    rows[done[j]].folder, 0, 0) == -1)
				log_warnx("store: %s", store_error(d->store));
		if (store_commit(d->store) == -1) {
			log_warnx("store: %s", store_error(d->store));
			store_rollback(d->store);
		}
	} else if (ndone > 0)
		log_warnx("store: %s", store_error(d->store));
	free(done);
	free(uids);
	store_msgrows_free(rows, n);
	if (rc != IMAP_OK)
		lost(d, rc, "move", err);
	return rc;
}

/* Move one message, UID uid of the selected folder loc, to its folder; uid
 * 0: it is no longer there and stays wherever it now is. */
static int
refile_one(struct daemon *d, const struct store_msgrow *row, uint32_t uid,
    const char *loc, char *err, size_t errlen)
{
	int rc;

	if (uid == 0) {
		log_warnx("refile: message %lld is no longer in %s: it stays "
		    "where it is", (long long)row->id, loc);
		if (store_message_keep(d->store, row->id) == -1)
			log_warnx("store: %s", store_error(d->store));
		return IMAP_OK;
	}
	rc = imap_move(d->imap, &uid, 1, row->folder, err, errlen);
	if (rc == IMAP_ERR_GONE) {
		/* The folder is made again at the next select. */
		log_warnx("imap: move to %s: %s", row->folder, err);
		return IMAP_OK;
	}
	if (rc == IMAP_OK && store_message_set_moved(d->store, row->id,
	    row->folder, 0, 0) == -1)
		log_warnx("store: %s", store_error(d->store));
	return rc;
}

/*
 * A request whose status changed has earlier messages in the old status's
 * folder (SPEC 3.6): select each such folder, find the message by its UID
 * or else its Message-ID, and move it.  A message no longer there (or in a
 * folder that is gone) stays wherever someone put it.  Returns 0 when
 * nothing was elsewhere, 1 when the mailbox must be selected again, or the
 * IMAP error (session closed).
 */
static int
refile_elsewhere(struct daemon *d)
{
	const char *mbox = d->s.cfg->imap.mailbox;
	struct imap_mailbox_info box;
	struct store_msgrow *rows = NULL, *r;
	size_t n = 0, i, j;
	uint32_t uid;
	char err[512];
	int rc = IMAP_OK, touched = 0, gone;

	if (d->dry_run)
		return 0;
	if (store_messages_unmoved(d->store, NULL, LIMIT_IMAP_SET_UIDS, &rows,
	    &n) == -1) {
		log_warnx("store: %s", store_error(d->store));
		return 0;
	}
	for (i = 0; i < n && rc == IMAP_OK; i++) {
		const char *loc = rows[i].location;

		if (rows[i].moved < 0 || loc == NULL || strcmp(loc, mbox) == 0)
			continue;
		touched = 1;
		memset(&box, 0, sizeof(box));
		rc = imap_select(d->imap, loc, 0, &box, err, sizeof(err));
		if ((gone = rc == IMAP_ERR_GONE)) {
			log_warnx("imap: refile from %s: %s", loc, err);
			rc = IMAP_OK;
		}
		/* Every row in loc, i's first. */
		for (j = i; j < n && rc == IMAP_OK; j++) {
			r = &rows[j];
			if (r->moved < 0 || r->location == NULL ||
			    strcmp(r->location, loc) != 0)
				continue;
			uid = !gone && r->loc_uidvalidity == box.uidvalidity ?
			    r->loc_uid : 0;
			if (!gone && uid == 0 && r->message_id != NULL &&
			    (rc = imap_search_msgid(d->imap, r->message_id,
			    &uid, err, sizeof(err))) != IMAP_OK)
				break;
			r->moved = -1;
			rc = refile_one(d, r, uid, loc, err, sizeof(err));
		}
	}
	store_msgrows_free(rows, n);
	if (rc != IMAP_OK) {
		lost(d, rc, "refile", err);
		return rc;
	}
	return touched;
}

static void
mark_other(struct daemon *d, struct batch *b)
{
	char err[512];
	int rc;

	if (b->nother == 0 || d->dry_run || !d->box.can_keywords)
		return;
	rc = imap_add_keyword(d->imap, b->other, b->nother, KEYWORD_SEEN,
	    err, sizeof(err));
	if (rc < 0)
		log_warnx("imap: keyword: %s", err);
}

/* One round: everything above the high-water mark, in batches. */
static enum state
do_scan(struct daemon *d, int *found_new)
{
	const struct config *cfg = d->s.cfg;
	struct imap_msg_info *info = NULL;
	uint32_t *uids = NULL;
	size_t n = 0, i, k, start;
	char err[512];
	int rc;

	*found_new = 0;
	rc = imap_search_since(d->imap, d->mark.highest_uid, &uids, &n, err,
	    sizeof(err));
	if (rc != IMAP_OK)
		return lost(d, rc, "search", err);
	/* first_start = new: nothing below the UIDNEXT seen then. */
	for (i = k = 0; i < n; i++)
		if (uids[i] > d->mark.highest_uid &&
		    uids[i] >= d->mark.uidnext_first)
			uids[k++] = uids[i];
	n = k;
	for (start = 0; start < n && !got_stop; start += cfg->imap.batch_size) {
		size_t cnt = n - start < cfg->imap.batch_size ?
		    n - start : cfg->imap.batch_size;
		struct batch b;

		*found_new = 1;
		memset(&b, 0, sizeof(b));
		b.d = d;
		info = xcalloc(cnt, sizeof(*info));
		rc = imap_fetch_sizes(d->imap, uids + start, cnt, info, err,
		    sizeof(err));
		if (rc != IMAP_OK) {
			free(info);
			free(uids);
			return lost(d, rc, "fetch", err);
		}
		/* first_start = a date: older mail is passed over. */
		for (i = k = 0; i < cnt; i++) {
			if (!info[i].present)
				continue;
			if (cfg->imap.first_start == CONFIG_FIRST_DATE &&
			    info[i].internaldate > 0 &&
			    info[i].internaldate < cfg->imap.first_start_time)
				continue;
			if (info[i].size > cfg->triage.max_message_size) {
				char *hdr = NULL;
				size_t hlen = 0;

				rc = imap_fetch_header(d->imap, info[i].uid,
				    &hdr, &hlen, err, sizeof(err));
				if (rc == IMAP_OK || rc == IMAP_ERR_PROTO)
					handle(&b, info[i].uid,
					    info[i].internaldate,
					    hdr ? hdr : "", hdr ? hlen : 0, 1);
				free(hdr);
				if (rc != IMAP_OK && rc != IMAP_ERR_PROTO &&
				    rc != IMAP_ERR_GONE) {
					finish_parsing(&b);
					free(info);
					free(uids);
					free(b.other);
					return lost(d, rc, "fetch", err);
				}
				continue;
			}
			info[k++] = info[i];
		}
		b.info = info;
		b.ninfo = k;
		rc = IMAP_OK;
		if (k > 0)
			rc = imap_fetch_bodies(d->imap, info, k,
			    8u * 1024 * 1024, cfg->triage.max_message_size,
			    on_body, &b, err, sizeof(err));
		finish_parsing(&b);	/* the last message of the batch */
		if (rc != IMAP_OK) {
			free(info);
			free(uids);
			free(b.other);
			return lost(d, rc, "fetch", err);
		}
		free(info);
		info = NULL;
		if (b.failed) {
			/* The store refused: do not skip past the message;
			 * try the batch again later (do_wait, stall()). */
			free(uids);
			free(b.other);
			return got_stop ? S_DONE : S_WAIT;
		}
		/* Every present UID of the batch is decided or passed over. */
		if (!d->dry_run && store_mailbox_advance(d->store,
		    cfg->imap.mailbox, d->box.uidvalidity,
		    uids[start + cnt - 1]) == -1)
			log_warnx("store: %s", store_error(d->store));
		d->mark.highest_uid = uids[start + cnt - 1];
		/* Pipelined: replies go out while the next batches are
		 * decided, and messages move once theirs are done, every
		 * MOVE_EVERY decisions: a move costs the server about as
		 * much for one message as for hundreds. */
		send_outbox(d);
		mark_other(d, &b);
		free(b.other);
		if (d->stalled_since == 0 &&
		    d->decided - d->moved_at >= MOVE_EVERY) {
			d->moved_at = d->decided;
			if (move_recorded(d, outbox_settled(d->outbox)) !=
			    IMAP_OK) {
				free(uids);
				return S_CONNECT;
			}
		}
		notify_status(d, "working");
	}
	free(uids);
	/* The last round, and what a run before this one recorded but did
	 * not file (it was killed, or lost the server, between the commit
	 * and the move). */
	if (!got_stop) {
		/* Every round to its end, until nothing is due. */
		do
			collect_outbox(d, 1);
		while (send_outbox(d) > 0 && !got_stop &&
		    d->stalled_since == 0);
		d->moved_at = d->decided;
		if (d->stalled_since == 0 &&
		    move_recorded(d, outbox_settled(d->outbox)) != IMAP_OK)
			return S_CONNECT;
	}
	if (!got_stop && d->stalled_since == 0 &&
	    (rc = refile_elsewhere(d)) != 0)
		return rc < 0 ? S_CONNECT : S_SELECT;
	return got_stop ? S_DONE : S_WAIT;
}

static enum state
do_wait(struct daemon *d, int found_new)
{
	const struct config *cfg = d->s.cfg;
	int64_t next = 0;
	unsigned secs;
	char err[512];
	int rc;

	/* Every scan ends with the outbox sent (do_scan): nothing to send
	 * here. */
	if (d->once)
		return found_new ? S_SCAN : S_DONE;
	/* Mail that came while the scan worked may have been announced to
	 * its commands, not to the IDLE that follows: only a scan that finds
	 * nothing new ends the round.  (Not while the store cannot write:
	 * then the retry waits STALL_RETRY.) */
	if (found_new && d->stalled_since == 0)
		return S_SCAN;
	/* Busy rounds share one SMTP connection; an idle daemon holds
	 * none (a server drops idle clients, and a reload may change it). */
	stop_outbox(d, 1);
	secs = cfg->imap.idle && imap_has_idle(d->imap) ? IDLE_MAX :
	    cfg->imap.poll_interval;
	if (store_replies_next(d->store, &next) == 0 && next > 0) {
		int64_t in = next - (int64_t)time(NULL);

		if (in < 1)
			in = 1;
		if ((uint64_t)in < secs)
			secs = (unsigned)in;
	}
	if (d->stalled_since != 0)
		secs = STALL_RETRY;
	if (d->watchdog_usec > 0 && secs > d->watchdog_usec / 2000000)
		secs = (unsigned)(d->watchdog_usec / 2000000) + 1;
	notify_status(d, "waiting");
	ping(d);
	if (cfg->imap.idle && imap_has_idle(d->imap)) {
		/* Cleared before the flags are looked at: a signal from here
		 * on ends the IDLE, one before it is seen now. */
		got_signal = 0;
		if (got_stop || got_reload)
			return S_SCAN;
		rc = imap_idle_wait(d->imap, secs, &got_signal, err,
		    sizeof(err));
		if (rc < 0)
			return lost(d, rc, "idle", err);
	} else {
		nap(d, secs);
		if ((rc = imap_noop(d->imap, err, sizeof(err))) != IMAP_OK)
			return lost(d, rc, "noop", err);
	}
	ping(d);
	return S_SCAN;
}

static int
run(struct daemon *d)
{
	enum state st = S_CONNECT;
	int found_new = 0;

	while (st != S_DONE) {
		if (got_stop)
			break;
		if (got_reload) {
			if (reload(d))
				st = S_CONNECT;
			continue;
		}
		ping(d);
		switch (st) {
		case S_CONNECT:
			set_state(&st, do_connect(d));
			break;
		case S_SELECT:
			set_state(&st, do_select(d));
			break;
		case S_SCAN:
			set_state(&st, do_scan(d, &found_new));
			break;
		case S_WAIT:
			set_state(&st, do_wait(d, found_new));
			found_new = 0;
			break;
		case S_DONE:
			break;
		}
		if (st == S_CONNECT && d->imap == NULL && d->once &&
		    d->attempt == 0 && got_stop)
			break;
	}
	return 0;
}

/* One intaked per store: an flock on "<store>.lock". */
static int
take_lock(const char *store_path)
{
	struct buf b;
	int fd;

	buf_init(&b, 4096);
	buf_printf(&b, "%s.lock", store_path);
	fd = open(b.data, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1) {
		log_warn("%s", b.data);
		buf_free(&b);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		log_warnx("%s: another intaked is running on this store",
		    b.data);
		close(fd);
		buf_free(&b);
		return -1;
	}
	buf_free(&b);
	return fd;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "once", no_argument, NULL, 'o' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct daemon d;
	struct sigaction sa;
	struct buf errors;
	char err[1024];
	int ch, verbose = 0, lockfd;

	memset(&d, 0, sizeof(d));
	while ((ch = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			d.config_path = optarg;
			break;
		case 'o':
			d.once = 1;
			break;
		case 'n':
			d.dry_run = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || d.config_path == NULL)
		usage();
	if (d.dry_run && !d.once) {
		fprintf(stderr, "intaked: --dry-run goes with --once\n");
		return EX_USAGE;
	}
	log_init(verbose, "intaked");
	/*
	 * Each message allocates and frees a few hundred KB; by default
	 * glibc hands the top of the heap back after each, and takes it
	 * again for the next (a brk, and a TLB flush on every core the
	 * process runs on).  Keep what the busiest batch needed instead:
	 * the peak is the same, the churn goes.
	 */
	mallopt(M_TRIM_THRESHOLD, 32 * 1024 * 1024);
	mallopt(M_MMAP_THRESHOLD, 8 * 1024 * 1024);

	buf_init(&errors, 64 * 1024);
	if (setup_load(d.config_path, &d.s, &errors) == -1) {
		fputs(errors.data ? errors.data : "", stderr);
		buf_free(&errors);
		return EX_CONFIG;
	}
	buf_free(&errors);
	log_lines(log_warnx, d.s.cfg->warnings);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((lockfd = take_lock(d.s.cfg->store.path)) == -1) {
		setup_free(&d.s);
		return EX_TEMPFAIL;
	}
	if (store_open(d.s.cfg->store.path, STORE_CREATE, -1, &d.store, err,
	    sizeof(err)) == -1) {
		log_warnx("store: %s", err);
		d.status = EX_CANTCREAT;
		goto out;
	}
	if (store_parsing_stale(d.store, &d.stale, &d.nstale) == 0 &&
	    d.nstale > 0)
		log_warnx("the parser died on %zu message(s) last time: they "
		    "go to quarantine without being parsed again", d.nstale);
	intake_init();
	if (smtp_global_init() == -1) {
		log_warnx("smtp: cannot initialise libcurl");
		d.status = EX_SOFTWARE;
		goto out;
	}
	if (start_worker(&d) == -1) {
		d.status = EX_OSERR;
		goto out;
	}
	d.outbox = outbox_new(d.s.cfg);
	if (sd_watchdog_enabled(0, &d.watchdog_usec) <= 0)
		d.watchdog_usec = 0;
	log_info("started%s%s: %s on %s", d.once ? " (once)" : "",
	    d.dry_run ? " (dry run)" : "", d.s.cfg->imap.mailbox,
	    d.s.cfg->imap.host);

	run(&d);

	/* Stopped while the store could not write: the message in hand was
	 * parsed, and its marker must not make the next start take it for
	 * one the parser died on.  Best effort: space may be back by now. */
	if (d.stalled_uid != 0 && !d.dry_run &&
	    store_parsing_end(d.store, d.s.cfg->imap.mailbox,
	    d.box.uidvalidity, d.stalled_uid) == -1)
		log_warnx("store: uid %u stays marked as in the parser: %s",
		    d.stalled_uid, store_error(d.store));
	sd_notify(0, "STOPPING=1");
	log_info("stopping: %lu decided, %lu requests, %lu replies sent",
	    d.decided, d.requests, d.sent);
out:
	imap_close(d.imap);
	stop_outbox(&d, 0);
	outbox_free(d.outbox);
	worker_stop(d.worker);
	store_parsing_free(d.stale, d.nstale);
	store_close(d.store);
	smtp_global_cleanup();
	intake_cleanup();
	setup_free(&d.s);
	close(lockfd);
	return d.status;
}
