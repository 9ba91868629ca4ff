//! Shared helpers: errors, stores, sizes, argument parsing.

use serde_json::{json, Map, Value};
use std::path::Path;
use std::time::Duration;
use zarr::metadata::CodecMetadata;
use zarr::store::{LocalStore, StoreRef};

/// Errors are one-line messages naming the file or key and the problem.
pub type Result<T> = std::result::Result<T, String>;

/// Collapse a message onto one line.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Prefix an error with the store it concerns.
pub fn in_store<E: std::fmt::Display>(store: &Path) -> impl Fn(E) -> String + '_ {
    move |e| format!("{}: {e}", store.display())
}

/// True when a STORE argument is a URL (`scheme://...`) or names a zip
/// archive (`.zip`), rather than a plain folder.
fn is_url_or_zip(s: &str) -> bool {
    let scheme_like = s.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    scheme_like
        || Path::new(s)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}

/// Open the store a STORE argument names: a folder, `file://PATH`,
/// `memory://`, `zip://PATH` or `PATH.zip` (see [`zarr::store::open_store`]).
/// Read-only stores must exist; writable ones are created. Call
/// `close()` on a store after writing to it (a zip archive is committed
/// then).
pub fn open_store(path: &Path, read_only: bool) -> Result<StoreRef> {
    if let Some(url) = path.to_str().filter(|s| is_url_or_zip(s)) {
        let local = url.strip_prefix("zip://").unwrap_or(url);
        let local = local.strip_prefix("file://").unwrap_or(local);
        let is_zip = url.starts_with("zip://")
            || Path::new(local)
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
        if is_zip {
            let p = Path::new(local);
            if read_only && !p.exists() {
                return Err(format!("{url}: no such store (zip archive not found)"));
            }
            if p.is_dir() {
                return Err(format!("{url}: not a zip archive (a folder)"));
            }
        }
        if url.starts_with("file://") && !is_zip {
            return open_store(Path::new(local), read_only);
        }
        return zarr::store::open_store(url, read_only).map_err(|e| format!("{url}: {e}"));
    }
    if read_only {
        if !path.exists() {
            return Err(format!(
                "{}: no such store (folder not found)",
                path.display()
            ));
        }
        if !path.is_dir() {
            return Err(format!(
                "{}: not a store (a folder is expected)",
                path.display()
            ));
        }
    } else if path.exists() && !path.is_dir() {
        return Err(format!(
            "{}: not a store (a folder is expected)",
            path.display()
        ));
    }
    let store = LocalStore::new(path, read_only).map_err(in_store(path))?;
    Ok(std::sync::Arc::new(store))
}

/// True when two opened stores are one storage (the same folder, archive
/// or bucket prefix, however the arguments spelt it).
pub fn same_storage(a: &StoreRef, b: &StoreRef) -> bool {
    matches!((a.location(), b.location()), (Some(x), Some(y)) if x == y)
}

pub use zarr::node_path::{join, node_key, v2_key};

/// `12.3 MiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    format!("{v:.1} {}", UNITS[u])
}

/// `512.3 MB/s` (decimal megabytes).
pub fn throughput(bytes: u64, d: Duration) -> String {
    let s = d.as_secs_f64().max(1e-9);
    let mbs = bytes as f64 / 1e6 / s;
    if mbs >= 1000.0 {
        format!("{:.2} GB/s", mbs / 1000.0)
    } else {
        format!("{mbs:.1} MB/s")
    }
}

/// `0.123 s` or `12.3 ms`.
pub fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1.0 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{s:.2} s")
    }
}

/// `64x64x64`, or `scalar` for 0-d.
pub fn shape_text<T: std::fmt::Display>(shape: &[T]) -> String {
    if shape.is_empty() {
        "() (0-d)".into()
    } else {
        shape
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(" x ")
    }
}

