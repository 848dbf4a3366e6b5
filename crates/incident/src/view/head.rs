//! A signed head to keep outside the database (`incident head`): schema
//! `cverun.head/1`.

use serde::Serialize;

use crate::chain::Anchor;

/// The JSON schema name of [`HeadView`].
pub const SCHEMA: &str = "cverun.head/1";

/// A head, whole and by parts.
#[derive(Debug, Serialize)]
pub struct HeadView<'a> {
    /// `cverun.head/1`.
    pub schema: &'static str,
    /// The whole head, as one line (`NAME:SEQ:HASH:MAC`).
    pub head: String,
    /// Its parts: `name`, `seq`, `hash`, `mac`.
    #[serde(flatten)]
    pub anchor: &'a Anchor,
    /// The store is simulated (times from CVERUN_NOW, not a clock).
    pub simulated: bool,
}

/// The view of `anchor`.
pub fn view(anchor: &Anchor, simulated: bool) -> HeadView<'_> {
    HeadView {
        schema: SCHEMA,
        head: anchor.to_string(),
        anchor,
        simulated,
    }
}

/// The head as one line, to paste where it is kept (the caller warns on stderr
/// when the store is simulated, so that the line stays alone on stdout).
pub fn text(v: &HeadView<'_>) -> String {
    format!("{}\n", v.head)
}
