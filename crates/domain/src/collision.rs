//! Collision cases (撞单): how one is opened, and the first-come rule that decides it unless a
//! manager writes down why not.

use serde::{Deserialize, Serialize};

use crate::{Id, Timestamp};

/// What opened a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CaseOrigin {
    /// A customer was entered that looks like (but is not surely) another rep's.
    SuspectedEntry,
    /// A rep blocked as a duplicate appealed, with a reason.
    Appeal,
    /// A scan of the whole database found two reps owning the same customer.
    BatchScan,
    /// A change gave a customer an identifier that looks like another rep's customer.
    Update,
    /// A migration: the previous CRM gave the same company to another rep too (several rows
    /// with different owners); the earliest entry kept it.
    Migration,
}

impl CaseOrigin {
    pub const ALL: [CaseOrigin; 5] = [
        CaseOrigin::SuspectedEntry,
        CaseOrigin::Appeal,
        CaseOrigin::BatchScan,
        CaseOrigin::Update,
        CaseOrigin::Migration,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseOrigin::SuspectedEntry => "suspected_entry",
            CaseOrigin::Appeal => "appeal",
            CaseOrigin::BatchScan => "batch_scan",
            CaseOrigin::Update => "update",
            CaseOrigin::Migration => "migration",
        }
    }

    pub fn parse(s: &str) -> Option<CaseOrigin> {
        CaseOrigin::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    Open,
    Decided,
}

impl CaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Open => "open",
            CaseStatus::Decided => "decided",
        }
    }

    pub fn parse(s: &str) -> Option<CaseStatus> {
        [CaseStatus::Open, CaseStatus::Decided]
            .into_iter()
            .find(|o| o.as_str() == s)
    }
}

/// One side of a case, as far as the first-come rule cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Side {
    pub user_id: Id,
    /// When that side's customer was first entered; `None` for an appeal's blocked entry,
    /// which was never saved.
    pub entered_at: Option<Timestamp>,
}

/// The first-come rule (先录先得): the side whose customer was entered earlier wins; an entry
/// that was never saved loses to one that was. Ties go to the first side (the existing
/// customer).
pub fn first_come(first: Side, second: Side) -> Id {
    match (first.entered_at, second.entered_at) {
        (Some(a), Some(b)) if b < a => second.user_id,
        (None, Some(_)) => second.user_id,
        _ => first.user_id,
    }
}

/// Key that keeps one open case per pair of customers (in either order), or per customer and
/// appellant.
pub fn pair_key(first_customer: Id, second: PairSecond) -> String {
    match second {
        PairSecond::Customer(other) => {
            let (a, b) = if first_customer <= other {
                (first_customer, other)
            } else {
                (other, first_customer)
            };
            format!("{a}:{b}")
        }
        PairSecond::Appellant { appellant, owner } => format!(
            "{first_customer}:appeal:{}:{}",
            appellant.min(owner),
            appellant.max(owner)
        ),
    }
}

/// The other side of a case: a second customer, or a rep appealing against the owner (the
/// same two reps cannot re-open a decided appeal for the customer by swapping roles).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairSecond {
    Customer(Id),
    Appellant { appellant: Id, owner: Id },
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(day: u32) -> Option<Timestamp> {
        Some(chrono::Utc.with_ymd_and_hms(2026, 1, day, 9, 0, 0).unwrap())
    }

    #[test]
    fn earliest_entry_wins() {
        let a = Side {
            user_id: 1,
            entered_at: at(5),
        };
        let b = Side {
            user_id: 2,
            entered_at: at(3),
        };
        assert_eq!(first_come(a, b), 2);
        assert_eq!(first_come(b, a), 2);
        let appeal = Side {
            user_id: 3,
            entered_at: None,
        };
        assert_eq!(first_come(a, appeal), 1);
        assert_eq!(
            first_come(a, a),
            1,
            "a tie stays with the existing customer"
        );
    }

    #[test]
    fn pair_keys_ignore_order() {
        assert_eq!(
            pair_key(7, PairSecond::Customer(3)),
            pair_key(3, PairSecond::Customer(7))
        );
        assert_eq!(
            pair_key(
                7,
                PairSecond::Appellant {
                    appellant: 3,
                    owner: 5
                }
            ),
            pair_key(
                7,
                PairSecond::Appellant {
                    appellant: 5,
                    owner: 3
                }
            )
        );
    }
}
