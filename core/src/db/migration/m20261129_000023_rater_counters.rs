//! Issue 17's last two parts.
//!
//! **Each rater's figures as counters.** `rater_stat` (votes, 👍, held back, timed, gold
//! votes and how many were right, skips) and `rater_decision` (decisions per decision-time
//! bucket, for the median and the share under the fast time) per campaign and rater, moved
//! by triggers on every table a rater's votes live in: `rating`, `excluded_rating`,
//! `held_rating`, `gold_rating`, `skip`. The raters page read them with grouped queries over
//! every rating of the campaign (0.6 s for a million); now it reads a row per rater.
//! Existing rows are counted in.
//!
//! **Guest hold-back.** `campaign.guest_hold_back` (0: off): a guest's first votes go to
//! `held_rating`, not `rating`, so nothing counts them, until the guest has made that many
//! decisions including a right one on a gold card; `guest_release` records who was
//! released.
//!
//! Frozen as it shipped, like every migration: the SQL is rendered here from nothing outside
//! this file (the test below holds its checksum); today's counters are in
//! `crate::board::triggers`.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Campaign {
    Table,
    Id,
    GuestHoldBack,
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

/// `campaign_id` and `user_id` columns, cascading from their campaign and user.
fn rater_table(table: &str, columns: Vec<ColumnDef>) -> TableCreateStatement {
    let mut create = Table::create();
    create
        .table(Alias::new(table))
        .col(pk_auto(Alias::new("id")))
        .col(integer(Alias::new("campaign_id")))
        .col(integer(Alias::new("user_id")));
    for mut column in columns {
        create.col(&mut column);
    }
    create
        .foreign_key(
            ForeignKey::create()
                .from(Alias::new(table), Alias::new("campaign_id"))
                .to(Campaign::Table, Campaign::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(
            ForeignKey::create()
                .from(Alias::new(table), Alias::new("user_id"))
                .to(User::Table, User::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

fn index(name: &str, table: &str, columns: &[&str], unique: bool) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(Alias::new(table));
    for column in columns {
        index.col(Alias::new(*column));
    }
    if unique {
        index.unique();
    }
    index.to_owned()
}

const COUNTERS: [&str; 7] = [
    "votes",
    "up",
    "held",
    "timed",
    "gold",
    "gold_correct",
    "skips",
];

/// Where a rater's figures come from.
#[derive(Clone, Copy)]
enum Source {
    Vote { held: bool },
    Gold,
    Skip,
}

const SOURCES: [(&str, &str, &str, Source); 5] = [
    (
        "rating_rater_added",
        "rating_rater_removed",
        "rating",
        Source::Vote { held: false },
    ),
    (
        "excluded_rating_rater_added",
        "excluded_rating_rater_removed",
        "excluded_rating",
        Source::Vote { held: false },
    ),
    (
        "held_rating_rater_added",
        "held_rating_rater_removed",
        "held_rating",
        Source::Vote { held: true },
    ),
    (
        "gold_rating_rater_added",
        "gold_rating_rater_removed",
        "gold_rating",
        Source::Gold,
    ),
    (
        "skip_rater_added",
        "skip_rater_removed",
        "skip",
        Source::Skip,
    ),
];

fn bucket(ms: &str) -> String {
    format!(
        "(CASE WHEN {ms} < 10000 THEN {ms} / 100 \
               WHEN {ms} < 60000 THEN 90 + {ms} / 1000 ELSE 150 END)"
    )
}

/// The counters one row of `source` moves, as (votes, up, held, timed, gold, gold_correct,
/// skips) expressions over row `r` and its generation `g`, times `d`.
fn counted(source: Source, r: &str, d: i32) -> [String; 7] {
    let one = |condition: &str| format!("({d}) * (CASE WHEN {condition} THEN 1 ELSE 0 END)");
    let zero = || "0".to_string();
    match source {
        Source::Vote { held } => [
            d.to_string(),
            one(&format!("{r}.\"label\"")),
            if held { d.to_string() } else { zero() },
            one(&format!("{r}.\"decision_ms\" IS NOT NULL")),
            zero(),
            zero(),
            zero(),
        ],
        Source::Gold => [
            zero(),
            zero(),
            zero(),
            zero(),
            d.to_string(),
            one(&format!("{r}.\"label\" = g.\"gold_label\"")),
            zero(),
        ],
        Source::Skip => [
            zero(),
            zero(),
            zero(),
            zero(),
            zero(),
            zero(),
            d.to_string(),
        ],
    }
}

fn trigger_body(source: Source, r: &str, d: i32) -> String {
    let counters = COUNTERS.map(|c| format!("\"{c}\"")).join(", ");
    let values = counted(source, r, d).join(", ");
    let sums = COUNTERS
        .map(|c| format!("\"{c}\" = \"rater_stat\".\"{c}\" + excluded.\"{c}\""))
        .join(", ");
    let generation = format!("FROM \"generation\" g WHERE g.\"id\" = {r}.\"generation_id\"");
    let mut body = format!(
        "INSERT INTO \"rater_stat\" (\"campaign_id\", \"user_id\", {counters}) \
         SELECT g.\"campaign_id\", {r}.\"user_id\", {values} {generation} \
         ON CONFLICT (\"campaign_id\", \"user_id\") DO UPDATE SET {sums};"
    );
    if let Source::Vote { .. } = source {
        let bucket = bucket(&format!("{r}.\"decision_ms\""));
        body.push_str(&format!(
            " INSERT INTO \"rater_decision\" (\"campaign_id\", \"user_id\", \"bucket\", \"decisions\") \
             SELECT g.\"campaign_id\", {r}.\"user_id\", {bucket}, {d} {generation} \
               AND {r}.\"decision_ms\" IS NOT NULL \
             ON CONFLICT (\"campaign_id\", \"user_id\", \"bucket\") DO UPDATE SET \
                \"decisions\" = \"rater_decision\".\"decisions\" + excluded.\"decisions\";"
        ));
    }
    body
}

/// (name, table, event, body) of every trigger this migration installs.
fn triggers() -> Vec<(&'static str, &'static str, &'static str, String)> {
    let mut triggers = Vec::new();
    for (added, removed, table, source) in SOURCES {
        triggers.push((added, table, "INSERT", trigger_body(source, "NEW", 1)));
        triggers.push((removed, table, "DELETE", trigger_body(source, "OLD", -1)));
    }
    triggers
}

/// Counts in what is there: the same counters, summed over every source table.
fn backfill() -> [String; 2] {
    let counters = COUNTERS.map(|c| format!("\"{c}\"")).join(", ");
    let sums = COUNTERS.map(|c| format!("SUM(\"{c}\")")).join(", ");
    let rows: Vec<String> = SOURCES
        .iter()
        .filter(|(_, _, table, _)| *table != "held_rating")
        .map(|(_, _, table, source)| {
            let values = counted(*source, "r", 1)
                .iter()
                .zip(COUNTERS)
                .map(|(value, column)| format!("{value} AS \"{column}\""))
                .collect::<Vec<_>>()
                .join(", ");
            format!(
                "SELECT g.\"campaign_id\" AS \"campaign_id\", r.\"user_id\" AS \"user_id\", {values} \
                 FROM \"{table}\" r JOIN \"generation\" g ON g.\"id\" = r.\"generation_id\""
            )
        })
        .collect();
    let stat = format!(
        "INSERT INTO \"rater_stat\" (\"campaign_id\", \"user_id\", {counters}) \
         SELECT \"campaign_id\", \"user_id\", {sums} FROM ({}) t \
         GROUP BY \"campaign_id\", \"user_id\"",
        rows.join(" UNION ALL ")
    );
    let votes: Vec<String> = ["rating", "excluded_rating"]
        .iter()
        .map(|table| {
            format!(
                "SELECT g.\"campaign_id\" AS \"campaign_id\", r.\"user_id\" AS \"user_id\", \
                        {} AS \"bucket\" \
                 FROM \"{table}\" r JOIN \"generation\" g ON g.\"id\" = r.\"generation_id\" \
                 WHERE r.\"decision_ms\" IS NOT NULL",
                bucket("r.\"decision_ms\"")
            )
        })
        .collect();
    let decision = format!(
        "INSERT INTO \"rater_decision\" (\"campaign_id\", \"user_id\", \"bucket\", \"decisions\") \
         SELECT \"campaign_id\", \"user_id\", \"bucket\", COUNT(*) FROM ({}) t \
         GROUP BY \"campaign_id\", \"user_id\", \"bucket\"",
        votes.join(" UNION ALL ")
    );
    [stat, decision]
}

async fn create_trigger(
    manager: &SchemaManager<'_>,
    (name, table, event, body): (&str, &str, &str, &str),
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    match manager.get_database_backend() {
        DatabaseBackend::Postgres => {
            db.execute_unprepared(&format!(
                "CREATE FUNCTION \"{name}\"() RETURNS trigger LANGUAGE plpgsql AS $body$ \
                 BEGIN {body} RETURN NULL; END $body$"
            ))
            .await?;
            db.execute_unprepared(&format!(
                "CREATE TRIGGER \"{name}\" AFTER {event} ON \"{table}\" \
                 FOR EACH ROW EXECUTE FUNCTION \"{name}\"()"
            ))
            .await?;
        }
        _ => {
            db.execute_unprepared(&format!(
                "CREATE TRIGGER \"{name}\" AFTER {event} ON \"{table}\" \
                 FOR EACH ROW BEGIN {body} END"
            ))
            .await?;
        }
    }
    Ok(())
}

async fn drop_trigger(manager: &SchemaManager<'_>, name: &str, table: &str) -> Result<(), DbErr> {
    let db = manager.get_connection();
    match manager.get_database_backend() {
        DatabaseBackend::Postgres => {
            db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS \"{name}\" ON \"{table}\""))
                .await?;
            db.execute_unprepared(&format!("DROP FUNCTION IF EXISTS \"{name}\"()"))
                .await?;
        }
        _ => {
            db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS \"{name}\""))
                .await?;
        }
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut held = rater_table(
            "held_rating",
            vec![
                integer(Alias::new("generation_id")),
                boolean(Alias::new("label")),
                timestamp_with_time_zone(Alias::new("created_at")),
                string_null(Alias::new("client_id")),
                integer_null(Alias::new("decision_ms")),
            ],
        );
        held.foreign_key(
            ForeignKey::create()
                .from(Alias::new("held_rating"), Alias::new("generation_id"))
                .to(Generation::Table, Generation::Id)
                .on_delete(ForeignKeyAction::Cascade),
        );
        manager.create_table(held).await?;
        manager
            .create_table(rater_table(
                "guest_release",
                vec![timestamp_with_time_zone(Alias::new("released_at"))],
            ))
            .await?;
        manager
            .create_table(rater_table(
                "rater_stat",
                COUNTERS
                    .iter()
                    .map(|c| integer(Alias::new(*c)).default(0).to_owned())
                    .collect(),
            ))
            .await?;
        manager
            .create_table(rater_table(
                "rater_decision",
                vec![
                    integer(Alias::new("bucket")),
                    integer(Alias::new("decisions")).default(0).to_owned(),
                ],
            ))
            .await?;
        for statement in [
            index(
                "held_rating_uniq",
                "held_rating",
                &["user_id", "generation_id"],
                true,
            ),
            index(
                "held_rating_rater",
                "held_rating",
                &["campaign_id", "user_id"],
                false,
            ),
            index(
                "held_rating_client",
                "held_rating",
                &["user_id", "client_id"],
                false,
            ),
            index(
                "guest_release_uniq",
                "guest_release",
                &["campaign_id", "user_id"],
                true,
            ),
            index(
                "rater_stat_uniq",
                "rater_stat",
                &["campaign_id", "user_id"],
                true,
            ),
            index(
                "rater_decision_uniq",
                "rater_decision",
                &["campaign_id", "user_id", "bucket"],
                true,
            ),
        ] {
            manager.create_index(statement).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Campaign::Table)
                    .add_column(integer(Campaign::GuestHoldBack).default(0))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        for statement in backfill() {
            db.execute_unprepared(&statement).await?;
        }
        for (name, table, event, body) in triggers() {
            create_trigger(manager, (name, table, event, &body)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _, _) in triggers() {
            drop_trigger(manager, name, table).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Campaign::Table)
                    .drop_column(Campaign::GuestHoldBack)
                    .to_owned(),
            )
            .await?;
        for table in [
            "rater_decision",
            "rater_stat",
            "guest_release",
            "held_rating",
        ] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write;

    use sha2::{Digest, Sha256};

    use super::*;

    /// The SQL this migration runs is the SQL it shipped with.
    #[test]
    fn the_sql_is_as_shipped() {
        let mut sql = String::new();
        for (name, table, event, body) in triggers() {
            writeln!(sql, "{name} {table} {event} {body}").unwrap();
        }
        for statement in backfill() {
            writeln!(sql, "{statement}").unwrap();
        }
        assert_eq!(
            hex::encode(Sha256::digest(sql)),
            "f5a21e35393fff42253d3cc7c7e5ec81e21a430c6d9e0a3ddb66af70587c1d4b",
            "a shipped migration's SQL changed: change the counters in crate::board::triggers \
             and install them with a new migration instead"
        );
    }
}
