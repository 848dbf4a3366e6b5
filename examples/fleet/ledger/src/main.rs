//! Ledger: batches postings.
use smallvec::SmallVec;

fn main() {
    let mut batch: SmallVec<[u64; 8]> = SmallVec::new();
    batch.insert_many(0, [1, 2, 3]);
    println!("{}", ansi_term::Colour::Green.paint(format!("{} postings", batch.len())));
}
