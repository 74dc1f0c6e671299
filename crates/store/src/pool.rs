//! The public pool: policies, the facts claim rules need, and what the recycler scans.

use leadguard_domain::pool::PolicyOverride;
use leadguard_domain::{Id, Timestamp};

use crate::Result;
use crate::exec::{Exec, on_backend};

#[derive(sqlx::FromRow)]
struct PolicyRow {
    owner_cap: Option<i64>,
    protection_days: Option<i64>,
    recycle_no_followup_days: Option<i64>,
    recycle_no_deal_days: Option<i64>,
    warn_days: Option<i64>,
    daily_claim_limit: Option<i64>,
    reclaim_cooldown_days: Option<i64>,
}

fn to_u32(v: Option<i64>) -> Option<u32> {
    v.map(|v| u32::try_from(v.max(0)).unwrap_or(u32::MAX))
}

fn scope(team_id: Option<Id>) -> String {
    match team_id {
        Some(t) => format!("team:{t}"),
        None => "global".to_string(),
    }
}

/// An owned customer as the recycler sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OwnedRow {
    pub id: Id,
    pub name: String,
    pub owner_id: Id,
    /// The owner's username.
    pub owner: String,
    pub team_id: Option<Id>,
    pub owned_since: Timestamp,
    pub last_followup_at: Option<Timestamp>,
    pub last_deal_at: Option<Timestamp>,
    pub protected_until: Option<Timestamp>,
    pub recycle_warned_at: Option<Timestamp>,
}

impl Exec<'_> {
    /// The stored overrides of the global policy (`team_id` None) or of a team.
    pub async fn pool_policy(&mut self, team_id: Option<Id>) -> Result<Option<PolicyOverride>> {
        let row = on_backend!(self, c => sqlx::query_as::<_, PolicyRow>(
            "SELECT owner_cap, protection_days, recycle_no_followup_days, recycle_no_deal_days, warn_days,
                    daily_claim_limit, reclaim_cooldown_days
             FROM pool_policies WHERE scope = $1",
        )
        .bind(scope(team_id))
        .fetch_optional(&mut **c)
        .await)?;
        Ok(row.map(|r| PolicyOverride {
            owner_cap: to_u32(r.owner_cap),
            protection_days: to_u32(r.protection_days),
            recycle_no_followup_days: to_u32(r.recycle_no_followup_days),
            recycle_no_deal_days: to_u32(r.recycle_no_deal_days),
            warn_days: to_u32(r.warn_days),
            daily_claim_limit: to_u32(r.daily_claim_limit),
            reclaim_cooldown_days: to_u32(r.reclaim_cooldown_days),
        }))
    }

    pub async fn set_pool_policy(
        &mut self,
        team_id: Option<Id>,
        p: &PolicyOverride,
        now: Timestamp,
        by: Id,
    ) -> Result<()> {
        let v = |x: Option<u32>| x.map(i64::from);
        on_backend!(self, c => sqlx::query(
            "INSERT INTO pool_policies (scope, team_id, owner_cap, protection_days, recycle_no_followup_days,
                 recycle_no_deal_days, warn_days, daily_claim_limit, reclaim_cooldown_days, updated_at, updated_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (scope) DO UPDATE SET
                 owner_cap = excluded.owner_cap, protection_days = excluded.protection_days,
                 recycle_no_followup_days = excluded.recycle_no_followup_days,
                 recycle_no_deal_days = excluded.recycle_no_deal_days, warn_days = excluded.warn_days,
                 daily_claim_limit = excluded.daily_claim_limit,
                 reclaim_cooldown_days = excluded.reclaim_cooldown_days,
                 updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(scope(team_id))
        .bind(team_id)
        .bind(v(p.owner_cap))
        .bind(v(p.protection_days))
        .bind(v(p.recycle_no_followup_days))
        .bind(v(p.recycle_no_deal_days))
        .bind(v(p.warn_days))
        .bind(v(p.daily_claim_limit))
        .bind(v(p.reclaim_cooldown_days))
        .bind(now)
        .bind(by)
        .execute(&mut **c)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// Customers `user_id` claimed from the pool since `since`.
    pub async fn claims_since(&mut self, user_id: Id, since: Timestamp) -> Result<i64> {
        Ok(on_backend!(self, c => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'claimed' AND actor_id = $1 AND at >= $2",
        )
        .bind(user_id)
        .bind(since)
        .fetch_one(&mut **c)
        .await)?)
    }

    /// When `user_id` last lost `customer_id` (released it, had it recycled, transferred away,
    /// lost a collision or merge).
    pub async fn last_loss(&mut self, user_id: Id, customer_id: Id) -> Result<Option<Timestamp>> {
        Ok(
            on_backend!(self, c => sqlx::query_scalar::<_, Option<Timestamp>>(
            "SELECT MAX(at) FROM audit_log
             WHERE customer_id = $1 AND before_owner_id = $2
               AND (after_owner_id IS NULL OR after_owner_id <> $2)",
        )
        .bind(customer_id)
        .bind(user_id)
        .fetch_one(&mut **c)
        .await)?,
        )
    }

    pub async fn set_protection(
        &mut self,
        customer_id: Id,
        until: Option<Timestamp>,
    ) -> Result<()> {
        on_backend!(self, c => sqlx::query("UPDATE customers SET protected_until = $1 WHERE id = $2")
            .bind(until)
            .bind(customer_id)
            .execute(&mut **c)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    pub async fn mark_recycle_warned(&mut self, customer_id: Id, at: Timestamp) -> Result<()> {
        on_backend!(self, c => sqlx::query("UPDATE customers SET recycle_warned_at = $1 WHERE id = $2")
            .bind(at)
            .bind(customer_id)
            .execute(&mut **c)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Owned customers after `after_id`, by id, `limit` at a time.
    pub async fn owned_customers(&mut self, after_id: Id, limit: i64) -> Result<Vec<OwnedRow>> {
        Ok(on_backend!(self, c => sqlx::query_as::<_, OwnedRow>(
            "SELECT c.id, c.name, c.owner_id, u.username AS owner, u.team_id, c.owned_since, c.last_followup_at, c.last_deal_at,
                    c.protected_until, c.recycle_warned_at
             FROM customers c JOIN users u ON u.id = c.owner_id
             WHERE c.owner_id IS NOT NULL AND c.id > $1
             ORDER BY c.id LIMIT $2",
        )
        .bind(after_id)
        .bind(limit)
        .fetch_all(&mut **c)
        .await)?)
    }

    /// The owned-customer facts of one customer, if it is owned.
    pub async fn owned_customer(&mut self, id: Id) -> Result<Option<OwnedRow>> {
        Ok(on_backend!(self, c => sqlx::query_as::<_, OwnedRow>(
            "SELECT c.id, c.name, c.owner_id, u.username AS owner, u.team_id, c.owned_since, c.last_followup_at, c.last_deal_at,
                    c.protected_until, c.recycle_warned_at
             FROM customers c JOIN users u ON u.id = c.owner_id
             WHERE c.id = $1",
        )
        .bind(id)
        .fetch_optional(&mut **c)
        .await)?)
    }
}
