//! TYPE, DOMAIN, SHELL TYPE and domain CHECK CONSTRAINT entries (pg_dump's `dumpType` family).

use pgferry_archive::{desc, Section};
use pgferry_catalog::types::{BaseTypeDef, DomainDef, RangeDef, TypeDef};
use pgferry_catalog::{class, CatalogId};

use super::super::{
    acl_entry, comment_entry, comment_text_entry, new_entry, section_of, Emitter, Labels,
};
use crate::acl::AclObjectType;
use crate::model::{DumpObject, ObjKind, Source};
use crate::planner::Planner;
use crate::{quote, PlanError};

/// Writes a type's entries: its definition, comment, privileges, and the comments of its columns (composite
/// types) or constraints (domains).
pub(super) fn emit_type(
    planner: &Planner<'_>,
    object: &DumpObject,
    index: usize,
    out: &mut Emitter,
) -> Result<(), PlanError> {
    let catalog = planner.catalog;
    let ty = &catalog.types.types[index];
    let q = planner.quoter;
    let schema = catalog.namespace_name(ty.namespace).to_owned();
    let owner = catalog.role_name(ty.owner).to_owned();
    let name = q.ident(&ty.name);
    let qualified = q.qualified(&schema, &ty.name);

    let (kind, defn, drop) = match (ty.typtype, &ty.base, &ty.domain, &ty.range) {
        (b'b', Some(base), _, _) => (
            desc::TYPE,
            base_type(planner, ty, base, &qualified),
            format!("DROP TYPE {qualified} CASCADE;\n"),
        ),
        (b'd', _, Some(domain), _) => (
            desc::DOMAIN,
            domain_type(planner, object, ty, domain, &qualified),
            format!("DROP DOMAIN {qualified};\n"),
        ),
        (b'r', _, _, Some(range)) => (
            desc::TYPE,
            range_type(planner, range, &qualified),
            format!("DROP TYPE {qualified};\n"),
        ),
        (b'e', ..) => (
            desc::TYPE,
            enum_type(planner, ty, &qualified),
            format!("DROP TYPE {qualified};\n"),
        ),
        (b'c', ..) => (
            desc::TYPE,
            composite_type(planner, ty, &qualified),
            format!("DROP TYPE {qualified};\n"),
        ),
        (b'p', ..) if !ty.is_defined => (
            desc::TYPE,
            format!("CREATE TYPE {qualified};\n"),
            format!("DROP TYPE {qualified};\n"),
        ),
        _ => {
            tracing::warn!("typtype of data type \"{}\" appears to be invalid", ty.name);
            return Ok(());
        }
    };

    if object.dump.definition {
        let mut entry = new_entry(object.id, kind, ty.name.clone(), section_of(object));
        entry.table_oid = class::PG_TYPE;
        entry.oid = ty.oid;
        entry.namespace = Some(schema.clone());
        entry.owner = Some(owner.clone());
        entry.defn = Some(defn);
        entry.drop_stmt = Some(drop);
        out.main_entry(entry);
    }

    let type_id = CatalogId::new(class::PG_TYPE, ty.oid);
    let labels = Labels {
        kind: if ty.typtype == b'd' { "DOMAIN" } else { "TYPE" },
        tag_name: name.clone(),
        sql_name: qualified.clone(),
        namespace: Some(schema.clone()),
        owner: Some(owner.clone()),
    };
    comment_entry(planner, out, object, type_id, 0, &labels);
    let base_acl = catalog
        .init_privs
        .get(type_id, 0)
        .unwrap_or(&ty.acl_default)
        .to_owned();
    acl_entry(
        planner,
        out,
        object,
        AclObjectType::Type,
        &name,
        None,
        ty.acl.as_deref(),
        &base_acl,
        &Labels {
            kind: "TYPE",
            ..labels
        },
        &[],
    )?;

    // Comments on a composite type's columns are stored against its pg_class row.
    if ty.typtype == b'c' && object.dump.comment && !planner.options.no_comments {
        let relation = CatalogId::new(class::PG_CLASS, ty.relid);
        for comment in catalog
            .comments
            .iter()
            .filter(|c| c.object == relation && c.subid != 0)
        {
            let Some(attribute) = ty
                .attributes
                .iter()
                .find(|a| a.attnum == comment.subid && !a.is_dropped)
            else {
                continue;
            };
            let column = q.ident(&attribute.name);
            let labels = Labels {
                kind: "COLUMN",
                tag_name: format!("{name}.{column}"),
                sql_name: format!("{qualified}.{column}"),
                namespace: Some(schema.clone()),
                owner: Some(owner.clone()),
            };
            comment_text_entry(planner, out, object.id, &comment.description, &labels);
        }
    }

    // Comments on the constraints written inside CREATE DOMAIN (separate ones come with their own entry).
    if let Some(domain) = &ty.domain {
        for (ci, constraint) in domain.constraints.iter().enumerate() {
            let Some(con) = constraint_object(planner, index, ci) else {
                continue;
            };
            if con.separate {
                continue;
            }
            let kind = format!("CONSTRAINT {} ON DOMAIN", q.ident(&constraint.name));
            let labels = Labels {
                kind: &kind,
                tag_name: name.clone(),
                sql_name: qualified.clone(),
                namespace: Some(schema.clone()),
                owner: Some(owner.clone()),
            };
            // The comment belongs to the domain's entry.
            let parent = DumpObject {
                id: object.id,
                ..con.clone()
            };
            comment_entry(
                planner,
                out,
                &parent,
                CatalogId::new(class::PG_CONSTRAINT, constraint.oid),
                0,
                &labels,
            );
        }
    }
    Ok(())
}

