//! C functions that build an options handle for `avara_client_new_with_options()`.
//!
//! Every setter validates its value at once and returns
//! `AVARA_STATUS_INVALID_ARGUMENT` with a message naming the value when it
//! is rejected; the options are then left as they were.

use std::ffi::c_char;

use crate::config::ClientOptions;
use crate::error::Error;

use super::boundary::{
    borrow_handle_mut, borrow_str, borrow_str_or_empty, free_handle, guard, guard_status,
    into_handle, reset_out, Handle,
};
use super::status::AvaraStatus;

/// A set of client options. Unset options fall back to the environment,
/// then to the defaults.
///
/// Not thread-safe while being changed: set options from one thread, then
/// pass the handle to `avara_client_new_with_options()`, which copies it.
pub struct AvaraClientOptions {
    _opaque: [u8; 0],
}

impl Handle for AvaraClientOptions {
    type Inner = ClientOptions;
    const NAME: &'static str = "options";
}

/// Creates an options handle with nothing set.
///
/// On success `*out_options` receives a handle that the caller owns and
/// must free with `avara_client_options_free()`. `out_options` must not be
/// NULL. Thread-safe.
///
/// # Safety
/// `out_options` is NULL or valid for writing one pointer.
#[no_mangle]
pub unsafe extern "C" fn avara_client_options_new(
    out_options: *mut *mut AvaraClientOptions,
) -> AvaraStatus {
    guard_status(|| {
        // SAFETY: the caller's contract above.
        let out = unsafe { reset_out(out_options, "out_options") }?;
        out.set(into_handle::<AvaraClientOptions>(ClientOptions::new()));
        Ok(())
    })
}

/// Frees an options handle. NULL is a no-op. Clients created from it are
/// not affected. The handle must not be used afterwards: libavara cannot
/// detect a double free or a use after free, and either corrupts memory.
///
/// # Safety
/// `options` is NULL or a live handle from `avara_client_options_new()`
/// that no other thread is using.
#[no_mangle]
pub unsafe extern "C" fn avara_client_options_free(options: *mut AvaraClientOptions) {
    // SAFETY: the caller's contract above.
    guard((), || unsafe { free_handle(options) })
}

/// Runs `apply` on the options behind `options` and the UTF-8 text behind
/// `value`, inside the panic boundary.
///
/// # Safety
/// `options` is NULL or a live options handle used by no other thread;
/// `value` is NULL or a NUL-terminated string.
unsafe fn set_text(
    options: *mut AvaraClientOptions,
    value: *const c_char,
    parameter: &str,
    apply: impl FnOnce(&mut ClientOptions, &str) -> Result<(), Error>,
) -> AvaraStatus {
    guard_status(|| {
        // SAFETY: forwarded from the caller's contract.
        let options = unsafe { borrow_handle_mut(options, "options") }?;
        let value = unsafe { borrow_str(value, parameter) }?;
        apply(options, value)
    })
}

/// Sets the API key, sent as `Authorization: Bearer <key>`. Overrides
/// `AVARA_API_KEY`. The string is copied. Fails on NULL, on the empty
/// string, on spaces, control or non-ASCII characters, and on keys longer
/// than 4096 bytes.
///
/// # Safety
/// `options` is a live options handle used by no other thread; `api_key`
/// is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn avara_client_options_set_api_key(
    options: *mut AvaraClientOptions,
    api_key: *const c_char,
) -> AvaraStatus {
    // SAFETY: forwarded from the caller's contract.
    unsafe { set_text(options, api_key, "api_key", ClientOptions::set_api_key) }
}

/// Sets the base URL, such as `"https://api.avarasoftware.com"` (the
/// default). Overrides `AVARA_BASE_URL`. It must use http or https and
/// carry no user credentials, query or fragment; a path prefix is kept.
/// The string is copied.
///
/// # Safety
/// `options` is a live options handle used by no other thread; `base_url`
/// is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn avara_client_options_set_base_url(
    options: *mut AvaraClientOptions,
    base_url: *const c_char,
) -> AvaraStatus {
    // SAFETY: forwarded from the caller's contract.
    unsafe { set_text(options, base_url, "base_url", ClientOptions::set_base_url) }
}

/// Sets the bound on one attempt, from connect to the last body byte, in
/// milliseconds: 1 to 3600000. Default 60000. Retries each get the full
/// bound again.
///
/// # Safety
/// `options` is a live options handle used by no other thread.
#[no_mangle]
pub unsafe extern "C" fn avara_client_options_set_timeout_ms(
    options: *mut AvaraClientOptions,
    timeout_ms: u64,
) -> AvaraStatus {
    guard_status(|| {
        // SAFETY: the caller's contract above.
        let options = unsafe { borrow_handle_mut(options, "options") }?;
        options.set_timeout_ms(timeout_ms)
    })
}

