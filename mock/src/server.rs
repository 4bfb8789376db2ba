//! The running server: listener, accept thread, shared state and statistics.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use serde::Serialize;

use crate::api::{Directory, Keys};
use crate::config::Config;
use crate::connection;
use crate::record::{RecordedRequest, RequestLog};
use crate::script::{lock, InvalidScript, ScriptQueue, ScriptedAnswer};

/// Counters since the server started. `POST /__mock/reset` does not clear
/// them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// TCP connections accepted.
    pub connections_accepted: u64,
    /// TCP connections whose thread is still running.
    pub connections_open: u64,
    /// API requests handled, including scripted responses and drops. Control
    /// requests under `/__mock/` and requests rejected by the HTTP parser
    /// (400, 413, 431, ...) are not counted.
    pub requests_served: u64,
}

/// State shared by the accept thread and every connection thread.
pub(crate) struct Shared {
    pub keys: Keys,
    seed: Directory,
    pub directory: Mutex<Directory>,
    pub scripts: ScriptQueue,
    pub log: RequestLog,
    pub verbose: bool,
    /// Set when the server is dropped; connections close after their current
    /// request.
    pub stopping: AtomicBool,
    connections_accepted: AtomicU64,
    connections_open: AtomicU64,
    requests_served: AtomicU64,
    last_request_id: AtomicU64,
    /// Clones of open connections, so that dropping the server can shut
    /// them down.
    open_streams: Mutex<HashMap<u64, TcpStream>>,
}

impl Shared {
    pub fn next_request_id(&self) -> u64 {
        self.last_request_id.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub fn count_request(&self) {
        self.requests_served.fetch_add(1, Ordering::Relaxed);
    }

    pub fn stats(&self) -> Stats {
        Stats {
            connections_accepted: self.connections_accepted.load(Ordering::Relaxed),
            connections_open: self.connections_open.load(Ordering::Relaxed),
            requests_served: self.requests_served.load(Ordering::Relaxed),
        }
    }

    pub fn directory_snapshot(&self) -> (BTreeMap<String, Vec<String>>, Vec<String>) {
        let directory = lock(&self.directory);
        (directory.customers_snapshot(), directory.users_snapshot())
    }

    /// Clears scripts and the log and restores the seeded directory.
    pub fn reset(&self) {
        self.scripts.clear();
        self.log.clear();
        *lock(&self.directory) = self.seed.clone();
    }
}

/// A running mock server on 127.0.0.1.
///
/// Dropping it stops accepting, closes the listener and shuts down every
/// open connection; connection threads then exit on their own.
///
/// # Example
///
/// ```
/// use avara_mock::{Config, Server, DEFAULT_CUSTOMER_ID};
///
/// let server = Server::start(Config::default()).unwrap();
/// assert!(server.base_url().starts_with("http://127.0.0.1:"));
/// assert_eq!(server.members(DEFAULT_CUSTOMER_ID).len(), 1);
/// ```
pub struct Server {
    shared: Arc<Shared>,
    addr: SocketAddr,
    accept_thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Validates `config`, binds 127.0.0.1 and starts accepting connections.
    ///
    /// Returns `InvalidInput` naming the bad value when a key or ID in
    /// `config` is malformed, or the bind error.
    pub fn start(config: Config) -> io::Result<Server> {
        config.validate()?;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port))?;
        let addr = listener.local_addr()?;

        let seed = Directory::from_config(&config);
        let shared = Arc::new(Shared {
            keys: Keys::from_config(&config),
            directory: Mutex::new(seed.clone()),
            seed,
            scripts: ScriptQueue::default(),
            log: RequestLog::default(),
            verbose: config.verbose,
            stopping: AtomicBool::new(false),
            connections_accepted: AtomicU64::new(0),
            connections_open: AtomicU64::new(0),
            requests_served: AtomicU64::new(0),
            last_request_id: AtomicU64::new(0),
            open_streams: Mutex::new(HashMap::new()),
        });

