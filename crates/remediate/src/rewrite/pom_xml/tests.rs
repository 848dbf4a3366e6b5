use super::*;
use crate::rewrite::rewrite;
use crate::rewrite::testing::{bump, pins, refused, rewrite_checked, shared};
use cverun_inventory::FileKind;
use cverun_versions::Ecosystem;

fn maven(name: &str, from: &str, to: &str) -> Bump {
    bump(Ecosystem::Maven, name, from, to)
}

#[test]
fn literal_versions_and_dependency_management() {
    let Some((_, text)) = shared(
        cverun_testkit::test_name!(),
        "fixtures/lockfiles/java/pomxml/with-dependency-management.xml",
    ) else {
        return;
    };
    // netty-all is declared on line 10 (4.1.9) and managed on line 24 (4.1.42.Final).
    let (edit, parsed) = rewrite_checked(
        FileKind::PomXml,
        "pom.xml",
        &text,
        &maven("io.netty:netty-all", "4.1.42.Final", "4.1.44.Final"),
        &[10, 24],
    );
    assert!(
        edit.text
            .contains("<version>4.1.44.Final</version>\n    </dependency>")
    );
    assert_eq!(pins(&parsed, "io.netty:netty-all"), ["4.1.44.Final"]);
    // Managed only (line 29).
    rewrite_checked(
        FileKind::PomXml,
        "pom.xml",
        &text,
        &maven("com.google.code.findbugs:jsr305", "3.0.2", "3.0.3"),
        &[29],
    );
}

#[test]
fn properties_are_rewritten_where_defined() {
    let Some((_, text)) = shared(
        cverun_testkit::test_name!(),
        "fixtures/lockfiles/java/pomxml/interpolation.xml",
    ) else {
        return;
    };
    // `${mypackageVersion}` (line 21) is defined on line 12.
    let (edit, parsed) = rewrite_checked(
        FileKind::PomXml,
        "pom.xml",
        &text,
        &maven("org.mine:mypackage", "1.0.0", "1.0.2"),
        &[12],
    );
    assert_eq!(
        edit.summary,
        "org.mine:mypackage through property mypackageVersion 1.0.0 -> 1.0.2 (line 12)"
    );
    assert_eq!(pins(&parsed, "org.mine:mypackage"), ["1.0.2"]);
    // A range in a property (line 14) keeps its brackets and ceiling.
    let (edit, _) = rewrite_checked(
        FileKind::PomXml,
        "pom.xml",
        &text,
        &maven(
            "org.mine:ranged-package",
            "9.4.35.v20201120",
            "9.4.41.v20210516",
        ),
        &[14],
    );
    assert!(
        edit.text
            .contains("<version-range>[9.4.41.v20210516,9.5)</version-range>")
    );
}

const SHARED_PROPERTY: &str = "<?xml version=\"1.0\"?>\r\n<project>\r\n  <properties>\r\n    <!-- one version for the whole family -->\r\n    <log4j.version>2.14.1</log4j.version>\r\n  </properties>\r\n  <dependencies>\r\n    <dependency>\r\n      <groupId>org.apache.logging.log4j</groupId>\r\n      <artifactId>log4j-core</artifactId>\r\n      <version>${log4j.version}</version>\r\n    </dependency>\r\n    <dependency>\r\n      <groupId>org.apache.logging.log4j</groupId>\r\n      <artifactId>log4j-api</artifactId>\r\n      <version>${log4j.version}</version>\r\n    </dependency>\r\n  </dependencies>\r\n</project>";

#[test]
fn a_shared_property_moves_the_others_and_says_so() {
    let (edit, parsed) = rewrite_checked(
        FileKind::PomXml,
        "pom.xml",
        SHARED_PROPERTY,
        &maven("org.apache.logging.log4j:log4j-core", "2.14.1", "2.17.1"),
        &[5],
    );
    assert_eq!(
        edit.summary,
        "org.apache.logging.log4j:log4j-core through property log4j.version 2.14.1 -> 2.17.1 (line 5); property log4j.version (line 5) also sets the version of org.apache.logging.log4j:log4j-api"
    );
    assert!(edit.text.ends_with("</project>"));
    assert_eq!(
        pins(&parsed, "org.apache.logging.log4j:log4j-api"),
        ["2.17.1"]
    );
    assert_eq!(
        pins(&parsed, "org.apache.logging.log4j:log4j-core"),
        ["2.17.1"]
    );
}

#[test]
fn refusals() {
    let Some((_, text)) = shared(
        cverun_testkit::test_name!(),
        "fixtures/lockfiles/java/pomxml/with-parent.xml",
    ) else {
        return;
    };
    // org.frank:frank (line 32) has no version here: its parent manages it.
    let r = refused(
        FileKind::PomXml,
        &text,
        &maven("org.frank:frank", "1.0.0", "1.0.1"),
    );
    assert!(
        r.reason
            .starts_with("pom.xml line 32: org.frank:frank has no version in this file"),
        "{}",
        r.reason
    );
    // A property the file does not define.
    let parent_prop = text.replace(
        "<version>1.0.0</version>",
        "<version>${alice.version}</version>",
    );
    let r = refused(
        FileKind::PomXml,
        &parent_prop,
        &maven("org.alice:alice", "1.0.0", "1.0.1"),
    );
    assert_eq!(
        r.reason,
        "pom.xml line 21: the version of org.alice:alice is the property alice.version, which this file does not define (it comes from the parent POM org.local:parent-pom:1.0 or an imported BOM)"
    );
    assert_eq!(
        r.manual.as_deref(),
        Some(
            "set <alice.version> to 1.0.1 where it is defined, or set the version of org.alice:alice here"
        )
    );
    // bob is rewritten through its property (line 14); chuck through its managed version (line 43).
    rewrite_checked(
        FileKind::PomXml,
        "pom.xml",
        &text,
        &maven("org.bob:bob", "2.0.0", "2.0.1"),
        &[14],
    );
    rewrite_checked(
        FileKind::PomXml,
        "pom.xml",
        &text,
        &maven("org.chuck:chuck", "3.0.0", "3.1.0"),
        &[43],
    );
    let r = refused(
        FileKind::PomXml,
        SHARED_PROPERTY,
        &maven("org.apache.logging.log4j:log4j-core", "2.17.1", "2.14.1"),
    );
    assert!(r.reason.contains("downgrade"));
    let r = refused(
        FileKind::PomXml,
        "<project><dependencies><dependency><groupId>g</groupId><artifactId>a</artifactId><version>[1.0,1.5)</version></dependency></dependencies></project>",
        &maven("g:a", "1.2", "1.6"),
    );
    assert!(r.reason.ends_with("`1.5)` excludes it"), "{}", r.reason);
    assert_eq!(
        rewrite(
            FileKind::PomXml,
            SHARED_PROPERTY,
            &maven("g:other", "1", "2")
        ),
        Ok(None)
    );
}
