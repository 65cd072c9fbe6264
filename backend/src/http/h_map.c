/*
 * h_map.c -- the offline "one map" (应急一张图): one GeoJSON layer per call,
 * the boundary import and point corrections (docs/map.md).
 *
 * Every layer is an RFC 7946 FeatureCollection in WGS84 [lon, lat] order,
 * with the layer's own facts (as_of, season, the item asked for) as foreign
 * members.  A feature without a known point has "geometry": null, which RFC
 * 7946 allows, so a town is never silently missing from the table view.
 *
 * Scope.  The geography (where each town, depot and team is, and what it is
 * called) is the same for everybody: it is printed on any map of the city
 * and a town official needs it to see where help comes from.  What is *in*
 * a place -- readiness status, stock, headcounts, dispatches -- follows the
 * rule of every other call: the caller's org unit and its subtree.  Features
 * outside the scope carry "in_scope": false and nothing else.
 */
#include "handlers.h"
#include "export.h"
#include "jsonin.h"
#include "query.h"

#include "../core/buf.h"
#include "../core/util.h"
#include "../domain/audit.h"
#include "../domain/geo.h"
#include "../domain/readiness.h"
#include "../store/db.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Imported areas and corrected points may reach this far (degrees, about
 * 5 km) outside the outline's bounding box: the generalised outline cuts
 * corners, an official boundary does not. */
#define AREA_MARGIN 0.05

#define TOWN_KINDS "('subdistrict', 'town', 'park')"

/* ---------------------------------------------------------------- helpers */

static json_t *jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *jpct(int x10)
{
    if (x10 < 0)
        return json_null();
    if (x10 % 10 == 0)
        return json_integer(x10 / 10);
    return json_real(x10 / 10.0);
}

/* A Point geometry from two DECIMAL cells, or null when either is NULL. */
static json_t *point_geom(const char *lat, const char *lon)
{
    if (!lat || !lon)
        return json_null();
    return json_pack("{s:s, s:[f, f]}", "type", "Point", "coordinates", strtod(lon, NULL),
                     strtod(lat, NULL));
}

static json_t *feature(json_t *geometry, json_t *props)
{
    return json_pack("{s:s, s:o, s:o}", "type", "Feature", "geometry", geometry, "properties",
                     props);
}

static json_t *collection(const char *layer)
{
    return json_pack("{s:s, s:s, s:[]}", "type", "FeatureCollection", "layer", layer, "features");
}

static void add_feature(json_t *fc, json_t *f)
{
    json_array_append_new(json_object_get(fc, "features"), f);
}

/* The outline's bbox, if one is loaded (*have 0 otherwise). */
static int outline_bbox(struct db_conn *db, struct geo_bbox *bb, int *have, struct app_err *err)
{
    struct db_res *r = NULL;
    geo_bbox_init(bb);
    *have = 0;
    if (db_query(db, &r, err,
                 "SELECT min_lon, min_lat, max_lon, max_lat FROM map_layer WHERE code = 'outline'",
                 "") != 0)
        return -1;
    if (r->nrows == 1) {
        geo_bbox_add(bb, strtod(db_get(r, 0, 0), NULL), strtod(db_get(r, 0, 1), NULL));
        geo_bbox_add(bb, strtod(db_get(r, 0, 2), NULL), strtod(db_get(r, 0, 3), NULL));
        *have = 1;
    }
    db_res_free(r);
    return 0;
}

/* ---------------------------------------------------------------- outline, boundaries */

int h_map_outline(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct db_res *r = NULL;
    json_t *fc = collection("outline");

    if (db_query(rq->db, &r, err,
                 "SELECT geojson, source, min_lon, min_lat, max_lon, max_lat, loaded_at"
                 " FROM map_layer WHERE code = 'outline'",
                 "") != 0) {
        json_decref(fc);
        return -1;
    }
    if (r->nrows == 1) {
        json_error_t je;
        json_t *f = json_loads(db_get(r, 0, 0), 0, &je);
        if (!f) {
            db_res_free(r);
            json_decref(fc);
            return err_set(err, 500, "internal", "the stored outline does not parse");
        }
        add_feature(fc, f);
        json_object_set_new(fc, "bbox",
                            json_pack("[f, f, f, f]", strtod(db_get(r, 0, 2), NULL),
                                      strtod(db_get(r, 0, 3), NULL), strtod(db_get(r, 0, 4), NULL),
                                      strtod(db_get(r, 0, 5), NULL)));
        json_object_set_new(fc, "source", jstr(db_get(r, 0, 1)));
    }
    db_res_free(r);
    resp_json(rs, 200, fc);
    return 0;
}

int h_map_boundaries(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct db_res *r = NULL;
    json_t *fc = collection("boundaries");

    if (db_query(rq->db, &r, err,
                 "SELECT b.geometry, o.code, o.name_zh, o.name_en, o.kind, o.path, b.source,"
                 " b.loaded_at FROM org_unit_boundary b JOIN org_unit o ON o.id = b.org_unit_id"
                 " ORDER BY o.code",
                 "") != 0) {
        json_decref(fc);
        return -1;
    }
    for (int i = 0; i < r->nrows; i++) {
        json_error_t je;
        json_t *g = json_loads(db_get(r, i, 0), 0, &je);
        if (!g)
            continue; /* checked on import; never expected */
        add_feature(
            fc,
            feature(g, json_pack("{s:o, s:o, s:o, s:o, s:b, s:o, s:o}", "code",
                                 jstr(db_get(r, i, 1)), "name_zh", jstr(db_get(r, i, 2)), "name_en",
                                 jstr(db_get(r, i, 3)), "kind", jstr(db_get(r, i, 4)), "in_scope",
                                 auth_in_scope(&rq->who, db_get(r, i, 5)), "source",
                                 jstr(db_get(r, i, 6)), "loaded_at", jstr(db_get(r, i, 7)))));
    }
    db_res_free(r);
    resp_json(rs, 200, fc);
    return 0;
}

/* ---------------------------------------------------------------- towns */

/* season / as_of of a readiness question, as GET /readiness/city reads them. */
static int read_rd(struct req *rq, struct rd_request *q, char as_of[11], struct app_err *err)
{
    int has_date, has_season;
    int64_t season = 0;

    memset(q, 0, sizeof(*q));
    if (q_date(rq, "as_of", as_of, &has_date, err) != 0 ||
        q_int(rq, "season", &season, &has_season, err) != 0)
        return -1;
    if (has_season && (season < 2000 || season > 2200))
        return err_field(err, 400, "bad_query", "season", "season is a year 2000..2200");
    q->as_of = has_date ? as_of : NULL;
    q->season_year = has_season ? (int)season : 0;
    return 0;
}

static int line_of_item(const struct rd_result *r, int64_t item)
{
    for (int k = 0; k < r->std.nlines; k++)
        if (r->std.lines[k].item_id == item)
            return k;
    return -1;
}

