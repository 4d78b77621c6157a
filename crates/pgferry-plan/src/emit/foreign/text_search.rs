//! Text search parsers, templates, dictionaries and configurations (pg_dump's `dumpTSParser`, `dumpTSTemplate`,
//! `dumpTSDictionary`, `dumpTSConfig`).

use pgferry_archive::desc;
use pgferry_catalog::{class, CatalogId, Oid};

use crate::emit::{comment_entry, new_entry, section_of, Emitter, Labels};
use crate::model::{DumpObject, ObjKind, Source};
use crate::planner::Planner;

pub(super) fn collect(planner: &mut Planner<'_>) {
    let search = &planner.catalog.foreign_and_search;
    let mut found: Vec<(ObjKind, CatalogId, String, Oid, usize)> = Vec::new();
    for (i, p) in search.ts_parsers.iter().enumerate() {
        let id = CatalogId::new(class::PG_TS_PARSER, p.oid);
        found.push((ObjKind::TsParser, id, p.name.clone(), p.namespace, i));
    }
    for (i, t) in search.ts_templates.iter().enumerate() {
        let id = CatalogId::new(class::PG_TS_TEMPLATE, t.oid);
        found.push((ObjKind::TsTemplate, id, t.name.clone(), t.namespace, i));
    }
    for (i, d) in search.ts_dicts.iter().enumerate() {
        let id = CatalogId::new(class::PG_TS_DICT, d.oid);
        found.push((ObjKind::TsDict, id, d.name.clone(), d.namespace, i));
    }
    for (i, c) in search.ts_configs.iter().enumerate() {
        let id = CatalogId::new(class::PG_TS_CONFIG, c.oid);
        found.push((ObjKind::TsConfig, id, c.name.clone(), c.namespace, i));
    }
    for (kind, id, name, namespace, i) in found {
        // Text search objects have no privileges, so an extension member (or anything in pg_catalog) has
        // nothing to dump.
        let dump = planner.schema_components(namespace, id);
        planner.add(kind, id, name, namespace, dump, Source::Index(i));
    }
}

/// What the four kinds share in their entries.
struct Definition<'a> {
    /// The keyword in `DROP` and `COMMENT ON` (`TEXT SEARCH PARSER`, ...).
    keyword: &'static str,
    /// The entry's `desc`.
    desc: &'static str,
    /// The catalog holding the object.
    classid: Oid,
    /// The object's OID.
    oid: Oid,
    /// Its name.
    name: &'a str,
    /// Its schema's OID.
    namespace: Oid,
    /// Its owner; parsers and templates have none.
    owner: Option<String>,
    /// The CREATE statement (and, for a configuration, its mappings).
    create: String,
}

