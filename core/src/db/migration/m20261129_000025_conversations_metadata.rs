//! Conversations and metadata (issue 19). A prompt can be a whole conversation: its last
//! user turn stays in `prompt.text` and its system message in `system_prompt`, so every
//! reader of a single-turn prompt goes on working, and the turns between them go to
//! `prompt.history` (JSON text, `[{role, content}]`). A response keeps the other fields of its
//! import row in `generation.metadata`, as a prompt already did in `prompt.metadata`. A
//! campaign names one metadata field as its category. Frozen as it shipped, like every
//! migration.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Prompt {
    Table,
    History,
}

#[derive(DeriveIden)]
enum Generation {
    Table,
    Metadata,
}

#[derive(DeriveIden)]
enum Campaign {
    Table,
    CategoryField,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Prompt::Table)
                    .add_column(text_null(Prompt::History))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Generation::Table)
                    .add_column(json_null(Generation::Metadata))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Campaign::Table)
                    .add_column(string_null(Campaign::CategoryField))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Campaign::Table)
                    .drop_column(Campaign::CategoryField)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Generation::Table)
                    .drop_column(Generation::Metadata)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Prompt::Table)
                    .drop_column(Prompt::History)
                    .to_owned(),
            )
            .await
    }
}
