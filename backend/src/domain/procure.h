/*
 * procure.h -- the pure rules of purchasing and equipment service, kept
 * apart from the handlers so tests/unit/test_maintenance.c can check them
 * without a database: next-due dates, over-delivery tolerance and the
 * state a purchase order reaches.
 */
#ifndef RELIEF_DOMAIN_PROCURE_H
#define RELIEF_DOMAIN_PROCURE_H

#include <stdint.h>

/* "YYYY-MM-DD" + days -> out; -1 when the date is not a real one or the
 * result leaves years 1..9999. */
int procure_add_days(const char *date, int days, char out[11]);

/* The next due date after a service done on `done` for a rule of
 * `interval_days` (1..3650).  -1 on a bad date or interval. */
int maint_next_due(const char *done, int interval_days, char out[11]);

/*
 * A receipt of `qty` on a line of `ordered` with `received` so far.
 * Returns 0 when it is within the order or within the tolerance
 * (per mille of ordered), 1 when it goes beyond the tolerance (needs the
 * explicit flag).  *over is 1 when the total exceeds what was ordered at all.
 */
int po_over_beyond(int64_t ordered, int64_t received, int64_t qty, int tolerance_permille,
                   int *over);

/* The state of an ordered purchase order from its lines: every line closed
 * -> "received"; something received -> "partially_received"; else "ordered". */
const char *po_status_from_lines(int nlines, int nclosed, int64_t total_received);

#endif
