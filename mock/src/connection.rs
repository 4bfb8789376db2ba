//! One client connection: reads requests in order and responds to each one,
//! keeping the connection open between them unless the client requests close.

use std::fmt;
use std::io::{BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::api::{self, Outcome};
use crate::control::{self, CONTROL_PREFIX};
use crate::faults::{self, Sent, Shape};
use crate::request::{
    read_body, read_head, ParseError, Request, Version, MAX_BODY_BYTES, MAX_HEAD_BYTES,
};
use crate::response::{error_code, write_error_body, Framing, ResponseHead};
use crate::script::{DropMode, PreparedAnswer};
use crate::server::Shared;

/// A connection that sends no byte for this long is closed, whether it is
/// idle between requests or stuck in the middle of one.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// A write that makes no progress for this long fails and closes the
/// connection.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// Before closing, the server reads and discards what the client still sends
/// for up to this long or [`MAX_LINGER_BYTES`]. Unread request bytes would
/// make the kernel reset the connection, which can destroy the response
/// before the client reads it.
const LINGER_TIME: Duration = Duration::from_secs(2);
const MAX_LINGER_BYTES: usize = 16 * 1024 * 1024;

const READ_BUFFER_BYTES: usize = 16 * 1024;

/// Action on the connection after a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    KeepAlive,
    /// Close gracefully: send FIN, drain, then close.
    Close,
    /// The connection is already shut down or armed for reset: just drop it.
    Abort,
}

/// Per-connection buffers, reused for every request.
struct Buffers {
    request: Request,
    /// JSON body of the response being built.
    body: Vec<u8>,
    /// Whole response (head and body) before it is written.
    out: Vec<u8>,
}

/// Serves requests on `stream` until the client closes, an error occurs, or
/// the server stops.
pub(crate) fn serve(shared: &Shared, stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(IDLE_TIMEOUT));
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    let mut reader = BufReader::with_capacity(READ_BUFFER_BYTES, &stream);
    let mut buffers = Buffers {
        request: Request::new(),
        body: Vec::with_capacity(512),
        out: Vec::with_capacity(1024),
    };

    loop {
        let framing = match read_head(&mut reader, &mut buffers.request) {
            Ok(framing) => framing,
            Err(ParseError::Closed) => return,
            Err(error) => return reject(shared, &stream, &mut reader, &mut buffers, error),
        };
        if buffers.request.expects_continue
            && (&stream)
                .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
                .is_err()
        {
            return;
        }
        if let Err(error) = read_body(&mut reader, &mut buffers.request, framing) {
            return reject(shared, &stream, &mut reader, &mut buffers, error);
        }

        match respond(shared, &stream, &mut buffers) {
            Next::KeepAlive => {}
            Next::Close => return close_gracefully(shared, &stream, &mut reader),
            Next::Abort => return,
        }
    }
}

/// Sends an error response to a request that could not be parsed, then closes the connection.
fn reject(
    shared: &Shared,
    stream: &TcpStream,
    reader: &mut BufReader<&TcpStream>,
    buffers: &mut Buffers,
    error: ParseError,
) {
    let (status, message) = match error {
        ParseError::Closed => return,
        // After a timeout or a closed client there is no one to respond to.
        ParseError::Io(error) => {
            if shared.verbose {
                eprintln!("avara-mock: closing connection after a read error or timeout: {error}");
            }
            return;
        }
        ParseError::UriTooLong => (
            414,
            format!("Request line is longer than the limit of {MAX_HEAD_BYTES} bytes"),
        ),
        ParseError::HeadersTooLarge => (
            431,
            format!("Request header section is longer than the limit of {MAX_HEAD_BYTES} bytes"),
        ),
        ParseError::BodyTooLarge => (
            413,
            format!("Request body is longer than the limit of {MAX_BODY_BYTES} bytes"),
        ),
        ParseError::BadRequest(message) => (400, format!("Malformed request: {message}")),
        ParseError::NotImplemented(message) => (501, message.to_owned()),
        ParseError::VersionNotSupported => {
            (505, "Only HTTP/1.0 and HTTP/1.1 are supported".to_owned())
        }
    };
    if shared.verbose {
        eprintln!("avara-mock: rejected malformed request: {status} {message}; closing connection");
    }

    buffers.body.clear();
    write_error_body(&mut buffers.body, error_code(status), &message);
    let outcome = Outcome::new(status);
    let request_id = shared.next_request_id();
    if send_plain(stream, buffers, outcome, request_id, Some("close"), false).is_ok() {
        close_gracefully(shared, stream, reader);
    }
}

/// Handles one complete request and sends the response.
fn respond(shared: &Shared, stream: &TcpStream, buffers: &mut Buffers) -> Next {
    let started = Instant::now();
    let request = &buffers.request;
    let keep_alive = request.keep_alive && !shared.stopping.load(Ordering::Relaxed);
    let head_only = request.method() == "HEAD";
    buffers.body.clear();

    if request.path().starts_with(CONTROL_PREFIX) {
        let outcome = control::handle(shared, request, &mut buffers.body);
        return finish_plain(
            shared, stream, buffers, outcome, keep_alive, head_only, started,
        );
    }

    shared.log.record(request);
    match shared.scripts.next() {
        None => {
            let outcome = api::handle(request, &shared.keys, &shared.directory, &mut buffers.body);
            shared.count_request();
            finish_plain(
                shared, stream, buffers, outcome, keep_alive, head_only, started,
            )
        }
        Some(answer) => respond_scripted(
            shared, stream, buffers, &answer, keep_alive, head_only, started,
        ),
    }
}

