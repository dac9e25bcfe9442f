//! repmon's HTTP face: the JSON API of SPEC.md under `/api/v1`, `/healthz`,
//! `/metrics` (Prometheus text), and the analysts' web page at `/`.
//!
//! Everything the store and monitor do blocks, so every call to them goes
//! through `spawn_blocking`; the async workers only move bytes. The web page
//! is rendered on the server (minijinja, auto-escaped) and calls the monitor
//! directly, so it needs no API token.

mod api;
mod chart;
mod params;
mod telemetry;
mod web;

pub use telemetry::{SourceCounters, Telemetry};

use axum::Router;
use axum::routing::get;
use std::sync::Arc;

/// What every handler needs: the store, the monitor over it, the config and
/// the daemon's telemetry. Cheap to clone (all shared).
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<repmon_store::Store>,
    pub monitor: Arc<repmon_monitor::Monitor>,
    pub config: Arc<repmon_config::Config>,
    pub telemetry: Arc<Telemetry>,
}

/// The whole HTTP surface: `/api/v1/*` (behind bearer tokens when
/// `server.api_tokens` is set), `/healthz`, `/metrics` and the web page.
pub fn router(state: AppState) -> Router {
    let api = api::routes(state.clone());
    Router::new()
        .route("/healthz", get(api::healthz))
        .route("/metrics", get(api::metrics))
        .route("/", get(web::ranking_page))
        .route("/companies/{id}", get(web::company_page))
        .route("/search", get(web::search_page))
        .route("/sources", get(web::sources_page))
        .nest("/api", api)
        .fallback(web::not_found_page)
        .with_state(state)
}

/// Runs a blocking store/monitor call off the async workers. A panic in it
/// comes back as an error message instead of tearing down the connection.
pub(crate) async fn blocking<T, F>(f: F) -> Result<T, String>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| format!("the request's worker failed: {e}"))
}
