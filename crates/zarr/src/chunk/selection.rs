//! Basic selections (integers, slices with a positive step, full axes,
//! ellipsis) with numpy semantics, and their projection onto chunks.

use std::fmt;

/// One axis of a basic selection, as written by a user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SliceArg {
    /// A single index; negative counts from the end. The axis is dropped from the output.
    Index(i64),
    /// `start:stop:step` with numpy defaults and clamping; `step` must be at least 1.
    Slice {
        /// Start (default 0); negative counts from the end.
        start: Option<i64>,
        /// Stop (default the length); negative counts from the end.
        stop: Option<i64>,
        /// Step (default 1).
        step: Option<i64>,
    },
    /// `...`: as many full axes as needed.
    Ellipsis,
}

impl SliceArg {
    /// The whole axis (`:`).
    pub const FULL: SliceArg = SliceArg::Slice {
        start: None,
        stop: None,
        step: None,
    };

    /// `start..stop` with step 1.
    pub fn range(start: i64, stop: i64) -> Self {
        SliceArg::Slice {
            start: Some(start),
            stop: Some(stop),
            step: None,
        }
    }
}

/// An error resolving a selection against an array shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SelectionError {
    /// Too many axes.
    #[error("selection has {given} axes but the array has {ndim} dimensions")]
    TooManyAxes {
        /// Axes in the selection.
        given: usize,
        /// Array dimensions.
        ndim: usize,
    },
    /// An index outside the axis.
    #[error("index {index} is out of bounds for axis {axis} with size {size}")]
    OutOfBounds {
        /// The index given.
        index: i64,
        /// The axis.
        axis: usize,
        /// The axis length.
        size: u64,
    },
    /// A step of zero or less.
    #[error("slice step must be at least 1, got {step} on axis {axis}")]
    InvalidStep {
        /// The step.
        step: i64,
        /// The axis.
        axis: usize,
    },
    /// The selection touches more chunks than can be listed in memory.
    #[error("the selection touches {what}: too many to list in memory")]
    TooLarge {
        /// How many.
        what: String,
    },
    /// The text could not be parsed.
    #[error("cannot parse selection {text:?}: {reason}")]
    Parse {
        /// The text.
        text: String,
        /// Why.
        reason: String,
    },
    /// Data given for a write does not have the selection's shape.
    #[error("data of shape {given:?} does not match the selection shape {expected:?}")]
    ShapeMismatch {
        /// The data's shape.
        given: Vec<usize>,
        /// The selection's shape.
        expected: Vec<usize>,
    },
}

/// A basic selection: one [`SliceArg`] per axis; missing trailing axes are full.
///
/// ```
/// use zarr::chunk::Selection;
/// let s: Selection = "0:10, :, -1".parse().unwrap();
/// let r = s.resolve(&[100, 20, 30]).unwrap();
/// assert_eq!(r.out_shape(), vec![10, 20]);
/// let s: Selection = "::3".parse().unwrap();
/// assert_eq!(s.resolve(&[10]).unwrap().out_shape(), vec![4]);
/// assert!("5".parse::<Selection>().unwrap().resolve(&[5]).is_err());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection(pub Vec<SliceArg>);

impl Selection {
    /// Select everything.
    pub fn all() -> Self {
        Selection(Vec::new())
    }

    /// A box `[start, start + shape)` on every axis.
    pub fn from_box(start: &[u64], shape: &[u64]) -> Self {
        Selection(
            start
                .iter()
                .zip(shape)
                .map(|(&s, &n)| SliceArg::range(s as i64, (s + n) as i64))
                .collect(),
        )
    }