pub(super) fn emit(planner: &Planner<'_>, object: &DumpObject, out: &mut Emitter) {
    let Source::Index(i) = object.source else {
        return;
    };
    let catalog = planner.catalog;
    let search = &catalog.foreign_and_search;
    let q = planner.quoter;
    let def = match object.kind {
        ObjKind::TsParser => {
            let p = &search.ts_parsers[i];
            let qualified = q.qualified(catalog.namespace_name(p.namespace), &p.name);
            let mut sql = format!("CREATE TEXT SEARCH PARSER {qualified} (\n");
            sql.push_str(&format!("    START = {},\n", p.start));
            sql.push_str(&format!("    GETTOKEN = {},\n", p.gettoken));
            sql.push_str(&format!("    END = {},\n", p.end));
            if let Some(headline) = &p.headline {
                sql.push_str(&format!("    HEADLINE = {headline},\n"));
            }
            sql.push_str(&format!("    LEXTYPES = {} );\n", p.lextypes));
            Definition {
                keyword: "TEXT SEARCH PARSER",
                desc: desc::TEXT_SEARCH_PARSER,
                classid: class::PG_TS_PARSER,
                oid: p.oid,
                name: &p.name,
                namespace: p.namespace,
                owner: None,
                create: sql,
            }
        }
        ObjKind::TsTemplate => {
            let t = &search.ts_templates[i];
            let qualified = q.qualified(catalog.namespace_name(t.namespace), &t.name);
            let mut sql = format!("CREATE TEXT SEARCH TEMPLATE {qualified} (\n");
            if let Some(init) = &t.init {
                sql.push_str(&format!("    INIT = {init},\n"));
            }
            sql.push_str(&format!("    LEXIZE = {} );\n", t.lexize));
            Definition {
                keyword: "TEXT SEARCH TEMPLATE",
                desc: desc::TEXT_SEARCH_TEMPLATE,
                classid: class::PG_TS_TEMPLATE,
                oid: t.oid,
                name: &t.name,
                namespace: t.namespace,
                owner: None,
                create: sql,
            }
        }
        ObjKind::TsDict => {
            let d = &search.ts_dicts[i];
            let qualified = q.qualified(catalog.namespace_name(d.namespace), &d.name);
            let mut sql = format!("CREATE TEXT SEARCH DICTIONARY {qualified} (\n");
            // The template is always written with its schema, pg_catalog included.
            sql.push_str(&format!(
                "    TEMPLATE = {}.{}",
                q.ident(&d.template_schema),
                q.ident(&d.template_name)
            ));
            // dictinitoption is already in `name = value, ...` form.
            if let Some(option) = &d.init_option {
                sql.push_str(&format!(",\n    {option}"));
            }
            sql.push_str(" );\n");
            Definition {
                keyword: "TEXT SEARCH DICTIONARY",
                desc: desc::TEXT_SEARCH_DICTIONARY,
                classid: class::PG_TS_DICT,
                oid: d.oid,
                name: &d.name,
                namespace: d.namespace,
                owner: Some(catalog.role_name(d.owner).to_owned()),
                create: sql,
            }
        }
        ObjKind::TsConfig => {
            let c = &search.ts_configs[i];
            let qualified = q.qualified(catalog.namespace_name(c.namespace), &c.name);
            let mut sql = format!("CREATE TEXT SEARCH CONFIGURATION {qualified} (\n");
            sql.push_str(&format!(
                "    PARSER = {}.{} );\n",
                q.ident(&c.parser_schema),
                q.ident(&c.parser_name)
            ));
            sql.push_str(&config_mappings(&qualified, &c.mappings, |t| q.ident(t)));
            Definition {
                keyword: "TEXT SEARCH CONFIGURATION",
                desc: desc::TEXT_SEARCH_CONFIGURATION,
                classid: class::PG_TS_CONFIG,
                oid: c.oid,
                name: &c.name,
                namespace: c.namespace,
                owner: Some(catalog.role_name(c.owner).to_owned()),
                create: sql,
            }
        }
        _ => return,
    };
    let schema = catalog.namespace_name(def.namespace).to_owned();
    let qualified = q.qualified(&schema, def.name);
    if object.dump.definition {
        let mut entry = new_entry(object.id, def.desc, def.name, section_of(object));
        entry.table_oid = def.classid;
        entry.oid = def.oid;
        entry.namespace = Some(schema.clone());
        entry.owner = def.owner.clone();
        entry.defn = Some(def.create);
        entry.drop_stmt = Some(format!("DROP {} {qualified};\n", def.keyword));
        out.main_entry(entry);
    }
    // Parsers and templates have no owner; pg_dump labels their comments with an empty one.
    let labels = Labels {
        kind: def.keyword,
        tag_name: q.ident(def.name),
        sql_name: qualified,
        namespace: Some(schema),
        owner: Some(def.owner.unwrap_or_default()),
    };
    comment_entry(
        planner,
        out,
        object,
        CatalogId::new(def.classid, def.oid),
        0,
        &labels,
    );
}

/// The `ALTER TEXT SEARCH CONFIGURATION ... ADD MAPPING` commands: one per token type, listing its dictionaries
/// in order. Token names are quoted with `quote`; dictionaries are already quoted (`::regdictionary`).
fn config_mappings(
    qualified: &str,
    mappings: &[(String, String)],
    quote: impl Fn(&str) -> String,
) -> String {
    let mut sql = String::new();
    let mut previous: Option<&str> = None;
    for (token, dictionary) in mappings {
        if previous == Some(token.as_str()) {
            sql.push_str(&format!(", {dictionary}"));
            continue;
        }
        if previous.is_some() {
            sql.push_str(";\n");
        }
        sql.push_str(&format!(
            "\nALTER TEXT SEARCH CONFIGURATION {qualified}\n    ADD MAPPING FOR {} WITH {dictionary}",
            quote(token)
        ));
        previous = Some(token);
    }
    if previous.is_some() {
        sql.push_str(";\n");
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::config_mappings;

    #[test]
    fn mappings_group_dictionaries_by_token() {
        let mappings = vec![
            ("asciiword".to_owned(), "fs.dict".to_owned()),
            ("asciiword".to_owned(), "simple".to_owned()),
            ("int".to_owned(), "\"Fs Odd\".\"Odd Dict\"".to_owned()),
        ];
        assert_eq!(
            config_mappings("fs.cfg", &mappings, |t| t.to_owned()),
            "\nALTER TEXT SEARCH CONFIGURATION fs.cfg\n    ADD MAPPING FOR asciiword WITH fs.dict, simple;\n\
             \nALTER TEXT SEARCH CONFIGURATION fs.cfg\n    ADD MAPPING FOR int WITH \"Fs Odd\".\"Odd Dict\";\n"
        );
        assert_eq!(config_mappings("fs.cfg", &[], |t| t.to_owned()), "");
    }
}
