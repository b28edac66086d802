//! One model's page: where it stands (the leaderboard's line), and what its 👍 rate
//! depends on: the prompts' category, the response's length, how much raters agree on it,
//! and how it fares against each other model on the same prompts, with Bradley–Terry
//! strengths fitted from those outcomes.
//!
//! Besides the models' counters it reads this model's responses with their vote counters:
//! one query through the covering `generation_model` index, so its cost is this model's
//! share of the campaign. The head-to-head records and the strengths come from the outcome
//! of every pair of labelled responses to the same prompt, summed per pair of models in
//! the database: one query, but one that joins the whole campaign (half a second at a
//! million ratings), so it is not run for every read. `Outcomes` keeps the last result per
//! campaign and reads it again in the background once it is `OUTCOMES_FRESH` old; a page
//! says how old its head to head is. No rating is read.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, Value};
use swipeset_wire::{
    HeadToHead, Interval, ModelPageReply, PairAgreement, RateSlice, ResponseLine, Strength,
};

use crate::board::leaderboard::{self, DEFAULT_MIN_VOTES};
use crate::board::stats::{self, Z95};
use crate::db::entities::campaign;
use crate::db::statement;
use crate::{CoreError, CoreResult};

/// Bootstrap replicates of the prompt-clustered interval.
pub const REPLICATES: usize = 1_000;
/// The response lengths (characters) where one bucket ends and the next begins.
pub const LENGTH_EDGES: [u64; 4] = [200, 500, 1_000, 2_000];
/// Categories shown by name; the rest are summed as one slice.
pub const CATEGORIES_SHOWN: usize = 12;
/// How many of its best and worst responses an admin sees.
pub const RESPONSES_SHOWN: usize = 5;
/// The slice of prompts without the category field.
pub const NO_CATEGORY: &str = "(none)";

/// How many of this model's responses have one category, length bucket and pair of
/// vote counts: everything but the clusters and the extremes is summed from these.
#[derive(Debug, FromQueryResult)]
struct FigureRow {
    category: Option<String>,
    bucket: i32,
    up: i32,
    down: i32,
    n: i64,
}

impl FigureRow {
    fn up(&self) -> u64 {
        self.up.max(0) as u64
    }
    fn down(&self) -> u64 {
        self.down.max(0) as u64
    }
    fn n(&self) -> u64 {
        self.n.max(0) as u64
    }
}

/// One of the model's responses among its most 👍'd or 👎'd.
#[derive(Debug, FromQueryResult)]
struct Extreme {
    id: i32,
    up_count: i32,
    down_count: i32,
}

/// The filter on a model's own responses, through the covering `generation_model` index.
const OWN_RESPONSES: &str = "g.campaign_id = ? AND g.model_id = ? AND g.hidden_at IS NULL \
     AND g.gold_label IS NULL";

/// How old the head-to-head outcomes may be before a read asks for them again (in the
/// background: that read, and those until the new ones are in, get the old ones).
pub const OUTCOMES_FRESH: Duration = Duration::from_secs(10);

/// The pair outcomes of campaigns, as last read, with when. One per process (the server's
/// state holds it); cheap to clone.
#[derive(Clone, Default)]
pub struct Outcomes {
    campaigns: Arc<Mutex<HashMap<i32, Kept>>>,
}

struct Kept {
    rows: Arc<Vec<PairRow>>,
    read_at: DateTime<Utc>,
    refreshing: bool,
}

impl Outcomes {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i32, Kept>> {
        self.campaigns.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Keeps `rows`, read at `read_at`, as the campaign's outcomes.
    fn keep(&self, campaign_id: i32, rows: Arc<Vec<PairRow>>, read_at: DateTime<Utc>) {
        self.lock().insert(
            campaign_id,
            Kept {
                rows,
                read_at,
                refreshing: false,
            },
        );
    }

