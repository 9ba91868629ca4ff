//! Advanced selections with numpy's and zarr-python's semantics, beyond the
//! basic [`Selection`]: orthogonal (`oindex`: per axis an integer, a slice
//! with any non-zero step, an integer array or a boolean mask), coordinate
//! (`vindex`: integer arrays broadcast together), whole-array boolean
//! masks, and block selections (chunk indices). [`Query`] is the typed
//! value; [`Query::parse`] reads the text form of the `zarr` tool.
//!
//! A query resolves into a [`GatherPlan`]: one [`GatherUnit`] per chunk it
//! touches (each chunk once), holding the chunk's bounding box of selected
//! elements and the map from that box to the output. Points of a
//! coordinate selection are grouped by chunk, so any number of points in
//! one chunk decode that chunk once.
//!
//! ```
//! use zarr::chunk::{AxisSelection, Query};
//! let q = Query::Orthogonal(vec![AxisSelection::Indices(vec![2, 0, -1]), AxisSelection::FULL]);
//! let p = q.plan(&[4, 3], &[2, 3]).unwrap();
//! assert_eq!(p.out_shape(), &[3, 3]);
//! assert_eq!(p.units().len(), 2); // chunk rows 0 and 1
//! let q: Query = Query::parse("[0,2],::-1", false).unwrap();
//! assert_eq!(q.plan(&[4, 3], &[2, 3]).unwrap().out_shape(), &[2, 3]);
//! ```

use super::selection::{DimSlice, ResolvedSelection, Selection, SelectionError, SliceArg};
use ndarray::ArrayD;

/// One axis of an orthogonal selection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AxisSelection {
    /// A single index (negative counts from the end); the axis is dropped.
    Index(i64),
    /// `start:stop:step` with numpy's defaults and clamping; any non-zero
    /// step, negative steps walking backwards.
    Slice {
        /// Start (default 0, or the last index for a negative step).
        start: Option<i64>,
        /// Stop, excluded (default the end, or before the first index for a
        /// negative step).
        stop: Option<i64>,
        /// Step (default 1).
        step: Option<i64>,
    },
    /// Integer indices in any order, repeated or negative.
    Indices(Vec<i64>),
    /// A boolean mask of the axis' length: the indices where it is true.
    Mask(Vec<bool>),
    /// numpy's `np.newaxis` (`None`): a new output axis of length 1 at this
    /// place; it selects no axis of the array.
    NewAxis,
}

impl AxisSelection {
    /// The whole axis (`:`).
    pub const FULL: AxisSelection = AxisSelection::Slice {
        start: None,
        stop: None,
        step: None,
    };
}

/// A selection of any kind zarr-python supports.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Query {
    /// A basic selection (positive steps).
    Basic(Selection),
    /// Per axis, independently (zarr-python's `oindex` /
    /// `get_orthogonal_selection`); missing trailing axes are whole.
    Orthogonal(Vec<AxisSelection>),
    /// One integer array per axis, broadcast together (zarr-python's
    /// `vindex` / `get_coordinate_selection`); the result has the
    /// broadcast shape.
    Coordinates(Vec<ArrayD<i64>>),
    /// A boolean mask of the array's shape (`get_mask_selection`); the
    /// result is 1-d, the true elements in C order.
    Mask(ArrayD<bool>),
    /// Chunk indices and slices of chunk indices, step 1
    /// (`blocks` / `get_block_selection`); axes are kept.
    Blocks(Selection),
}

/// How a unit's box maps to the output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Gather {
    /// The product of per-axis lists of (position in the box, output index
    /// on that axis); `out_dims` are the output's lengths per axis (dropped
    /// axes have length 1).
    Product {
        /// Per axis: (position in the box, output index).
        axes: Vec<Vec<(u64, u64)>>,
        /// The output length of every axis, dropped ones included.
        out_dims: Vec<u64>,
    },
    /// Single elements: (C-order offset in the box, C-order output offset).
    Points(Vec<(u64, u64)>),
}

impl Gather {
    /// Call `f(box_offset, out_offset)` for every element this unit moves
    /// (C-order element offsets in the box of `box_shape` and the output),
    /// in the order of the output for each box element (so a write that
    /// scatters in this order keeps the last of repeated indices).
    pub fn for_each(&self, box_shape: &[u64], mut f: impl FnMut(u64, u64)) {
        self.for_each_run(box_shape, |b, o, len| {
            for k in 0..len {
                f(b + k, o + k);
            }
        })
    }

