//! Opening a store from a database URL, and migrating it.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

use crate::Result;
use crate::checkpoint::Checkpointer;
use crate::error::StoreError;
#[cfg(doc)]
use crate::exec::WriteMark;
use crate::exec::{Conn, ConnInner, ReadTx, TxInner, WriteTx, WriterCounters};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Where the data lives, parsed from `sqlite://PATH`, `sqlite:///absolute/path.db` or
/// `postgres://…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite { path: PathBuf },
    Postgres { url: String },
}

impl FromStr for DatabaseUrl {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim();
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres { url: s.to_string() });
        }
        let Some(rest) = s.strip_prefix("sqlite:") else {
            return Err(StoreError::InvalidUrl(format!(
                "`{s}`: expected sqlite://PATH, sqlite:///absolute/path.db or postgres://…"
            )));
        };
        // `sqlite://x.db` is relative, `sqlite:///abs/x.db` absolute; `sqlite:x.db` also works.
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let path = rest.split('?').next().unwrap_or_default();
        if path.is_empty() || path == ":memory:" {
            return Err(StoreError::InvalidUrl(format!(
                "`{s}`: give the path of a database file (an in-memory database would lose everything on exit)"
            )));
        }
        Ok(DatabaseUrl::Sqlite {
            path: PathBuf::from(path),
        })
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DatabaseUrl::Sqlite { path } => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres { url } => {
                // Never print a password.
                match url::redact(url) {
                    Some(redacted) => f.write_str(&redacted),
                    None => f.write_str("postgres://…"),
                }
            }
        }
    }
}

mod url {
    /// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
    pub fn redact(url: &str) -> Option<String> {
        let (scheme, rest) = url.split_once("://")?;
        let Some((userinfo, host)) = rest.split_once('@') else {
            return Some(url.to_string());
        };
        let user = userinfo.split(':').next().unwrap_or_default();
        let masked = if userinfo.contains(':') {
            format!("{user}:***")
        } else {
            user.to_string()
        };
        Some(format!("{scheme}://{masked}@{host}"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Connections in the read pool (SQLite) or the only pool (PostgreSQL).
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(30),
        }
    }
}

#[derive(Clone)]
enum Pools {
    Sqlite { read: SqlitePool, write: SqlitePool },
    Postgres(PgPool),
}

/// A handle on the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pools: Pools,
    /// What this handle and its clones' writer did (see [`WriteMark`]).
    counters: Arc<WriterCounters>,
    /// SQLite: the log checkpoints, made off the writer (see `checkpoint`).
    checkpoints: Option<Arc<Checkpointer>>,
}

