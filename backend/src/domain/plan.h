/*
 * plan.h -- replenishment plans: what each town must receive or buy, how
 * much and by when, to hold its standard at the start of a flood season
 * (architecture.md §4, docs/forecasting.md "Plans").
 *
 * Two layers, like readiness.h:
 *  - pure arithmetic on plain structs (pl_line_compute, pl_transfers,
 *    pl_purchase, pl_haversine_km), checked by tests/unit/test_plan.c;
 *  - pl_build, which loads the inputs (readiness for the required and on-hand
 *    quantities, the ledger's issue movements for demand history, open
 *    purchase orders and dispatches, suppliers) and runs the pure part.
 *
 * Quantities are int64 milli-units; days are day numbers (core/util.h).
 *
 * Per (town, item):
 *   projected = on_hand - forecast_use - expiring + on_order + inbound
 *   target    = required + safety
 *   shortfall = max(0, target - projected)   (whole units for integral items)
 *   surplus   = max(0, projected - target)   (what may leave without taking
 *               the town below its own standard and safety stock)
 * where forecast_use is the forecast demand from today to the season start,
 * expiring the stock that expires before the line's cut-off (certain
 * replacements, whatever the forecast), on_order the open purchase-order
 * quantity expected by the season start, inbound open dispatches to the town.
 */
#ifndef RELIEF_PLAN_H
#define RELIEF_PLAN_H

#include <stdint.h>

#include "../core/err.h"

struct db_conn;

/* Months of demand history fed to the forecast, and the service level and
 * lead time used when the settings (plan_service_level, plan_default_lead_days)
 * say nothing. */
#define PL_HISTORY_MONTHS 36
#define PL_DEFAULT_SERVICE 0.95
#define PL_DEFAULT_LEAD_DAYS 30

struct pl_line {
    /* inputs */
    int town; /* index into the towns */
    int64_t item_id;
    int integral; /* whole units only */
    int64_t required, on_hand, expiring, forecast_use, safety, on_order, inbound;
    /* outputs of pl_line_compute */
    int64_t projected, shortfall, surplus;
    int64_t replace_part;  /* of the shortfall: certain replacement of expiring stock */
    int64_t forecast_part; /* the rest: forecast use and safety stock */
    /* outputs of pl_transfers / the purchase step */
    int64_t transfer_in, transfer_out, purchase;
};

struct pl_town {
    double lat, lon;
    int has_pos;
};

struct pl_transfer {
    int from_line, to_line; /* indexes into the lines */
    int64_t qty;
    double km; /* -1 when a position is unknown */
};

struct pl_purchase {
    int line;
    int64_t qty;
    int lead_days;
    int32_t order_by; /* season start - lead time */
    int urgent;       /* order_by before today */
};

/* Fill projected, shortfall, surplus and the split of the shortfall. */
void pl_line_compute(struct pl_line *l);

/* Great-circle distance (km, mean Earth radius 6371 km). */
double pl_haversine_km(double lat1, double lon1, double lat2, double lon2);

/*
 * Transfers, item by item: each shortfall (the largest first) is filled from
 * the surplus of other towns' lines of the same item, nearest first (towns
 * without a position last, by index), whole units for integral items.  A
 * source gives at most its surplus, so it never drops below its standard
 * plus its safety stock.  Updates transfer_in / transfer_out of the lines;
 * writes at most `max` transfers and returns their number (-1 when `max`
 * was too small: the caller gives nlines * nlines or grows and retries).
 */
int pl_transfers(struct pl_line *lines, int nlines, const struct pl_town *towns, int ntowns,
                 struct pl_transfer *out, int max);

/* What is left to buy after transfers, and by when. */
void pl_purchase(struct pl_line *l, int line_index, int lead_days, int32_t season_start,
                 int32_t today, struct pl_purchase *out);

/* ---------------------------------------------------------------- with the database */

struct pl_item_info {
    int64_t id;
    const char *code, *name_zh, *name_en, *unit;
    int64_t supplier_id; /* 0: none known */
    const char *supplier_code, *supplier_name;
    int lead_days;
    int lead_default; /* 1: no supplier lead time, the default used */
};

struct pl_town_info {
    int64_t id;
    const char *code, *name_zh, *name_en, *path;
    int64_t depot_id; /* the town's own depot (kind 'town'), 0 if none */
    const char *depot_code;
};

struct pl_line_info {
    int item;            /* index into items */
    int method;          /* forecast method (forecast.h) */
    double rate;         /* forecast demand per month */
    int months_to_start; /* months of use counted before the season start */
    int history_months;  /* months in the series */
    int64_t history_total;
    /* What was already made of this line with "one action" (not part of
     * the arithmetic: a request only brings stock once it is dispatched,
     * an order once it is placed): open supply requests and draft purchase
     * orders that carry the line's reference plan:<year>:<town>:<item>. */
    int64_t requested, po_drafted;
};

struct pl_result {
    int season_year;
    int32_t today, season_start, season_end;
    double service_level;
    int default_lead_days;
    struct pl_town_info *towns;
    struct pl_town *pos;
    int ntowns;
    struct pl_item_info *items;
    int nitems;
    struct pl_line *lines;
    struct pl_line_info *info;
    int nlines;
    struct pl_transfer *transfers;
    int ntransfers;
    struct pl_purchase *purchases;
    int npurchases;
    void *owned[8]; /* db results the strings point into */
};
void pl_result_free(struct pl_result *r);

/* The plan of a season for every town-level unit (transfers need them all). */
int pl_build(struct db_conn *db, int season_year, struct pl_result *out, struct app_err *err);

/*
 * Monthly (or weekly) demand of one town for one item from `issue`
 * movements only (transfers, disposals, adjustments, reversal rows and the
 * issues they reversed left out), the last `periods` buckets before today.
 * out[periods] zeroed by the caller; bucket periods-1 is the current one.
 * weekly: ISO weeks instead of months.
 */
int pl_history(struct db_conn *db, const char *town_path, int64_t item_id, int weekly, int periods,
               int32_t today, int64_t *out, struct app_err *err);

#endif
