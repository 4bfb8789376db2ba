//! The one error type of the core, and the categories it falls into.

use std::fmt;

/// The category of a failure. Each category maps to one status code of the
/// C API and to one exception class of the official Avara SDKs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A caller-supplied value is missing, malformed or out of range.
    InvalidArgument,
    /// No API key was passed and `AVARA_API_KEY` is unset or empty.
    MissingApiKey,
    /// The TCP connection, the TLS handshake or the exchange failed before
    /// a complete response arrived.
    Connection,
    /// A connect or request timeout fired.
    Timeout,
    /// HTTP 400.
    BadRequest,
    /// HTTP 401.
    Authentication,
    /// HTTP 403.
    PermissionDenied,
    /// HTTP 404.
    NotFound,
    /// HTTP 409.
    Conflict,
    /// HTTP 422.
    UnprocessableEntity,
    /// HTTP 429.
    RateLimited,
    /// HTTP 500 or above.
    InternalServer,
    /// Any other status outside 2xx, redirects included.
    OtherStatus,
    /// A 2xx response whose body is not the documented JSON object.
    InvalidResponse,
    /// A bug inside the library, such as a caught panic.
    Internal,
}

impl ErrorKind {
    /// Maps a non-2xx HTTP status to its category.
    pub fn from_http_status(status: u16) -> ErrorKind {
        match status {
            400 => ErrorKind::BadRequest,
            401 => ErrorKind::Authentication,
            403 => ErrorKind::PermissionDenied,
            404 => ErrorKind::NotFound,
            409 => ErrorKind::Conflict,
            422 => ErrorKind::UnprocessableEntity,
            429 => ErrorKind::RateLimited,
            500.. => ErrorKind::InternalServer,
            _ => ErrorKind::OtherStatus,
        }
    }
}

