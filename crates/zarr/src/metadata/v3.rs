//! Zarr V3 `zarr.json`.

use super::{CodecMetadata, MetadataError};
use crate::dtype::{DataType, FillValue};
use serde_json::{json, Map, Value};

/// The chunk grid. Only the `regular` grid exists in V3 core.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChunkGridMetadata {
    /// Every chunk has `chunk_shape`.
    Regular {
        /// The chunk shape.
        chunk_shape: Vec<u64>,
    },
}

impl ChunkGridMetadata {
    /// The regular chunk shape.
    pub fn chunk_shape(&self) -> &[u64] {
        match self {
            ChunkGridMetadata::Regular { chunk_shape } => chunk_shape,
        }
    }
}

/// How chunk grid coordinates become store keys.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChunkKeyEncodingMetadata {
    /// `c/1/2` (or `c.1.2`); `c` for a 0-d array.
    Default {
        /// `/` or `.`.
        separator: char,
    },
    /// `1.2` (or `1/2`); `0` for a 0-d array.
    V2 {
        /// `.` or `/`.
        separator: char,
    },
}

impl ChunkKeyEncodingMetadata {
    fn to_json(&self) -> Value {
        match self {
            ChunkKeyEncodingMetadata::Default { separator } => {
                json!({"name": "default", "configuration": {"separator": separator.to_string()}})
            }
            ChunkKeyEncodingMetadata::V2 { separator } => {
                json!({"name": "v2", "configuration": {"separator": separator.to_string()}})
            }
        }
    }

    fn from_json(v: &Value) -> Result<Self, MetadataError> {
        let m: CodecMetadata =
            serde_json::from_value(v.clone()).map_err(|e| field("chunk_key_encoding", e))?;
        let sep = match m.get("separator") {
            None => None,
            Some(Value::String(s)) if s == "/" || s == "." => s.chars().next(),
            Some(other) => {
                return Err(field(
                    "chunk_key_encoding",
                    format!("separator must be \"/\" or \".\", not {other}"),
                ))
            }
        };
        if let Some(k) = m.keys().find(|k| *k != "separator") {
            return Err(field(
                "chunk_key_encoding",
                format!("unknown configuration key {k:?}"),
            ));
        }
        match m.name.as_str() {
            "default" => Ok(ChunkKeyEncodingMetadata::Default {
                separator: sep.unwrap_or('/'),
            }),
            "v2" => Ok(ChunkKeyEncodingMetadata::V2 {
                separator: sep.unwrap_or('.'),
            }),
            other => Err(MetadataError::UnsupportedExtension {
                name: format!("chunk_key_encoding {other}"),
            }),
        }
    }
}

/// The metadata of a V3 array.
#[derive(Clone, Debug, PartialEq)]
pub struct ArrayMetadata {
    /// The array shape.
    pub shape: Vec<u64>,
    /// The data type.
    pub data_type: DataType,
    /// The chunk grid.
    pub chunk_grid: ChunkGridMetadata,
    /// The chunk key encoding.
    pub chunk_key_encoding: ChunkKeyEncodingMetadata,
    /// The fill value.
    pub fill_value: FillValue,
    /// The codec chain.
    pub codecs: Vec<CodecMetadata>,
    /// User attributes.
    pub attributes: Map<String, Value>,
    /// Optional names of the dimensions.
    pub dimension_names: Option<Vec<Option<String>>>,
    /// Storage transformers (none are defined; any that must be understood is an error).
    pub storage_transformers: Vec<CodecMetadata>,
    /// Extra fields that need not be understood, kept to be written back.
    pub extra_fields: Map<String, Value>,
}

/// The metadata of a V3 group.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct GroupMetadata {
    /// User attributes.
    pub attributes: Map<String, Value>,
    /// Consolidated metadata, as stored (kept verbatim).
    pub consolidated_metadata: Option<Value>,
    /// Extra fields that need not be understood, kept to be written back.
    pub extra_fields: Map<String, Value>,
}

/// Array or group metadata.
#[derive(Clone, Debug, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum NodeMetadata {
    /// An array.
    Array(ArrayMetadata),
    /// A group.
    Group(GroupMetadata),
}

pub(super) fn field(name: &str, message: impl std::fmt::Display) -> MetadataError {
    MetadataError::InvalidField {
        field: name.to_string(),
        message: message.to_string(),
    }
}

