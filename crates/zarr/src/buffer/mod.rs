//! Buffers: [`Buffer`] (contiguous bytes as a store hands them over),
//! [`NDBuffer`] (an N-dimensional block of elements with a data type and a
//! memory order) and [`BufferPrototype`] (which kind of memory to allocate).
//!
//! Host memory is the only kind today. [`MemoryKind`] is non-exhaustive so that
//! device memory can be added behind a feature without changing callers: code
//! that asks a prototype for buffers keeps working whatever the memory is.

mod nd;
pub(crate) mod pages;

pub use nd::{NDBuffer, NDData, Order};

use bytes::Bytes;
use std::ops::Deref;

/// Contiguous, immutable, cheaply cloneable bytes.
///
/// ```
/// use zarr::buffer::Buffer;
/// let b = Buffer::from(vec![1u8, 2, 3]);
/// assert_eq!(b.len(), 3);
/// assert_eq!(&b[1..], &[2, 3]);
/// assert_eq!(b.slice(1..2).as_ref(), &[2]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Buffer(Bytes);

impl Buffer {
    /// An empty buffer.
    pub fn new() -> Self {
        Buffer(Bytes::new())
    }

    /// A buffer over static bytes (no copy).
    pub fn from_static(bytes: &'static [u8]) -> Self {
        Buffer(Bytes::from_static(bytes))
    }

    /// A sub-range of this buffer, sharing its memory.
    pub fn slice(&self, range: impl std::ops::RangeBounds<usize>) -> Buffer {
        Buffer(self.0.slice(range))
    }

    /// The underlying `bytes::Bytes`.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    /// Copy into a `Vec<u8>`.
    pub fn to_vec(&self) -> Vec<u8> {
        self.0.to_vec()
    }
}

impl Deref for Buffer {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for Buffer {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<Vec<u8>> for Buffer {
    fn from(v: Vec<u8>) -> Self {
        Buffer(Bytes::from(v))
    }
}

impl From<Bytes> for Buffer {
    fn from(b: Bytes) -> Self {
        Buffer(b)
    }
}

impl From<&[u8]> for Buffer {
    fn from(b: &[u8]) -> Self {
        Buffer(Bytes::copy_from_slice(b))
    }
}

/// Where a buffer's memory lives.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MemoryKind {
    /// Ordinary host (CPU) memory.
    Host,
    /// Host memory tagged with a name: lets a store check that the prototype a
    /// caller chose reaches it (seed 002's testing buffer).
    Tagged(&'static str),
}

/// Which kind of memory to allocate buffers in. Passed from the array API
/// down to every store read.
///
/// ```
/// use zarr::buffer::{BufferPrototype, MemoryKind};
/// let p = BufferPrototype::default();
/// assert_eq!(p.kind(), &MemoryKind::Host);
/// let b = p.buffer_from_vec(vec![0u8; 4]);
/// assert_eq!(b.len(), 4);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BufferPrototype {
    kind: MemoryKind,
}

impl Default for BufferPrototype {
    fn default() -> Self {
        BufferPrototype {
            kind: MemoryKind::Host,
        }
    }
}

impl BufferPrototype {
    /// A prototype for the given memory kind.
    pub fn new(kind: MemoryKind) -> Self {
        BufferPrototype { kind }
    }

    /// The memory kind.
    pub fn kind(&self) -> &MemoryKind {
        &self.kind
    }

    /// Wrap bytes read from a store as a buffer of this prototype's kind.
    pub fn buffer_from_vec(&self, bytes: Vec<u8>) -> Buffer {
        Buffer::from(bytes)
    }

    /// Wrap shared bytes as a buffer of this prototype's kind.
    pub fn buffer_from_bytes(&self, bytes: Bytes) -> Buffer {
        Buffer::from(bytes)
    }
}

/// The default prototype: host memory.
pub fn default_buffer_prototype() -> BufferPrototype {
    BufferPrototype::default()
}
