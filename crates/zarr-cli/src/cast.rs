//! Data type conversion for `zarr import --dtype`, with numpy's `astype`
//! semantics: integers wrap, floats truncate toward zero (saturating at the
//! target's range, NaN becomes 0), complex to real keeps the real part, any
//! nonzero value is `true`. `string` and `variable_length_bytes` convert to
//! each other (bytes must be valid UTF-8); fixed-size and variable-length
//! types do not mix.

use half::f16;
use zarr::buffer::{NDBuffer, NDData};
use zarr::dtype::DataType;

#[derive(Clone, Copy)]
enum Scalar {
    B(bool),
    I(i128),
    F(f64),
    C(f64, f64),
}

fn get(dt: DataType, b: &[u8]) -> Scalar {
    let a2 = |b: &[u8]| [b[0], b[1]];
    let a4 = |b: &[u8]| [b[0], b[1], b[2], b[3]];
    let a8 = |b: &[u8]| [b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]];
    match dt {
        DataType::Bool => Scalar::B(b[0] != 0),
        DataType::Int8 => Scalar::I(b[0] as i8 as i128),
        DataType::UInt8 => Scalar::I(b[0] as i128),
        DataType::Int16 => Scalar::I(i16::from_ne_bytes(a2(b)) as i128),
        DataType::UInt16 => Scalar::I(u16::from_ne_bytes(a2(b)) as i128),
        DataType::Int32 => Scalar::I(i32::from_ne_bytes(a4(b)) as i128),
        DataType::UInt32 => Scalar::I(u32::from_ne_bytes(a4(b)) as i128),
        DataType::Int64 => Scalar::I(i64::from_ne_bytes(a8(b)) as i128),
        DataType::UInt64 => Scalar::I(u64::from_ne_bytes(a8(b)) as i128),
        DataType::Float16 => Scalar::F(f16::from_ne_bytes(a2(b)).to_f64()),
        DataType::BFloat16 => Scalar::F(half::bf16::from_ne_bytes(a2(b)).to_f64()),
        DataType::Float32 => Scalar::F(f32::from_ne_bytes(a4(b)) as f64),
        DataType::Float64 => Scalar::F(f64::from_ne_bytes(a8(b))),
        DataType::Complex64 => Scalar::C(
            f32::from_ne_bytes(a4(b)) as f64,
            f32::from_ne_bytes(a4(&b[4..])) as f64,
        ),
        DataType::Complex128 => {
            Scalar::C(f64::from_ne_bytes(a8(b)), f64::from_ne_bytes(a8(&b[8..])))
        }
        _ => Scalar::I(0),
    }
}

fn put(dt: DataType, s: Scalar, out: &mut Vec<u8>) {
    let as_int = |s: Scalar| -> i128 {
        match s {
            Scalar::B(b) => b as i128,
            Scalar::I(i) => i,
            Scalar::F(f) | Scalar::C(f, _) => f as i128,
        }
    };
    let as_float = |s: Scalar| -> f64 {
        match s {
            Scalar::B(b) => b as u8 as f64,
            Scalar::I(i) => i as f64,
            Scalar::F(f) | Scalar::C(f, _) => f,
        }
    };
    // Floats convert straight to the target integer type (truncate, saturate).
    macro_rules! int {
        ($t:ty) => {
            match s {
                Scalar::F(f) | Scalar::C(f, _) => out.extend_from_slice(&(f as $t).to_ne_bytes()),
                s => out.extend_from_slice(&(as_int(s) as $t).to_ne_bytes()),
            }
        };
    }
    match dt {
        DataType::Bool => out.push(match s {
            Scalar::B(b) => b as u8,
            Scalar::I(i) => (i != 0) as u8,
            Scalar::F(f) => (f != 0.0) as u8,
            Scalar::C(r, i) => (r != 0.0 || i != 0.0) as u8,
        }),
        DataType::Int8 => int!(i8),
        DataType::UInt8 => int!(u8),
        DataType::Int16 => int!(i16),
        DataType::UInt16 => int!(u16),
        DataType::Int32 => int!(i32),
        DataType::UInt32 => int!(u32),
        DataType::Int64 => int!(i64),
        DataType::UInt64 => int!(u64),
        DataType::Float16 => out.extend_from_slice(&f16::from_f64(as_float(s)).to_ne_bytes()),
        DataType::BFloat16 => {
            out.extend_from_slice(&half::bf16::from_f64(as_float(s)).to_ne_bytes())
        }
        DataType::Float32 => out.extend_from_slice(&(as_float(s) as f32).to_ne_bytes()),
        DataType::Float64 => out.extend_from_slice(&as_float(s).to_ne_bytes()),
        DataType::Complex64 | DataType::Complex128 => {
            let (r, i) = match s {
                Scalar::C(r, i) => (r, i),
                s => (as_float(s), 0.0),
            };
            if dt == DataType::Complex64 {
                out.extend_from_slice(&(r as f32).to_ne_bytes());
                out.extend_from_slice(&(i as f32).to_ne_bytes());
            } else {
                out.extend_from_slice(&r.to_ne_bytes());
                out.extend_from_slice(&i.to_ne_bytes());
            }
        }
        _ => {}
    }
}

