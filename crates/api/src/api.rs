//! The JSON API under `/api/v1` (SPEC.md "HTTP API"), `/healthz` and `/metrics`.

use crate::params::{self, MentionParams};
use crate::telemetry::gauge;
use crate::{AppState, blocking};
use axum::Router;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use repmon_model::{Retired, Sentiment, SourceHealthRecord, SourceKind};
use repmon_store::{SearchHit, StoreError, Table};
use serde::{Deserialize, Serialize};

/// An API failure, answered as `{"error": "..."}` with its status.
#[derive(Debug)]
pub(crate) enum ApiError {
    /// The request itself is wrong: a bad parameter or a malformed query.
    BadRequest(String),
    NotFound(String),
    Unauthorized,
    /// Our fault; logged, and the message is passed on so the client can report it.
    Internal(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, m),
            ApiError::Unauthorized => {
                let body = axum::Json(ErrorBody {
                    error: "this API needs a token: send \"Authorization: Bearer <token>\"".into(),
                });
                let mut resp = (StatusCode::UNAUTHORIZED, body).into_response();
                resp.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                return resp;
            }
            ApiError::Internal(m) => {
                tracing::error!(error = %m, "API request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, m)
            }
        };
        (status, axum::Json(ErrorBody { error: message })).into_response()
    }
}

#[derive(Serialize)]
struct ErrorBody {
    error: String,
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Query(_) => ApiError::BadRequest(e.to_string()),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<repmon_monitor::MonitorError> for ApiError {
    fn from(e: repmon_monitor::MonitorError) -> Self {
        match e {
            repmon_monitor::MonitorError::Store(s) => s.into(),
        }
    }
}

/// Query-string problems (e.g. broken percent-encoding) get the JSON answer too.
fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(t)| t)
        .map_err(|e| ApiError::BadRequest(e.body_text()))
}

/// `/api/*`: the v1 endpoints behind the token check, with JSON 404s.
pub(crate) fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/v1/ranking", get(ranking))
        .route("/v1/mentions", get(mentions))
        .route("/v1/companies/{id}", get(company))
        .route("/v1/sources", get(sources))
        .route("/v1/webhooks/deliveries", get(webhook_deliveries))
        .fallback(|| async { ApiError::NotFound("no such API endpoint".into()) })
        // `layer`, not `route_layer`: unknown paths are behind the token too,
        // so the API's shape is not probeable without one.
        .layer(middleware::from_fn_with_state(state, require_token))
}

async fn require_token(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let tokens = &state.config.server.api_tokens;
    if tokens.is_empty() || bearer(req.headers()).is_some_and(|given| token_matches(tokens, given))
    {
        next.run(req).await
    } else {
        ApiError::Unauthorized.into_response()
    }
}

/// The credentials of an `Authorization: Bearer <token>` header (the scheme
/// name is case-insensitive, RFC 9110).
fn bearer(headers: &HeaderMap) -> Option<&[u8]> {
    let value = headers.get(header::AUTHORIZATION)?.as_bytes();
    let (scheme, rest) = value.split_at_checked(7)?;
    scheme
        .eq_ignore_ascii_case(b"bearer ")
        .then(|| rest.trim_ascii())
}

/// Compares against every configured token in time that does not depend on
/// where the bytes differ, so response times do not leak a token.
fn token_matches(tokens: &[String], given: &[u8]) -> bool {
    let mut found = false;
    for t in tokens {
        found |= constant_time_eq(t.as_bytes(), given);
    }
    found
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    // Lengths are not secret enough to hide (tokens are long random strings).
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // Keeps the optimiser from turning the fold into an early-exit compare.
    std::hint::black_box(diff) == 0
}

#[derive(Deserialize)]
struct RankingParams {
    window: Option<String>,
    top: Option<String>,
}

