//! Sending a response shaped by a scripted answer: streamed repeated bodies,
//! chunked and gzip encoding, stalls, and the connection drops.

use std::io::{self, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use flate2::write::GzEncoder;
use flate2::Compression;

use crate::response::{Framing, ResponseHead};

/// Size at which buffered response bytes are written out, and the target
/// size of one block (and chunk) of a repeated body.
const BLOCK_BYTES: usize = 64 * 1024;

/// How to send the body of a shaped response.
pub(crate) struct Shape {
    pub chunked: bool,
    pub gzip: bool,
    /// Response byte offset and pause length.
    pub stall: Option<(u64, Duration)>,
    /// Sends only the first half of the body, then stops.
    pub cut_mid_body: bool,
    /// Sends the head only (the request was HEAD).
    pub head_only: bool,
}

/// Whether the whole response went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sent {
    Complete,
    /// The body was cut in the middle on purpose; the caller must close.
    Cut,
}

/// Writes `head` and `payload` repeated `repeat` times, shaped by `shape`.
///
/// `out` is scratch space; its contents are replaced.
pub(crate) fn send_shaped(
    stream: &TcpStream,
    out: &mut Vec<u8>,
    mut head: ResponseHead<'_>,
    payload: &[u8],
    repeat: u64,
    shape: &Shape,
    stopping: &AtomicBool,
) -> io::Result<Sent> {
    let compressed;
    let (payload, repeat) = if shape.gzip {
        compressed = gzip_repeated(payload, repeat)?;
        (&compressed[..], 1)
    } else {
        (payload, repeat)
    };
    let total = payload.len() as u64 * repeat;

    head.framing = if shape.chunked {
        Framing::Chunked
    } else {
        Framing::Length(total)
    };
    head.gzip = shape.gzip;
    out.clear();
    head.write(out);

    let mut wire = Wire {
        stream,
        buffer: out,
        sent: 0,
        stall: shape.stall,
        stopping,
    };
    if shape.head_only {
        wire.flush()?;
        return Ok(Sent::Complete);
    }

    let mut budget = if shape.cut_mid_body {
        total / 2
    } else {
        u64::MAX
    };
    let blocks = RepeatedBlocks::new(payload, repeat);
    for block in blocks.iter() {
        let cut = (block.len() as u64) > budget;
        let part = if cut {
            &block[..budget as usize]
        } else {
            block
        };
        if shape.chunked {
            wire.push_bytes(format!("{:x}\r\n", block.len()).as_bytes())?;
        }
        wire.push_bytes(part)?;
        if cut {
            wire.flush()?;
            return Ok(Sent::Cut);
        }
        budget -= part.len() as u64;
        if shape.chunked {
            wire.push_bytes(b"\r\n")?;
        }
    }
    if shape.cut_mid_body {
        // Reached only when the body is empty: there is no half to send.
        wire.flush()?;
        return Ok(Sent::Cut);
    }
    if shape.chunked {
        wire.push_bytes(b"0\r\n\r\n")?;
    }
    wire.flush()?;
    Ok(Sent::Complete)
}

/// Compresses `payload` repeated `repeat` times without holding the
/// uncompressed whole in memory.
fn gzip_repeated(payload: &[u8], repeat: u64) -> io::Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    for block in RepeatedBlocks::new(payload, repeat).iter() {
        encoder.write_all(block)?;
    }
    encoder.finish()
}

/// A payload repeated N times, produced as blocks of about [`BLOCK_BYTES`]
/// built from one buffer.
struct RepeatedBlocks<'a> {
    payload: &'a [u8],
    /// Payload copies per full block, and the block made of them.
    copies_per_block: u64,
    block: Vec<u8>,
    full_blocks: u64,
    remainder_copies: u64,
}

impl<'a> RepeatedBlocks<'a> {
    fn new(payload: &'a [u8], repeat: u64) -> Self {
        if payload.is_empty() || repeat <= 1 {
            return RepeatedBlocks {
                payload,
                copies_per_block: 1,
                block: Vec::new(),
                full_blocks: u64::from(!payload.is_empty() && repeat == 1),
                remainder_copies: 0,
            };
        }
        let copies_per_block = ((BLOCK_BYTES / payload.len()).max(1) as u64).min(repeat);
        let block = payload.repeat(copies_per_block as usize);
        RepeatedBlocks {
            payload,
            copies_per_block,
            block,
            full_blocks: repeat / copies_per_block,
            remainder_copies: repeat % copies_per_block,
        }
    }

    fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let full: &[u8] = if self.block.is_empty() {
            self.payload
        } else {
            &self.block
        };
        let remainder_length = (self.remainder_copies * self.payload.len() as u64) as usize;
        debug_assert!(self.remainder_copies < self.copies_per_block || self.block.is_empty());
        let remainder = (remainder_length > 0).then(|| &full[..remainder_length]);
        (0..self.full_blocks).map(move |_| full).chain(remainder)
    }
}

/// Buffered socket writer that pauses once at a given response offset.
struct Wire<'a> {
    stream: &'a TcpStream,
    buffer: &'a mut Vec<u8>,
    /// Bytes already written to the socket.
    sent: u64,
    stall: Option<(u64, Duration)>,
    stopping: &'a AtomicBool,
}

impl Wire<'_> {
    fn push_bytes(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.buffer.len() + bytes.len() <= BLOCK_BYTES {
            self.buffer.extend_from_slice(bytes);
            return Ok(());
        }
        self.flush()?;
        if bytes.len() <= BLOCK_BYTES {
            self.buffer.extend_from_slice(bytes);
            return Ok(());
        }
        self.send(bytes)
    }

    fn flush(&mut self) -> io::Result<()> {
        let buffer = std::mem::take(self.buffer);
        let result = self.send(&buffer);
        *self.buffer = buffer;
        self.buffer.clear();
        result
    }

    fn send(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        if let Some((offset, pause_length)) = self.stall {
            // Pause only if some bytes remain after the offset.
            if self.sent + bytes.len() as u64 > offset {
                let before = (offset - self.sent) as usize;
                self.write_all(&bytes[..before])?;
                bytes = &bytes[before..];
                self.stall = None;
                pause(pause_length, self.stopping);
            }
        }
        self.write_all(bytes)
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut stream = self.stream;
        stream.write_all(bytes)?;
        self.sent += bytes.len() as u64;
        Ok(())
    }
}

/// Sleeps for `length`, waking early once `stopping` is set so that a
/// stopped server does not keep threads around for long delays.
pub(crate) fn pause(length: Duration, stopping: &AtomicBool) {
    const SLICE: Duration = Duration::from_millis(50);
    let deadline = Instant::now() + length;
    loop {
        if stopping.load(Ordering::Relaxed) {
            return;
        }
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        std::thread::sleep(SLICE.min(deadline - now));
    }
}

/// Closes the connection with a FIN, sending nothing more.
pub(crate) fn close_quietly(stream: &TcpStream) {
    let _ = stream.shutdown(Shutdown::Both);
}

/// Makes the final close of `stream` send a TCP RST instead of a FIN, by
/// setting SO_LINGER to on with a zero timeout.
///
/// The RST goes out when the last descriptor of the socket closes, so the
/// caller must drop every clone of the stream.
#[cfg(unix)]
pub fn arm_reset(stream: &TcpStream) -> io::Result<()> {
    use std::os::unix::io::AsRawFd;

    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: the descriptor is open for the lifetime of `stream`, and the
    // option value is a properly sized and initialized `linger`.
    let result = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

// NOTE: only Unix can send a reset; elsewhere "reset" closes with a FIN.
#[cfg(not(unix))]
pub fn arm_reset(_stream: &TcpStream) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(payload: &[u8], repeat: u64) -> Vec<u8> {
        let blocks = RepeatedBlocks::new(payload, repeat);
        blocks.iter().flatten().copied().collect()
    }

    #[test]
    fn repeated_blocks_match_naive_repeat() {
        let cases: [(&[u8], u64); 6] = [
            (b"", 5),
            (b"abc", 0),
            (b"abc", 1),
            (b"abc", 7),
            (b"x", 200_000),
            (&[7u8; 70_000], 3),
        ];
        for (payload, repeat) in cases {
            let expected = payload.repeat(repeat as usize);
            assert_eq!(
                collect(payload, repeat),
                expected,
                "len {} x {repeat}",
                payload.len()
            );
        }
    }

    #[test]
    fn repeated_blocks_stay_small() {
        let blocks = RepeatedBlocks::new(b"0123456789", 1_000_000);
        assert!(blocks.iter().all(|block| block.len() <= BLOCK_BYTES));
    }

    #[test]
    fn gzip_round_trips() {
        use std::io::Read;

        let compressed = gzip_repeated(b"hello ", 10_000).unwrap();
        assert!(compressed.len() < 1000, "{} bytes", compressed.len());
        let mut text = String::new();
        flate2::read::GzDecoder::new(&compressed[..])
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "hello ".repeat(10_000));
    }
}
