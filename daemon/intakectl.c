/*
 * intakectl -- the Secretariat's and support's tool: what intaked would
 * understand of a message, and (with a store) summaries, exports and the
 * daily digest (SPEC 4).
 *
 * Each command is a row of the table below: a name, a function, its usage
 * line and its help.  Every command but parse reads the configuration
 * (-c FILE) for the store's path and opens the store read-only: only
 * retry writes, and only to put failed replies back in the queue.  Errors
 * are one line on stderr naming what was wrong, and the exit status comes
 * from sysexits.h.  The reports themselves are in report.c, the digest in
 * digest.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "digest.h"
#include "form.h"
#include "intake.h"
#include "limits.h"
#include "outbox.h"
#include "report.h"
#include "smtp.h"
#include "store.h"
#include "worker.h"
#include "xmalloc.h"

#define DEFAULT_FORM	DATADIR "/forms/cencomm-cheetah.form"
#define DEFAULT_DIGEST_SINCE	"24h"

struct ctl {
	const char	*config_path;
	const char	*form_path;
	struct config	*cfg;		/* load_config() */
	struct store	*store;		/* open_store() */
};

struct command {
	const char	*name;
	int		(*fn)(struct ctl *, int, char **);
	const char	*usage;
	const char	*help;		/* one line, for the command list */
	const char	*options;	/* what --help adds, or NULL */
};

static int	cmd_parse(struct ctl *, int, char **);
static int	cmd_list(struct ctl *, int, char **);
static int	cmd_show(struct ctl *, int, char **);
static int	cmd_export(struct ctl *, int, char **);
static int	cmd_retry(struct ctl *, int, char **);
static int	cmd_stats(struct ctl *, int, char **);
static int	cmd_digest(struct ctl *, int, char **);

static const struct command commands[] = {
	{ "parse", cmd_parse, "parse FILE.eml...",
	  "print what would be understood from each message, as JSON",
	  "Reads each message and prints the JSON object `export' gives per\n"
	  "request, plus \"class\".  Touches neither the store nor the network.\n"
	  "The form is --form FORM, else the installed one.\n" },
	{ "list", cmd_list,
	  "list [--status S] [--since WHEN] [--country CC]",
	  "one line a request",
	  "Columns: reference, received (local time), status, countries of the\n"
	  "officials, number of officials, missing or invalid fields\n"
	  "(\"1.phone,2.email\"), flags.  Aligned on a terminal, tab-separated\n"
	  "otherwise; a header line either way.\n"
	  "  --status S     only requests in status S: complete, incomplete,\n"
	  "                 review or quarantined\n"
	  "  --since WHEN   only requests received since WHEN: a duration back\n"
	  "                 from now (90m, 24h, 7d, 2w) or a local date or time\n"
	  "                 (2018-05-07, 2018-05-07T09:30)\n"
	  "  --country CC   only requests naming an official of the country whose\n"
	  "                 ISO 3166 code is CC (KE, FR, ...)\n" },
	{ "show", cmd_show, "show REQ-NNNNNN",
	  "a request in full: officials, messages, replies",
	  "Prints the request, each official's fields as written and as\n"
	  "understood with their problems, every message and every reply.\n"
	  "Exit status 65 when there is no such request.\n" },
	{ "export", cmd_export, "export [--format json|csv] [--status S]",
	  "every request as JSON (the default) or CSV",
	  "  --format json  an array of requests (SPEC 4)\n"
	  "  --format csv   RFC 4180, one row per official, with a header row;\n"
	  "                 a cell that a spreadsheet would take for a formula\n"
	  "                 starts with an apostrophe\n"
	  "  --status S     only requests in status S\n" },
	{ "retry", cmd_retry, "retry REQ-NNNNNN",
	  "queue the failed replies of a request again",
	  "Puts the replies of the request that failed for good back in the\n"
	  "queue; intaked sends them at its next round.  The only command that\n"
	  "writes the store.\n" },
	{ "stats", cmd_stats, "stats",
	  "counts of requests, languages, replies and messages",
	  "Requests per status and language, replies per state with the age of\n"
	  "the oldest queued one, messages per class.\n" },
	{ "digest", cmd_digest, "digest [--since WHEN] [--send]",
	  "the Secretariat's summary mail, printed or sent",
	  "Builds one message (text and HTML, with a CSV file of the officials\n"
	  "of the newly complete requests): counts per status, new complete\n"
	  "requests, incomplete ones with what they miss, requests in review or\n"
	  "quarantine with why, replies that failed.\n"
	  "  --since WHEN   what counts as new: a duration (24h, the default) or\n"
	  "                 a local date or time\n"
	  "  --send         mail it to [triage] secretariat through [smtp]\n"
	  "                 instead of printing it\n" },
};

