/*
 * ctl.h -- reliefctl's commands.  Each takes the loaded settings and its own
 * arguments (argv[0] is the command name) and returns the process exit code:
 *   0 success, 1 the check failed, 2 bad usage or bad input, 3 no database.
 * Results go to stdout, messages and progress to stderr.
 */
#ifndef RELIEF_CTL_H
#define RELIEF_CTL_H

#include "../core/config.h"

#define CTL_OK 0
#define CTL_CHECK_FAILED 1
#define CTL_USAGE 2
#define CTL_NO_DB 3

int ctl_migrate(const struct config *cfg, int argc, char **argv);
int ctl_db_drop(const struct config *cfg, int argc, char **argv);
int ctl_seed(const struct config *cfg, int argc, char **argv);
int ctl_demo_data(const struct config *cfg, int argc, char **argv);
int ctl_verify_ledger(const struct config *cfg, int argc, char **argv);
int ctl_user_add(const struct config *cfg, int argc, char **argv);
int ctl_labels(const struct config *cfg, int argc, char **argv);
int ctl_readiness(const struct config *cfg, int argc, char **argv);
/* logistics and purchasing (docs/logistics.md, docs/purchasing.md) */
int ctl_events(const struct config *cfg, int argc, char **argv);
int ctl_event_report(const struct config *cfg, int argc, char **argv);
int ctl_dispatches(const struct config *cfg, int argc, char **argv);
/* purchasing.c: suppliers, purchase orders, equipment due, maintenance rules */
int ctl_suppliers(const struct config *cfg, int argc, char **argv);
int ctl_po(const struct config *cfg, int argc, char **argv);
int ctl_equipment(const struct config *cfg, int argc, char **argv);
int ctl_maintenance_rules(const struct config *cfg, int argc, char **argv);
struct db_conn;
struct app_err;
/* db/seed/maintenance_rules.csv of DIR into maintenance_rule (caller's transaction). */
int purchasing_load_rules(const char *dir, struct db_conn *c, struct app_err *err);
/* Demo suppliers, orders and the seed's maintenance rules (demo build's transaction). */
int purchasing_demo(const struct config *cfg, struct db_conn *c, struct app_err *err);
/* season plans and forecasting (docs/forecasting.md) */
int ctl_forecast(const struct config *cfg, int argc, char **argv);
int ctl_plan(const struct config *cfg, int argc, char **argv);
/* the city map (docs/map.md) */
struct db_conn;
struct app_err;
/* seed_map.c: the city outline of DIR into map_layer (called inside seed's
 * transaction; a bad file is a 400 error naming the file and the check). */
int seed_map(const char *dir, struct db_conn *c, struct app_err *err);
int ctl_map_import(const struct config *cfg, int argc, char **argv);
/* security (docs/security.md) */
int ctl_verify_audit(const struct config *cfg, int argc, char **argv);
/* scale (docs/performance.md) */
int ctl_demo_province(const struct config *cfg, int argc, char **argv);

/* The query string of an API handler run from the command line (the
 * commands that print what a GET answers run the handler itself): set
 * replaces a key already there; ctl_query_lookup is the request's lookup,
 * with the struct ctl_query as its context. */
#define CTL_QUERY_MAX 8
struct ctl_query {
    const char *k[CTL_QUERY_MAX], *v[CTL_QUERY_MAX];
    int n;
};
void ctl_query_set(struct ctl_query *q, const char *key, const char *value);
const char *ctl_query_lookup(void *ctx, int kind, const char *key);

/* Progress on stderr: a bar on a terminal, a plain line every `step` otherwise. */
void ctl_progress(const char *what, long done, long total);

#endif
