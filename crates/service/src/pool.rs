//! The public pool (公海): its policy, and recycling customers nobody works back into it.

use chrono::Duration;
use leadguard_domain::audit::AuditAction;
use leadguard_domain::event::EventType;
use leadguard_domain::pool::{
    OwnedCustomer, PolicyOverride, PoolPolicy, RecycleDecision, recycle_decision,
};
use leadguard_domain::user::User;
use leadguard_domain::{Id, Timestamp};
use leadguard_store::{Exec, NewAuditEntry, NewEvent, OwnedRow};
use serde::{Deserialize, Serialize};

use crate::Service;
use crate::error::{Result, ServiceError};

/// A pool policy as shown: the rules in force, and what the scope sets itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyView {
    /// `global`, or the team's name.
    pub scope: String,
    /// The rules in force for this scope.
    pub effective: PoolPolicy,
    /// What this scope sets; `null` fields follow the global policy.
    pub overrides: PolicyOverride,
}

/// What one recycling run did (or, with `dry_run`, would do).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecycleReport {
    pub dry_run: bool,
    pub now: Option<chrono::DateTime<chrono::Utc>>,
    pub warned: Vec<RecycleItem>,
    pub recycled: Vec<RecycleItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecycleItem {
    pub customer_id: Id,
    pub name: String,
    /// The owner's username (the owner before recycling).
    pub owner: String,
    /// `recycle_no_followup` or `recycle_no_deal`.
    pub rule: String,
    /// When the customer is (or was) due.
    pub due: Option<chrono::DateTime<chrono::Utc>>,
}

/// Changes to a policy: absent fields stay; `null` (teams only) returns a field to the global
/// value.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PolicyUpdate {
    #[serde(default, deserialize_with = "double_option")]
    pub owner_cap: Option<Option<u32>>,
    #[serde(default, deserialize_with = "double_option")]
    pub protection_days: Option<Option<u32>>,
    #[serde(default, deserialize_with = "double_option")]
    pub recycle_no_followup_days: Option<Option<u32>>,
    #[serde(default, deserialize_with = "double_option")]
    pub recycle_no_deal_days: Option<Option<u32>>,
    #[serde(default, deserialize_with = "double_option")]
    pub warn_days: Option<Option<u32>>,
    #[serde(default, deserialize_with = "double_option")]
    pub daily_claim_limit: Option<Option<u32>>,
    #[serde(default, deserialize_with = "double_option")]
    pub reclaim_cooldown_days: Option<Option<u32>>,
}

/// A field that is present (maybe `null`) deserializes to `Some`.
fn double_option<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Option<u32>>, D::Error> {
    Option::<u32>::deserialize(d).map(Some)
}

const BATCH: i64 = 1000;

impl Service {
    /// The global policy in force.
    pub(crate) async fn global_policy(&self, exec: &mut Exec<'_>) -> Result<PoolPolicy> {
        let base = PoolPolicy {
            owner_cap: self.config.default_owner_cap,
            ..PoolPolicy::default()
        };
        Ok(match exec.pool_policy(None).await? {
            Some(o) => o.apply(&base),
            None => base,
        })
    }

    /// The policy in force for members of `team_id`.
    pub(crate) async fn policy_for_team(
        &self,
        exec: &mut Exec<'_>,
        team_id: Option<Id>,
    ) -> Result<PoolPolicy> {
        let global = self.global_policy(exec).await?;
        Ok(match team_id {
            Some(t) => match exec.pool_policy(Some(t)).await? {
                Some(o) => o.apply(&global),
                None => global,
            },
            None => global,
        })
    }

    pub(crate) async fn policy_for_user(
        &self,
        exec: &mut Exec<'_>,
        user: &User,
    ) -> Result<PoolPolicy> {
        let team_id = match &user.team {
            Some(t) => exec.team_by_name(t).await?.map(|t| t.id),
            None => None,
        };
        self.policy_for_team(exec, team_id).await
    }

    /// The policy of a scope, readable by everyone: transparent rules are half of fairness.
    pub async fn pool_policy(&self, _actor: &User, team: Option<&str>) -> Result<PolicyView> {
        let mut conn = self.store.read().await?;
        let mut exec = conn.exec();
        match team {
            None => Ok(PolicyView {
                scope: "global".into(),
                effective: self.global_policy(&mut exec).await?,
                overrides: exec.pool_policy(None).await?.unwrap_or_default(),
            }),
            Some(name) => {
                let t = exec
                    .team_by_name(name)
                    .await?
                    .ok_or(ServiceError::NotFound { what: "team" })?;
                Ok(PolicyView {
                    scope: t.name.clone(),
                    effective: self.policy_for_team(&mut exec, Some(t.id)).await?,
                    overrides: exec.pool_policy(Some(t.id)).await?.unwrap_or_default(),
                })
            }
        }
    }

