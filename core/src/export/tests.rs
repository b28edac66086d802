//! Exports read back with the parquet crate, serde_json and csv: exactly the rows and types
//! expected from known ratings, the policy's edge cases, and bad requests that leave no
//! file behind.

use std::collections::BTreeMap;
use std::path::Path;

use arrow_array::{
    Array, BooleanArray, Float64Array, Int64Array, ListArray, RecordBatch, RecordBatchReader,
    StringArray, StructArray, TimestampMicrosecondArray,
};
use arrow_schema::{DataType, TimeUnit};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};
use serde_json::{Value, json};

use super::*;
use crate::accounts::guests;
use crate::campaign::NewCampaign;
use crate::campaign::models;
use crate::campaign::prompts;
use crate::campaign::responses;
use crate::campaign::responses::NewResponse;
use crate::db::entities::generation;
use crate::rating::rate::{self, NewRating};
use crate::{Label, Store};

const SLUG: &str = "exp";

/// Votes per (prompt, model); `U`/`D` per annotator a, b, c in turn.
const VOTES: &[(usize, usize, &str)] = &[
    (0, 0, "UU"),  // 👍 2–0
    (0, 1, "DD"),  // 👎 0–2: prompt 0 has one pair
    (1, 0, "UD"),  // tie
    (1, 1, "U"),   // too few votes
    (2, 0, "UUD"), // 👍 2–1, not unanimous
    (2, 1, "UU"),  // 👍: prompt 2 is 👍 only, so no pair
    (3, 0, "UU"),  // one of these is undone below: too few votes
    (4, 0, "UU"),
    (4, 1, "UUU"),
    (4, 2, "DD"),
    (4, 3, "DDU"),
];

struct Fixture {
    store: Store,
    /// generation id by (prompt, model)
    ids: BTreeMap<(usize, usize), i32>,
    users: Vec<i32>,
}

async fn fixture() -> Fixture {
    let store = crate::testing::fresh_store().await;
    let db = store.db().clone();
    let campaign = crate::campaign::create(
        &db,
        NewCampaign {
            overlap: 5,
            guidelines: "Is it a haiku?".into(),
            license: "cc-by-4.0".into(),
            ..NewCampaign::new(SLUG, "Export | test")
        },
    )
    .await
    .unwrap();
    let mut model_ids = Vec::new();
    for m in 0..4 {
        model_ids.push(
            models::ensure(&db, &format!("Model {m}"), &format!("org/model-{m}"))
                .await
                .unwrap()
                .id,
        );
    }
    let mut rows = Vec::new();
    for p in 0..5 {
        let system = (p == 0).then_some("Answer in haiku.");
        let prompt = prompts::add(
            &db,
            campaign.id,
            &format!("Prompt {p}, \"quoted\""),
            system,
            None,
        )
        .await
        .unwrap();
        for (m, &model_id) in model_ids.iter().enumerate() {
            rows.push(NewResponse::for_prompt(
                &prompt,
                model_id,
                format!("Response {p}/{m}\nsecond line, with a comma"),
            ));
        }
    }
    responses::add_many(&db, campaign.id, rows).await.unwrap();
    let all = generation::Entity::find()
        .order_by_asc(generation::Column::Id)
        .all(&db)
        .await
        .unwrap();
    let ids = all
        .iter()
        .enumerate()
        .map(|(i, g)| ((i / 4, i % 4), g.id))
        .collect::<BTreeMap<_, _>>();
    let mut users = Vec::new();
    for who in ["a", "b", "c"] {
        users.push(guests::browser_annotator(&db, who).await.unwrap().id);
    }
    for &(p, m, votes) in VOTES {
        for (i, vote) in votes.chars().enumerate() {
            let label = if vote == 'U' { Label::Up } else { Label::Down };
            let new = NewRating {
                decision_ms: (p == 0 && i == 0).then_some(1234),
                ..NewRating::new(ids[&(p, m)], label)
            };
            rate::rate(&store, users[i], new).await.unwrap();
        }
    }
    rate::undo(&store, users[1], ids[&(3, 0)]).await.unwrap();
    Fixture { store, ids, users }
}

impl Fixture {
    fn db(&self) -> &DatabaseConnection {
        self.store.db()
    }

    fn id(&self, p: usize, m: usize) -> i64 {
        i64::from(self.ids[&(p, m)])
    }

    /// One more prompt in the campaign, without responses yet.
    async fn add_prompt(&self, text: &str) -> crate::db::entities::prompt::Model {
        let campaign = crate::campaign::resolve(self.db(), Some(SLUG))
            .await
            .unwrap()
            .unwrap();
        prompts::add(self.db(), campaign.id, text, None, None)
            .await
            .unwrap()
    }
}

async fn export_dir(
    db: &DatabaseConnection,
    options: ExportOptions,
    out: &Path,
) -> Result<Summary, ExportError> {
    Export::prepare(db, SLUG, options)
        .await?
        .write_directory(out, false, &mut |_| {})
        .await
}

