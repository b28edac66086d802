//! Spreads the campaign-wide counters over shards, so that concurrent ratings on
//! PostgreSQL stop queueing on a handful of rows.
//!
//! Every rating moved the same few rows of `vote_pattern`, `model_stat` and `rating_hour`
//! (one row per campaign and hour, a few per pattern and model), and held their locks until
//! it committed: two replicas on PostgreSQL spent their time in `Lock: transactionid` on the
//! rating insert and topped out at 500 ratings a second. Each of these rows now has a
//! `shard`, part of its unique key; on PostgreSQL a rating moves shard `response id % 16`,
//! on SQLite (one writer) always shard 0. The count is the sum over the shards, which is
//! why the pattern a response leaves is now counted down by an upsert of −1 rather than an
//! update of an existing row: a response counted before this migration (shard 0) may be
//! counted down in its own shard, and the sum stays right. Rows already there stay in
//! shard 0.
//!
//! Frozen as it shipped: a migration is history, so the SQL it installs is rendered here,
//! from nothing outside this file (the test below holds its checksum). The counters as they
//! are today are defined in `crate::board::triggers`; a change there needs a new migration.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A unique key replaced: (old name, new name, table, old columns, new columns).
type Key = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

/// The unique keys replaced.
const KEYS: [Key; 3] = [
    (
        "model_stat_campaign_model_uniq",
        "model_stat_shard_uniq",
        "model_stat",
        &["campaign_id", "model_id"],
        &["campaign_id", "model_id", "shard"],
    ),
    (
        "vote_pattern_uniq",
        "vote_pattern_shard_uniq",
        "vote_pattern",
        &["campaign_id", "up_count", "down_count"],
        &["campaign_id", "up_count", "down_count", "shard"],
    ),
    (
        "rating_hour_uniq",
        "rating_hour_shard_uniq",
        "rating_hour",
        &["campaign_id", "hour"],
        &["campaign_id", "hour", "shard"],
    ),
];

/// The counted columns of each table, summed when the shards are put back together.
const SUMMED: [(&str, &[&str]); 3] = [
    (
        "model_stat",
        &["up_count", "down_count", "responses", "rated_responses"],
    ),
    ("vote_pattern", &["responses"]),
    ("rating_hour", &["ratings"]),
];

