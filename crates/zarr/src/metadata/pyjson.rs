//! JSON written byte for byte as Python's `json.dumps` writes it, which is
//! how zarr-python 3.4.2 writes metadata: `indent=2` for documents
//! (`zarr.json`, `.zgroup`, `.zattrs`) and no indent (`", "` and `": "`
//! separators) for `.zmetadata`; non-ASCII characters escaped (`\u00e9`);
//! floats as Python's `repr` (`1e-05`, `1e+16`).

use serde_json::Value;
use std::io::Write;

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
    let f = PyFormatter {
        pretty,
        level: 0,
        has_value: false,
    };
    let mut ser = serde_json::Serializer::with_formatter(&mut out, f);
    if serde::Serialize::serialize(v, &mut ser).is_err() {
        // Writing to a Vec cannot fail; keep a valid document regardless.
        return serde_json::to_vec(v).unwrap_or_default();
    }
    out
}

struct PyFormatter {
    pretty: bool,
    level: usize,
    has_value: bool,
}

impl PyFormatter {
    fn newline<W: ?Sized + Write>(&self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b"\n")?;
        for _ in 0..self.level {
            w.write_all(b"  ")?;
        }
        Ok(())
    }
    fn begin<W: ?Sized + Write>(&mut self, w: &mut W, open: &[u8]) -> std::io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(open)
    }
    fn end<W: ?Sized + Write>(&mut self, w: &mut W, close: &[u8]) -> std::io::Result<()> {
        self.level -= 1;
        if self.pretty && self.has_value {
            self.newline(w)?;
        }
        w.write_all(close)
    }
    fn item<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        if !first {
            w.write_all(if self.pretty { b"," } else { b", " })?;
        }
        if self.pretty {
            self.newline(w)?;
        }
        Ok(())
    }
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

impl serde_json::ser::Formatter for PyFormatter {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.begin(w, b"[")
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.end(w, b"]")
    }
    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.begin(w, b"{")
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.end(w, b"}")
    }
    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn write_f64<W: ?Sized + Write>(&mut self, w: &mut W, value: f64) -> std::io::Result<()> {
        w.write_all(python_float(value).as_bytes())
    }
    fn write_f32<W: ?Sized + Write>(&mut self, w: &mut W, value: f32) -> std::io::Result<()> {
        self.write_f64(w, f64::from(value))
    }
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        for c in fragment.chars() {
            if (' '..='~').contains(&c) {
                w.write_all(&[c as u8])?;
            } else {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    write!(w, "\\u{u:04x}")?;
                }
            }
        }
        Ok(())
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
