//! The C API end to end: C programs compiled against `include/avara.h` and
//! the built libavara, talking to the stand-in server over loopback.

mod common;

use common::*;

#[test]
fn example_adds_and_removes_user() {
    let server = Server::start(Config::default()).unwrap();
    let program = compile("examples/express_users.c", Language::C99);

    let output = command(&program)
        .args([DEFAULT_CUSTOMER_ID, DEFAULT_USER_ID])
        .env("AVARA_API_KEY", DEFAULT_API_KEY)
        .env("AVARA_BASE_URL", server.base_url())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("add: success=true"), "{stdout}");
    assert!(stdout.contains("remove: success=true"), "{stdout}");

    let requests = server.requests();
    let methods: Vec<&str> = requests.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(methods, ["POST", "DELETE"]);
    assert!(!server
        .members(DEFAULT_CUSTOMER_ID)
        .contains(&DEFAULT_USER_ID.to_owned()));
}

#[test]
fn example_reports_failure() {
    let server = Server::start(Config::default()).unwrap();
    let program = compile("examples/express_users.c", Language::C99);
    let unknown_customer = "cus_99999999999999999999999999999999";

    let output = command(&program)
        .args([unknown_customer, DEFAULT_USER_ID])
        .env("AVARA_API_KEY", DEFAULT_API_KEY)
        .env("AVARA_BASE_URL", server.base_url())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr.contains("AVARA_STATUS_NOT_FOUND"), "{stderr}");
    assert!(stderr.contains(unknown_customer), "{stderr}");
}

#[test]
fn add_and_remove_change_membership() {
    let server = Server::start(Config::default()).unwrap();
    let url = server.base_url();
    let member = DEFAULT_USER_ID.to_owned();

    let report = avara_call(
        &call_args(&url, &[], "add", DEFAULT_CUSTOMER_ID, DEFAULT_USER_ID),
        &[],
    );
    assert_eq!(report.status(), "AVARA_STATUS_OK", "{}", report.stdout);
    assert_eq!(report.get("success"), "true");
    assert_ne!(report.get("response_message"), "(null)");
    assert_eq!(report.get("message"), "");
    assert!(server.members(DEFAULT_CUSTOMER_ID).contains(&member));

    let report = avara_call(
        &call_args(&url, &[], "remove", DEFAULT_CUSTOMER_ID, DEFAULT_USER_ID),
        &[],
    );
    assert_eq!(report.status(), "AVARA_STATUS_OK", "{}", report.stdout);
    assert_eq!(report.get("success"), "true");
    assert!(!server.members(DEFAULT_CUSTOMER_ID).contains(&member));
}

