//! Zarr V2 `.zarray`, `.zgroup` and `.zattrs`, and the mapping of a V2
//! array onto the V3 codec engine.
//!
//! A V2 array runs through the same engine as a V3 one: [`ArrayMetadataV2::to_v3`]
//! gives the equivalent [`ArrayMetadata`] (its codecs: a `transpose` for
//! order F, the filters, a `bytes` codec with the dtype's byte order, and the
//! compressor; its chunk key encoding: `v2` with the dimension separator).
//! The V2 metadata itself is kept to be written back exactly.

use super::{field, u64_list, MetadataError};
use super::{ArrayMetadata, ChunkGridMetadata, ChunkKeyEncodingMetadata, CodecMetadata};
use crate::buffer::Order;
use crate::codec::Endian;
use crate::dtype::{DataType, FillValue};
use serde_json::{json, Map, Value};

/// The metadata of a Zarr V2 array: `.zarray` plus the `.zattrs` attributes.
///
/// ```
/// use zarr::metadata::ArrayMetadataV2;
/// let z = br#"{"shape":[10],"chunks":[5],"dtype":">f8","fill_value":"NaN","order":"C",
///   "filters":null,"dimension_separator":".","compressor":{"id":"zlib","level":1},"zarr_format":2}"#;
/// let m = ArrayMetadataV2::from_json_bytes(z, None).unwrap();
/// assert_eq!(m.data_type, zarr::dtype::DataType::Float64);
/// let v3 = m.to_v3().unwrap();
/// assert_eq!(v3.codecs[0].name, "bytes");
/// assert_eq!(v3.codecs[1].name, "numcodecs.zlib");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ArrayMetadataV2 {
    /// The array shape.
    pub shape: Vec<u64>,
    /// The chunk shape.
    pub chunks: Vec<u64>,
    /// The `dtype` as written: a numpy type string (`"<i4"`, `"|O"`...) or,
    /// for a structured dtype, a list of `[name, type]` pairs.
    pub dtype: Value,
    /// The data type (`string` or `variable_length_bytes` for `|O` with a
    /// `vlen-utf8` or `vlen-bytes` filter).
    pub data_type: DataType,
    /// The byte order of stored elements (`None` for one-byte and object
    /// types, and for structs, whose fields declare their own).
    pub endian: Option<Endian>,
    /// The fill value as written (`null` allowed).
    pub fill_value: Value,
    /// Memory order of stored chunks.
    pub order: Order,
    /// The numcodecs filter configurations (`null` when none).
    pub filters: Option<Vec<Map<String, Value>>>,
    /// The numcodecs compressor configuration.
    pub compressor: Option<Map<String, Value>>,
    /// `.` or `/`; `None` when `.zarray` has no `dimension_separator`
    /// (zarr-python 2 omits the default `.`).
    pub dimension_separator: Option<char>,
    /// User attributes (`.zattrs`).
    pub attributes: Map<String, Value>,
}

/// The metadata of a Zarr V2 group: `.zgroup` plus `.zattrs`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct GroupMetadataV2 {
    /// User attributes (`.zattrs`).
    pub attributes: Map<String, Value>,
}

impl GroupMetadataV2 {
    /// Parse `.zgroup` (and optional `.zattrs`) bytes.
    pub fn from_json_bytes(zgroup: &[u8], zattrs: Option<&[u8]>) -> Result<Self, MetadataError> {
        let v: Value =
            super::json::parse(zgroup).map_err(|e| MetadataError::Json(e.to_string()))?;
        check_format(&v)?;
        Ok(GroupMetadataV2 {
            attributes: parse_attrs(zattrs)?,
        })
    }

    /// The `.zgroup` bytes, as zarr-python writes them.
    pub fn zgroup_bytes(&self) -> Vec<u8> {
        pretty(&json!({"zarr_format": 2}))
    }

    /// The `.zattrs` bytes.
    pub fn zattrs_bytes(&self) -> Vec<u8> {
        pretty(&Value::Object(self.attributes.clone()))
    }
}

use super::pyjson::pretty;

fn check_format(v: &Value) -> Result<(), MetadataError> {
    let obj = v
        .as_object()
        .ok_or_else(|| MetadataError::Json("V2 metadata must be a JSON object".into()))?;
    match obj.get("zarr_format") {
        Some(f) if f.as_u64() == Some(2) => Ok(()),
        Some(f) => Err(MetadataError::UnsupportedFormat(f.to_string())),
        None => Err(field("zarr_format", "missing")),
    }
}

