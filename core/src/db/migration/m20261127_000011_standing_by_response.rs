//! Reinstalls the rating triggers of migration 10 with the standing update that finds the
//! other raters through the response's ratings.
//!
//! Migration 10 moved the other raters' leave-one-out standing with an `UPDATE … FROM` that
//! SQLite planned as a walk over every `annotator_stat` row of the campaign, so a rating
//! cost grew with the number of annotators. The bodies now come from migration 10's
//! (corrected) definition, so a database migrated before and one created afresh end with
//! the same triggers. They compute what the old ones did; going down leaves them.

use sea_orm_migration::prelude::*;

use super::m20261127_000010_counter_triggers::{create_trigger, drop_trigger, triggers};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, event, body) in triggers(manager.get_database_backend()) {
            if table == "rating" {
                drop_trigger(manager, name, table).await?;
                create_trigger(manager, (name, table, event, &body)).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, Statement};

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
