//! The polite HTTP fetcher every source shares.
//!
//! Politeness is per host, not per source: ten sources on one forum share one
//! gate, which lets at most `host_concurrency` requests be in flight and
//! spaces the *starts* of requests by `host_delay`. Redirects are followed by
//! hand so that every hop passes the gate of its own host and so a permanent
//! move can be reported to the caller.

use crate::error::{SourceError, human_size, one_line};
use crate::robots::Robots;
use crate::state::Validators;
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderValue};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;
use url::Url;

/// How many redirects in a row are followed before giving up.
pub const MAX_REDIRECTS: usize = 5;

/// How long a host's robots.txt is trusted before it is fetched again.
pub const ROBOTS_TTL: Duration = Duration::from_secs(3600);

/// One host's robots.txt as last read, behind an async lock so that sources
/// on one host wait for a single fetch of it.
type RobotsSlot = Arc<tokio::sync::Mutex<Option<(Instant, Arc<Robots>)>>>;

/// What a feed reader asks for: feeds first, any XML next, anything last
/// (so a misconfigured server still answers and we can say what it sent).
pub(crate) const ACCEPT_FEED: &str = "application/rss+xml, application/atom+xml, application/feed+json, \
     application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8";
pub(crate) const ACCEPT_HTML: &str = "text/html, application/xhtml+xml;q=0.9, */*;q=0.8";
pub(crate) const ACCEPT_JSON: &str = "application/json";

/// Shared by every source: one HTTP client, and per-host limits shared by
/// every source on that host. Cloning gives the same client and the same limits.
#[derive(Clone)]
pub struct Fetcher {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    timeout: Duration,
    /// As the user wrote it (`30s`), for messages.
    timeout_text: String,
    max_body: u64,
    host_concurrency: usize,
    host_delay: Duration,
    hosts: Mutex<HashMap<String, Arc<HostGate>>>,
    /// Per origin (`scheme://host:port`).
    robots: Mutex<HashMap<String, RobotsSlot>>,
}

/// The limits of one host.
struct HostGate {
    in_flight: Semaphore,
    /// The earliest time the next request to this host may start.
    next_start: Mutex<Instant>,
}

impl HostGate {
    /// Waits for a free slot and for this request's turn to start.
    async fn enter(&self, delay: Duration) -> Option<SemaphorePermit<'_>> {
        // The semaphore is never closed, so acquire cannot fail; if it ever
        // did, going ahead without a permit is better than a panic.
        let permit = self.in_flight.acquire().await.ok();
        let start = {
            let mut next = self.next_start.lock().unwrap_or_else(|p| p.into_inner());
            let start = (*next).max(Instant::now());
            // Reserve the start time now, so callers waiting together get
            // distinct, evenly spaced turns.
            *next = start + delay;
            start
        };
        tokio::time::sleep_until(start).await;
        permit
    }
}

/// One successful fetch (after following redirects).
#[derive(Debug)]
pub struct Fetched {
    /// The URL that finally answered.
    pub url: Url,
    /// Set when every redirect on the way was permanent (301/308): where the
    /// source now lives.
    pub moved_permanently: Option<Url>,
    /// The server answered 304: the body is empty and nothing changed.
    pub not_modified: bool,
    /// The body, decompressed; empty on 304.
    pub body: Vec<u8>,
    /// The `Content-Type` header, if sent.
    pub content_type: Option<String>,
    /// The validators to send next time (on a 304, the ones we sent unless
    /// the server sent new ones).
    pub validators: Validators,
    /// HTTP requests made, redirects included.
    pub requests: usize,
    /// Response headers of the final answer.
    pub headers: HeaderMap,
}

enum Hop {
    Done(Box<Fetched>),
    Redirect { status: StatusCode, location: Url },
}

