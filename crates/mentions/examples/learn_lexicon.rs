//! Learns the generated word tables `lexicon/nl_learned.tsv` and
//! `lexicon/en_learned.tsv` from openly licensed data.
//!
//! `cargo run --release -p repmon-mentions --example learn_lexicon [-- [nl|en] [--data DIR]]`
//!
//! DIR is the shared data folder (default `$REPMON_DATA`, else
//! `/work/shared/data`). Only sets whose licence allows training are read:
//!
//! - **Dutch**: the Pattern Dutch adjective lexicon (PDDL) and the Glender
//!   Dutch sentiment dictionary (MIT). Both are put on our -4..+4 scale by a
//!   least-squares fit against the words our hand lexicon `nl.tsv` already
//!   weighs, so the scale is learned rather than guessed. Words on which the
//!   two disagree in sign, or whose evidence is weak, are dropped; adjectives
//!   get their inflected forms by Dutch spelling rules.
//! - **English**: the *tuning part* (FNV-1a-64(id) % 5 == 0) of the four
//!   VADER sets (MIT). A ridge regression of the human rating on the words of
//!   each text (a word inside a negation's reach is a separate feature), put on
//!   our scale by a fit against the hand lexicon `en.tsv`.
//!
//! Hand-written entries always win: a word the hand lexicon decides (itself,
//! with weight 0 too, or through the scorer's elongation, inflection, prefix
//! and compound rules) is never written.

use repmon_mentions::learning;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Ridge penalty: a word seen in n texts keeps about n / (n + RIDGE) of its effect.
const RIDGE_EN: f64 = 10.0;
/// A word counts as seen in a set with this many of its texts.
const CROSS_SET_TEXTS: usize = 2;
/// Learned English words stay milder than the strong hand-written ones.
const MAX_WEIGHT_EN: f64 = 2.5;
/// Learned weights smaller than this (on our scale) are too weak to ship:
/// the hand lexicons give no word less than 1; the margin keeps a source's
/// mild words (fitted at about 1) from hanging on the last digit of the fit.
const MIN_WEIGHT: f64 = 0.9;
/// Pattern polarities closer to 0 than this say too little.
const MIN_PATTERN_POLARITY: f64 = 0.15;
/// No learned word outweighs the strongest hand-written ones.
const MAX_WEIGHT: f64 = 3.2;

fn main() {
    let mut langs = vec!["nl", "en"];
    let mut data: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "nl" | "en" => langs = vec![if a == "nl" { "nl" } else { "en" }],
            "--data" => data = args.next().map(PathBuf::from),
            _ => {
                eprintln!("usage: learn_lexicon [nl|en] [--data DIR]");
                std::process::exit(2)
            }
        }
    }
    let data = data
        .or_else(|| std::env::var_os("REPMON_DATA").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("/work/shared/data"));
    let lexicon_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lexicon");
    for lang in langs {
        let result = match lang {
            "nl" => learn_dutch(&data, &lexicon_dir),
            _ => learn_english(&data, &lexicon_dir),
        };
        match result {
            Ok(path) => eprintln!("wrote {}", path.display()),
            Err(e) => {
                eprintln!("{lang}: {e}");
                std::process::exit(1)
            }
        }
    }
}

/// The single-word entries of a hand lexicon.
fn hand_entries(path: &Path) -> Result<HashMap<String, f64>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (w, v) = l.split_once('\t')?;
            let v: f64 = v.trim().parse().ok()?;
            (!w.contains(' ')).then(|| (w.to_string(), v))
        })
        .collect())
}

/// A word as the scorer sees it: letters, digits, `_`, inner apostrophes.
fn is_scorer_word(w: &str) -> bool {
    !w.is_empty()
        && w.chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '\'')
        && !w.starts_with('\'')
        && !w.ends_with('\'')
}

