//! The noise test: stable companies whose daily volume and mood vary at
//! random around fixed profiles are re-ranked hundreds of times by the real
//! monitor, and every alert rule watches. Nothing may fire. Then one company
//! has a bad day: its alerts fire at the first re-rank after it, once.

use chrono::{DateTime, Duration, TimeZone, Utc};
use repmon_alerts::{Alerts, Event};
use repmon_config::Config;
use repmon_model::{CompanyMention, Document, Mention, Sentiment, SourceKind};
use repmon_monitor::{Window, rank};
use repmon_store::Store;
use std::path::Path;
use std::sync::Arc;

/// (id, mentions a day, share positive, share negative)
const PROFILES: [(&str, f64, f64, f64); 8] = [
    ("alfa", 90.0, 0.45, 0.15),
    ("bravo", 30.0, 0.60, 0.10),
    ("charlie", 55.0, 0.40, 0.25),
    ("delta", 12.0, 0.50, 0.20),
    ("echo", 70.0, 0.30, 0.30),
    ("foxtrot", 25.0, 0.35, 0.40),
    ("golf", 40.0, 0.55, 0.12),
    ("hotel", 18.0, 0.25, 0.45),
];

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn config() -> Config {
    let mut toml = String::from("data_dir = \"unused\"\n[ranking]\ntop = 4\n");
    for (id, ..) in PROFILES {
        toml.push_str(&format!(
            "[[companies]]\nid = \"{id}\"\nname = \"{id}\"\nterms = [\"{id}\"]\n"
        ));
    }
    toml.push_str(&format!(
        "[[webhooks]]\nurl = \"http://127.0.0.1:9/hook\"\nsecret = \"{SECRET}\"\n\
         events = [\"rank.dropped\", \"rank.exited_top\", \"sentiment.dropped\", \"volume.spike\"]\n"
    ));
    Config::from_toml_with_env(Path::new("noise.toml"), &toml, &[]).unwrap()
}

fn mention(
    n: usize,
    company: &str,
    author: String,
    at: DateTime<Utc>,
    sentiment: Sentiment,
) -> Mention {
    let words = match sentiment {
        Sentiment::Positive => ["snel", "goed"],
        Sentiment::Negative => ["storing", "traag"],
        Sentiment::Neutral => ["nieuws", "prijs"],
    };
    let score = match sentiment {
        Sentiment::Positive => 0.6,
        Sentiment::Negative => -0.6,
        Sentiment::Neutral => 0.0,
    };
    Mention {
        doc: Document {
            title: format!("over {company}"),
            author: Some(author),
            ..Document::new(
                format!("doc-{n}"),
                "blog",
                SourceKind::Feed,
                format!("https://blog.example/{n}"),
                format!("{company} {} {}", words[0], words[1]),
                at,
            )
        },
        lang: "nl".into(),
        companies: vec![CompanyMention {
            terms: words.iter().map(|w| w.to_string()).collect(),
            ..CompanyMention::new(company, sentiment, score)
        }],
    }
}

/// `days` of talk: each day each company's volume is its profile's times a
/// factor in 0.6..1.4, and its positive/negative shares move by up to ±0.08;
/// every mention gets a random time of day and one of the company's regular
/// authors.
fn stable_talk(rng: &mut fastrand::Rng, start: DateTime<Utc>, days: i64) -> Vec<Mention> {
    let mut out = Vec::new();
    for day in 0..days {
        for (id, per_day, pos, neg) in PROFILES {
            let volume = (per_day * (0.6 + 0.8 * rng.f64())).round() as usize;
            let pos = pos + 0.16 * (rng.f64() - 0.5);
            let neg = neg + 0.16 * (rng.f64() - 0.5);
            for _ in 0..volume {
                let at = start + Duration::days(day) + Duration::seconds(rng.i64(0..86_400));
                let roll = rng.f64();
                let sentiment = if roll < pos {
                    Sentiment::Positive
                } else if roll < pos + neg {
                    Sentiment::Negative
                } else {
                    Sentiment::Neutral
                };
                let authors = (per_day * 2.0) as u32;
                let author = format!("{id}-fan-{}", rng.u32(0..authors));
                out.push(mention(out.len(), id, author, at, sentiment));
            }
        }
    }
    out
}

/// Re-ranks at `at` over the 7 days before it and lets the alerts judge.
fn rerank(alerts: &Alerts, config: &Config, all: &[Mention], at: DateTime<Utc>) -> Vec<Event> {
    let window = Window::ending_at(at, Duration::days(7));
    let slice = |from: DateTime<Utc>, to: DateTime<Utc>| {
        let a = all.partition_point(|m| m.doc.published < from);
        let b = all.partition_point(|m| m.doc.published < to);
        &all[a..b]
    };
    let current = slice(window.from, window.to);
    let previous = slice(window.previous().from, window.from);
    let ranking = rank(&config.companies, current, previous, window, at);
    alerts.observe(&ranking, true).unwrap()
}

