use super::*;
use crate::rewrite::rewrite;
use crate::rewrite::testing::{bump, pins, refused, rewrite_checked, shared};
use cverun_inventory::FileKind;
use cverun_versions::Ecosystem;

fn gem(name: &str, from: &str, to: &str) -> Bump {
    bump(Ecosystem::RubyGems, name, from, to)
}

#[test]
fn emailservice_from_the_corpus() {
    let Some((_, text)) = shared(
        cverun_testkit::test_name!(),
        "corpus/opentelemetry-demo@2024-06/src/emailservice/Gemfile",
    ) else {
        return;
    };
    // Line 8: `gem "sinatra",  "~> 3.0"`: the fix 3.1.0 keeps two components.
    let (edit, parsed) = rewrite_checked(
        FileKind::Gemfile,
        "Gemfile",
        &text,
        &gem("sinatra", "3.0.5", "3.1.0"),
        &[8],
    );
    assert!(edit.text.contains("gem \"sinatra\",  \"~> 3.1\"\n"));
    assert_eq!(pins(&parsed, "sinatra"), ["~> 3.1"]);
    // Line 7: `gem "puma", "~> 6.3"`: 6.4.2 needs three components, which narrows
    // the upper bound, and the summary says so.
    let (edit, _) = rewrite_checked(
        FileKind::Gemfile,
        "Gemfile",
        &text,
        &gem("puma", "6.3.1", "6.4.2"),
        &[7],
    );
    assert_eq!(
        edit.summary,
        "puma \"~> 6.3\" -> \"~> 6.4.2\" (line 7): the upper bound narrows to below 6.5.0: 6.4.2 needs all its components"
    );
}

#[test]
fn several_requirements_options_and_parentheses() {
    let text = "source 'https://rubygems.org'\r\ngem 'rack', '~> 2.2', '>= 2.2.3', require: false # web\r\ngem('nokogiri', '1.13.3')\r\ngem 'rails', git: 'https://example.invalid/rails'\r\ngem 'puma'";
    let (edit, _) = rewrite_checked(
        FileKind::Gemfile,
        "Gemfile",
        text,
        &gem("rack", "2.2.3", "2.2.8"),
        &[2],
    );
    assert!(
        edit.text
            .contains("gem 'rack', '~> 2.2', '>= 2.2.8', require: false # web\r\n")
    );
    let (_, parsed) = rewrite_checked(
        FileKind::Gemfile,
        "Gemfile",
        text,
        &gem("nokogiri", "1.13.3", "1.13.4"),
        &[3],
    );
    assert_eq!(pins(&parsed, "nokogiri"), ["1.13.4"]);
    assert_eq!(
        rewrite(FileKind::Gemfile, text, &gem("puma", "6.3.1", "6.4.2")),
        Ok(None)
    );
    let r = refused(FileKind::Gemfile, text, &gem("rails", "7.0.0", "7.0.8"));
    assert!(
        r.reason.contains("comes from git or a path"),
        "{}",
        r.reason
    );
    let r = refused(
        FileKind::Gemfile,
        "gem 'rack', '>= 2.0', '< 2.2.5'\n",
        &gem("rack", "2.2.3", "2.2.8"),
    );
    assert!(r.reason.ends_with("`< 2.2.5` excludes it"), "{}", r.reason);
}
