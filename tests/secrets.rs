//! The API key never leaves the Authorization header. It appears in no log
//! line (callback or stderr), error message, server message, request id or
//! `Debug` output of the Rust core types, even when a server echoes the key
//! back in every place it can.
//!
//! `logging.rs` checks one echoed 400 body. This file covers every outcome
//! and echo channel, and also looks for fragments of the key.

mod common;

use common::*;

/// A key that is easy to spot in any output.
const SECRET_KEY: &str = "sk_live_5ec2e7c0ffee5ec2e7c0ffee5ec2e7ab";
/// The random-looking part after `sk_live_`. The prefix alone is no secret.
const SECRET_PART: &str = "5ec2e7c0ffee5ec2e7c0ffee5ec2e7ab";
/// Length of the key fragments searched for. It is long enough that a match
/// cannot be a coincidence and short enough to catch a key cut short.
const FRAGMENT_CHARS: usize = 12;

fn secret_config() -> Config {
    Config {
        api_keys: vec![SECRET_KEY.to_owned()],
        ..Config::default()
    }
}

/// Returns the first fragment of the secret part of the key found in
/// `text`, if any.
fn key_fragment_in(text: &str) -> Option<&'static str> {
    (0..=SECRET_PART.len() - FRAGMENT_CHARS)
        .map(|start| &SECRET_PART[start..start + FRAGMENT_CHARS])
        .find(|fragment| text.contains(fragment))
}

/// One call and what the server does with it.
struct Case {
    name: &'static str,
    operation: &'static str,
    customer: &'static str,
    user: &'static str,
    extra: Vec<&'static str>,
    script: Vec<ScriptedAnswer>,
    status: &'static str,
}

fn case(name: &'static str, status: &'static str, script: Vec<ScriptedAnswer>) -> Case {
    Case {
        name,
        operation: "add",
        customer: DEFAULT_CUSTOMER_ID,
        user: DEFAULT_USER_ID,
        extra: vec!["--max-retries", "0"],
        script,
        status,
    }
}

