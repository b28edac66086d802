//! Whether the ratings will outlive the container. A Hugging Face Space's disk is wiped at
//! every restart unless persistent storage is turned on (it is then mounted at `/data`); an
//! organiser who forgets finds out when a week of ratings is gone. So on a Space, with SQLite,
//! the start-up looks at the mount that holds the database file and warns, in the log and
//! on every admin page, when it is not one that persists.

use std::path::{Path, PathBuf};

use crate::config::Env;

/// File systems that live and die with the container (or the machine's memory).
const EPHEMERAL: &[&str] = &["overlay", "tmpfs", "ramfs", "aufs", "fuse-overlayfs"];

/// The warning to show, or `None` when the data persists (or this is not a Space).
/// `mountinfo` is `/proc/self/mountinfo` (`None` when it cannot be read), `cwd` the folder a
/// relative database path is relative to.
pub fn warning(
    database_url: &str,
    env: &dyn Env,
    mountinfo: Option<&str>,
    cwd: &Path,
) -> Option<String> {
    env.var("SPACE_ID").or_else(|| env.var("SPACE_HOST"))?;
    let file = swipeset_core::db::sqlite_file(database_url)?;
    let file = if file.is_absolute() {
        file
    } else {
        cwd.join(file)
    };
    let fix = "Turn on persistent storage in the Space's settings (it is mounted at /data, \
               where DATABASE_URL points by default), or set DATABASE_URL to a PostgreSQL \
               database as a Space secret.";
    let Some(mounts) = mountinfo else {
        return Some(format!(
            "Ratings may be lost when this Space restarts: swipeset cannot tell whether the \
             SQLite database {} is on persistent storage (no /proc/self/mountinfo). {fix}",
            file.display()
        ));
    };
    match covering_mount(mounts, &file) {
        Some((point, fs)) if point != Path::new("/") && !EPHEMERAL.contains(&fs.as_str()) => None,
        Some((point, fs)) => Some(format!(
            "Ratings will be lost when this Space restarts: the SQLite database {} is on the \
             container's own disk ({fs} at {}), which a restart wipes. {fix}",
            file.display(),
            point.display()
        )),
        None => Some(format!(
            "Ratings may be lost when this Space restarts: no mount holds the SQLite database \
             {}. {fix}",
            file.display()
        )),
    }
}

/// The mount point (and its file system type) that holds `file`: the longest mount point
/// that is a prefix of it. Fields of a `mountinfo` line: id, parent, major:minor, root,
/// mount point, options, optional fields up to `-`, then the type.
fn covering_mount(mountinfo: &str, file: &Path) -> Option<(PathBuf, String)> {
    mountinfo
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let point = unescape(fields.get(4)?);
            let dash = fields.iter().position(|f| *f == "-")?;
            let fs = fields.get(dash + 1)?.to_string();
            Some((PathBuf::from(point), fs))
        })
        .filter(|(point, _)| file.starts_with(point))
        // The deepest mount point; of equal ones the last is on top, and `max_by_key`
        // returns the last of equal maxima.
        .max_by_key(|(point, _)| point.components().count())
}

/// `mountinfo` writes a space in a path as `\040` (and tab, newline, backslash likewise).
fn unescape(field: &str) -> String {
    field
        .replace("\\040", " ")
        .replace("\\011", "\t")
        .replace("\\012", "\n")
        .replace("\\134", "\\")
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::config::FakeEnv;

    fn space() -> FakeEnv {
        FakeEnv(HashMap::from([("SPACE_ID", "me/swipeset")]))
    }

    /// A Space without persistent storage: the root is the container's overlay.
    const EPHEMERAL_SPACE: &str = "\
611 528 0:170 / / rw,relatime master:319 - overlay overlay rw,lowerdir=/a,upperdir=/b
612 611 0:172 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
613 611 0:173 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755
";

    /// The same with persistent storage at /data (and a tmpfs inside it, which wins there).
    const PERSISTENT_SPACE: &str = "\
611 528 0:170 / / rw,relatime master:319 - overlay overlay rw,lowerdir=/a,upperdir=/b
612 611 0:172 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
640 611 259:3 /volumes/abc /data rw,relatime shared:7 - ext4 /dev/nvme0n1p3 rw
641 640 0:180 / /data/tmp rw - tmpfs tmpfs rw
642 611 259:3 /volumes/x /my\\040data rw,relatime - ext4 /dev/nvme0n1p3 rw
";

    #[test]
    fn warns_on_a_space_whose_database_is_on_the_containers_disk() {
        let warning = warning(
            "sqlite:///data/swipeset.db",
            &space(),
            Some(EPHEMERAL_SPACE),
            Path::new("/app"),
        )
        .unwrap();
        assert!(
            warning.starts_with(
                "Ratings will be lost when this Space restarts: the SQLite database \
                 /data/swipeset.db is on the container's own disk (overlay at /)"
            ),
            "{warning}"
        );
        assert!(warning.contains("Turn on persistent storage"), "{warning}");
    }

    #[test]
    fn is_quiet_on_persistent_storage_off_a_space_and_on_postgres() {
        let quiet = |url: &str, env: &FakeEnv, mounts: &str| {
            warning(url, env, Some(mounts), Path::new("/app"))
        };
        assert_eq!(
            quiet("sqlite:///data/swipeset.db", &space(), PERSISTENT_SPACE),
            None
        );
        assert_eq!(
            quiet("sqlite:///my data/x.db", &space(), PERSISTENT_SPACE),
            None
        );
        assert_eq!(
            quiet(
                "sqlite:///data/swipeset.db",
                &FakeEnv(HashMap::new()),
                EPHEMERAL_SPACE
            ),
            None
        );
        assert_eq!(
            quiet("postgres://u:p@db/s", &space(), EPHEMERAL_SPACE),
            None
        );
        // A tmpfs inside the persistent mount does not persist; nor does a relative path
        // from a working folder on the overlay.
        assert!(quiet("sqlite:///data/tmp/x.db", &space(), PERSISTENT_SPACE).is_some());
        assert!(quiet("sqlite://data/x.db", &space(), PERSISTENT_SPACE).is_some());
        let host = FakeEnv(HashMap::from([("SPACE_HOST", "me-swipeset.hf.space")]));
        assert!(quiet("sqlite:///data/swipeset.db", &host, EPHEMERAL_SPACE).is_some());
    }

    #[test]
    fn warns_when_it_cannot_tell() {
        let warning = warning("sqlite:///data/x.db", &space(), None, Path::new("/")).unwrap();
        assert!(warning.contains("cannot tell"), "{warning}");
    }
}
