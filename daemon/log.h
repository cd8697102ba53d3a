/*
 * log.h -- log lines to stderr with syslog priority prefixes ("<3>"), which
 * journald reads as levels.  log_warn() appends strerror(errno);
 * log_warnx() does not.  Never log a message body or a password.
 */
#ifndef INTAKE_LOG_H
#define INTAKE_LOG_H

#include <stdarg.h>

void	log_init(int verbose, const char *progname);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Only while starting up (bad configuration, cannot open the store). */
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(int status, const char *, ...)
	    __attribute__((format(printf, 2, 3), noreturn));

#endif
