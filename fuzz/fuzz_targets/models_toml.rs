//! `models.toml` on any text: an error is fine, a panic is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use swipeset_core::generate::ModelsFile;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = ModelsFile::parse(text);
    }
});
