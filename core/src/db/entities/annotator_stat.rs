//! Per campaign and annotator: ratings, and of those compared with at least one other
//! rating on the same response without a tie among the others, how many agree with the
//! others' majority (leave-one-out). Kept with every rating and undo.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "annotator_stat")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub campaign_id: i32,
    pub user_id: i32,
    pub ratings: i32,
    pub compared: i32,
    pub agreed: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