fn parse_attrs(zattrs: Option<&[u8]>) -> Result<Map<String, Value>, MetadataError> {
    match zattrs {
        None => Ok(Map::new()),
        Some(b) => match super::json::parse(b) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Err(field(".zattrs", "must be a JSON object")),
            Err(e) => Err(MetadataError::Json(format!(".zattrs: {e}"))),
        },
    }
}

fn codec_config(v: &Value, name: &str) -> Result<Map<String, Value>, MetadataError> {
    match v {
        Value::Object(m) => match m.get("id") {
            Some(Value::String(_)) => Ok(m.clone()),
            _ => Err(field(name, format!("{v} has no string \"id\""))),
        },
        other => Err(field(
            name,
            format!("expected a codec object, found {other}"),
        )),
    }
}

fn codec_id(m: &Map<String, Value>) -> &str {
    m.get("id").and_then(Value::as_str).unwrap_or("")
}

/// The kind of chain stage a numcodecs id maps to.
#[derive(PartialEq)]
enum Stage {
    ArrayToArray,
    ArrayToBytes,
    BytesToBytes,
}

/// Map one numcodecs configuration onto a V3 codec entry. `item_size` is the
/// element size of the data the codec sees (blosc's typesize and shuffle).
fn v2_to_v3_codec(
    m: &Map<String, Value>,
    item_size: usize,
) -> Result<(Stage, CodecMetadata), MetadataError> {
    let id = codec_id(m);
    let mut rest = m.clone();
    rest.remove("id");
    let entry = |name: &str, c: Map<String, Value>| CodecMetadata::new(name, Some(c));
    Ok(match id {
        "zlib" | "lz4" | "shuffle" | "bz2" | "lzma" | "crc32" | "adler32" | "fletcher32"
        | "jenkins_lookup3" => (Stage::BytesToBytes, entry(&format!("numcodecs.{id}"), rest)),
        "delta" | "fixedscaleoffset" | "astype" | "quantize" | "categorize" | "bitround"
        | "packbits" => (Stage::ArrayToArray, entry(&format!("numcodecs.{id}"), rest)),
        "vlen-utf8" | "vlen-bytes" => (Stage::ArrayToBytes, CodecMetadata::new(id, None)),
        "gzip" => (Stage::BytesToBytes, entry("gzip", rest)),
        "zstd" => {
            let mut c = Map::new();
            c.insert("level".into(), rest.remove("level").unwrap_or(json!(0)));
            c.insert(
                "checksum".into(),
                rest.remove("checksum").unwrap_or(json!(false)),
            );
            if let Some(k) = rest.keys().next() {
                return Err(field("compressor", format!("unknown zstd setting {k:?}")));
            }
            (Stage::BytesToBytes, entry("zstd", c))
        }
        "blosc" => {
            let shuffle = match rest.get("shuffle").and_then(Value::as_i64).unwrap_or(1) {
                -1 if item_size == 1 => "bitshuffle",
                -1 | 1 => "shuffle",
                0 => "noshuffle",
                2 => "bitshuffle",
                s => return Err(field("compressor", format!("unknown blosc shuffle {s}"))),
            };
            let mut c = Map::new();
            c.insert("typesize".into(), json!(item_size));
            c.insert(
                "cname".into(),
                rest.get("cname").cloned().unwrap_or(json!("lz4")),
            );
            c.insert(
                "clevel".into(),
                rest.get("clevel").cloned().unwrap_or(json!(5)),
            );
            c.insert("shuffle".into(), json!(shuffle));
            c.insert(
                "blocksize".into(),
                rest.get("blocksize").cloned().unwrap_or(json!(0)),
            );
            (Stage::BytesToBytes, entry("blosc", c))
        }
        other => {
            return Err(MetadataError::UnknownCodec {
                id: other.to_string(),
            })
        }
    })
}

/// The data type and byte order an array-to-array filter outputs.
fn filter_output(m: &Map<String, Value>) -> Option<(DataType, Option<Endian>)> {
    let key = match codec_id(m) {
        "categorize" => {
            let s = m.get("astype").and_then(Value::as_str).unwrap_or("|u1");
            return DataType::from_numpy_str(s).ok();
        }
        "packbits" => return Some((DataType::UInt8, None)),
        "delta" | "fixedscaleoffset" | "quantize" => "astype",
        "astype" => "encode_dtype",
        _ => return None,
    };
    let s = m
        .get(key)
        .or_else(|| m.get("dtype"))
        .and_then(Value::as_str)?;
    DataType::from_numpy_str(s).ok()
}

