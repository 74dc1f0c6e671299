//! Leadguard's use cases. Each runs in one transaction (on SQLite, entries made at the same
//! moment share one, see `entries`) and is the only way its change reaches the database:
//! create with duplicate check, claim, release, transfer, follow-ups, users.

mod assignment;
mod auth;
mod bulk;
mod collisions;
mod customers;
mod deals;
pub mod demo;
mod entries;
mod error;
mod events;
mod evidence;
pub mod followup_import;
mod followups;
pub mod import;
mod import_jobs;
mod merges;
pub mod migration;
mod ownership;
mod pool;
mod reindex;
mod reports;
mod users;
pub mod views;
mod webhooks;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use leadguard_domain::Timestamp;
use leadguard_domain::clock::{Clock, SystemClock};
use leadguard_domain::ownership::DEFAULT_OWNER_CAP;
use leadguard_matching::{Matcher, WeightedMatcher};
use leadguard_store::Store;

pub use assignment::{
    Decision, DryRun, LeadOutcome, LeadOutcomeKind, LeadRequest, RuleInput, RuleVersionView,
    RuleView, SkippedRep,
};
pub use auth::LoginOutcome;
pub use bulk::{BatchAhead, BatchPipeline, BatchRows, PipelineBase, Placement, RowPlan, RowResult};
pub use collisions::{
    AppealRequest, CaseQuery, CaseSide, CaseView, DecideRequest, DecisionView, ScanReport,
};
pub use customers::{CustomerPatch, ListCustomers, Scope, Sort};
pub use deals::{Deal, DealInput, DealStage};
pub use error::{Result, ServiceError};
pub use followups::NewFollowUp;
pub use import_jobs::{ImportJobView, ImportRequest, MAX_IMPORT_BYTES};
pub use merges::MergeRequest;
pub use ownership::{AuditQuery, ReleaseRequest, TransferRequest};
pub use pool::{PolicyUpdate, PolicyView, RecycleItem, RecycleReport};
pub use reindex::ReindexReport;
pub use reports::{
    CollisionReport, Count, FairnessReport, PoolReport, RepShare, Report, ReportQuery,
};
pub use users::{NewUserRequest, UserUpdate};
pub use webhooks::{DeliveryView, WebhookFormat, WebhookInput, WebhookView};

/// UTC+8, China Standard Time.
const BEIJING: chrono::FixedOffset = match chrono::FixedOffset::east_opt(8 * 3600) {
    Some(o) => o,
    None => panic!("a valid offset"),
};

/// Settings of the use cases.
#[derive(Debug, Clone)]
pub struct Config {
    /// Owner cap for users without one of their own.
    pub default_owner_cap: u32,
    /// How long a login token stays valid.
    pub session_ttl: chrono::Duration,
    /// Most candidates fetched per match key: a key shared by thousands (a common name)
    /// cannot slow a check down.
    pub candidates_per_key: i64,
    /// Most matches reported for one check.
    pub max_matches: usize,
    /// The time zone of "today" for daily claim limits (China: +08:00).
    pub day_offset: chrono::FixedOffset,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            default_owner_cap: DEFAULT_OWNER_CAP,
            session_ttl: chrono::Duration::hours(12),
            candidates_per_key: 100,
            max_matches: 10,
            day_offset: BEIJING,
        }
    }
}

/// The use cases, over a store, a matching engine and a clock.
#[derive(Clone)]
pub struct Service {
    store: Store,
    matcher: Arc<dyn Matcher>,
    clock: Arc<dyn Clock>,
    config: Config,
    /// Customers stored, as last counted (plus those created since): the matcher's prior.
    population: Arc<AtomicU64>,
    /// Woken when this process queues an import job, so that its worker starts at once.
    import_queued: Arc<tokio::sync::Notify>,
    /// Entries waiting for SQLite's writer, saved a group at a time.
    entries: entries::EntryQueue,
}

impl Service {
    pub fn new(
        store: Store,
        matcher: Arc<dyn Matcher>,
        clock: Arc<dyn Clock>,
        config: Config,
    ) -> Self {
        Service {
            store,
            matcher,
            clock,
            config,
            population: Arc::new(AtomicU64::new(0)),
            import_queued: Arc::default(),
            entries: entries::EntryQueue::default(),
        }
    }

    /// Counts the stored customers and tells the matcher (startup, and after bulk changes).
    pub async fn refresh_population(&self) -> Result<u64> {
        let mut conn = self.store.read().await?;
        let n = conn.exec().count_customers().await?.max(0) as u64;
        self.population.store(n, Ordering::Relaxed);
        self.matcher.set_population(n);
        Ok(n)
    }

    /// One more customer stored.
    fn grew(&self) {
        let n = self.population.fetch_add(1, Ordering::Relaxed) + 1;
        self.matcher.set_population(n);
    }

    /// The default engine and the wall clock.
    pub fn with_defaults(store: Store) -> Self {
        Service::new(
            store,
            Arc::new(WeightedMatcher::default()),
            Arc::new(SystemClock),
            Config::default(),
        )
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Now by the service's clock, to the microsecond: both backends store microseconds, so
    /// values read back compare equal to what was written.
    pub fn now(&self) -> Timestamp {
        use chrono::SubsecRound;
        self.clock.now().trunc_subsecs(6)
    }
}
