//! Two campaign settings an organiser edits on the campaigns page: whether rating is open
//! (a closed campaign deals no cards and takes no ratings, its data stays), and a system
//! prompt for the prompts that have none of their own.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Campaign {
    Table,
    Open,
    SystemPrompt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one column per ALTER TABLE.
        for column in [
            boolean(Campaign::Open).default(true).to_owned(),
            text_null(Campaign::SystemPrompt),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(Campaign::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Campaign::Open, Campaign::SystemPrompt] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Campaign::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
