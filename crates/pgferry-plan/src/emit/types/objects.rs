//! Collations, conversions, casts, transforms, procedural languages and access methods.

use pgferry_catalog::types::FunctionRef;
use pgferry_catalog::{class, CatalogId, LAST_SYSTEM_OID};

use super::super::{acl_entry, comment_entry, new_entry, section_of, Emitter, Labels};
use crate::acl::AclObjectType;
use crate::model::{Components, DumpObject, ObjKind, Source};
use crate::planner::Planner;
use crate::quote::Quoter;
use crate::{quote, PlanError};
use pgferry_archive::desc;

pub(super) fn collect(planner: &mut Planner<'_>) {
    let catalog = planner.catalog;
    let types = &catalog.types;
    let everything = planner.options.include_everything();
    let global = |planner: &Planner<'_>, id: CatalogId| {
        if planner.catalog.extension_of(id).is_some() || id.oid <= LAST_SYSTEM_OID || !everything {
            Components::NONE
        } else {
            Components::ALL
        }
    };

    for (i, collation) in types.collations.iter().enumerate() {
        let id = CatalogId::new(class::PG_COLLATION, collation.oid);
        let dump = planner.schema_components(collation.namespace, id);
        let object = planner.add(
            ObjKind::Collation,
            id,
            collation.name.clone(),
            collation.namespace,
            dump,
            Source::Index(i),
        );
        // Same-named collations differ by encoding (pg_dump's tie-breaker).
        planner.object_mut(object).expect("just added").tiebreak =
            vec![format!("{:012}", i64::from(collation.encoding) + (1 << 32))];
    }

    for (i, conversion) in types.conversions.iter().enumerate() {
        let id = CatalogId::new(class::PG_CONVERSION, conversion.oid);
        let dump = planner.schema_components(conversion.namespace, id);
        planner.add(
            ObjKind::Conversion,
            id,
            conversion.name.clone(),
            conversion.namespace,
            dump,
            Source::Index(i),
        );
    }

    for (i, cast) in types.casts.iter().enumerate() {
        let id = CatalogId::new(class::PG_CAST, cast.oid);
        let dump = global(planner, id);
        // Sorted by "source target" type names.
        planner.add(
            ObjKind::Cast,
            id,
            cast.sort_name.clone(),
            0,
            dump,
            Source::Index(i),
        );
    }

    for (i, transform) in types.transforms.iter().enumerate() {
        let id = CatalogId::new(class::PG_TRANSFORM, transform.oid);
        let dump = if planner.catalog.extension_of(id).is_some() || !everything {
            Components::NONE
        } else {
            Components::ALL
        };
        // Sorted by "type language".
        let name = if transform.type_sort_name.is_empty() || transform.language_name.is_empty() {
            String::new()
        } else {
            format!(
                "{} {}",
                transform.type_sort_name,
                planner.quoter.ident(&transform.language_name)
            )
        };
        planner.add(ObjKind::Transform, id, name, 0, dump, Source::Index(i));
    }

    for (i, language) in types.languages.iter().enumerate() {
        let id = CatalogId::new(class::PG_LANGUAGE, language.oid);
        let dump = if let Some(components) = planner.extension_member_components(id) {
            components
        } else if !everything {
            Components::NONE
        } else if language.oid <= LAST_SYSTEM_OID {
            Components::ACL_ONLY
        } else {
            Components::ALL
        };
        planner.add(
            ObjKind::ProcLang,
            id,
            language.name.clone(),
            0,
            dump,
            Source::Index(i),
        );
    }

    for (i, method) in types.access_methods.iter().enumerate() {
        let id = CatalogId::new(class::PG_AM, method.oid);
        let dump = global(planner, id);
        planner.add(
            ObjKind::AccessMethod,
            id,
            method.name.clone(),
            0,
            dump,
            Source::Index(i),
        );
    }
}

pub(super) fn emit(
    planner: &Planner<'_>,
    object: &DumpObject,
    index: usize,
    out: &mut Emitter,
) -> Result<(), PlanError> {
    match object.kind {
        ObjKind::Collation => collation(planner, object, index, out),
        ObjKind::Conversion => conversion(planner, object, index, out),
        ObjKind::Cast => cast(planner, object, index, out)?,
        ObjKind::Transform => transform(planner, object, index, out)?,
        ObjKind::ProcLang => language(planner, object, index, out)?,
        ObjKind::AccessMethod => access_method(planner, object, index, out),
        _ => {}
    }
    Ok(())
}

