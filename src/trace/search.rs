//! Finding a query among many texts (transcript lines, event
//! descriptions) without reading them all. Each text keeps the pairs of
//! adjacent letters it holds, folded into 64 bits; each block of
//! `BLOCK` texts keeps the letters and pairs any of them holds, hashed
//! into `BLOCK_BITS` bits. A text can hold a query only if it holds every
//! letter and pair of the query, so a block that lacks one is skipped
//! whole and a text that lacks a pair is skipped without being read: a
//! query found nowhere costs one test a block, not one a text.
//!
//! The filters only skip texts that cannot match; the caller still
//! compares the text itself, so a search stays exact.

/// Texts a block summarises.
pub const BLOCK: usize = 64;
/// Bits in a block's summary.
const BLOCK_BITS: usize = 2048;
const WORDS: usize = BLOCK_BITS / 64;

/// The bytes a search compares, one by one: the text in lower case, as
/// `contains_folded` in the dashboard compares it (ASCII in place,
/// anything else through `to_lowercase`).
fn folded(text: &str, mut each: impl FnMut(u8)) {
    if text.is_ascii() {
        text.bytes().for_each(|b| each(b.to_ascii_lowercase()));
    } else {
        text.to_lowercase().bytes().for_each(each);
    }
}

/// The pairs of adjacent letters in a text (lower case), folded into 64
/// bits: a text holds a query only if it holds every pair of the query,
/// so a search skips, in one test, almost every text that cannot match.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pairs(u64);

impl Pairs {
    pub fn of(text: &str) -> Pairs {
        features(text, |_| {})
    }

    /// Could a text with these pairs hold a query with `query`'s?
    pub fn may_hold(self, query: Pairs) -> bool {
        self.0 & query.0 == query.0
    }
}

fn pair_bit(a: u8, b: u8) -> u32 {
    let pair = u32::from(a) * 31 + u32::from(b);
    pair.wrapping_mul(0x9E37_79B9) >> 26
}

/// A letter or a pair of letters, hashed to a bit of a block's summary.
fn block_bit(key: u32) -> usize {
    (key.wrapping_mul(0x9E37_79B9) >> (32 - BLOCK_BITS.trailing_zeros())) as usize
}

fn letter_key(a: u8) -> u32 {
    0x1_0000 | u32::from(a)
}

fn pair_key(a: u8, b: u8) -> u32 {
    u32::from(a) << 8 | u32::from(b)
}

/// The pairs of a text, calling `set` with each block-summary bit it
/// sets (its letters and pairs).
fn features(text: &str, mut set: impl FnMut(usize)) -> Pairs {
    let mut pairs = 0u64;
    let mut last: Option<u8> = None;
    folded(text, |b| {
        set(block_bit(letter_key(b)));
        if let Some(a) = last {
            pairs |= 1 << pair_bit(a, b);
            set(block_bit(pair_key(a, b)));
        }
        last = Some(b);
    });
    Pairs(pairs)
}

/// A query, lower case, with the letters and pairs a text must hold.
#[derive(Debug, Clone)]
pub struct Query {
    text: String,
    pairs: Pairs,
    /// Block-summary bits, deduplicated.
    bits: Vec<usize>,
}

impl Query {
    /// `text` must be in lower case already (`str::to_lowercase`): it is
    /// taken byte for byte, as the comparison takes it.
    pub fn new(text: &str) -> Query {
        let bytes = text.as_bytes();
        let mut pairs = 0u64;
        let mut bits: Vec<usize> = bytes.iter().map(|&b| block_bit(letter_key(b))).collect();
        for w in bytes.windows(2) {
            pairs |= 1 << pair_bit(w[0], w[1]);
            bits.push(block_bit(pair_key(w[0], w[1])));
        }
        bits.sort_unstable();
        bits.dedup();
        Query {
            text: text.to_owned(),
            pairs: Pairs(pairs),
            bits,
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn pairs(&self) -> Pairs {
        self.pairs
    }
}

/// The union of what the texts of one block hold.
#[derive(Clone)]
struct Block([u64; WORDS]);

impl Block {
    fn may_hold(&self, query: &Query) -> bool {
        query
            .bits
            .iter()
            .all(|&bit| self.0[bit / 64] & (1 << (bit % 64)) != 0)
    }
}

/// Texts in order, each with its pairs, and a summary per block of
/// `BLOCK`. Texts are only appended, so it grows with a live trace.
#[derive(Clone, Default)]
pub struct Texts {
    pairs: Vec<Pairs>,
    blocks: Vec<Block>,
}

impl std::fmt::Debug for Texts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Texts")
            .field("len", &self.pairs.len())
            .finish_non_exhaustive()
    }
}

