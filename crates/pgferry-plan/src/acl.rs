//! GRANT / REVOKE commands from ACLs, as pg_dump 18's `buildACLCommands` and `buildDefaultACLCommands` write them.
//!
//! An object's current ACL (`relacl`, `proacl`, `nspacl`, ..., read as `aclitem[]` text) is compared with its base
//! ACL: `acldefault(<kind>, owner)` read from the server, or the object's `pg_init_privs` entry when it has one
//! (object-coverage.md §2.19). The comparison is a set difference on the exact text of the items:
//!
//! * items of the base that are not in the current ACL become `REVOKE` commands, in base order, all first;
//! * items of the current ACL that are not in the base become `GRANT` commands, in ACL order, except that the
//!   owner's own grants to itself go right after the revokes, before everybody else's;
//! * privileges held with grant option are granted by a separate `... WITH GRANT OPTION;` command;
//! * `ALL` (or `ALL(col)` for a column) replaces the list when an item holds every privilege of the object kind,
//!   all with or all without grant option;
//! * a grant made by someone other than the owner is wrapped in `SET SESSION AUTHORIZATION grantor;` ...
//!   `RESET SESSION AUTHORIZATION;`.
//!
//! Default privileges (§2.21) go through the same routine with the prefix `ALTER DEFAULT PRIVILEGES FOR ROLE r
//! [IN SCHEMA s] ` and no object name.
//!
//! The privilege set of a table always includes `MAINTAIN` (`m`), whatever the server version, because pg_dump 18
//! does not look at the version either: an item `arwdDxt` read from a PostgreSQL 16 server is written as
//! `SELECT,INSERT,REFERENCES,DELETE,TRIGGER,TRUNCATE,UPDATE`, not `ALL` (checked against pg_dump 18.6 and a
//! 16 server). This is also the right meaning: `ALL` on a 17+ target would grant `MAINTAIN` too.

use std::fmt;

use crate::quote::Quoter;

#[cfg(test)]
mod tests;

/// An ACL text that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AclError {
    /// The text is not a one-dimensional array literal (`{item,item,...}`).
    #[error("malformed aclitem[] value {0:?}")]
    MalformedArray(String),
    /// An array element is not of the form `grantee=privileges/grantor`.
    #[error("malformed aclitem {0:?}")]
    MalformedItem(String),
    /// A `pg_default_acl.defaclobjtype` code that pg_dump does not know.
    #[error("unrecognized object type in default privileges: {0:?}")]
    UnknownDefaultAclType(char),
}

/// One privilege of an ACL item: its letter and whether it is held with grant option (`*` in the text form).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Privilege {
    /// The privilege letter (`r` SELECT, `a` INSERT, `w` UPDATE, `d` DELETE, `D` TRUNCATE, `x` REFERENCES,
    /// `t` TRIGGER, `m` MAINTAIN, `X` EXECUTE, `U` USAGE, `C` CREATE, `c` CONNECT, `T` TEMPORARY, `s` SET,
    /// `A` ALTER SYSTEM).
    pub code: char,
    /// The grantee may grant this privilege to others.
    pub grant_option: bool,
}

/// One parsed `aclitem`: `grantee=privileges/grantor`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct AclItem {
    /// The role the privileges are granted to (unquoted); empty for `PUBLIC`.
    pub grantee: String,
    /// The role that granted them (unquoted).
    pub grantor: String,
    /// The privileges in the order of the text form.
    pub privileges: Vec<Privilege>,
}

