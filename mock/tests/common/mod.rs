//! Raw HTTP/1.1 client helpers for the integration tests. They speak to the
//! mock over real sockets and parse responses by hand, so the tests see
//! exactly the bytes a client would.

#![allow(dead_code)]

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use avara_mock::{Config, Server, DEFAULT_API_KEY};

/// Upper bound on any single read in the tests, so a bug cannot hang them.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);

pub fn start() -> Server {
    Server::start(Config::default()).expect("mock server starts")
}

/// A parsed HTTP response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// Body with chunked framing removed (content encoding is kept).
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(candidate, _)| candidate.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "body is not JSON ({error}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// Returns the `message` field of a JSON body.
    pub fn message(&self) -> String {
        self.json()["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// One client connection that can send several requests in a row.
pub struct Connection {
    pub reader: BufReader<TcpStream>,
}

impl Connection {
    pub fn open(addr: SocketAddr) -> Connection {
        let stream = TcpStream::connect(addr).expect("connect to mock");
        stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        Connection {
            reader: BufReader::new(stream),
        }
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.reader
            .get_mut()
            .write_all(bytes)
            .expect("write request");
    }

    pub fn read_response(&mut self) -> io::Result<Response> {
        read_response(&mut self.reader)
    }

    /// Sends `request` and reads one response.
    pub fn exchange(&mut self, request: &[u8]) -> Response {
        self.send_raw(request);
        self.read_response().expect("read response")
    }

    /// Returns true when the server has closed the connection: a read returns
    /// end of stream (or a reset) before the timeout.
    pub fn is_closed_by_server(&mut self) -> bool {
        let mut byte = [0u8; 1];
        match self.reader.read(&mut byte) {
            Ok(0) => true,
            Ok(_) => false,
            Err(error) => error.kind() == io::ErrorKind::ConnectionReset,
        }
    }
}

/// Sends `request` on a new connection and reads one response.
pub fn exchange(addr: SocketAddr, request: &[u8]) -> Response {
    Connection::open(addr).exchange(request)
}

/// Reads one final response (skipping 1xx) from `reader`.
pub fn read_response<R: BufRead>(reader: &mut R) -> io::Result<Response> {
    loop {
        let response = read_one(reader)?;
        if !(100..200).contains(&response.status) {
            return Ok(response);
        }
    }
}

fn read_one<R: BufRead>(reader: &mut R) -> io::Result<Response> {
    let status_line = read_line(reader)?;
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if version != "HTTP/1.1" {
        return Err(invalid(format!("bad status line {status_line:?}")));
    }
    let status: u16 = parts
        .next()
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| invalid(format!("bad status line {status_line:?}")))?;

    let mut headers = Vec::new();
    loop {
        let line = read_line(reader)?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| invalid(format!("bad header line {line:?}")))?;
        headers.push((name.to_owned(), value.trim().to_owned()));
    }
    let mut response = Response {
        status,
        headers,
        body: Vec::new(),
    };
    if (100..200).contains(&status) {
        return Ok(response);
    }

    let chunked = response
        .header("transfer-encoding")
        .is_some_and(|value| value.eq_ignore_ascii_case("chunked"));
    if chunked {
        loop {
            let size_line = read_line(reader)?;
            let size = usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| invalid(format!("bad chunk size {size_line:?}")))?;
            if size == 0 {
                while !read_line(reader)?.is_empty() {}
                break;
            }
            let start = response.body.len();
            response.body.resize(start + size, 0);
            reader.read_exact(&mut response.body[start..])?;
            if !read_line(reader)?.is_empty() {
                return Err(invalid("chunk data not followed by CRLF".to_owned()));
            }
        }
    } else if let Some(length) = response.header("content-length") {
        let length: usize = length
            .parse()
            .map_err(|_| invalid(format!("bad Content-Length {length:?}")))?;
        response.body.resize(length, 0);
        reader.read_exact(&mut response.body)?;
    } else {
        reader.read_to_end(&mut response.body)?;
    }
    Ok(response)
}

fn read_line<R: BufRead>(reader: &mut R) -> io::Result<String> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed before a complete response",
        ));
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// Builds an Express Users request with a Content-Length body.
pub fn api_request(method: &str, customer: &str, api_key: Option<&str>, body: &str) -> Vec<u8> {
    let mut request = format!(
        "{method} /v1/express/{customer}/users HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Content-Type: application/json\r\nAccept: application/json\r\n"
    );
    if let Some(key) = api_key {
        request.push_str(&format!("Authorization: Bearer {key}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    request.into_bytes()
}

/// Builds a valid add (`POST`) or remove (`DELETE`) request with the default
/// key.
pub fn user_request(method: &str, customer: &str, user: &str) -> Vec<u8> {
    let body = format!(r#"{{"userId":"{user}"}}"#);
    api_request(method, customer, Some(DEFAULT_API_KEY), &body)
}

/// Builds a control request with an optional body.
pub fn control_request(method: &str, path: &str, body: &str) -> Vec<u8> {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}
