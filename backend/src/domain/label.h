/*
 * label.h -- labels as records: creating them (one active label per object),
 * finding them by code, and loading what a printed label says.
 *
 * The rendering itself is labels/ (no database there); this module is the
 * bridge from rows to struct label_info.
 */
#ifndef RELIEF_DOMAIN_LABEL_H
#define RELIEF_DOMAIN_LABEL_H

#include <stddef.h>
#include <stdint.h>

#include "../core/err.h"
#include "labels/labels.h"

struct db_conn;

/* The object a label is bound to. */
struct label_target {
    const char *kind; /* "lot" (lot_id + bin_id), "asset", "bin" or "depot" */
    int64_t depot_id; /* filled in by label_ensure from the object when 0 */
    int64_t bin_id;
    int64_t lot_id;
    int64_t asset_id;
};

/*
 * The active label of `t`, created when there is none (idempotent, also
 * under concurrent calls).  422 unknown_reference when the object does not
 * exist or does not fit (a lot label needs the bin and the lot).  Fills
 * *label_id, code, and *created (1 when this call made it).
 */
int label_ensure(struct db_conn *db, int64_t user_id, struct label_target *t, int64_t *label_id,
                 char code[LABEL_CODE_LEN + 1], int *created, struct app_err *err);

/*
 * Resolve a code as scanned or typed: 400 bad_code when it is not a well-formed
 * code (wrong length, bad check character), 404 not_found when no label has
 * it, 410 label_void when voided (msg names the replacement's code if any;
 * *replaced_by gets it, "" otherwise).  On success fills *label_id and
 * *depot_id (for the scope check).
 */
int label_find(struct db_conn *db, const char *text, int64_t *label_id, int64_t *depot_id,
               char replaced_by[LABEL_CODE_LEN + 1], struct app_err *err);

/* What the labels with these ids say, in the order given. */
struct label_set {
    size_t n;
    struct label_info *items;
    char **strings; /* owned copies the items point into */
    size_t nstrings;
};
int label_load(struct db_conn *db, const int64_t *ids, size_t n, struct label_set *out,
               struct app_err *err);
void label_set_free(struct label_set *s);

#endif
