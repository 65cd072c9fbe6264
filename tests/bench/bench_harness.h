/*
 * bench_harness.h -- the thread and timing harness of the ceiling programs
 * (ceiling_movements.c, ceiling_labels.c): N threads, each with its own
 * state (a connection and its prepared statements), repeat one unit of work
 * for S seconds; each unit is timed, and one line of key=value figures is
 * printed at the end, the line scripts/bench reads:
 *
 *   NAME threads=N EXTRA seconds=.. done=.. failed=.. rate=.. p50_ms=..
 *        p99_ms=.. cpu_s=..
 *
 * cpu_s is the whole process's user + system time (getrusage), so the
 * bench can put the ceiling's own CPU beside reliefd's.
 */
#ifndef RELIEF_BENCH_HARNESS_H
#define RELIEF_BENCH_HARNESS_H

struct bench_job {
    const char *name; /* first word of the result line */
    /* Per thread: its state, or NULL when it cannot start (the thread then
     * does nothing; a run where every thread fails reports done=0). */
    void *(*open)(int thread_id);
    /* One unit of work: 0 done (timed), -1 failed (counted). */
    int (*one)(void *state, unsigned *seed);
    void (*close)(void *state);
};

/* Runs the job and prints its line, `extra` (e.g. "lots=100000") after
 * threads=.  Returns the exit status: 1 when nothing succeeded and
 * something failed, or the threads could not start; 0 otherwise. */
int bench_run(const struct bench_job *job, int nthreads, double seconds, const char *extra);

/* The monotonic clock in seconds. */
double bench_now(void);

#endif
