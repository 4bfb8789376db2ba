//! HTTP/1.1 request parsing (RFC 9112) from a buffered reader.
//!
//! A connection reuses one [`Request`] for all its requests, so parsing a
//! request allocates nothing once the buffers have grown to fit.

use std::io::{self, BufRead, Read};
use std::ops::Range;

/// Maximum size of the request line plus all header lines (and, for chunked
/// bodies, of the trailer section). Larger requests get 431 or 414.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Maximum decoded request body size. Larger bodies get 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Maximum length of one chunk-size line, extensions included.
const MAX_CHUNK_LINE_BYTES: usize = 4096;

/// Reason a complete request could not be read.
#[derive(Debug)]
pub(crate) enum ParseError {
    /// The peer closed the connection cleanly between requests.
    Closed,
    /// Reading failed, timed out, or the peer closed the connection in the
    /// middle of a request.
    Io(io::Error),
    /// The request line alone is longer than [`MAX_HEAD_BYTES`] (414).
    UriTooLong,
    /// The request line and headers are longer than [`MAX_HEAD_BYTES`] (431).
    HeadersTooLarge,
    /// The body is longer than [`MAX_BODY_BYTES`] (413).
    BodyTooLarge,
    /// The request breaks HTTP/1.1 syntax (400). The message names the rule.
    BadRequest(&'static str),
    /// The request uses a transfer coding other than chunked (501).
    NotImplemented(&'static str),
    /// The request line names an HTTP version other than 1.0 or 1.1 (505).
    VersionNotSupported,
}

impl From<io::Error> for ParseError {
    fn from(error: io::Error) -> Self {
        ParseError::Io(error)
    }
}

/// HTTP version of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    Http10,
    Http11,
}

/// Framing of a request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyFraming {
    None,
    Length(usize),
    Chunked,
}

/// One parsed request. Method, target and headers are ranges into `head`.
#[derive(Debug)]
pub(crate) struct Request {
    /// Request line and header lines as received, line endings included.
    pub head: Vec<u8>,
    /// Decoded body (chunk framing removed).
    pub body: Vec<u8>,
    pub version: Version,
    /// False when the connection must close after the response.
    pub keep_alive: bool,
    /// True when the client sent `Expect: 100-continue`.
    pub expects_continue: bool,
    method: Range<usize>,
    target: Range<usize>,
    headers: Vec<(Range<usize>, Range<usize>)>,
    line: Vec<u8>,
}

impl Request {
    pub fn new() -> Self {
        Request {
            head: Vec::with_capacity(1024),
            body: Vec::with_capacity(1024),
            version: Version::Http11,
            keep_alive: true,
            expects_continue: false,
            method: 0..0,
            target: 0..0,
            headers: Vec::with_capacity(16),
            line: Vec::with_capacity(64),
        }
    }

    pub fn method(&self) -> &str {
        // The parser accepts only token characters in the method.
        std::str::from_utf8(&self.head[self.method.clone()]).unwrap_or("")
    }

    /// Request target as received, query included.
    pub fn target(&self) -> &str {
        // The parser accepts only visible ASCII in the target.
        std::str::from_utf8(&self.head[self.target.clone()]).unwrap_or("")
    }

    /// Path of the request target, without the query. For an absolute-form
    /// target (`http://host/path`) this is the part after the authority.
    pub fn path(&self) -> &str {
        let mut target = self.target();
        if let Some(after_scheme) = strip_http_scheme(target) {
            target = match after_scheme.find('/') {
                Some(start) => &after_scheme[start..],
                None => "/",
            };
        }
        match target.find('?') {
            Some(end) => &target[..end],
            None => target,
        }
    }

