//! Operators, operator classes and operator families.

use pgferry_archive::desc;
use pgferry_catalog::functions::{OpClass, OpFamily, OpMember, Operator};
use pgferry_catalog::{class, CatalogId};

use super::{components, set_tiebreak};
use crate::emit::{comment_entry, new_entry, section_of, Emitter, Labels};
use crate::model::{Components, DumpObject, ObjKind, Source};
use crate::planner::Planner;

pub(super) fn collect(planner: &mut Planner<'_>) {
    let catalog = planner.catalog;
    let fc = &catalog.functions;
    for (i, op) in fc.operators.iter().enumerate() {
        // Shell operators (left behind by forward COMMUTATOR/NEGATOR references) are never dumped; the
        // definitions that name them create them again.
        let dump = if op.code_oid == 0 {
            Components::NONE
        } else {
            components(planner, op.namespace, op.catalog_id())
        };
        let id = planner.add(
            ObjKind::Operator,
            op.catalog_id(),
            op.name.clone(),
            op.namespace,
            dump,
            Source::Index(i),
        );
        // Prefix before infix (pg_dump compares oprkind descending), then the left and right types.
        let tiebreak = vec![
            format!("{:03}", 255 - op.kind),
            op.left_sort_key.0.clone(),
            op.left_sort_key.1.clone(),
            op.right_sort_key.0.clone(),
            op.right_sort_key.1.clone(),
        ];
        set_tiebreak(planner, id, tiebreak);
    }
    for (i, opf) in fc.opfamilies.iter().enumerate() {
        let dump = components(planner, opf.namespace, opf.catalog_id());
        let id = planner.add(
            ObjKind::OpFamily,
            opf.catalog_id(),
            opf.name.clone(),
            opf.namespace,
            dump,
            Source::Index(i),
        );
        set_tiebreak(planner, id, vec![opf.access_method.clone()]);
    }
    for (i, opc) in fc.opclasses.iter().enumerate() {
        let dump = components(planner, opc.namespace, opc.catalog_id());
        let id = planner.add(
            ObjKind::OpClass,
            opc.catalog_id(),
            opc.name.clone(),
            opc.namespace,
            dump,
            Source::Index(i),
        );
        set_tiebreak(planner, id, vec![opc.access_method.clone()]);
    }
    // What family members need (their operators and functions) the family needs.
    for depend in &fc.member_depends {
        let (Some(family), Some(referenced)) = (
            planner.lookup(depend.object),
            planner.lookup(depend.referenced),
        ) else {
            continue;
        };
        if family != referenced {
            planner.add_dep(family, referenced);
        }
    }
}

/// A `regproc`/`regprocedure` reference without its argument list (pg_dump's `convertRegProcReference`);
/// `None` for `-`.
fn function_name(text: &str) -> Option<&str> {
    if text == "-" || text.is_empty() {
        return None;
    }
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        match c {
            '(' if !quoted => return Some(&text[..i]),
            '"' => quoted = !quoted,
            _ => {}
        }
    }
    Some(text)
}

