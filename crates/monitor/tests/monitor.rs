//! The monitor on constructed mention streams, and over a real store.

use chrono::{DateTime, Duration, TimeZone, Utc};
use repmon_config::{Company, Config};
use repmon_model::{CompanyMention, Document, Mention, Sentiment, SourceKind};
use repmon_monitor::{Model, Monitor, Ranking, Weights, Window, rank, rank_with};
use repmon_store::Store;
use std::sync::Arc;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 8, 0, 0).unwrap()
}

fn window() -> Window {
    Window::ending_at(now(), Duration::days(7))
}

fn companies(ids: &[&str]) -> Vec<Company> {
    ids.iter()
        .map(|id| {
            serde_json::from_value(
                serde_json::json!({"id": id, "name": format!("{id} co"), "terms": [id]}),
            )
            .unwrap()
        })
        .collect()
}

/// Builds mention streams: one document per mention, one company each.
struct Stream {
    next: usize,
    mentions: Vec<Mention>,
}

impl Stream {
    fn new() -> Self {
        Stream {
            next: 0,
            mentions: Vec::new(),
        }
    }

    /// `n` mentions of `company` with `sentiment`, spread over `w`, each by
    /// its own author unless `author` is given.
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        w: Window,
        company: &str,
        sentiment: Sentiment,
        n: usize,
        kind: SourceKind,
        terms: &[&str],
        author: Option<&str>,
    ) -> &mut Self {
        let span = (w.to - w.from).num_seconds();
        for k in 0..n {
            self.next += 1;
            let id = self.next;
            let published = w.from + Duration::seconds(span * (k as i64 * 2 + 1) / (n as i64 * 2));
            let score = match sentiment {
                Sentiment::Positive => 0.3 + 0.01 * (k % 50) as f32,
                Sentiment::Negative => -0.3 - 0.01 * (k % 50) as f32,
                Sentiment::Neutral => 0.0,
            };
            self.mentions.push(Mention {
                doc: Document {
                    title: format!("over {company}"),
                    author: Some(author.map_or_else(|| format!("author-{id}"), str::to_owned)),
                    ..Document::new(
                        format!("doc-{id}"),
                        format!("{kind}-source"),
                        kind,
                        format!("https://example.org/{id}"),
                        format!("{company} {} nummer {id}", terms.join(" ")),
                        published,
                    )
                },
                lang: "nl".into(),
                companies: vec![CompanyMention {
                    terms: terms.iter().map(|t| t.to_string()).collect(),
                    ..CompanyMention::new(company, sentiment, score)
                }],
            });
        }
        self
    }

    fn simple(&mut self, w: Window, company: &str, sentiment: Sentiment, n: usize) -> &mut Self {
        self.add(w, company, sentiment, n, SourceKind::Feed, &[], None)
    }

    fn sorted(&self) -> Vec<Mention> {
        let mut m = self.mentions.clone();
        m.sort_by_key(|m| m.doc.published);
        m
    }
}

fn order(r: &Ranking) -> Vec<&str> {
    r.entries.iter().map(|e| e.company.id.as_str()).collect()
}

use Sentiment::{Negative, Neutral, Positive};

