//! The parts of the OpenAPI document that are not derived from the handlers.

use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Leadguard API",
        description = "Duplicate check, first-come ownership and assignment of customers: ends 撞单 (sales collisions).\n\nLog in with `POST /api/v1/auth/login`, then send `Authorization: Bearer TOKEN`. Every error has the body `{\"error\": CODE, \"message\": TEXT, ...}` with a stable CODE.",
        license(name = "MIT")
    ),
    // Query parameter types are not collected from the handlers.
    components(schemas(
        leadguard_service::Scope,
        leadguard_service::Sort,
        leadguard_domain::collision::CaseStatus
    )),
    tags(
        (name = "auth", description = "Logging in and out"),
        (name = "customers", description = "Entering customers with the duplicate check; reading and changing them"),
        (name = "follow-ups", description = "跟进记录"),
        (name = "ownership", description = "Claim from the pool, release to it, transfer"),
        (name = "audit", description = "The append-only log of ownership changes"),
        (name = "users", description = "Users and teams"),
        (name = "pool", description = "The public pool (公海): policies, browsing, recycling"),
        (name = "collisions", description = "Collision cases (撞单): appeals, the managers' inbox, decisions (裁决), merges (合并)"),
        (name = "assignment", description = "Assignment rules (分配规则), dry runs and lead intake"),
        (name = "reports", description = "Collision, fairness and pool reports: JSON, CSV, XLSX, SVG charts"),
        (name = "deals", description = "Deals (商机)"),
        (name = "events", description = "Live events (server-sent events)"),
        (name = "webhooks", description = "Webhooks: generic JSON with HMAC, WeCom, DingTalk, Feishu robots"),
    )
)]
struct Base;

pub fn base() -> OpenApi {
    <Base as utoipa::OpenApi>::openapi()
}

pub fn finish(mut doc: OpenApi) -> OpenApi {
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("opaque")
                .build(),
        ),
    );
    doc
}
