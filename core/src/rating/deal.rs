//! Which card comes next. A card is a generation that still has a free slot (its ratings
//! plus live leases are below the campaign's overlap) and that this annotator has not
//! rated, skipped or been handed already. The least-claimed come first, then by
//! `order_key`, which interleaves models and scatters prompts; handing a card out takes a
//! lease on its slot (see `crate::rating::leases`).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseTransaction, EntityTrait,
    FromQueryResult, JoinType, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};

use swipeset_wire::{Card, Turn};

use crate::CoreResult;
use crate::campaign::conversation;
use crate::db::entities::{campaign, generation, held_rating, lease, prompt, rating, skip};
use crate::db::store::{Store, Write, WriteJob};
use crate::rating::{gold, leases};

/// What a card shows, read by column name: the response and its prompt, without the
/// rest of either row (counters, parameters, metadata).
#[derive(Debug, Clone, FromQueryResult)]
struct CardRow {
    /// The generation's.
    id: i32,
    prompt_id: i32,
    /// The response.
    text: String,
    prompt_text: String,
    prompt_system_prompt: Option<String>,
    prompt_history: Option<String>,
}

impl CardRow {
    /// The card as the rater sees it: the campaign's system prompt stands in for a
    /// prompt without one.
    fn into_card(self, campaign: &campaign::Model) -> Card {
        Card {
            response_id: self.id,
            prompt_id: self.prompt_id,
            prompt: self.prompt_text,
            system_prompt: self
                .prompt_system_prompt
                .or_else(|| campaign.system_prompt.clone()),
            response: self.text,
            prompt_html: None,
            response_html: None,
            history: conversation::from_text(self.prompt_history.as_deref())
                .into_iter()
                .map(|turn| Turn {
                    role: turn.role,
                    content: turn.content,
                })
                .collect(),
            history_html: None,
        }
    }
}

/// Adds to `cards` the HTML of their prompts and responses, where `campaign` renders
/// markdown (`crate::campaign::markdown`, made safe on the server so the browser only
/// inserts it). Run on the way out of a write job, never inside one: SQLite's single writer
/// should not spend its time on text.
pub fn dress(campaign: &campaign::Model, cards: &mut [Card]) {
    use crate::campaign::markdown::{Flavor, history_html, to_safe_html};
    for card in cards.iter_mut() {
        if !card.history.is_empty() {
            let turns = card
                .history
                .iter()
                .map(|t| (t.role.as_str(), t.content.as_str()));
            card.history_html = Some(history_html(turns, campaign.render_markdown));
        }
        if campaign.render_markdown {
            card.prompt_html = Some(to_safe_html(&card.prompt, Flavor::Card));
            card.response_html = Some(to_safe_html(&card.response, Flavor::Card));
        }
    }
}

/// `NOT EXISTS (SELECT 1 FROM table WHERE table.generation_id = generation.id AND
/// table.user_id = user_id)`: the annotator has not touched this generation that way.
fn untouched_by<E: EntityTrait>(
    entity: E,
    user_column: E::Column,
    generation_column: E::Column,
    user_id: i32,
) -> SimpleExpr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(entity)
            .and_where(
                Expr::col((entity, generation_column))
                    .equals((generation::Entity, generation::Column::Id)),
            )
            .and_where(Expr::col((entity, user_column)).eq(user_id))
            .to_owned(),
    )
    .not()
}

/// A card that could be dealt: just what ordering and leasing need, so that reading a
/// wide front of the queue does not carry every response's text along. Read by column
/// name (SQLite's writer hands rows over keyed by name, not in select order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromQueryResult)]
struct Candidate {
    /// The generation's.
    id: i32,
    prompt_id: i32,
    claimed_count: i32,
}

