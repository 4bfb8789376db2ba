//! Scripted answers: the programmable faults that replace or reshape the
//! next API responses.

use std::collections::VecDeque;
use std::error::Error;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Largest body a scripted answer may send (`body` length times
/// `body_repeat`). It bounds how long one answer can keep a connection busy.
pub const MAX_SCRIPTED_BODY_BYTES: u64 = 1 << 30;

/// One scripted answer. Every field is optional; the JSON form used by
/// `POST /__mock/script` has the same field names.
///
/// When `status` is absent the normal API behaviour produces the status and
/// body, and the other fields (headers, delay, stall, chunked, gzip,
/// mid-body drop) still shape the response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptedAnswer {
    /// Status code to answer with instead of running the API (100 to 999).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Extra headers as `[name, value]` pairs. A header with the same name as
    /// a default one (`Content-Type`, `Content-Length`, `x-request-id`, ...)
    /// replaces it. Replacing `Content-Length` or `Transfer-Encoding` also
    /// closes the connection after the response.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    /// Response body as text. Needs `status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Response body as standard base64, for bytes that are not UTF-8. Needs
    /// `status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_base64: Option<String>,
    /// Milliseconds to wait after reading the request and before doing
    /// anything else. Without `status`, the API runs after the wait.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// Closes the connection instead of answering normally.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop: Option<DropMode>,
    /// Response bytes (head included) to send before pausing for `stall_ms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stall_after_bytes: Option<u64>,
    /// Milliseconds to pause after `stall_after_bytes` bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stall_ms: Option<u64>,
    /// Sends the body with chunked transfer encoding.
    #[serde(default, skip_serializing_if = "is_false")]
    pub chunked: bool,
    /// Compresses the body with gzip and sends `Content-Encoding: gzip`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub gzip: bool,
    /// Sends `body` this many times in a row, streamed from one copy. Needs
    /// `status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_repeat: Option<u64>,
    /// Number of consecutive API requests this answer applies to (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// Connection drop performed by a scripted answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DropMode {
    /// Reads the request, then closes the connection with a FIN and no
    /// response. The API does not run, so no membership changes.
    BeforeResponse,
    /// Like `BeforeResponse`, but closes with SO_LINGER 0 so the client gets
    /// a TCP RST.
    Reset,
    /// Sends the head and the first half of the body, then closes with a FIN.
    /// Without `status` the API runs first, so the change is applied even
    /// though the client never sees the full response.
    MidBody,
}

impl ScriptedAnswer {
    /// Returns an answer that sends `status` with `body` once.
    pub fn with_status(status: u16, body: impl Into<String>) -> Self {
        ScriptedAnswer {
            status: Some(status),
            body: Some(body.into()),
            ..ScriptedAnswer::default()
        }
    }

    /// Returns an answer that closes the connection once, in the given way.
    pub fn with_drop(mode: DropMode) -> Self {
        ScriptedAnswer {
            drop: Some(mode),
            ..ScriptedAnswer::default()
        }
    }
}

/// A scripted answer that failed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidScript {
    /// Position of the answer in the submitted list, from 0.
    pub index: usize,
    /// Description of the problem and its fix.
    pub reason: String,
}

impl fmt::Display for InvalidScript {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "scripted answer {}: {}", self.index, self.reason)
    }
}

impl Error for InvalidScript {}

/// A validated scripted answer with its body decoded.
#[derive(Debug, Clone)]
pub(crate) struct PreparedAnswer {
    pub status: Option<u16>,
    pub headers: Vec<(String, String)>,
    pub body: Arc<[u8]>,
    pub body_repeat: u64,
    pub delay: Option<Duration>,
    pub drop: Option<DropMode>,
    /// Byte offset in the response and pause length.
    pub stall: Option<(u64, Duration)>,
    pub chunked: bool,
    pub gzip: bool,
    remaining: u32,
}

impl PreparedAnswer {
    /// Returns true when the answer sends no response at all.
    pub fn drops_before_response(&self) -> bool {
        matches!(self.drop, Some(DropMode::BeforeResponse | DropMode::Reset))
    }
}

