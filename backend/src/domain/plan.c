/*
 * plan.c -- see plan.h.  The pure arithmetic first, then pl_build, which
 * reads everything with a handful of set-based queries (one per kind of
 * input, grouped by depot path and item) and runs the pure part.
 */
#include "plan.h"

#include "readiness.h"

#include "../core/util.h"
#include "../forecast/forecast.h"
#include "../store/db.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------------------------------------------------------------- pure */

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

static int64_t round_up_unit(int64_t q)
{
    return (q + QTY_SCALE - 1) / QTY_SCALE * QTY_SCALE;
}

void pl_line_compute(struct pl_line *l)
{
    int64_t target = l->required + l->safety;

    l->projected = l->on_hand - l->forecast_use - l->expiring + l->on_order + l->inbound;
    l->shortfall = max64(0, target - l->projected);
    l->surplus = max64(0, l->projected - target);
    if (l->integral) {
        /* Half a tent is no use to a town short of one, and cannot be
         * moved out of one with a surplus of half. */
        l->shortfall = round_up_unit(l->shortfall);
        l->surplus = l->surplus / QTY_SCALE * QTY_SCALE;
    }
    l->replace_part = min64(l->shortfall, l->expiring);
    l->forecast_part = l->shortfall - l->replace_part;
    l->transfer_in = l->transfer_out = l->purchase = 0;
}

double pl_haversine_km(double lat1, double lon1, double lat2, double lon2)
{
    const double r = M_PI / 180;
    double dlat = (lat2 - lat1) * r, dlon = (lon2 - lon1) * r;
    double a = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * r) * cos(lat2 * r) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * 6371.0 * atan2(sqrt(a), sqrt(1 - a));
}

struct cand {
    int line;
    double km;
};

static int cand_cmp(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    /* unknown positions (km < 0) last */
    if ((x->km < 0) != (y->km < 0))
        return x->km < 0 ? 1 : -1;
    if (x->km != y->km)
        return x->km < y->km ? -1 : 1;
    return x->line - y->line;
}

static const struct pl_line *sort_lines;

static int need_cmp(const void *a, const void *b)
{
    const struct pl_line *x = &sort_lines[*(const int *)a], *y = &sort_lines[*(const int *)b];
    if (x->item_id != y->item_id)
        return x->item_id < y->item_id ? -1 : 1;
    if (x->shortfall != y->shortfall)
        return x->shortfall > y->shortfall ? -1 : 1;
    return *(const int *)a - *(const int *)b;
}

int pl_transfers(struct pl_line *lines, int nlines, const struct pl_town *towns, int ntowns,
                 struct pl_transfer *out, int max)
{
    int *order, n = 0, rc = 0;
    struct cand *c;

    if (nlines <= 0)
        return 0;
    order = malloc((size_t)nlines * sizeof(*order));
    c = malloc((size_t)nlines * sizeof(*c));
    if (!order || !c) {
        free(order);
        free(c);
        return -1;
    }
    for (int i = 0; i < nlines; i++)
        order[i] = i;
    sort_lines = lines;
    qsort(order, (size_t)nlines, sizeof(*order), need_cmp);
    for (int k = 0; k < nlines && rc == 0; k++) {
        struct pl_line *to = &lines[order[k]];
        const struct pl_town *tt = to->town >= 0 && to->town < ntowns ? &towns[to->town] : NULL;
        int nc = 0;
        if (to->shortfall <= 0)
            continue;
        for (int j = 0; j < nlines; j++) {
            const struct pl_line *s = &lines[j];
            const struct pl_town *st = s->town >= 0 && s->town < ntowns ? &towns[s->town] : NULL;
            if (s->item_id != to->item_id || s->town == to->town ||
                s->surplus - s->transfer_out <= 0)
                continue;
            c[nc].line = j;
            c[nc].km = tt && st && tt->has_pos && st->has_pos
                           ? pl_haversine_km(tt->lat, tt->lon, st->lat, st->lon)
                           : -1;
            nc++;
        }
        qsort(c, (size_t)nc, sizeof(*c), cand_cmp);
        for (int j = 0; j < nc && to->transfer_in < to->shortfall; j++) {
            struct pl_line *s = &lines[c[j].line];
            int64_t q = min64(to->shortfall - to->transfer_in, s->surplus - s->transfer_out);
            if (q <= 0)
                continue;
            if (n >= max) {
                rc = -1;
                break;
            }
            out[n].from_line = c[j].line;
            out[n].to_line = order[k];
            out[n].qty = q;
            out[n].km = c[j].km;
            n++;
            s->transfer_out += q;
            to->transfer_in += q;
        }
    }
    free(order);
    free(c);
    return rc == 0 ? n : -1;
}

