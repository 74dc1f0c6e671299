use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use leadguard_service::{Deal, DealInput};

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, Auth};

/// Record a deal (商机) on a customer you may change; a won deal resets the "no deal" clock.
#[utoipa::path(post, path = "/customers/{id}/deals", tag = "deals", operation_id = "add_deal", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id")),
    request_body = DealInput,
    responses(
        (status = 201, description = "Recorded", body = Deal),
        (status = 403, description = "Not your customer", body = ErrorBody),
        (status = 404, description = "No such customer", body = ErrorBody),
        (status = 422, description = "Invalid title or amount", body = ErrorBody),
    ))]
pub async fn add(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<DealInput>,
) -> ApiResult<(StatusCode, Json<Deal>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.service.add_deal(&auth.user, id, input).await?),
    ))
}

/// Deals of a customer.
#[utoipa::path(get, path = "/customers/{id}/deals", tag = "deals", operation_id = "list_deals", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id")),
    responses(
        (status = 200, description = "Deals, oldest first", body = Vec<Deal>),
        (status = 403, description = "Not your customer", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<Deal>>> {
    Ok(Json(state.service.list_deals(&auth.user, id).await?))
}

/// Change a deal (e.g. mark it won).
#[utoipa::path(put, path = "/deals/{id}", tag = "deals", operation_id = "update_deal", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Deal id")),
    request_body = DealInput,
    responses(
        (status = 200, description = "The changed deal", body = Deal),
        (status = 403, description = "Not your customer", body = ErrorBody),
        (status = 404, description = "No such deal", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<DealInput>,
) -> ApiResult<Json<Deal>> {
    Ok(Json(
        state.service.update_deal(&auth.user, id, input).await?,
    ))
}
