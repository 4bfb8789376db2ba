//! One client shared by many threads from C (`tests/c/concurrency.c`):
//! every call succeeds and the connections stay bounded by the number of
//! threads.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;

const THREADS: usize = 8;
const CALLS_PER_THREAD: usize = 2000;
/// Connections beyond one per thread that the bound allows, for a
/// connection the server or the pool closes and replaces.
const CONNECTION_SLACK: u64 = 2;

/// Returns a distinct user ID per thread, to be seeded as non-members.
fn thread_users() -> Vec<String> {
    (0..THREADS)
        .map(|index| format!("usr_{:032x}", 0x5000 + index))
        .collect()
}

#[test]
fn shared_client_across_threads() {
    let users = thread_users();
    let mut config = Config::default();
    config.users.extend(users.iter().cloned());
    let server = Server::start(config).unwrap();
    let program = compile("tests/c/concurrency.c", Language::C99);
    let url = server.base_url();
    let calls = CALLS_PER_THREAD.to_string();

    let started = Instant::now();
    let child = command(&program)
        .args([url.as_str(), DEFAULT_API_KEY, DEFAULT_CUSTOMER_ID, &calls])
        .args(&users)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // Sample the open connections while the threads run. The loop ends
    // when the program exits, or after two minutes.
    let mut max_open = 0;
    let deadline = started + Duration::from_secs(120);
    let mut child = child;
    while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
        max_open = max_open.max(server.stats().connections_open);
        std::thread::sleep(Duration::from_millis(5));
    }
    if child.try_wait().unwrap().is_none() {
        child.kill().unwrap();
    }
    let output = child.wait_with_output().unwrap();
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stats = server.stats();
    println!(
        "{THREADS} threads x {CALLS_PER_THREAD} calls in {elapsed:?}: {} requests, \
         {} connections accepted, at most {max_open} open at once",
        stats.requests_served, stats.connections_accepted
    );

    assert!(output.status.success(), "{stdout}\n{stderr}");
    let total = (THREADS * CALLS_PER_THREAD).to_string();
    assert!(stdout.contains(&format!("calls: {total}\n")), "{stdout}");
    assert!(stdout.contains("failures: 0\n"), "{stdout}");
    assert_eq!(stats.requests_served, (THREADS * CALLS_PER_THREAD) as u64);
    assert!(
        stats.connections_accepted <= THREADS as u64 + CONNECTION_SLACK,
        "{} connections for {THREADS} threads",
        stats.connections_accepted
    );
    assert!(
        max_open <= THREADS as u64 + CONNECTION_SLACK,
        "{max_open} connections open at once for {THREADS} threads"
    );

    // Every thread made an even number of calls, so it ended on a remove.
    let members = server.members(DEFAULT_CUSTOMER_ID);
    for user in &users {
        assert!(!members.contains(user), "{user} is still a member");
    }
}
