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

/* Progress on stderr: a bar on a terminal, a plain line every `step` otherwise. */
void ctl_progress(const char *what, long done, long total);

#endif
