//! Reinstalls the rating triggers of migration 10 with the standing update that finds the
//! other raters through the response's ratings.
//!
//! Migration 10 moved the other raters' leave-one-out standing with an `UPDATE … FROM` that
//! SQLite planned as a walk over every `annotator_stat` row of the campaign, so a rating
//! cost grew with the number of annotators. The bodies here compute what the old ones did,
//! and a database migrated before this one and one created afresh end with the same
//! triggers; going down leaves them.
//!
//! Frozen as it shipped: a migration is history, so the SQL it installs is rendered here,
//! from nothing outside this file (the test below holds its checksum). The counters as they
//! are today are defined in `crate::board::triggers`; a change there needs a new migration.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

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
         UPDATE \"vote_pattern\" SET \"responses\" = \"responses\" - 1 \
         FROM \"generation\" g \
         WHERE {generation} AND \"vote_pattern\".\"campaign_id\" = g.\"campaign_id\" \
           AND \"vote_pattern\".\"up_count\" = {was_up} \
           AND \"vote_pattern\".\"down_count\" = {was_down} \
           AND {was_up} + {was_down} > 0;
         INSERT INTO \"vote_pattern\" (\"campaign_id\", \"up_count\", \"down_count\", \"responses\") \
         SELECT g.\"campaign_id\", g.\"up_count\", g.\"down_count\", 1 FROM \"generation\" g \
         WHERE {generation} AND g.\"up_count\" + g.\"down_count\" > 0 \
         ON CONFLICT (\"campaign_id\", \"up_count\", \"down_count\") \
         DO UPDATE SET \"responses\" = \"vote_pattern\".\"responses\" + 1;
         INSERT INTO \"model_stat\" (\"campaign_id\", \"model_id\", \"up_count\", \"down_count\", \
                                     \"responses\", \"rated_responses\") \
         SELECT g.\"campaign_id\", g.\"model_id\", ({d}) * {up}, ({d}) * {down}, 0, \
                (CASE WHEN g.\"up_count\" + g.\"down_count\" > 0 THEN 1 ELSE 0 END) \
                - (CASE WHEN {was_up} + {was_down} > 0 THEN 1 ELSE 0 END) \
         FROM \"generation\" g WHERE {generation} \
         ON CONFLICT (\"campaign_id\", \"model_id\") DO UPDATE SET \
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
         INSERT INTO \"rating_hour\" (\"campaign_id\", \"hour\", \"ratings\") \
         SELECT g.\"campaign_id\", {hour}, {d} FROM \"generation\" g WHERE {generation} \
         ON CONFLICT (\"campaign_id\", \"hour\") DO UPDATE SET \
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
        for (name, table, event, body) in triggers(manager.get_database_backend()) {
            drop_trigger(manager, name, table).await?;
            create_trigger(manager, (name, table, event, &body)).await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write;

    use sea_orm::{ConnectionTrait, Statement};
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
        assert_eq!(
            hex::encode(Sha256::digest(sql)),
            "aa55ac37de519b0d517c7cc1188c87742cb1aa4c927d561ff4a225c72c317f38",
            "a shipped migration's SQL changed: change the counters in crate::board::triggers \
             and install them with a new migration instead"
        );
    }

    /// SQLite's plan for the standing update of the rating trigger: each other rater's
    /// row is looked up by (campaign, user), never walked through by campaign alone.
    #[tokio::test]
    async fn the_standing_update_looks_up_only_the_other_raters() {
        let db = crate::testing::fresh_db().await;
        let backend = db.get_database_backend();
        let row = db
            .query_one(Statement::from_string(
                backend,
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'rating_added'",
            ))
            .await
            .unwrap()
            .expect("the rating trigger exists");
        let trigger: String = row.try_get("", "sql").unwrap();
        let update = trigger
            .split(';')
            .map(str::trim)
            .find(|statement| statement.starts_with("UPDATE \"annotator_stat\""))
            .expect("the trigger updates the other raters' standing");
        let update = update
            .replace("NEW.\"generation_id\"", "1")
            .replace("NEW.\"user_id\"", "2")
            .replace("NEW.\"label\"", "1");
        let plan = db
            .query_all(Statement::from_string(
                backend,
                format!("EXPLAIN QUERY PLAN {update}"),
            ))
            .await
            .unwrap();
        let steps: Vec<String> = plan
            .iter()
            .map(|row| row.try_get::<String>("", "detail").unwrap())
            .collect();
        let standing: Vec<&String> = steps
            .iter()
            .filter(|step| step.contains("annotator_stat"))
            .collect();
        assert!(!standing.is_empty(), "{steps:?}");
        for step in standing {
            assert!(
                step.contains("(campaign_id=? AND user_id=?)"),
                "annotator_stat is walked, not looked up: {steps:?}"
            );
        }
    }
}
