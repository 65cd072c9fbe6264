/*
 * reliefctl -- the ReliefStock command line.
 *
 * reliefctl [--config FILE] <command> [options]; `reliefctl --help` lists the
 * commands and `reliefctl <command> --help` their options.  Exit codes: 0
 * success, 1 a check failed, 2 bad usage or input, 3 no database.
 */
#include "core/config.h"
#include "core/log.h"
#include "ctl/ctl.h"
#include "store/db.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const struct {
    const char *name;
    int (*fn)(const struct config *, int, char **);
    const char *help;
} commands[] = {
    {"migrate", ctl_migrate, "create the database and apply db/migrations"},
    {"seed", ctl_seed, "load the reference data of db/seed (idempotent)"},
    {"demo-data", ctl_demo_data, "build the demo city: depots, stock, teams, users, history"},
    {"verify-ledger", ctl_verify_ledger, "check balances against the ledger (exit 1 if wrong)"},
    {"user-add", ctl_user_add, "create a user (password on standard input)"},
    {"labels", ctl_labels, "print labels (PDF, ZPL, SVG, PNG), creating missing ones"},
    {"readiness", ctl_readiness, "readiness of a town or the whole city (JSON or CSV)"},
    /* logistics and purchasing (docs/logistics.md, docs/purchasing.md) */
    {"events", ctl_events, "emergency events: events list [--status S]"},
    {"event-report", ctl_event_report, "what moved for an event (JSON or CSV)"},
    {"dispatches", ctl_dispatches, "dispatches between depots: dispatches list [--status S]"},
    {"suppliers", ctl_suppliers, "list suppliers with their lead times (JSON or CSV)"},
    {"po", ctl_po, "list purchase orders, by status (JSON or CSV)"},
    {"equipment", ctl_equipment, "equipment due or overdue for inspection/maintenance"},
    {"maintenance-rules", ctl_maintenance_rules, "load db/seed/maintenance_rules.csv"},
    /* season plans and forecasting (docs/forecasting.md) */
    {"forecast", ctl_forecast, "forecast demand series from a CSV file (no database)"},
    {"plan", ctl_plan, "replenishment plan of a season: city or one town (JSON or CSV)"},
    /* the city map (docs/map.md) */
    {"map-import", ctl_map_import, "load town boundaries from a GeoJSON file (checked first)"},
    /* security (docs/security.md) */
    {"verify-audit", ctl_verify_audit, "recompute the audit hash chain (exit 1 if broken)"},
    {"db-drop", ctl_db_drop, "drop the whole database (tests, --reset)"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: reliefctl [--config FILE] <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\nSettings come from --config, $RELIEF_CONFIG or ./var/reliefstock.conf,\n"
               "then the environment (see docs/operations.md).\n");
}

void ctl_progress(const char *what, long done, long total)
{
    static int last_pct = -1;
    int pct = total > 0 ? (int)(done * 100 / total) : 100;

    if (isatty(STDERR_FILENO)) {
        int bar = pct / 4;
        fprintf(stderr, "\r%-16s [%.*s%*s] %3d%%", what, bar, "#########################", 25 - bar,
                "", pct);
        if (done >= total)
            fprintf(stderr, "\n");
    } else if (pct / 10 != last_pct / 10 || done >= total) {
        fprintf(stderr, "%s: %d%% (%ld of %ld)\n", what, pct, done, total);
    }
    last_pct = done >= total ? -1 : pct;
}

int main(int argc, char **argv)
{
    const char *cfg_path = NULL;
    struct config cfg;
    struct app_err err;
    int i = 1, rc;

    if (i + 1 < argc && strcmp(argv[i], "--config") == 0) {
        cfg_path = argv[i + 1];
        i += 2;
    }
    if (i >= argc || !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
        usage(i >= argc ? stderr : stdout);
        return i >= argc ? CTL_USAGE : CTL_OK;
    }
    if (config_load(&cfg, cfg_path, &err) != 0) {
        fprintf(stderr, "reliefctl: %s\n", err.msg);
        return CTL_USAGE;
    }
    log_level = cfg.log_level;
    for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++) {
        if (strcmp(argv[i], commands[c].name) != 0)
            continue;
        db_library_init();
        rc = commands[c].fn(&cfg, argc - i, argv + i);
        db_library_end();
        return rc;
    }
    fprintf(stderr, "reliefctl: unknown command %s\n\n", argv[i]);
    usage(stderr);
    return CTL_USAGE;
}
