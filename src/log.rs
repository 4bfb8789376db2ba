//! Process-wide logging: a level filter and a sink.
//!
//! Messages go to stderr unless the application installs its own sink.
//! The level comes from `AVARA_LOG` (`off`, `error`, `warn`, `info`,
//! `debug`; default `warn`) until [`set_max_level`] sets it. Callers must
//! never pass secrets in a message: the client logs paths, never headers.

use std::fmt;
use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Once, RwLock};

/// Severity of a log message. Higher values are more verbose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
}

impl Level {
    /// The lowercase name, as `AVARA_LOG` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }

    /// Maps a numeric level back; `None` for 0 (off) or unknown numbers.
    pub fn from_number(number: u8) -> Option<Level> {
        match number {
            1 => Some(Level::Error),
            2 => Some(Level::Warn),
            3 => Some(Level::Info),
            4 => Some(Level::Debug),
            _ => None,
        }
    }
}

/// A destination for log messages. It may be called from any thread, and
/// from several at once.
pub type Sink = Arc<dyn Fn(Level, &str) + Send + Sync>;

/// 0 means off; otherwise the most verbose [`Level`] let through.
static MAX_LEVEL: AtomicU8 = AtomicU8::new(Level::Warn as u8);
static READ_ENV: Once = Once::new();
static SINK: RwLock<Option<Sink>> = RwLock::new(None);

/// Sets the most verbose level that is logged; `None` turns logging off.
/// This overrides `AVARA_LOG`.
pub fn set_max_level(level: Option<Level>) {
    READ_ENV.call_once(|| {});
    MAX_LEVEL.store(level.map_or(0, |l| l as u8), Ordering::Relaxed);
}

/// Returns the most verbose level that is logged, or `None` when off.
pub fn max_level() -> Option<Level> {
    init_from_env();
    Level::from_number(MAX_LEVEL.load(Ordering::Relaxed))
}

/// Installs `sink` in place of stderr; `None` restores stderr. Returns
/// after every message already being written to the old sink is done.
/// A sink must not call this function, or it deadlocks.
pub fn set_sink(sink: Option<Sink>) {
    let mut slot = SINK
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    *slot = sink;
}

/// True when a message at `level` would be written.
pub fn enabled(level: Level) -> bool {
    init_from_env();
    (level as u8) <= MAX_LEVEL.load(Ordering::Relaxed)
}

/// Writes one message if `level` is enabled.
pub(crate) fn write(level: Level, args: fmt::Arguments<'_>) {
    if !enabled(level) {
        return;
    }
    let message = args.to_string();

    // The read guard is held while the sink runs, so `set_sink` waits for
    // messages in flight: once it returns, the old sink is never called
    // again. Several threads may still log at once.
    let sink = SINK.read().unwrap_or_else(|poisoned| poisoned.into_inner());
    match sink.as_ref() {
        Some(sink) => sink(level, &message),
        None => {
            let _ = writeln!(
                std::io::stderr().lock(),
                "avara {}: {message}",
                level.as_str()
            );
        }
    }
}

fn init_from_env() {
    READ_ENV.call_once(|| {
        let Ok(value) = std::env::var("AVARA_LOG") else {
            return;
        };
        match parse_level(&value) {
            Ok(level) => MAX_LEVEL.store(level.map_or(0, |l| l as u8), Ordering::Relaxed),
            Err(()) => {
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "avara warn: AVARA_LOG={value:?} is not one of off, error, warn, info, debug; using warn"
                );
            }
        }
    });
}

/// Parses an `AVARA_LOG` value; `Ok(None)` means off.
pub(crate) fn parse_level(value: &str) -> Result<Option<Level>, ()> {
    match value.trim().to_ascii_lowercase().as_str() {
        "off" | "none" => Ok(None),
        "error" => Ok(Some(Level::Error)),
        "warn" | "warning" => Ok(Some(Level::Warn)),
        "info" => Ok(Some(Level::Info)),
        "debug" | "trace" => Ok(Some(Level::Debug)),
        _ => Err(()),
    }
}

/// Logs at the given level; formatting happens only when it is enabled.
macro_rules! log_at {
    ($level:expr, $($arg:tt)+) => {
        if $crate::log::enabled($level) {
            $crate::log::write($level, format_args!($($arg)+));
        }
    };
}
pub(crate) use log_at;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_names_parse() {
        assert_eq!(parse_level("off"), Ok(None));
        assert_eq!(parse_level("ERROR"), Ok(Some(Level::Error)));
        assert_eq!(parse_level(" warn "), Ok(Some(Level::Warn)));
        assert_eq!(parse_level("info"), Ok(Some(Level::Info)));
        assert_eq!(parse_level("debug"), Ok(Some(Level::Debug)));
        assert_eq!(parse_level("verbose"), Err(()));
    }

    #[test]
    fn level_numbers_round_trip() {
        for level in [Level::Error, Level::Warn, Level::Info, Level::Debug] {
            assert_eq!(Level::from_number(level as u8), Some(level));
        }
        assert_eq!(Level::from_number(0), None);
        assert_eq!(Level::from_number(9), None);
    }

    #[test]
    fn set_sink_waits_for_messages_in_flight() {
        use std::sync::atomic::AtomicBool;
        use std::sync::mpsc;
        use std::time::Duration;

        let finished = Arc::new(AtomicBool::new(false));
        let (started_tx, started_rx) = mpsc::channel();
        let sink_finished = finished.clone();
        let started_tx = std::sync::Mutex::new(started_tx);
        set_max_level(Some(Level::Error));
        set_sink(Some(Arc::new(move |_, _| {
            started_tx.lock().unwrap().send(()).unwrap();
            std::thread::sleep(Duration::from_millis(100));
            sink_finished.store(true, Ordering::SeqCst);
        })));

        let writer = std::thread::spawn(|| write(Level::Error, format_args!("slow message")));
        started_rx.recv().unwrap();
        set_sink(None);
        assert!(
            finished.load(Ordering::SeqCst),
            "set_sink returned while the old sink ran"
        );
        writer.join().unwrap();
    }
}
