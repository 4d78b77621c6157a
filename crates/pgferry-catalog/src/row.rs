//! Rows of catalog queries, decoded from text.
//!
//! Catalog queries run through the simple protocol: nothing is prepared (safe behind a pooler), every value
//! arrives as text, and columns are looked up by name so that a query can change shape between server
//! versions without the decoding changing.

use std::sync::Arc;

use crate::CatalogError;

/// A catalog object id.
pub type Oid = u32;

/// One row of a catalog query.
#[derive(Debug, Clone)]
pub struct Row {
    query: &'static str,
    columns: Arc<Vec<String>>,
    values: Vec<Option<String>>,
}

impl Row {
    pub(crate) fn new(
        query: &'static str,
        columns: Arc<Vec<String>>,
        values: Vec<Option<String>>,
    ) -> Row {
        Row {
            query,
            columns,
            values,
        }
    }

    fn raw(&self, name: &str) -> Result<Option<&str>, CatalogError> {
        let index =
            self.columns
                .iter()
                .position(|c| c == name)
                .ok_or_else(|| CatalogError::Decode {
                    query: self.query,
                    column: name.to_owned(),
                    reason: "no such column".to_owned(),
                })?;
        Ok(self.values[index].as_deref())
    }

    fn bad(&self, name: &str, reason: impl Into<String>) -> CatalogError {
        CatalogError::Decode {
            query: self.query,
            column: name.to_owned(),
            reason: reason.into(),
        }
    }

    /// A text column that may be NULL.
    pub fn opt_text(&self, name: &str) -> Result<Option<String>, CatalogError> {
        Ok(self.raw(name)?.map(str::to_owned))
    }

    /// A text column that must not be NULL.
    pub fn text(&self, name: &str) -> Result<String, CatalogError> {
        self.raw(name)?
            .map(str::to_owned)
            .ok_or_else(|| self.bad(name, "unexpected NULL"))
    }

    /// A text column where NULL reads as the empty string.
    pub fn text_or_empty(&self, name: &str) -> Result<String, CatalogError> {
        Ok(self.raw(name)?.unwrap_or_default().to_owned())
    }

    /// An integer column that may be NULL.
    pub fn opt_i64(&self, name: &str) -> Result<Option<i64>, CatalogError> {
        match self.raw(name)? {
            None => Ok(None),
            Some(text) => text
                .parse()
                .map(Some)
                .map_err(|_| self.bad(name, format!("not an integer: {text:?}"))),
        }
    }

    /// An integer column that must not be NULL.
    pub fn i64(&self, name: &str) -> Result<i64, CatalogError> {
        self.opt_i64(name)?
            .ok_or_else(|| self.bad(name, "unexpected NULL"))
    }

    /// An `int4`-sized integer column.
    pub fn i32(&self, name: &str) -> Result<i32, CatalogError> {
        let value = self.i64(name)?;
        i32::try_from(value).map_err(|_| self.bad(name, format!("out of range: {value}")))
    }

    /// An OID column; NULL reads as 0 (InvalidOid), which is how catalogs spell "none".
    pub fn oid(&self, name: &str) -> Result<Oid, CatalogError> {
        match self.raw(name)? {
            None => Ok(0),
            Some(text) => text
                .parse()
                .map_err(|_| self.bad(name, format!("not an OID: {text:?}"))),
        }
    }

    /// A boolean column (`t`/`f`); NULL reads as false.
    pub fn bool(&self, name: &str) -> Result<bool, CatalogError> {
        match self.raw(name)? {
            None | Some("f") => Ok(false),
            Some("t") => Ok(true),
            Some(other) => Err(self.bad(name, format!("not a boolean: {other:?}"))),
        }
    }

    /// A `"char"` column as a byte; NULL or empty reads as 0.
    pub fn char(&self, name: &str) -> Result<u8, CatalogError> {
        Ok(self.raw(name)?.and_then(|t| t.bytes().next()).unwrap_or(0))
    }

