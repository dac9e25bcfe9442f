//! The analysts' web page: the ranked table, a page per company, mention
//! search and source health, rendered on the server.
//!
//! Templates are `.html`, so minijinja escapes every value; the only values
//! marked safe are the store's snippets (escaped by the store, with `<b>`
//! highlights) and the chart SVG (numbers and dates only). Links taken from
//! scraped data are shown only when they are http(s).

use crate::api::source_statuses;
use crate::params::{self, MentionParams};
use crate::{AppState, blocking, chart};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use minijinja::Environment;
use repmon_monitor::{CompanyReport, Entry, MentionSummary, Metrics};
use repmon_store::{SearchHit, StoreError};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::sync::LazyLock;

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    for (name, source) in [
        ("base.html", include_str!("../templates/base.html")),
        ("ranking.html", include_str!("../templates/ranking.html")),
        ("company.html", include_str!("../templates/company.html")),
        ("search.html", include_str!("../templates/search.html")),
        ("sources.html", include_str!("../templates/sources.html")),
        ("error.html", include_str!("../templates/error.html")),
    ] {
        // The templates ship inside the binary; one that does not parse is a
        // bug caught by the crate's tests, not something a user can cause.
        env.add_template(name, source)
            .expect("built-in template parses");
    }
    env
});

/// A page that could not be shown, rendered as the error page with its status.
pub(crate) struct PageError {
    status: StatusCode,
    message: String,
}

impl PageError {
    fn bad_request(message: impl Into<String>) -> Self {
        PageError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }
    fn internal(message: impl std::fmt::Display) -> Self {
        tracing::error!(error = %message, "web page failed");
        PageError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: message.to_string(),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let title = self.status.canonical_reason().unwrap_or("Error");
        let ctx = ErrorView {
            title,
            message: &self.message,
            nav: "",
        };
        match TEMPLATES
            .get_template("error.html")
            .and_then(|t| t.render(&ctx))
        {
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "cannot render the error page");
                (self.status, self.message).into_response()
            }
        }
    }
}

#[derive(Serialize)]
struct ErrorView<'a> {
    title: &'a str,
    message: &'a str,
    nav: &'a str,
}

fn render<T: Serialize>(name: &str, ctx: &T) -> Result<Html<String>, PageError> {
    TEMPLATES
        .get_template(name)
        .and_then(|t| t.render(ctx))
        .map(Html)
        .map_err(|e| PageError::internal(format!("template {name}: {e:#}")))
}

fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, PageError> {
    q.map(|Query(t)| t)
        .map_err(|e| PageError::bad_request(e.body_text()))
}

pub(crate) async fn not_found_page() -> PageError {
    PageError {
        status: StatusCode::NOT_FOUND,
        message: "There is no page at this address.".into(),
    }
}

// ---------------------------------------------------------------- formatting

/// `+0.47`, `-0.41`, `0.00`.
fn signed(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let s = format!("{v:+.decimals$}");
    // `-0.00` and `+0.00` say nothing; a plain zero reads better.
    if s[1..].bytes().all(|b| b == b'0' || b == b'.') {
        s[1..].to_string()
    } else {
        s
    }
}

fn percent(v: f64) -> String {
    if v.is_finite() {
        format!("{:.1}%", v * 100.0)
    } else {
        "–".into()
    }
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// "up" / "down" / "flat" for colouring a change.
fn direction(v: f64) -> &'static str {
    if v > 0.0005 {
        "up"
    } else if v < -0.0005 {
        "down"
    } else {
        "flat"
    }
}

/// The movement column: ▲2, ▼5, –, or new.
fn movement(rank: Option<u32>, previous: Option<u32>, has_data: bool) -> (String, &'static str) {
    match (rank, previous) {
        (Some(r), Some(p)) if p > r => (format!("▲{}", p - r), "up"),
        (Some(r), Some(p)) if p < r => (format!("▼{}", r - p), "down"),
        (Some(_), None) if has_data => ("new".into(), "new"),
        _ => ("–".into(), "flat"),
    }
}

