//! Control interface under `/__mock/` over real sockets.

mod common;

use avara_mock::{
    ScriptedAnswer, DEFAULT_CUSTOMER_ID, DEFAULT_MEMBER_USER_ID, DEFAULT_USER_ID,
    SECOND_CUSTOMER_ID, SECOND_USER_ID,
};
use common::{control_request, exchange, start, user_request};
use serde_json::json;

#[test]
fn state_lists_customers_and_users() {
    let server = start();
    let response = exchange(
        server.addr(),
        b"GET /__mock/state HTTP/1.1\r\nHost: a\r\n\r\n",
    );
    assert_eq!(response.status, 200);
    let state = response.json();
    assert_eq!(
        state["customers"],
        json!({
            DEFAULT_CUSTOMER_ID: [DEFAULT_MEMBER_USER_ID],
            SECOND_CUSTOMER_ID: [],
        })
    );
    assert_eq!(
        state["users"],
        json!([DEFAULT_USER_ID, SECOND_USER_ID, DEFAULT_MEMBER_USER_ID])
    );

    exchange(
        server.addr(),
        &user_request("POST", SECOND_CUSTOMER_ID, DEFAULT_USER_ID),
    );
    let state = exchange(
        server.addr(),
        b"GET /__mock/state HTTP/1.1\r\nHost: a\r\n\r\n",
    )
    .json();
    assert_eq!(
        state["customers"][SECOND_CUSTOMER_ID],
        json!([DEFAULT_USER_ID])
    );
}

#[test]
fn requests_endpoint_returns_log() {
    let server = start();
    let add = user_request("POST", DEFAULT_CUSTOMER_ID, DEFAULT_USER_ID);
    exchange(server.addr(), &add);

    let response = exchange(
        server.addr(),
        &control_request("GET", "/__mock/requests", ""),
    );
    assert_eq!(response.status, 200);
    let log = response.json();
    let entries = log.as_array().expect("a JSON array");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["method"], "POST");
    assert_eq!(
        entries[0]["path"],
        format!("/v1/express/{DEFAULT_CUSTOMER_ID}/users")
    );
    assert_eq!(
        entries[0]["body"],
        format!(r#"{{"userId":"{DEFAULT_USER_ID}"}}"#)
    );
    let headers = entries[0]["headers"].as_array().unwrap();
    assert!(
        headers.contains(&json!(["Content-Type", "application/json"])),
        "{headers:?}"
    );

    let cleared = exchange(
        server.addr(),
        &control_request("POST", "/__mock/reset-log", ""),
    );
    assert_eq!(cleared.status, 200);
    let log = exchange(
        server.addr(),
        &control_request("GET", "/__mock/requests", ""),
    )
    .json();
    assert_eq!(log, json!([]));
}

#[test]
fn stats_endpoint_reports_counters() {
    let server = start();
    exchange(
        server.addr(),
        &user_request("POST", DEFAULT_CUSTOMER_ID, DEFAULT_USER_ID),
    );
    let stats = exchange(server.addr(), &control_request("GET", "/__mock/stats", "")).json();
    assert_eq!(stats["connections_accepted"], 2);
    assert_eq!(
        stats["connections_open"].as_u64().map(|open| open >= 1),
        Some(true)
    );
    assert_eq!(stats["requests_served"], 1);
}

#[test]
fn reset_restores_seed_and_clears() {
    let server = start();
    exchange(
        server.addr(),
        &user_request("DELETE", DEFAULT_CUSTOMER_ID, DEFAULT_MEMBER_USER_ID),
    );
    exchange(
        server.addr(),
        &user_request("POST", SECOND_CUSTOMER_ID, SECOND_USER_ID),
    );
    server.script(vec![ScriptedAnswer::with_status(500, "{}")]);
    assert!(server.members(DEFAULT_CUSTOMER_ID).is_empty());

    let response = exchange(server.addr(), &control_request("POST", "/__mock/reset", ""));
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["success"], true);

    assert_eq!(
        server.members(DEFAULT_CUSTOMER_ID),
        vec![DEFAULT_MEMBER_USER_ID]
    );
    assert!(server.members(SECOND_CUSTOMER_ID).is_empty());
    assert_eq!(server.pending_scripts(), 0);
    assert!(server.requests().is_empty());
    assert_eq!(
        server.stats().requests_served,
        2,
        "reset keeps the counters"
    );
}

#[test]
fn server_reset_matches_endpoint() {
    let server = start();
    exchange(
        server.addr(),
        &user_request("POST", DEFAULT_CUSTOMER_ID, DEFAULT_USER_ID),
    );
    server.reset();
    assert_eq!(
        server.members(DEFAULT_CUSTOMER_ID),
        vec![DEFAULT_MEMBER_USER_ID]
    );
    assert!(server.requests().is_empty());
}

#[test]
fn unknown_control_path_not_found() {
    let server = start();
    let response = exchange(
        server.addr(),
        &control_request("GET", "/__mock/nothing", ""),
    );
    assert_eq!(response.status, 404);
    assert_eq!(response.message(), "No route for GET /__mock/nothing");
}

#[test]
fn control_wrong_method_not_allowed() {
    let cases = [
        ("POST", "/__mock/state", "GET"),
        ("DELETE", "/__mock/requests", "GET"),
        ("GET", "/__mock/script", "POST"),
        ("GET", "/__mock/reset", "POST"),
    ];
    let server = start();
    for (method, path, allowed) in cases {
        let response = exchange(server.addr(), &control_request(method, path, ""));
        assert_eq!(response.status, 405, "{method} {path}");
        assert_eq!(response.header("allow"), Some(allowed), "{method} {path}");
    }
}
