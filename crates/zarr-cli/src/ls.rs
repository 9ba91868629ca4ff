//! `zarr ls`: list the members of a group, one a line.

use crate::util::{self, in_store, Result};
use crate::LsArgs;
use zarr::group::{numpy_dtype_name, Group, UseConsolidated};

/// Run `zarr ls`: `group NAME` or `array NAME SHAPE DTYPE` for each child
/// of the group at `--path`, sorted by name.
pub fn run(args: &LsArgs) -> Result<()> {
    let store = util::open_store(&args.store, true)?;
    let g = Group::open(store, &args.path, None, UseConsolidated::Auto)
        .map_err(in_store(&args.store))?;
    let members = g.members_metadata(Some(0)).map_err(in_store(&args.store))?;
    let width = members
        .iter()
        .filter(|(_, m)| !m.is_group())
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    for (name, m) in members {
        match m.shape() {
            None => println!("group  {name}"),
            Some(shape) => {
                let pad = " ".repeat(width - name.chars().count());
                println!(
                    "array  {name}{pad}  {}  {}",
                    util::shape_text(shape),
                    numpy_dtype_name(&m).unwrap_or_default()
                )
            }
        }
    }
    Ok(())
}
