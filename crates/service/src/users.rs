//! Users and teams: admins manage them; managers see their team.

use leadguard_domain::user::{
    Role, Team, User, validate_password, validate_team_name, validate_username,
};
use leadguard_store::{NewUser, UserPatch};
use serde::Deserialize;

use crate::Service;
use crate::auth::hash_password;
use crate::error::{Result, ServiceError};

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    pub username: String,
    pub password: String,
    pub role: Role,
    #[serde(default)]
    pub display_name: Option<String>,
    /// Name of an existing team.
    #[serde(default)]
    pub team: Option<String>,
    /// Owner cap; absent: the default cap applies.
    #[serde(default)]
    pub owner_cap: Option<u32>,
}

/// Changes to a user; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    /// Team name; an empty string removes the user from their team.
    pub team: Option<String>,
    /// Owner cap; a negative number restores the default cap.
    pub owner_cap: Option<i64>,
    /// Deactivated users cannot log in; their sessions end at once.
    pub active: Option<bool>,
    /// On leave: assignment rules skip the user.
    pub on_leave: Option<bool>,
    pub password: Option<String>,
}

fn require_admin(actor: &User) -> Result<()> {
    if actor.is_admin() {
        Ok(())
    } else {
        Err(ServiceError::forbidden(
            "only an admin may manage users and teams",
        ))
    }
}

impl Service {
    /// Creates a user as `actor` (an admin), or as the system when `actor` is `None` (command
    /// line). With `create_team`, a missing team is created on the way.
    pub async fn create_user(
        &self,
        actor: Option<&User>,
        req: NewUserRequest,
        create_team: bool,
    ) -> Result<User> {
        if let Some(a) = actor {
            require_admin(a)?;
        }
        let mut errs = Vec::new();
        let username = req.username.trim().to_string();
        if let Err(m) = validate_username(&username) {
            errs.push(leadguard_domain::FieldError::new(
                "username",
                "invalid_username",
                m,
            ));
        }
        if let Err(m) = validate_password(&req.password) {
            errs.push(leadguard_domain::FieldError::new(
                "password",
                "weak_password",
                m,
            ));
        }
        let display_name = req
            .display_name
            .map(|d| d.trim().to_string())
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| username.clone());
        if display_name.chars().count() > 100 {
            errs.push(leadguard_domain::FieldError::new(
                "display_name",
                "too_long",
                "display name must be at most 100 characters",
            ));
        }
        let team = req
            .team
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        if let Some(t) = &team
            && let Err(m) = validate_team_name(t)
        {
            errs.push(leadguard_domain::FieldError::new("team", "invalid_team", m));
        }
        if !errs.is_empty() {
            return Err(ServiceError::Invalid(errs));
        }
        let password_hash = hash_password(&req.password).await?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let team_id = match &team {
            None => None,
            Some(name) => match tx.exec().team_by_name(name).await? {
                Some(t) => Some(t.id),
                None if create_team => Some(tx.exec().insert_team(name, now).await?.id),
                None => {
                    return Err(ServiceError::invalid(
                        "team",
                        "unknown_team",
                        format!("there is no team named “{name}”; create it first"),
                    ));
                }
            },
        };
        let user = tx
            .exec()
            .insert_user(
                &NewUser {
                    username,
                    display_name,
                    role: req.role,
                    team_id,
                    owner_cap: req.owner_cap,
                    password_hash,
                    active: true,
                },
                now,
            )
            .await?;
        tx.commit().await?;
        tracing::info!(username = %user.username, role = %user.role, "user created");
        Ok(user)
    }

    pub async fn create_team(&self, actor: Option<&User>, name: &str) -> Result<Team> {
        if let Some(a) = actor {
            require_admin(a)?;
        }
        let name = name.trim();
        validate_team_name(name).map_err(|m| ServiceError::invalid("name", "invalid_team", m))?;
        let mut tx = self.store.begin().await?;
        let team = tx.exec().insert_team(name, self.now()).await?;
        tx.commit().await?;
        Ok(team)
    }

    pub async fn list_teams(&self) -> Result<Vec<Team>> {
        let mut conn = self.store.read().await?;
        Ok(conn.exec().list_teams().await?)
    }

    /// Admins see everyone, managers their team, reps themselves.
    pub async fn list_users(&self, actor: &User) -> Result<Vec<User>> {
        let mut conn = self.store.read().await?;
        match actor.role {
            Role::Admin => Ok(conn.exec().list_users(None).await?),
            Role::Manager => match &actor.team {
                Some(team) => {
                    let team_id = conn.exec().team_by_name(team).await?.map(|t| t.id);
                    Ok(conn.exec().list_users(team_id).await?)
                }
                None => Ok(vec![actor.clone()]),
            },
            Role::Rep => Ok(vec![actor.clone()]),
        }
    }

    pub async fn get_user(&self, actor: &User, username: &str) -> Result<User> {
        let mut conn = self.store.read().await?;
        let user = conn
            .exec()
            .user_by_username(username)
            .await?
            .ok_or(ServiceError::NotFound { what: "user" })?;
        if actor.id == user.id || actor.manages(&user) {
            Ok(user)
        } else {
            Err(ServiceError::forbidden(
                "you may see only yourself and the members of your team",
            ))
        }
    }

    /// Changes a user (admin), or as the system when `actor` is `None`.
    pub async fn update_user(
        &self,
        actor: Option<&User>,
        username: &str,
        upd: UserUpdate,
    ) -> Result<User> {
        if let Some(a) = actor {
            require_admin(a)?;
        }
        let mut patch = UserPatch {
            display_name: upd
                .display_name
                .map(|d| d.trim().to_string())
                .filter(|d| !d.is_empty()),
            role: upd.role,
            active: upd.active,
            on_leave: upd.on_leave,
            ..Default::default()
        };
        if let Some(cap) = upd.owner_cap {
            patch.owner_cap = Some(if cap < 0 {
                None
            } else {
                Some(u32::try_from(cap).unwrap_or(u32::MAX))
            });
        }
        if let Some(p) = &upd.password {
            validate_password(p)
                .map_err(|m| ServiceError::invalid("password", "weak_password", m))?;
            patch.password_hash = Some(hash_password(p).await?);
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let user = tx
            .exec()
            .user_by_username(username)
            .await?
            .ok_or(ServiceError::NotFound { what: "user" })?;
        if let Some(team) = upd.team.as_deref().map(str::trim) {
            patch.team_id = Some(if team.is_empty() {
                None
            } else {
                let t = tx.exec().team_by_name(team).await?.ok_or_else(|| {
                    ServiceError::invalid(
                        "team",
                        "unknown_team",
                        format!("there is no team named “{team}”"),
                    )
                })?;
                Some(t.id)
            });
        }
        let updated = tx.exec().update_user(user.id, &patch).await?;
        if upd.active == Some(false) || upd.password.is_some() {
            tx.exec().revoke_user_sessions(user.id, now).await?;
        }
        tx.commit().await?;
        Ok(updated)
    }
}
