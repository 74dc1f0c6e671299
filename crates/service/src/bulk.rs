//! Entering many customers at once: the same check and the same records as one entry in the
//! UI, for a whole batch of rows in one transaction. Either the batch commits (every row's
//! outcome holds) or nothing of it does. Imports use it (one owner, a file's rows), and so do
//! single entries on SQLite, grouped while they wait for the writer (see `entries`).
//!
//! What makes it fast is the number of statements, not the matching: the candidates of every row
//! are fetched in one statement per thousand keys, rows of the same batch are matched against
//! each other in memory, and customers (under ids reserved a block at a time), contacts, keys,
//! identities, audit entries, collision cases and events are written hundreds of rows per
//! statement.
//!
//! On SQLite an import also uses both cores: batch N+1 is normalized and its candidates read
//! on a snapshot (a read connection) while the one writer saves batch N. The rows of batch N,
//! which that snapshot may not show, are matched in memory; if anyone else committed in the
//! meantime, batch N+1 is looked up again in its transaction (see [`WriteMark`]).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use leadguard_domain::Id;
use leadguard_domain::Timestamp;
use leadguard_domain::audit::{AuditAction, rules};
use leadguard_domain::collision::{CaseOrigin, PairSecond};
use leadguard_domain::customer::{CustomerFields, FieldError};
use leadguard_domain::keys::MatchKey;
use leadguard_domain::merge::describe_added;
use leadguard_domain::ownership::effective_cap;
use leadguard_domain::pool::PoolPolicy;
use leadguard_domain::user::User;
use leadguard_matching::live::NAME_COUNT_LIMIT;
use leadguard_matching::{NameFrequency, Profile, Verdict};
use leadguard_store::{
    Candidate, CustomerParts, Exec, MatchData, NewAuditEntry, NewCustomer, WriteMark, WriteTx,
};

use crate::Service;
use crate::collisions::{CaseBatch, OpenCase, Opened, Parties, Subject};
use crate::customers::Found;
use crate::customers::duplicate_blocked;
use crate::error::{Result, ServiceError};
use crate::events::EventBatch;
use crate::evidence::{Gained, GainedEntry, brings_evidence};
use crate::views::{MatchView, OwnerView};

/// What happened to one row of a batch.
#[derive(Debug, Clone)]
pub enum RowResult {
    /// Saved, owned as its plan says; `suspected`: its look-alikes, closest first,
    /// and the collision cases opened for those another rep owns.
    Created {
        id: Id,
        /// Its owner's username (`None`: in the pool).
        owner: Option<String>,
        suspected: Vec<MatchView>,
        collision_cases: Vec<Id>,
        /// Values kept unverified, or set aside in the note (see [`Service::prepare_keeping`]).
        warnings: Vec<FieldError>,
    },
    /// Not saved: the customer exists (stored before, or earlier in the batch).
    Duplicate {
        matches: Vec<MatchView>,
        warnings: Vec<FieldError>,
        /// What the row brought that the customer lacked, now kept on it ("电话 …；邮箱 …"),
        /// for rows of a file.
        added: Option<String>,
        /// Collision cases opened because the file gave the customer to another rep (a
        /// migration).
        collision_cases: Vec<Id>,
    },
    /// Not saved: the row's fields are invalid.
    Invalid(Vec<FieldError>),
    /// Not saved: the owner has as many customers as they may.
    CapReached { username: String, cap: u32 },
}

/// Who owns a row's customer once it is saved.
#[derive(Debug, Clone, Copy)]
pub enum Placement<'u> {
    /// This rep, within their cap unless the row's plan ignores it.
    Owner(&'u User),
    /// The public pool (公海).
    Pool,
    /// The assignment rules decide, as for an inbound lead (the pool when none applies).
    Assign,
}

