//! Dependency graphs: from "who depends on whom" to direct/transitive and paths.
//!
//! Lockfiles that record the graph build a [`Graph`] over the indices of their
//! packages, name the direct dependencies, and call [`Graph::annotate`]: every
//! direct dependency becomes [`Relation::Direct`] (its path is itself, so none is stored); every
//! package reachable from one becomes [`Relation::Transitive`] with up to
//! [`MAX_PATHS`] shortest paths, each through a different direct dependency;
//! packages that nothing reaches keep [`Relation::Unknown`].

use std::collections::VecDeque;

use crate::package::{Package, Pin, Relation, Scope};

/// How many paths are kept per package.
pub const MAX_PATHS: usize = 3;

/// A dependency graph over package indices.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    edges: Vec<Vec<usize>>,
}

impl Graph {
    /// A graph of `n` packages and no edges.
    pub fn new(n: usize) -> Graph {
        Graph {
            edges: vec![Vec::new(); n],
        }
    }

    /// `from` depends on `to`. Out-of-range indices are ignored.
    pub fn add_edge(&mut self, from: usize, to: usize) {
        if from < self.edges.len()
            && to < self.edges.len()
            && from != to
            && !self.edges[from].contains(&to)
        {
            self.edges[from].push(to);
        }
    }

    /// Sets `relation` and `paths` of `packages` (indexed like the graph) from the
    /// direct dependencies `direct`.
    pub fn annotate(&self, direct: &[usize], packages: &mut [Package]) {
        let n = self.edges.len().min(packages.len());
        let mut paths: Vec<Vec<Vec<usize>>> = vec![Vec::new(); n];
        let mut queue = VecDeque::new();
        // Membership of `direct` by index: a look-up per edge, not a scan.
        let mut is_direct = vec![false; n];
        for &d in direct {
            if d < n {
                is_direct[d] = true;
            }
        }
        for &d in direct {
            if d < n && paths[d].is_empty() {
                paths[d].push(vec![d]);
                queue.push_back((d, 0usize));
            }
        }
        while let Some((u, k)) = queue.pop_front() {
            let path = paths[u][k].clone();
            for &v in &self.edges[u] {
                if v >= n || is_direct[v] || path.contains(&v) {
                    continue;
                }
                let first = path[0];
                if paths[v].len() >= MAX_PATHS || paths[v].iter().any(|p| p[0] == first) {
                    continue;
                }
                let mut next = path.clone();
                next.push(v);
                paths[v].push(next);
                queue.push_back((v, paths[v].len() - 1));
            }
        }
        // Labels only of the packages that appear on some path.
        let mut labels: Vec<Option<String>> = vec![None; n];
        for path in paths.iter().flatten() {
            for &j in path {
                if labels[j].is_none() {
                    labels[j] = Some(label(&packages[j]));
                }
            }
        }
        for (i, p) in packages.iter_mut().enumerate().take(n) {
            if is_direct[i] {
                p.relation = Relation::Direct;
                p.paths = Vec::new();
            } else if !paths[i].is_empty() {
                p.relation = Relation::Transitive;
                p.paths = paths[i]
                    .iter()
                    .map(|path| {
                        path.iter()
                            .map(|&j| labels[j].clone().unwrap_or_default())
                            .collect()
                    })
                    .collect();
            }
        }
    }
}

/// Spreads scopes from `seeds` over `edges` (`edges[u]`: what `u` depends on): a
/// package reachable from a runtime seed is runtime; else, from an optional seed,
/// optional; else, from a development seed, development; the rest `None`. Seeds of
/// unknown scope spread nothing (callers decide what unknown means for them).
pub fn spread_scopes(edges: &[Vec<usize>], seeds: &[(usize, Scope)]) -> Vec<Option<Scope>> {
    let n = edges.len();
    let mut out: Vec<Option<Scope>> = vec![None; n];
    for scope in [Scope::Runtime, Scope::Optional, Scope::Development] {
        let mut stack: Vec<usize> = seeds
            .iter()
            .filter(|(i, s)| *s == scope && *i < n)
            .map(|(i, _)| *i)
            .collect();
        while let Some(u) = stack.pop() {
            if out[u].is_some() {
                continue;
            }
            out[u] = Some(scope);
            stack.extend(
                edges[u]
                    .iter()
                    .copied()
                    .filter(|&v| v < n && out[v].is_none()),
            );
        }
    }
    out
}

