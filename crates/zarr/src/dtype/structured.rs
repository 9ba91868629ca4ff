//! Structured data types (numpy record dtypes): a packed sequence of named
//! fixed-size fields, as zarr-python 3.4.2 reads and writes them.
//!
//! * Zarr V3 (zarr-extensions `struct`): `{"name": "struct", "configuration":
//!   {"fields": [{"name": "a", "data_type": "int32"}, ...]}}`. The legacy
//!   `"structured"` name and `["a", "int32"]` pair fields are read too.
//! * Zarr V2: the `dtype` is a list of `[name, numpy type]` pairs, where a
//!   numpy type is a type string with its byte order (`"<i4"`, `">f8"`,
//!   `"|S3"`) or a nested list for a nested struct.
//!
//! Elements are the packed field bytes (no padding; numpy's layout for the
//! dtypes zarr-python creates), each field in native byte order in memory.
//! A field's V2 byte order is kept as an annotation ([`StructField::endian`])
//! that only says how V2 stores it; V3 has no per-field byte order (the
//! `bytes` codec's `endian` applies to every multi-byte field).
//!
//! A [`StructType`] is a `Copy` handle to a layout interned for the life of
//! the process: equal layouts are stored once, and the interner holds at most
//! [`MAX_INTERNED_BYTES`] bytes of layouts in all, so opening any number of
//! arrays cannot grow memory without bound (past the bound, new layouts are
//! refused with [`DataTypeError::Invalid`]).

use super::{DataType, DataTypeError};
use crate::codec::Endian;
use serde_json::{json, Map, Value};
use std::collections::HashSet;
use std::fmt;
use std::sync::{Mutex, OnceLock};

/// The largest element size (bytes) of a fixed-size type built from metadata.
pub const MAX_ELEMENT_SIZE: usize = 1 << 28;
/// The most fields one struct may have.
pub const MAX_FIELDS: usize = 1 << 16;
/// The deepest nesting of structs within structs.
pub const MAX_DEPTH: usize = 32;
/// The most bytes of struct layouts the process interns, in all.
pub const MAX_INTERNED_BYTES: usize = 16 << 20;

/// One field of a struct data type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StructField {
    name: String,
    data_type: DataType,
    endian: Option<Endian>,
    offset: usize,
}

impl StructField {
    /// The field name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The field's data type.
    pub fn data_type(&self) -> DataType {
        self.data_type
    }

    /// The byte order V2 metadata declares for the field (`<` or `>`), or
    /// `None` when none is declared (V3, and one-byte and struct fields).
    pub fn endian(&self) -> Option<Endian> {
        self.endian
    }

    /// The field's byte offset within an element.
    pub fn offset(&self) -> usize {
        self.offset
    }
}

/// A run of byte-order-sensitive components of a struct element: `count`
/// components of `size` bytes from `offset`, declared in `endian`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Components {
    offset: usize,
    size: usize,
    count: usize,
    endian: Option<Endian>,
}

/// The interned layout of a struct.
#[derive(Debug, PartialEq, Eq, Hash)]
struct StructLayout {
    fields: Vec<StructField>,
    size: usize,
    components: Vec<Components>,
}

impl StructLayout {
    /// The bytes this layout holds, as the interner counts them.
    fn footprint(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.fields.len() * std::mem::size_of::<StructField>()
            + self.fields.iter().map(|f| f.name.len()).sum::<usize>()
            + self.components.len() * std::mem::size_of::<Components>()
    }
}

#[derive(Default)]
struct Interner {
    layouts: HashSet<&'static StructLayout>,
    bytes: usize,
}

fn interner() -> &'static Mutex<Interner> {
    static INTERNER: OnceLock<Mutex<Interner>> = OnceLock::new();
    INTERNER.get_or_init(Default::default)
}