/// How one row of a batch is entered.
#[derive(Debug, Clone, Copy)]
pub struct RowPlan<'u> {
    /// Who enters it: its creator, and the actor of its audit entries.
    pub entrant: &'u User,
    pub placement: Placement<'u>,
    /// When the system it comes from entered it (a migration): its created-at and
    /// owned-since, the first-come evidence. `None`: now.
    pub entered_at: Option<Timestamp>,
    /// The file names its owner (a migration): a row that duplicates another rep's customer
    /// opens a collision case with both sides' evidence.
    pub claimed: bool,
    /// Saved even if its owner owns as many customers as they may (an admin's migration).
    pub ignore_cap: bool,
}

impl<'u> RowPlan<'u> {
    /// Entered by `user`, who owns it from now on: one entry, or a file of one's own.
    pub fn owned_by(user: &'u User) -> RowPlan<'u> {
        RowPlan {
            entrant: user,
            placement: Placement::Owner(user),
            entered_at: None,
            claimed: false,
            ignore_cap: false,
        }
    }

    fn owner_id(&self) -> Option<Id> {
        match self.placement {
            Placement::Owner(u) => Some(u.id),
            Placement::Pool | Placement::Assign => None,
        }
    }
}

/// A rep a batch gives customers to: their cap, how many they own (counted on as rows are
/// saved), and the days a customer of theirs may go unattended before recycling.
struct CapSlot {
    cap: u32,
    count: u64,
    recycle_window: Option<u32>,
}

/// The reps of a batch, each read once (reps of one team share its policy).
#[derive(Default)]
struct Caps {
    slots: HashMap<Id, CapSlot>,
    policies: HashMap<Option<String>, PoolPolicy>,
}

/// A stored customer that some row of the batch may match, its profile read once.
struct Stored {
    candidate: Candidate,
    profile: Profile,
}

/// A customer this batch saved, or gave a duplicate row's evidence: later rows are matched
/// against it in memory, as it is now.
struct FreshRow {
    id: Id,
    name: String,
    profile: Profile,
    created_at: Timestamp,
    owner_id: Option<Id>,
    owner: Option<OwnerView>,
    owned_since: Option<Timestamp>,
    /// Saved by this batch (not a stored customer that gained evidence): counted among the
    /// customers that share a name.
    created: bool,
    /// Its profile's keys, made once.
    keys: RowKeys,
}

/// A profile's index keys and unique keys.
struct RowKeys {
    index: Vec<MatchKey>,
    unique: Vec<MatchKey>,
}

impl RowKeys {
    fn of(profile: &Profile) -> RowKeys {
        RowKeys {
            index: profile.index_keys(),
            unique: profile.unique_keys(),
        }
    }
}

/// Customers of one batch, saved or changed so far: later rows are matched against them in
/// memory.
#[derive(Default)]
struct Fresh {
    rows: Vec<FreshRow>,
    by_key: HashMap<MatchKey, Vec<usize>>,
    /// Unique identifiers held by fresh rows, and by which of them.
    identities: HashMap<MatchKey, usize>,
    /// Each fresh row, by customer id.
    index: HashMap<Id, usize>,
}

impl Fresh {
    /// A customer saved by this batch, owned by `owner` (`None`: in the pool).
    fn created(
        &mut self,
        id: Id,
        owner: Option<&User>,
        name: String,
        profile: Profile,
        at: Timestamp,
    ) {
        self.put(FreshRow {
            id,
            name,
            keys: RowKeys::of(&profile),
            profile,
            created_at: at,
            owner_id: owner.map(|u| u.id),
            owner: owner.map(OwnerView::from),
            owned_since: owner.map(|_| at),
            created: true,
        });
    }

    /// Adds a row, or replaces the profile of one already here (it only gained keys).
    fn put(&mut self, row: FreshRow) {
        let i = match self.index.get(&row.id) {
            Some(&i) => {
                let old: HashSet<&MatchKey> = self.rows[i].keys.index.iter().collect();
                for k in &row.keys.index {
                    if !old.contains(k) {
                        self.by_key.entry(k.clone()).or_default().push(i);
                    }
                }
                let created = self.rows[i].created;
                self.rows[i] = FreshRow { created, ..row };
                i
            }
            None => {
                let i = self.rows.len();
                for k in &row.keys.index {
                    self.by_key.entry(k.clone()).or_default().push(i);
                }
                self.index.insert(row.id, i);
                self.rows.push(row);
                i
            }
        };
        for k in &self.rows[i].keys.unique {
            self.identities.insert(k.clone(), i);
        }
    }

