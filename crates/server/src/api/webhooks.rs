use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use leadguard_service::{DeliveryView, WebhookInput, WebhookView};

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, Auth};

/// Register a webhook (admin): generic JSON signed with HMAC-SHA256, or a WeCom, DingTalk or
/// Feishu group robot.
#[utoipa::path(post, path = "/webhooks", tag = "webhooks", operation_id = "create_webhook", security(("bearer" = [])),
    request_body = WebhookInput,
    responses(
        (status = 201, description = "Registered", body = WebhookView),
        (status = 403, description = "Admins only", body = ErrorBody),
        (status = 422, description = "Invalid name or URL", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(w): ApiJson<WebhookInput>,
) -> ApiResult<(StatusCode, Json<WebhookView>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.service.create_webhook(&auth.user, w).await?),
    ))
}

#[utoipa::path(get, path = "/webhooks", tag = "webhooks", operation_id = "list_webhooks", security(("bearer" = [])),
    responses(
        (status = 200, description = "All webhooks", body = Vec<WebhookView>),
        (status = 403, description = "Admins only", body = ErrorBody),
    ))]
pub async fn list(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<WebhookView>>> {
    Ok(Json(state.service.list_webhooks(&auth.user).await?))
}

/// Replace a webhook's settings (an absent `secret` keeps the old one, `""` removes it).
#[utoipa::path(put, path = "/webhooks/{id}", tag = "webhooks", operation_id = "update_webhook", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Webhook id")),
    request_body = WebhookInput,
    responses(
        (status = 200, description = "The webhook", body = WebhookView),
        (status = 404, description = "No such webhook", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(w): ApiJson<WebhookInput>,
) -> ApiResult<Json<WebhookView>> {
    Ok(Json(state.service.update_webhook(&auth.user, id, w).await?))
}

#[utoipa::path(delete, path = "/webhooks/{id}", tag = "webhooks", operation_id = "delete_webhook", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Webhook id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such webhook", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    state.service.delete_webhook(&auth.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The latest deliveries of a webhook: status, attempts, last error.
#[utoipa::path(get, path = "/webhooks/{id}/deliveries", tag = "webhooks", operation_id = "list_deliveries", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Webhook id")),
    responses(
        (status = 200, description = "Newest first", body = Vec<DeliveryView>),
        (status = 404, description = "No such webhook", body = ErrorBody),
    ))]
pub async fn deliveries(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<DeliveryView>>> {
    Ok(Json(
        state.service.webhook_deliveries(&auth.user, id).await?,
    ))
}
