//! `swipeset generate`: every (prompt × model × sample) of a campaign that is not done yet,
//! asked of OpenAI-compatible endpoints (`models.toml`), each model under its own
//! concurrency cap. Each result is committed as it comes: a response becomes a card, and a
//! failure is kept with its reason (`generation_job`). So a run stopped by Ctrl-C, a crash
//! or a restart goes on where it stopped without duplicates, and `retry_failed` asks the
//! failures again.

pub mod client;
pub mod config;
pub mod runner;
pub mod runs;
pub mod status;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

pub use client::{Answer, Backoff};
pub use config::{ModelSpec, ModelsFile};
pub use runner::Runner;

use crate::campaign;
use crate::campaign::conversation::{self, Turn};
use crate::campaign::models;
use crate::campaign::responses::{self, NewResponse};
use crate::db::entities::{generation, generation_job, prompt};
use crate::db::store::{Write, WriteJob};
use crate::{CoreError, CoreResult, Store};

#[derive(Debug, Clone, Default)]
pub struct GenerateOptions {
    /// Ask again the (prompt, model, sample) triples that failed before.
    pub retry_failed: bool,
    pub backoff: Backoff,
}

/// One model's account of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ModelReport {
    pub name: String,
    /// Asked in this run.
    pub asked: u64,
    pub done: u64,
    pub failed: u64,
    /// Done before this run (or failed before, without `retry_failed`).
    pub skipped: u64,
    /// Requests made, retries included.
    pub requests: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Failure reasons of this run, most frequent first (at most five).
    pub failures: Vec<(String, u64)>,
}

/// What a progress display hears: the command's bar, the campaign page's live progress.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// The run's size per model (in `models.toml` order), before the first request.
    Planned { models: Vec<Planned> },
    /// One more of model `model` (an index into `Planned::models`) finished: a response,
    /// or a failure with its reason.
    Finished {
        model: usize,
        failure: Option<String>,
    },
}

/// One model's share of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub name: String,
    /// To ask in this run.
    pub asked: u64,
    /// Done before (or failed before, without `retry_failed`).
    pub skipped: u64,
}

struct Job {
    prompt_id: i32,
    sample: i32,
    text: String,
    system: Option<String>,
    /// A conversation's turns before `text`; the model is sent all of them.
    history: Arc<Vec<Turn>>,
}

/// Runs everything of `campaign_slug` that `models` asks for and is not done.
pub async fn generate(
    store: &Store,
    campaign_slug: &str,
    models_file: &ModelsFile,
    options: &GenerateOptions,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> CoreResult<Vec<ModelReport>> {
    let db = store.db();
    let campaign = campaign::get(db, campaign_slug).await?;
    let keys = models_file
        .models
        .iter()
        .map(|m| m.api_key())
        .collect::<CoreResult<Vec<_>>>()?;
    // (id, text, system prompt, the turns before a conversation's last)
    type ToAsk = (i32, String, Option<String>, Arc<Vec<Turn>>);
    let prompts: Vec<ToAsk> = prompt::Entity::find()
        .select_only()
        .columns([
            prompt::Column::Id,
            prompt::Column::Text,
            prompt::Column::SystemPrompt,
            prompt::Column::History,
        ])
        .filter(prompt::Column::CampaignId.eq(campaign.id))
        .into_tuple::<(i32, String, Option<String>, Option<String>)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, text, system, history)| {
            let history = Arc::new(conversation::from_text(history.as_deref()));
            (id, text, system, history)
        })
        .collect();
    let http = reqwest::Client::builder()
        .build()
        .map_err(|e| CoreError::invalid("models", format!("cannot make an HTTP client: {e}")))?;

    let mut reports = Vec::new();
    let mut work = JoinSet::new();
    for (index, (spec, key)) in models_file.models.iter().zip(keys).enumerate() {
        let model = models::ensure(db, &spec.name, &spec.model).await?;
        let previous: Vec<(i32, i32, String)> = generation_job::Entity::find()
            .select_only()
            .columns([
                generation_job::Column::PromptId,
                generation_job::Column::Sample,
                generation_job::Column::Status,
            ])
            .filter(generation_job::Column::CampaignId.eq(campaign.id))
            .filter(generation_job::Column::ModelId.eq(model.id))
            .into_tuple()
            .all(db)
            .await?;
        let settled: HashSet<(i32, i32)> = previous
            .into_iter()
            .filter(|(_, _, status)| status == "done" || !options.retry_failed)
            .map(|(p, s, _)| (p, s))
            .collect();
        let mut report = ModelReport {
            name: spec.name.clone(),
            ..ModelReport::default()
        };
        let spec = Arc::new(spec.clone());
        let key = Arc::new(key);
        let cap = Arc::new(Semaphore::new(spec.concurrency));
        for (prompt_id, text, system, history) in &prompts {
            for sample in 0..spec.samples as i32 {
                if settled.contains(&(*prompt_id, sample)) {
                    report.skipped += 1;
                    continue;
                }
                report.asked += 1;
                let job = Job {
                    prompt_id: *prompt_id,
                    sample,
                    text: text.clone(),
                    // The prompt's own system prompt, else the campaign's; the model's
                    // (from models.toml) only where neither has one.
                    system: system.clone().or_else(|| campaign.system_prompt.clone()),
                    history: history.clone(),
                };
                let (http, spec, key, cap, store) = (
                    http.clone(),
                    spec.clone(),
                    key.clone(),
                    cap.clone(),
                    store.clone(),
                );
                let (campaign_id, model_id, backoff) = (campaign.id, model.id, options.backoff);
                work.spawn(async move {
                    let slot = cap.acquire_owned().await;
                    let system = job.system.as_deref().or(spec.system_prompt.as_deref());
                    let messages = conversation::messages(system, &job.history, &job.text);
                    let answer =
                        client::ask(&http, &spec, (*key).as_deref(), &messages, backoff).await;
                    // The cap is on requests in flight: the next one need not wait for this
                    // one's commit (the store batches commits anyway).
                    drop(slot);
                    let stored = record(&store, campaign_id, model_id, &spec, &job, &answer).await;
                    (index, answer, stored)
                });
            }
        }
        reports.push(report);
    }
    progress(Progress::Planned {
        models: reports
            .iter()
            .map(|r| Planned {
                name: r.name.clone(),
                asked: r.asked,
                skipped: r.skipped,
            })
            .collect(),
    });
    let mut reasons: Vec<HashMap<String, u64>> = vec![HashMap::new(); reports.len()];
    while let Some(joined) = work.join_next().await {
        let (index, answer, stored) = joined
            .map_err(|e| CoreError::invalid("generate", format!("a request task failed: {e}")))?;
        stored?;
        let report = &mut reports[index];
        report.requests += u64::from(answer.attempts);
        report.prompt_tokens += answer.prompt_tokens.unwrap_or(0).max(0) as u64;
        report.completion_tokens += answer.completion_tokens.unwrap_or(0).max(0) as u64;
        match &answer.failure {
            None => report.done += 1,
            Some(reason) => {
                report.failed += 1;
                // Group by the reason's kind, not its details.
                let kind: String = reason.chars().take(60).collect();
                *reasons[index].entry(kind).or_default() += 1;
            }
        }
        progress(Progress::Finished {
            model: index,
            failure: answer.failure.clone(),
        });
    }
    for (report, counts) in reports.iter_mut().zip(reasons) {
        let mut counts: Vec<(String, u64)> = counts.into_iter().collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        counts.truncate(5);
        report.failures = counts;
    }
    Ok(reports)
}

