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
    let (file, name, len) = open_file(path.as_ref())?;
    read_npy_impl(BufReader::new(file), &name, Some(len))
}

/// Open the file at `path` for reading: the file, its name for messages
/// and its length.
fn open_file(path: &Path) -> Result<(std::fs::File, String, u64), NpyError> {
    let name = path.display().to_string();
    let io = |source| NpyError::Io {
        file: name.clone(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    Ok((file, name, len))
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

/// The widest element of a variable-length buffer, as `<U{n}` (characters
/// of `string`) or `|S{n}` (bytes) count it; at least 1, as numpy.
fn var_width(array: &NDBuffer) -> usize {
    let NDData::Variable(v) = array.data() else {
        return 1;
    };
    var_width_of(array.data_type(), v)
}

fn var_width_of(dt: DataType, v: &[Vec<u8>]) -> usize {
    let n = if dt == DataType::String {
        v.iter()
            .map(|e| String::from_utf8_lossy(e).chars().count())
            .max()
    } else {
        v.iter().map(Vec::len).max()
    };
    n.unwrap_or(0).max(1)
}

/// The `descr` literal of the header (quoted unless it is a list);
/// `width` is the element width of `string` and bytes types.
fn descr_of(dt: DataType, width: usize, file: &str) -> Result<String, NpyError> {
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
    match dt {
        DataType::String => Ok(format!("'<U{width}'")),
        DataType::Bytes => Ok(format!("'|S{width}'")),
        _ => Err(NpyError::UnsupportedDType {
            file: file.into(),
            descr: dt.name().into(),
            reason: "no numpy equivalent".into(),
        }),
    }
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

/// What precedes the data of a `.npy` file, checked against the file's
/// length when it is known.
struct Prelude {
    header: Header,
    /// Where the data starts.
    data_start: u64,
    /// Elements.
    count: u64,
    /// Bytes per element.
    item: u64,
    /// Bytes of data.
    nbytes: u64,
}

/// Read and check the magic string, version and header.
fn read_prelude(
    r: &mut impl Read,
    file: &str,
    total_len: Option<u64>,
) -> Result<Prelude, NpyError> {
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
    Ok(Prelude {
        header,
        data_start,
        count,
        item,
        nbytes,
    })
}

fn read_npy_impl(
    mut r: impl Read,
    file: &str,
    total_len: Option<u64>,
) -> Result<NDBuffer, NpyError> {
    let Prelude {
        header,
        count,
        nbytes,
        ..
    } = read_prelude(&mut r, file, total_len)?;
    let nbytes_usize = usize::try_from(nbytes).map_err(|_| NpyError::TooLarge {
        file: file.to_string(),
        reason: format!("{nbytes} bytes do not fit in memory"),
    })?;
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
    let count = usize::try_from(count).map_err(|_| NpyError::TooLarge {
        file: file.to_string(),
        reason: format!("{count} elements do not fit in memory"),
    })?;
    let (data_type, data) = decode(header.descr, bytes, count, file)?;
    NDBuffer::from_parts(header.shape, data_type, order, data).map_err(|reason| {
        NpyError::InvalidData {
            file: file.to_string(),
            reason,
        }
    })
}

/// File bytes of `count` elements of type `descr` as native data.
fn decode(
    descr: NpyType,
    mut bytes: Vec<u8>,
    count: usize,
    file: &str,
) -> Result<(DataType, NDData), NpyError> {
    let invalid = |reason: String| NpyError::InvalidData {
        file: file.to_string(),
        reason,
    };
    Ok(match descr {
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
    })
}

// ---------------------------------------------------------------------------
// streaming reads

/// Where a [`NpyReader`] reads from.
enum Source {
    /// A file: boxes are read in any order.
    File(std::fs::File),
    /// A stream (standard input): boxes must come in file order.
    Stream(Box<dyn Read + Send>),
}

/// A `.npy` file read box by box, so that arrays larger than memory can be
/// imported: [`NpyReader::read_box`] reads any box of a file (only in file
/// order, as slabs along the slowest axis, from a stream). Elements are
/// decoded as [`read_npy`] decodes them.
///
/// ```
/// use zarr::buffer::NDBuffer;
/// let a = NDBuffer::from_vec(&[4, 3], (0..12i32).collect()).unwrap();
/// let mut bytes = Vec::new();
/// zarr::npy::write_npy_to(&mut bytes, &a).unwrap();
/// let mut r = zarr::npy::NpyReader::from_reader(std::io::Cursor::new(bytes)).unwrap();
/// assert_eq!(r.shape(), &[4, 3]);
/// let rows = r.read_box(&[0, 0], &[2, 3]).unwrap();
/// assert_eq!(rows, NDBuffer::from_vec(&[2, 3], (0..6i32).collect()).unwrap());
/// ```
pub struct NpyReader {
    source: Source,
    file: String,
    descr: NpyType,
    data_type: DataType,
    shape: Vec<usize>,
    order: Order,
    data_start: u64,
    item: u64,
    /// Data bytes consumed so far (streams only).
    pos: u64,
}

impl std::fmt::Debug for NpyReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NpyReader")
            .field("file", &self.file)
            .field("data_type", &self.data_type)
            .field("shape", &self.shape)
            .field("order", &self.order)
            .finish_non_exhaustive()
    }
}

/// The data type elements of `descr` decode to.
fn decoded_type(descr: NpyType) -> DataType {
    match descr {
        NpyType::Fixed { data_type, .. } => data_type,
        NpyType::Unicode { .. } => DataType::String,
        NpyType::Bytes { .. } => DataType::Bytes,
    }
}

impl NpyReader {
    /// Open a `.npy` file and read its header; the file must hold all the
    /// data the header announces.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, NpyError> {
        let (file, name, len) = open_file(path.as_ref())?;
        let mut r = BufReader::new(&file);
        let prelude = read_prelude(&mut r, &name, Some(len))?;
        Ok(Self::new(Source::File(file), name, prelude))
    }

    /// Read the header of a `.npy` stream (standard input); its boxes must
    /// then be read in file order.
    pub fn from_reader(reader: impl Read + Send + 'static) -> Result<Self, NpyError> {
        let mut reader: Box<dyn Read + Send> = Box::new(reader);
        let prelude = read_prelude(&mut reader, STREAM, None)?;
        Ok(Self::new(Source::Stream(reader), STREAM.into(), prelude))
    }

    /// Raw binary input without a header: native-endian elements of a
    /// fixed-size `data_type`, C order, `shape`. A file must hold exactly
    /// that many bytes.
    pub fn raw_file(
        path: impl AsRef<Path>,
        data_type: DataType,
        shape: &[usize],
    ) -> Result<Self, NpyError> {
        let (file, name, len) = open_file(path.as_ref())?;
        let prelude = raw_prelude(data_type, shape, &name)?;
        if len != prelude.nbytes {
            return Err(NpyError::Header {
                file: name,
                reason: format!(
                    "raw input of shape {shape:?} and type {data_type} needs {} bytes but the file has {len}",
                    prelude.nbytes
                ),
            });
        }
        Ok(Self::new(Source::File(file), name, prelude))
    }

    /// Raw binary input from a stream (see [`NpyReader::raw_file`]).
    pub fn raw_reader(
        reader: impl Read + Send + 'static,
        data_type: DataType,
        shape: &[usize],
    ) -> Result<Self, NpyError> {
        let prelude = raw_prelude(data_type, shape, STREAM)?;
        Ok(Self::new(
            Source::Stream(Box::new(reader)),
            STREAM.into(),
            prelude,
        ))
    }

    fn new(source: Source, file: String, p: Prelude) -> Self {
        let order = if p.header.fortran && p.header.shape.len() >= 2 {
            Order::F
        } else {
            Order::C
        };
        NpyReader {
            source,
            file,
            descr: p.header.descr,
            data_type: decoded_type(p.header.descr),
            shape: p.header.shape,
            order,
            data_start: p.data_start,
            item: p.item,
            pos: 0,
        }
    }

    /// The array's shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The order of the file's elements (`F` for `fortran_order: True`).
    pub fn order(&self) -> Order {
        self.order
    }

    /// The data type elements decode to (`string` for `<U`, bytes for `|S`).
    pub fn data_type(&self) -> DataType {
        self.data_type
    }

    /// Bytes per element in the file.
    pub fn item_size(&self) -> u64 {
        self.item
    }

    /// Whether boxes can be read in any order (a file), or only in file
    /// order (a stream).
    pub fn is_seekable(&self) -> bool {
        matches!(self.source, Source::File(_))
    }

    /// Read the box `[origin, origin + extent)`, decoded, in the file's
    /// order. From a stream, boxes must be slabs along the slowest axis
    /// (the first in C order, the last in F order) read in order.
    pub fn read_box(&mut self, origin: &[u64], extent: &[u64]) -> Result<NDBuffer, NpyError> {
        let file = self.file.clone();
        let bad = |reason: String| NpyError::InvalidData {
            file: file.clone(),
            reason,
        };
        let ndim = self.shape.len();
        if origin.len() != ndim || extent.len() != ndim {
            return Err(bad(format!(
                "a box of {} dimensions for an array of {ndim}",
                origin.len()
            )));
        }
        for d in 0..ndim {
            if origin[d]
                .checked_add(extent[d])
                .is_none_or(|end| end > self.shape[d] as u64)
            {
                return Err(bad(format!(
                    "the box at {origin:?} of shape {extent:?} exceeds the array's shape {:?}",
                    self.shape
                )));
            }
        }
        // In file order: C as is, F reversed.
        let rev = |v: &[u64]| -> Vec<u64> {
            if self.order == Order::F {
                v.iter().rev().copied().collect()
            } else {
                v.to_vec()
            }
        };
        let fshape = rev(&self.shape.iter().map(|&d| d as u64).collect::<Vec<_>>());
        let (forigin, fextent) = (rev(origin), rev(extent));
        let count: u64 = fextent.iter().product();
        let nbytes = count
            .checked_mul(self.item)
            .ok_or_else(|| NpyError::TooLarge {
                file: file.clone(),
                reason: format!("a box of shape {extent:?} overflows"),
            })?;
        let nbytes_usize = usize::try_from(nbytes).map_err(|_| NpyError::TooLarge {
            file: file.clone(),
            reason: format!("{nbytes} bytes do not fit in memory"),
        })?;
        let mut bytes = Vec::new();
        bytes
            .try_reserve_exact(nbytes_usize)
            .map_err(|e| NpyError::TooLarge {
                file: file.clone(),
                reason: format!("cannot allocate {nbytes} bytes: {e}"),
            })?;
        if count > 0 {
            // Axes after `k` are whole: each run is contiguous in the file.
            let k = (0..ndim)
                .rev()
                .find(|&d| forigin[d] != 0 || fextent[d] != fshape[d])
                .unwrap_or(0);
            let mut strides = vec![1u64; ndim];
            for d in (0..ndim.saturating_sub(1)).rev() {
                strides[d] = strides[d + 1] * fshape[d + 1];
            }
            let run = if ndim == 0 {
                1
            } else {
                fextent[k] * strides[k]
            };
            let runs: u64 = fextent[..k].iter().product();
            let mut idx = vec![0u64; k];
            for _ in 0..runs {
                let mut offset = if ndim == 0 {
                    0
                } else {
                    forigin[k] * strides[k]
                };
                for d in 0..k {
                    offset += (forigin[d] + idx[d]) * strides[d];
                }
                self.read_run(offset * self.item, run * self.item, &mut bytes)?;
                for d in (0..k).rev() {
                    idx[d] += 1;
                    if idx[d] < fextent[d] {
                        break;
                    }
                    idx[d] = 0;
                }
            }
        }
        let (data_type, data) = decode(self.descr, bytes, count as usize, &file)?;
        let shape: Vec<usize> = extent.iter().map(|&e| e as usize).collect();
        NDBuffer::from_parts(shape, data_type, self.order, data).map_err(bad)
    }

    /// Append `len` data bytes at `offset` to `out`.
    fn read_run(&mut self, offset: u64, len: u64, out: &mut Vec<u8>) -> Result<(), NpyError> {
        let io = |source| NpyError::Io {
            file: self.file.clone(),
            source,
        };
        let start = out.len();
        let len_usize = len as usize;
        match &mut self.source {
            Source::File(f) => {
                use std::io::{Seek, SeekFrom};
                f.seek(SeekFrom::Start(self.data_start + offset))
                    .map_err(io)?;
                out.resize(start + len_usize, 0);
                f.read_exact(&mut out[start..]).map_err(|e| {
                    if e.kind() == std::io::ErrorKind::UnexpectedEof {
                        NpyError::Truncated {
                            file: self.file.clone(),
                            expected: offset + len,
                            found: offset,
                        }
                    } else {
                        io(e)
                    }
                })?;
            }
            Source::Stream(r) => {
                if offset != self.pos {
                    return Err(NpyError::InvalidData {
                        file: self.file.clone(),
                        reason: format!(
                            "a stream is read in order: asked for byte {offset}, at byte {}",
                            self.pos
                        ),
                    });
                }
                let got = r.take(len).read_to_end(out).map_err(io)?;
                if (got as u64) < len {
                    return Err(NpyError::Truncated {
                        file: self.file.clone(),
                        expected: offset + len,
                        found: offset + got as u64,
                    });
                }
                self.pos += len;
            }
        }
        Ok(())
    }
}

/// The prelude of headerless raw input.
fn raw_prelude(data_type: DataType, shape: &[usize], file: &str) -> Result<Prelude, NpyError> {
    let item = data_type
        .size()
        .filter(|_| data_type.numpy_str().is_some() || matches!(data_type, DataType::BFloat16))
        .ok_or_else(|| NpyError::UnsupportedDType {
            file: file.into(),
            descr: data_type.name().into(),
            reason: "raw input takes a fixed-size numeric type".into(),
        })? as u64;
    let count = shape
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
        .ok_or_else(|| NpyError::TooLarge {
            file: file.into(),
            reason: format!("the element count of shape {shape:?} overflows"),
        })?;
    let nbytes = count.checked_mul(item).ok_or_else(|| NpyError::TooLarge {
        file: file.into(),
        reason: format!("{count} elements of {item} bytes overflow"),
    })?;
    Ok(Prelude {
        header: Header {
            descr: NpyType::Fixed {
                data_type,
                big: cfg!(target_endian = "big"),
            },
            fortran: false,
            shape: shape.to_vec(),
        },
        data_start: 0,
        count,
        item,
        nbytes,
    })
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
    let width = var_width(array);
    let descr = descr_of(array.data_type(), width, file)?;
    let fortran = array.order() == Order::F && array.shape().len() >= 2;
    w.write_all(&build_header(&descr, fortran, array.shape()))
        .map_err(io)?;
    write_elements(w, array, width, file)
}

/// Write the elements of `array` in its order as the file stores them;
/// `width` is the element width of `string` (characters) and bytes types.
fn write_elements(
    w: &mut impl Write,
    array: &NDBuffer,
    width: usize,
    file: &str,
) -> Result<(), NpyError> {
    let io = |source| NpyError::Io {
        file: file.to_string(),
        source,
    };
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
            let too_wide = |i: usize| NpyError::InvalidData {
                file: file.to_string(),
                reason: format!("element {i} is wider than the file's {width}"),
            };
            if array.data_type() == DataType::String {
                let mut el = Vec::with_capacity(width * 4);
                for (i, e) in v.iter().enumerate() {
                    el.clear();
                    for c in String::from_utf8_lossy(e).chars() {
                        el.extend_from_slice(&(c as u32).to_le_bytes());
                    }
                    if el.len() > width * 4 {
                        return Err(too_wide(i));
                    }
                    el.resize(width * 4, 0);
                    w.write_all(&el).map_err(io)?;
                }
            } else {
                let zeros = vec![0u8; width];
                for (i, e) in v.iter().enumerate() {
                    if e.len() > width {
                        return Err(too_wide(i));
                    }
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

// ---------------------------------------------------------------------------
// streaming writes

/// Where a [`NpyWriter`] writes to.
enum Dest<'w> {
    /// A file: boxes are written in any order.
    File(std::fs::File),
    /// A stream (standard output): boxes must come in file order.
    Stream(Box<dyn Write + 'w>),
}

/// A C-order `.npy` file written box by box, so that arrays larger than
/// memory can be exported: [`NpyWriter::write_box`] writes any box of a
/// file (only in order, as slabs along the first axis, to a stream), and
/// [`NpyWriter::finish`] checks that every element was written.
///
/// ```
/// use zarr::buffer::NDBuffer;
/// use zarr::dtype::DataType;
/// let mut bytes = Vec::new();
/// let mut w = zarr::npy::NpyWriter::to_writer(&mut bytes, DataType::Int32, &[4, 3], 0).unwrap();
/// w.write_box(&[0, 0], &NDBuffer::from_vec(&[2, 3], (0..6i32).collect()).unwrap()).unwrap();
/// w.write_box(&[2, 0], &NDBuffer::from_vec(&[2, 3], (6..12i32).collect()).unwrap()).unwrap();
/// w.finish().unwrap();
/// let all = NDBuffer::from_vec(&[4, 3], (0..12i32).collect()).unwrap();
/// assert_eq!(zarr::npy::read_npy_from(&bytes[..]).unwrap(), all);
/// ```
pub struct NpyWriter<'w> {
    dest: Dest<'w>,
    file: String,
    data_type: DataType,
    shape: Vec<u64>,
    width: usize,
    item: u64,
    data_start: u64,
    nbytes: u64,
    /// Data bytes written so far.
    written: u64,
}

impl std::fmt::Debug for NpyWriter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NpyWriter")
            .field("file", &self.file)
            .field("data_type", &self.data_type)
            .field("shape", &self.shape)
            .finish_non_exhaustive()
    }
}

/// Bytes per element and the header of a C-order file.
fn writer_layout(
    data_type: DataType,
    shape: &[u64],
    width: usize,
    file: &str,
) -> Result<(u64, Vec<u8>, u64), NpyError> {
    let width = width.max(1);
    let descr = descr_of(data_type, width, file)?;
    let item = match data_type {
        DataType::String => width.checked_mul(4),
        DataType::Bytes => Some(width),
        dt => dt.size(),
    }
    .ok_or_else(|| NpyError::TooLarge {
        file: file.into(),
        reason: "item size overflows".into(),
    })? as u64;
    let too_large = || NpyError::TooLarge {
        file: file.into(),
        reason: format!("shape {shape:?} overflows"),
    };
    let dims: Vec<usize> = shape
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| too_large()))
        .collect::<Result<_, _>>()?;
    let nbytes = shape
        .iter()
        .try_fold(item, |acc, &d| acc.checked_mul(d))
        .ok_or_else(too_large)?;
    Ok((item, build_header(&descr, false, &dims), nbytes))
}

