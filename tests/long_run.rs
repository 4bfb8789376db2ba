//! Many calls on one client from C (`tests/c/long_run.c`), successes and
//! failures mixed: resident memory after the run is what it was after the
//! warm-up, within a small bound.

mod common;

use std::collections::HashMap;
use std::time::Instant;

use common::*;

const WARMUP_CALLS: u32 = 1000;
const TOTAL_CALLS: u32 = 50_000;
/// Allowed growth of resident memory between the warm-up and the end. A
/// leak of 24 bytes per call would add more than this over 49000 calls.
/// A debug build on a 2-core Linux machine grew by about 160 KiB.
const MAX_GROWTH_KIB: u64 = 1024;

fn parse_lines(stdout: &str) -> HashMap<&str, &str> {
    stdout
        .lines()
        .filter_map(|line| line.split_once(": "))
        .collect()
}

#[test]
fn memory_flat_over_many_calls() {
    let server = Server::start(Config::default()).unwrap();
    let program = compile("tests/c/long_run.c", Language::C99);
    let url = server.base_url();

    let started = Instant::now();
    let output = command(&program)
        .args([
            url.as_str(),
            DEFAULT_API_KEY,
            DEFAULT_CUSTOMER_ID,
            DEFAULT_USER_ID,
            &WARMUP_CALLS.to_string(),
            &TOTAL_CALLS.to_string(),
        ])
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");

    let lines = parse_lines(&stdout);
    let after_warmup: u64 = lines["rss_after_warmup_kib"].parse().unwrap();
    let after_total: u64 = lines["rss_after_total_kib"].parse().unwrap();
    println!(
        "{TOTAL_CALLS} calls in {elapsed:?}: RSS {after_warmup} KiB after {WARMUP_CALLS}, \
         {after_total} KiB after {TOTAL_CALLS}, growth {} KiB",
        after_total as i64 - after_warmup as i64
    );

    assert_eq!(lines["calls"], TOTAL_CALLS.to_string());
    assert_eq!(lines["unexpected"], "0", "{stdout}");
    assert!(after_warmup > 0, "VmRSS not read: {stdout}");
    assert!(
        after_total <= after_warmup + MAX_GROWTH_KIB,
        "resident memory grew from {after_warmup} KiB to {after_total} KiB"
    );
    // Three of every four calls reach the server.
    assert_eq!(
        server.stats().requests_served,
        u64::from(TOTAL_CALLS / 4 * 3)
    );
}
