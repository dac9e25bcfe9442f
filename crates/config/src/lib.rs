//! repmon's configuration: one TOML file, every key overridable from the
//! environment as `REPMON_<SECTION>__<KEY>`, checked as a whole before
//! anything runs.
//!
//! Loading happens in two passes on purpose. The file is first read on its
//! own with `toml`, which knows lines and columns, so a typo is reported as
//! `config/repmon.toml:12:1: companies[0].trems: unknown field ...`. Then the
//! `config` crate layers the environment over the file and the merged result
//! is deserialized and validated again. Unknown keys are an error in both
//! passes, including unknown `REPMON_*` variables.

mod duration;
pub mod query;
mod validate;

pub use duration::{ByteSize, Duration};

use repmon_model::SourceKind;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

/// The default config file, relative to the working directory.
pub const DEFAULT_PATH: &str = "config/repmon.toml";
/// The environment variable that names another config file.
pub const PATH_ENV: &str = "REPMON_CONFIG";

/// A config problem, told in one line that names the file, the key and what
/// is wrong (and the line and column when the parser knows them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    /// Dotted path of the key, e.g. `sources[2].url`, or the environment
    /// variable the value came from. Empty when the whole file is at fault.
    pub key: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let (Some(line), Some(col)) = (self.line, self.column) {
            write!(f, ":{line}:{col}")?;
        }
        if !self.key.is_empty() {
            write!(f, ": {}", self.key)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

/// The whole configuration, as documented in SPEC.md.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where the index and the state store live; created if missing.
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    #[serde(default)]
    pub server: Server,
    #[serde(default)]
    pub poll: Poll,
    #[serde(default)]
    pub ranking: Ranking,
    #[serde(default)]
    pub store: Store,
    #[serde(default)]
    pub companies: Vec<Company>,
    #[serde(default)]
    pub sources: Vec<Source>,
    #[serde(default)]
    pub webhooks: Vec<Webhook>,
    #[serde(default)]
    pub digest: Option<Digest>,
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("data")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Server {
    #[serde(default = "default_listen")]
    pub listen: String,
    /// When non-empty, `/api` requires `Authorization: Bearer <token>`.
    #[serde(default)]
    pub api_tokens: Vec<String>,
    /// The address people reach the web page at, for links in webhooks and
    /// the digest. Defaults to `http://<listen>`.
    #[serde(default)]
    pub public_url: Option<String>,
}

fn default_listen() -> String {
    "127.0.0.1:7070".into()
}

impl Default for Server {
    fn default() -> Self {
        Self {
            listen: default_listen(),
            api_tokens: Vec::new(),
            public_url: None,
        }
    }
}

impl Server {
    /// Base URL for links to the web page, without a trailing slash.
    pub fn base_url(&self) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.listen),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Poll {
    #[serde(default = "default_interval")]
    pub interval: Duration,
    #[serde(default = "default_timeout")]
    pub timeout: Duration,
    #[serde(default = "default_max_body")]
    pub max_body: ByteSize,
    /// `<version>` in it is replaced by repmon's version.
    #[serde(default = "default_user_agent")]
    pub user_agent: String,
    #[serde(default = "default_host_concurrency")]
    pub host_concurrency: usize,
    #[serde(default = "default_host_delay")]
    pub host_delay: Duration,
}

fn default_interval() -> Duration {
    Duration::from_secs(15 * 60)
}
fn default_timeout() -> Duration {
    Duration::from_secs(30)
}
fn default_max_body() -> ByteSize {
    ByteSize(8 * 1024 * 1024)
}
fn default_user_agent() -> String {
    "repmon/<version>".into()
}
fn default_host_concurrency() -> usize {
    2
}
fn default_host_delay() -> Duration {
    Duration::from_secs(1)
}

impl Default for Poll {
    fn default() -> Self {
        Self {
            interval: default_interval(),
            timeout: default_timeout(),
            max_body: default_max_body(),
            user_agent: default_user_agent(),
            host_concurrency: default_host_concurrency(),
            host_delay: default_host_delay(),
        }
    }
}

impl Poll {
    /// The User-Agent header with the version filled in.
    pub fn user_agent(&self) -> String {
        self.user_agent
            .replace("<version>", env!("CARGO_PKG_VERSION"))
    }
}

/// `[store]`: what the data directory keeps besides the mentions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Store {
    /// Documents that name no tracked company are kept this long (by their
    /// published time), so that `repmon rematch` finds a company added or
    /// widened later in what was already fetched. `0s` keeps none.
    #[serde(default = "default_keep_unmatched")]
    pub keep_unmatched: Duration,
}

