//! JSON as Python reads and writes it, non-finite numbers included.
//!
//! zarr-python writes metadata with Python's `json` module, which puts
//! non-finite floats in attributes as the bare tokens `NaN`, `Infinity` and
//! `-Infinity` (`{"valid_max": NaN}`). Those are not standard JSON, and
//! `serde_json` can neither parse them nor hold them in a [`Value`]. This
//! module reads them anyway: each becomes a reserved marker string in the
//! [`Value`] (see [`float`] and [`as_f64`]) that every metadata document we
//! write turns back into the bare token, so such attributes survive a round
//! trip through this crate exactly (byte for byte in `zarr.json`, `.zattrs`
//! and consolidated metadata). The strings `"NaN"` and `"Infinity"` stay
//! strings: a string is never confused with a number.
//!
//! ```
//! use zarr::metadata::json;
//! let v = json::parse(br#"{"valid_max": NaN, "range": [-Infinity, 1.5], "s": "NaN"}"#).unwrap();
//! assert!(json::as_f64(&v["valid_max"]).is_some_and(f64::is_nan));
//! assert_eq!(json::as_f64(&v["range"][0]), Some(f64::NEG_INFINITY));
//! assert_eq!(json::as_f64(&v["range"][1]), Some(1.5));
//! assert_eq!(v["s"], "NaN");
//! assert_eq!(json::to_string(&v), r#"{"valid_max": NaN, "range": [-Infinity, 1.5], "s": "NaN"}"#);
//! ```

use serde_json::Value;

/// The first character of a marker string: a Unicode noncharacter, which no
/// text that is meant to be exchanged contains.
const MARK: char = '\u{FDD0}';
const NAN: &str = "\u{FDD0}NaN";
const INFINITY: &str = "\u{FDD0}Infinity";
const NEG_INFINITY: &str = "\u{FDD0}-Infinity";

/// A JSON value for `x`: a number when `x` is finite, else the marker that
/// stands for `NaN`, `Infinity` or `-Infinity` (written back as the bare
/// token, as Python's `json.dumps` writes it, and read by zarr-python as a
/// float).
///
/// ```
/// use zarr::metadata::json;
/// let mut attrs = serde_json::Map::new();
/// attrs.insert("missing_value".into(), json::float(f64::NAN));
/// attrs.insert("scale".into(), json::float(0.5));
/// assert_eq!(json::to_string(&attrs.into()), r#"{"missing_value": NaN, "scale": 0.5}"#);
/// ```
pub fn float(x: f64) -> Value {
    if x.is_nan() {
        Value::String(NAN.into())
    } else if x == f64::INFINITY {
        Value::String(INFINITY.into())
    } else if x == f64::NEG_INFINITY {
        Value::String(NEG_INFINITY.into())
    } else {
        serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

/// The number `v` holds: any JSON number, or a non-finite marker (see
/// [`float`]). `None` for anything else, strings included.
pub fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => non_finite(s),
        _ => None,
    }
}

/// The non-finite float a marker string stands for.
pub(crate) fn non_finite(s: &str) -> Option<f64> {
    if !s.starts_with(MARK) {
        return None;
    }
    match s {
        NAN => Some(f64::NAN),
        INFINITY => Some(f64::INFINITY),
        NEG_INFINITY => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// The bare token Python writes for a marker string.
pub(crate) fn non_finite_token(s: &str) -> Option<&'static str> {
    non_finite(s).map(|x| {
        if x.is_nan() {
            "NaN"
        } else if x > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        }
    })
}

/// Parse JSON as Python's `json.loads` does: standard JSON plus the bare
/// tokens `NaN`, `Infinity` and `-Infinity`, which become markers (see
/// [`float`]).
///
/// # Errors
/// The `serde_json` error for anything that is not such JSON.
pub fn parse(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    match serde_json::from_slice(bytes) {
        Ok(v) => Ok(v),
        Err(e) => match mark_non_finite(bytes) {
            Some(rewritten) => serde_json::from_slice(&rewritten),
            None => Err(e),
        },
    }
}

/// [`parse`] for text.
///
/// # Errors
/// As [`parse`].
pub fn parse_str(s: &str) -> Result<Value, serde_json::Error> {
    parse(s.as_bytes())
}

