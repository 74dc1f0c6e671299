//! Deals (商机): enough of them to tell when a customer last brought business.

use leadguard_domain::{Id, Timestamp};

use crate::Result;
use crate::error::StoreError;
use crate::exec::{Exec, on_backend};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DealRow {
    pub id: Id,
    pub customer_id: Id,
    pub title: String,
    pub amount: Option<i64>,
    pub stage: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub closed_at: Option<Timestamp>,
}

macro_rules! select_deal {
    () => {
        "SELECT id, customer_id, title, amount, stage, created_at, updated_at, closed_at FROM deals "
    };
}

impl Exec<'_> {
    pub async fn insert_deal(
        &mut self,
        customer_id: Id,
        title: &str,
        amount: Option<i64>,
        stage: &str,
        by: Id,
        now: Timestamp,
    ) -> Result<DealRow> {
        let closed = (stage != "open").then_some(now);
        let id = on_backend!(self, c => sqlx::query_scalar::<_, i64>(
            "INSERT INTO deals (customer_id, title, amount, stage, created_by, created_at, updated_at, closed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6, $7) RETURNING id",
        )
        .bind(customer_id)
        .bind(title)
        .bind(amount)
        .bind(stage)
        .bind(by)
        .bind(now)
        .bind(closed)
        .fetch_one(&mut **c)
        .await)?;
        if stage == "won" {
            self.deal_won(customer_id, now).await?;
        }
        self.deal(id)
            .await?
            .ok_or(StoreError::NotFound { what: "deal" })
    }

    pub async fn deal(&mut self, id: Id) -> Result<Option<DealRow>> {
        Ok(
            on_backend!(self, c => sqlx::query_as::<_, DealRow>(concat!(select_deal!(), "WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut **c)
            .await)?,
        )
    }

    pub async fn deals_of(&mut self, customer_id: Id) -> Result<Vec<DealRow>> {
        Ok(
            on_backend!(self, c => sqlx::query_as::<_, DealRow>(concat!(select_deal!(), "WHERE customer_id = $1 ORDER BY id"))
            .bind(customer_id)
            .fetch_all(&mut **c)
            .await)?,
        )
    }

    pub async fn update_deal(
        &mut self,
        id: Id,
        title: &str,
        amount: Option<i64>,
        stage: &str,
        now: Timestamp,
    ) -> Result<DealRow> {
        let before = self
            .deal(id)
            .await?
            .ok_or(StoreError::NotFound { what: "deal" })?;
        let closed = if stage == "open" {
            None
        } else {
            Some(before.closed_at.unwrap_or(now))
        };
        on_backend!(self, c => sqlx::query(
            "UPDATE deals SET title = $1, amount = $2, stage = $3, updated_at = $4, closed_at = $5 WHERE id = $6",
        )
        .bind(title)
        .bind(amount)
        .bind(stage)
        .bind(now)
        .bind(closed)
        .bind(id)
        .execute(&mut **c)
        .await
        .map(|_| ()))?;
        if stage == "won" && before.stage != "won" {
            self.deal_won(before.customer_id, now).await?;
        }
        self.deal(id)
            .await?
            .ok_or(StoreError::NotFound { what: "deal" })
    }

    async fn deal_won(&mut self, customer_id: Id, at: Timestamp) -> Result<()> {
        on_backend!(self, c => sqlx::query(
            "UPDATE customers SET last_deal_at = $1 WHERE id = $2 AND (last_deal_at IS NULL OR last_deal_at < $1)",
        )
        .bind(at)
        .bind(customer_id)
        .execute(&mut **c)
        .await
        .map(|_| ()))?;
        Ok(())
    }
}
