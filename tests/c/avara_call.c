/*
 * A command-line front end to libavara for the integration tests: makes
 * one add or remove call (or several with --repeat) with the given
 * options and prints every detail of the outcome as "key: value" lines.
 *
 * Usage: avara_call [options] add|remove CUSTOMER_ID USER_ID
 *   --api-key KEY             (default: NULL, so AVARA_API_KEY is read)
 *   --base-url URL            (default: NULL, so AVARA_BASE_URL is read)
 *   --timeout-ms N  --connect-timeout-ms N  --max-retries N
 *   --header "Name: value"    (repeatable)
 *   --user-agent-suffix TEXT  --proxy URL  --ca-file PATH
 *   --repeat N                (make the call N times on one client)
 *   --log-level N             (0-4; log lines are printed as "log: ...")
 *
 * After the calls it prints "peak_rss_kib: N", the peak resident memory of
 * the process (VmHWM on Linux), so tests can bound what a response costs.
 *
 * Exit status: 0 when the last call returned a status (whatever it was),
 * 2 for a usage error, 3 when setting an option or creating the client
 * failed (its status is printed first).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avara.h"

static void print_log(AvaraLogLevel level, const char *message, void *user_data) {
    (void)user_data;
    printf("log: %d %s\n", (int)level, message);
}

static void print_status(const char *prefix, AvaraStatus status) {
    const char *server_message = avara_last_error_server_message();
    const char *request_id = avara_last_error_request_id();
    const char *body = avara_last_error_body();
    printf("%sstatus: %s\n", prefix, avara_status_name(status));
    printf("%slast_error_status: %s\n", prefix, avara_status_name(avara_last_error_status()));
    printf("%shttp_status: %u\n", prefix, (unsigned)avara_last_error_http_status());
    printf("%sattempts: %u\n", prefix, (unsigned)avara_last_error_attempts());
    printf("%sretries_exhausted: %d\n", prefix, avara_last_error_retries_exhausted() ? 1 : 0);
    printf("%sserver_message: %s\n", prefix, server_message != NULL ? server_message : "(null)");
    printf("%srequest_id: %s\n", prefix, request_id != NULL ? request_id : "(null)");
    /* The body goes last: it may span several lines. */
    printf("%smessage: %s\n", prefix, avara_last_error_message());
    printf("%sbody_length: %u\n", prefix, body != NULL ? (unsigned)strlen(body) : 0u);
    printf("%sbody: %s\n", prefix, body != NULL ? body : "(null)");
}

/* Prints the peak resident set size from VmHWM in /proc/self/status.
 * getrusage() does not work here, because Linux carries ru_maxrss over
 * from the process that called exec, which is the much larger test binary. */
static void print_peak_rss(void) {
    char line[256];
    FILE *status = fopen("/proc/self/status", "r");
    if (status == NULL) {
        return;
    }
    while (fgets(line, sizeof line, status) != NULL) {
        unsigned long kib;
        if (sscanf(line, "VmHWM: %lu kB", &kib) == 1) {
            printf("peak_rss_kib: %lu\n", kib);
        }
    }
    fclose(status);
}

static int option_failed(const char *option, AvaraStatus status) {
    printf("failed_option: %s\n", option);
    print_status("", status);
    return 3;
}

static int parse_number(const char *text, unsigned long long *out) {
    char *end = NULL;
    *out = strtoull(text, &end, 10);
    return end != text && *end == '\0';
}

int main(int argc, char **argv) {
    AvaraClientOptions *options = NULL;
    AvaraClient *client = NULL;
    AvaraUsersResponse *response = NULL;
    AvaraStatus status = AVARA_STATUS_OK;
    const char *operation = NULL, *customer = NULL, *user = NULL;
    unsigned long long repeat = 1, number = 0, i;
    int arg = 1;

    if (avara_client_options_new(&options) != AVARA_STATUS_OK) {
        return option_failed("new", avara_last_error_status());
    }
    for (; arg < argc && strncmp(argv[arg], "--", 2) == 0; arg += 2) {
        const char *name = argv[arg];
        const char *value = arg + 1 < argc ? argv[arg + 1] : NULL;
        if (value == NULL) {
            fprintf(stderr, "%s needs a value\n", name);
            return 2;
        }
        if (strcmp(name, "--api-key") == 0) {
            status = avara_client_options_set_api_key(options, value);
        } else if (strcmp(name, "--base-url") == 0) {
            status = avara_client_options_set_base_url(options, value);
        } else if (strcmp(name, "--user-agent-suffix") == 0) {
            status = avara_client_options_set_user_agent_suffix(options, value);
        } else if (strcmp(name, "--proxy") == 0) {
            status = avara_client_options_set_proxy(options, value);
        } else if (strcmp(name, "--ca-file") == 0) {
            status = avara_client_options_set_ca_bundle_file(options, value);
        } else if (strcmp(name, "--header") == 0) {
            char header[1024];
            char *colon;
            strncpy(header, value, sizeof header - 1);
            header[sizeof header - 1] = '\0';
            colon = strchr(header, ':');
            if (colon == NULL) {
                fprintf(stderr, "--header needs \"Name: value\"\n");
                return 2;
            }
            *colon = '\0';
            colon++;
            while (*colon == ' ') {
                colon++;
            }
            status = avara_client_options_add_default_header(options, header, colon);
        } else if (!parse_number(value, &number)) {
            fprintf(stderr, "%s needs a number, not %s\n", name, value);
            return 2;
        } else if (strcmp(name, "--timeout-ms") == 0) {
            status = avara_client_options_set_timeout_ms(options, number);
        } else if (strcmp(name, "--connect-timeout-ms") == 0) {
            status = avara_client_options_set_connect_timeout_ms(options, number);
        } else if (strcmp(name, "--max-retries") == 0) {
            status = avara_client_options_set_max_retries(options, (uint32_t)number);
        } else if (strcmp(name, "--repeat") == 0) {
            repeat = number;
        } else if (strcmp(name, "--log-level") == 0) {
            avara_set_log_callback(print_log, NULL);
            status = avara_set_log_level((int)number);
        } else {
            fprintf(stderr, "unknown option %s\n", name);
            return 2;
        }
        if (status != AVARA_STATUS_OK) {
            return option_failed(name, status);
        }
    }
    if (argc - arg != 3) {
        fprintf(stderr, "usage: %s [options] add|remove CUSTOMER_ID USER_ID\n", argv[0]);
        return 2;
    }
    operation = argv[arg];
    customer = argv[arg + 1];
    user = argv[arg + 2];

    status = avara_client_new_with_options(options, &client);
    avara_client_options_free(options);
    if (status != AVARA_STATUS_OK) {
        return option_failed("client", status);
    }

    for (i = 0; i < repeat; i++) {
        avara_users_response_free(response);
        response = NULL;
        if (strcmp(operation, "add") == 0) {
            status = avara_express_users_add(client, customer, user, &response);
        } else if (strcmp(operation, "remove") == 0) {
            status = avara_express_users_remove(client, customer, user, &response);
        } else {
            fprintf(stderr, "unknown operation %s; use add or remove\n", operation);
            avara_client_free(client);
            return 2;
        }
    }

    print_status("", status);
    print_peak_rss();
    if (response != NULL) {
        const char *message = avara_users_response_message(response);
        printf("success: %s\n", avara_users_response_success(response) ? "true" : "false");
        printf("response_message: %s\n", message != NULL ? message : "(null)");
    }
    avara_users_response_free(response);
    avara_client_free(client);
    return 0;
}
