//! Logging from C: the level filter, the callback, the stderr default and
//! `AVARA_LOG`, and what each attempt's log line contains.

mod common;

use common::*;

fn run(args: &[String], env: &[(&str, &str)]) -> CallReport {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    avara_call(&args, env)
}

#[test]
fn callback_receives_attempt_lines() {
    let server = Server::start(Config::default()).unwrap();
    server.script(vec![answer(503, "{}", &[("retry-after-ms", "5")])]);

    let report = run(&add_args(&server.base_url(), &["--log-level", "3"]), &[]);
    assert_eq!(report.status(), "AVARA_STATUS_OK", "{}", report.stdout);
    let path = format!("/v1/express/{DEFAULT_CUSTOMER_ID}/users");
    let first = format!("3 POST {path} -> 503 in ");
    let retry = format!("3 retrying POST {path} in 5 ms (attempt 2 of 3) because: ");
    let second = format!("3 POST {path} -> 200 in ");
    assert!(
        report.logs.iter().any(|l| l.starts_with(&first)),
        "{:#?}",
        report.logs
    );
    assert!(
        report.logs.iter().any(|l| l.starts_with(&retry)),
        "{:#?}",
        report.logs
    );
    assert!(
        report.logs.iter().any(|l| l.starts_with(&second)),
        "{:#?}",
        report.logs
    );
    assert!(
        report.logs.iter().all(|l| !l.starts_with("4 ")),
        "debug line at info level"
    );
    assert!(
        report.stderr.is_empty(),
        "callback output leaked to stderr: {}",
        report.stderr
    );
}

#[test]
fn debug_level_adds_send_lines() {
    let server = Server::start(Config::default()).unwrap();
    let report = run(&add_args(&server.base_url(), &["--log-level", "4"]), &[]);
    let sending =
        format!("4 sending POST /v1/express/{DEFAULT_CUSTOMER_ID}/users (attempt 1 of 3)");
    assert!(report.logs.contains(&sending), "{:#?}", report.logs);
}

#[test]
fn level_off_silences_everything() {
    let server = Server::start(Config::default()).unwrap();
    server.script(vec![answer(500, "{}", &[("retry-after-ms", "1")])]);
    let report = run(
        &add_args(&server.base_url(), &["--log-level", "0"]),
        &[("AVARA_LOG", "debug")],
    );
    assert!(report.logs.is_empty(), "{:#?}", report.logs);
    assert!(report.stderr.is_empty(), "{}", report.stderr);
}

#[test]
fn avara_log_env_writes_stderr() {
    let server = Server::start(Config::default()).unwrap();
    let report = run(&add_args(&server.base_url(), &[]), &[("AVARA_LOG", "info")]);
    let line = format!("avara info: POST /v1/express/{DEFAULT_CUSTOMER_ID}/users -> 200 in ");
    assert!(report.stderr.contains(&line), "{}", report.stderr);

    // The default level is warn: a successful call logs nothing.
    let report = run(&add_args(&server.base_url(), &[]), &[]);
    assert!(report.stderr.is_empty(), "{}", report.stderr);
}

#[test]
fn unknown_avara_log_warns_once() {
    let server = Server::start(Config::default()).unwrap();
    let report = run(
        &add_args(&server.base_url(), &["--repeat", "3", "--max-retries", "0"]),
        &[("AVARA_LOG", "verbose")],
    );
    let warnings = report
        .stderr
        .matches("AVARA_LOG=\"verbose\" is not one of")
        .count();
    assert_eq!(warnings, 1, "{}", report.stderr);
}

#[test]
fn logs_and_errors_hide_key() {
    let server = Server::start(Config::default()).unwrap();
    let url = server.base_url();
    // The server echoes the key in its error text; the library must redact it.
    let echo = format!(r#"{{"message":"key {DEFAULT_API_KEY} is not allowed here"}}"#);
    server.script(vec![answer(400, &echo, &[])]);

    let report = run(
        &add_args(&url, &["--log-level", "4"]),
        &[("AVARA_LOG", "debug")],
    );
    assert_eq!(report.status(), "AVARA_STATUS_BAD_REQUEST");
    assert!(
        report.get("server_message").contains("<redacted>"),
        "{}",
        report.stdout
    );
    assert!(
        !report.stdout.contains(DEFAULT_API_KEY),
        "{}",
        report.stdout
    );
    assert!(
        !report.stderr.contains(DEFAULT_API_KEY),
        "{}",
        report.stderr
    );
    assert!(
        report.logs.iter().all(|line| !line.contains("Bearer")),
        "{:#?}",
        report.logs
    );

    // The same echo with the key's underscores escaped as JSON \u005f:
    // a caller that parses the body must not get the key back.
    let escaped = DEFAULT_API_KEY.replace('_', "\\u005f");
    server.script(vec![answer(
        400,
        &format!(r#"{{"message":"key {escaped}"}}"#),
        &[],
    )]);
    let report = run(&add_args(&url, &["--max-retries", "0"]), &[]);
    let body: serde_json::Value = serde_json::from_str(report.get("body")).unwrap();
    assert_eq!(body["message"], "key <redacted>", "{}", report.stdout);
}
