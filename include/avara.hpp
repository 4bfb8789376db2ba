/*
 * libavara for C++17: RAII handles and exceptions over the C API in
 * avara.h. Header-only; link with -lavara as for C.
 *
 *     avara::Client client(avara::ClientOptions()
 *                              .api_key("sk_live_...")
 *                              .timeout(std::chrono::seconds(10)));
 *     avara::UsersResponse added = client.express_users_add(
 *         "cus_0123456789abcdef0123456789abcdef",
 *         "usr_00000000000000000000000000000001");
 *
 * Every call that fails throws avara::Error, which carries the AvaraStatus,
 * the HTTP status, the server's message and the request id. Types are
 * move-only. A moved-from object has no handle, and calls on it throw
 * avara::Error with Status::invalid_argument and a message that names the
 * moved-from type.
 *
 * Needs C++17 or later (std::optional, if constexpr).
 *
 * Threads: one Client may be used by several threads at once (its methods
 * are const). A ClientOptions must not be changed by two threads at once.
 */

#ifndef AVARA_HPP
#define AVARA_HPP

/* MSVC keeps __cplusplus at 199711L unless /Zc:__cplusplus is given, and
 * reports the language version in _MSVC_LANG instead. The rest of the
 * header is skipped for an older language, so the #error is the only
 * message. */
#if defined(_MSVC_LANG) && _MSVC_LANG < 201703L
#error "avara.hpp needs C++17 or later; compile with /std:c++17 or a later /std option"
#elif !defined(_MSVC_LANG) && (!defined(__cplusplus) || __cplusplus < 201703L)
#error "avara.hpp needs C++17 or later; compile with -std=c++17 or later, or include avara.h from C"
#else

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <ratio>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "avara.h"

namespace avara {

/** The C AvaraStatus values, with the same numbers. */
enum class Status : int {
    ok = AVARA_STATUS_OK,
    invalid_argument = AVARA_STATUS_INVALID_ARGUMENT,
    missing_api_key = AVARA_STATUS_MISSING_API_KEY,
    connection_failed = AVARA_STATUS_CONNECTION_FAILED,
    timed_out = AVARA_STATUS_TIMED_OUT,
    bad_request = AVARA_STATUS_BAD_REQUEST,
    authentication = AVARA_STATUS_AUTHENTICATION,
    permission_denied = AVARA_STATUS_PERMISSION_DENIED,
    not_found = AVARA_STATUS_NOT_FOUND,
    conflict = AVARA_STATUS_CONFLICT,
    unprocessable_entity = AVARA_STATUS_UNPROCESSABLE_ENTITY,
    rate_limited = AVARA_STATUS_RATE_LIMITED,
    internal_server_error = AVARA_STATUS_INTERNAL_SERVER_ERROR,
    http_status = AVARA_STATUS_HTTP_STATUS,
    invalid_response = AVARA_STATUS_INVALID_RESPONSE,
    internal_error = AVARA_STATUS_INTERNAL_ERROR,
};

/** The C AvaraLogLevel values, with the same numbers. */
enum class LogLevel : int {
    off = AVARA_LOG_LEVEL_OFF,
    error = AVARA_LOG_LEVEL_ERROR,
    warn = AVARA_LOG_LEVEL_WARN,
    info = AVARA_LOG_LEVEL_INFO,
    debug = AVARA_LOG_LEVEL_DEBUG,
};

/** Returns the C name of a status, such as "AVARA_STATUS_NOT_FOUND". */
inline const char *status_name(Status status) noexcept {
    return avara_status_name(static_cast<int>(status));
}

/** Returns the version of the loaded libavara, such as "0.1.0". */
inline std::string version() { return avara_version(); }

namespace detail {
inline std::optional<std::string> optional_string(const char *text) {
    if (text == nullptr) {
        return std::nullopt;
    }
    return std::string(text);
}
}  // namespace detail

/**
 * A failed libavara call. what() is libavara's message: what failed, on
 * which value, and what to do next. It never contains the API key.
 */
class Error : public std::runtime_error {
public:
    Error(Status status, const std::string &message, std::uint16_t http_status = 0,
          std::optional<std::string> server_message = std::nullopt,
          std::optional<std::string> request_id = std::nullopt, std::uint32_t attempts = 0,
          bool retries_exhausted = false)
        : std::runtime_error(message),
          status_(status),
          http_status_(http_status),
          server_message_(std::move(server_message)),
          request_id_(std::move(request_id)),
          attempts_(attempts),
          retries_exhausted_(retries_exhausted) {}