#[test]
fn ranking_puts_well_liked_much_discussed_companies_first_and_silent_ones_last() {
    let cos = companies(&["silent", "cee", "bee", "ay"]);
    let mut s = Stream::new();
    s.simple(window(), "ay", Positive, 25)
        .simple(window(), "ay", Negative, 5);
    s.simple(window(), "bee", Positive, 5)
        .simple(window(), "bee", Negative, 25);
    s.simple(window(), "cee", Neutral, 5);
    let r = rank(&cos, &s.sorted(), &[], window(), now());
    // bee is much discussed but mostly hated: complaints are not buzz, so the
    // quiet, neutral cee stands above it.
    assert_eq!(order(&r), ["ay", "cee", "bee", "silent"]);
    assert_eq!(
        r.entries.iter().map(|e| e.rank).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    let ay = r.entry("ay").unwrap();
    assert_eq!(
        (
            ay.metrics.mentions,
            ay.metrics.positive,
            ay.metrics.negative
        ),
        (30, 25, 5)
    );
    assert!((ay.metrics.net_sentiment - 20.0 / 30.0).abs() < 1e-3);
    assert!((ay.metrics.share_of_voice - 30.0 / 65.0).abs() < 1e-3);
    assert_eq!(ay.metrics.authors, 30);
    assert!(ay.score > r.entry("bee").unwrap().score);
    let silent = r.entry("silent").unwrap();
    assert_eq!(
        (
            silent.score,
            silent.metrics.mentions,
            silent.metrics.share_of_voice
        ),
        (0.0, 0, 0.0)
    );
    assert!(silent.reasons.is_empty());
    for e in &r.entries {
        assert!((0.0..=100.0).contains(&e.score), "{e:?}");
        assert_eq!(e.previous_rank, None);
        assert_eq!(e.score_change, None);
    }
}

#[test]
fn a_company_with_owned_posts_only_still_ranks_after_every_company_with_data() {
    let cos = companies(&["self-talker", "tiny"]);
    let mut s = Stream::new();
    s.simple(window(), "tiny", Negative, 1);
    s.simple(window(), "self-talker", Positive, 50);
    for m in s
        .mentions
        .iter_mut()
        .filter(|m| m.companies[0].company == "self-talker")
    {
        m.companies[0].owned = true; // the company's own posts: not earned
    }
    let r = rank(&cos, &s.sorted(), &[], window(), now());
    assert_eq!(order(&r), ["tiny", "self-talker"]);
    let st = r.entry("self-talker").unwrap();
    assert_eq!(
        (st.score, st.metrics.mentions, st.metrics.owned),
        (0.0, 0, 50)
    );
}

#[test]
fn three_happy_mentions_do_not_top_three_hundred_mostly_happy_ones() {
    let cos = companies(&["few", "many", "m1", "m2", "m3"]);
    let mut s = Stream::new();
    s.simple(window(), "few", Positive, 3);
    s.simple(window(), "many", Positive, 210)
        .simple(window(), "many", Negative, 30)
        .simple(window(), "many", Neutral, 60);
    for other in ["m1", "m2", "m3"] {
        s.simple(window(), other, Positive, 30)
            .simple(window(), other, Negative, 50)
            .simple(window(), other, Neutral, 20);
    }
    // Sentiment alone decides here, so the test is about the smoothing.
    let vibe_only = Model {
        weights: Weights {
            vibe: 1.0,
            buzz: 0.0,
            reach: 0.0,
            webcare: 0.0,
            reviews: 0.0,
            momentum: 0.0,
        },
        ..Model::default()
    };
    let r = rank_with(&vibe_only, &cos, &s.sorted(), &[], window(), now());
    let (few, many) = (r.entry("few").unwrap(), r.entry("many").unwrap());
    assert_eq!(few.metrics.net_sentiment, 1.0);
    assert!((many.metrics.net_sentiment - 0.6).abs() < 1e-9);
    assert!(many.rank < few.rank, "{r:#?}");
    // Unsmoothed, few would win (1.0 against 0.6); smoothed, it sits much
    // nearer the market's typical net sentiment (the median company: m1-m3
    // at -0.2) than its own +1.0.
    let smoothed = few.score / 50.0 - 1.0;
    assert!(smoothed > -0.2 && smoothed < 0.4, "{}", few.score);
}

#[test]
fn buzz_is_damped_so_volume_cannot_dominate() {
    let cos = companies(&["big", "small"]);
    let mut s = Stream::new();
    s.simple(window(), "big", Neutral, 100)
        .simple(window(), "small", Neutral, 25);
    let buzz_only = Model {
        weights: Weights {
            vibe: 0.0,
            buzz: 1.0,
            reach: 0.0,
            webcare: 0.0,
            reviews: 0.0,
            momentum: 0.0,
        },
        ..Model::default()
    };
    let r = rank_with(&buzz_only, &cos, &s.sorted(), &[], window(), now());
    assert_eq!(r.entry("big").unwrap().score, 100.0);
    // A quarter of the volume is half the buzz, not a quarter.
    assert_eq!(r.entry("small").unwrap().score, 50.0);
}

#[test]
fn one_loud_author_is_not_a_movement() {
    let cos = companies(&["loud", "crowd"]);
    let mut s = Stream::new();
    s.add(
        window(),
        "loud",
        Positive,
        40,
        SourceKind::Mastodon,
        &[],
        Some("fan"),
    );
    s.add(
        window(),
        "crowd",
        Positive,
        40,
        SourceKind::Mastodon,
        &[],
        None,
    );
    let r = rank(&cos, &s.sorted(), &[], window(), now());
    assert_eq!(order(&r), ["crowd", "loud"]);
    assert_eq!(r.entry("loud").unwrap().metrics.authors, 1);
}

#[test]
fn previous_rank_and_score_change_come_from_the_window_before() {
    let cos = companies(&["ay", "bee", "newbie"]);
    let prev = window().previous();
    let mut before = Stream::new();
    before
        .simple(prev, "bee", Positive, 40)
        .simple(prev, "ay", Negative, 20)
        .simple(prev, "ay", Positive, 5);
    let mut after = Stream::new();
    after
        .simple(window(), "ay", Positive, 40)
        .simple(window(), "bee", Negative, 30);
    after.simple(window(), "newbie", Positive, 2);
    let r = rank(&cos, &after.sorted(), &before.sorted(), window(), now());
    let old = rank(&cos, &before.sorted(), &[], prev, prev.to);
    let (ay, bee) = (r.entry("ay").unwrap(), r.entry("bee").unwrap());
    assert_eq!((ay.rank, ay.previous_rank), (1, Some(2)));
    // Thirty complaints rank below two happy mentions.
    assert_eq!((bee.rank, bee.previous_rank), (3, Some(1)));
    let expected = ((ay.score - old.entry("ay").unwrap().score) * 10.0).round() / 10.0;
    assert_eq!(ay.score_change, Some(expected));
    assert!(ay.score_change.unwrap() > 0.0 && bee.score_change.unwrap() < 0.0);
    let newbie = r.entry("newbie").unwrap();
    assert_eq!((newbie.previous_rank, newbie.score_change), (None, None));
    assert!(
        newbie.reasons[0].starts_with("first mentions: 2 in this window"),
        "{:?}",
        newbie.reasons
    );
    assert!(
        bee.reasons.iter().any(|r| r.contains("overtaken by ay co")),
        "{:?}",
        bee.reasons
    );
}

#[test]
fn a_negative_wave_about_a_topic_is_named_in_the_reason() {
    let cos = companies(&["golf", "zon", "bolt"]);
    let prev = window().previous();
    let mut before = Stream::new();
    before.add(
        prev,
        "golf",
        Positive,
        30,
        SourceKind::Feed,
        &["snel", "glasvezel"],
        None,
    );
    before.add(
        prev,
        "golf",
        Negative,
        4,
        SourceKind::Html,
        &["prijs"],
        None,
    );
    let mut after = Stream::new();
    after.add(
        window(),
        "golf",
        Positive,
        8,
        SourceKind::Feed,
        &["snel", "glasvezel"],
        None,
    );
    // The wave: "app crasht bij inloggen", mostly on forums, some on social media.
    after.add(
        window(),
        "golf",
        Negative,
        33,
        SourceKind::Html,
        &["app", "crasht", "inloggen"],
        None,
    );
    after.add(
        window(),
        "golf",
        Negative,
        8,
        SourceKind::Mastodon,
        &["app", "crasht", "inloggen", "boos"],
        None,
    );
    for (s, w) in [(&mut before, prev), (&mut after, window())] {
        s.simple(w, "zon", Positive, 25)
            .simple(w, "zon", Negative, 5);
        s.simple(w, "bolt", Positive, 12)
            .simple(w, "bolt", Neutral, 10);
    }
    let r = rank(&cos, &after.sorted(), &before.sorted(), window(), now());
    let golf = r.entry("golf").unwrap();
    assert!(golf.rank > golf.previous_rank.unwrap(), "{r:#?}");
    let first = &golf.reasons[0];
    assert!(
        first.starts_with("sentiment fell from +0.76 to -0.67: 41 negative mentions on forums"),
        "{first}"
    );
    for word in ["'app'", "'crasht'", "'inloggen'"] {
        assert!(first.contains(word), "{first}");
    }
    assert!(
        !first.contains("prijs") && !first.contains("boos"),
        "{first}"
    );
    assert_eq!(golf.reasons.last().unwrap(), "overtaken by zon co, bolt co");
    // The evidence: the reason's component and figures, and links to the
    // mentions of the wave (they carry the driver terms; the older price
    // complaints do not).
    assert_eq!(golf.reason_details.len(), golf.reasons.len());
    let d = &golf.reason_details[0];
    assert_eq!(d.text, *first);
    assert_eq!(d.component, "vibe");
    assert_eq!((d.before, d.after), (Some(0.7647), Some(-0.6735)));
    assert_eq!(d.mentions.len(), 3, "{d:#?}");
    let wave: Vec<&Mention> = after
        .mentions
        .iter()
        .filter(|m| m.companies[0].terms.iter().any(|t| t == "crasht"))
        .collect();
    for cited in &d.mentions {
        assert_eq!(cited.sentiment, Negative);
        let m = wave
            .iter()
            .find(|m| m.doc.url == cited.url)
            .unwrap_or_else(|| panic!("{} is not a mention of the wave", cited.url));
        assert_eq!(cited.title, m.doc.title);
        assert_eq!(cited.source, m.doc.source);
    }
    let last = golf.reason_details.last().unwrap();
    assert_eq!(last.component, "rank");
    assert_eq!(
        (last.before, last.after),
        (
            golf.previous_rank.map(f64::from),
            Some(f64::from(golf.rank))
        )
    );
    // Zon rose because Golf fell, though its own score dipped as the market moved: that comes first.
    let zon = r.entry("zon").unwrap();
    assert!(zon.rank < zon.previous_rank.unwrap(), "{zon:#?}");
    // Golf's favourable talk dried up, so Zon holds a larger share of it.
    assert!(
        zon.reasons[0].starts_with("share of the positive and neutral talk rose from 32% to 45%"),
        "{:?}",
        zon.reasons
    );
    assert!(
        zon.reasons.iter().any(|r| r == "moved past golf co"),
        "{:?}",
        zon.reasons
    );
}

#[test]
fn a_rise_in_mentions_is_explained_with_its_share_of_the_talk() {
    let cos = companies(&["riser", "flat"]);
    let prev = window().previous();
    let mut before = Stream::new();
    before
        .simple(prev, "riser", Neutral, 12)
        .simple(prev, "flat", Neutral, 100);
    let mut after = Stream::new();
    after
        .simple(window(), "riser", Neutral, 48)
        .simple(window(), "flat", Neutral, 100);
    let r = rank(&cos, &after.sorted(), &before.sorted(), window(), now());
    let riser = r.entry("riser").unwrap();
    assert!(riser.score_change.unwrap() > 0.0);
    assert!(
        riser.reasons[0].starts_with(
            "positive and neutral mentions rose from 12 to 48 (share of that talk 11% → 32%)"
        ),
        "{:?}",
        riser.reasons
    );
    // Its own talk did not change, but its share of it fell as the riser
    // drew more: that is lost momentum, and the reason says so.
    let flat = r.entry("flat").unwrap();
    assert_eq!(flat.score_change, Some(-1.4));
    assert_eq!(
        flat.reasons,
        [
            "momentum took 1.4 points: against the window before, net sentiment went from +0.00 to +0.00 \
          and the share of the positive and neutral talk from 89% to 68%"
        ]
    );
    // Where the whole market stood still, nothing moves: a short factual line.
    let r = rank(&cos, &before.sorted(), &before.sorted(), prev, now());
    let flat = r.entry("flat").unwrap();
    assert_eq!(flat.score_change, Some(0.0));
    assert_eq!(
        flat.reasons,
        ["steady: 100 mentions, sentiment +0.00, share of voice 89%"]
    );
}

#[test]
fn ranking_json_has_the_keys_of_the_spec_example() {
    let cos = companies(&["zon", "golf"]);
    let mut s = Stream::new();
    s.simple(window(), "zon", Positive, 3);
    let r = rank(&cos, &s.sorted(), &[], window(), now());
    let v = serde_json::to_value(&r).unwrap();
    let keys = |v: &serde_json::Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&v), ["entries", "generated_at", "window"]);
    assert_eq!(v["generated_at"], "2026-11-22T08:00:00Z");
    assert_eq!(v["window"]["from"], "2026-11-15T08:00:00Z");
    assert_eq!(v["window"]["to"], "2026-11-22T08:00:00Z");
    let e = &v["entries"][0];
    assert_eq!(
        keys(e),
        [
            "company",
            "metrics",
            "previous_rank",
            "rank",
            "reason_details",
            "reasons",
            "score",
            "score_change"
        ]
    );
    assert_eq!(
        e["company"],
        serde_json::json!({"id": "zon", "name": "zon co"})
    );
    assert_eq!(e["rank"], 1);
    assert!(e["previous_rank"].is_null() && e["score_change"].is_null());
    assert!(e["score"].is_f64() && e["reasons"].is_array());
    for k in [
        "mentions",
        "share_of_voice",
        "positive",
        "negative",
        "neutral",
        "net_sentiment",
    ] {
        assert!(!e["metrics"][k].is_null(), "metrics.{k} missing");
    }
    assert_eq!(e["metrics"]["share_of_voice"], 1.0);
    // Round trip: snapshots are stored as this JSON.
    assert_eq!(serde_json::from_value::<Ranking>(v).unwrap(), r);
}

