/*
 * h_readiness.c -- GET /readiness/{towns/{code},city,teams/{id},villages/{code}}.
 *
 * The computation is domain/readiness.c; this file reads the query, checks
 * scope, and renders a struct rd_result as JSON (or the city view as CSV).
 * `reliefctl readiness` calls these same handlers, so the command line and
 * the API can never disagree (ctl/readiness.c).
 */
#include "handlers.h"
#include "export.h"
#include "query.h"

#include "../core/buf.h"
#include "../core/util.h"
#include "../domain/readiness.h"
#include "../store/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- small JSON helpers */

static json_t *jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *jday(int32_t day)
{
    char d[11];
    if (day == RD_NEVER || day == RD_NO_DAY)
        return json_null();
    rd_day_format(day, d);
    return json_string(d);
}

/* A percentage in tenths: 87.5, 100, or null. */
static json_t *jpct(int x10)
{
    if (x10 < 0)
        return json_null();
    if (x10 % 10 == 0)
        return json_integer(x10 / 10);
    return json_real(x10 / 10.0);
}

static json_t *jstatus(enum rd_status s)
{
    return jstr(rd_status_name(s));
}

static const char *basis_name(char b)
{
    switch (b) {
    case '5':
        return "per_500_persons";
    case 'p':
        return "per_person";
    case 't':
        return "per_team";
    case 'c':
        return "check";
    default:
        return "fixed";
    }
}

/* ---------------------------------------------------------------- query */

/* as_of, season, source and ledger from the query string. */
static int read_request(struct req *rq, struct rd_request *q, char as_of[11], struct app_err *err)
{
    int has_date, has_season;
    int64_t season = 0;
    const char *source, *ledger;

    memset(q, 0, sizeof(*q));
    if (q_date(rq, "as_of", as_of, &has_date, err) != 0 ||
        q_int(rq, "season", &season, &has_season, err) != 0 ||
        q_enum(rq, "source", "stock|ledger", &source, err) != 0 ||
        q_enum(rq, "ledger", "sum|delta", &ledger, err) != 0)
        return -1;
    /* ledger=sum|delta: which way a past day is read (the answers agree; a
     * check of one against the other).  Unset, the cheaper is chosen. */
    q->ledger = !ledger ? RD_LEDGER_AUTO : !strcmp(ledger, "sum") ? RD_LEDGER_SUM : RD_LEDGER_DELTA;
    q->as_of = has_date ? as_of : NULL;
    if (has_season && (season < 2000 || season > 2200))
        return err_field(err, 400, "bad_query", "season", "season is a year 2000..2200");
    q->season_year = has_season ? (int)season : 0;
    q->from_ledger = source && strcmp(source, "ledger") == 0;
    /* source=stock is only a request to say so: stock can only answer for
     * today or later, checked once the day is known (check_source). */
    return 0;
}

static int check_source(struct req *rq, const struct rd_result *r, struct app_err *err)
{
    const char *source = req_query(rq, "source");
    if (source && strcmp(source, "stock") == 0 && r->from_ledger)
        return err_field(err, 400, "bad_query", "source",
                         "source=stock answers only for today or later: a past day is summed "
                         "from the ledger");
    return 0;
}

/* ---------------------------------------------------------------- rendering */

static json_t *season_json(const struct rd_season *s)
{
    return json_pack("{s:i, s:o, s:o, s:s}", "year", s->year, "start", jday(s->start), "end",
                     jday(s->end), "basis", s->basis);
}

static json_t *standard_json(const struct rd_result *r)
{
    const struct rd_standard *S = &r->std;
    if (!r->has_std)
        return json_null();
    return json_pack("{s:I, s:s, s:i, s:s, s:s, s:s, s:s, s:b}", "id", (json_int_t)S->id, "code",
                     S->code, "version", S->version, "kind", S->kind, "name_zh", S->name_zh,
                     "name_en", S->name_en, "created_at", S->created_at, "in_force", S->in_force);
}

static json_t *thresholds_json(const struct rd_settings *s)
{
    return json_pack("{s:i, s:i, s:i}", "green_pct", s->green_pct, "amber_pct", s->amber_pct,
                     "stocktake_max_age_days", s->stale_days);
}

