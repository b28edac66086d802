//! Storing, and undoing, a rating. A rating is written once per (annotator, generation):
//! the unique index decides, not a read-then-write check, so a retried or concurrent
//! submission can never count twice. Each change moves the generation's counters in the
//! same transaction, and a generation never collects more than its campaign's overlap.

use chrono::Utc;
use sea_orm::sea_query::{Alias, Condition, Expr, LockType, OnConflict, Query, UnionType};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    FromQueryResult, QueryFilter, QuerySelect,
};

use crate::db::entities::{
    campaign, generation, held_rating, lease, model, rater_exclusion, rating, undone_rating,
};
use crate::db::store::{Store, Write, WriteJob};
use swipeset_wire::{RateReply, RateStatus, UndoReply};

use crate::rating::deal::Dealing;
use crate::rating::{adaptive, gold, hold_back, leases};
use crate::{CoreError, CoreResult, Label};

/// The longest client id accepted: a UUID is 36 characters.
const MAX_CLIENT_ID_LEN: usize = 64;

/// A rating as a client sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRating {
    pub response_id: i32,
    pub label: Label,
    /// The client's own id for this rating, so a retry is recognised even after an undo.
    pub client_id: Option<String>,
    /// How long the card was looked at before the decision, as the client measured.
    pub decision_ms: Option<i32>,
}

impl NewRating {
    pub fn new(response_id: i32, label: Label) -> Self {
        Self {
            response_id,
            label,
            client_id: None,
            decision_ms: None,
        }
    }

    fn validate(&self) -> CoreResult<()> {
        if let Some(id) = &self.client_id
            && (id.is_empty()
                || id.len() > MAX_CLIENT_ID_LEN
                || !id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        {
            return Err(CoreError::invalid(
                "client_id",
                format!("must be 1 to {MAX_CLIENT_ID_LEN} letters, digits, '-' or '_'"),
            ));
        }
        if let Some(ms) = self.decision_ms
            && ms < 0
        {
            return Err(CoreError::invalid(
                "decision_ms",
                format!("must not be negative, got {ms}"),
            ));
        }
        Ok(())
    }
}

/// Records a rating by `user_id`.
pub async fn rate(store: &Store, user_id: i32, new: NewRating) -> CoreResult<RateReply> {
    rate_and_deal(store, user_id, new, 0, &[]).await
}

/// Records a rating by `user_id` and deals them up to `want` more cards of its campaign
/// (none of `holding`, which the client still has queued), in one write job: a phone
/// whose queue runs low gets its next cards in the same round trip, and on SQLite the
/// whole step runs on the writer's thread with no hand-off per statement.
pub async fn rate_and_deal(
    store: &Store,
    user_id: i32,
    new: NewRating,
    want: usize,
    holding: &[i32],
) -> CoreResult<RateReply> {
    new.validate()?;
    let now = Utc::now();
    let expire_leases = want > 0 && store.lease_sweep().due(now);
    let job = Rating {
        user_id,
        new,
        want,
        holding: holding.to_vec(),
        expire_leases,
        hold_cap: store.hold_cap(),
        now,
    };
    let (mut reply, campaign) = store.run(job).await?;
    if reply.status == RateStatus::Recorded {
        store.events().publish(campaign.id);
    }
    crate::rating::deal::dress(&campaign, &mut reply.cards);
    Ok(reply)
}

/// A rating and the cards dealt after it, as one write.
#[derive(Debug, Clone)]
struct Rating {
    user_id: i32,
    new: NewRating,
    want: usize,
    holding: Vec<i32>,
    expire_leases: bool,
    hold_cap: usize,
    now: chrono::DateTime<Utc>,
}

impl WriteJob for Rating {
    /// The reply, and the campaign (to publish a change of, and to dress its cards).
    type Output = (RateReply, campaign::Model);