impl ArrayMetadataV2 {
    /// Parse `.zarray` bytes and optional `.zattrs` bytes.
    pub fn from_json_bytes(zarray: &[u8], zattrs: Option<&[u8]>) -> Result<Self, MetadataError> {
        let v: Value =
            super::json::parse(zarray).map_err(|e| MetadataError::Json(e.to_string()))?;
        let mut m = Self::from_json(&v)?;
        m.attributes = parse_attrs(zattrs)?;
        Ok(m)
    }

    /// Parse a `.zarray` document (attributes are left empty).
    pub fn from_json(v: &Value) -> Result<Self, MetadataError> {
        check_format(v)?;
        let obj = v
            .as_object()
            .ok_or_else(|| field("zarr_format", "missing"))?;
        let shape = u64_list(obj.get("shape"), "shape")?;
        let chunks = u64_list(obj.get("chunks"), "chunks")?;
        if chunks.len() != shape.len() {
            return Err(field(
                "chunks",
                format!(
                    "{chunks:?} does not have the {} dimensions of the shape",
                    shape.len()
                ),
            ));
        }
        if chunks.contains(&0) {
            return Err(field("chunks", "chunk sizes must be at least 1"));
        }
        let filters = match obj.get("filters") {
            None | Some(Value::Null) => None,
            Some(Value::Array(a)) => Some(
                a.iter()
                    .map(|f| codec_config(f, "filters"))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            Some(other) => {
                return Err(field(
                    "filters",
                    format!("expected a list or null, found {other}"),
                ))
            }
        };
        let compressor = match obj.get("compressor") {
            None => return Err(field("compressor", "missing")),
            Some(Value::Null) => None,
            Some(c) => Some(codec_config(c, "compressor")?),
        };
        let dtype = match obj.get("dtype") {
            Some(v @ (Value::String(_) | Value::Array(_))) => v.clone(),
            Some(other) => {
                return Err(field(
                    "dtype",
                    format!(
                        "expected a numpy type string or a structured dtype list, found {other}"
                    ),
                ))
            }
            None => return Err(field("dtype", "missing")),
        };
        let (data_type, endian) = if dtype == "|O" {
            let ids: Vec<&str> = filters.iter().flatten().map(codec_id).collect();
            let dt = if ids.contains(&"vlen-utf8") || ids.contains(&"categorize") {
                DataType::String
            } else if ids.contains(&"vlen-bytes") {
                DataType::Bytes
            } else {
                return Err(field(
                    "dtype",
                    "an object dtype |O needs a vlen-utf8, vlen-bytes or categorize filter",
                ));
            };
            (dt, None)
        } else {
            DataType::from_v2_dtype(&dtype).map_err(|e| field("dtype", e))?
        };
        let order = match obj.get("order") {
            Some(Value::String(s)) if s == "C" => Order::C,
            Some(Value::String(s)) if s == "F" => Order::F,
            Some(other) => {
                return Err(field(
                    "order",
                    format!("must be \"C\" or \"F\", not {other}"),
                ))
            }
            None => return Err(field("order", "missing")),
        };
        let dimension_separator = match obj.get("dimension_separator") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s == "." || s == "/" => s.chars().next(),
            Some(other) => {
                return Err(field(
                    "dimension_separator",
                    format!("must be \".\" or \"/\", not {other}"),
                ))
            }
        };
        let fill_value = obj
            .get("fill_value")
            .cloned()
            .ok_or_else(|| field("fill_value", "missing"))?;
        let m = ArrayMetadataV2 {
            shape,
            chunks,
            dtype,
            data_type,
            endian,
            fill_value,
            order,
            filters,
            compressor,
            dimension_separator,
            attributes: Map::new(),
        };
        m.parsed_fill_value()?;
        Ok(m)
    }

    /// True when readers may not know what a missing chunk holds, so every
    /// chunk must be stored, even one holding only the fill value: a `null`
    /// fill value (zarr-python 2 reads missing chunks as uninitialized
    /// memory) or an object array whose fill value is not a string.
    pub fn stores_every_chunk(&self) -> bool {
        self.fill_value.is_null() || (self.dtype == "|O" && !self.fill_value.is_string())
    }

