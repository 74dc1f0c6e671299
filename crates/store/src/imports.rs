//! Import jobs submitted through the API: the file, the progress, and every row's result.
//! A job is worked by one server at a time under a lease; a server that dies mid-job leaves
//! the lease to expire and another (or the restarted one) carries on after the last batch
//! whose results were committed.

use leadguard_domain::{Id, Timestamp};

use crate::Result;
use crate::exec::{Exec, on_backend};

pub struct NewImportJob<'a> {
    pub created_by: Id,
    pub owner_id: Id,
    pub file_name: &'a str,
    pub file: &'a [u8],
    /// JSON array of `col=field` overrides.
    pub mapping: &'a str,
    pub dry_run: bool,
    pub total_rows: i64,
    pub now: Timestamp,
    /// Where rows the file gives no owner go: `owner`, `pool` or `assign`.
    pub placement: &'a str,
    pub ignore_cap: bool,
}

/// A job as listed (without its file).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ImportJobRow {
    pub id: Id,
    pub created_by: Id,
    pub owner_id: Id,
    pub file_name: String,
    pub mapping: String,
    pub dry_run: bool,
    pub status: String,
    pub total_rows: i64,
    pub rows_done: i64,
    pub created: i64,
    pub duplicate: i64,
    pub suspected: i64,
    pub errors: i64,
    pub message: Option<String>,
    pub created_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    pub placement: String,
    pub ignore_cap: bool,
}

/// One row's result, as in the result file.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ImportResultRow {
    pub row_no: i64,
    pub status: String,
    pub customer_id: Option<Id>,
    pub matched_customer_id: Option<Id>,
    pub owner: String,
    pub message: String,
    pub warnings: String,
}

/// Counts of a batch's results, added to the job's.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportCounts {
    pub created: i64,
    pub duplicate: i64,
    pub suspected: i64,
    pub errors: i64,
}

const JOB_COLUMNS: &str =
    "id, created_by, owner_id, file_name, mapping, dry_run, status, total_rows, rows_done,
     created, duplicate, suspected, errors, message, created_at, started_at, finished_at,
     placement, ignore_cap";

