//! A person who rates (or administers). Until accounts exist, annotators are identified per
//! browser: `browser_key` holds the SHA-256 of that browser's identity cookie, never the
//! cookie itself.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub name: String,
    /// `annotator` or `admin`.
    pub role: String,
    pub disabled: bool,
    #[sea_orm(unique)]
    pub browser_key: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::rating::Entity")]
    Rating,
}

impl Related<super::rating::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Rating.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