    /// The campaign's outcomes and when they were read: the kept ones (asking for new ones
    /// in the background when they are `OUTCOMES_FRESH` old), or, the first time, read now.
    async fn of(
        &self,
        db: &DatabaseConnection,
        campaign_id: i32,
        now: DateTime<Utc>,
    ) -> CoreResult<(Arc<Vec<PairRow>>, DateTime<Utc>)> {
        let stale = {
            let mut kept = self.lock();
            match kept.get_mut(&campaign_id) {
                Some(k) => {
                    let old = (now - k.read_at).to_std().unwrap_or_default() >= OUTCOMES_FRESH;
                    let refresh = old && !k.refreshing;
                    if refresh {
                        k.refreshing = true;
                    }
                    Some((k.rows.clone(), k.read_at, refresh))
                }
                None => None,
            }
        };
        match stale {
            Some((rows, read_at, refresh)) => {
                if refresh {
                    let (this, db) = (self.clone(), db.clone());
                    tokio::spawn(async move {
                        match pair_outcomes(&db, campaign_id).await {
                            Ok(rows) => {
                                this.keep(campaign_id, Arc::new(rows), Utc::now());
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, campaign_id, "reading head-to-head outcomes failed");
                                let mut kept = this.lock();
                                if let Some(k) = kept.get_mut(&campaign_id) {
                                    k.refreshing = false;
                                }
                            }
                        }
                    });
                }
                Ok((rows, read_at))
            }
            None => {
                let read_at = Utc::now();
                let rows = Arc::new(pair_outcomes(db, campaign_id).await?);
                self.keep(campaign_id, rows.clone(), read_at);
                Ok((rows, read_at))
            }
        }
    }
}

#[derive(Debug, FromQueryResult)]
struct PairRow {
    a: i32,
    b: i32,
    wins: i64,
    losses: i64,
    ties: i64,
}

/// For every two models, on every prompt where both have a labelled response (more votes
/// of one kind than of the other), how often the first got 👍 and the other 👎, the
/// reverse, and the same label. Hidden responses and gold cards are not anyone's.
async fn pair_outcomes(db: &impl ConnectionTrait, campaign_id: i32) -> CoreResult<Vec<PairRow>> {
    let sql = "SELECT a.model_id AS a, b.model_id AS b, \
         SUM(CASE WHEN a.up_count > a.down_count AND b.down_count > b.up_count THEN 1 ELSE 0 END) AS wins, \
         SUM(CASE WHEN a.down_count > a.up_count AND b.up_count > b.down_count THEN 1 ELSE 0 END) AS losses, \
         SUM(CASE WHEN (a.up_count > a.down_count) = (b.up_count > b.down_count) THEN 1 ELSE 0 END) AS ties \
         FROM generation a JOIN generation b ON b.prompt_id = a.prompt_id AND b.model_id > a.model_id \
         WHERE a.campaign_id = ? AND a.up_count <> a.down_count AND b.up_count <> b.down_count \
         AND a.hidden_at IS NULL AND a.gold_label IS NULL \
         AND b.hidden_at IS NULL AND b.gold_label IS NULL \
         GROUP BY a.model_id, b.model_id";
    let backend = db.get_database_backend();
    Ok(
        PairRow::find_by_statement(statement(backend, sql, [campaign_id.into()]))
            .all(db)
            .await?,
    )
}

/// The model's responses grouped by category (with a category field), length bucket and
/// vote counts.
async fn figures(
    db: &impl ConnectionTrait,
    campaign: &campaign::Model,
    model_id: i32,
) -> CoreResult<Vec<FigureRow>> {
    let edges = LENGTH_EDGES;
    let bucket = format!(
        "CASE WHEN g.length < {} THEN 0 WHEN g.length < {} THEN 1 WHEN g.length < {} THEN 2 \
         WHEN g.length < {} THEN 3 ELSE 4 END",
        edges[0], edges[1], edges[2], edges[3]
    );
    // Without a category field the prompts need not be read at all.
    let (category, join) = match campaign.category_field {
        Some(_) => ("p.category", "JOIN prompt p ON p.id = g.prompt_id"),
        None => ("CAST(NULL AS TEXT)", ""),
    };
    let sql = format!(
        "SELECT {category} AS category, {bucket} AS bucket, g.up_count AS up, \
         g.down_count AS down, COUNT(*) AS n FROM generation g {join} WHERE {OWN_RESPONSES} \
         GROUP BY 1, 2, 3, 4"
    );
    let backend = db.get_database_backend();
    Ok(FigureRow::find_by_statement(statement(
        backend,
        &sql,
        [campaign.id.into(), model_id.into()],
    ))
    .all(db)
    .await?)
}