impl NpyWriter<'static> {
    /// Create (or truncate) a `.npy` file for a C-order array; `width` is
    /// the element width of `string` (characters) and bytes types (see
    /// [`NpyWriter::width_of`]), ignored for other types.
    pub fn create(
        path: impl AsRef<Path>,
        data_type: DataType,
        shape: &[u64],
        width: usize,
    ) -> Result<Self, NpyError> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let io = |source| NpyError::Io {
            file: name.clone(),
            source,
        };
        let (item, header, nbytes) = writer_layout(data_type, shape, width, &name)?;
        let mut file = std::fs::File::create(path).map_err(io)?;
        file.write_all(&header).map_err(io)?;
        let data_start = header.len() as u64;
        file.set_len(data_start + nbytes).map_err(io)?;
        Ok(NpyWriter {
            dest: Dest::File(file),
            file: name,
            data_type,
            shape: shape.to_vec(),
            width: width.max(1),
            item,
            data_start,
            nbytes,
            written: 0,
        })
    }
}

impl<'w> NpyWriter<'w> {
    /// Write the header to a stream (standard output); boxes must then be
    /// slabs along the first axis, written in order.
    pub fn to_writer(
        mut writer: impl Write + 'w,
        data_type: DataType,
        shape: &[u64],
        width: usize,
    ) -> Result<Self, NpyError> {
        let (item, header, nbytes) = writer_layout(data_type, shape, width, STREAM)?;
        writer.write_all(&header).map_err(|source| NpyError::Io {
            file: STREAM.into(),
            source,
        })?;
        Ok(NpyWriter {
            dest: Dest::Stream(Box::new(writer)),
            file: STREAM.into(),
            data_type,
            shape: shape.to_vec(),
            width: width.max(1),
            item,
            data_start: header.len() as u64,
            nbytes,
            written: 0,
        })
    }

