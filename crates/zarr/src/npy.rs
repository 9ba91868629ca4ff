//! Reading and writing numpy `.npy` files as [`NDBuffer`]s.
//!
//! Supports format versions 1.0, 2.0 and 3.0, every fixed-size numeric type
//! (`|b1`, `|i1`, `|u1`, `<i2` ... `<u8`, `<f2`, `<f4`, `<f8`, `<c8`,
//! `<c16`, and their big-endian `>` forms, which are byte-swapped into native
//! order on reading), fixed-width unicode strings `<U{n}` (read as the
//! `string` data type, trailing NULs stripped, as numpy does) and fixed-width
//! byte strings `|S{n}` (read as `variable_length_bytes`, trailing NULs
//! stripped), void `|V{n}` (read as `raw_bytes`) and structured dtypes (a
//! list of `(name, type)` pairs, read as a `struct` whose fields keep their
//! declared byte orders; padded layouts, titles and subarray fields are
//! refused). Object arrays (`|O`, pickled) are refused with a clear error.
//!
//! A file with `fortran_order: True` is read into an [`NDBuffer`] with
//! [`Order::F`] (its bytes are kept in file order, no copy); writing an
//! `Order::F` buffer writes `fortran_order: True`. Strings are written as
//! `<U{n}` and bytes as `|S{n}`, with `n` the longest element (at least 1);
//! trailing NUL characters of elements do not survive a round trip, exactly
//! as in numpy.
//!
//! Reading is safe on any input: the header is capped at
//! [`MAX_HEADER_LEN`] bytes, shape products are overflow-checked, and the data
//! size a header announces is checked against the file's length before
//! anything is allocated.
//!
//! ```
//! use zarr::buffer::NDBuffer;
//! let a = NDBuffer::from_vec(&[2, 3], vec![1i16, 2, 3, 4, 5, 6]).unwrap();
//! let mut bytes = Vec::new();
//! zarr::npy::write_npy_to(&mut bytes, &a).unwrap();
//! assert_eq!(&bytes[..6], b"\x93NUMPY");
//! let b = zarr::npy::read_npy_from(&bytes[..]).unwrap();
//! assert_eq!(a, b);
//! ```

use crate::buffer::{NDBuffer, NDData, Order};
use crate::codec::Endian;
use crate::dtype::{DataType, StructType};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

/// The largest header accepted when reading (1 MiB).
pub const MAX_HEADER_LEN: usize = 1 << 20;

/// The most elements accepted for zero-width string types (`<U0`, `|S0`),
/// whose element count is not bounded by the file's size.
const MAX_ZERO_WIDTH_ELEMENTS: u64 = 1 << 24;

const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// The name used in errors for readers and writers that are not files.
const STREAM: &str = "<stream>";

/// An error reading or writing a `.npy` file. Every variant names the file
/// (or `<stream>` for readers and writers).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NpyError {
    /// Reading or writing failed.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The input does not start with the `.npy` magic string.
    #[error("{file}: not a .npy file (bad magic string)")]
    NotNpy {
        /// The file.
        file: String,
    },
    /// The format version is not 1.0, 2.0 or 3.0.
    #[error("{file}: unsupported .npy format version {major}.{minor}")]
    UnsupportedVersion {
        /// The file.
        file: String,
        /// Major version.
        major: u8,
        /// Minor version.
        minor: u8,
    },
    /// The header is malformed or too large.
    #[error("{file}: invalid .npy header: {reason}")]
    Header {
        /// The file.
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// The data type (`descr`) is not supported.
    #[error("{file}: unsupported .npy data type {descr:?}: {reason}")]
    UnsupportedDType {
        /// The file.
        file: String,
        /// The `descr` as written.
        descr: String,
        /// Why it is not supported.
        reason: String,
    },
    /// The file holds fewer data bytes than its header announces.
    #[error(
        "{file}: truncated data: the header announces {expected} bytes but only {found} follow"
    )]
    Truncated {
        /// The file.
        file: String,
        /// Bytes announced.
        expected: u64,
        /// Bytes present.
        found: u64,
    },
    /// The array is too large to read or write.
    #[error("{file}: array too large: {reason}")]
    TooLarge {
        /// The file.
        file: String,
        /// Details.
        reason: String,
    },
    /// The elements are invalid (a unicode string that is not valid UCS-4...).
    #[error("{file}: invalid data: {reason}")]
    InvalidData {
        /// The file.
        file: String,
        /// Details.
        reason: String,
    },
}

/// Read a `.npy` file.
pub fn read_npy(path: impl AsRef<Path>) -> Result<NDBuffer, NpyError> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let io = |source| NpyError::Io {
        file: name.clone(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    read_npy_impl(BufReader::new(file), &name, Some(len))
}

/// Read a `.npy` file from a reader (the size check happens as data
/// arrives: memory grows only with the bytes actually read).
pub fn read_npy_from(reader: impl Read) -> Result<NDBuffer, NpyError> {
    read_npy_impl(reader, STREAM, None)
}

/// Write a `.npy` file (version 1.0, or 2.0 when the header needs it). The
/// file is created or truncated (and not synced to disk, as `numpy.save`).
pub fn write_npy(path: impl AsRef<Path>, array: &NDBuffer) -> Result<(), NpyError> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let io = |source| NpyError::Io {
        file: name.clone(),
        source,
    };
    let file = std::fs::File::create(path).map_err(io)?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    write_npy_impl(&mut w, array, &name)?;
    w.flush().map_err(io)
}

/// Write a `.npy` file to a writer.
pub fn write_npy_to(mut writer: impl Write, array: &NDBuffer) -> Result<(), NpyError> {
    write_npy_impl(&mut writer, array, STREAM)?;
    writer.flush().map_err(|source| NpyError::Io {
        file: STREAM.into(),
        source,
    })
}

