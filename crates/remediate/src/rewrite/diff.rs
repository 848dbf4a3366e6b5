//! Unified diffs, as `git diff` prints them for a file's content.
//!
//! Lines are compared whole, terminator included (a line that only changes from
//! LF to CRLF differs). The common start and end are set aside, and the rest is
//! compared with Myers' O((N+M)D) algorithm ("An O(ND) Difference Algorithm and
//! Its Variations", 1986), which keeps the trace of every step: memory grows with
//! the square of the number of differing lines, small for a rewrite that changes
//! a few lines. Hunks have three lines of context and are merged when their
//! contexts touch, as `git diff` does; each hunk header carries the function
//! context git's default rule finds (the closest line above the hunk that starts
//! with a letter, `_` or `$`), and a last line without a newline is followed by
//! `\ No newline at end of file`.
//!
//! A diff crate was not added for one function of this size (`similar` would do
//! it, with more than is needed).

/// Lines of context around each change.
const CONTEXT: usize = 3;

/// How much of a function-context line git keeps.
const FUNCNAME_MAX: usize = 80;

/// A unified diff of `old` and `new` for the file at `path` (labels `a/PATH` and
/// `b/PATH`, no `index` line), as `git diff` prints it; empty when the texts are
/// equal.
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let a = split_lines(old);
    let b = split_lines(new);
    let ops = diff_lines(&a, &b);
    let mut out = format!("diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n");
    for hunk in hunks(&ops) {
        write_hunk(&mut out, &a, &b, &ops[hunk.0..hunk.1]);
    }
    out
}

/// The lines of a text, each with its terminator (the last may have none).
fn split_lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// One step of an edit script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    /// Line `a` of the old text equals line `b` of the new.
    Same(usize, usize),
    /// Line of the old text removed.
    Delete(usize),
    /// Line of the new text inserted.
    Insert(usize),
}

/// An edit script from `a` to `b`.
fn diff_lines(a: &[&str], b: &[&str]) -> Vec<Op> {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let mut ops: Vec<Op> = (0..prefix).map(|i| Op::Same(i, i)).collect();
    let mid_a = &a[prefix..a.len() - suffix];
    let mid_b = &b[prefix..b.len() - suffix];
    for op in myers(mid_a, mid_b) {
        ops.push(match op {
            Op::Same(i, j) => Op::Same(i + prefix, j + prefix),
            Op::Delete(i) => Op::Delete(i + prefix),
            Op::Insert(j) => Op::Insert(j + prefix),
        });
    }
    for k in 0..suffix {
        ops.push(Op::Same(a.len() - suffix + k, b.len() - suffix + k));
    }
    ops
}

/// Myers' greedy shortest edit script, deletions before insertions in a change.
fn myers(a: &[&str], b: &[&str]) -> Vec<Op> {
    let (n, m) = (a.len() as isize, b.len() as isize);
    let max = (n + m) as usize;
    let offset = max as isize + 1;
    let mut v = vec![0isize; 2 * max + 3];
    let mut trace: Vec<Vec<isize>> = Vec::new();
    'outer: for d in 0..=max as isize {
        trace.push(v.clone());
        let mut k = -d;
        while k <= d {
            let idx = (k + offset) as usize;
            let mut x = if k == -d || (k != d && v[idx - 1] < v[idx + 1]) {
                v[idx + 1]
            } else {
                v[idx - 1] + 1
            };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            v[idx] = x;
            if x >= n && y >= m {
                trace.push(v.clone());
                break 'outer;
            }
            k += 2;
        }
    }
    // Walk the trace back from the end.
    let mut ops = Vec::new();
    let (mut x, mut y) = (n, m);
    for d in (1..trace.len() as isize - 1).rev() {
        let v = &trace[d as usize];
        let k = x - y;
        let prev_k =
            if k == -d || (k != d && v[(k - 1 + offset) as usize] < v[(k + 1 + offset) as usize]) {
                k + 1
            } else {
                k - 1
            };
        let prev_x = v[(prev_k + offset) as usize];
        let prev_y = prev_x - prev_k;
        while x > prev_x && y > prev_y {
            x -= 1;
            y -= 1;
            ops.push(Op::Same(x as usize, y as usize));
        }
        if x == prev_x {
            y -= 1;
            ops.push(Op::Insert(y as usize));
        } else {
            x -= 1;
            ops.push(Op::Delete(x as usize));
        }
    }
    while x > 0 && y > 0 {
        x -= 1;
        y -= 1;
        ops.push(Op::Same(x as usize, y as usize));
    }
    ops.reverse();
    order_changes(ops)
}