    /// The element width a `string` or bytes buffer needs (see [`NpyWriter::create`]).
    pub fn width_of(buffer: &NDBuffer) -> usize {
        var_width(buffer)
    }

    /// Write a C-order box of the array at `origin` (`data`'s shape is the
    /// box's extent).
    pub fn write_box(&mut self, origin: &[u64], data: &NDBuffer) -> Result<(), NpyError> {
        let file = self.file.clone();
        let bad = |reason: String| NpyError::InvalidData {
            file: file.clone(),
            reason,
        };
        let ndim = self.shape.len();
        let extent: Vec<u64> = data.shape().iter().map(|&d| d as u64).collect();
        if data.data_type() != self.data_type {
            return Err(bad(format!(
                "a box of type {} for a file of type {}",
                data.data_type(),
                self.data_type
            )));
        }
        if origin.len() != ndim || extent.len() != ndim {
            return Err(bad(format!(
                "a box of {} dimensions for an array of {ndim}",
                extent.len()
            )));
        }
        if (0..ndim).any(|d| {
            origin[d]
                .checked_add(extent[d])
                .is_none_or(|end| end > self.shape[d])
        }) {
            return Err(bad(format!(
                "the box at {origin:?} of shape {extent:?} exceeds the array's shape {:?}",
                self.shape
            )));
        }
        let c;
        let data = if data.order() == Order::F && ndim >= 2 {
            c = data.to_order(Order::C);
            &c
        } else {
            data
        };
        let count: u64 = extent.iter().product();
        if count == 0 {
            return Ok(());
        }
        // The box's bytes as the file stores them.
        let mut encoded = Vec::new();
        let bytes: &[u8] = match data.data() {
            NDData::Fixed(b)
                if cfg!(target_endian = "little")
                    && !matches!(self.data_type, DataType::Struct(_)) =>
            {
                b
            }
            _ => {
                write_elements(&mut encoded, data, self.width, &file)?;
                &encoded
            }
        };
        let k = (0..ndim)
            .rev()
            .find(|&d| origin[d] != 0 || extent[d] != self.shape[d])
            .unwrap_or(0);
        let mut strides = vec![1u64; ndim];
        for d in (0..ndim.saturating_sub(1)).rev() {
            strides[d] = strides[d + 1] * self.shape[d + 1];
        }
        let run = if ndim == 0 { 1 } else { extent[k] * strides[k] } * self.item;
        let runs: u64 = extent[..k].iter().product();
        let mut idx = vec![0u64; k];
        let mut src = 0usize;
        for _ in 0..runs {
            let mut offset = if ndim == 0 { 0 } else { origin[k] * strides[k] };
            for d in 0..k {
                offset += (origin[d] + idx[d]) * strides[d];
            }
            let end = src + run as usize;
            self.write_run(offset * self.item, &bytes[src..end])?;
            src = end;
            for d in (0..k).rev() {
                idx[d] += 1;
                if idx[d] < extent[d] {
                    break;
                }
                idx[d] = 0;
            }
        }
        Ok(())
    }

