//! The panic boundary and the pointer helpers every exported function uses.
//!
//! No exported function dereferences a raw pointer by hand: it calls one of
//! the helpers below, whose safety contracts are stated once here and
//! repeated in each function's documentation for the C caller.

use std::any::Any;
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::Error;
use crate::log::{log_at, Level};

use super::last_error;
use super::status::AvaraStatus;

/// Runs `body`, turning a panic into `on_panic` so no panic crosses into C.
/// The panic's message is recorded as the thread's last error.
pub(crate) fn guard<T>(on_panic: T, body: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => value,
        Err(payload) => {
            // A second panic while recording must not escape either.
            let record = AssertUnwindSafe(|| {
                let error = panic_error(payload.as_ref());
                log_at!(Level::Error, "{error}");
                last_error::set(&error);
            });
            let _ = catch_unwind(record);
            on_panic
        }
    }
}

/// Runs a fallible `body` inside [`guard`]: clears the thread's last error,
/// then records the new one if `body` fails.
pub(crate) fn guard_status(body: impl FnOnce() -> Result<(), Error>) -> AvaraStatus {
    guard(AvaraStatus::InternalError, || {
        last_error::clear();
        match body() {
            Ok(()) => AvaraStatus::Ok,
            Err(error) => {
                let status = AvaraStatus::from(&error);
                last_error::set(&error);
                status
            }
        }
    })
}

fn panic_error(payload: &(dyn Any + Send)) -> Error {
    let detail = payload
        .downcast_ref::<&str>()
        .map(|text| text.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_owned());
    Error::internal(format!(
        "internal error: libavara panicked ({detail}); the call did not complete, please report this bug"
    ))
}

/// Ties an opaque C handle type to the Rust value behind it. Handles are
/// created by [`into_handle`] from a `Box<Inner>` and only ever cast back
/// to that same `Inner`.
pub(crate) trait Handle {
    type Inner;
    /// The handle's name in messages, such as `client`.
    const NAME: &'static str;
}

/// Moves `value` to the heap and returns it as an opaque handle pointer.
pub(crate) fn into_handle<H: Handle>(value: H::Inner) -> *mut H {
    Box::into_raw(Box::new(value)).cast()
}

/// Borrows the value behind a handle, or fails on NULL.
///
/// # Safety
/// `handle` is NULL or a pointer returned by [`into_handle`] for the same
/// `H` and not yet freed, and no other thread frees it during `'a`.
pub(crate) unsafe fn borrow_handle<'a, H: Handle>(
    handle: *const H,
    parameter: &str,
) -> Result<&'a H::Inner, Error> {
    // SAFETY: by this function's contract, a non-NULL `handle` came from
    // `Box::<H::Inner>::into_raw` and is still live, so it is aligned and
    // valid for shared reads during 'a.
    unsafe { handle.cast::<H::Inner>().as_ref() }
        .ok_or_else(|| null_argument(parameter, &handle_phrase::<H>()))
}

/// Mutably borrows the value behind a handle, or fails on NULL.
///
/// # Safety
/// As for [`borrow_handle`], and no other reference to the value exists
/// during `'a` (the C caller does not share the handle between threads
/// while it is being changed).
pub(crate) unsafe fn borrow_handle_mut<'a, H: Handle>(
    handle: *mut H,
    parameter: &str,
) -> Result<&'a mut H::Inner, Error> {
    // SAFETY: as in `borrow_handle`, plus exclusivity from the contract.
    unsafe { handle.cast::<H::Inner>().as_mut() }
        .ok_or_else(|| null_argument(parameter, &handle_phrase::<H>()))
}

/// Frees a handle; NULL is a no-op.
///
/// # Safety
/// `handle` is NULL or a pointer returned by [`into_handle`] for the same
/// `H` that has not been freed, and no other thread uses it.
pub(crate) unsafe fn free_handle<H: Handle>(handle: *mut H) {
    if handle.is_null() {
        return;
    }
    // SAFETY: by the contract, `handle` owns a live `Box<H::Inner>` that
    // nothing else will use again.
    drop(unsafe { Box::from_raw(handle.cast::<H::Inner>()) });
}

