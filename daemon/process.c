/*
 * process.c -- decide one fetched message and record it (see process.h).
 *
 * The order inside the one transaction matters for the foreign keys and
 * for the promise that nothing is half-recorded: the request (created, or
 * merged into), then the message row, then the reply in the outbox and the
 * daily counters (the recipient's, and its domain's), then the mailbox's
 * high-water mark and the end of the parse marker.  Only a commit makes
 * any of it visible.
 *
 * The daily reply limits live in the store, so a restart does not reset
 * them.  The per-domain one keeps a forged run of many addresses at one
 * domain from turning intaked into a source of backscatter to that domain.
 * A free-mail domain (data/freemail.txt) has no domain budget: its users
 * are strangers to each other, and a shared budget would let one of them
 * silence all the others; each still has the per-sender limit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "buf.h"
#include "intake.h"
#include "limits.h"
#include "log.h"
#include "merge.h"
#include "mime.h"
#include "process.h"
#include "validate.h"
#include "xmalloc.h"

const char *
process_folder(const struct config *cfg, enum intake_class class,
    enum intake_status status)
{
	switch (class) {
	case CLASS_IGNORED:
		return cfg->triage.folder[CONFIG_FOLDER_IGNORED];
	case CLASS_QUARANTINED:
		return cfg->triage.folder[CONFIG_FOLDER_QUARANTINE];
	case CLASS_REQUEST:
		break;
	default:
		return NULL;
	}
	switch (status) {
	case STATUS_COMPLETE:
		return cfg->triage.folder[CONFIG_FOLDER_COMPLETE];
	case STATUS_INCOMPLETE:
		return cfg->triage.folder[CONFIG_FOLDER_INCOMPLETE];
	case STATUS_REVIEW:
		return cfg->triage.folder[CONFIG_FOLDER_REVIEW];
	case STATUS_QUARANTINED:
		return cfg->triage.folder[CONFIG_FOLDER_QUARANTINE];
	default:
		return NULL;
	}
}

/* What one decision did, for the log line. */
struct decision {
	int64_t			 request_id;
	char			 reference[STORE_REFLEN];
	enum intake_status	 status;
	int			 created;	/* a new request */
	int			 changed;	/* its status changed */
	const char		*reply;		/* "queued ack", "none", ... */
	char			 why[320];	/* why no reply */
	const char		*folder;
};

static const char *
domain_of(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;

	return at ? at + 1 : NULL;
}

/*
 * The key of rcpt's domain counter, "@domain" in lower case, into key;
 * "" when the domain has no budget of its own (free-mail, or no domain).
 */
static void
domain_key(const struct form *form, const char *rcpt, char *key,
    size_t keylen)
{
	const char *dom = domain_of(rcpt);
	size_t i, n;

	key[0] = '\0';
	if (dom == NULL || *dom == '\0' || keylen < 2 ||
	    domainset_has(form->freemail, dom))
		return;
	n = strlen(dom);
	if (n + 2 > keylen)
		return;
	key[0] = '@';
	for (i = 0; i < n; i++)
		key[i + 1] = (char)(dom[i] >= 'A' && dom[i] <= 'Z' ?
		    dom[i] | 0x20 : dom[i]);
	key[n + 1] = '\0';
}

/* The request this follow-up answers, or 0. */
static int
find_thread(struct process_ctx *ctx, const struct intake_result *r,
    int64_t *id)
{
	const char *dom;
	size_t i;
	int match;

	*id = 0;
	if (r->in_reply_to && store_request_find_by_msgid(ctx->store,
	    r->in_reply_to, id) == -1)
		return -1;
	for (i = r->nreferences; *id == 0 && i > 0; i--)
		if (store_request_find_by_msgid(ctx->store,
		    r->references[i - 1], id) == -1)
			return -1;
	if (*id == 0 && r->reference[0] && r->from_addr) {
		/* A reference alone proves little: the same sender, or the
		 * same domain unless that domain is free-mail. */
		match = STORE_MATCH_ADDRESS;
		dom = domain_of(r->from_addr);
		if (dom && !domainset_has(ctx->form->freemail, dom))
			match |= STORE_MATCH_DOMAIN;
		if (store_request_find_by_reference(ctx->store, r->reference,
		    r->from_addr, match, id, NULL) == -1)
			return -1;
	}
	return 0;
}

static void
blank_official(struct store_request *req)
{
	int f;

	req->officials = xcalloc(1, sizeof(*req->officials));
	req->nofficials = 1;
	for (f = 0; f < FIELD_COUNT; f++)
		req->officials[0].f[f].problem = PROBLEM_MISSING;
}