fn options(kind: Kind, format: Format) -> ExportOptions {
    ExportOptions {
        format,
        ..ExportOptions::new(kind)
    }
}

/// One arrow value as JSON, the way the JSONL export spells it.
fn arrow_value(array: &dyn Array, i: usize) -> Value {
    if array.is_null(i) {
        return Value::Null;
    }
    match array.data_type() {
        DataType::Utf8 => json!(
            array
                .as_any()
                .downcast_ref::<StringArray>()
                .unwrap()
                .value(i)
        ),
        DataType::Boolean => {
            json!(
                array
                    .as_any()
                    .downcast_ref::<BooleanArray>()
                    .unwrap()
                    .value(i)
            )
        }
        DataType::Int64 => json!(
            array
                .as_any()
                .downcast_ref::<Int64Array>()
                .unwrap()
                .value(i)
        ),
        DataType::Float64 => {
            json!(
                array
                    .as_any()
                    .downcast_ref::<Float64Array>()
                    .unwrap()
                    .value(i)
            )
        }
        DataType::Timestamp(TimeUnit::Microsecond, Some(_)) => {
            let micros = array
                .as_any()
                .downcast_ref::<TimestampMicrosecondArray>()
                .unwrap()
                .value(i);
            json!(
                chrono::DateTime::from_timestamp_micros(micros)
                    .unwrap()
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
            )
        }
        DataType::List(_) => {
            let list = array.as_any().downcast_ref::<ListArray>().unwrap().value(i);
            let items = list.as_any().downcast_ref::<StructArray>().unwrap();
            (0..items.len())
                .map(|j| {
                    let mut object = serde_json::Map::new();
                    for (field, column) in items.fields().iter().zip(items.columns()) {
                        object.insert(field.name().clone(), arrow_value(column.as_ref(), j));
                    }
                    Value::Object(object)
                })
                .collect()
        }
        other => panic!("unexpected type {other}"),
    }
}

fn read_parquet(path: &Path) -> (Vec<Value>, arrow_schema::SchemaRef) {
    let file = std::fs::File::open(path).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let schema = reader.schema();
    let mut rows = Vec::new();
    for batch in reader {
        let batch: RecordBatch = batch.unwrap();
        for i in 0..batch.num_rows() {
            let mut object = serde_json::Map::new();
            for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
                object.insert(field.name().clone(), arrow_value(column.as_ref(), i));
            }
            rows.push(Value::Object(object));
        }
    }
    (rows, schema)
}

fn read_jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// CSV holds text only: every expected value as the CSV spells it.
fn read_csv(path: &Path) -> Vec<Value> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            Value::Object(
                headers
                    .iter()
                    .zip(record.iter())
                    .map(|(h, v)| (h.to_string(), json!(v)))
                    .collect(),
            )
        })
        .collect()
}

fn as_csv_text(rows: &[Value]) -> Vec<Value> {
    rows.iter()
        .map(|row| {
            Value::Object(
                row.as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| {
                        let text = match v {
                            Value::String(s) => s.clone(),
                            Value::Null => String::new(),
                            other => other.to_string(),
                        };
                        (k.clone(), json!(text))
                    })
                    .collect(),
            )
        })
        .collect()
}

fn kto_row(f: &Fixture, p: usize, m: usize, label: bool, up: i64, down: i64) -> Value {
    json!({
        "prompt": format!("Prompt {p}, \"quoted\""),
        "completion": format!("Response {p}/{m}\nsecond line, with a comma"),
        "label": label,
        "model": format!("Model {m}"),
        "n_up": up,
        "n_down": down,
        "agreement": up.max(down) as f64 / (up + down) as f64,
        "campaign": SLUG,
        "response_id": f.id(p, m),
        "generation_id": f.id(p, m),
    })
}

fn expected_kto(f: &Fixture) -> Vec<Value> {
    vec![
        kto_row(f, 0, 0, true, 2, 0),
        kto_row(f, 0, 1, false, 0, 2),
        kto_row(f, 2, 0, true, 2, 1),
        kto_row(f, 2, 1, true, 2, 0),
        kto_row(f, 4, 0, true, 2, 0),
        kto_row(f, 4, 1, true, 3, 0),
        kto_row(f, 4, 2, false, 0, 2),
        kto_row(f, 4, 3, false, 1, 2),
    ]
}

