/*
 * label.c -- labels as records: one active label per object, found by the
 * code printed on it.
 *
 * "One active label per object" is the database's rule, not ours: the
 * unique key uk_label_active sits on a generated column that is the target
 * (kind:depot:bin:lot:asset) while the label is active and NULL once void.
 * label_ensure therefore looks first and inserts second, and when the insert
 * hits that key (another request labelled the same object in between) it
 * simply reads the winner's label.  Connections run READ COMMITTED, so the
 * second look sees the row the other transaction committed.
 */
#include "label.h"

#include "../store/db.h"

#include <stdio.h>
#include <string.h>

#define LABEL_INSERT_TRIES 3

/* 1 when id is not 0: the caller gave that id. */
static int given(int64_t id)
{
    return id != 0;
}

/* One id from a lookup; a missing row is 422 unknown_reference naming `field`. */
static int lookup_id(struct db_conn *db, const char *sql, int64_t key, int64_t *out,
                     const char *field, const char *what, struct app_err *err)
{
    if (db_query_int(db, out, err, sql, "l", (long long)key) == 0)
        return 0;
    if (err && err->http == 404)
        return err_field(err, 422, "unknown_reference", field, "no %s %lld", what, (long long)key);
    return -1;
}

/* An id that this kind of label does not take. */
static int not_taken(const char *kind, const char *field, struct app_err *err)
{
    return err_field(err, 400, "bad_value", field, "a %s label takes no %s", kind, field);
}

/* The object exists and the ids fit together; fills t->depot_id from the
 * object (the bin for lot and bin labels, the asset for asset labels). */
static int target_check(struct db_conn *db, struct label_target *t, struct app_err *err)
{
    const char *k = t->kind ? t->kind : "";
    int64_t depot = 0, v;

    if (strcmp(k, "lot") == 0) {
        if (given(t->asset_id))
            return not_taken(k, "asset_id", err);
        if (!given(t->bin_id) || !given(t->lot_id))
            return err_field(err, 422, "unknown_reference", given(t->bin_id) ? "lot_id" : "bin_id",
                             "a lot label needs the lot and the bin it lies in");
        if (lookup_id(db, "SELECT depot_id FROM bin WHERE id = ?", t->bin_id, &depot, "bin_id",
                      "bin", err) != 0 ||
            lookup_id(db, "SELECT id FROM lot WHERE id = ?", t->lot_id, &v, "lot_id", "lot", err) !=
                0)
            return -1;
    } else if (strcmp(k, "asset") == 0) {
        /* The asset's bin is where it is today, not what the label names. */
        if (given(t->bin_id))
            return not_taken(k, "bin_id", err);
        if (given(t->lot_id))
            return not_taken(k, "lot_id", err);
        if (lookup_id(db, "SELECT depot_id FROM asset WHERE id = ?", t->asset_id, &depot,
                      "asset_id", "asset", err) != 0)
            return -1;
    } else if (strcmp(k, "bin") == 0) {
        if (given(t->lot_id))
            return not_taken(k, "lot_id", err);
        if (given(t->asset_id))
            return not_taken(k, "asset_id", err);
        if (lookup_id(db, "SELECT depot_id FROM bin WHERE id = ?", t->bin_id, &depot, "bin_id",
                      "bin", err) != 0)
            return -1;
    } else if (strcmp(k, "depot") == 0) {
        if (given(t->bin_id))
            return not_taken(k, "bin_id", err);
        if (given(t->lot_id))
            return not_taken(k, "lot_id", err);
        if (given(t->asset_id))
            return not_taken(k, "asset_id", err);
        if (lookup_id(db, "SELECT id FROM depot WHERE id = ?", t->depot_id, &depot, "depot_id",
                      "depot", err) != 0)
            return -1;
    } else {
        return err_field(err, 400, "bad_value", "kind", "kind is lot, asset, bin or depot");
    }
    if (given(t->depot_id) && t->depot_id != depot)
        return err_field(err, 422, "unknown_reference", "depot_id", "the %s is not in depot %lld",
                         k, (long long)t->depot_id);
    t->depot_id = depot;
    return 0;
}

/* The text of the generated column active_target for an active label of t:
 * CONCAT(kind, ':', IFNULL(depot_id, ''), ':', ...) in 0003_labels.sql
 * (at most 49 characters: INT UNSIGNED ids have 10 digits). */
