//! Certificate verification from C against a loopback HTTPS server whose
//! certificate comes from a throwaway CA (see `common/tls.rs`).
//!
//! Without `--ca-file` the client trusts the platform's store, which does
//! not know the CA, so every https call must fail before a request is sent.

mod common;

use common::tls::{http_response, TestCa, TlsServer};
use common::*;

fn add(url: &str, extra: &[&str]) -> CallReport {
    let mut options = vec!["--max-retries", "0"];
    options.extend_from_slice(extra);
    avara_call(
        &call_args(url, &options, "add", DEFAULT_CUSTOMER_ID, DEFAULT_USER_ID),
        &[],
    )
}

#[test]
fn untrusted_certificate_rejected() {
    let ca = TestCa::new("untrusted");
    let (certificate, key) = ca.issue(&["localhost", "127.0.0.1"]);
    let server = TlsServer::start_ok(certificate, key);

    let report = add(&server.url(), &[]);

    assert_eq!(
        report.status(),
        "AVARA_STATUS_CONNECTION_FAILED",
        "{}",
        report.stdout
    );
    let message = report.get("message");
    assert!(message.contains("certificate"), "{message}");
    assert!(message.contains("UnknownIssuer"), "{message}");
    assert!(
        message.contains("ca_bundle_file"),
        "no hint at the fix: {message}"
    );
    assert_eq!(report.get("http_status"), "0");
    assert_eq!(server.connections(), 1);
    assert!(
        server.request_heads().is_empty(),
        "a request crossed a rejected handshake; server saw {:?}",
        server.handshake_errors()
    );
}

#[test]
fn ca_certificate_as_server_rejected() {
    // A self-signed CA certificate served as the server's own, as
    // `openssl req -x509` makes by default, and trusted through --ca-file.
    let ca = TestCa::new("ca-as-server");
    let (certificate, key) = ca.own_certificate();
    let server = TlsServer::start_ok(certificate, key);
    let ca_file = ca.pem_path().to_str().unwrap().to_owned();

    let report = add(&server.url(), &["--ca-file", &ca_file]);

    assert_eq!(
        report.status(),
        "AVARA_STATUS_CONNECTION_FAILED",
        "{}",
        report.stdout
    );
    let message = report.get("message");
    assert!(message.contains("CaUsedAsEndEntity"), "{message}");
    assert!(
        message.contains("needs a leaf certificate"),
        "no hint at the fix: {message}"
    );
    assert!(server.request_heads().is_empty());
}

#[test]
fn configured_ca_accepted() {
    let ca = TestCa::new("trusted");
    let (certificate, key) = ca.issue(&["localhost", "127.0.0.1"]);
    let server = TlsServer::start_ok(certificate, key);
    let ca_file = ca.pem_path().to_str().unwrap().to_owned();

    for host in ["127.0.0.1", "localhost"] {
        let url = server.url().replace("127.0.0.1", host);
        let report = add(&url, &["--ca-file", &ca_file]);
        assert_eq!(
            report.status(),
            "AVARA_STATUS_OK",
            "{host}: {}",
            report.stdout
        );
        assert_eq!(report.get("success"), "true", "{host}");
        assert_eq!(report.get("response_message"), "added over TLS", "{host}");
    }

    let heads = server.request_heads();
    assert_eq!(heads.len(), 2, "{heads:#?}");
    let bearer = format!("authorization: Bearer {DEFAULT_API_KEY}");
    for head in heads {
        assert!(
            head.starts_with(&format!(
                "POST /v1/express/{DEFAULT_CUSTOMER_ID}/users HTTP/1.1"
            )),
            "{head}"
        );
        assert!(
            head.to_ascii_lowercase()
                .contains(&bearer.to_ascii_lowercase()),
            "{head}"
        );
    }
}

#[test]
fn certificate_for_other_name_rejected() {
    let ca = TestCa::new("other-name");
    let (certificate, key) = ca.issue(&["api.example.test"]);
    let server = TlsServer::start_ok(certificate, key);
    let ca_file = ca.pem_path().to_str().unwrap().to_owned();

    let report = add(&server.url(), &["--ca-file", &ca_file]);

    assert_eq!(
        report.status(),
        "AVARA_STATUS_CONNECTION_FAILED",
        "{}",
        report.stdout
    );
    let message = report.get("message");
    assert!(message.contains("certificate"), "{message}");
    assert!(message.contains("not valid for name"), "{message}");
    assert!(
        message.contains("use the host name"),
        "no hint at the fix: {message}"
    );
    assert!(server.request_heads().is_empty());
}

#[test]
fn other_ca_rejected() {
    // The configured CA replaces the platform store; a server whose
    // certificate comes from a different CA is still rejected.
    let server_ca = TestCa::new("server-side");
    let configured_ca = TestCa::new("configured");
    let (certificate, key) = server_ca.issue(&["127.0.0.1"]);
    let server = TlsServer::start_ok(certificate, key);
    let ca_file = configured_ca.pem_path().to_str().unwrap().to_owned();

    let report = add(&server.url(), &["--ca-file", &ca_file]);

    assert_eq!(
        report.status(),
        "AVARA_STATUS_CONNECTION_FAILED",
        "{}",
        report.stdout
    );
    assert!(
        report.get("message").contains("certificate"),
        "{}",
        report.stdout
    );
    assert!(server.request_heads().is_empty());
}

#[test]
fn plain_http_server_rejected_on_https() {
    let plain = Server::start(Config::default()).unwrap();
    let url = plain.base_url().replace("http://", "https://");

    let report = add(&url, &[]);

    assert_eq!(
        report.status(),
        "AVARA_STATUS_CONNECTION_FAILED",
        "{}",
        report.stdout
    );
    assert!(plain.requests().is_empty(), "request sent in clear text");
    let message = report.get("message");
    assert!(
        message.contains("did not answer with TLS"),
        "no hint at the fix: {message}"
    );
}

#[test]
fn https_redirect_to_http_not_followed() {
    let ca = TestCa::new("redirect");
    let (certificate, key) = ca.issue(&["127.0.0.1"]);
    let plain = Server::start(Config::default()).unwrap();
    let location = format!(
        "{}/v1/express/{DEFAULT_CUSTOMER_ID}/users",
        plain.base_url()
    );
    let redirect = http_response("302 Found", &[("Location", &location)], "");
    let server = TlsServer::start(certificate, key, redirect);
    let ca_file = ca.pem_path().to_str().unwrap().to_owned();

    let report = add(&server.url(), &["--ca-file", &ca_file]);

    assert_eq!(
        report.status(),
        "AVARA_STATUS_HTTP_STATUS",
        "{}",
        report.stdout
    );
    assert_eq!(report.get("http_status"), "302");
    assert!(
        report.get("message").contains("not followed"),
        "{}",
        report.stdout
    );
    assert_eq!(server.request_heads().len(), 1);
    // The http origin never saw a connection, so the key stayed on TLS.
    assert_eq!(plain.stats().connections_accepted, 0);
}