/// The first `limit` open generations for `annotator`, in offering order.
///
/// The query walks the `generation_next_card` index (campaign, settled, claimed_count,
/// order_key, id)
/// and skips what the annotator touched through unique (user, generation) indexes, so its
/// cost depends on how much this person has rated, not on the campaign's size.
async fn candidates(
    db: &impl ConnectionTrait,
    campaign: &campaign::Model,
    annotator: Option<i32>,
    limit: u64,
) -> CoreResult<Vec<Candidate>> {
    let mut query = generation::Entity::find()
        .select_only()
        .columns([
            generation::Column::Id,
            generation::Column::PromptId,
            generation::Column::ClaimedCount,
        ])
        .filter(generation::Column::CampaignId.eq(campaign.id))
        // Settled by its votes (adaptive overlap, `crate::rating::adaptive`): the index's
        // second column, so settled responses are skipped as a range.
        .filter(generation::Column::Settled.eq(false))
        .filter(generation::Column::ClaimedCount.lt(campaign.overlap))
        // Hidden by an admin (`crate::moderation::hiding`): a check on the row the walk
        // reads anyway, for its prompt.
        .filter(generation::Column::HiddenAt.is_null())
        // Gold cards come through `crate::rating::gold`, never as a slot.
        .filter(generation::Column::GoldLabel.is_null());
    if let Some(user_id) = annotator {
        query = query
            .filter(untouched_by(
                rating::Entity,
                rating::Column::UserId,
                rating::Column::GenerationId,
                user_id,
            ))
            .filter(untouched_by(
                skip::Entity,
                skip::Column::UserId,
                skip::Column::GenerationId,
                user_id,
            ))
            .filter(untouched_by(
                lease::Entity,
                lease::Column::UserId,
                lease::Column::GenerationId,
                user_id,
            ))
            // A held vote whose slot lapsed (`crate::rating::hold_back`).
            .filter(untouched_by(
                held_rating::Entity,
                held_rating::Column::UserId,
                held_rating::Column::GenerationId,
                user_id,
            ));
    }
    Ok(query
        .order_by_asc(generation::Column::ClaimedCount)
        .order_by_asc(generation::Column::OrderKey)
        .order_by_asc(generation::Column::Id)
        .limit(limit)
        .into_model::<Candidate>()
        .all(db)
        .await?)
}

/// The cards of generations `ids`, in that order (any that vanished are left out).
async fn load_cards(
    db: &impl ConnectionTrait,
    campaign: &campaign::Model,
    ids: &[i32],
) -> CoreResult<Vec<Card>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows = generation::Entity::find()
        .select_only()
        .columns([
            generation::Column::Id,
            generation::Column::PromptId,
            generation::Column::Text,
        ])
        .column_as(prompt::Column::Text, "prompt_text")
        .column_as(prompt::Column::SystemPrompt, "prompt_system_prompt")
        .column_as(prompt::Column::History, "prompt_history")
        .join(JoinType::InnerJoin, generation::Relation::Prompt.def())
        .filter(generation::Column::Id.is_in(ids.to_vec()))
        .into_model::<CardRow>()
        .all(db)
        .await?;
    Ok(ids
        .iter()
        .filter_map(|id| {
            let at = rows.iter().position(|row| row.id == *id)?;
            Some(rows.swap_remove(at).into_card(campaign))
        })
        .collect())
}

/// The card `annotator` would be dealt next, without taking a lease: for a page rendered
/// to someone who has not rated yet (a first visit, a crawler), which must not hold slots.
pub async fn peek(
    db: &impl ConnectionTrait,
    campaign: &campaign::Model,
    annotator: Option<i32>,
) -> CoreResult<Option<Card>> {
    match candidates(db, campaign, annotator, 1).await?.first() {
        Some(first) => dressed_card(db, campaign, first.id).await,
        None => Ok(None),
    }
}

/// Response `id` as a card with its HTML, outside any write job.
async fn dressed_card(
    db: &impl ConnectionTrait,
    campaign: &campaign::Model,
    id: i32,
) -> CoreResult<Option<Card>> {
    let mut cards = load_cards(db, campaign, &[id]).await?;
    dress(campaign, &mut cards);
    Ok(cards.pop())
}

/// Response `response_id` as a card, with its campaign: what the page for flagging it
/// shows. `NotFound` when it does not exist or an admin hid it.
pub async fn card(
    db: &impl ConnectionTrait,
    response_id: i32,
) -> CoreResult<(campaign::Model, Card)> {
    let (response, campaign) = crate::rating::rate::response_with_campaign(db, response_id).await?;
    let hidden = generation::Entity::find_by_id(response.id)
        .filter(generation::Column::HiddenAt.is_not_null())
        .count(db)
        .await?;
    let card = match hidden {
        0 => dressed_card(db, &campaign, response.id).await?,
        _ => None,
    };
    match card {
        Some(card) => Ok((campaign, card)),
        None => Err(crate::CoreError::not_found("response", response_id)),
    }
}