fn default_keep_unmatched() -> Duration {
    Duration::from_secs(90 * 86_400)
}

impl Default for Store {
    fn default() -> Self {
        Self {
            keep_unmatched: default_keep_unmatched(),
        }
    }
}

impl Store {
    /// The oldest published time of a document without a mention still
    /// kept at `now`; with `keep_unmatched = "0s"`, none is kept.
    pub fn keep_unmatched_since(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> chrono::DateTime<chrono::Utc> {
        if self.keep_unmatched.std().is_zero() {
            return chrono::DateTime::<chrono::Utc>::MAX_UTC;
        }
        now.checked_sub_signed(self.keep_unmatched.chrono())
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ranking {
    /// The ranking compares this window with the one before it.
    #[serde(default = "default_window")]
    pub window: Duration,
    #[serde(default = "default_top")]
    pub top: usize,
    /// Re-rank at least this often (and after every poll round that added mentions).
    #[serde(default = "default_recompute")]
    pub recompute: Duration,
    /// How much each score component counts (docs/ranking.md says why).
    #[serde(default)]
    pub weights: RankingWeights,
    /// Sentiment smoothing: a company's net sentiment counts as this many
    /// mentions at the typical company's value.
    #[serde(default = "default_sentiment_prior")]
    pub sentiment_prior: f64,
}

/// `[ranking.weights]`: the score is the weighted mean of its components, so
/// only the ratios matter.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RankingWeights {
    pub vibe: f64,
    pub buzz: f64,
    pub reach: f64,
    /// Counts only for companies with complaints in threads.
    pub webcare: f64,
    /// Counts only for companies with review ratings in the window.
    pub reviews: f64,
    /// The change against the window before, centred on zero: it adds to or
    /// takes from the score, and is 0 for a steady company or one without
    /// data in the window before.
    pub momentum: f64,
}

impl Default for RankingWeights {
    fn default() -> Self {
        RankingWeights {
            vibe: 0.5,
            buzz: 0.3,
            reach: 0.2,
            webcare: 0.15,
            reviews: 0.15,
            momentum: 0.2,
        }
    }
}

fn default_sentiment_prior() -> f64 {
    10.0
}

fn default_window() -> Duration {
    Duration::from_secs(7 * 86_400)
}
fn default_top() -> usize {
    20
}
fn default_recompute() -> Duration {
    Duration::from_secs(5 * 60)
}

impl Default for Ranking {
    fn default() -> Self {
        Self {
            window: default_window(),
            top: default_top(),
            recompute: default_recompute(),
            weights: RankingWeights::default(),
            sentiment_prior: default_sentiment_prior(),
        }
    }
}

/// A tracked company and the rules that decide when a text is about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Company {
    /// Stable id, `[a-z0-9-]+`.
    pub id: String,
    pub name: String,
    /// Aliases, matched as whole words.
    pub terms: Vec<String>,
    #[serde(default)]
    pub case_sensitive: bool,
    /// For an ambiguous term: one of these must occur in the same document.
    #[serde(default)]
    pub context: Vec<String>,
    /// Phrases that veto a match.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// The company's own handles and author names (owned posts, webcare).
    #[serde(default)]
    pub accounts: Vec<String>,
    /// The company's own sites.
    #[serde(default)]
    pub domains: Vec<String>,
    /// An extra filter in the analysts' syntax (AND/OR/NOT, "phrases",
    /// `"a b"~3`, `a NEAR/3 b`): a document counts for the company only when
    /// its terms match and this query holds on the document's text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
}

/// One place to poll.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub id: String,
    pub kind: SourceKind,
    pub url: String,
    /// Overrides `[poll] interval`.
    #[serde(default)]
    pub interval: Option<Duration>,
    /// A display name; defaults to the id.
    #[serde(default)]
    pub name: Option<String>,
    /// reviews: the company the reviewed page is about.
    #[serde(default)]
    pub company: Option<String>,
    /// mastodon: hashtag timelines to follow.
    #[serde(default)]
    pub tags: Vec<String>,
    /// mastodon: account timelines to follow.
    #[serde(default)]
    pub accounts: Vec<String>,
    /// html: CSS selector of one post.
    #[serde(default)]
    pub item: Option<String>,
    /// html: the post's text, inside `item`.
    #[serde(default)]
    pub body: Option<String>,
    /// html: the post's author, inside `item`.
    #[serde(default)]
    pub author: Option<String>,
    /// html: the post's time: the element's `datetime` attribute, else its text.
    #[serde(default)]
    pub date: Option<String>,
    /// html: the post's permalink: the element's `href`.
    #[serde(default)]
    pub link: Option<String>,
    /// html: the link to the thread's next page.
    #[serde(default)]
    pub next: Option<String>,
    /// html, reviews: the IANA time zone (e.g. "Europe/Amsterdam") of times
    /// the pages write without one; such times are UTC when this is not set.
    #[serde(default)]
    pub timezone: Option<String>,
}

