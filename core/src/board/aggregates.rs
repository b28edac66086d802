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
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, FromQueryResult, QueryFilter, QuerySelect, TransactionTrait,
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
    /// (campaign, rater) rows of each rater's figures (`rater_stat`) that were off or
    /// missing, and (campaign, rater, decision time) rows (`rater_decision`).
    pub rater_stats: usize,
    pub rater_decisions: usize,
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
            + self.rater_stats
            + self.rater_decisions
            == 0
    }
}

/// 👍 and 👎 on one response, or on one model's responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
struct Votes {
    up: i32,
    down: i32,
}

impl Votes {
    fn add(&mut self, up: bool) {
        if up {
            self.up += 1;
        } else {
            self.down += 1;
        }
    }

    fn total(self) -> i32 {
        self.up + self.down
    }
}

/// A `model_stat` row without its ids, so that the recount and the stored row compare as
/// values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct ModelTally {
    votes: Votes,
    responses: i32,
    /// Responses with at least one rating.
    rated_responses: i32,
}

/// An `annotator_stat` row without its ids, compared as a value like [`ModelTally`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Standing {
    ratings: i32,
    /// Ratings compared with the majority of the others on the same response.
    compared: i32,
    /// Of those, the ones that agreed with it.
    agreed: i32,
}

