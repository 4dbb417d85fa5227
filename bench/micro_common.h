/*
 * Helpers shared by the bench/micro_*.c microbenchmarks. Each microbenchmark
 * is an ordinary pthread program (it knows nothing of libgreen) that prints
 * machine-readable lines "name value unit" on stdout; bench/run_micro.sh runs
 * it natively and under LD_PRELOAD=libgreen.so and prints the ratios.
 * Every benchmark is time-bounded and arms alarm() so a hang ends the run.
 */
#ifndef MICRO_COMMON_H
#define MICRO_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static inline uint64_t micro_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void micro_report(const char *name, double value, const char *unit)
{
    printf("%s %.3f %s\n", name, value, unit);
    fflush(stdout);
}

static inline void micro_die(const char *what)
{
    printf("FAIL: %s\n", what);
    fflush(stdout);
    exit(1);
}

/* Seconds each timed loop runs; MICRO_SECONDS overrides (e.g. 0.1 for a smoke test). */
static inline double micro_seconds(void)
{
    const char *s = getenv("MICRO_SECONDS");
    double v = s ? atof(s) : 0.5;
    return v > 0 && v < 30 ? v : 0.5;
}

#endif
