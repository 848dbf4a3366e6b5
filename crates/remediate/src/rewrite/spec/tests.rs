use super::*;

use SchemeKind::{Go, Maven, NuGet, Packagist, Pep440, RubyGems, SemVer};

fn changed(syntax: Syntax, scheme: SchemeKind, spec: &str, from: &str, to: &str) -> String {
    match raise(syntax, scheme, spec, from, to) {
        Ok(Raised::Changed { text, .. }) => text,
        other => panic!("{spec:?} {from} -> {to}: {other:?}"),
    }
}

#[test]
fn raises_the_floor_and_keeps_the_operator() {
    // The examples of the rewrite contract, one per syntax.
    let cases = [
        (
            Syntax::Pep440,
            Pep440,
            "==2.27.1",
            "2.27.1",
            "2.31.0",
            "==2.31.0",
        ),
        (
            Syntax::Pep440,
            Pep440,
            "~=2.27.1",
            "2.27.1",
            "2.31.0",
            "~=2.31.0",
        ),
        (
            Syntax::Pep440,
            Pep440,
            "~=2.27",
            "2.27.1",
            "2.31.0",
            "~=2.31",
        ),
        (
            Syntax::Pep440,
            Pep440,
            ">=2.0",
            "2.27.1",
            "2.31.0",
            ">=2.31.0",
        ),
        (
            Syntax::Pep440,
            Pep440,
            ">=2.0,<3",
            "2.27.1",
            "2.31.0",
            ">=2.31.0,<3",
        ),
        (
            Syntax::Pep440,
            Pep440,
            ">= 2.0, != 2.29.0",
            "2.27.1",
            "2.31.0",
            ">= 2.31.0, != 2.29.0",
        ),
        // A pure floor is raised; the compatible clause beside it allows the fix and stays.
        (
            Syntax::Pep440,
            Pep440,
            "~=2.27,>=2.27.1",
            "2.27.1",
            "2.31.0",
            "~=2.27,>=2.31.0",
        ),
        (
            Syntax::Npm,
            SemVer,
            "^4.17.11",
            "4.17.15",
            "4.17.21",
            "^4.17.21",
        ),
        (Syntax::Npm, SemVer, "~1.2.3", "1.2.3", "1.2.4", "~1.2.4"),
        (Syntax::Npm, SemVer, "1.2.3", "1.2.3", "1.2.4", "1.2.4"),
        (Syntax::Npm, SemVer, "=1.2.3", "1.2.3", "1.2.4", "=1.2.4"),
        (Syntax::Npm, SemVer, "v1.2.3", "1.2.3", "1.2.4", "v1.2.4"),
        (
            Syntax::Npm,
            SemVer,
            ">=1.0.0 <2.0.0",
            "1.2.3",
            "1.2.4",
            ">=1.2.4 <2.0.0",
        ),
        (
            Syntax::Npm,
            SemVer,
            ">= 1.0.0",
            "1.2.3",
            "1.2.4",
            ">= 1.2.4",
        ),
        (Syntax::Npm, SemVer, "^1.2", "1.2.3", "1.3.0", "^1.3.0"),
        (
            Syntax::Npm,
            SemVer,
            "^1.2.3 || ^2.0.0",
            "1.2.3",
            "1.2.9",
            "^1.2.9 || ^2.0.0",
        ),
        (Syntax::Cargo, SemVer, "1.2", "1.2.3", "1.2.4", "1.2.4"),
        (Syntax::Cargo, SemVer, "=1.2.3", "1.2.3", "1.2.4", "=1.2.4"),
        (
            Syntax::Cargo,
            SemVer,
            ">=1.0, <2",
            "1.2.3",
            "1.2.4",
            ">=1.2.4, <2",
        ),
        (Syntax::Cargo, SemVer, "~0.3.1", "0.3.1", "0.3.5", "~0.3.5"),
        (
            Syntax::Composer,
            Packagist,
            "^5.4",
            "5.4.1",
            "5.4.9",
            "^5.4.9",
        ),
        (
            Syntax::Composer,
            Packagist,
            "~1.2",
            "1.2.0",
            "1.5.0",
            "~1.5",
        ),
        (
            Syntax::Composer,
            Packagist,
            ">=1.0 <2.0 || ^3.0",
            "1.2.0",
            "1.3.0",
            ">=1.3.0 <2.0 || ^3.0",
        ),
        (
            Syntax::Poetry,
            Pep440,
            "^2.27",
            "2.27.1",
            "2.31.0",
            "^2.31.0",
        ),
        (
            Syntax::Poetry,
            Pep440,
            "2.27.1",
            "2.27.1",
            "2.31.0",
            "2.31.0",
        ),
        (
            Syntax::Poetry,
            Pep440,
            ">=2.0,<3.0",
            "2.27.1",
            "2.31.0",
            ">=2.31.0,<3.0",
        ),
        (
            Syntax::RubyGems,
            RubyGems,
            "'~> 1.2', '>= 1.2.3'",
            "1.2.3",
            "1.2.5",
            "'~> 1.2', '>= 1.2.5'",
        ),
        (
            Syntax::RubyGems,
            RubyGems,
            "\"1.13.3\"",
            "1.13.3",
            "1.13.4",
            "\"1.13.4\"",
        ),
        (
            Syntax::RubyGems,
            RubyGems,
            "'~> 1.13.3'",
            "1.13.3",
            "1.13.4",
            "'~> 1.13.4'",
        ),
        (Syntax::Go, Go, "v0.7.0", "v0.7.0", "v0.17.0", "v0.17.0"),
        (Syntax::Go, Go, "v0.7.0", "v0.7.0", "0.17.0", "v0.17.0"),
        (Syntax::Maven, Maven, "2.14.1", "2.14.1", "2.17.1", "2.17.1"),
        (
            Syntax::Maven,
            Maven,
            "[2.14.1]",
            "2.14.1",
            "2.17.1",
            "[2.17.1]",
        ),
        (
            Syntax::Maven,
            Maven,
            "[2.0,3.0)",
            "2.14.1",
            "2.17.1",
            "[2.17.1,3.0)",
        ),
        (
            Syntax::Maven,
            Maven,
            "(2.0,3.0)",
            "2.14.1",
            "2.17.1",
            "[2.17.1,3.0)",
        ),
        (Syntax::NuGet, NuGet, "12.0.1", "12.0.1", "13.0.1", "13.0.1"),
    ];
    for (syntax, scheme, spec, from, to, expected) in cases {
        assert_eq!(
            changed(syntax, scheme, spec, from, to),
            expected,
            "{spec:?} {from} -> {to}"
        );
    }
}

