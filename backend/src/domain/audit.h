/*
 * audit.h -- the hash-chained audit trail.
 *
 * Each event stores SHA-256(prev_hash | at | user | action | type | id |
 * detail), so deleting or editing any row breaks every hash after it.
 * Appending locks the single audit_head row, which orders appends; call it
 * inside the caller's transaction so the event commits with the change.
 */
#ifndef RELIEF_AUDIT_H
#define RELIEF_AUDIT_H

#include <stdint.h>

#include "../core/err.h"

struct db_conn;

int audit_append(struct db_conn *db, int64_t user_id, const char *action, const char *object_type,
                 const char *object_id, const char *detail, struct app_err *err);
/* The text that is hashed, in one place for the writer and the verifier. */
void audit_hash(const char *prev, const char *at, const char *user, const char *action,
                const char *type, const char *id, const char *detail, char out[65]);

#endif
