//! Moderating responses (issue 17): raters flag a card they should not have to judge
//! (`card_flag`, one flag per rater and response, kept once an admin has dealt with it),
//! and an admin can hide a response (`generation.hidden_at`): it leaves the deck, and its
//! ratings move to `excluded_rating` as an excluded rater's do, so the counters' triggers
//! take them out of the leaderboard, the labels and the exports. Frozen as it shipped,
//! like every migration.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CardFlag {
    Table,
    Id,
    CampaignId,
    GenerationId,
    UserId,
    Kind,
    Note,
    CreatedAt,
    ResolvedAt,
}

#[derive(DeriveIden)]
enum Generation {
    Table,
    Id,
    HiddenAt,
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CardFlag::Table)
                    .col(pk_auto(CardFlag::Id))
                    .col(integer(CardFlag::CampaignId))
                    .col(integer(CardFlag::GenerationId))
                    .col(integer(CardFlag::UserId))
                    .col(string(CardFlag::Kind))
                    .col(text_null(CardFlag::Note))
                    .col(timestamp_with_time_zone(CardFlag::CreatedAt))
                    .col(timestamp_with_time_zone_null(CardFlag::ResolvedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CardFlag::Table, CardFlag::CampaignId)
                            .to(Campaign::Table, Campaign::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CardFlag::Table, CardFlag::GenerationId)
                            .to(Generation::Table, Generation::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CardFlag::Table, CardFlag::UserId)
                            .to(User::Table, User::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("card_flag_uniq")
                    .table(CardFlag::Table)
                    .col(CardFlag::UserId)
                    .col(CardFlag::GenerationId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("card_flag_queue")
                    .table(CardFlag::Table)
                    .col(CardFlag::CampaignId)
                    .col(CardFlag::ResolvedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Generation::Table)
                    .add_column(timestamp_with_time_zone_null(Generation::HiddenAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A hidden response's ratings go back to `rating` first (those of raters who are
        // not excluded), so nothing is lost going down.
        let db = manager.get_connection();
        db.execute_unprepared(
            "INSERT INTO rating (id, user_id, generation_id, label, created_at, client_id, decision_ms) \
             SELECT e.id, e.user_id, e.generation_id, e.label, e.created_at, e.client_id, e.decision_ms \
             FROM excluded_rating e JOIN generation g ON g.id = e.generation_id \
             WHERE g.hidden_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM rater_exclusion x \
             WHERE x.campaign_id = e.campaign_id AND x.user_id = e.user_id)",
        )
        .await?;
        db.execute_unprepared(
            "DELETE FROM excluded_rating WHERE generation_id IN \
             (SELECT id FROM generation WHERE hidden_at IS NOT NULL) AND NOT EXISTS \
             (SELECT 1 FROM rater_exclusion x WHERE x.campaign_id = excluded_rating.campaign_id \
             AND x.user_id = excluded_rating.user_id)",
        )
        .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Generation::Table)
                    .drop_column(Generation::HiddenAt)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(CardFlag::Table).to_owned())
            .await
    }
}
