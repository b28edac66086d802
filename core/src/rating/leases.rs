//! Leases: a card handed to an annotator holds one of its generation's slots for
//! `LEASE_DURATION`. `generation.claimed_count` counts ratings plus leases; database
//! triggers move it with every lease and rating row (migration 10), so the two never
//! disagree and nothing here adjusts it by hand.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, LockBehavior, LockType, OnConflict, Query, SelectStatement};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    QueryTrait,
};

use crate::CoreResult;
use crate::db::entities::{generation, held_rating, lease};

/// How long a handed-out card keeps its slot: long enough to read a long response, short
/// enough that an abandoned phone does not starve a campaign.
pub const LEASE_DURATION: chrono::Duration = chrono::Duration::minutes(5);

/// How many expired leases one call frees at most, so no request pays for a backlog.
const EXPIRE_BATCH: u64 = 256;

/// Takes a slot of `generation_id` for `user_id` until `now + LEASE_DURATION`, if the
/// generation has one free and the user holds none on it. One statement: the free-slot
/// check is the insert's own condition, and the trigger counts the slot.
///
/// On PostgreSQL the generation's row is locked with `SKIP LOCKED`: when another deal or
/// a rating holds it, nothing is taken and dealing passes it by. Each lease locks its row
/// until the deal commits, and a deal that waited for a row while holding others could
/// deadlock with one holding that row and waiting for one of its own: PostgreSQL finds a
/// deadlock only after `deadlock_timeout` (1 s) and the store runs the loser again. Locking
/// each batch in id order first was not enough (a later round's batch, or the rating
/// before a deal, locked rows after others were held): two replicas dealing from the same
/// front of the queue deadlocked within seconds (`server/tests/replicas.rs`: 7.5 s, then a
/// 503). A deal that never waits for a row can close no cycle, and it saves the separate
/// locking statement.
pub async fn take(
    txn: &impl ConnectionTrait,
    user_id: i32,
    generation_id: i32,
    overlap: i32,
    now: DateTime<Utc>,
) -> CoreResult<bool> {
    let free_slot = Query::select()
        .expr(Expr::val(user_id))
        .expr(Expr::col(generation::Column::Id))
        .expr(Expr::val(now + LEASE_DURATION))
        .expr(Expr::val(now))
        .from(generation::Entity)
        .and_where(generation::Column::Id.eq(generation_id))
        .and_where(generation::Column::ClaimedCount.lt(overlap))
        // PostgreSQL: a row another transaction holds is passed by (see above; SQLite's
        // single writer needs no lock and gets none).
        .lock_with_behavior(LockType::NoKeyUpdate, LockBehavior::SkipLocked)
        .to_owned();
    insert_selected(
        txn,
        lease::Entity,
        [
            lease::Column::UserId,
            lease::Column::GenerationId,
            lease::Column::ExpiresAt,
            lease::Column::CreatedAt,
        ],
        free_slot,
        (lease::Column::UserId, lease::Column::GenerationId),
    )
    .await
}

/// Inserts into `entity`'s `columns` the row `select` yields, if it yields one and the
/// (user, generation) pair `unique` is not taken yet. One statement, whatever the
/// condition; whether a row was inserted.
pub(crate) async fn insert_selected<E: EntityTrait>(
    txn: &impl ConnectionTrait,
    entity: E,
    columns: impl IntoIterator<Item = E::Column>,
    select: SelectStatement,
    unique: (E::Column, E::Column),
) -> CoreResult<bool> {
    let insert = Query::insert()
        .into_table(entity)
        .columns(columns)
        .select_from(select)
        .map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?
        .on_conflict(
            OnConflict::columns([unique.0, unique.1])
                .do_nothing()
                .to_owned(),
        )
        .to_owned();
    let backend = txn.get_database_backend();
    Ok(txn.execute(backend.build(&insert)).await?.rows_affected() == 1)
}

/// Records `user_id`'s lease on `generation_id` until `now + LEASE_DURATION`, whatever the
/// slots (undo turns a rating's slot back into a lease). `false` if the user already holds
/// one (nothing written).
pub async fn grant(
    txn: &impl ConnectionTrait,
    user_id: i32,
    generation_id: i32,
    now: DateTime<Utc>,
) -> CoreResult<bool> {
    grant_until(txn, user_id, generation_id, now, now + LEASE_DURATION).await
}

