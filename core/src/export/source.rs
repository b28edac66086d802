//! Reading an export out of the database: first a plan (how many rows, which responses are
//! dropped and why) from the vote counters alone, then the rows themselves a page at a
//! time, so memory holds one page whatever the size of the campaign. Both run inside one
//! read transaction (`super::Export`), so the plan and the rows describe the same data.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};
use serde::Serialize;

use super::policy::{DropReason, Policy};
use super::table::{Cell, Meta, Row, completion_cell, meta_cell, prompt_cell};
use super::weighted::Posteriors;
use super::{ExportOptions, Kind};
use crate::CoreResult;
use crate::accounts::pseudonyms::annotator_id;
use crate::campaign::conversation::{self, Turn};
use crate::db::entities::{campaign, generation, prompt, rating, user};

/// Prompts read per page of a KTO or DPO export (their responses come with them).
const PROMPT_PAGE: u64 = 1_024;
/// Ratings read per page of a ratings export.
const RATING_PAGE: u64 = 8_192;

/// What an export will hold, known before its first row is written.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Plan {
    /// Rows the data file will have.
    pub rows: u64,
    /// Prompts in the campaign.
    pub prompts: u64,
    /// Responses in the campaign.
    pub responses: u64,
    /// Responses with a label under the policy.
    pub labelled: u64,
    /// Responses without one, by reason.
    pub dropped: BTreeMap<DropReason, u64>,
    /// Per model id: responses labelled 👍 and 👎.
    pub labels_by_model: BTreeMap<i32, (u64, u64)>,
    /// DPO: prompts that gave at least one pair.
    pub prompts_with_pairs: u64,
    /// DPO: prompts with labelled responses of one kind only, so no pair.
    pub prompts_one_sided: u64,
    /// DPO: pairs left out by the per-prompt cap.
    pub pairs_over_cap: u64,
    /// Per model id: the generation parameters recorded on one of its responses, as JSON.
    pub params_by_model: BTreeMap<i32, String>,
}

/// How a response's label is decided: from its vote counts, or under `weighted` from the
/// campaign's fit.
#[derive(Debug, Clone)]
pub struct Labeller {
    policy: Policy,
    posteriors: Option<std::sync::Arc<Posteriors>>,
}

impl Labeller {
    pub fn new(policy: Policy, posteriors: Option<std::sync::Arc<Posteriors>>) -> Self {
        Self { policy, posteriors }
    }

    /// Under `weighted`, what the dataset card says about the fit.
    pub fn fit(&self) -> Option<&super::weighted::FitSummary> {
        self.posteriors.as_deref().map(|p| &p.summary)
    }

    /// The label of response `id` with `up` 👍 and `down` 👎, and under `weighted` its
    /// P(👍); or why it has no label.
    pub fn decide(&self, id: i32, up: u32, down: u32) -> Result<(bool, Option<f64>), DropReason> {
        match &self.posteriors {
            Some(posteriors) if self.policy.is_weighted() => {
                let Some((p_up, side)) = posteriors.of(id) else {
                    return Err(DropReason::TooFewVotes);
                };
                self.policy
                    .decide_weighted(up.saturating_add(down), p_up, side)
                    .map(|label| (label, Some(p_up)))
            }
            _ => self.policy.decide(up, down).map(|label| (label, None)),
        }
    }
}

#[derive(Debug, FromQueryResult)]
struct Votes {
    id: i32,
    prompt_id: i32,
    model_id: i32,
    up_count: i32,
    down_count: i32,
    params: Option<serde_json::Value>,
}

fn count(value: i32) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