/// Most bytes of a failed response's body kept in [`Error::body`].
pub(crate) const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// Everything known about one failed operation.
///
/// `Display` gives a complete, human-readable message. The accessors give
/// the parts separately, for callers that branch on them. No field ever
/// contains the API key.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    kind: ErrorKind,
    message: String,
    http_status: u16,
    server_message: Option<String>,
    body: Option<String>,
    request_id: Option<String>,
    attempts: u32,
    retries_exhausted: bool,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            http_status: 0,
            server_message: None,
            body: None,
            request_id: None,
            attempts: 0,
            retries_exhausted: false,
        }
    }

    /// Builds an invalid-argument error for the parameter `name`.
    pub(crate) fn invalid_argument(name: &str, reason: impl fmt::Display) -> Error {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("invalid {name}: {reason}"),
        )
    }

    pub(crate) fn missing_api_key() -> Error {
        Error::new(
            ErrorKind::MissingApiKey,
            "missing API key: pass it to the client (api_key) or set the AVARA_API_KEY environment variable",
        )
    }

    /// Builds the error for a non-2xx response.
    pub(crate) fn from_response(
        method: &str,
        path: &str,
        http_status: u16,
        server_message: Option<String>,
        request_id: Option<String>,
    ) -> Error {
        let kind = ErrorKind::from_http_status(http_status);
        let mut message = format!("{method} {path} failed with HTTP {http_status}");
        if let Some(text) = &server_message {
            message.push_str(": ");
            message.push_str(text);
        }
        if let Some(id) = &request_id {
            message.push_str(&format!(" (request id {id})"));
        }
        Error {
            http_status,
            server_message,
            request_id,
            ..Error::new(kind, message)
        }
    }

    pub(crate) fn internal(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Internal, message)
    }

    /// Records the response a decoding error came from.
    pub(crate) fn with_response(mut self, http_status: u16, request_id: Option<String>) -> Error {
        self.http_status = http_status;
        self.request_id = request_id;
        self
    }

    /// Keeps the response body as text (invalid UTF-8 replaced), cut at
    /// [`MAX_ERROR_BODY_BYTES`]; an empty body is kept as `None`.
    pub(crate) fn with_body(mut self, body: &[u8]) -> Error {
        if !body.is_empty() {
            let text = String::from_utf8_lossy(&body[..body.len().min(MAX_ERROR_BODY_BYTES)]);
            self.body = Some(text.into_owned());
        }
        self
    }

    /// Records how many attempts the request took and whether the retry
    /// budget ran out before a success.
    pub(crate) fn with_attempts(mut self, attempts: u32, retries_exhausted: bool) -> Error {
        self.attempts = attempts;
        self.retries_exhausted = retries_exhausted;
        if retries_exhausted {
            self.message
                .push_str(&format!(" (gave up after {attempts} attempts)"));
        }
        self
    }

    /// Replaces every occurrence of `secret` in the message, the server
    /// message and the request id with `<redacted>`.
    pub(crate) fn redacted(mut self, secret: &str) -> Error {
        if secret.is_empty() {
            return self;
        }
        let texts = [
            Some(&mut self.message),
            self.server_message.as_mut(),
            self.body.as_mut(),
            self.request_id.as_mut(),
        ];
        for text in texts.into_iter().flatten() {
            if text.contains(secret) {
                *text = text.replace(secret, "<redacted>");
            }
        }
        self
    }

    /// Returns the category of the failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Returns the full message, the same text as `Display`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Returns the HTTP status of the last response, or 0 when no response
    /// arrived.
    pub fn http_status(&self) -> u16 {
        self.http_status
    }

    /// Returns the server's own explanation: the JSON body's `message`, else its
    /// `error`, else the body text, cut at 1024 bytes.
    pub fn server_message(&self) -> Option<&str> {
        self.server_message.as_deref()
    }

    /// Returns the body of the failed response as text, cut at 64 KiB, or `None`
    /// when there was no response or it had no body.
    pub fn body(&self) -> Option<&str> {
        self.body.as_deref()
    }

    /// Returns the `x-request-id` header of the last response, when present.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// Returns how many HTTP attempts were made; 0 when the request was rejected
    /// before any traffic.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// True when the last attempt failed with a retryable error and no
    /// retries were left.
    pub fn retries_exhausted(&self) -> bool {
        self.retries_exhausted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_status_categories() {
        let cases = [
            (400, ErrorKind::BadRequest),
            (401, ErrorKind::Authentication),
            (403, ErrorKind::PermissionDenied),
            (404, ErrorKind::NotFound),
            (409, ErrorKind::Conflict),
            (422, ErrorKind::UnprocessableEntity),
            (429, ErrorKind::RateLimited),
            (500, ErrorKind::InternalServer),
            (503, ErrorKind::InternalServer),
            (599, ErrorKind::InternalServer),
            (302, ErrorKind::OtherStatus),
            (408, ErrorKind::OtherStatus),
            (418, ErrorKind::OtherStatus),
        ];
        for (status, kind) in cases {
            assert_eq!(ErrorKind::from_http_status(status), kind, "HTTP {status}");
        }
    }

    #[test]
    fn response_error_message_has_parts() {
        let error = Error::from_response(
            "POST",
            "/v1/express/cus_1/users",
            404,
            Some("Express customer cus_1 not found".into()),
            Some("req_7".into()),
        );
        assert_eq!(error.kind(), ErrorKind::NotFound);
        assert_eq!(error.http_status(), 404);
        assert!(error.message().contains("HTTP 404"));
        assert!(error.message().contains("Express customer cus_1 not found"));
        assert!(error.message().contains("req_7"));
    }

    #[test]
    fn redacted_scrubs_every_text() {
        let error = Error::from_response(
            "POST",
            "/v1/express/cus_1/users",
            400,
            Some("bad key sk_secret".into()),
            Some("req_sk_secret".into()),
        )
        .redacted("sk_secret");
        assert!(!format!("{error:?}").contains("sk_secret"), "{error:?}");
        assert_eq!(error.server_message(), Some("bad key <redacted>"));
        assert_eq!(error.request_id(), Some("req_<redacted>"));
    }

    #[test]
    fn exhausted_retries_noted_in_message() {
        let error = Error::new(ErrorKind::Timeout, "timed out").with_attempts(3, true);
        assert_eq!(error.attempts(), 3);
        assert!(error.retries_exhausted());
        assert!(error.message().ends_with("(gave up after 3 attempts)"));
    }
}