#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: intakectl [-c FILE | --form FORM] COMMAND [ARGS]\n"
	    "commands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-48s %s\n", commands[i].usage, commands[i].help);
	fprintf(f, "\"intakectl COMMAND --help\" says more about each.\n");
}

static const struct command *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

static int
command_help(const char *name)
{
	const struct command *c = find_command(name);

	printf("usage: intakectl -c FILE %s\n%s.\n", c->usage, c->help);
	if (c->options)
		printf("\n%s", c->options);
	printf("  --help         this text\n");
	return EX_OK;
}

static int
is_help(const char *s)
{
	return strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0;
}

/*
 * getopt_long for a command, quiet: a problem is one line naming the
 * command and the option.  Returns the option, -1 at the end, or '?' after
 * printing the problem.  Options start with optind = 0 (a fresh scan).
 */
static int
next_opt(const char *cmd, int argc, char **argv, const char *shortopts,
    const struct option *longopts)
{
	const char *bad;
	int ch;

	opterr = 0;
	ch = getopt_long(argc, argv, shortopts, longopts, NULL);
	if (ch != '?' && ch != ':')
		return ch;
	bad = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
	if (strncmp(bad, "--", 2) != 0 && optopt != 0) {
		fprintf(stderr, "intakectl%s%s: %s option -%c (see intakectl "
		    "%s--help)\n", cmd ? " " : "", cmd ? cmd : "",
		    ch == ':' ? "a value is needed after" : "unknown",
		    optopt, cmd ? cmd : "");
		return '?';
	}
	fprintf(stderr, "intakectl%s%s: %s option %.*s (see intakectl "
	    "%s%s--help)\n", cmd ? " " : "", cmd ? cmd : "",
	    ch == ':' ? "a value is needed after" : "unknown",
	    (int)strcspn(bad, "="), bad, cmd ? cmd : "", cmd ? " " : "");
	return '?';
}

/* Arguments left after the options: complain about any beyond max. */
static int
extra_args(const char *cmd, int argc, char **argv, int max)
{
	if (argc - optind <= max)
		return 0;
	fprintf(stderr, "intakectl %s: unexpected argument '%s' (see "
	    "intakectl %s --help)\n", cmd, argv[optind + max], cmd);
	return -1;
}

/* ---- configuration and store ---- */

static int
load_config(struct ctl *ctl, const char *cmd)
{
	struct buf errors;

	if (ctl->config_path == NULL) {
		fprintf(stderr, "intakectl %s: no configuration: give -c FILE "
		    "(the file intaked runs with)\n", cmd);
		return EX_USAGE;
	}
	buf_init(&errors, 64u * 1024);
	if (config_load(ctl->config_path, &ctl->cfg, &errors) == -1) {
		fprintf(stderr, "%s", errors.len ? errors.data :
		    "intakectl: cannot read the configuration\n");
		buf_free(&errors);
		return EX_CONFIG;
	}
	buf_free(&errors);
	return EX_OK;
}

/*
 * Open the store named by the configuration.  Read-only unless write is
 * set; never created.  A missing, unreadable, foreign, damaged or newer
 * store is one line and a non-zero status.
 */
static int
open_store(struct ctl *ctl, const char *cmd, int write)
{
	const char *path;
	struct stat sb;
	char err[1024];
	int rc;

	if ((rc = load_config(ctl, cmd)) != EX_OK)
		return rc;
	path = ctl->cfg->store.path;
	if (stat(path, &sb) == -1) {
		fprintf(stderr, "intakectl: %s: no store there (%s); has "
		    "intaked run with this configuration?\n", path,
		    strerror(errno));
		return errno == EACCES ? EX_NOPERM : EX_NOINPUT;
	}
	if (!S_ISREG(sb.st_mode)) {
		fprintf(stderr, "intakectl: %s: not a store (not a regular "
		    "file)\n", path);
		return EX_NOINPUT;
	}
	if (access(path, write ? R_OK | W_OK : R_OK) == -1) {
		fprintf(stderr, "intakectl: %s: %s\n", path, strerror(errno));
		return EX_NOPERM;
	}
	if (store_open(path, write ? 0 : STORE_READONLY, -1, &ctl->store,
	    err, sizeof(err)) == -1) {
		fprintf(stderr, "intakectl: %s\n", err);
		return EX_DATAERR;
	}
	return EX_OK;
}

