//! `repmon rematch`: re-applies the companies' current rules (terms,
//! context, exclude, query) and the current scorer to every stored document,
//! so a better rule counts history too, without polling again.
//!
//! Only documents that were stored can be re-matched: a document that named
//! no tracked company when it was fetched was never kept.

use crate::app::App;
use crate::{Failure, Outcome};
use repmon_config::Config;
use repmon_mentions::Analyzer;
use repmon_store::WriteStats;
use std::io::{IsTerminal as _, Write as _};

/// Documents analysed and written per store commit.
const BATCH: usize = 500;

/// What a rematch changed.
#[derive(Debug, Default)]
struct Rematched {
    seen: u64,
    stats: WriteStats,
    /// Documents that no longer name any tracked company.
    removed: u64,
}

/// `repmon rematch`: see the module docs. Progress goes to stderr, the
/// summary to stdout.
pub async fn rematch(config: Config) -> Outcome {
    let app = App::open(config)?;
    let analyzer = Analyzer::new(&app.config.companies);
    let done = app
        .blocking(move |store, _| {
            let total = store.mention_count()?;
            // One snapshot is walked; what is written meanwhile is not walked again.
            let mut progress = Progress::new(total);
            let mut r = Rematched::default();
            store.for_each_mention(BATCH, |batch| {
                r.seen += batch.len() as u64;
                let mut keep = Vec::with_capacity(batch.len());
                let mut gone = Vec::new();
                for old in batch {
                    let id = old.doc.id.clone();
                    match analyzer.analyze(old.doc) {
                        Some(m) => keep.push(m),
                        None => gone.push(id),
                    }
                }
                let stats = store.write_mentions(&keep)?;
                r.stats.added += stats.added;
                r.stats.updated += stats.updated;
                r.stats.unchanged += stats.unchanged;
                r.removed += store.delete_mentions(&gone)?;
                progress.show(r.seen);
                Ok(())
            })?;
            progress.finish(r.seen);
            Ok(r)
        })
        .await
        .map_err(|e| Failure::Runtime(e.context("rematch stopped")))?;
    println!(
        "rematched {} stored documents: {} changed, {} unchanged, {} removed (they name no tracked company any more)",
        done.seen,
        done.stats.updated + done.stats.added,
        done.stats.unchanged,
        done.removed
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
