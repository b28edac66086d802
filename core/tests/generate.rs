//! `swipeset generate` against the stand-in OpenAI-compatible server
//! (`swipeset_standins::openai`), in process, whose models can be slow, answer 429 with
//! `Retry-After`, 500, 400, malformed JSON, an empty or a cut-off answer: retries and
//! giving up, the concurrency cap, resuming after a run is stopped mid-way, and failures
//! recorded with their reasons.

use std::time::Duration;

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use swipeset_core::Store;
use swipeset_core::campaign::NewCampaign;
use swipeset_core::campaign::prompts;
use swipeset_core::db::entities::{generation, generation_job};
use swipeset_core::generate::{Backoff, GenerateOptions, ModelReport, ModelsFile, generate};
use swipeset_standins::OpenAiStandin;

async fn campaign_with_prompts(n: usize) -> Store {
    let db = swipeset_core::db::connect("sqlite::memory:").await.unwrap();
    let campaign = swipeset_core::campaign::create(&db, NewCampaign::new("gen", "Gen"))
        .await
        .unwrap();
    for i in 0..n {
        let system = (i == 0).then_some("Answer in French.");
        prompts::add(&db, campaign.id, &format!("prompt {i}"), system, None)
            .await
            .unwrap();
    }
    Store::new(db)
}

fn models(base: &str, entries: &[(&str, &str)]) -> ModelsFile {
    let text: String = entries
        .iter()
        .map(|(model, extra)| {
            format!(
                "[[model]]\nname = \"{model}\"\nbase_url = \"{base}\"\nmodel = \"{model}\"\nmax_attempts = 3\ntemperature = 0.5\n{extra}\n"
            )
        })
        .collect();
    ModelsFile::parse(&text).unwrap()
}

fn fast() -> GenerateOptions {
    GenerateOptions {
        retry_failed: false,
        backoff: Backoff {
            base: Duration::from_millis(5),
            cap: Duration::from_millis(20),
        },
    }
}

async fn run(store: &Store, file: &ModelsFile, options: &GenerateOptions) -> Vec<ModelReport> {
    generate(store, "gen", file, options, &|_| {})
        .await
        .unwrap()
}

async fn jobs(store: &Store, status: &str) -> Vec<generation_job::Model> {
    generation_job::Entity::find()
        .filter(generation_job::Column::Status.eq(status))
        .all(store.db())
        .await
        .unwrap()
}

#[tokio::test]
async fn answers_become_cards_and_429s_are_retried() {
    let fake = OpenAiStandin::local().await;
    let base = fake.base_url();
    let store = campaign_with_prompts(4).await;
    let file = models(&base, &[("steady", "samples = 2"), ("flaky", "")]);
    let reports = run(&store, &file, &fast()).await;
    assert_eq!(
        (reports[0].asked, reports[0].done, reports[0].failed),
        (8, 8, 0)
    );
    assert_eq!(
        (reports[1].done, reports[1].requests),
        (4, 12),
        "two 429s, then an answer"
    );
    assert_eq!(
        generation::Entity::find().count(store.db()).await.unwrap(),
        12
    );
    let done = jobs(&store, "done").await;
    assert_eq!(done.len(), 12);
    let one = done.iter().find(|j| j.requested_model == "flaky").unwrap();
    assert_eq!(one.served_model.as_deref(), Some("flaky-served"));
    assert_eq!(
        (one.prompt_tokens, one.completion_tokens),
        (Some(7), Some(3))
    );
    assert_eq!(one.finish_reason.as_deref(), Some("stop"));
    assert_eq!(one.attempts, 3);
    assert_eq!(one.params, Some(json!({"temperature": 0.5})));
    assert!(one.latency_ms.is_some());
    assert!(one.generation_id.is_some());
    // Nothing left to do: a second run asks nothing.
    let before = fake.requests();
    let again = run(&store, &file, &fast()).await;
    assert_eq!((again[0].asked, again[0].skipped), (0, 8));
    assert_eq!(fake.requests(), before);
}