/// The object of a domain's constraint.
fn constraint_object<'p>(
    planner: &'p Planner<'_>,
    type_index: usize,
    constraint_index: usize,
) -> Option<&'p DumpObject> {
    planner.objects.iter().find(|o| {
        o.kind == ObjKind::Constraint
            && o.source == Source::DomainConstraint(type_index, constraint_index)
    })
}

fn base_type(planner: &Planner<'_>, ty: &TypeDef, base: &BaseTypeDef, qualified: &str) -> String {
    let std = planner.catalog.database.std_strings;
    let length = if base.len == -1 {
        "variable".to_owned()
    } else {
        base.len.to_string()
    };
    let mut sql = format!("CREATE TYPE {qualified} (\n    INTERNALLENGTH = {length}");
    // regproc output is quoted and qualified by the server already.
    sql.push_str(&format!(",\n    INPUT = {}", base.input));
    sql.push_str(&format!(",\n    OUTPUT = {}", base.output));
    let optional = [
        ("RECEIVE", &base.receive),
        ("SEND", &base.send),
        ("TYPMOD_IN", &base.typmod_in),
        ("TYPMOD_OUT", &base.typmod_out),
        ("ANALYZE", &base.analyze),
    ];
    for (option, value) in optional {
        if let Some(value) = value {
            sql.push_str(&format!(",\n    {option} = {value}"));
        }
    }
    if base.collatable {
        sql.push_str(",\n    COLLATABLE = true");
    }
    if let Some(default) = &base.default_expr {
        sql.push_str(&format!(",\n    DEFAULT = {default}"));
    } else if let Some(default) = &base.default_literal {
        sql.push_str(&format!(
            ",\n    DEFAULT = {}",
            quote::literal(default, std)
        ));
    }
    if let Some(subscript) = &base.subscript {
        sql.push_str(&format!(",\n    SUBSCRIPT = {subscript}"));
    }
    if ty.element != 0 {
        if let Some(element) = &base.element {
            sql.push_str(&format!(",\n    ELEMENT = {element}"));
        }
    }
    if base.category != "U" {
        sql.push_str(&format!(
            ",\n    CATEGORY = {}",
            quote::literal(&base.category, std)
        ));
    }
    if base.preferred {
        sql.push_str(",\n    PREFERRED = true");
    }
    if !base.delimiter.is_empty() && base.delimiter != "," {
        sql.push_str(&format!(
            ",\n    DELIMITER = {}",
            quote::literal(&base.delimiter, std)
        ));
    }
    match base.align {
        b'c' => sql.push_str(",\n    ALIGNMENT = char"),
        b's' => sql.push_str(",\n    ALIGNMENT = int2"),
        b'i' => sql.push_str(",\n    ALIGNMENT = int4"),
        b'd' => sql.push_str(",\n    ALIGNMENT = double"),
        _ => {}
    }
    match base.storage {
        b'p' => sql.push_str(",\n    STORAGE = plain"),
        b'e' => sql.push_str(",\n    STORAGE = external"),
        b'x' => sql.push_str(",\n    STORAGE = extended"),
        b'm' => sql.push_str(",\n    STORAGE = main"),
        _ => {}
    }
    if base.by_value {
        sql.push_str(",\n    PASSEDBYVALUE");
    }
    sql.push_str("\n);\n");
    sql
}

