//! Shared helpers for the integration tests: compiling the C and C++ test
//! programs against the real header and library, and running them.
#![allow(dead_code, unused_imports)]

pub mod tls;

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, OnceLock};

pub use avara_mock::{
    Config, DropMode, RecordedRequest, ScriptedAnswer, Server, DEFAULT_API_KEY,
    DEFAULT_CUSTOMER_ID, DEFAULT_MEMBER_USER_ID, DEFAULT_READ_ONLY_API_KEY, DEFAULT_USER_ID,
    SECOND_CUSTOMER_ID, SECOND_USER_ID,
};

/// Returns the repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Returns the directory holding the `libavara.so` built together with
/// this test binary: `<target>/<profile>/deps`. Cargo refreshes the copy
/// one level up only on `cargo build`, so that one may be stale during
/// `cargo test`.
pub fn library_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary has a path");
    let dir = exe
        .parent()
        .expect("the test binary lives in <target>/<profile>/deps")
        .to_path_buf();
    assert!(
        dir.join("libavara.so").exists(),
        "libavara.so not found in {}; build the cdylib with `cargo build -p avara`",
        dir.display()
    );
    dir
}

/// Which compiler and flags to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    C99,
    Cxx17,
}

/// Compiles `tests/<relative>` (or any path under the repository) against
/// `include/` and the built libavara, once per test binary, and returns the
/// program's path. Panics with the compiler's output on failure.
pub fn compile(relative: &str, language: Language) -> PathBuf {
    compile_variant(relative, language, "", &[])
}

/// Like [`compile`], with `extra_flags` passed to the compiler, such as
/// `-fsanitize=address`. A non-empty `variant` is appended to the
/// program's name so the variant does not replace the plain build.
pub fn compile_variant(
    relative: &str,
    language: Language,
    variant: &str,
    extra_flags: &[&str],
) -> PathBuf {
    type Key = (String, Language, String);
    static BUILT: OnceLock<Mutex<HashMap<Key, PathBuf>>> = OnceLock::new();
    let built = BUILT.get_or_init(|| Mutex::new(HashMap::new()));
    let mut built = built
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let key = (relative.to_owned(), language, variant.to_owned());
    if let Some(path) = built.get(&key) {
        return path.clone();
    }

    let root = repo_root();
    let lib_dir = library_dir();
    let out_dir = lib_dir.join("c-tests").join(test_binary_name());
    std::fs::create_dir_all(&out_dir).expect("create the C test output directory");
    let mut stem = Path::new(relative)
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    if !variant.is_empty() {
        stem = format!("{stem}-{variant}");
    }
    let program = out_dir.join(stem);

    let (compiler, flags): (&str, &[&str]) = match language {
        Language::C99 => (
            "cc",
            &["-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-g"],
        ),
        Language::Cxx17 => (
            "c++",
            &[
                "-std=c++17",
                "-Wall",
                "-Wextra",
                "-pedantic",
                "-Werror",
                "-g",
            ],
        ),
    };
    let output = Command::new(compiler)
        .args(flags)
        .args(extra_flags)
        .arg("-I")
        .arg(root.join("include"))
        .arg(root.join(relative))
        .arg("-o")
        .arg(&program)
        .arg("-L")
        .arg(&lib_dir)
        .arg(format!("-Wl,-rpath,{}", lib_dir.display()))
        .args(["-lavara", "-lpthread"])
        .output()
        .unwrap_or_else(|error| panic!("cannot run {compiler}: {error}"));
    assert!(
        output.status.success(),
        "compiling {relative} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    built.insert(key, program.clone());
    program
}

fn test_binary_name() -> String {
    let exe = std::env::current_exe().unwrap();
    exe.file_stem().unwrap().to_string_lossy().into_owned()
}

/// Builds a command for `program` with the Avara and proxy variables
/// removed, so settings from the developer's shell cannot leak into a test.
pub fn command(program: &Path) -> Command {
    let mut command = Command::new(program);
    // cargo test puts <target>/debug on LD_LIBRARY_PATH, which would win
    // over the program's rpath and load a stale copy of libavara.so.
    command.env_remove("LD_LIBRARY_PATH");
    for name in [
        "AVARA_API_KEY",
        "AVARA_BASE_URL",
        "AVARA_CUSTOM_HEADERS",
        "AVARA_LOG",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "no_proxy",
    ] {
        command.env_remove(name);
    }
    command
}

/// The outcome of one `avara_call` run, parsed from its `key: value` lines.
#[derive(Debug)]
pub struct CallReport {
    pub exit_code: i32,
    pub fields: HashMap<String, String>,
    pub logs: Vec<String>,
    pub stdout: String,
    pub stderr: String,
}

impl CallReport {
    pub fn get(&self, key: &str) -> &str {
        self.fields.get(key).map(String::as_str).unwrap_or_else(|| {
            panic!(
                "avara_call printed no {key}:\n{}\n{}",
                self.stdout, self.stderr
            )
        })
    }

    pub fn status(&self) -> &str {
        self.get("status")
    }
}

/// Runs `tests/c/avara_call.c` with `args` and the given environment.
pub fn avara_call(args: &[&str], env: &[(&str, &str)]) -> CallReport {
    let program = compile("tests/c/avara_call.c", Language::C99);
    let output = command(&program)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("run avara_call");
    parse_report(output)
}

fn parse_report(output: Output) -> CallReport {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let mut fields = HashMap::new();
    let mut logs = Vec::new();
    for line in stdout.lines() {
        if let Some(log) = line.strip_prefix("log: ") {
            logs.push(log.to_owned());
        } else if let Some((key, value)) = line.split_once(": ") {
            fields.insert(key.to_owned(), value.to_owned());
        }
    }
    CallReport {
        exit_code: output.status.code().unwrap_or(-1),
        fields,
        logs,
        stdout,
        stderr,
    }
}

/// Arguments for one add or remove call against `server` with the default
/// key, followed by `extra` options.
pub fn call_args<'a>(
    server_url: &'a str,
    extra: &[&'a str],
    operation: &'a str,
    customer: &'a str,
    user: &'a str,
) -> Vec<&'a str> {
    let mut args = vec!["--api-key", DEFAULT_API_KEY, "--base-url", server_url];
    args.extend_from_slice(extra);
    args.extend_from_slice(&[operation, customer, user]);
    args
}

