/*
 * fuzz_json.c -- request bodies: the bytes as the server reads them
 * (json_loadb with JSON_REJECT_DUPLICATES, an object required; see
 * parse_body in backend/src/http/server.c), then the strict field reader
 * json_read() against the body specs of the endpoints, nested objects and
 * array entries against their own specs, and every number through
 * json_qty_check() as a quantity would go.
 *
 * The specs below mirror the handlers' (names, types, string capacities);
 * they live inside the handler functions, so they are repeated here.  What
 * is fuzzed is the reader, which is the same code for every endpoint: the
 * list only has to cover every field type and a spread of capacities.
 */
#include "http/jsonin.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Outputs: big enough for every capacity used below. */
static char s1[1100], s2[600], s3[600], s4[200], s5[64], s6[16], s7[8];
static int64_t i1, i2, i3, i4, i5, i6;
static double d1, d2, d3;
static int b1, b2, p1, p2, p3, p4, p5, p6;
static char dt1[11], dt2[11], dt3[11];
static time_t t1;
static json_t *o1, *o2, *a1;

static const struct jfield movement[] = {
    {"kind", JF_STR, 1, s5, 20, NULL},
    {"bin_id", JF_ID, 0, &i1, 0, NULL},
    {"item_id", JF_ID, 0, &i2, 0, NULL},
    {"lot_id", JF_ID, 0, &i3, 0, &p1},
    {"lot", JF_OBJECT, 0, &o1, 0, &p2},
    {"qty", JF_NUM, 0, &d1, 0, NULL},
    {"from_bin_id", JF_ID, 0, &i4, 0, NULL},
    {"to_depot_id", JF_ID, 0, &i5, 0, NULL},
    {"transfer_id", JF_ID, 0, &i6, 0, NULL},
    {"recipient", JF_STR, 0, s2, 513, &p3},
    {"reason", JF_STR, 0, s1, 1021, &p4},
    {"reference", JF_STR, 0, s3, 513, &p5},
    {"occurred_at", JF_DATETIME, 0, &t1, 0, &p6},
};
static const struct jfield lot[] = {
    {"lot_no", JF_STR, 1, s4, 65, NULL},      {"production_date", JF_DATE, 0, dt1, 0, &p1},
    {"expiry_date", JF_DATE, 0, dt2, 0, &p2}, {"supplier", JF_STR, 0, s2, 257, &p3},
    {"unit_cost", JF_NUM, 0, &d2, 0, &p4},
};
static const struct jfield stocktake[] = {
    {"bin_id", JF_ID, 1, &i1, 0, NULL},
    {"lot_id", JF_ID, 1, &i2, 0, NULL},
    {"counted_qty", JF_NUM, 1, &d1, 0, NULL},
};
static const struct jfield login[] = {
    {"username", JF_STR, 1, s4, 65, NULL},
    {"password", JF_STR, 1, s3, 257, NULL},
};
static const struct jfield item[] = {
    {"code", JF_STR, 1, s5, 33, NULL},
    {"name_zh", JF_STR, 1, s4, 129, NULL},
    {"name_en", JF_STR, 1, s3, 129, NULL},
    {"category", JF_STR, 0, s5, 33, &p1},
    {"gbt_class", JF_INT, 0, &i1, 0, &p2},
    {"unit", JF_STR, 1, s6, 16, NULL},
    {"integral", JF_BOOL, 0, &b1, 0, NULL},
    {"tracking", JF_STR, 1, s7, 8, NULL},
    {"shelf_life_months", JF_INT, 0, &i2, 0, &p3},
};
static const struct jfield depot[] = {
    {"code", JF_STR, 1, s5, 33, NULL},     {"org_unit_id", JF_ID, 1, &i1, 0, NULL},
    {"team_id", JF_ID, 0, &i2, 0, &p1},    {"kind", JF_STR, 1, s6, 16, NULL},
    {"name_zh", JF_STR, 1, s4, 129, NULL}, {"address", JF_STR, 0, s2, 513, &p2},
    {"lat", JF_NUM, 0, &d2, 0, &p3},       {"lon", JF_NUM, 0, &d3, 0, &p4},
};
static const struct jfield label_render[] = {
    {"depot_id", JF_ID, 0, &i1, 0, &p1}, {"print_jobs", JF_BOOL, 0, &b1, 0, NULL},
    {"format", JF_STR, 0, s7, 8, NULL},  {"margins_mm", JF_OBJECT, 0, &o2, 0, &p2},
    {"dpi", JF_INT, 0, &i2, 0, &p3},     {"targets", JF_ARRAY, 0, &a1, 200, &p4},
};
static const struct jfield label_target[] = {
    {"kind", JF_STR, 1, s7, 8, NULL},     {"lot_id", JF_ID, 0, &i1, 0, NULL},
    {"bin_id", JF_ID, 0, &i2, 0, NULL},   {"asset_id", JF_ID, 0, &i3, 0, NULL},
    {"depot_id", JF_ID, 0, &i4, 0, NULL},
};
static const struct jfield request[] = {
    {"org_unit", JF_STR, 0, s5, 64, &p1},   {"purpose", JF_STR, 1, s2, 513, NULL},
    {"needed_by", JF_DATE, 0, dt3, 0, &p2}, {"draft", JF_BOOL, 0, &b2, 0, &p3},
    {"lines", JF_ARRAY, 1, &a1, 200, NULL},
};
static const struct jfield request_line[] = {
    {"item", JF_STR, 1, s5, 64, NULL},
    {"qty", JF_NUM, 1, &d1, 0, NULL},
};
static const struct jfield check_answer[] = {
    {"answer", JF_STR, 1, s6, 16, NULL},
    {"comment", JF_STR, 0, s1, 1024, &p1},
};

