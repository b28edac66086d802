//! The card pinned byte for byte: each golden card below was rendered by the 249-line
//! `render` before it was split into sections, so the split (and any later edit that means
//! to change nothing) is proved not to move a character. Between them the cards take every
//! branch: each kind and variant, drops, a cap, guidelines, revealed models, recorded
//! parameters, a cell that needs escaping, one annotator, agreement not yet defined, and
//! CSV as written and made safe for spreadsheets.

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};
use sea_orm::DatabaseConnection;
use serde_json::json;

use super::super::{Export, ExportOptions, Format, Kind, Policy, Variant};
use super::*;
use crate::accounts::guests;
use crate::campaign::NewCampaign;
use crate::campaign::models;
use crate::campaign::prompts;
use crate::campaign::responses::{self, NewResponse};
use crate::db::entities::generation;
use crate::rating::rate::{self, NewRating};
use crate::{Label, Store};

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

/// Votes per (prompt, model), `U`/`D` per annotator a, b, c in turn.
const VOTES: &[(usize, usize, &str)] = &[
    (0, 0, "UU"),
    (0, 1, "DD"),
    (0, 2, "UUU"),
    (1, 0, "UD"),
    (1, 1, "U"),
    (1, 2, "UUU"),
    (2, 0, "DDU"),
    (2, 1, "UU"),
];

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("a valid fixed moment")
}

/// A campaign with three models (one with a name that needs escaping, one with recorded
/// parameters) and three prompts, rated by three annotators as in `VOTES`.
async fn rich_campaign(store: &Store) {
    let db = store.db();
    let campaign = crate::campaign::create(
        db,
        NewCampaign {
            guidelines: "Is it a haiku?\nFive, seven, five.".into(),
            reveal_models: true,
            license: "cc-by-4.0".into(),
            ..NewCampaign::new("golden", "Golden \"card\" | test")
        },
    )
    .await
    .expect("campaign");
    let mut model_ids = Vec::new();
    for (name, id) in [
        ("Model 0", "org/model-0"),
        ("Model | 1", "org/model|1"),
        ("Model 2", "org/model-2"),
    ] {
        model_ids.push(models::ensure(db, name, id).await.expect("model").id);
    }
    let mut rows = Vec::new();
    let mut prompt_ids = Vec::new();
    for p in 0..3 {
        let prompt = prompts::add(db, campaign.id, &format!("Prompt {p}"), None, None)
            .await
            .expect("prompt");
        prompt_ids.push(prompt.id);
        for (m, &model_id) in model_ids.iter().enumerate() {
            rows.push(NewResponse {
                params: (m == 1).then(|| json!({"temperature": 0.7, "top_p": 0.9})),
                ..NewResponse::for_prompt(&prompt, model_id, format!("Response {p}/{m}"))
            });
        }
    }
    responses::add_many(db, campaign.id, rows)
        .await
        .expect("generations");
    let ids: HashMap<(i32, i32), i32> = generation::Entity::find()
        .filter(generation::Column::CampaignId.eq(campaign.id))
        .all(db)
        .await
        .expect("generations")
        .into_iter()
        .map(|g| ((g.prompt_id, g.model_id), g.id))
        .collect();
    let mut users = Vec::new();
    for who in ["a", "b", "c"] {
        users.push(
            guests::browser_annotator(db, who)
                .await
                .expect("annotator")
                .id,
        );
    }
    for &(p, m, votes) in VOTES {
        for (i, vote) in votes.chars().enumerate() {
            let label = if vote == 'U' { Label::Up } else { Label::Down };
            rate::rate(
                store,
                users[i],
                NewRating::new(ids[&(prompt_ids[p], model_ids[m])], label),
            )
            .await
            .expect("rating");
        }
    }
}

/// A blind campaign with overlap 1, no guidelines, and a single rating by one annotator.
async fn sparse_campaign(store: &Store) {
    let db = store.db();
    let campaign = crate::campaign::create(
        db,
        NewCampaign {
            overlap: 1,
            ..NewCampaign::new("sparse", "Sparse")
        },
    )
    .await
    .expect("campaign");
    let model = models::ensure(db, "Solo", "org/solo").await.expect("model");
    let prompt = prompts::add(db, campaign.id, "Only prompt", None, None)
        .await
        .expect("prompt");
    responses::add_many(
        db,
        campaign.id,
        vec![NewResponse::for_prompt(&prompt, model.id, "Only response")],
    )
    .await
    .expect("generations");
    let generation = generation::Entity::find()
        .filter(generation::Column::CampaignId.eq(campaign.id))
        .one(db)
        .await
        .expect("query")
        .expect("the generation");
    let user = guests::browser_annotator(db, "solo")
        .await
        .expect("annotator")
        .id;
    rate::rate(store, user, NewRating::new(generation.id, Label::Down))
        .await
        .expect("rating");
}

