//! Login sessions. Only a hash of each bearer token is stored, so a copy of the database does
//! not let anyone log in.

use leadguard_domain::user::User;
use leadguard_domain::{Id, Timestamp};

use crate::Result;
use crate::exec::{Exec, on_backend};
use crate::users::UserRow;

impl Exec<'_> {
    pub async fn insert_session(
        &mut self,
        token_hash: &str,
        user_id: Id,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()> {
        on_backend!(self, c => sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .execute(&mut **c)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// The active user behind a token that is neither expired nor revoked.
    pub async fn session_user(&mut self, token_hash: &str, now: Timestamp) -> Result<Option<User>> {
        let row = on_backend!(self, c => sqlx::query_as::<_, UserRow>(
            "SELECT u.id, u.username, u.display_name, u.role, t.name AS team, u.active, u.owner_cap, u.on_leave
             FROM sessions s
             JOIN users u ON u.id = s.user_id
             LEFT JOIN teams t ON t.id = u.team_id
             WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND u.active",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&mut **c)
        .await)?;
        row.map(UserRow::into_user).transpose()
    }

    pub async fn revoke_session(&mut self, token_hash: &str, now: Timestamp) -> Result<bool> {
        let n = on_backend!(self, c => sqlx::query(
            "UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(token_hash)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// Revokes every session of a user (deactivation, password change).
    pub async fn revoke_user_sessions(&mut self, user_id: Id, now: Timestamp) -> Result<u64> {
        let n = on_backend!(self, c => sqlx::query(
            "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(user_id)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n)
    }
}

/// Failed logins, shared by every process on the database (the login throttle).
impl Exec<'_> {
    /// When `username` (as typed, lower-cased by the caller) failed to log in since `since`.
    pub async fn login_failures_since(
        &mut self,
        username: &str,
        since: Timestamp,
    ) -> Result<Vec<Timestamp>> {
        Ok(on_backend!(self, c => sqlx::query_scalar::<_, Timestamp>(
            "SELECT at FROM login_failures WHERE username = $1 AND at > $2 ORDER BY at",
        )
        .bind(username)
        .bind(since)
        .fetch_all(&mut **c)
        .await)?)
    }

    /// Records a failed login, and forgets every failure from before `forget_before`.
    pub async fn record_login_failure(
        &mut self,
        username: &str,
        at: Timestamp,
        forget_before: Timestamp,
    ) -> Result<()> {
        on_backend!(self, c => sqlx::query("DELETE FROM login_failures WHERE at < $1")
            .bind(forget_before)
            .execute(&mut **c)
            .await
            .map(|_| ()))?;
        on_backend!(self, c => sqlx::query("INSERT INTO login_failures (username, at) VALUES ($1, $2)")
            .bind(username)
            .bind(at)
            .execute(&mut **c)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Forgets `username`'s failed logins (it logged in).
    pub async fn clear_login_failures(&mut self, username: &str) -> Result<()> {
        on_backend!(self, c => sqlx::query("DELETE FROM login_failures WHERE username = $1")
            .bind(username)
            .execute(&mut **c)
            .await
            .map(|_| ()))?;
        Ok(())
    }
}