void pl_purchase(struct pl_line *l, int line_index, int lead_days, int32_t season_start,
                 int32_t today, struct pl_purchase *out)
{
    memset(out, 0, sizeof(*out));
    out->line = line_index;
    out->qty = max64(0, l->shortfall - l->transfer_in);
    l->purchase = out->qty;
    out->lead_days = lead_days;
    out->order_by = season_start - lead_days;
    out->urgent = out->qty > 0 && out->order_by < today;
}

/* ---------------------------------------------------------------- with the database */

enum { OWN_RD, OWN_HIST, OWN_PO, OWN_DISP, OWN_SUP, OWN_DEP, OWN_ACT };

void pl_result_free(struct pl_result *r)
{
    if (r->owned[OWN_RD]) {
        rd_result_free(r->owned[OWN_RD]);
        free(r->owned[OWN_RD]);
    }
    for (int i = 1; i < (int)(sizeof(r->owned) / sizeof(r->owned[0])); i++)
        if (r->owned[i])
            db_res_free(r->owned[i]);
    free(r->towns);
    free(r->pos);
    free(r->items);
    free(r->lines);
    free(r->info);
    free(r->transfers);
    free(r->purchases);
    memset(r, 0, sizeof(*r));
}

/* The town whose path is a prefix of `path`, or -1. */
static int town_of_path(const struct pl_result *r, const char *path)
{
    if (!path)
        return -1;
    for (int t = 0; t < r->ntowns; t++) {
        size_t n = strlen(r->towns[t].path);
        if (strncmp(r->towns[t].path, path, n) == 0)
            return t;
    }
    return -1;
}

static int line_of(const struct pl_result *r, int town, int64_t item)
{
    for (int i = 0; i < r->nlines; i++)
        if (r->lines[i].town == town && r->lines[i].item_id == item)
            return i;
    return -1;
}

static int month_index(int32_t day)
{
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    return y * 12 + m - 1;
}

static int32_t month_first_day(int mi)
{
    return (int32_t)days_from_civil(mi / 12, mi % 12 + 1, 1);
}

static void day_text(int32_t day, char out[11])
{
    rd_day_format(day, out);
}

static int64_t to_milli_up(double v)
{
    if (!(v > 0))
        return 0;
    if (v > 1e12)
        v = 1e12;
    return (int64_t)ceil(v * QTY_SCALE - 1e-6);
}

static int load_settings(struct db_conn *db, struct pl_result *r, struct app_err *err)
{
    struct db_res *s = NULL;
    r->service_level = PL_DEFAULT_SERVICE;
    r->default_lead_days = PL_DEFAULT_LEAD_DAYS;
    if (db_query(db, &s, err,
                 "SELECT name, value FROM setting WHERE name IN ('plan_service_level',"
                 " 'plan_default_lead_days')",
                 "") != 0)
        return -1;
    for (int i = 0; i < s->nrows; i++) {
        const char *n = db_get(s, i, 0), *v = db_get(s, i, 1);
        char *e;
        double x = v ? strtod(v, &e) : 0;
        if (!v || *e)
            continue; /* a malformed setting leaves the default */
        if (strcmp(n, "plan_service_level") == 0 && x > 0.5 && x < 1)
            r->service_level = x;
        else if (strcmp(n, "plan_default_lead_days") == 0 && x >= 0 && x <= 3650)
            r->default_lead_days = (int)x;
    }
    db_res_free(s);
    return 0;
}

