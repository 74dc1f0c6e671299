//! Importing follow-up history (跟进记录) from another CRM or a spreadsheet: each row attached
//! to a customer already in Leadguard, found by its record id in the old CRM, its credit code,
//! a phone or its exact name, in that order. The same batches serve `leadguard
//! import-followups` and the API.
//!
//! A row whose customer, time, kind and note are already stored is a duplicate: running a file
//! again creates nothing. Rows are saved a batch per transaction, and each batch's outcomes are
//! final once it is committed.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use leadguard_domain::Id;
use leadguard_domain::customer::{CustomerFields, CustomerKind};
use leadguard_domain::followup::{FollowUpKind, MAX_NOTE_CHARS};
use leadguard_domain::keys::{KeyKind, MatchKey};
use leadguard_domain::user::{Role, User};
use leadguard_store::{Exec, ImportedFollowUp};
use leadguard_tabular::Table;
use leadguard_tabular::followup_columns::{FollowupColumn, FollowupMapping, Picked};
use leadguard_tabular::time::{TimeOptions, infer_date_order, parse_time_with};
use serde::Serialize;

use crate::Service;
use crate::error::{Result, ServiceError};
use crate::merges::resolve;

/// Rows per transaction.
pub const FOLLOWUP_BATCH_ROWS: usize = 1000;

/// The header of a follow-up import's result file.
pub const FOLLOWUP_RESULT_HEADER: [&str; 5] =
    ["row", "status", "customer_id", "followup_id", "message"];

/// A time this far past the clock is a typo (2032 for 2023), not history: a follow-up "in the
/// future" would keep its customer from ever being recycled.
const FUTURE_SLACK_HOURS: i64 = 24;

/// Customers looked at per key (a shared switchboard number): more than one is ambiguous.
const PER_KEY: i64 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FollowupStatus {
    Created,
    /// Already stored (a rerun), or the same as an earlier row of the file.
    Duplicate,
    /// No customer, or more than one, answers to the row.
    Unmatched,
    /// The row itself is unusable (no time, no note, …).
    Error,
}

impl FollowupStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FollowupStatus::Created => "created",
            FollowupStatus::Duplicate => "duplicate",
            FollowupStatus::Unmatched => "unmatched",
            FollowupStatus::Error => "error",
        }
    }
}

/// One line of the result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowupOutcome {
    /// Data row, counted from 1.
    pub row: usize,
    pub status: FollowupStatus,
    pub customer_id: Option<Id>,
    pub followup_id: Option<Id>,
    pub message: String,
}

impl FollowupOutcome {
    fn new(row: usize, status: FollowupStatus, message: String) -> Self {
        FollowupOutcome {
            row,
            status,
            customer_id: None,
            followup_id: None,
            message,
        }
    }

    /// The line as written to the result file, in [`FOLLOWUP_RESULT_HEADER`]'s order.
    pub fn record(&self) -> [String; 5] {
        [
            self.row.to_string(),
            self.status.as_str().to_string(),
            self.customer_id.map(|x| x.to_string()).unwrap_or_default(),
            self.followup_id.map(|x| x.to_string()).unwrap_or_default(),
            self.message.clone(),
        ]
    }
}

/// Counts per status: `created N, duplicate N, unmatched N, error N`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FollowupSummary {
    pub created: usize,
    pub duplicate: usize,
    pub unmatched: usize,
    pub error: usize,
}

impl FollowupSummary {
    pub fn add(&mut self, outcomes: &[FollowupOutcome]) {
        for o in outcomes {
            match o.status {
                FollowupStatus::Created => self.created += 1,
                FollowupStatus::Duplicate => self.duplicate += 1,
                FollowupStatus::Unmatched => self.unmatched += 1,
                FollowupStatus::Error => self.error += 1,
            }
        }
    }
}

impl std::fmt::Display for FollowupSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "created {}, duplicate {}, unmatched {}, error {}",
            self.created, self.duplicate, self.unmatched, self.error
        )
    }
}

/// A follow-up file read and its columns understood.
pub struct FollowupFile {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    mapping: FollowupMapping,
    time: TimeOptions,
}