/* The fields every readiness answer starts with. */
static json_t *head_json(const struct rd_result *r)
{
    char d[11];
    rd_day_format(r->as_of, d);
    return json_pack("{s:s, s:s, s:o, s:s, s:o, s:o, s:o}", "as_of", d, "source",
                     r->from_ledger ? "ledger" : "stock", "ledger",
                     !r->from_ledger                ? json_null()
                     : r->ledger == RD_LEDGER_DELTA ? json_string("delta")
                                                    : json_string("sum"),
                     "computed_at", r->computed_at, "season", season_json(&r->season), "standard",
                     standard_json(r), "thresholds", thresholds_json(&r->set));
}

static json_t *line_json(const struct rd_result *r, const struct rd_unit *u, int k, int team)
{
    const struct rd_line *L = &r->std.lines[k];
    const struct rd_line_out *O = &u->lines[k];
    int64_t usable = O->own + O->from_subs;
    json_t *subs = json_array(), *o;

    for (int j = L->sub0; j < L->sub0 + L->nsub; j++) {
        const struct rd_sub *S = &r->std.subs[j];
        json_array_append_new(
            subs, json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "item_id",
                            (json_int_t)S->item_id, "item_code", jstr(S->item_code), "item_name_zh",
                            jstr(S->item_name_zh), "item_name_en", jstr(S->item_name_en), "unit",
                            jstr(S->unit), "ratio", json_qty(S->ratio), "used",
                            json_qty(u->subs[j].used), "counted", json_qty(u->subs[j].counted)));
    }
    o = json_pack("{s:I, s:I, s:o, s:o, s:o, s:o, s:s, s:o, s:o, s:o}", "line_id",
                  (json_int_t)L->id, "item_id", (json_int_t)L->item_id, "item_code",
                  jstr(L->item_code), "item_name_zh", jstr(L->item_name_zh), "item_name_en",
                  jstr(L->item_name_en), "unit", jstr(L->unit), "basis", basis_name(L->basis),
                  "qty", json_qty(L->qty), "min_shelf_months",
                  L->min_shelf_months >= 0 ? json_integer(L->min_shelf_months) : json_null(),
                  "cutoff", jday(O->cutoff));
    json_object_set_new(o, "required", json_qty(O->required));
    json_object_set_new(o, "usable", json_qty(usable));
    json_object_set_new(o, "usable_own", json_qty(O->own));
    json_object_set_new(o, "usable_substitutes", json_qty(O->from_subs));
    json_object_set_new(o, "shortfall", json_qty(usable < O->required ? O->required - usable : 0));
    json_object_set_new(o, "not_in_date", json_qty(O->not_in_date));
    json_object_set_new(o, "quarantined", json_qty(O->quarantined));
    json_object_set_new(o, "coverage_pct", jpct(O->coverage_x10));
    json_object_set_new(o, "status", jstatus(O->status));
    if (team)
        json_object_set_new(o, "missing_persons",
                            L->basis == 'p' ? json_integer(O->missing_persons) : json_null());
    json_object_set_new(o, "substitutes", subs);
    return o;
}

static json_t *lines_json(const struct rd_result *r, const struct rd_unit *u, int team)
{
    json_t *a = json_array();
    for (int k = 0; r->has_std && k < r->std.nlines; k++)
        json_array_append_new(a, line_json(r, u, k, team));
    return a;
}

static json_t *summary_json(const struct rd_result *r, const struct rd_unit *u)
{
    return json_pack("{s:i, s:i, s:i, s:i, s:i}", "lines", r->has_std ? r->std.nlines : 0, "green",
                     u->n_green, "amber", u->n_amber, "red", u->n_red, "short", u->n_short);
}

static json_t *kits_json(const struct rd_result *r, const struct rd_unit *u)
{
    json_t *a = json_array();
    for (int k = 0; k < r->kits.nkits; k++) {
        const struct rd_kit *K = &r->kits.kits[k];
        json_t *lines = json_array();
        const char *limit = NULL;
        for (int l = K->line0; l < K->line0 + K->nlines; l++) {
            const struct rd_kit_line *KL = &r->kits.lines[l];
            int64_t kits = KL->qty > 0 ? u->kit_usable[l] / KL->qty : 0;
            if (kits == u->kit_cap[k] && !limit)
                limit = KL->item_code;
            json_array_append_new(
                lines,
                json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:I}", "item_id", (json_int_t)KL->item_id,
                          "item_code", jstr(KL->item_code), "item_name_zh", jstr(KL->item_name_zh),
                          "unit", jstr(KL->unit), "qty_per_kit", json_qty(KL->qty),
                          "usable_in_date", json_qty(u->kit_usable[l]), "kits", (json_int_t)kits));
        }
        json_array_append_new(a, json_pack("{s:I, s:o, s:o, s:o, s:I, s:o, s:o}", "kit_id",
                                           (json_int_t)K->id, "code", jstr(K->code), "name_zh",
                                           jstr(K->name_zh), "name_en", jstr(K->name_en),
                                           "capacity", (json_int_t)u->kit_cap[k], "limited_by",
                                           jstr(limit), "lines", lines));
    }
    return a;
}

