//! `zarr`: inspect, import and export Zarr V3 (and V2) arrays from the command line.
//!
//! ```text
//! zarr info STORE [--path P] [--json]
//! zarr export STORE [--path P] [--select SEL] [--select-mode orthogonal|vectorized] -o OUT.npy
//! zarr import IN.npy STORE [--path P] [--dtype DT] [--chunks a,b,c|auto]
//!             [--shards a,b,c]
//!             [--compressor zstd[:L]|gzip[:L]|blosc[:CNAME[:CLEVEL[:SHUFFLE]]]|none]
//!             [--fill-value V] [--attrs JSON] [--overwrite]
//!             [--zarr-format 2 [--order C|F]
//!              [--compressor zlib|gzip|zstd|bz2|lzma|lz4[:L]|blosc[:CNAME[:CLEVEL[:SHUFFLE]]]|none]]
//! zarr convert SRC DST [--path P] [--zarr-format 3] [--overwrite]
//! zarr copy SRC DST [--path P] [--chunks a,b,c] [--shards a,b,c|none]
//!           [--compressor ...] [--zarr-format 2|3] [--overwrite]
//! zarr quickstart [DIR]
//! zarr tree STORE [--depth N]
//! zarr ls STORE [--path P]
//! zarr consolidate STORE
//! zarr rm STORE --path P
//! ```
//!
//! STORE is a folder, `file://PATH`, `zip://PATH`, a path ending in `.zip`,
//! `memory://`, or object storage: `s3://bucket/prefix` (settings from the
//! `AWS_*` environment variables, e.g. `AWS_ENDPOINT_URL`), `gs://`, `az://`,
//! or a read-only `http(s)://` URL.
//!
//! Any failure exits with status 1 and one line on stderr, `error: ...`,
//! that names the file or key and the problem.

mod cast;
mod consolidate;
mod convert;
mod copy;
mod export;
mod import;
mod info;
mod ls;
mod progress;
mod quickstart;
mod rm;
mod slab;
mod tree;
mod util;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Inspect, import and export Zarr V3 arrays.
#[derive(Parser, Debug)]
#[command(name = "zarr", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Show an array's format, shape, data type, chunks, codecs, fill value,
    /// attributes and stored size, or a group's attributes and members.
    Info(InfoArgs),
    /// Read an array (or a selection of it) and write it to a .npy file.
    Export(ExportArgs),
    /// Create a Zarr V3 (or V2) array from a .npy file.
    Import(ImportArgs),
    /// Convert a Zarr V2 array or hierarchy to V3, metadata only (chunks keep
    /// their keys and bytes); DST may be SRC to convert in place.
    Convert(ConvertArgs),
    /// Copy an array or hierarchy to another store, byte for byte or
    /// re-encoded (chunks, shards, compressor, Zarr format), chunk by chunk.
    Copy(copy::CopyArgs),
    /// Write a small hierarchy of realistic arrays, read it back, and print
    /// what was done with throughput.
    Quickstart(QuickstartArgs),
    /// Print a hierarchy as a tree (names, shapes, data types), as
    /// zarr-python's `Group.tree()`.
    Tree(TreeArgs),
    /// List the members of a group.
    Ls(LsArgs),
    /// Consolidate the metadata of a hierarchy into its root group.
    Consolidate(ConsolidateArgs),
    /// Delete an array or group and everything below it.
    Rm(RmArgs),
}

/// Arguments of `zarr tree`.
#[derive(clap::Args, Debug)]
pub struct TreeArgs {
    /// The store: a folder, `file://PATH`, `zip://PATH`, a `.zip` file or `memory://`.
    pub store: PathBuf,
    /// How many levels below the root's children to show (0: the children only).
    #[arg(long)]
    pub depth: Option<usize>,
}

/// Arguments of `zarr ls`.
#[derive(clap::Args, Debug)]
pub struct LsArgs {
    /// The store: a folder, `file://PATH`, `zip://PATH`, a `.zip` file or `memory://`.
    pub store: PathBuf,
    /// The path of the group inside the store (default: the root).
    #[arg(long, default_value = "")]
    pub path: String,
}

/// Arguments of `zarr consolidate`.
#[derive(clap::Args, Debug)]
pub struct ConsolidateArgs {
    /// The store: a folder, `file://PATH`, `zip://PATH` or a `.zip` file.
    pub store: PathBuf,
}

/// Arguments of `zarr rm`.
#[derive(clap::Args, Debug)]
pub struct RmArgs {
    /// The store: a folder, `file://PATH`, `zip://PATH` or a `.zip` file.
    pub store: PathBuf,
    /// The path of the array or group to delete.
    #[arg(long)]
    pub path: String,
}

