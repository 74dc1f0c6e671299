//! Users and teams.

use leadguard_domain::user::{Role, Team, User};
use leadguard_domain::{Id, Timestamp};

use crate::Result;
use crate::error::{StoreError, is_unique_violation};
use crate::exec::{Exec, on_backend};

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub team_id: Option<Id>,
    pub owner_cap: Option<u32>,
    pub password_hash: String,
    pub active: bool,
}

/// Fields to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    /// `Some(None)` removes the user from their team.
    pub team_id: Option<Option<Id>>,
    /// `Some(None)` falls back to the default cap.
    pub owner_cap: Option<Option<u32>>,
    pub active: Option<bool>,
    pub on_leave: Option<bool>,
    pub password_hash: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    role: String,
    team: Option<String>,
    active: bool,
    owner_cap: Option<i64>,
    on_leave: bool,
}

impl UserRow {
    pub(crate) fn into_user(self) -> Result<User> {
        Ok(User {
            id: self.id,
            role: Role::parse(&self.role).ok_or_else(|| {
                StoreError::Corrupt(format!("user {}: unknown role {}", self.id, self.role))
            })?,
            username: self.username,
            display_name: self.display_name,
            team: self.team,
            active: self.active,
            owner_cap: self.owner_cap.map(|c| u32::try_from(c).unwrap_or(u32::MAX)),
            on_leave: self.on_leave,
        })
    }
}

/// `SELECT` of a [`UserRow`]; a macro so that `concat!` can extend it into a `&'static str`.
macro_rules! select_user {
    () => {
        "SELECT u.id, u.username, u.display_name, u.role, t.name AS team, u.active, u.owner_cap, u.on_leave
         FROM users u LEFT JOIN teams t ON t.id = u.team_id "
    };
}

#[derive(sqlx::FromRow)]
struct TeamRow {
    id: i64,
    name: String,
}

impl Exec<'_> {
    pub async fn insert_team(&mut self, name: &str, now: Timestamp) -> Result<Team> {
        let res = on_backend!(self, c => sqlx::query_as::<_, TeamRow>(
            "INSERT INTO teams (name, created_at) VALUES ($1, $2) RETURNING id, name",
        )
        .bind(name)
        .bind(now)
        .fetch_one(&mut **c)
        .await);
        match res {
            Ok(r) => Ok(Team {
                id: r.id,
                name: r.name,
            }),
            Err(e) if is_unique_violation(&e) => Err(StoreError::AlreadyExists { what: "team" }),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn team_by_name(&mut self, name: &str) -> Result<Option<Team>> {
        let row = on_backend!(self, c => sqlx::query_as::<_, TeamRow>("SELECT id, name FROM teams WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut **c)
            .await)?;
        Ok(row.map(|r| Team {
            id: r.id,
            name: r.name,
        }))
    }

    pub async fn list_teams(&mut self) -> Result<Vec<Team>> {
        let rows = on_backend!(self, c => sqlx::query_as::<_, TeamRow>("SELECT id, name FROM teams ORDER BY name")
            .fetch_all(&mut **c)
            .await)?;
        Ok(rows
            .into_iter()
            .map(|r| Team {
                id: r.id,
                name: r.name,
            })
            .collect())
    }

    pub async fn insert_user(&mut self, u: &NewUser, now: Timestamp) -> Result<User> {
        let res = on_backend!(self, c => sqlx::query_scalar::<_, i64>(
            "INSERT INTO users (username, display_name, role, team_id, active, owner_cap, password_hash, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(&u.username)
        .bind(&u.display_name)
        .bind(u.role.as_str())
        .bind(u.team_id)
        .bind(u.active)
        .bind(u.owner_cap.map(i64::from))
        .bind(&u.password_hash)
        .bind(now)
        .fetch_one(&mut **c)
        .await);
        let id = match res {
            Ok(id) => id,
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::AlreadyExists { what: "user" });
            }
            Err(e) => return Err(e.into()),
        };
        self.user_by_id(id)
            .await?
            .ok_or(StoreError::NotFound { what: "user" })
    }

    pub async fn user_by_id(&mut self, id: Id) -> Result<Option<User>> {
        let row = on_backend!(self, c => sqlx::query_as::<_, UserRow>(
            concat!(select_user!(), "WHERE u.id = $1"),
        )
        .bind(id)
        .fetch_optional(&mut **c)
        .await)?;
        row.map(UserRow::into_user).transpose()
    }

    pub async fn user_by_username(&mut self, username: &str) -> Result<Option<User>> {
        let row = on_backend!(self, c => sqlx::query_as::<_, UserRow>(
            concat!(select_user!(), "WHERE u.username = $1"),
        )
        .bind(username)
        .fetch_optional(&mut **c)
        .await)?;
        row.map(UserRow::into_user).transpose()
    }

    /// The stored password hash of a user, for logging in.
    pub async fn password_hash(&mut self, user_id: Id) -> Result<Option<String>> {
        Ok(
            on_backend!(self, c => sqlx::query_scalar::<_, String>("SELECT password_hash FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&mut **c)
            .await)?,
        )
    }

    pub async fn list_users(&mut self, team_id: Option<Id>) -> Result<Vec<User>> {
        let rows = on_backend!(self, c => sqlx::query_as::<_, UserRow>(
            concat!(select_user!(), "WHERE ($1 IS NULL OR u.team_id = $1) AND u.username <> '_system' ORDER BY u.username"),
        )
        .bind(team_id)
        .fetch_all(&mut **c)
        .await)?;
        rows.into_iter().map(UserRow::into_user).collect()
    }

    pub async fn update_user(&mut self, id: Id, p: &UserPatch) -> Result<User> {
        // COALESCE keeps a column when its parameter is NULL; for the nullable columns a flag
        // tells "leave as is" from "set to NULL".
        let affected = on_backend!(self, c => sqlx::query(
            "UPDATE users SET
                display_name  = COALESCE($1, display_name),
                role          = COALESCE($2, role),
                team_id       = CASE WHEN $3 THEN $4 ELSE team_id END,
                owner_cap     = CASE WHEN $5 THEN $6 ELSE owner_cap END,
                active        = COALESCE($7, active),
                password_hash = COALESCE($8, password_hash),
                on_leave      = COALESCE($10, on_leave)
             WHERE id = $9",
        )
        .bind(p.display_name.as_deref())
        .bind(p.role.map(Role::as_str))
        .bind(p.team_id.is_some())
        .bind(p.team_id.flatten())
        .bind(p.owner_cap.is_some())
        .bind(p.owner_cap.flatten().map(i64::from))
        .bind(p.active)
        .bind(p.password_hash.as_deref())
        .bind(id)
        .bind(p.on_leave)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected()))?;
        if affected == 0 {
            return Err(StoreError::NotFound { what: "user" });
        }
        self.user_by_id(id)
            .await?
            .ok_or(StoreError::NotFound { what: "user" })
    }

    /// The team of a user, by id.
    pub async fn team_of(&mut self, user_id: Id) -> Result<Option<Id>> {
        Ok(on_backend!(self, c => sqlx::query_scalar::<_, Option<i64>>("SELECT team_id FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&mut **c)
            .await)?
        .flatten())
    }

    pub async fn count_users(&mut self) -> Result<i64> {
        Ok(
            on_backend!(self, c => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users")
            .fetch_one(&mut **c)
            .await)?,
        )
    }
}
