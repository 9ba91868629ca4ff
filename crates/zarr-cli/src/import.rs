//! `zarr import`: create a V3 (or V2) array from a `.npy` file.

use crate::util::{
    self, codec_text, human_bytes, in_store, seconds, shape_text, throughput, Result,
};
use crate::ImportArgs;
use std::io::IsTerminal;
use std::time::Instant;
use zarr::array::{Array, ArrayBuilder};
use zarr::buffer::{NDBuffer, NDData, Order};
use zarr::chunk::Selection;
use zarr::dtype::DataType;

/// Writes larger than this show a progress bar (when stderr is a terminal).
const PROGRESS_MIN_BYTES: u64 = 64 << 20;
/// Target bytes per write call when showing progress.
const SLAB_BYTES: u64 = 64 << 20;

/// Run `zarr import`.
pub fn run(args: &ImportArgs) -> Result<()> {
    // Everything is validated before the store is touched.
    let t0 = Instant::now();
    let input = zarr::npy::read_npy(&args.input).map_err(|e| e.to_string())?;
    let read_time = t0.elapsed();
    let input = match &args.dtype {
        None => input,
        Some(name) => {
            let to = DataType::from_name(name).map_err(|e| format!("invalid --dtype: {e}"))?;
            crate::cast::cast(input, to).map_err(|e| format!("{}: {e}", args.input.display()))?
        }
    };
    let shape: Vec<u64> = input.shape().iter().map(|&d| d as u64).collect();
    let dt = input.data_type();
    let mut builder = ArrayBuilder::new(shape.clone(), dt).overwrite(args.overwrite);
    let chunks = util::parse_chunks(args.chunks.as_deref().unwrap_or("auto"), shape.len())?;
    if let Some(c) = &chunks {
        builder = builder.chunks(c.clone());
    }
    if let Some(sh) = &args.shards {
        let shards = util::parse_shape("--shards", sh, shape.len())?;
        let Some(inner) = &chunks else {
            return Err(format!(
                "--shards {sh:?} needs --chunks a,b,c: the inner chunk shape, which must divide the shard shape"
            ));
        };
        if let Some(d) = (0..shards.len()).find(|&d| shards[d] % inner[d] != 0) {
            return Err(format!(
                "invalid --shards {sh:?}: the shard shape {} is not divisible by the inner chunk shape --chunks {} (dimension {d}: {} is not a multiple of {})",
                shape_text(&shards),
                shape_text(inner),
                shards[d],
                inner[d]
            ));
        }
        builder = builder.shards(shards);
    }
    if args.zarr_format == 2 {
        builder = builder.zarr_format(2);
        if let Some(c) = &args.compressor {
            builder = builder.compressor_v2(util::parse_compressor_v2(c)?);
        }
        match args.order.as_deref() {
            None | Some("C") => {}
            Some("F") => builder = builder.storage_order(Order::F),
            Some(o) => return Err(format!("invalid --order {o:?}: expected C or F")),
        }
    } else {
        if args.order.is_some() {
            return Err("--order applies to --zarr-format 2 only".into());
        }
        if let Some(c) = &args.compressor {
            builder = builder.compressors(util::parse_compressor(c)?);
        }
    }
    if let Some(v) = &args.fill_value {
        builder = builder.fill_value_json(util::parse_fill_value(v));
    }
    if let Some(a) = &args.attrs {
        builder = builder.attributes(util::parse_attrs(a)?);
    }
    // Invalid combinations (a fill value that does not fit the type, codecs
    // that do not fit it) fail here, before anything is written.
    if args.zarr_format == 2 {
        builder
            .build_metadata_v2()
            .map_err(|e| format!("cannot create the array: {e}"))?;
    } else {
        builder
            .build_metadata()
            .map_err(|e| format!("cannot create the array: {e}"))?;
    }

    let store = util::open_store(&args.store, false)?;
    let path = args.path.trim_matches('/').to_string();
    if !args.overwrite {
        for key in [
            util::node_key(&path),
            util::v2_key(&path, ".zarray"),
            util::v2_key(&path, ".zgroup"),
        ] {
            if store.exists(&key).map_err(in_store(&args.store))? {
                return Err(format!(
                    "{}: {key} already exists (pass --overwrite to replace it)",
                    args.store.display()
                ));
            }
        }
    }
    let t1 = Instant::now();
    let array = builder
        .create(store, &path)
        .map_err(in_store(&args.store))?;
    let n = crate::export::data_bytes(&input);
    write_all(&array, input, n).map_err(in_store(&args.store))?;
    let write_time = t1.elapsed();
    let stored = array.stored_size().map_err(in_store(&args.store))?;
    // Commits a zip archive (its central directory, renamed into place) and
    // reports failures.
    array.store().close().map_err(in_store(&args.store))?;
    println!(
        "imported {} ({dt}, {}, {}) into {}{}: Zarr V{}, {}, codecs {}",
        args.input.display(),
        shape_text(&shape),
        human_bytes(n),
        args.store.display(),
        if path.is_empty() {
            String::new()
        } else {
            format!(" --path {path}")
        },
        array.zarr_format(),
        match array.inner_chunk_shape() {
            Some(inner) => format!(
                "shards {}, inner chunks {}",
                shape_text(array.chunk_shape()),
                shape_text(&inner)
            ),
            None => format!("chunks {}", shape_text(array.chunk_shape())),
        },
        array
            .metadata()
            .codecs
            .iter()
            .map(codec_text)
            .collect::<Vec<_>>()
            .join(" -> ")
    );
    println!(
        "read .npy {} ({}), wrote {} ({}); stored {} ({stored} bytes{})",
        seconds(read_time),
        throughput(n, read_time),
        seconds(write_time),
        throughput(n, write_time),
        human_bytes(stored),
        if stored > 0 && n > 0 {
            format!(", ratio {:.2}x", n as f64 / stored as f64)
        } else {
            String::new()
        }
    );
    Ok(())
}

