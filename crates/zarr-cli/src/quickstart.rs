//! `zarr quickstart`: write a small hierarchy of realistic arrays to a
//! folder, read it back, check it, and print what was done.

use crate::util::{self, codec_text, human_bytes, in_store, shape_text, throughput, Result};
use crate::QuickstartArgs;
use serde_json::{json, Map, Value};
use std::path::Path;
use std::time::{Duration, Instant};
use zarr::array::{Array, ArrayBuilder};
use zarr::buffer::NDBuffer;
use zarr::chunk::Selection;
use zarr::metadata::{CodecMetadata, GroupMetadata, NodeMetadata};
use zarr::store::StoreRef;

struct Spec {
    name: &'static str,
    about: &'static str,
    data: NDBuffer,
    builder: ArrayBuilder,
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// A small deterministic pseudo-random generator (xorshift).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn specs() -> Result<Vec<Spec>> {
    let err = |e: String| format!("building the quickstart data: {e}");
    // 1. temperature: float32 (time, lat, lon), smooth fields.
    let (nt, ny, nx) = (64usize, 256usize, 256usize);
    let mut t = Vec::with_capacity(nt * ny * nx);
    for it in 0..nt {
        let season = (it as f32 / nt as f32 * std::f32::consts::TAU).sin();
        for iy in 0..ny {
            let lat = (iy as f32 / (ny - 1) as f32 - 0.5) * std::f32::consts::PI;
            for ix in 0..nx {
                let lon = ix as f32 / nx as f32 * std::f32::consts::TAU;
                t.push(
                    273.15 + 30.0 * lat.cos() - 10.0
                        + 8.0 * season * lat.sin()
                        + 3.0 * (2.0 * lon + 0.1 * it as f32).sin() * lat.cos(),
                );
            }
        }
    }
    let temperature = NDBuffer::from_vec(&[nt, ny, nx], t).map_err(err)?;

    // 2. image: uint16 2048x2048, a smooth scene with rings and sensor noise.
    let n = 2048usize;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut img = Vec::with_capacity(n * n);
    for y in 0..n {
        for x in 0..n {
            let (fx, fy) = (x as f64 / n as f64 - 0.5, y as f64 / n as f64 - 0.5);
            let r = (fx * fx + fy * fy).sqrt();
            let v = 20000.0
                + 15000.0 * (r * 40.0).cos() * (-r * 3.0).exp()
                + 8000.0 * fx
                + 200.0 * rng.unit();
            img.push(v.clamp(0.0, 65535.0) as u16);
        }
    }
    let image = NDBuffer::from_vec(&[n, n], img).map_err(err)?;

    // 3. counts: int64 1-D event counts per time bin.
    let m = 1_000_000usize;
    let mut rng = Rng(42);
    let counts: Vec<i64> = (0..m)
        .map(|i| {
            let base = 50.0 + 40.0 * (i as f64 / 5000.0).sin();
            (base + 10.0 * rng.unit()) as i64
        })
        .collect();
    let counts = NDBuffer::from_vec(&[m], counts).map_err(err)?;

    // 4. labels: variable-length UTF-8 strings.
    let kinds = [
        "neuron",
        "astrocyte",
        "microglia",
        "oligodendrocyte",
        "endothélium",
    ];
    let labels: Vec<String> = (0..10_000usize)
        .map(|i| format!("cell-{i:05}/{}", kinds[(i * 7 + i / 13) % kinds.len()]))
        .collect();
    let labels = NDBuffer::from_vec(&[10_000], labels).map_err(err)?;

    let blosc = CodecMetadata::new(
        "blosc",
        Some(obj(
            json!({"cname": "lz4", "clevel": 5, "shuffle": "shuffle", "blocksize": 0}),
        )),
    );
    Ok(vec![
        Spec {
            name: "temperature",
            about: "float32 climate field, zstd (zarr-python's default codecs)",
            builder: ArrayBuilder::new(
                vec![nt as u64, ny as u64, nx as u64],
                zarr::dtype::DataType::Float32,
            )
            .chunks(vec![16, 128, 128])
            .fill_value_json(json!("NaN"))
            .dimension_names(vec![
                Some("time".into()),
                Some("lat".into()),
                Some("lon".into()),
            ])
            .attribute("units", json!("K"))
            .attribute("long_name", json!("air temperature")),
            data: temperature,
        },
        Spec {
            name: "image",
            about: "uint16 microscope image, blosc lz4 + shuffle",
            builder: ArrayBuilder::new(vec![n as u64, n as u64], zarr::dtype::DataType::UInt16)
                .chunks(vec![512, 512])
                .compressors(vec![blosc])
                .dimension_names(vec![Some("y".into()), Some("x".into())])
                .attribute("pixel_size_um", json!(0.65)),
            data: image,
        },
        Spec {
            name: "counts",
            about: "int64 event counts, gzip",
            builder: ArrayBuilder::new(vec![m as u64], zarr::dtype::DataType::Int64)
                .chunks(vec![100_000])
                .compressors(vec![CodecMetadata::new(
                    "gzip",
                    Some(obj(json!({"level": 5}))),
                )])
                .dimension_names(vec![Some("bin".into())])
                .attribute("bin_width_s", json!(0.001)),
            data: counts,
        },
        Spec {
            name: "labels",
            about: "variable-length UTF-8 strings, vlen-utf8 + zstd",
            builder: ArrayBuilder::new(vec![10_000], zarr::dtype::DataType::String)
                .chunks(vec![2_500])
                .dimension_names(vec![Some("label".into())]),
            data: labels,
        },
    ])
}

