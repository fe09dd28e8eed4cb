//! The disclosure rule of a release, whole: what `appraise publish` may not show.
//!
//! - **The matrix** ([`suppress`], [`protect`], [`protect_intervals`]): small-cell
//!   suppression of the department × department exchange matrix, below.
//! - **The family** (`Exchanges`): one pattern of hidden cells for a release and the
//!   releases it nests with, and the totals it hides per department.
//! - **The rows** (`KpiTable`): a department's KPI row published whole or withheld
//!   whole, and the scores computed from a withheld value withheld with it.
//!
//! docs/publish.md states the rule for a reader; `super::write` writes what it lets
//! through.
//!
//! **The matrix.** Small-cell suppression of a two-way table of counts published with
//! its row and column totals and its grand total (an open-data release's department ×
//! department exchange matrix).
//!
//! The table is taken with its totals as one (r + 1) × (c + 1) table: the last row
//! holds the column totals, the last column the row totals, the corner the grand
//! total. Every cell of it, totals included, lies in exactly one row sum and one column
//! sum. **Primary** suppression hides every count below `k`. **Secondary** suppression
//! then hides more cells until no hidden value follows from the published ones: in
//! such a table a hidden cell is determined by the others exactly when it is a bridge
//! of the bipartite graph whose nodes are the rows and columns and whose edges are the
//! hidden cells (it lies on no cycle of hidden cells); a cell on a cycle can move by
//! any amount round the cycle, alternately up and down, and every row and column sum
//! stays the same. So while a hidden cell is a bridge, the cheapest cell that closes a
//! cycle through it is hidden as well: one cell joining the bridge's two sides, or,
//! where there is none, the three other corners of a rectangle through it. A cell's
//! cost is its count, and a total's is higher than any inner cell's, so totals are
//! hidden only where nothing else will do.
//!
//! Cells the reader knows without their being published (`known`: a matrix's
//! diagonal where a department's exchanges with itself are left out, always 0) are
//! never hidden and never close a cycle: they are part of the sums like a shown cell.
//!
//! A hidden value can then not be worked out from the published cells and totals,
//! alone or together: [`recoverable`] checks it by linear algebra, independently of
//! the graph, and the tests run it on random tables.

use super::*;

/// Which cells of `table` ((r + 1) × (c + 1), totals last, as above) to hide for a
/// minimum count `k`: `true` where hidden. Every count below `k` is hidden but the
/// `known` cells, and no hidden count can be recovered from the shown ones through the
/// row and column sums.
pub fn suppress(
    table: &[Vec<u64>],
    k: u64,
    known: impl Fn(usize, usize) -> bool,
) -> Vec<Vec<bool>> {
    let primary: Vec<Vec<bool>> = table
        .iter()
        .map(|row| row.iter().map(|&x| x < k).collect())
        .collect();
    protect(table, primary, known)
}

/// Secondary suppression from a given set of `primary` cells (hidden whatever their
/// count; the `known` cells among them are not): more cells are hidden, by their
/// count in `table`, until no hidden cell can be worked out from the shown ones. The
/// releases of one series share one such pattern (`primary` the cells below the
/// minimum in any of them, `table` the widest of them).
pub fn protect(
    table: &[Vec<u64>],
    primary: Vec<Vec<bool>>,
    known: impl Fn(usize, usize) -> bool,
) -> Vec<Vec<bool>> {
    let rows = table.len();
    let cols = table.first().map_or(0, Vec::len);
    let mut hidden: Vec<Vec<bool>> = primary
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            row.into_iter()
                .enumerate()
                .map(|(j, h)| h && !known(i, j))
                .collect()
        })
        .collect();
    if rows < 2 || cols < 2 {
        return hidden;
    }
    // An inner cell costs its count; a total more than any inner cell.
    let inner_max = table[..rows - 1]
        .iter()
        .flat_map(|row| &row[..cols - 1])
        .copied()
        .max()
        .unwrap_or(0);
    let cost = |i: usize, j: usize| -> u128 {
        let x = u128::from(table[i][j]);
        if i == rows - 1 || j == cols - 1 {
            x + u128::from(inner_max) + 1
        } else {
            x
        }
    };
    while let Some((i, j)) = bridge(&hidden) {
        let side = sides(&hidden, i, j);
        // One cell joining the two sides (a row on one, a column on the other).
        let joining = (0..rows)
            .flat_map(|a| (0..cols).map(move |b| (a, b)))
            .filter(|&(a, b)| !hidden[a][b] && !known(a, b))
            .filter(|&(a, b)| side.row[a].is_some() && side.col[b].is_some())
            .filter(|&(a, b)| side.row[a] != side.col[b])
            .min_by_key(|&(a, b)| (cost(a, b), a, b));
        match joining {
            Some((a, b)) => hidden[a][b] = true,
            None => {
                let Some(corners) = cheapest_rectangle(&hidden, (i, j), &known, &cost) else {
                    // No cycle can be closed (a table of one row or column but for
                    // known cells): nothing in it is shown.
                    for (a, row) in hidden.iter_mut().enumerate() {
                        for (b, h) in row.iter_mut().enumerate() {
                            *h = !known(a, b);
                        }
                    }
                    return hidden;
                };
                for (x, y) in corners {
                    hidden[x][y] = true;
                }
            }
        }
    }
    hidden
}

