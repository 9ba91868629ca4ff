//! `zarr_rs._zarr_rs`: the Rust half of the `zarr_rs` Python package.
//!
//! This module is small on purpose: it opens and creates arrays on the
//! `zarr` crate's engine and moves elements between the engine and numpy
//! memory, with the GIL released for all I/O, decoding and encoding. The
//! Python half (`zarr_rs/__init__.py`) gives it zarr-python's shape:
//! `open_array`, `create_array`, `Array.__getitem__`, `oindex`, `vindex`,
//! `blocks` and the numpy conversions.
//!
//! Selections cross the boundary as a kind and a list of per-axis items
//! (see [`query`]); element data as flat `uint8` numpy arrays that the
//! Python side views with the array's dtype (fixed-size types), or lists of
//! `str` / `bytes` (variable-length types).

use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1, PyUntypedArrayMethods};
use pyo3::exceptions::{
    PyFileExistsError, PyFileNotFoundError, PyIndexError, PyMemoryError, PyPermissionError,
    PyRuntimeError, PyTypeError, PyValueError,
};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};
use std::sync::{Arc, Mutex, RwLock};
use zarr::array::{Array, ArrayBuilder, ArrayError};
use zarr::buffer::{NDBuffer, NDData, Order};
use zarr::chunk::{AxisSelection, Query, Selection, SelectionError, SliceArg};
use zarr::codec::Endian;
use zarr::dtype::DataType;
use zarr::store::{StoreError, StoreRef};

mod pipeline;

/// The thread pool all decoding and encoding runs on: this process's own,
/// made again in a process forked from one that had made it (a forked
/// child has none of its parent's threads, and rayon's global pool would
/// wait on them forever; `multiprocessing` with the `fork` start method
/// does that).
fn pool() -> PyResult<Arc<rayon::ThreadPool>> {
    static POOL: Mutex<Option<(u32, Arc<rayon::ThreadPool>)>> = Mutex::new(None);
    let pid = std::process::id();
    let mut slot = POOL
        .lock()
        .map_err(|_| PyRuntimeError::new_err("thread pool lock poisoned"))?;
    if let Some((p, pool)) = slot.as_ref() {
        if *p == pid {
            return Ok(pool.clone());
        }
    }
    let pool = Arc::new(
        rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("zarr-rs-{i}"))
            .build()
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?,
    );
    // The parent's pool has no threads here: leave it be, never join it.
    if let Some(old) = slot.replace((pid, pool.clone())) {
        std::mem::forget(old);
    }
    Ok(pool)
}

/// An engine error as the Python exception zarr-python raises for the same
/// problem, with the engine's message.
fn py_err(e: ArrayError) -> PyErr {
    let msg = e.to_string();
    match &e {
        ArrayError::NotFound { .. } | ArrayError::NotAnArray { .. } => {
            PyFileNotFoundError::new_err(msg)
        }
        ArrayError::AlreadyExists { .. } => PyFileExistsError::new_err(msg),
        ArrayError::Selection(SelectionError::OutOfBounds { .. }) => PyIndexError::new_err(msg),
        ArrayError::Selection(SelectionError::TooLarge { .. }) | ArrayError::TooLarge { .. } => {
            PyMemoryError::new_err(msg)
        }
        ArrayError::Selection(_)
        | ArrayError::InvalidArgument(_)
        | ArrayError::DataTypeMismatch { .. }
        | ArrayError::DataType(_)
        | ArrayError::Metadata { .. } => PyValueError::new_err(msg),
        ArrayError::Store(s) => store_err(s, msg),
        _ => PyRuntimeError::new_err(msg),
    }
}

fn store_err(e: &StoreError, msg: String) -> PyErr {
    match e {
        StoreError::ReadOnly { .. } => PyPermissionError::new_err(msg),
        StoreError::NotFound { .. } => PyFileNotFoundError::new_err(msg),
        _ => PyRuntimeError::new_err(msg),
    }
}

/// Open the store at a path or URL (`s3://`, `gs://`, `az://`, `http(s)://`,
/// `zip://`, a folder, `file://`).
fn open_store(url: &str, read_only: bool) -> PyResult<StoreRef> {
    zarr::store::open_store(url, read_only).map_err(|e| {
        let msg = e.to_string();
        store_err(&e, msg)
    })
}