async fn ranking(
    State(state): State<AppState>,
    q: Result<Query<RankingParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let p = query(q)?;
    let window =
        params::window(params::given(&p.window), &state.config).map_err(ApiError::BadRequest)?;
    let top = params::top(params::given(&p.top), &state.config).map_err(ApiError::BadRequest)?;
    let monitor = state.monitor.clone();
    // The daemon's latest re-rank when it is fresh: no full recompute per request.
    let ranking = blocking(move || monitor.current_ranking(Utc::now(), window, top))
        .await
        .map_err(ApiError::Internal)??;
    Ok(axum::Json(ranking).into_response())
}

#[derive(Deserialize)]
struct CompanyParams {
    window: Option<String>,
}

async fn company(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    q: Result<Query<CompanyParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = id.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let p = query(q)?;
    let window =
        params::window(params::given(&p.window), &state.config).map_err(ApiError::BadRequest)?;
    let monitor = state.monitor.clone();
    let lookup = id.clone();
    let report = blocking(move || monitor.company(&lookup, Utc::now(), window))
        .await
        .map_err(ApiError::Internal)??;
    match report {
        Some(r) => Ok(axum::Json(r).into_response()),
        None => Err(ApiError::NotFound(format!(
            "{id:?} is not a tracked company"
        ))),
    }
}

/// One mention as `GET /api/v1/mentions` lists it (SPEC.md).
#[derive(Serialize)]
struct MentionJson<'a> {
    id: &'a str,
    url: &'a str,
    title: &'a str,
    snippet: &'a str,
    source: &'a str,
    kind: SourceKind,
    author: Option<&'a str>,
    published: DateTime<Utc>,
    lang: &'a str,
    companies: Vec<CompanyJson<'a>>,
}

#[derive(Serialize)]
struct CompanyJson<'a> {
    id: &'a str,
    sentiment: Sentiment,
    score: f32,
}

impl<'a> From<&'a SearchHit> for MentionJson<'a> {
    fn from(hit: &'a SearchHit) -> Self {
        let doc = &hit.mention.doc;
        MentionJson {
            id: &doc.id,
            url: &doc.url,
            title: &doc.title,
            snippet: &hit.snippet,
            source: &doc.source,
            kind: doc.kind,
            author: doc.author.as_deref(),
            published: doc.published,
            lang: &hit.mention.lang,
            companies: hit
                .mention
                .companies
                .iter()
                .map(|c| CompanyJson {
                    id: &c.company,
                    sentiment: c.sentiment,
                    score: c.score,
                })
                .collect(),
        }
    }
}

#[derive(Serialize)]
struct MentionsJson<'a> {
    total: usize,
    mentions: Vec<MentionJson<'a>>,
}

async fn mentions(
    State(state): State<AppState>,
    q: Result<Query<MentionParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let search = query(q)?
        .to_query(&state.config, Utc::now())
        .map_err(ApiError::BadRequest)?;
    let store = state.store.clone();
    let page = blocking(move || store.search(&search))
        .await
        .map_err(ApiError::Internal)??;
    let body = MentionsJson {
        total: page.total,
        mentions: page.hits.iter().map(MentionJson::from).collect(),
    };
    Ok(axum::Json(body).into_response())
}

/// One source: what the config says about it and how its polls went.
#[derive(Serialize)]
pub(crate) struct SourceStatus {
    pub id: String,
    pub name: String,
    /// None for a source that polled but is no longer configured.
    pub kind: Option<SourceKind>,
    pub url: Option<String>,
    /// Seconds between polls.
    pub interval_secs: Option<u64>,
    /// "ok", "failing", "retired" or "not polled yet".
    pub status: &'static str,
    /// When the daemon means to poll the source next.
    pub next_poll: Option<DateTime<Utc>>,
    /// The server asked (Retry-After) not to be polled before this time.
    pub retry_after: Option<DateTime<Utc>>,
    /// Where the source is polled after a permanent redirect.
    pub moved_to: Option<String>,
    /// Set when the source answered 410 Gone and is no longer polled.
    pub retired: Option<Retired>,
    #[serde(flatten)]
    pub health: HealthJson,
}

