//! The TCP connector and transport under every connection, in place of
//! ureq's `TcpConnector`.
//!
//! ureq 3.5's own TCP transport makes 12 system calls per keep-alive call
//! (counted with strace by `make bench`). It sends the request head and
//! body separately and resets socket timeouts before reads and writes as
//! the remaining time shrinks. It also probes a pooled connection with
//! three calls, two ioctls around a read, both when the connection goes
//! back to the pool and when it is taken out. This transport keeps the
//! socket non-blocking for its whole life. It sends head and body in one
//! write, waits with poll(), and probes with one peeking read, only when a
//! connection is taken out: four calls per keep-alive call.

use std::io::{self, Read, Write};
use std::mem;
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use ureq::config::Config;
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, ShutdownHandle,
    Transport,
};
use ureq::ProxyProtocol;
use ureq::Timeout;

use super::poll::{self, Interest};
use crate::resolver::DnsCache;

/// Request bytes held back before they are sent without waiting for the
/// transport to be asked for input. It is far above the few hundred bytes
/// of an Avara request, so head and body leave in one write, yet it bounds
/// the copy of a large body.
const MAX_UNSENT_BYTES: usize = 16 * 1024;

/// Opens TCP connections for ureq's connector chain. A transport made by
/// an earlier connector in the chain, such as a CONNECT tunnel, passes
/// through unchanged.
#[derive(Debug, Default)]
pub(crate) struct TcpConnector {
    /// The resolver's cache. A lookup whose addresses all fail here is
    /// dropped from it.
    dns_cache: Arc<DnsCache>,
}

impl TcpConnector {
    pub(crate) fn new(dns_cache: Arc<DnsCache>) -> TcpConnector {
        TcpConnector { dns_cache }
    }

    /// Connects to the first of `addresses` that accepts. When none does,
    /// the cached lookups made only of the addresses tried are dropped, so
    /// a retry looks the host up again.
    fn open(
        &self,
        addresses: &[SocketAddr],
        timeout: NextTimeout,
    ) -> Result<TcpStream, ureq::Error> {
        connect_any(addresses, timeout).map_err(|(error, tried)| {
            self.dns_cache.forget_unreachable(&addresses[..tried]);
            error
        })
    }
}

impl<In: Transport> Connector<In> for TcpConnector {
    type Out = Either<In, TcpTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        if let Some(transport) = chained {
            return Ok(Some(Either::A(transport)));
        }
        reject_socks_proxy(details)?;

        let stream = self.open(&details.addrs, details.timeout)?;
        let transport = TcpTransport::new(stream, details.config)?;
        // Lets ureq's Agent::shutdown() interrupt I/O on this socket.
        (details.register_shutdown)(Arc::downgrade(&transport.stream) as Weak<dyn ShutdownHandle>)?;
        Ok(Some(Either::B(transport)))
    }
}

/// Fails when a SOCKS proxy applies, because this chain has no SOCKS
/// connector and connecting directly would bypass the proxy. An HTTP or
/// HTTPS proxy is handled before this connector by ureq's
/// `ConnectProxyConnector`.
fn reject_socks_proxy(details: &ConnectionDetails) -> Result<(), ureq::Error> {
    let Some(proxy) = details.config.proxy() else {
        return Ok(());
    };
    let socks = matches!(
        proxy.protocol(),
        ProxyProtocol::Socks4
            | ProxyProtocol::Socks4A
            | ProxyProtocol::Socks5
            | ProxyProtocol::Socks5h
    );
    if socks && !proxy.is_no_proxy(details.uri) {
        return Err(ureq::Error::Io(io::Error::new(
            io::ErrorKind::Unsupported,
            "SOCKS proxies are not supported; use an http:// or https:// proxy",
        )));
    }
    Ok(())
}

/// Connects to each address in turn until one accepts, within the connect
/// timeout. Every address but the last gets half of the time left, so one
/// that never completes the handshake leaves time for the rest. On failure
/// it returns the error of the last address tried and how many addresses,
/// from the first on, were tried.
fn connect_any(
    addresses: &[SocketAddr],
    timeout: NextTimeout,
) -> Result<TcpStream, (ureq::Error, usize)> {
    let deadline = Deadline::after(timeout);
    let mut last_error = ureq::Error::HostNotFound;
    let mut tried = 0;

    for (index, address) in addresses.iter().enumerate() {
        let is_last = index + 1 == addresses.len();
        let attempt = match deadline.remaining() {
            None => TcpStream::connect(address),
            Some(remaining) if remaining.is_zero() => break,
            Some(remaining) => {
                let share = if is_last { remaining } else { remaining / 2 };
                // connect_timeout() rejects a zero duration.
                TcpStream::connect_timeout(address, share.max(Duration::from_millis(1)))
            }
        };
        tried += 1;
        match attempt {
            Ok(stream) => return Ok(stream),
            Err(error) if error.kind() == io::ErrorKind::TimedOut => {
                last_error = ureq::Error::Timeout(timeout.reason);
            }
            Err(error) => last_error = ureq::Error::Io(error),
        }
    }

    if deadline
        .remaining()
        .is_some_and(|remaining| remaining.is_zero())
    {
        return Err((ureq::Error::Timeout(timeout.reason), tried));
    }
    Err((last_error, tried))
}

