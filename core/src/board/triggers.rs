//! The counters' definition: the database triggers that move a generation's claimed slots
//! and votes and the leaderboard's aggregates with every lease and rating inserted or
//! deleted, as SQL for SQLite (trigger programs) and PostgreSQL (PL/pgSQL trigger
//! functions). A change here needs a new migration that installs it.
//!
//! Migrations are history: each holds the SQL it ran frozen in its own file (migration 10
//! installed the first triggers, migration 11 the standing update, migration 16 the
//! shards of the rating triggers below), so that editing
//! the counters can never rewrite what an old migration did. This is the one place that
//! says what the counters are today. Its Rust twin is the recount, `aggregates::rebuild`,
//! which the tests there compare with these triggers rating by rating; the test below
//! compares this definition with what a freshly migrated database holds, so the two
//! cannot part ways unnoticed.
//!
//! The bodies are written once and rendered for each dialect. Both accept the same
//! `INSERT … ON CONFLICT … DO UPDATE` and `UPDATE … FROM`; what differs is how a moment is
//! cut to its hour, and SQLite stores moments as the RFC 3339 text sqlx writes.

use sea_orm::DatabaseBackend;

/// How many shards the campaign-wide counters (`model_stat`, `vote_pattern`,
/// `rating_hour`) are spread over on PostgreSQL: a rating moves those of shard
/// `response id % SHARDS`, and a count is the sum over its shards (`crate::board::shards`).
/// Every rating locks the counter rows it moves until it commits, so with one row each,
/// concurrent ratings queued on them (migration 16). SQLite's single writer uses shard 0.
pub const SHARDS: i32 = 16;

/// One trigger: after each `event` (`INSERT` or `DELETE`) on `table`, for each row, run
/// the statements of `body`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trigger {
    pub name: &'static str,
    pub table: &'static str,
    pub event: &'static str,
    pub body: String,
}

/// A rating row's change: which row alias (`NEW` or `OLD`) and which way (+1 or -1).
#[derive(Clone, Copy)]
struct RatingChange {
    row: &'static str,
    delta: i32,
}

/// Every counter trigger, as `backend` runs it.
pub fn triggers(backend: DatabaseBackend) -> Vec<Trigger> {
    let added = RatingChange {
        row: "NEW",
        delta: 1,
    };
    let removed = RatingChange {
        row: "OLD",
        delta: -1,
    };
    vec![
        Trigger {
            name: "lease_added",
            table: "lease",
            event: "INSERT",
            body: claimed("NEW.\"generation_id\"", 1),
        },
        Trigger {
            name: "lease_removed",
            table: "lease",
            event: "DELETE",
            body: claimed("OLD.\"generation_id\"", -1),
        },
        Trigger {
            name: "rating_added",
            table: "rating",
            event: "INSERT",
            // The rater's lease on the response, if any, is what the rating takes over.
            body: format!(
                "DELETE FROM \"lease\" WHERE \"user_id\" = NEW.\"user_id\" \
                 AND \"generation_id\" = NEW.\"generation_id\"; {}",
                rating_counters(backend, added)
            ),
        },
        Trigger {
            name: "rating_removed",
            table: "rating",
            event: "DELETE",
            body: rating_counters(backend, removed),
        },
    ]
    .into_iter()
    .chain(rater_triggers())
    .collect()
}

/// The counters behind each rater's figures (`rater_stat`, `rater_decision`, migration 23),
/// in this order.
pub(crate) const RATER_COUNTERS: [&str; 7] = [
    "votes",
    "up",
    "held",
    "timed",
    "gold",
    "gold_correct",
    "skips",
];

/// A table a rater's figures come from: every vote they made, whether it counts
/// (`rating`), is set aside (`excluded_rating`) or held back (`held_rating`, a new guest's),
/// their gold votes and their skips. A vote moving between the vote tables leaves the
/// figures as they were, so the raters page still shows why a rater was excluded.
#[derive(Clone, Copy)]
enum RaterSource {
    /// A vote; `held` for a held-back one.
    Vote {
        held: bool,
    },
    Gold,
    Skip,
}

