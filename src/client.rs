//! The client: settings plus a shared transport, and the retry loop every
//! API call goes through.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use crate::config::{process_env, ClientOptions, EnvLookup, Settings, MAX_SERVER_MESSAGE_BYTES};
use crate::error::{Error, ErrorKind};
use crate::log::{log_at, Level};
use crate::retry;
use crate::transport::{millis, Method, RawResponse, RequestTemplate, Transport};

/// A client for the Avara API.
///
/// A `Client` is cheap to clone, and clones share one connection pool.
/// It is `Send` and `Sync`: one client may serve many threads at once, and
/// keep-alive connections are reused across calls.
#[derive(Debug, Clone)]
pub struct Client {
    transport: Arc<Transport>,
    settings: Arc<Settings>,
    /// The URL parts and header fields built from `settings`.
    template: Arc<RequestTemplate>,
}

impl Client {
    /// Creates a client. Options left unset are read from `AVARA_API_KEY`,
    /// `AVARA_BASE_URL` and `AVARA_CUSTOM_HEADERS`, then from the defaults.
    pub fn new(options: ClientOptions) -> Result<Client, Error> {
        Client::new_with_env(&options, &process_env)
    }

    pub(crate) fn new_with_env(
        options: &ClientOptions,
        env: EnvLookup<'_>,
    ) -> Result<Client, Error> {
        let settings = options.resolve(env)?;
        let transport = Transport::new(options, &settings, env)?;
        log_at!(
            Level::Debug,
            "created client for {} (timeout {} ms, connect timeout {} ms, max retries {})",
            settings.base_url,
            settings.timeout.as_millis(),
            settings.connect_timeout.as_millis(),
            settings.max_retries
        );
        Ok(Client {
            transport: Arc::new(transport),
            template: Arc::new(RequestTemplate::new(&settings)),
            settings: Arc::new(settings),
        })
    }

    /// Creates a client that shares this client's connection pool, proxy
    /// and TLS roots but applies `options` over this client's settings.
    /// Proxy and CA bundle options belong to the pool and are rejected.
    pub fn with_options(&self, options: &ClientOptions) -> Result<Client, Error> {
        if options.has_transport_options() {
            return Err(Error::invalid_argument(
                "options",
                "proxy and ca_bundle_file cannot change on a derived client because it shares the parent's connections; create a new client instead",
            ));
        }
        let settings = options.derive(&self.settings);
        Ok(Client {
            transport: Arc::clone(&self.transport),
            template: Arc::new(RequestTemplate::new(&settings)),
            settings: Arc::new(settings),
        })
    }

    /// The base URL requests go to, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.settings.base_url
    }

    /// Sends a JSON request to `path` (which starts with `/`), retrying as
    /// the official SDKs do, and decodes the body of the 2xx response with
    /// `decode`. A body that fails to decode is not retried.
    pub(crate) fn send_json<T>(
        &self,
        method: Method,
        path: &str,
        body: &[u8],
        decode: impl FnOnce(&[u8]) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let settings = &*self.settings;
        let max_attempts = settings.max_retries + 1;

        let mut attempt = 0;
        loop {
            attempt += 1;
            let started = Instant::now();
            log_at!(
                Level::Debug,
                "sending {} {path} (attempt {attempt} of {max_attempts})",
                method.as_str()
            );

            let outcome =
                self.transport
                    .send(settings, &self.template, method, path, body, attempt - 1);
            let elapsed = millis(started.elapsed());

            let (error, retryable, requested_wait) = match outcome {
                Ok(response) if (200..300).contains(&response.status) => {
                    log_at!(
                        Level::Info,
                        "{} {path} -> {} in {elapsed} ms (attempt {attempt})",
                        method.as_str(),
                        response.status
                    );
                    // The decoding error quotes the body, which may echo the key.
                    return decode(&response.body).map_err(|error| {
                        error
                            .with_response(response.status, response.request_id)
                            // Redacted before the cut, as in `status_error`.
                            .with_body(self.redact_body(&response.body).as_bytes())
                            .with_attempts(attempt, false)
                            .redacted(self.api_key())
                    });
                }
                Ok(response) => {
                    log_at!(
                        Level::Info,
                        "{} {path} -> {} in {elapsed} ms (attempt {attempt})",
                        method.as_str(),
                        response.status
                    );
                    let retryable = retry::should_retry_status(response.status, &response.hints);
                    let wait = retry::requested_wait(&response.hints, SystemTime::now());
                    (self.status_error(method, path, response), retryable, wait)
                }
                Err(error) => {
                    log_at!(
                        Level::Info,
                        "{} {path} failed in {elapsed} ms (attempt {attempt}): {error}",
                        method.as_str()
                    );
                    let retryable =
                        matches!(error.kind(), ErrorKind::Connection | ErrorKind::Timeout);
                    (error, retryable, None)
                }
            };

            if !retryable {
                return Err(error.with_attempts(attempt, false));
            }
            if attempt >= max_attempts {
                if settings.max_retries == 0 {
                    log_at!(
                        Level::Info,
                        "{} {path} failed, retries are off: {error}",
                        method.as_str()
                    );
                } else {
                    log_at!(
                        Level::Info,
                        "{} {path} failed after {attempt} attempts: {error}",
                        method.as_str()
                    );
                }
                return Err(error.with_attempts(attempt, settings.max_retries > 0));
            }

            let delay = retry::retry_delay(requested_wait, attempt - 1, retry::jitter());
            log_at!(
                Level::Info,
                "retrying {} {path} in {} ms (attempt {} of {max_attempts}) because: {error}",
                method.as_str(),
                delay.as_millis(),
                attempt + 1
            );
            std::thread::sleep(delay);
        }
    }

    /// Builds the error for a non-2xx response. The server's text is cut
    /// and scrubbed of the API key in case the server echoes it.
    fn status_error(&self, method: Method, path: &str, response: RawResponse) -> Error {
        // Redacting the body before the 1024-byte cut means a key that
        // straddles the cut leaves no fragment behind.
        let body = self.redact_body(&response.body);
        let mut server_message = server_message(body.as_bytes())
            .map(|text| self.redact(&text))
            .filter(|text| !text.is_empty());
        if (300..400).contains(&response.status) {
            let note = match response.location.as_deref() {
                Some(location) => format!(
                    "redirect to {} not followed; set the base URL to the final address",
                    self.redact(location)
                ),
                None => {
                    "redirect without a Location header not followed; check the base URL".to_owned()
                }
            };
            server_message = Some(match server_message {
                Some(text) => format!("{note} ({text})"),
                None => note,
            });
        }
        Error::from_response(
            method.as_str(),
            path,
            response.status,
            server_message,
            response.request_id.map(|id| self.redact(&id)),
        )
        .with_body(body.as_bytes())
    }

    /// Returns the API key, taken back out of the Authorization header.
    fn api_key(&self) -> &str {
        self.settings
            .authorization
            .strip_prefix("Bearer ")
            .unwrap_or_default()
    }

    /// Redacts the API key from a response body. A JSON body may spell the
    /// key with escapes such as `\u005f`, which a text search misses but a
    /// caller parsing the body would decode, so JSON strings are checked
    /// after decoding too.
    fn redact_body(&self, body: &[u8]) -> String {
        let text = self.redact(&String::from_utf8_lossy(body));
        let key = self.api_key();
        if key.is_empty() {
            return text;
        }
        let Ok(mut value) = serde_json::from_str::<serde_json::Value>(&text) else {
            return text;
        };
        if redact_json_strings(&mut value, key) {
            value.to_string()
        } else {
            text
        }
    }

    fn redact(&self, text: &str) -> String {
        let key = self.api_key();
        if key.is_empty() || !text.contains(key) {
            return text.to_owned();
        }
        text.replace(key, "<redacted>")
    }
}

