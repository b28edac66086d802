//! A rating that does not count for now, kept as it was (its id too): its rater is
//! excluded from the campaign, or its response is hidden. It moves back to `rating` once
//! neither holds.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "excluded_rating")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
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
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
