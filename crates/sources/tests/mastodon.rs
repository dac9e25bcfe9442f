//! `mastodon` sources against a fixture instance that implements the parts
//! of the API repmon uses: tag timelines, account lookup, account statuses,
//! with `since_id` / `max_id` / `limit` and a `Link` header.

mod common;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use common::*;
use repmon_model::SourceKind;
use repmon_sources::{SourceState, poll};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Instance {
    base: Mutex<String>,
    /// (timeline, status), newest last.
    statuses: Mutex<Vec<(String, Value)>>,
    requests: Mutex<Vec<String>>,
}

impl Instance {
    fn add(&self, timeline: &str, id: u64, acct: &str, content: &str, extra: Value) {
        let base = self.base.lock().unwrap().clone();
        let mut s = json!({
            "id": id.to_string(),
            "created_at": format!("2026-11-20T10:{:02}:00.000Z", id % 60),
            "in_reply_to_id": null,
            "spoiler_text": "",
            "language": "nl",
            "uri": format!("{base}/users/{acct}/statuses/{id}"),
            "url": format!("{base}/@{acct}/{id}"),
            "content": content,
            "reblog": null,
            "account": {"id": "7", "username": acct.split('@').next().unwrap(), "acct": acct}
        });
        if let (Value::Object(s), Value::Object(extra)) = (&mut s, extra) {
            s.extend(extra);
        }
        self.statuses
            .lock()
            .unwrap()
            .push((timeline.to_string(), s));
    }

    /// The timeline page the API would give: newest first, within the ids asked for.
    fn page(&self, timeline: &str, q: &HashMap<String, String>, path: &str) -> Response {
        let num = |k: &str| q.get(k).and_then(|v| v.parse::<u64>().ok());
        let (since, max, limit) = (
            num("since_id"),
            num("max_id"),
            num("limit").unwrap_or(20).min(40) as usize,
        );
        let mut page: Vec<Value> = self
            .statuses
            .lock()
            .unwrap()
            .iter()
            .filter(|(t, _)| t == timeline)
            .map(|(_, s)| s.clone())
            .filter(|s| {
                let id: u64 = s["id"].as_str().unwrap().parse().unwrap();
                since.is_none_or(|x| id > x) && max.is_none_or(|x| id < x)
            })
            .collect();
        page.sort_by_key(|s| std::cmp::Reverse(s["id"].as_str().unwrap().parse::<u64>().unwrap()));
        page.truncate(limit);
        let mut resp = axum::Json(page.clone()).into_response();
        if page.len() == limit {
            let last = page.last().unwrap()["id"].as_str().unwrap().to_string();
            let base = self.base.lock().unwrap().clone();
            let link = format!(
                "<{base}{path}?max_id={last}>; rel=\"next\", <{base}{path}?min_id=1>; rel=\"prev\""
            );
            resp.headers_mut()
                .insert(header::LINK, link.parse().unwrap());
        }
        resp
    }
}

async fn tag(
    State(i): State<Arc<Instance>>,
    Path(tag): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    i.requests
        .lock()
        .unwrap()
        .push(format!("tag {tag} {}", query_text(&q)));
    if tag == "kapot" {
        return (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response();
    }
    i.page(
        &format!("tag:{tag}"),
        &q,
        &format!("/api/v1/timelines/tag/{tag}"),
    )
}

async fn lookup(
    State(i): State<Arc<Instance>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let acct = q.get("acct").cloned().unwrap_or_default();
    i.requests.lock().unwrap().push(format!("lookup {acct}"));
    if acct == "zonenergie" {
        axum::Json(json!({"id": "7", "username": "zonenergie", "acct": "zonenergie"}))
            .into_response()
    } else {
        (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"error": "Record not found"})),
        )
            .into_response()
    }
}

async fn account_statuses(
    State(i): State<Arc<Instance>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    i.requests
        .lock()
        .unwrap()
        .push(format!("statuses {id} {}", query_text(&q)));
    i.page(
        &format!("account:{id}"),
        &q,
        &format!("/api/v1/accounts/{id}/statuses"),
    )
}

