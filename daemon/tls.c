/*
 * tls.c -- server certificate verification with GnuTLS (see tls.h).
 *
 * One call builds a trust list (CA file or system store), imports the
 * peer's DER chain and asks GnuTLS for a verdict with two conditions typed
 * in: the host name (GnuTLS matches an IP literal against iPAddress
 * subjectAltNames) and the TLS server key purpose.  Only a zero return
 * with a zero status passes; anything else is a refusal with GnuTLS's own
 * wording of the reason.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "tls.h"

int
tls_verify_chain(const struct tls_der *chain, size_t n, const char *host,
    const char *ca_file, char *err, size_t errlen)
{
	gnutls_x509_crt_t crts[TLS_CHAIN_MAX];
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_typed_vdata_st vdata[2];
	gnutls_datum_t d, out = { NULL, 0 };
	unsigned int status = 0;
	size_t i, ncrt = 0;
	int r, ret = -1;

	if (host == NULL || *host == '\0') {
		snprintf(err, errlen, "no host name to verify the certificate "
		    "against");
		return -1;
	}
	if (n == 0 || chain == NULL) {
		snprintf(err, errlen, "%s sent no certificate", host);
		return -1;
	}
	if (n > TLS_CHAIN_MAX) {
		snprintf(err, errlen, "%s sent %zu certificates, more than "
		    "the %d looked at", host, n, TLS_CHAIN_MAX);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (chain[i].data == NULL || chain[i].len == 0 ||
		    chain[i].len > UINT32_MAX) {
			snprintf(err, errlen, "certificate %zu from %s is "
			    "empty or too large", i, host);
			goto out;
		}
		if ((r = gnutls_x509_crt_init(&crts[ncrt])) < 0) {
			snprintf(err, errlen, "gnutls: %s", gnutls_strerror(r));
			goto out;
		}
		ncrt++;
		d.data = (unsigned char *)chain[i].data;
		d.size = (unsigned int)chain[i].len;
		if ((r = gnutls_x509_crt_import(crts[i], &d,
		    GNUTLS_X509_FMT_DER)) < 0) {
			snprintf(err, errlen, "certificate %zu from %s is "
			    "unreadable: %s", i, host, gnutls_strerror(r));
			goto out;
		}
	}

	if ((r = gnutls_x509_trust_list_init(&tl, 0)) < 0) {
		tl = NULL;
		snprintf(err, errlen, "gnutls: %s", gnutls_strerror(r));
		goto out;
	}
	if (ca_file != NULL && *ca_file != '\0') {
		r = gnutls_x509_trust_list_add_trust_file(tl, ca_file, NULL,
		    GNUTLS_X509_FMT_PEM, 0, 0);
		if (r < 0) {
			snprintf(err, errlen, "cannot read CA file %s: %s",
			    ca_file, gnutls_strerror(r));
			goto out;
		}
		if (r == 0) {
			snprintf(err, errlen, "no CA certificate in %s",
			    ca_file);
			goto out;
		}
	} else {
		r = gnutls_x509_trust_list_add_system_trust(tl, 0, 0);
		if (r <= 0) {
			snprintf(err, errlen, "no system trust store to verify "
			    "%s with (%s); set ca_file", host,
			    r < 0 ? gnutls_strerror(r) : "empty");
			goto out;
		}
	}

	memset(vdata, 0, sizeof(vdata));
	vdata[0].type = GNUTLS_DT_DNS_HOSTNAME;
	vdata[0].data = (unsigned char *)host;
	vdata[0].size = 0;
	vdata[1].type = GNUTLS_DT_KEY_PURPOSE_OID;
	vdata[1].data = (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER;
	vdata[1].size = 0;
	r = gnutls_x509_trust_list_verify_crt2(tl, crts, (unsigned int)ncrt,
	    vdata, 2, 0, &status, NULL);
	if (r < 0) {
		snprintf(err, errlen, "cannot verify the certificate of %s: %s",
		    host, gnutls_strerror(r));
		goto out;
	}
	if (status != 0) {
		if (gnutls_certificate_verification_status_print(status,
		    GNUTLS_CRT_X509, &out, 0) == 0 && out.data != NULL)
			snprintf(err, errlen, "certificate of %s refused: %s",
			    host, (const char *)out.data);
		else
			snprintf(err, errlen, "certificate of %s refused "
			    "(status 0x%x)", host, status);
		gnutls_free(out.data);
		goto out;
	}
	ret = 0;
 out:
	if (tl != NULL)
		gnutls_x509_trust_list_deinit(tl, 1);
	for (i = 0; i < ncrt; i++)
		gnutls_x509_crt_deinit(crts[i]);
	return ret;
}