fn domain_type(
    planner: &Planner<'_>,
    object: &DumpObject,
    ty: &TypeDef,
    domain: &DomainDef,
    qualified: &str,
) -> String {
    let q = planner.quoter;
    let std = planner.catalog.database.std_strings;
    let mut sql = format!("CREATE DOMAIN {qualified} AS {}", domain.base_type);
    if let Some((schema, name)) = &domain.collation {
        sql.push_str(&format!(" COLLATE {}", q.qualified(schema, name)));
    }
    // 17+ names the NOT NULL constraint; the name is written only when it is not the default one.
    match domain.constraints.iter().find(|c| c.contype == b'n') {
        Some(not_null) => {
            if not_null.name != format!("{}_not_null", ty.name) {
                sql.push_str(&format!(" CONSTRAINT {}", q.ident(&not_null.name)));
            }
            sql.push_str(" NOT NULL");
        }
        None if domain.not_null => sql.push_str(" NOT NULL"),
        None => {}
    }
    if let Some(default) = &domain.default_expr {
        sql.push_str(&format!(" DEFAULT {default}"));
    } else if let Some(default) = &domain.default_literal {
        sql.push_str(&format!(" DEFAULT {}", quote::literal(default, std)));
    }
    let index = match object.source {
        Source::Index(i) => i,
        _ => usize::MAX,
    };
    for (ci, constraint) in domain.constraints.iter().enumerate() {
        if constraint.contype != b'c' {
            continue;
        }
        let separate = constraint_object(planner, index, ci)
            .map(|o| o.separate)
            .unwrap_or(!constraint.validated);
        if !separate {
            sql.push_str(&format!(
                "\n\tCONSTRAINT {} {}",
                q.ident(&constraint.name),
                constraint.definition
            ));
        }
    }
    sql.push_str(";\n");
    sql
}

fn range_type(planner: &Planner<'_>, range: &RangeDef, qualified: &str) -> String {
    let q = planner.quoter;
    let mut sql = format!(
        "CREATE TYPE {qualified} AS RANGE (\n    subtype = {}",
        range.subtype
    );
    if let Some(multirange) = &range.multirange {
        sql.push_str(&format!(",\n    multirange_type_name = {multirange}"));
    }
    if let Some((schema, name)) = &range.opclass {
        sql.push_str(&format!(
            ",\n    subtype_opclass = {}",
            q.qualified(schema, name)
        ));
    }
    if let Some((schema, name)) = &range.collation {
        sql.push_str(&format!(",\n    collation = {}", q.qualified(schema, name)));
    }
    if let Some(canonical) = &range.canonical {
        sql.push_str(&format!(",\n    canonical = {canonical}"));
    }
    if let Some(diff) = &range.subtype_diff {
        sql.push_str(&format!(",\n    subtype_diff = {diff}"));
    }
    sql.push_str("\n);\n");
    sql
}

