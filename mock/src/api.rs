//! Normal behaviour of the Express Users API: routing, authentication,
//! validation and the membership directory.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::sync::Mutex;

use crate::config::{format_id, parse_id, Config, IdFormat, IdKind};
use crate::request::Request;
use crate::response::{error_code, write_error_body, write_success_body};
use crate::script::lock;

const ROUTE_PREFIX: &str = "/v1/express/";
const ROUTE_SUFFIX: &str = "/users";

/// Status and handler-specific headers of a response whose JSON body has
/// already been written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub status: u16,
    pub extra: &'static [(&'static str, &'static str)],
}

impl Outcome {
    pub const fn new(status: u16) -> Self {
        Outcome { status, extra: &[] }
    }
}

/// Writes an error body for `status` and returns its outcome.
pub(crate) fn error(body: &mut Vec<u8>, status: u16, message: impl fmt::Display) -> Outcome {
    write_error_body(body, error_code(status), message);
    Outcome::new(status)
}

/// Accepted API keys.
#[derive(Debug)]
pub(crate) struct Keys {
    read_write: HashSet<String>,
    read_only: HashSet<String>,
}

impl Keys {
    pub fn from_config(config: &Config) -> Self {
        Keys {
            read_write: config.api_keys.iter().cloned().collect(),
            read_only: config.read_only_keys.iter().cloned().collect(),
        }
    }
}

/// Customers, users and memberships, keyed by the numeric value of each ID.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Directory {
    users: HashSet<u128>,
    members: HashMap<u128, BTreeSet<u128>>,
}

impl Directory {
    /// Builds the seeded directory. `config` must have passed validation.
    pub fn from_config(config: &Config) -> Self {
        let customer = |id: &String| parse_id(IdKind::Customer, id.as_bytes()).ok();
        let user = |id: &String| parse_id(IdKind::User, id.as_bytes()).ok();

        let mut directory = Directory::default();
        for id in config.customers.iter().filter_map(customer) {
            directory.members.entry(id).or_default();
        }
        directory.users.extend(config.users.iter().filter_map(user));
        for (customer_id, user_id) in &config.members {
            if let (Some(customer_id), Some(user_id)) = (customer(customer_id), user(user_id)) {
                directory.users.insert(user_id);
                directory
                    .members
                    .entry(customer_id)
                    .or_default()
                    .insert(user_id);
            }
        }
        directory
    }

