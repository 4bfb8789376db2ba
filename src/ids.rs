//! Validation of Avara identifiers, done before any network traffic.

use crate::error::Error;

/// Number of hex digits after the prefix in every Avara identifier.
const ID_HEX_DIGITS: usize = 32;

/// Longest input echoed back in an error message; longer values are cut so a
/// 1 MiB argument does not produce a 1 MiB message.
const MAX_ECHOED_CHARS: usize = 80;

/// Checks that `id` is an Express customer ID: `cus_` and 32 hex digits.
pub fn validate_customer_id(id: &str) -> Result<(), Error> {
    validate_prefixed_hex("express_customer_id", "cus_", id)
}

/// Checks that `id` is a user ID: `usr_` and 32 hex digits.
pub fn validate_user_id(id: &str) -> Result<(), Error> {
    validate_prefixed_hex("user_id", "usr_", id)
}

fn validate_prefixed_hex(name: &str, prefix: &str, id: &str) -> Result<(), Error> {
    let well_formed = id.len() == prefix.len() + ID_HEX_DIGITS
        && id.starts_with(prefix)
        && id[prefix.len()..].bytes().all(|b| b.is_ascii_hexdigit());
    if well_formed {
        return Ok(());
    }
    let reason = if id.is_empty() {
        format!("the value is empty; expected {prefix} followed by {ID_HEX_DIGITS} hex digits")
    } else {
        format!(
            "{} is not {prefix} followed by {ID_HEX_DIGITS} hex digits (for example {prefix}{})",
            quote_for_message(id),
            "0123456789abcdef".repeat(2)
        )
    };
    Err(Error::invalid_argument(name, reason))
}

/// Quotes a caller-supplied value for an error message, escaping control
/// characters and cutting long values.
pub(crate) fn quote_for_message(value: &str) -> String {
    let mut quoted: String = value.chars().take(MAX_ECHOED_CHARS).collect();
    quoted = format!("{quoted:?}");
    let total = value.chars().count();
    if total > MAX_ECHOED_CHARS {
        quoted.push_str(&format!(" (cut, {} bytes in all)", value.len()));
    }
    quoted
}

/// Percent-encodes `segment` so it forms exactly one URL path segment: every
/// byte outside RFC 3986's unreserved set is encoded.
pub(crate) fn encode_path_segment(segment: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut encoded = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(byte as char);
        } else {
            encoded.push('%');
            encoded.push(HEX[usize::from(byte >> 4)] as char);
            encoded.push(HEX[usize::from(byte & 0xf)] as char);
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    const CUSTOMER: &str = "cus_0123456789abcdef0123456789ABCDEF";
    const USER: &str = "usr_0123456789abcdef0123456789abcdef";

    #[test]
    fn valid_ids_pass() {
        assert!(validate_customer_id(CUSTOMER).is_ok());
        assert!(validate_user_id(USER).is_ok());
    }

    #[test]
    fn malformed_ids_rejected() {
        let bad = [
            "",
            "cus_",
            "usr_0123456789abcdef0123456789abcdef",
            "cus_0123456789abcdef0123456789abcde",
            "cus_0123456789abcdef0123456789abcdef0",
            "cus_0123456789abcdef0123456789abcdeg",
            " cus_0123456789abcdef0123456789abcdef",
            "cus_0123456789abcdef0123456789abcde ",
            "cus_0123456789abcdef0123456789abc%20",
            "cus_0123456789abcdef0123456789abc/de",
            "cus_0123456789abcdef0123456789abc..d",
            "CUS_0123456789abcdef0123456789abcdef",
            "cus_0123456789abcdef0123456789abcdéf",
        ];
        for id in bad {
            let error = validate_customer_id(id).expect_err(id);
            assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{id:?}");
            assert!(error.message().contains("express_customer_id"), "{id:?}");
            assert!(error.message().contains("cus_"), "{id:?}");
        }
    }

    #[test]
    fn user_error_names_parameter() {
        let error = validate_user_id("cus_0123456789abcdef0123456789abcdef").unwrap_err();
        assert!(error.message().starts_with("invalid user_id:"));
        assert!(error.message().contains("usr_ followed by 32 hex digits"));
    }

    #[test]
    fn long_value_cut_in_message() {
        let huge = "x".repeat(1 << 20);
        let error = validate_user_id(&huge).unwrap_err();
        assert!(error.message().len() < 400, "{}", error.message().len());
        assert!(error.message().contains("1048576 bytes"));
    }

    #[test]
    fn path_segment_encoding() {
        assert_eq!(encode_path_segment(CUSTOMER), CUSTOMER);
        assert_eq!(encode_path_segment("a/b c%"), "a%2Fb%20c%25");
        assert_eq!(encode_path_segment(".."), "..");
        assert_eq!(encode_path_segment("é"), "%C3%A9");
    }
}
