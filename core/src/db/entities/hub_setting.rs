//! The Hugging Face token the export page publishes with, sealed with a key derived from
//! the instance secret (`crate::hub::token`). One row at most.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "hub_setting")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Base64 of the nonce and the ciphertext.
    pub token_sealed: String,
    /// The Hub account the token belongs to, as `whoami` said when it was saved.
    pub token_owner: String,
    pub saved_by: Option<i32>,
    pub saved_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