/* The readiness part of a town feature (in scope only). */
static void town_status(json_t *p, const struct rd_result *r, const struct rd_unit *u, int line)
{
    const struct rd_line *W = u->worst_line >= 0 ? &r->std.lines[u->worst_line] : NULL;
    enum rd_status st = u->status;

    json_object_set_new(p, "overall_status", jstr(rd_status_name(u->status)));
    json_object_set_new(p, "min_coverage_pct", jpct(u->min_cov_x10));
    json_object_set_new(p, "worst_item_code", jstr(W ? W->item_code : NULL));
    json_object_set_new(p, "worst_item_name_zh", jstr(W ? W->item_name_zh : NULL));
    json_object_set_new(p, "lines_green", json_integer(u->n_green));
    json_object_set_new(p, "lines_amber", json_integer(u->n_amber));
    json_object_set_new(p, "lines_red", json_integer(u->n_red));
    json_object_set_new(p, "shortfall_lines", json_integer(u->n_short));
    json_object_set_new(p, "rotate", json_integer(u->rotate_rows));
    json_object_set_new(p, "reserve_persons", json_integer(u->persons));
    if (line >= 0) {
        const struct rd_line_out *O = &u->lines[line];
        int64_t usable = O->own + O->from_subs;
        st = O->status;
        json_object_set_new(p, "item_required", json_qty(O->required));
        json_object_set_new(p, "item_usable", json_qty(usable));
        json_object_set_new(p, "item_shortfall",
                            json_qty(O->required > usable ? O->required - usable : 0));
        json_object_set_new(p, "item_coverage_pct", jpct(O->coverage_x10));
    }
    /* "status" is what the map colours: the town's, or the item line's. */
    json_object_set_new(p, "status", jstr(rd_status_name(st)));
}

/*
 * GET /map/towns?season=&as_of=&item=&status=: every town-level unit as a
 * point (null geometry without one), with readiness for the ones in scope.
 * The readiness is rd_city -- the city view's one computation for all towns
 * in scope -- never a question per town.
 */
static int towns_fc(struct req *rq, json_t **out, struct app_err *err)
{
    struct rd_request q;
    struct rd_result r;
    struct db_res *t = NULL;
    char as_of[11], d[11];
    const char *status, *iref = req_query(rq, "item");
    int64_t item = 0;
    int line = -1, rc = -1, sum[3] = {0, 0, 0};
    json_t *fc = NULL;

    memset(&r, 0, sizeof(r));
    if (read_rd(rq, &q, as_of, err) != 0 ||
        q_enum(rq, "status", "green|amber|red", &status, err) != 0)
        return -1;
    if (iref &&
        resolve_filter(rq->db, iref, "SELECT id FROM item WHERE code = ?", &item, "item", err) != 0)
        return -1;
    if (rd_city(rq->db, rq->who.org_path, &q, &r, err) != 0)
        goto done;
    if (iref && r.has_std && (line = line_of_item(&r, item)) < 0) {
        err_field(err, 400, "bad_query", "item", "item %s has no line in the standard in force",
                  iref);
        goto done;
    }
    if (db_query(rq->db, &t, err,
                 "SELECT o.id, o.code, o.kind, o.name_zh, o.name_en, o.population, o.lat, o.lon,"
                 " o.path, (SELECT COUNT(*) FROM org_unit_boundary b WHERE b.org_unit_id = o.id)"
                 " FROM org_unit o WHERE o.kind IN " TOWN_KINDS " ORDER BY o.code",
                 "") != 0)
        goto done;
    fc = collection("towns");
    rd_day_format(r.as_of, d);
    json_object_set_new(fc, "as_of", json_string(d));
    json_object_set_new(fc, "season",
                        json_pack("{s:i, s:s}", "year", r.season.year, "basis", r.season.basis));
    {
        char s0[11], s1[11];
        rd_day_format(r.season.start, s0);
        rd_day_format(r.season.end, s1);
        json_object_set_new(json_object_get(fc, "season"), "start", json_string(s0));
        json_object_set_new(json_object_get(fc, "season"), "end", json_string(s1));
    }
    json_object_set_new(
        fc, "thresholds",
        json_pack("{s:i, s:i}", "green_pct", r.set.green_pct, "amber_pct", r.set.amber_pct));
    json_object_set_new(
        fc, "item",
        line >= 0
            ? json_pack("{s:o, s:o, s:o, s:o}", "item_code", jstr(r.std.lines[line].item_code),
                        "item_name_zh", jstr(r.std.lines[line].item_name_zh), "item_name_en",
                        jstr(r.std.lines[line].item_name_en), "unit", jstr(r.std.lines[line].unit))
            : json_null());
    for (int i = 0; i < t->nrows; i++) {
        int64_t id = db_get_int(t, i, 0);
        int in = auth_in_scope(&rq->who, db_get(t, i, 8));
        const struct rd_unit *u = NULL;
        json_t *p = json_pack("{s:o, s:o, s:o, s:o, s:b, s:b}", "code", jstr(db_get(t, i, 1)),
                              "kind", jstr(db_get(t, i, 2)), "name_zh", jstr(db_get(t, i, 3)),
                              "name_en", jstr(db_get(t, i, 4)), "in_scope", in, "has_boundary",
                              db_get_int(t, i, 9) > 0);
        json_object_set_new(p, "population",
                            db_get(t, i, 5) ? json_integer(db_get_int(t, i, 5)) : json_null());
        for (int k = 0; in && k < r.nunits; k++)
            if (r.units[k].id == id)
                u = &r.units[k];
        if (u) {
            town_status(p, &r, u, line);
        } else {
            json_object_set_new(p, "status", json_null());
        }
        {
            const char *s = json_string_value(json_object_get(p, "status"));
            if (s) {
                int k = strcmp(s, "green") == 0 ? 0 : strcmp(s, "amber") == 0 ? 1 : 2;
                sum[k]++;
            }
            if (status && (!s || strcmp(s, status) != 0)) {
                json_decref(p);
                continue;
            }
        }
        add_feature(fc, feature(point_geom(db_get(t, i, 6), db_get(t, i, 7)), p));
    }
    json_object_set_new(fc, "summary",
                        json_pack("{s:i, s:i, s:i, s:i}", "towns", t->nrows, "green", sum[0],
                                  "amber", sum[1], "red", sum[2]));
    *out = fc;
    fc = NULL;
    rc = 0;
done:
    json_decref(fc);
    db_res_free(t);
    rd_result_free(&r);
    return rc;
}

int h_map_towns(struct req *rq, struct resp *rs, struct app_err *err)
{
    json_t *fc = NULL;
    if (towns_fc(rq, &fc, err) != 0)
        return -1;
    resp_json(rs, 200, fc);
    return 0;
}

/* ---------------------------------------------------------------- depots */

/*
 * GET /map/depots?item=&kind=: every depot; in scope with a stock summary
 * (items held, holdings, quarantined and expired holdings) and, for
 * ?item=, the usable quantity of that item: not quarantined, not expired
 * today, less what open dispatch picks have reserved ("where are the life
 * jackets?").  Two grouped queries for all depots, not one per depot.
 */