    /// Resolve against an array shape.
    pub fn resolve(&self, shape: &[u64]) -> Result<ResolvedSelection, SelectionError> {
        let ndim = shape.len();
        let n_ellipsis = self
            .0
            .iter()
            .filter(|a| matches!(a, SliceArg::Ellipsis))
            .count();
        if n_ellipsis > 1 {
            return Err(SelectionError::Parse {
                text: format!("{self}"),
                reason: "more than one ellipsis".into(),
            });
        }
        let given = self.0.len() - n_ellipsis;
        if given > ndim {
            return Err(SelectionError::TooManyAxes { given, ndim });
        }
        let mut args: Vec<SliceArg> = Vec::with_capacity(ndim);
        for a in &self.0 {
            if matches!(a, SliceArg::Ellipsis) {
                args.extend(std::iter::repeat_n(SliceArg::FULL, ndim - given));
            } else {
                args.push(*a);
            }
        }
        args.resize(ndim, SliceArg::FULL);
        let mut dims = Vec::with_capacity(ndim);
        let mut dropped = Vec::with_capacity(ndim);
        for (axis, (arg, &size)) in args.iter().zip(shape).enumerate() {
            let size_i = size as i128;
            match *arg {
                SliceArg::Index(i) => {
                    let j = if i < 0 { i as i128 + size_i } else { i as i128 };
                    if j < 0 || j >= size_i {
                        return Err(SelectionError::OutOfBounds {
                            index: i,
                            axis,
                            size,
                        });
                    }
                    dims.push(DimSlice {
                        start: j as u64,
                        step: 1,
                        len: 1,
                    });
                    dropped.push(true);
                }
                SliceArg::Slice { start, stop, step } => {
                    let step = step.unwrap_or(1);
                    if step < 1 {
                        return Err(SelectionError::InvalidStep { step, axis });
                    }
                    let norm = |v: i64| -> i128 {
                        let v = v as i128;
                        if v < 0 {
                            (v + size_i).max(0)
                        } else {
                            v.min(size_i)
                        }
                    };
                    let s = start.map_or(0, norm);
                    let e = stop.map_or(size_i, norm);
                    let len = if e > s {
                        (e - s + step as i128 - 1) / step as i128
                    } else {
                        0
                    };
                    dims.push(DimSlice {
                        start: s as u64,
                        step: step as u64,
                        len: len as u64,
                    });
                    dropped.push(false);
                }
                SliceArg::Ellipsis => unreachable!("ellipsis expanded above"),
            }
        }
        Ok(ResolvedSelection { dims, dropped })
    }
}

impl fmt::Display for Selection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            match a {
                SliceArg::Index(i) => write!(f, "{i}")?,
                SliceArg::Ellipsis => f.write_str("...")?,
                SliceArg::Slice { start, stop, step } => {
                    if let Some(s) = start {
                        write!(f, "{s}")?;
                    }
                    f.write_str(":")?;
                    if let Some(s) = stop {
                        write!(f, "{s}")?;
                    }
                    if let Some(s) = step {
                        write!(f, ":{s}")?;
                    }
                }
            }
        }
        Ok(())
    }
}

impl std::str::FromStr for Selection {
    type Err = SelectionError;
    /// Parse numpy-style text such as `0:10,:,5`, `::2`, `-1`, `...,3`.
    fn from_str(text: &str) -> Result<Self, SelectionError> {
        let err = |reason: String| SelectionError::Parse {
            text: text.to_string(),
            reason,
        };
        let t = text.trim();
        if t.is_empty() {
            return Ok(Selection::all());
        }
        let num = |s: &str| -> Result<Option<i64>, SelectionError> {
            let s = s.trim();
            if s.is_empty() {
                Ok(None)
            } else {
                s.parse::<i64>()
                    .map(Some)
                    .map_err(|_| err(format!("{s:?} is not an integer")))
            }
        };
        let mut args = Vec::new();
        for part in t.split(',') {
            let p = part.trim();
            if p == "..." {
                args.push(SliceArg::Ellipsis);
            } else if p.contains(':') {
                let pieces: Vec<&str> = p.split(':').collect();
                if pieces.len() > 3 {
                    return Err(err(format!("{p:?} has too many colons")));
                }
                args.push(SliceArg::Slice {
                    start: num(pieces[0])?,
                    stop: num(pieces[1])?,
                    step: if pieces.len() == 3 {
                        num(pieces[2])?
                    } else {
                        None
                    },
                });
            } else {
                match num(p)? {
                    Some(i) => args.push(SliceArg::Index(i)),
                    None => return Err(err("empty axis".into())),
                }
            }
        }
        Ok(Selection(args))
    }
}

impl From<Vec<SliceArg>> for Selection {
    fn from(v: Vec<SliceArg>) -> Self {
        Selection(v)
    }
}