impl FollowupFile {
    /// `overrides`: `col=field` where a header is not recognized. A bad override, or a file
    /// with no column that names customers, is [`ServiceError::Invalid`] on `mapping`.
    pub fn new(table: Table, overrides: &[String]) -> Result<FollowupFile> {
        let mapping = FollowupMapping::new(&table.headers, overrides).map_err(|e| {
            let message = e.to_string();
            let message = message.strip_prefix("--mapping: ").unwrap_or(&message);
            ServiceError::invalid("mapping", "invalid_mapping", message)
        })?;
        // 5/1/2023: the column's other values tell whether the day or the month comes first.
        let times: Vec<&str> = table
            .rows
            .iter()
            .filter_map(|r| mapping.cells(r).time.map(|p| (p.column, r)))
            .filter_map(|(c, r)| r.get(c).map(String::as_str))
            .collect();
        let time = TimeOptions {
            order: infer_date_order(times),
            ..TimeOptions::default()
        };
        Ok(FollowupFile {
            headers: table.headers,
            rows: table.rows,
            mapping,
            time,
        })
    }

    /// "row 4, column 3 (跟进时间)".
    fn at(&self, row: usize, column: usize) -> String {
        format!(
            "row {row}, column {} ({})",
            column + 1,
            self.headers.get(column).map(String::as_str).unwrap_or("")
        )
    }

    /// "row 4, column 3 (跟进时间)", or "row 4" when the file has no such column.
    fn at_field(&self, row: usize, picked: Option<&Picked>, ty: FollowupColumn) -> String {
        match picked
            .map(|p| p.column)
            .or_else(|| self.mapping.columns.iter().position(|c| *c == ty))
        {
            Some(c) => self.at(row, c),
            None => format!("row {row}"),
        }
    }
}

/// How a row names its customer.
#[derive(Debug, Clone, Default)]
struct CustomerRef {
    legacy_id: Option<String>,
    credit_code: Option<(String, Option<MatchKey>)>,
    phone: Option<(String, Vec<MatchKey>)>,
    name: Option<(String, Vec<String>)>,
}

/// A row understood, before its customer is looked up.
#[derive(Debug, Clone)]
struct Prepared {
    row: usize,
    customer: CustomerRef,
    at: DateTime<Utc>,
    kind: FollowUpKind,
    note: String,
    author: Id,
}

/// What a (customer, time, kind, note) was found as.
#[derive(Debug, Clone, Copy)]
enum Seen {
    Stored(Id),
    /// An earlier row of this run.
    Row(usize),
}

type FollowupKey = (Id, DateTime<Utc>, FollowUpKind, String);

/// Works through one follow-up file, batch by batch.
pub struct FollowupImporter<'a> {
    service: &'a Service,
    file: &'a FollowupFile,
    default_author: User,
    by_username: HashMap<String, Id>,
    /// Display names shared by two users are left out: such a name names nobody for sure.
    by_display_name: HashMap<String, Option<Id>>,
    dry_run: bool,
    /// What this run created (or would): rows of the file that repeat one are duplicates.
    seen: HashMap<FollowupKey, usize>,
    /// A manager's import: only customers owned by this team's members.
    team_scope: Option<Option<String>>,
}

