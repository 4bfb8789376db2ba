//! One HTTP attempt over a shared ureq agent: building the request, reading
//! a bounded body, and turning ureq's errors into ours.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ureq::config::AutoHeaderValue;
use ureq::http::header::{LOCATION, RETRY_AFTER};
use ureq::http::{HeaderName, Request, Response};
use ureq::tls::{RootCerts, TlsConfig};
use ureq::unversioned::transport::{ConnectProxyConnector, Connector, RustlsConnector};
use ureq::{Agent, Body, Proxy};

use crate::config::{
    redact_url_credentials, validate_proxy_url, ClientOptions, EnvLookup, Settings,
    MAX_RESPONSE_BODY_BYTES,
};
use crate::error::{Error, ErrorKind};
use crate::resolver::{CachingResolver, DnsCache};
use crate::retry::RetryHints;

mod errors;
mod poll;
mod proxy;
mod tcp;
mod template;

use errors::{map_ureq_error, proxy_host};
use proxy::proxy_from_env;

use tcp::TcpConnector;
pub(crate) use template::RequestTemplate;

/// Idle keep-alive connections kept per host. Enough for a handful of
/// threads sharing one client without reconnecting; beyond that, a
/// connection is closed after use instead of pooled.
const MAX_IDLE_CONNECTIONS_PER_HOST: usize = 16;

// Response headers read by name. As constants they are not parsed on each
// lookup.
const X_SHOULD_RETRY: HeaderName = HeaderName::from_static("x-should-retry");
const RETRY_AFTER_MS: HeaderName = HeaderName::from_static("retry-after-ms");
const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const REQUEST_ID: HeaderName = HeaderName::from_static("request-id");

/// Bytes reserved for a 2xx body before reading it. An Avara response such
/// as `{"success":true,"message":"..."}` is far shorter, and a longer body
/// grows the buffer as usual.
const SUCCESS_BODY_CAPACITY: usize = 512;

/// The HTTP methods the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Post,
    Delete,
}

impl Method {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }

    fn to_http(self) -> ureq::http::Method {
        match self {
            Method::Post => ureq::http::Method::POST,
            Method::Delete => ureq::http::Method::DELETE,
        }
    }
}

/// A complete response: status, the headers we use, and the whole body.
/// `hints` and `location` are read only for a non-2xx status.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
    pub(crate) hints: RetryHints,
    pub(crate) request_id: Option<String>,
    pub(crate) location: Option<String>,
}

/// The connection pool, proxy and TLS roots, shared by a client and every
/// client derived from it.
#[derive(Debug)]
pub(crate) struct Transport {
    agent: Agent,
    /// The request and connect timeouts set on the agent.
    timeouts: (Duration, Duration),
    /// The `host:port` of the proxy, if one is used, for error messages.
    proxy_host: Option<String>,
}

impl Transport {
    /// Builds the agent with the timeouts of `settings`. Its base URL picks
    /// which proxy variable applies.
    pub(crate) fn new(
        options: &ClientOptions,
        settings: &Settings,
        env: EnvLookup<'_>,
    ) -> Result<Transport, Error> {
        let base_url = settings.base_url.as_str();
        let root_certs = match options.ca_bundle() {
            Some(bundle) => RootCerts::Specific(bundle.certificates.clone()),
            None => RootCerts::PlatformVerifier,
        };
        let tls = TlsConfig::builder().root_certs(root_certs).build();

        // The proxy option was checked when it was set. A proxy variable is
        // checked here, so that its error names the variable.
        let proxy_url = match options.proxy() {
            Some(url) => Some(url.to_owned()),
            None => match proxy_from_env(base_url, env) {
                Some(found) => {
                    validate_proxy_url(found.variable, &found.url)?;
                    Some(found.url)
                }
                None => None,
            },
        };
        let proxy = match &proxy_url {
            Some(url) => Some(Proxy::new(url).map_err(|error| {
                Error::invalid_argument(
                    "proxy",
                    format!(
                        "{} is not a valid proxy URL: {error}",
                        redact_url_credentials(url)
                    ),
                )
            })?),
            None => None,
        };

        // Redirects are returned, never followed: following one could send
        // the Authorization header to another origin.
        let config = Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(AutoHeaderValue::None)
            .accept(AutoHeaderValue::None)
            .no_delay(true)
            .timeout_global(Some(settings.timeout))
            .timeout_connect(Some(settings.connect_timeout))
            .max_idle_connections(4 * MAX_IDLE_CONNECTIONS_PER_HOST)
            .max_idle_connections_per_host(MAX_IDLE_CONNECTIONS_PER_HOST)
            .tls_config(tls)
            .proxy(proxy)
            .build();
        let dns_cache = Arc::new(DnsCache::default());
        let resolver = CachingResolver::with_cache(Arc::clone(&dns_cache));
        let agent = Agent::with_parts(config, connector_chain(dns_cache), resolver);
        Ok(Transport {
            agent,
            timeouts: (settings.timeout, settings.connect_timeout),
            proxy_host: proxy_url.as_deref().map(proxy_host),
        })
    }

