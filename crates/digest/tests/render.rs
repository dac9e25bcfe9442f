//! The digest's layout on constructed rankings.

use chrono::{DateTime, Utc};
use repmon_digest::{DigestData, KeyMention, LastDigest, render};
use repmon_model::Sentiment;
use repmon_monitor::{CompanyRef, Entry, MentionSummary, Metrics, Ranking, Window};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn company(id: &str, name: &str) -> CompanyRef {
    CompanyRef {
        id: id.into(),
        name: name.into(),
    }
}

/// (id, name, previous_rank, score, reasons)
type Row<'a> = (&'a str, &'a str, Option<u32>, f64, &'a [&'a str]);

fn ranking(rows: &[Row], at: DateTime<Utc>) -> Ranking {
    let entries = rows
        .iter()
        .enumerate()
        .map(|(i, (id, name, prev, score, reasons))| Entry {
            rank: i as u32 + 1,
            previous_rank: *prev,
            company: company(id, name),
            score: *score,
            score_change: prev.map(|_| 5.0),
            metrics: Metrics {
                mentions: 100 - 10 * i as u64,
                net_sentiment: 0.25,
                ..Metrics::default()
            },
            reasons: reasons.iter().map(|r| r.to_string()).collect(),
            reason_details: vec![],
        })
        .collect();
    Ranking {
        generated_at: at,
        window: Window::ending_at(at, chrono::Duration::days(7)),
        entries,
    }
}

fn mention(id: &str, title: &str, url: &str, sentiment: Sentiment) -> MentionSummary {
    MentionSummary {
        id: id.into(),
        url: url.into(),
        title: title.into(),
        excerpt: "De storing duurt al <b>drie</b> dagen".into(),
        source: "tweakers-forum".into(),
        kind: "html".into(),
        author: Some("jan".into()),
        published: t("2026-11-20T14:03:00Z"),
        sentiment,
        score: -0.62,
    }
}

/// minijinja also escapes '/' (as &#x2f;), which browsers read back as '/'.
fn slashes(html: &str) -> String {
    html.replace("&#x2f;", "/")
}

fn data<'a>(
    ranking: &'a Ranking,
    last: Option<&'a LastDigest>,
    mentions: &'a [KeyMention],
    now: DateTime<Utc>,
) -> DigestData<'a> {
    DigestData {
        ranking,
        top: 20,
        last,
        mentions,
        base_url: "http://127.0.0.1:7070",
        tz: chrono_tz::Europe::Amsterdam,
        now,
    }
}

#[test]
fn text_has_the_table_movers_and_reasons() {
    let now = t("2026-11-23T07:00:00Z"); // Monday 08:00 in Amsterdam, ISO week 48
    let r = ranking(
        &[
            (
                "zon",
                "Zon Energie",
                Some(3),
                71.4,
                &[
                    "sentiment rose from +0.21 to +0.47: 38 positive mentions on blogs about 'terugleververgoeding', 'app'",
                ],
            ),
            ("kpn", "KPN", Some(1), 60.0, &[]),
            ("odido", "Odido", Some(2), 55.5, &[]),
            ("golf", "Golf Internet", None, 40.0, &[]),
        ],
        now,
    );
    let email = render(&data(&r, None, &[], now)).unwrap();
    let html = slashes(&email.html);
    assert_eq!(email.subject, "repmon weekly digest — week 48, 2026");
    assert!(
        email
            .text
            .starts_with("repmon weekly digest — week 48, 2026\n")
    );
    assert!(
        email
            .text
            .contains("Ranking over 16 Nov 2026 – 23 Nov 2026 (Europe/Amsterdam)."),
        "{}",
        email.text
    );
    assert!(
        email
            .text
            .contains("Movement compared with the 7 days before.")
    );
    // Rows: rank, movement, name, score.
    let row = |name: &str| {
        email
            .text
            .lines()
            .find(|l| l.contains(name) && l.contains('.'))
            .unwrap_or_default()
            .to_string()
    };
    let zon = row("Zon Energie");
    assert!(
        zon.trim_start().starts_with("1    +2  Zon Energie"),
        "{zon:?}"
    );
    assert!(zon.contains("71.4") && zon.contains("+0.25"), "{zon:?}");
    assert!(row("KPN").contains("  -1  KPN"), "{:?}", row("KPN"));
    assert!(row("Golf Internet").contains(" new  Golf Internet"));
    // Risers and fallers with reasons.
    let risers = email
        .text
        .split("Biggest risers")
        .nth(1)
        .expect("a risers section");
    assert!(
        risers.contains("Zon Energie: up 2 places, #3 → #1 (score 71.4, +5.0)"),
        "{risers}"
    );
    assert!(risers.contains("  - sentiment rose from +0.21 to +0.47: 38 positive mentions on blogs about 'terugleververgoeding', 'app'"));
    let fallers = email
        .text
        .split("Biggest fallers")
        .nth(1)
        .expect("a fallers section");
    assert!(fallers.contains("KPN: down 1 place, #1 → #2"), "{fallers}");
    assert!(
        fallers.contains("Odido: down 1 place, #2 → #3"),
        "{fallers}"
    );
    assert!(
        fallers.find("KPN").unwrap() < fallers.find("Odido").unwrap(),
        "ties: the higher rank first"
    );
    // The HTML part has the table too.
    assert!(
        html.contains("<a href=\"http://127.0.0.1:7070/companies/zon\""),
        "{html}"
    );
    assert!(html.contains("Biggest risers") && html.contains("Biggest fallers"));
}

