/*
 * readiness.h -- is a town (a team, a village) ready for the flood season?
 *
 * The rules are docs/readiness.md; in short, for a unit U, the season S and a
 * day D: required(line) from the standard version in force at the end of D
 * and U's reserve persons (or headcount); usable(line) = stock in U's depots
 * as the ledger knew it at the end of D, not quarantined, whose lot does not
 * expire before the line's cut-off, plus substitutes at their ratio; coverage,
 * a status per line (green/amber/red from the settings) and findings.
 *
 * Two layers, like the rest of domain/:
 *  - pure functions (dates, rounding, the allocation of stock and substitutes
 *    to lines, kit capacity) that take plain structs and touch nothing else,
 *    so tests/unit/test_readiness.c can check them by hand;
 *  - rd_town/rd_city/rd_team/rd_village, which load the inputs with a few
 *    set-based queries (the whole city is one grouped query over stock or the
 *    ledger, not a query per town) and run the pure part per unit.
 *
 * Quantities are int64 thousandths ("milli", as everywhere); days are day
 * numbers since 1970-01-01 (core/util.h days_from_civil).
 *
 * Ownership: a struct rd_result owns everything hanging off it, including the
 * db_res whose cells its string pointers point into; rd_result_free releases
 * it all (and is a no-op on a zeroed struct).
 */
#ifndef RELIEF_READINESS_H
#define RELIEF_READINESS_H

#include <stddef.h>
#include <stdint.h>

#include "../core/err.h"

struct db_conn;
struct db_res;

/* The province whose declared seasons apply (flood_season.region). */
#define RD_REGION "guangdong"
/* Reserve persons of a town whose org unit has none set. */
#define RD_DEFAULT_PERSONS 500
/* Coverage is shown up to 999.9 % (in tenths of a percent). */
#define RD_COVERAGE_CAP_X10 9999
/* Expiry of a lot without one: never expires. */
#define RD_NEVER INT32_MAX
/* A day that is not known (a season date not declared). */
#define RD_NO_DAY INT32_MIN

enum rd_status { RD_NONE = -1, RD_GREEN = 0, RD_AMBER = 1, RD_RED = 2 };
const char *rd_status_name(enum rd_status s); /* "green", ..., NULL for RD_NONE */

/* Business settings (table `setting`); defaults when a row is missing. */
struct rd_settings {
    int green_pct, amber_pct; /* readiness_green_pct, readiness_amber_pct */
    int stale_days;           /* stocktake_max_age_days */
    int start_m, start_d;     /* season_default_start MM-DD */
    int end_m, end_d;         /* season_default_end MM-DD */
};
void rd_settings_default(struct rd_settings *s);
/* Apply one setting row; -1 when the value is malformed (the default stays). */
int rd_settings_apply(struct rd_settings *s, const char *name, const char *value);

struct rd_season {
    int year;
    int32_t start, end;
    const char *basis; /* "declared", "partly_declared" or "default" (static text) */
};

/* ---------------------------------------------------------------- pure */

/* Day numbers <-> "YYYY-MM-DD" (out: 11 bytes).  rd_day_parse: -1 if malformed. */
int rd_day_parse(const char *s, int32_t *day);
void rd_day_format(int32_t day, char out[11]);
/* day + months, the day of month clamped to the month's length (31 Jan + 1 = 28/29 Feb). */
int32_t rd_add_months(int32_t day, int months);

/*
 * The season of `year` from what the province declared: start/end are day
 * numbers or RD_NO_DAY when not declared; a missing date comes from the default
 * MM-DD of the settings.  A default end before the start is moved to the
 * next year (never happens with the shipped 04-01..10-15).
 */
void rd_season_fill(int year, int32_t start, int32_t end, const struct rd_settings *set,
                    struct rd_season *out);

/* The last day a lot may expire on and still count: max(season end,
 * season start + min_shelf_months); min_shelf_months < 0 means none.  A lot
 * counts when its expiry is on or after this day (or it has none). */
int32_t rd_cutoff(const struct rd_season *s, int min_shelf_months);

/*
 * Required quantity of a line (milli): basis '5' per 500 persons
 * (qty x persons / 500), 'p' per person (qty x persons), 't' per team and
 * 'f' fixed (qty).  Always rounded up: to a whole unit for integral items,
 * else to 0.001.  Returns -1 on overflow (absurd inputs).
 */
int64_t rd_required(char basis, int64_t qty, int64_t persons, int integral);

/* green when usable >= green_pct % of required, amber when >= amber_pct %,
 * else red; green when nothing is required. */
