/*
 * h_plans.c -- GET /plans/{season} (the city), /plans/{season}/towns/{code}
 * and /plans/{season}/towns/{code}/items/{item}/history.
 *
 * The plan is domain/plan.c; this file checks the caller's scope, renders a
 * struct pl_result as JSON, and exports its tables as CSV or XLSX
 * (?format=csv|xlsx, ?table=lines|transfers|purchases|procurement).
 * `reliefctl plan` calls plan_answer, so it prints exactly what the API says.
 */
#include "handlers.h"
#include "export.h"
#include "query.h"

#include "../core/util.h"
#include "../domain/plan.h"
#include "../domain/readiness.h"
#include "../forecast/forecast.h"
#include "../store/db.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static json_t *jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* A milli quantity as a JSON number: 12 or 12.5. */
static json_t *jqty(int64_t q)
{
    if (q % QTY_SCALE == 0)
        return json_integer((json_int_t)(q / QTY_SCALE));
    return json_real(qty_to_double(q));
}

static json_t *jday(int32_t day)
{
    char d[11];
    if (day == RD_NEVER || day == RD_NO_DAY)
        return json_null();
    rd_day_format(day, d);
    return json_string(d);
}

/* A rate rounded to 3 decimals (a forecast is no more precise than that). */
static json_t *jrate(double v)
{
    return json_real(round(v * 1000) / 1000);
}

static json_t *line_json(const struct pl_result *r, int l)
{
    const struct pl_line *L = &r->lines[l];
    const struct pl_line_info *I = &r->info[l];
    const struct pl_item_info *it = &r->items[I->item];
    const struct pl_town_info *t = &r->towns[L->town];
    int32_t order_by = r->season_start - it->lead_days;
    json_t *o = json_object();

    json_object_set_new(o, "town_code", jstr(t->code));
    json_object_set_new(o, "town_name_zh", jstr(t->name_zh));
    json_object_set_new(o, "town_name_en", jstr(t->name_en));
    json_object_set_new(o, "town_depot_id",
                        t->depot_id ? json_integer((json_int_t)t->depot_id) : json_null());
    json_object_set_new(o, "town_depot_code", jstr(t->depot_code));
    json_object_set_new(o, "item_id", json_integer((json_int_t)it->id));
    json_object_set_new(o, "item_code", jstr(it->code));
    json_object_set_new(o, "item_name_zh", jstr(it->name_zh));
    json_object_set_new(o, "item_name_en", jstr(it->name_en));
    json_object_set_new(o, "unit", jstr(it->unit));
    json_object_set_new(o, "required", jqty(L->required));
    json_object_set_new(o, "on_hand", jqty(L->on_hand));
    json_object_set_new(o, "forecast_method", jstr(fc_method_name(I->method)));
    json_object_set_new(o, "forecast_per_month", jrate(I->rate));
    json_object_set_new(o, "forecast_use", jqty(L->forecast_use));
    json_object_set_new(o, "expiring", jqty(L->expiring));
    json_object_set_new(o, "on_order", jqty(L->on_order));
    json_object_set_new(o, "inbound", jqty(L->inbound));
    json_object_set_new(o, "projected", jqty(L->projected));
    json_object_set_new(o, "safety_stock", jqty(L->safety));
    json_object_set_new(o, "shortfall", jqty(L->shortfall));
    json_object_set_new(o, "replacement", jqty(L->replace_part));
    json_object_set_new(o, "forecast_need", jqty(L->forecast_part));
    json_object_set_new(o, "surplus", jqty(L->surplus));
    json_object_set_new(o, "transfer_in", jqty(L->transfer_in));
    json_object_set_new(o, "transfer_out", jqty(L->transfer_out));
    json_object_set_new(o, "purchase", jqty(L->purchase));
    json_object_set_new(o, "supplier_id",
                        it->supplier_id ? json_integer((json_int_t)it->supplier_id) : json_null());
    json_object_set_new(o, "supplier_code", jstr(it->supplier_code));
    json_object_set_new(o, "lead_days", json_integer(it->lead_days));
    json_object_set_new(o, "lead_default", json_boolean(it->lead_default));
    json_object_set_new(o, "order_by", L->purchase > 0 ? jday(order_by) : json_null());
    json_object_set_new(o, "urgent", json_boolean(L->purchase > 0 && order_by < r->today));
    json_object_set_new(o, "requested", jqty(I->requested));
    json_object_set_new(o, "po_drafted", jqty(I->po_drafted));
    return o;
}