/* Move r's officials into a new store_request (r keeps none). */
static void
request_from_result(struct store_request *req, struct intake_result *r)
{
	memset(req, 0, sizeof(*req));
	req->status = r->status;
	req->lang = r->lang;
	req->flags = r->flags & ~FLAG_FOLLOW_UP;
	req->reason = r->reason;
	req->from_addr = r->from_addr;
	req->subject = r->subject;
	req->officials = r->officials;
	req->nofficials = r->nofficials;
	r->officials = NULL;
	r->nofficials = 0;
}

static void
request_release(struct store_request *req)
{
	size_t i;

	for (i = 0; i < req->nofficials; i++)
		official_free(&req->officials[i]);
	free(req->officials);
	req->officials = NULL;
	req->nofficials = 0;
}

/* Create or merge the request of a request-class message. */
static int
record_request(struct process_ctx *ctx, const struct process_msg *m,
    struct intake_result *r, struct decision *d)
{
	struct store_request *old = NULL, fresh;
	enum intake_status was;
	int64_t id = 0;

	if ((r->flags & FLAG_FOLLOW_UP) && find_thread(ctx, r, &id) == -1)
		return -1;
	if (id != 0) {
		if (store_request_get(ctx->store, id, &old) == -1)
			return -1;
	}
	if (old != NULL) {
		was = old->status;
		if (merge_officials(ctx->form, &old->officials,
		    &old->nofficials, r->officials, r->nofficials) == -1) {
			store_request_free(old);
			return -1;
		}
		if (old->nofficials > 0)
			old->status = intake_decide(ctx->form, old->officials,
			    old->nofficials, &old->flags);
		old->flags |= r->flags & (FLAG_TRUNCATED |
		    FLAG_UNAUTHENTICATED | FLAG_DOMAIN_MISMATCH);
		if (store_request_update(ctx->store, old, m->now) == -1) {
			store_request_free(old);
			return -1;
		}
		d->request_id = old->id;
		memcpy(d->reference, old->reference, sizeof(d->reference));
		d->status = old->status;
		d->changed = old->status != was;
		store_request_free(old);
		if (d->changed && store_request_refile(ctx->store, id,
		    process_folder(ctx->cfg, CLASS_REQUEST, d->status),
		    NULL) == -1)
			return -1;
		return 0;
	}
	/* A new request, or a follow-up whose request we cannot find
	 * (then it stands on its own). */
	request_from_result(&fresh, r);
	if (fresh.nofficials == 0 && fresh.status == STATUS_INCOMPLETE)
		blank_official(&fresh);
	if (store_request_create(ctx->store, &fresh, m->now, &d->request_id,
	    d->reference) == -1) {
		request_release(&fresh);
		return -1;
	}
	d->status = fresh.status;
	d->created = 1;
	request_release(&fresh);
	return 0;
}

/* A message the parser could not read becomes a request of its own in
 * the quarantine, so the Secretariat sees it in list and the digest. */
static int
record_quarantine(struct process_ctx *ctx, const struct process_msg *m,
    struct intake_result *r, struct decision *d)
{
	struct store_request req;

	memset(&req, 0, sizeof(req));
	req.status = STATUS_QUARANTINED;
	req.lang = LANG_EN;
	req.reason = r->reason;
	req.from_addr = r->from_addr;
	req.subject = r->subject;
	if (store_request_create(ctx->store, &req, m->now, &d->request_id,
	    d->reference) == -1)
		return -1;
	d->status = STATUS_QUARANTINED;
	d->created = 1;
	return 0;
}

static enum reply_kind
kind_of(enum intake_status s)
{
	switch (s) {
	case STATUS_COMPLETE:
		return REPLY_ACK;
	case STATUS_INCOMPLETE:
		return REPLY_MISSING;
	default:
		return REPLY_REVIEW;
	}
}

static const char *const kind_names[] = { "ack", "missing", "review" };

/*
 * Whether and why not to answer (SPEC 3.1, 3.3, 3.6).  A request is
 * answered when it is new, when its status changed, and while it stays
 * incomplete (each attempt to complete it gets the current list).
 */
