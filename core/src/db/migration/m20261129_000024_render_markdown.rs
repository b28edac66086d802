//! Cards show prompts and responses as markdown made safe on the server (issue 19), unless a
//! campaign asks for text as written (`campaign.render_markdown`, on for existing campaigns
//! too: their raters were reading raw `**asterisks**` and code fences). Frozen as it
//! shipped, like every migration.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Campaign {
    Table,
    RenderMarkdown,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Campaign::Table)
                    .add_column(boolean(Campaign::RenderMarkdown).default(true))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Campaign::Table)
                    .drop_column(Campaign::RenderMarkdown)
                    .to_owned(),
            )
            .await
    }
}
