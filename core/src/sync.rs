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
