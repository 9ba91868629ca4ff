//! Groups and hierarchies: [`Group`] (blocking) and [`AsyncGroup`] (async),
//! Zarr V3 and V2; access modes; consolidated metadata; hierarchies created
//! from metadata in one go.
//!
//! Both front ends run one implementation, written over
//! [`AsyncStore`](crate::store::AsyncStore) at the level of metadata
//! ([`AnyMetadata`]); [`Group`] drives it over its blocking store, whose
//! calls complete at once, and each front end builds its own arrays
//! ([`Array`](crate::array::Array) or [`AsyncArray`](crate::array::AsyncArray)).
//!
//! ```
//! use std::sync::Arc;
//! use zarr::group::{Group, UseConsolidated};
//! use zarr::store::{MemoryStore, StoreRef};
//! let store: StoreRef = Arc::new(MemoryStore::new());
//! let mut root = Group::create(store.clone(), "", 3, Default::default(), false).unwrap();
//! root.create_group("a", Default::default(), false).unwrap();
//! root.update_attributes(serde_json::json!({"title": "demo"}).as_object().unwrap().clone()).unwrap();
//! let again = Group::open(store, "", None, UseConsolidated::Auto).unwrap();
//! assert_eq!(again.attributes()["title"], "demo");
//! assert_eq!(again.keys().unwrap(), ["a"]);
//! ```

/// The accessors [`Group`] and [`AsyncGroup`] share: both hold the group's
/// `state` and its `store`.
macro_rules! group_accessors {
    () => {
        /// The path in the store (`""` for the root).
        pub fn path(&self) -> &str {
            &self.state.path
        }
        /// The name, h5py style: `/` for the root, else `/` and the path.
        pub fn name(&self) -> String {
            format!("/{}", self.state.path)
        }
        /// 2 or 3.
        pub fn zarr_format(&self) -> u8 {
            self.state.zarr_format
        }
        /// The user attributes. NaN and infinite numbers (bare `NaN` / `Infinity`
        /// in the document, as Python writes them) are markers: read them with
        /// [`crate::metadata::json::as_f64`], make them with
        /// [`crate::metadata::json::float`].
        pub fn attributes(&self) -> &serde_json::Map<String, serde_json::Value> {
            &self.state.metadata.attributes
        }
        /// The consolidated metadata of the group's members, by path relative
        /// to the group, when it has some.
        pub fn consolidated_metadata(&self) -> Option<&$crate::group::MemberMap> {
            self.state.consolidated.as_deref()
        }
        /// True when writes are refused (mode `r` or a read-only store).
        pub fn read_only(&self) -> bool {
            self.store.read_only()
        }
    };
}

/// `node`, which makes a member [`Node`] (or [`AsyncNode`]) of a group
/// from its metadata, for [`Group`] and [`AsyncGroup`].
macro_rules! group_node {
    ($node:ident, $array:ident) => {
        /// The member at `rel` (relative to the group) with metadata `meta`.
        pub(crate) fn node(
            &self,
            rel: &str,
            meta: $crate::group::AnyMetadata,
        ) -> $crate::group::Result<$node> {
            let path = $crate::group::names::join(&self.state.path, rel);
            Ok(match meta {
                $crate::group::AnyMetadata::Group {
                    zarr_format,
                    metadata,
                } => $node::Group(Self::from_state(
                    self.store.clone(),
                    self.state.child(rel, metadata, zarr_format),
                )),
                $crate::group::AnyMetadata::Array(a) => $node::Array($array::from_metadata(
                    self.store.clone(),
                    &path,
                    a,
                    $crate::array::ArrayConfig::default(),
                )?),
                $crate::group::AnyMetadata::ArrayV2(v2) => {
                    let v3 = v2.to_v3().map_err($crate::group::node::meta_err(&path))?;
                    $node::Array($array::from_metadata_v2(
                        self.store.clone(),
                        &path,
                        v2,
                        v3,
                        $crate::array::ArrayConfig::default(),
                    )?)
                }
            })
        }
    };
}

mod adapters;
mod asynchronous;
mod blocking;
mod casting;
pub(crate) mod consolidated;
pub(crate) mod core;
mod edit;
mod error;
mod hierarchy;
mod mode;
mod names;
mod node;
mod tree;

pub use asynchronous::{AsyncGroup, AsyncNode};
pub use blocking::{Group, Node};
pub use consolidated::MemberMap;
pub use error::{GroupError, Result};
pub use hierarchy::{
    consolidate_metadata, consolidate_metadata_async, create_hierarchy, create_hierarchy_async,
};
pub use mode::{AccessMode, UseConsolidated};
pub use names::validate_node_path;
pub use node::AnyMetadata;
pub use tree::{numpy_dtype_name, TREE_MAX_NODES};

pub(crate) use adapters::ReadOnlyAsync;
pub(crate) use node::ensure_parents_of_array;

use crate::dtype::DataType;
use crate::metadata::ArrayMetadata;

/// The names of the members that are groups (`groups`) or arrays.
fn child_keys(members: Vec<(String, AnyMetadata)>, groups: bool) -> Vec<String> {
    members
        .into_iter()
        .filter(|(_, m)| m.is_group() == groups)
        .map(|(k, _)| k)
        .collect()
}

/// `require_array`'s check of an existing array against the one asked for.
fn check_compatible(
    path: &str,
    shape: &[u64],
    data_type: DataType,
    want: &ArrayMetadata,
) -> Result<()> {
    if shape != want.shape.as_slice() {
        return Err(GroupError::IncompatibleArray {
            path: path.to_string(),
            message: format!("shape {:?} (asked for {:?})", shape, want.shape),
        });
    }
    // zarr-python's `require_array` (without `exact`): NumPy's safe cast
    // from the existing array's data type to the one asked for.
    if !casting::can_cast(data_type, want.data_type) {
        return Err(GroupError::IncompatibleArray {
            path: path.to_string(),
            message: format!("data type {data_type} (asked for {})", want.data_type),
        });
    }
    Ok(())
}