/// A keep-alive TCP connection on a non-blocking socket.
pub(crate) struct TcpTransport {
    /// Shared with the shutdown handle registered with ureq's pool.
    stream: Arc<TcpStream>,
    buffers: LazyBuffers,
    /// Output that `transmit_output` accepted but has not sent yet. It is
    /// sent before the transport waits for input, so a request head and
    /// its body leave in one write.
    unsent: Vec<u8>,
    /// Whether reads or writes happened since the last liveness probe.
    used_since_probe: bool,
}

impl TcpTransport {
    fn new(stream: TcpStream, config: &Config) -> io::Result<TcpTransport> {
        if config.no_delay() {
            stream.set_nodelay(true)?;
        }
        // Reads, writes and the liveness probe return at once, and the
        // transport waits with poll() for the time left.
        stream.set_nonblocking(true)?;

        Ok(TcpTransport {
            stream: Arc::new(stream),
            buffers: LazyBuffers::new(config.input_buffer_size(), config.output_buffer_size()),
            unsent: Vec::new(),
            used_since_probe: false,
        })
    }
}

impl Transport for TcpTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.used_since_probe = true;
        let output = &self.buffers.output()[..amount];
        if self.unsent.len() + amount <= MAX_UNSENT_BYTES {
            self.unsent.extend_from_slice(output);
            return Ok(());
        }

        let timeout = timeout.for_write();
        let deadline = Deadline::after(timeout);
        flush_unsent(&self.stream, &mut self.unsent, deadline, timeout.reason)?;
        send_all(&self.stream, output, &mut 0, deadline, timeout.reason)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.used_since_probe = true;
        let timeout = timeout.for_read();
        if timeout.after.is_zero() {
            return Err(ureq::Error::Timeout(timeout.reason));
        }
        let deadline = Deadline::after(timeout);

        // Right after sending, the response cannot be there yet, so waiting
        // first saves a read that would fail with WouldBlock.
        let mut wait_first = !self.unsent.is_empty();
        if wait_first {
            flush_unsent(&self.stream, &mut self.unsent, deadline, timeout.reason)?;
        }

        let input = self.buffers.input_append_buf();
        let amount = loop {
            if wait_first {
                wait_until(&self.stream, Interest::Readable, deadline, timeout.reason)?;
            }
            match (&*self.stream).read(input) {
                Ok(amount) => break amount,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => wait_first = true,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(ureq::Error::Io(error)),
            }
        };
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        if !self.unsent.is_empty() {
            return false;
        }
        // ureq's pool calls is_open() twice per call: when a finished
        // connection goes back to the pool and when a request takes it out.
        // Nothing reads the socket in between, so a stray byte or a close
        // that the first probe would see is still there for the second, and
        // no dead connection is reused when only the second one runs.
        // NOTE: this relies on ureq 3.5's pool probing on both sides (the
        // version is pinned). Over TLS, a close_notify that rustls read with
        // the response is invisible here, so the next call on that
        // connection fails and is retried after a backoff.
        if mem::take(&mut self.used_since_probe) {
            return true;
        }
        is_idle_and_open(&self.stream)
    }
}

/// Probes an idle connection with one non-blocking peek: no data waiting
/// means it is open. A close or bytes the server sent unasked mean it
/// must not be reused.
fn is_idle_and_open(stream: &TcpStream) -> bool {
    let mut byte = [0u8; 1];
    loop {
        match stream.peek(&mut byte) {
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => return true,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Ok(_) | Err(_) => return false,
        }
    }
}

/// Sends the output held back in `unsent`, removing each part once it is
/// written. A timeout that ureq recovers from, such as the end of its wait
/// for `100 Continue`, then leaves only the bytes not yet sent, so the next
/// flush never sends a byte twice.
fn flush_unsent(
    stream: &TcpStream,
    unsent: &mut Vec<u8>,
    deadline: Deadline,
    reason: Timeout,
) -> Result<(), ureq::Error> {
    let mut sent = 0;
    let result = send_all(stream, unsent, &mut sent, deadline, reason);
    unsent.drain(..sent);
    result
}