/// [`grant`], until `until` (a held vote's slot, `crate::rating::hold_back`).
async fn grant_until(
    txn: &impl ConnectionTrait,
    user_id: i32,
    generation_id: i32,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> CoreResult<bool> {
    let inserted = lease::Entity::insert(lease::ActiveModel {
        user_id: Set(user_id),
        generation_id: Set(generation_id),
        expires_at: Set(until),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([lease::Column::UserId, lease::Column::GenerationId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    Ok(inserted == 1)
}

/// Makes `user_id`'s lease on `generation_id` last until `until`, taking one if they hold
/// none: a held vote's slot (`crate::rating::hold_back`), or that slot becoming a card in
/// hand again when the vote is undone.
pub(crate) async fn hold_until(
    txn: &impl ConnectionTrait,
    user_id: i32,
    generation_id: i32,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> CoreResult<()> {
    let renewed = lease::Entity::update_many()
        .col_expr(lease::Column::ExpiresAt, Expr::value(until))
        .filter(lease::Column::UserId.eq(user_id))
        .filter(lease::Column::GenerationId.eq(generation_id))
        .exec(txn)
        .await?
        .rows_affected;
    if renewed == 0 {
        grant_until(txn, user_id, generation_id, now, until).await?;
    }
    Ok(())
}

/// Deletes `user_id`'s lease on `generation_id`, if any, which frees its slot. Whether one
/// existed.
pub async fn release(
    txn: &impl ConnectionTrait,
    user_id: i32,
    generation_id: i32,
) -> CoreResult<bool> {
    let deleted = lease::Entity::delete_many()
        .filter(lease::Column::UserId.eq(user_id))
        .filter(lease::Column::GenerationId.eq(generation_id))
        .exec(txn)
        .await?;
    Ok(deleted.rows_affected == 1)
}

/// Frees the slots of leases that expired before `now` (a bounded batch), in one
/// statement. Returns how many. Must run inside a transaction.
pub async fn expire(txn: &impl ConnectionTrait, now: DateTime<Utc>) -> CoreResult<u64> {
    let expired = lease::Entity::find()
        .select_only()
        .column(lease::Column::Id)
        .filter(lease::Column::ExpiresAt.lt(now))
        .limit(EXPIRE_BATCH)
        .into_query();
    let deleted = lease::Entity::delete_many()
        .filter(lease::Column::Id.in_subquery(expired))
        .exec(txn)
        .await?;
    Ok(deleted.rows_affected)
}

/// The live leases of `user_id` in `campaign_id`, oldest first, renewed until
/// `now + LEASE_DURATION` (they are being shown again): the cards in their hand. The slot of
/// a held vote (`crate::rating::hold_back`) is a lease too, but not a card in hand.
pub async fn renew_held(
    txn: &impl ConnectionTrait,
    user_id: i32,
    campaign_id: i32,
    now: DateTime<Utc>,
) -> CoreResult<Vec<i32>> {
    use sea_orm::{JoinType, QueryOrder, RelationTrait};
    let held: Vec<i32> = lease::Entity::find()
        .join(JoinType::InnerJoin, lease::Relation::Generation.def())
        .filter(lease::Column::UserId.eq(user_id))
        .filter(generation::Column::CampaignId.eq(campaign_id))
        .filter(lease::Column::ExpiresAt.gte(now))
        .filter(
            Expr::exists(
                Query::select()
                    .expr(Expr::val(1))
                    .from(held_rating::Entity)
                    .and_where(
                        Expr::col((held_rating::Entity, held_rating::Column::UserId))
                            .equals((lease::Entity, lease::Column::UserId)),
                    )
                    .and_where(
                        Expr::col((held_rating::Entity, held_rating::Column::GenerationId))
                            .equals((lease::Entity, lease::Column::GenerationId)),
                    )
                    .to_owned(),
            )
            .not(),
        )
        .order_by_asc(lease::Column::Id)
        .all(txn)
        .await?
        .into_iter()
        .map(|l| l.generation_id)
        .collect();
    if !held.is_empty() {
        lease::Entity::update_many()
            .col_expr(lease::Column::ExpiresAt, Expr::value(now + LEASE_DURATION))
            .filter(lease::Column::UserId.eq(user_id))
            .filter(lease::Column::GenerationId.is_in(held.clone()))
            .exec(txn)
            .await?;
    }
    Ok(held)
}
