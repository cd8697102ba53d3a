/*
 * merge.h -- fold the officials of a follow-up into those of the request
 * it answers (SPEC 3.6).
 *
 * Pure: no store, no network, no logging.  The daemon reads the request
 * (store_request_get), merges the follow-up's officials into it, decides
 * the status again (intake_decide) and writes it back
 * (store_request_update).
 */
#ifndef INTAKE_MERGE_H
#define INTAKE_MERGE_H

#include <stddef.h>

#include "extract.h"
#include "form.h"

/*
 * Merge given[0..ngiven) into *have[0..*nhave).  *have is a malloc'd array
 * whose field strings are malloc'd (as store_request_get gives it); it may
 * be reallocated and grows by the officials appended.  given is only read.
 *
 * Each given official goes to the official it belongs to, tried in turn:
 * the same valid e-mail address (folded); the same last and first name
 * (folded), or the same last name when one side has no first name and only
 * one official fits; by position when both sides hold as many officials;
 * the one official that still lacks fields.  Position and "the one
 * lacking" never pair two officials whose valid e-mail addresses or last
 * names differ: a different person is appended, not written over.
 * A given official that fits none is appended when it has at least two
 * fields and neither its address nor its last name is already there (up
 * to LIMIT_OFFICIALS); else it is dropped.
 *
 * Per field: a valid given value replaces anything; an invalid one
 * replaces a missing or invalid value, never a valid one; a field not given
 * changes nothing.  Every official changed or appended is validated again
 * with extract_validate(f, ...) (a phone number may become certain once
 * the country is known); f NULL skips that (the caller validates).
 *
 * Returns 0, or -1 on bad arguments (nothing changed then).
 */
int	 merge_officials(const struct form *f, struct official **have,
	    size_t *nhave, const struct official *given, size_t ngiven);

#endif