static const char *rotate_reason(unsigned f)
{
    if (f & RD_LOT_EXPIRED)
        return "expired";
    if (f & RD_LOT_BEFORE_SEASON)
        return "expires_before_season";
    if (f & RD_LOT_IN_SEASON)
        return "expires_in_season";
    return "short_shelf_life";
}

/* A lot holding as the findings show it (last_count_at only for stale counts). */
static json_t *lot_json(const struct rd_result *r, int i, int keep_count)
{
    json_t *o = json_from_row(r->lots, i);
    json_object_del(o, "quarantined");
    json_object_del(o, "first_at");
    json_object_del(o, "stale");
    if (!keep_count)
        json_object_del(o, "last_count_at");
    return o;
}

static json_t *findings_json(const struct rd_result *r, const struct rd_unit *u, int team)
{
    json_t *shortfall = json_array(), *rotate = json_array(), *quar = json_array();
    json_t *stale = json_array(), *members = json_array(), *f;

    for (int k = 0; r->has_std && k < r->std.nlines; k++) {
        const struct rd_line *L = &r->std.lines[k];
        const struct rd_line_out *O = &u->lines[k];
        int64_t usable = O->own + O->from_subs;
        if (L->basis == 'c' || usable >= O->required)
            continue;
        json_array_append_new(
            shortfall,
            json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "item_id",
                      (json_int_t)L->item_id, "item_code", jstr(L->item_code), "item_name_zh",
                      jstr(L->item_name_zh), "item_name_en", jstr(L->item_name_en), "unit",
                      jstr(L->unit), "required", json_qty(O->required), "usable", json_qty(usable),
                      "missing", json_qty(O->required - usable), "status", jstatus(O->status)));
        if (team && L->basis == 'p')
            json_array_append_new(members,
                                  json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:I}", "item_id",
                                            (json_int_t)L->item_id, "item_code", jstr(L->item_code),
                                            "item_name_zh", jstr(L->item_name_zh), "qty_per_person",
                                            json_qty(L->qty), "usable", json_qty(usable),
                                            "missing_persons", (json_int_t)O->missing_persons));
    }
    for (int i = 0; r->lots && i < r->lots->nrows; i++) {
        unsigned fl = r->lot_flags[i];
        if (fl & RD_LOT_QUARANTINED) {
            json_array_append_new(quar, lot_json(r, i, 0));
        } else if (fl & RD_LOT_ROTATE) {
            json_t *o = lot_json(r, i, 0);
            json_object_set_new(o, "reason", json_string(rotate_reason(fl)));
            json_object_set_new(o, "cutoff", jday(r->lot_cutoff[i]));
            json_array_append_new(rotate, o);
        }
        if (fl & RD_LOT_STALE) {
            /* How old: from the later of the last count and the first
             * receipt (text order of "YYYY-MM-DD HH:MM:SS" is time order). */
            const char *last = db_get(r->lots, i, 14), *first = db_get(r->lots, i, 15);
            const char *since = !last ? first : !first || strcmp(last, first) > 0 ? last : first;
            int32_t sd = RD_NO_DAY;
            char day[11];
            json_t *o = lot_json(r, i, 1);
            if (since && strlen(since) >= 10) {
                memcpy(day, since, 10);
                day[10] = '\0';
                if (rd_day_parse(day, &sd) != 0)
                    sd = RD_NO_DAY;
            }
            json_object_set_new(o, "never_counted", json_boolean(last == NULL));
            json_object_set_new(o, "age_days",
                                sd != RD_NO_DAY ? json_integer(r->as_of - sd) : json_null());
            json_array_append_new(stale, o);
        }
    }
    f = json_pack("{s:o, s:o, s:o, s:o, s:o}", "shortfall", shortfall, "rotate", rotate,
                  "quarantined", quar, "stale_counts", stale, "assets",
                  r->assets ? json_from_rows(r->assets) : json_array());
    if (team) {
        json_object_set_new(f, "members_without_kit", members);
        json_object_set_new(f, "members_without_kit_max", json_integer(u->missing_persons));
    } else {
        json_decref(members);
    }
    json_object_set_new(f, "counts",
                        json_pack("{s:i, s:I, s:I, s:I, s:I, s:I}", "shortfall", u->n_short,
                                  "rotate", (json_int_t)u->rotate_rows, "quarantined",
                                  (json_int_t)u->quarantined_rows, "stale_counts",
                                  (json_int_t)u->stale_rows, "assets_inspection_overdue",
                                  (json_int_t)u->assets_overdue, "assets_under_repair",
                                  (json_int_t)u->assets_repair));
    return f;
}

