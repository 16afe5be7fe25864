//! The init-time rounds: each cold start is a fresh emulator and a fresh
//! process, stopped as soon as it polls for its first event.

use super::results::FunctionResult;
use super::runner::{stop, Runner};
use crate::stats::Summary;

/// A function whose first inits all fail is given up on after this many.
const GIVE_UP_AFTER_FAILED_INITS: usize = 3;

/// `rounds` cold starts into `fr.init_ms` (failures into
/// `fr.init_failures`), then their summary into `fr.init`.
pub async fn measure(runner: &Runner, rounds: usize, fr: &mut FunctionResult) {
    let name = &runner.name;
    for i in 0..rounds {
        match runner.cold_start().await {
            Ok((ms, mut child, _emu)) => {
                fr.init_ms.push(ms);
                stop(&mut child).await;
            }
            Err(e) => {
                eprintln!("orders-bench: {name}: cold start {}: {e}", i + 1);
                fr.init_failures.push(e.to_string());
                if fr.init_ms.is_empty() && fr.init_failures.len() >= GIVE_UP_AFTER_FAILED_INITS {
                    eprintln!(
                        "orders-bench: {name}: giving up after {GIVE_UP_AFTER_FAILED_INITS} failed inits"
                    );
                    break;
                }
            }
        }
    }
    fr.init = Summary::of(&fr.init_ms);
}
