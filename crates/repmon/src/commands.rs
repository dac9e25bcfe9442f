//! The commands that do one thing and exit.

use crate::app::{self, App};
use crate::ingest::{self, Fetched, SourceReport};
use crate::table::{self, clean, cut};
use crate::{Failure, Format, Outcome, SearchFormat};
use anyhow::Context as _;
use chrono::{SecondsFormat, Utc};
use repmon_alerts::Alerts;
use repmon_config::Config;
use repmon_mentions::Analyzer;
use repmon_model::{Sentiment, SourceHealthRecord};
use repmon_monitor::Ranking;
use repmon_sources::{Fetcher, SourceState};
use repmon_store::{SearchQuery, StoreError};
use std::path::Path;
use std::sync::Arc;

fn fetcher(config: &Config) -> Result<Fetcher, Failure> {
    Fetcher::new(&config.poll).map_err(|e| Failure::Runtime(anyhow::anyhow!("{e}")))
}

/// `repmon poll`: one round of every source (or one), ingest, re-rank.
pub async fn poll(config: Config, only: Option<&str>) -> Outcome {
    let sources: Vec<_> = config
        .sources
        .iter()
        .filter(|s| only.is_none_or(|id| s.id == id))
        .cloned()
        .collect();
    if let Some(id) = only
        && sources.is_empty()
    {
        return Err(Failure::Usage(format!(
            "--source: no source with id {id:?} in the config"
        )));
    }
    let app = Arc::new(App::open(config)?);
    let fetcher = fetcher(&app.config)?;
    let analyzer = Arc::new(Analyzer::new(&app.config.companies));
    let alerts = Arc::new(Alerts::new(app.store.clone(), &app.config));
    let config = app.config.clone();
    let polled_before = app
        .blocking(move |store, _| ingest::all_sources_polled(store, &config))
        .await?;

    let mut polls = tokio::task::JoinSet::new();
    for source in sources {
        let (fetcher, store) = (fetcher.clone(), app.store.clone());
        polls.spawn(async move { ingest::fetch(&fetcher, &store, &source).await });
    }
    let mut batch: Vec<Fetched> = Vec::new();
    while let Some(done) = polls.join_next().await {
        batch.push(done.context("a poll task failed")?);
    }
    batch.sort_by(|a, b| a.source.id.cmp(&b.source.id));

    let (config, alerts2) = (app.config.clone(), alerts.clone());
    let (ingested, ranking) = app
        .blocking(move |store, monitor| {
            let since = config.store.keep_unmatched_since(chrono::Utc::now());
            let ingested = ingest::ingest(store, &analyzer, since, batch)?;
            let armed = polled_before && ingest::all_sources_polled(store, &config)?;
            let ranking = ingest::rerank(monitor, &config, &alerts2, armed)?;
            Ok((ingested, ranking))
        })
        .await?;
    // Queued alerts get one delivery try now; the daemon retries the rest.
    alerts.deliver_due().await;

    print_poll_summary(&ingested.reports);
    println!(
        "stored: {} new, {} updated, {} unchanged mentions; {} companies ranked",
        ingested.stats.added,
        ingested.stats.updated,
        ingested.stats.unchanged,
        ranking
            .entries
            .iter()
            .filter(|e| e.metrics.mentions > 0)
            .count()
    );
    let failed = ingested
        .reports
        .iter()
        // A partial failure (some timelines read) is reported, not fatal.
        .filter(|r| r.error.is_some() && !r.partial)
        .count();
    if failed > 0 && failed == ingested.reports.len() {
        return Err(Failure::Runtime(anyhow::anyhow!(
            "every source failed to poll"
        )));
    }
    Ok(())
}

fn print_poll_summary(reports: &[SourceReport]) {
    let rows: Vec<Vec<String>> = reports
        .iter()
        .map(|r| {
            vec![
                r.source.clone(),
                r.fetched.to_string(),
                r.new_documents.to_string(),
                r.new_mentions.to_string(),
                r.error.as_deref().map_or_else(|| "ok".to_string(), clean),
            ]
        })
        .collect();
    print!(
        "{}",
        table::render(
            &[
                "source",
                "fetched",
                "new documents",
                "new mentions",
                "result"
            ],
            &rows
        )
    );
}

