//! Merging a duplicate customer into the survivor (合并), and undoing it.
//!
//! A merge moves everything over in one transaction that holds both customers' locks: every
//! write to either customer (follow-ups, deals, ownership changes) takes the same lock and
//! follows merges first, so a follow-up racing a merge lands on the survivor instead of being
//! left behind on the retired record.
//!
//! Unmerge restores the duplicate as it was at the merge (fields, owner) and moves back the
//! follow-ups and deals it brought. What was added after the merge stays with the survivor,
//! including follow-ups written to the old id in the meantime: they are the survivor's now.

use std::collections::HashSet;

use leadguard_domain::access::may_merge;
use leadguard_domain::audit::{AuditAction, rules};
use leadguard_domain::customer::{Customer, CustomerFields};
use leadguard_domain::event::EventType;
use leadguard_domain::merge::{merge_fields, unmerge_fields};
use leadguard_domain::user::User;
use leadguard_domain::{Id, Timestamp};
use leadguard_matching::profile::PROFILE_VERSION;
use leadguard_store::{Exec, MatchData, StoreError, WriteTx};
use serde::{Deserialize, Serialize};

use crate::Service;
use crate::error::{Result, ServiceError};
use crate::pool::customer_lock;
use crate::views::CustomerView;

/// A walk along merges (A merged into B merged into C …), however long the chain. A merge
/// always joins two live customers (both ids are followed to where they live first), so merges
/// cannot form a loop; meeting a customer twice means the data is corrupt, and is an error
/// rather than an endless walk.
struct MergeWalk {
    from: Id,
    seen: HashSet<Id>,
}

impl MergeWalk {
    fn new(from: Id) -> Self {
        MergeWalk {
            from,
            seen: HashSet::from([from]),
        }
    }

    /// The next customer of the chain.
    fn step(&mut self, next: Id) -> Result<Id> {
        if self.seen.insert(next) {
            Ok(next)
        } else {
            Err(ServiceError::Internal(format!(
                "customer {}: its merges loop back to customer {next}",
                self.from
            )))
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The customer to fold into this one; its id keeps resolving to this one.
    pub duplicate_id: Id,
}

/// What a merge changed, kept so that it can be undone.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Snapshot {
    survivor_fields: CustomerFields,
    survivor_created_by: Id,
    survivor_created_at: Timestamp,
    survivor_owner: Option<Id>,
    duplicate: Customer,
    followups: Vec<Id>,
    deals: Vec<Id>,
}

/// Follows merges from `id` to the customer it now lives in (`id` itself if never merged).
pub(crate) async fn resolve(exec: &mut Exec<'_>, id: Id) -> Result<Id> {
    let mut walk = MergeWalk::new(id);
    let mut current = id;
    while let Some(next) = exec.merged_into(current).await? {
        current = walk.step(next)?;
    }
    Ok(current)
}

fn identity_taken(e: StoreError) -> ServiceError {
    match e {
        StoreError::IdentityTaken { customer_id, .. } => ServiceError::Conflict {
            code: "identity_taken",
            message: format!(
                "客户 #{customer_id} 已使用其中的电话/邮箱/信用代码 / customer #{customer_id} now holds one of these identifiers"
            ),
        },
        e => e.into(),
    }
}

impl Service {
    /// Locks a customer for a change and returns the id it lives under, following merges
    /// (each hop locked in turn, so a merge in progress is waited for).
    pub(crate) async fn lock_customer(&self, tx: &mut WriteTx, id: Id) -> Result<Id> {
        let mut walk = MergeWalk::new(id);
        let mut current = id;
        loop {
            tx.lock_keys(&[customer_lock(current)]).await?;
            match tx.exec().merged_into(current).await? {
                Some(next) => current = walk.step(next)?,
                None => return Ok(current),
            }
        }
    }

    /// Re-derives the match data of `fields` and stores them as customer `id`'s.
    async fn store_fields(&self, tx: &mut WriteTx, id: Id, fields: &CustomerFields) -> Result<()> {
        let profile = self
            .matcher
            .profile(fields)
            .map_err(ServiceError::Invalid)?;
        let profile_json =
            serde_json::to_string(&profile).map_err(|e| ServiceError::Internal(e.to_string()))?;
        tx.lock_keys(&profile.lock_keys()).await?;
        tx.exec()
            .update_customer(
                id,
                fields,
                &MatchData {
                    name_search: &profile.name.folded,
                    profile: &profile_json,
                    version: i64::from(PROFILE_VERSION),
                    keys: &profile.index_keys(),
                    identities: &profile.unique_keys(),
                },
                self.now(),
            )
            .await
            .map_err(identity_taken)
    }

