/*
 * h_dispatch.c -- moving approved requests from source depots to the asking
 * depot (docs/logistics.md): the allocation suggestion, the dispatch with
 * its per-source FEFO pick lists, picking by scan, shipping (transfer_out),
 * receiving by scan (transfer_in, damage disposed, shortages written off)
 * and cancelling what is not shipped.
 *
 * Reservation: stock is not moved while allocated; a pick that is open or
 * picked reserves qty_to_pick on its (bin, lot), and "free" stock is the
 * usable balance minus those reservations.  Allocation locks the source
 * depot rows in id order before it reads what is free, so two dispatches
 * allocating from the same depot run one after the other and the second
 * sees the first's picks (the connection reads committed data).  Every
 * later step locks the dispatch row first, which orders scans of one
 * dispatch from several phones.
 *
 * Stock in transit is the transfers' shipped - received - lost, as for a
 * plain transfer: shipping writes one transfer row per pick.
 */
#include "handlers.h"
#include "jsonin.h"
#include "logistics.h"
#include "query.h"

#include "../core/util.h"
#include "../domain/audit.h"
#include "../domain/dispatch.h"
#include "../domain/label.h"
#include "../domain/ledger.h"
#include "../domain/readiness.h"
#include "../store/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A (bin, lot) balance counts for dispatch when its lot is neither
 * quarantined nor expired and its bin is in use. */
#define USABLE_SQL                                                                                 \
    " l.quarantined = 0 AND (l.expiry_date IS NULL OR l.expiry_date >= UTC_DATE())"                \
    " AND b.active = 1"

/* Reserved per (bin, lot): picks allocated but not yet shipped. */
#define RESERVED_SQL                                                                               \
    "(SELECT bin_id, lot_id, SUM(qty_to_pick) AS q FROM dispatch_pick"                             \
    " WHERE status IN ('open', 'picked') AND item_id = ? GROUP BY bin_id, lot_id)"

#define DISPATCH_COLS                                                                              \
    "SELECT x.id, x.status, x.request_id, x.event_id, e.code AS event_code,"                       \
    " e.name_zh AS event_name_zh, x.to_depot_id, td.code AS to_depot_code,"                        \
    " td.name_zh AS to_depot_name_zh, td.name_en AS to_depot_name_en, td.lat AS to_lat,"           \
    " td.lon AS to_lon, tdo.code AS to_org_unit_code, tdo.name_zh AS to_org_unit_name_zh,"         \
    " x.note, x.created_by, u.display_name AS created_by_name, x.created_at, x.updated_at,"        \
    " x.closed_at, x.cancel_reason,"                                                               \
    " (SELECT GROUP_CONCAT(DISTINCT sd.code ORDER BY sd.code) FROM dispatch_line sl"               \
    "  JOIN depot sd ON sd.id = sl.depot_id WHERE sl.dispatch_id = x.id) AS source_depots,"        \
    " (SELECT IFNULL(SUM(p.qty_to_pick), 0) FROM dispatch_pick p WHERE p.dispatch_id = x.id"       \
    "  AND p.status <> 'released') AS qty_to_pick,"                                                \
    " (SELECT IFNULL(SUM(p.qty_picked), 0) FROM dispatch_pick p WHERE p.dispatch_id = x.id"        \
    "  AND p.status <> 'released') AS qty_picked,"                                                 \
    " (SELECT IFNULL(SUM(p.qty_shipped), 0) FROM dispatch_pick p WHERE p.dispatch_id = x.id)"      \
    "  AS qty_shipped,"                                                                            \
    " (SELECT IFNULL(SUM(p.qty_received), 0) FROM dispatch_pick p WHERE p.dispatch_id = x.id)"     \
    "  AS qty_received,"                                                                           \
    " (SELECT IFNULL(SUM(p.qty_damaged), 0) FROM dispatch_pick p WHERE p.dispatch_id = x.id)"      \
    "  AS qty_damaged,"                                                                            \
    " (SELECT IFNULL(SUM(p.qty_short), 0) FROM dispatch_pick p WHERE p.dispatch_id = x.id)"        \
    "  AS qty_short,"                                                                              \
    " (SELECT IFNULL(SUM(t.qty_shipped - t.qty_received - t.qty_lost), 0) FROM dispatch_pick p"    \
    "  JOIN transfer t ON t.id = p.transfer_id WHERE p.dispatch_id = x.id) AS qty_in_transit"      \
    " FROM dispatch x JOIN depot td ON td.id = x.to_depot_id"                                      \
    " JOIN org_unit tdo ON tdo.id = td.org_unit_id LEFT JOIN emergency_event e ON e.id = x.event_id" \
    " JOIN app_user u ON u.id = x.created_by"

#define LINE_COLS                                                                                  \
    "SELECT dl.id, dl.request_line_id, dl.depot_id, d.code AS depot_code, d.name_zh AS"            \
    " depot_name_zh, d.kind AS depot_kind, d.lat, d.lon, o.code AS org_unit_code, dl.item_id,"     \
    " i.code AS item_code, i.name_zh AS item_name_zh, i.name_en AS item_name_en, i.unit,"          \
    " dl.qty_allocated, dl.distance_km, dl.below_standard_override, dl.override_reason,"           \
    " dl.override_by, uo.display_name AS override_by_name,"                                        \
    " (SELECT IFNULL(SUM(p.qty_to_pick), 0) FROM dispatch_pick p WHERE p.dispatch_line_id = dl.id" \
    "  AND p.status <> 'released') AS qty_to_pick,"                                                \
    " (SELECT IFNULL(SUM(p.qty_picked), 0) FROM dispatch_pick p WHERE p.dispatch_line_id = dl.id"  \
    "  AND p.status <> 'released') AS qty_picked,"                                                 \
    " (SELECT IFNULL(SUM(p.qty_shipped), 0) FROM dispatch_pick p"                                  \
    "  WHERE p.dispatch_line_id = dl.id) AS qty_shipped,"                                          \
    " (SELECT IFNULL(SUM(p.qty_received), 0) FROM dispatch_pick p"                                 \
    "  WHERE p.dispatch_line_id = dl.id) AS qty_received,"                                         \
    " (SELECT IFNULL(SUM(p.qty_damaged), 0) FROM dispatch_pick p"                                  \
    "  WHERE p.dispatch_line_id = dl.id) AS qty_damaged,"                                          \
    " (SELECT IFNULL(SUM(p.qty_short), 0) FROM dispatch_pick p"                                    \
    "  WHERE p.dispatch_line_id = dl.id) AS qty_short"                                             \
    " FROM dispatch_line dl JOIN depot d ON d.id = dl.depot_id"                                    \
    " JOIN org_unit o ON o.id = d.org_unit_id JOIN item i ON i.id = dl.item_id"                    \
    " LEFT JOIN app_user uo ON uo.id = dl.override_by WHERE dl.dispatch_id = ? ORDER BY dl.id"

#define PICK_COLS                                                                                  \
    "SELECT p.id, p.seq, p.status, p.dispatch_line_id, p.depot_id, d.code AS depot_code,"          \
    " p.bin_id, b.code AS bin_code, p.lot_id, l.lot_no, l.expiry_date, p.item_id,"                 \
    " i.code AS item_code, i.name_zh AS item_name_zh, i.name_en AS item_name_en, i.unit,"          \
    " p.qty_to_pick, p.qty_picked, p.picked_by, up.display_name AS picked_by_name, p.picked_at,"   \
    " p.transfer_id, p.qty_shipped, p.shipped_at, p.qty_received, p.qty_damaged, p.qty_short,"     \
    " p.to_bin_id, tb.code AS to_bin_code, p.received_at,"                                         \
    " IFNULL(t.qty_shipped - t.qty_received - t.qty_lost, 0) AS qty_in_transit,"                   \
    " (SELECT lb.code FROM label lb WHERE lb.kind = 'lot' AND lb.status = 'active'"                \
    "  AND lb.bin_id = p.bin_id AND lb.lot_id = p.lot_id LIMIT 1) AS label_code"                   \
    " FROM dispatch_pick p JOIN depot d ON d.id = p.depot_id JOIN bin b ON b.id = p.bin_id"        \
    " JOIN lot l ON l.id = p.lot_id JOIN item i ON i.id = p.item_id"                               \
    " LEFT JOIN app_user up ON up.id = p.picked_by LEFT JOIN bin tb ON tb.id = p.to_bin_id"        \
    " LEFT JOIN transfer t ON t.id = p.transfer_id WHERE p.dispatch_id = ? ORDER BY p.seq, p.id"