// ---------------------------------------------------------------------------
// descr

/// An element type of a `.npy` file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NpyType {
    /// A fixed-size numeric type; `big` when stored big-endian.
    Fixed { data_type: DataType, big: bool },
    /// `<U{n}`: `n` UCS-4 code units.
    Unicode { chars: usize, big: bool },
    /// `|S{n}`: `n` bytes.
    Bytes { len: usize },
}

impl NpyType {
    fn item_size(&self) -> Option<usize> {
        match *self {
            NpyType::Fixed { data_type, .. } => data_type.size(),
            NpyType::Unicode { chars, .. } => chars.checked_mul(4),
            NpyType::Bytes { len } => Some(len),
        }
    }
}

fn parse_descr(descr: &str, file: &str) -> Result<NpyType, NpyError> {
    let unsupported = |reason: &str| NpyError::UnsupportedDType {
        file: file.to_string(),
        descr: descr.to_string(),
        reason: reason.to_string(),
    };
    let mut chars = descr.chars();
    let (order, rest) = match chars.next() {
        Some(c @ ('<' | '>' | '|' | '=')) => (c, chars.as_str()),
        _ => ('=', descr),
    };
    let native_big = cfg!(target_endian = "big");
    let big = match order {
        '>' => true,
        '<' => false,
        _ => native_big,
    };
    if let Some(t) = crate::dtype::TimeType::from_numpy_code(rest) {
        return Ok(NpyType::Fixed {
            data_type: DataType::Time(t),
            big,
        });
    }
    let mut rc = rest.chars();
    let kind = rc.next().ok_or_else(|| unsupported("empty type string"))?;
    let digits = rc.as_str();
    let size: Option<usize> = if digits.is_empty() {
        None
    } else if digits.bytes().all(|b| b.is_ascii_digit()) {
        Some(
            digits
                .parse()
                .map_err(|_| unsupported("item size out of range"))?,
        )
    } else {
        return Err(unsupported("not a simple numpy type string"));
    };
    let fixed = |dt: DataType| Ok(NpyType::Fixed { data_type: dt, big });
    match (kind, size) {
        ('b', Some(1)) | ('?', None) => fixed(DataType::Bool),
        ('i', Some(1)) => fixed(DataType::Int8),
        ('i', Some(2)) => fixed(DataType::Int16),
        ('i', Some(4)) => fixed(DataType::Int32),
        ('i', Some(8)) => fixed(DataType::Int64),
        ('u', Some(1)) => fixed(DataType::UInt8),
        ('u', Some(2)) => fixed(DataType::UInt16),
        ('u', Some(4)) => fixed(DataType::UInt32),
        ('u', Some(8)) => fixed(DataType::UInt64),
        ('f', Some(2)) => fixed(DataType::Float16),
        ('f', Some(4)) => fixed(DataType::Float32),
        ('f', Some(8)) => fixed(DataType::Float64),
        ('c', Some(8)) => fixed(DataType::Complex64),
        ('c', Some(16)) => fixed(DataType::Complex128),
        ('U', Some(n)) => Ok(NpyType::Unicode { chars: n, big }),
        ('S' | 'a', Some(n)) => Ok(NpyType::Bytes { len: n }),
        ('O', _) => Err(unsupported(
            "object arrays need pickle, which is not supported (save with a fixed-width dtype such as '<U' or '|S')",
        )),
        ('M' | 'm', _) => Err(unsupported("not a datetime64 / timedelta64 type string (such as '<M8[ns]')")),
        ('V', Some(n)) => u32::try_from(n)
            .ok()
            .filter(|&n| n > 0 && n as usize <= crate::dtype::MAX_ELEMENT_SIZE)
            .map(|n| NpyType::Fixed {
                data_type: DataType::RawBytes(n),
                big,
            })
            .ok_or_else(|| unsupported("void item size out of range")),
        ('V', None) => Err(unsupported("a void type needs an item size")),
        ('b' | 'i' | 'u' | 'f' | 'c', _) => Err(unsupported("unsupported item size")),
        _ => Err(unsupported("unknown type kind")),
    }
}

/// A structured `descr` (a list of `(name, type)` pairs) as a struct whose
/// fields keep their declared byte orders.
fn parse_struct_descr(items: &[Py], file: &str, depth: usize) -> Result<StructType, NpyError> {
    let unsupported = |reason: String| NpyError::UnsupportedDType {
        file: file.to_string(),
        descr: "[...]".into(),
        reason,
    };
    if depth > crate::dtype::MAX_DEPTH {
        return Err(unsupported("structured types nested too deep".into()));
    }
    let mut fields = Vec::with_capacity(items.len());
    for item in items {
        let (name, t) = match item {
            Py::Seq(pair) if pair.len() == 2 => (&pair[0], &pair[1]),
            Py::Seq(_) => {
                return Err(unsupported(
                    "subarray fields ((name, type, shape)) are not supported".into(),
                ))
            }
            other => {
                return Err(unsupported(format!(
                    "field {other:?} is not a (name, type) pair"
                )))
            }
        };
        let name = match name {
            Py::Str(n) if n.is_empty() => {
                return Err(unsupported(
                    "padded (aligned or offset) structured types are not supported; repack the fields first".into(),
                ))
            }
            Py::Str(n) => n.clone(),
            _ => return Err(unsupported("field titles are not supported".into())),
        };
        let (dt, endian) = match t {
            Py::Str(t) => match parse_descr(t, file)? {
                NpyType::Fixed { data_type, big } => {
                    let e = if big { Endian::Big } else { Endian::Little };
                    (data_type, Some(e))
                }
                NpyType::Unicode { chars, big } => {
                    let e = if big { Endian::Big } else { Endian::Little };
                    let n = u32::try_from(chars)
                        .map_err(|_| unsupported(format!("field {name:?} is too long")))?;
                    (DataType::FixedUtf32(n), Some(e))
                }
                NpyType::Bytes { len } => {
                    let n = u32::try_from(len)
                        .map_err(|_| unsupported(format!("field {name:?} is too long")))?;
                    (DataType::FixedBytes(n), None)
                }
            },
            Py::Seq(inner) => (
                DataType::Struct(parse_struct_descr(inner, file, depth + 1)?),
                None,
            ),
            other => {
                return Err(unsupported(format!(
                    "field {name:?} has type {other:?}, expected a type string or a list"
                )))
            }
        };
        fields.push((name, dt, endian));
    }
    StructType::new(fields).map_err(|e| unsupported(e.to_string()))
}

