//! Web pages. The full UI arrives with its own issue; until then the root page says what this
//! server is and where its API is described.

use axum::Router;
use axum::response::Html;
use axum::routing::get;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(index))
}

async fn index() -> Html<&'static str> {
    Html(include_str!("pages/index.html"))
}
