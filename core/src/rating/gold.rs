//! Gold cards: responses whose expected label an admin knows, dealt among the others to
//! measure each rater.
//!
//! **Where they come.** A rater's first gold card is their third card in the campaign
//! (after [`FIRST_GOLD_AFTER`] decisions), then one every `gold_every` cards after it (the
//! 13th, the 23rd with the default 10): about one card in N, early enough that a new rater
//! meets one in their first handful. Its place is counted in the rater's queue, what their
//! phone holds included, so it comes at its turn however many cards a deal brings. A gold card looks like any other, is never dealt
//! to a rater who voted on or skipped it, and takes no slot (no lease, no overlap): every
//! rater may get it.
//!
//! **Where their votes go.** To `gold_rating`, never to `rating`: no counter trigger sees
//! them, so they are not in the leaderboard, the agreement figures, the labels or the
//! exports; they give each rater a gold accuracy (`moderation::raters`) and anchor the
//! `weighted` policy's estimate of each rater (`export::weighted`). A gold response is not
//! one of its model's responses (the campaign's rating target leaves it out).

use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use swipeset_wire::{RateReply, RateStatus};

use crate::db::entities::{campaign, generation, gold_rating, held_rating, rater_stat, skip};
use crate::moderation::set_aside::copy_rows;
use crate::rating::rate::{HELD_COLUMNS, NewRating, RATING_COLUMNS, Response};
use crate::{CoreResult, Label};

/// Decisions a rater makes in a campaign before their first gold card.
pub const FIRST_GOLD_AFTER: i64 = 2;

