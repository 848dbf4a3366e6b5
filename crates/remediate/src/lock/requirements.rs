//! Requirements files compiled by `pip-compile` or `uv pip compile`, recompiled by
//! the command their header names.
//!
//! Both tools open the file with a comment naming the command that wrote it
//! (`#    pip-compile --generate-hashes requirements.in`, `#    uv pip compile
//! requirements.in --generate-hashes -o requirements.txt`). Running that command
//! again with `--upgrade-package NAME==TO` moves the named packages and keeps every
//! other pin, since both tools read the existing output file as preferences; hashes
//! are recomputed by the tool. The header's paths are relative to the directory the
//! command ran in, which is found from where the output file sits: a file at
//! `svc/requirements.txt` whose header writes `svc/requirements.txt` was compiled from
//! the directory above `svc`.
//!
//! Refused: a file without such a header, a header naming another command (a
//! `CUSTOM_COMPILE_COMMAND` such as `make requirements`), or one whose output file is
//! not this file. `--upgrade`/`-U` in a header is dropped (it would move every pin).

use std::path::{Component, Path, PathBuf};

use cverun_versions::Ecosystem;

use super::kinds::is_safe_word;
use super::{ToolCommand, dir_of};
use crate::rewrite::requirements::{Compiler, compile_header, shell_split};
use crate::{Bump, Refusal};

/// The commands recompiling the requirements file `path` (whose text is `text`) with
/// `--upgrade-package NAME==TO` for each bump: the header's own command, run from the
/// directory it was run from. A [`Refusal`] naming the file and line when the header
/// names no `pip-compile` or `uv pip compile` command, when that command writes
/// another file, or when a bump is not a PyPI package with safe name and version.
///
/// Source builds are refused through the environment, so the header stays as it
/// was: `UV_NO_BUILD=1` for uv; `PIP_ONLY_BINARY=:all:` for pip-compile, which then
/// writes an `--only-binary :all:` line into the file and hashes of wheels only
/// (pip-compile records its pip options; see the documentation).
pub fn recompile_requirements(
    path: &Path,
    text: &str,
    bumps: &[Bump],
) -> Result<Vec<ToolCommand>, Refusal> {
    for bump in bumps {
        if bump.ecosystem != Ecosystem::PyPI {
            return Err(Refusal::new(format!(
                "{}: a requirements file pins PyPI packages, not {} ({})",
                path.display(),
                bump.ecosystem,
                bump.name
            )));
        }
        if !is_safe_word(&bump.name) || !is_safe_word(&bump.to) {
            return Err(Refusal::new(format!(
                "{}: the package {:?} or version {:?} could be read as an option; not passed to a tool",
                path.display(),
                bump.name,
                bump.to
            )));
        }
    }
    let (line_number, compiler, words) = header_command(path, text)?;
    let at = |message: String| format!("{}:{line_number}: {message}", path.display());
    let program = match compiler {
        Compiler::PipCompile => "pip-compile",
        Compiler::Uv => "uv",
    };
    let mut args = without_upgrade(&words[1..]);
    let output = match output_file(&args) {
        Some(output) => output,
        None => match compiler {
            Compiler::PipCompile => {
                default_pip_compile_output(&args).ok_or_else(|| {
                    Refusal::new(at(
                        "the header's pip-compile command names no output file and no single source to derive it from".to_owned(),
                    ))
                })?
            }
            Compiler::Uv => {
                // uv wrote to standard output; -o makes it read and keep the pins.
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                args.push("-o".to_owned());
                args.push(name.clone());
                name
            }
        },
    };
    let dir = working_dir(path, &output).ok_or_else(|| {
        Refusal::with_manual(
            at(format!(
                "the header's command writes {output}, which is not this file"
            )),
            header_line(&words),
        )
    })?;
    for bump in bumps {
        args.push("--upgrade-package".to_owned());
        args.push(format!("{}=={}", bump.name, bump.to));
    }
    let command = ToolCommand::new(program, args, &dir);
    let command = match compiler {
        Compiler::PipCompile => command.with_env("PIP_ONLY_BINARY", ":all:"),
        Compiler::Uv => command.with_env("UV_NO_BUILD", "1"),
    };
    Ok(vec![command])
}