/// `zstd(level=0, checksum=false)`.
pub fn codec_text(c: &CodecMetadata) -> String {
    match &c.configuration {
        Some(cfg) if !cfg.is_empty() => format!(
            "{}({})",
            c.name,
            cfg.iter()
                .map(|(k, v)| match v {
                    Value::String(s) => format!("{k}={s}"),
                    v => format!("{k}={v}"),
                })
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => c.name.clone(),
    }
}

/// Parse `--compressor`: `None` means zarr-python's default (zstd level 0);
/// an empty list means no compression.
pub fn parse_compressor(s: &str) -> Result<Vec<CodecMetadata>> {
    let bad = |why: String| format!("invalid --compressor {s:?}: {why}");
    let parts: Vec<&str> = s.split(':').collect();
    let level = |i: usize, name: &str, default: i64| -> Result<i64> {
        match parts.get(i) {
            None => Ok(default),
            Some(t) => t
                .parse::<i64>()
                .map_err(|_| bad(format!("{name} must be an integer, not {t:?}"))),
        }
    };
    let cfg = |v: Value| -> Option<Map<String, Value>> {
        match v {
            Value::Object(m) => Some(m),
            _ => None,
        }
    };
    match parts[0] {
        "none" if parts.len() == 1 => Ok(Vec::new()),
        "zstd" if parts.len() <= 2 => {
            let l = level(1, "the zstd level", 0)?;
            if !(-131072..=22).contains(&l) {
                return Err(bad(format!("zstd level must be in -131072..=22, got {l}")));
            }
            Ok(vec![CodecMetadata::new(
                "zstd",
                cfg(json!({"level": l, "checksum": false})),
            )])
        }
        "gzip" if parts.len() <= 2 => {
            let l = level(1, "the gzip level", 5)?;
            if !(0..=9).contains(&l) {
                return Err(bad(format!("gzip level must be in 0..=9, got {l}")));
            }
            Ok(vec![CodecMetadata::new("gzip", cfg(json!({"level": l})))])
        }
        "blosc" if parts.len() <= 4 => {
            const CNAMES: [&str; 6] = ["blosclz", "lz4", "lz4hc", "snappy", "zlib", "zstd"];
            let cname = parts.get(1).copied().unwrap_or("zstd");
            if !CNAMES.contains(&cname) {
                return Err(bad(format!("blosc cname must be one of {CNAMES:?}")));
            }
            let clevel = level(2, "the blosc clevel", 5)?;
            if !(0..=9).contains(&clevel) {
                return Err(bad(format!("blosc clevel must be in 0..=9, got {clevel}")));
            }
            let mut c = json!({"cname": cname, "clevel": clevel, "blocksize": 0});
            if let Some(sh) = parts.get(3) {
                if !["noshuffle", "shuffle", "bitshuffle"].contains(sh) {
                    return Err(bad(
                        "blosc shuffle must be noshuffle, shuffle or bitshuffle".into(),
                    ));
                }
                c["shuffle"] = json!(sh);
            }
            Ok(vec![CodecMetadata::new("blosc", cfg(c))])
        }
        _ => Err(bad(
            "expected zstd[:LEVEL], gzip[:LEVEL], blosc[:CNAME[:CLEVEL[:SHUFFLE]]] or none".into(),
        )),
    }
}

/// Parse `--compressor` for a V2 array: a numcodecs configuration, or
/// `None` for `none`.
pub fn parse_compressor_v2(s: &str) -> Result<Option<Map<String, Value>>> {
    let bad = |why: String| format!("invalid --compressor {s:?}: {why}");
    let parts: Vec<&str> = s.split(':').collect();
    let int = |i: usize, name: &str, default: i64, range: std::ops::RangeInclusive<i64>| {
        let v = match parts.get(i) {
            None => default,
            Some(t) => t
                .parse::<i64>()
                .map_err(|_| bad(format!("{name} must be an integer, not {t:?}")))?,
        };
        if !range.contains(&v) {
            return Err(bad(format!(
                "{name} must be in {}..={}, got {v}",
                range.start(),
                range.end()
            )));
        }
        Ok(v)
    };
    let obj = |v: Value| match v {
        Value::Object(m) => Some(m),
        _ => None,
    };
    let id = parts[0];
    match id {
        "none" if parts.len() == 1 => Ok(None),
        "zlib" | "gzip" if parts.len() <= 2 => {
            let l = int(1, "the level", if id == "zlib" { 1 } else { 5 }, 0..=9)?;
            Ok(obj(json!({"id": id, "level": l})))
        }
        "zstd" if parts.len() <= 2 => {
            let l = int(1, "the zstd level", 0, -131072..=22)?;
            Ok(obj(json!({"id": "zstd", "level": l})))
        }
        "lz4" if parts.len() <= 2 => {
            let a = int(1, "the lz4 acceleration", 1, 1..=65537)?;
            Ok(obj(json!({"id": "lz4", "acceleration": a})))
        }
        "blosc" if parts.len() <= 4 => {
            const CNAMES: [&str; 6] = ["blosclz", "lz4", "lz4hc", "snappy", "zlib", "zstd"];
            let cname = parts.get(1).copied().unwrap_or("lz4");
            if !CNAMES.contains(&cname) {
                return Err(bad(format!("blosc cname must be one of {CNAMES:?}")));
            }
            let clevel = int(2, "the blosc clevel", 5, 0..=9)?;
            let shuffle = match parts.get(3).copied() {
                None | Some("shuffle") | Some("1") => 1,
                Some("noshuffle") | Some("0") => 0,
                Some("bitshuffle") | Some("2") => 2,
                Some("-1") | Some("auto") => -1,
                Some(o) => {
                    return Err(bad(format!(
                        "blosc shuffle must be -1, 0, 1, 2, noshuffle, shuffle or bitshuffle, not {o:?}"
                    )))
                }
            };
            Ok(obj(json!({"id": "blosc", "cname": cname, "clevel": clevel,
                          "shuffle": shuffle, "blocksize": 0})))
        }
        "bz2" if parts.len() <= 2 => {
            let l = int(1, "the bz2 level", 1, 1..=9)?;
            Ok(obj(json!({"id": "bz2", "level": l})))
        }
        "lzma" if parts.len() <= 2 => {
            let preset = match parts.get(1) {
                None => Value::Null,
                Some(_) => json!(int(1, "the lzma preset", 6, 0..=9)?),
            };
            Ok(obj(
                json!({"id": "lzma", "format": 1, "check": -1, "preset": preset, "filters": null}),
            ))
        }
        _ => Err(bad(
            "expected zlib[:LEVEL], gzip[:LEVEL], zstd[:LEVEL], bz2[:LEVEL], lzma[:PRESET], lz4[:ACCELERATION], blosc[:CNAME[:CLEVEL[:SHUFFLE]]] or none".into(),
        )),
    }
}

/// Parse `--chunks`: `None` for `auto`.
pub fn parse_chunks(s: &str, ndim: usize) -> Result<Option<Vec<u64>>> {
    if s.trim() == "auto" {
        return Ok(None);
    }
    parse_shape("--chunks", s, ndim).map(Some)
}

/// Parse a shape option (`a,b,c` of positive integers, one per dimension).
pub fn parse_shape(option: &str, s: &str, ndim: usize) -> Result<Vec<u64>> {
    let t = s.trim();
    let chunks: Vec<u64> = if t.is_empty() {
        Vec::new()
    } else {
        t.split(',')
            .map(|p| {
                p.trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| {
                        format!("invalid {option} {s:?}: {p:?} is not a positive integer")
                    })
            })
            .collect::<Result<_>>()?
    };
    if chunks.len() != ndim {
        return Err(format!(
            "invalid {option} {s:?}: {} sizes given but the array has {ndim} dimensions",
            chunks.len()
        ));
    }
    Ok(chunks)
}

