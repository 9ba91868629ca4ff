//! Slabs: the boxes that streaming commands (`import`, `export`, `info
//! --stats`, `validate`, `compare`) move one at a time, so that memory is
//! bounded by a few slabs whatever the array's size.
//!
//! A slab is a box aligned to the array's chunk (or shard) grid, so every
//! chunk is read or written whole, exactly once; slabs are as large as a
//! target size allows and come in file order (the slowest axis first:
//! the first in C order, the last in F order), which is what a stream
//! (standard input or output) needs.

use zarr::buffer::Order;

/// Bytes a slab aims at (at least one chunk, whatever this says).
pub const TARGET_BYTES: u64 = 32 << 20;

/// The slab size for chunks (or shards) of `chunk_bytes`: [`TARGET_BYTES`],
/// or one chunk per thread when that is more, so every thread has work;
/// `ZARR_CLI_SLAB_BYTES` (for tests) sets it outright.
pub fn target_bytes(chunk_bytes: u64) -> u64 {
    if let Some(forced) = std::env::var("ZARR_CLI_SLAB_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return forced;
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    TARGET_BYTES.max(chunk_bytes.saturating_mul(threads))
}

/// A slab: its origin and extent in array coordinates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slab {
    /// First coordinate on each axis.
    pub origin: Vec<u64>,
    /// Length on each axis.
    pub extent: Vec<u64>,
    /// Chunks (or shards) of the grid the slab covers, whole or in part.
    pub chunks: u64,
}

impl Slab {
    /// Elements in the slab.
    pub fn len(&self) -> u64 {
        self.extent.iter().product()
    }
}

/// The slabs covering the box `[origin, origin + extent)` of an array with
/// chunks of `chunk` (the grid starts at 0), each at most `target` bytes
/// of `item`-byte elements where whole chunks allow it. Slabs are computed
/// as they are visited: a plan of billions of slabs takes no memory.
#[derive(Clone, Debug)]
pub struct SlabPlan {
    axes_plan: Vec<Axis>,
    /// Axes from slowest to fastest.
    axes: Vec<usize>,
}

/// How one axis of the box is cut: intervals on multiples of `step`.
#[derive(Clone, Copy, Debug)]
struct Axis {
    start: u64,
    end: u64,
    /// The slab length (a multiple of the chunk length), or the whole.
    step: u64,
    chunk: u64,
}

impl Axis {
    /// Intervals along the axis (at least one, possibly empty).
    fn count(&self) -> u64 {
        if self.end - self.start <= self.step {
            1
        } else {
            self.end.div_ceil(self.step) - self.start / self.step
        }
    }

    /// Interval `i`: its start and length.
    fn interval(&self, i: u64) -> (u64, u64) {
        if self.end - self.start <= self.step {
            return (self.start, self.end - self.start);
        }
        let first = self.start / self.step;
        let s = self.start.max((first + i) * self.step);
        let e = self.end.min((first + i + 1) * self.step);
        (s, e - s)
    }

    /// Chunks the interval `(s, l)` touches.
    fn chunks(&self, (s, l): (u64, u64)) -> u64 {
        if l == 0 {
            0
        } else {
            (s + l).div_ceil(self.chunk) - s / self.chunk
        }
    }
}

impl SlabPlan {
    /// Plan the slabs of a box. `order` gives the slowest axis; with
    /// `contiguous`, only one axis (the slowest longer than 1) is split, so
    /// every slab is one contiguous run of a file in that order.
    pub fn new(
        origin: &[u64],
        extent: &[u64],
        chunk: &[u64],
        item: u64,
        target: u64,
        order: Order,
        contiguous: bool,
    ) -> Self {
        let n = extent.len();
        let axes: Vec<usize> = if order == Order::F {
            (0..n).rev().collect()
        } else {
            (0..n).collect()
        };
        // Slab length per axis: whole, until the slab fits the target.
        let mut len: Vec<u64> = extent.to_vec();
        let bytes = |len: &[u64]| {
            len.iter()
                .fold(item.max(1), |acc, &l| acc.saturating_mul(l.max(1)))
        };
        for &d in &axes {
            // An empty box is one empty slab.
            if bytes(&len) <= target || extent.contains(&0) {
                break;
            }
            if contiguous && extent[d] <= 1 {
                continue;
            }
            let c = chunk.get(d).copied().unwrap_or(1).max(1);
            let mut layer = len.clone();
            layer[d] = c;
            let k = (target / bytes(&layer)).max(1);
            len[d] = k.saturating_mul(c).min(extent[d].max(1));
            if contiguous {
                break;
            }
        }
        let axes_plan = (0..n)
            .map(|d| Axis {
                start: origin[d],
                end: origin[d] + extent[d],
                step: len[d].max(1),
                chunk: chunk.get(d).copied().unwrap_or(1).max(1),
            })
            .collect();
        SlabPlan { axes_plan, axes }
    }

    /// How many slabs (saturating).
    #[cfg(test)]
    pub fn count(&self) -> u64 {
        self.axes_plan
            .iter()
            .fold(1u64, |a, x| a.saturating_mul(x.count()))
    }

