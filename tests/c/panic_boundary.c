/*
 * Checks that a panic inside libavara stops at the C boundary. Needs a
 * libavara built with the Cargo feature `panic-test`, where an add or a
 * remove with the user ID PANIC_USER panics inside the core.
 *
 * Usage: panic_boundary BASE_URL API_KEY CUSTOMER_ID USER_ID
 * Prints "STEP: STATUS_NAME" and "STEP message: ..." lines for each call,
 * "STEP response_cleared: 0|1" after each panic, and the error-level log
 * lines it received. The test that runs it checks the lines; this program
 * exits 0 whenever it gets to the end, which proves the process survived.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "avara.h"

#define PANIC_USER "usr_deaddeaddeaddeaddeaddeaddeaddead"

struct call {
    const AvaraClient *client;
    const char *customer;
    const char *user;
};

static int error_logs = 0;
static char last_error_log[1024] = "";
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static void record_log(AvaraLogLevel level, const char *message, void *user_data) {
    (void)user_data;
    if (level != AVARA_LOG_LEVEL_ERROR) {
        return;
    }
    pthread_mutex_lock(&log_lock);
    error_logs++;
    snprintf(last_error_log, sizeof last_error_log, "%s", message);
    pthread_mutex_unlock(&log_lock);
}

static void report(const char *step, AvaraStatus status) {
    printf("%s: %s\n", step, avara_status_name(status));
    printf("%s last_error_status: %s\n", step, avara_status_name(avara_last_error_status()));
    printf("%s message: %s\n", step, avara_last_error_message());
}

/* Makes a call that panics, with `out_response` set to a stale pointer
 * that the library must clear. */
static void panic_call(const char *step, const struct call *call, int remove) {
    int stale = 0;
    AvaraUsersResponse *response = (AvaraUsersResponse *)&stale;
    AvaraStatus status = remove
        ? avara_express_users_remove(call->client, call->customer, PANIC_USER, &response)
        : avara_express_users_add(call->client, call->customer, PANIC_USER, &response);
    char label[128];

    report(step, status);
    snprintf(label, sizeof label, "%s response_cleared", step);
    printf("%s: %d\n", label, response == NULL ? 1 : 0);
}

static void normal_call(const char *step, const struct call *call, int remove) {
    AvaraUsersResponse *response = NULL;
    AvaraStatus status = remove
        ? avara_express_users_remove(call->client, call->customer, call->user, &response)
        : avara_express_users_add(call->client, call->customer, call->user, &response);

    report(step, status);
    printf("%s success: %d\n", step, avara_users_response_success(response) ? 1 : 0);
    avara_users_response_free(response);
}

/* Makes a panicking call and a normal one on a thread other than the one
 * that created the client. */
static void *other_thread(void *argument) {
    const struct call *call = argument;
    panic_call("thread_panic_add", call, 0);
    normal_call("thread_add_after_panic", call, 0);
    return NULL;
}

int main(int argc, char **argv) {
    AvaraClient *client = NULL;
    struct call call;
    pthread_t thread;

    if (argc != 5) {
        fprintf(stderr, "usage: %s BASE_URL API_KEY CUSTOMER_ID USER_ID\n", argv[0]);
        return 2;
    }
    avara_set_log_callback(record_log, NULL);
    report("client_new", avara_client_new(argv[2], argv[1], &client));
    if (client == NULL) {
        return 1;
    }
    call.client = client;
    call.customer = argv[3];
    call.user = argv[4];

    panic_call("panic_add", &call, 0);
    normal_call("add_after_panic", &call, 0);
    panic_call("panic_remove", &call, 1);
    normal_call("remove_after_panic", &call, 1);

    if (pthread_create(&thread, NULL, other_thread, &call) != 0 ||
        pthread_join(thread, NULL) != 0) {
        fprintf(stderr, "could not run the second thread\n");
        return 1;
    }
    normal_call("final_remove", &call, 1);

    avara_client_free(client);
    printf("error_logs: %d\n", error_logs);
    printf("last_error_log: %s\n", last_error_log);
    printf("finished: 1\n");
    return 0;
}
