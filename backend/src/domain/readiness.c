/*
 * readiness.c -- the readiness computation (docs/readiness.md).
 *
 * Shape of a computation (rd_city; rd_town and rd_team are the same with one
 * unit, plus the lot-level findings):
 *   1. settings, season, the standard version in force at the end of D, kits;
 *   2. the units (town-level org units in scope) and a depot -> unit map;
 *   3. ONE grouped query: every (bin, lot) balance of those depots -- from
 *      `stock` when D is today or later, else summed from `movement` rows
 *      recorded before the end of D -- summed per (depot, item, expiry,
 *      quarantined), with the number of balances and of stale ones;
 *   4. one grouped query for assets (under repair, inspection overdue);
 *   5. in C: depot groups merged per unit, then rd_evaluate per unit.
 * So the whole city costs a handful of queries whatever the number of towns,
 * and the C part is linear in the number of groups (a few thousand).
 *
 * Why recorded_at and not occurred_at for a past day: an offline scan that
 * arrives tomorrow carries today's occurred_at; summing by occurred_at would
 * change yesterday's answer after the fact.  The ledger as the system knew it
 * at the end of D (recorded_at < D + 1 day) never changes, so a past answer
 * is reproduced exactly.
 */
#include "readiness.h"

#include "../core/buf.h"
#include "../core/log.h"
#include "../core/util.h"
#include "../store/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ================================================================ pure part */

const char *rd_status_name(enum rd_status s)
{
    switch (s) {
    case RD_GREEN:
        return "green";
    case RD_AMBER:
        return "amber";
    case RD_RED:
        return "red";
    default:
        return NULL;
    }
}

void rd_settings_default(struct rd_settings *s)
{
    s->green_pct = 100;
    s->amber_pct = 80;
    s->stale_days = 180;
    s->start_m = 4;
    s->start_d = 1;
    s->end_m = 10;
    s->end_d = 15;
}

/* "MM-DD" of a real day of a leap year (29 February allowed). */
static int parse_md(const char *v, int *m, int *d)
{
    char buf[11];
    int y;
    if (strlen(v) != 5 || v[2] != '-')
        return -1;
    snprintf(buf, sizeof(buf), "2000-%s", v);
    return date_parse(buf, &y, m, d);
}

int rd_settings_apply(struct rd_settings *s, const char *name, const char *value)
{
    int64_t v;
    int m, d;

    if (strcmp(name, "readiness_green_pct") == 0 || strcmp(name, "readiness_amber_pct") == 0 ||
        strcmp(name, "stocktake_max_age_days") == 0) {
        if (parse_int64(value, &v) != 0 || v < 0 || v > 100000)
            return -1;
        if (name[0] == 's')
            s->stale_days = (int)v;
        else if (name[10] == 'g')
            s->green_pct = (int)v;
        else
            s->amber_pct = (int)v;
    } else if (strcmp(name, "season_default_start") == 0 ||
               strcmp(name, "season_default_end") == 0) {
        if (parse_md(value, &m, &d) != 0)
            return -1;
        if (name[15] == 's') {
            s->start_m = m;
            s->start_d = d;
        } else {
            s->end_m = m;
            s->end_d = d;
        }
    }
    return 0; /* other settings are not ours */
}

int rd_day_parse(const char *s, int32_t *day)
{
    int y, m, d;
    if (!s || date_parse(s, &y, &m, &d) != 0)
        return -1;
    *day = (int32_t)days_from_civil(y, m, d);
    return 0;
}

void rd_day_format(int32_t day, char out[11])
{
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
}

