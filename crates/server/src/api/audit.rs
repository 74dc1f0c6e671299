use axum::Json;
use axum::extract::State;
use leadguard_domain::audit::AuditEntry;
use leadguard_service::AuditQuery;
use leadguard_service::views::Page;

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiQuery, Auth};

/// The audit log of ownership changes.
///
/// Append-only: who, when, owner before and after, the rule and the reason, oldest first. With
/// `customer_id`: that customer's owner history.
#[utoipa::path(get, path = "/audit", tag = "audit", operation_id = "list_audit", security(("bearer" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of audit entries", body = Page<AuditEntry>),
        (status = 403, description = "Not your customer", body = ErrorBody),
        (status = 404, description = "No such customer", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Page<AuditEntry>>> {
    Ok(Json(state.service.audit_log(&auth.user, q).await?))
}
