//! A campaign's generation from the web, kept in `generation_plan`: its models (a
//! `models.toml`) and its run's state. A run is *claimed* by one atomic update that sets
//! `running` with the claiming process's id; the process keeps the claim alive with a
//! heartbeat. So two runs of a campaign never overlap, on one server or several, and a run
//! whose process died (a restart, a crash) is taken up again once its heartbeat is stale.

use std::time::Duration;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Set,
};
use swipeset_wire::ModelRow;

use super::config::{ModelSpec, ModelsFile};
use crate::db::entities::generation_plan;
use crate::{CoreError, CoreResult};

/// A claim whose heartbeat is older than this is free to take: its process is gone.
pub const STALE_AFTER: Duration = Duration::from_secs(30);
/// How often a running process renews its claim.
pub const HEARTBEAT: Duration = Duration::from_secs(10);

pub const IDLE: &str = "idle";
pub const RUNNING: &str = "running";
pub const PAUSED: &str = "paused";
pub const FINISHED: &str = "finished";
pub const FAILED: &str = "failed";

pub async fn plan(
    db: &impl ConnectionTrait,
    campaign_id: i32,
) -> CoreResult<Option<generation_plan::Model>> {
    Ok(generation_plan::Entity::find()
        .filter(generation_plan::Column::CampaignId.eq(campaign_id))
        .one(db)
        .await?)
}

/// The saved models, read back (a plan saved by this version always parses).
pub fn models_of(plan: &generation_plan::Model) -> CoreResult<ModelsFile> {
    ModelsFile::parse(&plan.models_toml)
}

/// Saves the campaign's models; refused while a run is using them.
pub async fn save_models(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    models: &ModelsFile,
    by: Option<i32>,
) -> CoreResult<generation_plan::Model> {
    let toml = models.to_toml();
    // What is saved is what a run will read: check it reads back.
    ModelsFile::parse(&toml)?;
    match plan(db, campaign_id).await? {
        Some(existing) if existing.state == RUNNING && !is_stale(&existing) => {
            Err(CoreError::Conflict(
                "a generation run is using these models: pause it before changing them".into(),
            ))
        }
        Some(existing) => {
            let mut row: generation_plan::ActiveModel = existing.into();
            row.models_toml = Set(toml);
            row.updated_at = Set(Utc::now());
            row.updated_by = Set(by);
            Ok(row.update(db).await?)
        }
        None => Ok(generation_plan::ActiveModel {
            campaign_id: Set(campaign_id),
            models_toml: Set(toml),
            state: Set(IDLE.into()),
            retry_failed: Set(false),
            updated_at: Set(Utc::now()),
            updated_by: Set(by),
            ..Default::default()
        }
        .insert(db)
        .await?),
    }
}

fn is_stale(plan: &generation_plan::Model) -> bool {
    plan.heartbeat_at.is_none_or(|at| {
        Utc::now() - at > chrono::Duration::from_std(STALE_AFTER).unwrap_or_default()
    })
}

fn stale_before() -> chrono::DateTime<Utc> {
    Utc::now() - chrono::Duration::from_std(STALE_AFTER).unwrap_or_default()
}

/// A claim nobody holds: released at shutdown (no heartbeat) or gone stale.
fn abandoned() -> Condition {
    Condition::any()
        .add(generation_plan::Column::HeartbeatAt.lt(stale_before()))
        .add(generation_plan::Column::HeartbeatAt.is_null())
}

/// Claims the campaign's run for `runner`: `true` when it was not running (or its runner
/// stopped beating). One statement, so two claims at once cannot both win.
pub async fn claim(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    runner: &str,
    retry_failed: bool,
) -> CoreResult<bool> {
    let now = Utc::now();
    let claimed = generation_plan::Entity::update_many()
        .col_expr(generation_plan::Column::State, Expr::value(RUNNING))
        .col_expr(generation_plan::Column::Runner, Expr::value(runner))
        .col_expr(generation_plan::Column::HeartbeatAt, Expr::value(now))
        .col_expr(
            generation_plan::Column::RetryFailed,
            Expr::value(retry_failed),
        )
        .col_expr(
            generation_plan::Column::Message,
            Expr::value(None::<String>),
        )
        .col_expr(generation_plan::Column::StartedAt, Expr::value(now))
        .col_expr(generation_plan::Column::UpdatedAt, Expr::value(now))
        .filter(generation_plan::Column::CampaignId.eq(campaign_id))
        .filter(
            Condition::any()
                .add(generation_plan::Column::State.ne(RUNNING))
                .add(abandoned()),
        )
        .exec(db)
        .await?;
    Ok(claimed.rows_affected == 1)
}