int h_map_depots(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct db_res *d = NULL, *s = NULL, *q = NULL, *iv = NULL;
    const char *iref = req_query(rq, "item"), *kind;
    int64_t item = 0;
    int rc = -1, holding = 0;
    json_t *fc = NULL;

    if (q_enum(rq, "kind", "city|town|team|village", &kind, err) != 0)
        return -1;
    if (iref &&
        resolve_filter(rq->db, iref, "SELECT id FROM item WHERE code = ?", &item, "item", err) != 0)
        return -1;
    if (db_query(rq->db, &d, err,
                 "SELECT d.id, d.code, d.kind, d.name_zh, d.name_en, d.lat, d.lon, o.code,"
                 " o.name_zh, o.path, tm.code, town.code"
                 " FROM depot d JOIN org_unit o ON o.id = d.org_unit_id"
                 " LEFT JOIN team tm ON tm.id = d.team_id"
                 " LEFT JOIN org_unit town ON town.kind IN " TOWN_KINDS
                 "   AND o.path LIKE CONCAT(town.path, '%')"
                 " WHERE (? IS NULL OR d.kind = ?) ORDER BY d.code",
                 "ss", kind, kind) != 0 ||
        db_query(rq->db, &s, err,
                 "SELECT s.depot_id, COUNT(DISTINCT s.item_id), COUNT(*),"
                 " SUM(l.quarantined <> 0),"
                 " SUM(l.expiry_date IS NOT NULL AND l.expiry_date < UTC_DATE())"
                 " FROM stock s JOIN lot l ON l.id = s.lot_id WHERE s.qty > 0"
                 " GROUP BY s.depot_id ORDER BY s.depot_id",
                 "") != 0)
        goto done;
    if (item &&
        (db_query(rq->db, &q, err,
                  "SELECT s.depot_id, SUM(s.qty),"
                  " SUM(IF(l.quarantined = 0 AND (l.expiry_date IS NULL"
                  "  OR l.expiry_date >= UTC_DATE()), s.qty, 0)),"
                  " (SELECT COALESCE(SUM(p.qty_to_pick - p.qty_shipped), 0)"
                  "  FROM dispatch_pick p WHERE p.depot_id = s.depot_id"
                  "  AND p.item_id = s.item_id AND p.status IN ('open', 'picked'))"
                  " FROM stock s JOIN lot l ON l.id = s.lot_id"
                  " WHERE s.item_id = ? GROUP BY s.depot_id ORDER BY s.depot_id",
                  "l", (long long)item) != 0 ||
         db_query(rq->db, &iv, err, "SELECT code, name_zh, name_en, unit FROM item WHERE id = ?",
                  "l", (long long)item) != 0))
        goto done;
    fc = collection("depots");
    json_object_set_new(fc, "item",
                        iv && iv->nrows
                            ? json_pack("{s:o, s:o, s:o, s:o}", "item_code", jstr(db_get(iv, 0, 0)),
                                        "item_name_zh", jstr(db_get(iv, 0, 1)), "item_name_en",
                                        jstr(db_get(iv, 0, 2)), "unit", jstr(db_get(iv, 0, 3)))
                            : json_null());
    for (int i = 0; i < d->nrows; i++) {
        int64_t id = db_get_int(d, i, 0);
        int in = auth_in_scope(&rq->who, db_get(d, i, 9));
        json_t *p =
            json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b}", "code",
                      jstr(db_get(d, i, 1)), "kind", jstr(db_get(d, i, 2)), "name_zh",
                      jstr(db_get(d, i, 3)), "name_en", jstr(db_get(d, i, 4)), "org_unit_code",
                      jstr(db_get(d, i, 7)), "org_unit_name_zh", jstr(db_get(d, i, 8)), "team_code",
                      jstr(db_get(d, i, 10)), "town_code", jstr(db_get(d, i, 11)), "in_scope", in);
        if (in) {
            int64_t items = 0, rows = 0, quar = 0, exp = 0;
            /* Both results are sorted by depot id: a lookup is a scan here,
             * fine for a few hundred depots. */
            for (int k = 0; k < s->nrows; k++)
                if (db_get_int(s, k, 0) == id) {
                    items = db_get_int(s, k, 1);
                    rows = db_get_int(s, k, 2);
                    quar = db_get_int(s, k, 3);
                    exp = db_get_int(s, k, 4);
                }
            json_object_set_new(p, "stock",
                                json_pack("{s:I, s:I, s:I, s:I}", "items", (json_int_t)items,
                                          "holdings", (json_int_t)rows, "quarantined_holdings",
                                          (json_int_t)quar, "expired_holdings", (json_int_t)exp));
            if (item) {
                int64_t total = 0, usable = 0, reserved = 0, avail;
                for (int k = 0; k < q->nrows; k++)
                    if (db_get_int(q, k, 0) == id) {
                        total = db_get_qty(q, k, 1);
                        usable = db_get_qty(q, k, 2);
                        reserved = db_get_qty(q, k, 3);
                    }
                avail = usable > reserved ? usable - reserved : 0;
                if (avail > 0)
                    holding++;
                json_object_set_new(p, "item_total", json_qty(total));
                json_object_set_new(p, "item_usable", json_qty(usable));
                json_object_set_new(p, "item_reserved", json_qty(reserved));
                json_object_set_new(p, "item_available", json_qty(avail));
            }
        }
        add_feature(fc, feature(point_geom(db_get(d, i, 5), db_get(d, i, 6)), p));
    }
    if (item)
        json_object_set_new(fc, "depots_holding", json_integer(holding));
    resp_json(rs, 200, fc);
    fc = NULL;
    rc = 0;
done:
    json_decref(fc);
    db_res_free(d);
    db_res_free(s);
    db_res_free(q);
    db_res_free(iv);
    return rc;
}

/* ---------------------------------------------------------------- teams */

int h_map_teams(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct db_res *r = NULL;
    json_t *fc;

    if (db_query(rq->db, &r, err,
                 "SELECT t.code, t.kind, t.name_zh, t.name_en, t.headcount, t.lat, t.lon, o.code,"
                 " o.path FROM team t JOIN org_unit o ON o.id = t.org_unit_id ORDER BY t.code",
                 "") != 0)
        return -1;
    fc = collection("teams");
    for (int i = 0; i < r->nrows; i++) {
        int in = auth_in_scope(&rq->who, db_get(r, i, 8));
        json_t *p = json_pack("{s:o, s:o, s:o, s:o, s:o, s:b}", "code", jstr(db_get(r, i, 0)),
                              "kind", jstr(db_get(r, i, 1)), "name_zh", jstr(db_get(r, i, 2)),
                              "name_en", jstr(db_get(r, i, 3)), "org_unit_code",
                              jstr(db_get(r, i, 7)), "in_scope", in);
        if (in)
            json_object_set_new(p, "headcount", json_integer(db_get_int(r, i, 4)));
        add_feature(fc, feature(point_geom(db_get(r, i, 5), db_get(r, i, 6)), p));
    }
    db_res_free(r);
    resp_json(rs, 200, fc);
    return 0;
}

/* ---------------------------------------------------------------- dispatches */

/*
 * The state of one source's share of a dispatch, from its picks: what the
 * map colours.  A dispatch's own status sums all its sources; a line on the
 * map is one source, which may be further along than the others.
 */
