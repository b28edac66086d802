//! Every import format, re-imports that add nothing, and every kind of bad input, each
//! leaving the database as it was.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

use super::*;
use crate::campaign::NewCampaign;
use crate::db::entities::{generation, model_stat, prompt};

const SLUG: &str = "imp";

async fn setup() -> (DatabaseConnection, tempfile::TempDir) {
    let db = crate::testing::fresh_db().await;
    crate::campaign::create(&db, NewCampaign::new(SLUG, "Import"))
        .await
        .unwrap();
    (db, tempfile::tempdir().unwrap())
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
    path
}

fn write_parquet(dir: &Path, name: &str, columns: &[(&str, Vec<Option<&str>>)]) -> PathBuf {
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .map(|(n, _)| Field::new(*n, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ));
    let arrays = columns
        .iter()
        .map(|(_, v)| Arc::new(StringArray::from(v.clone())) as arrow_array::ArrayRef)
        .collect();
    let batch = RecordBatch::try_new(schema.clone(), arrays).unwrap();
    let path = dir.join(name);
    let mut writer =
        ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), schema, None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    path
}

async fn prompt_texts(db: &DatabaseConnection) -> Vec<(String, Option<String>)> {
    prompt::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.text, p.system_prompt))
        .collect()
}

async fn prompts_from(db: &DatabaseConnection, path: &Path) -> Result<ImportSummary, ImportError> {
    import_prompts(db, SLUG, &Source::new(path), &PromptFields::default()).await
}

#[tokio::test]
async fn prompts_import_from_every_format_and_only_once() {
    let (db, dir) = setup().await;
    let jsonl = write(
        dir.path(),
        "p.jsonl",
        br#"{"prompt": "Write a haiku about rain", "system_prompt": "Be brief."}

{"messages": [{"role": "system", "content": "You are a poet."}, {"role": "user", "content": "Autumn"}]}
{"messages": [{"role": "user", "content": "Winter"}]}
"#,
    );
    let csv = write(
        dir.path(),
        "p.csv",
        b"id,prompt\n1,\"Spring, with a comma\"\n2,Summer\n",
    );
    let text = write(
        dir.path(),
        "p.txt",
        b"Night\r\n\n  Write a haiku   about rain\n",
    );
    let parquet = write_parquet(
        dir.path(),
        "p.parquet",
        &[("prompt", vec![Some("Dawn"), Some("Dusk")])],
    );

    let s = prompts_from(&db, &jsonl).await.unwrap();
    assert_eq!((s.records, s.added, s.duplicates), (3, 3, 0));
    let s = prompts_from(&db, &csv).await.unwrap();
    assert_eq!((s.records, s.added), (2, 2));
    let s = prompts_from(&db, &text).await.unwrap();
    // "Write a haiku about rain" without a system prompt is a prompt of its own.
    assert_eq!((s.records, s.added), (2, 2));
    let s = prompts_from(&db, &parquet).await.unwrap();
    assert_eq!((s.records, s.added), (2, 2));
    assert_eq!(
        prompt_texts(&db).await,
        vec![
            ("Write a haiku about rain".into(), Some("Be brief.".into())),
            ("Autumn".into(), Some("You are a poet.".into())),
            ("Winter".into(), None),
            ("Spring, with a comma".into(), None),
            ("Summer".into(), None),
            ("Night".into(), None),
            ("Write a haiku   about rain".into(), None),
            ("Dawn".into(), None),
            ("Dusk".into(), None),
        ]
    );

    // Again: nothing new, and the summary says so.
    for path in [&jsonl, &csv, &text, &parquet] {
        let s = prompts_from(&db, path).await.unwrap();
        assert_eq!(s.added, 0, "{}", path.display());
        assert_eq!(s.duplicates, s.records);
    }
    // Different spacing is the same prompt.
    let spaced = write(dir.path(), "spaced.txt", b"Write  a haiku about   rain\n");
    assert_eq!(prompts_from(&db, &spaced).await.unwrap().added, 0);
}

