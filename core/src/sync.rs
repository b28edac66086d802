//! Locking the few mutexes swipeset keeps (caches, buffers, the SQLite writer's state).

use std::sync::{Mutex, MutexGuard};

/// Locks `mutex` even if a thread panicked while holding it. Every mutex locked this way
/// guards state that each holder changes in one step (an insert, an append, a swap), so a
/// panic elsewhere never leaves it half-changed, and refusing it would only turn one
/// failed request into failures of every later one.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// "At most once per interval", shared by clones of whatever holds it: the rating path
/// looks for lapsed leases this way, instead of on every deal. Times come from the caller
/// (tests run on their own clocks), and a time earlier than the last one counts as due.
#[derive(Debug)]
pub struct Every {
    interval_ms: i64,
    /// When it was last due, in milliseconds since the epoch.
    last: std::sync::atomic::AtomicI64,
}

impl Every {
    pub fn new(interval: chrono::TimeDelta) -> Self {
        Self {
            interval_ms: interval.num_milliseconds(),
            last: std::sync::atomic::AtomicI64::new(i64::MIN),
        }
    }

    /// Whether it is due at `now`; if so, the next time is due an interval later. Of
    /// callers racing for the same moment, one is told yes.
    pub fn due(&self, now: chrono::DateTime<chrono::Utc>) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        let now = now.timestamp_millis();
        let last = self.last.load(Relaxed);
        let due = now < last || now.saturating_sub(last) >= self.interval_ms;
        due && self
            .last
            .compare_exchange(last, now, Relaxed, Relaxed)
            .is_ok()
    }

    /// When it was last due, if ever.
    pub fn last(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        chrono::DateTime::from_timestamp_millis(
            self.last.load(std::sync::atomic::Ordering::Relaxed),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_once_per_interval_and_again_when_the_clock_goes_back() {
        let every = Every::new(chrono::TimeDelta::seconds(1));
        let t0 = chrono::Utc::now();
        assert!(every.due(t0));
        assert!(!every.due(t0 + chrono::TimeDelta::milliseconds(999)));
        assert!(every.due(t0 + chrono::TimeDelta::seconds(1)));
        assert!(every.due(t0), "a clock that went back is due");
    }
}