/* Readiness gives the towns, the standard's items, required and on-hand. */
static int load_readiness(struct db_conn *db, struct pl_result *r, struct app_err *err)
{
    struct rd_request q;
    struct rd_result *rd = calloc(1, sizeof(*rd));
    int nitems = 0;

    if (!rd)
        return err_set(err, 500, "internal", "out of memory");
    r->owned[OWN_RD] = rd;
    memset(&q, 0, sizeof(q));
    q.season_year = r->season_year;
    if (rd_city(db, "/", &q, rd, err) != 0)
        return -1;
    r->today = rd->today;
    r->season_start = rd->season.start;
    r->season_end = rd->season.end;
    if (!rd->has_std)
        return err_set(err, 409, "conflict", "no town reserve standard is in force");
    /* A plan is for a season still to come or under way: for one that is
     * over, "projected stock at its start" has no meaning. */
    if (rd->season.end < rd->today)
        return err_field(err, 400, "bad_query", "season",
                         "the %d season is over: plan the coming one", rd->season.year);
    r->ntowns = rd->nunits;
    r->towns = calloc((size_t)r->ntowns + 1, sizeof(*r->towns));
    r->pos = calloc((size_t)r->ntowns + 1, sizeof(*r->pos));
    r->items = calloc((size_t)rd->std.nlines + 1, sizeof(*r->items));
    r->lines = calloc((size_t)r->ntowns * (size_t)rd->std.nlines + 1, sizeof(*r->lines));
    r->info = calloc((size_t)r->ntowns * (size_t)rd->std.nlines + 1, sizeof(*r->info));
    if (!r->towns || !r->pos || !r->items || !r->lines || !r->info)
        return err_set(err, 500, "internal", "out of memory");
    /* In readiness's order: the towns most at risk first. */
    for (int t = 0; t < r->ntowns; t++) {
        const struct rd_unit *u = &rd->units[t];
        r->towns[t] =
            (struct pl_town_info){u->id, u->code, u->name_zh, u->name_en, u->path, 0, NULL};
    }
    for (int l = 0; l < rd->std.nlines; l++) {
        const struct rd_line *L = &rd->std.lines[l];
        if (L->item_id <= 0)
            continue;
        r->items[nitems++] = (struct pl_item_info){L->item_id,
                                                   L->item_code,
                                                   L->item_name_zh,
                                                   L->item_name_en,
                                                   L->unit,
                                                   0,
                                                   NULL,
                                                   NULL,
                                                   r->default_lead_days,
                                                   1};
    }
    r->nitems = nitems;
    for (int t = 0; t < r->ntowns; t++) {
        const struct rd_unit *u = &rd->units[t];
        for (int l = 0, it = 0; l < rd->std.nlines; l++) {
            const struct rd_line *L = &rd->std.lines[l];
            const struct rd_line_out *O = &u->lines[l];
            struct pl_line *P;
            if (L->item_id <= 0)
                continue;
            P = &r->lines[r->nlines];
            r->info[r->nlines].item = it++;
            r->nlines++;
            P->town = t;
            P->item_id = L->item_id;
            P->integral = L->integral;
            P->required = O->required;
            P->on_hand = O->own + O->not_in_date;
            P->expiring = O->not_in_date;
        }
    }
    return 0;
}

static int load_positions(struct db_conn *db, struct pl_result *r, struct app_err *err)
{
    struct db_res *d = NULL;
    /* The town's own depot first, else the org unit's own position. */
    if (db_query(db, &d, err,
                 "SELECT o.id, COALESCE(MIN(CASE WHEN d.lat IS NOT NULL THEN d.lat END), o.lat),"
                 " COALESCE(MIN(CASE WHEN d.lat IS NOT NULL THEN d.lon END), o.lon), MIN(d.id),"
                 " (SELECT d2.code FROM depot d2 WHERE d2.id = MIN(d.id))"
                 " FROM org_unit o LEFT JOIN depot d ON d.org_unit_id = o.id AND d.kind = 'town'"
                 " WHERE o.kind IN ('subdistrict', 'town', 'park') GROUP BY o.id, o.lat, o.lon",
                 "") != 0)
        return -1;
    r->owned[OWN_DEP] = d;
    for (int i = 0; i < d->nrows; i++) {
        int64_t id = db_get_int(d, i, 0);
        for (int t = 0; t < r->ntowns; t++) {
            if (r->towns[t].id != id)
                continue;
            r->towns[t].depot_id = db_get_int(d, i, 3);
            r->towns[t].depot_code = db_get(d, i, 4);
            if (db_get(d, i, 1) && db_get(d, i, 2)) {
                r->pos[t].lat = strtod(db_get(d, i, 1), NULL);
                r->pos[t].lon = strtod(db_get(d, i, 2), NULL);
                r->pos[t].has_pos = 1;
            }
        }
    }
    return 0;
}