fn cases() -> Vec<Case> {
    let echo_json = format!(r#"{{"message":"key {SECRET_KEY} was used"}}"#);
    let echo_error = format!(r#"{{"error":"Bearer {SECRET_KEY} rejected"}}"#);
    let echo_text = format!("upstream said: Authorization: Bearer {SECRET_KEY}");
    // The key straddles the 1024-byte cut of the server message.
    let echo_at_cut = format!("{}{SECRET_KEY}", "x".repeat(1000));
    let echo_header = [("x-request-id", SECRET_KEY)];
    let redirect = format!("http://127.0.0.1:9/login?token={SECRET_KEY}");

    vec![
        case("add succeeds", "AVARA_STATUS_OK", vec![]),
        Case {
            operation: "remove",
            user: DEFAULT_MEMBER_USER_ID,
            ..case("remove succeeds", "AVARA_STATUS_OK", vec![])
        },
        Case {
            customer: "cus_99999999999999999999999999999999",
            ..case("unknown customer", "AVARA_STATUS_NOT_FOUND", vec![])
        },
        case(
            "400 echoes key in message",
            "AVARA_STATUS_BAD_REQUEST",
            vec![answer(400, &echo_json, &echo_header)],
        ),
        case(
            "401 echoes key in error",
            "AVARA_STATUS_AUTHENTICATION",
            vec![answer(401, &echo_error, &[])],
        ),
        Case {
            extra: vec!["--max-retries", "1"],
            ..case(
                "500 retried echoes key in text",
                "AVARA_STATUS_INTERNAL_SERVER_ERROR",
                vec![ScriptedAnswer {
                    count: Some(2),
                    ..answer(500, &echo_text, &[("retry-after-ms", "5")])
                }],
            )
        },
        case(
            "key across the message cut",
            "AVARA_STATUS_BAD_REQUEST",
            vec![answer(400, &echo_at_cut, &[])],
        ),
        case(
            "200 body not JSON echoes key",
            "AVARA_STATUS_INVALID_RESPONSE",
            vec![answer(200, &echo_text, &echo_header)],
        ),
        case(
            "200 JSON of wrong shape echoes key",
            "AVARA_STATUS_INVALID_RESPONSE",
            vec![answer(200, &echo_json, &[])],
        ),
        case(
            "redirect location carries key",
            "AVARA_STATUS_HTTP_STATUS",
            vec![answer(302, &echo_json, &[("Location", &redirect)])],
        ),
        Case {
            extra: vec!["--timeout-ms", "200", "--max-retries", "0"],
            ..case(
                "timeout",
                "AVARA_STATUS_TIMED_OUT",
                vec![ScriptedAnswer {
                    delay_ms: Some(2000),
                    ..ScriptedAnswer::default()
                }],
            )
        },
        case(
            "connection reset",
            "AVARA_STATUS_CONNECTION_FAILED",
            vec![ScriptedAnswer::with_drop(DropMode::Reset)],
        ),
    ]
}

/// Runs every case twice: with debug lines sent to the callback, and with
/// `AVARA_LOG=debug` and the default stderr sink.
#[test]
fn key_absent_from_logs_and_errors() {
    let server = Server::start(secret_config()).unwrap();
    let url = server.base_url();

    for case in cases() {
        for sink in ["callback", "stderr"] {
            server.reset();
            server.script(case.script.clone());
            let mut extra = case.extra.clone();
            let mut env = Vec::new();
            if sink == "callback" {
                extra.extend(["--log-level", "4"]);
            } else {
                env.push(("AVARA_LOG", "debug"));
            }
            let args = [
                &["--api-key", SECRET_KEY, "--base-url", url.as_str()][..],
                &extra,
                &[case.operation, case.customer, case.user],
            ]
            .concat();
            let report = avara_call(&args, &env);
            let label = format!("{} ({sink})", case.name);

            assert_eq!(report.status(), case.status, "{label}: {}", report.stdout);
            // The key did reach the server, in the one place it belongs.
            if let Some(request) = server.requests().first() {
                let bearer = format!("Bearer {SECRET_KEY}");
                assert_eq!(request.header("authorization"), Some(bearer.as_str()));
            }
            // Debug logging really ran, so silence proves nothing is missed.
            if sink == "callback" {
                assert!(
                    report.logs.iter().any(|line| line.starts_with("4 ")),
                    "{label}: no debug line\n{}",
                    report.stdout
                );
            } else {
                assert!(
                    report.stderr.contains("avara debug: "),
                    "{label}: no debug line on stderr\n{}",
                    report.stderr
                );
            }

            for (stream, text) in [("stdout", &report.stdout), ("stderr", &report.stderr)] {
                assert!(
                    key_fragment_in(text).is_none(),
                    "{label}: {stream} contains {:?} of the key:\n{text}",
                    key_fragment_in(text)
                );
            }
        }
    }
}

#[test]
fn key_absent_from_debug_output() {
    let server = Server::start(secret_config()).unwrap();
    let echo = format!(r#"{{"message":"key {SECRET_KEY} is not allowed here"}}"#);
    server.script(vec![answer(400, &echo, &[("x-request-id", SECRET_KEY)])]);

    let mut options = avara::ClientOptions::new();
    options.set_api_key(SECRET_KEY).unwrap();
    options.set_base_url(&server.base_url()).unwrap();
    options.set_max_retries(0).unwrap();
    let client = avara::Client::new(options.clone()).unwrap();
    let error = client
        .express_users_add(DEFAULT_CUSTOMER_ID, DEFAULT_USER_ID)
        .unwrap_err();
    let derived = client.with_options(&avara::ClientOptions::new()).unwrap();

    let outputs = [
        ("ClientOptions", format!("{options:?}")),
        ("Client", format!("{client:?}")),
        ("Client, pretty", format!("{client:#?}")),
        ("derived Client", format!("{derived:?}")),
        ("Error", format!("{error:?}")),
        ("Error, pretty", format!("{error:#?}")),
        ("Error message", error.to_string()),
        (
            "server message",
            error.server_message().unwrap_or_default().to_owned(),
        ),
        (
            "request id",
            error.request_id().unwrap_or_default().to_owned(),
        ),
    ];
    for (what, text) in outputs {
        assert!(
            key_fragment_in(&text).is_none(),
            "{what} contains part of the key: {text}"
        );
    }
    // The echo was redacted, not dropped.
    assert!(
        error
            .server_message()
            .unwrap_or_default()
            .contains("<redacted>"),
        "{error:?}"
    );
}
