//! Creating, opening, saving and loading arrays (in progress).