static json_t *town_json(const struct rd_result *r)
{
    const struct rd_unit *u = &r->units[0];
    json_t *o = head_json(r);
    json_object_set_new(o, "org_unit",
                        json_pack("{s:I, s:o, s:o, s:o, s:o, s:I, s:b}", "id", (json_int_t)u->id,
                                  "code", jstr(u->code), "name_zh", jstr(u->name_zh), "name_en",
                                  jstr(u->name_en), "kind", jstr(u->kind), "reserve_persons",
                                  (json_int_t)u->persons, "reserve_persons_default",
                                  u->persons_default));
    json_object_set_new(o, "status", jstatus(u->status));
    json_object_set_new(o, "min_coverage_pct", jpct(u->min_cov_x10));
    json_object_set_new(o, "summary", summary_json(r, u));
    json_object_set_new(o, "lines", lines_json(r, u, 0));
    json_object_set_new(o, "kits", kits_json(r, u));
    json_object_set_new(o, "findings", findings_json(r, u, 0));
    return o;
}

/* Render a town answer as the caller asked: JSON, the lines as CSV or
 * XLSX (format=), or the printable report (pdf 1).  Takes o. */
static int town_render(struct resp *rs, json_t *o, const char *fmt, int pdf, struct app_err *err)
{
    char name[96];
    int rc = 0;

    snprintf(name, sizeof(name), "readiness-%s",
             json_string_value(json_object_get(json_object_get(o, "org_unit"), "code")));
    if (pdf) {
        char *out = NULL, fn[112];
        size_t len = 0;
        rc = report_pdf_town(o, NULL, 0, &out, &len, err);
        snprintf(fn, sizeof(fn), "%s.pdf", name);
        if (rc == 0)
            resp_pdf(rs, out, len, fn);
    } else if (fmt && strcmp(fmt, "csv") == 0) {
        char fn[112];
        snprintf(fn, sizeof(fn), "%s.csv", name);
        rc = resp_csv_json(rs, json_object_get(o, "lines"), fn, err);
    } else if (fmt && strcmp(fmt, "xlsx") == 0) {
        char fn[112];
        snprintf(fn, sizeof(fn), "%s.xlsx", name);
        rc = resp_xlsx_json(rs, json_object_get(o, "lines"), "readiness", fn, err);
    } else {
        resp_json(rs, 200, o);
        return 0;
    }
    json_decref(o);
    return rc;
}

/* rd_request + as_of text + scope check, then the domain call. */
static int town_run(struct req *rq, struct resp *rs, int pdf, struct app_err *err)
{
    struct rd_request q;
    struct rd_result r;
    char as_of[11];
    const char *fmt = NULL;
    int64_t id;
    int rc = -1;

    memset(&r, 0, sizeof(r));
    if ((!pdf && q_enum(rq, "format", "json|csv|xlsx", &fmt, err) != 0) ||
        read_request(rq, &q, as_of, err) != 0 ||
        resolve_ref(rq->db, rq->params[0], "SELECT id FROM org_unit WHERE code = ?", &id, 404,
                    "code", err) != 0 ||
        auth_check_org(rq->db, &rq->who, id, err) != 0)
        return -1;
    if (rd_town(rq->db, id, &q, &r, err) == 0 && check_source(rq, &r, err) == 0)
        rc = town_render(rs, town_json(&r), fmt, pdf, err);
    rd_result_free(&r);
    return rc;
}