/// `repmon rank`.
pub async fn rank(
    config: Config,
    format: Format,
    window: Option<&str>,
    top: Option<usize>,
    at: Option<&str>,
) -> Outcome {
    let window = app::window(&config, window)?;
    let top = top.unwrap_or(config.ranking.top);
    if top == 0 {
        return Err(Failure::Usage("--top: must be at least 1".into()));
    }
    let at = at
        .map(|s| app::time_or_ago("--at", s, Utc::now()))
        .transpose()?;
    let app = App::open(config)?;
    let ranking = app
        .blocking(move |_, monitor| match at {
            Some(at) => {
                let mut r = monitor
                    .snapshot_at(at)?
                    .with_context(|| format!("no ranking snapshot was kept at or before {at}"))?;
                r.entries.truncate(top);
                Ok(r)
            }
            None => Ok(monitor.ranking(Utc::now(), window, top)?),
        })
        .await?;
    print_ranking(&ranking, format);
    Ok(())
}

fn movement(rank: u32, previous: Option<u32>) -> String {
    match previous {
        None => "new".into(),
        Some(p) if p > rank => format!("▲{}", p - rank),
        Some(p) if p < rank => format!("▼{}", rank - p),
        Some(_) => "–".into(),
    }
}

fn signed(v: f64, decimals: usize) -> String {
    format!("{v:+.decimals$}")
}

fn print_ranking(r: &Ranking, format: Format) {
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(r).unwrap_or_default()),
        Format::Table | Format::Csv => {
            let headers = [
                "rank", "move", "company", "score", "change", "mentions", "share", "pos", "neg",
                "neu", "net", "reason",
            ];
            let rows: Vec<Vec<String>> = r
                .entries
                .iter()
                .map(|e| {
                    let m = &e.metrics;
                    let has_data = m.mentions > 0;
                    vec![
                        e.rank.to_string(),
                        if has_data {
                            movement(e.rank, e.previous_rank)
                        } else {
                            String::new()
                        },
                        clean(&e.company.name),
                        format!("{:.1}", e.score),
                        e.score_change.map_or_else(String::new, |c| signed(c, 1)),
                        m.mentions.to_string(),
                        format!("{:.0}%", m.share_of_voice * 100.0),
                        m.positive.to_string(),
                        m.negative.to_string(),
                        m.neutral.to_string(),
                        signed(m.net_sentiment, 2),
                        e.reasons.first().map(|s| clean(s)).unwrap_or_default(),
                    ]
                })
                .collect();
            if matches!(format, Format::Csv) {
                print!("{}", table::csv(&headers, &rows));
            } else {
                println!(
                    "ranking {} → {} (generated {})",
                    r.window.from.to_rfc3339_opts(SecondsFormat::Secs, true),
                    r.window.to.to_rfc3339_opts(SecondsFormat::Secs, true),
                    r.generated_at.to_rfc3339_opts(SecondsFormat::Secs, true)
                );
                let rows: Vec<Vec<String>> = rows
                    .into_iter()
                    .map(|mut row| {
                        let last = row.len() - 1;
                        row[last] = cut(&row[last], 90);
                        row
                    })
                    .collect();
                print!("{}", table::render(&headers, &rows));
            }
        }
    }
}

pub struct SearchArgs {
    pub query: String,
    pub company: Option<String>,
    pub sentiment: Option<String>,
    pub source: Option<String>,
    pub since: Option<String>,
    pub limit: usize,
}