#[test]
fn a_compatible_clause_that_cannot_keep_its_components_says_so() {
    let Ok(Raised::Changed { text, note, .. }) =
        raise(Syntax::Pep440, Pep440, "~=2.27", "2.27.1", "2.31.1")
    else {
        panic!()
    };
    assert_eq!(text, "~=2.31.1");
    assert_eq!(
        note.as_deref(),
        Some("the upper bound narrows to below 2.32.0: 2.31.1 needs all its components")
    );
    let Ok(Raised::Changed { text, note, .. }) =
        raise(Syntax::Pep440, Pep440, ">2.0", "2.27.1", "2.31.0")
    else {
        panic!()
    };
    assert_eq!(text, ">=2.31.0");
    assert!(note.unwrap().contains("inclusive"));
}

#[test]
fn nothing_to_raise() {
    use Raised::{AlreadyFixed, NoFloor, NotInstalled};
    let cases = [
        (Syntax::Pep440, Pep440, "", "2.27.1", "2.31.0", NoFloor),
        (Syntax::Pep440, Pep440, "*", "2.27.1", "2.31.0", NoFloor),
        (Syntax::Pep440, Pep440, "<3", "2.27.1", "2.31.0", NoFloor),
        (Syntax::Pep440, Pep440, "==2.*", "2.27.1", "2.31.0", NoFloor),
        (
            Syntax::Pep440,
            Pep440,
            ">=2.31",
            "2.31.0",
            "2.31.0",
            AlreadyFixed,
        ),
        // Raised by hand already, the lockfile not yet.
        (
            Syntax::Pep440,
            Pep440,
            "==2.31.0",
            "2.27.1",
            "2.31.0",
            AlreadyFixed,
        ),
        (
            Syntax::Pep440,
            Pep440,
            "==2.25.0",
            "2.27.1",
            "2.31.0",
            NotInstalled,
        ),
        (Syntax::Npm, SemVer, "*", "1.0.0", "1.0.1", NoFloor),
        (Syntax::Npm, SemVer, "latest", "1.0.0", "1.0.1", NoFloor),
        (Syntax::Npm, SemVer, "4.x", "4.17.11", "4.17.21", NoFloor),
        (Syntax::Npm, SemVer, "4", "4.17.11", "4.17.21", NoFloor),
        (Syntax::Cargo, SemVer, "*", "1.0.0", "1.0.1", NoFloor),
        (Syntax::Cargo, SemVer, "1.*", "1.0.0", "1.0.1", NoFloor),
    ];
    for (syntax, scheme, spec, from, to, expected) in cases {
        assert_eq!(
            raise(syntax, scheme, spec, from, to),
            Ok(expected),
            "{spec:?} {from} -> {to}"
        );
    }
}