impl<'a> FollowupImporter<'a> {
    /// `default_author`: username of the author of rows whose author is no Leadguard user;
    /// `None`: the first active admin.
    pub async fn new(
        service: &'a Service,
        file: &'a FollowupFile,
        default_author: Option<&str>,
        dry_run: bool,
    ) -> Result<FollowupImporter<'a>> {
        let users = {
            let mut conn = service.store.read().await?;
            conn.exec().list_users(None).await?
        };
        let default_author = match default_author.map(str::trim) {
            Some(name) => users
                .iter()
                .find(|u| u.username == name)
                .cloned()
                .ok_or_else(|| {
                    ServiceError::invalid(
                        "author",
                        "unknown_user",
                        format!("there is no user named {name}"),
                    )
                })?,
            None => users
                .iter()
                .filter(|u| u.role == Role::Admin && u.active)
                .min_by_key(|u| u.id)
                .cloned()
                .ok_or_else(|| {
                    ServiceError::invalid(
                        "author",
                        "required",
                        "there is no active admin to write the follow-ups of unknown authors: name a user with --author",
                    )
                })?,
        };
        let mut by_username = HashMap::new();
        let mut by_display_name: HashMap<String, Option<Id>> = HashMap::new();
        for u in &users {
            by_username.insert(u.username.to_lowercase(), u.id);
            let d = u.display_name.trim().to_lowercase();
            if !d.is_empty() {
                by_display_name
                    .entry(d)
                    .and_modify(|v| *v = None)
                    .or_insert(Some(u.id));
            }
        }
        Ok(FollowupImporter {
            service,
            file,
            default_author,
            by_username,
            by_display_name,
            dry_run,
            seen: HashMap::new(),
            team_scope: None,
        })
    }

    /// The user follow-ups without a known author are written by.
    pub fn default_author(&self) -> &User {
        &self.default_author
    }

    /// Rows `start..end` (0-based positions in the file): matched, and saved unless this is a
    /// dry run, in one transaction; their outcomes once it has committed. An error means
    /// nothing of these rows was saved; the rows before them are.
    pub async fn batch(&mut self, start: usize, end: usize) -> Result<Vec<FollowupOutcome>> {
        let end = end.min(self.file.rows.len());
        let mut outcomes: Vec<Option<FollowupOutcome>> = vec![None; end.saturating_sub(start)];
        let mut prepared = Vec::with_capacity(outcomes.len());
        for i in start..end {
            match self.prepare(i) {
                Ok(p) => prepared.push(p),
                Err(message) => {
                    outcomes[i - start] =
                        Some(FollowupOutcome::new(i + 1, FollowupStatus::Error, message));
                }
            }
        }
        if self.dry_run {
            let mut conn = self.service.store.read().await?;
            let mut exec = conn.exec();
            self.settle(&mut exec, start, prepared, &mut outcomes)
                .await?;
        } else {
            let mut tx = self.service.store.begin().await?;
            // Against every writer of keys: no merge moves a customer away meanwhile.
            tx.lock_all_keys().await?;
            let seen_before = self.seen.len();
            let settled = self
                .settle(&mut tx.exec(), start, prepared, &mut outcomes)
                .await;
            match settled {
                Ok(()) => tx.commit().await?,
                Err(e) => {
                    // Nothing of this batch is saved: forget what it would have created.
                    if self.seen.len() != seen_before {
                        let rows: HashSet<usize> = (start + 1..=end).collect();
                        self.seen.retain(|_, r| !rows.contains(r));
                    }
                    return Err(e);
                }
            }
        }
        Ok(outcomes
            .into_iter()
            .enumerate()
            .map(|(i, o)| {
                o.unwrap_or_else(|| {
                    FollowupOutcome::new(
                        start + i + 1,
                        FollowupStatus::Error,
                        "not processed".into(),
                    )
                })
            })
            .collect())
    }

    /// The row at `i` as a follow-up to look up, or the error that names its row and column.
    fn prepare(&self, i: usize) -> std::result::Result<Prepared, String> {
        let row = i + 1;
        let file = self.file;
        let cells = file.mapping.cells(&file.rows[i]);
        let customer = self.customer_ref(&cells);
        if customer.legacy_id.is_none()
            && customer.credit_code.is_none()
            && customer.phone.is_none()
            && customer.name.is_none()
        {
            return Err(format!(
                "row {row}: no customer given (the customer id, name, phone and credit code columns are empty)"
            ));
        }
        let at = match &cells.time {
            None if !file.mapping.has(FollowupColumn::Time) => {
                return Err(format!(
                    "row {row}: no column holds the time (跟进时间, Activity Date…); name one with --mapping COLUMN=time"
                ));
            }
            None => {
                return Err(format!(
                    "{}: the date is empty",
                    file.at_field(row, None, FollowupColumn::Time)
                ));
            }
            Some(p) => {
                let at = parse_time_with(&p.value, &file.time)
                    .map_err(|e| format!("{}: {e}", file.at(row, p.column)))?;
                if at > self.service.now() + Duration::hours(FUTURE_SLACK_HOURS) {
                    return Err(format!(
                        "{}: `{}` is in the future; history has happened already",
                        file.at(row, p.column),
                        p.value
                    ));
                }
                at
            }
        };
        let note = cells
            .notes
            .iter()
            .map(|p| p.value.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        if note.trim().is_empty() {
            return Err(match file.mapping.has(FollowupColumn::Note) {
                true => format!(
                    "{}: 跟进内容为空 / the note is empty",
                    file.at_field(row, None, FollowupColumn::Note)
                ),
                false => format!(
                    "row {row}: no column holds the note (跟进内容, Subject, Notes…); name one with --mapping COLUMN=note"
                ),
            });
        }
        // What the row says that Leadguard has no place for goes before the note, as typed.
        let mut kept = Vec::new();
        let (kind, kind_word) = match &cells.kind {
            Some(p) => match FollowUpKind::from_label(&p.value) {
                Some(k) => (k, None),
                None => (FollowUpKind::Note, Some(p.value.clone())),
            },
            None => (FollowUpKind::Note, None),
        };
        let author = match &cells.author {
            Some(p) => match self.user_named(&p.value) {
                Some(id) => id,
                None => {
                    kept.push(format!("原跟进人：{}", p.value));
                    self.default_author.id
                }
            },
            None => self.default_author.id,
        };
        if let Some(w) = kind_word {
            kept.push(format!("跟进方式：{w}"));
        }
        kept.push(note);
        let note = kept.join(" / ");
        let n = note.chars().count();
        if n > MAX_NOTE_CHARS {
            return Err(format!(
                "{}: the note has {n} characters; at most {MAX_NOTE_CHARS} are allowed",
                file.at_field(row, cells.notes.first(), FollowupColumn::Note)
            ));
        }
        Ok(Prepared {
            row,
            customer,
            at,
            kind,
            note,
            author,
        })
    }

    fn user_named(&self, name: &str) -> Option<Id> {
        let k = name.trim().to_lowercase();
        self.by_username
            .get(&k)
            .copied()
            .or_else(|| self.by_display_name.get(&k).copied().flatten())
    }

    /// The row's ways of naming its customer, normalized as stored customers are.
    fn customer_ref(
        &self,
        cells: &leadguard_tabular::followup_columns::FollowupCells,
    ) -> CustomerRef {
        let matcher = &self.service.matcher;
        let value = |p: &Option<Picked>| p.as_ref().map(|p| p.value.clone());
        let mut r = CustomerRef {
            legacy_id: value(&cells.customer_id),
            ..Default::default()
        };
        let phone = value(&cells.phone);
        let credit = value(&cells.credit_code);
        if phone.is_some() || credit.is_some() {
            let (profile, _) = matcher.profile_lenient(&CustomerFields {
                name: "-".into(),
                phones: phone.iter().cloned().collect(),
                credit_code: credit.clone(),
                ..Default::default()
            });
            let keys = profile.index_keys();
            let of = |kind: KeyKind| -> Vec<MatchKey> {
                keys.iter().filter(|k| k.kind == kind).cloned().collect()
            };
            r.phone = phone.map(|p| (p, of(KeyKind::Phone)));
            r.credit_code = credit.map(|c| (c, of(KeyKind::CreditCode).into_iter().next()));
        }
        if let Some(name) = value(&cells.customer_name) {
            // Stored names are folded by their kind; a file does not say which it holds.
            let mut folded: Vec<String> = [CustomerKind::Company, CustomerKind::Person]
                .into_iter()
                .map(|kind| {
                    let (p, _) = matcher.profile_lenient(&CustomerFields {
                        kind,
                        name: name.clone(),
                        ..Default::default()
                    });
                    p.name.folded
                })
                .filter(|f| !f.is_empty())
                .collect();
            folded.dedup();
            r.name = Some((name, folded));
        }
        r
    }

    /// Finds each prepared row's customer, drops what is already stored, and saves the rest
    /// (unless a dry run), filling `outcomes`.
    async fn settle(
        &mut self,
        exec: &mut Exec<'_>,
        start: usize,
        prepared: Vec<Prepared>,
        outcomes: &mut [Option<FollowupOutcome>],
    ) -> Result<()> {
        let found = Lookups::fetch(exec, &prepared).await?;
        let mut matched: Vec<(Prepared, Id)> = Vec::with_capacity(prepared.len());
        for p in prepared {
            match found.customer_of(exec, &p.customer).await? {
                Ok(id) => matched.push((p, id)),
                Err(message) => {
                    outcomes[p.row - 1 - start] = Some(FollowupOutcome::new(
                        p.row,
                        FollowupStatus::Unmatched,
                        message,
                    ));
                }
            }
        }
        if let Some(team) = &self.team_scope {
            let ids: Vec<Id> = matched.iter().map(|(_, id)| *id).collect();
            let teams = exec.owner_teams(&ids).await?;
            matched.retain(|(p, id)| {
                let ours = team.is_some() && teams.get(id).is_some_and(|t| t == team);
                if !ours {
                    outcomes[p.row - 1 - start] = Some(FollowupOutcome {
                        row: p.row,
                        status: FollowupStatus::Unmatched,
                        customer_id: None,
                        followup_id: None,
                        message: format!("customer #{id} is not owned by your team"),
                    });
                }
                ours
            });
        }
        let pairs: Vec<(Id, DateTime<Utc>)> = matched.iter().map(|(p, id)| (*id, p.at)).collect();
        let mut stored: HashMap<FollowupKey, Id> = HashMap::new();
        for f in exec.followups_at(&pairs).await? {
            if let Some(kind) = FollowUpKind::parse(&f.kind) {
                stored
                    .entry((f.customer_id, f.at, kind, f.note))
                    .or_insert(f.id);
            }
        }
        let mut new: Vec<(usize, ImportedFollowUp)> = Vec::new();
        for (p, customer_id) in matched {
            let key: FollowupKey = (customer_id, p.at, p.kind, p.note.clone());
            let slot = p.row - 1 - start;
            let seen = stored
                .get(&key)
                .map(|id| Seen::Stored(*id))
                .or_else(|| self.seen.get(&key).map(|r| Seen::Row(*r)));
            let outcome = match seen {
                Some(Seen::Stored(id)) => FollowupOutcome {
                    row: p.row,
                    status: FollowupStatus::Duplicate,
                    customer_id: Some(customer_id),
                    followup_id: Some(id),
                    message: format!("already imported as follow-up #{id}"),
                },
                Some(Seen::Row(r)) => FollowupOutcome {
                    row: p.row,
                    status: FollowupStatus::Duplicate,
                    customer_id: Some(customer_id),
                    followup_id: None,
                    message: format!("the same as row {r} of this file"),
                },
                None => {
                    self.seen.insert(key, p.row);
                    new.push((
                        slot,
                        ImportedFollowUp {
                            customer_id,
                            kind: p.kind,
                            note: p.note,
                            at: p.at,
                            author_id: p.author,
                        },
                    ));
                    FollowupOutcome {
                        row: p.row,
                        status: FollowupStatus::Created,
                        customer_id: Some(customer_id),
                        followup_id: None,
                        message: if self.dry_run {
                            "dry run: would be created".into()
                        } else {
                            String::new()
                        },
                    }
                }
            };
            outcomes[slot] = Some(outcome);
        }
        if self.dry_run || new.is_empty() {
            return Ok(());
        }
        let items: Vec<ImportedFollowUp> = new.iter().map(|(_, f)| f.clone()).collect();
        let ids = exec.insert_followups(&items).await?;
        // Each customer's last follow-up moves forward to its newest imported one (never
        // back): recycling counts from it.
        let mut latest: HashMap<Id, DateTime<Utc>> = HashMap::new();
        for f in &items {
            let t = latest.entry(f.customer_id).or_insert(f.at);
            *t = (*t).max(f.at);
        }
        let mut latest: Vec<_> = latest.into_iter().collect();
        latest.sort_unstable();
        for (customer_id, at) in latest {
            exec.advance_last_followup(customer_id, at).await?;
        }
        for ((slot, _), id) in new.iter().zip(ids) {
            if let Some(o) = outcomes[*slot].as_mut() {
                o.followup_id = Some(id);
            }
        }
        Ok(())
    }
}