fn config(ids: &[&str]) -> Arc<Config> {
    let cos: Vec<serde_json::Value> = ids
        .iter()
        .map(|id| serde_json::json!({"id": id, "name": format!("{id} co"), "terms": [id]}))
        .collect();
    Arc::new(serde_json::from_value(serde_json::json!({ "companies": cos })).unwrap())
}

#[test]
fn snapshots_keep_everything_for_two_days_then_the_last_of_each_day() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    let monitor = Monitor::new(store.clone(), config(&["zon"]));
    let start = Utc.with_ymd_and_hms(2026, 11, 10, 0, 0, 0).unwrap();
    let mut s = Stream::new();
    s.simple(window(), "zon", Positive, 2);
    let base = rank(&companies(&["zon"]), &s.sorted(), &[], window(), now());
    // Every 6 hours for 5 days: 00, 06, 12, 18 of Nov 10..14, then Nov 15 00:00.
    let times: Vec<DateTime<Utc>> = (0..=20).map(|i| start + Duration::hours(6 * i)).collect();
    for t in &times {
        monitor
            .record_snapshot(&Ranking {
                generated_at: *t,
                ..base.clone()
            })
            .unwrap();
    }
    let last = *times.last().unwrap(); // Nov 15 00:00; keep all since Nov 13 00:00
    let kept: Vec<DateTime<Utc>> = store
        .range::<Ranking>(repmon_store::Table::Snapshots, None, None)
        .unwrap()
        .into_iter()
        .map(|(_, r)| r.generated_at)
        .collect();
    let at = |d: u32, h: u32| Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap();
    let mut expected = vec![at(10, 18), at(11, 18), at(12, 18)];
    expected.extend(
        times
            .iter()
            .copied()
            .filter(|t| *t >= last - Duration::days(2)),
    );
    assert_eq!(kept, expected);

    assert_eq!(
        monitor
            .snapshot_at(at(11, 13))
            .unwrap()
            .unwrap()
            .generated_at,
        at(10, 18)
    );
    assert_eq!(
        monitor
            .snapshot_at(at(13, 7))
            .unwrap()
            .unwrap()
            .generated_at,
        at(13, 6)
    );
    assert_eq!(
        monitor
            .snapshot_at(at(13, 6))
            .unwrap()
            .unwrap()
            .generated_at,
        at(13, 6)
    );
    assert!(monitor.snapshot_at(at(9, 23)).unwrap().is_none());
    assert_eq!(
        monitor
            .snapshot_at(at(20, 0))
            .unwrap()
            .unwrap()
            .generated_at,
        last
    );
}