/// Plans an export of `campaign` from its counters: one narrow pass over the campaign's
/// responses (labels, drops, pairs, and the models' recorded parameters for the card);
/// for ratings also a count.
pub async fn plan(
    db: &impl ConnectionTrait,
    campaign: &campaign::Model,
    options: &ExportOptions,
    labeller: &Labeller,
) -> CoreResult<Plan> {
    let mut plan = Plan {
        prompts: prompt::Entity::find()
            .filter(prompt::Column::CampaignId.eq(campaign.id))
            .count(db)
            .await?,
        ..Plan::default()
    };
    let votes = generation::Entity::find()
        .select_only()
        .columns([
            generation::Column::Id,
            generation::Column::PromptId,
            generation::Column::ModelId,
            generation::Column::UpCount,
            generation::Column::DownCount,
            generation::Column::Params,
        ])
        .filter(generation::Column::CampaignId.eq(campaign.id))
        // Hidden by an admin: not in the data (the card counts them apart); nor are gold
        // cards, which measure raters.
        .filter(generation::Column::HiddenAt.is_null())
        .filter(generation::Column::GoldLabel.is_null())
        .into_model::<Votes>()
        .all(db)
        .await?;
    // Per prompt: labelled 👍 and 👎 responses.
    let mut sides: HashMap<i32, (u64, u64)> = HashMap::new();
    for v in &votes {
        plan.responses += 1;
        if let Some(params) = &v.params {
            plan.params_by_model
                .entry(v.model_id)
                .or_insert_with(|| params.to_string());
        }
        match labeller.decide(v.id, count(v.up_count), count(v.down_count)) {
            Ok((label, _)) => {
                plan.labelled += 1;
                let by_model = plan.labels_by_model.entry(v.model_id).or_default();
                let by_prompt = sides.entry(v.prompt_id).or_default();
                if label {
                    by_model.0 += 1;
                    by_prompt.0 += 1;
                } else {
                    by_model.1 += 1;
                    by_prompt.1 += 1;
                }
            }
            Err(reason) => *plan.dropped.entry(reason).or_default() += 1,
        }
    }
    match options.kind {
        Kind::Kto => plan.rows = plan.labelled,
        Kind::Dpo => {
            for (ups, downs) in sides.into_values() {
                let pairs = ups * downs;
                if pairs == 0 {
                    plan.prompts_one_sided += 1;
                    continue;
                }
                let kept = options
                    .max_pairs_per_prompt
                    .map_or(pairs, |cap| pairs.min(u64::from(cap)));
                plan.prompts_with_pairs += 1;
                plan.pairs_over_cap += pairs - kept;
                plan.rows += kept;
            }
        }
        Kind::Ratings => {
            plan.rows = rating::Entity::find()
                .join(JoinType::InnerJoin, rating::Relation::Generation.def())
                .filter(generation::Column::CampaignId.eq(campaign.id))
                .count(db)
                .await?;
        }
    }
    Ok(plan)
}

/// How many of the campaign's prompts are conversations: the standard variant has no way
/// to write them.
pub async fn conversations(db: &impl ConnectionTrait, campaign_id: i32) -> CoreResult<u64> {
    Ok(prompt::Entity::find()
        .filter(prompt::Column::CampaignId.eq(campaign_id))
        .filter(prompt::Column::History.is_not_null())
        .count(db)
        .await?)
}

