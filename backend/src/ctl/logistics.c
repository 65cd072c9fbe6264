/*
 * logistics.c -- `reliefctl events list`, `reliefctl event-report --event
 * CODE`, `reliefctl dispatches list [--status S]` (docs/logistics.md).
 *
 * Like `reliefctl readiness`, these run the API's own handlers on a direct
 * connection as a caller whose scope is the whole city, so the command line
 * prints what GET /api/v1/events, /events/{code}/report and /dispatches
 * answer: JSON, the API's CSV, or (lists, by default) a plain table.
 */
#include "ctl.h"

#include "../core/util.h"
#include "../http/handlers.h"
#include "../store/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A cell of a JSON row as text for the table. */
static void cell(json_t *v, char *out, size_t n)
{
    if (json_is_string(v))
        snprintf(out, n, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(out, n, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(out, n, "%g", json_real_value(v));
    else
        snprintf(out, n, "-");
}

static void table(json_t *items, const char *const *cols)
{
    size_t i;
    json_t *row;
    char buf[256];
    for (int c = 0; cols[c]; c++)
        printf("%s%s", c ? "\t" : "", cols[c]);
    putchar('\n');
    json_array_foreach(items, i, row)
    {
        for (int c = 0; cols[c]; c++) {
            cell(json_object_get(row, cols[c]), buf, sizeof(buf));
            printf("%s%s", c ? "\t" : "", buf);
        }
        putchar('\n');
    }
}

/* Run handler fn with query args; print per format.  cols: the table's columns. */
static int run(const struct config *cfg, const char *name, handler_fn fn, const char *param,
               struct ctl_query *qa, const char *format, const char *const *cols)
{
    struct app_err err;
    struct db_conn *c;
    struct app app;
    struct req rq;
    struct resp rs;
    int rc = CTL_OK;

    err_clear(&err);
    if (strcmp(format, "json") && strcmp(format, "csv") && strcmp(format, "text")) {
        fprintf(stderr, "%s: --format is json, csv or text\n", name);
        return CTL_USAGE;
    }
    if (!strcmp(format, "text") && !cols) {
        fprintf(stderr, "%s: --format is json or csv\n", name);
        return CTL_USAGE;
    }
    if (!strcmp(format, "csv"))
        ctl_query_set(qa, "format", "csv");
    c = db_connect(cfg, 0, cfg->db_name, &err);
    if (!c) {
        fprintf(stderr, "%s: %s\n", name, err.msg);
        return CTL_NO_DB;
    }
    memset(&app, 0, sizeof(app));
    app.cfg = cfg;
    memset(&rq, 0, sizeof(rq));
    memset(&rs, 0, sizeof(rs));
    rq.app = &app;
    rq.method = "GET";
    rq.path = name;
    rq.params[0] = param;
    rq.nparams = param ? 1 : 0;
    rq.db = c;
    rq.lookup = ctl_query_lookup;
    rq.ctx = qa;
    rq.authed = 1;
    rq.who.role = ROLE_ADMIN;
    str_copy(rq.who.username, sizeof(rq.who.username), "reliefctl");
    str_copy(rq.who.org_path, sizeof(rq.who.org_path), "/");

    if (fn(&rq, &rs, &err) != 0) {
        fprintf(stderr, "%s: %s%s%s\n", name, err.msg, err.field[0] ? " -- " : "", err.field);
        rc = err.http == 503 ? CTL_NO_DB : err.http >= 500 ? CTL_CHECK_FAILED : CTL_USAGE;
    } else if (rs.body) {
        fwrite(rs.body, 1, rs.body_len, stdout);
    } else if (!strcmp(format, "text")) {
        table(json_object_get(rs.json, "items"), cols);
    } else {
        char *s = json_dumps(rs.json, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
        if (s)
            puts(s);
        free(s);
    }
    json_decref(rs.json);
    free(rs.body);
    free(rs.content_disposition);
    free(rs.set_cookie);
    db_close(c);
    return rc;
}

static int usage(const char *name, const char *text, int help)
{
    fprintf(stderr, "usage: reliefctl %s\n", text);
    (void)name;
    return help ? CTL_OK : CTL_USAGE;
}

int ctl_events(const struct config *cfg, int argc, char **argv)
{
    static const char *const cols[] = {"code",     "kind",       "status",  "started_on",
                                       "ended_on", "requests",   "dispatches", "name_zh",
                                       NULL};
    static const char u[] = "events list [--status active|closed] [--kind K] [--format text|json|csv]";
    struct ctl_query qa = {0};
    const char *format = "text";

    if (argc < 2 || strcmp(argv[1], "list") != 0)
        return usage(argv[0], u, argc > 1 && !strcmp(argv[1], "--help"));
    ctl_query_set(&qa, "limit", "500");
    for (int i = 2; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v && !strcmp(argv[i], "--status"))
            ctl_query_set(&qa, "status", v), i++;
        else if (v && !strcmp(argv[i], "--kind"))
            ctl_query_set(&qa, "kind", v), i++;
        else if (v && !strcmp(argv[i], "--format"))
            format = v, i++;
        else
            return usage(argv[0], u, !strcmp(argv[i], "--help"));
    }
    return run(cfg, "events", h_events_list, NULL, &qa, format, cols);
}

int ctl_event_report(const struct config *cfg, int argc, char **argv)
{
    static const char u[] = "event-report --event CODE [--format json|csv]\n"
                            "  Everything that moved for the event, by day, place and item.";
    struct ctl_query qa = {0};
    const char *format = "json", *event = NULL;

    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v && !strcmp(argv[i], "--event"))
            event = v, i++;
        else if (v && !strcmp(argv[i], "--format"))
            format = v, i++;
        else
            return usage(argv[0], u, !strcmp(argv[i], "--help"));
    }
    if (!event || !strcmp(format, "text"))
        return usage(argv[0], u, 0);
    return run(cfg, "event-report", h_event_report, event, &qa, format, NULL);
}

int ctl_dispatches(const struct config *cfg, int argc, char **argv)
{
    static const char *const cols[] = {"id",           "status",        "event_code",
                                       "source_depots", "to_depot_code", "qty_to_pick",
                                       "qty_shipped",  "qty_received",  "qty_in_transit",
                                       "created_at",   NULL};
    static const char u[] =
        "dispatches list [--status S] [--event CODE] [--depot CODE] [--format text|json|csv]";
    struct ctl_query qa = {0};
    const char *format = "text";

    if (argc < 2 || strcmp(argv[1], "list") != 0)
        return usage(argv[0], u, argc > 1 && !strcmp(argv[1], "--help"));
    ctl_query_set(&qa, "limit", "500");
    for (int i = 2; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v && !strcmp(argv[i], "--status"))
            ctl_query_set(&qa, "status", v), i++;
        else if (v && !strcmp(argv[i], "--event"))
            ctl_query_set(&qa, "event", v), i++;
        else if (v && !strcmp(argv[i], "--depot"))
            ctl_query_set(&qa, "depot", v), i++;
        else if (v && !strcmp(argv[i], "--format"))
            format = v, i++;
        else
            return usage(argv[0], u, !strcmp(argv[i], "--help"));
    }
    return run(cfg, "dispatches", h_dispatches_list, NULL, &qa, format, cols);
}
