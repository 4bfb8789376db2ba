//! Client options, their defaults, their validation and how they combine
//! with the environment.
//!
//! Every setter validates its value at once, so a bad value is reported at
//! the call that supplied it. [`ClientOptions::resolve`] then merges the
//! options with the environment: an explicit option always wins.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ureq::tls::{Certificate, PemItem};

use crate::error::Error;
use crate::ids::quote_for_message;

/// The Avara API used when neither an option nor `AVARA_BASE_URL` names one.
pub const DEFAULT_BASE_URL: &str = "https://api.avarasoftware.com";
/// Default bound on one attempt, from connect to the last body byte.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default bound on connection setup, TLS handshake included.
pub(crate) const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default number of retries after the first attempt.
pub(crate) const DEFAULT_MAX_RETRIES: u32 = 2;

/// Largest accepted request timeout: one hour.
pub(crate) const MAX_TIMEOUT_MS: u64 = 3_600_000;
/// Largest accepted connect timeout: ten minutes.
pub(crate) const MAX_CONNECT_TIMEOUT_MS: u64 = 600_000;
/// Largest accepted retry count. With the 8 s backoff cap this bounds one
/// call's sleeping at about 80 s.
pub(crate) const MAX_RETRIES_LIMIT: u32 = 10;
/// Most response body bytes read; a longer body fails the call.
pub(crate) const MAX_RESPONSE_BODY_BYTES: u64 = 1 << 20;
/// Most bytes of a server's error text kept in [`Error::server_message`].
pub(crate) const MAX_SERVER_MESSAGE_BYTES: usize = 1024;
/// Longest API key, header name or header value accepted, User-Agent
/// suffix included. An Avara key is about 40 bytes, so a longer value is a
/// mistake such as a wrong buffer, and the server would reject it anyway.
pub(crate) const MAX_HEADER_FIELD_BYTES: usize = 4096;

/// Headers the library sets or controls itself, which default headers may
/// not replace or add.
const RESERVED_HEADERS: &[&str] = &[
    "accept",
    "authorization",
    "connection",
    "content-length",
    "content-type",
    // A 100-continue wait only delays these small requests, by 1 s when
    // the server ignores it.
    "expect",
    "host",
    "transfer-encoding",
    "user-agent",
    "x-stainless-retry-count",
];

/// Reads one environment variable; a seam so tests can supply their own.
pub(crate) type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Reads the process environment, treating an empty variable as unset.
pub(crate) fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// Options for a new client. Unset options fall back to the environment
/// and then to the documented defaults.
#[derive(Clone, Default)]
pub struct ClientOptions {
    api_key: Option<String>,
    base_url: Option<String>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    max_retries: Option<u32>,
    default_headers: Vec<(String, String)>,
    user_agent_suffix: Option<String>,
    proxy: Option<String>,
    ca_bundle: Option<CaBundle>,
}

/// Root certificates loaded from a PEM file.
#[derive(Clone)]
pub(crate) struct CaBundle {
    pub(crate) path: String,
    pub(crate) certificates: Arc<Vec<Certificate<'static>>>,
}

impl fmt::Debug for ClientOptions {
    // Hand-written so the API key never reaches logs through `{:?}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientOptions")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_retries", &self.max_retries)
            .field("default_headers", &self.default_headers)
            .field("user_agent_suffix", &self.user_agent_suffix)
            .field("proxy", &self.proxy.as_deref().map(redact_url_credentials))
            .field("ca_bundle", &self.ca_bundle.as_ref().map(|ca| &ca.path))
            .finish()
    }
}

impl ClientOptions {
    /// Creates options with nothing set.
    pub fn new() -> ClientOptions {
        ClientOptions::default()
    }

    /// Sets the API key sent as `Authorization: Bearer <key>`.
    pub fn set_api_key(&mut self, key: &str) -> Result<(), Error> {
        validate_api_key("api_key", key)?;
        self.api_key = Some(key.to_owned());
        Ok(())
    }