/// Parse `--dimension-names x,y,z`: one name per dimension, an empty
/// name for none.
pub fn parse_dimension_names(s: &str, ndim: usize) -> Result<Vec<Option<String>>> {
    let names: Vec<Option<String>> = if s.is_empty() && ndim == 0 {
        Vec::new()
    } else {
        s.split(',')
            .map(|n| {
                let n = n.trim();
                (!n.is_empty()).then(|| n.to_string())
            })
            .collect()
    };
    if names.len() != ndim {
        return Err(format!(
            "invalid --dimension-names {s:?}: {} names given but the array has {ndim} dimensions",
            names.len()
        ));
    }
    Ok(names)
}

/// Parse `--fill-value`: JSON as in zarr.json; text that is not JSON is a
/// string. Bare `NaN` / `Infinity` / `-Infinity` (also inside a complex
/// pair) become the strings zarr.json uses for them.
pub fn parse_fill_value(s: &str) -> Value {
    fn spec_form(v: Value) -> Value {
        match v {
            Value::Array(parts) => Value::Array(parts.into_iter().map(spec_form).collect()),
            Value::String(s) => match zarr::metadata::json::as_f64(&Value::String(s.clone())) {
                Some(x) if x.is_nan() => Value::String("NaN".into()),
                Some(x) if x > 0.0 => Value::String("Infinity".into()),
                Some(_) => Value::String("-Infinity".into()),
                None => Value::String(s),
            },
            other => other,
        }
    }
    zarr::metadata::json::parse_str(s)
        .map(spec_form)
        .unwrap_or_else(|_| Value::String(s.to_string()))
}