    /// As [`Gather::for_each`], in runs: `f(box_offset, out_offset, len)`
    /// moves `len` consecutive elements of the box to `len` consecutive
    /// elements of the output (whole rows of an orthogonal selection whose
    /// last axis is a slice become one run each).
    pub fn for_each_run(&self, box_shape: &[u64], mut f: impl FnMut(u64, u64, u64)) {
        match self {
            Gather::Points(v) => v.iter().for_each(|&(b, o)| f(b, o, 1)),
            Gather::Product { axes, out_dims } => {
                let n = axes.len();
                if n == 0 {
                    f(0, 0, 1);
                    return;
                }
                if axes.iter().any(Vec::is_empty) {
                    return;
                }
                // The innermost axis as runs of consecutive positions and outputs.
                let mut runs: Vec<(u64, u64, u64)> = Vec::new();
                for &(pos, out) in &axes[n - 1] {
                    match runs.last_mut() {
                        Some((p, o, len)) if *p + *len == pos && *o + *len == out => *len += 1,
                        _ => runs.push((pos, out, 1)),
                    }
                }
                let mut box_stride = vec![1u64; n];
                let mut out_stride = vec![1u64; n];
                for d in (0..n - 1).rev() {
                    box_stride[d] = box_stride[d + 1] * box_shape[d + 1];
                    out_stride[d] = out_stride[d + 1] * out_dims[d + 1];
                }
                let mut idx = vec![0usize; n - 1];
                loop {
                    let (mut b, mut o) = (0u64, 0u64);
                    for d in 0..n - 1 {
                        let (pos, out) = axes[d][idx[d]];
                        b += pos * box_stride[d];
                        o += out * out_stride[d];
                    }
                    for &(pos, out, len) in &runs {
                        f(b + pos, o + out, len);
                    }
                    let mut d = n - 1;
                    loop {
                        if d == 0 {
                            return;
                        }
                        d -= 1;
                        idx[d] += 1;
                        if idx[d] < axes[d].len() {
                            break;
                        }
                        idx[d] = 0;
                    }
                }
            }
        }
    }
}

/// The part of one chunk a query touches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatherUnit {
    /// The chunk's grid coordinates.
    pub chunk_coords: Vec<u64>,
    /// The bounding box of the selected elements inside the chunk (step 1).
    pub bbox: Vec<DimSlice>,
    /// Where the box's elements go in the output.
    pub gather: Gather,
}

/// A resolved query: the output shape and the chunks to visit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatherPlan {
    out_shape: Vec<usize>,
    num_elements: u64,
    units: Vec<GatherUnit>,
}

impl GatherPlan {
    /// The shape of the result.
    pub fn out_shape(&self) -> &[usize] {
        &self.out_shape
    }
    /// The number of elements of the result.
    pub fn num_elements(&self) -> u64 {
        self.num_elements
    }
    /// One unit per chunk touched.
    pub fn units(&self) -> &[GatherUnit] {
        &self.units
    }
    /// The units, owned.
    pub fn into_units(self) -> Vec<GatherUnit> {
        self.units
    }
}

/// What a query resolves to: a basic selection (the fast strided path) or
/// a gather plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    /// A basic selection.
    Basic(Selection, ResolvedSelection),
    /// Everything else.
    Gather(GatherPlan),
}

fn too_large(what: String) -> SelectionError {
    SelectionError::TooLarge { what }
}

/// A vector of `n` elements, refused (not aborted) when it cannot be allocated.
fn vec_with<T>(n: u64, what: &str) -> Result<Vec<T>, SelectionError> {
    let mut v = Vec::new();
    let n = usize::try_from(n).map_err(|_| too_large(format!("{n} {what}")))?;
    v.try_reserve_exact(n)
        .map_err(|_| too_large(format!("{n} {what}")))?;
    Ok(v)
}

fn normalize_index(i: i64, axis: usize, size: u64) -> Result<u64, SelectionError> {
    let j = if i < 0 {
        i as i128 + size as i128
    } else {
        i as i128
    };
    if j < 0 || j >= size as i128 {
        return Err(SelectionError::OutOfBounds {
            index: i,
            axis,
            size,
        });
    }
    Ok(j as u64)
}

