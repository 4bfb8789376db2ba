//! `avara-mock`: runs the Avara Express Users stand-in on 127.0.0.1 until
//! SIGINT, SIGTERM, or (with `--exit-on-stdin-close`) the end of stdin.

use std::io::{self, Read, Write};
use std::process::ExitCode;
use std::sync::mpsc;
use std::thread;

use avara_mock::{
    validate_api_key, validate_customer_id, validate_user_id, Config, Server, DEFAULT_API_KEY,
    DEFAULT_CUSTOMER_ID, DEFAULT_MEMBER_USER_ID, DEFAULT_READ_ONLY_API_KEY, DEFAULT_USER_ID,
    SECOND_CUSTOMER_ID, SECOND_USER_ID,
};

/// Exit status for invalid command-line options.
const USAGE_ERROR: u8 = 2;

fn help_text() -> String {
    format!(
        "\
avara-mock: local stand-in for the Avara Express Users API

USAGE:
    avara-mock [OPTIONS]

The server listens on 127.0.0.1 only. Its first line on stdout is exactly
`listening on http://127.0.0.1:PORT`, so scripts can read the port.
It stops cleanly on SIGINT or SIGTERM.

OPTIONS:
    --port N                TCP port to listen on; 0 picks a free port [default: 0]
    --api-key KEY           Accept KEY as `Authorization: Bearer KEY`. Repeatable.
                            Giving it replaces the default key
                            {DEFAULT_API_KEY}
    --read-only-key KEY     Accept KEY but answer 403 to add and remove. Repeatable.
                            Giving it replaces the default read-only key
                            {DEFAULT_READ_ONLY_API_KEY}
    --customer ID           Seed an Express customer (cus_ + 32 hex digits). Repeatable.
    --user ID               Seed a user (usr_ + 32 hex digits). Repeatable.
    --member CUS:USR        Seed a membership; it also seeds CUS and USR. Repeatable.
    --no-default-seed       Start without the default customers, users and member
                            below; keys are not affected.
    --exit-on-stdin-close   Stop when stdin reaches end of file, so a parent process
                            that dies takes the server with it.
    --verbose               Log one line per request to stderr (never headers or keys).
    -h, --help              Print this help.
    -V, --version           Print the version.

DEFAULT SEED:
    customer {DEFAULT_CUSTOMER_ID}  member: {DEFAULT_MEMBER_USER_ID}
    customer {SECOND_CUSTOMER_ID}  no members
    users    {DEFAULT_USER_ID}, {SECOND_USER_ID}, {DEFAULT_MEMBER_USER_ID}

API:
    POST   /v1/express/{{expressCustomerId}}/users   body {{\"userId\": \"usr_...\"}}
    DELETE /v1/express/{{expressCustomerId}}/users   body {{\"userId\": \"usr_...\"}}

CONTROL (no authentication):
    POST /__mock/script      Append a JSON array of scripted answers for the next
                             API requests. Fields, all optional: status, headers
                             ([[name, value], ...]), body, body_base64, body_repeat,
                             delay_ms, drop (\"before_response\", \"reset\", \"mid_body\"),
                             stall_after_bytes + stall_ms, chunked, gzip, count.
    GET  /__mock/state       Customers with their members, and all users.
    GET  /__mock/requests    Recorded API requests (the newest 10000).
    POST /__mock/reset-log   Clear the recorded requests.
    GET  /__mock/stats       connections_accepted, connections_open, requests_served.
    POST /__mock/reset       Clear scripts and the log and restore the seed.
"
    )
}

/// Settings from the command line.
struct Options {
    config: Config,
    exit_on_stdin_close: bool,
}

/// Action selected by the command line.
enum Command {
    Run(Options),
    Help,
    Version,
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Command, String> {
    let mut config = Config::default();
    let mut api_keys = Vec::new();
    let mut read_only_keys = Vec::new();
    let mut customers = Vec::new();
    let mut users = Vec::new();
    let mut members = Vec::new();
    let mut default_seed = true;
    let mut exit_on_stdin_close = false;

    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        // Accept both `--flag value` and `--flag=value`.
        let (flag, inline_value) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |example: &str| -> Result<String, String> {
            inline_value
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("option {flag} needs a value, for example {flag} {example}"))
        };

        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "--port" => {
                let text = value("8080")?;
                config.port = text.parse().map_err(|_| {
                    format!("invalid value {text:?} for --port: use a number from 0 to 65535")
                })?;
            }
            "--api-key" => {
                let key = value(DEFAULT_API_KEY)?;
                validate_api_key(&key).map_err(|error| format!("--api-key: {error}"))?;
                api_keys.push(key);
            }
            "--read-only-key" => {
                let key = value(DEFAULT_READ_ONLY_API_KEY)?;
                validate_api_key(&key).map_err(|error| format!("--read-only-key: {error}"))?;
                read_only_keys.push(key);
            }
            "--customer" => {
                let id = value(DEFAULT_CUSTOMER_ID)?;
                validate_customer_id(&id).map_err(|error| format!("--customer: {error}"))?;
                customers.push(id);
            }
            "--user" => {
                let id = value(DEFAULT_USER_ID)?;
                validate_user_id(&id).map_err(|error| format!("--user: {error}"))?;
                users.push(id);
            }
            "--member" => {
                let example = format!("{DEFAULT_CUSTOMER_ID}:{DEFAULT_USER_ID}");
                let pair = value(&example)?;
                let Some((customer, user)) = pair.split_once(':') else {
                    return Err(format!(
                        "invalid value {pair:?} for --member: use CUSTOMER:USER, for example {example}"
                    ));
                };
                validate_customer_id(customer).map_err(|error| format!("--member: {error}"))?;
                validate_user_id(user).map_err(|error| format!("--member: {error}"))?;
                members.push((customer.to_owned(), user.to_owned()));
            }
            "--no-default-seed" => default_seed = false,
            "--exit-on-stdin-close" => exit_on_stdin_close = true,
            "-v" | "--verbose" => config.verbose = true,
            _ => return Err(format!("unknown option {arg:?}")),
        }
        if inline_value.is_some() && !takes_value(&flag) {
            return Err(format!("option {flag} takes no value, but got {arg:?}"));
        }
    }

    if !default_seed {
        config = config.without_seed();
    }
    if !api_keys.is_empty() {
        config.api_keys = api_keys;
    }
    if !read_only_keys.is_empty() {
        config.read_only_keys = read_only_keys;
    }
    config.customers.extend(customers);
    config.users.extend(users);
    config.members.extend(members);

    Ok(Command::Run(Options {
        config,
        exit_on_stdin_close,
    }))
}

fn takes_value(flag: &str) -> bool {
    matches!(
        flag,
        "--port" | "--api-key" | "--read-only-key" | "--customer" | "--user" | "--member"
    )
}

/// Reasons the server stops.
enum StopReason {
    Signal(&'static str),
    StdinClosed,
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(Command::Run(options)) => options,
        Ok(Command::Help) => {
            print!("{}", help_text());
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            println!("avara-mock {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("avara-mock: {message}");
            eprintln!("Run 'avara-mock --help' for the list of options.");
            return ExitCode::from(USAGE_ERROR);
        }
    };

    // Block the stop signals before any thread starts, so that every thread
    // inherits the mask and only the waiting thread receives them.
    let (stop_sender, stop_receiver) = mpsc::channel();
    if let Err(error) = signals::watch(stop_sender.clone()) {
        eprintln!("avara-mock: could not set up SIGINT and SIGTERM handling: {error}");
        return ExitCode::FAILURE;
    }

    let port = options.config.port;
    let server = match Server::start(options.config) {
        Ok(server) => server,
        Err(error) if error.kind() == io::ErrorKind::InvalidInput => {
            eprintln!("avara-mock: {error}");
            return ExitCode::from(USAGE_ERROR);
        }
        Err(error) => {
            eprintln!("avara-mock: could not listen on 127.0.0.1:{port}: {error}; choose another --port, or --port 0 for any free port");
            return ExitCode::FAILURE;
        }
    };

    let mut stdout = io::stdout();
    let announced =
        writeln!(stdout, "listening on {}", server.base_url()).and_then(|()| stdout.flush());
    if let Err(error) = announced {
        eprintln!("avara-mock: could not write the listening line to stdout: {error}");
        return ExitCode::FAILURE;
    }

    if options.exit_on_stdin_close {
        thread::spawn(move || {
            let mut sink = [0u8; 4096];
            let mut stdin = io::stdin();
            while matches!(stdin.read(&mut sink), Ok(length) if length > 0) {}
            let _ = stop_sender.send(StopReason::StdinClosed);
        });
    }

    let reason = stop_receiver.recv();
    let reason_text = match reason {
        Ok(StopReason::Signal(name)) => format!("received {name}"),
        Ok(StopReason::StdinClosed) => "stdin closed".to_owned(),
        Err(_) => "stop channel closed".to_owned(),
    };
    let stats = server.stats();
    drop(server);
    eprintln!(
        "avara-mock: {reason_text}; stopped after {} on {}",
        format_count(stats.requests_served, "request"),
        format_count(stats.connections_accepted, "connection")
    );
    ExitCode::SUCCESS
}

/// Formats `count` followed by `noun`, in the plural unless `count` is 1.
fn format_count(count: u64, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

#[cfg(unix)]
mod signals {
    use std::io;
    use std::sync::mpsc::Sender;
    use std::thread;

    use super::StopReason;

    /// Blocks SIGINT and SIGTERM in the calling thread (and so in every
    /// thread it starts later) and starts a thread that waits for them with
    /// sigwait and sends the stop reason.
    pub fn watch(sender: Sender<StopReason>) -> io::Result<()> {
        // SAFETY: sigset_t is plain data that sigemptyset initializes before
        // use, and pthread_sigmask only reads the set.
        let set = unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGINT);
            libc::sigaddset(&mut set, libc::SIGTERM);
            let result = libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            if result != 0 {
                return Err(io::Error::from_raw_os_error(result));
            }
            set
        };

        thread::Builder::new()
            .name("avara-mock-signals".to_owned())
            .spawn(move || loop {
                let mut signal: libc::c_int = 0;
                // SAFETY: `set` is an initialized signal set and `signal` is a
                // valid place for the result.
                let result = unsafe { libc::sigwait(&set, &mut signal) };
                if result != 0 {
                    continue;
                }
                let name = if signal == libc::SIGINT {
                    "SIGINT"
                } else {
                    "SIGTERM"
                };
                let _ = sender.send(StopReason::Signal(name));
                return;
            })?;
        Ok(())
    }
}

// NOTE: without Unix signals the process stops by the platform default on
// Ctrl-C, with no shutdown line.
#[cfg(not(unix))]
mod signals {
    use std::io;
    use std::sync::mpsc::Sender;

    use super::StopReason;

    pub fn watch(sender: Sender<StopReason>) -> io::Result<()> {
        std::mem::forget(sender);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, String> {
        match parse_args(args.iter().map(|arg| arg.to_string()))? {
            Command::Run(options) => Ok(options),
            _ => Err("not a run command".to_owned()),
        }
    }

    #[test]
    fn format_count_plural_unless_one() {
        assert_eq!(format_count(0, "request"), "0 requests");
        assert_eq!(format_count(1, "request"), "1 request");
        assert_eq!(format_count(2, "connection"), "2 connections");
    }

    #[test]
    fn defaults_without_flags() {
        let options = parse(&[]).unwrap();
        assert_eq!(options.config, Config::default());
        assert!(!options.exit_on_stdin_close);
    }

    #[test]
    fn flags_replace_keys_and_extend_seed() {
        let customer = "cus_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        let user = "usr_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
        let member = format!("{customer}:{user}");
        let options = parse(&[
            "--port=8081",
            "--api-key",
            "sk_live_k1",
            "--api-key",
            "sk_live_k2",
            "--no-default-seed",
            "--member",
            &member,
            "--verbose",
            "--exit-on-stdin-close",
        ])
        .unwrap();
        assert_eq!(options.config.port, 8081);
        assert_eq!(options.config.api_keys, vec!["sk_live_k1", "sk_live_k2"]);
        assert_eq!(
            options.config.read_only_keys,
            vec![DEFAULT_READ_ONLY_API_KEY]
        );
        assert!(options.config.customers.is_empty());
        assert_eq!(
            options.config.members,
            vec![(customer.to_owned(), user.to_owned())]
        );
        assert!(options.config.verbose);
        assert!(options.exit_on_stdin_close);
    }

    #[test]
    fn invalid_flags_name_the_value() {
        let cases: [(&[&str], &str); 7] = [
            (&["--port", "70000"], "\"70000\""),
            (&["--port"], "needs a value"),
            (&["--customer", "cus_1"], "\"cus_1\""),
            (
                &["--user", "cus_0123456789abcdef0123456789abcdef"],
                "expected usr_",
            ),
            (
                &["--member", "cus_0123456789abcdef0123456789abcdef"],
                "CUSTOMER:USER",
            ),
            (&["--bogus"], "unknown option \"--bogus\""),
            (&["--verbose=yes"], "takes no value"),
        ];
        for (args, expected) in cases {
            let error = parse(args).err().unwrap_or_default();
            assert!(error.contains(expected), "{args:?}: {error}");
        }
    }
}
