//! Package URLs (purl): placeholder, filled in with the SBOM parsers.
