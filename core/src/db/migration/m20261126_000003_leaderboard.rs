//! The leaderboard's aggregates, kept in the same transaction as every rating and undo so
//! the board never rescans ratings: 👍/👎 per campaign and model, how many responses have
//! each 👍/👎 pattern (what agreement is computed from), and ratings per hour. Existing
//! ratings are counted in; `swipeset stats rebuild` can recount at any time.
//!
//! A migration is history: it calls no domain code, whose rules may change later.

// The identifier enums spell the column names, which may repeat the table's name.
#![allow(clippy::enum_variant_names)]

use std::collections::BTreeMap;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Campaign {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Model {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Generation {
    Table,
    Id,
    CampaignId,
    ModelId,
    RatingCount,
    UpCount,
    DownCount,
}

#[derive(DeriveIden)]
enum Rating {
    Table,
    GenerationId,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ModelStat {
    Table,
    Id,
    CampaignId,
    ModelId,
    UpCount,
    DownCount,
    Responses,
    RatedResponses,
}

#[derive(DeriveIden, Clone, Copy)]
enum VotePattern {
    Table,
    Id,
    CampaignId,
    UpCount,
    DownCount,
    Responses,
}

#[derive(DeriveIden, Clone, Copy)]
enum RatingHour {
    Table,
    Id,
    CampaignId,
    Hour,
    Ratings,
}

/// The hour a moment falls in (UTC): the bucket of `rating_hour`. The migration's own
/// copy, so that what it counted in cannot change with the domain's code.
fn hour_of(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(TimeDelta::hours(1)).unwrap_or(at)
}

/// A table of counters per campaign: an id, and the campaign it belongs to (removed with it).
fn per_campaign(
    table: impl IntoIden + Copy + 'static,
    id: impl IntoIden + Copy + 'static,
    campaign: impl IntoIden + Copy + 'static,
) -> TableCreateStatement {
    Table::create()
        .table(table)
        .col(pk_auto(id))
        .col(integer(campaign))
        .foreign_key(&mut campaign_key(table, campaign))
        .to_owned()
}

/// One row per value of `columns`.
fn unique_on<T: IntoIden + 'static>(
    name: &str,
    table: impl IntoIden + 'static,
    columns: impl IntoIterator<Item = T>,
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table).unique();
    for column in columns {
        index.col(column);
    }
    index.to_owned()
}

fn campaign_key(
    table: impl IntoIden + Copy + 'static,
    column: impl IntoIden + Copy + 'static,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(Campaign::Table, Campaign::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                per_campaign(ModelStat::Table, ModelStat::Id, ModelStat::CampaignId)
                    .col(integer(ModelStat::ModelId))
                    .col(integer(ModelStat::UpCount).default(0))
                    .col(integer(ModelStat::DownCount).default(0))
                    .col(integer(ModelStat::Responses).default(0))
                    .col(integer(ModelStat::RatedResponses).default(0))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ModelStat::Table, ModelStat::ModelId)
                            .to(Model::Table, Model::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_on(
                "model_stat_campaign_model_uniq",
                ModelStat::Table,
                [ModelStat::CampaignId, ModelStat::ModelId],
            ))
            .await?;
        manager
            .create_table(
                per_campaign(VotePattern::Table, VotePattern::Id, VotePattern::CampaignId)
                    .col(integer(VotePattern::UpCount))
                    .col(integer(VotePattern::DownCount))
                    .col(integer(VotePattern::Responses).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_on(
                "vote_pattern_uniq",
                VotePattern::Table,
                [
                    VotePattern::CampaignId,
                    VotePattern::UpCount,
                    VotePattern::DownCount,
                ],
            ))
            .await?;
        manager
            .create_table(
                per_campaign(RatingHour::Table, RatingHour::Id, RatingHour::CampaignId)
                    .col(timestamp_with_time_zone(RatingHour::Hour))
                    .col(integer(RatingHour::Ratings).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_on(
                "rating_hour_uniq",
                RatingHour::Table,
                [RatingHour::CampaignId, RatingHour::Hour],
            ))
            .await?;
        // "Annotators active in the last 10 minutes" reads only recent ratings.
        manager
            .create_index(
                Index::create()
                    .name("rating_created_at")
                    .table(Rating::Table)
                    .col(Rating::CreatedAt)
                    .to_owned(),
            )
            .await?;

        // Count in what is already there.
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(ModelStat::Table)
                    .columns([
                        ModelStat::CampaignId,
                        ModelStat::ModelId,
                        ModelStat::UpCount,
                        ModelStat::DownCount,
                        ModelStat::Responses,
                        ModelStat::RatedResponses,
                    ])
                    .select_from(
                        Query::select()
                            .column(Generation::CampaignId)
                            .column(Generation::ModelId)
                            .expr(Expr::col(Generation::UpCount).sum())
                            .expr(Expr::col(Generation::DownCount).sum())
                            .expr(Expr::col(Generation::Id).count())
                            .expr(Expr::cust(
                                "SUM(CASE WHEN rating_count > 0 THEN 1 ELSE 0 END)",
                            ))
                            .from(Generation::Table)
                            .group_by_col(Generation::CampaignId)
                            .group_by_col(Generation::ModelId)
                            .to_owned(),
                    )
                    .map_err(|e| DbErr::Migration(e.to_string()))?
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(VotePattern::Table)
                    .columns([
                        VotePattern::CampaignId,
                        VotePattern::UpCount,
                        VotePattern::DownCount,
                        VotePattern::Responses,
                    ])
                    .select_from(
                        Query::select()
                            .column(Generation::CampaignId)
                            .column(Generation::UpCount)
                            .column(Generation::DownCount)
                            .expr(Expr::col(Generation::Id).count())
                            .from(Generation::Table)
                            .and_where(Expr::col(Generation::RatingCount).gt(0))
                            .group_by_col(Generation::CampaignId)
                            .group_by_col(Generation::UpCount)
                            .group_by_col(Generation::DownCount)
                            .to_owned(),
                    )
                    .map_err(|e| DbErr::Migration(e.to_string()))?
                    .to_owned(),
            )
            .await?;
        // Hours differ in SQL between SQLite and PostgreSQL: bucket them here instead.
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let rows = db
            .query_all(
                backend.build(
                    Query::select()
                        .column((Generation::Table, Generation::CampaignId))
                        .column((Rating::Table, Rating::CreatedAt))
                        .from(Rating::Table)
                        .inner_join(
                            Generation::Table,
                            Expr::col((Generation::Table, Generation::Id))
                                .equals((Rating::Table, Rating::GenerationId)),
                        ),
                ),
            )
            .await?;
        let mut hours: BTreeMap<(i32, DateTime<Utc>), i32> = BTreeMap::new();
        for row in rows {
            let campaign: i32 = row.try_get("", "campaign_id")?;
            let at: DateTime<Utc> = row.try_get("", "created_at")?;
            *hours.entry((campaign, hour_of(at))).or_default() += 1;
        }
        for ((campaign, hour), ratings) in hours {
            manager
                .exec_stmt(
                    Query::insert()
                        .into_table(RatingHour::Table)
                        .columns([
                            RatingHour::CampaignId,
                            RatingHour::Hour,
                            RatingHour::Ratings,
                        ])
                        .values([campaign.into(), hour.into(), ratings.into()])
                        .map_err(|e| DbErr::Migration(e.to_string()))?
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX IF EXISTS \"rating_created_at\"")
            .await?;
        for table in [
            RatingHour::Table.into_iden(),
            VotePattern::Table.into_iden(),
            ModelStat::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