/// The header's command: its 1-based line, which compiler, and its words (the first
/// being `pip-compile`, or `uv` followed by `pip compile`).
fn header_command(path: &Path, text: &str) -> Result<(usize, Compiler, Vec<String>), Refusal> {
    let Some(header) = compile_header(text) else {
        return Err(Refusal::new(format!(
            "{}: no header naming the pip-compile or uv pip compile command that wrote it",
            path.display()
        )));
    };
    let (line_number, compiler, comment) = (header.line, header.compiler, header.command);
    let words = shell_split(comment).ok_or_else(|| {
        Refusal::new(format!(
            "{}:{line_number}: the header's command has an unclosed quote",
            path.display()
        ))
    })?;
    if Compiler::of(&words) != Some(compiler) {
        return Err(Refusal::with_manual(
            format!(
                "{}:{line_number}: the header names `{comment}`, not a pip-compile or uv pip compile command",
                path.display()
            ),
            format!("run `{comment}` with --upgrade-package NAME==VERSION for each package"),
        ));
    }
    Ok((line_number, compiler, words))
}

/// `words` without `--upgrade`/`-U` and `--upgrade-package`/`-P` (and the latter's
/// value).
fn without_upgrade(words: &[String]) -> Vec<String> {
    let mut kept = Vec::new();
    let mut iter = words.iter();
    while let Some(word) = iter.next() {
        match word.as_str() {
            "--upgrade" | "-U" => {}
            "--upgrade-package" | "-P" => {
                iter.next();
            }
            w if w.starts_with("--upgrade-package=") || (w.starts_with("-P") && w.len() > 2) => {}
            _ => kept.push(word.clone()),
        }
    }
    kept
}

/// The value of `-o`/`--output-file` in `args`.
fn output_file(args: &[String]) -> Option<String> {
    let mut iter = args.iter();
    while let Some(word) = iter.next() {
        if word == "-o" || word == "--output-file" {
            return iter.next().cloned();
        }
        if let Some(value) = word.strip_prefix("--output-file=") {
            return Some(value.to_owned());
        }
        if let Some(value) = word.strip_prefix("-o")
            && !value.is_empty()
            && !word.starts_with("--")
        {
            return Some(value.to_owned());
        }
    }
    None
}

/// pip-compile's default output for its sources: `X.in` writes `X.txt`;
/// `setup.py`, `setup.cfg` or `pyproject.toml` (or no source) write
/// `requirements.txt` beside it. `None` with several sources.
fn default_pip_compile_output(args: &[String]) -> Option<String> {
    let sources = positional(args);
    match sources.as_slice() {
        [] => Some("requirements.txt".to_owned()),
        [source] => {
            if let Some(stem) = source.strip_suffix(".in") {
                return Some(format!("{stem}.txt"));
            }
            let path = Path::new(source.as_str());
            let name = path.file_name()?.to_str()?;
            if matches!(name, "setup.py" | "setup.cfg" | "pyproject.toml") {
                let dir = dir_of(path);
                return Some(if dir == Path::new(".") {
                    "requirements.txt".to_owned()
                } else {
                    dir.join("requirements.txt").to_string_lossy().into_owned()
                });
            }
            None
        }
        _ => None,
    }
}

/// pip-compile's options that take a value as the next word.
const VALUE_OPTIONS: [&str; 18] = [
    "-o",
    "--output-file",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "--cert",
    "--client-cert",
    "--trusted-host",
    "--pip-args",
    "--resolver",
    "-c",
    "--constraint",
    "--extra",
    "--cache-dir",
    "--max-rounds",
    "--build-deps-for",
];

/// The positional words (source files) of pip-compile `args`.
fn positional(args: &[String]) -> Vec<String> {
    let mut sources = Vec::new();
    let mut iter = args.iter();
    while let Some(word) = iter.next() {
        if VALUE_OPTIONS.contains(&word.as_str()) {
            iter.next();
        } else if !word.starts_with('-') {
            sources.push(word.clone());
        }
    }
    sources
}