/// How many times dealing looks again when others took the slots it was after (only
/// PostgreSQL's concurrent transactions can: SQLite's writer deals one job at a time).
const DEAL_ROUNDS: usize = 3;

/// The fewest candidates dealing reads at once on PostgreSQL. Everyone dealing at the same
/// moment sees much the same front of the queue; a wide enough front (times the overlap)
/// leaves a slot for each of them, so one round nearly always suffices. SQLite's writer
/// deals one job after the other, each seeing the leases of the one before, so there a
/// few spare candidates (for variety of prompts) are enough.
const MIN_CANDIDATES_CONCURRENT: u64 = 32;

/// Up to `want` cards for `user_id`, each leased to them. `holding` lists the generations
/// the client already has queued: they are not dealt again, and the first new card avoids
/// the prompt of the last of them. Cards the user holds but the client lost (a reload)
/// come back first. One write job: reading the queue and leasing from it see the same
/// database.
pub async fn deal(
    store: &Store,
    campaign: &campaign::Model,
    user_id: i32,
    want: usize,
    holding: &[i32],
    now: DateTime<Utc>,
) -> CoreResult<Vec<Card>> {
    crate::campaign::require_open(campaign)?;
    let dealing = Dealing {
        want,
        holding: holding.to_vec(),
        expire_leases: store.lease_sweep().due(now),
        ..Dealing::for_user(campaign, user_id, store.hold_cap(), now)
    };
    let mut cards = store.run(dealing).await?;
    dress(campaign, &mut cards);
    Ok(cards)
}

impl WriteJob for Dealing {
    type Output = Vec<Card>;

    async fn write(self, txn: &DatabaseTransaction) -> CoreResult<Write<Vec<Card>>> {
        crate::moderation::exclusion::require_included(txn, self.campaign.id, self.user_id).await?;
        Ok(Write::Commit(self.run(txn).await?))
    }
}

/// The prompt of generation `id`, if it exists.
async fn prompt_of(db: &impl ConnectionTrait, id: i32) -> CoreResult<Option<i32>> {
    Ok(generation::Entity::find_by_id(id)
        .select_only()
        .column(generation::Column::PromptId)
        .into_tuple()
        .one(db)
        .await?)
}

/// A deal, to run inside a write job: which cards, for whom, and what to leave out.
#[derive(Debug, Clone)]
pub(crate) struct Dealing {
    pub(crate) campaign: campaign::Model,
    pub(crate) user_id: i32,
    pub(crate) want: usize,
    /// What the client has queued: never dealt again.
    pub(crate) holding: Vec<i32>,
    /// Also never dealt (the card just rated).
    pub(crate) excluded: Option<i32>,
    /// The prompt the client shows last, when it holds nothing.
    pub(crate) after_prompt: Option<i32>,
    /// Whether to free lapsed leases first (at most about once a second per store: a
    /// lease lapses minutes after it was taken, so a second late frees it soon enough).
    pub(crate) expire_leases: bool,
    /// The most cards the user may hold once dealt (`Store::hold_cap`).
    pub(crate) hold_cap: usize,
    pub(crate) now: DateTime<Utc>,
}