    /// The slabs, slowest axis first.
    pub fn iter(&self) -> impl Iterator<Item = Slab> + Send + '_ {
        let n = self.axes_plan.len();
        let mut idx = vec![0u64; n];
        let mut first = true;
        let mut finished = false;
        std::iter::from_fn(move || {
            if finished {
                return None;
            }
            if !first {
                // Advance the fastest axis first; past the last, done.
                let mut carried = true;
                for &d in self.axes.iter().rev() {
                    idx[d] += 1;
                    if idx[d] < self.axes_plan[d].count() {
                        carried = false;
                        break;
                    }
                    idx[d] = 0;
                }
                if carried {
                    finished = true;
                    return None;
                }
            }
            first = false;
            let iv: Vec<(u64, u64)> = (0..n).map(|d| self.axes_plan[d].interval(idx[d])).collect();
            Some(Slab {
                origin: iv.iter().map(|v| v.0).collect(),
                extent: iv.iter().map(|v| v.1).collect(),
                chunks: (0..n).map(|d| self.axes_plan[d].chunks(iv[d])).product(),
            })
        })
    }

    /// Chunks of the grid the box touches (the sum over slabs; saturating).
    pub fn chunks_total(&self) -> u64 {
        self.axes_plan.iter().fold(1u64, |a, x| {
            a.saturating_mul(x.chunks((x.start, x.end - x.start)))
        })
    }
}

/// Run `produce` on each slab of `plan` in a thread of its own and
/// `consume` on the results in order, one slab ahead: while one slab is
/// consumed (written, checked), the next is produced (read, decoded), and
/// no more than those two are alive. Stops at the first error of either.
pub fn pipeline<T: Send, E: Send>(
    plan: &SlabPlan,
    mut produce: impl FnMut(&Slab) -> Result<T, E> + Send,
    mut consume: impl FnMut(Slab, T) -> Result<(), E>,
) -> Result<(), E> {
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<(Slab, T), E>>(0);
        scope.spawn(move || {
            for s in plan.iter() {
                let item = produce(&s);
                let failed = item.is_err();
                // A closed channel: the consumer stopped on an error.
                if tx.send(item.map(|t| (s, t))).is_err() || failed {
                    return;
                }
            }
        });
        for msg in rx {
            let (s, t) = msg?;
            consume(s, t)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covered(plan: &SlabPlan, shape: &[u64]) -> Vec<u32> {
        let n: u64 = shape.iter().product();
        let mut hits = vec![0u32; n as usize];
        for s in plan.iter() {
            let count = s.len();
            for flat in 0..count {
                let mut rem = flat;
                let mut idx = 0u64;
                let mut coord = vec![0u64; shape.len()];
                for d in (0..shape.len()).rev() {
                    coord[d] = s.origin[d] + rem % s.extent[d];
                    rem /= s.extent[d];
                }
                for d in 0..shape.len() {
                    idx = idx * shape[d] + coord[d];
                }
                hits[idx as usize] += 1;
            }
        }
        hits
    }

    #[test]
    fn slabs_cover_the_box_once_aligned_to_chunks() {
        let shape = [10u64, 7, 5];
        let chunk = [3u64, 2, 5];
        for target in [1u64, 30, 100, 400, 10_000] {
            for order in [Order::C, Order::F] {
                for contiguous in [false, true] {
                    let plan =
                        SlabPlan::new(&[0, 0, 0], &shape, &chunk, 1, target, order, contiguous);
                    assert!(covered(&plan, &shape).iter().all(|&h| h == 1));
                    let mut chunks = 0;
                    for s in plan.iter() {
                        chunks += s.chunks;
                        for d in 0..3 {
                            let end = s.origin[d] + s.extent[d];
                            assert!(s.origin[d] % chunk[d] == 0, "{s:?}");
                            assert!(end % chunk[d] == 0 || end == shape[d], "{s:?}");
                        }
                        if contiguous {
                            // All axes after the split one whole.
                            let axes: Vec<usize> = if order == Order::C {
                                vec![0, 1, 2]
                            } else {
                                vec![2, 1, 0]
                            };
                            let split = axes.iter().position(|&d| s.extent[d] != shape[d]);
                            if let Some(p) = split {
                                assert!(axes[p + 1..].iter().all(|&d| s.extent[d] == shape[d]));
                            }
                        }
                    }
                    assert_eq!(chunks, plan.chunks_total());
                    assert_eq!(plan.iter().count() as u64, plan.count());
                    assert_eq!(chunks, 4 * 4);
                }
            }
        }
        // A plan of 2^40 slabs costs nothing until visited.
        let plan = SlabPlan::new(&[0], &[1 << 40], &[1], 1, 1, Order::C, true);
        assert_eq!(plan.count(), 1 << 40);
        assert_eq!(plan.iter().nth(5).unwrap().origin, vec![5]);
        // Sizes: at most the target when whole chunks allow.
        let plan = SlabPlan::new(&[0, 0, 0], &shape, &chunk, 1, 30, Order::C, false);
        assert!(plan.iter().all(|s| s.len() <= 30));
        // A box inside the array, not on chunk boundaries.
        let plan = SlabPlan::new(&[1, 0, 0], &[8, 7, 5], &chunk, 1, 40, Order::C, false);
        let first = plan.iter().next().unwrap();
        assert_eq!(first.origin, vec![1, 0, 0]);
        assert_eq!(first.extent[0] + 1, 3, "ends on a chunk boundary");
    }

    #[test]
    fn empty_and_scalar_boxes() {
        let plan = SlabPlan::new(&[], &[], &[], 4, 1, Order::C, true);
        let slabs: Vec<Slab> = plan.iter().collect();
        assert_eq!(slabs.len(), 1);
        assert_eq!(slabs[0].len(), 1);
        let plan = SlabPlan::new(&[0, 0], &[0, 5], &[2, 2], 4, 1, Order::C, false);
        assert_eq!(plan.iter().count(), 1);
        assert_eq!(plan.iter().next().unwrap().len(), 0);
    }
}
