//! Guest hold-back: a new guest's votes count only once the guest has shown they read the
//! cards.
//!
//! **The rule.** In a campaign whose `guest_hold_back` is N (0: off), a guest's votes are
//! *held*: stored in `held_rating`, out of the leaderboard, the agreement figures, the labels
//! and the exports, until the guest has made N decisions (votes, gold votes included) and,
//! where the campaign deals gold cards, voted the expected label on at least one of them. A
//! guest's third card is a gold card (`super::gold`), so a careful guest is released after
//! their N-th card; one who gets the gold card wrong waits for the next one, ten cards on.
//! Then every held vote moves to `rating` at once and counts as if it had just been made.
//! Accounts (signed in with a password or Hugging Face) are never held.
//!
//! **Why.** A script can mint guests (within the per-address limits) and fill slots with one
//! answer: each of its guests now has to get through N cards and a gold card before any of
//! its votes count, and the raters page shows what it did meanwhile.
//!
//! **Slots.** A held vote keeps its slot, so the response is not dealt to someone else
//! meanwhile: its rater's lease stays, for [`HELD_LEASE`] instead of five minutes. Those
//! leases are not cards in hand (`super::leases::renew_held` leaves them out, so the hold
//! cap does not count them); a guest who never returns frees the slots when they lapse, and
//! their held votes stay stored, released if the guest comes back and qualifies (the response
//! may then hold one vote more than the overlap).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    FromQueryResult, QueryFilter, QuerySelect,
};

use swipeset_wire::{RateReply, RateStatus};

use crate::db::entities::{campaign, generation, guest_release, held_rating, rating, user};
use crate::db::store::{Store, Write, WriteJob};
use crate::moderation::set_aside::{self, Scope, copy_rows};
use crate::rating::leases::{self, LEASE_DURATION};
use crate::rating::rate::{HELD_COLUMNS, NewRating, RATING_COLUMNS, Response};
use crate::{CoreResult, Label};

/// How long a held vote keeps its slot: a day, for a guest who rates in a few sittings.
pub const HELD_LEASE: chrono::Duration = chrono::Duration::hours(24);

/// Whether `user_id`'s votes in `campaign` are held now: the campaign holds guests back,
/// and this is a guest it has not released. No query where the campaign does not.
pub(crate) async fn holds(
    db: &impl ConnectionTrait,
    campaign: &campaign::Model,
    user_id: i32,
) -> CoreResult<bool> {
    if campaign.guest_hold_back <= 0 {
        return Ok(false);
    }
    let released = Query::select()
        .expr(Expr::val(1))
        .from(guest_release::Entity)
        .and_where(guest_release::Column::CampaignId.eq(campaign.id))
        .and_where(
            Expr::col((guest_release::Entity, guest_release::Column::UserId))
                .equals((user::Entity, user::Column::Id)),
        )
        .to_owned();
    let held: Option<i32> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Id.eq(user_id))
        .filter(user::Column::BrowserKey.is_not_null())
        .filter(Expr::exists(released).not())
        .into_tuple()
        .one(db)
        .await?;
    Ok(held.is_some())
}

/// Stores `user_id`'s held vote on `response` if it has a slot (their lease, or a free
/// one), and makes the lease on it last [`HELD_LEASE`].
pub(crate) async fn store(
    txn: &impl ConnectionTrait,
    user_id: i32,
    new: &NewRating,
    campaign: &campaign::Model,
    response: &Response,
    now: DateTime<Utc>,
) -> CoreResult<Option<RateReply>> {
    let inserted = crate::rating::rate::insert_vote(
        txn,
        user_id,
        new,
        campaign.overlap,
        crate::rating::rate::VoteTable::Held,
    )
    .await?;
    if inserted {
        leases::hold_until(txn, user_id, response.id, now, now + HELD_LEASE).await?;
        return Ok(Some(reply(response.id, RateStatus::Recorded, new.label)));
    }
    let stored: Option<bool> = held_rating::Entity::find()
        .select_only()
        .column(held_rating::Column::Label)
        .filter(held_rating::Column::UserId.eq(user_id))
        .filter(held_rating::Column::GenerationId.eq(response.id))
        .into_tuple()
        .one(txn)
        .await?;
    Ok(stored.map(|up| reply(response.id, RateStatus::AlreadyRated, Label::from_is_up(up))))
}

