/* procure.c -- see procure.h. */
#include "procure.h"

#include "../core/util.h"

#include <stdio.h>

int procure_add_days(const char *date, int days, char out[11])
{
    int y, m, d;
    int64_t z;
    if (!date || date_parse(date, &y, &m, &d) != 0)
        return -1;
    z = days_from_civil(y, m, d) + days;
    civil_from_days(z, &y, &m, &d);
    if (y < 1 || y > 9999)
        return -1;
    snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
    return 0;
}

int maint_next_due(const char *done, int interval_days, char out[11])
{
    if (interval_days < 1 || interval_days > 3650)
        return -1;
    return procure_add_days(done, interval_days, out);
}

int po_over_beyond(int64_t ordered, int64_t received, int64_t qty, int tolerance_permille,
                   int *over)
{
    int64_t total = received + qty;
    /* Integer arithmetic on milli units: ordered * (1000 + tol) / 1000,
     * rounded down so the tolerance never grows by rounding. */
    int64_t limit = ordered + ordered * (int64_t)tolerance_permille / 1000;
    *over = total > ordered;
    return total > limit;
}

const char *po_status_from_lines(int nlines, int nclosed, int64_t total_received)
{
    if (nlines > 0 && nclosed >= nlines)
        return "received";
    if (total_received > 0)
        return "partially_received";
    return "ordered";
}
