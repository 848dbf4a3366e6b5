//! Go module and toolchain versions.
//!
//! Go modules use SemVer 2.0 with Go's spelling rules (`golang.org/x/mod/semver`):
//! a leading `v` (optional here, since OSV records drop it), the shorthands `v1` and
//! `v1.2` for `v1.0.0` and `v1.2.0`, pseudo-versions such as
//! `v0.0.0-20220121210141-e204ce36a2ba` (ordinary pre-releases, ordered as SemVer
//! orders them) and the `+incompatible` build suffix (ignored by precedence).
//!
//! The Go standard library and toolchain are versioned differently (`go1.17`,
//! `1.21rc2`, `go1.9beta2`); the Go vulnerability database writes them as SemVer
//! (`1.17.0`, `1.21.0-rc.2`, `1.9.0-beta.2`), and this module converts them the same
//! way, so a `go 1.17` directive compares correctly with the `stdlib` advisories.
//!
//! Built on the `semver` crate (parsing and precedence); only the spelling rules
//! above are written here.

use crate::semver::{SemVersion, parse_strict};
use crate::{Scheme, SchemeKind, VersionError, check_len};

/// The Go scheme.
#[derive(Debug, Clone, Copy)]
pub struct GoScheme;

impl Scheme for GoScheme {
    type Version = SemVersion;
    const KIND: SchemeKind = SchemeKind::Go;

    fn parse(input: &str) -> Result<Self::Version, VersionError> {
        check_len(SchemeKind::Go, input)?;
        let t = input.trim();
        if let Some(rest) = t.strip_prefix("go") {
            return toolchain(input, rest).map(SemVersion);
        }
        if let Some(rest) = t.strip_prefix('v') {
            return module(input, rest).map(SemVersion);
        }
        if let Some(v) = toolchain_shape(t) {
            return parse_strict(SchemeKind::Go, input, &v).map(SemVersion);
        }
        parse_strict(SchemeKind::Go, input, t).map(SemVersion)
    }
}

/// Go's shorthand `v1` / `v1.2` (no pre-release or build allowed with a shorthand).
fn module(input: &str, rest: &str) -> Result<::semver::Version, VersionError> {
    let core_end = rest.find(['-', '+']).unwrap_or(rest.len());
    let dots = rest[..core_end].matches('.').count();
    if dots < 2 {
        if core_end != rest.len() {
            return Err(VersionError::new(
                SchemeKind::Go,
                input,
                "a shortened version (v1, v1.2) cannot carry a pre-release or build suffix",
            ));
        }
        let filled = if dots == 0 {
            format!("{rest}.0.0")
        } else {
            format!("{rest}.0")
        };
        return parse_strict(SchemeKind::Go, input, &filled);
    }
    parse_strict(SchemeKind::Go, input, rest)
}

/// `go1.21rc2` and friends.
fn toolchain(input: &str, rest: &str) -> Result<::semver::Version, VersionError> {
    match toolchain_shape(rest) {
        Some(v) => parse_strict(SchemeKind::Go, input, &v),
        None if rest.matches('.').count() == 2 && !rest.contains(['-', '+']) => {
            parse_strict(SchemeKind::Go, input, rest)
        }
        None => Err(VersionError::new(
            SchemeKind::Go,
            input,
            "not a Go toolchain version (expected go1.N, go1.N.P, go1.NrcK or go1.NbetaK)",
        )),
    }
}

