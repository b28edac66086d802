//! The counters the rating path keeps (a generation's claimed slots and votes, and the
//! leaderboard's aggregates) move in database triggers instead of statements the
//! application sends after each write.
//!
//! Every statement the server sends to SQLite costs two thread switches through sqlx's
//! worker thread, and the rating path sent a dozen of them per rating to move counters;
//! inside a trigger the same work is a few B-tree updates with no switch at all. It also
//! makes the invariants the database's own: `claimed_count` is ratings plus leases, a
//! rating takes over its rater's lease, and the aggregates follow the ratings whoever
//! inserts or deletes a row, all in the writing transaction by construction. `swipeset stats rebuild` remains the recount that
//! checks them.
//!
//! The trigger bodies are written once and rendered for each dialect: SQLite runs them as
//! trigger programs, PostgreSQL as PL/pgSQL trigger functions. Both accept the same
//! `INSERT … ON CONFLICT … DO UPDATE` and `UPDATE … FROM`; what differs is how a moment is
//! cut to its hour, and SQLite stores moments as the RFC 3339 text sqlx writes.
//!
//! Frozen as it shipped (3f30df2): a migration is history, so nothing here may call into
//! code that changes later. Migration 11 replaced the rating triggers with a cheaper
//! standing update; the counters as they are today are defined in `crate::board::triggers`.

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

/// The triggers, each as (name, table, event, body statements).
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
            "lease_added",
            "lease",
            "INSERT",
            claimed("NEW.\"generation_id\"", 1),
        ),
        (
            "lease_removed",
            "lease",
            "DELETE",
            claimed("OLD.\"generation_id\"", -1),
        ),
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

/// A lease holds a slot of its generation for as long as it exists.
fn claimed(generation: &str, delta: i32) -> String {
    format!(
        "UPDATE \"generation\" SET \"claimed_count\" = \"claimed_count\" + ({delta}) \
         WHERE \"id\" = {generation};"
    )
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
            \"compared\" = \"annotator_stat\".\"compared\" + s.dc, \
            \"agreed\" = \"annotator_stat\".\"agreed\" + s.da \
         FROM (SELECT g.\"campaign_id\", o.\"user_id\", \
                      {other_shift_compared} AS dc, {other_shift_agreed} AS da \
               FROM \"rating\" o JOIN \"generation\" g ON g.\"id\" = o.\"generation_id\" \
               WHERE o.\"generation_id\" = {r}.\"generation_id\" AND o.\"user_id\" <> {r}.\"user_id\") s \
         WHERE \"annotator_stat\".\"campaign_id\" = s.\"campaign_id\" \
           AND \"annotator_stat\".\"user_id\" = s.\"user_id\" \
           AND (s.dc <> 0 OR s.da <> 0);
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        for (name, table, event, body) in triggers(backend) {
            match backend {
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
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        for (name, table, _, _) in triggers(backend) {
            match backend {
                DatabaseBackend::Postgres => {
                    db.execute_unprepared(&format!(
                        "DROP TRIGGER IF EXISTS \"{name}\" ON \"{table}\""
                    ))
                    .await?;
                    db.execute_unprepared(&format!("DROP FUNCTION IF EXISTS \"{name}\"()"))
                        .await?;
                }
                _ => {
                    db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS \"{name}\""))
                        .await?;
                }
            }
        }
        Ok(())
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
        assert_eq!(
            hex::encode(Sha256::digest(sql)),
            "ef3a5972caa225378a8bc5a1cebacc07ed0b7a5d34f4b1212467ac826ea8b178",
            "a shipped migration's SQL changed: change the counters in crate::board::triggers \
             and install them with a new migration instead"
        );
    }
}
