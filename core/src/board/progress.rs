//! How far a campaign's rating has come, from the counters alone: the rater's progress
//! bar and the leaderboard read the same figures, computed here once.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use swipeset_wire::{CampaignLine, Progress, ProgressReply};

use crate::CoreResult;
use crate::board::shards;
use crate::db::entities::{campaign, model_stat, prompt, vote_pattern};

/// The campaign's progress: two small reads (a row per model, a row per 👍/👎 pattern),
/// whatever the campaign's size.
pub async fn progress(
    db: &impl ConnectionTrait,
    campaign: &campaign::Model,
) -> CoreResult<Progress> {
    let models = shards::models(
        model_stat::Entity::find()
            .filter(model_stat::Column::CampaignId.eq(campaign.id))
            .all(db)
            .await?,
    );
    let patterns = shards::patterns(
        vote_pattern::Entity::find()
            .filter(vote_pattern::Column::CampaignId.eq(campaign.id))
            .all(db)
            .await?,
    );
    Ok(progress_from(&models, &patterns, campaign))
}

/// The progress a rater sees: the campaign's, and how many of its responses `annotator`
/// rated (a count bounded by what one person can rate).
pub async fn for_rater(
    db: &impl ConnectionTrait,
    campaign: &campaign::Model,
    annotator: Option<i32>,
) -> CoreResult<ProgressReply> {
    // Every vote of theirs, held back, set aside and gold ones too: the count must not tell
    // a gold card apart, nor tell a guest that their votes wait.
    let rated_by_you = match annotator {
        Some(user_id) => {
            let (votes, gold) = crate::rating::gold::decisions(db, campaign.id, user_id).await?;
            u64::try_from(votes + gold).unwrap_or(0)
        }
        None => 0,
    };
    Ok(ProgressReply::new(
        campaign.slug.clone(),
        progress(db, campaign).await?,
        rated_by_you,
    ))
}

/// Every campaign with its prompts, responses and ratings, oldest first: the admin's
/// campaigns page.
pub async fn campaign_lines(db: &impl ConnectionTrait) -> CoreResult<Vec<CampaignLine>> {
    let mut lines = Vec::new();
    for campaign in crate::campaign::list(db).await? {
        let prompts = prompt::Entity::find()
            .filter(prompt::Column::CampaignId.eq(campaign.id))
            .count(db)
            .await?;
        let progress = progress(db, &campaign).await?;
        lines.push(CampaignLine {
            slug: campaign.slug,
            title: campaign.title,
            open: campaign.open,
            public_board: campaign.public_board,
            overlap: campaign.overlap,
            prompts,
            responses: progress.responses,
            generations: progress.responses,
            ratings: progress.ratings,
            target: progress.target,
        });
    }
    Ok(lines)
}

/// The progress the counters say: responses and ratings summed over the models, and a
/// response is complete once its 👍 and 👎 reach the overlap, or (adaptive overlap) once
/// they settle it. The target is then the most the responses could take. `models` and
/// `patterns` are summed over their shards already (`shards`).
pub(crate) fn progress_from<'a>(
    models: impl IntoIterator<Item = &'a model_stat::Model>,
    patterns: &[vote_pattern::Model],
    campaign: &campaign::Model,
) -> Progress {
    let overlap = count(campaign.overlap);
    let adaptive = campaign.adaptive_overlap;
    let (responses, ratings) = models.into_iter().fold((0, 0), |(responses, ratings), m| {
        (
            responses + count(m.responses),
            ratings + count(m.up_count) + count(m.down_count),
        )
    });
    let completed = patterns
        .iter()
        .filter(|p| {
            let (up, down) = (count(p.up_count), count(p.down_count));
            up + down >= overlap || (adaptive && crate::rating::adaptive::settled(up, down))
        })
        .map(|p| count(p.responses))
        .sum();
    Progress {
        responses,
        target: responses * overlap,
        ratings,
        completed,
    }
}

/// Counters are never negative; a drifted one reads as zero until `stats rebuild`.
pub(crate) fn count(value: i32) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{fresh_store, small_campaign};

    #[tokio::test]
    async fn the_campaigns_page_counts_prompts_and_responses() {
        let store = fresh_store().await;
        let db = store.db().clone();
        small_campaign(&db, 2, 2).await;
        let lines = campaign_lines(&db).await.unwrap();
        assert_eq!((lines[0].prompts, lines[0].responses), (2, 4));
        assert_eq!(
            lines[0].generations, lines[0].responses,
            "the old name, for one release"
        );
    }
}