#[test]
fn monitor_ranks_and_reports_from_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    let monitor = Monitor::new(store.clone(), config(&["zon", "golf", "bolt"]));
    let midnight = Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0).unwrap();
    let w = Window::ending_at(midnight, Duration::days(7));
    let mut s = Stream::new();
    s.simple(w.previous(), "golf", Positive, 20)
        .simple(w.previous(), "zon", Positive, 10);
    s.simple(w, "zon", Positive, 21)
        .simple(w, "zon", Negative, 7)
        .simple(w, "golf", Negative, 14);
    // Outside both windows: ignored.
    s.simple(
        Window::ending_at(w.previous().from, Duration::days(1)),
        "bolt",
        Positive,
        5,
    );
    s.mentions[30].doc.body = "lang verhaal ".repeat(40);
    store.write_mentions(&s.mentions).unwrap();
    // A snapshot late on Nov 20 gives that day's rank.
    let snap = monitor
        .ranking(
            Utc.with_ymd_and_hms(2026, 11, 20, 23, 0, 0).unwrap(),
            Duration::days(7),
            0,
        )
        .unwrap();
    monitor.record_snapshot(&snap).unwrap();

    let r = monitor.ranking(midnight, Duration::days(7), 2).unwrap();
    assert_eq!(order(&r), ["zon", "golf"]);
    assert_eq!(r.window, w);
    assert_eq!(r.entry("golf").unwrap().previous_rank, Some(1));

    let report = monitor
        .company("zon", midnight, Duration::days(7))
        .unwrap()
        .unwrap();
    assert_eq!((report.rank, report.previous_rank), (Some(1), Some(2)));
    assert_eq!(
        (report.metrics.mentions, report.previous_metrics.mentions),
        (28, 10)
    );
    assert_eq!(report.daily.len(), 7);
    assert_eq!(report.daily[0].date, w.from.date_naive());
    assert_eq!(report.daily.iter().map(|d| d.mentions).sum::<u64>(), 28);
    assert_eq!(report.daily.iter().map(|d| d.negative).sum::<u64>(), 7);
    let ranks: Vec<Option<u32>> = report.daily.iter().map(|d| d.rank).collect();
    assert_eq!(
        ranks,
        [
            None,
            None,
            None,
            None,
            None,
            Some(snap.entry("zon").unwrap().rank),
            None
        ]
    );
    assert_eq!(report.top_positive.len(), 5);
    assert_eq!(report.top_negative.len(), 5);
    let scores: Vec<f32> = report.top_negative.iter().map(|m| m.score.abs()).collect();
    assert!(scores.windows(2).all(|p| p[0] >= p[1]), "{scores:?}");
    assert!(
        report
            .top_negative
            .iter()
            .all(|m| m.sentiment == Negative && m.excerpt.chars().count() <= 280)
    );
    let long = report
        .top_positive
        .iter()
        .chain(&report.top_negative)
        .find(|m| m.excerpt.starts_with("lang"));
    if let Some(long) = long {
        assert!(long.excerpt.ends_with('…') && long.excerpt.chars().count() <= 280);
    }
    assert!(
        monitor
            .company("nobody", midnight, Duration::days(7))
            .unwrap()
            .is_none()
    );
}

