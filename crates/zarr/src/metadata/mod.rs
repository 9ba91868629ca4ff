//! Node metadata: Zarr V3 `zarr.json` and Zarr V2 `.zarray` / `.zgroup` /
//! `.zattrs` for arrays and groups.
//!
//! Parsing validates everything we rely on later (shapes, chunk grid, chunk
//! key encoding, data type, fill value, extension fields) and writing gives the
//! same fields, in the same order, as zarr-python 3.

pub mod json;
pub(crate) mod pyjson;
mod v2;
mod v3;

pub use v2::{dimension_names_from_attributes, ArrayMetadataV2, GroupMetadataV2, ARRAY_DIMENSIONS};
use v3::{field, u64_list};

pub use v3::{
    ArrayMetadata, ChunkGridMetadata, ChunkKeyEncodingMetadata, GroupMetadata, NodeMetadata,
};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A `{"name": ..., "configuration": {...}}` entry (codecs, chunk grids,
/// chunk key encodings, extensions).
///
/// ```
/// use zarr::metadata::CodecMetadata;
/// let m: CodecMetadata = serde_json::from_str(r#"{"name":"zstd","configuration":{"level":3}}"#).unwrap();
/// assert_eq!(m.name, "zstd");
/// assert_eq!(m.get("level").and_then(|v| v.as_i64()), Some(3));
/// let bare: CodecMetadata = serde_json::from_str(r#""crc32c""#).unwrap();
/// assert!(bare.configuration.is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CodecMetadata {
    /// The name.
    pub name: String,
    /// The configuration, when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub configuration: Option<Map<String, Value>>,
    /// `must_understand` when given (extensions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub must_understand: Option<bool>,
}

impl CodecMetadata {
    /// An entry with a name and configuration.
    pub fn new(name: &str, configuration: Option<Map<String, Value>>) -> Self {
        CodecMetadata {
            name: name.to_string(),
            configuration,
            must_understand: None,
        }
    }

    /// A configuration value.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.configuration.as_ref().and_then(|c| c.get(key))
    }

    /// The configuration keys, to reject unknown ones.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.configuration.iter().flat_map(|c| c.keys())
    }
}

impl<'de> Deserialize<'de> for CodecMetadata {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let v = Value::deserialize(d)?;
        match v {
            // The short form: a bare name.
            Value::String(name) => Ok(CodecMetadata {
                name,
                configuration: None,
                must_understand: None,
            }),
            Value::Object(mut o) => {
                let name = match o.remove("name") {
                    Some(Value::String(s)) => s,
                    _ => {
                        return Err(D::Error::custom(
                            "a named configuration needs a string \"name\"",
                        ))
                    }
                };
                let configuration = match o.remove("configuration") {
                    None => None,
                    Some(Value::Object(c)) => Some(c),
                    Some(_) => {
                        return Err(D::Error::custom(format!(
                            "the configuration of {name} must be an object"
                        )))
                    }
                };
                let must_understand = match o.remove("must_understand") {
                    None => None,
                    Some(Value::Bool(b)) => Some(b),
                    Some(_) => return Err(D::Error::custom("must_understand must be a boolean")),
                };
                if let Some(k) = o.keys().next() {
                    return Err(D::Error::custom(format!(
                        "unexpected field {k:?} in {name}"
                    )));
                }
                Ok(CodecMetadata {
                    name,
                    configuration,
                    must_understand,
                })
            }
            _ => Err(D::Error::custom(
                "expected a name or a {name, configuration} object",
            )),
        }
    }
}

/// An error in node metadata.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MetadataError {
    /// The JSON does not parse.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// A required field is missing or has the wrong type.
    #[error("invalid field {field:?}: {message}")]
    InvalidField {
        /// The field.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// An extension we do not implement that must be understood.
    #[error("unsupported extension {name:?} (must_understand is true)")]
    UnsupportedExtension {
        /// The extension's field or name.
        name: String,
    },
    /// The node is not of the expected kind.
    #[error("expected a {expected} but found a {found}")]
    WrongNodeType {
        /// What was expected.
        expected: &'static str,
        /// What was found.
        found: String,
    },
    /// A Zarr V2 filter or compressor id that is not a codec we implement.
    #[error("unknown codec id {id:?} (not a numcodecs codec this library implements)")]
    UnknownCodec {
        /// The numcodecs `id`.
        id: String,
    },
    /// The format version is not one we read.
    #[error("unsupported zarr_format {0}")]
    UnsupportedFormat(String),
}
