/*
 * tls.h -- server certificate verification with GnuTLS.
 *
 * libetpan completes the TLS handshake but checks nothing about the peer,
 * so every connection intaked makes is verified here, after the handshake
 * and before a single protocol byte is sent: the chain must lead to a
 * trusted CA (the given PEM file, else the system store), be valid now,
 * allow TLS server use, and name the host we dialled (a DNS name, or an IP
 * literal matched against the IP addresses in subjectAltName).
 *
 * The input is a plain array of DER blobs, peer certificate first, so the
 * function serves any transport and is tested on files alone.  Nothing is
 * kept between calls; the CA file is read on every call (a few per hour).
 */
#ifndef INTAKE_TLS_H
#define INTAKE_TLS_H

#include <stddef.h>

#define TLS_CHAIN_MAX	16	/* certificates looked at in a peer chain */

struct tls_der {
	const unsigned char	*data;	/* borrowed */
	size_t			 len;
};

/*
 * Verify chain[0..n-1] (peer first) for host.  ca_file NULL or "" means
 * the system trust store.  Returns 0 when the certificate is accepted,
 * -1 when it is refused or cannot be checked; err then says why, naming
 * the host and GnuTLS's reason ("certificate is not trusted", "certificate
 * has expired", "does not match the expected name", ...).
 */
int	tls_verify_chain(const struct tls_der *chain, size_t n,
	    const char *host, const char *ca_file, char *err, size_t errlen);

#endif