impl AclItem {
    /// Parses one `aclitem` in the server's text form (`alice=r*w/postgres`, `=U/postgres`,
    /// `"we ird"=r/"Odd Owner"`), with the same leniency as pg_dump's `parseAclItem`.
    ///
    /// Role names may be double-quoted, with `""` standing for one `"`. The privilege part is everything between
    /// the `=` that ends the grantee and the first `/` after it; letters are not validated (unknown ones are simply
    /// never turned into keywords), and a `*` marks the letter before it as held with grant option.
    pub fn parse(item: &str) -> Result<Self, AclError> {
        let bad = || AclError::MalformedItem(item.to_owned());
        let bytes = item.as_bytes();
        let (grantee, eq) = dequote_role(item, 0);
        if byte_at(bytes, eq) != b'=' {
            return Err(bad());
        }
        let slash = item[eq + 1..]
            .find('/')
            .map(|p| eq + 1 + p)
            .ok_or_else(bad)?;
        let (grantor, end) = dequote_role(item, slash + 1);
        if byte_at(bytes, end) != 0 {
            return Err(bad());
        }
        let mut privileges = Vec::new();
        let mut chars = item[eq + 1..slash].chars().peekable();
        while let Some(code) = chars.next() {
            if code == '*' {
                continue;
            }
            let grant_option = chars.peek() == Some(&'*');
            privileges.push(Privilege { code, grant_option });
        }
        Ok(Self {
            grantee,
            grantor,
            privileges,
        })
    }

    /// True for a grant to `PUBLIC` (empty grantee).
    pub fn is_public(&self) -> bool {
        self.grantee.is_empty()
    }

    /// The first privilege with letter `code`, as pg_dump finds it (`strchr`).
    fn privilege(&self, code: char) -> Option<Privilege> {
        self.privileges.iter().copied().find(|p| p.code == code)
    }
}

impl std::str::FromStr for AclItem {
    type Err = AclError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Writes the item in the server's `aclitem` text form: each role name is double-quoted (with `"` doubled) unless
/// it consists only of ASCII letters, digits and `_` (the backend's `putid`; it tests with the server's `isalnum`,
/// which in a UTF-8 database's locale also rejects every non-ASCII byte).
impl fmt::Display for AclItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::with_capacity(self.grantee.len() + self.grantor.len() + 16);
        push_acl_role(&mut out, &self.grantee);
        out.push('=');
        for p in &self.privileges {
            out.push(p.code);
            if p.grant_option {
                out.push('*');
            }
        }
        out.push('/');
        push_acl_role(&mut out, &self.grantor);
        f.write_str(&out)
    }
}

/// Appends a role name as the backend's `putid` (and pg_dump's `quoteAclUserName`) writes it inside an aclitem.
fn push_acl_role(out: &mut String, role: &str) {
    let safe = role.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if safe {
        out.push_str(role);
        return;
    }
    out.push('"');
    for (i, part) in role.split('"').enumerate() {
        if i > 0 {
            out.push_str("\"\"");
        }
        out.push_str(part);
    }
    out.push('"');
}

/// The byte at `i`, or 0 past the end (the C code's NUL terminator).
fn byte_at(bytes: &[u8], i: usize) -> u8 {
    bytes.get(i).copied().unwrap_or(0)
}

/// Reads a role name starting at byte `start`, removing double quotes, up to an unquoted `=` or the end.
/// Returns the name and the position where reading stopped (pg_dump's `dequoteAclUserName`).
fn dequote_role(text: &str, start: usize) -> (String, usize) {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = start;
    while !matches!(byte_at(bytes, i), 0 | b'=') {
        if bytes[i] != b'"' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        i += 1;
        // Up to a quote that is not followed by another quote.
        while !(byte_at(bytes, i) == b'"' && byte_at(bytes, i + 1) != b'"') {
            if byte_at(bytes, i) == 0 {
                return (bytes_to_string(out), i);
            }
            if bytes[i] == b'"' {
                i += 1; // `""` stands for one `"`
            }
            out.push(bytes[i]);
            i += 1;
        }
        i += 1;
    }
    (bytes_to_string(out), i)
}