static json_t *transfer_json(const struct pl_result *r, const struct pl_transfer *t)
{
    const struct pl_line *from = &r->lines[t->from_line], *to = &r->lines[t->to_line];
    const struct pl_item_info *it = &r->items[r->info[t->to_line].item];
    return json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "item_code", jstr(it->code),
        "item_name_zh", jstr(it->name_zh), "item_name_en", jstr(it->name_en), "unit",
        jstr(it->unit), "from_town_code", jstr(r->towns[from->town].code), "from_town_name_zh",
        jstr(r->towns[from->town].name_zh), "to_town_code", jstr(r->towns[to->town].code),
        "to_town_name_zh", jstr(r->towns[to->town].name_zh), "qty", jqty(t->qty), "distance_km",
        t->km < 0 ? json_null() : json_real(round(t->km * 10) / 10));
}

static json_t *purchase_json(const struct pl_result *r, const struct pl_purchase *p)
{
    const struct pl_line *L = &r->lines[p->line];
    const struct pl_item_info *it = &r->items[r->info[p->line].item];
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:i, s:b, s:o, s:b}",
                     "town_code", jstr(r->towns[L->town].code), "town_name_zh",
                     jstr(r->towns[L->town].name_zh), "item_code", jstr(it->code), "item_name_zh",
                     jstr(it->name_zh), "item_name_en", jstr(it->name_en), "unit", jstr(it->unit),
                     "qty", jqty(p->qty), "replacement",
                     jqty(L->replace_part < p->qty ? L->replace_part : p->qty), "supplier_code",
                     jstr(it->supplier_code), "lead_days", p->lead_days, "lead_default",
                     it->lead_default, "order_by", jday(p->order_by), "urgent", p->urgent);
}

/* The city's shopping list: one row per (item, supplier), towns summed. */
static json_t *procurement_json(const struct pl_result *r)
{
    json_t *a = json_array();
    for (int k = 0; k < r->nitems; k++) {
        const struct pl_item_info *it = &r->items[k];
        int64_t qty = 0, repl = 0;
        int towns = 0, urgent = 0;
        for (int p = 0; p < r->npurchases; p++) {
            const struct pl_purchase *P = &r->purchases[p];
            const struct pl_line *L = &r->lines[P->line];
            if (r->info[P->line].item != k)
                continue;
            qty += P->qty;
            repl += L->replace_part < P->qty ? L->replace_part : P->qty;
            towns++;
            urgent |= P->urgent;
        }
        if (qty == 0)
            continue;
        json_array_append_new(
            a, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:i, s:i, s:o, s:b}",
                         "item_code", jstr(it->code), "item_name_zh", jstr(it->name_zh),
                         "item_name_en", jstr(it->name_en), "unit", jstr(it->unit), "supplier_code",
                         jstr(it->supplier_code), "supplier_name", jstr(it->supplier_name), "qty",
                         jqty(qty), "replacement", jqty(repl), "towns", towns, "lead_days",
                         it->lead_days, "order_by", jday(r->season_start - it->lead_days), "urgent",
                         urgent));
    }
    return a;
}

int plan_answer(struct db_conn *db, int season_year, int64_t town_id, json_t **out,
                struct app_err *err)
{
    struct pl_result r;
    json_t *o, *lines, *transfers, *purchases;
    int town = -1;
    int64_t short_total = 0;
    int n_short = 0, n_urgent = 0;

