/*
 * Calls every libavara function with NULL, empty, non-UTF-8, malformed and
 * oversized arguments, and checks that each is rejected with
 * AVARA_STATUS_INVALID_ARGUMENT and a message naming the parameter.
 *
 * Usage: argument_checks BASE_URL API_KEY
 * The server at BASE_URL must receive no request at all: the test that
 * runs this program checks the server's request log afterwards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avara.h"

#define CUSTOMER "cus_0123456789abcdef0123456789abcdef"
#define USER "usr_0123456789abcdef0123456789abcdef"

static int passed = 0;
static int failed = 0;

/* Checks that `status` is INVALID_ARGUMENT and the message names `parameter`. */
static void expect_invalid(const char *label, AvaraStatus status, const char *parameter) {
    const char *message = avara_last_error_message();
    if (status != AVARA_STATUS_INVALID_ARGUMENT) {
        printf("FAIL %s: expected AVARA_STATUS_INVALID_ARGUMENT, got %s (%s)\n", label,
               avara_status_name(status), message);
        failed++;
    } else if (strstr(message, parameter) == NULL) {
        printf("FAIL %s: message does not name %s: %s\n", label, parameter, message);
        failed++;
    } else if (avara_last_error_status() != status || avara_last_error_attempts() != 0 ||
               avara_last_error_http_status() != 0) {
        printf("FAIL %s: last error detail does not match: attempts=%u http=%u\n", label,
               (unsigned)avara_last_error_attempts(), (unsigned)avara_last_error_http_status());
        failed++;
    } else {
        passed++;
    }
}