/// An array on the engine. Reads share the array; `resize` and `append`
/// take it alone.
#[pyclass(module = "zarr_rs._zarr_rs", frozen)]
struct RsArray {
    array: RwLock<Array>,
    store: StoreRef,
    read_only: bool,
}

impl RsArray {
    fn new(array: Array, store: StoreRef, read_only: bool) -> Self {
        RsArray {
            array: RwLock::new(array),
            store,
            read_only,
        }
    }

    fn with<T>(&self, f: impl FnOnce(&Array) -> T) -> PyResult<T> {
        let a = self
            .array
            .read()
            .map_err(|_| PyRuntimeError::new_err("array lock poisoned"))?;
        Ok(f(&a))
    }

    /// Run `f` on the array alone, without the GIL.
    fn with_mut<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut Array) -> Result<T, ArrayError> + Send,
    ) -> PyResult<T> {
        let pool = pool()?;
        py.detach(|| {
            pool.install(|| {
                let mut a = self
                    .array
                    .write()
                    .map_err(|_| PyRuntimeError::new_err("array lock poisoned"))?;
                f(&mut a).map_err(py_err)
            })
        })
    }

    fn writable(&self) -> PyResult<()> {
        if self.read_only {
            return Err(PyPermissionError::new_err(
                "the array was opened read-only (mode=\"r\")",
            ));
        }
        Ok(())
    }
}

/// An optional integer from Python (`None` stays `None`).
fn opt_i64(v: &Bound<'_, PyAny>) -> PyResult<Option<i64>> {
    if v.is_none() {
        Ok(None)
    } else {
        Ok(Some(v.extract()?))
    }
}

/// A `(start, stop, step)` tuple.
fn slice_parts(t: &Bound<'_, PyTuple>) -> PyResult<(Option<i64>, Option<i64>, Option<i64>)> {
    if t.len() != 3 {
        return Err(PyTypeError::new_err("a slice is (start, stop, step)"));
    }
    Ok((
        opt_i64(&t.get_item(0)?)?,
        opt_i64(&t.get_item(1)?)?,
        opt_i64(&t.get_item(2)?)?,
    ))
}

/// A C-contiguous numpy array as its shape and elements.
fn nd_parts<T: numpy::Element + Copy>(v: &Bound<'_, PyAny>) -> PyResult<(Vec<usize>, Vec<T>)> {
    let a = v.cast::<numpy::PyArrayDyn<T>>()?.readonly();
    let shape = a.shape().to_vec();
    let data = a
        .as_slice()
        .map_err(|_| PyValueError::new_err("selection arrays must be C-contiguous"))?
        .to_vec();
    Ok((shape, data))
}

/// The engine's query for a selection of `kind` given as per-axis `items`:
/// - `"orthogonal"`: per axis an `int`, a `(start, stop, step)` tuple, an
///   int64 numpy array (indices) or a bool numpy array (a mask); `None`
///   is a new axis of length 1;
/// - `"vectorized"`: one int64 numpy array per axis (broadcast together);
/// - `"mask"`: one bool numpy array of the array's shape;
/// - `"blocks"`: per axis an `int` or a `(start, stop, step)` tuple of
///   block indices.
fn query(kind: &str, items: &Bound<'_, PyList>) -> PyResult<Query> {
    match kind {
        "orthogonal" => {
            let mut axes = Vec::with_capacity(items.len());
            for it in items.iter() {
                axes.push(if it.is_none() {
                    AxisSelection::NewAxis
                } else if let Ok(t) = it.cast::<PyTuple>() {
                    let (start, stop, step) = slice_parts(t)?;
                    AxisSelection::Slice { start, stop, step }
                } else if let Ok(i) = it.extract::<i64>() {
                    AxisSelection::Index(i)
                } else if let Ok((_, v)) = nd_parts::<bool>(&it) {
                    AxisSelection::Mask(v)
                } else {
                    AxisSelection::Indices(nd_parts::<i64>(&it)?.1)
                });
            }
            Ok(Query::Orthogonal(axes))
        }
        "vectorized" => {
            let mut arrays = Vec::with_capacity(items.len());
            for it in items.iter() {
                let (shape, v) = nd_parts::<i64>(&it)?;
                arrays.push(
                    ndarray::ArrayD::from_shape_vec(shape, v)
                        .map_err(|e| PyValueError::new_err(e.to_string()))?,
                );
            }
            Ok(Query::Coordinates(arrays))
        }
        "mask" => {
            let it = items
                .get_item(0)
                .map_err(|_| PyValueError::new_err("a mask selection takes one array"))?;
            let (shape, v) = nd_parts::<bool>(&it)?;
            Ok(Query::Mask(
                ndarray::ArrayD::from_shape_vec(shape, v)
                    .map_err(|e| PyValueError::new_err(e.to_string()))?,
            ))
        }
        "blocks" => {
            let mut axes = Vec::with_capacity(items.len());
            for it in items.iter() {
                axes.push(if let Ok(t) = it.cast::<PyTuple>() {
                    let (start, stop, step) = slice_parts(t)?;
                    SliceArg::Slice { start, stop, step }
                } else {
                    SliceArg::Index(it.extract()?)
                });
            }
            Ok(Query::Blocks(Selection(axes)))
        }
        other => Err(PyValueError::new_err(format!(
            "unknown selection kind {other:?}"
        ))),
    }
}

