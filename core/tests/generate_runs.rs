//! Generation runs as the campaign page starts them (`generate::Runner`), against the
//! stand-in OpenAI-compatible server: one run per campaign, pause and resume without
//! duplicates, live figures per model, failures with their reasons and "retry failed", and
//! a run that another process takes up after this one stopped (a server restart).

use std::time::Duration;

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use swipeset_core::Store;
use swipeset_core::campaign::NewCampaign;
use swipeset_core::campaign::prompts;
use swipeset_core::db::entities::{campaign, generation};
use swipeset_core::generate::runs::{self, FINISHED, PAUSED, RUNNING};
use swipeset_core::generate::{Backoff, Runner};
use swipeset_core::wire::ModelRow;
use swipeset_standins::OpenAiStandin;

const PROMPTS: usize = 6;

fn fast() -> Backoff {
    Backoff {
        base: Duration::from_millis(5),
        cap: Duration::from_millis(20),
    }
}

fn row(base: &str, model: &str, concurrency: u32) -> ModelRow {
    ModelRow {
        name: model.into(),
        base_url: base.into(),
        model: model.into(),
        samples: 1,
        concurrency,
        ..ModelRow::default()
    }
}

async fn campaign_with_models(models: &[ModelRow]) -> (Store, campaign::Model) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("runs.db").display());
    // The folder lives as long as the test process: the file database needs it.
    std::mem::forget(dir);
    let db = swipeset_core::db::connect(&url).await.unwrap();
    let campaign = swipeset_core::campaign::create(&db, NewCampaign::new("gen", "Gen"))
        .await
        .unwrap();
    for i in 0..PROMPTS {
        prompts::add(&db, campaign.id, &format!("prompt {i}"), None, None)
            .await
            .unwrap();
    }
    let file = runs::models_from_rows(models, None).unwrap();
    runs::save_models(&db, campaign.id, &file, None)
        .await
        .unwrap();
    (Store::new(db), campaign)
}

async fn responses(store: &Store, model_name: &str) -> u64 {
    let model = swipeset_core::db::entities::model::Entity::find()
        .filter(swipeset_core::db::entities::model::Column::Name.eq(model_name))
        .one(store.db())
        .await
        .unwrap();
    let Some(model) = model else { return 0 };
    generation::Entity::find()
        .filter(generation::Column::ModelId.eq(model.id))
        .count(store.db())
        .await
        .unwrap()
}

async fn until(what: &str, mut done: impl AsyncFnMut() -> bool) {
    for _ in 0..400 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn state(runner: &Runner, campaign: &campaign::Model) -> String {
    runner.progress(campaign.id).await.unwrap().state
}

#[tokio::test]
async fn a_run_pauses_resumes_and_retries_its_failures_without_duplicates() {
    let openai = OpenAiStandin::local().await;
    let base = openai.base_url();
    let (store, campaign) =
        campaign_with_models(&[row(&base, "slow-60", 1), row(&base, "broken", 2)]).await;
    let runner = Runner::new(store.clone(), fast());
    let mut live = runner.subscribe(campaign.id);

    runner.start(&campaign, false).await.unwrap();
    let error = runner
        .start(&campaign, false)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("already running"), "{error}");
    until("two slow responses", async || {
        responses(&store, "slow-60").await >= 2
    })
    .await;
    let seen = live.borrow_and_update().clone();
    assert_eq!(seen.state, RUNNING);
    assert_eq!(seen.models[0].name, "slow-60");
    assert_eq!(seen.models[0].asked, PROMPTS as u64);
    assert!(seen.models[0].per_minute > 0.0);
    assert!(seen.models[0].eta_secs.is_some());

    runner.pause(campaign.id).await.unwrap();
    assert_eq!(state(&runner, &campaign).await, PAUSED);
    let at_pause = responses(&store, "slow-60").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        responses(&store, "slow-60").await,
        at_pause,
        "nothing after the pause"
    );
    assert!(runner.pause(campaign.id).await.is_err(), "nothing to pause");

    // Resumed: only what is missing is asked.
    runner.start(&campaign, false).await.unwrap();
    until("the run to finish", async || {
        state(&runner, &campaign).await == FINISHED
    })
    .await;
    assert_eq!(responses(&store, "slow-60").await, PROMPTS as u64);
    let progress = runner.progress(campaign.id).await.unwrap();
    let message = progress.message.unwrap();
    assert!(message.contains("broken: 0 done"), "{message}");
    assert!(message.contains("HTTP 500: upstream exploded"), "{message}");
    // This run asked what the first part had not; between them, every prompt failed once.
    let broken = progress.models.iter().find(|m| m.name == "broken").unwrap();
    assert_eq!(broken.failed, broken.asked);
    assert_eq!(broken.reasons[0].1, broken.failed);
    let lines = swipeset_core::generate::status::status(store.db(), campaign.id)
        .await
        .unwrap();
    let broken = lines.iter().find(|l| l.model == "broken").unwrap();
    assert_eq!((broken.done, broken.failed), (0, PROMPTS as u64));

    // The endpoint recovers: "retry failed" asks the failures again, nothing else.
    openai.heal();
    let before = openai.requests();
    runner.start(&campaign, true).await.unwrap();
    until("the retry to finish", async || {
        state(&runner, &campaign).await == FINISHED
    })
    .await;
    assert_eq!(responses(&store, "broken").await, PROMPTS as u64);
    assert_eq!(
        openai.requests() - before,
        PROMPTS,
        "the six failures, once each"
    );
    assert_eq!(responses(&store, "slow-60").await, PROMPTS as u64);
}

#[tokio::test]
async fn a_run_left_by_a_stopped_server_is_taken_up_by_the_next() {
    let openai = OpenAiStandin::local().await;
    let (store, campaign) = campaign_with_models(&[row(&openai.base_url(), "slow-40", 1)]).await;
    let first = Runner::new(store.clone(), fast());
    first.start(&campaign, false).await.unwrap();
    until("a first response", async || {
        responses(&store, "slow-40").await >= 1
    })
    .await;
    // The server stops: its run stays `running`, with no heartbeat.
    first.release().await;
    let plan = runs::plan(store.db(), campaign.id).await.unwrap().unwrap();
    assert_eq!((plan.state.as_str(), plan.heartbeat_at), (RUNNING, None));

    let second = Runner::new(store.clone(), fast());
    second.take_up_orphans();
    until("the run to finish", async || {
        state(&second, &campaign).await == FINISHED
    })
    .await;
    assert_eq!(responses(&store, "slow-40").await, PROMPTS as u64);
}

#[tokio::test]
async fn a_run_needs_its_keys_and_its_prompts() {
    let openai = OpenAiStandin::local().await;
    let mut keyed = row(&openai.base_url(), "keyed", 1);
    keyed.api_key_env = "SWIPESET_TEST_KEY_NEVER_SET".into();
    let (store, campaign) = campaign_with_models(&[keyed]).await;
    let runner = Runner::new(store.clone(), fast());
    let error = runner
        .start(&campaign, false)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("$SWIPESET_TEST_KEY_NEVER_SET, which is not set"),
        "{error}"
    );
    assert!(error.contains("Space secret"), "{error}");
    assert_eq!(openai.requests(), 0);

    let empty = swipeset_core::campaign::create(store.db(), NewCampaign::new("empty", "E"))
        .await
        .unwrap();
    let error = runner.start(&empty, false).await.unwrap_err().to_string();
    assert!(error.contains("save the models"), "{error}");
}
