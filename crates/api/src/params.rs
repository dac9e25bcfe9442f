//! Query-string parameters as users write them, checked once for the JSON API
//! and the web page alike. Every problem is a sentence that names the
//! parameter; nothing here panics on what a client sends.

use chrono::{DateTime, NaiveDate, Utc};
use repmon_config::Config;
use repmon_model::{Sentiment, SourceKind};
use repmon_store::SearchQuery;
use serde::Deserialize;

/// The longest window or look-back accepted: beyond it timestamps would leave
/// the calendar, and no one ranks over more than a decade of mentions.
const MAX_SPAN_DAYS: i64 = 3660;
/// Most entries a ranking request may ask for.
pub const MAX_TOP: usize = 1000;
/// Most mentions one search page may return.
pub const MAX_LIMIT: usize = 1000;
/// How deep paging may go (offset + limit): deeper pages cost the index a
/// top-N collection of that size for every request.
pub const MAX_DEPTH: usize = 10_000;
/// Mentions per page when the client does not say.
pub const DEFAULT_LIMIT: usize = 50;

/// Treats `?x=` like an absent `x`, as an HTML form sends empty fields.
pub fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// `window=7d` (default: the configured ranking window).
pub fn window(raw: Option<&str>, config: &Config) -> Result<chrono::Duration, String> {
    let Some(raw) = raw else {
        return Ok(config.ranking.window.chrono());
    };
    let d: repmon_config::Duration = raw.parse().map_err(|e| format!("window: {e}"))?;
    let d = d.chrono();
    if d <= chrono::Duration::zero() {
        return Err("window: must be longer than 0s".into());
    }
    if d > chrono::Duration::days(MAX_SPAN_DAYS) {
        return Err(format!(
            "window: {raw:?} is too long (at most {MAX_SPAN_DAYS}d)"
        ));
    }
    Ok(d)
}

/// `top=20` (default: the configured ranking size).
pub fn top(raw: Option<&str>, config: &Config) -> Result<usize, String> {
    let Some(raw) = raw else {
        return Ok(config.ranking.top);
    };
    bounded("top", raw, 1, MAX_TOP)
}

fn bounded(name: &str, raw: &str, min: usize, max: usize) -> Result<usize, String> {
    match raw.parse::<usize>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!(
            "{name}: {raw:?} is not a whole number from {min} to {max}"
        )),
    }
}

