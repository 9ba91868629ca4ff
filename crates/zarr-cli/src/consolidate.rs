//! `zarr consolidate`: write the consolidated metadata of a hierarchy.

use crate::util::{self, in_store, Result};
use crate::ConsolidateArgs;

/// Run `zarr consolidate`: every node's metadata into the root group
/// (`zarr.json` for V3, `.zmetadata` for V2), as zarr-python's
/// `consolidate_metadata`.
pub fn run(args: &ConsolidateArgs) -> Result<()> {
    let store = util::open_store(&args.store, false)?;
    let g = zarr::group::consolidate_metadata(&store, "", None).map_err(in_store(&args.store))?;
    store.close().map_err(in_store(&args.store))?;
    let n = g.consolidated_metadata().map_or(0, |m| m.len());
    let key = if g.zarr_format() == 3 {
        "zarr.json"
    } else {
        ".zmetadata"
    };
    println!(
        "consolidated the metadata of {n} node{} into {key} (Zarr V{})",
        if n == 1 { "" } else { "s" },
        g.zarr_format()
    );
    Ok(())
}