/// Slope of y ≈ a·x through the origin, and Pearson r, over the pairs.
fn fit(pairs: &[(f64, f64)]) -> (f64, f64) {
    let sxy: f64 = pairs.iter().map(|(x, y)| x * y).sum();
    let sxx: f64 = pairs.iter().map(|(x, _)| x * x).sum();
    let n = pairs.len() as f64;
    let (mx, my) = pairs
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / n, b + y / n));
    let (mut cxy, mut cxx, mut cyy) = (0.0, 0.0, 0.0);
    for (x, y) in pairs {
        cxy += (x - mx) * (y - my);
        cxx += (x - mx) * (x - mx);
        cyy += (y - my) * (y - my);
    }
    let r = if cxx > 0.0 && cyy > 0.0 {
        cxy / (cxx * cyy).sqrt()
    } else {
        0.0
    };
    (if sxx > 0.0 { sxy / sxx } else { 0.0 }, r)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The value of `name="..."` in one XML start tag.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let at = tag.find(&key)? + key.len();
    let len = tag[at..].find('"')?;
    Some(&tag[at..at + len])
}

/// What Pattern says about one word form, over all its senses.
#[derive(Default)]
struct PatternWord {
    polarity_sum: f64,
    senses: u32,
    /// Senses with a clear positive, and a clear negative, polarity.
    positive: u32,
    negative: u32,
    adjective: bool,
}

impl PatternWord {
    /// Mean polarity over the senses, as Pattern itself computes it.
    fn polarity(&self) -> f64 {
        self.polarity_sum / self.senses.max(1) as f64
    }

    /// Every sense carries the same clear polarity. A word with a neutral
    /// sense ("groot": of size) or senses of both signs ("hard") says
    /// nothing sure on its own, and neutral text must stay neutral.
    fn unambiguous(&self) -> bool {
        self.positive == self.senses || self.negative == self.senses
    }
}

fn read_pattern(path: &Path) -> Result<BTreeMap<String, PatternWord>, String> {
    let xml = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out: BTreeMap<String, PatternWord> = BTreeMap::new();
    for tag in xml.split("<word ").skip(1) {
        let tag = format!(" {}", tag.split("/>").next().unwrap_or(""));
        let (Some(form), Some(polarity)) = (
            attr(&tag, "form"),
            attr(&tag, "polarity").and_then(|p| p.parse::<f64>().ok()),
        ) else {
            continue;
        };
        let form = form.to_lowercase();
        if !is_scorer_word(&form) {
            continue;
        }
        let e = out.entry(form).or_default();
        e.polarity_sum += polarity;
        e.senses += 1;
        e.positive += u32::from(polarity >= MIN_PATTERN_POLARITY);
        e.negative += u32::from(polarity <= -MIN_PATTERN_POLARITY);
        e.adjective |= attr(&tag, "pos") == Some("JJ");
    }
    Ok(out)
}

fn read_glender(path: &Path) -> Result<BTreeMap<String, f64>, String> {
    let csv = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(csv
        .lines()
        .skip(1)
        .filter_map(|l| {
            let (w, s) = l.rsplit_once(',')?;
            let w = w.trim().trim_matches('"').to_lowercase();
            let s: f64 = s.trim().parse().ok()?;
            (is_scorer_word(&w) && s != 0.0).then_some((w, s))
        })
        .collect())
}

fn is_vowel(c: u8) -> bool {
    matches!(c, b'a' | b'e' | b'i' | b'o' | b'u')
}

/// The attributive form of a Dutch adjective ("snel" -> "snelle", "groot" ->
/// "grote", "lief" -> "lieve", "boos" -> "boze", "handig" -> "handige"), by
/// the spelling rules; None where the rules do not clearly apply.
fn dutch_e_form(adj: &str) -> Option<String> {
    let b = adj.as_bytes();
    let n = b.len();
    if n < 3 || !adj.is_ascii() {
        return None;
    }
    let last = b[n - 1];
    if last == b'e' || last == b'n' && adj.ends_with("en") {
        // "oranje", "gebroken": no -e form.
        return None;
    }
    if is_vowel(last) || last == b'y' {
        return Some(format!("{adj}e"));
    }
    let prev = b[n - 2];
    if !is_vowel(prev) {
        // A consonant cluster ("correct", "interessant", "vrolijk") stays.
        return Some(format!("{adj}e"));
    }
    let before = b[n - 3];
    let voiced = |c: u8| match c {
        b'f' => 'v',
        b's' => 'z',
        c => c as char,
    };
    let stem = &adj[..n - 1];
    if before == prev && is_vowel(prev) {
        // A long vowel written double loses a letter in the open syllable:
        // "groot" -> "grote", "gemeen" -> "gemene", "boos" -> "boze".
        return Some(format!("{}{}e", &adj[..n - 2], voiced(last)));
    }
    if is_vowel(before) {
        // A diphthong or digraph ("ie", "oe", "eu", "ui"...): no doubling,
        // but f and s become voiced: "lief" -> "lieve", "vies" -> "vieze".
        return Some(format!("{stem}{}e", voiced(last)));
    }
    if matches!(last, b'w' | b'x' | b'h' | b'j') {
        return Some(format!("{adj}e"));
    }
    // A single short vowel before a single consonant: doubled in a stressed
    // syllable ("snel" -> "snelle"). Stress is only sure in a monosyllable;
    // the usual unstressed endings ("handig", "simpel", "lekker") do not
    // double; other longer words are left alone rather than guessed.
    let syllables = b
        .windows(2)
        .filter(|w| is_vowel(w[1]) && !is_vowel(w[0]))
        .count()
        + usize::from(is_vowel(b[0]));
    if syllables > 1 {
        let unstressed = ["ig", "el", "er", "em", "ik", "es", "isch"]
            .iter()
            .any(|s| adj.ends_with(s));
        return unstressed.then(|| format!("{adj}e"));
    }
    Some(format!("{adj}{}e", last as char))
}

