//! What admins do about raters and responses: take a careless or hostile rater's votes out
//! of a campaign (`exclusion`), see each rater's figures (`raters`), read raters' flags on
//! cards (`flags`), hide a response or delete a rating (`hiding`), with every action
//! recorded in the audit log (`audit`).

pub mod audit;
pub mod exclusion;
pub mod flags;
pub mod hiding;
pub mod raters;
pub(crate) mod set_aside;

/// Who did something, as the audit log records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// An admin, signed in on the web or with a token.
    Admin { id: i32, name: String },
    /// Someone with shell access to the server, through `swipeset …`.
    CommandLine,
}

impl Actor {
    pub fn id(&self) -> Option<i32> {
        match self {
            Actor::Admin { id, .. } => Some(*id),
            Actor::CommandLine => None,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Actor::Admin { name, .. } => name,
            Actor::CommandLine => "command line",
        }
    }
}

/// A reason as people type it: trimmed, required, and short enough to show in a list.
pub(crate) fn reason(text: &str) -> crate::CoreResult<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(crate::CoreError::invalid(
            "reason",
            "say why, for the audit log (for example `random clicking: 31% agreement`)",
        ));
    }
    if text.chars().count() > 500 {
        return Err(crate::CoreError::invalid(
            "reason",
            "at most 500 characters",
        ));
    }
    Ok(text.to_string())
}

/// A response's model as admins read it: its name, or its id where the model is gone.
pub(crate) fn model_name(
    model: Option<crate::db::entities::model::Model>,
    model_id: i32,
) -> String {
    model.map_or_else(|| format!("model {model_id}"), |m| m.name)
}

/// The response `response_id` of `campaign` with its model's name, or `NotFound` (also when
/// it belongs to another campaign: an admin acting on one campaign's page names its
/// responses).
pub(crate) async fn response_of(
    db: &impl sea_orm::ConnectionTrait,
    campaign: &crate::db::entities::campaign::Model,
    response_id: i32,
) -> crate::CoreResult<(crate::db::entities::generation::Model, String)> {
    use crate::db::entities::{generation, model};
    use sea_orm::EntityTrait;
    let found = generation::Entity::find_by_id(response_id)
        .find_also_related(model::Entity)
        .one(db)
        .await?;
    match found {
        Some((response, model)) if response.campaign_id == campaign.id => {
            let name = model_name(model, response.model_id);
            Ok((response, name))
        }
        _ => Err(crate::CoreError::not_found("response", response_id)),
    }
}