        let accept_shared = Arc::clone(&shared);
        let accept_thread = thread::Builder::new()
            .name("avara-mock-accept".to_owned())
            .spawn(move || accept_loop(&accept_shared, &listener))?;

        Ok(Server {
            shared,
            addr,
            accept_thread: Some(accept_thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Returns `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Returns the current members of `customer` in canonical form (`usr_`
    /// and lowercase hex), sorted. An unknown or malformed customer ID gives
    /// an empty list.
    pub fn members(&self, customer: &str) -> Vec<String> {
        lock(&self.shared.directory).members_of(customer)
    }

    /// Returns the recorded API requests, oldest first. Control requests are
    /// not recorded, and only the newest
    /// [`MAX_RECORDED_REQUESTS`](crate::MAX_RECORDED_REQUESTS) are kept.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.log.snapshot()
    }

    pub fn clear_requests(&self) {
        self.shared.log.clear();
    }

    /// Appends scripted answers for the next API requests.
    ///
    /// # Panics
    ///
    /// Panics with the reason when an answer is invalid, for example a body
    /// without a status. Use [`Server::try_script`] to get the error instead.
    pub fn script(&self, answers: Vec<ScriptedAnswer>) {
        if let Err(invalid) = self.try_script(answers) {
            panic!("{invalid}");
        }
    }

    /// Appends scripted answers, or none of them if any is invalid. Returns
    /// the number of answers now queued.
    pub fn try_script(&self, answers: Vec<ScriptedAnswer>) -> Result<usize, InvalidScript> {
        self.shared.scripts.append(answers)
    }

    /// Returns the number of scripted answers not yet used, each counted once
    /// whatever its `count`.
    pub fn pending_scripts(&self) -> usize {
        self.shared.scripts.len()
    }

    /// Clears scripts and the request log and restores the seeded customers,
    /// users and members, like `POST /__mock/reset`.
    pub fn reset(&self) {
        self.shared.reset();
    }

    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);

        // The accept thread is blocked in accept(). One connection wakes it,
        // so it reads the flag, exits and drops the listener.
        let woke = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)).is_ok();
        if let Some(accept_thread) = self.accept_thread.take() {
            if woke {
                let _ = accept_thread.join();
            }
        }

        for (_, stream) in lock(&self.shared.open_streams).drain() {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

fn accept_loop(shared: &Arc<Shared>, listener: &TcpListener) {
    for incoming in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            break;
        }
        match incoming {
            Ok(stream) => start_connection(shared, stream),
            Err(error) => {
                // Usually EMFILE or ECONNABORTED. Back off briefly so a full
                // descriptor table does not make this loop spin.
                eprintln!("avara-mock: accept failed: {error}; retrying in 10 ms");
                thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

fn start_connection(shared: &Arc<Shared>, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let id = shared.connections_accepted.fetch_add(1, Ordering::Relaxed) + 1;
    shared.connections_open.fetch_add(1, Ordering::Relaxed);
    if let Ok(clone) = stream.try_clone() {
        lock(&shared.open_streams).insert(id, clone);
    }

    let thread_shared = Arc::clone(shared);
    let spawned = thread::Builder::new()
        .name(format!("avara-mock-conn-{id}"))
        .spawn(move || {
            let _guard = OpenConnection {
                shared: &thread_shared,
                id,
            };
            connection::serve(&thread_shared, stream);
        });
    if let Err(error) = spawned {
        eprintln!("avara-mock: could not start a thread for connection {id}: {error}; closing it");
        lock(&shared.open_streams).remove(&id);
        shared.connections_open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Unregisters a connection when its thread ends, even by panic.
struct OpenConnection<'a> {
    shared: &'a Shared,
    id: u64,
}

impl Drop for OpenConnection<'_> {
    fn drop(&mut self) {
        lock(&self.shared.open_streams).remove(&self.id);
        self.shared.connections_open.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Server>();
    }
}