/// The numpy description of a data type: a type string (`"<u2"`,
/// `"|V3"`, `"<M8[ns]"`), a JSON list of `[name, type]` pairs for a
/// struct, or `"string"` / `"bytes"` for the variable-length types.
fn numpy_descr(dt: DataType) -> PyResult<String> {
    match dt {
        DataType::String => return Ok("string".into()),
        DataType::Bytes => return Ok("bytes".into()),
        _ => {}
    }
    let endian = if cfg!(target_endian = "little") {
        Endian::Little
    } else {
        Endian::Big
    };
    match dt.to_v2_dtype(endian) {
        Some(serde_json::Value::String(s)) => Ok(s),
        Some(v) => Ok(v.to_string()),
        None => Err(PyTypeError::new_err(format!(
            "the data type {dt} has no numpy equivalent"
        ))),
    }
}

/// The data type of a numpy description (as [`numpy_descr`] writes it).
fn data_type_of(descr: &str) -> PyResult<DataType> {
    match descr {
        "string" => return Ok(DataType::String),
        "bytes" => return Ok(DataType::Bytes),
        _ => {}
    }
    let v = if descr.starts_with('[') {
        serde_json::from_str(descr).map_err(|e| PyValueError::new_err(e.to_string()))?
    } else {
        serde_json::Value::String(descr.to_string())
    };
    DataType::from_v2_dtype(&v)
        .map(|(dt, _)| dt)
        .map_err(|e| PyTypeError::new_err(e.to_string()))
}

/// Element data from Python (a flat `uint8` numpy array of native
/// elements, or a list of `str` / `bytes`) as a buffer of `shape`.
fn nd_buffer(data: &Bound<'_, PyAny>, shape: Vec<usize>, dt: DataType) -> PyResult<NDBuffer> {
    let nd_data = if let Ok(list) = data.cast::<PyList>() {
        let mut v = Vec::with_capacity(list.len());
        for it in list.iter() {
            v.push(if let Ok(s) = it.cast::<PyString>() {
                s.to_str()?.as_bytes().to_vec()
            } else {
                it.extract::<Vec<u8>>()?
            });
        }
        NDData::Variable(v)
    } else {
        let arr: PyReadonlyArray1<'_, u8> = data.extract()?;
        NDData::Fixed(
            arr.as_slice()
                .map_err(|_| PyValueError::new_err("data must be C-contiguous"))?
                .to_vec(),
        )
    };
    NDBuffer::from_parts(shape, dt, Order::C, nd_data).map_err(PyValueError::new_err)
}

/// A JSON value from a Python string (for attributes and fill values the
/// Python side serialises).
fn json(text: Option<&str>) -> PyResult<Option<serde_json::Value>> {
    text.map(|t| serde_json::from_str(t).map_err(|e| PyValueError::new_err(e.to_string())))
        .transpose()
}

#[pymethods]
impl RsArray {
    /// The shape.
    #[getter]
    fn shape(&self) -> PyResult<Vec<u64>> {
        self.with(|a| a.shape().to_vec())
    }

