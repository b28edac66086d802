//! One admin action, recorded for good: who, when, what, on whom, why. Names are copied in
//! (`actor`, `target`), so the log still reads after an account or campaign is deleted.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub created_at: DateTimeUtc,
    /// The admin's account; `None` from the command line.
    pub actor_id: Option<i32>,
    /// The admin's name then, or `command line`.
    pub actor: String,
    /// What was done (`exclude_rater`, `include_rater`).
    pub action: String,
    pub campaign_id: Option<i32>,
    /// What it was done to, in words (`rater ada (user 7) in haiku-demo`).
    pub target: String,
    pub reason: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
