/*
 * process.h -- decide one fetched message and record the decision
 * (SPEC 3.2-3.7): dedupe, parse in the worker, thread a follow-up into its
 * request, merge and decide again, render the reply into the outbox, and
 * commit all of it in one transaction.
 *
 * Sending the outbox and moving the message are the caller's next steps
 * (outbox.c, the IMAP loop): both read what was committed here, so a crash
 * between any two steps loses nothing.
 */
#ifndef INTAKE_PROCESS_H
#define INTAKE_PROCESS_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "form.h"
#include "reply.h"
#include "store.h"
#include "worker.h"

struct process_ctx {
	struct store			*store;
	const struct config		*cfg;
	const struct form		*form;
	const struct reply_templates	*templates;
	struct worker			*worker;
	int				 dry_run;	/* roll back, print */
};

struct process_msg {
	const char	*mailbox;
	uint32_t	 uidvalidity;
	uint32_t	 uid;
	int64_t		 internaldate;	/* 0: unknown */
	const char	*raw;
	size_t		 len;
	int		 header_only;	/* over max_message_size */
	int		 stale;		/* the parser died on it before */
	int64_t		 now;
};

enum process_outcome {
	PROCESS_RECORDED,	/* decided and committed */
	PROCESS_KNOWN,		/* recorded before: nothing changed */
	PROCESS_FAILED		/* store error: nothing changed; retry later */
};

/*
 * Decide and record one message.  line (may be NULL) gets the one log line
 * of SPEC's "one line per decided message" ("REQ-000042 complete
 * from=... reply=ack"), never any of the body; *class (may be NULL) the
 * class decided when PROCESS_RECORDED.  On PROCESS_FAILED line says why
 * ("uid 12: not recorded: ..."), for the caller to log or not: a store
 * that cannot write fails every message until it can.
 */
enum process_outcome process_message(struct process_ctx *,
		    const struct process_msg *, char *line, size_t linelen,
		    enum intake_class *class);

/* The configured triage folder for a class/status, or NULL (left in
 * place).  Borrowed from the configuration. */
const char	*process_folder(const struct config *, enum intake_class,
		    enum intake_status);

#endif
