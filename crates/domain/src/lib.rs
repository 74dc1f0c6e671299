//! Leadguard's vocabulary and pure rules. Nothing in this crate performs I/O: the clock is a
//! trait, permissions and masking are plain functions, so every rule can be tested in isolation.

pub mod access;
pub mod assignment;
pub mod audit;
pub mod clock;
pub mod collision;
pub mod customer;
pub mod event;
pub mod followup;
pub mod keys;
pub mod mask;
pub mod merge;
pub mod ownership;
pub mod pool;
pub mod report;
pub mod user;

pub use access::Access;
pub use audit::{AuditAction, AuditEntry};
pub use clock::{Clock, SystemClock};
pub use customer::{Contact, Customer, CustomerFields, CustomerKind, FieldError};
pub use followup::{FollowUp, FollowUpKind};
pub use keys::{KeyKind, MatchKey};
pub use user::{Role, Team, User};

/// Database identifier of any stored row.
pub type Id = i64;
/// Points in time are always UTC; the UI renders them in the viewer's zone.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
