//! Response heads and JSON bodies, written into reusable byte buffers.

use std::fmt::Display;
use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::ser::{Serialize, SerializeStruct, Serializer};

/// Framing of a response body on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    Length(u64),
    Chunked,
}

/// Everything needed to write a response's status line and headers.
pub(crate) struct ResponseHead<'a> {
    pub status: u16,
    pub request_id: u64,
    pub framing: Framing,
    /// `Some("close")` or `Some("keep-alive")` adds a `Connection` header.
    pub connection: Option<&'static str>,
    pub gzip: bool,
    /// Headers that the handler adds, such as `Allow` on 405.
    pub extra: &'a [(&'static str, &'static str)],
    /// Scripted headers. Each one replaces any default header of the same
    /// name, so a script can change `Content-Type` or break `Content-Length`.
    pub overrides: &'a [(String, String)],
}

impl ResponseHead<'_> {
    /// Returns true when a scripted header replaces `Content-Length` or
    /// `Transfer-Encoding`, so the client can no longer tell where the body
    /// ends and the connection must close after it.
    pub fn overrides_framing(&self) -> bool {
        self.overrides.iter().any(|(name, _)| {
            name.eq_ignore_ascii_case("content-length")
                || name.eq_ignore_ascii_case("transfer-encoding")
        })
    }

    /// Appends the status line, the headers and the blank line to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        let _ = write!(
            out,
            "HTTP/1.1 {} {}\r\n",
            self.status,
            reason_phrase(self.status)
        );
        let overridden = |name: &str| {
            self.overrides
                .iter()
                .any(|(other, _)| other.eq_ignore_ascii_case(name))
        };

        if !overridden("date") {
            out.extend_from_slice(b"Date: ");
            write_http_date(out, SystemTime::now());
            out.extend_from_slice(b"\r\n");
        }
        if !overridden("content-type") {
            out.extend_from_slice(b"Content-Type: application/json\r\n");
        }
        match self.framing {
            Framing::Length(length) => {
                if !overridden("content-length") && !overridden("transfer-encoding") {
                    let _ = write!(out, "Content-Length: {length}\r\n");
                }
            }
            Framing::Chunked => {
                if !overridden("transfer-encoding") {
                    out.extend_from_slice(b"Transfer-Encoding: chunked\r\n");
                }
            }
        }
        if self.gzip && !overridden("content-encoding") {
            out.extend_from_slice(b"Content-Encoding: gzip\r\n");
        }
        if !overridden("x-request-id") {
            let _ = write!(out, "x-request-id: req_{}\r\n", self.request_id);
        }
        if let Some(connection) = self.connection {
            if !overridden("connection") {
                let _ = write!(out, "Connection: {connection}\r\n");
            }
        }
        for (name, value) in self.extra {
            if !overridden(name) {
                let _ = write!(out, "{name}: {value}\r\n");
            }
        }
        for (name, value) in self.overrides {
            let _ = write!(out, "{name}: {value}\r\n");
        }
        out.extend_from_slice(b"\r\n");
    }
}

/// Returns the standard reason phrase for `status`, or "" for codes that
/// have none (an empty reason phrase is valid HTTP/1.1).
pub(crate) fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

/// Returns the short error code that error bodies carry for `status`.
pub(crate) fn error_code(status: u16) -> &'static str {
    match status {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        409 => "conflict",
        413 => "payload_too_large",
        414 => "uri_too_long",
        415 => "unsupported_media_type",
        422 => "validation_error",
        431 => "header_fields_too_large",
        501 => "not_implemented",
        505 => "http_version_not_supported",
        _ => "internal_error",
    }
}

/// Appends `{"message": ..., "error": ...}` to `body`.
pub(crate) fn write_error_body(body: &mut Vec<u8>, error: &str, message: impl Display) {
    let value = ErrorBody { message, error };
    // serde_json fails only on non-string map keys or a failing Serialize
    // impl, and these bodies have neither.
    let _ = serde_json::to_writer(body, &value);
}

