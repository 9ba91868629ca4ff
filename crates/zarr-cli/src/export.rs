//! `zarr export`: an array or a selection of it to a `.npy` file,
//! streaming it slab by slab (for a box selection) so memory stays bounded
//! whatever the array's size.

use crate::progress::Progress;
use crate::slab::{self, Slab, SlabPlan};
use crate::util::{self, in_store, seconds, shape_text, throughput, Result};
use crate::ExportArgs;
use std::time::Instant;
use zarr::array::CopyProgress;
use zarr::buffer::{NDBuffer, NDData, Order};
use zarr::chunk::{Query, ResolvedSelection, Selection};
use zarr::dtype::DataType;
use zarr::metadata::NodeMetadata;
use zarr::npy::NpyWriter;

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
    let to = match &args.dtype {
        None => None,
        Some(name) => Some(DataType::from_name(name).map_err(|e| format!("invalid --dtype: {e}"))?),
    };
    let names: Vec<&str> = args.fields.iter().map(String::as_str).collect();
    // Reads a query of the array, with the fields and type asked for.
    let read = |q: &Query| -> Result<NDBuffer> {
        let buf = if names.is_empty() {
            array.read_query_ndbuffer(q)
        } else {
            array.read_fields(q, &names)
        }
        .map_err(in_store(&args.store))?;
        match to {
            None => Ok(buf),
            Some(to) => crate::cast::cast(buf, to),
        }
    };
    let to_stdout = args.output.as_os_str() == "-";
    let t = Instant::now();
    let (out_shape, n) = match streamable(&query, array.shape()) {
        Some(r) => {
            let out_shape: Vec<u64> = r.out_shape().iter().map(|&d| d as u64).collect();
            let n = stream_out(&array, &r, &read, &args.output, to_stdout)?;
            (out_shape, n)
        }
        None => {
            // Index lists and reversed steps: the selection whole (its size
            // is the caller's choice).
            let buf = read(&query)?;
            if to_stdout {
                zarr::npy::write_npy_to(std::io::stdout().lock(), &buf)
                    .map_err(|e| e.to_string())?;
            } else {
                zarr::npy::write_npy(&args.output, &buf).map_err(|e| e.to_string())?;
            }
            let shape = buf.shape().iter().map(|&d| d as u64).collect();
            (shape, data_bytes(&buf))
        }
    };
    let elapsed = t.elapsed();
    let msg = format!(
        "exported {}{} [{}] ({} {}, {}) to {} in {} ({})",
        args.store.display(),
        if path.is_empty() {
            String::new()
        } else {
            format!(" --path {path}")
        },
        args.select.as_deref().unwrap_or("..."),
        to.unwrap_or(array.data_type()),
        shape_text(&out_shape),
        util::human_bytes(n),
        if to_stdout {
            "standard output".to_string()
        } else {
            args.output.display().to_string()
        },
        seconds(elapsed),
        throughput(n, elapsed),
    );
    if to_stdout {
        eprintln!("{msg}");
    } else {
        println!("{msg}");
    }
    Ok(())
}

/// The resolved selection when `query` is a box (basic, every step 1),
/// which is exported slab by slab.
fn streamable(query: &Query, shape: &[u64]) -> Option<ResolvedSelection> {
    let Query::Basic(sel) = query else {
        return None;
    };
    let r = sel.resolve(shape).ok()?;
    r.dims
        .iter()
        .all(|d| d.step == 1 || d.len <= 1)
        .then_some(r)
}

