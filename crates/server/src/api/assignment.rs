//! Assignment rules (分配规则) and lead intake.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use leadguard_service::{
    DryRun, LeadOutcome, LeadOutcomeKind, LeadRequest, RuleInput, RuleVersionView, RuleView,
};

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, Auth};

/// Add a rule (managers for their own team, admins for any).
///
/// `{"name", "position", "when": {"province", "city", "industry", "size", "source",
/// "language", "tags", "min_value", "max_value"}, "team" | "reps", "weights", "strategy":
/// "round_robin" | "weighted" | "least_loaded" | "best_match" | "priority"}`. A rule that could
/// never match (an empty list, an unknown province, a city outside the named provinces,
/// min ≥ max) or a target that does not exist is refused with 422 naming the field.
#[utoipa::path(post, path = "/assignment/rules", tag = "assignment", operation_id = "create_rule", security(("bearer" = [])),
    request_body = RuleInput,
    responses(
        (status = 201, description = "The rule, version 1", body = RuleView),
        (status = 403, description = "Reps, or a manager routing outside their team", body = ErrorBody),
        (status = 422, description = "`invalid_input` with the fields at fault", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(input): ApiJson<RuleInput>,
) -> ApiResult<(StatusCode, Json<RuleView>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.service.create_rule(&auth.user, input).await?),
    ))
}

/// The rules in evaluation order, readable by everyone.
#[utoipa::path(get, path = "/assignment/rules", tag = "assignment", operation_id = "list_rules", security(("bearer" = [])),
    responses((status = 200, description = "All rules, first evaluated first", body = Vec<RuleView>)))]
pub async fn list(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<RuleView>>> {
    Ok(Json(state.service.list_rules(&auth.user).await?))
}

#[utoipa::path(get, path = "/assignment/rules/{id}", tag = "assignment", operation_id = "get_rule", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Rule id")),
    responses(
        (status = 200, description = "The rule", body = RuleView),
        (status = 404, description = "No such rule", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<RuleView>> {
    Ok(Json(state.service.get_rule(&auth.user, id).await?))
}

/// Replace a rule; its version goes up by one and the old version stays readable.
#[utoipa::path(put, path = "/assignment/rules/{id}", tag = "assignment", operation_id = "update_rule", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Rule id")),
    request_body = RuleInput,
    responses(
        (status = 200, description = "The rule, new version", body = RuleView),
        (status = 403, description = "Not yours to change", body = ErrorBody),
        (status = 404, description = "No such rule", body = ErrorBody),
        (status = 422, description = "`invalid_input`", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<RuleInput>,
) -> ApiResult<Json<RuleView>> {
    Ok(Json(
        state.service.update_rule(&auth.user, id, input).await?,
    ))
}

#[utoipa::path(delete, path = "/assignment/rules/{id}", tag = "assignment", operation_id = "delete_rule", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Rule id")),
    responses(
        (status = 204, description = "Deleted (past decisions keep naming it)"),
        (status = 403, description = "Not yours to delete", body = ErrorBody),
        (status = 404, description = "No such rule", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    state.service.delete_rule(&auth.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every saved version of a rule, oldest first.
#[utoipa::path(get, path = "/assignment/rules/{id}/versions", tag = "assignment", operation_id = "rule_versions", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Rule id")),
    responses(
        (status = 200, description = "The versions", body = Vec<RuleVersionView>),
        (status = 404, description = "No such rule", body = ErrorBody),
    ))]
pub async fn versions(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<RuleVersionView>>> {
    Ok(Json(state.service.rule_versions(&auth.user, id).await?))
}

/// Test the rules against a sample lead: the decision, without assigning or rotating.
#[utoipa::path(post, path = "/assignment/dry-run", tag = "assignment", operation_id = "assignment_dry_run", security(("bearer" = [])),
    request_body = LeadRequest,
    responses(
        (status = 200, description = "What would happen", body = DryRun),
        (status = 422, description = "`invalid_input`", body = ErrorBody),
    ))]
pub async fn dry_run(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(lead): ApiJson<LeadRequest>,
) -> ApiResult<Json<DryRun>> {
    Ok(Json(state.service.dry_run(&auth.user, lead).await?))
}

/// An inbound lead (线索): customer fields plus `province`, `city`, `industry`, `size`,
/// `source`, `value`, `language`, `tags`.
///
/// It is checked for duplicates first. A new lead is routed by the rules: 201 with the owner
/// (or `null`: the pool) and the decision explained. A lead that matches a stored customer is
/// not a new customer: if it is owned, the lead goes to its owner as a follow-up and the answer
/// is 409 `duplicate` (with `matches`, `customer_id`, `owner`, `decision`); if it is in the pool,
/// the rules route that customer (200, `outcome: pool_routed`).
#[utoipa::path(post, path = "/leads", tag = "assignment", operation_id = "create_lead", security(("bearer" = [])),
    request_body = LeadRequest,
    responses(
        (status = 201, description = "A new customer, assigned (`outcome: assigned`) or in the pool (`outcome: pool`)", body = LeadOutcome),
        (status = 200, description = "Matched a pool customer, now assigned by the rules", body = LeadOutcome),
        (status = 409, description = "`duplicate`: matched an existing customer; passed to its owner as a follow-up", body = LeadOutcome),
        (status = 422, description = "`invalid_input` or `invalid_body`", body = ErrorBody),
    ))]
pub async fn intake(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(lead): ApiJson<LeadRequest>,
) -> ApiResult<Response> {
    let outcome = state.service.intake_lead(&auth.user, lead).await?;
    Ok(match outcome.outcome {
        LeadOutcomeKind::Assigned | LeadOutcomeKind::Pool => {
            (StatusCode::CREATED, Json(outcome)).into_response()
        }
        LeadOutcomeKind::PoolRouted => (StatusCode::OK, Json(outcome)).into_response(),
        LeadOutcomeKind::Duplicate => {
            let mut body = serde_json::to_value(&outcome).unwrap_or_default();
            if let Some(obj) = body.as_object_mut() {
                obj.insert("error".into(), "duplicate".into());
                obj.insert(
                    "message".into(),
                    outcome.decision.explanation.clone().into(),
                );
            }
            (StatusCode::CONFLICT, Json(body)).into_response()
        }
    })
}
