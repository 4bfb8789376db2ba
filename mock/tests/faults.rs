//! Scripted answers over real sockets: replaced responses, delays, drops,
//! resets, stalls, chunked, gzip and oversized bodies.

mod common;

use std::io::{self, Read};
use std::time::{Duration, Instant};

use avara_mock::{
    DropMode, ScriptedAnswer, DEFAULT_CUSTOMER_ID, DEFAULT_MEMBER_USER_ID, DEFAULT_USER_ID,
};
use common::{control_request, exchange, start, user_request, Connection};

fn add_request() -> Vec<u8> {
    user_request("POST", DEFAULT_CUSTOMER_ID, DEFAULT_USER_ID)
}

fn is_member(server: &avara_mock::Server) -> bool {
    server
        .members(DEFAULT_CUSTOMER_ID)
        .contains(&DEFAULT_USER_ID.to_owned())
}

/// Reads from `connection` until end of stream and returns the bytes and the
/// error that ended the read, if any.
fn read_until_closed(connection: &mut Connection) -> (Vec<u8>, Option<io::Error>) {
    let mut bytes = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        match connection.reader.read(&mut buffer) {
            Ok(0) => return (bytes, None),
            Ok(length) => bytes.extend_from_slice(&buffer[..length]),
            Err(error) => return (bytes, Some(error)),
        }
    }
}

#[test]
fn scripted_status_replaces_response() {
    let server = start();
    let body = r#"{"message":"busy","error":"service_unavailable"}"#;
    server.script(vec![ScriptedAnswer {
        headers: vec![("Retry-After".to_owned(), "2".to_owned())],
        ..ScriptedAnswer::with_status(503, body)
    }]);
    let mut connection = Connection::open(server.addr());

    let scripted = connection.exchange(&add_request());
    assert_eq!(scripted.status, 503);
    assert_eq!(scripted.header("retry-after"), Some("2"));
    assert_eq!(scripted.header("content-type"), Some("application/json"));
    assert!(scripted.header("x-request-id").is_some());
    assert_eq!(scripted.body, body.as_bytes());
    assert!(!is_member(&server), "a scripted status skips the API");

    let normal = connection.exchange(&add_request());
    assert_eq!(normal.status, 200);
    assert!(is_member(&server));
    assert_eq!(server.pending_scripts(), 0);
}

#[test]
fn count_repeats_answer() {
    let server = start();
    server.script(vec![
        ScriptedAnswer {
            count: Some(3),
            ..ScriptedAnswer::with_status(500, "{}")
        },
        ScriptedAnswer::with_status(502, "{}"),
    ]);
    let mut connection = Connection::open(server.addr());
    let statuses: Vec<u16> = (0..5)
        .map(|_| connection.exchange(&add_request()).status)
        .collect();
    assert_eq!(statuses, vec![500, 500, 500, 502, 200]);
}

#[test]
fn headers_without_status_keep_api_behaviour() {
    let server = start();
    server.script(vec![ScriptedAnswer {
        headers: vec![
            ("X-Extra".to_owned(), "1".to_owned()),
            ("x-request-id".to_owned(), "req_custom".to_owned()),
        ],
        ..ScriptedAnswer::default()
    }]);
    let response = exchange(server.addr(), &add_request());
    assert_eq!(response.status, 200);
    assert_eq!(response.header("x-extra"), Some("1"));
    assert_eq!(response.header("x-request-id"), Some("req_custom"));
    assert_eq!(
        response
            .headers
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case("x-request-id"))
            .count(),
        1
    );
    assert!(is_member(&server));
}

#[test]
fn content_type_override_replaces_default() {
    let server = start();
    server.script(vec![ScriptedAnswer {
        headers: vec![("Content-Type".to_owned(), "text/html".to_owned())],
        ..ScriptedAnswer::with_status(502, "<html>bad gateway</html>")
    }]);
    let response = exchange(server.addr(), &add_request());
    assert_eq!(response.status, 502);
    let content_types: Vec<&str> = response
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        .map(|(_, value)| value.as_str())
        .collect();
    assert_eq!(content_types, vec!["text/html"]);
}

