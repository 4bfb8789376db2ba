/*
 * Checks avara_client_with_options(): a derived client with a short
 * timeout and a User-Agent suffix shares the parent's connections, and
 * outlives the parent.
 *
 * Usage: derived_client BASE_URL API_KEY CUSTOMER_ID USER_ID
 * Prints "step: STATUS_NAME" lines, and "ready" when it waits for a line
 * on stdin; the test that runs it scripts the stand-in meanwhile, and
 * reads its request log and connection count.
 */
#include <stdio.h>

#include "avara.h"

static void step(const char *name, AvaraStatus status) {
    printf("%s: %s\n", name, avara_status_name(status));
    if (status != AVARA_STATUS_OK) {
        printf("%s message: %s\n", name, avara_last_error_message());
    }
}

int main(int argc, char **argv) {
    AvaraClientOptions *parent_options = NULL, *child_options = NULL;
    AvaraClient *parent = NULL, *child = NULL;
    char line[16];

    if (argc != 5) {
        fprintf(stderr, "usage: %s BASE_URL API_KEY CUSTOMER_ID USER_ID\n", argv[0]);
        return 2;
    }
    avara_client_options_new(&parent_options);
    avara_client_options_set_base_url(parent_options, argv[1]);
    avara_client_options_set_api_key(parent_options, argv[2]);
    avara_client_options_set_max_retries(parent_options, 0);
    step("parent_new", avara_client_new_with_options(parent_options, &parent));
    avara_client_options_free(parent_options);

    avara_client_options_new(&child_options);
    avara_client_options_set_timeout_ms(child_options, 300);
    avara_client_options_set_user_agent_suffix(child_options, "bulk-job/1");
    step("child_new", avara_client_with_options(parent, child_options, &child));
    avara_client_options_free(child_options);

    /* One call each on a warm pool: both should reuse one connection. */
    step("parent_add", avara_express_users_add(parent, argv[3], argv[4], NULL));
    step("child_remove", avara_express_users_remove(child, argv[3], argv[4], NULL));

    /* The test now scripts a 1 s delay for the next two requests, then
     * sends a line: the child's 300 ms timeout fires, the parent's default
     * 60 s does not. */
    printf("ready\n");
    fflush(stdout);
    if (fgets(line, sizeof line, stdin) == NULL) {
        return 2;
    }
    step("child_slow_add", avara_express_users_add(child, argv[3], argv[4], NULL));
    /* The server still applies the timed-out add, so the parent removes. */
    step("parent_slow_remove", avara_express_users_remove(parent, argv[3], argv[4], NULL));

    /* The child keeps working after the parent is freed. */
    avara_client_free(parent);
    step("child_after_parent_free", avara_express_users_add(child, argv[3], argv[4], NULL));
    avara_client_free(child);
    return 0;
}
