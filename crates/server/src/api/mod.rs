//! The HTTP API under `/api/v1`. Every handler is annotated for the OpenAPI document, which is
//! assembled from the same router that serves the requests, so the two cannot drift apart.

mod assignment;
mod audit;
mod auth;
mod collisions;
mod customers;
mod deals;
mod events;
mod followups;
mod imports;
mod ownership;
mod pool;
mod reports;
mod users;
mod webhooks;

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
        .routes(routes!(customers::merge))
        .routes(routes!(customers::unmerge))
        .routes(routes!(collisions::list, collisions::appeal))
        .routes(routes!(collisions::get))
        .routes(routes!(collisions::decide))
        .routes(routes!(collisions::scan))
        .routes(routes!(followups::add, followups::list))
        .routes(routes!(ownership::claim))
        .routes(routes!(ownership::release))
        .routes(routes!(ownership::transfer))
        .routes(routes!(audit::list))
        .routes(routes!(users::create, users::list))
        .routes(routes!(users::get, users::update))
        .routes(routes!(users::create_team, users::list_teams))
        .routes(routes!(pool::get_policy, pool::set_policy))
        .routes(routes!(pool::get_team_policy, pool::set_team_policy))
        .routes(routes!(pool::list))
        .routes(routes!(pool::recycle))
        .routes(routes!(assignment::create, assignment::list))
        .routes(routes!(
            assignment::get,
            assignment::update,
            assignment::delete
        ))
        .routes(routes!(assignment::versions))
        .routes(routes!(assignment::dry_run))
        .routes(routes!(assignment::intake))
        .routes(routes!(reports::report))
        .routes(routes!(reports::download))
        .routes(routes!(reports::chart))
        .routes(routes!(deals::add, deals::list))
        .routes(routes!(deals::update))
        .routes(routes!(events::stream))
        .routes(routes!(webhooks::create, webhooks::list))
        .routes(routes!(webhooks::update, webhooks::delete))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(imports::upload, imports::list))
        .routes(routes!(imports::upload_followups))
        .routes(routes!(imports::get))
        .routes(routes!(imports::result))
}