enum rd_status rd_status_of(int64_t usable, int64_t required, int green_pct, int amber_pct);
/* usable / required in tenths of a percent, rounded down, capped at
 * RD_COVERAGE_CAP_X10; -1 when nothing is required. */
int rd_coverage_x10(int64_t usable, int64_t required);

/* One substitute of a line: `ratio` milli units of the line's item per unit
 * of the substitute (1000 = one for one). */
struct rd_sub {
    int64_t item_id;
    int64_t ratio;
    int integral; /* of the substitute item */
    const char *item_code, *item_name_zh, *item_name_en, *unit, *note;
};

/* One line of a standard version. */
struct rd_line {
    int64_t id, item_id; /* item_id 0 for a check line */
    char basis; /* '5' per_500_persons, 'p' per_person, 't' per_team, 'f' fixed, 'c' check */
    int64_t qty;
    int min_shelf_months; /* -1: none */
    int integral;
    const char *item_code, *item_name_zh, *item_name_en, *unit;
    const char *check_code, *check_name_zh, *check_name_en, *check_what;
    const char *note;
    int sub0, nsub; /* its substitutes: subs[sub0 .. sub0 + nsub) */
};

struct rd_standard {
    int64_t id;
    int version;
    char code[49];
    char kind[24];
    char name_zh[400], name_en[660];
    char created_at[32];
    int in_force; /* 0: no version existed at D; the first one is used */
    struct rd_line *lines;
    int nlines;
    struct rd_sub *subs;
    int nsubs;
    struct db_res *lres, *sres; /* own the strings above */
};

struct rd_kit_line {
    int64_t item_id, qty;
    const char *item_code, *item_name_zh, *item_name_en, *unit;
};
struct rd_kit {
    int64_t id;
    const char *code, *name_zh, *name_en;
    int line0, nlines; /* lines[line0 .. line0 + nlines) of struct rd_kits */
};
struct rd_kits {
    struct rd_kit *kits;
    int nkits;
    struct rd_kit_line *lines;
    int nlines;
    struct db_res *kres, *lres;
};

/* Stock of one unit, summed per (item, expiry, quarantined), sorted by
 * item_id then expiry (RD_NEVER last).  `rows` counts the (bin, lot)
 * balances summed in, `stale` those whose last count is too old. */
struct rd_stock {
    int64_t item_id;
    int32_t expiry;
    int quarantined;
    int64_t qty, rows, stale;
};

/* What the computation found for one line of one unit. */
struct rd_line_out {
    int32_t cutoff;
    int64_t required;
    int64_t own;         /* own item, usable (all of it, also beyond required) */
    int64_t from_subs;   /* counted from substitutes (never more than the gap) */
    int64_t not_in_date; /* own item, not quarantined, expiring before the cut-off */
    int64_t quarantined; /* own item in quarantined lots */
    enum rd_status status;
    int coverage_x10;        /* -1 when nothing is required */
    int64_t missing_persons; /* per_person lines: members without this item */
};
/* What a substitute gave to its line. */
struct rd_sub_out {
    int64_t used;    /* of the substitute item */
    int64_t counted; /* toward the line, in the line item's unit */
};

struct rd_unit {
    int64_t id;
    const char *code, *name_zh, *name_en, *kind, *path;
    int64_t persons;     /* reserve persons (towns) or headcount (teams) */
    int persons_default; /* 1: the town had none set, RD_DEFAULT_PERSONS used */
    int64_t team_id_org; /* teams: their org unit id */
    const char *team_kind;
    struct rd_line_out *lines; /* nlines of the standard */
    struct rd_sub_out *subs;   /* nsubs of the standard */
    enum rd_status status;     /* worst line; RD_NONE without lines */
    int min_cov_x10;           /* -1 when no line requires anything */
    int worst_line;            /* index of the lowest coverage, -1 if none */
    int n_green, n_amber, n_red, n_short;
    int64_t stock_rows, rotate_rows, quarantined_rows, stale_rows;
    int64_t assets_overdue, assets_repair;
    int64_t missing_persons; /* teams: the most members without one per-person item */
    int64_t *kit_cap;        /* per kit; the usable in-date stock per kit line: */
    int64_t *kit_usable;     /* per kit line (struct rd_kits.lines) */
};

/*
 * The pure core, for one unit: allocate its stock to the lines (own item
 * first, for every line; then, line by line in order, substitutes to lines
 * still short, each unit of stock counted once), then statuses, coverage,
 * counts of findings and kit capacity.  `stock` is sorted as described at
 * struct rd_stock; u->lines, u->subs, u->kit_cap and u->kit_usable must be
 * allocated by the caller (zeroed), u->persons set.  `work` needs nstock
 * int64 slots.  kits may be NULL.
 */