/// Parse `--attrs`: a JSON object.
pub fn parse_attrs(s: &str) -> Result<Map<String, Value>> {
    match zarr::metadata::json::parse_str(s) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(format!("invalid --attrs {s:?}: expected a JSON object")),
        Err(e) => Err(format!("invalid --attrs {s:?}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compressors() {
        assert!(parse_compressor("none").unwrap().is_empty());
        let z = &parse_compressor("zstd:3").unwrap()[0];
        assert_eq!(z.get("level"), Some(&json!(3)));
        let g = &parse_compressor("gzip").unwrap()[0];
        assert_eq!(g.get("level"), Some(&json!(5)));
        let b = &parse_compressor("blosc:lz4:7:bitshuffle").unwrap()[0];
        assert_eq!(b.get("cname"), Some(&json!("lz4")));
        assert_eq!(b.get("clevel"), Some(&json!(7)));
        assert_eq!(b.get("shuffle"), Some(&json!("bitshuffle")));
        for bad in [
            "lzma",
            "zstd:x",
            "gzip:10",
            "blosc:foo",
            "blosc:lz4:5:byte",
            "none:1",
        ] {
            assert!(parse_compressor(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn chunks_and_values() {
        assert_eq!(parse_chunks("auto", 3).unwrap(), None);
        assert_eq!(parse_chunks("4, 5", 2).unwrap(), Some(vec![4, 5]));
        assert!(parse_chunks("4,0", 2).is_err());
        assert!(parse_chunks("4", 2).is_err());
        assert_eq!(parse_chunks("", 0).unwrap(), Some(vec![]));
        assert_eq!(parse_fill_value("1.5"), json!(1.5));
        assert_eq!(parse_fill_value("-Infinity"), json!("-Infinity"));
        assert_eq!(parse_fill_value("NaN"), json!("NaN"));
        assert_eq!(
            parse_fill_value("[NaN, Infinity]"),
            json!(["NaN", "Infinity"])
        );
        assert_eq!(parse_fill_value("\"NaN\""), json!("NaN"));
        assert_eq!(parse_fill_value("[1.0, -2]"), json!([1.0, -2]));
        assert!(parse_attrs("[1]").is_err());
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(one_line("a\n  b"), "a b");
    }
}