impl Dealing {
    /// Deals nothing yet: set `want` and the rest. `hold_cap` is the store's.
    pub(crate) fn for_user(
        campaign: &campaign::Model,
        user_id: i32,
        hold_cap: usize,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            campaign: campaign.clone(),
            user_id,
            want: 0,
            holding: Vec::new(),
            excluded: None,
            after_prompt: None,
            expire_leases: false,
            hold_cap,
            now,
        }
    }

    /// Leaves out `generation_id` (just rated, whose prompt the client shows last).
    pub(crate) fn after(self, generation_id: i32, prompt_id: i32) -> Self {
        Self {
            excluded: Some(generation_id),
            after_prompt: Some(prompt_id),
            ..self
        }
    }

    /// Deals: the user's live leases the client lost first, then the least-claimed open
    /// cards, leasing each, as long as the user holds fewer than `hold_cap` cards.
    pub(crate) async fn run(&self, txn: &impl ConnectionTrait) -> CoreResult<Vec<Card>> {
        let (user_id, now) = (self.user_id, self.now);
        if self.want == 0 {
            return Ok(Vec::new());
        }
        if self.expire_leases {
            leases::expire(txn, now).await?;
        }
        let mut previous = match self.holding.last() {
            Some(&id) => prompt_of(txn, id).await?,
            None => self.after_prompt,
        };
        let mut tried: Vec<i32> = self.holding.iter().copied().chain(self.excluded).collect();

        let mut chosen = leases::renew_held(txn, user_id, self.campaign.id, now).await?;
        // New leases only up to the hold cap; the card just rated no longer counts.
        let held = chosen
            .iter()
            .filter(|id| Some(**id) != self.excluded)
            .count();
        let room = self.hold_cap.saturating_sub(held);
        chosen.retain(|id| !tried.contains(id));
        chosen.truncate(self.want);
        let mut cards = load_cards(txn, &self.campaign, &chosen).await?;
        tried.extend(&chosen);
        if let Some(last) = cards.last() {
            previous = Some(last.prompt_id);
        }

        // A gold card when one is due (`crate::rating::gold`): it takes one of the cards
        // wanted, but no slot and no lease.
        let mut gold_card = None;
        let turn = gold::turn(
            txn,
            &self.campaign,
            user_id,
            &self.holding,
            self.holding.len() + cards.len(),
            self.want - cards.len(),
        )
        .await?;
        if let Some(at) = turn
            && let Some(id) = gold::pick(txn, &self.campaign, user_id, &tried).await?
        {
            gold_card = Some((id, at));
            tried.push(id);
        }
        let gold_taken = usize::from(gold_card.is_some());

        let mut taken = Vec::new();
        let wanted = |cards: &[Card], taken: &[i32]| {
            (self.want - cards.len() - taken.len() - gold_taken).min(room - taken.len())
        };
        for _ in 0..DEAL_ROUNDS {
            let still_wanted = wanted(&cards, &taken);
            if still_wanted == 0 {
                break;
            }
            let mut limit = still_wanted as u64 * 4 + 8;
            if txn.get_database_backend() == DatabaseBackend::Postgres {
                limit = limit.max(MIN_CANDIDATES_CONCURRENT);
            }
            let pool: Vec<Candidate> = candidates(txn, &self.campaign, Some(user_id), limit)
                .await?
                .into_iter()
                .filter(|c| !tried.contains(&c.id))
                .collect();
            let pool_was_short = (pool.len() as u64) < limit;
            let mut queue = order_for_variety(spread(pool, user_id), previous).into_iter();
            loop {
                let still_wanted = wanted(&cards, &taken);
                let batch: Vec<Candidate> = queue.by_ref().take(still_wanted).collect();
                if batch.is_empty() {
                    break;
                }
                for candidate in batch {
                    tried.push(candidate.id);
                    // False when someone took the last slot first, or (PostgreSQL) holds
                    // the response's row right now (`leases::take`).
                    if leases::take(txn, user_id, candidate.id, self.campaign.overlap, now).await? {
                        taken.push(candidate.id);
                        previous = Some(candidate.prompt_id);
                    }
                }
            }
            if pool_was_short {
                break;
            }
        }
        let mut new_cards = load_cards(txn, &self.campaign, &taken).await?;
        if let Some((id, at)) = gold_card {
            // At its turn among the new cards (or last, where fewer were dealt).
            let at = at.min(new_cards.len());
            new_cards.splice(at..at, load_cards(txn, &self.campaign, &[id]).await?);
        }
        cards.extend(new_cards);
        Ok(cards)
    }
}

/// Starts each annotator at a different place among the least-claimed candidates.
///
/// Everyone dealing at the same moment reads the same front of the queue; if all tried
/// its first card first, the k-th deal of a batch would fail on about k/overlap taken
/// slots before finding a free one, each failure a statement inside the writer's batch.
/// Rotating the front (the candidates as little claimed as the first) by the user's id
/// keeps "fewest ratings first" and sends concurrent annotators to different cards.
fn spread(mut pool: Vec<Candidate>, user_id: i32) -> Vec<Candidate> {
    let Some(least) = pool.first().map(|c| c.claimed_count) else {
        return pool;
    };
    let front = pool.iter().take_while(|c| c.claimed_count == least).count();
    pool[..front].rotate_left(user_id.unsigned_abs() as usize % front);
    pool
}