    /// The dimension separator (`.` when not written).
    pub fn separator(&self) -> char {
        self.dimension_separator.unwrap_or('.')
    }

    /// The fill value (the data type's default when `null`, and for object
    /// arrays whose fill value is not a string: zarr-python 2 writes `0`).
    pub fn parsed_fill_value(&self) -> Result<FillValue, MetadataError> {
        if self.fill_value.is_null() || (self.dtype == "|O" && !self.fill_value.is_string()) {
            return Ok(FillValue::default_for(self.data_type));
        }
        self.data_type
            .fill_value_from_json_v2(&self.fill_value)
            .map_err(|e| field("fill_value", e))
    }

    /// The `.zarray` document, with zarr-python's field order.
    pub fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.insert("shape".into(), json!(self.shape));
        o.insert("chunks".into(), json!(self.chunks));
        o.insert("dtype".into(), json!(self.dtype));
        o.insert("fill_value".into(), self.fill_value.clone());
        o.insert(
            "order".into(),
            json!(if self.order == Order::F { "F" } else { "C" }),
        );
        o.insert("filters".into(), json!(self.filters));
        if let Some(sep) = self.dimension_separator {
            o.insert("dimension_separator".into(), json!(sep.to_string()));
        }
        o.insert("compressor".into(), json!(self.compressor));
        o.insert("zarr_format".into(), json!(2));
        Value::Object(o)
    }

    /// The `.zarray` bytes, indented as zarr-python writes them.
    pub fn zarray_bytes(&self) -> Vec<u8> {
        pretty(&self.to_json())
    }

    /// The `.zattrs` bytes.
    pub fn zattrs_bytes(&self) -> Vec<u8> {
        pretty(&Value::Object(self.attributes.clone()))
    }

    /// The equivalent V3 metadata that drives the engine: same shape, chunks,
    /// data type, fill value and attributes; `v2` chunk keys; the filters,
    /// byte order, memory order and compressor as a V3 codec chain (numcodecs
    /// codecs without a V3 core equivalent under their `numcodecs.*` names).
    /// An unknown codec id is [`MetadataError::UnknownCodec`].
    pub fn to_v3(&self) -> Result<ArrayMetadata, MetadataError> {
        let mut codecs = Vec::new();
        let ndim = self.shape.len();
        if self.order == Order::F && ndim > 1 {
            let order: Vec<usize> = (0..ndim).rev().collect();
            let mut c = Map::new();
            c.insert("order".into(), json!(order));
            codecs.push(CodecMetadata::new("transpose", Some(c)));
        }
        // The element type and byte order of the data at the current stage.
        let mut stage_type = self.data_type;
        let mut endian = self.endian;
        let mut serialized = false;
        let mut item_size = self.data_type.size().unwrap_or(1);
        // A struct's fields declare their byte orders: its bytes codec has
        // no `endian`, which makes it follow them.
        let serializer = |dt: DataType, endian: Option<Endian>| {
            let mut c = Map::new();
            if dt.size().is_some_and(|s| s > 1) && !matches!(dt, DataType::Struct(_)) {
                c.insert(
                    "endian".into(),
                    json!(endian.unwrap_or(Endian::Little).as_str()),
                );
            }
            CodecMetadata::new("bytes", Some(c))
        };
        for f in self.filters.iter().flatten() {
            let (stage, entry) = v2_to_v3_codec(f, item_size)?;
            match stage {
                Stage::ArrayToArray => {
                    if serialized {
                        return Err(field(
                            "filters",
                            format!(
                                "filter {:?} works on arrays but follows a byte-level filter",
                                codec_id(f)
                            ),
                        ));
                    }
                    if let Some((dt, e)) = filter_output(f) {
                        stage_type = dt;
                        endian = e;
                        item_size = dt.size().unwrap_or(1);
                    }
                    codecs.push(entry);
                }
                Stage::ArrayToBytes => {
                    if serialized {
                        return Err(field("filters", "two serializing filters"));
                    }
                    serialized = true;
                    item_size = 1;
                    codecs.push(entry);
                }
                Stage::BytesToBytes => {
                    if !serialized {
                        codecs.push(serializer(stage_type, endian));
                        serialized = true;
                    }
                    codecs.push(entry);
                }
            }
        }
        if !serialized {
            if stage_type.is_variable_length() {
                return Err(field("filters", "an object array needs a vlen filter"));
            }
            codecs.push(serializer(stage_type, endian));
        }
        if let Some(c) = &self.compressor {
            let (stage, entry) = v2_to_v3_codec(c, item_size)?;
            if stage != Stage::BytesToBytes {
                return Err(field(
                    "compressor",
                    format!("{:?} is not a compressor", codec_id(c)),
                ));
            }
            codecs.push(entry);
        }
        Ok(ArrayMetadata {
            shape: self.shape.clone(),
            data_type: self.data_type,
            chunk_grid: ChunkGridMetadata::Regular {
                chunk_shape: self.chunks.clone(),
            },
            chunk_key_encoding: ChunkKeyEncodingMetadata::V2 {
                separator: self.separator(),
            },
            fill_value: self.parsed_fill_value()?,
            codecs,
            attributes: self.attributes.clone(),
            dimension_names: dimension_names_from_attributes(&self.attributes, ndim),
            storage_transformers: Vec::new(),
            extra_fields: Map::new(),
        })
    }
}