    /// Returns the value of the first header named `name` (compared without
    /// regard to case), with surrounding whitespace removed.
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(name_range, _)| {
                self.head[name_range.clone()].eq_ignore_ascii_case(name.as_bytes())
            })
            .map(|(_, value_range)| &self.head[value_range.clone()])
    }

    /// Returns the values of every header named `name`, in order.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers
            .iter()
            .filter_map(move |(name_range, value_range)| {
                let candidate = &self.head[name_range.clone()];
                if candidate.eq_ignore_ascii_case(name.as_bytes()) {
                    Some(&self.head[value_range.clone()])
                } else {
                    None
                }
            })
    }

    fn clear(&mut self) {
        self.head.clear();
        self.body.clear();
        self.headers.clear();
        self.version = Version::Http11;
        self.keep_alive = true;
        self.expects_continue = false;
        self.method = 0..0;
        self.target = 0..0;
    }
}

/// Reads and parses the request line and headers of the next request.
///
/// Returns how the body is framed; read it with [`read_body`]. On any error
/// except [`ParseError::Closed`] the caller should send an error response (if it
/// can) and close
/// the connection, because the stream position is no longer known.
pub(crate) fn read_head<R: BufRead>(
    reader: &mut R,
    request: &mut Request,
) -> Result<BodyFraming, ParseError> {
    request.clear();
    let mut budget = MAX_HEAD_BYTES;

    // RFC 9112 section 2.2: a server should ignore empty lines received
    // before the request line.
    let line_start = loop {
        let start = request.head.len();
        match read_line(reader, &mut request.head, budget) {
            Ok(0) if request.head.is_empty() => return Err(ParseError::Closed),
            Ok(0) => return Err(unexpected_eof()),
            Ok(length) => budget -= length,
            Err(LineError::TooLong) => return Err(ParseError::UriTooLong),
            Err(LineError::Io(error)) => return Err(error.into()),
        }
        if trim_line_ending(&request.head[start..]).is_empty() {
            request.head.truncate(start);
            continue;
        }
        break start;
    };
    parse_request_line(request, line_start)?;

    loop {
        let start = request.head.len();
        match read_line(reader, &mut request.head, budget) {
            Ok(0) => return Err(unexpected_eof()),
            Ok(length) => budget -= length,
            Err(LineError::TooLong) => return Err(ParseError::HeadersTooLarge),
            Err(LineError::Io(error)) => return Err(error.into()),
        }
        let line = trim_line_ending(&request.head[start..]);
        if line.is_empty() {
            break;
        }
        let header = parse_header_line(line, start)?;
        request.headers.push(header);
    }

    interpret_headers(request)
}

/// Reads the body announced by `framing` into `request.body`.
pub(crate) fn read_body<R: BufRead>(
    reader: &mut R,
    request: &mut Request,
    framing: BodyFraming,
) -> Result<(), ParseError> {
    match framing {
        BodyFraming::None => Ok(()),
        BodyFraming::Length(length) => {
            request.body.resize(length, 0);
            reader.read_exact(&mut request.body)?;
            Ok(())
        }
        BodyFraming::Chunked => read_chunked_body(reader, request),
    }
}

fn read_chunked_body<R: BufRead>(reader: &mut R, request: &mut Request) -> Result<(), ParseError> {
    loop {
        request.line.clear();
        match read_line(reader, &mut request.line, MAX_CHUNK_LINE_BYTES) {
            Ok(0) => return Err(unexpected_eof()),
            Ok(_) => {}
            Err(LineError::TooLong) => {
                return Err(ParseError::BadRequest("chunk-size line is too long"))
            }
            Err(LineError::Io(error)) => return Err(error.into()),
        }
        let size = parse_chunk_size(trim_line_ending(&request.line))?;
        if size == 0 {
            return skip_trailers(reader, &mut request.line);
        }
        if size > MAX_BODY_BYTES - request.body.len() {
            return Err(ParseError::BodyTooLarge);
        }

        let start = request.body.len();
        request.body.resize(start + size, 0);
        reader.read_exact(&mut request.body[start..])?;

        request.line.clear();
        match read_line(reader, &mut request.line, 2) {
            Ok(0) => return Err(unexpected_eof()),
            Ok(_) if trim_line_ending(&request.line).is_empty() => {}
            _ => return Err(ParseError::BadRequest("chunk data is not followed by CRLF")),
        }
    }
}

