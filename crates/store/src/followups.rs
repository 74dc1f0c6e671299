//! Follow-ups (跟进记录).

use leadguard_domain::followup::{FollowUp, FollowUpKind};
use leadguard_domain::{Id, Timestamp};

use sqlx::QueryBuilder;

use crate::Result;
use crate::error::StoreError;
use crate::exec::{Exec, on_backend};

/// A follow-up from another CRM's history, saved as it was (its own time and author).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedFollowUp {
    pub customer_id: Id,
    pub kind: FollowUpKind,
    pub note: String,
    pub at: Timestamp,
    pub author_id: Id,
}

/// A stored follow-up as an import compares it: customer, time, kind and note.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FollowUpKey {
    pub id: Id,
    pub customer_id: Id,
    pub at: Timestamp,
    pub kind: String,
    pub note: String,
}

/// (customer, time) pairs per look-up statement: two bound parameters each.
const PAIRS_PER_STATEMENT: usize = 1000;

#[derive(sqlx::FromRow)]
struct FollowUpRow {
    id: i64,
    customer_id: i64,
    kind: String,
    note: String,
    at: Timestamp,
    author: String,
}

impl FollowUpRow {
    fn into_followup(self) -> Result<FollowUp> {
        Ok(FollowUp {
            kind: FollowUpKind::parse(&self.kind).ok_or_else(|| {
                StoreError::Corrupt(format!("follow-up {}: unknown kind {}", self.id, self.kind))
            })?,
            id: self.id,
            customer_id: self.customer_id,
            note: self.note,
            at: self.at,
            author: self.author,
        })
    }
}

impl Exec<'_> {
    /// Logs a follow-up and moves the customer's last follow-up time forward.
    pub async fn insert_followup(
        &mut self,
        customer_id: Id,
        kind: FollowUpKind,
        note: &str,
        at: Timestamp,
        author_id: Id,
    ) -> Result<Id> {
        let id = on_backend!(self, c => sqlx::query_scalar::<_, i64>(
            "INSERT INTO followups (customer_id, kind, note, at, author_id) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(customer_id)
        .bind(kind.as_str())
        .bind(note)
        .bind(at)
        .bind(author_id)
        .fetch_one(&mut **c)
        .await)?;
        on_backend!(self, c => sqlx::query(
            "UPDATE customers SET last_followup_at = $1, updated_at = $1
             WHERE id = $2 AND (last_followup_at IS NULL OR last_followup_at < $1)",
        )
        .bind(at)
        .bind(customer_id)
        .execute(&mut **c)
        .await
        .map(|_| ()))?;
        Ok(id)
    }

    /// Saves follow-ups as given, one statement each; their ids in the same order. The
    /// customers' last follow-up times are left to [`Exec::advance_last_followup`].
    pub async fn insert_followups(&mut self, items: &[ImportedFollowUp]) -> Result<Vec<Id>> {
        let mut ids = Vec::with_capacity(items.len());
        for f in items {
            let id = on_backend!(self, c => sqlx::query_scalar::<_, i64>(
                "INSERT INTO followups (customer_id, kind, note, at, author_id) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(f.customer_id)
            .bind(f.kind.as_str())
            .bind(&f.note)
            .bind(f.at)
            .bind(f.author_id)
            .fetch_one(&mut **c)
            .await)?;
            ids.push(id);
        }
        Ok(ids)
    }

    /// Moves a customer's last follow-up time forward to `at`, never back (history older
    /// than what the customer has changes nothing). Its `updated_at` stays: the customer's
    /// data did not change.
    pub async fn advance_last_followup(&mut self, customer_id: Id, at: Timestamp) -> Result<()> {
        on_backend!(self, c => sqlx::query(
            "UPDATE customers SET last_followup_at = $1
             WHERE id = $2 AND (last_followup_at IS NULL OR last_followup_at < $1)",
        )
        .bind(at)
        .bind(customer_id)
        .execute(&mut **c)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// The follow-ups stored at any of these (customer, time) pairs, a thousand pairs per
    /// statement: what an import compares its rows with.
    pub async fn followups_at(&mut self, pairs: &[(Id, Timestamp)]) -> Result<Vec<FollowUpKey>> {
        let mut pairs = pairs.to_vec();
        pairs.sort_unstable();
        pairs.dedup();
        let mut found = Vec::new();
        for chunk in pairs.chunks(PAIRS_PER_STATEMENT) {
            let rows = on_backend!(self, c => {
                let mut qb = QueryBuilder::new("WITH q (customer_id, at) AS (");
                qb.push_values(chunk, |mut b, (id, at)| {
                    b.push_bind(*id).push_bind(*at);
                });
                qb.push(
                    ") SELECT f.id, f.customer_id, f.at, f.kind, f.note FROM q
                     JOIN followups f ON f.customer_id = q.customer_id AND f.at = q.at",
                );
                qb.build_query_as::<FollowUpKey>().persistent(false).fetch_all(&mut **c).await
            })?;
            found.extend(rows);
        }
        Ok(found)
    }

    /// Newest first.
    pub async fn list_followups(
        &mut self,
        customer_id: Id,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<FollowUp>, i64)> {
        let (rows, total) = on_backend!(self, c => {
            let rows = sqlx::query_as::<_, FollowUpRow>(
                "SELECT f.id, f.customer_id, f.kind, f.note, f.at, u.username AS author
                 FROM followups f JOIN users u ON u.id = f.author_id
                 WHERE f.customer_id = $1 ORDER BY f.at DESC, f.id DESC LIMIT $2 OFFSET $3",
            )
            .bind(customer_id)
            .bind(limit)
            .bind(offset)
            .fetch_all(&mut **c)
            .await?;
            let total = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM followups WHERE customer_id = $1")
                .bind(customer_id)
                .fetch_one(&mut **c)
                .await?;
            Ok::<_, sqlx::Error>((rows, total))
        })?;
        Ok((
            rows.into_iter()
                .map(FollowUpRow::into_followup)
                .collect::<Result<_>>()?,
            total,
        ))
    }

    pub async fn followup_by_id(&mut self, id: Id) -> Result<Option<FollowUp>> {
        let row = on_backend!(self, c => sqlx::query_as::<_, FollowUpRow>(
            "SELECT f.id, f.customer_id, f.kind, f.note, f.at, u.username AS author
             FROM followups f JOIN users u ON u.id = f.author_id WHERE f.id = $1",
        )
        .bind(id)
        .fetch_optional(&mut **c)
        .await)?;
        row.map(FollowUpRow::into_followup).transpose()
    }
}