    /// An array column (`{a,"b c",NULL}`), as text elements; NULL reads as an empty list.
    pub fn array(&self, name: &str) -> Result<Vec<Option<String>>, CatalogError> {
        match self.raw(name)? {
            None => Ok(Vec::new()),
            Some(text) => parse_array(text).map_err(|reason| self.bad(name, reason)),
        }
    }

    /// An array column whose elements are never NULL.
    pub fn text_array(&self, name: &str) -> Result<Vec<String>, CatalogError> {
        self.array(name)?
            .into_iter()
            .map(|v| v.ok_or_else(|| self.bad(name, "unexpected NULL element")))
            .collect()
    }

    /// An `oid[]` column.
    pub fn oid_array(&self, name: &str) -> Result<Vec<Oid>, CatalogError> {
        self.text_array(name)?
            .iter()
            .map(|t| {
                t.parse()
                    .map_err(|_| self.bad(name, format!("not an OID: {t:?}")))
            })
            .collect()
    }

    /// An `int2vector`/`oidvector` column (`1 2 3`), or an `int2[]`.
    pub fn int_vector(&self, name: &str) -> Result<Vec<i64>, CatalogError> {
        let Some(text) = self.raw(name)? else {
            return Ok(Vec::new());
        };
        let text = text.trim_start_matches('{').trim_end_matches('}');
        text.split([' ', ','])
            .filter(|t| !t.is_empty())
            .map(|t| {
                t.parse()
                    .map_err(|_| self.bad(name, format!("not an integer: {t:?}")))
            })
            .collect()
    }
}

/// Parses PostgreSQL's text form of a one-dimensional array.
pub fn parse_array(text: &str) -> Result<Vec<Option<String>>, String> {
    let text = text.trim();
    // An explicit lower bound ("[0:1]={a,b}") may precede the braces.
    let body = match text.find('=') {
        Some(at) if text.starts_with('[') => &text[at + 1..],
        _ => text,
    };
    let inner = body
        .strip_prefix('{')
        .and_then(|b| b.strip_suffix('}'))
        .ok_or_else(|| format!("not an array: {text:?}"))?;
    let mut items = Vec::new();
    if inner.is_empty() {
        return Ok(items);
    }
    let mut chars = inner.chars().peekable();
    loop {
        let mut value = String::new();
        let mut quoted = false;
        if chars.peek() == Some(&'"') {
            quoted = true;
            chars.next();
            loop {
                match chars.next() {
                    Some('\\') => value.push(chars.next().ok_or("unterminated escape")?),
                    Some('"') => break,
                    Some(c) => value.push(c),
                    None => return Err("unterminated quoted element".to_owned()),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                if c == '\\' {
                    chars.next();
                    value.push(chars.next().ok_or("unterminated escape")?);
                    continue;
                }
                value.push(c);
                chars.next();
            }
        }
        if !quoted && value == "NULL" {
            items.push(None);
        } else {
            items.push(Some(value));
        }
        match chars.next() {
            None => break,
            Some(',') => continue,
            Some(c) => return Err(format!("unexpected {c:?} after an element")),
        }
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::parse_array;

    #[test]
    fn arrays_parse_with_quotes_escapes_and_nulls() {
        assert_eq!(parse_array("{}").unwrap(), Vec::<Option<String>>::new());
        assert_eq!(
            parse_array(r#"{a,"b c",NULL,"NULL","x\"y","p\\q"}"#).unwrap(),
            vec![
                Some("a".into()),
                Some("b c".into()),
                None,
                Some("NULL".into()),
                Some("x\"y".into()),
                Some("p\\q".into())
            ]
        );
        assert_eq!(
            parse_array("[0:1]={1,2}").unwrap(),
            vec![Some("1".into()), Some("2".into())]
        );
        assert!(parse_array("nope").is_err());
        assert!(parse_array("{\"open}").is_err());
    }

    #[test]
    fn acl_arrays_keep_their_items() {
        let items = parse_array(r#"{=Tc/postgres,"\"we ird\"=r*/bob"}"#).unwrap();
        assert_eq!(
            items,
            vec![
                Some("=Tc/postgres".into()),
                Some("\"we ird\"=r*/bob".into())
            ]
        );
    }
}
