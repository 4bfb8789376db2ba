//! Servers that misbehave while responding: connections cut in the middle
//! of a response, bodies that stall, oversized bodies, transfer and content
//! encodings, and redirects. Driven from C through `tests/c/avara_call.c`.
//!
//! Refused connections, drops before the response, headers that never
//! arrive and malformed 2xx bodies are covered in `retries.rs` and
//! `c_api.rs`.

mod common;

use std::io::Write;
use std::net::TcpListener;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::*;

/// The library's cap on a response body, from `MAX_RESPONSE_BODY_BYTES`.
const BODY_LIMIT_BYTES: usize = 1 << 20;

/// Runs one add call against `url` with `extra` options.
fn add(url: &str, extra: &[&str]) -> CallReport {
    avara_call(
        &call_args(url, extra, "add", DEFAULT_CUSTOMER_ID, DEFAULT_USER_ID),
        &[],
    )
}

fn peak_rss_kib(report: &CallReport) -> u64 {
    report
        .get("peak_rss_kib")
        .parse()
        .expect("peak_rss_kib is a number")
}

/// Returns a valid success body padded with spaces to `length` bytes.
fn padded_success_body(length: usize) -> String {
    let json = r#"{"success":true,"message":"padded"}"#;
    format!("{json}{}", " ".repeat(length - json.len()))
}

/// Starts a loopback server for one connection that reads the request,
/// sends a 200 head promising 1000 body bytes, sends 100 of them and resets
/// the connection. Returns its URL and its thread.
fn reset_mid_body_server() -> (String, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        read_http_request(&mut stream).unwrap();
        let head =
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(&[b' '; 100]).unwrap();
        stream.flush().unwrap();
        // Let the client read what was sent before the reset destroys it.
        std::thread::sleep(Duration::from_millis(50));
        avara_mock::arm_reset(&stream).expect("set SO_LINGER to send a reset");
    });
    (url, handle)
}

#[test]
fn reset_mid_body_reported() {
    let (url, server) = reset_mid_body_server();
    let report = add(&url, &["--max-retries", "0"]);
    server.join().unwrap();

    assert_eq!(
        report.status(),
        "AVARA_STATUS_CONNECTION_FAILED",
        "{}",
        report.stdout
    );
    assert_eq!(report.get("http_status"), "0");
    assert_eq!(report.get("attempts"), "1");
    assert!(
        report.get("message").contains("127.0.0.1"),
        "{}",
        report.stdout
    );
    assert!(!report.fields.contains_key("success"), "{}", report.stdout);
}

#[test]
fn closed_mid_body_reported_and_retried() {
    let server = Server::start(Config::default()).unwrap();
    let url = server.base_url();
    let cut = ScriptedAnswer {
        drop: Some(DropMode::MidBody),
        ..ScriptedAnswer::with_status(200, padded_success_body(2000))
    };

    server.script(vec![cut.clone()]);
    let report = add(&url, &["--max-retries", "0"]);
    assert_eq!(
        report.status(),
        "AVARA_STATUS_CONNECTION_FAILED",
        "{}",
        report.stdout
    );
    assert_eq!(report.get("http_status"), "0");
    assert!(
        report
            .get("message")
            .contains("closed before the response was complete"),
        "{}",
        report.stdout
    );

    // A cut response is a connection failure, so it is retried.
    server.reset();
    server.script(vec![cut]);
    let report = add(&url, &[]);
    assert_eq!(report.status(), "AVARA_STATUS_OK", "{}", report.stdout);
    assert_eq!(report.get("success"), "true");
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn non_http_response_named() {
    // A server that greets in another protocol, as an SSH server does.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        read_http_request(&mut stream).unwrap();
        stream.write_all(b"SSH-2.0-OpenSSH_9.2\r\n").unwrap();
    });

    let report = add(&url, &["--max-retries", "0"]);
    server.join().unwrap();

    assert_eq!(
        report.status(),
        "AVARA_STATUS_CONNECTION_FAILED",
        "{}",
        report.stdout
    );
    let message = report.get("message");
    assert!(message.contains("is not valid HTTP/1.1"), "{message}");
    assert!(
        message.contains("check that the base URL points at the Avara API"),
        "{message}"
    );
}

