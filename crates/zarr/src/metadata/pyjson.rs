//! JSON written byte for byte as Python's `json.dumps` writes it, which is
//! how zarr-python 3.4.2 writes metadata: `indent=2` for documents
//! (`zarr.json`, `.zgroup`, `.zattrs`) and no indent (`", "` and `": "`
//! separators) for `.zmetadata`; non-ASCII characters escaped (`\u00e9`);
//! floats as Python's `repr` (`1e-05`, `1e+16`).

use serde_json::Value;

/// `json.dumps(v, indent=2)`.
pub(crate) fn pretty(v: &Value) -> Vec<u8> {
    write(v, true)
}

/// `json.dumps(v)`.
pub(crate) fn compact(v: &Value) -> Vec<u8> {
    write(v, false)
}

fn write(v: &Value, pretty: bool) -> Vec<u8> {
    let mut out = Vec::new();
    write_value(&mut out, v, pretty, 0);
    out
}

fn newline(out: &mut Vec<u8>, level: usize) {
    out.push(b'\n');
    for _ in 0..level {
        out.extend_from_slice(b"  ");
    }
}

/// Before an item: `,` unless it is the first, then a newline and the
/// indent (pretty) or a space (compact).
fn separator(out: &mut Vec<u8>, pretty: bool, first: bool, level: usize) {
    if !first {
        out.extend_from_slice(if pretty { b"," } else { b", " });
    }
    if pretty {
        newline(out, level);
    }
}

fn write_value(out: &mut Vec<u8>, v: &Value, pretty: bool, level: usize) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.extend_from_slice(i.to_string().as_bytes());
            } else if let Some(u) = n.as_u64() {
                out.extend_from_slice(u.to_string().as_bytes());
            } else {
                let x = n.as_f64().unwrap_or(f64::NAN);
                out.extend_from_slice(python_float(x).as_bytes());
            }
        }
        Value::String(s) => match super::json::non_finite_token(s) {
            Some(token) => out.extend_from_slice(token.as_bytes()),
            None => write_string(out, s),
        },
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                separator(out, pretty, i == 0, level + 1);
                write_value(out, item, pretty, level + 1);
            }
            if pretty && !items.is_empty() {
                newline(out, level);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            out.push(b'{');
            for (i, (key, item)) in map.iter().enumerate() {
                separator(out, pretty, i == 0, level + 1);
                write_string(out, key);
                out.extend_from_slice(b": ");
                write_value(out, item, pretty, level + 1);
            }
            if pretty && !map.is_empty() {
                newline(out, level);
            }
            out.push(b'}');
        }
    }
}

/// A string as `json.dumps` (`ensure_ascii=True`) writes it: printable ASCII
/// as is, the short escapes for `"`, `\`, newline, carriage return, tab,
/// backspace and form feed, anything else as `\uXXXX` UTF-16 units.
fn write_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(br#"\""#),
            '\\' => out.extend_from_slice(br"\\"),
            '\n' => out.extend_from_slice(br"\n"),
            '\r' => out.extend_from_slice(br"\r"),
            '\t' => out.extend_from_slice(br"\t"),
            '\u{8}' => out.extend_from_slice(br"\b"),
            '\u{c}' => out.extend_from_slice(br"\f"),
            ' '..='~' => out.push(c as u8),
            _ => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.extend_from_slice(format!("\\u{u:04x}").as_bytes());
                }
            }
        }
    }
    out.push(b'"');
}

/// Python's `repr` of a finite float: the shortest digits that round-trip
/// (as Rust finds them), in fixed notation when the first digit's decimal
/// exponent is in `-4..16`, else as `d.ddde±XX`.
pub(crate) fn python_float(x: f64) -> String {
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    let rust = format!("{:e}", x.abs()); // shortest round-trip digits: "1.5e-7"
    let (mantissa, exp) = rust.split_once('e').unwrap_or((rust.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if x < 0.0 { "-" } else { "" };
    if (-4..16).contains(&exp) {
        if exp >= 0 {
            let point = exp as usize + 1;
            let int = if digits.len() >= point {
                digits[..point].to_string()
            } else {
                format!("{digits:0<point$}")
            };
            let frac = digits.get(point..).filter(|f| !f.is_empty()).unwrap_or("0");
            format!("{sign}{int}.{frac}")
        } else {
            let zeros = "0".repeat((-exp - 1) as usize);
            format!("{sign}0.{zeros}{digits}")
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{first}{rest}e{esign}{:02}", exp.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn like_python() {
        // The output of Python 3.12's json.dumps(v, indent=2) for this value.
        let v = json!({"a": [1e-05, 1e16, 1e15, 0.1, 1.5e-07, 123456789012345678.0, -2.5e-10, 5e-324],
                       "b": "é\u{7f}\u{1}", "c": {}, "d": [], "e": {"f": [1, {"g": 2}]}});
        let want = "{\n  \"a\": [\n    1e-05,\n    1e+16,\n    1000000000000000.0,\n    0.1,\n    1.5e-07,\n    1.2345678901234568e+17,\n    -2.5e-10,\n    5e-324\n  ],\n  \"b\": \"\\u00e9\\u007f\\u0001\",\n  \"c\": {},\n  \"d\": [],\n  \"e\": {\n    \"f\": [\n      1,\n      {\n        \"g\": 2\n      }\n    ]\n  }\n}";
        assert_eq!(String::from_utf8(pretty(&v)).unwrap(), want);
        for (x, py) in [
            (123.45, "123.45"),
            (-0.0, "-0.0"),
            (0.0001, "0.0001"),
            (-1e-05, "-1e-05"),
            (2.5, "2.5"),
            (1e22, "1e+22"),
            (f64::MAX, "1.7976931348623157e+308"),
            (100.0, "100.0"),
        ] {
            assert_eq!(python_float(x), py);
        }
        assert_eq!(
            String::from_utf8(compact(&json!({"a": [1, 2], "b": {"c": "é"}}))).unwrap(),
            r#"{"a": [1, 2], "b": {"c": "\u00e9"}}"#
        );
    }
}