/// Store `layout` once for the process, returning the stored copy.
fn intern(layout: StructLayout) -> Result<&'static StructLayout, DataTypeError> {
    let mut g = interner().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(l) = g.layouts.get(&layout) {
        return Ok(l);
    }
    let cost = layout.footprint();
    if g.bytes + cost > MAX_INTERNED_BYTES {
        return Err(invalid(
            "struct",
            format!(
                "the process already holds {} bytes of distinct struct layouts (limit {MAX_INTERNED_BYTES})",
                g.bytes
            ),
        ));
    }
    g.bytes += cost;
    let l: &'static StructLayout = Box::leak(Box::new(layout));
    g.layouts.insert(l);
    Ok(l)
}

fn invalid(data_type: impl Into<String>, reason: impl Into<String>) -> DataTypeError {
    DataTypeError::Invalid {
        data_type: data_type.into(),
        reason: reason.into(),
    }
}

/// A struct data type: a `Copy` handle to an interned field layout.
/// Equality and hashing compare the layouts (names, types, V2 byte orders).
///
/// ```
/// use zarr::dtype::{DataType, StructType};
/// let s = StructType::new(vec![("a".into(), DataType::Int32, None), ("b".into(), DataType::Float64, None)]).unwrap();
/// assert_eq!(DataType::Struct(s).size(), Some(12));
/// assert_eq!(s.fields()[1].offset(), 4);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StructType(&'static StructLayout);

impl fmt::Debug for StructType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.fields.iter()).finish()
    }
}

impl fmt::Display for StructType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("struct{")?;
        for (i, field) in self.fields().iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{:?}: {}", field.name, field.data_type)?;
        }
        f.write_str("}")
    }
}

impl StructType {
    /// A struct of `(name, data type, V2 byte order)` fields, packed in
    /// order. Refuses no fields, duplicate names (numpy refuses them),
    /// variable-length field types, and elements over
    /// [`MAX_ELEMENT_SIZE`] bytes. A byte order given for a one-byte or
    /// struct field is dropped.
    pub fn new(fields: Vec<(String, DataType, Option<Endian>)>) -> Result<Self, DataTypeError> {
        if fields.is_empty() {
            return Err(invalid("struct", "must have at least one field"));
        }
        if fields.len() > MAX_FIELDS {
            return Err(invalid(
                "struct",
                format!("{} fields (limit {MAX_FIELDS})", fields.len()),
            ));
        }
        let mut names = HashSet::new();
        let mut out = Vec::with_capacity(fields.len());
        let mut components = Vec::new();
        let mut offset = 0usize;
        for (name, data_type, endian) in fields {
            if !names.insert(name.clone()) {
                return Err(invalid(
                    "struct",
                    format!("field {name:?} occurs more than once"),
                ));
            }
            let size = data_type.size().ok_or_else(|| {
                invalid(
                    "struct",
                    format!("field {name:?} has the variable-length type {data_type}; struct fields must be fixed-size"),
                )
            })?;
            let endian = match data_type {
                DataType::Struct(s) => {
                    components.extend(s.0.components.iter().map(|c| Components {
                        offset: offset + c.offset,
                        ..*c
                    }));
                    None
                }
                _ => {
                    let cs = data_type.component_size().unwrap_or(1);
                    if cs > 1 {
                        components.push(Components {
                            offset,
                            size: cs,
                            count: size / cs,
                            endian,
                        });
                        endian
                    } else {
                        None
                    }
                }
            };
            out.push(StructField {
                name,
                data_type,
                endian,
                offset,
            });
            offset = offset
                .checked_add(size)
                .filter(|&n| n <= MAX_ELEMENT_SIZE)
                .ok_or_else(|| {
                    invalid(
                        "struct",
                        format!("elements larger than {MAX_ELEMENT_SIZE} bytes"),
                    )
                })?;
        }
        intern(StructLayout {
            fields: out,
            size: offset,
            components,
        })
        .map(StructType)
    }

