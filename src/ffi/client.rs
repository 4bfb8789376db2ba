//! C functions that create, derive and free client handles.

use std::ffi::c_char;

use crate::client::Client;
use crate::config::ClientOptions;

use super::boundary::{
    borrow_handle, borrow_optional_str, free_handle, guard, guard_status, into_handle, reset_out,
    Handle,
};
use super::options::AvaraClientOptions;
use super::status::AvaraStatus;

/// A client for the Avara API: settings plus a pool of keep-alive
/// connections.
///
/// Thread-safe: one client may be used by many threads at once, and
/// concurrent calls share its connections. Free it with
/// `avara_client_free()` once no thread uses it.
pub struct AvaraClient {
    _opaque: [u8; 0],
}

impl Handle for AvaraClient {
    type Inner = Client;
    const NAME: &'static str = "client";
}

/// Creates a client.
///
/// `api_key`: the API key; NULL reads `AVARA_API_KEY`. If both are missing
/// the call fails with `AVARA_STATUS_MISSING_API_KEY`.
/// `base_url`: such as `"https://api.avarasoftware.com"`; NULL reads
/// `AVARA_BASE_URL`, and if that is unset the default above is used.
/// The strings are copied; the caller may free them after this returns.
/// `AVARA_CUSTOM_HEADERS` is read too. Other options take their defaults;
/// see `avara_client_new_with_options()` to set them.
///
/// On success `*out_client` receives a new client that the caller owns and
/// must free with `avara_client_free()`. On failure it is set to NULL.
/// `out_client` must not be NULL. Thread-safe.
///
/// # Safety
/// Each string is NULL or NUL-terminated; `out_client` is NULL or valid
/// for writing one pointer.
#[no_mangle]
pub unsafe extern "C" fn avara_client_new(
    api_key: *const c_char,
    base_url: *const c_char,
    out_client: *mut *mut AvaraClient,
) -> AvaraStatus {
    guard_status(|| {
        // SAFETY: the caller's contract above covers each pointer.
        let out = unsafe { reset_out(out_client, "out_client") }?;
        let api_key = unsafe { borrow_optional_str(api_key, "api_key") }?;
        let base_url = unsafe { borrow_optional_str(base_url, "base_url") }?;

        let mut options = ClientOptions::new();
        if let Some(key) = api_key {
            options.set_api_key(key)?;
        }
        if let Some(url) = base_url {
            options.set_base_url(url)?;
        }
        let client = Client::new(options)?;
        out.set(into_handle::<AvaraClient>(client));
        Ok(())
    })
}

/// Creates a client from an options handle.
///
/// `options` may be NULL for all defaults; options it leaves unset are read
/// from the environment (`AVARA_API_KEY`, `AVARA_BASE_URL`,
/// `AVARA_CUSTOM_HEADERS`, `HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`) and
/// then from the defaults. The options are copied: the caller may change
/// or free them afterwards without affecting the client.
///
/// On success `*out_client` receives a new client that the caller owns and
/// must free with `avara_client_free()`. On failure it is set to NULL.
/// `out_client` must not be NULL. Thread-safe.
///
/// # Safety
/// `options` is NULL or a live handle from `avara_client_options_new()`;
/// `out_client` is NULL or valid for writing one pointer.
#[no_mangle]
pub unsafe extern "C" fn avara_client_new_with_options(
    options: *const AvaraClientOptions,
    out_client: *mut *mut AvaraClient,
) -> AvaraStatus {
    guard_status(|| {
        // SAFETY: the caller's contract above covers each pointer.
        let out = unsafe { reset_out(out_client, "out_client") }?;
        let client = if options.is_null() {
            Client::new(ClientOptions::new())?
        } else {
            let options = unsafe { borrow_handle(options, "options") }?;
            Client::new(options.clone())?
        };
        out.set(into_handle::<AvaraClient>(client));
        Ok(())
    })
}

/// Creates a client that shares `client`'s connection pool, proxy and TLS
/// settings, with the options set in `options` changed: for example a
/// longer timeout for one bulk job. Unset options keep `client`'s values;
/// the environment is not read again. Setting a proxy or a CA bundle on
/// `options` fails with `AVARA_STATUS_INVALID_ARGUMENT`, since those
/// belong to the shared pool.
///
/// The two handles are independent: each must be freed with
/// `avara_client_free()`, in any order, and the pool lives until both are
/// freed. The options are copied. `out_client` must not be NULL; on
/// failure it is set to NULL. Thread-safe.
///
/// # Safety
/// `client` is a live client handle; `options` is a live options handle;
/// `out_client` is NULL or valid for writing one pointer.
#[no_mangle]
pub unsafe extern "C" fn avara_client_with_options(
    client: *const AvaraClient,
    options: *const AvaraClientOptions,
    out_client: *mut *mut AvaraClient,
) -> AvaraStatus {
    guard_status(|| {
        // SAFETY: the caller's contract above covers each pointer.
        let out = unsafe { reset_out(out_client, "out_client") }?;
        let parent = unsafe { borrow_handle(client, "client") }?;
        let options = unsafe { borrow_handle(options, "options") }?;
        let derived = parent.with_options(options)?;
        out.set(into_handle::<AvaraClient>(derived));
        Ok(())
    })
}

/// Frees a client and closes its idle connections, unless a derived client
/// still shares them. NULL is a no-op.
///
/// No other thread may be using `client` when it is freed, and the handle
/// must not be used afterwards. libavara cannot detect a double free or a
/// use after free: either corrupts memory.
///
/// # Safety
/// `client` is NULL or a live handle from `avara_client_new*()` or
/// `avara_client_with_options()` that no other thread is using.
#[no_mangle]
pub unsafe extern "C" fn avara_client_free(client: *mut AvaraClient) {
    // SAFETY: the caller's contract above.
    guard((), || unsafe { free_handle(client) })
}

/// Major version of this header, for compile-time checks;
/// `avara_version()` gives the loaded library's version at run time.
pub const AVARA_VERSION_MAJOR: u32 = 0;
/// Minor version of the header.
pub const AVARA_VERSION_MINOR: u32 = 1;
/// Patch version of the header.
pub const AVARA_VERSION_PATCH: u32 = 0;

/// Returns the library version, such as `"0.1.0"`. The string is static:
/// never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn avara_version() -> *const c_char {
    const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    guard(c"unknown".as_ptr(), || VERSION.as_ptr().cast())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_macros_match_cargo() {
        let cargo = [
            env!("CARGO_PKG_VERSION_MAJOR"),
            env!("CARGO_PKG_VERSION_MINOR"),
            env!("CARGO_PKG_VERSION_PATCH"),
        ];
        let header = [
            AVARA_VERSION_MAJOR,
            AVARA_VERSION_MINOR,
            AVARA_VERSION_PATCH,
        ]
        .map(|n| n.to_string());
        assert_eq!(header, cargo, "update AVARA_VERSION_* in src/ffi/client.rs");
    }
}