    /// Folds `duplicate_id` into `survivor_id` (both already resolved and locked by the caller
    /// through [`Service::lock_customer`]). The survivor keeps the earlier creation evidence;
    /// a survivor in the pool takes the duplicate's owner.
    pub(crate) async fn merge_locked(
        &self,
        tx: &mut WriteTx,
        actor: &User,
        survivor_id: Id,
        duplicate_id: Id,
    ) -> Result<()> {
        if survivor_id == duplicate_id {
            return Err(ServiceError::invalid(
                "duplicate_id",
                "same_customer",
                "a customer cannot be merged into itself",
            ));
        }
        let survivor = tx
            .exec()
            .get_customer(survivor_id)
            .await?
            .ok_or(ServiceError::NotFound { what: "customer" })?;
        let duplicate = tx
            .exec()
            .get_customer(duplicate_id)
            .await?
            .ok_or(ServiceError::NotFound { what: "customer" })?;
        let now = self.now();
        let merged = merge_fields(&survivor.fields, &duplicate.fields);

        tx.exec()
            .mark_merged(duplicate.id, survivor.id, now)
            .await?;
        self.store_fields(tx, survivor.id, &merged).await?;
        let (followups, deals) = tx.exec().move_history(duplicate.id, survivor.id).await?;
        tx.exec().refresh_activity(survivor.id).await?;
        if duplicate.created_at < survivor.created_at {
            tx.exec()
                .set_creation(survivor.id, duplicate.created_by, duplicate.created_at)
                .await?;
        }
        let owner_after = survivor.owner_id.or(duplicate.owner_id);
        if survivor.owner_id.is_none()
            && owner_after.is_some()
            && !tx
                .exec()
                .set_owner(survivor.id, None, owner_after, now, None)
                .await?
        {
            return Err(ServiceError::Conflict {
                code: "concurrent_change",
                message: "someone else changed this customer at the same moment; try again".into(),
            });
        }
        let snapshot = Snapshot {
            survivor_fields: survivor.fields.clone(),
            survivor_created_by: survivor.created_by,
            survivor_created_at: survivor.created_at,
            survivor_owner: survivor.owner_id,
            duplicate: duplicate.clone(),
            followups,
            deals,
        };
        let snapshot =
            serde_json::to_string(&snapshot).map_err(|e| ServiceError::Internal(e.to_string()))?;
        tx.exec()
            .insert_merge(survivor.id, duplicate.id, actor.id, now, &snapshot)
            .await?;
        let into = format!("合并到 #{} / merged into #{}", survivor.id, survivor.id);
        self.audit(
            tx,
            duplicate.id,
            AuditAction::Merged,
            actor,
            duplicate.owner_id,
            None,
            rules::MERGE,
            Some(&into),
        )
        .await?;
        let absorbed = format!("并入 #{} / absorbed #{}", duplicate.id, duplicate.id);
        self.audit(
            tx,
            survivor.id,
            AuditAction::Merged,
            actor,
            survivor.owner_id,
            owner_after,
            rules::MERGE,
            Some(&absorbed),
        )
        .await?;
        let involved: Vec<Id> = duplicate.owner_id.into_iter().collect();
        let data = serde_json::json!({
            "name": survivor.fields.name,
            "survivor_id": survivor.id,
            "duplicate_id": duplicate.id,
            "duplicate_name": duplicate.fields.name,
            "by": actor.username,
        });
        self.emit(
            &mut tx.exec(),
            EventType::CustomerMerged,
            Some(survivor.id),
            Some(actor.id),
            owner_after,
            &involved,
            data,
        )
        .await?;
        tracing::info!(actor = %actor.username, survivor = survivor.id, duplicate = duplicate.id, "customers merged");
        Ok(())
    }

    /// Checks that `actor` may merge customer `id` (its owner, their manager, an admin).
    async fn ensure_may_merge(&self, exec: &mut Exec<'_>, actor: &User, id: Id) -> Result<()> {
        let customer = exec
            .get_customer(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "customer" })?;
        let owner = match customer.owner_id {
            Some(o) => exec.user_by_id(o).await?,
            None => None,
        };
        if may_merge(actor, owner.as_ref()) {
            Ok(())
        } else {
            Err(ServiceError::forbidden(format!(
                "您无权合并客户 #{id} / you may merge only customers you own, or (managers) your team's and pool customers"
            )))
        }
    }