#[test]
fn stable_companies_raise_nothing_and_a_collapse_fires_once() {
    let config = config();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    let alerts = Alerts::new(store, &config);
    // Fixed, so a failure reproduces; another seed can be tried with
    // REPMON_NOISE_SEED.
    let seed = std::env::var("REPMON_NOISE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261122);
    let mut rng = fastrand::Rng::with_seed(seed);
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let days = 200;
    let mut all = stable_talk(&mut rng, start, days);
    all.sort_by_key(|m| m.doc.published);

    // Re-rank every 12 hours from day 14 (two full windows) to day 180.
    let reranks: Vec<DateTime<Utc>> = (28..360).map(|h| start + Duration::hours(12 * h)).collect();
    assert!(reranks.len() >= 300);
    let mut noise: Vec<Event> = Vec::new();
    for &at in &reranks {
        noise.extend(rerank(&alerts, &config, &all, at));
    }
    let summary: Vec<String> = noise
        .iter()
        .map(|e| format!("{} {} at {}", e.kind, e.data["company"]["id"], e.timestamp))
        .collect();
    assert!(
        noise.is_empty(),
        "{} re-ranks of stable companies raised {} alerts: {summary:#?}",
        reranks.len(),
        noise.len()
    );

    // Day 180: the company in second place has a bad morning: 300
    // complaints by many authors between 00:00 and 10:00, on top of its
    // usual talk.
    let storm_day = start + Duration::days(180);
    let before = {
        let window = Window::ending_at(storm_day, Duration::days(7));
        let a = all.partition_point(|m| m.doc.published < window.previous().from);
        let b = all.partition_point(|m| m.doc.published < window.to);
        let (prev, cur) =
            all[a..b].split_at(all[a..b].partition_point(|m| m.doc.published < window.from));
        rank(&config.companies, cur, prev, window, storm_day)
    };
    let victim = before.entries[1].company.id.clone();
    let victim_before = 2;
    let n0 = all.len();
    for i in 0..300 {
        let at = storm_day + Duration::seconds(rng.i64(0..36_000));
        all.push(mention(
            n0 + i,
            &victim,
            format!("angry-{i}"),
            at,
            Sentiment::Negative,
        ));
    }
    all.sort_by_key(|m| m.doc.published);

    let mut after: Vec<Vec<Event>> = Vec::new();
    for h in 0..20 {
        after.push(rerank(
            &alerts,
            &config,
            &all,
            storm_day + Duration::hours(12 + 12 * h),
        ));
    }
    let first: Vec<(&str, &str)> = after[0]
        .iter()
        .map(|e| {
            (
                e.kind.as_str(),
                e.data["company"]["id"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert!(
        first.contains(&("rank.dropped", victim.as_str())),
        "rank.dropped at the first re-rank after the storm: {first:?}"
    );
    assert!(
        first.contains(&("sentiment.dropped", victim.as_str())),
        "sentiment.dropped at the first re-rank after the storm: {first:?}"
    );
    let dropped = &after[0]
        .iter()
        .find(|e| e.kind == "rank.dropped")
        .unwrap()
        .data;
    // previous_rank is where it stood at the re-rank before; usual_rank the
    // baseline it was judged on: both around second place.
    let (previous, usual, now) = (
        dropped["previous_rank"].as_u64().unwrap(),
        dropped["usual_rank"].as_u64().unwrap(),
        dropped["rank"].as_u64().unwrap(),
    );
    assert!(previous.abs_diff(victim_before) <= 1, "{dropped}");
    assert!(usual.abs_diff(victim_before) <= 1, "{dropped}");
    assert!(now >= victim_before + 3 && now >= usual + 3, "{dropped}");
    let sentiment = &after[0]
        .iter()
        .find(|e| e.kind == "sentiment.dropped")
        .unwrap()
        .data;
    assert!(
        sentiment["previous_net_sentiment"].as_f64().unwrap()
            - sentiment["net_sentiment"].as_f64().unwrap()
            >= 0.3,
        "{sentiment}"
    );
    // Once: the ten days after (the storm still in the window, then leaving
    // it) raise no second rank.dropped or sentiment.dropped, for anyone.
    let later: Vec<String> = after[1..]
        .iter()
        .flatten()
        .filter(|e| e.kind == "rank.dropped" || e.kind == "sentiment.dropped")
        .map(|e| format!("{} {} at {}", e.kind, e.data["company"]["id"], e.timestamp))
        .collect();
    assert!(later.is_empty(), "told more than once: {later:?}");
}
