//! Downloads of what the leaderboard and the model pages show: CSV and JSON of their
//! figures, and their charts as SVG files (drawn by `swipeset_app::charts`, the same code
//! the pages insert). Who may see the board may download it; a model page's best and
//! worst responses are in the JSON for admins only, as on the page.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use swipeset_app::api::ApiError;
use swipeset_app::charts::{self, Row};
use swipeset_core::accounts::Caller;
use swipeset_core::board::{downloads, leaderboard, model_page};
use swipeset_core::db::entities::campaign;

use super::api_error;
use crate::AppState;
use crate::auth::caller::RequestCaller;

#[derive(Debug, Deserialize)]
pub struct BoardQuery {
    /// `json` (default), `csv` or `svg`.
    format: Option<String>,
    category: Option<String>,
    min_votes: Option<u64>,
}

#[derive(Debug, Deserialize)]
pub struct ModelQuery {
    /// `json` (default) or `csv`; for a chart, `svg`.
    format: Option<String>,
    /// A chart: `category` or `length`.
    chart: Option<String>,
}

/// A file to save: its type, its name, and no caching (the figures move with every vote).
fn file(content_type: &str, name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

fn json<T: serde::Serialize>(name: &str, value: &T) -> Response {
    match serde_json::to_string_pretty(value) {
        Ok(text) => file("application/json", name, text),
        Err(e) => api_error(ApiError::internal(e.to_string())),
    }
}

const SVG: &str = "image/svg+xml";
const CSV: &str = "text/csv; charset=utf-8";

fn bad_format(given: &str, accepted: &str) -> Response {
    api_error(ApiError::bad_request(format!(
        "format must be {accepted}, got `{given}`"
    )))
}

/// The campaign, if the caller may see its board.
async fn viewable(
    state: &AppState,
    caller: &Caller,
    slug: &str,
) -> Result<campaign::Model, Response> {
    let campaign = swipeset_core::campaign::get(state.store.db(), slug)
        .await
        .map_err(|e| api_error(e.into()))?;
    caller
        .require_board_viewer(&campaign)
        .map_err(|e| api_error(e.into()))?;
    Ok(campaign)
}

/// A name for a file: letters, digits, dots and dashes of `text`, the rest as `-`.
fn file_part(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// `GET /api/campaigns/{slug}/leaderboard?format=json|csv|svg[&category=C][&min_votes=N]`.
pub async fn leaderboard(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path(slug): Path<String>,
    Query(query): Query<BoardQuery>,
) -> Response {
    let campaign = match viewable(&state, &caller, &slug).await {
        Ok(c) => c,
        Err(response) => return response,
    };
    let category = query.category.as_deref().filter(|c| !c.is_empty());
    let min_votes = query.min_votes.unwrap_or(leaderboard::DEFAULT_MIN_VOTES);
    let board = match leaderboard::filtered(
        state.store.db(),
        &campaign,
        chrono::Utc::now(),
        min_votes,
        category,
    )
    .await
    {
        Ok(board) => board,
        Err(e) => return api_error(e.into()),
    };
    let name = match category {
        Some(c) => format!("{}-leaderboard-{}", campaign.slug, file_part(c)),
        None => format!("{}-leaderboard", campaign.slug),
    };
    match query.format.as_deref().unwrap_or("json") {
        "json" => json(&format!("{name}.json"), &board),
        "csv" => file(CSV, &format!("{name}.csv"), downloads::board_csv(&board)),
        "svg" => {
            let rows = charts::model_rows(&board.models);
            let title = match category {
                Some(c) => format!("{}: 👍 rate per model, {c}", campaign.title),
                None => format!("{}: 👍 rate per model", campaign.title),
            };
            file(
                SVG,
                &format!("{name}.svg"),
                charts::rate_chart(&title, &rows, true),
            )
        }
        other => bad_format(other, "json, csv or svg"),
    }
}

/// `GET /api/campaigns/{slug}/models/{name}?format=json|csv`, and with
/// `chart=category|length` that chart as SVG.
pub async fn model(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path((slug, name)): Path<(String, String)>,
    Query(query): Query<ModelQuery>,
) -> Response {
    let campaign = match viewable(&state, &caller, &slug).await {
        Ok(c) => c,
        Err(response) => return response,
    };
    let admin = caller.require_admin().is_ok();
    let page = match model_page::model_page(
        state.store.db(),
        &state.outcomes,
        &campaign,
        &name,
        chrono::Utc::now(),
        admin,
    )
    .await
    {
        Ok(page) => page,
        Err(e) => return api_error(e.into()),
    };
    let base = format!("{}-{}", campaign.slug, file_part(&name));
    if let Some(chart) = query.chart.as_deref() {
        let (slices, what) = match chart {
            "category" => (
                &page.by_category,
                format!("by {}", page.category_field.clone().unwrap_or_default()),
            ),
            "length" => (&page.by_length, "by response length".to_string()),
            other => {
                return api_error(ApiError::bad_request(format!(
                    "chart must be `category` or `length`, got `{other}`"
                )));
            }
        };
        let rows: Vec<Row> = slices
            .iter()
            .map(|s| Row {
                label: &s.label,
                rate: s.rate,
                faint: s.up + s.down < leaderboard::DEFAULT_MIN_VOTES,
            })
            .collect();
        let title = format!("{}: 👍 rate {what}", page.standing.model);
        return file(
            SVG,
            &format!("{base}-{chart}.svg"),
            charts::rate_chart(&title, &rows, true),
        );
    }
    match query.format.as_deref().unwrap_or("json") {
        "json" => json(&format!("{base}.json"), &page),
        "csv" => file(CSV, &format!("{base}.csv"), downloads::model_csv(&page)),
        other => bad_format(other, "json or csv"),
    }
}
