use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use leadguard_domain::followup::FollowUp;
use leadguard_service::NewFollowUp;
use leadguard_service::views::Page;
use serde::Deserialize;

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// 1 to 200; default 50.
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Log a follow-up.
///
/// A call, visit, message, email, meeting or note on a customer you may change.
#[utoipa::path(post, path = "/customers/{id}/followups", tag = "follow-ups", operation_id = "add_followup", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id")),
    request_body = NewFollowUp,
    responses(
        (status = 201, description = "Logged", body = FollowUp),
        (status = 403, description = "Not your customer", body = ErrorBody),
        (status = 404, description = "No such customer", body = ErrorBody),
        (status = 422, description = "Empty or too long note, unknown kind", body = ErrorBody),
    ))]
pub async fn add(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<NewFollowUp>,
) -> ApiResult<(StatusCode, Json<FollowUp>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.service.add_followup(&auth.user, id, req).await?),
    ))
}

/// Follow-ups of a customer, newest first.
#[utoipa::path(get, path = "/customers/{id}/followups", tag = "follow-ups", operation_id = "list_followups", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id"), PageQuery),
    responses(
        (status = 200, description = "A page of follow-ups", body = Page<FollowUp>),
        (status = 403, description = "Not your customer", body = ErrorBody),
        (status = 404, description = "No such customer", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<FollowUp>>> {
    Ok(Json(
        state
            .service
            .list_followups(&auth.user, id, q.limit, q.offset)
            .await?,
    ))
}