/// `schema.name(argtypes)`, as pg_dump refers to a cast's or transform's function.
fn function_signature(q: Quoter, function: &FunctionRef) -> String {
    format!(
        "{}.{}({})",
        q.ident(&function.schema),
        q.ident(&function.name),
        function.arguments
    )
}

fn missing_function(what: &str, oid: u32) -> PlanError {
    PlanError::Inconsistent(format!(
        "could not find function definition for function with OID {oid} ({what})"
    ))
}

fn collation(planner: &Planner<'_>, object: &DumpObject, index: usize, out: &mut Emitter) {
    let catalog = planner.catalog;
    let collation = &catalog.types.collations[index];
    let q = planner.quoter;
    let std = catalog.database.std_strings;
    let lit = |value: Option<&String>| quote::literal(value.map(String::as_str).unwrap_or(""), std);
    let schema = catalog.namespace_name(collation.namespace).to_owned();
    let owner = catalog.role_name(collation.owner).to_owned();
    let qualified = q.qualified(&schema, &collation.name);
    let name = q.ident(&collation.name);

    let provider = match collation.provider {
        b'b' => "builtin",
        b'c' => "libc",
        b'i' => "icu",
        b'd' => "default",
        other => {
            tracing::warn!(
                "unrecognized collation provider {:?} of collation {name}",
                other as char
            );
            return;
        }
    };
    let mut sql = format!("CREATE COLLATION {qualified} (provider = {provider}");
    if !collation.deterministic {
        sql.push_str(", deterministic = false");
    }
    match collation.provider {
        b'b' => sql.push_str(&format!(", locale = {}", lit(collation.locale.as_ref()))),
        b'i' => {
            // Before 15 the ICU locale was stored in collcollate.
            let locale = if collation.locale.is_some() {
                collation.locale.as_ref()
            } else {
                collation.collate.as_ref()
            };
            sql.push_str(&format!(", locale = {}", lit(locale)));
            if collation.icu_rules.is_some() {
                sql.push_str(&format!(", rules = {}", lit(collation.icu_rules.as_ref())));
            }
        }
        b'c' => match (&collation.collate, &collation.ctype) {
            (Some(collate), Some(ctype)) if collate == ctype => {
                sql.push_str(&format!(", locale = {}", lit(Some(collate))));
            }
            (collate, ctype) => sql.push_str(&format!(
                ", lc_collate = {}, lc_ctype = {}",
                lit(collate.as_ref()),
                lit(ctype.as_ref())
            )),
        },
        _ => {}
    }
    sql.push_str(");\n");

    if object.dump.definition {
        let mut entry = new_entry(
            object.id,
            desc::COLLATION,
            collation.name.clone(),
            section_of(object),
        );
        entry.table_oid = class::PG_COLLATION;
        entry.oid = collation.oid;
        entry.namespace = Some(schema.clone());
        entry.owner = Some(owner.clone());
        entry.defn = Some(sql);
        entry.drop_stmt = Some(format!("DROP COLLATION {qualified};\n"));
        out.main_entry(entry);
    }
    let labels = Labels {
        kind: "COLLATION",
        tag_name: name,
        sql_name: qualified,
        namespace: Some(schema),
        owner: Some(owner),
    };
    comment_entry(planner, out, object, object.catalog_id, 0, &labels);
}

fn conversion(planner: &Planner<'_>, object: &DumpObject, index: usize, out: &mut Emitter) {
    let catalog = planner.catalog;
    let conversion = &catalog.types.conversions[index];
    let q = planner.quoter;
    let std = catalog.database.std_strings;
    let schema = catalog.namespace_name(conversion.namespace).to_owned();
    let owner = catalog.role_name(conversion.owner).to_owned();
    let qualified = q.qualified(&schema, &conversion.name);
    if object.dump.definition {
        let mut entry = new_entry(
            object.id,
            desc::CONVERSION,
            conversion.name.clone(),
            section_of(object),
        );
        entry.table_oid = class::PG_CONVERSION;
        entry.oid = conversion.oid;
        entry.namespace = Some(schema.clone());
        entry.owner = Some(owner.clone());
        // regproc output is quoted and qualified by the server already.
        entry.defn = Some(format!(
            "CREATE {}CONVERSION {qualified} FOR {} TO {} FROM {};\n",
            if conversion.is_default {
                "DEFAULT "
            } else {
                ""
            },
            quote::literal(&conversion.for_encoding, std),
            quote::literal(&conversion.to_encoding, std),
            conversion.function
        ));
        entry.drop_stmt = Some(format!("DROP CONVERSION {qualified};\n"));
        out.main_entry(entry);
    }
    let labels = Labels {
        kind: "CONVERSION",
        tag_name: q.ident(&conversion.name),
        sql_name: qualified,
        namespace: Some(schema),
        owner: Some(owner),
    };
    comment_entry(planner, out, object, object.catalog_id, 0, &labels);
}

