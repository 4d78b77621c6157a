//! A small line diff for assertion messages: longest common subsequence on the lines that differ, printed as
//! unified-diff hunks with a little context.

use std::fmt::Write as _;

/// Lines of context around each change.
const CONTEXT: usize = 3;
/// Hunks printed before the rest is only counted.
const MAX_HUNKS: usize = 10;
/// Lines printed per hunk before the rest of it is only counted.
const MAX_HUNK_LINES: usize = 120;
/// Largest LCS table (cells) computed for the part between the common prefix and suffix; beyond it the whole
/// differing middle is shown as one replaced block. 16 M cells of `u32` is 64 MiB, reached only by two dumps of
/// more than 4000 lines that differ from start to end.
const MAX_LCS_CELLS: usize = 16 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// The line is in both: (index in a, index in b).
    Same(usize, usize),
    /// Only in a.
    Del(usize),
    /// Only in b.
    Ins(usize),
}

/// A readable diff of two texts, line by line, for assertion messages: `None` when they are equal, else a
/// unified-style diff (`---`/`+++` header, `@@ -a,n +b,m @@` hunks with three lines of context, `-` for lines only
/// in `a`, `+` for lines only in `b`). At most ten hunks are printed, and at most 120 lines of each; the rest is
/// counted.
///
/// Texts that differ only in line endings (`\r\n`, a missing final newline) get a one-line explanation instead.
///
/// ```
/// let d = pgferry_testkit::diff_lines("a\nb\nc\n", "a\nB\nc\n").unwrap();
/// assert!(d.contains("-b\n+B\n"), "{d}");
/// assert_eq!(pgferry_testkit::diff_lines("x\n", "x\n"), None);
/// ```
pub fn diff_lines(a: &str, b: &str) -> Option<String> {
    diff_labeled(a, b, "a", "b")
}

/// [`diff_lines`] with names for the two sides in the `---`/`+++` header.
pub(crate) fn diff_labeled(a: &str, b: &str, label_a: &str, label_b: &str) -> Option<String> {
    if a == b {
        return None;
    }
    let la: Vec<&str> = a.lines().collect();
    let lb: Vec<&str> = b.lines().collect();
    if la == lb {
        return Some(format!(
            "{label_a} and {label_b} have the same lines but differ in line endings or the final newline \
             ({label_a}: {} bytes, ends with newline: {}; {label_b}: {} bytes, ends with newline: {})",
            a.len(),
            a.ends_with('\n'),
            b.len(),
            b.ends_with('\n'),
        ));
    }
    let ops = edit_script(&la, &lb);
    Some(render(&ops, &la, &lb, label_a, label_b))
}

/// The edit script turning `a` into `b`: common prefix and suffix as they are, an LCS in between.
fn edit_script(a: &[&str], b: &[&str]) -> Vec<Op> {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let max_suffix = a.len().min(b.len()) - prefix;
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take(max_suffix)
        .take_while(|(x, y)| x == y)
        .count();
    let (ma, mb) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);

    let mut ops: Vec<Op> = (0..prefix).map(|i| Op::Same(i, i)).collect();
    if (ma.len() + 1).saturating_mul(mb.len() + 1) <= MAX_LCS_CELLS {
        lcs_ops(ma, mb, prefix, &mut ops);
    } else {
        ops.extend((0..ma.len()).map(|i| Op::Del(prefix + i)));
        ops.extend((0..mb.len()).map(|j| Op::Ins(prefix + j)));
    }
    let (sa, sb) = (a.len() - suffix, b.len() - suffix);
    ops.extend((0..suffix).map(|k| Op::Same(sa + k, sb + k)));
    ops
}

