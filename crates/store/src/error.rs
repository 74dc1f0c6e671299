use leadguard_domain::keys::KeyKind;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL cannot be used.
    #[error("invalid database URL: {0}")]
    InvalidUrl(String),
    /// A row with the same unique name already exists (user, team).
    #[error("{what} already exists")]
    AlreadyExists { what: &'static str },
    /// Another customer already holds an identifier that belongs to one customer only.
    #[error("{} {value} already belongs to customer {customer_id}", kind.as_str())]
    IdentityTaken {
        kind: KeyKind,
        value: String,
        customer_id: i64,
    },
    /// A referenced row does not exist.
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// Stored data could not be read back (a bug or a hand-edited database).
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    /// True when the database could not be reached, the pool was exhausted, or the server
    /// ended the session (PostgreSQL shutting down or restarting), as opposed to a query that
    /// the database refused.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(
                sqlx::Error::Io(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Tls(_),
            ) => true,
            // SQLSTATE class 08 (connection exception), 57P01 admin_shutdown, 57P02
            // crash_shutdown, 57P03 cannot_connect_now. (SQLite's codes are plain numbers.)
            StoreError::Database(sqlx::Error::Database(d)) => d.code().is_some_and(|c| {
                c.starts_with("08") || matches!(c.as_ref(), "57P01" | "57P02" | "57P03")
            }),
            _ => false,
        }
    }

    /// True when PostgreSQL aborted the transaction to settle a race with another one
    /// (40P01 deadlock_detected, 40001 serialization_failure): nothing was saved, and the
    /// same request may succeed when tried again.
    pub fn is_conflict(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(d))
            if d.code().is_some_and(|c| matches!(c.as_ref(), "40P01" | "40001")))
    }
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}
