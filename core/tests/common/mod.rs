//! What several integration tests share: Hugging Face `datasets` in Python, run over a
//! manifest of dataset directories by `scripts/check_datasets.py`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The Python with `datasets` that `SWIPESET_PYTHON` names. Without it the caller skips,
/// unless `SWIPESET_REQUIRE_PYTHON=1` (set by `scripts/test.sh`), when this fails.
pub fn python() -> Option<PathBuf> {
    match std::env::var("SWIPESET_PYTHON") {
        Ok(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => {
            assert!(
                std::env::var("SWIPESET_REQUIRE_PYTHON").as_deref() != Ok("1"),
                "SWIPESET_REQUIRE_PYTHON=1 but SWIPESET_PYTHON is not set"
            );
            None
        }
    }
}

/// Loads every dataset of `manifest` (see the checker's docstring) offline, and asserts
/// that all of them passed.
pub fn check_datasets(python: &Path, scratch: &Path, manifest: &[serde_json::Value]) {
    let manifest_path = scratch.join("manifest.json");
    std::fs::write(&manifest_path, serde_json::to_vec(manifest).unwrap()).unwrap();
    let checker = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/check_datasets.py");
    let output = Command::new(python)
        .arg(checker)
        .arg(&manifest_path)
        .env("HF_HOME", scratch.join("hf"))
        .env("HF_DATASETS_OFFLINE", "1")
        .env("HF_HUB_OFFLINE", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "datasets could not load an export:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains(&format!("{} passed, 0 failed", manifest.len())),
        "{stdout}"
    );
}