/// The votes on the model's responses to each prompt, as patterns of (👍, 👎) with how many
/// prompts have each (for the bootstrap that resamples prompts).
async fn clusters(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    model_id: i32,
) -> CoreResult<Vec<((u64, u64), u64)>> {
    #[derive(FromQueryResult)]
    struct Pattern {
        up: i64,
        down: i64,
        n: i64,
    }
    let sql = format!(
        "SELECT t.up AS up, t.down AS down, COUNT(*) AS n FROM (SELECT SUM(g.up_count) AS up, \
         SUM(g.down_count) AS down FROM generation g WHERE {OWN_RESPONSES} \
         GROUP BY g.prompt_id) t GROUP BY t.up, t.down"
    );
    let backend = db.get_database_backend();
    let patterns = Pattern::find_by_statement(statement(
        backend,
        &sql,
        [campaign_id.into(), model_id.into()],
    ))
    .all(db)
    .await?;
    let positive = |x: i64| x.max(0) as u64;
    let mut patterns: Vec<((u64, u64), u64)> = patterns
        .into_iter()
        .map(|p| ((positive(p.up), positive(p.down)), positive(p.n)))
        .collect();
    patterns.sort_unstable();
    Ok(patterns)
}

/// The model's `RESPONSES_SHOWN` most 👍'd responses (`best`) or most 👎'd, clearest first.
async fn extremes(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    model_id: i32,
    best: bool,
) -> CoreResult<Vec<Extreme>> {
    let (side, order) = if best {
        (
            "g.up_count > g.down_count",
            "g.up_count - g.down_count DESC",
        )
    } else {
        (
            "g.down_count > g.up_count",
            "g.down_count - g.up_count DESC",
        )
    };
    let sql = format!(
        "SELECT g.id, g.up_count, g.down_count FROM generation g WHERE {OWN_RESPONSES} \
         AND {side} ORDER BY {order}, g.up_count + g.down_count DESC, g.id LIMIT {RESPONSES_SHOWN}"
    );
    let backend = db.get_database_backend();
    Ok(Extreme::find_by_statement(statement(
        backend,
        &sql,
        [campaign_id.into(), model_id.into()],
    ))
    .all(db)
    .await?)
}

/// Sums of a slice of responses.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    responses: u64,
    up: u64,
    down: u64,
}

impl Tally {
    fn add(&mut self, row: &FigureRow) {
        self.responses += row.n();
        self.up += row.up() * row.n();
        self.down += row.down() * row.n();
    }

    fn slice(self, label: String) -> RateSlice {
        RateSlice {
            label,
            responses: self.responses,
            up: self.up,
            down: self.down,
            rate: stats::wilson(self.up, self.up + self.down, Z95),
        }
    }
}

/// The label of length bucket `bucket` (the `CASE` of `figures`).
fn length_label(bucket: usize) -> String {
    match (
        bucket.checked_sub(1).map(|i| LENGTH_EDGES[i]),
        LENGTH_EDGES.get(bucket),
    ) {
        (None, Some(end)) => format!("under {end} chars"),
        (Some(start), Some(end)) => format!("{start}–{} chars", end - 1),
        (Some(start), None) => format!("{start} chars or more"),
        (None, None) => "any length".to_string(),
    }
}

