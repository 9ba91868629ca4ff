//! `zarr convert`: a Zarr V2 array or hierarchy to V3, metadata only
//! (chunks keep their keys and bytes), re-encoding chunk by chunk where
//! the codecs need it, with a progress bar when that takes long. In place,
//! the V2 documents stay unless `--remove-v2`; `--dry-run` lists the steps.

use crate::util::{self, in_store, Result};
use crate::ConvertArgs;
use std::sync::Arc;
use zarr::array::ConvertOptions;

/// Run `zarr convert`.
pub fn run(args: &ConvertArgs) -> Result<()> {
    if args.zarr_format != 3 {
        return Err(format!(
            "invalid --zarr-format {}: only conversion to 3 is supported",
            args.zarr_format
        ));
    }
    let src = util::open_store(&args.src, true)?;
    // A dry run opens nothing for writing: a destination that is not there
    // yet is an empty store.
    let dst = if args.dry_run {
        match util::open_store(&args.dst, true) {
            Ok(d) => d,
            Err(_) if missing_local(&args.dst) => Arc::new(zarr::store::MemoryStore::new()),
            Err(e) => return Err(e),
        }
    } else {
        util::open_store(&args.dst, false)?
    };
    let same = util::same_storage(&src, &dst);
    let src = if same { dst.clone() } else { src };
    let path = args.path.trim_matches('/');
    let progress = crate::progress::Progress::new();
    let mut opts = ConvertOptions::new()
        .overwrite(args.overwrite)
        .remove_v2(args.remove_v2)
        .dry_run(args.dry_run);
    if !args.dry_run {
        opts = opts.progress(progress.callback());
    }
    let result = zarr::array::convert_v2_to_v3_with(&src, path, &dst, path, &opts);
    progress.finish();
    let s = result.map_err(in_store(&args.src))?;
    let what = format!(
        "{}{} to Zarr V3{}",
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
    );
    if args.dry_run {
        println!("would convert {what} (dry run: nothing changed):");
        for step in &s.steps {
            println!("  {step}");
        }
        return Ok(());
    }
    // Commit now (a zip archive is written on close), so that a failure is
    // reported: the store's drop would have to swallow it.
    dst.close().map_err(in_store(&args.dst))?;
    println!(
        "converted {what}: {} arrays ({} re-encoded), {} groups, {} chunks copied",
        s.arrays, s.reencoded, s.groups, s.chunks_copied
    );
    if s.v2_documents_kept > 0 {
        println!(
            "kept {} V2 documents beside the V3 ones (V2 readers still see the data); \
             `zarr convert --remove-v2` deletes them",
            s.v2_documents_kept
        );
    }
    if s.v2_keys_removed > 0 {
        println!("removed {} V2 keys", s.v2_keys_removed);
    }
    Ok(())
}

/// True when a STORE argument names a local folder or zip archive
/// (plainly, or as `file://` or `zip://`) that does not exist.
fn missing_local(store: &std::path::Path) -> bool {
    let Some(text) = store.to_str() else {
        return !store.exists();
    };
    let local = text.strip_prefix("zip://").unwrap_or(text);
    let local = local.strip_prefix("file://").unwrap_or(local);
    !local.contains("://") && !std::path::Path::new(local).exists()
}
