//! Retries, backoff and timeouts as the official SDKs do them, driven from
//! C through `tests/c/avara_call.c` against scripted stand-in answers.
//!
//! Scripted failures carry `retry-after-ms` of a few milliseconds so the
//! suite does not sleep through real backoff; the few tests that check the
//! backoff itself read the computed wait from the info log line.

mod common;

use std::time::{Duration, Instant};

use common::*;

/// A failing answer that asks for a 2 ms wait before the retry.
fn quick(status: u16) -> ScriptedAnswer {
    answer(
        status,
        r#"{"message":"scripted failure"}"#,
        &[("retry-after-ms", "2")],
    )
}

fn run(args: &[String]) -> CallReport {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    avara_call(&args, &[])
}

fn retry_counts(server: &Server) -> Vec<String> {
    server
        .requests()
        .iter()
        .map(|r| {
            r.header("x-stainless-retry-count")
                .unwrap_or("missing")
                .to_owned()
        })
        .collect()
}

/// The wait in milliseconds announced by the first "retrying" log line.
fn logged_wait_ms(report: &CallReport) -> u64 {
    let line = report
        .logs
        .iter()
        .find(|line| line.contains("retrying"))
        .unwrap_or_else(|| panic!("no retry logged:\n{}", report.stdout));
    let after = line
        .split(" in ")
        .nth(1)
        .expect("retry line names the wait");
    after
        .split(" ms")
        .next()
        .unwrap()
        .parse()
        .expect("wait is a number")
}

#[test]
fn retryable_statuses_retried() {
    let server = Server::start(Config::default()).unwrap();
    let url = server.base_url();
    for status in [408, 409, 429, 500, 502, 503, 504] {
        server.reset();
        server.script(vec![quick(status)]);
        let report = run(&add_args(&url, &[]));
        assert_eq!(
            report.status(),
            "AVARA_STATUS_OK",
            "HTTP {status}: {}",
            report.stdout
        );
        assert_eq!(retry_counts(&server), ["0", "1"], "HTTP {status}");
    }
}

#[test]
fn other_client_errors_not_retried() {
    let server = Server::start(Config::default()).unwrap();
    let url = server.base_url();
    for status in [400, 401, 403, 404, 405, 410, 422, 451] {
        server.reset();
        server.script(vec![quick(status), quick(status)]);
        let report = run(&add_args(&url, &[]));
        assert_ne!(report.status(), "AVARA_STATUS_OK", "HTTP {status}");
        assert_eq!(report.get("attempts"), "1", "HTTP {status}");
        assert_eq!(report.get("retries_exhausted"), "0", "HTTP {status}");
        assert_eq!(retry_counts(&server), ["0"], "HTTP {status}");
    }
}

#[test]
fn exhausted_retries_reported() {
    let server = Server::start(Config::default()).unwrap();
    server.script(vec![ScriptedAnswer {
        count: Some(3),
        ..quick(503)
    }]);
    let report = run(&add_args(&server.base_url(), &[]));

    assert_eq!(report.status(), "AVARA_STATUS_INTERNAL_SERVER_ERROR");
    assert_eq!(report.get("attempts"), "3");
    assert_eq!(report.get("retries_exhausted"), "1");
    assert_eq!(report.get("server_message"), "scripted failure");
    assert!(
        report.get("message").contains("gave up after 3 attempts"),
        "{}",
        report.stdout
    );
    assert_eq!(retry_counts(&server), ["0", "1", "2"]);
}

#[test]
fn max_retries_option_bounds_attempts() {
    let server = Server::start(Config::default()).unwrap();
    let url = server.base_url();

    server.script(vec![ScriptedAnswer {
        count: Some(5),
        ..quick(500)
    }]);
    let report = run(&add_args(&url, &["--max-retries", "0"]));
    assert_eq!(report.get("attempts"), "1");
    assert_eq!(report.get("retries_exhausted"), "0");

    server.reset();
    server.script(vec![ScriptedAnswer {
        count: Some(5),
        ..quick(500)
    }]);
    let report = run(&add_args(&url, &["--max-retries", "4"]));
    assert_eq!(report.get("attempts"), "5");
    assert_eq!(retry_counts(&server), ["0", "1", "2", "3", "4"]);
}

