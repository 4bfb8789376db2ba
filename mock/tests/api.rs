//! Normal behaviour of the Express Users API over real sockets.

mod common;

use avara_mock::{
    Config, Server, DEFAULT_API_KEY, DEFAULT_CUSTOMER_ID, DEFAULT_MEMBER_USER_ID,
    DEFAULT_READ_ONLY_API_KEY, DEFAULT_USER_ID, SECOND_CUSTOMER_ID,
};
use common::{api_request, exchange, start, user_request, Connection};

const UNKNOWN_CUSTOMER: &str = "cus_99999999999999999999999999999999";
const UNKNOWN_USER: &str = "usr_99999999999999999999999999999999";

fn valid_body(user: &str) -> String {
    format!(r#"{{"userId":"{user}"}}"#)
}

#[test]
fn add_then_remove_changes_membership() {
    let server = start();
    let mut connection = Connection::open(server.addr());

    let added = connection.exchange(&user_request("POST", DEFAULT_CUSTOMER_ID, DEFAULT_USER_ID));
    assert_eq!(added.status, 200);
    assert_eq!(added.json()["success"], true);
    assert_eq!(
        added.message(),
        format!("User {DEFAULT_USER_ID} added to customer {DEFAULT_CUSTOMER_ID}")
    );
    assert_eq!(
        server.members(DEFAULT_CUSTOMER_ID),
        vec![DEFAULT_USER_ID, DEFAULT_MEMBER_USER_ID]
    );

    let removed = connection.exchange(&user_request(
        "DELETE",
        DEFAULT_CUSTOMER_ID,
        DEFAULT_USER_ID,
    ));
    assert_eq!(removed.status, 200);
    assert_eq!(removed.json()["success"], true);
    assert_eq!(
        removed.message(),
        format!("User {DEFAULT_USER_ID} removed from customer {DEFAULT_CUSTOMER_ID}")
    );
    assert_eq!(
        server.members(DEFAULT_CUSTOMER_ID),
        vec![DEFAULT_MEMBER_USER_ID]
    );
}

#[test]
fn add_existing_member_conflicts() {
    let server = start();
    let response = exchange(
        server.addr(),
        &user_request("POST", DEFAULT_CUSTOMER_ID, DEFAULT_MEMBER_USER_ID),
    );
    assert_eq!(response.status, 409);
    assert_eq!(response.json()["error"], "conflict");
    assert!(
        response.message().contains(DEFAULT_MEMBER_USER_ID),
        "{}",
        response.message()
    );
}

#[test]
fn remove_non_member_not_found() {
    let server = start();
    let response = exchange(
        server.addr(),
        &user_request("DELETE", SECOND_CUSTOMER_ID, DEFAULT_USER_ID),
    );
    assert_eq!(response.status, 404);
    assert_eq!(
        response.message(),
        format!("User {DEFAULT_USER_ID} is not a member of Express customer {SECOND_CUSTOMER_ID}")
    );
}

#[test]
fn unknown_customer_not_found() {
    let server = start();
    let response = exchange(
        server.addr(),
        &user_request("POST", UNKNOWN_CUSTOMER, DEFAULT_USER_ID),
    );
    assert_eq!(response.status, 404);
    assert_eq!(response.json()["error"], "not_found");
    assert_eq!(
        response.message(),
        format!("Express customer {UNKNOWN_CUSTOMER} not found")
    );
}

#[test]
fn unknown_user_not_found() {
    let server = start();
    let response = exchange(
        server.addr(),
        &user_request("POST", DEFAULT_CUSTOMER_ID, UNKNOWN_USER),
    );
    assert_eq!(response.status, 404);
    assert_eq!(response.message(), format!("User {UNKNOWN_USER} not found"));
}

#[test]
fn unknown_customer_reported_before_unknown_user() {
    let server = start();
    let response = exchange(
        server.addr(),
        &user_request("POST", UNKNOWN_CUSTOMER, UNKNOWN_USER),
    );
    assert_eq!(response.status, 404);
    assert!(
        response.message().starts_with("Express customer"),
        "{}",
        response.message()
    );
}

#[test]
fn uppercase_hex_ids_match_seeded_ids() {
    let server = start();
    let customer = DEFAULT_CUSTOMER_ID
        .to_uppercase()
        .replacen("CUS_", "cus_", 1);
    let user = "usr_0000000000000000000000000000000A";
    let config = Config {
        users: vec![user.to_lowercase()],
        ..Config::default()
    };
    let server_with_user = Server::start(config).unwrap();

    let response = exchange(
        server.addr(),
        &user_request("POST", &customer, DEFAULT_USER_ID),
    );
    assert_eq!(response.status, 200, "{}", response.message());
    assert!(
        response.message().contains(&customer),
        "{}",
        response.message()
    );
    assert!(server
        .members(DEFAULT_CUSTOMER_ID)
        .contains(&DEFAULT_USER_ID.to_owned()));

    let response = exchange(
        server_with_user.addr(),
        &user_request("POST", &customer, user),
    );
    assert_eq!(response.status, 200, "{}", response.message());
    assert!(server_with_user
        .members(DEFAULT_CUSTOMER_ID)
        .contains(&user.to_lowercase()));
}

#[test]
fn percent_encoded_customer_is_decoded() {
    let server = start();
    let encoded = DEFAULT_CUSTOMER_ID.replacen("cus_", "%63us%5F", 1);
    let response = exchange(
        server.addr(),
        &user_request("POST", &encoded, DEFAULT_USER_ID),
    );
    assert_eq!(response.status, 200, "{}", response.message());
    assert_eq!(
        server.requests()[0].path,
        format!("/v1/express/{encoded}/users"),
        "the log keeps the raw path"
    );
}

#[test]
fn missing_api_key_unauthorized() {
    let server = start();
    let request = api_request(
        "POST",
        DEFAULT_CUSTOMER_ID,
        None,
        &valid_body(DEFAULT_USER_ID),
    );
    let response = exchange(server.addr(), &request);
    assert_eq!(response.status, 401);
    assert_eq!(response.json()["error"], "unauthorized");
    assert!(response.message().starts_with("Missing or invalid API key"));
    assert_eq!(response.header("www-authenticate"), Some("Bearer"));
}

#[test]
fn wrong_api_key_or_scheme_unauthorized() {
    let server = start();
    let body = valid_body(DEFAULT_USER_ID);
    let unknown_key = api_request(
        "POST",
        DEFAULT_CUSTOMER_ID,
        Some("sk_live_11111111111111111111111111111111"),
        &body,
    );
    assert_eq!(exchange(server.addr(), &unknown_key).status, 401);

    let basic_scheme =
        String::from_utf8(user_request("POST", DEFAULT_CUSTOMER_ID, DEFAULT_USER_ID))
            .unwrap()
            .replace("Bearer ", "Basic ");
    assert_eq!(exchange(server.addr(), basic_scheme.as_bytes()).status, 401);

    let lowercase_scheme =
        String::from_utf8(user_request("POST", DEFAULT_CUSTOMER_ID, DEFAULT_USER_ID))
            .unwrap()
            .replace("Bearer ", "bearer ");
    assert_eq!(
        exchange(server.addr(), lowercase_scheme.as_bytes()).status,
        200
    );
}

#[test]
fn read_only_key_forbidden() {
    let server = start();
    let request = api_request(
        "POST",
        DEFAULT_CUSTOMER_ID,
        Some(DEFAULT_READ_ONLY_API_KEY),
        &valid_body(DEFAULT_USER_ID),
    );
    let response = exchange(server.addr(), &request);
    assert_eq!(response.status, 403);
    assert_eq!(response.json()["error"], "forbidden");
    assert_eq!(
        server.members(DEFAULT_CUSTOMER_ID),
        vec![DEFAULT_MEMBER_USER_ID]
    );
}

#[test]
fn configured_keys_replace_default() {
    let key = "sk_live_abcdefabcdefabcdefabcdefabcdefab";
    let config = Config {
        api_keys: vec![key.to_owned()],
        ..Config::default()
    };
    let server = Server::start(config).unwrap();
    let body = valid_body(DEFAULT_USER_ID);
    let with_default = api_request("POST", DEFAULT_CUSTOMER_ID, Some(DEFAULT_API_KEY), &body);
    assert_eq!(exchange(server.addr(), &with_default).status, 401);
    let with_configured = api_request("POST", DEFAULT_CUSTOMER_ID, Some(key), &body);
    assert_eq!(exchange(server.addr(), &with_configured).status, 200);
}

#[test]
fn invalid_customer_id_bad_request() {
    let server = start();
    for customer in [
        "cus_123",
        "usr_0123456789abcdef0123456789abcdef",
        "cus_0123456789abcdef0123456789abcdeg",
        "%zz",
    ] {
        let response = exchange(
            server.addr(),
            &user_request("POST", customer, DEFAULT_USER_ID),
        );
        assert_eq!(response.status, 400, "{customer}");
        let message = response.message();
        assert!(message.contains("expressCustomerId"), "{message}");
        assert!(
            message.contains("cus_") || message.contains("percent-escape"),
            "{message}"
        );
    }
}

#[test]
fn invalid_content_type_unsupported() {
    let server = start();
    let valid =
        String::from_utf8(user_request("POST", DEFAULT_CUSTOMER_ID, DEFAULT_USER_ID)).unwrap();

    let text_plain = valid.replace("Content-Type: application/json", "Content-Type: text/plain");
    let response = exchange(server.addr(), text_plain.as_bytes());
    assert_eq!(response.status, 415);
    assert!(
        response.message().contains("text/plain"),
        "{}",
        response.message()
    );

    let missing = valid.replace("Content-Type: application/json\r\n", "");
    assert_eq!(exchange(server.addr(), missing.as_bytes()).status, 415);

    let with_charset = valid.replace(
        "Content-Type: application/json",
        "Content-Type: Application/JSON; charset=utf-8",
    );
    assert_eq!(exchange(server.addr(), with_charset.as_bytes()).status, 200);
}

#[test]
fn invalid_body_bad_request() {
    let server = start();
    let cases = [
        ("", "empty"),
        ("{\"userId\":", "not valid JSON"),
        ("[\"usr_1\"]", "JSON object"),
        ("\"text\"", "JSON object"),
        ("{\"user_id\":\"usr_1\"}", "Missing required field userId"),
        ("{\"userId\":42}", "must be a string"),
        ("{\"userId\":null}", "must be a string"),
    ];
    for (body, expected) in cases {
        let request = api_request("POST", DEFAULT_CUSTOMER_ID, Some(DEFAULT_API_KEY), body);
        let response = exchange(server.addr(), &request);
        assert_eq!(response.status, 400, "{body:?}");
        assert_eq!(response.json()["error"], "bad_request", "{body:?}");
        assert!(
            response.message().contains(expected),
            "{body:?}: {}",
            response.message()
        );
    }
}

#[test]
fn invalid_user_id_unprocessable() {
    let server = start();
    for user in [
        "usr_1",
        "cus_00000000000000000000000000000001",
        "USR_00000000000000000000000000000001",
        "",
    ] {
        let response = exchange(
            server.addr(),
            &user_request("DELETE", DEFAULT_CUSTOMER_ID, user),
        );
        assert_eq!(response.status, 422, "{user:?}");
        let message = response.message();
        assert!(message.contains("userId"), "{message}");
        assert!(
            message.contains("usr_ followed by 32 hex digits"),
            "{message}"
        );
    }
}

#[test]
fn unknown_path_not_found() {
    let server = start();
    let response = exchange(server.addr(), b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(response.status, 404);
    assert_eq!(response.message(), "No route for GET /x");
    for path in [
        "/v1/express/users",
        "/v1/express/a/b/users",
        "/v2/express/a/users",
        "/v1/express/a/users/",
    ] {
        let request = format!("POST {path} HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(
            exchange(server.addr(), request.as_bytes()).status,
            404,
            "{path}"
        );
    }
}

#[test]
fn other_methods_not_allowed() {
    let server = start();
    for method in ["GET", "PUT", "PATCH", "OPTIONS"] {
        let request = user_request(method, DEFAULT_CUSTOMER_ID, DEFAULT_USER_ID);
        let response = exchange(server.addr(), &request);
        assert_eq!(response.status, 405, "{method}");
        assert_eq!(response.header("allow"), Some("POST, DELETE"), "{method}");
        assert_eq!(response.json()["error"], "method_not_allowed", "{method}");
    }
}

#[test]
fn checks_run_in_documented_order() {
    let server = start();
    // Method before authentication.
    let no_key_put = api_request("PUT", "cus_bad", None, "");
    assert_eq!(exchange(server.addr(), &no_key_put).status, 405);
    // Authentication before the customer ID.
    let no_key_bad_customer = api_request("POST", "cus_bad", None, "");
    assert_eq!(exchange(server.addr(), &no_key_bad_customer).status, 401);
    // Customer ID before the body.
    let bad_customer_bad_body = api_request("POST", "cus_bad", Some(DEFAULT_API_KEY), "nope");
    assert_eq!(exchange(server.addr(), &bad_customer_bad_body).status, 400);
    // User ID format before existence of the customer.
    let unknown_customer_bad_user = user_request("POST", UNKNOWN_CUSTOMER, "usr_1");
    assert_eq!(
        exchange(server.addr(), &unknown_customer_bad_user).status,
        422
    );
}

#[test]
fn every_response_has_standard_headers() {
    let server = start();
    let mut connection = Connection::open(server.addr());
    let requests = [
        user_request("POST", DEFAULT_CUSTOMER_ID, DEFAULT_USER_ID),
        user_request("POST", UNKNOWN_CUSTOMER, DEFAULT_USER_ID),
        b"GET /nope HTTP/1.1\r\nHost: a\r\n\r\n".to_vec(),
        b"GET /__mock/stats HTTP/1.1\r\nHost: a\r\n\r\n".to_vec(),
    ];
    let mut request_ids = Vec::new();
    for request in &requests {
        let response = connection.exchange(request);
        assert_eq!(response.header("content-type"), Some("application/json"));
        let length: usize = response.header("content-length").unwrap().parse().unwrap();
        assert_eq!(length, response.body.len());
        let request_id = response.header("x-request-id").unwrap();
        assert!(request_id.starts_with("req_"), "{request_id}");
        request_ids.push(request_id[4..].parse::<u64>().unwrap());
        assert!(response
            .header("date")
            .is_some_and(|date| date.ends_with(" GMT")));
    }
    assert_eq!(request_ids, vec![1, 2, 3, 4]);
}

#[test]
fn requests_are_recorded() {
    let server = start();
    let body = valid_body(DEFAULT_USER_ID);
    let request = api_request("DELETE", DEFAULT_CUSTOMER_ID, Some(DEFAULT_API_KEY), &body);
    exchange(server.addr(), &request);
    exchange(
        server.addr(),
        b"GET /__mock/stats HTTP/1.1\r\nHost: a\r\n\r\n",
    );

    let recorded = server.requests();
    assert_eq!(recorded.len(), 1, "control requests are not recorded");
    assert_eq!(recorded[0].method, "DELETE");
    assert_eq!(
        recorded[0].path,
        format!("/v1/express/{DEFAULT_CUSTOMER_ID}/users")
    );
    assert_eq!(
        recorded[0].header("authorization"),
        Some(format!("Bearer {DEFAULT_API_KEY}").as_str())
    );
    assert_eq!(recorded[0].header("Accept"), Some("application/json"));
    assert_eq!(recorded[0].body, body.as_bytes());

    server.clear_requests();
    assert!(server.requests().is_empty());
}

#[test]
fn request_log_keeps_newest() {
    let server = start();
    let total = avara_mock::MAX_RECORDED_REQUESTS + 5;
    let mut connection = Connection::open(server.addr());

    // Pipeline in batches to keep the test fast.
    let batch = 500;
    let mut sent = 0;
    while sent < total {
        let count = batch.min(total - sent);
        let mut bytes = Vec::new();
        for index in sent..sent + count {
            bytes.extend_from_slice(
                format!("GET /log/{index} HTTP/1.1\r\nHost: a\r\n\r\n").as_bytes(),
            );
        }
        connection.send_raw(&bytes);
        for _ in 0..count {
            assert_eq!(connection.read_response().unwrap().status, 404);
        }
        sent += count;
    }

    let recorded = server.requests();
    assert_eq!(recorded.len(), avara_mock::MAX_RECORDED_REQUESTS);
    assert_eq!(recorded[0].path, "/log/5");
    assert_eq!(recorded.last().unwrap().path, format!("/log/{}", total - 1));
}

#[test]
fn config_members_seed_customer_and_user() {
    let customer = "cus_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let user = "usr_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    let config = Config {
        members: vec![(customer.to_owned(), user.to_owned())],
        ..Config::default().without_seed()
    };
    let server = Server::start(config).unwrap();
    assert_eq!(server.members(customer), vec![user]);
    assert!(server.members(DEFAULT_CUSTOMER_ID).is_empty());

    let response = exchange(server.addr(), &user_request("DELETE", customer, user));
    assert_eq!(response.status, 200);
    let response = exchange(
        server.addr(),
        &user_request("POST", DEFAULT_CUSTOMER_ID, DEFAULT_USER_ID),
    );
    assert_eq!(response.status, 404);
}

#[test]
fn invalid_config_rejected_at_start() {
    let config = Config {
        customers: vec!["cus_nothex".to_owned()],
        ..Config::default()
    };
    let error = Server::start(config).err().expect("start fails");
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    assert!(error.to_string().contains("cus_nothex"), "{error}");
}