impl Store {
    /// Connects (creating a SQLite file if missing) and applies pending migrations.
    pub async fn open(url: &DatabaseUrl, opts: &StoreOptions) -> Result<Store> {
        let store = Store::connect(url, opts).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connects without migrating.
    pub async fn connect(url: &DatabaseUrl, opts: &StoreOptions) -> Result<Store> {
        let writer_connections = Arc::new(AtomicU64::new(0));
        let mut checkpoints = None;
        let pools = match url {
            DatabaseUrl::Sqlite { path } => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        StoreError::InvalidUrl(format!(
                            "cannot create directory {}: {e}",
                            dir.display()
                        ))
                    })?;
                }
                let base = SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // WAL + NORMAL: durable across application crashes, one fsync per checkpoint.
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
                    .pragma("cache_size", "-65536")
                    // Pages read through the OS page cache in place, not copied per read: a
                    // million customers' indexes are far larger than any connection's cache.
                    .pragma("mmap_size", "2147483648")
                    .pragma("temp_store", "memory");
                // One writer: SQLite allows one anyway, and queueing in the pool is cheaper and
                // fairer than retrying on SQLITE_BUSY.
                // No ping before handing out a connection: a SQLite connection is a file
                // handle in this process, it cannot go stale, and each ping is a round trip
                // through the connection's thread.
                // Each new writer connection is counted: a write mark (see `WriteMark`) is
                // only comparable with marks taken on the same connection. The writer is kept
                // open for the life of the pool rather than recycled after a while.
                let counter = writer_connections.clone();
                let write = SqlitePoolOptions::new()
                    .max_connections(1)
                    .test_before_acquire(false)
                    .max_lifetime(None)
                    .idle_timeout(None)
                    .after_connect(move |_, _| {
                        counter.fetch_add(1, Ordering::SeqCst);
                        Box::pin(async { Ok(()) })
                    })
                    .acquire_timeout(opts.acquire_timeout)
                    // The writer walks every index a new customer goes into: a larger cache.
                    // It leaves the checkpoints to the checkpointer.
                    .connect_with(
                        base.clone()
                            .pragma("cache_size", "-262144")
                            .pragma("wal_autocheckpoint", "0"),
                    )
                    .await?;
                checkpoints = Some(Arc::new(Checkpointer::start(base.clone())));
                let read = SqlitePoolOptions::new()
                    .max_connections(opts.max_connections.max(1))
                    .test_before_acquire(false)
                    .acquire_timeout(opts.acquire_timeout)
                    .connect_with(base)
                    .await?;
                Pools::Sqlite { read, write }
            }
            DatabaseUrl::Postgres { url } => {
                let connect = PgConnectOptions::from_str(url).map_err(|e| {
                    StoreError::InvalidUrl(format!(
                        "{}: {e}",
                        DatabaseUrl::Postgres { url: url.clone() }
                    ))
                })?;
                let pool = PgPoolOptions::new()
                    .max_connections(opts.max_connections.max(2))
                    .acquire_timeout(opts.acquire_timeout)
                    .connect_with(connect)
                    .await?;
                Pools::Postgres(pool)
            }
        };
        Ok(Store {
            pools,
            counters: Arc::new(WriterCounters {
                commits: AtomicU64::new(0),
                connections: writer_connections,
            }),
            checkpoints,
        })
    }

    /// Applies pending migrations. Safe to run from several processes at once.
    pub async fn migrate(&self) -> Result<()> {
        match &self.pools {
            Pools::Sqlite { write, .. } => SQLITE_MIGRATIONS.run(write).await?,
            Pools::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite { .. } => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    /// A connection for reads outside a transaction.
    pub async fn read(&self) -> Result<Conn> {
        Ok(Conn(match &self.pools {
            Pools::Sqlite { read, .. } => ConnInner::Sqlite(read.acquire().await?),
            Pools::Postgres(pool) => ConnInner::Postgres(pool.acquire().await?),
        }))
    }

    /// Starts a write transaction. It rolls back when dropped without [`WriteTx::commit`].
    pub async fn begin(&self) -> Result<WriteTx> {
        let inner = match &self.pools {
            Pools::Sqlite { write, .. } => {
                TxInner::Sqlite(write.begin_with("BEGIN IMMEDIATE").await?)
            }
            Pools::Postgres(pool) => TxInner::Postgres(pool.begin().await?),
        };
        Ok(WriteTx {
            inner,
            counters: self.counters.clone(),
        })
    }

    /// Starts a read-only transaction: one snapshot for all its statements, taken at the
    /// first one, that holds no lock a writer waits for.
    pub async fn snapshot(&self) -> Result<ReadTx> {
        Ok(ReadTx(match &self.pools {
            Pools::Sqlite { read, .. } => TxInner::Sqlite(read.begin().await?),
            Pools::Postgres(pool) => TxInner::Postgres(
                pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?,
            ),
        }))
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<()> {
        let mut conn = self.read().await?;
        conn.exec().ping().await
    }

    /// Ends the background checkpoints and closes every connection. On SQLite the log is
    /// copied into the database and emptied first: after a large import it would otherwise stay
    /// on disk at its high-water size (gigabytes at a million customers), and the next process
    /// would read through it.
    pub async fn close(&self) {
        if let Some(c) = &self.checkpoints {
            c.stop().await;
        }
        match &self.pools {
            Pools::Sqlite { read, write } => {
                read.close().await;
                match write.acquire().await {
                    Ok(mut conn) => {
                        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                            .execute(&mut *conn)
                            .await
                        {
                            tracing::warn!(error = %e, "final checkpoint failed; the log stays");
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "no writer for the final checkpoint"),
                }
                write.close().await;
            }
            Pools::Postgres(pool) => pool.close().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_url_forms() {
        let p = |s: &str| s.parse::<DatabaseUrl>();
        assert_eq!(
            p("sqlite://leadguard.db").unwrap(),
            DatabaseUrl::Sqlite {
                path: "leadguard.db".into()
            }
        );
        assert_eq!(
            p("sqlite:///var/lib/leadguard/data.db").unwrap(),
            DatabaseUrl::Sqlite {
                path: "/var/lib/leadguard/data.db".into()
            }
        );
        assert_eq!(
            p("sqlite:data/x.db?mode=rwc").unwrap(),
            DatabaseUrl::Sqlite {
                path: "data/x.db".into()
            }
        );
        assert!(matches!(
            p("postgres://postgres@127.0.0.1/x").unwrap(),
            DatabaseUrl::Postgres { .. }
        ));
        assert!(matches!(
            p("postgresql://h/x").unwrap(),
            DatabaseUrl::Postgres { .. }
        ));
        assert!(p("mysql://h/x").is_err());
        assert!(p("sqlite://").is_err());
        assert!(p("sqlite::memory:").is_err());
    }

    #[test]
    fn display_hides_passwords() {
        let u = DatabaseUrl::Postgres {
            url: "postgres://app:s3cret@db:5432/leadguard".into(),
        };
        assert_eq!(u.to_string(), "postgres://app:***@db:5432/leadguard");
    }
}