#[test]
fn should_retry_header_overrides_status() {
    let server = Server::start(Config::default()).unwrap();
    let url = server.base_url();

    server.script(vec![answer(
        400,
        "{}",
        &[("x-should-retry", "true"), ("retry-after-ms", "2")],
    )]);
    let report = run(&add_args(&url, &[]));
    assert_eq!(report.status(), "AVARA_STATUS_OK", "{}", report.stdout);
    assert_eq!(retry_counts(&server), ["0", "1"]);

    server.reset();
    server.script(vec![answer(
        503,
        "{}",
        &[("x-should-retry", "false"), ("retry-after-ms", "2")],
    )]);
    let report = run(&add_args(&url, &[]));
    assert_eq!(report.status(), "AVARA_STATUS_INTERNAL_SERVER_ERROR");
    assert_eq!(report.get("attempts"), "1");
}

#[test]
fn retry_after_forms_obeyed() {
    let server = Server::start(Config::default()).unwrap();
    let url = server.base_url();
    let cases: [(&str, &str, u64, u64); 3] = [
        ("retry-after-ms", "30", 30, 30),
        ("retry-after", "0.04", 40, 40),
        ("retry-after", "1", 1000, 1000),
    ];
    for (header, value, min_ms, max_ms) in cases {
        server.reset();
        server.script(vec![answer(429, "{}", &[(header, value)])]);
        let report = run(&add_args(&url, &["--log-level", "3"]));
        assert_eq!(report.status(), "AVARA_STATUS_OK", "{header}: {value}");
        let wait = logged_wait_ms(&report);
        assert!(
            (min_ms..=max_ms).contains(&wait),
            "{header}: {value} waited {wait} ms"
        );
    }
}

#[test]
fn retry_after_http_date_obeyed() {
    let server = Server::start(Config::default()).unwrap();
    let date = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(2));
    server.script(vec![answer(503, "{}", &[("retry-after", &date)])]);

    let report = run(&add_args(&server.base_url(), &["--log-level", "3"]));
    assert_eq!(report.status(), "AVARA_STATUS_OK", "{}", report.stdout);
    // The date has whole seconds, so the wait is between 1 and 2 s; the
    // backoff it replaces would be at most 500 ms.
    let wait = logged_wait_ms(&report);
    assert!((900..=2000).contains(&wait), "waited {wait} ms");
}

#[test]
fn long_retry_after_falls_back_to_backoff() {
    let server = Server::start(Config::default()).unwrap();
    let url = server.base_url();
    for value in ["61", "3600", "-1", "0", "soon"] {
        server.reset();
        server.script(vec![answer(503, "{}", &[("retry-after", value)])]);
        let report = run(&add_args(&url, &["--log-level", "3"]));
        assert_eq!(report.status(), "AVARA_STATUS_OK", "{value}");
        // First backoff: 500 ms minus up to 25 % jitter.
        let wait = logged_wait_ms(&report);
        assert!(
            (375..=500).contains(&wait),
            "Retry-After {value}: waited {wait} ms"
        );
    }
}

#[test]
fn dropped_connections_retried() {
    let server = Server::start(Config::default()).unwrap();
    let url = server.base_url();
    for mode in [DropMode::BeforeResponse, DropMode::Reset] {
        server.reset();
        server.script(vec![ScriptedAnswer::with_drop(mode)]);
        let report = run(&add_args(&url, &[]));
        assert_eq!(
            report.status(),
            "AVARA_STATUS_OK",
            "{mode:?}: {}",
            report.stdout
        );
        assert_eq!(retry_counts(&server), ["0", "1"], "{mode:?}");
    }

    server.reset();
    server.script(vec![ScriptedAnswer {
        count: Some(3),
        ..ScriptedAnswer::with_drop(DropMode::Reset)
    }]);
    let report = run(&add_args(&url, &["--max-retries", "0"]));
    assert_eq!(
        report.status(),
        "AVARA_STATUS_CONNECTION_FAILED",
        "{}",
        report.stdout
    );
    assert_eq!(report.get("http_status"), "0");
}

