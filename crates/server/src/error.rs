//! The one place where failures become HTTP: a status, a stable machine-readable `error` code
//! and a `message` a person can act on, plus details where they help (fields, matches, owner).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use leadguard_domain::customer::FieldError;
use leadguard_service::ServiceError;
use leadguard_service::views::{CustomerView, MatchView, OwnerView};
use serde::Serialize;

/// The body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable code, e.g. `duplicate`, `invalid_input`, `forbidden`, `owner_cap_reached`.
    pub error: String,
    /// Human-readable explanation (Chinese and/or English).
    pub message: String,
    /// Invalid fields (`invalid_input`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
    /// Existing customers the record matched (`duplicate`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matches: Option<Vec<MatchView>>,
    /// Further matches not listed, and whether that count is exact (`duplicate` from a
    /// check, as the 200 answer carries them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub more_matches: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub more_matches_exact: Option<bool>,
    /// What the caller may learn of a customer they may not open (`forbidden`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<Box<CustomerView>>,
    /// Current owner (`already_owned`, `forbidden`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<OwnerView>,
    /// Owner cap and current count (`owner_cap_reached`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cap: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owned: Option<u64>,
    /// Where a merged customer lives now (`merged`, with a 308 redirect there).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<i64>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: Box<ErrorBody>,
    /// `Location` header (redirects).
    pub location: Option<String>,
    /// `Retry-After` header, in seconds (429).
    pub retry_after: Option<i64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            body: Box::new(ErrorBody {
                error: code.to_string(),
                message: message.into(),
                fields: Vec::new(),
                matches: None,
                more_matches: None,
                more_matches_exact: None,
                customer: None,
                owner: None,
                cap: None,
                owned: None,
                merged_into: None,
            }),
            location: None,
            retry_after: None,
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        let message = e.to_string();
        match e {
            ServiceError::Unauthenticated => {
                ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
            }
            ServiceError::InvalidCredentials => {
                ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", message)
            }
            ServiceError::TooManyAttempts { retry_after_secs } => {
                let mut err = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_attempts",
                    format!(
                        "登录失败次数过多，请 {retry_after_secs} 秒后再试 / too many failed logins; try again in {retry_after_secs} s"
                    ),
                );
                err.retry_after = Some(retry_after_secs);
                err
            }
            ServiceError::Forbidden { customer, .. } => {
                let mut err = ApiError::new(StatusCode::FORBIDDEN, "forbidden", message);
                err.body.owner = customer.as_ref().and_then(|c| c.owner.clone());
                err.body.customer = customer;
                err
            }
            ServiceError::NotFound { .. } => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
            }
            ServiceError::Invalid(fields) => {
                let mut err =
                    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", message);
                err.body.fields = fields;
                err
            }
            ServiceError::Duplicate { matches } => {
                let message = duplicate_message(&matches);
                let mut err = ApiError::new(StatusCode::CONFLICT, "duplicate", message);
                err.body.matches = Some(matches);
                err
            }
            ServiceError::OwnerCapReached { cap, owned, .. } => {
                let mut err = ApiError::new(StatusCode::CONFLICT, "owner_cap_reached", message);
                err.body.cap = Some(cap);
                err.body.owned = Some(owned);
                err
            }
            ServiceError::AlreadyOwned { owner } => {
                let message = format!(
                    "该客户已归 {} ({}) 所有 / the customer is already owned by {}",
                    owner.display_name, owner.username, owner.username
                );
                let mut err = ApiError::new(StatusCode::CONFLICT, "already_owned", message);
                err.body.owner = Some(owner);
                err
            }
            ServiceError::Conflict { code, .. } => {
                ApiError::new(StatusCode::CONFLICT, code, message)
            }
            ServiceError::Merged { into, .. } => {
                let mut err = ApiError::new(StatusCode::PERMANENT_REDIRECT, "merged", message);
                err.body.merged_into = Some(into);
                err.location = Some(format!("/api/v1/customers/{into}"));
                err
            }
            ServiceError::AlreadyExists { .. } => {
                ApiError::new(StatusCode::CONFLICT, "already_exists", message)
            }
            ServiceError::Unavailable(detail) => {
                tracing::error!(%detail, "database unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the database is unavailable; try again shortly",
                )
            }
            ServiceError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error; it has been logged",
                )
            }
        }
    }
}

fn duplicate_message(matches: &[MatchView]) -> String {
    let Some(m) = matches.first() else {
        return "duplicate customer".into();
    };
    match &m.owner {
        Some(o) => {
            let since = m
                .owned_since
                .map(|t| t.format("%Y-%m-%d").to_string())
                .unwrap_or_default();
            format!(
                "客户已存在：{}，归 {}（{}）所有，自 {} 起；如已在跟进可提出申诉 / customer already exists: {} (#{}), owned by {} since {}; to appeal, POST /api/v1/collisions with customer_id and reason",
                m.name, o.display_name, o.username, since, m.name, m.customer_id, o.username, since
            )
        }
        None => format!(
            "客户已存在于公海：{}，可直接领取 / customer already exists in the public pool: {} (#{}); claim it instead",
            m.name, m.name, m.customer_id
        ),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, Json(*self.body)).into_response();
        if let Some(loc) = self.location
            && let Ok(v) = axum::http::HeaderValue::from_str(&loc)
        {
            resp.headers_mut().insert(axum::http::header::LOCATION, v);
        }
        if let Some(secs) = self.retry_after
            && let Ok(v) = axum::http::HeaderValue::from_str(&secs.to_string())
        {
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, v);
        }
        resp
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
