use super::*;

#[test]
fn the_summary_names_the_verdict_and_the_figures() {
    let mut report = Report {
        passed: true,
        ..Report::default()
    };
    report.commands.per_sec = 1234.0;
    report.errors.insert("rate_limited".into(), 2);
    let text = report.summary();
    assert!(text.contains("PASSED"));
    assert!(text.contains("1234/s"));
    assert!(text.contains("rate_limited=2"));
    report.passed = false;
    report.failures.push("2 stream violations".into());
    assert!(report.summary().contains("FAILED"));
}
