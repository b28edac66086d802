//! Each rater's figures in a campaign, for the admin's raters page and `swipeset rater
//! list`: ratings, share of 👍, agreement with the others (the leave-one-out counters kept
//! with every rating), how fast they decide, skips, accuracy on gold cards, whether they are
//! excluded, and flags for the patterns careless raters leave.
//!
//! Agreement comes from `annotator_stat`; the rest from three grouped queries over the
//! campaign's ratings and skips (one row per rater comes back, but the database reads every
//! rating of the campaign: about 0.3 s per million on SQLite). An excluded rater's figures
//! come from their set-aside ratings, so the page still shows why they were excluded.

use std::collections::HashMap;

use sea_orm::sea_query::{Alias, Expr, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter};
use serde::Serialize;

use crate::CoreResult;
use crate::board::stats::{Z95, wilson};
use crate::campaign::{RaterFlags, responses};
use crate::db::entities::{
    annotator_stat, campaign, excluded_rating, generation, gold_rating, rating, skip, user,
};

/// Below this many compared ratings, agreement says too little to flag anyone. The
/// agreement threshold itself is the campaign's (`RaterFlags`).
pub const MIN_COMPARED: u64 = 10;
/// Flag fast raters only with at least this many timed decisions; the time is the
/// campaign's.
pub const MIN_TIMED: u64 = 10;
/// Flag on gold accuracy only with at least this many gold votes (0 of 3 right already puts
/// the interval's upper end near 56%); the accuracy threshold is the campaign's.
pub const MIN_GOLD: u64 = 3;
/// Flag one-sided raters: at least this many ratings, and 👍 (or 👎) at least this share.
pub const MIN_ONE_SIDED: u64 = 20;
pub const ONE_SIDED_SHARE: f64 = 0.98;

/// Upper bounds of the decision-time buckets, in milliseconds (the last is open).
const BUCKETS_MS: [i64; 6] = [500, 1_000, 2_000, 4_000, 8_000, 16_000];

/// A pattern worth an admin's look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// Agrees with the others' majority less than chance allows for a careful rater.
    LowAgreement,
    /// Most decisions faster than the campaign allows for reading the card.
    TooFast,
    /// (Nearly) always the same vote.
    OneSided,
    /// Gets gold cards wrong more often than the campaign allows.
    LowGoldAccuracy,
}

impl Flag {
    /// The flag in words, with the campaign's thresholds.
    pub fn describe(self, flags: RaterFlags) -> String {
        match self {
            Flag::LowAgreement => format!(
                "agreement with the others' majority is low (95% upper bound under {}%)",
                flags.agreement_pct
            ),
            Flag::TooFast => format!(
                "more than half the decisions took under {:.1} s",
                f64::from(flags.fast_ms) / 1000.0
            ),
            Flag::OneSided => "votes the same way at least 98% of the time".to_string(),
            Flag::LowGoldAccuracy => format!(
                "gets gold cards wrong: accuracy's 95% upper bound under {}%",
                flags.gold_pct
            ),
        }
    }
}

/// One rater's figures in one campaign.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RaterFigures {
    pub user_id: i32,
    pub name: String,
    pub guest: bool,
    pub ratings: u64,
    pub up: u64,
    /// Ratings compared with the others' majority (leave-one-out), and of those agreeing.
    pub compared: u64,
    pub agreed: u64,
    /// Decisions the client timed, and how many took under the campaign's fast time.
    pub timed: u64,
    pub fast: u64,
    /// The bucket the median decision time falls in: its upper bound in ms, `None` past
    /// the last (or without timed decisions).
    pub median_under_ms: Option<i64>,
    pub skips: u64,
    /// Votes on gold cards, and of those the expected label.
    pub gold: u64,
    pub gold_correct: u64,
    /// Why they were excluded, if they are.
    pub excluded: Option<String>,
    pub flags: Vec<Flag>,
}

impl RaterFigures {
    pub fn up_share(&self) -> Option<f64> {
        (self.ratings > 0).then(|| self.up as f64 / self.ratings as f64)
    }