#[test]
fn content_length_override_closes_connection() {
    let server = start();
    server.script(vec![ScriptedAnswer {
        headers: vec![("Content-Length".to_owned(), "10".to_owned())],
        ..ScriptedAnswer::with_status(200, "abc")
    }]);
    let mut connection = Connection::open(server.addr());
    connection.send_raw(&add_request());
    let (bytes, error) = read_until_closed(&mut connection);
    assert!(error.is_none(), "{error:?}");
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.contains("Content-Length: 10\r\n"), "{text}");
    assert!(text.contains("Connection: close\r\n"), "{text}");
    assert!(text.ends_with("\r\n\r\nabc"), "{text}");
}

#[test]
fn delay_holds_response() {
    let server = start();
    server.script(vec![ScriptedAnswer {
        delay_ms: Some(300),
        ..ScriptedAnswer::default()
    }]);
    let started = Instant::now();
    let response = exchange(server.addr(), &add_request());
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(response.status, 200);
    assert!(is_member(&server));
}

#[test]
fn delay_triggers_client_timeout() {
    let server = start();
    server.script(vec![ScriptedAnswer {
        delay_ms: Some(2000),
        ..ScriptedAnswer::with_status(200, "{}")
    }]);
    let mut connection = Connection::open(server.addr());
    connection
        .reader
        .get_ref()
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    connection.send_raw(&add_request());
    let error = connection.read_response().unwrap_err();
    assert!(
        matches!(
            error.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ),
        "{error:?}"
    );
    assert_eq!(
        server.requests().len(),
        1,
        "the request is recorded before the delay"
    );
}

#[test]
fn drop_before_response_closes_without_bytes() {
    let server = start();
    server.script(vec![ScriptedAnswer::with_drop(DropMode::BeforeResponse)]);
    let mut connection = Connection::open(server.addr());
    connection.send_raw(&add_request());
    let (bytes, error) = read_until_closed(&mut connection);
    assert!(bytes.is_empty(), "{:?}", String::from_utf8_lossy(&bytes));
    assert!(error.is_none(), "expected a clean close, got {error:?}");
    assert!(!is_member(&server), "the API does not run");
    assert_eq!(server.requests().len(), 1);
    assert_eq!(server.stats().requests_served, 1);

    assert_eq!(exchange(server.addr(), &add_request()).status, 200);
}

#[test]
fn reset_sends_tcp_rst() {
    let server = start();
    server.script(vec![ScriptedAnswer::with_drop(DropMode::Reset)]);
    let mut connection = Connection::open(server.addr());
    connection.send_raw(&add_request());
    let (bytes, error) = read_until_closed(&mut connection);
    assert!(bytes.is_empty());
    let error = error.expect("a reset, not a clean close");
    assert_eq!(error.kind(), io::ErrorKind::ConnectionReset);
    assert!(!is_member(&server));
}

#[test]
fn mid_body_drop_cuts_response() {
    let server = start();
    server.script(vec![ScriptedAnswer::with_drop(DropMode::MidBody)]);
    let mut connection = Connection::open(server.addr());
    connection.send_raw(&add_request());
    let (bytes, error) = read_until_closed(&mut connection);
    assert!(error.is_none(), "{error:?}");

    let text = String::from_utf8(bytes).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").expect("a complete head");
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("Content-Length: "))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(body.len(), length / 2);
    assert!(
        is_member(&server),
        "without status the API runs before the cut"
    );
}

