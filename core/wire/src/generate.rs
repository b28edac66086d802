//! The campaign page's Generate section: the models to ask, and a run's live progress.

use serde::{Deserialize, Serialize};

use crate::GenerationLine;

/// One model as the form edits it: a `[[model]]` of `models.toml`. The API key is only
/// ever the name of an environment variable on the server.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ModelRow {
    pub name: String,
    pub base_url: String,
    pub model: String,
    /// The variable holding the API key (`HF_TOKEN`, `OPENAI_API_KEY`); empty for none.
    #[serde(default)]
    pub api_key_env: String,
    #[serde(default)]
    pub system_prompt: String,
    #[serde(default)]
    pub temperature: Option<f64>,
    #[serde(default)]
    pub top_p: Option<f64>,
    #[serde(default)]
    pub max_tokens: Option<u32>,
    pub samples: u32,
    pub concurrency: u32,
    /// Replies only: whether that variable is set on the server (never its value).
    #[serde(default)]
    pub key_set: bool,
}

/// One model's part of the run in progress.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ModelProgress {
    pub name: String,
    /// To ask in this run, and finished so far.
    pub asked: u64,
    pub done: u64,
    pub failed: u64,
    /// There before the run started.
    pub skipped: u64,
    /// Finished per minute since the run started.
    pub per_minute: f64,
    /// Seconds to go at that rate, once there is one.
    pub eta_secs: Option<u64>,
    /// This run's failure reasons, most frequent first (at most three).
    pub reasons: Vec<(String, u64)>,
}

/// How a campaign's generation stands: `idle` (never run), `running`, `paused`,
/// `finished` or `failed`, with the last run's message.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GenerateProgress {
    pub state: String,
    pub message: Option<String>,
    /// Per model, while a run is in progress on this server (empty otherwise).
    pub models: Vec<ModelProgress>,
}

/// Everything the Generate section shows (`generate_status`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GenerateReply {
    pub campaign: String,
    pub prompts: u64,
    pub models: Vec<ModelRow>,
    /// The saved models as `models.toml`, to download or copy.
    pub models_toml: String,
    pub progress: GenerateProgress,
    /// Per model: responses, and what every run so far recorded.
    pub lines: Vec<GenerationLine>,
}