static const char *leg_state(const char *dstatus, int64_t picks, int64_t open, int64_t picked,
                             int64_t shipped, int64_t received)
{
    if (strcmp(dstatus, "cancelled") == 0 || strcmp(dstatus, "closed") == 0)
        return dstatus;
    if (picks == 0)
        return "allocated";
    if (received > 0 && shipped == 0 && open == 0 && picked == 0)
        return "received";
    if (shipped > 0 || received > 0)
        return "in_transit";
    if (open == 0)
        return "picked";
    if (picked > 0)
        return "picking";
    return "allocated";
}

/*
 * GET /map/dispatches?status=&event=: one LineString per (dispatch, source
 * depot), source -> destination.  Default: the dispatches still open (not
 * closed or cancelled).  Seen when the source or the destination is in the
 * caller's scope, as the dispatch calls do.
 */
int h_map_dispatches(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct db_res *r = NULL;
    const char *status, *eref = req_query(rq, "event");
    int64_t event = 0;
    json_t *fc;

    if (q_enum(rq, "status",
               "allocated|picking|picked|in_transit|partially_received|received|closed|cancelled|"
               "all",
               &status, err) != 0)
        return -1;
    if (eref && resolve_filter(rq->db, eref, "SELECT id FROM emergency_event WHERE code = ?",
                               &event, "event", err) != 0)
        return -1;
    if (db_query(
            rq->db, &r, err,
            "SELECT x.id, x.status, e.code, e.name_zh, dl.depot_id,"
            " COUNT(DISTINCT dl.item_id), SUM(dl.qty_allocated),"
            " s.code, s.name_zh, s.lat, s.lon, so.path,"
            " t.code, t.name_zh, t.lat, t.lon, tor.path,"
            " COALESCE(MAX(pk.n), 0), COALESCE(MAX(pk.n_open), 0), COALESCE(MAX(pk.n_picked), 0),"
            " COALESCE(MAX(pk.n_shipped), 0), COALESCE(MAX(pk.n_received), 0), x.created_at"
            " FROM dispatch x JOIN dispatch_line dl ON dl.dispatch_id = x.id"
            " JOIN depot s ON s.id = dl.depot_id JOIN org_unit so ON so.id = s.org_unit_id"
            " JOIN depot t ON t.id = x.to_depot_id JOIN org_unit tor ON tor.id = t.org_unit_id"
            " LEFT JOIN emergency_event e ON e.id = x.event_id"
            " LEFT JOIN (SELECT dispatch_id, depot_id, COUNT(*) n,"
            "   SUM(status = 'open') n_open, SUM(status = 'picked') n_picked,"
            "   SUM(status = 'shipped') n_shipped, SUM(status = 'received') n_received"
            "   FROM dispatch_pick WHERE status <> 'released' GROUP BY dispatch_id, depot_id) pk"
            "   ON pk.dispatch_id = x.id AND pk.depot_id = dl.depot_id"
            " WHERE (? IS NULL AND x.status NOT IN ('closed', 'cancelled')"
            "        OR ? = 'all' OR x.status = ?)"
            " AND (? = 0 OR x.event_id = ?)"
            " AND (so.path LIKE CONCAT(?, '%') OR tor.path LIKE CONCAT(?, '%'))"
            " GROUP BY x.id, dl.depot_id ORDER BY x.id, dl.depot_id",
            "sssllss", status, status, status, (long long)event, (long long)event, rq->who.org_path,
            rq->who.org_path) != 0)
        return -1;
    fc = collection("dispatches");
    for (int i = 0; i < r->nrows; i++) {
        const char *sl = db_get(r, i, 9), *so = db_get(r, i, 10), *tl = db_get(r, i, 14),
                   *to = db_get(r, i, 15);
        json_t *g = json_null();
        if (sl && so && tl && to)
            g = json_pack("{s:s, s:[[f, f], [f, f]]}", "type", "LineString", "coordinates",
                          strtod(so, NULL), strtod(sl, NULL), strtod(to, NULL), strtod(tl, NULL));
        add_feature(
            fc,
            feature(g, json_pack("{s:I, s:o, s:s, s:o, s:o, s:I, s:o, s:o, s:o, s:o, s:o, s:o}",
                                 "dispatch_id", (json_int_t)db_get_int(r, i, 0), "dispatch_status",
                                 jstr(db_get(r, i, 1)), "state",
                                 leg_state(db_get(r, i, 1), db_get_int(r, i, 17),
                                           db_get_int(r, i, 18), db_get_int(r, i, 19),
                                           db_get_int(r, i, 20), db_get_int(r, i, 21)),
                                 "event_code", jstr(db_get(r, i, 2)), "event_name_zh",
                                 jstr(db_get(r, i, 3)), "items", (json_int_t)db_get_int(r, i, 5),
                                 "qty_allocated", json_qty(db_get_qty(r, i, 6)), "from_depot_code",
                                 jstr(db_get(r, i, 7)), "from_depot_name_zh", jstr(db_get(r, i, 8)),
                                 "to_depot_code", jstr(db_get(r, i, 12)), "to_depot_name_zh",
                                 jstr(db_get(r, i, 13)), "created_at", jstr(db_get(r, i, 22)))));
    }
    db_res_free(r);
    resp_json(rs, 200, fc);
    return 0;
}

/* ---------------------------------------------------------------- boundary import */

/* A feature's town: by properties.code/adcode (string or number), else by
 * name_zh/name.  0 when none; *how says which key matched. */
static int match_town(struct db_conn *db, const json_t *feat, int64_t *id, char code[33],
                      const char **how, struct app_err *err)
{
    static const char *const ckeys[] = {"code", "adcode", NULL};
    static const char *const nkeys[] = {"name_zh", "name", NULL};
    const json_t *props = json_object_get(feat, "properties");
    struct db_res *r = NULL;

    *id = 0;
    for (int i = 0; ckeys[i]; i++) {
        const json_t *v = json_object_get(props, ckeys[i]);
        char buf[40];
        if (json_is_string(v))
            snprintf(buf, sizeof(buf), "%s", json_string_value(v));
        else if (json_is_integer(v))
            snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
        else
            continue;
        if (db_query(db, &r, err,
                     "SELECT id, code FROM org_unit WHERE code = ? AND kind IN " TOWN_KINDS, "s",
                     buf) != 0)
            return -1;
        if (r->nrows == 1) {
            *id = db_get_int(r, 0, 0);
            snprintf(code, 33, "%s", db_get(r, 0, 1));
            *how = ckeys[i];
        }
        db_res_free(r);
        if (*id)
            return 0;
    }
    for (int i = 0; nkeys[i]; i++) {
        const char *s = json_string_value(json_object_get(props, nkeys[i]));
        if (!s)
            continue;
        if (db_query(db, &r, err,
                     "SELECT id, code FROM org_unit WHERE name_zh = ? AND kind IN " TOWN_KINDS, "s",
                     s) != 0)
            return -1;
        if (r->nrows == 1) {
            *id = db_get_int(r, 0, 0);
            snprintf(code, 33, "%s", db_get(r, 0, 1));
            *how = nkeys[i];
        }
        db_res_free(r);
        if (*id)
            return 0;
    }
    return 0;
}

