//! Server-side plumbing shared by the server functions: the database handle and who is
//! asking, both taken from the request's context, plus conversions from domain types.

use leptos::prelude::use_context;
use swipeset_core::{DatabaseConnection, Store};

use super::ApiError;
use super::types::{
    CampaignInfo, Card, Label, ProgressReply, RateReply, RateStatus, SkipReply, UndoReply,
};

/// The random identity a browser carries in its `swipeset_annotator` cookie. The server's
/// identity middleware puts it in the request's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserIdentity(pub String);

/// The database, provided as context by the server for every render and server function.
pub fn store() -> Result<Store, ApiError> {
    use_context::<Store>()
        .ok_or_else(|| ApiError::internal("the server did not provide a database connection"))
}

/// The identity of the browser making this request.
pub fn browser_identity() -> Result<BrowserIdentity, ApiError> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<BrowserIdentity>().cloned())
        .ok_or_else(|| ApiError::internal("the request carries no browser identity"))
}

/// The annotator behind this browser, created on first use (for anything that stores).
pub async fn annotator_id(db: &DatabaseConnection) -> Result<i32, ApiError> {
    let identity = browser_identity()?;
    Ok(
        swipeset_core::annotators::browser_annotator(db, &identity.0)
            .await?
            .id,
    )
}

/// The annotator behind this browser, if they have rated before (looking creates nobody).
pub async fn current_annotator_id(db: &DatabaseConnection) -> Result<Option<i32>, ApiError> {
    let identity = browser_identity()?;
    Ok(
        swipeset_core::annotators::find_browser_annotator(db, &identity.0)
            .await?
            .map(|user| user.id),
    )
}

impl From<Label> for swipeset_core::Label {
    fn from(label: Label) -> Self {
        match label {
            Label::Up => swipeset_core::Label::Up,
            Label::Down => swipeset_core::Label::Down,
        }
    }
}

impl From<swipeset_core::Label> for Label {
    fn from(label: swipeset_core::Label) -> Self {
        match label {
            swipeset_core::Label::Up => Label::Up,
            swipeset_core::Label::Down => Label::Down,
        }
    }
}

impl From<&swipeset_core::entities::campaign::Model> for CampaignInfo {
    fn from(c: &swipeset_core::entities::campaign::Model) -> Self {
        Self {
            slug: c.slug.clone(),
            title: c.title.clone(),
            guidelines: c.guidelines.clone(),
            reveal_models: c.reveal_models,
        }
    }
}

impl From<swipeset_core::cards::Card> for Card {
    fn from(c: swipeset_core::cards::Card) -> Self {
        Self {
            generation_id: c.generation_id,
            prompt_id: c.prompt_id,
            prompt: c.prompt,
            system_prompt: c.system_prompt,
            response: c.response,
        }
    }
}

impl From<swipeset_core::ratings::RateOutcome> for RateReply {
    fn from(o: swipeset_core::ratings::RateOutcome) -> Self {
        Self {
            generation_id: o.generation_id,
            status: match o.status {
                swipeset_core::ratings::RateStatus::Recorded => RateStatus::Recorded,
                swipeset_core::ratings::RateStatus::AlreadyRated => RateStatus::AlreadyRated,
                swipeset_core::ratings::RateStatus::Undone => RateStatus::Undone,
                swipeset_core::ratings::RateStatus::NotNeeded => RateStatus::NotNeeded,
            },
            label: o.label.into(),
            model: o.model,
        }
    }
}

impl From<swipeset_core::ratings::UndoOutcome> for UndoReply {
    fn from(o: swipeset_core::ratings::UndoOutcome) -> Self {
        Self {
            generation_id: o.generation_id,
            undone: o.undone,
        }
    }
}

impl From<swipeset_core::skips::SkipOutcome> for SkipReply {
    fn from(o: swipeset_core::skips::SkipOutcome) -> Self {
        Self {
            generation_id: o.generation_id,
            skipped: o.skipped,
        }
    }
}

impl From<swipeset_core::campaigns::Progress> for ProgressReply {
    fn from(p: swipeset_core::campaigns::Progress) -> Self {
        Self {
            campaign: p.campaign,
            generations: p.generations,
            target: p.target,
            ratings: p.ratings,
            completed: p.completed,
            rated_by_you: p.rated_by_you,
        }
    }
}

impl From<swipeset_core::stats::Interval> for crate::api::Interval {
    fn from(i: swipeset_core::stats::Interval) -> Self {
        Self {
            estimate: i.estimate,
            low: i.low,
            high: i.high,
        }
    }
}

impl From<swipeset_core::leaderboard::Leaderboard> for crate::api::LeaderboardReply {
    fn from(b: swipeset_core::leaderboard::Leaderboard) -> Self {
        use crate::api::{
            AgreementReply, BoardProgress, ContributorLine, HourCount, ModelStanding,
        };
        Self {
            campaign: b.campaign,
            title: b.title,
            min_votes: b.min_votes,
            models: b
                .models
                .into_iter()
                .map(|m| ModelStanding {
                    model: m.model,
                    up: m.up,
                    down: m.down,
                    votes: m.votes,
                    rate: m.rate.map(Into::into),
                    rank: m.rank,
                    preliminary: m.preliminary,
                    responses: m.responses,
                    rated_responses: m.rated_responses,
                })
                .collect(),
            progress: BoardProgress {
                ratings: b.progress.ratings,
                target: b.progress.target,
                responses: b.progress.responses,
                completed: b.progress.completed,
                active_annotators: b.progress.active_annotators,
                per_hour: b
                    .progress
                    .per_hour
                    .into_iter()
                    .map(|h| HourCount {
                        hour: h.hour.to_rfc3339(),
                        ratings: h.ratings,
                    })
                    .collect(),
            },
            agreement: b.agreement.map(|a| AgreementReply {
                alpha: a.alpha,
                low: a.low,
                high: a.high,
                units: a.units,
            }),
            contributors: b
                .contributors
                .into_iter()
                .map(|c| ContributorLine {
                    name: c.name,
                    ratings: c.ratings,
                    compared: c.compared,
                    agreement: c.agreement,
                })
                .collect(),
        }
    }
}

/// The export page's preview of a planned export (or of why there is none).
pub fn export_preview(
    chosen: &swipeset_core::entities::campaign::Model,
    choices: &[swipeset_core::entities::campaign::Model],
    export: Option<&swipeset_core::export::Export>,
    problem: Option<String>,
) -> super::types::ExportPlanReply {
    use super::types::{CampaignChoice, DroppedLine, ExportPlanReply};
    let plan = export.map(|e| e.plan().clone()).unwrap_or_default();
    ExportPlanReply {
        campaign: chosen.slug.clone(),
        title: chosen.title.clone(),
        campaigns: choices
            .iter()
            .map(|c| CampaignChoice {
                slug: c.slug.clone(),
                title: c.title.clone(),
            })
            .collect(),
        rows: plan.rows,
        responses: plan.responses,
        labelled: plan.labelled,
        dropped: plan
            .dropped
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(reason, n)| DroppedLine {
                reason: reason.describe().to_string(),
                count: *n,
            })
            .collect(),
        prompts_with_pairs: plan.prompts_with_pairs,
        prompts_one_sided: plan.prompts_one_sided,
        pairs_over_cap: plan.pairs_over_cap,
        file_name: export.map(|e| e.download_name(false)).unwrap_or_default(),
        zip_name: export.map(|e| e.download_name(true)).unwrap_or_default(),
        problem,
    }
}