fn learn_dutch(data: &Path, lexicon_dir: &Path) -> Result<PathBuf, String> {
    let hand_all = hand_entries(&lexicon_dir.join("nl.tsv"))?;
    // A 0 is an override ("no judgement"), not a weight to fit.
    let hand: HashMap<&str, f64> = hand_all
        .iter()
        .filter(|(_, v)| **v != 0.0)
        .map(|(w, v)| (w.as_str(), *v))
        .collect();
    let pattern = read_pattern(&data.join("lexicons/clips-pattern/nl-sentiment.xml"))?;
    let glender = read_glender(
        &data.join("lexicons/glender-dutchsentimentanalysis/dutch_sentiment_dictionary.csv"),
    )?;
    // Learn each source's scale from the words the hand lexicon weighs.
    let pattern_pairs: Vec<(f64, f64)> = pattern
        .iter()
        .filter(|(_, p)| p.unambiguous())
        .filter_map(|(w, p)| Some((p.polarity(), *hand.get(w.as_str())?)))
        .collect();
    let glender_pairs: Vec<(f64, f64)> = glender
        .iter()
        .filter_map(|(w, g)| Some((*g, *hand.get(w.as_str())?)))
        .collect();
    let (pattern_scale, pattern_r) = fit(&pattern_pairs);
    let (glender_scale, glender_r) = fit(&glender_pairs);
    // How often a source agrees in sign with the hand lexicon, per strength:
    // a strength that agrees too rarely is weak evidence on its own.
    let agreement = |pairs: &[(f64, f64)], keep: &dyn Fn(f64) -> bool| {
        let sel: Vec<_> = pairs.iter().filter(|(x, _)| keep(*x)).collect();
        let agree = sel.iter().filter(|(x, y)| x * y > 0.0).count();
        (agree, sel.len())
    };
    let glender_mild = agreement(&glender_pairs, &|g| g.abs() < 1.5);
    let glender_strong = agreement(&glender_pairs, &|g| g.abs() >= 1.5);
    let pattern_agree = agreement(&pattern_pairs, &|_| true);

    let mut table: BTreeMap<String, f64> = BTreeMap::new();
    let mut dropped_conflict = 0;
    let mut dropped_weak = 0;
    let mut dropped_ambiguous = 0;
    let mut words: Vec<&String> = pattern.keys().chain(glender.keys()).collect();
    words.sort();
    words.dedup();
    for w in words {
        if learning::is_modifier(w, "nl") {
            continue;
        }
        let p = match pattern.get(w) {
            Some(p) if !p.unambiguous() => {
                // Pattern knows the word and finds it neutral or two-sided:
                // a dictionary score alone does not outweigh that.
                dropped_ambiguous += 1;
                continue;
            }
            p => p.map(PatternWord::polarity),
        };
        let g = glender.get(w).copied();
        let weight = match (p, g) {
            (Some(p), Some(g)) if p * g < 0.0 => {
                dropped_conflict += 1;
                continue;
            }
            // Each source counts as much as it agrees with our own judgement.
            (Some(p), Some(g)) => {
                (pattern_r * pattern_scale * p + glender_r * glender_scale * g)
                    / (pattern_r + glender_r)
            }
            (Some(p), None) => pattern_scale * p,
            // A mild dictionary score with no Pattern sense behind it is one
            // weak vote: such words are often topic nouns and verbs
            // ("energie", "aangeven") that news uses without a judgement.
            (None, Some(g)) if g.abs() >= 1.5 => glender_scale * g,
            _ => {
                dropped_weak += 1;
                continue;
            }
        };
        if weight.abs() < MIN_WEIGHT {
            dropped_weak += 1;
            continue;
        }
        table.insert(w.clone(), round2(weight.clamp(-MAX_WEIGHT, MAX_WEIGHT)));
    }
    // Inflected forms of the adjectives, by rule: "snelle", "sneller".
    let mut inflected = 0;
    for (w, p) in &pattern {
        if !p.adjective {
            continue;
        }
        // A hand-weighted adjective lends its weight to its forms: the
        // hand lexicon overrides, and the scorer's suffix rule cannot undo
        // "snelle" or "grote" on its own.
        let (v, from_hand) = match (hand_all.get(w), table.get(w)) {
            (Some(&h), _) => (h, true),
            (None, Some(&v)) => (v, false),
            (None, None) => continue,
        };
        if let Some(e) = dutch_e_form(w) {
            let comparative = format!("{e}r");
            for form in [e, comparative] {
                let free = !table.contains_key(&form) && !pattern.contains_key(&form);
                if !hand_all.contains_key(&form) && (from_hand || free) {
                    table.insert(form, v);
                    inflected += 1;
                }
            }
        }
    }
    let learned = table.len();
    table.retain(|w, _| !learning::hand_decides(w, "nl"));

    let mut out = String::new();
    writeln!(
        out,
        "# Dutch word weights LEARNED by repmon's own code: generated, do not edit by hand.\n\
         # Made by: cargo run --release -p repmon-mentions --example learn_lexicon -- nl\n\
         # on {} from two openly licensed lexicons (read at generation time, not shipped):\n\
         #  - Pattern Dutch sentiment lexicon nl-sentiment.xml v1.2, Tom De Smedt & Walter\n\
         #    Daelemans, CLiPS, University of Antwerp (clips/pattern @ d25511f), licence PDDL;\n\
         #  - Glender DutchSentimentAnalysis dictionary (Glender/DutchSentimentAnalysis @ 86c8198),\n\
         #    Copyright (c) 2021 DutchSentimentAnalysis authors, licence MIT.\n\
         # Scale fitted against the hand lexicon nl.tsv (least squares through 0):\n\
         #   weight = {pattern_scale:.3} x Pattern polarity (mean over senses; n = {}, r = {pattern_r:.2}, same sign {}/{}),\n\
         #   weight = {glender_scale:.3} x Glender score (n = {}, r = {glender_r:.2}, same sign: mild {}/{}, strong {}/{}).\n\
         # Both sources: the mean weighted by r; opposite signs dropped ({dropped_conflict}). Dropped as\n\
         # ambiguous ({dropped_ambiguous}): words with a Pattern sense that is neutral (|polarity| < {MIN_PATTERN_POLARITY})\n\
         # or of the other sign. Dropped as weak ({dropped_weak}): |weight| < {MIN_WEIGHT} (the hand lexicon's\n\
         # floor is 1) and Glender-only words with a mild score (+-1).\n\
         # Attributive and comparative forms of adjectives added by spelling rule ({inflected}); the\n\
         # forms of an adjective weighted in nl.tsv carry its hand weight.\n\
         # Words the hand lexicon decides are left out ({} of {learned}): nl.tsv overrides.\n\
         # word<TAB>weight, -4..=+4",
        today(),
        pattern_pairs.len(),
        pattern_agree.0,
        pattern_agree.1,
        glender_pairs.len(),
        glender_mild.0,
        glender_mild.1,
        glender_strong.0,
        glender_strong.1,
        learned - table.len(),
    )
    .ok();
    for (w, v) in &table {
        writeln!(out, "{w}\t{v}").ok();
    }
    let path = lexicon_dir.join("nl_learned.tsv");
    std::fs::write(&path, out).map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!(
        "nl: {} words; pattern scale {pattern_scale:.3} (r {pattern_r:.2}), glender scale {glender_scale:.3} (r {glender_r:.2})",
        table.len()
    );
    Ok(path)
}

fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

/// English negations, so that "not good" does not teach that "good" is bad.
const NEGATIONS_EN: &[&str] = &[
    "not", "no", "never", "without", "nothing", "none", "nobody", "nowhere", "neither", "nor",
    "cannot", "cant", "dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent", "wont",
    "wouldnt", "shouldnt", "couldnt", "havent", "hasnt", "hadnt", "aint", "barely", "hardly",
];

/// The distinct features of one text: its words, lower case, each marked
/// when it stands within three words after a negation.
fn features(text: &str, out: &mut Vec<String>) {
    out.clear();
    let lower = text.to_lowercase();
    let mut negated = 0u8;
    for piece in lower.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '\'')) {
        let w = piece.trim_matches('\'');
        if w.is_empty() {
            // Punctuation ends a negation's reach, as in the scorer.
            if piece.is_empty() {
                continue;
            }
            negated = 0;
            continue;
        }
        if NEGATIONS_EN.contains(&w) || w.ends_with("n't") {
            negated = 3;
            continue;
        }
        let f = if negated > 0 {
            negated -= 1;
            format!("¬{w}")
        } else {
            w.to_string()
        };
        if !out.contains(&f) {
            out.push(f);
        }
    }
}

/// One text of the English tuning part.
struct Example {
    /// Index into [`VADER_SETS`].
    set: usize,
    /// Inner fold (0..5) for checking a learned table within the tuning part.
    fold: u64,
    text: String,
    /// The mean human rating, -4..=+4.
    rating: f64,
    /// 0 positive, 1 negative, 2 neutral.
    label: usize,
    /// The hand lexicon's score.
    base: f64,
    /// Ids of the words the hand lexicon does not decide.
    words: Vec<usize>,
}