/* Write the report to stdout. */
static int
emit(const struct buf *out)
{
	if (out->len > 0 && fwrite(out->data, 1, out->len, stdout) !=
	    out->len) {
		fprintf(stderr, "intakectl: writing: %s\n", strerror(errno));
		return EX_IOERR;
	}
	if (fflush(stdout) == EOF) {
		fprintf(stderr, "intakectl: writing: %s\n", strerror(errno));
		return EX_IOERR;
	}
	return EX_OK;
}

/* ---- option values ---- */

/*
 * --since: a duration back from now ("90m", "24h", "7d", "2w", "3600s";
 * a bare number is seconds) or a local date or time ("2018-05-07",
 * "2018-05-07 09:30", "2018-05-07T09:30:15").  *label gets words for the
 * digest ("the last 24h", "since 2018-05-07 00:00").
 */
static int
parse_since(const char *s, int64_t now, int64_t *since, char *label,
    size_t labellen)
{
	struct tm tm;
	char *end;
	unsigned long long n;
	int64_t unit = 1;
	int y, mo, d, h = 0, mi = 0, sec = 0, used = 0, k;
	time_t t;

	if (*s >= '0' && *s <= '9' && strchr(s, '-') == NULL) {
		errno = 0;
		n = strtoull(s, &end, 10);
		if (errno != 0 || end == s)
			return -1;
		switch (*end) {
		case '\0':
		case 's':
			break;
		case 'm':
			unit = 60;
			break;
		case 'h':
			unit = 3600;
			break;
		case 'd':
			unit = 86400;
			break;
		case 'w':
			unit = 7 * 86400;
			break;
		default:
			return -1;
		}
		if (*end != '\0' && end[1] != '\0')
			return -1;
		/* At most a century back. */
		if (n > (unsigned long long)(100LL * 366 * 86400 / unit))
			return -1;
		*since = now - (int64_t)n * unit;
		snprintf(label, labellen, "the last %s", s);
		return 0;
	}
	k = sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &used);
	if (k != 3)
		return -1;
	if (s[used] == 'T' || s[used] == ' ') {
		int more = 0;

		k = sscanf(s + used + 1, "%2d:%2d%n", &h, &mi, &more);
		if (k != 2)
			return -1;
		used += 1 + more;
		if (s[used] == ':') {
			more = 0;
			if (sscanf(s + used + 1, "%2d%n", &sec, &more) != 1)
				return -1;
			used += 1 + more;
		}
	}
	if (s[used] != '\0' || y < 1970 || y > 9999 || mo < 1 || mo > 12 ||
	    d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || h < 0 ||
	    mi < 0 || sec < 0)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	if ((t = mktime(&tm)) == (time_t)-1 || tm.tm_mday != d)
		return -1;
	*since = (int64_t)t;
	snprintf(label, labellen, "since %04d-%02d-%02d %02d:%02d", y, mo, d,
	    h, mi);
	return 0;
}

static int
opt_status(const char *cmd, const char *v, const char **status)
{
	if (!report_status_valid(v)) {
		fprintf(stderr, "intakectl %s: --status: unknown status '%s' "
		    "(complete, incomplete, review or quarantined)\n", cmd, v);
		return -1;
	}
	*status = v;
	return 0;
}

static int
opt_since(const char *cmd, const char *v, int64_t now, int64_t *since,
    char *label, size_t labellen)
{
	if (parse_since(v, now, since, label, labellen) == -1) {
		fprintf(stderr, "intakectl %s: --since: '%s' is neither a "
		    "duration (24h, 7d) nor a date (2018-05-07)\n", cmd, v);
		return -1;
	}
	return 0;
}

/* ---- commands ---- */

