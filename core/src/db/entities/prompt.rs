//! A prompt of a campaign. `content_hash` is unique per campaign, so importing the same
//! prompt twice adds it once.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "prompt")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub campaign_id: i32,
    pub text: String,
    pub system_prompt: Option<String>,
    /// Free-form metadata carried from the import (source file, tags, ...).
    pub metadata: Option<Json>,
    /// Hex SHA-256 of the normalised text; see `crate::campaign::prompts::content_hash`.
    pub content_hash: String,
    pub created_at: DateTimeUtc,
    /// Where the prompt is a conversation, its turns between the system message and the
    /// last user turn (`text`), as JSON text `[{"role", "content"}]`
    /// (`crate::campaign::conversation`). Text rather than JSON so SQLite's writer reads it
    /// like any other column.
    pub history: Option<String>,
    /// Its metadata's value under the campaign's category field
    /// (`crate::campaign::categories`), kept so grouping by it reads no JSON.
    pub category: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::campaign::Entity",
        from = "Column::CampaignId",
        to = "super::campaign::Column::Id",
        on_delete = "Cascade"
    )]
    Campaign,
    #[sea_orm(has_many = "super::generation::Entity")]
    Generation,
}

impl Related<super::campaign::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Campaign.def()
    }
}

impl Related<super::generation::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Generation.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
