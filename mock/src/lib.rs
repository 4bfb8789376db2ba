//! Local stand-in for the Avara Express Users API, for testing libavara.
//!
//! [`Server::start`] runs a small HTTP/1.1 server on 127.0.0.1 that
//! implements `POST` and `DELETE /v1/express/{expressCustomerId}/users` with
//! the same validation order, status codes and JSON bodies as the real API,
//! over an in-memory set of customers, users and memberships.
//!
//! Tests can queue [`ScriptedAnswer`]s to replace or reshape the next
//! responses (error statuses, delays, dropped or reset connections, stalls,
//! chunked or gzip bodies, oversized bodies), either with [`Server::script`]
//! or over HTTP with `POST /__mock/script`. Every API request is recorded
//! and can be read back with [`Server::requests`] or `GET /__mock/requests`.
//!
//! ```
//! use std::io::{Read, Write};
//! use std::net::TcpStream;
//! use avara_mock::{Config, Server, DEFAULT_API_KEY, DEFAULT_CUSTOMER_ID, DEFAULT_USER_ID};
//!
//! let server = Server::start(Config::default()).unwrap();
//! let body = format!(r#"{{"userId":"{DEFAULT_USER_ID}"}}"#);
//! let request = format!(
//!     "POST /v1/express/{DEFAULT_CUSTOMER_ID}/users HTTP/1.1\r\nHost: x\r\n\
//!      Authorization: Bearer {DEFAULT_API_KEY}\r\nContent-Type: application/json\r\n\
//!      Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
//!     body.len()
//! );
//! let mut stream = TcpStream::connect(server.addr()).unwrap();
//! stream.write_all(request.as_bytes()).unwrap();
//! let mut response = String::new();
//! stream.read_to_string(&mut response).unwrap();
//!
//! assert!(response.starts_with("HTTP/1.1 200 OK\r\n"));
//! assert!(server.members(DEFAULT_CUSTOMER_ID).contains(&DEFAULT_USER_ID.to_owned()));
//! ```

mod api;
mod config;
mod connection;
mod control;
mod faults;
mod record;
mod request;
mod response;
mod script;
mod server;

pub use config::{
    validate_api_key, validate_customer_id, validate_user_id, Config, DEFAULT_API_KEY,
    DEFAULT_CUSTOMER_ID, DEFAULT_MEMBER_USER_ID, DEFAULT_READ_ONLY_API_KEY, DEFAULT_USER_ID,
    SECOND_CUSTOMER_ID, SECOND_USER_ID,
};
pub use faults::arm_reset;
pub use record::{RecordedRequest, MAX_RECORDED_REQUESTS};
pub use request::{MAX_BODY_BYTES, MAX_HEAD_BYTES};
pub use script::{DropMode, InvalidScript, ScriptedAnswer, MAX_SCRIPTED_BODY_BYTES};
pub use server::{Server, Stats};
