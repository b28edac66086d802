//! `cargo xtask site [--release]`: builds swipeset's browser bundle into `target/site`.
//!
//! Why not cargo-leptos or the wasm-bindgen CLI: neither installs here with `cargo install
//! --locked` as published, and building them takes up to 25 minutes. This task links
//! `wasm-bindgen-cli-support` at exactly the `wasm-bindgen` version the workspace pins, so
//! the bindings always match the library, and it builds with the project's own lockfile.
//!
//! Steps: compile `swipeset-frontend` (every page) and `swipeset-rater` (the rating page
//! alone) for `wasm32-unknown-unknown`, generate the JS bindings (`pkg/swipeset.js` +
//! `pkg/swipeset_bg.wasm`, `pkg/rater.js` + `pkg/rater_bg.wasm`), shrink the release bundles
//! with npm's `binaryen` wasm-opt (Debian's older one silently breaks hydration), write the
//! style sheets (`pkg/rater.css`, `pkg/swipeset.css`) from `style/`, copy `public/`, and
//! write brotli and gzip copies of every text and Wasm file.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail, ensure};
use clap::{Parser, Subcommand};
use sha2::{Digest, Sha256};

/// The bundles, each a `cdylib` package and the file stem it is written under in `pkg/`.
/// The stems must match `swipeset_app::bundle::Bundle::name`: the pages ask for these files.
const BUNDLES: &[(&str, &str)] = &[
    ("swipeset-frontend", "swipeset"),
    ("swipeset-rater", "rater"),
];
/// The style sheets in `pkg/`, each the concatenation of these files of `style/`: the rating
/// page's (`rater.css`) has only what that page uses, the others' (`swipeset.css`) all.
/// The names must match `swipeset_app::bundle::Bundle::css_file`.
const STYLE_SHEETS: &[(&str, &[&str])] = &[
    ("rater.css", &["rating.css"]),
    ("swipeset.css", &["rating.css", "pages.css"]),
];
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

    // One cargo run for both: swipeset-app is compiled once, and each package's link-time
    // optimisation keeps only what its entry point reaches.
    let packages: Vec<&str> = BUNDLES.iter().map(|(package, _)| *package).collect();
    eprintln!(
        "xtask: compiling {} for {WASM_TARGET} (profile {profile})",
        packages.join(", ")
    );
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo.current_dir(&root).arg("build");
    for package in &packages {
        cargo.args(["--package", package]);
    }
    let status = cargo
        .args(["--lib", "--target", WASM_TARGET, "--profile", profile])
        .status()
        .context("cannot run cargo")?;
    ensure!(
        status.success(),
        "compiling {} for {WASM_TARGET} failed",
        packages.join(", ")
    );

    let compiled: Vec<(PathBuf, &str)> = BUNDLES
        .iter()
        .map(|(package, name)| {
            let wasm = cargo_target_dir(&root)
                .join(WASM_TARGET)
                .join(profile_dir)
                .join(format!("{}.wasm", package.replace('-', "_")));
            (wasm, *name)
        })
        .collect();
    for (wasm, _) in &compiled {
        ensure!(
            wasm.exists(),
            "cargo reported success but {} is missing",
            wasm.display()
        );
    }

    let fingerprint = bundle_fingerprint(&root, &compiled, release)?;
    let stamp = root.join("target").join(FINGERPRINT_FILE);
    let up_to_date = compiled.iter().all(|(_, name)| {
        pkg.join(format!("{name}_bg.wasm")).exists() && pkg.join(format!("{name}.js")).exists()
    }) && std::fs::read_to_string(&stamp).is_ok_and(|saved| saved == fingerprint);
    if up_to_date {
        eprintln!(
            "xtask: the compiled Wasm is unchanged: keeping the bindings and the optimised bundles"
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
        for (wasm, name) in &compiled {
            eprintln!(
                "xtask: generating bindings for {name} into {}",
                pkg.display()
            );
            wasm_bindgen_cli_support::Bindgen::new()
                .input_path(wasm)
                .out_name(name)
                .web(true)?
                .typescript(false)
                .debug(!release)
                .keep_debug(!release)
                .generate(&pkg)
                .with_context(|| format!("wasm-bindgen failed on {}", wasm.display()))?;
            if release {
                optimise(&root, &pkg.join(format!("{name}_bg.wasm")))?;
                minify(&root, &pkg.join(format!("{name}.js")))?;
            }
        }
        // Written last: a run stopped half way leaves no stamp, so the next one redoes it all.
        std::fs::write(&stamp, &fingerprint)
            .with_context(|| format!("cannot write {}", stamp.display()))?;
    }

    write_style_sheets(&root, &pkg)?;
    copy_dir(&root.join("public"), &site)?;
    precompress(&root, &site)?;

    for (_, name) in &compiled {
        let size = std::fs::metadata(pkg.join(format!("{name}_bg.wasm")))?.len();
        let brotli = std::fs::metadata(pkg.join(format!("{name}_bg.wasm.br")))?.len();
        eprintln!(
            "xtask: {name}: {} KB wasm, {} KB with brotli",
            size / 1024,
            brotli / 1024
        );
    }
    eprintln!(
        "xtask: site ready in {} after {:.0?}",
        site.display(),
        started.elapsed()
    );
    Ok(())
}