/// The directory the header's command ran in: `path`'s directory with the
/// directories of `output` taken off its end. `None` when `output` does not name
/// `path` (another file name, a `..`, or a directory that is not `path`'s).
fn working_dir(path: &Path, output: &str) -> Option<PathBuf> {
    let output = Path::new(output);
    if output.is_absolute() {
        return (output == path).then(|| dir_of(path));
    }
    let mut parts = Vec::new();
    for component in output.components() {
        match component {
            Component::Normal(part) => parts.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    let mut dir = path.to_path_buf();
    for part in parts.iter().rev() {
        if dir.file_name() != Some(part) {
            return None;
        }
        dir.pop();
    }
    Some(if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir
    })
}

fn header_line(words: &[String]) -> String {
    words
        .iter()
        .map(|w| super::shell_quote(w))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use cverun_inventory::Relation;

    fn bump(name: &str, from: &str, to: &str) -> Bump {
        Bump::new(Ecosystem::PyPI, name, from, to, Relation::Direct)
    }

    // The header pip-compile 7.6.2 wrote for `pip-compile --generate-hashes requirements.in`.
    const PIP_COMPILE: &str = "#\n# This file is autogenerated by pip-compile with Python 3.11\n# by the following command:\n#\n#    pip-compile --generate-hashes requirements.in\n#\nrequests==2.27.1 \\\n    --hash=sha256:68d7\n";

    // The header uv 0.13.8 wrote.
    const UV: &str = "# This file was autogenerated by uv via the following command:\n#    uv pip compile requirements.in --generate-hashes -o requirements.txt\nrequests==2.27.1\n";

    #[test]
    fn pip_compile_header_is_rerun_with_upgrade_package() {
        let path = Path::new("/srv/app/requirements.txt");
        let commands =
            recompile_requirements(path, PIP_COMPILE, &[bump("requests", "2.27.1", "2.31.0")])
                .unwrap();
        assert_eq!(
            commands[0].shell_line(),
            "cd /srv/app && PIP_ONLY_BINARY=:all: pip-compile --generate-hashes requirements.in --upgrade-package requests==2.31.0"
        );
    }

    #[test]
    fn uv_header_is_rerun_with_upgrade_package() {
        let path = Path::new("/srv/app/requirements.txt");
        let commands =
            recompile_requirements(path, UV, &[bump("requests", "2.27.1", "2.31.0")]).unwrap();
        assert_eq!(
            commands[0].shell_line(),
            "cd /srv/app && UV_NO_BUILD=1 uv pip compile requirements.in --generate-hashes -o requirements.txt --upgrade-package requests==2.31.0"
        );
    }

    #[test]
    fn the_directory_is_where_the_header_command_ran() {
        let text = "# This file is autogenerated by pip-compile with Python 3.12\n# by the following command:\n#\n#    pip-compile --output-file=svc/requirements/prod.txt -U 'svc/requirements/prod.in'\n#\n";
        let path = Path::new("/repo/svc/requirements/prod.txt");
        let commands = recompile_requirements(path, text, &[bump("idna", "3.4", "3.7")]).unwrap();
        assert_eq!(commands[0].dir, Path::new("/repo"));
        assert_eq!(
            commands[0].args,
            [
                "--output-file=svc/requirements/prod.txt",
                "svc/requirements/prod.in",
                "--upgrade-package",
                "idna==3.7"
            ]
        );
        // Derived output: requirements/dev.in writes requirements/dev.txt.
        let text = "# This file is autogenerated by pip-compile\n# To update, run:\n#\n#    pip-compile requirements/dev.in\n";
        let commands = recompile_requirements(
            Path::new("/repo/requirements/dev.txt"),
            text,
            &[bump("idna", "3.4", "3.7")],
        )
        .unwrap();
        assert_eq!(commands[0].dir, Path::new("/repo"));
    }

    #[test]
    fn refusals_name_the_file_and_line() {
        let path = Path::new("/srv/app/requirements.txt");
        let bumps = [bump("requests", "2.27.1", "2.31.0")];
        let plain = recompile_requirements(path, "requests==2.27.1\n", &bumps).unwrap_err();
        assert_eq!(
            plain.reason,
            "/srv/app/requirements.txt: no header naming the pip-compile or uv pip compile command that wrote it"
        );
        let custom = "#\n# This file is autogenerated by pip-compile with Python 3.11\n# by the following command:\n#\n#    make requirements\n#\n";
        let refused = recompile_requirements(path, custom, &bumps).unwrap_err();
        assert_eq!(
            refused.reason,
            "/srv/app/requirements.txt:5: the header names `make requirements`, not a pip-compile or uv pip compile command"
        );
        let other = UV.replace("-o requirements.txt", "-o constraints.txt");
        let refused = recompile_requirements(path, &other, &bumps).unwrap_err();
        assert_eq!(
            refused.reason,
            "/srv/app/requirements.txt:2: the header's command writes constraints.txt, which is not this file"
        );
        let option = [bump("--index-url=http://evil", "1", "2")];
        assert!(recompile_requirements(path, UV, &option).is_err());
    }

    #[test]
    fn words_split_as_a_shell_would() {
        assert_eq!(
            shell_split(r#"pip-compile --pip-args '--only-binary :all:' "a b" c\ d"#).unwrap(),
            [
                "pip-compile",
                "--pip-args",
                "--only-binary :all:",
                "a b",
                "c d"
            ]
        );
        assert_eq!(shell_split("pip-compile 'open"), None);
    }
}
