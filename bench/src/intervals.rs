//! `swipeset-bench --intervals`: how wide the leaderboard's Wilson interval and a model
//! page's prompt-bootstrap interval come out on the demo campaign, rated by a simulated
//! crowd of 3 raters (its overlap: every response, so 108 votes per model), once where a
//! prompt does not
//! change how likely a 👍 is and once where it does (some prompts easy for every model,
//! some hard: the case Wilson's independence assumption misses).

use std::time::Instant;

use swipeset_core::accounts::guests;
use swipeset_core::board::model_page::{Outcomes, model_page};
use swipeset_core::rating::rate::{self, NewRating};
use swipeset_core::{Label, Store};

const RATERS: usize = 3;
/// Per model (in the demo's order): its chance of a 👍 on an average prompt, as log-odds.
const MODEL_LOG_ODDS: [f64; 3] = [1.0, 0.0, -0.5];

/// A small deterministic generator (as the export benchmark's): uniform in [0, 1).
struct Lcg(u64);

impl Lcg {
    fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal, by Box–Muller.
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform().max(1e-12), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

pub async fn run() -> anyhow::Result<()> {
    for (label, prompt_spread) in [
        ("prompts alike (no prompt effect)", 0.0),
        ("prompts differ (prompt effect, sd 1.5 in log-odds)", 1.5),
    ] {
        let started = Instant::now();
        let db = swipeset_core::db::connect("sqlite::memory:").await?;
        let store = Store::new(db.clone());
        swipeset_core::campaign::demo::load(&db).await?;
        let campaign = swipeset_core::campaign::resolve(&db, None)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the demo campaign"))?;
        let models = swipeset_core::board::leaderboard::standings(&db, &campaign, 30).await?;
        let mut model_ids: Vec<i32> = models.iter().map(|m| m.model_id).collect();
        model_ids.sort_unstable();
        let mut rng = Lcg(42);
        use sea_orm::{EntityTrait, QueryOrder};
        use swipeset_core::db::entities::generation;
        let responses = generation::Entity::find()
            .order_by_asc(generation::Column::Id)
            .all(&db)
            .await?;
        let mut effect = std::collections::HashMap::new();
        let mut raters = Vec::new();
        for r in 0..RATERS {
            raters.push(
                guests::browser_annotator(&db, &format!("intervals-{r}"))
                    .await?
                    .id,
            );
        }
        for g in &responses {
            let d = *effect
                .entry(g.prompt_id)
                .or_insert_with(|| rng.normal() * prompt_spread);
            let m = model_ids
                .iter()
                .position(|id| *id == g.model_id)
                .unwrap_or(0);
            let p_up = 1.0 / (1.0 + (-(MODEL_LOG_ODDS[m % 3] + d)).exp());
            for &rater in &raters {
                let label = if rng.uniform() < p_up {
                    Label::Up
                } else {
                    Label::Down
                };
                rate::rate(&store, rater, NewRating::new(g.id, label)).await?;
            }
        }
        println!("demo campaign, {RATERS} raters on every response, {label}:");
        let outcomes = Outcomes::default();
        for m in &models {
            let page = model_page(
                &db,
                &outcomes,
                &campaign,
                &m.model,
                chrono::Utc::now(),
                false,
            )
            .await?;
            let width = |low_high: Option<(f64, f64)>| low_high.map_or(0.0, |(l, h)| h - l);
            let (wilson, clustered) = (
                width(page.standing.rate.map(|i| (i.low, i.high))),
                width(page.clustered.map(|i| (i.low, i.high))),
            );
            println!(
                "  {:<22} 👍 {:>5.1}% of {} votes: Wilson ±{:.1} points, prompt bootstrap ±{:.1} points ({:.2}x)",
                m.model,
                page.standing.rate.map_or(0.0, |i| i.estimate) * 100.0,
                page.standing.votes,
                wilson * 50.0,
                clustered * 50.0,
                clustered / wilson
            );
        }
        println!("  ({:.1?})", started.elapsed());
    }
    Ok(())
}