/*
 * Read a whole file, at most max bytes.  Sets *over when the file is
 * longer (the first max bytes are returned).  The bytes and a NUL go to
 * room[0..roomlen) when they fit there (*owned = 0), else to memory the
 * caller frees (*owned = 1).  The size comes from fstat() and read()
 * fills it directly: for a regular file a short read is the end of it,
 * so a file takes one read.  With fdp, the descriptor is left open for
 * the caller to close (*fdp), else closed here.
 */
static char *
read_file(const char *path, size_t max, char *room, size_t roomlen,
    size_t *len, int *over, int *owned, int *fdp)
{
	struct stat st;
	char *data;
	size_t size, have = 0;
	ssize_t n;
	int fd, regular;

	*over = 0;
	*owned = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return NULL;
	}
	regular = S_ISREG(st.st_mode);
	/* One byte past the limit tells a longer file from one of max. */
	size = regular && st.st_size >= 0 && (uintmax_t)st.st_size < max ?
	    (size_t)st.st_size + 1 : 65536;
	if (size > max + 1)
		size = max + 1;
	if (room != NULL && size < roomlen)
		data = room;
	else {
		data = xmalloc(size + 1);
		*owned = 1;
	}
	for (;;) {
		if (have == size) {
			if (size == max + 1)
				break;
			size = size * 2 > max + 1 ? max + 1 : size * 2;
			if (*owned)
				data = xrealloc(data, size + 1);
			else {
				/* Grown since fstat(): out of the room. */
				data = memcpy(xmalloc(size + 1), data, have);
				*owned = 1;
			}
		}
		n = read(fd, data + have, size - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		if (regular && have < size)
			break;
	}
	if (fdp != NULL && n >= 0)
		*fdp = fd;
	else
		close(fd);
	if (n < 0) {
		if (*owned)
			free(data);
		return NULL;
	}
	if (have > max) {
		have = max;
		*over = 1;
	}
	data[have] = '\0';
	*len = have;
	return data;
}

/*
 * Close the n descriptors of a batch, opened in that order: a run of
 * numbers in one close_range() (they run on but where a lower number was
 * free, as the first of a batch may be), any other with close().  A
 * system call a file is a good part of reading thousands of small files.
 */
static void
close_files(const int *fds, int n)
{
	int i, j;

	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && fds[j] == fds[j - 1] + 1; j++)
			;
		if (j - i > 1 && close_range((unsigned)fds[i],
		    (unsigned)fds[j - 1], 0) == 0)
			continue;
		for (; i < j; i++)
			close(fds[i]);
	}
}

/* Length of the header block of raw (up to and including the blank line),
 * or len when there is none. */
static size_t
header_length(const char *raw, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		if (raw[i] != '\n')
			continue;
		if (raw[i + 1] == '\n')
			return i + 2;
		if (raw[i + 1] == '\r' && i + 2 < len && raw[i + 2] == '\n')
			return i + 3;
	}
	return len;
}

#define PARSE_WINDOW		64	/* messages handed over at once */
#define PARSE_WINDOW_BYTES	(64u * 1024 * 1024)	/* ... and their bytes */
#define PARSE_ROOM_MIN		(1024u * 1024)	/* room a batch goes on with */

static char	stdout_buf[64 * 1024];	/* for cmd_parse's answers */

