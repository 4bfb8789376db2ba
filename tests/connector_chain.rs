//! The connector chain from C: TLS inside a CONNECT tunnel, and a SOCKS
//! proxy, which libavara does not support, failing as a connection error
//! instead of bypassing the proxy.

mod common;

use common::tls::{TestCa, TlsServer};
use common::*;

#[test]
fn https_through_connect_proxy() {
    let ca = TestCa::new("tunnelled");
    let (certificate, key) = ca.issue(&["localhost", "127.0.0.1"]);
    let server = TlsServer::start_ok(certificate, key);
    let server_addr = server
        .url()
        .strip_prefix("https://")
        .unwrap()
        .parse()
        .unwrap();
    let proxy = ConnectProxy::start(server_addr);
    let proxy_url = proxy.url();
    let ca_file = ca.pem_path().to_str().unwrap().to_owned();
    let server_url = server.url();
    let args = call_args(
        &server_url,
        &[
            "--max-retries",
            "0",
            "--ca-file",
            &ca_file,
            "--proxy",
            &proxy_url,
        ],
        "add",
        DEFAULT_CUSTOMER_ID,
        DEFAULT_USER_ID,
    );

    let report = avara_call(&args, &[]);

    assert_eq!(report.status(), "AVARA_STATUS_OK", "{}", report.stdout);
    assert_eq!(report.get("response_message"), "added over TLS");
    assert_eq!(proxy.targets(), [server_addr.to_string()]);
    assert_eq!(server.request_heads().len(), 1);
}

#[test]
fn socks_proxy_from_environment_rejected() {
    let server = Server::start(Config::default()).unwrap();
    let socks = format!("socks5://127.0.0.1:{}", closed_port());
    let base_url = server.base_url();
    let args = call_args(
        &base_url,
        &["--max-retries", "0"],
        "add",
        DEFAULT_CUSTOMER_ID,
        DEFAULT_USER_ID,
    );

    let report = avara_call(&args, &[("HTTP_PROXY", socks.as_str())]);

    // Creating the client fails, so no call is made and none is retried.
    assert_eq!(
        report.status(),
        "AVARA_STATUS_INVALID_ARGUMENT",
        "{}",
        report.stdout
    );
    assert_eq!(report.get("failed_option"), "client");
    let message = report.get("message");
    assert!(message.starts_with("invalid HTTP_PROXY: "), "{message}");
    assert!(
        message.contains("supports only HTTP and HTTPS proxies"),
        "{message}"
    );
    assert!(server.requests().is_empty());
}
