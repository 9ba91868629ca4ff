//! `zarr copy`: copy an array or hierarchy from one store to another,
//! byte for byte or re-encoded (chunks, shards, compressor, Zarr format),
//! streaming chunk by chunk with a progress bar on long copies.

use crate::progress::Progress;
use crate::util::{self, in_store, Result};
use std::path::PathBuf;
use std::time::Instant;
use zarr::api::copy::{copy, CopyOptions, IfExists, Shards};

/// Arguments of `zarr copy`.
#[derive(clap::Args, Debug)]
pub struct CopyArgs {
    /// The source store: a folder, `file://PATH`, `zip://PATH`, a `.zip`
    /// file or `memory://`.
    pub src: PathBuf,
    /// The destination store (created when missing).
    pub dst: PathBuf,
    /// The path of the array or group to copy, in SRC and in DST (default:
    /// the root).
    #[arg(long, default_value = "")]
    pub path: String,
    /// The chunk shape of copied arrays, `a,b,c` (with shards, the inner
    /// chunk shape); every array copied must have that many dimensions.
    /// Default: each source array's.
    #[arg(long)]
    pub chunks: Option<String>,
    /// The shard shape of copied arrays, `a,b,c`, or `none` for unsharded.
    /// Default: each source array's.
    #[arg(long)]
    pub shards: Option<String>,
    /// The compressor: for V3 `zstd[:L]`, `gzip[:L]`,
    /// `blosc[:CNAME[:CLEVEL[:SHUFFLE]]]` or `none`; for V2 any numcodecs id
    /// `zarr import --zarr-format 2` takes. Default: each source array's.
    #[arg(long)]
    pub compressor: Option<String>,
    /// The Zarr format to write: 2 or 3. Default: each node's.
    #[arg(long, value_parser = clap::value_parser!(u8).range(2..=3))]
    pub zarr_format: Option<u8>,
    /// Replace a node already at the destination path.
    #[arg(long)]
    pub overwrite: bool,
    /// Names of the dimensions of copied arrays, `x,y,z` (an empty name is
    /// none; in V2, xarray's `_ARRAY_DIMENSIONS` attribute). Only the names
    /// change: chunks are copied unchanged unless other options re-encode
    /// them. Default: each source array's.
    #[arg(long)]
    pub dimension_names: Option<String>,
}

/// Parse `a,b,c` of positive integers.
fn parse_list(option: &str, s: &str) -> Result<Vec<u64>> {
    let n = s.split(',').count();
    util::parse_shape(option, s, n)
}

/// The copy options the flags give.
fn options(args: &CopyArgs) -> Result<CopyOptions> {
    let mut o = CopyOptions::default();
    if let Some(c) = &args.chunks {
        o = o.chunks(parse_list("--chunks", c)?);
    }
    if let Some(s) = &args.shards {
        o = o.shards(if s.trim() == "none" {
            Shards::None
        } else {
            Shards::Shape(parse_list("--shards", s)?)
        });
    }
    if let Some(f) = args.zarr_format {
        o = o.zarr_format(f);
    }
    if let Some(c) = &args.compressor {
        match args.zarr_format {
            Some(2) => o = o.compressor_v2(util::parse_compressor_v2(c)?),
            Some(_) => o = o.compressors(util::parse_compressor(c)?),
            // Each node keeps its format: give both forms that parse.
            None => {
                let v3 = util::parse_compressor(c);
                let v2 = util::parse_compressor_v2(c);
                if let (Err(e), Err(_)) = (&v3, &v2) {
                    return Err(e.clone());
                }
                if let Ok(v3) = v3 {
                    o = o.compressors(v3);
                }
                if let Ok(v2) = v2 {
                    o = o.compressor_v2(v2);
                }
            }
        }
    }
    if args.overwrite {
        o = o.if_exists(IfExists::Replace);
    }
    if let Some(n) = &args.dimension_names {
        o = o.dimension_names(util::parse_dimension_names(n, n.split(',').count())?);
    }
    Ok(o)
}

/// Run `zarr copy`.
pub fn run(args: &CopyArgs) -> Result<()> {
    let opts = options(args)?;
    let src = util::open_store(&args.src, true)?;
    let dst = util::open_store(&args.dst, false)?;
    // One storage as both (however spelt: `S`, `file://S`, a link to S):
    // one store object. The library refuses overlapping paths either way.
    let same = util::same_storage(&src, &dst);
    let src = if same { dst.clone() } else { src };
    let path = args.path.trim_matches('/');
    let progress = Progress::new();
    let opts = opts.progress(progress.callback());
    let started = Instant::now();
    let result = copy(&src, path, &dst, path, &opts);
    progress.finish();
    let s = result
        .map_err(|e| format!("copy {} to {}: {e}", args.src.display(), args.dst.display()))?;
    dst.close().map_err(in_store(&args.dst))?;
    let elapsed = started.elapsed();
    println!(
        "copied {}{} to {}: {} arrays ({} re-encoded), {} groups, {} objects copied unchanged{}; {} in {} ({})",
        args.src.display(),
        if path.is_empty() {
            String::new()
        } else {
            format!(" --path {path}")
        },
        args.dst.display(),
        s.arrays,
        s.reencoded,
        s.groups,
        s.objects_copied,
        if s.skipped > 0 {
            format!(", {} skipped", s.skipped)
        } else {
            String::new()
        },
        util::human_bytes(progress.bytes_done()),
        util::seconds(elapsed),
        util::throughput(progress.bytes_done(), elapsed)
    );
    Ok(())
}
