//! The C++ wrapper `include/avara.hpp` end to end: `tests/cpp/avara_hpp.cpp`
//! and `examples/express_users.cpp`, compiled with `-std=c++17 -Wall
//! -Wextra -pedantic -Werror` against the built libavara, talking to the
//! stand-in server over loopback.

mod common;

use common::*;

/// Runs one case of `tests/cpp/avara_hpp.cpp` against `base_url` and
/// asserts that all its checks passed.
fn run_case(case: &str, base_url: &str) -> String {
    let program = compile("tests/cpp/avara_hpp.cpp", Language::Cxx17);
    let output = command(&program).args([case, base_url]).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success() && stdout.trim_end().ends_with("ok"),
        "case {case} failed:\n{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn cpp_add_and_remove() {
    let server = Server::start(Config::default()).unwrap();

    run_case("add_remove", &server.base_url());

    let methods: Vec<String> = server.requests().into_iter().map(|r| r.method).collect();
    assert_eq!(methods, ["POST", "DELETE"]);
    assert!(!server
        .members(DEFAULT_CUSTOMER_ID)
        .contains(&DEFAULT_USER_ID.to_owned()));
}

#[test]
fn cpp_status_errors() {
    let server = Server::start(Config::default()).unwrap();
    run_case("status_errors", &server.base_url());
}

#[test]
fn cpp_retries_exhausted() {
    let server = Server::start(Config::default()).unwrap();
    let unavailable = answer(503, "{}", &[("retry-after-ms", "5")]);
    server.script(vec![unavailable.clone(), unavailable.clone(), unavailable]);

    run_case("retries_exhausted", &server.base_url());

    assert_eq!(server.requests().len(), 3);
}

#[test]
fn cpp_timeout() {
    let server = Server::start(Config::default()).unwrap();
    server.script(vec![ScriptedAnswer {
        delay_ms: Some(3000),
        ..ScriptedAnswer::default()
    }]);
    run_case("timeout", &server.base_url());
}

#[test]
fn cpp_connection_failed() {
    run_case(
        "connection_failed",
        &format!("http://127.0.0.1:{}", closed_port()),
    );
}

#[test]
fn cpp_invalid_arguments_send_nothing() {
    let server = Server::start(Config::default()).unwrap();

    run_case("invalid_arguments", &server.base_url());

    assert!(server.requests().is_empty());
}

#[test]
fn cpp_missing_api_key() {
    let server = Server::start(Config::default()).unwrap();
    // command() clears AVARA_API_KEY.
    run_case("missing_api_key", &server.base_url());
}

#[test]
fn cpp_move_and_with_options() {
    let server = Server::start(Config::default()).unwrap();

    run_case("move_and_with_options", &server.base_url());

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(request.header("x-cpp-test"), Some("derived"));
    }
}

#[test]
fn cpp_threads_share_client() {
    let server = Server::start(Config::default()).unwrap();

    run_case("threads", &server.base_url());

    let members = server.members(DEFAULT_CUSTOMER_ID);
    assert!(members.contains(&DEFAULT_USER_ID.to_owned()));
    assert!(members.contains(&SECOND_USER_ID.to_owned()));
}

#[test]
fn cpp_log_level() {
    run_case("log_level", "http://127.0.0.1:1");
}

#[test]
fn cpp_example_adds_and_removes_user() {
    let server = Server::start(Config::default()).unwrap();
    let program = compile("examples/express_users.cpp", Language::Cxx17);

    let output = command(&program)
        .args([DEFAULT_CUSTOMER_ID, DEFAULT_USER_ID])
        .env("AVARA_API_KEY", DEFAULT_API_KEY)
        .env("AVARA_BASE_URL", server.base_url())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("add: success=true"), "{stdout}");
    assert!(stdout.contains("remove: success=true"), "{stdout}");
}

#[test]
fn cpp_example_reports_failure() {
    let server = Server::start(Config::default()).unwrap();
    let program = compile("examples/express_users.cpp", Language::Cxx17);

    let output = command(&program)
        .args([DEFAULT_CUSTOMER_ID, DEFAULT_MEMBER_USER_ID])
        .env("AVARA_API_KEY", DEFAULT_API_KEY)
        .env("AVARA_BASE_URL", server.base_url())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("AVARA_STATUS_CONFLICT"), "{stderr}");
    assert!(stderr.contains("HTTP status: 409"), "{stderr}");
    assert!(stderr.contains("request id: req_"), "{stderr}");
}
