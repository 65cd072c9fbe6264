#include "auth.h"

#include "../core/log.h"
#include "../core/util.h"
#include "../store/db.h"

#include <argon2.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* OWASP's argon2id floor (19 MiB, 2 passes): ~40 ms here, fine for log-ins. */
#define ARGON_T 2
#define ARGON_M (19 * 1024)
#define ARGON_P 1

int auth_hash_password(const char *pw, char *out, size_t outlen, struct app_err *err)
{
    unsigned char salt[16];

    if (random_bytes(salt, sizeof(salt)) != 0)
        return err_set(err, 500, "internal", "no randomness");
    if (argon2id_hash_encoded(ARGON_T, ARGON_M, ARGON_P, pw, strlen(pw), salt, sizeof(salt), 32,
                              out, outlen) != ARGON2_OK)
        return err_set(err, 500, "internal", "password hashing failed");
    return 0;
}

int auth_verify_password(const char *encoded, const char *pw)
{
    if (strncmp(encoded, "$argon2id$", 10) != 0)
        return 0;
    return argon2id_verify(encoded, pw, strlen(pw)) == ARGON2_OK;
}

static const struct {
    enum role r;
    const char *name;
} roles[] = {{ROLE_WAREHOUSE, "warehouse"},
             {ROLE_TOWN_OFFICIAL, "town_official"},
             {ROLE_CITY_AUDITOR, "city_auditor"},
             {ROLE_ADMIN, "admin"}};

enum role role_parse(const char *s)
{
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
        if (strcmp(roles[i].name, s) == 0)
            return roles[i].r;
    return 0;
}

const char *role_name(enum role r)
{
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
        if (roles[i].r == r)
            return roles[i].name;
    return "?";
}

static int fill_principal(const struct db_res *r, struct principal *p)
{
    memset(p, 0, sizeof(*p));
    p->user_id = db_get_int(r, 0, db_colidx(r, "id"));
    str_copy(p->username, sizeof(p->username), db_getn(r, 0, "username"));
    str_copy(p->display_name, sizeof(p->display_name), db_getn(r, 0, "display_name"));
    p->role = role_parse(db_getn(r, 0, "role"));
    p->org_unit_id = db_get_int(r, 0, db_colidx(r, "org_unit_id"));
    str_copy(p->org_path, sizeof(p->org_path), db_getn(r, 0, "path"));
    return p->role ? 0 : -1;
}

int auth_login(struct db_conn *db, const char *username, const char *password, int ttl_s,
               struct principal *p, char token[65], char expires_at[32], struct app_err *err)
{
    /* A fixed hash to verify against when the user is unknown, so the answer
     * takes as long for a wrong name as for a wrong password. */
    static const char dummy[] = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
                                "6o0Iw2sc2lvdQ7kQnRx2W3cjoQ1Jp7nRz9cD0B3F4qU";
    struct db_res *r = NULL;
    unsigned char raw[32];
    char hash[65], exp[20];
    int ok;

    if (db_query(db, &r, err,
                 "SELECT u.id, u.username, u.display_name, u.role, u.org_unit_id, u.password_hash,"
                 " o.path FROM app_user u JOIN org_unit o ON o.id = u.org_unit_id"
                 " WHERE u.username = ? AND u.active = 1",
                 "s", username) != 0)
        return -1;
    if (r->nrows == 0) {
        auth_verify_password(dummy, password);
        db_res_free(r);
        return err_set(err, 401, "invalid_credentials", "wrong user name or password");
    }
    ok = auth_verify_password(db_getn(r, 0, "password_hash"), password);
    if (!ok || fill_principal(r, p) != 0) {
        db_res_free(r);
        return err_set(err, 401, "invalid_credentials", "wrong user name or password");
    }
    db_res_free(r);

    if (random_bytes(raw, sizeof(raw)) != 0)
        return err_set(err, 500, "internal", "no randomness");
    hex_encode(raw, sizeof(raw), token);
    sha256_hex(token, 64, hash);
    datetime_sql(time(NULL) + ttl_s, exp);
    if (db_exec(db, err,
                "INSERT INTO app_session (token_hash, user_id, expires_at) VALUES (?, ?, ?)", "sls",
                hash, (long long)p->user_id, exp) != 0)
        return -1;
    snprintf(expires_at, 32, "%.10sT%sZ", exp, exp + 11);
    return 0;
}

static int token_ok(const char *token)
{
    if (strlen(token) != 64)
        return 0;
    for (const char *c = token; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
            return 0;
    return 1;
}

int auth_session(struct db_conn *db, const char *token, struct principal *p, struct app_err *err)
{
    struct db_res *r = NULL;
    char hash[65];

    if (!token || !token_ok(token))
        return err_set(err, 401, "unauthenticated", "log in first");
    sha256_hex(token, 64, hash);
    if (db_query(db, &r, err,
                 "SELECT u.id, u.username, u.display_name, u.role, u.org_unit_id, o.path"
                 " FROM app_session s JOIN app_user u ON u.id = s.user_id"
                 " JOIN org_unit o ON o.id = u.org_unit_id"
                 " WHERE s.token_hash = ? AND s.revoked = 0 AND s.expires_at > UTC_TIMESTAMP(6)"
                 " AND u.active = 1",
                 "s", hash) != 0)
        return -1;
    if (r->nrows == 0 || fill_principal(r, p) != 0) {
        db_res_free(r);
        return err_set(err, 401, "unauthenticated", "the session has expired; log in again");
    }
    db_res_free(r);
    return 0;
}

int auth_logout(struct db_conn *db, const char *token, struct app_err *err)
{
    char hash[65];

    if (!token || !token_ok(token))
        return err_set(err, 401, "unauthenticated", "log in first");
    sha256_hex(token, 64, hash);
    return db_exec(db, err, "UPDATE app_session SET revoked = 1 WHERE token_hash = ?", "s", hash);
}

int auth_in_scope(const struct principal *p, const char *path)
{
    size_t n = strlen(p->org_path);
    return path && n > 0 && strncmp(path, p->org_path, n) == 0;
}

int auth_check_org(struct db_conn *db, const struct principal *p, int64_t org_unit_id,
                   struct app_err *err)
{
    struct db_res *r = NULL;
    int in;

    if (db_query(db, &r, err, "SELECT path FROM org_unit WHERE id = ?", "l",
                 (long long)org_unit_id) != 0)
        return -1;
    if (r->nrows == 0) {
        db_res_free(r);
        return err_set(err, 404, "not_found", "no such org unit");
    }
    in = auth_in_scope(p, db_get(r, 0, 0));
    db_res_free(r);
    return in ? 0 : err_set(err, 403, "forbidden", "outside your org unit");
}

int auth_check_depot(struct db_conn *db, const struct principal *p, int64_t depot_id,
                     struct app_err *err)
{
    struct db_res *r = NULL;
    int in;

    if (db_query(db, &r, err,
                 "SELECT o.path FROM depot d JOIN org_unit o ON o.id = d.org_unit_id"
                 " WHERE d.id = ?",
                 "l", (long long)depot_id) != 0)
        return -1;
    if (r->nrows == 0) {
        db_res_free(r);
        return err_set(err, 404, "not_found", "no such depot");
    }
    in = auth_in_scope(p, db_get(r, 0, 0));
    db_res_free(r);
    return in ? 0 : err_set(err, 403, "forbidden", "the depot is outside your org unit");
}