pub(super) fn u64_list(v: Option<&Value>, name: &str) -> Result<Vec<u64>, MetadataError> {
    let a = v
        .and_then(|v| v.as_array())
        .ok_or_else(|| field(name, "expected a list of non-negative integers"))?;
    a.iter()
        .map(|x| {
            x.as_u64()
                .ok_or_else(|| field(name, format!("{x} is not a non-negative integer")))
        })
        .collect()
}

/// Split off unknown top-level fields: those that need not be understood are
/// kept; any other is an error.
fn extra_fields(
    obj: &Map<String, Value>,
    known: &[&str],
) -> Result<Map<String, Value>, MetadataError> {
    let mut extra = Map::new();
    for (k, v) in obj {
        if known.contains(&k.as_str()) {
            continue;
        }
        let optional = v
            .as_object()
            .and_then(|o| o.get("must_understand"))
            .and_then(|m| m.as_bool())
            == Some(false);
        if !optional {
            return Err(MetadataError::UnsupportedExtension { name: k.clone() });
        }
        extra.insert(k.clone(), v.clone());
    }
    Ok(extra)
}

impl NodeMetadata {
    /// Parse `zarr.json` bytes.
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Self, MetadataError> {
        let v: Value = super::json::parse(bytes).map_err(|e| MetadataError::Json(e.to_string()))?;
        Self::from_json(&v)
    }

    /// Parse a `zarr.json` document.
    pub fn from_json(v: &Value) -> Result<Self, MetadataError> {
        let obj = v
            .as_object()
            .ok_or_else(|| MetadataError::Json("zarr.json must be a JSON object".into()))?;
        match obj.get("zarr_format") {
            Some(f) if f.as_u64() == Some(3) => {}
            Some(f) => return Err(MetadataError::UnsupportedFormat(f.to_string())),
            None => return Err(field("zarr_format", "missing")),
        }
        match obj.get("node_type").and_then(|n| n.as_str()) {
            Some("array") => ArrayMetadata::from_object(obj).map(NodeMetadata::Array),
            Some("group") => GroupMetadata::from_object(obj).map(NodeMetadata::Group),
            Some(other) => Err(field(
                "node_type",
                format!("must be \"array\" or \"group\", not {other:?}"),
            )),
            None => Err(field("node_type", "missing")),
        }
    }

    /// The `zarr.json` document.
    pub fn to_json(&self) -> Value {
        match self {
            NodeMetadata::Array(a) => a.to_json(),
            NodeMetadata::Group(g) => g.to_json(),
        }
    }

    /// The `zarr.json` bytes, as zarr-python writes them (Python's
    /// `json.dumps` with `indent=2`).
    pub fn to_json_bytes(&self) -> Vec<u8> {
        super::pyjson::pretty(&self.to_json())
    }
}

impl GroupMetadata {
    fn from_object(obj: &Map<String, Value>) -> Result<Self, MetadataError> {
        let attributes = match obj.get("attributes") {
            None => Map::new(),
            Some(Value::Object(a)) => a.clone(),
            Some(_) => return Err(field("attributes", "must be an object")),
        };
        let consolidated_metadata = obj
            .get("consolidated_metadata")
            .filter(|v| !v.is_null())
            .cloned();
        let extra_fields = extra_fields(
            obj,
            &[
                "zarr_format",
                "node_type",
                "attributes",
                "consolidated_metadata",
            ],
        )?;
        Ok(GroupMetadata {
            attributes,
            consolidated_metadata,
            extra_fields,
        })
    }

    /// The `zarr.json` document, as zarr-python writes it.
    pub fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.insert("attributes".into(), Value::Object(self.attributes.clone()));
        o.insert("zarr_format".into(), json!(3));
        if let Some(c) = &self.consolidated_metadata {
            o.insert("consolidated_metadata".into(), c.clone());
        }
        o.insert("node_type".into(), json!("group"));
        for (k, v) in &self.extra_fields {
            o.insert(k.clone(), v.clone());
        }
        Value::Object(o)
    }

    /// The `zarr.json` bytes, as zarr-python writes them (Python's
    /// `json.dumps` with `indent=2`).
    pub fn to_json_bytes(&self) -> Vec<u8> {
        super::pyjson::pretty(&self.to_json())
    }
}

