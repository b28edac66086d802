//! The counters behind the leaderboard: the generation's 👍/👎, the model's 👍/👎 and rated
//! responses, the 👍/👎 pattern counts agreement is computed from, annotators' standing and
//! ratings per hour. Database triggers move them with every rating inserted or deleted,
//! inside the rating's own transaction (`crate::board::triggers` defines them, written to mirror
//! `standing` here); `rebuild` recounts all of them from the ratings and reports what had
//! drifted.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
    TransactionTrait,
};
use serde::Serialize;

use crate::CoreResult;
use crate::db::entities::{
    annotator_stat, generation, model_stat, rating, rating_hour, vote_pattern,
};

/// The hour a moment falls in (UTC).
pub(crate) fn hour_of(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(TimeDelta::hours(1)).unwrap_or(at)
}

/// Whether a rating (👍 if `rated_up`) on a response holding `up`/`down` votes in all,
/// its own included, is compared with the others, and agrees with their majority:
/// (compared, agreed) as 0 or 1. No others, or a tie among them, compares nothing.
pub(crate) fn standing(rated_up: bool, up: i32, down: i32) -> (i32, i32) {
    let (others_up, others_down) = if rated_up {
        (up - 1, down)
    } else {
        (up, down - 1)
    };
    if others_up == others_down {
        return (0, 0);
    }
    (1, i32::from((others_up > others_down) == rated_up))
}

/// What a recount found different from the stored counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Drift {
    /// Generations whose rating, 👍 or 👎 counter was off.
    pub generations: usize,
    /// (campaign, model) rows that were off or missing.
    pub model_stats: usize,
    /// (campaign, 👍, 👎) pattern rows that were off or missing.
    pub vote_patterns: usize,
    /// (campaign, hour) rows that were off or missing.
    pub rating_hours: usize,
    /// (campaign, annotator) rows that were off or missing.
    pub annotator_stats: usize,
    /// Ratings counted.
    pub ratings: usize,
}