static int
cmd_parse(struct ctl *ctl, int argc, char **argv)
{
	struct form *form;
	struct intake_opts opts;
	struct worker *w;
	struct buf out;
	char err[4096], *end, *win;
	size_t winsize, used;
	int i, next, status = EX_OK, isolate = 1;
	long every = 0;		/* a new worker every so many messages */

	/* Both options are for the benchmark: the worker's cost, and what
	 * a worker per batch would cost instead of a long-lived one. */
	while (argc >= 2 && strncmp(argv[1], "--", 2) == 0) {
		if (strcmp(argv[1], "--in-process") == 0)
			isolate = 0;
		else if (strcmp(argv[1], "--restart-every") == 0 &&
		    argc >= 3) {
			errno = 0;
			every = strtol(argv[2], &end, 10);
			if (errno || *end || every < 1 || every > 1000000) {
				fprintf(stderr, "intakectl: parse "
				    "--restart-every: not a count: %s\n",
				    argv[2]);
				return EX_USAGE;
			}
			argc--;
			argv++;
		} else
			break;
		argc--;
		argv++;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: intakectl parse [--in-process] "
		    "[--restart-every N] FILE.eml...\n");
		return EX_USAGE;
	}
	if (form_load(ctl->form_path, &form, err, sizeof(err)) == -1) {
		fprintf(stderr, "intakectl: %s\n", err);
		return EX_CONFIG;
	}
	intake_init();
	memset(&opts, 0, sizeof(opts));
	/* A batch job: neither this process nor its worker (which inherits
	 * the policy) needs to run the moment the other has written to it,
	 * so each runs until it waits, instead of taking turns per
	 * message.  A window of messages is read, parsed and freed again
	 * and again: the memory is kept for the next one rather than given
	 * back to the system and faulted in anew. */
	{
		struct sched_param sp;

		memset(&sp, 0, sizeof(sp));
		(void)sched_setscheduler(0, SCHED_BATCH, &sp);
		(void)mallopt(M_TRIM_THRESHOLD, PARSE_WINDOW_BYTES);
		(void)mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
	}
	/* The daemon's isolation: a message that kills the parser prints
	 * its quarantine reason, and the next file gets a new worker. */
	if ((w = worker_start(form, &opts, NULL, isolate, ctl->cfg, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "intakectl: %s\n", err);
		intake_cleanup();
		form_free(form);
		return EX_OSERR;
	}
	/* Results are printed and freed, never taken apart. */
	worker_pool_results(w);
	buf_init(&out, 64u * 1024 * 1024);
	win = worker_window(w, &winsize);
	/* Thousands of answers: written 64 KB at a time, not stdio's 4 KB
	 * (a terminal keeps its line buffering).  glibc takes the size only
	 * with a buffer, which stdout uses until the process exits. */
	if (!isatty(STDOUT_FILENO))
		(void)setvbuf(stdout, stdout_buf, _IOFBF, sizeof(stdout_buf));
	/* Messages go to the worker a window at a time (a window never
	 * spans a restart), so that it parses one while the next arrives. */
	for (i = 1; i < argc; i = next) {
		const char *raws[PARSE_WINDOW];
		size_t lens[PARSE_WINDOW], bytes = 0;
		int hdr[PARSE_WINDOW], at[PARSE_WINDOW];
		struct intake_result *res[PARSE_WINDOW];
		char *own[PARSE_WINDOW];
		int fds[PARSE_WINDOW], n = 0, k;

		if (every > 0 && i > 1 && (i - 1) % every == 0) {
			worker_stop(w);
			if ((w = worker_start(form, &opts, NULL, isolate,
			    ctl->cfg, err, sizeof(err))) == NULL) {
				fprintf(stderr, "intakectl: %s\n", err);
				status = EX_OSERR;
				break;
			}
			worker_pool_results(w);
			win = worker_window(w, &winsize);
		}
		/* Files are read into the worker's window while they fit
		 * there, one after the other, and the worker reads them
		 * where they lie; a batch ends before the window is full. */
		used = 0;
		for (next = i; next < argc && n < PARSE_WINDOW &&
		    bytes < PARSE_WINDOW_BYTES &&
		    (win == NULL || n == 0 || winsize - used >= PARSE_ROOM_MIN);
		    next++) {
			size_t len = 0;
			int over, owned;
			char *raw;

			if (every > 0 && next > i && (next - 1) % every == 0)
				break;
			if ((raw = read_file(argv[next], LIMIT_MESSAGE_BYTES,
			    win ? win + used : NULL, winsize - used, &len,
			    &over, &owned, &fds[n])) == NULL) {
				/* Out of descriptors with the batch's files
				 * open: this one starts the next batch. */
				if (errno == EMFILE && n > 0)
					break;
				fprintf(stderr, "intakectl: %s: %s\n",
				    argv[next], strerror(errno));
				status = EX_NOINPUT;
				continue;
			}
			if (!owned)
				used += len + 1;
			own[n] = owned ? raw : NULL;
			raws[n] = raw;
			lens[n] = over ? header_length(raw, len) : len;
			hdr[n] = over;
			at[n] = next;
			bytes += len;
			n++;
		}
		close_files(fds, n);
		worker_parse_batch(w, (size_t)n, raws, lens, hdr, res);
		for (k = 0; k < n; k++) {
			buf_truncate(&out, 0);
			if (intake_result_json(res[k], &out) == -1 ||
			    buf_addch(&out, '\n') == -1) {
				fprintf(stderr, "intakectl: %s: result too "
				    "large\n", argv[at[k]]);
				status = EX_SOFTWARE;
			} else
				fwrite(out.data, 1, out.len, stdout);
			intake_result_free(res[k]);
			free(own[k]);
		}
	}
	buf_free(&out);
	worker_stop(w);
	intake_cleanup();
	form_free(form);
	if (fflush(stdout) == EOF)
		status = EX_IOERR;
	return status;
}

