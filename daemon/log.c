/*
 * log.c -- stderr logging with syslog priority prefixes (see log.h).
 *
 * Each line is written with one write(2) so lines from the daemon and its
 * parse worker never interleave.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

static int	 log_verbose;
static const char *log_prog = "intaked";

void
log_init(int verbose, const char *progname)
{
	log_verbose = verbose;
	if (progname)
		log_prog = progname;
}

static void
log_emit(int pri, int with_errno, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void
log_emit(int pri, int with_errno, const char *fmt, va_list ap)
{
	char line[2048];
	int saved = errno, n, m;

	n = snprintf(line, sizeof(line), "<%d>%s: ", pri, log_prog);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (m < 0)
		return;
	n = (size_t)(n + m) >= sizeof(line) ? (int)sizeof(line) - 1 : n + m;
	if (with_errno) {
		m = snprintf(line + n, sizeof(line) - (size_t)n, ": %s",
		    strerror(saved));
		if (m > 0)
			n = (size_t)(n + m) >= sizeof(line) ?
			    (int)sizeof(line) - 1 : n + m;
	}
	/* Keep each entry on one line whatever the text held. */
	for (m = 0; m < n; m++)
		if (line[m] == '\n' || line[m] == '\r')
			line[m] = ' ';
	if ((size_t)n >= sizeof(line) - 1)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
	errno = saved;
}

#define LOG_FN(name, pri, err)				\
void							\
name(const char *fmt, ...)				\
{							\
	va_list ap;					\
							\
	va_start(ap, fmt);				\
	log_emit(pri, err, fmt, ap);			\
	va_end(ap);					\
}

LOG_FN(log_warn, LOG_WARNING, 1)
LOG_FN(log_warnx, LOG_WARNING, 0)
LOG_FN(log_info, LOG_INFO, 0)

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_emit(LOG_DEBUG, 0, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, 1, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, 0, fmt, ap);
	va_end(ap);
	exit(status);
}