// The keys of the aggregate tables. Their fields keep the order the key tuples had, so
// the derived order sorts as the tuples did and a repair inserts rows in the same order.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct ModelKey {
    campaign_id: i32,
    model_id: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct PatternKey {
    campaign_id: i32,
    votes: Votes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct HourKey {
    campaign_id: i32,
    hour: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct AnnotatorKey {
    campaign_id: i32,
    user_id: i32,
}

#[derive(Debug, FromQueryResult)]
struct RatingRow {
    user_id: i32,
    generation_id: i32,
    label: bool,
    created_at: DateTime<Utc>,
}

/// A response's stored counters, to be checked against its ratings.
#[derive(Debug, FromQueryResult)]
struct ResponseRow {
    id: i32,
    campaign_id: i32,
    model_id: i32,
    rating_count: i32,
    up_count: i32,
    down_count: i32,
    /// A hidden response is not one of its model's responses (`moderation::hiding`), nor
    /// is a gold card (`rating::gold`).
    hidden_at: Option<chrono::DateTime<chrono::Utc>>,
    gold_label: Option<bool>,
}

/// Every aggregate as the ratings say it should be, keyed as its table is; counted in full
/// before anything is compared or written, so the check and the repair use one set of
/// numbers.
#[derive(Debug, Default)]
struct Recount {
    votes_by_generation: HashMap<i32, Votes>,
    models: BTreeMap<ModelKey, ModelTally>,
    /// Responses per (campaign, 👍/👎 pattern).
    patterns: BTreeMap<PatternKey, i32>,
    /// Ratings per (campaign, hour).
    hours: BTreeMap<HourKey, i32>,
    annotators: BTreeMap<AnnotatorKey, Standing>,
}

impl Recount {
    fn new(ratings: &[RatingRow], generations: &[ResponseRow]) -> Self {
        let mut recount = Recount::default();
        for rating in ratings {
            recount
                .votes_by_generation
                .entry(rating.generation_id)
                .or_default()
                .add(rating.label);
        }
        let mut campaign_of: HashMap<i32, i32> = HashMap::with_capacity(generations.len());
        for generation in generations {
            campaign_of.insert(generation.id, generation.campaign_id);
            let votes = recount.votes(generation.id);
            let key = ModelKey {
                campaign_id: generation.campaign_id,
                model_id: generation.model_id,
            };
            let tally = recount.models.entry(key).or_default();
            tally.votes.up += votes.up;
            tally.votes.down += votes.down;
            if generation.hidden_at.is_none() && generation.gold_label.is_none() {
                tally.responses += 1;
            }
            if votes.total() > 0 {
                tally.rated_responses += 1;
                let key = PatternKey {
                    campaign_id: generation.campaign_id,
                    votes,
                };
                *recount.patterns.entry(key).or_default() += 1;
            }
        }
        for rating in ratings {
            let (Some(&campaign_id), Some(votes)) = (
                campaign_of.get(&rating.generation_id),
                recount.votes_by_generation.get(&rating.generation_id),
            ) else {
                continue;
            };
            let (compared, agreed) = standing(rating.label, votes.up, votes.down);
            let key = AnnotatorKey {
                campaign_id,
                user_id: rating.user_id,
            };
            let stat = recount.annotators.entry(key).or_default();
            stat.ratings += 1;
            stat.compared += compared;
            stat.agreed += agreed;
            let key = HourKey {
                campaign_id,
                hour: hour_of(rating.created_at),
            };
            *recount.hours.entry(key).or_default() += 1;
        }
        recount
    }

    fn votes(&self, generation_id: i32) -> Votes {
        self.votes_by_generation
            .get(&generation_id)
            .copied()
            .unwrap_or_default()
    }
}

/// Recounts every aggregate from the ratings and reports the drift; with `fix`, writes the
/// recount in one transaction. A full scan, for repair (`swipeset stats rebuild`), never
/// for serving: run it with the server stopped, or accept that ratings made meanwhile
/// may need another run.
pub async fn rebuild(db: &DatabaseConnection, fix: bool) -> CoreResult<Drift> {
    let txn = db.begin().await?;
    let ratings = rating::Entity::find()
        .select_only()
        .column(rating::Column::UserId)
        .column(rating::Column::GenerationId)
        .column(rating::Column::Label)
        .column(rating::Column::CreatedAt)
        .into_model::<RatingRow>()
        .all(&txn)
        .await?;
    let generations = generation::Entity::find()
        .select_only()
        .column(generation::Column::Id)
        .column(generation::Column::CampaignId)
        .column(generation::Column::ModelId)
        .column(generation::Column::RatingCount)
        .column(generation::Column::UpCount)
        .column(generation::Column::DownCount)
        .column(generation::Column::HiddenAt)
        .column(generation::Column::GoldLabel)
        .into_model::<ResponseRow>()
        .all(&txn)
        .await?;
    let recount = Recount::new(&ratings, &generations);
    let mut drift = Drift {
        ratings: ratings.len(),
        ..Drift::default()
    };

    for generation in &generations {
        let want = recount.votes(generation.id);
        let stored = Votes {
            up: generation.up_count,
            down: generation.down_count,
        };
        if stored == want && generation.rating_count == want.total() {
            continue;
        }
        drift.generations += 1;
        if fix {
            // Slots follow ratings: a rating that was never counted holds one too.
            let shift = want.total() - generation.rating_count;
            generation::Entity::update_many()
                .col_expr(generation::Column::RatingCount, Expr::value(want.total()))
                .col_expr(generation::Column::UpCount, Expr::value(want.up))
                .col_expr(generation::Column::DownCount, Expr::value(want.down))
                .col_expr(
                    generation::Column::ClaimedCount,
                    Expr::col(generation::Column::ClaimedCount).add(shift),
                )
                .filter(generation::Column::Id.eq(generation.id))
                .exec(&txn)
                .await?;
        }
    }

    // Compare the stored aggregates with the recount.
    // The counters compare summed over their shards (`triggers::SHARDS`).
    let stored_models: BTreeMap<ModelKey, ModelTally> =
        crate::board::shards::models(model_stat::Entity::find().all(&txn).await?)
            .into_iter()
            .map(|m| {
                let key = ModelKey {
                    campaign_id: m.campaign_id,
                    model_id: m.model_id,
                };
                let tally = ModelTally {
                    votes: Votes {
                        up: m.up_count,
                        down: m.down_count,
                    },
                    responses: m.responses,
                    rated_responses: m.rated_responses,
                };
                (key, tally)
            })
            .collect();
    drift.model_stats = differences(&recount.models, &stored_models, ModelTally::default());
    let mut stored_patterns: BTreeMap<PatternKey, i32> = BTreeMap::new();
    for p in vote_pattern::Entity::find().all(&txn).await? {
        let key = PatternKey {
            campaign_id: p.campaign_id,
            votes: Votes {
                up: p.up_count,
                down: p.down_count,
            },
        };
        *stored_patterns.entry(key).or_default() += p.responses;
    }
    drift.vote_patterns = differences(&recount.patterns, &stored_patterns, 0);
    let mut stored_hours: BTreeMap<HourKey, i32> = BTreeMap::new();
    for h in rating_hour::Entity::find().all(&txn).await? {
        let key = HourKey {
            campaign_id: h.campaign_id,
            hour: h.hour,
        };
        *stored_hours.entry(key).or_default() += h.ratings;
    }
    drift.rating_hours = differences(&recount.hours, &stored_hours, 0);
    let stored_annotators: BTreeMap<AnnotatorKey, Standing> = annotator_stat::Entity::find()
        .all(&txn)
        .await?
        .into_iter()
        .map(|a| {
            let key = AnnotatorKey {
                campaign_id: a.campaign_id,
                user_id: a.user_id,
            };
            let stat = Standing {
                ratings: a.ratings,
                compared: a.compared,
                agreed: a.agreed,
            };
            (key, stat)
        })
        .collect();
    drift.annotator_stats =
        differences(&recount.annotators, &stored_annotators, Standing::default());
    // Each rater's figures, recounted by SQL (`triggers::rater_recount`), table by table.
    let [rater_stats, rater_decisions] = crate::board::triggers::rater_recount();
    let rater_tables = [
        ("rater_stat", rater_stats, RATER_STAT),
        ("rater_decision", rater_decisions, RATER_DECISION),
    ];
    let mut rater_drift = [0; 2];
    for (off, (table, recount, columns)) in rater_drift.iter_mut().zip(&rater_tables) {
        let stored = grouped(&txn, &format!("SELECT * FROM \"{table}\""), *columns).await?;
        *off = differences(
            &grouped(&txn, recount, *columns).await?,
            &stored,
            Vec::new(),
        );
    }
    [drift.rater_stats, drift.rater_decisions] = rater_drift;

    if !fix || drift.is_clean() {
        txn.rollback().await?;
        return Ok(drift);
    }
    replace_aggregates(&txn, recount).await?;
    for (table, recount, columns) in rater_tables {
        txn.execute_unprepared(&format!("DELETE FROM \"{table}\""))
            .await?;
        let columns = columns
            .0
            .iter()
            .chain(columns.1)
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        txn.execute_unprepared(&format!(
            "INSERT INTO \"{table}\" ({columns}) SELECT {columns} FROM ({recount}) t"
        ))
        .await?;
    }
    // Repaired counters may settle (or unsettle) responses of adaptive campaigns.
    for campaign in crate::campaign::list(&txn).await? {
        crate::rating::adaptive::settle_all(&txn, &campaign).await?;
    }
    txn.commit().await?;
    Ok(drift)
}

/// Empties the aggregate tables and writes the recount in their place, all in shard 0 (a
/// count is the sum of its shards, wherever later ratings move it).
async fn replace_aggregates(txn: &DatabaseTransaction, recount: Recount) -> CoreResult<()> {
    model_stat::Entity::delete_many().exec(txn).await?;
    for (key, tally) in recount.models {
        model_stat::Entity::insert(model_stat::ActiveModel {
            campaign_id: Set(key.campaign_id),
            model_id: Set(key.model_id),
            up_count: Set(tally.votes.up),
            down_count: Set(tally.votes.down),
            responses: Set(tally.responses),
            rated_responses: Set(tally.rated_responses),
            ..Default::default()
        })
        .exec_without_returning(txn)
        .await?;
    }
    vote_pattern::Entity::delete_many().exec(txn).await?;
    for (key, responses) in recount.patterns {
        vote_pattern::Entity::insert(vote_pattern::ActiveModel {
            campaign_id: Set(key.campaign_id),
            up_count: Set(key.votes.up),
            down_count: Set(key.votes.down),
            responses: Set(responses),
            ..Default::default()
        })
        .exec_without_returning(txn)
        .await?;
    }
    rating_hour::Entity::delete_many().exec(txn).await?;
    for (key, ratings) in recount.hours {
        rating_hour::Entity::insert(rating_hour::ActiveModel {
            campaign_id: Set(key.campaign_id),
            hour: Set(key.hour),
            ratings: Set(ratings),
            ..Default::default()
        })
        .exec_without_returning(txn)
        .await?;
    }
    annotator_stat::Entity::delete_many().exec(txn).await?;
    for (key, stat) in recount.annotators {
        annotator_stat::Entity::insert(annotator_stat::ActiveModel {
            campaign_id: Set(key.campaign_id),
            user_id: Set(key.user_id),
            ratings: Set(stat.ratings),
            compared: Set(stat.compared),
            agreed: Set(stat.agreed),
            ..Default::default()
        })
        .exec_without_returning(txn)
        .await?;
    }
    Ok(())
}

/// A counter table's key columns and counter columns.
type CounterColumns = (&'static [&'static str], &'static [&'static str]);
const RATER_STAT: CounterColumns = (
    &["campaign_id", "user_id"],
    &crate::board::triggers::RATER_COUNTERS,
);
const RATER_DECISION: CounterColumns = (&["campaign_id", "user_id", "bucket"], &["decisions"]);

