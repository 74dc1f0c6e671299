//! Who may see and change what. Admins: everything; managers: their team's customers; reps:
//! their own. Everyone else learns only *that* a customer is owned, and by whom.

use serde::{Deserialize, Serialize};

use crate::user::{Role, User};

/// How much of a customer a viewer may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Every field, contacts and follow-ups; the viewer may change the customer.
    Full,
    /// Name, owner and masked hints only.
    Limited,
}

/// Access of `viewer` to a customer owned by `owner` (`None`: in the public pool).
pub fn customer_access(viewer: &User, owner: Option<&User>) -> Access {
    if viewer.role == Role::Admin {
        return Access::Full;
    }
    match owner {
        Some(owner) if owner.id == viewer.id => Access::Full,
        Some(owner) if viewer.role == Role::Manager && viewer.manages(owner) => Access::Full,
        _ => Access::Limited,
    }
}

/// May `actor` merge (or unmerge) a customer owned by `owner`? Admins any; managers their
/// team's and pool customers; reps only their own.
pub fn may_merge(actor: &User, owner: Option<&User>) -> bool {
    match actor.role {
        Role::Admin => true,
        Role::Manager => owner.is_none_or(|o| o.id == actor.id || actor.manages(o)),
        Role::Rep => owner.is_some_and(|o| o.id == actor.id),
    }
}

/// May `actor` move a customer currently owned by `owner` to `target`? Admins may move any
/// customer to anyone; managers only within their own team (pool customers included).
pub fn may_transfer(actor: &User, owner: Option<&User>, target: &User) -> bool {
    match actor.role {
        Role::Admin => true,
        Role::Manager => owner.is_none_or(|o| actor.manages(o)) && actor.manages(target),
        Role::Rep => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i64, role: Role, team: &str) -> User {
        User {
            on_leave: false,
            id,
            username: format!("u{id}"),
            display_name: format!("U{id}"),
            role,
            team: Some(team.to_string()),
            active: true,
            owner_cap: None,
        }
    }

    #[test]
    fn reps_see_only_their_own() {
        let a = user(1, Role::Rep, "east");
        let b = user(2, Role::Rep, "east");
        assert_eq!(customer_access(&a, Some(&a)), Access::Full);
        assert_eq!(customer_access(&a, Some(&b)), Access::Limited);
        assert_eq!(customer_access(&a, None), Access::Limited);
    }

    #[test]
    fn managers_see_their_team() {
        let m = user(1, Role::Manager, "east");
        assert_eq!(
            customer_access(&m, Some(&user(2, Role::Rep, "east"))),
            Access::Full
        );
        assert_eq!(
            customer_access(&m, Some(&user(3, Role::Rep, "west"))),
            Access::Limited
        );
        assert_eq!(
            customer_access(&user(4, Role::Admin, "x"), None),
            Access::Full
        );
    }

    #[test]
    fn transfers_stay_inside_a_managers_team() {
        let m = user(1, Role::Manager, "east");
        let e1 = user(2, Role::Rep, "east");
        let e2 = user(3, Role::Rep, "east");
        let w = user(4, Role::Rep, "west");
        assert!(may_transfer(&m, Some(&e1), &e2));
        assert!(may_transfer(&m, None, &e2));
        assert!(!may_transfer(&m, Some(&e1), &w));
        assert!(!may_transfer(&m, Some(&w), &e1));
        assert!(!may_transfer(&e1, Some(&e1), &e2));
        assert!(may_transfer(&user(5, Role::Admin, "x"), Some(&w), &e1));
    }
}
