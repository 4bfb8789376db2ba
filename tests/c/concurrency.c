/*
 * One client shared by several threads. Each thread adds and removes its
 * own user in turn, so every call should succeed. The client is created on
 * one thread, used by the workers, and freed on a third thread.
 *
 * Usage: concurrency BASE_URL API_KEY CUSTOMER_ID CALLS_PER_THREAD USER_ID...
 * Starts one worker thread per USER_ID. Prints "calls: N", "failures: N"
 * and, after a failure, "first_failure: ..."; exits 0 when every call
 * succeeded.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avara.h"

#define MAX_THREADS 64

struct setup {
    const char *base_url;
    const char *api_key;
    AvaraClient *client;
    AvaraStatus status;
    char message[512];
};

struct worker {
    pthread_t thread;
    const AvaraClient *client;
    const char *customer;
    const char *user;
    unsigned long calls;
    unsigned long failures;
    char first_failure[512];
};

/* Creates the shared client. It runs on a thread of its own. */
static void *create_client(void *argument) {
    struct setup *setup = argument;
    AvaraClientOptions *options = NULL;

    setup->status = avara_client_options_new(&options);
    if (setup->status == AVARA_STATUS_OK) {
        avara_client_options_set_api_key(options, setup->api_key);
        avara_client_options_set_base_url(options, setup->base_url);
        /* No retries: a transient failure must show up as a failure. */
        avara_client_options_set_max_retries(options, 0);
        setup->status = avara_client_new_with_options(options, &setup->client);
    }
    if (setup->status != AVARA_STATUS_OK) {
        snprintf(setup->message, sizeof setup->message, "%s", avara_last_error_message());
    }
    avara_client_options_free(options);
    return NULL;
}

static void *free_client(void *client) {
    avara_client_free(client);
    return NULL;
}

/* Adds the worker's user on even calls and removes it on odd ones. */
static void *run_worker(void *argument) {
    struct worker *worker = argument;
    unsigned long i;

    for (i = 0; i < worker->calls; i++) {
        AvaraUsersResponse *response = NULL;
        AvaraStatus status = (i % 2 == 0)
            ? avara_express_users_add(worker->client, worker->customer, worker->user, &response)
            : avara_express_users_remove(worker->client, worker->customer, worker->user, &response);
        int succeeded = status == AVARA_STATUS_OK && avara_users_response_success(response);

        if (!succeeded) {
            if (worker->failures == 0) {
                snprintf(worker->first_failure, sizeof worker->first_failure,
                         "call %lu for %s: %s: %s", i, worker->user, avara_status_name(status),
                         avara_last_error_message());
            }
            worker->failures++;
        }
        avara_users_response_free(response);
    }
    return NULL;
}

int main(int argc, char **argv) {
    struct setup setup;
    struct worker workers[MAX_THREADS];
    pthread_t helper;
    unsigned long calls_per_thread, total_calls = 0, total_failures = 0;
    int thread_count, i;
    const char *first_failure = NULL;

    if (argc < 6 || argc - 5 > MAX_THREADS) {
        fprintf(stderr, "usage: %s BASE_URL API_KEY CUSTOMER_ID CALLS_PER_THREAD USER_ID...\n",
                argv[0]);
        return 2;
    }
    calls_per_thread = strtoul(argv[4], NULL, 10);
    thread_count = argc - 5;

    memset(&setup, 0, sizeof setup);
    setup.base_url = argv[1];
    setup.api_key = argv[2];
    if (pthread_create(&helper, NULL, create_client, &setup) != 0 ||
        pthread_join(helper, NULL) != 0) {
        fprintf(stderr, "could not run the thread that creates the client\n");
        return 1;
    }
    if (setup.status != AVARA_STATUS_OK) {
        printf("client_new: %s: %s\n", avara_status_name(setup.status), setup.message);
        return 1;
    }

    for (i = 0; i < thread_count; i++) {
        memset(&workers[i], 0, sizeof workers[i]);
        workers[i].client = setup.client;
        workers[i].customer = argv[3];
        workers[i].user = argv[5 + i];
        workers[i].calls = calls_per_thread;
        if (pthread_create(&workers[i].thread, NULL, run_worker, &workers[i]) != 0) {
            fprintf(stderr, "could not start worker thread %d\n", i);
            return 1;
        }
    }
    for (i = 0; i < thread_count; i++) {
        pthread_join(workers[i].thread, NULL);
        total_calls += workers[i].calls;
        total_failures += workers[i].failures;
        if (first_failure == NULL && workers[i].failures > 0) {
            first_failure = workers[i].first_failure;
        }
    }

    /* No worker uses the client any more, so another thread may free it. */
    if (pthread_create(&helper, NULL, free_client, setup.client) != 0 ||
        pthread_join(helper, NULL) != 0) {
        fprintf(stderr, "could not run the thread that frees the client\n");
        return 1;
    }

    printf("threads: %d\n", thread_count);
    printf("calls: %lu\n", total_calls);
    printf("failures: %lu\n", total_failures);
    if (first_failure != NULL) {
        printf("first_failure: %s\n", first_failure);
    }
    return total_failures == 0 ? 0 : 1;
}