/// A link target from scraped data, only when it is http(s): anything else
/// (javascript:, data:, relative junk) is shown as text or not at all.
fn safe_link(url: &str) -> Option<String> {
    let u = url.trim();
    let lower = u.get(..8).unwrap_or(u).to_ascii_lowercase();
    let ok = (lower.starts_with("http://") || lower.starts_with("https://"))
        && !u.chars().any(|c| c.is_control() || c.is_whitespace());
    ok.then(|| u.to_string())
}

/// Percent-encodes a query-string value (everything but unreserved characters).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The windows offered by the selector, plus the current one when it is another.
fn window_choices(current: chrono::Duration, base: &str) -> Vec<WindowChoice> {
    let label =
        |d: chrono::Duration| repmon_config::Duration(d.to_std().unwrap_or_default()).to_string();
    let current_label = label(current);
    let mut labels = vec!["7d".to_string(), "30d".to_string()];
    if !labels.contains(&current_label) {
        labels.push(current_label.clone());
    }
    labels
        .into_iter()
        .map(|l| WindowChoice {
            href: format!("{base}?window={}", encode(&l)),
            selected: l == current_label,
            label: l,
        })
        .collect()
}

#[derive(Serialize)]
struct WindowChoice {
    label: String,
    href: String,
    selected: bool,
}

// ---------------------------------------------------------------- ranking page

#[derive(Deserialize)]
pub(crate) struct RankingParams {
    window: Option<String>,
    top: Option<String>,
}

#[derive(Serialize)]
struct RankingView {
    nav: &'static str,
    windows: Vec<WindowChoice>,
    window_from: String,
    window_to: String,
    generated_at: String,
    last_rerank: Option<String>,
    rows: Vec<RowView>,
}

#[derive(Serialize)]
struct RowView {
    rank: u32,
    movement: String,
    movement_class: &'static str,
    id: String,
    name: String,
    score: String,
    score_change: String,
    score_change_class: &'static str,
    mentions: u64,
    share_of_voice: String,
    positive: u64,
    negative: u64,
    neutral: u64,
    net_sentiment: String,
    net_class: &'static str,
    reason: Option<String>,
}

impl From<&Entry> for RowView {
    fn from(e: &Entry) -> Self {
        let (movement, movement_class) =
            movement(Some(e.rank), e.previous_rank, e.metrics.mentions > 0);
        RowView {
            rank: e.rank,
            movement,
            movement_class,
            id: e.company.id.clone(),
            name: e.company.name.clone(),
            score: format!("{:.1}", e.score),
            score_change: e.score_change.map_or_else(|| "–".into(), |c| signed(c, 1)),
            score_change_class: direction(e.score_change.unwrap_or(0.0)),
            mentions: e.metrics.mentions,
            share_of_voice: percent(e.metrics.share_of_voice),
            positive: e.metrics.positive,
            negative: e.metrics.negative,
            neutral: e.metrics.neutral,
            net_sentiment: signed(e.metrics.net_sentiment, 2),
            net_class: direction(e.metrics.net_sentiment),
            reason: e.reasons.first().cloned(),
        }
    }
}

pub(crate) async fn ranking_page(
    State(state): State<AppState>,
    q: Result<Query<RankingParams>, QueryRejection>,
) -> Result<Html<String>, PageError> {
    let p = query(q)?;
    let window =
        params::window(params::given(&p.window), &state.config).map_err(PageError::bad_request)?;
    let top = params::top(params::given(&p.top), &state.config).map_err(PageError::bad_request)?;
    let monitor = state.monitor.clone();
    let ranking = blocking(move || monitor.current_ranking(Utc::now(), window, top))
        .await
        .map_err(PageError::internal)?
        .map_err(PageError::internal)?;
    let view = RankingView {
        nav: "ranking",
        windows: window_choices(window, "/"),
        window_from: when(ranking.window.from),
        window_to: when(ranking.window.to),
        generated_at: when(ranking.generated_at),
        last_rerank: state.telemetry.last_rerank().map(when),
        rows: ranking.entries.iter().map(RowView::from).collect(),
    };
    render("ranking.html", &view)
}

// ---------------------------------------------------------------- company page