/// Converts a NUL-terminated C string to `&str`, failing on NULL, on
/// invalid UTF-8 and on the empty string.
///
/// # Safety
/// `text` is NULL or points to a NUL-terminated string that stays valid
/// and unchanged during `'a`.
pub(crate) unsafe fn borrow_str<'a>(
    text: *const c_char,
    parameter: &str,
) -> Result<&'a str, Error> {
    // SAFETY: forwarded contract.
    let text = unsafe { borrow_str_or_empty(text, parameter) }?;
    if text.is_empty() {
        return Err(Error::invalid_argument(
            parameter,
            "the string is empty; pass a non-empty value",
        ));
    }
    Ok(text)
}

/// Like [`borrow_str`], but the empty string is accepted.
///
/// # Safety
/// As for [`borrow_str`].
pub(crate) unsafe fn borrow_str_or_empty<'a>(
    text: *const c_char,
    parameter: &str,
) -> Result<&'a str, Error> {
    if text.is_null() {
        return Err(null_argument(parameter, "a NUL-terminated UTF-8 string"));
    }
    // SAFETY: non-NULL, and NUL-terminated and live by the contract.
    let bytes = unsafe { CStr::from_ptr(text) }.to_bytes();
    std::str::from_utf8(bytes).map_err(|error| {
        let offset = error.valid_up_to();
        Error::invalid_argument(
            parameter,
            format!(
                "the string is not valid UTF-8 (byte 0x{:02x} at offset {offset}); pass UTF-8 text",
                bytes[offset]
            ),
        )
    })
}

/// Like [`borrow_str`], but NULL gives `None`.
///
/// # Safety
/// As for [`borrow_str`].
pub(crate) unsafe fn borrow_optional_str<'a>(
    text: *const c_char,
    parameter: &str,
) -> Result<Option<&'a str>, Error> {
    if text.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded contract.
    unsafe { borrow_str(text, parameter) }.map(Some)
}

/// Checks that an output parameter is not NULL and sets it to NULL, so the
/// caller never sees a stale pointer after a failure.
///
/// # Safety
/// `out` is NULL or valid for writing one pointer.
pub(crate) unsafe fn reset_out<T>(
    out: *mut *mut T,
    parameter: &str,
) -> Result<OutPointer<T>, Error> {
    if out.is_null() {
        return Err(null_argument(
            parameter,
            "a variable that receives the result",
        ));
    }
    // SAFETY: non-NULL and writable by the contract.
    unsafe { out.write(std::ptr::null_mut()) };
    Ok(OutPointer(out))
}

/// An output parameter already checked by [`reset_out`].
pub(crate) struct OutPointer<T>(*mut *mut T);

impl<T> OutPointer<T> {
    /// Stores the result for the caller.
    pub(crate) fn set(self, value: *mut T) {
        // SAFETY: `reset_out` checked the pointer is non-NULL and the
        // caller's contract keeps it writable for the whole call.
        unsafe { self.0.write(value) };
    }
}

/// Names a handle type with its article, such as "an options handle".
fn handle_phrase<H: Handle>() -> String {
    let article = if H::NAME.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {} handle", H::NAME)
}

/// Builds the error for a NULL pointer; `expected` names what the pointer
/// must point to, such as "client handle".
fn null_argument(parameter: &str, expected: &str) -> Error {
    Error::invalid_argument(
        parameter,
        format!("the pointer is NULL; pass a pointer to {expected}"),
    )
}

/// Makes a C string from text that may contain NUL bytes, which C cannot
/// represent; they become U+FFFD.
pub(crate) fn to_c_string(text: &str) -> CString {
    CString::new(text).unwrap_or_else(|_| {
        CString::new(text.replace('\0', "\u{fffd}")).expect("all NUL bytes were replaced")
    })
}
