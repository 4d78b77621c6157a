//! The server's version, read once per connection.

use std::fmt;

/// A PostgreSQL server version as reported by `server_version_num` (for example `170002` for 17.2).
///
/// Every catalog query that differs between versions branches on this type in one visible place:
/// `if version >= ServerVersion::V16 { ... }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServerVersion(u32);

impl ServerVersion {
    /// PostgreSQL 12, the oldest server pgferry dumps.
    pub const V12: ServerVersion = ServerVersion(120000);
    /// PostgreSQL 13.
    pub const V13: ServerVersion = ServerVersion(130000);
    /// PostgreSQL 14.
    pub const V14: ServerVersion = ServerVersion(140000);
    /// PostgreSQL 15.
    pub const V15: ServerVersion = ServerVersion(150000);
    /// PostgreSQL 16.
    pub const V16: ServerVersion = ServerVersion(160000);
    /// PostgreSQL 17.
    pub const V17: ServerVersion = ServerVersion(170000);
    /// PostgreSQL 18, the newest server pgferry has been tested against.
    pub const V18: ServerVersion = ServerVersion(180000);

    /// The oldest supported server.
    pub const OLDEST_SUPPORTED: ServerVersion = Self::V12;
    /// The newest major version pgferry knows the catalogs of.
    pub const NEWEST_KNOWN_MAJOR: u32 = 18;

    /// Builds a version from `server_version_num`'s integer form.
    pub const fn from_num(num: u32) -> ServerVersion {
        ServerVersion(num)
    }

    /// Parses the text of `server_version_num`, e.g. `"150018"`.
    pub fn parse_num(text: &str) -> Option<ServerVersion> {
        let num: u32 = text.trim().parse().ok()?;
        // Versions before 10 used three parts (90624); they are far below anything supported but still valid numbers.
        (num >= 10_000).then_some(ServerVersion(num))
    }

    /// The integer form, as `server_version_num` reports it.
    pub const fn num(self) -> u32 {
        self.0
    }

    /// The major version: 17 for 17.2; 9 for 9.6 (older servers had two-part majors, reported here by the first part).
    pub const fn major(self) -> u32 {
        self.0 / 10_000
    }

    /// The minor version: 2 for 17.2.
    pub const fn minor(self) -> u32 {
        if self.0 >= 100_000 {
            self.0 % 10_000
        } else {
            self.0 % 100
        }
    }

    /// How pgferry stands toward this server.
    pub fn support(self) -> VersionSupport {
        if self < Self::OLDEST_SUPPORTED {
            VersionSupport::TooOld
        } else if self.major() > Self::NEWEST_KNOWN_MAJOR {
            VersionSupport::Newer
        } else {
            VersionSupport::Supported
        }
    }
}

impl fmt::Display for ServerVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 >= 100_000 {
            write!(f, "{}.{}", self.major(), self.minor())
        } else {
            // 9.6.24 is reported as 90624.
            write!(
                f,
                "{}.{}.{}",
                self.0 / 10_000,
                (self.0 / 100) % 100,
                self.0 % 100
            )
        }
    }
}

/// Whether pgferry can work with a server version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionSupport {
    /// Between 12 and the newest known major: fully supported.
    Supported,
    /// Older than 12: refused, because pgferry's catalog queries would be wrong for it.
    TooOld,
    /// Newer than any major pgferry knows: connections work, but dumps may miss catalog changes.
    Newer,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_orders_versions() {
        let v = ServerVersion::parse_num("150018").unwrap();
        assert_eq!(v.major(), 15);
        assert_eq!(v.minor(), 18);
        assert_eq!(v.to_string(), "15.18");
        assert!(v >= ServerVersion::V15 && v < ServerVersion::V16);
        assert_eq!(v.support(), VersionSupport::Supported);
    }

    #[test]
    fn old_and_new_servers_are_classified() {
        let old = ServerVersion::parse_num("90624").unwrap();
        assert_eq!(old.to_string(), "9.6.24");
        assert_eq!(old.support(), VersionSupport::TooOld);
        assert_eq!(
            ServerVersion::parse_num("110022").unwrap().support(),
            VersionSupport::TooOld
        );
        assert_eq!(
            ServerVersion::parse_num("190001").unwrap().support(),
            VersionSupport::Newer
        );
        assert_eq!(
            ServerVersion::parse_num("120000").unwrap().support(),
            VersionSupport::Supported
        );
        assert_eq!(
            ServerVersion::parse_num("180004").unwrap().support(),
            VersionSupport::Supported
        );
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(ServerVersion::parse_num("abc"), None);
        assert_eq!(ServerVersion::parse_num(""), None);
        assert_eq!(ServerVersion::parse_num("42"), None);
    }
}