    /// Changes the global policy or a team's (admins only).
    pub async fn set_pool_policy(
        &self,
        actor: &User,
        team: Option<&str>,
        upd: PolicyUpdate,
    ) -> Result<PolicyView> {
        if !actor.is_admin() {
            return Err(ServiceError::forbidden(
                "only an admin may change pool policies",
            ));
        }
        let fields = [
            ("owner_cap", upd.owner_cap),
            ("protection_days", upd.protection_days),
            ("recycle_no_followup_days", upd.recycle_no_followup_days),
            ("recycle_no_deal_days", upd.recycle_no_deal_days),
            ("warn_days", upd.warn_days),
            ("daily_claim_limit", upd.daily_claim_limit),
            ("reclaim_cooldown_days", upd.reclaim_cooldown_days),
        ];
        let mut errs = Vec::new();
        for (name, v) in fields {
            if let Some(Some(n)) = v
                && name != "owner_cap"
                && n > leadguard_domain::pool::MAX_DAYS
            {
                errs.push(leadguard_domain::FieldError::new(
                    name,
                    "out_of_range",
                    format!(
                        "{name} must be at most {}",
                        leadguard_domain::pool::MAX_DAYS
                    ),
                ));
            }
            if team.is_none() && matches!(v, Some(None)) {
                errs.push(leadguard_domain::FieldError::new(
                    name,
                    "required",
                    format!("the global policy needs a value for {name}"),
                ));
            }
        }
        if !errs.is_empty() {
            return Err(ServiceError::Invalid(errs));
        }
        let mut tx = self.store.begin().await?;
        let team_id = match team {
            Some(name) => Some(
                tx.exec()
                    .team_by_name(name)
                    .await?
                    .ok_or(ServiceError::NotFound { what: "team" })?
                    .id,
            ),
            None => None,
        };
        let mut o = match team_id {
            Some(_) => tx.exec().pool_policy(team_id).await?.unwrap_or_default(),
            // The global row always holds every value, so that later changes to the built-in
            // defaults never move a policy an admin has set.
            None => {
                let current = self.global_policy(&mut tx.exec()).await?;
                PolicyOverride::full(&current)
            }
        };
        let set = |slot: &mut Option<u32>, v: Option<Option<u32>>| {
            if let Some(v) = v {
                *slot = v;
            }
        };
        set(&mut o.owner_cap, upd.owner_cap);
        set(&mut o.protection_days, upd.protection_days);
        set(
            &mut o.recycle_no_followup_days,
            upd.recycle_no_followup_days,
        );
        set(&mut o.recycle_no_deal_days, upd.recycle_no_deal_days);
        set(&mut o.warn_days, upd.warn_days);
        set(&mut o.daily_claim_limit, upd.daily_claim_limit);
        set(&mut o.reclaim_cooldown_days, upd.reclaim_cooldown_days);
        tx.exec()
            .set_pool_policy(team_id, &o, self.now(), actor.id)
            .await?;
        tx.commit().await?;
        tracing::info!(actor = %actor.username, scope = team.unwrap_or("global"), "pool policy changed");
        self.pool_policy(actor, team).await
    }

    /// Recycles every customer whose policy says so, and warns owners of those about to be.
    /// Each customer is moved in its own transaction, and only if it is still owned by the
    /// same rep and still due, so several processes running this at once recycle (and warn
    /// about) each customer once.
    pub async fn recycle(&self, dry_run: bool) -> Result<RecycleReport> {
        let now = self.now();
        let mut report = RecycleReport {
            dry_run,
            now: Some(now),
            ..Default::default()
        };
        let system = self.system_user().await?;
        let mut policies: std::collections::HashMap<Option<Id>, PoolPolicy> = Default::default();
        let mut after = 0;
        loop {
            let page = {
                let mut conn = self.store.read().await?;
                conn.exec().owned_customers(after, BATCH).await?
            };
            let Some(last) = page.last() else { break };
            after = last.id;
            for row in page {
                let policy = match policies.get(&row.team_id) {
                    Some(p) => *p,
                    None => {
                        let mut conn = self.store.read().await?;
                        let p = self.policy_for_team(&mut conn.exec(), row.team_id).await?;
                        policies.insert(row.team_id, p);
                        p
                    }
                };
                match decide(&policy, &row, now) {
                    RecycleDecision::Keep => {}
                    RecycleDecision::Warn { due, rule } => {
                        let item = item(&row, rule.as_str(), Some(due));
                        if dry_run
                            || self
                                .warn_one(&row, &policy, now, due, rule.as_str())
                                .await?
                        {
                            report.warned.push(item);
                        }
                    }
                    RecycleDecision::Recycle { rule } => {
                        let due =
                            leadguard_domain::pool::recycle_due(&policy, &owned(&row)).map(|d| d.0);
                        let item = item(&row, rule.as_str(), due);
                        if dry_run
                            || self
                                .recycle_one(&row, &policy, now, rule.as_str(), system)
                                .await?
                        {
                            report.recycled.push(item);
                        }
                    }
                }
            }
        }
        if !dry_run && (!report.recycled.is_empty() || !report.warned.is_empty()) {
            tracing::info!(
                recycled = report.recycled.len(),
                warned = report.warned.len(),
                "recycling run"
            );
        }
        Ok(report)
    }