/// The coordinates of a slice with any non-zero step, numpy's way.
fn slice_coords(
    start: Option<i64>,
    stop: Option<i64>,
    step: Option<i64>,
    axis: usize,
    size: u64,
) -> Result<Vec<u64>, SelectionError> {
    let step = step.unwrap_or(1);
    if step == 0 {
        return Err(SelectionError::InvalidStep { step, axis });
    }
    let n = size as i128;
    let (s, e) = if step > 0 {
        let norm = |v: i64| {
            let v = v as i128;
            if v < 0 {
                (v + n).max(0)
            } else {
                v.min(n)
            }
        };
        (start.map_or(0, norm), stop.map_or(n, norm))
    } else {
        // Negative step: indices clamp to [-1, n - 1].
        let norm = |v: i64| {
            let v = v as i128;
            if v < 0 {
                (v + n).max(-1)
            } else {
                v.min(n - 1)
            }
        };
        (start.map_or(n - 1, norm), stop.map_or(-1, norm))
    };
    let st = step as i128;
    let len = if st > 0 {
        if e > s {
            (e - s + st - 1) / st
        } else {
            0
        }
    } else if s > e {
        (s - e + (-st) - 1) / (-st)
    } else {
        0
    };
    let mut v = vec_with(len as u64, "selected indices")?;
    v.extend((0..len).map(|k| (s + k * st) as u64));
    Ok(v)
}

/// The coordinates one axis of an orthogonal selection picks, in output
/// order, and whether the axis is dropped.
fn axis_coords(
    a: &AxisSelection,
    axis: usize,
    size: u64,
) -> Result<(Vec<u64>, bool), SelectionError> {
    Ok(match a {
        AxisSelection::Index(i) => (vec![normalize_index(*i, axis, size)?], true),
        AxisSelection::Slice { start, stop, step } => {
            (slice_coords(*start, *stop, *step, axis, size)?, false)
        }
        AxisSelection::Indices(v) => (
            v.iter()
                .map(|&i| normalize_index(i, axis, size))
                .collect::<Result<_, _>>()?,
            false,
        ),
        AxisSelection::NewAxis => {
            // Query::resolve takes new axes out before planning.
            return Err(SelectionError::Parse {
                text: "newaxis".into(),
                reason: format!("a new axis where axis {axis} was expected"),
            });
        }
        AxisSelection::Mask(m) => {
            if m.len() as u64 != size {
                return Err(SelectionError::Parse {
                    text: format!("mask of length {}", m.len()),
                    reason: format!("axis {axis} has length {size}"),
                });
            }
            (
                m.iter()
                    .enumerate()
                    .filter(|(_, &b)| b)
                    .map(|(i, _)| i as u64)
                    .collect(),
                false,
            )
        }
    })
}

/// Per axis: the chunks an axis' coordinates fall in, each with its
/// bounding slice and (position in the slice, output index) pairs.
type AxisGroups = Vec<(u64, DimSlice, Vec<(u64, u64)>)>;

fn group_axis(coords: &[u64], cs: u64) -> AxisGroups {
    let mut order: Vec<(u64, u64)> = coords
        .iter()
        .enumerate()
        .map(|(k, &c)| (c, k as u64))
        .collect();
    order.sort_by_key(|&(c, _)| c); // stable: output order within equal coordinates
    let mut groups: AxisGroups = Vec::new();
    let mut i = 0;
    while i < order.len() {
        let chunk = order[i].0 / cs;
        let mut j = i;
        while j < order.len() && order[j].0 / cs == chunk {
            j += 1;
        }
        let (lo, hi) = (order[i].0, order[j - 1].0);
        let origin = chunk * cs;
        let bbox = DimSlice {
            start: lo - origin,
            step: 1,
            len: hi - lo + 1,
        };
        let pairs = order[i..j].iter().map(|&(c, k)| (c - lo, k)).collect();
        groups.push((chunk, bbox, pairs));
        i = j;
    }
    groups
}