    async fn write(
        self,
        txn: &DatabaseTransaction,
    ) -> CoreResult<Write<(RateReply, campaign::Model)>> {
        let Self {
            user_id,
            new,
            want,
            holding,
            expire_leases,
            hold_cap,
            now,
        } = self;
        let (generation, campaign) = response_with_campaign(txn, new.response_id).await?;
        crate::campaign::require_open(&campaign)?;
        // The next cards first, the rating last: storing it moves the campaign-wide
        // counters (the model's votes, the vote patterns, the hour's ratings), whose rows
        // every rating locks until it commits. On PostgreSQL, with the deal's statements
        // after it, those locks were held for a dozen round trips, and concurrent ratings
        // queued behind them ("Lock: transactionid" on the insert; capacity 250/s on two
        // replicas). Dealing does not depend on the rating: the rated card is left out
        // either way.
        let dealing = Dealing {
            want,
            holding,
            expire_leases,
            ..Dealing::for_user(&campaign, user_id, hold_cap, now)
        }
        .after(generation.id, generation.prompt_id);
        let cards = dealing.run(txn).await?;
        // A new guest's vote is held back (`crate::rating::hold_back`): not counted yet.
        let held = hold_back::holds(txn, &campaign, user_id).await?;
        let stored = store_rating(txn, user_id, &new, &campaign, &generation, held, now).await?;
        if stored.status == RateStatus::Recorded {
            if held {
                hold_back::release_if_due(txn, &campaign, user_id, now).await?;
            } else if generation.gold_label.is_none() {
                adaptive::settle(txn, &campaign, generation.id).await?;
            }
        }
        Ok(Write::Commit((RateReply { cards, ..stored }, campaign)))
    }
}

/// Stores the rating unless its client id was seen before; what became of it. A rating
/// that finds no slot (or a repeat) writes nothing, and one that is stored takes over its
/// rater's lease (a trigger). A `held` rater's vote is stored held back instead.
async fn store_rating(
    txn: &impl ConnectionTrait,
    user_id: i32,
    new: &NewRating,
    campaign: &campaign::Model,
    generation: &Response,
    held: bool,
    now: chrono::DateTime<Utc>,
) -> CoreResult<RateReply> {
    let outcome = |status, label| RateReply {
        response_id: generation.id,
        status,
        label,
        model: None,
        cards: Vec::new(),
    };
    if let Some(status) = replayed(txn, user_id, new).await? {
        return Ok(outcome(status, new.label));
    }
    if generation.gold_label.is_some() {
        // A gold card's vote is stored apart (`crate::rating::gold`).
        return gold::store_vote(txn, user_id, new, campaign, generation).await;
    }
    // Read before the insert, which takes the counters' row locks until the commit.
    let model = revealed_model(txn, campaign, generation).await?;
    if held {
        if let Some(reply) = hold_back::store(txn, user_id, new, campaign, generation, now).await? {
            return Ok(RateReply { model, ..reply });
        }
    } else if insert_vote(txn, user_id, new, campaign.overlap, VoteTable::Counted).await? {
        return Ok(RateReply {
            model,
            ..outcome(RateStatus::Recorded, new.label)
        });
    }
    Ok(match stored_label(txn, user_id, generation.id).await? {
        Some(label) => outcome(RateStatus::AlreadyRated, label),
        None => {
            // The insert also refuses a rater excluded from the campaign; only here, off
            // the path of every stored rating, is it worth a statement to say which. The
            // job then fails, and the cards it dealt are rolled back with it.
            crate::moderation::exclusion::require_included(txn, campaign.id, user_id).await?;
            outcome(RateStatus::NotNeeded, new.label)
        }
    })
}

/// What a client id says about a rating sent before: undone since (a late retry), or
/// nothing. A client id already used for another response is an error: ids are per
/// rating.
async fn replayed(
    db: &impl ConnectionTrait,
    user_id: i32,
    new: &NewRating,
) -> CoreResult<Option<RateStatus>> {
    let Some(client_id) = &new.client_id else {
        return Ok(None);
    };
    // One statement for both questions (the writer's, or a round trip on PostgreSQL, per
    // rating): a tombstone of an undo with this id (generation `NULL`), and the response
    // an earlier rating with it is on.
    // The ratings first: SQLite's writer reads a compound select's column by the type the
    // first select declares, which a bare `NULL` does not.
    let query = Query::select()
        .expr_as(
            Expr::col(rating::Column::GenerationId),
            Alias::new("generation_id"),
        )
        .from(rating::Entity)
        .and_where(rating::Column::UserId.eq(user_id))
        .and_where(rating::Column::ClientId.eq(client_id))
        .union(
            UnionType::All,
            Query::select()
                .expr_as(
                    Expr::col(held_rating::Column::GenerationId),
                    Alias::new("generation_id"),
                )
                .from(held_rating::Entity)
                .and_where(held_rating::Column::UserId.eq(user_id))
                .and_where(held_rating::Column::ClientId.eq(client_id))
                .to_owned(),
        )
        .union(
            UnionType::All,
            Query::select()
                .expr_as(Expr::val(Option::<i32>::None), Alias::new("generation_id"))
                .from(undone_rating::Entity)
                .and_where(undone_rating::Column::UserId.eq(user_id))
                .and_where(undone_rating::Column::ClientId.eq(client_id))
                .to_owned(),
        )
        .to_owned();
    let backend = db.get_database_backend();
    let found: Vec<Option<i32>> = db
        .query_all(backend.build(&query))
        .await?
        .iter()
        .map(|row| row.try_get::<Option<i32>>("", "generation_id"))
        .collect::<Result<_, _>>()?;
    if found.iter().any(Option::is_none) {
        return Ok(Some(RateStatus::Undone));
    }
    let earlier = found.into_iter().flatten().next();
    match earlier {
        Some(earlier) if earlier != new.response_id => Err(CoreError::invalid(
            "client_id",
            format!("{client_id} was already used for response {earlier}"),
        )),
        _ => Ok(None),
    }
}

/// Removes `user_id`'s rating of `response_id`. The card goes back to them: the slot the
/// rating held becomes their lease again, so nobody else takes it meanwhile.
pub async fn undo(store: &Store, user_id: i32, response_id: i32) -> CoreResult<UndoReply> {
    let (outcome, campaign_id) = store
        .run(Undo {
            user_id,
            response_id,
        })
        .await?;
    if outcome.undone {
        store.events().publish(campaign_id);
    }
    Ok(outcome)
}

#[derive(Debug, Clone)]
struct Undo {
    user_id: i32,
    response_id: i32,
}

impl WriteJob for Undo {
    /// The reply, and the campaign to publish a change of.
    type Output = (UndoReply, i32);

