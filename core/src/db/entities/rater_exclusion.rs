//! A rater excluded from a campaign: their ratings sit in `excluded_rating` meanwhile, and
//! they may not rate there until an admin includes them again. See
//! `crate::moderation::exclusion`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rater_exclusion")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub campaign_id: i32,
    pub user_id: i32,
    /// The admin who excluded them; `None` from the command line.
    pub excluded_by: Option<i32>,
    pub reason: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