/// A follow-up import through the API: the file and how to read it.
#[derive(Debug, Clone, Default)]
pub struct FollowupImportRequest {
    /// Its extension tells CSV from XLSX.
    pub file_name: String,
    pub file: Vec<u8>,
    pub mapping: Vec<String>,
    /// Username writing the rows of unknown authors (default: the one importing).
    pub author: Option<String>,
    pub dry_run: bool,
}

/// One row's outcome, as the API answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FollowupRowView {
    /// Data row, counted from 1.
    pub row: usize,
    /// `created`, `duplicate`, `unmatched` or `error`.
    pub status: String,
    pub customer_id: Option<Id>,
    pub followup_id: Option<Id>,
    /// Why a row is unmatched or an error (naming the row and the column), or which
    /// follow-up a duplicate repeats.
    pub message: String,
}

/// The outcome of a follow-up import: counts, and every row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FollowupImportReport {
    pub created: usize,
    pub duplicate: usize,
    pub unmatched: usize,
    pub error: usize,
    pub dry_run: bool,
    pub rows: Vec<FollowupRowView>,
}

impl Service {
    /// Imports a follow-up file at once (admins; managers for their team's customers), in
    /// batches of [`FOLLOWUP_BATCH_ROWS`] rows, each its own transaction.
    pub async fn import_followups(
        &self,
        actor: &User,
        req: FollowupImportRequest,
    ) -> Result<FollowupImportReport> {
        let team_scope = match actor.role {
            Role::Admin => None,
            Role::Manager => Some(actor.team.clone()),
            Role::Rep => {
                return Err(ServiceError::forbidden(
                    "只有管理员和经理可以导入跟进记录 / only admins and managers import follow-up history",
                ));
            }
        };
        if req.file.len() > crate::MAX_IMPORT_BYTES {
            return Err(ServiceError::invalid(
                "file",
                "too_large",
                format!(
                    "the file has {} bytes; at most {} are accepted, split it",
                    req.file.len(),
                    crate::MAX_IMPORT_BYTES
                ),
            ));
        }
        let table = leadguard_tabular::read_bytes(req.file_name.trim(), &req.file)
            .map_err(|e| ServiceError::invalid("file", "unreadable", e.to_string()))?;
        let file = FollowupFile::new(table, &req.mapping)?;
        let author = req.author.unwrap_or_else(|| actor.username.clone());
        let mut importer = FollowupImporter::new(self, &file, Some(&author), req.dry_run).await?;
        importer.team_scope = team_scope;
        let mut outcomes = Vec::with_capacity(file.rows.len());
        let mut start = 0;
        while start < file.rows.len() {
            let end = (start + FOLLOWUP_BATCH_ROWS).min(file.rows.len());
            outcomes.extend(importer.batch(start, end).await?);
            start = end;
        }
        let mut s = FollowupSummary::default();
        s.add(&outcomes);
        Ok(FollowupImportReport {
            created: s.created,
            duplicate: s.duplicate,
            unmatched: s.unmatched,
            error: s.error,
            dry_run: req.dry_run,
            rows: outcomes
                .into_iter()
                .map(|o| FollowupRowView {
                    row: o.row,
                    status: o.status.as_str().to_string(),
                    customer_id: o.customer_id,
                    followup_id: o.followup_id,
                    message: o.message,
                })
                .collect(),
        })
    }
}