/// Commits one result: the response as a card and its job row, or the failure alone.
async fn record(
    store: &Store,
    campaign_id: i32,
    model_id: i32,
    spec: &ModelSpec,
    job: &Job,
    answer: &Answer,
) -> CoreResult<()> {
    store
        .run(Record {
            campaign_id,
            model_id,
            prompt_id: job.prompt_id,
            sample: job.sample,
            answer: answer.clone(),
            params: serde_json::to_value(spec.sampling()).ok(),
            requested: spec.model.clone(),
        })
        .await
}

/// One answer of an endpoint, as it is committed.
#[derive(Debug, Clone)]
struct Record {
    campaign_id: i32,
    model_id: i32,
    prompt_id: i32,
    sample: i32,
    answer: Answer,
    /// The sampling parameters sent, kept with the response.
    params: Option<serde_json::Value>,
    /// The model name the request asked for.
    requested: String,
}

impl WriteJob for Record {
    type Output = ();

    async fn write(self, txn: &DatabaseTransaction) -> CoreResult<Write<()>> {
        let Self {
            campaign_id,
            model_id,
            prompt_id,
            sample,
            answer,
            params,
            requested,
        } = self;
        let generation_id = match (&answer.failure, &answer.text) {
            (None, Some(text)) => {
                responses::add_many(
                    txn,
                    campaign_id,
                    vec![NewResponse {
                        prompt_id,
                        model_id,
                        text: text.clone(),
                        params: params.clone(),
                        gold_label: None,
                        metadata: None,
                    }],
                )
                .await?;
                // The row just added is the newest of its prompt and model.
                generation::Entity::find()
                    .filter(generation::Column::PromptId.eq(prompt_id))
                    .filter(generation::Column::ModelId.eq(model_id))
                    .order_by_desc(generation::Column::Id)
                    .one(txn)
                    .await?
                    .map(|g| g.id)
            }
            _ => None,
        };
        let ok = answer.failure.is_none();
        let row = generation_job::ActiveModel {
            campaign_id: Set(campaign_id),
            prompt_id: Set(prompt_id),
            model_id: Set(model_id),
            sample: Set(sample),
            status: Set(if ok { "done" } else { "failed" }.to_string()),
            reason: Set(answer.failure.clone()),
            generation_id: Set(generation_id),
            text: Set(if ok { None } else { answer.text.clone() }),
            requested_model: Set(requested.clone()),
            served_model: Set(answer.served_model.clone()),
            params: Set(params.clone()),
            latency_ms: Set(Some(answer.latency_ms)),
            prompt_tokens: Set(answer.prompt_tokens),
            completion_tokens: Set(answer.completion_tokens),
            finish_reason: Set(answer.finish_reason.clone()),
            attempts: Set(i32::try_from(answer.attempts).unwrap_or(i32::MAX)),
            updated_at: Set(chrono::Utc::now()),
            ..Default::default()
        };
        // A failure asked again replaces its row; a done row is never asked again.
        generation_job::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    generation_job::Column::PromptId,
                    generation_job::Column::ModelId,
                    generation_job::Column::Sample,
                ])
                .update_columns([
                    generation_job::Column::Status,
                    generation_job::Column::Reason,
                    generation_job::Column::GenerationId,
                    generation_job::Column::Text,
                    generation_job::Column::ServedModel,
                    generation_job::Column::Params,
                    generation_job::Column::LatencyMs,
                    generation_job::Column::PromptTokens,
                    generation_job::Column::CompletionTokens,
                    generation_job::Column::FinishReason,
                    generation_job::Column::Attempts,
                    generation_job::Column::UpdatedAt,
                ])
                .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
        Ok(Write::Commit(()))
    }
}
