//! One row per (prompt, model, sample) that `swipeset generate` has tried: what it asked,
//! what came back (the served model, latency, tokens, finish reason), and whether it gave a
//! response to rate or failed, and why. The unique key is what makes a run resumable.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Campaign {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Prompt {
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
}

#[derive(DeriveIden)]
enum GenerationJob {
    Table,
    Id,
    CampaignId,
    PromptId,
    ModelId,
    Sample,
    Status,
    Reason,
    GenerationId,
    Text,
    RequestedModel,
    ServedModel,
    Params,
    LatencyMs,
    PromptTokens,
    CompletionTokens,
    FinishReason,
    Attempts,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(GenerationJob::Table)
                    .col(pk_auto(GenerationJob::Id))
                    .col(integer(GenerationJob::CampaignId))
                    .col(integer(GenerationJob::PromptId))
                    .col(integer(GenerationJob::ModelId))
                    .col(integer(GenerationJob::Sample))
                    .col(string(GenerationJob::Status))
                    .col(text_null(GenerationJob::Reason))
                    .col(integer_null(GenerationJob::GenerationId))
                    .col(text_null(GenerationJob::Text))
                    .col(string(GenerationJob::RequestedModel))
                    .col(string_null(GenerationJob::ServedModel))
                    .col(json_null(GenerationJob::Params))
                    .col(integer_null(GenerationJob::LatencyMs))
                    .col(integer_null(GenerationJob::PromptTokens))
                    .col(integer_null(GenerationJob::CompletionTokens))
                    .col(string_null(GenerationJob::FinishReason))
                    .col(integer(GenerationJob::Attempts).default(0))
                    .col(timestamp_with_time_zone(GenerationJob::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(GenerationJob::Table, GenerationJob::CampaignId)
                            .to(Campaign::Table, Campaign::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(GenerationJob::Table, GenerationJob::PromptId)
                            .to(Prompt::Table, Prompt::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(GenerationJob::Table, GenerationJob::ModelId)
                            .to(Model::Table, Model::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(GenerationJob::Table, GenerationJob::GenerationId)
                            .to(Generation::Table, Generation::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("generation_job_uniq")
                    .table(GenerationJob::Table)
                    .col(GenerationJob::PromptId)
                    .col(GenerationJob::ModelId)
                    .col(GenerationJob::Sample)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(GenerationJob::Table).to_owned())
            .await
    }
}
