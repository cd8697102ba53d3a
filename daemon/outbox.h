/*
 * outbox.h -- send the replies queued in the store (SPEC 3.7).
 *
 * A reply is marked sent only after the server accepted it, each in its
 * own small transaction: a crash between the server's 250 and that commit
 * is the one window in which a reply can go out twice.  Temporary failures
 * stay queued with backoff (store.c); a permanent refusal is marked failed
 * and waits for `intakectl retry`.
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

/*
 * Send every reply due at now (at most max, 0: all), over one SMTP
 * connection.  Stops early when *stop becomes non-zero, or at the first
 * connection-level failure (the rest stays due).  Returns 0, or -1 when the
 * store failed.
 */
/* An SMTP session with cfg's [smtp] settings (nothing connected yet);
 * NULL with err set on a bad setting. */
struct smtp_session *outbox_smtp_open(const struct config *cfg, char *err,
	    size_t errlen);

int	 outbox_send_due(struct store *, const struct config *, int64_t now,
	    unsigned max, volatile int *stop, struct outbox_counts *);

#endif
