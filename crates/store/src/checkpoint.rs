//! Write-ahead-log checkpoints off the writer (SQLite).
//!
//! By default SQLite copies the log back into the database file, and syncs it, in the
//! connection that commits once the log passes 1,000 pages: with one writer, every entry
//! waiting for it then waits for that disk work too (with entries alone at a million
//! customers, a sixth of the server's CPU samples, and its fsync waits besides). Here the
//! writer never checkpoints. A task with a connection of its own checkpoints every
//! [`INTERVAL`] in PASSIVE mode, which never blocks the writer or a reader, on the other core.
//! Should the log still pass [`RESTART_PAGES`] (passive checkpoints cannot reset the log while
//! it is being written), one RESTART checkpoint waits for the writer and the readers of old
//! snapshots, holds new writers back for the time it takes, and the log starts over.

use std::sync::Mutex;
use std::time::Duration;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, SqliteConnection};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How often the log is checkpointed.
pub(crate) const INTERVAL: Duration = Duration::from_millis(200);
/// Pages in the log (4 KiB each) past which a checkpoint restarts it: 64 MiB.
pub(crate) const RESTART_PAGES: i64 = 16_384;

/// The background checkpoints of one store (shared by its clones). Dropping the last clone,
/// or [`Checkpointer::stop`], ends them.
pub(crate) struct Checkpointer {
    stop: watch::Sender<bool>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Checkpointer {
    pub(crate) fn start(options: SqliteConnectOptions) -> Self {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(options, stopped));
        Checkpointer {
            stop,
            task: Mutex::new(Some(task)),
        }
    }

    /// Ends the checkpoints and closes their connection.
    pub(crate) async fn stop(&self) {
        let _ = self.stop.send(true);
        let task = self
            .task
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

async fn run(options: SqliteConnectOptions, mut stopped: watch::Receiver<bool>) {
    let mut conn: Option<SqliteConnection> = None;
    loop {
        tokio::select! {
            // A stop, or the store gone (the sender dropped).
            _ = stopped.changed() => break,
            _ = tokio::time::sleep(INTERVAL) => {}
        }
        let c = match conn.as_mut() {
            Some(c) => c,
            None => match connect(&options).await {
                Ok(c) => conn.insert(c),
                Err(e) => {
                    tracing::warn!(error = %e, "checkpoint connection failed; retrying");
                    continue;
                }
            },
        };
        if let Err(e) = checkpoint(c).await {
            tracing::warn!(error = %e, "checkpoint failed; retrying");
            conn = None;
        }
    }
    if let Some(c) = conn {
        let _ = c.close().await;
    }
}

/// Growth of the database file, which only checkpoints write to: 64 MiB at a time.
const CHUNK_BYTES: std::ffi::c_int = 64 << 20;

/// The checkpoint connection. It grows the database file a chunk at a time: every read
/// connection maps the file into memory (below SQLite's 2 GiB limit) and re-maps it whenever
/// its size changes, which growing it by each checkpoint's few pages made happen on most reads.
async fn connect(options: &SqliteConnectOptions) -> sqlx::Result<SqliteConnection> {
    let mut conn = options.connect().await?;
    let mut handle = conn.lock_handle().await?;
    let mut chunk = CHUNK_BYTES;
    // SAFETY: the handle is an open connection, locked for this call; SQLITE_FCNTL_CHUNK_SIZE
    // reads one int through the pointer, which outlives the call.
    let rc = unsafe {
        libsqlite3_sys::sqlite3_file_control(
            handle.as_raw_handle().as_ptr(),
            c"main".as_ptr(),
            libsqlite3_sys::SQLITE_FCNTL_CHUNK_SIZE,
            (&raw mut chunk).cast(),
        )
    };
    if rc != libsqlite3_sys::SQLITE_OK {
        tracing::warn!(code = rc, "could not set the database file's growth chunk");
    }
    drop(handle);
    Ok(conn)
}

async fn checkpoint(conn: &mut SqliteConnection) -> sqlx::Result<()> {
    // (busy, pages in the log, pages of it copied to the database)
    let (_, log, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(&mut *conn)
        .await?;
    if log > RESTART_PAGES {
        tracing::debug!(pages = log, "write-ahead log restarted");
        sqlx::query("PRAGMA wal_checkpoint(RESTART)")
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use sqlx::sqlite::SqliteJournalMode;

    use super::*;

    /// A database with a table `t`, and a writer on it that never checkpoints.
    async fn writer(path: &std::path::Path) -> (SqliteConnectOptions, SqliteConnection) {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(10));
        let mut writer = options
            .clone()
            .pragma("wal_autocheckpoint", "0")
            .connect()
            .await
            .expect("writer");
        sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB NOT NULL)")
            .execute(&mut writer)
            .await
            .expect("table");
        (options, writer)
    }

    /// A writer that never checkpoints, writing far more than the log's limit: the checkpoints
    /// keep the log from growing with it, and every row is in the database.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_log_stays_bounded_while_the_writer_never_checkpoints() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("t.db");
        let (options, mut writer) = writer(&path).await;
        let checkpoints = Checkpointer::start(options);
        let page = 4096_i64;
        // Past the limit the log grows until the next checkpoint restarts it: well under twice
        // the limit, where without the restarts it would reach four times it.
        let limit = 2 * RESTART_PAGES * page;
        let rows = 4 * RESTART_PAGES * page / 100_000;
        let mut largest = 0;
        for i in 0..rows {
            let mut tx = writer.begin().await.expect("begin");
            sqlx::query("INSERT INTO t (id, b) VALUES ($1, randomblob(100000))")
                .bind(i)
                .execute(&mut *tx)
                .await
                .expect("insert");
            tx.commit().await.expect("commit");
            let wal = std::fs::metadata(dir.path().join("t.db-wal")).map_or(0, |m| m.len());
            largest = largest.max(wal);
            if i % 64 == 0 {
                tokio::time::sleep(INTERVAL / 4).await;
            }
        }
        checkpoints.stop().await;
        assert!(
            largest <= limit as u64,
            "the log grew to {largest} bytes, past {limit}"
        );
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM t")
            .fetch_one(&mut writer)
            .await
            .expect("count");
        assert_eq!(n, rows);
    }

    /// Checkpoints grow the database file a chunk at a time, so that read connections, which
    /// map it into memory, rarely see its size change.
    #[tokio::test]
    async fn the_database_file_grows_by_chunks() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("t.db");
        let (options, mut writer) = writer(&path).await;
        let checkpoints = Checkpointer::start(options);
        for i in 0..100 {
            sqlx::query("INSERT INTO t (id, b) VALUES ($1, randomblob(10000))")
                .bind(i)
                .execute(&mut writer)
                .await
                .expect("insert");
        }
        // A checkpoint copies the rows into the file within a few intervals (more on a busy
        // machine); without the chunks the file would then be about 1 MB.
        let chunk = u64::try_from(CHUNK_BYTES).expect("a positive chunk");
        let chunked = |path: &std::path::Path| {
            let size = std::fs::metadata(path).map_or(0, |m| m.len());
            (size > 0 && size.is_multiple_of(chunk), size)
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while !chunked(&path).0 && std::time::Instant::now() < deadline {
            tokio::time::sleep(INTERVAL).await;
        }
        checkpoints.stop().await;
        let (whole, size) = chunked(&path);
        assert!(whole, "{size} bytes: not a whole number of chunks");
    }
}
