//! How the server's resident memory is kept from creeping up over weeks of serving.
//!
//! glibc's malloc gives each thread that contends for it an arena of its own (up to eight
//! per core) and keeps what is freed inside each arena for its reuse, never giving it back
//! to the system while it sits below the arena's top. Under the server's load (the tokio
//! workers, and the blocking threads that SQLite work runs on) the soak run measured 15
//! arenas whose free-but-kept memory grew from 20 to 52 MiB in an hour while the memory in
//! use stayed between 14 and 20 MiB: resident memory that only grew. Two arenas
//! (`MALLOC_ARENA_MAX=2`) kept it near 60 MiB but cost 16% of the rating throughput in
//! lock contention. `malloc_trim(0)` hands the free pages inside every arena back to the
//! system without changing how malloc works; once a minute it costs nothing measurable
//! and keeps resident memory close to what is in use (docs/BENCHMARKS.md, "Soak").

use std::time::Duration;

/// How often the free memory is handed back.
pub const TRIM_EVERY: Duration = Duration::from_secs(60);

/// Starts a thread that hands malloc's free pages back to the system every `every`.
/// Only glibc keeps them; elsewhere this does nothing.
pub fn return_free_memory(every: Duration) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let spawned = std::thread::Builder::new()
            .name("malloc-trim".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(every);
                    // SAFETY: malloc_trim takes each arena's own lock; it is safe to call
                    // from any thread at any time.
                    unsafe {
                        libc::malloc_trim(0);
                    }
                }
            });
        if let Err(error) = spawned {
            tracing::warn!(%error, "cannot start the malloc-trim thread; memory may creep up");
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = every;
}