/// Writes `bytes` from offset `*sent` on, waiting with poll() while the
/// socket's send buffer is full. `*sent` counts the bytes written, also
/// when an error or timeout ends the loop early.
fn send_all(
    stream: &TcpStream,
    bytes: &[u8],
    sent: &mut usize,
    deadline: Deadline,
    reason: Timeout,
) -> Result<(), ureq::Error> {
    while *sent < bytes.len() {
        match (&*stream).write(&bytes[*sent..]) {
            Ok(0) => return Err(ureq::Error::Io(io::ErrorKind::WriteZero.into())),
            Ok(written) => *sent += written,
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                wait_until(stream, Interest::Writable, deadline, reason)?;
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(ureq::Error::Io(error)),
        }
    }
    Ok(())
}

/// Waits with poll() until the socket is ready, retrying after signals.
/// Fails with ureq's timeout error for `reason` once `deadline` passes.
fn wait_until(
    stream: &TcpStream,
    interest: Interest,
    deadline: Deadline,
    reason: Timeout,
) -> Result<(), ureq::Error> {
    loop {
        let remaining = deadline.remaining();
        if remaining.is_some_and(|remaining| remaining.is_zero()) {
            return Err(ureq::Error::Timeout(reason));
        }
        match poll::wait(stream, interest, remaining) {
            Ok(true) => return Ok(()),
            // A timed-out poll() loops once more to report the timeout
            // from the clock, which poll()'s millisecond rounding can be
            // just short of.
            Ok(false) => {}
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(ureq::Error::Io(error)),
        }
    }
}

/// The instant a ureq timeout expires, or none when it never does.
#[derive(Debug, Clone, Copy)]
struct Deadline(Option<Instant>);

impl Deadline {
    fn after(timeout: NextTimeout) -> Deadline {
        if timeout.after.is_not_happening() {
            return Deadline(None);
        }
        Deadline(Instant::now().checked_add(*timeout.after))
    }

    /// Returns the time left, zero once passed, or `None` for no limit.
    fn remaining(self) -> Option<Duration> {
        self.0
            .map(|deadline| deadline.saturating_duration_since(Instant::now()))
    }
}

