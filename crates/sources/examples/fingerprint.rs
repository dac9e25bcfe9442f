//! How fast content fingerprints are, and how often different texts of a
//! real corpus would be taken for copies:
//! `cargo run --release -p repmon-sources --example fingerprint [FILE.jsonl ...]`
//! (default: the review and news sets under /work/shared/data/sentiment).
//! Each line is a JSON object with a `text` field.

use repmon_sources::{MAX_COPY_DISTANCE, distance, text_fingerprint};
use std::collections::HashSet;
use std::time::Instant;

const DEFAULT: &[&str] = &[
    "/work/shared/data/sentiment/nl_pattern_bol_com_book_reviews.jsonl",
    "/work/shared/data/sentiment/en_vader_amazon.jsonl",
    "/work/shared/data/sentiment/en_vader_nyt.jsonl",
    "/work/shared/data/sentiment/nl_semeval2016_restaurants_reviews.jsonl",
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let files: Vec<&str> = if args.is_empty() {
        DEFAULT.to_vec()
    } else {
        args.iter().map(String::as_str).collect()
    };
    let mut texts: Vec<String> = Vec::new();
    let mut distinct = HashSet::new();
    for f in files {
        let Ok(data) = std::fs::read_to_string(f) else {
            eprintln!("skipped: {f} is not here");
            continue;
        };
        for line in data.lines() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            if let Some(t) = v["text"].as_str()
                && distinct.insert(t.to_string())
            {
                texts.push(t.to_string());
            }
        }
    }
    let bytes: usize = texts.iter().map(String::len).sum();
    if texts.is_empty() {
        eprintln!("no texts");
        return;
    }

    // Best of five rounds: a shared machine disturbs the others.
    let mut best = f64::MAX;
    let mut prints = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        prints = texts.iter().map(|t| text_fingerprint(t)).collect();
        best = best.min(start.elapsed().as_secs_f64());
    }
    let with: Vec<(usize, u64)> = prints
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.map(|p| (i, p)))
        .collect();
    println!(
        "{} distinct texts, {:.1} MB: {:.0} MB/s, {:.2} µs per text; {} long enough for a fingerprint",
        texts.len(),
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / best,
        best * 1e6 / texts.len() as f64,
        with.len()
    );

    // Every pair of different texts closer than the copy bound would be
    // merged in error (true copies were removed above).
    let mut merged = 0usize;
    let mut shown = 0;
    for (a, &(i, p)) in with.iter().enumerate() {
        for &(j, q) in &with[a + 1..] {
            if distance(p, q) <= MAX_COPY_DISTANCE {
                merged += 1;
                if shown < 5 {
                    shown += 1;
                    println!("  near: {:?}\n     ~ {:?}", cut(&texts[i]), cut(&texts[j]));
                }
            }
        }
    }
    let pairs = with.len() * with.len().saturating_sub(1) / 2;
    println!("{merged} of {pairs} pairs of different texts within {MAX_COPY_DISTANCE} bits");
}

fn cut(s: &str) -> String {
    s.chars().take(120).collect()
}
