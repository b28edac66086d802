//! Generation runs started from the campaign page: the same `generate` the command runs,
//! in a task of the server, claimed in `generation_plan` (`super::runs`) so that a
//! campaign has one run at a time, paused from the page, and taken up again after a
//! restart. Each run publishes its progress per model (done, failed, rate, time to go) on
//! a watch channel that the page's event stream follows.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use sea_orm::EntityTrait;
use swipeset_wire::{GenerateProgress, ModelProgress};
use tokio::sync::watch;
use tokio::task::AbortHandle;

use super::runs::{self, FAILED, FINISHED, HEARTBEAT, PAUSED, RUNNING};
use super::{Backoff, GenerateOptions, ModelReport, ModelsFile, Progress, generate};
use crate::db::entities::campaign;
use crate::sync::lock;
use crate::{CoreError, CoreResult, Store};

/// The server's generation runs. Cheap to clone.
#[derive(Clone)]
pub struct Runner {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    /// This process, in `generation_plan.runner`.
    id: String,
    backoff: Backoff,
    /// Runs in this process, by campaign.
    runs: Mutex<HashMap<i32, AbortHandle>>,
    /// The latest progress per campaign, for the page's event stream.
    feeds: Mutex<HashMap<i32, watch::Sender<GenerateProgress>>>,
}

impl Runner {
    /// Runs on `store`, retrying failed requests with `backoff`.
    pub fn new(store: Store, backoff: Backoff) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                id: uuid::Uuid::new_v4().simple().to_string(),
                backoff,
                runs: Mutex::default(),
                feeds: Mutex::default(),
            }),
        }
    }

    fn feed(&self, campaign_id: i32) -> watch::Sender<GenerateProgress> {
        lock(&self.inner.feeds)
            .entry(campaign_id)
            .or_insert_with(|| watch::channel(GenerateProgress::default()).0)
            .clone()
    }

    /// Follows the campaign's progress as this server sees it (a run elsewhere shows as
    /// its state in the database: see [`Runner::progress`]).
    pub fn subscribe(&self, campaign_id: i32) -> watch::Receiver<GenerateProgress> {
        self.feed(campaign_id).subscribe()
    }

    fn running_here(&self, campaign_id: i32) -> bool {
        lock(&self.inner.runs).contains_key(&campaign_id)
    }

    /// How the campaign's generation stands now: the live figures of a run on this
    /// server, else the state and message the database holds.
    pub async fn progress(&self, campaign_id: i32) -> CoreResult<GenerateProgress> {
        let live = self.feed(campaign_id).borrow().clone();
        let plan = runs::plan(self.inner.store.db(), campaign_id).await?;
        let Some(plan) = plan else {
            return Ok(GenerateProgress {
                state: runs::IDLE.into(),
                ..live
            });
        };
        Ok(GenerateProgress {
            state: plan.state,
            message: plan.message,
            // The figures of the last run here stay until the next starts.
            models: live.models,
        })
    }

    /// Starts (or resumes) the campaign's run with its saved models. Refused, with the
    /// reason, when there are no models or prompts, a key's variable is not set, or a run
    /// of the campaign is already going.
    pub async fn start(&self, campaign: &campaign::Model, retry_failed: bool) -> CoreResult<()> {
        let db = self.inner.store.db();
        let plan = runs::plan(db, campaign.id)
            .await?
            .ok_or_else(|| CoreError::invalid("models", "save the models to ask first"))?;
        let models = runs::models_of(&plan)?;
        for model in &models.models {
            model.api_key().map_err(|e| {
                CoreError::invalid(
                    "api_key_env",
                    format!("{e}; set it on the server (a Space secret) and restart swipeset"),
                )
            })?;
        }
        if crate::campaign::prompts::count(db, campaign.id).await? == 0 {
            return Err(CoreError::invalid(
                "prompts",
                "the campaign has no prompts yet: import them first",
            ));
        }
        if !runs::claim(db, campaign.id, &self.inner.id, retry_failed).await? {
            return Err(CoreError::Conflict(format!(
                "a generation run of campaign `{}` is already running",
                campaign.slug
            )));
        }
        self.spawn(campaign.clone(), models, retry_failed);
        Ok(())
    }

    /// Pauses the campaign's run: at once when it runs here (requests in flight are
    /// dropped and asked again on resume), at the next heartbeat elsewhere.
    pub async fn pause(&self, campaign_id: i32) -> CoreResult<()> {
        if !runs::pause(self.inner.store.db(), campaign_id).await? {
            return Err(CoreError::Conflict("no generation run is going".into()));
        }
        if let Some(task) = lock(&self.inner.runs).remove(&campaign_id) {
            task.abort();
        }
        let feed = self.feed(campaign_id);
        feed.send_modify(|p| {
            p.state = PAUSED.into();
            p.message = Some("paused: what finished is kept; resume to go on".into());
        });
        Ok(())
    }

    /// Takes up runs whose process is gone (stopped, crashed, or another replica), now and
    /// then every heartbeat, for as long as the server runs.
    pub fn take_up_orphans(&self) {
        let this = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(HEARTBEAT);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(error) = this.resume_orphans().await {
                    tracing::warn!(%error, "could not look for generation runs to take up");
                }
            }
        });
    }

    async fn resume_orphans(&self) -> CoreResult<()> {
        let db = self.inner.store.db();
        for plan in runs::orphaned(db).await? {
            if self.running_here(plan.campaign_id)
                || !runs::take_over(db, plan.campaign_id, &self.inner.id).await?
            {
                continue;
            }
            let Some(campaign) = campaign::Entity::find_by_id(plan.campaign_id)
                .one(db)
                .await?
            else {
                continue;
            };
            let models = runs::models_of(&plan)?;
            if let Some(problem) = models.models.iter().find_map(|m| m.api_key().err()) {
                runs::finish(db, campaign.id, &self.inner.id, FAILED, problem.to_string()).await?;
                continue;
            }
            tracing::info!(campaign = %campaign.slug, "taking up an interrupted generation run");
            self.spawn(campaign, models, plan.retry_failed);
        }
        Ok(())
    }

    /// Lets go of this server's runs as it stops: they stay `running` with no heartbeat,
    /// so the next start (or another replica) takes them up at once.
    pub async fn release(&self) {
        let campaigns: Vec<(i32, AbortHandle)> = lock(&self.inner.runs).drain().collect();
        for (campaign_id, task) in campaigns {
            task.abort();
            if let Err(error) =
                runs::release(self.inner.store.db(), campaign_id, &self.inner.id).await
            {
                tracing::warn!(%error, campaign_id, "could not release a generation run");
            }
        }
    }

    fn spawn(&self, campaign: campaign::Model, models: ModelsFile, retry_failed: bool) {
        let this = self.clone();
        let id = campaign.id;
        // Held while the run is registered, so a quick run cannot finish (and deregister)
        // before it is registered.
        let mut runs = lock(&self.inner.runs);
        let task = tokio::spawn(async move { this.run(campaign, models, retry_failed).await });
        runs.insert(id, task.abort_handle());
    }

    async fn run(self, campaign: campaign::Model, models: ModelsFile, retry_failed: bool) {
        let db = self.inner.store.db().clone();
        let feed = self.feed(campaign.id);
        let tracker = Tracker::new(feed.clone());
        let options = GenerateOptions {
            retry_failed,
            backoff: self.inner.backoff,
        };
        let on_progress = |event: Progress| tracker.update(event);
        let work = generate(
            &self.inner.store,
            &campaign.slug,
            &models,
            &options,
            &on_progress,
        );
        tokio::pin!(work);
        let mut beat = tokio::time::interval(HEARTBEAT);
        beat.tick().await;
        let outcome = loop {
            tokio::select! {
                result = &mut work => break Some(result),
                _ = beat.tick() => match runs::heartbeat(&db, campaign.id, &self.inner.id).await {
                    Ok(true) => {}
                    // Paused (perhaps on another server), or taken over: stop here.
                    Ok(false) => break None,
                    Err(error) => tracing::warn!(%error, "generation heartbeat failed; going on"),
                },
            }
        };
        let (state, message) = match outcome {
            Some(Ok(reports)) => (FINISHED, summary(&reports)),
            Some(Err(error)) => (FAILED, format!("stopped: {error}")),
            None => {
                lock(&self.inner.runs).remove(&campaign.id);
                return;
            }
        };
        if let Err(error) =
            runs::finish(&db, campaign.id, &self.inner.id, state, message.clone()).await
        {
            tracing::error!(%error, campaign = %campaign.slug, "could not record the end of a generation run");
        }
        tracing::info!(campaign = %campaign.slug, state, "{message}");
        lock(&self.inner.runs).remove(&campaign.id);
        feed.send_modify(|p| {
            p.state = state.into();
            p.message = Some(message);
        });
    }
}

