//! What happened, for the live stream and webhooks.

use serde::{Deserialize, Serialize};

use crate::Id;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EventType {
    #[serde(rename = "customer.assigned")]
    CustomerAssigned,
    #[serde(rename = "duplicate.blocked")]
    DuplicateBlocked,
    #[serde(rename = "collision.opened")]
    CollisionOpened,
    #[serde(rename = "collision.decided")]
    CollisionDecided,
    #[serde(rename = "customer.merged")]
    CustomerMerged,
    #[serde(rename = "customer.recycle_warning")]
    CustomerRecycleWarning,
    #[serde(rename = "customer.recycled")]
    CustomerRecycled,
    #[serde(rename = "customer.claimed")]
    CustomerClaimed,
    #[serde(rename = "customer.released")]
    CustomerReleased,
    /// The weekly collision, fairness and pool report (Mondays).
    #[serde(rename = "report.weekly")]
    ReportWeekly,
}

impl EventType {
    pub const ALL: [EventType; 10] = [
        EventType::CustomerAssigned,
        EventType::DuplicateBlocked,
        EventType::CollisionOpened,
        EventType::CollisionDecided,
        EventType::CustomerMerged,
        EventType::CustomerRecycleWarning,
        EventType::CustomerRecycled,
        EventType::CustomerClaimed,
        EventType::CustomerReleased,
        EventType::ReportWeekly,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::CustomerAssigned => "customer.assigned",
            EventType::DuplicateBlocked => "duplicate.blocked",
            EventType::CollisionOpened => "collision.opened",
            EventType::CollisionDecided => "collision.decided",
            EventType::CustomerMerged => "customer.merged",
            EventType::CustomerRecycleWarning => "customer.recycle_warning",
            EventType::CustomerRecycled => "customer.recycled",
            EventType::CustomerClaimed => "customer.claimed",
            EventType::CustomerReleased => "customer.released",
            EventType::ReportWeekly => "report.weekly",
        }
    }

    pub fn parse(s: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|e| e.as_str() == s)
    }

    /// A short Chinese title, for chat robots.
    pub fn title_zh(self) -> &'static str {
        match self {
            EventType::CustomerAssigned => "客户已分配",
            EventType::DuplicateBlocked => "撞单已拦截",
            EventType::CollisionOpened => "撞单待裁决",
            EventType::CollisionDecided => "撞单已裁决",
            EventType::CustomerMerged => "客户已合并",
            EventType::CustomerRecycleWarning => "客户即将回收",
            EventType::CustomerRecycled => "客户已回收公海",
            EventType::CustomerClaimed => "客户已领取",
            EventType::CustomerReleased => "客户已退回公海",
            EventType::ReportWeekly => "每周撞单与分配报告",
        }
    }
}

/// One event, as the stream and webhooks carry it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Event {
    /// Increasing; the stream resumes after the last id seen.
    pub id: Id,
    #[serde(rename = "type")]
    pub kind: EventType,
    pub at: chrono::DateTime<chrono::Utc>,
    pub customer_id: Option<Id>,
    /// Username of whoever caused it (`_system` for recycling).
    pub actor: Option<String>,
    /// Details: names, owners, reasons (no private contact data).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: serde_json::Value,
}