/// The health fields of a source row: the stored health, and this
/// process's poll counters (which start at zero with the process).
#[derive(Serialize)]
pub(crate) struct HealthJson {
    /// The source id again (the row's `id`).
    pub source: String,
    /// When the last poll ran, whatever its outcome.
    pub last_poll: Option<DateTime<Utc>>,
    /// When a poll last succeeded.
    pub last_success: Option<DateTime<Utc>>,
    /// The error of the most recent failed poll (kept after a later success).
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    /// Failed polls since the last success; 0 when the source is healthy.
    pub consecutive_failures: u64,
    /// Polls by this process that succeeded.
    pub polls_ok: u64,
    /// Polls by this process that failed.
    pub polls_failed: u64,
    /// Documents new to this source, over all polls ever.
    pub documents_seen: u64,
    /// Documents new to this source in polls by this process.
    pub new_documents: u64,
}

/// The stored health of every source: the configured ones in config order
/// (a default record for those never polled), then any others the store
/// holds a record of (polled once, since removed from the config), by id.
fn stored_health(state: &AppState) -> Result<Vec<(String, SourceHealthRecord)>, StoreError> {
    let mut out = Vec::with_capacity(state.config.sources.len());
    for s in &state.config.sources {
        let h = state.store.get(Table::Sources, &s.id)?.unwrap_or_default();
        out.push((s.id.clone(), h));
    }
    // The table also keeps each source's recently seen document ids under
    // `seen/<id>`: those keys are not sources.
    for key in state.store.keys(Table::Sources, None, None)? {
        if key.starts_with("seen/") || state.config.sources.iter().any(|s| s.id == key) {
            continue;
        }
        if let Some(h) = state
            .store
            .get::<SourceHealthRecord>(Table::Sources, &key)?
        {
            out.push((key, h));
        }
    }
    Ok(out)
}

/// Every source's row, read from the stored health (the only record of it).
/// The error says why the store could not be read.
pub(crate) async fn source_statuses(state: &AppState) -> Result<Vec<SourceStatus>, String> {
    let reading = state.clone();
    let stored = blocking(move || stored_health(&reading))
        .await?
        .map_err(|e| format!("cannot read the stored source health: {e}"))?;
    let now = Utc::now();
    Ok(stored
        .into_iter()
        .map(|(id, saved)| {
            let configured = state.config.sources.iter().find(|s| s.id == id);
            // A retirement holds only while the config names the URL that went away.
            let retired = saved
                .retired
                .filter(|r| configured.is_none_or(|s| s.url == r.url));
            let status = match (&retired, saved.last_poll, saved.consecutive_failures) {
                (Some(_), _, _) => "retired",
                (None, None, _) => "not polled yet",
                (None, Some(_), 0) => "ok",
                _ => "failing",
            };
            let counted = state.telemetry.source_counters(&id);
            SourceStatus {
                name: configured.map_or_else(|| id.clone(), |s| s.display_name().to_string()),
                kind: configured.map(|s| s.kind),
                url: configured.map(|s| s.url.clone()),
                interval_secs: configured
                    .map(|s| s.interval.unwrap_or(state.config.poll.interval).as_secs()),
                status,
                next_poll: saved.next_poll.filter(|_| retired.is_none()),
                retry_after: saved.retry_after.filter(|t| *t > now),
                moved_to: saved.moved_to,
                retired,
                health: HealthJson {
                    source: id.clone(),
                    last_poll: saved.last_poll,
                    last_success: saved.last_success,
                    last_error: saved.last_error,
                    last_error_at: saved.last_error_at,
                    consecutive_failures: u64::from(saved.consecutive_failures),
                    polls_ok: counted.polls_ok,
                    polls_failed: counted.polls_failed,
                    documents_seen: saved.documents_seen,
                    new_documents: counted.new_documents,
                },
                id,
            }
        })
        .collect())
}