#[test]
fn request_timeout_fires_within_bound() {
    let server = Server::start(Config::default()).unwrap();
    server.script(vec![ScriptedAnswer {
        delay_ms: Some(5000),
        ..ScriptedAnswer::default()
    }]);

    let started = Instant::now();
    let report = run(&add_args(
        &server.base_url(),
        &["--timeout-ms", "300", "--max-retries", "0"],
    ));
    let elapsed = started.elapsed();

    assert_eq!(
        report.status(),
        "AVARA_STATUS_TIMED_OUT",
        "{}",
        report.stdout
    );
    assert!(
        report.get("message").contains("300 ms"),
        "{}",
        report.stdout
    );
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(
        elapsed < Duration::from_millis(1300),
        "timeout fired late: {elapsed:?}"
    );
}

/// The stall starts 40 bytes into the response, inside the status line
/// and headers; `servers.rs` covers a stall inside the body.
#[test]
fn stalled_headers_time_out() {
    let server = Server::start(Config::default()).unwrap();
    server.script(vec![ScriptedAnswer {
        stall_after_bytes: Some(40),
        stall_ms: Some(5000),
        ..ScriptedAnswer::default()
    }]);

    let started = Instant::now();
    let report = run(&add_args(
        &server.base_url(),
        &["--timeout-ms", "300", "--max-retries", "0"],
    ));
    assert_eq!(
        report.status(),
        "AVARA_STATUS_TIMED_OUT",
        "{}",
        report.stdout
    );
    assert!(
        started.elapsed() < Duration::from_millis(1300),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn timeouts_retried_then_succeed() {
    let server = Server::start(Config::default()).unwrap();
    server.script(vec![ScriptedAnswer {
        delay_ms: Some(2000),
        ..ScriptedAnswer::default()
    }]);

    let report = run(&add_args(
        &server.base_url(),
        &["--timeout-ms", "200", "--max-retries", "1"],
    ));
    assert_eq!(report.status(), "AVARA_STATUS_OK", "{}", report.stdout);
    assert_eq!(retry_counts(&server), ["0", "1"]);
}

/// A listener whose accept queue is full: the kernel drops further SYNs, so
/// a connect to it hangs until the client's connect timeout.
struct BlackHole {
    listener: std::net::TcpListener,
    _held: Vec<std::net::TcpStream>,
}

impl BlackHole {
    fn new() -> Option<BlackHole> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut held = Vec::new();
        // std listens with a backlog of 128; a few hundred tries fill it.
        for _ in 0..1024 {
            match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(50)) {
                Ok(stream) => held.push(stream),
                Err(_) => {
                    return Some(BlackHole {
                        listener,
                        _held: held,
                    })
                }
            }
        }
        None
    }

    fn url(&self) -> String {
        format!("http://{}", self.listener.local_addr().unwrap())
    }
}

#[test]
fn connect_timeout_fires_within_bound() {
    let hole = BlackHole::new().expect("could not fill a loopback accept queue");
    let url = hole.url();

    let started = Instant::now();
    let report = run(&add_args(
        &url,
        &["--connect-timeout-ms", "250", "--max-retries", "0"],
    ));
    let elapsed = started.elapsed();

    assert_eq!(
        report.status(),
        "AVARA_STATUS_TIMED_OUT",
        "{}",
        report.stdout
    );
    assert!(
        report.get("message").contains("connect timeout"),
        "{}",
        report.stdout
    );
    assert!(elapsed >= Duration::from_millis(250), "{elapsed:?}");
    assert!(
        elapsed < Duration::from_millis(1250),
        "connect timeout fired late: {elapsed:?}"
    );
}
