//! Placeholder: this format is not read yet.

use crate::{Input, ParseError, Parsed};

/// Parses the file (not implemented yet: always an error).
pub fn parse(input: &Input<'_>) -> Result<Parsed, ParseError> {
    Err(input.error(None, "this file format is not supported yet"))
}
