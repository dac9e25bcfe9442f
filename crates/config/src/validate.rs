//! Checks that serde cannot express: ids, references between sections,
//! URLs, secrets, schedules, and keys that only fit one source kind.

use crate::{Config, EVENT_TYPES, Source};
use base64::Engine as _;
use repmon_model::SourceKind;
use std::collections::HashSet;

/// (key, problem)
type Problem = (String, String);

pub(crate) fn check(c: &Config) -> Result<(), Problem> {
    if c.data_dir.as_os_str().is_empty() {
        return Err(("data_dir".into(), "must not be empty".into()));
    }
    check_positive("poll.interval", c.poll.interval)?;
    check_positive("poll.timeout", c.poll.timeout)?;
    check_positive("ranking.window", c.ranking.window)?;
    check_positive("ranking.recompute", c.ranking.recompute)?;
    if c.poll.host_concurrency == 0 {
        return Err(("poll.host_concurrency".into(), "must be at least 1".into()));
    }
    if c.poll.max_body.bytes() == 0 {
        return Err(("poll.max_body".into(), "must be more than 0 bytes".into()));
    }
    if c.ranking.top == 0 {
        return Err(("ranking.top".into(), "must be at least 1".into()));
    }
    let w = &c.ranking.weights;
    for (key, v) in [
        ("vibe", w.vibe),
        ("buzz", w.buzz),
        ("reach", w.reach),
        ("webcare", w.webcare),
        ("reviews", w.reviews),
        ("momentum", w.momentum),
    ] {
        if !(v.is_finite() && v >= 0.0) {
            return Err((
                format!("ranking.weights.{key}"),
                "must be a number of 0 or more".into(),
            ));
        }
    }
    if w.vibe + w.buzz + w.reach <= 0.0 {
        return Err((
            "ranking.weights".into(),
            "vibe, buzz and reach cannot all be 0".into(),
        ));
    }
    if !(c.ranking.sentiment_prior.is_finite() && c.ranking.sentiment_prior >= 0.0) {
        return Err((
            "ranking.sentiment_prior".into(),
            "must be a number of mentions, 0 or more".into(),
        ));
    }
    if c.server.listen.parse::<std::net::SocketAddr>().is_err() {
        return Err((
            "server.listen".into(),
            format!(
                "{:?} is not an address to listen on (write e.g. \"127.0.0.1:7070\")",
                c.server.listen
            ),
        ));
    }
    if let Some(u) = &c.server.public_url {
        check_url("server.public_url", u, &["http", "https"])?;
    }

    let mut ids = HashSet::new();
    for (i, co) in c.companies.iter().enumerate() {
        let at = |k: &str| format!("companies[{i}].{k}");
        check_id(&at("id"), &co.id)?;
        if !ids.insert(co.id.as_str()) {
            return Err((at("id"), format!("company id {:?} is used twice", co.id)));
        }
        if co.name.trim().is_empty() {
            return Err((at("name"), "must not be empty".into()));
        }
        if co.terms.is_empty() {
            return Err((
                at("terms"),
                "a company needs at least one term to be matched by".into(),
            ));
        }
        for (list, key) in [
            (&co.terms, "terms"),
            (&co.context, "context"),
            (&co.exclude, "exclude"),
        ] {
            if let Some(j) = list.iter().position(|t| t.trim().is_empty()) {
                return Err((
                    format!("companies[{i}].{key}[{j}]"),
                    "must not be empty".into(),
                ));
            }
        }
        if let Some(q) = &co.query {
            crate::query::parse(q).map_err(|e| (at("query"), format!("{q:?}: {e}")))?;
        }
    }

    let mut source_ids = HashSet::new();
    for (i, s) in c.sources.iter().enumerate() {
        let at = |k: &str| format!("sources[{i}].{k}");
        check_id(&at("id"), &s.id)?;
        if !source_ids.insert(s.id.as_str()) {
            return Err((at("id"), format!("source id {:?} is used twice", s.id)));
        }
        check_url(&at("url"), &s.url, &["http", "https"])?;
        if let Some(iv) = s.interval {
            check_positive(&at("interval"), iv)?;
        }
        check_kind_keys(s).map_err(|(k, m)| (at(&k), m))?;
        if let Some(zone) = &s.timezone {
            if !matches!(s.kind, SourceKind::Html | SourceKind::Reviews) {
                return Err((
                    at("timezone"),
                    format!(
                        "is not a key of a {} source (only html and reviews pages write times without a zone)",
                        s.kind
                    ),
                ));
            }
            if zone.trim().parse::<chrono_tz::Tz>().is_err() {
                return Err((
                    at("timezone"),
                    format!("{zone:?} is not an IANA time zone (e.g. \"Europe/Amsterdam\")"),
                ));
            }
        }
        if let Some(co) = &s.company
            && !ids.contains(co.as_str())
        {
            return Err((
                at("company"),
                format!("{co:?} is not the id of a configured company"),
            ));
        }
    }

    for (i, w) in c.webhooks.iter().enumerate() {
        let at = |k: &str| format!("webhooks[{i}].{k}");
        check_url(&at("url"), &w.url, &["http", "https"])?;
        webhook_key(&w.secret).map_err(|m| (at("secret"), m))?;
        if w.events.is_empty() {
            return Err((
                at("events"),
                "name at least one event type (e.g. \"rank.dropped\")".into(),
            ));
        }
        for (j, e) in w.events.iter().enumerate() {
            if !EVENT_TYPES.contains(&e.as_str()) {
                return Err((
                    format!("webhooks[{i}].events[{j}]"),
                    format!(
                        "unknown event type {e:?} (known: {})",
                        EVENT_TYPES.join(", ")
                    ),
                ));
            }
        }
        if w.min_places == 0 {
            return Err((at("min_places"), "must be at least 1".into()));
        }
        if !(w.min_score_drop.is_finite() && (0.0..=100.0).contains(&w.min_score_drop)) {
            return Err((at("min_score_drop"), "must be 0 to 100 points".into()));
        }
        if !(w.sentiment_drop.is_finite() && w.sentiment_drop > 0.0 && w.sentiment_drop <= 2.0) {
            return Err((
                at("sentiment_drop"),
                "must be more than 0 and at most 2 (net sentiment runs from -1 to 1)".into(),
            ));
        }
        if !(w.spike_factor.is_finite() && w.spike_factor > 1.0) {
            return Err((at("spike_factor"), "must be more than 1".into()));
        }
        if w.spike_min == 0 {
            return Err((at("spike_min"), "must be at least 1".into()));
        }
        check_positive(&at("failing_after"), w.failing_after)?;
    }

    if let Some(d) = &c.digest {
        parse_cron(&d.schedule).map_err(|m| ("digest.schedule".to_string(), m))?;
        if d.timezone.parse::<chrono_tz::Tz>().is_err() {
            return Err((
                "digest.timezone".into(),
                format!(
                    "{:?} is not an IANA time zone (e.g. \"Europe/Amsterdam\")",
                    d.timezone
                ),
            ));
        }
        check_url("digest.smtp_url", &d.smtp_url, &["smtp", "smtps"])?;
        check_address("digest.from", &d.from)?;
        if d.to.is_empty() {
            return Err(("digest.to".into(), "name at least one recipient".into()));
        }
        for (j, a) in d.to.iter().enumerate() {
            check_address(&format!("digest.to[{j}]"), a)?;
        }
    }
    Ok(())
}

