//! The parts of a request that are the same for every call of one client:
//! the scheme, authority and path prefix of the base URL, and the header
//! fields. They are parsed and copied once per client, so a call clones
//! shared bytes instead of formatting and parsing its URL and every header
//! value again.

use std::fmt;

use ureq::http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use ureq::http::uri::{Authority, Parts, PathAndQuery, Scheme};
use ureq::http::{HeaderMap, HeaderName, HeaderValue, Uri};

use crate::config::Settings;
use crate::error::Error;

const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");
const RETRY_COUNT: HeaderName = HeaderName::from_static("x-stainless-retry-count");

/// The request URL and header fields that a client's [`Settings`] fix.
pub(crate) struct RequestTemplate {
    base_url: String,
    /// `None` when the base URL does not split into a scheme, an authority
    /// and a path prefix. Each request then parses its whole URL.
    base: Option<BaseUri>,
    /// The header fields in the order they are sent, with the retry count
    /// at 0. An error is not expected, because settings are validated
    /// first. If one occurs, every call fails with its text as an invalid
    /// request.
    headers: Result<HeaderMap, String>,
}

#[derive(Debug)]
struct BaseUri {
    scheme: Scheme,
    authority: Authority,
    /// The path of the base URL without a trailing slash, often empty.
    path_prefix: String,
}

impl RequestTemplate {
    pub(crate) fn new(settings: &Settings) -> RequestTemplate {
        RequestTemplate {
            base_url: settings.base_url.clone(),
            base: BaseUri::parse(&settings.base_url),
            headers: header_fields(settings).map_err(|error| error.to_string()),
        }
    }

    /// Returns the URL of `path`, which starts with `/`, under the base URL.
    pub(crate) fn uri(&self, path: &str) -> Result<Uri, ureq::http::Error> {
        let Some(base) = &self.base else {
            return Ok(Uri::try_from(format!("{}{path}", self.base_url))?);
        };
        let mut full_path = String::with_capacity(base.path_prefix.len() + path.len());
        full_path.push_str(&base.path_prefix);
        full_path.push_str(path);

        let mut parts = Parts::default();
        parts.scheme = Some(base.scheme.clone());
        parts.authority = Some(base.authority.clone());
        parts.path_and_query = Some(PathAndQuery::try_from(full_path)?);
        Ok(Uri::from_parts(parts)?)
    }

    /// Returns the header fields of one attempt. `retry_count` is 0 for the
    /// first attempt.
    pub(crate) fn headers(&self, retry_count: u32) -> Result<HeaderMap, Error> {
        let mut headers = self
            .headers
            .clone()
            .map_err(|reason| Error::invalid_argument("request", reason))?;
        if retry_count > 0 {
            // Replacing the value keeps the field where it was.
            headers.insert(RETRY_COUNT, retry_count_value(retry_count));
        }
        Ok(headers)
    }
}

impl fmt::Debug for RequestTemplate {
    /// Lists header names only, because the values include the API key.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Result<Vec<&str>, &str> = match &self.headers {
            Ok(headers) => Ok(headers.keys().map(HeaderName::as_str).collect()),
            Err(reason) => Err(reason),
        };
        formatter
            .debug_struct("RequestTemplate")
            .field("base_url", &self.base_url)
            .field("base", &self.base)
            .field("header_names", &header_names)
            .finish()
    }
}

impl BaseUri {
    /// Splits a normalized base URL, such as `https://host:8443/prefix`.
    fn parse(base_url: &str) -> Option<BaseUri> {
        let uri: Uri = base_url.parse().ok()?;
        let (_, after_scheme) = base_url.split_once("://")?;
        let path_prefix = after_scheme
            .find('/')
            .map_or("", |start| &after_scheme[start..]);
        // A prefix that the parser reads differently, which normalization
        // should rule out, falls back to parsing whole URLs.
        let parsed_path = if path_prefix.is_empty() {
            "/"
        } else {
            path_prefix
        };
        if uri.path() != parsed_path || uri.query().is_some() {
            return None;
        }
        Some(BaseUri {
            scheme: uri.scheme()?.clone(),
            authority: uri.authority()?.clone(),
            path_prefix: path_prefix.to_owned(),
        })
    }
}

