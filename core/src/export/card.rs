//! The dataset card: the `README.md` beside every export, with the YAML front matter the
//! Hugging Face Hub reads (license, task, tags, size, where the data files are) and a body
//! that says honestly how the data was made: prompts, models and their parameters,
//! annotators, the label policy and what it dropped, the per-model acceptance with
//! intervals, and the agreement.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::policy::DropReason;
use super::source::Plan;
use super::table::{Column, ColumnType};
use super::{ExportOptions, Kind, Variant};
use crate::CoreResult;
use crate::board::leaderboard::{self, DEFAULT_MIN_VOTES};
use crate::db::entities::{annotator_stat, campaign, model};

/// Everything the card says, gathered before it is written.
pub struct CardInput<'a> {
    pub campaign: &'a campaign::Model,
    pub options: &'a ExportOptions,
    pub plan: &'a Plan,
    pub models: &'a [model::Model],
    pub columns: &'a [Column],
    pub data_path: &'a str,
    pub license: &'a str,
    pub now: DateTime<Utc>,
}

/// The Hub's size bucket for `rows`.
pub fn size_category(rows: u64) -> &'static str {
    match rows {
        0..1_000 => "n<1K",
        1_000..10_000 => "1K<n<10K",
        10_000..100_000 => "10K<n<100K",
        100_000..1_000_000 => "100K<n<1M",
        1_000_000..10_000_000 => "1M<n<10M",
        _ => "10M<n<100M",
    }
}

/// Text for a markdown table cell: one line, no column breaks.
fn cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

fn percent(value: f64) -> String {
    format!("{:.1}%", value * 100.0)
}

fn type_name(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::Text => "string",
        ColumnType::Messages => "list of {role, content}",
        ColumnType::Bool => "bool",
        ColumnType::Int => "int64",
        ColumnType::OptInt => "int64 (may be null)",
        ColumnType::Float => "float64",
        ColumnType::Time => "timestamp (UTC)",
    }
}

fn column_meaning(name: &str) -> &'static str {
    match name {
        "prompt" => "what the model was asked",
        "completion" => "the model's response",
        "chosen" => "a response labelled 👍",
        "rejected" => "a response to the same prompt labelled 👎",
        "label" => "true = 👍 (acceptable), false = 👎",
        "model" => "the model that wrote the response",
        "chosen_model" | "rejected_model" => "the model that wrote that response",
        "n_up" => "👍 votes on the response",
        "n_down" => "👎 votes on the response",
        "agreement" => "share of the votes that agree with the label",
        "campaign" => "the swipeset campaign (slug)",
        "generation_id" | "chosen_generation_id" | "rejected_generation_id" => {
            "the response's id in swipeset"
        }
        "annotator" => "a pseudonymous annotator id, stable within this campaign",
        "annotator_name" => "the annotator's user name (exported on request)",
        "created_at" => "when the rating was made",
        "decision_ms" => "milliseconds from card shown to swipe, where the client measured it",
        _ => "",
    }
}