#[tokio::test]
async fn kto_round_trips_in_every_format() {
    let f = fixture().await;
    let dir = tempfile::tempdir().unwrap();
    let expected = expected_kto(&f);
    for format in [Format::Parquet, Format::Jsonl, Format::Csv] {
        let out = dir.path().join(format.name());
        let summary = export_dir(f.db(), options(Kind::Kto, format), &out)
            .await
            .unwrap();
        assert_eq!(summary.plan.rows, 8);
        assert_eq!(summary.plan.labelled, 8);
        assert_eq!(summary.plan.responses, 20);
        assert_eq!(summary.plan.dropped[&DropReason::TooFewVotes], 11);
        assert_eq!(summary.plan.dropped[&DropReason::Tie], 1);
        let data = out.join(format!("data/train-00000-of-00001.{}", format.name()));
        match format {
            Format::Parquet => {
                let (rows, schema) = read_parquet(&data);
                assert_eq!(rows, expected);
                assert_eq!(
                    schema.field_with_name("label").unwrap().data_type(),
                    &DataType::Boolean
                );
                let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
                assert_eq!(&names[..3], ["prompt", "completion", "label"]);
            }
            Format::Jsonl => assert_eq!(read_jsonl(&data), expected),
            Format::Csv => assert_eq!(read_csv(&data), as_csv_text(&expected)),
        }
        let card = std::fs::read_to_string(out.join("README.md")).unwrap();
        assert!(card.starts_with("---\nlicense: cc-by-4.0\n"), "{card}");
        assert!(card.contains("tags:\n- kto\n"), "{card}");
        assert!(card.contains("size_categories:\n- n<1K\n"), "{card}");
        assert!(card.contains("path: data/train-*"), "{card}");
        assert!(card.contains("pretty_name: \"Export | test\""), "{card}");
        assert!(card.contains("dropped, tied votes: 1"), "{card}");
        assert!(card.contains("dropped, too few votes: 11"), "{card}");
        assert!(card.contains("Krippendorff"), "{card}");
        // The model table escapes the title's bar nowhere else; rows of the acceptance
        // table carry each model's Wilson interval.
        assert!(card.contains("| Model 1 |"), "{card}");
        assert_eq!(
            std::fs::read_dir(dir.path())
                .unwrap()
                .filter(|e| e
                    .as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with('.'))
                .count(),
            0,
            "no staging directory is left behind"
        );
    }
}

#[tokio::test]
async fn conversational_rows_are_trl_messages() {
    let f = fixture().await;
    let dir = tempfile::tempdir().unwrap();
    for format in [Format::Parquet, Format::Jsonl] {
        let out = dir.path().join(format.name());
        let opts = ExportOptions {
            variant: Variant::Conversational,
            ..options(Kind::Kto, format)
        };
        export_dir(f.db(), opts, &out).await.unwrap();
        let data = out.join(format!("data/train-00000-of-00001.{}", format.name()));
        let rows = match format {
            Format::Parquet => read_parquet(&data).0,
            _ => read_jsonl(&data),
        };
        assert_eq!(
            rows[0]["prompt"],
            json!([
                {"role": "system", "content": "Answer in haiku."},
                {"role": "user", "content": "Prompt 0, \"quoted\""},
            ])
        );
        assert_eq!(
            rows[0]["completion"],
            json!([{"role": "assistant", "content": "Response 0/0\nsecond line, with a comma"}])
        );
        // No system prompt, no system message.
        assert_eq!(
            rows[2]["prompt"],
            json!([{"role": "user", "content": "Prompt 2, \"quoted\""}])
        );
        assert_eq!(rows[0]["label"], json!(true));
    }
}

#[tokio::test]
async fn dpo_pairs_clearest_first_and_honours_the_cap() {
    let f = fixture().await;
    let dir = tempfile::tempdir().unwrap();
    let pair = |p: usize, good: usize, bad: usize| {
        json!({
            "prompt": format!("Prompt {p}, \"quoted\""),
            "chosen": format!("Response {p}/{good}\nsecond line, with a comma"),
            "rejected": format!("Response {p}/{bad}\nsecond line, with a comma"),
            "chosen_model": format!("Model {good}"),
            "rejected_model": format!("Model {bad}"),
            "campaign": SLUG,
            "chosen_response_id": f.id(p, good),
            "rejected_response_id": f.id(p, bad),
            "chosen_generation_id": f.id(p, good),
            "rejected_generation_id": f.id(p, bad),
        })
    };
    let summary = export_dir(
        f.db(),
        options(Kind::Dpo, Format::Jsonl),
        &dir.path().join("all"),
    )
    .await
    .unwrap();
    let rows = read_jsonl(&dir.path().join("all/data/train-00000-of-00001.jsonl"));
    // Prompt 4: 👍 by margin Model 1 (3–0), Model 0 (2–0); 👎 Model 2 (0–2), Model 3 (1–2).
    assert_eq!(
        rows,
        vec![
            pair(0, 0, 1),
            pair(4, 1, 2),
            pair(4, 1, 3),
            pair(4, 0, 2),
            pair(4, 0, 3),
        ]
    );
    assert_eq!(summary.plan.prompts_with_pairs, 2);
    // Prompt 2 is 👍 only; prompt 3's one labelled response is gone with the undo.
    assert_eq!(summary.plan.prompts_one_sided, 1);
    assert_eq!(summary.plan.pairs_over_cap, 0);

    let capped = ExportOptions {
        max_pairs_per_prompt: Some(3),
        ..options(Kind::Dpo, Format::Parquet)
    };
    let summary = export_dir(f.db(), capped, &dir.path().join("capped"))
        .await
        .unwrap();
    let (rows, _) = read_parquet(&dir.path().join("capped/data/train-00000-of-00001.parquet"));
    assert_eq!(
        rows,
        vec![pair(0, 0, 1), pair(4, 1, 2), pair(4, 1, 3), pair(4, 0, 2)]
    );
    assert_eq!(summary.plan.pairs_over_cap, 1);
    let card = std::fs::read_to_string(dir.path().join("capped/README.md")).unwrap();
    assert!(card.contains("tags:\n- dpo\n"), "{card}");
    assert!(card.contains("at most 3 per prompt"), "{card}");
}