/// What the files in `pkg/` were made from: the compiled Wasm, the profile, and the
/// wasm-opt that shrank it (its version and arguments). Bindgen and wasm-opt take most of a rebuild's time (about 45 s
/// of a release build on 2 cores), and after an edit that does not reach the browser crate
/// (say, in `core/`) cargo hands back the very same Wasm.
fn bundle_fingerprint(
    root: &Path,
    compiled: &[(PathBuf, &str)],
    release: bool,
) -> anyhow::Result<String> {
    let binaryen = root.join("node_modules/binaryen/package.json");
    // A missing binaryen makes `optimise` fail with its own message; here it only changes
    // the fingerprint.
    let binaryen = std::fs::read(&binaryen).unwrap_or_default();
    let terser = std::fs::read(root.join("node_modules/terser/package.json")).unwrap_or_default();
    let mut digest = Sha256::new();
    digest.update(&terser);
    for (wasm, name) in compiled {
        let bytes =
            std::fs::read(wasm).with_context(|| format!("cannot read {}", wasm.display()))?;
        digest.update(name.as_bytes());
        digest.update(Sha256::digest(&bytes));
    }
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
    // Repeats the passes while they still shrink the module: 1% smaller with brotli.
    "--converge",
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
    let wasm_opt = npm_tool(root, "binaryen/bin/wasm-opt")?;
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

fn write_style_sheets(root: &Path, pkg: &Path) -> anyhow::Result<()> {
    for (sheet, sources) in STYLE_SHEETS {
        let mut css = String::new();
        for source in *sources {
            let path = root.join("style").join(source);
            css.push_str(
                &std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?,
            );
            css.push('\n');
        }
        let target = pkg.join(sheet);
        // Left alone when unchanged, so its precompressed copies stay current.
        if std::fs::read_to_string(&target).ok().as_deref() != Some(css.as_str()) {
            std::fs::write(&target, css)
                .with_context(|| format!("cannot write {}", target.display()))?;
        }
    }
    Ok(())
}

/// Writes `.br` (quality 11) and `.gz` (level 9) beside every text and Wasm file of the
/// site, which the server hands out as they are (`ServeDir`'s precompressed files).
/// Compressing on the fly uses brotli's fast levels: on the bundle, quality 11 saves a
/// fifth of what a phone downloads. Node's zlib does it, so no prebuilt tool is fetched
/// (Node is already needed for wasm-opt).
fn precompress(root: &Path, site: &Path) -> anyhow::Result<()> {
    let script = root.join("scripts/precompress.mjs");
    let status = Command::new("node")
        .arg(&script)
        .arg(site)
        .status()
        .context("cannot run node (is Node.js installed?)")?;
    ensure!(
        status.success(),
        "{} failed on {}",
        script.display(),
        site.display()
    );
    Ok(())
}

/// Minifies wasm-bindgen's JavaScript glue with npm's terser (run by node): about a quarter
/// of its compressed size, which a phone downloads before anything runs. As an ES module,
/// so its exports keep their names.
fn minify(root: &Path, script: &Path) -> anyhow::Result<()> {
    let terser = npm_tool(root, "terser/bin/terser")?;
    let status = Command::new("node")
        .arg(&terser)
        .arg(script)
        .args(["--module", "--compress", "--mangle", "-o"])
        .arg(script)
        .status()
        .context("cannot run node (is Node.js installed?)")?;
    ensure!(status.success(), "terser failed on {}", script.display());
    Ok(())
}

/// A script of an npm package of the root `package.json`, run by node.
fn npm_tool(root: &Path, script: &str) -> anyhow::Result<PathBuf> {
    let path = root.join("node_modules").join(script);
    if !path.exists() {
        bail!(
            "{} is missing: run `npm ci` in {} (the Makefile's `setup` does it)",
            path.display(),
            root.display()
        );
    }
    Ok(path)
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
