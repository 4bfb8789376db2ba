//! Control interface under `/__mock/`: scripting faults, reading state and
//! the request log, and resetting. It takes no authentication.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::api::{error, Outcome};
use crate::request::Request;
use crate::response::error_code;
use crate::response::write_error_body;
use crate::script::ScriptedAnswer;
use crate::server::Shared;

/// Path prefix of every control endpoint.
pub(crate) const CONTROL_PREFIX: &str = "/__mock/";

#[derive(Serialize)]
struct StateBody<'a> {
    customers: &'a BTreeMap<String, Vec<String>>,
    users: &'a [String],
}

#[derive(Serialize)]
struct ScriptBody {
    success: bool,
    /// Scripted answers appended by this request.
    queued: usize,
    /// Scripted answers now waiting, each counted once whatever its `count`.
    pending: usize,
}

#[derive(Serialize)]
struct DoneBody {
    success: bool,
}

/// Handles one control request, writing the JSON body to `body`.
pub(crate) fn handle(shared: &Shared, request: &Request, body: &mut Vec<u8>) -> Outcome {
    let path = request.path();
    let method = request.method();
    let endpoint = &path[CONTROL_PREFIX.len()..];

    let expected_method = match endpoint {
        "script" | "reset-log" | "reset" => "POST",
        "state" | "requests" | "stats" => "GET",
        _ => return error(body, 404, format_args!("No route for {method} {path}")),
    };
    if method != expected_method {
        write_error_body(
            body,
            error_code(405),
            format_args!("Method {method} is not allowed on {path}; use {expected_method}"),
        );
        let allow: &'static [(&'static str, &'static str)] = if expected_method == "GET" {
            &[("Allow", "GET")]
        } else {
            &[("Allow", "POST")]
        };
        return Outcome {
            status: 405,
            extra: allow,
        };
    }

    match endpoint {
        "script" => append_script(shared, &request.body, body),
        "state" => {
            let (customers, users) = shared.directory_snapshot();
            write_json(
                body,
                &StateBody {
                    customers: &customers,
                    users: &users,
                },
            )
        }
        "requests" => write_json(body, &shared.log.snapshot()),
        "stats" => write_json(body, &shared.stats()),
        "reset-log" => {
            shared.log.clear();
            write_json(body, &DoneBody { success: true })
        }
        _ => {
            shared.reset();
            write_json(body, &DoneBody { success: true })
        }
    }
}

fn append_script(shared: &Shared, request_body: &[u8], body: &mut Vec<u8>) -> Outcome {
    let answers: Vec<ScriptedAnswer> = match serde_json::from_slice(request_body) {
        Ok(answers) => answers,
        Err(parse_error) => {
            return error(
                body,
                400,
                format_args!(
                    "Script body must be a JSON array of scripted answers, such as [{{\"status\": 503}}]: {parse_error}"
                ),
            )
        }
    };
    let queued = answers.len();
    match shared.scripts.append(answers) {
        Ok(pending) => write_json(
            body,
            &ScriptBody {
                success: true,
                queued,
                pending,
            },
        ),
        Err(invalid) => error(
            body,
            400,
            format_args!("Invalid script, nothing was queued: {invalid}"),
        ),
    }
}

fn write_json(body: &mut Vec<u8>, value: &impl Serialize) -> Outcome {
    // serde_json fails only on non-string map keys or a failing Serialize
    // impl, and these bodies have neither.
    let _ = serde_json::to_writer(body, value);
    Outcome::new(200)
}