/// Text taken from a `&str` and cut only at ASCII bytes is valid UTF-8; this never loses anything.
fn bytes_to_string(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Splits the text form of a one-dimensional array (`{a,"b c",d}`) into its elements, as pg_dump's
/// `parsePGArray` does.
///
/// Elements may be double-quoted, with `\` escaping the next character inside quotes. `{}` is an empty array.
/// Anything that is not wrapped in `{` `}` (including the empty string) is an error.
pub fn parse_pg_array(text: &str) -> Result<Vec<String>, AclError> {
    let bad = || AclError::MalformedArray(text.to_owned());
    let bytes = text.as_bytes();
    if bytes.len() < 2 || bytes[0] != b'{' || bytes[bytes.len() - 1] != b'}' {
        return Err(bad());
    }
    let mut items = Vec::new();
    let mut i = 1;
    while byte_at(bytes, i) != b'}' {
        if byte_at(bytes, i) == 0 {
            return Err(bad());
        }
        let mut item = Vec::new();
        while !matches!(byte_at(bytes, i), b'}' | b',') {
            match byte_at(bytes, i) {
                0 => return Err(bad()),
                b'"' => {
                    i += 1;
                    while byte_at(bytes, i) != b'"' {
                        match byte_at(bytes, i) {
                            0 => return Err(bad()),
                            b'\\' => {
                                i += 1;
                                if byte_at(bytes, i) == 0 {
                                    return Err(bad());
                                }
                            }
                            _ => {}
                        }
                        item.push(bytes[i]);
                        i += 1;
                    }
                    i += 1;
                }
                b => {
                    item.push(b);
                    i += 1;
                }
            }
        }
        items.push(bytes_to_string(item));
        if bytes[i] == b',' {
            i += 1;
        }
    }
    if i + 1 != bytes.len() {
        return Err(bad()); // an embedded '}'
    }
    Ok(items)
}

/// Parses `aclitem[]` text (`{=Tc/postgres,alice=arwdDxtm/postgres,"\"we ird\"=r*/bob"}`) into items.
pub fn parse_acl_array(text: &str) -> Result<Vec<AclItem>, AclError> {
    parse_pg_array(text)?
        .iter()
        .map(|item| AclItem::parse(item))
        .collect()
}

/// Writes items as `aclitem[]` text, quoting elements as the server's `array_out` (and pg_dump's
/// `appendPGArray`) does.
pub fn format_acl_array(items: &[AclItem]) -> String {
    let mut out = String::from("{");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_array_element(&mut out, &item.to_string());
    }
    out.push('}');
    out
}

/// Appends one array element, quoted when `array_out` would quote it.
fn push_array_element(out: &mut String, value: &str) {
    let needs_quotes = value.is_empty()
        || value.eq_ignore_ascii_case("NULL")
        || value.bytes().any(|b| {
            matches!(
                b,
                b'"' | b'\\' | b'{' | b'}' | b',' | b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c
            )
        });
    if !needs_quotes {
        out.push_str(value);
        return;
    }
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

/// The base ACL pg_dump assumes for the `public` schema, whatever the source server's version and its
/// `pg_init_privs`: `{owner=UC/owner,=U/owner}`, the PostgreSQL 15+ default (object-coverage.md §2.22).
///
/// Against it, a ≤14 source's untouched `{postgres=UC/postgres,=UC/postgres}` yields
/// `REVOKE USAGE ON SCHEMA public FROM PUBLIC;` and `GRANT ALL ON SCHEMA public TO PUBLIC;`.
pub fn public_schema_base_acl(owner: &str) -> String {
    let privileges = |codes: &str| {
        codes
            .chars()
            .map(|code| Privilege {
                code,
                grant_option: false,
            })
            .collect::<Vec<_>>()
    };
    format_acl_array(&[
        AclItem {
            grantee: owner.to_owned(),
            grantor: owner.to_owned(),
            privileges: privileges("UC"),
        },
        AclItem {
            grantee: String::new(),
            grantor: owner.to_owned(),
            privileges: privileges("U"),
        },
    ])
}

/// The kind of object a GRANT names, with the keyword pg_dump writes after `ON`.
///
/// It also fixes which privilege letters are translated to keywords, and so what counts as `ALL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AclObjectType {
    /// `TABLE`: tables, views, materialized views, foreign tables and their columns
    /// (`r a x d t D m w`; a column, given as [`AclInput::subname`], has only `r a x w`).
    Table,
    /// `SEQUENCE` (`r U w`).
    Sequence,
    /// `FUNCTION`, also used for aggregates (`X`).
    Function,
    /// `PROCEDURE` (`X`).
    Procedure,
    /// `LANGUAGE` (`U`).
    Language,
    /// `SCHEMA` (`C U`).
    Schema,
    /// `DATABASE` (`C c T`).
    Database,
    /// `TABLESPACE` (`C`).
    Tablespace,
    /// `TYPE`, also used for domains (`U`).
    Type,
    /// `FOREIGN DATA WRAPPER` (`U`).
    ForeignDataWrapper,
    /// `FOREIGN SERVER` (`U`).
    ForeignServer,
    /// `FOREIGN TABLE` (`r`). pg_dump itself writes foreign tables' ACLs with [`AclObjectType::Table`].
    ForeignTable,
    /// `PARAMETER`, a configuration parameter (`s A`).
    Parameter,
    /// `LARGE OBJECT` (`r w`).
    LargeObject,
}

