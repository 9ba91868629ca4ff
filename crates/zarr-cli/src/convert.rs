//! `zarr convert`: a Zarr V2 array or hierarchy to V3, metadata only
//! (chunks keep their keys and bytes), re-encoding chunk by chunk where
//! the codecs need it, with a progress bar when that takes long.

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
    let dst = util::open_store(&args.dst, false)?;
    let same = util::same_storage(&src, &dst);
    let src = if same { dst.clone() } else { src };
    let path = args.path.trim_matches('/');
    let progress = crate::progress::Progress::new();
    let result = zarr::array::convert_v2_to_v3_with_progress(
        &src,
        path,
        &dst,
        path,
        args.overwrite,
        Some(progress.callback()),
    );
    progress.finish();
    let s = result.map_err(in_store(&args.src))?;
    // Commit now (a zip archive is written on close), so that a failure is
    // reported: the store's drop would have to swallow it.
    dst.close().map_err(in_store(&args.dst))?;
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
