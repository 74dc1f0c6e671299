//! Leadguard's HTTP face: the JSON API under `/api/v1`, its OpenAPI document at
//! `/api/openapi.json`, `/healthz`, and the web pages.

mod api;
pub mod charts;
pub mod delivery;
pub mod error;
mod extract;
mod openapi;
mod pages;

use std::future::Future;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use leadguard_service::Service;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::error::ApiError;

/// Largest request body accepted (customers with many contacts fit easily).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub service: Service,
}

/// The whole application: API, OpenAPI document, health check and pages.
pub fn app(service: Service) -> Router {
    let state = AppState { service };
    let (api, doc) = OpenApiRouter::with_openapi(openapi::base())
        .nest("/api/v1", api::router())
        .split_for_parts();
    let doc = openapi::finish(doc);
    Router::new()
        .merge(api)
        .route("/api/openapi.json", get(move || openapi_json(doc.clone())))
        .route("/healthz", get(healthz))
        .merge(pages::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::map_response(close_after_unread_body))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(60),
        ))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error; it has been logged",
            )
            .into_response()
        }))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// The OpenAPI document of [`app`].
pub fn openapi_document() -> OpenApi {
    let (_, doc) = OpenApiRouter::<AppState>::with_openapi(openapi::base())
        .nest("/api/v1", api::router())
        .split_for_parts();
    openapi::finish(doc)
}

async fn openapi_json(doc: OpenApi) -> Json<OpenApi> {
    Json(doc)
}

/// 200 when the database answers; 503 otherwise.
async fn healthz(State(state): State<AppState>) -> Response {
    match state.service.store().ping().await {
        Ok(()) => Json(serde_json::json!({"status": "ok"})).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the database does not answer",
            )
            .into_response()
        }
    }
}

/// A refused oversized body is left unread, so the connection cannot carry another request;
/// say so, or a keep-alive client would send its next request into a closed socket.
async fn close_after_unread_body(mut resp: Response) -> Response {
    if resp.status() == StatusCode::PAYLOAD_TOO_LARGE {
        resp.headers_mut().insert(
            axum::http::header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
    }
    resp
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such endpoint; see /api/openapi.json",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that method",
    )
}

/// Work `serve` does besides answering requests. Several processes may share one database:
/// both jobs coordinate through it, so none recycles a customer or sends a message twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Background {
    /// How often the scheduled jobs run: recycling customers to the pool, and sending the
    /// weekly report when it is due (`None`: never, for deployments that run `leadguard
    /// recycle` from cron instead).
    pub recycle_every: Option<Duration>,
    /// How often the webhook outbox is polled for due deliveries (`None`: never).
    pub deliver_every: Option<Duration>,
    /// How often import jobs are looked for (`None`: this server works none). Jobs
    /// uploaded to this server start at once; this finds those uploaded to another server
    /// and those left by a server that died.
    pub import_every: Option<Duration>,
}

impl Background {
    /// No background work (tests that drive recycling and delivery themselves).
    pub const NONE: Background = Background {
        recycle_every: None,
        deliver_every: None,
        import_every: None,
    };
}

impl Default for Background {
    fn default() -> Self {
        Background {
            recycle_every: Some(Duration::from_secs(600)),
            deliver_every: Some(Duration::from_secs(1)),
            import_every: Some(Duration::from_secs(5)),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then finishes in-flight requests;
/// runs the `background` jobs meanwhile.
pub async fn serve(
    listener: tokio::net::TcpListener,
    service: Service,
    background: Background,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut jobs = tokio::task::JoinSet::new();
    if let Some(every) = background.recycle_every {
        jobs.spawn(schedule_loop(service.clone(), every));
    }
    if let Some(every) = background.deliver_every {
        jobs.spawn(delivery::run(service.clone(), every));
    }
    if let Some(every) = background.import_every {
        jobs.spawn(import_loop(service.clone(), every));
    }
    let served = axum::serve(listener, app(service))
        .with_graceful_shutdown(shutdown)
        .await;
    // Stopping mid-job loses nothing: a recycle is one transaction per customer, and a
    // delivery whose outcome was not recorded is sent again after its lease.
    jobs.shutdown().await;
    served
}

/// Works import jobs one after another; a job cut short (this server stopping, the database
/// away) is resumed after its lease, here or elsewhere, from its last committed batch.
async fn import_loop(service: Service, every: Duration) {
    loop {
        match service.run_next_import_job().await {
            Ok(Some(_)) => continue,
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "import worker: trying again later"),
        }
        tokio::select! {
            () = service.import_queued() => {}
            () = tokio::time::sleep(every) => {}
        }
    }
}

async fn schedule_loop(service: Service, every: Duration) {
    loop {
        if let Err(e) = service.recycle(false).await {
            tracing::warn!(error = %e, "recycling run failed; trying again later");
        }
        if let Err(e) = service.send_weekly_report().await {
            tracing::warn!(error = %e, "weekly report failed; trying again later");
        }
        tokio::time::sleep(every).await;
    }
}
