//! Entering many customers at once: the same check and the same records as one entry in the
//! UI, for a whole batch of rows in one transaction. Either the batch commits (every row's
//! outcome holds) or nothing of it does. Imports use it (one owner, a file's rows), and so do
//! single entries on SQLite, grouped while they wait for the writer (see `entries`).
//!
//! What makes it fast is the number of statements, not the matching: the candidates of every row
//! are fetched in one statement per thousand keys, rows of the same batch are matched against
//! each other in memory, and contacts, keys, identities and audit entries are written a
//! thousand rows per statement. Each row still costs one INSERT (its id).
//!
//! On SQLite an import also uses both cores: batch N+1 is normalized and its candidates read
//! on a snapshot (a read connection) while the one writer saves batch N. The rows of batch N,
//! which that snapshot may not show, are matched in memory; if anyone else committed in the
//! meantime, batch N+1 is looked up again in its transaction (see [`WriteMark`]).

use std::collections::{BTreeSet, HashMap, HashSet};

use leadguard_domain::Id;
use leadguard_domain::Timestamp;
use leadguard_domain::audit::{AuditAction, rules};
use leadguard_domain::collision::CaseOrigin;
use leadguard_domain::customer::{CustomerFields, FieldError};
use leadguard_domain::keys::MatchKey;
use leadguard_domain::ownership::effective_cap;
use leadguard_domain::user::User;
use leadguard_matching::live::NAME_COUNT_LIMIT;
use leadguard_matching::{NameFrequency, Profile, Verdict};
use leadguard_store::{
    Candidate, CustomerParts, Exec, MatchData, NewAuditEntry, NewCustomer, WriteMark, WriteTx,
};

use crate::Service;
use crate::collisions::Subject;
use crate::customers::Found;
use crate::error::{Result, ServiceError};
use crate::views::{MatchView, OwnerView};

/// What happened to one row of a batch.
#[derive(Debug, Clone)]
pub enum RowResult {
    /// Saved, owned by the user who entered it; `suspected`: its look-alikes, closest first,
    /// and the collision cases opened for those another rep owns.
    Created {
        id: Id,
        suspected: Vec<MatchView>,
        collision_cases: Vec<Id>,
        /// Values kept unverified, or set aside in the note (see [`Service::prepare_keeping`]).
        warnings: Vec<FieldError>,
    },
    /// Not saved: the customer exists (stored before, or earlier in the batch).
    Duplicate {
        matches: Vec<MatchView>,
        warnings: Vec<FieldError>,
    },
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

/// A row saved by this batch, as later rows are matched against it in memory.
struct FreshRow {
    id: Id,
    name: String,
    profile: Profile,
    created_at: Timestamp,
    owner: OwnerView,
}

/// Rows of one batch saved so far: later rows are matched against them in memory.
#[derive(Default)]
struct Fresh {
    rows: Vec<FreshRow>,
    by_key: HashMap<MatchKey, Vec<usize>>,
    /// Unique identifiers taken by fresh rows, and by which of them.
    identities: HashMap<MatchKey, usize>,
    /// The owner of each fresh row, by customer id.
    owners: HashMap<Id, Id>,
}

impl Fresh {
    fn add(&mut self, id: Id, owner: &User, name: String, profile: Profile, created_at: Timestamp) {
        let i = self.rows.len();
        for k in profile.index_keys() {
            self.by_key.entry(k).or_default().push(i);
        }
        for k in profile.unique_keys() {
            self.identities.insert(k, i);
        }
        self.owners.insert(id, owner.id);
        self.rows.push(FreshRow {
            id,
            name,
            profile,
            created_at,
            owner: OwnerView::from(owner),
        });
    }

    fn contains(&self, id: Id) -> bool {
        self.owners.contains_key(&id)
    }

    /// Fresh rows indexed under `key`.
    fn count(&self, key: &MatchKey) -> u64 {
        self.by_key.get(key).map_or(0, |rows| rows.len() as u64)
    }