#[test]
fn more_complaints_never_raise_a_company() {
    // The property a reputation table must have: a storm of negative
    // mentions lowers the company's score and rank, however loud it is.
    let cos = companies(&["storm", "calm", "other"]);
    let base = |s: &mut Stream| {
        s.simple(window(), "storm", Positive, 20)
            .simple(window(), "calm", Positive, 12)
            .simple(window(), "calm", Neutral, 4)
            .simple(window(), "other", Positive, 8)
            .simple(window(), "other", Neutral, 8);
    };
    let mut quiet = Stream::new();
    base(&mut quiet);
    let before = rank(&cos, &quiet.sorted(), &[], window(), now());
    let mut last_score = before.entry("storm").unwrap().score;
    let mut last_rank = before.entry("storm").unwrap().rank;
    assert_eq!(last_rank, 1, "{before:#?}");
    for wave in [10, 40, 160, 640] {
        let mut s = Stream::new();
        base(&mut s);
        s.simple(window(), "storm", Negative, wave);
        let r = rank(&cos, &s.sorted(), &[], window(), now());
        let e = r.entry("storm").unwrap();
        assert!(
            e.score < last_score,
            "{wave} complaints: score {} not below {last_score}",
            e.score
        );
        assert!(
            e.rank >= last_rank,
            "{wave} complaints: rank {} above {last_rank}",
            e.rank
        );
        // And the storm does not drag the others' buzz down with it.
        assert!(r.entry("calm").unwrap().score >= before.entry("calm").unwrap().score - 15.0);
        (last_score, last_rank) = (e.score, e.rank);
    }
    assert_eq!(last_rank, 3, "a company drowning in complaints ends last");
}

#[test]
fn the_last_hour_is_counted_against_the_hourly_baseline() {
    let w = window();
    let last_hour = Window::ending_at(w.to, Duration::hours(1));
    let rest = Window {
        from: w.from,
        to: last_hour.from,
    };
    let mut s = Stream::new();
    // 167 mentions over the other 167 hours: one an hour; then 30 in the last hour.
    s.simple(rest, "a", Neutral, 167)
        .simple(last_hour, "a", Negative, 30)
        .simple(w, "b", Positive, 20);
    let r = rank(&companies(&["a", "b"]), &s.sorted(), &[], w, now());
    let a = &r.entry("a").unwrap().metrics;
    assert_eq!(a.last_hour, 30);
    assert_eq!(a.hourly_baseline, 1.0);
    let b = &r.entry("b").unwrap().metrics;
    assert!(b.last_hour <= 1, "{b:?}");
    assert!((b.hourly_baseline - 20.0 / 167.0).abs() < 0.01, "{b:?}");
}

