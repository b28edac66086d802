//! Per campaign and annotator: ratings, and how often they agree with the majority of the
//! others on the same responses (leave-one-out), kept with every rating like the other
//! leaderboard aggregates. Existing ratings are counted in.
//!
//! A migration is history: it calls no domain code, whose rules may change later.

// The identifier enums spell the column names, which may repeat the table's name.
#![allow(clippy::enum_variant_names)]

use std::collections::{BTreeMap, HashMap};

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

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
    CampaignId,
    UpCount,
    DownCount,
}

#[derive(DeriveIden)]
enum Rating {
    Table,
    UserId,
    GenerationId,
    Label,
}

#[derive(DeriveIden, Clone, Copy)]
enum AnnotatorStat {
    Table,
    Id,
    CampaignId,
    UserId,
    Ratings,
    Compared,
    Agreed,
}

/// Whether a rating (👍 if `rated_up`) on a response holding `up`/`down` votes in all,
/// its own included, is compared with the others, and agrees with their majority:
/// (compared, agreed) as 0 or 1. No others, or a tie among them, compares nothing. The
/// migration's own copy of the leave-one-out rule, so that what it counted in cannot
/// change with the domain's code.
fn standing(rated_up: bool, up: i32, down: i32) -> (i32, i32) {
    let (others_up, others_down) = if rated_up {
        (up - 1, down)
    } else {
        (up, down - 1)
    };
    if others_up == others_down {
        return (0, 0);
    }
    (1, i32::from((others_up > others_down) == rated_up))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AnnotatorStat::Table)
                    .col(pk_auto(AnnotatorStat::Id))
                    .col(integer(AnnotatorStat::CampaignId))
                    .col(integer(AnnotatorStat::UserId))
                    .col(integer(AnnotatorStat::Ratings).default(0))
                    .col(integer(AnnotatorStat::Compared).default(0))
                    .col(integer(AnnotatorStat::Agreed).default(0))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AnnotatorStat::Table, AnnotatorStat::CampaignId)
                            .to(Campaign::Table, Campaign::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(AnnotatorStat::Table, AnnotatorStat::UserId)
                            .to(User::Table, User::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("annotator_stat_uniq")
                    .table(AnnotatorStat::Table)
                    .col(AnnotatorStat::CampaignId)
                    .col(AnnotatorStat::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        // Count in existing ratings, by the rule every later rating follows.
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let generations = db
            .query_all(
                backend.build(
                    Query::select()
                        .columns([
                            Generation::Id,
                            Generation::CampaignId,
                            Generation::UpCount,
                            Generation::DownCount,
                        ])
                        .from(Generation::Table),
                ),
            )
            .await?;
        let mut counts: HashMap<i32, (i32, i32, i32)> = HashMap::new();
        for row in generations {
            counts.insert(
                row.try_get("", "id")?,
                (
                    row.try_get("", "campaign_id")?,
                    row.try_get("", "up_count")?,
                    row.try_get("", "down_count")?,
                ),
            );
        }
        let ratings = db
            .query_all(
                backend.build(
                    Query::select()
                        .columns([Rating::UserId, Rating::GenerationId, Rating::Label])
                        .from(Rating::Table),
                ),
            )
            .await?;
        let mut stats: BTreeMap<(i32, i32), (i32, i32, i32)> = BTreeMap::new();
        for row in ratings {
            let user: i32 = row.try_get("", "user_id")?;
            let generation: i32 = row.try_get("", "generation_id")?;
            let up: bool = row.try_get("", "label")?;
            let Some(&(campaign, ups, downs)) = counts.get(&generation) else {
                continue;
            };
            let (compared, agreed) = standing(up, ups, downs);
            let stat = stats.entry((campaign, user)).or_default();
            stat.0 += 1;
            stat.1 += compared;
            stat.2 += agreed;
        }
        for ((campaign, user), (ratings, compared, agreed)) in stats {
            manager
                .exec_stmt(
                    Query::insert()
                        .into_table(AnnotatorStat::Table)
                        .columns([
                            AnnotatorStat::CampaignId,
                            AnnotatorStat::UserId,
                            AnnotatorStat::Ratings,
                            AnnotatorStat::Compared,
                            AnnotatorStat::Agreed,
                        ])
                        .values([
                            campaign.into(),
                            user.into(),
                            ratings.into(),
                            compared.into(),
                            agreed.into(),
                        ])
                        .map_err(|e| DbErr::Migration(e.to_string()))?
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AnnotatorStat::Table).to_owned())
            .await
    }
}