    /// `POST /customers/{id}/merge`: folds `duplicate_id` into customer `id`.
    pub async fn merge_customers(
        &self,
        actor: &User,
        survivor_id: Id,
        req: MergeRequest,
    ) -> Result<CustomerView> {
        if survivor_id == req.duplicate_id {
            return Err(ServiceError::invalid(
                "duplicate_id",
                "same_customer",
                "a customer cannot be merged into itself",
            ));
        }
        let mut tx = self.store.begin().await?;
        // Lock in id order so that two merges of the same pair cannot deadlock.
        let (a, b) = if survivor_id <= req.duplicate_id {
            (survivor_id, req.duplicate_id)
        } else {
            (req.duplicate_id, survivor_id)
        };
        let ra = self.lock_customer(&mut tx, a).await?;
        let rb = self.lock_customer(&mut tx, b).await?;
        let (survivor, duplicate) = if a == survivor_id { (ra, rb) } else { (rb, ra) };
        if survivor == duplicate {
            return Err(ServiceError::Conflict {
                code: "already_merged",
                message: format!(
                    "客户 #{} 已合并到 #{survivor} / customer #{} is already part of #{survivor}",
                    req.duplicate_id, req.duplicate_id
                ),
            });
        }
        self.ensure_may_merge(&mut tx.exec(), actor, survivor)
            .await?;
        self.ensure_may_merge(&mut tx.exec(), actor, duplicate)
            .await?;
        self.merge_locked(&mut tx, actor, survivor, duplicate)
            .await?;
        tx.commit().await?;
        self.view_by_id(actor, survivor).await
    }

    /// `POST /customers/{id}/unmerge`: brings merged customer `id` back as it was at the merge.
    pub async fn unmerge_customer(&self, actor: &User, id: Id) -> Result<CustomerView> {
        let mut tx = self.store.begin().await?;
        tx.lock_keys(&[customer_lock(id)]).await?;
        let merge = tx
            .exec()
            .active_merge(id)
            .await?
            .ok_or_else(|| ServiceError::Conflict {
                code: "not_merged",
                message: format!("客户 #{id} 未被合并 / customer #{id} is not merged"),
            })?;
        let survivor_id = merge.survivor_id;
        tx.lock_keys(&[customer_lock(survivor_id)]).await?;
        if let Some(further) = tx.exec().merged_into(survivor_id).await? {
            return Err(ServiceError::Conflict {
                code: "survivor_merged",
                message: format!(
                    "#{survivor_id} 已合并到 #{further}，请先撤销那次合并 / #{survivor_id} was itself merged into #{further}; unmerge that first"
                ),
            });
        }
        self.ensure_may_merge(&mut tx.exec(), actor, survivor_id)
            .await?;
        let snapshot: Snapshot = serde_json::from_str(&merge.snapshot)
            .map_err(|e| ServiceError::Internal(format!("merge {}: {e}", merge.id)))?;
        let survivor = tx
            .exec()
            .get_customer(survivor_id)
            .await?
            .ok_or(ServiceError::NotFound { what: "customer" })?;
        let now = self.now();
        let dup = &snapshot.duplicate;

        // The survivor first gives up what came from the duplicate, freeing its identifiers.
        let survivor_fields =
            unmerge_fields(&survivor.fields, &snapshot.survivor_fields, &dup.fields);
        self.store_fields(&mut tx, survivor_id, &survivor_fields)
            .await?;
        let owner = match dup.owner_id {
            Some(o) => tx.exec().user_by_id(o).await?.filter(|u| u.active),
            None => None,
        };
        let owner_id = owner.as_ref().map(|u| u.id);
        tx.exec().unmark_merged(id, owner_id, now).await?;
        self.store_fields(&mut tx, id, &dup.fields).await?;
        tx.exec()
            .move_back(survivor_id, id, &snapshot.followups, &snapshot.deals)
            .await?;
        tx.exec().refresh_activity(id).await?;
        tx.exec().refresh_activity(survivor_id).await?;
        tx.exec()
            .set_creation(
                survivor_id,
                snapshot.survivor_created_by,
                snapshot.survivor_created_at,
            )
            .await?;
        tx.exec().mark_unmerged(merge.id, actor.id, now).await?;
        let note = format!("从 #{survivor_id} 拆分 / unmerged from #{survivor_id}");
        self.audit(
            &mut tx,
            id,
            AuditAction::Unmerged,
            actor,
            None,
            owner_id,
            rules::MERGE,
            Some(&note),
        )
        .await?;
        let note = format!("拆出 #{id} / #{id} unmerged");
        self.audit(
            &mut tx,
            survivor_id,
            AuditAction::Unmerged,
            actor,
            survivor.owner_id,
            survivor.owner_id,
            rules::MERGE,
            Some(&note),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(actor = %actor.username, survivor = survivor_id, duplicate = id, "merge undone");
        self.view_by_id(actor, id).await
    }
}
