//! Delivery channels (being written).
