//! The writer: one thread owns the write connection and commits in groups.
//!
//! Every write of the process (the stores, the embedded queues, the
//! executor's history) is a job sent to this thread. The thread takes the
//! job that woke it and every job queued behind it (up to [`MAX_GROUP`]) and
//! runs them in one `BEGIN IMMEDIATE … COMMIT`, each inside a savepoint of
//! its own: a job that fails or panics rolls back to its savepoint and
//! leaves the others' writes in place. Each job's result is handed back only
//! after the group's COMMIT, so a caller never sees a write that could
//! still be rolled back; a failed COMMIT fails every job of the group, and
//! none of their writes is kept.
//!
//! Under load that turns a few thousand commits a second into a few hundred
//! (each commit appends the pages it changed to the WAL, and the saga's
//! writes share their index and queue pages); with one caller a group is
//! one job, as before. Jobs open their own savepoints (`Connection::savepoint`),
//! never transactions: SQLite does not nest `BEGIN`.

use orders_core::error::StoreError;
use rusqlite::Connection;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;

/// Most jobs one COMMIT carries.
pub(crate) const MAX_GROUP: usize = 128;

/// What a job hands back once its group's fate is known: the COMMIT's
/// outcome goes in, the caller's result goes out.
type Deliver = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
/// A job: runs on the connection, says whether it succeeded (its savepoint
/// is released or rolled back accordingly) and how to deliver its result.
/// Given an error instead of the connection, it does not run and delivers
/// that error.
type Job = Box<dyn FnOnce(Result<&mut Connection, StoreError>) -> (bool, Deliver) + Send>;

/// The handle to the writer thread; dropping the last one stops it.
pub(crate) struct Writer {
    jobs: Sender<Job>,
    /// Transactions committed so far (each carries one group); read by the
    /// tests, which check that concurrent writes share commits.
    #[cfg_attr(not(test), allow(dead_code))]
    groups: Arc<AtomicU64>,
}

impl Writer {
    /// Moves `conn` onto a new writer thread.
    pub(crate) fn start(conn: Connection) -> Result<Self, StoreError> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let groups = Arc::new(AtomicU64::new(0));
        let counted = groups.clone();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(conn, queue, &counted))
            .map_err(|e| StoreError::Other(format!("could not start the sqlite writer: {e}")))?;
        Ok(Self { jobs, groups })
    }

    /// How many groups (transactions) the writer has committed or tried to.
    #[cfg(test)]
    pub(crate) fn groups(&self) -> u64 {
        self.groups.load(Ordering::Relaxed)
    }

    /// Runs `f` on the write connection and returns its result after the
    /// commit that made its writes durable.
    pub(crate) async fn call<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let outcome = conn.and_then(|conn| {
                catch_unwind(AssertUnwindSafe(|| f(conn)))
                    .unwrap_or_else(|_| Err(StoreError::Other("a sqlite write panicked".into())))
            });
            let ok = outcome.is_ok();
            let deliver: Deliver = Box::new(move |committed| {
                // The caller may have gone away (a dropped future); nothing to do then.
                let _ = done.send(committed.and(outcome));
            });
            (ok, deliver)
        });
        self.jobs
            .send(job)
            .map_err(|_| StoreError::Other("the sqlite writer has stopped".into()))?;
        result
            .await
            .map_err(|_| StoreError::Other("the sqlite writer dropped a write".into()))?
    }
}

fn run(mut conn: Connection, queue: Receiver<Job>, groups: &AtomicU64) {
    while let Ok(first) = queue.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        commit_group(&mut conn, group);
        groups.fetch_add(1, Ordering::Relaxed);
    }
}

/// Runs `group` in one transaction and delivers every result after its end.
fn commit_group(conn: &mut Connection, group: Vec<Job>) {
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        // The write lock is out of reach (another process held it past the
        // busy timeout): no job runs, each gets the error.
        let e = super::map_err(e);
        for job in group {
            let (_, deliver) = job(Err(e.clone()));
            deliver(Ok(()));
        }
        return;
    }
    let delivers: Vec<Deliver> = group
        .into_iter()
        .map(|job| job_in_savepoint(conn, job).1)
        .collect();
    let committed = conn.execute_batch("COMMIT").map_err(super::map_err);
    if committed.is_err() && !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    for deliver in delivers {
        deliver(match &committed {
            Ok(()) => Ok(()),
            Err(e) => Err(e.clone()),
        });
    }
}

