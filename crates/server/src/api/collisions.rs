//! Collision cases (撞单): the inbox, appeals, decisions, and the database scan.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use leadguard_service::views::Page;
use leadguard_service::{AppealRequest, CaseQuery, CaseView, DecideRequest, ScanReport};

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};

/// The collision inbox, newest first: admins see every case, managers their team's, reps the
/// cases they are a party to.
#[utoipa::path(get, path = "/collisions", tag = "collisions", operation_id = "list_collisions", security(("bearer" = [])),
    params(CaseQuery),
    responses(
        (status = 200, description = "A page of cases with both sides' evidence", body = Page<CaseView>),
        (status = 400, description = "`invalid_query`", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<CaseQuery>,
) -> ApiResult<Json<Page<CaseView>>> {
    Ok(Json(state.service.list_cases(&auth.user, q).await?))
}

/// Appeal a duplicate block (申诉): "I have an active deal with them".
///
/// `customer_id` is the existing customer from the 409's `matches`; `reason` is required;
/// `entry` (the blocked customer fields) is kept as evidence. Opens a case for the owner's
/// manager (admins for cross-team cases); both reps are notified.
#[utoipa::path(post, path = "/collisions", tag = "collisions", operation_id = "appeal", security(("bearer" = [])),
    request_body = AppealRequest,
    responses(
        (status = 201, description = "The case opened", body = CaseView),
        (status = 404, description = "No such customer", body = ErrorBody),
        (status = 409, description = "`in_pool` (claim it instead), `already_owner`, `case_open`, `case_decided`", body = ErrorBody),
        (status = 422, description = "`invalid_input`: no reason", body = ErrorBody),
    ))]
pub async fn appeal(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(req): ApiJson<AppealRequest>,
) -> ApiResult<(StatusCode, Json<CaseView>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.service.appeal(&auth.user, req).await?),
    ))
}

/// One case, with both sides' evidence: who entered first and when, follow-ups, deals, and
/// the match explanation.
#[utoipa::path(get, path = "/collisions/{id}", tag = "collisions", operation_id = "get_collision", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Case id")),
    responses(
        (status = 200, description = "The case", body = CaseView),
        (status = 403, description = "Not a party, not their manager", body = ErrorBody),
        (status = 404, description = "No such case", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<CaseView>> {
    Ok(Json(state.service.get_case(&auth.user, id).await?))
}

/// Decide a case (裁决): the team's manager, or an admin for cross-team cases.
///
/// `winner` is one of the two reps. The default is first-come (先录先得, `default_winner`);
/// deciding otherwise needs a `reason`. `merge: true` folds the later customer into the
/// earlier. The decision is final and audited; both reps are notified.
#[utoipa::path(post, path = "/collisions/{id}/decide", tag = "collisions", operation_id = "decide_collision", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Case id")),
    request_body = DecideRequest,
    responses(
        (status = 200, description = "The decided case", body = CaseView),
        (status = 403, description = "Not this case's decider", body = ErrorBody),
        (status = 404, description = "No such case", body = ErrorBody),
        (status = 409, description = "`already_decided`", body = ErrorBody),
        (status = 422, description = "`invalid_input`: winner not a party, reason missing, nothing to merge", body = ErrorBody),
    ))]
pub async fn decide(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<DecideRequest>,
) -> ApiResult<Json<CaseView>> {
    Ok(Json(state.service.decide_case(&auth.user, id, req).await?))
}

/// Scan the whole database (admin): a case for every pair of look-alike customers owned by
/// two different reps that has none yet.
#[utoipa::path(post, path = "/collisions/scan", tag = "collisions", operation_id = "scan_collisions", security(("bearer" = [])),
    responses(
        (status = 200, description = "How many customers were scanned, and the cases opened", body = ScanReport),
        (status = 403, description = "Admins only", body = ErrorBody),
    ))]
pub async fn scan(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<ScanReport>> {
    Ok(Json(state.service.scan_collisions(&auth.user).await?))
}