#[derive(Deserialize)]
struct DeliveryParams {
    limit: Option<String>,
}

/// `GET /api/v1/webhooks/deliveries?limit=50`: the newest webhook
/// deliveries (at most 500 are kept), each with its event type, subject,
/// status (`pending`, `retrying`, `delivered`, `gave_up`, `dropped`),
/// attempts and last answer.
async fn webhook_deliveries(
    State(state): State<AppState>,
    q: Result<Query<DeliveryParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let p = query(q)?;
    let limit = match params::given(&p.limit) {
        None => 50,
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=500).contains(n))
            .ok_or_else(|| ApiError::BadRequest(format!("limit must be 1 to 500, not {s:?}")))?,
    };
    let store = state.store.clone();
    let deliveries = blocking(move || repmon_alerts::deliveries(&store, limit))
        .await
        .map_err(ApiError::Internal)??;
    Ok(axum::Json(serde_json::json!({ "deliveries": deliveries })).into_response())
}

async fn sources(State(state): State<AppState>) -> Result<Response, ApiError> {
    let rows = source_statuses(&state).await.map_err(ApiError::Internal)?;
    Ok(axum::Json(serde_json::json!({ "sources": rows })).into_response())
}

pub(crate) async fn healthz() -> &'static str {
    "ok"
}

pub(crate) async fn metrics(State(state): State<AppState>) -> Response {
    // The health gauges and the mention count come from the store; the
    // counters are still worth scraping when the store is unwell.
    let reading = state.clone();
    let stored = blocking(move || {
        let text = |r: Result<u64, StoreError>| r.map_err(|e| e.to_string());
        (
            stored_health(&reading).map_err(|e| e.to_string()),
            text(reading.store.mention_count()),
            text(reading.store.unmatched_count()),
        )
    })
    .await;
    let (health, mentions, kept) =
        stored.unwrap_or_else(|e| (Err(e.clone()), Err(e.clone()), Err(e)));
    let health = health.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "metrics: cannot read the stored source health");
        Vec::new()
    });
    // Only configured sources: a removed source's last gauge would linger.
    let shown: Vec<(&str, &SourceHealthRecord)> = health
        .iter()
        .filter(|(id, _)| state.config.sources.iter().any(|s| s.id == *id))
        .map(|(id, h)| (id.as_str(), h))
        .collect();
    let mut text = state.telemetry.render(&shown);
    match mentions {
        Ok(n) => gauge(
            &mut text,
            "repmon_mentions_stored",
            "Mentions (documents) in the store.",
            n as f64,
        ),
        Err(e) => tracing::warn!(error = %e, "metrics: cannot count the stored mentions"),
    }
    match kept {
        Ok(n) => gauge(
            &mut text,
            "repmon_unmatched_documents_kept",
            "Documents naming no tracked company, kept for a rematch ([store] keep_unmatched).",
            n as f64,
        ),
        Err(e) => tracing::warn!(error = %e, "metrics: cannot count the kept documents"),
    }
    gauge(
        &mut text,
        "repmon_companies_tracked",
        "Companies in the config.",
        state.config.companies.len() as f64,
    );
    gauge(
        &mut text,
        "repmon_sources_configured",
        "Sources in the config.",
        state.config.sources.len() as f64,
    );
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_read_and_compared() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer  s3cret "),
        );
        assert_eq!(bearer(&h), Some(&b"s3cret"[..]));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic czNjcmV0"),
        );
        assert_eq!(bearer(&h), None);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bear"));
        assert_eq!(bearer(&h), None);

        let tokens = vec!["first-token".to_string(), "second-token".to_string()];
        assert!(token_matches(&tokens, b"second-token"));
        assert!(!token_matches(&tokens, b"second-tokeN"));
        assert!(!token_matches(&tokens, b"second"));
        assert!(!token_matches(&tokens, b""));
    }
}
