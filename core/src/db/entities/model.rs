//! A model that writes responses. `name` is what people see on the leaderboard;
//! `requested_model` is the name requests to its inference
//! endpoint use (as `generation_job.requested_model`; the endpoint may answer that it served
//! another, `generation_job.served_model`). Its column keeps the older name `model_id`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "model")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    #[sea_orm(unique, column_name = "model_id")]
    pub requested_model: String,
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