/// The rectangle (i, j), (i, b), (a, j), (a, b) whose other corners cost least to
/// hide (those already hidden cost nothing; none of them known), as those three
/// corners; `None` where every rectangle has a known corner.
fn cheapest_rectangle(
    hidden: &[Vec<bool>],
    (i, j): (usize, usize),
    known: &impl Fn(usize, usize) -> bool,
    cost: &impl Fn(usize, usize) -> u128,
) -> Option<[(usize, usize); 3]> {
    let (rows, cols) = (hidden.len(), hidden.first().map_or(0, Vec::len));
    let (mut best, mut at) = (u128::MAX, None);
    for a in (0..rows).filter(|&a| a != i) {
        for b in (0..cols).filter(|&b| b != j) {
            let corners = [(i, b), (a, j), (a, b)];
            if corners.iter().any(|&(x, y)| known(x, y)) {
                continue;
            }
            let c: u128 = corners
                .iter()
                .filter(|&&(x, y)| !hidden[x][y])
                .map(|&(x, y)| cost(x, y))
                .sum();
            if c < best {
                (best, at) = (c, Some(corners));
            }
        }
    }
    at
}

/// Protection by intervals, for releases that share one pattern (a quarter and its
/// months): starting from `hidden` (a pattern [`protect`] made), more cells are hidden
/// until, in every table of `tables`, no hidden cell can be put in an interval
/// narrower than `k` by anyone who knows the shown cells, the sums and that every
/// count is at least 0 (the bounds a linear program finds). `costs` orders the cells
/// to hide (their counts; totals after every inner cell), and after each addition the
/// pattern is made cycle-safe again with [`protect`].
///
/// A hidden cell's interval is read off the table as a flow network ([`Network`]):
/// how far it can rise is the flow the other hidden cells can carry round from its
/// column back to its row, how far it can fall the flow the other way, at most its own
/// count. Hiding a cell only adds capacity, so no interval narrows as cells are
/// added: each cell is checked until it holds, and the cells added are checked in
/// their turn.
pub fn protect_intervals(
    tables: &[Vec<Vec<u64>>],
    costs: &[Vec<u64>],
    mut hidden: Vec<Vec<bool>>,
    known: impl Fn(usize, usize) -> bool + Copy,
    k: u64,
) -> Vec<Vec<bool>> {
    let rows = hidden.len();
    let cols = hidden.first().map_or(0, Vec::len);
    let inner_max = costs[..rows.saturating_sub(1)]
        .iter()
        .flat_map(|r| &r[..cols.saturating_sub(1)])
        .copied()
        .max()
        .unwrap_or(0);
    let cost = |i: usize, j: usize| -> u128 {
        let x = u128::from(costs[i][j]);
        if i + 1 == rows || j + 1 == cols {
            x + u128::from(inner_max) + 1
        } else {
            x
        }
    };
    // (table, row, column) whose interval holds; it holds for good, since hiding more
    // cells only widens intervals.
    let mut held: std::collections::BTreeSet<(usize, usize, usize)> = Default::default();
    loop {
        let mut added = false;
        for (m, table) in tables.iter().enumerate() {
            let mut net = Network::new(table, &hidden);
            for (i, j) in (0..rows).flat_map(|i| (0..cols).map(move |j| (i, j))) {
                if !hidden[i][j] || held.contains(&(m, i, j)) {
                    continue;
                }
                // Widen until the cell's interval is k wide in this table.
                while let Some(reached) = net.narrow(i, j, k) {
                    let widening = (0..rows)
                        .flat_map(|a| (0..cols).map(move |b| (a, b)))
                        .filter(|&(a, b)| !hidden[a][b] && !known(a, b))
                        .filter(|&(a, b)| net.crosses(&reached, a, b))
                        .min_by_key(|&(a, b)| (cost(a, b), a, b));
                    let Some((a, b)) = widening else {
                        // Nothing can widen it: nothing in the table is shown.
                        for (a, row) in hidden.iter_mut().enumerate() {
                            for (b, h) in row.iter_mut().enumerate() {
                                *h = !known(a, b);
                            }
                        }
                        return hidden;
                    };
                    hidden[a][b] = true;
                    added = true;
                    net = Network::new(table, &hidden);
                }
                held.insert((m, i, j));
            }
        }
        if !added {
            return hidden;
        }
        // The cells added may be bridges: close their cycles, then check them too.
        hidden = protect(costs, hidden, known);
    }
}

/// The narrowest interval a hidden cell `(i, j)` of `table` can be put in from the
/// shown cells, the row and column sums and every count being at least 0: (lowest,
/// highest), the highest `None` where nothing bounds it. Integer flows: exact.
pub fn interval(
    table: &[Vec<u64>],
    hidden: &[Vec<bool>],
    i: usize,
    j: usize,
) -> (u64, Option<u64>) {
    let net = Network::new(table, hidden);
    let x = table[i][j];
    let (up, _) = net.flow(i, j, true, u64::MAX);
    let (down, _) = net.flow(i, j, false, x);
    (x - down.min(x), (up < net.unbounded).then(|| x + up))
}

