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
	PROCESS_FAILED,		/* store error: nothing changed; retry later */
	PROCESS_PARSING		/* process_begin(): in the worker */
};

/* A message between process_begin() and process_finish(). */
struct process_pending {
	struct process_msg	 m;		/* raw and len not kept */
	char			 hash[STORE_HASHLEN];
	char			*msgid;		/* from a plain scan */
	struct intake_result	*r;		/* decided without parsing */
};

/*
 * Decide and record one message, in two halves so that the caller can
 * fetch the next message while the worker parses this one.
 *
 * process_begin() dedupes the raw copy and notes in the store that it is
 * in the parser (a crash before process_finish() quarantines it at the
 * next start, SPEC 3.9), then hands it to the worker: PROCESS_PARSING,
 * with *p to be given to process_finish() before the worker gets anything
 * else; or PROCESS_KNOWN, or PROCESS_FAILED, and nothing to finish.
 *
 * process_finish() takes the worker's result, threads, merges, decides and
 * commits.  line (may be NULL) gets the one log line of SPEC's "one line
 * per decided message" ("REQ-000042 complete from=... reply=ack"), never
 * any of the body; *class (may be NULL) the class decided when
 * PROCESS_RECORDED.  On PROCESS_FAILED line says why ("uid 12: not
 * recorded: ..."), for the caller to log or not: a store that cannot
 * write fails every message until it can.
 */
enum process_outcome process_begin(struct process_ctx *,
		    const struct process_msg *, struct process_pending *,
		    char *line, size_t linelen);
enum process_outcome process_finish(struct process_ctx *,
		    struct process_pending *, char *line, size_t linelen,
		    enum intake_class *class);

/* The configured triage folder for a class/status, or NULL (left in
 * place).  Borrowed from the configuration. */
const char	*process_folder(const struct config *, enum intake_class,
		    enum intake_status);

#endif
