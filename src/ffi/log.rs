//! C functions that choose the log level and where log messages go.

use std::ffi::{c_char, c_int, c_void};
use std::sync::Arc;

use crate::error::Error;
use crate::log::{self, Level};

use super::boundary::{guard, guard_status, to_c_string};
use super::status::AvaraStatus;

/// Log levels, from least to most verbose. Setting a level lets through
/// messages at that level and below.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AvaraLogLevel {
    /// Nothing is logged.
    Off = 0,
    /// Bugs inside libavara, such as a caught panic.
    Error = 1,
    /// Settings that were ignored, such as an unknown `AVARA_LOG` value.
    /// This is the default.
    Warn = 2,
    /// One line per attempt (method, path, status, duration), per retry
    /// (reason and wait) and per call that failed for good.
    Info = 3,
    /// Also each attempt before it is sent, and client creation.
    Debug = 4,
}

/// A function that receives log messages.
///
/// `message` is a NUL-terminated UTF-8 line without a trailing newline,
/// valid only during the call: copy it to keep it. `user_data` is the
/// pointer given to `avara_set_log_callback()`. The callback runs on the
/// thread that made the libavara call, possibly on several threads at
/// once, so it must be thread-safe. It must not call back into libavara.
/// Messages never contain the API key or the Authorization header.
pub type AvaraLogCallback = Option<
    unsafe extern "C" fn(level: AvaraLogLevel, message: *const c_char, user_data: *mut c_void),
>;

/// The C callback and its user data, made shareable across threads. The C
/// caller promises in `avara_set_log_callback()` that both may be used
/// from any thread.
struct CallbackSink {
    callback: unsafe extern "C" fn(AvaraLogLevel, *const c_char, *mut c_void),
    user_data: usize,
}

impl CallbackSink {
    fn deliver(&self, level: Level, message: &str) {
        let level = match level {
            Level::Error => AvaraLogLevel::Error,
            Level::Warn => AvaraLogLevel::Warn,
            Level::Info => AvaraLogLevel::Info,
            Level::Debug => AvaraLogLevel::Debug,
        };
        let text = to_c_string(message);
        // SAFETY: the caller of `avara_set_log_callback()` promised the
        // callback is safe to call from any thread with this user data;
        // `text` outlives the call.
        unsafe { (self.callback)(level, text.as_ptr(), self.user_data as *mut c_void) };
    }
}

/// Sends log messages to `callback` instead of stderr; NULL restores
/// stderr. Applies to the whole process, every client included.
/// `user_data` is passed back unchanged and may be NULL; libavara never
/// frees it. Returns `AVARA_STATUS_OK`. Thread-safe. It waits for
/// messages that other threads are delivering to the old callback, so once
/// it returns the old callback is never called again and its `user_data`
/// may be freed. Calling it from inside a callback deadlocks.
///
/// # Safety
/// `callback` is NULL or a function that may be called from any thread
/// with `user_data` until it is replaced.
#[no_mangle]
pub unsafe extern "C" fn avara_set_log_callback(
    callback: AvaraLogCallback,
    user_data: *mut c_void,
) -> AvaraStatus {
    guard_status(|| {
        let sink = callback.map(|callback| {
            let sink = CallbackSink {
                callback,
                user_data: user_data as usize,
            };
            Arc::new(move |level: Level, message: &str| sink.deliver(level, message)) as log::Sink
        });
        log::set_sink(sink);
        Ok(())
    })
}

/// Sets the most verbose level that is logged, overriding `AVARA_LOG`.
/// `level` is an `AvaraLogLevel` value (0 to 4) passed as an int; other
/// numbers fail with `AVARA_STATUS_INVALID_ARGUMENT`. Applies to the
/// whole process. Thread-safe.
#[no_mangle]
pub extern "C" fn avara_set_log_level(level: c_int) -> AvaraStatus {
    guard_status(|| {
        if !(0..=4).contains(&level) {
            return Err(Error::invalid_argument(
                "level",
                format!("{level} is not a log level; use AVARA_LOG_LEVEL_OFF (0) to AVARA_LOG_LEVEL_DEBUG (4)"),
            ));
        }
        log::set_max_level(Level::from_number(level as u8));
        Ok(())
    })
}

/// Returns the most verbose level that is logged now, from
/// `avara_set_log_level()` or else `AVARA_LOG`. Thread-safe.
#[no_mangle]
pub extern "C" fn avara_log_level() -> AvaraLogLevel {
    guard(AvaraLogLevel::Warn, || match log::max_level() {
        None => AvaraLogLevel::Off,
        Some(Level::Error) => AvaraLogLevel::Error,
        Some(Level::Warn) => AvaraLogLevel::Warn,
        Some(Level::Info) => AvaraLogLevel::Info,
        Some(Level::Debug) => AvaraLogLevel::Debug,
    })
}