/// The keys of the campaign's prompts' and responses' metadata, sorted: one bounded read of
/// a column per table (prompts and responses, never ratings).
pub async fn metadata_keys(
    db: &impl ConnectionTrait,
    campaign_id: i32,
) -> CoreResult<(Vec<String>, Vec<String>)> {
    fn keys(objects: Vec<Option<serde_json::Value>>) -> Vec<String> {
        let mut keys = std::collections::BTreeSet::new();
        for object in objects.into_iter().flatten() {
            if let serde_json::Value::Object(map) = object {
                keys.extend(map.into_iter().map(|(k, _)| k));
            }
        }
        keys.into_iter().collect()
    }
    let prompts: Vec<Option<serde_json::Value>> = prompt::Entity::find()
        .select_only()
        .column(prompt::Column::Metadata)
        .filter(prompt::Column::CampaignId.eq(campaign_id))
        .filter(prompt::Column::Metadata.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    let responses: Vec<Option<serde_json::Value>> = generation::Entity::find()
        .select_only()
        .column(generation::Column::Metadata)
        .filter(generation::Column::CampaignId.eq(campaign_id))
        .filter(generation::Column::Metadata.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    Ok((keys(prompts), keys(responses)))
}

#[derive(Debug, FromQueryResult)]
struct PromptRow {
    id: i32,
    text: String,
    system_prompt: Option<String>,
    history: Option<String>,
    metadata: Option<serde_json::Value>,
}

#[derive(Debug, FromQueryResult)]
struct ResponseRow {
    id: i32,
    prompt_id: i32,
    model_id: i32,
    text: String,
    up_count: i32,
    down_count: i32,
    metadata: Option<serde_json::Value>,
}

#[derive(Debug, FromQueryResult)]
struct RatingRow {
    id: i32,
    user_id: i32,
    label: bool,
    created_at: DateTime<Utc>,
    decision_ms: Option<i32>,
    generation_id: i32,
    model_id: i32,
    completion: String,
    prompt: String,
    system_prompt: Option<String>,
    history: Option<String>,
    prompt_metadata: Option<serde_json::Value>,
    response_metadata: Option<serde_json::Value>,
    annotator_name: String,
}

/// A labelled response, as the rows of KTO and DPO need it.
struct Labelled<'a> {
    generation: &'a ResponseRow,
    label: bool,
    up: u32,
    down: u32,
    /// Under `weighted`, P(👍).
    p_up: Option<f64>,
}

impl Labelled<'_> {
    /// The share of votes that agree with the label.
    fn agreement(&self) -> f64 {
        f64::from(self.up.max(self.down)) / f64::from(self.up + self.down)
    }

    /// How clearly the votes back the label: for picking the strongest pairs first.
    fn margin(&self) -> u32 {
        self.up.abs_diff(self.down)
    }

    fn votes(&self) -> u32 {
        self.up.saturating_add(self.down)
    }
}

/// The rows of an export, a page at a time, in a stable order (by prompt, then response;
/// ratings by id).
pub struct Scan {
    options: ExportOptions,
    labeller: Labeller,
    secret: String,
    campaign: campaign::Model,
    models: HashMap<i32, String>,
    /// The metadata columns after the fixed ones, in order.
    meta: Vec<Meta>,
    after: i32,
    done: bool,
}

impl Scan {
    pub fn new(
        options: ExportOptions,
        labeller: Labeller,
        secret: String,
        campaign: campaign::Model,
        models: HashMap<i32, String>,
        meta: Vec<Meta>,
    ) -> Self {
        Self {
            options,
            labeller,
            secret,
            campaign,
            models,
            meta,
            after: 0,
            done: false,
        }
    }

    /// The metadata cells of a row, from its prompt's and its responses' metadata.
    fn meta_cells(
        &self,
        row: &mut Row,
        prompt: Option<&serde_json::Value>,
        response: Option<&serde_json::Value>,
        rejected: Option<&serde_json::Value>,
    ) {
        row.extend(self.meta.iter().map(|meta| match meta {
            Meta::Prompt(key) => meta_cell(prompt, key),
            Meta::Response(key) | Meta::Chosen(key) => meta_cell(response, key),
            Meta::Rejected(key) => meta_cell(rejected, key),
        }));
    }

    fn model(&self, id: i32) -> Cell {
        Cell::Text(
            self.models
                .get(&id)
                .cloned()
                .unwrap_or_else(|| format!("model {id}")),
        )
    }

    /// The next page of rows (possibly empty), or `None` when the scan is over.
    pub async fn next_page(&mut self, db: &impl ConnectionTrait) -> CoreResult<Option<Vec<Row>>> {
        if self.done {
            return Ok(None);
        }
        let rows = match self.options.kind {
            Kind::Ratings => self.ratings_page(db).await?,
            Kind::Kto | Kind::Dpo => self.prompts_page(db).await?,
        };
        Ok(rows)
    }

