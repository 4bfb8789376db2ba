/*
 * Adds a user to an Avara Express customer, then removes them again.
 *
 * Usage: express_users CUSTOMER_ID USER_ID
 *
 * The API key comes from AVARA_API_KEY and the server from AVARA_BASE_URL
 * (default https://api.avarasoftware.com). Exits 0 when both calls
 * succeed, 1 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>

#include "avara.h"

/* Prints why the last call failed and returns the exit code for it. */
static int report_failure(const char *what, AvaraStatus status) {
    fprintf(stderr, "%s failed: %s\n", what, avara_status_name(status));
    fprintf(stderr, "  %s\n", avara_last_error_message());
    if (avara_last_error_http_status() != 0) {
        fprintf(stderr, "  HTTP status: %u\n", (unsigned)avara_last_error_http_status());
    }
    if (avara_last_error_request_id() != NULL) {
        fprintf(stderr, "  request id: %s\n", avara_last_error_request_id());
    }
    return 1;
}

/* Prints the outcome of one add or remove call. */
static void print_response(const char *what, const AvaraUsersResponse *response) {
    const char *message = avara_users_response_message(response);
    printf("%s: success=%s message=%s\n", what,
           avara_users_response_success(response) ? "true" : "false",
           message != NULL ? message : "(none)");
}

int main(int argc, char **argv) {
    AvaraClient *client = NULL;
    AvaraUsersResponse *response = NULL;
    AvaraStatus status;
    int exit_code = 0;

    if (argc != 3) {
        fprintf(stderr, "usage: %s CUSTOMER_ID USER_ID\n", argv[0]);
        return 2;
    }
    printf("libavara %s\n", avara_version());

    /* NULL key and URL: read AVARA_API_KEY and AVARA_BASE_URL. */
    status = avara_client_new(NULL, NULL, &client);
    if (status != AVARA_STATUS_OK) {
        return report_failure("creating the client", status);
    }

    status = avara_express_users_add(client, argv[1], argv[2], &response);
    if (status != AVARA_STATUS_OK) {
        exit_code = report_failure("adding the user", status);
        goto done;
    }
    print_response("add", response);
    avara_users_response_free(response);
    response = NULL;

    status = avara_express_users_remove(client, argv[1], argv[2], &response);
    if (status != AVARA_STATUS_OK) {
        exit_code = report_failure("removing the user", status);
        goto done;
    }
    print_response("remove", response);

done:
    avara_users_response_free(response);
    avara_client_free(client);
    return exit_code;
}