/* Open purchase orders expected by the season start, open dispatches. */
static int load_incoming(struct db_conn *db, struct pl_result *r, struct app_err *err)
{
    struct db_res *po = NULL, *dp = NULL;
    char start[11];

    day_text(r->season_start, start);
    if (db_query(db, &po, err,
                 "SELECT o.path, pol.item_id,"
                 " SUM(pol.qty_ordered - pol.qty_received - pol.qty_short)"
                 " FROM purchase_order p JOIN purchase_order_line pol ON pol.po_id = p.id"
                 " JOIN depot d ON d.id = p.depot_id JOIN org_unit o ON o.id = d.org_unit_id"
                 " WHERE p.status IN ('ordered', 'partially_received') AND pol.closed = 0"
                 " AND p.expected_date IS NOT NULL AND p.expected_date <= ?"
                 " GROUP BY o.path, pol.item_id",
                 "s", start) != 0)
        return -1;
    r->owned[OWN_PO] = po;
    for (int i = 0; i < po->nrows; i++) {
        int t = town_of_path(r, db_get(po, i, 0));
        int l = t >= 0 ? line_of(r, t, db_get_int(po, i, 1)) : -1;
        if (l >= 0)
            r->lines[l].on_order += max64(0, db_get_qty(po, i, 2));
    }
    /* A dispatch that is still open brings what was allocated minus what
     * already arrived (received or written off short); that arrived part is
     * in the town's stock already. */
    if (db_query(db, &dp, err,
                 "SELECT o.path, x.item_id, SUM(x.q) FROM ("
                 " SELECT ds.to_depot_id AS dep, dl.item_id, dl.qty_allocated AS q"
                 " FROM dispatch ds JOIN dispatch_line dl ON dl.dispatch_id = ds.id"
                 " WHERE ds.status IN ('allocated', 'picking', 'picked', 'in_transit',"
                 " 'partially_received')"
                 " UNION ALL"
                 " SELECT ds.to_depot_id, pk.item_id, -(pk.qty_received + pk.qty_short)"
                 " FROM dispatch ds JOIN dispatch_pick pk ON pk.dispatch_id = ds.id"
                 " WHERE ds.status IN ('allocated', 'picking', 'picked', 'in_transit',"
                 " 'partially_received')) x"
                 " JOIN depot d ON d.id = x.dep JOIN org_unit o ON o.id = d.org_unit_id"
                 " GROUP BY o.path, x.item_id",
                 "") != 0)
        return -1;
    r->owned[OWN_DISP] = dp;
    for (int i = 0; i < dp->nrows; i++) {
        int t = town_of_path(r, db_get(dp, i, 0));
        int l = t >= 0 ? line_of(r, t, db_get_int(dp, i, 1)) : -1;
        if (l >= 0)
            r->lines[l].inbound += max64(0, db_get_qty(dp, i, 2));
    }
    return 0;
}

static int load_suppliers(struct db_conn *db, struct pl_result *r, struct app_err *err)
{
    struct db_res *s = NULL;
    /* The quickest active supplier of each item (then the lowest code). */
    if (db_query(db, &s, err,
                 "SELECT si.item_id, sp.id, sp.code, sp.name,"
                 " COALESCE(si.lead_time_days, sp.lead_time_days) AS lead"
                 " FROM supplier_item si JOIN supplier sp ON sp.id = si.supplier_id"
                 " WHERE sp.active = 1 ORDER BY si.item_id, lead, sp.code",
                 "") != 0)
        return -1;
    r->owned[OWN_SUP] = s;
    for (int i = s->nrows - 1; i >= 0; i--) { /* backwards: the first row per item wins */
        int64_t item = db_get_int(s, i, 0);
        for (int k = 0; k < r->nitems; k++)
            if (r->items[k].id == item) {
                r->items[k].supplier_id = db_get_int(s, i, 1);
                r->items[k].supplier_code = db_get(s, i, 2);
                r->items[k].supplier_name = db_get(s, i, 3);
                r->items[k].lead_days = (int)db_get_int(s, i, 4);
                r->items[k].lead_default = 0;
            }
    }
    return 0;
}

/* "plan:<year>:<town>:<item>" -> the line, or -1. */
static int line_of_ref(const struct pl_result *r, const char *ref)
{
    char town[64], item[64];
    int year, t;
    if (!ref || sscanf(ref, "plan:%d:%63[^:]:%63s", &year, town, item) != 3 ||
        year != r->season_year)
        return -1;
    for (t = 0; t < r->ntowns; t++)
        if (strcmp(r->towns[t].code, town) == 0)
            break;
    if (t == r->ntowns)
        return -1;
    for (int l = 0; l < r->nlines; l++)
        if (r->lines[l].town == t && strcmp(r->items[r->info[l].item].code, item) == 0)
            return l;
    return -1;
}