/// The card of an export, at a fixed moment and with a fixed creation date, so that
/// nothing in it depends on when the test runs.
async fn card_of(db: &DatabaseConnection, slug: &str, options: ExportOptions) -> String {
    let export = Export::prepare(db, slug, options).await.expect("export");
    let campaign = campaign::Model {
        created_at: at(2026, 11, 20, 9, 30),
        ..export.campaign.clone()
    };
    let columns = export.columns();
    let data_path = export.data_path();
    render(
        &export.txn,
        CardInput {
            campaign: &campaign,
            options: &export.options,
            plan: &export.plan,
            fit: export.labeller.fit(),
            models: &export.models,
            columns: &columns,
            data_path: &data_path,
            license: &export.license,
            now: at(2026, 12, 1, 14, 5),
        },
    )
    .await
    .expect("card")
}

/// Compares line by line first, so that a failure names the first line that moved.
fn assert_card(actual: &str, golden: &str) {
    let expected = golden.replace("{version}", env!("CARGO_PKG_VERSION"));
    for (i, (a, e)) in actual.lines().zip(expected.lines()).enumerate() {
        assert_eq!(a, e, "line {} differs; whole card:\n{actual}", i + 1);
    }
    assert_eq!(actual, expected, "whole card:\n{actual}");
}

#[test]
fn the_kto_balance_gives_trls_weight_ranges() {
    // TRL, for 133 👍 and 37 👎: desirable_weight in [0.28, 0.37] or undesirable_weight in
    // [2.7, 3.59].
    assert_eq!(
        super::kto_balance(133, 37),
        "**Balance**: 133 desirable (👍, `label` true) and 37 undesirable (👎) examples. For \
         these counts TRL's `KTOTrainer` advises `desirable_weight` in [0.28, 0.37] or \
         `undesirable_weight` in [2.7, 3.59], not both; for example \
         `KTOConfig(undesirable_weight=3.59)`, which weighs the two classes equally."
    );
    assert!(super::kto_balance(10, 40).contains("`KTOConfig(desirable_weight=4)`"));
    assert!(super::kto_balance(5, 5).ends_with("The default weights of `KTOConfig` suit it."));
}

#[tokio::test]
async fn cards_are_pinned_byte_for_byte() {
    let store = crate::testing::fresh_store().await;
    rich_campaign(&store).await;
    sparse_campaign(&store).await;
    let db = store.db();

    let kto = card_of(db, "golden", ExportOptions::new(Kind::Kto)).await;
    let dpo = card_of(
        db,
        "golden",
        ExportOptions {
            variant: Variant::Conversational,
            format: Format::Jsonl,
            policy: Policy::Unanimous { min_votes: 2 },
            max_pairs_per_prompt: Some(1),
            license: Some("apache-2.0".into()),
            ..ExportOptions::new(Kind::Dpo)
        },
    )
    .await;
    let ratings = card_of(
        db,
        "golden",
        ExportOptions {
            format: Format::Csv,
            ..ExportOptions::new(Kind::Ratings)
        },
    )
    .await;
    let sparse = card_of(db, "sparse", ExportOptions::new(Kind::Ratings)).await;
    assert_card(&kto, KTO);
    assert_card(&dpo, DPO);
    assert_card(&ratings, RATINGS);
    assert_card(&sparse, SPARSE);

    // Spreadsheet-safe CSV: the RATINGS card, but for what it says of the cells and the
    // colophon that lets it be made again.
    let safe = card_of(
        db,
        "golden",
        ExportOptions {
            format: Format::Csv,
            csv_safe: true,
            ..ExportOptions::new(Kind::Ratings)
        },
    )
    .await;
    let expected = RATINGS
        .replace(
            "Every text is written as it is, so a cell may begin with `=`, `+`, `-`, `@`, a tab or a carriage return, which a spreadsheet may run as a formula: load the file as above rather than opening it in one, or export again with `--csv-safe` for a copy to open there.",
            "Made safe to open in a spreadsheet (`--csv-safe`): every text cell that began with `=`, `+`, `-`, `@`, a tab or a carriage return has a `'` put before it, so that a spreadsheet shows it as text instead of running it as a formula. Those cells are no longer the text as written: remove that first `'` before training, or export again without `--csv-safe`.",
        )
        .replace("format `csv`.", "format `csv` (csv-safe).");
    assert_card(&safe, &expected);
}