/// By category: the largest by name, the rest as one slice.
fn by_category(rows: &[FigureRow]) -> Vec<RateSlice> {
    let mut tallies: HashMap<&str, Tally> = HashMap::new();
    for row in rows {
        let key = row.category.as_deref().unwrap_or(NO_CATEGORY);
        tallies.entry(key).or_default().add(row);
    }
    let mut sorted: Vec<(&str, Tally)> = tallies.into_iter().collect();
    sorted.sort_by(|a, b| b.1.responses.cmp(&a.1.responses).then(a.0.cmp(b.0)));
    let rest: Vec<(&str, Tally)> = sorted.split_off(sorted.len().min(CATEGORIES_SHOWN));
    let mut slices: Vec<RateSlice> = sorted
        .into_iter()
        .map(|(label, t)| t.slice(label.to_string()))
        .collect();
    if !rest.is_empty() {
        let mut other = Tally::default();
        for (_, t) in &rest {
            other.responses += t.responses;
            other.up += t.up;
            other.down += t.down;
        }
        slices.push(other.slice(format!("{} other categories", rest.len())));
    }
    slices
}

fn by_length(rows: &[FigureRow]) -> Vec<RateSlice> {
    let mut tallies = [Tally::default(); LENGTH_EDGES.len() + 1];
    for row in rows {
        let bucket = usize::try_from(row.bucket)
            .unwrap_or(0)
            .min(LENGTH_EDGES.len());
        tallies[bucket].add(row);
    }
    tallies
        .into_iter()
        .enumerate()
        .filter(|(_, t)| t.responses > 0)
        .map(|(i, t)| t.slice(length_label(i)))
        .collect()
}

/// Of every two votes on one response, the share that are alike.
fn pair_agreement(rows: &[FigureRow]) -> Option<PairAgreement> {
    let pairs_of = |n: u64| n * n.saturating_sub(1) / 2;
    let (mut alike, mut pairs, mut responses) = (0u64, 0u64, 0u64);
    for row in rows {
        let votes = row.up() + row.down();
        if votes < 2 {
            continue;
        }
        responses += row.n();
        pairs += pairs_of(votes) * row.n();
        alike += (pairs_of(row.up()) + pairs_of(row.down())) * row.n();
    }
    (pairs > 0).then(|| PairAgreement {
        share: alike as f64 / pairs as f64,
        pairs,
        responses,
    })
}

/// The texts of `ids`' responses and their prompts, in that order.
async fn response_lines(
    db: &impl ConnectionTrait,
    rows: &[Extreme],
) -> CoreResult<Vec<ResponseLine>> {
    #[derive(FromQueryResult)]
    struct Texts {
        id: i32,
        prompt: String,
        response: String,
    }
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; rows.len()].join(", ");
    let sql = format!(
        "SELECT g.id, p.text AS prompt, g.text AS response FROM generation g \
         JOIN prompt p ON p.id = g.prompt_id WHERE g.id IN ({marks})"
    );
    let backend = db.get_database_backend();
    let texts = Texts::find_by_statement(statement(
        backend,
        &sql,
        rows.iter().map(|r| Value::from(r.id)),
    ))
    .all(db)
    .await?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            let t = texts.iter().find(|t| t.id == row.id)?;
            Some(ResponseLine {
                response_id: row.id,
                prompt: t.prompt.clone(),
                response: t.response.clone(),
                up: row.up_count.max(0) as u64,
                down: row.down_count.max(0) as u64,
            })
        })
        .collect())
}