    /// How `profile` compares with fresh row `i`, seen as a match.
    fn view(
        &self,
        service: &Service,
        profile: &Profile,
        i: usize,
        freq: NameFrequency,
    ) -> MatchView {
        let row = &self.rows[i];
        let cmp = service.matcher.compare_with(profile, &row.profile, freq);
        MatchView {
            customer_id: row.id,
            name: row.name.clone(),
            owner: Some(row.owner.clone()),
            owned_since: Some(row.created_at),
            in_pool: false,
            created_at: row.created_at,
            score: cmp.score,
            verdict: cmp.verdict,
            reasons: cmp.reasons,
            partial_name: cmp.partial_name,
        }
    }
}

/// A row normalized, with its profile and the warnings about its values, or the errors of
/// its fields.
type PreparedRow = std::result::Result<(CustomerFields, Profile, Vec<FieldError>), Vec<FieldError>>;

/// Rows normalized.
type Prepared = Vec<PreparedRow>;

/// Whether entering a customer its entrant already owns sends them a `duplicate.blocked`
/// event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OwnDuplicates {
    /// A file of one's own customers, imported twice, must not flood one's feed.
    Quiet,
    /// One entry in the UI: the refusal is recorded whoever owns the customer.
    Reported,
}

/// The stored customers a batch's rows may match: candidates per key, the holders of the
/// rows' unique identifiers, and the profiles of all of them.
struct Lookup {
    by_key: HashMap<MatchKey, Vec<Id>>,
    holders: HashMap<MatchKey, Id>,
    stored: HashMap<Id, Stored>,
    /// Stored customers under each row's brand and name key (see [`NameFrequency`]).
    name_counts: HashMap<MatchKey, u64>,
}

/// A batch checked ahead on a read snapshot, while the batch before it was being saved.
pub struct BatchAhead {
    prepared: Prepared,
    lookup: Lookup,
    /// The mark of the last write transaction committed before the snapshot.
    base: WriteMark,
}

/// Where a batch checked ahead starts from: the last batch saved before the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PipelineBase {
    mark: WriteMark,
    /// The largest customer id when it was saved: names are counted up to it, so that the
    /// batch being saved meanwhile is counted once, from memory, whether the snapshot shows
    /// it or not.
    last_id: Id,
}

/// The rows of a batch, as they are or checked ahead.
pub enum BatchRows {
    Fields(Vec<CustomerFields>),
    Ahead(Box<BatchAhead>),
}

/// What an import that saves batch N while it looks up batch N+1 carries from one batch to
/// the next (SQLite, where one writer saves and readers read meanwhile).
#[derive(Default)]
pub struct BatchPipeline {
    /// The last batch saved (where the next look-ahead starts from), and its rows.
    last: Option<(PipelineBase, Fresh)>,
}

/// A batch entered in a transaction not yet committed.
pub(crate) struct EnteredBatch {
    base: Option<PipelineBase>,
    fresh: Fresh,
}

impl BatchPipeline {
    /// The transaction `batch` was entered in has committed.
    pub(crate) fn committed(&mut self, service: &Service, batch: EnteredBatch) {
        for _ in 0..batch.fresh.rows.len() {
            service.grew();
        }
        self.last = batch.base.map(|b| (b, batch.fresh));
    }

    /// Where to look the next-but-one batch up from, if the last batch was saved through
    /// this pipeline (on SQLite).
    pub fn base(&self) -> Option<PipelineBase> {
        self.last.as_ref().map(|(b, _)| *b)
    }

    /// Forget the last batch (its rows were entered some other way).
    pub fn reset(&mut self) {
        self.last = None;
    }
}