#[test]
fn body_stalled_half_way_times_out() {
    let server = Server::start(Config::default()).unwrap();
    let body = padded_success_body(4096);
    // The head is about 150 bytes, so the pause falls inside the body.
    server.script(vec![ScriptedAnswer {
        stall_after_bytes: Some(2048),
        stall_ms: Some(5000),
        ..ScriptedAnswer::with_status(200, body)
    }]);

    let started = Instant::now();
    let report = add(
        &server.base_url(),
        &["--timeout-ms", "400", "--max-retries", "0"],
    );
    let elapsed = started.elapsed();

    assert_eq!(
        report.status(),
        "AVARA_STATUS_TIMED_OUT",
        "{}",
        report.stdout
    );
    assert!(
        report.get("message").contains("400 ms"),
        "{}",
        report.stdout
    );
    assert!(elapsed >= Duration::from_millis(400), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(1400), "{elapsed:?}");
}

#[test]
fn encoded_bodies_succeed() {
    let server = Server::start(Config::default()).unwrap();
    let url = server.base_url();
    let encodings = [(true, false), (false, true), (true, true)];

    for (chunked, gzip) in encodings {
        server.reset();
        // No status: the API runs and its body is sent in the given encoding.
        server.script(vec![ScriptedAnswer {
            chunked,
            gzip,
            ..ScriptedAnswer::default()
        }]);
        let report = add(&url, &["--max-retries", "0"]);
        let case = format!("chunked={chunked} gzip={gzip}");
        assert_eq!(
            report.status(),
            "AVARA_STATUS_OK",
            "{case}: {}",
            report.stdout
        );
        assert_eq!(report.get("success"), "true", "{case}");
        assert!(
            report.get("response_message").contains("added"),
            "{case}: {}",
            report.stdout
        );
        assert!(server
            .members(DEFAULT_CUSTOMER_ID)
            .contains(&DEFAULT_USER_ID.to_owned()));
    }
}

#[test]
fn body_limit_is_exactly_one_mib() {
    let server = Server::start(Config::default()).unwrap();
    let url = server.base_url();
    let cases = [
        (BODY_LIMIT_BYTES, false, "AVARA_STATUS_OK"),
        (BODY_LIMIT_BYTES + 1, false, "AVARA_STATUS_INVALID_RESPONSE"),
        (BODY_LIMIT_BYTES, true, "AVARA_STATUS_OK"),
        (BODY_LIMIT_BYTES + 1, true, "AVARA_STATUS_INVALID_RESPONSE"),
    ];

    for (length, chunked, expected) in cases {
        server.reset();
        server.script(vec![ScriptedAnswer {
            chunked,
            ..ScriptedAnswer::with_status(200, padded_success_body(length))
        }]);
        let report = add(&url, &["--max-retries", "0"]);
        let case = format!("{length} bytes, chunked={chunked}");
        assert_eq!(report.status(), expected, "{case}: {}", report.stdout);
        if expected != "AVARA_STATUS_OK" {
            assert_eq!(report.get("http_status"), "200", "{case}");
            assert!(
                report
                    .get("message")
                    .contains("exceeds the limit of 1048576 bytes"),
                "{case}: {}",
                report.stdout
            );
        }
    }
}

/// An error status with an oversized body keeps its category and is
/// retried; only the kept body is cut.
#[test]
fn oversized_error_body_keeps_status() {
    let server = Server::start(Config::default()).unwrap();
    server.script(vec![ScriptedAnswer {
        body_repeat: Some(200_000),
        count: Some(3),
        headers: vec![("retry-after-ms".into(), "2".into())],
        ..ScriptedAnswer::with_status(503, "<p>busy</p>")
    }]);

    let report = add(&server.base_url(), &[]);
    assert_eq!(
        report.status(),
        "AVARA_STATUS_INTERNAL_SERVER_ERROR",
        "{}",
        report.stdout
    );
    assert_eq!(report.get("http_status"), "503");
    assert_eq!(report.get("attempts"), "3");
    assert_eq!(report.get("retries_exhausted"), "1");
    assert_eq!(report.get("body_length"), "65536");
}