int h_readiness_town(struct req *rq, struct resp *rs, struct app_err *err)
{
    return town_run(rq, rs, 0, err);
}

int h_readiness_town_pdf(struct req *rq, struct resp *rs, struct app_err *err)
{
    return town_run(rq, rs, 1, err);
}

int readiness_town_answer(struct db_conn *db, int64_t org_unit_id, int season_year, json_t **out,
                          struct app_err *err)
{
    struct rd_request q;
    struct rd_result r;
    int rc = -1;

    memset(&q, 0, sizeof(q));
    memset(&r, 0, sizeof(r));
    q.season_year = season_year;
    *out = NULL;
    if (rd_town(db, org_unit_id, &q, &r, err) == 0) {
        *out = town_json(&r);
        rc = *out ? 0 : err_set(err, 500, "internal", "out of memory");
    }
    rd_result_free(&r);
    return rc;
}

int h_readiness_team(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct rd_request q;
    struct rd_result r;
    char as_of[11];
    int64_t id, org;
    int rc = -1;

    memset(&r, 0, sizeof(r));
    if (read_request(rq, &q, as_of, err) != 0 ||
        resolve_ref(rq->db, rq->params[0], "SELECT id FROM team WHERE code = ?", &id, 404, "id",
                    err) != 0)
        return -1;
    if (db_query_int(rq->db, &org, err, "SELECT org_unit_id FROM team WHERE id = ?", "l",
                     (long long)id) != 0)
        return err->http == 404 ? err_set(err, 404, "not_found", "no such team") : -1;
    if (auth_check_org(rq->db, &rq->who, org, err) != 0)
        return -1;
    if (rd_team(rq->db, id, &q, &r, err) == 0 && check_source(rq, &r, err) == 0) {
        const struct rd_unit *u = &r.units[0];
        json_t *o = head_json(&r);
        json_object_set_new(o, "team",
                            json_pack("{s:I, s:o, s:o, s:o, s:o, s:I, s:I}", "id",
                                      (json_int_t)u->id, "code", jstr(u->code), "name_zh",
                                      jstr(u->name_zh), "name_en", jstr(u->name_en), "kind",
                                      jstr(u->team_kind), "headcount", (json_int_t)u->persons,
                                      "org_unit_id", (json_int_t)u->team_id_org));
        json_object_set_new(o, "status", jstatus(u->status));
        json_object_set_new(o, "min_coverage_pct", jpct(u->min_cov_x10));
        json_object_set_new(o, "summary", summary_json(&r, u));
        json_object_set_new(o, "lines", lines_json(&r, u, 1));
        json_object_set_new(o, "findings", findings_json(&r, u, 1));
        resp_json(rs, 200, o);
        rc = 0;
    }
    rd_result_free(&r);
    return rc;
}

int h_readiness_village(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct rd_request q;
    struct rd_result r;
    char as_of[11];
    int64_t id;
    int rc = -1;

    memset(&r, 0, sizeof(r));
    if (read_request(rq, &q, as_of, err) != 0 ||
        resolve_ref(rq->db, rq->params[0], "SELECT id FROM org_unit WHERE code = ?", &id, 404,
                    "code", err) != 0 ||
        auth_check_org(rq->db, &rq->who, id, err) != 0)
        return -1;
    if (rd_village(rq->db, id, &q, &r, err) == 0) {
        const struct rd_unit *u = &r.units[0];
        json_t *o = head_json(&r), *checks = json_array();
        for (int k = 0; r.has_std && k < r.std.nlines; k++) {
            const struct rd_line *L = &r.std.lines[k];
            json_array_append_new(checks, json_pack("{s:I, s:o, s:o, s:o, s:o, s:s}", "line_id",
                                                    (json_int_t)L->id, "code", jstr(L->check_code),
                                                    "name_zh", jstr(L->check_name_zh), "name_en",
                                                    jstr(L->check_name_en), "what_is_checked",
                                                    jstr(L->check_what), "answer", "unanswered"));
        }
        /* The flood season does not change a checklist; it is kept in the
         * answer so every readiness answer has the same head. */
        json_object_set_new(o, "org_unit",
                            json_pack("{s:I, s:o, s:o, s:o, s:o}", "id", (json_int_t)u->id, "code",
                                      jstr(u->code), "name_zh", jstr(u->name_zh), "name_en",
                                      jstr(u->name_en), "kind", jstr(u->kind)));
        json_object_set_new(o, "status", json_string("unanswered"));
        json_object_set_new(o, "answered", json_integer(0));
        json_object_set_new(o, "total", json_integer(json_array_size(checks)));
        json_object_set_new(o, "checks", checks);
        resp_json(rs, 200, o);
        rc = 0;
    }
    rd_result_free(&r);
    return rc;
}