/// Writes the card. Reads the leaderboard and the per-model parameters from `db`.
pub async fn render(db: &impl ConnectionTrait, input: CardInput<'_>) -> CoreResult<String> {
    let CardInput {
        campaign,
        options,
        plan,
        models,
        columns,
        data_path,
        license,
        now,
    } = input;
    let board = leaderboard::leaderboard(db, campaign, now, DEFAULT_MIN_VOTES).await?;
    let annotators = annotator_stat::Entity::find()
        .filter(annotator_stat::Column::CampaignId.eq(campaign.id))
        .filter(annotator_stat::Column::Ratings.gt(0))
        .count(db)
        .await?;
    let kind_tag = options.kind.name();
    let what = match options.kind {
        Kind::Kto => "KTO dataset: responses, each labelled 👍 or 👎",
        Kind::Dpo => "DPO dataset: pairs of a 👍 and a 👎 response to the same prompt",
        Kind::Ratings => "raw ratings: one row per 👍 or 👎",
    };
    let mut out = String::new();
    // Front matter. Strings that come from users are written as JSON strings, which are
    // valid YAML double-quoted scalars whatever they contain.
    let title = serde_json::to_string(&campaign.title).unwrap_or_else(|_| "\"\"".into());
    let _ = writeln!(out, "---");
    let _ = writeln!(out, "license: {license}");
    let _ = writeln!(out, "pretty_name: {title}");
    let _ = writeln!(out, "task_categories:\n- text-generation");
    let _ = writeln!(
        out,
        "tags:\n- {kind_tag}\n- human-feedback\n- preference\n- swipeset"
    );
    if options.variant == Variant::Conversational {
        let _ = writeln!(out, "- conversational");
    }
    let _ = writeln!(out, "size_categories:\n- {}", size_category(plan.rows));
    let _ = writeln!(
        out,
        "configs:\n- config_name: default\n  data_files:\n  - split: train\n    path: data/train-*"
    );
    let _ = writeln!(out, "---\n");

    let _ = writeln!(out, "# {} ({})\n", campaign.title, kind_tag.to_uppercase());
    let _ = writeln!(
        out,
        "A {what}, rated by {annotators} annotator{} on [swipeset](https://github.com/swipeset/swipeset): \
         {} rows from {} responses to {} prompts.\n",
        if annotators == 1 { "" } else { "s" },
        plan.rows,
        plan.responses,
        plan.prompts,
    );
    let format = options.format.name();
    let loader = match options.format {
        super::Format::Parquet => "parquet",
        super::Format::Jsonl => "json",
        super::Format::Csv => "csv",
    };
    let _ = writeln!(
        out,
        "```python\nfrom datasets import load_dataset\n\nds = load_dataset(\"{loader}\", data_files=\"{data_path}\", split=\"train\")\n```\n"
    );
    if options.kind != Kind::Ratings {
        let trainer = if options.kind == Kind::Kto {
            "KTOTrainer"
        } else {
            "DPOTrainer"
        };
        let _ = writeln!(
            out,
            "The columns follow TRL's {} format, so `{trainer}` takes the dataset as it is.\n",
            match options.variant {
                Variant::Standard => "standard",
                Variant::Conversational => "conversational",
            }
        );
    }

    let _ = writeln!(out, "## How it was made\n");
    let _ = writeln!(
        out,
        "- **Campaign**: `{}` ({} prompts), created {}.",
        campaign.slug,
        plan.prompts,
        campaign.created_at.format("%Y-%m-%d")
    );
    let _ = writeln!(
        out,
        "- **Rating**: annotators swiped each response right (👍) or left (👎) on their phones. \
         Each response was offered until it had {} independent rating{}; nobody rated a response twice. \
         Model names were {} while rating.",
        campaign.overlap,
        if campaign.overlap == 1 { "" } else { "s" },
        if campaign.reveal_models {
            "hidden, and shown after each swipe,"
        } else {
            "hidden"
        }
    );
    let _ = writeln!(
        out,
        "- **Annotators**: {annotators}, {} ratings in all.",
        board.progress.ratings
    );
    if options.kind != Kind::Ratings {
        let _ = writeln!(out, "- **Label policy**: {}.", options.policy);
        let _ = writeln!(
            out,
            "- **Labelled**: {} of {} responses.",
            plan.labelled, plan.responses
        );
        for reason in DropReason::ALL {
            if let Some(n) = plan.dropped.get(&reason).filter(|n| **n > 0) {
                let _ = writeln!(out, "  - dropped, {}: {n}", reason.describe());
            }
        }
    }
    if options.kind == Kind::Dpo {
        let cap = options
            .max_pairs_per_prompt
            .map_or("no cap".to_string(), |c| format!("at most {c} per prompt"));
        let _ = writeln!(
            out,
            "- **Pairs**: every 👍 response of a prompt with every 👎 one ({cap}), the most clearly \
             voted first: {} pairs from {} prompts; {} prompts had labels of one kind only and \
             give no pair; {} pairs were left out by the cap.",
            plan.rows, plan.prompts_with_pairs, plan.prompts_one_sided, plan.pairs_over_cap
        );
    }
    if !campaign.guidelines.trim().is_empty() {
        let _ = writeln!(out, "\nThe guidelines annotators were shown:\n");
        for line in campaign.guidelines.lines() {
            let _ = writeln!(out, "> {line}");
        }
    }

    let _ = writeln!(out, "\n### Models\n");
    let _ = writeln!(
        out,
        "| Model | Model id | Parameters | Responses | Labelled 👍 | Labelled 👎 |"
    );
    let _ = writeln!(out, "|---|---|---|---:|---:|---:|");
    for m in models {
        let params = plan.params_by_model.get(&m.id);
        let responses = board
            .models
            .iter()
            .find(|row| row.model_id == m.id)
            .map_or(0, |row| row.responses);
        let (up, down) = plan.labels_by_model.get(&m.id).copied().unwrap_or((0, 0));
        let labelled = |n: u64| {
            if options.kind == Kind::Ratings {
                "–".to_string()
            } else {
                n.to_string()
            }
        };
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {responses} | {} | {} |",
            cell(&m.name),
            cell(&m.model_id),
            params.map_or("not recorded".to_string(), |p| format!("`{}`", cell(p))),
            labelled(up),
            labelled(down),
        );
    }

    let _ = writeln!(out, "\n## Acceptance by model\n");
    let _ = writeln!(
        out,
        "All votes, before any label policy: the 👍 rate with its Wilson 95% interval. Models \
         whose intervals overlap share a rank.\n"
    );
    let _ = writeln!(
        out,
        "| Rank | Model | 👍 rate | 95% interval | Votes | Responses rated |"
    );
    let _ = writeln!(out, "|---:|---|---:|---|---:|---:|");
    for row in &board.models {
        let (rate, interval) = row.rate.map_or(("–".into(), "–".into()), |r| {
            (
                percent(r.estimate),
                format!("{} – {}", percent(r.low), percent(r.high)),
            )
        });
        let _ = writeln!(
            out,
            "| {} | {} | {rate} | {interval} | {} | {} |",
            row.rank,
            cell(&row.model),
            row.votes,
            row.rated_responses
        );
    }

    let _ = writeln!(out, "\n## Agreement\n");
    match board.agreement {
        Some(a) => {
            let _ = writeln!(
                out,
                "Krippendorff's α (nominal) = {:.3}, bootstrap 95% interval {:.3} – {:.3}, over {} \
                 responses with at least two ratings. 1 is perfect agreement, 0 is what chance \
                 gives.",
                a.alpha, a.low, a.high, a.units
            );
        }
        None => {
            let _ = writeln!(
                out,
                "Not defined yet: too few responses have two or more ratings of both kinds."
            );
        }
    }

    let _ = writeln!(out, "\n## Columns\n");
    let _ = writeln!(out, "| Column | Type | Meaning |");
    let _ = writeln!(out, "|---|---|---|");
    for column in columns {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} |",
            column.name,
            type_name(column.ty),
            column_meaning(column.name)
        );
    }

    let _ = writeln!(
        out,
        "\n---\n\nExported by swipeset {} on {}: kind `{kind_tag}`, variant `{}`, format `{format}`{}.",
        env!("CARGO_PKG_VERSION"),
        now.format("%Y-%m-%d %H:%M UTC"),
        options.variant.name(),
        if options.kind == Kind::Ratings {
            String::new()
        } else {
            format!(
                ", policy `{}` with min_votes {}",
                options.policy.name(),
                options.policy.min_votes()
            )
        }
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_categories_follow_the_hub_buckets() {
        assert_eq!(size_category(0), "n<1K");
        assert_eq!(size_category(999), "n<1K");
        assert_eq!(size_category(1_000), "1K<n<10K");
        assert_eq!(size_category(100_000), "100K<n<1M");
        assert_eq!(size_category(1_000_000), "1M<n<10M");
    }

    #[test]
    fn table_cells_cannot_break_the_table() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
    }
}