impl std::fmt::Debug for TcpTransport {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("TcpTransport")
            .field("peer", &self.stream.peer_addr().ok())
            .field("unsent_bytes", &self.unsent.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use ureq::config::IpFamily;
    use ureq::unversioned::resolver::{DefaultResolver, Resolver};
    use ureq::unversioned::transport::time;

    fn timeout_of(duration: Duration) -> NextTimeout {
        NextTimeout {
            after: time::Duration::Exact(duration),
            reason: Timeout::RecvResponse,
            per_read: None,
            per_write: None,
        }
    }

    /// Connects a transport to a server socket on loopback.
    fn connected_pair() -> (TcpTransport, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        server
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let transport = TcpTransport::new(client, &Config::default()).unwrap();
        (transport, server)
    }

    fn transmit(transport: &mut TcpTransport, bytes: &[u8]) {
        transport.buffers().output()[..bytes.len()].copy_from_slice(bytes);
        transport
            .transmit_output(bytes.len(), timeout_of(Duration::from_secs(5)))
            .unwrap();
    }

    /// Reads until `expected` bytes arrived, in as many reads as it takes.
    fn read_exactly(server: &mut TcpStream, expected: usize) -> Vec<u8> {
        let mut received = vec![0u8; expected];
        server.read_exact(&mut received).unwrap();
        received
    }

    #[test]
    fn output_held_until_input_awaited() {
        let (mut transport, mut server) = connected_pair();
        transmit(&mut transport, b"POST / HTTP/1.1\r\n\r\n");
        transmit(&mut transport, b"{}");

        server.set_nonblocking(true).unwrap();
        let mut byte = [0u8; 1];
        let early = server.read(&mut byte);
        assert_eq!(
            early.map_err(|error| error.kind()).unwrap_err(),
            io::ErrorKind::WouldBlock
        );
        server.set_nonblocking(false).unwrap();

        server.write_all(b"HTTP/1.1 200 OK\r\n").unwrap();
        let progressed = transport
            .await_input(timeout_of(Duration::from_secs(5)))
            .unwrap();
        assert!(progressed);
        assert_eq!(transport.buffers().input(), b"HTTP/1.1 200 OK\r\n");
        assert_eq!(read_exactly(&mut server, 21), b"POST / HTTP/1.1\r\n\r\n{}");
    }

    #[test]
    fn large_output_sent_without_waiting() {
        let (mut transport, mut server) = connected_pair();
        let head = b"PUT / HTTP/1.1\r\n\r\n";
        let body = vec![b'x'; MAX_UNSENT_BYTES];
        transmit(&mut transport, head);
        transmit(&mut transport, &body);

        let received = read_exactly(&mut server, head.len() + body.len());
        assert_eq!(&received[..head.len()], head);
        assert!(received[head.len()..].iter().all(|&byte| byte == b'x'));
        assert!(transport.unsent.is_empty());
    }

    #[test]
    fn await_input_times_out() {
        let (mut transport, _server) = connected_pair();
        let started = Instant::now();

        let result = transport.await_input(timeout_of(Duration::from_millis(50)));

        assert!(
            matches!(result, Err(ureq::Error::Timeout(Timeout::RecvResponse))),
            "{result:?}"
        );
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(50), "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    }

    #[test]
    fn expired_timeout_fails_at_once() {
        let (mut transport, _server) = connected_pair();
        let result = transport.await_input(timeout_of(Duration::ZERO));
        assert!(
            matches!(result, Err(ureq::Error::Timeout(Timeout::RecvResponse))),
            "{result:?}"
        );
    }

    #[test]
    fn end_of_stream_reads_nothing() {
        let (mut transport, server) = connected_pair();
        drop(server);
        let progressed = transport
            .await_input(timeout_of(Duration::from_secs(5)))
            .unwrap();
        assert!(!progressed);
    }

    #[test]
    fn idle_connection_probes_open() {
        let (mut transport, _server) = connected_pair();
        assert!(transport.is_open());
        assert!(transport.is_open());
    }

    #[test]
    fn probe_after_use_skipped() {
        let (mut transport, mut server) = connected_pair();
        transmit(&mut transport, b"GET / HTTP/1.1\r\n\r\n");
        server.write_all(b"HTTP/1.1 200 OK\r\n").unwrap();
        transport
            .await_input(timeout_of(Duration::from_secs(5)))
            .unwrap();
        read_exactly(&mut server, 18);
        drop(server);
        std::thread::sleep(Duration::from_millis(50));

        // The first probe after use is the pool's when the connection goes
        // back. The second, when a request takes it out, detects the close.
        assert!(transport.is_open());
        assert!(!transport.is_open());
    }

    #[test]
    fn probe_rejects_unrequested_bytes() {
        let (mut transport, mut server) = connected_pair();
        server
            .write_all(b"HTTP/1.1 408 Request Timeout\r\n")
            .unwrap();
        std::thread::sleep(Duration::from_millis(50));
        assert!(!transport.is_open());
    }

    #[test]
    fn probe_rejects_unsent_output() {
        let (mut transport, _server) = connected_pair();
        transmit(&mut transport, b"GET / HTTP/1.1\r\n\r\n");
        assert!(!transport.is_open());
    }

    #[test]
    fn connect_moves_to_next_address() {
        let closed = {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap()
        };
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let open = listener.local_addr().unwrap();

        let stream = connect_any(&[closed, open], timeout_of(Duration::from_secs(5))).unwrap();
        assert_eq!(stream.peer_addr().unwrap(), open);

        let (error, tried) =
            connect_any(&[closed], timeout_of(Duration::from_secs(5))).unwrap_err();
        assert_eq!(tried, 1);
        let ureq::Error::Io(error) = error else {
            panic!("expected an I/O error, got {error:?}");
        };
        assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused);
        assert!(error.to_string().contains("Connection refused"), "{error}");
    }

    #[test]
    fn connect_without_time_left_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let open = listener.local_addr().unwrap();
        let mut timeout = timeout_of(Duration::ZERO);
        timeout.reason = Timeout::Connect;

        let (error, tried) = connect_any(&[open], timeout).unwrap_err();
        assert!(
            matches!(error, ureq::Error::Timeout(Timeout::Connect)),
            "{error:?}"
        );
        assert_eq!(tried, 0);
    }

    #[test]
    fn failed_connect_forgets_lookup() {
        let closed = {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap()
        };
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let open = listener.local_addr().unwrap();
        let dns_cache = Arc::new(DnsCache::default());
        let connector = TcpConnector::new(Arc::clone(&dns_cache));
        let now = Instant::now();
        let lookup = |address: SocketAddr| {
            let mut addresses = DefaultResolver::default().empty();
            addresses.push(address);
            addresses
        };
        dns_cache.insert("moved.example", 80, IpFamily::Any, lookup(closed), now);
        dns_cache.insert("up.example", 80, IpFamily::Any, lookup(open), now);

        connector
            .open(&[closed], timeout_of(Duration::from_secs(5)))
            .unwrap_err();
        connector
            .open(&[open], timeout_of(Duration::from_secs(5)))
            .unwrap();

        assert_eq!(dns_cache.get("moved.example", 80, IpFamily::Any, now), None);
        assert!(dns_cache
            .get("up.example", 80, IpFamily::Any, now)
            .is_some());
    }
}