static int load_actions(struct db_conn *db, struct pl_result *r, struct app_err *err)
{
    struct db_res *q = NULL;
    char pat[32];

    snprintf(pat, sizeof(pat), "plan:%d:%%", r->season_year);
    if (db_query(db, &q, err,
                 "SELECT 'r', rq.source_ref, SUM(l.qty_requested) FROM supply_request rq"
                 " JOIN supply_request_line l ON l.request_id = rq.id"
                 " WHERE rq.source_ref LIKE ? AND rq.status IN ('draft', 'submitted', 'approved',"
                 " 'partially_approved') GROUP BY rq.source_ref"
                 " UNION ALL"
                 " SELECT 'p', SUBSTRING_INDEX(p.note, ' ', 1), SUM(l.qty_ordered)"
                 " FROM purchase_order p JOIN purchase_order_line l ON l.po_id = p.id"
                 " WHERE p.note LIKE ? AND p.status = 'draft'"
                 " GROUP BY SUBSTRING_INDEX(p.note, ' ', 1)",
                 "ss", pat, pat) != 0)
        return -1;
    r->owned[OWN_ACT] = q;
    for (int i = 0; i < q->nrows; i++) {
        int l = line_of_ref(r, db_get(q, i, 1));
        if (l < 0)
            continue;
        if (db_get(q, i, 0)[0] == 'r')
            r->info[l].requested += db_get_qty(q, i, 2);
        else
            r->info[l].po_drafted += db_get_qty(q, i, 2);
    }
    return 0;
}

/* Monthly issue history of every (town, item), then the forecast. */
static int forecast_lines(struct db_conn *db, struct pl_result *r, struct app_err *err)
{
    struct db_res *h = NULL;
    int cur = month_index(r->today), first = cur - PL_HISTORY_MONTHS;
    char from[11], to[11];
    double *series = NULL, *w = NULL;
    struct fc_options opt;

    day_text(month_first_day(first), from);
    day_text(month_first_day(cur), to);
    if (db_query(db, &h, err,
                 "SELECT o.path, m.item_id, YEAR(m.occurred_at) * 12 + MONTH(m.occurred_at) - 1,"
                 " -SUM(m.qty)"
                 " FROM movement m JOIN depot d ON d.id = m.depot_id"
                 " JOIN org_unit o ON o.id = d.org_unit_id"
                 " WHERE m.kind = 'issue' AND d.kind IN ('town', 'village')"
                 " AND m.occurred_at >= ? AND m.occurred_at < ?"
                 " AND NOT EXISTS (SELECT 1 FROM movement rv WHERE rv.reverses_id = m.id)"
                 " GROUP BY o.path, m.item_id, 3",
                 "ss", from, to) != 0)
        return -1;
    r->owned[OWN_HIST] = h;
    series = calloc((size_t)r->nlines * PL_HISTORY_MONTHS + 1, sizeof(*series));
    w = calloc(PL_HISTORY_MONTHS, sizeof(*w));
    if (!series || !w) {
        free(series);
        free(w);
        return err_set(err, 500, "internal", "out of memory");
    }
    for (int i = 0; i < h->nrows; i++) {
        int t = town_of_path(r, db_get(h, i, 0));
        int l = t >= 0 ? line_of(r, t, db_get_int(h, i, 1)) : -1;
        int mi = (int)db_get_int(h, i, 2) - first;
        if (l >= 0 && mi >= 0 && mi < PL_HISTORY_MONTHS)
            series[(size_t)l * PL_HISTORY_MONTHS + mi] += qty_to_double(db_get_qty(h, i, 3));
    }
    /* Flood-season months count double in the backtest (architecture §4):
     * the forecast that matters is the one for the season. */
    for (int k = 0; k < PL_HISTORY_MONTHS; k++) {
        int m = (first + k) % 12 + 1;
        w[k] = m >= 4 && m <= 10 ? 2.0 : 1.0;
    }
    fc_options_default(&opt);
    opt.weights = w;
    for (int l = 0; l < r->nlines; l++) {
        struct pl_line *P = &r->lines[l];
        struct pl_line_info *I = &r->info[l];
        const double *y = &series[(size_t)l * PL_HISTORY_MONTHS];
        const struct pl_item_info *it = &r->items[I->item];
        struct fc_fit fit;
        double months = (r->season_start - r->today) / 30.4375, q = 0, tot = 0;
        int lead = (int)ceil(it->lead_days / 30.4375);

        for (int k = 0; k < PL_HISTORY_MONTHS; k++)
            tot += y[k];
        I->history_months = PL_HISTORY_MONTHS;
        I->history_total = to_milli_up(tot);
        if (fc_select(y, PL_HISTORY_MONTHS, FC_AUTO, &opt, &fit) != 0)
            continue;
        I->method = fit.method;
        I->rate = fit.forecast;
        I->months_to_start = months > 0 ? (int)ceil(months) : 0;
        P->forecast_use = months > 0 ? to_milli_up(fit.forecast * months) : 0;
        if (lead < 1)
            lead = 1;
        if (fc_lead_quantile(&fit, y, PL_HISTORY_MONTHS, lead, r->service_level, &q) == 0)
            P->safety = to_milli_up(q - lead * fit.forecast);
    }
    free(series);
    free(w);
    return 0;
}

