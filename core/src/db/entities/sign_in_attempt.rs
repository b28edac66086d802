//! Sign-in attempts counted per key (`pair:account|address`, `ip:address`,
//! `user:account`) within a window, kept in the database so every replica throttles the
//! same guesser. See `crate::accounts::throttle` for the rules.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sign_in_attempt")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// Attempts in the window that were not given back by a right password.
    pub attempts: i32,
    pub window_start: DateTimeUtc,
    /// Before this, the key's next attempt waits (the account-wide delay).
    pub next_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
