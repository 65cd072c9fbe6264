#include "dispatch.h"

#include <math.h>

double dsp_haversine_km(double lat1, double lon1, double lat2, double lon2)
{
    const double rad = M_PI / 180.0;
    double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    double a = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * 6371.0088 * asin(sqrt(a < 1 ? a : 1));
}

const char *dsp_status_of(const struct dsp_totals *t)
{
    if (t->npicks == 0)
        return t->ever_shipped ? "closed" : "cancelled";
    if (t->shipped == t->to_pick && t->received + t->shorted == t->shipped)
        return "closed";
    if (t->received + t->shorted > 0)
        return "partially_received";
    if (t->shipped > 0)
        return "in_transit";
    if (t->picked == t->to_pick)
        return "picked";
    if (t->picked > 0)
        return "picking";
    return "allocated";
}

int64_t dsp_surplus(int has_standard, int64_t depot_free, int64_t town_usable, int64_t required,
                    int64_t town_reserved)
{
    int64_t s;
    if (depot_free <= 0)
        return 0;
    if (!has_standard)
        return depot_free;
    s = town_usable - required - town_reserved;
    if (s <= 0)
        return 0;
    return s < depot_free ? s : depot_free;
}