/* Returns a 1 MiB string that starts with `prefix`, padded with 'a'. */
static char *huge_string(const char *prefix) {
    size_t length = (size_t)1 << 20;
    size_t prefix_length = strlen(prefix);
    char *text = malloc(length + 1);
    if (text == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    memset(text, 'a', length);
    memcpy(text, prefix, prefix_length);
    text[length] = '\0';
    return text;
}

static void expect_true(const char *label, int condition) {
    if (condition) {
        passed++;
    } else {
        printf("FAIL %s\n", label);
        failed++;
    }
}

/* Runs add and remove with the same bad arguments. */
static void expect_both_invalid(const char *label, AvaraClient *client, const char *customer,
                                const char *user, const char *parameter) {
    int sentinel = 0;
    AvaraUsersResponse *response = (AvaraUsersResponse *)&sentinel;
    char name[256];

    snprintf(name, sizeof name, "add %s", label);
    expect_invalid(name, avara_express_users_add(client, customer, user, &response), parameter);
    snprintf(name, sizeof name, "add %s clears out_response", label);
    expect_true(name, response == NULL);

    response = (AvaraUsersResponse *)&sentinel;
    snprintf(name, sizeof name, "remove %s", label);
    expect_invalid(name, avara_express_users_remove(client, customer, user, &response), parameter);
    snprintf(name, sizeof name, "remove %s clears out_response", label);
    expect_true(name, response == NULL);
}

int main(int argc, char **argv) {
    const char *base_url, *key;
    AvaraClient *client = NULL, *derived = NULL;
    AvaraClientOptions *options = NULL;
    size_t huge_length = (size_t)1 << 20;
    char *huge;
    size_t i;
    const char *bad_customers[] = {
        "usr_0123456789abcdef0123456789abcdef",  /* wrong prefix */
        "cus_0123456789abcdef0123456789abcde",   /* too short */
        "cus_0123456789abcdef0123456789abcdef0", /* too long */
        "cus_0123456789abcdef0123456789abcdeg",  /* not hex */
        " cus_0123456789abcdef0123456789abcdef", /* whitespace */
        "cus_0123456789abcdef0123456789abcd\n",  /* control character */
        "cus_0123456789abcdef0123456789abc%2F",  /* percent sign */
        "cus_0123456789abcdef0123456789abc/de",  /* slash */
        "cus_0123456789abcdef0123456789abc..d",  /* dot dot */
        "..",
        "cus_0123456789abcdef0123456789abcd\xc3\xa9", /* UTF-8 but not hex */
        "cus_0123456789abcdef0123456789abcdef ", /* trailing space */
        "cus_0123456789abcdef\t123456789abcdef",  /* tab */
        "cus_0123456789abcdef0123456789ab\xc2\xa0", /* no-break space */
        "cus_/../0123456789abcdef0123456789ab",  /* slashes and dot dot, right length */
        "cus_0123456789abcdef0123456789a%2e%2e", /* encoded dot dot */
        "CUS_0123456789abcdef0123456789abcdef",  /* prefix in upper case */
        "cus_",                                  /* prefix only */
    };
    /* Base URLs that every setter of a base URL must reject. */
    const char *bad_base_urls[] = {
        "",
        "ftp://127.0.0.1/",
        "file:///etc/passwd",
        "ws://127.0.0.1/",
        "127.0.0.1:80",
        "//127.0.0.1/",
        "http://u:p@127.0.0.1/",
        "http://user@127.0.0.1/",
        "https://:secret@127.0.0.1/",
        "http://127.0.0.1/?a=b",
        "http://127.0.0.1?a=b",
        "http://127.0.0.1/#top",
        "http://127.0.0.1 /",
        "http://127.0.0.1/\r\nX-Injected: 1",
        "http:///path",
        "http://\xfe/",
    };

    if (argc != 3) {
        fprintf(stderr, "usage: %s BASE_URL API_KEY\n", argv[0]);
        return 2;
    }
    base_url = argv[1];
    key = argv[2];

    /* Client creation. */
    expect_invalid("client_new NULL out", avara_client_new(key, base_url, NULL), "out_client");
    client = (AvaraClient *)&passed;
    expect_invalid("client_new empty key", avara_client_new("", base_url, &client), "api_key");
    expect_true("client_new clears out_client", client == NULL);
    expect_invalid("client_new key with newline", avara_client_new("sk_live_x\n", base_url, &client), "api_key");
    expect_true("key never echoed", strstr(avara_last_error_message(), "sk_live_x") == NULL);
    expect_invalid("client_new non-UTF-8 key", avara_client_new("sk_\xff", base_url, &client), "api_key");
    expect_invalid("client_new empty URL", avara_client_new(key, "", &client), "base_url");
    expect_invalid("client_new ftp URL", avara_client_new(key, "ftp://127.0.0.1/", &client), "base_url");
    expect_invalid("client_new URL without scheme", avara_client_new(key, "127.0.0.1:80", &client), "base_url");
    expect_invalid("client_new URL with credentials", avara_client_new(key, "http://u:p@127.0.0.1/", &client), "base_url");
    expect_invalid("client_new URL with query", avara_client_new(key, "http://127.0.0.1/?a=b", &client), "base_url");
    expect_invalid("client_new URL with fragment", avara_client_new(key, "http://127.0.0.1/#top", &client), "base_url");
    expect_invalid("client_new non-UTF-8 URL", avara_client_new(key, "http://\xfe/", &client), "base_url");

    if (avara_client_new(key, base_url, &client) != AVARA_STATUS_OK) {
        printf("FAIL creating a valid client: %s\n", avara_last_error_message());
        return 1;
    }
    expect_true("success leaves empty message", strcmp(avara_last_error_message(), "") == 0);
    expect_true("success leaves OK status", avara_last_error_status() == AVARA_STATUS_OK);

    /* The Express calls. */
    expect_both_invalid("NULL client", NULL, CUSTOMER, USER, "client");
    expect_both_invalid("NULL customer", client, NULL, USER, "express_customer_id");
    expect_both_invalid("NULL user", client, CUSTOMER, NULL, "user_id");
    expect_both_invalid("empty customer", client, "", USER, "express_customer_id");
    expect_both_invalid("empty user", client, CUSTOMER, "", "user_id");
    expect_both_invalid("non-UTF-8 customer", client, "cus_\xff", USER, "express_customer_id");
    expect_both_invalid("non-UTF-8 user", client, CUSTOMER, "usr_\xc3", "user_id");
    for (i = 0; i < sizeof bad_customers / sizeof bad_customers[0]; i++) {
        char user[64];
        char label[96];
        snprintf(label, sizeof label, "malformed customer %u", (unsigned)i);
        expect_both_invalid(label, client, bad_customers[i], USER, "express_customer_id");
        /* The same shapes as a user ID: swap the prefix. */
        strncpy(user, bad_customers[i], sizeof user - 1);
        user[sizeof user - 1] = '\0';
        if (strncmp(user, "cus_", 4) == 0) {
            memcpy(user, "usr_", 4);
        } else if (strncmp(user, "usr_", 4) == 0) {
            memcpy(user, "cus_", 4);
        }
        snprintf(label, sizeof label, "malformed user %u", (unsigned)i);
        expect_both_invalid(label, client, CUSTOMER, user, "user_id");
    }

    huge = malloc(huge_length + 1);
    if (huge == NULL) {
        return 1;
    }
    memset(huge, 'a', huge_length);
    memcpy(huge, "cus_", 4);
    huge[huge_length] = '\0';
    expect_both_invalid("1 MiB customer", client, huge, USER, "express_customer_id");
    expect_true("1 MiB value cut in message", strlen(avara_last_error_message()) < 1024);
    memcpy(huge, "usr_", 4);
    expect_both_invalid("1 MiB user", client, CUSTOMER, huge, "user_id");

    /* NULL out_response is allowed, so a bad ID must still be caught. */
    expect_invalid("add NULL out_response bad ID", avara_express_users_add(client, "x", USER, NULL), "express_customer_id");

    /* Options. */
    expect_invalid("options_new NULL out", avara_client_options_new(NULL), "out_options");
    if (avara_client_options_new(&options) != AVARA_STATUS_OK) {
        return 1;
    }
    expect_invalid("set_api_key NULL options", avara_client_options_set_api_key(NULL, key), "pass a pointer to an options handle");
    expect_invalid("set_api_key NULL", avara_client_options_set_api_key(options, NULL), "api_key");
    expect_invalid("set_base_url NULL", avara_client_options_set_base_url(options, NULL), "base_url");
    expect_invalid("set_base_url 1 MiB", avara_client_options_set_base_url(options, huge), "base_url");
    expect_true("1 MiB URL cut in message", strlen(avara_last_error_message()) < 1024);
    expect_invalid("set_timeout_ms 0", avara_client_options_set_timeout_ms(options, 0), "timeout_ms");
    expect_invalid("set_timeout_ms huge", avara_client_options_set_timeout_ms(options, UINT64_MAX), "timeout_ms");
    expect_invalid("set_connect_timeout_ms 0", avara_client_options_set_connect_timeout_ms(options, 0), "connect_timeout_ms");
    expect_invalid("set_max_retries 11", avara_client_options_set_max_retries(options, 11), "max_retries");
    expect_invalid("header NULL name", avara_client_options_add_default_header(options, NULL, "v"), "name");
    expect_invalid("header NULL value", avara_client_options_add_default_header(options, "X-A", NULL), "value");
    expect_invalid("header CRLF value", avara_client_options_add_default_header(options, "X-A", "a\r\nX-Injected: 1"), "default header");
    expect_invalid("header space in name", avara_client_options_add_default_header(options, "X A", "v"), "default header");
    expect_invalid("header non-ASCII value", avara_client_options_add_default_header(options, "X-A", "caf\xc3\xa9"), "default header");
    expect_invalid("header reserved", avara_client_options_add_default_header(options, "Authorization", "Bearer x"), "default header");
    expect_invalid("user agent newline", avara_client_options_set_user_agent_suffix(options, "app\n"), "user_agent_suffix");
    expect_invalid("proxy ftp", avara_client_options_set_proxy(options, "ftp://127.0.0.1:21"), "proxy");
    expect_invalid("ca file missing", avara_client_options_set_ca_bundle_file(options, "/nonexistent/ca.pem"), "ca_bundle_file");
    expect_invalid("new_with_options NULL out", avara_client_new_with_options(options, NULL), "out_client");
    expect_invalid("with_options NULL parent", avara_client_with_options(NULL, options, &derived), "client");
    expect_invalid("with_options NULL options", avara_client_with_options(client, NULL, &derived), "options");
    expect_invalid("with_options NULL out", avara_client_with_options(client, options, NULL), "out_client");
    avara_client_options_set_proxy(options, "http://127.0.0.1:3128");
    expect_invalid("with_options proxy", avara_client_with_options(client, options, &derived), "options");
    expect_true("with_options failure clears out", derived == NULL);

    /* Every setter with a NULL options handle. */
    expect_invalid("set_base_url NULL options", avara_client_options_set_base_url(NULL, base_url), "options");
    expect_invalid("set_timeout_ms NULL options", avara_client_options_set_timeout_ms(NULL, 1000), "options");
    expect_invalid("set_connect_timeout_ms NULL options", avara_client_options_set_connect_timeout_ms(NULL, 1000), "options");
    expect_invalid("set_max_retries NULL options", avara_client_options_set_max_retries(NULL, 1), "options");
    expect_invalid("header NULL options", avara_client_options_add_default_header(NULL, "X-A", "v"), "options");
    expect_invalid("user agent NULL options", avara_client_options_set_user_agent_suffix(NULL, "app/1"), "options");
    expect_invalid("proxy NULL options", avara_client_options_set_proxy(NULL, "http://127.0.0.1:3128"), "options");
    expect_invalid("ca file NULL options", avara_client_options_set_ca_bundle_file(NULL, "/etc/hosts"), "options");

    /* NULL, empty and non-UTF-8 text for every string setter. An empty
     * header value is valid HTTP, so it is the one empty string accepted. */
    expect_invalid("set_api_key empty", avara_client_options_set_api_key(options, ""), "api_key");
    expect_invalid("set_api_key non-UTF-8", avara_client_options_set_api_key(options, "sk_\xc3("), "api_key");
    expect_invalid("set_api_key space", avara_client_options_set_api_key(options, "sk_live x"), "api_key");
    expect_invalid("header empty name", avara_client_options_add_default_header(options, "", "v"), "name");
    expect_invalid("header non-UTF-8 name", avara_client_options_add_default_header(options, "X-\xff", "v"), "name");
    expect_invalid("header non-UTF-8 value", avara_client_options_add_default_header(options, "X-A", "\xe2\x82"), "value");
    expect_invalid("header LF value", avara_client_options_add_default_header(options, "X-A", "a\nb"), "default header");
    expect_invalid("header colon in name", avara_client_options_add_default_header(options, "X-A: b", "v"), "default header");
    expect_invalid("user agent NULL", avara_client_options_set_user_agent_suffix(options, NULL), "user_agent_suffix");
    expect_invalid("user agent empty", avara_client_options_set_user_agent_suffix(options, ""), "user_agent_suffix");
    expect_invalid("user agent non-UTF-8", avara_client_options_set_user_agent_suffix(options, "app/\xff"), "user_agent_suffix");
    expect_invalid("proxy NULL", avara_client_options_set_proxy(options, NULL), "proxy");
    expect_invalid("proxy empty", avara_client_options_set_proxy(options, ""), "proxy");
    expect_invalid("proxy non-UTF-8", avara_client_options_set_proxy(options, "http://\xfe:3128"), "proxy");
    expect_invalid("proxy without scheme", avara_client_options_set_proxy(options, "127.0.0.1:3128"), "proxy");
    expect_invalid("ca file NULL", avara_client_options_set_ca_bundle_file(options, NULL), "ca_bundle_file");
    expect_invalid("ca file empty", avara_client_options_set_ca_bundle_file(options, ""), "ca_bundle_file");
    expect_invalid("ca file non-UTF-8", avara_client_options_set_ca_bundle_file(options, "/tmp/\xff.pem"), "ca_bundle_file");
    expect_invalid("ca file not PEM", avara_client_options_set_ca_bundle_file(options, "/dev/null"), "ca_bundle_file");

    /* The same base URLs through both entry points that take one. */
    for (i = 0; i < sizeof bad_base_urls / sizeof bad_base_urls[0]; i++) {
        char label[96];
        AvaraClient *rejected = (AvaraClient *)&passed;
        snprintf(label, sizeof label, "set_base_url bad URL %u", (unsigned)i);
        expect_invalid(label, avara_client_options_set_base_url(options, bad_base_urls[i]), "base_url");
        snprintf(label, sizeof label, "client_new bad URL %u", (unsigned)i);
        expect_invalid(label, avara_client_new(key, bad_base_urls[i], &rejected), "base_url");
        snprintf(label, sizeof label, "client_new bad URL %u clears out_client", (unsigned)i);
        expect_true(label, rejected == NULL);
    }
    avara_client_options_set_base_url(options, "https://:secret@127.0.0.1/");
    expect_true("URL password never echoed", strstr(avara_last_error_message(), "secret") == NULL);

    /* 1 MiB strings made of characters each parameter accepts, so only the
     * length is wrong. Each must be rejected, and the message stays short. */
    {
        struct {
            const char *label;
            const char *prefix;
            const char *parameter;
        } huge_cases[] = {
            {"api key", "sk_live_", "api_key"},
            {"base URL", "http://127.0.0.1/", "base_url"},
            {"header name", "X-", "default header"},
            {"header value", "v", "default header"},
            {"user agent", "app/", "user_agent_suffix"},
            {"proxy", "http://127.0.0.1:3128/", "proxy"},
            {"ca file", "/tmp/", "ca_bundle_file"},
        };
        for (i = 0; i < sizeof huge_cases / sizeof huge_cases[0]; i++) {
            char *value = huge_string(huge_cases[i].prefix);
            const char *parameter = huge_cases[i].parameter;
            char label[96];
            AvaraStatus status;
            AvaraClient *rejected = (AvaraClient *)&passed;

            if (strcmp(parameter, "api_key") == 0) {
                status = avara_client_options_set_api_key(options, value);
            } else if (strcmp(parameter, "base_url") == 0) {
                status = avara_client_options_set_base_url(options, value);
            } else if (strcmp(huge_cases[i].label, "header name") == 0) {
                status = avara_client_options_add_default_header(options, value, "v");
            } else if (strcmp(huge_cases[i].label, "header value") == 0) {
                status = avara_client_options_add_default_header(options, "X-A", value);
            } else if (strcmp(parameter, "user_agent_suffix") == 0) {
                status = avara_client_options_set_user_agent_suffix(options, value);
            } else if (strcmp(parameter, "proxy") == 0) {
                status = avara_client_options_set_proxy(options, value);
            } else {
                status = avara_client_options_set_ca_bundle_file(options, value);
            }
            snprintf(label, sizeof label, "1 MiB %s", huge_cases[i].label);
            expect_invalid(label, status, parameter);
            snprintf(label, sizeof label, "1 MiB %s cut in message", huge_cases[i].label);
            expect_true(label, strlen(avara_last_error_message()) < 1024);

            /* avara_client_new() takes the key and the base URL directly. */
            if (strcmp(parameter, "api_key") == 0) {
                snprintf(label, sizeof label, "client_new 1 MiB %s", huge_cases[i].label);
                expect_invalid(label, avara_client_new(value, base_url, &rejected), parameter);
                expect_true("client_new 1 MiB key clears out_client", rejected == NULL);
            } else if (strcmp(parameter, "base_url") == 0) {
                snprintf(label, sizeof label, "client_new 1 MiB %s", huge_cases[i].label);
                expect_invalid(label, avara_client_new(key, value, &rejected), parameter);
                expect_true("client_new 1 MiB URL clears out_client", rejected == NULL);
            }
            free(value);
        }
    }

    /* Accessors and free functions with NULL. */
    expect_true("response_success NULL", !avara_users_response_success(NULL));
    expect_true("response_message NULL", avara_users_response_message(NULL) == NULL);
    avara_users_response_free(NULL);
    avara_client_free(NULL);
    avara_client_options_free(NULL);
    expect_true("status_name unknown", strcmp(avara_status_name(-7), "AVARA_STATUS_UNKNOWN") == 0);
    expect_true("status_name known", strcmp(avara_status_name(AVARA_STATUS_NOT_FOUND), "AVARA_STATUS_NOT_FOUND") == 0);
    expect_invalid("log level 9", avara_set_log_level(9), "level");
    expect_invalid("log level -1", avara_set_log_level(-1), "level");
    expect_true("version", strlen(avara_version()) > 0);

    free(huge);
    avara_client_options_free(options);
    avara_client_free(client);
    printf("argument_checks: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
