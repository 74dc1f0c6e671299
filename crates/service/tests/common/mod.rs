//! Shared by the service's integration tests.

use leadguard_domain::user::{Role, User};
use leadguard_service::{NewUserRequest, Service};

/// The password of every user [`rep`] adds.
pub const PASSWORD: &str = "s3cret-pass";

/// Adds a rep without a team, with their own owner cap if given.
pub async fn rep(service: &Service, username: &str, owner_cap: Option<u32>) -> User {
    let req = NewUserRequest {
        username: username.into(),
        password: PASSWORD.into(),
        role: Role::Rep,
        display_name: None,
        team: None,
        owner_cap,
    };
    service.create_user(None, req, false).await.expect("user")
}
