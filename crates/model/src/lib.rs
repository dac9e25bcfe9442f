//! The words every stage of repmon uses for what flows between them.
//!
//! Data moves one way: a source yields [`Document`]s; the mentions stage turns
//! each into a [`Mention`] (which companies it names, and the sentiment toward
//! each); the store indexes mentions; the monitor ranks companies from them.
//! This crate holds only those shapes, so that no stage needs another stage's
//! internals to talk about them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

pub mod hash;
mod health;
pub mod http;
pub use health::{Retired, SourceHealthRecord};

/// What kind of place a document came from; decides how it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// RSS, Atom or JSON Feed: blogs, news, comment feeds.
    Feed,
    /// Forum or board pages read with CSS selectors.
    Html,
    /// Pages carrying schema.org reviews and ratings.
    Reviews,
    /// A Mastodon-compatible instance's public timelines.
    Mastodon,
}

impl SourceKind {
    pub const ALL: [SourceKind; 4] = [Self::Feed, Self::Html, Self::Reviews, Self::Mastodon];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Feed => "feed",
            Self::Html => "html",
            Self::Reviews => "reviews",
            Self::Mastodon => "mastodon",
        }
    }

    /// How a reason sentence names where mentions came from ("on blogs").
    pub fn plural_noun(self) -> &'static str {
        match self {
            Self::Feed => "blogs and news",
            Self::Html => "forums",
            Self::Reviews => "review sites",
            Self::Mastodon => "social media",
        }
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SourceKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!("unknown source kind {s:?} (expected feed, html, reviews or mastodon)")
            })
    }
}

/// One post, article, comment, review or status as a source published it,
/// reduced to plain text. Everything in it is untrusted scraped input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// Stable identity: the same post seen again (or through another source)
    /// gets the same id, so it updates its mention instead of adding one.
    pub id: String,
    /// The id of the configured source it was read from.
    pub source: String,
    pub kind: SourceKind,
    /// Permalink (absolute URL).
    pub url: String,
    pub title: String,
    /// Plain text: HTML already stripped, entities decoded.
    pub body: String,
    pub author: Option<String>,
    /// The time the source states, else the time it was first seen: then
    /// it equals `first_seen`, which is how the store tells a document with
    /// no stated time (and keeps its first date when it is seen again).
    pub published: DateTime<Utc>,
    pub first_seen: DateTime<Utc>,
    /// Language the source declares (feed language, status language), if any.
    pub lang_hint: Option<String>,
    /// The thread this post belongs to (forum thread URL, the article a
    /// comment is on, a status's conversation root), if any.
    pub thread: Option<String>,
    /// The id/URL of the post this one answers, if the source says.
    pub in_reply_to: Option<String>,
    /// The post's place in its thread (1 = opening post), where known.
    pub position: Option<u32>,
    /// A review's star rating, normalised to 1..=5.
    pub rating: Option<f32>,
    /// The company id the source config says the page is about (reviews).
    pub about: Option<String>,
}

impl Document {
    /// A document with what every source knows: its identity, where it came
    /// from, its text and its time (also taken as first seen). The optional
    /// facts (title, author, thread, rating...) are set on the result.
    pub fn new(
        id: impl Into<String>,
        source: impl Into<String>,
        kind: SourceKind,
        url: impl Into<String>,
        body: impl Into<String>,
        published: DateTime<Utc>,
    ) -> Document {
        Document {
            id: id.into(),
            source: source.into(),
            kind,
            url: url.into(),
            title: String::new(),
            body: body.into(),
            author: None,
            published,
            first_seen: published,
            lang_hint: None,
            thread: None,
            in_reply_to: None,
            position: None,
            rating: None,
            about: None,
        }
    }
}

/// The polarity of what a document says about one company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sentiment {
    Positive,
    Negative,
    Neutral,
}

impl Sentiment {
    pub const ALL: [Sentiment; 3] = [Self::Positive, Self::Negative, Self::Neutral];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Positive => "positive",
            Self::Negative => "negative",
            Self::Neutral => "neutral",
        }
    }
}

impl fmt::Display for Sentiment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Sentiment {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| {
                format!("unknown sentiment {s:?} (expected positive, negative or neutral)")
            })
    }
}

/// What one document says about one tracked company.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompanyMention {
    /// The company's configured id.
    pub company: String,
    pub sentiment: Sentiment,
    /// Sentiment strength toward the company, -1.0 ..= 1.0.
    pub score: f32,
    /// Posted by the company itself (one of its accounts or domains): an
    /// owned, not an earned, mention. Webcare answers are owned mentions.
    pub owned: bool,
    /// Content words from the passages about the company (lower case, stop
    /// words left out); the monitor finds the topics behind a move in them.
    pub terms: Vec<String>,
}

impl CompanyMention {
    /// An earned mention of `company` with this score, labelled by the
    /// caller; no terms.
    pub fn new(company: impl Into<String>, sentiment: Sentiment, score: f32) -> CompanyMention {
        CompanyMention {
            company: company.into(),
            sentiment,
            score,
            owned: false,
            terms: Vec::new(),
        }
    }
}

/// A document together with the companies it mentions: the unit that is
/// indexed, counted and ranked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mention {
    pub doc: Document,
    /// Detected language: "nl", "en", or "other".
    pub lang: String,
    /// Every tracked company the document mentions; never empty for a stored mention.
    pub companies: Vec<CompanyMention>,
}

impl Mention {
    /// The part of this mention that concerns `company`, if it names it.
    pub fn about(&self, company: &str) -> Option<&CompanyMention> {
        self.companies.iter().find(|c| c.company == company)
    }
}