    /// The shape of the stored objects (shards of a sharded array, else
    /// chunks), as zarr-python's `Array.chunks` for an unsharded array and
    /// `Array.shards` for a sharded one.
    #[getter]
    fn chunk_shape(&self) -> PyResult<Vec<u64>> {
        self.with(|a| a.chunk_shape().to_vec())
    }

    /// The inner chunk shape of a sharded array, else `None`.
    #[getter]
    fn inner_chunk_shape(&self) -> PyResult<Option<Vec<u64>>> {
        self.with(|a| a.inner_chunk_shape())
    }

    /// The numpy description of the data type (see [`numpy_descr`]).
    #[getter]
    fn dtype_descr(&self) -> PyResult<String> {
        numpy_descr(self.with(|a| a.data_type())?)
    }

    /// The data type's name in the Zarr V3 spelling (`uint16`, `string`).
    #[getter]
    fn data_type_name(&self) -> PyResult<String> {
        self.with(|a| a.data_type().to_string())
    }

    /// 2 or 3.
    #[getter]
    fn zarr_format(&self) -> PyResult<u8> {
        self.with(|a| a.zarr_format())
    }

    /// The path of the array in its store.
    #[getter]
    fn path(&self) -> PyResult<String> {
        self.with(|a| a.path().to_string())
    }

    /// Whether writes are refused.
    #[getter]
    fn read_only(&self) -> bool {
        self.read_only
    }

    /// The user attributes as a JSON object.
    #[getter]
    fn attributes_json(&self) -> PyResult<String> {
        self.with(|a| serde_json::Value::Object(a.attributes().clone()).to_string())
    }

    /// The dimension names (V3), or `None`.
    #[getter]
    fn dimension_names(&self) -> PyResult<Option<Vec<Option<String>>>> {
        self.with(|a| a.metadata().dimension_names.clone())
    }

    /// The fill value's native element bytes (UTF-8 for strings).
    #[getter]
    fn fill_value_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let b = self.with(|a| a.metadata().fill_value.as_bytes().to_vec())?;
        Ok(PyBytes::new(py, &b))
    }

    /// Replace the user attributes (a JSON object).
    fn set_attributes_json(&self, py: Python<'_>, attributes: &str) -> PyResult<()> {
        self.writable()?;
        let Some(serde_json::Value::Object(m)) = json(Some(attributes))? else {
            return Err(PyValueError::new_err("attributes must be a JSON object"));
        };
        self.with_mut(py, |a| a.set_attributes(m))
    }

    /// Read a selection: `(data, shape)` where `data` is a flat `uint8`
    /// numpy array holding the elements (fixed-size types; decoded straight
    /// into it, handed to numpy without a copy) or a list of `str` / `bytes`.
    fn read<'py>(
        &self,
        py: Python<'py>,
        kind: &str,
        items: &Bound<'py, PyList>,
    ) -> PyResult<(Bound<'py, PyAny>, Vec<usize>)> {
        let q = query(kind, items)?;
        let a = self
            .array
            .read()
            .map_err(|_| PyRuntimeError::new_err("array lock poisoned"))?;
        let dt = a.data_type();
        let pool = pool()?;
        let nd = py
            .detach(|| pool.install(|| a.read_query_ndbuffer(&q)))
            .map_err(py_err)?;
        let nd = if nd.order() == Order::C {
            nd
        } else {
            nd.to_order(Order::C)
        };
        let shape = nd.shape().to_vec();
        let out = match nd.into_data() {
            NDData::Fixed(bytes) => PyArray1::from_vec(py, bytes).into_any(),
            NDData::Variable(items) => {
                let list = PyList::empty(py);
                for v in items {
                    if dt == DataType::String {
                        let s = String::from_utf8(v)
                            .map_err(|e| PyValueError::new_err(e.to_string()))?;
                        list.append(PyString::new(py, &s))?;
                    } else {
                        list.append(PyBytes::new(py, &v))?;
                    }
                }
                list.into_any()
            }
            _ => {
                return Err(PyTypeError::new_err(
                    "an element layout this version cannot hand to Python",
                ))
            }
        };
        Ok((out, shape))
    }

    /// Write a selection from `data` of `shape` (the selection's shape,
    /// broadcast on the Python side): a flat `uint8` numpy array of native
    /// elements, or a list of `str` / `bytes`.
    fn write(
        &self,
        py: Python<'_>,
        kind: &str,
        items: &Bound<'_, PyList>,
        data: &Bound<'_, PyAny>,
        shape: Vec<usize>,
    ) -> PyResult<()> {
        self.writable()?;
        let q = query(kind, items)?;
        let a = self
            .array
            .read()
            .map_err(|_| PyRuntimeError::new_err("array lock poisoned"))?;
        let nd = nd_buffer(data, shape, a.data_type())?;
        let pool = pool()?;
        py.detach(|| pool.install(|| a.write_query_ndbuffer(&q, &nd)))
            .map_err(py_err)
    }

    /// Change the shape (chunks outside the new shape are deleted).
    fn resize(&self, py: Python<'_>, shape: Vec<u64>) -> PyResult<()> {
        self.writable()?;
        self.with_mut(py, |a| a.resize(shape))
    }

    /// Append `data` (as [`RsArray::write`] takes it) along `axis`; returns
    /// the new shape.
    fn append(
        &self,
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        shape: Vec<usize>,
        axis: usize,
    ) -> PyResult<Vec<u64>> {
        self.writable()?;
        let nd = nd_buffer(data, shape, self.with(|a| a.data_type())?)?;
        self.with_mut(py, |a| a.append_ndbuffer(&nd, axis))
    }

    /// Commit what the store buffers (a zip archive is written on close).
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let store = self.store.clone();
        py.detach(|| store.close()).map_err(|e| {
            let msg = e.to_string();
            store_err(&e, msg)
        })
    }
}

