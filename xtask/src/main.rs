//! `cargo xtask site [--release]`: builds swipeset's browser bundle into `target/site`.
//!
//! Why not cargo-leptos or the wasm-bindgen CLI: neither installs here with `cargo install
//! --locked` as published, and building them takes up to 25 minutes. This task links
//! `wasm-bindgen-cli-support` at exactly the `wasm-bindgen` version the workspace pins, so
//! the bindings always match the library, and it builds with the project's own lockfile.
//!
//! Steps: compile `swipeset-frontend` for `wasm32-unknown-unknown`, generate the JS
//! bindings (`pkg/swipeset.js`, `pkg/swipeset_bg.wasm`), shrink the release bundle with
//! npm's `binaryen` wasm-opt (Debian's older one silently breaks hydration), then copy the
//! CSS and `public/`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail, ensure};
use clap::{Parser, Subcommand};
use sha2::{Digest, Sha256};

/// Must match `OUTPUT_NAME` in `server/src/state.rs`: the page asks for these files.
const OUTPUT_NAME: &str = "swipeset";
const FRONTEND_PACKAGE: &str = "swipeset-frontend";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// In the clone's `target/`, beside (not in) the served site: what `pkg/` was made from
/// (see `bundle_fingerprint`).
const FINGERPRINT_FILE: &str = "site-bundle.source";

#[derive(Parser)]
#[command(name = "xtask")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Build the browser bundle and static files into target/site.
    Site {
        /// Size-optimised build (profile `wasm-release`, then wasm-opt -Oz).
        #[arg(long)]
        release: bool,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Task::Site { release } => build_site(release),
    }
}

/// The workspace this task was run in. Read at run time, not compiled in: one xtask
/// binary in a shared `CARGO_TARGET_DIR` serves every clone, and must build the site of
/// the clone it was run from (`cargo run` sets `CARGO_MANIFEST_DIR` for the process).
fn workspace_root() -> anyhow::Result<PathBuf> {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .context("CARGO_MANIFEST_DIR is not set: run this as `cargo xtask ...`")?;
    manifest_dir
        .parent()
        .map(Path::to_path_buf)
        .context("xtask is not inside a workspace")
}

fn cargo_target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

fn build_site(release: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    let root = workspace_root()?;
    let site = root.join("target").join("site");
    let pkg = site.join("pkg");
    let (profile, profile_dir) = if release {
        ("wasm-release", "wasm-release")
    } else {
        ("dev", "debug")
    };

    eprintln!("xtask: compiling {FRONTEND_PACKAGE} for {WASM_TARGET} (profile {profile})");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(&root)
        .args([
            "build",
            "--package",
            FRONTEND_PACKAGE,
            "--lib",
            "--target",
            WASM_TARGET,
        ])
        .args(["--profile", profile])
        .status()
        .context("cannot run cargo")?;
    ensure!(
        status.success(),
        "compiling {FRONTEND_PACKAGE} for {WASM_TARGET} failed"
    );

    let wasm = cargo_target_dir(&root)
        .join(WASM_TARGET)
        .join(profile_dir)
        .join(format!("{}.wasm", FRONTEND_PACKAGE.replace('-', "_")));
    ensure!(
        wasm.exists(),
        "cargo reported success but {} is missing",
        wasm.display()
    );

    let bundle = pkg.join(format!("{OUTPUT_NAME}_bg.wasm"));
    let fingerprint = bundle_fingerprint(&root, &wasm, release)?;
    let stamp = root.join("target").join(FINGERPRINT_FILE);
    let up_to_date = bundle.exists()
        && pkg.join(format!("{OUTPUT_NAME}.js")).exists()
        && std::fs::read_to_string(&stamp).is_ok_and(|saved| saved == fingerprint);
    if up_to_date {
        eprintln!(
            "xtask: the compiled Wasm is unchanged: keeping the bindings and the optimised bundle"
        );
    } else {
        if stamp.exists() {
            std::fs::remove_file(&stamp)
                .with_context(|| format!("cannot remove {}", stamp.display()))?;
        }
        if pkg.exists() {
            std::fs::remove_dir_all(&pkg)
                .with_context(|| format!("cannot clear {}", pkg.display()))?;
        }
        std::fs::create_dir_all(&pkg)
            .with_context(|| format!("cannot create {}", pkg.display()))?;
        eprintln!("xtask: generating bindings into {}", pkg.display());
        wasm_bindgen_cli_support::Bindgen::new()
            .input_path(&wasm)
            .out_name(OUTPUT_NAME)
            .web(true)?
            .typescript(false)
            .debug(!release)
            .keep_debug(!release)
            .generate(&pkg)
            .context("wasm-bindgen failed")?;
        if release {
            optimise(&root, &bundle)?;
        }
        // Written last: a run stopped half way leaves no stamp, so the next one redoes it all.
        std::fs::write(&stamp, &fingerprint)
            .with_context(|| format!("cannot write {}", stamp.display()))?;
    }

    std::fs::copy(
        root.join("style/main.css"),
        pkg.join(format!("{OUTPUT_NAME}.css")),
    )
    .context("cannot copy style/main.css")?;
    copy_dir(&root.join("public"), &site)?;

    let size = std::fs::metadata(&bundle)?.len();
    eprintln!(
        "xtask: site ready in {} ({} KB wasm) after {:.0?}",
        site.display(),
        size / 1024,
        started.elapsed()
    );
    Ok(())
}

