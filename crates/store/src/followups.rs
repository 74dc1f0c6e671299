//! Follow-ups (跟进记录).

use leadguard_domain::followup::{FollowUp, FollowUpKind};
use leadguard_domain::{Id, Timestamp};

use crate::Result;
use crate::error::StoreError;
use crate::exec::{Exec, on_backend};

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