void rd_evaluate(const struct rd_standard *std, const struct rd_kits *kits,
                 const struct rd_settings *set, const struct rd_season *season, int32_t as_of,
                 const struct rd_stock *stock, int nstock, int64_t *work, struct rd_unit *u);

/* Order of the city view: red first, then the lowest minimum coverage, then code. */
int rd_unit_risk_cmp(const struct rd_unit *a, const struct rd_unit *b);

/* ---------------------------------------------------------------- with the database */

struct rd_request {
    const char *as_of; /* "YYYY-MM-DD", NULL for today (UTC) */
    int season_year;   /* 0: the coming season of as_of (first whose end >= as_of) */
    int from_ledger;   /* 1: sum the ledger even when as_of >= today (a self-check) */
    int ledger;        /* enum rd_ledger: how a past day is read; 0 chooses */
};

/*
 * Two ways to the balances at the end of a past day D, with the same answer
 * (docs/readiness.md): SUM adds up every movement recorded before the end of
 * D; DELTA takes today's balance and subtracts what was recorded after D.
 * The first reads the ledger's past, the second its recent part, so the
 * choice (RD_LEDGER_AUTO) is by which part is the smaller.
 */
enum rd_ledger { RD_LEDGER_AUTO = 0, RD_LEDGER_SUM = 1, RD_LEDGER_DELTA = 2 };

/* Flags of one lot holding in a detailed answer (struct rd_result.lot_flags). */
#define RD_LOT_QUARANTINED 0x01
#define RD_LOT_EXPIRED 0x02       /* expiry before D */
#define RD_LOT_BEFORE_SEASON 0x04 /* D <= expiry < season start */
#define RD_LOT_IN_SEASON 0x08     /* season start <= expiry < season end */
#define RD_LOT_SHORT_SHELF 0x10   /* season end <= expiry < the line's cut-off */
#define RD_LOT_STALE 0x20         /* last count (or first receipt) too old */
#define RD_LOT_ROTATE                                                                              \
    (RD_LOT_EXPIRED | RD_LOT_BEFORE_SEASON | RD_LOT_IN_SEASON | RD_LOT_SHORT_SHELF)

struct rd_result {
    int32_t as_of, today;
    int from_ledger;
    int ledger; /* when from_ledger: RD_LEDGER_SUM or RD_LEDGER_DELTA */
    char computed_at[21]; /* YYYY-MM-DDTHH:MM:SSZ */
    struct rd_settings set;
    struct rd_season season;
    int has_std;
    struct rd_standard std;
    struct rd_kits kits;
    struct rd_unit *units;
    int nunits;
    struct db_res *unit_res;
    /* The blocks the units' arrays are slices of (so units can be sorted). */
    struct rd_line_out *line_block;
    struct rd_sub_out *sub_block;
    int64_t *kit_block;
    /* Single-unit answers only: every lot holding (one row per bin and lot,
     * columns as documented in readiness.c), its flags and cut-off; and the
     * assets with a finding. */
    struct db_res *lots;
    unsigned char *lot_flags;
    int32_t *lot_cutoff; /* RD_NEVER for items the standard does not name */
    struct db_res *assets;
};
void rd_result_free(struct rd_result *r);

int rd_settings_load(struct db_conn *db, struct rd_settings *set, struct app_err *err);
/*
 * The season of one year as the system knew it before `known_before`
 * ("YYYY-MM-DD HH:MM:SS", the end of the day D; NULL: as it is now): the
 * last declaration of RD_REGION for that year made before then
 * (flood_season_change), else -- for a year never declared through the API --
 * the flood_season row the seed wrote; missing dates from the settings.
 */
int rd_season_of_year(struct db_conn *db, const struct rd_settings *set, int year,
                      const char *known_before, struct rd_season *out, struct app_err *err);

/* One town-level unit (with findings).  404 when it is no town-level unit. */
int rd_town(struct db_conn *db, int64_t org_unit_id, const struct rd_request *q,
            struct rd_result *out, struct app_err *err);
/* Every town-level unit whose path starts with scope_path (the caller's
 * scope), sorted by rd_unit_risk_cmp; no detailed findings, only counts. */
int rd_city(struct db_conn *db, const char *scope_path, const struct rd_request *q,
            struct rd_result *out, struct app_err *err);
/* One team against the standard of its kind (has_std 0 when its kind has none). */
int rd_team(struct db_conn *db, int64_t team_id, const struct rd_request *q, struct rd_result *out,
            struct app_err *err);
/* One village: the "ten haves" checklist in force at D (no answers are recorded yet). */
int rd_village(struct db_conn *db, int64_t org_unit_id, const struct rd_request *q,
               struct rd_result *out, struct app_err *err);

#endif
