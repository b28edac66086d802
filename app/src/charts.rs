//! The 👍-rate chart (a dot per row with its 95% interval as a whisker), drawn as SVG text
//! rather than as views: the same string is inserted by the leaderboard and the model pages,
//! on the server and in the browser alike, and served as a download
//! (`/api/campaigns/{slug}/leaderboard?format=svg`, a model page's charts), so a chart
//! saved is the chart seen. Labels come from users (model names, categories) and are
//! escaped.

use crate::api::{Interval, ModelStanding};

/// One row of the chart.
pub struct Row<'a> {
    pub label: &'a str,
    pub rate: Option<Interval>,
    /// Too few votes to trust yet: an open dot.
    pub faint: bool,
}

/// A row per model, as the board lists them: preliminary models drawn open.
pub fn model_rows(models: &[ModelStanding]) -> Vec<Row<'_>> {
    models
        .iter()
        .map(|m| Row {
            label: &m.model,
            rate: m.rate,
            faint: m.preliminary,
        })
        .collect()
}

/// Geometry, in SVG user units; the SVG scales to the width it gets. Each row takes its
/// label on one line and its whisker beneath across the full width, so long names stay
/// readable on a phone.
const WIDTH: f64 = 340.0;
const MARGIN: f64 = 14.0;
const ROW_HEIGHT: f64 = 44.0;
const AXIS_HEIGHT: f64 = 22.0;

/// What a chart saved as a file needs that the page's style sheet gives it in place.
const STANDALONE_STYLE: &str = "<style>.chart-grid{stroke:#d0d4dc;stroke-width:1}\
.chart-axis{fill:#5b6170;font:11px sans-serif}.chart-label{fill:#15171c;font:12px sans-serif}\
.chart-whisker{stroke:#5b6170;stroke-width:2;stroke-linecap:round}.chart-dot{fill:#1f9d68}\
.chart-dot.preliminary{fill:#fff;stroke:#1f9d68;stroke-width:2}</style>";

fn x_of(rate: f64) -> f64 {
    MARGIN + rate.clamp(0.0, 1.0) * (WIDTH - 2.0 * MARGIN)
}

fn percent(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// `text` safe inside SVG text and attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The chart of `rows` as an `<svg>` element, described for screen readers as `title` and
/// each row's figures. `standalone` adds the XML namespace, a white background and the
/// styles, for a file of its own.
pub fn rate_chart(title: &str, rows: &[Row], standalone: bool) -> String {
    let height = rows.len() as f64 * ROW_HEIGHT + AXIS_HEIGHT;
    let summary = rows
        .iter()
        .map(|r| match r.rate {
            Some(i) => format!(
                "{} {} (from {} to {})",
                r.label,
                percent(i.estimate),
                percent(i.low),
                percent(i.high)
            ),
            None => format!("{} no votes yet", r.label),
        })
        .collect::<Vec<_>>()
        .join("; ");
    let mut svg = format!(
        "<svg{} viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"{}\">",
        if standalone {
            " xmlns=\"http://www.w3.org/2000/svg\" width=\"680\""
        } else {
            ""
        },
        escape(&format!("{title}: {summary}"))
    );
    if standalone {
        svg.push_str(STANDALONE_STYLE);
        svg.push_str(&format!(
            "<rect width=\"{WIDTH}\" height=\"{height}\" fill=\"#fff\"/>"
        ));
    }
    for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let x = x_of(t);
        let (anchor, label_x) = match t {
            0.0 => ("start", x - 4.0),
            1.0 => ("end", x + 4.0),
            _ => ("middle", x),
        };
        svg.push_str(&format!(
            "<line class=\"chart-grid\" x1=\"{x}\" x2=\"{x}\" y1=\"0\" y2=\"{}\"/>\
             <text class=\"chart-axis\" x=\"{label_x}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text>",
            height - AXIS_HEIGHT + 4.0,
            height - 6.0,
            percent(t)
        ));
    }
    for (i, row) in rows.iter().enumerate() {
        let top = i as f64 * ROW_HEIGHT;
        let y = top + 30.0;
        svg.push_str(&format!(
            "<text class=\"chart-label\" x=\"{}\" y=\"{}\">{}</text>",
            MARGIN - 4.0,
            top + 14.0,
            escape(row.label)
        ));
        if let Some(r) = row.rate {
            let (lo, hi, mid) = (x_of(r.low), x_of(r.high), x_of(r.estimate));
            svg.push_str(&format!(
                "<line class=\"chart-whisker\" x1=\"{lo}\" x2=\"{hi}\" y1=\"{y}\" y2=\"{y}\"/>\
                 <line class=\"chart-whisker\" x1=\"{lo}\" x2=\"{lo}\" y1=\"{}\" y2=\"{}\"/>\
                 <line class=\"chart-whisker\" x1=\"{hi}\" x2=\"{hi}\" y1=\"{}\" y2=\"{}\"/>\
                 <circle class=\"chart-dot{}\" cx=\"{mid}\" cy=\"{y}\" r=\"5\"/>",
                y - 6.0,
                y + 6.0,
                y - 6.0,
                y + 6.0,
                if row.faint { " preliminary" } else { "" }
            ));
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_a_file_carries_its_styles() {
        let rows = [
            Row {
                label: "<script>alert(1)</script> & \"co\"",
                rate: Some(Interval {
                    estimate: 0.5,
                    low: 0.4,
                    high: 0.6,
                }),
                faint: true,
            },
            Row {
                label: "unrated",
                rate: None,
                faint: false,
            },
        ];
        let svg = rate_chart("👍 rate", &rows, false);
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;co&quot;"));
        assert!(svg.contains("class=\"chart-dot preliminary\""));
        assert!(svg.contains("unrated no votes yet"));
        assert!(!svg.contains("<style>"));
        let file = rate_chart("👍 rate", &rows, true);
        assert!(file.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(file.contains("<style>") && file.ends_with("</svg>"));
    }
}