/// One status by id, from any timeline (or from none: timeline "elsewhere").
async fn one_status(State(i): State<Arc<Instance>>, Path(id): Path<String>) -> Response {
    i.requests.lock().unwrap().push(format!("status {id}"));
    let found = i
        .statuses
        .lock()
        .unwrap()
        .iter()
        .find(|(_, s)| s["id"] == id.as_str())
        .map(|(_, s)| s.clone());
    match found {
        Some(s) => axum::Json(s).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"error": "Record not found"})),
        )
            .into_response(),
    }
}

fn query_text(q: &HashMap<String, String>) -> String {
    let mut parts: Vec<String> = q.iter().map(|(k, v)| format!("{k}={v}")).collect();
    parts.sort();
    parts.join("&")
}

async fn instance() -> (Arc<Instance>, String) {
    let inst = Arc::new(Instance::default());
    let app = Router::new()
        .route("/api/v1/timelines/tag/{tag}", get(tag))
        .route("/api/v1/accounts/lookup", get(lookup))
        .route("/api/v1/accounts/{id}/statuses", get(account_statuses))
        .route("/api/v1/statuses/{id}", get(one_status))
        .with_state(inst.clone());
    let base = serve(app).await;
    *inst.base.lock().unwrap() = base.clone();
    (inst, base)
}

fn mastodon_source(base: &str, tags: &[&str], accounts: &[&str]) -> repmon_config::Source {
    source(
        json!({"id": "social", "kind": "mastodon", "url": format!("{base}/"), "tags": tags, "accounts": accounts}),
    )
}

#[tokio::test]
async fn tag_and_account_timelines_with_replies_reblogs_and_since_id() {
    let (inst, base) = instance().await;
    inst.add(
        "tag:zonenergie",
        101,
        "anna@social.example",
        "<p>Weer een storing bij <a href=\"#\">#ZonEnergie</a> &amp; niemand neemt op</p>",
        json!({}),
    );
    inst.add(
        "tag:zonenergie",
        102,
        "zonenergie",
        "<p><span class=\"h-card\"><a href=\"#\">@<span>anna</span></a></span> Wat vervelend! Stuur ons een DM.</p>",
        json!({"in_reply_to_id": "101", "language": "nl"}),
    );
    // A reblog stands for the status it shares.
    let reblogged = json!({
        "id": "90", "created_at": "2026-11-19T08:00:00.000Z", "in_reply_to_id": null, "spoiler_text": "tarieven",
        "language": "en", "uri": "https://other.example/users/bob/statuses/90", "url": "https://other.example/@bob/90",
        "content": "<p>Zon Energie lowered prices, nice.</p>", "reblog": null,
        "account": {"id": "3", "username": "bob", "acct": "bob@other.example"}
    });
    inst.add(
        "account:7",
        103,
        "zonenergie",
        "",
        json!({"reblog": reblogged}),
    );
    inst.add(
        "account:7",
        104,
        "zonenergie",
        "<p>Onze nieuwe app is live!</p>",
        json!({"language": null}),
    );

    let fetcher = fetcher();
    let source = mastodon_source(&base, &["zonenergie"], &["@zonenergie"]);
    let first = first_poll(&fetcher, &source).await.unwrap();
    let docs = &first.documents;
    assert_eq!(docs.len(), 4, "{docs:#?}");
    assert_eq!(
        first.requests, 3,
        "tag timeline, account lookup, account statuses"
    );
    assert!(
        docs.iter()
            .all(|d| d.kind == SourceKind::Mastodon && d.source == "social")
    );

    let reply = docs.iter().find(|d| d.in_reply_to.is_some()).unwrap();
    assert_eq!(reply.author.as_deref(), Some("zonenergie"));
    assert_eq!(reply.body, "@anna Wat vervelend! Stuur ons een DM.");
    assert_eq!(reply.url, format!("{base}/@zonenergie/102"));
    assert_eq!(reply.lang_hint.as_deref(), Some("nl"));

    let anna = docs
        .iter()
        .find(|d| d.author.as_deref() == Some("anna@social.example"))
        .unwrap();
    assert_eq!(
        anna.body,
        "Weer een storing bij #ZonEnergie & niemand neemt op"
    );
    assert_eq!(anna.published.to_rfc3339(), "2026-11-20T10:41:00+00:00");
    assert_eq!(anna.in_reply_to, None);
    assert_eq!(
        reply.in_reply_to.as_deref(),
        Some(anna.id.as_str()),
        "a reply names the document it answers"
    );

    let shared = docs
        .iter()
        .find(|d| d.url == "https://other.example/@bob/90")
        .expect("the reblogged status");
    assert_eq!(shared.author.as_deref(), Some("bob@other.example"));
    assert_eq!(shared.title, "tarieven", "content warning as title");
    assert_eq!(shared.body, "Zon Energie lowered prices, nice.");
    assert_eq!(shared.lang_hint.as_deref(), Some("en"));
    assert_eq!(shared.published.to_rfc3339(), "2026-11-19T08:00:00+00:00");

    let own = docs
        .iter()
        .find(|d| d.body == "Onze nieuwe app is live!")
        .unwrap();
    assert_eq!(own.lang_hint, None);

    // The next poll asks only for newer statuses and needs no lookup.
    let state: SourceState =
        serde_json::from_str(&serde_json::to_string(&first.state).unwrap()).unwrap();
    assert_eq!(state.since_id("tag:zonenergie"), Some("102"));
    assert_eq!(state.since_id("account:zonenergie"), Some("104"));
    inst.add(
        "tag:zonenergie",
        105,
        "carla",
        "<p>Overgestapt naar Zon Energie</p>",
        json!({}),
    );
    let second = poll(&fetcher, &source, &state).await.unwrap();
    assert_eq!(second.documents.len(), 1);
    assert_eq!(second.documents[0].body, "Overgestapt naar Zon Energie");
    assert_eq!(second.requests, 2);
    let requests = inst.requests.lock().unwrap().clone();
    assert_eq!(
        requests[3..],
        [
            "tag zonenergie limit=40&since_id=102".to_string(),
            "statuses 7 limit=40&since_id=104".to_string()
        ]
    );
    assert_eq!(second.state.since_id("tag:zonenergie"), Some("105"));
}