fn check_positive(key: &str, d: crate::Duration) -> Result<(), Problem> {
    if d.std().is_zero() {
        return Err((key.into(), "must be longer than 0s".into()));
    }
    Ok(())
}

fn check_id(key: &str, id: &str) -> Result<(), Problem> {
    let ok = !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err((
            key.into(),
            format!("{id:?} is not a valid id: use only a-z, 0-9 and -"),
        ))
    }
}

fn check_url(key: &str, u: &str, schemes: &[&str]) -> Result<(), Problem> {
    match url::Url::parse(u) {
        Ok(parsed) if schemes.contains(&parsed.scheme()) && parsed.host().is_some() => Ok(()),
        Ok(parsed) => Err((
            key.into(),
            format!(
                "{u:?} must be a {} URL with a host (it is {}:)",
                schemes.join(" or "),
                parsed.scheme()
            ),
        )),
        Err(e) => Err((key.into(), format!("{u:?} is not a URL: {e}"))),
    }
}

fn check_address(key: &str, a: &str) -> Result<(), Problem> {
    // The SMTP layer checks the full grammar; catch the obvious mistakes early.
    let bare = a.rsplit('<').next().unwrap_or(a).trim_end_matches('>');
    match bare.split_once('@') {
        Some((l, d)) if !l.is_empty() && d.contains('.') || d_is_localhost(bare) => Ok(()),
        _ => Err((key.into(), format!("{a:?} is not an email address"))),
    }
}

