//! The free functions of zarr-python's `zarr.api.asynchronous` (seed 004).
//!
//! Naming: each function is blocking and takes a [`StoreRef`](crate::store::StoreRef);
//! its async twin has the same name with an `_async` suffix and takes an
//! `Arc<dyn AsyncStore>` (for example [`group::open_group`] and
//! [`group::open_group_async`]).

pub mod group;