impl Source {
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }

    /// The zone of times written without one: `timezone`, else UTC (a
    /// config that passed validation names a known zone).
    pub fn zone(&self) -> chrono_tz::Tz {
        self.timezone
            .as_deref()
            .and_then(|z| z.trim().parse().ok())
            .unwrap_or(chrono_tz::UTC)
    }
}

/// Event types a webhook may subscribe to.
pub const EVENT_TYPES: &[&str] = &[
    "rank.dropped",
    "rank.exited_top",
    "sentiment.dropped",
    "volume.spike",
    "source.failing",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// The JSON event of SPEC.md.
    #[default]
    Json,
    /// A Slack-style `{"text": ...}` body.
    Slack,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    pub url: String,
    /// Standard Webhooks secret: `whsec_` followed by base64.
    pub secret: String,
    #[serde(default = "default_events")]
    pub events: Vec<String>,
    /// `rank.dropped` fires when a company loses at least this many places.
    #[serde(default = "default_min_places")]
    pub min_places: usize,
    #[serde(default)]
    pub format: WebhookFormat,
    /// Evidence: a company needs at least this many mentions in the window
    /// before it can be said to drop (rank, top or sentiment).
    #[serde(default = "default_min_mentions")]
    pub min_mentions: u64,
    /// `rank.dropped` / `rank.exited_top` also need the score to have fallen
    /// at least this many points (0-100), so neighbours swapping places on
    /// noise raise nothing.
    #[serde(default = "default_min_score_drop")]
    pub min_score_drop: f64,
    /// `sentiment.dropped` fires when net sentiment (-1..1) falls at least
    /// this much below the company's usual level.
    #[serde(default = "default_sentiment_drop")]
    pub sentiment_drop: f64,
    /// `volume.spike` fires when the last hour has at least this many times
    /// the company's hourly baseline ...
    #[serde(default = "default_spike_factor")]
    pub spike_factor: f64,
    /// ... and at least this many mentions.
    #[serde(default = "default_spike_min")]
    pub spike_min: u64,
    /// `source.failing` fires for a source failing longer than this.
    #[serde(default = "default_failing_after")]
    pub failing_after: Duration,
    /// After an event about a company (or source), the same event type
    /// stays quiet about it for this long.
    #[serde(default = "default_cooldown")]
    pub cooldown: Duration,
}

fn default_events() -> Vec<String> {
    vec!["rank.dropped".into()]
}
fn default_min_places() -> usize {
    3
}
fn default_min_mentions() -> u64 {
    10
}
fn default_min_score_drop() -> f64 {
    3.0
}
fn default_sentiment_drop() -> f64 {
    0.3
}
fn default_spike_factor() -> f64 {
    4.0
}
fn default_spike_min() -> u64 {
    10
}
fn default_failing_after() -> Duration {
    Duration::from_secs(6 * 3600)
}
fn default_cooldown() -> Duration {
    Duration::from_secs(12 * 3600)
}

impl Webhook {
    /// The signing key: the secret's bytes after `whsec_`, base64-decoded.
    /// Validation guarantees this succeeds for a loaded config.
    pub fn key(&self) -> Vec<u8> {
        validate::webhook_key(&self.secret).unwrap_or_default()
    }