/// The broadcast shape of `shapes` (numpy's rules).
fn broadcast_shape(shapes: &[&[usize]]) -> Result<Vec<usize>, SelectionError> {
    let nd = shapes.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = vec![1usize; nd];
    for s in shapes {
        for (i, &d) in s.iter().rev().enumerate() {
            let o = &mut out[nd - 1 - i];
            if *o == 1 {
                *o = d;
            } else if d != 1 && d != *o {
                return Err(SelectionError::Parse {
                    text: format!("{shapes:?}"),
                    reason: "index arrays cannot be broadcast together".into(),
                });
            }
        }
    }
    Ok(out)
}

impl Query {
    /// The orthogonal form of a basic selection (for negative steps).
    fn basic_as_orthogonal(
        sel: &Selection,
        ndim: usize,
    ) -> Result<Vec<AxisSelection>, SelectionError> {
        let n_ellipsis = sel
            .0
            .iter()
            .filter(|a| matches!(a, SliceArg::Ellipsis))
            .count();
        let given = sel.0.len() - n_ellipsis;
        if n_ellipsis > 1 {
            return Err(SelectionError::Parse {
                text: sel.to_string(),
                reason: "more than one ellipsis".into(),
            });
        }
        if given > ndim {
            return Err(SelectionError::TooManyAxes { given, ndim });
        }
        let mut out = Vec::with_capacity(ndim);
        for a in &sel.0 {
            match *a {
                SliceArg::Ellipsis => {
                    out.extend(std::iter::repeat_n(AxisSelection::FULL, ndim - given))
                }
                SliceArg::Index(i) => out.push(AxisSelection::Index(i)),
                SliceArg::Slice { start, stop, step } => {
                    out.push(AxisSelection::Slice { start, stop, step })
                }
            }
        }
        Ok(out)
    }

    /// Resolve against an array of `shape` with chunks of `chunk_shape`.
    pub fn resolve(&self, shape: &[u64], chunk_shape: &[u64]) -> Result<Resolved, SelectionError> {
        match self {
            Query::Basic(sel) => {
                if sel
                    .0
                    .iter()
                    .any(|a| matches!(a, SliceArg::Slice { step: Some(s), .. } if *s < 0))
                {
                    let axes = Self::basic_as_orthogonal(sel, shape.len())?;
                    return Ok(Resolved::Gather(orthogonal(&axes, shape, chunk_shape)?));
                }
                Ok(Resolved::Basic(sel.clone(), sel.resolve(shape)?))
            }
            Query::Blocks(sel) => {
                let basic = blocks_to_basic(sel, shape, chunk_shape)?;
                let r = basic.resolve(shape)?;
                Ok(Resolved::Basic(basic, r))
            }
            Query::Orthogonal(axes) if axes.contains(&AxisSelection::NewAxis) => {
                // Plan without the new axes, then put length-1 axes in the
                // output shape where they stood (the C-order output offsets
                // do not change).
                let real: Vec<AxisSelection> = axes
                    .iter()
                    .filter(|a| **a != AxisSelection::NewAxis)
                    .cloned()
                    .collect();
                let mut plan = orthogonal(&real, shape, chunk_shape)?;
                let mut kept = plan.out_shape.iter().copied();
                let mut out_shape = Vec::with_capacity(plan.out_shape.len() + axes.len());
                for a in axes {
                    match a {
                        AxisSelection::NewAxis => out_shape.push(1),
                        AxisSelection::Index(_) => {}
                        _ => out_shape.extend(kept.next()),
                    }
                }
                out_shape.extend(kept);
                plan.out_shape = out_shape;
                Ok(Resolved::Gather(plan))
            }
            Query::Orthogonal(axes) => {
                // Integers and positive slices only: the basic path.
                if axes.iter().all(|a| match a {
                    AxisSelection::Index(_) => true,
                    AxisSelection::Slice { step, .. } => step.unwrap_or(1) > 0,
                    _ => false,
                }) && axes.len() <= shape.len()
                {
                    let sel = Selection(
                        axes.iter()
                            .map(|a| match *a {
                                AxisSelection::Index(i) => SliceArg::Index(i),
                                AxisSelection::Slice { start, stop, step } => {
                                    SliceArg::Slice { start, stop, step }
                                }
                                _ => SliceArg::FULL,
                            })
                            .collect(),
                    );
                    let r = sel.resolve(shape)?;
                    return Ok(Resolved::Basic(sel, r));
                }
                Ok(Resolved::Gather(orthogonal(axes, shape, chunk_shape)?))
            }
            Query::Coordinates(arrays) => {
                Ok(Resolved::Gather(coordinates(arrays, shape, chunk_shape)?))
            }
            Query::Mask(mask) => {
                if mask
                    .shape()
                    .iter()
                    .map(|&d| d as u64)
                    .ne(shape.iter().copied())
                {
                    return Err(SelectionError::ShapeMismatch {
                        given: mask.shape().to_vec(),
                        expected: shape.iter().map(|&d| d as usize).collect(),
                    });
                }
                let n_true = mask.iter().filter(|&&b| b).count();
                let mut per_axis: Vec<Vec<u64>> = (0..shape.len())
                    .map(|_| vec_with(n_true as u64, "mask points"))
                    .collect::<Result<_, _>>()?;
                for (ix, _) in mask.indexed_iter().filter(|(_, &b)| b) {
                    for (d, v) in per_axis.iter_mut().enumerate() {
                        v.push(ix[d] as u64);
                    }
                }
                Ok(Resolved::Gather(points(
                    &per_axis,
                    vec![n_true],
                    shape,
                    chunk_shape,
                )?))
            }
        }
    }

