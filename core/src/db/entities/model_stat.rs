//! 👍 and 👎 per campaign and model, moved in the same transaction as each rating and undo:
//! what the leaderboard reads instead of counting ratings.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "model_stat")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub campaign_id: i32,
    pub model_id: i32,
    /// Which of the row's shards (`crate::board::triggers::SHARDS`): the count is the sum
    /// over them.
    pub shard: i32,
    pub up_count: i32,
    pub down_count: i32,
    /// Responses (generations) of this model in the campaign.
    pub responses: i32,
    /// Responses of this model with at least one rating.
    pub rated_responses: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::model::Entity",
        from = "Column::ModelId",
        to = "super::model::Column::Id",
        on_delete = "Cascade"
    )]
    Model,
}

impl Related<super::model::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Model.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
