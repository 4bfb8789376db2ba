//! Status codes returned by every fallible C function.

use std::ffi::{c_char, c_int, CStr};

use crate::error::{Error, ErrorKind};

use super::boundary::guard;

/// The result of a libavara call. 0 is success; every other value is a
/// failure whose detail is available from `avara_last_error_message()` on
/// the same thread.
///
/// The numeric values are stable across releases and grouped by origin:
/// 1-9 the caller's input, 10-19 the network, 20-39 the server's HTTP
/// status, 40-49 the response body, 50-59 the library itself. New codes
/// will only be added in the gaps.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AvaraStatus {
    /// The call succeeded.
    Ok = 0,
    /// A NULL pointer, an empty or non-UTF-8 string, a malformed ID, or an
    /// option value out of range. No request was sent.
    InvalidArgument = 1,
    /// No API key was passed and `AVARA_API_KEY` is unset or empty.
    MissingApiKey = 2,
    /// The connection or TLS handshake failed, or the connection broke
    /// before a complete response arrived.
    ConnectionFailed = 10,
    /// The connect timeout or the request timeout fired.
    TimedOut = 11,
    /// HTTP 400.
    BadRequest = 20,
    /// HTTP 401: the API key is missing, wrong or revoked.
    Authentication = 21,
    /// HTTP 403: the API key may not perform this call.
    PermissionDenied = 22,
    /// HTTP 404: the customer or user does not exist, or the user is not a
    /// member.
    NotFound = 23,
    /// HTTP 409.
    Conflict = 24,
    /// HTTP 422.
    UnprocessableEntity = 25,
    /// HTTP 429, after retries ran out.
    RateLimited = 26,
    /// HTTP 500 or above, after retries ran out.
    InternalServerError = 27,
    /// Any other non-2xx status, redirects included.
    HttpStatus = 28,
    /// A 2xx response whose body is empty, not JSON, not the expected
    /// shape, or larger than the 1 MiB limit.
    InvalidResponse = 40,
    /// A bug inside libavara, such as a caught panic.
    InternalError = 50,
}

/// All statuses, in numeric order.
const ALL_STATUSES: [AvaraStatus; 16] = [
    AvaraStatus::Ok,
    AvaraStatus::InvalidArgument,
    AvaraStatus::MissingApiKey,
    AvaraStatus::ConnectionFailed,
    AvaraStatus::TimedOut,
    AvaraStatus::BadRequest,
    AvaraStatus::Authentication,
    AvaraStatus::PermissionDenied,
    AvaraStatus::NotFound,
    AvaraStatus::Conflict,
    AvaraStatus::UnprocessableEntity,
    AvaraStatus::RateLimited,
    AvaraStatus::InternalServerError,
    AvaraStatus::HttpStatus,
    AvaraStatus::InvalidResponse,
    AvaraStatus::InternalError,
];

impl AvaraStatus {
    /// The C identifier of this status, such as `AVARA_STATUS_NOT_FOUND`.
    pub fn name(self) -> &'static CStr {
        match self {
            AvaraStatus::Ok => c"AVARA_STATUS_OK",
            AvaraStatus::InvalidArgument => c"AVARA_STATUS_INVALID_ARGUMENT",
            AvaraStatus::MissingApiKey => c"AVARA_STATUS_MISSING_API_KEY",
            AvaraStatus::ConnectionFailed => c"AVARA_STATUS_CONNECTION_FAILED",
            AvaraStatus::TimedOut => c"AVARA_STATUS_TIMED_OUT",
            AvaraStatus::BadRequest => c"AVARA_STATUS_BAD_REQUEST",
            AvaraStatus::Authentication => c"AVARA_STATUS_AUTHENTICATION",
            AvaraStatus::PermissionDenied => c"AVARA_STATUS_PERMISSION_DENIED",
            AvaraStatus::NotFound => c"AVARA_STATUS_NOT_FOUND",
            AvaraStatus::Conflict => c"AVARA_STATUS_CONFLICT",
            AvaraStatus::UnprocessableEntity => c"AVARA_STATUS_UNPROCESSABLE_ENTITY",
            AvaraStatus::RateLimited => c"AVARA_STATUS_RATE_LIMITED",
            AvaraStatus::InternalServerError => c"AVARA_STATUS_INTERNAL_SERVER_ERROR",
            AvaraStatus::HttpStatus => c"AVARA_STATUS_HTTP_STATUS",
            AvaraStatus::InvalidResponse => c"AVARA_STATUS_INVALID_RESPONSE",
            AvaraStatus::InternalError => c"AVARA_STATUS_INTERNAL_ERROR",
        }
    }
}

impl From<&Error> for AvaraStatus {
    fn from(error: &Error) -> AvaraStatus {
        match error.kind() {
            ErrorKind::InvalidArgument => AvaraStatus::InvalidArgument,
            ErrorKind::MissingApiKey => AvaraStatus::MissingApiKey,
            ErrorKind::Connection => AvaraStatus::ConnectionFailed,
            ErrorKind::Timeout => AvaraStatus::TimedOut,
            ErrorKind::BadRequest => AvaraStatus::BadRequest,
            ErrorKind::Authentication => AvaraStatus::Authentication,
            ErrorKind::PermissionDenied => AvaraStatus::PermissionDenied,
            ErrorKind::NotFound => AvaraStatus::NotFound,
            ErrorKind::Conflict => AvaraStatus::Conflict,
            ErrorKind::UnprocessableEntity => AvaraStatus::UnprocessableEntity,
            ErrorKind::RateLimited => AvaraStatus::RateLimited,
            ErrorKind::InternalServer => AvaraStatus::InternalServerError,
            ErrorKind::OtherStatus => AvaraStatus::HttpStatus,
            ErrorKind::InvalidResponse => AvaraStatus::InvalidResponse,
            ErrorKind::Internal => AvaraStatus::InternalError,
        }
    }
}

/// Returns the C identifier of `status`, such as
/// `"AVARA_STATUS_NOT_FOUND"`, or `"AVARA_STATUS_UNKNOWN"` for a number
/// that is not a status.
///
/// The status is taken as an `int` so that any number is safe to pass.
/// The returned string is static: never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn avara_status_name(status: c_int) -> *const c_char {
    guard(c"AVARA_STATUS_UNKNOWN".as_ptr(), || {
        ALL_STATUSES
            .iter()
            .find(|candidate| **candidate as c_int == status)
            .map_or(c"AVARA_STATUS_UNKNOWN", |found| found.name())
            .as_ptr()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_numbers() {
        for status in ALL_STATUSES {
            let name = unsafe { CStr::from_ptr(avara_status_name(status as c_int)) };
            assert_eq!(name, status.name());
        }
        let unknown = unsafe { CStr::from_ptr(avara_status_name(-1)) };
        assert_eq!(unknown, c"AVARA_STATUS_UNKNOWN");
    }
}