    /// Sets the base URL, such as `https://api.avarasoftware.com`. It must
    /// use http or https and carry no credentials, query or fragment.
    pub fn set_base_url(&mut self, url: &str) -> Result<(), Error> {
        self.base_url = Some(normalize_base_url("base_url", url)?);
        Ok(())
    }

    /// Sets the bound on one attempt, from connect to the last body byte,
    /// in milliseconds (1 to [`MAX_TIMEOUT_MS`]).
    pub fn set_timeout_ms(&mut self, ms: u64) -> Result<(), Error> {
        self.timeout = Some(checked_millis("timeout_ms", ms, MAX_TIMEOUT_MS)?);
        Ok(())
    }

    /// Sets the bound on connection setup in milliseconds (1 to
    /// [`MAX_CONNECT_TIMEOUT_MS`]).
    pub fn set_connect_timeout_ms(&mut self, ms: u64) -> Result<(), Error> {
        self.connect_timeout = Some(checked_millis(
            "connect_timeout_ms",
            ms,
            MAX_CONNECT_TIMEOUT_MS,
        )?);
        Ok(())
    }

    /// Sets how many times a failed attempt is retried (0 to
    /// [`MAX_RETRIES_LIMIT`]; 0 disables retries).
    pub fn set_max_retries(&mut self, retries: u32) -> Result<(), Error> {
        if retries > MAX_RETRIES_LIMIT {
            return Err(Error::invalid_argument(
                "max_retries",
                format!("{retries} is out of range; use 0 to {MAX_RETRIES_LIMIT}"),
            ));
        }
        self.max_retries = Some(retries);
        Ok(())
    }

    /// Adds a header sent with every request. A later header with the same
    /// name (compared case-insensitively) replaces the earlier one.
    pub fn add_default_header(&mut self, name: &str, value: &str) -> Result<(), Error> {
        validate_header("default header", name, value)?;
        insert_header(&mut self.default_headers, name, value);
        Ok(())
    }

    /// Sets text appended to the User-Agent, such as `my-app/2.1`.
    pub fn set_user_agent_suffix(&mut self, suffix: &str) -> Result<(), Error> {
        validate_header_value("user_agent_suffix", suffix)?;
        if suffix.trim().is_empty() {
            return Err(Error::invalid_argument(
                "user_agent_suffix",
                "the value is empty; pass text such as \"my-app/2.1\"",
            ));
        }
        self.user_agent_suffix = Some(suffix.trim().to_owned());
        Ok(())
    }

    /// Sets an HTTP or HTTPS proxy, such as `http://proxy.example:3128`,
    /// used instead of `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY`.
    pub fn set_proxy(&mut self, url: &str) -> Result<(), Error> {
        validate_proxy_url("proxy", url)?;
        self.proxy = Some(url.to_owned());
        Ok(())
    }

    /// Trusts only the certificates in the PEM file at `path` instead of the
    /// platform's certificate store. The file is read now.
    pub fn set_ca_bundle_file(&mut self, path: &str) -> Result<(), Error> {
        self.ca_bundle = Some(load_ca_bundle(path)?);
        Ok(())
    }

    pub(crate) fn has_transport_options(&self) -> bool {
        self.proxy.is_some() || self.ca_bundle.is_some()
    }

    pub(crate) fn proxy(&self) -> Option<&str> {
        self.proxy.as_deref()
    }

    pub(crate) fn ca_bundle(&self) -> Option<&CaBundle> {
        self.ca_bundle.as_ref()
    }

