//! HTTP/1.1 transport behaviour over real sockets: persistent connections,
//! pipelining, body framing, size limits and shutdown.

mod common;

use std::io::{BufRead, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use avara_mock::{
    DEFAULT_API_KEY, DEFAULT_CUSTOMER_ID, DEFAULT_USER_ID, MAX_BODY_BYTES, MAX_HEAD_BYTES,
    SECOND_USER_ID,
};
use common::{exchange, start, user_request, Connection};

#[test]
fn keep_alive_reuses_connection() {
    let server = start();
    let mut connection = Connection::open(server.addr());
    for _ in 0..5 {
        let response = connection.exchange(b"GET /nope HTTP/1.1\r\nHost: a\r\n\r\n");
        assert_eq!(response.status, 404);
        assert_eq!(response.header("connection"), None);
    }
    let stats = server.stats();
    assert_eq!(stats.connections_accepted, 1);
    assert_eq!(stats.requests_served, 5);
}

#[test]
fn connection_close_is_honoured() {
    let server = start();
    let mut connection = Connection::open(server.addr());
    let response =
        connection.exchange(b"GET /nope HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    assert_eq!(response.status, 404);
    assert_eq!(response.header("connection"), Some("close"));
    assert!(connection.is_closed_by_server());
}

#[test]
fn http10_closes_unless_keep_alive() {
    let server = start();
    let mut connection = Connection::open(server.addr());
    let response = connection.exchange(b"GET /nope HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert_eq!(response.header("connection"), Some("keep-alive"));
    let response = connection.exchange(b"GET /nope HTTP/1.0\r\n\r\n");
    assert_eq!(response.status, 404);
    assert_eq!(response.header("connection"), Some("close"));
    assert!(connection.is_closed_by_server());
}

#[test]
fn pipelined_requests_answered_in_order() {
    let server = start();
    let mut connection = Connection::open(server.addr());
    let mut bytes = user_request("POST", DEFAULT_CUSTOMER_ID, DEFAULT_USER_ID);
    bytes.extend_from_slice(&user_request("POST", DEFAULT_CUSTOMER_ID, DEFAULT_USER_ID));
    bytes.extend_from_slice(&user_request(
        "DELETE",
        DEFAULT_CUSTOMER_ID,
        DEFAULT_USER_ID,
    ));
    bytes.extend_from_slice(b"GET /last HTTP/1.1\r\nHost: a\r\n\r\n");
    connection.send_raw(&bytes);

    let statuses: Vec<u16> = (0..4)
        .map(|_| connection.read_response().unwrap().status)
        .collect();
    assert_eq!(statuses, vec![200, 409, 200, 404]);
}

#[test]
fn chunked_request_body_is_decoded() {
    let server = start();
    let body = format!(r#"{{"userId":"{DEFAULT_USER_ID}"}}"#);
    let (first, second) = body.split_at(7);
    let request = format!(
        "POST /v1/express/{DEFAULT_CUSTOMER_ID}/users HTTP/1.1\r\nHost: a\r\n\
         Authorization: Bearer {DEFAULT_API_KEY}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{first}\r\n{:x};ext=1\r\n{second}\r\n0\r\n\r\n",
        first.len(),
        second.len()
    );
    let response = exchange(server.addr(), request.as_bytes());
    assert_eq!(response.status, 200, "{}", response.message());
    assert_eq!(server.requests()[0].body, body.as_bytes());
}

#[test]
fn oversized_headers_rejected_with_431() {
    let server = start();
    let mut request = b"GET /nope HTTP/1.1\r\nHost: a\r\nX-Big: ".to_vec();
    request.resize(request.len() + MAX_HEAD_BYTES, b'a');
    request.extend_from_slice(b"\r\n\r\n");
    let mut connection = Connection::open(server.addr());
    let response = connection.exchange(&request);
    assert_eq!(response.status, 431);
    assert_eq!(response.json()["error"], "header_fields_too_large");
    assert_eq!(response.header("connection"), Some("close"));
    assert!(connection.is_closed_by_server());
}

#[test]
fn oversized_body_rejected_with_413() {
    let server = start();
    let request = format!(
        "POST /v1/express/{DEFAULT_CUSTOMER_ID}/users HTTP/1.1\r\nHost: a\r\nContent-Length: {}\r\n\r\n",
        MAX_BODY_BYTES + 1
    );
    let mut connection = Connection::open(server.addr());
    let response = connection.exchange(request.as_bytes());
    assert_eq!(response.status, 413);
    assert_eq!(response.json()["error"], "payload_too_large");
    assert!(connection.is_closed_by_server());
}

#[test]
fn oversized_chunked_body_rejected_with_413() {
    let server = start();
    let mut connection = Connection::open(server.addr());
    connection.send_raw(
        format!("POST /v1/express/{DEFAULT_CUSTOMER_ID}/users HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
            .as_bytes(),
    );
    let chunk = vec![b'x'; 64 * 1024];
    let mut stream = connection.reader.get_ref().try_clone().unwrap();
    let writer = std::thread::spawn(move || {
        // The server stops reading after the limit, so later writes may fail.
        for _ in 0..(MAX_BODY_BYTES / chunk.len() + 2) {
            let mut bytes = format!("{:x}\r\n", chunk.len()).into_bytes();
            bytes.extend_from_slice(&chunk);
            bytes.extend_from_slice(b"\r\n");
            if stream.write_all(&bytes).is_err() {
                return;
            }
        }
    });
    let response = connection.read_response().unwrap();
    writer.join().unwrap();
    assert_eq!(response.status, 413);
}

#[test]
fn expect_continue_gets_interim_response() {
    let server = start();
    let body = format!(r#"{{"userId":"{DEFAULT_USER_ID}"}}"#);
    let head = format!(
        "POST /v1/express/{DEFAULT_CUSTOMER_ID}/users HTTP/1.1\r\nHost: a\r\n\
         Authorization: Bearer {DEFAULT_API_KEY}\r\nContent-Type: application/json\r\n\
         Expect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut connection = Connection::open(server.addr());
    connection.send_raw(head.as_bytes());
    let mut interim = [0u8; 25];
    connection.reader.read_exact(&mut interim).unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    connection.send_raw(body.as_bytes());
    assert_eq!(connection.read_response().unwrap().status, 200);
}

#[test]
fn head_request_gets_no_body() {
    let server = start();
    let mut connection = Connection::open(server.addr());
    connection.send_raw(b"HEAD /nope HTTP/1.1\r\nHost: a\r\n\r\n");
    let mut head_lines = Vec::new();
    loop {
        let mut line = String::new();
        connection.reader.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
        head_lines.push(line);
    }
    assert_eq!(head_lines[0], "HTTP/1.1 404 Not Found\r\n");
    assert!(head_lines
        .iter()
        .any(|line| line.starts_with("Content-Length: ")));

    // A body after the HEAD response would make this response unparseable.
    let response = connection.exchange(b"GET /after HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(response.message(), "No route for GET /after");
}

#[test]
fn malformed_requests_rejected_with_400() {
    let server = start();
    let cases: [&[u8]; 4] = [
        b"GET /nope HTTP/1.1\r\n\r\n",
        b"GET /nope\r\nHost: a\r\n\r\n",
        b"GET /nope HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
        b"POST /nope HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
    ];
    for case in cases {
        let mut connection = Connection::open(server.addr());
        let response = connection.exchange(case);
        assert_eq!(response.status, 400, "{:?}", String::from_utf8_lossy(case));
        assert!(
            response.message().starts_with("Malformed request"),
            "{}",
            response.message()
        );
        assert!(connection.is_closed_by_server());
    }
    assert_eq!(server.stats().requests_served, 0);
}

#[test]
fn unsupported_transfer_coding_rejected_with_501() {
    let server = start();
    let response = exchange(
        server.addr(),
        b"POST /nope HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
    );
    assert_eq!(response.status, 501);
}

#[test]
fn stats_count_connections() {
    let server = start();
    let mut first = Connection::open(server.addr());
    let mut second = Connection::open(server.addr());
    first.exchange(&user_request("POST", DEFAULT_CUSTOMER_ID, DEFAULT_USER_ID));
    second.exchange(&user_request("POST", DEFAULT_CUSTOMER_ID, SECOND_USER_ID));
    let stats = server.stats();
    assert_eq!(stats.connections_accepted, 2);
    assert_eq!(stats.connections_open, 2);
    assert_eq!(stats.requests_served, 2);

    drop(first);
    // The connection thread notices the close on its next read.
    let mut open = server.stats().connections_open;
    for _ in 0..100 {
        if open == 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
        open = server.stats().connections_open;
    }
    assert_eq!(open, 1);
}

#[test]
fn drop_closes_listener_and_connections() {
    let server = start();
    let addr = server.addr();
    let mut connection = Connection::open(addr);
    assert_eq!(
        connection
            .exchange(b"GET /nope HTTP/1.1\r\nHost: a\r\n\r\n")
            .status,
        404
    );

    drop(server);

    assert!(connection.is_closed_by_server());
    assert!(TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err());
}

#[test]
fn concurrent_clients_all_served() {
    let server = start();
    let addr = server.addr();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(move || {
                let mut connection = Connection::open(addr);
                for _ in 0..200 {
                    let response =
                        connection.exchange(b"GET /__mock/stats HTTP/1.1\r\nHost: a\r\n\r\n");
                    assert_eq!(response.status, 200);
                    let response = connection.exchange(b"GET /nope HTTP/1.1\r\nHost: a\r\n\r\n");
                    assert_eq!(response.status, 404);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let stats = server.stats();
    assert_eq!(stats.connections_accepted, 8);
    assert_eq!(stats.requests_served, 8 * 200);
}
