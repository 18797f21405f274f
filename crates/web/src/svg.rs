//! The burn-down chart (未解决个案走势) drawn on the server as SVG: unresolved cases at the end of
//! each day as a line, cases resolved that day as bars. No JavaScript, prints as it shows.

use std::fmt::Write;

use xunren_tasks::report::BurnDay;

use crate::error::escape_html;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 36.0;

/// The chart of `days` with `title` (its accessible name).
pub fn burndown(days: &[BurnDay], title: &str) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" \
         role=\"img\" aria-label=\"{t}\" class=\"chart\" id=\"burndown-chart\"><title>{t}</title>",
        t = escape_html(title)
    );
    if days.is_empty() {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">—</text></svg>",
            WIDTH / 2.0,
            HEIGHT / 2.0
        );
        return out;
    }
    let max = days
        .iter()
        .map(|d| d.remaining.max(d.resolved))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let step = plot_w / days.len() as f64;
    let y = |v: i64| TOP + plot_h - (v as f64 / max) * plot_h;
    // Axes and three grid lines with their values.
    for i in 0..=3 {
        let value = (max * i as f64 / 3.0).round() as i64;
        let gy = y(value);
        let _ = write!(
            out,
            "<line x1=\"{LEFT}\" x2=\"{x2}\" y1=\"{gy:.1}\" y2=\"{gy:.1}\" class=\"grid\"/>\
             <text x=\"{tx}\" y=\"{ty:.1}\" text-anchor=\"end\" class=\"axis\">{value}</text>",
            x2 = WIDTH - RIGHT,
            tx = LEFT - 4.0,
            ty = gy + 4.0,
        );
    }
    for (i, day) in days.iter().enumerate() {
        if day.resolved > 0 {
            let bh = (day.resolved as f64 / max) * plot_h;
            let _ = write!(
                out,
                "<rect x=\"{x:.1}\" y=\"{top:.1}\" width=\"{w:.1}\" height=\"{bh:.1}\" class=\"resolved\"><title>{date}: {n}</title></rect>",
                x = LEFT + i as f64 * step + step * 0.15,
                top = TOP + plot_h - bh,
                w = step * 0.7,
                date = day.date,
                n = day.resolved,
            );
        }
    }
    let points: Vec<String> = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            format!(
                "{:.1},{:.1}",
                LEFT + (i as f64 + 0.5) * step,
                y(d.remaining)
            )
        })
        .collect();
    let _ = write!(
        out,
        "<polyline points=\"{}\" class=\"remaining\" fill=\"none\"/>",
        points.join(" ")
    );
    // A dot per day, so that a single day still shows.
    for point in &points {
        if let Some((x, y)) = point.split_once(',') {
            let _ = write!(out, "<circle cx=\"{x}\" cy=\"{y}\" r=\"3\" class=\"day\"/>");
        }
    }
    // Dates under the first, middle and last day.
    let mut marks = vec![0, days.len() / 2, days.len() - 1];
    marks.dedup();
    for i in marks {
        let _ = write!(
            out,
            "<text x=\"{x:.1}\" y=\"{ty}\" text-anchor=\"middle\" class=\"axis\">{date}</text>",
            x = LEFT + (i as f64 + 0.5) * step,
            ty = HEIGHT - BOTTOM + 16.0,
            date = days[i].date.format("%m-%d"),
        );
    }
    if let Some(last) = days.last() {
        let _ = write!(
            out,
            "<text x=\"{x}\" y=\"{ty}\" text-anchor=\"end\" class=\"axis\" id=\"burndown-remaining\">{n}</text>",
            x = WIDTH - RIGHT,
            ty = TOP + 10.0,
            n = last.remaining,
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32, remaining: i64, resolved: i64) -> BurnDay {
        BurnDay {
            date: chrono::NaiveDate::from_ymd_opt(2020, 8, d).unwrap(),
            opened: 0,
            located: 0,
            resolved,
            remaining,
        }
    }

    #[test]
    fn draws_a_point_per_day_and_a_bar_per_resolving_day() {
        let svg = burndown(&[day(1, 10, 0), day(2, 7, 3), day(3, 4, 3)], "走势 <x>");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<rect").count(), 2);
        let points = svg
            .split("points=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert_eq!(points.split(' ').count(), 3);
        assert!(svg.contains("走势 &lt;x&gt;"), "title escaped");
        assert!(svg.contains(">4</text>"), "last remaining shown");
    }

    #[test]
    fn empty_is_still_an_svg() {
        assert!(burndown(&[], "t").ends_with("</svg>"));
    }
}