#[tokio::test]
async fn unanimous_drops_every_disagreement() {
    let f = fixture().await;
    let dir = tempfile::tempdir().unwrap();
    let opts = ExportOptions {
        policy: Policy::parse("unanimous", 2, None).unwrap(),
        ..options(Kind::Kto, Format::Jsonl)
    };
    let summary = export_dir(f.db(), opts, &dir.path().join("u"))
        .await
        .unwrap();
    let rows = read_jsonl(&dir.path().join("u/data/train-00000-of-00001.jsonl"));
    let expected: Vec<Value> = [
        kto_row(&f, 0, 0, true, 2, 0),
        kto_row(&f, 0, 1, false, 0, 2),
        kto_row(&f, 2, 1, true, 2, 0),
        kto_row(&f, 4, 0, true, 2, 0),
        kto_row(&f, 4, 1, true, 3, 0),
        kto_row(&f, 4, 2, false, 0, 2),
    ]
    .into();
    assert_eq!(rows, expected);
    // Prompt 1's tie, prompt 2's 2–1 and prompt 4's 1–2.
    assert_eq!(summary.plan.dropped[&DropReason::Disagreement], 3);
    let card = std::fs::read_to_string(dir.path().join("u/README.md")).unwrap();
    assert!(card.contains("unanimous: at least 2 votes"), "{card}");
}

#[tokio::test]
async fn weighted_labels_carry_their_posterior_and_the_card_describes_the_model() {
    let f = fixture().await;
    let dir = tempfile::tempdir().unwrap();
    let opts = ExportOptions {
        policy: Policy::parse("weighted", 2, Some(0.6)).unwrap(),
        ..options(Kind::Kto, Format::Parquet)
    };
    let summary = export_dir(f.db(), opts, &dir.path().join("w"))
        .await
        .unwrap();
    let (rows, schema) = read_parquet(&dir.path().join("w/data/train-00000-of-00001.parquet"));
    assert_eq!(
        schema.field_with_name("p_up").unwrap().data_type(),
        &DataType::Float64
    );
    assert_eq!(rows.len() as u64, summary.plan.rows);
    assert!(!rows.is_empty());
    for row in &rows {
        let p_up = row["p_up"].as_f64().unwrap();
        let label = row["label"].as_bool().unwrap();
        assert!(if label { p_up >= 0.6 } else { p_up <= 0.4 }, "{row}");
        // The clear cases keep their label: 2–0 and 3–0 are 👍, 0–2 is 👎.
        let votes = (
            row["n_up"].as_i64().unwrap(),
            row["n_down"].as_i64().unwrap(),
        );
        match votes {
            (2 | 3, 0) => assert!(label, "{row}"),
            (0, 2) => assert!(!label, "{row}"),
            _ => {}
        }
    }
    let dropped: u64 = summary.plan.dropped.values().sum();
    assert_eq!(summary.plan.labelled + dropped, summary.plan.responses);
    let card = std::fs::read_to_string(dir.path().join("w/README.md")).unwrap();
    assert!(card.contains("weighted: at least 2 votes"), "{card}");
    assert!(
        card.contains("**Rater model**: fitted to 23 votes from 3 raters"),
        "{card}"
    );
    assert!(card.contains("| `p_up` | float64 |"), "{card}");
    // Majority and unanimous exports have no such column.
    export_dir(
        f.db(),
        options(Kind::Kto, Format::Parquet),
        &dir.path().join("m"),
    )
    .await
    .unwrap();
    let (_, schema) = read_parquet(&dir.path().join("m/data/train-00000-of-00001.parquet"));
    assert!(schema.field_with_name("p_up").is_err());
}

