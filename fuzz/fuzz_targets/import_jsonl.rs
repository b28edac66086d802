//! The jsonl importer's reader on any bytes: an error is fine, a panic or a runaway
//! allocation is a bug.
#![no_main]

use swipeset_core::import::{FileFormat, fuzz::read_bytes};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = read_bytes(data, FileFormat::Jsonl);
});