impl ArrayMetadata {
    /// Parse array metadata from a `zarr.json` object.
    pub fn from_object(obj: &Map<String, Value>) -> Result<Self, MetadataError> {
        let shape = u64_list(obj.get("shape"), "shape")?;
        let data_type = match obj.get("data_type") {
            Some(Value::String(s)) => DataType::from_name(s).map_err(|e| field("data_type", e))?,
            Some(v @ Value::Object(o))
                if matches!(
                    o.get("name").and_then(Value::as_str),
                    Some(
                        "null_terminated_bytes"
                            | "fixed_length_utf32"
                            | "numpy.datetime64"
                            | "numpy.timedelta64"
                            | "raw_bytes"
                            | "struct"
                            | "structured"
                    )
                ) =>
            {
                DataType::from_json(v).map_err(|e| field("data_type", e))?
            }
            Some(Value::Object(o)) => {
                let name = o.get("name").and_then(|n| n.as_str()).unwrap_or("?");
                return Err(MetadataError::UnsupportedExtension {
                    name: format!("data_type {name}"),
                });
            }
            Some(other) => {
                return Err(field(
                    "data_type",
                    format!("expected a name, found {other}"),
                ))
            }
            None => return Err(field("data_type", "missing")),
        };
        let grid: CodecMetadata = serde_json::from_value(
            obj.get("chunk_grid")
                .cloned()
                .ok_or_else(|| field("chunk_grid", "missing"))?,
        )
        .map_err(|e| field("chunk_grid", e))?;
        if grid.name != "regular" {
            return Err(MetadataError::UnsupportedExtension {
                name: format!("chunk_grid {}", grid.name),
            });
        }
        let chunk_shape = u64_list(
            grid.get("chunk_shape"),
            "chunk_grid.configuration.chunk_shape",
        )?;
        if chunk_shape.len() != shape.len() {
            return Err(field(
                "chunk_grid",
                format!(
                    "chunk shape {chunk_shape:?} has {} dimensions but the shape {shape:?} has {}",
                    chunk_shape.len(),
                    shape.len()
                ),
            ));
        }
        if chunk_shape.contains(&0) {
            return Err(field("chunk_grid", "chunk sizes must be at least 1"));
        }
        let chunk_key_encoding = ChunkKeyEncodingMetadata::from_json(
            obj.get("chunk_key_encoding")
                .ok_or_else(|| field("chunk_key_encoding", "missing"))?,
        )?;
        let fill_value = data_type
            .fill_value_from_json(
                obj.get("fill_value")
                    .ok_or_else(|| field("fill_value", "missing"))?,
            )
            .map_err(|e| field("fill_value", e))?;
        let codecs: Vec<CodecMetadata> = serde_json::from_value(
            obj.get("codecs")
                .cloned()
                .ok_or_else(|| field("codecs", "missing"))?,
        )
        .map_err(|e| field("codecs", e))?;
        if codecs.is_empty() {
            return Err(field(
                "codecs",
                "at least one codec (the array-to-bytes codec) is required",
            ));
        }
        let attributes = match obj.get("attributes") {
            None => Map::new(),
            Some(Value::Object(a)) => a.clone(),
            Some(_) => return Err(field("attributes", "must be an object")),
        };
        let dimension_names = match obj.get("dimension_names") {
            None | Some(Value::Null) => None,
            Some(Value::Array(names)) => {
                if names.len() != shape.len() {
                    return Err(field(
                        "dimension_names",
                        format!("{} names for {} dimensions", names.len(), shape.len()),
                    ));
                }
                Some(
                    names
                        .iter()
                        .map(|n| match n {
                            Value::Null => Ok(None),
                            Value::String(s) => Ok(Some(s.clone())),
                            other => Err(field(
                                "dimension_names",
                                format!("{other} is not a string or null"),
                            )),
                        })
                        .collect::<Result<_, _>>()?,
                )
            }
            Some(_) => return Err(field("dimension_names", "must be a list")),
        };
        let storage_transformers: Vec<CodecMetadata> = match obj.get("storage_transformers") {
            None => Vec::new(),
            Some(v) => {
                serde_json::from_value(v.clone()).map_err(|e| field("storage_transformers", e))?
            }
        };
        if let Some(t) = storage_transformers
            .iter()
            .find(|t| t.must_understand != Some(false))
        {
            return Err(MetadataError::UnsupportedExtension {
                name: format!("storage transformer {}", t.name),
            });
        }
        let extra_fields = extra_fields(
            obj,
            &[
                "zarr_format",
                "node_type",
                "shape",
                "data_type",
                "chunk_grid",
                "chunk_key_encoding",
                "fill_value",
                "codecs",
                "attributes",
                "dimension_names",
                "storage_transformers",
            ],
        )?;
        Ok(ArrayMetadata {
            shape,
            data_type,
            chunk_grid: ChunkGridMetadata::Regular { chunk_shape },
            chunk_key_encoding,
            fill_value,
            codecs,
            attributes,
            dimension_names,
            storage_transformers,
            extra_fields,
        })
    }

