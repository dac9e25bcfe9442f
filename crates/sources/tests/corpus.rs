//! Every real-world feed fixture of the shared data set through the feed
//! parser: no panic, the feeds their suites call valid yield their items,
//! the ones that must fail fail. Skips with a message when the data is absent.

mod common;

use repmon_sources::parse_feed;
use std::path::Path;

const DATA: &str = "/work/shared/data/feeds";
const FOLDERS: &[&str] = &["feed-rs/", "miniflux/internal/reader/parser/testdata/"];

struct Row {
    path: String,
    expectation: String,
    expected_output: String,
}

fn index() -> Option<Vec<Row>> {
    let text = std::fs::read_to_string(Path::new(DATA).join("INDEX.tsv")).ok()?;
    Some(
        text.lines()
            .skip(1)
            .filter_map(|line| {
                let cols: Vec<&str> = line.split('\t').collect();
                (cols.len() >= 7).then(|| Row {
                    path: cols[0].to_string(),
                    expectation: cols[5].to_string(),
                    expected_output: cols[6].to_string(),
                })
            })
            .filter(|r| FOLDERS.iter().any(|f| r.path.starts_with(f)))
            .collect(),
    )
}

/// How many entries the origin suite's own parse found (feed-rs's serde dump).
fn expected_entries(row: &Row) -> Option<usize> {
    if row.expected_output.is_empty() {
        return None;
    }
    let text = std::fs::read_to_string(Path::new(DATA).join(&row.expected_output)).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get("entries").and_then(|e| e.as_array()).map(Vec::len)
}

#[test]
fn shared_feed_fixtures_parse() {
    let Some(rows) = index() else {
        eprintln!("skipped: {DATA}/INDEX.tsv is not here");
        return;
    };
    let source = common::feed_source("corpus", "https://corpus.example/feed");
    let base = url::Url::parse("https://corpus.example/feed").unwrap();
    let now = chrono::Utc::now();
    let (mut ok, mut failed_as_expected, mut docs, mut counted) = (0, 0, 0, 0);
    let mut problems = Vec::new();
    for row in &rows {
        let bytes = std::fs::read(Path::new(DATA).join(&row.path)).expect("listed file exists");
        let result = parse_feed(&bytes, None, &base, &source, now);
        // feed-rs's xml/ fixtures test its XML reader: catalogs, not feeds.
        let expectation = if row.path.starts_with("feed-rs/xml/") {
            "not-a-feed"
        } else {
            row.expectation.as_str()
        };
        match (expectation, result) {
            ("not-a-feed", Err(e)) => {
                assert!(
                    e.to_string()
                        .contains("not a feed: the document is an XML <"),
                    "{e}"
                );
                failed_as_expected += 1;
            }
            ("not-a-feed", Ok(d)) => problems.push(format!(
                "{}: not a feed, gave {} documents",
                row.path,
                d.len()
            )),
            ("must-fail", Err(e)) => {
                assert!(
                    e.to_string().starts_with("https://corpus.example/feed: "),
                    "{e}"
                );
                failed_as_expected += 1;
            }
            ("must-fail", Ok(d)) => problems.push(format!(
                "{}: must fail, gave {} documents",
                row.path,
                d.len()
            )),
            ("parse-ok", Ok(d)) => {
                ok += 1;
                docs += d.len();
                match expected_entries(row) {
                    Some(n) => {
                        counted += 1;
                        if d.len() != n {
                            problems.push(format!(
                                "{}: {} documents, the suite expects {n}",
                                row.path,
                                d.len()
                            ));
                        }
                    }
                    None if d.is_empty() => {
                        problems.push(format!("{}: valid but no documents", row.path))
                    }
                    None => {}
                }
                for doc in &d {
                    assert_eq!(doc.id.len(), 32);
                    assert!(
                        doc.url.starts_with("http"),
                        "{}: url {:?}",
                        row.path,
                        doc.url
                    );
                    assert!(
                        !doc.body.contains("<script"),
                        "{}: markup left in body",
                        row.path
                    );
                }
            }
            ("parse-ok", Err(e)) => problems.push(format!("{}: {e}", row.path)),
            _ => {} // n/a: not a feed at all (HTML inputs of other suites)
        }
    }
    eprintln!(
        "feed corpus: {} fixtures, {ok} parsed ({docs} documents; {counted} item counts checked against the suite), \
         {failed_as_expected} failed as expected, {} problems",
        rows.len(),
        problems.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(ok >= 70, "expected the whole corpus, parsed {ok}");
}

/// The other suites (feedparser, gofeed, miniflux's encoding cases): never a
/// panic, and most of what they call well-formed reads.
#[test]
fn other_suites_never_panic() {
    let Ok(text) = std::fs::read_to_string(Path::new(DATA).join("INDEX.tsv")) else {
        eprintln!("skipped: {DATA}/INDEX.tsv is not here");
        return;
    };
    let source = common::feed_source("corpus", "https://corpus.example/feed");
    let base = url::Url::parse("https://corpus.example/feed").unwrap();
    let now = chrono::Utc::now();
    let (mut total, mut valid, mut valid_read, mut docs) = (0, 0, 0, 0);
    for line in text.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 6 || FOLDERS.iter().any(|f| cols[0].starts_with(f)) {
            continue;
        }
        let Ok(bytes) = std::fs::read(Path::new(DATA).join(cols[0])) else {
            continue;
        };
        total += 1;
        let result = parse_feed(&bytes, None, &base, &source, now);
        if cols[5] == "parse-ok" && cols[2] != "html" {
            valid += 1;
            match &result {
                Ok(d) => {
                    valid_read += 1;
                    docs += d.len();
                }
                Err(e) if std::env::var_os("CORPUS_VERBOSE").is_some() => {
                    eprintln!("FAIL {} {e}", cols[0])
                }
                Err(_) => {}
            }
        }
    }
    eprintln!(
        "other suites: {total} fixtures, {valid} well-formed feeds of which {valid_read} read ({docs} documents)"
    );
    assert!(
        valid_read * 100 >= valid * 95,
        "only {valid_read} of {valid} well-formed feeds read"
    );
}