/// The selected coordinates of one axis: `start + k * step` for `k < len`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DimSlice {
    /// First coordinate.
    pub start: u64,
    /// Distance between coordinates (at least 1).
    pub step: u64,
    /// Number of coordinates.
    pub len: u64,
}

impl DimSlice {
    /// Every coordinate of an axis of length `len`, in order.
    pub fn whole(len: u64) -> Self {
        DimSlice {
            start: 0,
            step: 1,
            len,
        }
    }

    /// The whole of every axis of `shape`.
    pub fn whole_shape(shape: &[u64]) -> Vec<DimSlice> {
        shape.iter().map(|&len| DimSlice::whole(len)).collect()
    }
}

/// A selection resolved against a shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedSelection {
    /// One slice per array axis (an integer index is a slice of length 1).
    pub dims: Vec<DimSlice>,
    /// Axes selected by an integer index, dropped from the output shape.
    pub dropped: Vec<bool>,
}

/// The part of one chunk a selection touches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkProjection {
    /// The chunk's grid coordinates.
    pub chunk_coords: Vec<u64>,
    /// The selected coordinates inside the chunk.
    pub in_chunk: Vec<DimSlice>,
    /// Where they land in the selection (per axis, including dropped axes).
    pub out_start: Vec<u64>,
}

impl ResolvedSelection {
    /// The selection shape on every axis (dropped axes have length 1).
    pub fn shape(&self) -> Vec<u64> {
        self.dims.iter().map(|d| d.len).collect()
    }

    /// The output shape: dropped axes removed.
    pub fn out_shape(&self) -> Vec<usize> {
        self.dims
            .iter()
            .zip(&self.dropped)
            .filter(|(_, &d)| !d)
            .map(|(s, _)| s.len as usize)
            .collect()
    }

    /// Number of selected elements.
    pub fn num_elements(&self) -> u64 {
        self.dims.iter().map(|d| d.len).product()
    }