/// Letter → keyword tables, in the order pg_dump lists privileges.
const TABLE_PRIVILEGES: &[(char, &str)] = &[
    ('r', "SELECT"),
    ('a', "INSERT"),
    ('x', "REFERENCES"),
    ('d', "DELETE"),
    ('t', "TRIGGER"),
    ('D', "TRUNCATE"),
    ('m', "MAINTAIN"),
    ('w', "UPDATE"),
];
const COLUMN_PRIVILEGES: &[(char, &str)] = &[
    ('r', "SELECT"),
    ('a', "INSERT"),
    ('x', "REFERENCES"),
    ('w', "UPDATE"),
];
const SEQUENCE_PRIVILEGES: &[(char, &str)] = &[('r', "SELECT"), ('U', "USAGE"), ('w', "UPDATE")];
const EXECUTE_PRIVILEGES: &[(char, &str)] = &[('X', "EXECUTE")];
const USAGE_PRIVILEGES: &[(char, &str)] = &[('U', "USAGE")];
const SCHEMA_PRIVILEGES: &[(char, &str)] = &[('C', "CREATE"), ('U', "USAGE")];
const DATABASE_PRIVILEGES: &[(char, &str)] =
    &[('C', "CREATE"), ('c', "CONNECT"), ('T', "TEMPORARY")];
const CREATE_PRIVILEGES: &[(char, &str)] = &[('C', "CREATE")];
const SELECT_PRIVILEGES: &[(char, &str)] = &[('r', "SELECT")];
const PARAMETER_PRIVILEGES: &[(char, &str)] = &[('s', "SET"), ('A', "ALTER SYSTEM")];
const LARGE_OBJECT_PRIVILEGES: &[(char, &str)] = &[('r', "SELECT"), ('w', "UPDATE")];

impl AclObjectType {
    /// The keyword written after `ON` (`TABLE`, `FOREIGN DATA WRAPPER`, `LARGE OBJECT`, ...).
    pub fn keyword(self) -> &'static str {
        match self {
            Self::Table => "TABLE",
            Self::Sequence => "SEQUENCE",
            Self::Function => "FUNCTION",
            Self::Procedure => "PROCEDURE",
            Self::Language => "LANGUAGE",
            Self::Schema => "SCHEMA",
            Self::Database => "DATABASE",
            Self::Tablespace => "TABLESPACE",
            Self::Type => "TYPE",
            Self::ForeignDataWrapper => "FOREIGN DATA WRAPPER",
            Self::ForeignServer => "FOREIGN SERVER",
            Self::ForeignTable => "FOREIGN TABLE",
            Self::Parameter => "PARAMETER",
            Self::LargeObject => "LARGE OBJECT",
        }
    }

    /// The privileges pg_dump translates for this kind, as (letter, keyword) in output order; `column` selects
    /// the column subset of [`AclObjectType::Table`]. Holding all of them is what makes `ALL`.
    pub fn privileges(self, column: bool) -> &'static [(char, &'static str)] {
        match self {
            Self::Table if column => COLUMN_PRIVILEGES,
            Self::Table => TABLE_PRIVILEGES,
            Self::Sequence => SEQUENCE_PRIVILEGES,
            Self::Function | Self::Procedure => EXECUTE_PRIVILEGES,
            Self::Language | Self::Type | Self::ForeignDataWrapper | Self::ForeignServer => {
                USAGE_PRIVILEGES
            }
            Self::Schema => SCHEMA_PRIVILEGES,
            Self::Database => DATABASE_PRIVILEGES,
            Self::Tablespace => CREATE_PRIVILEGES,
            Self::ForeignTable => SELECT_PRIVILEGES,
            Self::Parameter => PARAMETER_PRIVILEGES,
            Self::LargeObject => LARGE_OBJECT_PRIVILEGES,
        }
    }
}

