//! Orders and records to feed the suite: the workspace's shared builders
//! (`orders-test-support`), under the name the cases use.

pub use orders_test_support::orders::*;
