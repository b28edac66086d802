//! The parquet importer's reader on any bytes: an error is fine, a panic or a runaway
//! allocation is a bug.
#![no_main]

use swipeset_core::import::{FileFormat, fuzz::read_bytes};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // The reader turns the parquet crate's own panics into errors (`contained`), as the
    // server and the CLI see them; libfuzzer-sys's hook would abort on them first. A panic
    // outside that still unwinds out of here and is reported.
    std::panic::set_hook(Box::new(|_| {}));
    let _ = read_bytes(data, FileFormat::Parquet);
});