const VADER_SETS: [&str; 4] = [
    "en_vader_tweets",
    "en_vader_movie",
    "en_vader_amazon",
    "en_vader_nyt",
];

fn read_english(data: &Path) -> Result<(Vec<Example>, Vec<String>), String> {
    let mut vocab: HashMap<String, usize> = HashMap::new();
    let mut examples = Vec::new();
    let mut feats = Vec::new();
    for (set, name) in VADER_SETS.iter().enumerate() {
        let path = data.join("sentiment").join(format!("{name}.jsonl"));
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        for line in text.lines() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            let (Some(id), Some(t), Some(rating), Some(label)) = (
                v["id"].as_str(),
                v["text"].as_str(),
                v["score"].as_f64(),
                v["label"].as_str(),
            ) else {
                continue;
            };
            // Only the tuning part: the held-out part judges the result.
            if !learning::in_tuning_part(id, v["split"].as_str()) {
                continue;
            }
            // The cross-validation fold inside the tuning part.
            let h = repmon_model::hash::fnv1a(id.as_bytes());
            features(t, &mut feats);
            let words = feats
                .drain(..)
                .filter(|f| {
                    let w = f.trim_start_matches('¬');
                    !learning::hand_decides(w, "en") && !learning::is_modifier(w, "en")
                })
                .map(|f| {
                    let next = vocab.len();
                    *vocab.entry(f).or_insert(next)
                })
                .collect();
            examples.push(Example {
                set,
                fold: (h / 5) % 5,
                text: t.to_string(),
                rating,
                label: match label {
                    "positive" => 0,
                    "negative" => 1,
                    _ => 2,
                },
                base: learning::hand_sentiment(t, "en") as f64,
                words,
            });
        }
    }
    let mut names = vec![String::new(); vocab.len()];
    for (w, j) in vocab {
        names[j] = w;
    }
    Ok((examples, names))
}

/// What one fit found, for the file header.
struct EnglishFit {
    a: f64,
    b: f64,
    sigma: f64,
    words: BTreeMap<String, f64>,
}