    /// Agreement with its 95% interval, where there is anything to compare.
    pub fn agreement(&self) -> Option<swipeset_wire::Interval> {
        wilson(self.agreed, self.compared, Z95)
    }

    /// Accuracy on gold cards with its 95% interval, where they voted on any.
    pub fn gold_accuracy(&self) -> Option<swipeset_wire::Interval> {
        wilson(self.gold_correct, self.gold, Z95)
    }

    fn flag(&mut self, thresholds: RaterFlags) {
        let mut flags = Vec::new();
        let gold_low = f64::from(thresholds.gold_pct) / 100.0;
        if self.gold >= MIN_GOLD && self.gold_accuracy().is_some_and(|a| a.high < gold_low) {
            flags.push(Flag::LowGoldAccuracy);
        }
        let low = f64::from(thresholds.agreement_pct) / 100.0;
        if self.compared >= MIN_COMPARED && self.agreement().is_some_and(|a| a.high < low) {
            flags.push(Flag::LowAgreement);
        }
        if self.timed >= MIN_TIMED && self.fast * 2 > self.timed {
            flags.push(Flag::TooFast);
        }
        if self.ratings >= MIN_ONE_SIDED
            && self
                .up_share()
                .is_some_and(|s| s >= ONE_SIDED_SHARE || s <= 1.0 - ONE_SIDED_SHARE)
        {
            flags.push(Flag::OneSided);
        }
        self.flags = flags;
    }
}

#[derive(Debug, FromQueryResult)]
struct Votes {
    user_id: i32,
    ratings: i64,
    up: i64,
    timed: i64,
    fast: i64,
    b0: i64,
    b1: i64,
    b2: i64,
    b3: i64,
    b4: i64,
    b5: i64,
}

/// The grouped vote figures of `table` (`rating` or `excluded_rating`) for the campaign.
fn votes_query(
    table: &str,
    campaign: sea_orm::sea_query::SimpleExpr,
    fast_ms: i32,
) -> SelectStatement {
    let col = |c: &str| format!("\"{table}\".\"{c}\"");
    let mut query = Query::select();
    query
        .expr_as(Expr::cust(col("user_id")), Alias::new("user_id"))
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("ratings"))
        .expr_as(
            Expr::cust(format!("SUM(CASE WHEN {} THEN 1 ELSE 0 END)", col("label"))),
            Alias::new("up"),
        )
        .expr_as(
            Expr::cust(format!(
                "SUM(CASE WHEN {} IS NOT NULL THEN 1 ELSE 0 END)",
                col("decision_ms")
            )),
            Alias::new("timed"),
        )
        .expr_as(
            Expr::cust(format!(
                "SUM(CASE WHEN {} < {fast_ms} THEN 1 ELSE 0 END)",
                col("decision_ms")
            )),
            Alias::new("fast"),
        );
    for (i, bound) in BUCKETS_MS.iter().enumerate() {
        query.expr_as(
            Expr::cust(format!(
                "SUM(CASE WHEN {} < {bound} THEN 1 ELSE 0 END)",
                col("decision_ms")
            )),
            Alias::new(format!("b{i}")),
        );
    }
    query
        .from(Alias::new(table))
        .and_where(campaign)
        .group_by_col((Alias::new(table), Alias::new("user_id")));
    query.to_owned()
}