    /// The gather plan of a query (a basic selection becomes one too).
    pub fn plan(&self, shape: &[u64], chunk_shape: &[u64]) -> Result<GatherPlan, SelectionError> {
        match self.resolve(shape, chunk_shape)? {
            Resolved::Gather(p) => Ok(p),
            Resolved::Basic(sel, r) => {
                let axes: Vec<AxisSelection> = sel_axes(&r);
                let _ = sel;
                orthogonal(&axes, shape, chunk_shape)
            }
        }
    }

    /// Parse the `zarr` tool's text form: comma-separated axes, each an
    /// integer, a slice (any non-zero step), `...`, a bracketed integer
    /// list `[0,5,-1]`, or `None` / `newaxis` (a new axis of length 1, as
    /// numpy's). With `vectorized`, the lists are coordinate arrays
    /// (one per axis, broadcast together; integers broadcast too); else the
    /// selection is orthogonal.
    pub fn parse(text: &str, vectorized: bool) -> Result<Query, SelectionError> {
        let err = |reason: String| SelectionError::Parse {
            text: text.to_string(),
            reason,
        };
        // Split at top-level commas.
        let mut parts = Vec::new();
        let (mut depth, mut cur) = (0i32, String::new());
        for ch in text.trim().chars() {
            match ch {
                '[' => {
                    depth += 1;
                    cur.push(ch)
                }
                ']' => {
                    depth -= 1;
                    if depth < 0 {
                        return Err(err("unbalanced ']'".into()));
                    }
                    cur.push(ch)
                }
                ',' if depth == 0 => parts.push(std::mem::take(&mut cur)),
                _ => cur.push(ch),
            }
        }
        if depth != 0 {
            return Err(err("unbalanced '['".into()));
        }
        if !cur.trim().is_empty() || !parts.is_empty() {
            parts.push(cur);
        }
        let is_new_axis = |p: &str| matches!(p.trim(), "None" | "newaxis");
        let has_list = parts
            .iter()
            .any(|p| p.trim().starts_with('[') || is_new_axis(p));
        if !has_list {
            let sel: Selection = text.parse()?;
            return Ok(Query::Basic(sel));
        }
        let list = |p: &str| -> Result<Vec<i64>, SelectionError> {
            let inner = p.trim().trim_start_matches('[').trim_end_matches(']');
            if inner.trim().is_empty() {
                return Ok(Vec::new());
            }
            inner
                .split(',')
                .map(|s| {
                    s.trim()
                        .parse::<i64>()
                        .map_err(|_| err(format!("{:?} is not an integer", s.trim())))
                })
                .collect()
        };
        if vectorized {
            let mut arrays = Vec::new();
            for p in &parts {
                let p = p.trim();
                if p.starts_with('[') {
                    let v = list(p)?;
                    arrays.push(
                        ArrayD::from_shape_vec(vec![v.len()], v).map_err(|e| err(e.to_string()))?,
                    );
                } else {
                    let i: i64 = p.parse().map_err(|_| {
                        err(format!(
                            "{p:?}: a vectorized selection takes integer lists and integers"
                        ))
                    })?;
                    arrays.push(ArrayD::from_elem(Vec::<usize>::new(), i));
                }
            }
            return Ok(Query::Coordinates(arrays));
        }
        let mut axes = Vec::new();
        for p in &parts {
            let p = p.trim();
            if p.starts_with('[') {
                axes.push(AxisSelection::Indices(list(p)?));
            } else if is_new_axis(p) {
                axes.push(AxisSelection::NewAxis);
            } else if p == "..." {
                return Err(err("'...' cannot be combined with index lists".into()));
            } else {
                let sel: Selection = p.parse()?;
                match sel.0.as_slice() {
                    [SliceArg::Index(i)] => axes.push(AxisSelection::Index(*i)),
                    [SliceArg::Slice { start, stop, step }] => axes.push(AxisSelection::Slice {
                        start: *start,
                        stop: *stop,
                        step: *step,
                    }),
                    _ => return Err(err(format!("{p:?} is not an axis selection"))),
                }
            }
        }
        Ok(Query::Orthogonal(axes))
    }
}

