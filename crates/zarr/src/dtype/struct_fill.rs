//! Fill values of struct data types, in the JSON forms zarr-python 3.4.2
//! reads and writes.
//!
//! * V3 writes an object of field name to the field's own fill value JSON
//!   (`{"a": 0, "b": 1.5}`, nested structs as nested objects). It reads that
//!   form (a missing field takes its type's default, unknown keys are
//!   ignored) or a base64 string of the element's bytes, every field
//!   little-endian.
//! * V2 writes a base64 string of the element's bytes, each field in its
//!   declared byte order; it reads that or the object form.
//!
//! Fill values in memory hold every field native-endian.

use super::fill_value::{base64_decode, base64_encode};
use super::{DataType, DataTypeError, FillValue, StructType};
use crate::codec::Endian;
use serde_json::{Map, Value};

fn invalid(data_type: DataType, value: &Value, reason: impl Into<String>) -> DataTypeError {
    DataTypeError::InvalidFillValue {
        data_type,
        value: value.to_string(),
        reason: reason.into(),
    }
}

impl StructType {
    /// Parse a fill value (`v2`: from `.zarray`, else from `zarr.json`) to
    /// native-endian element bytes.
    pub(crate) fn fill_from_json(&self, value: &Value, v2: bool) -> Result<Vec<u8>, DataTypeError> {
        let dt = DataType::Struct(*self);
        match value {
            Value::Object(m) => {
                let mut out = Vec::with_capacity(self.size());
                for f in self.fields() {
                    let fv = match m.get(f.name()) {
                        Some(v) => {
                            f.data_type()
                                .fill_value_from_json_format(v, v2)
                                .map_err(|e| {
                                    invalid(dt, value, format!("field {:?}: {e}", f.name()))
                                })?
                        }
                        None => FillValue::default_for(f.data_type()),
                    };
                    out.extend_from_slice(fv.as_bytes());
                }
                Ok(out)
            }
            Value::String(s) => {
                let mut b = base64_decode(s).ok_or_else(|| {
                    invalid(
                        dt,
                        value,
                        "expected an object of field values or a base64 string",
                    )
                })?;
                if b.len() != self.size() {
                    return Err(invalid(
                        dt,
                        value,
                        format!("{} bytes, expected {}", b.len(), self.size()),
                    ));
                }
                self.swap(&mut b, if v2 { None } else { Some(Endian::Little) });
                Ok(b)
            }
            _ => Err(invalid(
                dt,
                value,
                "expected an object of field values or a base64 string",
            )),
        }
    }

    /// The V3 fill value: an object of field name to field fill value.
    pub(crate) fn fill_to_json_v3(&self, bytes: &[u8]) -> Value {
        let mut m = Map::new();
        for f in self.fields() {
            let size = f.data_type().size().unwrap_or(0);
            let v = bytes
                .get(f.offset()..f.offset() + size)
                .map_or(Value::Null, |b| {
                    f.data_type()
                        .fill_value_to_json(&FillValue::new(b.to_vec()))
                });
            m.insert(f.name().to_string(), v);
        }
        Value::Object(m)
    }

    /// The V2 fill value: base64 of the element bytes, each field in its
    /// declared byte order (little where none is declared).
    pub(crate) fn fill_to_json_v2(&self, bytes: &[u8]) -> Value {
        let mut b = bytes.to_vec();
        self.swap(&mut b, None);
        Value::String(base64_encode(&b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn st() -> StructType {
        StructType::new(vec![
            ("a".into(), DataType::Int32, Some(Endian::Big)),
            ("b".into(), DataType::Float64, Some(Endian::Little)),
            ("c".into(), DataType::UInt8, None),
        ])
        .unwrap()
    }

    #[test]
    fn zarr_python_forms() {
        // zarr-python 3.4.2, dtype [('a','>i4'),('b','<f8'),('c','u1')],
        // fill_value (1, 2.0, 3): V2 "AAAAAQAAAAAAAABAAw==", V3 {"a":1,"b":2.0,"c":3}.
        let s = st();
        let dt = DataType::Struct(s);
        let native: Vec<u8> = [&1i32.to_ne_bytes()[..], &2.0f64.to_ne_bytes(), &[3]].concat();
        let fv = dt
            .fill_value_from_json_v2(&json!("AAAAAQAAAAAAAABAAw=="))
            .unwrap();
        assert_eq!(fv.as_bytes(), native);
        assert_eq!(dt.fill_value_to_json_v2(&fv), json!("AAAAAQAAAAAAAABAAw=="));
        assert_eq!(
            dt.fill_value_to_json(&fv).to_string(),
            r#"{"a":1,"b":2.0,"c":3}"#
        );
        let back = dt
            .fill_value_from_json(&json!({"a": 1, "b": 2.0, "c": 3}))
            .unwrap();
        assert_eq!(back, fv);
        // V3 base64 is little-endian in every field.
        let le: Vec<u8> = [&1i32.to_le_bytes()[..], &2.0f64.to_le_bytes(), &[3]].concat();
        let b = dt.fill_value_from_json(&json!(base64_encode(&le))).unwrap();
        assert_eq!(b, fv);
        // Missing fields take their defaults; unknown keys are ignored.
        let p = dt.fill_value_from_json(&json!({"c": 3, "zz": 1})).unwrap();
        assert_eq!(&p.as_bytes()[..12], &[0; 12]);
        // The object form is read in V2 too.
        assert_eq!(
            dt.fill_value_from_json_v2(&json!({"a": 1, "b": 2.0, "c": 3}))
                .unwrap(),
            fv
        );
    }

    #[test]
    fn malformed() {
        let dt = DataType::Struct(st());
        for bad in [
            json!(7),
            json!([1, 2, 3]),
            json!("@@@@"),
            json!("AAAA"),
            json!({"a": "x"}),
            json!({"a": 1.5}),
            json!({"c": 256}),
        ] {
            assert!(dt.fill_value_from_json(&bad).is_err(), "{bad}");
            assert!(dt.fill_value_from_json_v2(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn nested() {
        let inner = StructType::new(vec![
            ("x".into(), DataType::Float32, None),
            ("y".into(), DataType::FixedBytes(3), None),
        ])
        .unwrap();
        let s = StructType::new(vec![
            ("a".into(), DataType::Int16, None),
            ("n".into(), DataType::Struct(inner), None),
            ("c".into(), DataType::Complex64, None),
            ("v".into(), DataType::RawBytes(2), None),
            ("t".into(), DataType::Bool, None),
        ])
        .unwrap();
        let dt = DataType::Struct(s);
        let fv = FillValue::default_for(dt);
        assert_eq!(fv.as_bytes().len(), 20);
        // zarr-python 3.4.2's default fill value for this dtype.
        assert_eq!(
            dt.fill_value_to_json(&fv).to_string(),
            r#"{"a":0,"n":{"x":0.0,"y":""},"c":[0.0,0.0],"v":"AAA=","t":false}"#
        );
        assert_eq!(
            dt.fill_value_to_json_v2(&fv),
            json!("AAAAAAAAAAAAAAAAAAAAAAAAAAA=")
        );
        let v = json!({"a": -2, "n": {"x": "NaN", "y": "YWI="}, "c": [1.0, 2.0], "v": "AQI=", "t": true});
        let p = dt.fill_value_from_json(&v).unwrap();
        assert_eq!(dt.fill_value_to_json(&p), v);
    }
}