#[tokio::test]
async fn unusable_answers_are_recorded_with_their_reasons() {
    let fake = OpenAiStandin::local().await;
    let base = fake.base_url();
    let store = campaign_with_prompts(2).await;
    let file = models(
        &base,
        &[
            ("broken", ""),
            ("rejecting", ""),
            ("garbled", ""),
            ("silent", ""),
            ("cut", ""),
        ],
    );
    let reports = run(&store, &file, &fast()).await;
    for r in &reports {
        assert_eq!((r.done, r.failed), (0, 2), "{}", r.name);
    }
    assert_eq!(reports[0].requests, 6, "500 is tried max_attempts times");
    assert_eq!(reports[1].requests, 2, "400 is never tried again");
    assert_eq!(
        generation::Entity::find().count(store.db()).await.unwrap(),
        0
    );
    let failed = jobs(&store, "failed").await;
    let reason = |model: &str| {
        failed
            .iter()
            .find(|j| j.requested_model == model)
            .and_then(|j| j.reason.clone())
            .unwrap()
    };
    assert_eq!(
        reason("broken"),
        "gave up after 3 tries: HTTP 500: upstream exploded"
    );
    assert_eq!(reason("rejecting"), "HTTP 400: {\"error\": \"bad model\"}");
    assert!(reason("garbled").starts_with("malformed response"));
    assert_eq!(reason("silent"), "empty response");
    assert_eq!(reason("cut"), "cut off (finish_reason: length)");
    let cut = failed.iter().find(|j| j.requested_model == "cut").unwrap();
    assert_eq!(
        cut.text.as_deref(),
        Some("Once upon a"),
        "the cut-off text is kept"
    );
    assert_eq!(reports[0].failures[0].1, 2);

    // Failures stay failures on a plain rerun, and are asked again with retry_failed.
    fake.heal();
    let plain = run(&store, &file, &fast()).await;
    assert_eq!(plain[0].asked, 0);
    let retry = GenerateOptions {
        retry_failed: true,
        ..fast()
    };
    let healed = run(&store, &models(&base, &[("broken", "")]), &retry).await;
    assert_eq!((healed[0].asked, healed[0].done), (2, 2));
    assert_eq!(
        generation::Entity::find().count(store.db()).await.unwrap(),
        2
    );
    assert_eq!(
        jobs(&store, "failed").await.len(),
        8,
        "the other models' failures remain"
    );

    // The campaign page's status per model says the same.
    let campaign = swipeset_core::campaign::resolve(store.db(), None)
        .await
        .unwrap()
        .unwrap();
    let status = swipeset_core::generate::status::status(store.db(), campaign.id)
        .await
        .unwrap();
    let line = |name: &str| status.iter().find(|l| l.model == name).unwrap().clone();
    let broken = line("broken");
    assert_eq!((broken.responses, broken.done, broken.failed), (2, 2, 0));
    let cut = line("cut");
    assert_eq!((cut.responses, cut.done, cut.failed), (0, 0, 2));
    assert_eq!(
        cut.last_failure.as_deref(),
        Some("cut off (finish_reason: length)")
    );
}

#[tokio::test]
async fn the_concurrency_cap_holds() {
    let fake = OpenAiStandin::local().await;
    let base = fake.base_url();
    let store = campaign_with_prompts(24).await;
    let file = models(&base, &[("slow-capped", "concurrency = 3")]);
    let reports = run(&store, &file, &fast()).await;
    assert_eq!(reports[0].done, 24);
    assert_eq!(fake.most_in_flight(), 3);
}

#[tokio::test]
async fn a_stopped_run_resumes_without_duplicates() {
    let fake = OpenAiStandin::local().await;
    let base = fake.base_url();
    let store = campaign_with_prompts(30).await;
    let file = models(&base, &[("slow-resumed", "concurrency = 2\nsamples = 2")]);
    // Stopped part-way, as Ctrl-C would: the run's future is dropped mid-flight.
    let stopped = tokio::time::timeout(
        Duration::from_millis(300),
        generate(&store, "gen", &file, &fast(), &|_| {}),
    )
    .await;
    assert!(stopped.is_err(), "the first run should have been cut short");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let partial = generation::Entity::find().count(store.db()).await.unwrap();
    assert!(
        partial > 0 && partial < 60,
        "{partial} of 60 done before the stop"
    );
    let reports = run(&store, &file, &fast()).await;
    assert_eq!(reports[0].skipped + reports[0].asked, 60);
    assert_eq!(reports[0].skipped, partial);
    assert_eq!(
        generation::Entity::find().count(store.db()).await.unwrap(),
        60
    );
    assert_eq!(jobs(&store, "done").await.len(), 60);
    assert!(
        fake.requests() <= 60 + 2,
        "at most the in-flight pair asked twice"
    );
}

#[tokio::test]
async fn the_system_prompt_goes_first() {
    let fake = OpenAiStandin::local().await;
    let base = fake.base_url();
    let store = campaign_with_prompts(2).await;
    let file = models(&base, &[("system", "system_prompt = \"Be terse.\"")]);
    run(&store, &file, &fast()).await;
    let mut texts: Vec<String> = generation::Entity::find()
        .all(store.db())
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.text)
        .collect();
    texts.sort();
    // The prompt's own system prompt wins over the model's.
    assert_eq!(texts, ["Answer in French.", "Be terse."]);
}

#[tokio::test]
async fn a_conversation_is_sent_whole() {
    use swipeset_core::campaign::conversation::Turn;
    use swipeset_core::campaign::prompts::NewPrompt;
    let fake = OpenAiStandin::local().await;
    let base = fake.base_url();
    let db = swipeset_core::db::connect("sqlite::memory:").await.unwrap();
    let campaign = swipeset_core::campaign::create(&db, NewCampaign::new("gen", "Gen"))
        .await
        .unwrap();
    let history = [
        Turn {
            role: "user".into(),
            content: "Hi".into(),
        },
        Turn {
            role: "assistant".into(),
            content: "Hello.".into(),
        },
    ];
    prompts::insert(
        &db,
        campaign.id,
        &NewPrompt {
            text: "And now?",
            system: Some("Be kind."),
            history: &history,
            metadata: None,
        },
    )
    .await
    .unwrap();
    let store = Store::new(db);
    // `echo-messages` answers with the messages it was sent, one `role: content` a line.
    let file = models(&base, &[("echo-messages", "")]);
    run(&store, &file, &fast()).await;
    let texts: Vec<String> = generation::Entity::find()
        .all(store.db())
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.text)
        .collect();
    assert_eq!(
        texts,
        ["system: Be kind.\nuser: Hi\nassistant: Hello.\nuser: And now?"]
    );
}