/* 400 bad_geojson with the checker's reason; the check word in brackets
 * is kept even when the message has to be shortened to fit. */
static int geo_refuse(struct app_err *err, const struct geo_fail *f)
{
    char field[64] = "", msg[sizeof(err->msg)];
    size_t room = sizeof(err->msg) - strlen(f->check) - 4;
    if (f->feature >= 0)
        snprintf(field, sizeof(field), "features[%d].geometry", f->feature);
    geo_utf8_cut(f->msg, room, msg);
    return err_field(err, 400, "bad_geojson", field, "%s [%s]", msg, f->check);
}

int map_import_boundaries(struct db_conn *db, int64_t user_id, const json_t *doc,
                          const char *source, json_t **summary, struct app_err *err)
{
    struct geo_bbox all, city;
    struct geo_stats st;
    struct geo_fail f;
    const json_t *feats;
    json_t *tmp = NULL, *towns = json_array();
    long long uid = (long long)user_id; /* NULL in the row when 0: the command line */
    int have_city, n, rc = -1;
    int64_t *ids = NULL;
    *summary = NULL;
    if (source && strlen(source) > 255) {
        err_field(err, 400, "bad_query", "source", "source is at most 255 characters");
        goto done;
    }
    if (geo_check_collection(doc, &all, &st, &f) != 0) {
        geo_refuse(err, &f);
        goto done;
    }
    if (outline_bbox(db, &city, &have_city, err) != 0)
        goto done;
    feats = geo_features(doc, &tmp);
    n = (int)json_array_size(feats);
    ids = calloc((size_t)n + 1, sizeof(*ids));
    if (!ids) {
        err_set(err, 500, "internal", "out of memory");
        goto done;
    }
    /* Match and place every feature before writing any. */
    for (int i = 0; i < n; i++) {
        const json_t *ft = json_array_get(feats, i);
        const char *how = NULL;
        char code[33] = "", label[61];
        struct geo_bbox fb;
        geo_utf8_cut(geo_feature_label(ft), 60, label);
        geo_bbox_init(&fb);
        if (geo_check_geometry(json_object_get(ft, "geometry"), i, label, &fb, NULL, &f) != 0) {
            geo_refuse(err, &f);
            goto done;
        }
        if (have_city && !geo_bbox_within(&fb, &city, AREA_MARGIN)) {
            err_field(err, 400, "bad_geojson", "features",
                      "feature %d (%s): outside the city: extent %.3f..%.3f E, %.3f..%.3f N, "
                      "the outline's %.3f..%.3f E, %.3f..%.3f N (wrong file or datum?) "
                      "[out_of_area]",
                      i, label, fb.min_lon, fb.max_lon, fb.min_lat, fb.max_lat, city.min_lon,
                      city.max_lon, city.min_lat, city.max_lat);
            goto done;
        }
        if (match_town(db, ft, &ids[i], code, &how, err) != 0)
            goto done;
        if (!ids[i]) {
            err_field(err, 400, "bad_geojson", "features",
                      "feature %d (%s): no town-level unit matches its properties (code or "
                      "adcode: the 9-digit statistical code; or name_zh / name: the Chinese name "
                      "as in divisions.csv) [unmatched]",
                      i, label);
            goto done;
        }
        for (int k = 0; k < i; k++)
            if (ids[k] == ids[i]) {
                err_field(err, 400, "bad_geojson", "features",
                          "features %d and %d are both town %s: one boundary per town (use a "
                          "MultiPolygon for a town in several parts) [duplicate]",
                          k, i, code);
                goto done;
            }
        json_array_append_new(
            towns, json_pack("{s:i, s:s, s:s}", "feature", i, "code", code, "matched_by", how));
    }
    for (int i = 0; i < n; i++) {
        const json_t *g = json_object_get(json_array_get(feats, i), "geometry");
        struct geo_bbox fb;
        struct geo_stats fs;
        char b[4][24], *text;
        int wrc;
        memset(&fs, 0, sizeof(fs));
        geo_bbox_init(&fb);
        geo_check_geometry(g, i, NULL, &fb, &fs, &f);
        snprintf(b[0], sizeof(b[0]), "%.6f", fb.min_lon);
        snprintf(b[1], sizeof(b[1]), "%.6f", fb.min_lat);
        snprintf(b[2], sizeof(b[2]), "%.6f", fb.max_lon);
        snprintf(b[3], sizeof(b[3]), "%.6f", fb.max_lat);
        text = json_dumps(g, JSON_COMPACT | JSON_REAL_PRECISION(10));
        if (!text) {
            err_set(err, 500, "internal", "out of memory");
            goto done;
        }
        wrc = db_exec(db, err,
                      "INSERT INTO org_unit_boundary (org_unit_id, geometry, source, positions,"
                      " min_lon, min_lat, max_lon, max_lat, loaded_by)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                      " ON DUPLICATE KEY UPDATE geometry = VALUES(geometry),"
                      " source = VALUES(source), positions = VALUES(positions),"
                      " min_lon = VALUES(min_lon), min_lat = VALUES(min_lat),"
                      " max_lon = VALUES(max_lon), max_lat = VALUES(max_lat),"
                      " loaded_by = VALUES(loaded_by), loaded_at = CURRENT_TIMESTAMP(6)",
                      "lsslssssL", (long long)ids[i], text, source, (long long)fs.positions, b[0],
                      b[1], b[2], b[3], user_id > 0 ? &uid : NULL);
        free(text);
        if (wrc != 0)
            goto done;
    }
    {
        json_t *d = json_pack("{s:s?, s:i, s:i, s:i, s:O}", "source", source, "features", n,
                              "rings", st.rings, "positions", st.positions, "towns", towns);
        char *s = json_dumps(d, JSON_COMPACT);
        json_decref(d);
        if (!s || audit_append(db, user_id, "map.boundaries_import", "org_unit_boundary", NULL, s,
                               err) != 0) {
            free(s);
            if (!s)
                err_set(err, 500, "internal", "out of memory");
            goto done;
        }
        free(s);
    }
    *summary =
        json_pack("{s:i, s:i, s:i, s:i, s:s?, s:O, s:[f, f, f, f]}", "imported", n, "polygons",
                  st.polygons, "rings", st.rings, "positions", st.positions, "source", source,
                  "towns", towns, "bbox", all.min_lon, all.min_lat, all.max_lon, all.max_lat);
    rc = 0;
done:
    free(ids);
    json_decref(tmp);
    json_decref(towns);
    return rc;
}

int h_map_boundaries_import(struct req *rq, struct resp *rs, struct app_err *err)
{
    json_t *summary = NULL;
    if (map_import_boundaries(rq->db, rq->who.user_id, rq->body, req_query(rq, "source"), &summary,
                              err) != 0)
        return -1;
    resp_json(rs, 201, summary);
    return 0;
}

/* ---------------------------------------------------------------- point correction */