/// Write the whole buffer, in slabs of whole chunk rows along the first axis
/// with a progress bar when the write is large and stderr is a terminal, else
/// in one parallel write.
fn write_all(array: &Array, input: NDBuffer, n_bytes: u64) -> zarr::array::Result<()> {
    // ZARR_CLI_SLAB_BYTES (for tests) forces slabbed writes of that size.
    let forced: Option<u64> = std::env::var("ZARR_CLI_SLAB_BYTES")
        .ok()
        .and_then(|v| v.parse().ok());
    let show = std::io::stderr().is_terminal() && n_bytes >= PROGRESS_MIN_BYTES;
    let shape = input.shape().to_vec();
    if !(show || forced.is_some()) || shape.is_empty() || shape[0] == 0 {
        return array.write_ndbuffer(&Selection::all(), &input);
    }
    let input = if input.order() == Order::F {
        input.to_order(Order::C)
    } else {
        input
    };
    let rows = shape[0] as u64;
    let row_elems: u64 = shape[1..].iter().map(|&d| d as u64).product();
    let row_bytes = (n_bytes / rows).max(1);
    let chunk0 = array.chunk_shape().first().copied().unwrap_or(1).max(1);
    let slab_bytes = forced.unwrap_or(SLAB_BYTES);
    let slab_rows = (slab_bytes / row_bytes.max(1) / chunk0).max(1) * chunk0;
    let bar = if show {
        indicatif::ProgressBar::new(n_bytes)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let rest: Vec<u64> = shape[1..].iter().map(|&d| d as u64).collect();
    let mut start = 0u64;
    while start < rows {
        let end = (start + slab_rows).min(rows);
        let mut origin = vec![start];
        origin.extend(std::iter::repeat_n(0, rest.len()));
        let mut extent = vec![end - start];
        extent.extend(&rest);
        let sel = Selection::from_box(&origin, &extent);
        let (a, b) = ((start * row_elems) as usize, (end * row_elems) as usize);
        match input.data() {
            NDData::Fixed(bytes) => {
                let size = input.data_type().size().unwrap_or(1);
                array.write_bytes(&sel, &bytes[a * size..b * size])?;
                bar.inc(((b - a) * size) as u64);
            }
            NDData::Variable(v) => {
                array.write_var(&sel, &v[a..b])?;
                bar.inc(v[a..b].iter().map(|e| e.len() as u64).sum());
            }
            #[allow(unreachable_patterns)]
            _ => return array.write_ndbuffer(&Selection::all(), &input),
        }
        start = end;
    }
    bar.finish_and_clear();
    Ok(())
}
