//! A rater's report that a card should not be judged as it is (broken, harmful, revealing
//! the model). One per rater and response; an admin's decision on the response resolves
//! it. See `crate::moderation::flags`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "card_flag")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub campaign_id: i32,
    pub generation_id: i32,
    pub user_id: i32,
    /// `crate::moderation::flags::FlagKind`, as its wire name.
    pub kind: String,
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
    /// When an admin hid the response or dismissed its flags; open while `None`.
    pub resolved_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