#[test]
fn movement_is_since_the_last_digest_when_there_was_one() {
    let now = t("2026-11-30T07:00:00Z");
    let before = ranking(
        &[
            ("a", "Alpha", None, 50.0, &[]),
            ("b", "Beta", None, 40.0, &[]),
            ("c", "Gamma", None, 30.0, &[]),
        ],
        t("2026-11-23T07:00:00Z"),
    );
    let last = LastDigest {
        sent_at: t("2026-11-23T07:00:05Z"),
        ranking: before,
    };
    // previous_rank says c was 1st last window; the last digest had it 3rd.
    let now_table = ranking(
        &[
            ("c", "Gamma", Some(1), 60.0, &[]),
            ("a", "Alpha", Some(2), 45.0, &[]),
            ("b", "Beta", Some(3), 35.0, &[]),
        ],
        now,
    );
    let email = render(&data(&now_table, Some(&last), &[], now)).unwrap();
    assert_eq!(email.subject, "repmon weekly digest — week 49, 2026");
    assert!(
        email
            .text
            .contains("Movement since the last digest of 23 Nov 2026.")
    );
    assert!(
        email
            .text
            .contains("Gamma: up 2 places, #3 → #1 (score 60.0, +30.0)"),
        "{}",
        email.text
    );
    assert!(
        email
            .text
            .contains("Alpha: down 1 place, #1 → #2 (score 45.0, -5.0)"),
        "{}",
        email.text
    );
}

