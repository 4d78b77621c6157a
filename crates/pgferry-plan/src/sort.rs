//! Ordering: pg_dump's cosmetic sort, then a topological sort that disturbs it as little as possible, with
//! repairs for the dependency loops real schemas contain.
//!
//! The topological sort is Kahn's algorithm run backwards: among the objects nothing unplaced depends on, the
//! one latest in the cosmetic order is placed last, and so on. Where dependencies allow, the output therefore
//! keeps the cosmetic order, which is what makes two dumps of the same schema come out the same.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

use pgferry_archive::DumpId;

use crate::model::{DumpObject, ObjKind};

/// Sorts `objects` into restore order, repairing dependency loops in place.
///
/// Returns warnings for loops that could only be broken arbitrarily.
pub fn sort_objects(objects: &mut Vec<DumpObject>) -> Vec<String> {
    objects.sort_by(cosmetic_order);
    let mut warnings = Vec::new();
    // Each repair removes at least one edge, so this ends; the bound only guards against a bug.
    for _ in 0..10_000 {
        match topo_sort(objects) {
            Ok(order) => {
                let mut slots: Vec<Option<DumpObject>> = objects.drain(..).map(Some).collect();
                let position: HashMap<DumpId, usize> = slots
                    .iter()
                    .enumerate()
                    .map(|(i, o)| (o.as_ref().map(|o| o.id).unwrap_or(DumpId(0)), i))
                    .collect();
                for id in order {
                    if let Some(object) = slots[position[&id]].take() {
                        objects.push(object);
                    }
                }
                return warnings;
            }
            Err(stuck) => {
                let loops = find_loops(objects, &stuck);
                if loops.is_empty() {
                    warnings
                        .push("could not find the dependency loop that stops sorting".to_owned());
                    break;
                }
                // Repairs only change dependencies, never positions or kinds: one index serves the round.
                let index: HashMap<DumpId, usize> =
                    objects.iter().enumerate().map(|(i, o)| (o.id, i)).collect();
                for cycle in loops {
                    if let Some(warning) = repair_loop(objects, &index, &cycle) {
                        warnings.push(warning);
                    }
                }
            }
        }
    }
    warnings
}

/// pg_dump's `DOTypeNameCompare`: priority, schema (objects without one last), name, kind, tie-breakers, OID.
pub fn cosmetic_order(a: &DumpObject, b: &DumpObject) -> Ordering {
    a.kind
        .priority()
        .cmp(&b.kind.priority())
        .then_with(|| match (&a.schema, &b.schema) {
            (Some(x), Some(y)) => x.as_bytes().cmp(y.as_bytes()),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        })
        .then_with(|| a.name.as_bytes().cmp(b.name.as_bytes()))
        .then_with(|| a.kind.cmp(&b.kind))
        .then_with(|| a.tiebreak.cmp(&b.tiebreak))
        .then_with(|| a.catalog_id.oid.cmp(&b.catalog_id.oid))
}

/// Returns the order of ids, or the ids that could not be placed (they are in or behind a loop).
fn topo_sort(objects: &[DumpObject]) -> Result<Vec<DumpId>, Vec<DumpId>> {
    let position: HashMap<DumpId, usize> =
        objects.iter().enumerate().map(|(i, o)| (o.id, i)).collect();
    // must_precede[i]: how many unplaced objects still depend on objects[i].
    let mut must_precede = vec![0usize; objects.len()];
    for object in objects {
        for dep in &object.deps {
            if let Some(&j) = position.get(dep) {
                must_precede[j] += 1;
            }
        }
    }
    let mut ready: BinaryHeap<usize> = (0..objects.len())
        .filter(|&i| must_precede[i] == 0)
        .collect();
    let mut reversed = Vec::with_capacity(objects.len());
    while let Some(i) = ready.pop() {
        reversed.push(objects[i].id);
        for dep in &objects[i].deps {
            if let Some(&j) = position.get(dep) {
                must_precede[j] -= 1;
                if must_precede[j] == 0 {
                    ready.push(j);
                }
            }
        }
    }
    if reversed.len() == objects.len() {
        reversed.reverse();
        Ok(reversed)
    } else {
        Err((0..objects.len())
            .filter(|&i| must_precede[i] > 0)
            .map(|i| objects[i].id)
            .collect())
    }
}

/// Finds disjoint dependency cycles among `stuck` objects (each cycle listed in dependency order).
fn find_loops(objects: &[DumpObject], stuck: &[DumpId]) -> Vec<Vec<DumpId>> {
    let by_id: HashMap<DumpId, &DumpObject> = objects.iter().map(|o| (o.id, o)).collect();
    let mut used = std::collections::HashSet::new();
    let mut loops = Vec::new();
    for &start in stuck {
        if used.contains(&start) {
            continue;
        }
        if let Some(cycle) = shortest_cycle_from(&by_id, start, &used) {
            used.extend(cycle.iter().copied());
            loops.push(cycle);
        }
    }
    loops
}