/*
 * PATCH /org-units/{id}/point {lat, lon, reason?}: an administrator moves a
 * unit's point (the shipped points are centroids and estimates, see
 * db/seed/SOURCES.md).  Inside the city only, when the outline is loaded;
 * audited with the old and the new point.
 */
int h_org_unit_point(struct req *rq, struct resp *rs, struct app_err *err)
{
    double lat = 0, lon = 0;
    char reason[256] = "", la[24], lo[24], sid[24];
    struct jfield spec[] = {
        {"lat", JF_NUM, 1, &lat, 0, NULL},
        {"lon", JF_NUM, 1, &lon, 0, NULL},
        {"reason", JF_STR, 0, reason, sizeof(reason), NULL},
    };
    struct db_res *r = NULL;
    struct geo_bbox city, pt;
    int have_city;
    int64_t id;
    json_t *d, *o;
    char *s;

    if (resolve_ref(rq->db, rq->params[0], "SELECT id FROM org_unit WHERE code = ?", &id, 404, "id",
                    err) != 0 ||
        auth_check_org(rq->db, &rq->who, id, err) != 0 ||
        json_read(rq->body, spec, sizeof(spec) / sizeof(spec[0]), err) != 0)
        return -1;
    if (!isfinite(lat) || lat < -90 || lat > 90)
        return err_field(err, 400, "bad_value", "lat", "lat is a WGS84 latitude, -90..90");
    if (!isfinite(lon) || lon < -180 || lon > 180)
        return err_field(err, 400, "bad_value", "lon", "lon is a WGS84 longitude, -180..180");
    if (outline_bbox(rq->db, &city, &have_city, err) != 0)
        return -1;
    geo_bbox_init(&pt);
    geo_bbox_add(&pt, lon, lat);
    if (have_city && !geo_bbox_within(&pt, &city, AREA_MARGIN))
        return err_field(err, 422, "out_of_area", "lat",
                         "the point (%.6f N, %.6f E) lies outside the city: latitude and "
                         "longitude swapped, or a GCJ-02/BD-09 value?",
                         lat, lon);
    if (db_query(rq->db, &r, err, "SELECT code, lat, lon FROM org_unit WHERE id = ? FOR UPDATE",
                 "l", (long long)id) != 0)
        return -1;
    snprintf(la, sizeof(la), "%.6f", lat);
    snprintf(lo, sizeof(lo), "%.6f", lon);
    d = json_pack("{s:o, s:o, s:o, s:f, s:f, s:s?}", "code", jstr(db_get(r, 0, 0)), "old_lat",
                  jstr(db_get(r, 0, 1)), "old_lon", jstr(db_get(r, 0, 2)), "lat", lat, "lon", lon,
                  "reason", reason[0] ? reason : NULL);
    db_res_free(r);
    s = json_dumps(d, JSON_COMPACT);
    json_decref(d);
    snprintf(sid, sizeof(sid), "%lld", (long long)id);
    if (!s) {
        return err_set(err, 500, "internal", "out of memory");
    }
    if (db_exec(rq->db, err, "UPDATE org_unit SET lat = ?, lon = ? WHERE id = ?", "ssl", la, lo,
                (long long)id) != 0 ||
        audit_append(rq->db, rq->who.user_id, "org_unit.point", "org_unit", sid, s, err) != 0) {
        free(s);
        return -1;
    }
    free(s);
    o = json_one(rq->db,
                 "SELECT id, code, kind, name_zh, name_en, lat, lon FROM org_unit WHERE id = ?", id,
                 "org unit", err);
    if (!o)
        return -1;
    resp_json(rs, 200, o);
    return 0;
}

/* ---------------------------------------------------------------- printable map */

/*
 * GET /map.pdf: the map for a briefing, A4 landscape, drawn with cairo from
 * the same layers the page uses (the towns' answer of GET /map/towns, the
 * outline, the depots' points).  Text goes through pango with the Noto CJK
 * font the readiness reports use, so the Chinese names are real text in the
 * file.  Status is a colour, a symbol and a word (○ 达标, △ 预警, × 不足, as
 * on the printed readiness reports).
 */

#define PDF_FONT "Noto Sans CJK SC"
#define MM (72.0 / 25.4)
#define PDF_W (297.0 * MM)
#define PDF_H (210.0 * MM)
#define PDF_M (10.0 * MM)

struct pdf_map {
    cairo_t *cr;
    double minx, maxy, scale, ox, oy; /* Mercator -> page */
};

static double merc_y(double lat)
{
    return log(tan(M_PI / 4 + lat * M_PI / 360.0));
}

static void to_page(const struct pdf_map *m, double lon, double lat, double *x, double *y)
{
    *x = m->ox + (lon * M_PI / 180.0 - m->minx) * m->scale;
    *y = m->oy + (m->maxy - merc_y(lat)) * m->scale;
}

