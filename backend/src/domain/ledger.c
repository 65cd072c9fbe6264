#include "ledger.h"

#include "../core/util.h"
#include "../store/db.h"

#include <string.h>

/* The movement's own columns as GET /movements/{id} names them, returned by
 * the INSERT itself (MariaDB's INSERT ... RETURNING): the hot path answers
 * from them without reading the movement back. */
#define MOVE_RETURNING                                                                             \
    " RETURNING id, kind, bin_id, depot_id, lot_id, item_id, qty, balance_after, occurred_at,"     \
    " recorded_at, user_id, reason, reference, recipient, transfer_id, stocktake_id,"              \
    " reverses_id, event_id"

#define MOVE_INSERT                                                                                \
    "INSERT INTO movement (kind, bin_id, lot_id, item_id, depot_id, qty, balance_after,"           \
    " occurred_at, user_id, reason, reference, recipient, transfer_id, stocktake_id,"              \
    " reverses_id, event_id) SELECT ?, ?, ?, ?, ?, ?, qty, ?, ?, ?, ?, ?, ?, ?, ?, ?"              \
    " FROM stock WHERE bin_id = ? AND lot_id = ?"

static int post(struct db_conn *db, const struct principal *who, const struct ledger_entry *e,
                int64_t *movement_id, int64_t *balance_after, struct db_res **row,
                struct app_err *err)
{
    struct db_res *r = NULL;
    int64_t depot_id, item_id, mid;
    char when[20];
    long long tid = e->transfer_id, sid = e->stocktake_id, rid = e->reverses_id;
    long long evid = e->event_id;

    if (e->qty == 0)
        return err_field(err, 400, "bad_quantity", "qty", "a movement must move something");
    if (e->depot_id && e->item_id) {
        depot_id = e->depot_id;
        item_id = e->item_id;
    } else if (db_query(
                   db, &r, err,
                   "SELECT b.depot_id, l.item_id FROM bin b JOIN lot l ON l.id = ? WHERE b.id = ?",
                   "ll", (long long)e->lot_id, (long long)e->bin_id) != 0) {
        return -1;
    } else {
        if (r->nrows == 0) {
            db_res_free(r);
            return err_set(err, 422, "unknown_reference", "no such bin or lot");
        }
        depot_id = db_get_int(r, 0, 0);
        item_id = db_get_int(r, 0, 1);
        db_res_free(r);
        if (who && auth_check_depot(db, who, depot_id, err) != 0)
            return -1;
    }

    if (e->qty < 0) {
        if (db_exec(db, err,
                    "UPDATE stock SET qty = qty + ?, updated_at = UTC_TIMESTAMP(6)"
                    " WHERE bin_id = ? AND lot_id = ? AND qty + ? >= 0",
                    "qllq", e->qty, (long long)e->bin_id, (long long)e->lot_id, e->qty) != 0)
            return -1;
        if (db_affected(db) != 1) {
            char want[32];
            qty_format(-e->qty, want, sizeof(want));
            return err_set(err, 409, "insufficient_stock",
                           "not enough stock in this bin for this lot (asked for %s)", want);
        }
    } else {
        if (db_exec(
                db, err,
                "INSERT INTO stock (bin_id, lot_id, item_id, depot_id, qty) VALUES (?, ?, ?, ?, ?)"
                " ON DUPLICATE KEY UPDATE qty = qty + VALUES(qty),"
                " updated_at = UTC_TIMESTAMP(6)",
                "llllq", (long long)e->bin_id, (long long)e->lot_id, (long long)item_id,
                (long long)depot_id, e->qty) != 0)
            return -1;
    }
    if (strcmp(e->kind, "count") == 0 &&
        db_exec(db, err,
                "UPDATE stock SET last_count_at = UTC_TIMESTAMP(6) WHERE bin_id = ? AND lot_id = ?",
                "ll", (long long)e->bin_id, (long long)e->lot_id) != 0)
        return -1;
    /* balance_after is read from the stock row inside the INSERT itself:
     * this transaction holds that row's lock since the update above, and
     * under READ COMMITTED the SELECT part sees its own change -- one round
     * trip instead of a SELECT and an INSERT. */
    datetime_sql(e->occurred_at ? e->occurred_at : time(NULL), when);
    if (row) {
        if (db_query(db, row, err, MOVE_INSERT MOVE_RETURNING, "sllllqslsssLLLLll", e->kind,
                     (long long)e->bin_id, (long long)e->lot_id, (long long)item_id,
                     (long long)depot_id, e->qty, when, (long long)(who ? who->user_id : 1),
                     e->reason, e->reference, e->recipient, tid ? &tid : NULL, sid ? &sid : NULL,
                     rid ? &rid : NULL, evid ? &evid : NULL, (long long)e->bin_id,
                     (long long)e->lot_id) != 0)
            return -1;
        if ((*row)->nrows != 1) {
            db_res_free(*row);
            *row = NULL;
            return err_set(err, 500, "internal", "the balance row of the movement is missing");
        }
        mid = db_get_int(*row, 0, 0);
    } else {
        if (db_exec(db, err, MOVE_INSERT, "sllllqslsssLLLLll", e->kind, (long long)e->bin_id,
                    (long long)e->lot_id, (long long)item_id, (long long)depot_id, e->qty, when,
                    (long long)(who ? who->user_id : 1), e->reason, e->reference, e->recipient,
                    tid ? &tid : NULL, sid ? &sid : NULL, rid ? &rid : NULL, evid ? &evid : NULL,
                    (long long)e->bin_id, (long long)e->lot_id) != 0)
            return -1;
        if (db_affected(db) != 1)
            return err_set(err, 500, "internal", "the balance row of the movement is missing");
        mid = (int64_t)db_insert_id(db);
    }
    if (movement_id)
        *movement_id = mid;
    if (balance_after) {
        if (db_query(db, &r, err, "SELECT balance_after FROM movement WHERE id = ?", "l",
                     (long long)mid) != 0)
            return -1;
        *balance_after = r->nrows ? db_get_qty(r, 0, 0) : 0;
        db_res_free(r);
    }
    return 0;
}

int ledger_post(struct db_conn *db, const struct principal *who, const struct ledger_entry *e,
                int64_t *movement_id, int64_t *balance_after, struct app_err *err)
{
    return post(db, who, e, movement_id, balance_after, NULL, err);
}

int ledger_post_row(struct db_conn *db, const struct principal *who, const struct ledger_entry *e,
                    struct db_res **row, struct app_err *err)
{
    *row = NULL;
    return post(db, who, e, NULL, NULL, row, err);
}
