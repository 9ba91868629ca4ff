//! `zarr convert`: a Zarr V2 array or hierarchy to V3, metadata only
//! (chunks keep their keys and bytes).

use crate::util::{self, in_store, Result};
use crate::ConvertArgs;

/// Run `zarr convert`.
pub fn run(args: &ConvertArgs) -> Result<()> {
    if args.zarr_format != 3 {
        return Err(format!(
            "invalid --zarr-format {}: only conversion to 3 is supported",
            args.zarr_format
        ));
    }
    let src = util::open_store(&args.src, true)?;
    let same = match (args.src.canonicalize(), args.dst.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    let dst = util::open_store(&args.dst, false)?;
    let src = if same { dst.clone() } else { src };
    let path = args.path.trim_matches('/');
    let s = zarr::array::convert_v2_to_v3(&src, path, &dst, path, args.overwrite)
        .map_err(in_store(&args.src))?;
    println!(
        "converted {}{} to Zarr V3{}: {} arrays ({} re-encoded), {} groups, {} chunks copied",
        args.src.display(),
        if path.is_empty() {
            String::new()
        } else {
            format!(" --path {path}")
        },
        if same {
            " in place".to_string()
        } else {
            format!(" in {}", args.dst.display())
        },
        s.arrays,
        s.reencoded,
        s.groups,
        s.chunks_copied
    );
    Ok(())
}