/// Refuse to replace anything that is not a Zarr store we can recognise.
fn prepare_dir(dir: &Path) -> Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    if !dir.is_dir() {
        return Err(format!("{}: exists and is not a folder", dir.display()));
    }
    let empty = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .next()
        .is_none();
    if empty {
        return Ok(());
    }
    if !dir.join("zarr.json").is_file() {
        return Err(format!(
            "{}: exists and is not a Zarr store (no zarr.json); refusing to replace it",
            dir.display()
        ));
    }
    std::fs::remove_dir_all(dir).map_err(|e| format!("{}: cannot replace it: {e}", dir.display()))
}

/// Run `zarr quickstart`.
pub fn run(args: &QuickstartArgs) -> Result<()> {
    let dir = &args.dir;
    let specs = specs()?;
    prepare_dir(dir)?;
    let store: StoreRef = util::open_store(dir, false)?;
    let root = NodeMetadata::Group(GroupMetadata {
        attributes: obj(json!({
            "description": "zarr quickstart: a few realistic arrays",
            "created_by": concat!("zarr-cli ", env!("CARGO_PKG_VERSION")),
        })),
        ..Default::default()
    });
    store
        .set("zarr.json", root.to_json_bytes().into())
        .map_err(in_store(dir))?;
    // Say where, in full: the default is a folder in the current directory.
    let full = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone());
    println!("Writing a Zarr V3 hierarchy to {}\n", full.display());
    println!(
        "  {:<12} {:<8} {:<18} {:<14} {:>10} {:>10} {:>7} {:>12} {:>12}",
        "array", "dtype", "shape", "chunks", "size", "stored", "ratio", "write", "read"
    );
    let (mut total, mut total_w, mut total_r) = (0u64, Duration::ZERO, Duration::ZERO);
    for s in &specs {
        let bytes = crate::export::data_bytes(&s.data);
        let t = Instant::now();
        let a = s
            .builder
            .create(store.clone(), s.name)
            .map_err(in_store(dir))?;
        a.write_ndbuffer(&Selection::all(), &s.data)
            .map_err(in_store(dir))?;
        let w = t.elapsed();
        let t = Instant::now();
        let b = Array::open(store.clone(), s.name).map_err(in_store(dir))?;
        let back = b.read_ndbuffer(&Selection::all()).map_err(in_store(dir))?;
        let r = t.elapsed();
        if back != s.data {
            return Err(format!(
                "{}: {}: the data read back differs from what was written",
                dir.display(),
                s.name
            ));
        }
        let stored = b.stored_size().map_err(in_store(dir))?;
        println!(
            "  {:<12} {:<8} {:<18} {:<14} {:>10} {:>10} {:>6.1}x {:>12} {:>12}",
            s.name,
            b.data_type().name(),
            shape_text(b.shape()),
            shape_text(b.chunk_shape()),
            human_bytes(bytes),
            human_bytes(stored),
            bytes as f64 / stored.max(1) as f64,
            throughput(bytes, w),
            throughput(bytes, r),
        );
        println!(
            "  {:<12} {} — codecs: {}",
            "",
            s.about,
            b.metadata()
                .codecs
                .iter()
                .map(codec_text)
                .collect::<Vec<_>>()
                .join(" -> ")
        );
        total += bytes;
        total_w += w;
        total_r += r;
    }
    println!(
        "\nAll {} arrays read back identical: {} written at {}, read at {}.",
        specs.len(),
        human_bytes(total),
        throughput(total, total_w),
        throughput(total, total_r)
    );
    let d = dir.display();
    println!("\nNext, try:");
    println!("  zarr info {d}                        # the root group and its members");
    println!("  zarr tree {d}                        # the hierarchy: names, shapes, data types");
    println!("  zarr info {d} --path temperature     # one array: shape, chunks, codecs, size");
    println!("  zarr export {d} --path temperature --select 0,:,: -o t0.npy");
    println!("  zarr import t0.npy {d} --path t0 --compressor blosc:zstd:5:bitshuffle");
    println!(
        "  zarr copy {d} copy.zarr --path temperature --compressor zstd:3   # re-encode a copy"
    );
    println!("(from the repository: cargo run --release -p zarr-cli -- info {d})");
    Ok(())
}