/// Validates `answer` and decodes its body.
fn prepare(index: usize, answer: ScriptedAnswer) -> Result<PreparedAnswer, InvalidScript> {
    let invalid = |reason: String| InvalidScript { index, reason };

    if let Some(status) = answer.status {
        if !(100..=999).contains(&status) {
            return Err(invalid(format!(
                "status {status} is invalid: use a code from 100 to 999"
            )));
        }
    }
    if answer.count == Some(0) {
        return Err(invalid(
            "count 0 is invalid: use 1 or more, or omit it for 1".to_owned(),
        ));
    }
    if answer.body.is_some() && answer.body_base64.is_some() {
        return Err(invalid(
            "body and body_base64 are both set: use only one".to_owned(),
        ));
    }
    let has_body =
        answer.body.is_some() || answer.body_base64.is_some() || answer.body_repeat.is_some();
    if has_body && answer.status.is_none() {
        return Err(invalid(
            "body, body_base64 and body_repeat need status: without status the API sends its own body"
                .to_owned(),
        ));
    }
    if answer.stall_after_bytes.is_some() != answer.stall_ms.is_some() {
        return Err(invalid(
            "stall_after_bytes and stall_ms must be set together".to_owned(),
        ));
    }
    for (name, value) in &answer.headers {
        validate_header(name, value).map_err(invalid)?;
    }

    let drops_before_response = matches!(
        answer.drop,
        Some(DropMode::BeforeResponse | DropMode::Reset)
    );
    let shapes_response = answer.status.is_some()
        || !answer.headers.is_empty()
        || answer.stall_after_bytes.is_some()
        || answer.chunked
        || answer.gzip;
    if drops_before_response && shapes_response {
        return Err(invalid(
            "drop before_response and reset send no response: remove status, headers, body, stall, chunked and gzip"
                .to_owned(),
        ));
    }

    let body: Vec<u8> = match (answer.body, answer.body_base64) {
        (Some(text), None) => text.into_bytes(),
        (None, Some(encoded)) => decode_base64(&encoded).map_err(|position| {
            invalid(format!(
                "body_base64 is not valid base64 at character {position}"
            ))
        })?,
        _ => Vec::new(),
    };
    let body_repeat = answer.body_repeat.unwrap_or(1);
    if body_repeat == 0 {
        return Err(invalid(
            "body_repeat 0 is invalid: use 1 or more, or omit it for 1".to_owned(),
        ));
    }
    let total = (body.len() as u64).checked_mul(body_repeat);
    if total.is_none_or(|total| total > MAX_SCRIPTED_BODY_BYTES) {
        return Err(invalid(format!(
            "body length times body_repeat is over the limit of {MAX_SCRIPTED_BODY_BYTES} bytes"
        )));
    }

    Ok(PreparedAnswer {
        status: answer.status,
        headers: answer.headers,
        body: body.into(),
        body_repeat,
        delay: answer.delay_ms.map(Duration::from_millis),
        drop: answer.drop,
        stall: answer
            .stall_after_bytes
            .zip(answer.stall_ms.map(Duration::from_millis)),
        chunked: answer.chunked,
        gzip: answer.gzip,
        remaining: answer.count.unwrap_or(1),
    })
}

/// Rejects header names that are not HTTP tokens and values that would
/// break the response (CR, LF, NUL).
fn validate_header(name: &str, value: &str) -> Result<(), String> {
    let is_token = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !is_token {
        return Err(format!(
            "header name {name:?} is invalid: use letters, digits and - only"
        ));
    }
    if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
        return Err(format!("value of header {name:?} contains CR, LF or NUL"));
    }
    Ok(())
}

/// Decodes standard base64 (RFC 4648 section 4); the `=` padding is
/// optional. On failure returns the position of the first invalid character.
fn decode_base64(text: &str) -> Result<Vec<u8>, usize> {
    let bytes = text.as_bytes();
    let data_end = bytes
        .iter()
        .rposition(|&b| b != b'=')
        .map_or(0, |position| position + 1);
    if bytes.len() - data_end > 2 {
        return Err(data_end);
    }

    let mut out = Vec::with_capacity(data_end * 3 / 4);
    let mut accumulator: u32 = 0;
    let mut bits = 0;
    for (position, &byte) in bytes[..data_end].iter().enumerate() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return Err(position),
        };
        accumulator = (accumulator << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((accumulator >> bits) as u8);
        }
    }
    // A single leftover character carries only 6 bits, less than one byte.
    if data_end % 4 == 1 {
        return Err(data_end - 1);
    }
    Ok(out)
}

/// First-in, first-out queue of scripted answers, shared by all connections.
#[derive(Debug, Default)]
pub(crate) struct ScriptQueue {
    answers: Mutex<VecDeque<PreparedAnswer>>,
}

impl ScriptQueue {
    /// Validates all `answers` and appends them, or appends none on error.
    pub fn append(&self, answers: Vec<ScriptedAnswer>) -> Result<usize, InvalidScript> {
        let prepared = answers
            .into_iter()
            .enumerate()
            .map(|(index, answer)| prepare(index, answer))
            .collect::<Result<Vec<_>, _>>()?;
        let mut queue = lock(&self.answers);
        queue.extend(prepared);
        Ok(queue.len())
    }

    /// Takes the answer for the next API request, if any.
    pub fn next(&self) -> Option<PreparedAnswer> {
        let mut queue = lock(&self.answers);
        let front = queue.front_mut()?;
        if front.remaining > 1 {
            front.remaining -= 1;
            return Some(front.clone());
        }
        queue.pop_front()
    }

