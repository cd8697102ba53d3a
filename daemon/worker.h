/*
 * worker.h -- parse hostile mail in an isolated child process (SPEC 3.9).
 *
 * worker_start() forks a long-lived child that holds the form and nothing
 * else: no store, no sockets, no credentials.  worker_parse() hands it one
 * raw message and reads back the result, never trusting it: the reply is
 * size-capped and every field checked.  When the child crashes, hangs past
 * the deadline or runs out of memory, that one message becomes a
 * quarantined result with the reason, and the next call starts a new
 * child.  With isolate = 0 parsing runs in-process (for comparison in the
 * benchmark; never in the daemon).
 */
#ifndef INTAKE_WORKER_H
#define INTAKE_WORKER_H

#include <stddef.h>

#include "config.h"
#include "form.h"
#include "intake.h"

struct worker_limits {
	unsigned	timeout_ms;	/* wall clock per message */
	unsigned	cpu_seconds;	/* CPU time per message */
	size_t		memory_bytes;	/* address space of the child */
};

extern const struct worker_limits worker_default_limits;

struct worker;

/*
 * The form and opts must outlive the worker.  Every new child wipes the
 * passwords of secrets (may be NULL) first thing after the fork: it must
 * not hold what it inherited from the daemon.  Returns NULL only when no
 * child can be made at all (fork or pipe failing), with err set.
 */
struct worker	*worker_start(const struct form *,
		    const struct intake_opts *, const struct worker_limits *,
		    int isolate, const struct config *secrets,
		    char *err, size_t errlen);

/* Never NULL: a result, or a quarantined one naming why (with the
 * Message-ID of the raw header when it has one).  The caller frees it with
 * intake_result_free(). */
struct intake_result *worker_parse(struct worker *, const char *raw,
		    size_t len, int header_only);

/*
 * worker_parse() in two halves, so that the caller works while the child
 * parses: worker_send() hands the child one message (raw may be freed when
 * it returns; the deadline starts now) and worker_receive() waits for its
 * result, never NULL, quarantined when the child failed; it does not look
 * for the Message-ID of a quarantined message (the caller has the raw
 * bytes).  One message at a time: worker_send() returns -1, doing nothing,
 * when the last one was not received; else 0.
 */
int		 worker_send(struct worker *, const char *raw, size_t len,
		    int header_only);
struct intake_result *worker_receive(struct worker *);

/*
 * The same for n messages at once, results in out[0..n) (each never
 * NULL): later messages are written to the child while it parses earlier
 * ones, and the child holds its answers back while more messages wait
 * (50 ms at most), so parent and child take turns far less often.  Each
 * message has the same limits as with worker_parse(), its deadline
 * counted from the last answers the child wrote; a child that dies or
 * hangs costs the message it was parsing (a page of memory it shares
 * with the parent says which), and the others it had not answered go to
 * the next child.
 */
void		 worker_parse_batch(struct worker *, size_t n,
		    const char *const *raw, const size_t *len,
		    const int *header_only, struct intake_result **out);

/*
 * From now on, each result from the child but a quarantined one has its
 * strings in one block (intake_result's strings) instead of an
 * allocation each, for a caller that only reads its results and frees
 * them: one that moves officials or strings out of a result must not ask
 * for this.
 */
void		 worker_pool_results(struct worker *);

/*
 * The window of memory the child reads messages from, for a caller that
 * reads messages straight into it rather than have them copied there:
 * NULL (and *size 0) when there is none, as in process.  The caller may
 * write it only between calls: messages of one worker_parse_batch() (or
 * worker_parse()) call that lie in it are sent where they lie, and no
 * other message of the call is copied into it.  A new worker has a new
 * window.
 */
char		*worker_window(struct worker *, size_t *size);

/* Messages parsed and children started so far (for status lines). */
void		 worker_stats(const struct worker *, unsigned long *parsed,
		    unsigned long *restarts);

/* The child's pid, or -1 when none runs (between a death and the next
 * message, or with isolate = 0). */
int		 worker_pid(const struct worker *);

void		 worker_stop(struct worker *);

#endif
