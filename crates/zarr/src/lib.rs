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
pub mod node_path;
pub mod npy;
pub mod store;

/// Internal entry points for the fuzz targets in `fuzz/` (cargo-fuzz), and
/// for nothing else: hidden from the docs, not part of the API, and free to
/// change at any time.
#[doc(hidden)]
pub mod __fuzz {
    use crate::group::{GroupError, MemberMap};
    use serde_json::{Map, Value};

    /// For fuzzing only: parse a V3 `consolidated_metadata` value found in
    /// `key` (flattening nested consolidated metadata), as a group open does.
    pub fn parse_consolidated_v3(value: &Value, key: &str) -> Result<MemberMap, GroupError> {
        crate::group::consolidated::parse_v3(value, key)
    }

    /// For fuzzing only: the V3 `consolidated_metadata` value written for `members`.
    pub fn encode_consolidated_v3(members: &MemberMap) -> Value {
        crate::group::consolidated::encode_v3(members)
    }

    /// For fuzzing only: parse V2 `.zmetadata` bytes found in `key`: the root
    /// group's attributes (when it has a `.zgroup` entry) and the members.
    pub fn parse_zmetadata(
        bytes: &[u8],
        key: &str,
    ) -> Result<(Option<Map<String, Value>>, MemberMap), GroupError> {
        crate::group::consolidated::parse_v2(bytes, key).map(|z| (z.root, z.members))
    }

    /// For fuzzing only: the `.zmetadata` bytes written for a V2 group with
    /// `attributes` and `members`.
    pub fn encode_zmetadata(attributes: &Map<String, Value>, members: &MemberMap) -> Vec<u8> {
        crate::group::consolidated::encode_v2(attributes, members)
    }
}