    /// Merges these options with the environment into the settings a client
    /// uses. Explicit options win over the environment, and the environment
    /// wins over the defaults.
    pub(crate) fn resolve(&self, env: EnvLookup<'_>) -> Result<Settings, Error> {
        let api_key = match &self.api_key {
            Some(key) => key.clone(),
            None => {
                let key = env("AVARA_API_KEY").ok_or_else(Error::missing_api_key)?;
                validate_api_key("AVARA_API_KEY", &key)?;
                key
            }
        };

        let base_url = match (&self.base_url, env("AVARA_BASE_URL")) {
            (Some(url), _) => url.clone(),
            (None, Some(url)) => normalize_base_url("AVARA_BASE_URL", &url)?,
            (None, None) => DEFAULT_BASE_URL.to_owned(),
        };

        let mut headers = match env("AVARA_CUSTOM_HEADERS") {
            Some(text) => parse_custom_headers(&text)?,
            None => Vec::new(),
        };
        for (name, value) in &self.default_headers {
            insert_header(&mut headers, name, value);
        }

        let settings = Settings {
            base_url,
            authorization: format!("Bearer {api_key}"),
            timeout: self.timeout.unwrap_or(DEFAULT_TIMEOUT),
            connect_timeout: self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
            max_retries: self.max_retries.unwrap_or(DEFAULT_MAX_RETRIES),
            headers,
            user_agent: user_agent(self.user_agent_suffix.as_deref()),
        };
        Ok(settings)
    }

    /// Applies these options over a parent client's settings. The
    /// environment is not read again: the parent already merged it.
    pub(crate) fn derive(&self, parent: &Settings) -> Settings {
        let mut settings = parent.clone();
        if let Some(key) = &self.api_key {
            settings.authorization = format!("Bearer {key}");
        }
        if let Some(url) = &self.base_url {
            settings.base_url = url.clone();
        }
        if let Some(timeout) = self.timeout {
            settings.timeout = timeout;
        }
        if let Some(timeout) = self.connect_timeout {
            settings.connect_timeout = timeout;
        }
        if let Some(retries) = self.max_retries {
            settings.max_retries = retries;
        }
        for (name, value) in &self.default_headers {
            insert_header(&mut settings.headers, name, value);
        }
        if let Some(suffix) = &self.user_agent_suffix {
            settings.user_agent = user_agent(Some(suffix));
        }
        settings
    }
}

/// The resolved, validated configuration of one client.
#[derive(Clone)]
pub(crate) struct Settings {
    /// Base URL without a trailing slash.
    pub(crate) base_url: String,
    /// The whole `Authorization` header value. Secret: never log it.
    pub(crate) authorization: String,
    pub(crate) timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) max_retries: u32,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) user_agent: String,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("base_url", &self.base_url)
            .field("authorization", &"<redacted>")
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_retries", &self.max_retries)
            .field("headers", &self.headers)
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

fn user_agent(suffix: Option<&str>) -> String {
    match suffix {
        Some(suffix) => format!("libavara/{} {suffix}", crate::VERSION),
        None => format!("libavara/{}", crate::VERSION),
    }
}

fn checked_millis(name: &str, ms: u64, max: u64) -> Result<Duration, Error> {
    if ms == 0 || ms > max {
        return Err(Error::invalid_argument(
            name,
            format!("{ms} ms is out of range; use 1 to {max} ms"),
        ));
    }
    Ok(Duration::from_millis(ms))
}

/// Rejects keys that cannot travel in a header. The message never quotes
/// the key, only the position of the offending byte.
fn validate_api_key(name: &str, key: &str) -> Result<(), Error> {
    if key.is_empty() {
        return Err(Error::invalid_argument(
            name,
            "the key is empty; pass your Avara API key (it starts with sk_)",
        ));
    }
    if key.len() > MAX_HEADER_FIELD_BYTES {
        return Err(Error::invalid_argument(
            name,
            format!(
                "the key is {} bytes long, over the limit of {MAX_HEADER_FIELD_BYTES} bytes; pass only the API key",
                key.len()
            ),
        ));
    }
    if let Some(offset) = key.bytes().position(|b| !b.is_ascii_graphic()) {
        return Err(Error::invalid_argument(
            name,
            format!(
                "the key contains a space, control or non-ASCII byte at offset {offset}; copy the key again without surrounding text"
            ),
        ));
    }
    Ok(())
}

