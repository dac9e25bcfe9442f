//! `repmon`: the brand reputation monitor's one binary.
//!
//! This crate only wires the stages together; each lives in its own crate:
//! sources → mentions → store → monitor → alerts / digest / api.
//! `run` is the daemon; the other commands do one thing against the same
//! config and data directory and exit.

mod app;
mod commands;
mod daemon;
mod ingest;
mod rematch;
mod table;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "repmon",
    version,
    about = "Brand reputation monitor: polls sources, finds mentions of companies, scores sentiment, ranks."
)]
struct Cli {
    /// Config file [default: $REPMON_CONFIG, else config/repmon.toml]
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon: poll, ingest, re-rank, serve the API and web page, alert, send the digest.
    Run,
    /// One poll round of every source (or one), ingest, re-rank, print a summary, exit.
    Poll {
        /// Poll only this source.
        #[arg(long, value_name = "ID")]
        source: Option<String>,
    },
    /// Print the ranked table of companies.
    Rank {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Window length, e.g. 7d [default: ranking.window]
        #[arg(long)]
        window: Option<String>,
        /// How many companies [default: ranking.top]
        #[arg(long)]
        top: Option<usize>,
        /// Show the table as it stood at this time (RFC 3339, or a duration back from now) from the kept snapshots.
        #[arg(long)]
        at: Option<String>,
    },
    /// Search the mentions (words, "phrases", AND/OR/NOT, field:value).
    Search {
        query: String,
        #[arg(long)]
        company: Option<String>,
        #[arg(long)]
        sentiment: Option<String>,
        /// Only mentions from this source id.
        #[arg(long)]
        source: Option<String>,
        /// RFC 3339 time, or a duration back from now such as 7d.
        #[arg(long)]
        since: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long, value_enum, default_value_t = SearchFormat::Table)]
        format: SearchFormat,
    },
    /// One company: its metrics, trend, reasons and top mentions.
    Company {
        id: String,
        #[arg(long)]
        window: Option<String>,
        #[arg(long, value_enum, default_value_t = SearchFormat::Table)]
        format: SearchFormat,
    },
    /// The weekly digest.
    Digest {
        #[command(subcommand)]
        action: DigestAction,
    },
    /// Validate the config and reach each source once, printing what it returned; changes nothing.
    Check,
    /// Re-apply the companies' current rules to every stored document (no polling).
    Rematch,
    /// Manage sources.
    Sources {
        #[command(subcommand)]
        action: SourcesAction,
    },
}

#[derive(Subcommand)]
enum DigestAction {
    /// Print the digest's text part to stdout.
    Preview,
    /// Send the digest now by SMTP.
    Send,
}

#[derive(Subcommand)]
enum SourcesAction {
    /// Add feeds as sources (appended to the config file): the feeds of an
    /// OPML file, or, given a site's URL, the feed its page names with
    /// <link rel="alternate"> (a feed's own URL is added as it is).
    Import {
        /// FILE.opml, or an http(s) URL.
        from: String,
    },
    /// Write the config's feed sources to stdout as OPML.
    Export,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Clone, Copy, ValueEnum)]
enum SearchFormat {
    Table,
    Json,
}

/// How a command failed, which decides the exit code.
#[derive(Debug)]
enum Failure {
    /// Bad usage or bad config: exit 2.
    Usage(String),
    /// Something went wrong while doing the work: exit 1.
    Runtime(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Runtime(e)
    }
}

impl From<repmon_config::ConfigError> for Failure {
    fn from(e: repmon_config::ConfigError) -> Self {
        Failure::Usage(e.to_string())
    }
}

type Outcome = Result<(), Failure>;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout with exit 0, usage errors with exit 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("repmon: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => {
            eprintln!("repmon: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Runtime(e)) => {
            eprintln!("repmon: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("REPMON_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    use std::io::IsTerminal as _;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
}

async fn dispatch(cli: Cli) -> Outcome {
    let path = repmon_config::Config::resolve_path(cli.config.as_deref());
    let config = repmon_config::Config::load(&path)?;
    match cli.command {
        Command::Run => daemon::run(config).await,
        Command::Poll { source } => commands::poll(config, source.as_deref()).await,
        Command::Rank {
            format,
            window,
            top,
            at,
        } => commands::rank(config, format, window.as_deref(), top, at.as_deref()).await,
        Command::Search {
            query,
            company,
            sentiment,
            source,
            since,
            limit,
            format,
        } => {
            let filters = commands::SearchArgs {
                query,
                company,
                sentiment,
                source,
                since,
                limit,
            };
            commands::search(config, filters, format).await
        }
        Command::Company { id, window, format } => {
            commands::company(config, &id, window.as_deref(), format).await
        }
        Command::Digest {
            action: DigestAction::Preview,
        } => commands::digest(config, false).await,
        Command::Digest {
            action: DigestAction::Send,
        } => commands::digest(config, true).await,
        Command::Check => commands::check(config).await,
        Command::Rematch => rematch::rematch(config).await,
        Command::Sources {
            action: SourcesAction::Import { from },
        } => commands::import_sources(&path, &config, &from).await,
        Command::Sources {
            action: SourcesAction::Export,
        } => commands::export_opml(&config),
    }
}