#[derive(Deserialize)]
pub(crate) struct CompanyParams {
    window: Option<String>,
}

#[derive(Serialize)]
struct CompanyView {
    nav: &'static str,
    id: String,
    name: String,
    windows: Vec<WindowChoice>,
    window_from: String,
    window_to: String,
    rank: Option<u32>,
    previous_rank: Option<u32>,
    movement: String,
    movement_class: &'static str,
    score: String,
    score_change: String,
    score_change_class: &'static str,
    metrics: Vec<MetricRow>,
    reasons: Vec<ReasonView>,
    chart: String,
    top_positive: Vec<MentionView>,
    top_negative: Vec<MentionView>,
    search_href: String,
}

/// A reason with the mentions behind it.
#[derive(Serialize)]
struct ReasonView {
    text: String,
    evidence: Vec<EvidenceView>,
}

#[derive(Serialize)]
struct EvidenceView {
    title: String,
    /// Only http(s) links; anything else is shown as text.
    link: Option<String>,
    source: String,
    sentiment: &'static str,
}

impl ReasonView {
    /// The reasons with their evidence; from the plain sentences when the
    /// report has no details (a snapshot older than them).
    fn all(r: &CompanyReport) -> Vec<ReasonView> {
        if r.reason_details.is_empty() {
            return r
                .reasons
                .iter()
                .map(|t| ReasonView {
                    text: t.clone(),
                    evidence: Vec::new(),
                })
                .collect();
        }
        r.reason_details
            .iter()
            .map(|d| ReasonView {
                text: d.text.clone(),
                evidence: d
                    .mentions
                    .iter()
                    .map(|m| EvidenceView {
                        title: if m.title.trim().is_empty() {
                            "(untitled)".into()
                        } else {
                            m.title.clone()
                        },
                        link: safe_link(&m.url),
                        source: m.source.clone(),
                        sentiment: m.sentiment.as_str(),
                    })
                    .collect(),
            })
            .collect()
    }
}

#[derive(Serialize)]
struct MetricRow {
    label: &'static str,
    current: String,
    previous: String,
    change: String,
}

#[derive(Serialize)]
struct MentionView {
    title: String,
    link: Option<String>,
    excerpt: String,
    source: String,
    kind: String,
    author: Option<String>,
    published: String,
    sentiment: &'static str,
    score: String,
}

impl From<&MentionSummary> for MentionView {
    fn from(m: &MentionSummary) -> Self {
        MentionView {
            title: if m.title.trim().is_empty() {
                "(untitled)".into()
            } else {
                m.title.clone()
            },
            link: safe_link(&m.url),
            excerpt: m.excerpt.clone(),
            source: m.source.clone(),
            kind: m.kind.clone(),
            author: m.author.clone(),
            published: when(m.published),
            sentiment: m.sentiment.as_str(),
            score: signed(f64::from(m.score), 2),
        }
    }
}

fn metric_rows(now: &Metrics, before: &Metrics) -> Vec<MetricRow> {
    let count = |label, a: u64, b: u64| MetricRow {
        label,
        current: a.to_string(),
        previous: b.to_string(),
        change: signed(a as f64 - b as f64, 0),
    };
    let mut rows = vec![
        count("Mentions", now.mentions, before.mentions),
        MetricRow {
            label: "Share of voice",
            current: percent(now.share_of_voice),
            previous: percent(before.share_of_voice),
            change: format!(
                "{} pt",
                signed((now.share_of_voice - before.share_of_voice) * 100.0, 1)
            ),
        },
        count("Positive", now.positive, before.positive),
        count("Negative", now.negative, before.negative),
        count("Neutral", now.neutral, before.neutral),
        MetricRow {
            label: "Net sentiment",
            current: signed(now.net_sentiment, 2),
            previous: signed(before.net_sentiment, 2),
            change: signed(now.net_sentiment - before.net_sentiment, 2),
        },
        count("Authors", now.authors, before.authors),
        count("Own posts", now.owned, before.owned),
    ];
    if now.rating.is_some() || before.rating.is_some() {
        let stars = |r: Option<f64>| r.map_or_else(|| "–".into(), |r| format!("{r:.2} ★"));
        rows.push(MetricRow {
            label: "Review rating",
            current: stars(now.rating),
            previous: stars(before.rating),
            change: match (now.rating, before.rating) {
                (Some(a), Some(b)) => signed(a - b, 2),
                _ => "–".into(),
            },
        });
    }
    rows
}

