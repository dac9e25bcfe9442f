//! What every command opens: the config, the store, and the monitor over it.

use crate::Failure;
use anyhow::Context as _;
use chrono::{DateTime, Utc};
use repmon_config::Config;
use repmon_monitor::Monitor;
use repmon_store::Store;
use std::sync::Arc;

pub struct App {
    pub config: Arc<Config>,
    pub store: Arc<Store>,
    pub monitor: Arc<Monitor>,
}

impl App {
    /// Opens the data directory named in the config (creating it if missing).
    pub fn open(config: Config) -> Result<App, Failure> {
        let dir = config.data_dir.clone();
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
        let store = Store::open(&dir)
            .with_context(|| format!("cannot open the data directory {}", dir.display()))?;
        // Snippets without query words highlight the companies' names.
        store.set_company_terms(
            config
                .companies
                .iter()
                .map(|c| (c.id.clone(), c.terms.clone()))
                .collect(),
        );
        let store = Arc::new(store);
        let config = Arc::new(config);
        let monitor = Arc::new(Monitor::new(store.clone(), config.clone()));
        Ok(App {
            config,
            store,
            monitor,
        })
    }

    /// Runs blocking store/monitor work off the async threads.
    pub async fn blocking<T, F>(&self, f: F) -> anyhow::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Arc<Store>, &Arc<Monitor>) -> anyhow::Result<T> + Send + 'static,
    {
        let (store, monitor) = (self.store.clone(), self.monitor.clone());
        tokio::task::spawn_blocking(move || f(&store, &monitor))
            .await
            .context("a background task failed")?
    }
}

/// A window length as given on the command line (`7d`), or the config's.
pub fn window(config: &Config, given: Option<&str>) -> Result<chrono::Duration, Failure> {
    match given {
        None => Ok(config.ranking.window.chrono()),
        Some(s) => {
            let d: repmon_config::Duration = s
                .parse()
                .map_err(|e| Failure::Usage(format!("--window: {e}")))?;
            if d.std().is_zero() {
                return Err(Failure::Usage("--window: must be longer than 0s".into()));
            }
            Ok(d.chrono())
        }
    }
}

/// A point in time given as RFC 3339 or as a duration back from now (`7d`).
pub fn time_or_ago(flag: &str, s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, Failure> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    match s.parse::<repmon_config::Duration>() {
        Ok(d) => Ok(now - d.chrono()),
        Err(_) => Err(Failure::Usage(format!(
            "{flag}: {s:?} is neither an RFC 3339 time nor a duration such as 7d"
        ))),
    }
}
