/*
 * dispatch.h -- the pure parts of dispatching (docs/logistics.md): the
 * straight-line distance between depots, the state of a dispatch from the
 * state of its picks, and the share a source may give without going below
 * its own standard.  No database here, so tests/unit can check them by hand.
 */
#ifndef RELIEF_DISPATCH_H
#define RELIEF_DISPATCH_H

#include <stdint.h>

/* Great-circle distance in km (haversine, mean Earth radius 6371.0088 km). */
double dsp_haversine_km(double lat1, double lon1, double lat2, double lon2);

/* Sums over the picks of one dispatch that are not released (milli). */
struct dsp_totals {
    int64_t npicks;      /* picks not released */
    int64_t ever_shipped; /* picks ever shipped (released ones count too: 0 here) */
    int64_t to_pick, picked, shipped, received, shorted;
};

/* "allocated", "picking", "picked", "in_transit", "partially_received" or
 * "closed" (everything shipped is received or written off and nothing is
 * left to pick); "cancelled" when no pick is left and nothing ever shipped. */
const char *dsp_status_of(const struct dsp_totals *t);

/*
 * What a source may give of one item without a city override: city depots
 * (has_standard 0) give all they hold free; a town depot gives
 * min(free, town_usable - required - town_reserved), never below 0.
 */
int64_t dsp_surplus(int has_standard, int64_t depot_free, int64_t town_usable, int64_t required,
                    int64_t town_reserved);

#endif
