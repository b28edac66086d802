//! The data model v1: campaign, prompt, model, generation, user, rating.

// The identifier enums spell the column names, which may repeat the table's name.
#![allow(clippy::enum_variant_names)]

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Campaign {
    Table,
    Id,
    Slug,
    Title,
    Guidelines,
    Overlap,
    RevealModels,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Prompt {
    Table,
    Id,
    CampaignId,
    Text,
    SystemPrompt,
    Metadata,
    ContentHash,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Model {
    Table,
    Id,
    Name,
    ModelId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Generation {
    Table,
    Id,
    CampaignId,
    PromptId,
    ModelId,
    Text,
    Params,
    RatingCount,
    UpCount,
    DownCount,
    CreatedAt,
}

#[derive(DeriveIden)]
enum User {
    Table,
    Id,
    Name,
    Role,
    Disabled,
    BrowserKey,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Rating {
    Table,
    Id,
    UserId,
    GenerationId,
    Label,
    CreatedAt,
}

fn created_at<T: IntoIden>(col: T) -> ColumnDef {
    timestamp_with_time_zone(col)
        .default(Expr::current_timestamp())
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Campaign::Table)
                    .col(pk_auto(Campaign::Id))
                    .col(string_uniq(Campaign::Slug))
                    .col(string(Campaign::Title))
                    .col(text(Campaign::Guidelines).default(""))
                    .col(integer(Campaign::Overlap).default(3))
                    .col(boolean(Campaign::RevealModels).default(false))
                    .col(created_at(Campaign::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Prompt::Table)
                    .col(pk_auto(Prompt::Id))
                    .col(integer(Prompt::CampaignId))
                    .col(text(Prompt::Text))
                    .col(text_null(Prompt::SystemPrompt))
                    .col(json_null(Prompt::Metadata))
                    .col(string(Prompt::ContentHash))
                    .col(created_at(Prompt::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Prompt::Table, Prompt::CampaignId)
                            .to(Campaign::Table, Campaign::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("prompt_campaign_hash_uniq")
                    .table(Prompt::Table)
                    .col(Prompt::CampaignId)
                    .col(Prompt::ContentHash)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Model::Table)
                    .col(pk_auto(Model::Id))
                    .col(string(Model::Name))
                    .col(string_uniq(Model::ModelId))
                    .col(created_at(Model::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Generation::Table)
                    .col(pk_auto(Generation::Id))
                    .col(integer(Generation::CampaignId))
                    .col(integer(Generation::PromptId))
                    .col(integer(Generation::ModelId))
                    .col(text(Generation::Text))
                    .col(json_null(Generation::Params))
                    .col(integer(Generation::RatingCount).default(0))
                    .col(integer(Generation::UpCount).default(0))
                    .col(integer(Generation::DownCount).default(0))
                    .col(created_at(Generation::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Generation::Table, Generation::CampaignId)
                            .to(Campaign::Table, Campaign::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Generation::Table, Generation::PromptId)
                            .to(Prompt::Table, Prompt::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Generation::Table, Generation::ModelId)
                            .to(Model::Table, Model::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // The next-card query walks this index in order and stops at the first card the
        // annotator has not rated, so its cost does not grow with the campaign.
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
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("generation_prompt")
                    .table(Generation::Table)
                    .col(Generation::PromptId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(User::Table)
                    .col(pk_auto(User::Id))
                    .col(string_uniq(User::Name))
                    .col(string(User::Role).default("annotator"))
                    .col(boolean(User::Disabled).default(false))
                    .col(string_null(User::BrowserKey).unique_key())
                    .col(created_at(User::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Rating::Table)
                    .col(pk_auto(Rating::Id))
                    .col(integer(Rating::UserId))
                    .col(integer(Rating::GenerationId))
                    .col(boolean(Rating::Label))
                    .col(created_at(Rating::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Rating::Table, Rating::UserId)
                            .to(User::Table, User::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Rating::Table, Rating::GenerationId)
                            .to(Generation::Table, Generation::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("rating_user_generation_uniq")
                    .table(Rating::Table)
                    .col(Rating::UserId)
                    .col(Rating::GenerationId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("rating_generation")
                    .table(Rating::Table)
                    .col(Rating::GenerationId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Rating::Table.into_iden(),
            User::Table.into_iden(),
            Generation::Table.into_iden(),
            Model::Table.into_iden(),
            Prompt::Table.into_iden(),
            Campaign::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