/// A post in a thread: by the company's own account when `owned`.
fn thread_post(
    id: &str,
    thread: Option<&str>,
    at: DateTime<Utc>,
    sentiment: Sentiment,
    owned: bool,
) -> Mention {
    Mention {
        doc: Document {
            title: "storing".into(),
            author: Some(if owned {
                "ZonEnergie".into()
            } else {
                format!("klant-{id}")
            }),
            thread: thread.map(str::to_owned),
            ..Document::new(
                id,
                "forum",
                SourceKind::Html,
                format!("https://forum.example.org/{id}"),
                format!("zon post {id}"),
                at,
            )
        },
        lang: "nl".into(),
        companies: vec![CompanyMention {
            owned,
            ..CompanyMention::new(
                "zon",
                sentiment,
                if sentiment == Negative { -0.6 } else { 0.0 },
            )
        }],
    }
}

#[test]
fn webcare_counts_answered_complaints_and_the_median_time_to_answer() {
    let t = now() - Duration::days(2);
    let min = Duration::minutes;
    let mut ms = vec![
        // t1: answered after 30 min (a second answer later does not count).
        thread_post("c1", Some("t1"), t, Negative, false),
        thread_post("a1", Some("t1"), t + min(30), Neutral, true),
        thread_post("a1b", Some("t1"), t + min(120), Neutral, true),
        // t2: answered after 90 min.
        thread_post("c2", Some("t2"), t, Negative, false),
        thread_post("a2", Some("t2"), t + min(90), Neutral, true),
        // t3: never answered.
        thread_post("c3", Some("t3"), t, Negative, false),
        // t4: the company posted before the complaint, not after: unanswered.
        thread_post("a4", Some("t4"), t - min(10), Neutral, true),
        thread_post("c4", Some("t4"), t, Negative, false),
        // A complaint outside any thread (a news item) is not webcare's to answer.
        thread_post("news", None, t, Negative, false),
        // Praise in a thread is no complaint.
        thread_post("p5", Some("t5"), t, Positive, false),
    ];
    ms.sort_by_key(|m| m.doc.published);
    let r = rank(&companies(&["zon"]), &ms, &[], window(), now());
    let zon = r.entry("zon").unwrap();
    let w = zon.metrics.webcare.as_ref().expect("webcare figures");
    assert_eq!(w.complaints, 4);
    assert_eq!(w.answered, 2);
    assert_eq!(w.response_rate, 0.5);
    assert_eq!(w.median_response_minutes, Some(60.0));
    assert_eq!(zon.metrics.owned, 4);
    assert_eq!(zon.metrics.mentions, 6);

    // Answering the two open complaints raises the company; its talk is unchanged.
    let mut better = ms.clone();
    better.push(thread_post("a3", Some("t3"), t + min(15), Neutral, true));
    better.push(thread_post("a4b", Some("t4"), t + min(45), Neutral, true));
    better.sort_by_key(|m| m.doc.published);
    let cos = companies(&["zon", "other"]);
    let mut other = Stream::new();
    other.simple(window(), "other", Neutral, 6);
    let with = |extra: &[Mention]| {
        let mut all = extra.to_vec();
        all.extend(other.sorted());
        all.sort_by_key(|m| m.doc.published);
        rank(&cos, &all, &[], window(), now())
    };
    let before = with(&ms);
    let after = with(&better);
    let w = after.entry("zon").unwrap().metrics.webcare.clone().unwrap();
    assert_eq!((w.answered, w.complaints), (4, 4));
    // Medians of 15, 30, 45, 90 minutes.
    assert_eq!(w.median_response_minutes, Some(37.5));
    assert!(
        after.entry("zon").unwrap().score > before.entry("zon").unwrap().score,
        "{} vs {}",
        after.entry("zon").unwrap().score,
        before.entry("zon").unwrap().score
    );
    // A company with no complaints in threads has no webcare figure.
    assert!(after.entry("other").unwrap().metrics.webcare.is_none());
}

#[test]
fn the_monitor_ranks_with_the_weights_of_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    // "loved" is liked by few; "talked" is discussed by many, neutrally.
    let mut s = Stream::new();
    s.simple(window(), "loved", Positive, 12)
        .simple(window(), "talked", Neutral, 200);
    store.write_mentions(&s.sorted()).unwrap();
    let table = |weights: &str| {
        let toml = format!(
            "data_dir = \"unused\"\n[ranking]\nsentiment_prior = 2\n[ranking.weights]\n{weights}\n\
             [[companies]]\nid = \"loved\"\nname = \"loved\"\nterms = [\"loved\"]\n\
             [[companies]]\nid = \"talked\"\nname = \"talked\"\nterms = [\"talked\"]\n"
        );
        let config =
            Config::from_toml_with_env(std::path::Path::new("w.toml"), &toml, &[]).unwrap();
        let monitor = Monitor::new(store.clone(), Arc::new(config));
        let r = monitor.ranking(now(), Duration::days(7), 0).unwrap();
        order(&r).iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    assert_eq!(
        table("vibe = 1.0\nbuzz = 0.0\nreach = 0.0"),
        ["loved", "talked"]
    );
    assert_eq!(
        table("vibe = 0.0\nbuzz = 1.0\nreach = 0.0"),
        ["talked", "loved"]
    );
}

fn with_momentum(weight: f64) -> Model {
    Model {
        weights: Weights {
            momentum: weight,
            ..Weights::default()
        },
        ..Model::default()
    }
}

