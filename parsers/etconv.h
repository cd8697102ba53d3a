/*
 * etconv.h -- the charset converter libetpan calls for encoded words and
 * parameters, with iconv descriptors kept between calls.
 */
#ifndef INTAKE_ETCONV_H
#define INTAKE_ETCONV_H

/* Install the converter in libetpan (extended_charconv); idempotent. */
void	 etconv_install(void);

/* Take it out again and close the descriptors kept (at exit). */
void	 etconv_cleanup(void);

#endif
