//! The free functions of zarr-python's `zarr.api` (seed 004), named in Rust
//! style: blocking functions here, async twins with an `_async` suffix.
//!
//! * [`array`](mod@array): create, open, save and load arrays (`create_array`,
//!   `zeros`, `full_like`, `open_array`, `from_array`, `save`, `load`...).
//! * [`copy`](mod@copy): `copy`, `copy_all` and `copy_store` between any two
//!   stores, optionally re-encoding.

pub mod array;
mod blocking;
pub mod copy;
mod mode;

pub use mode::{AccessMode, ParseAccessModeError};