static const char *
no_reply_reason(struct process_ctx *ctx, const struct process_msg *m,
    const struct intake_result *r, const struct decision *d,
    const char *rcpt, const char *domkey, char *day)
{
	const struct config_triage *t = &ctx->cfg->triage;
	unsigned count = 0;

	if (d->status == STATUS_QUARANTINED)
		return "quarantined";
	if (!d->created && !d->changed && d->status != STATUS_INCOMPLETE)
		return "nothing changed";
	if (r->flags & FLAG_REPLY_SUPPRESSED)
		return r->suppress_reason ? r->suppress_reason :
		    "the sender asked for none";
	if (t->reply_policy == CONFIG_REPLY_AUTHENTICATED &&
	    (r->flags & FLAG_UNAUTHENTICATED))
		return "sender not authenticated";
	if (m->internaldate > 0 && t->max_reply_age > 0 &&
	    m->now - m->internaldate > (int64_t)t->max_reply_age)
		return "older than max_reply_age";
	if (rcpt == NULL)
		return "no address to reply to";
	if (store_day(m->now, day) == -1 ||
	    store_reply_count(ctx->store, rcpt, day, &count) == -1)
		return "reply counter unavailable";
	if (count >= t->max_replies_per_day)
		return "over max_replies_per_day";
	if (domkey[0] != '\0') {
		if (store_reply_count(ctx->store, domkey, day, &count) == -1)
			return "reply counter unavailable";
		if (count >= t->max_replies_per_domain)
			return "over max_replies_per_domain_per_day";
	}
	return NULL;
}

static int
queue_reply(struct process_ctx *ctx, const struct process_msg *m,
    const struct intake_result *r, int64_t message_row, struct decision *d)
{
	const struct config_smtp *s = &ctx->cfg->smtp;
	struct store_request *req = NULL;
	struct reply_input in;
	struct store_reply out;
	struct buf msg;
	unsigned char token[12];
	char msgid[REPLY_MSGID_MAX], err[256], day[11];
	char domkey[2 + 255];	/* "@", a domain (reply_addr_valid), NUL */
	const char *rcpt, *why;
	int64_t replyid;
	size_t idlen;
	int rc = -1;

	rcpt = reply_recipient(r->from_addr, r->reply_to, NULL);
	domain_key(ctx->form, rcpt, domkey, sizeof(domkey));
	why = no_reply_reason(ctx, m, r, d, rcpt, domkey, day);
	if (why != NULL) {
		d->reply = "none";
		snprintf(d->why, sizeof(d->why), "%s", why);
		return 0;
	}
	if (store_request_get(ctx->store, d->request_id, &req) == -1 ||
	    req == NULL)
		return -1;
	if (getrandom(token, sizeof(token), 0) != (ssize_t)sizeof(token))
		goto done;
	memset(&in, 0, sizeof(in));
	in.kind = kind_of(d->status);
	in.lang = req->lang;
	in.reference = req->reference;
	in.notification = ctx->form->notification;
	in.from_name = s->from_name[0] ? s->from_name : NULL;
	in.from_addr = s->from_addr;
	in.to_name = r->from_name;
	in.to_addr = rcpt;
	in.subject = r->subject;
	in.message_id = r->message_id;
	in.references = r->references;
	in.nreferences = r->nreferences;
	in.officials = req->officials;
	in.nofficials = req->nofficials;
	in.date = (time_t)m->now;
	in.token = token;
	in.token_len = sizeof(token);
	buf_init(&msg, LIMIT_REPLY_BYTES);
	if (reply_render(ctx->templates, &in, &msg, err, sizeof(err)) == -1 ||
	    reply_message_id(req->reference, token, sizeof(token),
	    domain_of(s->from_addr), msgid, sizeof(msgid)) == -1) {
		/* Nothing to send: say so on the request, do not fail the
		 * message (a bad sender address is the sender's doing). */
		buf_free(&msg);
		d->reply = "none";
		snprintf(d->why, sizeof(d->why), "reply not made: %s", err);
		rc = 0;
		goto done;
	}
	idlen = strlen(msgid);
	memset(&out, 0, sizeof(out));
	out.request_id = d->request_id;
	out.message_row = message_row;
	out.kind = (enum store_reply_kind)in.kind;
	msgid[idlen - 1] = '\0';	/* stored without <> */
	out.message_id = msgid + 1;
	out.rcpt = (char *)rcpt;
	out.envelope_from = s->envelope_from;
	out.data = msg.data;
	out.len = msg.len;
	out.state = STORE_REPLY_QUEUED;
	if (store_reply_add(ctx->store, &out, m->now, &replyid) == -1 ||
	    store_reply_count_bump(ctx->store, rcpt, day, NULL) == -1 ||
	    (domkey[0] != '\0' &&
	    store_reply_count_bump(ctx->store, domkey, day, NULL) == -1)) {
		buf_free(&msg);
		goto done;
	}
	buf_free(&msg);
	d->reply = kind_names[in.kind];
	rc = 0;
done:
	store_request_free(req);
	return rc;
}

