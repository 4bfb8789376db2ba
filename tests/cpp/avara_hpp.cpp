/*
 * Checks include/avara.hpp against the stand-in server. Run by
 * tests/cpp_wrapper.rs, which starts the stand-in with its default seed,
 * scripts answers where a case needs them, and runs one case per process.
 *
 * Usage: avara_hpp CASE BASE_URL
 *
 * Prints "ok" and exits 0 when every check of the case passes; otherwise
 * prints each failed check with its line and exits 1. Exits 2 on a usage
 * error.
 */
#include <chrono>
#include <cstring>
#include <functional>
#include <iostream>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "avara.hpp"

namespace {

// The stand-in's default seed (avara-mock --help).
const std::string api_key = "sk_live_00000000000000000000000000000000";
const std::string customer_id = "cus_0123456789abcdef0123456789abcdef";
const std::string user_id = "usr_00000000000000000000000000000001";
const std::string second_user_id = "usr_00000000000000000000000000000002";
const std::string member_user_id = "usr_00000000000000000000000000000003";
const std::string unknown_customer_id = "cus_99999999999999999999999999999999";

int failures = 0;

#define CHECK(condition)                                                        \
    do {                                                                        \
        if (!(condition)) {                                                     \
            std::cout << "FAILED line " << __LINE__ << ": " #condition << '\n'; \
            failures++;                                                         \
        }                                                                       \
    } while (0)

// Moving and not copying is part of the wrapper's contract.
static_assert(!std::is_copy_constructible_v<avara::Client>);
static_assert(!std::is_copy_assignable_v<avara::Client>);
static_assert(std::is_nothrow_move_constructible_v<avara::Client>);
static_assert(std::is_nothrow_move_assignable_v<avara::Client>);
static_assert(!std::is_copy_constructible_v<avara::ClientOptions>);
static_assert(std::is_nothrow_move_constructible_v<avara::ClientOptions>);
static_assert(std::is_base_of_v<std::runtime_error, avara::Error>);

/* Runs `action` and returns the avara::Error it throws, or a sentinel
 * Error with Status::ok (and a failed check) when it throws nothing. */
avara::Error expect_error(int line, const std::function<void()> &action) {
    try {
        action();
    } catch (const avara::Error &error) {
        return error;
    }
    std::cout << "FAILED line " << line << ": no avara::Error was thrown\n";
    failures++;
    return avara::Error(avara::Status::ok, "nothing thrown");
}

bool contains(const char *text, const std::string &part) {
    return std::string(text).find(part) != std::string::npos;
}

avara::ClientOptions options_for(const std::string &base_url) {
    avara::ClientOptions options;
    options.api_key(api_key).base_url(base_url).max_retries(0).timeout(
        std::chrono::seconds(10));
    return options;
}

void add_remove(const std::string &base_url) {
    avara::Client client(options_for(base_url));

    avara::UsersResponse added = client.express_users_add(customer_id, user_id);
    CHECK(added.success);
    CHECK(added.message.has_value());
    CHECK(added.message.value_or("").find(user_id) != std::string::npos);

    avara::UsersResponse removed = client.express_users_remove(customer_id, user_id);
    CHECK(removed.success);
    CHECK(removed.message.has_value());
}

void status_errors(const std::string &base_url) {
    avara::Client client(options_for(base_url));

    avara::Error conflict =
        expect_error(__LINE__, [&] { client.express_users_add(customer_id, member_user_id); });
    CHECK(conflict.status() == avara::Status::conflict);
    CHECK(std::strcmp(conflict.status_name(), "AVARA_STATUS_CONFLICT") == 0);
    CHECK(conflict.http_status() == 409);
    CHECK(conflict.server_message().has_value());
    CHECK(conflict.server_message().value_or("").find(member_user_id) != std::string::npos);
    CHECK(conflict.request_id().has_value());
    CHECK(conflict.request_id().value_or("").rfind("req_", 0) == 0);
    CHECK(conflict.attempts() == 1);
    CHECK(std::string(conflict.what()).find("409") != std::string::npos);

    avara::Error not_found = expect_error(
        __LINE__, [&] { client.express_users_remove(unknown_customer_id, user_id); });
    CHECK(not_found.status() == avara::Status::not_found);
    CHECK(not_found.http_status() == 404);

    // Callers that only know std::runtime_error still get the message.
    try {
        client.express_users_remove(customer_id, second_user_id);
        CHECK(false);
    } catch (const std::runtime_error &error) {
        CHECK(std::string(error.what()).find(second_user_id) != std::string::npos);
    }
}

void retries_exhausted(const std::string &base_url) {
    // The driver scripts three 503 answers with a short retry-after-ms.
    avara::Client client(avara::ClientOptions().api_key(api_key).base_url(base_url).max_retries(2));

    avara::Error error =
        expect_error(__LINE__, [&] { client.express_users_add(customer_id, user_id); });
    CHECK(error.status() == avara::Status::internal_server_error);
    CHECK(error.http_status() == 503);
    CHECK(error.attempts() == 3);
    CHECK(error.retries_exhausted());
}

void timeout(const std::string &base_url) {
    // The driver scripts a 3 s delay for the next answer.
    avara::Client client(
        options_for(base_url).timeout(std::chrono::milliseconds(200)));

    auto started = std::chrono::steady_clock::now();
    avara::Error error =
        expect_error(__LINE__, [&] { client.express_users_add(customer_id, user_id); });
    auto elapsed = std::chrono::steady_clock::now() - started;
    CHECK(error.status() == avara::Status::timed_out);
    CHECK(error.http_status() == 0);
    CHECK(elapsed < std::chrono::seconds(2));
}

void connection_failed(const std::string &base_url) {
    // The driver passes the URL of a port that nothing listens on.
    avara::Client client(options_for(base_url));

    avara::Error error =
        expect_error(__LINE__, [&] { client.express_users_add(customer_id, user_id); });
    CHECK(error.status() == avara::Status::connection_failed);
    CHECK(!error.server_message().has_value());
}

/* Checks the timeout setters, which reject some values in the wrapper and
 * pass the rest to libavara. Part of the invalid_arguments case. */
void check_invalid_timeouts() {
    avara::ClientOptions options;

    // The wrapper rejects what libavara cannot take and names the value as
    // passed, in the caller's unit.
    avara::Error negative =
        expect_error(__LINE__, [&] { options.timeout(std::chrono::milliseconds(-5)); });
    CHECK(negative.status() == avara::Status::invalid_argument);
    CHECK(contains(negative.what(), "invalid timeout: -5 ms is negative"));
    CHECK(contains(negative.what(), "whole number of milliseconds from 1 ms to 1 hour"));

    avara::Error negative_connect =
        expect_error(__LINE__, [&] { options.connect_timeout(std::chrono::seconds(-1)); });
    CHECK(negative_connect.status() == avara::Status::invalid_argument);
    CHECK(contains(negative_connect.what(), "invalid connect_timeout: -1 s is negative"));
    CHECK(contains(negative_connect.what(), "from 1 ms to 10 minutes"));

    avara::Error sub_millisecond =
        expect_error(__LINE__, [&] { options.timeout(std::chrono::microseconds(500)); });
    CHECK(sub_millisecond.status() == avara::Status::invalid_argument);
    CHECK(contains(sub_millisecond.what(),
                   "invalid timeout: 500 us is not a whole number of milliseconds"));

    avara::Error fraction = expect_error(
        __LINE__, [&] { options.connect_timeout(std::chrono::nanoseconds(1500000)); });
    CHECK(fraction.status() == avara::Status::invalid_argument);
    CHECK(contains(fraction.what(),
                   "invalid connect_timeout: 1500000 ns is not a whole number of milliseconds"));

    // Converting this to milliseconds would overflow.
    avara::Error huge =
        expect_error(__LINE__, [&] { options.timeout(std::chrono::hours::max()); });
    CHECK(huge.status() == avara::Status::invalid_argument);
    CHECK(contains(huge.what(), " h is out of range"));

    // Whole milliseconds go to libavara, which checks the range.
    avara::Error zero =
        expect_error(__LINE__, [&] { options.timeout(std::chrono::milliseconds(0)); });
    CHECK(zero.status() == avara::Status::invalid_argument);
    CHECK(contains(zero.what(), "0 ms is out of range"));

    avara::Error too_long = expect_error(__LINE__, [&] { options.timeout(std::chrono::hours(2)); });
    CHECK(too_long.status() == avara::Status::invalid_argument);
    CHECK(contains(too_long.what(), "7200000 ms is out of range"));

    // Whole milliseconds in a finer unit are accepted. A throw here fails the case.
    options.timeout(std::chrono::microseconds(2000));
    options.connect_timeout(std::chrono::nanoseconds(3000000));
    options.timeout(std::chrono::minutes(1));
}

void invalid_arguments(const std::string &base_url) {
    check_invalid_timeouts();

    avara::ClientOptions options;
    CHECK(expect_error(__LINE__, [&] { options.max_retries(11); }).status() ==
          avara::Status::invalid_argument);
    CHECK(expect_error(__LINE__, [&] { options.base_url("ftp://127.0.0.1"); }).status() ==
          avara::Status::invalid_argument);
    CHECK(expect_error(__LINE__, [&] { options.default_header("X-A", "b\r\nX-B: c"); })
              .status() == avara::Status::invalid_argument);
    CHECK(expect_error(__LINE__, [&] { options.api_key(std::string("sk_\0x", 5)); }).status() ==
          avara::Status::invalid_argument);

    avara::Client client(options_for(base_url));
    avara::Error bad_id =
        expect_error(__LINE__, [&] { client.express_users_add("cus_123", user_id); });
    CHECK(bad_id.status() == avara::Status::invalid_argument);
    CHECK(bad_id.attempts() == 0);
    CHECK(std::string(bad_id.what()).find("express_customer_id") != std::string::npos);

    avara::Error nul_id = expect_error(
        __LINE__, [&] { client.express_users_add(customer_id, user_id + std::string(1, '\0')); });
    CHECK(nul_id.status() == avara::Status::invalid_argument);
}

void missing_api_key(const std::string &base_url) {
    // The driver runs this case with AVARA_API_KEY unset.
    avara::Error error = expect_error(
        __LINE__, [&] { avara::Client client(avara::ClientOptions().base_url(base_url)); });
    CHECK(error.status() == avara::Status::missing_api_key);
}

void move_and_with_options(const std::string &base_url) {
    avara::Client first(options_for(base_url));
    avara::Client second = std::move(first);
    CHECK(first.get() == nullptr);
    CHECK(second.get() != nullptr);

    // A moved-from object reports the move, not the C API's NULL pointer.
    const std::string client_moved = "invalid client: the avara::Client object was moved from";
    avara::Error moved_from =
        expect_error(__LINE__, [&] { first.express_users_add(customer_id, user_id); });
    CHECK(moved_from.status() == avara::Status::invalid_argument);
    CHECK(contains(moved_from.what(), client_moved));
    CHECK(moved_from.attempts() == 0);

    avara::Error moved_remove =
        expect_error(__LINE__, [&] { first.express_users_remove(customer_id, user_id); });
    CHECK(moved_remove.status() == avara::Status::invalid_argument);
    CHECK(contains(moved_remove.what(), client_moved));

    avara::Error moved_parent =
        expect_error(__LINE__, [&] { first.with_options(avara::ClientOptions()); });
    CHECK(moved_parent.status() == avara::Status::invalid_argument);
    CHECK(contains(moved_parent.what(), client_moved));

    // Moved-from options must not fall back to the environment.
    const std::string options_moved =
        "invalid options: the avara::ClientOptions object was moved from";
    avara::ClientOptions options = options_for(base_url);
    avara::ClientOptions taken = std::move(options);
    avara::Error moved_options = expect_error(__LINE__, [&] { avara::Client client(options); });
    CHECK(moved_options.status() == avara::Status::invalid_argument);
    CHECK(contains(moved_options.what(), options_moved));

    avara::Error moved_derive = expect_error(__LINE__, [&] { second.with_options(options); });
    CHECK(moved_derive.status() == avara::Status::invalid_argument);
    CHECK(contains(moved_derive.what(), options_moved));

    avara::Error moved_setter = expect_error(__LINE__, [&] { options.max_retries(1); });
    CHECK(moved_setter.status() == avara::Status::invalid_argument);
    CHECK(contains(moved_setter.what(), options_moved));

    avara::Error moved_timeout =
        expect_error(__LINE__, [&] { options.timeout(std::chrono::seconds(1)); });
    CHECK(moved_timeout.status() == avara::Status::invalid_argument);
    CHECK(contains(moved_timeout.what(), options_moved));

    // The object moved to keeps working.
    taken.max_retries(1);

    avara::Client derived =
        second.with_options(avara::ClientOptions().default_header("X-Cpp-Test", "derived"));
    {
        // The parent may go first: the derived client keeps the pool alive.
        avara::Client parent = std::move(second);
    }
    CHECK(derived.express_users_add(customer_id, user_id).success);

    avara::Error proxy = expect_error(__LINE__, [&] {
        derived.with_options(avara::ClientOptions().proxy("http://127.0.0.1:9"));
    });
    CHECK(proxy.status() == avara::Status::invalid_argument);

    first = std::move(derived);
    CHECK(first.express_users_remove(customer_id, user_id).success);
}

void threads(const std::string &base_url) {
    const avara::Client client(options_for(base_url));
    // Two threads add the two free seeded users; two others fail with their
    // own unknown user, and each must see its own error details.
    const std::vector<std::string> users = {user_id, second_user_id,
                                            "usr_00000000000000000000000000000a01",
                                            "usr_00000000000000000000000000000a02"};
    std::vector<int> outcomes(users.size(), 0);
    std::vector<std::thread> workers;
    for (std::size_t i = 0; i < users.size(); i++) {
        workers.emplace_back([&, i] {
            try {
                outcomes[i] = client.express_users_add(customer_id, users[i]).success ? 1 : -1;
            } catch (const avara::Error &error) {
                bool own = error.status() == avara::Status::not_found &&
                           std::string(error.what()).find(users[i]) != std::string::npos;
                outcomes[i] = own ? 2 : -2;
            }
        });
    }
    for (std::thread &worker : workers) {
        worker.join();
    }
    CHECK(outcomes[0] == 1);
    CHECK(outcomes[1] == 1);
    CHECK(outcomes[2] == 2);
    CHECK(outcomes[3] == 2);
}

void log_level(const std::string &) {
    avara::LogLevel before = avara::log_level();
    avara::set_log_level(avara::LogLevel::debug);
    CHECK(avara::log_level() == avara::LogLevel::debug);
    avara::set_log_level(before);
    CHECK(avara::version() == std::string(avara_version()));
}

struct Case {
    const char *name;
    void (*run)(const std::string &base_url);
};

const Case cases[] = {
    {"add_remove", add_remove},
    {"status_errors", status_errors},
    {"retries_exhausted", retries_exhausted},
    {"timeout", timeout},
    {"connection_failed", connection_failed},
    {"invalid_arguments", invalid_arguments},
    {"missing_api_key", missing_api_key},
    {"move_and_with_options", move_and_with_options},
    {"threads", threads},
    {"log_level", log_level},
};

}  // namespace

int main(int argc, char **argv) {
    if (argc != 3) {
        std::cerr << "usage: " << argv[0] << " CASE BASE_URL\n";
        return 2;
    }
    for (const Case &test_case : cases) {
        if (std::strcmp(test_case.name, argv[1]) != 0) {
            continue;
        }
        try {
            test_case.run(argv[2]);
        } catch (const std::exception &error) {
            std::cout << "FAILED: unexpected exception: " << error.what() << '\n';
            failures++;
        }
        if (failures == 0) {
            std::cout << "ok\n";
        }
        return failures == 0 ? 0 : 1;
    }
    std::cerr << "unknown case " << argv[1] << '\n';
    return 2;
}
