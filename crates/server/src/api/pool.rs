use axum::Json;
use axum::extract::State;
use leadguard_service::views::{CustomerView, Page};
use leadguard_service::{ListCustomers, PolicyUpdate, PolicyView, RecycleReport, Scope};
use serde::Deserialize;

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};

/// The global pool policy, readable by everyone.
#[utoipa::path(get, path = "/pool/policy", tag = "pool", operation_id = "get_pool_policy", security(("bearer" = [])),
    responses((status = 200, description = "The global policy", body = PolicyView)))]
pub async fn get_policy(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<PolicyView>> {
    Ok(Json(state.service.pool_policy(&auth.user, None).await?))
}

/// Change the global pool policy (admin).
///
/// Fields: `owner_cap`, `protection_days`, `recycle_no_followup_days`, `recycle_no_deal_days`
/// (0: never), `warn_days`, `daily_claim_limit` (0: no limit), `reclaim_cooldown_days`.
#[utoipa::path(put, path = "/pool/policy", tag = "pool", operation_id = "set_pool_policy", security(("bearer" = [])),
    request_body = PolicyUpdate,
    responses(
        (status = 200, description = "The policy now in force", body = PolicyView),
        (status = 403, description = "Admins only", body = ErrorBody),
        (status = 422, description = "A value out of range", body = ErrorBody),
    ))]
pub async fn set_policy(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(upd): ApiJson<PolicyUpdate>,
) -> ApiResult<Json<PolicyView>> {
    Ok(Json(
        state.service.set_pool_policy(&auth.user, None, upd).await?,
    ))
}

/// A team's pool policy: its own values and what is in force.
#[utoipa::path(get, path = "/teams/{team}/pool/policy", tag = "pool", operation_id = "get_team_pool_policy", security(("bearer" = [])),
    params(("team" = String, Path, description = "Team name")),
    responses(
        (status = 200, description = "The team's policy", body = PolicyView),
        (status = 404, description = "No such team", body = ErrorBody),
    ))]
pub async fn get_team_policy(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(team): ApiPath<String>,
) -> ApiResult<Json<PolicyView>> {
    Ok(Json(
        state.service.pool_policy(&auth.user, Some(&team)).await?,
    ))
}

/// Override the global pool policy for a team (admin); `null` returns a field to the global value.
#[utoipa::path(put, path = "/teams/{team}/pool/policy", tag = "pool", operation_id = "set_team_pool_policy", security(("bearer" = [])),
    params(("team" = String, Path, description = "Team name")),
    request_body = PolicyUpdate,
    responses(
        (status = 200, description = "The team's policy", body = PolicyView),
        (status = 403, description = "Admins only", body = ErrorBody),
        (status = 404, description = "No such team", body = ErrorBody),
    ))]
pub async fn set_team_policy(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(team): ApiPath<String>,
    ApiJson(upd): ApiJson<PolicyUpdate>,
) -> ApiResult<Json<PolicyView>> {
    Ok(Json(
        state
            .service
            .set_pool_policy(&auth.user, Some(&team), upd)
            .await?,
    ))
}

/// Browse the public pool (公海), with the same filters as the customer list; contact data masked.
#[utoipa::path(get, path = "/pool", tag = "pool", operation_id = "list_pool", security(("bearer" = [])),
    params(ListCustomers),
    responses((status = 200, description = "A page of pool customers", body = Page<CustomerView>)))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(mut q): ApiQuery<ListCustomers>,
) -> ApiResult<Json<Page<CustomerView>>> {
    q.scope = Some(Scope::Pool);
    Ok(Json(state.service.list_customers(&auth.user, q).await?))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RecycleQuery {
    /// Report what would happen without changing anything.
    #[serde(default)]
    pub dry_run: bool,
}

/// Run recycling now (admin); it also runs on a schedule inside `leadguard serve`.
#[utoipa::path(post, path = "/pool/recycle", tag = "pool", operation_id = "recycle", security(("bearer" = [])),
    params(RecycleQuery),
    responses(
        (status = 200, description = "What was (or would be) warned and recycled", body = RecycleReport),
        (status = 403, description = "Admins only", body = ErrorBody),
    ))]
pub async fn recycle(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<RecycleQuery>,
) -> ApiResult<Json<RecycleReport>> {
    if !auth.user.is_admin() {
        return Err(
            leadguard_service::ServiceError::forbidden("only an admin may run recycling").into(),
        );
    }
    Ok(Json(state.service.recycle(q.dry_run).await?))
}
