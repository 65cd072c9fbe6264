/*
 * h_standards.c -- the standards readiness is measured against, and the
 * flood seasons.
 *
 * A standard is versioned data: POST /standards/{code}/versions writes a new
 * version (lines and substitutes, all of them) next to the old ones, which
 * are never changed, so a readiness answer for a past day, computed with the
 * version in force then, stays what it was.  Flood seasons are one row per
 * declared year (region RD_REGION); PUT replaces that year's dates.
 * Both writes are admin-only and leave an audit event.
 */
#include "handlers.h"
#include "jsonin.h"
#include "query.h"

#include "../core/util.h"
#include "../domain/audit.h"
#include "../domain/readiness.h"
#include "../store/db.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINES 1000
#define MAX_SUBS 20
#define RATIO_MAX (1000 * QTY_SCALE) /* 1000 line units for one substitute unit */

/* ---------------------------------------------------------------- reading standards */

#define STD_COLS                                                                                   \
    "SELECT s.id, s.code, s.version, s.kind, s.team_kind, s.name_zh, s.name_en,"                   \
    " s.reference_headcount, s.source, s.change_note, s.created_by, s.created_at,"                 \
    " (SELECT COUNT(*) FROM standard_line sl WHERE sl.standard_id = s.id) AS line_count,"          \
    " (SELECT COUNT(*) FROM standard_substitute ss WHERE ss.standard_id = s.id)"                   \
    " AS substitute_count, (SELECT MAX(v.version) FROM standard v WHERE v.code = s.code)"          \
    " AS latest_version, s.version = (SELECT MAX(v.version) FROM standard v"                       \
    " WHERE v.code = s.code) AS is_latest FROM standard s"

int h_standards_list(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct qb q;
    int limit, rc, all = 0;
    int64_t cursor;
    const char *kind;

    if (q_page(rq, 500, &limit, &cursor, err) != 0 || q_bool(rq, "all_versions", &all, err) != 0 ||
        q_enum(rq, "kind", "town_reserve|team_equipment|village_ten_haves", &kind, err) != 0)
        return -1;
    qb_init(&q, STD_COLS " WHERE s.id > ?");
    dbp_int(&q.ps, cursor);
    if (!all)
        qb_add(&q,
               " AND s.version = (SELECT MAX(v.version) FROM standard v WHERE v.code = s.code)");
    qb_where_str(&q, " AND s.kind = ?", kind);
    qb_add(&q, " ORDER BY s.id LIMIT ?");
    dbp_int(&q.ps, limit + 1);
    rc = qb_page(&q, rq, rs, limit, "id", err);
    qb_free(&q);
    return rc;
}

/* One version with its lines, each with its substitutes. */
static json_t *standard_full(struct db_conn *db, int64_t id, struct app_err *err)
{
    struct db_res *r = NULL, *lr = NULL, *sr = NULL;
    json_t *o = NULL, *lines;

    if (db_query(db, &r, err, STD_COLS " WHERE s.id = ?", "l", (long long)id) != 0)
        goto done;
    if (r->nrows == 0) {
        err_set(err, 404, "not_found", "no such standard");
        goto done;
    }
    if (db_query(db, &lr, err,
                 "SELECT sl.id AS line_id, sl.item_id, i.code AS item_code,"
                 " i.name_zh AS item_name_zh, i.name_en AS item_name_en, i.unit, i.integral,"
                 " sl.check_code, c.name_zh AS check_name_zh, c.name_en AS check_name_en,"
                 " sl.basis, sl.qty, sl.min_shelf_months, sl.note, sl.source"
                 " FROM standard_line sl LEFT JOIN item i ON i.id = sl.item_id"
                 " LEFT JOIN ten_have_check c ON c.code = sl.check_code"
                 " WHERE sl.standard_id = ? ORDER BY sl.id",
                 "l", (long long)id) != 0 ||
        db_query(db, &sr, err,
                 "SELECT ss.item_id AS line_item_id, ss.substitute_item_id AS item_id,"
                 " i.code AS item_code, i.name_zh AS item_name_zh, i.name_en AS item_name_en,"
                 " i.unit, ss.ratio, ss.note FROM standard_substitute ss"
                 " JOIN item i ON i.id = ss.substitute_item_id"
                 " WHERE ss.standard_id = ? ORDER BY ss.id",
                 "l", (long long)id) != 0)
        goto done;
    o = json_from_row(r, 0);
    lines = json_array();
    for (int k = 0; k < lr->nrows; k++) {
        json_t *line = json_from_row(lr, k), *subs = json_array();
        int64_t item = db_get_int(lr, k, 1);
        for (int j = 0; j < sr->nrows; j++) {
            if (!item || db_get_int(sr, j, 0) != item)
                continue;
            json_t *s = json_from_row(sr, j);
            json_object_del(s, "line_item_id");
            json_array_append_new(subs, s);
        }
        json_object_set_new(line, "substitutes", subs);
        json_array_append_new(lines, line);
    }
    json_object_set_new(o, "lines", lines);
done:
    db_res_free(r);
    db_res_free(lr);
    db_res_free(sr);
    return o;
}