/// `repmon search`.
pub async fn search(config: Config, args: SearchArgs, format: SearchFormat) -> Outcome {
    let sentiment = args
        .sentiment
        .as_deref()
        .map(|s| {
            s.parse::<Sentiment>()
                .map_err(|e| Failure::Usage(format!("--sentiment: {e}")))
        })
        .transpose()?;
    if let Some(c) = &args.company
        && !config.companies.iter().any(|co| &co.id == c)
    {
        return Err(Failure::Usage(format!(
            "--company: no company with id {c:?} in the config"
        )));
    }
    let since = args
        .since
        .as_deref()
        .map(|s| app::time_or_ago("--since", s, Utc::now()))
        .transpose()?;
    let query = SearchQuery {
        q: args.query,
        company: args.company,
        sentiment,
        source: args.source,
        kind: None,
        since,
        until: None,
        limit: args.limit.clamp(1, 500),
        offset: 0,
    };
    let app = App::open(config)?;
    let store = app.store.clone();
    let page = tokio::task::spawn_blocking(move || store.search(&query))
        .await
        .context("search task failed")?;
    let page = match page {
        Ok(p) => p,
        Err(StoreError::Query(msg)) => return Err(Failure::Usage(format!("invalid query: {msg}"))),
        Err(e) => return Err(Failure::Runtime(e.into())),
    };
    match format {
        SearchFormat::Json => {
            let hits: Vec<serde_json::Value> = page
                .hits
                .iter()
                .map(|h| {
                    let d = &h.mention.doc;
                    serde_json::json!({
                        "id": d.id, "url": d.url, "title": d.title, "snippet": h.snippet,
                        "source": d.source, "kind": d.kind, "author": d.author,
                        "published": d.published, "lang": h.mention.lang,
                        "companies": h.mention.companies.iter().map(|c| serde_json::json!({
                            "id": c.company, "sentiment": c.sentiment, "score": c.score
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let out = serde_json::json!({"total": page.total, "mentions": hits});
            println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        }
        SearchFormat::Table => {
            let rows: Vec<Vec<String>> = page
                .hits
                .iter()
                .map(|h| {
                    let d = &h.mention.doc;
                    let companies: Vec<String> = h
                        .mention
                        .companies
                        .iter()
                        .map(|c| format!("{}:{}", c.company, c.sentiment))
                        .collect();
                    vec![
                        d.published.format("%Y-%m-%d %H:%M").to_string(),
                        clean(&d.source),
                        companies.join(" "),
                        cut(
                            &clean(if d.title.is_empty() {
                                &d.body
                            } else {
                                &d.title
                            }),
                            70,
                        ),
                        clean(&d.url),
                    ]
                })
                .collect();
            print!(
                "{}",
                table::render(&["published", "source", "companies", "title", "url"], &rows)
            );
            println!("{} of {} mentions", page.hits.len(), page.total);
        }
    }
    Ok(())
}

/// `repmon company ID`.
pub async fn company(
    config: Config,
    id: &str,
    window: Option<&str>,
    format: SearchFormat,
) -> Outcome {
    let window = app::window(&config, window)?;
    if !config.companies.iter().any(|c| c.id == id) {
        return Err(Failure::Usage(format!(
            "no company with id {id:?} in the config"
        )));
    }
    let app = App::open(config)?;
    let id2 = id.to_string();
    let report = app
        .blocking(move |_, monitor| Ok(monitor.company(&id2, Utc::now(), window)?))
        .await?
        .with_context(|| format!("no company with id {id:?}"))?;
    if matches!(format, SearchFormat::Json) {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
        return Ok(());
    }
    let m = &report.metrics;
    println!("{} ({})", clean(&report.company.name), report.company.id);
    println!(
        "rank {} ({}), score {:.1}{}",
        report.rank.map_or("–".into(), |r| r.to_string()),
        report
            .rank
            .map_or_else(String::new, |r| movement(r, report.previous_rank)),
        report.score,
        report
            .score_change
            .map_or_else(String::new, |c| format!(" ({})", signed(c, 1)))
    );
    println!(
        "mentions {} (share of voice {:.0}%), positive {}, negative {}, neutral {}, net sentiment {}, authors {}",
        m.mentions,
        m.share_of_voice * 100.0,
        m.positive,
        m.negative,
        m.neutral,
        signed(m.net_sentiment, 2),
        m.authors
    );
    if !report.reasons.is_empty() {
        println!("\nwhy:");
        for (i, r) in report.reasons.iter().enumerate() {
            println!("  - {}", clean(r));
            // The mentions behind the reason, with their links.
            let cited = report
                .reason_details
                .get(i)
                .map_or(&[][..], |d| &d.mentions);
            for m in cited {
                println!(
                    "      \"{}\" ({}, {}) {}",
                    clean(&m.title),
                    clean(&m.source),
                    m.sentiment,
                    clean(&m.url)
                );
            }
        }
    }
    println!("\ntrend:");
    let rows: Vec<Vec<String>> = report
        .daily
        .iter()
        .map(|p| {
            vec![
                p.date.to_string(),
                p.mentions.to_string(),
                p.positive.to_string(),
                p.negative.to_string(),
                signed(p.net_sentiment, 2),
                p.rank.map_or_else(String::new, |r| r.to_string()),
            ]
        })
        .collect();
    print!(
        "{}",
        table::render(&["day", "mentions", "pos", "neg", "net", "rank"], &rows)
    );
    for (title, list) in [
        ("top positive", &report.top_positive),
        ("top negative", &report.top_negative),
    ] {
        if list.is_empty() {
            continue;
        }
        println!("\n{title}:");
        for s in list {
            println!(
                "  {:+.2}  {}  {}",
                s.score,
                cut(&clean(&s.excerpt), 100),
                clean(&s.url)
            );
        }
    }
    Ok(())
}

/// `repmon digest preview|send`.
pub async fn digest(config: Config, send: bool) -> Outcome {
    if send && config.digest.is_none() {
        return Err(Failure::Usage(
            "digest send: the config has no [digest] section (smtp_url, from, to)".into(),
        ));
    }
    let app = App::open(config)?;
    if send {
        crate::daemon::send_digest(&app).await?;
        println!("digest sent");
        return Ok(());
    }
    let config = app.config.clone();
    let email = app
        .blocking(move |store, monitor| {
            Ok(repmon_digest::compose(monitor, store, &config, Utc::now())?)
        })
        .await?;
    println!("Subject: {}\n", email.subject);
    print!("{}", email.text);
    Ok(())
}

/// `repmon check`: the config is valid (it loaded); now reach every source once.
pub async fn check(config: Config) -> Outcome {
    println!(
        "config ok: {} companies, {} sources, {} webhooks, digest {}",
        config.companies.len(),
        config.sources.len(),
        config.webhooks.len(),
        if config.digest.is_some() { "on" } else { "off" }
    );
    let fetcher = fetcher(&config)?;
    let analyzer = Analyzer::new(&config.companies);
    let mut polls = tokio::task::JoinSet::new();
    for (i, source) in config.sources.iter().cloned().enumerate() {
        let fetcher = fetcher.clone();
        // A fresh state: no validators, so the source answers in full.
        polls.spawn(async move {
            (
                i,
                repmon_sources::poll(&fetcher, &source, &SourceState::default()).await,
            )
        });
    }
    let mut results = Vec::new();
    while let Some(done) = polls.join_next().await {
        results.push(done.context("a check task failed")?);
    }
    results.sort_by_key(|(i, _)| *i);
    let health = stored_health(&config);
    let mut failed = 0;
    for (i, result) in results {
        let source = &config.sources[i];
        match result {
            Ok(outcome) => {
                let mentions = outcome
                    .documents
                    .iter()
                    .filter(|d| analyzer.analyze((*d).clone()).is_some())
                    .count();
                println!(
                    "ok    {} ({}): {} documents, {} mentioning a tracked company",
                    source.id,
                    source.kind,
                    outcome.documents.len(),
                    mentions
                );
                if let Some(d) = outcome.documents.iter().max_by_key(|d| d.published) {
                    println!(
                        "      newest: {} — {}",
                        d.published.format("%Y-%m-%d %H:%M"),
                        cut(&clean(&d.title), 80)
                    );
                }
            }
            Err(e) => {
                failed += 1;
                println!(
                    "FAIL  {} ({}): {}",
                    source.id,
                    source.kind,
                    clean(&e.to_string())
                );
            }
        }
        if let Ok(stored) = &health {
            match stored.get(&source.id) {
                Some(h) => print_health(h, source),
                None => println!("      stored health: not polled yet"),
            }
        }
    }
    if let Err(Some(why)) = health {
        println!("(stored source health not shown: {})", clean(&why));
    }
    if failed > 0 {
        return Err(Failure::Runtime(anyhow::anyhow!(
            "{failed} of {} sources could not be read",
            config.sources.len()
        )));
    }
    Ok(())
}

/// What the daemon stored about each source, read without changing anything.
/// `Err(None)`: nothing was ever stored (no data directory yet); `Err(Some)`:
/// the store cannot be read now (a running daemon holds it, ...).
fn stored_health(
    config: &Config,
) -> Result<std::collections::HashMap<String, SourceHealthRecord>, Option<String>> {
    // Opening the store would create a data directory; `check` must not.
    if !config.data_dir.join("state.redb").exists() {
        return Err(None);
    }
    let store = repmon_store::Store::open(&config.data_dir).map_err(|e| Some(e.to_string()))?;
    let mut out = std::collections::HashMap::new();
    for source in &config.sources {
        let health = store
            .get::<SourceHealthRecord>(repmon_store::Table::Sources, &source.id)
            .map_err(|e| Some(e.to_string()))?;
        if let Some(h) = health {
            out.insert(source.id.clone(), h);
        }
    }
    Ok(out)
}

/// A source's stored health under its `check` line.
fn print_health(h: &SourceHealthRecord, source: &repmon_config::Source) {
    let at = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    let retired = h.retired.as_ref().filter(|r| r.url == source.url);
    if let Some(r) = retired {
        println!(
            "      stored health: retired {}: {}; not polled until its url is changed in the config",
            at(r.at),
            clean(&r.reason)
        );
        return;
    }
    let status = if h.last_poll.is_none() {
        "not polled yet"
    } else if h.consecutive_failures > 0 {
        "failing"
    } else {
        "ok"
    };
    println!(
        "      stored health: {status}; last success {}; {} failures in a row; {} documents seen; next poll {}",
        h.last_success.map_or_else(|| "never".into(), at),
        h.consecutive_failures,
        h.documents_seen,
        h.next_poll
            .map_or_else(|| "when the daemon runs".into(), at),
    );
    if let Some(e) = &h.last_error {
        println!(
            "      last error{}: {}",
            h.last_error_at
                .map_or_else(String::new, |t| format!(" ({})", at(t))),
            clean(e)
        );
    }
    if let Some(to) = &h.moved_to {
        println!(
            "      moved permanently to {}: polled there now; update its url in the config",
            clean(to)
        );
    }
    if let Some(t) = h.retry_after.filter(|t| *t > Utc::now()) {
        println!("      the server asked not to be polled before {}", at(t));
    }
}

/// `repmon sources import FROM`: an OPML file's feeds, or the feed a site's
/// page names (`<link rel="alternate">`) when FROM is an http(s) URL.
pub async fn import_sources(config_path: &Path, config: &Config, from: &str) -> Outcome {
    let is_url =
        (from.starts_with("http://") || from.starts_with("https://")) && !Path::new(from).exists();
    if !is_url {
        return import_opml(config_path, Path::new(from));
    }
    let url = url::Url::parse(from)
        .map_err(|e| Failure::Usage(format!("{from}: not a usable URL: {e}")))?;
    let fetcher = fetcher(config)?;
    let found = repmon_sources::discover_feeds(&fetcher, &url)
        .await
        .map_err(|e| Failure::Runtime(anyhow::anyhow!("no feed to import: {e}")))?;
    // The first feed a page names is its main one (comment and category
    // feeds follow); the others are listed for the user to add by hand.
    for other in found.iter().skip(1) {
        println!("also advertised: {}", clean(&other.url));
    }
    append_feeds(config_path, &found[..1], "feed")
}

/// `repmon sources import FILE.opml`: appends the OPML's feeds to the config
/// file as `[[sources]]`, skipping URLs already there; comments and layout of
/// the existing file are kept.
pub fn import_opml(config_path: &Path, opml: &Path) -> Outcome {
    let text = std::fs::read_to_string(opml)
        .map_err(|e| Failure::Usage(format!("{}: cannot read: {e}", opml.display())))?;
    let feeds = repmon_sources::parse_opml(&text)
        .map_err(|e| Failure::Usage(format!("{}: {e}", opml.display())))?;
    append_feeds(config_path, &feeds, "feeds")
}

/// Appends `feeds` to the config file as `[[sources]]` of kind `feed`,
/// skipping URLs already there, and says how many it added.
fn append_feeds(config_path: &Path, feeds: &[repmon_sources::OpmlFeed], noun: &str) -> Outcome {
    let config = Config::load(config_path)?;
    let mut ids: std::collections::HashSet<String> =
        config.sources.iter().map(|s| s.id.clone()).collect();
    let urls: std::collections::HashSet<&str> =
        config.sources.iter().map(|s| s.url.as_str()).collect();
    let mut added = String::new();
    let (mut count, mut skipped) = (0, 0);
    for feed in feeds {
        if urls.contains(feed.url.as_str()) || url::Url::parse(&feed.url).is_err() {
            skipped += 1;
            continue;
        }
        let base = slug(feed.title.as_deref().unwrap_or(""), &feed.url);
        let mut id = base.clone();
        let mut n = 2;
        while ids.contains(&id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        ids.insert(id.clone());
        added.push_str("\n[[sources]]\n");
        added.push_str(&format!("id = {}\n", toml_string(&id)));
        if let Some(t) = feed.title.as_deref().filter(|t| !t.trim().is_empty()) {
            added.push_str(&format!("name = {}\n", toml_string(t.trim())));
        }
        added.push_str("kind = \"feed\"\n");
        added.push_str(&format!("url = {}\n", toml_string(&feed.url)));
        count += 1;
    }
    if count > 0 {
        let mut original = std::fs::read_to_string(config_path).map_err(|e| {
            Failure::Runtime(anyhow::anyhow!(
                "{}: cannot read: {e}",
                config_path.display()
            ))
        })?;
        if !original.ends_with('\n') {
            original.push('\n');
        }
        let updated = format!("{original}{added}");
        // Validate before writing: never leave a config the daemon cannot load.
        Config::from_toml_with_env(config_path, &updated, &[])?;
        std::fs::write(config_path, updated).map_err(|e| {
            Failure::Runtime(anyhow::anyhow!(
                "{}: cannot write: {e}",
                config_path.display()
            ))
        })?;
    }
    println!(
        "imported {count} {noun} into {} ({skipped} skipped: already present or not a URL)",
        config_path.display()
    );
    Ok(())
}

/// `repmon sources export`: the config's feed sources as OPML on stdout;
/// the other kinds have no place in OPML and are named on stderr.
pub fn export_opml(config: &Config) -> Outcome {
    let feeds: Vec<repmon_sources::OpmlFeed> = config
        .sources
        .iter()
        .filter(|s| s.kind == repmon_model::SourceKind::Feed)
        .map(|s| repmon_sources::OpmlFeed {
            title: Some(s.display_name().to_string()),
            url: s.url.clone(),
            html_url: None,
        })
        .collect();
    print!("{}", repmon_sources::write_opml("repmon sources", &feeds));
    let others: Vec<&str> = config
        .sources
        .iter()
        .filter(|s| s.kind != repmon_model::SourceKind::Feed)
        .map(|s| s.id.as_str())
        .collect();
    if !others.is_empty() {
        eprintln!(
            "not exported (OPML lists feeds only): {}",
            others.join(", ")
        );
    }
    Ok(())
}

/// A source id from a feed's title, else its host: `[a-z0-9-]+`.
fn slug(title: &str, url: &str) -> String {
    let from = if title.trim().is_empty() {
        url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default()
    } else {
        title.to_string()
    };
    let mut s = String::new();
    for c in from.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c);
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    let s: String = s.trim_end_matches('-').chars().take(40).collect();
    let s = s.trim_end_matches('-').to_string();
    if s.is_empty() { "feed".into() } else { s }
}

fn toml_string(s: &str) -> String {
    // serde_json's string escaping is a valid TOML basic string.
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_valid_source_ids() {
        assert_eq!(
            slug("Tweakers — Nieuws!", "https://x.example/"),
            "tweakers-nieuws"
        );
        assert_eq!(
            slug("", "https://blog.example.org/feed"),
            "blog-example-org"
        );
        assert_eq!(slug("***", "not a url"), "feed");
    }

    #[test]
    fn movement_reads_like_the_table() {
        assert_eq!(movement(1, Some(3)), "▲2");
        assert_eq!(movement(5, Some(2)), "▼3");
        assert_eq!(movement(2, Some(2)), "–");
        assert_eq!(movement(2, None), "new");
    }
}