static void active_key(const struct label_target *t, char out[128])
{
    char part[4][24];
    const int64_t ids[4] = {t->depot_id, t->bin_id, t->lot_id, t->asset_id};

    for (int i = 0; i < 4; i++) {
        if (ids[i])
            snprintf(part[i], sizeof(part[i]), "%lld", (long long)ids[i]);
        else
            part[i][0] = '\0';
    }
    snprintf(out, 128, "%s:%s:%s:%s:%s", t->kind, part[0], part[1], part[2], part[3]);
}

/* The active label of the target: 1 found, 0 none, -1 error. */
static int find_active(struct db_conn *db, const char *key, int64_t *id,
                       char code[LABEL_CODE_LEN + 1], struct app_err *err)
{
    struct db_res *r = NULL;
    int found;

    if (db_query(db, &r, err, "SELECT id, code FROM label WHERE active_target = ?", "s", key) != 0)
        return -1;
    found = r->nrows > 0;
    if (found) {
        *id = db_get_int(r, 0, 0);
        snprintf(code, LABEL_CODE_LEN + 1, "%s", db_get(r, 0, 1));
    }
    db_res_free(r);
    return found;
}

int label_ensure(struct db_conn *db, int64_t user_id, struct label_target *t, int64_t *label_id,
                 char code[LABEL_CODE_LEN + 1], int *created, struct app_err *err)
{
    char key[128], fresh[LABEL_CODE_LEN + 1], uuid[37];

    *created = 0;
    if (target_check(db, t, err) != 0)
        return -1;
    active_key(t, key);
    for (int attempt = 0; attempt < LABEL_INSERT_TRIES; attempt++) {
        long long bin = t->bin_id, lot = t->lot_id, asset = t->asset_id;
        int rc = find_active(db, key, label_id, code, err);

        if (rc != 0)
            return rc > 0 ? 0 : -1;
        label_code_new(fresh);
        if (label_code_parse(fresh, code, uuid) != 0)
            return err_set(err, 500, "internal", "a new label code does not parse");
        if (db_exec(db, err,
                    "INSERT INTO label (code, uuid, kind, depot_id, bin_id, lot_id, asset_id,"
                    " created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    "sssl"
                    "LLLl",
                    code, uuid, t->kind, (long long)t->depot_id, bin ? &bin : NULL,
                    lot ? &lot : NULL, asset ? &asset : NULL, (long long)user_id) == 0) {
            *label_id = (int64_t)db_insert_id(db);
            *created = 1;
            return 0;
        }
        /* A duplicate is uk_label_active (someone labelled the object since
         * our look-up: the next turn reads theirs) or, against odds of 2^-122,
         * a code that exists (the next turn draws another). */
        if (db_errno(db) != 1062)
            return -1;
    }
    return err_set(err, 503, "busy", "the label could not be created; retry");
}

int label_find(struct db_conn *db, const char *text, int64_t *label_id, int64_t *depot_id,
               char replaced_by[LABEL_CODE_LEN + 1], struct app_err *err)
{
    char code[LABEL_CODE_LEN + 1];
    struct db_res *r = NULL;
    int is_void;

    replaced_by[0] = '\0';
    /* People type codes: label_code_parse forgives case, I/L/O and hyphens,
     * and the check character refuses a typo instead of finding another label. */
    if (!text || label_code_parse(text, code, NULL) != 0)
        return err_field(err, 400, "bad_code", "code", "not a label code: check the characters");
    if (db_query(db, &r, err,
                 "SELECT l.id, l.depot_id, l.status, r.code FROM label l"
                 " LEFT JOIN label r ON r.id = l.replaced_by_id WHERE l.code = ?",
                 "s", code) != 0)
        return -1;
    if (r->nrows == 0) {
        db_res_free(r);
        return err_field(err, 404, "not_found", "code", "no label has the code %s", code);
    }
    /* Filled for a void label too, so the caller can check scope before it
     * tells anyone which code replaced it. */
    *label_id = db_get_int(r, 0, 0);
    *depot_id = db_get_int(r, 0, 1);
    is_void = strcmp(db_get(r, 0, 2), "void") == 0;
    if (is_void && db_get(r, 0, 3))
        snprintf(replaced_by, LABEL_CODE_LEN + 1, "%s", db_get(r, 0, 3));
    db_res_free(r);
    if (!is_void)
        return 0;
    if (replaced_by[0])
        return err_field(err, 410, "label_void", "code",
                         "label %s was voided; it was replaced by label %s", code, replaced_by);
    return err_field(err, 410, "label_void", "code", "label %s was voided and not replaced", code);
}
