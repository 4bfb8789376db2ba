//! A panic inside the library, from C (`tests/c/panic_boundary.c`): the
//! boundary reports it as an internal error, the process goes on, and the
//! client stays usable.
//!
//! Only built with the `panic-test` feature, which adds the panic trigger.
//! `make test-panic` runs it in its own target directory, because the
//! feature changes `libavara.so`, whose file name would otherwise collide
//! with the normal build's.
#![cfg(feature = "panic-test")]

mod common;

use std::collections::HashMap;

use common::*;

#[test]
fn panic_reported_and_client_survives() {
    let server = Server::start(Config::default()).unwrap();
    let program = compile("tests/c/panic_boundary.c", Language::C99);
    let url = server.base_url();

    let output = command(&program)
        .args([
            url.as_str(),
            DEFAULT_API_KEY,
            DEFAULT_CUSTOMER_ID,
            DEFAULT_USER_ID,
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let steps: HashMap<&str, &str> = stdout
        .lines()
        .filter_map(|line| line.split_once(": "))
        .collect();
    assert_eq!(steps.get("finished"), Some(&"1"), "{stdout}\n{stderr}");

    for step in ["panic_add", "panic_remove", "thread_panic_add"] {
        assert_eq!(
            steps[step], "AVARA_STATUS_INTERNAL_ERROR",
            "{step}: {stdout}"
        );
        assert_eq!(
            steps[format!("{step} last_error_status").as_str()],
            "AVARA_STATUS_INTERNAL_ERROR",
            "{step}"
        );
        let message = steps[format!("{step} message").as_str()];
        assert!(message.contains("libavara panicked"), "{step}: {message}");
        assert!(
            message.contains("please report this bug"),
            "{step}: {message}"
        );
        assert_eq!(
            steps[format!("{step} response_cleared").as_str()],
            "1",
            "{step}"
        );
    }

    for step in [
        "add_after_panic",
        "remove_after_panic",
        "thread_add_after_panic",
        "final_remove",
    ] {
        assert_eq!(steps[step], "AVARA_STATUS_OK", "{step}: {stdout}");
        assert_eq!(steps[format!("{step} success").as_str()], "1", "{step}");
        assert_eq!(steps[format!("{step} message").as_str()], "", "{step}");
    }

    // Each panic is logged once at error level, with the same text.
    assert_eq!(steps["error_logs"], "3", "{stdout}");
    assert!(
        steps["last_error_log"].contains("libavara panicked"),
        "{stdout}"
    );

    // The panics happened before any traffic: only the normal calls arrived.
    let methods: Vec<String> = server.requests().into_iter().map(|r| r.method).collect();
    assert_eq!(methods, ["POST", "DELETE", "POST", "DELETE"]);
}
