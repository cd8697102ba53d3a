/*
 * buf.h -- a growable byte buffer with a hard cap.
 *
 * The one type used to build text and messages.  The data is always
 * NUL-terminated (the NUL is not counted in len).  An append that would take
 * the buffer past its cap adds nothing and returns -1; the caller decides
 * what an overflow means.  The buffer owns its data: buf_free() releases it,
 * buf_release() hands it to the caller (who frees it with free()).
 */
#ifndef INTAKE_BUF_H
#define INTAKE_BUF_H

#include <stddef.h>

struct buf {
	char	*data;
	size_t	 len;
	size_t	 size;	/* allocated, including the NUL */
	size_t	 max;	/* hard cap on len */
};

void	 buf_init(struct buf *, size_t max);
/* Make room for n more bytes at once (-1: past the cap, nothing done). */
int	 buf_reserve(struct buf *, size_t n);
int	 buf_add(struct buf *, const void *, size_t);
int	 buf_addstr(struct buf *, const char *);
int	 buf_addch(struct buf *, char);
int	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 buf_truncate(struct buf *, size_t len);
char	*buf_release(struct buf *);	/* never NULL; caller frees */
void	 buf_free(struct buf *);

#endif