/// `name@version` (or `name@specifier`) for paths.
pub fn label(p: &Package) -> String {
    match &p.pin {
        Pin::Exact(v) => format!("{}@{v}", p.name),
        Pin::Unpinned { specifier } if specifier.is_empty() => p.name.clone(),
        Pin::Unpinned { specifier } => format!("{}@{specifier}", p.name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cverun_versions::Ecosystem;

    fn pkgs(names: &[&str]) -> Vec<Package> {
        names
            .iter()
            .map(|n| Package::new(Ecosystem::Npm, n, Pin::Exact("1.0.0".into())))
            .collect()
    }

    #[test]
    fn direct_transitive_and_unreached() {
        // a -> c -> d ; b -> d ; e unreached
        let mut p = pkgs(&["a", "b", "c", "d", "e"]);
        let mut g = Graph::new(5);
        g.add_edge(0, 2);
        g.add_edge(2, 3);
        g.add_edge(1, 3);
        g.annotate(&[0, 1], &mut p);
        assert_eq!(p[0].relation, Relation::Direct);
        assert!(
            p[0].paths.is_empty(),
            "a direct dependency's path is itself"
        );
        assert_eq!(p[2].relation, Relation::Transitive);
        assert_eq!(p[2].paths, vec![vec!["a@1.0.0", "c@1.0.0"]]);
        assert_eq!(p[3].relation, Relation::Transitive);
        assert_eq!(
            p[3].paths,
            vec![
                vec!["b@1.0.0", "d@1.0.0"],
                vec!["a@1.0.0", "c@1.0.0", "d@1.0.0"]
            ],
            "shortest first, one per direct dependency"
        );
        assert_eq!(p[4].relation, Relation::Unknown);
        assert!(p[4].paths.is_empty());
    }

    #[test]
    fn scopes_spread_runtime_first() {
        // 0 (dev) -> 2 -> 3 ; 1 (runtime) -> 3 ; 4 unreached ; 5 (unknown seed)
        let edges = vec![vec![2], vec![3], vec![3], vec![], vec![], vec![4]];
        let s = spread_scopes(
            &edges,
            &[
                (0, Scope::Development),
                (1, Scope::Runtime),
                (5, Scope::Unknown),
                (9, Scope::Runtime),
            ],
        );
        assert_eq!(
            s,
            vec![
                Some(Scope::Development),
                Some(Scope::Runtime),
                Some(Scope::Development),
                Some(Scope::Runtime),
                None,
                None
            ]
        );
    }

    #[test]
    fn cycles_terminate_and_paths_are_capped() {
        let mut p = pkgs(&["r1", "r2", "r3", "r4", "x", "y"]);
        let mut g = Graph::new(6);
        for r in 0..4 {
            g.add_edge(r, 4);
        }
        g.add_edge(4, 5);
        g.add_edge(5, 4);
        g.add_edge(99, 4);
        g.annotate(&[0, 1, 2, 3], &mut p);
        assert_eq!(p[4].paths.len(), MAX_PATHS);
        assert_eq!(p[5].paths.len(), MAX_PATHS);
        assert!(p[5].paths.iter().all(|path| path.len() == 3));
    }

    /// 20,000 direct dependencies, each depending on the next and on one package
    /// of its own: the direct ones stay direct, each of the others has the paths
    /// through its own direct parent first.
    #[test]
    fn many_direct_dependencies() {
        let n = 20_000;
        let names: Vec<String> = (0..2 * n).map(|i| format!("p{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut p = pkgs(&refs);
        let mut g = Graph::new(2 * n);
        for i in 0..n {
            g.add_edge(i, n + i);
            if i + 1 < n {
                g.add_edge(i, i + 1);
            }
        }
        let direct: Vec<usize> = (0..n).collect();
        g.annotate(&direct, &mut p);
        assert!(p[..n].iter().all(|q| q.relation == Relation::Direct));
        assert!(p[n..].iter().all(|q| q.relation == Relation::Transitive));
        assert_eq!(p[n].paths, vec![vec!["p0@1.0.0", "p20000@1.0.0"]]);
        assert_eq!(
            p[2 * n - 1].paths,
            vec![vec!["p19999@1.0.0", "p39999@1.0.0"]]
        );
    }
}
