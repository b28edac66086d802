//! Skipping a card: not a rating, only a promise that the card will not come back to that
//! person. A skipped card's lease is released, so its slot goes to someone else.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, DatabaseTransaction, EntityTrait};

use swipeset_wire::SkipReply;

use crate::CoreResult;
use crate::db::entities::skip;
use crate::db::store::{Store, Write, WriteJob};
use crate::rating::leases;
use crate::rating::rate::response_with_campaign;

/// `user_id` passes on `response_id`: it will not be dealt to them again.
pub async fn skip(store: &Store, user_id: i32, response_id: i32) -> CoreResult<SkipReply> {
    store
        .run(Skip {
            user_id,
            response_id,
        })
        .await
}

#[derive(Debug, Clone)]
struct Skip {
    user_id: i32,
    response_id: i32,
}

impl WriteJob for Skip {
    type Output = SkipReply;

    async fn write(self, txn: &DatabaseTransaction) -> CoreResult<Write<SkipReply>> {
        let Self {
            user_id,
            response_id,
        } = self;
        let (_, campaign) = response_with_campaign(txn, response_id).await?;
        // A skip frees a slot for someone else to fill: only while the campaign takes
        // ratings.
        crate::campaign::require_open(&campaign)?;
        let skipped = record(txn, user_id, response_id).await?;
        Ok(Write::Commit(SkipReply {
            response_id,
            skipped,
        }))
    }
}

/// Records that `user_id` passed on `response_id` and releases their lease on it; `false`
/// when they had passed on it before.
pub(crate) async fn record(
    txn: &DatabaseTransaction,
    user_id: i32,
    response_id: i32,
) -> CoreResult<bool> {
    let inserted = skip::Entity::insert(skip::ActiveModel {
        user_id: Set(user_id),
        generation_id: Set(response_id),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([skip::Column::UserId, skip::Column::GenerationId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    if inserted == 1 {
        leases::release(txn, user_id, response_id).await?;
    }
    Ok(inserted == 1)
}