/// The attribute in which xarray keeps the names of a Zarr V2 array's
/// dimensions (Zarr V2 has no field for them).
pub const ARRAY_DIMENSIONS: &str = "_ARRAY_DIMENSIONS";

/// The dimension names a V2 array's [`ARRAY_DIMENSIONS`] attribute gives:
/// a list of `ndim` strings (or nulls), else none.
pub fn dimension_names_from_attributes(
    attributes: &Map<String, Value>,
    ndim: usize,
) -> Option<Vec<Option<String>>> {
    let list = attributes.get(ARRAY_DIMENSIONS)?.as_array()?;
    if list.len() != ndim {
        return None;
    }
    list.iter()
        .map(|v| match v {
            Value::String(s) => Some(Some(s.clone())),
            Value::Null => Some(None),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PY: &str = r#"{
  "shape": [10, 7],
  "chunks": [4, 3],
  "dtype": "<i4",
  "fill_value": 0,
  "order": "C",
  "filters": null,
  "dimension_separator": ".",
  "compressor": {"id": "zstd", "level": 0},
  "zarr_format": 2
}"#;

    #[test]
    fn round_trip() {
        let v: Value = serde_json::from_str(PY).unwrap_or_default();
        let m = ArrayMetadataV2::from_json(&v).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.to_json(), v);
        let v3 = m.to_v3().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v3.codecs.len(), 2);
        assert_eq!(v3.codecs[1].get("checksum"), Some(&json!(false)));
    }

    #[test]
    fn bad_input() {
        for (k, bad) in [
            ("shape", json!("x")),
            ("chunks", json!([1])),
            ("dtype", json!("<i3")),
            ("dtype", json!([])),
            ("dtype", json!([["a", "<i4"], ["a", "<i4"]])),
            ("dtype", json!([["a", "<i4", [2]]])),
            ("dtype", json!([["a", "|O"]])),
            ("dtype", json!([["a", "<i3"]])),
            ("dtype", json!("|V999999999999")),
            ("dtype", json!("|V0")),
            ("dtype", json!({"a": "<i4"})),
            ("dtype", json!("|O")),
            ("fill_value", json!("x")),
            ("order", json!("K")),
            ("compressor", json!({"level": 1})),
            ("filters", json!({})),
            ("zarr_format", json!(3)),
            ("dimension_separator", json!("-")),
        ] {
            let mut v: Value = serde_json::from_str(PY).unwrap_or_default();
            v[k] = bad;
            assert!(ArrayMetadataV2::from_json(&v).is_err(), "{k}");
        }
        for k in [
            "shape",
            "dtype",
            "compressor",
            "fill_value",
            "order",
            "zarr_format",
        ] {
            let mut v: Value = serde_json::from_str(PY).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.remove(k);
            }
            assert!(ArrayMetadataV2::from_json(&v).is_err(), "missing {k}");
        }
        let mut v: Value = serde_json::from_str(PY).unwrap_or_default();
        v["compressor"] = json!({"id": "snappy9"});
        let m = ArrayMetadataV2::from_json(&v).unwrap_or_else(|e| panic!("{e}"));
        let e = m.to_v3().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("snappy9"), "{e}");
    }
}
