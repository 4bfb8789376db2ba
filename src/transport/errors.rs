//! Messages for the errors of one HTTP attempt: what failed, on which host,
//! and what to do next.

use crate::config::Settings;
use crate::error::{Error, ErrorKind};

/// Turns a ureq error into the library's error, with a message that names
/// the base URL's host and, when one is used, the proxy (`proxy_host`).
pub(super) fn map_ureq_error(
    error: ureq::Error,
    settings: &Settings,
    proxy_host: Option<&str>,
) -> Error {
    use ureq::Error as E;
    let host = host_of(&settings.base_url);
    let target = match proxy_host {
        Some(proxy) => format!("{host} through the proxy {proxy}"),
        None => host.to_owned(),
    };
    let check = if proxy_host.is_some() {
        "check the base URL and the proxy"
    } else {
        "check the base URL"
    };
    match error {
        E::Timeout(ureq::Timeout::Connect) => Error::new(
            ErrorKind::Timeout,
            format!(
                "connecting to {target} timed out after {} ms (connect timeout); {check}, or raise connect_timeout_ms",
                settings.connect_timeout.as_millis()
            ),
        ),
        E::Timeout(_) => Error::new(
            ErrorKind::Timeout,
            format!(
                "request to {target} timed out after {} ms; raise timeout_ms if the server is slow",
                settings.timeout.as_millis()
            ),
        ),
        E::BodyExceedsLimit(limit) => Error::new(
            ErrorKind::InvalidResponse,
            format!("response body from {host} exceeds the limit of {limit} bytes"),
        ),
        E::HostNotFound => Error::new(
            ErrorKind::Connection,
            format!("connection to {target} failed: host not found; {check}"),
        ),
        E::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => Error::new(
            ErrorKind::Timeout,
            format!("request to {target} timed out: {io}"),
        ),
        E::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => Error::new(
            ErrorKind::Connection,
            format!(
                "connection to {target} closed before the response was complete ({io})"
            ),
        ),
        E::Io(io) => {
            let text = io.to_string();
            Error::new(
                ErrorKind::Connection,
                format!(
                    "connection to {target} failed: {text}{}",
                    tls_hint(&text, proxy_host.is_some())
                ),
            )
        }
        E::Tls(reason) => Error::new(
            ErrorKind::Connection,
            format!(
                "TLS connection to {target} failed: {reason}{}",
                tls_hint(reason, proxy_host.is_some())
            ),
        ),
        // Not valid HTTP/1.1, which a server that speaks another protocol
        // on the port, or a broken one, sends. Retried like the official
        // SDKs retry their connection errors.
        E::Protocol(error) => Error::new(
            ErrorKind::Connection,
            format!(
                "the response from {target} is not valid HTTP/1.1 ({error}); check that the base URL points at the Avara API"
            ),
        ),
        E::ConnectProxyFailed(reason) => Error::new(
            ErrorKind::Connection,
            format!(
                "the proxy {} did not open a tunnel to {host}: {reason}; check the proxy URL and its credentials",
                proxy_host.unwrap_or("in use")
            ),
        ),
        E::BadUri(reason) => Error::invalid_argument("base_url", reason),
        E::Http(error) => Error::invalid_argument("request", error),
        other => Error::new(
            ErrorKind::Connection,
            format!("connection to {target} failed: {other}"),
        ),
    }
}

/// Suggests the fix for the TLS failures users most often meet; rustls
/// names them in its error text. With a proxy, a server that does not
/// speak TLS may be the proxy.
fn tls_hint(text: &str, through_proxy: bool) -> &'static str {
    if text.contains("UnknownIssuer") {
        "; the server's certificate is not signed by a trusted CA: if it uses a private or self-signed CA, pass that CA's certificate with the ca_bundle_file option"
    } else if text.contains("CaUsedAsEndEntity") {
        "; the server presents a CA certificate as its own: it needs a leaf certificate (basicConstraints CA:FALSE) signed by a CA, and ca_bundle_file can name that CA"
    } else if text.contains("NotValidForName") || text.contains("not valid for name") {
        "; the certificate does not name the host of the base URL: use the host name the certificate was issued for"
    } else if text.contains("Expired") {
        "; the server's certificate has expired or is not yet valid: check the server, and this machine's clock"
    } else if text.contains("InvalidContentType") || text.contains("CorruptMessage") {
        if through_proxy {
            "; the server or the proxy did not answer with TLS: check that the schemes (https) and ports of the base URL and the proxy URL match their servers"
        } else {
            "; the server did not answer with TLS: check that the base URL's scheme (https) and port match the server"
        }
    } else {
        ""
    }
}

/// Returns the `host:port` of a proxy URL, without its credentials.
pub(super) fn proxy_host(url: &str) -> String {
    let authority = host_of(url);
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host)
        .to_owned()
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
        assert_eq!(
            proxy_host("http://u:p@w@proxy.example:3128/"),
            "proxy.example:3128"
        );
        assert_eq!(proxy_host("http://[::1]:3128"), "[::1]:3128");
    }
}
