//! The dataset card: the `README.md` beside every export, with the YAML front matter the
//! Hugging Face Hub reads (license, task, tags, size, where the data files are) and a body
//! that says honestly how the data was made: prompts, models and their parameters,
//! annotators, the label policy and what it dropped, the per-model acceptance with
//! intervals, and the agreement.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, QueryTrait,
};

use super::policy::DropReason;
use super::source::Plan;
use super::table::{Column, ColumnType, Meta};
use super::{ExportOptions, Kind, Variant};
use crate::CoreResult;
use swipeset_wire::LeaderboardReply;

use crate::board::leaderboard::{self, DEFAULT_MIN_VOTES};
use crate::db::entities::{annotator_stat, campaign, excluded_rating, model, rater_exclusion};

/// Everything the card says, gathered before it is written.
pub struct CardInput<'a> {
    pub campaign: &'a campaign::Model,
    pub options: &'a ExportOptions,
    pub plan: &'a Plan,
    /// Under `weighted`, the fit the labels come from.
    pub fit: Option<&'a super::weighted::FitSummary>,
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
        ColumnType::OptText => "string (may be null)",
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
        "response_id" | "chosen_response_id" | "rejected_response_id" => {
            "the response's id in swipeset"
        }
        "generation_id" | "chosen_generation_id" | "rejected_generation_id" => {
            "the same id under its old name, written until the next release"
        }
        "annotator" => "a pseudonymous annotator id, stable within this campaign",
        "annotator_name" => "the annotator's user name (exported on request)",
        "created_at" => "when the rating was made",
        "decision_ms" => "milliseconds from card shown to swipe, where the client measured it",
        "p_up" => {
            "the posterior probability that the response is 👍, under the rater model this card describes"
        }
        _ => "",
    }
}

/// Writes the card. Reads the leaderboard and the per-model parameters from `db`.
pub async fn render(db: &impl ConnectionTrait, input: CardInput<'_>) -> CoreResult<String> {
    let board = leaderboard::leaderboard(db, input.campaign, input.now, DEFAULT_MIN_VOTES).await?;
    let annotators = annotator_stat::Entity::find()
        .filter(annotator_stat::Column::CampaignId.eq(input.campaign.id))
        .filter(annotator_stat::Column::Ratings.gt(0))
        .count(db)
        .await?;
    let excluded = (
        rater_exclusion::Entity::find()
            .filter(rater_exclusion::Column::CampaignId.eq(input.campaign.id))
            .count(db)
            .await?,
        excluded_rating::Entity::find()
            .filter(excluded_rating::Column::CampaignId.eq(input.campaign.id))
            .filter(
                excluded_rating::Column::UserId.in_subquery(
                    rater_exclusion::Entity::find()
                        .select_only()
                        .column(rater_exclusion::Column::UserId)
                        .filter(rater_exclusion::Column::CampaignId.eq(input.campaign.id))
                        .into_query(),
                ),
            )
            .count(db)
            .await?,
    );
    let hidden = crate::moderation::flags::hidden_counts(db, input.campaign.id).await?;
    let held = crate::rating::hold_back::held_votes(db, input.campaign.id).await?;
    let card = Card {
        input,
        board,
        annotators,
        excluded,
        hidden,
        held,
    };
    // The card is paragraphs, tables and headings with one blank line between each: every
    // section ends its last line and leaves the blank line to the join, so a section that
    // has nothing to say (no guidelines, no trainer) leaves no gap behind.
    let sections = [
        Some(card.front_matter()),
        Some(card.summary()),
        Some(card.loading()),
        card.spreadsheets(),
        card.trainer(),
        Some(card.how_it_was_made()),
        card.guidelines(),
        Some(card.models()),
        Some(card.acceptance()),
        Some(card.agreement()),
        Some(card.columns()),
        Some(card.colophon()),
    ];
    Ok(sections
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("\n"))
}

/// What the card is made from: the export's own parts, and what the same snapshot says
/// about the campaign's votes, read once so that every section tells the same moment.
struct Card<'a> {
    input: CardInput<'a>,
    board: LeaderboardReply,
    /// Annotators with at least one rating that still stands.
    annotators: u64,
    /// Raters an admin excluded from the campaign, and their ratings set aside.
    excluded: (u64, u64),
    /// Responses an admin hid, and their ratings set aside.
    hidden: (u64, u64),
    /// Votes held back (`crate::rating::hold_back`), and the guests they are from.
    held: (u64, u64),
}

