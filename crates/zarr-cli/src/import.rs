//! `zarr import`: create a V3 (or V2) array from a `.npy` file (or
//! standard input, or raw binary), streaming it slab by slab so memory
//! stays bounded whatever the array's size.

use crate::progress::Progress;
use crate::slab::{self, SlabPlan};
use crate::util::{
    self, codec_text, human_bytes, in_store, seconds, shape_text, throughput, Result,
};
use crate::ImportArgs;
use std::time::Instant;
use zarr::array::{Array, ArrayBuilder, CopyProgress};
use zarr::buffer::{NDBuffer, Order};
use zarr::chunk::Selection;
use zarr::dtype::DataType;
use zarr::npy::NpyReader;

/// Open the input: a `.npy` file, standard input (`-`), or raw binary
/// with `--raw --dtype --shape`.
fn open_input(args: &ImportArgs) -> Result<NpyReader> {
    let stdin = args.input.as_os_str() == "-";
    if args.raw {
        let (Some(dt), Some(shape)) = (&args.dtype, &args.shape) else {
            return Err("--raw needs --dtype (the input's data type) and --shape a,b,c".into());
        };
        let dt = DataType::from_name(dt).map_err(|e| format!("invalid --dtype: {e}"))?;
        let n = shape.split(',').count();
        let shape: Vec<usize> = util::parse_shape("--shape", shape, n)?
            .iter()
            .map(|&d| usize::try_from(d).map_err(|_| format!("invalid --shape: {d} is too large")))
            .collect::<Result<_>>()?;
        return if stdin {
            NpyReader::raw_reader(std::io::stdin(), dt, &shape)
        } else {
            NpyReader::raw_file(&args.input, dt, &shape)
        }
        .map_err(|e| e.to_string());
    }
    if args.shape.is_some() {
        return Err("--shape applies to --raw input only (a .npy file has its own)".into());
    }
    if stdin {
        NpyReader::from_reader(std::io::stdin())
    } else {
        NpyReader::open(&args.input)
    }
    .map_err(|e| e.to_string())
}

/// Run `zarr import`.
pub fn run(args: &ImportArgs) -> Result<()> {
    // Everything is validated before the store is touched.
    let t0 = Instant::now();
    let mut reader = open_input(args)?;
    // The stored type: --dtype converts .npy input (raw input is that type).
    let to = match (&args.dtype, args.raw) {
        (Some(name), false) => {
            Some(DataType::from_name(name).map_err(|e| format!("invalid --dtype: {e}"))?)
        }
        _ => None,
    };
    if let Some(to) = to {
        // An impossible conversion fails here, before the store is touched.
        let none = vec![0; reader.shape().len()];
        let empty = reader.read_box(&none, &none).map_err(|e| e.to_string())?;
        crate::cast::cast(empty, to).map_err(|e| format!("{}: {e}", args.input.display()))?;
    }
    let dt = to.unwrap_or(reader.data_type());
    let shape: Vec<u64> = reader.shape().iter().map(|&d| d as u64).collect();
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
    if let Some(names) = &args.dimension_names {
        builder = builder.dimension_names(util::parse_dimension_names(names, shape.len())?);
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
    let input_name = args.input.display().to_string();
    let n = stream_into(&array, &mut reader, to, &input_name).map_err(|e| match e {
        Failure::Input(e) => e,
        Failure::Store(e) => in_store(&args.store)(e),
    });
    let n = n.map_err(|e| {
        format!(
            "{e} (the array {} in {} is incomplete: import again with --overwrite, or delete it with zarr rm)",
            if path.is_empty() { "/" } else { path.as_str() },
            args.store.display()
        )
    })?;
    let elapsed = t0.elapsed();
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
        "read and wrote {} in {} ({}); stored {} ({stored} bytes{})",
        human_bytes(n),
        seconds(elapsed),
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

/// Why a streaming import stopped.
enum Failure {
    /// Reading or converting the input.
    Input(String),
    /// Writing the array.
    Store(zarr::array::ArrayError),
}

/// Stream the input into the array slab by slab (slabs of whole chunks or
/// shards, in the input's file order): one thread reads and converts the
/// next slab while the engine encodes and writes the current one in
/// parallel, so memory holds about two slabs. Returns the bytes read.
fn stream_into(
    array: &Array,
    reader: &mut NpyReader,
    to: Option<DataType>,
    input: &str,
) -> std::result::Result<u64, Failure> {
    let item = reader.item_size().max(1);
    let chunk = array.chunk_shape().to_vec();
    let chunk_bytes = chunk.iter().fold(item, |a, &c| a.saturating_mul(c));
    let target = slab::target_bytes(chunk_bytes);
    let shape = array.shape().to_vec();
    let plan = SlabPlan::new(
        &vec![0; shape.len()],
        &shape,
        &chunk,
        item,
        target,
        reader.order(),
        !reader.is_seekable(),
    );
    let total_bytes = shape.iter().fold(item, |a, &d| a.saturating_mul(d));
    let progress = Progress::new();
    let report = progress.callback();
    let mut done = CopyProgress {
        chunks_total: plan.chunks_total(),
        bytes_total: total_bytes,
        ..Default::default()
    };
    let result = slab::pipeline(
        &plan,
        |s| {
            let b = reader
                .read_box(&s.origin, &s.extent)
                .map_err(|e| Failure::Input(e.to_string()))?;
            match to {
                Some(to) => {
                    crate::cast::cast(b, to).map_err(|e| Failure::Input(format!("{input}: {e}")))
                }
                None => Ok(b),
            }
        },
        |s, buf: NDBuffer| {
            array
                .write_ndbuffer(&Selection::from_box(&s.origin, &s.extent), &buf)
                .map_err(Failure::Store)?;
            done.chunks_done += s.chunks;
            done.bytes_done += s.len() * item;
            report(&done);
            Ok(())
        },
    )
    .map(|()| done.bytes_done);
    progress.finish();
    result
}