/// (added trigger, removed trigger, table, what its rows are).
const RATER_SOURCES: [(&str, &str, &str, RaterSource); 5] = [
    (
        "rating_rater_added",
        "rating_rater_removed",
        "rating",
        RaterSource::Vote { held: false },
    ),
    (
        "excluded_rating_rater_added",
        "excluded_rating_rater_removed",
        "excluded_rating",
        RaterSource::Vote { held: false },
    ),
    (
        "held_rating_rater_added",
        "held_rating_rater_removed",
        "held_rating",
        RaterSource::Vote { held: true },
    ),
    (
        "gold_rating_rater_added",
        "gold_rating_rater_removed",
        "gold_rating",
        RaterSource::Gold,
    ),
    (
        "skip_rater_added",
        "skip_rater_removed",
        "skip",
        RaterSource::Skip,
    ),
];

/// The rater-figure triggers: one per source table and event.
fn rater_triggers() -> Vec<Trigger> {
    let mut triggers = Vec::new();
    for (added, removed, table, source) in RATER_SOURCES {
        for (name, event, row, delta) in
            [(added, "INSERT", "NEW", 1), (removed, "DELETE", "OLD", -1)]
        {
            triggers.push(Trigger {
                name,
                table,
                event,
                body: rater_counters(source, row, delta),
            });
        }
    }
    triggers
}

/// The decision-time bucket of `ms` (an expression in milliseconds): tenths of a second
/// under 10 s (buckets 0 to 99), whole seconds under a minute (100 to 149), then 150. Fine
/// enough that the median, and the share under the campaign's fast time (set in tenths of a
/// second), come out exact below 10 s. `crate::moderation::raters` reads them back.
pub(crate) fn decision_bucket(ms: &str) -> String {
    format!(
        "(CASE WHEN {ms} < 10000 THEN {ms} / 100 \
               WHEN {ms} < 60000 THEN 90 + {ms} / 1000 ELSE 150 END)"
    )
}