#[tokio::test]
async fn ratings_rows_carry_pseudonyms_and_decision_times() {
    let f = fixture().await;
    let dir = tempfile::tempdir().unwrap();
    let summary = export_dir(
        f.db(),
        options(Kind::Ratings, Format::Parquet),
        &dir.path().join("r"),
    )
    .await
    .unwrap();
    let total_votes: usize = VOTES.iter().map(|(_, _, v)| v.len()).sum();
    assert_eq!(
        summary.plan.rows as usize,
        total_votes - 1,
        "the undone rating is gone"
    );
    let (rows, schema) = read_parquet(&dir.path().join("r/data/train-00000-of-00001.parquet"));
    assert_eq!(rows.len(), total_votes - 1);
    assert!(matches!(
        schema.field_with_name("created_at").unwrap().data_type(),
        DataType::Timestamp(TimeUnit::Microsecond, Some(_))
    ));
    assert!(schema.field_with_name("decision_ms").unwrap().is_nullable());
    let first = &rows[0];
    assert_eq!(first["prompt"], json!("Prompt 0, \"quoted\""));
    assert_eq!(first["model"], json!("Model 0"));
    assert_eq!(first["label"], json!(true));
    assert_eq!(first["decision_ms"], json!(1234));
    assert_eq!(rows[1]["decision_ms"], Value::Null);
    let campaign_id = Export::prepare(f.db(), SLUG, options(Kind::Ratings, Format::Jsonl))
        .await
        .unwrap()
        .campaign()
        .id;
    assert_eq!(
        first["annotator"],
        json!(annotator_id(
            &instance_secret(f.db()).await.unwrap(),
            campaign_id,
            f.users[0]
        ))
    );
    assert!(!first["annotator"].as_str().unwrap().contains("guest"));
    assert!(
        first.get("annotator_name").is_none(),
        "names only when asked"
    );

    let named = ExportOptions {
        annotator_names: true,
        ..options(Kind::Ratings, Format::Csv)
    };
    export_dir(f.db(), named, &dir.path().join("named"))
        .await
        .unwrap();
    let rows = read_csv(&dir.path().join("named/data/train-00000-of-00001.csv"));
    assert!(
        rows[0]["annotator_name"]
            .as_str()
            .unwrap()
            .starts_with("guest-")
    );
    assert_eq!(rows[0]["created_at"], json!(first["created_at"]));
}

struct VecSink(Vec<u8>);

impl ByteSink for VecSink {
    async fn put(&mut self, bytes: Vec<u8>) -> Result<(), ExportError> {
        self.0.extend_from_slice(&bytes);
        Ok(())
    }
}

#[tokio::test]
async fn a_zip_holds_the_whole_dataset_directory() {
    let f = fixture().await;
    let export = Export::prepare(f.db(), SLUG, options(Kind::Kto, Format::Parquet))
        .await
        .unwrap();
    assert_eq!(export.download_name(true), "exp-kto.zip");
    let mut sink = VecSink(Vec::new());
    export.stream_zip(&mut sink).await.unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(sink.0)).unwrap();
    let names: Vec<String> = (0..archive.len())
        .map(|i| archive.by_index(i).unwrap().name().unwrap().to_string())
        .collect();
    assert_eq!(names, ["data/train-00000-of-00001.parquet", "README.md"]);
    let dir = tempfile::tempdir().unwrap();
    archive.extract(dir.path()).unwrap();
    let (rows, _) = read_parquet(&dir.path().join("data/train-00000-of-00001.parquet"));
    assert_eq!(rows, expected_kto(&f));
    let card = std::fs::read_to_string(dir.path().join("README.md")).unwrap();
    assert!(card.starts_with("---\nlicense: cc-by-4.0"));
}

#[tokio::test]
async fn bad_requests_fail_before_writing_anything() {
    let f = fixture().await;
    let dir = tempfile::tempdir().unwrap();
    let listing = |path: &Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };

    // An unknown campaign.
    let err = Export::prepare(f.db(), "nope", ExportOptions::new(Kind::Kto))
        .await
        .err()
        .unwrap();
    assert!(
        matches!(err, ExportError::Core(CoreError::NotFound { .. })),
        "{err}"
    );
    assert_eq!(err.to_string(), "campaign nope does not exist");

    // An output path below a file.
    std::fs::write(dir.path().join("file"), "x").unwrap();
    let err = export_dir(
        f.db(),
        ExportOptions::new(Kind::Kto),
        &dir.path().join("file/out"),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().starts_with("cannot write "), "{err}");
    assert!(err.to_string().contains("file/out"), "{err}");

    // A directory that holds something else.
    std::fs::create_dir(dir.path().join("taken")).unwrap();
    std::fs::write(dir.path().join("taken/keep.txt"), "mine").unwrap();
    let err = export_dir(
        f.db(),
        ExportOptions::new(Kind::Kto),
        &dir.path().join("taken"),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("--overwrite"), "{err}");
    assert_eq!(listing(&dir.path().join("taken")), ["keep.txt"]);

    // A policy under which nothing is labelled.
    let strict = ExportOptions {
        policy: Policy::parse("majority", 4, None).unwrap(),
        ..ExportOptions::new(Kind::Kto)
    };
    let err = export_dir(f.db(), strict, &dir.path().join("strict"))
        .await
        .unwrap_err();
    assert!(matches!(err, ExportError::Empty(_)), "{err}");
    assert!(err.to_string().contains("min_votes 4"), "{err}");
    assert!(err.to_string().contains("20 with too few votes"), "{err}");

    // Message lists do not fit in CSV.
    let csv = ExportOptions {
        variant: Variant::Conversational,
        ..options(Kind::Kto, Format::Csv)
    };
    let err = export_dir(f.db(), csv, &dir.path().join("csv"))
        .await
        .unwrap_err();
    assert!(matches!(err, ExportError::Unsupported(_)), "{err}");

    assert_eq!(
        listing(dir.path()),
        ["file", "taken"],
        "nothing else was written"
    );
}