impl CompanyView {
    fn new(r: &CompanyReport, window: chrono::Duration) -> Self {
        let (movement, movement_class) = movement(r.rank, r.previous_rank, r.metrics.mentions > 0);
        CompanyView {
            nav: "ranking",
            id: r.company.id.clone(),
            name: r.company.name.clone(),
            windows: window_choices(window, &format!("/companies/{}", encode(&r.company.id))),
            window_from: when(r.window.from),
            window_to: when(r.window.to),
            rank: r.rank,
            previous_rank: r.previous_rank,
            movement,
            movement_class,
            score: format!("{:.1}", r.score),
            score_change: r.score_change.map_or_else(|| "–".into(), |c| signed(c, 1)),
            score_change_class: direction(r.score_change.unwrap_or(0.0)),
            metrics: metric_rows(&r.metrics, &r.previous_metrics),
            reasons: ReasonView::all(r),
            chart: chart::trend_svg(&r.daily),
            top_positive: r.top_positive.iter().map(MentionView::from).collect(),
            top_negative: r.top_negative.iter().map(MentionView::from).collect(),
            search_href: format!("/search?company={}", encode(&r.company.id)),
        }
    }
}

pub(crate) async fn company_page(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    q: Result<Query<CompanyParams>, QueryRejection>,
) -> Result<Html<String>, PageError> {
    let Path(id) = id.map_err(|e| PageError::bad_request(e.body_text()))?;
    let p = query(q)?;
    let window =
        params::window(params::given(&p.window), &state.config).map_err(PageError::bad_request)?;
    let monitor = state.monitor.clone();
    let lookup = id.clone();
    let report = blocking(move || monitor.company(&lookup, Utc::now(), window))
        .await
        .map_err(PageError::internal)?
        .map_err(PageError::internal)?;
    match report {
        Some(r) => render("company.html", &CompanyView::new(&r, window)),
        None => Err(PageError {
            status: StatusCode::NOT_FOUND,
            message: format!("{id:?} is not a tracked company."),
        }),
    }
}

// ---------------------------------------------------------------- search page

/// Results per page on the web page (the API's default is larger).
const PAGE_SIZE: usize = 20;

