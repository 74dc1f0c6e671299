//! Importing a customer file (CSV or XLSX, as exported from Excel or another CRM): every row
//! checked against the database and the rows before it, owned by one rep, with a result per
//! row that names the row and the column of any error. The same batches serve `leadguard
//! import` and import jobs submitted through the API.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::ops::Range;

use leadguard_domain::Id;
use leadguard_domain::customer::{CustomerFields, FieldError};
use leadguard_domain::keys::MatchKey;
use leadguard_domain::user::User;
use leadguard_matching::{Profile, Verdict};
use leadguard_tabular::{Mapping, Table};
use tokio::task::JoinHandle;

use crate::Service;
use crate::bulk::{BatchAhead, BatchPipeline, BatchRows, Placement, RowPlan, RowResult};
use crate::error::{Result, ServiceError};
use crate::migration::{DefaultOwner, ImportOptions, Origins};
use crate::views::MatchView;

/// Rows an import job enters per transaction: large enough to spread the cost of a commit and
/// of the candidate look-ups, small enough that reps entering customers meanwhile wait only
/// briefly (`leadguard import`, a bulk tool, takes larger batches by default).
pub const BATCH_ROWS: usize = 1000;

/// The header of a result file.
pub const RESULT_HEADER: [&str; 7] = [
    "row",
    "status",
    "customer_id",
    "matched_customer_id",
    "owner",
    "message",
    "warnings",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowStatus {
    Created,
    Duplicate,
    Suspected,
    Error,
}

impl RowStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RowStatus::Created => "created",
            RowStatus::Duplicate => "duplicate",
            RowStatus::Suspected => "suspected",
            RowStatus::Error => "error",
        }
    }
}

/// One line of the result file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowOutcome {
    /// Data row, counted from 1 (the spreadsheet shows it as row + 1, under the header).
    pub row: usize,
    pub status: RowStatus,
    pub customer_id: Option<Id>,
    pub matched: Option<Id>,
    pub owner: String,
    pub message: String,
    /// Values of the row kept unverified, or kept in the note because they could not be
    /// used, each with its column: "row 3, column 2 (电话): …; …".
    pub warnings: String,
}

impl RowOutcome {
    fn error(row: usize, message: String) -> RowOutcome {
        RowOutcome {
            row,
            status: RowStatus::Error,
            customer_id: None,
            matched: None,
            owner: String::new(),
            message,
            warnings: String::new(),
        }
    }

    fn with_warnings(mut self, warnings: String) -> RowOutcome {
        self.warnings = warnings;
        self
    }

    /// Names the collision cases the row opened.
    fn with_cases(mut self, cases: &[Id]) -> RowOutcome {
        if !cases.is_empty() {
            let ids: Vec<String> = cases.iter().map(|c| format!("#{c}")).collect();
            if !self.message.is_empty() {
                self.message.push_str("; ");
            }
            self.message
                .push_str(&format!("collision case {} opened", ids.join(", ")));
        }
        self
    }

    /// The line as written to the result file, in [`RESULT_HEADER`]'s order.
    pub fn record(&self) -> [String; 7] {
        [
            self.row.to_string(),
            self.status.as_str().to_string(),
            self.customer_id.map(|x| x.to_string()).unwrap_or_default(),
            self.matched.map(|x| x.to_string()).unwrap_or_default(),
            self.owner.clone(),
            self.message.clone(),
            self.warnings.clone(),
        ]
    }
}

/// Counts per status: the summary line `created N, duplicate N, suspected N, error N`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub created: usize,
    pub duplicate: usize,
    pub suspected: usize,
    pub error: usize,
}

impl ImportSummary {
    pub fn add(&mut self, outcomes: &[RowOutcome]) {
        for o in outcomes {
            match o.status {
                RowStatus::Created => self.created += 1,
                RowStatus::Duplicate => self.duplicate += 1,
                RowStatus::Suspected => self.suspected += 1,
                RowStatus::Error => self.error += 1,
            }
        }
    }
}

impl std::fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "created {}, duplicate {}, suspected {}, error {}",
            self.created, self.duplicate, self.suspected, self.error
        )
    }
}

/// A file read and its columns understood.
pub struct ImportFile {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    mapping: Mapping,
}

impl ImportFile {
    /// `overrides`: `col=field` where a header is not recognized. A bad override is
    /// [`ServiceError::Invalid`] on the field `mapping`.
    pub fn new(table: Table, overrides: &[String]) -> Result<ImportFile> {
        let mapping = Mapping::new(&table.headers, overrides, None).map_err(|e| {
            let message = e.to_string();
            let message = message.strip_prefix("--fields: ").unwrap_or(&message);
            ServiceError::invalid("mapping", "invalid_mapping", message)
        })?;
        Ok(ImportFile {
            headers: table.headers,
            rows: table.rows,
            mapping,
        })
    }