/// Text that a spreadsheet would run: by default written as it is, byte for byte; with
/// `csv_safe`, each such cell (and only those) gets a `'` before it.
#[tokio::test]
async fn csv_safe_defuses_formulas_and_the_default_stays_as_written() {
    let f = fixture().await;
    let db = f.db();
    let prompt = f.add_prompt("=cmd|' /C calc'!A0").await;
    let mut texts = Vec::new();
    for (m, text) in ["@SUM(1+1)", "-2 is negative", "+1", "\t=tab"]
        .into_iter()
        .enumerate()
    {
        let model = models::ensure(db, &format!("Model {m}"), &format!("org/model-{m}"))
            .await
            .unwrap();
        texts.push(NewResponse::for_prompt(&prompt, model.id, text));
    }
    responses::add_many(db, prompt.campaign_id, texts)
        .await
        .unwrap();
    for g in generation::Entity::find()
        .filter(generation::Column::PromptId.eq(prompt.id))
        .all(db)
        .await
        .unwrap()
    {
        rate::rate(&f.store, f.users[0], NewRating::new(g.id, Label::Up))
            .await
            .unwrap();
    }

    let dir = tempfile::tempdir().unwrap();
    let csv = |safe: bool| ExportOptions {
        csv_safe: safe,
        ..options(Kind::Ratings, Format::Csv)
    };
    export_dir(db, csv(false), &dir.path().join("plain"))
        .await
        .unwrap();
    export_dir(db, csv(true), &dir.path().join("safe"))
        .await
        .unwrap();
    let plain = read_csv(&dir.path().join("plain/data/train-00000-of-00001.csv"));
    let safe = read_csv(&dir.path().join("safe/data/train-00000-of-00001.csv"));

    let completions: Vec<&str> = plain
        .iter()
        .filter(|r| r["prompt"] == json!("=cmd|' /C calc'!A0"))
        .filter_map(|r| r["completion"].as_str())
        .collect();
    assert_eq!(
        completions.len(),
        4,
        "the default writes the texts as they are"
    );
    for text in ["@SUM(1+1)", "-2 is negative", "+1", "\t=tab"] {
        assert!(completions.contains(&text), "{text:?} in {completions:?}");
    }
    assert_eq!(plain.len(), safe.len());
    let mut defused = 0;
    for (p, s) in plain.iter().zip(&safe) {
        for (column, value) in p.as_object().unwrap() {
            let text = value.as_str().unwrap();
            let starts_formula = text.starts_with(['=', '+', '-', '@', '\t', '\r']);
            let expected = if starts_formula {
                defused += 1;
                format!("'{text}")
            } else {
                text.to_string()
            };
            assert_eq!(s[column], json!(expected), "{column}: {text:?}");
        }
    }
    assert_eq!(
        defused, 8,
        "the prompt and the completion of the 4 new rows"
    );

    let err = ExportOptions {
        csv_safe: true,
        ..options(Kind::Kto, Format::Parquet)
    }
    .validate()
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid csv_safe: applies to the csv format only"
    );
}