    /// Every chunk the selection touches, with what it takes from each.
    /// [`SelectionError::TooLarge`] when the list cannot be allocated (a
    /// selection of a huge array with tiny chunks), instead of aborting.
    pub fn chunks(&self, chunk_shape: &[u64]) -> Result<Vec<ChunkProjection>, SelectionError> {
        if self.num_elements() == 0 {
            return Ok(Vec::new());
        }
        let too_large = |chunks: Option<u64>| SelectionError::TooLarge {
            what: match chunks {
                Some(n) => format!("{n} chunks"),
                None => "more chunks than a 64-bit integer counts".into(),
            },
        };
        // Upper bounds of the chunks touched per axis, then in all.
        let bounds: Vec<u64> = self
            .dims
            .iter()
            .zip(chunk_shape)
            .map(|(d, &cs)| {
                let last = d.start + (d.len - 1) * d.step;
                last / cs - d.start / cs + 1
            })
            .collect();
        let total = crate::limits::checked_product(&bounds).ok_or_else(|| too_large(None))?;
        let mut out: Vec<ChunkProjection> = Vec::new();
        let total_usize = usize::try_from(total).map_err(|_| too_large(Some(total)))?;
        out.try_reserve_exact(total_usize)
            .map_err(|_| too_large(Some(total)))?;
        // Per axis: the chunks touched and, for each, (chunk index, in-chunk slice, out start).
        let per_axis: Vec<Vec<(u64, DimSlice, u64)>> = self
            .dims
            .iter()
            .zip(chunk_shape)
            .zip(&bounds)
            .map(|((d, &cs), &bound)| {
                // bound <= total, which was reserved above: this fits.
                let mut v = Vec::with_capacity(bound as usize);
                let last = d.start + (d.len - 1) * d.step;
                let (c0, c1) = (d.start / cs, last / cs);
                for c in c0..=c1 {
                    // The chunk covers [lo, hi). The last chunk of an axis
                    // near u64::MAX may end past it: every coordinate is
                    // below the axis length, so hi saturates at u64::MAX.
                    let (lo, hi) = (c * cs, (c + 1).saturating_mul(cs));
                    // First k with start + k*step >= lo.
                    let k0 = if d.start >= lo {
                        0
                    } else {
                        (lo - d.start).div_ceil(d.step)
                    };
                    if k0 >= d.len {
                        continue;
                    }
                    let first = d.start + k0 * d.step;
                    if first >= hi {
                        continue;
                    }
                    let k1 = ((hi - 1 - d.start) / d.step).min(d.len - 1); // last k inside
                    v.push((
                        c,
                        DimSlice {
                            start: first - lo,
                            step: d.step,
                            len: k1 - k0 + 1,
                        },
                        k0,
                    ));
                }
                v
            })
            .collect();
        let counts: Vec<u64> = per_axis.iter().map(|v| v.len() as u64).collect();
        out.extend(super::grid_indices(&counts).map(|idx| {
            let mut p = ChunkProjection {
                chunk_coords: Vec::new(),
                in_chunk: Vec::new(),
                out_start: Vec::new(),
            };
            for (axis, &i) in idx.iter().enumerate() {
                let (c, s, o) = per_axis[axis][i as usize];
                p.chunk_coords.push(c);
                p.in_chunk.push(s);
                p.out_start.push(o);
            }
            p
        }));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numpy_semantics() {
        let r = Selection(vec![SliceArg::Slice {
            start: Some(-3),
            stop: None,
            step: None,
        }])
        .resolve(&[10])
        .unwrap();
        assert_eq!(
            r.dims[0],
            DimSlice {
                start: 7,
                step: 1,
                len: 3
            }
        );
        let r = Selection(vec![SliceArg::Slice {
            start: Some(2),
            stop: Some(100),
            step: Some(3),
        }])
        .resolve(&[10])
        .unwrap();
        assert_eq!(
            r.dims[0],
            DimSlice {
                start: 2,
                step: 3,
                len: 3
            }
        );
        let r = Selection(vec![SliceArg::range(5, 2)])
            .resolve(&[10])
            .unwrap();
        assert_eq!(r.dims[0].len, 0);
        assert!(Selection(vec![SliceArg::Index(-11)])
            .resolve(&[10])
            .is_err());
        assert_eq!(
            Selection(vec![SliceArg::Index(-10)])
                .resolve(&[10])
                .unwrap()
                .dims[0]
                .start,
            0
        );
        assert!(matches!(
            Selection(vec![SliceArg::Slice {
                start: None,
                stop: None,
                step: Some(0)
            }])
            .resolve(&[10]),
            Err(SelectionError::InvalidStep { .. })
        ));
        assert!(Selection(vec![SliceArg::FULL, SliceArg::FULL])
            .resolve(&[10])
            .is_err());
        let r: ResolvedSelection = "...,1"
            .parse::<Selection>()
            .unwrap()
            .resolve(&[3, 4, 5])
            .unwrap();
        assert_eq!(r.out_shape(), vec![3, 4]);
    }

    #[test]
    fn projection_covers_every_element_once() {
        for (start, step, len, cs) in [
            (0, 1, 10, 3),
            (1, 2, 5, 3),
            (2, 5, 3, 4),
            (7, 3, 1, 2),
            (0, 7, 2, 3),
        ] {
            let r = ResolvedSelection {
                dims: vec![DimSlice { start, step, len }],
                dropped: vec![false],
            };
            let mut seen = vec![];
            for p in r.chunks(&[cs]).unwrap() {
                let s = p.in_chunk[0];
                for k in 0..s.len {
                    let coord = p.chunk_coords[0] * cs + s.start + k * s.step;
                    seen.push((p.out_start[0] + k, coord));
                }
            }
            seen.sort();
            let expect: Vec<(u64, u64)> = (0..len).map(|k| (k, start + k * step)).collect();
            assert_eq!(seen, expect, "{start} {step} {len} {cs}");
        }
    }

    /// Found by the `selection` fuzz target: the last chunk of an axis of
    /// length near u64::MAX, not a multiple of the chunk length, ends past
    /// u64::MAX (its end overflowed).
    #[test]
    fn chunks_of_an_axis_ending_near_u64_max() {
        let s: Selection = "-5:,1".parse().unwrap();
        let r = s.resolve(&[u64::MAX, 3]).unwrap();
        let p = r.chunks(&[1 << 40, 2]).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].chunk_coords, vec![u64::MAX >> 40, 0]);
        assert_eq!(p[0].in_chunk[0].start, (1 << 40) - 6);
        assert_eq!(p[0].in_chunk[0].len, 5);
        assert_eq!(p[0].in_chunk[1].start, 1);
    }
}
