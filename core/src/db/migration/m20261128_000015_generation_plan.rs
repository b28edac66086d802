//! The campaign page's Generate section: a campaign's models and its run's state
//! (`crate::generate::runs`). Frozen as it shipped, like every migration.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum GenerationPlan {
    Table,
    Id,
    CampaignId,
    ModelsToml,
    State,
    RetryFailed,
    Runner,
    HeartbeatAt,
    Message,
    StartedAt,
    UpdatedAt,
    UpdatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(GenerationPlan::Table)
                    .col(pk_auto(GenerationPlan::Id))
                    .col(integer_uniq(GenerationPlan::CampaignId))
                    .col(text(GenerationPlan::ModelsToml))
                    .col(string(GenerationPlan::State))
                    .col(boolean(GenerationPlan::RetryFailed).default(false))
                    .col(string_null(GenerationPlan::Runner))
                    .col(timestamp_with_time_zone_null(GenerationPlan::HeartbeatAt))
                    .col(text_null(GenerationPlan::Message))
                    .col(timestamp_with_time_zone_null(GenerationPlan::StartedAt))
                    .col(timestamp_with_time_zone(GenerationPlan::UpdatedAt))
                    .col(integer_null(GenerationPlan::UpdatedBy))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(GenerationPlan::Table).to_owned())
            .await
    }
}
