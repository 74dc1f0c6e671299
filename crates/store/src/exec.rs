//! One query, two backends. Queries are methods on [`Exec`], a borrowed connection of either
//! backend; the [`on_backend!`] macro expands a query body once per backend, so SQL and row
//! mapping are written once and type-checked for both. Placeholders are `$1, $2, …` in order
//! of first use, which both SQLite and PostgreSQL accept.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use leadguard_domain::keys::MatchKey;
use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, Postgres, Sqlite, SqliteConnection, Transaction};

use crate::Result;

/// Expands `$body` for each backend with `$c` bound to `&mut` the backend's connection.
macro_rules! on_backend {
    ($exec:expr, $c:ident => $body:expr) => {
        match $exec {
            $crate::exec::Exec::Sqlite($c) => $body,
            $crate::exec::Exec::Postgres($c) => $body,
        }
    };
}
pub(crate) use on_backend;

/// The advisory lock (two-key form, apart from the one-key locks on key hashes) that key
/// writers hold shared and bulk writers exclusive.
const KEY_SPACE_LOCK: i32 = 0x4c47_4b53;

/// A borrowed connection (pooled or inside a transaction) of either backend.
pub enum Exec<'a> {
    Sqlite(&'a mut SqliteConnection),
    Postgres(&'a mut PgConnection),
}

pub(crate) enum ConnInner {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

/// A pooled connection for reads.
pub struct Conn(pub(crate) ConnInner);

impl Conn {
    pub fn exec(&mut self) -> Exec<'_> {
        match &mut self.0 {
            ConnInner::Sqlite(c) => Exec::Sqlite(c),
            ConnInner::Postgres(c) => Exec::Postgres(c),
        }
    }
}

pub(crate) enum TxInner {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// A read transaction: every statement in it sees the same snapshot of the database.
pub struct ReadTx(pub(crate) TxInner);

impl ReadTx {
    pub fn exec(&mut self) -> Exec<'_> {
        match &mut self.0 {
            TxInner::Sqlite(t) => Exec::Sqlite(t),
            TxInner::Postgres(t) => Exec::Postgres(t),
        }
    }
}

/// Where the database stood in one write transaction, as its one writer sees it (SQLite):
/// marks taken in two write transactions tell whether anyone else committed between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteMark {
    /// Write transactions this process had committed when the mark was taken.
    commits: u64,
    /// Which writer connection (by count of connections opened): `data_version` is a
    /// connection's own, so marks of two connections cannot be compared.
    connection: u64,
    /// SQLite's `data_version` of the writer connection: it changes when another connection
    /// (another process) commits.
    data_version: i64,
}

impl WriteMark {
    /// Whether `later` (taken in a later write transaction) follows this mark with exactly
    /// `between` commits of this process (counting the transaction this mark was taken in)
    /// and none by anyone else.
    pub fn followed_by(&self, later: &WriteMark, between: u64) -> bool {
        later.connection == self.connection
            && later.data_version == self.data_version
            && later.commits == self.commits + between
    }
}

/// A write transaction; dropped without [`WriteTx::commit`] it rolls back.
pub struct WriteTx {
    pub(crate) inner: TxInner,
    pub(crate) counters: Arc<WriterCounters>,
}

/// What a store's writer has done so far (SQLite; see [`WriteMark`]).
pub(crate) struct WriterCounters {
    /// Write transactions committed.
    pub(crate) commits: AtomicU64,
    /// Writer connections opened.
    pub(crate) connections: Arc<AtomicU64>,
}

impl WriteTx {
    /// This transaction's [`WriteMark`]; `None` on PostgreSQL, where many writers commit at
    /// once and there is no such mark.
    pub async fn mark(&mut self) -> Result<Option<WriteMark>> {
        let commits = self.counters.commits.load(Ordering::SeqCst);
        let connection = self.counters.connections.load(Ordering::SeqCst);
        let Exec::Sqlite(c) = self.exec() else {
            return Ok(None);
        };
        let data_version: i64 = sqlx::query_scalar("PRAGMA data_version")
            .fetch_one(&mut *c)
            .await?;
        Ok(Some(WriteMark {
            commits,
            connection,
            data_version,
        }))
    }

    pub fn exec(&mut self) -> Exec<'_> {
        match &mut self.inner {
            TxInner::Sqlite(t) => Exec::Sqlite(t),
            TxInner::Postgres(t) => Exec::Postgres(t),
        }
    }

    pub async fn commit(self) -> Result<()> {
        match self.inner {
            TxInner::Sqlite(t) => t.commit().await?,
            TxInner::Postgres(t) => t.commit().await?,
        }
        self.counters.commits.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    /// Serializes this transaction against every other writer that locks one of the same keys,
    /// until commit or rollback. SQLite transactions are serialized already (one writer).
    pub async fn lock_keys(&mut self, keys: &[MatchKey]) -> Result<()> {
        let Exec::Postgres(c) = self.exec() else {
            return Ok(());
        };
        // Every key writer holds the key space shared, so that a bulk writer can hold it
        // whole (see `lock_all_keys`).
        sqlx::query("SELECT pg_advisory_xact_lock_shared($1, 0)")
            .bind(KEY_SPACE_LOCK)
            .execute(&mut *c)
            .await?;
        let mut hashes: Vec<i64> = keys.iter().map(MatchKey::stable_hash).collect();
        // Sorted and deduplicated: two writers never wait on each other in opposite orders.
        hashes.sort_unstable();
        hashes.dedup();
        // One statement, the locks taken in the sorted order.
        sqlx::query(
            "SELECT pg_advisory_xact_lock(h) FROM (SELECT unnest($1::bigint[]) AS h ORDER BY 1) AS s",
        )
        .bind(&hashes)
        .execute(&mut *c)
        .await?;
        Ok(())
    }

    /// Serializes this transaction against every writer of any key: what an import batch
    /// takes instead of tens of thousands of key locks (more than PostgreSQL's lock table
    /// holds). Other writers wait for the batch, as they always do on SQLite.
    pub async fn lock_all_keys(&mut self) -> Result<()> {
        if let Exec::Postgres(c) = self.exec() {
            sqlx::query("SELECT pg_advisory_xact_lock($1, 0)")
                .bind(KEY_SPACE_LOCK)
                .execute(&mut *c)
                .await?;
        }
        Ok(())
    }

    /// Locks a user's row until commit, so that counting their customers against the owner cap
    /// and taking one more cannot interleave with another such transaction.
    pub async fn lock_user(&mut self, user_id: i64) -> Result<()> {
        if let Exec::Postgres(c) = self.exec() {
            sqlx::query("SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE")
                .bind(user_id)
                .execute(c)
                .await?;
        }
        Ok(())
    }
}

impl Exec<'_> {
    pub async fn ping(&mut self) -> Result<()> {
        on_backend!(self, c => sqlx::query("SELECT 1").execute(&mut **c).await.map(|_| ()))?;
        Ok(())
    }
}