    async fn prompts_page(&mut self, db: &impl ConnectionTrait) -> CoreResult<Option<Vec<Row>>> {
        let prompts = prompt::Entity::find()
            .select_only()
            .columns([
                prompt::Column::Id,
                prompt::Column::Text,
                prompt::Column::SystemPrompt,
                prompt::Column::History,
                prompt::Column::Metadata,
            ])
            // `+ 0` keeps SQLite's planner off the campaign index, so the page is a range of
            // the primary key instead of a sort of the whole campaign every time.
            .filter(
                Expr::col((prompt::Entity, prompt::Column::CampaignId))
                    .add(0)
                    .eq(self.campaign.id),
            )
            .filter(prompt::Column::Id.gt(self.after))
            .order_by_asc(prompt::Column::Id)
            .limit(PROMPT_PAGE)
            .into_model::<PromptRow>()
            .all(db)
            .await?;
        let Some(last) = prompts.last() else {
            self.done = true;
            return Ok(None);
        };
        self.after = last.id;
        // By prompt id alone: the prompt index finds each prompt's few responses.
        let mut generations = generation::Entity::find()
            .select_only()
            .columns([
                generation::Column::Id,
                generation::Column::PromptId,
                generation::Column::ModelId,
                generation::Column::Text,
                generation::Column::UpCount,
                generation::Column::DownCount,
                generation::Column::Metadata,
            ])
            .filter(generation::Column::PromptId.is_in(prompts.iter().map(|p| p.id)))
            .filter(generation::Column::HiddenAt.is_null())
            .filter(generation::Column::GoldLabel.is_null())
            .into_model::<ResponseRow>()
            .all(db)
            .await?;
        generations.sort_unstable_by_key(|g| (g.prompt_id, g.id));
        let mut by_prompt: HashMap<i32, Vec<Labelled>> = HashMap::new();
        for generation in &generations {
            let (up, down) = (count(generation.up_count), count(generation.down_count));
            if let Ok((label, p_up)) = self.labeller.decide(generation.id, up, down) {
                by_prompt
                    .entry(generation.prompt_id)
                    .or_default()
                    .push(Labelled {
                        generation,
                        label,
                        up,
                        down,
                        p_up,
                    });
            }
        }
        let mut rows = Vec::new();
        for prompt in &prompts {
            let Some(labelled) = by_prompt.get(&prompt.id) else {
                continue;
            };
            match self.options.kind {
                Kind::Kto => self.kto_rows(prompt, labelled, &mut rows),
                _ => self.dpo_rows(prompt, labelled, &mut rows),
            }
        }
        Ok(Some(rows))
    }

    fn prompt_cell(&self, prompt: &PromptRow, history: &[Turn]) -> Cell {
        prompt_cell(
            self.options.variant,
            &prompt.text,
            prompt
                .system_prompt
                .as_deref()
                .or(self.campaign.system_prompt.as_deref()),
            history,
        )
    }

    fn kto_rows(&self, prompt: &PromptRow, labelled: &[Labelled], rows: &mut Vec<Row>) {
        let history = conversation::from_text(prompt.history.as_deref());
        for l in labelled {
            let mut row = vec![
                self.prompt_cell(prompt, &history),
                completion_cell(self.options.variant, &l.generation.text),
                Cell::Bool(l.label),
                self.model(l.generation.model_id),
                Cell::Int(l.up.into()),
                Cell::Int(l.down.into()),
                Cell::Float(l.agreement()),
                Cell::Text(self.campaign.slug.clone()),
                Cell::Int(l.generation.id.into()),
                Cell::Int(l.generation.id.into()),
            ];
            if let Some(p_up) = l.p_up {
                row.push(Cell::Float(p_up));
            }
            let response = l.generation.metadata.as_ref();
            self.meta_cells(&mut row, prompt.metadata.as_ref(), response, None);
            rows.push(row);
        }
    }