/// Sets the bound on connection setup, TLS handshake included, in
/// milliseconds: 1 to 600000. Default 5000.
///
/// # Safety
/// `options` is a live options handle used by no other thread.
#[no_mangle]
pub unsafe extern "C" fn avara_client_options_set_connect_timeout_ms(
    options: *mut AvaraClientOptions,
    connect_timeout_ms: u64,
) -> AvaraStatus {
    guard_status(|| {
        // SAFETY: the caller's contract above.
        let options = unsafe { borrow_handle_mut(options, "options") }?;
        options.set_connect_timeout_ms(connect_timeout_ms)
    })
}

/// Sets how many times a failed attempt is retried: 0 to 10. Default 2;
/// 0 disables retries. Connection errors, timeouts, 408, 409, 429 and 5xx
/// are retried, unless the server answers `x-should-retry: false`.
///
/// # Safety
/// `options` is a live options handle used by no other thread.
#[no_mangle]
pub unsafe extern "C" fn avara_client_options_set_max_retries(
    options: *mut AvaraClientOptions,
    max_retries: u32,
) -> AvaraStatus {
    guard_status(|| {
        // SAFETY: the caller's contract above.
        let options = unsafe { borrow_handle_mut(options, "options") }?;
        options.set_max_retries(max_retries)
    })
}

/// Adds a header sent with every request, after those from
/// `AVARA_CUSTOM_HEADERS`; a header of the same name (compared without
/// case) is replaced. The name must be an HTTP token and the value visible
/// ASCII, spaces and tabs; CR and LF are rejected. Each is at most 4096
/// bytes long. Headers the library sets or controls itself
/// (Authorization, Content-Type, Accept, User-Agent, Host, Content-Length,
/// Transfer-Encoding, Connection, Expect, x-stainless-retry-count) are
/// rejected. Both strings are copied.
///
/// # Safety
/// `options` is a live options handle used by no other thread; `name` and
/// `value` are NULL or NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn avara_client_options_add_default_header(
    options: *mut AvaraClientOptions,
    name: *const c_char,
    value: *const c_char,
) -> AvaraStatus {
    guard_status(|| {
        // SAFETY: the caller's contract above.
        let options = unsafe { borrow_handle_mut(options, "options") }?;
        let name = unsafe { borrow_str(name, "name") }?;
        // An empty value is a valid header value.
        let value = unsafe { borrow_str_or_empty(value, "value") }?;
        options.add_default_header(name, value)
    })
}

/// Sets text appended to the User-Agent so the application can identify
/// itself, such as `"pacs-bridge/2.1"`. The User-Agent becomes
/// `"libavara/<version> <suffix>"`. The suffix is visible ASCII, spaces
/// and tabs, at most 4096 bytes. The string is copied.
///
/// # Safety
/// `options` is a live options handle used by no other thread; `suffix`
/// is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn avara_client_options_set_user_agent_suffix(
    options: *mut AvaraClientOptions,
    suffix: *const c_char,
) -> AvaraStatus {
    // SAFETY: forwarded from the caller's contract.
    unsafe {
        set_text(
            options,
            suffix,
            "user_agent_suffix",
            ClientOptions::set_user_agent_suffix,
        )
    }
}

/// Sets an HTTP or HTTPS proxy, such as `"http://proxy.example:3128"`
/// (credentials as `http://user:password@host:port` are allowed). It
/// replaces `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY`, which
/// are read otherwise. The string is copied.
///
/// # Safety
/// `options` is a live options handle used by no other thread; `proxy_url`
/// is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn avara_client_options_set_proxy(
    options: *mut AvaraClientOptions,
    proxy_url: *const c_char,
) -> AvaraStatus {
    // SAFETY: forwarded from the caller's contract.
    unsafe { set_text(options, proxy_url, "proxy", ClientOptions::set_proxy) }
}

/// Trusts the CA certificates in the PEM file at `path` instead of the
/// platform's certificate store, as corporate networks with their own CA
/// need. The file is read during this call and must hold at least one
/// certificate. TLS verification itself cannot be turned off.
///
/// # Safety
/// `options` is a live options handle used by no other thread; `path` is
/// NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn avara_client_options_set_ca_bundle_file(
    options: *mut AvaraClientOptions,
    path: *const c_char,
) -> AvaraStatus {
    // SAFETY: forwarded from the caller's contract.
    unsafe {
        set_text(
            options,
            path,
            "ca_bundle_file",
            ClientOptions::set_ca_bundle_file,
        )
    }
}
