//! `compose` and `mark_sent` over a real store and monitor.

use chrono::{DateTime, Duration, Utc};
use repmon_config::Config;
use repmon_model::{CompanyMention, Document, Mention, Sentiment, SourceKind};
use repmon_monitor::Monitor;
use repmon_store::Store;
use std::path::Path;
use std::sync::Arc;

fn config() -> Config {
    let toml = r#"
data_dir = "unused"
[server]
public_url = "https://repmon.example.org"
[ranking]
window = "7d"
top = 10
[[companies]]
id = "zon"
name = "Zon Energie"
terms = ["Zon Energie"]
[[companies]]
id = "golf"
name = "Golf Internet"
terms = ["Golf Internet"]
[[companies]]
id = "kpn"
name = "KPN"
terms = ["KPN"]
[digest]
smtp_url = "smtp://127.0.0.1:2525"
from = "repmon@example.org"
to = ["analyst@example.org"]
"#;
    Config::from_toml_with_env(Path::new("test.toml"), toml, &[]).unwrap()
}

fn mention(
    n: usize,
    company: &str,
    sentiment: Sentiment,
    title: &str,
    at: DateTime<Utc>,
) -> Mention {
    let score = match sentiment {
        Sentiment::Positive => 0.7,
        Sentiment::Negative => -0.7,
        Sentiment::Neutral => 0.0,
    };
    Mention {
        doc: Document {
            title: title.into(),
            author: Some(format!("user{}", n % 7)),
            lang_hint: Some("nl".into()),
            ..Document::new(
                format!("doc-{company}-{n}"),
                "forum",
                SourceKind::Html,
                format!("https://forum.example/t/{company}/{n}"),
                format!("{title}: something about {company} number {n}"),
                at,
            )
        },
        lang: "nl".into(),
        companies: vec![CompanyMention {
            terms: vec!["storing".into(), "wifi".into()],
            ..CompanyMention::new(company, sentiment, score)
        }],
    }
}

#[test]
fn compose_shows_the_table_fallers_and_their_mentions_then_movement_since_the_last_digest() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    let config = Arc::new(config());
    let now = DateTime::parse_from_rfc3339("2026-11-23T07:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let mut batch = Vec::new();
    let mut n = 0;
    let mut add = |company: &str, sentiment, count: usize, title: &str, days_ago: i64| {
        for i in 0..count {
            n += 1;
            let at = now - Duration::days(days_ago) + Duration::minutes(i as i64);
            batch.push(mention(n, company, sentiment, title, at));
        }
    };
    // The week before: Golf Internet well liked, Zon Energie hardly mentioned.
    add("golf", Sentiment::Positive, 30, "Golf Internet is snel", 10);
    add("kpn", Sentiment::Neutral, 10, "KPN tarieven", 10);
    add("zon", Sentiment::Negative, 3, "Zon Energie traag", 10);
    // This week: Golf Internet down, with a hostile title; Zon Energie praised.
    add(
        "golf",
        Sentiment::Negative,
        30,
        "Storing <script>alert(1)</script> Golf Internet",
        2,
    );
    add("kpn", Sentiment::Neutral, 10, "KPN tarieven", 2);
    add("zon", Sentiment::Positive, 30, "Zon Energie app is top", 2);
    store.write_mentions(&batch).unwrap();

    let monitor = Monitor::new(store.clone(), config.clone());
    let email = repmon_digest::compose(&monitor, &store, &config, now).unwrap();
    assert_eq!(email.subject, "repmon weekly digest — week 48, 2026");
    let text = &email.text;
    let line = |name: &str| {
        text.lines()
            .find(|l| l.contains(name))
            .unwrap_or_default()
            .to_string()
    };
    assert!(line("Zon Energie").trim_start().starts_with("1 "), "{text}");
    let fallers = text
        .split("Biggest fallers")
        .nth(1)
        .unwrap_or_else(|| panic!("no fallers section:\n{text}"));
    assert!(fallers.contains("Golf Internet: down"), "{text}");
    let risers = text
        .split("Biggest risers")
        .nth(1)
        .unwrap_or_else(|| panic!("no risers section:\n{text}"));
    assert!(risers.contains("Zon Energie: up"), "{text}");
    // The fallers' negative mentions, with links.
    let week = text
        .split("Mentions of the week")
        .nth(1)
        .unwrap_or_else(|| panic!("no mentions section:\n{text}"));
    assert!(week.contains("Golf Internet — negative"), "{week}");
    assert!(
        week.contains("Storing <script>alert(1)</script> Golf Internet"),
        "{week}"
    );
    assert!(week.contains("https://forum.example/t/golf/"), "{week}");
    assert!(week.contains("Zon Energie — positive"), "{week}");
    assert!(!email.html.contains("<script>"), "{}", email.html);
    assert!(
        email.html.contains("Storing &lt;script&gt;"),
        "{}",
        email.html
    );

    // After a digest went out, the next shows movement since then.
    let full = monitor.ranking(now, Duration::days(7), 10).unwrap();
    repmon_digest::mark_sent(&store, &full, now).unwrap();
    assert_eq!(
        repmon_digest::last_sent(&store).unwrap().unwrap().ranking,
        full
    );
    let later =
        repmon_digest::compose(&monitor, &store, &config, now + Duration::hours(1)).unwrap();
    assert!(
        later
            .text
            .contains("Movement since the last digest of 23 Nov 2026."),
        "{}",
        later.text
    );
    assert!(
        !later.text.contains("Biggest fallers"),
        "nothing moved in the hour since:\n{}",
        later.text
    );
    assert!(line("Zon Energie").contains("+"), "{text}");
    assert!(
        later
            .text
            .lines()
            .any(|l| l.contains("Zon Energie") && l.contains("   =  ")),
        "{}",
        later.text
    );
}