impl Fetcher {
    /// Builds the shared client from the `[poll]` settings.
    pub fn new(poll: &repmon_config::Poll) -> Result<Fetcher, SourceError> {
        let timeout = poll.timeout.std();
        let client = reqwest::Client::builder()
            .user_agent(poll.user_agent())
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout)
            .timeout(timeout)
            .gzip(true)
            .deflate(true)
            .build()
            .map_err(|e| SourceError::Client(one_line(root_cause(&e))))?;
        Ok(Fetcher {
            inner: Arc::new(Inner {
                client,
                timeout,
                timeout_text: poll.timeout.to_string(),
                max_body: poll.max_body.bytes(),
                host_concurrency: poll.host_concurrency.max(1),
                host_delay: poll.host_delay.std(),
                hosts: Mutex::new(HashMap::new()),
                robots: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// GETs `url`, sending `validators` as `If-None-Match` / `If-Modified-Since`,
    /// following up to [`MAX_REDIRECTS`] redirects. A 304 is a success with
    /// `not_modified` set; any other non-2xx status is an error.
    pub async fn get(
        &self,
        url: &Url,
        accept: &str,
        validators: Option<&Validators>,
    ) -> Result<Fetched, SourceError> {
        self.follow(url, accept, validators, false).await
    }

    /// Like [`Fetcher::get`], for web pages: every URL on the way (redirects
    /// included) must be allowed by its host's robots.txt, else the answer
    /// is [`SourceError::Disallowed`]. robots.txt is read once per
    /// [`ROBOTS_TTL`] per host; a missing one (4xx) allows everything.
    pub async fn get_page(
        &self,
        url: &Url,
        accept: &str,
        validators: Option<&Validators>,
    ) -> Result<Fetched, SourceError> {
        self.follow(url, accept, validators, true).await
    }

    async fn follow(
        &self,
        url: &Url,
        accept: &str,
        validators: Option<&Validators>,
        robots: bool,
    ) -> Result<Fetched, SourceError> {
        let mut current = url.clone();
        let mut permanent = true;
        let mut requests = 0;
        // robots.txt fetches count as requests made, not as redirect hops.
        let mut robots_requests = 0;
        loop {
            requests += 1;
            if robots {
                robots_requests += self.check_robots(&current).await?;
            }
            match self.hop(&current, accept, validators).await? {
                Hop::Done(f) => {
                    let mut f = *f;
                    f.requests = requests + robots_requests;
                    if requests > 1 && permanent {
                        f.moved_permanently = Some(current);
                    }
                    return Ok(f);
                }
                Hop::Redirect { status, location } => {
                    if requests > MAX_REDIRECTS {
                        return Err(SourceError::TooManyRedirects {
                            url: url.to_string(),
                            limit: MAX_REDIRECTS,
                        });
                    }
                    permanent &= matches!(
                        status,
                        StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT
                    );
                    current = location;
                }
            }
        }
    }

    /// Fails with [`SourceError::Disallowed`] when robots.txt forbids `url`.
    /// Returns how many requests it took (0 when the cached copy was used).
    async fn check_robots(&self, url: &Url) -> Result<usize, SourceError> {
        let origin = format!(
            "{}://{}:{}",
            url.scheme(),
            url.host_str().unwrap_or(""),
            url.port_or_known_default().unwrap_or(0)
        );
        let slot = {
            let mut all = self.inner.robots.lock().unwrap_or_else(|p| p.into_inner());
            all.entry(origin).or_default().clone()
        };
        let mut cached = slot.lock().await;
        let mut requests = 0;
        let robots = match cached.as_ref() {
            Some((at, r)) if at.elapsed() < ROBOTS_TTL => r.clone(),
            _ => {
                let robots_url = url.join("/robots.txt").map_err(|e| SourceError::BadUrl {
                    url: url.to_string(),
                    cause: one_line(e),
                })?;
                let robots =
                    match Box::pin(self.follow(&robots_url, "text/plain", None, false)).await {
                        Ok(f) => {
                            requests = f.requests;
                            Robots::parse(&String::from_utf8_lossy(&f.body))
                        }
                        // No robots.txt: nothing is forbidden. (429 is "slow
                        // down", not "absent": it falls through as an error.)
                        Err(SourceError::Status { code, .. })
                            if (400..500).contains(&code) && code != 429 =>
                        {
                            requests = 1;
                            Robots::allow_all()
                        }
                        // Unreachable or failing: nothing is fetched from the host
                        // until it answers, and the error says why.
                        Err(e) => return Err(e),
                    };
                let robots = Arc::new(robots);
                *cached = Some((Instant::now(), robots.clone()));
                robots
            }
        };
        drop(cached);
        let path = &url[url::Position::BeforePath..url::Position::AfterQuery];
        if robots.allows(path) {
            Ok(requests)
        } else {
            Err(SourceError::Disallowed {
                url: url.to_string(),
            })
        }
    }

    fn gate(&self, url: &Url) -> Arc<HostGate> {
        let key = format!(
            "{}:{}",
            url.host_str().unwrap_or(""),
            url.port_or_known_default().unwrap_or(0)
        );
        let mut hosts = self.inner.hosts.lock().unwrap_or_else(|p| p.into_inner());
        hosts
            .entry(key)
            .or_insert_with(|| {
                Arc::new(HostGate {
                    in_flight: Semaphore::new(self.inner.host_concurrency),
                    next_start: Mutex::new(Instant::now()),
                })
            })
            .clone()
    }

    async fn hop(
        &self,
        url: &Url,
        accept: &str,
        validators: Option<&Validators>,
    ) -> Result<Hop, SourceError> {
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(SourceError::BadUrl {
                url: url.to_string(),
                cause: "only http and https URLs with a host can be fetched".into(),
            });
        }
        let gate = self.gate(url);
        let _permit = gate.enter(self.inner.host_delay).await;
        // The time limit starts once it is our turn: waiting politely for a
        // busy host is not the server being slow.
        match tokio::time::timeout(self.inner.timeout, self.exchange(url, accept, validators)).await
        {
            Ok(result) => result,
            Err(_) => Err(self.timed_out(url)),
        }
    }

    async fn exchange(
        &self,
        url: &Url,
        accept: &str,
        validators: Option<&Validators>,
    ) -> Result<Hop, SourceError> {
        let mut req = self
            .inner
            .client
            .get(url.clone())
            .header(header::ACCEPT, accept);
        if let Some(v) = validators {
            if let Some(etag) = v
                .etag
                .as_deref()
                .and_then(|e| HeaderValue::from_str(e).ok())
            {
                req = req.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(lm) = v
                .last_modified
                .as_deref()
                .and_then(|e| HeaderValue::from_str(e).ok())
            {
                req = req.header(header::IF_MODIFIED_SINCE, lm);
            }
        }
        let mut resp = req
            .send()
            .await
            .map_err(|e| self.transport_error(url, &e))?;
        let status = resp.status();
        let headers = resp.headers().clone();

        if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
            let location =
                header_text(&headers, header::LOCATION).ok_or_else(|| SourceError::BadContent {
                    url: url.to_string(),
                    cause: format!("answered {status} without a Location to go to"),
                })?;
            let next = url.join(location.trim()).map_err(|e| SourceError::BadUrl {
                url: url.to_string(),
                cause: format!("redirect to {:?}: {e}", one_line(&location)),
            })?;
            return Ok(Hop::Redirect {
                status,
                location: next,
            });
        }

        let new_validators = Validators {
            etag: header_text(&headers, header::ETAG),
            last_modified: header_text(&headers, header::LAST_MODIFIED),
        };
        // Some servers ignore conditional requests and answer 200 with the
        // very validator we sent: nothing changed, so the body is not read.
        let unchanged = status.is_success()
            && validators.is_some_and(|sent| match (&sent.etag, &new_validators.etag) {
                (Some(a), Some(b)) => a == b,
                (None, None) => sent
                    .last_modified
                    .as_ref()
                    .is_some_and(|lm| new_validators.last_modified.as_ref() == Some(lm)),
                _ => false,
            });
        if status == StatusCode::NOT_MODIFIED || unchanged {
            // A 304 may repeat some validators or none; keep what it does not repeat.
            let sent = validators.cloned().unwrap_or_default();
            let validators = Validators {
                etag: new_validators.etag.or(sent.etag),
                last_modified: new_validators.last_modified.or(sent.last_modified),
            };
            return Ok(Hop::Done(Box::new(Fetched {
                url: url.clone(),
                moved_permanently: None,
                not_modified: true,
                body: Vec::new(),
                content_type: header_text(&headers, header::CONTENT_TYPE),
                validators,
                requests: 0,
                headers,
            })));
        }
        if !status.is_success() {
            return Err(SourceError::Status {
                url: url.to_string(),
                status: status.to_string(),
                code: status.as_u16(),
                retry_after: header_text(&headers, header::RETRY_AFTER),
            });
        }

        let limit = self.inner.max_body;
        let too_large = || SourceError::TooLarge {
            url: url.to_string(),
            limit: human_size(limit),
        };
        // Content-Length is the size on the wire; only trust it to say "too big"
        // early, the decompressed count below is what really limits.
        let announced = resp.content_length();
        if announced.is_some_and(|n| n > limit) {
            return Err(too_large());
        }
        let mut body = Vec::with_capacity(announced.unwrap_or(16 * 1024).min(limit) as usize);
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| self.transport_error(url, &e))?
        {
            if (body.len() + chunk.len()) as u64 > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Hop::Done(Box::new(Fetched {
            url: url.clone(),
            moved_permanently: None,
            not_modified: false,
            body,
            content_type: header_text(&headers, header::CONTENT_TYPE),
            validators: new_validators,
            requests: 0,
            headers,
        })))
    }

    fn timed_out(&self, url: &Url) -> SourceError {
        SourceError::Timeout {
            url: url.to_string(),
            after: self.inner.timeout_text.clone(),
        }
    }

    fn transport_error(&self, url: &Url, e: &reqwest::Error) -> SourceError {
        if e.is_timeout() {
            return self.timed_out(url);
        }
        let cause = one_line(root_cause(e));
        if e.is_connect() {
            SourceError::Connect {
                url: url.to_string(),
                cause,
            }
        } else if e.is_decode() || e.is_body() {
            SourceError::Request {
                url: url.to_string(),
                cause: format!("the body could not be read: {cause}"),
            }
        } else {
            SourceError::Request {
                url: url.to_string(),
                cause,
            }
        }
    }
}

/// The innermost error of a chain: "connection refused", not "error sending request".
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// A header's value as text, kept byte-exact when it is ASCII.
pub(crate) fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    let v = headers.get(name)?;
    let s = match v.to_str() {
        Ok(s) => s.to_string(),
        Err(_) => String::from_utf8_lossy(v.as_bytes()).into_owned(),
    };
    Some(s)
}