/// Everything needed to write one object's GRANT/REVOKE commands (pg_dump's `dumpACL` → `buildACLCommands`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AclInput<'a> {
    /// What kind of object, i.e. the keyword after `ON` and the privilege set.
    pub object_type: AclObjectType,
    /// The object's name, already quoted, without its schema: `parent`, `"Odd Table"`,
    /// `add1(x integer)` (a function's name carries its argument list), `4242` (a large object), `work_mem`.
    /// May also be given already schema-qualified (`s.parent`) with [`AclInput::namespace`] left `None`.
    pub name: &'a str,
    /// For a column ACL, the column name, already quoted (`note`, `"Col"`); privileges are then written as
    /// `INSERT(note)` and `ALL(note)`. `None` otherwise.
    pub subname: Option<&'a str>,
    /// The object's schema, unquoted (it is quoted here and written as `schema.` before the name); `None` for
    /// objects outside schemas.
    pub namespace: Option<&'a str>,
    /// The owner's role name, unquoted; `None` (or empty) when unknown. Grants by anyone else are wrapped in
    /// `SET SESSION AUTHORIZATION`, and the owner's grants to itself are written first.
    pub owner: Option<&'a str>,
    /// The current ACL as `aclitem[]` text; `None` (SQL NULL) or empty means the default privileges, and
    /// nothing is written.
    pub acl: Option<&'a str>,
    /// The base ACL as `aclitem[]` text: the object's `pg_init_privs` entry if it has one, else
    /// `acldefault(<kind>, owner)` from the server (or [`public_schema_base_acl`] for the `public` schema).
    pub base_acl: &'a str,
    /// Identifier quoting (`--quote-all-identifiers`), used for role and schema names.
    pub quoter: Quoter,
}

/// Writes the GRANT/REVOKE commands that turn `input.base_acl` into `input.acl`, byte for byte as pg_dump 18
/// does; each command ends with `;\n`. Returns an empty string when there is nothing to do.
///
/// ```
/// use pgferry_plan::acl::{build_acl_commands, AclInput, AclObjectType};
/// use pgferry_plan::quote::Quoter;
///
/// let sql = build_acl_commands(&AclInput {
///     object_type: AclObjectType::Function,
///     name: "add1(x integer)",
///     subname: None,
///     namespace: Some("s"),
///     owner: Some("app_owner"),
///     acl: Some("{app_owner=X/app_owner,app_reader=X/app_owner}"),
///     base_acl: "{=X/app_owner,app_owner=X/app_owner}",
///     quoter: Quoter::default(),
/// })
/// .unwrap();
/// assert_eq!(
///     sql,
///     "REVOKE ALL ON FUNCTION s.add1(x integer) FROM PUBLIC;\n\
///      GRANT ALL ON FUNCTION s.add1(x integer) TO app_reader;\n"
/// );
/// ```
///
/// # Errors
///
/// [`AclError`] when either ACL text cannot be parsed. As in pg_dump, only the items that differ are parsed
/// individually, so a malformed item present in both ACLs goes unnoticed.
pub fn build_acl_commands(input: &AclInput<'_>) -> Result<String, AclError> {
    let target = Target {
        prefix: "",
        keyword: input.object_type.keyword(),
        privileges: input.object_type.privileges(input.subname.is_some()),
        namespace: input.namespace,
        name: input.name,
        subname: input.subname,
        quoter: input.quoter,
    };
    build(&target, input.acl, input.base_acl, input.owner)
}