/* Note on the request that no reply went out, and why. */
static int
mark_suppressed(struct process_ctx *ctx, const struct decision *d,
    int64_t now)
{
	struct store_request *req = NULL;
	int rc;

	if (store_request_get(ctx->store, d->request_id, &req) == -1 ||
	    req == NULL)
		return -1;
	req->flags |= FLAG_REPLY_SUPPRESSED;
	free(req->reason);
	req->reason = xstrdup(d->why);
	rc = store_request_update(ctx->store, req, now);
	store_request_free(req);
	return rc;
}

/* Everything of one message, inside the caller's transaction.  Returns 0,
 * 1 when the message turned out to be recorded already, or -1. */
static int
record(struct process_ctx *ctx, const struct process_msg *m,
    struct intake_result *r, const char *hash, struct decision *d)
{
	struct store_message row;
	int64_t msgrow = 0;
	int rc;

	d->reply = "none";
	d->status = STATUS_NONE;
	if (r->class == CLASS_REQUEST) {
		if (record_request(ctx, m, r, d) == -1)
			return -1;
	} else if (r->class == CLASS_QUARANTINED) {
		if (record_quarantine(ctx, m, r, d) == -1)
			return -1;
	} else if (r->class == CLASS_IGNORED && (r->flags & FLAG_FOLLOW_UP)) {
		/* Machine mail about a request: linked, never merged. */
		if (find_thread(ctx, r, &d->request_id) == -1)
			return -1;
	}
	d->folder = process_folder(ctx->cfg, r->class, d->status);

	memset(&row, 0, sizeof(row));
	row.message_id = r->message_id;
	row.hash = hash;
	row.mailbox = m->mailbox;
	row.uidvalidity = m->uidvalidity;
	row.uid = m->uid;
	row.internaldate = m->internaldate;
	row.received_at = m->now;
	row.from_addr = r->from_addr;
	row.subject = r->subject;
	row.class = r->class;
	row.status = d->status;
	row.reason = r->reason;
	row.flags = r->flags;
	row.request_id = d->request_id;
	row.folder = d->folder;
	if ((rc = store_message_add(ctx->store, &row, &msgrow)) != 0)
		return rc;

	if (r->class == CLASS_REQUEST) {
		if (queue_reply(ctx, m, r, msgrow, d) == -1)
			return -1;
		if (strcmp(d->reply, "none") == 0 &&
		    strcmp(d->why, "nothing changed") != 0 &&
		    mark_suppressed(ctx, d, m->now) == -1)
			return -1;
	}
	if (store_mailbox_advance(ctx->store, m->mailbox, m->uidvalidity,
	    m->uid) == -1)
		return -1;
	if (!ctx->dry_run && store_parsing_end(ctx->store, m->mailbox,
	    m->uidvalidity, m->uid) == -1)
		return -1;
	return 0;
}

static void
describe(const struct process_msg *m, const struct intake_result *r,
    const struct decision *d, int dry_run, char *line, size_t linelen)
{
	struct buf b;

	if (line == NULL || linelen == 0)
		return;
	buf_init(&b, linelen - 1);
	if (dry_run)
		buf_addstr(&b, "dry-run: ");
	if (d->reference[0])
		buf_printf(&b, "%s %s", d->reference, status_key(d->status));
	else
		buf_printf(&b, "%s", class_key(r->class));
	buf_printf(&b, " uid=%u from=%s", m->uid,
	    r->from_addr ? r->from_addr : "-");
	if (r->class == CLASS_REQUEST)
		buf_printf(&b, " reply=%s", d->reply);
	if (d->why[0])
		buf_printf(&b, " (%s)", d->why);
	if (r->class != CLASS_REQUEST && r->reason)
		buf_printf(&b, " (%s)", r->reason);
	buf_printf(&b, " folder=%s", d->folder ? d->folder : "left in place");
	snprintf(line, linelen, "%s", b.data ? b.data : "");
	buf_free(&b);
}

/* PROCESS_FAILED, with why in line. */
static enum process_outcome
not_recorded(struct process_ctx *ctx, const struct process_msg *m,
    char *line, size_t linelen)
{
	if (line && linelen)
		snprintf(line, linelen, "uid %u: not recorded: %s", m->uid,
		    store_error(ctx->store));
	return PROCESS_FAILED;
}

