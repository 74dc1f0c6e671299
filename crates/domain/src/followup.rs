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

    /// The kind a word from another CRM's 跟进方式 / Type column names: 电话/打电话/Call →
    /// call, 拜访/上门/Visit → visit, 会议/Meeting → meeting, 微信/短信/SMS/WhatsApp → message,
    /// 邮件/Email → email, 备注/Note → note; case, spaces and punctuation ignored, and a word
    /// that contains one of these (电话沟通, Log a Call, 线上会议) counts as it. `None` for a
    /// word that names none of them (送样, Send Letter): the caller files it as a note and
    /// keeps the word.
    pub fn from_label(label: &str) -> Option<FollowUpKind> {
        let w: String = label
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        if w.is_empty() {
            return None;
        }
        if let Some(k) = FollowUpKind::parse(&w) {
            return Some(k);
        }
        // Whole words first, then words inside longer labels, the more specific first
        // (电话拜访 is a call, 上门拜访 a visit).
        const EXACT: &[(&str, FollowUpKind)] = &[
            ("电话拜访", FollowUpKind::Call),
            ("phonecall", FollowUpKind::Call),
            ("logacall", FollowUpKind::Call),
            ("面谈", FollowUpKind::Visit),
            ("inperson", FollowUpKind::Visit),
            ("onsite", FollowUpKind::Visit),
            ("text", FollowUpKind::Message),
            ("im", FollowUpKind::Message),
            ("qq", FollowUpKind::Message),
            ("mail", FollowUpKind::Email),
            ("其他", FollowUpKind::Note),
            ("其它", FollowUpKind::Note),
            ("other", FollowUpKind::Note),
            ("notes", FollowUpKind::Note),
        ];
        const CONTAINS: &[(&str, FollowUpKind)] = &[
            ("视频会议", FollowUpKind::Meeting),
            ("电话会议", FollowUpKind::Meeting),
            ("会议", FollowUpKind::Meeting),
            ("meeting", FollowUpKind::Meeting),
            ("拜访", FollowUpKind::Visit),
            ("上门", FollowUpKind::Visit),
            ("走访", FollowUpKind::Visit),
            ("面访", FollowUpKind::Visit),
            ("见面", FollowUpKind::Visit),
            ("visit", FollowUpKind::Visit),
            ("电话", FollowUpKind::Call),
            ("来电", FollowUpKind::Call),
            ("去电", FollowUpKind::Call),
            ("致电", FollowUpKind::Call),
            ("通话", FollowUpKind::Call),
            ("call", FollowUpKind::Call),
            ("邮件", FollowUpKind::Email),
            ("邮箱", FollowUpKind::Email),
            ("email", FollowUpKind::Email),
            ("微信", FollowUpKind::Message),
            ("短信", FollowUpKind::Message),
            ("消息", FollowUpKind::Message),
            ("钉钉", FollowUpKind::Message),
            ("飞书", FollowUpKind::Message),
            ("wechat", FollowUpKind::Message),
            ("whatsapp", FollowUpKind::Message),
            ("sms", FollowUpKind::Message),
            ("message", FollowUpKind::Message),
            ("备注", FollowUpKind::Note),
            ("笔记", FollowUpKind::Note),
            ("note", FollowUpKind::Note),
        ];
        EXACT
            .iter()
            .find(|(word, _)| *word == w)
            .or_else(|| CONTAINS.iter().find(|(word, _)| w.contains(word)))
            .map(|(_, k)| *k)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_from_other_crms_words() {
        use FollowUpKind::*;
        for (label, kind) in [
            ("电话", Call),
            ("打电话", Call),
            ("电话沟通", Call),
            ("电话拜访", Call),
            ("Call", Call),
            ("Log a Call", Call),
            ("phone call", Call),
            ("拜访", Visit),
            ("上门", Visit),
            ("上门拜访", Visit),
            ("Visit", Visit),
            ("in-person", Visit),
            ("会议", Meeting),
            ("线上会议", Meeting),
            ("Meeting", Meeting),
            ("微信", Message),
            ("企业微信", Message),
            ("短信", Message),
            ("SMS", Message),
            ("WhatsApp", Message),
            ("LinkedIn message", Message),
            ("message", Message),
            ("邮件", Email),
            ("E-mail", Email),
            ("email", Email),
            ("备注", Note),
            ("Note", Note),
            ("其他", Note),
            ("Other", Note),
            (" CALL ", Call),
        ] {
            assert_eq!(FollowUpKind::from_label(label), Some(kind), "{label}");
        }
        for label in ["", "  ", "送样", "Send Letter", "Task", "-"] {
            assert_eq!(FollowUpKind::from_label(label), None, "{label}");
        }
    }
}