/// Converts `1`, `1.21`, `1.21.3`, `1.21rc2`, `1.9beta1` into SemVer text, or `None`
/// when `s` is not of that shape or already full SemVer (`1.21.3` stays `None` so the
/// caller parses it as it is).
fn toolchain_shape(s: &str) -> Option<String> {
    let (core, pre) = match s.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&s[..i], Some(&s[i..])),
        None => (s, None),
    };
    let parts: Vec<&str> = core.split('.').collect();
    if parts.is_empty()
        || parts.len() > 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let pre = match pre {
        None => None,
        Some(p) => {
            let (kind, num) = ["rc", "beta", "alpha"]
                .iter()
                .find_map(|k| p.strip_prefix(k).map(|n| (*k, n)))?;
            if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            Some(format!("{kind}.{num}"))
        }
    };
    if parts.len() == 3 && pre.is_none() {
        return None;
    }
    let mut v = parts.join(".");
    for _ in parts.len()..3 {
        v.push_str(".0");
    }
    if let Some(pre) = pre {
        v.push('-');
        v.push_str(&pre);
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order_tests::{assert_ascending, assert_equal, check_total_order};
    use proptest::prelude::*;

    #[test]
    fn module_versions() {
        assert_equal::<GoScheme>("v1.2.3", "1.2.3");
        assert_equal::<GoScheme>("v1", "v1.0.0");
        assert_equal::<GoScheme>("v1.2", "v1.2.0");
        assert_equal::<GoScheme>("v2.0.0+incompatible", "v2.0.0");
        assert_ascending::<GoScheme>(&[
            "v0.0.0-20191109021931-daa7c04131f5",
            "v0.0.0-20220121210141-e204ce36a2ba",
            "0.0.0-20220906165146-f3363e06e74c",
            "v0.0.0",
            "v1.2.3",
            "v1.2.4-0.20191109021931-daa7c04131f5",
            "v1.2.4-pre",
            "v1.2.4",
        ]);
    }

    #[test]
    fn toolchain_versions_follow_the_vulndb_conversion() {
        assert_equal::<GoScheme>("go1.17", "1.17.0");
        assert_equal::<GoScheme>("1.17", "1.17.0");
        assert_equal::<GoScheme>("go1.21rc2", "1.21.0-rc.2");
        assert_equal::<GoScheme>("1.21rc2", "1.21.0-rc.2");
        assert_equal::<GoScheme>("go1.9beta1", "1.9.0-beta.1");
        assert_equal::<GoScheme>("go1.21.3", "1.21.3");
        assert_ascending::<GoScheme>(&[
            "1.18.5",
            "go1.18.6",
            "1.19.0-0",
            "go1.19beta1",
            "go1.19rc2",
            "go1.19",
            "1.19.1",
        ]);
    }

    #[test]
    fn refuses_what_go_refuses() {
        for bad in [
            "",
            "v",
            "v1.2.3.4",
            "v01.2.3",
            "v1-pre",
            "v1.2+meta",
            "go",
            "gox",
            "go1.2x",
            "go1.2.3-pre",
            "latest",
            "master",
            "v1.2.3-",
            "1.21rc",
        ] {
            let e = GoScheme::parse(bad).expect_err(bad);
            assert_eq!(e.scheme, SchemeKind::Go);
        }
    }

    fn arb_go() -> impl Strategy<Value = String> {
        prop_oneof![
            crate::semver::tests::arb_semver().prop_map(|s| format!("v{s}")),
            (
                0u8..3,
                0u8..30,
                prop::option::of(0u8..5),
                prop::option::of((prop::sample::select(vec!["rc", "beta"]), 1u8..4))
            )
                .prop_map(|(a, b, c, pre)| {
                    let mut s = format!("go{a}.{b}");
                    if let Some(c) = c {
                        s.push_str(&format!(".{c}"));
                    }
                    if let (Some((k, n)), None) = (pre, c) {
                        s.push_str(&format!("{k}{n}"));
                    }
                    s
                }),
            (
                0u32..99999999u32,
                prop::sample::select(vec!["v0.0.0", "v1.2.4-0"])
            )
                .prop_map(|(t, base)| format!("{base}-2022{t:010}-abcdef012345")),
        ]
    }

    proptest! {
        #[test]
        fn total_order(vs in prop::collection::vec(arb_go(), 2..24)) {
            check_total_order::<GoScheme>(&vs);
        }
    }
}
