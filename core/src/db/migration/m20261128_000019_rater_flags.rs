//! Each campaign's thresholds for flagging raters on the raters page (see
//! `crate::moderation::raters`): agreement with the others' majority, in percent, below
//! which even the upper end of a rater's interval gets them flagged, and the decision time,
//! in milliseconds, under which more than half of a rater's decisions get them flagged.
//! Existing campaigns take the defaults the page used before (60%, 1 s). Frozen as it
//! shipped, like every migration.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Campaign {
    Table,
    FlagAgreementPct,
    FlagFastMs,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one column per ALTER TABLE.
        for column in [
            integer(Campaign::FlagAgreementPct).default(60).to_owned(),
            integer(Campaign::FlagFastMs).default(1000).to_owned(),
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
        for column in [Campaign::FlagAgreementPct, Campaign::FlagFastMs] {
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