static int
cmd_list(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "status", required_argument, NULL, 's' },
		{ "since", required_argument, NULL, 'S' },
		{ "country", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct report_filter f;
	struct buf out;
	char err[1024], label[64], country[3];
	int ch, rc;

	memset(&f, 0, sizeof(f));
	optind = 0;
	while ((ch = next_opt("list", argc, argv, "+:h", longopts)) != -1) {
		switch (ch) {
		case 's':
			if (opt_status("list", optarg, &f.status) == -1)
				return EX_USAGE;
			break;
		case 'S':
			if (opt_since("list", optarg, (int64_t)time(NULL),
			    &f.created_since, label, sizeof(label)) == -1)
				return EX_USAGE;
			break;
		case 'C':
			if (strlen(optarg) != 2 ||
			    !((optarg[0] | 0x20) >= 'a' &&
			    (optarg[0] | 0x20) <= 'z') ||
			    !((optarg[1] | 0x20) >= 'a' &&
			    (optarg[1] | 0x20) <= 'z')) {
				fprintf(stderr, "intakectl list: --country: "
				    "'%s' is not a two-letter ISO 3166 code "
				    "(KE, FR, ...)\n", optarg);
				return EX_USAGE;
			}
			country[0] = (char)(optarg[0] & ~0x20);
			country[1] = (char)(optarg[1] & ~0x20);
			country[2] = '\0';
			f.country = country;
			break;
		case 'h':
			return command_help("list");
		default:
			return EX_USAGE;
		}
	}
	if (extra_args("list", argc, argv, 0) == -1)
		return EX_USAGE;
	if ((rc = open_store(ctl, "list", 0)) != EX_OK)
		return rc;
	buf_init(&out, REPORT_MAX_BYTES);
	if (report_list(ctl->store, &f, isatty(STDOUT_FILENO) ?
	    REPORT_ALIGNED : REPORT_TSV, &out, err, sizeof(err)) == -1) {
		fprintf(stderr, "intakectl list: %s\n", err);
		rc = EX_SOFTWARE;
	} else
		rc = emit(&out);
	buf_free(&out);
	return rc;
}

/* REQ-NNNNNN, the one argument of show and retry. */
static int
reference_arg(const char *cmd, int argc, char **argv, int64_t *id)
{
	if (argc - optind < 1) {
		fprintf(stderr, "intakectl %s: which request? (intakectl %s "
		    "REQ-NNNNNN)\n", cmd, cmd);
		return -1;
	}
	if (extra_args(cmd, argc, argv, 1) == -1)
		return -1;
	if ((*id = report_reference_id(argv[optind])) <= 0) {
		fprintf(stderr, "intakectl %s: '%s' is not a reference "
		    "(REQ-NNNNNN)\n", cmd, argv[optind]);
		return -1;
	}
	return 0;
}

static int
cmd_show(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct buf out;
	char err[1024];
	int64_t id;
	int ch, rc;

	optind = 0;
	while ((ch = next_opt("show", argc, argv, "+:h", longopts)) != -1) {
		if (ch == 'h')
			return command_help("show");
		return EX_USAGE;
	}
	if (reference_arg("show", argc, argv, &id) == -1)
		return EX_USAGE;
	if ((rc = open_store(ctl, "show", 0)) != EX_OK)
		return rc;
	buf_init(&out, REPORT_MAX_BYTES);
	rc = report_show(ctl->store, id, &out, err, sizeof(err));
	if (rc == 1) {
		fprintf(stderr, "intakectl: no request REQ-%06" PRId64 "\n",
		    id);
		rc = EX_DATAERR;
	} else if (rc == -1) {
		fprintf(stderr, "intakectl show: %s\n", err);
		rc = EX_SOFTWARE;
	} else
		rc = emit(&out);
	buf_free(&out);
	return rc;
}

