//! `repmon rematch`: re-applies the companies' current rules (terms,
//! context, exclude, query) and the current scorer to every document already
//! fetched, so a better rule counts history too, without polling again.
//!
//! Two walks: the stored mentions, then the documents kept without one
//! (`[store] keep_unmatched`, 90 days by default). A mention that names no
//! company any more is kept as such a document, so widening the rules again
//! brings it back; a kept document that names a company now becomes a
//! mention, unless it copies a post already stored (the same post in
//! another feed), as when it is polled.

use crate::app::App;
use crate::ingest::{Fate, sort_out_copies, without_copies};
use crate::{Failure, Outcome};
use repmon_config::Config;
use repmon_mentions::{Analyzed, Analyzer};
use repmon_store::WriteStats;
use std::collections::HashSet;
use std::io::{IsTerminal as _, Write as _};

/// Documents analysed and written per store commit.
const BATCH: usize = 500;

/// What a rematch changed.
#[derive(Debug, Default)]
struct Rematched {
    /// Stored mentions walked.
    mentions: u64,
    stats: WriteStats,
    /// Mentions that name no tracked company any more.
    removed: u64,
    /// Kept documents without a mention walked.
    kept: u64,
    /// Of those, documents that name a company now.
    found: usize,
    /// Of those, copies of a post already stored.
    copies: usize,
}

/// `repmon rematch`: see the module docs. Progress goes to stderr, the
/// summary to stdout.
pub async fn rematch(config: Config) -> Outcome {
    let app = App::open(config)?;
    let analyzer = Analyzer::new(&app.config.companies);
    let since = app.config.store.keep_unmatched_since(chrono::Utc::now());
    let done = app
        .blocking(move |store, _| {
            store.prune_unmatched(since)?;
            let total = store.mention_count()? + store.unmatched_count()?;
            // Each walk reads one snapshot; what is written meanwhile is not
            // walked again (the demoted mentions are skipped by id).
            let mut progress = Progress::new(total);
            let mut r = Rematched::default();
            let mut demoted: HashSet<String> = HashSet::new();
            store.for_each_mention(BATCH, |batch| {
                r.mentions += batch.len() as u64;
                let mut keep = Vec::with_capacity(batch.len());
                let mut gone = Vec::new();
                for old in batch {
                    match analyzer.mention_or_document(old.doc) {
                        Analyzed::Mention(m) => keep.push(m),
                        Analyzed::NoMention(doc) => gone.push(doc),
                    }
                }
                let stats = store.write_mentions(&keep)?;
                r.stats.added += stats.added;
                r.stats.updated += stats.updated;
                r.stats.unchanged += stats.unchanged;
                r.removed += store.demote_mentions(&gone, since)?;
                demoted.extend(gone.into_iter().map(|d| d.id));
                progress.show(r.mentions);
                Ok(())
            })?;
            store.for_each_unmatched(BATCH, |batch| {
                let mut found = Vec::new();
                for doc in batch {
                    if demoted.contains(&doc.id) {
                        continue;
                    }
                    r.kept += 1;
                    if let Analyzed::Mention(m) = analyzer.mention_or_document(doc) {
                        found.push(m);
                    }
                }
                let fates = sort_out_copies(store, &found)?;
                let count = |fate: Fate| fates.iter().filter(|f| **f == fate).count();
                // A document both kept and a mention (a crash between the two
                // steps of a demotion) is no new mention.
                r.found += count(Fate::New);
                r.copies += count(Fate::Copy);
                store.write_mentions(&without_copies(found, &fates))?;
                progress.show(r.mentions + r.kept);
                Ok(())
            })?;
            progress.finish(r.mentions + r.kept);
            Ok(r)
        })
        .await
        .map_err(|e| Failure::Runtime(e.context("rematch stopped")))?;
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    println!(
        "rematched {} stored mentions: {} changed, {} unchanged, {} removed (they name no tracked company any more; kept for a later rematch)",
        done.mentions,
        done.stats.updated + done.stats.added,
        done.stats.unchanged,
        done.removed
    );
    println!(
        "searched {} documents kept without a mention: {}{}",
        done.kept,
        plural(done.found, "new mention", "new mentions"),
        if done.copies > 0 {
            format!(
                ", and {} of a post already stored",
                plural(done.copies, "copy", "copies")
            )
        } else {
            String::new()
        }
    );
    Ok(())
}

/// A one-line counter on stderr, rewritten in place on a terminal and
/// printed every tenth of the way otherwise (so logs stay short).
struct Progress {
    total: u64,
    tty: bool,
    next_step: u64,
}

impl Progress {
    fn new(total: u64) -> Self {
        Progress {
            total,
            tty: std::io::stderr().is_terminal(),
            next_step: 0,
        }
    }

    fn show(&mut self, seen: u64) {
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\rrematching: {seen}/{} documents", self.total);
            let _ = err.flush();
        } else if seen >= self.next_step {
            let _ = writeln!(err, "rematching: {seen}/{} documents", self.total);
            self.next_step = seen + (self.total / 10).max(1);
        }
    }

    fn finish(&mut self, seen: u64) {
        if self.tty {
            let _ = writeln!(
                std::io::stderr(),
                "\rrematching: {seen}/{} documents, done",
                self.total
            );
        }
    }
}
