//! The Express Users resource: add a user to an Express customer and
//! remove them again.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use crate::client::Client;
use crate::error::{Error, ErrorKind};
use crate::ids::{encode_path_segment, validate_customer_id, validate_user_id};
use crate::transport::Method;

/// The response to an add or remove call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsersResponse {
    /// Whether the server reports the change as made.
    pub success: bool,
    /// The server's optional explanation.
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
    let segment = encode_path_segment(express_customer_id);
    let mut path = String::with_capacity(segment.len() + 18);
    path.push_str("/v1/express/");
    path.push_str(&segment);
    path.push_str("/users");
    path
}

/// Returns the JSON body `{"userId":"<user_id>"}`. The ID is written
/// without escaping, so it must be a validated user ID, which contains only
/// `usr_` and hex digits.
pub(crate) fn users_body(user_id: &str) -> Vec<u8> {
    debug_assert!(validate_user_id(user_id).is_ok(), "{user_id:?}");
    let mut body = Vec::with_capacity(user_id.len() + 14);
    body.extend_from_slice(br#"{"userId":""#);
    body.extend_from_slice(user_id.as_bytes());
    body.extend_from_slice(br#""}"#);
    body
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
    let decoded = serde_json::from_slice::<UsersResponseFields>(body)
        .and_then(UsersResponseFields::into_response);
    decoded.map_err(|error| {
        let preview = String::from_utf8_lossy(&body[..body.len().min(120)]).into_owned();
        Error::new(
            ErrorKind::InvalidResponse,
            format!("invalid response body: {error}; expected {{\"success\": <bool>, \"message\": <string>}}, received {preview:?}"),
        )
    })
}

/// The `success` and `message` values of a JSON object, not yet checked
/// for type.
///
/// A derived `Deserialize` would also fill the struct from a JSON array,
/// field by field, so `[true]` would pass as success. This one accepts only
/// an object. It keeps the last value of a repeated key and checks every
/// value as JSON, as decoding into a `serde_json::Map` would, but it
/// keeps no other fields.
#[derive(Default)]
struct UsersResponseFields {
    success: Option<Value>,
    message: Option<Value>,
}

impl UsersResponseFields {
    /// Converts the fields, with the error messages serde gives a derived
    /// struct: `missing field`, `invalid type`. As from a map, whose keys
    /// are sorted, `message` is checked before `success`.
    fn into_response(self) -> Result<UsersResponse, serde_json::Error> {
        let message = match self.message {
            Some(value) => Option::<String>::deserialize(value)?,
            None => None,
        };
        let success = match self.success {
            Some(value) => bool::deserialize(value)?,
            None => return Err(de::Error::missing_field("success")),
        };
        Ok(UsersResponse { success, message })
    }
}

impl<'de> Deserialize<'de> for UsersResponseFields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(FieldsVisitor)
    }
}

struct FieldsVisitor;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = UsersResponseFields;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = UsersResponseFields::default();
        while let Some(key) = map.next_key::<FieldName>()? {
            let value = map.next_value::<Value>()?;
            match key {
                FieldName::Success => fields.success = Some(value),
                FieldName::Message => fields.message = Some(value),
                FieldName::Other => {}
            }
        }
        Ok(fields)
    }
}

/// An object key, matched without copying it.
enum FieldName {
    Success,
    Message,
    Other,
}

impl<'de> Deserialize<'de> for FieldName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_identifier(FieldNameVisitor)
    }
}

struct FieldNameVisitor;

impl Visitor<'_> for FieldNameVisitor {
    type Value = FieldName;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<FieldName, E> {
        Ok(match name {
            "success" => FieldName::Success,
            "message" => FieldName::Message,
            _ => FieldName::Other,
        })
    }
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
