//! `zarr rm`: delete an array or group and everything below it.

use crate::util::{self, in_store, Result};
use crate::RmArgs;
use zarr::group::{Group, UseConsolidated};

/// Run `zarr rm`: delete the member at `--path` through the root group, so
/// the root's consolidated metadata, if any, is updated too.
pub fn run(args: &RmArgs) -> Result<()> {
    let path = args.path.trim_matches('/');
    if path.is_empty() {
        return Err(format!(
            "{}: --path must name an array or group below the root",
            args.store.display()
        ));
    }
    let store = util::open_store(&args.store, false)?;
    let mut root = Group::open(store.clone(), "", None, UseConsolidated::Auto)
        .map_err(in_store(&args.store))?;
    root.delete(path).map_err(in_store(&args.store))?;
    store.close().map_err(in_store(&args.store))?;
    println!("removed {path}");
    Ok(())
}
