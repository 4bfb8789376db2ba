/*
 * The libcurl contestant: one easy handle per thread, reused for every
 * call so that its connection stays alive, sending the same method, path,
 * headers and body as libavara. DELETE keeps its body through
 * CURLOPT_CUSTOMREQUEST. A call succeeds on status 200 with
 * "success":true in the body; the body is searched, not parsed as JSON.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "harness.h"

/* libavara's default timeouts, so both clients run under the same limits. */
#define REQUEST_TIMEOUT_MS 60000L
#define CONNECT_TIMEOUT_MS 5000L

typedef struct {
    CURL *handle;
    struct curl_slist *headers;
    char *url;
    char *body;
    char error[CURL_ERROR_SIZE];
    /* Response body, reused across calls. */
    char *response;
    size_t response_length;
    size_t response_capacity;
} CurlContext;

static size_t append_response(char *data, size_t size, size_t count, void *user_data) {
    CurlContext *context = user_data;
    size_t length = size * count;

    if (context->response_length + length > context->response_capacity) {
        size_t capacity = 2 * (context->response_length + length);
        char *grown = realloc(context->response, capacity);
        if (grown == NULL) {
            return 0;
        }
        context->response = grown;
        context->response_capacity = capacity;
    }
    memcpy(context->response + context->response_length, data, length);
    context->response_length += length;
    return length;
}

/* Returns a newly allocated string formatted like printf, or NULL. */
static char *format_string(const char *format, ...) {
    va_list arguments;
    int length;
    char *text;

    va_start(arguments, format);
    length = vsnprintf(NULL, 0, format, arguments);
    va_end(arguments);
    if (length < 0 || (text = malloc((size_t)length + 1)) == NULL) {
        return NULL;
    }
    va_start(arguments, format);
    vsnprintf(text, (size_t)length + 1, format, arguments);
    va_end(arguments);
    return text;
}

static bool curl_bench_global_init(const BenchConfig *config) {
    (void)config;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "curl_global_init failed\n");
        return false;
    }
    return true;
}

static void curl_thread_free(void *opaque) {
    CurlContext *context = opaque;
    if (context == NULL) {
        return;
    }
    curl_easy_cleanup(context->handle);
    curl_slist_free_all(context->headers);
    free(context->url);
    free(context->body);
    free(context->response);
    free(context);
}

static void *curl_thread_init(const BenchConfig *config) {
    CurlContext *context = calloc(1, sizeof *context);
    /* libavara also sends Accept-Encoding: gzip. nginx answers this
     * config uncompressed, so curl needs no decoder for it. */
    const char *fixed_headers[] = {
        "Accept-Encoding: gzip",
        "Content-Type: application/json",
        "Accept: application/json",
        "x-stainless-retry-count: 0",
    };
    char *authorization;
    char *user_agent;

    if (context == NULL) {
        return NULL;
    }
    context->handle = curl_easy_init();
    context->url = format_string("%s/v1/express/%s/users", config->base_url, config->customer_id);
    context->body = format_string("{\"userId\":\"%s\"}", config->user_id);
    authorization = format_string("Authorization: Bearer %s", config->api_key);
    user_agent = format_string("User-Agent: %s", config->user_agent);
    if (context->handle == NULL || context->url == NULL || context->body == NULL ||
        authorization == NULL || user_agent == NULL) {
        free(authorization);
        free(user_agent);
        curl_thread_free(context);
        return NULL;
    }

    /* The header order matches libavara's. curl_slist_append copies. */
    context->headers = curl_slist_append(context->headers, authorization);
    for (size_t i = 0; i < sizeof fixed_headers / sizeof fixed_headers[0]; i++) {
        context->headers = curl_slist_append(context->headers, fixed_headers[i]);
        if (i == 2) {
            context->headers = curl_slist_append(context->headers, user_agent);
        }
    }
    free(authorization);
    free(user_agent);

    curl_easy_setopt(context->handle, CURLOPT_URL, context->url);
    curl_easy_setopt(context->handle, CURLOPT_HTTPHEADER, context->headers);
    curl_easy_setopt(context->handle, CURLOPT_POSTFIELDS, context->body);
    curl_easy_setopt(context->handle, CURLOPT_POSTFIELDSIZE, (long)strlen(context->body));
    curl_easy_setopt(context->handle, CURLOPT_WRITEFUNCTION, append_response);
    curl_easy_setopt(context->handle, CURLOPT_WRITEDATA, context);
    curl_easy_setopt(context->handle, CURLOPT_ERRORBUFFER, context->error);
    curl_easy_setopt(context->handle, CURLOPT_TIMEOUT_MS, REQUEST_TIMEOUT_MS);
    curl_easy_setopt(context->handle, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    curl_easy_setopt(context->handle, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(context->handle, CURLOPT_NOSIGNAL, 1L);
    /* No proxy from the environment: the bench talks to loopback only. */
    curl_easy_setopt(context->handle, CURLOPT_PROXY, "");
    return context;
}

static bool curl_call(void *opaque, const BenchConfig *config, bool remove) {
    CurlContext *context = opaque;
    long status = 0;
    CURLcode code;

    (void)config;
    /* NULL restores the default method, which is POST with POSTFIELDS set. */
    curl_easy_setopt(context->handle, CURLOPT_CUSTOMREQUEST, remove ? "DELETE" : NULL);
    context->response_length = 0;
    code = curl_easy_perform(context->handle);
    if (code != CURLE_OK) {
        fprintf(stderr, "%s failed: %s: %s\n", remove ? "remove" : "add",
                curl_easy_strerror(code), context->error);
        return false;
    }
    curl_easy_getinfo(context->handle, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) {
        fprintf(stderr, "%s failed: HTTP %ld\n", remove ? "remove" : "add", status);
        return false;
    }
    return memmem(context->response, context->response_length, "\"success\":true", 14) != NULL;
}

static void curl_bench_global_free(void) {
    curl_global_cleanup();
}

static const char *curl_bench_version(void) {
    return curl_version_info(CURLVERSION_NOW)->version;
}

int main(int argc, char **argv) {
    static const BenchContestant contestant = {
        .name = "libcurl",
        .version = curl_bench_version,
        .global_init = curl_bench_global_init,
        .thread_init = curl_thread_init,
        .call = curl_call,
        .thread_free = curl_thread_free,
        .global_free = curl_bench_global_free,
    };
    return bench_main(argc, argv, &contestant);
}