/* ---------------------------------------------------------------- loading, scope */

struct dsp {
    int64_t id, to_depot_id, request_id;
    char status[24];
};

static int dsp_visible(struct req *rq, int64_t id, struct app_err *err)
{
    int64_t n;
    /* Both ends see it: the destination's units and every source's. */
    if (db_query_int(rq->db, &n, err,
                     "SELECT COUNT(*) FROM dispatch x JOIN depot td ON td.id = x.to_depot_id"
                     " JOIN org_unit o ON o.id = td.org_unit_id WHERE x.id = ?"
                     " AND (o.path LIKE CONCAT(?, '%') OR EXISTS (SELECT 1 FROM dispatch_line dl"
                     " JOIN depot sd ON sd.id = dl.depot_id JOIN org_unit so"
                     " ON so.id = sd.org_unit_id WHERE dl.dispatch_id = x.id"
                     " AND so.path LIKE CONCAT(?, '%')))",
                     "lss", (long long)id, rq->who.org_path, rq->who.org_path) != 0)
        return -1;
    return n > 0 ? 0 : err_set(err, 403, "forbidden", "the dispatch is outside your org unit");
}

static int dsp_load(struct req *rq, struct dsp *d, int lock, struct app_err *err)
{
    struct db_res *r = NULL;
    if (path_id(rq, 0, &d->id, err) != 0)
        return -1;
    if (db_query(rq->db, &r, err,
                 lock ? "SELECT status, to_depot_id, IFNULL(request_id, 0) FROM dispatch"
                        " WHERE id = ? FOR UPDATE"
                      : "SELECT status, to_depot_id, IFNULL(request_id, 0) FROM dispatch"
                        " WHERE id = ?",
                 "l", (long long)d->id) != 0)
        return -1;
    if (r->nrows == 0) {
        db_res_free(r);
        return err_set(err, 404, "not_found", "no such dispatch");
    }
    str_copy(d->status, sizeof(d->status), db_get(r, 0, 0));
    d->to_depot_id = db_get_int(r, 0, 1);
    d->request_id = db_get_int(r, 0, 2);
    db_res_free(r);
    return dsp_visible(rq, d->id, err);
}

static json_t *dsp_full(struct db_conn *db, int64_t id, struct app_err *err)
{
    struct db_res *r = NULL;
    json_t *o = json_one(db, DISPATCH_COLS " WHERE x.id = ?", id, "dispatch", err);
    if (!o)
        return NULL;
    if (db_query(db, &r, err, LINE_COLS, "l", (long long)id) != 0)
        goto fail;
    json_object_set_new(o, "lines", json_from_rows(r));
    db_res_free(r);
    if (db_query(db, &r, err, PICK_COLS, "l", (long long)id) != 0)
        goto fail;
    json_object_set_new(o, "picks", json_from_rows(r));
    db_res_free(r);
    return o;
fail:
    json_decref(o);
    return NULL;
}

static int dsp_audit(struct req *rq, const char *action, int64_t id, json_t *detail,
                     struct app_err *err)
{
    char sid[24];
    char *txt = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    int rc;
    snprintf(sid, sizeof(sid), "%lld", (long long)id);
    rc = audit_append(rq->db, rq->who.user_id, action, "dispatch", sid, txt, err);
    free(txt);
    json_decref(detail);
    return rc;
}

/* Recompute the state from the picks; closing also checks whether the
 * request is now fulfilled.  *closed is set when this call closed it. */
static int dsp_refresh(struct req *rq, int64_t id, int *closed, struct app_err *err)
{
    struct db_res *r = NULL;
    struct dsp_totals t = {0};
    const char *st;
    char old[24] = "";
    int64_t req_id = 0;

    if (db_query(rq->db, &r, err,
                 "SELECT COUNT(*), IFNULL(SUM(qty_to_pick), 0), IFNULL(SUM(qty_picked), 0),"
                 " IFNULL(SUM(qty_shipped), 0), IFNULL(SUM(qty_received), 0),"
                 " IFNULL(SUM(qty_short), 0) FROM dispatch_pick"
                 " WHERE dispatch_id = ? AND status <> 'released'",
                 "l", (long long)id) != 0)
        return -1;
    t.npicks = db_get_int(r, 0, 0);
    t.to_pick = db_get_qty(r, 0, 1);
    t.picked = db_get_qty(r, 0, 2);
    t.shipped = db_get_qty(r, 0, 3);
    t.received = db_get_qty(r, 0, 4);
    t.shorted = db_get_qty(r, 0, 5);
    db_res_free(r);
    if (db_query(rq->db, &r, err,
                 "SELECT (SELECT COUNT(*) FROM dispatch_pick WHERE dispatch_id = x.id"
                 " AND transfer_id IS NOT NULL), x.status, IFNULL(x.request_id, 0)"
                 " FROM dispatch x WHERE x.id = ?",
                 "l", (long long)id) != 0)
        return -1;
    t.ever_shipped = db_get_int(r, 0, 0);
    str_copy(old, sizeof(old), db_get(r, 0, 1));
    req_id = db_get_int(r, 0, 2);
    db_res_free(r);
    st = dsp_status_of(&t);
    if (closed)
        *closed = 0;
    if (strcmp(st, old) == 0)
        return db_exec(rq->db, err, "UPDATE dispatch SET updated_at = NOW(6) WHERE id = ?", "l",
                       (long long)id);
    if (db_exec(rq->db, err,
                "UPDATE dispatch SET status = ?, updated_at = NOW(6),"
                " closed_at = IF(? IN ('closed', 'cancelled'), NOW(6), NULL) WHERE id = ?",
                "ssl", st, st, (long long)id) != 0)
        return -1;
    if (strcmp(st, "closed") == 0) {
        if (closed)
            *closed = 1;
        if (dsp_audit(rq, "dispatch.close", id, NULL, err) != 0)
            return -1;
        /* Fulfilled: every approved line is allocated in full and every
         * dispatch of the request has closed. */
        if (req_id &&
            db_exec(rq->db, err,
                    "UPDATE supply_request r SET status = 'fulfilled' WHERE r.id = ?"
                    " AND r.status IN ('approved', 'partially_approved')"
                    " AND NOT EXISTS (SELECT 1 FROM dispatch x WHERE x.request_id = r.id"
                    "  AND x.status NOT IN ('closed', 'cancelled'))"
                    " AND NOT EXISTS (SELECT 1 FROM supply_request_line l WHERE l.request_id = r.id"
                    "  AND l.qty_approved > IFNULL((SELECT SUM(p.qty_to_pick) FROM dispatch_pick p"
                    "  JOIN dispatch_line dl ON dl.id = p.dispatch_line_id"
                    "  WHERE dl.request_line_id = l.id AND p.status <> 'released'), 0))",
                    "l", (long long)req_id) != 0)
            return -1;
    }
    return 0;
}

static int respond_dispatch(struct req *rq, struct resp *rs, int status, int64_t id,
                            json_t *extra, struct app_err *err)
{
    json_t *o = dsp_full(rq->db, id, err);
    if (!o) {
        json_decref(extra);
        return -1;
    }
    if (extra)
        json_object_update(o, extra);
    json_decref(extra);
    resp_json(rs, status, o);
    return 0;
}

/* ---------------------------------------------------------------- standards */

/* Required and usable of one item for one town, from the readiness
 * computation of the whole city (one grouped query).  *usable stays -1 when the
 * unit has no standard line for the item (then it keeps no standard of it). */
static void std_of(const struct rd_result *res, int64_t org, int64_t item, int64_t *required,
                   int64_t *usable)
{
    *required = 0;
    *usable = -1;
    for (int u = 0; u < res->nunits; u++) {
        if (res->units[u].id != org)
            continue;
        for (int l = 0; l < res->std.nlines; l++)
            if (res->std.lines[l].item_id == item) {
                *required += res->units[u].lines[l].required;
                if (*usable < 0)
                    *usable = res->units[u].lines[l].own;
            }
    }
}

/* Free stock of an item at a depot; and reserved in all depots of a town. */
static int depot_free(struct db_conn *db, int64_t depot, int64_t item, int64_t *free_q,
                      struct app_err *err)
{
    struct db_res *r = NULL;
    if (db_query(db, &r, err,
                 "SELECT IFNULL(SUM(GREATEST(s.qty - IFNULL(rv.q, 0), 0)), 0) FROM stock s"
                 " JOIN lot l ON l.id = s.lot_id JOIN bin b ON b.id = s.bin_id"
                 " LEFT JOIN " RESERVED_SQL " rv ON rv.bin_id = s.bin_id AND rv.lot_id = s.lot_id"
                 " WHERE s.depot_id = ? AND s.item_id = ? AND" USABLE_SQL,
                 "lll", (long long)item, (long long)depot, (long long)item) != 0)
        return -1;
    *free_q = db_get_qty(r, 0, 0);
    db_res_free(r);
    return 0;
}

