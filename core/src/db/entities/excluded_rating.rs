//! A rating of an excluded rater, kept as it was (its id too) while it does not count.
//! Including the rater again moves it back to `rating`.

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