/// The kinds of object default privileges apply to (`pg_default_acl.defaclobjtype`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DefaultAclObjectType {
    /// `r`: `TABLES` (privileges as for tables).
    Tables,
    /// `S`: `SEQUENCES`.
    Sequences,
    /// `f`: `FUNCTIONS` (procedures included).
    Functions,
    /// `T`: `TYPES`.
    Types,
    /// `n`: `SCHEMAS`.
    Schemas,
    /// `L`: `LARGE OBJECTS` (PostgreSQL 18).
    LargeObjects,
}

impl DefaultAclObjectType {
    /// Maps a `defaclobjtype` code (`r`, `S`, `f`, `T`, `n`, `L`).
    ///
    /// # Errors
    ///
    /// [`AclError::UnknownDefaultAclType`] for any other code (pg_dump stops with the same complaint).
    pub fn from_code(code: char) -> Result<Self, AclError> {
        Ok(match code {
            'r' => Self::Tables,
            'S' => Self::Sequences,
            'f' => Self::Functions,
            'T' => Self::Types,
            'n' => Self::Schemas,
            'L' => Self::LargeObjects,
            other => return Err(AclError::UnknownDefaultAclType(other)),
        })
    }

    /// The `defaclobjtype` code.
    pub fn code(self) -> char {
        match self {
            Self::Tables => 'r',
            Self::Sequences => 'S',
            Self::Functions => 'f',
            Self::Types => 'T',
            Self::Schemas => 'n',
            Self::LargeObjects => 'L',
        }
    }

    /// The keyword written after `ON` (`TABLES`, `LARGE OBJECTS`, ...); pg_dump's TOC tag is
    /// `DEFAULT PRIVILEGES FOR <keyword>`.
    pub fn keyword(self) -> &'static str {
        match self {
            Self::Tables => "TABLES",
            Self::Sequences => "SEQUENCES",
            Self::Functions => "FUNCTIONS",
            Self::Types => "TYPES",
            Self::Schemas => "SCHEMAS",
            Self::LargeObjects => "LARGE OBJECTS",
        }
    }

    /// The privileges translated for this kind, as (letter, keyword) in output order.
    pub fn privileges(self) -> &'static [(char, &'static str)] {
        match self {
            Self::Tables => TABLE_PRIVILEGES,
            Self::Sequences => SEQUENCE_PRIVILEGES,
            Self::Functions => EXECUTE_PRIVILEGES,
            Self::Types => USAGE_PRIVILEGES,
            Self::Schemas => SCHEMA_PRIVILEGES,
            Self::LargeObjects => LARGE_OBJECT_PRIVILEGES,
        }
    }
}

impl TryFrom<char> for DefaultAclObjectType {
    type Error = AclError;

    fn try_from(code: char) -> Result<Self, Self::Error> {
        Self::from_code(code)
    }
}

/// One `pg_default_acl` entry (pg_dump's `dumpDefaultACL` → `buildDefaultACLCommands`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultAclInput<'a> {
    /// The role whose future objects are concerned (`defaclrole`), unquoted.
    pub role: &'a str,
    /// The schema (`defaclnamespace`), unquoted; `None` for a global entry.
    pub schema: Option<&'a str>,
    /// The kind of object (`defaclobjtype`).
    pub object_type: DefaultAclObjectType,
    /// `defaclacl` as `aclitem[]` text.
    pub acl: &'a str,
    /// The base: for a global entry `acldefault(objtype, role)` from the server (with `S` passed as `s`);
    /// for a per-schema entry `{}`, since those can only add privileges.
    pub base_acl: &'a str,
    /// Identifier quoting (`--quote-all-identifiers`).
    pub quoter: Quoter,
}

