//! Where the export page keeps the Hugging Face token it publishes with, sealed
//! (`crate::hub::token`). Frozen as it shipped, like every migration.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum HubSetting {
    Table,
    Id,
    TokenSealed,
    TokenOwner,
    SavedBy,
    SavedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(HubSetting::Table)
                    .col(pk_auto(HubSetting::Id))
                    .col(text(HubSetting::TokenSealed))
                    .col(string(HubSetting::TokenOwner))
                    .col(integer_null(HubSetting::SavedBy))
                    .col(timestamp_with_time_zone(HubSetting::SavedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(HubSetting::Table).to_owned())
            .await
    }
}