    /// Re-checks inside a transaction that the customer is still owned by the same rep and due.
    async fn still_due(
        &self,
        exec: &mut Exec<'_>,
        row: &OwnedRow,
        policy: &PoolPolicy,
        now: Timestamp,
    ) -> Result<Option<RecycleDecision>> {
        let current = exec.owned_customer(row.id).await?;
        Ok(current
            .filter(|c| c.owner_id == row.owner_id && c.owned_since == row.owned_since)
            .map(|c| decide(policy, &c, now)))
    }

    async fn warn_one(
        &self,
        row: &OwnedRow,
        policy: &PoolPolicy,
        now: Timestamp,
        due: Timestamp,
        rule: &str,
    ) -> Result<bool> {
        let mut tx = self.store.begin().await?;
        tx.lock_keys(&[customer_lock(row.id)]).await?;
        if !matches!(
            self.still_due(&mut tx.exec(), row, policy, now).await?,
            Some(RecycleDecision::Warn { .. })
        ) {
            return Ok(false);
        }
        tx.exec().mark_recycle_warned(row.id, now).await?;
        let data = serde_json::json!({"name": row.name, "due": due, "rule": rule});
        tx.exec()
            .insert_event(&NewEvent {
                kind: EventType::CustomerRecycleWarning,
                at: now,
                customer_id: Some(row.id),
                actor_id: None,
                owner_id: Some(row.owner_id),
                team_id: row.team_id,
                users: &[row.owner_id],
                data: &data,
            })
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn recycle_one(
        &self,
        row: &OwnedRow,
        policy: &PoolPolicy,
        now: Timestamp,
        rule: &str,
        system: Id,
    ) -> Result<bool> {
        let mut tx = self.store.begin().await?;
        tx.lock_keys(&[customer_lock(row.id)]).await?;
        if !matches!(
            self.still_due(&mut tx.exec(), row, policy, now).await?,
            Some(RecycleDecision::Recycle { .. })
        ) {
            return Ok(false);
        }
        if !tx
            .exec()
            .set_owner(row.id, Some(row.owner_id), None, now, None)
            .await?
        {
            return Ok(false);
        }
        tx.exec()
            .append_audit(&NewAuditEntry {
                at: now,
                customer_id: row.id,
                action: AuditAction::Recycled,
                actor_id: system,
                before_owner_id: Some(row.owner_id),
                after_owner_id: None,
                rule,
                reason: None,
            })
            .await?;
        let data = serde_json::json!({"name": row.name, "rule": rule});
        tx.exec()
            .insert_event(&NewEvent {
                kind: EventType::CustomerRecycled,
                at: now,
                customer_id: Some(row.id),
                actor_id: Some(system),
                owner_id: Some(row.owner_id),
                team_id: row.team_id,
                users: &[row.owner_id],
                data: &data,
            })
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The built-in user that recycling acts as.
    pub(crate) async fn system_user(&self) -> Result<Id> {
        let mut conn = self.store.read().await?;
        conn.exec()
            .user_by_username("_system")
            .await?
            .map(|u| u.id)
            .ok_or_else(|| {
                ServiceError::Internal("the _system user is missing; run the migrations".into())
            })
    }

    /// When the protection of a claim made now ends.
    pub(crate) fn protection_end(&self, policy: &PoolPolicy) -> Option<Timestamp> {
        (policy.protection_days > 0).then(|| {
            self.now()
                + Duration::days(i64::from(
                    policy.protection_days.min(leadguard_domain::pool::MAX_DAYS),
                ))
        })
    }
}

fn owned(row: &OwnedRow) -> OwnedCustomer {
    OwnedCustomer {
        owned_since: row.owned_since,
        last_followup_at: row.last_followup_at,
        last_deal_at: row.last_deal_at,
        protected_until: row.protected_until,
        warned_at: row.recycle_warned_at,
    }
}

fn decide(policy: &PoolPolicy, row: &OwnedRow, now: Timestamp) -> RecycleDecision {
    recycle_decision(policy, &owned(row), now)
}

fn item(row: &OwnedRow, rule: &str, due: Option<Timestamp>) -> RecycleItem {
    RecycleItem {
        customer_id: row.id,
        name: row.name.clone(),
        owner: row.owner.clone(),
        rule: rule.to_string(),
        due,
    }
}

/// A lock on one customer, for writers that must not interleave on it (PostgreSQL; SQLite has
/// one writer anyway).
pub(crate) fn customer_lock(id: Id) -> leadguard_domain::keys::MatchKey {
    leadguard_domain::keys::MatchKey::new(
        leadguard_domain::keys::KeyKind::Block,
        format!("customer:{id}"),
    )
}
