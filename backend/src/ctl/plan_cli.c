/*
 * plan_cli.c -- `reliefctl plan --season YEAR [--town CODE] [--format json|csv]
 * [--table lines|transfers|purchases|procurement]`.
 *
 * Prints the plan exactly as GET /api/v1/plans/{season}[/towns/{code}]
 * answers it (the same plan_answer), with the whole city in scope.  CSV is
 * one of the plan's tables (default: the lines, one per town and item).
 */
#include "ctl.h"

#include "../core/util.h"
#include "../http/handlers.h"
#include "../store/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(void)
{
    fputs("usage: reliefctl plan --season YEAR [--town CODE] [--format json|csv]\n"
          "                      [--table lines|transfers|purchases|procurement]\n"
          "  The replenishment plan of that flood season (docs/forecasting.md): the city,\n"
          "  or one town.  CSV prints one table of the plan (default: lines).\n",
          stderr);
}

static void csv_cell(const char *s, int first)
{
    if (!first)
        putchar(',');
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, stdout);
        return;
    }
    putchar('"');
    for (; *s; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    putchar('"');
}

/* Scalar columns of the first row, in its order; nested values left out. */
static void print_csv(json_t *rows)
{
    json_t *first = json_array_get(rows, 0), *row, *v;
    const char *key;
    size_t i;
    int c;

    if (!first)
        return;
    c = 0;
    json_object_foreach(first, key, v)
    {
        if (json_is_object(v) || json_is_array(v))
            continue;
        csv_cell(key, c++ == 0);
    }
    fputs("\r\n", stdout);
    json_array_foreach(rows, i, row)
    {
        c = 0;
        json_object_foreach(first, key, v)
        {
            json_t *x;
            char num[64];
            const char *s = "";
            if (json_is_object(v) || json_is_array(v))
                continue;
            x = json_object_get(row, key);
            if (json_is_string(x)) {
                s = json_string_value(x);
            } else if (json_is_integer(x)) {
                snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(x));
                s = num;
            } else if (json_is_real(x)) {
                char *e;
                snprintf(num, sizeof(num), "%.3f", json_real_value(x));
                e = num + strlen(num) - 1;
                while (e > num && *e == '0')
                    *e-- = '\0';
                if (*e == '.')
                    *e = '\0';
                s = num;
            } else if (json_is_boolean(x)) {
                s = json_is_true(x) ? "true" : "false";
            }
            csv_cell(s, c++ == 0);
        }
        fputs("\r\n", stdout);
    }
}

int ctl_plan(const struct config *cfg, int argc, char **argv)
{
    const char *town = NULL, *format = "json", *table = "lines";
    int64_t season = 0, town_id = 0;
    struct app_err err;
    struct db_conn *c;
    json_t *o = NULL;
    int rc = CTL_OK;

    memset(&err, 0, sizeof(err));
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage();
            return CTL_OK;
        } else if (i + 1 < argc && !strcmp(argv[i], "--season")) {
            if (parse_int64(argv[++i], &season) != 0 || season < 2000 || season > 2200) {
                fprintf(stderr, "plan: --season must be a year 2000..2200\n");
                return CTL_USAGE;
            }
        } else if (i + 1 < argc && !strcmp(argv[i], "--town")) {
            town = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--format")) {
            format = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--table")) {
            table = argv[++i];
        } else {
            usage();
            return CTL_USAGE;
        }
    }
    if (!season || (strcmp(format, "json") && strcmp(format, "csv")) ||
        (strcmp(table, "lines") && strcmp(table, "transfers") && strcmp(table, "purchases") &&
         strcmp(table, "procurement"))) {
        usage();
        return CTL_USAGE;
    }
    c = db_connect(cfg, 0, cfg->db_name, &err);
    if (!c) {
        fprintf(stderr, "plan: %s\n", err.msg);
        return CTL_NO_DB;
    }
    if (town &&
        db_query_int(c, &town_id, &err, "SELECT id FROM org_unit WHERE code = ?", "s", town) != 0) {
        fprintf(stderr, "plan: no org unit %s\n", town);
        db_close(c);
        return CTL_USAGE;
    }
    if (plan_answer(c, (int)season, town_id, &o, &err) != 0) {
        fprintf(stderr, "plan: %s\n", err.msg);
        rc = err.http == 503 ? CTL_NO_DB : err.http >= 500 ? CTL_CHECK_FAILED : CTL_USAGE;
    } else if (!strcmp(format, "csv")) {
        json_t *rows = json_object_get(o, table);
        if (!rows) {
            fprintf(stderr, "plan: a town's plan has no %s table\n", table);
            rc = CTL_USAGE;
        } else {
            print_csv(rows);
        }
    } else {
        char *s = json_dumps(o, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
        if (s)
            puts(s);
        free(s);
    }
    json_decref(o);
    db_close(c);
    return rc;
}
