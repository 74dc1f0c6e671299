//! The public pool (公海): the policy every rep can read, and the pure rules of claiming and
//! recycling. Times come in as arguments; nothing here reads a clock.

use chrono::{Duration, FixedOffset, TimeZone};
use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// Pool rules. Stored globally and per team; a team's unset fields follow the global policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PoolPolicy {
    /// Most customers one rep may own at once (a rep's own cap, if set, wins).
    pub owner_cap: u32,
    /// Days after a claim during which the customer is not recycled.
    pub protection_days: u32,
    /// Recycle to the pool after this many days without a follow-up (0: never).
    pub recycle_no_followup_days: u32,
    /// Recycle after this many days without a won deal (0: never).
    pub recycle_no_deal_days: u32,
    /// Warn the owner this many days before recycling.
    pub warn_days: u32,
    /// Most customers one rep may claim from the pool per day (0: no limit).
    pub daily_claim_limit: u32,
    /// Days before a rep may claim again a customer they released or lost.
    pub reclaim_cooldown_days: u32,
}

impl Default for PoolPolicy {
    fn default() -> Self {
        PoolPolicy {
            owner_cap: crate::ownership::DEFAULT_OWNER_CAP,
            protection_days: 7,
            recycle_no_followup_days: 30,
            recycle_no_deal_days: 90,
            warn_days: 3,
            daily_claim_limit: 10,
            reclaim_cooldown_days: 7,
        }
    }
}

/// A team's overrides: `None` follows the global policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyOverride {
    pub owner_cap: Option<u32>,
    pub protection_days: Option<u32>,
    pub recycle_no_followup_days: Option<u32>,
    pub recycle_no_deal_days: Option<u32>,
    pub warn_days: Option<u32>,
    pub daily_claim_limit: Option<u32>,
    pub reclaim_cooldown_days: Option<u32>,
}

impl PolicyOverride {
    pub fn apply(&self, base: &PoolPolicy) -> PoolPolicy {
        PoolPolicy {
            owner_cap: self.owner_cap.unwrap_or(base.owner_cap),
            protection_days: self.protection_days.unwrap_or(base.protection_days),
            recycle_no_followup_days: self
                .recycle_no_followup_days
                .unwrap_or(base.recycle_no_followup_days),
            recycle_no_deal_days: self
                .recycle_no_deal_days
                .unwrap_or(base.recycle_no_deal_days),
            warn_days: self.warn_days.unwrap_or(base.warn_days),
            daily_claim_limit: self.daily_claim_limit.unwrap_or(base.daily_claim_limit),
            reclaim_cooldown_days: self
                .reclaim_cooldown_days
                .unwrap_or(base.reclaim_cooldown_days),
        }
    }

    pub fn full(p: &PoolPolicy) -> PolicyOverride {
        PolicyOverride {
            owner_cap: Some(p.owner_cap),
            protection_days: Some(p.protection_days),
            recycle_no_followup_days: Some(p.recycle_no_followup_days),
            recycle_no_deal_days: Some(p.recycle_no_deal_days),
            warn_days: Some(p.warn_days),
            daily_claim_limit: Some(p.daily_claim_limit),
            reclaim_cooldown_days: Some(p.reclaim_cooldown_days),
        }
    }
}

/// Largest value any day count may take (about 27 years): keeps date arithmetic in range.
pub const MAX_DAYS: u32 = 10_000;

/// Why a customer goes back to the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RecycleRule {
    NoFollowup,
    NoDeal,
}

impl RecycleRule {
    /// The rule name recorded in the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            RecycleRule::NoFollowup => "recycle_no_followup",
            RecycleRule::NoDeal => "recycle_no_deal",
        }
    }
}

/// What the recycler should do with one owned customer now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecycleDecision {
    Keep,
    /// Recycling is due at `due`; tell the owner (once per due date).
    Warn {
        due: Timestamp,
        rule: RecycleRule,
    },
    Recycle {
        rule: RecycleRule,
    },
}

/// The facts about an owned customer that recycling looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnedCustomer {
    pub owned_since: Timestamp,
    pub last_followup_at: Option<Timestamp>,
    pub last_deal_at: Option<Timestamp>,
    pub protected_until: Option<Timestamp>,
    pub warned_at: Option<Timestamp>,
}

/// When each rule would recycle the customer, the earliest first.
pub fn recycle_due(policy: &PoolPolicy, c: &OwnedCustomer) -> Option<(Timestamp, RecycleRule)> {
    let since = |last: Option<Timestamp>| last.map_or(c.owned_since, |l| l.max(c.owned_since));
    let mut dues = Vec::new();
    if policy.recycle_no_followup_days > 0 {
        let days = policy.recycle_no_followup_days.min(MAX_DAYS);
        dues.push((
            since(c.last_followup_at) + Duration::days(i64::from(days)),
            RecycleRule::NoFollowup,
        ));
    }
    if policy.recycle_no_deal_days > 0 {
        let days = policy.recycle_no_deal_days.min(MAX_DAYS);
        dues.push((
            since(c.last_deal_at) + Duration::days(i64::from(days)),
            RecycleRule::NoDeal,
        ));
    }
    let due = dues.into_iter().min_by_key(|d| d.0)?;
    // Protection pushes recycling back to its end.
    Some(match c.protected_until {
        Some(p) if p > due.0 => (p, due.1),
        _ => due,
    })
}