fn d_is_localhost(a: &str) -> bool {
    a.ends_with("@localhost")
}

/// Which kind-specific keys a source may carry.
fn check_kind_keys(s: &Source) -> Result<(), Problem> {
    let html_keys = [
        ("item", &s.item),
        ("body", &s.body),
        ("author", &s.author),
        ("date", &s.date),
        ("link", &s.link),
        ("next", &s.next),
    ];
    let foreign = |key: &str| {
        Err((
            key.to_string(),
            format!("is not a key of a {} source", s.kind),
        ))
    };
    if s.kind != SourceKind::Html
        && let Some((k, _)) = html_keys.iter().find(|(_, v)| v.is_some())
    {
        return foreign(k);
    }
    if s.kind != SourceKind::Mastodon {
        if !s.tags.is_empty() {
            return foreign("tags");
        }
        if !s.accounts.is_empty() {
            return foreign("accounts");
        }
    }
    if s.kind != SourceKind::Reviews && s.company.is_some() {
        return foreign("company");
    }
    match s.kind {
        SourceKind::Html => {
            for (k, v) in [("item", &s.item), ("body", &s.body)] {
                if v.as_deref().is_none_or(|v| v.trim().is_empty()) {
                    return Err((
                        k.into(),
                        "an html source needs CSS selectors for item and body".into(),
                    ));
                }
            }
            for (k, v) in html_keys {
                if let Some(sel) = v {
                    scraper::Selector::parse(sel).map_err(|e| {
                        (k.to_string(), format!("{sel:?} is not a CSS selector: {e}"))
                    })?;
                }
            }
        }
        SourceKind::Mastodon if s.tags.is_empty() && s.accounts.is_empty() => {
            return Err((
                "tags".into(),
                "a mastodon source follows at least one tag or account".into(),
            ));
        }
        _ => {}
    }
    Ok(())
}

pub(crate) fn webhook_key(secret: &str) -> Result<Vec<u8>, String> {
    let Some(b64) = secret.strip_prefix("whsec_") else {
        return Err("a Standard Webhooks secret starts with \"whsec_\"".into());
    };
    let key = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| format!("the part after \"whsec_\" is not base64: {e}"))?;
    if key.len() < 16 {
        return Err(format!(
            "the secret is {} bytes; use at least 16 (24-64 recommended)",
            key.len()
        ));
    }
    Ok(key)
}

pub(crate) fn parse_cron(s: &str) -> Result<croner::Cron, String> {
    if s.split_whitespace().count() != 5 {
        return Err(format!(
            "{s:?} is not a five-field cron schedule (minute hour day month weekday)"
        ));
    }
    s.parse::<croner::Cron>()
        .map_err(|e| format!("{s:?} is not a cron schedule: {e}"))
}

#[cfg(test)]
mod query_tests {

    #[test]
    fn a_malformed_company_query_names_its_key() {
        let text = "data_dir = \"data\"\n\n[[companies]]\nid = \"zon\"\nname = \"Zon\"\nterms = [\"Zon\"]\n\n[[companies]]\nid = \"golf\"\nname = \"Golf\"\nterms = [\"Golf\"]\nquery = \"internet AND (storing\"\n";
        let e = crate::Config::from_toml_with_env(std::path::Path::new("r.toml"), text, &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("companies[1].query") && e.contains("never closed"),
            "{e}"
        );
        let ok = text.replace("(storing", "storing");
        let c =
            crate::Config::from_toml_with_env(std::path::Path::new("r.toml"), &ok, &[]).unwrap();
        assert_eq!(
            c.companies[1].query.as_deref(),
            Some("internet AND storing")
        );
        assert_eq!(c.companies[0].query, None);
    }
}
