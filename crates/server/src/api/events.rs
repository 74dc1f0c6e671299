use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures::Stream;
use serde::Deserialize;

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiQuery, Auth};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// Resume after this event id (also read from the `Last-Event-ID` header); absent: only
    /// events from now on.
    pub after: Option<i64>,
}

/// How often the stream looks for new events. Events come from the database, so every
/// `leadguard serve` process sees every event.
const POLL: Duration = Duration::from_millis(500);

/// The live event stream (server-sent events), only the events you may see.
///
/// Each message has `id` (resume with `Last-Event-ID`), `event` (the type, e.g.
/// `customer.recycle_warning`) and `data` (the event as JSON).
#[utoipa::path(get, path = "/events", tag = "events", operation_id = "events", security(("bearer" = [])),
    params(EventsQuery),
    responses(
        (status = 200, description = "text/event-stream of events", content_type = "text/event-stream", body = String),
        (status = 401, description = "Not logged in", body = ErrorBody),
    ))]
pub async fn stream(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    let from_header = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let after = match q.after.or(from_header) {
        Some(a) => a,
        None => state.service.last_event_id().await?,
    };
    let service = state.service.clone();
    let user = auth.user;
    let stream = futures::stream::unfold(
        (after, Vec::new()),
        move |(mut cursor, mut pending): (i64, Vec<leadguard_domain::event::Event>)| {
            let service = service.clone();
            let user = user.clone();
            async move {
                loop {
                    if let Some(e) = (!pending.is_empty()).then(|| pending.remove(0)) {
                        cursor = e.id;
                        let msg = SseEvent::default()
                            .id(e.id.to_string())
                            .event(e.kind.as_str())
                            .data(serde_json::to_string(&e).unwrap_or_default());
                        return Some((Ok(msg), (cursor, pending)));
                    }
                    match service.events_after(&user, cursor, 100).await {
                        Ok(events) if !events.is_empty() => pending = events,
                        Ok(_) => tokio::time::sleep(POLL).await,
                        Err(e) => {
                            tracing::warn!(error = %e, "event stream");
                            tokio::time::sleep(POLL * 4).await;
                        }
                    }
                }
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
