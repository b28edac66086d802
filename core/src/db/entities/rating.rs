//! One person's 👍 or 👎 on one generation. The unique index on (user_id, generation_id)
//! is what makes a retried submission count once.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rating")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub user_id: i32,
    pub generation_id: i32,
    /// `true` = 👍, exactly as the KTO `label` column.
    pub label: bool,
    pub created_at: DateTimeUtc,
    /// The id the client gave this rating, so a retry is recognised (unique per user).
    pub client_id: Option<String>,
    /// How long the annotator looked at the card before deciding, as the client measured.
    pub decision_ms: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id",
        on_delete = "Cascade"
    )]
    User,
    #[sea_orm(
        belongs_to = "super::generation::Entity",
        from = "Column::GenerationId",
        to = "super::generation::Column::Id",
        on_delete = "Cascade"
    )]
    Generation,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::generation::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Generation.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