static int town_reserved(struct db_conn *db, int64_t org, int64_t item, int64_t *q,
                         struct app_err *err)
{
    struct db_res *r = NULL;
    if (db_query(db, &r, err,
                 "SELECT IFNULL(SUM(p.qty_to_pick), 0) FROM dispatch_pick p"
                 " JOIN depot d ON d.id = p.depot_id WHERE d.org_unit_id = ? AND p.item_id = ?"
                 " AND p.status IN ('open', 'picked')",
                 "ll", (long long)org, (long long)item) != 0)
        return -1;
    *q = db_get_qty(r, 0, 0);
    db_res_free(r);
    return 0;
}

static int load_standards(struct db_conn *db, struct rd_result *res, struct app_err *err)
{
    struct rd_request q = {NULL, 0, 0, RD_LEDGER_AUTO};
    memset(res, 0, sizeof(*res));
    return rd_city(db, "/", &q, res, err);
}

/* Allocated so far of a request line (picks not released). */
static int line_allocated(struct db_conn *db, int64_t line, int64_t *q, struct app_err *err)
{
    struct db_res *r = NULL;
    if (db_query(db, &r, err,
                 "SELECT IFNULL(SUM(p.qty_to_pick), 0) FROM dispatch_pick p"
                 " JOIN dispatch_line dl ON dl.id = p.dispatch_line_id"
                 " WHERE dl.request_line_id = ? AND p.status <> 'released'",
                 "l", (long long)line) != 0)
        return -1;
    *q = db_get_qty(r, 0, 0);
    db_res_free(r);
    return 0;
}

/* ---------------------------------------------------------------- suggest */

/*
 * GET /requests/{id}/suggest: per approved line, every depot (city or town,
 * not the asking unit's) holding the item free, with its distance to the
 * destination, its standard and surplus; then a suggestion: surplus first,
 * nearest first, never below a source's standard.  What the surplus cannot
 * cover is the shortfall, with the sources that could give it on a city
 * override.
 */
int h_request_suggest(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct req_state st;
    struct db_res *lines = NULL, *c = NULL, *r = NULL;
    struct rd_result res;
    double to_lat = 0, to_lon = 0;
    int has_to_pos = 0, std_ok = 0;
    int64_t id;
    json_t *out = NULL, *arr;

    if (path_id(rq, 0, &id, err) != 0 || request_load(rq, id, 0, &st, err) != 0)
        return -1;
    if (strcmp(st.status, "approved") != 0 && strcmp(st.status, "partially_approved") != 0)
        return err_field(err, 409, "conflict", "status",
                         "the request is %s: only an approved request is allocated", st.status);
    if (db_query(rq->db, &r, err, "SELECT lat, lon FROM depot WHERE id = ?", "l",
                 (long long)st.to_depot_id) != 0)
        return -1;
    if (r->nrows && db_get(r, 0, 0) && db_get(r, 0, 1)) {
        to_lat = atof(db_get(r, 0, 0));
        to_lon = atof(db_get(r, 0, 1));
        has_to_pos = 1;
    }
    db_res_free(r);
    if (load_standards(rq->db, &res, err) != 0)
        return -1;
    std_ok = 1;
    if (db_query(rq->db, &lines, err,
                 "SELECT l.id, l.item_id, i.code, i.name_zh, i.unit, l.qty_approved"
                 " FROM supply_request_line l JOIN item i ON i.id = l.item_id"
                 " WHERE l.request_id = ? AND l.qty_approved > 0 ORDER BY i.code",
                 "l", (long long)id) != 0)
        goto fail;
    arr = json_array();
    out = json_pack("{s:I, s:o}", "request_id", (json_int_t)id, "lines", arr);
    for (int li = 0; li < lines->nrows; li++) {
        int64_t line_id = db_get_int(lines, li, 0), item = db_get_int(lines, li, 1);
        int64_t approved = db_get_qty(lines, li, 5), allocated, open, left;
        json_t *cands = json_array(), *sugg = json_array(), *lo;
        int n;
        int64_t *taken_town, *surplus, *freeq;
        int *order, *hasstd;
        double *dist;

        if (line_allocated(rq->db, line_id, &allocated, err) != 0)
            goto fail;
        open = approved > allocated ? approved - allocated : 0;
        if (db_query(rq->db, &c, err,
                     "SELECT d.id, d.code, d.name_zh, d.kind, d.org_unit_id, o.code, d.lat, d.lon,"
                     " SUM(GREATEST(s.qty - IFNULL(rv.q, 0), 0)) AS free_qty"
                     " FROM stock s JOIN lot l ON l.id = s.lot_id JOIN bin b ON b.id = s.bin_id"
                     " JOIN depot d ON d.id = s.depot_id JOIN org_unit o ON o.id = d.org_unit_id"
                     " LEFT JOIN " RESERVED_SQL " rv ON rv.bin_id = s.bin_id"
                     " AND rv.lot_id = s.lot_id"
                     " WHERE s.item_id = ? AND d.kind IN ('city', 'town') AND d.id <> ?"
                     " AND d.org_unit_id <> ? AND" USABLE_SQL
                     " GROUP BY d.id, d.code, d.name_zh, d.kind, d.org_unit_id, o.code, d.lat, d.lon"
                     " HAVING free_qty > 0",
                     "llll", (long long)item, (long long)item, (long long)st.to_depot_id,
                     (long long)st.org_unit_id) != 0) {
            json_decref(cands);
            json_decref(sugg);
            goto fail;
        }
        n = c->nrows;
        taken_town = calloc((size_t)n + 1, sizeof(int64_t));
        surplus = calloc((size_t)n + 1, sizeof(int64_t));
        freeq = calloc((size_t)n + 1, sizeof(int64_t));
        order = calloc((size_t)n + 1, sizeof(int));
        hasstd = calloc((size_t)n + 1, sizeof(int));
        dist = calloc((size_t)n + 1, sizeof(double));
        if (!taken_town || !surplus || !freeq || !order || !dist || !hasstd) {
            free(taken_town), free(surplus), free(freeq), free(order), free(dist), free(hasstd);
            json_decref(cands);
            json_decref(sugg);
            err_set(err, 500, "internal", "out of memory");
            goto fail;
        }
        for (int k = 0; k < n; k++) {
            /* City depots keep no standard of their own, nor does a town
             * for an item no line of its standard names. */
            int no_std = strcmp(db_get(c, k, 3), "city") == 0;
            int64_t org = db_get_int(c, k, 4), required = 0, usable = 0, reserved = 0;
            freeq[k] = db_get_qty(c, k, 8);
            dist[k] = has_to_pos && db_get(c, k, 6) && db_get(c, k, 7)
                          ? dsp_haversine_km(atof(db_get(c, k, 6)), atof(db_get(c, k, 7)), to_lat,
                                             to_lon)
                          : 1e9;
            if (!no_std) {
                std_of(&res, org, item, &required, &usable);
                no_std = usable < 0;
            }
            if (!no_std) {
                if (town_reserved(rq->db, org, item, &reserved, err) != 0) {
                    free(taken_town), free(surplus), free(freeq), free(order), free(dist), free(hasstd);
                    json_decref(cands);
                    json_decref(sugg);
                    goto fail;
                }
            }
            hasstd[k] = !no_std;
            surplus[k] = dsp_surplus(!no_std, freeq[k], usable, required, reserved);
            order[k] = k;
            lo = json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:o, s:b, s:o, s:o, s:o, s:o}",
                           "depot_id", (json_int_t)db_get_int(c, k, 0), "depot_code",
                           db_get(c, k, 1), "depot_name_zh", db_get(c, k, 2), "depot_kind",
                           db_get(c, k, 3), "org_unit_code", db_get(c, k, 5), "distance_km",
                           dist[k] < 1e8 ? json_real((double)(int64_t)(dist[k] * 1000) / 1000)
                                         : json_null(),
                           "free", json_qty(freeq[k]), "has_standard", !no_std, "required",
                           no_std ? json_null() : json_qty(required), "usable",
                           no_std ? json_null() : json_qty(usable), "reserved_in_town",
                           json_qty(reserved), "surplus", json_qty(surplus[k]));
            json_array_append_new(cands, lo);
        }
        /* Surplus first, then nearest: a small insertion sort (a few dozen depots). */
        for (int a = 1; a < n; a++) {
            int v = order[a], b = a - 1;
            while (b >= 0 && ((surplus[order[b]] == 0 && surplus[v] > 0) ||
                              ((surplus[order[b]] > 0) == (surplus[v] > 0) &&
                               dist[order[b]] > dist[v]))) {
                order[b + 1] = order[b];
                b--;
            }
            order[b + 1] = v;
        }
        {
            json_t *sorted = json_array();
            for (int a = 0; a < n; a++)
                json_array_append(sorted, json_array_get(cands, (size_t)order[a]));
            json_decref(cands);
            cands = sorted;
        }
        left = open;
        for (int a = 0; a < n && left > 0; a++) {
            int k = order[a];
            int64_t org = db_get_int(c, k, 4), give = surplus[k], used = 0;
            /* Depots of one town share the town's surplus over its standard. */
            if (hasstd[k]) {
                for (int b = 0; b < a; b++)
                    if (db_get_int(c, order[b], 4) == org)
                        used += taken_town[order[b]];
                give = give > used ? give - used : 0;
            }
            if (give > left)
                give = left;
            if (give <= 0)
                continue;
            taken_town[k] = give;
            left -= give;
            json_array_append_new(
                sugg, json_pack("{s:I, s:I, s:s, s:o, s:b}", "request_line_id",
                                (json_int_t)line_id, "depot_id", (json_int_t)db_get_int(c, k, 0),
                                "depot_code", db_get(c, k, 1), "qty", json_qty(give),
                                "below_standard", 0));
        }
        json_array_append_new(
            arr, json_pack("{s:I, s:I, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "line_id",
                           (json_int_t)line_id, "item_id", (json_int_t)item, "item_code",
                           db_get(lines, li, 2), "item_name_zh", db_get(lines, li, 3), "unit",
                           db_get(lines, li, 4), "qty_approved", json_qty(approved),
                           "qty_allocated", json_qty(allocated), "qty_open", json_qty(open),
                           "candidates", cands, "suggested", sugg, "shortfall", json_qty(left)));
        free(taken_town), free(surplus), free(freeq), free(order), free(dist), free(hasstd);
        db_res_free(c);
        c = NULL;
    }
    db_res_free(lines);
    if (std_ok)
        rd_result_free(&res);
    resp_json(rs, 200, out);
    return 0;
