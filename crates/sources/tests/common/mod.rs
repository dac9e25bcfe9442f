//! Fixture HTTP servers on 127.0.0.1 and config builders shared by the tests.
#![allow(dead_code)]

use axum::Router;
use repmon_config::{ByteSize, Duration, Poll, Source};
use std::net::SocketAddr;

/// Serves `app` on a random loopback port; returns `http://127.0.0.1:PORT`.
pub async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.ok();
    });
    format!("http://{addr}")
}

/// Poll settings for tests: short timeout, no delay unless asked.
pub fn poll_settings(timeout_ms: u64, max_body: u64, concurrency: usize, delay_ms: u64) -> Poll {
    Poll {
        interval: Duration::from_secs(60),
        timeout: Duration(std::time::Duration::from_millis(timeout_ms)),
        max_body: ByteSize(max_body),
        user_agent: "repmon-test/<version>".into(),
        host_concurrency: concurrency,
        host_delay: Duration(std::time::Duration::from_millis(delay_ms)),
    }
}

pub fn fast_poll() -> Poll {
    poll_settings(5_000, 8 * 1024 * 1024, 4, 0)
}

/// A source from the keys a user would write in the config.
pub fn source(json: serde_json::Value) -> Source {
    serde_json::from_value(json).expect("test source is valid")
}

pub fn feed_source(id: &str, url: &str) -> Source {
    source(serde_json::json!({"id": id, "kind": "feed", "url": url}))
}

/// A fetcher with [`fast_poll`] settings.
pub fn fetcher() -> repmon_sources::Fetcher {
    repmon_sources::Fetcher::new(&fast_poll()).expect("test fetcher")
}

/// The first poll of a source: nothing remembered from before.
pub async fn first_poll(
    fetcher: &repmon_sources::Fetcher,
    source: &Source,
) -> Result<repmon_sources::PollOutcome, repmon_sources::SourceError> {
    repmon_sources::poll(fetcher, source, &repmon_sources::SourceState::default()).await
}

/// A route that answers every GET with `page` as HTML.
pub fn html_page(page: &'static str) -> axum::routing::MethodRouter {
    axum::routing::get(move || async move { axum::response::Html(page) })
}
