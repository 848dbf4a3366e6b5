//! Lockfile regeneration through each ecosystem's own tool (being written).