impl Exec<'_> {
    pub async fn insert_import_job(&mut self, j: &NewImportJob<'_>) -> Result<Id> {
        Ok(on_backend!(self, c => sqlx::query_scalar::<_, i64>(
            "INSERT INTO import_jobs (created_by, owner_id, file_name, file, mapping, dry_run, status,
                 total_rows, created_at, placement, ignore_cap)
             VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $8, $9, $10) RETURNING id",
        )
        .bind(j.created_by)
        .bind(j.owner_id)
        .bind(j.file_name)
        .bind(j.file)
        .bind(j.mapping)
        .bind(j.dry_run)
        .bind(j.total_rows)
        .bind(j.now)
        .bind(j.placement)
        .bind(j.ignore_cap)
        .fetch_one(&mut **c)
        .await)?)
    }

    pub async fn import_job(&mut self, id: Id) -> Result<Option<ImportJobRow>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM import_jobs WHERE id = $1");
        Ok(
            on_backend!(self, c => sqlx::query_as::<_, ImportJobRow>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(id)
            .fetch_optional(&mut **c)
            .await)?,
        )
    }

    /// Jobs newest first; `owners`: only jobs owned by or submitted by these users.
    pub async fn list_import_jobs(
        &mut self,
        owners: Option<&[Id]>,
        limit: i64,
    ) -> Result<Vec<ImportJobRow>> {
        let rows = on_backend!(self, c => {
            let mut qb = sqlx::QueryBuilder::new(format!("SELECT {JOB_COLUMNS} FROM import_jobs"));
            if let Some(owners) = owners {
                if owners.is_empty() {
                    return Ok(Vec::new());
                }
                qb.push(" WHERE owner_id IN (");
                let mut sep = qb.separated(", ");
                for id in owners {
                    sep.push_bind(*id);
                }
                qb.push(") OR created_by IN (");
                let mut sep = qb.separated(", ");
                for id in owners {
                    sep.push_bind(*id);
                }
                qb.push(")");
            }
            qb.push(" ORDER BY id DESC LIMIT ").push_bind(limit);
            qb.build_query_as::<ImportJobRow>().fetch_all(&mut **c).await
        })?;
        Ok(rows)
    }

    pub async fn import_job_file(&mut self, id: Id) -> Result<Option<Vec<u8>>> {
        Ok(on_backend!(self, c => sqlx::query_scalar::<_, Vec<u8>>(
            "SELECT file FROM import_jobs WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut **c)
        .await)?)
    }

    /// Takes the oldest job that is queued, or running under an expired lease (its server
    /// died), leasing it until `lease_until`.
    pub async fn claim_import_job(
        &mut self,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Option<Id>> {
        let lock = match self {
            Exec::Postgres(_) => " FOR UPDATE SKIP LOCKED",
            Exec::Sqlite(_) => "",
        };
        let sql = format!(
            "UPDATE import_jobs SET status = 'running', lease_until = $1,
                 started_at = COALESCE(started_at, $2)
             WHERE id = (SELECT id FROM import_jobs
                         WHERE status = 'queued' OR (status = 'running' AND lease_until < $2)
                         ORDER BY id LIMIT 1{lock})
             RETURNING id"
        );
        Ok(
            on_backend!(self, c => sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(lease_until)
            .bind(now)
            .fetch_optional(&mut **c)
            .await)?,
        )
    }

    /// Records a batch's results and moves the job on: in the caller's transaction, so the
    /// progress holds exactly when the batch does.
    pub async fn record_import_batch(
        &mut self,
        id: Id,
        results: &[ImportResultRow],
        counts: ImportCounts,
        lease_until: Timestamp,
    ) -> Result<()> {
        for chunk in results.chunks(1000) {
            on_backend!(self, c => {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO import_results (job_id, row_no, status, customer_id, matched_customer_id, owner, message, warnings) ",
                );
                qb.push_values(chunk, |mut b, r| {
                    b.push_bind(id)
                        .push_bind(r.row_no)
                        .push_bind(r.status.clone())
                        .push_bind(r.customer_id)
                        .push_bind(r.matched_customer_id)
                        .push_bind(r.owner.clone())
                        .push_bind(r.message.clone())
                        .push_bind(r.warnings.clone());
                });
                qb.build().execute(&mut **c).await.map(|_| ())
            })?;
        }
        on_backend!(self, c => sqlx::query(
            "UPDATE import_jobs SET rows_done = rows_done + $1, created = created + $2,
                 duplicate = duplicate + $3, suspected = suspected + $4, errors = errors + $5,
                 lease_until = $6
             WHERE id = $7",
        )
        .bind(results.len() as i64)
        .bind(counts.created)
        .bind(counts.duplicate)
        .bind(counts.suspected)
        .bind(counts.errors)
        .bind(lease_until)
        .bind(id)
        .execute(&mut **c)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// Forgets a job's results (a dry run taken over after a crash starts again: what it
    /// would create lives only in the memory of the server that died).
    pub async fn restart_import_job(&mut self, id: Id) -> Result<()> {
        on_backend!(self, c => sqlx::query("DELETE FROM import_results WHERE job_id = $1")
            .bind(id).execute(&mut **c).await.map(|_| ()))?;
        on_backend!(self, c => sqlx::query(
            "UPDATE import_jobs SET rows_done = 0, created = 0, duplicate = 0, suspected = 0, errors = 0
             WHERE id = $1",
        )
        .bind(id).execute(&mut **c).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn finish_import_job(
        &mut self,
        id: Id,
        status: &str,
        message: Option<&str>,
        now: Timestamp,
    ) -> Result<()> {
        on_backend!(self, c => sqlx::query(
            "UPDATE import_jobs SET status = $1, message = $2, finished_at = $3, lease_until = NULL
             WHERE id = $4",
        )
        .bind(status)
        .bind(message)
        .bind(now)
        .bind(id)
        .execute(&mut **c)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// Results in row order, from row `after + 1`.
    pub async fn import_results(
        &mut self,
        id: Id,
        after: i64,
        limit: i64,
    ) -> Result<Vec<ImportResultRow>> {
        Ok(on_backend!(self, c => sqlx::query_as::<_, ImportResultRow>(
            "SELECT row_no, status, customer_id, matched_customer_id, owner, message, warnings
             FROM import_results WHERE job_id = $1 AND row_no > $2 ORDER BY row_no LIMIT $3",
        )
        .bind(id)
        .bind(after)
        .bind(limit)
        .fetch_all(&mut **c)
        .await)?)
    }
}