#[test]
fn momentum_rewards_a_company_that_improved_and_leaves_steady_ones_alone() {
    let cos = companies(&["better", "same", "other"]);
    let prev = window().previous();
    let mut before = Stream::new();
    // "better" was mostly criticised in the window before; "same" talked of
    // as it is now.
    before
        .simple(prev, "better", Positive, 40)
        .simple(prev, "better", Negative, 80)
        .simple(prev, "same", Positive, 80)
        .simple(prev, "same", Negative, 40)
        .simple(prev, "other", Positive, 60)
        .simple(prev, "other", Neutral, 60);
    let mut after = Stream::new();
    after
        .simple(window(), "better", Positive, 80)
        .simple(window(), "better", Negative, 40)
        .simple(window(), "same", Positive, 80)
        .simple(window(), "same", Negative, 40)
        .simple(window(), "other", Positive, 60)
        .simple(window(), "other", Neutral, 60);
    let (cur, old) = (after.sorted(), before.sorted());
    let r = rank_with(&with_momentum(0.2), &cos, &cur, &old, window(), now());
    let (better, same) = (r.entry("better").unwrap(), r.entry("same").unwrap());
    // The same talk in this window; only the way there differs.
    assert_eq!(better.metrics, same.metrics);
    assert!(
        better.score > same.score + 2.0,
        "{} vs {}",
        better.score,
        same.score
    );
    assert!(better.rank < same.rank);
    let reason = better
        .reason_details
        .iter()
        .find(|d| d.component == "momentum")
        .expect("a momentum reason");
    assert!(
        reason.text.starts_with("momentum added")
            && reason
                .text
                .contains("net sentiment went from -0.33 to +0.33"),
        "{}",
        reason.text
    );
    assert!(reason.after.unwrap() > 2.0, "{reason:?}");
    // Without the momentum weight the two are level.
    let flat = rank_with(&with_momentum(0.0), &cos, &cur, &old, window(), now());
    assert_eq!(
        flat.entry("better").unwrap().score,
        flat.entry("same").unwrap().score
    );
    // "same" and "other" did not change; "better" took some of the favourable
    // talk from them, so they lose a little momentum, never gain.
    assert!(same.score <= flat.entry("same").unwrap().score);

    // Equal windows: momentum has no effect on any score.
    let still = rank_with(&with_momentum(0.2), &cos, &cur, &cur, window(), now());
    let none = rank_with(&with_momentum(0.0), &cos, &cur, &cur, window(), now());
    for id in ["better", "same", "other"] {
        assert_eq!(
            still.entry(id).unwrap().score,
            none.entry(id).unwrap().score,
            "{id}"
        );
    }
    // No data before: neutral, the score is the one without momentum.
    let fresh = rank_with(&with_momentum(0.2), &cos, &cur, &[], window(), now());
    let bare = rank_with(&with_momentum(0.0), &cos, &cur, &[], window(), now());
    for id in ["better", "same", "other"] {
        assert_eq!(
            fresh.entry(id).unwrap().score,
            bare.entry(id).unwrap().score,
            "{id}"
        );
    }
    // A tiny company going from 2 to 6 happy mentions barely moves (here: not
    // at all, the change is within its noise).
    let cos = companies(&["tiny", "big"]);
    let mut b = Stream::new();
    b.simple(prev, "tiny", Positive, 2)
        .simple(prev, "big", Positive, 300)
        .simple(prev, "big", Negative, 100);
    let mut a = Stream::new();
    a.simple(window(), "tiny", Positive, 6)
        .simple(window(), "big", Positive, 300)
        .simple(window(), "big", Negative, 100);
    let (cur, old) = (a.sorted(), b.sorted());
    let with = rank_with(&with_momentum(0.2), &cos, &cur, &old, window(), now());
    let without = rank_with(&with_momentum(0.0), &cos, &cur, &old, window(), now());
    let gain = with.entry("tiny").unwrap().score - without.entry("tiny").unwrap().score;
    assert!((0.0..1.0).contains(&gain), "{gain}");
}

#[test]
fn complaints_no_longer_answered_give_a_webcare_reason_citing_them() {
    let min = Duration::minutes;
    // Four complaints in threads in each window; the same praise around them.
    let thread_week = |w: Window, tag: &str, answered: bool| {
        let mut ms = Vec::new();
        for k in 0..4 {
            let t = w.from + Duration::days(1 + k);
            let thread = format!("{tag}-t{k}");
            ms.push(thread_post(
                &format!("{tag}-c{k}"),
                Some(&thread),
                t,
                Negative,
                false,
            ));
            if answered {
                ms.push(thread_post(
                    &format!("{tag}-a{k}"),
                    Some(&thread),
                    t + min(20),
                    Neutral,
                    true,
                ));
            }
        }
        for k in 0..12 {
            ms.push(thread_post(
                &format!("{tag}-p{k}"),
                None,
                w.from + Duration::hours(5 + k),
                Positive,
                false,
            ));
        }
        ms.sort_by_key(|m| m.doc.published);
        ms
    };
    let prev = window().previous();
    let before = thread_week(prev, "old", true);
    let now_ = thread_week(window(), "new", false);
    let r = rank(&companies(&["zon"]), &now_, &before, window(), now());
    let zon = r.entry("zon").unwrap();
    assert!(zon.score_change.unwrap() < -1.0, "{zon:#?}");
    let d = &zon.reason_details[0];
    assert_eq!(d.component, "webcare", "{zon:#?}");
    assert_eq!((d.before, d.after), (Some(1.0), Some(0.0)));
    assert_eq!(
        d.text,
        "webcare fell: 0 of 4 complaints in threads answered (0%), before 4 of 4 (100%); \
         median first answer was 20 min"
    );
    assert_eq!(zon.reasons[0], d.text);
    // The evidence: the complaints left unanswered, with their links.
    assert_eq!(d.mentions.len(), 3);
    for cited in &d.mentions {
        assert!(
            cited.url.starts_with("https://forum.example.org/new-c"),
            "{cited:?}"
        );
        assert_eq!(cited.sentiment, Negative);
        assert_eq!(cited.source, "forum");
    }
}

