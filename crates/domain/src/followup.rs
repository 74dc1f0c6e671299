//! Follow-ups (跟进记录): the logged calls, visits and notes that keep a customer owned.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FollowUpKind {
    /// 电话
    Call,
    /// 拜访
    Visit,
    /// 微信/短信等消息
    Message,
    /// 邮件
    Email,
    /// 会议
    Meeting,
    /// 备注
    #[default]
    Note,
}

impl FollowUpKind {
    pub const ALL: [FollowUpKind; 6] = [
        FollowUpKind::Call,
        FollowUpKind::Visit,
        FollowUpKind::Message,
        FollowUpKind::Email,
        FollowUpKind::Meeting,
        FollowUpKind::Note,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FollowUpKind::Call => "call",
            FollowUpKind::Visit => "visit",
            FollowUpKind::Message => "message",
            FollowUpKind::Email => "email",
            FollowUpKind::Meeting => "meeting",
            FollowUpKind::Note => "note",
        }
    }

    pub fn parse(s: &str) -> Option<FollowUpKind> {
        FollowUpKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

pub const MAX_NOTE_CHARS: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FollowUp {
    pub id: i64,
    pub customer_id: i64,
    pub kind: FollowUpKind,
    pub note: String,
    pub at: chrono::DateTime<chrono::Utc>,
    /// Username of the author.
    pub author: String,
}
