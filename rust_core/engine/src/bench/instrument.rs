//! What a benchmark measures: wall time (the default) or, with
//! `--instrument instructions`, the instructions callgrind counts
//! (docs/benchmarks.md). The instrument decides how a value reads and
//! whether two sets of results can be compared at all.

use std::path::{Path, PathBuf};

/// The instruments, as `--instrument` names them.
pub const INSTRUMENTS: [&str; 2] = ["time", "instructions"];

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Instrument {
    /// Seconds per call, by the clock.
    #[default]
    Time,
    /// Instructions per call, counted by valgrind's callgrind.
    Instructions,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstrumentError {
    #[error("unknown --instrument {0:?}: expected time or instructions")]
    Unknown(String),
    #[error(
        "--instrument instructions needs valgrind (callgrind), which is not on PATH: \
         install it (apt-get install valgrind) or measure time"
    )]
    NoValgrind,
}

impl std::str::FromStr for Instrument {
    type Err = InstrumentError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "time" => Ok(Instrument::Time),
            "instructions" => Ok(Instrument::Instructions),
            other => Err(InstrumentError::Unknown(other.to_string())),
        }
    }
}

impl Instrument {
    /// The instrument of a result's or baseline's `instrument` field
    /// (absent: time, as every result before the field existed).
    pub fn of(field: Option<&str>) -> Instrument {
        field.and_then(|f| f.parse().ok()).unwrap_or_default()
    }

    pub fn name(self) -> &'static str {
        match self {
            Instrument::Time => "time",
            Instrument::Instructions => "instructions",
        }
    }

    /// What the `instrument` field of a result holds: nothing for time.
    pub fn field(self) -> Option<String> {
        (self != Instrument::Time).then(|| self.name().to_string())
    }

    /// One value per call with its unit: `12.3 µs`, `81,234 instr` (counts
    /// barely move: every digit is worth showing).
    pub fn per_call(self, v: f64) -> String {
        match self {
            Instrument::Time => crate::report::text::time_per_call(v),
            Instrument::Instructions => format!("{} instr", count(v)),
        }
    }
}

/// A count rounded to a whole number, with thousands separators.
pub fn count(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    let digits = (v.abs().round() as u64).to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0.0 && v.round() != 0.0 {
        out.insert(0, '-');
    }
    out
}

/// `valgrind` on `path` (a `PATH`-style list), if it is there.
pub fn find_valgrind(path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    std::env::split_paths(path?)
        .map(|dir| dir.join("valgrind"))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p)
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    }
    // No valgrind there; a file is what a PATH lookup can tell.
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

/// The instrument `--instrument` asks for and, for instructions, the
/// valgrind that will count them (looked up on this process's `PATH`).
pub fn resolve(given: Option<&str>) -> Result<(Instrument, Option<PathBuf>), InstrumentError> {
    let instrument = match given {
        None => Instrument::Time,
        Some(text) => text.parse()?,
    };
    if instrument == Instrument::Instructions {
        let valgrind = find_valgrind(std::env::var_os("PATH").as_deref())
            .ok_or(InstrumentError::NoValgrind)?;
        return Ok((instrument, Some(valgrind)));
    }
    Ok((instrument, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_anything_else_is_refused() {
        assert_eq!("time".parse::<Instrument>(), Ok(Instrument::Time));
        assert_eq!(
            " instructions".parse::<Instrument>(),
            Ok(Instrument::Instructions)
        );
        let err = "cycles".parse::<Instrument>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown --instrument \"cycles\": expected time or instructions"
        );
        assert_eq!(Instrument::of(None), Instrument::Time);
        assert_eq!(
            Instrument::of(Some("instructions")),
            Instrument::Instructions
        );
        assert_eq!(Instrument::Time.field(), None);
        for name in INSTRUMENTS {
            assert_eq!(name.parse::<Instrument>().unwrap().name(), name);
        }
    }

    #[test]
    fn counts_read_whole_with_separators() {
        assert_eq!(count(331_500.4), "331,500");
        assert_eq!(count(1_234_567.0), "1,234,567");
        assert_eq!(count(950.0), "950");
        assert_eq!(count(-1_200.0), "-1,200");
        assert_eq!(count(f64::NAN), "-");
        assert_eq!(Instrument::Instructions.per_call(81_234.4), "81,234 instr");
    }

    #[cfg(unix)]
    #[test]
    fn valgrind_is_found_on_the_path_given_or_not_at_all() {
        let dir = std::env::temp_dir().join(format!("dbtest-vg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = std::env::join_paths([&dir]).unwrap();
        assert_eq!(find_valgrind(Some(&empty)), None);
        let fake = dir.join("valgrind");
        std::fs::write(&fake, "#!/bin/sh\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(find_valgrind(Some(&empty)), Some(fake));
        assert_eq!(find_valgrind(None), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
