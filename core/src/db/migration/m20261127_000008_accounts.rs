//! Accounts: a password (argon2id PHC string) or an OpenID subject on a user, personal API
//! tokens (only their SHA-256 is kept), the failed sign-in counters that throttle guessing,
//! a campaign switch that makes its leaderboard public, and the sessions table in the exact
//! shape the server's session store (tower-sessions' sqlx store) reads and writes.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum User {
    Table,
    Id,
    PasswordHash,
    OidcSubject,
    ShowName,
    LastSignInAt,
}

#[derive(DeriveIden)]
enum ApiToken {
    Table,
    Id,
    UserId,
    Name,
    TokenHash,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum SignInFailure {
    Table,
    Key,
    Failures,
    WindowStart,
}

#[derive(DeriveIden)]
enum Campaign {
    Table,
    PublicBoard,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one column per ALTER TABLE.
        for column in [
            string_null(User::PasswordHash),
            string_null(User::OidcSubject),
            boolean(User::ShowName).default(false).to_owned(),
            timestamp_with_time_zone_null(User::LastSignInAt),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(User::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("user_oidc_subject_uniq")
                    .table(User::Table)
                    .col(User::OidcSubject)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiToken::Table)
                    .col(pk_auto(ApiToken::Id))
                    .col(integer(ApiToken::UserId))
                    .col(string(ApiToken::Name))
                    .col(string_uniq(ApiToken::TokenHash))
                    .col(timestamp_with_time_zone(ApiToken::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiToken::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiToken::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiToken::Table, ApiToken::UserId)
                            .to(User::Table, User::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("api_token_user")
                    .table(ApiToken::Table)
                    .col(ApiToken::UserId)
                    .to_owned(),
            )
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
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Campaign::Table)
                    .add_column(boolean(Campaign::PublicBoard).default(false))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        for statement in sessions_ddl(manager.get_database_backend()) {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let drop = match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => "drop table if exists tower_sessions.session",
            _ => "drop table if exists tower_sessions",
        };
        manager.get_connection().execute_unprepared(drop).await?;
        manager
            .drop_table(Table::drop().table(SignInFailure::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ApiToken::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("user_oidc_subject_uniq")
                    .table(User::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            User::PasswordHash,
            User::OidcSubject,
            User::ShowName,
            User::LastSignInAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(User::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Campaign::Table)
                    .drop_column(Campaign::PublicBoard)
                    .to_owned(),
            )
            .await
    }
}

/// The tables `tower_sessions_sqlx_store`'s `migrate()` would make (its default names), made
/// here so that every schema change goes through the migrations.
fn sessions_ddl(backend: sea_orm::DatabaseBackend) -> &'static [&'static str] {
    match backend {
        sea_orm::DatabaseBackend::Postgres => &[
            "create schema if not exists tower_sessions",
            "create table if not exists tower_sessions.session \
             (id text primary key not null, data bytea not null, expiry_date timestamptz not null)",
        ],
        _ => &["create table if not exists tower_sessions \
                (id text primary key not null, data blob not null, expiry_date integer not null)"],
    }
}