fn reply(response_id: i32, status: RateStatus, label: Label) -> RateReply {
    RateReply {
        response_id,
        status,
        label,
        model: None,
        cards: Vec::new(),
    }
}

/// Takes back `user_id`'s held vote on `response_id`; the slot stays theirs as an ordinary
/// lease, as after undoing a counted rating. Whether there was one.
pub(crate) async fn undo(
    txn: &impl ConnectionTrait,
    user_id: i32,
    response_id: i32,
    now: DateTime<Utc>,
) -> CoreResult<bool> {
    let Some(vote) = held_rating::Entity::find()
        .filter(held_rating::Column::UserId.eq(user_id))
        .filter(held_rating::Column::GenerationId.eq(response_id))
        .one(txn)
        .await?
    else {
        return Ok(false);
    };
    if held_rating::Entity::delete_by_id(vote.id)
        .exec(txn)
        .await?
        .rows_affected
        == 0
    {
        return Ok(false);
    }
    leases::hold_until(txn, user_id, response_id, now, now + LEASE_DURATION).await?;
    if let Some(client_id) = vote.client_id {
        crate::rating::rate::tombstone(txn, user_id, client_id, now).await?;
    }
    Ok(true)
}

/// Where a held guest stands: decisions made, and whether one was a right gold vote.
async fn standing(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    user_id: i32,
) -> CoreResult<(i64, bool)> {
    let stat = crate::moderation::raters::stat_of(db, campaign_id, user_id).await?;
    Ok(stat.map_or((0, false), |s| {
        (i64::from(s.votes) + i64::from(s.gold), s.gold_correct > 0)
    }))
}

/// Whether the campaign asks a guest for a right gold vote: it deals gold cards.
fn wants_gold(campaign: &campaign::Model) -> bool {
    campaign.gold_cards > 0 && campaign.gold_every > 0
}

/// Releases `user_id` in `campaign` if they qualify now (see the module's rule): their held
/// votes move to `rating`, where the triggers count them. Whether they were released.
pub(crate) async fn release_if_due(
    txn: &DatabaseTransaction,
    campaign: &campaign::Model,
    user_id: i32,
    now: DateTime<Utc>,
) -> CoreResult<bool> {
    let (decisions, right_gold) = standing(txn, campaign.id, user_id).await?;
    if decisions < i64::from(campaign.guest_hold_back) || (wants_gold(campaign) && !right_gold) {
        return Ok(false);
    }
    release(txn, campaign, user_id, now).await?;
    Ok(true)
}

/// A held vote's response, read by column name (as SQLite's writer hands rows over).
#[derive(Debug, FromQueryResult)]
struct HeldOn {
    generation_id: i32,
    hidden_at: Option<DateTime<Utc>>,
}

