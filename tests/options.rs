//! Client options from C: precedence over the environment, default headers,
//! the User-Agent suffix, derived clients and proxies.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::Stdio;

use common::*;

fn lines_of(stdout: &str) -> HashMap<String, String> {
    stdout
        .lines()
        .filter_map(|line| line.split_once(": "))
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect()
}

#[test]
fn options_win_over_environment() {
    let server = Server::start(Config::default()).unwrap();
    let dead_url = format!("http://127.0.0.1:{}", closed_port());
    let env = [
        ("AVARA_API_KEY", "sk_live_11111111111111111111111111111111"),
        ("AVARA_BASE_URL", dead_url.as_str()),
        ("AVARA_CUSTOM_HEADERS", "X-From-Env: env\nX-Both: env"),
    ];
    let url = server.base_url();
    let args = call_args(
        &url,
        &["--header", "X-Both: option"],
        "add",
        DEFAULT_CUSTOMER_ID,
        DEFAULT_USER_ID,
    );

    let report = avara_call(&args, &env);
    assert_eq!(report.status(), "AVARA_STATUS_OK", "{}", report.stdout);
    let request = &server.requests()[0];
    let bearer = format!("Bearer {DEFAULT_API_KEY}");
    assert_eq!(request.header("authorization"), Some(bearer.as_str()));
    assert_eq!(request.header("x-from-env"), Some("env"));
    assert_eq!(request.header("x-both"), Some("option"));
}

#[test]
fn environment_used_when_options_unset() {
    let server = Server::start(Config::default()).unwrap();
    let url = server.base_url();
    let env = [
        ("AVARA_API_KEY", DEFAULT_API_KEY),
        ("AVARA_BASE_URL", url.as_str()),
        (
            "AVARA_CUSTOM_HEADERS",
            "X-Team: radiology\nignored line\nX-Trace:  abc ",
        ),
    ];

    let report = avara_call(&["add", DEFAULT_CUSTOMER_ID, DEFAULT_USER_ID], &env);
    assert_eq!(report.status(), "AVARA_STATUS_OK", "{}", report.stdout);
    let request = &server.requests()[0];
    assert_eq!(request.header("x-team"), Some("radiology"));
    assert_eq!(request.header("x-trace"), Some("abc"));
}

#[test]
fn bad_environment_values_named() {
    let cases = [
        ("AVARA_BASE_URL", "ftp://127.0.0.1/", "AVARA_BASE_URL"),
        (
            "AVARA_CUSTOM_HEADERS",
            "Bad Header: 1",
            "AVARA_CUSTOM_HEADERS",
        ),
        (
            "AVARA_CUSTOM_HEADERS",
            "Authorization: Bearer x",
            "AVARA_CUSTOM_HEADERS",
        ),
    ];
    for (name, value, named) in cases {
        let env = [("AVARA_API_KEY", DEFAULT_API_KEY), (name, value)];
        let report = avara_call(&["add", DEFAULT_CUSTOMER_ID, DEFAULT_USER_ID], &env);
        assert_eq!(report.exit_code, 3, "{name}={value:?}: {}", report.stdout);
        assert_eq!(
            report.status(),
            "AVARA_STATUS_INVALID_ARGUMENT",
            "{name}={value:?}"
        );
        assert!(
            report.get("message").contains(named),
            "{name}={value:?}: {}",
            report.stdout
        );
    }
}