int h_standard_get(struct req *rq, struct resp *rs, struct app_err *err)
{
    int64_t id;
    json_t *o;
    /* A code names its newest version; a number, that version's id. */
    if (resolve_ref(rq->db, rq->params[0],
                    "SELECT id FROM standard WHERE code = ? ORDER BY version DESC LIMIT 1", &id,
                    404, "id", err) != 0)
        return -1;
    if (!(o = standard_full(rq->db, id, err)))
        return -1;
    resp_json(rs, 200, o);
    return 0;
}

/* ---------------------------------------------------------------- a new version */

/* Prefix err->field with "lines[i]." (and "substitutes[j]." when j >= 0);
 * a name that would not fit (never, with our field names) keeps its tail. */
static int at_line(struct app_err *err, int i, int j)
{
    char f[sizeof(err->field)], prefix[48];
    size_t n;
    if (j >= 0)
        snprintf(prefix, sizeof(prefix), "lines[%d].substitutes[%d].", i, j);
    else
        snprintf(prefix, sizeof(prefix), "lines[%d].", i);
    n = strlen(prefix);
    if (!err->field[0] && n > 0) /* the element itself: "lines[2]" */
        prefix[--n] = '\0';
    if (n + strlen(err->field) < sizeof(f)) {
        memcpy(f, prefix, n);
        memcpy(f + n, err->field, strlen(err->field) + 1);
        memcpy(err->field, f, sizeof(f));
    }
    return -1;
}