    /// Returns the canonical member IDs of `customer`, or an empty list when
    /// the ID is invalid or unknown.
    pub fn members_of(&self, customer: &str) -> Vec<String> {
        let Ok(customer) = parse_id(IdKind::Customer, customer.as_bytes()) else {
            return Vec::new();
        };
        self.members
            .get(&customer)
            .map(|members| {
                members
                    .iter()
                    .map(|&user| format_id(IdKind::User, user))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Returns every customer with its members, in canonical form.
    pub fn customers_snapshot(&self) -> BTreeMap<String, Vec<String>> {
        self.members
            .iter()
            .map(|(&customer, members)| {
                let members = members
                    .iter()
                    .map(|&user| format_id(IdKind::User, user))
                    .collect();
                (format_id(IdKind::Customer, customer), members)
            })
            .collect()
    }

    /// Returns every user ID, sorted, in canonical form.
    pub fn users_snapshot(&self) -> Vec<String> {
        let mut users: Vec<String> = self
            .users
            .iter()
            .map(|&user| format_id(IdKind::User, user))
            .collect();
        users.sort();
        users
    }
}

/// The two operations of the Express Users API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    Add,
    Remove,
}

/// Runs the Express Users API on `request`, writing the JSON body to `body`.
pub(crate) fn handle(
    request: &Request,
    keys: &Keys,
    directory: &Mutex<Directory>,
    body: &mut Vec<u8>,
) -> Outcome {
    let path = request.path();
    let Some(segment) = route_segment(path) else {
        return error(
            body,
            404,
            format_args!("No route for {} {}", request.method(), path),
        );
    };
    let operation = match request.method() {
        "POST" => Operation::Add,
        "DELETE" => Operation::Remove,
        method => {
            write_error_body(
                body,
                error_code(405),
                format_args!(
                    "Method {method} is not allowed on {path}; use POST to add or DELETE to remove"
                ),
            );
            return Outcome {
                status: 405,
                extra: &[("Allow", "POST, DELETE")],
            };
        }
    };

    match authorize(request, keys) {
        Access::ReadWrite => {}
        Access::ReadOnly => {
            return error(
                body,
                403,
                "API key is read-only and cannot add or remove Express users",
            )
        }
        Access::Denied => {
            write_error_body(
                body,
                error_code(401),
                "Missing or invalid API key. Send the header 'Authorization: Bearer <api key>'.",
            );
            return Outcome {
                status: 401,
                extra: &[("WWW-Authenticate", "Bearer")],
            };
        }
    }

    let Some(customer_bytes) = percent_decode(segment) else {
        return error(
            body,
            400,
            format_args!("Invalid expressCustomerId {segment:?}: the path segment has an invalid percent-escape"),
        );
    };
    let Ok(customer) = parse_id(IdKind::Customer, &customer_bytes) else {
        return error(
            body,
            400,
            format_args!(
                "Invalid expressCustomerId {}: expected {}",
                Quoted(&customer_bytes),
                IdFormat(IdKind::Customer)
            ),
        );
    };
    // parse_id accepted only ASCII, so the ID can be shown as text.
    let customer_text = std::str::from_utf8(&customer_bytes).unwrap_or_default();

    if let Err(outcome) = check_content_type(request, body) {
        return outcome;
    }
    let user_text = match read_user_id(&request.body) {
        Ok(user_text) => user_text,
        Err(message) => return error(body, 400, message),
    };
    let Ok(user) = parse_id(IdKind::User, user_text.as_bytes()) else {
        return error(
            body,
            422,
            format_args!(
                "Invalid userId {}: expected {}",
                Quoted(user_text.as_bytes()),
                IdFormat(IdKind::User)
            ),
        );
    };

    let mut directory = lock(directory);
    let user_known = directory.users.contains(&user);
    let Some(members) = directory.members.get_mut(&customer) else {
        return error(
            body,
            404,
            format_args!("Express customer {customer_text} not found"),
        );
    };
    if !user_known {
        return error(body, 404, format_args!("User {user_text} not found"));
    }

    match operation {
        Operation::Add => {
            if !members.insert(user) {
                return error(
                    body,
                    409,
                    format_args!(
                        "User {user_text} is already a member of Express customer {customer_text}"
                    ),
                );
            }
            write_success_body(
                body,
                format_args!("User {user_text} added to customer {customer_text}"),
            );
        }
        Operation::Remove => {
            if !members.remove(&user) {
                return error(
                    body,
                    404,
                    format_args!(
                        "User {user_text} is not a member of Express customer {customer_text}"
                    ),
                );
            }
            write_success_body(
                body,
                format_args!("User {user_text} removed from customer {customer_text}"),
            );
        }
    }
    Outcome::new(200)
}

/// Returns the `{expressCustomerId}` segment of `/v1/express/{id}/users`, or
/// None for any other path.
fn route_segment(path: &str) -> Option<&str> {
    let segment = path
        .strip_prefix(ROUTE_PREFIX)?
        .strip_suffix(ROUTE_SUFFIX)?;
    if segment.is_empty() || segment.contains('/') {
        return None;
    }
    Some(segment)
}

/// Decodes `%XX` escapes in one path segment. Returns None for a `%` not
/// followed by two hex digits.
fn percent_decode(segment: &str) -> Option<Cow<'_, [u8]>> {
    let bytes = segment.as_bytes();
    if !bytes.contains(&b'%') {
        return Some(Cow::Borrowed(bytes));
    }
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = bytes.get(index + 1..index + 3)?;
            let high = (hex[0] as char).to_digit(16)?;
            let low = (hex[1] as char).to_digit(16)?;
            decoded.push((high * 16 + low) as u8);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    Some(Cow::Owned(decoded))
}

enum Access {
    ReadWrite,
    ReadOnly,
    Denied,
}

/// Checks `Authorization: Bearer <key>`; the scheme name is compared
/// without regard to case, as RFC 9110 section 11.1 requires.
fn authorize(request: &Request, keys: &Keys) -> Access {
    let Some(value) = request.header("authorization") else {
        return Access::Denied;
    };
    let Ok(value) = std::str::from_utf8(value) else {
        return Access::Denied;
    };
    let Some((scheme, token)) = value.split_once(' ') else {
        return Access::Denied;
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Access::Denied;
    }
    let token = token.trim_start_matches(' ');
    if keys.read_write.contains(token) {
        Access::ReadWrite
    } else if keys.read_only.contains(token) {
        Access::ReadOnly
    } else {
        Access::Denied
    }
}

/// Accepts `application/json` and `application/<anything>+json`, with or
/// without parameters such as `charset`.
fn check_content_type(request: &Request, body: &mut Vec<u8>) -> Result<(), Outcome> {
    let Some(value) = request.header("content-type") else {
        return Err(error(
            body,
            415,
            "Missing Content-Type header: send 'Content-Type: application/json'",
        ));
    };
    let media_type = value.split(|&b| b == b';').next().unwrap_or_default();
    let media_type = media_type.trim_ascii();
    let is_json = media_type.eq_ignore_ascii_case(b"application/json")
        || (media_type.len() > "application/".len() + "+json".len()
            && media_type[.."application/".len()].eq_ignore_ascii_case(b"application/")
            && media_type[media_type.len() - "+json".len()..].eq_ignore_ascii_case(b"+json"));
    if is_json {
        Ok(())
    } else {
        Err(error(
            body,
            415,
            format_args!(
                "Unsupported Content-Type {}: send 'application/json'",
                Quoted(value)
            ),
        ))
    }
}

/// Extracts `userId` from a JSON object body. Errors are messages for 400.
fn read_user_id(body: &[u8]) -> Result<String, String> {
    const EXAMPLE: &str = r#"{"userId": "usr_<32 hex digits>"}"#;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(format!(
            "Request body is empty: send a JSON object such as {EXAMPLE}"
        ));
    }
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|error| format!("Request body is not valid JSON: {error}"))?;
    let serde_json::Value::Object(mut object) = value else {
        return Err(format!(
            "Request body must be a JSON object such as {EXAMPLE}"
        ));
    };
    match object.remove("userId") {
        None => Err(format!(
            "Missing required field userId: send a JSON object such as {EXAMPLE}"
        )),
        Some(serde_json::Value::String(user)) => Ok(user),
        Some(_) => Err("Field userId must be a string".to_owned()),
    }
}