/// Appends `{"success": true, "message": ...}` to `body`.
pub(crate) fn write_success_body(body: &mut Vec<u8>, message: impl Display) {
    let _ = serde_json::to_writer(body, &SuccessBody { message });
}

/// Error body whose message is formatted straight into the JSON output.
struct ErrorBody<'a, M> {
    message: M,
    error: &'a str,
}

impl<M: Display> Serialize for ErrorBody<'_, M> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("ErrorBody", 2)?;
        state.serialize_field("message", &DisplayAsString(&self.message))?;
        state.serialize_field("error", self.error)?;
        state.end()
    }
}

struct SuccessBody<M> {
    message: M,
}

impl<M: Display> Serialize for SuccessBody<M> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("SuccessBody", 2)?;
        state.serialize_field("success", &true)?;
        state.serialize_field("message", &DisplayAsString(&self.message))?;
        state.end()
    }
}

/// Serializes a `Display` value as a JSON string without building a String.
struct DisplayAsString<'a, M>(&'a M);

impl<M: Display> Serialize for DisplayAsString<'_, M> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self.0)
    }
}

/// Appends `time` in the IMF-fixdate format of RFC 9110 section 5.6.7, such
/// as `Sun, 06 Nov 1994 08:49:37 GMT`.
pub(crate) fn write_http_date(out: &mut Vec<u8>, time: SystemTime) {
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];

    let seconds = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let days = seconds / 86_400;
    let second_of_day = seconds % 86_400;
    let (year, month, day) = civil_date(days);
    let _ = write!(
        out,
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[(days % 7) as usize],
        day,
        MONTHS[(month - 1) as usize],
        year,
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    );
}

/// Converts days since 1970-01-01 into a proleptic Gregorian (year, month,
/// day), counting in 400-year eras that start on March 1 so that the leap
/// day falls at the end of each year.
fn civil_date(days_since_epoch: u64) -> (u64, u64, u64) {
    // 719_468 days separate 0000-03-01 from 1970-01-01.
    let days = days_since_epoch + 719_468;
    let era = days / 146_097;
    let day_of_era = days % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn date_text(seconds: u64) -> String {
        let mut out = Vec::new();
        write_http_date(&mut out, UNIX_EPOCH + Duration::from_secs(seconds));
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn http_date_known_values() {
        assert_eq!(date_text(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(date_text(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(date_text(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(date_text(4_107_542_399), "Sun, 28 Feb 2100 23:59:59 GMT");
        assert_eq!(date_text(4_107_542_400), "Mon, 01 Mar 2100 00:00:00 GMT");
        assert_eq!(date_text(4_133_980_799), "Fri, 31 Dec 2100 23:59:59 GMT");
    }

    #[test]
    fn error_body_escapes_message() {
        let mut body = Vec::new();
        write_error_body(
            &mut body,
            "not_found",
            format_args!("No route for GET {}", "/a\"b"),
        );
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(value["message"], "No route for GET /a\"b");
        assert_eq!(value["error"], "not_found");
    }

    #[test]
    fn success_body_has_success_true() {
        let mut body = Vec::new();
        write_success_body(&mut body, "done");
        assert_eq!(body, br#"{"success":true,"message":"done"}"#);
    }

    #[test]
    fn override_replaces_default_header() {
        let overrides = vec![("content-type".to_owned(), "text/html".to_owned())];
        let head = ResponseHead {
            status: 503,
            request_id: 7,
            framing: Framing::Length(3),
            connection: None,
            gzip: false,
            extra: &[],
            overrides: &overrides,
        };
        let mut out = Vec::new();
        head.write(&mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
            "{text}"
        );
        assert!(!text.contains("application/json"), "{text}");
        assert!(text.contains("content-type: text/html\r\n"), "{text}");
        assert!(text.contains("Content-Length: 3\r\n"), "{text}");
        assert!(text.contains("x-request-id: req_7\r\n"), "{text}");
        assert!(!head.overrides_framing());
    }
}