fn cast(
    planner: &Planner<'_>,
    object: &DumpObject,
    index: usize,
    out: &mut Emitter,
) -> Result<(), PlanError> {
    let cast = &planner.catalog.types.casts[index];
    let args = format!("({} AS {})", cast.source_name, cast.target_name);
    let mut sql = format!("CREATE CAST {args} ");
    match cast.method {
        b'b' => sql.push_str("WITHOUT FUNCTION"),
        b'i' => sql.push_str("WITH INOUT"),
        b'f' => {
            let function = cast
                .function
                .as_ref()
                .ok_or_else(|| missing_function("cast", cast.oid))?;
            sql.push_str(&format!(
                "WITH FUNCTION {}",
                function_signature(planner.quoter, function)
            ));
        }
        other => tracing::warn!(
            "bogus value {:?} in pg_cast.castmethod field",
            other as char
        ),
    }
    match cast.context {
        b'a' => sql.push_str(" AS ASSIGNMENT"),
        b'i' => sql.push_str(" AS IMPLICIT"),
        _ => {}
    }
    sql.push_str(";\n");

    if object.dump.definition {
        let mut entry = new_entry(
            object.id,
            desc::CAST,
            format!("CAST {args}"),
            section_of(object),
        );
        entry.table_oid = class::PG_CAST;
        entry.oid = cast.oid;
        entry.defn = Some(sql);
        entry.drop_stmt = Some(format!("DROP CAST {args};\n"));
        out.main_entry(entry);
    }
    let labels = Labels {
        kind: "CAST",
        tag_name: args.clone(),
        sql_name: args,
        namespace: None,
        owner: Some(String::new()),
    };
    comment_entry(planner, out, object, object.catalog_id, 0, &labels);
    Ok(())
}

fn transform(
    planner: &Planner<'_>,
    object: &DumpObject,
    index: usize,
    out: &mut Emitter,
) -> Result<(), PlanError> {
    let transform = &planner.catalog.types.transforms[index];
    let q = planner.quoter;
    let language = q.ident(&transform.language_name);
    let args = format!("FOR {} LANGUAGE {language}", transform.type_name);
    let mut parts = Vec::new();
    if let Some(from) = &transform.from_sql {
        parts.push(format!(
            "FROM SQL WITH FUNCTION {}",
            function_signature(q, from)
        ));
    }
    if let Some(to) = &transform.to_sql {
        parts.push(format!(
            "TO SQL WITH FUNCTION {}",
            function_signature(q, to)
        ));
    }
    if parts.is_empty() {
        tracing::warn!(
            "bogus transform definition, at least one of trffromsql and trftosql should be nonzero"
        );
    }
    if object.dump.definition {
        let mut entry = new_entry(
            object.id,
            desc::TRANSFORM,
            format!("TRANSFORM {args}"),
            section_of(object),
        );
        entry.table_oid = class::PG_TRANSFORM;
        entry.oid = transform.oid;
        entry.defn = Some(format!("CREATE TRANSFORM {args} ({});\n", parts.join(", ")));
        entry.drop_stmt = Some(format!("DROP TRANSFORM {args};\n"));
        out.main_entry(entry);
    }
    let labels = Labels {
        kind: "TRANSFORM",
        tag_name: args.clone(),
        sql_name: args,
        namespace: None,
        owner: Some(String::new()),
    };
    comment_entry(planner, out, object, object.catalog_id, 0, &labels);
    Ok(())
}

/// Whether a language's support function is dumped (pg_dump writes HANDLER etc. only then).
fn dumped_function(planner: &Planner<'_>, function: Option<&FunctionRef>) -> bool {
    function
        .and_then(|f| planner.lookup(CatalogId::new(class::PG_PROC, f.oid)))
        .and_then(|id| planner.object(id))
        .is_some_and(|o| o.kind == ObjKind::Func && o.dump.any())
}