    *out = NULL;
    if (pl_build(db, season_year, &r, err) != 0) {
        pl_result_free(&r);
        return -1;
    }
    if (town_id > 0) {
        for (int t = 0; t < r.ntowns; t++)
            if (r.towns[t].id == town_id)
                town = t;
        if (town < 0) {
            pl_result_free(&r);
            return err_set(err, 404, "not_found", "no town-level unit with this code");
        }
    }
    lines = json_array();
    transfers = json_array();
    purchases = json_array();
    for (int l = 0; l < r.nlines; l++) {
        if (town >= 0 && r.lines[l].town != town)
            continue;
        json_array_append_new(lines, line_json(&r, l));
        if (r.lines[l].shortfall > 0)
            n_short++;
    }
    for (int i = 0; i < r.ntransfers; i++) {
        const struct pl_transfer *t = &r.transfers[i];
        if (town >= 0 && r.lines[t->from_line].town != town && r.lines[t->to_line].town != town)
            continue;
        json_array_append_new(transfers, transfer_json(&r, t));
    }
    for (int i = 0; i < r.npurchases; i++) {
        const struct pl_purchase *p = &r.purchases[i];
        if (town >= 0 && r.lines[p->line].town != town)
            continue;
        json_array_append_new(purchases, purchase_json(&r, p));
        short_total += p->qty;
        n_urgent += p->urgent;
    }
    o = json_pack("{s:{s:i, s:o, s:o}, s:o, s:f, s:i, s:s}", "season", "year", r.season_year,
                  "start", jday(r.season_start), "end", jday(r.season_end), "today", jday(r.today),
                  "service_level", r.service_level, "default_lead_days", r.default_lead_days,
                  "history", "issue movements, last 36 complete months");
    if (!o) {
        json_decref(lines);
        json_decref(transfers);
        json_decref(purchases);
        pl_result_free(&r);
        return err_set(err, 500, "internal", "out of memory");
    }
    if (town >= 0)
        json_object_set_new(o, "org_unit",
                            json_pack("{s:I, s:o, s:o, s:o}", "id", (json_int_t)town_id, "code",
                                      jstr(r.towns[town].code), "name_zh",
                                      jstr(r.towns[town].name_zh), "name_en",
                                      jstr(r.towns[town].name_en)));
    json_object_set_new(o, "summary",
                        json_pack("{s:i, s:i, s:i, s:i, s:i}", "towns", town >= 0 ? 1 : r.ntowns,
                                  "lines_short", n_short, "transfers",
                                  (int)json_array_size(transfers), "purchases",
                                  (int)json_array_size(purchases), "urgent", n_urgent));
    json_object_set_new(o, "lines", lines);
    json_object_set_new(o, "transfers", transfers);
    json_object_set_new(o, "purchases", purchases);
    if (town < 0)
        json_object_set_new(o, "procurement", procurement_json(&r));
    (void)short_total;
    pl_result_free(&r);
    *out = o;
    return 0;
}

static int read_season(struct req *rq, int *year, struct app_err *err)
{
    int64_t y;
    if (parse_int64(rq->params[0], &y) != 0 || y < 2000 || y > 2200)
        return err_field(err, 400, "bad_query", "season", "season is a year 2000..2200");
    *year = (int)y;
    return 0;
}

/* JSON, or one of its tables as CSV / XLSX. */
static int render(struct req *rq, struct resp *rs, json_t *o, const char *name, struct app_err *err)
{
    const char *fmt = NULL, *table = NULL;
    char fn[128];
    json_t *rows;
    int rc;

    if (q_enum(rq, "format", "json|csv|xlsx", &fmt, err) != 0 ||
        q_enum(rq, "table", "lines|transfers|purchases|procurement", &table, err) != 0) {
        json_decref(o);
        return -1;
    }
    if (!fmt || strcmp(fmt, "json") == 0) {
        resp_json(rs, 200, o);
        return 0;
    }
    if (!table)
        table = "lines";
    rows = json_object_get(o, table);
    if (!rows) {
        json_decref(o);
        return err_field(err, 400, "bad_query", "table", "a town's plan has no procurement table");
    }
    snprintf(fn, sizeof(fn), "%s-%s.%s", name, table, fmt);
    rc = strcmp(fmt, "csv") == 0 ? resp_csv_json(rs, rows, fn, err)
                                 : resp_xlsx_json(rs, rows, table, fn, err);
    json_decref(o);
    return rc;
}

