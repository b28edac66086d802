//! Each rater's figures in a campaign, for the admin's raters page and `swipeset rater
//! list`: ratings, share of 👍, agreement with the others (the leave-one-out counters kept
//! with every rating), how fast they decide, skips, accuracy on gold cards, whether they are
//! excluded, and flags for the patterns careless raters leave.
//!
//! Everything comes from counters kept with each rating by triggers
//! (`crate::board::triggers`): agreement from `annotator_stat` (counted ratings only), the
//! rest from `rater_stat` and `rater_decision`, which count every vote a rater made, set
//! aside or held back too, so the page still shows why a rater was excluded and what a
//! held guest did. A few rows per rater, whatever the number of ratings.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;

use crate::CoreResult;
use crate::board::stats::{Z95, wilson};
use crate::campaign::RaterFlags;
use crate::db::entities::{annotator_stat, campaign, rater_decision, rater_stat, user};

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
    /// Of `ratings`, how many are held back (a guest not released yet,
    /// `crate::rating::hold_back`).
    pub held: u64,
    /// Ratings compared with the others' majority (leave-one-out), and of those agreeing.
    pub compared: u64,
    pub agreed: u64,
    /// Decisions the client timed, and how many took under the campaign's fast time.
    pub timed: u64,
    pub fast: u64,
    /// The bucket the median decision time falls in: its upper bound in ms (tenths of a
    /// second under 10 s, seconds under a minute), `None` past a minute (or without timed
    /// decisions).
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

/// `user_id`'s counters in `campaign_id` (`rater_stat`), if they did anything there: one
/// point read, for the rating path (gold turns, hold-back) and the rater's own count. (The
/// whole row: SQLite's writer hands rows over keyed by name, which a tuple of several
/// columns does not read.)
pub(crate) async fn stat_of(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    user_id: i32,
) -> CoreResult<Option<rater_stat::Model>> {
    Ok(rater_stat::Entity::find()
        .filter(rater_stat::Column::CampaignId.eq(campaign_id))
        .filter(rater_stat::Column::UserId.eq(user_id))
        .one(db)
        .await?)
}

/// The upper bound, in milliseconds, of decision-time bucket `bucket` (as
/// `crate::board::triggers::decision_bucket` files a decision); `None` for the last, open one.
fn bucket_under_ms(bucket: i32) -> Option<i64> {
    let bucket = i64::from(bucket);
    match bucket {
        ..100 => Some(100 * (bucket + 1)),
        100..150 => Some((bucket - 89) * 1_000),
        _ => None,
    }
}