impl Texts {
    /// Appends a text.
    pub fn push(&mut self, text: &str) {
        let block = self.open_block();
        let pairs = features(text, |bit| block.0[bit / 64] |= 1 << (bit % 64));
        self.pairs.push(pairs);
    }

    /// Appends a place that holds no text (it never matches a query of
    /// two letters or more; the caller decides about shorter ones).
    pub fn push_empty(&mut self) {
        self.open_block();
        self.pairs.push(Pairs::default());
    }

    /// The block the next text belongs to.
    fn open_block(&mut self) -> &mut Block {
        if self.pairs.len().is_multiple_of(BLOCK) {
            self.blocks.push(Block([0; WORDS]));
        }
        self.blocks.last_mut().expect("a block was just opened")
    }

    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The pairs of each text, in order.
    pub fn pairs(&self) -> &[Pairs] {
        &self.pairs
    }

    /// The first text in `from..end` that may hold `query`: every text
    /// skipped cannot hold it. Texts past those indexed are never
    /// skipped.
    pub fn next_candidate(&self, mut from: usize, end: usize, query: &Query) -> Option<usize> {
        let indexed = self.pairs.len();
        while from < end {
            if from >= indexed {
                return Some(from);
            }
            // The rest of this block, within `end` and what is indexed.
            let stop = ((from / BLOCK + 1) * BLOCK).min(end).min(indexed);
            if self.blocks[from / BLOCK].may_hold(query)
                && let Some(i) = (from..stop).find(|&i| self.pairs[i].may_hold(query.pairs))
            {
                return Some(i);
            }
            from = stop;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The comparison the dashboard makes, plainly.
    fn holds(text: &str, query: &str) -> bool {
        text.to_lowercase().contains(query)
    }

    fn texts_of(all: &[String]) -> Texts {
        let mut texts = Texts::default();
        for t in all {
            texts.push(t);
        }
        texts
    }

    /// Every text the plain comparison finds, the filters find too, in
    /// order, from any starting point.
    fn agrees(all: &[String], query: &str, from: usize) {
        let texts = texts_of(all);
        let q = Query::new(query);
        let plain: Vec<usize> = (from..all.len())
            .filter(|&i| holds(&all[i], query))
            .collect();
        let mut found = Vec::new();
        let mut at = from;
        while let Some(i) = texts.next_candidate(at, all.len(), &q) {
            if holds(&all[i], query) {
                found.push(i);
            }
            at = i + 1;
        }
        assert_eq!(found, plain, "{query:?} from {from}");
    }

    #[test]
    fn a_query_found_nowhere_reads_no_text() {
        let all: Vec<String> = (0..10 * BLOCK)
            .map(|i| format!("250 2.1.5 Ok: recipient {i} <bob@example.org>"))
            .collect();
        let texts = texts_of(&all);
        assert_eq!(
            texts.next_candidate(0, all.len(), &Query::new("zqx!")),
            None
        );
        assert_eq!(texts.next_candidate(0, all.len(), &Query::new("~")), None);
        let q = Query::new("recipient 300 ");
        assert_eq!(
            texts.next_candidate(0, all.len(), &q).map(|i| i <= 300),
            Some(true)
        );
    }

    #[test]
    fn texts_not_indexed_yet_are_candidates() {
        let texts = texts_of(&["hello".into()]);
        assert_eq!(texts.next_candidate(0, 3, &Query::new("zz")), Some(1));
    }

    fn text() -> impl Strategy<Value = String> {
        // Few letters, so that queries often match; some not ASCII (the
        // Kelvin sign lowers to an ASCII k).
        proptest::collection::vec(
            prop::sample::select(vec![
                'a', 'b', 'A', 'B', 'k', 'K', ' ', '.', 'é', 'É', '\u{212A}', 'ß',
            ]),
            0..40,
        )
        .prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #[test]
        fn skipping_never_loses_a_match(
            all in proptest::collection::vec(text(), 0..300),
            query in text(),
            from in 0usize..300,
        ) {
            let query = query.chars().take(4).collect::<String>().to_lowercase();
            if !query.is_empty() {
                agrees(&all, &query, from.min(all.len()));
            }
        }

        #[test]
        fn a_piece_of_a_text_is_always_found(
            all in proptest::collection::vec(text(), 1..300),
            pick in any::<prop::sample::Index>(),
            start in 0usize..40,
            len in 1usize..6,
        ) {
            let source = pick.get(&all).to_lowercase();
            let piece: String = source.chars().skip(start).take(len).collect();
            if !piece.is_empty() {
                agrees(&all, &piece, 0);
            }
        }
    }
}