#[tokio::test]
async fn a_busy_tag_is_paged_within_the_bound() {
    let (inst, base) = instance().await;
    for id in 1000..1095 {
        inst.add(
            "tag:golf",
            id,
            "u",
            &format!("<p>bericht {id}</p>"),
            json!({}),
        );
    }
    let fetcher = fetcher();
    let source = mastodon_source(&base, &["golf"], &[]);
    let out = first_poll(&fetcher, &source).await.unwrap();
    assert_eq!(out.documents.len(), 95);
    assert_eq!(out.requests, 3, "40 + 40 + 15");
    let requests = inst.requests.lock().unwrap().clone();
    assert_eq!(
        requests[1], "tag golf limit=40&max_id=1055",
        "max_id from the Link header"
    );
    assert_eq!(out.state.since_id("tag:golf"), Some("1094"));
}

#[tokio::test]
async fn an_unknown_account_is_a_clear_error() {
    let (_inst, base) = instance().await;
    let fetcher = fetcher();
    let err = first_poll(&fetcher, &mastodon_source(&base, &[], &["nobody"]))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{base}/api/v1/accounts/lookup?acct=nobody: the instance knows no account @nobody (check accounts in the source)"
        )
    );
}

/// The Status example of the Mastodon documentation reads as a document.
#[test]
fn the_documented_status_example() {
    let path = std::path::Path::new(
        "/work/shared/data/sources/mastodon/docs-examples/entities_Status__example__x__01.json",
    );
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!("skipped: {} is not here", path.display());
        return;
    };
    let status: repmon_sources::kinds::mastodon::Status = serde_json::from_str(&text).unwrap();
    let api = url::Url::parse("https://mastodon.social/api/v1/timelines/tag/x").unwrap();
    let src = mastodon_source("https://mastodon.social", &["x"], &[]);
    let doc =
        repmon_sources::kinds::mastodon::status_document(status, &api, &src, chrono::Utc::now());
    assert_eq!(
        doc.url,
        "https://mastodon.social/@Gargron/103270115826048975"
    );
    assert_eq!(doc.author.as_deref(), Some("Gargron"));
    assert!(
        doc.body
            .starts_with("\"I lost my inheritance with one wrong digit on my sort code\""),
        "{}",
        doc.body
    );
    assert_eq!(doc.published.to_rfc3339(), "2019-12-08T03:48:33.901+00:00");
}