    /// The regular chunk shape.
    pub fn chunk_shape(&self) -> &[u64] {
        self.chunk_grid.chunk_shape()
    }

    /// The `zarr.json` document, with zarr-python's field order.
    pub fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.insert("shape".into(), json!(self.shape));
        o.insert("data_type".into(), self.data_type.to_json());
        o.insert(
            "chunk_grid".into(),
            json!({"name": "regular", "configuration": {"chunk_shape": self.chunk_shape()}}),
        );
        o.insert(
            "chunk_key_encoding".into(),
            self.chunk_key_encoding.to_json(),
        );
        o.insert(
            "fill_value".into(),
            self.data_type.fill_value_to_json(&self.fill_value),
        );
        o.insert(
            "codecs".into(),
            serde_json::to_value(&self.codecs).unwrap_or(Value::Null),
        );
        o.insert("attributes".into(), Value::Object(self.attributes.clone()));
        if let Some(d) = &self.dimension_names {
            o.insert("dimension_names".into(), json!(d));
        }
        o.insert("zarr_format".into(), json!(3));
        o.insert("node_type".into(), json!("array"));
        o.insert(
            "storage_transformers".into(),
            serde_json::to_value(&self.storage_transformers).unwrap_or(Value::Null),
        );
        for (k, v) in &self.extra_fields {
            o.insert(k.clone(), v.clone());
        }
        Value::Object(o)
    }

    /// The `zarr.json` bytes, indented as zarr-python writes them.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        super::pyjson::pretty(&self.to_json())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PY: &str = r#"{"shape":[10],"data_type":"float64","chunk_grid":{"name":"regular","configuration":{"chunk_shape":[5]}},
      "chunk_key_encoding":{"name":"default","configuration":{"separator":"/"}},"fill_value":"NaN",
      "codecs":[{"name":"bytes","configuration":{"endian":"little"}}],"attributes":{"a":1},"dimension_names":["x"],
      "zarr_format":3,"node_type":"array","storage_transformers":[]}"#;

    #[test]
    fn round_trip() {
        let v: Value = serde_json::from_str(PY).unwrap();
        let m = NodeMetadata::from_json(&v).unwrap();
        assert_eq!(m.to_json(), v);
    }

    #[test]
    fn must_understand() {
        let mut v: Value = serde_json::from_str(PY).unwrap();
        v["my_ext"] = json!({"must_understand": false, "x": 1});
        let m = NodeMetadata::from_json(&v).unwrap();
        assert_eq!(m.to_json()["my_ext"]["x"], 1);
        v["other_ext"] = json!({"x": 1});
        assert!(matches!(
            NodeMetadata::from_json(&v),
            Err(MetadataError::UnsupportedExtension { .. })
        ));
    }

    #[test]
    fn bad_fields() {
        for (k, bad) in [
            ("shape", json!([-1])),
            ("data_type", json!("int128")),
            ("fill_value", json!("x")),
            ("codecs", json!([])),
            ("chunk_grid", json!({"name": "rectilinear"})),
        ] {
            let mut v: Value = serde_json::from_str(PY).unwrap();
            v[k] = bad;
            assert!(NodeMetadata::from_json(&v).is_err(), "{k}");
        }
        assert!(NodeMetadata::from_json_bytes(b"{not json").is_err());
    }

    #[test]
    fn group() {
        let v = json!({"attributes": {"x": [1]}, "zarr_format": 3, "node_type": "group"});
        let m = NodeMetadata::from_json(&v).unwrap();
        assert_eq!(m.to_json(), v);
    }
}