/// Takes over a run whose process is gone, keeping its `retry_failed`: `true` if taken.
pub async fn take_over(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    runner: &str,
) -> CoreResult<bool> {
    let now = Utc::now();
    let taken = generation_plan::Entity::update_many()
        .col_expr(generation_plan::Column::Runner, Expr::value(runner))
        .col_expr(generation_plan::Column::HeartbeatAt, Expr::value(now))
        .col_expr(generation_plan::Column::UpdatedAt, Expr::value(now))
        .filter(generation_plan::Column::CampaignId.eq(campaign_id))
        .filter(generation_plan::Column::State.eq(RUNNING))
        .filter(abandoned())
        .exec(db)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// Renews `runner`'s claim: `false` when the run is no longer its own and running (paused
/// from the page, perhaps on another server), so the runner stops.
pub async fn heartbeat(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    runner: &str,
) -> CoreResult<bool> {
    let beat = generation_plan::Entity::update_many()
        .col_expr(
            generation_plan::Column::HeartbeatAt,
            Expr::value(Utc::now()),
        )
        .filter(generation_plan::Column::CampaignId.eq(campaign_id))
        .filter(generation_plan::Column::State.eq(RUNNING))
        .filter(generation_plan::Column::Runner.eq(runner))
        .exec(db)
        .await?;
    Ok(beat.rows_affected == 1)
}

/// Ends `runner`'s run with `state` (`finished`, `failed`) and its message. A run that is
/// no longer its own (paused meanwhile) is left as it is.
pub async fn finish(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    runner: &str,
    state: &str,
    message: String,
) -> CoreResult<()> {
    generation_plan::Entity::update_many()
        .col_expr(generation_plan::Column::State, Expr::value(state))
        .col_expr(generation_plan::Column::Message, Expr::value(message))
        .col_expr(generation_plan::Column::Runner, Expr::value(None::<String>))
        .col_expr(generation_plan::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(generation_plan::Column::CampaignId.eq(campaign_id))
        .filter(generation_plan::Column::State.eq(RUNNING))
        .filter(generation_plan::Column::Runner.eq(runner))
        .exec(db)
        .await?;
    Ok(())
}

/// Lets go of `runner`'s claim without ending the run: it stays `running` with no
/// heartbeat, for the next process to take up at once.
pub async fn release(db: &impl ConnectionTrait, campaign_id: i32, runner: &str) -> CoreResult<()> {
    generation_plan::Entity::update_many()
        .col_expr(generation_plan::Column::Runner, Expr::value(None::<String>))
        .col_expr(
            generation_plan::Column::HeartbeatAt,
            Expr::value(None::<chrono::DateTime<Utc>>),
        )
        .filter(generation_plan::Column::CampaignId.eq(campaign_id))
        .filter(generation_plan::Column::State.eq(RUNNING))
        .filter(generation_plan::Column::Runner.eq(runner))
        .exec(db)
        .await?;
    Ok(())
}

/// Pauses a running run, wherever it runs: its runner sees this at its next heartbeat
/// (at once, on this server). `false` when it was not running.
pub async fn pause(db: &impl ConnectionTrait, campaign_id: i32) -> CoreResult<bool> {
    let paused = generation_plan::Entity::update_many()
        .col_expr(generation_plan::Column::State, Expr::value(PAUSED))
        .col_expr(generation_plan::Column::Runner, Expr::value(None::<String>))
        .col_expr(
            generation_plan::Column::Message,
            Expr::value("paused: what finished is kept; resume to go on"),
        )
        .col_expr(generation_plan::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(generation_plan::Column::CampaignId.eq(campaign_id))
        .filter(generation_plan::Column::State.eq(RUNNING))
        .exec(db)
        .await?;
    Ok(paused.rows_affected == 1)
}

/// Runs left `running` by a process that stopped beating: to take over.
pub async fn orphaned(db: &impl ConnectionTrait) -> CoreResult<Vec<generation_plan::Model>> {
    Ok(generation_plan::Entity::find()
        .filter(generation_plan::Column::State.eq(RUNNING))
        .filter(abandoned())
        .all(db)
        .await?)
}

/// The form's row for a model, saying whether its key's variable is set here.
pub fn row_of(spec: &ModelSpec) -> ModelRow {
    let key_env = spec.api_key_env.clone().unwrap_or_default();
    ModelRow {
        name: spec.name.clone(),
        base_url: spec.base_url.clone(),
        model: spec.model.clone(),
        key_set: !key_env.is_empty() && std::env::var(&key_env).is_ok_and(|v| !v.is_empty()),
        api_key_env: key_env,
        system_prompt: spec.system_prompt.clone().unwrap_or_default(),
        temperature: spec.temperature,
        top_p: spec.top_p,
        max_tokens: spec.max_tokens,
        samples: spec.samples,
        concurrency: u32::try_from(spec.concurrency).unwrap_or(u32::MAX),
    }
}

/// The models the form sends, checked as `models.toml` is. Fields the form does not show
/// (seed, stop, timeout, attempts) keep what the saved model of the same name had.
pub fn models_from_rows(rows: &[ModelRow], saved: Option<&ModelsFile>) -> CoreResult<ModelsFile> {
    if rows.is_empty() {
        return Err(CoreError::invalid("models", "add at least one model"));
    }
    let mut models = Vec::new();
    for row in rows {
        let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let key_env = text(&row.api_key_env);
        if let Some(var) = &key_env
            && !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(CoreError::invalid(
                "api_key_env",
                format!(
                    "model `{}`: `{var}` is not an environment variable's name (letters, digits \
                     and _ only); give the variable's name, never the key itself",
                    row.name
                ),
            ));
        }
        let before = saved.and_then(|f| f.models.iter().find(|m| m.name == row.name.trim()));
        let spec = ModelsFile::parse(&format!(
            "[[model]]\nname = {}\nbase_url = {}\nmodel = {}\n",
            toml_string(row.name.trim()),
            toml_string(row.base_url.trim()),
            toml_string(row.model.trim())
        ))?
        .models
        .remove(0);
        models.push(ModelSpec {
            api_key_env: key_env,
            system_prompt: text(&row.system_prompt),
            temperature: row.temperature,
            top_p: row.top_p,
            max_tokens: row.max_tokens,
            samples: row.samples,
            concurrency: row.concurrency as usize,
            seed: before.and_then(|b| b.seed),
            stop: before.map(|b| b.stop.clone()).unwrap_or_default(),
            timeout_secs: before.map_or(spec.timeout_secs, |b| b.timeout_secs),
            max_attempts: before.map_or(spec.max_attempts, |b| b.max_attempts),
            ..spec
        });
    }
    // The same checks as a file: names, URLs, counts.
    ModelsFile::parse(&ModelsFile { models }.to_toml())
}

fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{fresh_db, small_campaign};

    fn row(name: &str) -> ModelRow {
        ModelRow {
            name: name.into(),
            base_url: "http://localhost:8000/v1".into(),
            model: "org/m".into(),
            api_key_env: "SWIPESET_TEST_KEY_THAT_IS_NOT_SET".into(),
            temperature: Some(0.7),
            samples: 1,
            concurrency: 2,
            ..ModelRow::default()
        }
    }

    #[test]
    fn rows_become_a_checked_models_file_and_keys_stay_names() {
        let file = models_from_rows(&[row("A"), row("B")], None).unwrap();
        assert_eq!(file.models.len(), 2);
        assert_eq!(
            row_of(&file.models[0]).api_key_env,
            "SWIPESET_TEST_KEY_THAT_IS_NOT_SET"
        );
        assert!(!row_of(&file.models[0]).key_set);
        let error = models_from_rows(&[row("A"), row("A")], None)
            .unwrap_err()
            .to_string();
        assert!(error.contains("the name is used twice"), "{error}");
        let mut pasted_key = row("A");
        pasted_key.api_key_env = "sk-live-1234 5678".into();
        let error = models_from_rows(&[pasted_key], None)
            .unwrap_err()
            .to_string();
        assert!(error.contains("never the key itself"), "{error}");
        let mut bad_url = row("A");
        bad_url.base_url = "localhost".into();
        let error = models_from_rows(&[bad_url], None).unwrap_err().to_string();
        assert!(error.contains("must start with http"), "{error}");
    }

    #[tokio::test]
    async fn one_claim_wins_and_a_dead_runners_claim_goes_stale() {
        let db = fresh_db().await;
        let campaign = small_campaign(&db, 1, 1).await;
        let models = models_from_rows(&[row("A")], None).unwrap();
        save_models(&db, campaign.id, &models, None).await.unwrap();
        assert!(claim(&db, campaign.id, "one", false).await.unwrap());
        assert!(!claim(&db, campaign.id, "two", false).await.unwrap());
        let error = save_models(&db, campaign.id, &models, None)
            .await
            .unwrap_err();
        assert!(error.to_string().contains("pause it"), "{error}");
        assert!(heartbeat(&db, campaign.id, "one").await.unwrap());
        assert!(!heartbeat(&db, campaign.id, "two").await.unwrap());
        assert!(orphaned(&db).await.unwrap().is_empty());

        // The runner dies: its heartbeat goes stale, and another process takes over.
        generation_plan::Entity::update_many()
            .col_expr(
                generation_plan::Column::HeartbeatAt,
                Expr::value(Utc::now() - chrono::Duration::minutes(5)),
            )
            .exec(&db)
            .await
            .unwrap();
        assert_eq!(orphaned(&db).await.unwrap().len(), 1);
        assert!(take_over(&db, campaign.id, "two").await.unwrap());
        assert!(!heartbeat(&db, campaign.id, "one").await.unwrap());

        assert!(pause(&db, campaign.id).await.unwrap());
        assert!(!heartbeat(&db, campaign.id, "two").await.unwrap());
        let paused = plan(&db, campaign.id).await.unwrap().unwrap();
        assert_eq!(paused.state, PAUSED);
        finish(&db, campaign.id, "two", FINISHED, "late".into())
            .await
            .unwrap();
        assert_eq!(plan(&db, campaign.id).await.unwrap().unwrap().state, PAUSED);
    }
}