/// Validates a base URL and returns it without trailing slashes.
pub(crate) fn normalize_base_url(name: &str, url: &str) -> Result<String, Error> {
    let invalid = |reason: String| Error::invalid_argument(name, reason);
    let shown = || quote_for_message(url);

    if url.is_empty() {
        return Err(invalid(format!(
            "the URL is empty; pass a URL such as {DEFAULT_BASE_URL}"
        )));
    }
    if url.bytes().any(|b| !b.is_ascii_graphic()) {
        return Err(invalid(format!(
            "{} contains whitespace, control or non-ASCII characters; percent-encode them",
            shown()
        )));
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(invalid(format!(
            "{} has no scheme; use a URL such as {DEFAULT_BASE_URL}",
            shown()
        )));
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(invalid(format!(
            "{} uses the scheme {scheme:?}; only http and https are supported",
            shown()
        )));
    }
    if url.contains('?') || url.contains('#') {
        return Err(invalid(format!(
            "{} has a query or fragment; pass only scheme, host, port and path",
            shown()
        )));
    }
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.contains('@') {
        return Err(invalid(format!(
            "{} contains user credentials; pass the API key as api_key instead",
            redact_url_credentials(url)
        )));
    }
    if authority.is_empty() {
        return Err(invalid(format!("{} has no host", shown())));
    }
    let (host, port) = split_host_port(authority);
    if host.is_empty() {
        return Err(invalid(format!("{} has no host", shown())));
    }
    if let Some(port) = port {
        if !is_valid_port(port) {
            return Err(invalid(format!(
                "{} has the port {port:?}; use a number from 1 to 65535",
                shown()
            )));
        }
    }
    if let Err(error) = url.parse::<ureq::http::Uri>() {
        return Err(invalid(format!("{} is not a valid URL: {error}", shown())));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// True for a decimal port number from 1 to 65535.
fn is_valid_port(port: &str) -> bool {
    matches!(port.parse::<u16>(), Ok(1..))
}

/// Splits `host:port` (or `[v6]:port`) into the host and the port text, if
/// any.
fn split_host_port(authority: &str) -> (&str, Option<&str>) {
    if let Some(rest) = authority.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((host, tail)) => (host, tail.strip_prefix(':')),
            None => (rest, None),
        };
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    }
}

pub(crate) fn validate_proxy_url(name: &str, url: &str) -> Result<(), Error> {
    let invalid = |reason: String| Error::invalid_argument(name, reason);
    let shown = || quote_for_message(&redact_url_credentials(url));

    let lower = url.to_ascii_lowercase();
    if !lower.starts_with("http://") && !lower.starts_with("https://") {
        return Err(invalid(format!(
            "{} is not an http:// or https:// URL; libavara supports only HTTP and HTTPS proxies, such as http://proxy.example:3128",
            shown()
        )));
    }
    if let Err(error) = ureq::Proxy::new(url) {
        return Err(invalid(format!(
            "{} is not a valid proxy URL: {error}",
            shown()
        )));
    }
    // ureq 3.5 accepts a port above 65535 and then connects to port 80,
    // so host and port are checked here.
    let rest = &url[url.find("://").map_or(0, |index| index + 3)..];
    let authority = rest.split('/').next().unwrap_or_default();
    let host_and_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host_and_port)| host_and_port);
    let (host, port) = split_host_port(host_and_port);
    if host.is_empty() {
        return Err(invalid(format!(
            "{} has no host; use a URL such as http://proxy.example:3128",
            shown()
        )));
    }
    if let Some(port) = port {
        if !is_valid_port(port) {
            return Err(invalid(format!(
                "{} has the port {port:?}; use a number from 1 to 65535",
                shown()
            )));
        }
    }
    Ok(())
}

/// Replaces `user:password@` in a URL with `***@` so messages can show it.
pub(crate) fn redact_url_credentials(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let authority_end = url[scheme_end..]
        .find('/')
        .map_or(url.len(), |i| scheme_end + i);
    match url[scheme_end..authority_end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..scheme_end], &url[scheme_end + at..]),
        None => url.to_owned(),
    }
}

