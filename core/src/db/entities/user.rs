//! A person who rates (or administers). An account signs in with a password
//! (`password_hash`, an argon2id PHC string) or through OpenID Connect (`oidc_subject`); a
//! guest, where the instance allows guests, is known by its browser: `browser_key` holds
//! the SHA-256 of that browser's identity cookie, never the cookie itself.

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
    pub password_hash: Option<String>,
    /// `issuer|subject` of an OpenID Connect sign-in.
    #[sea_orm(unique)]
    pub oidc_subject: Option<String>,
    /// Whether the contributors board may show `name`; a pseudonym otherwise.
    pub show_name: bool,
    pub last_sign_in_at: Option<DateTimeUtc>,
    /// When an OpenID sign-in last confirmed the account's organisation membership.
    pub oidc_checked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::rating::Entity")]
    Rating,
    #[sea_orm(has_many = "super::api_token::Entity")]
    ApiToken,
}

impl Related<super::rating::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Rating.def()
    }
}

impl Related<super::api_token::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ApiToken.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