    pub fn wants(&self, event_type: &str) -> bool {
        self.events.iter().any(|e| e == event_type)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Digest {
    /// Five-field cron, in `timezone`.
    #[serde(default = "default_schedule")]
    pub schedule: String,
    #[serde(default = "default_timezone")]
    pub timezone: String,
    /// `smtp://` (plain or STARTTLS) or `smtps://`; `user:pass@` allowed.
    pub smtp_url: String,
    pub from: String,
    pub to: Vec<String>,
}

fn default_schedule() -> String {
    "0 8 * * MON".into()
}
fn default_timezone() -> String {
    "Europe/Amsterdam".into()
}

impl Digest {
    /// The parsed time zone (validated on load).
    pub fn tz(&self) -> chrono_tz::Tz {
        self.timezone
            .parse()
            .unwrap_or(chrono_tz::Europe::Amsterdam)
    }

    /// The parsed schedule (validated on load).
    pub fn cron(&self) -> croner::Cron {
        validate::parse_cron(&self.schedule).expect("schedule validated on load")
    }
}

impl Config {
    /// Where the config file is: `--config`, else `$REPMON_CONFIG`, else the default.
    pub fn resolve_path(explicit: Option<&Path>) -> PathBuf {
        if let Some(p) = explicit {
            return p.to_path_buf();
        }
        match std::env::var_os(PATH_ENV) {
            Some(p) if !p.is_empty() => PathBuf::from(p),
            _ => PathBuf::from(DEFAULT_PATH),
        }
    }

    /// Reads, merges with the process environment, and validates.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        Self::load_with_env(path, &env)
    }

    /// As [`Config::load`], with the environment given explicitly (for tests).
    pub fn load_with_env(path: &Path, env: &[(String, String)]) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.to_path_buf(),
            key: String::new(),
            line: None,
            column: None,
            message: format!("cannot read the config file: {e}"),
        })?;
        Self::from_toml_with_env(path, &text, env)
    }

    /// Parses config text as if read from `path` (used in messages).
    pub fn from_toml_with_env(
        path: &Path,
        text: &str,
        env: &[(String, String)],
    ) -> Result<Config, ConfigError> {
        // Pass 1: the file alone, for errors with line and column.
        let parsed: Config = parse_file(path, text)?;
        // Pass 2: the environment layered over the file.
        let config = match overrides(env) {
            overrides if overrides.is_empty() => parsed,
            overrides => merge_env(path, text, &overrides)?,
        };
        validate::check(&config).map_err(|(key, message)| ConfigError {
            file: path.to_path_buf(),
            key,
            line: None,
            column: None,
            message,
        })?;
        Ok(config)
    }
}

fn parse_file(path: &Path, text: &str) -> Result<Config, ConfigError> {
    let de =
        toml::Deserializer::parse(text).map_err(|e| toml_error(path, text, String::new(), &e))?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let key = e.path().to_string();
        let key = if key == "." { String::new() } else { key };
        toml_error(path, text, key, e.inner())
    })
}

fn toml_error(path: &Path, text: &str, key: String, e: &toml::de::Error) -> ConfigError {
    let (line, column) = match e.span() {
        Some(span) => {
            let (l, c) = line_col(text, span.start);
            (Some(l), Some(c))
        }
        None => (None, None),
    };
    ConfigError {
        file: path.to_path_buf(),
        key,
        line,
        column,
        message: e.message().trim().replace('\n', " "),
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

const ENV_PREFIX: &str = "REPMON_";

/// The `REPMON_*` variables that override keys (not `REPMON_CONFIG`, which
/// names the file, nor `REPMON_LOG`, which sets the log filter).
fn overrides(env: &[(String, String)]) -> Vec<(String, String)> {
    env.iter()
        .filter(|(k, _)| k.starts_with(ENV_PREFIX) && k != PATH_ENV && k != "REPMON_LOG")
        .cloned()
        .collect()
}

/// Keys whose environment value is a comma-separated list.
const LIST_KEYS: &[&str] = &["server.api_tokens"];

fn merge_env(path: &Path, text: &str, vars: &[(String, String)]) -> Result<Config, ConfigError> {
    let mut env = config::Environment::with_prefix("REPMON")
        .prefix_separator("_")
        .separator("__")
        .try_parsing(true)
        .list_separator(",")
        .source(Some(vars.iter().cloned().collect()));
    for key in LIST_KEYS {
        env = env.with_list_parse_key(key);
    }
    let merged = config::Config::builder()
        .add_source(config::File::from_str(text, config::FileFormat::Toml))
        .add_source(env)
        .build()
        .and_then(|c| c.try_deserialize::<Config>());
    merged.map_err(|e| {
        let message = e.to_string();
        // Name the variable when the complaint is about one of them.
        let var = vars
            .iter()
            .map(|(k, _)| k)
            .find(|k| {
                let key = k[ENV_PREFIX.len()..]
                    .to_ascii_lowercase()
                    .replace("__", ".");
                let leaf = key.rsplit('.').next().unwrap_or(&key).to_string();
                message.contains(&key) || message.contains(&format!("`{leaf}`"))
            })
            .cloned()
            .unwrap_or_else(|| "environment".into());
        ConfigError {
            file: path.to_path_buf(),
            key: var,
            line: None,
            column: None,
            message,
        }
    })
}

#[cfg(test)]
mod tests;
