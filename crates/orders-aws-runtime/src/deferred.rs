//! A value built on a thread of its own from the start of `main`, so that
//! building it overlaps with the runtime's start and its first poll for an
//! event instead of lengthening the init phase.

use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;

/// A value that is ready, or being built on a thread of its own; the first
/// access waits for the build (a function's SDK client is built in a few
/// hundred microseconds, long before its first event is handled, so in
/// practice nothing waits). Cheap to clone: clones share the one value.
pub struct Deferred<T>(Arc<Inner<T>>);

struct Inner<T> {
    value: OnceLock<T>,
    building: Mutex<Option<JoinHandle<T>>>,
}

impl<T: Send + 'static> Deferred<T> {
    /// Starts `build` on a thread named `name`; if no thread can be
    /// started, builds it here and now, as without this type.
    pub fn spawn(name: &str, build: impl FnOnce() -> T + Send + 'static) -> Self {
        let build = Arc::new(Mutex::new(Some(build)));
        let on_thread = Arc::clone(&build);
        let spawned = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let build = on_thread.lock().ok().and_then(|mut b| b.take());
                build.expect("the build is taken once")()
            });
        match spawned {
            Ok(handle) => Self(Arc::new(Inner {
                value: OnceLock::new(),
                building: Mutex::new(Some(handle)),
            })),
            Err(_) => {
                let build = build.lock().ok().and_then(|mut b| b.take());
                Self::ready(build.expect("not taken: the thread never started")())
            }
        }
    }
}

impl<T> Deferred<T> {
    /// A value that needs no building.
    pub fn ready(value: T) -> Self {
        Self(Arc::new(Inner {
            value: OnceLock::from(value),
            building: Mutex::new(None),
        }))
    }

    /// The value, waiting for its thread if it is still building; a panic
    /// in the build is raised here, as if it had been built here.
    pub fn get(&self) -> &T {
        self.0.value.get_or_init(|| {
            let handle = self
                .0
                .building
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .take()
                .expect("a deferred value without a value has its build thread");
            handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }
}

impl<T> From<T> for Deferred<T> {
    fn from(value: T) -> Self {
        Self::ready(value)
    }
}

impl<T> Clone for Deferred<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<T> Deref for Deferred<T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.get()
    }
}

impl<T: fmt::Debug> fmt::Debug for Deferred<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.value.get() {
            Some(value) => f.debug_tuple("Deferred").field(value).finish(),
            None => f.write_str("Deferred(<building>)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn the_value_is_built_on_its_own_thread_and_shared_by_clones() {
        let (tx, rx) = mpsc::channel();
        let deferred = Deferred::spawn("test-build", move || {
            tx.send(std::thread::current().name().map(String::from))
                .unwrap();
            std::thread::sleep(Duration::from_millis(20));
            vec![1, 2, 3]
        });
        let clone = deferred.clone();
        assert_eq!(rx.recv().unwrap().as_deref(), Some("test-build"));
        assert_eq!(format!("{deferred:?}"), "Deferred(<building>)");
        // The first access waits for the build.
        assert_eq!(*deferred, vec![1, 2, 3]);
        assert!(std::ptr::eq(clone.get(), deferred.get()));
        assert_eq!(format!("{clone:?}"), "Deferred([1, 2, 3])");
    }

    #[test]
    fn a_ready_value_needs_no_thread() {
        let d: Deferred<&str> = "x".into();
        assert_eq!(*d, "x");
    }

    #[test]
    fn a_panicking_build_panics_where_the_value_is_used() {
        let d: Deferred<u8> = Deferred::spawn("test-panic", || panic!("no client"));
        let raised = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| *d.get()));
        let message = raised.unwrap_err();
        assert_eq!(message.downcast_ref::<&str>(), Some(&"no client"));
    }
}
