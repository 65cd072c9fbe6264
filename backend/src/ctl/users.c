/* users.c -- `reliefctl user-add`: accounts outside the demo data. */
#include "ctl.h"

#include "../core/util.h"
#include "../domain/audit.h"
#include "../domain/auth.h"
#include "../store/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ctl_user_add(const struct config *cfg, int argc, char **argv)
{
    const char *username = NULL, *role = NULL, *org = NULL, *display = NULL;
    char pw[257], hash[AUTH_HASH_MAX];
    struct app_err err;
    struct db_conn *db;
    int64_t org_id;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--username") && v)
            username = argv[++i];
        else if (!strcmp(a, "--role") && v)
            role = argv[++i];
        else if (!strcmp(a, "--org") && v)
            org = argv[++i];
        else if (!strcmp(a, "--display-name") && v)
            display = argv[++i];
        else
            goto usage;
    }
    if (!username || !role || !org || !role_parse(role))
        goto usage;
    if (!fgets(pw, sizeof(pw), stdin)) {
        fprintf(stderr, "user-add: give the password on standard input\n");
        return CTL_USAGE;
    }
    pw[strcspn(pw, "\r\n")] = '\0';
    if (strlen(pw) < 12) {
        fprintf(stderr, "user-add: the password must have at least 12 characters\n");
        return CTL_USAGE;
    }
    db = db_connect(cfg, 0, cfg->db_name, &err);
    if (!db) {
        fprintf(stderr, "user-add: %s\n", err.msg);
        return CTL_NO_DB;
    }
    if (db_query_int(db, &org_id, &err, "SELECT id FROM org_unit WHERE code = ?", "s", org) != 0) {
        fprintf(stderr, "user-add: no org unit with code %s\n", org);
        db_close(db);
        return CTL_USAGE;
    }
    if (auth_hash_password(pw, hash, sizeof(hash), &err) != 0 || db_begin(db, &err) != 0 ||
        db_exec(db, &err,
                "INSERT INTO app_user (username, display_name, role, org_unit_id, password_hash)"
                " VALUES (?, ?, ?, ?, ?)",
                "sssls", username, display ? display : username, role, (long long)org_id,
                hash) != 0 ||
        audit_append(db, 0, "user.create", "user", username, role, &err) != 0 ||
        db_commit(db, &err) != 0) {
        fprintf(stderr, "user-add: %s\n", err.msg);
        db_close(db);
        return err.http == 409 ? CTL_USAGE : CTL_CHECK_FAILED;
    }
    db_close(db);
    fprintf(stderr, "user-add: %s (%s, %s) created\n", username, role, org);
    return CTL_OK;
usage:
    fprintf(stderr, "usage: reliefctl user-add --username NAME --role ROLE --org CODE"
                    " [--display-name TEXT] < password\n"
                    "ROLE is warehouse, town_official, city_auditor or admin.\n");
    return CTL_USAGE;
}