    /// Sends one request to `path` under the base URL and reads the whole
    /// response. Errors carry the category that decides whether the attempt
    /// may be retried.
    pub(crate) fn send(
        &self,
        settings: &Settings,
        template: &RequestTemplate,
        method: Method,
        path: &str,
        body: &[u8],
        retry_count: u32,
    ) -> Result<RawResponse, Error> {
        let uri = template
            .uri(path)
            .map_err(|error| Error::invalid_argument("request", error))?;
        let mut request = Request::new(body);
        *request.method_mut() = method.to_http();
        *request.uri_mut() = uri;
        *request.headers_mut() = template.headers(retry_count)?;

        // The agent already has the timeouts of the client it was built
        // for. Only a derived client with other timeouts needs a
        // request-level copy of the agent's configuration.
        if (settings.timeout, settings.connect_timeout) != self.timeouts {
            request = self
                .agent
                .configure_request(request)
                .timeout_global(Some(settings.timeout))
                .timeout_connect(Some(settings.connect_timeout))
                .build();
        }

        // Agent::run() sends the body with any method, DELETE included.
        let response = self
            .agent
            .run(request)
            .map_err(|error| map_ureq_error(error, settings, self.proxy_host.as_deref()))?;
        read_response(response, settings, self.proxy_host.as_deref())
    }
}

/// Builds the connector chain of ureq's `DefaultConnector` with
/// [`TcpConnector`] in place of ureq's: a CONNECT tunnel when an HTTP or
/// HTTPS proxy applies, else a direct TCP connection, then rustls for https
/// URLs. ConnectProxyConnector opens its connection to the proxy through
/// this same chain. `dns_cache` is the resolver's.
fn connector_chain(dns_cache: Arc<DnsCache>) -> impl Connector {
    ().chain(ConnectProxyConnector::default())
        .chain(TcpConnector::new(dns_cache))
        .chain(RustlsConnector::default())
}

/// Reads the status, the headers we use and the body. `proxy_host` is
/// named in error messages.
fn read_response(
    mut response: Response<Body>,
    settings: &Settings,
    proxy_host: Option<&str>,
) -> Result<RawResponse, Error> {
    let status = response.status().as_u16();
    let success = (200..300).contains(&status);
    let header = |name: &HeaderName| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let request_id = header(&X_REQUEST_ID).or_else(|| header(&REQUEST_ID));
    // Only an error response is retried or redirects, so a 2xx response
    // skips those lookups.
    let (hints, location) = if success {
        (RetryHints::default(), None)
    } else {
        let hints = RetryHints {
            should_retry: header(&X_SHOULD_RETRY),
            retry_after_ms: header(&RETRY_AFTER_MS),
            retry_after: header(&RETRY_AFTER),
        };
        (hints, header(&LOCATION))
    };

    let body = if success {
        read_success_body(&mut response).map_err(|error| {
            let error = map_ureq_error(error, settings, proxy_host);
            // An oversized body still came with a status line, so the
            // caller sees which response it was. A cut body did not arrive.
            if error.kind() == ErrorKind::InvalidResponse {
                error.with_response(status, request_id.clone())
            } else {
                error
            }
        })?
    } else {
        read_error_body(&mut response, settings, proxy_host)?
    };
    Ok(RawResponse {
        status,
        body,
        hints,
        request_id,
        location,
    })
}

/// Reads the body of a 2xx response, failing with `BodyExceedsLimit` when
/// it is longer than [`MAX_RESPONSE_BODY_BYTES`].
fn read_success_body(response: &mut Response<Body>) -> Result<Vec<u8>, ureq::Error> {
    use std::io::Read;

    // ureq's read_to_vec() starts from an empty vector, which costs a probe
    // read and a reallocation; an Avara body fits in this capacity.
    let mut body = Vec::with_capacity(SUCCESS_BODY_CAPACITY);
    response
        .body_mut()
        .with_config()
        .limit(MAX_RESPONSE_BODY_BYTES)
        .reader()
        .read_to_end(&mut body)?;
    Ok(body)
}

/// Reads the body of a non-2xx response, keeping at most
/// [`MAX_RESPONSE_BODY_BYTES`]. An oversized error body is cut rather than
/// failed, so the status still decides the error category and whether to
/// retry. The connection is then closed, not pooled, since its remaining
/// bytes are unread.
fn read_error_body(
    response: &mut Response<Body>,
    settings: &Settings,
    proxy_host: Option<&str>,
) -> Result<Vec<u8>, Error> {
    use std::io::Read;

    let mut body = Vec::new();
    response
        .body_mut()
        .as_reader()
        .take(MAX_RESPONSE_BODY_BYTES)
        .read_to_end(&mut body)
        .map_err(|error| map_ureq_error(ureq::Error::from(error), settings, proxy_host))?;
    Ok(body)
}

/// Wraps a duration that logs show as milliseconds with one decimal. The
/// text is only built when a message is written, not on every call.
pub(crate) fn millis(duration: Duration) -> Millis {
    Millis(duration)
}

/// A duration displayed as milliseconds with one decimal, such as `12.5`.
pub(crate) struct Millis(Duration);

impl fmt::Display for Millis {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{:.1}", self.0.as_secs_f64() * 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_shows_one_decimal() {
        assert_eq!(millis(Duration::from_micros(12_345)).to_string(), "12.3");
    }
}