/// A point in time: RFC 3339 (`2026-11-20T14:03:00Z`), a date (`2026-11-20`,
/// midnight UTC), or a duration back from `now` (`7d`).
pub fn time(name: &str, raw: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Ok(d.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    let back: repmon_config::Duration = raw.parse().map_err(|_| {
        format!("{name}: {raw:?} is neither an RFC 3339 time (2026-11-20T14:03:00Z), a date nor a duration back from now (7d)")
    })?;
    let back = back.chrono();
    if back > chrono::Duration::days(MAX_SPAN_DAYS) {
        return Err(format!(
            "{name}: {raw:?} reaches too far back (at most {MAX_SPAN_DAYS}d)"
        ));
    }
    now.checked_sub_signed(back)
        .ok_or_else(|| format!("{name}: {raw:?} reaches too far back"))
}

/// The parameters of a mention search, as strings straight from the query.
#[derive(Debug, Default, Deserialize)]
pub struct MentionParams {
    pub q: Option<String>,
    pub company: Option<String>,
    pub sentiment: Option<String>,
    pub source: Option<String>,
    pub kind: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub limit: Option<String>,
    pub offset: Option<String>,
}

impl MentionParams {
    /// Checks every parameter and builds the store's query. The full-text
    /// part is left to the store, which reports its own syntax errors.
    pub fn to_query(&self, config: &Config, now: DateTime<Utc>) -> Result<SearchQuery, String> {
        let company = match given(&self.company) {
            None => None,
            Some(id) if config.companies.iter().any(|c| c.id == id) => Some(id.to_string()),
            Some(id) => return Err(format!("company: {id:?} is not a tracked company")),
        };
        let sentiment = given(&self.sentiment)
            .map(|s| {
                s.parse::<Sentiment>()
                    .map_err(|e| format!("sentiment: {e}"))
            })
            .transpose()?;
        let kind = given(&self.kind)
            .map(|s| s.parse::<SourceKind>().map_err(|e| format!("kind: {e}")))
            .transpose()?;
        let since = given(&self.since)
            .map(|s| time("since", s, now))
            .transpose()?;
        let until = given(&self.until)
            .map(|s| time("until", s, now))
            .transpose()?;
        if let (Some(s), Some(u)) = (since, until)
            && s > u
        {
            return Err("since: is later than until".into());
        }
        let limit = match given(&self.limit) {
            None => DEFAULT_LIMIT,
            Some(raw) => bounded("limit", raw, 1, MAX_LIMIT)?,
        };
        let offset = match given(&self.offset) {
            None => 0,
            Some(raw) => bounded("offset", raw, 0, MAX_DEPTH)?,
        };
        if offset + limit > MAX_DEPTH {
            return Err(format!(
                "offset: pages end at result {MAX_DEPTH}; narrow the search instead"
            ));
        }
        Ok(SearchQuery {
            q: self.q.as_deref().unwrap_or("").trim().to_string(),
            company,
            sentiment,
            source: given(&self.source).map(str::to_string),
            kind,
            since,
            until,
            limit,
            offset,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        let toml = r#"
            [[companies]]
            id = "zon"
            name = "Zon Energie"
            terms = ["Zon Energie"]
        "#;
        Config::from_toml_with_env(std::path::Path::new("t.toml"), toml, &[]).unwrap()
    }

    #[test]
    fn times_take_rfc3339_dates_and_durations() {
        let now = DateTime::parse_from_rfc3339("2026-11-22T08:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            time("since", "7d", now).unwrap().to_rfc3339(),
            "2026-11-15T08:00:00+00:00"
        );
        assert_eq!(
            time("since", "2026-11-20", now).unwrap().to_rfc3339(),
            "2026-11-20T00:00:00+00:00"
        );
        assert_eq!(
            time("since", "2026-11-20T15:03:00+01:00", now)
                .unwrap()
                .to_rfc3339(),
            "2026-11-20T14:03:00+00:00"
        );
        let err = time("since", "last tuesday", now).unwrap_err();
        assert!(err.starts_with("since: "), "{err}");
        assert!(time("since", "99999999999d", now).is_err());
    }

    #[test]
    fn search_parameters_are_checked() {
        let c = config();
        let now = Utc::now();
        let p = |f: fn(&mut MentionParams)| {
            let mut p = MentionParams::default();
            f(&mut p);
            p.to_query(&c, now)
        };
        let q = p(|p| {
            p.company = Some("zon".into());
            p.sentiment = Some("negative".into());
            p.limit = Some("5".into());
            p.q = Some(" storing ".into());
        })
        .unwrap();
        assert_eq!(
            (q.company.as_deref(), q.sentiment, q.limit, q.q.as_str()),
            (Some("zon"), Some(Sentiment::Negative), 5, "storing")
        );
        // Empty form fields are absent, not errors.
        let q = p(|p| {
            p.company = Some(String::new());
            p.sentiment = Some(String::new());
        })
        .unwrap();
        assert_eq!(
            (q.company, q.sentiment, q.limit),
            (None, None, DEFAULT_LIMIT)
        );

        assert!(
            p(|p| p.company = Some("golf".into()))
                .unwrap_err()
                .contains("not a tracked company")
        );
        assert!(
            p(|p| p.sentiment = Some("angry".into()))
                .unwrap_err()
                .starts_with("sentiment:")
        );
        assert!(
            p(|p| p.kind = Some("gopher".into()))
                .unwrap_err()
                .starts_with("kind:")
        );
        assert!(
            p(|p| p.limit = Some("0".into()))
                .unwrap_err()
                .starts_with("limit:")
        );
        assert!(
            p(|p| p.limit = Some("-3".into()))
                .unwrap_err()
                .starts_with("limit:")
        );
        assert!(
            p(|p| p.offset = Some("9999".into()))
                .unwrap_err()
                .starts_with("offset:")
        );
        assert!(
            p(|p| {
                p.since = Some("1d".into());
                p.until = Some("7d".into());
            })
            .is_err()
        );
    }

    #[test]
    fn window_and_top_have_defaults_and_bounds() {
        let c = config();
        assert_eq!(window(None, &c).unwrap(), chrono::Duration::days(7));
        assert_eq!(window(Some("30d"), &c).unwrap(), chrono::Duration::days(30));
        assert!(window(Some("0s"), &c).is_err());
        assert!(window(Some("5000d"), &c).is_err());
        assert!(window(Some("soon"), &c).unwrap_err().starts_with("window:"));
        assert_eq!(top(None, &c).unwrap(), 20);
        assert!(top(Some("0"), &c).is_err());
        assert!(top(Some("lots"), &c).is_err());
    }
}