/// Sends a normal response and logs it.
fn finish_plain(
    shared: &Shared,
    stream: &TcpStream,
    buffers: &mut Buffers,
    outcome: Outcome,
    keep_alive: bool,
    head_only: bool,
    started: Instant,
) -> Next {
    let connection = connection_header(&buffers.request, keep_alive);
    let request_id = shared.next_request_id();
    let result = send_plain(stream, buffers, outcome, request_id, connection, head_only);
    if shared.verbose {
        log_request(
            &buffers.request,
            format_args!("{} req_{request_id}", outcome.status),
            started,
        );
    }
    match result {
        Ok(()) if keep_alive => Next::KeepAlive,
        Ok(()) => Next::Close,
        Err(_) => Next::Abort,
    }
}

/// Writes head and body with a single write call.
fn send_plain(
    stream: &TcpStream,
    buffers: &mut Buffers,
    outcome: Outcome,
    request_id: u64,
    connection: Option<&'static str>,
    head_only: bool,
) -> std::io::Result<()> {
    let head = ResponseHead {
        status: outcome.status,
        request_id,
        framing: Framing::Length(buffers.body.len() as u64),
        connection,
        gzip: false,
        extra: outcome.extra,
        overrides: &[],
    };
    buffers.out.clear();
    head.write(&mut buffers.out);
    if !head_only {
        buffers.out.extend_from_slice(&buffers.body);
    }
    let mut writer = stream;
    writer.write_all(&buffers.out)
}

/// Applies a scripted answer: wait, drop, or send a replaced or reshaped
/// response.
fn respond_scripted(
    shared: &Shared,
    stream: &TcpStream,
    buffers: &mut Buffers,
    answer: &PreparedAnswer,
    keep_alive: bool,
    head_only: bool,
    started: Instant,
) -> Next {
    if let Some(delay) = answer.delay {
        faults::pause(delay, &shared.stopping);
        // A server stopped during the delay must not apply the change.
        if shared.stopping.load(Ordering::Relaxed) {
            return Next::Abort;
        }
    }

    if answer.drops_before_response() {
        shared.count_request();
        let result = if answer.drop == Some(DropMode::Reset) {
            if let Err(error) = faults::arm_reset(stream) {
                eprintln!(
                    "avara-mock: could not set SO_LINGER for a reset: {error}; closing with FIN"
                );
                faults::close_quietly(stream);
            }
            "reset by script"
        } else {
            faults::close_quietly(stream);
            "closed by script before response"
        };
        if shared.verbose {
            log_request(&buffers.request, format_args!("{result}"), started);
        }
        return Next::Abort;
    }

    let Buffers { request, body, out } = buffers;
    let (outcome, payload, repeat) = match answer.status {
        Some(status) => (Outcome::new(status), &answer.body[..], answer.body_repeat),
        None => {
            let outcome = api::handle(request, &shared.keys, &shared.directory, body);
            (outcome, &body[..], 1)
        }
    };
    shared.count_request();

    let cut_mid_body = answer.drop == Some(DropMode::MidBody);
    let mut head = ResponseHead {
        status: outcome.status,
        request_id: shared.next_request_id(),
        framing: Framing::Length(0),
        connection: None,
        gzip: answer.gzip,
        extra: outcome.extra,
        overrides: &answer.headers,
    };
    let keep_alive = keep_alive && !cut_mid_body && !head.overrides_framing();
    head.connection = connection_header(request, keep_alive);
    let request_id = head.request_id;

    let shape = Shape {
        chunked: answer.chunked,
        gzip: answer.gzip,
        stall: answer.stall,
        cut_mid_body,
        head_only,
    };
    let result = faults::send_shaped(stream, out, head, payload, repeat, &shape, &shared.stopping);
    if shared.verbose {
        let note = match result {
            Ok(Sent::Cut) => "body cut by script",
            Ok(Sent::Complete) => "scripted",
            Err(_) => "scripted, write failed",
        };
        log_request(
            request,
            format_args!("{} req_{request_id} ({note})", outcome.status),
            started,
        );
    }
    match result {
        Ok(Sent::Complete) if keep_alive => Next::KeepAlive,
        Ok(Sent::Complete) => Next::Close,
        Ok(Sent::Cut) => {
            let _ = stream.shutdown(Shutdown::Write);
            Next::Abort
        }
        Err(_) => Next::Abort,
    }
}

/// Returns the `Connection` header value a response needs, if any.
fn connection_header(request: &Request, keep_alive: bool) -> Option<&'static str> {
    match (keep_alive, request.version) {
        (false, _) => Some("close"),
        (true, Version::Http10) => Some("keep-alive"),
        (true, Version::Http11) => None,
    }
}

/// Sends FIN, then reads and discards until the client closes, so unread
/// request bytes cannot turn the close into a reset.
fn close_gracefully(shared: &Shared, stream: &TcpStream, reader: &mut BufReader<&TcpStream>) {
    if stream.shutdown(Shutdown::Write).is_err() {
        return;
    }
    let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
    let deadline = Instant::now() + LINGER_TIME;
    let mut discarded = 0;
    let mut scratch = [0u8; 4096];
    while discarded < MAX_LINGER_BYTES
        && Instant::now() < deadline
        && !shared.stopping.load(Ordering::Relaxed)
    {
        match reader.read(&mut scratch) {
            Ok(0) => return,
            Ok(length) => discarded += length,
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return,
        }
    }
}

/// Writes one line per request to stderr. Headers are left out because
/// `Authorization` carries the API key.
fn log_request(request: &Request, result: fmt::Arguments<'_>, started: Instant) {
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    eprintln!(
        "avara-mock: {} {} -> {result} in {elapsed_ms:.2} ms",
        request.method(),
        request.target(),
    );
}
