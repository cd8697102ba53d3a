/*
 * worker.c -- the isolated parse worker (see worker.h).
 *
 * Protocol on two pipes.  Parent to child: u32 length, u32 flags
 * (header only; in the shared window), u32 offset, then the raw message
 * unless it is in the window.  Child to parent: u32 length, then the
 * result in the wire format below.  The child is made once and reused; a
 * child that dies is reaped and replaced at the next message.
 *
 * The shared window is a mapping made before the first fork, that the
 * parent writes and the child only reads (its view is read-only): a
 * message that fits there is copied into it once instead of going through
 * the pipe, which costs two copies in the kernel and a page of pipe buffer
 * for every 4 KB.  The parent reuses a region only after the result of
 * the message in it has come back (or its child is gone).
 *
 * Wire format of a result (all integers u32 in host order, the two ends
 * being the same binary): "IR1" magic, class, status, lang, flags,
 * machine, nreferences, nofficials, then the strings reason,
 * suppress_reason, message_id, in_reply_to, subject, from_addr, from_name,
 * reply_to, date, reference, each references[i], and per official and
 * field: raw, value, problem.  A string is a u32 length (NO_STRING for
 * NULL) and its bytes.  The parent checks every count, enum, length and
 * that every string is valid UTF-8 without NUL; anything else is a broken
 * worker and the message is quarantined.
 *
 * The child's sandbox: every descriptor closed but its two pipes and
 * stderr, rlimits on CPU time (per message), address space, file size and
 * core dumps, and a seccomp filter allowing what parsing needs (memory,
 * reading its pipe and the charset modules iconv loads, writing its pipe).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "buf.h"
#include "config.h"
#include "limits.h"
#include "log.h"
#include "mime.h"
#include "text.h"
#include "worker.h"
#include "xmalloc.h"

#define WIRE_MAGIC	0x31524921u	/* "!IR1" */
#define NO_STRING	0xffffffffu
#define WIRE_MAX	(4u * 1024 * 1024)	/* a result is far smaller */
#define EXIT_NOMEM	71	/* xmalloc's exit status */
#define WORKER_PIPE_BYTES (1024 * 1024)	/* pipe to the child, if allowed */
#define SHARED_BYTES	(8u * 1024 * 1024)	/* the shared window */
#define SHARED_WARM	(2u * 1024 * 1024)	/* ... its part mapped at once */
#define ANSWERS_HELD	(256u * 1024)	/* answers the child holds back */
#define ANSWERS_AGE_MS	50		/* ... and for how long at most */
#define NOT_STARTED	0xffffffffu	/* *progress of a child that has
					 * not begun a message */
#define HDR_HEADER_ONLY	0x1u		/* flags of a message's header */
#define HDR_SHARED	0x2u

const struct worker_limits worker_default_limits = {
	.timeout_ms = 10000,
	.cpu_seconds = 5,
	.memory_bytes = 1024u * 1024 * 1024,
};

struct worker {
	const struct form	*form;
	const struct intake_opts *opts;
	struct worker_limits	 limits;
	int			 isolate;
	const struct config	*secrets;	/* wiped in every child */
	pid_t			 pid;		/* -1 when no child */
	int			 to_child;	/* write end */
	int			 from_child;	/* read end */
	char			*shared;	/* SHARED_BYTES, or NULL */
	uint32_t		*progress;	/* shared with the child, or NULL */
	uint32_t		 answers;	/* read from the child so far */
	unsigned long		 parsed;
	unsigned long		 restarts;
	/* Between worker_send() and worker_receive(). */
	int			 sent;
	struct intake_result	*ready;		/* known at the send */
	struct timespec		 deadline;	/* for the answer */
	int			 pooled;	/* worker_pool_results() */
};

/* ---- wire format ---- */

static void
put_u32(struct buf *b, uint32_t v)
{
	buf_add(b, &v, sizeof(v));
}

static void
put_str(struct buf *b, const char *s)
{
	if (s == NULL) {
		put_u32(b, NO_STRING);
		return;
	}
	put_u32(b, (uint32_t)strlen(s));
	buf_addstr(b, s);
}

static void
wire_encode(const struct intake_result *r, struct buf *b)
{
	size_t i;
	int f;

	put_u32(b, WIRE_MAGIC);
	put_u32(b, r->class);
	put_u32(b, r->status);
	put_u32(b, r->lang);
	put_u32(b, r->flags);
	put_u32(b, (uint32_t)r->machine);
	put_u32(b, (uint32_t)r->nreferences);
	put_u32(b, (uint32_t)r->nofficials);
	put_str(b, r->reason);
	put_str(b, r->suppress_reason);
	put_str(b, r->message_id);
	put_str(b, r->in_reply_to);
	put_str(b, r->subject);
	put_str(b, r->from_addr);
	put_str(b, r->from_name);
	put_str(b, r->reply_to);
	put_str(b, r->date);
	put_str(b, r->reference);
	for (i = 0; i < r->nreferences; i++)
		put_str(b, r->references[i]);
	for (i = 0; i < r->nofficials; i++)
		for (f = 0; f < FIELD_COUNT; f++) {
			put_str(b, r->officials[i].f[f].raw);
			put_str(b, r->officials[i].f[f].value);
			put_u32(b, r->officials[i].f[f].problem);
		}
}

struct reader {
	const char	*p;
	size_t		 left;
	int		 bad;
	char		*pool;		/* strings go here, when not NULL */
	size_t		 used;		/* ... so far */
};

static uint32_t
get_u32(struct reader *rd)
{
	uint32_t v;

	if (rd->bad || rd->left < sizeof(v)) {
		rd->bad = 1;
		return 0;
	}
	memcpy(&v, rd->p, sizeof(v));
	rd->p += sizeof(v);
	rd->left -= sizeof(v);
	return v;
}

