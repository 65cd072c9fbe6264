/* logistics.h -- what h_requests.c and h_dispatch.c share (docs/logistics.md). */
#ifndef RELIEF_LOGISTICS_H
#define RELIEF_LOGISTICS_H

#include "http.h"

struct req_state {
    int64_t id, org_unit_id, to_depot_id, event_id;
    char status[24];
    char path[256];
};

/* The request, its lines (asked, approved, allocated, shipped, received)
 * and its dispatches, as JSON; NULL with 404 when there is none. */
json_t *request_full(struct db_conn *db, int64_t id, struct app_err *err);
/* Load request `id` (FOR UPDATE when lock) and check the caller's scope. */
int request_load(struct req *rq, int64_t id, int lock, struct req_state *st, struct app_err *err);

#endif