/// A resolved basic selection as orthogonal axes.
fn sel_axes(r: &ResolvedSelection) -> Vec<AxisSelection> {
    r.dims
        .iter()
        .zip(&r.dropped)
        .map(|(d, &dropped)| {
            if dropped {
                AxisSelection::Index(d.start as i64)
            } else {
                AxisSelection::Slice {
                    start: Some(d.start as i64),
                    stop: Some((d.start + d.len * d.step) as i64),
                    step: Some(d.step as i64),
                }
            }
        })
        .collect()
}

/// A block selection as the basic selection of the elements it covers.
fn blocks_to_basic(
    sel: &Selection,
    shape: &[u64],
    chunk_shape: &[u64],
) -> Result<Selection, SelectionError> {
    let grid = super::grid_shape(shape, chunk_shape);
    let r = sel.resolve(&grid)?;
    let mut out = Vec::with_capacity(shape.len());
    for (axis, (d, &dropped)) in r.dims.iter().zip(&r.dropped).enumerate() {
        if !dropped && d.step != 1 && d.len > 1 {
            return Err(SelectionError::InvalidStep {
                step: d.step as i64,
                axis,
            });
        }
        let cs = chunk_shape[axis];
        let start = d.start.saturating_mul(cs).min(shape[axis]);
        let stop = (d.start + d.len).saturating_mul(cs).min(shape[axis]);
        out.push(SliceArg::range(start as i64, stop as i64));
    }
    Ok(Selection(out))
}

fn orthogonal(
    axes: &[AxisSelection],
    shape: &[u64],
    chunk_shape: &[u64],
) -> Result<GatherPlan, SelectionError> {
    let ndim = shape.len();
    if axes.len() > ndim {
        return Err(SelectionError::TooManyAxes {
            given: axes.len(),
            ndim,
        });
    }
    let mut coords = Vec::with_capacity(ndim);
    let mut dropped = Vec::with_capacity(ndim);
    for (axis, &size) in shape.iter().enumerate() {
        let a = axes.get(axis).unwrap_or(&AxisSelection::FULL);
        let (c, d) = axis_coords(a, axis, size)?;
        coords.push(c);
        dropped.push(d);
    }
    let out_dims: Vec<u64> = coords.iter().map(|c| c.len() as u64).collect();
    let num_elements = crate::limits::checked_product(&out_dims)
        .ok_or_else(|| too_large("more elements than a 64-bit integer counts".into()))?;
    let out_shape: Vec<usize> = out_dims
        .iter()
        .zip(&dropped)
        .filter(|(_, &d)| !d)
        .map(|(&n, _)| n as usize)
        .collect();
    if num_elements == 0 {
        return Ok(GatherPlan {
            out_shape,
            num_elements,
            units: Vec::new(),
        });
    }
    let groups: Vec<AxisGroups> = coords
        .iter()
        .zip(chunk_shape)
        .map(|(c, &cs)| group_axis(c, cs.max(1)))
        .collect();
    let counts: Vec<u64> = groups.iter().map(|g| g.len() as u64).collect();
    let total = crate::limits::checked_product(&counts)
        .ok_or_else(|| too_large("more chunks than a 64-bit integer counts".into()))?;
    let mut units = vec_with(total, "chunks")?;
    units.extend(super::grid_indices(&counts).map(|idx| {
        let mut chunk_coords = Vec::with_capacity(ndim);
        let mut bbox = Vec::with_capacity(ndim);
        let mut lists = Vec::with_capacity(ndim);
        for (axis, &i) in idx.iter().enumerate() {
            let (c, b, pairs) = &groups[axis][i as usize];
            chunk_coords.push(*c);
            bbox.push(*b);
            lists.push(pairs.clone());
        }
        GatherUnit {
            chunk_coords,
            bbox,
            gather: Gather::Product {
                axes: lists,
                out_dims: out_dims.clone(),
            },
        }
    }));
    Ok(GatherPlan {
        out_shape,
        num_elements,
        units,
    })
}

