/*
 * Makes many calls on one client and reports resident memory after a
 * warm-up and at the end, so a test can check that it does not grow.
 *
 * The calls cycle through four outcomes. An add and a remove succeed. An
 * add for an unknown customer gets HTTP 404, which takes the error path
 * with a server message and a request id. An add with a malformed user ID
 * is rejected before any traffic.
 *
 * Usage: long_run BASE_URL API_KEY CUSTOMER_ID USER_ID WARMUP_CALLS TOTAL_CALLS
 * Prints "rss_after_warmup_kib: N", "rss_after_total_kib: N", "calls: N"
 * and "unexpected: N" (calls whose status was not the expected one),
 * then "first_unexpected: ..." when there was one. Exits 0 when every
 * call had the expected status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avara.h"

#define UNKNOWN_CUSTOMER "cus_99999999999999999999999999999999"

/* Returns the current resident set size (VmRSS) in KiB, or 0. */
static unsigned long resident_kib(void) {
    char line[256];
    unsigned long kib = 0;
    FILE *status = fopen("/proc/self/status", "r");
    if (status == NULL) {
        return 0;
    }
    while (fgets(line, sizeof line, status) != NULL) {
        if (sscanf(line, "VmRSS: %lu kB", &kib) == 1) {
            break;
        }
    }
    fclose(status);
    return kib;
}

int main(int argc, char **argv) {
    AvaraClient *client = NULL;
    const char *customer, *user;
    unsigned long warmup_calls, total_calls, i, unexpected = 0;
    char first_unexpected[512] = "";

    if (argc != 7) {
        fprintf(stderr,
                "usage: %s BASE_URL API_KEY CUSTOMER_ID USER_ID WARMUP_CALLS TOTAL_CALLS\n",
                argv[0]);
        return 2;
    }
    customer = argv[3];
    user = argv[4];
    warmup_calls = strtoul(argv[5], NULL, 10);
    total_calls = strtoul(argv[6], NULL, 10);
    if (avara_client_new(argv[2], argv[1], &client) != AVARA_STATUS_OK) {
        printf("client_new: %s\n", avara_last_error_message());
        return 1;
    }

    for (i = 0; i < total_calls; i++) {
        AvaraUsersResponse *response = NULL;
        AvaraStatus status, expected;

        switch (i % 4) {
        case 0:
            expected = AVARA_STATUS_OK;
            status = avara_express_users_add(client, customer, user, &response);
            break;
        case 1:
            expected = AVARA_STATUS_OK;
            status = avara_express_users_remove(client, customer, user, &response);
            break;
        case 2:
            expected = AVARA_STATUS_NOT_FOUND;
            status = avara_express_users_add(client, UNKNOWN_CUSTOMER, user, &response);
            break;
        default:
            expected = AVARA_STATUS_INVALID_ARGUMENT;
            status = avara_express_users_add(client, customer, "usr_not-hex", &response);
            break;
        }
        if (status != expected) {
            if (unexpected == 0) {
                snprintf(first_unexpected, sizeof first_unexpected, "call %lu: %s: %s", i,
                         avara_status_name(status), avara_last_error_message());
            }
            unexpected++;
        }
        avara_users_response_free(response);

        if (i + 1 == warmup_calls) {
            printf("rss_after_warmup_kib: %lu\n", resident_kib());
        }
    }
    printf("rss_after_total_kib: %lu\n", resident_kib());
    printf("calls: %lu\n", total_calls);
    printf("unexpected: %lu\n", unexpected);
    if (unexpected > 0) {
        printf("first_unexpected: %s\n", first_unexpected);
    }
    avara_client_free(client);
    return unexpected == 0 ? 0 : 1;
}
