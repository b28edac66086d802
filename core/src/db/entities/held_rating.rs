//! A new guest's vote, held back from every count until they have shown they read the cards
//! (`crate::rating::hold_back`). It keeps its slot through its rater's lease, and moves to
//! `rating` (or, on a response hidden since, `excluded_rating`) when they are released.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "held_rating")]
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