    /// The fields, in order.
    pub fn fields(&self) -> &'static [StructField] {
        &self.0.fields
    }

    /// The element size: the sum of the field sizes.
    pub fn size(&self) -> usize {
        self.0.size
    }

    /// Nesting depth: 1 for a struct of non-struct fields.
    pub fn depth(&self) -> usize {
        1 + self
            .fields()
            .iter()
            .filter_map(|f| match f.data_type {
                DataType::Struct(s) => Some(s.depth()),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    }

    /// True when some field (at any depth) has multi-byte components, so
    /// that byte order matters.
    pub fn has_multi_byte_fields(&self) -> bool {
        !self.0.components.is_empty()
    }

    /// True when some field (at any depth) declares a V2 byte order.
    pub fn has_declared_byte_orders(&self) -> bool {
        self.0.components.iter().any(|c| c.endian.is_some())
    }

    /// True when elements of both structs are the same in memory: the same
    /// field names and types, whatever their V2 byte orders.
    pub fn same_elements(&self, other: &StructType) -> bool {
        self == other
            || (self.fields().len() == other.fields().len()
                && self
                    .fields()
                    .iter()
                    .zip(other.fields())
                    .all(|(a, b)| a.name == b.name && a.data_type.same_elements(&b.data_type)))
    }

    /// The one byte order every multi-byte field is stored in (fields that
    /// declare none count as little-endian): `Ok(None)` without multi-byte
    /// fields, `Err(())` when fields differ (V3 cannot say that).
    #[allow(clippy::result_unit_err)]
    pub fn uniform_byte_order(&self) -> Result<Option<Endian>, ()> {
        let mut orders = self
            .0
            .components
            .iter()
            .map(|c| c.endian.unwrap_or(Endian::Little));
        let first = orders.next();
        match first {
            Some(e) if orders.any(|o| o != e) => Err(()),
            _ => Ok(first),
        }
    }

    /// This struct with its V2 byte orders set to `endian` (`replace`:
    /// every one, `None` dropping them as V3 has them; else only where none
    /// is declared). See [`DataType::for_v3`] and [`DataType::for_v2`].
    pub(crate) fn with_byte_orders(
        &self,
        endian: Option<Endian>,
        replace: bool,
    ) -> Result<Self, DataTypeError> {
        let fields = self
            .fields()
            .iter()
            .map(|f| {
                let dt = match f.data_type {
                    DataType::Struct(s) => DataType::Struct(s.with_byte_orders(endian, replace)?),
                    d => d,
                };
                let e = if replace { endian } else { f.endian.or(endian) };
                Ok((f.name.clone(), dt, e))
            })
            .collect::<Result<Vec<_>, DataTypeError>>()?;
        StructType::new(fields)
    }

    /// Convert `data` (whole elements) between native byte order and the
    /// stored one: every multi-byte component in `stored` when given, else
    /// each in its declared V2 byte order (little when none is declared, as
    /// zarr-python assumes). Swapping is its own inverse, so this both
    /// encodes and decodes.
    pub(crate) fn swap(&self, data: &mut [u8], stored: Option<Endian>) {
        let native = Endian::native();
        let runs: Vec<Components> = self
            .0
            .components
            .iter()
            .filter(|c| stored.or(c.endian).unwrap_or(Endian::Little) != native)
            .copied()
            .collect();
        if runs.is_empty() || self.0.size == 0 {
            return;
        }
        for element in data.chunks_exact_mut(self.0.size) {
            for c in &runs {
                let end = c.offset + c.size * c.count;
                if let Some(part) = element.get_mut(c.offset..end) {
                    part.chunks_exact_mut(c.size).for_each(<[u8]>::reverse);
                }
            }
        }
    }

    /// True when [`StructType::swap`] with `stored` changes anything.
    pub(crate) fn needs_swap(&self, stored: Option<Endian>) -> bool {
        let native = Endian::native();
        self.0
            .components
            .iter()
            .any(|c| stored.or(c.endian).unwrap_or(Endian::Little) != native)
    }

    /// The V3 `data_type`: `{"name": "struct", "configuration": {"fields":
    /// [{"name": ..., "data_type": ...}, ...]}}`.
    pub fn to_v3_json(&self) -> Value {
        let fields: Vec<Value> = self
            .fields()
            .iter()
            .map(|f| json!({"name": f.name, "data_type": f.data_type.to_json()}))
            .collect();
        json!({"name": "struct", "configuration": {"fields": fields}})
    }

    /// Parse a V3 `struct` (or legacy `structured`) data type object.
    pub(crate) fn from_v3_json(
        o: &Map<String, Value>,
        depth: usize,
    ) -> Result<Self, DataTypeError> {
        let bad = |reason: String| invalid("struct", reason);
        if depth > MAX_DEPTH {
            return Err(bad(format!("structs nested deeper than {MAX_DEPTH}")));
        }
        if o.len() != 2 || !o.contains_key("configuration") {
            return Err(bad(
                "expected exactly the keys \"name\" and \"configuration\"".into(),
            ));
        }
        let cfg = o
            .get("configuration")
            .and_then(Value::as_object)
            .ok_or_else(|| bad("the configuration must be an object".into()))?;
        if cfg.len() != 1 {
            return Err(bad(
                "the configuration must hold exactly the key \"fields\"".into(),
            ));
        }
        let list = cfg
            .get("fields")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("\"fields\" must be a list".into()))?;
        let fields = list
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let (name, dt) = match f {
                    Value::Object(m) => (m.get("name"), m.get("data_type")),
                    Value::Array(a) if a.len() == 2 => (a.first(), a.get(1)),
                    other => {
                        return Err(bad(format!(
                            "field {i} must be {{\"name\": ..., \"data_type\": ...}} or a [name, data type] pair, not {other}"
                        )))
                    }
                };
                let name = name
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad(format!("field {i} has no string name")))?;
                let dt = dt.ok_or_else(|| bad(format!("field {name:?} has no data_type")))?;
                let dt = DataType::from_json_at(dt, depth + 1).map_err(|e| {
                    bad(format!("field {name:?}: {e}"))
                })?;
                Ok((name.to_string(), dt, None))
            })
            .collect::<Result<Vec<_>, _>>()?;
        StructType::new(fields)
    }

    /// The V2 `dtype`: a list of `[name, numpy type]` pairs, each field in
    /// its declared byte order, or `endian` where none is declared.
    pub fn to_v2_json(&self, endian: Endian) -> Value {
        Value::Array(
            self.fields()
                .iter()
                .map(|f| {
                    let t = f
                        .data_type
                        .to_v2_dtype(f.endian.unwrap_or(endian))
                        .unwrap_or(Value::Null);
                    json!([f.name, t])
                })
                .collect(),
        )
    }

    /// Parse a V2 structured `dtype` (a list of `[name, numpy type]` pairs).
    pub(crate) fn from_v2_json(list: &[Value], depth: usize) -> Result<Self, DataTypeError> {
        let bad = |reason: String| invalid("structured dtype", reason);
        if depth > MAX_DEPTH {
            return Err(bad(format!("structs nested deeper than {MAX_DEPTH}")));
        }
        let fields = list
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let pair = f.as_array().filter(|a| a.len() == 2).ok_or_else(|| {
                    bad(format!(
                        "field {i} must be a [name, type] pair (subarray fields are not supported), not {f}"
                    ))
                })?;
                let name = pair[0]
                    .as_str()
                    .ok_or_else(|| bad(format!("field {i} has no string name")))?;
                let (dt, endian) = match &pair[1] {
                    Value::String(s) if s == "|O" => {
                        return Err(bad(format!(
                            "field {name:?} is an object field; struct fields must be fixed-size"
                        )))
                    }
                    Value::String(s) => DataType::from_numpy_str(s)
                        .map_err(|e| bad(format!("field {name:?}: {e}")))?,
                    Value::Array(a) => (DataType::Struct(Self::from_v2_json(a, depth + 1)?), None),
                    other => {
                        return Err(bad(format!(
                            "field {name:?} has type {other}, expected a numpy type string or a list"
                        )))
                    }
                };
                Ok((name.to_string(), dt, endian))
            })
            .collect::<Result<Vec<_>, _>>()?;
        StructType::new(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(fields: &[(&str, DataType)]) -> StructType {
        StructType::new(
            fields
                .iter()
                .map(|(n, d)| (n.to_string(), *d, None))
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn interned_once() {
        let a = st(&[("a", DataType::Int32), ("b", DataType::Float64)]);
        let b = st(&[("a", DataType::Int32), ("b", DataType::Float64)]);
        assert!(std::ptr::eq(a.0, b.0));
        assert_eq!(a, b);
        let c = st(&[("a", DataType::Int32), ("c", DataType::Float64)]);
        assert_ne!(a, c);
        assert_eq!(a.size(), 12);
        assert_eq!(a.depth(), 1);
    }

    #[test]
    fn the_same_layout_is_stored_once() {
        let make = || st(&[("p", DataType::Int16), ("q", DataType::RawBytes(3))]);
        make();
        let before = interner().lock().map(|g| g.bytes).unwrap_or(0);
        for _ in 0..1000 {
            make();
            DataType::from_json(&json!({"name": "struct", "configuration": {"fields": [
                {"name": "p", "data_type": "int16"},
                {"name": "q", "data_type": {"name": "raw_bytes", "configuration": {"length_bytes": 3}}}
            ]}}))
            .unwrap();
        }
        let after = interner().lock().map(|g| g.bytes).unwrap_or(0);
        // Other tests may intern concurrently, but not 1000 layouts' worth.
        assert!(
            after - before < 1000 * make().0.footprint(),
            "{before} -> {after}"
        );
        assert!(after <= MAX_INTERNED_BYTES);
    }

    #[test]
    fn refuses_bad_layouts() {
        let e = StructType::new(vec![]).unwrap_err();
        assert!(e.to_string().contains("at least one field"), "{e}");
        let e = StructType::new(vec![
            ("a".into(), DataType::Int8, None),
            ("a".into(), DataType::Int8, None),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("more than once"), "{e}");
        let e = StructType::new(vec![("s".into(), DataType::String, None)]).unwrap_err();
        assert!(e.to_string().contains("fixed-size"), "{e}");
        let big = DataType::RawBytes((MAX_ELEMENT_SIZE / 2 + 1) as u32);
        let e =
            StructType::new(vec![("a".into(), big, None), ("b".into(), big, None)]).unwrap_err();
        assert!(e.to_string().contains("larger than"), "{e}");
    }

    #[test]
    fn swaps_declared_fields() {
        let s = StructType::new(vec![
            ("a".into(), DataType::Int32, Some(Endian::Big)),
            ("b".into(), DataType::UInt8, Some(Endian::Big)),
            ("c".into(), DataType::Int16, Some(Endian::Little)),
        ])
        .unwrap();
        assert_eq!(s.fields()[1].endian(), None);
        let mut d = vec![1, 2, 3, 4, 5, 6, 7];
        s.swap(&mut d, None);
        if Endian::native() == Endian::Little {
            assert_eq!(d, [4, 3, 2, 1, 5, 6, 7]);
        }
        let mut d = vec![1, 2, 3, 4, 5, 6, 7];
        s.swap(&mut d, Some(Endian::Big));
        if Endian::native() == Endian::Little {
            assert_eq!(d, [4, 3, 2, 1, 5, 7, 6]);
        }
        assert!(!st(&[("a", DataType::UInt8)]).has_multi_byte_fields());
        let nested = st(&[("x", DataType::UInt8), ("n", DataType::Struct(s))]);
        assert!(nested.has_declared_byte_orders());
        let mut d = vec![0, 1, 2, 3, 4, 5, 6, 7];
        nested.swap(&mut d, None);
        if Endian::native() == Endian::Little {
            assert_eq!(d, [0, 4, 3, 2, 1, 5, 6, 7]);
        }
        let v3 = nested.with_byte_orders(None, true).unwrap();
        assert!(!v3.has_declared_byte_orders());
        assert!(v3.has_multi_byte_fields());
    }
}
