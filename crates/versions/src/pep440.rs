//! PEP 440 versions (PyPI).
//!
//! Parsing and ordering come from the `pep440_rs` crate, which implements PEP 440 in
//! full: epochs, pre-, post- and dev-releases, local versions and the spelling
//! normalisations of the PEP (`1.0ALPHA1 == 1.0a1`, `1.0-1 == 1.0.post1`,
//! `v1.0 == 1.0`, `1.0 == 1.0.0`). Legacy (non-PEP 440) versions are refused, so a
//! package or an advisory event spelled that way is reported as unverifiable.

use crate::{Scheme, SchemeKind, VersionError, check_len};

/// The PEP 440 scheme.
#[derive(Debug, Clone, Copy)]
pub struct Pep440;

impl Scheme for Pep440 {
    type Version = pep440_rs::Version;
    const KIND: SchemeKind = SchemeKind::Pep440;

    fn parse(input: &str) -> Result<Self::Version, VersionError> {
        check_len(SchemeKind::Pep440, input)?;
        input
            .trim()
            .parse::<pep440_rs::Version>()
            .map_err(|e| VersionError::new(SchemeKind::Pep440, input, e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order_tests::{assert_ascending, assert_equal, check_total_order};
    use proptest::prelude::*;

    fn p(s: &str) -> pep440_rs::Version {
        Pep440::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The ordering example of PEP 440 ("Summary of permitted suffixes and relative
    /// ordering"), extended with epochs and local versions from the same section.
    #[test]
    fn pep_ordering_example() {
        assert_ascending::<Pep440>(&[
            "1.dev0",
            "1.0.dev456",
            "1.0a1",
            "1.0a2.dev456",
            "1.0a12.dev456",
            "1.0a12",
            "1.0b1.dev456",
            "1.0b2",
            "1.0b2.post345.dev456",
            "1.0b2.post345",
            "1.0rc1.dev456",
            "1.0rc1",
            "1.0",
            "1.0+abc.5",
            "1.0+abc.7",
            "1.0+5",
            "1.0.post456.dev34",
            "1.0.post456",
            "1.0.15",
            "1.1.dev1",
            "2.0",
            "1!0.1",
            "1!1.0",
        ]);
    }

    /// Normalisations listed in PEP 440's "Normalization" section.
    #[test]
    fn pep_normalisation() {
        let same = [
            ("1.0", "1.0.0"),
            ("1.0", "1.0.0.0"),
            ("1.0", "v1.0"),
            ("1.0", " 1.0 "),
            ("1.0a1", "1.0ALPHA1"),
            ("1.0a1", "1.0-a1"),
            ("1.0a1", "1.0.a1"),
            ("1.0a1", "1.0a.1"),
            ("1.0a1", "1.0alpha1"),
            ("1.0b1", "1.0beta1"),
            ("1.0rc1", "1.0c1"),
            ("1.0rc1", "1.0pre1"),
            ("1.0rc1", "1.0preview1"),
            ("1.0a0", "1.0a"),
            ("1.0.post1", "1.0-1"),
            ("1.0.post1", "1.0post1"),
            ("1.0.post1", "1.0-post1"),
            ("1.0.post1", "1.0.rev1"),
            ("1.0.post1", "1.0.r1"),
            ("1.0.post0", "1.0.post"),
            ("1.0.dev0", "1.0dev"),
            ("1.0.dev0", "1.0-dev0"),
            ("1.0+ubuntu.1", "1.0+ubuntu-1"),
            ("1.0+ubuntu.1", "1.0+ubuntu_1"),
            ("0!1.0", "1.0"),
            ("1.01", "1.1"),
        ];
        for (a, b) in same {
            assert_equal::<Pep440>(a, b);
        }
    }

    #[test]
    fn refuses_what_is_not_pep440() {
        for bad in [
            "",
            "   ",
            "abc",
            "1.0-foo",
            "1..0",
            "1.0+",
            "1.0+abc..1",
            "1.0.0-alpha_beta_gamma",
            "latest",
            "*",
            "1.*",
            "99999999999999999999999999.0",
            &"1.".repeat(200),
        ] {
            let err = Pep440::parse(bad).expect_err(bad);
            assert_eq!(err.scheme, SchemeKind::Pep440);
            assert_eq!(err.input, bad);
        }
    }

    #[test]
    fn error_message_names_the_input_and_scheme() {
        let e = Pep440::parse("1.0-foo").unwrap_err().to_string();
        assert!(e.contains("\"1.0-foo\""), "{e}");
        assert!(e.contains("PEP 440"), "{e}");
    }

    #[test]
    fn epoch_beats_release() {
        assert!(p("1!0.1") > p("2023.10.1"));
    }

    fn arb_pep440() -> impl Strategy<Value = String> {
        (
            prop::option::weighted(0.1, 1u8..3),
            prop::collection::vec(0u16..12, 1..5),
            prop::option::of((
                prop::sample::select(vec!["a", "b", "rc", "c", "alpha", "pre"]),
                0u8..4,
            )),
            prop::option::of(0u8..4),
            prop::option::of(0u8..4),
            prop::option::weighted(
                0.2,
                prop::sample::select(vec!["abc", "5", "abc.5", "ubuntu.1", "1.abc"]),
            ),
        )
            .prop_map(|(epoch, release, pre, post, dev, local)| {
                let mut s = String::new();
                if let Some(e) = epoch {
                    s.push_str(&format!("{e}!"));
                }
                let rel: Vec<String> = release.iter().map(u16::to_string).collect();
                s.push_str(&rel.join("."));
                if let Some((k, n)) = pre {
                    s.push_str(&format!("{k}{n}"));
                }
                if let Some(n) = post {
                    s.push_str(&format!(".post{n}"));
                }
                if let Some(n) = dev {
                    s.push_str(&format!(".dev{n}"));
                }
                if let Some(l) = local {
                    s.push_str(&format!("+{l}"));
                }
                s
            })
    }

    proptest! {
        #[test]
        fn total_order(vs in prop::collection::vec(arb_pep440(), 2..24)) {
            check_total_order::<Pep440>(&vs);
        }

        #[test]
        fn normalised_form_is_equal(v in arb_pep440()) {
            let parsed = p(&v);
            prop_assert_eq!(p(&parsed.to_string()), parsed);
        }

        #[test]
        fn trailing_zeros_do_not_matter(v in arb_pep440()) {
            // Only the release segment may take trailing zeros: insert ".0" after it.
            let parsed = p(&v);
            let release: Vec<String> = parsed.release().iter().map(u64::to_string).collect();
            let padded = parsed.clone().with_release(
                release.iter().map(|r| r.parse::<u64>().unwrap()).chain([0, 0]),
            );
            prop_assert_eq!(padded, parsed);
        }
    }
}