fn enum_type(planner: &Planner<'_>, ty: &TypeDef, qualified: &str) -> String {
    let std = planner.catalog.database.std_strings;
    let mut sql = format!("CREATE TYPE {qualified} AS ENUM (");
    for (i, label) in ty.enum_labels.iter().enumerate() {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str("\n    ");
        sql.push_str(&quote::literal(label, std));
    }
    sql.push_str("\n);\n");
    sql
}

fn composite_type(planner: &Planner<'_>, ty: &TypeDef, qualified: &str) -> String {
    let q = planner.quoter;
    let mut sql = format!("CREATE TYPE {qualified} AS (");
    for (i, attribute) in ty.attributes.iter().filter(|a| !a.is_dropped).enumerate() {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(&format!(
            "\n\t{} {}",
            q.ident(&attribute.name),
            attribute.type_name
        ));
        if let Some((schema, name)) = &attribute.collation {
            sql.push_str(&format!(" COLLATE {}", q.qualified(schema, name)));
        }
    }
    sql.push_str("\n);\n");
    sql
}

/// The `CREATE TYPE s.t;` placeholder written before a type's I/O functions, when loop repair asked for it.
pub(super) fn emit_shell_type(
    planner: &Planner<'_>,
    object: &DumpObject,
    index: usize,
    out: &mut Emitter,
) {
    if !object.dump.definition {
        return;
    }
    let catalog = planner.catalog;
    let ty = &catalog.types.types[index];
    let schema = catalog.namespace_name(ty.namespace).to_owned();
    let mut entry = new_entry(
        object.id,
        desc::SHELL_TYPE,
        ty.name.clone(),
        Section::PreData,
    );
    entry.namespace = Some(schema.clone());
    // The base type's owner; no DROP, so that no ALTER OWNER follows before the type is filled in.
    entry.owner = Some(catalog.role_name(ty.owner).to_owned());
    entry.defn = Some(format!(
        "CREATE TYPE {};\n",
        planner.quoter.qualified(&schema, &ty.name)
    ));
    out.main_entry(entry);
}

/// A domain CHECK constraint written on its own, after the data: NOT VALID ones, and ones that loop repair
/// moved out of CREATE DOMAIN.
pub(super) fn emit_domain_constraint(
    planner: &Planner<'_>,
    object: &DumpObject,
    type_index: usize,
    constraint_index: usize,
    out: &mut Emitter,
) {
    if !object.separate {
        return;
    }
    let catalog = planner.catalog;
    let ty = &catalog.types.types[type_index];
    let Some(constraint) = ty
        .domain
        .as_ref()
        .and_then(|d| d.constraints.get(constraint_index))
    else {
        return;
    };
    let q = planner.quoter;
    let schema = catalog.namespace_name(ty.namespace).to_owned();
    let owner = catalog.role_name(ty.owner).to_owned();
    let qualified = q.qualified(&schema, &ty.name);
    let con_name = q.ident(&constraint.name);
    if object.dump.definition {
        let mut entry = new_entry(
            object.id,
            desc::CHECK_CONSTRAINT,
            format!("{} {}", ty.name, constraint.name),
            section_of(object),
        );
        entry.table_oid = class::PG_CONSTRAINT;
        entry.oid = constraint.oid;
        entry.namespace = Some(schema.clone());
        entry.owner = Some(owner.clone());
        entry.defn = Some(format!(
            "ALTER DOMAIN {qualified}\n    ADD CONSTRAINT {con_name} {};\n",
            constraint.definition
        ));
        entry.drop_stmt = Some(format!(
            "ALTER DOMAIN {qualified} DROP CONSTRAINT {con_name};\n"
        ));
        out.main_entry(entry);
    }
    let kind = format!("CONSTRAINT {con_name} ON DOMAIN");
    let labels = Labels {
        kind: &kind,
        tag_name: q.ident(&ty.name),
        sql_name: qualified,
        namespace: Some(schema),
        owner: Some(owner),
    };
    comment_entry(
        planner,
        out,
        object,
        CatalogId::new(class::PG_CONSTRAINT, constraint.oid),
        0,
        &labels,
    );
}
