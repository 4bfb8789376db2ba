//! A safe wrapper over poll(2) for one socket, the only system call the
//! transport needs that the standard library does not offer.

use std::io;
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::time::Duration;

/// The readiness to wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Interest {
    Readable,
    Writable,
}

/// Waits until `stream` is readable or writable, or until `timeout` passes.
/// `None` waits without a time limit.
///
/// Returns `Ok(true)` when the socket is ready, and also on an error or a
/// hang-up, which the next read or write then reports. Returns `Ok(false)`
/// when the timeout passed, and an `Interrupted` error when a signal
/// arrived first.
pub(super) fn wait(
    stream: &TcpStream,
    interest: Interest,
    timeout: Option<Duration>,
) -> io::Result<bool> {
    let events = match interest {
        Interest::Readable => libc::POLLIN,
        Interest::Writable => libc::POLLOUT,
    };
    let mut poll_fd = libc::pollfd {
        fd: stream.as_raw_fd(),
        events,
        revents: 0,
    };

    // SAFETY: `poll_fd` is an initialised pollfd on this stack frame that
    // outlives the call, and the count of 1 matches the one struct passed.
    // poll() writes only its `revents` field. The descriptor belongs to
    // `stream`, which the borrow keeps open for the whole call.
    let ready = unsafe { libc::poll(&mut poll_fd, 1, poll_timeout_ms(timeout)) };

    if ready < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(ready > 0)
}

/// Converts a timeout to poll()'s argument: milliseconds rounded up, so
/// that a wait never ends before the timeout, or -1 for no limit.
fn poll_timeout_ms(timeout: Option<Duration>) -> libc::c_int {
    let Some(timeout) = timeout else {
        return -1;
    };
    let millis = timeout.as_nanos().div_ceil(1_000_000);
    libc::c_int::try_from(millis).unwrap_or(libc::c_int::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpListener;
    use std::time::Instant;

    #[test]
    fn timeout_rounds_up_to_milliseconds() {
        assert_eq!(poll_timeout_ms(None), -1);
        assert_eq!(poll_timeout_ms(Some(Duration::ZERO)), 0);
        assert_eq!(poll_timeout_ms(Some(Duration::from_nanos(1))), 1);
        assert_eq!(poll_timeout_ms(Some(Duration::from_micros(1500))), 2);
        assert_eq!(poll_timeout_ms(Some(Duration::from_secs(3))), 3000);
        assert_eq!(
            poll_timeout_ms(Some(Duration::from_secs(u64::MAX))),
            libc::c_int::MAX
        );
    }

    #[test]
    fn wait_reports_readiness_and_timeout() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut server, _) = listener.accept().unwrap();

        assert!(wait(&client, Interest::Writable, Some(Duration::from_secs(5))).unwrap());

        let started = Instant::now();
        let ready = wait(&client, Interest::Readable, Some(Duration::from_millis(30))).unwrap();
        assert!(!ready);
        assert!(started.elapsed() >= Duration::from_millis(30));

        server.write_all(b"x").unwrap();
        assert!(wait(&client, Interest::Readable, Some(Duration::from_secs(5))).unwrap());
    }
}
