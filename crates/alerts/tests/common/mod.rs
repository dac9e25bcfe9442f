//! Shared pieces of the alerts tests: configs, constructed rankings, and a
//! real webhook receiver on 127.0.0.1 that checks signatures.
#![allow(dead_code)]

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use repmon_config::Config;
use repmon_monitor::{CompanyRef, Entry, Metrics, Ranking, Window};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// A config with five companies and the given `[[webhooks]]` tables.
pub fn config(webhooks: &str) -> Config {
    let mut toml = String::from(
        "data_dir = \"unused\"\n[server]\nlisten = \"127.0.0.1:7070\"\npublic_url = \"https://repmon.example.org/\"\n",
    );
    for id in ["a", "b", "c", "d", "e"] {
        toml.push_str(&format!(
            "[[companies]]\nid = \"{id}\"\nname = \"Company {}\"\nterms = [\"{id}corp\"]\n",
            id.to_uppercase()
        ));
    }
    toml.push_str(webhooks);
    Config::from_toml_with_env(Path::new("test.toml"), &toml, &[]).expect("test config is valid")
}

pub fn webhook(url: &str, min_places: usize, extra: &str) -> String {
    format!(
        "[[webhooks]]\nurl = \"{url}\"\nsecret = \"{SECRET}\"\nmin_places = {min_places}\n{extra}\n"
    )
}

/// A ranking listing company ids best first; `silent` ones have no mentions.
pub fn ranking(order: &[&str], silent: &[&str], at: DateTime<Utc>) -> Ranking {
    let entries = order
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let rank = i as u32 + 1;
            let mentions = if silent.contains(id) {
                0
            } else {
                20 - i as u64
            };
            Entry {
                rank,
                previous_rank: None,
                company: CompanyRef {
                    id: id.to_string(),
                    name: format!("Company {}", id.to_uppercase()),
                },
                score: 90.0 - 10.0 * f64::from(rank - 1),
                score_change: None,
                metrics: Metrics {
                    mentions,
                    ..Metrics::default()
                },
                reasons: vec![format!(
                    "sentiment of {id} moved: mentions on forums about 'storing'"
                )],
                reason_details: vec![repmon_monitor::ReasonDetail {
                    text: format!("sentiment of {id} moved: mentions on forums about 'storing'"),
                    component: "vibe".into(),
                    before: Some(0.4),
                    after: Some(-0.2),
                    mentions: vec![repmon_monitor::ReasonMention {
                        title: format!("Storing bij {id}"),
                        url: format!("https://forum.example/{id}/storing"),
                        source: "forum".into(),
                        sentiment: repmon_model::Sentiment::Negative,
                    }],
                }],
            }
        })
        .collect();
    Ranking {
        generated_at: at,
        window: Window::ending_at(at, chrono::Duration::days(7)),
        entries,
    }
}

/// What the receiver answers to one request.
#[derive(Clone)]
pub struct Reply {
    pub status: u16,
    pub retry_after: Option<&'static str>,
    pub delay: Duration,
}

impl Reply {
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            retry_after: None,
            delay: Duration::ZERO,
        }
    }
}

/// One request as the receiver saw it.
#[derive(Clone, Debug)]
pub struct Received {
    pub webhook_id: String,
    pub timestamp: i64,
    pub content_type: String,
    pub signature_ok: bool,
    pub body: serde_json::Value,
    pub at: Instant,
}

struct Inner {
    script: Vec<Reply>,
    received: Vec<Received>,
}

/// A webhook endpoint on 127.0.0.1 that answers from a script (then 200s).
#[derive(Clone)]
pub struct Receiver {
    inner: Arc<Mutex<Inner>>,
    pub url: String,
}

impl Receiver {
    pub async fn start(script: Vec<Reply>) -> Receiver {
        let inner = Arc::new(Mutex::new(Inner {
            script,
            received: Vec::new(),
        }));
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { inner, url }
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().unwrap().received.clone()
    }

    /// Waits until at least `n` requests arrived (or panics after `limit`).
    pub async fn wait_for(&self, n: usize, limit: Duration) -> Vec<Received> {
        let start = Instant::now();
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                start.elapsed() < limit,
                "expected {n} webhook requests, got {}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn receive(
    State(inner): State<Arc<Mutex<Inner>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let webhook_id = header("webhook-id");
    let timestamp: i64 = header("webhook-timestamp").parse().unwrap_or(0);
    let key =
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &SECRET[6..]).unwrap();
    let expected = repmon_alerts::sign(&key, &webhook_id, timestamp, &body);
    // As a receiver would: the signature header may list several, space-separated.
    let signature_ok = header("webhook-signature")
        .split(' ')
        .any(|s| s == expected)
        && (Utc::now().timestamp() - timestamp).abs() < 300;
    let reply = {
        let mut inner = inner.lock().unwrap();
        inner.received.push(Received {
            webhook_id,
            timestamp,
            content_type: header("content-type"),
            signature_ok,
            body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
            at: Instant::now(),
        });
        if inner.script.is_empty() {
            Reply::status(200)
        } else {
            inner.script.remove(0)
        }
    };
    tokio::time::sleep(reply.delay).await;
    let mut resp = StatusCode::from_u16(reply.status).unwrap().into_response();
    if let Some(ra) = reply.retry_after {
        resp.headers_mut()
            .insert("retry-after", ra.parse().unwrap());
    }
    resp
}

/// A store in `dir` and alerts over it for the given `[[webhooks]]` tables.
pub fn open_alerts(
    dir: &Path,
    webhooks: &str,
) -> (Arc<repmon_store::Store>, repmon_alerts::Alerts) {
    let store = Arc::new(repmon_store::Store::open(dir).unwrap());
    let alerts = repmon_alerts::Alerts::new(store.clone(), &config(webhooks));
    (store, alerts)
}

/// How many deliveries wait in the outbox.
pub fn outbox_len(store: &repmon_store::Store) -> usize {
    store
        .range::<serde_json::Value>(repmon_store::Table::Outbox, None, None)
        .unwrap()
        .len()
}

/// An armed re-rank to `order` (every company with mentions) at `at`: the
/// events it raised.
pub fn observe(
    alerts: &repmon_alerts::Alerts,
    order: &[&str],
    at: DateTime<Utc>,
) -> Vec<repmon_alerts::Event> {
    alerts.observe(&ranking(order, &[], at), true).unwrap()
}