/// The page of the model named `name` in `campaign`. `admin` adds its best and worst
/// responses, with their text (which raters see only blind).
pub async fn model_page(
    db: &DatabaseConnection,
    outcomes: &Outcomes,
    campaign: &campaign::Model,
    name: &str,
    now: DateTime<Utc>,
    admin: bool,
) -> CoreResult<ModelPageReply> {
    let models = leaderboard::standings(db, campaign, DEFAULT_MIN_VOTES).await?;
    let Some(standing) = models.iter().find(|m| m.model == name).cloned() else {
        return Err(CoreError::not_found("model", name));
    };
    let model_id = standing.model_id;
    let (rows, clusters, (pairs, outcomes_read_at)) = tokio::try_join!(
        figures(db, campaign, model_id),
        clusters(db, campaign.id, model_id),
        outcomes.of(db, campaign.id, now),
    )?;
    let index: HashMap<i32, usize> = models
        .iter()
        .enumerate()
        .map(|(i, m)| (m.model_id, i))
        .collect();
    let mut head_to_head: HashMap<i32, HeadToHead> = HashMap::new();
    let mut games = Vec::with_capacity(pairs.len());
    for p in pairs.iter() {
        let (Some(&i), Some(&j)) = (index.get(&p.a), index.get(&p.b)) else {
            continue;
        };
        let (wins, losses, ties) = (
            p.wins.max(0) as u64,
            p.losses.max(0) as u64,
            p.ties.max(0) as u64,
        );
        games.push((
            i,
            j,
            wins as f64 + ties as f64 / 2.0,
            losses as f64 + ties as f64 / 2.0,
        ));
        let (other, mine_wins, mine_losses) = if p.a == standing.model_id {
            (p.b, wins, losses)
        } else if p.b == standing.model_id {
            (p.a, losses, wins)
        } else {
            continue;
        };
        head_to_head.insert(
            other,
            HeadToHead {
                model: models[index[&other]].model.clone(),
                prompts: wins + losses + ties,
                wins: mine_wins,
                losses: mine_losses,
                ties,
            },
        );
    }
    let mut head_to_head: Vec<HeadToHead> = head_to_head.into_values().collect();
    head_to_head.sort_by(|a, b| b.prompts.cmp(&a.prompts).then(a.model.cmp(&b.model)));

    let fitted = stats::bradley_terry(models.len(), &games);
    let mut strengths: Vec<Strength> = models
        .iter()
        .zip(fitted)
        .map(|(m, strength)| Strength {
            model: m.model.clone(),
            strength,
            rate: m.rate.map(|r| r.estimate),
        })
        .collect();
    strengths.sort_by(|a, b| {
        b.strength
            .unwrap_or(-1.0)
            .total_cmp(&a.strength.unwrap_or(-1.0))
            .then(a.model.cmp(&b.model))
    });

    let prompts = clusters.iter().map(|(_, k)| k).sum();
    let clustered: Option<Interval> = stats::cluster_rate(
        &clusters,
        REPLICATES,
        ((campaign.id as u64) << 32) | model_id as u64,
    );

    let (best, worst) = if admin {
        let (best, worst) = tokio::try_join!(
            extremes(db, campaign.id, model_id, true),
            extremes(db, campaign.id, model_id, false),
        )?;
        tokio::try_join!(response_lines(db, &best), response_lines(db, &worst))?
    } else {
        (Vec::new(), Vec::new())
    };

    Ok(ModelPageReply {
        campaign: campaign.slug.clone(),
        title: campaign.title.clone(),
        models: models.len() as u64,
        prompts,
        clustered,
        category_field: campaign.category_field.clone(),
        by_category: if campaign.category_field.is_some() {
            by_category(&rows)
        } else {
            Vec::new()
        },
        by_length: by_length(&rows),
        agreement: pair_agreement(&rows),
        head_to_head,
        strengths,
        best,
        worst,
        standing,
        as_of: now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        head_to_head_as_of: outcomes_read_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::guests;
    use crate::campaign::NewCampaign;
    use crate::campaign::prompts::{self, NewPrompt};
    use crate::campaign::responses::{self, NewResponse};
    use crate::rating::rate::{self, NewRating};
    use crate::{Label, Store};

    /// 4 prompts (topics a, a, b, none) × models A, B, C; A's answers are long on
    /// prompts 0 and 1. Votes of 3 raters per response ('U'/'D'):
    ///   prompt 0: A UUU, B DDD, C UUD
    ///   prompt 1: A UUD, B UDD, C DDD
    ///   prompt 2: A DDD, B UUU, C UUU
    ///   prompt 3: A UUU, B UU-, C -- (unrated)
    async fn campaign() -> (Store, crate::db::entities::campaign::Model) {
        let store = crate::testing::fresh_store().await;
        let db = store.db().clone();
        let campaign = crate::campaign::create(
            &db,
            NewCampaign {
                overlap: 3,
                category_field: Some("topic".into()),
                ..NewCampaign::new("mp", "Model pages")
            },
        )
        .await
        .unwrap();
        let topics = [Some("a"), Some("a"), Some("b"), None];
        let mut models = Vec::new();
        for name in ["A", "B", "C"] {
            models.push(
                crate::campaign::models::ensure(&db, name, name)
                    .await
                    .unwrap()
                    .id,
            );
        }
        let votes = [
            ["UUU", "DDD", "UUD"],
            ["UUD", "UDD", "DDD"],
            ["DDD", "UUU", "UUU"],
            ["UUU", "UU", ""],
        ];
        let users = [
            guests::browser_annotator(&db, "r1").await.unwrap().id,
            guests::browser_annotator(&db, "r2").await.unwrap().id,
            guests::browser_annotator(&db, "r3").await.unwrap().id,
        ];
        for (p, topic) in topics.iter().enumerate() {
            let text = format!("Prompt {p}");
            let prompt = prompts::insert(
                &db,
                campaign.id,
                &NewPrompt {
                    text: &text,
                    metadata: topic.map(|t| serde_json::json!({"topic": t})),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            let rows = models
                .iter()
                .enumerate()
                .map(|(m, &id)| {
                    let len = if m == 0 && p < 2 { 600 } else { 50 };
                    NewResponse::for_prompt(&prompt, id, format!("{m}{}", "x".repeat(len)))
                })
                .collect();
            responses::add_many(&db, campaign.id, rows).await.unwrap();
        }
        crate::campaign::categories::recompute(&db, &campaign)
            .await
            .unwrap();
        use sea_orm::{EntityTrait, QueryOrder};
        let ids: Vec<i32> = crate::db::entities::generation::Entity::find()
            .order_by_asc(crate::db::entities::generation::Column::Id)
            .all(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|g| g.id)
            .collect();
        for (i, id) in ids.into_iter().enumerate() {
            for (u, vote) in votes[i / 3][i % 3].chars().enumerate() {
                let label = if vote == 'U' { Label::Up } else { Label::Down };
                rate::rate(&store, users[u], NewRating::new(id, label))
                    .await
                    .unwrap();
            }
        }
        (store, campaign)
    }

    #[tokio::test]
    async fn a_model_page_breaks_its_rate_down_and_compares_it_with_the_others() {
        let (store, campaign) = campaign().await;
        let db = store.db();
        let page = model_page(db, &Outcomes::default(), &campaign, "A", Utc::now(), true)
            .await
            .unwrap();
        assert_eq!((page.standing.up, page.standing.down), (8, 4));
        assert_eq!((page.prompts, page.models), (4, 3));
        let slices = |s: &[RateSlice]| -> Vec<(String, u64, u64, u64)> {
            s.iter()
                .map(|s| (s.label.clone(), s.responses, s.up, s.down))
                .collect()
        };
        assert_eq!(
            slices(&page.by_category),
            [
                ("a".into(), 2, 5, 1),
                ("(none)".into(), 1, 3, 0),
                ("b".into(), 1, 0, 3)
            ]
        );
        assert_eq!(
            slices(&page.by_length),
            [
                ("under 200 chars".into(), 2, 3, 3),
                ("500–999 chars".into(), 2, 5, 1)
            ]
        );
        // Pairs alike: UUU 3, UUD 1, DDD 3, UUU 3 of 4 × 3.
        let agreement = page.agreement.unwrap();
        assert_eq!((agreement.pairs, agreement.responses), (12, 4));
        assert!((agreement.share - 10.0 / 12.0).abs() < 1e-12);
        // Against B: prompt 0 win, 1 tie (both 👍? A UUD up, B UDD down: win), 2 loss,
        // 3 tie (both 👍). Against C: 0 tie, 1 win, 2 loss (3: C unrated).
        let h2h: Vec<(String, u64, u64, u64, u64)> = page
            .head_to_head
            .iter()
            .map(|h| (h.model.clone(), h.prompts, h.wins, h.losses, h.ties))
            .collect();
        assert_eq!(h2h, [("B".into(), 4, 2, 1, 1), ("C".into(), 3, 1, 1, 1)]);
        assert_eq!(page.strengths.len(), 3);
        assert!(page.strengths.iter().all(|s| s.strength.is_some()));
        // B lost most of its decided prompts (to A 2–1, to C 0–1): weakest. C, which
        // lost none to B, edges out A.
        let order: Vec<&str> = page.strengths.iter().map(|s| s.model.as_str()).collect();
        assert_eq!(order, ["C", "A", "B"], "{:?}", page.strengths);
        let clustered = page.clustered.unwrap();
        assert!(clustered.low < clustered.estimate && clustered.estimate < clustered.high);
        // Admins see the clearest responses each way.
        let best: Vec<(u64, u64)> = page.best.iter().map(|r| (r.up, r.down)).collect();
        assert_eq!(best, [(3, 0), (3, 0), (2, 1)]);
        assert_eq!(page.worst.len(), 1);
        assert_eq!(page.worst[0].prompt, "Prompt 2");
        // Others do not.
        let public = model_page(db, &Outcomes::default(), &campaign, "A", Utc::now(), false)
            .await
            .unwrap();
        assert!(public.best.is_empty() && public.worst.is_empty());
        let err = model_page(db, &Outcomes::default(), &campaign, "Z", Utc::now(), false)
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "model Z does not exist");
    }

    #[tokio::test]
    async fn the_board_filters_by_category_and_the_categories_follow_the_field() {
        use crate::board::leaderboard::{categories, filtered};
        let (store, campaign) = campaign().await;
        let db = store.db();
        let board = filtered(db, &campaign, Utc::now(), 1, Some("a"))
            .await
            .unwrap();
        let lines: Vec<(String, u64, u64, u64)> = board
            .models
            .iter()
            .map(|m| (m.model.clone(), m.up, m.down, m.responses))
            .collect();
        assert_eq!(
            lines,
            [
                ("A".into(), 5, 1, 2),
                ("C".into(), 2, 4, 2),
                ("B".into(), 1, 5, 2)
            ]
        );
        assert_eq!(board.category.as_deref(), Some("a"));
        let none = filtered(db, &campaign, Utc::now(), 1, Some(NO_CATEGORY))
            .await
            .unwrap();
        assert_eq!(none.models.iter().map(|m| m.responses).sum::<u64>(), 3);
        assert_eq!(
            categories(db, &campaign).await.unwrap(),
            [("a".into(), 2), ("(none)".into(), 1), ("b".into(), 1)]
        );
        // Another field, then none: every prompt's category follows.
        let renamed = crate::campaign::update(
            db,
            "mp",
            NewCampaign {
                overlap: 3,
                category_field: Some("missing".into()),
                ..NewCampaign::new("mp", "Model pages")
            },
        )
        .await
        .unwrap();
        assert_eq!(
            categories(db, &renamed).await.unwrap(),
            [("(none)".into(), 4)]
        );
        let cleared = crate::campaign::update(
            db,
            "mp",
            NewCampaign {
                overlap: 3,
                ..NewCampaign::new("mp", "Model pages")
            },
        )
        .await
        .unwrap();
        assert!(categories(db, &cleared).await.unwrap().is_empty());
        let err = filtered(db, &cleared, Utc::now(), 1, Some("a"))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("names no category field"), "{err}");
    }

    #[test]
    fn length_buckets_say_their_range() {
        assert_eq!(length_label(0), "under 200 chars");
        assert_eq!(length_label(1), "200–499 chars");
        assert_eq!(length_label(4), "2000 chars or more");
    }
}