/// Parses a chunk-size line: hex digits, then optional whitespace and
/// `;extension` parts, which are ignored.
fn parse_chunk_size(line: &[u8]) -> Result<usize, ParseError> {
    let digits_end = line
        .iter()
        .position(|b| !b.is_ascii_hexdigit())
        .unwrap_or(line.len());
    if digits_end == 0 {
        return Err(ParseError::BadRequest("chunk size is not a hex number"));
    }
    let rest = &line[digits_end..];
    let rest = trim_start_whitespace(rest);
    if !rest.is_empty() && rest[0] != b';' {
        return Err(ParseError::BadRequest("chunk size is not a hex number"));
    }

    let mut size: usize = 0;
    for &byte in &line[..digits_end] {
        let digit = (byte as char).to_digit(16).unwrap_or(0) as usize;
        size = size
            .checked_mul(16)
            .and_then(|value| value.checked_add(digit))
            .ok_or(ParseError::BodyTooLarge)?;
    }
    Ok(size)
}

/// Reads the trailer section after the last chunk and discards it.
fn skip_trailers<R: BufRead>(reader: &mut R, line: &mut Vec<u8>) -> Result<(), ParseError> {
    let mut budget = MAX_HEAD_BYTES;
    loop {
        line.clear();
        match read_line(reader, line, budget) {
            Ok(0) => return Err(unexpected_eof()),
            Ok(length) => budget -= length,
            Err(LineError::TooLong) => return Err(ParseError::HeadersTooLarge),
            Err(LineError::Io(error)) => return Err(error.into()),
        }
        if trim_line_ending(line).is_empty() {
            return Ok(());
        }
    }
}

enum LineError {
    TooLong,
    Io(io::Error),
}

/// Appends one line, `\n` included, to `buffer`, reading at most `limit`
/// bytes. Returns the number of bytes appended; 0 means end of stream.
fn read_line<R: BufRead>(
    reader: &mut R,
    buffer: &mut Vec<u8>,
    limit: usize,
) -> Result<usize, LineError> {
    let mut limited = reader.take(limit as u64);
    let length = limited.read_until(b'\n', buffer).map_err(LineError::Io)?;
    if length > 0 && buffer.last() != Some(&b'\n') {
        if length == limit {
            return Err(LineError::TooLong);
        }
        return Err(LineError::Io(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed in the middle of a line",
        )));
    }
    Ok(length)
}

fn unexpected_eof() -> ParseError {
    ParseError::Io(io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "connection closed in the middle of a request",
    ))
}

