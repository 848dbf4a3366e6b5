use super::*;
use crate::rewrite::rewrite;
use crate::rewrite::testing::{bump, pins, refused, rewrite_checked};
use cverun_inventory::FileKind;

fn pypi(name: &str, from: &str, to: &str) -> Bump {
    bump(Ecosystem::PyPI, name, from, to)
}

const PEP621: &str = r#"[build-system]
requires = ["hatchling"]

[project]
name = "svc"
dependencies = [
    "requests[socks]>=2.0; python_version >= '3.8'",  # HTTP
    'flask==2.0.1',
    "Jinja2 (==3.0.1)",
]

[project.optional-dependencies]
cli = ["requests==2.27.1", "click>=8"]

[dependency-groups]
test = ["pytest>=7", {include-group = "lint"}, "Requests ~= 2.27.1"]
lint = ["ruff"]

[tool.uv]
dev-dependencies = ["requests>=2.27.1,<3"]
"#;

#[test]
fn pep621_pep735_and_uv() {
    let (edit, parsed) = rewrite_checked(
        FileKind::PyProject,
        "pyproject.toml",
        PEP621,
        &pypi("requests", "2.27.1", "2.31.0"),
        &[7, 13, 16, 20],
    );
    assert!(
        edit.text
            .contains("\"requests[socks]>=2.31.0; python_version >= '3.8'\",  # HTTP\n")
    );
    assert!(edit.text.contains("\"Requests ~= 2.31.0\"]"));
    assert_eq!(
        edit.summary,
        "requests >=2.0 -> >=2.31.0 (line 7); requests ==2.27.1 -> ==2.31.0 (line 13); Requests ~= 2.27.1 -> ~= 2.31.0 (line 16); requests >=2.27.1,<3 -> >=2.31.0,<3 (line 20)"
    );
    let mut got = pins(&parsed, "requests");
    got.sort();
    assert_eq!(got, ["2.31.0", ">=2.31.0", ">=2.31.0,<3", "~=2.31.0"]);
    // Parentheses around the specifier (line 9), with a single-quoted string
    // elsewhere left alone.
    let (_, parsed) = rewrite_checked(
        FileKind::PyProject,
        "pyproject.toml",
        PEP621,
        &pypi("jinja2", "3.0.1", "3.1.4"),
        &[9],
    );
    assert_eq!(pins(&parsed, "jinja2"), ["3.1.4"]);
    rewrite_checked(
        FileKind::PyProject,
        "pyproject.toml",
        PEP621,
        &pypi("flask", "2.0.1", "2.2.5"),
        &[8],
    );
}

const POETRY: &str = "[tool.poetry]\r\nname = \"svc\"\r\n\r\n[tool.poetry.dependencies]\r\npython = \"^3.9\"\r\nrequests = \"^2.27\"\r\nurllib3 = { version = \"1.26.5\", optional = true }\r\n\r\n[tool.poetry.group.dev.dependencies]\r\nrequests = [\r\n  { version = \"~2.27.1\", python = \"<3.10\" },\r\n  { version = \">=2.28\", python = \">=3.10\" },\r\n]";

#[test]
fn poetry_strings_tables_and_arrays_crlf() {
    let (edit, parsed) = rewrite_checked(
        FileKind::PyProject,
        "pyproject.toml",
        POETRY,
        &pypi("requests", "2.27.1", "2.31.0"),
        &[6, 11],
    );
    // The entry for newer Pythons does not allow 2.27.1: not what is installed.
    assert!(edit.text.ends_with("python = \">=3.10\" },\r\n]"));
    let mut got = pins(&parsed, "requests");
    got.sort();
    assert_eq!(got, [">=2.28", "^2.31.0", "~2.31.0"]);
    let (_, parsed) = rewrite_checked(
        FileKind::PyProject,
        "pyproject.toml",
        POETRY,
        &pypi("urllib3", "1.26.5", "1.26.18"),
        &[7],
    );
    assert_eq!(pins(&parsed, "urllib3"), ["1.26.18"]);
}

#[test]
fn pipfile() {
    let text = "[[source]]\nurl = \"https://pypi.org/simple\"\n\n[packages]\nrequests = \"==2.27.1\"\nflask = \"*\"\n\n[dev-packages]\nRequests = {version = \">=2.0\", extras = [\"socks\"]}\n";
    let (edit, parsed) = rewrite_checked(
        FileKind::Pipfile,
        "Pipfile",
        text,
        &pypi("requests", "2.27.1", "2.31.0"),
        &[5, 9],
    );
    assert!(
        edit.text
            .contains("Requests = {version = \">=2.31.0\", extras = [\"socks\"]}\n")
    );
    let mut got = pins(&parsed, "requests");
    got.sort();
    assert_eq!(got, ["2.31.0", ">=2.31.0"]);
    assert_eq!(
        rewrite(FileKind::Pipfile, text, &pypi("flask", "2.0.1", "2.2.5")),
        Ok(None)
    );
}

#[test]
fn refusals() {
    let b = pypi("requests", "2.27.1", "2.31.0");
    let r = refused(
        FileKind::PyProject,
        "[project]\nname = 'x'\ndependencies = [\"requests>=2,<2.28\"]\n",
        &b,
    );
    assert_eq!(
        r.reason,
        "pyproject.toml line 3: requests \">=2,<2.28\" does not allow 2.31.0: `<2.28` excludes it"
    );
    let r = refused(
        FileKind::PyProject,
        "[project]\nname = 'x'\ndependencies = [\"requests @ git+https://example.invalid/r\"]\n",
        &b,
    );
    assert!(r.reason.contains("not a version"));
    let r = refused(
        FileKind::PyProject,
        "[tool.poetry.dependencies]\nrequests = { git = \"https://example.invalid/r\" }\n",
        &b,
    );
    assert!(r.reason.contains("not a version"));
    let r = refused(FileKind::PyProject, "[project\n", &b);
    assert!(
        r.reason
            .starts_with("pyproject.toml line 1: not valid TOML"),
        "{}",
        r.reason
    );
}
