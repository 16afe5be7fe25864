//! Nothing to call: see this crate's `Cargo.toml` for why every function
//! links it.
#![forbid(unsafe_code)]
