//! Integration tests of pgferry-testkit against real servers. Each test skips (or, with `CI=true`, fails) when
//! the binaries it needs are not installed; run scripts/provision-postgres first.

mod clusters;
mod pgbouncer;
mod reference;
mod tls;

/// The newest and the oldest of the majors under test that are installed (the same one twice when only one is).
/// Empty when none is installed (after printing SKIPPED lines).
pub(crate) fn newest_and_oldest() -> Vec<u32> {
    let installed: Vec<u32> = pgferry_testkit::majors_under_test()
        .into_iter()
        .filter(|m| pgferry_testkit::require_or_skip(*m).is_some())
        .collect();
    match (installed.first(), installed.last()) {
        (Some(&oldest), Some(&newest)) if oldest != newest => vec![newest, oldest],
        (Some(&only), _) => vec![only],
        _ => Vec::new(),
    }
}
