//! The digest: an email (text and HTML) with the top-x table and each
//! company's movement since the last digest, the biggest risers and fallers
//! with their reasons, and the week's most important mentions with links.
//!
//! [`compose`] gathers from the monitor and lays out with [`render`], which is
//! pure so the layout can be checked on constructed rankings. [`send`] speaks
//! SMTP; [`mark_sent`] remembers the table a digest showed, so the next one
//! shows movement since then; [`next_run`] reads the schedule.
//!
//! Everything scraped (mention titles, excerpts, authors, and the topics
//! quoted in reasons) is untrusted: the HTML part is rendered with
//! auto-escaping and links are only made from http(s) URLs.

mod layout;
#[cfg(feature = "testing")]
pub mod testing;

use chrono::{DateTime, Utc};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use repmon_config::Config;
use repmon_monitor::{CompanyRef, MentionSummary, Monitor, MonitorError, Ranking};
use repmon_store::{Store, StoreError, Table};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::time::Duration;

pub use layout::{DigestData, render};

/// The `Table::Meta` key of the last digest sent.
pub const LAST_SENT_KEY: &str = "digest.last_sent";

/// How many risers and how many fallers a digest names.
pub const MOVERS: usize = 3;

/// How many mentions each named mover contributes to "mentions of the week".
const MENTIONS_PER_MOVER: usize = 2;

/// How long one SMTP exchange may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// A composed digest.
#[derive(Debug, Clone, PartialEq)]
pub struct Email {
    pub subject: String,
    /// The plain-text part (what `repmon digest preview` prints).
    pub text: String,
    /// The HTML part; every scraped string in it is escaped.
    pub html: String,
}

/// What a digest that went out showed, kept so the next one can show movement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastDigest {
    pub sent_at: DateTime<Utc>,
    pub ranking: Ranking,
}

/// A mention the digest highlights, with the company it is shown for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyMention {
    pub company: CompanyRef,
    pub mention: MentionSummary,
}

