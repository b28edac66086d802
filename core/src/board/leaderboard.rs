//! The leaderboard of a campaign, read from the aggregates (`crate::board::aggregates`) and never
//! from a scan of the ratings: per model the 👍 rate with its Wilson interval and rank,
//! progress towards the campaign's target, recent activity, and agreement.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
    RelationTrait,
};
use swipeset_wire::{
    BoardProgress, ContributorLine, HourCount, Interval, LeaderboardReply, ModelStanding,
};

use crate::accounts::pseudonyms;
use crate::board::aggregates::hour_of;
use crate::board::progress::{count, progress_from};
use crate::board::shards;
use crate::board::stats::{self, Z95};
use crate::db::entities::{
    annotator_stat, campaign, generation, model, model_stat, rating, rating_hour, vote_pattern,
};
use crate::{CoreError, CoreResult};

/// Below this many votes a model's row is marked preliminary, unless the caller says.
pub const DEFAULT_MIN_VOTES: u64 = 30;
/// How far back "active annotators" looks.
pub const ACTIVE_WINDOW: TimeDelta = TimeDelta::minutes(10);
/// How many hours the ratings-per-hour sparkline covers.
pub const SPARKLINE_HOURS: i64 = 24;
/// Bootstrap replicates for agreement's interval.
const REPLICATES: usize = 1_000;

/// How many contributors the board lists.
pub const CONTRIBUTORS: u64 = 20;

pub async fn leaderboard(
    db: &impl ConnectionTrait,
    campaign: &campaign::Model,
    now: DateTime<Utc>,
    min_votes: u64,
) -> CoreResult<LeaderboardReply> {
    // The reads are independent: run side by side, the board waits for the slowest
    // rather than for all of them in turn (it is computed while ratings pour in).
    let model_stats = model_stat::Entity::find()
        .filter(model_stat::Column::CampaignId.eq(campaign.id))
        .find_also_related(model::Entity)
        .all(db);
    let patterns = vote_pattern::Entity::find()
        .filter(vote_pattern::Column::CampaignId.eq(campaign.id))
        .all(db);
    let standings = annotator_stat::Entity::find()
        .filter(annotator_stat::Column::CampaignId.eq(campaign.id))
        .filter(annotator_stat::Column::Ratings.gt(0))
        .order_by_desc(annotator_stat::Column::Ratings)
        .order_by_asc(annotator_stat::Column::UserId)
        .limit(CONTRIBUTORS)
        .all(db);
    let (stats, patterns, standings, active_annotators, per_hour) = tokio::try_join!(
        async { model_stats.await.map_err(CoreError::from) },
        async { patterns.await.map_err(CoreError::from) },
        async { standings.await.map_err(CoreError::from) },
        active_annotators(db, campaign.id, now),
        per_hour(db, campaign.id, now),
    )?;
    let (stats, patterns) = (shards::models_with(stats), shards::patterns(patterns));
    let totals = progress_from(stats.iter().map(|(s, _)| s), &patterns, campaign);
    let models = ranked(stats, min_votes);

    let units: Vec<(Vec<u64>, u64)> = patterns
        .iter()
        .map(|p| {
            (
                vec![count(p.up_count), count(p.down_count)],
                count(p.responses),
            )
        })
        .collect();
    let agreement = stats::agreement(&units, REPLICATES, campaign.id as u64);

    let (shown, secret) = if standings.is_empty() {
        Default::default()
    } else {
        tokio::try_join!(
            shown_names(db, standings.iter().map(|a| a.user_id)),
            pseudonyms::instance_secret(db),
        )?
    };
    let contributors = standings
        .into_iter()
        .map(|a| ContributorLine {
            name: shown
                .get(&a.user_id)
                .cloned()
                .unwrap_or_else(|| pseudonyms::board_name(&secret, a.user_id)),
            ratings: count(a.ratings),
            compared: count(a.compared),
            agreement: (a.compared > 0).then(|| f64::from(a.agreed) / f64::from(a.compared)),
        })
        .collect();

    Ok(LeaderboardReply {
        campaign: campaign.slug.clone(),
        title: campaign.title.clone(),
        min_votes,
        models,
        progress: BoardProgress {
            totals,
            active_annotators,
            per_hour,
        },
        agreement,
        contributors,
        as_of: now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        category: None,
        categories: Vec::new(),
    })
}