/* ---------------------------------------------------------------- the city */

/* The line of `item` in the standard, -1 if it has none. */
static int line_index(const struct rd_result *r, int64_t item)
{
    for (int k = 0; r->has_std && k < r->std.nlines; k++)
        if (r->std.lines[k].item_id == item)
            return k;
    return -1;
}

struct city_row {
    const struct rd_unit *u;
    enum rd_status status; /* the unit's, or its line's with ?item= */
    int cov;
};

static int city_row_cmp(const void *a, const void *b)
{
    const struct city_row *x = a, *y = b;
    if (x->status != y->status)
        return (int)y->status - (int)x->status;
    if (x->cov != y->cov) {
        if (x->cov < 0)
            return 1;
        if (y->cov < 0)
            return -1;
        return x->cov - y->cov;
    }
    return strcmp(x->u->code, y->u->code);
}

static json_t *city_row_json(const struct rd_result *r, const struct rd_unit *u, int line)
{
    json_t *kits = json_object();
    const struct rd_line *W = u->worst_line >= 0 ? &r->std.lines[u->worst_line] : NULL;
    json_t *o =
        json_pack("{s:I, s:o, s:o, s:o, s:o, s:I, s:o, s:o}", "org_unit_id", (json_int_t)u->id,
                  "code", jstr(u->code), "name_zh", jstr(u->name_zh), "name_en", jstr(u->name_en),
                  "kind", jstr(u->kind), "reserve_persons", (json_int_t)u->persons, "status",
                  jstatus(u->status), "min_coverage_pct", jpct(u->min_cov_x10));
    json_object_set_new(o, "worst_item_code", jstr(W ? W->item_code : NULL));
    json_object_set_new(o, "lines_green", json_integer(u->n_green));
    json_object_set_new(o, "lines_amber", json_integer(u->n_amber));
    json_object_set_new(o, "lines_red", json_integer(u->n_red));
    json_object_set_new(o, "shortfall_lines", json_integer(u->n_short));
    json_object_set_new(o, "rotate", json_integer(u->rotate_rows));
    json_object_set_new(o, "quarantined", json_integer(u->quarantined_rows));
    json_object_set_new(o, "stale_counts", json_integer(u->stale_rows));
    json_object_set_new(o, "assets_inspection_overdue", json_integer(u->assets_overdue));
    json_object_set_new(o, "assets_under_repair", json_integer(u->assets_repair));
    for (int k = 0; k < r->kits.nkits; k++)
        json_object_set_new(kits, r->kits.kits[k].code, json_integer(u->kit_cap[k]));
    json_object_set_new(o, "kit_capacity", kits);
    if (line >= 0)
        json_object_set_new(o, "line", line_json(r, u, line, 0));
    return o;
}

/* RFC 4180 field, with the same spreadsheet-formula guard as respond.c. */
static void csv_put(struct buf *b, const char *s, int first)
{
    if (!first)
        buf_append(b, ",", 1);
    if (!s)
        return;
    if (s[0] && strchr("=+-@", s[0]) && !(s[0] == '-' && s[1] >= '0' && s[1] <= '9'))
        buf_append(b, "'", 1);
    if (!strpbrk(s, ",\"\r\n")) {
        buf_append(b, s, strlen(s));
        return;
    }
    buf_append(b, "\"", 1);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            buf_append(b, "\"", 1);
        buf_append(b, p, 1);
    }
    buf_append(b, "\"", 1);
}

static void csv_int(struct buf *b, long long v)
{
    char t[24];
    snprintf(t, sizeof(t), "%lld", v);
    csv_put(b, t, 0);
}

static void csv_qty(struct buf *b, int64_t v)
{
    char t[40];
    qty_format(v, t, sizeof(t));
    csv_put(b, t, 0);
}

static void csv_pct(struct buf *b, int x10)
{
    char t[24];
    if (x10 < 0) {
        csv_put(b, "", 0);
        return;
    }
    snprintf(t, sizeof(t), "%d.%d", x10 / 10, x10 % 10);
    csv_put(b, t, 0);
}

