/*
 * xmalloc.h -- allocation that never returns NULL.
 *
 * Out of memory is not a per-message decision intaked can make: the process
 * exits (the parse worker's parent turns that into a quarantine reason; the
 * daemon is restarted by systemd).
 */
#ifndef INTAKE_XMALLOC_H
#define INTAKE_XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);

#endif