/// Writes the `ALTER DEFAULT PRIVILEGES FOR ROLE r [IN SCHEMA s] GRANT|REVOKE ... ON TABLES|... TO|FROM ...;`
/// commands for one `pg_default_acl` entry, byte for byte as pg_dump 18 does.
///
/// ```
/// use pgferry_plan::acl::{build_default_acl_commands, DefaultAclInput, DefaultAclObjectType};
/// use pgferry_plan::quote::Quoter;
///
/// let sql = build_default_acl_commands(&DefaultAclInput {
///     role: "app_owner",
///     schema: None,
///     object_type: DefaultAclObjectType::Functions,
///     acl: "{app_owner=X/app_owner}",
///     base_acl: "{=X/app_owner,app_owner=X/app_owner}",
///     quoter: Quoter::default(),
/// })
/// .unwrap();
/// assert_eq!(sql, "ALTER DEFAULT PRIVILEGES FOR ROLE app_owner REVOKE ALL ON FUNCTIONS FROM PUBLIC;\n");
/// ```
///
/// # Errors
///
/// [`AclError`] when either ACL text cannot be parsed.
pub fn build_default_acl_commands(input: &DefaultAclInput<'_>) -> Result<String, AclError> {
    let mut prefix = String::from("ALTER DEFAULT PRIVILEGES FOR ROLE ");
    input.quoter.push_ident(&mut prefix, input.role);
    prefix.push(' ');
    if let Some(schema) = input.schema {
        prefix.push_str("IN SCHEMA ");
        input.quoter.push_ident(&mut prefix, schema);
        prefix.push(' ');
    }
    let target = Target {
        prefix: &prefix,
        keyword: input.object_type.keyword(),
        privileges: input.object_type.privileges(),
        namespace: None,
        name: "",
        subname: None,
        quoter: input.quoter,
    };
    build(&target, Some(input.acl), input.base_acl, Some(input.role))
}

/// The fixed parts of every command written for one object.
struct Target<'a> {
    /// Written before `GRANT`/`REVOKE` (`ALTER DEFAULT PRIVILEGES FOR ROLE r `, or nothing).
    prefix: &'a str,
    /// The keyword after `ON`.
    keyword: &'a str,
    /// Letter → keyword, in output order.
    privileges: &'static [(char, &'static str)],
    /// Unquoted schema name, written quoted as `schema.`.
    namespace: Option<&'a str>,
    /// Already quoted object name; empty for default privileges.
    name: &'a str,
    /// Already quoted column name.
    subname: Option<&'a str>,
    /// Identifier quoting for roles and the schema.
    quoter: Quoter,
}

