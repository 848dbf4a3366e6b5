//! Message templates (being written).
