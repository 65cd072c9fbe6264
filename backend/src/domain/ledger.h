/*
 * ledger.h -- the one place stock changes.
 *
 * ledger_post writes one movement row and moves the (bin, lot) balance by
 * the same signed quantity, inside the caller's transaction.  A decrease is a
 * conditional UPDATE ... WHERE qty + delta >= 0 under the row lock, so two
 * clients issuing the same lot at once can never take it below zero: the
 * second one waits for the first, then finds too little and gets 409
 * insufficient_stock.  The movement records the balance after itself, which
 * `reliefctl verify-ledger` and readers of the ledger can check.
 */
#ifndef RELIEF_LEDGER_H
#define RELIEF_LEDGER_H

#include <stdint.h>
#include <time.h>

#include "../core/err.h"
#include "auth.h"

struct db_conn;

struct ledger_entry {
    const char *kind; /* a movement.kind value */
    int64_t bin_id;
    int64_t lot_id;
    int64_t qty;        /* signed, milli units, never 0 */
    time_t occurred_at; /* 0: now */
    const char *reason;
    const char *reference;
    const char *recipient;
    int64_t transfer_id; /* 0: none */
    int64_t stocktake_id;
    int64_t reverses_id;
    int64_t event_id; /* 0: none; the emergency event it was made for (its report) */
    /* The bin's depot and the lot's item when the caller has already looked
     * them up in the same transaction and checked the depot against `who`
     * (the hot path of POST /movements does it in one query); both 0: looked
     * up and scope-checked here. */
    int64_t depot_id;
    int64_t item_id;
};

/* Post one movement.  who may be NULL for administrative tools (no scope
 * check).  Fills *movement_id and *balance_after (milli) when not NULL. */
int ledger_post(struct db_conn *db, const struct principal *who, const struct ledger_entry *e,
                int64_t *movement_id, int64_t *balance_after, struct app_err *err);

/* The same, and *row gets the new movement's own columns (one row: id,
 * kind, bin_id, depot_id, lot_id, item_id, qty, balance_after, occurred_at,
 * recorded_at, user_id, reason, reference, recipient, transfer_id,
 * stocktake_id, reverses_id, event_id) as the database stored them, from the
 * INSERT itself -- no read-back.  The caller frees it (db_res_free); NULL on
 * failure. */
struct db_res;
int ledger_post_row(struct db_conn *db, const struct principal *who, const struct ledger_entry *e,
                    struct db_res **row, struct app_err *err);

#endif