/// The rows of `sql` keyed by `columns.0`, each with its `columns.1` (counters as `i64`;
/// a row of zeros is left out: it is the same as no row).
async fn grouped(
    txn: &DatabaseTransaction,
    sql: &str,
    (key, counters): CounterColumns,
) -> CoreResult<BTreeMap<Vec<i64>, Vec<i64>>> {
    let backend = txn.get_database_backend();
    let mut out = BTreeMap::new();
    for row in txn
        .query_all(sea_orm::Statement::from_string(backend, sql))
        .await?
    {
        let read = |column: &str| -> CoreResult<i64> {
            // Sums come back as 64-bit on PostgreSQL, stored counters as 32-bit.
            Ok(match row.try_get::<i64>("", column) {
                Ok(n) => n,
                Err(_) => i64::from(row.try_get::<i32>("", column)?),
            })
        };
        let k = key
            .iter()
            .map(|c| read(c))
            .collect::<CoreResult<Vec<_>>>()?;
        let v = counters
            .iter()
            .map(|c| read(c))
            .collect::<CoreResult<Vec<_>>>()?;
        if v.iter().any(|n| *n != 0) {
            out.insert(k, v);
        }
    }
    Ok(out)
}

/// Keys whose values differ between the recount and the stored rows; a stored row equal to
/// `zero` and a missing one are the same thing.
fn differences<K: Ord, V: PartialEq>(
    want: &BTreeMap<K, V>,
    stored: &BTreeMap<K, V>,
    zero: V,
) -> usize {
    let missing_or_off = want
        .iter()
        .filter(|(k, v)| stored.get(k).unwrap_or(&zero) != *v)
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
        let generations = crate::testing::response_ids(&db, campaign.id).await;
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
        // Back before the counter triggers (migrations 10 to 19), and up again over the
        // existing ratings.
        crate::db::migration::Migrator::down(db, Some(10))
            .await
            .unwrap();
        crate::db::migration::Migrator::up(db, None).await.unwrap();
        let drift = rebuild(db, false).await.unwrap();
        assert!(drift.is_clean(), "{drift:?}");
        assert_eq!(drift.ratings, 3);
    }
}
