//! Imports through the API: a file is uploaded, read and checked at once (a file that cannot
//! be read, a bad mapping or an owner the uploader may not import for is refused before
//! anything is queued), then worked through in the background by any server, batch by batch,
//! each batch's results committed with its rows. Progress and results are in the database,
//! so every server answers for every job, and a job whose server died is taken over.

use chrono::{DateTime, Duration, Utc};
use leadguard_domain::Id;
use leadguard_domain::user::{Role, User};
use leadguard_store::{ImportJobRow, NewImportJob};
use serde::Serialize;

use crate::Service;
use crate::error::{Result, ServiceError};
use crate::import::{BATCH_ROWS, ImportFile, Importer, RESULT_HEADER};
use crate::migration::{DefaultOwner, ImportOptions};

/// Largest upload accepted (about a million rows of a typical CRM export).
pub const MAX_IMPORT_BYTES: usize = 256 * 1024 * 1024;

/// How long a server may hold a job without committing a batch before another takes it over
/// (a batch takes about a second; a server killed mid-job delays its job by this much).
const LEASE_SECS: i64 = 30;

/// An import job as its uploader, its owner and their managers see it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportJobView {
    pub id: Id,
    pub file_name: String,
    /// Who will own the created customers.
    pub owner: String,
    pub submitted_by: String,
    pub dry_run: bool,
    /// `queued`, `running`, `done` or `failed`.
    pub status: String,
    pub total_rows: i64,
    pub rows_done: i64,
    /// `created N, duplicate N, suspected N, error N` so far.
    pub created: i64,
    pub duplicate: i64,
    pub suspected: i64,
    pub errors: i64,
    /// Why a job failed.
    pub message: Option<String>,
    /// Where rows the file gives no owner go: `owner` (the job's owner), `pool` or `assign`
    /// (the assignment rules).
    pub placement: String,
    /// Rows may take their owner over the cap (an admin's migration).
    pub ignore_cap: bool,
    pub mapping: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// What an upload asks for.
pub struct ImportRequest {
    pub file_name: String,
    pub file: Vec<u8>,
    /// Username of the rep who will own the customers (default: the uploader).
    pub owner: Option<String>,
    pub mapping: Vec<String>,
    pub dry_run: bool,
    /// Rows the file gives no owner go to the public pool (managers and admins).
    pub to_pool: bool,
    /// Rows the file gives no owner go through the assignment rules (managers and admins).
    pub assign: bool,
    /// Rows may take their owner over the cap (admins).
    pub ignore_cap: bool,
}

impl Service {
    /// Resolves when this process queues an import job (the import worker waits on it).
    pub async fn import_queued(&self) {
        self.import_queued.notified().await
    }

    pub(crate) fn import_lease_until(&self) -> DateTime<Utc> {
        self.now() + Duration::seconds(LEASE_SECS)
    }

    /// Reads and checks an upload and queues it.
    pub async fn submit_import(&self, actor: &User, req: ImportRequest) -> Result<ImportJobView> {
        if req.file.len() > MAX_IMPORT_BYTES {
            return Err(ServiceError::invalid(
                "file",
                "too_large",
                format!(
                    "the file has {} bytes; at most {MAX_IMPORT_BYTES} are accepted, split it",
                    req.file.len()
                ),
            ));
        }
        let name = req.file_name.trim();
        if name.is_empty() {
            return Err(ServiceError::invalid(
                "file_name",
                "required",
                "name the file (e.g. customers.xlsx): its extension tells CSV from XLSX",
            ));
        }
        let table = leadguard_tabular::read_bytes(name, &req.file)
            .map_err(|e| ServiceError::invalid("file", "unreadable", e.to_string()))?;
        if table.rows.is_empty() {
            return Err(ServiceError::invalid(
                "file",
                "empty",
                "the file has a header but no rows",
            ));
        }
        let total = table.rows.len() as i64;
        ImportFile::new(table, &req.mapping)?;
        let mut conn = self.store.read().await?;
        let owner = match req.owner.as_deref().map(str::trim) {
            None | Some("") => actor.clone(),
            Some(username) => conn
                .exec()
                .user_by_username(username)
                .await?
                .ok_or_else(|| {
                    ServiceError::invalid(
                        "owner",
                        "unknown_user",
                        format!("there is no user named {username}"),
                    )
                })?,
        };
        drop(conn);
        if !owner.active {
            return Err(ServiceError::invalid(
                "owner",
                "inactive",
                format!("{} is deactivated and cannot own customers", owner.username),
            ));
        }
        if owner.id != actor.id && !actor.manages(&owner) {
            return Err(ServiceError::forbidden(
                "you may import customers for yourself, or as a manager for your team",
            ));
        }
        let placement = match (req.to_pool, req.assign) {
            (true, true) => {
                return Err(ServiceError::invalid(
                    "to_pool",
                    "conflict",
                    "rows without an owner go to the pool or through the rules, not both",
                ));
            }
            (true, false) => "pool",
            (false, true) => "assign",
            (false, false) => "owner",
        };
        if placement != "owner" && actor.role == Role::Rep {
            return Err(ServiceError::forbidden(
                "only managers and admins may import into the public pool or through the assignment rules",
            ));
        }
        if req.ignore_cap && !actor.is_admin() {
            return Err(ServiceError::forbidden(
                "only an admin may import past a rep's cap",
            ));
        }
        let mapping = serde_json::to_string(&req.mapping)
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let mut tx = self.store.begin().await?;
        let id = tx
            .exec()
            .insert_import_job(&NewImportJob {
                created_by: actor.id,
                owner_id: owner.id,
                file_name: name,
                file: &req.file,
                mapping: &mapping,
                dry_run: req.dry_run,
                total_rows: total,
                now: self.now(),
                placement,
                ignore_cap: req.ignore_cap,
            })
            .await?;
        tx.commit().await?;
        self.import_queued.notify_one();
        tracing::info!(job = id, actor = %actor.username, owner = %owner.username, rows = total, "import queued");
        self.import_job(actor, id).await
    }