int pl_build(struct db_conn *db, int season_year, struct pl_result *out, struct app_err *err)
{
    int max;

    memset(out, 0, sizeof(*out));
    out->season_year = season_year;
    if (load_settings(db, out, err) != 0 || load_readiness(db, out, err) != 0 ||
        load_positions(db, out, err) != 0 || load_incoming(db, out, err) != 0 ||
        load_suppliers(db, out, err) != 0 || forecast_lines(db, out, err) != 0)
        return -1;
    out->season_year = ((struct rd_result *)out->owned[OWN_RD])->season.year;
    if (load_actions(db, out, err) != 0)
        return -1;
    for (int l = 0; l < out->nlines; l++)
        pl_line_compute(&out->lines[l]);
    max = out->nlines * 4 + 16;
    for (;;) {
        out->transfers = calloc((size_t)max, sizeof(*out->transfers));
        if (!out->transfers)
            return err_set(err, 500, "internal", "out of memory");
        out->ntransfers =
            pl_transfers(out->lines, out->nlines, out->pos, out->ntowns, out->transfers, max);
        if (out->ntransfers >= 0)
            break;
        /* too many: undo and retry with room for every pair */
        free(out->transfers);
        out->transfers = NULL;
        for (int l = 0; l < out->nlines; l++)
            out->lines[l].transfer_in = out->lines[l].transfer_out = 0;
        if (max >= out->nlines * out->nlines + 16)
            return err_set(err, 500, "internal", "transfer planning failed");
        max = out->nlines * out->nlines + 16;
    }
    out->purchases = calloc((size_t)out->nlines + 1, sizeof(*out->purchases));
    if (!out->purchases)
        return err_set(err, 500, "internal", "out of memory");
    for (int l = 0; l < out->nlines; l++) {
        struct pl_purchase p;
        const struct pl_item_info *it = &out->items[out->info[l].item];
        pl_purchase(&out->lines[l], l, it->lead_days, out->season_start, out->today, &p);
        if (p.qty > 0)
            out->purchases[out->npurchases++] = p;
    }
    return 0;
}

int pl_history(struct db_conn *db, const char *town_path, int64_t item_id, int weekly, int periods,
               int32_t today, int64_t *out, struct app_err *err)
{
    struct db_res *h = NULL;
    int32_t first_day;
    char from[11];

    if (periods < 1)
        return 0;
    if (weekly) {
        /* ISO weeks start on Monday; day 0 (1970-01-01) was a Thursday. */
        int32_t monday = today - (int32_t)(((today % 7) + 10) % 7);
        first_day = monday - 7 * (periods - 1);
    } else {
        first_day = month_first_day(month_index(today) - (periods - 1));
    }
    day_text(first_day, from);
    if (db_query(db, &h, err,
                 "SELECT DATEDIFF(DATE(m.occurred_at), ?), -m.qty"
                 " FROM movement m JOIN depot d ON d.id = m.depot_id"
                 " JOIN org_unit o ON o.id = d.org_unit_id"
                 " WHERE m.kind = 'issue' AND d.kind IN ('town', 'village') AND m.item_id = ?"
                 " AND o.path LIKE CONCAT(?, '%') AND m.occurred_at >= ?"
                 " AND NOT EXISTS (SELECT 1 FROM movement rv WHERE rv.reverses_id = m.id)",
                 "slss", from, (long long)item_id, town_path, from) != 0)
        return -1;
    for (int i = 0; i < h->nrows; i++) {
        int64_t off = db_get_int(h, i, 0);
        int b;
        if (weekly) {
            b = (int)(off / 7);
        } else {
            b = month_index(first_day + (int32_t)off) - month_index(first_day);
        }
        if (b >= 0 && b < periods)
            out[b] += db_get_qty(h, i, 1);
    }
    db_res_free(h);
    return 0;
}