impl Drift {
    pub fn is_clean(&self) -> bool {
        self.generations
            + self.model_stats
            + self.vote_patterns
            + self.rating_hours
            + self.annotator_stats
            == 0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Counts {
    up: i32,
    down: i32,
}

/// Recounts every aggregate from the ratings and reports the drift; with `fix`, writes the
/// recount in one transaction. A full scan, for repair (`swipeset stats rebuild`), never
/// for serving: run it with the server stopped, or accept that ratings made meanwhile
/// may need another run.
pub async fn rebuild(db: &DatabaseConnection, fix: bool) -> CoreResult<Drift> {
    let txn = db.begin().await?;
    // Per generation, from the ratings.
    let mut per_generation: HashMap<i32, Counts> = HashMap::new();
    let ratings: Vec<(i32, i32, bool, DateTime<Utc>)> = rating::Entity::find()
        .select_only()
        .column(rating::Column::UserId)
        .column(rating::Column::GenerationId)
        .column(rating::Column::Label)
        .column(rating::Column::CreatedAt)
        .into_tuple()
        .all(&txn)
        .await?;
    let mut drift = Drift {
        ratings: ratings.len(),
        ..Drift::default()
    };
    for &(_, generation_id, up, _) in &ratings {
        let counts = per_generation.entry(generation_id).or_default();
        if up {
            counts.up += 1;
        } else {
            counts.down += 1;
        }
    }

    type GenerationRow = (i32, i32, i32, i32, i32, i32);
    let generations: Vec<GenerationRow> = generation::Entity::find()
        .select_only()
        .column(generation::Column::Id)
        .column(generation::Column::CampaignId)
        .column(generation::Column::ModelId)
        .column(generation::Column::RatingCount)
        .column(generation::Column::UpCount)
        .column(generation::Column::DownCount)
        .into_tuple()
        .all(&txn)
        .await?;
    let mut campaign_of: HashMap<i32, i32> = HashMap::with_capacity(generations.len());
    let mut models: BTreeMap<(i32, i32), (i32, i32, i32, i32)> = BTreeMap::new();
    let mut patterns: BTreeMap<(i32, i32, i32), i32> = BTreeMap::new();
    for (id, campaign_id, model_id, rating_count, up, down) in generations {
        campaign_of.insert(id, campaign_id);
        let want = per_generation.get(&id).copied().unwrap_or_default();
        let stat = models.entry((campaign_id, model_id)).or_default();
        stat.0 += want.up;
        stat.1 += want.down;
        stat.2 += 1;
        if want.up + want.down > 0 {
            stat.3 += 1;
            *patterns
                .entry((campaign_id, want.up, want.down))
                .or_default() += 1;
        }
        if (rating_count, up, down) != (want.up + want.down, want.up, want.down) {
            drift.generations += 1;
            if fix {
                // Slots follow ratings: a rating that was never counted holds one too.
                let shift = want.up + want.down - rating_count;
                generation::Entity::update_many()
                    .col_expr(
                        generation::Column::RatingCount,
                        Expr::value(want.up + want.down),
                    )
                    .col_expr(generation::Column::UpCount, Expr::value(want.up))
                    .col_expr(generation::Column::DownCount, Expr::value(want.down))
                    .col_expr(
                        generation::Column::ClaimedCount,
                        Expr::col(generation::Column::ClaimedCount).add(shift),
                    )
                    .filter(generation::Column::Id.eq(id))
                    .exec(&txn)
                    .await?;
            }
        }
    }
    let mut annotators: BTreeMap<(i32, i32), (i32, i32, i32)> = BTreeMap::new();
    let mut hours: BTreeMap<(i32, DateTime<Utc>), i32> = BTreeMap::new();
    for (user_id, generation_id, up, at) in ratings {
        let (Some(&campaign_id), Some(counts)) = (
            campaign_of.get(&generation_id),
            per_generation.get(&generation_id),
        ) else {
            continue;
        };
        let (compared, agreed) = standing(up, counts.up, counts.down);
        let stat = annotators.entry((campaign_id, user_id)).or_default();
        stat.0 += 1;
        stat.1 += compared;
        stat.2 += agreed;
        *hours.entry((campaign_id, hour_of(at))).or_default() += 1;
    }

    // Compare the stored aggregates with the recount.
    let stored_models: BTreeMap<(i32, i32), (i32, i32, i32, i32)> = model_stat::Entity::find()
        .all(&txn)
        .await?
        .into_iter()
        .map(|m| {
            let counts = (m.up_count, m.down_count, m.responses, m.rated_responses);
            ((m.campaign_id, m.model_id), counts)
        })
        .collect();
    drift.model_stats = differences(&models, &stored_models, (0, 0, 0, 0));
    let stored_patterns: BTreeMap<(i32, i32, i32), i32> = vote_pattern::Entity::find()
        .all(&txn)
        .await?
        .into_iter()
        .map(|p| ((p.campaign_id, p.up_count, p.down_count), p.responses))
        .collect();
    drift.vote_patterns = differences(&patterns, &stored_patterns, 0);
    let stored_hours: BTreeMap<(i32, DateTime<Utc>), i32> = rating_hour::Entity::find()
        .all(&txn)
        .await?
        .into_iter()
        .map(|h| ((h.campaign_id, h.hour), h.ratings))
        .collect();
    drift.rating_hours = differences(&hours, &stored_hours, 0);
    let stored_annotators: BTreeMap<(i32, i32), (i32, i32, i32)> = annotator_stat::Entity::find()
        .all(&txn)
        .await?
        .into_iter()
        .map(|a| {
            (
                (a.campaign_id, a.user_id),
                (a.ratings, a.compared, a.agreed),
            )
        })
        .collect();
    drift.annotator_stats = differences(&annotators, &stored_annotators, (0, 0, 0));

    if !fix || drift.is_clean() {
        txn.rollback().await?;
        return Ok(drift);
    }
    model_stat::Entity::delete_many().exec(&txn).await?;
    for ((campaign_id, model_id), (up, down, responses, rated)) in models {
        model_stat::Entity::insert(model_stat::ActiveModel {
            campaign_id: Set(campaign_id),
            model_id: Set(model_id),
            up_count: Set(up),
            down_count: Set(down),
            responses: Set(responses),
            rated_responses: Set(rated),
            ..Default::default()
        })
        .exec_without_returning(&txn)
        .await?;
    }
    vote_pattern::Entity::delete_many().exec(&txn).await?;
    for ((campaign_id, up, down), responses) in patterns {
        vote_pattern::Entity::insert(vote_pattern::ActiveModel {
            campaign_id: Set(campaign_id),
            up_count: Set(up),
            down_count: Set(down),
            responses: Set(responses),
            ..Default::default()
        })
        .exec_without_returning(&txn)
        .await?;
    }
    rating_hour::Entity::delete_many().exec(&txn).await?;
    for ((campaign_id, hour), ratings) in hours {
        rating_hour::Entity::insert(rating_hour::ActiveModel {
            campaign_id: Set(campaign_id),
            hour: Set(hour),
            ratings: Set(ratings),
            ..Default::default()
        })
        .exec_without_returning(&txn)
        .await?;
    }
    annotator_stat::Entity::delete_many().exec(&txn).await?;
    for ((campaign_id, user_id), (ratings, compared, agreed)) in annotators {
        annotator_stat::Entity::insert(annotator_stat::ActiveModel {
            campaign_id: Set(campaign_id),
            user_id: Set(user_id),
            ratings: Set(ratings),
            compared: Set(compared),
            agreed: Set(agreed),
            ..Default::default()
        })
        .exec_without_returning(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(drift)
}

/// Keys whose values differ between the recount and the stored rows; a stored row equal to
/// `zero` and a missing one are the same thing.
fn differences<K: Ord, V: PartialEq + Copy>(
    want: &BTreeMap<K, V>,
    stored: &BTreeMap<K, V>,
    zero: V,
) -> usize {
    let missing_or_off = want
        .iter()
        .filter(|(k, v)| stored.get(k).copied().unwrap_or(zero) != **v)
        .count();
    let extra = stored
        .iter()
        .filter(|(k, v)| !want.contains_key(k) && **v != zero)
        .count();
    missing_or_off + extra
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Label;
    use crate::accounts::guests;
    use crate::rating::rate::{self, NewRating};
    use crate::testing::{fresh_store, small_campaign};
    use sea_orm::QueryOrder;
    use sea_orm_migration::MigratorTrait;

    /// Two responses rated by three people, one rating undone.
    async fn rated_campaign() -> (crate::Store, i32) {
        let store = fresh_store().await;
        let db = store.db().clone();
        let campaign = small_campaign(&db, 1, 2).await;
        let generations: Vec<i32> = generation::Entity::find()
            .filter(generation::Column::CampaignId.eq(campaign.id))
            .all(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|g| g.id)
            .collect();
        for (who, label) in [("a", Label::Up), ("b", Label::Down)] {
            let user = guests::browser_annotator(&db, who).await.unwrap().id;
            for &g in &generations {
                rate::rate(&store, user, NewRating::new(g, label))
                    .await
                    .unwrap();
            }
        }
        let a = guests::browser_annotator(&db, "a").await.unwrap().id;
        rate::undo(&store, a, generations[1]).await.unwrap();
        (store, campaign.id)
    }

    #[tokio::test]
    async fn every_rating_and_undo_moves_the_aggregates() {
        let (store, campaign_id) = rated_campaign().await;
        let db = store.db();
        let stats = model_stat::Entity::find()
            .filter(model_stat::Column::CampaignId.eq(campaign_id))
            .order_by_asc(model_stat::Column::ModelId)
            .all(db)
            .await
            .unwrap();
        let counts: Vec<_> = stats
            .iter()
            .map(|s| (s.up_count, s.down_count, s.responses, s.rated_responses))
            .collect();
        assert_eq!(counts, vec![(1, 1, 1, 1), (0, 1, 1, 1)]);
        let mut patterns: Vec<_> = vote_pattern::Entity::find()
            .filter(vote_pattern::Column::Responses.gt(0))
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|p| (p.up_count, p.down_count, p.responses))
            .collect();
        patterns.sort();
        assert_eq!(patterns, vec![(0, 1, 1), (1, 1, 1)]);
        let hours: i32 = rating_hour::Entity::find()
            .all(db)
            .await
            .unwrap()
            .iter()
            .map(|h| h.ratings)
            .sum();
        assert_eq!(hours, 3, "4 ratings, 1 undone");
        assert!(rebuild(db, false).await.unwrap().is_clean());
    }

    #[test]
    fn a_rating_is_compared_with_the_majority_of_the_others() {
        // 👍 among 👍👍 (and itself): compared, agrees.
        assert_eq!(standing(true, 3, 0), (1, 1));
        // 👎 against 👍👍: compared, disagrees.
        assert_eq!(standing(false, 2, 1), (1, 0));
        // Alone, or the others tied: not compared.
        assert_eq!(standing(true, 1, 0), (0, 0));
        assert_eq!(standing(false, 1, 2), (0, 0));
    }

    #[tokio::test]
    async fn agreement_per_annotator_follows_ratings_and_undos() {
        let (store, campaign_id) = rated_campaign().await;
        let db = store.db();
        let mut stats: Vec<_> = annotator_stat::Entity::find()
            .filter(annotator_stat::Column::CampaignId.eq(campaign_id))
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|a| (a.ratings, a.compared, a.agreed))
            .collect();
        stats.sort();
        // a: 👍 on the first response (b said 👎 there): compared, disagrees; a's rating of
        // the second was undone. b: 👎 on both; compared on the first only.
        assert_eq!(stats, vec![(1, 1, 0), (2, 1, 0)]);
    }

    #[tokio::test]
    async fn rebuild_reports_drift_and_repairs_it() {
        let (store, _) = rated_campaign().await;
        let db = store.db();
        // Damage: a model's counter, a pattern row, a generation's counter.
        model_stat::Entity::update_many()
            .col_expr(model_stat::Column::UpCount, Expr::value(40))
            .exec(db)
            .await
            .unwrap();
        vote_pattern::Entity::delete_many().exec(db).await.unwrap();
        let one = generation::Entity::find().one(db).await.unwrap().unwrap();
        generation::Entity::update_many()
            .col_expr(generation::Column::UpCount, Expr::value(9))
            .filter(generation::Column::Id.eq(one.id))
            .exec(db)
            .await
            .unwrap();

        let found = rebuild(db, false).await.unwrap();
        assert_eq!(
            (
                found.generations,
                found.model_stats,
                found.vote_patterns,
                found.rating_hours
            ),
            (1, 2, 2, 0),
            "{found:?}"
        );
        assert_eq!(found.ratings, 3);
        assert_eq!(
            rebuild(db, false).await.unwrap(),
            found,
            "a check changes nothing"
        );
        assert_eq!(
            rebuild(db, true).await.unwrap(),
            found,
            "the repair reports the same"
        );
        assert!(rebuild(db, false).await.unwrap().is_clean());
        let repaired = generation::Entity::find_by_id(one.id)
            .one(db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(repaired, one);
    }

    #[tokio::test]
    async fn the_migration_counts_in_existing_ratings() {
        let (store, _) = rated_campaign().await;
        let db = store.db();
        // Back before the counter triggers (migrations 10 and 11), and up again over the
        // existing ratings.
        crate::db::migration::Migrator::down(db, Some(2))
            .await
            .unwrap();
        crate::db::migration::Migrator::up(db, None).await.unwrap();
        let drift = rebuild(db, false).await.unwrap();
        assert!(drift.is_clean(), "{drift:?}");
        assert_eq!(drift.ratings, 3);
    }
}
