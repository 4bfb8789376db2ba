/*
 * The libavara contestant: one AvaraClient shared by every thread, each
 * call made through avara_express_users_add() or _remove() and its
 * response read and freed as an application would.
 */
#include <stdio.h>

#include "avara.h"
#include "harness.h"

static AvaraClient *shared_client;

static bool avara_global_init(const BenchConfig *config) {
    AvaraStatus status = avara_client_new(config->api_key, config->base_url, &shared_client);
    if (status != AVARA_STATUS_OK) {
        fprintf(stderr, "avara_client_new failed: %s: %s\n", avara_status_name(status),
                avara_last_error_message());
        return false;
    }
    return true;
}

static void *avara_thread_init(const BenchConfig *config) {
    (void)config;
    return shared_client;
}

static bool avara_call(void *context, const BenchConfig *config, bool remove) {
    AvaraUsersResponse *response = NULL;
    AvaraStatus status;
    bool ok;

    if (remove) {
        status = avara_express_users_remove(context, config->customer_id, config->user_id,
                                            &response);
    } else {
        status = avara_express_users_add(context, config->customer_id, config->user_id,
                                         &response);
    }
    ok = status == AVARA_STATUS_OK && avara_users_response_success(response);
    if (status != AVARA_STATUS_OK) {
        fprintf(stderr, "%s failed: %s: %s\n", remove ? "remove" : "add",
                avara_status_name(status), avara_last_error_message());
    }
    avara_users_response_free(response);
    return ok;
}

static void avara_thread_free(void *context) {
    (void)context;
}

static void avara_global_free(void) {
    avara_client_free(shared_client);
    shared_client = NULL;
}

int main(int argc, char **argv) {
    static const BenchContestant contestant = {
        .name = "libavara",
        .version = avara_version,
        .global_init = avara_global_init,
        .thread_init = avara_thread_init,
        .call = avara_call,
        .thread_free = avara_thread_free,
        .global_free = avara_global_free,
    };
    return bench_main(argc, argv, &contestant);
}