/// The shortest path from `start` back to itself following dependencies, by breadth-first search.
fn shortest_cycle_from(
    by_id: &HashMap<DumpId, &DumpObject>,
    start: DumpId,
    used: &std::collections::HashSet<DumpId>,
) -> Option<Vec<DumpId>> {
    let mut previous: HashMap<DumpId, DumpId> = HashMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(current) = queue.pop_front() {
        for &dep in &by_id.get(&current)?.deps {
            if used.contains(&dep) || !by_id.contains_key(&dep) {
                continue;
            }
            if dep == start {
                let mut cycle = vec![current];
                let mut at = current;
                while at != start {
                    at = previous[&at];
                    cycle.push(at);
                }
                cycle.reverse();
                return Some(cycle);
            }
            if let std::collections::hash_map::Entry::Vacant(slot) = previous.entry(dep) {
                slot.insert(current);
                queue.push_back(dep);
            }
        }
    }
    None
}

/// Breaks one loop the way pg_dump does for the loops real schemas have. Returns a warning when the loop is
/// not one of them and was broken arbitrarily.
fn repair_loop(
    objects: &mut [DumpObject],
    index: &HashMap<DumpId, usize>,
    cycle: &[DumpId],
) -> Option<String> {
    // Loops that belong to one group of object kinds (shell types, partitioned indexes, view rules...).
    if crate::emit::repair_loop(objects, cycle) {
        return None;
    }

    let kind = |objects: &[DumpObject], id: DumpId| objects[index[&id]].kind;

    // An object that depends on itself (partition keys, generated columns referring to the whole row).
    if cycle.len() == 1 {
        objects[index[&cycle[0]]].remove_dep(cycle[0]);
        return None;
    }

    // Table and its inline default or CHECK constraint, alone: the CREATE TABLE carries them, so the item's
    // edge back to its table is dropped. In a longer loop (serial columns: table -> default -> sequence ->
    // OWNED BY -> table) the item becomes a separate entry after the table instead.
    for &id in cycle {
        let k = kind(objects, id);
        if k != ObjKind::AttrDef && k != ObjKind::Constraint {
            continue;
        }
        let owner = owning_table(objects, index, id);
        let Some(table) = owner.filter(|t| cycle.contains(t)) else {
            continue;
        };
        let item = index[&id];
        if cycle.len() == 2 {
            objects[item].remove_dep(table);
        } else {
            objects[item].separate = true;
            objects[index[&table]].remove_dep(id);
            objects[item].add_dep(table);
            // A separate constraint is a post-data item.
            if k == ObjKind::Constraint {
                if let Some(post) = objects
                    .iter()
                    .find(|o| o.kind == ObjKind::PostDataBoundary)
                    .map(|o| o.id)
                {
                    objects[item].add_dep(post);
                }
            }
        }
        return None;
    }

    // A function or materialized view in a loop through the pre-data boundary (it needs a post-data object,
    // such as a primary key for GROUP BY): it moves to post-data.
    if let Some(&boundary) = cycle
        .iter()
        .find(|&&id| kind(objects, id) == ObjKind::PreDataBoundary)
    {
        for &id in cycle {
            let k = kind(objects, id);
            let is_matview = k == ObjKind::Table && objects[index[&id]].postponable;
            if k == ObjKind::Func || is_matview {
                objects[index[&boundary]].remove_dep(id);
                let object = &mut objects[index[&id]];
                object.postponed = true;
                if let Some(post) = objects
                    .iter()
                    .find(|o| o.kind == ObjKind::PostDataBoundary)
                    .map(|o| o.id)
                {
                    objects[index[&id]].add_dep(post);
                }
                return None;
            }
        }
    }

    // Anything else: break the loop at its first edge, and say so.
    let names: Vec<String> = cycle
        .iter()
        .map(|id| describe(&objects[index[id]]))
        .collect();
    let first = index[&cycle[0]];
    let next = cycle[1 % cycle.len()];
    objects[first].remove_dep(next);
    Some(format!(
        "could not resolve dependency loop among these items: {}",
        names.join(", ")
    ))
}

fn owning_table(
    objects: &[DumpObject],
    index: &HashMap<DumpId, usize>,
    id: DumpId,
) -> Option<DumpId> {
    let item = &objects[index[&id]];
    item.owner_table
}

fn describe(object: &DumpObject) -> String {
    match &object.schema {
        Some(schema) => format!(
            "{:?} {}.{} (ID {})",
            object.kind, schema, object.name, object.id
        ),
        None => format!("{:?} {} (ID {})", object.kind, object.name, object.id),
    }
}
