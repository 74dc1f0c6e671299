//! The append-only audit log of ownership changes.

use serde::{Deserialize, Serialize};

/// Why the owner of a customer changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// Entered by a rep, who became its owner (先录先得).
    Created,
    /// Taken from the public pool.
    Claimed,
    /// Given back to the public pool by its owner or a manager.
    Released,
    /// Moved to another rep by a manager or admin.
    Transferred,
    /// Returned to the pool by a recycling rule.
    Recycled,
    /// Given to a rep by a collision decision.
    Awarded,
    /// Folded into another customer (on the duplicate), or absorbed one (on the survivor).
    Merged,
    /// A merge undone: the duplicate restored.
    Unmerged,
    /// Given to a rep by an assignment rule.
    Assigned,
    /// A record found to duplicate it (an import row, a lead) added phones, e-mails or
    /// contacts it lacked; the owner does not change.
    EvidenceAdded,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Created => "created",
            AuditAction::Claimed => "claimed",
            AuditAction::Released => "released",
            AuditAction::Transferred => "transferred",
            AuditAction::Recycled => "recycled",
            AuditAction::Awarded => "awarded",
            AuditAction::Merged => "merged",
            AuditAction::Unmerged => "unmerged",
            AuditAction::Assigned => "assigned",
            AuditAction::EvidenceAdded => "evidence_added",
        }
    }

    pub fn parse(s: &str) -> Option<AuditAction> {
        [
            AuditAction::Created,
            AuditAction::Claimed,
            AuditAction::Released,
            AuditAction::Transferred,
            AuditAction::Recycled,
            AuditAction::Awarded,
            AuditAction::Merged,
            AuditAction::Unmerged,
            AuditAction::Assigned,
            AuditAction::EvidenceAdded,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
}

/// The rule behind an ownership change, stored with every audit entry.
pub mod rules {
    pub const FIRST_COME: &str = "first_come";
    pub const POOL_CLAIM: &str = "pool_claim";
    pub const OWNER_RELEASE: &str = "owner_release";
    pub const MANAGER_RELEASE: &str = "manager_release";
    pub const MANAGER_TRANSFER: &str = "manager_transfer";
    pub const COLLISION_FIRST_COME: &str = "collision_first_come";
    pub const COLLISION_MANAGER_DECISION: &str = "collision_manager_decision";
    pub const MERGE: &str = "merge";
    /// A lead no assignment rule could place: entered straight into the pool.
    pub const POOL_INTAKE: &str = "pool_intake";
    /// What a duplicate record brought is kept on the customer it duplicates.
    pub const DUPLICATE_EVIDENCE: &str = "duplicate_evidence";
}

/// One ownership change. Users are given by username so that the log reads on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub customer_id: i64,
    pub action: AuditAction,
    /// Who did it (username).
    pub actor: String,
    /// Owner before the change (username); `null` when the customer was new or in the pool.
    pub before_owner: Option<String>,
    /// Owner after the change (username); `null` when the customer went to the pool.
    pub after_owner: Option<String>,
    /// The rule that caused the change, e.g. `first_come`.
    pub rule: String,
    /// Free-text reason given by the actor, if any.
    pub reason: Option<String>,
}