/* A string of at most max bytes, valid UTF-8 without NUL, or NULL. */
static char *
get_str(struct reader *rd, size_t max)
{
	uint32_t n = get_u32(rd);
	char *s;

	if (rd->bad || n == NO_STRING)
		return NULL;
	if (n > max || n > rd->left || !text_is_utf8(rd->p, n)) {
		rd->bad = 1;
		return NULL;
	}
	if (rd->pool != NULL) {
		/* The pool is as long as the data, where each string took
		 * four bytes more than its NUL. */
		s = rd->pool + rd->used;
		memcpy(s, rd->p, n);
		s[n] = '\0';
		rd->used += (size_t)n + 1;
	} else
		s = xstrndup(rd->p, n);
	rd->p += n;
	rd->left -= n;
	return s;
}

/*
 * The result data[0..len) holds, or NULL when it is not one.  With pooled,
 * its strings share one block (intake_result's strings) instead of an
 * allocation each; not those of a quarantined result, which may yet be
 * given the Message-ID of its raw header (worker_parse_batch()).
 */
static struct intake_result *
wire_decode(const char *data, size_t len, int pooled)
{
	struct reader rd = { data, len, 0, NULL, 0 };
	struct intake_result *r;
	uint32_t cls, status, lang, flags, machine, nref, noff;
	char *ref;
	size_t i;
	int f;

	if (get_u32(&rd) != WIRE_MAGIC)
		return NULL;
	cls = get_u32(&rd);
	status = get_u32(&rd);
	lang = get_u32(&rd);
	flags = get_u32(&rd);
	machine = get_u32(&rd);
	nref = get_u32(&rd);
	noff = get_u32(&rd);
	if (rd.bad || cls >= CLASS_COUNT || status >= STATUS_COUNT ||
	    lang >= LANG_COUNT || flags >= (1u << FLAG_COUNT_BITS) ||
	    machine > 1 || nref > LIMIT_REFERENCES || noff > LIMIT_OFFICIALS)
		return NULL;
	r = xcalloc(1, sizeof(*r));
	if (pooled && cls != CLASS_QUARANTINED)
		r->strings = rd.pool = xmalloc(len);
	r->class = cls;
	r->status = status;
	r->lang = lang;
	r->flags = flags;
	r->machine = (int)machine;
	r->reason = get_str(&rd, LIMIT_HEADER_BYTES);
	r->suppress_reason = get_str(&rd, LIMIT_HEADER_BYTES);
	r->message_id = get_str(&rd, LIMIT_HEADER_BYTES);
	r->in_reply_to = get_str(&rd, LIMIT_HEADER_BYTES);
	r->subject = get_str(&rd, LIMIT_HEADER_BYTES);
	r->from_addr = get_str(&rd, LIMIT_HEADER_BYTES);
	r->from_name = get_str(&rd, LIMIT_HEADER_BYTES);
	r->reply_to = get_str(&rd, LIMIT_HEADER_BYTES);
	r->date = get_str(&rd, 64);
	ref = get_str(&rd, sizeof(r->reference) - 1);
	if (ref) {
		memcpy(r->reference, ref, strlen(ref) + 1);
		if (rd.pool == NULL)
			free(ref);
	}
	r->references = xcalloc(nref ? nref : 1, sizeof(char *));
	for (i = 0; i < nref && !rd.bad; i++) {
		r->references[i] = get_str(&rd, LIMIT_HEADER_BYTES);
		if (r->references[i] == NULL)
			rd.bad = 1;
		else
			r->nreferences++;
	}
	r->officials = xcalloc(noff ? noff : 1, sizeof(*r->officials));
	r->nofficials = noff;
	for (i = 0; i < noff && !rd.bad; i++)
		for (f = 0; f < FIELD_COUNT && !rd.bad; f++) {
			struct field_value *v = &r->officials[i].f[f];
			uint32_t p;

			v->raw = get_str(&rd, LIMIT_FIELD_BYTES * 4);
			v->value = get_str(&rd, LIMIT_FIELD_BYTES * 4);
			p = get_u32(&rd);
			if (p >= PROBLEM_COUNT)
				rd.bad = 1;
			v->problem = p;
		}
	if (rd.bad || rd.left != 0) {
		intake_result_free(r);
		return NULL;
	}
	return r;
}

/* ---- plain I/O on pipes ---- */

static int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, c, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* ---- the child ---- */

#define ARCH_NR	AUDIT_ARCH_X86_64
#define ALLOW(nr) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
#define KILL(nr) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS)
/* openat(dirfd, path, flags): allowed only to read (iconv modules). */
#define OPEN_RDONLY(nr, argn) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 4), \
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, \
	    offsetof(struct seccomp_data, args[argn])), \
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, \
	    O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND, 0, 1), \
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES), \
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

/*
 * Only what parsing needs.  Anything else fails with EPERM; the calls an
 * exploit wants first (network, exec, ptrace) end the process.
 */
