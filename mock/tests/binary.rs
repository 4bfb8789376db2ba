//! The `avara-mock` binary: startup line, options and clean shutdown.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use avara_mock::{DEFAULT_CUSTOMER_ID, DEFAULT_USER_ID};
use common::{exchange, user_request};

const BINARY: &str = env!("CARGO_BIN_EXE_avara-mock");

/// Starts the binary with `args` and returns it with the address from its
/// first stdout line.
fn spawn(args: &[&str]) -> (Child, SocketAddr, BufReader<ChildStdout>) {
    let mut child = Command::new(BINARY)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start avara-mock");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let url = line
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    let addr = url.trim_end().parse().unwrap();
    (child, addr, stdout)
}

/// Waits up to five seconds for `child` to exit, killing it on timeout.
fn wait_with_timeout(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    panic!("avara-mock did not exit within 5 seconds");
}

fn run_to_end(args: &[&str]) -> std::process::Output {
    Command::new(BINARY)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run avara-mock")
}

#[test]
fn serves_and_stops_on_sigterm() {
    let (mut child, addr, _stdout) = spawn(&[]);
    assert!(addr.ip().is_loopback());
    let response = exchange(
        addr,
        &user_request("POST", DEFAULT_CUSTOMER_ID, DEFAULT_USER_ID),
    );
    assert_eq!(response.status, 200);

    let pid = child.id() as libc::pid_t;
    // SAFETY: kill has no memory-safety preconditions, and pid is our own child.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = wait_with_timeout(&mut child);
    assert!(status.success(), "{status:?}");
}

#[test]
fn exits_when_stdin_closes() {
    let (mut child, _addr, _stdout) = spawn(&["--exit-on-stdin-close"]);
    drop(child.stdin.take());
    let status = wait_with_timeout(&mut child);
    assert!(status.success(), "{status:?}");
}

#[test]
fn seed_options_apply() {
    let customer = "cus_cccccccccccccccccccccccccccccccc";
    let user = "usr_dddddddddddddddddddddddddddddddd";
    let member = format!("{customer}:{user}");
    let key = "sk_live_eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
    let (mut child, addr, _stdout) =
        spawn(&["--no-default-seed", "--member", &member, "--api-key", key]);

    let state = exchange(addr, b"GET /__mock/state HTTP/1.1\r\nHost: a\r\n\r\n").json();
    assert_eq!(state["customers"], serde_json::json!({ customer: [user] }));

    let body = format!(r#"{{"userId":"{user}"}}"#);
    let remove = common::api_request("DELETE", customer, Some(key), &body);
    assert_eq!(exchange(addr, &remove).status, 200);

    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn invalid_option_exits_with_usage_error() {
    let cases: [(&[&str], &str); 4] = [
        (&["--port", "abc"], "invalid value \"abc\" for --port"),
        (&["--customer", "cus_1"], "\"cus_1\""),
        (&["--member", "nonsense"], "CUSTOMER:USER"),
        (&["--host", "0.0.0.0"], "unknown option \"--host\""),
    ];
    for (args, expected) in cases {
        let output = run_to_end(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(stderr.contains("--help"), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn help_lists_every_option() {
    let output = run_to_end(&["--help"]);
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    let options = [
        "--port",
        "--api-key",
        "--read-only-key",
        "--customer",
        "--user",
        "--member",
        "--no-default-seed",
        "--exit-on-stdin-close",
        "--verbose",
        "/__mock/script",
        "/__mock/reset",
    ];
    for option in options {
        assert!(help.contains(option), "help does not mention {option}");
    }
}
