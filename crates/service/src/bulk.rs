//! Entering many customers at once (imports): the same check and the same records as one entry
//! in the UI, for a whole batch of rows in one transaction. Either the batch commits (every row's
//! outcome holds) or nothing of it does.
//!
//! What makes it fast is the number of statements, not the matching: the candidates of every row
//! are fetched in one statement per thousand keys, rows of the same batch are matched against
//! each other in memory, and contacts, keys, identities and audit entries are written a
//! thousand rows per statement. Each row still costs one INSERT (its id).

use std::collections::{BTreeSet, HashMap, HashSet};

use leadguard_domain::Id;
use leadguard_domain::audit::{AuditAction, rules};
use leadguard_domain::collision::CaseOrigin;
use leadguard_domain::customer::{CustomerFields, FieldError};
use leadguard_domain::keys::MatchKey;
use leadguard_domain::ownership::effective_cap;
use leadguard_domain::user::User;
use leadguard_matching::{Profile, Verdict};
use leadguard_store::{Candidate, CustomerParts, MatchData, NewAuditEntry, NewCustomer, WriteTx};

use crate::Service;
use crate::collisions::Subject;
use crate::error::{Result, ServiceError};
use crate::views::{MatchView, OwnerView};

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

/// A stored customer that some row of the batch may match, its profile read once.
struct Stored {
    candidate: Candidate,
    profile: Profile,
}

/// Rows of this batch saved so far: later rows are matched against them in memory.
#[derive(Default)]
struct Fresh {
    rows: Vec<(Id, String, Profile)>,
    by_key: HashMap<MatchKey, Vec<usize>>,
    /// Unique identifiers taken by fresh rows, and by which of them.
    identities: HashMap<MatchKey, usize>,
    ids: HashSet<Id>,
}

impl Fresh {
    fn add(&mut self, id: Id, name: String, profile: Profile) {
        let i = self.rows.len();
        for k in profile.index_keys() {
            self.by_key.entry(k).or_default().push(i);
        }
        for k in profile.unique_keys() {
            self.identities.insert(k, i);
        }
        self.ids.insert(id);
        self.rows.push((id, name, profile));
    }

    /// How `profile` compares with fresh row `i`, seen as a match.
    fn view(
        &self,
        service: &Service,
        profile: &Profile,
        i: usize,
        me: &OwnerView,
        now: leadguard_domain::Timestamp,
    ) -> MatchView {
        let (id, name, other) = &self.rows[i];
        let cmp = service.matcher.compare(profile, other);
        MatchView {
            customer_id: *id,
            name: name.clone(),
            owner: Some(me.clone()),
            owned_since: Some(now),
            in_pool: false,
            created_at: now,
            score: cmp.score,
            verdict: cmp.verdict,
            reasons: cmp.reasons,
        }
    }
}

impl Service {
    /// Enters `rows` for `owner` in one transaction, each checked against the database and
    /// the rows before it. A `batch_conflict` error means a unique identifier was taken by a
    /// concurrent writer that bypassed the locks: nothing was saved; enter the rows one by one.
    ///
    /// A row that repeats a customer the owner already has (earlier in the file, or imported
    /// before) is reported as a duplicate without a `duplicate.blocked` event: that is no
    /// collision between reps, and running a file twice must not flood the owner's feed.
    pub async fn create_customers_batch(
        &self,
        owner: &User,
        rows: Vec<CustomerFields>,
    ) -> Result<Vec<RowResult>> {
        let mut tx = self.store.begin().await?;
        let (results, created) = self.enter_batch(&mut tx, owner, rows).await?;
        tx.commit().await?;
        for _ in 0..created {
            self.grew();
        }
        Ok(results)
    }