pub(super) fn operator(
    planner: &Planner<'_>,
    object: &DumpObject,
    op: &Operator,
    out: &mut crate::emit::Emitter,
) {
    if op.code_oid == 0 {
        return;
    }
    let catalog = planner.catalog;
    let q = planner.quoter;
    let schema_name = catalog.namespace_name(op.namespace);
    let schema = q.ident(schema_name);
    let owner = catalog.role_name(op.owner).to_owned();

    let mut details = String::new();
    if let Some(code) = function_name(&op.code) {
        details.push_str(&format!("    FUNCTION = {code}"));
    }
    let mut oprid = format!("{} (", op.name);
    if op.kind == b'r' || op.kind == b'b' {
        details.push_str(&format!(",\n    LEFTARG = {}", op.left));
        oprid.push_str(&op.left);
    } else {
        oprid.push_str("NONE");
    }
    if op.kind == b'l' || op.kind == b'b' {
        details.push_str(&format!(",\n    RIGHTARG = {}", op.right));
        oprid.push_str(&format!(", {})", op.right));
    } else {
        oprid.push_str(", NONE)");
    }
    if let Some((nsp, name)) = &op.commutator {
        details.push_str(&format!(
            ",\n    COMMUTATOR = OPERATOR({}.{name})",
            q.ident(nsp)
        ));
    }
    if let Some((nsp, name)) = &op.negator {
        details.push_str(&format!(
            ",\n    NEGATOR = OPERATOR({}.{name})",
            q.ident(nsp)
        ));
    }
    if op.merges {
        details.push_str(",\n    MERGES");
    }
    if op.hashes {
        details.push_str(",\n    HASHES");
    }
    if let Some(restrict) = function_name(&op.restrict) {
        details.push_str(&format!(",\n    RESTRICT = {restrict}"));
    }
    if let Some(join) = function_name(&op.join) {
        details.push_str(&format!(",\n    JOIN = {join}"));
    }

    if object.dump.definition {
        let mut entry = new_entry(
            object.id,
            desc::OPERATOR,
            op.name.clone(),
            section_of(object),
        );
        entry.table_oid = class::PG_OPERATOR;
        entry.oid = op.oid;
        entry.namespace = Some(schema_name.to_owned());
        entry.owner = Some(owner.clone());
        entry.defn = Some(format!(
            "CREATE OPERATOR {schema}.{} (\n{details}\n);\n",
            op.name
        ));
        entry.drop_stmt = Some(format!("DROP OPERATOR {schema}.{oprid};\n"));
        out.main_entry(entry);
    }
    let labels = Labels {
        kind: "OPERATOR",
        tag_name: oprid.clone(),
        sql_name: format!("{schema}.{oprid}"),
        namespace: Some(schema_name.to_owned()),
        owner: Some(owner),
    };
    comment_entry(planner, out, object, op.catalog_id(), 0, &labels);
}

/// The members pg_depend ties to `owner`: operators first (by strategy), then functions (by number).
fn members<'a>(planner: &'a Planner<'_>, owner: CatalogId) -> Vec<&'a OpMember> {
    let all = &planner.catalog.functions.members;
    let mut members: Vec<&OpMember> = all
        .iter()
        .filter(|m| m.owner == owner && m.is_operator)
        .collect();
    members.extend(all.iter().filter(|m| m.owner == owner && !m.is_operator));
    members
}

/// `OPERATOR n op [FOR ORDER BY s.fam]`, or `FUNCTION n (lt, rt) fn` (`always_types`: a family's ADD always
/// names the types; a class names them when it has them, and `regtype` prints `-` for none).
fn member_text(planner: &Planner<'_>, member: &OpMember, always_types: bool) -> String {
    let q = planner.quoter;
    if member.is_operator {
        let mut text = format!("OPERATOR {} {}", member.number, member.member);
        if let Some((nsp, name)) = &member.sort_family {
            text.push_str(&format!(" FOR ORDER BY {}.{}", q.ident(nsp), q.ident(name)));
        }
        text
    } else {
        let (left, right) = &member.types;
        if always_types || (!left.is_empty() && !right.is_empty()) {
            format!(
                "FUNCTION {} ({left}, {right}) {}",
                member.number, member.member
            )
        } else {
            format!("FUNCTION {} {}", member.number, member.member)
        }
    }
}

