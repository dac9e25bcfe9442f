//! Mastodon conversations through the real binary: a fixture instance on
//! 127.0.0.1 where customers complain and the company's own account answers
//! them, and where one followed hashtag's timeline is broken. The answers
//! must count as webcare, and the broken timeline must cost nothing but its
//! own statuses, while being reported.

mod support;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::{Duration, Utc};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;
use support::{repmon, repmon_ok, serve_web, write_one_shot_config};

struct Instance {
    base: String,
}

fn status(
    b: &str,
    id: &str,
    acct: &str,
    reply_to: Option<&str>,
    hours_ago: i64,
    text: &str,
) -> Value {
    json!({
        "id": id, "created_at": (Utc::now() - Duration::hours(hours_ago)).to_rfc3339(),
        "in_reply_to_id": reply_to, "url": format!("{b}/@{acct}/{id}"),
        "uri": format!("{b}/users/{acct}/statuses/{id}"), "content": format!("<p>{text}</p>"),
        "spoiler_text": "", "language": "nl", "reblog": null,
        "account": {"id": format!("acc-{acct}"), "acct": acct, "username": acct}
    })
}

/// A complaint under the followed hashtag.
async fn tag(State(i): State<Arc<Instance>>) -> impl IntoResponse {
    axum::Json(json!([status(
        &i.base,
        "101",
        "anna",
        None,
        5,
        "Al twee dagen geen stroom en Zon Energie zegt helemaal niets. Slechte service, ik ben er klaar mee!"
    )]))
}

/// The company's answers: to the tagged complaint, and to one that carries
/// no followed hashtag (repmon has to ask for it).
async fn own_account(State(i): State<Arc<Instance>>) -> impl IntoResponse {
    let b = &i.base;
    axum::Json(json!([
        status(
            b,
            "104",
            "zonenergie",
            Some("95"),
            1,
            "@bert Zon Energie kijkt het na, we bellen je vandaag."
        ),
        status(
            b,
            "102",
            "zonenergie",
            Some("101"),
            4,
            // Like most webcare answers, this one does not name the company.
            "@anna Vervelend! We zoeken het uit, stuur ons een DM."
        ),
    ]))
}

async fn one_status(State(i): State<Arc<Instance>>) -> impl IntoResponse {
    axum::Json(status(
        &i.base,
        "95",
        "bert",
        None,
        3,
        "Zon Energie heeft mijn termijnbedrag zomaar verdubbeld, belachelijk slecht geregeld!",
    ))
}

async fn serve() -> String {
    serve_web(|base| {
        Router::new()
            .route("/api/v1/timelines/tag/zonenergie", get(tag))
            .route(
                "/api/v1/timelines/tag/kapot",
                get(|| async { (StatusCode::BAD_GATEWAY, "upstream down") }),
            )
            .route(
                "/api/v1/accounts/lookup",
                get(|| async { axum::Json(json!({"id": "7", "acct": "zonenergie"})) }),
            )
            .route("/api/v1/accounts/7/statuses", get(own_account))
            .route("/api/v1/statuses/95", get(one_status))
            .with_state(Arc::new(Instance {
                base: base.to_string(),
            }))
    })
    .await
}

fn write_config(path: &Path, data: &Path, web: &str) {
    let rest = format!(
        r#"
[[companies]]
id = "zon"
name = "Zon Energie"
terms = ["Zon Energie"]
accounts = ["zonenergie"]

[[sources]]
id = "social"
kind = "mastodon"
url = "{web}"
tags = ["zonenergie", "kapot"]
accounts = ["zonenergie"]
"#
    );
    write_one_shot_config(path, data, &rest);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn company_answers_on_mastodon_count_as_webcare_despite_a_broken_timeline() {
    let tmp = tempfile::tempdir().unwrap();
    let web = serve().await;
    let config = tmp.path().join("repmon.toml");
    write_config(&config, &tmp.path().join("data"), &web);

    let out = repmon(&config, &["poll"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        stdout.contains("timeline #kapot failed") && stdout.contains("502"),
        "the broken timeline is the source's error:\n{stdout}\n{stderr}"
    );
    // One timeline of the only source failed, the other was read: the poll
    // worked, partly, and says so without failing.
    assert!(
        out.status.success(),
        "a partial failure is not a failed poll:\n{stdout}\n{stderr}"
    );

    let stdout = repmon_ok(&config, &["company", "zon", "--format", "json"]);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let metrics = &report["metrics"];
    assert_eq!(
        metrics["mentions"], 2,
        "two complaints (earned): {metrics:#}"
    );
    assert_eq!(metrics["owned"], 2, "two answers (owned): {metrics:#}");
    let webcare = &metrics["webcare"];
    assert_eq!(webcare["complaints"], 2, "{metrics:#}");
    assert_eq!(webcare["answered"], 2, "{metrics:#}");
    // Anna waited an hour, Bert two: the median is 90 minutes.
    let minutes = webcare["median_response_minutes"].as_f64().unwrap();
    assert!((minutes - 90.0).abs() < 1.0, "{minutes}");
}
