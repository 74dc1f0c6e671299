//! What reports count, for a period `[from, to)`.

use leadguard_domain::{Id, Timestamp};

use crate::Result;
use crate::exec::{Exec, on_backend};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventFact {
    pub at: Timestamp,
    pub actor_id: Option<Id>,
    pub owner_id: Option<Id>,
    /// JSON.
    pub data: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaseFact {
    pub origin: String,
    pub opened_at: Timestamp,
    pub decided_at: Option<Timestamp>,
    pub decision_rule: Option<String>,
    pub first_user_id: Id,
    pub second_user_id: Id,
    pub team_id: Option<Id>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DecisionFact {
    pub user_id: Option<Id>,
    pub rule_id: Option<Id>,
    pub outcome: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PoolFact {
    pub id: Id,
    pub created_at: Timestamp,
    /// When it last went to the pool (release or recycling); `None`: entered straight into it.
    pub pooled_at: Option<Timestamp>,
}

impl Exec<'_> {
    pub async fn events_between(
        &mut self,
        kind: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<EventFact>> {
        Ok(on_backend!(self, c => sqlx::query_as::<_, EventFact>(
            "SELECT at, actor_id, owner_id, data FROM events
             WHERE type = $1 AND at >= $2 AND at < $3 ORDER BY id",
        )
        .bind(kind)
        .bind(from)
        .bind(to)
        .fetch_all(&mut **c)
        .await)?)
    }

    /// Cases opened or decided in the period.
    pub async fn cases_between(&mut self, from: Timestamp, to: Timestamp) -> Result<Vec<CaseFact>> {
        Ok(on_backend!(self, c => sqlx::query_as::<_, CaseFact>(
            "SELECT origin, opened_at, decided_at, decision_rule, first_user_id, second_user_id, team_id
             FROM collision_cases
             WHERE (opened_at >= $1 AND opened_at < $2) OR (decided_at >= $1 AND decided_at < $2)
             ORDER BY id",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&mut **c)
        .await)?)
    }

    pub async fn decisions_between(
        &mut self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<DecisionFact>> {
        Ok(on_backend!(self, c => sqlx::query_as::<_, DecisionFact>(
            "SELECT user_id, rule_id, outcome FROM assignment_decisions
             WHERE at >= $1 AND at < $2 ORDER BY id",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&mut **c)
        .await)?)
    }

    /// Ownership changes in the period by action (`claimed`, `released`, `recycled`, …).
    pub async fn audit_counts(
        &mut self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<(String, i64)>> {
        Ok(on_backend!(self, c => sqlx::query_as::<_, (String, i64)>(
            "SELECT action, COUNT(*) FROM audit_log WHERE at >= $1 AND at < $2 GROUP BY action",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&mut **c)
        .await)?)
    }

    /// Claims the sending of a scheduled report: true for the one caller that gets it.
    pub async fn claim_scheduled_report(
        &mut self,
        kind: &str,
        period_start: &str,
        now: Timestamp,
    ) -> Result<bool> {
        let n = on_backend!(self, c => sqlx::query(
            "INSERT INTO scheduled_reports (kind, period_start, sent_at) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
        )
        .bind(kind)
        .bind(period_start)
        .bind(now)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// The customers in the pool now, with when they went there.
    pub async fn pool_facts(&mut self) -> Result<Vec<PoolFact>> {
        Ok(on_backend!(self, c => sqlx::query_as::<_, PoolFact>(
            "SELECT c.id, c.created_at,
                    (SELECT MAX(a.at) FROM audit_log a
                     WHERE a.customer_id = c.id AND a.action IN ('released', 'recycled')) AS pooled_at
             FROM customers c WHERE c.owner_id IS NULL AND c.merged_into IS NULL ORDER BY c.id",
        )
        .fetch_all(&mut **c)
        .await)?)
    }
}