/// Arguments of `zarr info`.
#[derive(clap::Args, Debug)]
pub struct InfoArgs {
    /// The store: a folder, `file://PATH`, `zip://PATH`, a `.zip` file or
    /// `memory://`.
    pub store: PathBuf,
    /// The path of the node inside the store (default: the root).
    #[arg(long, default_value = "")]
    pub path: String,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// How `zarr export --select` combines integer lists.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectMode {
    /// Each list selects along its own axis (zarr-python's `oindex`).
    Orthogonal,
    /// The lists are the coordinates of points (zarr-python's `vindex`).
    Vectorized,
}

/// Arguments of `zarr export`.
#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// The store: a folder, `file://PATH`, `zip://PATH`, a `.zip` file or
    /// `memory://`.
    pub store: PathBuf,
    /// The path of the array inside the store (default: the root).
    #[arg(long, default_value = "")]
    pub path: String,
    /// A numpy-style selection, e.g. `0:10,:,5`, `-1,...`, `::-1` (any
    /// non-zero step) or with integer lists `[0,5,9],:` (see --select-mode).
    #[arg(long, allow_hyphen_values = true)]
    pub select: Option<String>,
    /// How integer lists in --select combine: `orthogonal` (each list picks
    /// along its own axis, like zarr-python's `oindex`) or `vectorized`
    /// (the lists are point coordinates, one list per axis, like `vindex`).
    #[arg(long, value_enum, default_value = "orthogonal")]
    pub select_mode: SelectMode,
    /// For a struct array: only these fields, comma-separated (one field
    /// gives an array of its type, several a struct of them).
    #[arg(long, value_delimiter = ',')]
    pub fields: Vec<String>,
    /// The .npy file to write (`-` for standard output).
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
    /// Convert to this V3 data type before writing (`float32`, `int16`...),
    /// with numpy's `astype` rules; needed for types numpy lacks (`bfloat16`).
    /// Default: the array's type.
    #[arg(long)]
    pub dtype: Option<String>,
}

/// Arguments of `zarr import`.
#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// The .npy file to read (`-` for standard input), or with `--raw` a
    /// file of raw native-endian elements in C order.
    pub input: PathBuf,
    /// The store: a folder, `file://PATH`, `zip://PATH`, a `.zip` file or
    /// `memory://` (created when missing; a zip archive is appended to).
    pub store: PathBuf,
    /// The path of the array inside the store (default: the root).
    #[arg(long, default_value = "")]
    pub path: String,
    /// The V3 data type to store (`int16`, `float32`, `string`...); the input
    /// is converted when it differs. Default: the .npy's type. With
    /// `--raw`, the input's type (stored as is).
    #[arg(long)]
    pub dtype: Option<String>,
    /// The chunk shape, `a,b,c`, or `auto` (zarr-python's heuristic; the
    /// default). With `--shards`, the inner chunk shape: required, explicit,
    /// and dividing the shard shape.
    #[arg(long)]
    pub chunks: Option<String>,
    /// Store the array in shards of this shape, `a,b,c` (the
    /// `sharding_indexed` codec; `--chunks` is then the inner chunk shape and
    /// `--compressor` applies to each inner chunk).
    #[arg(long)]
    pub shards: Option<String>,
    /// `zstd[:LEVEL]`, `gzip[:LEVEL]`, `blosc[:CNAME[:CLEVEL[:SHUFFLE]]]` or `none`.
    /// Default: zstd level 0, as zarr-python.
    #[arg(long)]
    pub compressor: Option<String>,
    /// The fill value as written in zarr.json (`0`, `1.5`, `"NaN"`, `-Infinity`,
    /// `[1.0, -2.0]`, `"abc"`); text that is not JSON is taken as a string.
    #[arg(long, allow_hyphen_values = true)]
    pub fill_value: Option<String>,
    /// User attributes: a JSON object.
    #[arg(long)]
    pub attrs: Option<String>,
    /// Replace an array or group already at the path.
    #[arg(long)]
    pub overwrite: bool,
    /// The Zarr format to write: 3 (default) or 2. With 2, `--compressor`
    /// takes a numcodecs id: `zlib[:LEVEL]`, `gzip[:LEVEL]`, `zstd[:LEVEL]`,
    /// `bz2[:LEVEL]`, `lzma[:PRESET]`, `lz4[:ACCELERATION]`, `blosc[:CNAME[:CLEVEL[:SHUFFLE]]]` (SHUFFLE: -1,
    /// 0, 1, 2 or noshuffle, shuffle, bitshuffle) or `none`, and
    /// `--fill-value null` writes a null fill value.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(2..=3))]
    pub zarr_format: u8,
    /// The memory order of stored chunks of a V2 array: `C` (default) or `F`.
    #[arg(long)]
    pub order: Option<String>,
    /// Names of the dimensions, `x,y,z` (one per dimension; an empty name
    /// is none): V3 `dimension_names`, V2 the `_ARRAY_DIMENSIONS`
    /// attribute, which is what xarray needs to open the array.
    #[arg(long)]
    pub dimension_names: Option<String>,
    /// The input is raw binary (no .npy header): native-endian elements of
    /// `--dtype`, C order, of shape `--shape`.
    #[arg(long, requires_all = ["dtype", "shape"])]
    pub raw: bool,
    /// The shape of `--raw` input, `a,b,c`.
    #[arg(long, requires = "raw")]
    pub shape: Option<String>,
}

