/*
 * Measurement loop shared by the C contestants; see harness.h.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

typedef struct {
    const BenchContestant *contestant;
    const BenchConfig *config;
    pthread_barrier_t *start_barrier;
    pthread_barrier_t *end_barrier;
    uint64_t *latencies_ns;   /* this thread's slice of the shared array */
    long calls;
    long errors;
    long rss_kb[8];           /* VmRSS at each checkpoint, single thread only */
    bool init_failed;
} ThreadState;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t timeval_ns(struct timeval tv) {
    return (uint64_t)tv.tv_sec * 1000000000u + (uint64_t)tv.tv_usec * 1000u;
}

/* Returns a size in KiB from /proc/self/status, such as "VmRSS:", or -1. */
static long status_field_kb(const char *field) {
    FILE *status = fopen("/proc/self/status", "r");
    size_t field_length = strlen(field);
    char line[256];
    long size_kb = -1;

    if (status == NULL) {
        return -1;
    }
    while (fgets(line, sizeof line, status) != NULL) {
        if (strncmp(line, field, field_length) == 0) {
            size_kb = strtol(line + field_length, NULL, 10);
            break;
        }
    }
    fclose(status);
    return size_kb;
}

static void *run_thread(void *argument) {
    ThreadState *state = argument;
    const BenchConfig *config = state->config;
    void *context = state->contestant->thread_init(config);
    int next_checkpoint = 0;

    if (context == NULL) {
        state->init_failed = true;
        pthread_barrier_wait(state->start_barrier);
        pthread_barrier_wait(state->end_barrier);
        return NULL;
    }

    /* The warm-up opens the keep-alive connection and fills caches. An
     * even count leaves the user in the state it started in. */
    for (long i = 0; i < config->warmup; i++) {
        if (!state->contestant->call(context, config, i % 2 == 1)) {
            state->errors++;
        }
    }
    pthread_barrier_wait(state->start_barrier);

    for (long i = 0; i < state->calls; i++) {
        uint64_t started = now_ns();
        bool ok = state->contestant->call(context, config, i % 2 == 1);
        state->latencies_ns[i] = now_ns() - started;
        if (!ok) {
            state->errors++;
        }
        while (next_checkpoint < config->rss_checkpoint_count &&
               config->rss_checkpoints[next_checkpoint] == i + 1) {
            state->rss_kb[next_checkpoint++] = status_field_kb("VmRSS:");
        }
    }

    /* The main thread stops the clock and reads the CPU time while every
     * thread waits here, so closing the connection is not timed. */
    pthread_barrier_wait(state->end_barrier);
    state->contestant->thread_free(context);
    return NULL;
}

static void print_usage(const char *program) {
    fprintf(stderr,
            "usage: %s -u BASE_URL -k API_KEY -c CUSTOMER_ID -s USER_ID -n CALLS\n"
            "          [-w WARMUP] [-t THREADS] [-a USER_AGENT] [-l LATENCY_FILE]\n"
            "          [-r CALLS[,CALLS...]]\n"
            "  -n  timed calls in total, split over the threads\n"
            "  -w  untimed calls per thread before timing starts [default: 200]\n"
            "  -t  threads [default: 1]\n"
            "  -a  User-Agent header, for contestants that set it themselves\n"
            "  -l  file that receives each call's latency as native uint64 ns\n"
            "  -r  up to 8 call counts after which to record VmRSS (one thread only)\n",
            program);
}

static bool parse_long(const char *text, long min, long *out) {
    char *end = NULL;
    long value;

    errno = 0;
    value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < min) {
        return false;
    }
    *out = value;
    return true;
}

static bool parse_checkpoints(char *text, BenchConfig *config) {
    char *saved = NULL;
    for (char *item = strtok_r(text, ",", &saved); item != NULL;
         item = strtok_r(NULL, ",", &saved)) {
        long calls;
        if (config->rss_checkpoint_count == 8 || !parse_long(item, 1, &calls)) {
            return false;
        }
        config->rss_checkpoints[config->rss_checkpoint_count++] = calls;
    }
    return true;
}

static bool parse_options(int argc, char **argv, BenchConfig *config) {
    long threads = 1;
    int option;

    config->warmup = 200;
    config->user_agent = "libavara-bench";
    while ((option = getopt(argc, argv, "u:k:c:s:n:w:t:a:l:r:")) != -1) {
        switch (option) {
        case 'u': config->base_url = optarg; break;
        case 'k': config->api_key = optarg; break;
        case 'c': config->customer_id = optarg; break;
        case 's': config->user_id = optarg; break;
        case 'a': config->user_agent = optarg; break;
        case 'l': config->latency_file = optarg; break;
        case 'n':
            if (!parse_long(optarg, 1, &config->calls)) return false;
            break;
        case 'w':
            if (!parse_long(optarg, 0, &config->warmup)) return false;
            break;
        case 't':
            if (!parse_long(optarg, 1, &threads) || threads > 64) return false;
            break;
        case 'r':
            if (!parse_checkpoints(optarg, config)) return false;
            break;
        default:
            return false;
        }
    }
    config->threads = (int)threads;
    if (config->warmup % 2 == 1) {
        config->warmup++;
    }
    return optind == argc && config->base_url != NULL && config->api_key != NULL &&
           config->customer_id != NULL && config->user_id != NULL && config->calls > 0 &&
           (config->rss_checkpoint_count == 0 || config->threads == 1);
}

