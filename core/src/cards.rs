//! Which card comes next. A card is a generation the annotator has not rated yet, from a
//! campaign where it still needs ratings; the least-rated come first so that every
//! response reaches its overlap before any collects extra.

use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};

use crate::CoreResult;
use crate::entities::{campaign, generation, prompt, rating};

/// What an annotator sees. The model is deliberately absent: rating is blind, and the
/// model is revealed (if the campaign allows) only in the answer to a rating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    pub generation_id: i32,
    pub campaign: String,
    pub prompt: String,
    pub system_prompt: Option<String>,
    pub response: String,
}

/// The next card for `annotator` (`None` for someone who has never rated) in `campaign`,
/// or `None` when nothing is left for them.
///
/// The query walks the `generation_next_card` index (campaign, rating_count, id) and skips
/// the annotator's own ratings through the unique (user, generation) index, so its cost
/// depends on how many cards this person has rated, not on the campaign's size.
pub async fn next_card(
    db: &impl ConnectionTrait,
    campaign: &campaign::Model,
    annotator: Option<i32>,
) -> CoreResult<Option<Card>> {
    let mut query = generation::Entity::find()
        .filter(generation::Column::CampaignId.eq(campaign.id))
        .filter(generation::Column::RatingCount.lt(campaign.overlap));
    if let Some(user_id) = annotator {
        let rated_by_annotator = Query::select()
            .expr(Expr::val(1))
            .from(rating::Entity)
            .and_where(
                Expr::col((rating::Entity, rating::Column::GenerationId))
                    .equals((generation::Entity, generation::Column::Id)),
            )
            .and_where(Expr::col((rating::Entity, rating::Column::UserId)).eq(user_id))
            .to_owned();
        query = query.filter(Expr::exists(rated_by_annotator).not());
    }
    let found = query
        .order_by_asc(generation::Column::RatingCount)
        .order_by_asc(generation::Column::Id)
        .limit(1)
        .find_also_related(prompt::Entity)
        .one(db)
        .await?;
    Ok(found.and_then(|(generation, prompt)| {
        let prompt = prompt?;
        Some(Card {
            generation_id: generation.id,
            campaign: campaign.slug.clone(),
            prompt: prompt.text,
            system_prompt: prompt.system_prompt,
            response: generation.text,
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{fresh_db, small_campaign};
    use crate::{Label, annotators, ratings};

    #[tokio::test]
    async fn offers_each_response_until_it_reaches_its_overlap() {
        let db = fresh_db().await;
        let campaign = small_campaign(&db, 2, 2).await; // 2 prompts x 2 models, overlap 2
        let mut seen = Vec::new();
        for cookie in ["a", "b"] {
            let user = annotators::browser_annotator(&db, cookie).await.unwrap();
            let mut mine = Vec::new();
            while let Some(card) = next_card(&db, &campaign, Some(user.id)).await.unwrap() {
                assert!(
                    !mine.contains(&card.generation_id),
                    "never the same card twice"
                );
                mine.push(card.generation_id);
                ratings::rate(&db, user.id, card.generation_id, Label::Up)
                    .await
                    .unwrap();
            }
            assert_eq!(mine.len(), 4, "each annotator rates every response once");
            seen.extend(mine);
        }
        let third = annotators::browser_annotator(&db, "c").await.unwrap();
        assert_eq!(
            next_card(&db, &campaign, Some(third.id)).await.unwrap(),
            None,
            "all responses reached overlap 2"
        );
        assert_eq!(seen.len(), 8);
    }

    #[tokio::test]
    async fn least_rated_responses_come_first() {
        let db = fresh_db().await;
        let campaign = small_campaign(&db, 1, 3).await;
        let first = annotators::browser_annotator(&db, "first").await.unwrap();
        let card = next_card(&db, &campaign, Some(first.id))
            .await
            .unwrap()
            .unwrap();
        ratings::rate(&db, first.id, card.generation_id, Label::Down)
            .await
            .unwrap();
        let second = annotators::browser_annotator(&db, "second").await.unwrap();
        let next = next_card(&db, &campaign, Some(second.id))
            .await
            .unwrap()
            .unwrap();
        assert_ne!(next.generation_id, card.generation_id);
        // An anonymous visitor sees the same least-rated card.
        let anonymous = next_card(&db, &campaign, None).await.unwrap().unwrap();
        assert_eq!(anonymous.generation_id, next.generation_id);
    }
}
