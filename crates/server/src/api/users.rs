use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use leadguard_domain::user::{Team, User};
use leadguard_service::{NewUserRequest, UserUpdate};
use serde::Deserialize;

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, Auth};

/// Create a user (admin).
#[utoipa::path(post, path = "/users", tag = "users", operation_id = "create_user", security(("bearer" = [])),
    request_body = NewUserRequest,
    responses(
        (status = 201, description = "Created", body = User),
        (status = 403, description = "Admins only", body = ErrorBody),
        (status = 409, description = "`already_exists`", body = ErrorBody),
        (status = 422, description = "Invalid username, weak password, unknown team", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(req): ApiJson<NewUserRequest>,
) -> ApiResult<(StatusCode, Json<User>)> {
    Ok((
        StatusCode::CREATED,
        Json(
            state
                .service
                .create_user(Some(&auth.user), req, false)
                .await?,
        ),
    ))
}

/// List users.
///
/// All (admin), your team (manager), yourself (rep).
#[utoipa::path(get, path = "/users", tag = "users", operation_id = "list_users", security(("bearer" = [])),
    responses((status = 200, description = "Users", body = Vec<User>)))]
pub async fn list(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<User>>> {
    Ok(Json(state.service.list_users(&auth.user).await?))
}

/// A user: yourself or, for managers, a member of your team.
#[utoipa::path(get, path = "/users/{username}", tag = "users", operation_id = "get_user", security(("bearer" = [])),
    params(("username" = String, Path, description = "Username")),
    responses(
        (status = 200, description = "The user", body = User),
        (status = 403, description = "Not yourself or your team", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(username): ApiPath<String>,
) -> ApiResult<Json<User>> {
    Ok(Json(state.service.get_user(&auth.user, &username).await?))
}

/// Change a user (admin).
///
/// Role, team, owner cap, active, password. Deactivating a user or changing their password ends
/// their sessions.
#[utoipa::path(patch, path = "/users/{username}", tag = "users", operation_id = "update_user", security(("bearer" = [])),
    params(("username" = String, Path, description = "Username")),
    request_body = UserUpdate,
    responses(
        (status = 200, description = "The changed user", body = User),
        (status = 403, description = "Admins only", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 422, description = "Unknown team, weak password", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(username): ApiPath<String>,
    ApiJson(upd): ApiJson<UserUpdate>,
) -> ApiResult<Json<User>> {
    Ok(Json(
        state
            .service
            .update_user(Some(&auth.user), &username, upd)
            .await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTeam {
    pub name: String,
}

/// Create a team (admin).
#[utoipa::path(post, path = "/teams", tag = "users", operation_id = "create_team", security(("bearer" = [])),
    request_body = NewTeam,
    responses(
        (status = 201, description = "Created", body = Team),
        (status = 403, description = "Admins only", body = ErrorBody),
        (status = 409, description = "`already_exists`", body = ErrorBody),
    ))]
pub async fn create_team(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(req): ApiJson<NewTeam>,
) -> ApiResult<(StatusCode, Json<Team>)> {
    Ok((
        StatusCode::CREATED,
        Json(
            state
                .service
                .create_team(Some(&auth.user), &req.name)
                .await?,
        ),
    ))
}

/// List teams.
#[utoipa::path(get, path = "/teams", tag = "users", operation_id = "list_teams", security(("bearer" = [])),
    responses((status = 200, description = "All teams", body = Vec<Team>)))]
pub async fn list_teams(State(state): State<AppState>, _auth: Auth) -> ApiResult<Json<Vec<Team>>> {
    Ok(Json(state.service.list_teams().await?))
}