/// Open the array at `path` of the store at `store` (a path or URL).
#[pyfunction]
#[pyo3(signature = (store, path = "", read_only = true))]
fn open_array(py: Python<'_>, store: &str, path: &str, read_only: bool) -> PyResult<RsArray> {
    let s = open_store(store, read_only)?;
    let s2 = s.clone();
    let a = py.detach(|| Array::open(s2, path)).map_err(py_err)?;
    Ok(RsArray::new(a, s, read_only))
}

/// Create an array; `dtype` as [`numpy_descr`] writes it, `fill_value`,
/// `attributes` and `compressors` as JSON (`compressors`: a list of codec
/// entries; `None`: the defaults).
#[pyfunction]
#[pyo3(signature = (store, path, shape, dtype, chunks = None, shards = None, fill_value = None,
    compressors = None, zarr_format = 3, attributes = None, dimension_names = None,
    overwrite = false))]
#[allow(clippy::too_many_arguments)]
fn create_array(
    py: Python<'_>,
    store: &str,
    path: &str,
    shape: Vec<u64>,
    dtype: &str,
    chunks: Option<Vec<u64>>,
    shards: Option<Vec<u64>>,
    fill_value: Option<&str>,
    compressors: Option<&str>,
    zarr_format: u8,
    attributes: Option<&str>,
    dimension_names: Option<Vec<Option<String>>>,
    overwrite: bool,
) -> PyResult<RsArray> {
    let s = open_store(store, false)?;
    let mut b = ArrayBuilder::new(shape, data_type_of(dtype)?)
        .zarr_format(zarr_format)
        .overwrite(overwrite);
    if let Some(c) = chunks {
        b = b.chunks(c);
    }
    if let Some(sh) = shards {
        b = b.shards(sh);
    }
    if let Some(f) = json(fill_value)? {
        b = b.fill_value_json(f);
    }
    if let Some(c) = json(compressors)? {
        let list: Vec<zarr::metadata::CodecMetadata> =
            serde_json::from_value(c).map_err(|e| PyValueError::new_err(e.to_string()))?;
        b = b.compressors(list);
    }
    match json(attributes)? {
        Some(serde_json::Value::Object(m)) => b = b.attributes(m),
        Some(_) => return Err(PyValueError::new_err("attributes must be a JSON object")),
        None => {}
    }
    if let Some(n) = dimension_names {
        b = b.dimension_names(n);
    }
    let s2 = s.clone();
    let a = py.detach(|| b.create(s2, path)).map_err(py_err)?;
    Ok(RsArray::new(a, s, false))
}

/// The Rust half of `zarr_rs`.
#[pymodule]
fn _zarr_rs(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<RsArray>()?;
    m.add_class::<pipeline::ChunkCodec>()?;
    m.add_function(wrap_pyfunction!(open_array, m)?)?;
    m.add_function(wrap_pyfunction!(create_array, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
