//! In-process exclusion of writers to one store key.
//!
//! Writing part of a chunk reads the stored chunk, merges the new elements
//! and stores it back. Two such writes to the same chunk running at once
//! would each merge into the old value and the later store would lose the
//! earlier one's elements. [`lock_key`] serialises every write of a key
//! within this process (blocking [`Array`](super::Array) writes take it for
//! the whole read-merge-store of each chunk), so concurrent writers of
//! disjoint regions of the same chunk all survive.
//!
//! Locks are per exact key (no striping, so two chunks never wait on each
//! other) and re-entrant per thread: a thread that already holds a key (for
//! example because a codec ran nested parallel work that picked up another
//! write of the same key) proceeds instead of deadlocking on itself.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::ThreadId;

/// Number of independent lock tables (spreads contention on the table mutex).
const TABLES: usize = 64;

#[derive(Default)]
struct Table {
    held: Mutex<HashMap<String, ThreadId>>,
    released: Condvar,
}

fn tables() -> &'static [Table] {
    static TABLES_CELL: OnceLock<Vec<Table>> = OnceLock::new();
    TABLES_CELL.get_or_init(|| (0..TABLES).map(|_| Table::default()).collect())
}

fn table_of(key: &str) -> &'static Table {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    &tables()[(h.finish() as usize) % TABLES]
}

/// Held while a key is being written; releases it on drop.
#[must_use = "the key is unlocked when the guard is dropped"]
pub(crate) struct KeyGuard {
    /// `None` when this thread already held the key (re-entrant use).
    key: Option<String>,
}

/// Recover a poisoned table: the map itself is always consistent (every
/// mutation is a single insert or remove).
fn recover<T>(r: std::sync::LockResult<MutexGuard<'_, T>>) -> MutexGuard<'_, T> {
    r.unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Wait until no other thread of this process writes `key`, then hold it.
pub(crate) fn lock_key(key: &str) -> KeyGuard {
    let table = table_of(key);
    let me = std::thread::current().id();
    let mut held = recover(table.held.lock());
    loop {
        match held.get(key) {
            None => {
                held.insert(key.to_string(), me);
                return KeyGuard {
                    key: Some(key.to_string()),
                };
            }
            Some(owner) if *owner == me => return KeyGuard { key: None },
            Some(_) => {
                held = table
                    .released
                    .wait(held)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
        }
    }
}

impl Drop for KeyGuard {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let table = table_of(&key);
            recover(table.held.lock()).remove(&key);
            table.released.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn one_writer_per_key_at_a_time() {
        let inside = AtomicUsize::new(0);
        let max_inside = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..200 {
                        let _g = lock_key("a/c/0");
                        let n = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        max_inside.fetch_max(n, Ordering::SeqCst);
                        std::thread::yield_now();
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                });
            }
        });
        assert_eq!(max_inside.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn re_entrant_on_one_thread_and_independent_keys() {
        let a = lock_key("x/c/0");
        let again = lock_key("x/c/0");
        let other = lock_key("x/c/1");
        drop(again);
        // Still held by `a`: another thread must wait until `a` is dropped.
        let t = std::thread::spawn(|| {
            let _g = lock_key("x/c/0");
        });
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(!t.is_finished());
        drop(a);
        t.join().unwrap();
        drop(other);
    }
}
