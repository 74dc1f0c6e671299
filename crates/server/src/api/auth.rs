use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use leadguard_domain::user::User;
use leadguard_service::LoginOutcome;
use serde::Deserialize;

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, Auth};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// Log in.
///
/// The token goes into `Authorization: Bearer TOKEN` on every other call.
#[utoipa::path(post, path = "/auth/login", tag = "auth", operation_id = "login",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = LoginOutcome),
        (status = 401, description = "Wrong username or password (`invalid_credentials`)", body = ErrorBody),
        (status = 422, description = "Body of the wrong shape", body = ErrorBody),
        (status = 429, description = "`too_many_attempts`: five failed logins for this username within 15 minutes; `Retry-After` says when to try again", body = ErrorBody),
    ))]
pub async fn login(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Json<LoginOutcome>> {
    Ok(Json(
        state.service.login(&req.username, &req.password).await?,
    ))
}

/// Log out.
///
/// The token stops working at once.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", operation_id = "logout", security(("bearer" = [])),
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, description = "Not logged in", body = ErrorBody),
    ))]
pub async fn logout(State(state): State<AppState>, auth: Auth) -> ApiResult<StatusCode> {
    state.service.logout(&auth.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The logged-in user.
#[utoipa::path(get, path = "/me", tag = "auth", operation_id = "me", security(("bearer" = [])),
    responses(
        (status = 200, description = "The logged-in user", body = User),
        (status = 401, description = "Not logged in", body = ErrorBody),
    ))]
pub async fn me(auth: Auth) -> Json<User> {
    Json(auth.user)
}