/// The page's line for a run that ended.
fn summary(reports: &[ModelReport]) -> String {
    let models: Vec<String> = reports
        .iter()
        .map(|r| {
            let mut line = format!("{}: {} done, {} failed", r.name, r.done, r.failed);
            if let Some((reason, _)) = r.failures.first() {
                line.push_str(&format!(" ({reason})"));
            }
            line
        })
        .collect();
    format!("finished: {}", models.join("; "))
}

/// Turns `generate`'s progress into the page's figures.
struct Tracker {
    started: Instant,
    feed: watch::Sender<GenerateProgress>,
    reasons: Mutex<Vec<HashMap<String, u64>>>,
}

impl Tracker {
    fn new(feed: watch::Sender<GenerateProgress>) -> Self {
        feed.send_modify(|p| {
            p.state = RUNNING.into();
            p.message = None;
            p.models.clear();
        });
        Self {
            started: Instant::now(),
            feed,
            reasons: Mutex::default(),
        }
    }

    fn update(&self, event: Progress) {
        match event {
            Progress::Planned { models } => {
                *lock(&self.reasons) = vec![HashMap::new(); models.len()];
                self.feed.send_modify(|p| {
                    p.models = models
                        .into_iter()
                        .map(|m| ModelProgress {
                            name: m.name,
                            asked: m.asked,
                            skipped: m.skipped,
                            ..ModelProgress::default()
                        })
                        .collect();
                });
            }
            Progress::Finished { model, failure } => {
                let reasons = {
                    let mut all = lock(&self.reasons);
                    let Some(counts) = all.get_mut(model) else {
                        return;
                    };
                    if let Some(reason) = &failure {
                        let kind: String = reason.chars().take(80).collect();
                        *counts.entry(kind).or_default() += 1;
                    }
                    let mut top: Vec<(String, u64)> =
                        counts.iter().map(|(r, n)| (r.clone(), *n)).collect();
                    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                    top.truncate(3);
                    top
                };
                let elapsed = self.started.elapsed().as_secs_f64().max(0.001);
                self.feed.send_modify(|p| {
                    let Some(m) = p.models.get_mut(model) else {
                        return;
                    };
                    if failure.is_some() {
                        m.failed += 1;
                    } else {
                        m.done += 1;
                    }
                    m.reasons = reasons;
                    let finished = (m.done + m.failed) as f64;
                    m.per_minute = finished / elapsed * 60.0;
                    let left = m.asked.saturating_sub(m.done + m.failed) as f64;
                    m.eta_secs = Some((left / (finished / elapsed)).round() as u64);
                });
            }
        }
    }
}
