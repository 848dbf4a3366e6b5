//! Close package names, for "did you mean requests?" when a name is unknown.
//!
//! The distance is the optimal string alignment distance (Levenshtein with
//! transpositions of adjacent characters counted as one edit), over characters,
//! case-insensitively. A candidate is close when its distance is at most 1 for
//! names of up to 4 characters, 2 up to 10, and 3 beyond; a candidate that
//! contains the name as a whole segment (`log4j-core` for `log4j`) is close too.

/// The optimal string alignment distance between `a` and `b`, or `None` when it
/// exceeds `max` (computed in O(len(a) * len(b)) time, two rows of memory).
pub fn distance(a: &str, b: &str, max: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().flat_map(char::to_lowercase).collect();
    let b: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    // Three rows: two back (for transpositions), one back, current.
    let mut two: Vec<usize> = vec![0; b.len() + 1];
    let mut one: Vec<usize> = (0..=b.len()).collect();
    let mut cur: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (one[j] + 1).min(cur[j - 1] + 1).min(one[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(two[j - 2] + 1);
            }
            cur[j] = d;
            row_min = row_min.min(d);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut two, &mut one);
        std::mem::swap(&mut one, &mut cur);
    }
    Some(one[b.len()]).filter(|d| *d <= max)
}

/// The largest distance at which a name of `len` characters has a close match.
fn allowed(len: usize) -> usize {
    match len {
        0..=4 => 1,
        5..=10 => 2,
        _ => 3,
    }
}

/// Whether `candidate` holds `name` as a whole segment (split on `-_.:/`).
fn segment_of(name: &str, candidate: &str) -> bool {
    name.len() >= 3
        && candidate
            .split(['-', '_', '.', ':', '/'])
            .any(|seg| seg.eq_ignore_ascii_case(name))
}

/// Up to `limit` names of `candidates` close to `name` (never `name` itself),
/// closest first, then alphabetically.
pub fn similar<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    limit: usize,
) -> Vec<String> {
    let max = allowed(name.chars().count());
    let mut found: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter(|c| !c.eq_ignore_ascii_case(name))
        .filter_map(|c| match distance(name, c, max) {
            Some(d) => Some((d, c)),
            None if segment_of(name, c) => Some((max + 1, c)),
            None => None,
        })
        .collect();
    found.sort_unstable();
    found.dedup_by(|a, b| a.1 == b.1);
    found
        .into_iter()
        .take(limit)
        .map(|(_, c)| c.to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("requests", "reqeusts", 3), Some(1)); // transposition
        assert_eq!(distance("requests", "request", 3), Some(1));
        assert_eq!(distance("kitten", "sitting", 3), Some(3));
        assert_eq!(distance("kitten", "sitting", 2), None);
        assert_eq!(distance("PyYAML", "pyyaml", 0), Some(0));
        assert_eq!(distance("", "abc", 3), Some(3));
        assert_eq!(distance("abc", "", 2), None);
    }

    #[test]
    fn suggestions() {
        let names = [
            "requests",
            "requests-oauthlib",
            "six",
            "urllib3",
            "sax",
            "log4j-core",
        ];
        assert_eq!(similar("reqeusts", names, 3), vec!["requests"]);
        assert_eq!(similar("sx", names, 3), vec!["sax", "six"]);
        assert_eq!(similar("six", names, 3), vec!["sax"]);
        assert_eq!(similar("log4j", names, 3), vec!["log4j-core"]);
        assert!(similar("completely-different", names, 3).is_empty());
        assert_eq!(similar("urlib3", names, 1), vec!["urllib3"]);
    }
}