/// The models' lines from their counters, ranked, best first.
fn ranked(
    stats: Vec<(model_stat::Model, Option<model::Model>)>,
    min_votes: u64,
) -> Vec<ModelStanding> {
    let mut models: Vec<ModelStanding> = stats
        .into_iter()
        .map(|(s, m)| {
            let (up, down) = (count(s.up_count), count(s.down_count));
            standing(
                s.model_id,
                m.map_or_else(|| format!("model {}", s.model_id), |m| m.name),
                (up, down),
                (count(s.responses), count(s.rated_responses)),
                min_votes,
            )
        })
        .collect();
    rank(&mut models);
    models
}

/// Just the models' lines of the board, ranked, best first: one read of their counters.
pub async fn standings(
    db: &impl ConnectionTrait,
    campaign: &campaign::Model,
    min_votes: u64,
) -> CoreResult<Vec<ModelStanding>> {
    let stats = model_stat::Entity::find()
        .filter(model_stat::Column::CampaignId.eq(campaign.id))
        .find_also_related(model::Entity)
        .all(db)
        .await?;
    Ok(ranked(shards::models_with(stats), min_votes))
}

/// A model's line from its counts, before ranking.
fn standing(
    model_id: i32,
    model: String,
    (up, down): (u64, u64),
    (responses, rated_responses): (u64, u64),
    min_votes: u64,
) -> ModelStanding {
    ModelStanding {
        model_id,
        model,
        up,
        down,
        votes: up + down,
        rate: stats::wilson(up, up + down, Z95),
        rank: 0,
        preliminary: up + down < min_votes,
        responses,
        rated_responses,
    }
}

/// Ranks the lines by their intervals and sorts them best first.
fn rank(models: &mut [ModelStanding]) {
    // A model without votes has the widest possible interval: it overlaps everyone.
    let intervals: Vec<Interval> = models
        .iter()
        .map(|m| {
            m.rate.unwrap_or(Interval {
                estimate: 0.0,
                low: 0.0,
                high: 1.0,
            })
        })
        .collect();
    for (row, rank) in models.iter_mut().zip(stats::ranks(&intervals)) {
        row.rank = rank;
    }
    models.sort_by(|a, b| {
        let rate = |m: &ModelStanding| m.rate.map_or(-1.0, |r| r.estimate);
        a.rank
            .cmp(&b.rank)
            .then(rate(b).total_cmp(&rate(a)))
            .then(b.votes.cmp(&a.votes))
            .then(a.model.cmp(&b.model))
    });
}

