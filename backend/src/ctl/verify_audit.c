/*
 * verify_audit.c -- `reliefctl verify-audit`: walk the audit chain from the
 * first event to audit_head and say where it breaks.
 *
 * Each event stores prev_hash (the hash of the event before it, zeros for
 * the first) and hash = SHA-256 over prev_hash and its own fields
 * (domain/audit.c).  So:
 *   - a changed field makes that event's recomputed hash differ from the
 *     stored one ("changed");
 *   - a deleted event makes the next one's prev_hash point at nothing we saw
 *     ("link broken": something before it was deleted or rewritten);
 *   - deleting the newest events leaves audit_head pointing past the end;
 *   - rewriting an event together with its hash breaks the link of the next.
 * Only an attacker who rewrites every later event *and* audit_head escapes,
 * which needs the admin account (the application account may only SELECT and
 * INSERT audit_event, and the triggers refuse UPDATE/DELETE).
 *
 * Exit 0 when intact, 1 with the first broken event id, 3 without a database.
 */
#include "ctl.h"

#include "../core/util.h"
#include "../domain/audit.h"
#include "../store/db.h"

#include <stdio.h>
#include <string.h>

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

struct walk {
    char prev[65];   /* hash of the last event seen (zeros before the first) */
    int64_t prev_id; /* its id, 0 before the first */
    long n;
    int64_t bad_id; /* first broken event, 0 while intact */
    char why[200];
};

/* Check one event row (columns as selected in audit_walk); 1 when broken. */
static int check_event(struct walk *w, const struct db_res *r, int i)
{
    char at[40], h[65];
    const char *a = db_get(r, i, 1);
    const char *oid = db_get(r, i, 5);
    int64_t id = db_get_int(r, i, 0);

    /* DATETIME(6) comes back without the fraction when it is zero; the
     * writer hashed it with six digits. */
    snprintf(at, sizeof(at), "%s%s", a, strlen(a) == 19 ? ".000000" : "");
    audit_hash(db_get(r, i, 7), at, db_get(r, i, 2), db_get(r, i, 3), db_get(r, i, 4),
               oid[0] ? oid : NULL, db_get(r, i, 6), h);
    w->n++;
    if (strcmp(h, db_get(r, i, 8)) != 0) {
        w->bad_id = id;
        snprintf(w->why, sizeof(w->why), "changed: its fields no longer give its stored hash");
        return 1;
    }
    if (strcmp(db_get(r, i, 7), w->prev) != 0) {
        w->bad_id = id;
        if (w->prev_id == 0)
            snprintf(w->why, sizeof(w->why),
                     "link broken: the first event does not start the chain"
                     " (events before it were deleted)");
        else
            snprintf(w->why, sizeof(w->why),
                     "link broken: prev_hash is not the hash of event %lld"
                     " (an event between them was deleted, or event %lld was rewritten)",
                     (long long)w->prev_id, (long long)w->prev_id);
        return 1;
    }
    str_copy(w->prev, sizeof(w->prev), db_get(r, i, 8));
    w->prev_id = id;
    return 0;
}

static int audit_walk(struct db_conn *db, struct walk *w, struct app_err *err)
{
    struct db_res *r = NULL;

    memset(w, 0, sizeof(*w));
    str_copy(w->prev, sizeof(w->prev), ZERO_HASH);
    /* Pages by id, so a long history never sits in memory whole. */
    for (;;) {
        if (db_query(db, &r, err,
                     "SELECT id, at, IFNULL(user_id, ''), action, object_type,"
                     " IFNULL(object_id, ''), detail, prev_hash, hash FROM audit_event"
                     " WHERE id > ? ORDER BY id LIMIT 5000",
                     "l", (long long)w->prev_id) != 0)
            return -1;
        int n = r->nrows;
        for (int i = 0; i < n; i++)
            if (check_event(w, r, i)) {
                db_res_free(r);
                return 0;
            }
        db_res_free(r);
        r = NULL;
        if (n == 0)
            break;
    }
    if (db_query(db, &r, err, "SELECT last_hash FROM audit_head WHERE id = 1", "") != 0)
        return -1;
    if (r->nrows != 1) {
        w->bad_id = w->prev_id ? w->prev_id : -1;
        snprintf(w->why, sizeof(w->why), "audit_head is missing");
    } else if (strcmp(db_get(r, 0, 0), w->prev) != 0) {
        /* The head names a hash no remaining event has: the newest were removed. */
        w->bad_id = w->prev_id ? w->prev_id : -1;
        snprintf(w->why, sizeof(w->why),
                 "audit_head does not match the last event: events after it were deleted");
    }
    db_res_free(r);
    return 0;
}

int ctl_verify_audit(const struct config *cfg, int argc, char **argv)
{
    struct app_err err;
    struct db_conn *db;
    struct walk w;

    if (argc > 1) {
        printf("usage: reliefctl verify-audit\n"
               "Recomputes the audit hash chain; exit 0 when intact, 1 with the first\n"
               "broken event id when an event was changed or deleted.\n");
        return strcmp(argv[1], "--help") == 0 ? CTL_OK : CTL_USAGE;
    }
    db = db_connect(cfg, 0, cfg->db_name, &err);
    if (!db) {
        fprintf(stderr, "verify-audit: %s\n", err.msg);
        return CTL_NO_DB;
    }
    /* One snapshot: appends going on meanwhile must not look like a break. */
    if (db_script(db,
                  "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ;"
                  " START TRANSACTION WITH CONSISTENT SNAPSHOT",
                  &err) != 0 ||
        audit_walk(db, &w, &err) != 0) {
        fprintf(stderr, "verify-audit: %s\n", err.msg);
        db_close(db);
        return CTL_NO_DB;
    }
    db_close(db);
    if (w.bad_id != 0) {
        printf("AUDIT CHAIN BROKEN at event %lld: %s\n", (long long)w.bad_id, w.why);
        printf("first_broken_id=%lld checked=%ld\n", (long long)w.bad_id, w.n);
        return CTL_CHECK_FAILED;
    }
    printf("audit chain ok: %ld events\n", w.n);
    return CTL_OK;
}
