//! `zarr tree`: print a hierarchy as zarr-python's `Group.tree()` does.

use crate::util::{self, in_store, Result};
use crate::TreeArgs;
use zarr::group::{Group, UseConsolidated};

/// Run `zarr tree`.
pub fn run(args: &TreeArgs) -> Result<()> {
    let store = util::open_store(&args.store, true)?;
    let g = Group::open(store, "", None, UseConsolidated::Auto).map_err(in_store(&args.store))?;
    print!("{}", g.tree(args.depth).map_err(in_store(&args.store))?);
    Ok(())
}