fail:
    db_res_free(lines);
    db_res_free(c);
    if (std_ok)
        rd_result_free(&res);
    json_decref(out);
    return -1;
}

/* ---------------------------------------------------------------- create */

struct alloc_in {
    int64_t line_id, depot_id, qty, item_id, org_unit_id;
    int is_city;
    char override_reason[256];
    double lat, lon;
    int has_pos;
};

static int int64_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Pick list of one dispatch line: FEFO over the depot's free usable lots. */
static int make_picks(struct db_conn *db, int64_t dispatch, int64_t dline, int64_t depot,
                      int64_t item, int64_t qty, int *seq, struct app_err *err)
{
    struct db_res *r = NULL;
    int64_t left = qty;
    if (db_query(db, &r, err,
                 "SELECT s.bin_id, s.lot_id, s.qty - IFNULL(rv.q, 0) AS free_qty FROM stock s"
                 " JOIN lot l ON l.id = s.lot_id JOIN bin b ON b.id = s.bin_id"
                 " LEFT JOIN " RESERVED_SQL " rv ON rv.bin_id = s.bin_id AND rv.lot_id = s.lot_id"
                 " WHERE s.depot_id = ? AND s.item_id = ? AND" USABLE_SQL
                 " AND s.qty - IFNULL(rv.q, 0) > 0"
                 " ORDER BY l.expiry_date IS NULL, l.expiry_date, l.id, b.code",
                 "lll", (long long)item, (long long)depot, (long long)item) != 0)
        return -1;
    for (int i = 0; i < r->nrows && left > 0; i++) {
        int64_t take = db_get_qty(r, i, 2);
        if (take > left)
            take = left;
        if (db_exec(db, err,
                    "INSERT INTO dispatch_pick (dispatch_id, dispatch_line_id, depot_id, bin_id,"
                    " lot_id, item_id, seq, qty_to_pick) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    "lllllllq", (long long)dispatch, (long long)dline, (long long)depot,
                    (long long)db_get_int(r, i, 0), (long long)db_get_int(r, i, 1),
                    (long long)item, (long long)++*seq, take) != 0) {
            db_res_free(r);
            return -1;
        }
        left -= take;
    }
    db_res_free(r);
    if (left > 0)
        return err_set(err, 409, "insufficient_stock", "the depot's free stock changed");
    return 0;
}

/* Validate one body line against the request and the depot. */
static int read_alloc(struct req *rq, json_t *line, size_t i, const struct req_state *st,
                      struct alloc_in *a, struct app_err *err)
{
    struct db_res *r = NULL;
    double q = 0;
    int64_t integral;
    int has_reason = 0;
    char f[48];
    const struct jfield spec[] = {
        {"request_line_id", JF_ID, 1, &a->line_id, 0, NULL},
        {"depot_id", JF_ID, 1, &a->depot_id, 0, NULL},
        {"qty", JF_NUM, 1, &q, 0, NULL},
        {"override_reason", JF_STR, 0, a->override_reason, sizeof(a->override_reason),
         &has_reason},
    };
    snprintf(f, sizeof(f), "lines[%zu]", i);
    if (!json_is_object(line))
        return err_field(err, 400, "bad_type", f, "each line is {request_line_id, depot_id, qty}");
    if (json_read(line, spec, 4, err) != 0)
        return -1;
    if (!has_reason)
        a->override_reason[0] = '\0';
    if (db_query(rq->db, &r, err,
                 "SELECT l.item_id, i.integral FROM supply_request_line l JOIN item i"
                 " ON i.id = l.item_id WHERE l.id = ? AND l.request_id = ?",
                 "ll", (long long)a->line_id, (long long)st->id) != 0)
        return -1;
    if (r->nrows == 0) {
        db_res_free(r);
        snprintf(f, sizeof(f), "lines[%zu].request_line_id", i);
        return err_field(err, 422, "unknown_reference", f, "no line %lld in this request",
                         (long long)a->line_id);
    }
    a->item_id = db_get_int(r, 0, 0);
    integral = db_get_int(r, 0, 1);
    db_res_free(r);
    snprintf(f, sizeof(f), "lines[%zu].qty", i);
    if (json_qty_check(q, (int)integral, 0, f, &a->qty, err) != 0)
        return -1;
    if (db_query(rq->db, &r, err,
                 "SELECT kind, org_unit_id, lat, lon FROM depot WHERE id = ?", "l",
                 (long long)a->depot_id) != 0)
        return -1;
    snprintf(f, sizeof(f), "lines[%zu].depot_id", i);
    if (r->nrows == 0) {
        db_res_free(r);
        return err_field(err, 422, "unknown_reference", f, "no depot %lld", (long long)a->depot_id);
    }
    a->is_city = strcmp(db_get(r, 0, 0), "city") == 0;
    a->org_unit_id = db_get_int(r, 0, 1);
    a->has_pos = db_get(r, 0, 2) && db_get(r, 0, 3);
    a->lat = a->has_pos ? atof(db_get(r, 0, 2)) : 0;
    a->lon = a->has_pos ? atof(db_get(r, 0, 3)) : 0;
    if (!a->is_city && strcmp(db_get(r, 0, 0), "town") != 0) {
        db_res_free(r);
        return err_field(err, 422, "rule_broken", f, "dispatches take stock from city and town depots");
    }
    db_res_free(r);
    if (a->depot_id == st->to_depot_id || a->org_unit_id == st->org_unit_id)
        return err_field(err, 422, "rule_broken", f, "a source cannot be the asking unit's own depot");
    return 0;
}