/// Displays bytes as a quoted, escaped string, cut to 100 characters so a
/// huge value does not flood the message.
struct Quoted<'a>(&'a [u8]);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MAX_CHARS: usize = 100;
        let text = String::from_utf8_lossy(self.0);
        if text.chars().count() <= MAX_CHARS {
            write!(f, "{text:?}")
        } else {
            let truncated: String = text.chars().take(MAX_CHARS).collect();
            write!(f, "{truncated:?}...")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_segment_matches_only_users_path() {
        assert_eq!(route_segment("/v1/express/cus_1/users"), Some("cus_1"));
        assert_eq!(route_segment("/v1/express//users"), None);
        assert_eq!(route_segment("/v1/express/a/b/users"), None);
        assert_eq!(route_segment("/v1/express/cus_1/users/"), None);
        assert_eq!(route_segment("/v1/express/cus_1"), None);
    }

    #[test]
    fn percent_decode_handles_escapes() {
        assert_eq!(percent_decode("cus_%41b").as_deref(), Some(&b"cus_Ab"[..]));
        assert_eq!(percent_decode("plain").as_deref(), Some(&b"plain"[..]));
        assert_eq!(percent_decode("bad%4"), None);
        assert_eq!(percent_decode("bad%zz"), None);
    }

    #[test]
    fn read_user_id_errors() {
        assert!(read_user_id(b"").unwrap_err().contains("empty"));
        assert!(read_user_id(b"{").unwrap_err().contains("not valid JSON"));
        assert!(read_user_id(b"[1]").unwrap_err().contains("JSON object"));
        assert!(read_user_id(b"{}")
            .unwrap_err()
            .contains("Missing required field userId"));
        assert!(read_user_id(br#"{"userId": 5}"#)
            .unwrap_err()
            .contains("must be a string"));
        assert_eq!(
            read_user_id(br#"{"userId": "x", "extra": 1}"#),
            Ok("x".to_owned())
        );
    }

    #[test]
    fn quoted_truncates_long_values() {
        let long = "a".repeat(300);
        let shown = Quoted(long.as_bytes()).to_string();
        assert_eq!(shown.len(), 100 + 2 + 3);
    }
}
