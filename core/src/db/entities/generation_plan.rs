//! A campaign's generation from the web: the models to ask (a `models.toml`, API keys only
//! by their variables' names) and the run's state. One row per campaign, which is what
//! keeps two runs of one campaign from overlapping: a run is claimed by setting `state` to
//! `running` with this process's `runner` id, and it stays claimed while `heartbeat_at` is
//! fresh (`crate::generate::runs`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "generation_plan")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub campaign_id: i32,
    pub models_toml: String,
    /// `idle`, `running`, `paused`, `finished` or `failed`.
    pub state: String,
    /// The run asks the failures of earlier runs again.
    pub retry_failed: bool,
    /// The process running it (a random id per process).
    pub runner: Option<String>,
    pub heartbeat_at: Option<DateTimeUtc>,
    /// What the last run ended with: its summary, or why it failed.
    pub message: Option<String>,
    pub started_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
    pub updated_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
