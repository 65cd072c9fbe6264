/*
 * migrate.c -- `reliefctl migrate` and `reliefctl db-drop`.
 *
 * Migrations are the numbered files of db/migrations, applied in name order
 * as the admin account.  Each applied file is recorded with its SHA-256; a
 * recorded file that has since changed (or vanished) stops the command, so a
 * database never silently differs from the files that claim to describe it.
 * Afterwards the application account is (re)created and given table-level
 * grants: SELECT and INSERT only on the append-only tables.
 */
#include "ctl.h"

#include "../core/log.h"
#include "../core/util.h"
#include "../store/db.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Identifiers and passwords from the settings file end up in DDL, which
 * cannot take parameters; accept only characters that need no quoting. */
static int ident_ok(const char *s)
{
    if (!*s || strlen(s) > 64)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-'))
            return 0;
    return 1;
}

static int password_ok(const char *s)
{
    for (; *s; s++)
        if (*s < 0x21 || *s > 0x7e || *s == '\'' || *s == '\\' || *s == '"' || *s == '`')
            return 0;
    return 1;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *p = NULL;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        p = malloc((size_t)n + 1);
        if (p && fread(p, 1, (size_t)n, f) == (size_t)n) {
            p[n] = '\0';
            *len = (size_t)n;
        } else {
            free(p);
            p = NULL;
        }
    }
    fclose(f);
    return p;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of NNNN_*.sql files in dir; count in *n.  NULL on error. */
static char **list_migrations(const char *dir, int *n)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    int cap = 0;

    *n = 0;
    if (!d)
        return NULL;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 9 || strcmp(e->d_name + len - 4, ".sql") != 0)
            continue;
        if (!(e->d_name[0] >= '0' && e->d_name[0] <= '9') || e->d_name[4] != '_')
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nn = realloc(names, sizeof(char *) * (size_t)cap);
            if (!nn)
                break;
            names = nn;
        }
        names[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    if (names)
        qsort(names, (size_t)*n, sizeof(char *), name_cmp);
    else
        names = calloc(1, sizeof(char *));
    return names;
}

static int grant_app_user(struct db_conn *db, const struct config *cfg, struct app_err *err)
{
    static const char *const hosts[] = {"localhost", "127.0.0.1"};
    struct db_res *r = NULL;
    char sql[512];

    if (strcmp(cfg->db_user, cfg->db_admin_user) == 0) {
        LOG_WARN("migrate app_user=admin_user: the ledger is protected by triggers only");
        return 0;
    }
    if (!ident_ok(cfg->db_user) || !password_ok(cfg->db_password))
        return err_set(err, 400, "bad_setting",
                       "RELIEF_DB_USER must be [A-Za-z0-9_-] and RELIEF_DB_PASSWORD printable"
                       " ASCII without quotes or backslashes");
    for (size_t h = 0; h < 2; h++) {
        snprintf(sql, sizeof(sql), "CREATE USER IF NOT EXISTS '%s'@'%s' IDENTIFIED BY '%s'",
                 cfg->db_user, hosts[h], cfg->db_password);
        if (db_script(db, sql, err) != 0)
            return -1;
        snprintf(sql, sizeof(sql), "ALTER USER '%s'@'%s' IDENTIFIED BY '%s'", cfg->db_user,
                 hosts[h], cfg->db_password);
        if (db_script(db, sql, err) != 0)
            return -1;
    }
    if (db_query(db, &r, err,
                 "SELECT table_name FROM information_schema.tables"
                 " WHERE table_schema = ? AND table_type = 'BASE TABLE'",
                 "s", cfg->db_name) != 0)
        return -1;
    for (int i = 0; i < r->nrows; i++) {
        const char *t = db_get(r, i, 0);
        const char *privs = "SELECT, INSERT, UPDATE, DELETE";
        if (!ident_ok(t))
            continue;
        if (!strcmp(t, "movement") || !strcmp(t, "audit_event"))
            privs = "SELECT, INSERT";
        else if (!strcmp(t, "schema_migration"))
            privs = "SELECT";
        for (size_t h = 0; h < 2; h++) {
            snprintf(sql, sizeof(sql), "GRANT %s ON `%s`.`%s` TO '%s'@'%s'", privs, cfg->db_name, t,
                     cfg->db_user, hosts[h]);
            if (db_script(db, sql, err) != 0) {
                db_res_free(r);
                return -1;
            }
        }
    }
    db_res_free(r);
    return 0;
}

