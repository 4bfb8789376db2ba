//! The C ABI: the only module with `unsafe` code.
//!
//! Each exported function does four things and no more: check its
//! pointers, convert C strings, call the safe core inside the one panic
//! boundary ([`boundary::guard`]), and map the result to an
//! [`AvaraStatus`]. Details of a failure go to the calling thread's last
//! error ([`last_error`]).
//!
//! Functions live next to the handles they act on: [`client`] and
//! [`options`] for client handles, [`express`] for the Express calls and
//! their response handle, [`log`] for the log sink, [`status`] for codes.

pub mod boundary;
pub mod client;
pub mod express;
pub mod last_error;
pub mod log;
pub mod options;
pub mod status;

pub use status::AvaraStatus;