fn coordinates(
    arrays: &[ArrayD<i64>],
    shape: &[u64],
    chunk_shape: &[u64],
) -> Result<GatherPlan, SelectionError> {
    let ndim = shape.len();
    if arrays.len() != ndim {
        return Err(SelectionError::Parse {
            text: format!("{} index arrays", arrays.len()),
            reason: format!("a coordinate selection needs one index array per dimension ({ndim})"),
        });
    }
    let shapes: Vec<&[usize]> = arrays.iter().map(|a| a.shape()).collect();
    let out_shape = broadcast_shape(&shapes)?;
    let n: u64 =
        crate::limits::checked_product(&out_shape.iter().map(|&d| d as u64).collect::<Vec<_>>())
            .ok_or_else(|| too_large("more points than a 64-bit integer counts".into()))?;
    let mut per_axis = Vec::with_capacity(ndim);
    for (axis, a) in arrays.iter().enumerate() {
        let b = a
            .broadcast(out_shape.clone())
            .ok_or_else(|| SelectionError::Parse {
                text: format!("{:?}", a.shape()),
                reason: "index arrays cannot be broadcast together".into(),
            })?;
        let mut v = vec_with(n, "points")?;
        for &i in b.iter() {
            v.push(normalize_index(i, axis, shape[axis])?);
        }
        per_axis.push(v);
    }
    points(&per_axis, out_shape, shape, chunk_shape)
}