/// Arguments of `zarr convert`.
#[derive(clap::Args, Debug)]
pub struct ConvertArgs {
    /// The V2 store (any store the tool opens: a folder, a zip archive, a URL).
    pub src: PathBuf,
    /// The destination store (created when missing; SRC converts in place,
    /// keeping the V2 documents unless `--remove-v2`).
    pub dst: PathBuf,
    /// The path of the array or group to convert (default: the root).
    #[arg(long, default_value = "")]
    pub path: String,
    /// The format to convert to (only 3).
    #[arg(long, default_value_t = 3)]
    pub zarr_format: u8,
    /// Replace V3 nodes already at the destination.
    #[arg(long)]
    pub overwrite: bool,
    /// In place, delete the V2 documents (`.zarray`, `.zattrs`, `.zgroup`,
    /// `.zmetadata`; and a re-encoded array's V2 chunks) once each node is
    /// converted. Default: keep them, so that V2 readers still work.
    #[arg(long)]
    pub remove_v2: bool,
    /// Print what would be done, one line per step, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Arguments of `zarr quickstart`.
#[derive(clap::Args, Debug)]
pub struct QuickstartArgs {
    /// Where to write the hierarchy (replaced if it is a Zarr store already).
    #[arg(default_value = "quickstart.zarr")]
    pub dir: PathBuf,
}

/// Die quietly of SIGPIPE, as Unix tools do, when the reader of our output
/// goes away (`zarr tree big.zarr | head`); Rust ignores the signal by
/// default, which would turn every later print into an error.
#[cfg(unix)]
fn default_sigpipe() {
    // SAFETY: called first thing in main, before any thread exists; SIG_DFL
    // is a valid disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn default_sigpipe() {}

/// Help and version go to stdout (status 0); every usage error is, like
/// any other failure, one `error:` line on stderr with status 1: clap's
/// message, then the usage of the command it concerns.
fn usage_error(e: clap::Error) -> ! {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = e.print();
        std::process::exit(0);
    }
    let text = e.render().to_string();
    // The first paragraph: the message (and, for missing arguments, their
    // names on the lines below it).
    let paragraph: Vec<&str> = text
        .lines()
        .map(str::trim)
        .skip_while(|l| l.is_empty())
        .take_while(|l| !l.is_empty())
        .collect();
    let paragraph = paragraph.join(" ");
    let message = paragraph
        .strip_prefix("error:")
        .unwrap_or(&paragraph)
        .trim();
    let message = if message.is_empty() {
        "invalid arguments"
    } else {
        message
    };
    let message = if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        "a command is required (info, export, import, convert, copy, quickstart, tree, ls, consolidate, rm)"
    } else {
        message
    };
    let usage = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Usage:"))
        .map(|u| format!(" (usage: {}; see --help)", u.trim()))
        .unwrap_or_else(|| {
            // Errors on a value (not on the shape of the command line) come
            // without a usage line: render the subcommand's own.
            use clap::CommandFactory;
            let mut command = Cli::command();
            let sub = std::env::args().nth(1).unwrap_or_default();
            let usage = match command.find_subcommand_mut(&sub) {
                Some(c) => c.render_usage().to_string(),
                None => command.render_usage().to_string(),
            };
            let usage = usage.trim();
            let usage = usage.strip_prefix("Usage:").unwrap_or(usage).trim();
            if usage.starts_with("zarr") {
                format!(" (usage: {usage}; see --help)")
            } else {
                format!(" (usage: zarr {usage}; see --help)")
            }
        });
    eprintln!("error: {}{usage}", util::one_line(message));
    std::process::exit(1);
}

fn main() {
    default_sigpipe();
    // A bug must still end as one `error:` line and status 1, never a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "error: internal error (please report): {}{at}",
            util::one_line(&msg)
        );
        std::process::exit(1);
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => usage_error(e),
    };
    let result = match cli.command {
        Command::Info(a) => info::run(&a),
        Command::Export(a) => export::run(&a),
        Command::Import(a) => import::run(&a),
        Command::Convert(a) => convert::run(&a),
        Command::Copy(a) => copy::run(&a),
        Command::Quickstart(a) => quickstart::run(&a),
        Command::Tree(a) => tree::run(&a),
        Command::Ls(a) => ls::run(&a),
        Command::Consolidate(a) => consolidate::run(&a),
        Command::Rm(a) => rm::run(&a),
    };
    if let Err(e) = result {
        eprintln!("error: {}", util::one_line(&e));
        std::process::exit(1);
    }
}