fn language(
    planner: &Planner<'_>,
    object: &DumpObject,
    index: usize,
    out: &mut Emitter,
) -> Result<(), PlanError> {
    let catalog = planner.catalog;
    let language = &catalog.types.languages[index];
    let q = planner.quoter;
    let name = q.ident(&language.name);
    let owner = catalog.role_name(language.owner).to_owned();

    // With dumped support functions, a complete CREATE LANGUAGE; otherwise the parameterless form, which
    // servers take as CREATE EXTENSION.
    let handler = language
        .handler
        .as_ref()
        .filter(|f| dumped_function(planner, Some(f)));
    let inline_ok = language.inline.is_none() || dumped_function(planner, language.inline.as_ref());
    let validator_ok =
        language.validator.is_none() || dumped_function(planner, language.validator.as_ref());
    let mut sql = match handler {
        Some(handler) if inline_ok && validator_ok => {
            let mut sql = format!(
                "CREATE {}PROCEDURAL LANGUAGE {name} HANDLER {}",
                if language.trusted { "TRUSTED " } else { "" },
                q.qualified(&handler.schema, &handler.name)
            );
            if let Some(inline) = &language.inline {
                sql.push_str(&format!(
                    " INLINE {}",
                    q.qualified(&inline.schema, &inline.name)
                ));
            }
            if let Some(validator) = &language.validator {
                sql.push_str(&format!(
                    " VALIDATOR {}",
                    q.qualified(&validator.schema, &validator.name)
                ));
            }
            sql
        }
        _ => format!("CREATE OR REPLACE PROCEDURAL LANGUAGE {name}"),
    };
    sql.push_str(";\n");

    if object.dump.definition {
        let mut entry = new_entry(
            object.id,
            desc::PROCEDURAL_LANGUAGE,
            language.name.clone(),
            section_of(object),
        );
        entry.table_oid = class::PG_LANGUAGE;
        entry.oid = language.oid;
        entry.owner = Some(owner.clone());
        entry.defn = Some(sql);
        entry.drop_stmt = Some(format!("DROP PROCEDURAL LANGUAGE {name};\n"));
        out.main_entry(entry);
    }
    let labels = Labels {
        kind: "LANGUAGE",
        tag_name: name.clone(),
        sql_name: name.clone(),
        namespace: None,
        owner: Some(owner),
    };
    comment_entry(planner, out, object, object.catalog_id, 0, &labels);
    // Only trusted languages have privileges worth dumping.
    if language.trusted {
        let base_acl = catalog
            .init_privs
            .get(object.catalog_id, 0)
            .unwrap_or(&language.acl_default)
            .to_owned();
        acl_entry(
            planner,
            out,
            object,
            AclObjectType::Language,
            &name,
            None,
            language.acl.as_deref(),
            &base_acl,
            &labels,
            &[],
        )?;
    }
    Ok(())
}

fn access_method(planner: &Planner<'_>, object: &DumpObject, index: usize, out: &mut Emitter) {
    let method = &planner.catalog.types.access_methods[index];
    let name = planner.quoter.ident(&method.name);
    let kind = match method.amtype {
        b'i' => "INDEX",
        b't' => "TABLE",
        other => {
            tracing::warn!(
                "invalid type \"{}\" of access method \"{name}\"",
                other as char
            );
            return;
        }
    };
    if object.dump.definition {
        let mut entry = new_entry(
            object.id,
            desc::ACCESS_METHOD,
            method.name.clone(),
            section_of(object),
        );
        entry.table_oid = class::PG_AM;
        entry.oid = method.oid;
        // regproc output is quoted and qualified by the server already.
        entry.defn = Some(format!(
            "CREATE ACCESS METHOD {name} TYPE {kind} HANDLER {};\n",
            method.handler
        ));
        entry.drop_stmt = Some(format!("DROP ACCESS METHOD {name};\n"));
        out.main_entry(entry);
    }
    let labels = Labels {
        kind: "ACCESS METHOD",
        tag_name: name.clone(),
        sql_name: name,
        namespace: None,
        owner: Some(String::new()),
    };
    comment_entry(planner, out, object, object.catalog_id, 0, &labels);
}