static int
sandbox_seccomp(void)
{
#if defined(__x86_64__)
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH_NR, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, nr)),
		OPEN_RDONLY(__NR_openat, 2),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, nr)),
		OPEN_RDONLY(__NR_open, 1),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, nr)),
		ALLOW(__NR_read), ALLOW(__NR_write), ALLOW(__NR_close),
		ALLOW(__NR_exit), ALLOW(__NR_exit_group),
		ALLOW(__NR_brk), ALLOW(__NR_mmap), ALLOW(__NR_munmap),
		ALLOW(__NR_mremap), ALLOW(__NR_mprotect), ALLOW(__NR_madvise),
		ALLOW(__NR_rt_sigreturn), ALLOW(__NR_rt_sigprocmask),
		ALLOW(__NR_futex), ALLOW(__NR_getrusage),
		ALLOW(__NR_prlimit64), ALLOW(__NR_getrlimit),
		ALLOW(__NR_setrlimit), ALLOW(__NR_clock_gettime),
		ALLOW(__NR_gettimeofday), ALLOW(__NR_newfstatat),
		ALLOW(__NR_fstat), ALLOW(__NR_lseek), ALLOW(__NR_pread64),
		ALLOW(__NR_getpid), ALLOW(__NR_gettid), ALLOW(__NR_tgkill),
		ALLOW(__NR_getrandom), ALLOW(__NR_writev),
		/* AddressSanitizer asks for it on every noreturn call. */
		ALLOW(__NR_sigaltstack),
		KILL(__NR_socket), KILL(__NR_connect), KILL(__NR_execve),
		KILL(__NR_execveat), KILL(__NR_ptrace), KILL(__NR_fork),
		KILL(__NR_vfork), KILL(__NR_clone),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	};
	struct sock_fprog prog = {
		.len = (unsigned short)(sizeof(filter) / sizeof(filter[0])),
		.filter = filter,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
#else
	return -1;	/* no filter written for this architecture */
#endif
}

/* AddressSanitizer and ThreadSanitizer reserve terabytes of shadow
 * address space: no address-space limit under them. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static void
sandbox_limits(const struct worker_limits *l)
{
	struct rlimit rl;

	rl.rlim_cur = rl.rlim_max = 0;
	setrlimit(RLIMIT_FSIZE, &rl);
	setrlimit(RLIMIT_CORE, &rl);
#ifndef UNDER_ASAN
	/* AddressSanitizer reserves terabytes of shadow address space. */
	rl.rlim_cur = rl.rlim_max = l->memory_bytes;
	setrlimit(RLIMIT_AS, &rl);
#else
	(void)l;
#endif
}

/* Milliseconds since *t (CLOCK_MONOTONIC; no system call). */
static long
ms_since(const struct timespec *t)
{
	struct timespec now;

	if (clock_gettime(CLOCK_MONOTONIC, &now) == -1)
		return 1L << 30;	/* as if long ago */
	return (long)(now.tv_sec - t->tv_sec) * 1000 +
	    (now.tv_nsec - t->tv_nsec) / 1000000;
}

/*
 * Give the next message cpu_seconds of CPU beyond what was used (in whole
 * seconds, as RLIMIT_CPU counts).  Asking the kernel what was used costs a
 * system call, so it is asked at most once a second of wall time: the
 * child has one thread, so it uses no more CPU than the time that passes,
 * and a limit set one second higher still leaves every message its
 * cpu_seconds in between.  clock_gettime() needs no system call.
 */
static void
child_cpu_budget(unsigned seconds)
{
	static rlim_t max, last_used = (rlim_t)-1;
	static struct timespec checked;
	static int have_max;
	struct rusage ru;
	struct rlimit rl;
	rlim_t used;

	if (!have_max) {
		if (getrlimit(RLIMIT_CPU, &rl) == -1)
			return;
		max = rl.rlim_max;
		have_max = 1;
	}
	if (last_used != (rlim_t)-1 && ms_since(&checked) < 1000)
		return;
	if (getrusage(RUSAGE_SELF, &ru) == -1)
		return;
	(void)clock_gettime(CLOCK_MONOTONIC, &checked);
	used = (rlim_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec);
	if (used == last_used)
		return;
	rl.rlim_cur = used + seconds + 2;
	rl.rlim_max = max;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
		rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_CPU, &rl) == 0)
		last_used = used;
}

/*
 * The child's input: messages read as the pipe gives them, several at a
 * time when the parent sent a batch, into one buffer that grows to the
 * largest message (LIMIT_MESSAGE_BYTES at most).
 */
#define INBUF_MIN	(64 * 1024)	/* what one read() may bring */

struct inbuf {
	char	*data;
	size_t	 off, len, size;
};