static bool write_latencies(const char *path, const uint64_t *latencies_ns, long count) {
    FILE *file = fopen(path, "wb");
    bool ok;

    if (file == NULL) {
        fprintf(stderr, "opening %s failed: %s\n", path, strerror(errno));
        return false;
    }
    ok = fwrite(latencies_ns, sizeof *latencies_ns, (size_t)count, file) == (size_t)count;
    ok = (fclose(file) == 0) && ok;
    if (!ok) {
        fprintf(stderr, "writing %s failed: %s\n", path, strerror(errno));
    }
    return ok;
}

int bench_main(int argc, char **argv, const BenchContestant *contestant) {
    BenchConfig config = {0};
    ThreadState *states;
    pthread_t *threads;
    pthread_barrier_t start_barrier;
    pthread_barrier_t end_barrier;
    uint64_t *latencies_ns;
    struct rusage before, after;
    uint64_t started, finished;
    long errors = 0;
    long offset = 0;
    long peak_rss_kb;
    bool init_failed = false;

    if (!parse_options(argc, argv, &config)) {
        print_usage(argv[0]);
        return 2;
    }
    if (!contestant->global_init(&config)) {
        return 1;
    }

    latencies_ns = calloc((size_t)config.calls, sizeof *latencies_ns);
    states = calloc((size_t)config.threads, sizeof *states);
    threads = calloc((size_t)config.threads, sizeof *threads);
    if (latencies_ns == NULL || states == NULL || threads == NULL) {
        fprintf(stderr, "out of memory for %ld latencies\n", config.calls);
        return 1;
    }
    /* Touch every page of the latency array now, so that page faults do
     * not land in the timed calls and RSS checkpoints measure the client
     * rather than this array filling up. */
    memset(latencies_ns, 0xff, (size_t)config.calls * sizeof *latencies_ns);
    pthread_barrier_init(&start_barrier, NULL, (unsigned)config.threads + 1);
    pthread_barrier_init(&end_barrier, NULL, (unsigned)config.threads + 1);

    for (int t = 0; t < config.threads; t++) {
        long share = config.calls / config.threads + (t < config.calls % config.threads);
        states[t] = (ThreadState){
            .contestant = contestant,
            .config = &config,
            .start_barrier = &start_barrier,
            .end_barrier = &end_barrier,
            .latencies_ns = latencies_ns + offset,
            .calls = share,
        };
        offset += share;
        if (pthread_create(&threads[t], NULL, run_thread, &states[t]) != 0) {
            fprintf(stderr, "starting thread %d failed\n", t);
            return 1;
        }
    }

    /* Every thread has finished its warm-up when the barrier opens. */
    pthread_barrier_wait(&start_barrier);
    getrusage(RUSAGE_SELF, &before);
    started = now_ns();
    /* Every thread has made its timed calls when this barrier opens. */
    pthread_barrier_wait(&end_barrier);
    finished = now_ns();
    getrusage(RUSAGE_SELF, &after);
    for (int t = 0; t < config.threads; t++) {
        pthread_join(threads[t], NULL);
        errors += states[t].errors;
        init_failed = init_failed || states[t].init_failed;
    }
    /* The peak RSS comes from VmHWM because Linux carries ru_maxrss over
     * execve(), so it would report the parent's peak when that is larger. */
    peak_rss_kb = status_field_kb("VmHWM:");
    contestant->global_free();

    if (init_failed) {
        return 1;
    }
    if (config.latency_file != NULL &&
        !write_latencies(config.latency_file, latencies_ns, config.calls)) {
        return 1;
    }

    printf("{\"contestant\":\"%s\",\"version\":\"%s\",\"calls\":%ld,\"threads\":%d,"
           "\"errors\":%ld,\"wall_ns\":%" PRIu64 ",\"user_ns\":%" PRIu64
           ",\"sys_ns\":%" PRIu64 ",\"maxrss_kb\":%ld,\"rss_kb_after_calls\":{",
           contestant->name, contestant->version(), config.calls, config.threads, errors,
           finished - started, timeval_ns(after.ru_utime) - timeval_ns(before.ru_utime),
           timeval_ns(after.ru_stime) - timeval_ns(before.ru_stime), peak_rss_kb);
    for (int i = 0; i < config.rss_checkpoint_count; i++) {
        printf("%s\"%ld\":%ld", i > 0 ? "," : "", config.rss_checkpoints[i],
               states[0].rss_kb[i]);
    }
    printf("}}\n");

    free(threads);
    free(states);
    free(latencies_ns);
    return errors == 0 ? 0 : 1;
}
