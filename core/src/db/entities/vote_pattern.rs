//! How many responses of a campaign have exactly `up_count` 👍 and `down_count` 👎. Agreement
//! (Krippendorff's α and its bootstrap) needs only these patterns, a handful of rows however
//! large the campaign.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "vote_pattern")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub campaign_id: i32,
    /// Which of the row's shards (`crate::board::triggers::SHARDS`): the count is the sum
    /// over them.
    pub shard: i32,
    pub up_count: i32,
    pub down_count: i32,
    pub responses: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