/// Every rater of `campaign_id` (anyone with a rating, a set-aside rating or a skip there),
/// most ratings first.
pub async fn list(
    db: &impl ConnectionTrait,
    campaign: &campaign::Model,
) -> CoreResult<Vec<RaterFigures>> {
    let thresholds = RaterFlags::of(campaign);
    let campaign_id = campaign.id;
    let backend = db.get_database_backend();
    let counted = votes_query(
        "rating",
        Expr::col((rating::Entity, rating::Column::GenerationId))
            .in_subquery(responses::ids_in(campaign_id)),
        thresholds.fast_ms,
    );
    let set_aside = votes_query(
        "excluded_rating",
        Expr::col((excluded_rating::Entity, excluded_rating::Column::CampaignId)).eq(campaign_id),
        thresholds.fast_ms,
    );
    let mut votes: Vec<Votes> = Vec::new();
    for query in [counted, set_aside] {
        for row in db.query_all(backend.build(&query)).await? {
            votes.push(Votes::from_query_result(&row, "")?);
        }
    }
    let skips_query = Query::select()
        .column((skip::Entity, skip::Column::UserId))
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("skips"))
        .from(skip::Entity)
        .and_where(
            Expr::col((skip::Entity, skip::Column::GenerationId))
                .in_subquery(responses::ids_in(campaign_id)),
        )
        .group_by_col((skip::Entity, skip::Column::UserId))
        .to_owned();
    let mut skips: HashMap<i32, u64> = HashMap::new();
    for row in db.query_all(backend.build(&skips_query)).await? {
        let user_id: i32 = row.try_get("", "user_id")?;
        let count: i64 = row.try_get("", "skips")?;
        skips.insert(user_id, u64::try_from(count).unwrap_or(0));
    }
    let gold = gold_votes(db, campaign_id).await?;
    let stats: HashMap<i32, annotator_stat::Model> = annotator_stat::Entity::find()
        .filter(annotator_stat::Column::CampaignId.eq(campaign_id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.user_id, s))
        .collect();
    let exclusions: HashMap<i32, String> = super::exclusion::excluded(db, campaign_id)
        .await?
        .into_iter()
        .map(|e| (e.user_id, e.reason))
        .collect();
    let mut ids: Vec<i32> = votes.iter().map(|v| v.user_id).collect();
    ids.extend(skips.keys());
    ids.extend(exclusions.keys());
    ids.extend(gold.keys());
    ids.sort_unstable();
    ids.dedup();
    let users: HashMap<i32, user::Model> = user::Entity::find()
        .filter(user::Column::Id.is_in(ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    // A rater has a row of counted ratings, a row of set-aside ones, or (mid-change) both.
    let mut by_rater: HashMap<i32, Vec<&Votes>> = HashMap::new();
    for v in &votes {
        by_rater.entry(v.user_id).or_default().push(v);
    }
    let count = |v: i64| u64::try_from(v).unwrap_or(0);
    let mut raters: Vec<RaterFigures> = ids
        .into_iter()
        .filter_map(|id| {
            let user = users.get(&id)?;
            let mut figures = RaterFigures {
                user_id: id,
                name: user.name.clone(),
                guest: user.browser_key.is_some(),
                ratings: 0,
                up: 0,
                compared: 0,
                agreed: 0,
                timed: 0,
                fast: 0,
                median_under_ms: None,
                skips: skips.get(&id).copied().unwrap_or(0),
                gold: gold.get(&id).map_or(0, |g| g.0),
                gold_correct: gold.get(&id).map_or(0, |g| g.1),
                excluded: exclusions.get(&id).cloned(),
                flags: Vec::new(),
            };
            let mut buckets = [0u64; BUCKETS_MS.len()];
            for v in by_rater.get(&id).into_iter().flatten() {
                figures.ratings += count(v.ratings);
                figures.up += count(v.up);
                figures.timed += count(v.timed);
                figures.fast += count(v.fast);
                for (bucket, n) in buckets.iter_mut().zip([v.b0, v.b1, v.b2, v.b3, v.b4, v.b5]) {
                    *bucket += count(n);
                }
            }
            figures.median_under_ms = BUCKETS_MS
                .iter()
                .zip(buckets)
                .find(|(_, under)| figures.timed > 0 && under * 2 >= figures.timed)
                .map(|(bound, _)| *bound);
            if let Some(stat) = stats.get(&id) {
                figures.compared = count(i64::from(stat.compared));
                figures.agreed = count(i64::from(stat.agreed));
            }
            figures.flag(thresholds);
            Some(figures)
        })
        .collect();
    raters.sort_by(|a, b| b.ratings.cmp(&a.ratings).then(a.user_id.cmp(&b.user_id)));
    Ok(raters)
}

/// Per rater of the campaign: votes on gold cards, and how many had the expected label.
async fn gold_votes(
    db: &impl ConnectionTrait,
    campaign_id: i32,
) -> CoreResult<HashMap<i32, (u64, u64)>> {
    let query = Query::select()
        .column((gold_rating::Entity, gold_rating::Column::UserId))
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("votes"))
        .expr_as(
            Expr::cust(
                "SUM(CASE WHEN gold_rating.label = generation.gold_label THEN 1 ELSE 0 END)",
            ),
            Alias::new("correct"),
        )
        .from(gold_rating::Entity)
        .inner_join(
            generation::Entity,
            Expr::col((generation::Entity, generation::Column::Id))
                .equals((gold_rating::Entity, gold_rating::Column::GenerationId)),
        )
        .and_where(
            Expr::col((gold_rating::Entity, gold_rating::Column::CampaignId)).eq(campaign_id),
        )
        .group_by_col((gold_rating::Entity, gold_rating::Column::UserId))
        .to_owned();
    let backend = db.get_database_backend();
    let mut out = HashMap::new();
    for row in db.query_all(backend.build(&query)).await? {
        let user_id: i32 = row.try_get("", "user_id")?;
        let votes: i64 = row.try_get("", "votes")?;
        let correct: i64 = row.try_get("", "correct")?;
        out.insert(
            user_id,
            (
                u64::try_from(votes).unwrap_or(0),
                u64::try_from(correct).unwrap_or(0),
            ),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Label;
    use crate::accounts::guests;
    use crate::campaign::NewCampaign;
    use crate::rating::rate::{self, NewRating};
    use crate::testing::{fresh_store, small_campaign};

    #[tokio::test]
    async fn flags_follow_the_campaigns_thresholds() {
        let store = fresh_store().await;
        let db = store.db().clone();
        let campaign = small_campaign(&db, 12, 1).await;
        let ids = crate::testing::response_ids(&db, campaign.id).await;
        let rater = guests::browser_annotator(&db, "steady").await.unwrap().id;
        for (i, &id) in ids.iter().enumerate() {
            let label = if i % 2 == 0 { Label::Up } else { Label::Down };
            let new = NewRating {
                decision_ms: Some(1_500),
                ..NewRating::new(id, label)
            };
            rate::rate(&store, rater, new).await.unwrap();
        }
        let listed = list(&db, &campaign).await.unwrap();
        assert_eq!(listed.len(), 1);
        let figures = &listed[0];
        assert_eq!((figures.ratings, figures.up, figures.timed), (12, 6, 12));
        assert_eq!(figures.median_under_ms, Some(2_000));
        assert!(
            figures.flags.is_empty(),
            "1.5 s is not fast at 1 s: {figures:?}"
        );

        // An organiser whose cards take longer to read sets 2 s.
        let strict = crate::campaign::update(
            &db,
            &campaign.slug,
            NewCampaign {
                flags: RaterFlags {
                    agreement_pct: 60,
                    fast_ms: 2_000,
                    gold_pct: 60,
                },
                ..NewCampaign::new(campaign.slug.clone(), "Test")
            },
        )
        .await
        .unwrap();
        let listed = list(&db, &strict).await.unwrap();
        assert_eq!(listed[0].flags, vec![Flag::TooFast]);
        assert_eq!(
            Flag::TooFast.describe(RaterFlags::of(&strict)),
            "more than half the decisions took under 2.0 s"
        );
        let refused = crate::campaign::update(
            &db,
            &campaign.slug,
            NewCampaign {
                flags: RaterFlags {
                    agreement_pct: 0,
                    fast_ms: 2_000,
                    gold_pct: 60,
                },
                ..NewCampaign::new(campaign.slug.clone(), "Test")
            },
        )
        .await
        .unwrap_err();
        assert!(
            refused
                .to_string()
                .starts_with("invalid flag_agreement_pct"),
            "{refused}"
        );
    }
}
