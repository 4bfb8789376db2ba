//! Waiting for one socket to become readable or writable, through
//! rustix's safe poll(2) wrapper.

use std::io;
use std::net::TcpStream;
use std::time::Duration;

use rustix::event::{PollFd, PollFlags, Timespec};

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
    let flags = match interest {
        Interest::Readable => PollFlags::IN,
        Interest::Writable => PollFlags::OUT,
    };
    let mut fds = [PollFd::new(stream, flags)];
    let timeout = timeout.map(to_timespec);

    let ready = rustix::event::poll(&mut fds, timeout.as_ref())?;
    Ok(ready > 0)
}

/// Converts a timeout for poll(), saturating at the largest `Timespec`
/// rather than failing for absurdly long waits.
fn to_timespec(timeout: Duration) -> Timespec {
    Timespec::try_from(timeout).unwrap_or(Timespec {
        tv_sec: i64::MAX,
        tv_nsec: 999_999_999,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpListener;
    use std::time::Instant;

    #[test]
    fn huge_timeout_saturates() {
        let timespec = to_timespec(Duration::from_secs(u64::MAX));
        assert_eq!(timespec.tv_sec, i64::MAX);
        assert_eq!(
            to_timespec(Duration::from_millis(1500)).tv_nsec,
            500_000_000
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
