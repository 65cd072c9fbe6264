/*
 * auth.h -- passwords, sessions and the role/scope rules.
 *
 * Passwords are stored as argon2id encoded strings (parameters inside, so
 * they can be raised later without a migration).  Session tokens are 256
 * random bits; only their SHA-256 is stored.
 */
#ifndef RELIEF_AUTH_H
#define RELIEF_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "../core/err.h"

struct db_conn;

enum role { ROLE_WAREHOUSE = 1, ROLE_TOWN_OFFICIAL = 2, ROLE_CITY_AUDITOR = 4, ROLE_ADMIN = 8 };
#define ROLE_ANY (ROLE_WAREHOUSE | ROLE_TOWN_OFFICIAL | ROLE_CITY_AUDITOR | ROLE_ADMIN)

/* The caller of a request, as found from its session. */
struct principal {
    int64_t user_id;
    char username[65];
    char display_name[97];
    enum role role;
    int64_t org_unit_id;
    char org_path[256]; /* scope: this unit and every unit whose path starts with it */
};

#define AUTH_HASH_MAX 128

int auth_hash_password(const char *pw, char *out, size_t outlen, struct app_err *err);
/* 1 when pw matches the encoded hash, 0 otherwise (including a malformed hash). */
int auth_verify_password(const char *encoded, const char *pw);

enum role role_parse(const char *s); /* 0 if unknown */
const char *role_name(enum role r);

/* Log in: on success fills *p and a fresh token (64 hex + NUL); 401 otherwise. */
int auth_login(struct db_conn *db, const char *username, const char *password, int ttl_s,
               struct principal *p, char token[65], char expires_at[32], struct app_err *err);
/* Resolve a token to its principal; 401 when unknown, revoked or expired. */
int auth_session(struct db_conn *db, const char *token, struct principal *p, struct app_err *err);
int auth_logout(struct db_conn *db, const char *token, struct app_err *err);

/* 1 when an org unit with `path` lies in the principal's scope. */
int auth_in_scope(const struct principal *p, const char *path);
/* Look up an org unit's path by id and check scope: 403 when outside, 404 when unknown. */
int auth_check_org(struct db_conn *db, const struct principal *p, int64_t org_unit_id,
                   struct app_err *err);
/* The same for a depot (its org unit). */
int auth_check_depot(struct db_conn *db, const struct principal *p, int64_t depot_id,
                     struct app_err *err);

#endif
