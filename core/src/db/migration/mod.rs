//! Schema migrations, one file per change, named by date. They run at every start
//! (`crate::db::connect`) and are written with sea-query's builder only, so the same
//! migration runs on SQLite and PostgreSQL.

use sea_orm_migration::prelude::*;

mod m20261126_000001_initial;
mod m20261126_000002_rating_flow;
mod m20261126_000003_leaderboard;
mod m20261126_000004_annotator_stat;
mod m20261127_000005_campaign_license;
mod m20261127_000006_generation_job;
mod m20261127_000007_instance_secret;
mod m20261127_000008_accounts;
mod m20261127_000009_campaign_settings;
mod m20261127_000010_counter_triggers;
mod m20261127_000011_standing_by_response;
mod m20261128_000012_sign_in_attempts;
mod m20261128_000013_oidc_membership;
mod m20261128_000014_hub_setting;
mod m20261128_000015_generation_plan;
mod m20261128_000016_counter_shards;
mod m20261128_000017_guest_origin;
mod m20261128_000018_moderation;
mod m20261128_000019_rater_flags;
mod m20261129_000020_card_flags;
mod m20261129_000021_gold;
mod m20261129_000022_adaptive_overlap;
mod m20261129_000023_rater_counters;
mod m20261129_000024_render_markdown;
mod m20261129_000025_conversations_metadata;
mod m20261129_000026_model_pages;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_initial::Migration),
            Box::new(m20261126_000002_rating_flow::Migration),
            Box::new(m20261126_000003_leaderboard::Migration),
            Box::new(m20261126_000004_annotator_stat::Migration),
            Box::new(m20261127_000005_campaign_license::Migration),
            Box::new(m20261127_000006_generation_job::Migration),
            Box::new(m20261127_000007_instance_secret::Migration),
            Box::new(m20261127_000008_accounts::Migration),
            Box::new(m20261127_000009_campaign_settings::Migration),
            Box::new(m20261127_000010_counter_triggers::Migration),
            Box::new(m20261127_000011_standing_by_response::Migration),
            Box::new(m20261128_000012_sign_in_attempts::Migration),
            Box::new(m20261128_000013_oidc_membership::Migration),
            Box::new(m20261128_000014_hub_setting::Migration),
            Box::new(m20261128_000015_generation_plan::Migration),
            Box::new(m20261128_000016_counter_shards::Migration),
            Box::new(m20261128_000017_guest_origin::Migration),
            Box::new(m20261128_000018_moderation::Migration),
            Box::new(m20261128_000019_rater_flags::Migration),
            Box::new(m20261129_000020_card_flags::Migration),
            Box::new(m20261129_000021_gold::Migration),
            Box::new(m20261129_000022_adaptive_overlap::Migration),
            Box::new(m20261129_000023_rater_counters::Migration),
            Box::new(m20261129_000024_render_markdown::Migration),
            Box::new(m20261129_000025_conversations_metadata::Migration),
            Box::new(m20261129_000026_model_pages::Migration),
        ]
    }
}
