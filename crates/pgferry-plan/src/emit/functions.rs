//! Functions, procedures, aggregates, operators, operator classes and operator families (pg_dump's `dumpFunc`,
//! `dumpAgg`, `dumpOpr`, `dumpOpclass`, `dumpOpfamily`).

mod operators;

use pgferry_archive::{desc, TocEntry};
use pgferry_catalog::functions::{Aggregate, Function};
use pgferry_catalog::{class, CatalogId, Oid};

use super::{acl_entry, comment_entry, new_entry, section_of, Emitter, Labels};
use crate::acl::AclObjectType;
use crate::guc::render_setting;
use crate::model::{Components, DumpObject, ObjKind, Source};
use crate::planner::Planner;
use crate::quote::{dollar_quote, literal};
use crate::PlanError;

pub(super) fn collect(planner: &mut Planner<'_>) -> Result<(), PlanError> {
    let catalog = planner.catalog;
    let fc = &catalog.functions;
    for (i, f) in fc.functions.iter().enumerate() {
        let dump = components(planner, f.namespace, f.catalog_id());
        let id = planner.add(
            ObjKind::Func,
            f.catalog_id(),
            f.name.clone(),
            f.namespace,
            dump,
            Source::Index(i),
        );
        set_tiebreak(planner, id, argument_tiebreak(&f.arg_sort_keys));
    }
    for (i, agg) in fc.aggregates.iter().enumerate() {
        let dump = components(planner, agg.namespace, agg.catalog_id());
        let id = planner.add(
            ObjKind::Agg,
            agg.catalog_id(),
            agg.name.clone(),
            agg.namespace,
            dump,
            Source::Index(i),
        );
        set_tiebreak(planner, id, argument_tiebreak(&agg.arg_sort_keys));
    }
    operators::collect(planner);
    Ok(())
}

