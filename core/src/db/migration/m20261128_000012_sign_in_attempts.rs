//! Sign-in throttling counts attempts before the password is checked, per account and
//! address as well as per account and per address, and remembers the addresses an account
//! signed in from (see `crate::accounts::throttle`).
//!
//! `sign_in_failure` held counts after the fact; its rows are only minutes of throttling
//! state, so it is dropped rather than converted (an upgrade forgets the current
//! windows, nothing else). Frozen as it shipped, like every migration.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SignInFailure {
    Table,
    Key,
    Failures,
    WindowStart,
}

#[derive(DeriveIden)]
enum SignInAttempt {
    Table,
    Key,
    Attempts,
    WindowStart,
    NextAt,
}

#[derive(DeriveIden)]
enum SignInKnown {
    Table,
    Key,
    LastSeen,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SignInFailure::Table).to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SignInAttempt::Table)
                    .col(string(SignInAttempt::Key).primary_key())
                    .col(integer(SignInAttempt::Attempts))
                    .col(timestamp_with_time_zone(SignInAttempt::WindowStart))
                    .col(timestamp_with_time_zone_null(SignInAttempt::NextAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SignInKnown::Table)
                    .col(string(SignInKnown::Key).primary_key())
                    .col(timestamp_with_time_zone(SignInKnown::LastSeen))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SignInKnown::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(SignInAttempt::Table).to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SignInFailure::Table)
                    .col(string(SignInFailure::Key).primary_key())
                    .col(integer(SignInFailure::Failures))
                    .col(timestamp_with_time_zone(SignInFailure::WindowStart))
                    .to_owned(),
            )
            .await
    }
}