/// Group points (one coordinate list per axis) by chunk.
fn points(
    per_axis: &[Vec<u64>],
    out_shape: Vec<usize>,
    shape: &[u64],
    chunk_shape: &[u64],
) -> Result<GatherPlan, SelectionError> {
    let ndim = shape.len();
    // One point per output element (a 0-d array has no coordinate lists
    // to count: one point for `vindex[()]`, none for a false 0-d mask).
    let n: usize = out_shape.iter().product();
    if per_axis.iter().any(|v| v.len() != n) {
        // Callers build the lists from `out_shape`: not reached.
        return Err(SelectionError::ShapeMismatch {
            given: per_axis.iter().map(Vec::len).collect(),
            expected: out_shape,
        });
    }
    let num_elements = n as u64;
    if n == 0 {
        return Ok(GatherPlan {
            out_shape,
            num_elements,
            units: Vec::new(),
        });
    }
    let grid = super::grid_shape(shape, chunk_shape);
    let chunk_id = |k: usize| -> u128 {
        (0..ndim).fold(0u128, |acc, d| {
            acc * grid[d] as u128 + (per_axis[d][k] / chunk_shape[d].max(1)) as u128
        })
    };
    let mut ids: Vec<u32> = vec_with(n as u64, "points")?;
    let n32 = u32::try_from(n).map_err(|_| too_large(format!("{n} points")))?;
    ids.extend(0..n32);
    let keys: Vec<u128> = (0..n).map(chunk_id).collect();
    ids.sort_by_key(|&k| (keys[k as usize], k));
    let mut units = Vec::new();
    let mut i = 0;
    while i < ids.len() {
        let key = keys[ids[i] as usize];
        let mut j = i;
        while j < ids.len() && keys[ids[j] as usize] == key {
            j += 1;
        }
        let first = ids[i] as usize;
        let chunk_coords: Vec<u64> = (0..ndim)
            .map(|d| per_axis[d][first] / chunk_shape[d].max(1))
            .collect();
        let mut lo = vec![u64::MAX; ndim];
        let mut hi = vec![0u64; ndim];
        for &k in &ids[i..j] {
            for d in 0..ndim {
                let c = per_axis[d][k as usize];
                lo[d] = lo[d].min(c);
                hi[d] = hi[d].max(c);
            }
        }
        let bbox: Vec<DimSlice> = (0..ndim)
            .map(|d| DimSlice {
                start: lo[d] - chunk_coords[d] * chunk_shape[d],
                step: 1,
                len: hi[d] - lo[d] + 1,
            })
            .collect();
        let pairs = ids[i..j]
            .iter()
            .map(|&k| {
                let off = (0..ndim).fold(0u64, |acc, d| {
                    acc * bbox[d].len + (per_axis[d][k as usize] - lo[d])
                });
                (off, k as u64)
            })
            .collect();
        units.push(GatherUnit {
            chunk_coords,
            bbox,
            gather: Gather::Points(pairs),
        });
        i = j;
    }
    Ok(GatherPlan {
        out_shape,
        num_elements,
        units,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coords(s: Option<i64>, e: Option<i64>, st: i64, n: u64) -> Vec<u64> {
        slice_coords(s, e, Some(st), 0, n).unwrap()
    }

    #[test]
    fn negative_steps_follow_numpy() {
        assert_eq!(coords(None, None, -1, 5), vec![4, 3, 2, 1, 0]);
        assert_eq!(coords(None, None, -2, 5), vec![4, 2, 0]);
        assert_eq!(coords(Some(3), Some(0), -1, 5), vec![3, 2, 1]);
        assert_eq!(coords(Some(-1), Some(-4), -1, 5), vec![4, 3, 2]);
        assert_eq!(coords(Some(10), None, -3, 5), vec![4, 1]);
        assert_eq!(coords(Some(0), Some(3), -1, 5), Vec::<u64>::new());
        assert_eq!(coords(None, Some(-10), -1, 3), vec![2, 1, 0]);
        assert!(slice_coords(None, None, Some(0), 0, 5).is_err());
    }

    #[test]
    fn points_group_by_chunk() {
        let q = Query::Coordinates(vec![
            ArrayD::from_shape_vec(vec![4], vec![0, 5, 1, 6]).unwrap(),
            ArrayD::from_shape_vec(vec![4], vec![0, 0, 1, 1]).unwrap(),
        ]);
        let p = q.plan(&[8, 2], &[4, 2]).unwrap();
        assert_eq!(p.units().len(), 2);
        assert_eq!(p.out_shape(), &[4]);
    }

    #[test]
    fn new_axes_add_length_one_axes_where_they_stand() {
        let shape = |text: &str, array: &[u64]| {
            Query::parse(text, false)
                .unwrap()
                .plan(array, &[2, 2, 2][..array.len()])
                .unwrap()
                .out_shape()
                .to_vec()
        };
        assert_eq!(shape("None,0,:", &[4, 3]), vec![1, 3]);
        assert_eq!(shape(":,newaxis", &[4, 3]), vec![4, 1, 3]);
        assert_eq!(shape("[0,2],None,1", &[4, 3]), vec![2, 1]);
        assert_eq!(shape("None,None", &[4]), vec![1, 1, 4]);
        assert_eq!(shape("None", &[]), vec![1]);
        assert!(Query::parse("None,0,0,0", false)
            .unwrap()
            .plan(&[4, 3], &[2, 2])
            .is_err());
        // The same elements, in the same order, as without the new axes.
        let a = Query::parse("1:3,None,::-1", false)
            .unwrap()
            .plan(&[4, 3], &[2, 2])
            .unwrap();
        let b = Query::parse("1:3,::-1", false)
            .unwrap()
            .plan(&[4, 3], &[2, 2])
            .unwrap();
        assert_eq!(a.num_elements(), b.num_elements());
        assert_eq!(a.units(), b.units());
    }

    #[test]
    fn parse_forms() {
        assert_eq!(
            Query::parse("[0,2],:", false).unwrap(),
            Query::Orthogonal(vec![
                AxisSelection::Indices(vec![0, 2]),
                AxisSelection::FULL
            ])
        );
        assert!(matches!(
            Query::parse("::-1", false).unwrap(),
            Query::Basic(_)
        ));
        assert!(matches!(
            Query::parse("[0,1],[2,3]", true).unwrap(),
            Query::Coordinates(_)
        ));
        assert!(Query::parse("[0,1", false).is_err());
        assert!(Query::parse("[a]", false).is_err());
    }
}