/// A table with its totals as a flow network over its hidden cells: a node per row
/// (the totals row too) and per column. With `y` the table whose row and column totals
/// are negated (the grand total is not), every row and column of `y` sums to 0, and a
/// change of the hidden cells that keeps every sum is a circulation: a flow of `t`
/// from row `a` to column `b` raises `y[a][b]` by `t`. Where that raises the count the
/// edge is unbounded; where it lowers it, the count bounds it (no count below 0).
struct Network {
    rows: usize,
    /// The table's counts.
    count: Vec<Vec<u64>>,
    /// Capacities, `[from][to]` over the row nodes, then the column nodes.
    cap: Vec<Vec<u64>>,
    /// A capacity no flow reaches: the table's total and one more.
    unbounded: u64,
}

impl Network {
    fn new(table: &[Vec<u64>], hidden: &[Vec<bool>]) -> Network {
        let rows = table.len();
        let cols = table.first().map_or(0, Vec::len);
        let unbounded = table
            .iter()
            .flatten()
            .fold(1u64, |a, &x| a.saturating_add(x));
        let mut net = Network {
            rows,
            count: table.to_vec(),
            cap: vec![vec![0u64; rows + cols]; rows + cols],
            unbounded,
        };
        for (a, row) in hidden.iter().enumerate() {
            for (b, &h) in row.iter().enumerate() {
                if h {
                    let (raise, lower) = net.edges(a, b);
                    net.cap[a][rows + b] = raise;
                    net.cap[rows + b][a] = lower;
                }
            }
        }
        net
    }

    /// A cell's edges: (row → column, raising `y`; column → row, lowering it). Inner
    /// cells and the grand total count as `y`, the other totals as `−y`.
    fn edges(&self, a: usize, b: usize) -> (u64, u64) {
        let x = self.count[a][b];
        if self.plain(a, b) {
            (self.unbounded, x)
        } else {
            (x, self.unbounded)
        }
    }

    fn plain(&self, a: usize, b: usize) -> bool {
        let cols = self.cap.len() - self.rows;
        (a + 1 == self.rows) == (b + 1 == cols)
    }

    /// The flow, at most `limit`, by which cell `(i, j)` can rise (`rising`) or fall
    /// while the other hidden cells keep every sum (its own edges left out), by
    /// shortest augmenting paths; with the nodes the source still reaches, the side of
    /// the cut that bounds it.
    fn flow(&self, i: usize, j: usize, rising: bool, limit: u64) -> (u64, Vec<bool>) {
        let n = self.cap.len();
        let (row, col) = (i, self.rows + j);
        // The count rises: y rises for a plain cell, so the flow runs round from its
        // column back to its row; for a total, y falls, from its row to its column.
        let (source, sink) = if rising == self.plain(i, j) {
            (col, row)
        } else {
            (row, col)
        };
        let mut cap = self.cap.clone();
        cap[row][col] = 0;
        cap[col][row] = 0;
        let mut total = 0u64;
        loop {
            let mut prev = vec![usize::MAX; n];
            prev[source] = source;
            let mut queue = std::collections::VecDeque::from([source]);
            while let Some(v) = queue.pop_front() {
                if v == sink {
                    break;
                }
                for (w, &c) in cap[v].iter().enumerate() {
                    if c > 0 && prev[w] == usize::MAX {
                        prev[w] = v;
                        queue.push_back(w);
                    }
                }
            }
            if total >= limit || prev[sink] == usize::MAX {
                return (total, prev.iter().map(|&p| p != usize::MAX).collect());
            }
            let mut push = limit - total;
            let mut v = sink;
            while v != source {
                push = push.min(cap[prev[v]][v]);
                v = prev[v];
            }
            let mut v = sink;
            while v != source {
                cap[prev[v]][v] -= push;
                cap[v][prev[v]] = cap[v][prev[v]].saturating_add(push);
                v = prev[v];
            }
            total = total.saturating_add(push);
        }
    }

    /// `None` where cell `(i, j)`'s interval is at least `k` wide; else the nodes the
    /// flow of its rise reaches (the cut that bounds it).
    fn narrow(&self, i: usize, j: usize, k: u64) -> Option<Vec<bool>> {
        let (up, reached) = self.flow(i, j, true, k);
        if up >= k {
            return None;
        }
        let x = self.count[i][j];
        let (down, _) = self.flow(i, j, false, x.min(k - up));
        (up + down < k).then_some(reached)
    }

    /// Whether hiding the shown cell `(a, b)` adds an edge with room for flow from a
    /// node the rise reaches (`reached`) to one it does not.
    fn crosses(&self, reached: &[bool], a: usize, b: usize) -> bool {
        let col = self.rows + b;
        let (raise, lower) = self.edges(a, b);
        (reached[a] && !reached[col] && raise > 0) || (reached[col] && !reached[a] && lower > 0)
    }
}

/// Which side of a bridge each node of its component is on, once the bridge is cut:
/// `Some(false)` with its row, `Some(true)` with its column, `None` outside.
struct Sides {
    row: Vec<Option<bool>>,
    col: Vec<Option<bool>>,
}

