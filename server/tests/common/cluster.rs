//! A PostgreSQL server of a test's own, for the tests that restart it: the suite's shared
//! server (`scripts/with-postgres.sh`) must stay up for every other test.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A throwaway cluster in a temporary folder, listening on 127.0.0.1 only; stopped and
/// removed when dropped.
pub struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    pub url: String,
}

impl Cluster {
    /// A new cluster, or `None` when PostgreSQL's server programs are not installed (and
    /// the suite does not require them: `SWIPESET_REQUIRE_POSTGRES=1` makes that a failure).
    pub fn start() -> Option<Self> {
        let Some(bin) = server_programs() else {
            assert!(
                std::env::var("SWIPESET_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "SWIPESET_REQUIRE_POSTGRES=1 but no PostgreSQL under /usr/lib/postgresql"
            );
            return None;
        };
        let dir = tempfile::Builder::new()
            .prefix("swipeset-pg-own.")
            .tempdir()
            .expect("temp dir");
        if as_root() {
            // PostgreSQL refuses to run as root: its files belong to `postgres`.
            let status = Command::new("chown")
                .args(["-R", "postgres"])
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(status.success(), "chown the cluster's folder to postgres");
        }
        let port = super::binary::free_port();
        let cluster = Self {
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            bin,
            dir,
        };
        cluster.run(
            "initdb",
            &[
                "-D",
                &cluster.data(),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        );
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            cluster.dir.path().display()
        );
        cluster.pg_ctl(&["start", "-o", &options]);
        Some(cluster)
    }

    /// Stops the server as an administrator would (`pg_ctl restart -m fast`: every
    /// connection is ended) and starts it again on the same port.
    pub fn restart(&self) {
        self.pg_ctl(&["restart", "-m", "fast"]);
    }

    /// One of PostgreSQL's programs, run as `postgres` when the tests run as root.
    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn pg_ctl(&self, args: &[&str]) {
        let (data, log) = (
            self.data(),
            self.dir.path().join("server.log").display().to_string(),
        );
        let mut all = vec!["-D", &data, "-l", &log, "-w", "-t", "60"];
        all.extend_from_slice(args);
        self.run("pg_ctl", &all);
    }

    fn run(&self, program: &str, args: &[&str]) {
        let output = self
            .command(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{program}: {e}"));
        assert!(
            output.status.success(),
            "{program} {args:?}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self
            .command("pg_ctl")
            .args(["-D", data.as_str(), "-m", "immediate", "stop"])
            .output();
    }
}

/// The newest `/usr/lib/postgresql/N/bin` with `initdb` in it (Debian's layout).
fn server_programs() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            Path::new(&bin.join("initdb"))
                .exists()
                .then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn as_root() -> bool {
    // `id -u` rather than libc's `geteuid`, which would need unsafe code.
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}