int h_dispatch_create(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct req_state st;
    struct alloc_in *in = NULL;
    struct rd_result res;
    int64_t request_id = 0, id, *depots = NULL;
    json_t *lines = NULL, *line;
    char note[1000] = "", f[48];
    int has_note = 0, std_loaded = 0, seq = 0, rc = -1;
    size_t n, i;
    double to_lat = 0, to_lon = 0;
    int has_to = 0;
    struct db_res *r = NULL;
    const struct jfield spec[] = {
        {"request_id", JF_ID, 1, &request_id, 0, NULL},
        {"note", JF_STR, 0, note, sizeof(note), &has_note},
        {"lines", JF_ARRAY, 1, &lines, 100, NULL},
    };

    if (json_read(rq->body, spec, 3, err) != 0)
        return -1;
    n = json_array_size(lines);
    if (n == 0)
        return err_field(err, 400, "bad_value", "lines", "a dispatch has at least one line");
    if (request_load(rq, request_id, 1, &st, err) != 0) {
        if (err->http == 404)
            err_field(err, 422, "unknown_reference", "request_id", "no request %lld",
                      (long long)request_id);
        return -1;
    }
    if (strcmp(st.status, "approved") != 0 && strcmp(st.status, "partially_approved") != 0)
        return err_field(err, 409, "conflict", "request_id",
                         "the request is %s: only an approved request is allocated", st.status);
    in = calloc(n, sizeof(*in));
    depots = calloc(n, sizeof(*depots));
    if (!in || !depots) {
        err_set(err, 500, "internal", "out of memory");
        goto done;
    }
    json_array_foreach(lines, i, line)
    {
        if (read_alloc(rq, line, i, &st, &in[i], err) != 0)
            goto done;
        depots[i] = in[i].depot_id;
    }
    /* Lock the sources in id order: concurrent allocators queue per depot
     * and never deadlock on each other. */
    qsort(depots, n, sizeof(*depots), int64_cmp);
    for (i = 0; i < n; i++) {
        if (i && depots[i] == depots[i - 1])
            continue;
        if (db_exec(rq->db, err, "SELECT id FROM depot WHERE id = ? FOR UPDATE", "l",
                    (long long)depots[i]) != 0)
            goto done;
    }
    if (load_standards(rq->db, &res, err) != 0)
        goto done;
    std_loaded = 1;
    if (db_query(rq->db, &r, err, "SELECT lat, lon FROM depot WHERE id = ?", "l",
                 (long long)st.to_depot_id) != 0)
        goto done;
    if (r->nrows && db_get(r, 0, 0) && db_get(r, 0, 1)) {
        to_lat = atof(db_get(r, 0, 0));
        to_lon = atof(db_get(r, 0, 1));
        has_to = 1;
    }
    db_res_free(r);
    r = NULL;
    if (db_exec(rq->db, err,
                "INSERT INTO dispatch (request_id, event_id, to_depot_id, note, created_by)"
                " VALUES (?, NULLIF(?, 0), ?, ?, ?)",
                "lllsl", (long long)request_id, (long long)st.event_id, (long long)st.to_depot_id,
                has_note && note[0] ? note : NULL, (long long)rq->who.user_id) != 0)
        goto done;
    id = (int64_t)db_insert_id(rq->db);

    for (i = 0; i < n; i++) {
        struct alloc_in *a = &in[i];
        int64_t approved = 0, allocated, free_q, surplus, required = 0, usable = 0, reserved = 0;
        int64_t dline;
        long long uid = (long long)rq->who.user_id;
        int override = 0;
        char q1[32], q2[32];

        if (db_query(rq->db, &r, err, "SELECT qty_approved FROM supply_request_line WHERE id = ?",
                     "l", (long long)a->line_id) != 0)
            goto done;
        approved = db_get_qty(r, 0, 0);
        db_res_free(r);
        r = NULL;
        if (line_allocated(rq->db, a->line_id, &allocated, err) != 0 ||
            depot_free(rq->db, a->depot_id, a->item_id, &free_q, err) != 0)
            goto done;
        snprintf(f, sizeof(f), "lines[%zu].qty", i);
        if (allocated + a->qty > approved) {
            qty_format(approved > allocated ? approved - allocated : 0, q1, sizeof(q1));
            err_field(err, 422, "over_allocation", f,
                      "only %s of this line is approved and not yet allocated", q1);
            goto done;
        }
        if (a->qty > free_q) {
            qty_format(free_q, q1, sizeof(q1));
            err_field(err, 409, "insufficient_stock", f,
                      "the depot has only %s of this item free (usable stock not yet allocated)",
                      q1);
            goto done;
        }
        {
            int has_std = !a->is_city;
            if (has_std) {
                std_of(&res, a->org_unit_id, a->item_id, &required, &usable);
                has_std = usable >= 0; /* no line for the item: no standard to keep */
            }
            if (has_std &&
                town_reserved(rq->db, a->org_unit_id, a->item_id, &reserved, err) != 0)
                goto done;
            surplus = dsp_surplus(has_std, free_q, usable, required, reserved);
        }
        if (a->qty > surplus) {
            if (!a->override_reason[0]) {
                qty_format(surplus, q1, sizeof(q1));
                qty_format(required, q2, sizeof(q2));
                err_field(err, 422, "below_standard", f,
                          "this would take the source below its own standard (required %s,"
                          " surplus %s): the city must override with override_reason",
                          q2, q1);
                goto done;
            }
            override = 1;
        }
        if (db_exec(rq->db, err,
                    "INSERT INTO dispatch_line (dispatch_id, request_line_id, depot_id, item_id,"
                    " qty_allocated, distance_km, below_standard_override, override_reason,"
                    " override_by) VALUES (?, ?, ?, ?, ?, IF(?, ? / 1000, NULL), ?, ?, ?)",
                    "llllqlllsL", (long long)id, (long long)a->line_id, (long long)a->depot_id,
                    (long long)a->item_id, a->qty, (long long)(has_to && a->has_pos),
                    (long long)(has_to && a->has_pos
                                    ? dsp_haversine_km(a->lat, a->lon, to_lat, to_lon) * 1000
                                    : 0),
                    (long long)override, override ? a->override_reason : NULL,
                    override ? &uid : NULL) != 0)
            goto done;
        dline = (int64_t)db_insert_id(rq->db);
        if (make_picks(rq->db, id, dline, a->depot_id, a->item_id, a->qty, &seq, err) != 0)
            goto done;
        if (override &&
            dsp_audit(rq, "dispatch.override", id,
                      json_pack("{s:I, s:I, s:s}", "depot_id", (json_int_t)a->depot_id, "item_id",
                                (json_int_t)a->item_id, "reason", a->override_reason),
                      err) != 0)
            goto done;
    }
    if (dsp_audit(rq, "dispatch.create", id,
                  json_pack("{s:I, s:I}", "request_id", (json_int_t)request_id, "lines",
                            (json_int_t)n),
                  err) != 0)
        goto done;
    rc = respond_dispatch(rq, rs, 201, id, NULL, err);
done:
    db_res_free(r);
    if (std_loaded)
        rd_result_free(&res);
    free(in);
    free(depots);
    return rc;
}

/* ---------------------------------------------------------------- list, get */

int h_dispatches_list(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct qb q;
    int limit, rc;
    int64_t cursor, reqid;
    int has_req;
    const char *status, *open;
    const char *eref = req_query(rq, "event"), *dref = req_query(rq, "depot");

    if (q_page(rq, 500, &limit, &cursor, err) != 0 ||
        q_enum(rq, "status",
               "allocated|picking|picked|in_transit|partially_received|received|closed|cancelled",
               &status, err) != 0 ||
        q_enum(rq, "open", "true|false", &open, err) != 0 ||
        q_int(rq, "request", &reqid, &has_req, err) != 0)
        return -1;
    qb_init(&q, DISPATCH_COLS
            " WHERE (tdo.path LIKE CONCAT(?, '%') OR EXISTS (SELECT 1 FROM dispatch_line dl"
            " JOIN depot sd ON sd.id = dl.depot_id JOIN org_unit so ON so.id = sd.org_unit_id"
            " WHERE dl.dispatch_id = x.id AND so.path LIKE CONCAT(?, '%')))"
            " AND (? = 0 OR x.id < ?)");
    dbp_str(&q.ps, rq->who.org_path);
    dbp_str(&q.ps, rq->who.org_path);
    dbp_int(&q.ps, cursor);
    dbp_int(&q.ps, cursor);
    qb_where_str(&q, " AND x.status = ?", status);
    if (open && strcmp(open, "true") == 0)
        qb_add(&q, " AND x.status NOT IN ('closed', 'cancelled')");
    else if (open)
        qb_add(&q, " AND x.status IN ('closed', 'cancelled')");
    qb_where_int(&q, " AND x.request_id = ?", has_req, reqid);
    if (qb_where_ref(&q, rq->db, eref, "SELECT id FROM emergency_event WHERE code = ?", "event",
                     " AND x.event_id = ?", err) != 0 ||
        qb_where_ref(&q, rq->db, dref, "SELECT id FROM depot WHERE code = ?", "depot",
                     " AND (x.to_depot_id = ? OR EXISTS (SELECT 1 FROM dispatch_line dl2"
                     " WHERE dl2.dispatch_id = x.id AND dl2.depot_id = ?))",
                     err) != 0) {
        qb_free(&q);
        return -1;
    }
    /* qb_where_ref bound the depot once; the fragment names it twice. */
    if (dref)
        dbp_int(&q.ps, q.ps.p[q.ps.n - 1].i);
    qb_add(&q, " ORDER BY x.id DESC LIMIT ?");
    dbp_int(&q.ps, limit + 1);
    rc = qb_page(&q, rq, rs, limit, "id", err);
    qb_free(&q);
    return rc;
}

