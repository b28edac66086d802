//! Gold cards (issue 17): responses whose expected label an admin knows
//! (`generation.gold_label`), dealt to each rater about once in `campaign.gold_every` cards
//! to measure them. Their votes go to `gold_rating`, never to `rating`, so no counter
//! trigger, leaderboard or export ever sees them. `campaign.gold_cards` counts a campaign's
//! gold responses, so the rating path knows without a query whether to look for one, and
//! `campaign.flag_gold_pct` is the raters page's threshold on gold accuracy. Frozen as it
//! shipped, like every migration.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum GoldRating {
    Table,
    Id,
    CampaignId,
    UserId,
    GenerationId,
    Label,
    CreatedAt,
    ClientId,
    DecisionMs,
}

#[derive(DeriveIden)]
enum Generation {
    Table,
    Id,
    CampaignId,
    GoldLabel,
}

#[derive(DeriveIden)]
enum Campaign {
    Table,
    Id,
    GoldEvery,
    GoldCards,
    FlagGoldPct,
}

#[derive(DeriveIden)]
enum User {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(GoldRating::Table)
                    .col(pk_auto(GoldRating::Id))
                    .col(integer(GoldRating::CampaignId))
                    .col(integer(GoldRating::UserId))
                    .col(integer(GoldRating::GenerationId))
                    .col(boolean(GoldRating::Label))
                    .col(timestamp_with_time_zone(GoldRating::CreatedAt))
                    .col(string_null(GoldRating::ClientId))
                    .col(integer_null(GoldRating::DecisionMs))
                    .foreign_key(
                        ForeignKey::create()
                            .from(GoldRating::Table, GoldRating::CampaignId)
                            .to(Campaign::Table, Campaign::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(GoldRating::Table, GoldRating::UserId)
                            .to(User::Table, User::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(GoldRating::Table, GoldRating::GenerationId)
                            .to(Generation::Table, Generation::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("gold_rating_uniq")
                    .table(GoldRating::Table)
                    .col(GoldRating::UserId)
                    .col(GoldRating::GenerationId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("gold_rating_rater")
                    .table(GoldRating::Table)
                    .col(GoldRating::CampaignId)
                    .col(GoldRating::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Generation::Table)
                    .add_column(boolean_null(Generation::GoldLabel))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("generation_gold")
                    .table(Generation::Table)
                    .col(Generation::CampaignId)
                    .col(Generation::GoldLabel)
                    .to_owned(),
            )
            .await?;
        // SQLite takes one column per ALTER TABLE.
        for column in [
            integer(Campaign::GoldEvery).default(10).to_owned(),
            integer(Campaign::GoldCards).default(0).to_owned(),
            integer(Campaign::FlagGoldPct).default(60).to_owned(),
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
        for column in [
            Campaign::GoldEvery,
            Campaign::GoldCards,
            Campaign::FlagGoldPct,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Campaign::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("generation_gold")
                    .table(Generation::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Generation::Table)
                    .drop_column(Generation::GoldLabel)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(GoldRating::Table).to_owned())
            .await
    }
}