#[tokio::test]
async fn a_field_or_column_can_be_named() {
    let (db, dir) = setup().await;
    let csv = write(dir.path(), "q.csv", b"question\nWhy?\n");
    let fields = PromptFields {
        prompt: "question".into(),
        ..PromptFields::default()
    };
    let s = import_prompts(&db, SLUG, &Source::new(&csv), &fields)
        .await
        .unwrap();
    assert_eq!(s.added, 1);
}

/// Imports `bytes` as `name` and returns the error, after checking nothing was written.
async fn refused(db: &DatabaseConnection, dir: &Path, name: &str, bytes: &[u8]) -> String {
    let before = prompt::Entity::find().count(db).await.unwrap();
    let path = write(dir, name, bytes);
    let err = prompts_from(db, &path).await.unwrap_err().to_string();
    assert_eq!(
        prompt::Entity::find().count(db).await.unwrap(),
        before,
        "{err}"
    );
    err
}

#[tokio::test]
async fn bad_input_says_where_and_changes_nothing() {
    let (db, dir) = setup().await;
    let d = dir.path();
    let mut big = String::new();
    for i in 1..4_017 {
        big.push_str(&format!("{{\"prompt\": \"prompt {i}\"}}\n"));
    }
    big.push_str("{\"prompt\": \"broken\"\n");
    let err = refused(&db, d, "broken.jsonl", big.as_bytes()).await;
    assert!(
        err.contains("broken.jsonl: line 4,017: broken JSON"),
        "{err}"
    );

    let err = refused(&db, d, "nocol.csv", b"text\nhello\n").await;
    assert!(
        err.contains("nocol.csv: line 1: no column `prompt`; the columns are `text`"),
        "{err}"
    );

    let parquet = write_parquet(d, "nocol.parquet", &[("text", vec![Some("x")])]);
    let err = prompts_from(&db, &parquet).await.unwrap_err().to_string();
    assert!(err.contains("row 1: no column `prompt`"), "{err}");

    let err = refused(
        &db,
        d,
        "empty.jsonl",
        b"{\"prompt\": \"ok\"}\n{\"prompt\": \"  \"}\n",
    )
    .await;
    assert!(
        err.contains("empty.jsonl: line 2: field `prompt` is empty"),
        "{err}"
    );

    let err = refused(&db, d, "missing.jsonl", b"{\"question\": \"Why?\"}\n").await;
    assert!(err.contains("line 1: field `prompt` is missing"), "{err}");

    let err = refused(&db, d, "number.jsonl", b"{\"prompt\": 7}\n").await;
    assert!(err.contains("field `prompt` is a number"), "{err}");

    let err = refused(&db, d, "latin1.txt", b"fine\ncaf\xe9\n").await;
    assert!(
        err.contains("latin1.txt: line 2: not UTF-8: byte 0xe9 at column 4"),
        "{err}"
    );

    let err = refused(&db, d, "latin1.csv", b"prompt\nok\ncaf\xe9\n").await;
    assert!(err.contains("latin1.csv: line 3: not UTF-8"), "{err}");

    // A line of more than 16 MiB is refused before it is all in memory.
    let mut huge = b"{\"prompt\": \"fine\"}\n{\"prompt\": \"".to_vec();
    huge.resize(huge.len() + super::MAX_RECORD_BYTES as usize, b'a');
    huge.extend_from_slice(b"\"}\n");
    let err = refused(&db, d, "huge.jsonl", &huge).await;
    assert!(
        err.contains("huge.jsonl: line 2: the line is longer than 16 MiB"),
        "{err}"
    );
    let mut huge = b"fine\n".to_vec();
    huge.resize(huge.len() + super::MAX_RECORD_BYTES as usize + 1, b'a');
    let err = refused(&db, d, "huge.txt", &huge).await;
    assert!(
        err.contains("huge.txt: line 2: the line is longer"),
        "{err}"
    );

    let err = refused(
        &db,
        d,
        "turns.jsonl",
        br#"{"messages": [{"role": "user", "content": "a"}]}
{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}
"#,
    )
    .await;
    assert!(
        err.contains("turns.jsonl: line 2: field `messages`: the last message has role `assistant`; a prompt ends with the user's turn"),
        "{err}"
    );
    let err = refused(&db, d, "roles.jsonl", br#"{"prompt": [{"role": "user", "content": "a"}, {"role": "tool", "content": "b"}, {"role": "user", "content": "c"}]}
"#).await;
    assert!(
        err.contains("roles.jsonl: line 1: field `prompt`: message 2 has role `tool`"),
        "{err}"
    );

    let err = refused(&db, d, "empty.parquet", b"not parquet at all").await;
    assert!(err.contains("not a readable Parquet file"), "{err}");

    let err = refused(&db, d, "prompts.xlsx", b"whatever").await;
    assert!(err.contains("--format"), "{err}");

    let path = write(d, "big.txt", b"one\ntwo\nthree\n");
    let source = Source {
        max_file_bytes: 8,
        ..Source::new(&path)
    };
    let err = import_prompts(&db, SLUG, &source, &PromptFields::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("big.txt: 14 bytes, over the limit of 8 bytes"),
        "{err}"
    );

    let err = import_prompts(&db, "nope", &Source::new(&path), &PromptFields::default())
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(err, "campaign nope does not exist");
    assert_eq!(prompt::Entity::find().count(&db).await.unwrap(), 0);
}

#[tokio::test]
async fn generations_link_to_prompts_and_import_only_once() {
    let (db, dir) = setup().await;
    let campaign = crate::campaign::resolve(&db, Some(SLUG))
        .await
        .unwrap()
        .unwrap();
    prompts::add(&db, campaign.id, "Write a haiku about rain", None, None)
        .await
        .unwrap();
    // The columns of a distilabel text-generation pipeline.
    let jsonl = write(
        dir.path(),
        "gen.jsonl",
        br#"{"instruction": "Write a haiku  about rain", "generation": "Rain taps the roof", "model_name": "org/a"}
{"instruction": "Write a haiku about rain", "generation": "Grey sky, wet stones", "model_name": "org/b"}
{"instruction": "Write a haiku about snow", "generation": "White hush", "model_name": "org/a"}
{"instruction": "Write a haiku about snow", "generation": "White hush", "model_name": "org/a"}
"#,
    );
    let source = Source::new(&jsonl);
    let fields = ResponseFields::default();
    let s = import_responses(&db, SLUG, &source, &fields).await.unwrap();
    assert_eq!(
        (s.records, s.added, s.duplicates, s.prompts_added),
        (4, 3, 1, 1)
    );
    assert_eq!(prompt::Entity::find().count(&db).await.unwrap(), 2);
    assert_eq!(generation::Entity::find().count(&db).await.unwrap(), 3);
    // The leaderboard's per-model rows count the new responses.
    let responses: i32 = model_stat::Entity::find()
        .filter(model_stat::Column::CampaignId.eq(campaign.id))
        .all(&db)
        .await
        .unwrap()
        .iter()
        .map(|m| m.responses)
        .sum();
    assert_eq!(responses, 3);

    let again = import_responses(&db, SLUG, &source, &fields).await.unwrap();
    assert_eq!(
        (again.added, again.duplicates, again.prompts_added),
        (0, 4, 0)
    );

    let csv = write(
        dir.path(),
        "gen.csv",
        b"prompt,completion,model\nWhy?,Because,org/c\n",
    );
    let s = import_responses(&db, SLUG, &Source::new(&csv), &fields)
        .await
        .unwrap();
    assert_eq!(s.added, 1);
    let parquet = write_parquet(
        dir.path(),
        "gen.parquet",
        &[
            ("prompt", vec![Some("Why?")]),
            ("completion", vec![Some("Why not")]),
            ("model", vec![Some("org/c")]),
        ],
    );
    let s = import_responses(&db, SLUG, &Source::new(&parquet), &fields)
        .await
        .unwrap();
    assert_eq!((s.added, s.prompts_added), (1, 0));
}

#[tokio::test]
async fn a_bad_generation_row_rolls_the_whole_file_back() {
    let (db, dir) = setup().await;
    let jsonl = write(
        dir.path(),
        "gen.jsonl",
        br#"{"prompt": "A", "completion": "a", "model": "m"}
{"prompt": "B", "completion": "", "model": "m"}
"#,
    );
    let err = import_responses(&db, SLUG, &Source::new(&jsonl), &ResponseFields::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("gen.jsonl: line 2: field `completion` is empty"),
        "{err}"
    );
    assert_eq!(prompt::Entity::find().count(&db).await.unwrap(), 0);
    assert_eq!(generation::Entity::find().count(&db).await.unwrap(), 0);

    let nomodel = write(dir.path(), "nomodel.csv", b"prompt,completion\nA,a\n");
    let err = import_responses(
        &db,
        SLUG,
        &Source::new(&nomodel),
        &ResponseFields::default(),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("line 2: no field `model` or `model_name`"),
        "{err}"
    );
}

/// Inputs the fuzzer (`scripts/fuzz.sh`) found to break a reader, kept in `regressions/`:
/// each must be refused with a clear error, never a panic.
#[tokio::test]
async fn inputs_the_fuzzer_found_are_refused_cleanly() {
    let (db, _dir) = setup().await;
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/import/regressions");
    let err = prompts_from(&db, &here.join("negative-chunk-offset.parquet"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("negative-chunk-offset.parquet: not a readable Parquet file: column"),
        "{err}"
    );
    assert!(err.contains("lies outside the file"), "{err}");

    // The parquet crate divided by this page's value count, zero, and panicked (now
    // contained, see `read::contained`); the page check refuses the file before that.
    let err = prompts_from(&db, &here.join("zero-value-page.parquet"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "zero-value-page.parquet: not a readable Parquet file: column `prompt` of row \
             group 1: the page header runs past the end of its column"
        ),
        "{err}"
    );
}

/// Nothing in a file can make swipeset hold more than a record's or a page's worth of it:
/// a CSV record that never ends, a Parquet row of more than 16 MiB, a page that declares a
/// decompressed size beyond the cap, a page header that is not one.
#[tokio::test]
async fn records_and_pages_have_a_size_cap() {
    let (db, dir) = setup().await;
    let d = dir.path();
    let cap = super::MAX_RECORD_BYTES as usize;

    // A quoted CSV field that goes on for more than 16 MiB across many lines.
    let mut csv = b"prompt\nfine\n\"".to_vec();
    while csv.len() < cap + 256 * 1024 {
        csv.extend_from_slice(b"a line of an unclosed quote\n");
    }
    let err = refused(&db, d, "unclosed.csv", &csv).await;
    assert!(
        err.contains("unclosed.csv: line 3: the record is longer than 16 MiB"),
        "{err}"
    );
    // Just under the cap is read.
    let mut csv = b"prompt\n\"".to_vec();
    csv.resize(cap - 1024, b'a');
    csv.extend_from_slice(b"\"\n");
    let path = write(d, "long.csv", &csv);
    prompts_from(&db, &path).await.unwrap();

    let big = "b".repeat(cap + 1);
    let path = write_parquet(
        d,
        "big-row.parquet",
        &[("prompt", vec![Some("fine"), Some(&big)])],
    );
    let err = prompts_from(&db, &path).await.unwrap_err().to_string();
    assert!(
        err.contains("big-row.parquet: row 2: the row holds 17 MiB of text, more than the 16 MiB"),
        "{err}"
    );

    // The page check reads the declared sizes: a 2 MiB page against a 1 MiB cap.
    let two = "c".repeat(2 * 1024 * 1024);
    let path = write_parquet(
        d,
        "page.parquet",
        &[("other", vec![Some("x")]), ("prompt", vec![Some(&two)])],
    );
    let metadata = metadata_of(&path);
    let err = super::parquet_pages::check_pages(&path, &metadata, &[1], 1024 * 1024)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "page.parquet: not a readable Parquet file: column `prompt` of row group 1: a page \
             would decompress to 3 MiB, more than the 1 MiB swipeset reads at once"
        ),
        "{err}"
    );
    // Only the columns read are checked, and the real cap lets the page through.
    super::parquet_pages::check_pages(&path, &metadata, &[0], 1024 * 1024).unwrap();
    super::parquet_pages::check_pages(&path, &metadata, &[1], super::parquet_pages::MAX_PAGE_BYTES)
        .unwrap();

    // A page header that is not one: its first byte names a type Thrift does not have.
    let path = write_parquet(d, "garbled.parquet", &[("prompt", vec![Some("fine")])]);
    let start = metadata_of(&path).row_group(0).column(0).byte_range().0 as usize;
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[start] = 0x1d;
    let err = refused(&db, d, "garbled.parquet", &bytes).await;
    assert!(
        err.contains(
            "garbled.parquet: not a readable Parquet file: column `prompt` of row group 1: the \
             page header is not valid (field type 13)"
        ),
        "{err}"
    );
}