/// Reorders candidates (already in offering order) so that no card has the same prompt as
/// the one before it, when another candidate allows that; otherwise keeps the order.
fn order_for_variety(pool: Vec<Candidate>, mut previous: Option<i32>) -> Vec<Candidate> {
    let mut rest = pool;
    let mut ordered = Vec::with_capacity(rest.len());
    while !rest.is_empty() {
        let pick = rest
            .iter()
            .position(|c| Some(c.prompt_id) != previous)
            .unwrap_or(0);
        let item = rest.remove(pick);
        previous = Some(item.prompt_id);
        ordered.push(item);
    }
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Label;
    use crate::accounts::guests;
    use crate::rating::rate::{self, NewRating};
    use crate::testing::{fresh_store, small_campaign};
    use swipeset_wire::RateStatus;

    async fn user(db: &sea_orm::DatabaseConnection, cookie: &str) -> i32 {
        guests::browser_annotator(db, cookie).await.unwrap().id
    }

    #[tokio::test]
    async fn offers_each_response_until_it_reaches_its_overlap() {
        let store = fresh_store().await;
        let db = store.db().clone();
        let campaign = small_campaign(&db, 2, 2).await; // 2 prompts x 2 models, overlap 2
        let now = Utc::now();
        for cookie in ["a", "b"] {
            let user_id = user(&db, cookie).await;
            let mut mine = Vec::new();
            while let Some(card) = deal(&store, &campaign, user_id, 1, &[], now)
                .await
                .unwrap()
                .pop()
            {
                assert!(
                    !mine.contains(&card.response_id),
                    "never the same card twice"
                );
                mine.push(card.response_id);
                let rated =
                    rate::rate(&store, user_id, NewRating::new(card.response_id, Label::Up))
                        .await
                        .unwrap();
                assert_eq!(rated.status, RateStatus::Recorded);
            }
            assert_eq!(mine.len(), 4, "each annotator rates every response once");
        }
        let third = user(&db, "c").await;
        assert!(
            deal(&store, &campaign, third, 3, &[], now)
                .await
                .unwrap()
                .is_empty(),
            "all full"
        );
        assert_eq!(peek(&db, &campaign, None).await.unwrap(), None);
    }

    /// A rater holds at most the store's hold cap: asking for more renews what they hold
    /// and leases nothing new, so a few identities cannot hold every slot; rating one
    /// makes room for the next.
    #[tokio::test]
    async fn a_rater_holds_no_more_than_the_hold_cap() {
        let store = fresh_store().await.with_hold_cap(3);
        let db = store.db().clone();
        let campaign = small_campaign(&db, 5, 2).await; // 10 responses, overlap 2
        let now = Utc::now();
        let hoarder = user(&db, "hoarder").await;
        let first = deal(&store, &campaign, hoarder, 10, &[], now)
            .await
            .unwrap();
        assert_eq!(first.len(), 3, "dealt up to the cap");
        let held: Vec<i32> = first.iter().map(|c| c.response_id).collect();
        // A client that lost its cards gets the same three back, and no new one.
        let again = deal(&store, &campaign, hoarder, 10, &[], now)
            .await
            .unwrap();
        let mut again: Vec<i32> = again.iter().map(|c| c.response_id).collect();
        again.sort_unstable();
        let mut sorted = held.clone();
        sorted.sort_unstable();
        assert_eq!(again, sorted, "renewed, not more");
        // Holding them all, nothing more is dealt.
        assert!(
            deal(&store, &campaign, hoarder, 10, &held, now)
                .await
                .unwrap()
                .is_empty()
        );
        // Rating one (and asking for more in the same request) makes room for one.
        let rated = rate::rate_and_deal(
            &store,
            hoarder,
            NewRating::new(held[0], Label::Up),
            10,
            &held[1..],
        )
        .await
        .unwrap();
        assert_eq!(rated.status, RateStatus::Recorded);
        assert_eq!(rated.cards.len(), 1, "one freed place, one new card");
        // Everyone else still finds the other slots.
        let other = user(&db, "other").await;
        assert_eq!(
            deal(&store, &campaign, other, 3, &[], now)
                .await
                .unwrap()
                .len(),
            3
        );
    }

    /// Everyone asking at the same moment sees the same front of the queue; those who
    /// lose the race for it must still get one of the many other open cards.
    #[tokio::test]
    async fn a_crowd_dealing_at_once_all_get_cards() {
        let store = fresh_store().await;
        let db = store.db().clone();
        let campaign = small_campaign(&db, 100, 2).await; // 200 responses, overlap 2
        let now = Utc::now();
        let mut users = Vec::new();
        for u in 0..40 {
            users.push(user(&db, &format!("crowd-{u}")).await);
        }
        let mut dealing = tokio::task::JoinSet::new();
        for user_id in users {
            let (store, campaign) = (store.clone(), campaign.clone());
            dealing.spawn(async move { deal(&store, &campaign, user_id, 1, &[], now).await });
        }
        let mut empty_handed = 0;
        while let Some(dealt) = dealing.join_next().await {
            if dealt.unwrap().unwrap().is_empty() {
                empty_handed += 1;
            }
        }
        assert_eq!(
            empty_handed, 0,
            "annotators dealt nothing while 200 cards were open"
        );
    }

    #[tokio::test]
    async fn a_lease_keeps_others_off_the_last_slot_until_it_expires() {
        let store = fresh_store().await;
        let db = store.db().clone();
        let campaign = small_campaign(&db, 1, 1).await; // one response, overlap 2
        let now = Utc::now();
        let (a, b, c) = (
            user(&db, "a").await,
            user(&db, "b").await,
            user(&db, "c").await,
        );
        assert_eq!(
            deal(&store, &campaign, a, 1, &[], now).await.unwrap().len(),
            1
        );
        assert_eq!(
            deal(&store, &campaign, b, 1, &[], now).await.unwrap().len(),
            1
        );
        assert!(
            deal(&store, &campaign, c, 1, &[], now)
                .await
                .unwrap()
                .is_empty(),
            "both slots are leased"
        );

        let later = now + leases::LEASE_DURATION + chrono::Duration::seconds(1);
        let dealt = deal(&store, &campaign, c, 1, &[], later).await.unwrap();
        assert_eq!(dealt.len(), 1, "expired leases free their slots");
    }

    #[tokio::test]
    async fn a_reload_gets_the_held_cards_back_first() {
        let store = fresh_store().await;
        let db = store.db().clone();
        let campaign = small_campaign(&db, 3, 2).await;
        let now = Utc::now();
        let a = user(&db, "a").await;
        let first: Vec<i32> = deal(&store, &campaign, a, 2, &[], now)
            .await
            .unwrap()
            .iter()
            .map(|c| c.response_id)
            .collect();
        assert_eq!(first.len(), 2);
        // The client lost its queue: the same two come back, then a new one.
        let again: Vec<i32> = deal(&store, &campaign, a, 3, &[], now)
            .await
            .unwrap()
            .iter()
            .map(|c| c.response_id)
            .collect();
        assert_eq!(&again[..2], &first[..]);
        assert_eq!(again.len(), 3);
        // A client that still holds them gets only new ones.
        let more = deal(&store, &campaign, a, 2, &again, now).await.unwrap();
        assert!(more.iter().all(|c| !again.contains(&c.response_id)));
    }

    #[tokio::test]
    async fn one_prompt_does_not_come_twice_in_a_row() {
        let store = fresh_store().await;
        let db = store.db().clone();
        let campaign = small_campaign(&db, 4, 3).await;
        let now = Utc::now();
        let a = user(&db, "a").await;
        let mut sequence = Vec::new();
        let mut holding: Vec<i32> = Vec::new();
        loop {
            let batch = deal(&store, &campaign, a, 3, &holding, now).await.unwrap();
            if batch.is_empty() {
                break;
            }
            for card in batch {
                holding.push(card.response_id);
                sequence.push(card.prompt_id);
            }
        }
        assert_eq!(sequence.len(), 12);
        // 4 prompts x 3 models can always be ordered without repeats until the very end.
        let repeats = sequence.windows(2).filter(|w| w[0] == w[1]).count();
        assert!(repeats <= 1, "{sequence:?}");
    }

    #[tokio::test]
    async fn least_claimed_responses_come_first() {
        let store = fresh_store().await;
        let db = store.db().clone();
        let campaign = small_campaign(&db, 1, 3).await;
        let now = Utc::now();
        let first = user(&db, "first").await;
        let card = deal(&store, &campaign, first, 1, &[], now)
            .await
            .unwrap()
            .remove(0);
        let second = user(&db, "second").await;
        let next = deal(&store, &campaign, second, 1, &[], now)
            .await
            .unwrap()
            .remove(0);
        assert_ne!(next.response_id, card.response_id);
        // A first-time visitor sees (without leasing) one of the unclaimed ones.
        let peeked = peek(&db, &campaign, None).await.unwrap().unwrap();
        assert!(![card.response_id, next.response_id].contains(&peeked.response_id));
    }

    #[tokio::test]
    async fn settings_change_and_a_closed_campaign_takes_no_ratings() {
        use crate::testing::{fresh_store, small_campaign};
        let store = fresh_store().await;
        let db = store.db().clone();
        let campaign = small_campaign(&db, 2, 2).await;
        let user = crate::accounts::guests::browser_annotator(&db, "x")
            .await
            .unwrap();
        let settings = crate::campaign::NewCampaign {
            title: "  Renamed ".into(),
            overlap: 5,
            open: false,
            system_prompt: Some("Answer in French.".into()),
            ..crate::campaign::NewCampaign::new(campaign.slug.clone(), "unused")
        };
        let changed = crate::campaign::update(&db, &campaign.slug, settings.clone())
            .await
            .unwrap();
        assert_eq!(
            (changed.title.as_str(), changed.overlap, changed.open),
            ("Renamed", 5, false)
        );
        assert!(matches!(
            crate::campaign::update(&db, "nope", settings.clone()).await,
            Err(crate::CoreError::NotFound { .. })
        ));
        let closed =
            crate::rating::deal::deal(&store, &changed, user.id, 1, &[], chrono::Utc::now())
                .await
                .unwrap_err();
        assert!(closed.to_string().contains("closed"), "{closed}");
        let generation = crate::db::entities::generation::Entity::find()
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        let refused = crate::rating::rate::rate(
            &store,
            user.id,
            crate::rating::rate::NewRating::new(generation.id, crate::Label::Up),
        )
        .await
        .unwrap_err();
        assert!(matches!(refused, crate::CoreError::Forbidden(_)));

        let reopened = crate::campaign::update(
            &db,
            &campaign.slug,
            crate::campaign::NewCampaign {
                open: true,
                ..settings
            },
        )
        .await
        .unwrap();
        let cards =
            crate::rating::deal::deal(&store, &reopened, user.id, 1, &[], chrono::Utc::now())
                .await
                .unwrap();
        assert_eq!(
            cards[0].system_prompt.as_deref(),
            Some("Answer in French."),
            "prompts without their own take the campaign's"
        );
    }

    #[tokio::test]
    async fn one_annotator_sees_the_prompts_interleaved() {
        // One person holding the whole demo at once: no hold cap.
        let store = fresh_store().await.with_hold_cap(usize::MAX);
        let db = store.db().clone();
        crate::campaign::demo::load(&db).await.unwrap();
        let campaign = crate::campaign::resolve(&db, None).await.unwrap().unwrap();
        let user = crate::accounts::guests::browser_annotator(&db, "demo")
            .await
            .unwrap();
        let now = chrono::Utc::now();
        let mut holding = Vec::new();
        let mut prompts_seen = Vec::new();
        loop {
            let batch = deal(&store, &campaign, user.id, 5, &holding, now)
                .await
                .unwrap();
            if batch.is_empty() {
                break;
            }
            for card in batch {
                assert!(card.prompt.starts_with("Write a haiku"));
                holding.push(card.response_id);
                prompts_seen.push(card.prompt_id);
            }
        }
        assert_eq!(prompts_seen.len(), 36 * 3);
        let repeats = prompts_seen.windows(2).filter(|w| w[0] == w[1]).count();
        assert_eq!(repeats, 0, "{prompts_seen:?}");
    }
}