/// A 50 MiB body, sent plain, chunked and as a gzip bomb (50 MiB once
/// decompressed), fails with an invalid-response status, and the C
/// process's peak resident memory grows by far less than the body.
#[test]
fn oversized_bodies_keep_memory_bounded() {
    const BODY_MIB: u64 = 50;
    const MAX_GROWTH_KIB: u64 = 8 * 1024;
    let server = Server::start(Config::default()).unwrap();
    let url = server.base_url();

    // The baseline is a normal call: library, TLS roots and one response.
    let baseline = add(&url, &["--max-retries", "0"]);
    assert_eq!(baseline.status(), "AVARA_STATUS_OK", "{}", baseline.stdout);
    let baseline_kib = peak_rss_kib(&baseline);

    let kib = "x".repeat(1024);
    let shapes = [
        ("plain", false, false),
        ("chunked", true, false),
        ("gzip", false, true),
    ];
    for (name, chunked, gzip) in shapes {
        server.reset();
        server.script(vec![ScriptedAnswer {
            body_repeat: Some(BODY_MIB * 1024),
            chunked,
            gzip,
            ..ScriptedAnswer::with_status(200, kib.clone())
        }]);

        let started = Instant::now();
        let report = add(&url, &["--max-retries", "0"]);
        let elapsed = started.elapsed();
        let peak_kib = peak_rss_kib(&report);
        println!(
            "{BODY_MIB} MiB {name} body: peak RSS {peak_kib} KiB, baseline {baseline_kib} KiB, growth {} KiB, {elapsed:?}",
            peak_kib.saturating_sub(baseline_kib)
        );

        assert_eq!(
            report.status(),
            "AVARA_STATUS_INVALID_RESPONSE",
            "{name}: {}",
            report.stdout
        );
        assert!(
            report.get("message").contains("exceeds the limit"),
            "{name}: {}",
            report.stdout
        );
        assert!(
            peak_kib < baseline_kib + MAX_GROWTH_KIB,
            "{name}: peak RSS {peak_kib} KiB, baseline {baseline_kib} KiB"
        );
    }
}

#[test]
fn redirects_never_followed() {
    let server = Server::start(Config::default()).unwrap();
    let other_origin = Server::start(Config::default()).unwrap();
    let url = server.base_url();
    let elsewhere = format!(
        "{}/v1/express/{DEFAULT_CUSTOMER_ID}/users",
        other_origin.base_url()
    );
    let same_origin = format!("{url}/v1/express/{SECOND_CUSTOMER_ID}/users");
    let locations = [elsewhere.as_str(), same_origin.as_str(), "/v2/elsewhere"];

    for status in [301, 302, 303, 307, 308] {
        for location in locations {
            server.reset();
            server.script(vec![answer(status, "", &[("Location", location)])]);
            let report = add(&url, &[]);
            let case = format!("{status} to {location}");

            assert_eq!(
                report.status(),
                "AVARA_STATUS_HTTP_STATUS",
                "{case}: {}",
                report.stdout
            );
            assert_eq!(report.get("http_status"), status.to_string(), "{case}");
            assert_eq!(report.get("attempts"), "1", "{case}");
            assert!(
                report.get("message").contains("not followed"),
                "{case}: {}",
                report.stdout
            );
            assert!(
                report.get("message").contains(location),
                "{case}: {}",
                report.stdout
            );
            assert_eq!(server.requests().len(), 1, "{case}: redirect followed");
        }
    }
    // The other origin never saw a connection, so no header reached it.
    assert_eq!(other_origin.stats().connections_accepted, 0);
}