pub(super) fn emit(
    planner: &Planner<'_>,
    object: &DumpObject,
    out: &mut Emitter,
) -> Result<(), PlanError> {
    let fc = &planner.catalog.functions;
    let Source::Index(i) = object.source else {
        return Ok(());
    };
    match object.kind {
        ObjKind::Func => match fc.functions.get(i) {
            Some(f) => function(planner, object, f, out),
            None => Ok(()),
        },
        ObjKind::Agg => match fc.aggregates.get(i) {
            Some(agg) => aggregate(planner, object, agg, out),
            None => Ok(()),
        },
        ObjKind::Operator => {
            if let Some(op) = fc.operators.get(i) {
                operators::operator(planner, object, op, out);
            }
            Ok(())
        }
        ObjKind::OpClass => {
            if let Some(opc) = fc.opclasses.get(i) {
                operators::opclass(planner, object, opc, out);
            }
            Ok(())
        }
        ObjKind::OpFamily => {
            if let Some(opf) = fc.opfamilies.get(i) {
                operators::opfamily(planner, object, opf, out);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Breaks a dependency loop this group knows how to break; `None` when it does not recognise the loop.
///
/// The one loop functions take part in, a function that needs a post-data object (an SQL-standard body that
/// relies on a primary key), is broken by the generic repair in sort.rs, which postpones the function.
pub(crate) fn repair_loop(
    _objects: &mut [DumpObject],
    _cycle: &[pgferry_archive::DumpId],
) -> Option<()> {
    None
}

/// What is dumped of a function, aggregate, operator, operator class or family in schema `namespace`
/// (pg_dump's `selectDumpableObject` with the schema's `dump_contains`).
fn components(planner: &Planner<'_>, namespace: Oid, id: CatalogId) -> Components {
    let catalog = planner.catalog;
    let options = planner.options;
    // Extension members: only their privileges, when the extension's contents are dumped.
    if let Some(components) = planner.extension_member_components(id) {
        return components;
    }
    if catalog.namespace_name(namespace) == "pg_catalog" {
        // Built-in objects: only privileges that differ from initdb's, unless -n or -t narrows the dump.
        let whole = !options.tables_selected
            && options.include_schemas.is_empty()
            && !options.exclude_schemas.contains(&namespace);
        return if whole {
            Components::ACL_ONLY
        } else {
            Components::NONE
        };
    }
    planner.schema_components(namespace, id)
}

fn set_tiebreak(planner: &mut Planner<'_>, id: pgferry_archive::DumpId, tiebreak: Vec<String>) {
    if let Some(object) = planner.object_mut(id) {
        object.tiebreak = tiebreak;
    }
}

/// pg_dump breaks name ties between functions (and between aggregates) by the number of arguments, then by
/// each argument type's schema and name.
fn argument_tiebreak(keys: &[(String, String)]) -> Vec<String> {
    let mut tiebreak = Vec::with_capacity(1 + 2 * keys.len());
    tiebreak.push(format!("{:05}", keys.len()));
    for (schema, name) in keys {
        tiebreak.push(schema.clone());
        tiebreak.push(name.clone());
    }
    tiebreak
}

/// `name(args)` with the name quoted (pg_dump's `format_function_arguments`).
fn name_with_args(planner: &Planner<'_>, name: &str, args: &str) -> String {
    format!("{}({args})", planner.quoter.ident(name))
}

/// The base ACL of a function or aggregate: its pg_init_privs entry, else `acldefault('f', owner)`.
fn base_acl<'a>(planner: &'a Planner<'_>, id: CatalogId, acl_default: &'a str) -> &'a str {
    planner.catalog.init_privs.get(id, 0).unwrap_or(acl_default)
}

fn function(
    planner: &Planner<'_>,
    object: &DumpObject,
    f: &Function,
    out: &mut Emitter,
) -> Result<(), PlanError> {
    let catalog = planner.catalog;
    let q = planner.quoter;
    let std = catalog.database.std_strings;
    let schema_name = catalog.namespace_name(f.namespace);
    let schema = q.ident(schema_name);
    let owner = catalog.role_name(f.owner).to_owned();
    let is_procedure = f.kind == b'p';
    let keyword = if is_procedure {
        "PROCEDURE"
    } else {
        "FUNCTION"
    };
    let signature = name_with_args(planner, &f.name, &f.identity_arguments);
    let qualified_signature = format!("{schema}.{signature}");

    if object.dump.definition {
        let mut sql = format!(
            "CREATE {keyword} {schema}.{}",
            name_with_args(planner, &f.name, &f.arguments)
        );
        if !is_procedure {
            sql.push_str(" RETURNS ");
            sql.push_str(f.result.as_deref().unwrap_or_default());
        }
        sql.push_str("\n    LANGUAGE ");
        sql.push_str(&q.ident(&f.language));
        if !f.transform_types.is_empty() {
            let types: Vec<String> = f
                .transform_types
                .iter()
                .map(|t| format!("FOR TYPE {t}"))
                .collect();
            sql.push_str(" TRANSFORM ");
            sql.push_str(&types.join(", "));
        }
        if f.kind == b'w' {
            sql.push_str(" WINDOW");
        }
        match f.volatility {
            b'i' => sql.push_str(" IMMUTABLE"),
            b's' => sql.push_str(" STABLE"),
            _ => {}
        }
        if f.strict {
            sql.push_str(" STRICT");
        }
        if f.security_definer {
            sql.push_str(" SECURITY DEFINER");
        }
        if f.leakproof {
            sql.push_str(" LEAKPROOF");
        }
        // COST and ROWS only when they are not the defaults CREATE FUNCTION would pick.
        if f.cost != "0" {
            let default_cost = if f.language == "internal" || f.language == "c" {
                "1"
            } else {
                "100"
            };
            if f.cost != default_cost {
                sql.push_str(" COST ");
                sql.push_str(&f.cost);
            }
        }
        if f.returns_set && f.rows != "0" && f.rows != "1000" {
            sql.push_str(" ROWS ");
            sql.push_str(&f.rows);
        }
        if let Some(support) = &f.support {
            sql.push_str(" SUPPORT ");
            sql.push_str(support);
        }
        match f.parallel {
            b's' => sql.push_str(" PARALLEL SAFE"),
            b'r' => sql.push_str(" PARALLEL RESTRICTED"),
            _ => {}
        }
        for item in &f.config {
            if !item.contains('=') {
                continue;
            }
            let (name, value) = render_setting(item, q, std);
            sql.push_str(&format!("\n    SET {name} TO {value}"));
        }
        sql.push_str("\n    ");
        sql.push_str(&body(f, std, planner.options.disable_dollar_quoting));
        sql.push_str(";\n");
        for extension in &f.depends_on_extensions {
            sql.push_str(&format!(
                "\nALTER {keyword} {qualified_signature} DEPENDS ON EXTENSION {};",
                q.ident(extension)
            ));
        }

        let tag = format!("{}({})", f.name, f.arg_types.join(", "));
        let mut entry: TocEntry = new_entry(
            object.id,
            if is_procedure {
                desc::PROCEDURE
            } else {
                desc::FUNCTION
            },
            tag,
            section_of(object),
        );
        entry.table_oid = class::PG_PROC;
        entry.oid = f.oid;
        entry.namespace = Some(schema_name.to_owned());
        entry.owner = Some(owner.clone());
        entry.defn = Some(sql);
        entry.drop_stmt = Some(format!("DROP {keyword} {qualified_signature};\n"));
        out.main_entry(entry);
    }

    let labels = Labels {
        kind: keyword,
        tag_name: signature.clone(),
        sql_name: qualified_signature,
        namespace: Some(schema_name.to_owned()),
        owner: Some(owner),
    };
    comment_entry(planner, out, object, f.catalog_id(), 0, &labels);
    acl_entry(
        planner,
        out,
        object,
        if is_procedure {
            AclObjectType::Procedure
        } else {
            AclObjectType::Function
        },
        &signature,
        None,
        f.acl.as_deref(),
        base_acl(planner, f.catalog_id(), &f.acl_default),
        &labels,
        &[],
    )?;
    Ok(())
}

/// The function's body: an SQL-standard body as the server prints it, `AS 'file', 'symbol'` for C functions,
/// else the source in dollar quotes (in a standard string literal with `--disable-dollar-quoting`).
fn body(f: &Function, std_strings: bool, no_dollar_quotes: bool) -> String {
    if let Some(sql_body) = &f.sql_body {
        return sql_body.clone();
    }
    match f.binary.as_deref().filter(|b| !b.is_empty()) {
        Some(binary) => {
            let mut text = format!("AS {}", literal(binary, std_strings));
            if !f.source.is_empty() {
                text.push_str(", ");
                // The link symbol is dollar-quoted only when a plain literal would need escaping.
                if !no_dollar_quotes && f.source.contains(['\'', '\\']) {
                    text.push_str(&dollar_quote(&f.source, ""));
                } else {
                    text.push_str(&literal(&f.source, std_strings));
                }
            }
            text
        }
        None if no_dollar_quotes => format!("AS {}", literal(&f.source, std_strings)),
        None => format!("AS {}", dollar_quote(&f.source, "")),
    }
}

/// `AGGMODIFY_*` letters as CREATE AGGREGATE spells them.
fn modify_keyword(modify: u8) -> Option<&'static str> {
    match modify {
        b'r' => Some("READ_ONLY"),
        b's' => Some("SHAREABLE"),
        b'w' => Some("READ_WRITE"),
        _ => None,
    }
}

fn aggregate(
    planner: &Planner<'_>,
    object: &DumpObject,
    agg: &Aggregate,
    out: &mut Emitter,
) -> Result<(), PlanError> {
    let catalog = planner.catalog;
    let q = planner.quoter;
    let std = catalog.database.std_strings;
    let schema_name = catalog.namespace_name(agg.namespace);
    let schema = q.ident(schema_name);
    let owner = catalog.role_name(agg.owner).to_owned();
    // pg_get_function_arguments does not write `*` for aggregates without arguments.
    let signature_with = |args: &str| {
        if agg.arg_types.is_empty() {
            format!("{}(*)", q.ident(&agg.name))
        } else {
            name_with_args(planner, &agg.name, args)
        }
    };
    let signature = signature_with(&agg.identity_arguments);
    let qualified_signature = format!("{schema}.{signature}");

    if object.dump.definition {
        let mut details = format!(
            "    SFUNC = {},\n    STYPE = {}",
            agg.transfn, agg.transtype
        );
        if agg.transspace != "0" {
            details.push_str(&format!(",\n    SSPACE = {}", agg.transspace));
        }
        if let Some(init) = &agg.initval {
            details.push_str(&format!(",\n    INITCOND = {}", literal(init, std)));
        }
        // What CREATE AGGREGATE assumes when FINALFUNC_MODIFY is not given.
        let default_modify = if agg.kind == b'n' { b'r' } else { b'w' };
        if agg.finalfn != "-" {
            details.push_str(&format!(",\n    FINALFUNC = {}", agg.finalfn));
            if agg.finalextra {
                details.push_str(",\n    FINALFUNC_EXTRA");
            }
            if agg.finalmodify != default_modify {
                if let Some(keyword) = modify_keyword(agg.finalmodify) {
                    details.push_str(&format!(",\n    FINALFUNC_MODIFY = {keyword}"));
                }
            }
        }
        if agg.combinefn != "-" {
            details.push_str(&format!(",\n    COMBINEFUNC = {}", agg.combinefn));
        }
        if agg.serialfn != "-" {
            details.push_str(&format!(",\n    SERIALFUNC = {}", agg.serialfn));
        }
        if agg.deserialfn != "-" {
            details.push_str(&format!(",\n    DESERIALFUNC = {}", agg.deserialfn));
        }
        if agg.mtransfn != "-" {
            details.push_str(&format!(
                ",\n    MSFUNC = {},\n    MINVFUNC = {},\n    MSTYPE = {}",
                agg.mtransfn, agg.minvtransfn, agg.mtranstype
            ));
        }
        if agg.mtransspace != "0" {
            details.push_str(&format!(",\n    MSSPACE = {}", agg.mtransspace));
        }
        if let Some(init) = &agg.minitval {
            details.push_str(&format!(",\n    MINITCOND = {}", literal(init, std)));
        }
        if agg.mfinalfn != "-" {
            details.push_str(&format!(",\n    MFINALFUNC = {}", agg.mfinalfn));
            if agg.mfinalextra {
                details.push_str(",\n    MFINALFUNC_EXTRA");
            }
            if agg.mfinalmodify != default_modify {
                if let Some(keyword) = modify_keyword(agg.mfinalmodify) {
                    details.push_str(&format!(",\n    MFINALFUNC_MODIFY = {keyword}"));
                }
            }
        }
        if let Some((op_schema, op_name)) = &agg.sortop {
            details.push_str(&format!(
                ",\n    SORTOP = OPERATOR({}.{op_name})",
                q.ident(op_schema)
            ));
        }
        if agg.kind == b'h' {
            details.push_str(",\n    HYPOTHETICAL");
        }
        match agg.parallel {
            b's' => details.push_str(",\n    PARALLEL = safe"),
            b'r' => details.push_str(",\n    PARALLEL = restricted"),
            _ => {}
        }

        let tag = if agg.arg_types.is_empty() {
            format!("{}(*)", agg.name)
        } else {
            format!("{}({})", agg.name, agg.arg_types.join(", "))
        };
        let mut entry = new_entry(object.id, desc::AGGREGATE, tag, section_of(object));
        entry.table_oid = class::PG_PROC;
        entry.oid = agg.oid;
        entry.namespace = Some(schema_name.to_owned());
        entry.owner = Some(owner.clone());
        entry.defn = Some(format!(
            "CREATE AGGREGATE {schema}.{} (\n{details}\n);\n",
            signature_with(&agg.arguments)
        ));
        entry.drop_stmt = Some(format!("DROP AGGREGATE {qualified_signature};\n"));
        out.main_entry(entry);
    }

    let labels = Labels {
        kind: "AGGREGATE",
        tag_name: signature,
        sql_name: qualified_signature,
        namespace: Some(schema_name.to_owned()),
        owner: Some(owner.clone()),
    };
    comment_entry(planner, out, object, agg.catalog_id(), 0, &labels);

    // There is no GRANT ... ON AGGREGATE: privileges are granted on the function, named by its input types.
    let acl_name = name_with_args(planner, &agg.name, &agg.arg_types.join(", "));
    let acl_labels = Labels {
        kind: "FUNCTION",
        tag_name: acl_name.clone(),
        sql_name: format!("{schema}.{acl_name}"),
        namespace: Some(schema_name.to_owned()),
        owner: Some(owner),
    };
    acl_entry(
        planner,
        out,
        object,
        AclObjectType::Function,
        &acl_name,
        None,
        agg.acl.as_deref(),
        base_acl(planner, agg.catalog_id(), &agg.acl_default),
        &acl_labels,
        &[],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c_function(source: &str) -> Function {
        Function {
            language: "c".into(),
            binary: Some("$libdir/x".into()),
            source: source.into(),
            ..Default::default()
        }
    }

    #[test]
    fn c_function_symbols_are_dollar_quoted_only_when_needed() {
        assert_eq!(
            body(&c_function("sym"), true, false),
            "AS '$libdir/x', 'sym'"
        );
        assert_eq!(
            body(&c_function("it's"), true, false),
            "AS '$libdir/x', $$it's$$"
        );
        assert_eq!(body(&c_function(""), true, false), "AS '$libdir/x'");
        // --disable-dollar-quoting: standard literals only.
        assert_eq!(
            body(&c_function("it's"), true, true),
            "AS '$libdir/x', 'it''s'"
        );
    }

    #[test]
    fn bodies_grow_their_dollar_delimiter() {
        let f = Function {
            source: "SELECT '$$'".into(),
            ..Default::default()
        };
        assert_eq!(body(&f, true, false), "AS $_$SELECT '$$'$_$");
        assert_eq!(body(&f, true, true), "AS 'SELECT ''$$'''");
        assert_eq!(body(&f, false, true), "AS 'SELECT ''$$'''");
        let f = Function {
            source: "x".into(),
            sql_body: Some("RETURN 1".into()),
            ..Default::default()
        };
        assert_eq!(body(&f, true, true), "RETURN 1");
    }

    #[test]
    fn argument_tiebreak_orders_by_count_then_types() {
        let one = argument_tiebreak(&[("pg_catalog".into(), "int4".into())]);
        let two = argument_tiebreak(&[
            ("pg_catalog".into(), "int4".into()),
            ("pg_catalog".into(), "int4".into()),
        ]);
        let none = argument_tiebreak(&[]);
        assert!(none < one && one < two);
        let text = argument_tiebreak(&[("pg_catalog".into(), "text".into())]);
        assert!(one < text);
    }
}