/// Every rater of `campaign` (anyone with a vote, held back or set aside too, a gold vote
/// or a skip there, or excluded), most votes first. Reads the counters kept with each
/// rating: a few rows per rater, whatever the number of ratings.
pub async fn list(
    db: &impl ConnectionTrait,
    campaign: &campaign::Model,
) -> CoreResult<Vec<RaterFigures>> {
    let thresholds = RaterFlags::of(campaign);
    let campaign_id = campaign.id;
    let stats: HashMap<i32, rater_stat::Model> = rater_stat::Entity::find()
        .filter(rater_stat::Column::CampaignId.eq(campaign_id))
        .all(db)
        .await?
        .into_iter()
        .filter(|s| s.votes != 0 || s.gold != 0 || s.skips != 0)
        .map(|s| (s.user_id, s))
        .collect();
    let mut decisions: HashMap<i32, Vec<(i32, i32)>> = HashMap::new();
    for row in rater_decision::Entity::find()
        .filter(rater_decision::Column::CampaignId.eq(campaign_id))
        .filter(rater_decision::Column::Decisions.gt(0))
        .all(db)
        .await?
    {
        decisions
            .entry(row.user_id)
            .or_default()
            .push((row.bucket, row.decisions));
    }
    let standing: HashMap<i32, annotator_stat::Model> = annotator_stat::Entity::find()
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
    let mut ids: Vec<i32> = stats.keys().chain(exclusions.keys()).copied().collect();
    ids.sort_unstable();
    ids.dedup();
    let users: HashMap<i32, user::Model> = user::Entity::find()
        .filter(user::Column::Id.is_in(ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let count = |v: i32| u64::try_from(v).unwrap_or(0);
    let mut raters: Vec<RaterFigures> = ids
        .into_iter()
        .filter_map(|id| {
            let user = users.get(&id)?;
            let stat = stats.get(&id);
            let of = |field: fn(&rater_stat::Model) -> i32| stat.map_or(0, |s| count(field(s)));
            let mut figures = RaterFigures {
                user_id: id,
                name: user.name.clone(),
                guest: user.browser_key.is_some(),
                ratings: of(|s| s.votes),
                up: of(|s| s.up),
                held: of(|s| s.held),
                compared: standing.get(&id).map_or(0, |s| count(s.compared)),
                agreed: standing.get(&id).map_or(0, |s| count(s.agreed)),
                timed: of(|s| s.timed),
                fast: 0,
                median_under_ms: None,
                skips: of(|s| s.skips),
                gold: of(|s| s.gold),
                gold_correct: of(|s| s.gold_correct),
                excluded: exclusions.get(&id).cloned(),
                flags: Vec::new(),
            };
            let mut buckets = decisions.remove(&id).unwrap_or_default();
            buckets.sort_unstable();
            let timed: u64 = buckets.iter().map(|(_, n)| count(*n)).sum();
            let mut under = 0;
            // The median's bucket once found: its bound, `None` for the open last bucket.
            let mut median: Option<Option<i64>> = None;
            for (bucket, n) in buckets {
                under += count(n);
                let bound = bucket_under_ms(bucket);
                // Decisions in buckets wholly under the fast time: exact for a fast time in
                // tenths of a second under 10 s, rounded down to a bucket beyond.
                if bound.is_some_and(|b| b <= i64::from(thresholds.fast_ms)) {
                    figures.fast = under;
                }
                if median.is_none() && under * 2 >= timed {
                    median = Some(bound);
                }
            }
            figures.median_under_ms = median.flatten();
            figures.flag(thresholds);
            Some(figures)
        })
        .collect();
    raters.sort_by(|a, b| b.ratings.cmp(&a.ratings).then(a.user_id.cmp(&b.user_id)));
    Ok(raters)
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
        assert_eq!(figures.median_under_ms, Some(1_600));
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

#[cfg(test)]
mod counter_tests {
    use super::*;
    use crate::Label;
    use crate::accounts::guests;
    use crate::moderation::{Actor, exclusion, hiding};
    use crate::rating::gold;
    use crate::rating::rate::{self, NewRating};
    use crate::rating::skip;
    use crate::testing::{fresh_store, recount, response_ids, small_campaign};

    /// Every change a rater's votes can go through moves their figures as a recount from
    /// the tables finds them: the triggers and the recount agree at each step.
    #[tokio::test]
    async fn the_figures_follow_every_move_of_a_vote() {
        let store = fresh_store().await;
        let db = store.db().clone();
        let campaign = small_campaign(&db, 4, 2).await; // 8 responses, overlap 2
        let ids = response_ids(&db, campaign.id).await;
        let (ann, bob) = (
            guests::browser_annotator(&db, "ann").await.unwrap().id,
            guests::browser_annotator(&db, "bob").await.unwrap().id,
        );
        let clean = |step: &'static str| {
            let db = db.clone();
            async move {
                let drift = recount(&db).await.unwrap();
                assert!(drift.is_clean(), "after {step}: {drift:?}");
            }
        };
        for (i, &id) in ids[..6].iter().enumerate() {
            for (user, ms) in [(ann, 400 + 100 * i as i32), (bob, 3_000)] {
                let new = NewRating {
                    decision_ms: Some(ms),
                    ..NewRating::new(id, if i % 3 == 0 { Label::Down } else { Label::Up })
                };
                rate::rate(&store, user, new).await.unwrap();
            }
        }
        skip::skip(&store, ann, ids[6]).await.unwrap();
        clean("rating and skipping").await;
        let figures = |user: i32| {
            let db = db.clone();
            let campaign = campaign.clone();
            async move {
                list(&db, &campaign)
                    .await
                    .unwrap()
                    .into_iter()
                    .find(|r| r.user_id == user)
                    .unwrap()
            }
        };
        let a = figures(ann).await;
        assert_eq!((a.ratings, a.up, a.timed, a.skips), (6, 4, 6, 1));
        // 400, 500, …, 900 ms: half are under 700 ms, all under the 1 s fast time.
        assert_eq!((a.median_under_ms, a.fast), (Some(700), 6));

        let why = "test";
        exclusion::exclude(&store, &campaign, bob, Actor::CommandLine, why)
            .await
            .unwrap();
        clean("excluding").await;
        assert_eq!(figures(bob).await.ratings, 6, "set aside, still theirs");
        hiding::hide(&store, &campaign, ids[0], Actor::CommandLine, why)
            .await
            .unwrap();
        clean("hiding").await;
        exclusion::include(&store, &campaign, bob, Actor::CommandLine, why)
            .await
            .unwrap();
        hiding::show(&store, &campaign, ids[0], Actor::CommandLine, why)
            .await
            .unwrap();
        clean("including and showing").await;

        // Ann voted 👎 on ids[0] and 👍 on ids[1].
        gold::mark(
            &store,
            &campaign,
            ids[1],
            Some(true),
            Actor::CommandLine,
            why,
        )
        .await
        .unwrap();
        clean("marking gold").await;
        let a = figures(ann).await;
        assert_eq!((a.ratings, a.gold, a.gold_correct), (5, 1, 1));
        gold::mark(
            &store,
            &campaign,
            ids[1],
            Some(false),
            Actor::CommandLine,
            why,
        )
        .await
        .unwrap();
        clean("changing the expected label").await;
        assert_eq!(figures(ann).await.gold_correct, 0);
        gold::mark(&store, &campaign, ids[1], None, Actor::CommandLine, why)
            .await
            .unwrap();
        clean("unmarking gold").await;
        let a = figures(ann).await;
        assert_eq!((a.ratings, a.gold, a.gold_correct), (6, 0, 0));
        rate::undo(&store, ann, ids[2]).await.unwrap();
        clean("undoing").await;
        assert_eq!(figures(ann).await.ratings, 5);
    }
}
