//! Logging in: argon2id password hashes, random bearer tokens stored only as SHA-256 hashes.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Utc};
use leadguard_domain::Timestamp;
use leadguard_domain::user::{User, validate_username};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::Service;
use crate::error::{Result, ServiceError};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginOutcome {
    /// Send as `Authorization: Bearer TOKEN`.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
}

/// Verified against when the username is unknown, so that a wrong username takes as long as a
/// wrong password and does not reveal which usernames exist.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password_blocking("leadguard-dummy-password").unwrap_or_default());

fn hash_password_blocking(password: &str) -> Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Internal(format!("password hashing failed: {e}")))
}

fn verify_password_blocking(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Hashes off the async runtime: argon2 is deliberately slow.
pub(crate) async fn hash_password(password: &str) -> Result<String> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || hash_password_blocking(&password))
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?
}

async fn verify_password(password: &str, hash: Option<String>) -> bool {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || match hash {
        Some(h) => verify_password_blocking(&password, &h),
        None => {
            verify_password_blocking(&password, &DUMMY_HASH);
            false
        }
    })
    .await
    .unwrap_or(false)
}

pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| ServiceError::Internal(format!("no randomness: {e}")))?;
    Ok(format!("lg_{}", hex::encode(bytes)))
}

/// Failed logins allowed per username within [`LOGIN_WINDOW`] before further attempts are
/// refused (password guessing).
pub const LOGIN_MAX_FAILURES: usize = 5;
pub const LOGIN_WINDOW: chrono::Duration = chrono::Duration::minutes(15);

/// When `failures` (times of failed logins) lock the username out until, if at all.
fn locked_until(failures: &[Timestamp], now: Timestamp) -> Option<Timestamp> {
    let recent: Vec<&Timestamp> = failures
        .iter()
        .filter(|t| now - **t < LOGIN_WINDOW)
        .collect();
    (recent.len() >= LOGIN_MAX_FAILURES)
        .then(|| {
            recent
                .iter()
                .copied()
                .min()
                .map(|first| *first + LOGIN_WINDOW)
        })
        .flatten()
}

impl Service {
    /// Logs in. Failed attempts are counted per username in the database, so the throttle
    /// holds across every process serving it.
    pub async fn login(&self, username: &str, password: &str) -> Result<LoginOutcome> {
        // No account has a name that is not a valid username: nothing to look up, and nothing
        // of an arbitrary string is stored as a failure.
        if validate_username(username.trim()).is_err() {
            return Err(ServiceError::InvalidCredentials);
        }
        let key = username.trim().to_lowercase();
        let now = self.now();
        let mut conn = self.store.read().await?;
        let failures = conn
            .exec()
            .login_failures_since(&key, now - LOGIN_WINDOW)
            .await?;
        if let Some(until) = locked_until(&failures, now) {
            return Err(ServiceError::TooManyAttempts {
                retry_after_secs: (until - now).num_seconds().max(1),
            });
        }
        let user = conn.exec().user_by_username(username.trim()).await?;
        let hash = match &user {
            Some(u) if u.active => conn.exec().password_hash(u.id).await?,
            _ => None,
        };
        drop(conn);
        let ok = verify_password(password, hash).await;
        let user = match user {
            Some(u) if ok => u,
            _ => {
                let mut tx = self.store.begin().await?;
                tx.exec()
                    .record_login_failure(&key, now, now - LOGIN_WINDOW)
                    .await?;
                tx.commit().await?;
                return Err(ServiceError::InvalidCredentials);
            }
        };
        let token = new_token()?;
        let now = self.now();
        let expires_at = now + self.config.session_ttl;
        let mut tx = self.store.begin().await?;
        if !failures.is_empty() {
            tx.exec().clear_login_failures(&key).await?;
        }
        tx.exec()
            .insert_session(&token_hash(&token), user.id, now, expires_at)
            .await?;
        tx.commit().await?;
        tracing::info!(username = %user.username, "logged in");
        Ok(LoginOutcome {
            token,
            expires_at,
            user,
        })
    }

    /// The user behind a bearer token.
    pub async fn authenticate(&self, token: &str) -> Result<User> {
        if token.is_empty() || token.len() > 256 {
            return Err(ServiceError::Unauthenticated);
        }
        let mut conn = self.store.read().await?;
        conn.exec()
            .session_user(&token_hash(token), self.now())
            .await?
            .ok_or(ServiceError::Unauthenticated)
    }

    /// Revokes the session of this token.
    pub async fn logout(&self, token: &str) -> Result<()> {
        let mut tx = self.store.begin().await?;
        tx.exec()
            .revoke_session(&token_hash(token), self.now())
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod throttle_tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn five_failures_in_the_window_lock_until_the_first_ages_out() {
        let t0 = chrono::Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let at = |m: i64| t0 + chrono::Duration::minutes(m);
        let f: Vec<Timestamp> = (0..4).map(at).collect();
        assert_eq!(locked_until(&f, at(5)), None);
        let f: Vec<Timestamp> = (0..5).map(at).collect();
        assert_eq!(locked_until(&f, at(5)), Some(at(15)));
        assert_eq!(locked_until(&f, at(15)), None, "the first failure aged out");
    }
}