#[cfg(test)]
mod dress_tests {
    use super::*;
    use crate::accounts::guests;
    use crate::campaign::NewCampaign;
    use crate::testing::{fresh_store, small_campaign};

    /// Cards carry their markdown as safe HTML, or, where the campaign shows text as
    /// written, none; the raw text always.
    #[tokio::test]
    async fn cards_carry_html_unless_the_campaign_shows_text_as_written() {
        let store = fresh_store().await;
        let db = store.db().clone();
        let campaign = small_campaign(&db, 2, 1).await;
        let user = guests::browser_annotator(&db, "reader").await.unwrap().id;
        let peeked = peek(&db, &campaign, Some(user)).await.unwrap().unwrap();
        assert_eq!(peeked.prompt_html.as_deref(), Some("<p>Prompt 0</p>\n"));
        let dealt = deal(&store, &campaign, user, 1, &[], Utc::now())
            .await
            .unwrap();
        let html = dealt[0].response_html.as_deref().unwrap();
        assert!(html.starts_with("<p>Response to"), "{html}");
        assert!(dealt[0].response.starts_with("Response to"));

        let plain = crate::campaign::update(
            &db,
            &campaign.slug,
            NewCampaign {
                overlap: 2,
                render_markdown: false,
                ..NewCampaign::new(campaign.slug.clone(), "Poetry")
            },
        )
        .await
        .unwrap();
        let dealt = deal(&store, &plain, user, 1, &[], Utc::now())
            .await
            .unwrap();
        assert_eq!(dealt[0].response_html, None);
        assert_eq!(dealt[0].prompt_html, None);
    }