/// What the files in `pkg/` were made from: the compiled Wasm, the profile, and the
/// wasm-opt that shrank it (its version and arguments). Bindgen and wasm-opt take most of a rebuild's time (about 45 s
/// of a release build on 2 cores), and after an edit that does not reach the browser crate
/// (say, in `core/`) cargo hands back the very same Wasm.
fn bundle_fingerprint(root: &Path, wasm: &Path, release: bool) -> anyhow::Result<String> {
    let bytes = std::fs::read(wasm).with_context(|| format!("cannot read {}", wasm.display()))?;
    let binaryen = root.join("node_modules/binaryen/package.json");
    // A missing binaryen makes `optimise` fail with its own message; here it only changes
    // the fingerprint.
    let binaryen = std::fs::read(&binaryen).unwrap_or_default();
    let mut digest = Sha256::new();
    digest.update(&bytes);
    digest.update(&binaryen);
    for arg in WASM_OPT_ARGS {
        digest.update(arg.as_bytes());
        digest.update([0]);
    }
    Ok(format!("{:x} release={release}\n", digest.finalize()))
}

/// wasm-opt's arguments. The feature flags match what rustc 1.95 emits for wasm32 by
/// default.
const WASM_OPT_ARGS: &[&str] = &[
    "-Oz",
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// Shrinks the bundle with npm's binaryen, run through node so no prebuilt binary is
/// downloaded.
fn optimise(root: &Path, bundle: &Path) -> anyhow::Result<()> {
    let wasm_opt = root.join("node_modules/binaryen/bin/wasm-opt");
    if !wasm_opt.exists() {
        bail!(
            "{} is missing: run `npm ci` in {} (the Makefile's `setup` does it)",
            wasm_opt.display(),
            root.display()
        );
    }
    eprintln!("xtask: wasm-opt -Oz");
    let before = std::fs::metadata(bundle)?.len();
    let status = Command::new("node")
        .arg(&wasm_opt)
        .arg(bundle)
        .args(WASM_OPT_ARGS)
        .arg("-o")
        .arg(bundle)
        .status()
        .context("cannot run node (is Node.js installed?)")?;
    ensure!(status.success(), "wasm-opt failed on {}", bundle.display());
    let after = std::fs::metadata(bundle)?.len();
    eprintln!(
        "xtask: wasm-opt {} KB -> {} KB",
        before / 1024,
        after / 1024
    );
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    for entry in
        std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))?
    {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(&target)?;
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("cannot copy {}", entry.path().display()))?;
        }
    }
    Ok(())
}
