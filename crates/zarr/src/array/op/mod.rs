//! Sans-IO array operations: a read or a write of a selection is a set of
//! units (one per chunk or shard) that say what they need next and take
//! what they asked for; [`read`] and [`write`] each have a blocking driver
//! (rayon over a [`Store`](crate::store::Store)) and an async one (bounded
//! concurrency over an [`AsyncStore`](crate::store::AsyncStore), CPU work
//! on rayon), the only code here that touches a store.

mod read;
mod write;

pub(crate) use read::{drive_async, drive_blocking, OwnedOut, ReadOp};
pub(crate) use write::{drive_writes_async, drive_writes_blocking, WriteData, WriteOp};

use super::error::{ArrayError, Result};
use crate::store::ByteRequest;

/// A field selection of a struct array: per selected field, (its offset in
/// a stored element, its size, its offset in an output element), and the
/// output element size (the selected fields, packed).
#[derive(Clone, Debug)]
pub(crate) struct FieldMap {
    pub(crate) parts: Vec<(usize, usize, usize)>,
    pub(crate) out_size: usize,
}

/// One store request: a key and, for part of a value, its byte range.
pub(crate) type Request = (String, Option<ByteRequest>);

/// Run `f` on rayon's pool and await its result (works with or without a
/// tokio runtime; the async executor never runs it).
pub(crate) async fn on_cpu<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    let (tx, rx) = futures::channel::oneshot::channel();
    rayon::spawn(move || {
        let _ = tx.send(f());
    });
    rx.await
        .map_err(|_| ArrayError::Task("a decode job was dropped".into()))?
}
