//! Every kind, variant and format of export, loaded by Hugging Face `datasets` in Python and
//! checked against TRL's documented columns (`scripts/check_datasets.py`).
//!
//! Needs a Python with `datasets` installed: `SWIPESET_PYTHON` names it (`scripts/test.sh`
//! makes a virtual environment). Without it the test says so and passes, unless
//! `SWIPESET_REQUIRE_PYTHON=1` (set by `scripts/test.sh`), when it fails.

mod common;

use serde_json::json;
use swipeset_core::accounts::guests;
use swipeset_core::campaign::NewCampaign;
use swipeset_core::campaign::models;
use swipeset_core::campaign::prompts;
use swipeset_core::campaign::responses::{self, NewResponse};
use swipeset_core::export::{Export, ExportOptions, Format, Kind, Policy, Variant};
use swipeset_core::rating::rate::{self, NewRating};
use swipeset_core::{Label, Store};

const SLUG: &str = "compat";
const CHAT: &str = "chat";

/// 6 prompts × 3 models, each response rated by the same 3 annotators, so that every
/// prompt has labels of both kinds and DPO pairs.
async fn campaign(db: &sea_orm::DatabaseConnection) {
    let store = Store::new(db.clone());
    let campaign = swipeset_core::campaign::create(
        db,
        NewCampaign {
            overlap: 3,
            license: "cc-by-4.0".into(),
            ..NewCampaign::new(SLUG, "Compatibility")
        },
    )
    .await
    .unwrap();
    let mut model_ids = Vec::new();
    for m in 0..3 {
        model_ids.push(
            models::ensure(db, &format!("Model {m}"), &format!("org/compat-{m}"))
                .await
                .unwrap()
                .id,
        );
    }
    let mut users = Vec::new();
    for who in ["a", "b", "c"] {
        users.push(guests::browser_annotator(db, who).await.unwrap().id);
    }
    for p in 0..6 {
        let system = (p % 2 == 0).then_some("You are a poet.");
        let text = format!("Write about {p}");
        // Metadata of every JSON type, and a prompt without any: each becomes a nullable
        // string column.
        let metadata = (p != 5).then(|| {
            json!({"topic": if p % 2 == 0 { "poetry" } else { "prose" }, "difficulty": p,
                   "tags": ["a", "b"]})
        });
        let new = prompts::NewPrompt {
            text: &text,
            system,
            history: &[],
            metadata,
        };
        let prompt = prompts::insert(db, campaign.id, &new).await.unwrap();
        let rows = model_ids
            .iter()
            .map(|&m| NewResponse {
                metadata: Some(json!({"temperature": 0.7, "seed": m})),
                ..NewResponse::for_prompt(&prompt, m, format!("Poem {p} by {m}, ünïcode ✓"))
            })
            .collect();
        responses::add_many(db, campaign.id, rows).await.unwrap();
    }
    let generations = generation_ids(db).await;
    for (i, id) in generations.into_iter().enumerate() {
        for (u, &user) in users.iter().enumerate() {
            rate::rate(&store, user, NewRating::new(id, vote(i, u)))
                .await
                .unwrap();
        }
    }
}

/// Per prompt: model 0 is voted down 1–2, model 1 up 3–0, model 2 up 2–1.
fn vote(response: usize, rater: usize) -> Label {
    let up = match response % 3 {
        0 => rater == 0,
        1 => true,
        _ => rater != 2,
    };
    if up { Label::Up } else { Label::Down }
}

/// A campaign of 5-turn conversations, imported as a user would: prompts from a JSONL
/// file of `messages` with a `topic`, responses from a file in TRL's conversational format
/// (`prompt` a message list, `completion` one assistant message) with their generation
/// parameters. Rated like the other.
async fn chat_campaign(db: &sea_orm::DatabaseConnection, dir: &std::path::Path) {
    use swipeset_core::import::{self, PromptFields, ResponseFields, Source};
    let store = Store::new(db.clone());
    swipeset_core::campaign::create(db, NewCampaign::new(CHAT, "Conversations"))
        .await
        .unwrap();
    let conversation = |p: usize| {
        json!([
            {"role": "system", "content": "You are a patient tutor."},
            {"role": "user", "content": format!("Teach me topic {p}.")},
            {"role": "assistant", "content": "Gladly: where shall we start?"},
            {"role": "user", "content": "From the basics."},
            {"role": "assistant", "content": "Here are the **basics**: ..."},
            {"role": "user", "content": format!("Quiz me on topic {p}.")},
        ])
    };
    let mut prompts_file = String::new();
    let mut responses_file = String::new();
    for p in 0..4 {
        prompts_file.push_str(&format!(
            "{}\n",
            json!({"messages": conversation(p), "topic": format!("topic {}", p % 2)})
        ));
        for m in 0..3 {
            responses_file.push_str(&format!(
                "{}\n",
                json!({"prompt": conversation(p),
                       "completion": [{"role": "assistant", "content": format!("Question {m}: ...")}],
                       "model": format!("chat-model-{m}"),
                       "generation_params": {"temperature": 0.2 * m as f64}})
            ));
        }
    }
    let prompts_path = dir.join("chat-prompts.jsonl");
    let responses_path = dir.join("chat-responses.jsonl");
    std::fs::write(&prompts_path, prompts_file).unwrap();
    std::fs::write(&responses_path, responses_file).unwrap();
    let added = import::import_prompts(
        db,
        CHAT,
        &Source::new(&prompts_path),
        &PromptFields::default(),
    )
    .await
    .unwrap();
    assert_eq!(added.added, 4);
    let added = import::import_responses(
        db,
        CHAT,
        &Source::new(&responses_path),
        &ResponseFields::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        (added.added, added.prompts_added),
        (12, 0),
        "the responses found their conversations"
    );
    let users: Vec<i32> = {
        let mut users = Vec::new();
        for who in ["a", "b", "c"] {
            users.push(guests::browser_annotator(db, who).await.unwrap().id);
        }
        users
    };
    let chat = swipeset_core::campaign::get(db, CHAT).await.unwrap();
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    use swipeset_core::db::entities::generation;
    let ids: Vec<i32> = generation::Entity::find()
        .filter(generation::Column::CampaignId.eq(chat.id))
        .order_by_asc(generation::Column::Id)
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.id)
        .collect();
    for (i, id) in ids.into_iter().enumerate() {
        for (u, &user) in users.iter().enumerate() {
            rate::rate(&store, user, NewRating::new(id, vote(i, u)))
                .await
                .unwrap();
        }
    }
}