    /**
     * Builds the error for `status`, which a libavara call on this thread
     * has just returned, from the thread's last-error record. Call it
     * before any other libavara call on the thread replaces the record.
     */
    static Error from_last_error(AvaraStatus status) {
        return Error(static_cast<Status>(status), avara_last_error_message(),
                     avara_last_error_http_status(),
                     detail::optional_string(avara_last_error_server_message()),
                     detail::optional_string(avara_last_error_request_id()),
                     avara_last_error_attempts(), avara_last_error_retries_exhausted());
    }

    /** The libavara status, never Status::ok. */
    Status status() const noexcept { return status_; }
    /** The C name of status(), such as "AVARA_STATUS_NOT_FOUND". */
    const char *status_name() const noexcept { return avara::status_name(status_); }
    /** The HTTP status of the failed response, or 0 when none arrived. */
    std::uint16_t http_status() const noexcept { return http_status_; }
    /** The server's explanation: the JSON body's message, else its error,
     *  else the body text, cut at 1024 bytes. Empty when there was no body. */
    const std::optional<std::string> &server_message() const noexcept { return server_message_; }
    /** The response's x-request-id, to quote to Avara support. */
    const std::optional<std::string> &request_id() const noexcept { return request_id_; }
    /** HTTP attempts made: 0 when rejected before any traffic. */
    std::uint32_t attempts() const noexcept { return attempts_; }
    /** Whether the failure was retryable but the retries ran out. */
    bool retries_exhausted() const noexcept { return retries_exhausted_; }

private:
    Status status_;
    std::uint16_t http_status_;
    std::optional<std::string> server_message_;
    std::optional<std::string> request_id_;
    std::uint32_t attempts_;
    bool retries_exhausted_;
};

namespace detail {
inline void check(AvaraStatus status) {
    if (status != AVARA_STATUS_OK) {
        throw Error::from_last_error(status);
    }
}

/** Returns `text` as a C string, throwing Error (Status::invalid_argument)
 *  when it contains a NUL byte, which would cut the C string short. */
inline const char *c_string(const std::string &text, const char *name) {
    if (text.find('\0') != std::string::npos) {
        throw Error(Status::invalid_argument,
                    std::string("invalid ") + name + ": the value contains a NUL byte");
    }
    return text.c_str();
}

/** Formats a duration as its count and unit, such as "-5 ms" or "500 us". */
template <class Rep, class Period>
std::string duration_text(std::chrono::duration<Rep, Period> duration) {
    std::string unit;
    if constexpr (std::is_same_v<Period, std::nano>) {
        unit = "ns";
    } else if constexpr (std::is_same_v<Period, std::micro>) {
        unit = "us";
    } else if constexpr (std::is_same_v<Period, std::milli>) {
        unit = "ms";
    } else if constexpr (std::is_same_v<Period, std::ratio<1>>) {
        unit = "s";
    } else if constexpr (std::is_same_v<Period, std::ratio<60>>) {
        unit = "min";
    } else if constexpr (std::is_same_v<Period, std::ratio<3600>>) {
        unit = "h";
    } else {
        unit = "x " + std::to_string(Period::num) + "/" + std::to_string(Period::den) + " s";
    }
    return std::to_string(duration.count()) + " " + unit;
}

/**
 * Converts the duration passed to the setter `name` into the whole
 * milliseconds the C API takes. Throws Error (Status::invalid_argument)
 * that names the duration as passed when it is negative, is not a whole
 * number of milliseconds, or is too large to convert. `range` is the
 * setter's range for the message. libavara checks the range itself, and
 * its message names the value in milliseconds.
 */
template <class Rep, class Period>
std::uint64_t to_milliseconds(std::chrono::duration<Rep, Period> duration, const char *name,
                              const char *range) {
    static_assert(std::is_integral_v<Rep>,
                  "avara timeouts take an integer std::chrono::duration; convert a "
                  "floating-point one with std::chrono::round<std::chrono::milliseconds>");
    using std::chrono::milliseconds;
    const std::string prefix = std::string("invalid ") + name + ": " + duration_text(duration);
    const std::string expected = std::string("pass a whole number of milliseconds from ") + range;

    if (duration < std::chrono::duration<Rep, Period>::zero()) {
        throw Error(Status::invalid_argument, prefix + " is negative; " + expected);
    }
    // A unit coarser than milliseconds could overflow the conversion, so
    // the size is checked in floating point first. Half the maximum leaves
    // room for rounding where long double is only a double, as on MSVC.
    if constexpr (std::ratio_greater_v<Period, std::milli>) {
        const std::chrono::duration<long double, std::milli> exact = duration;
        if (exact.count() > static_cast<long double>(milliseconds::max().count() / 2)) {
            throw Error(Status::invalid_argument, prefix + " is out of range; " + expected);
        }
    }
    const milliseconds whole = std::chrono::duration_cast<milliseconds>(duration);
    if (whole != duration) {
        throw Error(Status::invalid_argument,
                    prefix + " is not a whole number of milliseconds; libavara takes whole " +
                        "milliseconds from " + range + ", so round it first, for example " +
                        "with std::chrono::ceil<std::chrono::milliseconds>");
    }
    return static_cast<std::uint64_t>(whole.count());
}

/** Returns the error for a call on a moved-from `type` object. Such an
 *  object has no handle, and the C API would report only a NULL pointer. */
inline Error moved_from_error(const char *parameter, const char *type) {
    return Error(Status::invalid_argument,
                 std::string("invalid ") + parameter + ": the " + type +
                     " object was moved from; use the object it was moved to, or create a new one");
}
}  // namespace detail

/** Sets the most verbose level libavara logs, for the whole process. */
inline void set_log_level(LogLevel level) {
    detail::check(avara_set_log_level(static_cast<int>(level)));
}

/** Returns the most verbose level libavara logs now. */
inline LogLevel log_level() noexcept { return static_cast<LogLevel>(avara_log_level()); }

/** The body of a successful add or remove. */
struct UsersResponse {
    bool success = false;
    /** The server's message, or empty when it sent none. */
    std::optional<std::string> message;
};

/**
 * Options for a new Client, set by chained calls. Each setter checks its
 * value at once and throws Error (Status::invalid_argument) for a bad one.
 * Options left unset fall back to the environment (AVARA_API_KEY,
 * AVARA_BASE_URL, AVARA_CUSTOM_HEADERS, HTTPS_PROXY, ...) and then to the
 * defaults documented in avara.h.
 */
class ClientOptions {
public:
    ClientOptions() { detail::check(avara_client_options_new(&handle_)); }
    ~ClientOptions() { avara_client_options_free(handle_); }