const KTO: &str = r##"---
license: cc-by-4.0
pretty_name: "Golden \"card\" | test"
task_categories:
- text-generation
tags:
- kto
- human-feedback
- preference
- swipeset
size_categories:
- n<1K
configs:
- config_name: default
  data_files:
  - split: train
    path: data/train-*
---

# Golden "card" | test (KTO)

A KTO dataset: responses, each labelled 👍 or 👎, rated by 3 annotators on [swipeset](https://github.com/swipeset/swipeset): 6 rows from 9 responses to 3 prompts.

```python
from datasets import load_dataset

ds = load_dataset("parquet", data_files="data/train-00000-of-00001.parquet", split="train")
```

The columns follow TRL's standard format, so `KTOTrainer` takes the dataset as it is.

**Balance**: 4 desirable (👍, `label` true) and 2 undesirable (👎) examples. For these counts TRL's `KTOTrainer` advises `desirable_weight` in [0.5, 0.67] or `undesirable_weight` in [1.5, 2], not both; for example `KTOConfig(undesirable_weight=2)`, which weighs the two classes equally.

## How it was made

- **Campaign**: `golden` (3 prompts), created 2026-11-20.
- **Rating**: annotators swiped each response right (👍) or left (👎) on their phones. Each response was offered until it had 3 independent ratings; nobody rated a response twice. Model names were hidden, and shown after each swipe, while rating.
- **Annotators**: 3, 18 ratings in all.
- **Label policy**: majority: at least 2 votes and strictly more of one kind; ties dropped.
- **Labelled**: 6 of 9 responses.
  - dropped, too few votes: 2
  - dropped, tied votes: 1

The guidelines annotators were shown:

> Is it a haiku?
> Five, seven, five.

### Models

| Model | Requested model | Parameters | Responses | Labelled 👍 | Labelled 👎 |
|---|---|---|---:|---:|---:|
| Model 0 | `org/model-0` | not recorded | 3 | 1 | 1 |
| Model \| 1 | `org/model\|1` | `{"temperature":0.7,"top_p":0.9}` | 3 | 1 | 1 |
| Model 2 | `org/model-2` | not recorded | 3 | 2 | 0 |

## Acceptance by model

All votes, before any label policy: the 👍 rate with its Wilson 95% interval. Models whose intervals overlap share a rank.

| Rank | Model | 👍 rate | 95% interval | Votes | Responses rated |
|---:|---|---:|---|---:|---:|
| 1 | Model 2 | 100.0% | 61.0% – 100.0% | 6 | 2 |
| 1 | Model \| 1 | 60.0% | 23.1% – 88.2% | 5 | 3 |
| 1 | Model 0 | 57.1% | 25.0% – 84.2% | 7 | 3 |

## Agreement

Krippendorff's α (nominal) = 0.467, bootstrap 95% interval -0.154 – 1.000, over 7 responses with at least two ratings. 1 is perfect agreement, 0 is what chance gives.

## Columns

| Column | Type | Meaning |
|---|---|---|
| `prompt` | string | what the model was asked |
| `completion` | string | the model's response |
| `label` | bool | true = 👍 (acceptable), false = 👎 |
| `model` | string | the model that wrote the response |
| `n_up` | int64 | 👍 votes on the response |
| `n_down` | int64 | 👎 votes on the response |
| `agreement` | float64 | share of the votes that agree with the label |
| `campaign` | string | the swipeset campaign (slug) |
| `response_id` | int64 | the response's id in swipeset |
| `generation_id` | int64 | the same id under its old name, written until the next release |

---

Exported by swipeset {version} on 2026-12-01 14:05 UTC: kind `kto`, variant `standard`, format `parquet`, policy `majority` with min_votes 2.
"##;

const DPO: &str = r##"---
license: apache-2.0
pretty_name: "Golden \"card\" | test"
task_categories:
- text-generation
tags:
- dpo
- human-feedback
- preference
- swipeset
- conversational
size_categories:
- n<1K
configs:
- config_name: default
  data_files:
  - split: train
    path: data/train-*
---

# Golden "card" | test (DPO)

A DPO dataset: pairs of a 👍 and a 👎 response to the same prompt, rated by 3 annotators on [swipeset](https://github.com/swipeset/swipeset): 1 rows from 9 responses to 3 prompts.

```python
from datasets import load_dataset

ds = load_dataset("json", data_files="data/train-00000-of-00001.jsonl", split="train")
```

The columns follow TRL's conversational format, so `DPOTrainer` takes the dataset as it is.

## How it was made

- **Campaign**: `golden` (3 prompts), created 2026-11-20.
- **Rating**: annotators swiped each response right (👍) or left (👎) on their phones. Each response was offered until it had 3 independent ratings; nobody rated a response twice. Model names were hidden, and shown after each swipe, while rating.
- **Annotators**: 3, 18 ratings in all.
- **Label policy**: unanimous: at least 2 votes, all of one kind.
- **Labelled**: 5 of 9 responses.
  - dropped, too few votes: 2
  - dropped, annotators disagreed: 2
- **Pairs**: every 👍 response of a prompt with every 👎 one (at most 1 per prompt), the most clearly voted first: 1 pairs from 1 prompts; 2 prompts had labels of one kind only and give no pair; 1 pairs were left out by the cap.

The guidelines annotators were shown:

> Is it a haiku?
> Five, seven, five.

### Models

| Model | Requested model | Parameters | Responses | Labelled 👍 | Labelled 👎 |
|---|---|---|---:|---:|---:|
| Model 0 | `org/model-0` | not recorded | 3 | 1 | 0 |
| Model \| 1 | `org/model\|1` | `{"temperature":0.7,"top_p":0.9}` | 3 | 1 | 1 |
| Model 2 | `org/model-2` | not recorded | 3 | 2 | 0 |

## Acceptance by model

All votes, before any label policy: the 👍 rate with its Wilson 95% interval. Models whose intervals overlap share a rank.

| Rank | Model | 👍 rate | 95% interval | Votes | Responses rated |
|---:|---|---:|---|---:|---:|
| 1 | Model 2 | 100.0% | 61.0% – 100.0% | 6 | 2 |
| 1 | Model \| 1 | 60.0% | 23.1% – 88.2% | 5 | 3 |
| 1 | Model 0 | 57.1% | 25.0% – 84.2% | 7 | 3 |

## Agreement

Krippendorff's α (nominal) = 0.467, bootstrap 95% interval -0.154 – 1.000, over 7 responses with at least two ratings. 1 is perfect agreement, 0 is what chance gives.

## Columns

| Column | Type | Meaning |
|---|---|---|
| `prompt` | list of {role, content} | what the model was asked |
| `chosen` | list of {role, content} | a response labelled 👍 |
| `rejected` | list of {role, content} | a response to the same prompt labelled 👎 |
| `chosen_model` | string | the model that wrote that response |
| `rejected_model` | string | the model that wrote that response |
| `campaign` | string | the swipeset campaign (slug) |
| `chosen_response_id` | int64 | the response's id in swipeset |
| `rejected_response_id` | int64 | the response's id in swipeset |
| `chosen_generation_id` | int64 | the same id under its old name, written until the next release |
| `rejected_generation_id` | int64 | the same id under its old name, written until the next release |

---

Exported by swipeset {version} on 2026-12-01 14:05 UTC: kind `dpo`, variant `conversational`, format `jsonl`, policy `unanimous` with min_votes 2.
"##;

const RATINGS: &str = r##"---
license: cc-by-4.0
pretty_name: "Golden \"card\" | test"
task_categories:
- text-generation
tags:
- ratings
- human-feedback
- preference
- swipeset
size_categories:
- n<1K
configs:
- config_name: default
  data_files:
  - split: train
    path: data/train-*
---

# Golden "card" | test (RATINGS)

A raw ratings: one row per 👍 or 👎, rated by 3 annotators on [swipeset](https://github.com/swipeset/swipeset): 18 rows from 9 responses to 3 prompts.

```python
from datasets import load_dataset

ds = load_dataset("csv", data_files="data/train-00000-of-00001.csv", split="train")
```

Every text is written as it is, so a cell may begin with `=`, `+`, `-`, `@`, a tab or a carriage return, which a spreadsheet may run as a formula: load the file as above rather than opening it in one, or export again with `--csv-safe` for a copy to open there.

## How it was made

- **Campaign**: `golden` (3 prompts), created 2026-11-20.
- **Rating**: annotators swiped each response right (👍) or left (👎) on their phones. Each response was offered until it had 3 independent ratings; nobody rated a response twice. Model names were hidden, and shown after each swipe, while rating.
- **Annotators**: 3, 18 ratings in all.

The guidelines annotators were shown:

> Is it a haiku?
> Five, seven, five.

### Models

| Model | Requested model | Parameters | Responses | Labelled 👍 | Labelled 👎 |
|---|---|---|---:|---:|---:|
| Model 0 | `org/model-0` | not recorded | 3 | – | – |
| Model \| 1 | `org/model\|1` | `{"temperature":0.7,"top_p":0.9}` | 3 | – | – |
| Model 2 | `org/model-2` | not recorded | 3 | – | – |

## Acceptance by model

All votes, before any label policy: the 👍 rate with its Wilson 95% interval. Models whose intervals overlap share a rank.

| Rank | Model | 👍 rate | 95% interval | Votes | Responses rated |
|---:|---|---:|---|---:|---:|
| 1 | Model 2 | 100.0% | 61.0% – 100.0% | 6 | 2 |
| 1 | Model \| 1 | 60.0% | 23.1% – 88.2% | 5 | 3 |
| 1 | Model 0 | 57.1% | 25.0% – 84.2% | 7 | 3 |

## Agreement

Krippendorff's α (nominal) = 0.467, bootstrap 95% interval -0.154 – 1.000, over 7 responses with at least two ratings. 1 is perfect agreement, 0 is what chance gives.

## Columns

| Column | Type | Meaning |
|---|---|---|
| `prompt` | string | what the model was asked |
| `completion` | string | the model's response |
| `model` | string | the model that wrote the response |
| `label` | bool | true = 👍 (acceptable), false = 👎 |
| `annotator` | string | a pseudonymous annotator id, stable within this campaign |
| `created_at` | timestamp (UTC) | when the rating was made |
| `decision_ms` | int64 (may be null) | milliseconds from card shown to swipe, where the client measured it |
| `campaign` | string | the swipeset campaign (slug) |
| `response_id` | int64 | the response's id in swipeset |
| `generation_id` | int64 | the same id under its old name, written until the next release |

---

Exported by swipeset {version} on 2026-12-01 14:05 UTC: kind `ratings`, variant `standard`, format `csv`.
"##;

const SPARSE: &str = r##"---
license: other
pretty_name: "Sparse"
task_categories:
- text-generation
tags:
- ratings
- human-feedback
- preference
- swipeset
size_categories:
- n<1K
configs:
- config_name: default
  data_files:
  - split: train
    path: data/train-*
---

# Sparse (RATINGS)

A raw ratings: one row per 👍 or 👎, rated by 1 annotator on [swipeset](https://github.com/swipeset/swipeset): 1 rows from 1 responses to 1 prompts.

```python
from datasets import load_dataset

ds = load_dataset("parquet", data_files="data/train-00000-of-00001.parquet", split="train")
```

## How it was made

- **Campaign**: `sparse` (1 prompts), created 2026-11-20.
- **Rating**: annotators swiped each response right (👍) or left (👎) on their phones. Each response was offered until it had 1 independent rating; nobody rated a response twice. Model names were hidden while rating.
- **Annotators**: 1, 1 ratings in all.

### Models

| Model | Requested model | Parameters | Responses | Labelled 👍 | Labelled 👎 |
|---|---|---|---:|---:|---:|
| Solo | `org/solo` | not recorded | 1 | – | – |

## Acceptance by model

All votes, before any label policy: the 👍 rate with its Wilson 95% interval. Models whose intervals overlap share a rank.

| Rank | Model | 👍 rate | 95% interval | Votes | Responses rated |
|---:|---|---:|---|---:|---:|
| 1 | Solo | 0.0% | 0.0% – 79.3% | 1 | 1 |

## Agreement

Not defined yet: too few responses have two or more ratings of both kinds.

## Columns

| Column | Type | Meaning |
|---|---|---|
| `prompt` | string | what the model was asked |
| `completion` | string | the model's response |
| `model` | string | the model that wrote the response |
| `label` | bool | true = 👍 (acceptable), false = 👎 |
| `annotator` | string | a pseudonymous annotator id, stable within this campaign |
| `created_at` | timestamp (UTC) | when the rating was made |
| `decision_ms` | int64 (may be null) | milliseconds from card shown to swipe, where the client measured it |
| `campaign` | string | the swipeset campaign (slug) |
| `response_id` | int64 | the response's id in swipeset |
| `generation_id` | int64 | the same id under its old name, written until the next release |

---

Exported by swipeset {version} on 2026-12-01 14:05 UTC: kind `ratings`, variant `standard`, format `parquet`.
"##;
