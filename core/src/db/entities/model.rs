//! A model that writes responses. `name` is what people see on the leaderboard;
//! `served_model` is what the inference endpoint calls it (column `model_id`, its older name).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "model")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    #[sea_orm(unique, column_name = "model_id")]
    pub served_model: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::generation::Entity")]
    Generation,
}

impl Related<super::generation::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Generation.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
