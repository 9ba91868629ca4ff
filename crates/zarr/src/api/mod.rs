//! The free functions of zarr-python's `zarr.api.asynchronous` (seed 004),
//! named in Rust style.
//!
//! Naming: each function is blocking and takes a [`StoreRef`](crate::store::StoreRef);
//! its async twin has the same name with an `_async` suffix and takes an
//! `Arc<dyn AsyncStore>` (for example [`group::open_group`] and
//! [`group::open_group_async`]).
//!
//! * [`array`](mod@array): create, open, save and load arrays (`create_array`,
//!   `zeros`, `full_like`, `open_array`, `from_array`, `save`, `load`...).
//! * [`group`](mod@group): groups and hierarchies (`group`, `open_group`,
//!   `open`, `create_hierarchy`, `consolidate_metadata`, `tree`, `load` of a
//!   group...).
//! * [`copy`](mod@copy): `copy`, `copy_all` and `copy_store` between any two
//!   stores, optionally re-encoding.

/// Builder setters for an options struct: `name(arg: T) => value;` makes
/// `pub fn name(mut self, arg: T) -> Self`, which sets the field `name` to
/// `value`, documented as setting `Owner::name`.
macro_rules! setters {
    ($owner:ident; $($name:ident($arg:ident: $t:ty) => $value:expr;)*) => {
        $(
            #[doc = concat!("Set [`", stringify!($owner), "::", stringify!($name), "`].")]
            pub fn $name(mut self, $arg: $t) -> Self {
                self.$name = $value;
                self
            }
        )*
    };
}
pub(crate) use setters;

pub mod array;
mod blocking;
pub mod copy;
pub mod group;

pub use crate::group::AccessMode;
