//! The campaign-wide counters read back whole. A rating on PostgreSQL moves one of several
//! shards of each (`triggers::SHARDS`), so a count is the sum of its rows; a shard may even
//! hold a negative count (a response counted before migration 16 in shard 0, counted down
//! since in its own), so rows are summed first and only the sums are clamped or filtered.

use std::collections::BTreeMap;

use crate::db::entities::{model_stat, vote_pattern};

/// One row per model (with whatever `T` came along with its rows, e.g. the model itself),
/// its counts summed over the shards, in model order.
pub(crate) fn models_with<T>(rows: Vec<(model_stat::Model, T)>) -> Vec<(model_stat::Model, T)> {
    let mut merged: BTreeMap<(i32, i32), (model_stat::Model, T)> = BTreeMap::new();
    for (row, extra) in rows {
        merged
            .entry((row.campaign_id, row.model_id))
            .and_modify(|(sum, _)| {
                sum.up_count += row.up_count;
                sum.down_count += row.down_count;
                sum.responses += row.responses;
                sum.rated_responses += row.rated_responses;
            })
            .or_insert((model_stat::Model { shard: 0, ..row }, extra));
    }
    merged.into_values().collect()
}

/// [`models_with`] for rows read alone.
pub(crate) fn models(rows: Vec<model_stat::Model>) -> Vec<model_stat::Model> {
    models_with(rows.into_iter().map(|row| (row, ())).collect())
        .into_iter()
        .map(|(row, ())| row)
        .collect()
}

/// One row per 👍/👎 pattern that some responses have, their number summed over the shards.
pub(crate) fn patterns(rows: Vec<vote_pattern::Model>) -> Vec<vote_pattern::Model> {
    let mut merged: BTreeMap<(i32, i32, i32), vote_pattern::Model> = BTreeMap::new();
    for row in rows {
        merged
            .entry((row.campaign_id, row.up_count, row.down_count))
            .and_modify(|sum| sum.responses += row.responses)
            .or_insert(vote_pattern::Model { shard: 0, ..row });
    }
    merged.into_values().filter(|p| p.responses > 0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(model_id: i32, shard: i32, up: i32, down: i32) -> model_stat::Model {
        model_stat::Model {
            id: shard * 10 + model_id,
            campaign_id: 1,
            model_id,
            shard,
            up_count: up,
            down_count: down,
            responses: i32::from(shard == 0) * 5,
            rated_responses: up + down,
        }
    }

    fn pattern(shard: i32, up: i32, down: i32, responses: i32) -> vote_pattern::Model {
        vote_pattern::Model {
            id: shard,
            campaign_id: 1,
            shard,
            up_count: up,
            down_count: down,
            responses,
        }
    }

    #[test]
    fn a_models_count_is_the_sum_of_its_shards() {
        let merged = models(vec![
            model(2, 0, 1, 0),
            model(1, 0, 3, 1),
            model(1, 7, -1, 2),
        ]);
        assert_eq!(merged.len(), 2);
        assert_eq!(
            (merged[0].model_id, merged[0].up_count, merged[0].down_count),
            (1, 2, 3)
        );
        assert_eq!((merged[0].responses, merged[0].rated_responses), (5, 5));
        assert_eq!((merged[1].model_id, merged[1].up_count), (2, 1));
    }

    #[test]
    fn a_pattern_counts_once_its_shards_sum_above_zero() {
        // One response left (2, 1) in shard 0 before the shards, and came back in its own.
        let merged = patterns(vec![
            pattern(0, 2, 1, 1),
            pattern(3, 2, 1, -1),
            pattern(3, 1, 1, 1),
            pattern(5, 1, 1, 2),
        ]);
        assert_eq!(merged.len(), 1);
        assert_eq!(
            (
                merged[0].up_count,
                merged[0].down_count,
                merged[0].responses
            ),
            (1, 1, 3)
        );
    }
}
