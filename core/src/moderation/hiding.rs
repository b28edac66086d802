//! Hiding a response an admin judged unfit to rate (broken, harmful, revealing its model),
//! showing it again, and deleting a single rating.
//!
//! A hidden response leaves the deck (dealing and rating skip it), its model's count of
//! responses (so the campaign's rating target no longer waits for it), and, through its
//! ratings being set aside (`super::set_aside`), the leaderboard, the labels and the
//! exports. Its open flags are resolved. Showing it moves its ratings back, except those of
//! raters excluded meanwhile. Deleting a rating is for good: it leaves a tombstone of its
//! client id, so a phone retrying the same rating later is told it was undone. Each change
//! is one write job with its audit-log line.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect};

use super::audit::{self, Action, Entry};
use super::set_aside::{self, Scope};
use super::{Actor, response_of};
use crate::db::entities::{campaign, excluded_rating, generation, rating, user};
use crate::db::store::{Store, Write, WriteJob};
use crate::{CoreError, CoreResult, Label};

/// What hiding or showing a response moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hidden {
    pub hidden: bool,
    /// Ratings set aside (hiding) or counted again (showing).
    pub ratings: u64,
    /// Open flags the hiding resolved.
    pub flags: u64,
}

/// Takes `response_id` out of the deck, the leaderboard, the labels and the exports until
/// [`show`]. `reason` goes to the audit log.
pub async fn hide(
    store: &Store,
    campaign: &campaign::Model,
    response_id: i32,
    actor: Actor,
    reason: &str,
) -> CoreResult<Hidden> {
    change(store, campaign, response_id, actor, reason, true).await
}

/// Deals and counts a hidden response again.
pub async fn show(
    store: &Store,
    campaign: &campaign::Model,
    response_id: i32,
    actor: Actor,
    reason: &str,
) -> CoreResult<Hidden> {
    change(store, campaign, response_id, actor, reason, false).await
}

async fn change(
    store: &Store,
    campaign: &campaign::Model,
    response_id: i32,
    actor: Actor,
    reason: &str,
    hide: bool,
) -> CoreResult<Hidden> {
    let job = Change {
        campaign: campaign.clone(),
        response_id,
        actor,
        reason: super::reason(reason)?,
        hide,
        at: Utc::now(),
    };
    let outcome = store.run(job).await?;
    store.events().publish(campaign.id);
    Ok(outcome)
}

#[derive(Debug, Clone)]
struct Change {
    campaign: campaign::Model,
    response_id: i32,
    actor: Actor,
    reason: String,
    hide: bool,
    at: DateTime<Utc>,
}

impl WriteJob for Change {
    type Output = Hidden;

    async fn write(self, txn: &DatabaseTransaction) -> CoreResult<Write<Hidden>> {
        let Self {
            campaign,
            response_id,
            actor,
            reason,
            hide,
            at,
        } = self;
        let (response, model_name) = response_of(txn, &campaign, response_id).await?;
        let who = format!(
            "response {response_id} ({model_name}, prompt {}) in {}",
            response.prompt_id, campaign.slug
        );
        if response.gold_label.is_some() {
            return Err(CoreError::Conflict(format!(
                "{who} is a gold card: it measures raters and is never counted; unmark it first"
            )));
        }
        match (hide, response.hidden_at.is_some()) {
            (true, true) => return Err(CoreError::Conflict(format!("{who} is already hidden"))),
            (false, false) => return Err(CoreError::Conflict(format!("{who} is not hidden"))),
            _ => {}
        }
        generation::Entity::update_many()
            .col_expr(
                generation::Column::HiddenAt,
                Expr::value(hide.then_some(at)),
            )
            .filter(generation::Column::Id.eq(response_id))
            .exec(txn)
            .await?;
        crate::campaign::responses::count_responses(
            txn,
            campaign.id,
            response.model_id,
            if hide { -1 } else { 1 },
        )
        .await?;
        let (ratings, flags) = if hide {
            let ratings =
                set_aside::set_aside(txn, campaign.id, Scope::Response(response_id)).await?;
            let flags = super::flags::resolve(txn, response_id, at).await?;
            (ratings, flags)
        } else {
            let ratings =
                set_aside::restore(txn, campaign.id, Scope::Response(response_id)).await?;
            (ratings, 0)
        };
        crate::rating::adaptive::settle(txn, &campaign, response_id).await?;
        audit::record(
            txn,
            Entry {
                actor: &actor,
                action: if hide {
                    Action::HideResponse
                } else {
                    Action::ShowResponse
                },
                campaign_id: Some(campaign.id),
                target: format!("{who}: {ratings} ratings"),
                reason: &reason,
                at,
            },
        )
        .await?;
        Ok(Write::Commit(Hidden {
            hidden: hide,
            ratings,
            flags,
        }))
    }
}

