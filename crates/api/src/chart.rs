//! The trend chart on a company page: an inline SVG of the daily series,
//! mentions as bars and net sentiment as a line, drawn here so the page
//! needs no script and no chart library.
//!
//! Only numbers and dates formatted by this module go into the SVG — never
//! scraped text — which is why the page may include it unescaped.

use repmon_monitor::DailyPoint;
use std::fmt::Write as _;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 220.0;
/// Room for the axis labels: left (mention counts), right (sentiment), bottom (dates).
const LEFT: f64 = 40.0;
const RIGHT: f64 = 40.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;

const BAR: &str = "#9bb7d4";
const LINE: &str = "#c2410c";
const GRID: &str = "#d6d6d6";
const TEXT: &str = "#555";

/// The chart as an `<svg>` element; a short note instead when there are no days.
pub fn trend_svg(daily: &[DailyPoint]) -> String {
    if daily.is_empty() {
        return "<p class=\"muted\">No days in this window.</p>".to_string();
    }
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let max_mentions = daily.iter().map(|d| d.mentions).max().unwrap_or(0).max(1);
    let slot = plot_w / daily.len() as f64;
    let bar_w = (slot * 0.7).max(1.0);
    let y_count = |n: u64| TOP + plot_h * (1.0 - n as f64 / max_mentions as f64);
    // Net sentiment spans -1..=1; anything outside is clamped, not drawn off the chart.
    let y_net = |v: f64| {
        let v = if v.is_finite() {
            v.clamp(-1.0, 1.0)
        } else {
            0.0
        };
        TOP + plot_h * (1.0 - (v + 1.0) / 2.0)
    };

    let first = daily[0].date;
    let last = daily[daily.len() - 1].date;
    let mut s = String::with_capacity(512 + daily.len() * 220);
    let _ = write!(
        s,
        "<svg class=\"trend\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" \
         aria-label=\"Daily mentions (bars) and net sentiment (line) from {first} to {last}\" \
         xmlns=\"http://www.w3.org/2000/svg\" font-family=\"sans-serif\" font-size=\"11\">"
    );

    // Grid: the zero line of sentiment, and the top and bottom of the plot.
    for (y, dash) in [
        (TOP, ""),
        (y_net(0.0), " stroke-dasharray=\"4 3\""),
        (TOP + plot_h, ""),
    ] {
        let _ = write!(
            s,
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"{GRID}\"{dash}/>",
            WIDTH - RIGHT
        );
    }
    // Left axis: mention counts; right axis: sentiment.
    let _ = write!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"{TEXT}\">{max_mentions}</text>\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"{TEXT}\">0</text>",
        LEFT - 4.0,
        TOP + 4.0,
        LEFT - 4.0,
        TOP + plot_h + 4.0
    );
    for (label, v) in [("+1", 1.0), ("0", 0.0), ("−1", -1.0)] {
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"{LINE}\">{label}</text>",
            WIDTH - RIGHT + 4.0,
            y_net(v) + 4.0
        );
    }

    // Bars, each with a tooltip giving the day's figures.
    for (i, d) in daily.iter().enumerate() {
        let x = LEFT + slot * i as f64 + (slot - bar_w) / 2.0;
        let y = y_count(d.mentions);
        let tip = match d.mentions {
            0 => format!("{}: no mentions", d.date),
            n => format!(
                "{}: {n} mention{} ({} positive, {} negative, {} neutral), net sentiment {}",
                d.date,
                if n == 1 { "" } else { "s" },
                d.positive,
                d.negative,
                d.neutral,
                if d.net_sentiment.is_finite() {
                    format!("{:+.2}", d.net_sentiment)
                } else {
                    "–".into()
                }
            ),
        };
        let _ = write!(
            s,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar_w:.1}\" height=\"{:.1}\" fill=\"{BAR}\">\
             <title>{tip}</title></rect>",
            TOP + plot_h - y,
        );
    }

    // The sentiment line, only through days that had mentions: a day without
    // any has no sentiment, and drawing it as 0 would invent a dip.
    let points: Vec<String> = daily
        .iter()
        .enumerate()
        .filter(|(_, d)| d.mentions > 0)
        .map(|(i, d)| {
            format!(
                "{:.1},{:.1}",
                LEFT + slot * (i as f64 + 0.5),
                y_net(d.net_sentiment)
            )
        })
        .collect();
    if points.len() > 1 {
        let _ = write!(
            s,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{LINE}\" stroke-width=\"2\"/>",
            points.join(" ")
        );
    }
    for p in &points {
        if let Some((x, y)) = p.split_once(',') {
            let _ = write!(
                s,
                "<circle cx=\"{x}\" cy=\"{y}\" r=\"2.5\" fill=\"{LINE}\"/>"
            );
        }
    }

    // Dates under the first and last day (and the middle one on longer series).
    let mut labels = vec![(0, "start"), (daily.len() - 1, "end")];
    if daily.len() > 8 {
        labels.push((daily.len() / 2, "middle"));
    }
    for (i, anchor) in labels {
        if daily.len() == 1 && anchor == "end" {
            continue;
        }
        let x = match anchor {
            "start" => LEFT,
            "end" => WIDTH - RIGHT,
            _ => LEFT + slot * (i as f64 + 0.5),
        };
        let _ = write!(
            s,
            "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" fill=\"{TEXT}\">{}</text>",
            HEIGHT - 8.0,
            daily[i].date.format("%-d %b")
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn day(d: u32, mentions: u64, net: f64) -> DailyPoint {
        DailyPoint {
            date: NaiveDate::from_ymd_opt(2026, 11, d).unwrap(),
            mentions,
            positive: mentions / 2,
            negative: mentions / 4,
            neutral: mentions - mentions / 2 - mentions / 4,
            net_sentiment: net,
            rank: None,
        }
    }

    #[test]
    fn one_bar_per_day_and_a_line_through_days_with_mentions() {
        let daily = vec![
            day(16, 4, 0.5),
            day(17, 0, 0.0),
            day(18, 8, -0.25),
            day(19, 2, f64::NAN),
        ];
        let svg = trend_svg(&daily);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<rect").count(), 4);
        assert_eq!(
            svg.matches("<circle").count(),
            3,
            "the empty day has no sentiment point"
        );
        assert!(svg.contains(
            "2026-11-18: 8 mentions (4 positive, 2 negative, 2 neutral), net sentiment -0.25"
        ));
        assert!(svg.contains("2026-11-17: no mentions"));
        assert!(svg.contains("16 Nov") && svg.contains("19 Nov"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        // The tallest bar reaches the top of the plot.
        assert!(svg.contains(&format!("y=\"{TOP:.1}\" width=")));
    }

    #[test]
    fn no_days_is_a_note_not_an_empty_chart() {
        assert!(!trend_svg(&[]).contains("<svg"));
    }
}
