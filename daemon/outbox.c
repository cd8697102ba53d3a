/*
 * outbox.c -- deliver queued replies over one SMTP session (see outbox.h).
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "outbox.h"
#include "smtp.h"

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

int
outbox_send_due(struct store *st, const struct config *cfg, int64_t now,
    unsigned max, volatile int *stop, struct outbox_counts *c)
{
	struct smtp_session *sess = NULL;
	struct store_reply *list = NULL;
	size_t n = 0, i;
	char err[512];
	int rc = 0;

	memset(c, 0, sizeof(*c));
	if (store_replies_due(st, now, max, &list, &n) == -1)
		return -1;
	if (n == 0)
		return 0;
	/* What a reply answers must be on disk before the reply leaves. */
	if (store_sync(st) == -1) {
		store_replies_free(list, n);
		return -1;
	}
	if ((sess = outbox_smtp_open(cfg, err, sizeof(err))) == NULL) {
		log_warnx("smtp: %s", err);
		store_replies_free(list, n);
		return 0;
	}
	for (i = 0; i < n && !(stop && *stop); i++) {
		struct store_reply *r = &list[i];
		enum smtp_result res;

		res = smtp_send(sess, r->envelope_from, r->rcpt, r->data,
		    r->len, err, sizeof(err));
		if (res == SMTP_OK) {
			if (store_reply_mark_sent(st, r->id, now) == -1) {
				rc = -1;
				break;
			}
			c->sent++;
			log_info("%s reply sent to=%s", r->reference, r->rcpt);
			continue;
		}
		if (store_reply_mark_failed(st, r->id, err,
		    res == SMTP_PERMFAIL, now) == -1) {
			rc = -1;
			break;
		}
		if (res == SMTP_PERMFAIL) {
			c->failed++;
			log_warnx("%s reply refused to=%s: %s", r->reference,
			    r->rcpt, err);
			continue;
		}
		c->deferred++;
		log_warnx("%s reply deferred to=%s: %s", r->reference,
		    r->rcpt, err);
		/*
		 * The server or the link is the trouble, not this reply: the
		 * rest wait their backoff too, with the same error, rather
		 * than knock on a dead server at every round.
		 */
		while (++i < n) {
			if (store_reply_mark_failed(st, list[i].id, err, 0,
			    now) == -1) {
				rc = -1;
				break;
			}
			c->deferred++;
		}
		break;
	}
	smtp_close(sess);
	store_replies_free(list, n);
	return rc;
}