/// Builds the header fields every request sends, in this order: the key,
/// the content type, the accepted type, the User-Agent, the retry count and
/// then the custom headers.
fn header_fields(settings: &Settings) -> Result<HeaderMap, ureq::http::Error> {
    let mut headers = HeaderMap::with_capacity(5 + settings.headers.len());
    headers.append(
        AUTHORIZATION,
        HeaderValue::try_from(settings.authorization.as_str())?,
    );
    headers.append(CONTENT_TYPE, APPLICATION_JSON);
    headers.append(ACCEPT, APPLICATION_JSON);
    headers.append(
        USER_AGENT,
        HeaderValue::try_from(settings.user_agent.as_str())?,
    );
    headers.append(RETRY_COUNT, retry_count_value(0));
    for (name, value) in &settings.headers {
        headers.try_append(
            HeaderName::try_from(name.as_str())?,
            HeaderValue::try_from(value.as_str())?,
        )?;
    }
    Ok(headers)
}

fn retry_count_text(retry_count: u32) -> &'static str {
    const SMALL: [&str; 11] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"];
    SMALL.get(retry_count as usize).copied().unwrap_or("10")
}

fn retry_count_value(retry_count: u32) -> HeaderValue {
    HeaderValue::from_static(retry_count_text(retry_count))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClientOptions;

    fn settings_for(base_url: &str, headers: &[(&str, &str)]) -> Settings {
        let mut options = ClientOptions::default();
        options.set_api_key("sk_test_key").unwrap();
        options.set_base_url(base_url).unwrap();
        for (name, value) in headers {
            options.add_default_header(name, value).unwrap();
        }
        options.resolve(&|_| None).unwrap()
    }

    #[test]
    fn uri_matches_parsed_url() {
        let path = "/v1/express/cus_0123456789abcdef0123456789abcdef/users";
        for base_url in [
            "http://127.0.0.1:8080",
            "https://api.example",
            "https://api.example/prefix/v2",
            "HTTP://[::1]:9000/a",
        ] {
            let template = RequestTemplate::new(&settings_for(base_url, &[]));
            assert!(template.base.is_some(), "{base_url}");
            let expected: Uri = format!("{base_url}{path}").parse().unwrap();
            assert_eq!(template.uri(path).unwrap(), expected, "{base_url}");
        }
    }

    #[test]
    fn headers_in_sending_order() {
        let settings = settings_for("http://127.0.0.1:8080", &[("X-Source", "batch")]);
        let template = RequestTemplate::new(&settings);

        let first = template.headers(0).unwrap();
        let names: Vec<&str> = first.keys().map(HeaderName::as_str).collect();
        assert_eq!(
            names,
            [
                "authorization",
                "content-type",
                "accept",
                "user-agent",
                "x-stainless-retry-count",
                "x-source"
            ]
        );
        assert_eq!(first["authorization"], "Bearer sk_test_key");
        assert_eq!(first["x-stainless-retry-count"], "0");
        assert_eq!(first["x-source"], "batch");

        let retry = template.headers(2).unwrap();
        let retry_names: Vec<&str> = retry.keys().map(HeaderName::as_str).collect();
        assert_eq!(retry_names, names);
        assert_eq!(retry["x-stainless-retry-count"], "2");
    }

    #[test]
    fn debug_output_omits_key() {
        let template = RequestTemplate::new(&settings_for("http://127.0.0.1:8080", &[]));
        let text = format!("{template:?}");
        assert!(!text.contains("sk_test_key"), "{text}");
        assert!(text.contains("authorization"), "{text}");
    }

    #[test]
    fn retry_count_capped() {
        assert_eq!(retry_count_text(0), "0");
        assert_eq!(retry_count_text(7), "7");
        assert_eq!(retry_count_text(12), "10");
    }
}