    fn write_run(&mut self, offset: u64, bytes: &[u8]) -> Result<(), NpyError> {
        let io = |source| NpyError::Io {
            file: self.file.clone(),
            source,
        };
        match &mut self.dest {
            Dest::File(f) => {
                use std::io::{Seek, SeekFrom};
                f.seek(SeekFrom::Start(self.data_start + offset))
                    .map_err(io)?;
                f.write_all(bytes).map_err(io)?;
            }
            Dest::Stream(w) => {
                if offset != self.written {
                    return Err(NpyError::InvalidData {
                        file: self.file.clone(),
                        reason: format!(
                            "a stream is written in order: asked for byte {offset}, at byte {}",
                            self.written
                        ),
                    });
                }
                w.write_all(bytes).map_err(io)?;
            }
        }
        self.written += bytes.len() as u64;
        Ok(())
    }

    /// Flush, and check that every byte of data was written once.
    pub fn finish(mut self) -> Result<(), NpyError> {
        let io = |source| NpyError::Io {
            file: self.file.clone(),
            source,
        };
        match &mut self.dest {
            Dest::File(f) => f.flush().map_err(io)?,
            Dest::Stream(w) => w.flush().map_err(io)?,
        }
        if self.written != self.nbytes {
            return Err(NpyError::InvalidData {
                file: self.file.clone(),
                reason: format!(
                    "{} of {} data bytes were written",
                    self.written, self.nbytes
                ),
            });
        }
        Ok(())
    }
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

