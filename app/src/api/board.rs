//! The leaderboard's and the model pages' server functions.

use leptos::prelude::*;
use server_fn::codec::{GetUrl, Json};

#[cfg(feature = "ssr")]
use super::ssr;
use super::{ApiError, LeaderboardReply, ModelPageReply};

/// `GET /api/leaderboard?campaign=SLUG[&min_votes=N][&category=C]`: per-model 👍 rates with
/// intervals and ranks, progress, and agreement; with `category`, the models' lines count
/// only that category's prompts. Anyone may see it when the campaign made its board
/// public, signed-in users otherwise. `null` when there is no campaign at all.
#[server(prefix = "/api", endpoint = "leaderboard", input = GetUrl, output = Json)]
pub async fn leaderboard(
    campaign: Option<String>,
    #[server(default)] min_votes: Option<u64>,
    #[server(default)] category: Option<String>,
) -> Result<Option<LeaderboardReply>, ApiError> {
    use swipeset_core::board::leaderboard;
    let store = ssr::store()?;
    let db = store.db();
    let Some(campaign) = swipeset_core::campaign::resolve(db, campaign.as_deref()).await? else {
        return Ok(None);
    };
    ssr::caller().await.require_board_viewer(&campaign)?;
    let min_votes = min_votes.unwrap_or(leaderboard::DEFAULT_MIN_VOTES);
    let category = category.filter(|c| !c.is_empty());
    let now = chrono::Utc::now();
    let mut board =
        leaderboard::filtered(db, &campaign, now, min_votes, category.as_deref()).await?;
    let categories = leaderboard::categories(db, &campaign).await?;
    board.categories = categories
        .into_iter()
        .map(|(name, prompts)| super::CategoryCount { name, prompts })
        .collect();
    Ok(Some(board))
}

/// `GET /api/model_page?campaign=SLUG&model=NAME`: one model's page (see
/// `swipeset_core::board::model_page`). Who may see the board may see it; its best and
/// worst responses are for admins.
#[server(prefix = "/api", endpoint = "model_page", input = GetUrl, output = Json)]
pub async fn model_page(campaign: String, model: String) -> Result<ModelPageReply, ApiError> {
    let store = ssr::store()?;
    let db = store.db();
    let campaign = swipeset_core::campaign::get(db, &campaign).await?;
    let caller = ssr::caller().await;
    caller.require_board_viewer(&campaign)?;
    let admin = caller.require_admin().is_ok();
    Ok(swipeset_core::board::model_page::model_page(
        db,
        &ssr::outcomes()?,
        &campaign,
        &model,
        chrono::Utc::now(),
        admin,
    )
    .await?)
}