    /// [`Service::create_customers_batch`] inside the caller's transaction (which may record
    /// more, such as an import job's progress, before committing); also returns how many
    /// customers it created, for [`Service::grew`] after the commit.
    pub(crate) async fn enter_batch(
        &self,
        tx: &mut WriteTx,
        owner: &User,
        rows: Vec<CustomerFields>,
    ) -> Result<(Vec<RowResult>, usize)> {
        let prepared: Vec<std::result::Result<_, Vec<FieldError>>> = rows
            .into_iter()
            .map(|f| match self.prepare(f) {
                Ok(p) => Ok(p),
                Err(ServiceError::Invalid(errs)) => Err(errs),
                Err(e) => Err(vec![FieldError::new("", "invalid", e.to_string())]),
            })
            .collect();
        let mut query_keys = BTreeSet::new();
        for (_, p) in prepared.iter().flatten() {
            query_keys.extend(p.query_keys());
        }
        let query_keys: Vec<MatchKey> = query_keys.into_iter().collect();

        tx.lock_all_keys().await?;
        tx.lock_user(owner.id).await?;
        let policy = self.policy_for_user(&mut tx.exec(), owner).await?;
        let cap = effective_cap(owner, policy.owner_cap);
        let mut owned = tx.exec().count_owned(owner.id, cap).await?;

        // Every stored customer any row may match, fetched at once.
        let by_key = tx
            .exec()
            .candidate_ids_by_key(&query_keys, self.config.candidates_per_key)
            .await?;
        let ids: BTreeSet<Id> = by_key.values().flatten().copied().collect();
        let ids: Vec<Id> = ids.into_iter().collect();
        let mut stored: HashMap<Id, Stored> = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(900) {
            for c in tx.exec().candidates(chunk).await? {
                match serde_json::from_str::<Profile>(&c.profile) {
                    Ok(profile) => {
                        stored.insert(
                            c.id,
                            Stored {
                                candidate: c,
                                profile,
                            },
                        );
                    }
                    Err(e) => {
                        tracing::error!(customer_id = c.id, error = %e, "stored match profile is unreadable; skipping");
                    }
                }
            }
        }

        let now = self.now();
        let me = OwnerView::from(owner);
        let mut fresh = Fresh::default();
        let mut saved: Vec<(Id, CustomerFields, Profile)> = Vec::new();
        let mut out = Vec::with_capacity(prepared.len());
        for row in prepared {
            let (fields, profile) = match row {
                Ok(p) => p,
                Err(errs) => {
                    out.push(RowResult::Invalid(errs));
                    continue;
                }
            };
            let mut matches = self.batch_matches(&profile, &by_key, &stored, &fresh, &me, now);
            // An identifier the matcher did not weigh as decisive still belongs to one
            // customer only: the row is that customer.
            if !matches.iter().any(|m| m.verdict == Verdict::Duplicate)
                && let Some(&i) = profile
                    .unique_keys()
                    .iter()
                    .find_map(|k| fresh.identities.get(k))
            {
                let mut m = fresh.view(self, &profile, i, &me, now);
                m.verdict = Verdict::Duplicate;
                matches.retain(|x| x.customer_id != m.customer_id);
                matches.insert(0, m);
            }
            let (duplicates, suspected): (Vec<_>, Vec<_>) = matches
                .into_iter()
                .partition(|m| m.verdict == Verdict::Duplicate);
            if let Some(m) = duplicates.first() {
                let holder = stored
                    .get(&m.customer_id)
                    .and_then(|s| s.candidate.owner.as_ref())
                    .map(|o| o.id);
                let own = holder == Some(owner.id) || fresh.ids.contains(&m.customer_id);
                if !own {
                    self.emit_blocked(&mut tx.exec(), owner, &fields, m, holder)
                        .await?;
                }
                out.push(RowResult::Duplicate {
                    matches: duplicates,
                });
                continue;
            }
            if owned >= u64::from(cap) {
                out.push(RowResult::CapReached { cap });
                continue;
            }
            let profile_json = serde_json::to_string(&profile)
                .map_err(|e| ServiceError::Internal(e.to_string()))?;
            let id = tx
                .exec()
                .insert_customer_row(&NewCustomer {
                    fields: &fields,
                    matching: MatchData {
                        name_search: &profile.name.folded,
                        profile: &profile_json,
                        version: i64::from(leadguard_matching::profile::PROFILE_VERSION),
                        keys: &[],
                        identities: &[],
                    },
                    created_by: owner.id,
                    owner_id: Some(owner.id),
                    now,
                })
                .await?;
            self.open_cases_for_matches(
                &mut tx.exec(),
                CaseOrigin::SuspectedEntry,
                owner,
                Subject {
                    customer_id: id,
                    entered_at: now,
                    owner_id: owner.id,
                },
                &suspected,
            )
            .await?;
            owned += 1;
            fresh.add(id, fields.name.clone(), profile.clone());
            saved.push((id, fields, profile));
            out.push(RowResult::Created {
                id,
                suspected: suspected.into_iter().next(),
            });
        }

        let keys: Vec<(Vec<MatchKey>, Vec<MatchKey>)> = saved
            .iter()
            .map(|(_, _, p)| (p.index_keys(), p.unique_keys()))
            .collect();
        let parts: Vec<CustomerParts> = saved
            .iter()
            .zip(&keys)
            .map(|((id, f, _), (keys, identities))| CustomerParts {
                id: *id,
                contacts: &f.contacts,
                keys,
                identities,
            })
            .collect();
        match tx.exec().insert_customer_parts(&parts).await {
            Ok(()) => {}
            Err(leadguard_store::StoreError::IdentityTaken { .. }) => {
                return Err(ServiceError::Conflict {
                    code: "batch_conflict",
                    message: "a concurrent writer took an identifier of this batch; enter its rows one by one".into(),
                });
            }
            Err(e) => return Err(e.into()),
        }
        let audit: Vec<NewAuditEntry> = saved
            .iter()
            .map(|(id, _, _)| NewAuditEntry {
                at: now,
                customer_id: *id,
                action: AuditAction::Created,
                actor_id: owner.id,
                before_owner_id: None,
                after_owner_id: Some(owner.id),
                rule: rules::FIRST_COME,
                reason: None,
            })
            .collect();
        tx.exec().append_audit_many(&audit).await?;
        Ok((out, saved.len()))
    }

    /// A row's matches among the stored candidates and the batch's fresh rows, as
    /// [`Service::find_matches`] orders them.
    fn batch_matches(
        &self,
        profile: &Profile,
        by_key: &HashMap<MatchKey, Vec<Id>>,
        stored: &HashMap<Id, Stored>,
        fresh: &Fresh,
        me: &OwnerView,
        now: leadguard_domain::Timestamp,
    ) -> Vec<MatchView> {
        let keys = profile.query_keys();
        let mut seen_stored = HashSet::new();
        let mut seen_fresh = HashSet::new();
        let mut matches = Vec::new();
        for k in &keys {
            for id in by_key.get(k).into_iter().flatten() {
                if !seen_stored.insert(*id) {
                    continue;
                }
                let Some(s) = stored.get(id) else { continue };
                let view = self.match_view(profile, &s.candidate, &s.profile);
                if view.verdict != Verdict::Distinct {
                    matches.push(view);
                }
            }
            for &i in fresh.by_key.get(k).into_iter().flatten() {
                if !seen_fresh.insert(i) {
                    continue;
                }
                let view = fresh.view(self, profile, i, me, now);
                if view.verdict != Verdict::Distinct {
                    matches.push(view);
                }
            }
        }
        matches.sort_by(|a, b| b.verdict.cmp(&a.verdict).then(b.score.total_cmp(&a.score)));
        matches.truncate(self.config.max_matches);
        matches
    }
}