fn sides(hidden: &[Vec<bool>], i: usize, j: usize) -> Sides {
    let (rows, cols) = (hidden.len(), hidden[0].len());
    let mut s = Sides {
        row: vec![None; rows],
        col: vec![None; cols],
    };
    // Walks from the bridge's row without the bridge, then from its column.
    for (start_row, label) in [(true, false), (false, true)] {
        let mut stack: Vec<(bool, usize)> = vec![(start_row, if start_row { i } else { j })];
        while let Some((is_row, n)) = stack.pop() {
            let seen = if is_row { &mut s.row[n] } else { &mut s.col[n] };
            if seen.is_some() {
                continue;
            }
            *seen = Some(label);
            if is_row {
                for b in (0..cols).filter(|&b| hidden[n][b] && (n, b) != (i, j)) {
                    stack.push((false, b));
                }
            } else {
                for a in (0..rows).filter(|&a| hidden[a][n] && (a, n) != (i, j)) {
                    stack.push((true, a));
                }
            }
        }
    }
    s
}

/// A hidden cell on no cycle of hidden cells (the first in row-major order), if any.
fn bridge(hidden: &[Vec<bool>]) -> Option<(usize, usize)> {
    let (rows, cols) = (hidden.len(), hidden.first().map_or(0, Vec::len));
    // Nodes: rows 0..rows, columns rows..rows + cols. Iterative Tarjan lowlink.
    let n = rows + cols;
    let neighbours = |v: usize| -> Vec<usize> {
        if v < rows {
            (0..cols)
                .filter(|&b| hidden[v][b])
                .map(|b| rows + b)
                .collect()
        } else {
            (0..rows).filter(|&a| hidden[a][v - rows]).collect()
        }
    };
    let mut order = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut next = 0;
    let mut found: Vec<(usize, usize)> = Vec::new();
    for root in 0..n {
        if order[root] != usize::MAX {
            continue;
        }
        // (node, parent, its neighbours, how many of them seen)
        let mut stack: Vec<(usize, usize, Vec<usize>, usize)> =
            vec![(root, usize::MAX, neighbours(root), 0)];
        order[root] = next;
        low[root] = next;
        next += 1;
        while let Some(top) = stack.last_mut() {
            let (v, parent) = (top.0, top.1);
            if top.3 < top.2.len() {
                let w = top.2[top.3];
                top.3 += 1;
                if w == parent {
                    // A simple graph: the one edge back to the parent is the tree edge.
                    continue;
                }
                if order[w] == usize::MAX {
                    order[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push((w, v, neighbours(w), 0));
                } else {
                    low[v] = low[v].min(order[w]);
                }
            } else {
                stack.pop();
                if parent != usize::MAX {
                    low[parent] = low[parent].min(low[v]);
                    if low[v] > order[parent] {
                        let (a, b) = if v < rows { (v, parent) } else { (parent, v) };
                        found.push((a, b - rows));
                    }
                }
            }
        }
    }
    found.into_iter().min()
}

/// The hidden cells of a table with its totals ((r + 1) × (c + 1), totals last, as in
/// [`suppress`]) whose values follow from the shown cells through the row and column
/// sums: an audit by linear algebra, independent of [`suppress`]'s graph.
///
/// Each row and column sum is a linear equation in the hidden cells (a total cell
/// entering with −1). A hidden cell is determined exactly when every solution of the
/// homogeneous system gives it 0: after reduction to row echelon form, when it is a
/// pivot variable whose row has no free variable in it. The coefficients stay in
/// {−1, 0, 1} (the system is a network matrix), so floating point is exact here.
pub fn recoverable(hidden: &[Vec<bool>]) -> Vec<(usize, usize)> {
    let (rows, cols) = (hidden.len(), hidden.first().map_or(0, Vec::len));
    let cells: Vec<(usize, usize)> = (0..rows)
        .flat_map(|a| (0..cols).map(move |b| (a, b)))
        .filter(|&(a, b)| hidden[a][b])
        .collect();
    let mut m: Vec<Vec<f64>> = vec![vec![0.0; cells.len()]; rows + cols];
    for (e, &(a, b)) in cells.iter().enumerate() {
        m[a][e] = if b == cols - 1 { -1.0 } else { 1.0 };
        m[rows + b][e] = if a == rows - 1 { -1.0 } else { 1.0 };
    }
    let mut pivots: Vec<usize> = Vec::new();
    for col in 0..cells.len() {
        let r = pivots.len();
        let Some(p) = (r..m.len()).find(|&i| m[i][col].abs() > 1e-9) else {
            continue;
        };
        m.swap(r, p);
        let pivot = std::mem::take(&mut m[r]);
        for (i, row) in m.iter_mut().enumerate() {
            if i != r && row[col].abs() > 1e-9 {
                let f = row[col] / pivot[col];
                for (x, q) in row[col..].iter_mut().zip(&pivot[col..]) {
                    *x -= f * q;
                }
            }
        }
        m[r] = pivot;
        pivots.push(col);
    }
    let is_pivot: Vec<bool> = {
        let mut v = vec![false; cells.len()];
        for &c in &pivots {
            v[c] = true;
        }
        v
    };
    pivots
        .iter()
        .enumerate()
        .filter(|&(r, _)| {
            m[r].iter()
                .enumerate()
                .all(|(c, x)| is_pivot[c] || x.abs() <= 1e-9)
        })
        .map(|(_, &c)| cells[c])
        .collect()
}

// The rule applied to a family of releases: the matrix and the KPI rows.

/// The department × department exchange matrix of the period with its totals, and
/// which of its cells are hidden: one pattern for the whole family.
pub(super) struct Exchanges {
    /// Department ids, sorted: the rows (consumers) and the columns (providers).
    pub(super) ids: Vec<String>,
    /// (n + 1) × (n + 1) tables, consumer rows, provider columns, totals last: every
    /// member's of the family, the quarter first.
    pub(super) members: Vec<Vec<Vec<u64>>>,
    /// Which member is released.
    pub(super) at: usize,
    pub(super) hidden: Vec<Vec<bool>>,
}

impl Exchanges {
    /// The matrices of the family's members (`volumes`, the quarter first; the
    /// released one at `at`), with the family's pattern: every cell below `k` in any
    /// member is hidden in all, and more cells (by the quarter's counts) until none
    /// can be worked out in any member, nor put in an interval narrower than `k`.
    pub(super) fn new(
        appraisal: &Appraisal,
        volumes: &[Vec<(String, String, u64)>],
        at: usize,
        k: u64,
    ) -> Exchanges {
        // Every appraised department, and any other the exchanges name.
        let ids: BTreeSet<&str> = appraisal
            .current
            .departments
            .iter()
            .map(|d| d.department.id.as_str())
            .chain(
                volumes
                    .iter()
                    .flatten()
                    .flat_map(|(p, c, _)| [p.as_str(), c.as_str()]),
            )
            .collect();
        let ids: Vec<String> = ids.into_iter().map(String::from).collect();
        let at_id: BTreeMap<&str, usize> = ids
            .iter()
            .enumerate()
            .map(|(i, d)| (d.as_str(), i))
            .collect();
        let n = ids.len();
        let members: Vec<Vec<Vec<u64>>> = volumes
            .iter()
            .map(|volumes| {
                let mut table = vec![vec![0u64; n + 1]; n + 1];
                for (provider, consumer, count) in volumes {
                    let (c, p) = (at_id[consumer.as_str()], at_id[provider.as_str()]);
                    if c == p {
                        continue;
                    }
                    table[c][p] += count;
                    table[c][n] += count;
                    table[n][p] += count;
                    table[n][n] += count;
                }
                table
            })
            .collect();
        let primary: Vec<Vec<bool>> = (0..=n)
            .map(|i| {
                (0..=n)
                    .map(|j| members.iter().any(|t| t[i][j] < k))
                    .collect()
            })
            .collect();
        let known = |i: usize, j: usize| i == j && i < n;
        let hidden = protect(&members[0], primary, known);
        // No hidden cell of any member put in an interval narrower than k.
        let hidden = protect_intervals(&members, &members[0], hidden, known, k);
        Exchanges {
            ids,
            members,
            at,
            hidden,
        }
    }

    /// The hidden totals of department `d` in member `m` of the family: as a consumer
    /// (its row) and as a provider (its column).
    pub(super) fn hidden_totals(&self, d: &str, m: usize) -> Vec<u64> {
        let n = self.ids.len();
        let Some(i) = self.index(d) else {
            return Vec::new();
        };
        [(i, n), (n, i)]
            .into_iter()
            .filter(|&(a, b)| self.hidden[a][b])
            .map(|(a, b)| self.members[m][a][b])
            .collect()
    }

    /// Whether department `d`'s row or column hides a cell between two departments:
    /// then a count of the departments it exchanged with tells how many of the hidden
    /// cells are not zero.
    pub(super) fn hides_partners(&self, d: &str) -> bool {
        let n = self.ids.len();
        self.index(d)
            .is_some_and(|i| (0..n).any(|j| self.hidden[i][j] || self.hidden[j][i]))
    }

    pub(super) fn index(&self, d: &str) -> Option<usize> {
        self.ids.binary_search_by(|x| x.as_str().cmp(d)).ok()
    }

    /// The fingerprint of the family's pattern: the hidden cells (by department id)
    /// and the withheld KPI rows.
    pub(super) fn pattern(&self, withheld: &BTreeSet<(String, String)>) -> String {
        let n = self.ids.len();
        let name = |i: usize| if i < n { self.ids[i].as_str() } else { "total" };
        let mut cells = Vec::new();
        for (i, row) in self.hidden.iter().enumerate() {
            for (j, &h) in row.iter().enumerate() {
                if h {
                    cells.push(format!("{}|{}", name(i), name(j)));
                }
            }
        }
        let rows: Vec<String> = withheld.iter().map(|(d, k)| format!("{d}|{k}")).collect();
        fingerprint([cells.join("\n").as_bytes(), rows.join("\n").as_bytes()])
    }

    /// Cells hidden as below `k`, and hidden besides.
    pub(super) fn hidden_counts(&self, k: u64) -> (usize, usize) {
        let cells = self.members[self.at]
            .iter()
            .flatten()
            .zip(self.hidden.iter().flatten());
        let (mut primary, mut secondary) = (0, 0);
        for (&x, &h) in cells {
            match (h, x < k) {
                (true, true) => primary += 1,
                (true, false) => secondary += 1,
                _ => {}
            }
        }
        (primary, secondary)
    }
}

/// The KPI rows of the period, each published or withheld whole.
pub(super) struct KpiTable {
    pub(super) rows: Vec<KpiRow>,
    /// Per department, the KPIs withheld with a value behind them.
    pub(super) withheld: BTreeMap<String, BTreeSet<String>>,
    /// The (department, KPI) rows withheld in every release of the family.
    pub(super) family_withheld: BTreeSet<(String, String)>,
}

pub(super) struct KpiRow {
    pub(super) department_id: String,
    pub(super) kpi: String,
    pub(super) fields: [Option<f64>; 4],
    pub(super) withheld: bool,
}

impl KpiTable {
    /// The released member's rows (`matrices[at]`), a row withheld when it, or the
    /// same department's row of the KPI in another member of the family, would give a
    /// count below `k` or a hidden total away, or is a count of partner departments
    /// where the department's matrix row or column hides a cell.
    pub(super) fn new(
        matrices: &[&KpiMatrix],
        at: usize,
        kpis: &[KpiDef],
        exchanges: &Exchanges,
        k: u64,
    ) -> KpiTable {
        let unit_of = |id: &str| {
            kpis.iter()
                .find(|d| d.id == id)
                .and_then(|d| d.unit.as_deref())
        };
        let mut family_withheld = BTreeSet::new();
        for (member, m) in matrices.iter().enumerate() {
            for v in &m.values {
                let unit = unit_of(&v.kpi);
                let sample = v.sample_size.map(|s| s as f64);
                let counts_value = unit.is_some_and(|u| COUNT_UNITS.contains(&u));
                let value_count = v.value.filter(|_| counts_value);
                let counts = [v.numerator, v.denominator, sample, value_count];
                let totals = exchanges.hidden_totals(&v.department_id, member);
                let small = counts.iter().flatten().any(|&c| c < k as f64);
                let linked = counts
                    .iter()
                    .flatten()
                    .any(|&c| totals.iter().any(|&t| c == t as f64));
                // Nothing to measure says a count is 0: no request decided, no case.
                let empty = v.value.is_none();
                let partners =
                    unit == Some("departments") && exchanges.hides_partners(&v.department_id);
                if small || linked || empty || partners {
                    family_withheld.insert((v.department_id.clone(), v.kpi.clone()));
                }
            }
        }
        let mut withheld: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let rows = matrices[at]
            .values
            .iter()
            .map(|v| {
                let key = (v.department_id.clone(), v.kpi.clone());
                let row_withheld = family_withheld.contains(&key);
                if row_withheld && v.value.is_some() {
                    withheld
                        .entry(v.department_id.clone())
                        .or_default()
                        .insert(v.kpi.clone());
                }
                KpiRow {
                    department_id: v.department_id.clone(),
                    kpi: v.kpi.clone(),
                    fields: [
                        v.value,
                        v.numerator,
                        v.denominator,
                        v.sample_size.map(|s| s as f64),
                    ],
                    withheld: row_withheld,
                }
            })
            .collect();
        KpiTable {
            rows,
            withheld,
            family_withheld,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The table with its totals: (r + 1) × (c + 1).
    fn with_totals(inner: &[Vec<u64>]) -> Vec<Vec<u64>> {
        let c = inner[0].len();
        let mut t: Vec<Vec<u64>> = inner
            .iter()
            .map(|row| {
                let mut r = row.clone();
                r.push(row.iter().sum());
                r
            })
            .collect();
        let totals: Vec<u64> = (0..=c).map(|j| t.iter().map(|row| row[j]).sum()).collect();
        t.push(totals);
        t
    }

    /// The hidden cells whose value the shown cells determine, found by linear algebra:
    /// each row sum and column sum of the table with totals (the total cell taken
    /// with the sign −1) is an equation in the hidden cells; a hidden cell is
    /// determined when its unit vector lies in the span of the equations, i.e. when
    /// adding it as one more equation does not raise their rank.
    fn determined_by_rank(hidden: &[Vec<bool>]) -> Vec<(usize, usize)> {
        let (rows, cols) = (hidden.len(), hidden[0].len());
        let cells: Vec<(usize, usize)> = (0..rows)
            .flat_map(|a| (0..cols).map(move |b| (a, b)))
            .filter(|&(a, b)| hidden[a][b])
            .collect();
        // Row a: its cells, less its total (the last column); column b likewise.
        let sign = |last: bool| if last { -1.0 } else { 1.0 };
        let equation = |in_it: &dyn Fn(usize, usize) -> Option<bool>| -> Vec<f64> {
            cells
                .iter()
                .map(|&(x, y)| in_it(x, y).map_or(0.0, sign))
                .collect()
        };
        let mut equations: Vec<Vec<f64>> = Vec::new();
        for a in 0..rows {
            equations.push(equation(&|x, y| (x == a).then_some(y == cols - 1)));
        }
        for b in 0..cols {
            equations.push(equation(&|x, y| (y == b).then_some(x == rows - 1)));
        }
        let base = rank(equations.clone());
        cells
            .iter()
            .enumerate()
            .filter(|&(e, _)| {
                let mut with = equations.clone();
                with.push(
                    (0..cells.len())
                        .map(|f| f64::from(u8::from(f == e)))
                        .collect(),
                );
                rank(with) == base
            })
            .map(|(_, &c)| c)
            .collect()
    }

    fn rank(mut m: Vec<Vec<f64>>) -> usize {
        let width = m.first().map_or(0, Vec::len);
        let mut r = 0;
        for col in 0..width {
            let Some(p) = (r..m.len()).find(|&i| m[i][col].abs() > 1e-9) else {
                continue;
            };
            m.swap(r, p);
            let pivot = m[r].clone();
            for (i, row) in m.iter_mut().enumerate() {
                if i != r && row[col].abs() > 1e-9 {
                    let f = row[col] / pivot[col];
                    for (x, p) in row[col..].iter_mut().zip(&pivot[col..]) {
                        *x -= f * p;
                    }
                }
            }
            r += 1;
        }
        r
    }

    #[test]
    fn one_small_cell_takes_three_more_with_it() {
        // 3 is below 5; alone in its row and column it would follow from the totals.
        let t = with_totals(&[vec![3, 40, 50], vec![20, 30, 60], vec![25, 35, 45]]);
        let h = suppress(&t, 5, |_, _| false);
        let hidden: Vec<(usize, usize)> = (0..4)
            .flat_map(|a| (0..4).map(move |b| (a, b)))
            .filter(|&(a, b)| h[a][b])
            .collect();
        // The cheapest rectangle through (0, 0): 40 and 20 beside it, 30 opposite
        // (90 in all, against 100 for 40, 25 and 35).
        assert_eq!(hidden, [(0, 0), (0, 1), (1, 0), (1, 1)]);
        assert!(recoverable(&h).is_empty());
    }

    #[test]
    fn without_secondary_suppression_a_lone_small_cell_is_recoverable() {
        // The check itself can fail: primary suppression alone leaves 3 = 93 − 40 − 50.
        let t = with_totals(&[vec![3, 40, 50], vec![20, 30, 60]]);
        let primary: Vec<Vec<bool>> = t
            .iter()
            .map(|row| row.iter().map(|&x| x < 5).collect())
            .collect();
        assert_eq!(recoverable(&primary), [(0, 0)]);
        assert_eq!(determined_by_rank(&primary), [(0, 0)]);
    }

    #[test]
    fn a_cell_hidden_with_its_rectangle_lies_between_its_sums() {
        // [[1, 2], [3, 4]] with every inner cell hidden and the totals shown (3, 7 by
        // row; 4, 6 by column): x01 = 3 − x00, x10 = 4 − x00, x11 = 3 + x00, all at
        // least 0: so 0 ≤ x00 ≤ 3, and x11 runs from 3 to 6.
        let t = with_totals(&[vec![1, 2], vec![3, 4]]);
        let mut h = vec![vec![false; 3]; 3];
        for (a, b) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
            h[a][b] = true;
        }
        assert_eq!(interval(&t, &h, 0, 0), (0, Some(3)));
        assert_eq!(interval(&t, &h, 1, 1), (3, Some(6)));
        // The grand total hidden with a rectangle of totals: nothing bounds it.
        let mut g = vec![vec![false; 3]; 3];
        for (a, b) in [(0, 0), (0, 2), (2, 0), (2, 2)] {
            g[a][b] = true;
        }
        assert_eq!(interval(&t, &g, 2, 2), (9, None));
        assert_eq!(interval(&t, &g, 0, 0), (0, None));
    }

    /// Every filling of the hidden cells of `t` with counts 0..=`bound` that keeps every
    /// row and column sum: each hidden cell's least and greatest value among them.
    fn brute_intervals(t: &[Vec<u64>], h: &[Vec<bool>], bound: u64) -> Vec<(u64, u64)> {
        let cells: Vec<(usize, usize)> = (0..t.len())
            .flat_map(|a| (0..t[0].len()).map(move |b| (a, b)))
            .filter(|&(a, b)| h[a][b])
            .collect();
        let mut found = vec![(u64::MAX, 0u64); cells.len()];
        let mut x: Vec<Vec<u64>> = t.to_vec();
        let sums_hold = |x: &[Vec<u64>]| {
            let (r, c) = (x.len(), x[0].len());
            (0..r).all(|a| x[a][..c - 1].iter().sum::<u64>() == x[a][c - 1])
                && (0..c).all(|b| (0..r - 1).map(|a| x[a][b]).sum::<u64>() == x[r - 1][b])
        };
        let mut digits = vec![0u64; cells.len()];
        loop {
            for (d, &(a, b)) in digits.iter().zip(&cells) {
                x[a][b] = *d;
            }
            if sums_hold(&x) {
                for (f, d) in found.iter_mut().zip(&digits) {
                    *f = (f.0.min(*d), f.1.max(*d));
                }
            }
            let Some(p) = digits.iter().position(|&d| d < bound) else {
                return found;
            };
            for d in &mut digits[..p] {
                *d = 0;
            }
            digits[p] += 1;
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(40))]
        #[test]
        fn intervals_are_those_every_filling_of_the_hidden_cells_gives(
            inner in prop::collection::vec(prop::collection::vec(0u64..4, 2), 2),
            picks in prop::sample::subsequence((0usize..9).collect::<Vec<_>>(), 4),
        ) {
            // Checked against brute force: every filling of four hidden cells of a 2 × 2
            // table with its totals, with counts up to a bound of twice the grand total
            // and two; the flow's highest value, where past the bound (or unbounded),
            // reads as the bound.
            let t = with_totals(&inner);
            let mut h = vec![vec![false; 3]; 3];
            for p in picks {
                h[p / 3][p % 3] = true;
            }
            let bound = 2 * t[2][2] + 2;
            let brute = brute_intervals(&t, &h, bound);
            let cells = (0..3).flat_map(|a| (0..3).map(move |b| (a, b)));
            for ((a, b), (lo, hi)) in cells.filter(|&(a, b)| h[a][b]).zip(brute) {
                let (flo, fhi) = interval(&t, &h, a, b);
                prop_assert_eq!(flo, lo, "low of ({}, {}) in {:?} hiding {:?}", a, b, t, h);
                prop_assert_eq!(fhi.unwrap_or(u64::MAX).min(bound), hi, "high of ({}, {}) in {:?} hiding {:?}", a, b, t, h);
            }
        }

        #[test]
        fn after_interval_protection_no_hidden_cell_is_narrower_than_k(
            inner in prop::collection::vec(prop::collection::vec(0u64..12, 3..7), 3..7),
            k in 2u64..8,
        ) {
            let n = inner.len().min(inner[0].len());
            let inner: Vec<Vec<u64>> = inner.into_iter().take(n).map(|mut r| { r.resize(n, 0); r }).collect();
            let known = |i: usize, j: usize| i == j && i < n;
            let inner: Vec<Vec<u64>> = inner.iter().enumerate()
                .map(|(i, r)| r.iter().enumerate().map(|(j, &x)| if i == j { 0 } else { x }).collect())
                .collect();
            let t = with_totals(&inner);
            let h = protect_intervals(std::slice::from_ref(&t), &t, suppress(&t, k, known), known, k);
            prop_assert!(recoverable(&h).is_empty());
            for (a, row) in h.iter().enumerate() {
                for (b, &hidden) in row.iter().enumerate() {
                    prop_assert!(hidden || t[a][b] >= k || known(a, b));
                    if hidden {
                        let (lo, hi) = interval(&t, &h, a, b);
                        prop_assert!(lo <= t[a][b] && hi.is_none_or(|hi| hi >= t[a][b]));
                        prop_assert!(hi.is_none_or(|hi| hi - lo >= k), "({a}, {b}) in {t:?}: [{lo}, {hi:?}]");
                    }
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn no_hidden_count_is_recoverable_and_none_below_k_is_shown(
            inner in prop::collection::vec(prop::collection::vec(0u64..30, 2..6), 2..6),
            k in 1u64..12,
        ) {
            let width = inner[0].len();
            let inner: Vec<Vec<u64>> = inner.into_iter().map(|mut r| { r.resize(width, 0); r }).collect();
            let t = with_totals(&inner);
            let h = suppress(&t, k, |_, _| false);
            for (row, hid) in t.iter().zip(&h) {
                for (&x, &hidden) in row.iter().zip(hid) {
                    prop_assert!(hidden || x >= k, "{x} shown below {k}");
                }
            }
            prop_assert!(recoverable(&h).is_empty(), "{t:?} → {h:?}");
        }

        #[test]
        fn a_known_diagonal_is_never_hidden_and_protects_nothing(
            n in 2usize..7,
            cells in prop::collection::vec(0u64..25, 36),
            k in 1u64..10,
        ) {
            // A department × department matrix without its diagonal (always 0, and
            // known to be): the diagonal may not close a cycle.
            let inner: Vec<Vec<u64>> = (0..n)
                .map(|i| (0..n).map(|j| if i == j { 0 } else { cells[i * 6 + j] }).collect())
                .collect();
            let t = with_totals(&inner);
            let h = suppress(&t, k, |i, j| i == j && i < n);
            for (i, (row, hid)) in t.iter().zip(&h).enumerate() {
                for (j, (&x, &hidden)) in row.iter().zip(hid).enumerate() {
                    prop_assert!(!(i == j && i < n && hidden), "diagonal ({i}, {i}) hidden");
                    prop_assert!(hidden || x >= k || (i == j && i < n), "{x} shown below {k}");
                }
            }
            prop_assert!(recoverable(&h).is_empty(), "{t:?} → {h:?}");
        }

        #[test]
        fn the_audit_agrees_with_the_rank_test(
            pattern in prop::collection::vec(prop::collection::vec(any::<bool>(), 2..6), 2..6),
        ) {
            let width = pattern[0].len();
            let h: Vec<Vec<bool>> = pattern.into_iter().map(|mut r| { r.resize(width, false); r }).collect();
            prop_assert_eq!(recoverable(&h), determined_by_rank(&h));
        }
    }
}
