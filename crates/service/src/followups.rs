//! Follow-ups: only those who may see a customer fully may log or read them.

use leadguard_domain::Id;
use leadguard_domain::followup::{FollowUp, FollowUpKind, MAX_NOTE_CHARS};
use leadguard_domain::user::User;
use serde::Deserialize;

use crate::Service;
use crate::customers::page_bounds;
use crate::error::{Result, ServiceError};
use crate::merges::resolve;
use crate::views::Page;

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewFollowUp {
    #[serde(default)]
    pub kind: FollowUpKind,
    /// What happened; 1 to 10,000 characters.
    pub note: String,
}

impl Service {
    pub async fn add_followup(
        &self,
        actor: &User,
        customer_id: Id,
        req: NewFollowUp,
    ) -> Result<FollowUp> {
        let note = req.note.trim();
        let n = note.chars().count();
        if n == 0 {
            return Err(ServiceError::invalid(
                "note",
                "required",
                "跟进内容不能为空 / the note is empty",
            ));
        }
        if n > MAX_NOTE_CHARS {
            return Err(ServiceError::invalid(
                "note",
                "too_long",
                format!("the note has {n} characters; at most {MAX_NOTE_CHARS} are allowed"),
            ));
        }
        let mut tx = self.store.begin().await?;
        // A follow-up written to a merged customer's id lands on the survivor.
        let customer_id = self.lock_customer(&mut tx, customer_id).await?;
        self.customer_for_change(&mut tx.exec(), actor, customer_id)
            .await?;
        let id = tx
            .exec()
            .insert_followup(customer_id, req.kind, note, self.now(), actor.id)
            .await?;
        let followup = tx
            .exec()
            .followup_by_id(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "follow-up" })?;
        tx.commit().await?;
        Ok(followup)
    }

    pub async fn list_followups(
        &self,
        actor: &User,
        customer_id: Id,
        limit: Option<i64>,
        offset: Option<i64>,
    ) -> Result<Page<FollowUp>> {
        let (limit, offset) = page_bounds(limit, offset)?;
        let mut conn = self.store.read().await?;
        let mut exec = conn.exec();
        let customer_id = resolve(&mut exec, customer_id).await?;
        self.customer_for_change(&mut exec, actor, customer_id)
            .await?;
        let (items, total) = exec.list_followups(customer_id, limit, offset).await?;
        Ok(Page {
            items,
            total,
            limit,
            offset,
        })
    }
}
