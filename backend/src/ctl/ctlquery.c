/*
 * ctlquery.c -- query parameters for API handlers run by reliefctl.
 *
 * `reliefctl readiness`, `po`, `events` and the like print what the API
 * answers by running its handler on a direct connection; the handler reads
 * its query string through req.lookup, which is this.
 */
#include "ctl.h"

#include "../http/http.h"

#include <string.h>

void ctl_query_set(struct ctl_query *q, const char *key, const char *value)
{
    for (int i = 0; i < q->n; i++)
        if (strcmp(q->k[i], key) == 0) {
            q->v[i] = value;
            return;
        }
    if (q->n < CTL_QUERY_MAX) {
        q->k[q->n] = key;
        q->v[q->n++] = value;
    }
}

const char *ctl_query_lookup(void *ctx, int kind, const char *key)
{
    const struct ctl_query *q = ctx;
    if (kind != REQ_QUERY)
        return NULL;
    for (int i = 0; i < q->n; i++)
        if (strcmp(q->k[i], key) == 0)
            return q->v[i];
    return NULL;
}