    async fn write(self, txn: &DatabaseTransaction) -> CoreResult<Write<(UndoReply, i32)>> {
        let Self {
            user_id,
            response_id,
        } = self;
        let (generation, campaign) = response_with_campaign(txn, response_id).await?;
        // Undoing changes the votes as much as rating does: a closed campaign's stand.
        crate::campaign::require_open(&campaign)?;
        let nothing = (
            UndoReply {
                response_id,
                undone: false,
            },
            generation.campaign_id,
        );
        if generation.gold_label.is_some() {
            let now = chrono::Utc::now();
            return Ok(if gold::undo_vote(txn, user_id, response_id, now).await? {
                Write::Commit((
                    UndoReply {
                        response_id,
                        undone: true,
                    },
                    generation.campaign_id,
                ))
            } else {
                Write::Discard(nothing)
            });
        }
        let now = chrono::Utc::now();
        if hold_back::undo(txn, user_id, response_id, now).await? {
            return Ok(Write::Commit((
                UndoReply {
                    response_id,
                    undone: true,
                },
                generation.campaign_id,
            )));
        }
        let Some(existing) = rating::Entity::find()
            .filter(rating::Column::UserId.eq(user_id))
            .filter(rating::Column::GenerationId.eq(response_id))
            .one(txn)
            .await?
        else {
            return Ok(Write::Discard(nothing));
        };
        let deleted = rating::Entity::delete_by_id(existing.id).exec(txn).await?;
        if deleted.rows_affected == 0 {
            // A concurrent undo won.
            return Ok(Write::Discard(nothing));
        }
        adaptive::settle(txn, &campaign, response_id).await?;
        // The slot stays claimed, now as a lease of this annotator (if they
        // already hold one, the rating's slot is simply freed).
        leases::grant(txn, user_id, response_id, now).await?;
        if let Some(client_id) = existing.client_id {
            tombstone(txn, user_id, client_id, now).await?;
        }
        Ok(Write::Commit((
            UndoReply {
                response_id,
                undone: true,
            },
            generation.campaign_id,
        )))
    }
}

/// Remembers that `user_id`'s rating with `client_id` is gone (undone, or deleted by an
/// admin), so a phone retrying it later is answered `undone` and it is not stored again.
pub(crate) async fn tombstone(
    txn: &impl ConnectionTrait,
    user_id: i32,
    client_id: String,
    at: chrono::DateTime<Utc>,
) -> CoreResult<()> {
    undone_rating::Entity::insert(undone_rating::ActiveModel {
        user_id: Set(user_id),
        client_id: Set(client_id),
        created_at: Set(at),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            undone_rating::Column::UserId,
            undone_rating::Column::ClientId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// A vote's columns in `rating`, and in the same order in `held_rating` (which adds the
/// campaign): what moves when votes change tables.
pub(crate) const RATING_COLUMNS: [rating::Column; 6] = [
    rating::Column::UserId,
    rating::Column::GenerationId,
    rating::Column::Label,
    rating::Column::CreatedAt,
    rating::Column::ClientId,
    rating::Column::DecisionMs,
];
pub(crate) const HELD_COLUMNS: [held_rating::Column; 6] = [
    held_rating::Column::UserId,
    held_rating::Column::GenerationId,
    held_rating::Column::Label,
    held_rating::Column::CreatedAt,
    held_rating::Column::ClientId,
    held_rating::Column::DecisionMs,
];

/// Where a vote goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VoteTable {
    /// `rating`: it counts.
    Counted,
    /// `held_rating`: a new guest's, held back (`crate::rating::hold_back`).
    Held,
}

/// Inserts `user_id`'s vote into `table` if the generation has a slot for it: their own
/// lease, or a free one. One statement, the check being its condition; the triggers move
/// the counters. `false` when nothing was inserted (no slot, or they rated it already).
pub(crate) async fn insert_vote(
    txn: &impl ConnectionTrait,
    user_id: i32,
    new: &NewRating,
    overlap: i32,
    table: VoteTable,
) -> CoreResult<bool> {
    let holds_lease = Query::select()
        .expr(Expr::val(1))
        .from(lease::Entity)
        .and_where(lease::Column::UserId.eq(user_id))
        .and_where(lease::Column::GenerationId.eq(new.response_id))
        .to_owned();
    let excluded = Query::select()
        .expr(Expr::val(1))
        .from(rater_exclusion::Entity)
        .and_where(rater_exclusion::Column::UserId.eq(user_id))
        .and_where(
            Expr::col((rater_exclusion::Entity, rater_exclusion::Column::CampaignId))
                .equals((generation::Entity, generation::Column::CampaignId)),
        )
        .to_owned();
    let slot = Query::select()
        .expr(Expr::val(user_id))
        .expr(Expr::col(generation::Column::Id))
        .expr(Expr::val(new.label.is_up()))
        .expr(Expr::val(chrono::Utc::now()))
        .expr(Expr::val(new.client_id.clone()))
        .expr(Expr::val(new.decision_ms))
        .from(generation::Entity)
        .and_where(generation::Column::Id.eq(new.response_id))
        // Not on a response an admin hid (`crate::moderation::hiding`).
        .and_where(generation::Column::HiddenAt.is_null())
        .cond_where(
            Condition::any()
                .add(
                    generation::Column::ClaimedCount
                        .lt(overlap)
                        .and(generation::Column::Settled.eq(false)),
                )
                .add(Expr::exists(holds_lease)),
        )
        // Not from a rater excluded from the campaign (`crate::moderation::exclusion`): in
        // this statement rather than one of its own, which cost the SQLite writer a
        // visible share of its capacity.
        .and_where(Expr::exists(excluded).not())
        // PostgreSQL: concurrent raters of one response queue on its row, so each sees
        // the slots the others took.
        .lock(LockType::NoKeyUpdate)
        .to_owned();
    match table {
        VoteTable::Counted => {
            leases::insert_selected(
                txn,
                rating::Entity,
                RATING_COLUMNS,
                slot,
                (rating::Column::UserId, rating::Column::GenerationId),
            )
            .await
        }
        VoteTable::Held => {
            let mut slot = slot;
            slot.expr(Expr::col(generation::Column::CampaignId));
            leases::insert_selected(
                txn,
                held_rating::Entity,
                HELD_COLUMNS
                    .into_iter()
                    .chain([held_rating::Column::CampaignId]),
                slot,
                (
                    held_rating::Column::UserId,
                    held_rating::Column::GenerationId,
                ),
            )
            .await
        }
    }
}

/// What the rating path needs of a response: where it belongs, not its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromQueryResult)]
pub(crate) struct Response {
    pub id: i32,
    pub campaign_id: i32,
    pub prompt_id: i32,
    pub model_id: i32,
    /// Set on a gold card (`crate::rating::gold`), whose votes are stored apart.
    pub gold_label: Option<bool>,
}

/// The response and its campaign, or `NotFound` naming the id.
pub(crate) async fn response_with_campaign(
    db: &impl ConnectionTrait,
    response_id: i32,
) -> CoreResult<(Response, campaign::Model)> {
    let response = generation::Entity::find_by_id(response_id)
        .select_only()
        .columns([
            generation::Column::Id,
            generation::Column::CampaignId,
            generation::Column::PromptId,
            generation::Column::ModelId,
            generation::Column::GoldLabel,
        ])
        .into_model::<Response>()
        .one(db)
        .await?;
    let Some(response) = response else {
        return Err(CoreError::not_found("response", response_id));
    };
    match campaign::Entity::find_by_id(response.campaign_id)
        .one(db)
        .await?
    {
        Some(campaign) => Ok((response, campaign)),
        None => Err(CoreError::not_found("response", response_id)),
    }
}

async fn stored_label(
    db: &impl ConnectionTrait,
    user_id: i32,
    response_id: i32,
) -> CoreResult<Option<Label>> {
    Ok(rating::Entity::find()
        .filter(rating::Column::UserId.eq(user_id))
        .filter(rating::Column::GenerationId.eq(response_id))
        .one(db)
        .await?
        .map(|r| Label::from_is_up(r.label)))
}

async fn revealed_model(
    db: &impl ConnectionTrait,
    campaign: &campaign::Model,
    generation: &Response,
) -> CoreResult<Option<String>> {
    if !campaign.reveal_models {
        return Ok(None);
    }
    Ok(model::Entity::find_by_id(generation.model_id)
        .one(db)
        .await?
        .map(|m| m.name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::guests;
    use crate::rating::deal;
    use crate::rating::skip;
    use crate::testing::{fresh_store, small_campaign};

    /// A one-card campaign (overlap 2), an annotator, and the card dealt to them.
    async fn one_card(store: &Store, cookie: &str) -> (campaign::Model, i32, i32) {
        let db = store.db();
        let campaign = small_campaign(db, 1, 1).await;
        let user = guests::browser_annotator(db, cookie).await.unwrap();
        let card = deal::deal(store, &campaign, user.id, 1, &[], chrono::Utc::now())
            .await
            .unwrap()
            .remove(0);
        (campaign, user.id, card.response_id)
    }

    /// (rating_count, up_count, down_count, claimed_count)
    async fn counters(db: &sea_orm::DatabaseConnection, id: i32) -> (i32, i32, i32, i32) {
        let g = generation::Entity::find_by_id(id)
            .one(db)
            .await
            .unwrap()
            .unwrap();
        (g.rating_count, g.up_count, g.down_count, g.claimed_count)
    }

    fn with_client_id(response_id: i32, label: Label, client_id: &str) -> NewRating {
        NewRating {
            client_id: Some(client_id.to_string()),
            ..NewRating::new(response_id, label)
        }
    }

    #[tokio::test]
    async fn a_rating_can_bring_the_next_cards() {
        let store = fresh_store().await;
        let db = store.db().clone();
        let campaign = small_campaign(&db, 3, 2).await; // 6 responses, overlap 2
        let user = guests::browser_annotator(&db, "a").await.unwrap().id;
        let first = deal::deal(&store, &campaign, user, 2, &[], Utc::now())
            .await
            .unwrap();
        let (rated, held) = (first[0].response_id, first[1].response_id);

        let outcome = rate_and_deal(&store, user, NewRating::new(rated, Label::Up), 2, &[held])
            .await
            .unwrap();
        assert_eq!(outcome.status, RateStatus::Recorded);
        let dealt: Vec<i32> = outcome.cards.iter().map(|c| c.response_id).collect();
        assert_eq!(dealt.len(), 2);
        assert!(
            !dealt.contains(&rated) && !dealt.contains(&held),
            "{dealt:?}"
        );
        let leased: Vec<i32> = lease::Entity::find()
            .filter(lease::Column::UserId.eq(user))
            .all(&db)
            .await
            .unwrap()
            .iter()
            .map(|l| l.generation_id)
            .collect();
        for id in dealt.iter().chain([&held]) {
            assert!(leased.contains(id), "{id} is held for them: {leased:?}");
        }
        assert!(
            !leased.contains(&rated),
            "the rating took over the lease's slot"
        );

        // A repeat changes nothing but still deals.
        let mut holding = dealt.clone();
        holding.push(held);
        let again = rate_and_deal(
            &store,
            user,
            NewRating::new(rated, Label::Down),
            1,
            &holding,
        )
        .await
        .unwrap();
        assert_eq!(again.status, RateStatus::AlreadyRated);
        assert_eq!(again.label, Label::Up);
        let more = &again.cards;
        assert_eq!(more.len(), 1);
        assert!(!holding.contains(&more[0].response_id));
        assert_ne!(more[0].response_id, rated);
    }

    #[tokio::test]
    async fn a_repeated_rating_counts_once() {
        let store = fresh_store().await;
        let db = store.db().clone();
        let (_, user_id, response_id) = one_card(&store, "a").await;
        assert_eq!(
            counters(&db, response_id).await,
            (0, 0, 0, 1),
            "the lease claims a slot"
        );

        let first = rate(&store, user_id, NewRating::new(response_id, Label::Up))
            .await
            .unwrap();
        assert_eq!(first.status, RateStatus::Recorded);
        assert_eq!(
            counters(&db, response_id).await,
            (1, 1, 0, 1),
            "the lease became the rating"
        );
        let retry = rate(&store, user_id, NewRating::new(response_id, Label::Up))
            .await
            .unwrap();
        assert_eq!(retry.status, RateStatus::AlreadyRated);
        // A retry that carries its client id, as the phone's always does.
        let with_id = NewRating {
            client_id: Some("phone-1".into()),
            ..NewRating::new(response_id, Label::Up)
        };
        let (_, other, other_response) = one_card(&store, "b").await;
        let first = rate(
            &store,
            other,
            NewRating {
                response_id: other_response,
                ..with_id.clone()
            },
        )
        .await
        .unwrap();
        assert_eq!(first.status, RateStatus::Recorded);
        let retry = rate(
            &store,
            other,
            NewRating {
                response_id: other_response,
                ..with_id
            },
        )
        .await
        .unwrap();
        assert_eq!(retry.status, RateStatus::AlreadyRated, "not `undone`");
        let changed_mind = rate(&store, user_id, NewRating::new(response_id, Label::Down))
            .await
            .unwrap();
        assert_eq!(changed_mind.status, RateStatus::AlreadyRated);
        assert_eq!(
            changed_mind.label,
            Label::Up,
            "the stored label is reported"
        );
        assert_eq!(counters(&db, response_id).await, (1, 1, 0, 1));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_duplicates_count_once() {
        let store = fresh_store().await;
        let db = store.db().clone();
        let (_, user_id, response_id) = one_card(&store, "a").await;
        let mut attempts = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let store = store.clone();
            attempts.spawn(async move {
                rate(
                    &store,
                    user_id,
                    with_client_id(response_id, Label::Down, "c-1"),
                )
                .await
            });
        }
        let mut recorded = 0;
        while let Some(result) = attempts.join_next().await {
            recorded += usize::from(result.unwrap().unwrap().status == RateStatus::Recorded);
        }
        assert_eq!(recorded, 1);
        assert_eq!(counters(&db, response_id).await, (1, 0, 1, 1));
    }

    #[tokio::test]
    async fn ratings_and_undos_announce_that_the_campaign_changed() {
        let store = fresh_store().await;
        let (campaign, user_id, response_id) = one_card(&store, "news").await;
        let mut news = store.events().subscribe();
        rate(&store, user_id, NewRating::new(response_id, Label::Up))
            .await
            .unwrap();
        assert_eq!(
            news.try_recv().ok(),
            Some(crate::db::events::Change::Campaign(campaign.id))
        );
        // A repeat changes nothing, so it announces nothing.
        rate(&store, user_id, NewRating::new(response_id, Label::Up))
            .await
            .unwrap();
        assert!(news.try_recv().is_err());
        undo(&store, user_id, response_id).await.unwrap();
        assert_eq!(
            news.try_recv().ok(),
            Some(crate::db::events::Change::Campaign(campaign.id))
        );
        undo(&store, user_id, response_id).await.unwrap();
        assert!(
            news.try_recv().is_err(),
            "nothing to undo, nothing announced"
        );
    }

    #[tokio::test]
    async fn undo_puts_the_card_back_and_a_late_retry_cannot_redo_it() {
        let store = fresh_store().await;
        let db = store.db().clone();
        let (campaign, user_id, response_id) = one_card(&store, "a").await;
        rate(
            &store,
            user_id,
            with_client_id(response_id, Label::Up, "c-1"),
        )
        .await
        .unwrap();

        let undone = undo(&store, user_id, response_id).await.unwrap();
        assert!(undone.undone);
        assert_eq!(
            counters(&db, response_id).await,
            (0, 0, 0, 1),
            "the slot is held as a lease"
        );
        assert!(
            !undo(&store, user_id, response_id).await.unwrap().undone,
            "nothing left to undo"
        );

        let late = rate(
            &store,
            user_id,
            with_client_id(response_id, Label::Up, "c-1"),
        )
        .await
        .unwrap();
        assert_eq!(late.status, RateStatus::Undone);
        assert_eq!(counters(&db, response_id).await, (0, 0, 0, 1));

        // The card is dealt to them again, and a new decision counts.
        let back = deal::deal(&store, &campaign, user_id, 1, &[], chrono::Utc::now())
            .await
            .unwrap();
        assert_eq!(back[0].response_id, response_id);
        let again = rate(
            &store,
            user_id,
            with_client_id(response_id, Label::Down, "c-2"),
        )
        .await
        .unwrap();
        assert_eq!(again.status, RateStatus::Recorded);
        assert_eq!(counters(&db, response_id).await, (1, 0, 1, 1));
    }

    #[tokio::test]
    async fn a_full_generation_refuses_a_rating_without_a_slot() {
        let store = fresh_store().await;
        let db = store.db().clone();
        let (campaign, a, response_id) = one_card(&store, "a").await; // overlap 2
        let now = chrono::Utc::now();
        let b = guests::browser_annotator(&db, "b").await.unwrap().id;
        deal::deal(&store, &campaign, b, 1, &[], now).await.unwrap();
        rate(&store, a, NewRating::new(response_id, Label::Up))
            .await
            .unwrap();
        rate(&store, b, NewRating::new(response_id, Label::Up))
            .await
            .unwrap();
        let c = guests::browser_annotator(&db, "c").await.unwrap().id;
        let late = rate(&store, c, NewRating::new(response_id, Label::Down))
            .await
            .unwrap();
        assert_eq!(late.status, RateStatus::NotNeeded);
        assert_eq!(counters(&db, response_id).await, (2, 2, 0, 2));
    }

    #[tokio::test]
    async fn a_skip_releases_the_slot_and_the_card_never_returns() {
        let store = fresh_store().await;
        let db = store.db().clone();
        let (campaign, a, response_id) = one_card(&store, "a").await;
        assert!(skip::skip(&store, a, response_id).await.unwrap().skipped);
        assert!(!skip::skip(&store, a, response_id).await.unwrap().skipped);
        assert_eq!(counters(&db, response_id).await, (0, 0, 0, 0));
        let dealt = deal::deal(&store, &campaign, a, 5, &[], chrono::Utc::now())
            .await
            .unwrap();
        assert!(dealt.is_empty());
    }

    #[tokio::test]
    async fn a_closed_campaign_refuses_undo_and_skip_as_it_refuses_rating() {
        let store = fresh_store().await;
        let db = store.db().clone();
        let (campaign, user_id, response_id) = one_card(&store, "a").await;
        rate(&store, user_id, NewRating::new(response_id, Label::Up))
            .await
            .unwrap();
        let mut closing: campaign::ActiveModel = campaign.into();
        closing.open = Set(false);
        sea_orm::ActiveModelTrait::update(closing, &db)
            .await
            .unwrap();

        let rating = rate(&store, user_id, NewRating::new(response_id, Label::Down))
            .await
            .unwrap_err();
        assert!(matches!(rating, CoreError::Forbidden(_)), "{rating}");
        let undoing = undo(&store, user_id, response_id).await.unwrap_err();
        let skipping = skip::skip(&store, user_id, response_id).await.unwrap_err();
        for refused in [&undoing, &skipping] {
            assert!(matches!(refused, CoreError::Forbidden(_)), "{refused}");
            assert_eq!(refused.to_string(), rating.to_string());
        }
        assert_eq!(
            counters(&db, response_id).await,
            (1, 1, 0, 1),
            "the rating stands"
        );
        assert!(
            crate::db::entities::skip::Entity::find()
                .one(&db)
                .await
                .unwrap()
                .is_none(),
            "no skip was stored"
        );
    }

    #[tokio::test]
    async fn bad_input_is_named() {
        let store = fresh_store().await;
        let db = store.db().clone();
        let (_, user_id, response_id) = one_card(&store, "a").await;
        let err = rate(&store, user_id, NewRating::new(999_999, Label::Up))
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "response 999999 does not exist");
        let err = rate(
            &store,
            user_id,
            with_client_id(response_id, Label::Up, "bad id!"),
        )
        .await
        .unwrap_err();
        assert!(err.to_string().starts_with("invalid client_id"), "{err}");
        let negative = NewRating {
            decision_ms: Some(-5),
            ..NewRating::new(response_id, Label::Up)
        };
        let err = rate(&store, user_id, negative).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid decision_ms: must not be negative, got -5"
        );
        assert_eq!(
            counters(&db, response_id).await,
            (0, 0, 0, 1),
            "nothing changed"
        );
    }

    #[tokio::test]
    async fn reveals_the_model_only_when_the_campaign_says_so() {
        let store = fresh_store().await;
        let db = store.db().clone();
        let (campaign, user_id, response_id) = one_card(&store, "a").await;
        let blind = rate(&store, user_id, NewRating::new(response_id, Label::Up))
            .await
            .unwrap();
        assert_eq!(blind.model, None);

        let mut revealing: campaign::ActiveModel = campaign.into();
        revealing.reveal_models = Set(true);
        sea_orm::ActiveModelTrait::update(revealing, &db)
            .await
            .unwrap();
        let other = guests::browser_annotator(&db, "b").await.unwrap();
        let revealed = rate(&store, other.id, NewRating::new(response_id, Label::Up))
            .await
            .unwrap();
        assert_eq!(revealed.model.as_deref(), Some("Model 0"));
    }
}