/// Strips `\r\n` or a bare `\n` (which RFC 9112 allows a recipient to accept).
fn trim_line_ending(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn trim_start_whitespace(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(bytes.len());
    &bytes[start..]
}

fn trim_whitespace(bytes: &[u8]) -> &[u8] {
    let bytes = trim_start_whitespace(bytes);
    let end = bytes
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(0, |position| position + 1);
    &bytes[..end]
}

/// Returns true for the `tchar` set of RFC 9110 section 5.6.2.
fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

fn parse_request_line(request: &mut Request, start: usize) -> Result<(), ParseError> {
    let line = trim_line_ending(&request.head[start..]);
    let end = start + line.len();

    let mut parts = line.splitn(3, |&b| b == b' ');
    let method = parts.next().unwrap_or_default();
    let target = parts.next().ok_or(ParseError::BadRequest(
        "request line must be METHOD TARGET VERSION",
    ))?;
    let version = parts.next().ok_or(ParseError::BadRequest(
        "request line must be METHOD TARGET VERSION",
    ))?;

    if method.is_empty() || !method.iter().all(|&b| is_token_byte(b)) {
        return Err(ParseError::BadRequest("invalid method in request line"));
    }
    if target.is_empty() || !target.iter().all(|b| b.is_ascii_graphic()) {
        return Err(ParseError::BadRequest("invalid request target"));
    }
    let is_absolute_form =
        std::str::from_utf8(target).is_ok_and(|text| strip_http_scheme(text).is_some());
    if target[0] != b'/' && target != b"*" && !is_absolute_form {
        return Err(ParseError::BadRequest(
            "request target must be a path such as /v1/... or an http:// URL",
        ));
    }
    request.version = match version {
        b"HTTP/1.1" => Version::Http11,
        b"HTTP/1.0" => Version::Http10,
        _ if version.len() == 8 && version.starts_with(b"HTTP/") => {
            return Err(ParseError::VersionNotSupported)
        }
        _ => {
            return Err(ParseError::BadRequest(
                "invalid HTTP version in request line",
            ))
        }
    };

    request.method = start..start + method.len();
    let target_start = start + method.len() + 1;
    request.target = target_start..target_start + target.len();
    debug_assert_eq!(request.target.end + 1 + version.len(), end);
    Ok(())
}

/// Returns the rest of `target` after `http://` or `https://` (scheme
/// compared without regard to case), or None for other targets.
fn strip_http_scheme(target: &str) -> Option<&str> {
    ["http://", "https://"].iter().find_map(|scheme| {
        let head = target.get(..scheme.len())?;
        if head.eq_ignore_ascii_case(scheme) {
            Some(&target[scheme.len()..])
        } else {
            None
        }
    })
}

/// Parses `name: value` at `offset` in the head into ranges.
fn parse_header_line(
    line: &[u8],
    offset: usize,
) -> Result<(Range<usize>, Range<usize>), ParseError> {
    if line[0] == b' ' || line[0] == b'\t' {
        return Err(ParseError::BadRequest(
            "obsolete header line folding is not supported",
        ));
    }
    let colon = line
        .iter()
        .position(|&b| b == b':')
        .ok_or(ParseError::BadRequest("header line has no colon"))?;
    let name = &line[..colon];
    if name.is_empty() || !name.iter().all(|&b| is_token_byte(b)) {
        return Err(ParseError::BadRequest("invalid header name"));
    }

    let raw_value = &line[colon + 1..];
    let value = trim_whitespace(raw_value);
    if value.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Err(ParseError::BadRequest(
            "header value contains a control character",
        ));
    }
    let leading = raw_value.len() - trim_start_whitespace(raw_value).len();
    let value_start = offset + colon + 1 + leading;
    Ok((
        offset..offset + colon,
        value_start..value_start + value.len(),
    ))
}

/// Returns true when the comma-separated header values contain `token`.
fn has_token<'a>(mut values: impl Iterator<Item = &'a [u8]>, token: &str) -> bool {
    values.any(|value| {
        value
            .split(|&b| b == b',')
            .any(|item| trim_whitespace(item).eq_ignore_ascii_case(token.as_bytes()))
    })
}

/// Derives body framing, persistence and `Expect` from the parsed headers.
fn interpret_headers(request: &mut Request) -> Result<BodyFraming, ParseError> {
    if request.version == Version::Http11 {
        let mut hosts = request.headers_named("host");
        if hosts.next().is_none() {
            return Err(ParseError::BadRequest(
                "HTTP/1.1 request has no Host header",
            ));
        }
        if hosts.next().is_some() {
            return Err(ParseError::BadRequest(
                "request has more than one Host header",
            ));
        }
    }

    request.keep_alive = match request.version {
        Version::Http11 => !has_token(request.headers_named("connection"), "close"),
        Version::Http10 => {
            has_token(request.headers_named("connection"), "keep-alive")
                && !has_token(request.headers_named("connection"), "close")
        }
    };
    request.expects_continue = request.version == Version::Http11
        && request
            .headers_named("expect")
            .any(|value| value.eq_ignore_ascii_case(b"100-continue"));

    let framing = body_framing(request)?;
    if framing == BodyFraming::None {
        request.expects_continue = false;
    }
    Ok(framing)
}

