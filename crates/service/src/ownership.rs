//! Changes of owner: claim from the pool, release to it, transfer by a manager. Each is a
//! compare-and-set on the owner column plus an audit entry, in one transaction.

use chrono::Duration;
use leadguard_domain::Id;
use leadguard_domain::access::may_transfer;
use leadguard_domain::audit::{AuditAction, AuditEntry, rules};
use leadguard_domain::event::EventType;
use leadguard_domain::ownership::{check_cap, effective_cap};
use leadguard_domain::pool::{MAX_DAYS, day_start};
use leadguard_domain::user::{Role, User};
use leadguard_store::{AuditFilter, NewAuditEntry, WriteTx};
use serde::Deserialize;

use crate::Service;
use crate::customers::page_bounds;
use crate::error::{Result, ServiceError};
use crate::merges::resolve;
use crate::views::{CustomerView, OwnerView, Page};

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReleaseRequest {
    /// Why the customer goes back to the pool.
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    /// Username of the new owner.
    pub to: String,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    pub customer_id: Option<i64>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

const MAX_REASON_CHARS: usize = 1000;

/// A reason as given: trimmed, empty as none, at most [`MAX_REASON_CHARS`] characters.
pub(crate) fn clean_reason(r: Option<String>) -> Result<Option<String>> {
    let r = r.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    if r.as_ref()
        .is_some_and(|s| s.chars().count() > MAX_REASON_CHARS)
    {
        return Err(ServiceError::invalid(
            "reason",
            "too_long",
            format!("the reason must be at most {MAX_REASON_CHARS} characters"),
        ));
    }
    Ok(r)
}

impl Service {
    /// Checks `user` may own one more customer, inside `tx` (their row is locked first). The
    /// cap is the user's own, or their team's pool policy, or the global one.
    async fn ensure_cap(&self, tx: &mut WriteTx, user: &User) -> Result<()> {
        tx.lock_user(user.id).await?;
        self.ensure_cap_locked(tx, user).await
    }

    /// [`Service::ensure_cap`] for a caller that has locked the user's row already.
    pub(crate) async fn ensure_cap_locked(&self, tx: &mut WriteTx, user: &User) -> Result<()> {
        let policy = self.policy_for_user(&mut tx.exec(), user).await?;
        let cap = effective_cap(user, policy.owner_cap);
        let owned = tx.exec().count_owned(user.id, cap).await?;
        check_cap(owned, cap).map_err(|e| ServiceError::OwnerCapReached {
            username: user.username.clone(),
            cap: e.cap,
            owned: e.owned,
        })
    }

    /// Takes a customer from the public pool, within the daily claim limit and not within the
    /// cool-down after the actor released or lost it; protected from recycling for the
    /// policy's protection period.
    pub async fn claim(&self, actor: &User, id: Id) -> Result<CustomerView> {
        let mut tx = self.store.begin().await?;
        let id = self.lock_customer(&mut tx, id).await?;
        let customer = tx
            .exec()
            .get_customer(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "customer" })?;
        if let Some(owner_id) = customer.owner_id {
            let owner = tx
                .exec()
                .user_by_id(owner_id)
                .await?
                .ok_or(ServiceError::NotFound { what: "user" })?;
            return Err(ServiceError::AlreadyOwned {
                owner: OwnerView::from(&owner),
            });
        }
        self.ensure_cap(&mut tx, actor).await?;
        let policy = self.policy_for_user(&mut tx.exec(), actor).await?;
        let now = self.now();
        if policy.daily_claim_limit > 0 {
            let since = day_start(now, self.config.day_offset);
            let claimed = tx.exec().claims_since(actor.id, since).await?;
            if claimed >= i64::from(policy.daily_claim_limit) {
                return Err(ServiceError::Conflict {
                    code: "daily_claim_limit",
                    message: format!(
                        "今日已领取 {claimed} 个客户，达到上限 {limit} / you have claimed {claimed} customers today, the daily limit is {limit}",
                        limit = policy.daily_claim_limit
                    ),
                });
            }
        }
        if policy.reclaim_cooldown_days > 0
            && let Some(lost) = tx.exec().last_loss(actor.id, id).await?
        {
            let until =
                lost + Duration::days(i64::from(policy.reclaim_cooldown_days.min(MAX_DAYS)));
            if now < until {
                return Err(ServiceError::Conflict {
                    code: "reclaim_cooldown",
                    message: format!(
                        "该客户由您退回或失去，{} 之后才能再次领取 / you released or lost this customer; you may claim it again after {}",
                        until.format("%Y-%m-%d %H:%M UTC"),
                        until.to_rfc3339()
                    ),
                });
            }
        }
        let protected_until = self.protection_end(&policy);
        if !tx
            .exec()
            .set_owner(id, None, Some(actor.id), now, protected_until)
            .await?
        {
            return Err(ServiceError::Conflict {
                code: "concurrent_change",
                message: "someone else changed this customer at the same moment; try again".into(),
            });
        }
        self.audit(
            &mut tx,
            id,
            AuditAction::Claimed,
            actor,
            None,
            Some(actor.id),
            rules::POOL_CLAIM,
            None,
        )
        .await?;
        let data = serde_json::json!({"name": customer.fields.name, "owner": actor.username});
        self.emit(
            &mut tx.exec(),
            EventType::CustomerClaimed,
            Some(id),
            Some(actor.id),
            Some(actor.id),
            &[],
            data,
        )
        .await?;
        tx.commit().await?;
        self.get_customer(actor, id).await
    }

    /// Gives a customer back to the pool: its owner, their manager or an admin.
    pub async fn release(&self, actor: &User, id: Id, req: ReleaseRequest) -> Result<CustomerView> {
        let reason = clean_reason(req.reason)?;
        let mut tx = self.store.begin().await?;
        let id = self.lock_customer(&mut tx, id).await?;
        let (customer, owner) = self.customer_for_change(&mut tx.exec(), actor, id).await?;
        let Some(owner) = owner else {
            return Err(ServiceError::Conflict {
                code: "in_pool",
                message: "the customer is already in the public pool".into(),
            });
        };
        let now = self.now();
        if !tx
            .exec()
            .set_owner(id, customer.owner_id, None, now, None)
            .await?
        {
            return Err(ServiceError::Conflict {
                code: "concurrent_change",
                message: "someone else changed this customer at the same moment; try again".into(),
            });
        }
        let rule = if owner.id == actor.id {
            rules::OWNER_RELEASE
        } else {
            rules::MANAGER_RELEASE
        };
        self.audit(
            &mut tx,
            id,
            AuditAction::Released,
            actor,
            Some(owner.id),
            None,
            rule,
            reason.as_deref(),
        )
        .await?;
        let data = serde_json::json!({
            "name": customer.fields.name, "previous_owner": owner.username, "reason": reason,
        });
        self.emit(
            &mut tx.exec(),
            EventType::CustomerReleased,
            Some(id),
            Some(actor.id),
            Some(owner.id),
            &[],
            data,
        )
        .await?;
        tx.commit().await?;
        self.view_by_id(actor, id).await
    }

    /// Moves a customer to another rep: managers within their team, admins anywhere.
    pub async fn transfer(
        &self,
        actor: &User,
        id: Id,
        req: TransferRequest,
    ) -> Result<CustomerView> {
        if actor.role == Role::Rep {
            return Err(ServiceError::forbidden(
                "only a manager or an admin may transfer customers",
            ));
        }
        let reason = clean_reason(req.reason)?;
        let mut tx = self.store.begin().await?;
        let target = tx
            .exec()
            .user_by_username(req.to.trim())
            .await?
            .ok_or_else(|| {
                ServiceError::invalid(
                    "to",
                    "unknown_user",
                    format!("no user named {}", req.to.trim()),
                )
            })?;
        if !target.active {
            return Err(ServiceError::invalid(
                "to",
                "user_inactive",
                format!(
                    "{} is deactivated and cannot own customers",
                    target.username
                ),
            ));
        }
        let id = self.lock_customer(&mut tx, id).await?;
        let customer = tx
            .exec()
            .get_customer(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "customer" })?;
        let owner = match customer.owner_id {
            Some(o) => tx.exec().user_by_id(o).await?,
            None => None,
        };
        if !may_transfer(actor, owner.as_ref(), &target) {
            return Err(ServiceError::forbidden(
                "a manager may transfer only their team's customers (or pool customers) to members of their team",
            ));
        }
        if owner.as_ref().is_some_and(|o| o.id == target.id) {
            return Err(ServiceError::Conflict {
                code: "already_owner",
                message: format!("{} already owns this customer", target.username),
            });
        }
        self.ensure_cap(&mut tx, &target).await?;
        let now = self.now();
        let policy = self.policy_for_user(&mut tx.exec(), &target).await?;
        let protected_until = self.protection_end(&policy);
        if !tx
            .exec()
            .set_owner(id, customer.owner_id, Some(target.id), now, protected_until)
            .await?
        {
            return Err(ServiceError::Conflict {
                code: "concurrent_change",
                message: "someone else changed this customer at the same moment; try again".into(),
            });
        }
        self.audit(
            &mut tx,
            id,
            AuditAction::Transferred,
            actor,
            customer.owner_id,
            Some(target.id),
            rules::MANAGER_TRANSFER,
            reason.as_deref(),
        )
        .await?;
        let previous: Vec<Id> = customer.owner_id.into_iter().collect();
        let data = serde_json::json!({
            "name": customer.fields.name, "owner": target.username, "by": actor.username, "reason": reason,
        });
        self.emit(
            &mut tx.exec(),
            EventType::CustomerAssigned,
            Some(id),
            Some(actor.id),
            Some(target.id),
            &previous,
            data,
        )
        .await?;
        tx.commit().await?;
        self.view_by_id(actor, id).await
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn audit(
        &self,
        tx: &mut WriteTx,
        customer_id: Id,
        action: AuditAction,
        actor: &User,
        before: Option<Id>,
        after: Option<Id>,
        rule: &str,
        reason: Option<&str>,
    ) -> Result<()> {
        tx.exec()
            .append_audit(&NewAuditEntry {
                at: self.now(),
                customer_id,
                action,
                actor_id: actor.id,
                before_owner_id: before,
                after_owner_id: after,
                rule,
                reason,
            })
            .await?;
        tracing::info!(actor = %actor.username, customer_id, action = action.as_str(), rule, "ownership changed");
        Ok(())
    }

    /// The audit log: of one customer (for those who may see it fully), or everything the
    /// actor may see (admin: all; manager: involving their team; rep: involving them).
    pub async fn audit_log(&self, actor: &User, q: AuditQuery) -> Result<Page<AuditEntry>> {
        let (limit, offset) = page_bounds(q.limit, q.offset)?;
        let mut conn = self.store.read().await?;
        let mut exec = conn.exec();
        let mut filter = AuditFilter {
            customer_id: q.customer_id,
            limit,
            offset,
            ..Default::default()
        };
        if let Some(id) = q.customer_id {
            let id = resolve(&mut exec, id).await?;
            filter.customer_id = Some(id);
            self.customer_for_change(&mut exec, actor, id).await?;
        } else {
            match actor.role {
                Role::Admin => {}
                Role::Manager => match &actor.team {
                    Some(team) => match exec.team_by_name(team).await? {
                        Some(t) => filter.involving_team = Some(t.id),
                        None => filter.involving_user = Some(actor.id),
                    },
                    None => filter.involving_user = Some(actor.id),
                },
                Role::Rep => filter.involving_user = Some(actor.id),
            }
        }
        let (items, total) = exec.list_audit(&filter).await?;
        Ok(Page {
            items,
            total,
            limit,
            offset,
        })
    }
}
