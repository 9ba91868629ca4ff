//! Benchmark peer built on the `zarrs` crate.
//!
//! ```text
//! zarrs-peer write INPUT.npy STORE --chunks 64,64,64 [--shards S0,S1,S2] [--zstd-level 0]
//! zarrs-peer read  STORE OUTPUT.npy
//! zarrs-peer boxes STORE BOXES.txt SIZE OUTPUT.npy
//! ```
//!
//! `write` reads a little-endian, C-order `.npy` file, creates a Zarr V3 array
//! at the root of the filesystem store STORE (regular chunks, `bytes` codec
//! little-endian, `zstd` without checksum) and writes the whole array in one
//! call. `read` opens the array at the root of STORE, reads all of it into
//! memory and writes it as a `.npy` (format 1.0) file. With `--shards`, the
//! array is sharded (`sharding_indexed`, shard shape S, inner chunks of the
//! `--chunks` shape, `bytes` + `zstd` inside, index `bytes` + `crc32c` at the
//! end, as zarr-python writes it). `boxes` reads boxes of SIZE on every axis
//! at the starts listed in BOXES.txt (`z,y,x` per line), one
//! `retrieve_array_subset` call each, stacks them into OUTPUT.npy (shape
//! (N, SIZE, SIZE, SIZE)) and prints `inner_s: SECONDS` (opening the array and
//! reading the boxes).
//!
//! The `.npy` handling is written here on purpose so that the peer does the
//! same work as the other tools of the benchmark.

use std::error::Error;
use std::fs;
use std::io::Write;
use std::sync::Arc;

use zarrs::array::codec::ZstdCodec;
use zarrs::array::{data_type, Array, ArrayBuilder, ArrayBytes, DataType, FillValue};
use zarrs::filesystem::FilesystemStore;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// (numpy descr, zarrs data type, element size in bytes)
fn dtype_table() -> Vec<(&'static str, DataType, usize)> {
    vec![
        ("|b1", data_type::bool(), 1),
        ("|i1", data_type::int8(), 1),
        ("<i2", data_type::int16(), 2),
        ("<i4", data_type::int32(), 4),
        ("<i8", data_type::int64(), 8),
        ("|u1", data_type::uint8(), 1),
        ("<u2", data_type::uint16(), 2),
        ("<u4", data_type::uint32(), 4),
        ("<u8", data_type::uint64(), 8),
        ("<f2", data_type::float16(), 2),
        ("<f4", data_type::float32(), 4),
        ("<f8", data_type::float64(), 8),
        ("<c8", data_type::complex64(), 8),
        ("<c16", data_type::complex128(), 16),
    ]
}

struct Npy {
    descr: String,
    shape: Vec<u64>,
    data: Vec<u8>,
}

/// Extract the value of `'key':` from a numpy header dict (simple parser).
fn header_value<'a>(header: &'a str, key: &str) -> Result<&'a str> {
    let pat = format!("'{key}':");
    let start = header
        .find(&pat)
        .ok_or_else(|| format!("npy header lacks {key}: {header}"))?
        + pat.len();
    Ok(header[start..].trim_start())
}

fn read_npy(path: &str) -> Result<Npy> {
    let mut bytes = fs::read(path)?;
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(format!("{path}: not an .npy file").into());
    }
    let major = bytes[6];
    let (header_len, header_start) = match major {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        v => return Err(format!("{path}: unsupported .npy version {v}").into()),
    };
    let data_start = header_start + header_len;
    let header = std::str::from_utf8(&bytes[header_start..data_start])?.to_string();

    let descr_v = header_value(&header, "descr")?;
    let descr = descr_v
        .strip_prefix('\'')
        .and_then(|s| s.split('\'').next())
        .ok_or("bad descr")?
        .to_string();
    let fortran = header_value(&header, "fortran_order")?;
    if !fortran.starts_with("False") {
        return Err("fortran_order .npy files are not supported".into());
    }
    let shape_v = header_value(&header, "shape")?;
    let shape_s = shape_v
        .strip_prefix('(')
        .and_then(|s| s.split(')').next())
        .ok_or("bad shape")?;
    let shape = shape_s
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::parse::<u64>)
        .collect::<std::result::Result<Vec<_>, _>>()?;

    let data = bytes.split_off(data_start);
    Ok(Npy { descr, shape, data })
}

fn write_npy(path: &str, descr: &str, shape: &[u64], data: &[u8]) -> Result<()> {
    let shape_s = match shape.len() {
        0 => "()".to_string(),
        1 => format!("({},)", shape[0]),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut header =
        format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_s}, }}");
    // Pad so that magic (6) + version (2) + len (2) + header + '\n' is a multiple of 64.
    let total = 10 + header.len() + 1;
    let pad = (64 - total % 64) % 64;
    header.push_str(&" ".repeat(pad));
    header.push('\n');
    let mut f = std::io::BufWriter::with_capacity(1 << 20, fs::File::create(path)?);
    f.write_all(b"\x93NUMPY\x01\x00")?;
    f.write_all(&u16::try_from(header.len())?.to_le_bytes())?;
    f.write_all(header.as_bytes())?;
    f.write_all(data)?;
    f.flush()?;
    Ok(())
}

