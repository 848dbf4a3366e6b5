//! Report formats for people and tools. JSON is the [`Report`](crate::Report)
//! serialised; the others are here.

pub mod filtered;
pub mod markdown;
pub mod sarif;
pub mod style;
pub mod table;