    /// Element values of a box of an array whose element at C-order flat
    /// index i is i.
    fn box_values(shape: &[u64], origin: &[u64], extent: &[u64], order: Order) -> Vec<i32> {
        let n = extent.len();
        let count: u64 = extent.iter().product();
        let mut out = Vec::with_capacity(count as usize);
        for flat in 0..count {
            // The box's flat index in the buffer's order to coordinates.
            let mut rem = flat;
            let mut coord = vec![0u64; n];
            let axes: Vec<usize> = if order == Order::C {
                (0..n).rev().collect()
            } else {
                (0..n).collect()
            };
            for d in axes {
                coord[d] = origin[d] + rem % extent[d];
                rem /= extent[d];
            }
            let mut idx = 0u64;
            for d in 0..n {
                idx = idx * shape[d] + coord[d];
            }
            out.push(idx as i32);
        }
        out
    }

    proptest! {
        #[test]
        fn reader_boxes_match_the_whole(
            shape in prop::collection::vec(1u64..6, 0..4),
            fortran in any::<bool>(),
            picks in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 4),
        ) {
            let count: u64 = shape.iter().product();
            let dims: Vec<usize> = shape.iter().map(|&d| d as usize).collect();
            let c = NDBuffer::from_vec(&dims, (0..count as i32).collect()).unwrap();
            let whole = if fortran { c.to_order(Order::F) } else { c };
            // One axis or none: the file says C order whatever the buffer's.
            let order = if shape.len() >= 2 { whole.order() } else { Order::C };
            let mut bytes = Vec::new();
            write_npy_to(&mut bytes, &whole).unwrap();
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("a.npy");
            std::fs::write(&path, &bytes).unwrap();
            let mut r = NpyReader::open(&path).unwrap();
            prop_assert_eq!(r.shape(), &dims[..]);
            prop_assert_eq!(r.order(), order);
            let ndim = shape.len();
            let origin: Vec<u64> = (0..ndim).map(|d| picks[d].0.index(shape[d] as usize) as u64).collect();
            let extent: Vec<u64> = (0..ndim).map(|d| 1 + picks[d].1.index((shape[d] - origin[d]) as usize) as u64).collect();
            let got = r.read_box(&origin, &extent).unwrap();
            let ext: Vec<usize> = extent.iter().map(|&e| e as usize).collect();
            prop_assert_eq!(got.shape(), &ext[..]);
            prop_assert_eq!(got.to_vec::<i32>().unwrap(), box_values(&shape, &origin, &extent, order));
            // Out of the array: an error, not a panic.
            if ndim > 0 {
                let mut past = extent.clone();
                past[0] = shape[0] + 1;
                prop_assert!(r.read_box(&origin, &past).is_err());
            }
        }