fn body_framing(request: &Request) -> Result<BodyFraming, ParseError> {
    let mut codings = request
        .headers_named("transfer-encoding")
        .flat_map(|value| value.split(|&b| b == b','))
        .map(trim_whitespace)
        .filter(|coding| !coding.is_empty())
        .peekable();
    if codings.peek().is_some() {
        // RFC 9112 section 6.1: a sender must not combine the two, and a
        // server may reject such a request because it invites smuggling.
        if request.header("content-length").is_some() {
            return Err(ParseError::BadRequest(
                "request has both Transfer-Encoding and Content-Length",
            ));
        }
        if request.version == Version::Http10 {
            return Err(ParseError::BadRequest(
                "HTTP/1.0 request uses Transfer-Encoding",
            ));
        }
        let first = codings.next().unwrap_or_default();
        if codings.next().is_some() || !first.eq_ignore_ascii_case(b"chunked") {
            return Err(ParseError::NotImplemented(
                "only the chunked transfer coding is supported",
            ));
        }
        return Ok(BodyFraming::Chunked);
    }

    let mut length: Option<usize> = None;
    for value in request.headers_named("content-length") {
        for item in value.split(|&b| b == b',') {
            let parsed = parse_content_length(trim_whitespace(item))?;
            if length.is_some_and(|previous| previous != parsed) {
                return Err(ParseError::BadRequest("conflicting Content-Length values"));
            }
            length = Some(parsed);
        }
    }
    match length {
        None | Some(0) => Ok(BodyFraming::None),
        Some(length) if length > MAX_BODY_BYTES => Err(ParseError::BodyTooLarge),
        Some(length) => Ok(BodyFraming::Length(length)),
    }
}

