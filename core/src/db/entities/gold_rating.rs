//! A vote on a gold card (`crate::rating::gold`): kept apart from `rating` so that no
//! counter, leaderboard, label or export counts it; it measures its rater.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "gold_rating")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub campaign_id: i32,
    pub user_id: i32,
    pub generation_id: i32,
    pub label: bool,
    pub created_at: DateTimeUtc,
    pub client_id: Option<String>,
    pub decision_ms: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::generation::Entity",
        from = "Column::GenerationId",
        to = "super::generation::Column::Id",
        on_delete = "Cascade"
    )]
    Generation,
}

impl Related<super::generation::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Generation.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