    fn contains(&self, id: Id) -> bool {
        self.index.contains_key(&id)
    }

    fn get(&self, id: Id) -> Option<&FreshRow> {
        self.index.get(&id).map(|&i| &self.rows[i])
    }

    /// Customers saved by this batch indexed under `key`.
    fn count(&self, key: &MatchKey) -> u64 {
        self.by_key.get(key).map_or(0, |rows| {
            rows.iter().filter(|&&i| self.rows[i].created).count() as u64
        })
    }

    /// Customers saved by this batch.
    fn created_count(&self) -> usize {
        self.rows.iter().filter(|r| r.created).count()
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
            owner: row.owner.clone(),
            owned_since: row.owned_since,
            in_pool: row.owner.is_none(),
            created_at: row.created_at,
            score: cmp.score,
            verdict: cmp.verdict,
            reasons: cmp.reasons,
            partial_name: cmp.partial_name,
        }
    }
}

/// The index keys and unique keys a customer has in the store.
type StoredKeys = (Vec<MatchKey>, Vec<MatchKey>);

/// A row saved by this batch, until its parts and audit entry are written.
struct SavedRow {
    id: Id,
    entrant: Id,
    owner: Option<Id>,
    /// Its entry time (now, or the original one of a migrated row).
    at: Timestamp,
    /// The original entry time of a migrated row.
    entered_at: Option<Timestamp>,
    /// Not recycled before then.
    protected_until: Option<Timestamp>,
    rule: &'static str,
    /// Migrated: its audit entry says so.
    imported: bool,
    fields: CustomerFields,
    profile: Profile,
}

/// Customer ids reserved at a time: the rows saved meanwhile are inserted in one statement.
const ID_BLOCK: usize = 200;

/// The reason on a migrated customer's first audit entry.
const IMPORTED: &str =
    "迁移导入，录入时间为原系统中的时间 / imported; entered at its time in the previous system";

/// A collision case's reason when a migration file gives a customer to another rep.
fn migration_claim(claimant: &User, entered_at: Option<Timestamp>) -> String {
    let when = entered_at
        .map(|t| {
            let t = t
                .with_timezone(&leadguard_tabular::time::china())
                .format("%Y-%m-%d %H:%M");
            format!("，原系统录入时间 {t} / entered {t}")
        })
        .unwrap_or_default();
    format!(
        "迁移导入：原系统中该客户也属于 {}{when} / migration: the previous CRM gave this customer to {} too",
        claimant.display_name, claimant.username
    )
}

/// A row normalized, with its profile and the warnings about its values, or the errors of
/// its fields.
type PreparedRow = std::result::Result<(CustomerFields, Profile, Vec<FieldError>), Vec<FieldError>>;

/// Rows normalized.
type Prepared = Vec<PreparedRow>;

/// Where the rows come from, which decides what a duplicate row leaves behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entering {
    /// Rows of a file. Entering a customer one already owns sends no `duplicate.blocked`
    /// event (a file imported twice must not flood one's feed), and the phones, e-mails and
    /// contacts a duplicate row brings are kept on the customer it duplicates: otherwise they
    /// would be lost, and the next entry of that company would not meet them.
    File,
    /// One entry in the UI: the refusal is recorded whoever owns the customer, and the rep,
    /// told it exists, decides what to do with what they typed.
    Interactive,
}

