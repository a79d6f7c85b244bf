//! Validation of WGSL source with naga (feature `wgsl`, part of `gpu`): the kernels `defkernel`
//! generates are checked when they are expanded, even in a build without a GPU back end (the
//! `slight!` macro checks them at build time this way).

/// Parses and validates WGSL with naga; the error names the line and shows it.
pub fn validate_wgsl(source: &str) -> Result<naga::Module, String> {
    let module = naga::front::wgsl::parse_str(source).map_err(|e| {
        let at =
            e.location(source).map(|l| format!(" at line {}:{}", l.line_number, l.line_position)).unwrap_or_default();
        format!("invalid WGSL{at}: {}\n{}", e.message(), e.emit_to_string(source).trim_end())
    })?;
    let mut validator =
        naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::default());
    validator.validate(&module).map_err(|e| {
        let at =
            e.location(source).map(|l| format!(" at line {}:{}", l.line_number, l.line_position)).unwrap_or_default();
        format!("invalid WGSL{at}: {}\n{}", e.as_inner(), e.emit_to_string(source).trim_end())
    })?;
    Ok(module)
}