/// Runs one job between `SAVEPOINT job` and its release or rollback.
fn job_in_savepoint(conn: &mut Connection, job: Job) -> (bool, Deliver) {
    if let Err(e) = conn.execute_batch("SAVEPOINT job") {
        return job(Err(super::map_err(e)));
    }
    let (ok, deliver) = job(Ok(conn));
    let end = if ok {
        "RELEASE job"
    } else {
        "ROLLBACK TO job; RELEASE job"
    };
    if let Err(e) = conn.execute_batch(end) {
        tracing::error!(error = %e, "could not end a write's savepoint");
    }
    (ok, deliver)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn open(path: &Path) -> Connection {
        let conn = Connection::open(path).unwrap();
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .unwrap();
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .unwrap();
        conn
    }

    fn setup() -> (tempfile::TempDir, Writer, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let conn = open(&path);
        conn.execute_batch("CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER)")
            .unwrap();
        let reader = open(&path);
        (dir, Writer::start(conn).unwrap(), reader)
    }

    fn insert(k: &str) -> impl FnOnce(&mut Connection) -> Result<(), StoreError> + Send + 'static {
        let k = k.to_string();
        move |c| {
            c.execute("INSERT INTO t VALUES (?1, 1)", [&k])
                .map(drop)
                .map_err(crate::map_err)
        }
    }

    fn count(reader: &Connection) -> i64 {
        reader
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_writes_share_commits_and_each_is_visible_when_its_call_returns() {
        let (_dir, writer, reader) = setup();
        let writer = Arc::new(writer);
        let reader = Arc::new(std::sync::Mutex::new(reader));
        let mut tasks = Vec::new();
        for i in 0..400 {
            let (writer, reader) = (writer.clone(), reader.clone());
            tasks.push(tokio::spawn(async move {
                let key = format!("k{i}");
                writer.call(insert(&key)).await.unwrap();
                // Committed before the call returned: another connection sees it.
                let seen: i64 = reader
                    .lock()
                    .unwrap()
                    .query_row("SELECT COUNT(*) FROM t WHERE k = ?1", [&key], |r| r.get(0))
                    .unwrap();
                assert_eq!(seen, 1, "{key} is committed when its call returns");
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(count(&reader.lock().unwrap()), 400);
        assert!(
            writer.groups() < 400,
            "400 concurrent writes took {} commits; some must have shared one",
            writer.groups()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_failing_or_panicking_write_rolls_back_alone() {
        let (_dir, writer, reader) = setup();
        let writer = Arc::new(writer);
        let mut tasks = Vec::new();
        for i in 0..60 {
            let writer = writer.clone();
            tasks.push(tokio::spawn(async move {
                let key = format!("k{i}");
                match i % 3 {
                    // Writes, then fails: its own row must not stay.
                    1 => {
                        writer
                            .call(move |c| {
                                insert(&key)(c)?;
                                Err::<(), _>(StoreError::Other("refused".into()))
                            })
                            .await
                            .unwrap_err();
                    }
                    2 => {
                        writer
                            .call(move |c| -> Result<(), StoreError> {
                                insert(&key)(c)?;
                                panic!("a bug in a write");
                            })
                            .await
                            .unwrap_err();
                    }
                    _ => writer.call(insert(&key)).await.unwrap(),
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let keys: Vec<String> = reader
            .prepare("SELECT k FROM t ORDER BY CAST(substr(k, 2) AS INTEGER)")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let want: Vec<String> = (0..60)
            .filter(|i| i % 3 == 0)
            .map(|i| format!("k{i}"))
            .collect();
        assert_eq!(keys, want, "only the successful writes are kept");
    }

    #[tokio::test]
    async fn a_failed_commit_fails_every_write_of_its_group_and_keeps_none() {
        // A deferred foreign key violation surfaces only at COMMIT.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fk.db");
        let conn = open(&path);
        conn.execute_batch(
            "PRAGMA foreign_keys = ON;
             CREATE TABLE parent (id INTEGER PRIMARY KEY);
             CREATE TABLE child (p INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);
             CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER);",
        )
        .unwrap();
        let writer = Writer::start(conn).unwrap();
        let err = writer
            .call(|c| {
                insert("before")(c)?;
                c.execute("INSERT INTO child VALUES (42)", [])
                    .map(drop)
                    .map_err(crate::map_err)
            })
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Other(_) | StoreError::Unavailable(_)),
            "{err:?}"
        );
        let probe = open(&path);
        assert_eq!(count(&probe), 0, "nothing of the failed group is kept");
        // The writer goes on.
        writer.call(insert("after")).await.unwrap();
        assert_eq!(count(&probe), 1);
    }
}
