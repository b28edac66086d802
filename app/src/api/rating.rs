//! Server functions of the rating screen: the first card (`next_card`), more cards
//! (`next_cards`), storing a rating (`rate`), taking it back (`undo`), passing on a card
//! (`skip`), and how far the campaign is (`progress`).

use leptos::prelude::*;
use server_fn::codec::{GetUrl, Json};

use super::ApiError;
#[cfg(feature = "ssr")]
use super::ssr;
use swipeset_wire::{
    DealReply, Label, NextCardReply, ProgressReply, RateReply, ResponseRef, SkipReply, UndoReply,
};

/// How many cards one call may deal at most.
pub const MAX_DEAL: usize = 10;

/// `GET /api/next_card?campaign=SLUG`: the next card for this browser. Without `campaign`,
/// the oldest campaign is used. Someone who has rated before is dealt the card (it is held
/// for them for a few minutes); a first-time visitor only sees it, so a crawler holds none.
#[server(prefix = "/api", endpoint = "next_card", input = GetUrl, output = Json)]
pub async fn next_card(campaign: Option<String>) -> Result<NextCardReply, ApiError> {
    use swipeset_core::rating::deal;
    let store = ssr::store()?;
    let db = store.db();
    let Some(campaign) = swipeset_core::campaign::resolve(db, campaign.as_deref()).await? else {
        return Ok(NextCardReply {
            campaign: None,
            card: None,
            rater: None,
        });
    };
    let rater = ssr::rater_key().await;
    let card = match ssr::current_annotator_id(db).await? {
        Some(user_id) => deal::deal(&store, &campaign, user_id, 1, &[], chrono::Utc::now())
            .await?
            .into_iter()
            .next(),
        None => deal::peek(db, &campaign, None).await?,
    };
    Ok(NextCardReply {
        campaign: Some(swipeset_core::campaign::info(&campaign)),
        card,
        rater,
    })
}

/// `POST /api/next_cards` with `{"campaign": "haiku-demo", "count": 3, "holding": [4, 9]}`:
/// up to `count` (at most 10) cards dealt to this browser, none of those it is `holding`.
#[server(prefix = "/api", endpoint = "next_cards", input = Json, output = Json)]
pub async fn next_cards(
    campaign: Option<String>,
    count: usize,
    #[server(default)] holding: Vec<i32>,
) -> Result<DealReply, ApiError> {
    use swipeset_core::rating::deal;
    if count == 0 || count > MAX_DEAL {
        return Err(ApiError::bad_request(format!(
            "count must be between 1 and {MAX_DEAL}, got {count}"
        )));
    }
    let store = ssr::store()?;
    let db = store.db();
    let Some(campaign) = swipeset_core::campaign::resolve(db, campaign.as_deref()).await? else {
        return Ok(DealReply {
            campaign: None,
            cards: Vec::new(),
        });
    };
    let user_id = ssr::annotator_id(&store).await?;
    let cards = deal::deal(
        &store,
        &campaign,
        user_id,
        count,
        &holding,
        chrono::Utc::now(),
    )
    .await?;
    Ok(DealReply {
        campaign: Some(swipeset_core::campaign::info(&campaign)),
        cards,
    })
}

/// `POST /api/rate` with `{"response_id": 7, "label": "up", "client_id": "…",
/// "decision_ms": 2300}` (the last two optional): stores this browser's rating. Sending it
/// again changes nothing and answers `"status": "already_rated"`; with the same
/// `client_id` after an undo, `"undone"`. With `"deal": 3, "holding": [4, 9]` it also
/// deals up to that many more cards of the campaign (as `next_cards` would), in the same
/// round trip and the same write. The response may still be named `generation_id`, its
/// old name (`ResponseRef`).
#[server(prefix = "/api", endpoint = "rate", input = Json, output = Json)]
pub async fn rate(
    #[server(flatten)] response: ResponseRef,
    label: Label,
    #[server(default)] client_id: Option<String>,
    #[server(default)] decision_ms: Option<i32>,
    #[server(default)] deal: usize,
    #[server(default)] holding: Vec<i32>,
) -> Result<RateReply, ApiError> {
    use swipeset_core::rating::rate::{self, NewRating};
    if deal > MAX_DEAL {
        return Err(ApiError::bad_request(format!(
            "deal must be at most {MAX_DEAL}, got {deal}"
        )));
    }
    let store = ssr::store()?;
    let user_id = ssr::annotator_id(&store).await?;
    let new = NewRating {
        response_id: response.response_id,
        label,
        client_id,
        decision_ms,
    };
    Ok(rate::rate_and_deal(&store, user_id, new, deal, &holding).await?)
}

/// `POST /api/undo` with `{"response_id": 7}`: removes this browser's rating of it; the
/// card is held for them again.
#[server(prefix = "/api", endpoint = "undo", input = Json, output = Json)]
pub async fn undo(#[server(flatten)] response: ResponseRef) -> Result<UndoReply, ApiError> {
    let store = ssr::store()?;
    let user_id = ssr::annotator_id(&store).await?;
    Ok(swipeset_core::rating::rate::undo(&store, user_id, response.response_id).await?)
}

/// `POST /api/skip` with `{"response_id": 7}`: this browser passes on the card. Not a
/// rating; the card will not come back to them.
#[server(prefix = "/api", endpoint = "skip", input = Json, output = Json)]
pub async fn skip(#[server(flatten)] response: ResponseRef) -> Result<SkipReply, ApiError> {
    let store = ssr::store()?;
    let user_id = ssr::annotator_id(&store).await?;
    Ok(swipeset_core::rating::skip::skip(&store, user_id, response.response_id).await?)
}

/// `GET /api/progress?campaign=SLUG`: how far the campaign is, and how many this browser
/// has rated. `null` when there is no campaign.
#[server(prefix = "/api", endpoint = "progress", input = GetUrl, output = Json)]
pub async fn progress(campaign: Option<String>) -> Result<Option<ProgressReply>, ApiError> {
    let store = ssr::store()?;
    let db = store.db();
    let Some(campaign) = swipeset_core::campaign::resolve(db, campaign.as_deref()).await? else {
        return Ok(None);
    };
    let annotator = ssr::current_annotator_id(db).await?;
    Ok(Some(
        swipeset_core::board::progress::for_rater(db, &campaign, annotator).await?,
    ))
}
