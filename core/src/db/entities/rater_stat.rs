//! Per campaign and rater: every vote they made (counted, set aside or held back), of those
//! 👍, held back and timed, their gold votes and how many had the expected label, and their
//! skips. Kept by triggers on each table those live in (`crate::board::triggers`), so the
//! raters page reads a row per rater instead of every rating of the campaign.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rater_stat")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub campaign_id: i32,
    pub user_id: i32,
    pub votes: i32,
    pub up: i32,
    pub held: i32,
    pub timed: i32,
    pub gold: i32,
    pub gold_correct: i32,
    pub skips: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