#[test]
fn mid_body_drop_with_chunked_scripted_body() {
    let server = start();
    server.script(vec![ScriptedAnswer {
        drop: Some(DropMode::MidBody),
        chunked: true,
        ..ScriptedAnswer::with_status(200, "0123456789")
    }]);
    let mut connection = Connection::open(server.addr());
    connection.send_raw(&add_request());
    let (bytes, _) = read_until_closed(&mut connection);
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.ends_with("\r\n\r\na\r\n01234"), "{text:?}");
}

#[test]
fn stall_pauses_mid_response() {
    let server = start();
    server.script(vec![ScriptedAnswer {
        stall_after_bytes: Some(10),
        stall_ms: Some(500),
        ..ScriptedAnswer::with_status(200, r#"{"success":true}"#)
    }]);
    let mut connection = Connection::open(server.addr());
    connection.send_raw(&add_request());

    let mut first = [0u8; 10];
    connection.reader.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 2");

    let stream = connection.reader.get_ref();
    stream
        .set_read_timeout(Some(Duration::from_millis(150)))
        .unwrap();
    let mut byte = [0u8; 1];
    let error = connection.reader.read(&mut byte).unwrap_err();
    assert!(
        matches!(
            error.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ),
        "{error:?}"
    );

    connection
        .reader
        .get_ref()
        .set_read_timeout(Some(common::READ_TIMEOUT))
        .unwrap();
    let mut rest = Vec::new();
    let mut buffer = [0u8; 1024];
    while !rest.ends_with(b"{\"success\":true}") {
        let length = connection.reader.read(&mut buffer).unwrap();
        assert!(length > 0);
        rest.extend_from_slice(&buffer[..length]);
    }
    assert!(rest.starts_with(b"00 OK\r\n"));
}

#[test]
fn chunked_api_response() {
    let server = start();
    server.script(vec![ScriptedAnswer {
        chunked: true,
        ..ScriptedAnswer::default()
    }]);
    let response = exchange(server.addr(), &add_request());
    assert_eq!(response.status, 200);
    assert_eq!(response.header("transfer-encoding"), Some("chunked"));
    assert_eq!(response.header("content-length"), None);
    assert_eq!(response.json()["success"], true);
}

#[test]
fn chunked_repeated_body_spans_many_chunks() {
    let server = start();
    let unit = "0123456789abcdef";
    server.script(vec![ScriptedAnswer {
        chunked: true,
        body_repeat: Some(20_000),
        ..ScriptedAnswer::with_status(200, unit)
    }]);
    let response = exchange(server.addr(), &add_request());
    assert_eq!(response.body.len(), unit.len() * 20_000);
    assert!(response
        .body
        .chunks(unit.len())
        .all(|chunk| chunk == unit.as_bytes()));
}

#[test]
fn gzip_body_decompresses() {
    let server = start();
    let body = r#"{"message":"compressed","error":"teapot"}"#;
    server.script(vec![ScriptedAnswer {
        gzip: true,
        ..ScriptedAnswer::with_status(418, body)
    }]);
    let response = exchange(server.addr(), &add_request());
    assert_eq!(response.status, 418);
    assert_eq!(response.header("content-encoding"), Some("gzip"));
    let mut text = String::new();
    flate2::read::GzDecoder::new(&response.body[..])
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(text, body);
}

#[test]
fn gzip_chunked_api_response() {
    let server = start();
    server.script(vec![ScriptedAnswer {
        gzip: true,
        chunked: true,
        ..ScriptedAnswer::default()
    }]);
    let response = exchange(server.addr(), &add_request());
    assert_eq!(response.header("transfer-encoding"), Some("chunked"));
    assert_eq!(response.header("content-encoding"), Some("gzip"));
    let mut text = String::new();
    flate2::read::GzDecoder::new(&response.body[..])
        .read_to_string(&mut text)
        .unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["success"], true);
}