fn metadata_of(path: &Path) -> parquet::file::metadata::ParquetMetaData {
    use parquet::file::reader::FileReader;
    parquet::file::reader::SerializedFileReader::new(std::fs::File::open(path).unwrap())
        .unwrap()
        .metadata()
        .clone()
}

#[tokio::test]
async fn gold_labels_import_from_json_and_csv_and_a_bad_one_says_where() {
    let (db, dir) = setup().await;
    let jsonl = write(
        dir.path(),
        "gold.jsonl",
        br#"{"prompt": "A", "completion": "a", "model": "m", "gold_label": true}
{"prompt": "B", "completion": "b", "model": "m", "gold_label": "Down"}
{"prompt": "C", "completion": "c", "model": "m", "gold_label": null}
{"prompt": "D", "completion": "d", "model": "m"}
"#,
    );
    let fields = ResponseFields::default();
    let s = import_responses(&db, SLUG, &Source::new(&jsonl), &fields)
        .await
        .unwrap();
    assert_eq!(s.added, 4);
    let csv = write(
        dir.path(),
        "gold.csv",
        b"prompt,completion,model,gold_label\nE,e,m,up\nF,f,m,\n",
    );
    import_responses(&db, SLUG, &Source::new(&csv), &fields)
        .await
        .unwrap();
    let mut gold: Vec<(String, Option<bool>)> = generation::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|g| (g.text, g.gold_label))
        .collect();
    gold.sort();
    assert_eq!(
        gold,
        vec![
            ("a".into(), Some(true)),
            ("b".into(), Some(false)),
            ("c".into(), None),
            ("d".into(), None),
            ("e".into(), Some(true)),
            ("f".into(), None),
        ]
    );
    let campaign = crate::campaign::get(&db, SLUG).await.unwrap();
    assert_eq!(campaign.gold_cards, 3);
    // Gold cards are not their model's responses.
    let responses: i32 = model_stat::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .iter()
        .map(|m| m.responses)
        .sum();
    assert_eq!(responses, 3);

    let bad = write(
        dir.path(),
        "bad.jsonl",
        br#"{"prompt": "G", "completion": "g", "model": "m", "gold_label": "maybe"}
"#,
    );
    let err = import_responses(&db, SLUG, &Source::new(&bad), &fields)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "bad.jsonl: line 1: field `gold_label` is `maybe`; expected true, false, up or down"
        ),
        "{err}"
    );
    let number = write(
        dir.path(),
        "number.jsonl",
        br#"{"prompt": "G", "completion": "g", "model": "m", "gold_label": 1}
"#,
    );
    let err = import_responses(&db, SLUG, &Source::new(&number), &fields)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("field `gold_label` is `a number`"), "{err}");
}