/// A customer found, and the customer it was merged into if it was.
type Found = (Id, Option<Id>);

/// The customers a batch's rows name, looked up a few statements for the whole batch.
#[derive(Default)]
struct Lookups {
    by_legacy_id: HashMap<String, Vec<Found>>,
    by_name: HashMap<String, Vec<Found>>,
    by_key: HashMap<MatchKey, Vec<Id>>,
}

impl Lookups {
    async fn fetch(exec: &mut Exec<'_>, rows: &[Prepared]) -> Result<Lookups> {
        let mut ids = Vec::new();
        let mut names = Vec::new();
        let mut keys = Vec::new();
        for p in rows {
            let c = &p.customer;
            ids.extend(c.legacy_id.clone());
            if let Some((_, folded)) = &c.name {
                names.extend(folded.iter().cloned());
            }
            if let Some((_, k)) = &c.phone {
                keys.extend(k.iter().cloned());
            }
            if let Some((_, Some(k))) = &c.credit_code {
                keys.push(k.clone());
            }
        }
        let mut out = Lookups::default();
        for (v, id, merged) in exec.customers_by_external_id(&ids).await? {
            out.by_legacy_id.entry(v).or_default().push((id, merged));
        }
        for (v, id, merged) in exec.customers_by_folded_name(&names).await? {
            out.by_name.entry(v).or_default().push((id, merged));
        }
        keys.sort_unstable();
        keys.dedup();
        if !keys.is_empty() {
            out.by_key = exec.candidate_ids_by_key(&keys, PER_KEY).await?;
        }
        Ok(out)
    }

