//! Everything a use case can refuse, in words the server maps to HTTP in one place.

use leadguard_domain::Id;
use leadguard_domain::customer::FieldError;
use leadguard_store::StoreError;

use crate::views::{CustomerView, MatchView, OwnerView};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// No valid session: missing, malformed, expired or revoked token.
    #[error("not logged in, or the session has expired or was revoked")]
    Unauthenticated,
    #[error("wrong username or password")]
    InvalidCredentials,
    /// Too many failed logins for this username; try again later.
    #[error("too many failed logins; try again in {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: i64 },
    /// The actor may not do this. `customer` carries what they may learn (owner, masked hints).
    #[error("{message}")]
    Forbidden {
        message: String,
        customer: Option<Box<CustomerView>>,
    },
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// One or more fields are invalid; nothing was saved.
    #[error("invalid input: {}", .0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    /// The customer already exists; nothing was saved.
    #[error("duplicate of customer {}", .matches.first().map(|m| m.customer_id).unwrap_or_default())]
    Duplicate { matches: Vec<MatchView> },
    #[error("{username} already owns {owned} customers, the most allowed ({cap})")]
    OwnerCapReached {
        username: String,
        cap: u32,
        owned: u64,
    },
    /// Claiming a customer that someone owns.
    #[error("the customer is already owned")]
    AlreadyOwned { owner: OwnerView },
    /// Releasing or transferring a customer that is in the pool, and the like.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// The customer was merged into another; its id now resolves there.
    #[error("customer {id} was merged into customer {into}")]
    Merged { id: Id, into: Id },
    #[error("{what} already exists")]
    AlreadyExists { what: &'static str },
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    pub fn invalid(field: &str, code: &str, message: impl Into<String>) -> Self {
        ServiceError::Invalid(vec![FieldError::new(field, code, message)])
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        ServiceError::Forbidden {
            message: message.into(),
            customer: None,
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::AlreadyExists { what } => ServiceError::AlreadyExists { what },
            StoreError::NotFound { what } => ServiceError::NotFound { what },
            e if e.is_unavailable() => ServiceError::Unavailable(e.to_string()),
            e if e.is_conflict() => ServiceError::Conflict {
                code: "concurrent_change",
                message: "同一时刻有人修改了相同的数据，未保存任何内容，请重试 / someone else changed the same data at the same moment; nothing was saved; try again".into(),
            },
            e => ServiceError::Internal(e.to_string()),
        }
    }
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;
