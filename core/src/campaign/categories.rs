//! A campaign's category: one field of its prompts' metadata (`topic`, `language`) that the
//! model pages and the board's filter group by. Each prompt keeps its value in
//! `prompt.category`, so that grouping reads a column, not JSON; it is set here whenever the
//! field is named, changed, or prompts come in.

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use crate::db::entities::campaign;
use crate::db::statement;
use crate::{CoreError, CoreResult};

/// The longest field name a campaign can name.
pub const MAX_FIELD_BYTES: usize = 64;

/// Whether `field` can name a metadata field: 1 to 64 bytes, no quote, backslash or control
/// character (it goes into a JSON path on SQLite).
pub fn check_field(field: &str) -> CoreResult<()> {
    if field.len() > MAX_FIELD_BYTES {
        return Err(CoreError::invalid(
            "category_field",
            format!(
                "a metadata field name is at most {MAX_FIELD_BYTES} bytes, got {}",
                field.len()
            ),
        ));
    }
    if let Some(c) = field
        .chars()
        .find(|c| matches!(c, '"' | '\\') || c.is_control())
    {
        return Err(CoreError::invalid(
            "category_field",
            format!(
                "`{}` cannot name a metadata field: it holds {c:?}",
                field.escape_debug()
            ),
        ));
    }
    Ok(())
}

/// Sets every prompt's category from its metadata under the campaign's field (none where
/// the campaign names no field). Text values are taken as they are, other values as their
/// JSON text (`3`, `true`, `["a"]`), alike on both databases. Returns the prompts changed.
pub async fn recompute(db: &impl ConnectionTrait, campaign: &campaign::Model) -> CoreResult<u64> {
    let backend = db.get_database_backend();
    let result = match &campaign.category_field {
        None => {
            db.execute(statement(
                backend,
                "UPDATE prompt SET category = NULL WHERE campaign_id = ? AND category IS NOT NULL",
                [campaign.id.into()],
            ))
            .await?
        }
        Some(field) => {
            let (sql, key) = match backend {
                DatabaseBackend::Postgres => (
                    "UPDATE prompt SET category = metadata ->> $1 WHERE campaign_id = $2",
                    field.clone(),
                ),
                // json_extract gives a JSON boolean as 1 or 0: spelled as PostgreSQL's
                // `->>` spells it instead, so a category reads the same on both.
                _ => (
                    "UPDATE prompt SET category = CASE json_type(metadata, ?1) \
                     WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' \
                     ELSE CAST(json_extract(metadata, ?1) AS TEXT) END WHERE campaign_id = ?2",
                    format!("$.\"{field}\""),
                ),
            };
            db.execute(Statement::from_sql_and_values(
                backend,
                sql,
                [key.into(), campaign.id.into()],
            ))
            .await?
        }
    };
    Ok(result.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_name_cannot_break_out_of_its_path() {
        assert!(check_field("topic").is_ok());
        assert!(check_field("task type.v2").is_ok());
        let err = check_field("a\"b").unwrap_err().to_string();
        assert!(err.contains("cannot name a metadata field"), "{err}");
        assert!(check_field("a\\b").is_err());
        assert!(check_field("a\nb").is_err());
        assert!(check_field(&"x".repeat(65)).is_err());
    }
}