    /// A conversation's card carries its earlier turns, oldest first and without the
    /// system message (which is the card's `system_prompt`), each with its HTML; on the
    /// SQLite writer too, which reads the history as text.
    #[tokio::test]
    async fn a_conversations_card_carries_its_earlier_turns() {
        use crate::campaign::conversation::Turn;
        use crate::campaign::prompts::{self, NewPrompt};
        use crate::campaign::responses::{self, NewResponse};
        let store = fresh_store().await;
        let db = store.db().clone();
        let campaign = crate::campaign::create(&db, NewCampaign::new("chat", "Chat"))
            .await
            .unwrap();
        let turn = |role: &str, content: &str| Turn {
            role: role.into(),
            content: content.into(),
        };
        let history = [
            turn("user", "Hi"),
            turn("assistant", "Hello, **friend**."),
            turn("user", "Name a prime."),
            turn("assistant", "7"),
        ];
        let prompt = prompts::insert(
            &db,
            campaign.id,
            &NewPrompt {
                text: "Another?",
                system: Some("Be brief."),
                history: &history,
                metadata: None,
            },
        )
        .await
        .unwrap();
        let model = crate::campaign::models::ensure(&db, "m", "m")
            .await
            .unwrap();
        responses::add_many(
            &db,
            campaign.id,
            vec![NewResponse::for_prompt(&prompt, model.id, "11")],
        )
        .await
        .unwrap();
        let user = guests::browser_annotator(&db, "reader").await.unwrap().id;
        let dealt = deal(&store, &campaign, user, 1, &[], Utc::now())
            .await
            .unwrap();
        let card = &dealt[0];
        assert_eq!(card.prompt, "Another?");
        assert_eq!(card.system_prompt.as_deref(), Some("Be brief."));
        let turns: Vec<(&str, &str)> = card
            .history
            .iter()
            .map(|t| (t.role.as_str(), t.content.as_str()))
            .collect();
        assert_eq!(
            turns,
            [
                ("user", "Hi"),
                ("assistant", "Hello, **friend**."),
                ("user", "Name a prime."),
                ("assistant", "7"),
            ]
        );
        let html = card.history_html.as_deref().unwrap();
        assert!(
            html.starts_with("<details class=\"card-history\"><summary>4 earlier turns</summary>"),
            "{html}"
        );
        assert!(
            html.contains("<li class=\"card-turn card-turn-assistant\"><div class=\"card-label\">Assistant</div><div class=\"md\"><p>Hello, <strong>friend</strong>.</p>\n</div></li>"),
            "{html}"
        );

        // Shown as written, a turn is escaped text, never markup.
        let plain = crate::campaign::update(
            &db,
            "chat",
            NewCampaign {
                render_markdown: false,
                ..NewCampaign::new("chat", "Chat")
            },
        )
        .await
        .unwrap();
        let peeked = dressed_card(&db, &plain, card.response_id)
            .await
            .unwrap()
            .unwrap();
        let html = peeked.history_html.unwrap();
        assert!(
            html.contains("<div class=\"card-turn-text\">Hello, **friend**.</div>"),
            "{html}"
        );
        assert_eq!(peeked.prompt_html, None);
    }
}