    /// Whether the file says who owns its rows (an owner or creator column).
    pub fn has_owners(&self) -> bool {
        self.mapping.has_owners()
    }

    /// "row 4, column 2 (电话): …" for each invalid field of a row.
    fn describe(&self, fields: &[FieldError], cells: &[String], row: usize) -> String {
        fields
            .iter()
            .map(|f| match self.mapping.column_of(cells, &f.field) {
                Some(c) => format!(
                    "row {row}, column {} ({}): {}",
                    c + 1,
                    self.headers.get(c).map(String::as_str).unwrap_or(""),
                    f.message
                ),
                None => format!("row {row}, {}: {}", f.field, f.message),
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Rows of the file that a dry run would create, for later rows to be checked against.
#[derive(Default)]
struct DryRunIndex {
    profiles: Vec<(usize, Profile)>,
    by_key: HashMap<MatchKey, Vec<usize>>,
}

/// Works through one file, batch by batch: every row to one owner, or (a migration) to the
/// owner the file names, as of the time it names.
pub struct Importer<'a> {
    service: &'a Service,
    options: ImportOptions,
    origins: Origins,
    file: &'a ImportFile,
    dry_run: bool,
    /// Who was given customers, for the summary of owners over their cap.
    owners: BTreeSet<Id>,
    index: DryRunIndex,
    pipeline: BatchPipeline,
    /// The next batch (its rows), being checked ahead while this one is saved.
    ahead: Option<(Range<usize>, JoinHandle<Result<BatchAhead>>)>,
}

impl<'a> Importer<'a> {
    /// Every row to `owner`, within their cap, in the file's order.
    pub fn new(service: &'a Service, owner: User, file: &'a ImportFile, dry_run: bool) -> Self {
        let origins = Origins::plain(file.rows.len());
        Importer::with(
            service,
            ImportOptions::owned_by(owner),
            origins,
            file,
            dry_run,
        )
    }

    fn with(
        service: &'a Service,
        options: ImportOptions,
        origins: Origins,
        file: &'a ImportFile,
        dry_run: bool,
    ) -> Self {
        Importer {
            service,
            options,
            origins,
            file,
            dry_run,
            owners: BTreeSet::new(),
            index: DryRunIndex::default(),
            pipeline: BatchPipeline::default(),
            ahead: None,
        }
    }

    /// A migration: rows go to the owners the file names (by username or display name),
    /// as of the entry times it gives, earliest first; the others as `options` say.
    pub async fn migrate(
        service: &'a Service,
        options: ImportOptions,
        file: &'a ImportFile,
        dry_run: bool,
    ) -> Result<Importer<'a>> {
        let users = {
            let mut conn = service.store.read().await?;
            conn.exec().list_users(None).await?
        };
        let origins = Origins::read(&file.mapping, &file.rows, users, &options, service.now());
        Ok(Importer::with(service, options, origins, file, dry_run))
    }

    /// The file row (0-based) entered at position `pos`.
    fn file_row(&self, pos: usize) -> usize {
        self.origins.order[pos]
    }

    /// The cells of the row at position `pos`, and its number in the file (from 1).
    fn cells(&self, pos: usize) -> (&'a [String], usize) {
        let i = self.file_row(pos);
        (&self.file.rows[i], i + 1)
    }

    /// The record at position `pos`, with what its origin columns could not place kept in
    /// its note.
    fn record(&self, pos: usize) -> CustomerFields {
        let i = self.file_row(pos);
        let mut f = self.file.mapping.record(&self.file.rows[i]);
        let extra = &self.origins.source(i).note;
        if !extra.is_empty() {
            let mut lines: Vec<String> = f.note.take().into_iter().collect();
            lines.extend(extra.iter().cloned());
            f.note = Some(lines.join("\n"));
        }
        f
    }

    fn fields(&self, rows: Range<usize>) -> Vec<CustomerFields> {
        rows.map(|pos| self.record(pos)).collect()
    }

    /// How each row at `rows` is entered.
    fn plans(&self, rows: Range<usize>) -> Vec<RowPlan<'_>> {
        rows.map(|pos| self.origins.plan(&self.options, self.file_row(pos)))
            .collect()
    }

    /// The owners given customers so far that own more than their cap (an import with
    /// `ignore_cap`): username, customers owned, cap.
    pub async fn owners_over_cap(&self) -> Result<Vec<(String, u64, u32)>> {
        self.service.owners_over_cap(&self.owners).await
    }

    /// Starts checking the rows after `this` (as many) on a snapshot, while `this` is saved.
    fn look_ahead(&mut self, this: &Range<usize>) {
        let Some(base) = self.pipeline.base() else {
            return;
        };
        let next = this.end..(this.end + this.len()).min(self.file.rows.len());
        if next.is_empty() {
            return;
        }
        let fields = self.fields(next.clone());
        let service = self.service.clone();
        let task = tokio::spawn(async move { service.check_batch_ahead(fields, base).await });
        self.ahead = Some((next, task));
    }

    /// This batch's rows: as checked ahead, if they were.
    async fn rows_of(&mut self, range: Range<usize>) -> BatchRows {
        if let Some((r, task)) = self.ahead.take() {
            if r == range {
                let error = match task.await {
                    Ok(Ok(ahead)) => return BatchRows::Ahead(Box::new(ahead)),
                    Ok(Err(e)) => e.to_string(),
                    Err(e) => e.to_string(),
                };
                tracing::warn!(%error, "checking an import batch ahead failed; checking it in its transaction");
            } else {
                task.abort();
            }
        }
        BatchRows::Fields(self.fields(range))
    }

    /// Rows `start..end` (0-based positions in the file): checked, and saved unless this is
    /// a dry run, in one transaction; their outcomes once that transaction has committed.
    /// An error means nothing of these rows was saved; the rows before them are.
    pub async fn batch(&mut self, start: usize, end: usize) -> Result<Vec<RowOutcome>> {
        if self.dry_run {
            let mut v = Vec::with_capacity(end - start);
            for i in start..end {
                v.push(self.dry_run_row(i).await?);
            }
            return Ok(v);
        }
        let rows = self.rows_of(start..end).await;
        self.look_ahead(&(start..end));
        let mut pipeline = std::mem::take(&mut self.pipeline);
        let entered = self
            .service
            .enter_planned(&self.plans(start..end), rows, &mut pipeline)
            .await;
        self.pipeline = pipeline;
        match entered {
            Ok(results) => Ok(self.outcomes(start, results)),
            Err(ServiceError::Conflict {
                code: "batch_conflict",
                ..
            }) => {
                tracing::warn!(
                    rows = %format!("{}–{end}", start + 1),
                    "a concurrent writer took an identifier of this batch; entering its rows one by one"
                );
                self.pipeline.reset();
                self.one_by_one(start, end).await
            }
            Err(e) => Err(e),
        }
    }

    /// [`Importer::batch`] for an import job: the outcomes are recorded as the job's progress
    /// in the same transaction as the rows, so the job resumes exactly where it stopped.
    pub(crate) async fn job_batch(
        &mut self,
        job: Id,
        start: usize,
        end: usize,
    ) -> Result<Vec<RowOutcome>> {
        let lease = self.service.import_lease_until();
        if !self.dry_run {
            let rows = self.rows_of(start..end).await;
            self.look_ahead(&(start..end));
            let mut tx = self.service.store.begin().await?;
            let mut pipeline = std::mem::take(&mut self.pipeline);
            let entered = self
                .service
                .enter_pipelined(&mut tx, &self.plans(start..end), rows, &mut pipeline)
                .await;
            self.pipeline = pipeline;
            match entered {
                Ok((results, entered)) => {
                    let outcomes = self.outcomes(start, results);
                    tx.exec()
                        .record_import_batch(
                            job,
                            &stored_results(&outcomes),
                            counts(&outcomes),
                            lease,
                        )
                        .await?;
                    tx.commit().await?;
                    self.pipeline.committed(self.service, entered);
                    return Ok(outcomes);
                }
                Err(ServiceError::Conflict {
                    code: "batch_conflict",
                    ..
                }) => {
                    drop(tx);
                    self.pipeline.reset();
                }
                Err(e) => return Err(e),
            }
        }
        // A dry run, or rows entered one by one: each row is its own transaction, and the
        // results follow them (a crash in between reports those rows as duplicates of
        // themselves on the rerun).
        let outcomes = if self.dry_run {
            self.batch(start, end).await?
        } else {
            self.one_by_one(start, end).await?
        };
        let mut tx = self.service.store.begin().await?;
        tx.exec()
            .record_import_batch(job, &stored_results(&outcomes), counts(&outcomes), lease)
            .await?;
        tx.commit().await?;
        Ok(outcomes)
    }

    fn outcomes(&mut self, start: usize, results: Vec<RowResult>) -> Vec<RowOutcome> {
        let outcomes: Vec<RowOutcome> = results
            .into_iter()
            .enumerate()
            .map(|(i, r)| self.outcome(start + i, r))
            .collect();
        for o in &outcomes {
            if let (Some(_), Some(owner)) = (o.customer_id, self.owner_id_of(&o.owner)) {
                self.owners.insert(owner);
            }
        }
        outcomes
    }

    /// The id of the user named `username` among those rows may go to.
    fn owner_id_of(&self, username: &str) -> Option<Id> {
        if username.is_empty() {
            return None;
        }
        self.origins.user(username).or(match &self.options.default {
            DefaultOwner::Rep(u) if u.username == username => Some(u.id),
            _ => None,
        })
    }

    /// The result line of the row at position `pos`.
    fn outcome(&self, pos: usize, r: RowResult) -> RowOutcome {
        let (cells, row) = self.cells(pos);
        let source = self.origins.source(self.file_row(pos));
        let describe = |warnings: Vec<FieldError>| {
            let mut all = source.warnings.clone();
            all.extend(warnings);
            self.file.describe(&all, cells, row)
        };
        match r {
            RowResult::Created {
                id,
                owner,
                suspected,
                collision_cases,
                warnings,
            } => created_outcome(row, id, suspected.first(), owner.as_deref().unwrap_or(""))
                .with_cases(&collision_cases)
                .with_warnings(describe(warnings)),
            RowResult::Duplicate {
                matches,
                warnings,
                added,
                collision_cases,
            } => duplicate_outcome(row, &matches, added.as_deref())
                .with_cases(&collision_cases)
                .with_warnings(describe(warnings)),
            RowResult::Invalid(fields) => RowOutcome::error(row, describe(fields)),
            RowResult::CapReached { username, cap } => RowOutcome::error(
                row,
                format!("row {row}: {username} already owns {cap} customers, the most allowed"),
            ),
        }
    }

    /// Someone took an identifier of this batch meanwhile: nothing of it was saved; its rows
    /// are entered again one per transaction.
    async fn one_by_one(&mut self, start: usize, end: usize) -> Result<Vec<RowOutcome>> {
        let mut v = Vec::with_capacity(end - start);
        for pos in start..end {
            let rows = BatchRows::Fields(vec![self.record(pos)]);
            let mut pipeline = BatchPipeline::default();
            let entered = self
                .service
                .enter_planned(&self.plans(pos..pos + 1), rows, &mut pipeline)
                .await;
            match entered {
                Ok(results) => v.extend(self.outcomes(pos, results)),
                Err(ServiceError::Conflict { message, .. }) => {
                    let (_, row) = self.cells(pos);
                    v.push(RowOutcome::error(row, format!("row {row}: {message}")));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(v)
    }

    async fn dry_run_row(&mut self, pos: usize) -> Result<RowOutcome> {
        let (cells, row) = self.cells(pos);
        let (_, profile, mut warnings) = match self.service.prepare_keeping(self.record(pos)) {
            Ok(p) => p,
            Err(e) => return self.refusal(e, cells, row),
        };
        let mut all = self.origins.source(self.file_row(pos)).warnings.clone();
        all.append(&mut warnings);
        let warnings = self.file.describe(&all, cells, row);
        let owner = match self.plans(pos..pos + 1)[0].placement {
            Placement::Owner(u) => u.username.clone(),
            Placement::Pool | Placement::Assign => String::new(),
        };
        let check = self.service.check_prepared(&profile, Vec::new()).await?;
        let in_db = check.matches.first();
        let in_file = self.in_file_match(&profile);
        let outcome = match (in_db, in_file) {
            (Some(m), _) if m.verdict == Verdict::Duplicate => {
                duplicate_outcome(row, &check.matches, None)
            }
            (_, Some((r, Verdict::Duplicate))) => RowOutcome {
                row,
                status: RowStatus::Duplicate,
                customer_id: None,
                matched: None,
                owner: owner.clone(),
                message: format!("duplicate of row {r} of this file"),
                warnings: String::new(),
            },
            (in_db, in_file) => {
                let n = self.index.profiles.len();
                for k in profile.index_keys() {
                    self.index.by_key.entry(k).or_default().push(n);
                }
                self.index.profiles.push((row, profile));
                let suspect = in_db
                    .map(|m| format!("looks like customer #{} ({})", m.customer_id, m.name))
                    .or_else(|| in_file.map(|(r, _)| format!("looks like row {r} of this file")));
                RowOutcome {
                    row,
                    status: if suspect.is_some() {
                        RowStatus::Suspected
                    } else {
                        RowStatus::Created
                    },
                    customer_id: None,
                    matched: in_db.map(|m| m.customer_id),
                    owner,
                    message: format!(
                        "dry run: would be created{}",
                        suspect.map(|s| format!("; {s}")).unwrap_or_default()
                    ),
                    warnings: String::new(),
                }
            }
        };
        Ok(outcome.with_warnings(warnings))
    }

    /// The closest earlier row of the file a dry run would create, if any looks alike.
    fn in_file_match(&self, p: &Profile) -> Option<(usize, Verdict)> {
        let mut seen = HashSet::new();
        let mut best: Option<(usize, Verdict, f64)> = None;
        for k in p.query_keys() {
            for &i in self.index.by_key.get(&k).into_iter().flatten() {
                if !seen.insert(i) {
                    continue;
                }
                let (row, other) = &self.index.profiles[i];
                let c = self.service.matcher.compare(p, other);
                if c.verdict != Verdict::Distinct
                    && best
                        .as_ref()
                        .is_none_or(|b| (c.verdict, c.score) > (b.1, b.2))
                {
                    best = Some((*row, c.verdict, c.score));
                }
            }
        }
        best.map(|(r, v, _)| (r, v))
    }

    /// A row's refusal in words that name the row and the column; errors that are not about
    /// the row (the database went away) stop the import.
    fn refusal(&self, e: ServiceError, cells: &[String], row: usize) -> Result<RowOutcome> {
        match e {
            ServiceError::Invalid(fields) => Ok(RowOutcome::error(
                row,
                self.file.describe(&fields, cells, row),
            )),
            ServiceError::OwnerCapReached { username, cap, .. } => Ok(RowOutcome::error(
                row,
                format!("row {row}: {username} already owns {cap} customers, the most allowed"),
            )),
            e @ (ServiceError::Unavailable(_) | ServiceError::Internal(_)) => Err(e),
            e => Ok(RowOutcome::error(row, format!("row {row}: {e}"))),
        }
    }
}

fn duplicate_outcome(row: usize, matches: &[MatchView], added: Option<&str>) -> RowOutcome {
    let m = matches.first();
    let holder = m
        .and_then(|m| m.owner.as_ref().map(|o| o.username.clone()))
        .unwrap_or_default();
    let mut outcome = RowOutcome {
        row,
        status: RowStatus::Duplicate,
        customer_id: None,
        matched: m.map(|m| m.customer_id),
        warnings: String::new(),
        message: match m {
            Some(m) if holder.is_empty() => format!(
                "duplicate of customer #{} ({}), in the public pool",
                m.customer_id, m.name
            ),
            Some(m) => format!(
                "duplicate of customer #{} ({}) owned by {holder}",
                m.customer_id, m.name
            ),
            None => "duplicate".into(),
        },
        owner: holder,
    };
    if let Some(added) = added {
        outcome.message.push_str(&format!("; kept on it: {added}"));
    }
    outcome
}

fn created_outcome(row: usize, id: Id, suspected: Option<&MatchView>, owner: &str) -> RowOutcome {
    match suspected {
        Some(m) => RowOutcome {
            row,
            status: RowStatus::Suspected,
            customer_id: Some(id),
            matched: Some(m.customer_id),
            owner: owner.to_string(),
            message: format!(
                "created; looks like customer #{} ({})",
                m.customer_id, m.name
            ),
            warnings: String::new(),
        },
        None => RowOutcome {
            row,
            status: RowStatus::Created,
            customer_id: Some(id),
            matched: None,
            owner: owner.to_string(),
            message: String::new(),
            warnings: String::new(),
        },
    }
}

fn stored_results(outcomes: &[RowOutcome]) -> Vec<leadguard_store::ImportResultRow> {
    outcomes
        .iter()
        .map(|o| leadguard_store::ImportResultRow {
            row_no: o.row as i64,
            status: o.status.as_str().to_string(),
            customer_id: o.customer_id,
            matched_customer_id: o.matched,
            owner: o.owner.clone(),
            message: o.message.clone(),
            warnings: o.warnings.clone(),
        })
        .collect()
}

fn counts(outcomes: &[RowOutcome]) -> leadguard_store::ImportCounts {
    let mut s = ImportSummary::default();
    s.add(outcomes);
    leadguard_store::ImportCounts {
        created: s.created as i64,
        duplicate: s.duplicate as i64,
        suspected: s.suspected as i64,
        errors: s.error as i64,
    }
}
