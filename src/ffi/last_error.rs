//! The detail of the last failure on each thread, and its C accessors.
//!
//! Every function that returns an [`AvaraStatus`] clears this record when
//! it starts and fills it when it fails. The accessors below only read it,
//! so they may be called in any order after a failure.

use std::cell::RefCell;
use std::ffi::{c_char, CString};
use std::ptr;

use crate::error::Error;

use super::boundary::{guard, to_c_string};
use super::status::AvaraStatus;

struct LastError {
    status: AvaraStatus,
    message: CString,
    http_status: u16,
    server_message: Option<CString>,
    body: Option<CString>,
    request_id: Option<CString>,
    attempts: u32,
    retries_exhausted: bool,
}

thread_local! {
    static LAST_ERROR: RefCell<Option<LastError>> = const { RefCell::new(None) };
}

pub(crate) fn clear() {
    LAST_ERROR.with(|slot| slot.borrow_mut().take());
}

pub(crate) fn set(error: &Error) {
    let record = LastError {
        status: AvaraStatus::from(error),
        message: to_c_string(error.message()),
        http_status: error.http_status(),
        server_message: error.server_message().map(to_c_string),
        body: error.body().map(to_c_string),
        request_id: error.request_id().map(to_c_string),
        attempts: error.attempts(),
        retries_exhausted: error.retries_exhausted(),
    };
    LAST_ERROR.with(|slot| *slot.borrow_mut() = Some(record));
}

fn read<T>(default: T, field: impl FnOnce(&LastError) -> T) -> T {
    LAST_ERROR.with(|slot| slot.borrow().as_ref().map_or(default, field))
}

/// Returns the message of the last failure on the calling thread: what
/// failed, on which value, and what to do next. The API key never appears
/// in it.
///
/// Never NULL: the empty string when the last call that returns a status
/// succeeded, or when no such call was made on this thread. The string
/// belongs to libavara; it stays valid until the next call on this thread
/// to a function that returns an `AvaraStatus`. Copy it to keep it longer.
/// Thread-safe: each thread has its own record.
#[no_mangle]
pub extern "C" fn avara_last_error_message() -> *const c_char {
    guard(c"".as_ptr(), || {
        read(c"".as_ptr(), |error| error.message.as_ptr())
    })
}

/// Returns the status of the last failure on the calling thread, or
/// `AVARA_STATUS_OK` when there is none. Thread-safe.
#[no_mangle]
pub extern "C" fn avara_last_error_status() -> AvaraStatus {
    guard(AvaraStatus::InternalError, || {
        read(AvaraStatus::Ok, |error| error.status)
    })
}

/// Returns the HTTP status of the last failure on the calling thread, or 0
/// when no response arrived (for example on a connection failure, a
/// timeout or an invalid argument). Thread-safe.
#[no_mangle]
pub extern "C" fn avara_last_error_http_status() -> u16 {
    guard(0, || read(0, |error| error.http_status))
}

/// Returns the server's own explanation of the last failure on the calling
/// thread: the JSON body's `message`, else its `error`, else the body text,
/// cut at 1024 bytes. NULL when there was no response or it had no body.
///
/// Same lifetime as `avara_last_error_message()`. Thread-safe.
#[no_mangle]
pub extern "C" fn avara_last_error_server_message() -> *const c_char {
    guard(ptr::null(), || {
        read(ptr::null(), |error| {
            error
                .server_message
                .as_ref()
                .map_or(ptr::null(), |text| text.as_ptr())
        })
    })
}

/// Returns the body of the response that failed on the calling thread,
/// as text: for an API error usually JSON such as
/// `{"message": "...", "error": "..."}`. Bytes that are not UTF-8 are
/// replaced with U+FFFD and NUL bytes too; the text is cut at 65536 bytes,
/// and the API key is replaced with `<redacted>` if the server echoed it.
/// NULL when no response arrived or it had no body.
///
/// Same lifetime as `avara_last_error_message()`. Thread-safe.
#[no_mangle]
pub extern "C" fn avara_last_error_body() -> *const c_char {
    guard(ptr::null(), || {
        read(ptr::null(), |error| {
            error
                .body
                .as_ref()
                .map_or(ptr::null(), |text| text.as_ptr())
        })
    })
}

/// Returns the `x-request-id` (or `request-id`) header of the response
/// that failed on the calling thread, or NULL when it had none. Quote it
/// when contacting Avara support.
///
/// Same lifetime as `avara_last_error_message()`. Thread-safe.
#[no_mangle]
pub extern "C" fn avara_last_error_request_id() -> *const c_char {
    guard(ptr::null(), || {
        read(ptr::null(), |error| {
            error
                .request_id
                .as_ref()
                .map_or(ptr::null(), |text| text.as_ptr())
        })
    })
}

/// Returns how many HTTP attempts the failed call made on the calling
/// thread: 0 when it was rejected before any traffic, otherwise 1 plus the
/// retries. Thread-safe.
#[no_mangle]
pub extern "C" fn avara_last_error_attempts() -> u32 {
    guard(0, || read(0, |error| error.attempts))
}

/// Returns true when the last failure on the calling thread was retryable
/// but the client's retries ran out. Thread-safe.
#[no_mangle]
pub extern "C" fn avara_last_error_retries_exhausted() -> bool {
    guard(false, || read(false, |error| error.retries_exhausted))
}