/// The board with its models' lines counted over the prompts of one category (the
/// campaign's `category_field`; `model_page::NO_CATEGORY` for prompts without one): one
/// query over that category's responses, through the `prompt_category` index. Progress,
/// agreement and contributors stay the campaign's. `None` is the whole board.
pub async fn filtered(
    db: &impl ConnectionTrait,
    campaign: &campaign::Model,
    now: DateTime<Utc>,
    min_votes: u64,
    category: Option<&str>,
) -> CoreResult<LeaderboardReply> {
    use sea_orm::{FromQueryResult, Value};
    #[derive(FromQueryResult)]
    struct Sums {
        model_id: i32,
        up: i64,
        down: i64,
        responses: i64,
        rated: i64,
    }
    let mut board = leaderboard(db, campaign, now, min_votes).await?;
    let Some(category) = category else {
        return Ok(board);
    };
    if campaign.category_field.is_none() {
        return Err(CoreError::invalid(
            "category",
            format!("campaign `{}` names no category field", campaign.slug),
        ));
    }
    let (test, values): (&str, Vec<Value>) = if category == crate::board::model_page::NO_CATEGORY {
        ("p.category IS NULL", vec![campaign.id.into()])
    } else {
        ("p.category = ?", vec![campaign.id.into(), category.into()])
    };
    let sql = format!(
        "SELECT g.model_id, SUM(g.up_count) AS up, SUM(g.down_count) AS down, \
         COUNT(*) AS responses, SUM(CASE WHEN g.rating_count > 0 THEN 1 ELSE 0 END) AS rated \
         FROM prompt p JOIN generation g ON g.prompt_id = p.id \
         WHERE p.campaign_id = ? AND {test} AND g.hidden_at IS NULL AND g.gold_label IS NULL \
         GROUP BY g.model_id"
    );
    let backend = db.get_database_backend();
    let sums = Sums::find_by_statement(crate::db::statement(backend, &sql, values))
        .all(db)
        .await?;
    let positive = |n: i64| n.max(0) as u64;
    let mut models: Vec<ModelStanding> = board
        .models
        .iter()
        .map(|m| {
            let s = sums.iter().find(|s| s.model_id == m.model_id);
            standing(
                m.model_id,
                m.model.clone(),
                s.map_or((0, 0), |s| (positive(s.up), positive(s.down))),
                s.map_or((0, 0), |s| (positive(s.responses), positive(s.rated))),
                min_votes,
            )
        })
        .collect();
    rank(&mut models);
    board.models = models;
    board.category = Some(category.to_string());
    Ok(board)
}

/// The campaign's categories with how many prompts each has, most first; `NO_CATEGORY`
/// for prompts without one. Empty where the campaign names no category field.
pub async fn categories(
    db: &impl ConnectionTrait,
    campaign: &campaign::Model,
) -> CoreResult<Vec<(String, u64)>> {
    use crate::db::entities::prompt;
    use sea_orm::sea_query::Expr;
    if campaign.category_field.is_none() {
        return Ok(Vec::new());
    }
    let rows: Vec<(Option<String>, i64)> = prompt::Entity::find()
        .select_only()
        .column(prompt::Column::Category)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .filter(prompt::Column::CampaignId.eq(campaign.id))
        .group_by(prompt::Column::Category)
        .into_tuple()
        .all(db)
        .await?;
    let mut rows: Vec<(String, u64)> = rows
        .into_iter()
        .map(|(c, n)| {
            (
                c.unwrap_or_else(|| crate::board::model_page::NO_CATEGORY.to_string()),
                n.max(0) as u64,
            )
        })
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(rows)
}