    pub fn clear(&self) {
        lock(&self.answers).clear();
    }

    /// Returns the number of queued answers, each counted once whatever its
    /// `count`.
    pub fn len(&self) -> usize {
        lock(&self.answers).len()
    }
}

/// Locks `mutex`, ignoring poisoning: every critical section in this crate
/// leaves its data consistent even if it panics.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_json(text: &str) -> Result<PreparedAnswer, InvalidScript> {
        let answer: ScriptedAnswer = serde_json::from_str(text).unwrap();
        prepare(0, answer)
    }

    #[test]
    fn base64_decodes_with_and_without_padding() {
        assert_eq!(decode_base64(""), Ok(vec![]));
        assert_eq!(decode_base64("aGk="), Ok(b"hi".to_vec()));
        assert_eq!(decode_base64("aGk"), Ok(b"hi".to_vec()));
        assert_eq!(decode_base64("AP8="), Ok(vec![0x00, 0xff]));
        assert_eq!(
            decode_base64("aGVsbG8gd29ybGQ="),
            Ok(b"hello world".to_vec())
        );
    }

    #[test]
    fn base64_reports_invalid_position() {
        assert_eq!(decode_base64("aG!k"), Err(2));
        assert_eq!(decode_base64("aGk===="), Err(3));
        assert_eq!(decode_base64("aGVsb"), Err(4));
    }

    #[test]
    fn parses_full_answer() {
        let answer = from_json(
            r#"{"status": 503, "headers": [["Retry-After", "2"]], "body": "{}",
                "delay_ms": 10, "stall_after_bytes": 5, "stall_ms": 20,
                "chunked": true, "gzip": true, "body_repeat": 3, "count": 2}"#,
        )
        .unwrap();
        assert_eq!(answer.status, Some(503));
        assert_eq!(
            answer.headers,
            vec![("Retry-After".to_owned(), "2".to_owned())]
        );
        assert_eq!(&answer.body[..], b"{}");
        assert_eq!(answer.body_repeat, 3);
        assert_eq!(answer.delay, Some(Duration::from_millis(10)));
        assert_eq!(answer.stall, Some((5, Duration::from_millis(20))));
        assert!(answer.chunked);
        assert!(answer.gzip);
        assert_eq!(answer.remaining, 2);
    }

    #[test]
    fn rejects_unknown_field() {
        let result = serde_json::from_str::<ScriptedAnswer>(r#"{"delay": 5}"#);
        assert!(result.is_err());
    }

    #[test]
    fn rejects_invalid_answers() {
        let cases = [
            (r#"{"status": 42}"#, "status 42"),
            (r#"{"count": 0}"#, "count 0"),
            (
                r#"{"status": 200, "body": "a", "body_base64": "YQ=="}"#,
                "only one",
            ),
            (r#"{"body": "a"}"#, "need status"),
            (r#"{"stall_ms": 5}"#, "together"),
            (
                r#"{"status": 200, "headers": [["Bad Name", "x"]]}"#,
                "Bad Name",
            ),
            (
                r#"{"status": 200, "headers": [["X-A", "a\r\nb"]]}"#,
                "CR, LF",
            ),
            (r#"{"drop": "reset", "status": 500}"#, "send no response"),
            (r#"{"status": 200, "body_base64": "***"}"#, "character 0"),
            (
                r#"{"status": 200, "body": "ab", "body_repeat": 1073741824}"#,
                "over the limit",
            ),
            (
                r#"{"status": 200, "body": "ab", "body_repeat": 0}"#,
                "body_repeat 0",
            ),
        ];
        for (json, expected) in cases {
            let error = from_json(json).unwrap_err();
            assert!(error.reason.contains(expected), "{json}: {error}");
        }
    }

    #[test]
    fn queue_repeats_answer_count_times() {
        let queue = ScriptQueue::default();
        let answers = vec![
            ScriptedAnswer {
                count: Some(2),
                ..ScriptedAnswer::with_status(500, "first")
            },
            ScriptedAnswer::with_status(502, "second"),
        ];
        assert_eq!(queue.append(answers), Ok(2));
        let statuses: Vec<_> = std::iter::from_fn(|| queue.next())
            .map(|answer| answer.status)
            .collect();
        assert_eq!(statuses, vec![Some(500), Some(500), Some(502)]);
        assert_eq!(queue.len(), 0);
    }

    #[test]
    fn queue_appends_nothing_when_one_is_invalid() {
        let queue = ScriptQueue::default();
        let answers = vec![
            ScriptedAnswer::with_status(500, ""),
            ScriptedAnswer::with_status(7, ""),
        ];
        let error = queue.append(answers).unwrap_err();
        assert_eq!(error.index, 1);
        assert_eq!(queue.len(), 0);
    }
}