/// Learns weights for the words the hand lexicon does not know from what
/// its score leaves unexplained of the human ratings; keeps words whose
/// effect is at least `min_t` standard errors from 0.
fn learn_words(
    examples: &[&Example],
    vocab: &[String],
    (min_texts, min_t): (usize, f64),
) -> EnglishFit {
    // How the hand scorer's score maps to the human rating: y ≈ a + b·score.
    let n = examples.len().max(1) as f64;
    let mb = examples.iter().map(|e| e.base).sum::<f64>() / n;
    let my = examples.iter().map(|e| e.rating).sum::<f64>() / n;
    let sxy: f64 = examples
        .iter()
        .map(|e| (e.base - mb) * (e.rating - my))
        .sum();
    let sxx: f64 = examples.iter().map(|e| (e.base - mb).powi(2)).sum();
    let b = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let a = my - b * mb;
    let residual: Vec<f64> = examples.iter().map(|e| e.rating - a - b * e.base).collect();
    let sigma = (residual.iter().map(|r| r * r).sum::<f64>() / n).sqrt();
    let mut texts_with = vec![0usize; vocab.len()];
    // Per word and set: texts, and the sum of what the hand lexicon left.
    let mut by_set = vec![[(0usize, 0.0f64); VADER_SETS.len()]; vocab.len()];
    for (e, r) in examples.iter().zip(&residual) {
        for &j in &e.words {
            texts_with[j] += 1;
            by_set[j][e.set].0 += 1;
            by_set[j][e.set].1 += r;
        }
    }
    // Rare words are left out of the model altogether.
    let rows: Vec<Vec<usize>> = examples
        .iter()
        .map(|e| {
            e.words
                .iter()
                .copied()
                .filter(|&j| texts_with[j] >= min_texts)
                .collect()
        })
        .collect();
    let mut words = BTreeMap::new();
    if b > 0.0 && min_t.is_finite() {
        let coef = ridge(&rows, &residual, vocab.len(), RIDGE_EN);
        for (j, w) in vocab.iter().enumerate() {
            let nj = texts_with[j] as f64;
            if texts_with[j] < min_texts
                || w.starts_with('¬')
                || w.len() < 3
                || w.chars().any(|c| c.is_numeric())
            {
                continue;
            }
            // Evidence: the word's mean residual against its standard error.
            let t = coef[j] * (nj + RIDGE_EN) / nj * nj.sqrt() / sigma;
            if t.abs() < min_t {
                continue;
            }
            // A sentiment word means the same in tweets, reviews and
            // editorials; a topic word ("price", "documentary") leans one
            // way in one set only. Keep words that lean the same way in at
            // least two sets and against it in none.
            let (mut with, mut against) = (0, 0);
            for &(n, sum) in &by_set[j] {
                if n >= CROSS_SET_TEXTS {
                    if sum * coef[j] > 0.0 {
                        with += 1;
                    } else {
                        against += 1;
                    }
                }
            }
            if with < 2 || against > 0 {
                continue;
            }
            // The weight whose score, alone in a text, moves the rating by
            // the coefficient: score = w / sqrt(w² + 15) inverted.
            let s = (coef[j] / b).clamp(-0.95, 0.95);
            let v = s * (15.0 / (1.0 - s * s)).sqrt();
            if v.abs() >= MIN_WEIGHT {
                words.insert(w.clone(), round2(v.clamp(-MAX_WEIGHT_EN, MAX_WEIGHT_EN)));
            }
        }
    }
    EnglishFit { a, b, sigma, words }
}

/// The body of a learned table: its neutral band, then its words.
fn table_body(words: &BTreeMap<String, f64>, band: f64) -> String {
    let mut out = format!("{}\t{band:.2}\n", learning::NEUTRAL_BAND_KEY);
    for (w, v) in words {
        writeln!(out, "{w}\t{v}").ok();
    }
    out
}

fn scorer(body: String) -> learning::CandidateScorer {
    // A candidate lives as long as the learner; leaking it is simplest.
    learning::CandidateScorer::new("en", Box::leak(body.into_boxed_str()))
        .expect("English has a hand lexicon")
}

/// Mean over the four sets of macro-F1 (three-way) at a neutral band.
fn mean_macro_f1(scored: &[(usize, usize, f64)], band: f64) -> f64 {
    let mut confusion = [[[0usize; 3]; 3]; 4];
    for &(set, truth, score) in scored {
        let predicted = if score >= band.max(0.05) {
            0
        } else if score <= -band.max(0.05) {
            1
        } else {
            2
        };
        confusion[set][truth][predicted] += 1;
    }
    let f1 = |m: &[[usize; 3]; 3]| {
        (0..3)
            .map(|c| {
                let tp = m[c][c] as f64;
                let predicted: usize = (0..3).map(|t| m[t][c]).sum();
                let actual: usize = m[c].iter().sum();
                if tp == 0.0 {
                    0.0
                } else {
                    2.0 * tp / (predicted + actual) as f64
                }
            })
            .sum::<f64>()
            / 3.0
    };
    confusion.iter().map(f1).sum::<f64>() / 4.0
}

