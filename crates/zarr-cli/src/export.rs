//! `zarr export`: an array or a selection of it to a `.npy` file.

use crate::util::{self, in_store, seconds, shape_text, throughput, Result};
use crate::ExportArgs;
use std::time::Instant;
use zarr::buffer::{NDBuffer, NDData};
use zarr::chunk::{Query, Selection};
use zarr::dtype::DataType;
use zarr::metadata::NodeMetadata;

/// Bytes of element data in a buffer (UTF-8 / raw bytes for variable-length types).
pub fn data_bytes(b: &NDBuffer) -> u64 {
    match b.data() {
        NDData::Fixed(v) => v.len() as u64,
        NDData::Variable(v) => v.iter().map(|e| e.len() as u64).sum(),
        #[allow(unreachable_patterns)]
        _ => 0,
    }
}

/// Run `zarr export`.
pub fn run(args: &ExportArgs) -> Result<()> {
    let store = util::open_store(&args.store, true)?;
    let path = args.path.trim_matches('/').to_string();
    let (_, node, format) = crate::info::read_node(&store, &args.store, &path)?;
    let NodeMetadata::Array(m) = node else {
        return Err(format!(
            "{}: {} is a group, not an array (choose one with --path; see zarr info)",
            args.store.display(),
            util::node_key(&path)
        ));
    };
    let array = crate::info::open_array(&store, &args.store, &path, m, format)?;
    let vectorized = args.select_mode == crate::SelectMode::Vectorized;
    let query = match &args.select {
        None => Query::Basic(Selection::all()),
        Some(s) => {
            Query::parse(s, vectorized).map_err(|e| format!("invalid --select {s:?}: {e}"))?
        }
    };
    if let Err(e) = query.resolve(array.shape(), array.chunk_shape()) {
        return Err(format!(
            "invalid --select {:?} for the array {:?} of shape {:?}: {e}",
            args.select.as_deref().unwrap_or(":"),
            if path.is_empty() { "/" } else { path.as_str() },
            array.shape()
        ));
    }
    let t = Instant::now();
    let buf = if args.fields.is_empty() {
        array.read_query_ndbuffer(&query)
    } else {
        let names: Vec<&str> = args.fields.iter().map(String::as_str).collect();
        array.read_fields(&query, &names)
    }
    .map_err(in_store(&args.store))?;
    let read_time = t.elapsed();
    let buf = match &args.dtype {
        None => buf,
        Some(name) => {
            let to = DataType::from_name(name).map_err(|e| format!("invalid --dtype: {e}"))?;
            crate::cast::cast(buf, to)?
        }
    };
    let to_stdout = args.output.as_os_str() == "-";
    let t2 = Instant::now();
    if to_stdout {
        zarr::npy::write_npy_to(std::io::stdout().lock(), &buf).map_err(|e| e.to_string())?;
    } else {
        zarr::npy::write_npy(&args.output, &buf).map_err(|e| e.to_string())?;
    }
    let write_time = t2.elapsed();
    let n = data_bytes(&buf);
    let msg = format!(
        "exported {}{} [{}] ({} {}, {}) to {}: read {} ({}), wrote .npy {} ({})",
        args.store.display(),
        if path.is_empty() {
            String::new()
        } else {
            format!(" --path {path}")
        },
        args.select.as_deref().unwrap_or("..."),
        array.data_type(),
        shape_text(buf.shape()),
        util::human_bytes(n),
        if to_stdout {
            "standard output".to_string()
        } else {
            args.output.display().to_string()
        },
        seconds(read_time),
        throughput(n, read_time),
        seconds(write_time),
        throughput(n, write_time),
    );
    if to_stdout {
        eprintln!("{msg}");
    } else {
        println!("{msg}");
    }
    Ok(())
}