impl Target<'_> {
    /// Appends `<prefix><verb> <privs> ON <keyword> [schema.][name ]<to_from> <grantee|PUBLIC>`, without the
    /// terminator.
    fn push_command(
        &self,
        out: &mut String,
        verb: &str,
        privs: &str,
        to_from: &str,
        grantee: &str,
    ) {
        out.push_str(self.prefix);
        out.push_str(verb);
        out.push(' ');
        out.push_str(privs);
        out.push_str(" ON ");
        out.push_str(self.keyword);
        out.push(' ');
        if let Some(ns) = self.namespace.filter(|ns| !ns.is_empty()) {
            self.quoter.push_ident(out, ns);
            out.push('.');
        }
        if !self.name.is_empty() {
            out.push_str(self.name);
            out.push(' ');
        }
        out.push_str(to_from);
        out.push(' ');
        if grantee.is_empty() {
            out.push_str("PUBLIC");
        } else {
            self.quoter.push_ident(out, grantee);
        }
    }

    /// Translates an item's letters into keyword lists (pg_dump's `parseAclItem`): returns the privileges to
    /// grant plainly and those to grant with grant option. When `split_grant_option` is false (for REVOKE),
    /// everything lands in the first list. A list covering the whole privilege set becomes `ALL` / `ALL(col)`.
    fn privilege_lists(&self, item: &AclItem, split_grant_option: bool) -> (String, String) {
        let mut plain = String::new();
        let mut with_go = String::new();
        let mut all_plain = true;
        let mut all_with_go = true;
        for &(code, keyword) in self.privileges {
            match item.privilege(code) {
                Some(p) if p.grant_option && split_grant_option => {
                    self.push_privilege(&mut with_go, keyword);
                    all_plain = false;
                }
                Some(_) => {
                    self.push_privilege(&mut plain, keyword);
                    all_with_go = false;
                }
                None => {
                    all_plain = false;
                    all_with_go = false;
                }
            }
        }
        if all_with_go {
            plain.clear();
            with_go.clear();
            self.push_all(&mut with_go);
        } else if all_plain {
            with_go.clear();
            plain.clear();
            self.push_all(&mut plain);
        }
        (plain, with_go)
    }

    /// Appends `keyword[(col)]` to a comma-separated list.
    fn push_privilege(&self, list: &mut String, keyword: &str) {
        if !list.is_empty() {
            list.push(',');
        }
        list.push_str(keyword);
        if let Some(sub) = self.subname {
            list.push('(');
            list.push_str(sub);
            list.push(')');
        }
    }

    /// Writes `ALL[(col)]`.
    fn push_all(&self, list: &mut String) {
        list.push_str("ALL");
        if let Some(sub) = self.subname {
            list.push('(');
            list.push_str(sub);
            list.push(')');
        }
    }
}

/// The common body of [`build_acl_commands`] and [`build_default_acl_commands`] (pg_dump's `buildACLCommands`).
fn build(
    target: &Target<'_>,
    acl: Option<&str>,
    base_acl: &str,
    owner: Option<&str>,
) -> Result<String, AclError> {
    let Some(acl) = acl.filter(|a| !a.is_empty()) else {
        return Ok(String::new()); // NULL: the object has its default privileges
    };
    let owner = owner.filter(|o| !o.is_empty());
    let current = parse_pg_array(acl)?;
    let base = parse_pg_array(base_acl)?;

    // Statements for the owner's own grants (and all revokes) go first, the rest after them.
    let mut first = String::new();
    let mut second = String::new();

    for text in base.iter().filter(|b| !current.contains(b)) {
        let item = AclItem::parse(text)?;
        let (privs, _) = target.privilege_lists(&item, false);
        if !privs.is_empty() {
            target.push_command(&mut first, "REVOKE", &privs, "FROM", &item.grantee);
            first.push_str(";\n");
        }
    }

    for text in current.iter().filter(|c| !base.contains(c)) {
        let mut item = AclItem::parse(text)?;
        let (privs, privs_with_go) = target.privilege_lists(&item, true);
        if privs.is_empty() && privs_with_go.is_empty() {
            continue;
        }
        if let (true, Some(owner)) = (item.grantor.is_empty(), owner) {
            item.grantor = owner.to_owned();
        }
        let out = if owner.is_some_and(|o| item.grantee == o && item.grantor == o) {
            &mut first
        } else {
            &mut second
        };
        let switch_user = !item.grantor.is_empty() && owner != Some(item.grantor.as_str());
        if switch_user {
            out.push_str("SET SESSION AUTHORIZATION ");
            target.quoter.push_ident(out, &item.grantor);
            out.push_str(";\n");
        }
        if !privs.is_empty() {
            target.push_command(out, "GRANT", &privs, "TO", &item.grantee);
            out.push_str(";\n");
        }
        if !privs_with_go.is_empty() {
            target.push_command(out, "GRANT", &privs_with_go, "TO", &item.grantee);
            out.push_str(" WITH GRANT OPTION;\n");
        }
        if switch_user {
            out.push_str("RESET SESSION AUTHORIZATION;\n");
        }
    }

    first.push_str(&second);
    Ok(first)
}