/// The `descr` literal of a struct: `[('a', '<i4'), ('b', '|u1')]`, each
/// field in its declared byte order (little where none is declared).
fn struct_descr(s: StructType, file: &str) -> Result<String, NpyError> {
    let mut parts = Vec::with_capacity(s.fields().len());
    for f in s.fields() {
        let name = f.name();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii() && c != '\'' && c != '\\') {
            return Err(NpyError::UnsupportedDType {
                file: file.to_string(),
                descr: format!("{}", DataType::Struct(s)),
                reason: format!(
                    "field name {name:?} must be non-empty ASCII without quotes or backslashes"
                ),
            });
        }
        let t = match f.data_type() {
            DataType::Struct(inner) => struct_descr(inner, file)?,
            d => format!(
                "'{}'",
                d.to_numpy_str(f.endian().unwrap_or(Endian::Little))
                    .unwrap_or_default()
            ),
        };
        parts.push(format!("('{name}', {t})"));
    }
    Ok(format!("[{}]", parts.join(", ")))
}

/// The `descr` literal of the header (quoted unless it is a list).
fn descr_for(array: &NDBuffer, file: &str) -> Result<String, NpyError> {
    let dt = array.data_type();
    if let DataType::Struct(s) = dt {
        return struct_descr(s, file);
    }
    if let Some(s) = dt.numpy_str() {
        return Ok(format!("'{s}'"));
    }
    if dt == DataType::BFloat16 {
        return Err(NpyError::UnsupportedDType {
            file: file.into(),
            descr: dt.name().into(),
            reason: "numpy has no bfloat16 type; convert it first (`zarr export --dtype float32`)"
                .into(),
        });
    }
    if matches!(
        dt,
        DataType::FixedBytes(_)
            | DataType::FixedUtf32(_)
            | DataType::Time(_)
            | DataType::RawBytes(_)
    ) {
        if let Some(s) = dt.to_numpy_str(Endian::native()) {
            return Ok(format!("'{s}'"));
        }
    }
    let NDData::Variable(v) = array.data() else {
        return Err(NpyError::InvalidData {
            file: STREAM.into(),
            reason: format!("{dt} buffer without variable-length data"),
        });
    };
    Ok(match dt {
        DataType::String => {
            let n = v
                .iter()
                .map(|e| String::from_utf8_lossy(e).chars().count())
                .max()
                .unwrap_or(0)
                .max(1);
            format!("'<U{n}'")
        }
        _ => {
            let n = v.iter().map(Vec::len).max().unwrap_or(0).max(1);
            format!("'|S{n}'")
        }
    })
}

// ---------------------------------------------------------------------------
// A tiny parser for the Python literal that is the header.

#[derive(Clone, Debug, PartialEq)]
enum Py {
    Str(String),
    Bool(bool),
    Int(u64),
    None,
    Seq(Vec<Py>),
    Dict(Vec<(Py, Py)>),
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn ws(&mut self) {
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.pos).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn err<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("{what} at byte {}", self.pos))
    }
    fn value(&mut self) -> Result<Py, String> {
        self.depth += 1;
        if self.depth > 32 {
            return self.err("nesting too deep");
        }
        let v = match self.peek() {
            Some(b'{') => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    if self.eat(b'}') {
                        break;
                    }
                    let k = self.value()?;
                    if !self.eat(b':') {
                        return self.err("expected ':'");
                    }
                    let v = self.value()?;
                    items.push((k, v));
                    if self.eat(b',') {
                        continue;
                    }
                    if self.eat(b'}') {
                        break;
                    }
                    return self.err("expected ',' or '}'");
                }
                Py::Dict(items)
            }
            Some(open @ (b'(' | b'[')) => {
                self.pos += 1;
                let close = if open == b'(' { b')' } else { b']' };
                let mut items = Vec::new();
                loop {
                    if self.eat(close) {
                        break;
                    }
                    items.push(self.value()?);
                    if self.eat(b',') {
                        continue;
                    }
                    if self.eat(close) {
                        break;
                    }
                    return self.err("expected ',' or a closing bracket");
                }
                Py::Seq(items)
            }
            Some(q @ (b'\'' | b'"')) => {
                self.pos += 1;
                let start = self.pos;
                while self.pos < self.s.len() && self.s[self.pos] != q {
                    if self.s[self.pos] == b'\\' {
                        return self.err("escapes in strings are not supported");
                    }
                    self.pos += 1;
                }
                if self.pos >= self.s.len() {
                    return self.err("unterminated string");
                }
                let text = String::from_utf8_lossy(&self.s[start..self.pos]).into_owned();
                self.pos += 1;
                Py::Str(text)
            }
            Some(c) if c.is_ascii_digit() => {
                let start = self.pos;
                while self.pos < self.s.len() && self.s[self.pos].is_ascii_digit() {
                    self.pos += 1;
                }
                // Python 2 long literals ("3L") appear in old files.
                let digits = std::str::from_utf8(&self.s[start..self.pos]).unwrap_or("");
                let n = digits
                    .parse::<u64>()
                    .map_err(|_| format!("integer {digits} out of range"))?;
                if self.s.get(self.pos) == Some(&b'L') {
                    self.pos += 1;
                }
                Py::Int(n)
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let start = self.pos;
                while self.pos < self.s.len() && self.s[self.pos].is_ascii_alphanumeric() {
                    self.pos += 1;
                }
                match &self.s[start..self.pos] {
                    b"True" => Py::Bool(true),
                    b"False" => Py::Bool(false),
                    b"None" => Py::None,
                    _ => {
                        self.pos = start;
                        return self.err("unexpected name");
                    }
                }
            }
            Some(b'-') => return self.err("negative numbers are not valid here"),
            Some(_) => return self.err("unexpected character"),
            None => return self.err("unexpected end"),
        };
        self.depth -= 1;
        Ok(v)
    }
}