/// Releases `user_id` in `campaign` whatever they did: their held votes count from now on,
/// and so do their later ones.
async fn release(
    txn: &DatabaseTransaction,
    campaign: &campaign::Model,
    user_id: i32,
    now: DateTime<Utc>,
) -> CoreResult<u64> {
    guest_release::Entity::insert(guest_release::ActiveModel {
        campaign_id: Set(campaign.id),
        user_id: Set(user_id),
        released_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            guest_release::Column::CampaignId,
            guest_release::Column::UserId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    let mine = || {
        held_rating::Column::CampaignId
            .eq(campaign.id)
            .and(held_rating::Column::UserId.eq(user_id))
    };
    let responses: Vec<HeldOn> = held_rating::Entity::find()
        .select_only()
        .column(held_rating::Column::GenerationId)
        .column(generation::Column::HiddenAt)
        .inner_join(generation::Entity)
        .filter(mine())
        .into_model()
        .all(txn)
        .await?;
    if responses.is_empty() {
        return Ok(0);
    }
    // Into `rating`: the trigger there takes over each lease and counts the vote.
    let moved = copy_rows(
        txn,
        rating::Entity,
        RATING_COLUMNS,
        Query::select()
            .columns(HELD_COLUMNS)
            .from(held_rating::Entity)
            .cond_where(mine())
            .to_owned(),
    )
    .await?;
    held_rating::Entity::delete_many()
        .filter(mine())
        .exec(txn)
        .await?;
    // Votes on responses hidden since, or of a rater excluded since, are set aside at once,
    // like the others' there.
    for held in &responses {
        if held.hidden_at.is_some() {
            set_aside::set_aside(txn, campaign.id, Scope::Response(held.generation_id)).await?;
        } else {
            crate::rating::adaptive::settle(txn, campaign, held.generation_id).await?;
        }
    }
    if crate::moderation::exclusion::exclusion(txn, campaign.id, user_id)
        .await?
        .is_some()
    {
        set_aside::set_aside(txn, campaign.id, Scope::Rater(user_id)).await?;
    }
    Ok(moved)
}

/// Releases every guest of `campaign` who qualifies under its current setting: after an
/// admin lowered `guest_hold_back` (0 releases everyone held). How many were released.
pub async fn release_due(store: &Store, campaign: &campaign::Model) -> CoreResult<u64> {
    let released = store
        .run(ReleaseDue {
            campaign: campaign.clone(),
            now: Utc::now(),
        })
        .await?;
    if released > 0 {
        store.events().publish(campaign.id);
    }
    Ok(released)
}

#[derive(Debug, Clone)]
struct ReleaseDue {
    campaign: campaign::Model,
    now: DateTime<Utc>,
}

impl WriteJob for ReleaseDue {
    type Output = u64;

    async fn write(self, txn: &DatabaseTransaction) -> CoreResult<Write<u64>> {
        let Self { campaign, now } = self;
        let mut held: Vec<i32> = held_rating::Entity::find()
            .select_only()
            .column(held_rating::Column::UserId)
            .filter(held_rating::Column::CampaignId.eq(campaign.id))
            .into_tuple()
            .all(txn)
            .await?;
        held.sort_unstable();
        held.dedup();
        let mut released = 0;
        for user_id in held {
            let done = if campaign.guest_hold_back <= 0 {
                release(txn, &campaign, user_id, now).await?;
                true
            } else {
                release_if_due(txn, &campaign, user_id, now).await?
            };
            released += u64::from(done);
        }
        Ok(Write::Commit(released))
    }
}

/// How many of `campaign_id`'s votes are held back now, and from how many guests: what the
/// dataset card and the raters page say is left out.
pub async fn held_votes(db: &impl ConnectionTrait, campaign_id: i32) -> CoreResult<(u64, u64)> {
    let row: Option<(i64, i64)> = held_rating::Entity::find()
        .select_only()
        .column_as(Expr::cust("COUNT(*)"), "votes")
        .column_as(Expr::cust("COUNT(DISTINCT \"user_id\")"), "guests")
        .filter(held_rating::Column::CampaignId.eq(campaign_id))
        .into_tuple()
        .one(db)
        .await?;
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    Ok(row.map_or((0, 0), |(votes, guests)| (count(votes), count(guests))))
}

#[cfg(test)]
mod tests {
    use sea_orm::DatabaseConnection;

    use super::*;
    use crate::Store;
    use crate::accounts::{Role, guests, users};
    use crate::campaign::NewCampaign;
    use crate::db::entities::model_stat;
    use crate::moderation::Actor;
    use crate::rating::{deal, rate};
    use crate::testing::{fresh_store, recount, response_ids, small_campaign};

    /// Counted votes on the campaign's board.
    async fn board_votes(db: &DatabaseConnection, campaign_id: i32) -> i32 {
        model_stat::Entity::find()
            .filter(model_stat::Column::CampaignId.eq(campaign_id))
            .all(db)
            .await
            .unwrap()
            .iter()
            .map(|s| s.up_count + s.down_count)
            .sum()
    }

    /// A campaign of `prompts` × 2 responses, overlap `overlap`, holding guests back for
    /// `hold_back` decisions, with its first response a gold card expecting 👍.
    async fn campaign_with_gold(
        store: &Store,
        prompts: usize,
        overlap: i32,
        hold_back: i32,
    ) -> (campaign::Model, i32) {
        let db = store.db();
        let made = small_campaign(db, prompts, 2).await;
        let made = crate::campaign::update(
            db,
            &made.slug,
            NewCampaign {
                overlap,
                guest_hold_back: hold_back,
                ..NewCampaign::new(made.slug.clone(), "Held")
            },
        )
        .await
        .unwrap();
        let gold = response_ids(db, made.id).await[0];
        crate::rating::gold::mark(store, &made, gold, Some(true), Actor::CommandLine, "known")
            .await
            .unwrap();
        (crate::campaign::get(db, &made.slug).await.unwrap(), gold)
    }

    /// Deals `user` one card and rates it `label` (the gold card always 👍 when `gold_right`,
    /// else always 👎); the card's id.
    async fn rate_next(
        store: &Store,
        campaign: &campaign::Model,
        user: i32,
        label: Label,
        gold: (i32, bool),
    ) -> i32 {
        let card = deal::deal(store, campaign, user, 1, &[], Utc::now())
            .await
            .unwrap()
            .pop()
            .expect("a card");
        let label = match (card.response_id == gold.0, gold.1) {
            (true, true) => Label::Up,
            (true, false) => Label::Down,
            _ => label,
        };
        let reply = rate::rate(store, user, NewRating::new(card.response_id, label))
            .await
            .unwrap();
        assert_eq!(reply.status, RateStatus::Recorded);
        card.response_id
    }

    #[tokio::test]
    async fn a_guest_counts_after_enough_decisions_and_a_right_gold_vote() {
        let store = fresh_store().await;
        let db = store.db().clone();
        let (campaign, gold) = campaign_with_gold(&store, 20, 2, 4).await;
        let guest = guests::browser_annotator(&db, "careful").await.unwrap().id;

        // Cards 1 and 2 are held; card 3 is the gold card (right); card 4 releases.
        for n in 1..=3 {
            rate_next(&store, &campaign, guest, Label::Up, (gold, true)).await;
            assert_eq!(board_votes(&db, campaign.id).await, 0, "after card {n}");
            let mine = crate::board::progress::for_rater(&db, &campaign, Some(guest))
                .await
                .unwrap();
            assert_eq!(mine.rated_by_you, n, "their own count has every vote");
        }
        let (votes, guests) = held_votes(&db, campaign.id).await.unwrap();
        assert_eq!((votes, guests), (2, 1));
        rate_next(&store, &campaign, guest, Label::Up, (gold, true)).await;
        assert_eq!(
            board_votes(&db, campaign.id).await,
            3,
            "three votes, not the gold one"
        );
        assert_eq!(held_votes(&db, campaign.id).await.unwrap(), (0, 0));
        // Later votes count at once; the counters agree with a recount throughout.
        rate_next(&store, &campaign, guest, Label::Up, (gold, true)).await;
        assert_eq!(board_votes(&db, campaign.id).await, 4);
        assert!(recount(&db).await.unwrap().is_clean());

        // An account is never held.
        let ada = users::create(&db, "ada", "lovelace-1815", Role::Annotator)
            .await
            .unwrap()
            .id;
        rate_next(&store, &campaign, ada, Label::Down, (gold, true)).await;
        assert_eq!(board_votes(&db, campaign.id).await, 5);
    }

    #[tokio::test]
    async fn a_wrong_gold_vote_keeps_a_guest_held_without_filling_their_hand() {
        let store = fresh_store().await;
        let db = store.db().clone();
        let (campaign, gold) = campaign_with_gold(&store, 20, 2, 4).await;
        let script = guests::browser_annotator(&db, "script").await.unwrap().id;
        let mut rated = Vec::new();
        for _ in 0..11 {
            rated.push(rate_next(&store, &campaign, script, Label::Down, (gold, false)).await);
        }
        assert!(rated.contains(&gold));
        assert_eq!(
            board_votes(&db, campaign.id).await,
            0,
            "nothing of theirs counts"
        );
        assert_eq!(held_votes(&db, campaign.id).await.unwrap(), (10, 1));

        // Their held votes keep their slots, but are not cards in hand: a full hand of 20
        // is still dealt (the hold cap leaves those leases out), none of them rated before.
        let hand = deal::deal(&store, &campaign, script, 20, &[], Utc::now())
            .await
            .unwrap();
        assert_eq!(hand.len(), 20);
        assert!(hand.iter().all(|c| !rated.contains(&c.response_id)));
        let claimed: i32 = generation::Entity::find()
            .filter(generation::Column::CampaignId.eq(campaign.id))
            .all(&db)
            .await
            .unwrap()
            .iter()
            .map(|g| g.claimed_count)
            .sum();
        assert_eq!(
            claimed,
            10 + 20,
            "held votes and cards in hand hold a slot each"
        );
        assert!(recount(&db).await.unwrap().is_clean());

        // Lowering the setting to 0 releases them.
        let lowered = crate::campaign::update(
            &db,
            &campaign.slug,
            NewCampaign {
                overlap: 2,
                guest_hold_back: 0,
                ..NewCampaign::new(campaign.slug.clone(), "Open")
            },
        )
        .await
        .unwrap();
        assert_eq!(release_due(&store, &lowered).await.unwrap(), 1);
        assert_eq!(board_votes(&db, campaign.id).await, 10);
        assert!(recount(&db).await.unwrap().is_clean());
    }

    #[tokio::test]
    async fn a_held_vote_keeps_its_slot_and_can_be_undone_or_retried() {
        let store = fresh_store().await;
        let db = store.db().clone();
        let (campaign, gold) = campaign_with_gold(&store, 1, 1, 5).await; // one response, overlap 1
        let guest = guests::browser_annotator(&db, "guest").await.unwrap().id;
        let other = guests::browser_annotator(&db, "other").await.unwrap().id;
        let card = deal::deal(&store, &campaign, guest, 1, &[], Utc::now())
            .await
            .unwrap()
            .pop()
            .unwrap();
        assert_ne!(card.response_id, gold);
        let vote = NewRating {
            client_id: Some("held-1".into()),
            ..NewRating::new(card.response_id, Label::Up)
        };
        let stored = rate::rate(&store, guest, vote.clone()).await.unwrap();
        assert_eq!(stored.status, RateStatus::Recorded);
        let again = rate::rate(&store, guest, vote.clone()).await.unwrap();
        assert_eq!(again.status, RateStatus::AlreadyRated);

        // Nobody else is dealt it (the other gets the gold card only, which takes no slot),
        // not even once its five-minute lease would have lapsed.
        let later = Utc::now() + chrono::Duration::minutes(30);
        leases::expire(&db, later).await.unwrap();
        let dealt = deal::deal(&store, &campaign, other, 5, &[], later)
            .await
            .unwrap();
        assert!(
            dealt.iter().all(|c| c.response_id != card.response_id),
            "{dealt:?}"
        );

        // Undone, it is the guest's card in hand again; its retry is told so.
        let undone = rate::undo(&store, guest, card.response_id).await.unwrap();
        assert!(undone.undone);
        assert_eq!(held_votes(&db, campaign.id).await.unwrap(), (0, 0));
        let replay = rate::rate(&store, guest, vote).await.unwrap();
        assert_eq!(replay.status, RateStatus::Undone);
        let hand = deal::deal(&store, &campaign, guest, 1, &[], Utc::now())
            .await
            .unwrap();
        assert_eq!(hand.first().map(|c| c.response_id), Some(card.response_id));
        assert!(recount(&db).await.unwrap().is_clean());
    }
}