    /// Pairs every 👍 response of a prompt with every 👎 one, strongest first: both sides
    /// sorted by how clearly their votes back them, pairs taken along the diagonals so a
    /// cap keeps the clearest pairs and still spreads over many responses.
    fn dpo_rows(&self, prompt: &PromptRow, labelled: &[Labelled], rows: &mut Vec<Row>) {
        let side = |label: bool| {
            let mut side: Vec<&Labelled> = labelled.iter().filter(|l| l.label == label).collect();
            side.sort_by(|a, b| {
                b.margin()
                    .cmp(&a.margin())
                    .then(b.votes().cmp(&a.votes()))
                    .then(a.generation.id.cmp(&b.generation.id))
            });
            side
        };
        let (chosen, rejected) = (side(true), side(false));
        let mut pairs: Vec<(usize, usize)> = (0..chosen.len())
            .flat_map(|i| (0..rejected.len()).map(move |j| (i, j)))
            .collect();
        pairs.sort_by_key(|&(i, j)| (i + j, i));
        let cap = self
            .options
            .max_pairs_per_prompt
            .map_or(usize::MAX, |cap| cap as usize);
        let history = conversation::from_text(prompt.history.as_deref());
        for (i, j) in pairs.into_iter().take(cap) {
            let (good, bad) = (chosen[i].generation, rejected[j].generation);
            let mut row = vec![
                self.prompt_cell(prompt, &history),
                completion_cell(self.options.variant, &good.text),
                completion_cell(self.options.variant, &bad.text),
                self.model(good.model_id),
                self.model(bad.model_id),
                Cell::Text(self.campaign.slug.clone()),
                Cell::Int(good.id.into()),
                Cell::Int(bad.id.into()),
                Cell::Int(good.id.into()),
                Cell::Int(bad.id.into()),
            ];
            self.meta_cells(
                &mut row,
                prompt.metadata.as_ref(),
                good.metadata.as_ref(),
                bad.metadata.as_ref(),
            );
            rows.push(row);
        }
    }

    async fn ratings_page(&mut self, db: &impl ConnectionTrait) -> CoreResult<Option<Vec<Row>>> {
        let ratings = rating::Entity::find()
            .select_only()
            .columns([
                rating::Column::Id,
                rating::Column::UserId,
                rating::Column::Label,
                rating::Column::CreatedAt,
                rating::Column::DecisionMs,
                rating::Column::GenerationId,
            ])
            .column(generation::Column::ModelId)
            .column_as(generation::Column::Text, "completion")
            .column_as(prompt::Column::Text, "prompt")
            .column(prompt::Column::SystemPrompt)
            .column(prompt::Column::History)
            .column_as(prompt::Column::Metadata, "prompt_metadata")
            .column_as(generation::Column::Metadata, "response_metadata")
            .column_as(user::Column::Name, "annotator_name")
            .join(JoinType::InnerJoin, rating::Relation::Generation.def())
            .join(JoinType::InnerJoin, generation::Relation::Prompt.def())
            .join(JoinType::InnerJoin, rating::Relation::User.def())
            // As for prompts: walk the ratings' primary key, never sort the campaign's.
            .filter(
                Expr::col((generation::Entity, generation::Column::CampaignId))
                    .add(0)
                    .eq(self.campaign.id),
            )
            .filter(rating::Column::Id.gt(self.after))
            .order_by_asc(rating::Column::Id)
            .limit(RATING_PAGE)
            .into_model::<RatingRow>()
            .all(db)
            .await?;
        let Some(last) = ratings.last() else {
            self.done = true;
            return Ok(None);
        };
        self.after = last.id;
        let variant = self.options.variant;
        let rows = ratings
            .iter()
            .map(|r| {
                let history = conversation::from_text(r.history.as_deref());
                let system = r
                    .system_prompt
                    .as_deref()
                    .or(self.campaign.system_prompt.as_deref());
                let mut row = vec![
                    prompt_cell(variant, &r.prompt, system, &history),
                    completion_cell(variant, &r.completion),
                    self.model(r.model_id),
                    Cell::Bool(r.label),
                    Cell::Text(annotator_id(&self.secret, self.campaign.id, r.user_id)),
                    Cell::Time(r.created_at),
                    Cell::OptInt(r.decision_ms.map(i64::from)),
                    Cell::Text(self.campaign.slug.clone()),
                    Cell::Int(r.generation_id.into()),
                    Cell::Int(r.generation_id.into()),
                ];
                if self.options.annotator_names {
                    row.push(Cell::Text(r.annotator_name.clone()));
                }
                let (prompt, response) = (r.prompt_metadata.as_ref(), r.response_metadata.as_ref());
                self.meta_cells(&mut row, prompt, response, None);
                row
            })
            .collect();
        Ok(Some(rows))
    }
}