#[test]
fn scraped_text_is_escaped_in_the_html_part() {
    let now = t("2026-11-23T07:00:00Z");
    let r = ranking(
        &[
            (
                "a",
                "Alpha <i>&</i> Co",
                Some(2),
                50.0,
                &["negative mentions about '<script>alert(1)</script>'"],
            ),
            (
                "b",
                "Beta",
                Some(1),
                40.0,
                &["fell about '<img src=x onerror=alert(2)>'"],
            ),
        ],
        now,
    );
    let mentions = [
        KeyMention {
            company: company("a", "Alpha"),
            mention: mention(
                "m1",
                "<script>alert('title')</script>",
                "https://forum.example/t/1?a=1&b=2",
                Sentiment::Positive,
            ),
        },
        KeyMention {
            company: company("b", "Beta"),
            mention: mention(
                "m2",
                "Klik hier",
                "javascript:alert(3)",
                Sentiment::Negative,
            ),
        },
    ];
    let email = render(&data(&r, None, &mentions, now)).unwrap();
    let html = &slashes(&email.html);
    assert!(!html.contains("<script>"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(!html.contains("<i>"), "{html}");
    assert!(!html.contains("<b>drie"), "an excerpt is text, not markup");
    assert!(html.contains("&lt;script&gt;alert("), "{html}");
    assert!(html.contains("Alpha &lt;i&gt;&amp;&lt;/i&gt; Co"));
    assert!(
        html.contains(r#"href="https://forum.example/t/1?a=1&amp;b=2""#),
        "{html}"
    );
    assert!(
        !html.contains("href=\"javascript:"),
        "only http(s) links are made"
    );
    // The text part is plain: the words as they were.
    assert!(email.text.contains("\"<script>alert('title')</script>\""));
    assert!(email.text.contains("https://forum.example/t/1?a=1&b=2"));
    assert!(email.text.contains("javascript:alert(3)"));
}

#[test]
fn hostile_whitespace_does_not_break_the_text_layout() {
    let now = t("2026-11-23T07:00:00Z");
    let r = ranking(
        &[(
            "a",
            "Alpha\n\n#  move  fake row",
            None,
            50.0,
            &["line one\nline two\r\n\u{7}"],
        )],
        now,
    );
    let email = render(&data(&r, None, &[], now)).unwrap();
    assert!(
        email
            .text
            .lines()
            .any(|l| l.contains("Alpha # move fake row")),
        "{}",
        email.text
    );
    assert_eq!(
        email
            .text
            .lines()
            .filter(|l| l.contains("fake row"))
            .count(),
        1
    );
}

#[test]
fn the_week_is_the_iso_week_in_the_digest_time_zone() {
    // Sunday 3 Jan 2027 23:30 UTC is Monday 4 Jan 00:30 in Amsterdam: ISO week 1 of 2027.
    let now = t("2027-01-03T23:30:00Z");
    let r = ranking(&[], now);
    let email = render(&data(&r, None, &[], now)).unwrap();
    assert_eq!(email.subject, "repmon weekly digest — week 1, 2027");
    // Friday 1 Jan 2027 is still in ISO week 53 of 2026.
    let now = t("2027-01-01T12:00:00Z");
    let email = render(&data(&r, None, &[], now)).unwrap();
    assert_eq!(email.subject, "repmon weekly digest — week 53, 2026");
    assert!(email.text.contains("No companies are tracked yet."));
}

#[test]
fn a_fallers_reasons_cite_the_mentions_behind_them_in_both_parts() {
    use repmon_monitor::{ReasonDetail, ReasonMention};
    let now = t("2026-11-23T07:00:00Z");
    let mut r = ranking(
        &[
            ("kpn", "KPN", Some(2), 60.0, &[]),
            ("golf", "Golf Internet", Some(1), 38.0, &[]),
        ],
        now,
    );
    let text = "sentiment fell from +0.35 to -0.41: 41 negative mentions on forums about 'app', 'crasht', 'inloggen'";
    let cite = |title: &str, url: &str| ReasonMention {
        title: title.into(),
        url: url.into(),
        source: "tweakers-forum".into(),
        sentiment: Sentiment::Negative,
    };
    let golf = &mut r.entries[1];
    golf.reasons = vec![text.into()];
    golf.reason_details = vec![ReasonDetail {
        text: text.into(),
        component: "vibe".into(),
        before: Some(0.35),
        after: Some(-0.41),
        mentions: vec![
            cite(
                "App crasht bij inloggen <script>alert(1)</script>",
                "https://forum.example/t/9?p=1&q=2",
            ),
            cite("Weer geen toegang", "javascript:alert(2)"),
        ],
    }];
    let email = render(&data(&r, None, &[], now)).unwrap();

    // Text: the reason, then each mention with its source and link.
    let fallers = &email.text[email.text.find("Biggest fallers").unwrap()..];
    assert!(fallers.contains(&format!("  - {text}\n")), "{fallers}");
    assert!(
        fallers.contains(
            "      \"App crasht bij inloggen <script>alert(1)</script>\" (tweakers-forum, negative) https://forum.example/t/9?p=1&q=2\n"
        ),
        "{fallers}"
    );
    assert!(
        fallers.contains("\"Weer geen toegang\" (tweakers-forum, negative) javascript:alert(2)"),
        "{fallers}"
    );

    // HTML: linked, escaped; a non-http link is text.
    let html = slashes(&email.html);
    assert!(
        html.contains(
            r#"<a href="https://forum.example/t/9?p=1&amp;q=2" style="color: #0969da;">App crasht bij inloggen &lt;script&gt;alert(1)&lt;/script&gt;</a>"#
        ),
        "{html}"
    );
    assert!(!html.contains("<script>"), "{html}");
    assert!(!html.contains("href=\"javascript:"), "{html}");
    assert!(
        html.contains("Weer geen toegang (javascript:alert(2))"),
        "{html}"
    );
}
