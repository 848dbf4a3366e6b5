//! Manifest rewrites that keep the file (being written).