#define SPEC(a) a, sizeof(a) / sizeof(a[0])
static const struct {
    const struct jfield *spec;
    size_t n;
    const struct jfield *nested; /* for the object/array fields */
    size_t nn;
} specs[] = {
    {SPEC(movement), SPEC(lot)},
    {SPEC(lot), NULL, 0},
    {SPEC(stocktake), NULL, 0},
    {SPEC(login), NULL, 0},
    {SPEC(item), NULL, 0},
    {SPEC(depot), NULL, 0},
    {SPEC(label_render), SPEC(label_target)},
    {SPEC(request), SPEC(request_line)},
    {SPEC(check_answer), NULL, 0},
};

static void quantities(json_t *v)
{
    struct app_err err;
    int64_t milli;
    if (!json_is_number(v))
        return;
    for (int integral = 0; integral < 2; integral++)
        for (int neg = 0; neg < 2; neg++) {
            err_clear(&err);
            json_qty_check(json_number_value(v), integral, neg, "qty", &milli, &err);
        }
}

static void read_nested(json_t *v, const struct jfield *spec, size_t n)
{
    struct app_err err;
    size_t i;
    json_t *e;

    if (!spec)
        return;
    if (json_is_object(v)) {
        err_clear(&err);
        json_read(v, spec, n, &err);
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, e)
        {
            err_clear(&err);
            json_read(e, spec, n, &err);
            if (json_is_object(e))
                quantities(json_object_get(e, "qty"));
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t jerr;
    struct app_err err;
    const char *key;
    json_t *v;
    json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);

    if (!body)
        return 0;
    if (!json_is_object(body)) {
        json_decref(body);
        return 0;
    }
    for (size_t s = 0; s < sizeof(specs) / sizeof(specs[0]); s++) {
        err_clear(&err);
        if (json_read(body, specs[s].spec, specs[s].n, &err) != 0)
            continue;
        json_object_foreach(body, key, v)
        {
            quantities(v);
            read_nested(v, specs[s].nested, specs[s].nn);
        }
    }
    /* What the idempotency hash is made of (server.c run_mutating). */
    char *txt = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    free(txt);
    json_decref(body);
    return 0;
}