fn cmd_write(
    input: &str,
    store_path: &str,
    chunks: Vec<u64>,
    shards: Option<Vec<u64>>,
    zstd_level: i32,
) -> Result<()> {
    let npy = read_npy(input)?;
    let (_, dt, size) = dtype_table()
        .into_iter()
        .find(|(d, _, _)| *d == npy.descr)
        .ok_or_else(|| format!("unsupported .npy dtype {}", npy.descr))?;
    if chunks.len() != npy.shape.len() {
        return Err("--chunks must have one entry per dimension".into());
    }
    let store = Arc::new(FilesystemStore::new(store_path)?);
    let mut builder = ArrayBuilder::new(
        npy.shape.clone(),
        shards.clone().unwrap_or_else(|| chunks.clone()),
        dt,
        FillValue::from(vec![0u8; size]),
    );
    builder.bytes_to_bytes_codecs(vec![Arc::new(ZstdCodec::new(zstd_level, false))]);
    if shards.is_some() {
        builder.subchunk_shape(chunks);
    }
    let array = builder.build(store, "/")?;
    array.store_metadata()?;
    let subset = array.subset_all();
    array.store_array_subset(&subset, ArrayBytes::new_flen(npy.data))?;
    Ok(())
}

fn cmd_read(store_path: &str, output: &str) -> Result<()> {
    let store = Arc::new(FilesystemStore::new(store_path)?);
    let array = Array::open(store, "/")?;
    let descr = dtype_table()
        .into_iter()
        .find(|(_, dt, _)| dt == array.data_type())
        .map(|(d, _, _)| d)
        .ok_or("unsupported data type")?;
    let subset = array.subset_all();
    let bytes: ArrayBytes<'static> = array.retrieve_array_subset(&subset)?;
    let data = bytes.into_fixed()?;
    write_npy(output, descr, array.shape(), &data)
}

fn cmd_boxes(store_path: &str, boxes: &str, size: u64, output: &str) -> Result<()> {
    let boxes: Vec<Vec<u64>> = fs::read_to_string(boxes)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').map(|v| v.trim().parse::<u64>()).collect())
        .collect::<std::result::Result<_, _>>()?;
    let t = std::time::Instant::now();
    let store = Arc::new(FilesystemStore::new(store_path)?);
    let array = Array::open(store, "/")?;
    let descr = dtype_table()
        .into_iter()
        .find(|(_, dt, _)| dt == array.data_type())
        .map(|(d, _, _)| d)
        .ok_or("unsupported data type")?;
    let mut data = Vec::new();
    for b in &boxes {
        let ranges: Vec<std::ops::Range<u64>> = b.iter().map(|&s| s..s + size).collect();
        let bytes: ArrayBytes<'static> = array.retrieve_array_subset(&ranges)?;
        data.extend_from_slice(&bytes.into_fixed()?);
    }
    let inner = t.elapsed().as_secs_f64();
    let mut shape = vec![boxes.len() as u64];
    shape.extend(std::iter::repeat(size).take(array.shape().len()));
    write_npy(output, descr, &shape, &data)?;
    println!("inner_s: {inner:.6}");
    Ok(())
}

fn usage() -> ! {
    eprintln!(
        "usage:\n  zarrs-peer write INPUT.npy STORE --chunks C0,C1,.. [--shards S0,S1,..] [--zstd-level N]\n  zarrs-peer read STORE OUTPUT.npy\n  zarrs-peer boxes STORE BOXES.txt SIZE OUTPUT.npy"
    );
    std::process::exit(2)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("write") if args.len() >= 3 => {
            let mut chunks = None;
            let mut shards = None;
            let mut level = 0;
            let mut rest = args[3..].iter();
            while let Some(a) = rest.next() {
                match a.as_str() {
                    "--chunks" => {
                        let v = rest.next().unwrap_or_else(|| usage());
                        chunks = Some(
                            v.split(',')
                                .map(str::parse::<u64>)
                                .collect::<std::result::Result<Vec<_>, _>>()?,
                        );
                    }
                    "--shards" => {
                        let v = rest.next().unwrap_or_else(|| usage());
                        shards = Some(
                            v.split(',')
                                .map(str::parse::<u64>)
                                .collect::<std::result::Result<Vec<_>, _>>()?,
                        );
                    }
                    "--zstd-level" => {
                        level = rest.next().unwrap_or_else(|| usage()).parse()?;
                    }
                    _ => usage(),
                }
            }
            let chunks = chunks.unwrap_or_else(|| usage());
            cmd_write(&args[1], &args[2], chunks, shards, level)
        }
        Some("read") if args.len() == 3 => cmd_read(&args[1], &args[2]),
        Some("boxes") if args.len() == 5 => {
            cmd_boxes(&args[1], &args[2], args[3].parse()?, &args[4])
        }
        _ => usage(),
    }
}