fn unique_index(name: &str, table: &str, columns: &[&str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(Alias::new(table)).unique();
    for column in columns {
        index.col(Alias::new(*column));
    }
    index.to_owned()
}

/// A rating row's change: which row alias (`NEW` or `OLD`) and which way (+1 or -1).
#[derive(Clone, Copy)]
struct RatingChange {
    row: &'static str,
    delta: i32,
}

/// The triggers this migration reinstalls, each as (name, table, event, body statements).
fn triggers(backend: DatabaseBackend) -> Vec<(&'static str, &'static str, &'static str, String)> {
    let added = RatingChange {
        row: "NEW",
        delta: 1,
    };
    let removed = RatingChange {
        row: "OLD",
        delta: -1,
    };
    vec![
        (
            "rating_added",
            "rating",
            "INSERT",
            // The rater's lease on the response, if any, is what the rating takes over.
            format!(
                "DELETE FROM \"lease\" WHERE \"user_id\" = NEW.\"user_id\" \
                 AND \"generation_id\" = NEW.\"generation_id\"; {}",
                rating_counters(backend, added)
            ),
        ),
        (
            "rating_removed",
            "rating",
            "DELETE",
            rating_counters(backend, removed),
        ),
    ]
}

/// Everything one rating moves. After the first statement the generation row holds the
/// counts with the change applied; "before" counts are derived from them.
fn rating_counters(backend: DatabaseBackend, change: RatingChange) -> String {
    let RatingChange { row: r, delta: d } = change;
    // The rating's label as 1 (👍) or 0 (👎): a boolean in PostgreSQL, 0/1 in SQLite.
    let up = format!("(CASE WHEN {r}.\"label\" THEN 1 ELSE 0 END)");
    let down = format!("(1 - {up})");
    // The generation's counts before the change.
    let was_up = format!("(g.\"up_count\" - ({d}) * {up})");
    let was_down = format!("(g.\"down_count\" - ({d}) * {down})");
    // The counts that include this rating: after an insert, before a delete.
    let (with_up, with_down) = if d > 0 {
        ("g.\"up_count\"".to_string(), "g.\"down_count\"".to_string())
    } else {
        (was_up.clone(), was_down.clone())
    };
    let hour = match backend {
        DatabaseBackend::Postgres => format!(
            "(date_trunc('hour', {r}.\"created_at\" AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')"
        ),
        // sqlx stores a DateTime<Utc> as RFC 3339 text with "+00:00": the hour must be
        // the very text it would write for that hour, or it would not match its row.
        _ => format!("strftime('%Y-%m-%dT%H:00:00+00:00', {r}.\"created_at\")"),
    };
    let own_compared = compared(&up, &with_up, &with_down);
    let own_agreed = agreed(&up, &with_up, &with_down);
    let other = "(CASE WHEN o.\"label\" THEN 1 ELSE 0 END)";
    let other_shift_compared = format!(
        "{} - {}",
        compared(other, "g.\"up_count\"", "g.\"down_count\""),
        compared(other, &was_up, &was_down)
    );
    let other_shift_agreed = format!(
        "{} - {}",
        agreed(other, "g.\"up_count\"", "g.\"down_count\""),
        agreed(other, &was_up, &was_down)
    );
    let generation = format!("g.\"id\" = {r}.\"generation_id\"");
    // The shard of the campaign-wide counters this response moves: on PostgreSQL one of
    // 16 by response, so concurrent ratings of different responses mostly lock different
    // rows; SQLite's single writer has nothing to spread.
    let shard = match backend {
        DatabaseBackend::Postgres => format!("({r}.\"generation_id\" % 16)"),
        _ => "0".to_string(),
    };
    // The other rater's rating of this response, for the standing of each other rater.
    // Their rows are found through the response's ratings (an index), so the cost follows
    // the overlap, not the number of annotators in the campaign.
    let other_rating = format!(
        "FROM \"rating\" o JOIN \"generation\" g ON g.\"id\" = o.\"generation_id\" \
         WHERE o.\"generation_id\" = {r}.\"generation_id\" \
           AND o.\"user_id\" = \"annotator_stat\".\"user_id\""
    );
    format!(
        "UPDATE \"generation\" SET \
            \"rating_count\" = \"rating_count\" + ({d}), \
            \"up_count\" = \"up_count\" + ({d}) * {up}, \
            \"down_count\" = \"down_count\" + ({d}) * {down}, \
            \"claimed_count\" = \"claimed_count\" + ({d}) \
         WHERE \"id\" = {r}.\"generation_id\";
         INSERT INTO \"vote_pattern\" (\"campaign_id\", \"shard\", \"up_count\", \"down_count\", \"responses\") \
         SELECT g.\"campaign_id\", {shard}, {was_up}, {was_down}, -1 FROM \"generation\" g \
         WHERE {generation} AND {was_up} + {was_down} > 0 \
         ON CONFLICT (\"campaign_id\", \"up_count\", \"down_count\", \"shard\") \
         DO UPDATE SET \"responses\" = \"vote_pattern\".\"responses\" - 1;
         INSERT INTO \"vote_pattern\" (\"campaign_id\", \"shard\", \"up_count\", \"down_count\", \"responses\") \
         SELECT g.\"campaign_id\", {shard}, g.\"up_count\", g.\"down_count\", 1 FROM \"generation\" g \
         WHERE {generation} AND g.\"up_count\" + g.\"down_count\" > 0 \
         ON CONFLICT (\"campaign_id\", \"up_count\", \"down_count\", \"shard\") \
         DO UPDATE SET \"responses\" = \"vote_pattern\".\"responses\" + 1;
         INSERT INTO \"model_stat\" (\"campaign_id\", \"model_id\", \"shard\", \"up_count\", \"down_count\", \
                                     \"responses\", \"rated_responses\") \
         SELECT g.\"campaign_id\", g.\"model_id\", {shard}, ({d}) * {up}, ({d}) * {down}, 0, \
                (CASE WHEN g.\"up_count\" + g.\"down_count\" > 0 THEN 1 ELSE 0 END) \
                - (CASE WHEN {was_up} + {was_down} > 0 THEN 1 ELSE 0 END) \
         FROM \"generation\" g WHERE {generation} \
         ON CONFLICT (\"campaign_id\", \"model_id\", \"shard\") DO UPDATE SET \
            \"up_count\" = \"model_stat\".\"up_count\" + excluded.\"up_count\", \
            \"down_count\" = \"model_stat\".\"down_count\" + excluded.\"down_count\", \
            \"rated_responses\" = \"model_stat\".\"rated_responses\" + excluded.\"rated_responses\";
         INSERT INTO \"annotator_stat\" (\"campaign_id\", \"user_id\", \"ratings\", \"compared\", \"agreed\") \
         SELECT g.\"campaign_id\", {r}.\"user_id\", {d}, ({d}) * {own_compared}, ({d}) * {own_agreed} \
         FROM \"generation\" g WHERE {generation} \
         ON CONFLICT (\"campaign_id\", \"user_id\") DO UPDATE SET \
            \"ratings\" = \"annotator_stat\".\"ratings\" + excluded.\"ratings\", \
            \"compared\" = \"annotator_stat\".\"compared\" + excluded.\"compared\", \
            \"agreed\" = \"annotator_stat\".\"agreed\" + excluded.\"agreed\";
         UPDATE \"annotator_stat\" SET \
            \"compared\" = \"annotator_stat\".\"compared\" + \
                (SELECT {other_shift_compared} {other_rating}), \
            \"agreed\" = \"annotator_stat\".\"agreed\" + \
                (SELECT {other_shift_agreed} {other_rating}) \
         WHERE \"annotator_stat\".\"campaign_id\" = \
                (SELECT g.\"campaign_id\" FROM \"generation\" g WHERE {generation}) \
           AND \"annotator_stat\".\"user_id\" IN \
                (SELECT o.\"user_id\" FROM \"rating\" o \
                 WHERE o.\"generation_id\" = {r}.\"generation_id\" AND o.\"user_id\" <> {r}.\"user_id\");
         INSERT INTO \"rating_hour\" (\"campaign_id\", \"shard\", \"hour\", \"ratings\") \
         SELECT g.\"campaign_id\", {shard}, {hour}, {d} FROM \"generation\" g WHERE {generation} \
         ON CONFLICT (\"campaign_id\", \"hour\", \"shard\") DO UPDATE SET \
            \"ratings\" = \"rating_hour\".\"ratings\" + excluded.\"ratings\";"
    )
}

/// 1 when a rating labelled `up` (1 or 0), on a response holding `ups`/`downs` votes with
/// it, is compared with the others (they are not tied), else 0. Mirrors
/// `aggregates::standing`.
fn compared(up: &str, ups: &str, downs: &str) -> String {
    format!("(CASE WHEN ({ups} - {up}) <> ({downs} - (1 - {up})) THEN 1 ELSE 0 END)")
}

/// 1 when that rating agrees with the others' majority, else 0.
fn agreed(up: &str, ups: &str, downs: &str) -> String {
    let (others_up, others_down) = (format!("({ups} - {up})"), format!("({downs} - (1 - {up}))"));
    format!(
        "(CASE WHEN {others_up} > {others_down} THEN {up} \
               WHEN {others_up} < {others_down} THEN 1 - {up} ELSE 0 END)"
    )
}

/// Creates trigger `name` (and on PostgreSQL its function) running `body` after each
/// `event` on `table`.
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

/// Drops trigger `name` on `table` (and its function), if it exists.
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
        for (old, new, table, _, columns) in KEYS {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(table))
                        .add_column(
                            ColumnDef::new(Alias::new("shard"))
                                .integer()
                                .not_null()
                                .default(0),
                        )
                        .to_owned(),
                )
                .await?;
            manager
                .drop_index(Index::drop().name(old).table(Alias::new(table)).to_owned())
                .await?;
            manager
                .create_index(unique_index(new, table, columns))
                .await?;
        }
        for (name, table, event, body) in triggers(manager.get_database_backend()) {
            drop_trigger(manager, name, table).await?;
            create_trigger(manager, (name, table, event, &body)).await?;
        }
        Ok(())
    }

    /// Sums each counter's shards into one row again, puts the old keys back and
    /// reinstalls migration 11's triggers.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (old, new, table, before, _) in KEYS {
            let sums: Vec<String> = SUMMED
                .iter()
                .find(|(t, _)| *t == table)
                .map(|(_, columns)| columns.iter().map(|c| format!("SUM(\"{c}\")")).collect())
                .unwrap_or_default();
            let counted: Vec<String> = SUMMED
                .iter()
                .find(|(t, _)| *t == table)
                .map(|(_, columns)| columns.iter().map(|c| format!("\"{c}\"")).collect())
                .unwrap_or_default();
            let key: Vec<String> = before.iter().map(|c| format!("\"{c}\"")).collect();
            let (key, counted, sums) = (key.join(", "), counted.join(", "), sums.join(", "));
            // Shard -1 holds the sums while the shards are deleted.
            db.execute_unprepared(&format!(
                "INSERT INTO \"{table}\" ({key}, \"shard\", {counted}) \
                 SELECT {key}, -1, {sums} FROM \"{table}\" GROUP BY {key}"
            ))
            .await?;
            db.execute_unprepared(&format!("DELETE FROM \"{table}\" WHERE \"shard\" <> -1"))
                .await?;
            manager
                .drop_index(Index::drop().name(new).table(Alias::new(table)).to_owned())
                .await?;
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(table))
                        .drop_column(Alias::new("shard"))
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(unique_index(old, table, before))
                .await?;
        }
        super::m20261127_000011_standing_by_response::Migration
            .up(manager)
            .await
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write;

    use sha2::{Digest, Sha256};

    use super::*;

    /// The trigger bodies this migration renders are the ones it shipped with: a database
    /// migrated then and one migrated today must have run the same SQL.
    #[test]
    fn the_triggers_are_as_shipped() {
        let mut sql = String::new();
        for backend in [DatabaseBackend::Sqlite, DatabaseBackend::Postgres] {
            for (name, table, event, body) in triggers(backend) {
                writeln!(sql, "{name} {table} {event} {body}").unwrap();
            }
        }
        for (old, new, table, before, after) in KEYS {
            writeln!(sql, "{old} {new} {table} {before:?} {after:?}").unwrap();
        }
        assert_eq!(
            hex::encode(Sha256::digest(sql)),
            "ac3576b495dc2325da6ae465fa93dd396aa4c044f0890aedecbcbdfc718f3c48",
            "a shipped migration's SQL changed: change the counters in crate::board::triggers \
             and install them with a new migration instead"
        );
    }
}