/// Largest CA bundle file accepted. The Mozilla bundle that Linux
/// distributions ship is about 220 KB, so this leaves ample room.
const MAX_CA_BUNDLE_BYTES: u64 = 16 << 20;

/// Reads a regular file of at most `max_bytes`. Devices, FIFOs and larger
/// files are rejected rather than read, so a wrong path cannot block the
/// call or exhaust memory.
fn read_small_file(path: &str, max_bytes: u64) -> Result<Vec<u8>, String> {
    use std::io::Read;

    // Check before opening: opening a FIFO for reading blocks until a
    // writer appears.
    let metadata = std::fs::metadata(path).map_err(|error| error.to_string())?;
    if !metadata.is_file() {
        return Err("it is not a regular file; pass the path of a PEM file".to_owned());
    }
    if metadata.len() > max_bytes {
        return Err(format!(
            "the file has {} bytes, more than the limit of {max_bytes}",
            metadata.len()
        ));
    }
    let file = std::fs::File::open(path).map_err(|error| error.to_string())?;
    let mut contents = Vec::new();
    // The file may grow between the size check and the read.
    file.take(max_bytes + 1)
        .read_to_end(&mut contents)
        .map_err(|error| error.to_string())?;
    if contents.len() as u64 > max_bytes {
        return Err(format!("the file grew past the limit of {max_bytes} bytes"));
    }
    Ok(contents)
}

fn load_ca_bundle(path: &str) -> Result<CaBundle, Error> {
    let invalid = |reason: String| Error::invalid_argument("ca_bundle_file", reason);
    if path.is_empty() {
        return Err(invalid(
            "the path is empty; pass the path of a PEM file with CA certificates".into(),
        ));
    }
    let pem = read_small_file(path, MAX_CA_BUNDLE_BYTES)
        .map_err(|reason| invalid(format!("cannot read {}: {reason}", quote_for_message(path))))?;

    let mut certificates = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(certificate)) => certificates.push(certificate),
            Ok(_) => {}
            Err(error) => {
                return Err(invalid(format!(
                    "{} is not a valid PEM file: {error}",
                    quote_for_message(path)
                )))
            }
        }
    }
    if certificates.is_empty() {
        return Err(invalid(format!(
            "{} contains no PEM certificate (-----BEGIN CERTIFICATE-----)",
            quote_for_message(path)
        )));
    }
    Ok(CaBundle {
        path: path.to_owned(),
        certificates: Arc::new(certificates),
    })
}

fn validate_header(what: &str, name: &str, value: &str) -> Result<(), Error> {
    let is_token_byte = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || name.len() > MAX_HEADER_FIELD_BYTES || !name.bytes().all(is_token_byte) {
        return Err(Error::invalid_argument(
            what,
            format!(
                "the name {} is not a valid header name; use letters, digits and !#$%&'*+-.^_`|~ only, as in X-Request-Source",
                quote_for_message(name)
            ),
        ));
    }
    if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
        return Err(Error::invalid_argument(
            what,
            format!(
                "{name} is controlled by the library and cannot be a default header (set the key with the api_key option and extra User-Agent text with user_agent_suffix)"
            ),
        ));
    }
    validate_header_value(what, value)
}

fn validate_header_value(what: &str, value: &str) -> Result<(), Error> {
    if value.len() > MAX_HEADER_FIELD_BYTES {
        return Err(Error::invalid_argument(
            what,
            format!(
                "the value is {} bytes long, over the limit of {MAX_HEADER_FIELD_BYTES} bytes",
                value.len()
            ),
        ));
    }
    if value
        .bytes()
        .any(|b| !(b.is_ascii_graphic() || b == b' ' || b == b'\t'))
    {
        return Err(Error::invalid_argument(
            what,
            format!(
                "the value {} contains CR, LF, a control or a non-ASCII character; header values must be visible ASCII",
                quote_for_message(value)
            ),
        ));
    }
    Ok(())
}

