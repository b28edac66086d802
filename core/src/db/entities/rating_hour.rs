//! Ratings that stand, per campaign and hour (UTC, truncated), for the ratings-per-hour
//! sparkline. An undo takes its rating out of the hour it was made in.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rating_hour")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub campaign_id: i32,
    /// Which of the row's shards (`crate::board::triggers::SHARDS`): the count is the sum
    /// over them.
    pub shard: i32,
    pub hour: DateTimeUtc,
    pub ratings: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
