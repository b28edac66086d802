//! New guest identities counted per client address, an hour and a day at a time, so one
//! address (a script without cookies) cannot mint guests without end (see
//! `crate::accounts::guests`). Rows are only minutes to hours of limiting state. Frozen as
//! it shipped, like every migration.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum GuestOrigin {
    Table,
    Key,
    Minted,
    WindowStart,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(GuestOrigin::Table)
                    .col(string(GuestOrigin::Key).primary_key())
                    .col(integer(GuestOrigin::Minted))
                    .col(timestamp_with_time_zone(GuestOrigin::WindowStart))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(GuestOrigin::Table).to_owned())
            .await
    }
}