/// Mean over the four sets of Pearson r between score and human rating.
fn mean_pearson(scored: &[(usize, f64, f64)]) -> f64 {
    (0..VADER_SETS.len())
        .map(|set| {
            let pairs: Vec<(f64, f64)> = scored
                .iter()
                .filter(|s| s.0 == set)
                .map(|s| (s.1, s.2))
                .collect();
            fit(&pairs).1
        })
        .sum::<f64>()
        / VADER_SETS.len() as f64
}

/// (texts a word needs, evidence it needs) tried by the inner check;
/// infinite evidence = no learned words at all.
/// The first, no learned words, is the baseline the others must beat by
/// [`MIN_GAIN`].
const CANDIDATES: [(usize, f64); 9] = [
    (6, f64::INFINITY),
    (3, 2.0),
    (3, 2.5),
    (3, 3.0),
    (3, 3.5),
    (6, 2.0),
    (6, 2.5),
    (6, 3.0),
    (6, 3.5),
];

/// How much a choice must gain over the plain one (no learned words, the
/// ±0.05 band) to be taken: differences below this come and go with the
/// folds, so a table would learn noise (topic words such as "digital" or
/// "price") for nothing.
const MIN_GAIN: f64 = 0.002;

fn learn_english(data: &Path, lexicon_dir: &Path) -> Result<PathBuf, String> {
    let (examples, vocab) = read_english(data)?;
    if examples.is_empty() {
        return Err("no VADER tuning texts found".into());
    }
    // Inner check within the tuning part: learn on four folds, score the
    // fifth with the real scorer, and keep the evidence threshold whose
    // scores follow the human ratings best.
    let mut report = Vec::new();
    let mut best = (f64::NEG_INFINITY, (6, f64::INFINITY));
    for candidate in CANDIDATES {
        let (min_texts, min_t) = candidate;
        let mut scored = Vec::new();
        let mut sizes = 0;
        for fold in 0..5 {
            let train: Vec<&Example> = examples.iter().filter(|e| e.fold != fold).collect();
            let fit = learn_words(&train, &vocab, candidate);
            sizes += fit.words.len();
            let s = scorer(table_body(&fit.words, 0.0));
            for e in examples.iter().filter(|e| e.fold == fold) {
                scored.push((e.set, s.score(&e.text) as f64, e.rating));
            }
        }
        let r = mean_pearson(&scored);
        report.push(format!(
            "n >= {min_texts}, t >= {min_t}: {} words, r {r:.4}",
            sizes / 5
        ));
        eprintln!(
            "en inner check: n >= {min_texts}, t >= {min_t}: {} words per fold, mean r {r:.4}",
            sizes / 5
        );
        if best.0 == f64::NEG_INFINITY || r > best.0 + MIN_GAIN {
            best = (r, candidate);
        }
    }
    let (min_texts, min_t) = best.1;
    let all: Vec<&Example> = examples.iter().collect();
    let fit = learn_words(&all, &vocab, best.1);
    // The neutral band: the one that gives the best mean macro-F1 over the
    // four sets' tuning parts, scored with the final table.
    let s = scorer(table_body(&fit.words, 0.0));
    let scored: Vec<(usize, usize, f64)> = examples
        .iter()
        .map(|e| (e.set, e.label, s.score(&e.text) as f64))
        .collect();
    let (mut band, mut band_f1) = (0.05, mean_macro_f1(&scored, 0.05));
    let default_f1 = band_f1;
    for step in 5..=60 {
        let b = step as f64 / 100.0;
        let f1 = mean_macro_f1(&scored, b);
        if f1 > band_f1 + MIN_GAIN {
            (band, band_f1) = (b, f1);
        }
    }
    let per_set: Vec<String> = VADER_SETS
        .iter()
        .enumerate()
        .map(|(i, name)| format!("{name} {}", examples.iter().filter(|e| e.set == i).count()))
        .collect();
    let mut out = String::new();
    writeln!(
        out,
        "# English word weights LEARNED by repmon's own code: generated, do not edit by hand.\n\
         # Made by: cargo run --release -p repmon-mentions --example learn_lexicon -- en\n\
         # on {} from the tuning part (FNV-1a-64(id) % 5 == 0) of the VADER ground-truth sets\n\
         # (Hutto & Gilbert, ICWSM 2014; cjhutto/vaderSentiment @ 44fc044, licence MIT), texts:\n\
         # {}; read at generation time, not shipped.\n\
         # Fit: human rating = {:.2} + {:.2} x (hand-lexicon score), then a ridge regression (penalty\n\
         # {RIDGE_EN}) of what that leaves (sd {:.2}) on the words the hand lexicon does not know (seen\n\
         # in >= {min_texts} texts; a word within 3 after a negation is its own feature). Kept: |weight| >=\n\
         # {MIN_WEIGHT} and evidence |t| >= {min_t} (weight = the word weight that alone moves the score by\n\
         # coefficient / b), leaning the same way in >= 2 of the 4 sets (>= {CROSS_SET_TEXTS} texts each) and\n\
         # against it in none. The thresholds were chosen by a 5-fold check inside the tuning part\n\
         # (mean Pearson r over the four sets, real scorer; a choice must beat no words by {MIN_GAIN}): {}.\n\
         # Neutral band: raw scores within +-{band:.2} are neutral, chosen on the same tuning part for\n\
         # the best mean macro-F1 over the four sets, again by {MIN_GAIN} at least ({band_f1:.3}; {default_f1:.3} at +-0.05).\n\
         # Hand entries in en.tsv override.\n\
         # word<TAB>weight, -4..=+4",
        today(),
        per_set.join(", "),
        fit.a,
        fit.b,
        fit.sigma,
        report.join("; "),
    )
    .ok();
    out.push_str(&table_body(&fit.words, band));
    let path = lexicon_dir.join("en_learned.tsv");
    std::fs::write(&path, out).map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!(
        "en: {} texts, {} words kept at n >= {min_texts}, t >= {min_t}; neutral band {band:.2} (mean macro-F1 {band_f1:.3}, {default_f1:.3} at 0.05)",
        examples.len(),
        fit.words.len(),
    );
    Ok(path)
}