static int
cmd_export(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'F' },
		{ "status", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct report_filter f;
	struct buf out;
	char err[1024];
	int ch, rc, csv = 0;

	memset(&f, 0, sizeof(f));
	optind = 0;
	while ((ch = next_opt("export", argc, argv, "+:h", longopts)) != -1) {
		switch (ch) {
		case 'F':
			if (strcmp(optarg, "json") == 0)
				csv = 0;
			else if (strcmp(optarg, "csv") == 0)
				csv = 1;
			else {
				fprintf(stderr, "intakectl export: --format: "
				    "unknown format '%s' (json or csv)\n",
				    optarg);
				return EX_USAGE;
			}
			break;
		case 's':
			if (opt_status("export", optarg, &f.status) == -1)
				return EX_USAGE;
			break;
		case 'h':
			return command_help("export");
		default:
			return EX_USAGE;
		}
	}
	if (extra_args("export", argc, argv, 0) == -1)
		return EX_USAGE;
	if ((rc = open_store(ctl, "export", 0)) != EX_OK)
		return rc;
	buf_init(&out, REPORT_MAX_BYTES);
	if ((csv ? report_export_csv(ctl->store, &f, &out, NULL, err,
	    sizeof(err)) : report_export_json(ctl->store, &f, &out, err,
	    sizeof(err))) == -1) {
		fprintf(stderr, "intakectl export: %s\n", err);
		rc = EX_SOFTWARE;
	} else
		rc = emit(&out);
	buf_free(&out);
	return rc;
}

static int
cmd_retry(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct store_request *req;
	char ref[STORE_REFLEN + 8];
	size_t n;
	int64_t id;
	int ch, rc;

	optind = 0;
	while ((ch = next_opt("retry", argc, argv, "+:h", longopts)) != -1) {
		if (ch == 'h')
			return command_help("retry");
		return EX_USAGE;
	}
	if (reference_arg("retry", argc, argv, &id) == -1)
		return EX_USAGE;
	if ((rc = open_store(ctl, "retry", 1)) != EX_OK)
		return rc;
	snprintf(ref, sizeof(ref), "REQ-%06" PRId64, id);
	if (store_request_get(ctl->store, id, &req) == -1) {
		fprintf(stderr, "intakectl retry: %s\n",
		    store_error(ctl->store));
		return EX_SOFTWARE;
	}
	if (req == NULL) {
		fprintf(stderr, "intakectl: no request %s\n", ref);
		return EX_DATAERR;
	}
	store_request_free(req);
	if (store_reply_retry(ctl->store, ref, (int64_t)time(NULL), &n) ==
	    -1) {
		fprintf(stderr, "intakectl retry: %s\n",
		    store_error(ctl->store));
		return EX_TEMPFAIL;
	}
	if (n == 0)
		printf("%s: no failed replies\n", ref);
	else
		printf("%s: %zu failed %s queued again; intaked sends %s at "
		    "its next round\n", ref, n, n == 1 ? "reply" : "replies",
		    n == 1 ? "it" : "them");
	return fflush(stdout) == EOF ? EX_IOERR : EX_OK;
}

static int
cmd_stats(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct buf out;
	char err[1024];
	int ch, rc;

	optind = 0;
	while ((ch = next_opt("stats", argc, argv, "+:h", longopts)) != -1) {
		if (ch == 'h')
			return command_help("stats");
		return EX_USAGE;
	}
	if (extra_args("stats", argc, argv, 0) == -1)
		return EX_USAGE;
	if ((rc = open_store(ctl, "stats", 0)) != EX_OK)
		return rc;
	buf_init(&out, REPORT_MAX_BYTES);
	if (report_stats(ctl->store, (int64_t)time(NULL), &out, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "intakectl stats: %s\n", err);
		rc = EX_SOFTWARE;
	} else
		rc = emit(&out);
	buf_free(&out);
	return rc;
}

/*
 * Mail the digest to the Secretariat with the daemon's SMTP client and
 * [smtp] settings.  Not through the store's outbox: an outbox row belongs
 * to a request, and this command does not write the store.  The timer
 * that runs it daily is its retry.
 */
