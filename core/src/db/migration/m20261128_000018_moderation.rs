//! Excluding a rater from a campaign, and the audit log of admins' actions (issue 17).
//!
//! An excluded rater's ratings move from `rating` to `excluded_rating` (every column kept,
//! the campaign beside them), so the counters' triggers take them out of the leaderboard,
//! the agreement figures, the labels and the exports as an undo would, and an inclusion
//! moves them back through the same triggers. `rater_exclusion` says who is excluded, by
//! whom and why; `audit_log` records every admin action for good. Frozen as it shipped,
//! like every migration.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RaterExclusion {
    Table,
    Id,
    CampaignId,
    UserId,
    ExcludedBy,
    Reason,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ExcludedRating {
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
enum AuditLog {
    Table,
    Id,
    CreatedAt,
    ActorId,
    Actor,
    Action,
    CampaignId,
    Target,
    Reason,
}

#[derive(DeriveIden)]
enum Campaign {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum User {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Generation {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RaterExclusion::Table)
                    .col(pk_auto(RaterExclusion::Id))
                    .col(integer(RaterExclusion::CampaignId))
                    .col(integer(RaterExclusion::UserId))
                    .col(integer_null(RaterExclusion::ExcludedBy))
                    .col(text(RaterExclusion::Reason))
                    .col(timestamp_with_time_zone(RaterExclusion::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RaterExclusion::Table, RaterExclusion::CampaignId)
                            .to(Campaign::Table, Campaign::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RaterExclusion::Table, RaterExclusion::UserId)
                            .to(User::Table, User::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("rater_exclusion_uniq")
                    .table(RaterExclusion::Table)
                    .col(RaterExclusion::CampaignId)
                    .col(RaterExclusion::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ExcludedRating::Table)
                    // The rating's own id, kept so that an inclusion restores it as it was.
                    .col(integer(ExcludedRating::Id).primary_key())
                    .col(integer(ExcludedRating::CampaignId))
                    .col(integer(ExcludedRating::UserId))
                    .col(integer(ExcludedRating::GenerationId))
                    .col(boolean(ExcludedRating::Label))
                    .col(timestamp_with_time_zone(ExcludedRating::CreatedAt))
                    .col(string_null(ExcludedRating::ClientId))
                    .col(integer_null(ExcludedRating::DecisionMs))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ExcludedRating::Table, ExcludedRating::UserId)
                            .to(User::Table, User::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ExcludedRating::Table, ExcludedRating::GenerationId)
                            .to(Generation::Table, Generation::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("excluded_rating_rater")
                    .table(ExcludedRating::Table)
                    .col(ExcludedRating::CampaignId)
                    .col(ExcludedRating::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(pk_auto(AuditLog::Id))
                    .col(timestamp_with_time_zone(AuditLog::CreatedAt))
                    // No foreign keys: the log outlives the accounts and campaigns it names.
                    .col(integer_null(AuditLog::ActorId))
                    .col(string(AuditLog::Actor))
                    .col(string(AuditLog::Action))
                    .col(integer_null(AuditLog::CampaignId))
                    .col(string(AuditLog::Target))
                    .col(text(AuditLog::Reason))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Excluded ratings go back to `rating` first, so nothing is lost going down.
        let db = manager.get_connection();
        db.execute_unprepared(
            "INSERT INTO rating (id, user_id, generation_id, label, created_at, client_id, decision_ms) \
             SELECT id, user_id, generation_id, label, created_at, client_id, decision_ms \
             FROM excluded_rating",
        )
        .await?;
        for table in [
            AuditLog::Table.into_iden(),
            ExcludedRating::Table.into_iden(),
            RaterExclusion::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
