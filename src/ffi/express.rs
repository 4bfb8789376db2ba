//! C functions for the Express Users calls and their response handle.

use std::ffi::{c_char, CString};
use std::ptr;

use crate::client::Client;
use crate::error::Error;
use crate::express::UsersResponse;

use super::boundary::{
    borrow_handle, borrow_str, free_handle, guard, guard_status, into_handle, reset_out,
    to_c_string, Handle, OutPointer,
};
use super::client::AvaraClient;
use super::status::AvaraStatus;

/// The response to `avara_express_users_add()` or
/// `avara_express_users_remove()`. Read it with
/// `avara_users_response_success()` and `avara_users_response_message()`,
/// then free it with `avara_users_response_free()`.
///
/// Immutable, so it may be read from several threads at once.
pub struct AvaraUsersResponse {
    _opaque: [u8; 0],
}

/// The value behind an [`AvaraUsersResponse`]: the message is converted to
/// a C string once, so the accessor can hand out a stable pointer.
pub(crate) struct UsersResponseHandle {
    success: bool,
    message: Option<CString>,
}

impl Handle for AvaraUsersResponse {
    type Inner = UsersResponseHandle;
    const NAME: &'static str = "response";
}

impl From<UsersResponse> for UsersResponseHandle {
    fn from(response: UsersResponse) -> UsersResponseHandle {
        UsersResponseHandle {
            success: response.success,
            message: response.message.as_deref().map(to_c_string),
        }
    }
}

/// Checks the pointers shared by add and remove, runs `call`, and stores
/// the response for the caller when it wants one.
///
/// # Safety
/// `client` is NULL or a live client handle; the two IDs are NULL or
/// NUL-terminated strings; `out_response` is NULL or valid for writing one
/// pointer.
unsafe fn users_call(
    client: *const AvaraClient,
    express_customer_id: *const c_char,
    user_id: *const c_char,
    out_response: *mut *mut AvaraUsersResponse,
    call: fn(&Client, &str, &str) -> Result<UsersResponse, Error>,
) -> AvaraStatus {
    guard_status(|| {
        // SAFETY: forwarded from the caller's contract.
        let out: Option<OutPointer<AvaraUsersResponse>> = if out_response.is_null() {
            None
        } else {
            Some(unsafe { reset_out(out_response, "out_response") }?)
        };
        let client = unsafe { borrow_handle(client, "client") }?;
        let customer = unsafe { borrow_str(express_customer_id, "express_customer_id") }?;
        let user = unsafe { borrow_str(user_id, "user_id") }?;

        let response = call(client, customer, user)?;
        if let Some(out) = out {
            out.set(into_handle::<AvaraUsersResponse>(response.into()));
        }
        Ok(())
    })
}

/// Adds a user to an Express customer, granting them access to the
/// customer's resources and studies: `POST
/// /v1/express/{express_customer_id}/users` with `{"userId": user_id}`.
///
/// `express_customer_id` must be `cus_` followed by 32 hex digits and
/// `user_id` `usr_` followed by 32 hex digits; anything else fails with
/// `AVARA_STATUS_INVALID_ARGUMENT` before any request is sent. Transient
/// failures are retried as configured on the client.
///
/// `out_response` may be NULL when the caller does not need the response.
/// Otherwise, on success `*out_response` receives a response that the
/// caller owns and must free with `avara_users_response_free()`; on
/// failure it is set to NULL. The ID strings are only read during the
/// call. Thread-safe: many threads may call this on one client at once.
/// Blocks until the call finishes, fails, or times out.
///
/// # Safety
/// `client` is NULL or a live client handle; the IDs are NULL or
/// NUL-terminated strings; `out_response` is NULL or valid for writing one
/// pointer.
#[no_mangle]
pub unsafe extern "C" fn avara_express_users_add(
    client: *const AvaraClient,
    express_customer_id: *const c_char,
    user_id: *const c_char,
    out_response: *mut *mut AvaraUsersResponse,
) -> AvaraStatus {
    // SAFETY: forwarded from the caller's contract.
    unsafe {
        users_call(
            client,
            express_customer_id,
            user_id,
            out_response,
            Client::express_users_add,
        )
    }
}

/// Removes a user from an Express customer, revoking their access to the
/// customer's resources; the user account stays active: `DELETE
/// /v1/express/{express_customer_id}/users` with `{"userId": user_id}`.
///
/// Arguments, ownership, retries and thread-safety are as for
/// `avara_express_users_add()`.
///
/// # Safety
/// `client` is NULL or a live client handle; the IDs are NULL or
/// NUL-terminated strings; `out_response` is NULL or valid for writing one
/// pointer.
#[no_mangle]
pub unsafe extern "C" fn avara_express_users_remove(
    client: *const AvaraClient,
    express_customer_id: *const c_char,
    user_id: *const c_char,
    out_response: *mut *mut AvaraUsersResponse,
) -> AvaraStatus {
    // SAFETY: forwarded from the caller's contract.
    unsafe {
        users_call(
            client,
            express_customer_id,
            user_id,
            out_response,
            Client::express_users_remove,
        )
    }
}

/// Returns the response's `success` field. NULL gives false. Thread-safe.
///
/// # Safety
/// `response` is NULL or a live response handle.
#[no_mangle]
pub unsafe extern "C" fn avara_users_response_success(response: *const AvaraUsersResponse) -> bool {
    guard(false, || {
        // SAFETY: the caller's contract above.
        unsafe { borrow_handle(response, "response") }.is_ok_and(|response| response.success)
    })
}

/// Returns the response's `message` field, or NULL when the server sent
/// none or `response` is NULL. The string belongs to the response: it
/// stays valid until `avara_users_response_free()`, and must not be freed
/// on its own. Thread-safe.
///
/// # Safety
/// `response` is NULL or a live response handle.
#[no_mangle]
pub unsafe extern "C" fn avara_users_response_message(
    response: *const AvaraUsersResponse,
) -> *const c_char {
    guard(ptr::null(), || {
        // SAFETY: the caller's contract above.
        match unsafe { borrow_handle(response, "response") } {
            Ok(response) => response
                .message
                .as_ref()
                .map_or(ptr::null(), |text| text.as_ptr()),
            Err(_) => ptr::null(),
        }
    })
}

/// Frees a response and its message. NULL is a no-op. libavara cannot
/// detect a double free or a use after free.
///
/// # Safety
/// `response` is NULL or a live response handle that no other thread is
/// using.
#[no_mangle]
pub unsafe extern "C" fn avara_users_response_free(response: *mut AvaraUsersResponse) {
    // SAFETY: the caller's contract above.
    guard((), || unsafe { free_handle(response) })
}