/// Append the LCS edit script of `a` and `b` (whose first lines are line `offset` of the whole texts).
fn lcs_ops(a: &[&str], b: &[&str], offset: usize, ops: &mut Vec<Op>) {
    let (n, m) = (a.len(), b.len());
    let width = m + 1;
    // table[i * width + j] = length of the LCS of a[i..] and b[j..].
    let mut table = vec![0u32; (n + 1) * width];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            table[i * width + j] = if a[i] == b[j] {
                table[(i + 1) * width + j + 1] + 1
            } else {
                table[(i + 1) * width + j].max(table[i * width + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            ops.push(Op::Same(offset + i, offset + j));
            i += 1;
            j += 1;
        } else if i < n && (j == m || table[(i + 1) * width + j] >= table[i * width + j + 1]) {
            // Deletions first, as diff(1) prints them.
            ops.push(Op::Del(offset + i));
            i += 1;
        } else {
            ops.push(Op::Ins(offset + j));
            j += 1;
        }
    }
}

fn render(ops: &[Op], a: &[&str], b: &[&str], label_a: &str, label_b: &str) -> String {
    // Ranges of ops to print: each change with CONTEXT ops around it, merged when they touch.
    let mut hunks: Vec<(usize, usize)> = Vec::new();
    for (k, op) in ops.iter().enumerate() {
        if matches!(op, Op::Same(..)) {
            continue;
        }
        let (start, end) = (k.saturating_sub(CONTEXT), (k + CONTEXT + 1).min(ops.len()));
        match hunks.last_mut() {
            Some(last) if start <= last.1 => last.1 = end,
            _ => hunks.push((start, end)),
        }
    }

    let mut out = format!(
        "--- {label_a} ({} lines)\n+++ {label_b} ({} lines)\n",
        a.len(),
        b.len()
    );
    for &(start, end) in hunks.iter().take(MAX_HUNKS) {
        let slice = &ops[start..end];
        // Line numbers (1-based) where the hunk starts on each side, and how many lines it spans there.
        let (mut a_start, mut b_start) = (None, None);
        let (mut a_len, mut b_len) = (0, 0);
        for op in slice {
            match *op {
                Op::Same(i, j) => {
                    a_start.get_or_insert(i);
                    b_start.get_or_insert(j);
                    a_len += 1;
                    b_len += 1;
                }
                Op::Del(i) => {
                    a_start.get_or_insert(i);
                    a_len += 1;
                }
                Op::Ins(j) => {
                    b_start.get_or_insert(j);
                    b_len += 1;
                }
            }
        }
        // An empty side starts after the lines before the hunk on that side (unified diff convention).
        let a_pos = a_start.map_or_else(|| side_position(ops, start, true), |i| i + 1);
        let b_pos = b_start.map_or_else(|| side_position(ops, start, false), |j| j + 1);
        let _ = writeln!(out, "@@ -{a_pos},{a_len} +{b_pos},{b_len} @@");
        for op in slice.iter().take(MAX_HUNK_LINES) {
            let _ = match *op {
                Op::Same(i, _) => writeln!(out, " {}", a[i]),
                Op::Del(i) => writeln!(out, "-{}", a[i]),
                Op::Ins(j) => writeln!(out, "+{}", b[j]),
            };
        }
        if slice.len() > MAX_HUNK_LINES {
            let _ = writeln!(
                out,
                "... {} more lines of this hunk",
                slice.len() - MAX_HUNK_LINES
            );
        }
    }
    if hunks.len() > MAX_HUNKS {
        let _ = writeln!(out, "... {} more hunks not shown", hunks.len() - MAX_HUNKS);
    }
    out
}

/// How many lines of one side come before op `k`.
fn side_position(ops: &[Op], k: usize, side_a: bool) -> usize {
    ops[..k]
        .iter()
        .filter(|op| match op {
            Op::Same(..) => true,
            Op::Del(_) => side_a,
            Op::Ins(_) => !side_a,
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Apply the edit script to a and check that it yields b.
    fn replay(a: &[&str], b: &[&str]) {
        let ops = edit_script(a, b);
        let mut out = Vec::new();
        let mut deleted = Vec::new();
        for op in &ops {
            match *op {
                Op::Same(i, j) => {
                    assert_eq!(a[i], b[j]);
                    out.push(a[i]);
                }
                Op::Del(i) => deleted.push(i),
                Op::Ins(j) => out.push(b[j]),
            }
        }
        assert_eq!(out, b);
        let same = ops.iter().filter(|o| matches!(o, Op::Same(..))).count();
        assert_eq!(same + deleted.len(), a.len());
    }

    #[test]
    fn edit_scripts_replay() {
        replay(&[], &[]);
        replay(&["a"], &[]);
        replay(&[], &["a"]);
        replay(&["a", "b", "c"], &["a", "c"]);
        replay(&["a", "b", "c"], &["x", "a", "b", "c", "y"]);
        replay(&["a", "b", "a", "b"], &["b", "a", "b", "a"]);
        replay(&["x"; 5], &["x"; 7]);
    }

    #[test]
    fn lcs_is_minimal() {
        let a = ["a", "b", "c", "d", "e", "f"];
        let b = ["a", "c", "d", "x", "f"];
        let ops = edit_script(&a, &b);
        let changes = ops.iter().filter(|o| !matches!(o, Op::Same(..))).count();
        assert_eq!(changes, 3, "{ops:?}"); // -b, -e, +x
    }

    #[test]
    fn equal_texts_have_no_diff() {
        assert_eq!(diff_lines("", ""), None);
        assert_eq!(diff_lines("a\nb\n", "a\nb\n"), None);
    }

    #[test]
    fn line_ending_differences_are_explained() {
        let d = diff_lines("a\nb\n", "a\nb").unwrap();
        assert!(d.contains("final newline"), "{d}");
        let d = diff_lines("a\r\n", "a\n").unwrap();
        assert!(d.contains("line endings"), "{d}");
    }

    #[test]
    fn hunks_have_context_and_positions() {
        let a: Vec<String> = (1..=20).map(|i| format!("line {i}")).collect();
        let mut b = a.clone();
        b[9] = "changed".into();
        b.insert(15, "inserted".into());
        let d = diff_labeled(&a.join("\n"), &b.join("\n"), "src", "copy").unwrap();
        let expected = "\
--- src (20 lines)
+++ copy (21 lines)
@@ -7,12 +7,13 @@
 line 7
 line 8
 line 9
-line 10
+changed
 line 11
 line 12
 line 13
 line 14
 line 15
+inserted
 line 16
 line 17
 line 18
";
        assert_eq!(d, expected);
    }

    #[test]
    fn separate_hunks_and_empty_sides() {
        let a: Vec<String> = (1..=30).map(|i| i.to_string()).collect();
        let mut b = a.clone();
        b.remove(0);
        b.push("31".into());
        let d = diff_lines(&a.join("\n"), &b.join("\n")).unwrap();
        assert!(d.contains("@@ -1,4 +1,3 @@\n-1\n 2\n 3\n 4\n"), "{d}");
        assert!(d.contains("@@ -28,3 +27,4 @@\n 28\n 29\n 30\n+31\n"), "{d}");
        let d = diff_lines("", "x\n").unwrap();
        assert!(d.contains("@@ -0,0 +1,1 @@\n+x\n"), "{d}");
    }

    #[test]
    fn many_hunks_are_counted_not_printed() {
        let a: Vec<String> = (0..400).map(|i| i.to_string()).collect();
        let b: Vec<String> = a
            .iter()
            .map(|l| {
                if l.ends_with("0") && l.len() > 1 {
                    format!("{l}!")
                } else {
                    l.clone()
                }
            })
            .collect();
        let d = diff_lines(&a.join("\n"), &b.join("\n")).unwrap();
        assert_eq!(d.matches("\n@@ ").count(), MAX_HUNKS, "{d}");
        assert!(d.contains("more hunks not shown"), "{d}");
    }
}
