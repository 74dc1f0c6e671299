//! The HTTP API under `/api/v1`. Every handler is annotated for the OpenAPI document, which is
//! assembled from the same router that serves the requests, so the two cannot drift apart.

mod audit;
mod auth;
mod customers;
mod followups;
mod ownership;
mod users;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(customers::create, customers::list))
        .routes(routes!(customers::check))
        .routes(routes!(customers::get, customers::update))
        .routes(routes!(followups::add, followups::list))
        .routes(routes!(ownership::claim))
        .routes(routes!(ownership::release))
        .routes(routes!(ownership::transfer))
        .routes(routes!(audit::list))
        .routes(routes!(users::create, users::list))
        .routes(routes!(users::get, users::update))
        .routes(routes!(users::create_team, users::list_teams))
}
