//! Leadguard's use cases. Each runs in one transaction and is the only way its change reaches
//! the database: create with duplicate check, claim, release, transfer, follow-ups, users.

mod auth;
mod customers;
pub mod demo;
mod error;
mod followups;
mod ownership;
mod users;
pub mod views;

use std::sync::Arc;

use leadguard_domain::Timestamp;
use leadguard_domain::clock::{Clock, SystemClock};
use leadguard_domain::ownership::DEFAULT_OWNER_CAP;
use leadguard_matching::{Matcher, WeightedMatcher};
use leadguard_store::Store;

pub use auth::LoginOutcome;
pub use customers::{CustomerPatch, ListCustomers, Scope, Sort};
pub use error::{Result, ServiceError};
pub use followups::NewFollowUp;
pub use ownership::{AuditQuery, ReleaseRequest, TransferRequest};
pub use users::{NewUserRequest, UserUpdate};

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
}

impl Default for Config {
    fn default() -> Self {
        Config {
            default_owner_cap: DEFAULT_OWNER_CAP,
            session_ttl: chrono::Duration::hours(12),
            candidates_per_key: 200,
            max_matches: 10,
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
        }
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

    /// Now, to the microsecond: both backends store microseconds, so values read back compare
    /// equal to what was written.
    fn now(&self) -> Timestamp {
        use chrono::SubsecRound;
        self.clock.now().trunc_subsecs(6)
    }
}
