//! Load on the local host and the saga's invariants.
//!
//! - [`mix`]: the mixed orders (every payment token, a SKU that runs out)
//!   and the stock they start from;
//! - [`invariants`]: every invariant of the saga over a [`invariants::Snapshot`]
//!   of the host (orders, payments, stock, executions, notifications, read
//!   through the API and the `/local/*` resources), as a list of
//!   violations: the e2e saga tests assert it is empty, the load tool
//!   (`orders-load`, scripts/load.sh) counts and prints them.

pub mod invariants;
pub mod mix;