/// What one row of `source` (`r`: `NEW` or `OLD`) moves, times `d`, as (votes, up, held,
/// timed, gold, gold_correct, skips) over the row and its response `g`.
fn rater_counted(source: RaterSource, r: &str, d: i32) -> [String; 7] {
    let one = |condition: &str| format!("({d}) * (CASE WHEN {condition} THEN 1 ELSE 0 END)");
    let zero = || "0".to_string();
    match source {
        RaterSource::Vote { held } => [
            d.to_string(),
            one(&format!("{r}.\"label\"")),
            if held { d.to_string() } else { zero() },
            one(&format!("{r}.\"decision_ms\" IS NOT NULL")),
            zero(),
            zero(),
            zero(),
        ],
        // Judged against the response's expected label as it is when the vote comes or
        // goes: `crate::rating::gold::mark` rejudges the votes when it changes.
        RaterSource::Gold => [
            zero(),
            zero(),
            zero(),
            zero(),
            d.to_string(),
            one(&format!("{r}.\"label\" = g.\"gold_label\"")),
            zero(),
        ],
        RaterSource::Skip => [
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

/// One row of `source` added (`d` = 1, row `NEW`) or removed (-1, `OLD`): its rater's
/// counters in the response's campaign move.
fn rater_counters(source: RaterSource, r: &str, d: i32) -> String {
    let counters = RATER_COUNTERS.map(|c| format!("\"{c}\"")).join(", ");
    let values = rater_counted(source, r, d).join(", ");
    let sums = RATER_COUNTERS
        .map(|c| format!("\"{c}\" = \"rater_stat\".\"{c}\" + excluded.\"{c}\""))
        .join(", ");
    let generation = format!("FROM \"generation\" g WHERE g.\"id\" = {r}.\"generation_id\"");
    let mut body = format!(
        "INSERT INTO \"rater_stat\" (\"campaign_id\", \"user_id\", {counters}) \
         SELECT g.\"campaign_id\", {r}.\"user_id\", {values} {generation} \
         ON CONFLICT (\"campaign_id\", \"user_id\") DO UPDATE SET {sums};"
    );
    if let RaterSource::Vote { .. } = source {
        let bucket = decision_bucket(&format!("{r}.\"decision_ms\""));
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

/// The rater counters recounted from their source tables, as two grouped queries: rows of
/// (`campaign_id`, `user_id`, then the counters in `RATER_COUNTERS`' order) and of
/// (`campaign_id`, `user_id`, `bucket`, `decisions`). What `aggregates::rebuild` compares
/// the stored counters with, and writes in their place.
pub(crate) fn rater_recount() -> [String; 2] {
    let sums = RATER_COUNTERS
        .map(|c| format!("SUM(\"{c}\") AS \"{c}\""))
        .join(", ");
    let rows: Vec<String> = RATER_SOURCES
        .iter()
        .map(|(_, _, table, source)| {
            let values = rater_counted(*source, "r", 1)
                .iter()
                .zip(RATER_COUNTERS)
                .map(|(value, column)| format!("{value} AS \"{column}\""))
                .collect::<Vec<_>>()
                .join(", ");
            format!(
                "SELECT g.\"campaign_id\" AS \"campaign_id\", r.\"user_id\" AS \"user_id\", \
                 {values} FROM \"{table}\" r JOIN \"generation\" g ON g.\"id\" = r.\"generation_id\""
            )
        })
        .collect();
    let stat = format!(
        "SELECT \"campaign_id\", \"user_id\", {sums} FROM ({}) t \
         GROUP BY \"campaign_id\", \"user_id\"",
        rows.join(" UNION ALL ")
    );
    let votes: Vec<String> = RATER_SOURCES
        .iter()
        .filter(|(_, _, _, source)| matches!(source, RaterSource::Vote { .. }))
        .map(|(_, _, table, _)| {
            format!(
                "SELECT g.\"campaign_id\" AS \"campaign_id\", r.\"user_id\" AS \"user_id\", \
                        {} AS \"bucket\" \
                 FROM \"{table}\" r JOIN \"generation\" g ON g.\"id\" = r.\"generation_id\" \
                 WHERE r.\"decision_ms\" IS NOT NULL",
                decision_bucket("r.\"decision_ms\"")
            )
        })
        .collect();
    let decision = format!(
        "SELECT \"campaign_id\", \"user_id\", \"bucket\", COUNT(*) AS \"decisions\" FROM ({}) t \
         GROUP BY \"campaign_id\", \"user_id\", \"bucket\"",
        votes.join(" UNION ALL ")
    );
    [stat, decision]
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
    // The shard of the campaign-wide counters this response moves (see `SHARDS`).
    let shard = match backend {
        DatabaseBackend::Postgres => format!("({r}.\"generation_id\" % {SHARDS})"),
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

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

    use super::*;

    /// Rows of `sql` as strings, column by column.
    async fn rows(db: &DatabaseConnection, sql: &str, columns: &[&str]) -> Vec<Vec<String>> {
        db.query_all(Statement::from_string(db.get_database_backend(), sql))
            .await
            .unwrap()
            .iter()
            .map(|row| {
                columns
                    .iter()
                    .map(|column| row.try_get::<String>("", column).unwrap())
                    .collect()
            })
            .collect()
    }

    /// `triggers`, sorted by name as the catalog queries below list them.
    fn by_name(backend: DatabaseBackend) -> Vec<Trigger> {
        let mut triggers = triggers(backend);
        triggers.sort_by_key(|trigger| trigger.name);
        triggers
    }

    const DRIFTED: &str = "the migrations install other triggers than crate::board::triggers \
        defines: a change to the counters needs a new migration that installs it";

    #[tokio::test]
    async fn a_fresh_sqlite_database_holds_exactly_these_triggers() {
        let db = crate::testing::fresh_db().await;
        let installed = rows(
            &db,
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name",
            &["name", "tbl_name", "sql"],
        )
        .await;
        let defined: Vec<Vec<String>> = by_name(DatabaseBackend::Sqlite)
            .into_iter()
            .map(
                |Trigger {
                     name,
                     table,
                     event,
                     body,
                 }| {
                    vec![
                        name.to_string(),
                        table.to_string(),
                        format!(
                            "CREATE TRIGGER \"{name}\" AFTER {event} ON \"{table}\" \
                         FOR EACH ROW BEGIN {body} END"
                        ),
                    ]
                },
            )
            .collect();
        assert_eq!(installed, defined, "{DRIFTED}");
    }

    /// The same on PostgreSQL, when the test script started one
    /// (`SWIPESET_TEST_POSTGRES_URL`, required by `SWIPESET_REQUIRE_POSTGRES=1`).
    #[tokio::test]
    async fn a_fresh_postgres_database_holds_exactly_these_triggers() {
        let server = match std::env::var("SWIPESET_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => url,
            _ => {
                assert!(
                    std::env::var("SWIPESET_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                    "SWIPESET_REQUIRE_POSTGRES=1 but SWIPESET_TEST_POSTGRES_URL is not set"
                );
                return;
            }
        };
        let name = format!("swipeset_test_{}", uuid::Uuid::new_v4().simple());
        let admin = crate::db::connect_without_migrations(&server)
            .await
            .unwrap();
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        // The server URL with this database's name in place of its own.
        let (base, query) = server.split_once('?').unwrap_or((&server, ""));
        let host_end = base.find("://").map_or(0, |i| i + 3);
        let base = match base[host_end..].find('/') {
            Some(slash) => &base[..host_end + slash],
            None => base,
        };
        let url = match query {
            "" => format!("{base}/{name}"),
            query => format!("{base}/{name}?{query}"),
        };
        let db = crate::db::connect(&url).await.unwrap();

        let installed = rows(
            &db,
            "SELECT t.trigger_name::text AS name, t.event_object_table::text AS tbl, \
                    t.action_timing::text AS timing, t.event_manipulation::text AS event, \
                    t.action_statement::text AS action, p.prosrc::text AS body \
             FROM information_schema.triggers t \
             JOIN pg_proc p ON p.proname = t.trigger_name::text \
             WHERE t.trigger_schema = 'public' ORDER BY 1",
            &["name", "tbl", "timing", "event", "action", "body"],
        )
        .await;
        let defined: Vec<Vec<String>> = by_name(DatabaseBackend::Postgres)
            .into_iter()
            .map(
                |Trigger {
                     name,
                     table,
                     event,
                     body,
                 }| {
                    vec![
                        name.to_string(),
                        table.to_string(),
                        "AFTER".to_string(),
                        event.to_string(),
                        format!("EXECUTE FUNCTION {name}()"),
                        format!(" BEGIN {body} RETURN NULL; END "),
                    ]
                },
            )
            .collect();
        // No trigger function is left over from an older definition either.
        let functions = rows(
            &db,
            "SELECT p.proname::text AS name FROM pg_proc p \
             JOIN pg_namespace n ON n.oid = p.pronamespace \
             WHERE n.nspname = 'public' AND p.prorettype = 'trigger'::regtype ORDER BY 1",
            &["name"],
        )
        .await;
        db.close().await.unwrap();
        admin
            .execute_unprepared(&format!("DROP DATABASE {name}"))
            .await
            .unwrap();
        assert_eq!(installed, defined, "{DRIFTED}");
        let defined_functions: Vec<Vec<String>> =
            defined.iter().map(|t| vec![t[0].clone()]).collect();
        assert_eq!(functions, defined_functions, "{DRIFTED}");
    }
}