#[test]
fn requests_carry_documented_wire_format() {
    let server = Server::start(Config::default()).unwrap();
    let url = server.base_url();
    avara_call(
        &call_args(&url, &[], "add", SECOND_CUSTOMER_ID, SECOND_USER_ID),
        &[],
    );
    avara_call(
        &call_args(&url, &[], "remove", SECOND_CUSTOMER_ID, SECOND_USER_ID),
        &[],
    );

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for (request, method) in requests.iter().zip(["POST", "DELETE"]) {
        assert_eq!(request.method, method);
        assert_eq!(
            request.path,
            format!("/v1/express/{SECOND_CUSTOMER_ID}/users")
        );
        assert_eq!(
            request.body_text(),
            format!(r#"{{"userId":"{SECOND_USER_ID}"}}"#)
        );
        let bearer = format!("Bearer {DEFAULT_API_KEY}");
        assert_eq!(request.header("authorization"), Some(bearer.as_str()));
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(request.header("accept"), Some("application/json"));
        assert_eq!(request.header("x-stainless-retry-count"), Some("0"));
        let agent = request.header("user-agent").unwrap_or_default();
        assert!(agent.starts_with("libavara/"), "{agent}");
    }
}

/// One row of the error table: what the server does and what the C caller
/// must see.
#[derive(Clone)]
struct ErrorCase {
    name: &'static str,
    script: Option<ScriptedAnswer>,
    api_key: &'static str,
    customer: &'static str,
    operation: &'static str,
    user: &'static str,
    status: &'static str,
    http_status: &'static str,
}

#[test]
fn each_error_category_reported() {
    let server = Server::start(Config::default()).unwrap();
    let url = server.base_url();
    let unknown_customer = "cus_99999999999999999999999999999999";
    let unknown_user = "usr_99999999999999999999999999999999";
    let base = ErrorCase {
        name: "",
        script: None,
        api_key: DEFAULT_API_KEY,
        customer: DEFAULT_CUSTOMER_ID,
        operation: "add",
        user: SECOND_USER_ID,
        status: "",
        http_status: "",
    };
    let cases = [
        ErrorCase {
            name: "wrong key",
            api_key: "sk_live_11111111111111111111111111111111",
            status: "AVARA_STATUS_AUTHENTICATION",
            http_status: "401",
            ..base.clone()
        },
        ErrorCase {
            name: "read-only key",
            api_key: DEFAULT_READ_ONLY_API_KEY,
            status: "AVARA_STATUS_PERMISSION_DENIED",
            http_status: "403",
            ..base.clone()
        },
        ErrorCase {
            name: "unknown customer",
            customer: unknown_customer,
            status: "AVARA_STATUS_NOT_FOUND",
            http_status: "404",
            ..base.clone()
        },
        ErrorCase {
            name: "unknown user",
            user: unknown_user,
            status: "AVARA_STATUS_NOT_FOUND",
            http_status: "404",
            ..base.clone()
        },
        ErrorCase {
            name: "remove non-member",
            operation: "remove",
            status: "AVARA_STATUS_NOT_FOUND",
            http_status: "404",
            ..base.clone()
        },
        ErrorCase {
            name: "add existing member",
            user: DEFAULT_MEMBER_USER_ID,
            status: "AVARA_STATUS_CONFLICT",
            http_status: "409",
            ..base.clone()
        },
        ErrorCase {
            name: "scripted 400",
            script: Some(answer(400, r#"{"message":"bad body"}"#, &[])),
            status: "AVARA_STATUS_BAD_REQUEST",
            http_status: "400",
            ..base.clone()
        },
        ErrorCase {
            name: "scripted 422",
            script: Some(answer(422, r#"{"message":"bad userId"}"#, &[])),
            status: "AVARA_STATUS_UNPROCESSABLE_ENTITY",
            http_status: "422",
            ..base.clone()
        },
        ErrorCase {
            name: "scripted 429",
            script: Some(answer(429, r#"{"message":"slow down"}"#, &[])),
            status: "AVARA_STATUS_RATE_LIMITED",
            http_status: "429",
            ..base.clone()
        },
        ErrorCase {
            name: "scripted 500",
            script: Some(answer(500, r#"{"message":"boom"}"#, &[])),
            status: "AVARA_STATUS_INTERNAL_SERVER_ERROR",
            http_status: "500",
            ..base.clone()
        },
        ErrorCase {
            name: "scripted 503",
            script: Some(answer(503, "Service Unavailable", &[])),
            status: "AVARA_STATUS_INTERNAL_SERVER_ERROR",
            http_status: "503",
            ..base.clone()
        },
        ErrorCase {
            name: "scripted 418",
            script: Some(answer(418, r#"{"error":"teapot"}"#, &[])),
            status: "AVARA_STATUS_HTTP_STATUS",
            http_status: "418",
            ..base.clone()
        },
        ErrorCase {
            name: "scripted redirect",
            script: Some(answer(
                307,
                "",
                &[("Location", "http://127.0.0.2/elsewhere")],
            )),
            status: "AVARA_STATUS_HTTP_STATUS",
            http_status: "307",
            ..base.clone()
        },
        ErrorCase {
            name: "200 not JSON",
            script: Some(answer(200, "<html>ok</html>", &[])),
            status: "AVARA_STATUS_INVALID_RESPONSE",
            http_status: "200",
            ..base.clone()
        },
        ErrorCase {
            name: "200 without success",
            script: Some(answer(200, r#"{"message":"hi"}"#, &[])),
            status: "AVARA_STATUS_INVALID_RESPONSE",
            http_status: "200",
            ..base.clone()
        },
        ErrorCase {
            name: "200 empty body",
            script: Some(answer(200, "", &[])),
            status: "AVARA_STATUS_INVALID_RESPONSE",
            http_status: "200",
            ..base.clone()
        },
        ErrorCase {
            name: "200 success not boolean",
            script: Some(answer(200, r#"{"success":"true"}"#, &[])),
            status: "AVARA_STATUS_INVALID_RESPONSE",
            http_status: "200",
            ..base.clone()
        },
        ErrorCase {
            name: "200 array body",
            script: Some(answer(200, r#"[true,"added"]"#, &[])),
            status: "AVARA_STATUS_INVALID_RESPONSE",
            http_status: "200",
            ..base.clone()
        },
        ErrorCase {
            name: "200 truncated JSON",
            script: Some(answer(200, r#"{"success":tr"#, &[])),
            status: "AVARA_STATUS_INVALID_RESPONSE",
            http_status: "200",
            ..base.clone()
        },
    ];

    for case in cases {
        server.reset();
        if let Some(script) = case.script.clone() {
            server.script(vec![script]);
        }
        // No retries, so retryable statuses surface at once.
        let args = [
            "--api-key",
            case.api_key,
            "--base-url",
            &url,
            "--max-retries",
            "0",
            case.operation,
            case.customer,
            case.user,
        ];
        let report = avara_call(&args, &[]);
        assert_eq!(
            report.status(),
            case.status,
            "{}: {}",
            case.name,
            report.stdout
        );
        assert_eq!(
            report.get("last_error_status"),
            case.status,
            "{}",
            case.name
        );
        assert_eq!(
            report.get("http_status"),
            case.http_status,
            "{}: {}",
            case.name,
            report.stdout
        );
        assert_eq!(report.get("attempts"), "1", "{}", case.name);
        assert!(!report.get("message").is_empty(), "{}", case.name);
        assert!(
            !report.get("message").contains(case.api_key),
            "{}: key leaked",
            case.name
        );
        assert!(
            !report.fields.contains_key("success"),
            "{}: response set on failure",
            case.name
        );
    }
}

#[test]
fn server_message_and_request_id_exposed() {
    let server = Server::start(Config::default()).unwrap();
    let url = server.base_url();
    let report = avara_call(
        &call_args(
            &url,
            &[],
            "add",
            "cus_99999999999999999999999999999999",
            DEFAULT_USER_ID,
        ),
        &[],
    );
    assert_eq!(report.status(), "AVARA_STATUS_NOT_FOUND");
    assert!(
        report.get("server_message").contains("not found"),
        "{}",
        report.stdout
    );
    assert!(
        report.get("request_id").starts_with("req_"),
        "{}",
        report.stdout
    );
    assert!(report.get("message").contains(report.get("request_id")));
}

#[test]
fn bad_arguments_rejected_without_traffic() {
    let server = Server::start(Config::default()).unwrap();
    let program = compile("tests/c/argument_checks.c", Language::C99);

    let output = command(&program)
        .args([server.base_url().as_str(), DEFAULT_API_KEY])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains(" 0 failed"), "{stdout}");
    assert_eq!(
        server.requests().len(),
        0,
        "a rejected call reached the server"
    );
    assert_eq!(server.stats().connections_accepted, 0);
}

#[test]
fn missing_api_key_explains_fix() {
    let server = Server::start(Config::default()).unwrap();
    let url = server.base_url();
    let args = [
        "--base-url",
        url.as_str(),
        "add",
        DEFAULT_CUSTOMER_ID,
        DEFAULT_USER_ID,
    ];

    let report = avara_call(&args, &[]);
    assert_eq!(report.exit_code, 3, "{}", report.stdout);
    assert_eq!(report.status(), "AVARA_STATUS_MISSING_API_KEY");
    assert!(
        report.get("message").contains("AVARA_API_KEY"),
        "{}",
        report.stdout
    );

    // An empty variable counts as unset.
    let report = avara_call(&args, &[("AVARA_API_KEY", "")]);
    assert_eq!(report.status(), "AVARA_STATUS_MISSING_API_KEY");

    let report = avara_call(&args, &[("AVARA_API_KEY", DEFAULT_API_KEY)]);
    assert_eq!(report.status(), "AVARA_STATUS_OK", "{}", report.stdout);
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn connection_refused_reported() {
    let url = format!("http://127.0.0.1:{}", closed_port());
    let report = avara_call(
        &call_args(
            &url,
            &["--max-retries", "0"],
            "add",
            DEFAULT_CUSTOMER_ID,
            DEFAULT_USER_ID,
        ),
        &[],
    );
    assert_eq!(
        report.status(),
        "AVARA_STATUS_CONNECTION_FAILED",
        "{}",
        report.stdout
    );
    assert_eq!(report.get("http_status"), "0");
    assert!(
        report.get("message").contains("refused"),
        "{}",
        report.stdout
    );
}

#[test]
fn header_compiles_as_strict_c_and_cxx() {
    let root = repo_root();
    let source = "#include \"avara.h\"\nint main(void) { return avara_version() == 0; }\n";
    let dir = library_dir().join("c-tests").join("header");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("include_header.c");
    std::fs::write(&file, source).unwrap();

    let builds: [(&str, &[&str]); 4] = [
        (
            "cc",
            &["-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror"],
        ),
        (
            "cc",
            &["-std=c11", "-Wall", "-Wextra", "-pedantic", "-Werror"],
        ),
        (
            "c++",
            &[
                "-x",
                "c++",
                "-std=c++11",
                "-Wall",
                "-Wextra",
                "-pedantic",
                "-Werror",
            ],
        ),
        (
            "c++",
            &[
                "-x",
                "c++",
                "-std=c++17",
                "-Wall",
                "-Wextra",
                "-pedantic",
                "-Werror",
            ],
        ),
    ];
    for (compiler, flags) in builds {
        let output = std::process::Command::new(compiler)
            .args(flags)
            .arg("-fsyntax-only")
            .arg("-I")
            .arg(root.join("include"))
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{compiler} {flags:?}:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// The committed header must equal what cbindgen generates from the
/// current sources (build.rs leaves a fresh copy in OUT_DIR). The
/// comparison is against git's index, because the build itself rewrites
/// the working copy.
#[test]
fn committed_header_is_current() {
    let generated = include_str!(concat!(env!("OUT_DIR"), "/avara.h"));
    let output = std::process::Command::new("git")
        .args(["show", ":include/avara.h"])
        .current_dir(repo_root())
        .output()
        .expect("git is needed to read the committed header");
    assert!(
        output.status.success(),
        "git show failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let committed = String::from_utf8(output.stdout).unwrap();
    assert!(
        committed == generated,
        "include/avara.h is stale: run `cargo build`, then commit include/avara.h"
    );
}

#[test]
fn server_message_fallbacks() {
    let server = Server::start(Config::default()).unwrap();
    let url = server.base_url();
    let long_text = "x".repeat(5000);
    let cases: [(&str, &str); 5] = [
        (
            r#"{"message":"from message","error":"from error"}"#,
            "from message",
        ),
        (r#"{"error":"from error"}"#, "from error"),
        ("plain text body\n", "plain text body"),
        ("", "(null)"),
        (&long_text, ""),
    ];
    for (body, expected) in cases {
        server.reset();
        server.script(vec![answer(
            400,
            body,
            &[("x-request-id", "req_custom_42")],
        )]);
        let args = call_args(
            &url,
            &["--max-retries", "0"],
            "add",
            DEFAULT_CUSTOMER_ID,
            DEFAULT_USER_ID,
        );
        let report = avara_call(&args, &[]);
        assert_eq!(report.get("request_id"), "req_custom_42");
        let message = report.get("server_message");
        if body.len() > 1024 {
            // Cut at 1024 bytes, with an ellipsis.
            assert_eq!(message.len(), 1024 + 3, "{message}");
            assert!(message.ends_with("..."));
        } else {
            assert_eq!(message, expected, "body {body:?}");
        }
    }
}

#[test]
fn error_body_exposed_whole() {
    let server = Server::start(Config::default()).unwrap();
    let url = server.base_url();
    let args = call_args(
        &url,
        &["--max-retries", "0"],
        "add",
        DEFAULT_CUSTOMER_ID,
        DEFAULT_USER_ID,
    );
    let json = r#"{"message":"bad body","error":"invalid_request","details":[1,2]}"#;

    server.script(vec![answer(400, json, &[])]);
    let report = avara_call(&args, &[]);
    assert_eq!(report.get("body"), json);

    // A body over 64 KiB is cut; the server message stays at 1024 bytes.
    server.reset();
    server.script(vec![answer(500, &"y".repeat(100_000), &[])]);
    let report = avara_call(&args, &[]);
    assert_eq!(report.get("body_length"), "65536");

    // No response, no body.
    let dead = format!("http://127.0.0.1:{}", closed_port());
    let report = avara_call(
        &call_args(
            &dead,
            &["--max-retries", "0"],
            "add",
            DEFAULT_CUSTOMER_ID,
            DEFAULT_USER_ID,
        ),
        &[],
    );
    assert_eq!(report.get("body"), "(null)");
}

#[test]
fn redirect_without_location_explained() {
    let server = Server::start(Config::default()).unwrap();
    server.script(vec![answer(302, "", &[])]);
    let url = server.base_url();
    let args = call_args(
        &url,
        &["--max-retries", "0"],
        "add",
        DEFAULT_CUSTOMER_ID,
        DEFAULT_USER_ID,
    );

    let report = avara_call(&args, &[]);
    assert_eq!(report.status(), "AVARA_STATUS_HTTP_STATUS");
    assert!(
        report
            .get("server_message")
            .contains("redirect without a Location header"),
        "{}",
        report.stdout
    );
}