/// Distinct annotators with a rating in the campaign in the last `ACTIVE_WINDOW`: reads
/// only recent ratings, through the `rating_created_at` index.
async fn active_annotators(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    now: DateTime<Utc>,
) -> CoreResult<u64> {
    if db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
        // SQLite's planner would walk the campaign's responses and every rating of each
        // (a third of a second at a million ratings) for what the time index finds in a
        // few milliseconds.
        use sea_orm::FromQueryResult;
        #[derive(FromQueryResult)]
        struct Active {
            n: i64,
        }
        let active = Active::find_by_statement(crate::db::statement(
            sea_orm::DatabaseBackend::Sqlite,
            "SELECT COUNT(DISTINCT r.user_id) AS n FROM rating r INDEXED BY rating_created_at \
             JOIN generation g ON g.id = r.generation_id \
             WHERE r.created_at >= ? AND g.campaign_id = ?",
            [(now - ACTIVE_WINDOW).into(), campaign_id.into()],
        ))
        .one(db)
        .await?;
        return Ok(active.map_or(0, |a| a.n.max(0) as u64));
    }
    let users: Vec<i32> = rating::Entity::find()
        .select_only()
        .column(rating::Column::UserId)
        .distinct()
        .join(JoinType::InnerJoin, rating::Relation::Generation.def())
        .filter(rating::Column::CreatedAt.gte(now - ACTIVE_WINDOW))
        .filter(generation::Column::CampaignId.eq(campaign_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(users.len() as u64)
}

async fn per_hour(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    now: DateTime<Utc>,
) -> CoreResult<Vec<HourCount>> {
    let last = hour_of(now);
    let first = last - TimeDelta::hours(SPARKLINE_HOURS - 1);
    let stored: Vec<rating_hour::Model> = rating_hour::Entity::find()
        .filter(rating_hour::Column::CampaignId.eq(campaign_id))
        .filter(rating_hour::Column::Hour.gte(first))
        .order_by_asc(rating_hour::Column::Hour)
        .all(db)
        .await?;
    Ok((0..SPARKLINE_HOURS)
        .map(|i| {
            let hour = first + TimeDelta::hours(i);
            // Summed over the hour's shards.
            let ratings = stored
                .iter()
                .filter(|h| h.hour == hour)
                .map(|h| i64::from(h.ratings))
                .sum::<i64>()
                .max(0);
            HourCount {
                hour: hour.to_rfc3339(),
                ratings,
            }
        })
        .collect())
}

/// The names of those among `ids` who chose to show theirs on the board.
async fn shown_names(
    db: &impl ConnectionTrait,
    ids: impl Iterator<Item = i32>,
) -> CoreResult<std::collections::HashMap<i32, String>> {
    use crate::db::entities::user;
    let ids: Vec<i32> = ids.collect();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .filter(user::Column::ShowName.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Label;
    use crate::accounts::guests;
    use crate::rating::rate::{self, NewRating};
    use crate::testing::{fresh_store, small_campaign};

    #[tokio::test]
    async fn the_board_reads_the_aggregates() {
        let store = fresh_store().await;
        let db = store.db().clone();
        // 6 prompts × 2 models, overlap 2.
        let campaign = small_campaign(&db, 6, 2).await;
        let generations = generation::Entity::find()
            .filter(generation::Column::CampaignId.eq(campaign.id))
            .find_also_related(model::Entity)
            .all(&db)
            .await
            .unwrap();
        // Two annotators: both like every response of Model 0 and dislike Model 1's,
        // except that one of them likes one of Model 1's.
        for who in ["a", "b"] {
            let user = guests::browser_annotator(&db, who).await.unwrap().id;
            let mut kind_once = who == "a";
            for (g, m) in &generations {
                let mut label = if m.as_ref().unwrap().name == "Model 0" {
                    Label::Up
                } else {
                    Label::Down
                };
                if label == Label::Down && kind_once {
                    label = Label::Up;
                    kind_once = false;
                }
                rate::rate(&store, user, NewRating::new(g.id, label))
                    .await
                    .unwrap();
            }
        }
        let now = Utc::now();
        let board = leaderboard(&db, &campaign, now, 10).await.unwrap();

        let rows: Vec<_> = board
            .models
            .iter()
            .map(|m| (m.model.as_str(), m.up, m.down, m.rank, m.preliminary))
            .collect();
        assert_eq!(
            rows,
            vec![("Model 0", 12, 0, 1, false), ("Model 1", 1, 11, 2, false)]
        );
        let best = board.models[0].rate.unwrap();
        assert_eq!(best.estimate, 1.0);
        assert!((best.low - 0.7575).abs() < 1e-3, "Wilson 12/12: {best:?}");
        assert_eq!(board.models[1].rated_responses, 6);

        let p = &board.progress;
        let totals = &p.totals;
        assert_eq!(
            (
                totals.ratings,
                totals.target,
                totals.responses,
                totals.completed
            ),
            (24, 24, 12, 12)
        );
        assert_eq!(p.active_annotators, 2);
        assert_eq!(p.per_hour.len(), SPARKLINE_HOURS as usize);
        assert_eq!(p.per_hour.last().map(|h| h.ratings), Some(24));
        assert!(p.per_hour.iter().rev().skip(1).all(|h| h.ratings == 0));

        // Both annotators compared on all 12; they disagree on one response, where each
        // stands against the other: 11 of 12 agree.
        let people: Vec<_> = board
            .contributors
            .iter()
            .map(|c| {
                (
                    c.ratings,
                    c.compared,
                    c.agreement.map(|a| (a * 12.0).round()),
                )
            })
            .collect();
        assert_eq!(people, vec![(12, 12, Some(11.0)), (12, 12, Some(11.0))]);
        assert!(board.contributors[0].name.starts_with("Annotator "));
        // Someone who chose to show their name is shown by it; the other keeps a pseudonym.
        let ada = guests::browser_annotator(&db, "a").await.unwrap();
        crate::accounts::users::set_show_name(&db, ada.id, true)
            .await
            .unwrap();
        let named = leaderboard(&db, &campaign, Utc::now(), DEFAULT_MIN_VOTES)
            .await
            .unwrap();
        let names: Vec<_> = named.contributors.iter().map(|c| c.name.clone()).collect();
        assert!(names.contains(&ada.name), "{names:?}");
        assert_eq!(
            names.iter().filter(|n| n.starts_with("Annotator ")).count(),
            1
        );

        // 11 of 12 responses agree: α is high but below 1, with an interval.
        let agreement = board.agreement.unwrap();
        assert_eq!(agreement.units, 12);
        assert!(
            agreement.alpha > 0.7 && agreement.alpha < 1.0,
            "{agreement:?}"
        );
        assert!(agreement.low <= agreement.alpha && agreement.alpha <= agreement.high);

        // With a higher minimum, both are preliminary; ten minutes on, nobody is active.
        let later = leaderboard(
            &db,
            &campaign,
            now + ACTIVE_WINDOW + TimeDelta::seconds(1),
            100,
        )
        .await
        .unwrap();
        assert!(later.models.iter().all(|m| m.preliminary));
        assert_eq!(later.progress.active_annotators, 0);
    }

    /// The board's pseudonyms are keyed with the instance's secret: the same user number
    /// on two instances gets two unrelated names, neither of which anyone can compute from
    /// the number alone (as they could from the unkeyed hash the board once used).
    #[tokio::test]
    async fn pseudonyms_are_keyed_by_the_instance() {
        use sha2::{Digest, Sha256};
        let mut seen = Vec::new();
        for _instance in 0..2 {
            let store = fresh_store().await;
            let db = store.db().clone();
            let campaign = small_campaign(&db, 1, 1).await;
            let user = guests::browser_annotator(&db, "a").await.unwrap().id;
            let response = generation::Entity::find().one(&db).await.unwrap().unwrap();
            rate::rate(&store, user, NewRating::new(response.id, Label::Up))
                .await
                .unwrap();
            let board = || leaderboard(&db, &campaign, Utc::now(), DEFAULT_MIN_VOTES);
            let name = board().await.unwrap().contributors[0].name.clone();
            assert_eq!(
                board().await.unwrap().contributors[0].name,
                name,
                "stable on one instance"
            );
            let secret = pseudonyms::instance_secret(&db).await.unwrap();
            assert_eq!(name, pseudonyms::board_name(&secret, user));
            let unkeyed = Sha256::digest(format!("swipeset-annotator:{user}"));
            assert_ne!(name, format!("Annotator {}", &hex::encode(unkeyed)[..6]));
            seen.push((user, name));
        }
        assert_eq!(seen[0].0, seen[1].0, "the same user number on both");
        assert_ne!(seen[0].1, seen[1].1, "{seen:?}");
    }

    #[tokio::test]
    async fn a_campaign_without_ratings_lists_its_models_at_zero() {
        let store = fresh_store().await;
        let db = store.db().clone();
        let campaign = small_campaign(&db, 2, 3).await;
        let board = leaderboard(&db, &campaign, Utc::now(), DEFAULT_MIN_VOTES)
            .await
            .unwrap();
        assert_eq!(board.models.len(), 3);
        assert!(
            board
                .models
                .iter()
                .all(|m| m.votes == 0 && m.rate.is_none() && m.rank == 1)
        );
        assert_eq!(board.progress.totals.target, 12);
        assert_eq!(board.agreement, None);
    }
}