/// Within each run of changes, deletions first, as diff tools print them.
fn order_changes(ops: Vec<Op>) -> Vec<Op> {
    let mut out = Vec::with_capacity(ops.len());
    let mut dels = Vec::new();
    let mut ins = Vec::new();
    for op in ops {
        match op {
            Op::Delete(_) => dels.push(op),
            Op::Insert(_) => ins.push(op),
            Op::Same(..) => {
                out.append(&mut dels);
                out.append(&mut ins);
                out.push(op);
            }
        }
    }
    out.append(&mut dels);
    out.append(&mut ins);
    out
}

/// Ranges of `ops` forming hunks: changes with up to three lines of context,
/// merged when the contexts of two changes overlap or touch.
fn hunks(ops: &[Op]) -> Vec<(usize, usize)> {
    let changes: Vec<usize> = ops
        .iter()
        .enumerate()
        .filter(|(_, op)| !matches!(op, Op::Same(..)))
        .map(|(i, _)| i)
        .collect();
    let mut out: Vec<(usize, usize)> = Vec::new();
    for &i in &changes {
        let start = i.saturating_sub(CONTEXT);
        let end = (i + 1 + CONTEXT).min(ops.len());
        match out.last_mut() {
            Some(last) if start <= last.1 => last.1 = end,
            _ => out.push((start, end)),
        }
    }
    out
}

fn write_hunk(out: &mut String, a: &[&str], b: &[&str], ops: &[Op]) {
    let old_lines: Vec<usize> = ops
        .iter()
        .filter_map(|op| match op {
            Op::Same(i, _) | Op::Delete(i) => Some(*i),
            Op::Insert(_) => None,
        })
        .collect();
    let new_lines: Vec<usize> = ops
        .iter()
        .filter_map(|op| match op {
            Op::Same(_, j) | Op::Insert(j) => Some(*j),
            Op::Delete(_) => None,
        })
        .collect();
    let old_start = first_line(ops, true);
    let new_start = first_line(ops, false);
    out.push_str(&format!(
        "@@ -{} +{} @@",
        range(old_start, old_lines.len()),
        range(new_start, new_lines.len())
    ));
    // Function context: the closest line above the hunk in the old text.
    if let Some(f) = a[..old_start.min(a.len())]
        .iter()
        .rev()
        .find(|l| l.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '$'))
    {
        let line = f.trim_end_matches(['\n', '\r']);
        let mut cut = line.len().min(FUNCNAME_MAX);
        while !line.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push(' ');
        out.push_str(line[..cut].trim_end());
    }
    out.push('\n');
    for op in ops {
        let (mark, line) = match *op {
            Op::Same(i, _) => (' ', a[i]),
            Op::Delete(i) => ('-', a[i]),
            Op::Insert(j) => ('+', b[j]),
        };
        out.push(mark);
        out.push_str(line);
        if !line.ends_with('\n') {
            out.push_str("\n\\ No newline at end of file\n");
        }
    }
}

/// The 0-based index of the hunk's first line in the old (or new) text (0 when
/// the hunk has none there, which happens only for an empty text).
fn first_line(ops: &[Op], old: bool) -> usize {
    for op in ops {
        match (*op, old) {
            (Op::Same(i, _) | Op::Delete(i), true) => return i,
            (Op::Same(_, j) | Op::Insert(j), false) => return j,
            _ => {}
        }
    }
    // No line on this side: only when that text is empty.
    0
}

/// `start,count` as unified diffs write it (1-based; `,count` left out for one
/// line; an empty side names the line before it).
fn range(start0: usize, count: usize) -> String {
    match count {
        0 => format!("{start0},0"),
        1 => format!("{}", start0 + 1),
        n => format!("{},{n}", start0 + 1),
    }
}

#[cfg(test)]
mod tests;