/// The stored customers a batch's rows may match: candidates per key, the holders of the
/// rows' unique identifiers, and the profiles of all of them.
struct Lookup {
    by_key: HashMap<MatchKey, Vec<Id>>,
    holders: HashMap<MatchKey, Id>,
    stored: HashMap<Id, Stored>,
    /// Stored customers under each row's brand and name key (see [`NameFrequency`]).
    name_counts: HashMap<MatchKey, u64>,
    /// The fields of the stored customers a row may bring evidence to (rows of a file): read
    /// with the look-up, not one by one as the rows are entered.
    fields: HashMap<Id, CustomerFields>,
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

impl BatchRows {
    pub fn len(&self) -> usize {
        match self {
            BatchRows::Fields(f) => f.len(),
            BatchRows::Ahead(a) => a.prepared.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
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
        for _ in 0..batch.fresh.created_count() {
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
                Entering::File,
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
        let plans = vec![RowPlan::owned_by(owner); rows.len()];
        self.enter_planned(&plans, rows, pipeline).await
    }

    /// [`Service::create_customers_pipelined`], each row entered as its plan says (a
    /// migration: its owner, the pool or the assignment rules, and its original entry time).
    /// `plans` and `rows` are as many.
    pub async fn enter_planned(
        &self,
        plans: &[RowPlan<'_>],
        rows: BatchRows,
        pipeline: &mut BatchPipeline,
    ) -> Result<Vec<RowResult>> {
        let mut tx = self.store.begin().await?;
        let (results, entered) = self.enter_pipelined(&mut tx, plans, rows, pipeline).await?;
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
        plans: &[RowPlan<'_>],
        rows: BatchRows,
        pipeline: &mut BatchPipeline,
    ) -> Result<(Vec<RowResult>, EnteredBatch)> {
        if plans.len() != rows.len() {
            return Err(ServiceError::Internal(format!(
                "{} plans for {} rows",
                plans.len(),
                rows.len()
            )));
        }
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
        let rows = plans.iter().copied().zip(prepared).collect();
        let (results, fresh) = self.enter_prepared(tx, rows, ahead, Entering::File).await?;
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
            .map(|(user, fields, profile)| {
                (RowPlan::owned_by(user), Ok((fields, profile, Vec::new())))
            })
            .collect();
        let (results, _) = self
            .enter_prepared(tx, rows, None, Entering::Interactive)
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

    /// `user`'s cap slot in this batch, read (and their row locked) the first time.
    async fn cap_slot<'c>(
        &self,
        tx: &mut WriteTx,
        caps: &'c mut Caps,
        user: &User,
    ) -> Result<&'c mut CapSlot> {
        if !caps.slots.contains_key(&user.id) {
            tx.lock_user(user.id).await?;
            let policy = match caps.policies.get(&user.team) {
                Some(p) => *p,
                None => {
                    let p = self.policy_for_user(&mut tx.exec(), user).await?;
                    caps.policies.insert(user.team.clone(), p);
                    p
                }
            };
            let cap = effective_cap(user, policy.owner_cap);
            let count = tx.exec().count_owned(user.id, cap).await?;
            let recycle_window = [policy.recycle_no_followup_days, policy.recycle_no_deal_days]
                .into_iter()
                .filter(|d| *d > 0)
                .min();
            caps.slots.insert(
                user.id,
                CapSlot {
                    cap,
                    count,
                    recycle_window,
                },
            );
        }
        caps.slots
            .get_mut(&user.id)
            .ok_or_else(|| ServiceError::Internal("cap slot vanished".into()))
    }

    /// Every stored customer any of the rows may match, fetched at once.
    async fn lookup<'r>(
        &self,
        exec: &mut Exec<'_>,
        rows: impl Iterator<Item = &'r Profile>,
        counted_up_to: Option<Id>,
        entering: Entering,
    ) -> Result<Lookup> {
        let rows: Vec<&Profile> = rows.collect();
        let mut query_keys = BTreeSet::new();
        let mut unique_keys = BTreeSet::new();
        let mut name_keys = BTreeSet::new();
        for p in &rows {
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
        let fields = match entering {
            Entering::File => {
                let ids = self.may_gain(&rows, &by_key, &holders, &stored);
                exec.customers_by_ids(&ids)
                    .await?
                    .into_iter()
                    .map(|(id, c)| (id, c.fields))
                    .collect()
            }
            Entering::Interactive => HashMap::new(),
        };
        Ok(Lookup {
            by_key,
            holders,
            stored,
            name_counts,
            fields,
        })
    }

    /// The stored customers that some row seems to duplicate and brings evidence to: whose
    /// fields to read with the look-up. (A guess: the row's verdict in the batch, against the
    /// names counted, decides; a customer missed here is read when its row is entered.)
    fn may_gain(
        &self,
        rows: &[&Profile],
        by_key: &HashMap<MatchKey, Vec<Id>>,
        holders: &HashMap<MatchKey, Id>,
        stored: &HashMap<Id, Stored>,
    ) -> Vec<Id> {
        let mut ids = BTreeSet::new();
        for row in rows {
            let held = row
                .unique_keys()
                .into_iter()
                .filter_map(|k| holders.get(&k));
            for id in held {
                if stored
                    .get(id)
                    .is_some_and(|s| brings_evidence(&s.profile, row))
                {
                    ids.insert(*id);
                }
            }
            for k in row.query_keys() {
                for id in by_key.get(&k).into_iter().flatten() {
                    if ids.contains(id) {
                        continue;
                    }
                    let Some(s) = stored.get(id) else { continue };
                    if brings_evidence(&s.profile, row)
                        && self.matcher.compare(row, &s.profile).verdict == Verdict::Duplicate
                    {
                        ids.insert(*id);
                    }
                }
            }
        }
        ids.into_iter().collect()
    }

    /// Checks and saves prepared rows in `tx`, each owned by the user it comes with. `ahead`:
    /// their stored matches as found on a snapshot before `tx` began, and the rows saved since
    /// (which that snapshot may not show); used only if the caller made sure nothing else was
    /// committed meanwhile, otherwise the matches are looked up here. Returns the rows it
    /// saved, in memory.
    async fn enter_prepared(
        &self,
        tx: &mut WriteTx,
        rows: Vec<(RowPlan<'_>, PreparedRow)>,
        ahead: Option<(Lookup, &Fresh)>,
        entering: Entering,
    ) -> Result<(Vec<RowResult>, Fresh)> {
        tx.lock_all_keys().await?;
        let mut owners: Vec<&User> = rows
            .iter()
            .filter_map(|(p, _)| match p.placement {
                Placement::Owner(u) => Some(u),
                Placement::Pool | Placement::Assign => None,
            })
            .collect();
        owners.sort_by_key(|u| u.id);
        owners.dedup_by_key(|u| u.id);
        // Every owner's cap, read (and their row locked) in the order of their ids.
        let mut caps = Caps::default();
        for user in owners {
            self.cap_slot(tx, &mut caps, user).await?;
        }
        if rows
            .iter()
            .any(|(p, _)| matches!(p.placement, Placement::Assign))
        {
            tx.lock_keys(&[crate::assignment::assignment_lock()])
                .await?;
        }
        let no_earlier = Fresh::default();
        let (lookup, earlier) = match ahead {
            Some((lookup, earlier)) => (lookup, earlier),
            None => {
                let profiles = rows
                    .iter()
                    .filter_map(|(_, r)| r.as_ref().ok().map(|(_, p, _)| p));
                (
                    self.lookup(&mut tx.exec(), profiles, None, entering)
                        .await?,
                    &no_earlier,
                )
            }
        };
        let Lookup {
            by_key,
            holders,
            stored,
            name_counts,
            fields: stored_fields,
        } = lookup;

        let now = self.now();
        let mut fresh = Fresh::default();
        let mut saved: Vec<SavedRow> = Vec::new();
        // Customers that gained a duplicate row's evidence: their fields now, and the audit
        // entries that say what came from whom.
        let mut gained: BTreeMap<Id, (CustomerFields, Option<StoredKeys>)> = BTreeMap::new();
        let mut gained_audit: Vec<GainedEntry> = Vec::new();
        // The batch's collision cases and events, written at its end.
        let mut cases = CaseBatch::default();
        let mut events = EventBatch::default();
        let mut out = Vec::with_capacity(rows.len());
        // Ids for the rows saved, drawn a block at a time; the rows are inserted a block at a
        // time too, up to `inserted`.
        let mut ids: VecDeque<Id> = VecDeque::new();
        let mut inserted = 0;
        let mut rows_left = rows.iter().filter(|(_, r)| r.is_ok()).count();
        for (plan, row) in rows {
            let entrant = plan.entrant;
            let (fields, profile, warnings) = match row {
                Ok(p) => p,
                Err(errs) => {
                    out.push(RowResult::Invalid(errs));
                    continue;
                }
            };
            rows_left -= 1;
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
                        [&fresh, earlier].into_iter().find_map(|f| {
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
                    None => [&fresh, earlier]
                        .into_iter()
                        .find_map(|f| f.get(m.customer_id))
                        .and_then(|r| r.owner_id),
                };
                // A file's own customers, met again, are no news to anyone; a pool customer
                // met by a file that leaves its rows to the pool or the rules neither.
                let expected = plan.owner_id();
                let news = match entering {
                    Entering::Interactive => true,
                    Entering::File => {
                        holder != expected && (holder.is_some() || expected.is_some())
                    }
                };
                if news {
                    events.push(duplicate_blocked(entrant, &fields, m, holder));
                }
                if plan.claimed
                    && let (Some(holder), Placement::Owner(claimant)) = (holder, plan.placement)
                    && holder != claimant.id
                {
                    let reason = migration_claim(claimant, plan.entered_at);
                    let owner = m.owner.as_ref();
                    let team_id = cases
                        .common_team(&mut tx.exec(), holder, claimant.id)
                        .await?;
                    cases.push(
                        OpenCase {
                            origin: CaseOrigin::Migration,
                            first_customer: m.customer_id,
                            second: PairSecond::Appellant {
                                appellant: claimant.id,
                                owner: holder,
                            },
                            first_user: holder,
                            second_user: claimant.id,
                            opened_by: entrant.id,
                            entered: Some(&fields),
                            matched: Some(m),
                            reason: Some(&reason),
                            known: Some(Parties {
                                name: &m.name,
                                first: owner.map(|o| o.username.as_str()),
                                second: Some(&claimant.username),
                                team_id,
                            }),
                        },
                        out.len(),
                    )?;
                }
                let mut added = None;
                if entering == Entering::File {
                    let id = m.customer_id;
                    let current = fresh
                        .get(id)
                        .or_else(|| earlier.get(id))
                        .map(|r| &r.profile)
                        .or_else(|| stored.get(&id).map(|s| &s.profile));
                    if current.is_some_and(|c| brings_evidence(c, &profile)) {
                        // Saved before this batch: its keys as stored, to write only new ones.
                        let had = current.map(|c| (c.index_keys(), c.unique_keys()));
                        let saved_here = saved.iter().position(|s| s.id == id);
                        let before = match (gained.get(&id), saved_here) {
                            (Some((f, _)), _) => f.clone(),
                            (None, Some(i)) => saved[i].fields.clone(),
                            // Read with the look-up, unless the batch before changed it since.
                            (None, None) => match stored_fields.get(&id) {
                                Some(f) if !earlier.contains(id) => f.clone(),
                                _ => match tx.exec().get_customer(id).await? {
                                    Some(c) => c.fields,
                                    None => CustomerFields::default(),
                                },
                            },
                        };
                        let held = |k: &MatchKey| {
                            holders.contains_key(k)
                                || fresh.identities.contains_key(k)
                                || earlier.identities.contains_key(k)
                        };
                        if !before.name.is_empty()
                            && let Some(after) = self.absorb(&before, &fields, held)
                        {
                            let profile = self.matcher.profile_lenient(&after).0;
                            // Saved by this batch: its parts are written with the batch.
                            if let Some(i) = saved_here {
                                saved[i].fields = after.clone();
                                saved[i].profile = profile.clone();
                            }
                            fresh.put(FreshRow {
                                id,
                                name: after.name.clone(),
                                keys: RowKeys::of(&profile),
                                profile,
                                created_at: m.created_at,
                                owner_id: holder,
                                owner: m.owner.clone(),
                                owned_since: m.owned_since,
                                created: false,
                            });
                            let what = describe_added(&before, &after);
                            gained_audit.push((id, entrant.id, holder, what.clone()));
                            let had = match gained.remove(&id) {
                                Some((_, had)) => had,
                                None if saved_here.is_some() => None,
                                None => had,
                            };
                            gained.insert(id, (after, had));
                            added = Some(what);
                        }
                    }
                }
                out.push(RowResult::Duplicate {
                    matches: duplicates,
                    warnings,
                    added,
                    collision_cases: Vec::new(),
                });
                continue;
            }
            let at = plan.entered_at.unwrap_or(now);
            // The owner: as planned, or as the rules decide for this row.
            let mut decision = None;
            let mut decided_owner = None;
            if let Placement::Assign = plan.placement {
                let lead = crate::assignment::lead_facts(&fields);
                let decided = self.decide(&mut tx.exec(), &lead).await?;
                decided_owner = decided.owner.clone();
                decision = Some((decided, lead));
            }
            let owner: Option<&User> = match plan.placement {
                Placement::Owner(u) => Some(u),
                Placement::Pool => None,
                Placement::Assign => decided_owner.as_ref(),
            };
            let mut protected_until = None;
            if let Some(u) = owner {
                let slot = self.cap_slot(tx, &mut caps, u).await?;
                // The rules pass over reps at their cap themselves.
                if slot.count >= u64::from(slot.cap)
                    && !plan.ignore_cap
                    && matches!(plan.placement, Placement::Owner(_))
                {
                    out.push(RowResult::CapReached {
                        username: u.username.clone(),
                        cap: slot.cap,
                    });
                    continue;
                }
                slot.count += 1;
                // However old its owned-since, a migrated customer's owner gets the whole
                // window a new customer would have before recycling may take it.
                if at < now {
                    protected_until = slot
                        .recycle_window
                        .map(|days| now + chrono::Duration::days(i64::from(days)));
                }
            }
            let owner_id = owner.map(|u| u.id);
            let id = match ids.pop_front() {
                Some(id) => id,
                None => {
                    // Ids are drawn from the table as it is: the rows drawn for go in first.
                    self.insert_saved(tx, &saved[inserted..], now).await?;
                    inserted = saved.len();
                    let left = rows_left.clamp(1, ID_BLOCK);
                    ids = tx.exec().reserve_customer_ids(left).await?.into();
                    ids.pop_front().ok_or_else(|| {
                        ServiceError::Internal("no customer id was reserved".into())
                    })?
                }
            };
            if let Some(owner_id) = owner_id {
                let subject = Subject {
                    customer_id: id,
                    name: &fields.name,
                    entered_at: at,
                    owner_id,
                };
                cases
                    .push_for_matches(
                        &mut tx.exec(),
                        CaseOrigin::SuspectedEntry,
                        entrant,
                        &subject,
                        &suspected,
                        out.len(),
                    )
                    .await?;
            }
            let rule = match (&decision, owner_id) {
                (Some(_), Some(_)) => crate::assignment::ASSIGNMENT_RULE,
                (None, Some(_)) => rules::FIRST_COME,
                (_, None) => rules::POOL_INTAKE,
            };
            fresh.created(id, owner, fields.name.clone(), profile.clone(), at);
            let name = fields.name.clone();
            saved.push(SavedRow {
                id,
                entrant: entrant.id,
                owner: owner_id,
                at,
                entered_at: plan.entered_at,
                protected_until,
                rule,
                imported: plan.entered_at.is_some() || plan.claimed,
                fields,
                profile,
            });
            if let Some((decided, lead)) = &decision {
                // The decision names the customer: its row goes in first.
                self.insert_saved(tx, &saved[inserted..], now).await?;
                inserted = saved.len();
                let outcome = if owner_id.is_some() {
                    "assigned"
                } else {
                    "pool"
                };
                self.record_decision(
                    &mut tx.exec(),
                    entrant,
                    decided,
                    id,
                    &name,
                    outcome,
                    lead,
                    now,
                )
                .await?;
            }
            out.push(RowResult::Created {
                id,
                owner: owner.map(|u| u.username.clone()),
                suspected,
                collision_cases: Vec::new(),
                warnings,
            });
        }

        self.insert_saved(tx, &saved[inserted..], now).await?;
        let parts: Vec<CustomerParts> = saved
            .iter()
            .filter_map(|s| {
                fresh.get(s.id).map(|r| CustomerParts {
                    id: s.id,
                    contacts: &s.fields.contacts,
                    keys: &r.keys.index,
                    identities: &r.keys.unique,
                })
            })
            .collect();
        tx.exec()
            .insert_customer_parts(&parts)
            .await
            .map_err(batch_conflict)?;
        // A migrated customer's entry is dated when the system it comes from saw it entered.
        let audit: Vec<NewAuditEntry> = saved
            .iter()
            .map(|s| NewAuditEntry {
                at: s.at,
                customer_id: s.id,
                action: AuditAction::Created,
                actor_id: s.entrant,
                before_owner_id: None,
                after_owner_id: s.owner,
                rule: s.rule,
                reason: s.imported.then_some(IMPORTED),
            })
            .collect();
        tx.exec().append_audit_many(&audit).await?;
        let gained: Vec<Gained> = gained
            .iter()
            .filter_map(|(id, (fields, had))| {
                fresh.get(*id).map(|r| Gained {
                    id: *id,
                    fields,
                    profile: &r.profile,
                    before: had.as_ref().map(|(k, i)| (k.as_slice(), i.as_slice())),
                })
            })
            .collect();
        self.save_gained(tx, &gained, &gained_audit, now).await?;
        for (row, opened) in cases.open(self, &mut tx.exec(), &mut events).await? {
            if let Opened::New(id) = opened
                && let Some(
                    RowResult::Created {
                        collision_cases, ..
                    }
                    | RowResult::Duplicate {
                        collision_cases, ..
                    },
                ) = out.get_mut(row)
            {
                collision_cases.push(id);
            }
        }
        events.write(self, &mut tx.exec()).await?;
        Ok((out, fresh))
    }

    /// Inserts the rows of customers saved by the batch, as they are now (a row that a later
    /// row brought evidence to is saved with it).
    async fn insert_saved(
        &self,
        tx: &mut WriteTx,
        rows: &[SavedRow],
        now: Timestamp,
    ) -> Result<()> {
        let json: Vec<String> = rows
            .iter()
            .map(|s| serde_json::to_string(&s.profile))
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let new: Vec<(Id, NewCustomer)> = rows
            .iter()
            .zip(&json)
            .map(|(s, profile)| {
                (
                    s.id,
                    NewCustomer {
                        fields: &s.fields,
                        matching: MatchData {
                            name_search: &s.profile.name.folded,
                            profile,
                            version: i64::from(leadguard_matching::profile::PROFILE_VERSION),
                            keys: &[],
                            identities: &[],
                        },
                        created_by: s.entrant,
                        owner_id: s.owner,
                        now,
                        entered_at: s.entered_at,
                        protected_until: s.protected_until,
                    },
                )
            })
            .collect();
        Ok(tx.exec().insert_customer_rows(&new).await?)
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
            // Oldest first, as the store orders them; a customer of the batch before that
            // this batch changed is compared as it is now.
            let [earlier, current] = fresh;
            for f in [earlier, current] {
                for &i in f.by_key.get(k).into_iter().flatten() {
                    let id = f.rows[i].id;
                    if std::ptr::eq(f, earlier) && current.contains(id) {
                        continue;
                    }
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

/// A unique identifier of the batch taken meanwhile by a writer that bypassed the locks:
/// nothing of the batch is saved, and its rows are to be entered one by one.
pub(crate) fn batch_conflict(e: leadguard_store::StoreError) -> ServiceError {
    match e {
        leadguard_store::StoreError::IdentityTaken { .. } => ServiceError::Conflict {
            code: "batch_conflict",
            message:
                "a concurrent writer took an identifier of this batch; enter its rows one by one"
                    .into(),
        },
        e => e.into(),
    }
}
