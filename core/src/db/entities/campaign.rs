//! A campaign: one dataset project ("haiku"), with its rating rules.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaign")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub slug: String,
    pub title: String,
    /// Markdown shown to annotators before they start.
    pub guidelines: String,
    /// How many independent ratings a generation collects before it stops being offered.
    pub overlap: i32,
    /// Show the model's name after a swipe; `false` keeps rating fully blind.
    pub reveal_models: bool,
    pub created_at: DateTimeUtc,
    /// The license its dataset cards state, as a Hub license id (`cc-by-4.0`, `other`).
    pub license: String,
    /// Whether its leaderboard (and live stream) can be seen without signing in.
    pub public_board: bool,
    /// Whether it deals cards and takes ratings; a closed campaign keeps its data.
    pub open: bool,
    /// The system prompt of its prompts that have none of their own.
    pub system_prompt: Option<String>,
    /// The raters page flags a rater whose agreement's 95% upper bound is below this, in
    /// percent.
    pub flag_agreement_pct: i32,
    /// … and one who takes under this many milliseconds on most decisions.
    pub flag_fast_ms: i32,
    /// About one card in this many is a gold card, for raters' accuracy; 0 deals none.
    pub gold_every: i32,
    /// How many of its responses are gold: the rating path looks for one only when some are.
    pub gold_cards: i32,
    /// The raters page flags a rater whose gold accuracy's 95% upper bound is below this, in
    /// percent.
    pub flag_gold_pct: i32,
    /// Collect votes on a response until its label is settled (one side ahead by two),
    /// with `overlap` as the most it gets (`crate::rating::adaptive`).
    pub adaptive_overlap: bool,
    /// A guest's votes are held back from every count until they have made this many
    /// decisions, a right gold vote among them where the campaign has gold; 0: never
    /// (`crate::rating::hold_back`).
    pub guest_hold_back: i32,
    /// Cards show prompts and responses as markdown made into safe HTML on the server
    /// (`crate::campaign::markdown`); off, as written (poetry, where the lines are the text).
    pub render_markdown: bool,
    /// The metadata field (of its prompts, else of its responses) that sorts them into
    /// categories (`topic`, `language`): the model pages and the board break rates down by it.
    pub category_field: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::prompt::Entity")]
    Prompt,
    #[sea_orm(has_many = "super::generation::Entity")]
    Generation,
}

impl Related<super::prompt::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Prompt.def()
    }
}

impl Related<super::generation::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Generation.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
