//! libavara: a blocking client for the Avara API with a C ABI.
//!
//! The crate has two layers. The core ([`Client`], [`ClientOptions`],
//! [`Error`] and the modules behind them) is safe, blocking Rust with no C
//! types or raw pointers. The [`ffi`] module contains all `unsafe` code: it
//! checks pointers, converts C strings, catches panics and maps [`Error`]
//! values to the status codes in `include/avara.h`.
//!
//! ```no_run
//! let client = avara::Client::new(avara::ClientOptions::new())?;
//! let response = client.express_users_add(
//!     "cus_0123456789abcdef0123456789abcdef",
//!     "usr_0123456789abcdef0123456789abcdef",
//! )?;
//! assert!(response.success);
//! # Ok::<(), avara::Error>(())
//! ```

#![deny(unsafe_code, unsafe_op_in_unsafe_fn)]

mod client;
mod config;
mod error;
mod express;
// The C ABI is the one module allowed to use `unsafe`.
#[allow(unsafe_code)]
pub mod ffi;
mod ids;
pub mod log;
#[cfg(test)]
mod property_tests;
mod resolver;
mod retry;
mod transport;

pub use client::Client;
pub use config::{ClientOptions, DEFAULT_BASE_URL};
pub use error::{Error, ErrorKind};
pub use express::UsersResponse;
pub use ids::{validate_customer_id, validate_user_id};

/// The library version, taken from `Cargo.toml`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