/// `lines` as one block, each line ended. Sections gather lines rather than `writeln!`
/// into a `String`, whose `fmt::Result` cannot be an error yet would be discarded at
/// every line.
fn block<I: IntoIterator<Item = String>>(lines: I) -> String {
    lines.into_iter().fold(String::new(), |mut out, line| {
        out.push_str(&line);
        out.push('\n');
        out
    })
}

/// A markdown table: the header, its alignment row and the body, one row a line.
fn table(header: &str, alignment: &str, rows: impl IntoIterator<Item = String>) -> String {
    block(
        [header.to_string(), alignment.to_string()]
            .into_iter()
            .chain(rows),
    )
}

impl Card<'_> {
    fn is_ratings(&self) -> bool {
        self.input.options.kind == Kind::Ratings
    }

    /// The Hub's metadata. Strings that come from users are written as JSON strings,
    /// which are valid YAML double-quoted scalars whatever they contain.
    fn front_matter(&self) -> String {
        let CardInput {
            campaign,
            options,
            plan,
            license,
            ..
        } = &self.input;
        let title = serde_json::to_string(&campaign.title).unwrap_or_else(|_| "\"\"".into());
        let mut tags = vec![
            options.kind.name(),
            "human-feedback",
            "preference",
            "swipeset",
        ];
        if options.variant == Variant::Conversational {
            tags.push("conversational");
        }
        block(
            [
                "---".to_string(),
                format!("license: {license}"),
                format!("pretty_name: {title}"),
                "task_categories:\n- text-generation".to_string(),
                "tags:".to_string(),
            ]
            .into_iter()
            .chain(tags.into_iter().map(|tag| format!("- {tag}")))
            .chain([
                format!("size_categories:\n- {}", size_category(plan.rows)),
                "configs:\n- config_name: default\n  data_files:\n  - split: train\n    path: data/train-*"
                    .to_string(),
                "---".to_string(),
            ]),
        )
    }

    /// The title and one sentence of what the dataset is and how big.
    fn summary(&self) -> String {
        let CardInput {
            campaign,
            options,
            plan,
            ..
        } = &self.input;
        let what = match options.kind {
            Kind::Kto => "KTO dataset: responses, each labelled 👍 or 👎",
            Kind::Dpo => "DPO dataset: pairs of a 👍 and a 👎 response to the same prompt",
            Kind::Ratings => "raw ratings: one row per 👍 or 👎",
        };
        let annotators = self.annotators;
        let plural = if annotators == 1 { "" } else { "s" };
        format!(
            "# {} ({})\n\nA {what}, rated by {annotators} annotator{plural} on \
             [swipeset](https://github.com/swipeset/swipeset): {} rows from {} responses to {} \
             prompts.\n",
            campaign.title,
            options.kind.name().to_uppercase(),
            plan.rows,
            plan.responses,
            plan.prompts,
        )
    }

    /// The one line of Python that loads the data, so the reader starts from working code.
    fn loading(&self) -> String {
        let CardInput {
            options, data_path, ..
        } = &self.input;
        let loader = match options.format {
            super::Format::Parquet => "parquet",
            super::Format::Jsonl => "json",
            super::Format::Csv => "csv",
        };
        format!(
            "```python\nfrom datasets import load_dataset\n\nds = load_dataset(\"{loader}\", \
             data_files=\"{data_path}\", split=\"train\")\n```\n"
        )
    }

    /// CSV only: whether a spreadsheet may take a cell for a formula, and what was done
    /// about it. Either way the reader learns what the cells hold before opening them.
    fn spreadsheets(&self) -> Option<String> {
        let options = self.input.options;
        if options.format != super::Format::Csv {
            return None;
        }
        Some(if options.csv_safe {
            "Made safe to open in a spreadsheet (`--csv-safe`): every text cell that began \
             with `=`, `+`, `-`, `@`, a tab or a carriage return has a `'` put before it, so \
             that a spreadsheet shows it as text instead of running it as a formula. Those \
             cells are no longer the text as written: remove that first `'` before training, \
             or export again without `--csv-safe`.\n"
                .to_string()
        } else {
            "Every text is written as it is, so a cell may begin with `=`, `+`, `-`, `@`, a \
             tab or a carriage return, which a spreadsheet may run as a formula: load the file \
             as above rather than opening it in one, or export again with `--csv-safe` for a \
             copy to open there.\n"
                .to_string()
        })
    }

    /// Which TRL trainer takes the rows as they are; raw ratings fit none.
    fn trainer(&self) -> Option<String> {
        let options = self.input.options;
        let trainer = match options.kind {
            Kind::Kto => "KTOTrainer",
            Kind::Dpo => "DPOTrainer",
            Kind::Ratings => return None,
        };
        let variant = match options.variant {
            Variant::Standard => "standard",
            Variant::Conversational => "conversational",
        };
        let mut text = format!(
            "The columns follow TRL's {variant} format, so `{trainer}` takes the dataset as it is.\n"
        );
        if options.kind == Kind::Kto {
            let (up, down) = self
                .input
                .plan
                .labels_by_model
                .values()
                .fold((0, 0), |(u, d), (mu, md)| (u + mu, d + md));
            text.push_str(&format!("\n{}\n", kto_balance(up, down)));
        }
        Some(text)
    }

    /// How the votes were collected, and how labels and pairs were drawn from them.
    fn how_it_was_made(&self) -> String {
        let CardInput { campaign, plan, .. } = &self.input;
        let overlap_plural = if campaign.overlap == 1 { "" } else { "s" };
        let names = if campaign.reveal_models {
            "hidden, and shown after each swipe,"
        } else {
            "hidden"
        };
        let mut lines = vec![
            format!(
                "- **Campaign**: `{}` ({} prompts), created {}.",
                campaign.slug,
                plan.prompts,
                campaign.created_at.format("%Y-%m-%d")
            ),
            if campaign.adaptive_overlap {
                format!(
                    "- **Rating**: annotators swiped each response right (👍) or left (👎) on \
                     their phones. Each response was offered until one side led by two votes \
                     (adaptive overlap), or until it had {} independent rating{overlap_plural}; \
                     nobody rated a response twice. Model names were {names} while rating.",
                    campaign.overlap
                )
            } else {
                format!(
                    "- **Rating**: annotators swiped each response right (👍) or left (👎) on \
                     their phones. Each response was offered until it had {} independent \
                     rating{overlap_plural}; nobody rated a response twice. Model names were \
                     {names} while rating.",
                    campaign.overlap
                )
            },
            format!(
                "- **Annotators**: {}, {} ratings in all.",
                self.annotators, self.board.progress.totals.ratings
            ),
        ];
        let (raters, ratings) = self.excluded;
        if raters > 0 {
            lines.push(format!(
                "- **Excluded raters**: {raters} rater{} excluded by an admin; their {ratings} \
                 rating{} are not in this data, its counts or its labels (the reasons are in \
                 the instance's audit log).",
                if raters == 1 { " was" } else { "s were" },
                if ratings == 1 { " is" } else { "s are" },
            ));
        }
        let (responses, ratings) = self.hidden;
        if responses > 0 {
            lines.push(format!(
                "- **Hidden responses**: {responses} response{} hidden by an admin (raters \
                 flagged them, or an admin found them unfit to rate); {} and their {ratings} \
                 rating{} are not in this data, its counts or its labels.",
                if responses == 1 { " was" } else { "s were" },
                if responses == 1 { "it is" } else { "they are" },
                if ratings == 1 { "" } else { "s" },
            ));
        }
        let (votes, guests) = self.held;
        let hold_back = self.input.campaign.guest_hold_back;
        if hold_back > 0 || votes > 0 {
            let mut line = "- **Guests held back**:".to_string();
            if hold_back > 0 {
                line.push_str(&format!(
                    " a guest's votes count only once they have made {hold_back} decision{}, a \
                     right vote on a gold card among them where there are gold cards.",
                    if hold_back == 1 { "" } else { "s" }
                ));
            }
            if votes > 0 {
                line.push_str(&format!(
                    " {votes} vote{} of {guests} guest{} not released yet {} not in this data.",
                    if votes == 1 { "" } else { "s" },
                    if guests == 1 { "" } else { "s" },
                    if votes == 1 { "is" } else { "are" },
                ));
            }
            lines.push(line);
        }
        lines.extend(self.labelling());
        lines.extend(self.pairing());
        format!("## How it was made\n\n{}", block(lines))
    }

    /// The label policy and what it left unlabelled, by reason; raw ratings have no labels.
    fn labelling(&self) -> Vec<String> {
        let CardInput {
            options, plan, fit, ..
        } = &self.input;
        if self.is_ratings() {
            return Vec::new();
        }
        let drops = DropReason::ALL.into_iter().filter_map(|reason| {
            let n = plan.dropped.get(&reason).filter(|n| **n > 0)?;
            Some(format!("  - dropped, {}: {n}", reason.describe()))
        });
        let model = fit.map(|fit| {
            format!(
                "- **Rater model**: fitted to {} votes from {} raters in {} rounds of EM, \
                 starting from each response's share of 👍 votes ({}). Prior P(👍) {:.3}; median sensitivity (P(👍 vote | truly \
                 👍)) {:.3}, median specificity (P(👎 vote | truly 👎)) {:.3}. The votes of \
                 {} of the {} raters carry information (sensitivity + specificity above \
                 1.2); the others' (random or one-sided clicking) weigh almost nothing. Each \
                 rate starts from a Beta(2, 1) prior.{}",
                fit.votes,
                fit.raters,
                fit.rounds,
                match fit.gold_votes {
                    0 => "this campaign has no gold items to seed it".to_string(),
                    n => format!(
                        "each rater's rates are anchored by their {n} votes on gold cards, \
                         whose true labels are known"
                    ),
                },
                fit.prior_up,
                fit.median_sensitivity,
                fit.median_specificity,
                fit.informative_raters,
                fit.raters,
                if options.kind == super::Kind::Kto {
                    " The `p_up` column is each response's posterior P(👍)."
                } else {
                    ""
                }
            )
        });
        [
            format!("- **Label policy**: {}.", options.policy),
            format!(
                "- **Labelled**: {} of {} responses.",
                plan.labelled, plan.responses
            ),
        ]
        .into_iter()
        .chain(model)
        .chain(drops)
        .collect()
    }

    /// DPO only: how pairs were formed, and what the per-prompt cap and one-sided prompts
    /// cost.
    fn pairing(&self) -> Option<String> {
        let CardInput { options, plan, .. } = &self.input;
        if options.kind != Kind::Dpo {
            return None;
        }
        let cap = options
            .max_pairs_per_prompt
            .map_or("no cap".to_string(), |c| format!("at most {c} per prompt"));
        Some(format!(
            "- **Pairs**: every 👍 response of a prompt with every 👎 one ({cap}), the most clearly \
             voted first: {} pairs from {} prompts; {} prompts had labels of one kind only and \
             give no pair; {} pairs were left out by the cap.",
            plan.rows, plan.prompts_with_pairs, plan.prompts_one_sided, plan.pairs_over_cap
        ))
    }

    /// The guidelines as the annotators read them, quoted; none written, nothing said.
    fn guidelines(&self) -> Option<String> {
        let guidelines = &self.input.campaign.guidelines;
        if guidelines.trim().is_empty() {
            return None;
        }
        Some(format!(
            "The guidelines annotators were shown:\n\n{}",
            block(guidelines.lines().map(|line| format!("> {line}")))
        ))
    }

    /// Each model with its endpoint name, the generation parameters recorded for it, and
    /// what the policy made of its responses.
    fn models(&self) -> String {
        let CardInput { models, plan, .. } = &self.input;
        let labelled = |n: u64| {
            if self.is_ratings() {
                "–".to_string()
            } else {
                n.to_string()
            }
        };
        let rows = models.iter().map(|m| {
            let params = plan
                .params_by_model
                .get(&m.id)
                .map_or("not recorded".to_string(), |p| format!("`{}`", cell(p)));
            let responses = self
                .board
                .models
                .iter()
                .find(|row| row.model_id == m.id)
                .map_or(0, |row| row.responses);
            let (up, down) = plan.labels_by_model.get(&m.id).copied().unwrap_or((0, 0));
            format!(
                "| {} | `{}` | {params} | {responses} | {} | {} |",
                cell(&m.name),
                cell(&m.requested_model),
                labelled(up),
                labelled(down),
            )
        });
        format!(
            "### Models\n\n{}",
            table(
                "| Model | Requested model | Parameters | Responses | Labelled 👍 | Labelled 👎 |",
                "|---|---|---|---:|---:|---:|",
                rows,
            )
        )
    }

    /// The leaderboard as it stood: every vote, before any policy, so that a reader can
    /// compare models without trusting the labels.
    fn acceptance(&self) -> String {
        let rows = self.board.models.iter().map(|row| {
            let (rate, interval) = row.rate.map_or(("–".into(), "–".into()), |r| {
                (
                    percent(r.estimate),
                    format!("{} – {}", percent(r.low), percent(r.high)),
                )
            });
            format!(
                "| {} | {} | {rate} | {interval} | {} | {} |",
                row.rank,
                cell(&row.model),
                row.votes,
                row.rated_responses
            )
        });
        format!(
            "## Acceptance by model\n\nAll votes, before any label policy: the 👍 rate with its \
             Wilson 95% interval. Models whose intervals overlap share a rank.\n\n{}",
            table(
                "| Rank | Model | 👍 rate | 95% interval | Votes | Responses rated |",
                "|---:|---|---:|---|---:|---:|",
                rows,
            )
        )
    }

    /// How far the annotators agree, or why that cannot be said yet.
    fn agreement(&self) -> String {
        let said = match self.board.agreement {
            Some(a) => format!(
                "Krippendorff's α (nominal) = {:.3}, bootstrap 95% interval {:.3} – {:.3}, over {} \
                 responses with at least two ratings. 1 is perfect agreement, 0 is what chance \
                 gives.",
                a.alpha, a.low, a.high, a.units
            ),
            None => "Not defined yet: too few responses have two or more ratings of both kinds."
                .to_string(),
        };
        format!("## Agreement\n\n{said}\n")
    }

    /// Every column of the data file, its type as `datasets` sees it, and what it holds.
    fn columns(&self) -> String {
        let rows = self.input.columns.iter().map(|column| {
            let meaning = match &column.meta {
                None => column_meaning(&column.name).to_string(),
                Some(meta) => {
                    let whose = match meta {
                        Meta::Prompt(_) => "the prompt's",
                        Meta::Response(_) => "the response's",
                        Meta::Chosen(_) => "the chosen response's",
                        Meta::Rejected(_) => "the rejected response's",
                    };
                    let category = match &self.input.campaign.category_field {
                        Some(field) if field == meta.key() => ", the campaign's category",
                        _ => "",
                    };
                    format!(
                        "{whose} metadata field `{}` from its import (text; other values as JSON){category}",
                        cell(meta.key())
                    )
                }
            };
            format!(
                "| `{}` | {} | {} |",
                cell(&column.name),
                type_name(column.ty),
                meaning
            )
        });
        format!(
            "## Columns\n\n{}",
            table("| Column | Type | Meaning |", "|---|---|---|", rows)
        )
    }

    /// The options the export was made with and when, so that it can be made again.
    fn colophon(&self) -> String {
        let CardInput { options, now, .. } = &self.input;
        let policy = if self.is_ratings() {
            String::new()
        } else {
            format!(
                ", policy `{}` with min_votes {}",
                options.policy.name(),
                options.policy.min_votes()
            )
        };
        let csv_safe = if options.csv_safe { " (csv-safe)" } else { "" };
        format!(
            "---\n\nExported by swipeset {} on {}: kind `{}`, variant `{}`, format \
             `{}`{csv_safe}{policy}.\n",
            env!("CARGO_PKG_VERSION"),
            now.format("%Y-%m-%d %H:%M UTC"),
            options.kind.name(),
            options.variant.name(),
            options.format.name(),
        )
    }
}