impl Service {
    /// Normalizes `rows` and finds their stored matches on a snapshot, without the writer:
    /// the first half of [`Service::create_customers_pipelined`], run while the batch before
    /// is being saved. `base`: [`BatchPipeline::base`] when this starts.
    pub async fn check_batch_ahead(
        &self,
        rows: Vec<CustomerFields>,
        base: PipelineBase,
    ) -> Result<BatchAhead> {
        let prepared = self.prepare_rows(rows);
        let mut snapshot = self.store.snapshot().await?;
        let lookup = self
            .lookup(
                &mut snapshot.exec(),
                prepared.iter().flatten().map(|(_, p, _)| p),
                Some(base.last_id),
            )
            .await?;
        Ok(BatchAhead {
            prepared,
            lookup,
            base: base.mark,
        })
    }

    /// Enters `rows` for `owner` in one transaction, each checked against the database and
    /// the rows before it. A `batch_conflict` error means a unique identifier was taken by a
    /// concurrent writer that bypassed the locks: nothing was saved; enter the rows one by one.
    ///
    /// A row that repeats a customer the owner already has (earlier in the file, or imported
    /// before) is reported as a duplicate without a `duplicate.blocked` event: that is no
    /// collision between reps, and running a file twice must not flood the owner's feed.
    ///
    /// An import looks each batch up while the one before is saved ([`BatchRows::Ahead`]).
    /// Those matches are used only if nothing but that one batch was committed since their
    /// snapshot (the write marks tell); otherwise (another rep entered a customer meanwhile,
    /// or PostgreSQL) they are looked up again inside the transaction, as for any batch.
    pub async fn create_customers_pipelined(
        &self,
        owner: &User,
        rows: BatchRows,
        pipeline: &mut BatchPipeline,
    ) -> Result<Vec<RowResult>> {
        let mut tx = self.store.begin().await?;
        let (results, entered) = self.enter_pipelined(&mut tx, owner, rows, pipeline).await?;
        tx.commit().await?;
        pipeline.committed(self, entered);
        Ok(results)
    }

    /// [`Service::create_customers_pipelined`] inside the caller's transaction, which may
    /// record more (an import job's progress) before it commits; then hand the entered batch
    /// to [`BatchPipeline::committed`].
    pub(crate) async fn enter_pipelined(
        &self,
        tx: &mut WriteTx,
        owner: &User,
        rows: BatchRows,
        pipeline: &mut BatchPipeline,
    ) -> Result<(Vec<RowResult>, EnteredBatch)> {
        let mark = tx.mark().await?;
        let last = pipeline.last.take();
        let (prepared, ahead) = match rows {
            BatchRows::Fields(fields) => (self.prepare_rows(fields), None),
            BatchRows::Ahead(a) => {
                let a = *a;
                let valid = match (&mark, &last) {
                    (Some(now), Some((saved, _))) => {
                        a.base.followed_by(&saved.mark, 1) && saved.mark.followed_by(now, 1)
                    }
                    _ => false,
                };
                let ahead = match &last {
                    Some((_, fresh)) if valid => Some((a.lookup, fresh)),
                    _ => {
                        tracing::debug!(
                            "batch checked ahead is checked again: something else was committed since"
                        );
                        None
                    }
                };
                (a.prepared, ahead)
            }
        };
        let rows = prepared.into_iter().map(|r| (owner, r)).collect();
        let (results, fresh) = self
            .enter_prepared(tx, rows, ahead, OwnDuplicates::Quiet)
            .await?;
        let base = match mark {
            Some(mark) => Some(PipelineBase {
                mark,
                last_id: tx.exec().max_customer_id().await?,
            }),
            None => None,
        };
        Ok((results, EnteredBatch { base, fresh }))
    }