int h_dispatch_get(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct dsp d;
    if (dsp_load(rq, &d, 0, err) != 0)
        return -1;
    return respond_dispatch(rq, rs, 200, d.id, NULL, err);
}

/* ---------------------------------------------------------------- scans */

/* A scanned text (a code, or the label URL a wedge scanner types) -> the
 * lot label's bin and lot.  409 wrong_label for a bin/asset/depot label. */
static int scan_lot(struct req *rq, const char *text, int64_t *bin, int64_t *lot,
                    struct app_err *err)
{
    const char *slash = strrchr(text, '/');
    char replaced[LABEL_CODE_LEN + 1];
    int64_t label, depot;
    struct db_res *r = NULL;

    if (slash && slash[1])
        text = slash + 1;
    if (label_find(rq->db, text, &label, &depot, replaced, err) != 0)
        return -1;
    if (db_query(rq->db, &r, err,
                 "SELECT kind, IFNULL(bin_id, 0), IFNULL(lot_id, 0) FROM label WHERE id = ?", "l",
                 (long long)label) != 0)
        return -1;
    if (r->nrows == 0 || strcmp(db_get(r, 0, 0), "lot") != 0) {
        char kind[8];
        str_copy(kind, sizeof(kind), r->nrows ? db_get(r, 0, 0) : "?");
        db_res_free(r);
        return err_field(err, 409, "wrong_label", "code",
                         "this is a %s label: scan the label on the goods (a lot label)", kind);
    }
    *bin = db_get_int(r, 0, 1);
    *lot = db_get_int(r, 0, 2);
    db_res_free(r);
    return 0;
}

/* "item DG-SH-01 救灾帐篷, lot L-1 from bin A-02 (5 to pick)" for the first
 * open pick in the caller's depots, preferring the same item. */
static int want_text(struct req *rq, int64_t dispatch, int64_t item, const char *status_sql,
                     char *out, size_t n, struct app_err *err)
{
    struct db_res *r = NULL;
    char q[32];
    if (db_query(rq->db, &r, err, status_sql, "lsl", (long long)dispatch, rq->who.org_path,
                 (long long)item) != 0)
        return -1;
    if (r->nrows == 0) {
        snprintf(out, n, "nothing (no open line of this list is in your depots)");
    } else {
        qty_format(db_get_qty(r, 0, 5), q, sizeof(q));
        snprintf(out, n, "item %s %s, lot %s from bin %s (%s %s)", db_get(r, 0, 0),
                 db_get(r, 0, 1), db_get(r, 0, 2), db_get(r, 0, 3), q, db_get(r, 0, 4));
    }
    db_res_free(r);
    return 0;
}

/*
 * POST /dispatches/{id}/pick {"code", "qty"?, "pick_id"?}: the scanned lot
 * label must be one the list wants (same bin and lot, still to pick, in a
 * depot of the caller); qty defaults to what is left on that pick.
 */
int h_dispatch_pick(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct dsp d;
    struct db_res *r = NULL;
    char code[128], want[400];
    double q = 0;
    int has_qty = 0, has_pick = 0;
    int64_t bin, lot, pick_id = 0, depot, left, qty, stock;
    const struct jfield spec[] = {
        {"code", JF_STR, 1, code, sizeof(code), NULL},
        {"qty", JF_NUM, 0, &q, 0, &has_qty},
        {"pick_id", JF_ID, 0, &pick_id, 0, &has_pick},
    };

    /* Scope first: who may see it is decided before the body is looked at;
     * a scan then matches only picks of the caller's own depots. */
    if (dsp_load(rq, &d, 1, err) != 0)
        return -1;
    if (json_read(rq->body, spec, 3, err) != 0)
        return -1;
    if (!strcmp(d.status, "closed") || !strcmp(d.status, "cancelled"))
        return err_field(err, 409, "conflict", "status", "the dispatch is %s", d.status);
    if (scan_lot(rq, code, &bin, &lot, err) != 0)
        return -1;
    if (db_query(rq->db, &r, err,
                 "SELECT p.id, p.depot_id, p.item_id, p.qty_to_pick - p.qty_picked, i.integral"
                 " FROM dispatch_pick p JOIN item i ON i.id = p.item_id"
                 " JOIN depot dp ON dp.id = p.depot_id JOIN org_unit o ON o.id = dp.org_unit_id"
                 " WHERE p.dispatch_id = ? AND p.bin_id = ? AND p.lot_id = ?"
                 " AND p.status = 'open' AND p.qty_picked < p.qty_to_pick AND (? = 0 OR p.id = ?)"
                 " AND o.path LIKE CONCAT(?, '%') ORDER BY p.seq LIMIT 1",
                 "llllls", (long long)d.id, (long long)bin, (long long)lot, (long long)pick_id,
                 (long long)pick_id, rq->who.org_path) != 0)
        return -1;
    if (r->nrows == 0) {
        int64_t scanned_item = 0, in_list = 0;
        db_res_free(r);
        /* Not on the list (for this user): say what the list wants. */
        if (db_query_int(rq->db, &scanned_item, err, "SELECT item_id FROM lot WHERE id = ?", "l",
                         (long long)lot) != 0)
            return -1;
        if (db_query_int(rq->db, &in_list, err,
                         "SELECT COUNT(*) FROM dispatch_pick p JOIN depot dp ON dp.id = p.depot_id"
                         " JOIN org_unit o ON o.id = dp.org_unit_id WHERE p.dispatch_id = ?"
                         " AND p.status = 'open' AND o.path LIKE CONCAT(?, '%')",
                         "ls", (long long)d.id, rq->who.org_path) != 0)
            return -1;
        if (in_list == 0)
            return err_field(err, 409, "nothing_to_pick", "code",
                             "nothing on this pick list is left to pick in your depots");
        if (want_text(rq, d.id, scanned_item,
                      "SELECT i.code, i.name_zh, l.lot_no, b.code, i.unit,"
                      " p.qty_to_pick - p.qty_picked FROM dispatch_pick p JOIN item i"
                      " ON i.id = p.item_id JOIN lot l ON l.id = p.lot_id JOIN bin b"
                      " ON b.id = p.bin_id JOIN depot dp ON dp.id = p.depot_id JOIN org_unit o"
                      " ON o.id = dp.org_unit_id WHERE p.dispatch_id = ? AND p.status = 'open'"
                      " AND o.path LIKE CONCAT(?, '%') ORDER BY p.item_id = ? DESC, p.seq LIMIT 1",
                      want, sizeof(want), err) != 0)
            return -1;
        {
            int64_t listed_item = 0;
            if (db_query_int(rq->db, &listed_item, err,
                             "SELECT COUNT(*) FROM dispatch_pick p JOIN depot dp"
                             " ON dp.id = p.depot_id JOIN org_unit o ON o.id = dp.org_unit_id"
                             " WHERE p.dispatch_id = ? AND p.item_id = ? AND p.status = 'open'"
                             " AND o.path LIKE CONCAT(?, '%')",
                             "lls", (long long)d.id, (long long)scanned_item,
                             rq->who.org_path) != 0)
                return -1;
            return err_field(err, 409, listed_item ? "wrong_lot" : "wrong_item", "code",
                             "%s: the pick list wants %s",
                             listed_item ? "wrong lot or bin" : "wrong item", want);
        }
    }
    pick_id = db_get_int(r, 0, 0);
    depot = db_get_int(r, 0, 1);
    left = db_get_qty(r, 0, 3);
    {
        int integral = (int)db_get_int(r, 0, 4);
        db_res_free(r);
        if (has_qty) {
            if (json_qty_check(q, integral, 0, "qty", &qty, err) != 0)
                return -1;
        } else {
            qty = left;
        }
    }
    if (auth_check_depot(rq->db, &rq->who, depot, err) != 0)
        return -1;
    if (qty > left) {
        char l[32];
        qty_format(left, l, sizeof(l));
        return err_field(err, 422, "rule_broken", "qty", "only %s is left to pick on this line", l);
    }
    /* What is on the shelf must cover everything picked of it and not shipped. */
    if (db_query(rq->db, &r, err,
                 "SELECT IFNULL((SELECT qty FROM stock WHERE bin_id = ? AND lot_id = ?), 0)"
                 " - IFNULL((SELECT SUM(qty_picked) FROM dispatch_pick WHERE bin_id = ?"
                 " AND lot_id = ? AND status IN ('open', 'picked')), 0)",
                 "llll", (long long)bin, (long long)lot, (long long)bin, (long long)lot) != 0)
        return -1;
    stock = db_get_qty(r, 0, 0);
    db_res_free(r);
    if (qty > stock) {
        char s[32];
        qty_format(stock > 0 ? stock : 0, s, sizeof(s));
        return err_field(err, 409, "insufficient_stock", "qty",
                         "the bin holds only %s of this lot not yet picked", s);
    }
    if (db_exec(rq->db, err,
                "UPDATE dispatch_pick SET qty_picked = qty_picked + ?, picked_by = ?,"
                " picked_at = NOW(6), status = IF(qty_picked >= qty_to_pick, 'picked', status)"
                " WHERE id = ? AND status = 'open' AND qty_picked + ? <= qty_to_pick",
                "qllq", qty, (long long)rq->who.user_id, (long long)pick_id, qty) != 0)
        return -1;
    if (db_affected(rq->db) != 1)
        return err_set(err, 409, "conflict", "the pick changed meanwhile: scan again");
    if (dsp_refresh(rq, d.id, NULL, err) != 0 ||
        dsp_audit(rq, "dispatch.pick", d.id,
                  json_pack("{s:I, s:o}", "pick_id", (json_int_t)pick_id, "qty", json_qty(qty)),
                  err) != 0)
        return -1;
    return respond_dispatch(rq, rs, 200, d.id,
                            json_pack("{s:I, s:o}", "picked_pick_id", (json_int_t)pick_id,
                                      "picked_qty", json_qty(qty)),
                            err);
}

