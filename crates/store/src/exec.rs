//! One query, two backends. Queries are methods on [`Exec`], a borrowed connection of either
//! backend; the [`on_backend!`] macro expands a query body once per backend, so SQL and row
//! mapping are written once and type-checked for both. Placeholders are `$1, $2, …` in order
//! of first use, which both SQLite and PostgreSQL accept.

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

/// A write transaction; dropped without [`WriteTx::commit`] it rolls back.
pub struct WriteTx(pub(crate) TxInner);

impl WriteTx {
    pub fn exec(&mut self) -> Exec<'_> {
        match &mut self.0 {
            TxInner::Sqlite(t) => Exec::Sqlite(t),
            TxInner::Postgres(t) => Exec::Postgres(t),
        }
    }

    pub async fn commit(self) -> Result<()> {
        match self.0 {
            TxInner::Sqlite(t) => t.commit().await?,
            TxInner::Postgres(t) => t.commit().await?,
        }
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