/* Make n bytes available at in->data + in->off; 0, or -1 at EOF. */
static int
inbuf_need(struct inbuf *in, int fd, size_t n)
{
	ssize_t r;

	if (in->len - in->off >= n)
		return 0;
	if (in->off > 0) {
		memmove(in->data, in->data + in->off, in->len - in->off);
		in->len -= in->off;
		in->off = 0;
	}
	if (in->size < n + 1) {
		in->size = n + 1 > INBUF_MIN ? n + 1 : INBUF_MIN;
		in->data = xrealloc(in->data, in->size);
	}
	while (in->len < n) {
		r = read(fd, in->data + in->len, in->size - 1 - in->len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		in->len += (size_t)r;
	}
	return 0;
}

/* Write the answers held back, in one write. */
static void
child_answer(int out, struct buf *held, struct timespec *written)
{
	if (held->len > 0 && write_all(out, held->data, held->len) == -1)
		_exit(2);
	buf_truncate(held, 0);
	(void)clock_gettime(CLOCK_MONOTONIC, written);
}

/*
 * Hooks for the isolation tests only: with INTAKED_TEST_HOOKS=1 in the
 * environment, a message whose first line is "X-Intaked-Test: loop" spins,
 * one with "X-Intaked-Test: alloc" allocates without end and one with
 * "X-Intaked-Test: crash" dies of SIGSEGV.  Without the
 * variable nothing in a message can reach them.
 */
static void
child_test_hook(int enabled, const char *raw, size_t len)
{
	static const char loop[] = "X-Intaked-Test: loop";
	static const char alloc[] = "X-Intaked-Test: alloc";
	static const char crash[] = "X-Intaked-Test: crash";
	volatile unsigned long spin = 0;

	if (!enabled)
		return;
	if (len >= sizeof(crash) - 1 && memcmp(raw, crash,
	    sizeof(crash) - 1) == 0)
		raise(SIGSEGV);
	if (len >= sizeof(loop) - 1 && memcmp(raw, loop,
	    sizeof(loop) - 1) == 0)
		for (;;)
			spin++;
	if (len >= sizeof(alloc) - 1 && memcmp(raw, alloc,
	    sizeof(alloc) - 1) == 0)
		for (;;) {
			char *p = xmalloc(1 << 20);

			memset(p, 1, 1 << 20);
		}
}

static void __attribute__((noreturn))
child_main(struct worker *w, int in, int out)
{
	const char *hooks = getenv("INTAKED_TEST_HOOKS");
	int hooks_on = hooks != NULL && strcmp(hooks, "1") == 0;
	struct inbuf ib = { NULL, 0, 0, 0 };
	struct buf res, held;
	struct timespec written = { 0, 0 };
	uint32_t hdr[3], seq = 0;

	/* The parent's handlers (and any test harness's) are not ours: a
	 * fault must kill the child so the parent sees the signal.  Set
	 * before the filter, which refuses rt_sigaction. */
	signal(SIGSEGV, SIG_DFL);
	signal(SIGBUS, SIG_DFL);
	signal(SIGILL, SIG_DFL);
	signal(SIGFPE, SIG_DFL);
	signal(SIGABRT, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	/* RLIMIT_FSIZE is 0: a write to a stderr that is a regular file
	 * must fail, not kill the child. */
	signal(SIGXFSZ, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_IGN);	/* the parent decides when we stop */
	signal(SIGHUP, SIG_IGN);
	sandbox_limits(&w->limits);
	/* Nothing here writes the window: a stray write faults. */
	if (w->shared != NULL &&
	    mprotect(w->shared, SHARED_BYTES, PROT_READ) == -1)
		_exit(2);
	if (sandbox_seccomp() == -1)
		log_debug("worker: no seccomp filter: %s", strerror(errno));
	buf_init(&res, WIRE_MAX + sizeof(uint32_t));
	buf_init(&held, ANSWERS_HELD + WIRE_MAX + sizeof(uint32_t));
	for (;;) {
		struct intake_result *r;
		struct intake_opts opts;
		char *raw;

		/* Answers are held back while messages keep coming, and
		 * written before waiting for more. */
		if (ib.len - ib.off < sizeof(hdr))
			child_answer(out, &held, &written);
		if (inbuf_need(&ib, in, sizeof(hdr)) == -1)
			_exit(0);
		memcpy(hdr, ib.data + ib.off, sizeof(hdr));
		ib.off += sizeof(hdr);
		if (hdr[0] > LIMIT_MESSAGE_BYTES)
			_exit(2);
		if (hdr[1] & HDR_SHARED) {
			if (w->shared == NULL || hdr[2] > SHARED_BYTES ||
			    hdr[0] > SHARED_BYTES - hdr[2])
				_exit(2);
			raw = w->shared + hdr[2];
		} else {
			if (ib.len - ib.off < hdr[0])
				child_answer(out, &held, &written);
			if (inbuf_need(&ib, in, hdr[0]) == -1)
				_exit(2);
			raw = ib.data + ib.off;
			ib.off += hdr[0];
		}
		/* Which message a death or a hang is charged to. */
		if (w->progress != NULL)
			__atomic_store_n(w->progress, seq, __ATOMIC_RELAXED);
		seq++;
		child_cpu_budget(w->limits.cpu_seconds);
		child_test_hook(hooks_on, raw, hdr[0]);
		opts = *w->opts;
		opts.header_only = (hdr[1] & HDR_HEADER_ONLY) != 0;
		r = intake_parse(w->form, &opts, raw, hdr[0]);
		/* The length, then the result. */
		buf_truncate(&res, 0);
		put_u32(&res, 0);
		wire_encode(r, &res);
		if (res.len <= sizeof(uint32_t))
			_exit(2);
		hdr[0] = (uint32_t)(res.len - sizeof(uint32_t));
		memcpy(res.data, &hdr[0], sizeof(hdr[0]));
		if (buf_add(&held, res.data, res.len) == -1)
			_exit(2);
		intake_result_free(r);
		/* Without the progress page the parent can only charge a
		 * death to the first message it has no answer for. */
		if (w->progress == NULL || held.len >= ANSWERS_HELD ||
		    ms_since(&written) >= ANSWERS_AGE_MS)
			child_answer(out, &held, &written);
	}
}

/* ---- the parent ---- */

/* Where raw[0..len) lies in the window, when the caller read it there
 * (worker_window()): its offset, else -1. */
static long
window_offset(const struct worker *w, const char *raw, size_t len)
{
	uintptr_t p = (uintptr_t)raw, base = (uintptr_t)w->shared;

	if (w->shared == NULL || p < base || p - base > SHARED_BYTES ||
	    len > SHARED_BYTES - (p - base))
		return -1;
	return (long)(p - base);
}

char *
worker_window(struct worker *w, size_t *size)
{
	if (!w->isolate || w->shared == NULL) {
		*size = 0;
		return NULL;
	}
	*size = SHARED_BYTES;
	return w->shared;
}

void
worker_pool_results(struct worker *w)
{
	w->pooled = 1;
}

static int
worker_spawn(struct worker *w, char *err, size_t errlen)
{
	int down[2], up[2];
	pid_t pid;
	void *p;

	/* Made once and kept across children; without it every message
	 * goes through the pipe. */
	if (w->shared == NULL && (p = mmap(NULL, SHARED_BYTES,
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)) !=
	    MAP_FAILED) {
		w->shared = p;
		/* A batch of messages seldom takes more than its first
		 * megabytes: mapped in one call, not a page fault for each
		 * page as it is first written (a kernel without
		 * MADV_POPULATE_WRITE faults them in as before). */
#ifdef MADV_POPULATE_WRITE
		(void)madvise(p, SHARED_WARM, MADV_POPULATE_WRITE);
#endif
	}
	/* The one page the child writes: which message it is parsing.
	 * Without it the child answers each message at once. */
	if (w->progress == NULL && (p = mmap(NULL, sizeof(*w->progress),
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)) !=
	    MAP_FAILED)
		w->progress = p;
	if (w->progress != NULL)
		*w->progress = NOT_STARTED;
	w->answers = 0;
	if (pipe2(down, O_CLOEXEC) == -1)
		goto fail;
	if (pipe2(up, O_CLOEXEC) == -1) {
		close(down[0]);
		close(down[1]);
		goto fail;
	}
	/* Room for a batch of messages (worker_parse_batch) in the pipe;
	 * without it (a lower pipe-max-size) batches just take more turns. */
	(void)fcntl(down[1], F_SETPIPE_SZ, WORKER_PIPE_BYTES);
	fflush(NULL);
	if ((pid = fork()) == -1) {
		close(down[0]);
		close(down[1]);
		close(up[0]);
		close(up[1]);
		goto fail;
	}
	if (pid == 0) {
		config_wipe_secrets(w->secrets);
		/* Keep stdin-less stderr and the two pipe ends, nothing else:
		 * no store, no IMAP or SMTP socket, no lock file. */
		if (dup2(down[0], 3) == -1 || dup2(up[1], 4) == -1)
			_exit(2);
		close_range(5, ~0U, 0);
		fcntl(3, F_SETFD, 0);
		fcntl(4, F_SETFD, 0);
		child_main(w, 3, 4);
	}
	close(down[0]);
	close(up[1]);
	w->pid = pid;
	w->to_child = down[1];
	w->from_child = up[0];
	w->restarts++;
	return 0;
fail:
	snprintf(err, errlen, "cannot start the parse worker: %s",
	    strerror(errno));
	return -1;
}

/* Kill (if asked) and reap the child; say how it ended. */
static void
worker_reap(struct worker *w, int kill_it, char *why, size_t whylen)
{
	int st = 0;
	pid_t r;

	if (w->pid <= 0)
		return;
	close(w->to_child);
	close(w->from_child);
	if (kill_it)
		kill(w->pid, SIGKILL);
	do
		r = waitpid(w->pid, &st, 0);
	while (r == -1 && errno == EINTR);
	if (why != NULL && r == w->pid) {
		if (WIFSIGNALED(st) && WTERMSIG(st) == SIGXCPU)
			snprintf(why, whylen, "parser timed out (CPU)");
		else if (WIFSIGNALED(st))
			snprintf(why, whylen, "parser crashed: signal %d",
			    WTERMSIG(st));
		else if (WIFEXITED(st) && WEXITSTATUS(st) == EXIT_NOMEM)
			snprintf(why, whylen, "parser out of memory");
		else if (WIFEXITED(st))
			snprintf(why, whylen, "parser exited: status %d",
			    WEXITSTATUS(st));
	}
	w->pid = -1;
}

struct worker *
worker_start(const struct form *form, const struct intake_opts *opts,
    const struct worker_limits *limits, int isolate,
    const struct config *secrets, char *err, size_t errlen)
{
	struct worker *w = xcalloc(1, sizeof(*w));

	w->secrets = secrets;
	w->form = form;
	w->opts = opts;
	w->limits = limits ? *limits : worker_default_limits;
	w->isolate = isolate;
	w->pid = -1;
	signal(SIGPIPE, SIG_IGN);	/* a dead child must not kill us */
	if (isolate && worker_spawn(w, err, errlen) == -1) {
		free(w);
		return NULL;
	}
	w->restarts = 0;
	return w;
}

static long
ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

/* Read n bytes before the deadline: 0, -1 (EOF/error), -2 (timeout). */
static int
read_deadline(int fd, void *p, size_t n, const struct timespec *deadline)
{
	char *c = p;
	struct pollfd pfd;
	ssize_t r;
	long left;

	while (n > 0) {
		if ((left = ms_left(deadline)) <= 0)
			return -2;
		pfd.fd = fd;
		pfd.events = POLLIN;
		r = poll(&pfd, 1, (int)(left > 60000 ? 60000 : left));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			continue;
		r = read(fd, c, n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

static void
deadline_from_now(const struct worker *w, struct timespec *deadline)
{
	clock_gettime(CLOCK_MONOTONIC, deadline);
	deadline->tv_sec += w->limits.timeout_ms / 1000;
	deadline->tv_nsec += (long)(w->limits.timeout_ms % 1000) * 1000000;
	if (deadline->tv_nsec >= 1000000000L) {
		deadline->tv_sec++;
		deadline->tv_nsec -= 1000000000L;
	}
}

int
worker_send(struct worker *w, const char *raw, size_t len, int header_only)
{
	struct intake_opts opts;
	uint32_t hdr[3];
	char why[128] = "", err[256];
	long off;
	int shared;

	if (w->sent)
		return -1;
	w->sent = 1;
	w->parsed++;
	if (len > LIMIT_MESSAGE_BYTES)
		len = LIMIT_MESSAGE_BYTES;
	if (!w->isolate) {
		opts = *w->opts;
		opts.header_only = header_only;
		w->ready = intake_parse(w->form, &opts, raw, len);
		return 0;
	}
	if (w->pid <= 0 && worker_spawn(w, err, sizeof(err)) == -1) {
		w->ready = intake_quarantined(err);
		return 0;
	}
	deadline_from_now(w, &w->deadline);
	/* One message in flight: the window is free.  A message the caller
	 * read into it is sent where it lies. */
	if ((off = window_offset(w, raw, len)) >= 0)
		shared = 1;
	else {
		off = 0;
		shared = w->shared != NULL && len <= SHARED_BYTES;
		if (shared)
			memcpy(w->shared, raw, len);
	}
	hdr[0] = (uint32_t)len;
	hdr[1] = (header_only ? HDR_HEADER_ONLY : 0) |
	    (shared ? HDR_SHARED : 0);
	hdr[2] = (uint32_t)off;
	/* A message larger than the pipe buffer blocks until the child
	 * reads; a child that never reads is caught by the EOF/timeout on
	 * the answer.  Writes fail with EPIPE if it died. */
	if (write_all(w->to_child, hdr, sizeof(hdr)) == -1 ||
	    (!shared && write_all(w->to_child, raw, len) == -1)) {
		worker_reap(w, 1, why, sizeof(why));
		w->ready = intake_quarantined(why[0] ? why :
		    "parser crashed while reading the message");
	}
	return 0;
}

struct intake_result *
worker_receive(struct worker *w)
{
	struct intake_result *r = NULL;
	uint32_t rlen;
	char why[128] = "";
	char *data;
	int rc;

	if (!w->sent)
		return intake_quarantined("nothing was sent to the parser");
	w->sent = 0;
	if (w->ready != NULL) {
		r = w->ready;
		w->ready = NULL;
		return r;
	}
	rc = read_deadline(w->from_child, &rlen, sizeof(rlen), &w->deadline);
	if (rc == 0 && (rlen == 0 || rlen > WIRE_MAX))
		rc = -3;
	if (rc == 0) {
		data = xmalloc(rlen);
		rc = read_deadline(w->from_child, data, rlen, &w->deadline);
		if (rc == 0 && (r = wire_decode(data, rlen, w->pooled)) == NULL)
			rc = -3;
		free(data);
	}
	if (rc == 0) {
		w->answers++;
		return r;
	}
	worker_reap(w, 1, why, sizeof(why));
	if (rc == -2)
		return intake_quarantined("parser timed out");
	if (rc == -3)
		return intake_quarantined("parser answered nonsense");
	return intake_quarantined(why[0] ? why : "parser crashed");
}

/* ---- several messages in flight ---- */

#define BATCH_AHEAD	64	/* messages sent before their results */

struct batch_send {
	size_t	 i;		/* message being written */
	size_t	 off;		/* bytes of it written, header included */
	size_t	 body;		/* bytes of it that follow the header */
	int	 ready;		/* hdr and body are set for message i */
	uint32_t hdr[3];
	/* The window regions of the messages in flight, by index modulo
	 * BATCH_AHEAD (inwin 0: sent through the pipe). */
	size_t	 start[BATCH_AHEAD], end[BATCH_AHEAD];
	int	 inwin[BATCH_AHEAD];
	/* Headers of messages in the window, not yet written: they go to
	 * the child together, in one write, not one write a message. */
	uint32_t staged[BATCH_AHEAD * 3];
	size_t	 soff, slen;	/* bytes of staged written, and held */
	/* Some messages of the batch lie in the window already: no other
	 * is copied there, where it could land on them. */
	int	 inplace;
};

/*
 * Where len bytes (1 or more) can go in the window, given the regions of
 * messages recv to bs->i - 1, which are in flight and were placed one
 * after the other, wrapping at most once: 0 with *off set, or -1 when
 * there is no room until results come back.
 */
static int
window_place(const struct batch_send *bs, size_t recv, size_t len,
    size_t *off)
{
	size_t k, oldest = 0, newest = 0, tail, head;
	int any = 0;

	for (k = recv; k < bs->i; k++)
		if (bs->inwin[k % BATCH_AHEAD]) {
			if (!any)
				oldest = k % BATCH_AHEAD;
			newest = k % BATCH_AHEAD;
			any = 1;
		}
	if (!any) {
		*off = 0;
		return 0;
	}
	tail = bs->start[oldest];
	head = bs->end[newest];
	if (bs->start[newest] >= tail) {
		/* Not wrapped: free after the head and before the tail. */
		if (len <= SHARED_BYTES - head)
			*off = head;
		else if (len <= tail)
			*off = 0;
		else
			return -1;
	} else if (len <= tail - head)
		*off = head;
	else
		return -1;
	return 0;
}

/* Set up message bs->i: into the window when it fits there, else to
 * follow its header down the pipe.  -1 when it must wait for room. */
static int
batch_prepare(struct worker *w, struct batch_send *bs, size_t recv,
    const char *raw, size_t len, int header_only)
{
	size_t slot = bs->i % BATCH_AHEAD, off = 0;
	long at;
	int shared;

	if (len > LIMIT_MESSAGE_BYTES)
		len = LIMIT_MESSAGE_BYTES;
	if ((at = window_offset(w, raw, len)) >= 0) {
		/* Read there by the caller, for this batch: nothing else
		 * writes the window until it ends. */
		shared = 1;
		off = (size_t)at;
	} else {
		shared = !bs->inplace && w->shared != NULL && len > 0 &&
		    len <= SHARED_BYTES;
		if (shared && window_place(bs, recv, len, &off) == -1)
			return -1;
		if (shared)
			memcpy(w->shared + off, raw, len);
	}
	bs->inwin[slot] = shared;
	if (shared) {
		bs->start[slot] = off;
		bs->end[slot] = off + len;
	}
	bs->hdr[0] = (uint32_t)len;
	bs->hdr[1] = (header_only ? HDR_HEADER_ONLY : 0) |
	    (shared ? HDR_SHARED : 0);
	bs->hdr[2] = (uint32_t)off;
	bs->body = shared ? 0 : len;
	bs->off = 0;
	bs->ready = 1;
	return 0;
}

/* What a non-blocking write to the child that returned n means: 1 (the
 * n bytes it took are added to *off, or it was interrupted: write on),
 * 0 (the pipe is full), -1 (the child is gone). */
static int
wrote(ssize_t n, size_t *off)
{
	if (n == -1 && errno == EINTR)
		return 1;
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n <= 0)
		return -1;
	*off += (size_t)n;
	return 1;
}

/* Write what the pipe takes of message bs->i: 0 (more to write later or
 * done), -1 (the child is gone). */
static int
batch_write(struct worker *w, struct batch_send *bs, const char *raw)
{
	const char *p;
	size_t left;
	ssize_t n;
	int k;

	while (bs->off < sizeof(bs->hdr) + bs->body) {
		if (bs->off < sizeof(bs->hdr)) {
			/* The header and the message in one call. */
			struct iovec iov[2];

			iov[0].iov_base = (char *)bs->hdr + bs->off;
			iov[0].iov_len = sizeof(bs->hdr) - bs->off;
			iov[1].iov_base = (char *)raw;
			iov[1].iov_len = bs->body;
			n = writev(w->to_child, iov, bs->body > 0 ? 2 : 1);
		} else {
			p = raw + (bs->off - sizeof(bs->hdr));
			left = bs->body - (bs->off - sizeof(bs->hdr));
			n = write(w->to_child, p, left);
		}
		if ((k = wrote(n, &bs->off)) != 1)
			return k;
	}
	return 0;
}

/* Write what the pipe takes of the staged headers: 0 (all of them, or
 * the pipe is full), -1 (the child is gone). */
static int
stage_flush(struct worker *w, struct batch_send *bs)
{
	ssize_t n;
	int k;

	while (bs->soff < bs->slen) {
		n = write(w->to_child, (char *)bs->staged + bs->soff,
		    bs->slen - bs->soff);
		if ((k = wrote(n, &bs->soff)) != 1)
			return k;
	}
	bs->soff = bs->slen = 0;
	return 0;
}

/* Send message bs->i: a header of a message in the window is staged, else
 * the staged ones are written first, then it.  0 when it is all written
 * or staged, 1 when the pipe is full, -1 when the child is gone. */
static int
batch_send_one(struct worker *w, struct batch_send *bs, const char *raw)
{
	if (bs->body == 0 && bs->off == 0 &&
	    bs->slen + sizeof(bs->hdr) <= sizeof(bs->staged)) {
		memcpy((char *)bs->staged + bs->slen, bs->hdr,
		    sizeof(bs->hdr));
		bs->slen += sizeof(bs->hdr);
		return 0;
	}
	if (stage_flush(w, bs) == -1)
		return -1;
	if (bs->slen > 0)
		return 1;
	if (batch_write(w, bs, raw) == -1)
		return -1;
	return bs->off == sizeof(bs->hdr) + bs->body ? 0 : 1;
}

/*
 * Results as the pipe gives them: the child's answers to a batch arrive
 * several at a time and are read in one go.
 */
struct resbuf {
	char	*data;
	size_t	 off, len, size;
	int	 eof;
};

/* Read what the pipe holds (from_child is non-blocking). */
static void
resbuf_fill(struct worker *w, struct resbuf *rb)
{
	ssize_t r;

	if (rb->off > 0) {
		memmove(rb->data, rb->data + rb->off, rb->len - rb->off);
		rb->len -= rb->off;
		rb->off = 0;
	}
	if (rb->size - rb->len < 64 * 1024) {
		rb->size = rb->size * 2 + 64 * 1024;
		rb->data = xrealloc(rb->data, rb->size);
	}
	for (;;) {
		r = read(w->from_child, rb->data + rb->len, rb->size - rb->len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (r <= 0) {
			rb->eof = 1;
			return;
		}
		rb->len += (size_t)r;
		return;
	}
}

/* The next whole result in rb: 1 with *r set, 0 when more is needed,
 * -3 for a broken answer. */
static int
resbuf_next(struct resbuf *rb, struct intake_result **r, int pooled)
{
	uint32_t rlen;

	if (rb->len - rb->off < sizeof(rlen))
		return 0;
	memcpy(&rlen, rb->data + rb->off, sizeof(rlen));
	if (rlen == 0 || rlen > WIRE_MAX)
		return -3;
	if (rb->len - rb->off - sizeof(rlen) < rlen) {
		/* Room for the whole of it at the next fill. */
		if (rb->size < rlen + sizeof(rlen) + 64 * 1024) {
			rb->size = rlen + sizeof(rlen) + 64 * 1024;
			rb->data = xrealloc(rb->data, rb->size);
		}
		return 0;
	}
	*r = wire_decode(rb->data + rb->off + sizeof(rlen), rlen, pooled);
	rb->off += sizeof(rlen) + rlen;
	return *r != NULL ? 1 : -3;
}

static void
set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl != -1)
		fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

/* The first message from k on (up to n) not decided yet. */
static size_t
undecided(struct intake_result *const *out, size_t k, size_t n)
{
	while (k < n && out[k] != NULL)
		k++;
	return k;
}

/*
 * The message a child that died or hung was parsing: from its progress
 * page, which says how many messages it had begun before (w->answers of
 * them answered), recv being the first unanswered one and sent - 1 the
 * last one sent.  The first unanswered one when the page says nothing
 * sensible: a child is not trusted, even about this.
 */
static size_t
culprit(const struct worker *w, struct intake_result *const *out,
    size_t recv, size_t sent)
{
	uint32_t seq;
	size_t k = recv, ahead;

	if (w->progress == NULL)
		return recv;
	seq = __atomic_load_n(w->progress, __ATOMIC_RELAXED);
	if (seq == NOT_STARTED || seq < w->answers)
		return recv;
	for (ahead = seq - w->answers; ahead > 0 && k < sent; ahead--)
		k = undecided(out, k + 1, sent);
	return k < sent ? k : recv;
}

void
worker_parse_batch(struct worker *w, size_t n, const char *const *raw,
    const size_t *len, const int *header_only, struct intake_result **out)
{
	struct batch_send bs;
	struct resbuf rb;
	struct timespec deadline;
	struct pollfd pfd[2];
	struct intake_result *r;
	char why[128], err[256];
	size_t recv = 0, i;
	long left;
	int rc, np, fresh = 1, wdead = 0, noroom, k;

	if (!w->isolate || n < 2) {
		for (i = 0; i < n; i++)
			out[i] = worker_parse(w, raw[i], len[i],
			    header_only[i]);
		return;
	}
	memset(&bs, 0, sizeof(bs));
	memset(&rb, 0, sizeof(rb));
	for (i = 0; i < n; i++) {
		out[i] = NULL;		/* not decided yet */
		if (window_offset(w, raw[i], len[i]) >= 0)
			bs.inplace = 1;
	}
	while (recv < n) {
		if (fresh) {
			/* The first message, or a new child: (re)send from
			 * the first one without a result. */
			if (w->pid <= 0 &&
			    worker_spawn(w, err, sizeof(err)) == -1) {
				for (; recv < n; recv++)
					out[recv] = intake_quarantined(err);
				break;
			}
			set_nonblock(w->to_child, 1);
			set_nonblock(w->from_child, 1);
			bs.i = recv;
			bs.off = 0;
			bs.ready = 0;
			bs.soff = bs.slen = 0;
			rb.off = rb.len = 0;
			rb.eof = 0;
			fresh = 0;
			wdead = 0;
			deadline_from_now(w, &deadline);
		}
		/* Whole results already read, in the order the messages
		 * went: those decided already went to no child. */
		rc = 0;
		while (recv < n && (rc = resbuf_next(&rb, &r, w->pooled)) == 1) {
			w->parsed++;
			w->answers++;
			out[recv] = r;
			recv = undecided(out, recv + 1, n);
			deadline_from_now(w, &deadline);
		}
		if (recv == n)
			break;
		if (rc == 0 && rb.eof)
			rc = -1;
		/* Write what the pipe takes before waiting at all. */
		noroom = 0;
		while (rc == 0 && !wdead && bs.i < n &&
		    bs.i < recv + BATCH_AHEAD) {
			if (!bs.ready && out[bs.i] != NULL) {
				bs.inwin[bs.i % BATCH_AHEAD] = 0;
				bs.i++;
				continue;
			}
			if (!bs.ready && batch_prepare(w, &bs, recv, raw[bs.i],
			    len[bs.i], header_only[bs.i]) == -1) {
				noroom = 1;
				break;
			}
			/* A child that stopped reading has died or will: its
			 * answers so far are read first, and its end is
			 * charged to the message it was parsing. */
			if ((k = batch_send_one(w, &bs, raw[bs.i])) == -1)
				wdead = 1;
			else if (k == 0) {
				bs.i++;
				bs.ready = 0;
			} else
				break;	/* the pipe is full */
		}
		if (rc == 0 && !wdead && stage_flush(w, &bs) == -1)
			wdead = 1;
		if (rc == 0) {
			np = 0;
			pfd[np].fd = w->from_child;
			pfd[np].events = POLLIN;
			pfd[np].revents = 0;
			np++;
			if (!wdead && (bs.slen > 0 || (!noroom && bs.i < n &&
			    bs.i < recv + BATCH_AHEAD))) {
				pfd[np].fd = w->to_child;
				pfd[np].events = POLLOUT;
				pfd[np].revents = 0;
				np++;
			}
			if ((left = ms_left(&deadline)) <= 0)
				rc = -2;
			else if (poll(pfd, (nfds_t)np,
			    (int)(left > 60000 ? 60000 : left)) == -1 &&
			    errno != EINTR)
				rc = -1;
			else if (pfd[0].revents & (POLLIN | POLLERR | POLLHUP))
				resbuf_fill(w, &rb);
		}
		if (rc == 0)
			continue;
		/* The message in the child's hands cost it its life; the
		 * ones before it whose answers it held back go again. */
		why[0] = '\0';
		worker_reap(w, 1, why, sizeof(why));
		fresh = 1;
		w->parsed++;
		if (rc == -2)
			r = intake_quarantined("parser timed out");
		else if (rc == -3)
			r = intake_quarantined("parser answered nonsense");
		else
			r = intake_quarantined(why[0] ? why : "parser crashed");
		i = rc == -3 ? recv : culprit(w, out, recv, bs.i);
		out[i] = r;
		recv = undecided(out, recv, n);
	}
	free(rb.data);
	if (w->pid > 0) {
		set_nonblock(w->to_child, 0);
		set_nonblock(w->from_child, 0);
	}
	for (i = 0; i < n; i++)
		if (out[i]->class == CLASS_QUARANTINED &&
		    out[i]->message_id == NULL)
			out[i]->message_id = mime_peek_msgid(raw[i], len[i]);
}

void
worker_stats(const struct worker *w, unsigned long *parsed,
    unsigned long *restarts)
{
	*parsed = w->parsed;
	*restarts = w->restarts;
}

int
worker_pid(const struct worker *w)
{
	return w->pid > 0 ? (int)w->pid : -1;
}

void
worker_stop(struct worker *w)
{
	if (w == NULL)
		return;
	worker_reap(w, 1, NULL, 0);
	intake_result_free(w->ready);
	if (w->shared != NULL)
		munmap(w->shared, SHARED_BYTES);
	if (w->progress != NULL)
		munmap(w->progress, sizeof(*w->progress));
	free(w);
}

struct intake_result *
worker_parse(struct worker *w, const char *raw, size_t len, int header_only)
{
	struct intake_result *r;

	worker_send(w, raw, len, header_only);
	r = worker_receive(w);

	/* Quarantined unparsed: the Message-ID still dedupes it and names
	 * it for the Secretariat. */
	if (r->class == CLASS_QUARANTINED && r->message_id == NULL)
		r->message_id = mime_peek_msgid(raw, len);
	return r;
}