/// Replaces `key` in every string and object key of `value`; returns true
/// when anything changed.
fn redact_json_strings(value: &mut serde_json::Value, key: &str) -> bool {
    use serde_json::Value;
    match value {
        Value::String(text) if text.contains(key) => {
            *text = text.replace(key, "<redacted>");
            true
        }
        Value::Array(items) => items.iter_mut().fold(false, |changed, item| {
            redact_json_strings(item, key) | changed
        }),
        Value::Object(map) => {
            let mut changed = false;
            let entries = std::mem::take(map);
            for (name, mut item) in entries {
                changed |= redact_json_strings(&mut item, key);
                let name = if name.contains(key) {
                    changed = true;
                    name.replace(key, "<redacted>")
                } else {
                    name
                };
                map.insert(name, item);
            }
            changed
        }
        _ => false,
    }
}

/// Extracts the server's explanation from an error body: the JSON
/// `message`, else `error`, else the text itself, cut at
/// [`MAX_SERVER_MESSAGE_BYTES`].
pub(crate) fn server_message(body: &[u8]) -> Option<String> {
    if body.is_empty() {
        return None;
    }
    let from_json = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|value| {
            ["message", "error"]
                .iter()
                .find_map(|field| match value.get(field)? {
                    serde_json::Value::String(text) => Some(text.clone()),
                    serde_json::Value::Null => None,
                    other => Some(other.to_string()),
                })
        });
    let text = from_json.unwrap_or_else(|| String::from_utf8_lossy(body).trim().to_owned());
    Some(cut_at_char_boundary(text, MAX_SERVER_MESSAGE_BYTES))
}

fn cut_at_char_boundary(mut text: String, max_bytes: usize) -> String {
    if text.len() <= max_bytes {
        return text;
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push_str("...");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_message_prefers_message_field() {
        let body = br#"{"message":"customer not found","error":"not_found"}"#;
        assert_eq!(server_message(body).as_deref(), Some("customer not found"));
        let body = br#"{"error":"not_found"}"#;
        assert_eq!(server_message(body).as_deref(), Some("not_found"));
        let body = br#"{"error":{"code":7}}"#;
        assert_eq!(server_message(body).as_deref(), Some(r#"{"code":7}"#));
        assert_eq!(
            server_message(b"  Bad Gateway \n").as_deref(),
            Some("Bad Gateway")
        );
        assert_eq!(server_message(b""), None);
    }

    #[test]
    fn server_message_cut() {
        let long = "é".repeat(2000);
        let text = server_message(long.as_bytes()).unwrap();
        assert!(text.len() <= MAX_SERVER_MESSAGE_BYTES + 3);
        assert!(text.ends_with("..."));
    }

    #[test]
    fn json_escaped_key_redacted() {
        let key = "sk_live_0123";
        let mut value: serde_json::Value = serde_json::from_str(
            r#"{"message":"bad sk\u005flive_0123","echo":{"sk_live_0123":[1,"sk_live_0123"]}}"#,
        )
        .unwrap();
        assert!(redact_json_strings(&mut value, key));
        let text = value.to_string();
        assert!(!text.contains(key), "{text}");
        assert_eq!(value["message"], "bad <redacted>");

        let mut clean: serde_json::Value = serde_json::from_str(r#"{"message":"fine"}"#).unwrap();
        assert!(!redact_json_strings(&mut clean, key));
    }
}
