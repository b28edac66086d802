//! When an OpenID account last proved, by signing in through the provider, that it belongs
//! to an organisation the instance admits (`crate::accounts::membership`). Existing
//! accounts start with none, so on an organisation-limited instance each signs in through
//! the provider once more. Frozen as it shipped, like every migration.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum User {
    Table,
    OidcCheckedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(User::Table)
                    .add_column(timestamp_with_time_zone_null(User::OidcCheckedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(User::Table)
                    .drop_column(User::OidcCheckedAt)
                    .to_owned(),
            )
            .await
    }
}
