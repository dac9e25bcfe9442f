//! Indexing and search figures for the store: `cargo bench -p repmon-store`.
//! `REPMON_BENCH_DOCS` sets how many mentions to index (default 100,000).
//!
//! Measured 2026-11-22 on 2 shared cores (load ~2, other builds running),
//! JSON records and two indexing threads (before) against binary records and
//! one thread (after), two runs each, alternating:
//! - indexing 100k mentions: 6,800 / 5,956 -> 8,384 / 7,860 docs/s;
//!   batch p50 141 / 161 -> 116 / 116 ms; data dir 324 -> 185 MB;
//! - `mentions_between`, 7 days (~2,300 records): p50 16.2 / 25.4 -> 11.7 /
//!   7.9 ms, p99 25.2 / 28.8 -> 15.5 / 13.3 ms;
//! - company + sentiment + 7-day search: p50 1.38 / 0.94 -> 0.85 / 0.58 ms.
//!
//! Documents kept without a mention (for rematch), 2026-11-23, same machine:
//! 100k kept in batches of 1,000 at 37,500 docs/s (27 MB/s of text); a
//! batch of 10k seen again unchanged (every poll of a feed) 52 ms, nothing
//! written; walked at 252,000 docs/s (181 MB/s); 135 MB of state store for
//! 72 MB of text (these generated texts are short and compress little).

use chrono::{Duration, TimeZone, Utc};
use repmon_model::{CompanyMention, Document, Mention, Sentiment, SourceKind};
use repmon_store::{SearchQuery, Store};
use std::time::Instant;

const WORDS: &[&str] = &[
    "de",
    "het",
    "een",
    "storing",
    "wifi",
    "app",
    "klantenservice",
    "contract",
    "factuur",
    "stroom",
    "energie",
    "internet",
    "snel",
    "traag",
    "goed",
    "slecht",
    "prijs",
    "korting",
    "monteur",
    "afspraak",
    "inloggen",
    "crasht",
    "modem",
    "router",
    "glasvezel",
    "terugleververgoeding",
    "zonnepanelen",
    "overstappen",
    "opzeggen",
    "wachten",
    "the",
    "service",
    "outage",
    "great",
    "terrible",
    "support",
    "billing",
    "network",
    "speed",
    "price",
];
const COMPANIES: &[&str] = &[
    "zon",
    "golf",
    "bolt",
    "kpn",
    "ziggo",
    "eneco",
    "vattenfall",
    "odido",
];

/// A small deterministic generator, so runs are comparable.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn generate(n: usize) -> Vec<Mention> {
    let mut rng = Lcg(42);
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    (0..n)
        .map(|i| {
            let mut body = String::with_capacity(760);
            while body.len() < 700 {
                body.push_str(WORDS[rng.below(WORDS.len())]);
                body.push(' ');
            }
            let companies = (0..1 + rng.below(2))
                .map(|_| {
                    let sentiment = Sentiment::ALL[rng.below(3)];
                    CompanyMention {
                        company: COMPANIES[rng.below(COMPANIES.len())].into(),
                        sentiment,
                        score: 0.5,
                        owned: false,
                        terms: vec!["storing".into(), "wifi".into()],
                    }
                })
                .collect();
            // Spread over ~300 days, so date filters select a slice.
            let published = start + Duration::seconds(i as i64 * 260);
            Mention {
                doc: Document {
                    title: format!(
                        "{} {}",
                        WORDS[rng.below(WORDS.len())],
                        WORDS[rng.below(WORDS.len())]
                    ),
                    author: Some(format!("user{}", rng.below(5000))),
                    ..Document::new(
                        format!("https://forum.example/t/{i}"),
                        format!("source-{}", rng.below(20)),
                        SourceKind::ALL[rng.below(4)],
                        format!("https://forum.example/t/{i}"),
                        body,
                        published,
                    )
                },
                lang: "nl".into(),
                companies,
            }
        })
        .collect()
}

fn percentiles(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| ms[((ms.len() as f64 - 1.0) * p).round() as usize];
    (at(0.50), at(0.99))
}