fn insert_header(headers: &mut Vec<(String, String)>, name: &str, value: &str) {
    headers.retain(|(existing, _)| !existing.eq_ignore_ascii_case(name));
    headers.push((name.to_owned(), value.trim().to_owned()));
}

/// Parses `AVARA_CUSTOM_HEADERS` as the official SDKs do: one `Name: value`
/// per line, split at the first colon, both sides trimmed; lines without a
/// colon are skipped.
fn parse_custom_headers(text: &str) -> Result<Vec<(String, String)>, Error> {
    let mut headers = Vec::new();
    for line in text.split('\n') {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let (name, value) = (name.trim(), value.trim());
        validate_header("AVARA_CUSTOM_HEADERS", name, value)?;
        insert_header(&mut headers, name, value);
    }
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use std::collections::HashMap;

    const KEY: &str = "sk_live_0123456789abcdef0123456789abcdef";

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn defaults_apply_when_nothing_set() {
        let settings = ClientOptions::new()
            .resolve(&env_of(&[("AVARA_API_KEY", KEY)]))
            .unwrap();
        assert_eq!(settings.base_url, DEFAULT_BASE_URL);
        assert_eq!(settings.timeout, Duration::from_secs(60));
        assert_eq!(settings.connect_timeout, Duration::from_secs(5));
        assert_eq!(settings.max_retries, 2);
        assert_eq!(settings.authorization, format!("Bearer {KEY}"));
        assert!(settings.user_agent.starts_with("libavara/"));
    }

    #[test]
    fn missing_key_says_how_to_supply() {
        let error = ClientOptions::new().resolve(&env_of(&[])).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::MissingApiKey);
        assert!(error.message().contains("AVARA_API_KEY"));
    }

    #[test]
    fn options_win_over_environment() {
        let mut options = ClientOptions::new();
        options.set_api_key("sk_explicit").unwrap();
        options.set_base_url("http://127.0.0.1:9/").unwrap();
        options.add_default_header("X-Team", "explicit").unwrap();
        let env = env_of(&[
            ("AVARA_API_KEY", KEY),
            ("AVARA_BASE_URL", "http://10.9.9.9"),
            ("AVARA_CUSTOM_HEADERS", "X-Team: env\nX-Env-Only: 1"),
        ]);
        let settings = options.resolve(&env).unwrap();
        assert_eq!(settings.authorization, "Bearer sk_explicit");
        assert_eq!(settings.base_url, "http://127.0.0.1:9");
        assert_eq!(
            settings.headers,
            vec![
                ("X-Env-Only".to_string(), "1".to_string()),
                ("X-Team".to_string(), "explicit".to_string()),
            ]
        );
    }

    #[test]
    fn custom_headers_parsed_like_sdk() {
        let headers =
            parse_custom_headers("A: 1\nnot a header\n B :  two words \n\nC:x:y").unwrap();
        assert_eq!(
            headers,
            vec![
                ("A".to_string(), "1".to_string()),
                ("B".to_string(), "two words".to_string()),
                ("C".to_string(), "x:y".to_string()),
            ]
        );
    }

    #[test]
    fn bad_custom_header_env_rejected() {
        let error = parse_custom_headers("Bad Name: 1").unwrap_err();
        assert!(error.message().contains("AVARA_CUSTOM_HEADERS"));
        let error = parse_custom_headers("Authorization: Bearer x").unwrap_err();
        assert!(error.message().contains("cannot be a default header"));
        let error = parse_custom_headers("Expect: 100-continue").unwrap_err();
        assert!(error.message().contains("Expect"), "{}", error.message());
    }

    #[test]
    fn base_url_rules() {
        let good = [
            (
                "https://api.avarasoftware.com",
                "https://api.avarasoftware.com",
            ),
            ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
            ("HTTP://localhost/prefix//", "HTTP://localhost/prefix"),
        ];
        for (input, expected) in good {
            assert_eq!(normalize_base_url("base_url", input).unwrap(), expected);
        }
        let bad = [
            ("", "empty"),
            ("api.avarasoftware.com", "no scheme"),
            ("ftp://host", "only http and https"),
            ("file:///etc/passwd", "only http and https"),
            ("https://user:pw@host", "credentials"),
            ("https://host/?a=1", "query or fragment"),
            ("https://host/#frag", "query or fragment"),
            ("https:///path", "no host"),
            ("https://ho st", "whitespace"),
            ("http://127.0.0.1:99999", "use a number from 1 to 65535"),
            ("http://127.0.0.1:0", "use a number from 1 to 65535"),
            ("http://127.0.0.1:http", "use a number from 1 to 65535"),
            ("http://:80", "no host"),
            ("http://[]:80", "no host"),
            ("https://host\r\nX: y", "whitespace"),
        ];
        for (input, reason) in bad {
            let error = normalize_base_url("base_url", input).expect_err(input);
            assert_eq!(error.kind(), ErrorKind::InvalidArgument);
            assert!(error.message().starts_with("invalid base_url:"), "{input}");
            assert!(
                error.message().contains(reason),
                "{input}: {}",
                error.message()
            );
        }
    }

    #[test]
    fn credentials_never_echoed() {
        let error = normalize_base_url("base_url", "https://user:secret@host/").unwrap_err();
        assert!(!error.message().contains("secret"), "{}", error.message());
        assert_eq!(
            redact_url_credentials("http://a:b@h:1/p@q"),
            "http://***@h:1/p@q"
        );
    }

    #[test]
    fn numeric_ranges_checked() {
        let mut options = ClientOptions::new();
        assert!(options.set_timeout_ms(0).is_err());
        assert!(options.set_timeout_ms(MAX_TIMEOUT_MS + 1).is_err());
        assert!(options.set_timeout_ms(1).is_ok());
        assert!(options.set_connect_timeout_ms(0).is_err());
        assert!(options
            .set_connect_timeout_ms(MAX_CONNECT_TIMEOUT_MS)
            .is_ok());
        let error = options.set_max_retries(MAX_RETRIES_LIMIT + 1).unwrap_err();
        assert!(error.message().contains("max_retries"));
        assert!(options.set_max_retries(0).is_ok());
    }

    #[test]
    fn header_values_checked() {
        let mut options = ClientOptions::new();
        assert!(options.add_default_header("X-Ok", "fine value").is_ok());
        for (name, value) in [
            ("X-Bad", "a\r\nb"),
            ("X-Bad", "caf\u{e9}"),
            ("X Bad", "v"),
            ("", "v"),
        ] {
            let error = options.add_default_header(name, value).unwrap_err();
            assert!(
                error.message().contains("default header"),
                "{name:?} {value:?}"
            );
        }
        assert!(options.set_user_agent_suffix("app\n").is_err());
        assert!(options.set_user_agent_suffix("  ").is_err());
    }

    #[test]
    fn overlong_header_fields_rejected() {
        let long = "a".repeat(MAX_HEADER_FIELD_BYTES + 1);
        let mut options = ClientOptions::new();
        let error = options.set_api_key(&long).unwrap_err();
        assert!(
            error.message().contains("over the limit"),
            "{}",
            error.message()
        );
        assert!(!error.message().contains(&long[..64]), "key echoed");
        assert!(options.add_default_header(&long, "v").is_err());
        assert!(options.add_default_header("X-A", &long).is_err());
        assert!(options.set_user_agent_suffix(&long).is_err());
        let longest = &long[..MAX_HEADER_FIELD_BYTES];
        assert!(options.set_api_key(longest).is_ok());
        assert!(options.add_default_header("X-A", longest).is_ok());
    }

    #[test]
    fn api_key_rejections_hide_key() {
        let mut options = ClientOptions::new();
        let error = options.set_api_key("sk_live_secret\n").unwrap_err();
        assert!(!error.message().contains("secret"));
        assert!(error.message().contains("offset 14"));
        assert!(options.set_api_key("").is_err());
    }

    #[test]
    fn debug_output_redacts_key() {
        let mut options = ClientOptions::new();
        options.set_api_key(KEY).unwrap();
        assert!(!format!("{options:?}").contains(KEY));
        let settings = options.resolve(&env_of(&[])).unwrap();
        assert!(!format!("{settings:?}").contains(KEY));
    }

    #[test]
    fn derived_settings_override_parent() {
        let parent = ClientOptions::new()
            .resolve(&env_of(&[("AVARA_API_KEY", KEY)]))
            .unwrap();
        let mut options = ClientOptions::new();
        options.set_timeout_ms(1234).unwrap();
        options.set_user_agent_suffix("bulk-job/1").unwrap();
        let child = options.derive(&parent);
        assert_eq!(child.timeout, Duration::from_millis(1234));
        assert_eq!(child.authorization, parent.authorization);
        assert!(child.user_agent.ends_with(" bulk-job/1"));
    }

    #[test]
    fn ca_bundle_errors_name_path() {
        let mut options = ClientOptions::new();
        let error = options
            .set_ca_bundle_file("/nonexistent/ca.pem")
            .unwrap_err();
        assert!(error.message().contains("/nonexistent/ca.pem"));
        let path = std::env::temp_dir().join(format!("avara-not-pem-{}.txt", std::process::id()));
        std::fs::write(&path, "hello").unwrap();
        let error = options
            .set_ca_bundle_file(path.to_str().unwrap())
            .unwrap_err();
        assert!(
            error.message().contains("no PEM certificate"),
            "{}",
            error.message()
        );
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn ca_bundle_rejects_devices_and_huge_files() {
        let mut options = ClientOptions::new();
        let error = options.set_ca_bundle_file("/dev/zero").unwrap_err();
        assert!(
            error.message().contains("not a regular file"),
            "{}",
            error.message()
        );

        let path = std::env::temp_dir().join(format!("avara-huge-ca-{}.pem", std::process::id()));
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(MAX_CA_BUNDLE_BYTES + 1).unwrap();
        let error = options
            .set_ca_bundle_file(path.to_str().unwrap())
            .unwrap_err();
        std::fs::remove_file(&path).unwrap();
        assert!(
            error.message().contains("more than the limit"),
            "{}",
            error.message()
        );
    }

    #[test]
    fn ipv6_base_url_with_port_accepted() {
        assert_eq!(
            normalize_base_url("base_url", "http://[::1]:8080/").unwrap(),
            "http://[::1]:8080"
        );
    }

    #[test]
    fn proxy_url_checked() {
        let mut options = ClientOptions::new();
        assert!(options.set_proxy("http://127.0.0.1:3128").is_ok());
        let error = options
            .set_proxy("socks5://u:pw@127.0.0.1:1080")
            .unwrap_err();
        assert!(!error.message().contains("pw"));
        assert!(options.set_proxy("").is_err());
    }

    #[test]
    fn proxy_port_checked() {
        let mut options = ClientOptions::new();
        assert!(options.set_proxy("http://u:pw@[::1]:3128/").is_ok());
        for (url, expected) in [
            (
                "http://u:pw@127.0.0.1:99999",
                "use a number from 1 to 65535",
            ),
            ("http://127.0.0.1:0", "use a number from 1 to 65535"),
            ("http://[::1]:70000", "use a number from 1 to 65535"),
            ("http://u:pw@:3128", "has no host"),
        ] {
            let error = options.set_proxy(url).unwrap_err();
            assert!(
                error.message().contains(expected),
                "{url}: {}",
                error.message()
            );
            assert!(
                !error.message().contains("pw"),
                "{url}: {}",
                error.message()
            );
        }
        assert_eq!(options.proxy(), Some("http://u:pw@[::1]:3128/"));
    }
}