/// Owned arguments for one add of [`DEFAULT_USER_ID`] to
/// [`DEFAULT_CUSTOMER_ID`] against `url` with the default key, followed by
/// `extra` options.
pub fn add_args(url: &str, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "--api-key".into(),
        DEFAULT_API_KEY.into(),
        "--base-url".into(),
        url.into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend([
        "add".into(),
        DEFAULT_CUSTOMER_ID.into(),
        DEFAULT_USER_ID.into(),
    ]);
    args
}

/// Builds a scripted answer with a status, a JSON body and headers.
pub fn answer(status: u16, body: &str, headers: &[(&str, &str)]) -> ScriptedAnswer {
    ScriptedAnswer {
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        ..ScriptedAnswer::with_status(status, body)
    }
}

/// Returns a loopback port with nothing listening: bound, then released.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A minimal HTTP CONNECT proxy on loopback that tunnels every connection
/// to one fixed upstream, whatever the CONNECT line names, and records the
/// names. It stands for a corporate proxy that can reach a host the client
/// cannot.
pub struct ConnectProxy {
    addr: std::net::SocketAddr,
    targets: std::sync::Arc<Mutex<Vec<String>>>,
}

impl ConnectProxy {
    pub fn start(upstream: std::net::SocketAddr) -> ConnectProxy {
        use std::io::{BufRead, BufReader, Write};
        use std::net::{TcpListener, TcpStream};

        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let targets = std::sync::Arc::new(Mutex::new(Vec::new()));
        let recorded = targets.clone();
        std::thread::spawn(move || {
            // Bounded: a test makes a handful of connections at most.
            for client in listener.incoming().take(16) {
                let Ok(client) = client else { break };
                let recorded = recorded.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(client.try_clone().unwrap());
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    let target = line
                        .split_whitespace()
                        .nth(1)
                        .unwrap_or_default()
                        .to_owned();
                    loop {
                        let mut header = String::new();
                        if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                            break;
                        }
                    }
                    recorded.lock().unwrap().push(target);
                    let upstream = TcpStream::connect(upstream).unwrap();
                    (&client)
                        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                        .unwrap();
                    let (mut up_read, mut client_write) =
                        (upstream.try_clone().unwrap(), client.try_clone().unwrap());
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut up_read, &mut client_write);
                        let _ = client_write.shutdown(std::net::Shutdown::Both);
                    });
                    let mut up_write = upstream;
                    let _ = std::io::copy(&mut reader, &mut up_write);
                    let _ = up_write.shutdown(std::net::Shutdown::Both);
                });
            }
        });
        ConnectProxy { addr, targets }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The `host:port` of every CONNECT request so far.
    pub fn targets(&self) -> Vec<String> {
        self.targets.lock().unwrap().clone()
    }
}

/// Reads one HTTP/1.1 request, head and `Content-Length` body, from
/// `stream`. Returns what arrived before the peer closed, possibly nothing.
pub fn read_http_request(stream: &mut impl Read) -> std::io::Result<Vec<u8>> {
    let mut request = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let read = stream.read(&mut buffer)?;
        if read == 0 {
            return Ok(request);
        }
        request.extend_from_slice(&buffer[..read]);
        let Some(head_end) = request.windows(4).position(|window| window == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&request[..head_end]);
        let content_length = head
            .lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
            .and_then(|(_, value)| value.trim().parse::<usize>().ok())
            .unwrap_or(0);
        if request.len() >= head_end + 4 + content_length {
            return Ok(request);
        }
    }
}
