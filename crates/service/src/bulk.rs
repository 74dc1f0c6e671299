//! Entering many customers at once (imports): the same check and the same records as one entry
//! in the UI, for a whole batch of rows in one transaction. Either the batch commits (every row's
//! outcome holds) or nothing of it does.

use leadguard_domain::Id;
use leadguard_domain::audit::rules;
use leadguard_domain::collision::CaseOrigin;
use leadguard_domain::customer::{CustomerFields, FieldError};
use leadguard_domain::keys::MatchKey;
use leadguard_domain::ownership::effective_cap;
use leadguard_domain::user::User;
use leadguard_matching::Verdict;

use crate::Service;
use crate::collisions::Subject;
use crate::error::{Result, ServiceError};
use crate::views::MatchView;

/// What happened to one row of a batch.
#[derive(Debug, Clone)]
pub enum RowResult {
    /// Saved, owned by the importing user; `suspected` is the closest look-alike, if any.
    Created {
        id: Id,
        suspected: Option<MatchView>,
    },
    /// Not saved: the customer exists (stored before, or earlier in the batch).
    Duplicate { matches: Vec<MatchView> },
    /// Not saved: the row's fields are invalid.
    Invalid(Vec<FieldError>),
    /// Not saved: the owner has as many customers as they may.
    CapReached { cap: u32 },
}

impl Service {
    /// Enters `rows` for `owner` in one transaction, each checked against the database and
    /// the rows before it. A `batch_conflict` error means a unique identifier was taken by a
    /// concurrent writer that bypassed the locks: nothing was saved; enter the rows one by one.
    pub async fn create_customers_batch(
        &self,
        owner: &User,
        rows: Vec<CustomerFields>,
    ) -> Result<Vec<RowResult>> {
        let prepared: Vec<std::result::Result<_, Vec<FieldError>>> = rows
            .into_iter()
            .map(|f| match self.prepare(f) {
                Ok(p) => Ok(p),
                Err(ServiceError::Invalid(errs)) => Err(errs),
                Err(e) => Err(vec![FieldError::new("", "invalid", e.to_string())]),
            })
            .collect();
        let keys: Vec<MatchKey> = prepared
            .iter()
            .flatten()
            .flat_map(|(_, p)| p.lock_keys())
            .collect();
        let mut tx = self.store.begin().await?;
        tx.lock_keys(&keys).await?;
        tx.lock_user(owner.id).await?;
        let policy = self.policy_for_user(&mut tx.exec(), owner).await?;
        let cap = effective_cap(owner, policy.owner_cap);
        let mut owned = tx.exec().count_owned(owner.id).await?.max(0) as u64;
        let mut out = Vec::with_capacity(prepared.len());
        let mut created = 0;
        for row in prepared {
            let (fields, profile) = match row {
                Ok(p) => p,
                Err(errs) => {
                    out.push(RowResult::Invalid(errs));
                    continue;
                }
            };
            let matches = self.find_matches(&mut tx.exec(), &profile, None).await?;
            let (duplicates, suspected): (Vec<_>, Vec<_>) = matches
                .into_iter()
                .partition(|m| m.verdict == Verdict::Duplicate);
            if let Some(m) = duplicates.first() {
                self.blocked_event(&mut tx.exec(), owner, &fields, m)
                    .await?;
                out.push(RowResult::Duplicate {
                    matches: duplicates,
                });
                continue;
            }
            if owned >= u64::from(cap) {
                out.push(RowResult::CapReached { cap });
                continue;
            }
            let id = match self
                .insert_new(
                    &mut tx,
                    owner,
                    &fields,
                    &profile,
                    Some(owner.id),
                    rules::FIRST_COME,
                )
                .await?
            {
                Ok(id) => id,
                Err(_) => {
                    return Err(ServiceError::Conflict {
                        code: "batch_conflict",
                        message: "a concurrent writer took an identifier of this batch; enter its rows one by one".into(),
                    });
                }
            };
            self.open_cases_for_matches(
                &mut tx.exec(),
                CaseOrigin::SuspectedEntry,
                owner,
                Subject {
                    customer_id: id,
                    entered_at: self.now(),
                    owner_id: owner.id,
                },
                &suspected,
            )
            .await?;
            owned += 1;
            created += 1;
            out.push(RowResult::Created {
                id,
                suspected: suspected.into_iter().next(),
            });
        }
        tx.commit().await?;
        for _ in 0..created {
            self.grew();
        }
        Ok(out)
    }
}
