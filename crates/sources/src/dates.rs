//! Lenient reading of the times pages and APIs state.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Date-times without a zone, tried in order. Forums rarely state a zone;
/// such times are read in the source's `timezone` (UTC when not set).
const NAIVE_DATETIMES: &[&str] = &[
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%d-%m-%Y, %H:%M",
    "%d.%m.%Y %H:%M",
];

const NAIVE_DATES: &[&str] = &["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%Y/%m/%d", "%d.%m.%Y"];

/// Reads a time written as RFC 3339, RFC 2822, `YYYY-MM-DD HH:MM`,
/// `DD-MM-YYYY HH:MM` (and a few close relatives, or a bare date).
/// `None` when it is none of these. A time without a zone is taken as UTC.
pub fn parse_lenient(text: &str) -> Option<DateTime<Utc>> {
    parse_lenient_in(text, chrono_tz::UTC)
}

/// [`parse_lenient`] for a page whose times without a zone are local times
/// in `zone`. A local time that occurs twice (the hour the clocks go back)
/// is the first; one that does not occur (the hour skipped in spring) is
/// read an hour later, as the clock on the wall would have shown.
pub fn parse_lenient_in(text: &str, zone: Tz) -> Option<DateTime<Utc>> {
    let s = text.trim();
    // A time is short; anything long is not one, and is not worth trying.
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(s) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%d %H:%M:%S%z",
        "%Y-%m-%dT%H:%M%z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Some(t.with_timezone(&Utc));
        }
    }
    // A written UTC or GMT is a zone: it wins over the source's.
    let (bare, zone) = match s.strip_suffix(" UTC").or_else(|| s.strip_suffix(" GMT")) {
        Some(bare) => (bare, chrono_tz::UTC),
        None => (s, zone),
    };
    for fmt in NAIVE_DATETIMES {
        if let Ok(t) = NaiveDateTime::parse_from_str(bare, fmt) {
            return local(t, zone);
        }
    }
    for fmt in NAIVE_DATES {
        if let Ok(d) = NaiveDate::parse_from_str(bare, fmt) {
            return d.and_hms_opt(0, 0, 0).and_then(|t| local(t, zone));
        }
    }
    None
}

fn local(t: NaiveDateTime, zone: Tz) -> Option<DateTime<Utc>> {
    zone.from_local_datetime(&t)
        .earliest()
        .or_else(|| {
            zone.from_local_datetime(&(t + chrono::Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each `(written, read)` pair: the text as a page writes it, and the
    /// UTC time it must read as in `zone`.
    fn assert_reads(zone: Tz, cases: &[(&str, &str)]) {
        for (written, read) in cases {
            let got = parse_lenient_in(written, zone).map(|t| t.to_rfc3339());
            assert_eq!(got.as_deref(), Some(*read), "{written:?} in {zone}");
        }
    }

    #[test]
    fn reads_the_common_forms() {
        assert_reads(
            chrono_tz::UTC,
            &[
                ("2026-11-20T14:03:00+01:00", "2026-11-20T13:03:00+00:00"),
                ("Fri, 20 Nov 2026 14:03:00 GMT", "2026-11-20T14:03:00+00:00"),
                ("2026-11-20 14:03", "2026-11-20T14:03:00+00:00"),
                (" 20-11-2026 14:03 ", "2026-11-20T14:03:00+00:00"),
                ("2026-11-20", "2026-11-20T00:00:00+00:00"),
                ("2026-11-20T14:03:00.123", "2026-11-20T14:03:00.123+00:00"),
            ],
        );
        // parse_lenient is the same reading in UTC.
        assert_eq!(
            parse_lenient("20-11-2026 14:03"),
            parse_lenient_in("20-11-2026 14:03", chrono_tz::UTC)
        );
    }

    #[test]
    fn times_without_a_zone_are_read_in_the_sources_zone() {
        assert_reads(
            chrono_tz::Europe::Amsterdam,
            &[
                // Winter (UTC+1) and summer (UTC+2).
                ("20-11-2026 14:03", "2026-11-20T13:03:00+00:00"),
                ("2026-07-01 14:03", "2026-07-01T12:03:00+00:00"),
                ("2026-11-20", "2026-11-19T23:00:00+00:00"),
                // A written zone wins over the source's.
                ("2026-11-20T14:03:00+00:00", "2026-11-20T14:03:00+00:00"),
                ("2026-11-20 14:03 UTC", "2026-11-20T14:03:00+00:00"),
                // 02:30 happens twice on 25 October 2026 (the first is summer
                // time) and not at all on 29 March 2026 (read as 03:30 summer time).
                ("2026-10-25 02:30", "2026-10-25T00:30:00+00:00"),
                ("2026-03-29 02:30", "2026-03-29T01:30:00+00:00"),
            ],
        );
    }

    #[test]
    fn rejects_what_is_not_a_time() {
        assert_eq!(parse_lenient("gisteren"), None);
        assert_eq!(parse_lenient(""), None);
        assert_eq!(parse_lenient("31-02-2026 10:00"), None);
        assert_eq!(parse_lenient(&"9".repeat(10_000)), None);
    }
}
