//! `next_run` reads the cron schedule in the digest's time zone, across DST.

use chrono::{DateTime, Utc};
use repmon_config::Digest;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn digest(schedule: &str, tz: &str) -> Digest {
    Digest {
        schedule: schedule.into(),
        timezone: tz.into(),
        smtp_url: "smtp://127.0.0.1:2525".into(),
        from: "repmon@example.org".into(),
        to: vec!["analyst@example.org".into()],
    }
}

#[test]
fn monday_eight_o_clock_in_amsterdam_follows_the_clock_change() {
    let d = digest("0 8 * * MON", "Europe/Amsterdam");
    // Summer time (UTC+2): 08:00 local = 06:00 UTC.
    assert_eq!(
        repmon_digest::next_run(&d, t("2026-10-14T12:00:00Z")),
        Some(t("2026-10-19T06:00:00Z"))
    );
    // Clocks go back on Sunday 25 October 2026; the next Monday is UTC+1.
    assert_eq!(
        repmon_digest::next_run(&d, t("2026-10-19T06:00:00Z")),
        Some(t("2026-10-26T07:00:00Z"))
    );
    // And forward on Sunday 29 March 2026.
    assert_eq!(
        repmon_digest::next_run(&d, t("2026-03-23T07:00:00Z")),
        Some(t("2026-03-30T06:00:00Z"))
    );
}

#[test]
fn strictly_after_the_given_time() {
    let d = digest("0 8 * * MON", "Europe/Amsterdam");
    let at = t("2026-11-23T07:00:00Z");
    assert_eq!(
        repmon_digest::next_run(&d, at),
        Some(t("2026-11-30T07:00:00Z"))
    );
    assert_eq!(
        repmon_digest::next_run(&d, at - chrono::Duration::seconds(1)),
        Some(at)
    );
}

#[test]
fn a_time_skipped_by_the_clock_change_still_runs_that_day() {
    // 02:30 does not exist in Amsterdam on 29 March 2026 (02:00 -> 03:00).
    let d = digest("30 2 * * *", "Europe/Amsterdam");
    let next = repmon_digest::next_run(&d, t("2026-03-28T12:00:00Z")).unwrap();
    let local = next.with_timezone(&chrono_tz::Europe::Amsterdam);
    assert_eq!(
        local.date_naive().to_string(),
        "2026-03-29",
        "not skipped to the next day: {local}"
    );
    // The day after is back to normal: 02:30 CEST = 00:30 UTC.
    assert_eq!(
        repmon_digest::next_run(&d, next),
        Some(t("2026-03-30T00:30:00Z"))
    );
}

#[test]
fn other_zones_and_bad_schedules() {
    let d = digest("0 9 * * *", "America/New_York");
    assert_eq!(
        repmon_digest::next_run(&d, t("2026-11-22T00:00:00Z")),
        Some(t("2026-11-22T14:00:00Z"))
    );
    assert_eq!(
        repmon_digest::next_run(
            &digest("every monday", "Europe/Amsterdam"),
            t("2026-11-22T00:00:00Z")
        ),
        None
    );
}