/// `bytes` with every bare `NaN`, `Infinity` and `-Infinity` outside strings
/// replaced by a quoted marker; `None` when there is none.
fn mark_non_finite(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() + 64);
    let mut replaced = false;
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            out.push(b);
            match b {
                b'\\' => {
                    if let Some(&next) = bytes.get(i + 1) {
                        out.push(next);
                        i += 1;
                    }
                }
                b'"' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        let rest = &bytes[i..];
        let token = [
            ("-Infinity", NEG_INFINITY),
            ("Infinity", INFINITY),
            ("NaN", NAN),
        ]
        .into_iter()
        .find(|(t, _)| rest.starts_with(t.as_bytes()));
        if let Some((t, marker)) = token {
            out.push(b'"');
            out.extend_from_slice(marker.as_bytes());
            out.push(b'"');
            i += t.len();
            replaced = true;
            continue;
        }
        if b == b'"' {
            in_string = true;
        }
        out.push(b);
        i += 1;
    }
    replaced.then_some(out)
}

/// `json.dumps(v)` in Python: `", "` and `": "` separators, non-ASCII
/// escaped, floats as Python's `repr`, markers as bare `NaN` / `Infinity` /
/// `-Infinity`.
pub fn to_string(v: &Value) -> String {
    String::from_utf8_lossy(&super::pyjson::compact(v)).into_owned()
}

/// `json.dumps(v, indent=2)` in Python, as zarr-python writes `zarr.json`.
pub fn to_string_pretty(v: &Value) -> String {
    String::from_utf8_lossy(&super::pyjson::pretty(v)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// Any JSON value, with non-finite markers among the numbers and
    /// strings that look like the tokens.
    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(float),
            prop::sample::select(vec![
                "NaN",
                "Infinity",
                "-Infinity",
                "a\"b",
                "é",
                "",
                " NaN"
            ])
            .prop_map(Value::from),
            ".{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(".{0,6}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Whatever we write, compact or indented, parses back to the same value.
        #[test]
        fn written_json_parses_back(v in value()) {
            prop_assert_eq!(parse_str(&to_string(&v)).unwrap(), v.clone());
            prop_assert_eq!(parse_str(&to_string_pretty(&v)).unwrap(), v);
        }

        /// Arbitrary bytes never panic the parser (an error or a value).
        #[test]
        fn arbitrary_bytes_do_not_panic(b in prop::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse(&b);
        }

        /// Token-like text spliced into valid JSON never panics either.
        #[test]
        fn spliced_tokens_do_not_panic(v in value(), at in any::<prop::sample::Index>(),
                                       t in prop::sample::select(vec!["NaN", "-Infinity", "\"", "\\", "Infinity]"])) {
            let mut text = to_string(&v);
            let i = at.index(text.len() + 1);
            if text.is_char_boundary(i) {
                text.insert_str(i, t);
                let _ = parse_str(&text);
            }
        }
    }

    #[test]
    fn parses_python_tokens_outside_strings_only() {
        let v = parse(
            br#"{"a": NaN, "b": [Infinity, -Infinity, -1], "c": "NaN \" Infinity", "d\\": -0.5}"#,
        )
        .unwrap();
        assert!(as_f64(&v["a"]).unwrap().is_nan());
        assert_eq!(as_f64(&v["b"][0]), Some(f64::INFINITY));
        assert_eq!(as_f64(&v["b"][1]), Some(f64::NEG_INFINITY));
        assert_eq!(as_f64(&v["b"][2]), Some(-1.0));
        assert_eq!(v["c"], "NaN \" Infinity");
        assert_eq!(as_f64(&v["c"]), None);
        assert_eq!(as_f64(&v["d\\"]), Some(-0.5));
    }

    #[test]
    fn rejects_what_python_rejects() {
        for bad in [
            &br#"{"a": NaNx}"#[..],
            br#"{"a": -NaN}"#,
            br#"{"a": nan}"#,
            br#"{"a": Inf}"#,
            br#"[NaN"#,
            br#"{"a": "NaN}"#,
        ] {
            assert!(parse(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn writes_markers_as_python_does() {
        let v = json!({"x": float(f64::NAN), "y": [float(f64::INFINITY), float(f64::NEG_INFINITY)],
                       "s": "NaN", "z": float(2.5)});
        assert_eq!(
            to_string(&v),
            r#"{"x": NaN, "y": [Infinity, -Infinity], "s": "NaN", "z": 2.5}"#
        );
        assert_eq!(parse_str(&to_string(&v)).unwrap(), v);
        assert_eq!(
            to_string_pretty(&json!({"a": [float(f64::NAN)]})),
            "{\n  \"a\": [\n    NaN\n  ]\n}"
        );
        // A marker-like string that is not one of the three stays a string.
        let odd = Value::String(format!("{MARK}nan"));
        assert_eq!(as_f64(&odd), None);
        assert_eq!(to_string(&odd), "\"\\ufdd0nan\"");
    }
}
