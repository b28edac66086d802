//! The leaderboard and a model page as CSV, for a spreadsheet: the same figures the pages
//! and their JSON show. Labels come from users (model names, categories), so a cell that a
//! spreadsheet would run as a formula gets a `'` before it, as `export --csv-safe` does.

use swipeset_wire::{Interval, LeaderboardReply, ModelPageReply};

use crate::export::encode::formula_safe;

fn number(x: Option<f64>) -> String {
    x.map(|x| format!("{x:.6}")).unwrap_or_default()
}

fn interval(rate: Option<Interval>) -> [String; 3] {
    [
        number(rate.map(|r| r.estimate)),
        number(rate.map(|r| r.low)),
        number(rate.map(|r| r.high)),
    ]
}

fn write(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut out = csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail; a record of the header's length always fits.
    let _ = out.write_record(header);
    for row in rows {
        let _ = out.write_record(&row);
    }
    out.into_inner()
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

/// One line per model, best first.
pub fn board_csv(board: &LeaderboardReply) -> String {
    let rows = board
        .models
        .iter()
        .map(|m| {
            let [rate, low, high] = interval(m.rate);
            vec![
                m.rank.to_string(),
                formula_safe(&m.model),
                m.up.to_string(),
                m.down.to_string(),
                m.votes.to_string(),
                rate,
                low,
                high,
                m.responses.to_string(),
                m.rated_responses.to_string(),
                m.preliminary.to_string(),
                board
                    .category
                    .as_deref()
                    .map(formula_safe)
                    .unwrap_or_default(),
            ]
        })
        .collect();
    write(
        &[
            "rank",
            "model",
            "up",
            "down",
            "votes",
            "rate",
            "low",
            "high",
            "responses",
            "rated_responses",
            "preliminary",
            "category",
        ],
        rows,
    )
}

/// Every figure of the page, one line each, `section` saying which part it is: `overall`
/// (Wilson interval), `clustered` (the prompt bootstrap), `category`, `length`,
/// `agreement`, `head_to_head` (against the model in `label`) and `strength` (every model's
/// Bradley–Terry strength beside its 👍 rate).
pub fn model_csv(page: &ModelPageReply) -> String {
    let empty = String::new;
    let mut rows = Vec::new();
    let s = &page.standing;
    let line = |section: &str,
                label: &str,
                responses: String,
                up: String,
                down: String,
                rate: [String; 3]| {
        let [r, low, high] = rate;
        vec![
            section.to_string(),
            formula_safe(label),
            responses,
            String::new(),
            up,
            down,
            String::new(),
            String::new(),
            String::new(),
            r,
            low,
            high,
            String::new(),
        ]
    };
    rows.push(line(
        "overall",
        &s.model,
        s.responses.to_string(),
        s.up.to_string(),
        s.down.to_string(),
        interval(s.rate),
    ));
    rows.push(line(
        "clustered",
        &s.model,
        s.responses.to_string(),
        s.up.to_string(),
        s.down.to_string(),
        interval(page.clustered),
    ));
    for (section, slices) in [("category", &page.by_category), ("length", &page.by_length)] {
        for slice in slices {
            rows.push(line(
                section,
                &slice.label,
                slice.responses.to_string(),
                slice.up.to_string(),
                slice.down.to_string(),
                interval(slice.rate),
            ));
        }
    }
    if let Some(a) = page.agreement {
        rows.push(line(
            "agreement",
            &s.model,
            a.responses.to_string(),
            empty(),
            empty(),
            [number(Some(a.share)), empty(), empty()],
        ));
    }
    for h in &page.head_to_head {
        rows.push(vec![
            "head_to_head".into(),
            formula_safe(&h.model),
            empty(),
            h.prompts.to_string(),
            empty(),
            empty(),
            h.wins.to_string(),
            h.losses.to_string(),
            h.ties.to_string(),
            empty(),
            empty(),
            empty(),
            empty(),
        ]);
    }
    for st in &page.strengths {
        rows.push(vec![
            "strength".into(),
            formula_safe(&st.model),
            empty(),
            empty(),
            empty(),
            empty(),
            empty(),
            empty(),
            empty(),
            number(st.rate),
            empty(),
            empty(),
            number(st.strength),
        ]);
    }
    write(
        &[
            "section",
            "label",
            "responses",
            "prompts",
            "up",
            "down",
            "wins",
            "losses",
            "ties",
            "rate",
            "low",
            "high",
            "strength",
        ],
        rows,
    )
}