/// A Parquet file of `messages` (a list of {role, content} structs, as `datasets` writes
/// TRL's conversational format) beside metadata columns of other types.
fn write_conversations_parquet(dir: &Path, conversations: &[&[(&str, &str)]]) -> PathBuf {
    use arrow_array::builder::{Int64Builder, ListBuilder, StringBuilder, StructBuilder};
    use arrow_schema::Fields;
    let fields = Fields::from(vec![
        Field::new("role", DataType::Utf8, true),
        Field::new("content", DataType::Utf8, true),
    ]);
    let mut messages = ListBuilder::new(StructBuilder::from_fields(fields.clone(), 0));
    let mut tags = ListBuilder::new(StringBuilder::new());
    let mut difficulty = Int64Builder::new();
    let mut topic = StringBuilder::new();
    for (i, turns) in conversations.iter().enumerate() {
        let items = messages.values();
        for (role, content) in turns.iter() {
            items
                .field_builder::<StringBuilder>(0)
                .unwrap()
                .append_value(role);
            items
                .field_builder::<StringBuilder>(1)
                .unwrap()
                .append_value(content);
            items.append(true);
        }
        messages.append(true);
        tags.values().append_value("chat");
        tags.values().append_value(format!("t{i}"));
        tags.append(true);
        difficulty.append_value(i as i64 + 1);
        // The second row has no topic: a null is left out of its metadata.
        if i == 1 {
            topic.append_null();
        } else {
            topic.append_value("math");
        }
    }
    let messages = messages.finish();
    let schema = Arc::new(Schema::new(vec![
        Field::new(
            "messages",
            arrow_array::Array::data_type(&messages).clone(),
            true,
        ),
        Field::new("topic", DataType::Utf8, true),
        Field::new("difficulty", DataType::Int64, true),
        Field::new(
            "tags",
            DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))),
            true,
        ),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(messages),
            Arc::new(topic.finish()),
            Arc::new(difficulty.finish()),
            Arc::new(tags.finish()),
        ],
    )
    .unwrap();
    let path = dir.join("chat.parquet");
    let mut writer =
        ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), schema, None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    path
}

