//! One model's response to one prompt: the thing a card shows and a rating judges.
//! The counters are kept in the same transaction as each rating, so reading them never
//! needs a scan of the rating table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "generation")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Copied from the prompt so the next-card query is one indexed range scan.
    pub campaign_id: i32,
    pub prompt_id: i32,
    pub model_id: i32,
    pub text: String,
    /// The parameters the response was generated with (temperature, seed, ...).
    pub params: Option<Json>,
    pub rating_count: i32,
    pub up_count: i32,
    pub down_count: i32,
    /// Ratings plus live leases: the slots taken. A generation is offered while this is
    /// below the campaign's overlap.
    pub claimed_count: i32,
    /// A stable pseudo-random rank among generations with equal counts, so models and
    /// prompts are interleaved; see `crate::campaign::responses::order_key`.
    pub order_key: i32,
    pub created_at: DateTimeUtc,
    /// When an admin hid the response (`crate::moderation::hiding`): it is not dealt, and
    /// its ratings sit in `excluded_rating` meanwhile.
    pub hidden_at: Option<DateTimeUtc>,
    /// The label an admin expects (`crate::rating::gold`): a gold card, dealt to measure
    /// raters; its votes go to `gold_rating` and it is not one of its model's responses.
    pub gold_label: Option<bool>,
    /// In a campaign with adaptive overlap, whether its votes have settled its label
    /// (`crate::rating::adaptive`): it is dealt no more. Always `false` otherwise.
    pub settled: bool,
    /// The other fields of the row it was imported from (distilabel's `generation_params`,
    /// a source, ...), as a JSON object.
    pub metadata: Option<Json>,
    /// The response's length in characters, for the model page's buckets.
    pub length: i32,
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
    #[sea_orm(
        belongs_to = "super::prompt::Entity",
        from = "Column::PromptId",
        to = "super::prompt::Column::Id",
        on_delete = "Cascade"
    )]
    Prompt,
    #[sea_orm(
        belongs_to = "super::model::Entity",
        from = "Column::ModelId",
        to = "super::model::Column::Id"
    )]
    Model,
    #[sea_orm(has_many = "super::rating::Entity")]
    Rating,
}

impl Related<super::campaign::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Campaign.def()
    }
}

impl Related<super::prompt::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Prompt.def()
    }
}

impl Related<super::model::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Model.def()
    }
}

impl Related<super::rating::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Rating.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