fn parse_content_length(text: &[u8]) -> Result<usize, ParseError> {
    if text.is_empty() || !text.iter().all(u8::is_ascii_digit) {
        return Err(ParseError::BadRequest(
            "Content-Length is not a decimal number",
        ));
    }
    let mut length: usize = 0;
    for &digit in text {
        length = match length
            .checked_mul(10)
            .and_then(|value| value.checked_add(usize::from(digit - b'0')))
        {
            Some(value) => value,
            // Any value this large is over the body limit anyway.
            None => return Err(ParseError::BodyTooLarge),
        };
    }
    Ok(length)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses one complete request from `reader`.
    fn parse(reader: &mut &[u8]) -> Result<Request, ParseError> {
        let mut request = Request::new();
        let framing = read_head(reader, &mut request)?;
        read_body(reader, &mut request, framing)?;
        Ok(request)
    }

    fn parse_error(bytes: &[u8]) -> ParseError {
        let mut reader = bytes;
        match parse(&mut reader) {
            Ok(request) => panic!("expected an error, parsed {request:?}"),
            Err(error) => error,
        }
    }

    #[test]
    fn parses_request_line_and_headers() {
        let mut reader: &[u8] = b"GET /v1/x?y=1 HTTP/1.1\r\nHost: a\r\nX-Test:  two words \r\n\r\n";
        let request = parse(&mut reader).unwrap();
        assert_eq!(request.method(), "GET");
        assert_eq!(request.target(), "/v1/x?y=1");
        assert_eq!(request.path(), "/v1/x");
        assert_eq!(request.header("x-test"), Some(&b"two words"[..]));
        assert_eq!(request.header("HOST"), Some(&b"a"[..]));
        assert!(request.keep_alive);
        assert!(request.body.is_empty());
    }

    #[test]
    fn reads_content_length_body() {
        let mut reader: &[u8] =
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloEXTRA";
        let request = parse(&mut reader).unwrap();
        assert_eq!(request.body, b"hello");
        assert_eq!(reader, b"EXTRA");
    }

    #[test]
    fn reads_chunked_body_with_extensions_and_trailers() {
        let mut reader: &[u8] = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\
            5\r\nhello\r\n6;name=value\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT";
        let request = parse(&mut reader).unwrap();
        assert_eq!(request.body, b"hello world");
        assert_eq!(reader, b"NEXT");
    }

    #[test]
    fn reads_chunked_body_with_upper_hex_size() {
        let body = vec![b'x'; 0x1A];
        let mut bytes =
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n1A\r\n".to_vec();
        bytes.extend_from_slice(&body);
        bytes.extend_from_slice(b"\r\n0\r\n\r\n");
        let request = parse(&mut bytes.as_slice()).unwrap();
        assert_eq!(request.body, body);
    }

    #[test]
    fn parses_pipelined_requests() {
        let mut reader: &[u8] = b"POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nab\
            DELETE /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nc\r\n0\r\n\r\n\
            GET /c HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
        let mut request = Request::new();

        let framing = read_head(&mut reader, &mut request).unwrap();
        read_body(&mut reader, &mut request, framing).unwrap();
        assert_eq!((request.method(), request.target()), ("POST", "/a"));
        assert_eq!(request.body, b"ab");

        let framing = read_head(&mut reader, &mut request).unwrap();
        read_body(&mut reader, &mut request, framing).unwrap();
        assert_eq!((request.method(), request.target()), ("DELETE", "/b"));
        assert_eq!(request.body, b"c");

        let framing = read_head(&mut reader, &mut request).unwrap();
        assert_eq!(framing, BodyFraming::None);
        assert_eq!((request.method(), request.target()), ("GET", "/c"));
        assert!(!request.keep_alive);

        assert!(matches!(
            read_head(&mut reader, &mut request),
            Err(ParseError::Closed)
        ));
    }

    #[test]
    fn absolute_form_target_has_path() {
        let mut reader: &[u8] = b"GET HTTP://host:80/v1/x?q HTTP/1.1\r\nHost: host\r\n\r\n";
        let request = parse(&mut reader).unwrap();
        assert_eq!(request.target(), "HTTP://host:80/v1/x?q");
        assert_eq!(request.path(), "/v1/x");
    }

    #[test]
    fn accepts_bare_lf_and_leading_empty_line() {
        let mut reader: &[u8] = b"\r\nGET / HTTP/1.1\nHost: a\n\n";
        let request = parse(&mut reader).unwrap();
        assert_eq!(request.method(), "GET");
        assert_eq!(request.header("host"), Some(&b"a"[..]));
    }

    #[test]
    fn rejects_oversized_headers() {
        let mut bytes = b"GET / HTTP/1.1\r\nHost: a\r\n".to_vec();
        while bytes.len() <= MAX_HEAD_BYTES {
            bytes.extend_from_slice(b"X-Padding: 0123456789012345678901234567890123456789\r\n");
        }
        bytes.extend_from_slice(b"\r\n");
        assert!(matches!(parse_error(&bytes), ParseError::HeadersTooLarge));
    }

    #[test]
    fn rejects_oversized_single_header() {
        let mut bytes = b"GET / HTTP/1.1\r\nHost: a\r\nX-Big: ".to_vec();
        bytes.resize(bytes.len() + MAX_HEAD_BYTES, b'a');
        bytes.extend_from_slice(b"\r\n\r\n");
        assert!(matches!(parse_error(&bytes), ParseError::HeadersTooLarge));
    }

    #[test]
    fn accepts_headers_just_under_limit() {
        let mut bytes = b"GET / HTTP/1.1\r\nHost: a\r\nX-Big: ".to_vec();
        let padding = MAX_HEAD_BYTES - bytes.len() - 4;
        bytes.resize(bytes.len() + padding, b'a');
        bytes.extend_from_slice(b"\r\n\r\n");
        assert_eq!(bytes.len(), MAX_HEAD_BYTES);
        assert!(parse(&mut bytes.as_slice()).is_ok());
    }

    #[test]
    fn rejects_oversized_request_line() {
        let mut bytes = b"GET /".to_vec();
        bytes.resize(MAX_HEAD_BYTES + 10, b'a');
        bytes.extend_from_slice(b" HTTP/1.1\r\nHost: a\r\n\r\n");
        assert!(matches!(parse_error(&bytes), ParseError::UriTooLong));
    }

    #[test]
    fn rejects_oversized_content_length() {
        let bytes = format!(
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: {}\r\n\r\n",
            MAX_BODY_BYTES + 1
        );
        assert!(matches!(
            parse_error(bytes.as_bytes()),
            ParseError::BodyTooLarge
        ));
        let huge = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n";
        assert!(matches!(parse_error(huge), ParseError::BodyTooLarge));
    }

    #[test]
    fn rejects_oversized_chunked_body() {
        let mut bytes =
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        let chunk = vec![b'x'; 0x10000];
        for _ in 0..=(MAX_BODY_BYTES / chunk.len()) {
            bytes.extend_from_slice(b"10000\r\n");
            bytes.extend_from_slice(&chunk);
            bytes.extend_from_slice(b"\r\n");
        }
        bytes.extend_from_slice(b"0\r\n\r\n");
        assert!(matches!(parse_error(&bytes), ParseError::BodyTooLarge));
        let overflow = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n";
        assert!(matches!(parse_error(overflow), ParseError::BodyTooLarge));
    }

    #[test]
    fn rejects_malformed_requests() {
        let cases: [&[u8]; 12] = [
            b"GET /\r\nHost: a\r\n\r\n",
            b"GET / HTTP/1.1 extra\r\nHost: a\r\n\r\n",
            b"G(T / HTTP/1.1\r\nHost: a\r\n\r\n",
            b"GET ftp://example.com/ HTTP/1.1\r\nHost: a\r\n\r\n",
            b"GET / HTTP/1.1\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\nX-Folded: a\r\n b\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\nBad Name: a\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 2\r\n\r\nab",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        ];
        for case in cases {
            let error = parse_error(case);
            assert!(
                matches!(error, ParseError::BadRequest(_)),
                "{:?} gave {error:?}",
                String::from_utf8_lossy(case)
            );
        }
    }

    #[test]
    fn rejects_unknown_transfer_coding() {
        let bytes = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n";
        assert!(matches!(parse_error(bytes), ParseError::NotImplemented(_)));
    }

    #[test]
    fn rejects_unsupported_version() {
        let bytes = b"GET / HTTP/2.0\r\nHost: a\r\n\r\n";
        assert!(matches!(
            parse_error(bytes),
            ParseError::VersionNotSupported
        ));
    }

    #[test]
    fn reports_truncated_request_as_io_error() {
        let cases: [&[u8]; 3] = [
            b"GET / HTTP/1.1\r\nHost: a\r\n",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nshort",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
        ];
        for case in cases {
            let error = parse_error(case);
            assert!(matches!(error, ParseError::Io(_)), "{error:?}");
        }
    }

    #[test]
    fn http10_closes_unless_keep_alive() {
        let mut reader: &[u8] = b"GET / HTTP/1.0\r\n\r\n";
        assert!(!parse(&mut reader).unwrap().keep_alive);
        let mut reader: &[u8] = b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n";
        assert!(parse(&mut reader).unwrap().keep_alive);
    }

    #[test]
    fn connection_close_token_in_list() {
        let mut reader: &[u8] = b"GET / HTTP/1.1\r\nHost: a\r\nConnection: TE, close\r\n\r\n";
        assert!(!parse(&mut reader).unwrap().keep_alive);
    }

    #[test]
    fn expect_continue_only_with_body() {
        let mut reader: &[u8] =
            b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\nx";
        assert!(parse(&mut reader).unwrap().expects_continue);
        let mut reader: &[u8] = b"GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n";
        assert!(!parse(&mut reader).unwrap().expects_continue);
    }
}
