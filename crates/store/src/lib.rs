//! Leadguard's persistence. One interface, two backends: SQLite (embedded default, one file)
//! and PostgreSQL (production). Every query is written once and runs on both (see [`exec`]);
//! the few places where the backends differ (locking) are spelled out next to each other.
//!
//! Concurrency model:
//! - SQLite: all writes go through one connection in `BEGIN IMMEDIATE` transactions, so
//!   writers are serialized and a duplicate re-check inside the transaction sees every
//!   committed customer. Reads use a separate pool (WAL mode: readers never block the writer).
//! - PostgreSQL: writers that could conflict take transaction-scoped advisory locks on the
//!   hashes of their match keys (sorted, so no deadlocks) before re-checking, and lock the
//!   owner's user row before counting against the owner cap.
//! - Either way, identifiers that belong to one customer only are a primary key, so the
//!   database itself refuses a second owner of the same phone, e-mail or credit code.

mod assignment;
mod audit;
mod checkpoint;
mod collisions;
mod connect;
mod customers;
mod deals;
mod error;
mod events;
pub mod exec;
mod followups;
mod imports;
mod merges;
mod pool;
mod reports;
mod sessions;
mod users;
mod webhooks;

pub use assignment::{NewDecision, RepRecord, RuleData, RuleRow, RuleVersionRow};
pub use audit::{AuditFilter, NewAuditEntry};
pub use collisions::{CaseInbox, CaseRow, Decision, NewCase};
pub use connect::{Backend, DatabaseUrl, Store, StoreOptions};
pub use customers::{
    Candidate, CandidateIds, CustomerParts, CustomerQuery, CustomerScope, CustomerSort, MatchData,
    NewCustomer, OwnerInfo, StoredProfile,
};
pub use deals::DealRow;
pub use error::StoreError;
pub use events::{EventAudience, NewEvent};
pub use exec::{Conn, Exec, ReadTx, WriteMark, WriteTx};
pub use followups::{FollowUpKey, ImportedFollowUp};
pub use imports::{ImportCounts, ImportJobRow, ImportResultRow, NewImportJob};
pub use merges::MergeRow;
pub use pool::OwnedRow;
pub use reports::{CaseFact, DecisionFact, EventFact, PoolFact};
pub use users::{NewUser, UserPatch};
pub use webhooks::{Delivery, DeliveryJob, NewWebhook, Webhook};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