    /// The one customer the row names (a merged one resolved to its survivor), or why there
    /// is none.
    async fn customer_of(
        &self,
        exec: &mut Exec<'_>,
        c: &CustomerRef,
    ) -> Result<std::result::Result<Id, String>> {
        let mut tried: Vec<String> = Vec::new();
        let mut ambiguous: Vec<String> = Vec::new();
        // In order: legacy id, credit code, phone, name; the first that names exactly one
        // customer wins.
        let mut candidates: Vec<(String, Vec<Found>)> = Vec::new();
        if let Some(v) = &c.legacy_id {
            candidates.push((
                format!("legacy id {v}"),
                self.by_legacy_id.get(v).cloned().unwrap_or_default(),
            ));
        }
        if let Some((raw, key)) = &c.credit_code {
            let found = key
                .as_ref()
                .and_then(|k| self.by_key.get(k))
                .map(|ids| ids.iter().map(|id| (*id, None)).collect())
                .unwrap_or_default();
            candidates.push((format!("credit code {raw}"), found));
        }
        if let Some((raw, keys)) = &c.phone {
            let mut found: Vec<Found> = keys
                .iter()
                .filter_map(|k| self.by_key.get(k))
                .flatten()
                .map(|id| (*id, None))
                .collect();
            found.sort_unstable();
            found.dedup();
            candidates.push((format!("phone {raw}"), found));
        }
        if let Some((raw, folded)) = &c.name {
            let found: Vec<Found> = folded
                .iter()
                .filter_map(|f| self.by_name.get(f))
                .flatten()
                .copied()
                .collect();
            candidates.push((format!("name {raw}"), found));
        }
        for (what, found) in candidates {
            let mut ids = Vec::with_capacity(found.len());
            for (id, merged) in found {
                ids.push(match merged {
                    Some(_) => resolve(exec, id).await?,
                    None => id,
                });
            }
            ids.sort_unstable();
            ids.dedup();
            match ids.as_slice() {
                [one] => return Ok(Ok(*one)),
                [] => tried.push(what),
                many => ambiguous.push(format!("{what} matches customers {}", join_ids(many))),
            }
        }
        Ok(Err(if ambiguous.is_empty() {
            format!("no customer with {}", or_list(&tried))
        } else if tried.is_empty() {
            format!("ambiguous: {}", ambiguous.join("; "))
        } else {
            format!(
                "ambiguous: {}; no customer with {}",
                ambiguous.join("; "),
                or_list(&tried)
            )
        }))
    }
}

/// "#3 and #9", "#3, #5 and #9", "#1, #2, #3, #4, #5 and 3 more".
fn join_ids(ids: &[Id]) -> String {
    let shown: Vec<String> = ids.iter().take(5).map(|id| format!("#{id}")).collect();
    if ids.len() > 5 {
        return format!("{} and {} more", shown.join(", "), ids.len() - 5);
    }
    match shown.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => shown.join(""),
    }
}

/// "legacy id 123, name X or phone Y".
fn or_list(items: &[String]) -> String {
    match items.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => items.join(""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_in_words() {
        assert_eq!(join_ids(&[3, 9]), "#3 and #9");
        assert_eq!(join_ids(&[3, 5, 9]), "#3, #5 and #9");
        assert_eq!(
            join_ids(&[1, 2, 3, 4, 5, 6, 7]),
            "#1, #2, #3, #4, #5 and 2 more"
        );
        let items = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            or_list(&items(&[
                "legacy id 123",
                "name 北京星河科技有限公司",
                "phone 13800138000"
            ])),
            "legacy id 123, name 北京星河科技有限公司 or phone 13800138000"
        );
        assert_eq!(or_list(&items(&["name X"])), "name X");
    }
}
