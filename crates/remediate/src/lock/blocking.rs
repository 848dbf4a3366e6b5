//! The package that stops a version from being selected, read from a tool's error
//! output.
//!
//! Resolvers say which package's requirement forbids the wanted version, each in its
//! own words; this module knows the shapes of cargo, npm, uv and pip (pip-compile).
//! The answer is `name@version` when the tool gives both, else what the tool names.
//! When the project's own manifest is what forbids it, or the output matches no known
//! shape, the answer is `None`: the output tail then tells the rest.

/// The package named by `output` (a tool's combined stdout and stderr) as the one
/// whose requirement prevents the version, if the tool names one.
pub fn blocking_package(output: &str) -> Option<String> {
    cargo(output)
        .or_else(|| npm(output))
        .or_else(|| depends_on(output))
        .or_else(|| pip_parent(output))
}

/// cargo: `failed to select a version for the requirement ...` followed by
/// ``required by package `tempfile v3.3.0` ``.
fn cargo(output: &str) -> Option<String> {
    let start = output.find("failed to select a version")?;
    let rest = &output[start..];
    let marker = "required by package `";
    let at = rest.find(marker)? + marker.len();
    let quoted = &rest[at..];
    let spec = &quoted[..quoted.find('`')?];
    let mut words = spec.split_whitespace();
    let name = words.next()?;
    Some(match words.next() {
        Some(version) => format!("{name}@{}", version.trim_start_matches('v')),
        None => name.to_owned(),
    })
}

/// npm ERESOLVE: the line after `Could not resolve dependency:` reads
/// `peer react@"17.0.2" from react-dom@17.0.2`; the package after `from` is the
/// one whose requirement fails (`the root project` is the manifest itself).
fn npm(output: &str) -> Option<String> {
    let mut lines = output.lines().map(strip_npm_prefix);
    lines.find(|line| line.contains("Could not resolve dependency:"))?;
    let requirement = lines.find(|line| !line.trim().is_empty())?;
    let (_, from) = requirement.split_once(" from ")?;
    let from = from.trim();
    if from.is_empty() || from == "the root project" {
        return None;
    }
    Some(from.to_owned())
}

fn strip_npm_prefix(line: &str) -> &str {
    line.strip_prefix("npm error ")
        .or_else(|| line.strip_prefix("npm ERR! "))
        .or_else(|| line.strip_prefix("npm error"))
        .or_else(|| line.strip_prefix("npm ERR!"))
        .unwrap_or(line)
}

/// uv (`Because requests==2.27.1 depends on urllib3<1.27 ...`) and pip (`requests
/// 2.27.1 depends on urllib3<1.27`): the first package other than the project that
/// "depends on" something.
fn depends_on(output: &str) -> Option<String> {
    for line in output.lines() {
        let mut rest = line;
        while let Some(at) = rest.find(" depends on ") {
            let before = &rest[..at];
            rest = &rest[at + " depends on ".len()..];
            if let Some(found) = package_before(before) {
                return Some(found);
            }
        }
    }
    None
}

/// The package spelled at the end of `before` (`... Because requests==2.27.1`,
/// `    requests 2.27.1`), unless it is the project itself.
fn package_before(before: &str) -> Option<String> {
    let lower = before.to_ascii_lowercase();
    if lower.ends_with("your project") || lower.ends_with("you") || lower.ends_with("the user") {
        return None;
    }
    let words: Vec<&str> = before.split_whitespace().collect();
    let last = *words.last()?;
    if let Some((name, version)) = last.split_once("==") {
        return Some(format!("{name}@{version}"));
    }
    if words.len() >= 2 && last.starts_with(|c: char| c.is_ascii_digit()) {
        let name = words[words.len() - 2];
        if name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Some(format!("{name}@{last}"));
        }
    }
    None
}

