//! `swipeset-bench --import`: importing 1,000,000 prompts from JSONL with
//! `swipeset import prompts`, as a separate process: wall time and peak RSS, then the same
//! file again (everything a duplicate).

use std::io::Write;
use std::path::Path;

use crate::export::measure;

pub async fn run(dir: &Path, server: &Path, prompts: usize) -> anyhow::Result<()> {
    let file = dir.join("prompts.jsonl");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&file)?);
    for i in 0..prompts {
        writeln!(
            out,
            "{{\"prompt\": \"Prompt number {i}: write a haiku about the number {i}, in English\", \"source\": \"bench\"}}"
        )?;
    }
    out.flush()?;
    drop(out);
    let size = std::fs::metadata(&file)?.len();
    let url = format!("sqlite://{}", dir.join("import.db").display());
    let file_arg = file.display().to_string();
    measure(
        server,
        &[
            "campaign",
            "create",
            "--database-url",
            &url,
            "bench-import",
            "--title",
            "Import",
        ],
    )?;
    for round in ["first import", "same file again"] {
        let (took, rss_kb, stdout) = measure(
            server,
            &[
                "import",
                "prompts",
                "--database-url",
                &url,
                "--campaign",
                "bench-import",
                &file_arg,
            ],
        )?;
        println!(
            "import {prompts} prompts ({:.1} MB JSONL), {round}: {took:.2} s, peak RSS {:.0} MB",
            size as f64 / 1e6,
            rss_kb as f64 / 1024.0
        );
        println!("    {}", stdout.lines().next().unwrap_or_default());
    }
    Ok(())
}