/// Every status in the Mastodon documentation's examples (entities and API
/// answers; the abbreviated ones with their `// ...` lines and the commas
/// they leave dropped) reads as a document with a permalink and plain text.
#[test]
fn every_documented_status_payload() {
    let dir = std::path::Path::new("/work/shared/data/sources/mastodon/docs-examples");
    let Ok(manifest) = std::fs::read_to_string(dir.join("MANIFEST.tsv")) else {
        eprintln!("skipped: {} is not here", dir.display());
        return;
    };
    let api = url::Url::parse("https://mastodon.example/api/v1/timelines/tag/x").unwrap();
    let src = mastodon_source("https://mastodon.example", &["x"], &[]);
    let is_status = |v: &serde_json::Value| {
        ["id", "content", "account", "created_at"]
            .iter()
            .all(|k| v.get(k).is_some())
    };
    let (mut files, mut statuses, mut replies) = (0, 0, 0);
    for line in manifest.lines().skip(1) {
        let name = line.split('\t').next().unwrap_or("");
        let Ok(text) = std::fs::read_to_string(dir.join(name)) else {
            continue;
        };
        let cleaned: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let cleaned = without_trailing_commas(&cleaned);
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&cleaned) else {
            continue;
        };
        let found: Vec<serde_json::Value> = match value {
            serde_json::Value::Array(items) => items.into_iter().filter(|v| is_status(v)).collect(),
            v if is_status(&v) => vec![v],
            _ => continue,
        };
        if found.is_empty() {
            continue;
        }
        files += 1;
        for v in found {
            let status: repmon_sources::kinds::mastodon::Status = serde_json::from_value(v)
                .unwrap_or_else(|e| panic!("{name}: a documented status does not read: {e}"));
            let doc = repmon_sources::kinds::mastodon::status_document(
                status,
                &api,
                &src,
                chrono::Utc::now(),
            );
            assert!(doc.url.starts_with("https://"), "{name}: {}", doc.url);
            assert!(!doc.body.contains('<'), "{name}: markup left: {}", doc.body);
            assert_eq!(doc.kind, SourceKind::Mastodon);
            statuses += 1;
            replies += usize::from(doc.in_reply_to.is_some());
        }
    }
    eprintln!("mastodon samples: {statuses} statuses ({replies} replies) in {files} files read");
    assert!(statuses >= 7, "only {statuses} documented statuses found");
}

/// `,` before a closing `]` or `}` dropped (outside strings), as the
/// documentation's elisions leave them.
fn without_trailing_commas(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        if c == '"' {
            in_string = true;
        }
        if c == ',' {
            let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
            if matches!(next, Some(']') | Some('}')) {
                continue;
            }
        }
        out.push(c);
    }
    out
}