async fn prompts_by_text(db: &DatabaseConnection) -> Vec<prompt::Model> {
    let mut all = prompt::Entity::find().all(db).await.unwrap();
    all.sort_by_key(|p| p.id);
    all
}

#[tokio::test]
async fn conversations_import_from_jsonl_and_parquet_with_their_metadata() {
    use crate::campaign::conversation::{Turn, from_text};
    let (db, dir) = setup().await;
    let jsonl = write(
        dir.path(),
        "chat.jsonl",
        br#"{"messages": [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "A prime?"}, {"role": "assistant", "content": "7."}, {"role": "user", "content": "Another?"}], "topic": "math", "source": {"name": "oasst", "id": 12}}
{"prompt": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hey."}, {"role": "user", "content": "Another?"}], "topic": "math"}
{"prompt": "Another?", "topic": null}
"#,
    );
    let s = prompts_from(&db, &jsonl).await.unwrap();
    assert_eq!(
        (s.records, s.added),
        (3, 3),
        "the same last turn after other turns is another prompt"
    );
    let p = prompts_by_text(&db).await;
    assert_eq!(p[0].text, "Another?");
    assert_eq!(p[0].system_prompt.as_deref(), Some("Be kind."));
    let turn = |role: &str, content: &str| Turn {
        role: role.into(),
        content: content.into(),
    };
    assert_eq!(
        from_text(p[0].history.as_deref()),
        vec![
            turn("user", "Hi"),
            turn("assistant", "Hello!"),
            turn("user", "A prime?"),
            turn("assistant", "7."),
        ]
    );
    assert_eq!(
        p[0].metadata,
        Some(serde_json::json!({"topic": "math", "source": {"name": "oasst", "id": 12}}))
    );
    assert_eq!(from_text(p[1].history.as_deref()).len(), 2);
    assert_eq!(
        (p[2].history.as_deref(), p[2].metadata.as_ref()),
        (None, None)
    );
    // Again: nothing new.
    assert_eq!(prompts_from(&db, &jsonl).await.unwrap().added, 0);

    let parquet = write_conversations_parquet(
        dir.path(),
        &[
            &[("user", "2+2?"), ("assistant", "4"), ("user", "And 3+3?")],
            &[("system", "Terse."), ("user", "Capital of France?")],
        ],
    );
    let s = prompts_from(&db, &parquet).await.unwrap();
    assert_eq!((s.records, s.added), (2, 2));
    let p = prompts_by_text(&db).await;
    assert_eq!(p[3].text, "And 3+3?");
    assert_eq!(
        from_text(p[3].history.as_deref()),
        vec![turn("user", "2+2?"), turn("assistant", "4")]
    );
    assert_eq!(
        p[3].metadata,
        Some(serde_json::json!({"topic": "math", "difficulty": 1, "tags": ["chat", "t0"]}))
    );
    assert_eq!(p[4].system_prompt.as_deref(), Some("Terse."));
    assert_eq!(
        p[4].metadata,
        Some(serde_json::json!({"difficulty": 2, "tags": ["chat", "t1"]}))
    );
}

#[tokio::test]
async fn metadata_is_all_other_fields_the_named_ones_or_none() {
    let (db, dir) = setup().await;
    let import = |name: &'static str, bytes: &'static [u8], metadata: Keep| {
        let path = write(dir.path(), name, bytes);
        let db = db.clone();
        async move {
            let fields = PromptFields {
                metadata,
                ..PromptFields::default()
            };
            import_prompts(&db, SLUG, &Source::new(&path), &fields).await
        }
    };
    import(
        "all.jsonl",
        b"{\"prompt\": \"a\", \"topic\": \"poetry\", \"n\": 3, \"system_prompt\": \"s\"}\n",
        Keep::All,
    )
    .await
    .unwrap();
    import(
        "named.csv",
        b"prompt,topic,lang\nb,prose,en\nc,,fr\n",
        Keep::Named(vec!["topic".into()]),
    )
    .await
    .unwrap();
    import(
        "none.jsonl",
        b"{\"prompt\": \"d\", \"topic\": \"x\"}\n",
        Keep::Nothing,
    )
    .await
    .unwrap();
    let metadata: Vec<Option<serde_json::Value>> = prompts_by_text(&db)
        .await
        .into_iter()
        .map(|p| p.metadata)
        .collect();
    assert_eq!(
        metadata,
        vec![
            Some(serde_json::json!({"topic": "poetry", "n": 3})),
            Some(serde_json::json!({"topic": "prose"})),
            // An empty CSV cell is no value.
            None,
            None,
        ]
    );
    let err = import(
        "missing.csv",
        b"prompt,topic\ne,x\n",
        Keep::Named(vec!["topic".into(), "lang".into()]),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("missing.csv: line 1: no column `lang` (named in the metadata fields); the columns are `prompt`, `topic`"),
        "{err}"
    );
    assert_eq!(Keep::parse("all"), Ok(Keep::All));
    assert_eq!(Keep::parse(" none "), Ok(Keep::Nothing));
    assert_eq!(
        Keep::parse("topic, lang,"),
        Ok(Keep::Named(vec!["topic".into(), "lang".into()]))
    );
    assert!(Keep::parse(" , ").is_err());
}

#[tokio::test]
async fn trl_conversational_responses_import_with_metadata_split_between_prompt_and_response() {
    use crate::campaign::conversation::from_text;
    let (db, dir) = setup().await;
    let path = write(
        dir.path(),
        "responses.jsonl",
        br#"{"prompt": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}, {"role": "user", "content": "Joke?"}], "completion": [{"role": "assistant", "content": "Knock knock."}], "model": "m1", "topic": "humour", "generation_params": {"temperature": 0.7}}
{"prompt": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}, {"role": "user", "content": "Joke?"}], "completion": "Why did the chicken...", "model": "m2", "topic": "ignored: the prompt exists", "seed": 4}
"#,
    );
    let fields = ResponseFields {
        prompt_metadata: vec!["topic".into()],
        ..ResponseFields::default()
    };
    let s = import_responses(&db, SLUG, &Source::new(&path), &fields)
        .await
        .unwrap();
    assert_eq!((s.added, s.prompts_added), (2, 1));
    let prompts = prompts_by_text(&db).await;
    assert_eq!(prompts.len(), 1);
    assert_eq!(prompts[0].text, "Joke?");
    assert_eq!(from_text(prompts[0].history.as_deref()).len(), 2);
    assert_eq!(
        prompts[0].metadata,
        Some(serde_json::json!({"topic": "humour"}))
    );
    let mut responses = generation::Entity::find().all(&db).await.unwrap();
    responses.sort_by_key(|g| g.id);
    assert_eq!(responses[0].text, "Knock knock.");
    assert_eq!(
        responses[0].metadata,
        Some(serde_json::json!({"generation_params": {"temperature": 0.7}}))
    );
    assert_eq!(responses[1].metadata, Some(serde_json::json!({"seed": 4})));

    let bad = write(
        dir.path(),
        "bad.jsonl",
        br#"{"prompt": "Q", "completion": [{"role": "user", "content": "x"}], "model": "m1"}
"#,
    );
    let err = import_responses(&db, SLUG, &Source::new(&bad), &ResponseFields::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("bad.jsonl: line 1: field `completion` is a message list; expected one assistant message"),
        "{err}"
    );
}