        #[test]
        fn writer_boxes_in_any_order_equal_write_npy(
            shape in prop::collection::vec(1u64..6, 1..4),
            split in 1u64..4,
            reverse in any::<bool>(),
        ) {
            let count: u64 = shape.iter().product();
            let dims: Vec<usize> = shape.iter().map(|&d| d as usize).collect();
            let whole = NDBuffer::from_vec(&dims, (0..count as i32).collect()).unwrap();
            let mut expected = Vec::new();
            write_npy_to(&mut expected, &whole).unwrap();
            // Boxes of `split` along the last axis (runs), any order, to a file.
            let last = shape.len() - 1;
            let mut starts: Vec<u64> = (0..shape[last]).step_by(split as usize).collect();
            if reverse {
                starts.reverse();
            }
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("a.npy");
            let mut w = NpyWriter::create(&path, DataType::Int32, &shape, 0).unwrap();
            for &s in &starts {
                let mut origin = vec![0u64; shape.len()];
                origin[last] = s;
                let mut extent = shape.clone();
                extent[last] = split.min(shape[last] - s);
                let vals = box_values(&shape, &origin, &extent, Order::C);
                let ext: Vec<usize> = extent.iter().map(|&e| e as usize).collect();
                w.write_box(&origin, &NDBuffer::from_vec(&ext, vals).unwrap()).unwrap();
            }
            w.finish().unwrap();
            prop_assert_eq!(std::fs::read(&path).unwrap(), expected.clone());
            // Slabs along the first axis, in order, to a stream.
            let mut out = Vec::new();
            let mut w = NpyWriter::to_writer(&mut out, DataType::Int32, &shape, 0).unwrap();
            for s in (0..shape[0]).step_by(split as usize) {
                let mut origin = vec![0u64; shape.len()];
                origin[0] = s;
                let mut extent = shape.clone();
                extent[0] = split.min(shape[0] - s);
                let vals = box_values(&shape, &origin, &extent, Order::C);
                let ext: Vec<usize> = extent.iter().map(|&e| e as usize).collect();
                w.write_box(&origin, &NDBuffer::from_vec(&ext, vals).unwrap()).unwrap();
            }
            w.finish().unwrap();
            prop_assert_eq!(out, expected);
        }
    }

    #[test]
    fn streams_read_and_write_in_order_only() {
        let whole = NDBuffer::from_vec(&[4, 2], (0..8i32).collect()).unwrap();
        let mut bytes = Vec::new();
        write_npy_to(&mut bytes, &whole).unwrap();
        let mut r = NpyReader::from_reader(std::io::Cursor::new(bytes.clone())).unwrap();
        assert!(!r.is_seekable());
        assert!(r.read_box(&[2, 0], &[2, 2]).is_err(), "skipping ahead");
        let mut r = NpyReader::from_reader(std::io::Cursor::new(bytes.clone())).unwrap();
        let a = r.read_box(&[0, 0], &[3, 2]).unwrap();
        assert_eq!(a.to_vec::<i32>().unwrap(), (0..6).collect::<Vec<_>>());
        let b = r.read_box(&[3, 0], &[1, 2]).unwrap();
        assert_eq!(b.to_vec::<i32>().unwrap(), vec![6, 7]);
        // A truncated stream: a clear error.
        let mut r = NpyReader::from_reader(std::io::Cursor::new(bytes[..bytes.len() - 3].to_vec()))
            .unwrap();
        let e = r.read_box(&[0, 0], &[4, 2]).unwrap_err();
        assert!(matches!(e, NpyError::Truncated { .. }), "{e}");
        // Writing out of order to a stream, or too little: errors.
        let mut out = Vec::new();
        let mut w = NpyWriter::to_writer(&mut out, DataType::Int32, &[4, 2], 0).unwrap();
        let half = NDBuffer::from_vec(&[2, 2], vec![4i32, 5, 6, 7]).unwrap();
        assert!(w.write_box(&[2, 0], &half).is_err());
        let first = NDBuffer::from_vec(&[2, 2], vec![0i32, 1, 2, 3]).unwrap();
        w.write_box(&[0, 0], &first).unwrap();
        assert!(w.finish().is_err(), "half the data");
    }

    #[test]
    fn strings_and_raw_input_stream_by_box() {
        let words: Vec<Vec<u8>> = ["a", "bcd", "", "éé", "xy", "z"]
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect();
        let whole = NDBuffer::from_parts(
            vec![3, 2],
            DataType::String,
            Order::C,
            NDData::Variable(words.clone()),
        )
        .unwrap();
        let mut expected = Vec::new();
        write_npy_to(&mut expected, &whole).unwrap();
        let width = NpyWriter::width_of(&whole);
        assert_eq!(width, 3);
        let mut out = Vec::new();
        let mut w = NpyWriter::to_writer(&mut out, DataType::String, &[3, 2], width).unwrap();
        for row in 0..3 {
            let part = NDBuffer::from_parts(
                vec![1, 2],
                DataType::String,
                Order::C,
                NDData::Variable(words[row * 2..row * 2 + 2].to_vec()),
            )
            .unwrap();
            w.write_box(&[row as u64, 0], &part).unwrap();
        }
        w.finish().unwrap();
        assert_eq!(out, expected);
        let mut r = NpyReader::from_reader(std::io::Cursor::new(out)).unwrap();
        assert_eq!(r.data_type(), DataType::String);
        let got = r.read_box(&[0, 0], &[3, 2]).unwrap();
        assert_eq!(got, whole);
        // A width too small for an element: an error.
        let mut out = Vec::new();
        let mut w = NpyWriter::to_writer(&mut out, DataType::String, &[3, 2], 2).unwrap();
        assert!(w.write_box(&[0, 0], &whole).is_err());

        // Raw input: native u16, C order.
        let vals: Vec<u16> = (0..24).collect();
        let raw: Vec<u8> = vals.iter().flat_map(|v| v.to_ne_bytes()).collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.raw");
        std::fs::write(&path, &raw).unwrap();
        let mut r = NpyReader::raw_file(&path, DataType::UInt16, &[2, 3, 4]).unwrap();
        let b = r.read_box(&[1, 0, 2], &[1, 3, 2]).unwrap();
        assert_eq!(b.to_vec::<u16>().unwrap(), vec![14, 15, 18, 19, 22, 23]);
        let e = NpyReader::raw_file(&path, DataType::UInt16, &[2, 3, 5]).unwrap_err();
        assert!(
            e.to_string().contains("needs 60 bytes but the file has 48"),
            "{e}"
        );
        assert!(NpyReader::raw_file(&path, DataType::String, &[2]).is_err());
        let mut r =
            NpyReader::raw_reader(std::io::Cursor::new(raw), DataType::UInt16, &[24]).unwrap();
        assert_eq!(
            r.read_box(&[0], &[24]).unwrap().to_vec::<u16>().unwrap(),
            vals
        );
    }
}
