//! Server functions of the rating screen: the next card, storing a rating, and progress.

use leptos::prelude::*;
use server_fn::codec::{GetUrl, Json};

use super::ApiError;
#[cfg(feature = "ssr")]
use super::ssr;
use super::types::{Label, NextCardReply, ProgressReply, RateReply};

/// `GET /api/next_card?campaign=SLUG`: the next card for this browser. Without `campaign`,
/// the oldest campaign is used.
#[server(prefix = "/api", endpoint = "next_card", input = GetUrl, output = Json)]
pub async fn next_card(campaign: Option<String>) -> Result<NextCardReply, ApiError> {
    use swipeset_core::{campaigns, cards};
    let db = ssr::db()?;
    let Some(campaign) = campaigns::resolve(&db, campaign.as_deref()).await? else {
        return Ok(NextCardReply {
            campaign: None,
            card: None,
        });
    };
    let annotator = ssr::current_annotator_id(&db).await?;
    let card = cards::next_card(&db, &campaign, annotator).await?;
    Ok(NextCardReply {
        campaign: Some((&campaign).into()),
        card: card.map(Into::into),
    })
}

/// `POST /api/rate` with `{"generation_id": 7, "label": "up"}`: stores this browser's
/// rating. Sending the same rating again changes nothing and answers `recorded: false`.
#[server(prefix = "/api", endpoint = "rate", input = Json, output = Json)]
pub async fn rate(generation_id: i32, label: Label) -> Result<RateReply, ApiError> {
    use swipeset_core::{annotators, ratings};
    let db = ssr::db()?;
    let identity = ssr::browser_identity()?;
    let annotator = annotators::browser_annotator(&db, &identity.0).await?;
    let outcome = ratings::rate(&db, annotator.id, generation_id, label.into()).await?;
    Ok(outcome.into())
}

/// `GET /api/progress?campaign=SLUG`: how far the campaign is, and how many this browser
/// has rated. `null` when there is no campaign.
#[server(prefix = "/api", endpoint = "progress", input = GetUrl, output = Json)]
pub async fn progress(campaign: Option<String>) -> Result<Option<ProgressReply>, ApiError> {
    use swipeset_core::campaigns;
    let db = ssr::db()?;
    let Some(campaign) = campaigns::resolve(&db, campaign.as_deref()).await? else {
        return Ok(None);
    };
    let annotator = ssr::current_annotator_id(&db).await?;
    Ok(Some(
        campaigns::progress(&db, &campaign, annotator).await?.into(),
    ))
}
