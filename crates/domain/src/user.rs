//! Users, roles and teams.

use serde::{Deserialize, Serialize};

/// What a user may see and do: reps their own customers, managers their team's, admins all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Rep,
    Manager,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Rep => "rep",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s.trim().to_ascii_lowercase().as_str() {
            "rep" => Some(Role::Rep),
            "manager" => Some(Role::Manager),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Team {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// Name of the user's team, if any.
    pub team: Option<String>,
    pub active: bool,
    /// Most customers this user may own at once; `null`: the global default applies.
    pub owner_cap: Option<u32>,
    /// On leave: skipped by assignment rules.
    #[serde(default)]
    pub on_leave: bool,
}

impl User {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// A manager manages the members of their own team (themselves included).
    pub fn manages(&self, other: &User) -> bool {
        match self.role {
            Role::Admin => true,
            Role::Manager => {
                self.id == other.id || (self.team.is_some() && self.team == other.team)
            }
            Role::Rep => false,
        }
    }
}

/// Usernames are ASCII handles used in URLs, logs and CSV files.
pub fn validate_username(s: &str) -> Result<(), &'static str> {
    if s.is_empty() || s.len() > 64 {
        return Err("username must be 1 to 64 characters");
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err("username may contain only letters, digits, '_', '-' and '.'");
    }
    Ok(())
}

/// Team names are shown to people; any script is fine, but not empty or absurdly long.
pub fn validate_team_name(s: &str) -> Result<(), &'static str> {
    let n = s.trim().chars().count();
    if n == 0 || n > 100 {
        return Err("team name must be 1 to 100 characters");
    }
    Ok(())
}

pub const MIN_PASSWORD_CHARS: usize = 8;

pub fn validate_password(s: &str) -> Result<(), &'static str> {
    if s.chars().count() < MIN_PASSWORD_CHARS {
        return Err("password must be at least 8 characters");
    }
    if s.len() > 1024 {
        return Err("password must be at most 1024 bytes");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i64, role: Role, team: Option<&str>) -> User {
        User {
            on_leave: false,
            id,
            username: format!("u{id}"),
            display_name: format!("U{id}"),
            role,
            team: team.map(str::to_string),
            active: true,
            owner_cap: None,
        }
    }

    #[test]
    fn managers_manage_only_their_team() {
        let m = user(1, Role::Manager, Some("east"));
        assert!(m.manages(&user(2, Role::Rep, Some("east"))));
        assert!(!m.manages(&user(3, Role::Rep, Some("west"))));
        assert!(!m.manages(&user(4, Role::Rep, None)));
        let teamless = user(5, Role::Manager, None);
        assert!(!teamless.manages(&user(6, Role::Rep, None)));
        assert!(user(7, Role::Admin, None).manages(&user(3, Role::Rep, Some("west"))));
        assert!(!user(8, Role::Rep, Some("east")).manages(&user(2, Role::Rep, Some("east"))));
    }

    #[test]
    fn usernames_are_handles() {
        assert!(validate_username("zhang.san-01").is_ok());
        assert!(validate_username("").is_err());
        assert!(validate_username("张三").is_err());
        assert!(validate_username("a b").is_err());
    }
}
