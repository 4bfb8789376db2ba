/*
 * Shared measurement loop for the C contestants of `make bench`.
 *
 * A contestant supplies a client factory and a call function. The harness
 * parses the command line and runs the warm-up. It then times every call,
 * measures CPU time and RSS around the timed loop, and prints one JSON line
 * of results on stdout. Calls alternate: even-numbered calls add the user,
 * odd-numbered calls remove them.
 */
#ifndef BENCH_HARNESS_H
#define BENCH_HARNESS_H

#include <stdbool.h>
#include <stddef.h>

/* Settings taken from the command line, read-only once the run starts. */
typedef struct {
    const char *base_url;
    const char *api_key;
    const char *customer_id;
    const char *user_id;
    const char *user_agent;
    long calls;                /* timed calls, summed over all threads */
    long warmup;               /* untimed calls per thread before timing */
    int threads;
    const char *latency_file;  /* NULL: latencies are not written */
    long rss_checkpoints[8];   /* call counts at which to record VmRSS */
    int rss_checkpoint_count;
} BenchConfig;

/* What a contestant implements. */
typedef struct {
    /* Library name and version for the results line. */
    const char *name;
    const char *(*version)(void);
    /* Called once before any thread starts; returns false on failure. */
    bool (*global_init)(const BenchConfig *config);
    /* Returns a per-thread context, or NULL on failure. */
    void *(*thread_init)(const BenchConfig *config);
    /* Makes one call: add when `remove` is false. Returns true on a 200
     * response whose body reports success. On failure it may print why. */
    bool (*call)(void *context, const BenchConfig *config, bool remove);
    void (*thread_free)(void *context);
    void (*global_free)(void);
} BenchContestant;

/* Runs the benchmark described by argv and returns the exit status. */
int bench_main(int argc, char **argv, const BenchContestant *contestant);

#endif
