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
        let prompt = prompts::add(db, campaign.id, &format!("Write about {p}"), system, None)
            .await
            .unwrap();
        let rows = model_ids
            .iter()
            .map(|&m| NewResponse::for_prompt(&prompt, m, format!("Poem {p} by {m}, ünïcode ✓")))
            .collect();
        responses::add_many(db, campaign.id, rows).await.unwrap();
    }
    let generations = generation_ids(db).await;
    for (i, id) in generations.into_iter().enumerate() {
        for (u, &user) in users.iter().enumerate() {
            // Per prompt: model 0 is voted down 1–2, model 1 up 3–0, model 2 up 2–1.
            let up = match i % 3 {
                0 => u == 0,
                1 => true,
                _ => u != 2,
            };
            let label = if up { Label::Up } else { Label::Down };
            rate::rate(&store, user, NewRating::new(id, label))
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
                manifest.push(export(&db, &dir.path().join(name), options).await);
            }
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
        manifest.push(export(&db, &out, options).await);
    }
    common::check_datasets(&python, dir.path(), &manifest);
}

/// Writes one export to `out`; its line of the manifest.
async fn export(
    db: &sea_orm::DatabaseConnection,
    out: &std::path::Path,
    options: ExportOptions,
) -> serde_json::Value {
    let (kind, variant, format) = (options.kind, options.variant, options.format);
    let summary = Export::prepare(db, SLUG, options)
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
    })
}