#[test]
fn ceilings_exclusions_and_wildcards_that_exclude_the_fix_are_refused() {
    let cases = [
        (Syntax::Pep440, Pep440, ">=2.0,<2.28", "`<2.28` excludes it"),
        (
            Syntax::Pep440,
            Pep440,
            ">=2.0,!=2.31.0",
            "`!=2.31.0` excludes it",
        ),
        (Syntax::Pep440, Pep440, "==2.27.*", "`==2.27.*` excludes it"),
        (
            Syntax::Pep440,
            Pep440,
            ">=2.0,<=2.30",
            "`<=2.30` excludes it",
        ),
        (
            Syntax::Npm,
            SemVer,
            ">=2.0.0 <2.28.0",
            "`<2.28.0` excludes it",
        ),
        (Syntax::Npm, SemVer, "2.27.x", "`2.27` excludes it"),
        (Syntax::Cargo, SemVer, ">=2.0, <2.28", "`<2.28` excludes it"),
        (Syntax::Maven, Maven, "[2.0,2.28)", "`2.28)` excludes it"),
    ];
    for (syntax, scheme, spec, expected) in cases {
        let err = raise(syntax, scheme, spec, "2.27.1", "2.31.0").unwrap_err();
        assert!(err.ends_with(expected), "{spec:?}: {err}");
    }
    // An alternative of an npm range that allows old versions stays a refusal.
    let err = raise(Syntax::Npm, SemVer, "^1.2.3 || ^0.9.0", "1.2.3", "1.2.9").unwrap_err();
    assert!(err.contains("still allows versions below 1.2.9"), "{err}");
}

#[test]
fn what_is_not_a_version_is_an_error() {
    for (syntax, spec) in [
        (Syntax::Npm, "git+https://github.com/u/r.git"),
        (Syntax::Npm, "file:../lib"),
        (Syntax::Npm, "next"),
        (Syntax::Pep440, "2.0"),
        (Syntax::Maven, "(,1.0],[1.2,)"),
        (Syntax::Maven, "${log4j.version}"),
        (Syntax::RubyGems, "version"),
        (Syntax::Cargo, "abc"),
    ] {
        assert!(
            raise(syntax, SemVer, spec, "1.0.0", "1.0.1").is_err(),
            "{spec:?}"
        );
    }
}

#[test]
fn ceilings_of_caret_and_tilde() {
    for (op, lit, upper) in [
        (Op::Caret, "1.2.3", "2.0.0"),
        (Op::Caret, "0.2.3", "0.3.0"),
        (Op::Caret, "0.0.3", "0.0.4"),
        (Op::Caret, "0", "1.0.0"),
        (Op::Caret, "0.0", "0.1.0"),
        (Op::Tilde, "1.2.3", "1.3.0"),
        (Op::Tilde, "1", "2.0.0"),
        (Op::Compatible, "2.27.1", "2.28.0"),
        (Op::Compatible, "2.27", "3.0.0"),
        (Op::Compatible, "1", "2.0.0"),
    ] {
        assert_eq!(ceiling(op, lit).as_deref(), Some(upper), "{op:?} {lit}");
    }
}
