//! Property tests for the checks that run before any traffic and for the
//! wire format: ID validation, base URL normalisation, the users path and
//! the decoding of response bodies.
//!
//! Each property compares the code with a small independent oracle written
//! here, over inputs proptest generates and shrinks on failure.

use proptest::prelude::*;
use serde::Deserialize;
use ureq::http::Uri;

use crate::client::server_message;
use crate::config::{normalize_base_url, MAX_SERVER_MESSAGE_BYTES};
use crate::error::ErrorKind;
use crate::express::{decode_users_response, users_path, UsersResponse};
use crate::ids::{encode_path_segment, validate_customer_id, validate_user_id};

/// Returns true when `id` is `prefix` followed by exactly 32 hex digits.
/// This is the oracle for ID validation.
fn is_well_formed_id(prefix: &str, id: &str) -> bool {
    id.len() == prefix.len() + 32
        && id.starts_with(prefix)
        && id[prefix.len()..].bytes().all(|b| b.is_ascii_hexdigit())
}

fn hex_digits(count: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(
        proptest::sample::select(b"0123456789abcdefABCDEF".to_vec()),
        count,
    )
    .prop_map(|bytes| String::from_utf8(bytes).expect("hex digits are ASCII"))
}

/// Any character except an ASCII hex digit, multi-byte ones included.
fn non_hex_char() -> impl Strategy<Value = char> {
    any::<char>().prop_filter("not a hex digit", |c| !c.is_ascii_hexdigit())
}

/// Decodes `%XX` escapes, or returns `None` on a malformed escape.
fn percent_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    Some(decoded)
}

/// The parts of a base URL that normalisation must accept.
#[derive(Debug, Clone)]
struct BaseUrlParts {
    scheme: String,
    host: String,
    port: Option<u16>,
    path: Vec<String>,
    trailing_slashes: usize,
}

impl BaseUrlParts {
    fn authority(&self) -> String {
        match self.port {
            Some(port) => format!("{}:{port}", self.host),
            None => self.host.clone(),
        }
    }

    /// The URL without its trailing slashes: what normalisation returns.
    fn normalized(&self) -> String {
        let mut url = format!("{}://{}", self.scheme, self.authority());
        for segment in &self.path {
            url.push('/');
            url.push_str(segment);
        }
        url
    }

    fn with_trailing_slashes(&self) -> String {
        format!("{}{}", self.normalized(), "/".repeat(self.trailing_slashes))
    }
}

fn base_url_parts() -> impl Strategy<Value = BaseUrlParts> {
    let scheme = proptest::sample::select(vec!["http", "https", "HTTP", "Https"]);
    let dns_host = "[a-z][a-z0-9-]{0,15}(\\.[a-z]{2,6}){0,2}";
    let ipv4_host = (any::<u8>(), any::<u8>(), any::<u8>(), any::<u8>())
        .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}"));
    let host = prop_oneof![dns_host.prop_map(String::from), ipv4_host];
    let port = proptest::option::of(1..=u16::MAX);
    let path = proptest::collection::vec("[A-Za-z0-9._~-]{1,10}", 0..4);
    (scheme, host, port, path, 0..4usize).prop_map(
        |(scheme, host, port, path, trailing_slashes)| BaseUrlParts {
            scheme: scheme.to_owned(),
            host,
            port,
            path,
            trailing_slashes,
        },
    )
}

/// A JSON response body built from parts, with the field order and any
/// extra fields chosen by the generator.
fn users_response_body(
    success: bool,
    message: Option<&str>,
    extra: &[(String, i64)],
) -> serde_json::Value {
    let mut object = serde_json::Map::new();
    for (name, value) in extra {
        object.insert(format!("x_{name}"), serde_json::Value::from(*value));
    }
    object.insert("success".into(), serde_json::Value::Bool(success));
    if let Some(text) = message {
        object.insert("message".into(), serde_json::Value::from(text));
    }
    serde_json::Value::Object(object)
}