#[test]
fn body_repeat_streams_oversized_body() {
    let server = start();
    let unit = "x".repeat(1024);
    let repeat = 5 * 1024;
    server.script(vec![ScriptedAnswer {
        body_repeat: Some(repeat),
        ..ScriptedAnswer::with_status(200, unit.clone())
    }]);
    let response = exchange(server.addr(), &add_request());
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-length"), Some("5242880"));
    assert_eq!(response.body.len(), 5 * 1024 * 1024);
    assert!(response.body.iter().all(|&byte| byte == b'x'));
}

#[test]
fn body_base64_sends_raw_bytes() {
    let server = start();
    server.script(vec![ScriptedAnswer {
        status: Some(200),
        body_base64: Some("AP8Kew==".to_owned()),
        ..ScriptedAnswer::default()
    }]);
    let response = exchange(server.addr(), &add_request());
    assert_eq!(response.body, vec![0x00, 0xff, b'\n', b'{']);
}

#[test]
fn script_over_http() {
    let server = start();
    let script = r#"[{"status": 429, "headers": [["Retry-After", "1"]], "body": "{\"message\":\"slow down\"}"},
                     {"drop": "before_response"}]"#;
    let response = exchange(
        server.addr(),
        &control_request("POST", "/__mock/script", script),
    );
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["queued"], 2);
    assert_eq!(response.json()["pending"], 2);

    let limited = exchange(server.addr(), &add_request());
    assert_eq!(limited.status, 429);
    assert_eq!(limited.message(), "slow down");

    let mut connection = Connection::open(server.addr());
    connection.send_raw(&add_request());
    assert!(connection.is_closed_by_server());
    assert_eq!(server.pending_scripts(), 0);
}

#[test]
fn invalid_script_over_http_queues_nothing() {
    let server = start();
    let cases = [
        (
            r#"[{"status": 200}, {"status": 7}]"#,
            "scripted answer 1: status 7",
        ),
        (r#"[{"delay": 5}]"#, "unknown field"),
        (r#"{"status": 500}"#, "JSON array"),
    ];
    for (script, expected) in cases {
        let response = exchange(
            server.addr(),
            &control_request("POST", "/__mock/script", script),
        );
        assert_eq!(response.status, 400, "{script}");
        assert!(
            response.message().contains(expected),
            "{script}: {}",
            response.message()
        );
    }
    assert_eq!(server.pending_scripts(), 0);
}

#[test]
fn control_requests_do_not_use_scripts() {
    let server = start();
    server.script(vec![ScriptedAnswer::with_status(500, "{}")]);
    let stats = exchange(server.addr(), &control_request("GET", "/__mock/stats", ""));
    assert_eq!(stats.status, 200);
    assert_eq!(server.pending_scripts(), 1);
    assert_eq!(exchange(server.addr(), &add_request()).status, 500);
}

#[test]
fn try_script_reports_invalid_answer() {
    let server = start();
    let error = server
        .try_script(vec![ScriptedAnswer {
            body: Some("x".to_owned()),
            ..ScriptedAnswer::default()
        }])
        .unwrap_err();
    assert_eq!(error.index, 0);
    assert!(error.reason.contains("need status"), "{error}");
}

#[test]
#[should_panic(expected = "stall_after_bytes and stall_ms must be set together")]
fn script_panics_on_invalid_answer() {
    let server = start();
    server.script(vec![ScriptedAnswer {
        stall_ms: Some(5),
        ..ScriptedAnswer::default()
    }]);
}

#[test]
fn remove_member_after_scripted_failure() {
    let server = start();
    server.script(vec![ScriptedAnswer::with_status(503, "{}")]);
    let remove = user_request("DELETE", DEFAULT_CUSTOMER_ID, DEFAULT_MEMBER_USER_ID);
    assert_eq!(exchange(server.addr(), &remove).status, 503);
    assert_eq!(
        server.members(DEFAULT_CUSTOMER_ID),
        vec![DEFAULT_MEMBER_USER_ID]
    );
    assert_eq!(exchange(server.addr(), &remove).status, 200);
    assert!(server.members(DEFAULT_CUSTOMER_ID).is_empty());
}
