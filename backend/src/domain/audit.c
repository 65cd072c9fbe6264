#include "audit.h"

#include "../core/buf.h"
#include "../core/util.h"
#include "../store/db.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void audit_hash(const char *prev, const char *at, const char *user, const char *action,
                const char *type, const char *id, const char *detail, char out[65])
{
    struct buf b;
    buf_init(&b, (size_t)1 << 20);
    /* Unit separators keep ("ab","c") and ("a","bc") apart. */
    buf_appendf(&b, "%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s", prev, at, user ? user : "", action,
                type, id ? id : "", detail ? detail : "");
    sha256_hex(b.data ? b.data : "", b.len, out);
    buf_free(&b);
}

int audit_append(struct db_conn *db, int64_t user_id, const char *action, const char *object_type,
                 const char *object_id, const char *detail, struct app_err *err)
{
    struct db_res *r = NULL;
    char prev[65], hash[65], at[32], user[24];
    struct timespec ts;

    if (db_query(db, &r, err, "SELECT last_hash FROM audit_head WHERE id = 1 FOR UPDATE", "") != 0)
        return -1;
    if (r->nrows != 1) {
        db_res_free(r);
        return err_set(err, 500, "internal", "audit head missing");
    }
    str_copy(prev, sizeof(prev), db_get(r, 0, 0));
    db_res_free(r);

    clock_gettime(CLOCK_REALTIME, &ts);
    datetime_sql(ts.tv_sec, at);
    snprintf(at + 19, sizeof(at) - 19, ".%06d", (int)(ts.tv_nsec / 1000) % 1000000);
    if (user_id > 0)
        snprintf(user, sizeof(user), "%lld", (long long)user_id);
    else
        user[0] = '\0';
    audit_hash(prev, at, user, action, object_type, object_id, detail, hash);
    if (db_exec(db, err,
                "INSERT INTO audit_event (at, user_id, action, object_type, object_id, detail,"
                " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                "ssssssss", at, user_id > 0 ? user : NULL, action, object_type, object_id, detail,
                prev, hash) != 0)
        return -1;
    return db_exec(db, err, "UPDATE audit_head SET last_hash = ? WHERE id = 1", "s", hash);
}
