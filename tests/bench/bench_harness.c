/* bench_harness.c -- see bench_harness.h. */
#include "bench_harness.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Latencies in 10-microsecond buckets up to 10 s: exact enough for p50 and
 * p99, and adding one is a single increment in the thread's own array. */
#define LAT_BUCKETS 1000000

struct worker {
    pthread_t th;
    int id;
    const struct bench_job *job;
    double t_end;
    uint64_t done, failed;
    uint32_t *lat;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    unsigned seed = (unsigned)(w->id * 7919 + getpid());
    void *state = w->job->open(w->id);

    if (!state)
        return NULL;
    while (bench_now() < w->t_end) {
        double t0 = bench_now();
        if (w->job->one(state, &seed) != 0) {
            w->failed++;
            continue;
        }
        long i = (long)((bench_now() - t0) * 1e5);
        w->lat[i < 0 ? 0 : i >= LAT_BUCKETS ? LAT_BUCKETS - 1 : i]++;
        w->done++;
    }
    w->job->close(state);
    return NULL;
}

static double pct(const uint32_t *lat, uint64_t n, double p)
{
    uint64_t want = (uint64_t)((double)n * p), seen = 0;
    for (long i = 0; i < LAT_BUCKETS; i++) {
        seen += lat[i];
        if (seen > want)
            return (double)i / 1e5 * 1e3; /* ms */
    }
    return 0;
}

int bench_run(const struct bench_job *job, int nthreads, double seconds, const char *extra)
{
    struct worker *ws = calloc((size_t)nthreads, sizeof(*ws));
    uint32_t *all = calloc(LAT_BUCKETS, sizeof(uint32_t));
    uint64_t done = 0, failed = 0;
    int started = 0, rc = 1;
    struct rusage ru;

    if (!ws || !all)
        goto out;
    double t0 = bench_now();
    for (; started < nthreads; started++) {
        struct worker *w = &ws[started];
        w->id = started;
        w->job = job;
        w->t_end = t0 + seconds;
        if (!(w->lat = calloc(LAT_BUCKETS, sizeof(uint32_t))) ||
            pthread_create(&w->th, NULL, work, w) != 0) {
            free(w->lat);
            fprintf(stderr, "%s: cannot start thread %d\n", job->name, started);
            break;
        }
    }
    for (int i = 0; i < started; i++) {
        pthread_join(ws[i].th, NULL);
        done += ws[i].done;
        failed += ws[i].failed;
        for (long j = 0; j < LAT_BUCKETS; j++)
            all[j] += ws[i].lat[j];
        free(ws[i].lat);
    }
    if (started < nthreads)
        goto out;
    double el = bench_now() - t0;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    printf("%s threads=%d %s seconds=%.2f done=%llu failed=%llu rate=%.1f p50_ms=%.2f"
           " p99_ms=%.2f cpu_s=%.2f\n",
           job->name, nthreads, extra ? extra : "", el, (unsigned long long)done,
           (unsigned long long)failed, (double)done / el, pct(all, done, 0.50),
           pct(all, done, 0.99), cpu);
    rc = failed && !done ? 1 : 0;
out:
    free(all);
    free(ws);
    return rc;
}