/// pip's resolver exception as pip-compile prints it:
/// `parent=LinkCandidate('https://.../requests-2.27.1-py2.py3-none-any.whl ...')`.
fn pip_parent(output: &str) -> Option<String> {
    let marker = "parent=LinkCandidate('";
    let at = output.find(marker)? + marker.len();
    let url = &output[at..];
    let url = &url[..url.find([' ', '\''])?];
    let file = url.rsplit('/').next()?;
    if let Some(wheel) = file.strip_suffix(".whl") {
        let mut parts = wheel.split('-');
        let name = parts.next()?;
        let version = parts.next()?;
        return Some(format!("{name}@{version}"));
    }
    let stem = file
        .strip_suffix(".tar.gz")
        .or_else(|| file.strip_suffix(".zip"))?;
    let (name, version) = stem.rsplit_once('-')?;
    Some(format!("{name}@{version}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Output of `cargo update -p remove_dir_all@0.5.3 --precise 0.8.0` on the
    // shippingservice Cargo.lock of opentelemetry-demo@2022-10 (cargo 1.95).
    const CARGO: &str = "    Updating crates.io index
error: failed to select a version for the requirement `remove_dir_all = \"^0.5\"`
candidate versions found which didn't match: 0.8.0
location searched: crates.io index
required by package `tempfile v3.3.0`
    ... which satisfies dependency `tempfile = \"^3\"` (locked to 3.3.0) of package `prost-build v0.11.1`
";

    // npm 11.19 on react 18.2.0 with react-dom 17.0.2.
    const NPM: &str = "npm error code ERESOLVE
npm error ERESOLVE unable to resolve dependency tree
npm error
npm error While resolving: x@1.0.0
npm error Found: react@18.2.0
npm error node_modules/react
npm error   react@\"18.2.0\" from the root project
npm error
npm error Could not resolve dependency:
npm error peer react@\"17.0.2\" from react-dom@17.0.2
npm error node_modules/react-dom
";

    // uv 0.13.8, `uv lock -P urllib3==2.0.7` with requests==2.27.1 required.
    const UV: &str = "error: No solution found when resolving dependencies
  cause: Because requests==2.27.1 depends on urllib3>=1.21.1,<1.27 and urllib3==2.0.7, we can conclude that requests==2.27.1 cannot be used.
         And because your project depends on requests==2.27.1, we can conclude that your project's requirements are unsatisfiable.
";

    // pip 23.2 through pip-compile 7.6.2, the same conflict.
    const PIP_COMPILE: &str = "pip._vendor.resolvelib.resolvers.ResolutionImpossible: [RequirementInformation(requirement=SpecifierRequirement('urllib3<1.27,>=1.21.1'), parent=LinkCandidate('https://files.pythonhosted.org/packages/2d/61/08076519c80041bc0ffa1a8af0cbd3bf3e2b62af10435d269a9d0f40564d/requests-2.27.1-py2.py3-none-any.whl (from https://pypi.org/simple/requests/) (requires-python:>=2.7)'))]";

    const PIP: &str = "The conflict is caused by:
    The user requested urllib3==2.0.7
    requests 2.27.1 depends on urllib3<1.27 and >=1.21.1
";

    #[test]
    fn each_tool_names_the_blocking_package() {
        assert_eq!(blocking_package(CARGO).as_deref(), Some("tempfile@3.3.0"));
        assert_eq!(blocking_package(NPM).as_deref(), Some("react-dom@17.0.2"));
        assert_eq!(blocking_package(UV).as_deref(), Some("requests@2.27.1"));
        assert_eq!(
            blocking_package(PIP_COMPILE).as_deref(),
            Some("requests@2.27.1")
        );
        assert_eq!(blocking_package(PIP).as_deref(), Some("requests@2.27.1"));
    }

    #[test]
    fn the_project_itself_or_no_known_shape_is_none() {
        let root = "npm error Could not resolve dependency:\nnpm error react@\"^17\" from the root project\n";
        assert_eq!(blocking_package(root), None);
        let uv_root =
            "Because your project depends on requests<2.30 and requests==2.31.0, we can conclude";
        assert_eq!(blocking_package(uv_root), None);
        assert_eq!(blocking_package("error: network unreachable"), None);
        assert_eq!(blocking_package(""), None);
    }
}