/*
 * POST /dispatches/{id}/ship {"depot_id"?}: every pick with something
 * picked in the caller's depots (or the one named) leaves: a transfer row
 * and its transfer_out.  A pick picked only in part is split first: what
 * was picked ships, the rest stays on the list as a new open pick.
 */
int h_dispatch_ship(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct dsp d;
    struct db_res *r = NULL;
    int64_t only_depot = 0;
    int has_depot = 0, shipped = 0;
    char ref[40];
    const struct jfield spec[] = {
        {"depot_id", JF_ID, 0, &only_depot, 0, &has_depot},
    };

    if (dsp_load(rq, &d, 1, err) != 0)
        return -1;
    if (json_read(rq->body, spec, 1, err) != 0)
        return -1;
    if (!strcmp(d.status, "closed") || !strcmp(d.status, "cancelled"))
        return err_field(err, 409, "conflict", "status", "the dispatch is %s", d.status);
    if (has_depot && auth_check_depot(rq->db, &rq->who, only_depot, err) != 0)
        return -1;
    if (db_query(rq->db, &r, err,
                 "SELECT p.id, p.depot_id, p.bin_id, p.lot_id, p.item_id, p.qty_to_pick,"
                 " p.qty_picked, p.seq, p.dispatch_line_id FROM dispatch_pick p"
                 " JOIN depot dp ON dp.id = p.depot_id JOIN org_unit o ON o.id = dp.org_unit_id"
                 " WHERE p.dispatch_id = ? AND p.status IN ('open', 'picked') AND p.qty_picked > 0"
                 " AND o.path LIKE CONCAT(?, '%') AND (? = 0 OR p.depot_id = ?) ORDER BY p.seq",
                 "lsll", (long long)d.id, rq->who.org_path, (long long)only_depot,
                 (long long)only_depot) != 0)
        return -1;
    if (r->nrows == 0) {
        db_res_free(r);
        return err_set(err, 409, "nothing_to_ship",
                       "nothing picked in your depots is waiting to ship on this dispatch");
    }
    snprintf(ref, sizeof(ref), "dispatch-%lld", (long long)d.id);
    for (int i = 0; i < r->nrows; i++) {
        int64_t pid = db_get_int(r, i, 0), depot = db_get_int(r, i, 1), bin = db_get_int(r, i, 2);
        int64_t lot = db_get_int(r, i, 3), item = db_get_int(r, i, 4);
        int64_t to_pick = db_get_qty(r, i, 5), picked = db_get_qty(r, i, 6), tid;
        struct ledger_entry e = {0};

        if (auth_check_depot(rq->db, &rq->who, depot, err) != 0)
            goto fail;
        if (picked < to_pick &&
            (db_exec(rq->db, err,
                     "INSERT INTO dispatch_pick (dispatch_id, dispatch_line_id, depot_id, bin_id,"
                     " lot_id, item_id, seq, qty_to_pick) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     "lllllllq", (long long)d.id, (long long)db_get_int(r, i, 8),
                     (long long)depot, (long long)bin, (long long)lot, (long long)item,
                     (long long)db_get_int(r, i, 7), to_pick - picked) != 0 ||
             db_exec(rq->db, err, "UPDATE dispatch_pick SET qty_to_pick = ? WHERE id = ?", "ql",
                     picked, (long long)pid) != 0))
            goto fail;
        if (db_exec(rq->db, err,
                    "INSERT INTO transfer (lot_id, item_id, from_bin_id, from_depot_id,"
                    " to_depot_id, qty_shipped, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    "lllllql", (long long)lot, (long long)item, (long long)bin, (long long)depot,
                    (long long)d.to_depot_id, picked, (long long)rq->who.user_id) != 0)
            goto fail;
        tid = (int64_t)db_insert_id(rq->db);
        e.kind = "transfer_out";
        e.bin_id = bin;
        e.lot_id = lot;
        e.qty = -picked;
        e.transfer_id = tid;
        e.reference = ref;
        e.reason = "dispatch";
        if (ledger_post(rq->db, &rq->who, &e, NULL, NULL, err) != 0)
            goto fail;
        if (db_exec(rq->db, err,
                    "UPDATE dispatch_pick SET status = 'shipped', transfer_id = ?,"
                    " qty_shipped = ?, shipped_by = ?, shipped_at = NOW(6) WHERE id = ?",
                    "lqll", (long long)tid, picked, (long long)rq->who.user_id,
                    (long long)pid) != 0)
            goto fail;
        shipped++;
    }
    db_res_free(r);
    if (dsp_refresh(rq, d.id, NULL, err) != 0 ||
        dsp_audit(rq, "dispatch.ship", d.id, json_pack("{s:i}", "picks", shipped), err) != 0)
        return -1;
    return respond_dispatch(rq, rs, 200, d.id, json_pack("{s:i}", "shipped_picks", shipped), err);
fail:
    db_res_free(r);
    return -1;
}

/* Read an optional non-negative quantity; 0 when absent. */
static int opt_qty(double v, int present, int integral, const char *field, int64_t *out,
                   struct app_err *err)
{
    *out = 0;
    if (!present || v == 0)
        return 0;
    return json_qty_check(v, integral, 0, field, out, err);
}

/*
 * POST /dispatches/{id}/receive {"code" | "pick_id", "to_bin_id", "qty",
 * "qty_damaged"?, "qty_short"?}: at the destination.  qty (good) and
 * qty_damaged both arrive (transfer_in); the damaged part is then disposed
 * from the receiving bin, so the ledger shows it came and was written off.
 * qty_short never arrived: it is written off in transit (transfer.qty_lost).
 */
