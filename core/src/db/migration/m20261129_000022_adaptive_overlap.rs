//! Adaptive overlap (issue 17): a campaign may collect votes on a response until its label
//! is settled instead of always `overlap` (`campaign.adaptive_overlap`, off by default). A
//! settled response (`generation.settled`) stops being dealt; the dealing index leads with
//! it, so the walk for the next card never passes over settled responses however many
//! there are. Frozen as it shipped, like every migration.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Generation {
    Table,
    CampaignId,
    Settled,
    ClaimedCount,
    OrderKey,
    Id,
}

#[derive(DeriveIden)]
enum Campaign {
    Table,
    AdaptiveOverlap,
}

async fn drop_index(manager: &SchemaManager<'_>, name: &str) -> Result<(), DbErr> {
    manager
        .get_connection()
        .execute_unprepared(&format!("DROP INDEX IF EXISTS \"{name}\""))
        .await
        .map(|_| ())
}

/// The dealing index, with or without `settled` after the campaign.
async fn next_card_index(manager: &SchemaManager<'_>, settled: bool) -> Result<(), DbErr> {
    drop_index(manager, "generation_next_card").await?;
    let mut index = Index::create();
    index
        .name("generation_next_card")
        .table(Generation::Table)
        .col(Generation::CampaignId);
    if settled {
        index.col(Generation::Settled);
    }
    manager
        .create_index(
            index
                .col(Generation::ClaimedCount)
                .col(Generation::OrderKey)
                .col(Generation::Id)
                .to_owned(),
        )
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Campaign::Table)
                    .add_column(boolean(Campaign::AdaptiveOverlap).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Generation::Table)
                    .add_column(boolean(Generation::Settled).default(false))
                    .to_owned(),
            )
            .await?;
        next_card_index(manager, true).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        next_card_index(manager, false).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Generation::Table)
                    .drop_column(Generation::Settled)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Campaign::Table)
                    .drop_column(Campaign::AdaptiveOverlap)
                    .to_owned(),
            )
            .await
    }
}
