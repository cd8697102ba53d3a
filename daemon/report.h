/*
 * report.h -- intakectl's read-only views of the store (SPEC 4): the list
 * of requests, one request in full, the JSON and CSV exports, and the
 * counts of `stats'.
 *
 * Everything here only reads, with SQL of its own through store_handle(),
 * inside one read transaction per report so that a report is a consistent
 * snapshot while intaked keeps writing.  Output is appended to a struct
 * buf owned by the caller (cap REPORT_MAX_BYTES or less); on error the
 * buffer may hold part of a report: discard it.  Functions return 0, or -1
 * with err set (report_show() also returns 1 for an unknown request).
 * Text from the store came from mail: before it reaches a terminal every
 * control character is replaced (report_clean()), and the CSV cells are
 * defused for spreadsheets (report_csv_cell()).
 */
#ifndef INTAKE_REPORT_H
#define INTAKE_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "store.h"

/* The largest report built in memory (a whole export). */
#define REPORT_MAX_BYTES	(512u * 1024 * 1024)

/* Which requests a report takes; every member is optional. */
struct report_filter {
	const char	*status;	/* a status key, or NULL: any */
	const char	*country;	/* ISO 3166-1 alpha-2, or NULL: any */
	int64_t		 created_since;	/* created at or after; 0: any */
	int64_t		 updated_since;	/* updated at or after; 0: any */
};

enum report_layout {
	REPORT_ALIGNED,		/* columns padded with spaces, for a terminal */
	REPORT_TSV		/* tab-separated, for a pipe */
};

/*
 * One line a request, oldest first, after a header line: reference,
 * received (local time), status, countries of the officials, officials,
 * missing fields ("1.phone,2.email"), flags.
 */
int	 report_list(struct store *, const struct report_filter *,
	    enum report_layout, struct buf *out, char *err, size_t errlen);

/*
 * Request id in full: its fields, each official's raw and normalised
 * values and problems, its messages and replies.  Returns 1 (nothing
 * appended) when there is no request id.
 */
int	 report_show(struct store *, int64_t id, struct buf *out, char *err,
	    size_t errlen);

/*
 * The JSON array of SPEC 4, built by one SQL query with SQLite's JSON
 * functions, and a newline.
 */
int	 report_export_json(struct store *, const struct report_filter *,
	    struct buf *out, char *err, size_t errlen);

/*
 * RFC 4180 CSV (CRLF, UTF-8, a header row), one row per official with the
 * request's columns repeated; a request without officials has one row
 * with the official's columns empty.  *rows (may be NULL) gets the number
 * of data rows.
 */
int	 report_export_csv(struct store *, const struct report_filter *,
	    struct buf *out, size_t *rows, char *err, size_t errlen);

/* Counts per status, language, reply state and message class; the age of
 * the oldest queued reply at now. */
int	 report_stats(struct store *, int64_t now, struct buf *out, char *err,
	    size_t errlen);

/* ---- shared with digest.c and intakectl.c ---- */

/* "REQ-000042" (any case, any number of leading zeros) -> 42; 0 when s
 * is not a reference. */
int64_t	 report_reference_id(const char *s);
/* 1 when s is a status a request can have ("complete", ...). */
int	 report_status_valid(const char *s);
/* t as local "YYYY-MM-DD HH:MM" (seconds = 1: ":SS" and the UTC offset
 * too); "-" when t is 0. */
void	 report_time(int64_t t, int seconds, char *out, size_t outlen);
/* A duration in seconds as "3d 4h", "5h 12m", "40s". */
void	 report_age(int64_t secs, char *out, size_t outlen);
/* Columns a terminal gives UTF-8 text s (utf8proc's widths). */
size_t	 report_width(const char *s);
/* Append the keys of flags joined by sep ("" when none). */
int	 report_flags(struct buf *, unsigned flags, const char *sep);
/* Append s with every control character (C0, DEL, C1) replaced by '?', or
 * by a space for tab and line ends when oneline is set. */
int	 report_clean(struct buf *, const char *s, int oneline);
/*
 * Append one CSV cell (RFC 4180: quoted when it holds a comma, quote, CR
 * or LF, quotes doubled), defused against formula injection; NULL is an
 * empty cell.
 */
int	 report_csv_cell(struct buf *, const char *s);

#endif
