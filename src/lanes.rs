//! Spacing the lanes of a ladder diagram, for the dashboard's ladder
//! (in cells) and the HTML handout's (in pixels): each gap between two
//! neighbouring lanes as wide as the labels that travel across it ask.

/// Widens `gaps` (gap `i` lies between lanes `i` and `i + 1`) so that
/// every span `(a, b, need)`, a label between lanes `a < b`, gets at
/// least `need` across its gaps. Short spans go first, so a label that
/// crosses many lanes is shared among gaps already widened for the
/// labels between neighbours; what a span still lacks is shared evenly.
pub fn widen(gaps: &mut [usize], mut spans: Vec<(usize, usize, usize)>) {
    spans.sort_by_key(|&(a, b, _)| b - a);
    for (a, b, need) in spans {
        let Some(span) = gaps.get_mut(a..b).filter(|s| !s.is_empty()) else {
            continue;
        };
        let have: usize = span.iter().sum();
        if have < need {
            let more = (need - have).div_ceil(span.len());
            span.iter_mut().for_each(|g| *g += more);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_label_gets_its_room_shared_among_the_gaps_it_spans() {
        let mut gaps = vec![10, 10, 10];
        widen(&mut gaps, vec![(0, 3, 60), (1, 2, 20)]);
        // 1-2 first: 20; then 0-3 lacks 60 - 40 = 20, 7 more each.
        assert_eq!(gaps, [17, 27, 17]);
        assert!(gaps.iter().sum::<usize>() >= 60);
        let mut gaps = vec![10];
        widen(&mut gaps, vec![(0, 1, 5), (1, 1, 99), (2, 4, 99)]);
        assert_eq!(gaps, [10]);
    }
}