static int days_in_month(int y, int m)
{
    static const int n[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 ? 28 + leap : n[m - 1];
}

/* A day from year, month and a day of month clamped to the month (29 Feb -> 28 Feb). */
static int32_t day_clamped(int y, int m, int d)
{
    int n = days_in_month(y, m);
    return (int32_t)days_from_civil(y, m, d > n ? n : d);
}

int32_t rd_add_months(int32_t day, int months)
{
    int y, m, d, m0;
    civil_from_days(day, &y, &m, &d);
    m0 = (m - 1) + months;
    y += m0 >= 0 ? m0 / 12 : -((11 - m0) / 12);
    m0 = ((m0 % 12) + 12) % 12;
    return day_clamped(y, m0 + 1, d);
}

void rd_season_fill(int year, int32_t start, int32_t end, const struct rd_settings *set,
                    struct rd_season *out)
{
    int32_t dstart = day_clamped(year, set->start_m, set->start_d);
    int32_t dend = day_clamped(year, set->end_m, set->end_d);
    int declared = (start != RD_NO_DAY) + (end != RD_NO_DAY);

    if (dend < dstart) /* a default season across the new year */
        dend = day_clamped(year + 1, set->end_m, set->end_d);
    out->year = year;
    out->start = start != RD_NO_DAY ? start : dstart;
    out->end = end != RD_NO_DAY ? end : dend;
    /* A declared start after the default end (never seen): a one-day season
     * rather than a negative one. */
    if (out->end < out->start)
        out->end = out->start;
    out->basis = declared == 2 ? "declared" : declared == 1 ? "partly_declared" : "default";
}

int32_t rd_cutoff(const struct rd_season *s, int min_shelf_months)
{
    int32_t c;
    if (min_shelf_months < 0)
        return s->end;
    c = rd_add_months(s->start, min_shelf_months);
    return c > s->end ? c : s->end;
}

int64_t rd_required(char basis, int64_t qty, int64_t persons, int integral)
{
    __int128 r; /* qty (up to 1e15 milli) x persons does not fit 64 bits in the worst case */

    switch (basis) {
    case '5':
        r = ((__int128)qty * persons + 499) / 500;
        break;
    case 'p':
        r = (__int128)qty * persons;
        break;
    default:
        r = qty;
        break;
    }
    if (integral && r % QTY_SCALE)
        r += QTY_SCALE - r % QTY_SCALE;
    if (r < 0 || r > (__int128)QTY_MAX)
        return -1;
    return (int64_t)r;
}

enum rd_status rd_status_of(int64_t usable, int64_t required, int green_pct, int amber_pct)
{
    __int128 u = (__int128)usable * 100;
    if (required <= 0 || u >= (__int128)green_pct * required)
        return RD_GREEN;
    if (u >= (__int128)amber_pct * required)
        return RD_AMBER;
    return RD_RED;
}

int rd_coverage_x10(int64_t usable, int64_t required)
{
    __int128 v;
    if (required <= 0)
        return -1;
    v = (__int128)(usable > 0 ? usable : 0) * 1000 / required;
    return v > RD_COVERAGE_CAP_X10 ? RD_COVERAGE_CAP_X10 : (int)v;
}

/* First index in stock[0..n) whose item_id >= item (they are sorted by item). */
static int lower_item(const struct rd_stock *stock, int n, int64_t item)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (stock[mid].item_id < item)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Take `amount` from the remaining stock work[a..b) that lasts to `cutoff`,
 * soonest expiry first: what expires soonest is what only this use can
 * take, the longer-lived stock stays free for lines with a later cut-off. */
static void consume(const struct rd_stock *stock, int64_t *work, int a, int b, int32_t cutoff,
                    int64_t amount)
{
    for (int g = a; g < b && amount > 0; g++) {
        if (stock[g].expiry < cutoff)
            continue;
        int64_t t = work[g] < amount ? work[g] : amount;
        work[g] -= t;
        amount -= t;
    }
}

/* floor(a x b / 1000) for non-negative a, b without overflow. */
static int64_t mul_milli(int64_t a, int64_t b)
{
    __int128 v = (__int128)a * b / QTY_SCALE;
    return v > (__int128)QTY_MAX ? QTY_MAX : (int64_t)v;
}

/* The line (index) that names item, -1 if none. */
static int line_of_item(const struct rd_standard *std, int64_t item)
{
    for (int k = 0; k < std->nlines; k++)
        if (std->lines[k].item_id == item && item)
            return k;
    return -1;
}

static int is_substitute(const struct rd_standard *std, int64_t item)
{
    for (int j = 0; j < std->nsubs; j++)
        if (std->subs[j].item_id == item)
            return 1;
    return 0;
}

/* The cut-off that decides whether a lot of `item` is to be rotated: its
 * line's, or the season end for an item that is only a substitute; RD_NEVER
 * for items the standard does not name. */
static int32_t item_cutoff(const struct rd_standard *std, const struct rd_season *season,
                           int64_t item)
{
    int k = line_of_item(std, item);
    if (k >= 0)
        return rd_cutoff(season, std->lines[k].min_shelf_months);
    return is_substitute(std, item) ? season->end : RD_NEVER;
}

static unsigned lot_flags(int32_t expiry, int quarantined, int32_t cutoff, int32_t as_of,
                          const struct rd_season *season)
{
    if (quarantined)
        return RD_LOT_QUARANTINED;
    if (expiry < as_of)
        return RD_LOT_EXPIRED;
    if (cutoff == RD_NEVER || expiry >= cutoff)
        return 0;
    if (expiry < season->start)
        return RD_LOT_BEFORE_SEASON;
    if (expiry < season->end)
        return RD_LOT_IN_SEASON;
    return RD_LOT_SHORT_SHELF;
}

void rd_evaluate(const struct rd_standard *std, const struct rd_kits *kits,
                 const struct rd_settings *set, const struct rd_season *season, int32_t as_of,
                 const struct rd_stock *stock, int nstock, int64_t *work, struct rd_unit *u)
{
    u->status = RD_NONE;
    u->min_cov_x10 = -1;
    u->worst_line = -1;
    for (int g = 0; g < nstock; g++)
        work[g] = stock[g].quarantined ? 0 : stock[g].qty;

    /* 1. Every line takes its own item first, so a substitute item's own
     *    line is served before any of it counts for another line. */
    for (int k = 0; k < std->nlines; k++) {
        const struct rd_line *L = &std->lines[k];
        struct rd_line_out *O = &u->lines[k];
        int a, b;

        if (L->basis == 'c' || !L->item_id) {
            O->status = RD_NONE;
            O->coverage_x10 = -1;
            continue;
        }
        O->cutoff = rd_cutoff(season, L->min_shelf_months);
        O->required = rd_required(L->basis, L->qty, u->persons, L->integral);
        if (O->required < 0)
            O->required = QTY_MAX;
        a = lower_item(stock, nstock, L->item_id);
        for (b = a; b < nstock && stock[b].item_id == L->item_id; b++) {
            if (stock[b].quarantined)
                O->quarantined += stock[b].qty;
            else if (stock[b].expiry < O->cutoff)
                O->not_in_date += stock[b].qty;
            else
                O->own += stock[b].qty;
        }
        consume(stock, work, a, b, O->cutoff, O->own < O->required ? O->own : O->required);
    }

    /* 2. Lines still short take substitutes, line by line in the order of
     *    the standard, each substitute in the order given; what one line
     *    took is gone for the next. */
    for (int k = 0; k < std->nlines; k++) {
        const struct rd_line *L = &std->lines[k];
        struct rd_line_out *O = &u->lines[k];
        int64_t need = O->required - O->own;

        for (int j = L->sub0; j < L->sub0 + L->nsub && need > 0 && L->basis != 'c'; j++) {
            const struct rd_sub *S = &std->subs[j];
            int a = lower_item(stock, nstock, S->item_id), b;
            int64_t avail = 0, counted, used;

            if (S->ratio <= 0)
                continue;
            for (b = a; b < nstock && stock[b].item_id == S->item_id; b++)
                if (stock[b].expiry >= O->cutoff)
                    avail += work[b];
            if (avail <= 0)
                continue;
            counted = mul_milli(avail, S->ratio);
            if (L->integral) /* a fraction of a tent is no tent */
                counted -= counted % QTY_SCALE;
            if (counted > need)
                counted = need;
            if (counted <= 0)
                continue;
            /* What it took: counted / ratio, rounded up (to a whole piece
             * for an integral substitute), never more than there is. */
            used = (int64_t)(((__int128)counted * QTY_SCALE + S->ratio - 1) / S->ratio);
            if (S->integral && used % QTY_SCALE)
                used += QTY_SCALE - used % QTY_SCALE;
            if (used > avail)
                used = avail;
            consume(stock, work, a, b, O->cutoff, used);
            u->subs[j].used += used;
            u->subs[j].counted += counted;
            O->from_subs += counted;
            need -= counted;
        }
    }

    /* 3. Status and coverage per line, the unit's worst. */
    for (int k = 0; k < std->nlines; k++) {
        const struct rd_line *L = &std->lines[k];
        struct rd_line_out *O = &u->lines[k];
        int64_t usable = O->own + O->from_subs;

        if (L->basis == 'c' || !L->item_id)
            continue;
        O->status = rd_status_of(usable, O->required, set->green_pct, set->amber_pct);
        O->coverage_x10 = rd_coverage_x10(usable, O->required);
        if (O->status == RD_GREEN)
            u->n_green++;
        else if (O->status == RD_AMBER)
            u->n_amber++;
        else
            u->n_red++;
        if (usable < O->required)
            u->n_short++;
        if ((int)O->status > (int)u->status)
            u->status = O->status;
        if (O->coverage_x10 >= 0 && (u->min_cov_x10 < 0 || O->coverage_x10 < u->min_cov_x10)) {
            u->min_cov_x10 = O->coverage_x10;
            u->worst_line = k;
        }
        /* A member "without the kit" is one for whom there is none left:
         * the gap divided by the quantity per person, rounded up. */
        if (L->basis == 'p' && usable < O->required && L->qty > 0) {
            int64_t gap = O->required - usable;
            O->missing_persons = (gap + L->qty - 1) / L->qty;
            if (O->missing_persons > u->persons)
                O->missing_persons = u->persons;
            if (O->missing_persons > u->missing_persons)
                u->missing_persons = O->missing_persons;
        }
    }

    /* 4. Counts of findings, by the same rules as the lot-level lists. */
    for (int g = 0; g < nstock; g++) {
        unsigned f = lot_flags(stock[g].expiry, stock[g].quarantined,
                               item_cutoff(std, season, stock[g].item_id), as_of, season);
        u->stock_rows += stock[g].rows;
        u->stale_rows += stock[g].stale;
        if (f & RD_LOT_QUARANTINED)
            u->quarantined_rows += stock[g].rows;
        else if (f & RD_LOT_ROTATE)
            u->rotate_rows += stock[g].rows;
    }

    /* 5. Kits: complete kits from in-date (expiry >= D), not quarantined
     *    stock of the kit's own items.  The same stock also counts for the
     *    lines above: kit capacity is another view of it, not more of it. */
    for (int k = 0; kits && k < kits->nkits; k++) {
        const struct rd_kit *K = &kits->kits[k];
        int64_t cap = K->nlines ? INT64_MAX : 0;
        for (int l = K->line0; l < K->line0 + K->nlines; l++) {
            const struct rd_kit_line *KL = &kits->lines[l];
            int64_t usable = 0;
            for (int g = lower_item(stock, nstock, KL->item_id);
                 g < nstock && stock[g].item_id == KL->item_id; g++)
                if (!stock[g].quarantined && stock[g].expiry >= as_of)
                    usable += stock[g].qty;
            u->kit_usable[l] = usable;
            if (KL->qty > 0 && usable / KL->qty < cap)
                cap = usable / KL->qty;
        }
        u->kit_cap[k] = cap;
    }
}

int rd_unit_risk_cmp(const struct rd_unit *a, const struct rd_unit *b)
{
    if (a->status != b->status)
        return (int)b->status - (int)a->status; /* red (2) first, no status (-1) last */
    if (a->min_cov_x10 != b->min_cov_x10) {
        if (a->min_cov_x10 < 0)
            return 1;
        if (b->min_cov_x10 < 0)
            return -1;
        return a->min_cov_x10 - b->min_cov_x10;
    }
    return strcmp(a->code ? a->code : "", b->code ? b->code : "");
}

/* ================================================================ database part */

void rd_result_free(struct rd_result *r)
{
    if (!r)
        return;
    free(r->std.lines);
    free(r->std.subs);
    db_res_free(r->std.lres);
    db_res_free(r->std.sres);
    free(r->kits.kits);
    free(r->kits.lines);
    db_res_free(r->kits.kres);
    db_res_free(r->kits.lres);
    free(r->line_block);
    free(r->sub_block);
    free(r->kit_block);
    free(r->units);
    db_res_free(r->unit_res);
    db_res_free(r->lots);
    free(r->lot_flags);
    free(r->lot_cutoff);
    db_res_free(r->assets);
    memset(r, 0, sizeof(*r));
}

int rd_settings_load(struct db_conn *db, struct rd_settings *set, struct app_err *err)
{
    struct db_res *r = NULL;
    rd_settings_default(set);
    if (db_query(db, &r, err, "SELECT name, value FROM setting", "") != 0)
        return -1;
    for (int i = 0; i < r->nrows; i++)
        if (rd_settings_apply(set, db_get(r, i, 0), db_get(r, i, 1)) != 0)
            LOG_WARN("readiness bad_setting name=%s value=%s (the default is used)",
                     db_get(r, i, 0), db_get(r, i, 1));
    db_res_free(r);
    return 0;
}

int rd_season_of_year(struct db_conn *db, const struct rd_settings *set, int year,
                      const char *known_before, struct rd_season *out, struct app_err *err)
{
    struct db_res *r = NULL;
    int32_t start = RD_NO_DAY, end = RD_NO_DAY;
    int64_t changes = 0;

    if (known_before) {
        if (db_query(db, &r, err,
                     "SELECT start_date, end_date FROM flood_season_change WHERE region = ?"
                     " AND year = ? AND changed_at < ? ORDER BY changed_at DESC, id DESC LIMIT 1",
                     "sls", RD_REGION, (long long)year, known_before) != 0)
            return -1;
        /* No declaration known then: was there one later (then none was known
         * at D), or was the year never declared through the API (the seed's)? */
        if (r->nrows == 0) {
            db_res_free(r);
            r = NULL;
            if (db_query_int(db, &changes, err,
                             "SELECT COUNT(*) FROM flood_season_change WHERE region = ?"
                             " AND year = ?",
                             "sl", RD_REGION, (long long)year) != 0)
                return -1;
        }
    }
    if (!r && !changes &&
        db_query(db, &r, err,
                 "SELECT start_date, end_date FROM flood_season"
                 " WHERE region = ? AND year = ?",
                 "sl", RD_REGION, (long long)year) != 0)
        return -1;
    if (r && r->nrows) {
        if (db_get(r, 0, 0) && rd_day_parse(db_get(r, 0, 0), &start) != 0)
            start = RD_NO_DAY;
        if (db_get(r, 0, 1) && rd_day_parse(db_get(r, 0, 1), &end) != 0)
            end = RD_NO_DAY;
    }
    db_res_free(r);
    rd_season_fill(year, start, end, set, out);
    return 0;
}

/* "YYYY-MM-DD 00:00:00" of a day, as MariaDB compares it with DATETIME columns. */
static void day_ts(int32_t day, char out[20])
{
    char d[11];
    rd_day_format(day, d);
    snprintf(out, 20, "%s 00:00:00", d);
}

/*
 * SUM or DELTA for a past day (enum rd_ledger).  Asked for, it is done;
 * today or later (source=ledger, the self-check) always sums, since DELTA
 * there would only read `stock` again.  Otherwise DELTA when the time
 * after D is no longer than the time the ledger covers up to D: movements
 * come at an uneven but not wildly skewed rate, so the shorter stretch is
 * the smaller read.  The first recorded_at is the first entry of
 * ix_mv_recorded (migration 0012), one index probe.
 */
static int choose_ledger(struct db_conn *db, const struct rd_request *q, struct rd_result *out,
                         struct app_err *err)
{
    int64_t first = 0;

    if (q->ledger != RD_LEDGER_AUTO) {
        out->ledger = q->ledger;
        return 0;
    }
    out->ledger = RD_LEDGER_SUM;
    if (out->as_of >= out->today)
        return 0;
    if (db_query_int(db, &first, err,
                     "SELECT IFNULL(DATEDIFF(MIN(recorded_at), '1970-01-01'), -1) FROM movement",
                     "") != 0)
        return -1;
    if (first >= 0 && out->today - (out->as_of + 1) <= (out->as_of + 1) - first)
        out->ledger = RD_LEDGER_DELTA;
    return 0;
}

/* Settings, the day, the season: what every computation starts from. */
static int begin(struct db_conn *db, const struct rd_request *q, struct rd_result *out,
                 struct app_err *err)
{
    time_t now = time(NULL);
    struct tm tm;
    char end_ts[20];
    int y, m, d;

    memset(out, 0, sizeof(*out));
    gmtime_r(&now, &tm);
    strftime(out->computed_at, sizeof(out->computed_at), "%Y-%m-%dT%H:%M:%SZ", &tm);
    out->today = (int32_t)(now / 86400);
    out->as_of = out->today;
    if (q->as_of && rd_day_parse(q->as_of, &out->as_of) != 0)
        return err_field(err, 400, "bad_date", "as_of", "as_of must be a date YYYY-MM-DD");
    /* Before 2000 there is no ledger; far ahead is a typing error. */
    if (out->as_of < (int32_t)days_from_civil(2000, 1, 1) || out->as_of > out->today + 3660)
        return err_field(err, 400, "bad_date", "as_of",
                         "as_of must lie between 2000-01-01 and ten years from today");
    if (q->season_year && (q->season_year < 2000 || q->season_year > 2200))
        return err_field(err, 400, "bad_query", "season", "season is a year 2000..2200");
    out->from_ledger = q->from_ledger || out->as_of < out->today;
    if (q->ledger < RD_LEDGER_AUTO || q->ledger > RD_LEDGER_DELTA)
        return err_set(err, 400, "bad_query", "unknown way to read the ledger");
    if (rd_settings_load(db, &out->set, err) != 0 ||
        (out->from_ledger && choose_ledger(db, q, out, err) != 0))
        return -1;
    civil_from_days(out->as_of, &y, &m, &d);
    day_ts(out->as_of + 1, end_ts);
    if (q->season_year)
        return rd_season_of_year(db, &out->set, q->season_year, end_ts, &out->season, err);
    /* The coming season: the first whose end is on or after D. */
    if (rd_season_of_year(db, &out->set, y, end_ts, &out->season, err) != 0)
        return -1;
    if (out->season.end < out->as_of)
        return rd_season_of_year(db, &out->set, y + 1, end_ts, &out->season, err);
    return 0;
}

static char basis_letter(const char *b)
{
    if (!b)
        return 'f';
    if (strcmp(b, "per_500_persons") == 0)
        return '5';
    if (strcmp(b, "per_person") == 0)
        return 'p';
    if (strcmp(b, "per_team") == 0)
        return 't';
    if (strcmp(b, "check") == 0)
        return 'c';
    return 'f';
}

/* The version of standard `code` in force at the end of D: the newest made
 * before then, or the first one when none was (a day before the standards
 * were loaded still gets an answer; it stays the same answer, since the
 * first version never changes).  has_std stays 0 when the code has none. */
static int load_standard(struct db_conn *db, const char *code, int32_t as_of, struct rd_result *out,
                         struct app_err *err)
{
    struct rd_standard *S = &out->std;
    struct db_res *r = NULL;
    char end_ts[20];
    int si = 0;

    day_ts(as_of + 1, end_ts);
#define STD_COLS                                                                                   \
    "SELECT id, code, version, kind, name_zh, name_en,"                                            \
    " DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ') FROM standard WHERE code = ?"
    if (db_query(db, &r, err, STD_COLS " AND created_at < ? ORDER BY version DESC LIMIT 1", "ss",
                 code, end_ts) != 0)
        return -1;
    S->in_force = r->nrows > 0;
    if (!r->nrows) {
        db_res_free(r);
        if (db_query(db, &r, err, STD_COLS " ORDER BY version LIMIT 1", "s", code) != 0)
            return -1;
    }
#undef STD_COLS
    if (!r->nrows) {
        db_res_free(r);
        return 0;
    }
    out->has_std = 1;
    S->id = db_get_int(r, 0, 0);
    str_copy(S->code, sizeof(S->code), db_get(r, 0, 1));
    S->version = (int)db_get_int(r, 0, 2);
    str_copy(S->kind, sizeof(S->kind), db_get(r, 0, 3));
    str_copy(S->name_zh, sizeof(S->name_zh), db_get(r, 0, 4));
    str_copy(S->name_en, sizeof(S->name_en), db_get(r, 0, 5));
    str_copy(S->created_at, sizeof(S->created_at), db_get(r, 0, 6));
    db_res_free(r);

    if (db_query(db, &S->lres, err,
                 "SELECT sl.id, sl.item_id, sl.basis, sl.qty, sl.min_shelf_months, i.integral,"
                 " i.code, i.name_zh, i.name_en, i.unit, sl.check_code, c.name_zh, c.name_en,"
                 " c.what_is_checked, sl.note FROM standard_line sl"
                 " LEFT JOIN item i ON i.id = sl.item_id"
                 " LEFT JOIN ten_have_check c ON c.code = sl.check_code"
                 " WHERE sl.standard_id = ? ORDER BY sl.id",
                 "l", (long long)S->id) != 0 ||
        db_query(db, &S->sres, err,
                 "SELECT ss.item_id, ss.substitute_item_id, ss.ratio, i.integral, i.code,"
                 " i.name_zh, i.name_en, i.unit, ss.note FROM standard_substitute ss"
                 " JOIN item i ON i.id = ss.substitute_item_id"
                 " WHERE ss.standard_id = ? ORDER BY ss.item_id, ss.id",
                 "l", (long long)S->id) != 0)
        return -1;
    S->nlines = S->lres->nrows;
    S->nsubs = S->sres->nrows;
    S->lines = calloc((size_t)S->nlines + 1, sizeof(*S->lines));
    S->subs = calloc((size_t)S->nsubs + 1, sizeof(*S->subs));
    if (!S->lines || !S->subs)
        return err_set(err, 500, "internal", "out of memory");
    for (int j = 0; j < S->nsubs; j++) {
        struct rd_sub *s = &S->subs[j];
        s->item_id = db_get_int(S->sres, j, 1);
        s->ratio = db_get_qty(S->sres, j, 2);
        s->integral = (int)db_get_int(S->sres, j, 3);
        s->item_code = db_get(S->sres, j, 4);
        s->item_name_zh = db_get(S->sres, j, 5);
        s->item_name_en = db_get(S->sres, j, 6);
        s->unit = db_get(S->sres, j, 7);
        s->note = db_get(S->sres, j, 8);
    }
    for (int k = 0; k < S->nlines; k++) {
        struct rd_line *L = &S->lines[k];
        const char *msm = db_get(S->lres, k, 4);
        L->id = db_get_int(S->lres, k, 0);
        L->item_id = db_get_int(S->lres, k, 1);
        L->basis = basis_letter(db_get(S->lres, k, 2));
        L->qty = db_get_qty(S->lres, k, 3);
        L->min_shelf_months = msm ? (int)db_get_int(S->lres, k, 4) : -1;
        L->integral = (int)db_get_int(S->lres, k, 5);
        L->item_code = db_get(S->lres, k, 6);
        L->item_name_zh = db_get(S->lres, k, 7);
        L->item_name_en = db_get(S->lres, k, 8);
        L->unit = db_get(S->lres, k, 9);
        L->check_code = db_get(S->lres, k, 10);
        L->check_name_zh = db_get(S->lres, k, 11);
        L->check_name_en = db_get(S->lres, k, 12);
        L->check_what = db_get(S->lres, k, 13);
        L->note = db_get(S->lres, k, 14);
        /* Substitutes come sorted by their line's item: find this line's run. */
        for (si = 0; si < S->nsubs && db_get_int(S->sres, si, 0) != L->item_id; si++)
            ;
        L->sub0 = si;
        while (si < S->nsubs && L->item_id && db_get_int(S->sres, si, 0) == L->item_id)
            si++;
        L->nsub = L->item_id ? si - L->sub0 : 0;
    }
    return 0;
}

static int load_kits(struct db_conn *db, struct rd_kits *K, struct app_err *err)
{
    if (db_query(db, &K->kres, err, "SELECT id, code, name_zh, name_en FROM kit ORDER BY code",
                 "") != 0 ||
        db_query(db, &K->lres, err,
                 "SELECT kl.kit_id, kl.item_id, kl.qty, i.code, i.name_zh, i.name_en, i.unit"
                 " FROM kit_line kl JOIN item i ON i.id = kl.item_id ORDER BY kl.kit_id, i.code",
                 "") != 0)
        return -1;
    K->nkits = K->kres->nrows;
    K->nlines = K->lres->nrows;
    K->kits = calloc((size_t)K->nkits + 1, sizeof(*K->kits));
    K->lines = calloc((size_t)K->nlines + 1, sizeof(*K->lines));
    if (!K->kits || !K->lines)
        return err_set(err, 500, "internal", "out of memory");
    for (int l = 0; l < K->nlines; l++) {
        struct rd_kit_line *L = &K->lines[l];
        L->item_id = db_get_int(K->lres, l, 1);
        L->qty = db_get_qty(K->lres, l, 2);
        L->item_code = db_get(K->lres, l, 3);
        L->item_name_zh = db_get(K->lres, l, 4);
        L->item_name_en = db_get(K->lres, l, 5);
        L->unit = db_get(K->lres, l, 6);
    }
    for (int k = 0; k < K->nkits; k++) {
        struct rd_kit *kit = &K->kits[k];
        int l = 0;
        kit->id = db_get_int(K->kres, k, 0);
        kit->code = db_get(K->kres, k, 1);
        kit->name_zh = db_get(K->kres, k, 2);
        kit->name_en = db_get(K->kres, k, 3);
        while (l < K->nlines && db_get_int(K->lres, l, 0) != kit->id)
            l++;
        kit->line0 = l;
        while (l < K->nlines && db_get_int(K->lres, l, 0) == kit->id)
            l++;
        kit->nlines = l - kit->line0;
    }
    return 0;
}

/* ---------------------------------------------------------------- SQL text */

/* Which depots a computation reads.  Town-level units: the town and village
 * depots of every unit under `path` (never team depots: a team's kit is not
 * the town's reserve, and never the city's own depots).  A team: its depots. */
struct scope {
    const char *path;
    int64_t team_id; /* > 0: a team */
};

static void add_depots(struct buf *b, struct db_params *ps, const struct scope *sc)
{
    if (sc->team_id > 0) {
        buf_appendf(b, "SELECT d.id FROM depot d WHERE d.team_id = ?");
        dbp_int(ps, sc->team_id);
    } else {
        buf_appendf(b, "SELECT d.id FROM depot d JOIN org_unit o ON o.id = d.org_unit_id"
                       " WHERE d.kind IN ('town', 'village') AND o.path LIKE CONCAT(?, '%%')");
        dbp_str(ps, sc->path);
    }
}

/* Where the balances of a computation come from: `stock`, or the ledger
 * read as rd_result.ledger says. */
#define RD_SRC_STOCK 0
static int src_of(const struct rd_result *out)
{
    return out->from_ledger ? out->ledger : RD_SRC_STOCK;
}

/*
 * Every (bin, lot) balance > 0 of the scope's depots as of the end of D, as
 * a derived table: from `stock` (today: bin_id, lot_id, qty, last_count_at),
 * or summed from the ledger (a past day: bin_id, lot_id, qty, first_at, only
 * rows recorded before the end of D).  The expressions below read it under
 * the alias x.  (They sit in the outer query, not in this derived table:
 * MariaDB 10.11 fails the second execution of a prepared statement whose
 * derived table holds a subquery that refers to another derived table,
 * error 1054; this shape executes any number of times.)
 */
static void add_source(struct buf *b, struct db_params *ps, const struct scope *sc, int src,
                       const char *end_ts)
{
    if (src == RD_SRC_STOCK) {
        buf_appendf(b, "SELECT s.bin_id, s.lot_id, s.qty, s.last_count_at FROM stock s"
                       " WHERE s.qty > 0 AND s.depot_id IN (");
        add_depots(b, ps, sc);
        buf_appendf(b, ")");
        return;
    }
    if (src == RD_LEDGER_DELTA) {
        /* Today's balance less what was recorded after D: the holdings
         * not empty today, and (UNION ALL) those empty today that held
         * stock on D -- they have later movements, so `a` finds them.  Two
         * parts so that the empty holdings (most of `stock` on a long
         * ledger) are dropped before any join.  MariaDB reads one
         * statement from one read view, so `stock` and the movements
         * agree with each other.  depot_id: the bin's (verify-ledger). */
        for (int part = 0; part < 2; part++) {
            buf_appendf(b, part ? " UNION ALL SELECT s.bin_id, s.lot_id, -a.later, s.depot_id"
                                : "SELECT s.bin_id, s.lot_id, s.qty - IFNULL(a.later, 0) AS qty,"
                                  " s.depot_id");
            buf_appendf(b, " FROM stock s %s JOIN (SELECT m.bin_id, m.lot_id, SUM(m.qty) AS later"
                           " FROM movement m WHERE m.recorded_at >= ? GROUP BY m.bin_id, m.lot_id)"
                           " a ON a.bin_id = s.bin_id AND a.lot_id = s.lot_id WHERE %s"
                           " AND s.depot_id IN (",
                        part ? "" : "LEFT", part ? "s.qty = 0 AND a.later < 0"
                                                  : "s.qty > 0 AND s.qty - IFNULL(a.later, 0) > 0");
            dbp_str(ps, end_ts);
            add_depots(b, ps, sc);
            buf_appendf(b, ")");
        }
        return;
    }
    buf_appendf(b, "SELECT m.bin_id, m.lot_id, SUM(m.qty) AS qty, MIN(m.recorded_at) AS first_at"
                   " FROM movement m WHERE m.recorded_at < ?"
                   " AND m.bin_id IN (SELECT b.id FROM bin b WHERE b.depot_id IN (");
    dbp_str(ps, end_ts);
    add_depots(b, ps, sc);
    buf_appendf(b, ")) GROUP BY m.bin_id, m.lot_id HAVING SUM(m.qty) > 0");
}

#define COUNTED_AT "COALESCE(t.second_at, t.first_at)"
#define FIRST_MOVE                                                                                 \
    "(SELECT MIN(m.recorded_at) FROM movement m WHERE m.bin_id = x.bin_id AND m.lot_id = "         \
    "x.lot_id)"

/*
 * 1 when the holding x is stale: neither its last posted count nor its
 * first movement (the receipt) lies within the last stocktake_max_age_days
 * -- a lot received last week is not stale for never having been counted,
 * and a count of the empty bin before the lot arrived does not age it.
 * Today: stock.last_count_at, the first movement looked up only where the
 * count is old or missing.  A past day: "no count posted in [stale_ts, end
 * of D)", one probe of the covering index ix_st_asof per holding.
 */
static void add_stale(struct buf *b, struct db_params *ps, int src, const char *end_ts,
                      const char *stale_ts)
{
    if (src == RD_SRC_STOCK) {
        buf_appendf(b, "((x.last_count_at IS NULL OR x.last_count_at < ?) AND " FIRST_MOVE " < ?)");
        dbp_str(ps, stale_ts);
        dbp_str(ps, stale_ts);
        return;
    }
    /* DELTA: the counts of the window come from the join add_counted adds
     * (c); the holding has no first_at of its own, but its first movement
     * overall is its first before the end of D, as it held stock then --
     * looked up only where no count was posted in the window. */
    if (src == RD_LEDGER_DELTA) {
        buf_appendf(b, "(c.bin_id IS NULL AND " FIRST_MOVE " < ?)");
        dbp_str(ps, stale_ts);
        return;
    }
    buf_appendf(b, "(x.first_at < ? AND NOT EXISTS (SELECT 1 FROM stocktake t"
                   " WHERE t.bin_id = x.bin_id AND t.lot_id = x.lot_id AND t.status = 'posted'"
                   " AND " COUNTED_AT " >= ? AND " COUNTED_AT " < ?))");
    dbp_str(ps, stale_ts);
    dbp_str(ps, stale_ts);
    dbp_str(ps, end_ts);
}

/*
 * For DELTA, after the joins: every (bin, lot) of the scope with a count
 * posted in the staleness window before the end of D, as c.  One pass over
 * the scope's stocktakes instead of a probe per holding: at province scale a
 * million correlated subqueries cost several times the whole floor.  Its
 * depot filter is stocktake.depot_id, the bin's depot when it was made.
 */
static void add_counted(struct buf *b, struct db_params *ps, const struct scope *sc, int src,
                        const char *end_ts, const char *stale_ts)
{
    if (src != RD_LEDGER_DELTA)
        return;
    buf_appendf(b, " LEFT JOIN (SELECT t.bin_id, t.lot_id FROM stocktake t"
                   " WHERE t.status = 'posted' AND " COUNTED_AT " >= ? AND " COUNTED_AT " < ?"
                   " AND t.depot_id IN (");
    dbp_str(ps, stale_ts);
    dbp_str(ps, end_ts);
    add_depots(b, ps, sc);
    buf_appendf(b, ") GROUP BY t.bin_id, t.lot_id) c ON c.bin_id = x.bin_id AND c.lot_id = x.lot_id");
}

/* last_count_at and first_at of the holding x, for the lot-level lists
 * (first_at only where it decides staleness, as in add_stale). */
static void add_count_cols(struct buf *b, struct db_params *ps, int src, const char *end_ts,
                           const char *stale_ts)
{
    if (src == RD_SRC_STOCK) {
        buf_appendf(
            b, "x.last_count_at, IF(x.last_count_at IS NULL OR x.last_count_at < ?, " FIRST_MOVE
               ", NULL) AS first_at");
        dbp_str(ps, stale_ts);
        return;
    }
    buf_appendf(b, "(SELECT MAX(" COUNTED_AT ") FROM stocktake t WHERE t.bin_id = x.bin_id"
                   " AND t.lot_id = x.lot_id AND t.status = 'posted' AND " COUNTED_AT
                   " < ?) AS last_count_at, %s",
                src == RD_LEDGER_DELTA ? FIRST_MOVE " AS first_at" : "x.first_at");
    dbp_str(ps, end_ts);
}

/*
 * The statement prefix for the ledger form: without it MariaDB may choose a
 * "lateral derived" plan that re-aggregates the movements once per group
 * through the non-covering index -- about twice as slow on the demo city.
 * It changes the plan, never the result.
 */
#define LEDGER_PLAN "SET STATEMENT optimizer_switch='split_materialized=off', " GROUP_MEM " FOR "

/*
 * Room for the grouped query's temporary table in memory: the province has
 * ~350,000 (depot, item, expiry) groups, over the default 16 MB, and the
 * on-disk table that replaced it doubled the query's time there (39 s ->
 * 18 s at load 7 on the province set).  Only this statement's limit; the
 * table is only as big as the groups need.
 */
#define GROUP_MEM "tmp_table_size=268435456, max_heap_table_size=268435456"

/* ---------------------------------------------------------------- units and groups */

struct dmap {
    int64_t depot_id;
    int unit;
};

static int dmap_cmp(const void *a, const void *b)
{
    const struct dmap *x = a, *y = b;
    return x->depot_id < y->depot_id ? -1 : x->depot_id > y->depot_id;
}

static int dmap_find(const struct dmap *m, int n, int64_t depot)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (m[mid].depot_id == depot)
            return m[mid].unit;
        if (m[mid].depot_id < depot)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

struct ugroup {
    int unit;
    struct rd_stock s;
};

static int ugroup_cmp(const void *a, const void *b)
{
    const struct ugroup *x = a, *y = b;
    if (x->unit != y->unit)
        return x->unit - y->unit;
    if (x->s.item_id != y->s.item_id)
        return x->s.item_id < y->s.item_id ? -1 : 1;
    if (x->s.expiry != y->s.expiry)
        return x->s.expiry < y->s.expiry ? -1 : 1;
    return x->s.quarantined - y->s.quarantined;
}

static int32_t expiry_of(const char *s)
{
    int32_t d;
    return s && rd_day_parse(s, &d) == 0 ? d : RD_NEVER;
}

/* Allocate the per-unit result arrays as one block each. */
static int alloc_units(struct rd_result *out, int n, struct app_err *err)
{
    size_t nl = (size_t)out->std.nlines, ns = (size_t)out->std.nsubs;
    size_t nk = (size_t)out->kits.nkits, nkl = (size_t)out->kits.nlines;

    out->units = calloc((size_t)n + 1, sizeof(*out->units));
    out->line_block = calloc((size_t)n * nl + 1, sizeof(*out->line_block));
    out->sub_block = calloc((size_t)n * ns + 1, sizeof(*out->sub_block));
    out->kit_block = calloc((size_t)n * (nk + nkl) + 1, sizeof(*out->kit_block));
    if (!out->units || !out->line_block || !out->sub_block || !out->kit_block)
        return err_set(err, 500, "internal", "out of memory"); /* rd_result_free frees them */
    out->nunits = n;
    for (int i = 0; i < n; i++) {
        struct rd_unit *u = &out->units[i];
        u->lines = out->line_block + (size_t)i * nl;
        u->subs = out->sub_block + (size_t)i * ns;
        u->kit_cap = out->kit_block + (size_t)i * (nk + nkl);
        u->kit_usable = u->kit_cap + nk;
        u->status = RD_NONE;
        u->min_cov_x10 = -1;
        u->worst_line = -1;
    }
    return 0;
}

/*
 * Steps 3-5 of the file comment for units whose depots `map` names: the
 * grouped stock query, the asset counts, and rd_evaluate per unit.
 */
static int compute(struct db_conn *db, struct rd_result *out, const struct scope *sc,
                   struct dmap *map, int nmap, struct app_err *err)
{
    struct buf b;
    struct db_params ps;
    struct db_res *r = NULL;
    struct ugroup *g = NULL;
    struct rd_stock *st = NULL;
    int64_t *work = NULL;
    char end_ts[20], stale_ts[20], as_of[11];
    int n = 0, rc = -1;

    day_ts(out->as_of + 1, end_ts);
    day_ts(out->as_of - out->set.stale_days, stale_ts);
    rd_day_format(out->as_of, as_of);
    if (nmap > 0)
        qsort(map, (size_t)nmap, sizeof(*map), dmap_cmp);

    buf_init(&b, 65536);
    memset(&ps, 0, sizeof(ps));
    if (out->from_ledger)
        buf_appendf(&b, LEDGER_PLAN);
    if (!out->from_ledger) {
        /* Today: `stock` itself under the alias x -- no derived table and
         * no join with bin, one row less to join per holding (615,000 on
         * the province set).  stock.depot_id is the bin's depot
         * (verify-ledger checks it), so the groups are the same. */
        buf_appendf(&b, "SET STATEMENT " GROUP_MEM " FOR SELECT x.depot_id, l.item_id,"
                        " l.expiry_date, l.quarantined, SUM(x.qty), COUNT(*), SUM(");
        add_stale(&b, &ps, RD_SRC_STOCK, end_ts, stale_ts);
        buf_appendf(&b, ") FROM stock x JOIN lot l ON l.id = x.lot_id"
                        " WHERE x.qty > 0 AND x.depot_id IN (");
        add_depots(&b, &ps, sc);
        /* ORDER BY NULL: MariaDB sorts a GROUP BY's result unless told not
         * to, and the groups are sorted per unit in C below anyway. */
        buf_appendf(&b, ") GROUP BY x.depot_id, l.item_id, l.expiry_date, l.quarantined"
                        " ORDER BY NULL");
    } else {
        /* The delta's holdings carry their depot; the sum's come from
         * movements grouped by (bin, lot) and take it from the bin. */
        int delta = src_of(out) == RD_LEDGER_DELTA;
        buf_appendf(&b, "SELECT %s.depot_id, l.item_id, l.expiry_date, l.quarantined, SUM(x.qty),"
                        " COUNT(*), SUM(",
                    delta ? "x" : "b");
        add_stale(&b, &ps, src_of(out), end_ts, stale_ts);
        buf_appendf(&b, ") FROM (");
        add_source(&b, &ps, sc, src_of(out), end_ts);
        buf_appendf(&b, ") x%s JOIN lot l ON l.id = x.lot_id",
                    delta ? "" : " JOIN bin b ON b.id = x.bin_id");
        add_counted(&b, &ps, sc, src_of(out), end_ts, stale_ts);
        buf_appendf(&b, " GROUP BY %s.depot_id, l.item_id, l.expiry_date, l.quarantined"
                        " ORDER BY NULL",
                    delta ? "x" : "b");
    }
    if (b.len == 0 || ps.overflow) {
        err_set(err, 500, "internal", "readiness query too long");
        goto done;
    }
    if (db_query_p(db, &r, err, b.data, &ps) != 0)
        goto done;
    g = calloc((size_t)r->nrows + 1, sizeof(*g));
    if (!g) {
        err_set(err, 500, "internal", "out of memory");
        goto done;
    }
    for (int i = 0; i < r->nrows; i++) {
        int unit = sc->team_id > 0 ? 0 : dmap_find(map, nmap, db_get_int(r, i, 0));
        if (unit < 0)
            continue;
        g[n].unit = unit;
        g[n].s.item_id = db_get_int(r, i, 1);
        g[n].s.expiry = expiry_of(db_get(r, i, 2));
        g[n].s.quarantined = db_get_int(r, i, 3) != 0;
        g[n].s.qty = db_get_qty(r, i, 4);
        g[n].s.rows = db_get_int(r, i, 5);
        g[n].s.stale = db_get_int(r, i, 6);
        n++;
    }
    db_res_free(r);
    r = NULL;
    /* One unit's depots hold the same (item, expiry) in several places: merge. */
    if (n > 1)
        qsort(g, (size_t)n, sizeof(*g), ugroup_cmp);
    {
        int w = 0;
        for (int i = 0; i < n; i++) {
            if (w > 0 && ugroup_cmp(&g[w - 1], &g[i]) == 0) {
                g[w - 1].s.qty += g[i].s.qty;
                g[w - 1].s.rows += g[i].s.rows;
                g[w - 1].s.stale += g[i].s.stale;
            } else {
                g[w++] = g[i];
            }
        }
        n = w;
    }

    /* Assets in the same depots (their current state: see docs/readiness.md). */
    buf_reset(&b);
    memset(&ps, 0, sizeof(ps));
    buf_appendf(&b, "SELECT a.depot_id, SUM(a.status = 'under_repair'),"
                    " SUM(a.inspection_due IS NOT NULL AND a.inspection_due < ?) FROM asset a"
                    " WHERE a.status IN ('in_service', 'under_repair') AND (a.depot_id IN (");
    dbp_str(&ps, as_of);
    add_depots(&b, &ps, sc);
    buf_appendf(&b, ")");
    if (sc->team_id > 0) {
        buf_appendf(&b, " OR a.team_id = ?");
        dbp_int(&ps, sc->team_id);
    }
    buf_appendf(&b, ") GROUP BY a.depot_id");
    if (b.len == 0 || ps.overflow) {
        err_set(err, 500, "internal", "readiness query too long");
        goto done;
    }
    if (db_query_p(db, &r, err, b.data, &ps) != 0)
        goto done;
    for (int i = 0; i < r->nrows; i++) {
        int unit = sc->team_id > 0 ? 0 : dmap_find(map, nmap, db_get_int(r, i, 0));
        if (unit < 0)
            continue;
        out->units[unit].assets_repair += db_get_int(r, i, 1);
        out->units[unit].assets_overdue += db_get_int(r, i, 2);
    }

    /* The pure part, unit by unit, over its run of groups. */
    st = calloc((size_t)n + 1, sizeof(*st));
    work = calloc((size_t)n + 1, sizeof(*work));
    if (!st || !work) {
        err_set(err, 500, "internal", "out of memory");
        goto done;
    }
    for (int i = 0; i < n; i++)
        st[i] = g[i].s;
    for (int u = 0, i = 0; u < out->nunits; u++) {
        int j = i;
        while (j < n && g[j].unit == u)
            j++;
        if (out->has_std)
            rd_evaluate(&out->std, out->kits.nkits ? &out->kits : NULL, &out->set, &out->season,
                        out->as_of, st + i, j - i, work, &out->units[u]);
        i = j;
    }
    rc = 0;
done:
    db_res_free(r);
    buf_free(&b);
    free(g);
    free(st);
    free(work);
    return rc;
}

/* The town-level units whose path starts with `path` (or the one with id
 * `only` when > 0) and the map of their depots. */
static int load_towns(struct db_conn *db, const char *path, int64_t only, struct rd_result *out,
                      struct dmap **map, int *nmap, struct app_err *err)
{
    struct db_res *r = NULL;
    struct dmap *byid = NULL; /* org id -> unit index, sorted by id */
    const char *scope_path = path;

#define TOWN_COLS                                                                                  \
    "SELECT t.id, t.code, t.name_zh, t.name_en, t.kind, t.reserve_persons, t.path"                 \
    " FROM org_unit t WHERE t.kind IN ('subdistrict', 'town', 'park')"
    if (only > 0) {
        if (db_query(db, &out->unit_res, err, TOWN_COLS " AND t.id = ?", "l", (long long)only) != 0)
            return -1;
        if (out->unit_res->nrows == 0)
            return err_set(err, 404, "not_found", "no town-level unit with this code or id");
        scope_path = db_get(out->unit_res, 0, 6);
    } else if (db_query(db, &out->unit_res, err,
                        TOWN_COLS " AND t.path LIKE CONCAT(?, '%') ORDER BY t.code", "s",
                        path) != 0) {
        return -1;
    }
#undef TOWN_COLS
    if (alloc_units(out, out->unit_res->nrows, err) != 0)
        return -1;
    for (int i = 0; i < out->nunits; i++) {
        struct rd_unit *u = &out->units[i];
        const char *rp = db_get(out->unit_res, i, 5);
        u->id = db_get_int(out->unit_res, i, 0);
        u->code = db_get(out->unit_res, i, 1);
        u->name_zh = db_get(out->unit_res, i, 2);
        u->name_en = db_get(out->unit_res, i, 3);
        u->kind = db_get(out->unit_res, i, 4);
        u->path = db_get(out->unit_res, i, 6);
        u->persons = rp ? db_get_int(out->unit_res, i, 5) : RD_DEFAULT_PERSONS;
        u->persons_default = rp == NULL;
    }

    /* Depot -> town: the town is the unit whose id appears in the depot's
     * org path ('/1/5/23/': ids from the root down).  Found in C by binary
     * search over the units' ids: a join of every depot with every town on
     * "path LIKE town.path%" is depots x towns comparisons, over a second at
     * province scale (1,600 towns, 2,000 depots). */
    if (db_query(db, &r, err,
                 "SELECT d.id, o.path FROM depot d JOIN org_unit o ON o.id = d.org_unit_id"
                 " WHERE d.kind IN ('town', 'village') AND o.path LIKE CONCAT(?, '%')",
                 "s", scope_path) != 0)
        return -1;
    *map = calloc((size_t)r->nrows + 1, sizeof(**map));
    byid = calloc((size_t)out->nunits + 1, sizeof(*byid));
    if (!*map || !byid) {
        db_res_free(r);
        free(byid);
        return err_set(err, 500, "internal", "out of memory");
    }
    for (int u = 0; u < out->nunits; u++) {
        byid[u].depot_id = out->units[u].id; /* here: the unit's org id */
        byid[u].unit = u;
    }
    qsort(byid, (size_t)out->nunits, sizeof(*byid), dmap_cmp);
    *nmap = 0;
    for (int i = 0; i < r->nrows; i++) {
        const char *p = db_get(r, i, 1);
        int unit = -1;
        while (p && *p && unit < 0) {
            char *end;
            long long id;
            while (*p == '/')
                p++;
            if (!*p)
                break;
            id = strtoll(p, &end, 10);
            if (end == p)
                break;
            unit = dmap_find(byid, out->nunits, id);
            p = end;
        }
        if (unit >= 0) {
            (*map)[*nmap].depot_id = db_get_int(r, i, 0);
            (*map)[(*nmap)++].unit = unit;
        }
    }
    free(byid);
    db_res_free(r);
    return 0;
}

/* Columns of rd_result.lots, for the handlers: LOT_COLS, then
 * last_count_at, first_at, stale (add_count_cols, add_stale). */
#define LOT_COLS                                                                                   \
    "SELECT x.bin_id, b.code AS bin_code, b.depot_id, d.code AS depot_code, x.lot_id, l.lot_no,"   \
    " l.item_id, i.code AS item_code, i.name_zh AS item_name_zh, i.name_en AS item_name_en,"       \
    " i.unit, l.expiry_date, l.quarantined, x.qty, "
enum { LOT_C_ITEM = 6, LOT_C_EXPIRY = 11, LOT_C_QUAR = 12, LOT_C_STALE = 16 };

/* The lot-level findings of a single unit: every holding with its flags,
 * and the assets under repair or overdue for inspection. */
static int load_details(struct db_conn *db, struct rd_result *out, const struct scope *sc,
                        struct app_err *err)
{
    struct buf b;
    struct db_params ps;
    char end_ts[20], stale_ts[20], as_of[11];
    int rc = -1;

    day_ts(out->as_of + 1, end_ts);
    day_ts(out->as_of - out->set.stale_days, stale_ts);
    rd_day_format(out->as_of, as_of);
    buf_init(&b, 65536);
    memset(&ps, 0, sizeof(ps));
    if (out->from_ledger)
        buf_appendf(&b, LEDGER_PLAN);
    buf_appendf(&b, "%s", LOT_COLS);
    add_count_cols(&b, &ps, src_of(out), end_ts, stale_ts);
    buf_appendf(&b, ", ");
    add_stale(&b, &ps, src_of(out), end_ts, stale_ts);
    buf_appendf(&b, " AS stale FROM (");
    add_source(&b, &ps, sc, src_of(out), end_ts);
    buf_appendf(&b, ") x JOIN bin b ON b.id = x.bin_id JOIN depot d ON d.id = b.depot_id"
                    " JOIN lot l ON l.id = x.lot_id JOIN item i ON i.id = l.item_id");
    add_counted(&b, &ps, sc, src_of(out), end_ts, stale_ts);
    buf_appendf(&b, " ORDER BY i.code, l.expiry_date, d.code, b.code, l.lot_no");
    if (db_query_p(db, &out->lots, err, b.data, &ps) != 0)
        goto done;
    out->lot_flags = calloc((size_t)out->lots->nrows + 1, 1);
    out->lot_cutoff = calloc((size_t)out->lots->nrows + 1, sizeof(*out->lot_cutoff));
    if (!out->lot_flags || !out->lot_cutoff) {
        err_set(err, 500, "internal", "out of memory");
        goto done;
    }
    for (int i = 0; i < out->lots->nrows; i++) {
        int64_t item = db_get_int(out->lots, i, LOT_C_ITEM);
        int32_t cut = out->has_std ? item_cutoff(&out->std, &out->season, item) : RD_NEVER;
        unsigned f =
            lot_flags(expiry_of(db_get(out->lots, i, LOT_C_EXPIRY)),
                      db_get_int(out->lots, i, LOT_C_QUAR) != 0, cut, out->as_of, &out->season);
        if (db_get_int(out->lots, i, LOT_C_STALE))
            f |= RD_LOT_STALE;
        out->lot_flags[i] = (unsigned char)f;
        out->lot_cutoff[i] = cut;
    }

    buf_reset(&b);
    memset(&ps, 0, sizeof(ps));
    buf_appendf(&b,
                "SELECT a.id AS asset_id, a.serial_no, a.item_id, i.code AS item_code,"
                " i.name_zh AS item_name_zh, i.name_en AS item_name_en, a.depot_id,"
                " d.code AS depot_code, a.bin_id, a.team_id, a.status, a.inspection_due,"
                " a.maintenance_due, a.status = 'under_repair' AS is_under_repair,"
                " (a.inspection_due IS NOT NULL AND a.inspection_due < ?) AS is_inspection_overdue"
                " FROM asset a JOIN item i ON i.id = a.item_id JOIN depot d ON d.id = a.depot_id"
                " WHERE a.status IN ('in_service', 'under_repair')"
                " AND (a.status = 'under_repair' OR a.inspection_due < ?) AND (a.depot_id IN (");
    dbp_str(&ps, as_of);
    dbp_str(&ps, as_of);
    add_depots(&b, &ps, sc);
    buf_appendf(&b, ")");
    if (sc->team_id > 0) {
        buf_appendf(&b, " OR a.team_id = ?");
        dbp_int(&ps, sc->team_id);
    }
    buf_appendf(&b, ") ORDER BY i.code, a.serial_no");
    if (db_query_p(db, &out->assets, err, b.data, &ps) != 0)
        goto done;
    rc = 0;
done:
    buf_free(&b);
    return rc;
}

static int unit_cmp(const void *a, const void *b)
{
    return rd_unit_risk_cmp(a, b);
}

int rd_city(struct db_conn *db, const char *scope_path, const struct rd_request *q,
            struct rd_result *out, struct app_err *err)
{
    struct scope sc = {scope_path, 0};
    struct dmap *map = NULL;
    int nmap = 0, rc = -1;

    if (begin(db, q, out, err) != 0 ||
        load_standard(db, "town_reserve", out->as_of, out, err) != 0 ||
        load_kits(db, &out->kits, err) != 0 ||
        load_towns(db, scope_path, 0, out, &map, &nmap, err) != 0 ||
        compute(db, out, &sc, map, nmap, err) != 0)
        goto done;
    if (out->nunits > 1)
        qsort(out->units, (size_t)out->nunits, sizeof(*out->units), unit_cmp);
    rc = 0;
done:
    free(map);
    return rc;
}

int rd_town(struct db_conn *db, int64_t org_unit_id, const struct rd_request *q,
            struct rd_result *out, struct app_err *err)
{
    struct scope sc = {NULL, 0};
    struct dmap *map = NULL;
    int nmap = 0, rc = -1;

    if (begin(db, q, out, err) != 0 ||
        load_standard(db, "town_reserve", out->as_of, out, err) != 0 ||
        load_kits(db, &out->kits, err) != 0 ||
        load_towns(db, NULL, org_unit_id, out, &map, &nmap, err) != 0)
        goto done;
    sc.path = out->units[0].path;
    if (compute(db, out, &sc, map, nmap, err) != 0 || load_details(db, out, &sc, err) != 0)
        goto done;
    rc = 0;
done:
    free(map);
    return rc;
}

int rd_team(struct db_conn *db, int64_t team_id, const struct rd_request *q, struct rd_result *out,
            struct app_err *err)
{
    struct scope sc = {NULL, team_id};
    char code[49];

    if (begin(db, q, out, err) != 0)
        return -1;
    if (db_query(db, &out->unit_res, err,
                 "SELECT tm.id, tm.code, tm.name_zh, tm.name_en, tm.kind, tm.headcount, o.path,"
                 " tm.org_unit_id FROM team tm JOIN org_unit o ON o.id = tm.org_unit_id"
                 " WHERE tm.id = ?",
                 "l", (long long)team_id) != 0)
        return -1;
    if (out->unit_res->nrows == 0)
        return err_set(err, 404, "not_found", "no such team");
    snprintf(code, sizeof(code), "team:%s", db_get(out->unit_res, 0, 4));
    if (load_standard(db, code, out->as_of, out, err) != 0 || alloc_units(out, 1, err) != 0)
        return -1;
    {
        struct rd_unit *u = &out->units[0];
        u->id = team_id;
        u->code = db_get(out->unit_res, 0, 1);
        u->name_zh = db_get(out->unit_res, 0, 2);
        u->name_en = db_get(out->unit_res, 0, 3);
        u->kind = "team";
        u->team_kind = db_get(out->unit_res, 0, 4);
        u->persons = db_get_int(out->unit_res, 0, 5);
        u->path = db_get(out->unit_res, 0, 6);
        u->team_id_org = db_get_int(out->unit_res, 0, 7);
    }
    if (compute(db, out, &sc, NULL, 0, err) != 0 || load_details(db, out, &sc, err) != 0)
        return -1;
    return 0;
}

int rd_village(struct db_conn *db, int64_t org_unit_id, const struct rd_request *q,
               struct rd_result *out, struct app_err *err)
{
    if (begin(db, q, out, err) != 0)
        return -1;
    if (db_query(db, &out->unit_res, err,
                 "SELECT id, code, name_zh, name_en, kind, path FROM org_unit"
                 " WHERE id = ? AND kind IN ('village', 'community')",
                 "l", (long long)org_unit_id) != 0)
        return -1;
    if (out->unit_res->nrows == 0)
        return err_set(err, 404, "not_found", "no village or community with this code or id");
    if (load_standard(db, "village_ten_haves", out->as_of, out, err) != 0 ||
        alloc_units(out, 1, err) != 0)
        return -1;
    {
        struct rd_unit *u = &out->units[0];
        u->id = org_unit_id;
        u->code = db_get(out->unit_res, 0, 1);
        u->name_zh = db_get(out->unit_res, 0, 2);
        u->name_en = db_get(out->unit_res, 0, 3);
        u->kind = db_get(out->unit_res, 0, 4);
        u->path = db_get(out->unit_res, 0, 5);
        for (int k = 0; k < out->std.nlines; k++) {
            u->lines[k].status = RD_NONE;
            u->lines[k].coverage_x10 = -1;
        }
    }
    return 0;
}
