//! Imports through the API: upload a CSV or XLSX file, follow its progress, download the
//! result of every row. The rows are worked in the background by any server on the database.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use leadguard_service::followup_import::{FollowupImportReport, FollowupImportRequest};
use leadguard_service::{ImportJobView, ImportRequest, MAX_IMPORT_BYTES};
use serde::Deserialize;

use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery, Auth};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// The file's name; its extension (`.csv`, `.xlsx`) tells how to read it.
    pub filename: String,
    /// Username of the rep who will own the customers (default: you). Managers import for
    /// their team, admins for anyone.
    pub owner: Option<String>,
    /// Check every row and report, but save nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Rows the file gives no owner (every row, if it has no owner column: 负责人, 销售,
    /// owner) go to the public pool. Managers and admins.
    #[serde(default)]
    pub to_pool: bool,
    /// Rows the file gives no owner go to reps by the assignment rules, as inbound leads
    /// would. Managers and admins.
    #[serde(default)]
    pub assign: bool,
    /// Rows may take their owner over the cap (an admin's migration).
    #[serde(default)]
    pub ignore_cap: bool,
    /// Column meanings where a header is not recognized: `col=field,…` (as
    /// `leadguard import --mapping`).
    pub mapping: Option<String>,
}

/// Uploads a customer file (the request body: CSV in UTF-8, UTF-8 with BOM or GB18030/GBK, or
/// XLSX) and queues it. The file is read and its columns checked at once; the rows are then
/// checked and saved in the background in batches (each row against the database and the rows
/// before it). Follow `GET /imports/{id}`; the result of every row is at
/// `GET /imports/{id}/result`.
///
/// A file with an owner column (负责人, 销售, owner: username or display name) gives each row to
/// the rep it names, among you and the reps you manage (an admin: anyone); other rows go to
/// `owner`, the pool (`to_pool`) or the rules (`assign`). An admin's upload is a migration:
/// its entry times (创建时间, created at) become the customers' created-at and owned-since,
/// earliest rows first, and rows of one company given to another rep open collision cases.
#[utoipa::path(post, path = "/imports", tag = "imports", operation_id = "upload_import", security(("bearer" = [])),
    params(UploadQuery),
    request_body(content = Vec<u8>, description = "The file", content_type = "application/octet-stream"),
    responses(
        (status = 202, description = "Queued; `Location` is the job", body = ImportJobView),
        (status = 403, description = "`forbidden`: importing for someone you do not manage; the pool or the rules as a rep; past the cap as anyone but an admin", body = ErrorBody),
        (status = 413, description = "`too_large`: the file is larger than the server accepts", body = ErrorBody),
        (status = 422, description = "`invalid_input`: unreadable file, no rows, bad mapping, unknown or deactivated owner", body = ErrorBody),
    ))]
pub async fn upload(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<UploadQuery>,
    body: Body,
) -> ApiResult<Response> {
    let body = read_upload(body).await?;
    let mapping = mapping_list(q.mapping.as_deref());
    let job = state
        .service
        .submit_import(
            &auth.user,
            ImportRequest {
                file_name: q.filename,
                file: body.to_vec(),
                owner: q.owner,
                mapping,
                dry_run: q.dry_run,
                to_pool: q.to_pool,
                assign: q.assign,
                ignore_cap: q.ignore_cap,
            },
        )
        .await?;
    let mut headers = HeaderMap::new();
    if let Ok(v) = format!("/api/v1/imports/{}", job.id).parse() {
        headers.insert(header::LOCATION, v);
    }
    Ok((StatusCode::ACCEPTED, headers, Json(job)).into_response())
}

/// Your import jobs (a manager's: their team's; an admin's: everyone's), newest first.
#[utoipa::path(get, path = "/imports", tag = "imports", operation_id = "list_imports", security(("bearer" = [])),
    responses((status = 200, description = "Jobs", body = [ImportJobView])))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
) -> ApiResult<Json<Vec<ImportJobView>>> {
    Ok(Json(state.service.list_import_jobs(&auth.user).await?))
}

