//! The log of received API requests.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::request::Request;
use crate::script::lock;

/// Number of requests the log keeps; older ones are dropped first.
pub const MAX_RECORDED_REQUESTS: usize = 10_000;

/// One API request as the mock received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    /// Request target exactly as received, query and percent-escapes included.
    pub path: String,
    /// Header names and values in received order, names in received case.
    /// Bytes that are not UTF-8 are replaced with U+FFFD.
    pub headers: Vec<(String, String)>,
    /// Body after removing any chunked framing.
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// Returns the value of the first header named `name`, compared without
    /// regard to case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(candidate, _)| candidate.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Returns the body as text, with invalid UTF-8 replaced.
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Builds the public form from a raw head that the parser accepted.
    fn from_raw(head: &[u8], body: &[u8]) -> Self {
        let mut lines = head
            .split(|&b| b == b'\n')
            .map(|line| line.strip_suffix(b"\r").unwrap_or(line));
        let request_line = lines.next().unwrap_or_default();
        let mut parts = request_line.splitn(3, |&b| b == b' ');
        let method = lossy(parts.next().unwrap_or_default());
        let path = lossy(parts.next().unwrap_or_default());

        let headers = lines
            .filter(|line| !line.is_empty())
            .filter_map(|line| {
                let colon = line.iter().position(|&b| b == b':')?;
                let value = lossy(&line[colon + 1..]);
                Some((
                    lossy(&line[..colon]),
                    value.trim_matches([' ', '\t']).to_owned(),
                ))
            })
            .collect();

        RecordedRequest {
            method,
            path,
            headers,
            body: body.to_vec(),
        }
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// JSON form for `GET /__mock/requests`: headers as `[name, value]` pairs and
/// the body as lossy UTF-8 text.
impl Serialize for RecordedRequest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("RecordedRequest", 4)?;
        state.serialize_field("method", &self.method)?;
        state.serialize_field("path", &self.path)?;
        state.serialize_field("headers", &self.headers)?;
        state.serialize_field("body", &String::from_utf8_lossy(&self.body))?;
        state.end()
    }
}

/// Raw copy of a request's head and body, parsed only when read back.
#[derive(Debug, Default)]
struct RawRequest {
    head: Vec<u8>,
    body: Vec<u8>,
}

/// Bounded log of raw requests. Once full, recording reuses the buffers of
/// the evicted oldest entry, so long runs stop allocating for the log.
#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    entries: Mutex<VecDeque<RawRequest>>,
}

impl RequestLog {
    pub fn record(&self, request: &Request) {
        let mut entries = lock(&self.entries);
        let mut entry = if entries.len() >= MAX_RECORDED_REQUESTS {
            entries.pop_front().unwrap_or_default()
        } else {
            RawRequest::default()
        };
        entry.head.clear();
        entry.head.extend_from_slice(&request.head);
        entry.body.clear();
        entry.body.extend_from_slice(&request.body);
        entries.push_back(entry);
    }

    pub fn snapshot(&self) -> Vec<RecordedRequest> {
        let entries = lock(&self.entries);
        entries
            .iter()
            .map(|entry| RecordedRequest::from_raw(&entry.head, &entry.body))
            .collect()
    }

    pub fn clear(&self) {
        lock(&self.entries).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_raw_splits_headers() {
        let head = b"DELETE /v1/express/cus_1/users?x=1 HTTP/1.1\r\nHost: a\r\nX-Empty:\r\nX-Two:  b c \r\n\r\n";
        let recorded = RecordedRequest::from_raw(head, b"{}");
        assert_eq!(recorded.method, "DELETE");
        assert_eq!(recorded.path, "/v1/express/cus_1/users?x=1");
        let expected = [("Host", "a"), ("X-Empty", ""), ("X-Two", "b c")];
        let headers: Vec<(&str, &str)> = recorded
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        assert_eq!(headers, expected);
        assert_eq!(recorded.header("x-two"), Some("b c"));
        assert_eq!(recorded.body, b"{}");
    }
}
