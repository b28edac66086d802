//! Prompt identity. Two prompts are the same when their normalised text is the same, so
//! re-importing a file (or a copy with different spacing) adds nothing.

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use sha2::{Digest, Sha256};

use crate::CoreResult;
use crate::campaign::conversation::{self, Turn};
use crate::db::entities::prompt;

/// Trims and collapses runs of whitespace. Case is left alone: it carries meaning in
/// prompts ("US" and "us").
pub fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Hex SHA-256 of the normalised text and optional system prompt: the per-campaign
/// deduplication key stored in `prompt.content_hash`.
pub fn content_hash(text: &str, system_prompt: Option<&str>) -> String {
    conversation_hash(text, system_prompt, &[])
}

/// As `content_hash`, for a conversation: two conversations that end in the same user
/// turn are different prompts. Without history it is `content_hash`, so single-turn prompts
/// kept their identity when conversations came.
pub fn conversation_hash(text: &str, system_prompt: Option<&str>, history: &[Turn]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(normalise(text).as_bytes());
    if let Some(system) = system_prompt {
        // A separator that normalised text cannot contain keeps ("a", "b c") apart from ("a b", "c").
        hasher.update(b"\0system\0");
        hasher.update(normalise(system).as_bytes());
    }
    for turn in history {
        hasher.update(b"\0turn\0");
        hasher.update(turn.role.as_bytes());
        hasher.update(b"\0");
        hasher.update(normalise(&turn.content).as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// A prompt to add: its text (the last user turn of a conversation), and the rest.
#[derive(Debug, Clone, Default)]
pub struct NewPrompt<'a> {
    pub text: &'a str,
    pub system: Option<&'a str>,
    pub history: &'a [Turn],
    pub metadata: Option<serde_json::Value>,
}

impl NewPrompt<'_> {
    pub fn hash(&self) -> String {
        conversation_hash(self.text, self.system, self.history)
    }

    /// The row to insert into `campaign_id`.
    pub fn row(&self, campaign_id: i32) -> prompt::ActiveModel {
        prompt::ActiveModel {
            campaign_id: Set(campaign_id),
            text: Set(self.text.to_string()),
            system_prompt: Set(self.system.map(str::to_string)),
            metadata: Set(self.metadata.clone()),
            content_hash: Set(self.hash()),
            history: Set(conversation::to_text(self.history)),
            created_at: Set(chrono::Utc::now()),
            ..Default::default()
        }
    }
}

/// How many prompts the campaign has.
pub async fn count(db: &impl ConnectionTrait, campaign_id: i32) -> CoreResult<u64> {
    Ok(prompt::Entity::find()
        .filter(prompt::Column::CampaignId.eq(campaign_id))
        .count(db)
        .await?)
}

/// Adds a prompt to a campaign. The unique (campaign, content hash) index refuses a prompt
/// the campaign already has.
pub async fn add(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    text: &str,
    system_prompt: Option<&str>,
    metadata: Option<serde_json::Value>,
) -> CoreResult<prompt::Model> {
    let new = NewPrompt {
        text,
        system: system_prompt,
        history: &[],
        metadata,
    };
    insert(db, campaign_id, &new).await
}

/// Adds `new` to a campaign, as `add`.
pub async fn insert(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    new: &NewPrompt<'_>,
) -> CoreResult<prompt::Model> {
    Ok(prompt::Entity::insert(new.row(campaign_id))
        .exec_with_returning(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_does_not_change_identity() {
        assert_eq!(
            content_hash("Write a  haiku\nabout rain ", None),
            content_hash("Write a haiku about rain", None)
        );
    }

    #[test]
    fn case_and_system_prompt_do() {
        assert_ne!(content_hash("us", None), content_hash("US", None));
        assert_ne!(
            content_hash("a", Some("b c")),
            content_hash("a b", Some("c"))
        );
        assert_ne!(content_hash("a", None), content_hash("a", Some("")));
    }

    #[test]
    fn history_does_and_none_is_the_single_turn_hash() {
        let turn = |role: &str, content: &str| Turn {
            role: role.into(),
            content: content.into(),
        };
        assert_eq!(conversation_hash("a", None, &[]), content_hash("a", None));
        let one = conversation_hash("a", None, &[turn("user", "x"), turn("assistant", "y")]);
        assert_ne!(one, content_hash("a", None));
        assert_ne!(
            one,
            conversation_hash("a", None, &[turn("assistant", "x"), turn("user", "y")])
        );
        assert_eq!(
            one,
            conversation_hash("a", None, &[turn("user", " x "), turn("assistant", "y")])
        );
    }
}
