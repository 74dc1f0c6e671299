//! Merging customers: moving what belongs to the duplicate over to the survivor, and the record
//! that lets a merge be undone.

use leadguard_domain::{Id, Timestamp};

use crate::Result;
use crate::exec::{Exec, on_backend};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MergeRow {
    pub id: Id,
    pub survivor_id: Id,
    pub duplicate_id: Id,
    pub merged_by: Id,
    pub merged_at: Timestamp,
    pub snapshot: String,
}

impl Exec<'_> {
    /// Where a merged customer went (`None`: not merged, or no such customer).
    pub async fn merged_into(&mut self, id: Id) -> Result<Option<Id>> {
        Ok(on_backend!(self, c => sqlx::query_scalar::<_, Option<i64>>(
            "SELECT merged_into FROM customers WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut **c)
        .await)?
        .flatten())
    }

    /// Retires the duplicate: out of matching and ownership, pointing at the survivor.
    pub async fn mark_merged(&mut self, duplicate: Id, survivor: Id, now: Timestamp) -> Result<()> {
        self.delete_match_keys(duplicate).await?;
        on_backend!(self, c => sqlx::query(
            "UPDATE customers SET merged_into = $1, owner_id = NULL, owned_since = NULL,
                 protected_until = NULL, recycle_warned_at = NULL, updated_at = $2
             WHERE id = $3",
        )
        .bind(survivor)
        .bind(now)
        .bind(duplicate)
        .execute(&mut **c)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// Brings a merged customer back, owned by `owner` (or in the pool).
    pub async fn unmark_merged(&mut self, id: Id, owner: Option<Id>, now: Timestamp) -> Result<()> {
        on_backend!(self, c => sqlx::query(
            "UPDATE customers SET merged_into = NULL, owner_id = $1, owned_since = $2, updated_at = $3
             WHERE id = $4",
        )
        .bind(owner)
        .bind(owner.map(|_| now))
        .bind(now)
        .bind(id)
        .execute(&mut **c)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// Moves every follow-up and deal of `from` to `to`; returns the ids moved.
    pub async fn move_history(&mut self, from: Id, to: Id) -> Result<(Vec<Id>, Vec<Id>)> {
        let followups = on_backend!(self, c => sqlx::query_scalar::<_, i64>(
            "UPDATE followups SET customer_id = $1 WHERE customer_id = $2 RETURNING id",
        )
        .bind(to)
        .bind(from)
        .fetch_all(&mut **c)
        .await)?;
        let deals = on_backend!(self, c => sqlx::query_scalar::<_, i64>(
            "UPDATE deals SET customer_id = $1 WHERE customer_id = $2 RETURNING id",
        )
        .bind(to)
        .bind(from)
        .fetch_all(&mut **c)
        .await)?;
        Ok((followups, deals))
    }

    /// Moves the given follow-ups and deals back from `from` to `to` (those still on `from`).
    pub async fn move_back(
        &mut self,
        from: Id,
        to: Id,
        followups: &[Id],
        deals: &[Id],
    ) -> Result<()> {
        for (table, ids) in [("followups", followups), ("deals", deals)] {
            for chunk in ids.chunks(500) {
                on_backend!(self, c => {
                    let mut qb = sqlx::QueryBuilder::new(format!("UPDATE {table} SET customer_id = "));
                    qb.push_bind(to).push(" WHERE customer_id = ").push_bind(from).push(" AND id IN (");
                    let mut sep = qb.separated(", ");
                    for id in chunk {
                        sep.push_bind(*id);
                    }
                    qb.push(")");
                    qb.build().execute(&mut **c).await.map(|_| ())
                })?;
            }
        }
        Ok(())
    }

    /// Sets the last follow-up and last won deal times from what the customer now has.
    pub async fn refresh_activity(&mut self, id: Id) -> Result<()> {
        on_backend!(self, c => sqlx::query(
            "UPDATE customers SET
                 last_followup_at = (SELECT MAX(at) FROM followups WHERE customer_id = $1),
                 last_deal_at = (SELECT MAX(closed_at) FROM deals WHERE customer_id = $1 AND stage = 'won')
             WHERE id = $1",
        )
        .bind(id)
        .execute(&mut **c)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// Sets who entered a customer first, and when (a survivor takes the earlier evidence).
    pub async fn set_creation(
        &mut self,
        id: Id,
        created_by: Id,
        created_at: Timestamp,
    ) -> Result<()> {
        on_backend!(self, c => sqlx::query(
            "UPDATE customers SET created_by = $1, created_at = $2 WHERE id = $3",
        )
        .bind(created_by)
        .bind(created_at)
        .bind(id)
        .execute(&mut **c)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    pub async fn insert_merge(
        &mut self,
        survivor: Id,
        duplicate: Id,
        by: Id,
        at: Timestamp,
        snapshot: &str,
    ) -> Result<Id> {
        Ok(on_backend!(self, c => sqlx::query_scalar::<_, i64>(
            "INSERT INTO merges (survivor_id, duplicate_id, merged_by, merged_at, snapshot)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(survivor)
        .bind(duplicate)
        .bind(by)
        .bind(at)
        .bind(snapshot)
        .fetch_one(&mut **c)
        .await)?)
    }

    /// The merge that retired `duplicate`, if it has not been undone.
    pub async fn active_merge(&mut self, duplicate: Id) -> Result<Option<MergeRow>> {
        Ok(on_backend!(self, c => sqlx::query_as::<_, MergeRow>(
            "SELECT id, survivor_id, duplicate_id, merged_by, merged_at, snapshot FROM merges
             WHERE duplicate_id = $1 AND unmerged_at IS NULL ORDER BY id DESC LIMIT 1",
        )
        .bind(duplicate)
        .fetch_optional(&mut **c)
        .await)?)
    }

    pub async fn mark_unmerged(&mut self, merge_id: Id, by: Id, at: Timestamp) -> Result<()> {
        on_backend!(self, c => sqlx::query(
            "UPDATE merges SET unmerged_by = $1, unmerged_at = $2 WHERE id = $3",
        )
        .bind(by)
        .bind(at)
        .bind(merge_id)
        .execute(&mut **c)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// Customers merged into `survivor` (directly), for its history.
    pub async fn merged_ids(&mut self, survivor: Id) -> Result<Vec<Id>> {
        Ok(on_backend!(self, c => sqlx::query_scalar::<_, i64>(
            "SELECT id FROM customers WHERE merged_into = $1 ORDER BY id",
        )
        .bind(survivor)
        .fetch_all(&mut **c)
        .await)?)
    }
}
