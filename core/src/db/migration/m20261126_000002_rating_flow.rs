//! The rating flow: leases (a card handed out holds its slot for a few minutes), skips,
//! undo tombstones, client ids for idempotent retries, decision times, and the
//! `claimed_count`/`order_key` pair the next-card index walks.

// The identifier enums spell the column names, which may repeat the table's name.
#![allow(clippy::enum_variant_names)]

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Generation {
    Table,
    Id,
    CampaignId,
    RatingCount,
    ClaimedCount,
    OrderKey,
}

#[derive(DeriveIden)]
enum Rating {
    Table,
    UserId,
    ClientId,
    DecisionMs,
}

#[derive(DeriveIden)]
enum User {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Lease {
    Table,
    Id,
    GenerationId,
    UserId,
    ExpiresAt,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Skip {
    Table,
    Id,
    GenerationId,
    UserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum UndoneRating {
    Table,
    Id,
    UserId,
    ClientId,
    CreatedAt,
}

fn created_at<T: IntoIden>(col: T) -> ColumnDef {
    timestamp_with_time_zone(col)
        .default(Expr::current_timestamp())
        .take()
}

/// A unique index on two columns: one row per (a, b).
fn unique_pair(
    name: &str,
    table: impl IntoIden + 'static,
    a: impl IntoIden + 'static,
    b: impl IntoIden + 'static,
) -> IndexCreateStatement {
    Index::create()
        .name(name)
        .table(table)
        .col(a)
        .col(b)
        .unique()
        .to_owned()
}

/// A table keyed to a user and a generation, removed with either.
fn per_user_and_generation(
    table: impl IntoIden + Copy + 'static,
    user: impl IntoIden + Copy + 'static,
    generation: impl IntoIden + Copy + 'static,
) -> TableCreateStatement {
    Table::create()
        .table(table)
        .col(integer(user))
        .col(integer(generation))
        .foreign_key(
            ForeignKey::create()
                .from(table, user)
                .to(User::Table, User::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(
            ForeignKey::create()
                .from(table, generation)
                .to(Generation::Table, Generation::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

async fn drop_index(manager: &SchemaManager<'_>, name: &str) -> Result<(), DbErr> {
    manager
        .get_connection()
        .execute_unprepared(&format!("DROP INDEX IF EXISTS \"{name}\""))
        .await
        .map(|_| ())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for column in [
            integer(Generation::ClaimedCount).default(0).take(),
            integer(Generation::OrderKey).default(0).take(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Generation::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        // Existing ratings hold their slots.
        manager
            .exec_stmt(
                Query::update()
                    .table(Generation::Table)
                    .value(Generation::ClaimedCount, Expr::col(Generation::RatingCount))
                    .to_owned(),
            )
            .await?;
        // sea-query writes no SQL for a SQLite index drop that names a table; this plain
        // statement means the same on SQLite and PostgreSQL.
        drop_index(manager, "generation_next_card").await?;
        manager
            .create_index(
                Index::create()
                    .name("generation_next_card")
                    .table(Generation::Table)
                    .col(Generation::CampaignId)
                    .col(Generation::ClaimedCount)
                    .col(Generation::OrderKey)
                    .col(Generation::Id)
                    .to_owned(),
            )
            .await?;

        for column in [
            string_null(Rating::ClientId).take(),
            integer_null(Rating::DecisionMs).take(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Rating::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(unique_pair(
                "rating_user_client_uniq",
                Rating::Table,
                Rating::UserId,
                Rating::ClientId,
            ))
            .await?;

        manager
            .create_table(
                per_user_and_generation(Lease::Table, Lease::UserId, Lease::GenerationId)
                    .col(pk_auto(Lease::Id))
                    .col(timestamp_with_time_zone(Lease::ExpiresAt))
                    .col(created_at(Lease::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_pair(
                "lease_user_generation_uniq",
                Lease::Table,
                Lease::UserId,
                Lease::GenerationId,
            ))
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("lease_expires")
                    .table(Lease::Table)
                    .col(Lease::ExpiresAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                per_user_and_generation(Skip::Table, Skip::UserId, Skip::GenerationId)
                    .col(pk_auto(Skip::Id))
                    .col(created_at(Skip::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_pair(
                "skip_user_generation_uniq",
                Skip::Table,
                Skip::UserId,
                Skip::GenerationId,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(UndoneRating::Table)
                    .col(pk_auto(UndoneRating::Id))
                    .col(integer(UndoneRating::UserId))
                    .col(string(UndoneRating::ClientId))
                    .col(created_at(UndoneRating::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(UndoneRating::Table, UndoneRating::UserId)
                            .to(User::Table, User::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_pair(
                "undone_rating_user_client_uniq",
                UndoneRating::Table,
                UndoneRating::UserId,
                UndoneRating::ClientId,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            UndoneRating::Table.into_iden(),
            Skip::Table.into_iden(),
            Lease::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        drop_index(manager, "rating_user_client_uniq").await?;
        for column in [Rating::ClientId.into_iden(), Rating::DecisionMs.into_iden()] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Rating::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        drop_index(manager, "generation_next_card").await?;
        for column in [
            Generation::ClaimedCount.into_iden(),
            Generation::OrderKey.into_iden(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Generation::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("generation_next_card")
                    .table(Generation::Table)
                    .col(Generation::CampaignId)
                    .col(Generation::RatingCount)
                    .col(Generation::Id)
                    .to_owned(),
            )
            .await
    }
}