pub(super) fn opclass(
    planner: &Planner<'_>,
    object: &DumpObject,
    opc: &OpClass,
    out: &mut Emitter,
) {
    let catalog = planner.catalog;
    let q = planner.quoter;
    let schema_name = catalog.namespace_name(opc.namespace);
    let qualified = q.qualified(schema_name, &opc.name);
    let owner = catalog.role_name(opc.owner).to_owned();
    let am = q.ident(&opc.access_method);

    if object.dump.definition {
        let mut sql = format!("CREATE OPERATOR CLASS {qualified}\n    ");
        if opc.is_default {
            sql.push_str("DEFAULT ");
        }
        sql.push_str(&format!("FOR TYPE {} USING {am}", opc.input_type));
        let (family_schema, family_name) = &opc.family_name;
        if !family_name.is_empty() {
            sql.push_str(&format!(
                " FAMILY {}.{}",
                q.ident(family_schema),
                q.ident(family_name)
            ));
        }
        sql.push_str(" AS\n    ");
        let mut items = Vec::new();
        if opc.key_type != "-" && !opc.key_type.is_empty() {
            items.push(format!("STORAGE {}", opc.key_type));
        }
        for member in members(planner, opc.catalog_id()) {
            items.push(member_text(planner, member, false));
        }
        // Nothing after AS would not parse; a STORAGE clause naming the input type changes nothing.
        if items.is_empty() {
            items.push(format!("STORAGE {}", opc.input_type));
        }
        sql.push_str(&items.join(" ,\n    "));
        sql.push_str(";\n");

        let mut entry = new_entry(
            object.id,
            desc::OPERATOR_CLASS,
            opc.name.clone(),
            section_of(object),
        );
        entry.table_oid = class::PG_OPCLASS;
        entry.oid = opc.oid;
        entry.namespace = Some(schema_name.to_owned());
        entry.owner = Some(owner.clone());
        entry.defn = Some(sql);
        entry.drop_stmt = Some(format!("DROP OPERATOR CLASS {qualified} USING {am};\n"));
        out.main_entry(entry);
    }
    let name_using = format!("{} USING {am}", q.ident(&opc.name));
    let labels = Labels {
        kind: "OPERATOR CLASS",
        tag_name: name_using,
        sql_name: format!("{qualified} USING {am}"),
        namespace: Some(schema_name.to_owned()),
        owner: Some(owner),
    };
    comment_entry(planner, out, object, opc.catalog_id(), 0, &labels);
}

pub(super) fn opfamily(
    planner: &Planner<'_>,
    object: &DumpObject,
    opf: &OpFamily,
    out: &mut Emitter,
) {
    let catalog = planner.catalog;
    let q = planner.quoter;
    let schema_name = catalog.namespace_name(opf.namespace);
    let qualified = q.qualified(schema_name, &opf.name);
    let owner = catalog.role_name(opf.owner).to_owned();
    let am = q.ident(&opf.access_method);

    if object.dump.definition {
        let mut sql = format!("CREATE OPERATOR FAMILY {qualified} USING {am};\n");
        // Members tied to the family itself rather than to one of its classes ("loose" members).
        let members = members(planner, opf.catalog_id());
        if !members.is_empty() {
            let items: Vec<String> = members
                .iter()
                .map(|m| member_text(planner, m, true))
                .collect();
            sql.push_str(&format!(
                "ALTER OPERATOR FAMILY {qualified} USING {am} ADD\n    {};\n",
                items.join(" ,\n    ")
            ));
        }
        let mut entry = new_entry(
            object.id,
            desc::OPERATOR_FAMILY,
            opf.name.clone(),
            section_of(object),
        );
        entry.table_oid = class::PG_OPFAMILY;
        entry.oid = opf.oid;
        entry.namespace = Some(schema_name.to_owned());
        entry.owner = Some(owner.clone());
        entry.defn = Some(sql);
        entry.drop_stmt = Some(format!("DROP OPERATOR FAMILY {qualified} USING {am};\n"));
        out.main_entry(entry);
    }
    let labels = Labels {
        kind: "OPERATOR FAMILY",
        tag_name: format!("{} USING {am}", q.ident(&opf.name)),
        sql_name: format!("{qualified} USING {am}"),
        namespace: Some(schema_name.to_owned()),
        owner: Some(owner),
    };
    comment_entry(planner, out, object, opf.catalog_id(), 0, &labels);
}

#[cfg(test)]
mod tests {
    use super::function_name;

    #[test]
    fn function_references_lose_their_argument_list() {
        assert_eq!(function_name("fn.json_lt(json,json)"), Some("fn.json_lt"));
        assert_eq!(function_name("\"a(b\".f(integer)"), Some("\"a(b\".f"));
        assert_eq!(function_name("eqsel"), Some("eqsel"));
        assert_eq!(function_name("-"), None);
    }
}
