#![allow(dead_code)] // each test binary uses its own part of the support code

//! Running the real `repmon` binary against servers on 127.0.0.1.

pub mod fixtures;
pub mod hostile;
pub mod port;
pub mod receivers;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_repmon");

/// The config the test runs repmon with: five fictional companies, one
/// source of each kind (three feeds) on the fixture web, a webhook and a digest.
pub fn write_config(
    dir: &Path,
    web: &str,
    listen_port: u16,
    hook_url: &str,
    smtp_url: &str,
) -> PathBuf {
    let data = dir.join("data");
    let text = format!(
        r#"
data_dir = "{data}"

[server]
listen = "127.0.0.1:{listen_port}"

[poll]
interval = "1s"
timeout = "5s"
host_concurrency = 4
host_delay = "10ms"

[ranking]
window = "7d"
top = 10
recompute = "1s"

[[companies]]
id = "zon"
name = "Zon Energie"
terms = ["Zon Energie", "Zon"]
case_sensitive = true
context = ["energie", "stroom", "contract"]
exclude = ["de zon schijnt"]

[[companies]]
id = "golf"
name = "Golf Internet"
terms = ["Golf Internet", "Golf"]
case_sensitive = true
context = ["internet", "wifi", "glasvezel", "storing", "router"]

[[companies]]
id = "meeuw"
name = "Meeuw Air"
terms = ["Meeuw Air"]

[[companies]]
id = "snelspoor"
name = "SnelSpoor"
terms = ["SnelSpoor"]
accounts = ["snelspoor"]

[[companies]]
id = "kaaskoning"
name = "KaasKoning"
terms = ["KaasKoning"]

[[sources]]
id = "blog"
kind = "feed"
url = "{web}/blog/feed.xml"

[[sources]]
id = "forum"
kind = "feed"
url = "{web}/forum/atom.xml"

[[sources]]
id = "news"
kind = "feed"
url = "{web}/news/feed.json"

[[sources]]
id = "board"
kind = "html"
url = "{web}/board/t1"
item = "article.post"
body = "div.body"
author = "span.author"
date = "time"
link = "a.permalink"

[[sources]]
id = "reviews"
kind = "reviews"
url = "{web}/reviews/zon"
company = "zon"

[[sources]]
id = "social"
kind = "mastodon"
url = "{web}"
tags = ["snelspoor"]

[[webhooks]]
url = "{hook_url}"
secret = "{secret}"
events = ["rank.dropped"]
min_places = 2

[digest]
schedule = "0 8 * * MON"
timezone = "Europe/Amsterdam"
smtp_url = "{smtp_url}"
from = "repmon@example.org"
to = ["analyst@example.org"]
"#,
        data = data.display(),
        secret = receivers::SECRET,
    );
    let path = dir.join("repmon.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The daemon as a child process; stopped (SIGTERM) when dropped.
pub struct Daemon {
    child: Option<Child>,
    pub log: PathBuf,
}

impl Daemon {
    pub fn start(config: &Path, log: PathBuf) -> Daemon {
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(BIN)
            .arg("--config")
            .arg(config)
            .arg("run")
            .env("REPMON_LOG", "info")
            .stdout(Stdio::null())
            .stderr(out)
            .spawn()
            .expect("start repmon run");
        Daemon {
            child: Some(child),
            log,
        }
    }

    /// SIGTERM, then the exit status (within 30 s).
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("daemon running");
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!(
                    "repmon did not stop within 30s of SIGTERM; log:\n{}",
                    self.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Runs a one-shot command to completion.
pub fn repmon(config: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .expect("run repmon")
}

/// Runs a one-shot command that must succeed; its standard output. A
/// failure shows both outputs.
pub fn repmon_ok(config: &Path, args: &[&str]) -> String {
    let out = repmon(config, args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "repmon {}: {}\n{stdout}\n{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Writes the config of a test that runs one-shot commands (`poll`,
/// `search`, `rematch`...): its data in `data`, then `rest` (companies and
/// sources). Each command polls once, so the interval never comes round.
pub fn write_one_shot_config(path: &Path, data: &Path, rest: &str) {
    let text = format!(
        r#"
data_dir = "{data}"

[poll]
interval = "1h"
timeout = "5s"
host_delay = "10ms"
{rest}"#,
        data = data.display()
    );
    std::fs::write(path, text).unwrap();
}

/// Serves on 127.0.0.1 the router `app` builds for the base URL it will
/// have (`http://127.0.0.1:PORT`, which pages and statuses link to); returns
/// that base URL.
pub async fn serve_web(app: impl FnOnce(&str) -> axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = app(&base);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

/// Polls `check` until it yields a value or `timeout` passes.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    match within(timeout, check).await {
        Some(v) => v,
        None => panic!("timed out after {timeout:?} waiting for {what}"),
    }
}

/// Polls `check` until it yields a value; None when `timeout` passed first.
pub async fn within<T, F, Fut>(timeout: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return Some(v);
        }
        if Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