#[test]
fn user_agent_suffix_appended() {
    let server = Server::start(Config::default()).unwrap();
    let url = server.base_url();
    let args = call_args(
        &url,
        &["--user-agent-suffix", "pacs-bridge/2.1"],
        "add",
        DEFAULT_CUSTOMER_ID,
        DEFAULT_USER_ID,
    );

    avara_call(&args, &[]);
    let agent = server.requests()[0]
        .header("user-agent")
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        agent,
        format!("libavara/{} pacs-bridge/2.1", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn keep_alive_reuses_one_connection() {
    let server = Server::start(Config::default()).unwrap();
    let url = server.base_url();
    // Ten calls on one client: the first adds, the rest conflict (409),
    // which is fine here: only the connection count matters.
    let args = call_args(
        &url,
        &["--repeat", "10", "--max-retries", "0"],
        "add",
        DEFAULT_CUSTOMER_ID,
        DEFAULT_USER_ID,
    );

    avara_call(&args, &[]);
    assert_eq!(server.requests().len(), 10);
    assert_eq!(server.stats().connections_accepted, 1);
}

#[test]
fn derived_client_shares_pool_and_outlives_parent() {
    let server = Server::start(Config::default()).unwrap();
    let program = compile("tests/c/derived_client.c", Language::C99);
    let url = server.base_url();

    let mut child = command(&program)
        .args([
            url.as_str(),
            DEFAULT_API_KEY,
            DEFAULT_CUSTOMER_ID,
            DEFAULT_USER_ID,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout_reader = BufReader::new(child.stdout.take().unwrap());
    let mut stdout = String::new();
    while !stdout.ends_with("ready\n") {
        let read = stdout_reader.read_line(&mut stdout).unwrap();
        assert!(read > 0, "derived_client ended early:\n{stdout}");
    }

    // Script the slow answers once the two warm-up calls went through.
    let connections_after_warm_up = server.stats().connections_accepted;
    server.script(vec![ScriptedAnswer {
        delay_ms: Some(1000),
        count: Some(2),
        ..ScriptedAnswer::default()
    }]);
    child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    stdout_reader.read_to_string(&mut stdout).unwrap();
    assert!(child.wait().unwrap().success(), "{stdout}");
    let steps = lines_of(&stdout);

    assert_eq!(
        connections_after_warm_up, 1,
        "parent and child did not share a connection"
    );
    assert_eq!(steps["parent_new"], "AVARA_STATUS_OK", "{stdout}");
    assert_eq!(steps["child_new"], "AVARA_STATUS_OK", "{stdout}");
    assert_eq!(steps["parent_add"], "AVARA_STATUS_OK", "{stdout}");
    assert_eq!(steps["child_remove"], "AVARA_STATUS_OK", "{stdout}");
    assert_eq!(
        steps["child_slow_add"], "AVARA_STATUS_TIMED_OUT",
        "{stdout}"
    );
    assert_eq!(steps["parent_slow_remove"], "AVARA_STATUS_OK", "{stdout}");
    assert_eq!(
        steps["child_after_parent_free"], "AVARA_STATUS_OK",
        "{stdout}"
    );

    let agents: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.header("user-agent").unwrap_or_default().to_owned())
        .collect();
    assert!(!agents[0].contains("bulk-job/1"), "{agents:?}");
    assert!(agents[1].ends_with(" bulk-job/1"), "{agents:?}");
}

#[test]
fn explicit_proxy_tunnels_request() {
    // The proxy reaches the stand-in; the base URL itself is unreachable.
    let server = Server::start(Config::default()).unwrap();
    let proxy = ConnectProxy::start(server.addr());
    let proxy_url = proxy.url();
    let unreachable = format!("127.0.0.1:{}", closed_port());
    let base_url = format!("http://{unreachable}");
    let args = call_args(
        &base_url,
        &["--proxy", proxy_url.as_str()],
        "add",
        DEFAULT_CUSTOMER_ID,
        DEFAULT_USER_ID,
    );

    let report = avara_call(&args, &[]);
    assert_eq!(report.status(), "AVARA_STATUS_OK", "{}", report.stdout);
    assert_eq!(proxy.targets(), [unreachable]);
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn proxy_environment_and_no_proxy() {
    let server = Server::start(Config::default()).unwrap();
    let connect_proxy = ConnectProxy::start(server.addr());
    let proxy = connect_proxy.url();
    let unreachable = format!("http://127.0.0.1:{}", closed_port());
    let args = call_args(
        &unreachable,
        &["--max-retries", "0"],
        "add",
        DEFAULT_CUSTOMER_ID,
        DEFAULT_USER_ID,
    );

    let report = avara_call(&args, &[("HTTP_PROXY", proxy.as_str())]);
    assert_eq!(report.status(), "AVARA_STATUS_OK", "{}", report.stdout);
    assert_eq!(server.requests().len(), 1);

    // NO_PROXY names the target host: the call goes direct and is refused.
    let report = avara_call(
        &args,
        &[
            ("HTTP_PROXY", proxy.as_str()),
            ("NO_PROXY", "localhost,127.0.0.1"),
        ],
    );
    assert_eq!(
        report.status(),
        "AVARA_STATUS_CONNECTION_FAILED",
        "{}",
        report.stdout
    );
    assert_eq!(server.requests().len(), 1);

    // HTTPS_PROXY does not apply to an http:// base URL.
    let report = avara_call(&args, &[("HTTPS_PROXY", proxy.as_str())]);
    assert_eq!(
        report.status(),
        "AVARA_STATUS_CONNECTION_FAILED",
        "{}",
        report.stdout
    );
}

#[test]
fn proxy_errors_name_proxy() {
    let server = Server::start(Config::default()).unwrap();
    let base_url = server.base_url();
    let closed = format!("127.0.0.1:{}", closed_port());
    let args = call_args(
        &base_url,
        &["--max-retries", "0"],
        "add",
        DEFAULT_CUSTOMER_ID,
        DEFAULT_USER_ID,
    );

    let refused_proxy = format!("http://user:secret@{closed}");
    let report = avara_call(&args, &[("HTTP_PROXY", refused_proxy.as_str())]);
    assert_eq!(
        report.status(),
        "AVARA_STATUS_CONNECTION_FAILED",
        "{}",
        report.stdout
    );
    let message = report.get("message");
    assert!(
        message.contains(&format!("through the proxy {closed}")),
        "{message}"
    );
    assert!(!message.contains("secret"), "{message}");

    let report = avara_call(&args, &[("http_proxy", "http://127.0.0.1:99999")]);
    assert_eq!(
        report.status(),
        "AVARA_STATUS_INVALID_ARGUMENT",
        "{}",
        report.stdout
    );
    let message = report.get("message");
    assert!(message.starts_with("invalid http_proxy: "), "{message}");
    assert!(
        message.contains("use a number from 1 to 65535"),
        "{message}"
    );
    assert!(server.requests().is_empty());
}

#[test]
fn option_values_rejected_with_names() {
    let server = Server::start(Config::default()).unwrap();
    let url = server.base_url();
    let cases: [(&[&str], &str, &str); 6] = [
        (&["--timeout-ms", "0"], "--timeout-ms", "timeout_ms"),
        (
            &["--connect-timeout-ms", "600001"],
            "--connect-timeout-ms",
            "connect_timeout_ms",
        ),
        (&["--max-retries", "11"], "--max-retries", "max_retries"),
        (&["--header", "X-Evil: a\rb"], "--header", "default header"),
        (
            &["--base-url", "gopher://127.0.0.1"],
            "--base-url",
            "gopher",
        ),
        (&["--proxy", "socks5://127.0.0.1:1080"], "--proxy", "proxy"),
    ];
    for (extra, option, named) in cases {
        let report = avara_call(
            &call_args(&url, extra, "add", DEFAULT_CUSTOMER_ID, DEFAULT_USER_ID),
            &[],
        );
        assert_eq!(report.exit_code, 3, "{option}: {}", report.stdout);
        assert_eq!(report.get("failed_option"), option);
        assert_eq!(report.status(), "AVARA_STATUS_INVALID_ARGUMENT", "{option}");
        assert!(
            report.get("message").contains(named),
            "{option}: {}",
            report.stdout
        );
    }
    assert_eq!(server.requests().len(), 0);
}