static int city_csv(struct resp *rs, const struct rd_result *r, const struct city_row *rows, int n,
                    int line)
{
    struct buf b;
    char asof[11];

    rd_day_format(r->as_of, asof);
    buf_init(&b, (size_t)64 << 20);
    csv_put(&b, "as_of", 1);
    csv_put(&b, "code", 0);
    csv_put(&b, "name_zh", 0);
    csv_put(&b, "name_en", 0);
    csv_put(&b, "kind", 0);
    csv_put(&b, "reserve_persons", 0);
    csv_put(&b, "status", 0);
    csv_put(&b, "min_coverage_pct", 0);
    csv_put(&b, "worst_item_code", 0);
    csv_put(&b, "lines_green", 0);
    csv_put(&b, "lines_amber", 0);
    csv_put(&b, "lines_red", 0);
    csv_put(&b, "shortfall_lines", 0);
    csv_put(&b, "rotate", 0);
    csv_put(&b, "quarantined", 0);
    csv_put(&b, "stale_counts", 0);
    csv_put(&b, "assets_inspection_overdue", 0);
    csv_put(&b, "assets_under_repair", 0);
    for (int k = 0; k < r->kits.nkits; k++) {
        char h[80];
        snprintf(h, sizeof(h), "kits_%s", r->kits.kits[k].code);
        csv_put(&b, h, 0);
    }
    if (line >= 0) {
        csv_put(&b, "item_code", 0);
        csv_put(&b, "required", 0);
        csv_put(&b, "usable", 0);
        csv_put(&b, "coverage_pct", 0);
        csv_put(&b, "line_status", 0);
    }
    buf_append(&b, "\r\n", 2);
    for (int i = 0; i < n; i++) {
        const struct rd_unit *u = rows[i].u;
        const struct rd_line *W = u->worst_line >= 0 ? &r->std.lines[u->worst_line] : NULL;
        csv_put(&b, asof, 1);
        csv_put(&b, u->code, 0);
        csv_put(&b, u->name_zh, 0);
        csv_put(&b, u->name_en, 0);
        csv_put(&b, u->kind, 0);
        csv_int(&b, u->persons);
        csv_put(&b, rd_status_name(u->status), 0);
        csv_pct(&b, u->min_cov_x10);
        csv_put(&b, W ? W->item_code : NULL, 0);
        csv_int(&b, u->n_green);
        csv_int(&b, u->n_amber);
        csv_int(&b, u->n_red);
        csv_int(&b, u->n_short);
        csv_int(&b, u->rotate_rows);
        csv_int(&b, u->quarantined_rows);
        csv_int(&b, u->stale_rows);
        csv_int(&b, u->assets_overdue);
        csv_int(&b, u->assets_repair);
        for (int k = 0; k < r->kits.nkits; k++)
            csv_int(&b, u->kit_cap[k]);
        if (line >= 0) {
            const struct rd_line_out *O = &u->lines[line];
            csv_put(&b, r->std.lines[line].item_code, 0);
            csv_qty(&b, O->required);
            csv_qty(&b, O->own + O->from_subs);
            csv_pct(&b, O->coverage_x10);
            csv_put(&b, rd_status_name(O->status), 0);
        }
        buf_append(&b, "\r\n", 2);
    }
    if (!b.data || b.len == 0) {
        buf_free(&b);
        return -1;
    }
    rs->status = 200;
    rs->body = buf_steal(&b, &rs->body_len);
    rs->content_type = "text/csv; charset=utf-8";
    rs->content_disposition = strdup("attachment; filename=\"readiness-city.csv\"");
    return 0;
}

/*
 * Every town-level unit in the caller's scope: the whole city for the city
 * auditor and the admin, the caller's own town for town officials and
 * warehouse staff (a list is filtered by scope, as every list is; it is not
 * a 403).  Sorted by risk; ?item= ranks by that item's line instead, and
 * ?status= keeps the rows with that status (of the line, with ?item=).
 */
