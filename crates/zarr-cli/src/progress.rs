//! A progress bar for long copies: bytes, total, throughput and ETA on
//! stderr, shown only when stderr is a terminal and the work has taken more
//! than a second (`ZARR_CLI_PROGRESS=always` shows it regardless, for tests).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use zarr::array::{CopyProgress, ProgressFn};

/// Show the bar after this long.
const DELAY: Duration = Duration::from_secs(1);

/// A bar that stays hidden until the work is slow enough to need it.
pub struct Progress {
    bar: ProgressBar,
    bytes_done: Arc<AtomicU64>,
}

impl Progress {
    /// A hidden bar; call [`Progress::callback`] to drive it.
    pub fn new() -> Self {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Progress {
            bar,
            bytes_done: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The callback for the library's copy and conversion functions.
    pub fn callback(&self) -> ProgressFn {
        let bar = self.bar.clone();
        let start = Instant::now();
        let forced = std::env::var("ZARR_CLI_PROGRESS").is_ok_and(|v| v == "always");
        let terminal = std::io::stderr().is_terminal();
        let shown = Arc::new(AtomicBool::new(false));
        let bytes_done = self.bytes_done.clone();
        Arc::new(move |p: &CopyProgress| {
            bytes_done.fetch_max(p.bytes_done, Ordering::Relaxed);
            bar.set_length(p.bytes_total.max(p.bytes_done));
            bar.set_position(p.bytes_done);
            bar.set_message(format!("{}/{} chunks", p.chunks_done, p.chunks_total));
            let due = forced || (terminal && start.elapsed() >= DELAY);
            if due && !shown.swap(true, Ordering::Relaxed) {
                bar.set_draw_target(if terminal {
                    ProgressDrawTarget::stderr()
                } else {
                    ProgressDrawTarget::term_like(Box::new(PlainStderr))
                });
            }
        })
    }

    /// Bytes done so far (as [`CopyProgress::bytes_done`] counts them).
    pub fn bytes_done(&self) -> u64 {
        self.bytes_done.load(Ordering::Relaxed)
    }

    /// Remove the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// Draws on stderr even when it is not a terminal (forced bars in tests):
/// each redraw is a carriage return and the bar's text.
#[derive(Debug)]
struct PlainStderr;

impl indicatif::TermLike for PlainStderr {
    fn width(&self) -> u16 {
        100
    }
    fn move_cursor_up(&self, _n: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn move_cursor_down(&self, _n: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn move_cursor_right(&self, _n: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn move_cursor_left(&self, _n: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn write_line(&self, s: &str) -> std::io::Result<()> {
        eprintln!("{s}");
        Ok(())
    }
    fn write_str(&self, s: &str) -> std::io::Result<()> {
        eprint!("{s}");
        Ok(())
    }
    fn clear_line(&self) -> std::io::Result<()> {
        eprint!("\r");
        Ok(())
    }
    fn flush(&self) -> std::io::Result<()> {
        use std::io::Write;
        std::io::stderr().flush()
    }
}