/// Returns true when `body` is a JSON object whose `success` is a boolean
/// and whose `message`, when present, is a string or null. This is the
/// oracle for response decoding.
fn is_valid_users_response(body: &[u8]) -> bool {
    let Ok(serde_json::Value::Object(object)) = serde_json::from_slice(body) else {
        return false;
    };
    let success_ok = matches!(object.get("success"), Some(serde_json::Value::Bool(_)));
    let message_ok = matches!(
        object.get("message"),
        None | Some(serde_json::Value::Null | serde_json::Value::String(_))
    );
    success_ok && message_ok
}

/// Decodes a body and returns the response or the error message as text.
fn decoded_as_text(body: &[u8]) -> Result<String, String> {
    decode_users_response(body)
        .map(|response| format!("{response:?}"))
        .map_err(|error| error.message().to_owned())
}

/// Decodes a body as libavara 0.1.0 did: into a `serde_json::Map` first,
/// then into the fields. This is the oracle for the decoder that skips the
/// map, down to the error messages.
fn map_decoded_as_text(body: &[u8]) -> Result<String, String> {
    #[derive(serde::Deserialize)]
    struct Fields {
        success: bool,
        #[serde(default)]
        message: Option<String>,
    }
    if body.is_empty() {
        return decoded_as_text(body);
    }
    serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(body)
        .and_then(|object| Fields::deserialize(serde_json::Value::Object(object)))
        .map(|fields| {
            format!(
                "{:?}",
                UsersResponse {
                    success: fields.success,
                    message: fields.message
                }
            )
        })
        .map_err(|error| {
            let preview = String::from_utf8_lossy(&body[..body.len().min(120)]).into_owned();
            format!("invalid response body: {error}; expected {{\"success\": <bool>, \"message\": <string>}}, received {preview:?}")
        })
}