/// What the KTO data's balance of 👍 and 👎 asks of the trainer. Real crowds accept more than
/// they reject (133 to 37 is typical), and `KTOTrainer` then warns unless the weighted
/// classes are within 1:1 to 4:3 (Eq. 8 of the KTO paper): the ranges below are the ones
/// TRL computes from the counts, rounded as TRL rounds them, so whoever trains from the card
/// sets the weight once, with the rarer class weighted up to balance exactly.
fn kto_balance(up: u64, down: u64) -> String {
    let counts = format!(
        "**Balance**: {up} desirable (👍, `label` true) and {down} undesirable (👎) examples."
    );
    if up == 0 || down == 0 || up == down {
        return format!("{counts} The default weights of `KTOConfig` suit it.");
    }
    let (u, d) = (up as f64, down as f64);
    let round = |x: f64| (x * 100.0).round() / 100.0;
    let desirable = (round(d / u), round(d / u * 1.33));
    let undesirable = (round(u / d / 1.33), round(u / d));
    let advice = if up > down {
        format!("`KTOConfig(undesirable_weight={})`", undesirable.1)
    } else {
        format!("`KTOConfig(desirable_weight={})`", desirable.0)
    };
    format!(
        "{counts} For these counts TRL's `KTOTrainer` advises `desirable_weight` in \
     [{}, {}] or `undesirable_weight` in [{}, {}], not both; for example {advice}, \
     which weighs the two classes equally.",
        desirable.0, desirable.1, undesirable.0, undesirable.1
    )
}

#[cfg(test)]
mod tests;