    ClientOptions(ClientOptions &&other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
    ClientOptions &operator=(ClientOptions &&other) noexcept {
        if (this != &other) {
            avara_client_options_free(handle_);
            handle_ = std::exchange(other.handle_, nullptr);
        }
        return *this;
    }
    ClientOptions(const ClientOptions &) = delete;
    ClientOptions &operator=(const ClientOptions &) = delete;

    /** Sets the API key, sent as "Authorization: Bearer <key>". */
    ClientOptions &api_key(const std::string &key) {
        detail::check(
            avara_client_options_set_api_key(checked_handle(), detail::c_string(key, "api_key")));
        return *this;
    }
    /** Sets the base URL, such as "https://api.avarasoftware.com". */
    ClientOptions &base_url(const std::string &url) {
        detail::check(
            avara_client_options_set_base_url(checked_handle(), detail::c_string(url, "base_url")));
        return *this;
    }
    /** Sets the bound on one attempt: whole milliseconds from 1 ms to 1
     *  hour, default 60 s. Any integer std::chrono::duration is accepted. */
    template <class Rep, class Period>
    ClientOptions &timeout(std::chrono::duration<Rep, Period> duration) {
        std::uint64_t milliseconds = detail::to_milliseconds(duration, "timeout", "1 ms to 1 hour");
        detail::check(avara_client_options_set_timeout_ms(checked_handle(), milliseconds));
        return *this;
    }
    /** Sets the bound on connection setup: whole milliseconds from 1 ms to
     *  10 minutes, default 5 s. Any integer std::chrono::duration is accepted. */
    template <class Rep, class Period>
    ClientOptions &connect_timeout(std::chrono::duration<Rep, Period> duration) {
        std::uint64_t milliseconds =
            detail::to_milliseconds(duration, "connect_timeout", "1 ms to 10 minutes");
        detail::check(avara_client_options_set_connect_timeout_ms(checked_handle(), milliseconds));
        return *this;
    }
    /** Sets how many times a failed attempt is retried: 0 to 10, default 2. */
    ClientOptions &max_retries(std::uint32_t retries) {
        detail::check(avara_client_options_set_max_retries(checked_handle(), retries));
        return *this;
    }
    /** Adds a header sent with every request. A later one of the same name wins. */
    ClientOptions &default_header(const std::string &name, const std::string &value) {
        detail::check(avara_client_options_add_default_header(
            checked_handle(), detail::c_string(name, "header name"),
            detail::c_string(value, "header value")));
        return *this;
    }
    /** Sets text appended to the User-Agent, such as "pacs-bridge/2.1". */
    ClientOptions &user_agent_suffix(const std::string &suffix) {
        detail::check(avara_client_options_set_user_agent_suffix(
            checked_handle(), detail::c_string(suffix, "user_agent_suffix")));
        return *this;
    }
    /** Sets an HTTP or HTTPS proxy URL, used instead of the proxy environment variables. */
    ClientOptions &proxy(const std::string &url) {
        detail::check(
            avara_client_options_set_proxy(checked_handle(), detail::c_string(url, "proxy")));
        return *this;
    }
    /** Trusts the CA certificates in this PEM file instead of the platform's. */
    ClientOptions &ca_bundle_file(const std::string &path) {
        detail::check(avara_client_options_set_ca_bundle_file(
            checked_handle(), detail::c_string(path, "ca_bundle_file")));
        return *this;
    }

    /** Returns the C handle, still owned by this object, or NULL after a move. */
    const AvaraClientOptions *get() const noexcept { return handle_; }

private:
    /** Returns the handle, throwing Error (Status::invalid_argument) after a move. */
    AvaraClientOptions *checked_handle() const {
        if (handle_ == nullptr) {
            throw detail::moved_from_error("options", "avara::ClientOptions");
        }
        return handle_;
    }

    AvaraClientOptions *handle_ = nullptr;
};

/**
 * A client for the Avara API: settings plus a pool of keep-alive
 * connections. Thread-safe and move-only. The destructor frees the handle.
 */
class Client {
public:
    /** Creates a client configured from the environment only. */
    Client() { detail::check(avara_client_new_with_options(nullptr, &handle_)); }