/// Why composing or sending a digest failed.
#[derive(Debug, thiserror::Error)]
pub enum DigestError {
    #[error(transparent)]
    Monitor(#[from] MonitorError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("digest template: {0}")]
    Template(String),
    /// A bad `digest.from` / `digest.to` address or message.
    #[error("digest message: {0}")]
    Message(String),
    /// The SMTP server could not be reached or refused the message.
    #[error("sending the digest by SMTP failed: {0}")]
    Smtp(String),
}

/// Builds the digest for `now`: the top-x table (`config.ranking.top`, window
/// `config.ranking.window`) with each company's movement since the last
/// digest (the ranking kept by [`mark_sent`], else `previous_rank`), the
/// biggest risers and fallers with their reasons, and the week's most
/// important mentions with links (the top positive mentions of the risers,
/// the top negative ones of the fallers). The subject names the ISO week in
/// the digest's time zone, e.g. "repmon weekly digest — week 47, 2026".
pub fn compose(
    monitor: &Monitor,
    store: &Store,
    config: &Config,
    now: DateTime<Utc>,
) -> Result<Email, DigestError> {
    let window = config.ranking.window.chrono();
    // The whole table, so a company that fell out of the top-x still shows as a faller.
    let all = config.companies.len().max(config.ranking.top);
    let ranking = monitor.ranking(now, window, all)?;
    let last = last_sent(store)?;
    let (risers, fallers) = layout::movers(&ranking, last.as_ref());
    let mut seen = HashSet::new();
    let mut mentions = Vec::new();
    for (movers, positive) in [(&risers, true), (&fallers, false)] {
        for m in movers.iter() {
            let Some(report) = monitor.company(&m.entry.company.id, now, window)? else {
                continue;
            };
            let list = if positive {
                &report.top_positive
            } else {
                &report.top_negative
            };
            for mention in list
                .iter()
                .filter(|x| seen.insert(x.id.clone()))
                .take(MENTIONS_PER_MOVER)
            {
                mentions.push(KeyMention {
                    company: report.company.clone(),
                    mention: mention.clone(),
                });
            }
        }
    }
    render(&DigestData {
        ranking: &ranking,
        top: config.ranking.top,
        last: last.as_ref(),
        mentions: &mentions,
        base_url: &config.server.base_url(),
        tz: config.digest.as_ref().map_or(chrono_tz::UTC, |d| d.tz()),
        now,
    })
}

/// The last digest sent, if any.
pub fn last_sent(store: &Store) -> Result<Option<LastDigest>, DigestError> {
    Ok(store.get(Table::Meta, LAST_SENT_KEY)?)
}

/// Sends a multipart/alternative (text + HTML) email by SMTP to `digest.to`:
/// `smtp://` = plain or opportunistic STARTTLS (`?tls=required` insists),
/// `smtps://` = TLS from the start; `user:pass@` in the URL logs in.
pub async fn send(digest: &repmon_config::Digest, email: &Email) -> Result<(), DigestError> {
    let address = |key: &str, a: &str| {
        a.parse::<Mailbox>()
            .map_err(|e| DigestError::Message(format!("digest.{key} {a:?}: {e}")))
    };
    let mut builder = Message::builder()
        .from(address("from", &digest.from)?)
        .subject(&email.subject);
    for to in &digest.to {
        builder = builder.to(address("to", to)?);
    }
    let message = builder
        .multipart(MultiPart::alternative_plain_html(
            email.text.clone(),
            email.html.clone(),
        ))
        .map_err(|e| DigestError::Message(e.to_string()))?;
    let transport = transport(&digest.smtp_url)?;
    let response = transport
        .send(message)
        .await
        .map_err(|e| DigestError::Smtp(error_chain(&e)))?;
    tracing::info!(
        recipients = digest.to.len(),
        server = %redact(&digest.smtp_url),
        response = %response.message().collect::<Vec<_>>().join(" "),
        "digest sent"
    );
    Ok(())
}

fn transport(smtp_url: &str) -> Result<AsyncSmtpTransport<Tokio1Executor>, DigestError> {
    let bad = |e: &dyn std::fmt::Display| DigestError::Smtp(format!("{}: {e}", redact(smtp_url)));
    let url = url::Url::parse(smtp_url).map_err(|e| bad(&e))?;
    let mut builder =
        AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url).map_err(|e| bad(&e))?;
    // lettre reads plain smtp:// as "never TLS"; upgrading when the server offers it is safer.
    if url.scheme() == "smtp" && !url.query_pairs().any(|(k, _)| k == "tls") {
        let host = url.host_str().unwrap_or_default().to_string();
        builder = builder.tls(Tls::Opportunistic(
            TlsParameters::new(host).map_err(|e| bad(&e))?,
        ));
    }
    Ok(builder.timeout(Some(SMTP_TIMEOUT)).build())
}

/// The SMTP URL without its password, for messages.
fn redact(smtp_url: &str) -> String {
    match url::Url::parse(smtp_url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "the SMTP URL".into(),
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let next = c.to_string();
        if !s.contains(&next) {
            s.push_str(": ");
            s.push_str(&next);
        }
        cur = c.source();
    }
    s
}

/// Remembers that a digest went out at `now` with this ranking (in
/// `Table::Meta`), so the next digest shows movement since this one. Pass the
/// whole table, not only the top-x, so every company's movement is known.
pub fn mark_sent(store: &Store, ranking: &Ranking, now: DateTime<Utc>) -> Result<(), DigestError> {
    store.put(
        Table::Meta,
        LAST_SENT_KEY,
        &LastDigest {
            sent_at: now,
            ranking: ranking.clone(),
        },
    )?;
    Ok(())
}

/// The next scheduled time after `after`, from `digest.schedule` in
/// `digest.timezone`. None when the schedule never fires again (or is not a
/// valid five-field cron, which a loaded config rules out).
pub fn next_run(digest: &repmon_config::Digest, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if digest.schedule.split_whitespace().count() != 5 {
        return None;
    }
    let cron: croner::Cron = digest.schedule.parse().ok()?;
    let local = after.with_timezone(&digest.tz());
    cron.find_next_occurrence(&local, false)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}
