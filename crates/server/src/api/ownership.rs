use axum::Json;
use axum::extract::State;
use leadguard_service::views::CustomerView;
use leadguard_service::{ReleaseRequest, TransferRequest};

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, Auth, OptionalJson};

/// Claim a customer from the public pool (公海).
///
/// Counts against your owner cap.
#[utoipa::path(post, path = "/customers/{id}/claim", tag = "ownership", operation_id = "claim_customer", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id")),
    responses(
        (status = 200, description = "Claimed: you own it now", body = CustomerView),
        (status = 404, description = "No such customer", body = ErrorBody),
        (status = 409, description = "`already_owned` (see `owner`) or `owner_cap_reached`", body = ErrorBody),
    ))]
pub async fn claim(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<CustomerView>> {
    Ok(Json(state.service.claim(&auth.user, id).await?))
}

/// Release a customer to the public pool.
///
/// By its owner, their manager or an admin. The body (`{"reason"}`) is optional.
#[utoipa::path(post, path = "/customers/{id}/release", tag = "ownership", operation_id = "release_customer", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id")),
    request_body(content = Option<ReleaseRequest>, description = "Optional reason"),
    responses(
        (status = 200, description = "Released to the pool", body = CustomerView),
        (status = 403, description = "Not yours to release", body = ErrorBody),
        (status = 404, description = "No such customer", body = ErrorBody),
        (status = 409, description = "`in_pool`: already in the pool", body = ErrorBody),
    ))]
pub async fn release(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    OptionalJson(req): OptionalJson<ReleaseRequest>,
) -> ApiResult<Json<CustomerView>> {
    Ok(Json(state.service.release(&auth.user, id, req).await?))
}

/// Transfer a customer to another user.
///
/// Managers within their team, admins anywhere. The new owner's cap applies.
#[utoipa::path(post, path = "/customers/{id}/transfer", tag = "ownership", operation_id = "transfer_customer", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id")),
    request_body = TransferRequest,
    responses(
        (status = 200, description = "Transferred", body = CustomerView),
        (status = 403, description = "Reps may not transfer; managers only within their team", body = ErrorBody),
        (status = 404, description = "No such customer", body = ErrorBody),
        (status = 409, description = "`already_owner` or `owner_cap_reached`", body = ErrorBody),
        (status = 422, description = "`unknown_user` or `user_inactive` (see `fields`)", body = ErrorBody),
    ))]
pub async fn transfer(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<TransferRequest>,
) -> ApiResult<Json<CustomerView>> {
    Ok(Json(state.service.transfer(&auth.user, id, req).await?))
}
