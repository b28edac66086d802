//! Per campaign, rater and decision-time bucket (`crate::board::triggers::decision_bucket`):
//! how many of their timed votes took that long. The median and the share under the
//! campaign's fast time come from these, kept by the same triggers as `rater_stat`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rater_decision")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub campaign_id: i32,
    pub user_id: i32,
    pub bucket: i32,
    pub decisions: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