int h_plan_city(struct req *rq, struct resp *rs, struct app_err *err)
{
    json_t *o;
    int year = 0;
    char name[32];

    if (read_season(rq, &year, err) != 0 || plan_answer(rq->db, year, 0, &o, err) != 0)
        return -1;
    snprintf(name, sizeof(name), "plan-%d", year);
    return render(rq, rs, o, name, err);
}

static int town_ref(struct req *rq, int64_t *id, struct app_err *err)
{
    return resolve_ref(rq->db, rq->params[1], "SELECT id FROM org_unit WHERE code = ?", id, 404,
                       "code", err) != 0 ||
                   auth_check_org(rq->db, &rq->who, *id, err) != 0
               ? -1
               : 0;
}

int h_plan_town(struct req *rq, struct resp *rs, struct app_err *err)
{
    json_t *o;
    int64_t id;
    int year = 0;
    char name[96];

    if (read_season(rq, &year, err) != 0 || town_ref(rq, &id, err) != 0 ||
        plan_answer(rq->db, year, id, &o, err) != 0)
        return -1;
    snprintf(name, sizeof(name), "plan-%d-%s", year, rq->params[1]);
    return render(rq, rs, o, name, err);
}

/*
 * Demand history of (town, item): monthly (36 months) or weekly (?weekly=1,
 * 52 weeks) buckets of issue movements, with the emergency events that
 * touched the town (or the whole city) in each bucket, plus the plan line
 * of that item, so a chart can draw history, forecast and projected stock
 * against the standard from one answer.
 */
