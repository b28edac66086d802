//! Leases: a card handed to an annotator holds one of its generation's slots for
//! `LEASE_DURATION`. `generation.claimed_count` counts ratings plus leases, and every
//! function here changes a lease and that counter in one transaction, so the two never
//! disagree.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};

use crate::CoreResult;
use crate::entities::{generation, lease};

/// How long a handed-out card keeps its slot: long enough to read a long response, short
/// enough that an abandoned phone does not starve a campaign.
pub const LEASE_DURATION: chrono::Duration = chrono::Duration::minutes(5);

/// How many expired leases one call frees at most, so no request pays for a backlog.
const EXPIRE_BATCH: u64 = 256;

/// Takes a slot of `generation_id` for `user_id` until `now + LEASE_DURATION`, if the
/// generation has one free. Must run inside a transaction; returns whether it took one.
pub async fn take(
    txn: &impl ConnectionTrait,
    user_id: i32,
    generation_id: i32,
    overlap: i32,
    now: DateTime<Utc>,
) -> CoreResult<bool> {
    if !claim_slot(txn, generation_id, overlap).await? {
        return Ok(false);
    }
    let granted = grant(txn, user_id, generation_id, now).await?;
    if !granted {
        // Already leased to this user: give the slot back.
        adjust_claimed(txn, generation_id, -1).await?;
    }
    Ok(granted)
}

/// Records `user_id`'s lease on `generation_id` until `now + LEASE_DURATION`, for a slot the
/// caller has already counted. `false` if the user already holds one (nothing written).
pub async fn grant(
    txn: &impl ConnectionTrait,
    user_id: i32,
    generation_id: i32,
    now: DateTime<Utc>,
) -> CoreResult<bool> {
    let inserted = lease::Entity::insert(lease::ActiveModel {
        user_id: Set(user_id),
        generation_id: Set(generation_id),
        expires_at: Set(now + LEASE_DURATION),
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

/// Deletes `user_id`'s lease on `generation_id`, if any, and frees its slot.
pub async fn release(
    txn: &impl ConnectionTrait,
    user_id: i32,
    generation_id: i32,
) -> CoreResult<bool> {
    let released = remove(txn, user_id, generation_id).await?;
    if released {
        adjust_claimed(txn, generation_id, -1).await?;
    }
    Ok(released)
}

/// Increments `claimed_count` if it is below `overlap`; whether it did.
pub async fn claim_slot(
    txn: &impl ConnectionTrait,
    generation_id: i32,
    overlap: i32,
) -> CoreResult<bool> {
    let claimed = generation::Entity::update_many()
        .col_expr(
            generation::Column::ClaimedCount,
            Expr::col(generation::Column::ClaimedCount).add(1),
        )
        .filter(generation::Column::Id.eq(generation_id))
        .filter(generation::Column::ClaimedCount.lt(overlap))
        .exec(txn)
        .await?;
    Ok(claimed.rows_affected == 1)
}

/// Adds `delta` to a generation's `claimed_count`.
pub async fn adjust_claimed(
    txn: &impl ConnectionTrait,
    generation_id: i32,
    delta: i32,
) -> CoreResult<()> {
    generation::Entity::update_many()
        .col_expr(
            generation::Column::ClaimedCount,
            Expr::col(generation::Column::ClaimedCount).add(delta),
        )
        .filter(generation::Column::Id.eq(generation_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Deletes `user_id`'s lease on `generation_id`, if any, without touching the counter: the
/// caller decides whether the slot is freed or turned into a rating. Whether one existed.
pub async fn remove(
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

/// Whether any lease expired before `now`: a cheap indexed look, so that freeing them (a
/// write) happens only when there is something to free.
pub async fn any_expired(db: &impl ConnectionTrait, now: DateTime<Utc>) -> CoreResult<bool> {
    Ok(lease::Entity::find()
        .filter(lease::Column::ExpiresAt.lt(now))
        .one(db)
        .await?
        .is_some())
}

/// Frees the slots of leases that expired before `now` (a bounded batch). Returns how many.
/// Must run inside a transaction.
pub async fn expire(txn: &impl ConnectionTrait, now: DateTime<Utc>) -> CoreResult<usize> {
    let expired = lease::Entity::find()
        .filter(lease::Column::ExpiresAt.lt(now))
        .limit(EXPIRE_BATCH)
        .all(txn)
        .await?;
    let mut freed = 0;
    for lease in expired {
        // Another request may have freed or converted it meanwhile: only the one that
        // deletes the row gives the slot back.
        let deleted = lease::Entity::delete_by_id(lease.id).exec(txn).await?;
        if deleted.rows_affected == 1 {
            adjust_claimed(txn, lease.generation_id, -1).await?;
            freed += 1;
        }
    }
    Ok(freed)
}

/// The live leases of `user_id` in `campaign_id`, oldest first, renewed until
/// `now + LEASE_DURATION` (they are being shown again).
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