#[tokio::test]
async fn overwrite_replaces_a_previous_export() {
    let f = fixture().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("kto");
    export_dir(f.db(), options(Kind::Kto, Format::Csv), &out)
        .await
        .unwrap();
    Export::prepare(f.db(), SLUG, options(Kind::Kto, Format::Jsonl))
        .await
        .unwrap()
        .write_directory(&out, true, &mut |_| {})
        .await
        .unwrap();
    let mut data: Vec<String> = std::fs::read_dir(out.join("data"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    data.sort();
    assert_eq!(data, ["train-00000-of-00001.jsonl"]);
}

#[test]
fn names_parse_and_say_what_was_expected() {
    assert_eq!("dpo".parse::<Kind>().unwrap(), Kind::Dpo);
    assert_eq!("jsonl".parse::<Format>().unwrap(), Format::Jsonl);
    let err = "xlsx".parse::<Format>().unwrap_err().to_string();
    assert_eq!(
        err,
        "invalid format: expected one of `parquet`, `jsonl`, `csv`, got `xlsx`"
    );
    let err = ExportOptions {
        license: Some("CC BY".into()),
        ..ExportOptions::new(Kind::Kto)
    }
    .validate()
    .unwrap_err()
    .to_string();
    assert!(err.contains("license"), "{err}");
}

#[tokio::test]
async fn the_card_shows_recorded_generation_parameters() {
    let f = fixture().await;
    let db = f.db();
    let prompt = f.add_prompt("With params").await;
    let model = models::ensure(db, "Model 0", "org/model-0").await.unwrap();
    responses::add_many(
        db,
        prompt.campaign_id,
        vec![NewResponse {
            params: Some(json!({"temperature": 0.7})),
            ..NewResponse::for_prompt(&prompt, model.id, "x")
        }],
    )
    .await
    .unwrap();
    let card = Export::prepare(db, SLUG, ExportOptions::new(Kind::Kto))
        .await
        .unwrap()
        .card()
        .await
        .unwrap();
    assert!(card.contains(r#"| `{"temperature":0.7}` |"#), "{card}");
    assert!(
        card.contains("| Model 1 | `org/model-1` | not recorded |"),
        "{card}"
    );
}

#[tokio::test]
async fn annotator_ids_are_keyed_by_the_instance() {
    let (a, b) = (
        crate::testing::fresh_db().await,
        crate::testing::fresh_db().await,
    );
    let (secret_a, secret_b) = (
        instance_secret(&a).await.unwrap(),
        instance_secret(&b).await.unwrap(),
    );
    assert_eq!(secret_a.len(), 64);
    assert_ne!(secret_a, secret_b, "every instance makes its own secret");
    // Stable within an instance, unrelated across instances.
    assert_eq!(annotator_id(&secret_a, 1, 7), annotator_id(&secret_a, 1, 7));
    assert_ne!(annotator_id(&secret_a, 1, 7), annotator_id(&secret_b, 1, 7));
    assert_ne!(annotator_id(&secret_a, 1, 7), annotator_id(&secret_a, 2, 7));
}

/// Adds to the fixture's campaign a conversation (prompt 5) with metadata on it and on its
/// two responses, the first voted 👍 by a and b, the second 👎: one KTO row each, one DPO
/// pair. Its metadata keys collide with fixed columns (`model`, `n_up`) on purpose.
async fn add_conversation(f: &Fixture) -> (i32, i32) {
    use crate::campaign::conversation::Turn;
    let db = f.db();
    let campaign = crate::campaign::get(db, SLUG).await.unwrap();
    let history = [
        Turn {
            role: "user".into(),
            content: "Hi".into(),
        },
        Turn {
            role: "assistant".into(),
            content: "Hello! How can I help?".into(),
        },
    ];
    let prompt = prompts::insert(
        db,
        campaign.id,
        &prompts::NewPrompt {
            text: "A haiku about tea?",
            system: Some("Be brief."),
            history: &history,
            metadata: Some(json!({"topic": "poetry", "model": "collides", "turns": 3})),
        },
    )
    .await
    .unwrap();
    let model = models::ensure(db, "Model 0", "org/model-0").await.unwrap();
    let other = models::ensure(db, "Model 1", "org/model-1").await.unwrap();
    responses::add_many(
        db,
        campaign.id,
        vec![
            NewResponse {
                metadata: Some(json!({"seed": 1})),
                ..NewResponse::for_prompt(&prompt, model.id, "Steam on the water")
            },
            NewResponse {
                metadata: Some(json!({"seed": 2, "n_up": "collides"})),
                ..NewResponse::for_prompt(&prompt, other.id, "Tea.")
            },
        ],
    )
    .await
    .unwrap();
    let ids: Vec<i32> = generation::Entity::find()
        .order_by_desc(generation::Column::Id)
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .take(2)
        .map(|g| g.id)
        .collect();
    let (good, bad) = (ids[1], ids[0]);
    for &user in &f.users[..2] {
        rate::rate(&f.store, user, NewRating::new(good, Label::Up))
            .await
            .unwrap();
        rate::rate(&f.store, user, NewRating::new(bad, Label::Down))
            .await
            .unwrap();
    }
    (good, bad)
}

fn conversation_prompt() -> Value {
    json!([
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": "A haiku about tea?"},
    ])
}

#[tokio::test]
async fn conversations_export_whole_and_the_standard_variant_refuses_them() {
    let f = fixture().await;
    add_conversation(&f).await;
    let dir = tempfile::tempdir().unwrap();
    let err = export_dir(
        f.db(),
        options(Kind::Kto, Format::Jsonl),
        &dir.path().join("std"),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with("1 of the prompts of `exp` are conversations, and the standard variant"),
        "{err}"
    );
    assert!(err.contains("--conversational"), "{err}");
    assert!(!dir.path().join("std").exists(), "nothing is written");

    for kind in [Kind::Kto, Kind::Dpo, Kind::Ratings] {
        for format in [Format::Parquet, Format::Jsonl] {
            let out = dir
                .path()
                .join(format!("{}-{}", kind.name(), format.name()));
            let opts = ExportOptions {
                variant: Variant::Conversational,
                ..options(kind, format)
            };
            export_dir(f.db(), opts, &out).await.unwrap();
            let data = out.join(format!("data/train-00000-of-00001.{}", format.name()));
            let rows = match format {
                Format::Parquet => read_parquet(&data).0,
                _ => read_jsonl(&data),
            };
            let conversation: Vec<&Value> = rows
                .iter()
                .filter(|r| r["prompt"] == conversation_prompt())
                .collect();
            let expected = match kind {
                Kind::Kto => 2,
                Kind::Dpo => 1,
                Kind::Ratings => 4,
            };
            assert_eq!(conversation.len(), expected, "{kind:?} {format:?}");
        }
    }
}

#[tokio::test]
async fn metadata_becomes_columns_named_without_shadowing_and_the_card_lists_them() {
    let f = fixture().await;
    let (good, bad) = add_conversation(&f).await;
    let dir = tempfile::tempdir().unwrap();
    let conversational = |kind: Kind, format: Format| ExportOptions {
        variant: Variant::Conversational,
        ..options(kind, format)
    };

    let out = dir.path().join("kto");
    export_dir(f.db(), conversational(Kind::Kto, Format::Parquet), &out)
        .await
        .unwrap();
    let (rows, schema) = read_parquet(&out.join("data/train-00000-of-00001.parquet"));
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(
        names[names.len() - 5..],
        ["prompt_model", "topic", "turns", "response_n_up", "seed"],
        "prompt keys, then response keys; a fixed column's name gets a prefix"
    );
    let row = rows
        .iter()
        .find(|r| r["response_id"] == json!(good))
        .unwrap();
    assert_eq!(row["model"], json!("Model 0"));
    assert_eq!(row["prompt_model"], json!("collides"));
    assert_eq!(row["topic"], json!("poetry"));
    assert_eq!(row["turns"], json!("3"), "a number is written as its JSON");
    assert_eq!(row["seed"], json!("1"));
    assert_eq!(row["response_n_up"], Value::Null);
    assert_eq!(rows[0]["topic"], Value::Null, "a prompt without metadata");
    let card = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(
        card.contains(
            "| `topic` | string (may be null) | the prompt's metadata field `topic` from its import"
        ),
        "{card}"
    );
    assert!(
        card.contains(
            "| `response_n_up` | string (may be null) | the response's metadata field `n_up`"
        ),
        "{card}"
    );

    let out = dir.path().join("dpo");
    export_dir(f.db(), conversational(Kind::Dpo, Format::Jsonl), &out)
        .await
        .unwrap();
    let rows = read_jsonl(&out.join("data/train-00000-of-00001.jsonl"));
    let pair = rows
        .iter()
        .find(|r| r["chosen_response_id"] == json!(good))
        .unwrap();
    assert_eq!(pair["rejected_response_id"], json!(bad));
    assert_eq!(
        (&pair["chosen_seed"], &pair["rejected_seed"]),
        (&json!("1"), &json!("2"))
    );
    assert_eq!(
        (&pair["chosen_n_up"], &pair["rejected_n_up"]),
        (&Value::Null, &json!("collides"))
    );

    let out = dir.path().join("ratings");
    let opts = ExportOptions {
        metadata: Keep::Named(vec!["topic".into(), "seed".into()]),
        ..conversational(Kind::Ratings, Format::Jsonl)
    };
    export_dir(f.db(), opts, &out).await.unwrap();
    let rows = read_jsonl(&out.join("data/train-00000-of-00001.jsonl"));
    let last = rows.last().unwrap();
    assert_eq!(
        (&last["topic"], &last["seed"]),
        (&json!("poetry"), &json!("2"))
    );
    assert!(last.get("turns").is_none() && last.get("response_n_up").is_none());

    let out = dir.path().join("none");
    let opts = ExportOptions {
        metadata: Keep::Nothing,
        ..conversational(Kind::Kto, Format::Jsonl)
    };
    export_dir(f.db(), opts, &out).await.unwrap();
    let rows = read_jsonl(&out.join("data/train-00000-of-00001.jsonl"));
    assert!(
        rows.iter()
            .all(|r| r.get("topic").is_none() && r.get("seed").is_none())
    );

    let opts = ExportOptions {
        metadata: Keep::Named(vec!["topic".into(), "lang".into()]),
        ..conversational(Kind::Kto, Format::Jsonl)
    };
    let err = export_dir(f.db(), opts, &dir.path().join("bad"))
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "invalid metadata: no prompt or response has a field `lang`; the fields are `model`, `topic`, `turns`, `n_up`, `seed`"
    );
}