async fn generation_ids(db: &sea_orm::DatabaseConnection) -> Vec<i32> {
    use sea_orm::{EntityTrait, QueryOrder};
    use swipeset_core::db::entities::generation;
    generation::Entity::find()
        .order_by_asc(generation::Column::Id)
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.id)
        .collect()
}

#[tokio::test]
async fn every_export_loads_in_datasets_with_trl_columns() {
    let Some(python) = common::python() else {
        eprintln!("skipped: set SWIPESET_PYTHON to a Python with `datasets` installed");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("compat.db").display());
    let db = swipeset_core::db::connect(&url).await.unwrap();
    campaign(&db).await;
    chat_campaign(&db, dir.path()).await;

    let mut manifest = Vec::new();
    for kind in [Kind::Kto, Kind::Dpo, Kind::Ratings] {
        for variant in [Variant::Standard, Variant::Conversational] {
            for format in [Format::Parquet, Format::Jsonl, Format::Csv] {
                if format == Format::Csv && variant == Variant::Conversational {
                    continue;
                }
                let name = format!("{}-{}-{}", kind.name(), variant.name(), format.name());
                let options = ExportOptions {
                    variant,
                    format,
                    ..ExportOptions::new(kind)
                };
                manifest.push(export(&db, SLUG, &dir.path().join(name), options).await);
            }
        }
        // Conversations: only the conversational variant holds them.
        for format in [Format::Parquet, Format::Jsonl] {
            let name = format!("chat-{}-{}", kind.name(), format.name());
            let options = ExportOptions {
                variant: Variant::Conversational,
                format,
                ..ExportOptions::new(kind)
            };
            manifest.push(export(&db, CHAT, &dir.path().join(name), options).await);
        }
    }
    // The weighted policy's KTO rows carry one more column, `p_up`.
    for format in [Format::Parquet, Format::Jsonl, Format::Csv] {
        let options = ExportOptions {
            format,
            policy: Policy::parse("weighted", 2, Some(0.6)).unwrap(),
            ..ExportOptions::new(Kind::Kto)
        };
        let out = dir.path().join(format!("kto-weighted-{}", format.name()));
        manifest.push(export(&db, SLUG, &out, options).await);
    }
    common::check_datasets(&python, dir.path(), &manifest);
}

/// Writes one export of `slug` to `out`; its line of the manifest, with the metadata
/// columns and the length of the first row's conversation that the check expects.
async fn export(
    db: &sea_orm::DatabaseConnection,
    slug: &str,
    out: &std::path::Path,
    options: ExportOptions,
) -> serde_json::Value {
    let (kind, variant, format) = (options.kind, options.variant, options.format);
    let metadata: Vec<&str> = match (slug, kind) {
        (CHAT, Kind::Dpo) => vec![
            "topic",
            "chosen_generation_params",
            "rejected_generation_params",
        ],
        (CHAT, _) => vec!["topic", "generation_params"],
        (_, Kind::Dpo) => vec![
            "difficulty",
            "tags",
            "topic",
            "chosen_seed",
            "rejected_seed",
            "chosen_temperature",
            "rejected_temperature",
        ],
        _ => vec!["difficulty", "tags", "topic", "seed", "temperature"],
    };
    let prompt_messages = match (slug, variant) {
        (CHAT, _) => Some(6),
        (_, Variant::Conversational) => Some(2),
        _ => None,
    };
    let summary = Export::prepare(db, slug, options)
        .await
        .unwrap()
        .write_directory(out, false, &mut |_| {})
        .await
        .unwrap();
    json!({
        "dir": out,
        "data_path": summary.data_path,
        "kind": kind.name(),
        "variant": variant.name(),
        "format": format.name(),
        "rows": summary.plan.rows,
        "metadata": metadata,
        "prompt_messages": prompt_messages,
    })
}