static double pdf_text(cairo_t *cr, double x, double y, double w, const char *s, double size,
                       int bold, int centre)
{
    PangoLayout *l = pango_cairo_create_layout(cr);
    PangoFontDescription *f = pango_font_description_from_string(PDF_FONT);
    int pw, ph;

    pango_font_description_set_size(f, (int)(size * PANGO_SCALE));
    pango_font_description_set_weight(f, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    pango_layout_set_font_description(l, f);
    if (w > 0) {
        pango_layout_set_width(l, (int)(w * PANGO_SCALE));
        pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
    } else if (w < 0) { /* one line, cut with an ellipsis at -w */
        pango_layout_set_width(l, (int)(-w * PANGO_SCALE));
        pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
    }
    pango_layout_set_text(l, s ? s : "", -1);
    pango_layout_get_size(l, &pw, &ph);
    cairo_move_to(cr, centre ? x - (double)pw / PANGO_SCALE / 2 : x, y);
    pango_cairo_show_layout(cr, l);
    pango_font_description_free(f);
    g_object_unref(l);
    return (double)ph / PANGO_SCALE;
}

static void status_rgb(const char *st, double rgb[3])
{
    static const double G[3] = {0.118, 0.420, 0.188}, A[3] = {0.541, 0.271, 0.0},
                        R[3] = {0.608, 0.110, 0.110}, N[3] = {0.48, 0.52, 0.56};
    const double *c = !st                    ? N
                      : !strcmp(st, "green") ? G
                      : !strcmp(st, "amber") ? A
                      : !strcmp(st, "red")   ? R
                                             : N;
    memcpy(rgb, c, sizeof(G));
}

static const char *status_sym(const char *st)
{
    return !st ? "–" : !strcmp(st, "green") ? "○" : !strcmp(st, "amber") ? "△" : "×";
}

static const char *status_word(const char *st)
{
    return !st ? "—" : !strcmp(st, "green") ? "达标" : !strcmp(st, "amber") ? "预警" : "不足";
}

/* The rings of a Polygon/MultiPolygon as one cairo path. */
static void path_geometry(const struct pdf_map *m, const json_t *g)
{
    const char *type = json_string_value(json_object_get(g, "type"));
    const json_t *c = json_object_get(g, "coordinates");
    size_t np = type && !strcmp(type, "MultiPolygon") ? json_array_size(c) : 1;

    for (size_t p = 0; p < np; p++) {
        const json_t *poly = np == 1 && type && !strcmp(type, "Polygon") ? c : json_array_get(c, p);
        for (size_t r = 0; r < json_array_size(poly); r++) {
            const json_t *ring = json_array_get(poly, r);
            for (size_t k = 0; k < json_array_size(ring); k++) {
                const json_t *pt = json_array_get(ring, k);
                double x, y;
                to_page(m, json_number_value(json_array_get(pt, 0)),
                        json_number_value(json_array_get(pt, 1)), &x, &y);
                if (k == 0)
                    cairo_move_to(m->cr, x, y);
                else
                    cairo_line_to(m->cr, x, y);
            }
            cairo_close_path(m->cr);
        }
    }
}

static cairo_status_t pdf_write(void *closure, const unsigned char *data, unsigned int length)
{
    return buf_append(closure, data, length) == 0 ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

static void draw_map_pdf(cairo_t *cr, json_t *towns, json_t *outline, struct db_res *dep,
                         struct db_res *bnd, const char *who)
{
    struct pdf_map m = {cr, 0, 0, 0, 0, 0};
    struct geo_bbox bb;
    const json_t *feats = json_object_get(towns, "features"), *season;
    const json_t *item = json_object_get(towns, "item");
    double box_x = PDF_M, box_y = PDF_M + 16 * MM, box_w = 180 * MM,
           box_h = PDF_H - box_y - 14 * MM;
    double lx = box_x + box_w + 6 * MM, ly, rgb[3], maxpop = 1;
    char line[600];

    /* Title and what the colours mean today. */
    cairo_set_source_rgb(cr, 0, 0, 0);
    pdf_text(cr, PDF_M, PDF_M, 0, "应急一张图 · 东莞市 — 镇街备灾状态 Readiness map", 15, 1, 0);
    season = json_object_get(towns, "season");
    snprintf(line, sizeof(line), "汛期 season %lld: %s – %s · 截至 as of %s%s%s · %s",
             (long long)json_integer_value(json_object_get(season, "year")),
             json_string_value(json_object_get(season, "start")),
             json_string_value(json_object_get(season, "end")),
             json_string_value(json_object_get(towns, "as_of")),
             json_is_object(item) ? " · 物资 item: " : "",
             json_is_object(item) ? json_string_value(json_object_get(item, "item_name_zh")) : "",
             who);
    pdf_text(cr, PDF_M, PDF_M + 9 * MM, PDF_W - 2 * PDF_M, line, 8.5, 0, 0);

    /* Fit a Mercator projection of the outline (or the points) into the box. */
    geo_bbox_init(&bb);
    if (json_array_size(json_object_get(outline, "features")) > 0) {
        const json_t *b = json_object_get(outline, "bbox");
        geo_bbox_add(&bb, json_number_value(json_array_get(b, 0)),
                     json_number_value(json_array_get(b, 1)));
        geo_bbox_add(&bb, json_number_value(json_array_get(b, 2)),
                     json_number_value(json_array_get(b, 3)));
    }
    for (size_t i = 0; i < json_array_size(feats); i++) {
        const json_t *g = json_object_get(json_array_get(feats, i), "geometry");
        const json_t *pop =
            json_object_get(json_object_get(json_array_get(feats, i), "properties"), "population");
        if (json_is_object(g))
            geo_bbox_add(&bb,
                         json_number_value(json_array_get(json_object_get(g, "coordinates"), 0)),
                         json_number_value(json_array_get(json_object_get(g, "coordinates"), 1)));
        if (json_is_integer(pop) && json_integer_value(pop) > maxpop)
            maxpop = (double)json_integer_value(pop);
    }
    if (!bb.empty) {
        double w = (bb.max_lon - bb.min_lon) * M_PI / 180.0;
        double h = merc_y(bb.max_lat) - merc_y(bb.min_lat);
        m.minx = bb.min_lon * M_PI / 180.0;
        m.maxy = merc_y(bb.max_lat);
        m.scale = fmin(box_w / (w > 0 ? w : 1e-6), box_h / (h > 0 ? h : 1e-6));
        m.ox = box_x + (box_w - w * m.scale) / 2;
        m.oy = box_y + (box_h - h * m.scale) / 2;
    }
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_new_path(cr);
    for (size_t i = 0; i < json_array_size(json_object_get(outline, "features")); i++) {
        path_geometry(&m, json_object_get(json_array_get(json_object_get(outline, "features"), i),
                                          "geometry"));
        cairo_set_source_rgb(cr, 0.93, 0.95, 0.96);
        cairo_fill_preserve(cr);
        cairo_set_source_rgb(cr, 0.36, 0.40, 0.44);
        cairo_set_line_width(cr, 0.8);
        cairo_stroke(cr);
    }
    /* Imported boundaries, tinted by their town's status. */
    for (int i = 0; bnd && i < bnd->nrows; i++) {
        json_error_t je;
        json_t *g = json_loads(db_get(bnd, i, 1), 0, &je);
        const char *st = NULL;
        if (!g)
            continue;
        for (size_t k = 0; k < json_array_size(feats); k++) {
            const json_t *p = json_object_get(json_array_get(feats, k), "properties");
            if (!strcmp(json_string_value(json_object_get(p, "code")), db_get(bnd, i, 0)))
                st = json_string_value(json_object_get(p, "status"));
        }
        status_rgb(st, rgb);
        path_geometry(&m, g);
        cairo_set_source_rgba(cr, rgb[0], rgb[1], rgb[2], 0.25);
        cairo_fill_preserve(cr);
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_set_line_width(cr, 0.5);
        cairo_stroke(cr);
        json_decref(g);
    }
    /* Depots: small blue squares. */
    for (int i = 0; dep && i < dep->nrows; i++) {
        double x, y;
        if (!db_get(dep, i, 0) || !db_get(dep, i, 1))
            continue;
        to_page(&m, strtod(db_get(dep, i, 1), NULL), strtod(db_get(dep, i, 0), NULL), &x, &y);
        cairo_rectangle(cr, x - 1.6, y - 1.6, 3.2, 3.2);
        cairo_set_source_rgb(cr, 0.043, 0.31, 0.54);
        cairo_fill(cr);
    }
    /* Towns: circles by population, colour + symbol, name below. */
    for (size_t i = 0; i < json_array_size(feats); i++) {
        const json_t *f = json_array_get(feats, i), *p = json_object_get(f, "properties");
        const json_t *g = json_object_get(f, "geometry"), *pop = json_object_get(p, "population");
        const char *st = json_string_value(json_object_get(p, "status"));
        double x, y,
            r = 4 + 9 * sqrt((json_is_integer(pop) ? (double)json_integer_value(pop) : 0) / maxpop);
        if (!json_is_object(g))
            continue;
        to_page(&m, json_number_value(json_array_get(json_object_get(g, "coordinates"), 0)),
                json_number_value(json_array_get(json_object_get(g, "coordinates"), 1)), &x, &y);
        status_rgb(st, rgb);
        cairo_new_path(cr); /* text leaves a current point: no line to the circle */
        cairo_arc(cr, x, y, r, 0, 2 * M_PI);
        cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
        cairo_fill_preserve(cr);
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_set_line_width(cr, 0.8);
        cairo_stroke(cr);
        pdf_text(cr, x, y - 4.6, 0, status_sym(st), 6.5, 1, 1);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        pdf_text(cr, x, y + r + 0.5, 0, json_string_value(json_object_get(p, "name_zh")), 5.5, 0,
                 1);
    }

    /* Legend. */
    ly = box_y;
    cairo_set_source_rgb(cr, 0, 0, 0);
    ly += pdf_text(cr, lx, ly, 0, "图例 Legend", 10, 1, 0) + 2;
    {
        static const char *const sts[] = {"green", "amber", "red", NULL};
        for (int k = 0; k < 4; k++) {
            const char *st = sts[k < 3 ? k : 3];
            status_rgb(st, rgb);
            cairo_new_path(cr);
            cairo_arc(cr, lx + 4, ly + 5, 4, 0, 2 * M_PI);
            cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
            cairo_fill(cr);
            cairo_set_source_rgb(cr, 1, 1, 1);
            pdf_text(cr, lx + 4, ly + 0.3, 0, status_sym(st), 6.5, 1, 1);
            cairo_set_source_rgb(cr, 0, 0, 0);
            snprintf(line, sizeof(line), "%s %s",
                     k == 3 ? "不在管辖范围 outside scope" : status_word(st),
                     k == 0   ? "OK (≥ green %)"
                     : k == 1 ? "warning"
                     : k == 2 ? "short"
                              : "");
            pdf_text(cr, lx + 11, ly, 0, line, 8, 0, 0);
            ly += 12;
        }
        cairo_new_path(cr);
        cairo_rectangle(cr, lx + 2.4, ly + 3.4, 3.2, 3.2);
        cairo_set_source_rgb(cr, 0.043, 0.31, 0.54);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        pdf_text(cr, lx + 11, ly, 0, "仓库 depot", 8, 0, 0);
        ly += 12;
        ly += pdf_text(cr, lx, ly, 95 * MM,
                       "圆圈面积：人口（2020 年普查）。Circle area: population.", 7, 0, 0) +
              6;
    }
    /* The towns as a table: the map's content in words. */
    ly += pdf_text(cr, lx, ly, 0, "镇街 Town · 状态 Status · 最低满足率 Min. cover · 不足项 Short",
                   6.5, 1, 0) +
          1;
    for (size_t i = 0; i < json_array_size(feats) && ly < PDF_H - PDF_M - 10 * MM; i++) {
        const json_t *p = json_object_get(json_array_get(feats, i), "properties");
        const json_t *cov = json_object_get(p, "min_coverage_pct"),
                     *sl = json_object_get(p, "shortfall_lines");
        const char *st = json_string_value(json_object_get(p, "status"));
        char cv[24] = "—", sh[24] = "—";
        if (json_is_number(cov))
            snprintf(cv, sizeof(cv), "%.1f%%", json_number_value(cov));
        if (json_is_integer(sl))
            snprintf(sh, sizeof(sh), "%lld", (long long)json_integer_value(sl));
        snprintf(line, sizeof(line), "%s", json_string_value(json_object_get(p, "name_zh")));
        cairo_set_source_rgb(cr, 0, 0, 0);
        pdf_text(cr, lx, ly, -29 * MM, line, 6.5, 0, 0);
        status_rgb(st, rgb);
        cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
        snprintf(line, sizeof(line), "%s %s", status_sym(st), status_word(st));
        pdf_text(cr, lx + 32 * MM, ly, 0, line, 6.5, 1, 0);
        cairo_set_source_rgb(cr, 0, 0, 0);
        pdf_text(cr, lx + 52 * MM, ly, 0, cv, 6.5, 0, 0);
        pdf_text(cr, lx + 70 * MM, ly, 0, sh, 6.5, 0, 0);
        ly += 3.3 * MM;
    }
    cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
    pdf_text(cr, PDF_M, PDF_H - PDF_M - 8, PDF_W - 2 * PDF_M,
             "镇街位置为中心点或估计点，轮廓为概略（约 100 "
             "m），未经官方审定，仅供工作参考；正式发布的地图须有审图号。"
             " Points are centres or estimates; the outline is generalised and not official. "
             "ReliefStock",
             6.5, 0, 0);
}

int h_map_pdf(struct req *rq, struct resp *rs, struct app_err *err)
{
    json_t *towns = NULL, *outline = NULL;
    struct db_res *o = NULL, *dep = NULL, *bnd = NULL;
    cairo_surface_t *s;
    cairo_t *cr;
    struct buf b;
    char who[200];
    int rc = -1;

    if (towns_fc(rq, &towns, err) != 0)
        return -1;
    if (db_query(rq->db, &o, err,
                 "SELECT geojson, min_lon, min_lat, max_lon, max_lat FROM map_layer"
                 " WHERE code = 'outline'",
                 "") != 0 ||
        db_query(rq->db, &dep, err, "SELECT lat, lon FROM depot WHERE kind IN ('city', 'town')",
                 "") != 0 ||
        db_query(rq->db, &bnd, err,
                 "SELECT o.code, b.geometry FROM org_unit_boundary b"
                 " JOIN org_unit o ON o.id = b.org_unit_id",
                 "") != 0)
        goto done;
    outline = json_pack("{s:[], s:[f, f, f, f]}", "features", "bbox", 0.0, 0.0, 0.0, 0.0);
    if (o->nrows == 1) {
        json_error_t je;
        json_t *f = json_loads(db_get(o, 0, 0), 0, &je);
        if (f)
            json_array_append_new(json_object_get(outline, "features"), f);
        json_object_set_new(outline, "bbox",
                            json_pack("[f, f, f, f]", strtod(db_get(o, 0, 1), NULL),
                                      strtod(db_get(o, 0, 2), NULL), strtod(db_get(o, 0, 3), NULL),
                                      strtod(db_get(o, 0, 4), NULL)));
    }
    snprintf(who, sizeof(who), "%s (%s)", rq->who.display_name, role_name(rq->who.role));
    buf_init(&b, (size_t)16 << 20);
    s = cairo_pdf_surface_create_for_stream(pdf_write, &b, PDF_W, PDF_H);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, "应急一张图 ReliefStock map");
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "ReliefStock");
    cr = cairo_create(s);
    draw_map_pdf(cr, towns, outline, dep, bnd, who);
    cairo_show_page(cr);
    cairo_destroy(cr);
    cairo_surface_finish(s);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS || b.len == 0) {
        cairo_surface_destroy(s);
        buf_free(&b);
        err_set(err, 500, "internal", "the PDF could not be made");
        goto done;
    }
    cairo_surface_destroy(s);
    {
        size_t len = 0;
        char *pdf = buf_steal(&b, &len);
        resp_pdf(rs, pdf, len, "map.pdf");
    }
    rc = 0;
done:
    json_decref(towns);
    json_decref(outline);
    db_res_free(o);
    db_res_free(dep);
    db_res_free(bnd);
    return rc;
}
