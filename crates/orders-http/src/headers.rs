//! Names of the API's own HTTP headers (lower case, as `http` keeps them).

/// The request header that carries an idempotency key (`Idempotency-Key`).
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Set to `true` on a response that replays the first one of its key
/// (`Idempotent-Replayed`).
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";