    /** Creates a client with `options`, which are copied. Throws
     *  Error (Status::invalid_argument) for moved-from options, which
     *  the C API would otherwise read as "no options at all". */
    explicit Client(const ClientOptions &options) {
        detail::check(avara_client_new_with_options(checked_options(options), &handle_));
    }

    ~Client() { avara_client_free(handle_); }

    Client(Client &&other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
    Client &operator=(Client &&other) noexcept {
        if (this != &other) {
            avara_client_free(handle_);
            handle_ = std::exchange(other.handle_, nullptr);
        }
        return *this;
    }
    Client(const Client &) = delete;
    Client &operator=(const Client &) = delete;

    /**
     * Returns a client that shares this one's connection pool, with the
     * options set in `options` changed and the rest kept. Setting a proxy
     * or a CA bundle throws, since those belong to the shared pool. The two
     * clients are independent and may be destroyed in any order.
     */
    Client with_options(const ClientOptions &options) const {
        AvaraClient *derived = nullptr;
        detail::check(
            avara_client_with_options(checked_handle(), checked_options(options), &derived));
        return Client(derived);
    }

    /**
     * Adds a user to an Express customer: POST
     * /v1/express/{express_customer_id}/users. IDs are "cus_" and "usr_"
     * followed by 32 hex digits. Blocks until the call succeeds, fails
     * (after retries) or times out; throws Error on failure.
     */
    UsersResponse express_users_add(const std::string &express_customer_id,
                                    const std::string &user_id) const {
        return users_call(avara_express_users_add, express_customer_id, user_id);
    }

    /**
     * Removes a user from an Express customer: DELETE
     * /v1/express/{express_customer_id}/users. The user account stays
     * active. Otherwise as express_users_add().
     */
    UsersResponse express_users_remove(const std::string &express_customer_id,
                                       const std::string &user_id) const {
        return users_call(avara_express_users_remove, express_customer_id, user_id);
    }

    /** Returns the C handle, still owned by this object, or NULL after a move. */
    const AvaraClient *get() const noexcept { return handle_; }

private:
    explicit Client(AvaraClient *handle) noexcept : handle_(handle) {}

    /** Returns the handle, throwing Error (Status::invalid_argument) after a move. */
    const AvaraClient *checked_handle() const {
        if (handle_ == nullptr) {
            throw detail::moved_from_error("client", "avara::Client");
        }
        return handle_;
    }

    /** Returns the options' handle, throwing Error (Status::invalid_argument)
     *  for moved-from options, which the C API would read as "no options". */
    static const AvaraClientOptions *checked_options(const ClientOptions &options) {
        if (options.get() == nullptr) {
            throw detail::moved_from_error("options", "avara::ClientOptions");
        }
        return options.get();
    }

    using UsersFunction = AvaraStatus (*)(const AvaraClient *, const char *, const char *,
                                          AvaraUsersResponse **);
    struct ResponseDeleter {
        void operator()(AvaraUsersResponse *response) const noexcept {
            avara_users_response_free(response);
        }
    };

    UsersResponse users_call(UsersFunction function, const std::string &express_customer_id,
                             const std::string &user_id) const {
        AvaraUsersResponse *raw = nullptr;
        detail::check(function(checked_handle(),
                               detail::c_string(express_customer_id, "express_customer_id"),
                               detail::c_string(user_id, "user_id"), &raw));
        std::unique_ptr<AvaraUsersResponse, ResponseDeleter> response(raw);

        UsersResponse result;
        result.success = avara_users_response_success(response.get());
        result.message = detail::optional_string(avara_users_response_message(response.get()));
        return result;
    }

    AvaraClient *handle_ = nullptr;
};

}  // namespace avara

#endif /* C++17 or later */
#endif /* AVARA_HPP */
