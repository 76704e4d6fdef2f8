//! The exit codes of `dbtest`, the one place they are defined. The CLI
//! exits with them (through `dbtest._core.EXIT_CODES`), and the table in
//! docs/cli.md is checked against [`ExitCode::meaning`] by a test here.

/// How a `dbtest` command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum ExitCode {
    Ok = 0,
    TestsFailed = 1,
    Interrupted = 2,
    InternalError = 3,
    UsageError = 4,
    NoTests = 5,
}

impl ExitCode {
    /// Every code, in numeric order.
    pub const ALL: [ExitCode; 6] = [
        ExitCode::Ok,
        ExitCode::TestsFailed,
        ExitCode::Interrupted,
        ExitCode::InternalError,
        ExitCode::UsageError,
        ExitCode::NoTests,
    ];

    /// The process exit status.
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The constant's name in `dbtest.cli.exit_codes`.
    pub fn name(self) -> &'static str {
        match self {
            ExitCode::Ok => "OK",
            ExitCode::TestsFailed => "TESTS_FAILED",
            ExitCode::Interrupted => "INTERRUPTED",
            ExitCode::InternalError => "INTERNAL_ERROR",
            ExitCode::UsageError => "USAGE_ERROR",
            ExitCode::NoTests => "NO_TESTS",
        }
    }

    /// What it means, exactly as the table in docs/cli.md says it.
    pub fn meaning(self) -> &'static str {
        match self {
            ExitCode::Ok => "everything selected passed (skips and expected failures included)",
            ExitCode::TestsFailed => {
                "a test failed, errored, timed out or crashed; a strict `xpassed`; a collection \
                 or run error; a benchmark error; a regression past `--fail-on-regression`"
            }
            ExitCode::Interrupted => {
                "interrupted (Ctrl-C); the summary and reports are still written"
            }
            ExitCode::InternalError => "an internal error of dbtest (a bug: please report it)",
            ExitCode::UsageError => {
                "usage or configuration error (bad option, filter, path, test id that names \
                 nothing, config key, partition, report path)"
            }
            ExitCode::NoTests => "no tests selected",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `| code | meaning |` rows of the "Exit codes" table in docs/cli.md.
    fn documented() -> Vec<(i32, String)> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/cli.md");
        let text = std::fs::read_to_string(path).expect("docs/cli.md");
        let section = text
            .split("## Exit codes")
            .nth(1)
            .expect("docs/cli.md has an Exit codes section");
        section
            .lines()
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .filter_map(|l| {
                let cells: Vec<&str> = l.trim_matches('|').split(" | ").collect();
                let code = cells.first()?.trim().parse().ok()?;
                Some((code, cells.get(1)?.trim().to_string()))
            })
            .collect()
    }

    #[test]
    fn docs_cli_md_lists_every_code_with_its_meaning() {
        let expected: Vec<(i32, String)> = ExitCode::ALL
            .iter()
            .map(|c| (c.code(), c.meaning().to_string()))
            .collect();
        assert_eq!(documented(), expected);
    }

    #[test]
    fn codes_are_distinct_and_in_order() {
        let codes: Vec<i32> = ExitCode::ALL.iter().map(|c| c.code()).collect();
        assert_eq!(codes, (0..6).collect::<Vec<_>>());
    }
}