struct Header {
    descr: NpyType,
    fortran: bool,
    shape: Vec<usize>,
}

fn parse_header(text: &[u8], file: &str) -> Result<Header, NpyError> {
    let herr = |reason: String| NpyError::Header {
        file: file.to_string(),
        reason,
    };
    let mut p = Parser {
        s: text,
        pos: 0,
        depth: 0,
    };
    let v = p.value().map_err(herr)?;
    p.ws();
    if p.pos != text.len() {
        return Err(herr(format!("trailing characters at byte {}", p.pos)));
    }
    let Py::Dict(items) = v else {
        return Err(herr("the header is not a dictionary".into()));
    };
    let get = |key: &str| {
        items
            .iter()
            .find(|(k, _)| *k == Py::Str(key.to_string()))
            .map(|(_, v)| v)
    };
    if items.len() != 3 {
        let keys: Vec<String> = items
            .iter()
            .map(|(k, _)| match k {
                Py::Str(s) => s.clone(),
                other => format!("{other:?}"),
            })
            .collect();
        return Err(herr(format!(
            "expected the keys 'descr', 'fortran_order' and 'shape', found {keys:?}"
        )));
    }
    let descr = match get("descr") {
        Some(Py::Str(s)) => parse_descr(s, file)?,
        Some(Py::Seq(items)) => NpyType::Fixed {
            data_type: DataType::Struct(parse_struct_descr(items, file, 0)?),
            big: false,
        },
        _ => return Err(herr("'descr' is missing or not a string".into())),
    };
    let fortran = match get("fortran_order") {
        Some(Py::Bool(b)) => *b,
        _ => return Err(herr("'fortran_order' is missing or not True/False".into())),
    };
    let shape = match get("shape") {
        Some(Py::Seq(dims)) => dims
            .iter()
            .map(|d| match d {
                Py::Int(n) => usize::try_from(*n)
                    .map_err(|_| herr(format!("dimension {n} does not fit in memory"))),
                other => Err(herr(format!("dimension {other:?} is not an integer"))),
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(herr("'shape' is missing or not a tuple".into())),
    };
    if shape.len() > 64 {
        return Err(herr(format!("{} dimensions (at most 64)", shape.len())));
    }
    Ok(Header {
        descr,
        fortran,
        shape,
    })
}

// ---------------------------------------------------------------------------
// reading

fn read_npy_impl(
    mut r: impl Read,
    file: &str,
    total_len: Option<u64>,
) -> Result<NDBuffer, NpyError> {
    let io = |source: std::io::Error| {
        if source.kind() == std::io::ErrorKind::UnexpectedEof {
            NpyError::Header {
                file: file.to_string(),
                reason: "the file ends inside the header".into(),
            }
        } else {
            NpyError::Io {
                file: file.to_string(),
                source,
            }
        }
    };
    let mut pre = [0u8; 8];
    // A short file is "not npy" when what is there does not match the magic.
    let mut got = 0;
    while got < 8 {
        match r.read(&mut pre[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io(e)),
        }
    }
    if pre[..got.min(6)] != MAGIC[..got.min(6)] || got < 6 {
        return Err(NpyError::NotNpy {
            file: file.to_string(),
        });
    }
    if got < 8 {
        return Err(io(std::io::ErrorKind::UnexpectedEof.into()));
    }
    let (major, minor) = (pre[6], pre[7]);
    let (header_len, prefix_len) = match (major, minor) {
        (1, 0) => {
            let mut b = [0u8; 2];
            r.read_exact(&mut b).map_err(io)?;
            (u16::from_le_bytes(b) as usize, 10usize)
        }
        (2, 0) | (3, 0) => {
            let mut b = [0u8; 4];
            r.read_exact(&mut b).map_err(io)?;
            let n = u32::from_le_bytes(b);
            if n as u64 > MAX_HEADER_LEN as u64 {
                return Err(NpyError::Header {
                    file: file.to_string(),
                    reason: format!("header of {n} bytes exceeds the limit of {MAX_HEADER_LEN}"),
                });
            }
            (n as usize, 12usize)
        }
        _ => {
            return Err(NpyError::UnsupportedVersion {
                file: file.to_string(),
                major,
                minor,
            })
        }
    };
    if let Some(total) = total_len {
        if (prefix_len + header_len) as u64 > total {
            return Err(NpyError::Header {
                file: file.to_string(),
                reason: format!(
                    "the header announces {header_len} bytes but the file has only {total}"
                ),
            });
        }
    }
    let mut raw = vec![0u8; header_len];
    r.read_exact(&mut raw).map_err(io)?;
    // Versions 1 and 2 are latin-1; 3 is UTF-8. The parser works on bytes and
    // only the descr must be ASCII, so latin-1 needs no decoding step.
    if major == 3 && std::str::from_utf8(&raw).is_err() {
        return Err(NpyError::Header {
            file: file.to_string(),
            reason: "a version 3.0 header must be UTF-8".into(),
        });
    }
    let header = parse_header(&raw, file)?;

    let count = header
        .shape
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
        .ok_or_else(|| NpyError::TooLarge {
            file: file.to_string(),
            reason: format!("the element count of shape {:?} overflows", header.shape),
        })?;
    let item = header.descr.item_size().ok_or_else(|| NpyError::TooLarge {
        file: file.to_string(),
        reason: "item size overflows".into(),
    })? as u64;
    let nbytes = count.checked_mul(item).ok_or_else(|| NpyError::TooLarge {
        file: file.to_string(),
        reason: format!("{count} elements of {item} bytes overflow"),
    })?;
    if item == 0 && count > MAX_ZERO_WIDTH_ELEMENTS {
        return Err(NpyError::TooLarge {
            file: file.to_string(),
            reason: format!("{count} zero-width elements (at most {MAX_ZERO_WIDTH_ELEMENTS})"),
        });
    }
    let nbytes_usize = usize::try_from(nbytes).map_err(|_| NpyError::TooLarge {
        file: file.to_string(),
        reason: format!("{nbytes} bytes do not fit in memory"),
    })?;
    let data_start = (prefix_len + header_len) as u64;
    if let Some(total) = total_len {
        let avail = total - data_start;
        if avail < nbytes {
            return Err(NpyError::Truncated {
                file: file.to_string(),
                expected: nbytes,
                found: avail,
            });
        }
    }
    let mut bytes = Vec::new();
    if total_len.is_some() {
        bytes
            .try_reserve_exact(nbytes_usize)
            .map_err(|e| NpyError::TooLarge {
                file: file.to_string(),
                reason: format!("cannot allocate {nbytes} bytes: {e}"),
            })?;
        crate::buffer::pages::advise_huge_pages(&bytes);
    }
    // Without a known length, the buffer grows only as bytes arrive.
    r.take(nbytes)
        .read_to_end(&mut bytes)
        .map_err(|source| NpyError::Io {
            file: file.to_string(),
            source,
        })?;
    if (bytes.len() as u64) < nbytes {
        return Err(NpyError::Truncated {
            file: file.to_string(),
            expected: nbytes,
            found: bytes.len() as u64,
        });
    }
    let order = if header.fortran && header.shape.len() >= 2 {
        Order::F
    } else {
        Order::C
    };
    let count = count as usize;
    let invalid = |reason: String| NpyError::InvalidData {
        file: file.to_string(),
        reason,
    };
    let (data_type, data) = match header.descr {
        NpyType::Fixed {
            data_type: DataType::Struct(s),
            ..
        } => {
            // Each field from its declared byte order to native.
            s.swap(&mut bytes, None);
            (DataType::Struct(s), NDData::Fixed(bytes))
        }
        NpyType::Fixed { data_type, big } => {
            let comp = data_type.component_size().unwrap_or(1);
            if big != cfg!(target_endian = "big") && comp > 1 {
                for c in bytes.chunks_exact_mut(comp) {
                    c.reverse();
                }
            }
            if data_type == DataType::Bool {
                // numpy reads any nonzero byte as True.
                for b in &mut bytes {
                    *b = (*b != 0) as u8;
                }
            }
            (data_type, NDData::Fixed(bytes))
        }
        NpyType::Unicode { chars, big } => {
            let mut out = Vec::with_capacity(count);
            if chars == 0 {
                out.resize(count, Vec::new());
            } else {
                for (i, el) in bytes.chunks_exact(chars * 4).enumerate() {
                    let mut s = String::new();
                    let mut units: Vec<u32> = el
                        .chunks_exact(4)
                        .map(|c| {
                            let a = [c[0], c[1], c[2], c[3]];
                            if big {
                                u32::from_be_bytes(a)
                            } else {
                                u32::from_le_bytes(a)
                            }
                        })
                        .collect();
                    while units.last() == Some(&0) {
                        units.pop();
                    }
                    for u in units {
                        let c = char::from_u32(u).ok_or_else(|| {
                            invalid(format!(
                                "element {i} holds {u:#x}, which is not a unicode scalar value"
                            ))
                        })?;
                        s.push(c);
                    }
                    out.push(s.into_bytes());
                }
            }
            (DataType::String, NDData::Variable(out))
        }
        NpyType::Bytes { len } => {
            let mut out = Vec::with_capacity(count);
            if len == 0 {
                out.resize(count, Vec::new());
            } else {
                for el in bytes.chunks_exact(len) {
                    let end = el.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
                    out.push(el[..end].to_vec());
                }
            }
            (DataType::Bytes, NDData::Variable(out))
        }
    };
    NDBuffer::from_parts(header.shape, data_type, order, data).map_err(invalid)
}

// ---------------------------------------------------------------------------
// writing

/// The full header (magic, version, length, dict, padding, newline).
fn build_header(descr: &str, fortran: bool, shape: &[usize]) -> Vec<u8> {
    let shape_text = match shape {
        [] => "()".to_string(),
        [n] => format!("({n},)"),
        dims => format!(
            "({})",
            dims.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let fortran_text = if fortran { "True" } else { "False" };
    let dict =
        format!("{{'descr': {descr}, 'fortran_order': {fortran_text}, 'shape': {shape_text}, }}");
    // Version 1.0 when the length fits in a u16, else 2.0.
    let mut out = Vec::new();
    for (major, prefix) in [(1u8, 10usize), (2u8, 12usize)] {
        let unpadded = prefix + dict.len() + 1;
        let total = unpadded.div_ceil(64) * 64;
        let header_len = total - prefix;
        if major == 1 && header_len > u16::MAX as usize {
            continue;
        }
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&[major, 0]);
        if major == 1 {
            out.extend_from_slice(&(header_len as u16).to_le_bytes());
        } else {
            out.extend_from_slice(&(header_len as u32).to_le_bytes());
        }
        out.extend_from_slice(dict.as_bytes());
        out.resize(total - 1, b' ');
        out.push(b'\n');
        break;
    }
    out
}

fn write_npy_impl(w: &mut impl Write, array: &NDBuffer, file: &str) -> Result<(), NpyError> {
    let io = |source| NpyError::Io {
        file: file.to_string(),
        source,
    };
    let descr = descr_for(array, file).map_err(|e| match e {
        NpyError::InvalidData { reason, .. } => NpyError::InvalidData {
            file: file.to_string(),
            reason,
        },
        e => e,
    })?;
    let fortran = array.order() == Order::F && array.shape().len() >= 2;
    w.write_all(&build_header(&descr, fortran, array.shape()))
        .map_err(io)?;
    match array.data() {
        NDData::Fixed(b) if matches!(array.data_type(), DataType::Struct(_)) => {
            if let DataType::Struct(s) = array.data_type() {
                let mut stored = b.clone();
                s.swap(&mut stored, None);
                w.write_all(&stored).map_err(io)?;
            }
        }
        NDData::Fixed(b) => {
            let comp = array.data_type().component_size().unwrap_or(1);
            if cfg!(target_endian = "big") && comp > 1 {
                let mut swapped = b.clone();
                for c in swapped.chunks_exact_mut(comp) {
                    c.reverse();
                }
                w.write_all(&swapped).map_err(io)?;
            } else {
                w.write_all(b).map_err(io)?;
            }
        }
        NDData::Variable(v) => {
            if array.data_type() == DataType::String {
                let n = v
                    .iter()
                    .map(|e| String::from_utf8_lossy(e).chars().count())
                    .max()
                    .unwrap_or(0)
                    .max(1);
                let mut el = Vec::with_capacity(n * 4);
                for e in v {
                    el.clear();
                    for c in String::from_utf8_lossy(e).chars() {
                        el.extend_from_slice(&(c as u32).to_le_bytes());
                    }
                    el.resize(n * 4, 0);
                    w.write_all(&el).map_err(io)?;
                }
            } else {
                let n = v.iter().map(Vec::len).max().unwrap_or(0).max(1);
                let zeros = vec![0u8; n];
                for e in v {
                    w.write_all(e).map_err(io)?;
                    w.write_all(&zeros[e.len()..]).map_err(io)?;
                }
            }
        }
        #[allow(unreachable_patterns)]
        _ => {
            return Err(NpyError::InvalidData {
                file: file.to_string(),
                reason: "unsupported buffer data".into(),
            })
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtype::FillValue;
    use proptest::prelude::*;

    fn round_trip(a: &NDBuffer) -> NDBuffer {
        let mut bytes = Vec::new();
        write_npy_to(&mut bytes, a).unwrap();
        assert!(bytes.len() >= 64);
        let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        assert_eq!((10 + header_len) % 64, 0, "header is padded to 64 bytes");
        read_npy_from(&bytes[..]).unwrap()
    }

    fn sample(dt: DataType, shape: &[usize]) -> NDBuffer {
        let n: usize = shape.iter().product();
        let data = match dt.size() {
            Some(s) => {
                let mut b: Vec<u8> = (0..n * s).map(|i| (i * 37 % 251) as u8).collect();
                if dt == DataType::Bool {
                    b.iter_mut().for_each(|x| *x &= 1);
                }
                if dt == DataType::Float16 {
                    // Keep away from NaN bit patterns? Bytes compare bit-exact anyway.
                }
                NDData::Fixed(b)
            }
            None if dt == DataType::String => NDData::Variable(
                (0..n)
                    .map(|i| {
                        "héllo wörld 🌍"
                            .chars()
                            .take(i % 14)
                            .collect::<String>()
                            .into()
                    })
                    .collect(),
            ),
            None => NDData::Variable(
                (0..n)
                    .map(|i| (0..(i % 9)).map(|j| (j * 31 + 1) as u8).collect())
                    .collect(),
            ),
        };
        NDBuffer::from_parts(shape.to_vec(), dt, Order::C, data).unwrap()
    }

    #[test]
    fn round_trips_every_data_type() {
        for dt in DataType::ALL {
            for shape in [
                vec![],
                vec![0],
                vec![7],
                vec![3, 4],
                vec![2, 3, 5],
                vec![2, 0, 3],
            ] {
                let a = sample(dt, &shape);
                assert_eq!(round_trip(&a), a, "{dt} {shape:?}");
            }
        }
    }

    #[test]
    fn fortran_order_round_trips() {
        let a = sample(DataType::Int32, &[3, 4]).to_order(Order::F);
        let mut bytes = Vec::new();
        write_npy_to(&mut bytes, &a).unwrap();
        assert!(String::from_utf8_lossy(&bytes).contains("'fortran_order': True"));
        let b = read_npy_from(&bytes[..]).unwrap();
        assert_eq!(b.order(), Order::F);
        assert_eq!(b, a);
        assert_eq!(b.to_order(Order::C), sample(DataType::Int32, &[3, 4]));
    }

    #[test]
    fn header_matches_numpy() {
        let a = NDBuffer::from_vec(&[3], vec![1.0f64, 2.0, 3.0]).unwrap();
        let mut bytes = Vec::new();
        write_npy_to(&mut bytes, &a).unwrap();
        let h = String::from_utf8_lossy(&bytes[10..128]).into_owned();
        assert!(h.starts_with("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }"));
        assert!(h.ends_with('\n'));
        assert_eq!(bytes.len(), 128 + 24);
        let s = NDBuffer::from_parts(
            vec![2],
            DataType::String,
            Order::C,
            NDData::Variable(vec![b"ab".to_vec(), b"".to_vec()]),
        )
        .unwrap();
        let mut bytes = Vec::new();
        write_npy_to(&mut bytes, &s).unwrap();
        assert!(String::from_utf8_lossy(&bytes).contains("'descr': '<U2'"));
        let e = NDBuffer::from_parts(
            vec![2],
            DataType::Bytes,
            Order::C,
            NDData::Variable(vec![vec![], vec![]]),
        )
        .unwrap();
        let mut bytes = Vec::new();
        write_npy_to(&mut bytes, &e).unwrap();
        assert!(String::from_utf8_lossy(&bytes).contains("'descr': '|S1'"));
        assert_eq!(read_npy_from(&bytes[..]).unwrap(), e);
    }

    #[test]
    fn long_header_uses_version_2() {
        let shape = vec![1usize; 64];
        let a = NDBuffer::filled(&shape, DataType::UInt8, &FillValue::new(vec![5]), Order::C);
        let mut bytes = Vec::new();
        write_npy_to(&mut bytes, &a).unwrap();
        assert_eq!(bytes[6], 1, "64 dims still fit in version 1.0");
        let h = build_header("'<u1'", false, &vec![usize::MAX; 3000][..]);
        assert_eq!(h[6], 2);
        let len = u32::from_le_bytes([h[8], h[9], h[10], h[11]]) as usize;
        assert_eq!((12 + len) % 64, 0);
        assert_eq!(h.len(), 12 + len);
    }

    fn with_header(version: u8, dict: &str, data: &[u8]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&[version, 0]);
        let h = format!("{dict}\n");
        if version == 1 {
            out.extend_from_slice(&(h.len() as u16).to_le_bytes());
        } else {
            out.extend_from_slice(&(h.len() as u32).to_le_bytes());
        }
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn reads_versions_2_and_3_and_big_endian() {
        let data = [0u8, 1, 0, 2, 1, 0];
        for v in [1, 2, 3] {
            let f = with_header(
                v,
                "{'descr': '>u2', 'fortran_order': False, 'shape': (3,), }",
                &data,
            );
            let a = read_npy_from(&f[..]).unwrap();
            assert_eq!(a.to_vec::<u16>().unwrap(), vec![1, 2, 256]);
        }
        // Big-endian complex: each component swapped on its own.
        let mut d = Vec::new();
        d.extend_from_slice(&1.5f32.to_be_bytes());
        d.extend_from_slice(&(-2.0f32).to_be_bytes());
        let f = with_header(
            1,
            "{'descr': '>c8', 'fortran_order': False, 'shape': (), }",
            &d,
        );
        let a = read_npy_from(&f[..]).unwrap();
        let NDData::Fixed(b) = a.data() else { panic!() };
        assert_eq!(&b[..4], &1.5f32.to_ne_bytes());
        assert_eq!(&b[4..], &(-2.0f32).to_ne_bytes());
        // Big-endian unicode.
        let mut d = Vec::new();
        for c in ['h', 'é', '\0'] {
            d.extend_from_slice(&(c as u32).to_be_bytes());
        }
        let f = with_header(
            1,
            "{'descr': '>U3', 'fortran_order': False, 'shape': (1,), }",
            &d,
        );
        let a = read_npy_from(&f[..]).unwrap();
        assert_eq!(a.to_vec::<String>().unwrap(), vec!["hé".to_string()]);
    }

    #[test]
    fn raw_bytes_and_structs_match_numpy() {
        // numpy: np.save(f, np.array([b'ab\\0cd\\0', b'xyzuvw'], 'V6')) and
        // np.zeros(2, [('a', '<i4'), ('b', '>f8')]) with a = [1, 2], b = [1.5, -2].
        let v = NDBuffer::from_parts(
            vec![2],
            DataType::RawBytes(6),
            Order::C,
            NDData::Fixed(b"ab\0cd\0xyzuvw".to_vec()),
        )
        .unwrap();
        let mut bytes = Vec::new();
        write_npy_to(&mut bytes, &v).unwrap();
        assert!(bytes.starts_with(
            b"\x93NUMPY\x01\x00v\x00{'descr': '|V6', 'fortran_order': False, 'shape': (2,), }"
        ));
        assert_eq!(read_npy_from(&bytes[..]).unwrap(), v);

        let header =
            "{'descr': [('a', '<i4'), ('b', '>f8')], 'fortran_order': False, 'shape': (2,), }";
        let mut data = Vec::new();
        for (a, b) in [(1i32, 1.5f64), (2, -2.0)] {
            data.extend_from_slice(&a.to_le_bytes());
            data.extend_from_slice(&b.to_be_bytes());
        }
        let file = with_header(1, header, &data);
        let s = read_npy_from(&file[..]).unwrap();
        let DataType::Struct(st) = s.data_type() else {
            panic!("{:?}", s.data_type())
        };
        assert_eq!(st.fields()[1].endian(), Some(Endian::Big));
        let mut native = Vec::new();
        for (a, b) in [(1i32, 1.5f64), (2, -2.0)] {
            native.extend_from_slice(&a.to_ne_bytes());
            native.extend_from_slice(&b.to_ne_bytes());
        }
        assert_eq!(s.data(), &NDData::Fixed(native));
        let mut out = Vec::new();
        write_npy_to(&mut out, &s).unwrap();
        assert!(String::from_utf8_lossy(&out).contains(header.trim_end_matches('}')));
        assert_eq!(&out[out.len() - data.len()..], &data[..]);
        assert_eq!(read_npy_from(&out[..]).unwrap(), s);
        // Nested, with every kind of field.
        let header = "{'descr': [('a', '<i2'), ('n', [('x', '<f4'), ('y', '|S3')]), ('t', '|b1'), ('v', '|V2'), ('u', '>U1'), ('m', '<M8[s]')], 'fortran_order': False, 'shape': (1,), }";
        let file = with_header(1, header, &[7u8; 2 + 4 + 3 + 1 + 2 + 4 + 8]);
        let s = read_npy_from(&file[..]).unwrap();
        assert_eq!(s.data_type().size(), Some(24));
        let mut out = Vec::new();
        write_npy_to(&mut out, &s).unwrap();
        assert!(String::from_utf8_lossy(&out).contains(header.trim_end_matches('}')));
        assert_eq!(&out[out.len() - 24..], &[7u8; 24]);
    }

    #[test]
    fn refuses_bad_input_clearly() {
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (b"hello".to_vec(), "not a .npy file"),
            (b"\x93NUMPY\x04\x00".to_vec(), "version 4.0"),
            (b"\x93NUMPY\x01\x00\xff".to_vec(), "ends inside the header"),
            (
                with_header(
                    1,
                    "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }",
                    &[],
                ),
                "pickle",
            ),
            (
                with_header(
                    1,
                    "{'descr': [('a', '<i4'), ('', '|V4')], 'fortran_order': False, 'shape': (2,), }",
                    &[],
                ),
                "padded",
            ),
            (
                with_header(
                    1,
                    "{'descr': [('a', '<i4', (2,))], 'fortran_order': False, 'shape': (2,), }",
                    &[],
                ),
                "subarray",
            ),
            (
                with_header(
                    1,
                    "{'descr': [('a', '<i4'), ('a', '<i4')], 'fortran_order': False, 'shape': (2,), }",
                    &[],
                ),
                "more than once",
            ),
            (
                with_header(
                    1,
                    "{'descr': [('a', '|O')], 'fortran_order': False, 'shape': (2,), }",
                    &[],
                ),
                "pickle",
            ),
            (
                with_header(
                    1,
                    "{'descr': '|V99999999999', 'fortran_order': False, 'shape': (2,), }",
                    &[],
                ),
                "void item size",
            ),
            (
                with_header(
                    1,
                    "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }",
                    &[1, 2, 3],
                ),
                "truncated",
            ),
            (
                with_header(
                    1,
                    "{'descr': '<i8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
                    &[],
                ),
                "overflow",
            ),
            (
                with_header(1, "{'descr': '<i4', 'shape': (2,), }", &[]),
                "expected the keys",
            ),
            (
                with_header(
                    1,
                    "{'descr': '<M8[qs]', 'fortran_order': False, 'shape': (2,), }",
                    &[],
                ),
                "unsupported .npy data type",
            ),
            (
                with_header(
                    1,
                    "{'descr': '<U1', 'fortran_order': False, 'shape': (1,), }",
                    &0xD800u32.to_le_bytes(),
                ),
                "unicode scalar",
            ),
        ];
        for (bytes, want) in cases {
            let e = read_npy_from(&bytes[..]).unwrap_err().to_string();
            assert!(e.contains(want), "{e:?} should mention {want:?}");
            assert!(e.starts_with("<stream>:"), "{e}");
        }
    }

    #[test]
    fn lying_header_does_not_allocate_from_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.npy");
        std::fs::write(
            &p,
            with_header(
                1,
                "{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000,), }",
                &[0; 16],
            ),
        )
        .unwrap();
        let e = read_npy(&p).unwrap_err();
        assert!(matches!(e, NpyError::Truncated { .. }), "{e}");
        assert!(e.to_string().contains("big.npy"), "{e}");
        // From a stream too: memory only grows with the bytes present.
        let f = std::fs::read(&p).unwrap();
        assert!(matches!(
            read_npy_from(&f[..]).unwrap_err(),
            NpyError::Truncated { .. }
        ));
    }

    #[test]
    fn files_round_trip_and_missing_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.npy");
        let a = sample(DataType::Complex128, &[4, 2]);
        write_npy(&p, &a).unwrap();
        assert_eq!(read_npy(&p).unwrap(), a);
        let e = read_npy(dir.path().join("nope.npy"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("nope.npy"), "{e}");
    }

    fn valid_file() -> impl Strategy<Value = Vec<u8>> {
        (
            0usize..DataType::ALL.len(),
            prop::collection::vec(0usize..4, 0..3),
        )
            .prop_map(|(i, shape)| {
                let mut bytes = Vec::new();
                write_npy_to(&mut bytes, &sample(DataType::ALL[i], &shape)).unwrap();
                bytes
            })
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
            let _ = read_npy_from(&bytes[..]);
            let mut with_magic = MAGIC.to_vec();
            with_magic.extend_from_slice(&bytes);
            let _ = read_npy_from(&with_magic[..]);
        }

        #[test]
        fn mutated_files_never_panic(
            file in valid_file(),
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
            cut in any::<prop::sample::Index>(),
            truncate in any::<bool>(),
        ) {
            let mut f = file;
            for (i, b) in edits {
                let i = i.index(f.len());
                f[i] = b;
            }
            if truncate {
                f.truncate(cut.index(f.len() + 1));
            }
            let _ = read_npy_from(&f[..]);
        }

        #[test]
        fn header_text_mutations_never_panic(
            dict in "\\{'descr': '[<>|=]?[biufcUSOVa?][0-9]{0,3}', 'fortran_order': (True|False|0), 'shape': \\(([0-9]{1,12}, ?){0,4}\\), \\}",
            data in prop::collection::vec(any::<u8>(), 0..64),
        ) {
            let f = with_header(1, &dict, &data);
            let _ = read_npy_from(&f[..]);
        }
    }
}