#[test]
fn a_falling_review_rating_gives_a_reviews_reason_citing_the_worst_reviews() {
    let review = |id: &str, at: DateTime<Utc>, stars: f32| {
        let mut m = thread_post(
            id,
            None,
            at,
            if stars >= 3.0 { Positive } else { Negative },
            false,
        );
        m.doc.kind = SourceKind::Reviews;
        m.doc.source = "zon-reviews".into();
        m.doc.rating = Some(stars);
        m.doc.title = format!("{stars} sterren");
        m
    };
    let prev = window().previous();
    // The stars fall from 5 and 4 to 3 and 1.
    let mut before = Vec::new();
    let mut after = Vec::new();
    for k in 0..10 {
        let (s_old, s_new) = if k % 2 == 0 { (5.0, 3.0) } else { (4.0, 1.0) };
        before.push(review(
            &format!("old-{k}"),
            prev.from + Duration::hours(10 * k + 1),
            s_old,
        ));
        after.push(review(
            &format!("new-{k}"),
            window().from + Duration::hours(10 * k + 1),
            s_new,
        ));
    }
    let r = rank(&companies(&["zon"]), &after, &before, window(), now());
    let zon = r.entry("zon").unwrap();
    let d = zon
        .reason_details
        .iter()
        .find(|d| d.component == "reviews")
        .unwrap_or_else(|| panic!("no reviews reason: {zon:#?}"));
    let (b, a) = (d.before.unwrap(), d.after.unwrap());
    assert!(a < b, "{d:?}");
    assert!(d.text.starts_with("review rating fell from"), "{}", d.text);
    assert!(d.text.contains("10 reviews"), "{}", d.text);
    // The worst reviews are cited first.
    assert!(!d.mentions.is_empty());
    for cited in &d.mentions {
        assert_eq!(cited.title, "1 sterren", "{cited:?}");
    }
}

#[test]
fn the_current_ranking_is_the_latest_snapshot_while_it_is_fresh() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    let mut s = Stream::new();
    s.simple(window(), "zon", Positive, 12)
        .simple(window(), "golf", Negative, 8);
    store.write_mentions(&s.sorted()).unwrap();
    let monitor = Monitor::new(store.clone(), config(&["zon", "golf"]));
    let week = Duration::days(7);
    let taken = now() - Duration::minutes(2);
    let snapshot = monitor.ranking(taken, week, 0).unwrap();
    monitor.record_snapshot(&snapshot).unwrap();

    // Two minutes old, within recompute (5m): served as it is, top applied.
    let served = monitor.current_ranking(now(), week, 1).unwrap();
    assert_eq!(served.generated_at, taken);
    assert_eq!(served.entries, snapshot.entries[..1]);
    // Another window length, or too old: computed now.
    let other = monitor
        .current_ranking(now(), Duration::days(30), 0)
        .unwrap();
    assert_eq!(other.generated_at, now());
    let later = now() + Duration::minutes(4);
    assert_eq!(
        monitor
            .current_ranking(later, week, 0)
            .unwrap()
            .generated_at,
        later
    );
    // Mentions written after the snapshot (the re-rank they trigger has not
    // run yet): computed now.
    let mut more = Stream::new();
    more.simple(window(), "golf", Negative, 1);
    more.mentions[0].doc.id = "late-doc".into();
    store.write_mentions(&more.sorted()).unwrap();
    let fresh = monitor.current_ranking(now(), week, 0).unwrap();
    assert_eq!(fresh.generated_at, now());
    assert_eq!(fresh.entry("golf").unwrap().metrics.mentions, 9);
    // A post edited after the snapshot (as many mentions as before, one of
    // them now positive): computed now, not the stale table.
    let taken = now() - Duration::minutes(1);
    let snapshot = monitor.ranking(taken, week, 0).unwrap();
    monitor.record_snapshot(&snapshot).unwrap();
    assert_eq!(
        monitor
            .current_ranking(now(), week, 0)
            .unwrap()
            .generated_at,
        taken
    );
    let mut edited = more.sorted();
    edited[0].companies[0].sentiment = Positive;
    edited[0].companies[0].score = 0.8;
    edited[0].doc.body.push_str(" Update: opgelost.");
    let stats = store.write_mentions(&edited).unwrap();
    assert_eq!(stats.updated, 1);
    assert_eq!(store.mention_count().unwrap(), 21);
    let after_edit = monitor.current_ranking(now(), week, 0).unwrap();
    assert_eq!(after_edit.generated_at, now());
    assert_ne!(
        after_edit.entry("golf").unwrap().metrics,
        snapshot.entry("golf").unwrap().metrics
    );
    // A company added to the config since: computed now.
    let grown = Monitor::new(store.clone(), config(&["zon", "golf", "bolt"]));
    let table = grown.current_ranking(now(), week, 0).unwrap();
    assert_eq!(table.generated_at, now());
    assert!(table.entry("bolt").is_some());
}
