//! Turning scored pairs into groups without chaining: linked records form components, and a
//! component is split by average-linkage agglomeration, so A–B and B–C do not put A with C
//! unless A and C, on average, also match. One weak link cannot join two groups.

use std::collections::HashMap;

/// Union-find with path halving.
struct Dsu(Vec<u32>);

impl Dsu {
    fn find(&mut self, mut x: u32) -> u32 {
        while self.0[x as usize] != x {
            let p = self.0[self.0[x as usize] as usize];
            self.0[x as usize] = p;
            x = p;
        }
        x
    }

    fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.0[hi as usize] = lo;
        }
    }
}

/// Groups of records that share any key at all: the plain rules baseline (exact normalized
/// identifiers, exact stripped name), and a building block for simple uses.
pub fn connected(n: usize, links: impl IntoIterator<Item = (u32, u32)>) -> Vec<u32> {
    let mut dsu = Dsu((0..n as u32).collect());
    for (a, b) in links {
        dsu.union(a, b);
    }
    (0..n as u32).map(|i| dsu.find(i)).collect()
}

/// Largest component refined exactly; bigger ones (rare: a long chain of weak links) are
/// split with the scored pairs alone.
const MAX_DENSE: usize = 400;

/// Cluster label (the smallest record index in the cluster) for each of `n` records.
/// `pairs` are scored candidate pairs; `score` gives the probability of any other pair inside a
/// component (pairs never scored count as that score).
pub fn cluster(
    n: usize,
    pairs: &[(u32, u32, f64)],
    threshold: f64,
    score: impl Fn(u32, u32) -> f64,
) -> Vec<u32> {
    let mut dsu = Dsu((0..n as u32).collect());
    let mut linked: HashMap<(u32, u32), f64> = HashMap::new();
    for &(a, b, p) in pairs {
        if p >= threshold {
            dsu.union(a, b);
        }
        linked.insert((a.min(b), a.max(b)), p);
    }
    let mut components: HashMap<u32, Vec<u32>> = HashMap::new();
    for i in 0..n as u32 {
        let r = dsu.find(i);
        components.entry(r).or_default().push(i);
    }
    let mut labels: Vec<u32> = (0..n as u32).collect();
    for members in components.into_values() {
        if members.len() == 1 {
            continue;
        }
        let prob = |a: u32, b: u32| -> f64 {
            match linked.get(&(a.min(b), a.max(b))) {
                Some(p) => *p,
                None if members.len() <= MAX_DENSE => score(a, b),
                None => 0.0,
            }
        };
        for group in average_linkage(&members, threshold, prob) {
            let label = *group.iter().min().unwrap_or(&group[0]);
            for m in group {
                labels[m as usize] = label;
            }
        }
    }
    labels
}

/// Agglomerates `members` while the best pair of groups has an average probability ≥
/// `threshold`.
fn average_linkage(
    members: &[u32],
    threshold: f64,
    prob: impl Fn(u32, u32) -> f64,
) -> Vec<Vec<u32>> {
    let k = members.len();
    if k == 2 {
        return if prob(members[0], members[1]) >= threshold {
            vec![members.to_vec()]
        } else {
            vec![vec![members[0]], vec![members[1]]]
        };
    }
    // Sum of pair probabilities between groups; groups as index lists.
    let mut groups: Vec<Vec<u32>> = members.iter().map(|&m| vec![m]).collect();
    let mut sums: Vec<Vec<f64>> = vec![vec![0.0; k]; k];
    for i in 0..k {
        for j in i + 1..k {
            let p = prob(members[i], members[j]);
            sums[i][j] = p;
            sums[j][i] = p;
        }
    }
    let mut alive: Vec<bool> = vec![true; k];
    loop {
        let mut best: Option<(usize, usize, f64)> = None;
        for i in 0..k {
            if !alive[i] {
                continue;
            }
            for j in i + 1..k {
                if !alive[j] {
                    continue;
                }
                let avg = sums[i][j] / (groups[i].len() * groups[j].len()) as f64;
                if best.is_none_or(|(_, _, b)| avg > b) {
                    best = Some((i, j, avg));
                }
            }
        }
        match best {
            Some((i, j, avg)) if avg >= threshold => {
                let moved = std::mem::take(&mut groups[j]);
                groups[i].extend(moved);
                alive[j] = false;
                for x in 0..k {
                    if alive[x] && x != i {
                        sums[i][x] += sums[j][x];
                        sums[x][i] = sums[i][x];
                    }
                }
            }
            _ => break,
        }
    }
    groups
        .into_iter()
        .zip(alive)
        .filter(|(_, a)| *a)
        .map(|(g, _)| g)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_weak_link_does_not_chain_two_groups() {
        // 0-1-2 strongly linked, 3-4 strongly linked, 2-3 linked just above the threshold;
        // every other pair across the groups is far below.
        let pairs = [
            (0, 1, 0.99),
            (1, 2, 0.98),
            (0, 2, 0.97),
            (3, 4, 0.99),
            (2, 3, 0.6),
        ];
        let labels = cluster(6, &pairs, 0.5, |_, _| 0.01);
        assert_eq!(labels, vec![0, 0, 0, 3, 3, 5]);
    }

    #[test]
    fn chains_need_support_from_every_member() {
        // A-B and B-C match, A-C clearly does not: B joins one of them only.
        let pairs = [(0, 1, 0.9), (1, 2, 0.8)];
        let labels = cluster(3, &pairs, 0.5, |_, _| 0.0);
        assert_eq!(labels, vec![0, 0, 2]);
        // With A-C also likely, all three are one customer.
        let labels = cluster(3, &pairs, 0.5, |_, _| 0.7);
        assert_eq!(labels, vec![0, 0, 0]);
    }
}
