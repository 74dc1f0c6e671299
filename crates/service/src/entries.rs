//! Entries made at the same moment, saved together (SQLite).
//!
//! SQLite has one writer: under load, entries queue for it, and each spends most of its turn
//! on the statements around its check (begin, candidates, counts, several inserts, commit),
//! each a round trip to the database thread. So the entries waiting when the writer becomes
//! free are entered as one batch, in one transaction, with the import's batch check: their
//! candidates are read in one statement, each entry is matched against the stored customers
//! and the entries before it in the group, and their rows are written a group at a time. The
//! outcome of each entry is what it would be alone, in the order they queued: the first of
//! two reps entering the same company wins, the second is told it is a duplicate.
//!
//! If the group fails as a whole (a database error), its entries are entered one by one, each
//! in its own transaction, so that one entry's failure is only that entry's.

use std::sync::{Arc, Mutex, PoisonError};

use leadguard_domain::Id;
use leadguard_domain::customer::CustomerFields;
use leadguard_domain::user::User;
use leadguard_matching::Profile;
use tokio::sync::oneshot;

use crate::Service;
use crate::bulk::RowResult;
use crate::error::{Result, ServiceError};
use crate::views::MatchView;

/// Most entries saved in one transaction: bounds how long the writer is held at once.
const MAX_GROUP: usize = 256;

/// A customer entered and saved, before it is read back for the answer.
pub(crate) struct Entered {
    pub id: Id,
    pub suspected: Vec<MatchView>,
    pub collision_cases: Vec<Id>,
}

/// An entry waiting for the writer.
struct Waiting {
    actor: User,
    fields: CustomerFields,
    profile: Profile,
    answer: oneshot::Sender<Result<Entered>>,
}

#[derive(Default)]
struct State {
    waiting: Vec<Waiting>,
    /// Whether a task is entering groups; it takes the waiting entries until none are left.
    running: bool,
}

/// The entries waiting to be saved (one per service, shared by its clones).
#[derive(Clone, Default)]
pub(crate) struct EntryQueue(Arc<Mutex<State>>);

impl EntryQueue {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The task entering groups. If it ends without emptying the queue (a panic, or the runtime
/// shutting down), the entries still waiting are answered with an error instead of waiting
/// forever, and the next entry starts a new task.
struct Runner {
    queue: EntryQueue,
    finished: bool,
}

impl Drop for Runner {
    fn drop(&mut self) {
        if !self.finished {
            let mut state = self.queue.lock();
            state.running = false;
            state.waiting.clear();
        }
    }
}

impl Service {
    /// Enters a checked, profiled customer for `actor` with the entries queued at the same
    /// time, in one transaction. Runs to its end even if the caller stops waiting.
    pub(crate) async fn enter_grouped(
        &self,
        actor: &User,
        fields: CustomerFields,
        profile: Profile,
    ) -> Result<Entered> {
        let (answer, answered) = oneshot::channel();
        let start = {
            let mut state = self.entries.lock();
            state.waiting.push(Waiting {
                actor: actor.clone(),
                fields,
                profile,
                answer,
            });
            !std::mem::replace(&mut state.running, true)
        };
        if start {
            let service = self.clone();
            tokio::spawn(async move { service.enter_waiting().await });
        }
        answered.await.map_err(|_| {
            ServiceError::Internal("the entry was dropped before it was answered".into())
        })?
    }

    /// Enters the waiting entries, a group at a time, until none are left.
    async fn enter_waiting(&self) {
        let mut runner = Runner {
            queue: self.entries.clone(),
            finished: false,
        };
        loop {
            let group: Vec<Waiting> = {
                let mut state = runner.queue.lock();
                if state.waiting.is_empty() {
                    state.running = false;
                    runner.finished = true;
                    return;
                }
                let n = state.waiting.len().min(MAX_GROUP);
                state.waiting.drain(..n).collect()
            };
            self.enter_group(group).await;
        }
    }

    async fn enter_group(&self, group: Vec<Waiting>) {
        let started = std::time::Instant::now();
        let saved = self.save_group(&group).await;
        tracing::debug!(
            entries = group.len(),
            ms = started.elapsed().as_secs_f64() * 1e3,
            "group of entries saved"
        );
        match saved {
            Ok(results) => {
                for (w, r) in group.into_iter().zip(results) {
                    let outcome = match r {
                        RowResult::Created {
                            id,
                            suspected,
                            collision_cases,
                            ..
                        } => {
                            self.grew();
                            tracing::info!(actor = %w.actor.username, customer_id = id, "customer created");
                            Ok(Entered {
                                id,
                                suspected,
                                collision_cases,
                            })
                        }
                        RowResult::Duplicate { matches, .. } => {
                            tracing::info!(actor = %w.actor.username, matched = matches.first().map(|m| m.customer_id), "duplicate blocked");
                            Err(ServiceError::Duplicate { matches })
                        }
                        RowResult::CapReached { cap, .. } => Err(ServiceError::OwnerCapReached {
                            username: w.actor.username.clone(),
                            cap,
                            owned: u64::from(cap),
                        }),
                        RowResult::Invalid(errs) => Err(ServiceError::Invalid(errs)),
                    };
                    // The caller may have gone; its entry stands.
                    let _ = w.answer.send(outcome);
                }
            }
            Err(e) => {
                if group.len() > 1 {
                    tracing::warn!(error = %e, entries = group.len(), "a group of entries failed; entering them one by one");
                }
                for w in group {
                    let outcome = self.enter_one(&w.actor, &w.fields, &w.profile).await;
                    let _ = w.answer.send(outcome);
                }
            }
        }
    }

    /// Checks and saves a group of entries in one transaction; nothing of it if it fails.
    async fn save_group(&self, group: &[Waiting]) -> Result<Vec<RowResult>> {
        let mut tx = self.store.begin().await?;
        let entries = group
            .iter()
            .map(|w| (&w.actor, w.fields.clone(), w.profile.clone()))
            .collect();
        let results = self.enter_entries(&mut tx, entries).await?;
        tx.commit().await?;
        Ok(results)
    }
}