/// A deleted rating, as the audit log and the caller describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deleted {
    pub rating_id: i32,
    pub user_id: i32,
    pub response_id: i32,
    pub label: Label,
}

/// Deletes rating `rating_id` of `campaign`, counted or set aside, for good. The triggers
/// take a counted one out of every count; its rater may be dealt the card again.
pub async fn delete_rating(
    store: &Store,
    campaign: &campaign::Model,
    rating_id: i32,
    actor: Actor,
    reason: &str,
) -> CoreResult<Deleted> {
    let job = Delete {
        campaign: campaign.clone(),
        rating_id,
        actor,
        reason: super::reason(reason)?,
        at: Utc::now(),
    };
    let deleted = store.run(job).await?;
    store.events().publish(campaign.id);
    Ok(deleted)
}

#[derive(Debug, Clone)]
struct Delete {
    campaign: campaign::Model,
    rating_id: i32,
    actor: Actor,
    reason: String,
    at: DateTime<Utc>,
}

/// What deleting needs of a rating, wherever it is stored.
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
struct Stored {
    user_id: i32,
    generation_id: i32,
    label: bool,
    client_id: Option<String>,
}

impl WriteJob for Delete {
    type Output = Deleted;

    async fn write(self, txn: &DatabaseTransaction) -> CoreResult<Write<Deleted>> {
        let Self {
            campaign,
            rating_id,
            actor,
            reason,
            at,
        } = self;
        let counted = rating::Entity::find_by_id(rating_id)
            .select_only()
            .columns([
                rating::Column::UserId,
                rating::Column::GenerationId,
                rating::Column::Label,
                rating::Column::ClientId,
            ])
            .into_model::<Stored>()
            .one(txn)
            .await?;
        let (stored, was_counted) = match counted {
            Some(stored) => (stored, true),
            None => {
                let set_aside = excluded_rating::Entity::find_by_id(rating_id)
                    .select_only()
                    .columns([
                        excluded_rating::Column::UserId,
                        excluded_rating::Column::GenerationId,
                        excluded_rating::Column::Label,
                        excluded_rating::Column::ClientId,
                    ])
                    .into_model::<Stored>()
                    .one(txn)
                    .await?;
                match set_aside {
                    Some(stored) => (stored, false),
                    None => return Err(CoreError::not_found("rating", rating_id)),
                }
            }
        };
        let (response, model_name) = response_of(txn, &campaign, stored.generation_id)
            .await
            .map_err(|_| CoreError::not_found("rating", rating_id))?;
        if was_counted {
            rating::Entity::delete_by_id(rating_id).exec(txn).await?;
            crate::rating::adaptive::settle(txn, &campaign, response.id).await?;
        } else {
            excluded_rating::Entity::delete_by_id(rating_id)
                .exec(txn)
                .await?;
        }
        if let Some(client_id) = stored.client_id {
            crate::rating::rate::tombstone(txn, stored.user_id, client_id, at).await?;
        }
        let rater = user::Entity::find_by_id(stored.user_id)
            .one(txn)
            .await?
            .map_or_else(|| format!("user {}", stored.user_id), |u| u.name);
        let label = Label::from_is_up(stored.label);
        audit::record(
            txn,
            Entry {
                actor: &actor,
                action: Action::DeleteRating,
                campaign_id: Some(campaign.id),
                target: format!(
                    "rating {rating_id} ({} by {rater}) of response {} ({model_name}) in {}",
                    if label.is_up() { "👍" } else { "👎" },
                    response.id,
                    campaign.slug
                ),
                reason: &reason,
                at,
            },
        )
        .await?;
        Ok(Write::Commit(Deleted {
            rating_id,
            user_id: stored.user_id,
            response_id: response.id,
            label,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::guests;
    use crate::board::aggregates::rebuild;
    use crate::board::progress;
    use crate::db::entities::model_stat;
    use crate::moderation::{exclusion, flags};
    use crate::rating::rate::{self, NewRating};
    use crate::testing::{fresh_store, response_ids, small_campaign};
    use swipeset_wire::{FlagKind, RateStatus};

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

    async fn assert_recount_agrees(db: &sea_orm::DatabaseConnection, ratings: usize) {
        let drift = rebuild(db, false).await.unwrap();
        assert!(drift.is_clean(), "{drift:?}");
        assert_eq!(drift.ratings, ratings);
    }

    #[tokio::test]
    async fn a_flagged_response_hidden_leaves_every_count_and_comes_back() {
        let store = fresh_store().await;
        let db = store.db().clone();
        let campaign = small_campaign(&db, 2, 2).await; // 4 responses, overlap 2
        let responses = response_ids(&db, campaign.id).await;
        let a = guests::browser_annotator(&db, "a").await.unwrap().id;
        let b = guests::browser_annotator(&db, "b").await.unwrap().id;
        let c = guests::browser_annotator(&db, "c").await.unwrap().id;
        for &r in &responses {
            rate::rate(&store, a, NewRating::new(r, Label::Up))
                .await
                .unwrap();
        }
        for &r in &responses[1..] {
            rate::rate(&store, b, NewRating::new(r, Label::Down))
                .await
                .unwrap();
        }
        let target = responses[0];
        assert_eq!(votes(&db, campaign.id).await, (4, 3));

        // c flags the card they were about to rate: it leaves their deck.
        let flagged = flags::flag(&store, c, target, FlagKind::Broken, Some(" cut off "))
            .await
            .unwrap();
        assert!(flagged.new);
        let dealt = crate::rating::deal::deal(&store, &campaign, c, 10, &[], Utc::now())
            .await
            .unwrap();
        assert!(dealt.iter().all(|card| card.response_id != target));
        // Flagging twice replaces the flag; "other" needs a note; notes are bounded.
        let again = flags::flag(&store, c, target, FlagKind::Harmful, None).await;
        assert!(!again.unwrap().new);
        let bare = flags::flag(&store, a, target, FlagKind::Other, Some("  ")).await;
        assert!(
            matches!(bare, Err(CoreError::Invalid { field: "note", .. })),
            "{bare:?}"
        );
        let long = "x".repeat(flags::MAX_NOTE_CHARS + 1);
        let long = flags::flag(&store, a, target, FlagKind::Broken, Some(&long)).await;
        assert!(matches!(
            long,
            Err(CoreError::Invalid { field: "note", .. })
        ));

        let queue = flags::queue(&db, &campaign).await.unwrap();
        assert_eq!(queue.flagged.len(), 1);
        assert!(queue.hidden.is_empty());
        let item = &queue.flagged[0];
        assert_eq!(item.response_id, target);
        assert_eq!(item.flags.len(), 1);
        assert_eq!(item.flags[0].kind, FlagKind::Harmful);
        assert_eq!(item.ratings.len(), 1, "a's 👍");

        let before = progress::progress(&db, &campaign).await.unwrap();
        assert_eq!(before.responses, 4);
        let hidden = hide(&store, &campaign, target, Actor::CommandLine, "garbled")
            .await
            .unwrap();
        assert_eq!((hidden.ratings, hidden.flags), (1, 1));
        assert_eq!(votes(&db, campaign.id).await, (3, 3));
        let after = progress::progress(&db, &campaign).await.unwrap();
        assert_eq!((after.responses, after.target), (3, 6));
        assert_recount_agrees(&db, 6).await;
        // Out of the deck, and a rating sent for it anyway is not needed.
        let d = guests::browser_annotator(&db, "d").await.unwrap().id;
        let dealt = crate::rating::deal::deal(&store, &campaign, d, 10, &[], Utc::now())
            .await
            .unwrap();
        assert!(
            dealt.is_empty(),
            "the hidden response was the only one with a free slot: {dealt:?}"
        );
        let late = rate::rate(&store, d, NewRating::new(target, Label::Down))
            .await
            .unwrap();
        assert_eq!(late.status, RateStatus::NotNeeded);
        let queue = flags::queue(&db, &campaign).await.unwrap();
        assert!(queue.flagged.is_empty());
        assert_eq!(queue.hidden.len(), 1);
        assert!(queue.hidden[0].ratings.iter().all(|r| !r.counted));
        assert_eq!(
            flags::hidden_counts(&db, campaign.id).await.unwrap(),
            (1, 1)
        );
        let twice = hide(&store, &campaign, target, Actor::CommandLine, "again").await;
        assert!(matches!(twice, Err(CoreError::Conflict(_))), "{twice:?}");

        // Hiding and excluding together: a's vote comes back only once neither holds.
        exclusion::exclude(&store, &campaign, a, Actor::CommandLine, "test")
            .await
            .unwrap();
        assert_eq!(votes(&db, campaign.id).await, (0, 3));
        let shown = show(&store, &campaign, target, Actor::CommandLine, "fixed")
            .await
            .unwrap();
        assert_eq!(shown.ratings, 0, "a is still excluded");
        assert_eq!(
            progress::progress(&db, &campaign).await.unwrap().responses,
            4
        );
        hide(&store, &campaign, target, Actor::CommandLine, "again")
            .await
            .unwrap();
        let included = exclusion::include(&store, &campaign, a, Actor::CommandLine, "ok")
            .await
            .unwrap();
        assert_eq!(included.ratings, 3, "not the one on the hidden response");
        assert_recount_agrees(&db, 6).await;
        let shown = show(&store, &campaign, target, Actor::CommandLine, "fixed")
            .await
            .unwrap();
        assert_eq!(shown.ratings, 1);
        assert_eq!(votes(&db, campaign.id).await, (4, 3));
        assert_recount_agrees(&db, 7).await;

        // Another campaign's response is not found from this one.
        let other = small_campaign(&db, 1, 1).await;
        let foreign = response_ids(&db, other.id).await[0];
        let wrong = hide(&store, &campaign, foreign, Actor::CommandLine, "x").await;
        assert!(
            matches!(wrong, Err(CoreError::NotFound { .. })),
            "{wrong:?}"
        );

        let log = crate::moderation::audit::recent(&db, 20).await.unwrap();
        let actions: Vec<_> = log.iter().map(|l| l.action.as_str()).collect();
        assert_eq!(
            actions,
            vec![
                "show_response",
                "include_rater",
                "hide_response",
                "show_response",
                "exclude_rater",
                "hide_response"
            ]
        );
    }

    #[tokio::test]
    async fn a_deleted_rating_stops_counting_and_a_late_retry_is_not_stored_again() {
        let store = fresh_store().await;
        let db = store.db().clone();
        let campaign = small_campaign(&db, 1, 2).await;
        let responses = response_ids(&db, campaign.id).await;
        let a = guests::browser_annotator(&db, "a").await.unwrap().id;
        let sent = NewRating {
            client_id: Some("c-1".into()),
            ..NewRating::new(responses[0], Label::Up)
        };
        rate::rate(&store, a, sent.clone()).await.unwrap();
        rate::rate(&store, a, NewRating::new(responses[1], Label::Down))
            .await
            .unwrap();
        let id = rating::Entity::find()
            .filter(rating::Column::GenerationId.eq(responses[0]))
            .one(&db)
            .await
            .unwrap()
            .unwrap()
            .id;
        let deleted = delete_rating(&store, &campaign, id, Actor::CommandLine, "spam")
            .await
            .unwrap();
        assert_eq!((deleted.user_id, deleted.label), (a, Label::Up));
        assert_eq!(votes(&db, campaign.id).await, (0, 1));
        assert_recount_agrees(&db, 1).await;
        let retried = rate::rate(&store, a, sent).await.unwrap();
        assert_eq!(retried.status, RateStatus::Undone);
        assert_eq!(votes(&db, campaign.id).await, (0, 1));
        let gone = delete_rating(&store, &campaign, id, Actor::CommandLine, "spam").await;
        assert!(matches!(gone, Err(CoreError::NotFound { .. })), "{gone:?}");
        let line = &crate::moderation::audit::recent(&db, 1).await.unwrap()[0];
        assert_eq!(line.action, "delete_rating");
        assert!(
            line.target
                .starts_with(&format!("rating {id} (👍 by guest-")),
            "{}",
            line.target
        );
    }
}