int h_dispatch_receive(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct dsp d;
    struct db_res *r = NULL;
    char code[128] = "", ref[40], label_code[LABEL_CODE_LEN + 1] = "";
    double qv = 0, dv = 0, sv = 0;
    int has_code = 0, has_pick = 0, has_q = 0, has_d = 0, has_s = 0, integral, created;
    int64_t pick_id = 0, to_bin = 0, bin_depot, bin = 0, lot = 0, tid, open, good, dmg, shrt;
    int64_t label_id;
    struct ledger_entry e = {0};
    const struct jfield spec[] = {
        {"code", JF_STR, 0, code, sizeof(code), &has_code},
        {"pick_id", JF_ID, 0, &pick_id, 0, &has_pick},
        {"to_bin_id", JF_ID, 1, &to_bin, 0, NULL},
        {"qty", JF_NUM, 0, &qv, 0, &has_q},
        {"qty_damaged", JF_NUM, 0, &dv, 0, &has_d},
        {"qty_short", JF_NUM, 0, &sv, 0, &has_s},
    };

    /* Only the destination receives; decided before the body is read. */
    if (dsp_load(rq, &d, 1, err) != 0 || auth_check_depot(rq->db, &rq->who, d.to_depot_id, err) != 0)
        return -1;
    if (json_read(rq->body, spec, 6, err) != 0)
        return -1;
    if (!has_code && !has_pick)
        return err_field(err, 400, "missing_field", "code", "scan the goods' label (code) or name pick_id");
    if (qv < 0 || dv < 0 || sv < 0)
        return err_field(err, 400, "bad_quantity", qv < 0 ? "qty" : dv < 0 ? "qty_damaged" : "qty_short",
                         "quantities are 0 or more");
    if (db_query_int(rq->db, &bin_depot, err, "SELECT depot_id FROM bin WHERE id = ?", "l",
                     (long long)to_bin) != 0)
        return err->http == 404 ? err_field(err, 422, "unknown_reference", "to_bin_id",
                                            "no bin %lld", (long long)to_bin)
                                : -1;
    if (bin_depot != d.to_depot_id)
        return err_field(err, 422, "rule_broken", "to_bin_id",
                         "the bin is not in the dispatch's destination depot");
    if (has_code && scan_lot(rq, code, &bin, &lot, err) != 0)
        return -1;
    if (db_query(rq->db, &r, err,
                 "SELECT p.id, p.transfer_id, t.qty_shipped - t.qty_received - t.qty_lost,"
                 " i.integral, p.lot_id FROM dispatch_pick p JOIN transfer t ON t.id = p.transfer_id"
                 " JOIN item i ON i.id = p.item_id WHERE p.dispatch_id = ? AND p.status = 'shipped'"
                 " AND (? = 0 OR p.lot_id = ?) AND (? = 0 OR p.id = ?)"
                 " AND t.qty_shipped - t.qty_received - t.qty_lost > 0"
                 " ORDER BY p.bin_id = ? DESC, p.seq LIMIT 1 FOR UPDATE",
                 "llllll", (long long)d.id, (long long)lot, (long long)lot, (long long)pick_id,
                 (long long)pick_id, (long long)bin) != 0)
        return -1;
    if (r->nrows == 0) {
        char want[400];
        db_res_free(r);
        /* want_text binds (dispatch, scope path, item); at the destination
         * every line in transit is the caller's, so the path only has to be
         * there. */
        if (want_text(rq, d.id, 0,
                      "SELECT i.code, i.name_zh, l.lot_no, b.code, i.unit,"
                      " t.qty_shipped - t.qty_received - t.qty_lost FROM dispatch_pick p"
                      " JOIN item i ON i.id = p.item_id JOIN lot l ON l.id = p.lot_id"
                      " JOIN bin b ON b.id = p.bin_id JOIN transfer t ON t.id = p.transfer_id"
                      " WHERE p.dispatch_id = ? AND p.status = 'shipped' AND ? <> ''"
                      " AND t.qty_shipped - t.qty_received - t.qty_lost > 0"
                      " ORDER BY p.item_id = ? DESC, p.seq LIMIT 1",
                      want, sizeof(want), err) != 0)
            return -1;
        return err_field(err, 409, "wrong_lot", has_code ? "code" : "pick_id",
                         "this is not in transit on this dispatch: it carries %s", want);
    }
    pick_id = db_get_int(r, 0, 0);
    tid = db_get_int(r, 0, 1);
    open = db_get_qty(r, 0, 2);
    integral = (int)db_get_int(r, 0, 3);
    lot = db_get_int(r, 0, 4);
    db_res_free(r);
    if (opt_qty(qv, has_q, integral, "qty", &good, err) != 0 ||
        opt_qty(dv, has_d, integral, "qty_damaged", &dmg, err) != 0 ||
        opt_qty(sv, has_s, integral, "qty_short", &shrt, err) != 0)
        return -1;
    if (!has_q && !has_d && !has_s)
        good = open; /* a bare scan receives what is in transit on that pick */
    if (good + dmg + shrt == 0)
        return err_field(err, 400, "bad_quantity", "qty", "receive something: qty, qty_damaged or qty_short");
    if (good + dmg + shrt > open) {
        char o[32];
        qty_format(open, o, sizeof(o));
        return err_field(err, 422, "rule_broken", "qty",
                         "only %s of this lot is in transit on this pick", o);
    }
    if (db_exec(rq->db, err, "SELECT id FROM transfer WHERE id = ? FOR UPDATE", "l",
                (long long)tid) != 0 ||
        db_exec(rq->db, err,
                "UPDATE transfer SET qty_received = qty_received + ?, qty_lost = qty_lost + ?,"
                " status = IF(qty_received + qty_lost >= qty_shipped, 'received', status)"
                " WHERE id = ?",
                "qql", good + dmg, shrt, (long long)tid) != 0)
        return -1;
    snprintf(ref, sizeof(ref), "dispatch-%lld", (long long)d.id);
    if (good + dmg > 0) {
        e.kind = "transfer_in";
        e.bin_id = to_bin;
        e.lot_id = lot;
        e.qty = good + dmg;
        e.transfer_id = tid;
        e.reference = ref;
        e.reason = "dispatch";
        if (ledger_post(rq->db, &rq->who, &e, NULL, NULL, err) != 0)
            return -1;
    }
    if (dmg > 0) {
        struct ledger_entry x = {0};
        x.kind = "dispose";
        x.bin_id = to_bin;
        x.lot_id = lot;
        x.qty = -dmg;
        x.reference = ref;
        x.reason = "damaged in transit";
        if (ledger_post(rq->db, &rq->who, &x, NULL, NULL, err) != 0)
            return -1;
    }
    if (db_exec(rq->db, err,
                "UPDATE dispatch_pick SET qty_received = qty_received + ?,"
                " qty_damaged = qty_damaged + ?, qty_short = qty_short + ?, to_bin_id = ?,"
                " received_by = ?, received_at = NOW(6),"
                " status = IF(qty_received + qty_short >= qty_shipped, 'received', status)"
                " WHERE id = ?",
                "qqqlll", good + dmg, dmg, shrt, (long long)to_bin, (long long)rq->who.user_id,
                (long long)pick_id) != 0)
        return -1;
    /* The goods on the destination shelf get their own label there. */
    if (good > 0) {
        struct label_target t = {"lot", d.to_depot_id, to_bin, lot, 0};
        if (label_ensure(rq->db, rq->who.user_id, &t, &label_id, label_code, &created, err) != 0)
            return -1;
    }
    {
        int closed = 0;
        if (dsp_refresh(rq, d.id, &closed, err) != 0 ||
            dsp_audit(rq, "dispatch.receive", d.id,
                      json_pack("{s:I, s:o, s:o, s:o}", "pick_id", (json_int_t)pick_id, "qty",
                                json_qty(good), "qty_damaged", json_qty(dmg), "qty_short",
                                json_qty(shrt)),
                      err) != 0)
            return -1;
    }
    return respond_dispatch(rq, rs, 200, d.id,
                            json_pack("{s:I, s:s}", "received_pick_id", (json_int_t)pick_id,
                                      "label_code", label_code),
                            err);
}

/* POST /dispatches/{id}/cancel {"reason"}: releases everything not yet
 * shipped; a dispatch nothing of which shipped becomes cancelled, else it
 * closes when what did ship is accounted for. */
int h_dispatch_cancel(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct dsp d;
    char reason[256];
    const struct jfield spec[] = {
        {"reason", JF_STR, 1, reason, sizeof(reason), NULL},
    };

    if (dsp_load(rq, &d, 1, err) != 0 || json_read(rq->body, spec, 1, err) != 0)
        return -1;
    if (!reason[0])
        return err_field(err, 400, "bad_value", "reason", "say why the dispatch is cancelled");
    if (!strcmp(d.status, "closed") || !strcmp(d.status, "cancelled"))
        return err_field(err, 409, "conflict", "status", "the dispatch is %s", d.status);
    if (db_exec(rq->db, err,
                "UPDATE dispatch_pick SET status = 'released' WHERE dispatch_id = ?"
                " AND status IN ('open', 'picked')",
                "l", (long long)d.id) != 0 ||
        db_exec(rq->db, err,
                "UPDATE dispatch SET cancelled_by = ?, cancel_reason = ? WHERE id = ?", "lsl",
                (long long)rq->who.user_id, reason, (long long)d.id) != 0 ||
        dsp_refresh(rq, d.id, NULL, err) != 0 ||
        dsp_audit(rq, "dispatch.cancel", d.id, json_pack("{s:s}", "reason", reason), err) != 0)
        return -1;
    return respond_dispatch(rq, rs, 200, d.id, NULL, err);
}
