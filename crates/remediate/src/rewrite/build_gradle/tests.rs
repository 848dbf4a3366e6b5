use super::*;
use crate::rewrite::rewrite;
use crate::rewrite::testing::{bump, pins, refused, rewrite_checked, shared};
use cverun_inventory::FileKind;
use cverun_versions::Ecosystem;

fn maven(name: &str, from: &str, to: &str) -> Bump {
    bump(Ecosystem::Maven, name, from, to)
}

#[test]
fn kotlin_dsl_from_the_corpus() {
    let Some((_, text)) = shared(
        cverun_testkit::test_name!(),
        "corpus/opentelemetry-demo@2024-06/src/frauddetectionservice/build.gradle.kts",
    ) else {
        return;
    };
    // Line 42: `implementation("org.apache.logging.log4j:log4j-core:2.21.1")`.
    let (edit, parsed) = rewrite_checked(
        FileKind::BuildGradle,
        "build.gradle.kts",
        &text,
        &maven("org.apache.logging.log4j:log4j-core", "2.21.1", "2.25.0"),
        &[42],
    );
    assert!(
        edit.text
            .contains("implementation(\"org.apache.logging.log4j:log4j-core:2.25.0\")\n")
    );
    assert_eq!(
        pins(&parsed, "org.apache.logging.log4j:log4j-core"),
        ["2.25.0"]
    );
    // Line 35: `implementation("io.grpc:grpc-protobuf:${grpcVersion}")`.
    let r = refused(
        FileKind::BuildGradle,
        &text,
        &maven("io.grpc:grpc-protobuf", "1.59.0", "1.59.1"),
    );
    assert_eq!(
        r.reason,
        "build.gradle line 35: the version of io.grpc:grpc-protobuf comes from ${grpcVersion} (a variable or property); only literal versions are rewritten"
    );
    assert!(
        r.manual
            .unwrap()
            .starts_with("set grpcVersion to 1.59.1 where it is defined")
    );
}

#[test]
fn groovy_dsl_from_the_corpus() {
    let Some((_, text)) = shared(
        cverun_testkit::test_name!(),
        "corpus/opentelemetry-demo@2024-06/src/adservice/build.gradle",
    ) else {
        return;
    };
    // Line 43: `implementation "com.google.api.grpc:proto-google-common-protos:2.28.0",`.
    let (_, parsed) = rewrite_checked(
        FileKind::BuildGradle,
        "build.gradle",
        &text,
        &maven(
            "com.google.api.grpc:proto-google-common-protos",
            "2.28.0",
            "2.29.0",
        ),
        &[43],
    );
    assert_eq!(
        pins(&parsed, "com.google.api.grpc:proto-google-common-protos"),
        ["2.29.0"]
    );
}

#[test]
fn map_notation_strict_versions_comments_crlf() {
    let text = "dependencies {\r\n    // implementation 'org.yaml:snakeyaml:1.30' (old)\r\n    implementation group: 'org.yaml', name: 'snakeyaml', version: '1.30'\r\n    testImplementation(group = \"org.yaml\", name = \"snakeyaml\", version = \"1.30\")\r\n    /* 'org.yaml:snakeyaml:1.29' */ runtimeOnly 'org.yaml:snakeyaml:1.30!!'\r\n    api \"org.yaml:snakeyaml:1.30:android@jar\"\r\n}";
    let (edit, _) = rewrite_checked(
        FileKind::BuildGradle,
        "build.gradle",
        text,
        &maven("org.yaml:snakeyaml", "1.30", "1.33"),
        &[3, 4, 5, 6],
    );
    assert!(
        edit.text
            .contains("// implementation 'org.yaml:snakeyaml:1.30' (old)\r\n")
    );
    assert!(edit.text.contains("version: '1.33'\r\n"));
    assert!(edit.text.contains("version = \"1.33\")\r\n"));
    assert!(
        edit.text.contains(
            "/* 'org.yaml:snakeyaml:1.29' */ runtimeOnly 'org.yaml:snakeyaml:1.33!!'\r\n"
        )
    );
    assert!(
        edit.text
            .contains("\"org.yaml:snakeyaml:1.33:android@jar\"\r\n}")
    );
}

#[test]
fn variables_dynamic_versions_and_other_packages() {
    let b = maven("org.yaml:snakeyaml", "1.30", "1.33");
    let r = refused(
        FileKind::BuildGradle,
        "dependencies {\n    implementation group: 'org.yaml', name: 'snakeyaml', version: snakeyamlVersion\n}\n",
        &b,
    );
    assert!(
        r.reason.contains("comes from snakeyamlVersion"),
        "{}",
        r.reason
    );
    for text in [
        "dependencies { implementation 'org.yaml:snakeyaml:1.+' }\n",
        "dependencies { implementation 'org.yaml:snakeyaml' }\n",
        "dependencies { implementation libs.snakeyaml }\n",
        "dependencies { implementation 'org.yaml:snakeyaml-engine:1.30' }\n",
    ] {
        assert_eq!(rewrite(FileKind::BuildGradle, text, &b), Ok(None), "{text}");
    }
}
