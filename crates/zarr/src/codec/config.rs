//! Helpers shared by the codec factories: reading and validating the
//! `configuration` object of a codec's metadata entry.
//!
//! Every error is a [`CodecError::InvalidConfiguration`] naming the codec and
//! the offending key.

use super::CodecError;
use crate::metadata::CodecMetadata;
use serde_json::{Map, Value};

/// A [`CodecError::InvalidConfiguration`] for `codec`.
pub(crate) fn invalid(codec: &str, message: impl Into<String>) -> CodecError {
    CodecError::InvalidConfiguration {
        codec: codec.to_string(),
        message: message.into(),
    }
}

/// A short description of a JSON value's type, for error messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A codec's configuration object, checked against the keys the codec knows.
pub(crate) struct Config<'a> {
    codec: &'a str,
    map: Option<&'a Map<String, Value>>,
}

impl<'a> Config<'a> {
    /// Check `metadata`'s configuration: every key must be in `allowed`, and
    /// when `required` the configuration object must be present (zarr-python
    /// refuses entries without one for most codecs).
    pub(crate) fn new(
        metadata: &'a CodecMetadata,
        codec: &'a str,
        allowed: &[&str],
        required: bool,
    ) -> Result<Self, CodecError> {
        let map = metadata.configuration.as_ref();
        if required && map.is_none() {
            return Err(invalid(codec, "the entry has no \"configuration\" object"));
        }
        if let Some(k) = metadata.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(invalid(codec, format!("unknown configuration key {k:?}")));
        }
        Ok(Config { codec, map })
    }

    /// The value of `key`; `null` counts as absent.
    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.and_then(|m| m.get(key)).filter(|v| !v.is_null())
    }

    /// True when `key` is present with a `null` value.
    pub(crate) fn is_null(&self, key: &str) -> bool {
        self.map
            .and_then(|m| m.get(key))
            .is_some_and(Value::is_null)
    }

    /// An error about `key`.
    pub(crate) fn error(&self, key: &str, message: impl std::fmt::Display) -> CodecError {
        invalid(self.codec, format!("{key:?} {message}"))
    }

    /// An integer value (`null` is an error).
    pub(crate) fn int(&self, key: &str) -> Result<Option<i64>, CodecError> {
        if self.is_null(key) {
            return Err(self.error(key, "must be an integer, got null"));
        }
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| self.error(key, format!("must be an integer in range, got {n}"))),
            Some(v) => Err(self.error(key, format!("must be an integer, got {}", kind(v)))),
        }
    }

    /// An integer value within `range`.
    pub(crate) fn int_in(
        &self,
        key: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Result<Option<i64>, CodecError> {
        match self.int(key)? {
            Some(v) if !range.contains(&v) => Err(self.error(
                key,
                format!("must be in {}..={}, got {v}", range.start(), range.end()),
            )),
            v => Ok(v),
        }
    }

    /// A boolean value (`null` is an error).
    pub(crate) fn bool(&self, key: &str) -> Result<Option<bool>, CodecError> {
        if self.is_null(key) {
            return Err(self.error(key, "must be a boolean, got null"));
        }
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(self.error(key, format!("must be a boolean, got {}", kind(v)))),
        }
    }

    /// A string value, which must be one of `choices` (`null` counts as absent).
    pub(crate) fn choice(
        &self,
        key: &str,
        choices: &[&str],
    ) -> Result<Option<&'a str>, CodecError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if choices.contains(&s.as_str()) => Ok(Some(s.as_str())),
            Some(v) => Err(self.error(key, format!("must be one of {choices:?}, got {v}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(json: &str) -> CodecMetadata {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("bad test JSON {json}: {e}"))
    }

    #[test]
    fn keys_and_types() {
        let m = meta(r#"{"name":"x","configuration":{"a":1,"b":true,"c":"s","n":null,"f":1.5}}"#);
        assert!(Config::new(&m, "x", &["a"], true).is_err());
        let c = Config::new(&m, "x", &["a", "b", "c", "n", "f"], true)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.int("a").ok(), Some(Some(1)));
        assert!(c.int("b").is_err());
        assert!(c.int("n").is_err());
        assert!(c.int("f").is_err());
        assert_eq!(c.int("missing").ok(), Some(None));
        assert_eq!(c.bool("b").ok(), Some(Some(true)));
        assert!(c.bool("a").is_err());
        assert_eq!(c.choice("c", &["s"]).ok(), Some(Some("s")));
        assert!(c.choice("c", &["t"]).is_err());
        assert_eq!(c.choice("n", &["t"]).ok(), Some(None));
        assert!(c.int_in("a", 2..=3).is_err());
        let bare = meta(r#""x""#);
        assert!(Config::new(&bare, "x", &[], true).is_err());
        assert!(Config::new(&bare, "x", &[], false).is_ok());
    }
}