int h_plan_history(struct req *rq, struct resp *rs, struct app_err *err)
{
    json_t *plan = NULL, *o, *periods, *line = NULL;
    struct db_res *town = NULL, *ev = NULL;
    int64_t id, item, wk = 0, *buckets = NULL;
    int year = 0, has_wk, weekly, n, rc = -1;
    int32_t today = (int32_t)(time(NULL) / 86400), first;
    const char *fmt = NULL;
    char from[11];

    if (read_season(rq, &year, err) != 0 || town_ref(rq, &id, err) != 0 ||
        resolve_ref(rq->db, rq->params[2], "SELECT id FROM item WHERE code = ?", &item, 404, "item",
                    err) != 0 ||
        q_int(rq, "weekly", &wk, &has_wk, err) != 0 ||
        q_enum(rq, "format", "json|csv|xlsx", &fmt, err) != 0)
        return -1;
    weekly = has_wk && wk != 0;
    n = weekly ? 52 : PL_HISTORY_MONTHS;
    buckets = calloc((size_t)n, sizeof(*buckets));
    if (!buckets)
        return err_set(err, 500, "internal", "out of memory");
    if (db_query(rq->db, &town, err, "SELECT path FROM org_unit WHERE id = ?", "l",
                 (long long)id) != 0 ||
        pl_history(rq->db, db_get(town, 0, 0), item, weekly, n, today, buckets, err) != 0 ||
        plan_answer(rq->db, year, id, &plan, err) != 0)
        goto done;
    if (weekly) {
        first = today - (int32_t)(((today % 7) + 10) % 7) - 7 * (n - 1);
    } else {
        int y, m, d;
        civil_from_days(today, &y, &m, &d);
        m -= n - 1;
        while (m < 1) {
            m += 12;
            y--;
        }
        first = (int32_t)days_from_civil(y, m, 1);
    }
    rd_day_format(first, from);
    if (db_query(rq->db, &ev, err,
                 "SELECT e.code, e.name_zh, e.name_en, e.kind,"
                 " DATEDIFF(e.started_on, ?), DATEDIFF(COALESCE(e.ended_on, CURDATE()), ?)"
                 " FROM emergency_event e"
                 " WHERE COALESCE(e.ended_on, CURDATE()) >= ?"
                 " AND (NOT EXISTS (SELECT 1 FROM emergency_event_place p WHERE p.event_id = e.id)"
                 "  OR EXISTS (SELECT 1 FROM emergency_event_place p JOIN org_unit o"
                 "   ON o.id = p.org_unit_id WHERE p.event_id = e.id"
                 "   AND (o.path LIKE CONCAT(?, '%') OR ? LIKE CONCAT(o.path, '%'))))"
                 " ORDER BY e.started_on",
                 "sssss", from, from, from, db_get(town, 0, 0), db_get(town, 0, 0)) != 0)
        goto done;
    periods = json_array();
    for (int b = 0; b < n; b++) {
        int32_t lo, hi;
        char label[16];
        json_t *evs = json_array();
        if (weekly) {
            int y, m, d;
            lo = first + 7 * b;
            hi = lo + 6;
            civil_from_days(lo, &y, &m, &d);
            snprintf(label, sizeof(label), "%04d-%02d-%02d", y, m, d);
        } else {
            int y, m, d;
            civil_from_days(first, &y, &m, &d);
            m += b;
            y += (m - 1) / 12;
            m = (m - 1) % 12 + 1;
            lo = (int32_t)days_from_civil(y, m, 1);
            hi = (int32_t)days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) - 1;
            snprintf(label, sizeof(label), "%04d-%02d", y, m);
        }
        for (int e = 0; e < ev->nrows; e++) {
            int32_t s = first + (int32_t)db_get_int(ev, e, 4),
                    t = first + (int32_t)db_get_int(ev, e, 5);
            if (s <= hi && t >= lo)
                json_array_append_new(evs, jstr(db_get(ev, e, 0)));
        }
        json_array_append_new(periods, json_pack("{s:s, s:o, s:o}", "period", label, "qty",
                                                 jqty(buckets[b]), "events", evs));
    }
    {
        json_t *ls = json_object_get(plan, "lines"), *x;
        size_t i;
        const char *code = rq->params[2];
        json_array_foreach(ls, i, x)
        {
            if (strcmp(json_string_value(json_object_get(x, "item_code")), code) == 0)
                line = json_incref(x);
        }
    }
    o = json_pack("{s:o, s:s, s:s, s:o, s:O, s:o, s:o}", "org_unit",
                  json_incref(json_object_get(plan, "org_unit")), "item_code", rq->params[2],
                  "bucket", weekly ? "week" : "month", "periods", periods, "season",
                  json_object_get(plan, "season"), "plan_line", line ? line : json_null(), "events",
                  json_array());
    for (int e = 0; e < ev->nrows; e++)
        json_array_append_new(json_object_get(o, "events"),
                              json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "code",
                                        jstr(db_get(ev, e, 0)), "name_zh", jstr(db_get(ev, e, 1)),
                                        "name_en", jstr(db_get(ev, e, 2)), "kind",
                                        jstr(db_get(ev, e, 3)), "started_on",
                                        jday(first + (int32_t)db_get_int(ev, e, 4)), "ended_on",
                                        jday(first + (int32_t)db_get_int(ev, e, 5))));
    if (!fmt || strcmp(fmt, "json") == 0) {
        resp_json(rs, 200, o);
        rc = 0;
    } else {
        char fn[128];
        json_t *rows = json_array(), *p;
        size_t i;
        /* the events of a bucket as one text cell */
        json_array_foreach(periods, i, p)
        {
            json_t *r = json_pack("{s:O, s:O}", "period", json_object_get(p, "period"), "qty",
                                  json_object_get(p, "qty"));
            json_t *evs = json_object_get(p, "events"), *e;
            size_t k;
            char buf[256] = "";
            json_array_foreach(evs, k, e)
            {
                if (k)
                    strncat(buf, " ", sizeof(buf) - strlen(buf) - 1);
                strncat(buf, json_string_value(e), sizeof(buf) - strlen(buf) - 1);
            }
            json_object_set_new(r, "events", json_string(buf));
            json_array_append_new(rows, r);
        }
        snprintf(fn, sizeof(fn), "demand-%s-%s.%s", rq->params[1], rq->params[2], fmt);
        rc = strcmp(fmt, "csv") == 0 ? resp_csv_json(rs, rows, fn, err)
                                     : resp_xlsx_json(rs, rows, "demand", fn, err);
        json_decref(rows);
        json_decref(o);
    }
done:
    json_decref(plan);
    db_res_free(town);
    db_res_free(ev);
    free(buckets);
    return rc;
}