/// Moves `campaign_id`'s count of gold responses by `delta`.
pub(crate) async fn count_gold_cards(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    delta: i32,
) -> CoreResult<()> {
    campaign::Entity::update_many()
        .col_expr(
            campaign::Column::GoldCards,
            Expr::col(campaign::Column::GoldCards).add(delta),
        )
        .filter(campaign::Column::Id.eq(campaign_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Where among the cards being dealt `user_id`'s next gold card goes, if its turn falls in
/// this deal: the campaign has gold, their phone holds none, and the card that will be their
/// `FIRST_GOLD_AFTER + gold × gold_every`-th decision (counting from 0) is one of the
/// `dealing` new cards, which come after the `queued` ones their phone already holds (a turn
/// already past comes first among the new cards). Two point reads, only in a campaign with
/// gold.
pub(crate) async fn turn(
    db: &impl ConnectionTrait,
    campaign: &campaign::Model,
    user_id: i32,
    holding: &[i32],
    queued: usize,
    dealing: usize,
) -> CoreResult<Option<usize>> {
    if campaign.gold_cards <= 0 || campaign.gold_every <= 0 || dealing == 0 {
        return Ok(None);
    }
    if !holding.is_empty() {
        let held_gold: Option<i32> = generation::Entity::find()
            .select_only()
            .column(generation::Column::Id)
            .filter(generation::Column::Id.is_in(holding.to_vec()))
            .filter(generation::Column::GoldLabel.is_not_null())
            .into_tuple()
            .one(db)
            .await?;
        if held_gold.is_some() {
            return Ok(None);
        }
    }
    // Every vote counts as a decision, held back or set aside too.
    let (votes, gold) = decisions(db, campaign.id, user_id).await?;
    let decided = votes + gold;
    // The queue position (0 = the next card the rater sees) of the gold card's turn.
    let at = FIRST_GOLD_AFTER + gold * i64::from(campaign.gold_every) - decided;
    let first_new = queued as i64;
    Ok(if at < first_new + dealing as i64 {
        Some((at - first_new).max(0) as usize)
    } else {
        None
    })
}

/// `user_id`'s votes in `campaign_id` (counted, set aside or held back) and gold votes, as
/// their counters keep them (`rater_stat`): one point read.
pub(crate) async fn decisions(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    user_id: i32,
) -> CoreResult<(i64, i64)> {
    let stat = crate::moderation::raters::stat_of(db, campaign_id, user_id).await?;
    Ok(stat.map_or((0, 0), |s| (i64::from(s.votes), i64::from(s.gold))))
}

/// A gold card `user_id` has neither voted on nor skipped, none of `exclude`, in the
/// campaign's offering order (`order_key`), so raters meet the gold cards in different
/// orders of prompts and models alike.
pub(crate) async fn pick(
    db: &impl ConnectionTrait,
    campaign: &campaign::Model,
    user_id: i32,
    exclude: &[i32],
) -> CoreResult<Option<i32>> {
    let voted = Query::select()
        .column(gold_rating::Column::GenerationId)
        .from(gold_rating::Entity)
        .and_where(gold_rating::Column::UserId.eq(user_id))
        .and_where(gold_rating::Column::CampaignId.eq(campaign.id))
        .to_owned();
    let skipped = Query::select()
        .column(skip::Column::GenerationId)
        .from(skip::Entity)
        .and_where(skip::Column::UserId.eq(user_id))
        .to_owned();
    let mut query = generation::Entity::find()
        .select_only()
        .column(generation::Column::Id)
        .filter(generation::Column::CampaignId.eq(campaign.id))
        .filter(generation::Column::GoldLabel.is_not_null())
        .filter(generation::Column::HiddenAt.is_null())
        .filter(generation::Column::Id.not_in_subquery(voted))
        .filter(generation::Column::Id.not_in_subquery(skipped));
    if !exclude.is_empty() {
        query = query.filter(generation::Column::Id.is_not_in(exclude.to_vec()));
    }
    Ok(query
        .order_by_asc(generation::Column::OrderKey)
        .order_by_asc(generation::Column::Id)
        .into_tuple::<i32>()
        .one(db)
        .await?)
}

/// Stores `user_id`'s vote on the gold card `response` (once: a repeat is `already_rated`).
pub(crate) async fn store_vote(
    txn: &impl ConnectionTrait,
    user_id: i32,
    new: &NewRating,
    campaign: &campaign::Model,
    response: &Response,
) -> CoreResult<RateReply> {
    crate::moderation::exclusion::require_included(txn, campaign.id, user_id).await?;
    let inserted = gold_rating::Entity::insert(gold_rating::ActiveModel {
        campaign_id: Set(campaign.id),
        user_id: Set(user_id),
        generation_id: Set(response.id),
        label: Set(new.label.is_up()),
        created_at: Set(chrono::Utc::now()),
        client_id: Set(new.client_id.clone()),
        decision_ms: Set(new.decision_ms),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            gold_rating::Column::UserId,
            gold_rating::Column::GenerationId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    let (status, label) = if inserted == 1 {
        (RateStatus::Recorded, new.label)
    } else {
        let stored = gold_rating::Entity::find()
            .filter(gold_rating::Column::UserId.eq(user_id))
            .filter(gold_rating::Column::GenerationId.eq(response.id))
            .one(txn)
            .await?
            .map_or(new.label, |v| Label::from_is_up(v.label));
        (RateStatus::AlreadyRated, stored)
    };
    Ok(RateReply {
        response_id: response.id,
        status,
        label,
        model: None,
        cards: Vec::new(),
    })
}

/// Removes `user_id`'s vote on the gold card `response_id`; whether there was one.
pub(crate) async fn undo_vote(
    txn: &impl ConnectionTrait,
    user_id: i32,
    response_id: i32,
    now: chrono::DateTime<chrono::Utc>,
) -> CoreResult<bool> {
    let Some(vote) = gold_rating::Entity::find()
        .filter(gold_rating::Column::UserId.eq(user_id))
        .filter(gold_rating::Column::GenerationId.eq(response_id))
        .one(txn)
        .await?
    else {
        return Ok(false);
    };
    let deleted = gold_rating::Entity::delete_by_id(vote.id).exec(txn).await?;
    if deleted.rows_affected == 0 {
        return Ok(false);
    }
    if let Some(client_id) = vote.client_id {
        crate::rating::rate::tombstone(txn, user_id, client_id, now).await?;
    }
    Ok(true)
}

/// A gold vote's columns, in the order of `rate::RATING_COLUMNS` (the table adds the
/// campaign): what moves when a response becomes a gold card or stops being one.
const GOLD_VOTED: [gold_rating::Column; 6] = [
    gold_rating::Column::UserId,
    gold_rating::Column::GenerationId,
    gold_rating::Column::Label,
    gold_rating::Column::CreatedAt,
    gold_rating::Column::ClientId,
    gold_rating::Column::DecisionMs,
];

/// The votes on gold card `response_id` now expect `up` (they expected the other label):
/// each voter's count of right gold votes moves by one per vote, up where they voted `up`.
async fn rejudge(
    txn: &impl ConnectionTrait,
    campaign_id: i32,
    response_id: i32,
    up: bool,
) -> CoreResult<()> {
    let (now_right, now_wrong) = if up { (1, -1) } else { (-1, 1) };
    let shift = Query::select()
        .expr(Expr::cust(format!(
            "SUM(CASE WHEN \"gold_rating\".\"label\" THEN {now_right} ELSE {now_wrong} END)"
        )))
        .from(gold_rating::Entity)
        .and_where(gold_rating::Column::GenerationId.eq(response_id))
        .and_where(
            Expr::col((gold_rating::Entity, gold_rating::Column::UserId))
                .equals((rater_stat::Entity, rater_stat::Column::UserId)),
        )
        .to_owned();
    let voters = Query::select()
        .column(gold_rating::Column::UserId)
        .from(gold_rating::Entity)
        .and_where(gold_rating::Column::GenerationId.eq(response_id))
        .to_owned();
    rater_stat::Entity::update_many()
        .col_expr(
            rater_stat::Column::GoldCorrect,
            Expr::col(rater_stat::Column::GoldCorrect).add(
                sea_orm::sea_query::SimpleExpr::SubQuery(
                    None,
                    Box::new(shift.into_sub_query_statement()),
                ),
            ),
        )
        .filter(rater_stat::Column::CampaignId.eq(campaign_id))
        .filter(rater_stat::Column::UserId.in_subquery(voters))
        .exec(txn)
        .await?;
    Ok(())
}

/// What marking or unmarking a gold card changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoldChange {
    /// The expected label now; `None` once unmarked.
    pub gold: Option<bool>,
    /// Votes moved: counted ratings that became gold votes, or gold votes counted again.
    pub votes: u64,
}

/// Marks `response_id` of `campaign` as a gold card expecting `label`, changes its expected
/// label, or (`None`) makes it an ordinary response again. Ratings it already had become
/// gold votes (they leave the board); unmarking counts its gold votes as ratings again
/// (the response may then hold more than the overlap). `reason` goes to the audit log.
pub async fn mark(
    store: &crate::Store,
    campaign: &campaign::Model,
    response_id: i32,
    label: Option<bool>,
    actor: crate::moderation::Actor,
    reason: &str,
) -> CoreResult<GoldChange> {
    let job = Mark {
        campaign: campaign.clone(),
        response_id,
        label,
        actor,
        reason: crate::moderation::reason(reason)?,
        at: chrono::Utc::now(),
    };
    let change = store.run(job).await?;
    store.events().publish(campaign.id);
    Ok(change)
}

#[derive(Debug, Clone)]
struct Mark {
    campaign: campaign::Model,
    response_id: i32,
    label: Option<bool>,
    actor: crate::moderation::Actor,
    reason: String,
    at: chrono::DateTime<chrono::Utc>,
}

impl crate::db::store::WriteJob for Mark {
    type Output = GoldChange;

    async fn write(
        self,
        txn: &sea_orm::DatabaseTransaction,
    ) -> CoreResult<crate::db::store::Write<GoldChange>> {
        use crate::db::entities::{lease, rating};
        use crate::moderation::audit::{self, Action, Entry};
        let Self {
            campaign,
            response_id,
            label,
            actor,
            reason,
            at,
        } = self;
        let (response, model) = crate::moderation::response_of(txn, &campaign, response_id).await?;
        let who = format!("response {response_id} ({model}) in {}", campaign.slug);
        if response.hidden_at.is_some() {
            return Err(crate::CoreError::Conflict(format!(
                "{who} is hidden: show it first"
            )));
        }
        if response.gold_label == label {
            return Err(crate::CoreError::Conflict(match label {
                Some(_) => format!("{who} is already a gold card with that label"),
                None => format!("{who} is not a gold card"),
            }));
        }
        // The expected label changes before votes become gold ones and after gold votes
        // become ratings: the triggers judge each gold vote against it as it comes or goes.
        let set_label = || async {
            generation::Entity::update_many()
                .col_expr(generation::Column::GoldLabel, Expr::value(label))
                .filter(generation::Column::Id.eq(response_id))
                .exec(txn)
                .await
        };
        let votes = match (response.gold_label, label) {
            (None, Some(_)) => {
                set_label().await?;
                // Its ratings become gold votes; the triggers take them out of every count.
                // So do held-back votes on it (`crate::rating::hold_back`).
                let votes_on_it = [
                    Query::select()
                        .columns(RATING_COLUMNS)
                        .from(rating::Entity)
                        .and_where(rating::Column::GenerationId.eq(response_id))
                        .to_owned(),
                    Query::select()
                        .columns(HELD_COLUMNS)
                        .from(held_rating::Entity)
                        .and_where(held_rating::Column::GenerationId.eq(response_id))
                        .to_owned(),
                ];
                let mut moved = 0;
                for mut votes in votes_on_it {
                    moved += copy_rows(
                        txn,
                        gold_rating::Entity,
                        GOLD_VOTED
                            .into_iter()
                            .chain([gold_rating::Column::CampaignId]),
                        votes.expr(Expr::val(campaign.id)).to_owned(),
                    )
                    .await?;
                }
                rating::Entity::delete_many()
                    .filter(rating::Column::GenerationId.eq(response_id))
                    .exec(txn)
                    .await?;
                held_rating::Entity::delete_many()
                    .filter(held_rating::Column::GenerationId.eq(response_id))
                    .exec(txn)
                    .await?;
                lease::Entity::delete_many()
                    .filter(lease::Column::GenerationId.eq(response_id))
                    .exec(txn)
                    .await?;
                crate::campaign::responses::count_responses(
                    txn,
                    campaign.id,
                    response.model_id,
                    -1,
                )
                .await?;
                count_gold_cards(txn, campaign.id, 1).await?;
                moved
            }
            (Some(_), None) => {
                let moved = copy_rows(
                    txn,
                    rating::Entity,
                    RATING_COLUMNS,
                    Query::select()
                        .columns(GOLD_VOTED)
                        .from(gold_rating::Entity)
                        .and_where(gold_rating::Column::GenerationId.eq(response_id))
                        .to_owned(),
                )
                .await?;
                gold_rating::Entity::delete_many()
                    .filter(gold_rating::Column::GenerationId.eq(response_id))
                    .exec(txn)
                    .await?;
                set_label().await?;
                crate::campaign::responses::count_responses(txn, campaign.id, response.model_id, 1)
                    .await?;
                count_gold_cards(txn, campaign.id, -1).await?;
                crate::rating::adaptive::settle(txn, &campaign, response_id).await?;
                moved
            }
            // Another expected label: the votes stay, judged against the new one.
            (Some(_), Some(up)) => {
                set_label().await?;
                rejudge(txn, campaign.id, response_id, up).await?;
                0
            }
            (None, None) => 0,
        };
        let target = match label {
            Some(up) => format!(
                "{who}: expects {}; {votes} ratings became gold votes",
                if up { "👍" } else { "👎" }
            ),
            None => format!("{who}: {votes} gold votes counted as ratings again"),
        };
        audit::record(
            txn,
            Entry {
                actor: &actor,
                action: if label.is_some() {
                    Action::MarkGold
                } else {
                    Action::UnmarkGold
                },
                campaign_id: Some(campaign.id),
                target,
                reason: &reason,
                at,
            },
        )
        .await?;
        Ok(crate::db::store::Write::Commit(GoldChange {
            gold: label,
            votes,
        }))
    }
}

/// A gold card as the campaign page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoldItem {
    pub response_id: i32,
    pub model: String,
    pub prompt: String,
    pub response: String,
    pub expected: bool,
    pub votes: u64,
    pub correct: u64,
}

/// The campaign's gold cards with how raters did on each, oldest first.
pub async fn items(
    db: &impl ConnectionTrait,
    campaign: &campaign::Model,
) -> CoreResult<Vec<GoldItem>> {
    use crate::db::entities::{model, prompt};
    let gold = generation::Entity::find()
        .filter(generation::Column::CampaignId.eq(campaign.id))
        .filter(generation::Column::GoldLabel.is_not_null())
        .order_by_asc(generation::Column::Id)
        .find_also_related(model::Entity)
        .all(db)
        .await?;
    let mut items = Vec::with_capacity(gold.len());
    for (response, model) in gold {
        let Some(expected) = response.gold_label else {
            continue;
        };
        let votes = gold_rating::Entity::find()
            .filter(gold_rating::Column::GenerationId.eq(response.id))
            .all(db)
            .await?;
        let prompt = prompt::Entity::find_by_id(response.prompt_id)
            .one(db)
            .await?
            .map(|p| p.text)
            .unwrap_or_default();
        items.push(GoldItem {
            response_id: response.id,
            model: crate::moderation::model_name(model, response.model_id),
            prompt,
            response: response.text,
            expected,
            votes: votes.len() as u64,
            correct: votes.iter().filter(|v| v.label == expected).count() as u64,
        });
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::guests;
    use crate::board::aggregates::rebuild;
    use crate::board::progress;
    use crate::db::entities::{model_stat, rating};
    use crate::moderation::Actor;
    use crate::rating::rate::{self, NewRating};
    use crate::testing::{fresh_store, response_ids, small_campaign};
    use crate::{CoreError, Store};
    use chrono::Utc;
    use sea_orm::PaginatorTrait;

    async fn votes(db: &sea_orm::DatabaseConnection, campaign_id: i32) -> i32 {
        model_stat::Entity::find()
            .filter(model_stat::Column::CampaignId.eq(campaign_id))
            .all(db)
            .await
            .unwrap()
            .iter()
            .map(|s| s.up_count + s.down_count)
            .sum()
    }

    async fn reload(store: &Store, slug: &str) -> campaign::Model {
        crate::campaign::get(store.db(), slug).await.unwrap()
    }

    #[tokio::test]
    async fn gold_cards_come_third_then_one_in_n_and_their_votes_count_nowhere() {
        let store = fresh_store().await;
        let db = store.db().clone();
        let campaign = small_campaign(&db, 15, 2).await; // 30 responses, overlap 2
        let ids = response_ids(&db, campaign.id).await;
        let gold: Vec<i32> = ids[..3].to_vec();
        for (i, &id) in gold.iter().enumerate() {
            mark(
                &store,
                &campaign,
                id,
                Some(i != 1),
                Actor::CommandLine,
                "known",
            )
            .await
            .unwrap();
        }
        let campaign = reload(&store, &campaign.slug).await;
        assert_eq!(campaign.gold_cards, 3);
        assert_eq!(
            progress::progress(&db, &campaign).await.unwrap().responses,
            27,
            "gold cards are not their model's responses"
        );

        // A rater deals one card at a time and rates each 👍.
        let rater = guests::browser_annotator(&db, "r").await.unwrap().id;
        let mut seen = Vec::new();
        loop {
            let campaign = reload(&store, &campaign.slug).await;
            let Some(card) =
                crate::rating::deal::deal(&store, &campaign, rater, 1, &[], Utc::now())
                    .await
                    .unwrap()
                    .pop()
            else {
                break;
            };
            assert!(!seen.contains(&card.response_id), "dealt twice: {seen:?}");
            seen.push(card.response_id);
            let reply = rate::rate(&store, rater, NewRating::new(card.response_id, Label::Up))
                .await
                .unwrap();
            assert_eq!(reply.status, RateStatus::Recorded);
        }
        let positions: Vec<usize> = seen
            .iter()
            .enumerate()
            .filter(|(_, id)| gold.contains(id))
            .map(|(i, _)| i + 1)
            .collect();
        // Third card, then every tenth decision: 3, 13, 23.
        assert_eq!(positions, vec![3, 13, 23], "{seen:?}");
        assert_eq!(seen.len(), 30);
        // Gold votes are in no count, and the recount agrees; the rater's own count has them.
        assert_eq!(votes(&db, campaign.id).await, 27);
        let drift = rebuild(&db, false).await.unwrap();
        assert!(drift.is_clean(), "{drift:?}");
        let mine = progress::for_rater(&db, &campaign, Some(rater))
            .await
            .unwrap();
        assert_eq!(mine.rated_by_you, 30);
        let listed = crate::moderation::raters::list(&db, &reload(&store, &campaign.slug).await)
            .await
            .unwrap();
        assert_eq!((listed[0].gold, listed[0].gold_correct), (3, 2));

        // Undoing a gold vote and voting again.
        let undone = rate::undo(&store, rater, gold[1]).await.unwrap();
        assert!(undone.undone);
        let again = rate::rate(&store, rater, NewRating::new(gold[1], Label::Down))
            .await
            .unwrap();
        assert_eq!(again.status, RateStatus::Recorded);
        let twice = rate::rate(&store, rater, NewRating::new(gold[1], Label::Up))
            .await
            .unwrap();
        assert_eq!(
            (twice.status, twice.label),
            (RateStatus::AlreadyRated, Label::Down)
        );

        // A rated response made gold: its ratings become gold votes, and back.
        let rated = ids[10];
        let before = votes(&db, campaign.id).await;
        let change = mark(
            &store,
            &campaign,
            rated,
            Some(true),
            Actor::CommandLine,
            "x",
        )
        .await
        .unwrap();
        assert_eq!(change.votes, 1);
        assert_eq!(votes(&db, campaign.id).await, before - 1);
        assert!(rebuild(&db, false).await.unwrap().is_clean());
        let same = mark(
            &store,
            &campaign,
            rated,
            Some(true),
            Actor::CommandLine,
            "x",
        )
        .await;
        assert!(matches!(same, Err(CoreError::Conflict(_))), "{same:?}");
        let hide =
            crate::moderation::hiding::hide(&store, &campaign, rated, Actor::CommandLine, "x")
                .await;
        assert!(matches!(hide, Err(CoreError::Conflict(_))), "{hide:?}");
        let back = mark(&store, &campaign, rated, None, Actor::CommandLine, "x")
            .await
            .unwrap();
        assert_eq!(back.votes, 1);
        assert_eq!(votes(&db, campaign.id).await, before);
        assert!(rebuild(&db, false).await.unwrap().is_clean());
        assert_eq!(reload(&store, &campaign.slug).await.gold_cards, 3);
        assert_eq!(
            rating::Entity::find()
                .filter(rating::Column::GenerationId.is_in(gold.clone()))
                .count(&db)
                .await
                .unwrap(),
            0
        );
        let items = items(&db, &campaign).await.unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(
            (items[1].expected, items[1].votes, items[1].correct),
            (false, 1, 1)
        );
    }

    #[tokio::test]
    async fn a_campaign_without_gold_or_with_gold_off_deals_none() {
        let store = fresh_store().await;
        let db = store.db().clone();
        let campaign = small_campaign(&db, 3, 2).await;
        let ids = response_ids(&db, campaign.id).await;
        let rater = guests::browser_annotator(&db, "r").await.unwrap().id;
        assert_eq!(turn(&db, &campaign, rater, &[], 0, 10).await.unwrap(), None);
        mark(
            &store,
            &campaign,
            ids[0],
            Some(true),
            Actor::CommandLine,
            "x",
        )
        .await
        .unwrap();
        let mut off = reload(&store, &campaign.slug).await;
        for &id in &ids[1..3] {
            rate::rate(&store, rater, NewRating::new(id, Label::Up))
                .await
                .unwrap();
        }
        // Two decided: the gold card's turn is the next card, or after what the phone holds.
        assert_eq!(turn(&db, &off, rater, &[], 0, 3).await.unwrap(), Some(0));
        assert_eq!(
            turn(&db, &off, rater, &[ids[1]], 1, 3).await.unwrap(),
            Some(0)
        );
        assert_eq!(
            turn(&db, &off, rater, &[ids[0]], 1, 3).await.unwrap(),
            None,
            "the phone holds it already"
        );
        off.gold_every = 0;
        assert_eq!(turn(&db, &off, rater, &[], 0, 3).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_deal_of_ten_puts_the_gold_card_third() {
        let store = fresh_store().await;
        let db = store.db().clone();
        let campaign = small_campaign(&db, 10, 2).await;
        let ids = response_ids(&db, campaign.id).await;
        mark(
            &store,
            &campaign,
            ids[5],
            Some(true),
            Actor::CommandLine,
            "x",
        )
        .await
        .unwrap();
        let campaign = reload(&store, &campaign.slug).await;
        let rater = guests::browser_annotator(&db, "r").await.unwrap().id;
        let dealt = crate::rating::deal::deal(&store, &campaign, rater, 10, &[], Utc::now())
            .await
            .unwrap();
        let at = dealt.iter().position(|c| c.response_id == ids[5]);
        assert_eq!((dealt.len(), at), (10, Some(2)));
    }
}