/* err_field for a field of line i (substitute j when j >= 0). */
static int line_err(struct app_err *err, int i, int j, int http, const char *code,
                    const char *field, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static int line_err(struct app_err *err, int i, int j, int http, const char *code,
                    const char *field, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    err_field(err, http, code, field, "%s", msg);
    return at_line(err, i, j);
}

/* Which bases a kind of standard takes. */
static int basis_ok(const char *kind, const char *basis)
{
    if (strcmp(kind, "town_reserve") == 0)
        return !strcmp(basis, "per_500_persons") || !strcmp(basis, "per_person") ||
               !strcmp(basis, "fixed");
    if (strcmp(kind, "team_equipment") == 0)
        return !strcmp(basis, "per_person") || !strcmp(basis, "per_team") ||
               !strcmp(basis, "fixed");
    return strcmp(basis, "check") == 0;
}

/* json_read on an object without one key (read separately as an array). */
static int read_without(json_t *obj, const char *key, const struct jfield *spec, size_t n,
                        struct app_err *err)
{
    json_t *copy;
    int rc;
    if (!json_is_object(obj))
        return err_set(err, 400, "bad_type", "expected a JSON object");
    copy = json_copy(obj); /* shallow: the values stay shared, only the key goes */
    if (!copy)
        return err_set(err, 500, "internal", "out of memory");
    json_object_del(copy, key);
    rc = json_read(copy, spec, n, err);
    json_decref(copy);
    return rc;
}

static int add_substitutes(struct req *rq, int64_t std_id, int i, int64_t line_item, json_t *subs,
                           int *nsubs, struct app_err *err)
{
    int64_t seen[MAX_SUBS];
    size_t n;

    if (!subs || json_is_null(subs))
        return 0;
    if (!json_is_array(subs))
        return line_err(err, i, -1, 400, "bad_type", "substitutes", "substitutes must be an array");
    n = json_array_size(subs);
    if (n > MAX_SUBS)
        return line_err(err, i, -1, 400, "bad_value", "substitutes",
                        "at most %d substitutes per line", MAX_SUBS);
    if (n && !line_item)
        return line_err(err, i, -1, 400, "bad_value", "substitutes",
                        "a check line has no substitutes");
    for (size_t j = 0; j < n; j++) {
        int64_t item = 0, ratio, found;
        double rv = 0;
        char note[4096] = "";
        int has_note;
        const struct jfield spec[] = {
            {"item_id", JF_ID, 1, &item, 0, NULL},
            {"ratio", JF_NUM, 1, &rv, 0, NULL},
            {"note", JF_STR, 0, note, sizeof(note), &has_note},
        };
        if (!json_is_object(json_array_get(subs, j)))
            return line_err(err, i, (int)j, 400, "bad_type", "", "a substitute is an object");
        if (json_read(json_array_get(subs, j), spec, 3, err) != 0)
            return at_line(err, i, (int)j);
        if (qty_from_double(rv, 0, &ratio) != 0 || ratio <= 0 || ratio > RATIO_MAX)
            return line_err(err, i, (int)j, 400, "bad_value", "ratio",
                            "ratio is a number > 0 and <= 1000 with at most 3 decimals");
        if (item == line_item)
            return line_err(err, i, (int)j, 422, "rule_broken", "item_id",
                            "an item cannot be its own substitute");
        for (size_t k = 0; k < j; k++)
            if (seen[k] == item)
                return line_err(err, i, (int)j, 422, "rule_broken", "item_id",
                                "item %lld is named twice as a substitute of this line",
                                (long long)item);
        seen[j] = item;
        if (db_query_int(rq->db, &found, err, "SELECT id FROM item WHERE id = ?", "l",
                         (long long)item) != 0)
            return err->http == 404 ? line_err(err, i, (int)j, 422, "unknown_reference", "item_id",
                                               "no item %lld", (long long)item)
                                    : -1;
        if (db_exec(rq->db, err,
                    "INSERT INTO standard_substitute (standard_id, item_id, substitute_item_id,"
                    " ratio, note) VALUES (?, ?, ?, ?, ?)",
                    "lllqs", (long long)std_id, (long long)line_item, (long long)item, ratio,
                    has_note ? note : NULL) != 0)
            return -1;
        (*nsubs)++;
    }
    return 0;
}

/* One line of the body: checked, then written. */
static int add_line(struct req *rq, const char *kind, int64_t std_id, int i, json_t *jl,
                    int64_t *items, int *nitems, int *nsubs, struct app_err *err)
{
    int64_t item = 0, msm = 0, qty, integral = 0, found;
    char check[17] = "", basis[24], note[4096] = "", source[4096] = "";
    double qv = 1;
    int has_item, has_check, has_msm, has_note, has_source, has_qty;
    const struct jfield spec[] = {
        {"item_id", JF_ID, 0, &item, 0, &has_item},
        {"check_code", JF_STR, 0, check, sizeof(check), &has_check},
        {"basis", JF_STR, 1, basis, sizeof(basis), NULL},
        {"qty", JF_NUM, 0, &qv, 0, &has_qty},
        {"min_shelf_months", JF_INT, 0, &msm, 0, &has_msm},
        {"note", JF_STR, 0, note, sizeof(note), &has_note},
        {"source", JF_STR, 0, source, sizeof(source), &has_source},
    };
    long long m = 0, it = 0;

    if (!json_is_object(jl))
        return line_err(err, i, -1, 400, "bad_type", "", "a line is an object");
    if (read_without(jl, "substitutes", spec, sizeof(spec) / sizeof(spec[0]), err) != 0)
        return at_line(err, i, -1);
    if (!basis_ok(kind, basis))
        return line_err(err, i, -1, 400, "bad_value", "basis", "a %s standard takes %s", kind,
                        !strcmp(kind, "town_reserve")     ? "per_500_persons, per_person or fixed"
                        : !strcmp(kind, "team_equipment") ? "per_person, per_team or fixed"
                                                          : "check");
    if (strcmp(basis, "check") == 0) {
        if (!has_check || !check[0] || has_item)
            return line_err(err, i, -1, 400, "bad_value", "check_code",
                            "a check line names a check_code and no item_id");
        if (db_query_int(rq->db, &found, err, "SELECT 1 FROM ten_have_check WHERE code = ?", "s",
                         check) != 0)
            return err->http == 404 ? line_err(err, i, -1, 422, "unknown_reference", "check_code",
                                               "no check %s", check)
                                    : -1;
    } else {
        if (!has_item || has_check)
            return line_err(err, i, -1, 400, "bad_value", "item_id",
                            "an item line names an item_id and no check_code");
        if (!has_qty)
            return line_err(err, i, -1, 400, "missing_field", "qty", "qty is required");
        if (db_query_int(rq->db, &integral, err, "SELECT integral FROM item WHERE id = ?", "l",
                         (long long)item) != 0)
            return err->http == 404 ? line_err(err, i, -1, 422, "unknown_reference", "item_id",
                                               "no item %lld", (long long)item)
                                    : -1;
        for (int k = 0; k < *nitems; k++)
            if (items[k] == item)
                return line_err(err, i, -1, 422, "rule_broken", "item_id",
                                "item %lld has two lines; a standard names an item once",
                                (long long)item);
        items[(*nitems)++] = item;
    }
    /* A quantity per 500 persons may be a fraction even for pieces (2.5
     * generators): the requirement is rounded up, not the standard. */
    if (qty_from_double(qv, 0, &qty) != 0 || qty < 0)
        return line_err(err, i, -1, 400, "bad_quantity", "qty",
                        "qty is a number >= 0 with at most 3 decimals");
    if (has_msm && (msm < 0 || msm > 600))
        return line_err(err, i, -1, 400, "bad_value", "min_shelf_months", "0..600 months");
    m = msm;
    it = item;
    if (db_exec(rq->db, err,
                "INSERT INTO standard_line (standard_id, item_id, check_code, basis, qty,"
                " min_shelf_months, note, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                "lLssqLss", (long long)std_id, has_item ? &it : NULL, has_check ? check : NULL,
                basis, qty, has_msm ? &m : NULL, has_note ? note : NULL,
                has_source ? source : NULL) != 0)
        return -1;
    return add_substitutes(rq, std_id, i, has_item ? item : 0, json_object_get(jl, "substitutes"),
                           nsubs, err);
}

int h_standard_version_create(struct req *rq, struct resp *rs, struct app_err *err)
{
    const char *code = rq->params[0];
    char name_zh[385] = "", name_en[641] = "", source[8192] = "", reason[2048] = "";
    int64_t base = 0, head = 0, prev_id, version, id, *items = NULL;
    int has_zh, has_en, has_source, has_reason, has_base, has_head, nitems = 0, nsubs = 0, rc = -1;
    const struct jfield spec[] = {
        {"name_zh", JF_STR, 0, name_zh, sizeof(name_zh), &has_zh},
        {"name_en", JF_STR, 0, name_en, sizeof(name_en), &has_en},
        {"source", JF_STR, 0, source, sizeof(source), &has_source},
        {"reason", JF_STR, 0, reason, sizeof(reason), &has_reason},
        {"base_version", JF_ID, 0, &base, 0, &has_base},
        {"reference_headcount", JF_INT, 0, &head, 0, &has_head},
    };
    struct db_res *r = NULL;
    json_t *lines = json_object_get(rq->body, "lines"), *out;
    char kind[24], sid[24], *detail = NULL;
    long long h;

    if (read_without(rq->body, "lines", spec, sizeof(spec) / sizeof(spec[0]), err) != 0)
        return -1;
    if (!lines || json_is_null(lines))
        return err_field(err, 400, "missing_field", "lines", "lines is required");
    if (!json_is_array(lines))
        return err_field(err, 400, "bad_type", "lines", "lines must be an array");
    if (json_array_size(lines) < 1 || json_array_size(lines) > MAX_LINES)
        return err_field(err, 400, "bad_value", "lines", "a standard has 1 to %d lines", MAX_LINES);
    if (has_head && (head < 0 || head > 100000))
        return err_field(err, 400, "bad_value", "reference_headcount", "0..100000 persons");

    /* The newest version, locked: two edits at once serialise here, and the
     * second one sees the first one's version (409 with base_version). */
    if (db_query(rq->db, &r, err,
                 "SELECT id, version, kind, team_kind, name_zh, name_en, reference_headcount,"
                 " source FROM standard WHERE code = ? ORDER BY version DESC LIMIT 1 FOR UPDATE",
                 "s", code) != 0)
        return -1;
    if (r->nrows == 0) {
        db_res_free(r);
        return err_set(err, 404, "not_found", "no standard %s", code);
    }
    prev_id = db_get_int(r, 0, 0);
    version = db_get_int(r, 0, 1) + 1;
    str_copy(kind, sizeof(kind), db_get(r, 0, 2));
    if (has_base && base != version - 1) {
        err_set(err, 409, "conflict", "standard %s is at version %lld, not %lld", code,
                (long long)(version - 1), (long long)base);
        goto done;
    }
    if (!has_zh)
        str_copy(name_zh, sizeof(name_zh), db_get(r, 0, 4));
    if (!has_en)
        str_copy(name_en, sizeof(name_en), db_get(r, 0, 5));
    if (!has_head)
        head = db_get(r, 0, 6) ? db_get_int(r, 0, 6) : 0;
    if (!has_source && db_get(r, 0, 7))
        str_copy(source, sizeof(source), db_get(r, 0, 7));
    if (!name_zh[0] || !name_en[0]) {
        err_set(err, 400, "bad_value", "name_zh and name_en must not be empty");
        goto done;
    }
    h = head;
    if (db_exec(rq->db, err,
                "INSERT INTO standard (code, version, kind, team_kind, name_zh, name_en,"
                " reference_headcount, source, created_by, change_note)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                "slsssssLls", code, (long long)version, kind, db_get(r, 0, 3), name_zh, name_en,
                head > 0 ? &h : NULL, source[0] ? source : NULL, (long long)rq->who.user_id,
                has_reason ? reason : NULL) != 0) {
        if (err->http == 409)
            err_set(err, 409, "conflict", "another version of %s was made at the same time", code);
        goto done;
    }
    id = (int64_t)db_insert_id(rq->db);
    items = calloc(json_array_size(lines) + 1, sizeof(*items));
    if (!items) {
        err_set(err, 500, "internal", "out of memory");
        goto done;
    }
    for (size_t i = 0; i < json_array_size(lines); i++)
        if (add_line(rq, kind, id, (int)i, json_array_get(lines, i), items, &nitems, &nsubs, err) !=
            0)
            goto done;

    snprintf(sid, sizeof(sid), "%lld", (long long)id);
    {
        json_t *d = json_pack("{s:s, s:I, s:I, s:i, s:i, s:s?}", "code", code, "version",
                              (json_int_t)version, "previous_id", (json_int_t)prev_id, "lines",
                              (int)json_array_size(lines), "substitutes", nsubs, "reason",
                              has_reason ? reason : NULL);
        detail = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(d);
    }
    if (audit_append(rq->db, rq->who.user_id, "standard.version", "standard", sid, detail, err) !=
        0)
        goto done;
    if (!(out = standard_full(rq->db, id, err)))
        goto done;
    resp_json(rs, 201, out);
    rc = 0;
done:
    free(detail);
    free(items);
    db_res_free(r);
    return rc;
}

/* ---------------------------------------------------------------- flood seasons */

static json_t *effective_json(const struct rd_season *s)
{
    char a[11], b[11];
    rd_day_format(s->start, a);
    rd_day_format(s->end, b);
    return json_pack("{s:s, s:s, s:s}", "start", a, "end", b, "basis", s->basis);
}

#define SEASON_COLS                                                                                \
    "SELECT id, region, year, start_date, end_date, start_md, end_md, source FROM flood_season"

/* A row, with the season readiness uses for its year (declared rows of RD_REGION). */
static json_t *season_row(struct db_conn *db, const struct rd_settings *set, struct db_res *r,
                          int i, struct app_err *err)
{
    json_t *o = json_from_row(r, i);
    struct rd_season s;
    if (db_get(r, i, 2) && strcmp(db_get(r, i, 1), RD_REGION) == 0) {
        if (rd_season_of_year(db, set, (int)db_get_int(r, i, 2), NULL, &s, err) != 0) {
            json_decref(o);
            return NULL;
        }
        json_object_set_new(o, "effective", effective_json(&s));
    } else {
        json_object_set_new(o, "effective", json_null());
    }
    return o;
}

int h_flood_seasons_list(struct req *rq, struct resp *rs, struct app_err *err)
{
    struct rd_settings set;
    struct db_res *r = NULL;
    int limit, n;
    int64_t cursor;
    json_t *items, *out;
    char ds[6], de[6];

    if (q_page(rq, 500, &limit, &cursor, err) != 0 || rd_settings_load(rq->db, &set, err) != 0)
        return -1;
    if (db_query(rq->db, &r, err, SEASON_COLS " WHERE id > ? ORDER BY id LIMIT ?", "ll",
                 (long long)cursor, (long long)limit + 1) != 0)
        return -1;
    n = r->nrows > limit ? limit : r->nrows;
    items = json_array();
    for (int i = 0; i < n; i++) {
        json_t *o = season_row(rq->db, &set, r, i, err);
        if (!o) {
            json_decref(items);
            db_res_free(r);
            return -1;
        }
        json_array_append_new(items, o);
    }
    snprintf(ds, sizeof(ds), "%02d-%02d", set.start_m, set.start_d);
    snprintf(de, sizeof(de), "%02d-%02d", set.end_m, set.end_d);
    out = json_pack("{s:o, s:o, s:s, s:{s:s, s:s}}", "items", items, "next_cursor",
                    r->nrows > limit ? json_string(db_get(r, limit - 1, 0)) : json_null(), "region",
                    RD_REGION, "default", "start", ds, "end", de);
    db_res_free(r);
    resp_json(rs, 200, out);
    return 0;
}

int h_flood_season_put(struct req *rq, struct resp *rs, struct app_err *err)
{
    char start[11] = "", end[11] = "", source[4096] = "", sid[40], *detail = NULL;
    int has_start, has_end, has_source, y, m, d, rc = -1;
    int64_t year;
    const struct jfield spec[] = {
        {"start", JF_DATE, 0, start, 0, &has_start},
        {"end", JF_DATE, 0, end, 0, &has_end},
        {"source", JF_STR, 0, source, sizeof(source), &has_source},
    };
    struct rd_settings set;
    struct db_res *r = NULL;
    json_t *o;

    if (parse_int64(rq->params[0], &year) != 0 || year < 2000 || year > 2200)
        return err_field(err, 400, "bad_value", "year", "the path names a year 2000..2200");
    if (json_read(rq->body, spec, 3, err) != 0)
        return -1;
    if (!has_start && !has_end)
        return err_set(err, 400, "missing_field",
                       "give start, end or both (what the province has declared)");
    if (has_start && (date_parse(start, &y, &m, &d) != 0 || y != year))
        return err_field(err, 400, "bad_value", "start", "start must lie in %lld", (long long)year);
    if (has_end && (date_parse(end, &y, &m, &d) != 0 || y != year))
        return err_field(err, 400, "bad_value", "end", "end must lie in %lld", (long long)year);
    if (has_start && has_end && strcmp(start, end) > 0)
        return err_field(err, 400, "bad_value", "end", "the season ends before it starts");
    /* The row before, for the audit trail; locked so two PUTs serialise. */
    if (db_query(rq->db, &r, err,
                 "SELECT start_date, end_date FROM flood_season WHERE region = ? AND year = ?"
                 " FOR UPDATE",
                 "sl", RD_REGION, (long long)year) != 0)
        return -1;
    {
        json_t *dj =
            json_pack("{s:s?, s:s?, s:s?, s:s?}", "start", has_start ? start : NULL, "end",
                      has_end ? end : NULL, "previous_start", r->nrows ? db_get(r, 0, 0) : NULL,
                      "previous_end", r->nrows ? db_get(r, 0, 1) : NULL);
        detail = dj ? json_dumps(dj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(dj);
    }
    /* History first: a year the seed declared gets that declaration as its
     * first change, dated before any ledger (the seed's data were true
     * then); then this declaration, dated now. */
    if (db_exec(rq->db, err,
                "INSERT INTO flood_season_change (region, year, start_date, end_date, source,"
                " changed_at) SELECT region, year, start_date, end_date, source,"
                " '2000-01-01 00:00:00' FROM flood_season f WHERE region = ? AND year = ?"
                " AND (start_date IS NOT NULL OR end_date IS NOT NULL) AND NOT EXISTS"
                " (SELECT 1 FROM flood_season_change c WHERE c.region = f.region"
                " AND c.year = f.year)",
                "sl", RD_REGION, (long long)year) != 0 ||
        db_exec(rq->db, err,
                "INSERT INTO flood_season_change (region, year, start_date, end_date, source,"
                " changed_by) VALUES (?, ?, ?, ?, ?, ?)",
                "slsssl", RD_REGION, (long long)year, has_start ? start : NULL,
                has_end ? end : NULL, has_source ? source : NULL, (long long)rq->who.user_id) != 0)
        goto done;
    /* PUT replaces the year's declaration: a date left out is "not declared". */
    if (db_exec(rq->db, err,
                "INSERT INTO flood_season (region, year, start_date, end_date, source)"
                " VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE start_date = VALUES(start_date),"
                " end_date = VALUES(end_date), source = VALUES(source)",
                "slsss", RD_REGION, (long long)year, has_start ? start : NULL, has_end ? end : NULL,
                has_source ? source : NULL) != 0)
        goto done;
    snprintf(sid, sizeof(sid), "%s:%lld", RD_REGION, (long long)year);
    if (audit_append(rq->db, rq->who.user_id, "flood_season.set", "flood_season", sid, detail,
                     err) != 0)
        goto done;
    db_res_free(r);
    r = NULL;
    if (rd_settings_load(rq->db, &set, err) != 0 ||
        db_query(rq->db, &r, err, SEASON_COLS " WHERE region = ? AND year = ?", "sl", RD_REGION,
                 (long long)year) != 0)
        goto done;
    if (!(o = season_row(rq->db, &set, r, 0, err)))
        goto done;
    resp_json(rs, 200, o);
    rc = 0;
done:
    free(detail);
    db_res_free(r);
    return rc;
}
