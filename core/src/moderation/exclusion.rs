//! Excluding a rater from a campaign, and including them again.
//!
//! Their ratings are not deleted: they are set aside (`super::set_aside`), so they stop
//! counting everywhere, and including the rater moves them back (except those on a
//! response that is hidden meanwhile). Their leases in the campaign end, so the slots they
//! held go to others. While excluded they may not be
//! dealt cards or rate in the campaign (403, saying so). Each change is one write job with
//! its audit-log line.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder,
};

use super::Actor;
use super::audit::{self, Action, Entry};
use super::set_aside::{self, Scope};
use crate::db::entities::{campaign, rater_exclusion, user};
use crate::db::store::{Store, Write, WriteJob};
use crate::{CoreError, CoreResult};

/// What an exclusion or an inclusion moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moved {
    pub ratings: u64,
}

/// Takes `user_id`'s ratings in `campaign` out of every count, and keeps them from rating
/// there, until [`include`]. `reason` is required: it goes to the audit log.
pub async fn exclude(
    store: &Store,
    campaign: &campaign::Model,
    user_id: i32,
    actor: Actor,
    reason: &str,
) -> CoreResult<Moved> {
    change(store, campaign, user_id, actor, reason, true).await
}

/// Counts `user_id`'s ratings in `campaign` again and lets them rate there.
pub async fn include(
    store: &Store,
    campaign: &campaign::Model,
    user_id: i32,
    actor: Actor,
    reason: &str,
) -> CoreResult<Moved> {
    change(store, campaign, user_id, actor, reason, false).await
}

async fn change(
    store: &Store,
    campaign: &campaign::Model,
    user_id: i32,
    actor: Actor,
    reason: &str,
    exclude: bool,
) -> CoreResult<Moved> {
    let job = Change {
        campaign: campaign.clone(),
        user_id,
        actor,
        reason: super::reason(reason)?,
        exclude,
        at: Utc::now(),
    };
    let moved = store.run(job).await?;
    store.events().publish(campaign.id);
    Ok(moved)
}

/// Refuses a rater excluded from the campaign. The dealing job reads it first; the rating
/// job's insert refuses them in its own statement and reads this only to say why, so
/// neither a card nor a rating slips in after an exclusion has committed.
pub(crate) async fn require_included(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    user_id: i32,
) -> CoreResult<()> {
    match exclusion(db, campaign_id, user_id).await? {
        Some(_) => Err(CoreError::forbidden(
            "an admin excluded your ratings from this campaign, so you cannot rate in it",
        )),
        None => Ok(()),
    }
}

/// `user_id`'s exclusion from `campaign_id`, if they are excluded.
pub(crate) async fn exclusion(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    user_id: i32,
) -> CoreResult<Option<rater_exclusion::Model>> {
    Ok(rater_exclusion::Entity::find()
        .filter(rater_exclusion::Column::CampaignId.eq(campaign_id))
        .filter(rater_exclusion::Column::UserId.eq(user_id))
        .one(db)
        .await?)
}

/// The raters excluded from `campaign_id`, oldest first.
pub async fn excluded(
    db: &impl ConnectionTrait,
    campaign_id: i32,
) -> CoreResult<Vec<rater_exclusion::Model>> {
    Ok(rater_exclusion::Entity::find()
        .filter(rater_exclusion::Column::CampaignId.eq(campaign_id))
        .order_by_asc(rater_exclusion::Column::Id)
        .all(db)
        .await?)
}

#[derive(Debug, Clone)]
struct Change {
    campaign: campaign::Model,
    user_id: i32,
    actor: Actor,
    reason: String,
    exclude: bool,
    at: DateTime<Utc>,
}

impl WriteJob for Change {
    type Output = Moved;

