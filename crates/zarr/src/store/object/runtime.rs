//! The tokio runtime that object-storage requests run on, shared by every
//! [`ObjectStore`](super::ObjectStore), and the bridge that lets blocking
//! callers wait for them.
//!
//! Every request is spawned onto this runtime, whatever the caller runs on:
//! a blocking caller waits on a channel (so it works inside another tokio
//! runtime too: no `block_on` on a runtime thread), an asynchronous caller
//! awaits the task's handle (so the store works under any executor, not only
//! tokio).

use crate::store::StoreError;
use std::future::Future;
use std::sync::OnceLock;

/// The name of the runtime's worker threads.
const THREAD_NAME: &str = "zarr-object-store";

/// The runtime, built on first use (or the reason it could not be built).
fn runtime() -> Result<&'static tokio::runtime::Runtime, StoreError> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name(THREAD_NAME)
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|message| StoreError::Other {
            key: String::new(),
            message: format!("cannot start the object-storage runtime: {message}"),
        })
}

fn task_failed(e: impl std::fmt::Display) -> StoreError {
    StoreError::Other {
        key: String::new(),
        message: format!("object-storage task failed: {e}"),
    }
}

/// Run `fut` on the shared runtime and wait for it from a blocking caller.
///
/// Refuses (instead of deadlocking) when called from one of the shared
/// runtime's own worker threads.
pub(crate) fn block_on<T, F>(fut: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: Future<Output = Result<T, StoreError>> + Send + 'static,
{
    if std::thread::current().name() == Some(THREAD_NAME) {
        return Err(StoreError::Other {
            key: String::new(),
            message: "a blocking object-store call from the store's own runtime would deadlock; \
                      use the AsyncStore methods there"
                .into(),
        });
    }
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    runtime()?.spawn(async move {
        // The receiver only goes away when the caller is gone.
        let _ = tx.send(fut.await);
    });
    rx.recv().map_err(task_failed)?
}

/// Run `fut` on the shared runtime and await it from any executor.
pub(crate) async fn spawn<T, F>(fut: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: Future<Output = Result<T, StoreError>> + Send + 'static,
{
    runtime()?.spawn(fut).await.map_err(task_failed)?
}