static int city_run(struct req *rq, struct resp *rs, int pdf, struct app_err *err)
{
    struct rd_request q;
    struct rd_result r;
    struct city_row *rows = NULL;
    char as_of[11];
    const char *status, *fmt = NULL, *iref = req_query(rq, "item");
    int64_t item = 0;
    int line = -1, n = 0, rc = -1, sum[3] = {0, 0, 0};

    memset(&r, 0, sizeof(r));
    if ((!pdf && q_enum(rq, "format", "json|csv|xlsx", &fmt, err) != 0) ||
        read_request(rq, &q, as_of, err) != 0 ||
        q_enum(rq, "status", "green|amber|red", &status, err) != 0)
        return -1;
    if (iref &&
        resolve_filter(rq->db, iref, "SELECT id FROM item WHERE code = ?", &item, "item", err) != 0)
        return -1;
    if (rd_city(rq->db, rq->who.org_path, &q, &r, err) != 0 || check_source(rq, &r, err) != 0)
        goto done;
    if (iref && (line = line_index(&r, item)) < 0) {
        err_field(err, 400, "bad_query", "item", "item %s has no line in the standard in force",
                  iref);
        goto done;
    }
    rows = calloc((size_t)r.nunits + 1, sizeof(*rows));
    if (!rows) {
        err_set(err, 500, "internal", "out of memory");
        goto done;
    }
    for (int i = 0; i < r.nunits; i++) {
        const struct rd_unit *u = &r.units[i];
        struct city_row cr = {u, u->status, u->min_cov_x10};
        if (line >= 0) {
            cr.status = u->lines[line].status;
            cr.cov = u->lines[line].coverage_x10;
        }
        if (cr.status >= RD_GREEN && cr.status <= RD_RED)
            sum[cr.status]++;
        if (status && (!rd_status_name(cr.status) || strcmp(status, rd_status_name(cr.status))))
            continue;
        rows[n++] = cr;
    }
    if (n > 1)
        qsort(rows, (size_t)n, sizeof(*rows), city_row_cmp);
    if (fmt && strcmp(fmt, "csv") == 0) {
        if (city_csv(rs, &r, rows, n, line) != 0) {
            err_set(err, 500, "internal", "export too large");
            goto done;
        }
    } else {
        json_t *o = head_json(&r), *items = json_array(), *kits = json_array();
        for (int i = 0; i < n; i++)
            json_array_append_new(items, city_row_json(&r, rows[i].u, line));
        for (int k = 0; k < r.kits.nkits; k++)
            json_array_append_new(kits, json_pack("{s:I, s:o, s:o, s:o}", "kit_id",
                                                  (json_int_t)r.kits.kits[k].id, "code",
                                                  jstr(r.kits.kits[k].code), "name_zh",
                                                  jstr(r.kits.kits[k].name_zh), "name_en",
                                                  jstr(r.kits.kits[k].name_en)));
        json_object_set_new(o, "item",
                            line >= 0
                                ? json_pack("{s:I, s:o, s:o, s:o}", "item_id", (json_int_t)item,
                                            "item_code", jstr(r.std.lines[line].item_code),
                                            "item_name_zh", jstr(r.std.lines[line].item_name_zh),
                                            "item_name_en", jstr(r.std.lines[line].item_name_en))
                                : json_null());
        json_object_set_new(o, "kits", kits);
        json_object_set_new(o, "summary",
                            json_pack("{s:i, s:i, s:i, s:i}", "units", r.nunits, "green", sum[0],
                                      "amber", sum[1], "red", sum[2]));
        json_object_set_new(o, "items", items);
        json_object_set_new(o, "next_cursor", json_null());
        if (pdf) {
            char *out = NULL;
            size_t len = 0;
            int prc = report_pdf_city(o, &out, &len, err);
            json_decref(o);
            if (prc != 0)
                goto done;
            resp_pdf(rs, out, len, "readiness-city.pdf");
        } else if (fmt && strcmp(fmt, "xlsx") == 0) {
            int xrc = resp_xlsx_json(rs, items, "readiness", "readiness-city.xlsx", err);
            json_decref(o);
            if (xrc != 0)
                goto done;
        } else {
            resp_json(rs, 200, o);
        }
    }
    rc = 0;
done:
    free(rows);
    rd_result_free(&r);
    return rc;
}

int h_readiness_city(struct req *rq, struct resp *rs, struct app_err *err)
{
    return city_run(rq, rs, 0, err);
}

int h_readiness_city_pdf(struct req *rq, struct resp *rs, struct app_err *err)
{
    return city_run(rq, rs, 1, err);
}