    async fn write(self, txn: &DatabaseTransaction) -> CoreResult<Write<Moved>> {
        let Self {
            campaign,
            user_id,
            actor,
            reason,
            exclude,
            at,
        } = self;
        let rater = user::Entity::find_by_id(user_id)
            .one(txn)
            .await?
            .ok_or_else(|| CoreError::not_found("user", user_id))?;
        let existing = exclusion(txn, campaign.id, user_id).await?;
        let who = format!("rater {} (user {user_id}) in {}", rater.name, campaign.slug);
        let ratings = match (exclude, existing) {
            (true, Some(_)) => {
                return Err(CoreError::Conflict(format!("{who} is already excluded")));
            }
            (false, None) => {
                return Err(CoreError::Conflict(format!("{who} is not excluded")));
            }
            (true, None) => {
                rater_exclusion::Entity::insert(rater_exclusion::ActiveModel {
                    campaign_id: Set(campaign.id),
                    user_id: Set(user_id),
                    excluded_by: Set(actor.id()),
                    reason: Set(reason.clone()),
                    created_at: Set(at),
                    ..Default::default()
                })
                .exec_without_returning(txn)
                .await?;
                set_aside::set_aside(txn, campaign.id, Scope::Rater(user_id)).await?
            }
            (false, Some(exclusion)) => {
                rater_exclusion::Entity::delete_by_id(exclusion.id)
                    .exec(txn)
                    .await?;
                set_aside::restore(txn, campaign.id, Scope::Rater(user_id)).await?
            }
        };
        // Their votes moved on many responses at once.
        crate::rating::adaptive::settle_all(txn, &campaign).await?;
        audit::record(
            txn,
            Entry {
                actor: &actor,
                action: if exclude {
                    Action::ExcludeRater
                } else {
                    Action::IncludeRater
                },
                campaign_id: Some(campaign.id),
                target: format!("{who}: {ratings} ratings"),
                reason: &reason,
                at,
            },
        )
        .await?;
        Ok(Write::Commit(Moved { ratings }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Label;
    use crate::accounts::guests;
    use crate::board::aggregates::rebuild;
    use crate::db::entities::{annotator_stat, excluded_rating, model_stat};
    use crate::rating::rate::{self, NewRating};
    use crate::testing::{fresh_store, small_campaign};

    /// (👍, 👎) of every model of the campaign, summed over the shards.
    async fn votes(db: &sea_orm::DatabaseConnection, campaign_id: i32) -> (i32, i32) {
        model_stat::Entity::find()
            .filter(model_stat::Column::CampaignId.eq(campaign_id))
            .all(db)
            .await
            .unwrap()
            .iter()
            .fold((0, 0), |(u, d), s| (u + s.up_count, d + s.down_count))
    }

    #[tokio::test]
    async fn an_excluded_raters_votes_stop_counting_and_come_back_unchanged() {
        let store = fresh_store().await;
        let db = store.db().clone();
        let campaign = small_campaign(&db, 3, 2).await;
        let responses = crate::testing::response_ids(&db, campaign.id).await;
        let careful = guests::browser_annotator(&db, "careful").await.unwrap().id;
        let clicker = guests::browser_annotator(&db, "clicker").await.unwrap().id;
        for &r in &responses {
            rate::rate(&store, careful, NewRating::new(r, Label::Up))
                .await
                .unwrap();
            rate::rate(&store, clicker, NewRating::new(r, Label::Down))
                .await
                .unwrap();
        }
        let before = votes(&db, campaign.id).await;
        assert_eq!(before, (6, 6));

        let moved = exclude(
            &store,
            &campaign,
            clicker,
            Actor::CommandLine,
            "all 👎, 0.4 s each",
        )
        .await
        .unwrap();
        assert_eq!(moved.ratings, 6);
        assert_eq!(votes(&db, campaign.id).await, (6, 0));
        let stat = annotator_stat::Entity::find()
            .filter(annotator_stat::Column::UserId.eq(clicker))
            .one(&db)
            .await
            .unwrap();
        assert!(stat.as_ref().is_none_or(|s| s.ratings == 0), "{stat:?}");
        // The triggers and the recount agree on the counters without the clicker.
        let drift = rebuild(&db, false).await.unwrap();
        assert!(drift.is_clean(), "{drift:?}");
        assert_eq!(drift.ratings, 6);
        // Stored, not deleted.
        let set_aside = excluded_rating::Entity::find().all(&db).await.unwrap();
        assert_eq!(set_aside.len(), 6);
        assert!(set_aside.iter().all(|r| r.user_id == clicker && !r.label));

        // Excluded raters may neither rate nor be dealt cards there; others may.
        let other = small_campaign(&db, 1, 1).await;
        let refused = rate::rate(&store, clicker, NewRating::new(responses[0], Label::Up)).await;
        assert!(
            matches!(refused, Err(CoreError::Forbidden(_))),
            "{refused:?}"
        );
        let dealt = crate::rating::deal::deal(&store, &campaign, clicker, 1, &[], Utc::now()).await;
        assert!(matches!(dealt, Err(CoreError::Forbidden(_))), "{dealt:?}");
        let elsewhere =
            crate::rating::deal::deal(&store, &other, clicker, 1, &[], Utc::now()).await;
        assert_eq!(elsewhere.unwrap().len(), 1, "an exclusion is per campaign");

        // Twice is a conflict that changes nothing; so is including someone not excluded.
        let again = exclude(&store, &campaign, clicker, Actor::CommandLine, "again").await;
        assert!(matches!(again, Err(CoreError::Conflict(_))), "{again:?}");
        let not = include(&store, &campaign, careful, Actor::CommandLine, "never was").await;
        assert!(matches!(not, Err(CoreError::Conflict(_))), "{not:?}");
        let blank = exclude(&store, &campaign, careful, Actor::CommandLine, "  ").await;
        assert!(matches!(
            blank,
            Err(CoreError::Invalid {
                field: "reason",
                ..
            })
        ));

        let admin = Actor::Admin {
            id: careful,
            name: "ada".into(),
        };
        let moved = include(&store, &campaign, clicker, admin, "appeal: was testing")
            .await
            .unwrap();
        assert_eq!(moved.ratings, 6);
        assert_eq!(votes(&db, campaign.id).await, before);
        let drift = rebuild(&db, false).await.unwrap();
        assert!(drift.is_clean(), "{drift:?}");
        assert_eq!(drift.ratings, 12);
        assert!(
            excluded_rating::Entity::find()
                .all(&db)
                .await
                .unwrap()
                .is_empty()
        );
        rate::undo(&store, clicker, responses[0]).await.unwrap();

        // Both actions are in the log, newest first, with who and why.
        let log = audit::recent(&db, 10).await.unwrap();
        let lines: Vec<_> = log
            .iter()
            .map(|l| (l.actor.as_str(), l.action.as_str(), l.reason.as_str()))
            .collect();
        assert_eq!(
            lines,
            vec![
                ("ada", "include_rater", "appeal: was testing"),
                ("command line", "exclude_rater", "all 👎, 0.4 s each"),
            ]
        );
        assert_eq!(
            log[1].target,
            format!(
                "rater guest-{} (user {clicker}) in {}: 6 ratings",
                &crate::accounts::guests::browser_key("clicker")[..12],
                campaign.slug
            )
        );
    }
}
