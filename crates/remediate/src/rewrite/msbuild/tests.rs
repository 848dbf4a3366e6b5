use super::*;
use crate::rewrite::rewrite;
use crate::rewrite::testing::{bump, pins, refused, rewrite_checked, shared};
use cverun_inventory::FileKind;
use cverun_versions::Ecosystem;

fn nuget(name: &str, from: &str, to: &str) -> Bump {
    bump(Ecosystem::NuGet, name, from, to)
}

#[test]
fn cartservice_from_the_corpus() {
    let Some((_, text)) = shared(
        cverun_testkit::test_name!(),
        "corpus/opentelemetry-demo@2024-06/src/cartservice/src/cartservice.csproj",
    ) else {
        return;
    };
    // Line 30: `<PackageReference Include="StackExchange.Redis" Version="2.7.33" />`,
    // named in another case by the bump.
    let (edit, parsed) = rewrite_checked(
        FileKind::MsBuildProject,
        "cartservice.csproj",
        &text,
        &nuget("stackexchange.redis", "2.7.33", "2.8.0"),
        &[30],
    );
    assert!(
        edit.text
            .contains("<PackageReference Include=\"StackExchange.Redis\" Version=\"2.8.0\" />")
    );
    assert_eq!(pins(&parsed, "StackExchange.Redis"), ["2.8.0"]);
}

#[test]
fn element_form_update_and_crlf() {
    let text = "<Project Sdk=\"Microsoft.NET.Sdk\">\r\n  <ItemGroup>\r\n    <PackageReference Include=\"Newtonsoft.Json\">\r\n      <Version> 12.0.1 </Version>\r\n    </PackageReference>\r\n    <PackageReference Update=\"Newtonsoft.Json\" Version=\"[12.0.1]\" />\r\n  </ItemGroup>\r\n</Project>";
    let (edit, _) = rewrite_checked(
        FileKind::MsBuildProject,
        "app.csproj",
        text,
        &nuget("Newtonsoft.Json", "12.0.1", "13.0.1"),
        &[4, 6],
    );
    assert!(edit.text.contains("<Version> 13.0.1 </Version>\r\n"));
    assert!(edit.text.contains("Version=\"[13.0.1]\""));
}

#[test]
fn refusals() {
    let b = nuget("Newtonsoft.Json", "12.0.1", "13.0.1");
    let r = refused(
        FileKind::MsBuildProject,
        "<Project>\n  <ItemGroup>\n    <PackageReference Include=\"Newtonsoft.Json\" Version=\"$(JsonVersion)\" />\n  </ItemGroup>\n</Project>\n",
        &b,
    );
    assert_eq!(
        r.reason,
        "MSBuild project line 3: the version of Newtonsoft.Json is the MSBuild property $(JsonVersion)"
    );
    assert_eq!(
        r.manual.as_deref(),
        Some("set the property JsonVersion to 13.0.1 where it is defined")
    );
    let r = refused(
        FileKind::MsBuildProject,
        "<Project>\n  <ItemGroup>\n    <PackageReference Include=\"Newtonsoft.Json\" />\n  </ItemGroup>\n</Project>\n",
        &b,
    );
    assert!(
        r.reason.contains("central package management"),
        "{}",
        r.reason
    );
    assert!(r.manual.unwrap().contains("Directory.Packages.props"));
    let r = refused(
        FileKind::MsBuildProject,
        "<Project><ItemGroup><PackageReference Include=\"Newtonsoft.Json\" Version=\"[12.0,13.0)\" /></ItemGroup></Project>",
        &b,
    );
    assert!(r.reason.ends_with("`13.0)` excludes it"), "{}", r.reason);
}

#[test]
fn packages_config() {
    let Some((_, text)) = shared(
        cverun_testkit::test_name!(),
        "fixtures/lockfiles/dotnet/packagesconfig/valid",
    ) else {
        return;
    };
    // Line 4: `<package id="Microsoft.Net.Compilers" version="1.0.0" ... />`.
    let (_, parsed) = rewrite_checked(
        FileKind::PackagesConfig,
        "packages.config",
        &text,
        &nuget("Microsoft.Net.Compilers", "1.0.0", "1.3.2"),
        &[4],
    );
    assert_eq!(pins(&parsed, "Microsoft.Net.Compilers"), ["1.3.2"]);
    let limited = text.replace(
        "version=\"1.0.0\" targetFramework=\"net46\" developmentDependency",
        "version=\"1.0.0\" allowedVersions=\"[1,1.3)\" targetFramework=\"net46\" developmentDependency",
    );
    let r = refused(
        FileKind::PackagesConfig,
        &limited,
        &nuget("Microsoft.Net.Compilers", "1.0.0", "1.3.2"),
    );
    assert_eq!(
        r.reason,
        "packages.config line 4: allowedVersions=\"[1,1.3)\" of Microsoft.Net.Compilers does not allow 1.3.2"
    );
    assert_eq!(
        rewrite(
            FileKind::PackagesConfig,
            &text,
            &nuget("Other", "1.0.0", "1.3.2")
        ),
        Ok(None)
    );
}