/// Export the box `r` slab by slab: one thread reads (and decodes in
/// parallel) the next slab of whole chunks while this one writes the
/// current one to the `.npy`, so memory holds about two slabs. A file is
/// written box by box at its offsets; standard output takes slabs along
/// the first axis in order. `string` and bytes types take a first pass
/// for the width of the widest element. Returns the data bytes written.
fn stream_out(
    array: &zarr::array::Array,
    r: &ResolvedSelection,
    read: &(dyn Fn(&Query) -> Result<NDBuffer> + Sync),
    output: &std::path::Path,
    to_stdout: bool,
) -> Result<u64> {
    let origin: Vec<u64> = r.dims.iter().map(|d| d.start).collect();
    let extent: Vec<u64> = r.dims.iter().map(|d| d.len).collect();
    let keep: Vec<usize> = (0..extent.len()).filter(|&d| !r.dropped[d]).collect();
    let out_shape: Vec<u64> = keep.iter().map(|&d| extent[d]).collect();
    let box_query = |o: &[u64], e: &[u64]| Query::Basic(Selection::from_box(o, e));
    // The output's type: that of an empty read.
    let zeros = vec![0u64; extent.len()];
    let dt = read(&box_query(&origin, &zeros))?.data_type();
    let item = dt.size().unwrap_or(16).max(1) as u64;
    let chunk = array.chunk_shape().to_vec();
    let chunk_bytes = chunk.iter().fold(item, |a, &c| a.saturating_mul(c));
    let plan = SlabPlan::new(
        &origin,
        &extent,
        &chunk,
        item,
        slab::target_bytes(chunk_bytes),
        Order::C,
        to_stdout,
    );
    // A slab as the output sees it: its origin there, dropped axes gone.
    let to_out = |s: &Slab, buf: NDBuffer| -> Result<(Vec<u64>, NDBuffer)> {
        let o = keep.iter().map(|&d| s.origin[d] - origin[d]).collect();
        let shape: Vec<usize> = keep.iter().map(|&d| s.extent[d] as usize).collect();
        let (dt, order) = (buf.data_type(), buf.order());
        let b = NDBuffer::from_parts(shape, dt, order, buf.into_data())?;
        Ok((o, b))
    };
    let width = if dt.size().is_none() {
        let mut width = 1;
        slab::pipeline(
            &plan,
            |s| read(&box_query(&s.origin, &s.extent)),
            |_, b| {
                width = width.max(NpyWriter::width_of(&b));
                Ok(())
            },
        )?;
        width
    } else {
        0
    };
    if !to_stdout {
        check_free_space(output, &out_shape, item)?;
    }
    let stdout = std::io::stdout();
    let mut writer = if to_stdout {
        NpyWriter::to_writer(
            std::io::BufWriter::new(stdout.lock()),
            dt,
            &out_shape,
            width,
        )
    } else {
        NpyWriter::create(output, dt, &out_shape, width)
    }
    .map_err(|e| e.to_string())?;
    let progress = Progress::new();
    let report = progress.callback();
    let mut done = CopyProgress {
        chunks_total: plan.chunks_total(),
        bytes_total: extent.iter().fold(item, |a, &e| a.saturating_mul(e)),
        ..Default::default()
    };
    let mut n = 0u64;
    let result = slab::pipeline(
        &plan,
        |s| read(&box_query(&s.origin, &s.extent)),
        |s, b| {
            n += data_bytes(&b);
            let (o, b) = to_out(&s, b)?;
            writer.write_box(&o, &b).map_err(|e| e.to_string())?;
            done.chunks_done += s.chunks;
            done.bytes_done += s.len() * item;
            report(&done);
            Ok(())
        },
    );
    progress.finish();
    let result = result.and_then(|()| writer.finish().map_err(|e| e.to_string()));
    if result.is_err() && !to_stdout {
        // No partial .npy that numpy would read as data.
        let _ = std::fs::remove_file(output);
    }
    result.map(|()| n)
}

/// Refuse an export larger than the free space where the file goes (an
/// `.npy` is written uncompressed), before anything is created.
fn check_free_space(output: &std::path::Path, shape: &[u64], item: u64) -> Result<()> {
    let Some(need) = shape.iter().try_fold(item, |a, &d| a.checked_mul(d)) else {
        return Err(format!(
            "{}: the array of shape {} is too large for a .npy file",
            output.display(),
            shape_text(shape)
        ));
    };
    let dir = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    if let Some(free) = free_bytes(&dir) {
        if need > free {
            return Err(format!(
                "{}: the export needs {} ({need} bytes) but the file system has {} free",
                output.display(),
                util::human_bytes(need),
                util::human_bytes(free)
            ));
        }
    }
    Ok(())
}

/// Bytes free for unprivileged users on the file system holding `dir`.
#[cfg(unix)]
fn free_bytes(dir: &std::path::Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: `c` is a valid NUL-terminated path and `st` a writable
    // statvfs the call fills in.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::statvfs(c.as_ptr(), &mut st) };
    (rc == 0).then(|| (st.f_bavail as u64).saturating_mul(st.f_frsize as u64))
}

#[cfg(not(unix))]
fn free_bytes(_dir: &std::path::Path) -> Option<u64> {
    None
}
