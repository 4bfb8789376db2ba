//! The Express Users resource: add a user to an Express customer and
//! remove them again.

use serde::Deserialize;

use crate::client::Client;
use crate::error::{Error, ErrorKind};
use crate::ids::{encode_path_segment, validate_customer_id, validate_user_id};
use crate::transport::Method;

/// The response to an add or remove call.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UsersResponse {
    /// Whether the server reports the change as made.
    pub success: bool,
    /// The server's optional explanation.
    #[serde(default)]
    pub message: Option<String>,
}

impl Client {
    /// Adds the user to the Express customer, granting access to the
    /// customer's resources and studies
    /// (`POST /v1/express/{express_customer_id}/users`).
    pub fn express_users_add(
        &self,
        express_customer_id: &str,
        user_id: &str,
    ) -> Result<UsersResponse, Error> {
        self.express_users_call(Method::Post, express_customer_id, user_id)
    }

    /// Removes the user from the Express customer, revoking that access; the
    /// user account stays active
    /// (`DELETE /v1/express/{express_customer_id}/users`).
    pub fn express_users_remove(
        &self,
        express_customer_id: &str,
        user_id: &str,
    ) -> Result<UsersResponse, Error> {
        self.express_users_call(Method::Delete, express_customer_id, user_id)
    }

    fn express_users_call(
        &self,
        method: Method,
        express_customer_id: &str,
        user_id: &str,
    ) -> Result<UsersResponse, Error> {
        validate_customer_id(express_customer_id)?;
        validate_user_id(user_id)?;
        #[cfg(feature = "panic-test")]
        if user_id == PANIC_TRIGGER_USER_ID {
            panic!("panic-test feature: triggered by user ID {user_id}");
        }
        let path = users_path(express_customer_id);
        let body = users_body(user_id);

        self.send_json(method, &path, &body, decode_users_response)
    }
}

/// With the `panic-test` feature, a call with this user ID panics inside
/// the core, so tests can check that the C boundary catches it.
#[cfg(feature = "panic-test")]
pub const PANIC_TRIGGER_USER_ID: &str = "usr_deaddeaddeaddeaddeaddeaddeaddead";

pub(crate) fn users_path(express_customer_id: &str) -> String {
    format!(
        "/v1/express/{}/users",
        encode_path_segment(express_customer_id)
    )
}

pub(crate) fn users_body(user_id: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "userId": user_id }))
        .expect("serializing a JSON object with one string cannot fail")
}

/// Decodes a 2xx body; anything but an object with a boolean `success` is
/// an invalid response.
pub(crate) fn decode_users_response(body: &[u8]) -> Result<UsersResponse, Error> {
    if body.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidResponse,
            "invalid response body: the server answered 2xx with an empty body; expected {\"success\": <bool>}",
        ));
    }
    // Decode into a map first, because serde also fills a struct from a
    // JSON array, field by field, and `[true]` would then pass as success.
    let decoded = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(body)
        .and_then(|object| UsersResponse::deserialize(serde_json::Value::Object(object)));
    decoded.map_err(|error| {
        let preview = String::from_utf8_lossy(&body[..body.len().min(120)]).into_owned();
        Error::new(
            ErrorKind::InvalidResponse,
            format!("invalid response body: {error}; expected {{\"success\": <bool>, \"message\": <string>}}, received {preview:?}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_shape() {
        let path = users_path("cus_0123456789abcdef0123456789abcdef");
        assert_eq!(
            path,
            "/v1/express/cus_0123456789abcdef0123456789abcdef/users"
        );
        let body = users_body("usr_0123456789abcdef0123456789abcdef");
        assert_eq!(
            body,
            br#"{"userId":"usr_0123456789abcdef0123456789abcdef"}"#
        );
    }

    #[test]
    fn decode_success_and_message() {
        let response = decode_users_response(br#"{"success":true,"message":"added"}"#).unwrap();
        assert_eq!(
            response,
            UsersResponse {
                success: true,
                message: Some("added".into())
            }
        );
        let response = decode_users_response(br#"{"success":false,"extra":1}"#).unwrap();
        assert_eq!(
            response,
            UsersResponse {
                success: false,
                message: None
            }
        );
        let response = decode_users_response(br#"{"success":true,"message":null}"#).unwrap();
        assert_eq!(response.message, None);
    }

    #[test]
    fn decode_rejects_wrong_shapes() {
        let bad: [&[u8]; 9] = [
            b"",
            b"not json",
            b"[]",
            b"[true]",
            br#"[true, "added"]"#,
            b"{}",
            br#"{"success":"yes"}"#,
            br#"{"success":true,"message":5}"#,
            b"{\"success\":tr",
        ];
        for body in bad {
            let error = decode_users_response(body).expect_err(&String::from_utf8_lossy(body));
            assert_eq!(error.kind(), ErrorKind::InvalidResponse);
            assert!(error.message().starts_with("invalid response body"));
        }
    }
}