/// Solves (XᵀX + λI) w = Xᵀy by conjugate gradients, X being 0/1 rows given
/// as the indices of their ones.
fn ridge(rows: &[Vec<usize>], y: &[f64], dims: usize, lambda: f64) -> Vec<f64> {
    let apply = |v: &[f64], out: &mut [f64]| {
        for (o, x) in out.iter_mut().zip(v) {
            *o = lambda * x;
        }
        for row in rows {
            let dot: f64 = row.iter().map(|&j| v[j]).sum();
            for &j in row {
                out[j] += dot;
            }
        }
    };
    let mut b = vec![0.0; dims];
    for (row, &yi) in rows.iter().zip(y) {
        for &j in row {
            b[j] += yi;
        }
    }
    let mut w = vec![0.0; dims];
    let mut r = b.clone();
    let mut p = r.clone();
    let mut ap = vec![0.0; dims];
    let mut rr: f64 = r.iter().map(|x| x * x).sum();
    for _ in 0..500 {
        if rr < 1e-10 {
            break;
        }
        apply(&p, &mut ap);
        let alpha = rr / p.iter().zip(&ap).map(|(a, b)| a * b).sum::<f64>();
        for j in 0..dims {
            w[j] += alpha * p[j];
            r[j] -= alpha * ap[j];
        }
        let next: f64 = r.iter().map(|x| x * x).sum();
        for j in 0..dims {
            p[j] = r[j] + next / rr * p[j];
        }
        rr = next;
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dutch_attributive_forms() {
        for (a, e) in [
            ("snel", Some("snelle")),
            ("dom", Some("domme")),
            ("wit", Some("witte")),
            ("simpel", Some("simpele")),
            ("lekker", Some("lekkere")),
            ("blauw", Some("blauwe")),
            ("banaal", Some("banale")),
            ("actief", Some("actieve")),
            ("geniaal", Some("geniale")),
            ("groot", Some("grote")),
            ("lief", Some("lieve")),
            ("boos", Some("boze")),
            ("handig", Some("handige")),
            ("mooi", Some("mooie")),
            ("vrolijk", Some("vrolijke")),
            ("interessant", Some("interessante")),
            ("gebroken", None),
        ] {
            assert_eq!(dutch_e_form(a).as_deref(), e, "{a}");
        }
    }
}