    pub async fn import_job(&self, actor: &User, id: Id) -> Result<ImportJobView> {
        let mut conn = self.store.read().await?;
        let mut exec = conn.exec();
        let job = exec
            .import_job(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "import job" })?;
        let owner = exec.user_by_id(job.owner_id).await?;
        let by = exec.user_by_id(job.created_by).await?;
        let visible = actor.id == job.created_by
            || actor.id == job.owner_id
            || owner.as_ref().is_some_and(|o| actor.manages(o));
        if !visible {
            return Err(ServiceError::NotFound { what: "import job" });
        }
        Ok(view(job, owner.as_ref(), by.as_ref()))
    }

    /// The actor's jobs (a manager's: their team's; an admin's: all), newest first.
    pub async fn list_import_jobs(&self, actor: &User) -> Result<Vec<ImportJobView>> {
        let mut conn = self.store.read().await?;
        let mut exec = conn.exec();
        let users = exec.list_users(None).await?;
        let ids: Option<Vec<Id>> = match actor.role {
            Role::Admin => None,
            _ => Some(
                users
                    .iter()
                    .filter(|u| u.id == actor.id || actor.manages(u))
                    .map(|u| u.id)
                    .collect(),
            ),
        };
        let jobs = exec.list_import_jobs(ids.as_deref(), 200).await?;
        let by_id = |id: Id| users.iter().find(|u| u.id == id);
        Ok(jobs
            .into_iter()
            .map(|j| {
                let (o, b) = (by_id(j.owner_id), by_id(j.created_by));
                view(j, o, b)
            })
            .collect())
    }

    /// The result file so far (all of it once the job is done): CSV, UTF-8 with a BOM so that
    /// Excel shows the Chinese, the same columns as `leadguard import` writes.
    pub async fn import_result_csv(&self, actor: &User, id: Id) -> Result<Vec<u8>> {
        self.import_job(actor, id).await?;
        let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
        let internal = |e: csv::Error| ServiceError::Internal(e.to_string());
        w.write_record(RESULT_HEADER).map_err(internal)?;
        let mut conn = self.store.read().await?;
        let mut after = 0;
        loop {
            let rows = conn.exec().import_results(id, after, 5000).await?;
            let Some(last) = rows.last() else { break };
            after = last.row_no;
            for r in rows {
                w.write_record([
                    r.row_no.to_string(),
                    r.status,
                    r.customer_id.map(|x| x.to_string()).unwrap_or_default(),
                    r.matched_customer_id
                        .map(|x| x.to_string())
                        .unwrap_or_default(),
                    r.owner,
                    r.message,
                    r.warnings,
                ])
                .map_err(internal)?;
            }
        }
        w.into_inner()
            .map_err(|e| ServiceError::Internal(e.to_string()))
    }

    /// Takes the next job that is queued (or whose server died) and works it to the end.
    /// Returns the job's id, or `None` when there was nothing to do. A database failure
    /// leaves the job to be taken over after its lease.
    pub async fn run_next_import_job(&self) -> Result<Option<Id>> {
        let claimed = {
            let mut tx = self.store.begin().await?;
            let id = tx
                .exec()
                .claim_import_job(self.now(), self.import_lease_until())
                .await?;
            tx.commit().await?;
            id
        };
        let Some(id) = claimed else { return Ok(None) };
        match self.work_import_job(id).await {
            Ok(()) => {}
            Err(e @ (ServiceError::Unavailable(_) | ServiceError::Internal(_))) => {
                tracing::warn!(job = id, error = %e, "import job interrupted; it resumes after its lease");
                return Err(e);
            }
            Err(e) => {
                tracing::warn!(job = id, error = %e, "import job failed");
                let mut tx = self.store.begin().await?;
                tx.exec()
                    .finish_import_job(id, "failed", Some(&e.to_string()), self.now())
                    .await?;
                tx.commit().await?;
            }
        }
        Ok(Some(id))
    }

    async fn work_import_job(&self, id: Id) -> Result<()> {
        let (job, file, owner, by) = {
            let mut conn = self.store.read().await?;
            let mut exec = conn.exec();
            let job = exec
                .import_job(id)
                .await?
                .ok_or(ServiceError::NotFound { what: "import job" })?;
            let file = exec
                .import_job_file(id)
                .await?
                .ok_or(ServiceError::NotFound { what: "import job" })?;
            let owner = exec
                .user_by_id(job.owner_id)
                .await?
                .ok_or(ServiceError::NotFound { what: "user" })?;
            let by = exec
                .user_by_id(job.created_by)
                .await?
                .ok_or(ServiceError::NotFound { what: "user" })?;
            (job, file, owner, by)
        };
        if !owner.active {
            return Err(ServiceError::invalid(
                "owner",
                "inactive",
                format!("{} was deactivated", owner.username),
            ));
        }
        let mapping: Vec<String> = serde_json::from_str(&job.mapping).unwrap_or_default();
        let table = leadguard_tabular::read_bytes(&job.file_name, &file)
            .map_err(|e| ServiceError::invalid("file", "unreadable", e.to_string()))?;
        drop(file);
        let import = ImportFile::new(table, &mapping)?;
        let mut start = job.rows_done.max(0) as usize;
        if job.dry_run && start > 0 {
            // What earlier rows of a dry run would create was in the memory of the server
            // that died: start again.
            let mut tx = self.store.begin().await?;
            tx.exec().restart_import_job(id).await?;
            tx.commit().await?;
            start = 0;
        }
        self.refresh_population().await?;
        // The uploader's rights decide whom the file may name as owners, and whether its entry
        // times count (an administrator's migration).
        let options = ImportOptions {
            migration: by.is_admin(),
            actor: by,
            default: match job.placement.as_str() {
                "pool" => DefaultOwner::Pool,
                "assign" => DefaultOwner::Assign,
                _ => DefaultOwner::Rep(owner),
            },
            ignore_cap: job.ignore_cap,
        };
        let mut importer = Importer::migrate(self, options, &import, job.dry_run).await?;
        let total = import.rows.len();
        while start < total {
            let end = (start + BATCH_ROWS).min(total);
            importer.job_batch(id, start, end).await?;
            start = end;
        }
        let mut tx = self.store.begin().await?;
        tx.exec()
            .finish_import_job(id, "done", None, self.now())
            .await?;
        tx.commit().await?;
        tracing::info!(job = id, rows = total, "import done");
        Ok(())
    }
}

fn view(j: ImportJobRow, owner: Option<&User>, by: Option<&User>) -> ImportJobView {
    ImportJobView {
        id: j.id,
        file_name: j.file_name,
        owner: owner.map(|u| u.username.clone()).unwrap_or_default(),
        submitted_by: by.map(|u| u.username.clone()).unwrap_or_default(),
        dry_run: j.dry_run,
        status: j.status,
        total_rows: j.total_rows,
        rows_done: j.rows_done,
        created: j.created,
        duplicate: j.duplicate,
        suspected: j.suspected,
        errors: j.errors,
        message: j.message,
        placement: j.placement,
        ignore_cap: j.ignore_cap,
        mapping: serde_json::from_str(&j.mapping).unwrap_or_default(),
        created_at: j.created_at,
        started_at: j.started_at,
        finished_at: j.finished_at,
    }
}