/// A job's progress: status (`queued`, `running`, `done`, `failed`), rows done of the total,
/// and the counts so far.
#[utoipa::path(get, path = "/imports/{id}", tag = "imports", operation_id = "get_import", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Job id")),
    responses(
        (status = 200, description = "The job", body = ImportJobView),
        (status = 404, description = "`not_found`: no such job, or not yours to see", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ImportJobView>> {
    Ok(Json(state.service.import_job(&auth.user, id).await?))
}

/// The result file: one line per row done so far (all rows once the job is done), columns
/// `row,status,customer_id,matched_customer_id,owner,message` as `leadguard import` writes;
/// CSV in UTF-8 with a BOM.
#[utoipa::path(get, path = "/imports/{id}/result", tag = "imports", operation_id = "import_result", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Job id")),
    responses(
        (status = 200, description = "text/csv", content_type = "text/csv", body = String),
        (status = 404, description = "`not_found`", body = ErrorBody),
    ))]
pub async fn result(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let bytes = state.service.import_result_csv(&auth.user, id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"leadguard-import-{id}-result.csv\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FollowupUploadQuery {
    /// The file's name; its extension (`.csv`, `.xlsx`) tells how to read it.
    pub filename: String,
    /// Username that writes the rows whose author is no Leadguard user (the name from the
    /// file is kept in the note). Default: you.
    pub author: Option<String>,
    /// Match every row and report, but save nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Column meanings where a header is not recognized: `col=field,…` (as
    /// `leadguard import-followups --mapping`).
    pub mapping: Option<String>,
}

/// Imports follow-up history (跟进记录; the request body: CSV in UTF-8, UTF-8 with BOM or
/// GB18030/GBK, or XLSX) onto customers already in Leadguard, found by their id in the old CRM,
/// credit code, phone or exact name. Answers when every row is done, with the outcome of each:
/// `created`, `duplicate` (already imported: a rerun creates nothing), `unmatched` (no customer,
/// or several, with the reason) or `error` (naming the row and the column). Admins; managers
/// for customers their team owns.
#[utoipa::path(post, path = "/imports/followups", tag = "imports", operation_id = "import_followups", security(("bearer" = [])),
    params(FollowupUploadQuery),
    request_body(content = Vec<u8>, description = "The file", content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "Every row's outcome", body = FollowupImportReport),
        (status = 403, description = "`forbidden`: reps do not import history", body = ErrorBody),
        (status = 413, description = "`too_large`: the file is larger than the server accepts", body = ErrorBody),
        (status = 422, description = "`invalid_input`: unreadable file, no column naming the customer, bad mapping, unknown author", body = ErrorBody),
    ))]
pub async fn upload_followups(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<FollowupUploadQuery>,
    body: Body,
) -> ApiResult<Json<FollowupImportReport>> {
    let body = read_upload(body).await?;
    let mapping = mapping_list(q.mapping.as_deref());
    Ok(Json(
        state
            .service
            .import_followups(
                &auth.user,
                FollowupImportRequest {
                    file_name: q.filename,
                    file: body.to_vec(),
                    mapping,
                    author: q.author,
                    dry_run: q.dry_run,
                },
            )
            .await?,
    ))
}

/// An uploaded file, read here with the import limit (the server-wide body limit is for JSON
/// requests).
async fn read_upload(body: Body) -> ApiResult<axum::body::Bytes> {
    axum::body::to_bytes(body, MAX_IMPORT_BYTES)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("the file is larger than {MAX_IMPORT_BYTES} bytes; split it"),
            )
        })
}

/// `col=field,…` as given in the query, each override trimmed.
fn mapping_list(mapping: Option<&str>) -> Vec<String> {
    mapping
        .map(|m| {
            m.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}
