use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use leadguard_domain::customer::CustomerFields;
use leadguard_service::views::{CheckOutcome, CheckVerdict, Created, CustomerView, Page};
use leadguard_service::{CustomerPatch, ListCustomers, MergeRequest, ServiceError};

use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};

/// Enter a customer.
///
/// It is checked against every stored customer first: a duplicate is refused with 409 naming
/// its owner; otherwise the caller owns it (first come, first served). Unknown fields are
/// refused, so a misspelt field never silently drops data.
#[utoipa::path(post, path = "/customers", tag = "customers", operation_id = "create_customer", security(("bearer" = [])),
    request_body = CustomerFields,
    responses(
        (status = 201, description = "Created; the caller owns it. `suspected` lists look-alikes that did not block it.", body = Created),
        (status = 409, description = "`duplicate`: an existing customer (see `matches`: owner, since when, reasons); or `owner_cap_reached`", body = ErrorBody),
        (status = 422, description = "`invalid_input` (see `fields`) or `invalid_body`", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(fields): ApiJson<CustomerFields>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let created = state.service.create_customer(&auth.user, fields).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Check a customer for duplicates without saving it.
///
/// 200 with `verdict` `new` or `suspected`, or 409 with the same body as a refused create when
/// it is a duplicate.
#[utoipa::path(post, path = "/customers/check", tag = "customers", operation_id = "check_customer", security(("bearer" = [])),
    request_body = CustomerFields,
    responses(
        (status = 200, description = "Not a duplicate: `new`, or `suspected` with the look-alikes", body = CheckOutcome),
        (status = 409, description = "`duplicate`, exactly as create would answer", body = ErrorBody),
        (status = 422, description = "`invalid_input` or `invalid_body`", body = ErrorBody),
    ))]
pub async fn check(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(fields): ApiJson<CustomerFields>,
) -> ApiResult<Response> {
    let outcome = state.service.check_customer(&auth.user, fields).await?;
    if outcome.verdict == CheckVerdict::Duplicate {
        let mut err = ApiError::from(ServiceError::Duplicate {
            matches: outcome.matches,
        });
        err.body.more_matches = Some(outcome.more_matches);
        err.body.more_matches_exact = Some(outcome.more_matches_exact);
        return Ok(err.into_response());
    }
    Ok(Json(outcome).into_response())
}

/// List customers.
///
/// By default your own (reps), your team's (managers) or all (admins); `scope=pool` lists the
/// public pool.
#[utoipa::path(get, path = "/customers", tag = "customers", operation_id = "list_customers", security(("bearer" = [])),
    params(ListCustomers),
    responses(
        (status = 200, description = "A page of customers", body = Page<CustomerView>),
        (status = 400, description = "`invalid_query`", body = ErrorBody),
        (status = 403, description = "Scope not allowed for your role", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<ListCustomers>,
) -> ApiResult<Json<Page<CustomerView>>> {
    Ok(Json(state.service.list_customers(&auth.user, q).await?))
}

/// Open a customer.
///
/// Someone else's customer is 403, naming the owner (with masked hints in `customer`); a pool
/// customer is shown with masked contact data.
#[utoipa::path(get, path = "/customers/{id}", tag = "customers", operation_id = "get_customer", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id")),
    responses(
        (status = 200, description = "The customer", body = CustomerView),
        (status = 308, description = "`merged`: the customer was merged; `Location` is the survivor", body = ErrorBody),
        (status = 403, description = "Owned by someone else: `owner` says who", body = ErrorBody),
        (status = 404, description = "No such customer", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<CustomerView>> {
    Ok(Json(state.service.get_customer(&auth.user, id).await?))
}

/// Change a customer.
///
/// New identifiers are checked like a new entry: 409 if they belong to another customer.
#[utoipa::path(patch, path = "/customers/{id}", tag = "customers", operation_id = "update_customer", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Customer id")),
    request_body = CustomerPatch,
    responses(
        (status = 200, description = "The changed customer", body = CustomerView),
        (status = 403, description = "Not yours to change", body = ErrorBody),
        (status = 404, description = "No such customer", body = ErrorBody),
        (status = 409, description = "`duplicate`: the change matches another customer", body = ErrorBody),
        (status = 422, description = "`invalid_input` or `invalid_body`", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(patch): ApiJson<CustomerPatch>,
) -> ApiResult<Json<CustomerView>> {
    Ok(Json(
        state.service.update_customer(&auth.user, id, patch).await?,
    ))
}

/// Merge a duplicate into this customer (合并).
///
/// Contacts, phones, e-mails, follow-ups, deals and history move over; this customer keeps the
/// earlier creation evidence of the two; the duplicate's id keeps resolving here (GET answers
/// 308, writes land here). Allowed to the owner of both, their team's manager, or an admin.
#[utoipa::path(post, path = "/customers/{id}/merge", tag = "collisions", operation_id = "merge_customers", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The surviving customer")),
    request_body = MergeRequest,
    responses(
        (status = 200, description = "The survivor after the merge", body = CustomerView),
        (status = 403, description = "Not allowed to merge one of the two", body = ErrorBody),
        (status = 404, description = "No such customer", body = ErrorBody),
        (status = 409, description = "`already_merged`", body = ErrorBody),
        (status = 422, description = "`invalid_input` (e.g. the same customer twice)", body = ErrorBody),
    ))]
pub async fn merge(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<MergeRequest>,
) -> ApiResult<Json<CustomerView>> {
    Ok(Json(
        state.service.merge_customers(&auth.user, id, req).await?,
    ))
}

/// Undo the merge that folded customer `{id}` into another.
///
/// The customer comes back with its fields and owner as they were at the merge, and the
/// follow-ups and deals it brought move back. Anything added to the survivor after the merge
/// (including follow-ups written to this id meanwhile) stays with the survivor.
#[utoipa::path(post, path = "/customers/{id}/unmerge", tag = "collisions", operation_id = "unmerge_customer", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The merged (duplicate) customer")),
    responses(
        (status = 200, description = "The restored customer", body = CustomerView),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 409, description = "`not_merged`, `survivor_merged` or `identity_taken`", body = ErrorBody),
    ))]
pub async fn unmerge(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<CustomerView>> {
    Ok(Json(state.service.unmerge_customer(&auth.user, id).await?))
}
