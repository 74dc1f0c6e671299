//! Ownership rules: the owner cap (客户上限).

use serde::{Deserialize, Serialize};

use crate::user::User;

/// Cap used for users without one of their own, unless configured otherwise.
pub const DEFAULT_OWNER_CAP: u32 = 200;

/// The cap that applies to `user`.
pub fn effective_cap(user: &User, default_cap: u32) -> u32 {
    user.owner_cap.unwrap_or(default_cap)
}

/// Returned when taking one more customer would exceed the owner's cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("owner cap reached: owns {owned} of at most {cap} customers")]
pub struct CapExceeded {
    pub cap: u32,
    pub owned: u64,
}

/// May someone who owns `owned` customers take one more under `cap`?
pub fn check_cap(owned: u64, cap: u32) -> Result<(), CapExceeded> {
    if owned < u64::from(cap) {
        Ok(())
    } else {
        Err(CapExceeded { cap, owned })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_allows_up_to_and_including_the_limit() {
        assert!(check_cap(0, 1).is_ok());
        assert_eq!(check_cap(1, 1), Err(CapExceeded { cap: 1, owned: 1 }));
        assert!(check_cap(199, 200).is_ok());
        assert!(check_cap(5, 0).is_err());
    }
}