#[tokio::test]
async fn a_company_answer_is_linked_to_the_complaint_by_document_ids() {
    let (inst, base) = instance().await;
    // A complaint under the hashtag; the company answers from its account.
    inst.add(
        "tag:zonenergie",
        101,
        "anna@social.example",
        "<p>Al twee dagen geen stroom en #ZonEnergie zegt niets</p>",
        json!({}),
    );
    inst.add(
        "account:7",
        102,
        "zonenergie",
        "<p>@anna Vervelend! We zoeken het uit, stuur ons een DM.</p>",
        json!({"in_reply_to_id": "101"}),
    );
    // It also answers a complaint that carries no followed hashtag.
    inst.add(
        "elsewhere",
        95,
        "bert",
        "<p>Zon Energie heeft mijn termijnbedrag verdubbeld</p>",
        json!({}),
    );
    inst.add(
        "account:7",
        103,
        "zonenergie",
        "<p>@bert Dat klopt niet, we bellen je vandaag.</p>",
        json!({"in_reply_to_id": "95"}),
    );
    // And a reply to a status the instance no longer has.
    inst.add(
        "account:7",
        104,
        "zonenergie",
        "<p>Graag gedaan!</p>",
        json!({"in_reply_to_id": "12"}),
    );

    let fetcher = fetcher();
    let source = mastodon_source(&base, &["zonenergie"], &["zonenergie"]);
    let first = first_poll(&fetcher, &source).await.unwrap();
    let by_body = |docs: &[repmon_model::Document], start: &str| {
        docs.iter()
            .find(|d| d.body.starts_with(start))
            .unwrap_or_else(|| panic!("no document starting {start:?} in {docs:#?}"))
            .clone()
    };
    let docs = &first.documents;
    let anna = by_body(docs, "Al twee dagen");
    let answer = by_body(docs, "@anna");
    assert_eq!(
        anna.thread.as_deref(),
        Some(anna.id.as_str()),
        "a status starts its thread"
    );
    assert_eq!(anna.in_reply_to, None);
    assert_eq!(answer.in_reply_to.as_deref(), Some(anna.id.as_str()));
    assert_eq!(answer.thread.as_deref(), Some(anna.id.as_str()));

    // The complaint without the hashtag was asked for, and is a document now.
    let bert = by_body(docs, "Zon Energie heeft");
    assert_eq!(bert.url, format!("{base}/@bert/95"));
    assert_eq!(bert.thread.as_deref(), Some(bert.id.as_str()));
    let to_bert = by_body(docs, "@bert");
    assert_eq!(to_bert.in_reply_to.as_deref(), Some(bert.id.as_str()));
    assert_eq!(to_bert.thread.as_deref(), Some(bert.id.as_str()));

    // A vanished parent: no link to it, the visible conversation starts here.
    let thanks = by_body(docs, "Graag gedaan");
    assert_eq!(thanks.in_reply_to, None);
    assert_eq!(thanks.thread.as_deref(), Some(thanks.id.as_str()));
    assert_eq!(docs.len(), 5);
    assert_eq!(
        first.requests, 5,
        "tag, lookup, account statuses, statuses 95 and 12"
    );
    let requests = inst.requests.lock().unwrap().clone();
    assert_eq!(requests[3..], ["status 95", "status 12"]);

    // A later poll links a new reply to a status read in the first one.
    let state: SourceState =
        serde_json::from_str(&serde_json::to_string(&first.state).unwrap()).unwrap();
    inst.add(
        "tag:zonenergie",
        105,
        "anna@social.example",
        "<p>@zonenergie DM gestuurd #ZonEnergie</p>",
        json!({"in_reply_to_id": "102"}),
    );
    let second = poll(&fetcher, &source, &state).await.unwrap();
    assert_eq!(second.documents.len(), 1, "{:#?}", second.documents);
    let later = &second.documents[0];
    assert_eq!(later.in_reply_to.as_deref(), Some(answer.id.as_str()));
    assert_eq!(later.thread.as_deref(), Some(anna.id.as_str()));
    assert_eq!(second.requests, 2, "no lookups: the parent was remembered");
}

#[tokio::test]
async fn a_failing_timeline_leaves_the_others_read_and_is_reported() {
    let (inst, base) = instance().await;
    inst.add(
        "tag:zonenergie",
        101,
        "anna",
        "<p>Overgestapt naar Zon Energie</p>",
        json!({}),
    );
    let fetcher = fetcher();
    let source = mastodon_source(&base, &["kapot", "zonenergie"], &["nobody"]);
    // The broken timeline had been read before: its cursor must survive.
    let mut before = serde_json::json!({"since": {"tag:kapot": "50"}});
    let state: SourceState = serde_json::from_value(before.take()).unwrap();
    let out = poll(&fetcher, &source, &state).await.unwrap();
    assert_eq!(out.documents.len(), 1);
    assert_eq!(out.documents[0].body, "Overgestapt naar Zon Energie");
    assert_eq!(
        out.partial_errors,
        [
            format!(
                "timeline #kapot failed: {base}/api/v1/timelines/tag/kapot?limit=40&since_id=50: answered 500 Internal Server Error"
            ),
            format!(
                "timeline @nobody failed: {base}/api/v1/accounts/lookup?acct=nobody: the instance knows no account @nobody (check accounts in the source)"
            ),
        ]
    );
    assert_eq!(
        out.state.since_id("tag:kapot"),
        Some("50"),
        "asked again from where it stood"
    );
    assert_eq!(out.state.since_id("tag:zonenergie"), Some("101"));

    // When every timeline fails, the source fails.
    let err = poll(&fetcher, &mastodon_source(&base, &["kapot"], &[]), &state)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("answered 500"), "{err}");
}