static int
send_digest(const struct config *cfg, const struct buf *msg)
{
	const struct config_smtp *s = &cfg->smtp;
	struct smtp_session *sess;
	enum smtp_result res;
	char err[512];

	if (smtp_global_init() == -1) {
		fprintf(stderr, "intakectl digest: cannot start libcurl\n");
		return EX_SOFTWARE;
	}
	if ((sess = outbox_smtp_open(cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "intakectl digest: smtp: %s\n", err);
		smtp_global_cleanup();
		return EX_CONFIG;
	}
	res = smtp_send(sess, s->envelope_from, cfg->triage.secretariat,
	    msg->data, msg->len, err, sizeof(err));
	smtp_close(sess);
	smtp_global_cleanup();
	if (res != SMTP_OK) {
		fprintf(stderr, "intakectl digest: not sent to %s: %s\n",
		    cfg->triage.secretariat, err);
		return res == SMTP_TEMPFAIL ? EX_TEMPFAIL : EX_UNAVAILABLE;
	}
	return EX_OK;
}

static int
cmd_digest(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "since", required_argument, NULL, 'S' },
		{ "send", no_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct digest_opts o;
	struct digest_counts counts;
	struct buf msg;
	unsigned char token[16];
	char err[1024], label[64];
	int64_t now = (int64_t)time(NULL);
	int ch, rc, send = 0;

	memset(&o, 0, sizeof(o));
	if (parse_since(DEFAULT_DIGEST_SINCE, now, &o.since, label,
	    sizeof(label)) == -1)
		return EX_SOFTWARE;
	optind = 0;
	while ((ch = next_opt("digest", argc, argv, "+:h", longopts)) != -1) {
		switch (ch) {
		case 'S':
			if (opt_since("digest", optarg, now, &o.since, label,
			    sizeof(label)) == -1)
				return EX_USAGE;
			break;
		case 'm':
			send = 1;
			break;
		case 'h':
			return command_help("digest");
		default:
			return EX_USAGE;
		}
	}
	if (extra_args("digest", argc, argv, 0) == -1)
		return EX_USAGE;
	if ((rc = open_store(ctl, "digest", 0)) != EX_OK)
		return rc;
	if (getrandom(token, sizeof(token), 0) != (ssize_t)sizeof(token)) {
		fprintf(stderr, "intakectl digest: no random bytes: %s\n",
		    strerror(errno));
		return EX_OSERR;
	}
	o.now = now;
	o.since_label = label;
	o.from_name = ctl->cfg->smtp.from_name;
	o.from_addr = ctl->cfg->smtp.from_addr;
	o.to_addr = ctl->cfg->triage.secretariat;
	o.token = token;
	o.token_len = sizeof(token);
	buf_init(&msg, DIGEST_MAX_BYTES);
	if (digest_build(ctl->store, &o, &msg, &counts, err, sizeof(err)) ==
	    -1) {
		fprintf(stderr, "intakectl digest: %s\n", err);
		buf_free(&msg);
		return EX_SOFTWARE;
	}
	if (!send)
		rc = emit(&msg);
	else if ((rc = send_digest(ctl->cfg, &msg)) == EX_OK)
		printf("digest sent to %s: %zu complete, %zu incomplete, "
		    "%zu review, %zu quarantined, %zu failed replies\n",
		    o.to_addr, counts.complete, counts.incomplete,
		    counts.review, counts.quarantined, counts.failed);
	buf_free(&msg);
	if (rc == EX_OK && fflush(stdout) == EOF)
		rc = EX_IOERR;
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "form", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctl ctl;
	const struct command *cmd;
	int ch, rc;

	memset(&ctl, 0, sizeof(ctl));
	while ((ch = next_opt(NULL, argc, argv, "+:c:f:h", longopts)) != -1) {
		switch (ch) {
		case 'c':
			ctl.config_path = optarg;
			break;
		case 'f':
			ctl.form_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		default:
			return EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		return EX_USAGE;
	}
	if (ctl.form_path == NULL)
		ctl.form_path = DEFAULT_FORM;
	if ((cmd = find_command(argv[0])) == NULL) {
		fprintf(stderr, "intakectl: unknown command '%s' (parse, list, "
		    "show, export, retry, stats, digest; see intakectl "
		    "--help)\n", argv[0]);
		return EX_USAGE;
	}
	if (argc > 1 && is_help(argv[1]))
		return command_help(cmd->name);
	rc = cmd->fn(&ctl, argc, argv);
	store_close(ctl.store);
	config_free(ctl.cfg);
	return rc;
}
