//! [`NDBuffer`]: an N-dimensional block of elements.

use crate::dtype::{DataType, FillValue};

/// Memory order of an N-dimensional buffer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Order {
    /// Row-major: the last axis varies fastest.
    #[default]
    C,
    /// Column-major: the first axis varies fastest.
    F,
}

impl std::str::FromStr for Order {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "C" | "c" => Ok(Order::C),
            "F" | "f" => Ok(Order::F),
            _ => Err(format!("order must be C or F, not {s:?}")),
        }
    }
}

/// The elements of an [`NDBuffer`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum NDData {
    /// Fixed-size elements: native-endian element bytes, `len * size` bytes.
    Fixed(Vec<u8>),
    /// Variable-length elements (`string`, which is valid UTF-8, and `variable_length_bytes`).
    Variable(Vec<Vec<u8>>),
}

/// An N-dimensional block of elements with a shape, a data type and a memory
/// order.
///
/// ```
/// use zarr::buffer::{NDBuffer, Order};
/// use zarr::dtype::{DataType, FillValue};
/// let b = NDBuffer::filled(&[2, 3], DataType::UInt16, &FillValue::new(7u16.to_ne_bytes().to_vec()), Order::C);
/// assert_eq!(b.len(), 6);
/// assert_eq!(b.to_vec::<u16>().unwrap(), vec![7; 6]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct NDBuffer {
    shape: Vec<usize>,
    data_type: DataType,
    order: Order,
    data: NDData,
}

impl NDBuffer {
    /// A buffer with every element set to `fill_value`.
    pub fn filled(
        shape: &[usize],
        data_type: DataType,
        fill_value: &FillValue,
        order: Order,
    ) -> Self {
        let n: usize = shape.iter().product();
        let data = match data_type.size() {
            Some(_) => NDData::Fixed(fill_value.as_bytes().repeat(n)),
            None => NDData::Variable(vec![fill_value.as_bytes().to_vec(); n]),
        };
        NDBuffer {
            shape: shape.to_vec(),
            data_type,
            order,
            data,
        }
    }

    /// Build from parts. Fails when the data does not fit the shape and type.
    pub fn from_parts(
        shape: Vec<usize>,
        data_type: DataType,
        order: Order,
        data: NDData,
    ) -> Result<Self, String> {
        let n: usize = shape.iter().product();
        let ok = match (&data, data_type.size()) {
            (NDData::Fixed(b), Some(s)) => b.len() == n * s,
            (NDData::Variable(v), None) => v.len() == n,
            _ => false,
        };
        if !ok {
            return Err(format!(
                "data does not match shape {shape:?} and data type {data_type}"
            ));
        }
        if data_type == DataType::Bool {
            if let NDData::Fixed(b) = &data {
                if b.iter().any(|&x| x > 1) {
                    return Err("bool data must be 0 or 1".into());
                }
            }
        }
        if data_type == DataType::String {
            if let NDData::Variable(v) = &data {
                if v.iter().any(|s| std::str::from_utf8(s).is_err()) {
                    return Err("string data must be valid UTF-8".into());
                }
            }
        }
        Ok(NDBuffer {
            shape,
            data_type,
            order,
            data,
        })
    }

    /// Build from typed elements in C order.
    pub fn from_vec<T: crate::dtype::Element>(
        shape: &[usize],
        data: Vec<T>,
    ) -> Result<Self, String> {
        let dt = T::data_type();
        let nd = match dt.size() {
            Some(_) => {
                let mut bytes = Vec::with_capacity(data.len() * dt.size().unwrap_or(0));
                for e in &data {
                    bytes.extend_from_slice(element_bytes(e));
                }
                NDData::Fixed(bytes)
            }
            None => NDData::Variable(
                data.iter()
                    .map(|e| e.as_var_bytes().unwrap_or_default().to_vec())
                    .collect(),
            ),
        };
        NDBuffer::from_parts(shape.to_vec(), dt, Order::C, nd)
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
    /// The data type.
    pub fn data_type(&self) -> DataType {
        self.data_type
    }
    /// The memory order.
    pub fn order(&self) -> Order {
        self.order
    }
    /// The number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }
    /// True when the buffer holds no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The elements.
    pub fn data(&self) -> &NDData {
        &self.data
    }
    /// The elements, mutably.
    pub fn data_mut(&mut self) -> &mut NDData {
        &mut self.data
    }
    /// Take the elements.
    pub fn into_data(self) -> NDData {
        self.data
    }

    /// Copy out as typed elements in this buffer's memory order.
    pub fn to_vec<T: crate::dtype::Element>(&self) -> Result<Vec<T>, String> {
        if !T::matches(self.data_type) {
            return Err(format!(
                "cannot read {} elements as {}",
                self.data_type,
                std::any::type_name::<T>()
            ));
        }
        match &self.data {
            NDData::Fixed(b) => {
                let size = std::mem::size_of::<T>();
                let mut out: Vec<T> = Vec::with_capacity(b.len() / size.max(1));
                for chunk in b.chunks_exact(size) {
                    // SAFETY: T matches the data type, so T is a FixedElement of this
                    // size, and bool data was validated on construction.
                    out.push(unsafe { std::ptr::read_unaligned(chunk.as_ptr().cast::<T>()) });
                }
                Ok(out)
            }
            NDData::Variable(v) => v
                .iter()
                .map(|e| T::from_var_bytes(e.clone()).ok_or_else(|| "invalid element".to_string()))
                .collect(),
        }
    }

    /// This buffer in the other memory order (same logical values).
    pub fn to_order(&self, order: Order) -> NDBuffer {
        if order == self.order || self.shape.len() < 2 {
            let mut b = self.clone();
            b.order = order;
            return b;
        }
        // Reversing the axes of a C-order buffer gives its F-order layout and back.
        let rev: Vec<usize> = self.shape.iter().rev().copied().collect();
        let (src_shape, perm): (&[usize], Vec<usize>) = (
            if self.order == Order::C {
                &self.shape
            } else {
                &rev
            },
            (0..self.shape.len()).rev().collect(),
        );
        let data = match &self.data {
            NDData::Fixed(b) => NDData::Fixed(crate::chunk::transpose_bytes(
                b,
                src_shape,
                &perm,
                self.data_type.size().unwrap_or(1),
            )),
            NDData::Variable(v) => {
                NDData::Variable(crate::chunk::transpose_vec(v, src_shape, &perm))
            }
        };
        NDBuffer {
            shape: self.shape.clone(),
            data_type: self.data_type,
            order,
            data,
        }
    }
}

fn element_bytes<T: crate::dtype::Element>(e: &T) -> &[u8] {
    // SAFETY: only called for fixed-size element types, which have no padding.
    unsafe { std::slice::from_raw_parts((e as *const T).cast::<u8>(), std::mem::size_of::<T>()) }
}