    /// Enters prepared customers, each for the user it comes with, in `tx`, each checked
    /// against the database and the entries before it: the single entries grouped into one
    /// transaction (see `entries`). Every refused duplicate is reported to its owner.
    pub(crate) async fn enter_entries(
        &self,
        tx: &mut WriteTx,
        entries: Vec<(&User, CustomerFields, Profile)>,
    ) -> Result<Vec<RowResult>> {
        let rows = entries
            .into_iter()
            .map(|(user, fields, profile)| (user, Ok((fields, profile, Vec::new()))))
            .collect();
        let (results, _) = self
            .enter_prepared(tx, rows, None, OwnDuplicates::Reported)
            .await?;
        Ok(results)
    }

    /// Every row normalized, values that cannot be used set aside in its note, or the errors
    /// of its fields.
    fn prepare_rows(&self, rows: Vec<CustomerFields>) -> Prepared {
        rows.into_iter()
            .map(|f| match self.prepare_keeping(f) {
                Ok(p) => Ok(p),
                Err(ServiceError::Invalid(errs)) => Err(errs),
                Err(e) => Err(vec![FieldError::new("", "invalid", e.to_string())]),
            })
            .collect()
    }

    /// Every stored customer any of the rows may match, fetched at once.
    async fn lookup<'r>(
        &self,
        exec: &mut Exec<'_>,
        rows: impl Iterator<Item = &'r Profile>,
        counted_up_to: Option<Id>,
    ) -> Result<Lookup> {
        let mut query_keys = BTreeSet::new();
        let mut unique_keys = BTreeSet::new();
        let mut name_keys = BTreeSet::new();
        for p in rows {
            query_keys.extend(p.query_keys());
            unique_keys.extend(p.unique_keys());
            name_keys.extend(p.frequency_keys());
        }
        let name_keys: Vec<MatchKey> = name_keys.into_iter().collect();
        let query_keys: Vec<MatchKey> = query_keys.into_iter().collect();
        let unique_keys: Vec<MatchKey> = unique_keys.into_iter().collect();
        let by_key = exec
            .candidate_ids_by_key(&query_keys, self.config.candidates_per_key)
            .await?;
        // Stored holders of the rows' unique identifiers: a row holding one is that customer,
        // whatever the matcher makes of the rest (as for one entry, where the identity's
        // primary key refuses it).
        let holders = exec.identity_holders(&unique_keys).await?;
        let ids: BTreeSet<Id> = by_key
            .values()
            .flatten()
            .chain(holders.values())
            .copied()
            .collect();
        let ids: Vec<Id> = ids.into_iter().collect();
        let mut stored: HashMap<Id, Stored> = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(900) {
            for c in exec.candidates(chunk).await? {
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
        let name_counts = exec
            .key_counts_many(&name_keys, NAME_COUNT_LIMIT as i64, counted_up_to)
            .await?;
        Ok(Lookup {
            by_key,
            holders,
            stored,
            name_counts,
        })
    }

    /// Checks and saves prepared rows in `tx`, each owned by the user it comes with. `ahead`:
    /// their stored matches as found on a snapshot before `tx` began, and the rows saved since
    /// (which that snapshot may not show); used only if the caller made sure nothing else was
    /// committed meanwhile, otherwise the matches are looked up here. Returns the rows it
    /// saved, in memory.
    async fn enter_prepared(
        &self,
        tx: &mut WriteTx,
        rows: Vec<(&User, PreparedRow)>,
        ahead: Option<(Lookup, &Fresh)>,
        own_duplicates: OwnDuplicates,
    ) -> Result<(Vec<RowResult>, Fresh)> {
        tx.lock_all_keys().await?;
        let mut entrants: Vec<&User> = rows.iter().map(|(u, _)| *u).collect();
        entrants.sort_by_key(|u| u.id);
        entrants.dedup_by_key(|u| u.id);
        // Per entrant: their cap and how many customers they own, counted as rows are saved.
        // (Entrants of one team share its policy: read once.)
        let mut owned: HashMap<Id, (u32, u64)> = HashMap::with_capacity(entrants.len());
        let mut policies = HashMap::new();
        for user in entrants {
            tx.lock_user(user.id).await?;
            let policy = match policies.get(&user.team) {
                Some(p) => p,
                None => {
                    let p = self.policy_for_user(&mut tx.exec(), user).await?;
                    policies.entry(user.team.clone()).or_insert(p)
                }
            };
            let cap = effective_cap(user, policy.owner_cap);
            let count = tx.exec().count_owned(user.id, cap).await?;
            owned.insert(user.id, (cap, count));
        }
        let no_earlier = Fresh::default();
        let (lookup, earlier) = match ahead {
            Some((lookup, earlier)) => (lookup, earlier),
            None => {
                let profiles = rows
                    .iter()
                    .filter_map(|(_, r)| r.as_ref().ok().map(|(_, p, _)| p));
                (
                    self.lookup(&mut tx.exec(), profiles, None).await?,
                    &no_earlier,
                )
            }
        };
        let Lookup {
            by_key,
            holders,
            stored,
            name_counts,
        } = lookup;

        let now = self.now();
        let mut fresh = Fresh::default();
        let mut saved: Vec<(Id, &User, CustomerFields, Profile)> = Vec::new();
        let mut out = Vec::with_capacity(rows.len());
        for (entrant, row) in rows {
            let (fields, profile, warnings) = match row {
                Ok(p) => p,
                Err(errs) => {
                    out.push(RowResult::Invalid(errs));
                    continue;
                }
            };
            // Stored when looked up, and saved since by this import: the same counts whatever
            // the batches and however far ahead they were looked up.
            let freq = NameFrequency::of(&profile, |k| {
                let stored = name_counts.get(k).copied().unwrap_or(0);
                let fresh = earlier.count(k) + fresh.count(k);
                Some((stored + fresh).min(NAME_COUNT_LIMIT))
            });
            let mut matches =
                self.batch_matches(&profile, &by_key, &stored, [earlier, &fresh], freq);
            // An identifier the matcher did not weigh as decisive still belongs to one
            // customer only: the row is that customer.
            if !matches.iter().any(|m| m.verdict == Verdict::Duplicate) {
                let unique = profile.unique_keys();
                let holder = unique
                    .iter()
                    .find_map(|k| holders.get(k).and_then(|id| stored.get(id)))
                    .map(|s| self.match_view(&profile, &s.candidate, &s.profile, freq))
                    .or_else(|| {
                        [earlier, &fresh].into_iter().find_map(|f| {
                            unique
                                .iter()
                                .find_map(|k| f.identities.get(k))
                                .map(|&i| f.view(self, &profile, i, freq))
                        })
                    });
                if let Some(mut m) = holder {
                    m.verdict = Verdict::Duplicate;
                    matches.retain(|x| x.customer_id != m.customer_id);
                    matches.insert(0, m);
                }
            }
            let (duplicates, suspected): (Vec<_>, Vec<_>) = matches
                .into_iter()
                .partition(|m| m.verdict == Verdict::Duplicate);
            if let Some(m) = duplicates.first() {
                let holder = match stored.get(&m.customer_id) {
                    Some(s) => s.candidate.owner.as_ref().map(|o| o.id),
                    None => [earlier, &fresh]
                        .into_iter()
                        .find_map(|f| f.owners.get(&m.customer_id).copied()),
                };
                if own_duplicates == OwnDuplicates::Reported || holder != Some(entrant.id) {
                    self.emit_blocked(&mut tx.exec(), entrant, &fields, m, holder)
                        .await?;
                }
                out.push(RowResult::Duplicate {
                    matches: duplicates,
                    warnings,
                });
                continue;
            }
            let (cap, count) = owned.entry(entrant.id).or_insert((0, 0));
            if *count >= u64::from(*cap) {
                out.push(RowResult::CapReached { cap: *cap });
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
                    created_by: entrant.id,
                    owner_id: Some(entrant.id),
                    now,
                })
                .await?;
            let collision_cases = self
                .open_cases_for_matches(
                    &mut tx.exec(),
                    CaseOrigin::SuspectedEntry,
                    entrant,
                    Subject {
                        customer_id: id,
                        entered_at: now,
                        owner_id: entrant.id,
                    },
                    &suspected,
                )
                .await?;
            *count += 1;
            fresh.add(id, entrant, fields.name.clone(), profile.clone(), now);
            saved.push((id, entrant, fields, profile));
            out.push(RowResult::Created {
                id,
                suspected,
                collision_cases,
                warnings,
            });
        }

        let keys: Vec<(Vec<MatchKey>, Vec<MatchKey>)> = saved
            .iter()
            .map(|(_, _, _, p)| (p.index_keys(), p.unique_keys()))
            .collect();
        let parts: Vec<CustomerParts> = saved
            .iter()
            .zip(&keys)
            .map(|((id, _, f, _), (keys, identities))| CustomerParts {
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
            .map(|(id, entrant, _, _)| NewAuditEntry {
                at: now,
                customer_id: *id,
                action: AuditAction::Created,
                actor_id: entrant.id,
                before_owner_id: None,
                after_owner_id: Some(entrant.id),
                rule: rules::FIRST_COME,
                reason: None,
            })
            .collect();
        tx.exec().append_audit_many(&audit).await?;
        Ok((out, fresh))
    }

    /// A row's matches among the stored candidates and the rows saved by this batch but not
    /// in `stored` (this batch's, and the batch before it when `stored` was looked up ahead),
    /// as [`Service::find_matches`] orders them.
    fn batch_matches(
        &self,
        profile: &Profile,
        by_key: &HashMap<MatchKey, Vec<Id>>,
        stored: &HashMap<Id, Stored>,
        fresh: [&Fresh; 2],
        freq: NameFrequency,
    ) -> Vec<MatchView> {
        // The candidates first (stored, then this batch's rows), so that the brand's count
        // among them weighs every comparison.
        //
        // Under each key the store gives its first `per_key` customers by id; the rows saved
        // since (all of them newer) count on from there, up to the same bound. So a row meets
        // the same candidates whether the rows before it were looked up from the store or are
        // still in memory: an import killed and run again ends where an uninterrupted one does.
        let per_key = usize::try_from(self.config.candidates_per_key.max(1)).unwrap_or(usize::MAX);
        let mut seen = HashSet::new();
        let mut from_store: Vec<&Stored> = Vec::new();
        let mut from_batch: Vec<(&Fresh, usize)> = Vec::new();
        for k in &profile.query_keys() {
            let stored_ids = by_key.get(k).map(Vec::as_slice).unwrap_or_default();
            for id in stored_ids {
                // A snapshot taken after the batch before was saved shows its rows too: they
                // are compared as they are in memory, below.
                if fresh.iter().any(|f| f.contains(*id)) {
                    continue;
                }
                if seen.insert(*id) {
                    from_store.extend(stored.get(id));
                }
            }
            let mut taken = stored_ids.len();
            for f in fresh {
                for &i in f.by_key.get(k).into_iter().flatten() {
                    let id = f.rows[i].id;
                    if !stored_ids.contains(&id) {
                        if taken >= per_key {
                            break;
                        }
                        taken += 1;
                    }
                    if seen.insert(id) {
                        from_batch.push((f, i));
                    }
                }
            }
        }
        let freq = freq.with_cores(
            profile,
            from_store
                .iter()
                .map(|s| &s.profile)
                .chain(from_batch.iter().map(|(f, i)| &f.rows[*i].profile)),
        );
        let matches = from_store
            .iter()
            .map(|s| self.match_view(profile, &s.candidate, &s.profile, freq))
            .chain(
                from_batch
                    .iter()
                    .map(|(f, i)| f.view(self, profile, *i, freq)),
            )
            .filter(|m| m.verdict != Verdict::Distinct)
            .collect();
        Found::ranked(matches, self.config.max_matches, true).matches
    }
}
