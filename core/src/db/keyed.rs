//! Rows keyed by a text key that write jobs count in (sign-in attempts per account and
//! address, new guests per address): found and locked, or made first.

use sea_orm::sea_query::{LockType, OnConflict};
use sea_orm::{
    ActiveModelTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, PrimaryKeyTrait,
    QuerySelect,
};

use crate::{CoreError, CoreResult};

/// The row of `key`, locked until the job ends (PostgreSQL; SQLite's writer runs one job at
/// a time), inserted as `fresh` first if it is not there.
pub(crate) async fn locked_or_inserted<E, A>(
    txn: &DatabaseTransaction,
    fresh: A,
    key_column: E::Column,
    key: &str,
) -> CoreResult<E::Model>
where
    E: EntityTrait,
    E::PrimaryKey: PrimaryKeyTrait<ValueType = String>,
    E::Model: IntoActiveModel<A>,
    A: ActiveModelTrait<Entity = E> + Send,
{
    E::insert(fresh)
        .on_conflict(OnConflict::column(key_column).do_nothing().to_owned())
        .exec_without_returning(txn)
        .await?;
    E::find_by_id(key.to_owned())
        .lock(LockType::Update)
        .one(txn)
        .await?
        .ok_or_else(|| CoreError::Db(sea_orm::DbErr::RecordNotFound(key.to_owned())))
}
