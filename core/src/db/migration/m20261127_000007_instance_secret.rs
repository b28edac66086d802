//! A random secret of this swipeset instance, made once when the table is created. Exports
//! key their pseudonymous annotator ids with it, so nobody outside the instance can work an
//! id back to a user by hashing user numbers.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum InstanceSecret {
    Table,
    Id,
    Secret,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(InstanceSecret::Table)
                    .col(pk_auto(InstanceSecret::Id))
                    .col(string(InstanceSecret::Secret))
                    .to_owned(),
            )
            .await?;
        // Two v4 UUIDs: 244 random bits from the operating system's generator.
        let secret = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let insert = Query::insert()
            .into_table(InstanceSecret::Table)
            .columns([InstanceSecret::Secret])
            .values_panic([secret.into()])
            .to_owned();
        manager.exec_stmt(insert).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(InstanceSecret::Table).to_owned())
            .await
    }
}