#[derive(Serialize)]
struct SearchView {
    nav: &'static str,
    q: String,
    company: String,
    sentiment: String,
    companies: Vec<Choice>,
    sentiments: Vec<Choice>,
    error: Option<String>,
    searched: bool,
    total: usize,
    first: usize,
    last: usize,
    hits: Vec<HitView>,
    prev_href: Option<String>,
    next_href: Option<String>,
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

#[derive(Serialize)]
struct HitView {
    title: String,
    link: Option<String>,
    /// HTML from the store, already escaped; the template marks only this safe.
    snippet: String,
    source: String,
    kind: &'static str,
    author: Option<String>,
    published: String,
    companies: Vec<HitCompany>,
}

#[derive(Serialize)]
struct HitCompany {
    id: String,
    name: String,
    sentiment: &'static str,
    score: String,
}

fn hit_view(hit: &SearchHit, state: &AppState) -> HitView {
    let doc = &hit.mention.doc;
    HitView {
        title: if doc.title.trim().is_empty() {
            "(untitled)".into()
        } else {
            doc.title.clone()
        },
        link: safe_link(&doc.url),
        snippet: hit.snippet.clone(),
        source: doc.source.clone(),
        kind: doc.kind.as_str(),
        author: doc.author.clone(),
        published: when(doc.published),
        companies: hit
            .mention
            .companies
            .iter()
            .map(|c| HitCompany {
                id: c.company.clone(),
                name: state
                    .config
                    .companies
                    .iter()
                    .find(|k| k.id == c.company)
                    .map_or_else(|| c.company.clone(), |k| k.name.clone()),
                sentiment: c.sentiment.as_str(),
                score: signed(f64::from(c.score), 2),
            })
            .collect(),
    }
}

fn page_href(p: &MentionParams, offset: usize) -> String {
    let mut href = String::from("/search?");
    for (key, value) in [
        ("q", &p.q),
        ("company", &p.company),
        ("sentiment", &p.sentiment),
        ("source", &p.source),
        ("kind", &p.kind),
        ("since", &p.since),
        ("until", &p.until),
    ] {
        if let Some(v) = params::given(value) {
            let _ = write!(href, "{key}={}&", encode(v));
        }
    }
    let _ = write!(href, "offset={offset}");
    href
}

pub(crate) async fn search_page(
    State(state): State<AppState>,
    q: Result<Query<MentionParams>, QueryRejection>,
) -> Response {
    let mut p = query(q).unwrap_or_default();
    if params::given(&p.limit).is_none() {
        p.limit = Some(PAGE_SIZE.to_string());
    }
    let mut view = SearchView {
        nav: "search",
        q: p.q.clone().unwrap_or_default(),
        company: p.company.clone().unwrap_or_default(),
        sentiment: p.sentiment.clone().unwrap_or_default(),
        companies: state
            .config
            .companies
            .iter()
            .map(|c| Choice {
                value: c.id.clone(),
                label: c.name.clone(),
            })
            .collect(),
        sentiments: repmon_model::Sentiment::ALL
            .iter()
            .map(|s| Choice {
                value: s.as_str().into(),
                label: s.as_str().into(),
            })
            .collect(),
        error: None,
        searched: false,
        total: 0,
        first: 0,
        last: 0,
        hits: Vec::new(),
        prev_href: None,
        next_href: None,
    };
    // A bare /search shows the form; any field filled in runs the search.
    let wants_search = [
        &p.q,
        &p.company,
        &p.sentiment,
        &p.source,
        &p.kind,
        &p.since,
        &p.until,
    ]
    .iter()
    .any(|v| params::given(v).is_some());
    let mut status = StatusCode::OK;
    if wants_search {
        match p.to_query(&state.config, Utc::now()) {
            Err(e) => {
                status = StatusCode::BAD_REQUEST;
                view.error = Some(e);
            }
            Ok(search) => {
                let store = state.store.clone();
                let (limit, offset) = (search.limit, search.offset);
                match blocking(move || store.search(&search)).await {
                    Ok(Ok(page)) => {
                        view.searched = true;
                        view.total = page.total;
                        view.first = offset + 1;
                        view.last = offset + page.hits.len();
                        view.hits = page.hits.iter().map(|h| hit_view(h, &state)).collect();
                        if offset > 0 {
                            view.prev_href = Some(page_href(&p, offset.saturating_sub(limit)));
                        }
                        if offset + limit < page.total && offset + 2 * limit <= params::MAX_DEPTH {
                            view.next_href = Some(page_href(&p, offset + limit));
                        }
                    }
                    Ok(Err(e @ StoreError::Query(_))) => {
                        status = StatusCode::BAD_REQUEST;
                        view.error = Some(e.to_string());
                    }
                    Ok(Err(e)) => return PageError::internal(e).into_response(),
                    Err(e) => return PageError::internal(e).into_response(),
                }
            }
        }
    }
    match render("search.html", &view) {
        Ok(html) => (status, html).into_response(),
        Err(e) => e.into_response(),
    }
}

// ---------------------------------------------------------------- sources page

#[derive(Serialize)]
struct SourcesView {
    nav: &'static str,
    rows: Vec<SourceRow>,
}

#[derive(Serialize)]
struct SourceRow {
    id: String,
    name: String,
    kind: String,
    link: Option<String>,
    interval: String,
    status: &'static str,
    status_class: &'static str,
    last_poll: String,
    last_success: String,
    last_error: Option<String>,
    last_error_at: String,
    consecutive_failures: u64,
    documents_seen: u64,
    new_documents: u64,
    next_poll: String,
    /// A line under the status: why it is retired, where it moved, when the
    /// server wants to be asked again.
    notes: Vec<String>,
}

pub(crate) async fn sources_page(State(state): State<AppState>) -> Result<Html<String>, PageError> {
    let at = |t: Option<DateTime<Utc>>| t.map_or_else(|| "–".into(), when);
    let rows = source_statuses(&state)
        .await
        .map_err(PageError::internal)?
        .into_iter()
        .map(|s| SourceRow {
            status_class: match s.status {
                "ok" => "up",
                "failing" | "retired" => "down",
                _ => "flat",
            },
            next_poll: if s.retired.is_some() {
                "never (retired)".into()
            } else {
                at(s.next_poll)
            },
            notes: {
                let mut notes = Vec::new();
                if let Some(r) = &s.retired {
                    notes.push(format!(
                        "retired {}: {}; change its url in the config to poll it again",
                        when(r.at),
                        r.reason
                    ));
                }
                if let Some(to) = &s.moved_to {
                    notes.push(format!(
                        "moved permanently to {to}; update its url in the config"
                    ));
                }
                if let Some(t) = s.retry_after {
                    notes.push(format!("the server asked to wait until {}", when(t)));
                }
                notes
            },
            kind: s
                .kind
                .map_or_else(|| "(no longer configured)".into(), |k| k.to_string()),
            link: s.url.as_deref().and_then(safe_link),
            interval: s.interval_secs.map_or_else(
                || "–".into(),
                |secs| repmon_config::Duration::from_secs(secs).to_string(),
            ),
            status: s.status,
            last_poll: at(s.health.last_poll),
            last_success: at(s.health.last_success),
            last_error: s.health.last_error,
            last_error_at: at(s.health.last_error_at),
            consecutive_failures: s.health.consecutive_failures,
            documents_seen: s.health.documents_seen,
            new_documents: s.health.new_documents,
            id: s.id,
            name: s.name,
        })
        .collect();
    render(
        "sources.html",
        &SourcesView {
            nav: "sources",
            rows,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(signed(0.4712, 2), "+0.47");
        assert_eq!(signed(-0.41, 2), "-0.41");
        assert_eq!(signed(-0.0001, 2), "0.00");
        assert_eq!(signed(f64::NAN, 2), "–");
        assert_eq!(signed(-3.0, 0), "-3");
        assert_eq!(percent(0.2149), "21.5%");
    }

    #[test]
    fn movement_arrows() {
        assert_eq!(movement(Some(1), Some(3), true), ("▲2".to_string(), "up"));
        assert_eq!(movement(Some(7), Some(2), true), ("▼5".to_string(), "down"));
        assert_eq!(movement(Some(4), Some(4), true), ("–".to_string(), "flat"));
        assert_eq!(movement(Some(4), None, true), ("new".to_string(), "new"));
        assert_eq!(movement(Some(9), None, false), ("–".to_string(), "flat"));
    }

    #[test]
    fn only_http_links_are_links() {
        assert_eq!(
            safe_link(" https://example.org/a?b=1 ").as_deref(),
            Some("https://example.org/a?b=1")
        );
        assert_eq!(
            safe_link("HTTP://EXAMPLE.ORG/").as_deref(),
            Some("HTTP://EXAMPLE.ORG/")
        );
        assert_eq!(safe_link("javascript:alert(1)"), None);
        assert_eq!(safe_link("data:text/html,<script>"), None);
        assert_eq!(safe_link("/relative"), None);
        assert_eq!(safe_link("https://a b"), None);
        assert_eq!(safe_link("é"), None);
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode("zon \"energie\"&x=1"), "zon%20%22energie%22%26x%3D1");
        let p = MentionParams {
            q: Some("a b".into()),
            company: Some(String::new()),
            ..Default::default()
        };
        assert_eq!(page_href(&p, 40), "/search?q=a%20b&offset=40");
    }

    #[test]
    fn templates_parse() {
        for name in [
            "base.html",
            "ranking.html",
            "company.html",
            "search.html",
            "sources.html",
            "error.html",
        ] {
            TEMPLATES.get_template(name).unwrap();
        }
    }
}
