//! NumPy's "safe" casting rule (`np.can_cast(from, to)`), which
//! zarr-python's `require_array` applies between the data type of an
//! existing array and the one asked for (unless `exact=True`).

use crate::dtype::DataType;

/// A numeric data type as NumPy classes it: kind and bits (for complex
/// types, the bits of one component).
#[derive(Clone, Copy)]
enum Numeric {
    Bool,
    Int(u32),
    UInt(u32),
    Float(u32),
    Complex(u32),
}

fn numeric(d: DataType) -> Option<Numeric> {
    use DataType as D;
    Some(match d {
        D::Bool => Numeric::Bool,
        D::Int8 => Numeric::Int(8),
        D::Int16 => Numeric::Int(16),
        D::Int32 => Numeric::Int(32),
        D::Int64 => Numeric::Int(64),
        D::UInt8 => Numeric::UInt(8),
        D::UInt16 => Numeric::UInt(16),
        D::UInt32 => Numeric::UInt(32),
        D::UInt64 => Numeric::UInt(64),
        D::Float16 => Numeric::Float(16),
        D::Float32 => Numeric::Float(32),
        D::Float64 => Numeric::Float(64),
        D::Complex64 => Numeric::Complex(32),
        D::Complex128 => Numeric::Complex(64),
        _ => return None,
    })
}

/// The characters NumPy needs to write any value of a numeric type
/// (a cast to `S{n}` or `U{n}` is safe from `n` on).
fn text_length(n: Numeric) -> u32 {
    match n {
        Numeric::Bool => 5,
        Numeric::Int(8) => 4,
        Numeric::Int(16) => 6,
        Numeric::Int(32) => 11,
        Numeric::Int(_) => 21,
        Numeric::UInt(8) => 3,
        Numeric::UInt(16) => 5,
        Numeric::UInt(32) => 10,
        Numeric::UInt(_) => 20,
        Numeric::Float(_) => 32,
        Numeric::Complex(_) => 64,
    }
}

/// Whether every value of an integer of `bits` (signed or not) fits a float
/// with `float_bits` (NumPy counts 64-bit integers as fitting `float64`).
fn int_fits_float(bits: u32, float_bits: u32) -> bool {
    float_bits >= (2 * bits).min(64)
}

fn numeric_can_cast(from: Numeric, to: Numeric) -> bool {
    use Numeric as N;
    match (from, to) {
        (N::Bool, _) => true,
        (_, N::Bool) => false,
        (N::Int(a), N::Int(b)) | (N::UInt(a), N::UInt(b)) => b >= a,
        (N::UInt(a), N::Int(b)) => b > a,
        (N::Int(_), N::UInt(_)) => false,
        (N::Int(a) | N::UInt(a), N::Float(b) | N::Complex(b)) => int_fits_float(a, b),
        (N::Float(a), N::Float(b) | N::Complex(b)) | (N::Complex(a), N::Complex(b)) => b >= a,
        (N::Float(_) | N::Complex(_), _) => false,
    }
}

/// `np.can_cast(from, to)` (safe casting) for the NumPy types zarr-python
/// uses for these data types: `string` is NumPy's `StringDType`,
/// `variable_length_bytes` the object type, fixed-length types `S{n}` and
/// `U{n}`.
pub(crate) fn can_cast(from: DataType, to: DataType) -> bool {
    use DataType as D;
    if from == to {
        return true;
    }
    // Structs differing only in their fields' byte orders cast safely;
    // other structs and raw bytes only to themselves.
    if let (D::Struct(_), D::Struct(_)) = (from, to) {
        return from.for_v3().ok() == to.for_v3().ok();
    }
    match (from, to) {
        // Everything casts to object; only strings and objects to strings.
        (_, D::Bytes) => true,
        (D::Bytes, _) => false,
        (D::String, _) => false,
        (f, D::String) => numeric(f).is_some(),
        (D::FixedBytes(n), D::FixedBytes(m) | D::FixedUtf32(m))
        | (D::FixedUtf32(n), D::FixedUtf32(m)) => m >= n,
        (D::FixedUtf32(_), _) | (D::FixedBytes(_), _) => false,
        (f, D::FixedBytes(m) | D::FixedUtf32(m)) => numeric(f).is_some_and(|n| m >= text_length(n)),
        (f, t) => match (numeric(f), numeric(t)) {
            (Some(a), Some(b)) => numeric_can_cast(a, b),
            _ => false,
        },
    }
}
