//! Webhooks and the delivery outbox. Deliveries are claimed with a lease, so a worker that
//! dies mid-send is retried after the lease, and two workers never send the same delivery at
//! once (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: one writer).

use leadguard_domain::event::Event;
use leadguard_domain::{Id, Timestamp};

use crate::Result;
use crate::error::StoreError;
use crate::events::EventRow;
use crate::exec::{Exec, on_backend};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Webhook {
    pub id: Id,
    pub name: String,
    pub url: String,
    /// generic, wecom, dingtalk or feishu.
    pub format: String,
    pub secret: Option<String>,
    /// JSON array of event types; `[]`: all.
    pub events: String,
    pub active: bool,
    pub created_at: Timestamp,
}

pub struct NewWebhook<'a> {
    pub name: &'a str,
    pub url: &'a str,
    pub format: &'a str,
    pub secret: Option<&'a str>,
    pub events: &'a str,
    pub created_by: Id,
    pub now: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Delivery {
    pub id: Id,
    pub event_id: Id,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: Timestamp,
    pub last_error: Option<String>,
    pub delivered_at: Option<Timestamp>,
}

/// A claimed delivery: what to send where.
#[derive(Debug, Clone)]
pub struct DeliveryJob {
    pub delivery_id: Id,
    pub attempts: i64,
    pub webhook: Webhook,
    pub event: Event,
}

macro_rules! select_webhook {
    () => {
        "SELECT id, name, url, format, secret, events, active, created_at FROM webhooks "
    };
}

impl Exec<'_> {
    pub async fn insert_webhook(&mut self, w: &NewWebhook<'_>) -> Result<Webhook> {
        let id = on_backend!(self, c => sqlx::query_scalar::<_, i64>(
            "INSERT INTO webhooks (name, url, format, secret, events, active, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, TRUE, $6, $7) RETURNING id",
        )
        .bind(w.name)
        .bind(w.url)
        .bind(w.format)
        .bind(w.secret)
        .bind(w.events)
        .bind(w.created_by)
        .bind(w.now)
        .fetch_one(&mut **c)
        .await)?;
        self.webhook(id)
            .await?
            .ok_or(StoreError::NotFound { what: "webhook" })
    }

    pub async fn webhook(&mut self, id: Id) -> Result<Option<Webhook>> {
        Ok(
            on_backend!(self, c => sqlx::query_as::<_, Webhook>(concat!(select_webhook!(), "WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut **c)
            .await)?,
        )
    }

    pub async fn list_webhooks(&mut self) -> Result<Vec<Webhook>> {
        Ok(
            on_backend!(self, c => sqlx::query_as::<_, Webhook>(concat!(select_webhook!(), "ORDER BY id"))
            .fetch_all(&mut **c)
            .await)?,
        )
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn update_webhook(
        &mut self,
        id: Id,
        name: &str,
        url: &str,
        format: &str,
        secret: Option<&str>,
        events: &str,
        active: bool,
    ) -> Result<()> {
        let n = on_backend!(self, c => sqlx::query(
            "UPDATE webhooks SET name = $1, url = $2, format = $3, secret = $4, events = $5, active = $6 WHERE id = $7",
        )
        .bind(name)
        .bind(url)
        .bind(format)
        .bind(secret)
        .bind(events)
        .bind(active)
        .bind(id)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(StoreError::NotFound { what: "webhook" });
        }
        Ok(())
    }

    pub async fn delete_webhook(&mut self, id: Id) -> Result<bool> {
        let n = on_backend!(self, c => sqlx::query("DELETE FROM webhooks WHERE id = $1")
            .bind(id)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    pub async fn deliveries(&mut self, webhook_id: Id, limit: i64) -> Result<Vec<Delivery>> {
        Ok(on_backend!(self, c => sqlx::query_as::<_, Delivery>(
            "SELECT id, event_id, status, attempts, next_attempt_at, last_error, delivered_at
             FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(webhook_id)
        .bind(limit)
        .fetch_all(&mut **c)
        .await)?)
    }

    /// Claims up to `limit` deliveries that are due, leasing them until `lease_until`.
    pub async fn claim_deliveries(
        &mut self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: i64,
    ) -> Result<Vec<DeliveryJob>> {
        // The claim differs by backend only in PostgreSQL's row locking.
        let ids: Vec<i64> = match self {
            Exec::Postgres(c) => {
                sqlx::query_scalar(
                    "UPDATE webhook_deliveries SET lease_until = $1
                     WHERE id IN (SELECT id FROM webhook_deliveries
                                  WHERE status = 'pending' AND next_attempt_at <= $2
                                    AND (lease_until IS NULL OR lease_until < $2)
                                  ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
                     RETURNING id",
                )
                .bind(lease_until)
                .bind(now)
                .bind(limit)
                .fetch_all(&mut **c)
                .await?
            }
            Exec::Sqlite(c) => {
                sqlx::query_scalar(
                    "UPDATE webhook_deliveries SET lease_until = $1
                     WHERE id IN (SELECT id FROM webhook_deliveries
                                  WHERE status = 'pending' AND next_attempt_at <= $2
                                    AND (lease_until IS NULL OR lease_until < $2)
                                  ORDER BY id LIMIT $3)
                     RETURNING id",
                )
                .bind(lease_until)
                .bind(now)
                .bind(limit)
                .fetch_all(&mut **c)
                .await?
            }
        };
        let mut jobs = Vec::with_capacity(ids.len());
        for id in ids {
            let row = on_backend!(self, c => sqlx::query_as::<_, (i64, i64, i64)>(
                "SELECT attempts, webhook_id, event_id FROM webhook_deliveries WHERE id = $1",
            )
            .bind(id)
            .fetch_one(&mut **c)
            .await)?;
            let (attempts, webhook_id, event_id) = row;
            let webhook = self
                .webhook(webhook_id)
                .await?
                .ok_or(StoreError::NotFound { what: "webhook" })?;
            let event = on_backend!(self, c => sqlx::query_as::<_, EventRow>(
                "SELECT e.id, e.type, e.at, e.customer_id, u.username AS actor, e.data
                 FROM events e LEFT JOIN users u ON u.id = e.actor_id WHERE e.id = $1",
            )
            .bind(event_id)
            .fetch_one(&mut **c)
            .await)?
            .into_event()?;
            jobs.push(DeliveryJob {
                delivery_id: id,
                attempts,
                webhook,
                event,
            });
        }
        Ok(jobs)
    }

    pub async fn delivery_succeeded(&mut self, id: Id, now: Timestamp) -> Result<()> {
        on_backend!(self, c => sqlx::query(
            "UPDATE webhook_deliveries SET status = 'delivered', delivered_at = $1, attempts = attempts + 1,
                 lease_until = NULL, last_error = NULL
             WHERE id = $2",
        )
        .bind(now)
        .bind(id)
        .execute(&mut **c)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// Records a failed attempt: retried at `retry_at`, or given up when `None`.
    pub async fn delivery_failed(
        &mut self,
        id: Id,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<()> {
        let status = if retry_at.is_some() {
            "pending"
        } else {
            "failed"
        };
        on_backend!(self, c => sqlx::query(
            "UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, lease_until = NULL,
                 last_error = $2, next_attempt_at = COALESCE($3, next_attempt_at)
             WHERE id = $4",
        )
        .bind(status)
        .bind(error)
        .bind(retry_at)
        .bind(id)
        .execute(&mut **c)
        .await
        .map(|_| ()))?;
        Ok(())
    }
}
