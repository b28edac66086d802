//! The models that write responses, shared by every campaign.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::db::entities::model;
use crate::{CoreError, CoreResult};

/// The model called `requested_model` by its endpoint, created with display name `name` if it is
/// new. An existing model keeps its display name.
pub async fn ensure(
    db: &impl ConnectionTrait,
    name: &str,
    requested_model: &str,
) -> CoreResult<model::Model> {
    model::Entity::insert(model::ActiveModel {
        name: Set(name.to_string()),
        requested_model: Set(requested_model.to_string()),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(model::Column::RequestedModel)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    model::Entity::find()
        .filter(model::Column::RequestedModel.eq(requested_model))
        .one(db)
        .await?
        .ok_or_else(|| CoreError::not_found("model", requested_model))
}
