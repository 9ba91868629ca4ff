//! # zarr
//!
//! Fast, trustworthy Zarr V3 arrays in Rust, interoperable with zarr-python 3,
//! and Zarr V2 arrays (`.zarray`, the numcodecs codecs, consolidated
//! `.zmetadata`, conversion to V3) interoperable with zarr-python 3 and 2.18.
//!
//! Layers, bottom up: [`store`] (keys to bytes), [`metadata`] (`zarr.json`, `.zarray`),
//! [`dtype`] (data types and fill values), [`buffer`] (bytes and N-d buffers),
//! [`codec`] (the codec pipeline), [`chunk`] (grids, keys, selections),
//! [`array`](mod@array) (arrays over a store, blocking and async), [`group`]
//! (groups, hierarchies, access modes, consolidated metadata), [`api`] (the
//! free functions of zarr-python's API) and [`npy`] (numpy `.npy` files to
//! and from N-d buffers).
#![warn(missing_docs)]

pub mod api;
pub mod array;
pub mod buffer;
pub mod chunk;
pub mod codec;
pub mod dtype;
pub mod group;
pub mod limits;
pub mod metadata;
pub mod npy;
pub mod store;
