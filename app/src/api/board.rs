//! The leaderboard's server function.

use leptos::prelude::*;
use server_fn::codec::{GetUrl, Json};

#[cfg(feature = "ssr")]
use super::ssr;
use super::{ApiError, LeaderboardReply};

/// `GET /api/leaderboard?campaign=SLUG[&min_votes=N]`: per-model 👍 rates with intervals
/// and ranks, progress, and agreement. Anyone may see it when the campaign made its board
/// public, signed-in users otherwise. `null` when there is no campaign at all.
#[server(prefix = "/api", endpoint = "leaderboard", input = GetUrl, output = Json)]
pub async fn leaderboard(
    campaign: Option<String>,
    #[server(default)] min_votes: Option<u64>,
) -> Result<Option<LeaderboardReply>, ApiError> {
    use swipeset_core::board::leaderboard;
    let store = ssr::store()?;
    let db = store.db();
    let Some(campaign) = swipeset_core::campaign::resolve(db, campaign.as_deref()).await? else {
        return Ok(None);
    };
    ssr::caller().await.require_board_viewer(&campaign)?;
    let min_votes = min_votes.unwrap_or(leaderboard::DEFAULT_MIN_VOTES);
    Ok(Some(
        leaderboard::leaderboard(db, &campaign, chrono::Utc::now(), min_votes).await?,
    ))
}