pub fn recycle_decision(policy: &PoolPolicy, c: &OwnedCustomer, now: Timestamp) -> RecycleDecision {
    let Some((due, rule)) = recycle_due(policy, c) else {
        return RecycleDecision::Keep;
    };
    if now >= due {
        return RecycleDecision::Recycle { rule };
    }
    let warn_from = due - Duration::days(i64::from(policy.warn_days.min(MAX_DAYS)));
    // One warning per due date: a warning given before the current window began was for an
    // earlier due date that a follow-up has since moved.
    let already = c.warned_at.is_some_and(|w| w >= warn_from);
    if policy.warn_days > 0 && now >= warn_from && !already {
        RecycleDecision::Warn { due, rule }
    } else {
        RecycleDecision::Keep
    }
}

/// Start of the day containing `now` in the time zone `offset` (daily claim limits count per
/// local day).
pub fn day_start(now: Timestamp, offset: FixedOffset) -> Timestamp {
    let local = now.with_timezone(&offset);
    let midnight = local.date_naive().and_hms_opt(0, 0, 0).unwrap_or_default();
    offset
        .from_local_datetime(&midnight)
        .single()
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn t(day: u32) -> Timestamp {
        chrono::Utc
            .with_ymd_and_hms(2026, 1, day, 12, 0, 0)
            .unwrap()
    }

    fn policy() -> PoolPolicy {
        PoolPolicy {
            recycle_no_followup_days: 10,
            recycle_no_deal_days: 20,
            warn_days: 3,
            protection_days: 5,
            ..Default::default()
        }
    }

    fn owned(since: u32) -> OwnedCustomer {
        OwnedCustomer {
            owned_since: t(since),
            last_followup_at: None,
            last_deal_at: None,
            protected_until: None,
            warned_at: None,
        }
    }

    #[test]
    fn recycles_after_the_quiet_period_and_warns_before() {
        let p = policy();
        let c = owned(1);
        assert_eq!(recycle_decision(&p, &c, t(5)), RecycleDecision::Keep);
        assert_eq!(
            recycle_decision(&p, &c, t(8)),
            RecycleDecision::Warn {
                due: t(11),
                rule: RecycleRule::NoFollowup
            }
        );
        let warned = OwnedCustomer {
            warned_at: Some(t(8)),
            ..c
        };
        assert_eq!(
            recycle_decision(&p, &warned, t(9)),
            RecycleDecision::Keep,
            "warned once"
        );
        assert_eq!(
            recycle_decision(&p, &c, t(11)),
            RecycleDecision::Recycle {
                rule: RecycleRule::NoFollowup
            }
        );
    }

    #[test]
    fn follow_ups_and_protection_move_the_date() {
        let p = policy();
        let c = OwnedCustomer {
            last_followup_at: Some(t(9)),
            ..owned(1)
        };
        assert_eq!(recycle_decision(&p, &c, t(15)), RecycleDecision::Keep);
        // The old warning (day 8) does not silence the warning for the new due date (day 19).
        let c = OwnedCustomer {
            warned_at: Some(t(8)),
            ..c
        };
        assert_eq!(
            recycle_decision(&p, &c, t(17)),
            RecycleDecision::Warn {
                due: t(19),
                rule: RecycleRule::NoFollowup
            }
        );
        // Without follow-ups, the deal rule decides.
        let p2 = PoolPolicy {
            recycle_no_followup_days: 0,
            ..policy()
        };
        assert_eq!(
            recycle_decision(&p2, &owned(1), t(21)),
            RecycleDecision::Recycle {
                rule: RecycleRule::NoDeal
            }
        );
        let protected = OwnedCustomer {
            protected_until: Some(t(25)),
            ..owned(1)
        };
        assert_eq!(
            recycle_decision(&p, &protected, t(21)),
            RecycleDecision::Keep
        );
        assert_eq!(
            recycle_decision(&p, &protected, t(25)),
            RecycleDecision::Recycle {
                rule: RecycleRule::NoFollowup
            }
        );
        let off = PoolPolicy {
            recycle_no_followup_days: 0,
            recycle_no_deal_days: 0,
            ..policy()
        };
        assert_eq!(
            recycle_decision(&off, &owned(1), t(28)),
            RecycleDecision::Keep
        );
    }

    #[test]
    fn days_are_local() {
        let beijing = FixedOffset::east_opt(8 * 3600).unwrap();
        // 2026-01-05 17:00 UTC is 01:00 on the 6th in Beijing.
        let now = chrono::Utc.with_ymd_and_hms(2026, 1, 5, 17, 0, 0).unwrap();
        assert_eq!(
            day_start(now, beijing),
            chrono::Utc.with_ymd_and_hms(2026, 1, 5, 16, 0, 0).unwrap()
        );
    }
}