/// Any JSON value, nested up to a few levels.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(serde_json::Value::from),
        ".{0,12}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("success".to_owned()),
                    Just("message".to_owned()),
                    "[a-z]{1,6}"
                ],
                inner,
                0..4
            )
            .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn well_formed_ids_accepted(hex in hex_digits(32)) {
        let customer = format!("cus_{hex}");
        let user = format!("usr_{hex}");
        prop_assert!(validate_customer_id(&customer).is_ok());
        prop_assert!(validate_user_id(&user).is_ok());
        // Each prefix belongs to one kind of ID only.
        prop_assert!(validate_customer_id(&user).is_err());
        prop_assert!(validate_user_id(&customer).is_err());
    }

    #[test]
    fn wrong_length_ids_rejected(length in (0..80usize).prop_filter("not 32", |n| *n != 32), seed in hex_digits(80)) {
        let customer = format!("cus_{}", &seed[..length]);
        let error = validate_customer_id(&customer).unwrap_err();
        prop_assert_eq!(error.kind(), ErrorKind::InvalidArgument);
        prop_assert!(error.message().starts_with("invalid express_customer_id:"), "{}", error.message());
    }

    #[test]
    fn one_bad_character_rejected(hex in hex_digits(32), position in 0..32usize, bad in non_hex_char()) {
        let mut chars: Vec<char> = hex.chars().collect();
        chars[position] = bad;
        let tail: String = chars.into_iter().collect();
        let user = format!("usr_{tail}");
        let error = validate_user_id(&user).unwrap_err();
        prop_assert_eq!(error.kind(), ErrorKind::InvalidArgument);
        prop_assert!(error.message().starts_with("invalid user_id:"), "{}", error.message());
    }

    #[test]
    fn id_validation_matches_rule(id in prop_oneof![".{0,40}", "(cus|usr)_[0-9a-fA-F %/.gG]{30,34}"]) {
        prop_assert_eq!(validate_customer_id(&id).is_ok(), is_well_formed_id("cus_", &id));
        prop_assert_eq!(validate_user_id(&id).is_ok(), is_well_formed_id("usr_", &id));
    }

    #[test]
    fn id_error_message_bounded(id in ".{0,3000}") {
        if let Err(error) = validate_customer_id(&id) {
            // The echoed value is cut at 80 characters, each escaped to at
            // most 10 bytes (\u{10ffff}), plus the fixed text.
            prop_assert!(error.message().len() < 1200, "{} bytes", error.message().len());
        }
    }

    #[test]
    fn path_segment_round_trips(segment in any::<String>()) {
        let encoded = encode_path_segment(&segment);
        let unreserved = |b: u8| b.is_ascii_alphanumeric() || b"-._~%".contains(&b);
        prop_assert!(encoded.bytes().all(unreserved), "{encoded:?}");
        prop_assert_eq!(percent_decode(&encoded), Some(segment.into_bytes()));
    }

    #[test]
    fn users_path_is_one_segment(customer in any::<String>()) {
        let path = users_path(&customer);
        let middle = path
            .strip_prefix("/v1/express/")
            .and_then(|rest| rest.strip_suffix("/users"));
        prop_assert!(middle.is_some(), "{path:?}");
        let middle = middle.unwrap_or_default();
        prop_assert!(!middle.contains(['/', '?', '#']), "{path:?}");
    }

    #[test]
    fn valid_ids_unchanged_in_path(hex in hex_digits(32)) {
        let customer = format!("cus_{hex}");
        prop_assert_eq!(users_path(&customer), format!("/v1/express/{customer}/users"));
    }

    #[test]
    fn base_urls_normalized(parts in base_url_parts(), hex in hex_digits(32)) {
        let input = parts.with_trailing_slashes();
        let normalized = parts.normalized();
        prop_assert_eq!(normalize_base_url("base_url", &input).ok(), Some(normalized.clone()), "{}", input);

        // Normalising twice changes nothing.
        prop_assert_eq!(normalize_base_url("base_url", &normalized).ok(), Some(normalized.clone()));

        // The request URL keeps the host, the port and the path prefix, and
        // adds exactly the users path.
        let customer = format!("cus_{hex}");
        let path = users_path(&customer);
        let url = format!("{normalized}{path}");
        let uri: Uri = url.parse().map_err(|error| TestCaseError::fail(format!("{url}: {error}")))?;
        prop_assert_eq!(uri.host(), Some(parts.host.as_str()));
        prop_assert_eq!(uri.port_u16(), parts.port);
        let prefix: String = parts.path.iter().map(|segment| format!("/{segment}")).collect();
        prop_assert_eq!(uri.path(), format!("{prefix}{path}"));
        prop_assert_eq!(uri.query(), None);
    }

    #[test]
    fn query_or_fragment_rejected(parts in base_url_parts(), marker in prop_oneof![Just('?'), Just('#')], tail in "[a-z=&]{0,10}") {
        let input = format!("{}{marker}{tail}", parts.with_trailing_slashes());
        let error = normalize_base_url("base_url", &input).unwrap_err();
        prop_assert_eq!(error.kind(), ErrorKind::InvalidArgument);
        prop_assert!(error.message().contains("query or fragment"), "{}", error.message());
    }

    #[test]
    fn credentials_rejected_unechoed(parts in base_url_parts(), user in "[a-z]{1,8}", password in "[A-Z]{12}") {
        let url = parts.with_trailing_slashes();
        let (scheme, rest) = url.split_once("://").unwrap_or_default();
        let input = format!("{scheme}://{user}:{password}@{rest}");
        let error = normalize_base_url("base_url", &input).unwrap_err();
        prop_assert!(error.message().contains("credentials"), "{}", error.message());
        prop_assert!(!error.message().contains(&password), "{}", error.message());
    }

    #[test]
    fn other_schemes_rejected(parts in base_url_parts(), scheme in "[a-z][a-z0-9+.-]{0,8}") {
        prop_assume!(!scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https"));
        let input = format!("{scheme}://{}", parts.authority());
        let error = normalize_base_url("base_url", &input).unwrap_err();
        prop_assert!(error.message().contains("only http and https"), "{}", error.message());
    }

    #[test]
    fn accepted_base_urls_are_safe(input in prop_oneof![".{0,60}", "(https?|HTTP)://[ -~]{0,40}"]) {
        if let Ok(url) = normalize_base_url("base_url", &input) {
            let lower = url.to_ascii_lowercase();
            prop_assert!(lower.starts_with("http://") || lower.starts_with("https://"), "{url}");
            prop_assert!(!url.ends_with('/'), "{url}");
            prop_assert!(!url.contains(['?', '#']), "{url}");
            prop_assert!(url.bytes().all(|b| b.is_ascii_graphic()), "{url:?}");
            let authority = url.split_once("://").map(|(_, rest)| rest).unwrap_or_default();
            let authority = authority.split('/').next().unwrap_or_default();
            prop_assert!(!authority.is_empty() && !authority.contains('@'), "{url}");
        }
    }

    #[test]
    fn generated_responses_decode(success in any::<bool>(), message in proptest::option::of(".{0,40}"), extra in proptest::collection::vec(("[a-z]{1,5}", any::<i64>()), 0..4)) {
        let body = users_response_body(success, message.as_deref(), &extra).to_string();
        let response = decode_users_response(body.as_bytes()).map_err(|error| TestCaseError::fail(error.to_string()))?;
        prop_assert_eq!(response.success, success);
        prop_assert_eq!(response.message, message);
    }

    #[test]
    fn json_decoding_matches_rule(value in json_value()) {
        let body = value.to_string();
        let decoded = decode_users_response(body.as_bytes());
        prop_assert_eq!(decoded.is_ok(), is_valid_users_response(body.as_bytes()), "{}", body);
        if let Err(error) = decoded {
            prop_assert_eq!(error.kind(), ErrorKind::InvalidResponse);
        }
    }

    #[test]
    fn decoding_matches_map_decoding(value in json_value(), duplicate in proptest::option::of(json_value())) {
        let mut body = value.to_string();
        // A repeated key, which a map keeps the last value of.
        if let (Some(extra), Some(inner)) = (duplicate, body.strip_suffix('}')) {
            if inner.starts_with('{') {
                let separator = if inner.len() > 1 { "," } else { "" };
                body = format!("{inner}{separator}\"success\":{extra}}}");
            }
        }
        prop_assert_eq!(decoded_as_text(body.as_bytes()), map_decoded_as_text(body.as_bytes()), "{}", body);
    }

    #[test]
    fn arbitrary_bodies_decoded_as_map(body in proptest::collection::vec(any::<u8>(), 0..200)) {
        prop_assert_eq!(decoded_as_text(&body), map_decoded_as_text(&body));
    }

    #[test]
    fn arbitrary_bodies_decoded_by_rule(body in proptest::collection::vec(any::<u8>(), 0..200)) {
        let decoded = decode_users_response(&body);
        prop_assert_eq!(decoded.is_ok(), is_valid_users_response(&body));
        if let Err(error) = decoded {
            prop_assert_eq!(error.kind(), ErrorKind::InvalidResponse);
            // The message quotes at most 120 bytes of the body.
            prop_assert!(error.message().len() < 1200, "{} bytes", error.message().len());
        }
    }

    #[test]
    fn server_message_bounded(body in proptest::collection::vec(any::<u8>(), 0..3000)) {
        let message = server_message(&body);
        prop_assert_eq!(message.is_none(), body.is_empty());
        if let Some(text) = message {
            // Cut at 1024 bytes on a character boundary, plus "...".
            prop_assert!(text.len() <= MAX_SERVER_MESSAGE_BYTES + 3, "{} bytes", text.len());
        }
    }

    #[test]
    fn server_message_prefers_json_message(text in ".{1,1500}") {
        let body = serde_json::json!({ "message": text, "error": "fallback" }).to_string();
        let message = server_message(body.as_bytes()).unwrap_or_default();
        if text.len() <= MAX_SERVER_MESSAGE_BYTES {
            prop_assert_eq!(message, text);
        } else {
            let cut_text = message.strip_suffix("...").unwrap_or_default();
            prop_assert!(text.starts_with(cut_text), "{cut_text:?}");
            // A cut backs off at most 3 bytes to reach a character boundary.
            prop_assert!(cut_text.len() > MAX_SERVER_MESSAGE_BYTES - 4, "{} bytes", cut_text.len());
            prop_assert!(cut_text.len() <= MAX_SERVER_MESSAGE_BYTES, "{} bytes", cut_text.len());
        }
    }
}
