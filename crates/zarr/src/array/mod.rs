//! Arrays over a store (in progress).