int ctl_migrate(const struct config *cfg, int argc, char **argv)
{
    struct app_err err;
    struct db_conn *db;
    char sql[256];
    char **files;
    int n, applied = 0, rc = CTL_OK;
    struct db_res *r = NULL;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help")) {
            printf("usage: reliefctl migrate\n"
                   "Creates the database if needed, applies new files of %s in order,\n"
                   "refuses if an applied file changed, and grants the app account.\n",
                   cfg->migrations_dir);
            return CTL_OK;
        }
        fprintf(stderr, "migrate: unknown option %s\n", argv[i]);
        return CTL_USAGE;
    }
    if (!ident_ok(cfg->db_name)) {
        fprintf(stderr, "migrate: RELIEF_DB_NAME must be [A-Za-z0-9_-]\n");
        return CTL_USAGE;
    }
    db = db_connect(cfg, 1, NULL, &err);
    if (!db) {
        fprintf(stderr, "migrate: %s\n", err.msg);
        return CTL_NO_DB;
    }
    snprintf(sql, sizeof(sql),
             "CREATE DATABASE IF NOT EXISTS `%s` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
             " USE `%s`",
             cfg->db_name, cfg->db_name);
    if (db_script(db, sql, &err) != 0 ||
        db_script(db,
                  "CREATE TABLE IF NOT EXISTS schema_migration (version VARCHAR(128) NOT NULL"
                  " PRIMARY KEY, sha256 CHAR(64) NOT NULL, applied_at DATETIME(6) NOT NULL"
                  " DEFAULT CURRENT_TIMESTAMP(6)) ENGINE=InnoDB",
                  &err) != 0) {
        fprintf(stderr, "migrate: %s\n", err.msg);
        db_close(db);
        return CTL_NO_DB;
    }
    files = list_migrations(cfg->migrations_dir, &n);
    if (!files) {
        fprintf(stderr, "migrate: cannot read %s\n", cfg->migrations_dir);
        db_close(db);
        return CTL_USAGE;
    }
    /* Every recorded migration must still be there, unchanged. */
    if (db_query(db, &r, &err, "SELECT version, sha256 FROM schema_migration ORDER BY version",
                 "") != 0) {
        fprintf(stderr, "migrate: %s\n", err.msg);
        rc = CTL_NO_DB;
        goto out;
    }
    for (int i = 0; i < n; i++) {
        char path[1024], hash[65];
        size_t len = 0;
        int done = 0;
        snprintf(path, sizeof(path), "%s/%s", cfg->migrations_dir, files[i]);
        char *text = read_file(path, &len);
        if (!text) {
            fprintf(stderr, "migrate: cannot read %s\n", path);
            rc = CTL_USAGE;
            goto out;
        }
        sha256_hex(text, len, hash);
        for (int j = 0; j < r->nrows; j++) {
            if (strcmp(db_get(r, j, 0), files[i]) != 0)
                continue;
            done = 1;
            if (strcmp(db_get(r, j, 1), hash) != 0) {
                fprintf(stderr,
                        "migrate: %s was applied with sha256 %s but the file now has %s;"
                        " refusing (write a new migration instead of editing an applied one)\n",
                        files[i], db_get(r, j, 1), hash);
                free(text);
                rc = CTL_CHECK_FAILED;
                goto out;
            }
        }
        if (!done) {
            fprintf(stderr, "migrate: applying %s\n", files[i]);
            if (db_script(db, text, &err) != 0 ||
                db_exec(db, &err, "INSERT INTO schema_migration (version, sha256) VALUES (?, ?)",
                        "ss", files[i], hash) != 0) {
                fprintf(stderr, "migrate: %s failed: %s\n", files[i], err.msg);
                free(text);
                rc = CTL_CHECK_FAILED;
                goto out;
            }
            applied++;
        }
        free(text);
    }
    for (int j = 0; j < r->nrows; j++) {
        int found = 0;
        for (int i = 0; i < n; i++)
            found |= strcmp(db_get(r, j, 0), files[i]) == 0;
        if (!found) {
            fprintf(stderr, "migrate: %s is recorded as applied but its file is missing\n",
                    db_get(r, j, 0));
            rc = CTL_CHECK_FAILED;
            goto out;
        }
    }
    if (grant_app_user(db, cfg, &err) != 0) {
        fprintf(stderr, "migrate: granting the app account failed: %s\n", err.msg);
        rc = err.http == 400 ? CTL_USAGE : CTL_CHECK_FAILED;
        goto out;
    }
    fprintf(stderr, "migrate: %d applied, %d already there, database %s ready\n", applied,
            n - applied, cfg->db_name);
out:
    db_res_free(r);
    for (int i = 0; i < n; i++)
        free(files[i]);
    free(files);
    db_close(db);
    return rc;
}

int ctl_db_drop(const struct config *cfg, int argc, char **argv)
{
    struct app_err err;
    struct db_conn *db;
    char sql[128];

    if (argc != 2 || strcmp(argv[1], "--yes") != 0) {
        fprintf(stderr,
                "usage: reliefctl db-drop --yes\n"
                "Drops the whole database %s (tests and --reset only).\n",
                cfg->db_name);
        return CTL_USAGE;
    }
    if (!ident_ok(cfg->db_name)) {
        fprintf(stderr, "db-drop: RELIEF_DB_NAME must be [A-Za-z0-9_-]\n");
        return CTL_USAGE;
    }
    db = db_connect(cfg, 1, NULL, &err);
    if (!db) {
        fprintf(stderr, "db-drop: %s\n", err.msg);
        return CTL_NO_DB;
    }
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS `%s`", cfg->db_name);
    int rc = db_script(db, sql, &err);
    db_close(db);
    if (rc != 0) {
        fprintf(stderr, "db-drop: %s\n", err.msg);
        return CTL_CHECK_FAILED;
    }
    fprintf(stderr, "db-drop: database %s dropped\n", cfg->db_name);
    return CTL_OK;
}