/// Convert a buffer to another data type (see the module docs for the rules).
pub fn cast(buf: NDBuffer, to: DataType) -> Result<NDBuffer, String> {
    let from = buf.data_type();
    if from == to {
        return Ok(buf);
    }
    let refuse = || {
        format!(
            "cannot convert {from} to {to}: numeric and bool types convert to each other, \
             and string to and from variable_length_bytes"
        )
    };
    // Only bool and the numeric types convert element by element.
    let numeric = |d: DataType| {
        matches!(
            d,
            DataType::Bool
                | DataType::Int8
                | DataType::Int16
                | DataType::Int32
                | DataType::Int64
                | DataType::UInt8
                | DataType::UInt16
                | DataType::UInt32
                | DataType::UInt64
                | DataType::Float16
                | DataType::BFloat16
                | DataType::Float32
                | DataType::Float64
                | DataType::Complex64
                | DataType::Complex128
        )
    };
    if !(from.is_variable_length() || numeric(from) && numeric(to)) {
        return Err(refuse());
    }
    let shape = buf.shape().to_vec();
    let order = buf.order();
    let data = match (buf.into_data(), from.size(), to.size()) {
        (NDData::Fixed(b), Some(fs), Some(ts)) => {
            let mut out = Vec::with_capacity(b.len() / fs * ts);
            for e in b.chunks_exact(fs) {
                put(to, get(from, e), &mut out);
            }
            NDData::Fixed(out)
        }
        (NDData::Variable(v), None, None) => {
            if to == DataType::String {
                if let Some(i) = v.iter().position(|e| std::str::from_utf8(e).is_err()) {
                    return Err(format!(
                        "cannot convert {from} to {to}: element {i} is not valid UTF-8"
                    ));
                }
            }
            NDData::Variable(v)
        }
        _ => return Err(refuse()),
    };
    NDBuffer::from_parts(shape, to, order, data)
        .map_err(|e| format!("cannot convert {from} to {to}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_casts_follow_numpy() {
        let a = NDBuffer::from_vec(&[4], vec![-1.7f64, 2.5, 300.0, f64::NAN]).unwrap();
        let i = cast(a.clone(), DataType::Int16).unwrap();
        assert_eq!(i.to_vec::<i16>().unwrap(), vec![-1, 2, 300, 0]);
        let b = cast(a.clone(), DataType::Bool).unwrap();
        assert_eq!(b.to_vec::<bool>().unwrap(), vec![true, true, true, true]);
        let w = NDBuffer::from_vec(&[2], vec![300i32, -1]).unwrap();
        assert_eq!(
            cast(w, DataType::UInt8).unwrap().to_vec::<u8>().unwrap(),
            vec![44, 255]
        );
        let f = cast(
            NDBuffer::from_vec(&[2], vec![1u16, 65535]).unwrap(),
            DataType::Float32,
        )
        .unwrap();
        assert_eq!(f.to_vec::<f32>().unwrap(), vec![1.0, 65535.0]);
        let c = cast(f, DataType::Complex128).unwrap();
        assert_eq!(c.data_type(), DataType::Complex128);
        let back = cast(c, DataType::Float64).unwrap();
        assert_eq!(back.to_vec::<f64>().unwrap(), vec![1.0, 65535.0]);
    }

    #[test]
    fn strings_and_bytes() {
        let s = NDBuffer::from_vec(&[2], vec!["a".to_string(), "é".to_string()]).unwrap();
        let b = cast(s.clone(), DataType::Bytes).unwrap();
        assert_eq!(cast(b, DataType::String).unwrap(), s);
        assert!(cast(s, DataType::Int32)
            .unwrap_err()
            .contains("cannot convert"));
        let bad = NDBuffer::from_vec(&[1], vec![vec![0xffu8]]).unwrap();
        assert!(cast(bad, DataType::String).unwrap_err().contains("UTF-8"));
    }
}
