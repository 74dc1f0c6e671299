//! Reports: collisions, assignment fairness, pool health; JSON, CSV, XLSX and SVG charts.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use leadguard_service::{Report, ReportQuery, ServiceError};
use serde::Deserialize;

use crate::AppState;
use crate::charts::{Bar, bars};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiQuery, Auth};

/// The report for a period (default: the last seven days): collisions blocked, cases opened
/// and decided (median time to decide, repeat offenders), leads per rep against their fair
/// share with a Gini index, and the pool's size, age and movements. Managers get their team's.
#[utoipa::path(get, path = "/reports", tag = "reports", operation_id = "report", security(("bearer" = [])),
    params(ReportQuery),
    responses(
        (status = 200, description = "The report", body = Report),
        (status = 403, description = "Reps", body = ErrorBody),
        (status = 422, description = "`invalid_input`: a bad date", body = ErrorBody),
    ))]
pub async fn report(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Json<Report>> {
    Ok(Json(state.service.report(&auth.user, q).await?))
}

/// The report behind a download or a chart (same period and team parameters as `/reports`).
async fn report_for(
    state: &AppState,
    auth: &Auth,
    from: Option<String>,
    to: Option<String>,
    team: Option<String>,
) -> ApiResult<Report> {
    Ok(state
        .service
        .report(&auth.user, ReportQuery { from, to, team })
        .await?)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DownloadQuery {
    /// `csv` or `xlsx`.
    pub format: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub team: Option<String>,
}

/// The report as a file: `format=xlsx` (a sheet per section) or `format=csv` (UTF-8 with BOM).
#[utoipa::path(get, path = "/reports/download", tag = "reports", operation_id = "download_report", security(("bearer" = [])),
    params(DownloadQuery),
    responses(
        (status = 200, description = "The file", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 400, description = "`invalid_query`: unknown format", body = ErrorBody),
        (status = 403, description = "Reps", body = ErrorBody),
    ))]
pub async fn download(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<DownloadQuery>,
) -> ApiResult<Response> {
    let report = report_for(&state, &auth, q.from, q.to, q.team).await?;
    let sheets = report.sheets();
    let (bytes, mime, ext) = match q.format.as_str() {
        "xlsx" => (
            leadguard_tabular::xlsx_bytes(&sheets),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        "csv" => (
            leadguard_tabular::csv_bytes(&sheets),
            "text/csv; charset=utf-8",
            "csv",
        ),
        other => {
            return Err(ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "invalid_query",
                format!("format must be csv or xlsx, not “{other}”"),
            ));
        }
    };
    let bytes = bytes.map_err(|e| ApiError::from(ServiceError::Internal(e.to_string())))?;
    let filename = format!("leadguard-report-{}-{}.{ext}", report.from, report.to);
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ChartQuery {
    /// `collision_trend`, `blocked_by_rep`, `blocked_by_reason`, `cases_by_origin`,
    /// `fairness` or `pool`.
    pub chart: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub team: Option<String>,
}

fn count_bars(list: &[leadguard_service::Count]) -> Vec<Bar> {
    list.iter()
        .map(|c| Bar {
            label: c.key.clone(),
            value: c.count as f64,
            marker: None,
        })
        .collect()
}

/// A chart of the report as SVG, drawn on the server.
#[utoipa::path(get, path = "/reports/chart", tag = "reports", operation_id = "report_chart", security(("bearer" = [])),
    params(ChartQuery),
    responses(
        (status = 200, description = "image/svg+xml", content_type = "image/svg+xml", body = String),
        (status = 400, description = "`invalid_query`: unknown chart", body = ErrorBody),
    ))]
pub async fn chart(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<ChartQuery>,
) -> ApiResult<Response> {
    let r = report_for(&state, &auth, q.from, q.to, q.team).await?;
    let c = &r.collisions;
    let (title, data) = match q.chart.as_str() {
        "collision_trend" => (
            "撞单拦截趋势 / duplicates blocked per day",
            count_bars(&c.blocked_by_day),
        ),
        "blocked_by_rep" => (
            "撞单拦截（按销售） / blocked by rep",
            count_bars(&c.blocked_by_rep),
        ),
        "blocked_by_reason" => ("撞单依据 / match reasons", count_bars(&c.blocked_by_reason)),
        "cases_by_origin" => (
            "撞单裁决来源 / cases by origin",
            count_bars(&c.cases_by_origin),
        ),
        "fairness" => (
            "分配公平（红线为目标） / leads per rep, red: fair share",
            r.fairness
                .per_rep
                .iter()
                .map(|p| Bar {
                    label: p.display_name.clone(),
                    value: p.leads as f64,
                    marker: Some(p.target),
                })
                .collect(),
        ),
        "pool" => (
            "公海流动 / pool movements",
            [
                ("领取 claims", r.pool.claims),
                ("退回 releases", r.pool.releases),
                ("回收 recycles", r.pool.recycles),
                ("预警 warnings", r.pool.warnings),
                ("公海客户 in pool", r.pool.size),
            ]
            .into_iter()
            .map(|(l, v)| Bar {
                label: l.to_string(),
                value: v as f64,
                marker: None,
            })
            .collect(),
        ),
        other => {
            return Err(ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "invalid_query",
                format!(
                    "unknown chart “{other}”: collision_trend, blocked_by_rep, blocked_by_reason, cases_by_origin, fairness or pool"
                ),
            ));
        }
    };
    Ok((
        [(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")],
        bars(title, &data),
    )
        .into_response())
}