enum process_outcome
process_begin(struct process_ctx *ctx, const struct process_msg *m,
    struct process_pending *p, char *line, size_t linelen)
{
	struct store_msgrow row;
	int found = 0, rc;

	memset(p, 0, sizeof(*p));
	p->m = *m;
	p->m.raw = NULL;	/* the caller's, for this call only */
	p->m.len = 0;
	if (line && linelen)
		line[0] = '\0';
	/*
	 * Two transactions a message, each lookup inside the write that
	 * depends on it: (1) is this copy known, else note it is in the
	 * parser; (2) is its Message-ID known, else record it.
	 */
	if (store_hash(m->raw, m->len, p->hash) == -1 ||
	    store_begin(ctx->store) == -1)
		return not_recorded(ctx, m, line, linelen);
	rc = store_message_lookup(ctx->store, NULL, p->hash, &row, &found);
	store_msgrow_clear(&row);
	if (rc == 0 && !found && !m->stale && !ctx->dry_run)
		rc = store_parsing_begin(ctx->store, m->mailbox,
		    m->uidvalidity, m->uid, m->now);
	if (rc == 0 && !ctx->dry_run)
		rc = store_commit(ctx->store);
	store_rollback(ctx->store);	/* when still open */
	if (rc == -1)
		return not_recorded(ctx, m, line, linelen);
	if (found)
		return PROCESS_KNOWN;

	/* Quarantined unparsed, the Message-ID from a plain scan still
	 * dedupes it and names it for the Secretariat: taken now, since the
	 * raw bytes are the caller's for this call only. */
	p->msgid = mime_peek_msgid(m->raw, m->len);
	if (m->stale)	/* not parsed again */
		p->r = intake_quarantined("parser died on this message");
	else
		worker_send(ctx->worker, m->raw, m->len, m->header_only);
	return PROCESS_PARSING;
}

enum process_outcome
process_finish(struct process_ctx *ctx, struct process_pending *p,
    char *line, size_t linelen, enum intake_class *class)
{
	const struct process_msg *m = &p->m;
	const char *hash = p->hash;
	struct store_msgrow row;
	struct intake_result *r;
	struct decision d;
	int found, rc = 0;

	memset(&row, 0, sizeof(row));
	r = p->r != NULL ? p->r : worker_receive(ctx->worker);
	p->r = NULL;
	if (r->class == CLASS_QUARANTINED && r->message_id == NULL) {
		r->message_id = p->msgid;
		p->msgid = NULL;
	}
	free(p->msgid);
	p->msgid = NULL;
	memset(&d, 0, sizeof(d));
	if (store_begin(ctx->store) == -1)
		rc = -1;
	else {
		found = 0;
		if (r->message_id != NULL && store_message_lookup(ctx->store,
		    r->message_id, NULL, &row, &found) == -1)
			rc = -1;
		else if (found) {
			/* Another copy of a recorded message: nothing to
			 * decide.  Clearing its marker is best effort. */
			rc = 1;
			if (!ctx->dry_run) {
				store_parsing_end(ctx->store, m->mailbox,
				    m->uidvalidity, m->uid);
				store_mailbox_advance(ctx->store, m->mailbox,
				    m->uidvalidity, m->uid);
			}
		} else
			rc = record(ctx, m, r, hash, &d);
		store_msgrow_clear(&row);
		/* record() says 1 when the message turned out known: it
		 * leaves nothing of itself. */
		if (rc == -1 || (rc == 1 && !found) || ctx->dry_run)
			store_rollback(ctx->store);
		else if (store_commit(ctx->store) == -1) {
			store_rollback(ctx->store);
			rc = -1;
		}
	}
	if (rc == 0) {
		describe(m, r, &d, ctx->dry_run, line, linelen);
		if (class)
			*class = r->class;
	} else if (rc == -1) {
		not_recorded(ctx, m, line, linelen);
		/* The parser did not die on it: without its marker, a restart
		 * before the store can write again parses it again rather
		 * than quarantine it.  Best effort (the store may be full). */
		if (!m->stale && !ctx->dry_run)
			store_parsing_end(ctx->store, m->mailbox,
			    m->uidvalidity, m->uid);
	}
	intake_result_free(r);
	return rc == 0 ? PROCESS_RECORDED : rc == 1 ? PROCESS_KNOWN :
	    PROCESS_FAILED;
}
