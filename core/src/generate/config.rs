//! `models.toml`: the models `swipeset generate` asks, each an OpenAI-compatible endpoint
//! with its own parameters, samples per prompt, concurrency cap and timeout.
//!
//! ```toml
//! [[model]]
//! name = "Mistral 7B Instruct"            # shown on the leaderboard
//! base_url = "https://router.huggingface.co/v1"
//! model = "mistralai/Mistral-7B-Instruct-v0.2"
//! api_key_env = "HF_TOKEN"                 # the variable holding the key; none if absent
//! temperature = 0.7
//! max_tokens = 512
//! samples = 1                              # responses per prompt
//! concurrency = 8                          # requests in flight to this model
//! ```

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::CoreError;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ModelsFile {
    #[serde(rename = "model")]
    pub models: Vec<ModelSpec>,
}

/// The sampling parameters sent with every request, recorded with every response.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Sampling {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stop: Vec<String>,
}

/// One `[[model]]`. Serialized back to TOML for the campaign page's Generate section, which
/// keeps the models as a `models.toml` (API keys only by their variables' names).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// The display name (the leaderboard's and the export's `model`).
    pub name: String,
    /// The endpoint's base URL; requests go to `{base_url}/chat/completions`.
    pub base_url: String,
    /// The model id sent in each request.
    pub model: String,
    /// The environment variable that holds the API key; no `Authorization` header without.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key_env: Option<String>,
    /// Sent as the system message when the prompt has none of its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stop: Vec<String>,
    #[serde(default = "one")]
    pub samples: u32,
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// Tries per request, the first included.
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
}

fn one() -> u32 {
    1
}
fn default_concurrency() -> usize {
    4
}
fn default_timeout() -> u64 {
    120
}
fn default_attempts() -> u32 {
    6
}

impl ModelSpec {
    pub fn sampling(&self) -> Sampling {
        Sampling {
            temperature: self.temperature,
            top_p: self.top_p,
            max_tokens: self.max_tokens,
            seed: self.seed,
            stop: self.stop.clone(),
        }
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }

    /// The API key from the environment, or an error naming the variable.
    pub fn api_key(&self) -> Result<Option<String>, CoreError> {
        match &self.api_key_env {
            None => Ok(None),
            Some(var) => match std::env::var(var) {
                Ok(key) if !key.is_empty() => Ok(Some(key)),
                _ => Err(CoreError::invalid(
                    "api_key_env",
                    format!(
                        "model `{}` reads its API key from ${var}, which is not set",
                        self.name
                    ),
                )),
            },
        }
    }
}

impl ModelsFile {
    /// The file as `models.toml` text; `parse` reads it back.
    pub fn to_toml(&self) -> String {
        // Every field is a string, number or list of strings: this cannot fail.
        toml::to_string(self).unwrap_or_default()
    }

    /// Reads and checks `path`; errors name the file, and the line where TOML says.
    pub fn load(path: &Path) -> Result<Self, CoreError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            CoreError::invalid("models", format!("cannot read {}: {e}", path.display()))
        })?;
        Self::parse(&text).map_err(|e| match e {
            CoreError::Invalid { field, reason } => {
                CoreError::invalid(field, format!("{}: {reason}", path.display()))
            }
            other => other,
        })
    }

    pub fn parse(text: &str) -> Result<Self, CoreError> {
        let file: ModelsFile = toml::from_str(text)
            .map_err(|e| CoreError::invalid("models", e.to_string().trim().to_string()))?;
        if file.models.is_empty() {
            return Err(CoreError::invalid("models", "no [[model]] entries"));
        }
        let mut names = std::collections::HashSet::new();
        for m in &file.models {
            let problem = if m.name.trim().is_empty() {
                Some("`name` is empty".to_string())
            } else if !names.insert(m.name.clone()) {
                Some("the name is used twice".to_string())
            } else if !(m.base_url.starts_with("http://") || m.base_url.starts_with("https://")) {
                Some(format!(
                    "`base_url` must start with http:// or https://, got `{}`",
                    m.base_url
                ))
            } else if m.model.trim().is_empty() {
                Some("`model` is empty".to_string())
            } else if m.samples == 0 {
                Some("`samples` must be at least 1".to_string())
            } else if m.concurrency == 0 {
                Some("`concurrency` must be at least 1".to_string())
            } else if m.max_attempts == 0 {
                Some("`max_attempts` must be at least 1".to_string())
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(CoreError::invalid(
                    "models",
                    format!("model `{}`: {problem}", m.name),
                ));
            }
        }
        Ok(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_model_with_defaults() {
        let file = ModelsFile::parse(
            r#"
            [[model]]
            name = "A"
            base_url = "http://localhost:8000/v1"
            model = "org/a"
            temperature = 0.7
            stop = ["\n\n"]
            "#,
        )
        .unwrap();
        let m = &file.models[0];
        assert_eq!((m.samples, m.concurrency, m.max_attempts), (1, 4, 6));
        assert_eq!(m.sampling().temperature, Some(0.7));
        assert_eq!(
            serde_json::to_value(m.sampling()).unwrap(),
            serde_json::json!({"temperature": 0.7, "stop": ["\n\n"]})
        );
    }

    #[test]
    fn written_back_as_toml_it_reads_the_same() {
        let text = "[[model]]\nname = \"A\"\nbase_url = \"http://h/v1\"\nmodel = \"m\"\napi_key_env = \"KEY\"\ntemperature = 0.5\nsamples = 2\n";
        let file = ModelsFile::parse(text).unwrap();
        let again = ModelsFile::parse(&file.to_toml()).unwrap();
        let m = &again.models[0];
        assert_eq!(m.api_key_env.as_deref(), Some("KEY"));
        assert_eq!((m.temperature, m.samples, m.top_p), (Some(0.5), 2, None));
        assert!(!file.to_toml().contains("top_p"), "{}", file.to_toml());
    }

    #[test]
    fn mistakes_are_named() {
        let err = ModelsFile::parse("[[model]]\nname = \"A\"\nbase_url = \"x\"\nmodel = \"m\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("model `A`: `base_url` must start with http"),
            "{err}"
        );
        let err = ModelsFile::parse("[[model]]\nname = \"A\"\ntemprature = 1\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("temprature"), "{err}");
        assert!(err.contains("line"), "{err}");
    }
}

#[cfg(test)]
mod examples {
    use super::ModelsFile;

    #[test]
    fn the_shipped_examples_parse() {
        for name in ["models.hosted.toml", "models.local.toml"] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../examples")
                .join(name);
            let file = ModelsFile::load(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!file.models.is_empty());
        }
    }
}