fn main() {
    let n: usize = std::env::var("REPMON_BENCH_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let docs = generate(n);
    let avg = docs
        .iter()
        .map(|m| m.doc.body.len() + m.doc.title.len())
        .sum::<usize>()
        / n.max(1);
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open store");

    let started = Instant::now();
    let mut batch_ms = Vec::new();
    for batch in docs.chunks(1_000) {
        let t = Instant::now();
        store.write_mentions(batch).expect("write");
        batch_ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let secs = started.elapsed().as_secs_f64();
    let (b50, b99) = percentiles(batch_ms);
    println!(
        "indexed {n} mentions (~{avg} B text each) in batches of 1,000: {secs:.1} s, {:.0} docs/s",
        n as f64 / secs
    );
    println!("  batch (index + state store commit): p50 {b50:.1} ms, p99 {b99:.1} ms");

    let t = Instant::now();
    let again = store
        .write_mentions(&docs[..n.min(10_000)])
        .expect("rewrite");
    println!(
        "re-ingest of {} unchanged: {} unchanged in {:.0} ms",
        n.min(10_000),
        again.unchanged,
        t.elapsed().as_secs_f64() * 1e3
    );

    let runs = 300;
    let mut term_ms = Vec::new();
    for i in 0..runs {
        let q = SearchQuery {
            q: WORDS[3 + i % 20].into(),
            limit: 20,
            ..Default::default()
        };
        let t = Instant::now();
        let page = store.search(&q).expect("search");
        term_ms.push(t.elapsed().as_secs_f64() * 1e3);
        assert!(page.total > 0);
    }
    let (t50, t99) = percentiles(term_ms);
    println!("search, one word, top 20 newest with snippets: p50 {t50:.2} ms, p99 {t99:.2} ms");

    let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut company_ms = Vec::new();
    for i in 0..runs {
        let since = start + Duration::days(i as i64 % (n as i64 * 260 / 86_400).max(1));
        let q = SearchQuery {
            company: Some(COMPANIES[i % COMPANIES.len()].into()),
            sentiment: Some(Sentiment::Negative),
            since: Some(since),
            until: Some(since + Duration::days(7)),
            limit: 20,
            ..Default::default()
        };
        let t = Instant::now();
        store.search(&q).expect("search");
        company_ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let (c50, c99) = percentiles(company_ms);
    println!("search, company + sentiment + 7-day range, top 20: p50 {c50:.2} ms, p99 {c99:.2} ms");

    let mut scan_ms = Vec::new();
    let days = (n as i64 * 260 / 86_400 - 7).max(1);
    for i in 0..50 {
        let from = start + Duration::days(i * 4 % days);
        let t = Instant::now();
        let got = store
            .mentions_between(from, from + Duration::days(7))
            .expect("scan");
        scan_ms.push(t.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(got);
    }
    let (s50, s99) = percentiles(scan_ms);
    println!("mentions_between over 7 days (~2,300 records): p50 {s50:.1} ms, p99 {s99:.1} ms");

    // What the same windows cost when the records were JSON (before the
    // binary records): decoding alone, without the range scan.
    let mut json_ms = Vec::new();
    for i in 0..50 {
        let from = start + Duration::days(i * 4 % days);
        let window = store
            .mentions_between(from, from + Duration::days(7))
            .expect("scan");
        let records: Vec<Vec<u8>> = window
            .iter()
            .map(|m| serde_json::to_vec(m).expect("json"))
            .collect();
        let t = Instant::now();
        for r in &records {
            std::hint::black_box(serde_json::from_slice::<Mention>(r).expect("decode"));
        }
        json_ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let (j50, j99) = percentiles(json_ms);
    println!(
        "  the same records as JSON (the format before), decoding only: p50 {j50:.1} ms, p99 {j99:.1} ms"
    );
    let size = dir_size(dir.path());
    println!("data dir: {:.0} MB", size as f64 / 1e6);

    kept_documents(&docs);
}

/// Documents without a mention, kept for rematch: the cost to keep a poll's
/// worth, to see them again unchanged (every poll of a feed), to walk them
/// all (rematch) and their size on disk.
fn kept_documents(docs: &[Mention]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open store");
    let docs: Vec<Document> = docs.iter().map(|m| m.doc.clone()).collect();
    let bytes: usize = docs.iter().map(|d| d.body.len() + d.title.len()).sum();
    let since = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap();
    let started = Instant::now();
    for batch in docs.chunks(1_000) {
        store.keep_unmatched(batch, since).expect("keep");
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "kept {} documents without a mention in batches of 1,000: {:.0} docs/s, {:.1} MB/s of text",
        docs.len(),
        docs.len() as f64 / secs,
        bytes as f64 / secs / 1e6
    );
    let t = Instant::now();
    let again = store
        .keep_unmatched(&docs[..docs.len().min(10_000)], since)
        .expect("keep again");
    println!(
        "  seen again unchanged ({}): {again} written in {:.0} ms",
        docs.len().min(10_000),
        t.elapsed().as_secs_f64() * 1e3
    );
    let t = Instant::now();
    let mut walked = 0;
    store
        .for_each_unmatched(500, |b| {
            walked += b.len();
            Ok(())
        })
        .expect("walk");
    let secs = t.elapsed().as_secs_f64();
    println!(
        "  walked {walked} (as rematch does): {:.0} docs/s, {:.1} MB/s of text",
        walked as f64 / secs,
        bytes as f64 / secs / 1e6
    );
    println!(
        "  state store: {:.0} MB for {:.0} MB of text",
        dir_size(dir.path()) as f64 / 1e6,
        bytes as f64 / 1e6
    );
}

fn dir_size(p: &std::path::Path) -> u64 {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_size(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}
