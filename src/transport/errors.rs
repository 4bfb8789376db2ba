//! Messages for the errors of one HTTP attempt: what failed, on which host,
//! and what to do next.

use crate::config::Settings;
use crate::error::{Error, ErrorKind};

pub(super) fn map_ureq_error(error: ureq::Error, settings: &Settings) -> Error {
    use ureq::Error as E;
    let host = host_of(&settings.base_url);
    match error {
        E::Timeout(ureq::Timeout::Connect) => Error::new(
            ErrorKind::Timeout,
            format!(
                "connecting to {host} timed out after {} ms (connect timeout); check the host and port, or raise connect_timeout_ms",
                settings.connect_timeout.as_millis()
            ),
        ),
        E::Timeout(_) => Error::new(
            ErrorKind::Timeout,
            format!(
                "request to {host} timed out after {} ms; raise timeout_ms if the server is slow",
                settings.timeout.as_millis()
            ),
        ),
        E::BodyExceedsLimit(limit) => Error::new(
            ErrorKind::InvalidResponse,
            format!("response body from {host} exceeds the limit of {limit} bytes"),
        ),
        E::HostNotFound => Error::new(
            ErrorKind::Connection,
            format!("connection to {host} failed: host not found; check the base URL"),
        ),
        E::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => Error::new(
            ErrorKind::Timeout,
            format!("request to {host} timed out: {io}"),
        ),
        E::Io(io) => {
            let text = io.to_string();
            Error::new(
                ErrorKind::Connection,
                format!("connection to {host} failed: {text}{}", tls_hint(&text)),
            )
        }
        E::Tls(reason) => Error::new(
            ErrorKind::Connection,
            format!("TLS connection to {host} failed: {reason}{}", tls_hint(reason)),
        ),
        E::BadUri(reason) => Error::invalid_argument("base_url", reason),
        E::Http(error) => Error::invalid_argument("request", error),
        other => Error::new(
            ErrorKind::Connection,
            format!("connection to {host} failed: {other}"),
        ),
    }
}

/// Suggests the fix for the TLS failures users most often meet; rustls
/// names them in its error text.
fn tls_hint(text: &str) -> &'static str {
    if text.contains("UnknownIssuer") || text.contains("CaUsedAsEndEntity") {
        "; the server's certificate is not signed by a trusted CA: if it uses a private or self-signed CA, pass that CA's certificate with the ca_bundle_file option"
    } else if text.contains("NotValidForName") || text.contains("not valid for name") {
        "; the certificate does not name the host of the base URL: use the host name the certificate was issued for"
    } else if text.contains("Expired") {
        "; the server's certificate has expired or is not yet valid: check the server, and this machine's clock"
    } else if text.contains("InvalidContentType") || text.contains("CorruptMessage") {
        "; the server did not answer with TLS: check that the base URL's scheme (https) and port match the server"
    } else {
        ""
    }
}

/// The `host[:port]` part of a URL, for messages.
pub(super) fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_parts() {
        assert_eq!(
            host_of("https://api.example:8443/prefix"),
            "api.example:8443"
        );
    }
}
